/* test_frame_random.c: feeds the frame decoder random bytes and mutated frames in random
 * chunks, built with AddressSanitizer and UBSan: any out-of-bounds access aborts the test.
 * Usage: test_frame_random_asan [ITERATIONS] */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/frame.h"
#include "sim/rng.h"

static uint64_t rng_state = 0x243F6A8885A308D3u;

static uint64_t next(void)
{
    return rng_next(&rng_state);
}

static size_t frames_seen;

static void on_event(void *user, const struct frame_event *ev)
{
    (void)user;
    /* Touch every byte the event points at, so ASan sees any overrun. */
    volatile uint8_t sink = 0;
    for (size_t i = 0; i < ev->raw_len; i++)
        sink ^= ev->raw[i];
    if (ev->kind == FRAME_EV_FRAME) {
        for (size_t i = 0; i < ev->frame->payload_len; i++)
            sink ^= ev->frame->payload[i];
        frames_seen++;
    }
    (void)sink;
}

int main(int argc, char **argv)
{
    long iterations = argc > 1 ? atol(argv[1]) : 1000000;
    struct frame_decoder d;
    frame_decoder_init(&d, on_event, NULL);
    uint8_t buf[1024];
    long fed = 0;
    while (fed < iterations) {
        size_t n = 1 + next() % sizeof(buf);
        for (size_t i = 0; i < n; i++) {
            uint64_t r = next();
            /* Bias towards sync bytes and small lengths so the deep paths run. */
            buf[i] = (r & 7) == 0 ? 0x55 : (r & 7) == 1 ? 0xAA : (uint8_t)(r >> 8);
        }
        if (next() % 4 == 0) {
            /* Splice in a valid frame, sometimes with one byte flipped. */
            struct frame f;
            uint8_t payload[FRAME_PAYLOAD_MAX];
            size_t plen = next() % 40;
            for (size_t i = 0; i < plen; i++)
                payload[i] = (uint8_t)next();
            frame_make(&f, 0x25, 0x01, (uint8_t)next(), payload, plen);
            size_t at = next() % n, len = 0;
            uint8_t wire[FRAME_BYTES_MAX];
            frame_encode(&f, wire, sizeof(wire), &len);
            if (next() % 2)
                wire[next() % len] ^= (uint8_t)(1u << (next() % 8));
            size_t fit = len < sizeof(buf) - at ? len : sizeof(buf) - at;
            memcpy(buf + at, wire, fit);
        }
        size_t pos = 0;
        while (pos < n) {
            size_t step = 1 + next() % 300;
            if (step > n - pos)
                step = n - pos;
            frame_decoder_feed(&d, buf + pos, step);
            pos += step;
            if (next() % 16 == 0)
                frame_decoder_gap(&d);
        }
        fed += (long)n;
    }
    frame_decoder_gap(&d);
    printf("fed %ld bytes: %zu frames, %llu bad checksum, %llu bad length, %llu truncated\n", fed,
           frames_seen, (unsigned long long)d.stats.bad_checksum,
           (unsigned long long)d.stats.bad_length, (unsigned long long)d.stats.truncated);
    if (frames_seen == 0) {
        fprintf(stderr, "no valid frame decoded: the generator or decoder is broken\n");
        return 1;
    }
    return 0;
}
