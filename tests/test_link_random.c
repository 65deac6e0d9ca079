/* test_link_random.c: the BMS model behind the in-process link, fed random garbage, random
 * frames and random fault settings interleaved with clean polls, in virtual time, built with
 * AddressSanitizer and UBSan. Every clean poll sent after an idle gap with no fault active
 * must be answered with a valid 0x30 reply. Usage: test_link_random_asan [ROUNDS] */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rig/line/link.h"
#include "sim/bms.h"
#include "sim/rng.h"

static uint64_t rng_state = 0x9E3779B97F4A7C15u;

static uint64_t next(void)
{
    return rng_next(&rng_state);
}

static const uint8_t POLL30[] = { 0x55, 0xAA, 0x03, 0x22, 0x01, 0x30, 0x0C, 0x9D, 0xFF };

struct seen {
    unsigned long replies30;
};

static void on_event(void *user, const struct frame_event *ev)
{
    struct seen *s = user;
    volatile uint8_t sink = 0;
    for (size_t i = 0; i < ev->raw_len; i++)
        sink ^= ev->raw[i];
    (void)sink;
    if (ev->kind == FRAME_EV_FRAME && ev->frame->addr == 0x25 && ev->frame->cmd == 0x01 &&
        ev->frame->arg == 0x30 && ev->frame->payload_len == 12)
        s->replies30++;
}

int main(int argc, char **argv)
{
    long rounds = argc > 1 ? strtol(argv[1], NULL, 10) : 20000;
    struct bms_profile p;
    if (bms_profile_builtin("m365_stock", &p, NULL, 0) != 0)
        return 2;
    p.wake_silence_ms = 0;
    struct bms *b = bms_new(&p, 3);
    struct link_config lc;
    link_config_default(&lc);
    lc.seed = 11;
    struct link *l = link_new(&lc, b);
    if (!b || !l)
        return 2;
    struct bms_inputs in;
    bms_inputs_rest(&in, &p, 3.7, 25.0);
    struct seen s = { 0 };
    struct frame_decoder d;
    frame_decoder_init(&d, on_event, &s);
    int64_t t = 0;
    unsigned long clean_polls = 0, lost = 0;
    uint8_t buf[4096];
    for (long r = 0; r < rounds; r++) {
        unsigned what = (unsigned)(next() % 8);
        if (what < 3) {                       /* garbage burst */
            size_t n = 1 + next() % 300;
            for (size_t i = 0; i < n; i++)
                buf[i] = (uint8_t)(next() >> 56);
            link_esc_send(l, t, buf, n);
        } else if (what == 3) {              /* a random, valid frame to any address */
            struct frame f;
            uint8_t pl[32];
            size_t pn = next() % sizeof(pl);
            for (size_t i = 0; i < pn; i++)
                pl[i] = (uint8_t)next();
            frame_make(&f, (uint8_t)(0x20 + next() % 6), (uint8_t)(next() % 4), (uint8_t)next(),
                       pl, pn);
            size_t n = 0;
            frame_encode(&f, buf, sizeof(buf), &n);
            link_esc_send(l, t, buf, n);
        } else if (what == 4) {              /* toggle a random fault */
            enum link_fault f = (enum link_fault)(next() % LINK_FAULT_COUNT);
            if (next() % 2)
                link_fault_set(l, f, (double)(next() % 1000) / 1000.0 * 0.2);
            else
                link_fault_clear(l, f);
        } else {                             /* a clean poll after an idle gap */
            if (next() % 2)                  /* often start from a clean line */
                for (unsigned f = 0; f < LINK_FAULT_COUNT; f++)
                    link_fault_clear(l, (enum link_fault)f);
            /* let everything in flight settle, then 40 ms of idle line */
            for (int k = 0; k < 5000 && link_next_event_us(l) != INT64_MAX; k++) {
                t += 2000;
                link_advance(l, t);
                bms_step(b, t, 0.002, &in);
                size_t n = link_esc_recv(l, t, buf, NULL, sizeof(buf));
                frame_decoder_feed(&d, buf, n);
            }
            for (int k = 0; k < 20; k++) {
                t += 2000;
                link_advance(l, t);
                bms_step(b, t, 0.002, &in);
                size_t n = link_esc_recv(l, t, buf, NULL, sizeof(buf));
                frame_decoder_feed(&d, buf, n);
            }
            frame_decoder_gap(&d);
            bool clean = true;
            for (unsigned f = 0; f < LINK_FAULT_COUNT; f++)
                if (link_fault_active(l, (enum link_fault)f) && f != LINK_FAULT_STALE &&
                    f != LINK_FAULT_SERIAL_DEFAULT && f != LINK_FAULT_CONFIG_INVALID)
                    clean = false;
            unsigned long before = s.replies30;
            link_esc_send(l, t, POLL30, sizeof(POLL30));
            for (int k = 0; k < 25; k++) {
                t += 2000;
                link_advance(l, t);
                size_t n = link_esc_recv(l, t, buf, NULL, sizeof(buf));
                frame_decoder_feed(&d, buf, n);
            }
            frame_decoder_gap(&d);
            if (clean) {
                clean_polls++;
                if (s.replies30 == before)
                    lost++;
            }
        }
        t += (int64_t)(next() % 3000);
        link_advance(l, t);
        size_t n = link_esc_recv(l, t, buf, NULL, sizeof(buf));
        frame_decoder_feed(&d, buf, n);
        in.current_a = (double)((int)(next() % 200) - 50) / 10.0;
        bms_step(b, t, 0.001, &in);
    }
    link_free(l);
    bms_free(b);
    printf("link random: %ld rounds, %lu clean polls, %lu lost\n", rounds, clean_polls, lost);
    return (lost == 0 && clean_polls > 0) ? 0 : 1;
}
