/* link_wire.c: the in-process wire of the link (virtual target): one byte pipe per direction
 * with 8N1 byte times, and the next-event time the engine sleeps to. Split from link.c,
 * functions verbatim. */
#include "rig/line/link_internal.h"

#include <math.h>

#include "sim/status.h"

int link_esc_send(struct link *l, int64_t now_us, const uint8_t *bytes, size_t n)
{
    if (!l || (!bytes && n))
        return BMSRIG_ERR_ARG;
    if (l->esc_to_bms.count + n > RING_CAP)
        return BMSRIG_ERR_RANGE;
    double t = (double)(now_us > l->esc_busy_until ? now_us : l->esc_busy_until);
    for (size_t i = 0; i < n; i++) {
        t += l->byte_us;
        ring_push(&l->esc_to_bms, bytes[i], (int64_t)llround(t));
    }
    l->esc_busy_until = (int64_t)llround(t);
    return BMSRIG_OK;
}

/* Moves BMS bytes whose start time is <= upto_us onto the wire towards the ESC. */
static void drain_tx(struct link *l, int64_t upto_us)
{
    while (link_bms_next_tx_us(l) <= upto_us) {
        int64_t ts = link_bms_next_tx_us(l);
        uint8_t buf[64];
        size_t k = link_bms_tx(l, ts, buf, sizeof(buf));   /* pops at least one byte */
        for (size_t i = 0; i < k; i++) {
            double s = (double)ts > l->bms_wire_free ? (double)ts : l->bms_wire_free;
            l->bms_wire_free = s + l->byte_us;
            ring_push(&l->bms_to_esc, buf[i], (int64_t)llround(l->bms_wire_free));
        }
    }
}

void link_advance(struct link *l, int64_t now_us)
{
    /* ESC bytes reaching the BMS, each at its own arrival time (this schedules replies);
     * replies due before a byte go out before it */
    while (l->esc_to_bms.count > 0 && l->esc_to_bms.t[l->esc_to_bms.head] <= now_us) {
        uint8_t b = l->esc_to_bms.b[l->esc_to_bms.head];
        int64_t t = l->esc_to_bms.t[l->esc_to_bms.head];
        ring_pop(&l->esc_to_bms);
        drain_tx(l, t);
        link_bms_rx(l, t, &b, 1);
    }
    link_bms_idle(l, now_us);
    drain_tx(l, now_us);
}

size_t link_esc_recv(struct link *l, int64_t now_us, uint8_t *out, int64_t *arrive_us, size_t cap)
{
    size_t n = 0;
    while (l->bms_to_esc.count > 0 && l->bms_to_esc.t[l->bms_to_esc.head] <= now_us && n < cap) {
        out[n] = l->bms_to_esc.b[l->bms_to_esc.head];
        if (arrive_us)
            arrive_us[n] = l->bms_to_esc.t[l->bms_to_esc.head];
        ring_pop(&l->bms_to_esc);
        n++;
    }
    return n;
}

int64_t link_next_event_us(const struct link *l)
{
    int64_t t = INT64_MAX;
    if (l->esc_to_bms.count)
        t = l->esc_to_bms.t[l->esc_to_bms.head];
    if (l->txq.count && l->txq.t[l->txq.head] < t)
        t = l->txq.t[l->txq.head];
    if (l->bms_to_esc.count && l->bms_to_esc.t[l->bms_to_esc.head] < t)
        t = l->bms_to_esc.t[l->bms_to_esc.head];
    if (l->have_rx && l->dec.fill > 0 && l->last_rx_us + l->gap_us + 1 < t)
        t = l->last_rx_us + l->gap_us + 1;
    if (l->wire_have && l->wire_dec.fill > 0 && l->wire_last_us + l->gap_us + 1 < t)
        t = l->wire_last_us + l->gap_us + 1;
    return t;
}

