/* test_link.c: the in-process wire in virtual time: byte timing, the reply latency model, the
 * receiver's gap reset, conformance through the wire, and every protocol fault checked by
 * decoding what arrived at the ESC side. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rig/line/link.h"
#include "sim/status.h"
#include "test_support.h"

static const uint8_t POLL30[] = { 0x55, 0xAA, 0x03, 0x22, 0x01, 0x30, 0x0C, 0x9D, 0xFF };
static const uint8_t POLL10[] = { 0x55, 0xAA, 0x03, 0x22, 0x01, 0x10, 0x10, 0xB9, 0xFF };
#define BYTE_US (10.0 * 1e6 / 115200.0)

struct rig {
    struct bms_profile p;
    struct bms *b;
    struct link *l;
    struct bms_inputs in;
    int64_t t;
    /* what the ESC side received */
    uint8_t rx[65536];
    int64_t rx_t[65536];
    size_t nrx;
};

static struct rig *rig_new(enum link_latency lat, uint64_t seed)
{
    struct rig *r = calloc(1, sizeof(*r));
    cr_assert_not_null(r);
    char err[128];
    cr_assert_eq(bms_profile_builtin("m365_stock", &r->p, err, sizeof(err)), BMSRIG_OK);
    r->p.wake_silence_ms = 0;
    r->p.sample_ms = 0;   /* the image follows each step: these tests are about the line */
    r->b = bms_new(&r->p, seed);
    bms_set_noise(r->b, false);
    struct link_config lc;
    link_config_default(&lc);
    lc.latency = lat;
    lc.seed = seed;
    r->l = link_new(&lc, r->b);
    cr_assert_not_null(r->l);
    bms_inputs_rest(&r->in, &r->p, 3.7, 25.0);
    bms_step(r->b, 0, 0.01, &r->in);
    return r;
}

static void rig_free(struct rig *r)
{
    link_free(r->l);
    bms_free(r->b);
    free(r);
}

/* Advances virtual time to `until` in 100 us steps, stepping the BMS every 10 ms and collecting
 * what reaches the ESC. */
static void rig_run_to(struct rig *r, int64_t until)
{
    while (r->t < until) {
        int64_t next = r->t + 100;
        if (next > until)
            next = until;
        if (next / 10000 != r->t / 10000)
            bms_step(r->b, next, 0.01, &r->in);
        r->t = next;
        link_advance(r->l, r->t);
        r->nrx += link_esc_recv(r->l, r->t, r->rx + r->nrx, r->rx_t + r->nrx,
                                sizeof(r->rx) - r->nrx);
    }
}

static void rig_send(struct rig *r, const uint8_t *b, size_t n)
{
    cr_assert_eq(link_esc_send(r->l, r->t, b, n), BMSRIG_OK);
}

/* Decodes everything received so far. */
static struct ts_frames *decode_rx(struct rig *r)
{
    struct ts_frames *f = calloc(1, sizeof(*f));
    struct frame_decoder d;
    frame_decoder_init(&d, ts_collect_event, f);
    frame_decoder_feed(&d, r->rx, r->nrx);
    frame_decoder_gap(&d);
    f->bad_checksum_events = (size_t)d.stats.bad_checksum;
    /* reuse last_found to carry the truncated count for the tests */
    f->last_found = (uint16_t)d.stats.truncated;
    return f;
}

/* Sends `polls` polls 210 ms apart and runs to the end. */
static void poll_n(struct rig *r, int polls)
{
    for (int i = 0; i < polls; i++) {
        rig_send(r, POLL30, sizeof(POLL30));
        rig_run_to(r, r->t + 210000);
    }
}

