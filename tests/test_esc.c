/* test_esc.c: the virtual controller on its BMS bus: boot handshake and poll timing against the
 * two real recordings, the 25-miss rule and reply window, and the error rules (21, 22, 23, 24,
 * 35, 39, lowest number wins), with a canned-reply BMS peer (tests/esc_peer.c). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esc_peer.h"
#include "sim/status.h"
#include "test_support.h"

static const uint8_t REQ10[9] = { 0x55, 0xAA, 0x03, 0x22, 0x01, 0x10, 0x10, 0xB9, 0xFF };
static const uint8_t REQ30[9] = { 0x55, 0xAA, 0x03, 0x22, 0x01, 0x30, 0x0C, 0x9D, 0xFF };

#define S(x) ((int64_t)((x) * 1e6))

/* ---- against a silent BMS ------------------------------------------------------------------ */

Test(esc, silent_bms_gives_501_requests_15ms_apart_then_silence)
{
    struct peer p;
    peer_init(&p, NULL);
    p.silent = true;
    esc_power_on(p.e, 0);
    peer_run(&p, S(20.0));
    int64_t t[1024];
    size_t n = peer_request_times(&p, t, 1024);
    cr_assert_eq(n, 501, "requests: %zu", n);
    for (size_t i = 0; i < p.nlog; i++) {
        if (p.log[i].line != ESC_LINE_BMS)
            continue;
        cr_assert_eq(p.log[i].n, 9);
        cr_assert_eq(memcmp(p.log[i].bytes, REQ10, 9), 0, "request %zu is not 55 AA 03 22 01 10 10 B9 FF", i);
    }
    for (size_t i = 1; i < n; i++) {
        double dt_ms = (double)(t[i] - t[i - 1]) / 1000.0;
        cr_assert(fabs(dt_ms - 15.0) <= 0.5, "interval %zu: %.3f ms", i, dt_ms);
    }
    /* First request ~0.589 s after power-on; the last ~7.5 s later; nothing after it. */
    cr_assert(t[0] >= S(0.580) && t[0] <= S(0.600), "first request at %lld us", (long long)t[0]);
    double span = (double)(t[n - 1] - t[0]) * 1e-6;
    cr_assert(span > 7.45 && span < 7.55, "span %.4f s", span);
    struct esc_status st;
    esc_status(p.e, &st);
    cr_assert(st.boot_gave_up);
    cr_assert(!st.bms_ok);
    cr_assert_eq(st.polls, 0);
    /* Error 21 from ~3 s (600 main-loop ticks after the first request), and it stays. */
    cr_assert_eq(esc_error_code(p.e), 21);
    double e21 = (double)st.error21_since_us * 1e-6;
    cr_assert(e21 >= 3.0 && e21 <= 3.7, "error 21 from %.3f s", e21);
    peer_free(&p);
}

Test(esc, silent_bms_shows_no_error_before_evaluation_starts)
{
    struct peer p;
    peer_init(&p, NULL);
    p.silent = true;
    esc_power_on(p.e, 0);
    peer_run(&p, S(3.0));
    cr_assert_eq(esc_error_code(p.e), 0, "error shown before evaluation starts");
    cr_assert(esc_error_active(p.e, 21), "21 condition already holds");
    peer_run(&p, S(3.7));
    cr_assert_eq(esc_error_code(p.e), 21);
    peer_free(&p);
}

/* The esc-side recording: every decoded request lines up with a model request slot (aligned on
 * the first request) within 0.5 ms. Rows with a note (a decoder repair) are not timing evidence. */
Test(esc, silent_bms_request_times_match_the_no_reply_recording)
{
    struct ts_capture cap = ts_capture_load("captures/m365_esc_no_bms_reply.csv");
    struct peer p;
    peer_init(&p, NULL);
    p.silent = true;
    esc_power_on(p.e, 0);
    peer_run(&p, S(20.0));
    int64_t t[1024];
    size_t n = peer_request_times(&p, t, 1024);
    double period_s = (double)(t[n - 1] - t[0]) * 1e-6 / (double)(n - 1);
    double t0 = cap.rows[0].t_s;
    size_t matched = 0, beyond = 0;
    double worst = 0.0;
    for (size_t i = 0; i < cap.count; i++) {
        cr_assert_eq(memcmp(cap.rows[i].bytes, REQ10, 9), 0);
        if (cap.rows[i].note[0] != '\0')
            continue;
        double rel = cap.rows[i].t_s - t0;
        size_t slot = (size_t)llround(rel / period_s);
        if (slot >= n) {
            beyond++;
            continue;
        }
        double dev = fabs(rel - (double)(t[slot] - t[0]) * 1e-6) * 1e3;
        worst = fmax(worst, dev);
        cr_assert(dev <= 0.5, "row %zu (slot %zu): %.3f ms off", i, slot, dev);
        matched++;
    }
    /* Known discrepancy (docs/controller.md): the recording's last request sits one 14.97 ms
     * slot after the model's 501st; the recording holds 502 requests by slot count. */
    cr_assert_eq(beyond, 1, "rows beyond the model's last request: %zu", beyond);
    cr_assert_geq(matched, 497);
    printf("no-reply recording: %zu rows matched, worst %.3f ms\n", matched, worst);
    ts_capture_free(&cap);
    peer_free(&p);
}

