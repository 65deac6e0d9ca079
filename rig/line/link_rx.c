/* link_rx.c: the BMS receiver of the link: the gap reset, the esc_tx cut and bit errors on what
 * it hears, the request decoder feeding the BMS model and the wire decoder that logs the
 * controller's frames as sent. Split from link.c, functions verbatim. */
#include "rig/line/link_internal.h"

#include <math.h>

/* The BMS receiver's decoder: requests go to the BMS model; errors are counted (the bus log
 * reports frames from the wire decoder below, which sees them as sent). */
void link_on_event(void *user, const struct frame_event *ev)
{
    struct link *l = user;
    if (ev->kind != FRAME_EV_FRAME) {
        l->stats.decode_errors++;
        return;
    }
    l->stats.frames_heard++;
    struct frame rep;
    if (bms_handle_request(l->bms, l->rx_now_us, ev->frame, &rep) == BMS_REQ_REPLY)
        link_schedule_reply(l, l->rx_now_us, &rep);
}

/* The wire decoder's events: one frame (or bad frame) as the controller sent it. Its bytes are
 * the last wire_dec.fill fed, so their positions give what the BMS receiver got of each. */
void link_on_wire_event(void *user, const struct frame_event *ev)
{
    struct link *l = user;
    uint64_t first = l->wire_fed - l->wire_dec.fill;
    uint8_t rx[FRAME_BYTES_MAX];
    size_t nrx = 0;
    unsigned marks = 0;
    for (size_t i = 0; i < ev->raw_len; i++) {
        size_t slot = (size_t)((first + i) % WIRE_HIST);
        if (!l->wire_got[slot]) {
            marks |= LINK_MARK_ESC_TX_OPEN;
            continue;
        }
        rx[nrx++] = l->wire_rx[slot];
        if (l->wire_rx[slot] != ev->raw[i])
            marks |= LINK_MARK_BIT_ERRORS;
    }
    if (ev->kind == FRAME_EV_BAD_CHECKSUM)
        marks |= LINK_MARK_BAD_CHECKSUM;
    else if (ev->kind == FRAME_EV_BAD_LENGTH)
        marks |= LINK_MARK_BAD_LENGTH;
    else if (ev->kind == FRAME_EV_TRUNCATED)
        marks |= LINK_MARK_TRUNCATED;
    /* the first byte's start bit: its stop bit's time less one byte time */
    int64_t t0 = l->wire_t[first % WIRE_HIST] - (int64_t)llround(l->byte_us);
    struct link_wire_frame f = { .t_us = t0, .line = "esc_tx", .sent = ev->raw,
                                 .nsent = ev->raw_len, .received = rx, .nreceived = nrx,
                                 .marks = marks };
    emit_wire(l, &f);
}

uint8_t link_flip_bits(struct link *l, uint8_t b)
{
    double ber = l->value[LINK_FAULT_BIT_ERRORS];
    for (unsigned bit = 0; bit < 8; bit++) {
        if (chance(l, ber)) {
            b ^= (uint8_t)(1u << bit);
            l->stats.bit_flips++;
        }
    }
    return b;
}

/* The line was silent from the last byte heard until silent_until_us: a partial frame is
 * dropped if that silence is longer than the gap reset. */
static void rx_gap_check(struct link *l, int64_t silent_until_us, int64_t now_us)
{
    if (l->have_rx && l->dec.fill > 0 && silent_until_us - l->last_rx_us > l->gap_us) {
        l->rx_now_us = now_us;
        frame_decoder_gap(&l->dec);
        l->stats.gap_resets++;
    }
    if (l->wire_have && l->wire_dec.fill > 0 && silent_until_us - l->wire_last_us > l->gap_us)
        frame_decoder_gap(&l->wire_dec);
}

void link_bms_idle(struct link *l, int64_t now_us)
{
    rx_gap_check(l, now_us, now_us);
}

void link_bms_rx(struct link *l, int64_t now_us, const uint8_t *bytes, size_t n)
{
    if (!l || n == 0)
        return;
    /* n bytes ending at now_us took n byte times on the wire: the silence before them ended
     * when the first one started (a chunk delivered at once is not counted as a gap) */
    rx_gap_check(l, now_us - (int64_t)llround((double)n * l->byte_us), now_us);
    bool cut = l->active[LINK_FAULT_ESC_TX];
    if (cut) {
        l->stats.dropped_esc_tx += n;
    } else {
        l->have_rx = true;
        l->last_rx_us = now_us;
        l->rx_now_us = now_us;
        l->stats.bytes_heard += n;
    }
    l->wire_have = true;
    l->wire_last_us = now_us;
    /* Byte by byte, so that every wire decoder event knows each of its bytes' fate. */
    for (size_t i = 0; i < n; i++) {
        size_t slot = (size_t)(l->wire_fed % WIRE_HIST);
        l->wire_got[slot] = !cut;
        l->wire_t[slot] = now_us;
        if (!cut) {
            uint8_t b = l->active[LINK_FAULT_BIT_ERRORS] ? link_flip_bits(l, bytes[i]) : bytes[i];
            l->wire_rx[slot] = b;
            frame_decoder_feed(&l->dec, &b, 1);
        }
        l->wire_fed++;
        frame_decoder_feed(&l->wire_dec, &bytes[i], 1);
    }
}

