/* test_frame.c: the 55 AA frame encoder and streaming decoder, against the real recordings,
 * the worked examples of protocol.md section 2.3, and garbage, under several chunkings. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "sim/frame.h"
#include "sim/regmap.h"
#include "sim/status.h"
#include "test_support.h"

static const char *const recordings[] = {
    "captures/m365_esc_bms_powerup.csv",
    "captures/m365_esc_no_bms_reply.csv",
    "captures/commercial_bms_emulator_replies.csv",
};
static const enum ts_chunking chunkings[] = { TS_WHOLE, TS_BYTE_AT_A_TIME, TS_RANDOM_CHUNKS };

static size_t hex_to_bytes(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    cr_assert_eq(capture_parse_hex(hex, out, cap, &n), BMSRIG_OK, "bad hex in test: %s", hex);
    return n;
}

/* Decodes `hex` as one whole input; returns the collected frames (static storage). */
static struct ts_frames *decode_hex(const char *hex, enum ts_chunking how)
{
    static struct ts_frames got;
    memset(&got, 0, sizeof(got));
    uint8_t bytes[FRAME_BYTES_MAX * 4];
    size_t n = hex_to_bytes(hex, bytes, sizeof(bytes));
    struct frame_decoder d;
    frame_decoder_init(&d, ts_collect_event, &got);
    ts_feed(&d, bytes, n, how, 7);
    frame_decoder_gap(&d);
    return &got;
}

Test(frame, recordings_roundtrip_row_by_row)
{
    for (size_t r = 0; r < sizeof(recordings) / sizeof(recordings[0]); r++) {
        struct ts_capture cap = ts_capture_load(recordings[r]);
        cr_assert_gt(cap.count, 0);
        for (size_t c = 0; c < 3; c++) {
            for (size_t i = 0; i < cap.count; i++) {
                const struct capture_row *row = &cap.rows[i];
                struct ts_frames *got = calloc(1, sizeof(*got));
                struct frame_decoder d;
                frame_decoder_init(&d, ts_collect_event, got);
                ts_feed(&d, row->bytes, row->nbytes, chunkings[c], i + 1);
                frame_decoder_gap(&d);
                if (strcmp(row->check, "ok") == 0) {
                    cr_assert_eq(got->count, 1, "%s:%u: valid row gave %zu frames", recordings[r],
                                 row->lineno, got->count);
                    uint8_t again[FRAME_BYTES_MAX];
                    size_t n = 0;
                    cr_assert_eq(frame_encode(&got->frames[0], again, sizeof(again), &n), BMSRIG_OK);
                    cr_assert_eq(n, row->nbytes);
                    cr_assert_arr_eq(again, row->bytes, n, "%s:%u: re-encoding differs",
                                     recordings[r], row->lineno);
                } else {
                    cr_assert_eq(got->count, 0, "%s:%u: a %s row was accepted", recordings[r],
                                 row->lineno, row->check);
                    cr_assert_eq(d.stats.bad_checksum + d.stats.truncated, 1);
                }
                free(got);
            }
        }
        ts_capture_free(&cap);
    }
}

/* The whole recording as one byte stream, as a UART would deliver it. */
Test(frame, recordings_as_streams_under_every_chunking)
{
    for (size_t r = 0; r < sizeof(recordings) / sizeof(recordings[0]); r++) {
        struct ts_capture cap = ts_capture_load(recordings[r]);
        size_t total = 0, ok = 0;
        uint8_t *stream = malloc(cap.count * FRAME_BYTES_MAX);
        for (size_t i = 0; i < cap.count; i++) {
            /* The cut frames at the end go in too: they must not disturb what precedes them. */
            memcpy(stream + total, cap.rows[i].bytes, cap.rows[i].nbytes);
            total += cap.rows[i].nbytes;
            ok += strcmp(cap.rows[i].check, "ok") == 0;
        }
        for (size_t c = 0; c < 3; c++) {
            struct ts_frames *got = calloc(1, sizeof(*got));
            struct frame_decoder d;
            frame_decoder_init(&d, ts_collect_event, got);
            ts_feed(&d, stream, total, chunkings[c], 99 + c);
            frame_decoder_gap(&d);
            cr_assert_eq(got->count, ok, "%s chunking %zu: %zu frames, want %zu", recordings[r], c,
                         got->count, ok);
            size_t k = 0;
            for (size_t i = 0; i < cap.count; i++) {
                if (strcmp(cap.rows[i].check, "ok") != 0)
                    continue;
                cr_assert_arr_eq(got->raw[k], cap.rows[i].bytes, cap.rows[i].nbytes);
                k++;
            }
            free(got);
        }
        free(stream);
        ts_capture_free(&cap);
    }
}