Test(link, reply_bytes_arrive_at_8n1_byte_times_with_latency_off)
{
    struct rig *r = rig_new(LINK_LATENCY_OFF, 1);
    rig_run_to(r, 1000);
    rig_send(r, POLL30, sizeof(POLL30));
    rig_run_to(r, 10000);
    cr_assert_eq(r->nrx, 20);
    double req_end = 1000 + 9 * BYTE_US;
    for (size_t i = 0; i < 20; i++)
        cr_assert_leq(fabs((double)r->rx_t[i] - (req_end + (double)(i + 1) * BYTE_US)), 1.5,
                      "byte %zu at %lld us", i, (long long)r->rx_t[i]);
    struct ts_frames *f = decode_rx(r);
    cr_assert_eq(f->count, 1);
    cr_assert_eq(f->frames[0].addr, 0x25);
    cr_assert_eq(f->frames[0].arg, 0x30);
    cr_assert_arr_eq(f->frames[0].payload, bms_image(r->b) + 0x60, 12);
    free(f);
    rig_free(r);
}

Test(link, recorded_latency_model_matches_the_recording)
{
    struct rig *r = rig_new(LINK_LATENCY_RECORDED, 42);
    int64_t lat[400];
    for (int i = 0; i < 400; i++) {
        size_t before = r->nrx;
        int64_t sent = r->t;
        rig_send(r, POLL30, sizeof(POLL30));
        rig_run_to(r, r->t + 210000);
        cr_assert_eq(r->nrx - before, 20, "poll %d answered", i);
        double start = (double)r->rx_t[before] - BYTE_US;
        lat[i] = (int64_t)llround(start - ((double)sent + 9 * BYTE_US));
    }
    int late = 0, fast_ok = 0;
    int64_t max = 0;
    for (int i = 0; i < 400; i++) {
        if (lat[i] > 4000)
            late++;
        else if (lat[i] >= 195 && lat[i] <= 270)
            fast_ok++;
        if (lat[i] > max)
            max = lat[i];
    }
    cr_assert_eq(late + fast_ok, 400, "every reply is either ~0.21 ms or late");
    cr_assert(late >= 80 && late <= 160, "about 30 %% late, got %d of 400", late);
    cr_assert_leq(max, 35400, "never later than the recording's 35.3 ms (%lld)", (long long)max);
    rig_free(r);
}

Test(link, fixed_latency)
{
    struct link_config lc;
    link_config_default(&lc);
    struct rig *r = rig_new(LINK_LATENCY_FIXED, 1);
    link_free(r->l);
    lc.latency = LINK_LATENCY_FIXED;
    lc.fixed_latency_us = 5000;
    r->l = link_new(&lc, r->b);
    rig_send(r, POLL30, sizeof(POLL30));
    rig_run_to(r, 20000);
    cr_assert_eq(r->nrx, 20);
    double start = (double)r->rx_t[0] - BYTE_US;
    cr_assert_leq(fabs(start - (9 * BYTE_US + 5000)), 2.0, "start %.1f", start);
    rig_free(r);
}

Test(link, same_seed_same_wire)
{
    struct rig *a = rig_new(LINK_LATENCY_RECORDED, 9), *b = rig_new(LINK_LATENCY_RECORDED, 9);
    link_fault_set(a->l, LINK_FAULT_BIT_ERRORS, 0.001);
    link_fault_set(b->l, LINK_FAULT_BIT_ERRORS, 0.001);
    poll_n(a, 50);
    poll_n(b, 50);
    cr_assert_eq(a->nrx, b->nrx);
    cr_assert_arr_eq(a->rx, b->rx, a->nrx);
    cr_assert_arr_eq(a->rx_t, b->rx_t, a->nrx * sizeof(int64_t));
    rig_free(a);
    rig_free(b);
}

