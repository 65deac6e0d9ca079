/* test_support.h: helpers shared by the Criterion tests: loading recordings, feeding a decoder
 * in different chunkings, and a small seeded random generator. */
#ifndef BMSRIG_TESTS_SUPPORT_H
#define BMSRIG_TESTS_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

#include "rig/line/capture.h"
#include "sim/frame.h"

/* Rows of a capture CSV under fixtures/. Owned: free with ts_capture_free. Fails the test
 * (cr_assert) if the file is missing or malformed. */
struct ts_capture {
    struct capture_row *rows;
    size_t count;
};
struct ts_capture ts_capture_load(const char *fixture_relpath);
void ts_capture_free(struct ts_capture *c);

/* Deterministic xorshift64* generator. */
struct ts_rng { uint64_t s; };
void ts_rng_seed(struct ts_rng *r, uint64_t seed);
uint64_t ts_rng_next(struct ts_rng *r);
uint32_t ts_rng_below(struct ts_rng *r, uint32_t bound);   /* 0 .. bound-1 */

/* How a test feeds a byte stream. */
enum ts_chunking { TS_WHOLE, TS_BYTE_AT_A_TIME, TS_RANDOM_CHUNKS };

/* Feeds `n` bytes into `d` with the given chunking (random chunks of 1..64 bytes from `seed`). */
void ts_feed(struct frame_decoder *d, const uint8_t *bytes, size_t n, enum ts_chunking how,
             uint64_t seed);

/* Collects valid frames from a decoder: pass ts_collect_event as the callback. */
struct ts_frames {
    struct frame frames[4096];
    uint8_t raw[4096][FRAME_BYTES_MAX];
    size_t raw_len[4096];
    size_t count;
    size_t bad_checksum_events;
    uint16_t last_found, last_expected;
};
void ts_collect_event(void *user, const struct frame_event *ev);

#endif