Test(frame, two_way_recording_has_138_valid_and_2_cut)
{
    struct ts_capture cap = ts_capture_load("captures/m365_esc_bms_powerup.csv");
    size_t valid = 0, bad = 0;
    for (size_t i = 0; i < cap.count; i++) {
        struct frame_decoder d;
        frame_decoder_init(&d, NULL, NULL);
        frame_decoder_feed(&d, cap.rows[i].bytes, cap.rows[i].nbytes);
        frame_decoder_gap(&d);
        valid += d.stats.frames;
        bad += d.stats.bad_checksum + d.stats.truncated + d.stats.bad_length;
    }
    cr_assert_eq(valid, 138);
    cr_assert_eq(bad, 2);
    ts_capture_free(&cap);
}

/* ---- protocol.md section 2.3 worked examples ---------------------------------------------- */

static uint16_t word_at(const struct frame *f, unsigned word)
{
    size_t off = 2u * (word - f->arg);
    cr_assert_leq(off + 2, f->payload_len);
    return (uint16_t)(f->payload[off] | (f->payload[off + 1] << 8));
}

Test(frame, example_1_and_3_requests)
{
    struct ts_frames *got = decode_hex("55 AA 03 22 01 10 10 B9 FF", TS_BYTE_AT_A_TIME);
    cr_assert_eq(got->count, 1);
    cr_assert_eq(got->frames[0].addr, FRAME_ADDR_TO_BMS);
    cr_assert_eq(got->frames[0].cmd, FRAME_CMD_READ);
    cr_assert_eq(got->frames[0].arg, 0x10);
    cr_assert_eq(got->frames[0].payload_len, 1);
    cr_assert_eq(got->frames[0].payload[0], 16);

    got = decode_hex("55 AA 03 22 01 30 0C 9D FF", TS_WHOLE);
    cr_assert_eq(got->count, 1);
    cr_assert_eq(got->frames[0].arg, 0x30);
    cr_assert_eq(got->frames[0].payload[0], 12);
}

Test(frame, example_2_serial_and_firmware)
{
    struct ts_frames *got = decode_hex(
        "55 AA 12 25 01 10 33 4A 41 47 4A 31 37 41 38 44 33 36 36 30 15 01 5E FC", TS_RANDOM_CHUNKS);
    cr_assert_eq(got->count, 1);
    const struct frame *f = &got->frames[0];
    cr_assert_eq(f->addr, FRAME_ADDR_FROM_BMS);
    cr_assert_eq(f->payload_len, 16);
    cr_assert_arr_eq(f->payload, "3JAGJ17A8D3660", 14);
    cr_assert_eq(word_at(f, BMS_W_FW), 0x0115);
}