Test(link, recording_through_the_wire_byte_identical)
{
    struct ts_capture cap = ts_capture_load("captures/m365_esc_bms_powerup.csv");
    struct rig *r = rig_new(LINK_LATENCY_OFF, 1);
    /* the recording's pack, with its power-up silence */
    bms_free(r->b);
    link_free(r->l);
    memcpy(r->p.serial, "3JAGJ17A8D3660", 15);
    r->p.wake_silence_ms = 590;
    r->b = bms_new(&r->p, 1);
    bms_set_noise(r->b, false);
    bms_set_remaining_mah(r->b, 3697.4);
    struct link_config lc;
    link_config_default(&lc);
    lc.latency = LINK_LATENCY_OFF;
    r->l = link_new(&lc, r->b);
    bms_inputs_rest(&r->in, &r->p, 3.594, 23.0);
    size_t want_replies = 0;
    uint8_t *want = calloc(1, 65536);
    size_t nwant = 0;
    for (size_t i = 0; i < cap.count; i++) {
        const struct capture_row *row = &cap.rows[i];
        if (strcmp(row->check, "ok") != 0)
            continue;
        int64_t t = (int64_t)llround(row->t_s * 1e6);
        if (strcmp(row->line, "bms_tx") == 0) {
            memcpy(want + nwant, row->bytes, row->nbytes);
            nwant += row->nbytes;
            want_replies++;
            continue;
        }
        rig_run_to(r, t);
        /* the current of the reply that follows this request, if any */
        if (i + 1 < cap.count && strcmp(cap.rows[i + 1].line, "bms_tx") == 0 &&
            cap.rows[i + 1].nbytes == 20)
            r->in.current_a = (int16_t)(cap.rows[i + 1].bytes[12] | cap.rows[i + 1].bytes[13] << 8) * 0.01;
        bms_step(r->b, t, 0.0, &r->in);
        rig_send(r, row->bytes, row->nbytes);
    }
    rig_run_to(r, r->t + 100000);
    cr_assert_eq(want_replies, 49);
    cr_assert_eq(r->nrx, nwant, "bytes received %zu, recorded %zu", r->nrx, nwant);
    for (size_t i = 0; i < nwant; i++)
        cr_assert_eq(r->rx[i], want[i], "byte %zu (reply %zu): got %02x want %02x", i, i / 20,
                     r->rx[i], want[i]);
    free(want);
    ts_capture_free(&cap);
    rig_free(r);
}

Test(link, gap_resets_the_receiver)
{
    struct rig *r = rig_new(LINK_LATENCY_OFF, 1);
    rig_send(r, POLL30, 5);          /* half a frame, then silence */
    rig_run_to(r, 5000);
    rig_send(r, POLL30, sizeof(POLL30));
    rig_run_to(r, 20000);
    cr_assert_eq(link_stats(r->l)->gap_resets, 1);
    struct ts_frames *f = decode_rx(r);
    cr_assert_eq(f->count, 1, "the full poll after the gap is answered");
    free(f);
    rig_free(r);
}

/* Replaces r's link with one at `baud` and gap reset `gap_chars` (latency off). */
static void rig_relink(struct rig *r, uint32_t baud, double gap_chars)
{
    link_free(r->l);
    struct link_config lc;
    link_config_default(&lc);
    lc.latency = LINK_LATENCY_OFF;
    lc.baud = baud;
    lc.gap_chars = gap_chars;
    r->l = link_new(&lc, r->b);
    cr_assert_not_null(r->l);
}

/* Issue 16: the gap reset is counted in character times at the line's baud. A fixed 1 ms was
 * shorter than one byte at 9600, so every byte reset the receiver and no request was heard. */