/* ---- against a BMS waking 0.6 s after the first request (the two-way recording) ------------ */

Test(esc, powerup_request_series_matches_the_two_way_recording)
{
    struct ts_capture cap = ts_capture_load("captures/m365_esc_bms_powerup.csv");
    struct peer p;
    peer_init(&p, NULL);
    /* The BMS answers requests sent 1.185 s or more after power-on: the recording's first
     * answered request is the 41st, sent 0.5987 s after the first (which comes 0.589 s after
     * power-on), so any wake time between the 40th and the 41st request reproduces it. */
    p.wake_us = S(1.185);
    esc_power_on(p.e, 0);
    peer_run(&p, S(12.0));
    int64_t t[1024];
    size_t nm = 0;
    size_t idx[1024];
    for (size_t i = 0; i < p.nlog; i++)
        if (p.log[i].line == ESC_LINE_BMS) {
            idx[nm] = i;
            t[nm++] = p.log[i].t_us;
        }
    size_t nr = 0;
    double worst = 0.0;
    double t0 = -1.0;
    for (size_t i = 0; i < cap.count; i++) {
        if (strcmp(cap.rows[i].line, "esc_tx") != 0)
            continue;
        if (t0 < 0)
            t0 = cap.rows[i].t_s;
        cr_assert_lt(nr, nm, "the model sent fewer requests than the recording");
        double rel = cap.rows[i].t_s - t0;
        double mod = (double)(t[nr] - t[0]) * 1e-6;
        double dev = fabs(rel - mod) * 1e3;
        worst = fmax(worst, dev);
        cr_assert(dev <= 0.5, "request %zu: recording %.6f s, model %.6f s (%.3f ms)", nr, rel,
                  mod, dev);
        /* Same bytes (the recording's last frame is cut by its end: compare the first 7). */
        size_t cmp = strcmp(cap.rows[i].check, "ok") == 0 ? 9 : 7;
        cr_assert_eq(memcmp(p.log[idx[nr]].bytes, cap.rows[i].bytes, cmp), 0,
                     "request %zu differs", nr);
        nr++;
    }
    cr_assert_eq(nr, 90);
    /* Nothing extra inside the recording's span. */
    double span = cap.rows[cap.count - 1].t_s - t0;
    size_t within = 0;
    for (size_t i = 0; i < nm; i++)
        if ((double)(t[i] - t[0]) * 1e-6 <= span + 0.05)
            within++;
    cr_assert_eq(within, nr, "model requests in the span: %zu, recording %zu", within, nr);
    /* Shape: 41 boot reads of 0x10, one of 0x30, then polls 104.8 ms and 209.5 ms apart. */
    for (size_t i = 0; i < 41; i++)
        cr_assert_eq(memcmp(p.log[idx[i]].bytes, REQ10, 9), 0);
    cr_assert_eq(memcmp(p.log[idx[41]].bytes, REQ30, 9), 0);
    cr_assert(fabs((double)(t[42] - t[41]) / 1000.0 - 104.8) < 0.5);
    cr_assert(fabs((double)(t[43] - t[42]) / 1000.0 - 209.5) < 0.5);
    struct esc_status st;
    esc_status(p.e, &st);
    cr_assert_eq(st.misses, 0);
    cr_assert_eq(esc_error_code(p.e), 0);
    printf("two-way recording: %zu requests matched, worst %.3f ms\n", nr, worst);
    ts_capture_free(&cap);
    peer_free(&p);
}

Test(esc, keeps_bms_values_in_its_image)
{
    struct peer p;
    peer_init(&p, NULL);
    esc_power_on(p.e, 0);
    peer_run(&p, S(4.0));
    const uint8_t *img = esc_image(p.e);
    uint16_t w;
    regimg_get_u16(img, REGMAP_ESC_WORDS, ESC_W_BATT_PERCENT_BMS, &w);
    cr_assert_eq(w, 47);
    regimg_get_u16(img, REGMAP_ESC_WORDS, ESC_W_BATT_VOLTAGE, &w);
    cr_assert_eq(w, 3594);
    regimg_get_u16(img, REGMAP_ESC_WORDS, ESC_W_BMS_FW, &w);
    cr_assert_eq(w, 0x0115);
    regimg_get_u16(img, REGMAP_ESC_WORDS, ESC_W_BATT_PERCENT, &w);
    cr_assert_eq(w, 47);
    regimg_get_u16(img, REGMAP_ESC_WORDS, ESC_W_ERROR, &w);
    cr_assert_eq(w, 0);
    /* The BMS mirror holds the reply at 2 x word. */
    cr_assert_eq(memcmp(esc_bms_mirror(p.e) + 2 * 0x30, p.image + 2 * 0x30, 12), 0);
    cr_assert_eq(memcmp(esc_bms_mirror(p.e) + 2 * 0x10, p.image + 2 * 0x10, 16), 0);
    peer_free(&p);
}