Test(frame, example_4_status_reply)
{
    struct ts_frames *got =
        decode_hex("55 AA 0E 25 01 30 01 00 71 0E 2F 00 03 00 0A 0E 2B 2B 7B FE", TS_BYTE_AT_A_TIME);
    cr_assert_eq(got->count, 1);
    const struct frame *f = &got->frames[0];
    cr_assert_eq(word_at(f, BMS_W_STATUS), 0x0001);
    cr_assert_eq(word_at(f, BMS_W_REMAINING), 3697);
    cr_assert_eq(word_at(f, BMS_W_SOC), 47);
    cr_assert_eq((int16_t)word_at(f, BMS_W_CURRENT), 3);     /* +30 mA */
    cr_assert_eq(word_at(f, BMS_W_VOLTAGE), 3594);           /* 35.94 V */
    cr_assert_eq(f->payload[10] - 20, 23);
    cr_assert_eq(f->payload[11] - 20, 23);
}

Test(frame, example_5_remaining_capacity_read)
{
    struct ts_frames *got = decode_hex("55 AA 03 22 01 31 0A 9E FF", TS_WHOLE);
    cr_assert_eq(got->count, 1);
    got = decode_hex("55 AA 0C 25 01 31 36 1E 63 00 01 00 09 10 31 31 69 FE", TS_RANDOM_CHUNKS);
    cr_assert_eq(got->count, 1);
    const struct frame *f = &got->frames[0];
    cr_assert_eq(word_at(f, BMS_W_REMAINING), 7734);
    cr_assert_eq(word_at(f, BMS_W_SOC), 99);
    cr_assert_eq((int16_t)word_at(f, BMS_W_CURRENT), 1);
    cr_assert_eq(word_at(f, BMS_W_VOLTAGE), 4105);
    cr_assert_eq(f->payload[8] - 20, 29);
    cr_assert_eq(f->payload[9] - 20, 29);
}

Test(frame, example_6_cell_voltages)
{
    /* Build the reply from its stated content and check the stated checksum FE75. */
    static const uint16_t cells[10] = { 4098, 4106, 4107, 4105, 4102, 4109, 4110, 4109, 4111, 4103 };
    uint8_t payload[30] = { 0 };
    for (int i = 0; i < 10; i++) {
        payload[2 * i] = (uint8_t)(cells[i] & 0xFF);
        payload[2 * i + 1] = (uint8_t)(cells[i] >> 8);
    }
    struct frame f;
    cr_assert_eq(frame_make(&f, FRAME_ADDR_FROM_BMS, FRAME_CMD_READ, 0x40, payload, 30), BMSRIG_OK);
    uint8_t wire[FRAME_BYTES_MAX];
    size_t n = 0;
    cr_assert_eq(frame_encode(&f, wire, sizeof(wire), &n), BMSRIG_OK);
    cr_assert_eq(n, 38);
    cr_assert_eq(wire[2], 0x20);
    cr_assert_eq(wire[n - 2], 0x75);
    cr_assert_eq(wire[n - 1], 0xFE);
    struct ts_frames *got = decode_hex("55 AA 03 22 01 40 1E 7B FF", TS_WHOLE);
    cr_assert_eq(got->count, 1);
    cr_assert_eq(got->frames[0].payload[0], 30);
}

Test(frame, example_7_and_8)
{
    cr_assert_eq(decode_hex("55 AA 03 20 01 B0 20 0B FF", TS_WHOLE)->count, 1);
    struct ts_frames *got = decode_hex("55 AA 06 25 01 1B 01 00 03 00 B4 FF", TS_BYTE_AT_A_TIME);
    cr_assert_eq(got->count, 1);
    cr_assert_eq(word_at(&got->frames[0], BMS_W_CYCLES), 1);
    cr_assert_eq(word_at(&got->frames[0], BMS_W_CHARGES), 3);
    got = decode_hex("55 AA 08 25 01 20 A2 22 00 00 00 00 ED FE", TS_WHOLE);
    cr_assert_eq(got->count, 1);
    uint16_t date = word_at(&got->frames[0], BMS_W_DATE);
    cr_assert_eq(2000 + (date >> 9), 2017);
    cr_assert_eq((date >> 5) & 0xF, 5);
    cr_assert_eq(date & 0x1F, 2);
    got = decode_hex("55 AA 04 25 01 3B 62 00 38 FF", TS_WHOLE);
    cr_assert_eq(got->count, 1);
    cr_assert_eq(word_at(&got->frames[0], BMS_W_HEALTH), 98);
}