Test(link, gap_reset_is_in_character_times_at_the_baud)
{
    struct link_config lc;
    link_config_default(&lc);
    cr_assert_float_eq(lc.gap_chars, LINK_GAP_CHARS_DEFAULT, 1e-12);
    cr_assert_eq(link_config_gap_us(&lc), 868, "10 characters at 115200");
    lc.baud = 9600;
    cr_assert_eq(link_config_gap_us(&lc), 10417);
    lc.gap_chars = 1.0;
    cr_assert_null(link_new(&lc, NULL), "refused below LINK_GAP_CHARS_MIN (and without a BMS)");

    struct rig *r = rig_new(LINK_LATENCY_OFF, 1);
    rig_relink(r, 9600, LINK_GAP_CHARS_DEFAULT);
    rig_send(r, POLL30, sizeof(POLL30));
    rig_run_to(r, 100000);
    cr_assert_eq(link_stats(r->l)->gap_resets, 0, "back-to-back bytes at 9600 are one frame");
    cr_assert_eq(link_stats(r->l)->frames_heard, 1);
    cr_assert_eq(r->nrx, 20, "answered");
    rig_free(r);
}

/* Bytes from a transport in chunks (link_bms_rx): the silence before a chunk is measured to its
 * first byte, so a chunk's own length on the wire is no gap; the reset comes only after more
 * than gap_chars character times of silence. */
Test(link, chunked_bytes_reset_only_after_the_configured_silence)
{
    struct rig *r = rig_new(LINK_LATENCY_OFF, 1);
    rig_relink(r, 115200, 40.0);                 /* 3472 us */
    const int64_t gap = 3472;
    int64_t t = 1000;
    link_bms_rx(r->l, t, POLL30, 3);
    t += gap - 50 + (int64_t)(6 * BYTE_US);      /* silence just under the reset */
    link_bms_rx(r->l, t, POLL30 + 3, 6);
    cr_assert_eq(link_stats(r->l)->gap_resets, 0);
    cr_assert_eq(link_stats(r->l)->frames_heard, 1, "split below the threshold: still decoded");
    t += 200000;
    link_bms_rx(r->l, t, POLL30, 4);
    link_bms_idle(r->l, t + gap - 10);
    cr_assert_eq(link_stats(r->l)->gap_resets, 0, "not yet");
    link_bms_idle(r->l, t + gap + 10);
    cr_assert_eq(link_stats(r->l)->gap_resets, 1, "more silence than the reset: dropped");
    link_bms_rx(r->l, t + gap + 20, POLL30 + 4, 5);
    cr_assert_eq(link_stats(r->l)->frames_heard, 1, "the rest alone is no frame");
    rig_free(r);
}

Test(link, fault_names_round_trip)
{
    const char *names[] = { "bms_tx", "esc_tx", "reply_delay", "corrupt_checksum", "truncate",
                            "garbage", "stale", "bit_errors", "serial_default", "config_invalid" };
    for (unsigned i = 0; i < 10; i++) {
        enum link_fault f;
        cr_assert_eq(link_fault_parse(names[i], &f), BMSRIG_OK, "%s", names[i]);
        cr_assert_str_eq(link_fault_name(f), names[i]);
    }
    enum link_fault f;
    cr_assert_eq(link_fault_parse("nope", &f), BMSRIG_ERR_ARG);
    struct rig *r = rig_new(LINK_LATENCY_OFF, 1);
    cr_assert_eq(link_fault_set(r->l, LINK_FAULT_CORRUPT_CHECKSUM, 1.5), BMSRIG_ERR_RANGE);
    cr_assert_eq(link_fault_set(r->l, LINK_FAULT_REPLY_DELAY, -1), BMSRIG_ERR_RANGE);
    rig_free(r);
}

Test(link, bms_tx_open_sends_nothing_and_recovers)
{
    struct rig *r = rig_new(LINK_LATENCY_OFF, 1);
    link_fault_set(r->l, LINK_FAULT_BMS_TX, 1);
    poll_n(r, 5);
    cr_assert_eq(r->nrx, 0, "nothing reaches the ESC");
    cr_assert_eq(bms_counters(r->b)->replies, 5, "the BMS itself still answers");
    cr_assert_eq(link_stats(r->l)->dropped_bms_tx, 100);
    link_fault_clear(r->l, LINK_FAULT_BMS_TX);
    poll_n(r, 1);
    struct ts_frames *f = decode_rx(r);
    cr_assert_eq(f->count, 1);
    free(f);
    rig_free(r);
}