/* ---- the 25-miss rule ---------------------------------------------------------------------- */

struct watch21 {
    int64_t t_raised;
    int64_t t_cleared;
    uint32_t miss_run_at_raise;
    uint32_t miss_run_before;
    int prev;
    int64_t last_good_at_raise;
};

static void watch_each(struct peer *p, int64_t t_us, void *user)
{
    struct watch21 *w = user;
    struct esc_status st;
    esc_status(p->e, &st);
    int code = esc_error_code(p->e);
    if (code == 21 && w->prev != 21 && w->t_raised < 0) {
        w->t_raised = t_us;
        w->miss_run_at_raise = st.miss_run;
        w->last_good_at_raise = st.last_good_reply_us;
    } else if (code != 21 && w->prev == 21 && w->t_raised >= 0 && w->t_cleared < 0) {
        w->t_cleared = t_us;
    }
    if (code != 21 && w->t_raised < 0)
        w->miss_run_before = st.miss_run;
    w->prev = code;
}

Test(esc, error21_on_25th_miss_and_cleared_by_next_good_reply)
{
    struct peer p;
    peer_init(&p, NULL);
    p.mute_from_us = S(8.0);
    p.mute_until_us = S(16.0);
    esc_power_on(p.e, 0);
    struct watch21 w = { -1, -1, 0, 0, 0, -1 };
    peer_run_cb(&p, S(7.9), watch_each, &w);
    cr_assert_eq(esc_error_code(p.e), 0);
    peer_run_cb(&p, S(20.0), watch_each, &w);
    cr_assert_geq(w.t_raised, 0, "error 21 never raised");
    cr_assert_eq(w.miss_run_at_raise, 25, "raised at miss %u", w.miss_run_at_raise);
    cr_assert_eq(w.miss_run_before, 24, "miss run just before: %u", w.miss_run_before);
    cr_assert(w.last_good_at_raise > S(7.5) && w.last_good_at_raise < S(8.0));
    double after = (double)(w.t_raised - w.last_good_at_raise) * 1e-6;
    cr_assert(after >= 5.1 && after <= 5.4, "21 raised %.3f s after the last good reply", after);
    /* Cleared by the first reply after the mute: the first request at or after 16 s. */
    cr_assert_geq(w.t_cleared, 0, "error 21 never cleared");
    int64_t t[1024];
    size_t n = peer_request_times(&p, t, 1024);
    int64_t first_answered = -1;
    for (size_t i = 0; i < n; i++)
        if (t[i] >= S(16.0)) {
            first_answered = t[i];
            break;
        }
    double clear_after = (double)(w.t_cleared - first_answered) * 1e-3;
    cr_assert(clear_after > 0.0 && clear_after <= 110.0,
              "cleared %.1f ms after the first answered request", clear_after);
    cr_assert_eq(esc_error_code(p.e), 0);
    printf("error 21: raised %.3f s after the last good reply, cleared %.1f ms after the first "
           "answered poll\n", after, clear_after);
    peer_free(&p);
}

Test(esc, replies_outside_the_window_count_as_misses)
{
    /* 120 ms latency: every poll's reply lands after its check (window 104.8 ms). */
    struct peer late;
    peer_init(&late, NULL);
    late.latency_us = 120000;
    esc_power_on(late.e, 0);
    peer_run(&late, S(12.0));
    struct esc_status st;
    esc_status(late.e, &st);
    cr_assert(st.bms_ok, "the handshake has no window and completes");
    /* Only replies to the last handshake retries (sent 15 ms apart) can land in a window. */
    cr_assert_leq(st.good_replies, 2, "good: %u", st.good_replies);
    cr_assert_geq(st.miss_run, 25, "miss run %u", st.miss_run);
    cr_assert_eq(esc_error_code(late.e), 21);
    peer_free(&late);

    /* 100 ms latency: inside the window, never a miss. */
    struct peer ok;
    peer_init(&ok, NULL);
    ok.latency_us = 100000;
    esc_power_on(ok.e, 0);
    peer_run(&ok, S(12.0));
    esc_status(ok.e, &st);
    cr_assert_eq(st.misses, 0);
    cr_assert_gt(st.good_replies, 40);
    cr_assert_eq(esc_error_code(ok.e), 0);
    peer_free(&ok);
}