Test(frame, wrong_checksum_frame_reports_expected)
{
    struct ts_frames *got = decode_hex("55AA0E2501300100000000000000E100282891FE", TS_BYTE_AT_A_TIME);
    cr_assert_eq(got->count, 0);
    cr_assert_eq(got->bad_checksum_events, 1);
    cr_assert_eq(got->last_found, 0xFE91);
    cr_assert_eq(got->last_expected, 0xFE69);   /* on the wire: 69 FE */
    /* The commercial emulator's version of the same body, with 69 FE, is accepted. */
    cr_assert_eq(decode_hex("55AA0E2501300100000000000000E100282869FE", TS_WHOLE)->count, 1);
}

/* ---- garbage, lengths, gaps ---------------------------------------------------------------- */

Test(frame, garbage_between_frames_never_hides_a_frame)
{
    static const char *const valid[] = {
        "55AA0322011010B9FF",
        "55AA0E2501300100710E2F0003000A0E2B2B7BFE",
        "55AA12250110334A41474A31374138443336363015015EFC",
        "55AA032201300C9DFF",
    };
    uint8_t frames[4][FRAME_BYTES_MAX];
    size_t flen[4];
    for (int i = 0; i < 4; i++)
        flen[i] = hex_to_bytes(valid[i], frames[i], sizeof(frames[i]));

    for (uint64_t seed = 1; seed <= 200; seed++) {
        struct ts_rng rng;
        ts_rng_seed(&rng, seed);
        static uint8_t stream[1 << 16];
        size_t n = 0, expected = 0;
        for (int k = 0; k < 40; k++) {
            /* Garbage: random bytes with stray 55 and 55 AA (sometimes with a length byte). */
            size_t g = ts_rng_below(&rng, 12);
            for (size_t i = 0; i < g; i++) {
                uint32_t pick = ts_rng_below(&rng, 6);
                if (pick == 0) {
                    stream[n++] = 0x55;
                } else if (pick == 1) {
                    stream[n++] = 0x55;
                    stream[n++] = 0xAA;
                } else {
                    stream[n++] = (uint8_t)ts_rng_next(&rng);
                }
            }
            int which = (int)ts_rng_below(&rng, 4);
            memcpy(stream + n, frames[which], flen[which]);
            n += flen[which];
            expected++;
        }
        for (size_t c = 0; c < 3; c++) {
            struct ts_frames *got = calloc(1, sizeof(*got));
            struct frame_decoder d;
            frame_decoder_init(&d, ts_collect_event, got);
            ts_feed(&d, stream, n, chunkings[c], seed);
            frame_decoder_gap(&d);
            /* Garbage can form a frame of its own by chance, never hide a real one. */
            cr_assert_geq(got->count, expected, "seed %llu chunking %zu: %zu of %zu frames",
                          (unsigned long long)seed, c, got->count, expected);
            free(got);
        }
    }
}

Test(frame, impossible_lengths_are_rejected)
{
    struct frame_decoder d;
    frame_decoder_init(&d, NULL, NULL);
    uint8_t zero[] = { 0x55, 0xAA, 0x00, 0x55, 0xAA, 0x01 };
    frame_decoder_feed(&d, zero, sizeof(zero));
    frame_decoder_gap(&d);
    cr_assert_eq(d.stats.bad_length, 2);
    cr_assert_eq(d.stats.frames, 0);

    /* With a lowered limit, a long-length start is rejected at once, not waited on. */
    frame_decoder_init(&d, NULL, NULL);
    cr_assert_eq(frame_decoder_set_len_max(&d, 64), BMSRIG_OK);
    cr_assert_eq(frame_decoder_set_len_max(&d, 1), BMSRIG_ERR_ARG);
    uint8_t stream[64];
    size_t n = 0;
    stream[n++] = 0x55;
    stream[n++] = 0xAA;
    stream[n++] = 0xF0;
    n += hex_to_bytes("55AA0322011010B9FF", stream + n, sizeof(stream) - n);
    frame_decoder_feed(&d, stream, n);
    cr_assert_eq(d.stats.bad_length, 1);
    cr_assert_eq(d.stats.frames, 1, "frame after a bad length must come out without a gap");
}