Test(link, esc_tx_open_the_bms_hears_nothing)
{
    struct rig *r = rig_new(LINK_LATENCY_OFF, 1);
    link_fault_set(r->l, LINK_FAULT_ESC_TX, 1);
    poll_n(r, 5);
    cr_assert_eq(r->nrx, 0);
    cr_assert_eq(bms_counters(r->b)->requests, 0);
    cr_assert_eq(link_stats(r->l)->dropped_esc_tx, 45);
    link_fault_clear(r->l, LINK_FAULT_ESC_TX);
    poll_n(r, 1);
    cr_assert_eq(r->nrx, 20);
    rig_free(r);
}

Test(link, reply_delay_moves_the_reply_later)
{
    struct rig *r = rig_new(LINK_LATENCY_OFF, 1);
    link_fault_set(r->l, LINK_FAULT_REPLY_DELAY, 0.150);
    rig_send(r, POLL30, sizeof(POLL30));
    rig_run_to(r, 140000);
    cr_assert_eq(r->nrx, 0, "nothing within 140 ms");
    rig_run_to(r, 200000);
    cr_assert_eq(r->nrx, 20);
    double start = (double)r->rx_t[0] - BYTE_US;
    cr_assert_leq(fabs(start - (9 * BYTE_US + 150000)), 2.0);
    rig_free(r);
}

Test(link, corrupt_checksum_makes_replies_fail_their_checksum)
{
    struct rig *r = rig_new(LINK_LATENCY_OFF, 3);
    link_fault_set(r->l, LINK_FAULT_CORRUPT_CHECKSUM, 1.0);
    poll_n(r, 10);
    struct ts_frames *f = decode_rx(r);
    cr_assert_eq(f->count, 0);
    cr_assert_eq(f->bad_checksum_events, 10);
    free(f);
    link_fault_set(r->l, LINK_FAULT_CORRUPT_CHECKSUM, 0.5);
    r->nrx = 0;
    poll_n(r, 200);
    f = decode_rx(r);
    cr_assert_eq(f->count + f->bad_checksum_events, 200);
    cr_assert(f->count > 70 && f->count < 130, "about half good: %zu", f->count);
    free(f);
    rig_free(r);
}

Test(link, truncate_cuts_replies_short)
{
    struct rig *r = rig_new(LINK_LATENCY_OFF, 4);
    link_fault_set(r->l, LINK_FAULT_TRUNCATE, 1.0);
    size_t total = 0;
    for (int i = 0; i < 20; i++) {
        size_t before = r->nrx;
        poll_n(r, 1);
        size_t got = r->nrx - before;
        cr_assert(got >= 1 && got < 20, "poll %d: %zu bytes", i, got);
        total += got;
        /* decode each reply on its own, as a receiver with a gap would */
        struct frame_decoder d;
        struct ts_frames *f = calloc(1, sizeof(*f));
        frame_decoder_init(&d, ts_collect_event, f);
        frame_decoder_feed(&d, r->rx + before, got);
        frame_decoder_gap(&d);
        cr_assert_eq(f->count, 0);
        free(f);
    }
    cr_assert_lt(total, 20 * 20);
    rig_free(r);
}

Test(link, garbage_precedes_replies_without_hiding_them)
{
    struct rig *r = rig_new(LINK_LATENCY_OFF, 5);
    link_fault_set(r->l, LINK_FAULT_GARBAGE, 1.0);
    poll_n(r, 20);
    cr_assert_gt(r->nrx, 20 * 20, "extra bytes arrived");
    struct frame_decoder d;
    struct ts_frames *f = calloc(1, sizeof(*f));
    frame_decoder_init(&d, ts_collect_event, f);
    frame_decoder_feed(&d, r->rx, r->nrx);
    cr_assert_eq(f->count, 20, "every reply still decodes");
    cr_assert_eq(d.stats.garbage_bytes, r->nrx - 400);
    cr_assert_eq(link_stats(r->l)->garbage_bursts, 20);
    free(f);
    rig_free(r);
}