Test(esc, corrupt_replies_count_as_misses)
{
    struct peer p;
    peer_init(&p, NULL);
    esc_power_on(p.e, 0);
    peer_run(&p, S(3.0));
    /* From now on every reply gets a wrong checksum. */
    struct esc_status st;
    for (int64_t t = S(3.0); t < S(10.0);) {
        int64_t next = t + 1000;
        peer_run(&p, next);
        for (size_t i = 0; i < p.nqueue; i++)
            p.queue[i].bytes[p.queue[i].n - 1] ^= 0x55;
        t = next;
    }
    esc_status(p.e, &st);
    cr_assert_eq(esc_error_code(p.e), 21);
    cr_assert_gt(st.bad_frames_in, 25);
    peer_free(&p);
}

Test(esc, boot_gave_up_is_permanent_until_power_cycle)
{
    struct peer p;
    peer_init(&p, NULL);
    p.wake_us = S(9.0);   /* the BMS wakes after the ESC gave up (~8.1 s) */
    esc_power_on(p.e, 0);
    peer_run(&p, S(15.0));
    struct esc_status st;
    esc_status(p.e, &st);
    cr_assert(st.boot_gave_up);
    cr_assert_eq(esc_error_code(p.e), 21);
    size_t before = p.nbms_requests;
    peer_run(&p, S(20.0));
    cr_assert_eq(p.nbms_requests, before, "polling must stay stopped");
    /* Power cycle: the BMS is awake now, so the handshake completes at once. */
    esc_power_off(p.e);
    esc_power_on(p.e, S(20.0));
    peer_run(&p, S(25.0));
    esc_status(p.e, &st);
    cr_assert(st.bms_ok);
    cr_assert_eq(esc_error_code(p.e), 0);
    peer_free(&p);
}

Test(esc, late_handshake_clears_21)
{
    struct peer p;
    peer_init(&p, NULL);
    p.wake_us = S(5.0);
    esc_power_on(p.e, 0);
    peer_run(&p, S(4.9));
    cr_assert_eq(esc_error_code(p.e), 21);
    peer_run(&p, S(5.5));
    cr_assert_eq(esc_error_code(p.e), 0);
    peer_free(&p);
}

/* ---- error rules on both sides of their thresholds ------------------------------------------ */

struct case_ {
    const char *what;
    void (*setup)(struct peer *p, double x);
    double x;
    int expect;
};

static void set_status(struct peer *p, double x) { peer_set_status(p, (uint16_t)x); }
static void set_serial_default(struct peer *p, double x)
{
    peer_set_serial(p, x != 0.0 ? "3GA0016A1A0001" : "3GA0016A1A0002");
}
static void set_supply(struct peer *p, double x) { esc_set_supply_v(p->e, x); }
/* T1 alone: both sensors at x (no difference); T2 alone: T1 10 C nearer to room temperature. */
static void set_t1(struct peer *p, double x) { peer_set_temps(p, (int)x, (int)x); }
static void set_t2(struct peer *p, double x) { peer_set_temps(p, (int)x + (x < 25 ? 10 : -10), (int)x); }
static void set_tdiff(struct peer *p, double x) { peer_set_temps(p, 30, 30 + (int)x); }
static const struct case_ cases[] = {
    { "status 0x0001", set_status, 0x0001, 0 },
    { "status 0x0000", set_status, 0x0000, 22 },
    { "status 0x0200 (bit 0 clear)", set_status, 0x0200, 22 },
    { "status 0x0241", set_status, 0x0241, 0 },
    { "default serial", set_serial_default, 1, 23 },
    { "serial one char off", set_serial_default, 0, 0 },
    { "supply 26.00 V", set_supply, 26.00, 0 },
    { "supply 25.99 V", set_supply, 25.99, 24 },
    { "supply 43.00 V", set_supply, 43.00, 0 },
    { "supply 43.01 V", set_supply, 43.01, 24 },
    { "supply 50.4 V (12S)", set_supply, 50.4, 24 },
    { "T1 -19 C", set_t1, -19, 0 },
    { "T1 -20 C", set_t1, -20, 39 },
    { "T1 69 C", set_t1, 69, 0 },
    { "T1 70 C", set_t1, 70, 39 },
    { "T2 -19 C", set_t2, -19, 0 },
    { "T2 -20 C (open thermistor, raw 0)", set_t2, -20, 39 },
    { "T2 69 C", set_t2, 69, 0 },
    { "T2 70 C", set_t2, 70, 39 },
    { "T2 - T1 = 20 C", set_tdiff, 20, 0 },
    { "T2 - T1 = 21 C", set_tdiff, 21, 39 },
    { "ESC activated", NULL, 1, 0 },
    { "ESC not activated", NULL, 0, 35 },
};