Test(frame, gap_truncates_a_partial_frame_and_resyncs)
{
    struct ts_frames *got = calloc(1, sizeof(*got));
    struct frame_decoder d;
    frame_decoder_init(&d, ts_collect_event, got);
    uint8_t part[] = { 0x55, 0xAA, 0x0E, 0x25, 0x01, 0x30, 0x01 };
    frame_decoder_feed(&d, part, sizeof(part));
    cr_assert_eq(d.stats.truncated, 0);
    frame_decoder_gap(&d);
    cr_assert_eq(d.stats.truncated, 1);
    uint8_t whole[16];
    size_t n = hex_to_bytes("55AA032201300C9DFF", whole, sizeof(whole));
    frame_decoder_feed(&d, whole, n);
    cr_assert_eq(got->count, 1);
    /* A gap with nothing pending changes nothing. */
    frame_decoder_gap(&d);
    cr_assert_eq(d.stats.truncated, 1);
    free(got);
}

Test(frame, a_frame_inside_a_false_start_is_found_at_the_gap)
{
    /* 55 AA FF claims 255 bytes; the real frame behind it must still come out at the gap. */
    uint8_t stream[32];
    size_t n = 0;
    stream[n++] = 0x55;
    stream[n++] = 0xAA;
    stream[n++] = 0xFF;
    n += hex_to_bytes("55AA0322011010B9FF", stream + n, sizeof(stream) - n);
    struct frame_decoder d;
    frame_decoder_init(&d, NULL, NULL);
    frame_decoder_feed(&d, stream, n);
    cr_assert_eq(d.stats.frames, 0);
    frame_decoder_gap(&d);
    cr_assert_eq(d.stats.frames, 1);
    cr_assert_eq(d.stats.truncated, 1);
}

/* ---- encoder limits ------------------------------------------------------------------------ */

Test(frame, encoder_handles_every_length_up_to_the_largest)
{
    uint8_t payload[FRAME_PAYLOAD_MAX];
    for (size_t i = 0; i < sizeof(payload); i++)
        payload[i] = (uint8_t)(i * 37u);
    for (size_t len = 0; len <= FRAME_PAYLOAD_MAX; len++) {
        struct frame f;
        cr_assert_eq(frame_make(&f, 0x25, 0x01, 0x40, payload, len), BMSRIG_OK);
        uint8_t wire[FRAME_BYTES_MAX];
        size_t n = 0;
        cr_assert_eq(frame_encode(&f, wire, sizeof(wire), &n), BMSRIG_OK);
        cr_assert_eq(n, len + 8);
        cr_assert_eq(wire[2], len + 2);
        struct ts_frames *got = calloc(1, sizeof(*got));
        struct frame_decoder d;
        frame_decoder_init(&d, ts_collect_event, got);
        frame_decoder_feed(&d, wire, n);
        cr_assert_eq(got->count, 1, "length %zu", len);
        cr_assert_eq(got->frames[0].payload_len, len);
        cr_assert_arr_eq(got->frames[0].payload, payload, len);
        free(got);
    }
    struct frame f;
    cr_assert_eq(frame_make(&f, 0x25, 0x01, 0x40, payload, FRAME_PAYLOAD_MAX + 1), BMSRIG_ERR_ARG);
    cr_assert_eq(frame_make(&f, 0x25, 0x01, 0x40, payload, 4), BMSRIG_OK);
    uint8_t small[11];
    size_t n = 0;
    cr_assert_eq(frame_encode(&f, small, sizeof(small), &n), BMSRIG_ERR_ARG);
}
