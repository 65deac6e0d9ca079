/* link_tx.c: the BMS transmitter of the link: reply timing (the latency model fitted to the
 * recording, reply_delay), the reply faults (garbage, corrupt_checksum, truncate), the transmit
 * queue and the bus log record of each frame it sends. Split from link.c, functions verbatim. */
#include "rig/line/link_internal.h"

#include <math.h>

#include "sim/status.h"

/* Reply timing fitted to the two-way recording (docs/bms.md) [D]: 35 of 50 replies started
 * 0.204-0.262 ms after the request's last byte, 15 of 50 (30 %) 4.96-35.3 ms late. */
#define LAT_FAST_MEAN_US 212.0
#define LAT_FAST_SD_US 4.0
#define LAT_FAST_MIN_US 200.0
#define LAT_FAST_MAX_US 265.0
#define LAT_LATE_P 0.30
#define LAT_LATE_MIN_US 4900.0
#define LAT_LATE_MAX_US 35300.0

#define GARBAGE_MAX 16

static int64_t draw_latency_us(struct link *l)
{
    switch (l->cfg.latency) {
    case LINK_LATENCY_OFF:
        return 0;
    case LINK_LATENCY_FIXED:
        return l->cfg.fixed_latency_us;
    case LINK_LATENCY_RECORDED:
        break;
    }
    if (chance(l, LAT_LATE_P))
        return (int64_t)llround(LAT_LATE_MIN_US + (LAT_LATE_MAX_US - LAT_LATE_MIN_US) * rnd_unit(l));
    double u1 = rnd_unit(l), u2 = rnd_unit(l);
    double g = sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
    double us = LAT_FAST_MEAN_US + LAT_FAST_SD_US * g;
    if (us < LAT_FAST_MIN_US)
        us = LAT_FAST_MIN_US;
    if (us > LAT_FAST_MAX_US)
        us = LAT_FAST_MAX_US;
    return (int64_t)llround(us);
}

int64_t link_draw_latency_us(struct link *l)
{
    return draw_latency_us(l);
}

/* Queues n bytes starting at start_us as one logged frame; returns false (nothing queued) when
 * the transmit queue is full. */
static bool queue_frame(struct link *l, int64_t start_us, const uint8_t *b, size_t n,
                        unsigned marks, double delay_s)
{
    if (n == 0 || l->txq.count + n > RING_CAP || l->txrec_count == TXREC_CAP) {
        l->stats.tx_queue_full++;
        return false;
    }
    for (size_t i = 0; i < n; i++)
        ring_push(&l->txq, b[i], start_us);
    struct txrec *r = &l->txrec[(l->txrec_head + l->txrec_count) % TXREC_CAP];
    *r = (struct txrec){ .t_us = start_us, .n = n, .marks = marks, .delay_s = delay_s };
    l->txrec_count++;
    /* Only the order is kept here: the in-process wire serialises bytes at the byte time and a
     * real UART paces itself, while a pty passes a whole reply at once. */
    l->tx_busy_until = start_us;
    return true;
}

void link_schedule_reply(struct link *l, int64_t now_us, const struct frame *rep)
{
    uint8_t out[FRAME_BYTES_MAX];
    size_t n = 0;
    if (frame_encode(rep, out, sizeof(out), &n) != BMSRIG_OK)
        return;
    int64_t start = now_us + draw_latency_us(l);
    unsigned marks = 0;
    double delay_s = 0.0;
    if (l->active[LINK_FAULT_REPLY_DELAY]) {
        delay_s = l->value[LINK_FAULT_REPLY_DELAY];
        start += (int64_t)llround(delay_s * 1e6);
        marks |= LINK_MARK_DELAY;
    }
    if (start < l->tx_busy_until)
        start = l->tx_busy_until;
    if (l->active[LINK_FAULT_GARBAGE] && chance(l, l->value[LINK_FAULT_GARBAGE])) {
        uint8_t junk[GARBAGE_MAX];
        size_t k = 1 + (size_t)(rnd(l) % GARBAGE_MAX);
        for (size_t i = 0; i < k; i++) {
            uint8_t v;
            do
                v = (uint8_t)(rnd(l) >> 56);
            while (v == FRAME_SYNC0);      /* garbage never starts a frame of its own */
            junk[i] = v;
        }
        queue_frame(l, start, junk, k, LINK_MARK_GARBAGE, 0.0);
        start = l->tx_busy_until;
        l->stats.garbage_bursts++;
    }
    if (l->active[LINK_FAULT_CORRUPT_CHECKSUM] && chance(l, l->value[LINK_FAULT_CORRUPT_CHECKSUM])) {
        out[n - 2] ^= (uint8_t)(1 + rnd(l) % 255);
        marks |= LINK_MARK_CORRUPT;
        l->stats.corrupted++;
    }
    if (l->active[LINK_FAULT_TRUNCATE] && chance(l, l->value[LINK_FAULT_TRUNCATE])) {
        n = 1 + (size_t)(rnd(l) % (n - 1));
        marks |= LINK_MARK_TRUNCATE;
        l->stats.truncated++;
    }
    if (queue_frame(l, start, out, n, marks, delay_s))
        l->stats.replies++;
}

/* Called for each byte leaving the transmit queue (b as sent; rx the byte the controller gets,
 * NULL when lost): logs the head frame once all of its bytes are out. */
static void tx_log_byte(struct link *l, uint8_t b, const uint8_t *rx)
{
    if (l->txrec_count == 0)
        return;
    struct txrec *r = &l->txrec[l->txrec_head];
    l->cur_sent[l->cur_popped++] = b;
    if (!rx)
        r->marks |= LINK_MARK_BMS_TX_OPEN;
    else {
        l->cur_rx[l->cur_nrx++] = *rx;
        if (*rx != b)
            r->marks |= LINK_MARK_BIT_ERRORS;
    }
    if (l->cur_popped < r->n)
        return;
    struct link_wire_frame f = { .t_us = r->t_us, .line = "bms_tx", .sent = l->cur_sent,
                                 .nsent = l->cur_popped, .received = l->cur_rx,
                                 .nreceived = l->cur_nrx, .marks = r->marks,
                                 .delay_s = r->delay_s };
    emit_wire(l, &f);
    l->txrec_head = (l->txrec_head + 1) % TXREC_CAP;
    l->txrec_count--;
    l->cur_popped = l->cur_nrx = 0;
}

size_t link_bms_tx(struct link *l, int64_t now_us, uint8_t *out, size_t cap)
{
    size_t n = 0;
    while (l->txq.count > 0 && l->txq.t[l->txq.head] <= now_us && n < cap) {
        uint8_t b = l->txq.b[l->txq.head];
        ring_pop(&l->txq);
        if (l->active[LINK_FAULT_BMS_TX]) {
            l->stats.dropped_bms_tx++;
            tx_log_byte(l, b, NULL);
            continue;
        }
        uint8_t got = l->active[LINK_FAULT_BIT_ERRORS] ? link_flip_bits(l, b) : b;
        out[n++] = got;
        l->stats.bytes_sent++;
        tx_log_byte(l, b, &got);
    }
    return n;
}

int64_t link_bms_next_tx_us(const struct link *l)
{
    return l->txq.count ? l->txq.t[l->txq.head] : INT64_MAX;
}