Test(esc, each_error_on_both_sides_of_its_threshold)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct peer p;
        if (cases[i].setup) {
            peer_init(&p, NULL);
            cases[i].setup(&p, cases[i].x);
        } else {
            /* A NULL setup varies the ESC's own activation (a parameter). */
            struct esc_params prm;
            esc_params_default(&prm, ESC_MODEL_M365);
            cr_assert_eq(esc_params_set(&prm, "esc_activated", cases[i].x), BMSRIG_OK);
            peer_init(&p, &prm);
        }
        esc_power_on(p.e, 0);
        /* a bad supply switches the controller off at 1.695 s: read it before */
        peer_run(&p, cases[i].setup == set_supply ? S(1.6) : S(5.0));
        int code = esc_error_code(p.e);
        cr_assert_eq(code, cases[i].expect, "%s: error %d, expected %d", cases[i].what, code,
                     cases[i].expect);
        uint16_t w1b, wb0;
        regimg_get_u16(esc_image(p.e), REGMAP_ESC_WORDS, ESC_W_ERROR, &w1b);
        regimg_get_u16(esc_image(p.e), REGMAP_ESC_WORDS, ESC_W_ERROR2, &wb0);
        cr_assert_eq(w1b, cases[i].expect, "%s: word 0x1B", cases[i].what);
        cr_assert_eq(wb0, cases[i].expect, "%s: word 0xB0", cases[i].what);
        peer_free(&p);
    }
}

Test(esc, error39_clears_when_temperatures_return)
{
    struct peer p;
    peer_init(&p, NULL);
    peer_set_temps(&p, 75, 25);
    esc_power_on(p.e, 0);
    peer_run(&p, S(4.0));
    cr_assert_eq(esc_error_code(p.e), 39);
    peer_set_temps(&p, 30, 25);
    peer_run(&p, S(4.5));
    cr_assert_eq(esc_error_code(p.e), 0);
    peer_free(&p);
}

/* The identity (config bit 0, serial) is read once per power-on, at the first running check:
 * DRV134 shows no 22 for a config that goes invalid mid-run and keeps a 22 from power-on after
 * the config is valid again, until a power cycle [O]. The serial is only read at the handshake,
 * so 23 behaves the same by construction. */
Test(esc, identity_read_once_per_power_on)
{
    struct peer p;
    peer_init(&p, NULL);
    esc_power_on(p.e, 0);
    peer_run(&p, S(4.0));
    cr_assert_eq(esc_error_code(p.e), 0);
    peer_set_status(&p, 0x0000);
    peer_set_serial(&p, REGMAP_BMS_DEFAULT_SERIAL);
    peer_run(&p, S(25.0));
    cr_assert_eq(esc_error_code(p.e), 0, "config invalid mid-run: error %d, stock shows none",
                 esc_error_code(p.e));
    /* Power cycle with the identity still bad: 22 (lowest of 22 and 23). */
    esc_power_off(p.e);
    esc_power_on(p.e, S(25.0));
    peer_run(&p, S(29.0));
    cr_assert_eq(esc_error_code(p.e), 22);
    /* Valid again while running: 22 stays. */
    peer_set_status(&p, 0x0001);
    peer_set_serial(&p, "3JAGJ17A8D3660");
    peer_run(&p, S(45.0));
    cr_assert_eq(esc_error_code(p.e), 22, "22 from power-on must stay (got %d)",
                 esc_error_code(p.e));
    /* A power cycle reads the now valid identity. */
    esc_power_off(p.e);
    esc_power_on(p.e, S(45.0));
    peer_run(&p, S(49.0));
    cr_assert_eq(esc_error_code(p.e), 0);
    peer_free(&p);
}

/* 23 alone, from power-on, stays when the serial is fixed mid-run. */
Test(esc, default_serial_at_power_on_stays_until_power_cycle)
{
    struct peer p;
    peer_init(&p, NULL);
    peer_set_serial(&p, REGMAP_BMS_DEFAULT_SERIAL);
    esc_power_on(p.e, 0);
    peer_run(&p, S(4.0));
    cr_assert_eq(esc_error_code(p.e), 23);
    peer_set_serial(&p, "3JAGJ17A8D3660");
    peer_run(&p, S(20.0));
    cr_assert_eq(esc_error_code(p.e), 23);
    esc_power_off(p.e);
    esc_power_on(p.e, S(20.0));
    peer_run(&p, S(24.0));
    cr_assert_eq(esc_error_code(p.e), 0);
    peer_free(&p);
}

/* A supply outside 26-43 V: 24 from the first tick, no BMS request, no other code (the BMS's
 * bad config, default serial and 75 C are never read), and the controller switches itself off
 * at supply_off_ms (1.695 s) after power-on, on the next tick (DRV134 under emulation [O]). */