Test(link, stale_freezes_the_image)
{
    struct rig *r = rig_new(LINK_LATENCY_OFF, 1);
    poll_n(r, 1);
    link_fault_set(r->l, LINK_FAULT_STALE, 1);
    for (unsigned g = 0; g < 10; g++)
        r->in.group_v[g] = 3.9;
    r->in.current_a = 5.0;
    rig_run_to(r, r->t + 100000);
    poll_n(r, 1);
    link_fault_clear(r->l, LINK_FAULT_STALE);
    rig_run_to(r, r->t + 100000);
    poll_n(r, 1);
    struct ts_frames *f = decode_rx(r);
    cr_assert_eq(f->count, 3);
    cr_assert_arr_eq(f->frames[0].payload, f->frames[1].payload, 12, "frozen while stale");
    uint16_t v = (uint16_t)(f->frames[2].payload[8] | f->frames[2].payload[9] << 8);
    cr_assert_eq(v, 3900, "fresh after clearing");
    int16_t c = (int16_t)(f->frames[2].payload[6] | f->frames[2].payload[7] << 8);
    cr_assert_eq(c, 500);
    free(f);
    rig_free(r);
}

Test(link, bit_errors_damage_frames_at_their_rate)
{
    struct rig *r = rig_new(LINK_LATENCY_OFF, 6);
    link_fault_set(r->l, LINK_FAULT_BIT_ERRORS, 0.0);
    poll_n(r, 20);
    struct ts_frames *f = decode_rx(r);
    cr_assert_eq(f->count, 20, "BER 0: all good");
    free(f);
    r->nrx = 0;
    link_fault_set(r->l, LINK_FAULT_BIT_ERRORS, 0.002);
    poll_n(r, 300);
    f = decode_rx(r);
    /* a poll (72 bits) and its reply (160 bits) both have to survive: 0.998^232 = 63 % */
    cr_assert(f->count > 150 && f->count < 240, "about 63 %% of 300 good, got %zu", f->count);
    cr_assert_gt(link_stats(r->l)->bit_flips, 50);
    free(f);
    rig_free(r);
}

Test(link, serial_default_and_config_invalid_show_on_the_wire)
{
    struct rig *r = rig_new(LINK_LATENCY_OFF, 1);
    link_fault_set(r->l, LINK_FAULT_SERIAL_DEFAULT, 1);
    link_fault_set(r->l, LINK_FAULT_CONFIG_INVALID, 1);
    rig_send(r, POLL10, sizeof(POLL10));
    rig_run_to(r, r->t + 20000);
    rig_send(r, POLL30, sizeof(POLL30));
    rig_run_to(r, r->t + 20000);
    link_fault_clear(r->l, LINK_FAULT_SERIAL_DEFAULT);
    link_fault_clear(r->l, LINK_FAULT_CONFIG_INVALID);
    rig_send(r, POLL10, sizeof(POLL10));
    rig_run_to(r, r->t + 20000);
    rig_send(r, POLL30, sizeof(POLL30));
    rig_run_to(r, r->t + 20000);
    struct ts_frames *f = decode_rx(r);
    cr_assert_eq(f->count, 4);
    cr_assert_arr_eq(f->frames[0].payload, REGMAP_BMS_DEFAULT_SERIAL, 14);
    cr_assert_eq(f->frames[0].payload[14] | f->frames[0].payload[15] << 8, 0x0115, "fw untouched");
    cr_assert_eq(f->frames[1].payload[0] & 1, 0, "status bit 0 clear: ESC error 22");
    cr_assert_arr_eq(f->frames[2].payload, r->p.serial, 14);
    cr_assert_eq(f->frames[3].payload[0] & 1, 1);
    free(f);
    rig_free(r);
}