Test(esc, supply_fault_shows_24_alone_and_switches_off)
{
    struct peer p;
    peer_init(&p, NULL);
    peer_set_status(&p, 0x0000);
    peer_set_serial(&p, REGMAP_BMS_DEFAULT_SERIAL);
    peer_set_temps(&p, 75, 25);
    esc_set_supply_v(p.e, 48.95);
    esc_power_on(p.e, 0);
    peer_run(&p, S(0.589));
    cr_assert_eq(esc_error_code(p.e), 24, "24 at the first tick (got %d)", esc_error_code(p.e));
    peer_run(&p, S(1.69));
    cr_assert_eq(esc_error_code(p.e), 24);
    cr_assert(esc_powered(p.e), "still on before 1.695 s");
    static const int others[] = { 21, 22, 23, 39 };
    for (size_t k = 0; k < 4; k++)
        cr_assert(!esc_error_active(p.e, others[k]), "%d active beside 24", others[k]);
    cr_assert_eq(p.nbms_requests, 0, "%zu BMS requests with a bad supply", p.nbms_requests);
    peer_run(&p, S(1.70));
    cr_assert(!esc_powered(p.e), "switched itself off by 1.70 s");
    cr_assert_eq(esc_error_code(p.e), 0);
    peer_run(&p, S(10.0));
    cr_assert_eq(p.nbms_requests, 0);
    /* A power cycle on a good supply: a normal boot. */
    esc_set_supply_v(p.e, 36.0);
    esc_power_on(p.e, S(10.0));
    peer_run(&p, S(15.0));
    cr_assert(esc_powered(p.e));
    cr_assert_gt(p.nbms_requests, 0);
    peer_free(&p);
}

Test(esc, lowest_number_wins)
{
    struct {
        const char *what;
        uint16_t status;
        const char *serial;
        double supply;
        int t1;
        bool mute;
        int expect;
        int also[3];
    } rows[] = {
        { "22 and 39", 0x0000, "3JAGJ17A8D3660", 36.0, 75, false, 22, { 39, 0, 0 } },
        { "23 and 22", 0x0000, "3GA0016A1A0001", 36.0, 25, false, 22, { 23, 0, 0 } },
        { "21 over 22, 39", 0x0000, "3JAGJ17A8D3660", 36.0, 75, true, 21, { 22, 39, 0 } },
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct peer p;
        peer_init(&p, NULL);
        peer_set_status(&p, rows[i].status);
        peer_set_serial(&p, rows[i].serial);
        peer_set_temps(&p, rows[i].t1, 25);
        esc_set_supply_v(p.e, rows[i].supply);
        if (rows[i].mute) {
            p.mute_from_us = S(3.0);
            p.mute_until_us = S(100.0);
        }
        esc_power_on(p.e, 0);
        peer_run(&p, S(rows[i].mute ? 10.0 : 4.0));
        cr_assert_eq(esc_error_code(p.e), rows[i].expect, "%s: %d", rows[i].what,
                     esc_error_code(p.e));
        for (size_t k = 0; k < 3 && rows[i].also[k]; k++)
            cr_assert(esc_error_active(p.e, rows[i].also[k]), "%s: %d not active", rows[i].what,
                      rows[i].also[k]);
        peer_free(&p);
    }
}

Test(esc, evaluation_starts_at_first_bms_data)
{
    /* With the handshake done at ~1.2 s, 22 shows before the 3 s evaluation start. */
    struct peer p;
    peer_init(&p, NULL);
    peer_set_status(&p, 0x0000);
    esc_power_on(p.e, 0);
    peer_run(&p, S(1.5));
    cr_assert_eq(esc_error_code(p.e), 22);
    peer_free(&p);
}

/* ---- robustness: random bytes on both lines --------------------------------------------------- */

Test(esc, random_bytes_on_both_lines_keep_the_model_sane)
{
    struct ts_rng rng;
    ts_rng_seed(&rng, 0xE5C5u);
    struct peer p;
    peer_init(&p, NULL);
    esc_power_on(p.e, 0);
    struct esc_rider r = { .throttle = 0.7, .brake = 0.0, .mode = ESC_MODE_NORMAL };
    esc_set_rider(p.e, &r);
    int64_t t = 0;
    for (int i = 0; i < 20000; i++) {
        t += (int64_t)ts_rng_below(&rng, 3000);
        uint8_t buf[64];
        size_t n = 1 + ts_rng_below(&rng, sizeof(buf));
        for (size_t k = 0; k < n; k++)
            buf[k] = (uint8_t)ts_rng_next(&rng);
        /* Sometimes a plausible frame start, sometimes a valid BMS reply address. */
        if (n > 6 && ts_rng_below(&rng, 4) == 0) {
            buf[0] = 0x55;
            buf[1] = 0xAA;
            buf[3] = ts_rng_below(&rng, 2) ? 0x25 : 0x20;
            buf[4] = 0x01;
        }
        enum esc_line line = ts_rng_below(&rng, 2) ? ESC_LINE_BMS : ESC_LINE_DASH;
        esc_rx(p.e, line, t, buf, n);
        peer_run(&p, t);
        int code = esc_error_code(p.e);
        cr_assert(code == 0 || code == 21 || code == 22 || code == 23 || code == 24 ||
                  code == 35 || code == 39, "code %d", code);
        double i_a = esc_battery_current_a(p.e);
        cr_assert(isfinite(i_a) && i_a <= 17.0 + 0.05 && i_a >= -6.0 - 0.05, "current %f", i_a);
        cr_assert(isfinite(esc_speed_kmh(p.e)) && esc_speed_kmh(p.e) <= 25.5);
    }
    peer_free(&p);
}

/* ---- issue 16: timing against the stock firmware under CPU emulation ---------------------------
 * The emulated figures (5.000 ms tick, first request 573 ms after power-on) and a BMS that wakes
 * 590 ms after the first request, as `bmsrig bms` does by default: the setup of the firmware
 * figures in firmware.md section 5 and issue 16. */

struct first_seen {
    int code;
    int64_t t_us;   /* first tick showing `code`, -1 until then */
    int64_t bms_ok_us;
};

static void note_first(struct peer *p, int64_t t_us, void *user)
{
    struct first_seen *f = user;
    struct esc_status st;
    esc_status(p->e, &st);
    if (st.bms_ok && f->bms_ok_us < 0)
        f->bms_ok_us = t_us;
    if (f->t_us < 0 && esc_error_code(p->e) == f->code)
        f->t_us = t_us;
}

static void emulated_peer(struct peer *p)
{
    struct esc_params prm;
    esc_params_default(&prm, ESC_MODEL_M365);
    esc_params_use_figures(&prm, ESC_FIGURES_EMULATED);
    cr_assert_float_eq(prm.v[ESC_P_TICK_US], 5000.0, 1e-9);
    cr_assert_float_eq(prm.v[ESC_P_FIRST_REQ_MS], 573.0, 1e-9);
    cr_assert_float_eq(prm.v[ESC_P_BOOT_TRIES], 500.0, 1e-9);
    peer_init(p, &prm);
    p->wake_us = S(0.573 + 0.590);
}

/* Time of the last boot request (the 0x30 step's), from the log. */
static int64_t last_boot_request_us(const struct peer *p, int64_t before_us)
{
    int64_t last = -1;
    for (size_t i = 0; i < p->nlog; i++)
        if (p->log[i].line == ESC_LINE_BMS && p->log[i].t_us < before_us)
            last = p->log[i].t_us;
    return last;
}

static struct first_seen run_until_code(struct peer *p, int code)
{
    struct first_seen f = { .code = code, .t_us = -1, .bms_ok_us = -1 };
    esc_power_on(p->e, 0);
    peer_run_cb(p, S(3.0), note_first, &f);
    cr_assert_geq(f.t_us, 0, "error %d never shown", code);
    return f;
}

Test(esc, errors_22_23_one_check_after_the_handshake_39_a_tick_before)
{
    struct peer p22, p23, p39;
    emulated_peer(&p22);
    peer_set_status(&p22, 0x0000);
    struct first_seen f22 = run_until_code(&p22, 22);
    emulated_peer(&p23);
    peer_set_serial(&p23, REGMAP_BMS_DEFAULT_SERIAL);
    struct first_seen f23 = run_until_code(&p23, 23);
    emulated_peer(&p39);
    peer_set_temps(&p39, 75, 25);
    struct first_seen f39 = run_until_code(&p39, 39);

    /* Not at the handshake: the firmware raises them one poll check later. */
    int64_t boot30 = last_boot_request_us(&p22, f22.bms_ok_us);
    int64_t boot30_reply = boot30 + p22.latency_us;
    double after_reply_ms = (double)(f22.t_us - boot30_reply) / 1000.0;
    cr_assert(f22.t_us - f22.bms_ok_us > S(0.15), "22 at %.3f s, the handshake at %.3f s",
              (double)f22.t_us * 1e-6, (double)f22.bms_ok_us * 1e-6);
    /* the first running poll 21 ticks after the last boot request, its check 21 later, seen by
     * 22/23 one tick after that: 43 ticks of 5 ms after the boot 0x30 request */
    cr_assert_eq(f22.t_us, boot30 + 43 * 5000, "22 at %lld us, boot 0x30 at %lld us",
                 (long long)f22.t_us, (long long)boot30);
    cr_assert(after_reply_ms >= 180.0 && after_reply_ms <= 215.0,
              "22 %.1f ms after the boot 0x30 reply (firmware: about 184)", after_reply_ms);
    /* behind a 590 ms wake the firmware showed 22 at 1.402 s after reset */
    cr_assert(llabs(f22.t_us - S(1.402)) <= 2000, "22 at %.4f s, firmware 1.402 s",
              (double)f22.t_us * 1e-6);
    cr_assert_eq(f23.t_us, f22.t_us, "23 has the timing of 22");
    cr_assert_eq(f39.t_us, f22.t_us - 5000, "39 one tick (5 ms) before 22/23: %lld vs %lld",
                 (long long)f39.t_us, (long long)f22.t_us);
    peer_free(&p22);
    peer_free(&p23);
    peer_free(&p39);
}

Test(esc, boot_step2_accepts_a_late_reply_to_an_earlier_request)
{
    /* every reply 152 ms after its request (150 ms late plus the bytes on the wire) */
    struct peer p;
    emulated_peer(&p);
    p.latency_us = 152000;
    struct first_seen f = { .code = 21, .t_us = -1, .bms_ok_us = -1 };
    esc_power_on(p.e, 0);
    peer_run_cb(&p, S(9.0), note_first, &f);
    struct esc_status st;
    esc_status(p.e, &st);
    cr_assert(st.bms_ok);
    size_t n10 = 0;
    for (size_t i = 0; i < p.nlog; i++)
        if (p.log[i].line == ESC_LINE_BMS && p.log[i].t_us < f.bms_ok_us &&
            memcmp(p.log[i].bytes, REQ10, 9) == 0)
            n10++;
    /* the late reply to the second answered 0x10 request completes the 0x30 step: one 0x30
     * request, where waiting for a 0x30 reply took 11 (150 ms of 15 ms retries) */
    cr_assert_eq(st.boot_requests - n10, 1, "0x30 boot requests: %zu",
                 (size_t)(st.boot_requests - n10));
    int64_t boot30 = last_boot_request_us(&p, f.bms_ok_us);
    cr_assert_eq(boot30, S(0.573) + 153 * 5000, "the 0x30 step began at call 51");
    /* the first running poll on the grid (tick 186, 33 ticks after the boot 0x30 request);
     * the boot 0x30 reply comes 2.6 ms before it and is wiped by its send, and every later
     * reply misses too (164 ms before the next check): 21 at the 25th miss, the check at tick
     * 186 + 21 + 24 x 42 = 1215 after the first request. DRV134 behind the engine's BMS sends
     * three boot 0x30 requests here (a later 0x10 reply), the late replies to the second and
     * third land in its first window, and it shows 21 one poll later, at tick 1257 (6.8616 s
     * after reset; library comm/late_replies_from_power_on, where the model does the same).
     * Before the grid the model polled first 21 ticks after the boot request (tick 174) and
     * counted that reply: 21 at tick 1245. */
    cr_assert_eq(f.t_us, S(0.573) + 1215 * 5000, "21 at %.4f s (tick %lld)",
                 (double)f.t_us * 1e-6, (long long)((f.t_us - S(0.573)) / 5000));
    peer_free(&p);
}

/* The tick (after the first boot request) of the first running poll: the first 0x30 request
 * sent after the handshake completed. */
static long first_poll_tick(int64_t latency_us)
{
    struct peer p;
    emulated_peer(&p);
    p.latency_us = latency_us;
    struct first_seen f = { .code = -1, .t_us = -1, .bms_ok_us = -1 };
    esc_power_on(p.e, 0);
    peer_run_cb(&p, S(2.5), note_first, &f);
    cr_assert_geq(f.bms_ok_us, 0, "no handshake with replies %lld us late", (long long)latency_us);
    long tick = -1;
    for (size_t i = 0; i < p.nlog && tick < 0; i++)
        if (p.log[i].line == ESC_LINE_BMS && p.log[i].t_us >= f.bms_ok_us &&
            memcmp(p.log[i].bytes, REQ30, 9) == 0)
            tick = (long)((p.log[i].t_us - S(0.573)) / 5000);
    peer_free(&p);
    return tick;
}

Test(esc, first_running_poll_on_the_firmware_grid)
{
    /* DRV134 under `bmsrig run --firmware` behind the engine's BMS (first answered request at
     * tick 120, as this peer), reply delays 0, 30, 60, 90, 100, 150 ms: boot 0x30 requests at
     * ticks 123-159, the first running poll always at tick 144 or 186 (18 + 42 n), never a
     * fixed time after the handshake. Latency = the delay + 2.7 ms of request, BMS turnaround
     * and reply bytes. */
    static const struct { int64_t latency_us; long tick; } fw[] = {
        { 2700, 144 }, { 32700, 144 }, { 62700, 144 }, { 92700, 186 }, { 102700, 186 },
        { 152700, 186 },
    };
    for (size_t i = 0; i < sizeof(fw) / sizeof(fw[0]); i++) {
        long got = first_poll_tick(fw[i].latency_us);
        cr_expect_eq(got, fw[i].tick, "replies %lld us late: first poll at tick %ld, firmware %ld",
                     (long long)fw[i].latency_us, got, fw[i].tick);
    }
}
