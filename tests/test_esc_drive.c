/* test_esc_drive.c: the virtual controller's current limits (mode, derating, limp, battery-low,
 * cut, trip, regen and status bit 9), its vehicle, its dashboard bus, and its parameter table. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "esc_peer.h"
#include "sim/status.h"

#define S(x) ((int64_t)((x) * 1e6))

/* Holds the speed fixed (a dynamometer) so the current depends on the limits only. */
struct hold {
    double kmh;
};

static void hold_each(struct peer *p, int64_t t_us, void *user)
{
    (void)t_us;
    struct hold *h = user;
    esc_set_speed_kmh(p->e, h->kmh);
}

/* Battery current at full throttle, held at `kmh`, after a settled run of `secs`. */
static double current_at(struct peer *p, enum esc_mode mode, double throttle, double kmh,
                         double secs)
{
    struct esc_rider r = { .throttle = throttle, .brake = 0.0, .mode = mode };
    esc_set_rider(p->e, &r);
    struct hold h = { kmh };
    esc_power_on(p->e, 0);
    peer_run_cb(p, S(secs), hold_each, &h);
    return esc_battery_current_a(p->e);
}

static const double IDLE = 0.03;

Test(esc_drive, mode_limits_17a_normal_7a_eco)
{
    struct peer p;
    peer_init(&p, NULL);
    double i = current_at(&p, ESC_MODE_NORMAL, 1.0, 15.0, 4.0);
    cr_assert(fabs(i - (17.0 + IDLE)) < 0.05, "normal: %.3f A", i);
    struct esc_status st;
    esc_status(p.e, &st);
    cr_assert_eq(st.limit_reason, ESC_LIMIT_MODE);
    peer_free(&p);

    peer_init(&p, NULL);
    i = current_at(&p, ESC_MODE_ECO, 1.0, 12.0, 4.0);
    cr_assert(fabs(i - (7.0 + IDLE)) < 0.05, "eco: %.3f A", i);
    peer_free(&p);

    /* Half throttle asks for half the limit. */
    peer_init(&p, NULL);
    i = current_at(&p, ESC_MODE_NORMAL, 0.5, 15.0, 4.0);
    cr_assert(fabs(i - (8.5 + IDLE)) < 0.05, "half throttle: %.3f A", i);
    peer_free(&p);
}

Test(esc_drive, temperature_derating_42_to_50_c)
{
    struct { int t; double expect; } rows[] = {
        { 42, 17.0 }, { 46, 17.0 * 0.625 }, { 50, 17.0 * 0.25 }, { 55, 17.0 * 0.25 },
    };
    for (size_t k = 0; k < sizeof(rows) / sizeof(rows[0]); k++) {
        struct peer p;
        peer_init(&p, NULL);
        peer_set_temps(&p, rows[k].t, rows[k].t - 5);
        double i = current_at(&p, ESC_MODE_NORMAL, 1.0, 15.0, 4.0);
        cr_assert(fabs(i - (rows[k].expect + IDLE)) < 0.05, "T %d C: %.3f A, expected %.3f",
                  rows[k].t, i, rows[k].expect);
        struct esc_status st;
        esc_status(p.e, &st);
        cr_assert_eq(st.limit_reason, rows[k].t > 42 ? ESC_LIMIT_DERATE : ESC_LIMIT_MODE);
        peer_free(&p);
    }
}

Test(esc_drive, capacity_derating_below_900_mah)
{
    struct { unsigned mah; double expect; } rows[] = {
        { 900, 17.0 }, { 500, 17.0 * 0.625 }, { 150, 17.0 * (1.0 - 750.0 / 800.0 * 0.75) },
    };
    for (size_t k = 0; k < sizeof(rows) / sizeof(rows[0]); k++) {
        struct peer p;
        peer_init(&p, NULL);
        peer_set_u16(&p, BMS_W_REMAINING, (uint16_t)rows[k].mah);
        double i = current_at(&p, ESC_MODE_NORMAL, 1.0, 15.0, 4.0);
        cr_assert(fabs(i - (rows[k].expect + IDLE)) < 0.05, "%u mAh: %.3f A, expected %.3f",
                  rows[k].mah, i, rows[k].expect);
        peer_free(&p);
    }
}

Test(esc_drive, voltage_derating_below_34v_and_cut_below_30v)
{
    struct { double v; double expect; enum esc_limit_reason why; } rows[] = {
        { 34.00, 17.0, ESC_LIMIT_MODE },
        { 33.00, 17.0 * 0.8125, ESC_LIMIT_DERATE },
        { 30.00, 17.0 * 0.25, ESC_LIMIT_DERATE },
        { 29.99, 0.0, ESC_LIMIT_CUT },
    };
    for (size_t k = 0; k < sizeof(rows) / sizeof(rows[0]); k++) {
        struct peer p;
        peer_init(&p, NULL);
        esc_set_supply_v(p.e, rows[k].v);
        double i = current_at(&p, ESC_MODE_NORMAL, 1.0, 15.0, 4.0);
        cr_assert(fabs(i - (rows[k].expect + IDLE)) < 0.05, "%.2f V: %.3f A, expected %.3f",
                  rows[k].v, i, rows[k].expect);
        struct esc_status st;
        esc_status(p.e, &st);
        cr_assert_eq(st.limit_reason, rows[k].why, "%.2f V: reason %s", rows[k].v,
                     esc_limit_reason_name(st.limit_reason));
        peer_free(&p);
    }
}

Test(esc_drive, limp_limits_while_comm_lost_or_bms_invalid)
{
    /* Comm lost: 4 A and 12 km/h. */
    struct peer p;
    peer_init(&p, NULL);
    p.mute_from_us = S(3.0);
    p.mute_until_us = S(100.0);
    double i = current_at(&p, ESC_MODE_NORMAL, 1.0, 10.0, 10.0);
    cr_assert_eq(esc_error_code(p.e), 21);
    cr_assert(fabs(i - (4.0 + IDLE)) < 0.05, "comm lost: %.3f A", i);
    struct esc_status st;
    esc_status(p.e, &st);
    cr_assert_eq(st.limit_reason, ESC_LIMIT_LIMP);
    peer_free(&p);

    /* Above the limp speed limit the drive force is gone. */
    peer_init(&p, NULL);
    p.mute_from_us = S(3.0);
    p.mute_until_us = S(100.0);
    i = current_at(&p, ESC_MODE_NORMAL, 1.0, 14.0, 10.0);
    cr_assert(fabs(i - IDLE) < 0.01, "limp above 12 km/h: %.3f A", i);
    peer_free(&p);

    /* BMS invalid (status bit 0 clear, error 22): limp too. */
    peer_init(&p, NULL);
    peer_set_status(&p, 0x0000);
    i = current_at(&p, ESC_MODE_NORMAL, 1.0, 10.0, 4.0);
    cr_assert_eq(esc_error_code(p.e), 22);
    cr_assert(fabs(i - (4.0 + IDLE)) < 0.05, "error 22: %.3f A", i);
    peer_free(&p);

    /* Healthy again: the normal limit comes back with the next good reply. */
    peer_init(&p, NULL);
    p.mute_from_us = S(3.0);
    p.mute_until_us = S(10.0);
    i = current_at(&p, ESC_MODE_NORMAL, 1.0, 15.0, 11.0);
    cr_assert_eq(esc_error_code(p.e), 0);
    cr_assert(fabs(i - (17.0 + IDLE)) < 0.05, "recovered: %.3f A", i);
    peer_free(&p);
}

Test(esc_drive, battery_low_below_100_mah_with_hysteresis)
{
    struct peer p;
    peer_init(&p, NULL);
    peer_set_u16(&p, BMS_W_REMAINING, 50);
    double i = current_at(&p, ESC_MODE_NORMAL, 1.0, 4.0, 4.0);
    cr_assert(fabs(i - (0.5 + IDLE)) < 0.02, "battery low: %.3f A", i);
    struct esc_status st;
    esc_status(p.e, &st);
    cr_assert(st.lowbatt);
    /* 500 mAh is above 100 but below the 800 mAh release: still low. */
    peer_set_u16(&p, BMS_W_REMAINING, 500);
    struct hold h = { 4.0 };
    peer_run_cb(&p, S(5.0), hold_each, &h);
    esc_status(p.e, &st);
    cr_assert(st.lowbatt);
    peer_set_u16(&p, BMS_W_REMAINING, 850);
    peer_run_cb(&p, S(6.0), hold_each, &h);
    esc_status(p.e, &st);
    cr_assert(!st.lowbatt);
    peer_free(&p);
}

Test(esc_drive, regen_when_braking_reduced_by_status_bit9)
{
    struct peer p;
    peer_init(&p, NULL);
    struct esc_rider r = { .throttle = 0.0, .brake = 1.0, .mode = ESC_MODE_NORMAL };
    esc_set_rider(p.e, &r);
    struct hold h = { 20.0 };
    esc_power_on(p.e, 0);
    peer_run_cb(&p, S(4.0), hold_each, &h);
    double i = esc_battery_current_a(p.e);
    cr_assert(fabs(i - (-6.0 + IDLE)) < 0.05, "regen: %.3f A", i);
    /* Over-voltage (bit 9) set: regen ramps to 0 over 2 s. */
    peer_set_status(&p, 0x0201);
    peer_run_cb(&p, S(4.6), hold_each, &h);
    double mid = esc_battery_current_a(p.e);
    cr_assert(mid < -1.0 && mid > -5.9, "regen while ramping: %.3f A", mid);
    peer_run_cb(&p, S(7.0), hold_each, &h);
    i = esc_battery_current_a(p.e);
    cr_assert(fabs(i - IDLE) < 0.01, "regen with bit 9: %.3f A", i);
    /* Cleared: it comes back. */
    peer_set_status(&p, 0x0001);
    peer_run_cb(&p, S(10.0), hold_each, &h);
    i = esc_battery_current_a(p.e);
    cr_assert(fabs(i - (-6.0 + IDLE)) < 0.05, "regen restored: %.3f A", i);
    peer_free(&p);
}

Test(esc_drive, over_current_trip)
{
    /* With the stock limits the demand never reaches 27 A; raise them past it. */
    struct esc_params prm;
    esc_params_default(&prm, ESC_MODEL_M365);
    cr_assert_eq(esc_params_set(&prm, "normal_batt_a", 30.0), BMSRIG_OK);
    cr_assert_eq(esc_params_set(&prm, "motor_peak_w", 3000.0), BMSRIG_OK);
    cr_assert_eq(esc_params_set(&prm, "normal_phase_a", 80.0), BMSRIG_OK);
    struct peer p;
    peer_init(&p, &prm);
    double i = current_at(&p, ESC_MODE_NORMAL, 1.0, 15.0, 4.0);
    struct esc_status st;
    esc_status(p.e, &st);
    cr_assert(st.tripped, "no trip at 30 A demand");
    cr_assert_eq(st.limit_reason, ESC_LIMIT_TRIP);
    cr_assert(fabs(i - IDLE) < 0.01, "tripped: %.3f A", i);
    /* Released once the hold time passed and the throttle is let go. */
    struct esc_rider r = { .throttle = 0.0, .brake = 0.0, .mode = ESC_MODE_NORMAL };
    esc_set_rider(p.e, &r);
    struct hold h = { 15.0 };
    peer_run_cb(&p, S(5.5), hold_each, &h);
    esc_status(p.e, &st);
    cr_assert(!st.tripped);
    peer_free(&p);

    /* 26 A demand: below the trip. */
    esc_params_default(&prm, ESC_MODEL_M365);
    esc_params_set(&prm, "normal_batt_a", 26.0);
    esc_params_set(&prm, "motor_peak_w", 3000.0);
    esc_params_set(&prm, "normal_phase_a", 80.0);
    peer_init(&p, &prm);
    i = current_at(&p, ESC_MODE_NORMAL, 1.0, 15.0, 4.0);
    esc_status(p.e, &st);
    cr_assert(!st.tripped);
    cr_assert(fabs(i - (26.0 + IDLE)) < 0.05, "26 A: %.3f", i);
    peer_free(&p);
}

Test(esc_drive, a_ride_looks_like_a_ride)
{
    struct peer p;
    peer_init(&p, NULL);
    struct esc_rider r = { .throttle = 1.0, .brake = 0.0, .mode = ESC_MODE_NORMAL };
    esc_power_on(p.e, 0);
    peer_run(&p, S(3.0));
    esc_set_rider(p.e, &r);
    double t_15 = -1.0, vmax = 0.0;
    for (int k = 1; k <= 400; k++) {
        peer_run(&p, S(3.0 + 0.05 * k));
        double v = esc_speed_kmh(p.e);
        vmax = fmax(vmax, v);
        if (t_15 < 0 && v >= 15.0)
            t_15 = 0.05 * k;
    }
    cr_assert(t_15 > 2.0 && t_15 < 8.0, "0-15 km/h in %.2f s", t_15);
    cr_assert(vmax > 24.0 && vmax < 25.3, "top speed %.2f km/h", vmax);
    double cruise = esc_battery_current_a(p.e);
    cr_assert(cruise > 2.0 && cruise < 17.0, "cruise current %.2f A", cruise);
    printf("ride: 0-15 km/h %.2f s, top %.2f km/h, cruise %.2f A\n", t_15, vmax, cruise);
    uint16_t w;
    regimg_get_u16(esc_image(p.e), REGMAP_ESC_WORDS, ESC_W_SPEED, &w);
    cr_assert(fabs((double)(int16_t)w / 1000.0 - esc_speed_kmh(p.e)) < 0.01);
    /* Brake to a stop. */
    r.throttle = 0.0;
    r.brake = 1.0;
    esc_set_rider(p.e, &r);
    peer_run(&p, S(30.0));
    cr_assert_lt(esc_speed_kmh(p.e), 0.01);
    cr_assert_gt(esc_distance_m(p.e), 50.0);
    /* Eco tops out at its own limit. */
    peer_free(&p);
    peer_init(&p, NULL);
    r = (struct esc_rider){ .throttle = 1.0, .brake = 0.0, .mode = ESC_MODE_ECO };
    esc_set_rider(p.e, &r);
    esc_power_on(p.e, 0);
    peer_run(&p, S(40.0));
    cr_assert(esc_speed_kmh(p.e) > 17.0 && esc_speed_kmh(p.e) < 18.3, "eco %.2f km/h",
              esc_speed_kmh(p.e));
    peer_free(&p);
}

/* ---- dashboard bus -------------------------------------------------------------------------- */

Test(esc_drive, dashboard_reads_and_pro_frame_carry_the_error_code)
{
    struct peer p;
    peer_init(&p, NULL);
    p.mute_from_us = S(2.0);
    p.mute_until_us = S(100.0);
    esc_power_on(p.e, 0);
    peer_run(&p, S(9.0));
    cr_assert_eq(esc_error_code(p.e), 21);
    size_t before = p.nlog;
    const uint8_t rd[] = { 0x55, 0xAA, 0x03, 0x20, 0x01, 0xB0, 0x20, 0x0B, 0xFF };
    esc_rx(p.e, ESC_LINE_DASH, S(9.0) + 10, rd, sizeof(rd));
    peer_run(&p, S(9.02));
    const struct peer_sent *reply = NULL;
    const struct peer_sent *head = NULL;
    for (size_t i = before; i < p.nlog; i++) {
        if (p.log[i].line != ESC_LINE_DASH)
            continue;
        if (p.log[i].bytes[3] == 0x23)
            reply = &p.log[i];
    }
    for (size_t i = 0; i < p.nlog; i++)
        if (p.log[i].line == ESC_LINE_DASH && p.log[i].bytes[4] == 0x64)
            head = &p.log[i];
    cr_assert_not_null(reply, "no 0x23 reply to the dashboard read");
    cr_assert_eq(reply->n, 32 + 8);
    cr_assert_eq(reply->bytes[2], 34);
    cr_assert_eq(reply->bytes[4], 0x01);
    cr_assert_eq(reply->bytes[5], 0xB0);
    cr_assert_eq(reply->bytes[6], 21, "word 0xB0 low byte");
    cr_assert_eq(reply->bytes[7], 0);
    cr_assert_eq(reply->bytes[6 + 2 * 4], 47, "word 0xB4 battery %%");
    struct frame_decoder d;
    struct { int n; } cnt = { 0 };
    (void)cnt;
    frame_decoder_init(&d, NULL, NULL);
    frame_decoder_feed(&d, reply->bytes, reply->n);
    cr_assert_eq(d.stats.frames, 1, "reply checksum");
    /* The head frame: 55 AA 08 21 64 00 mode batt light beep speed error ck ck. */
    cr_assert_not_null(head);
    cr_assert_eq(head->n, 14);
    cr_assert_eq(head->bytes[2], 0x08);
    cr_assert_eq(head->bytes[3], 0x21);
    cr_assert_eq(head->bytes[5], 0x00);
    cr_assert_eq(head->bytes[7], 47);
    cr_assert_eq(head->bytes[11], 21, "byte 11 = error code");
    frame_decoder_init(&d, NULL, NULL);
    frame_decoder_feed(&d, head->bytes, head->n);
    cr_assert_eq(d.stats.frames, 1, "head frame checksum");
    peer_free(&p);
}

Test(esc_drive, dashboard_read_outside_the_image_gets_no_reply)
{
    struct peer p;
    peer_init(&p, NULL);
    esc_power_on(p.e, 0);
    peer_run(&p, S(1.0));
    size_t before = p.nlog;
    /* 0xFF words * 2 + 4 bytes > 512: no reply. */
    struct frame f;
    uint8_t n = 4, raw[32];
    size_t len;
    frame_make(&f, 0x20, 0x01, 0xFF, &n, 1);
    frame_encode(&f, raw, sizeof(raw), &len);
    esc_rx(p.e, ESC_LINE_DASH, S(1.0) + 10, raw, len);
    peer_run(&p, S(1.02));
    for (size_t i = before; i < p.nlog; i++)
        cr_assert(!(p.log[i].line == ESC_LINE_DASH && p.log[i].bytes[3] == 0x23));
    peer_free(&p);
}

/* ---- parameters ----------------------------------------------------------------------------- */

Test(esc_drive, parameter_table_is_complete_and_graded)
{
    for (int i = 0; i < ESC_P_COUNT; i++) {
        const struct esc_param_info *pi = esc_param_info(i);
        cr_assert_not_null(pi);
        for (int m = 0; m < ESC_MODEL_COUNT; m++)
            cr_assert(pi->grade[m] == 'S' || pi->grade[m] == 'D' || pi->grade[m] == 'O' ||
                      pi->grade[m] == 'I', "%s grade", pi->name);   /* esc_params.h's grades */
        cr_assert_gt(strlen(pi->source), 10, "%s has no source", pi->name);
        cr_assert_eq(esc_param_find(pi->name), i, "%s name not unique", pi->name);
    }
    cr_assert_null(esc_param_info(ESC_P_COUNT));
}

Test(esc_drive, profile_text_overrides_and_reports_bad_lines)
{
    struct esc_params p;
    esc_params_default(&p, ESC_MODEL_M365);
    const char *ok = "# bench unit 3\nmodel = pro2\nnormal_batt_a = 20  # patched\n\nmiss_limit=30\n";
    unsigned line = 0;
    char err[128] = "";
    cr_assert_eq(esc_params_apply_text(&p, ok, strlen(ok), &line, err, sizeof(err)), BMSRIG_OK,
                 "%u: %s", line, err);
    cr_assert_eq(p.model, ESC_MODEL_PRO2);
    cr_assert_float_eq(p.v[ESC_P_NORMAL_BATT_A], 20.0, 1e-9);
    cr_assert_float_eq(p.v[ESC_P_MISS_LIMIT], 30.0, 1e-9);
    cr_assert_float_eq(p.v[ESC_P_MOTOR_RATED_W], 300.0, 1e-9);
    cr_assert(p.overridden[ESC_P_NORMAL_BATT_A]);
    cr_assert(!p.overridden[ESC_P_ECO_BATT_A]);

    struct { const char *text; unsigned line; int rc; } bad[] = {
        { "normal_batt_a = 20\nnosuch = 1\n", 2, BMSRIG_ERR_ARG },
        { "\n\nnormal_batt_a 20\n", 3, BMSRIG_ERR_PARSE },
        { "normal_batt_a = twenty\n", 1, BMSRIG_ERR_PARSE },
        { "tick_us = 0\n", 1, BMSRIG_ERR_RANGE },
        { "miss_limit = 2.5\n", 1, BMSRIG_ERR_RANGE },
        { "eco_batt_a = 5\nmodel = pro2\n", 2, BMSRIG_ERR_PARSE },
        { "model = pro3\n", 1, BMSRIG_ERR_ARG },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        esc_params_default(&p, ESC_MODEL_M365);
        line = 0;
        int rc = esc_params_apply_text(&p, bad[i].text, strlen(bad[i].text), &line, err,
                                       sizeof(err));
        cr_assert_eq(rc, bad[i].rc, "case %zu: rc %d", i, rc);
        cr_assert_eq(line, bad[i].line, "case %zu: line %u", i, line);
        cr_assert_gt(strlen(err), 0);
    }
}

Test(esc_drive, overridden_timing_changes_the_bus)
{
    /* miss_limit 10: error 21 about 10 polls after the last good reply. */
    struct esc_params prm;
    esc_params_default(&prm, ESC_MODEL_M365);
    esc_params_set(&prm, "miss_limit", 10);
    struct peer p;
    peer_init(&p, &prm);
    p.mute_from_us = S(4.0);
    p.mute_until_us = S(100.0);
    esc_power_on(p.e, 0);
    peer_run(&p, S(6.3));
    cr_assert_eq(esc_error_code(p.e), 21);
    peer_free(&p);
    /* And the default does not raise it that early. */
    peer_init(&p, NULL);
    p.mute_from_us = S(4.0);
    p.mute_until_us = S(100.0);
    esc_power_on(p.e, 0);
    peer_run(&p, S(6.3));
    cr_assert_eq(esc_error_code(p.e), 0);
    peer_free(&p);
}

Test(esc_drive, pro2_variant_runs_the_same_bus)
{
    struct esc_params prm;
    esc_params_default(&prm, ESC_MODEL_PRO2);
    struct peer p;
    peer_init(&p, &prm);
    esc_power_on(p.e, 0);
    peer_run(&p, S(5.0));
    struct esc_status st;
    esc_status(p.e, &st);
    cr_assert(st.bms_ok);
    cr_assert_eq(esc_error_code(p.e), 0);
    uint16_t fw;
    regimg_get_u16(esc_image(p.e), REGMAP_ESC_WORDS, ESC_W_FW, &fw);
    cr_assert_eq(fw, 0x0250);
    peer_free(&p);
}

Test(esc_drive, tx_queue_without_callback)
{
    struct esc *e = esc_new(NULL);
    cr_assert_not_null(e);
    esc_power_on(e, 0);
    esc_tick(e, S(0.6));
    uint8_t buf[64];
    size_t n = esc_tx_take(e, ESC_LINE_BMS, buf, sizeof(buf));
    cr_assert_eq(n, 9);
    const uint8_t req[9] = { 0x55, 0xAA, 0x03, 0x22, 0x01, 0x10, 0x10, 0xB9, 0xFF };
    cr_assert_eq(memcmp(buf, req, 9), 0);
    cr_assert_eq(esc_tx_take(e, ESC_LINE_BMS, buf, sizeof(buf)), 0);
    esc_free(e);
    esc_free(NULL);
}

Test(esc_drive, power_off_draws_nothing_and_power_on_resets)
{
    struct peer p;
    peer_init(&p, NULL);
    p.mute_from_us = S(1.0);
    p.mute_until_us = S(12.0);
    struct esc_rider r = { .throttle = 1.0, .brake = 0.0, .mode = ESC_MODE_NORMAL };
    esc_set_rider(p.e, &r);
    esc_power_on(p.e, 0);
    peer_run(&p, S(10.0));
    cr_assert_eq(esc_error_code(p.e), 21);
    esc_power_off(p.e);
    size_t sent = p.nlog;
    peer_run(&p, S(12.0));
    cr_assert_eq(p.nlog, sent, "an unpowered ESC sends nothing");
    cr_assert_float_eq(esc_battery_current_a(p.e), 0.0, 1e-12);
    cr_assert_eq(esc_error_code(p.e), 0);
    struct esc_status st;
    esc_status(p.e, &st);
    cr_assert_eq(st.limit_reason, ESC_LIMIT_OFF);
    esc_power_on(p.e, S(12.0));
    peer_run(&p, S(14.0));
    esc_status(p.e, &st);
    cr_assert(st.bms_ok);
    cr_assert_eq(st.misses, 0);
    cr_assert_eq(esc_error_code(p.e), 0);
    peer_free(&p);
}

Test(esc_drive, uphill_is_slower)
{
    double top[2];
    double grades[2] = { 0.0, 0.08 };
    for (int k = 0; k < 2; k++) {
        struct peer p;
        peer_init(&p, NULL);
        esc_set_grade(p.e, grades[k]);
        esc_power_on(p.e, 0);
        peer_run(&p, S(2.0));
        struct esc_rider r = { .throttle = 1.0, .brake = 0.0, .mode = ESC_MODE_NORMAL };
        esc_set_rider(p.e, &r);
        peer_run(&p, S(40.0));
        top[k] = esc_speed_kmh(p.e);
        if (k == 1)
            cr_assert(fabs(esc_battery_current_a(p.e) - (17.0 + IDLE)) < 0.3,
                      "climbing at the limit: %.2f A", esc_battery_current_a(p.e));
        peer_free(&p);
    }
    cr_assert(top[1] < top[0] - 3.0, "8 %% grade %.2f km/h vs flat %.2f km/h", top[1], top[0]);
    cr_assert_gt(top[1], 5.0);
}

Test(esc_drive, dashboard_0x61_read_and_m365_head_frame)
{
    struct esc_params prm;
    esc_params_default(&prm, ESC_MODEL_M365);
    cr_assert_eq(esc_params_set(&prm, "dash_pro_frame", 0), BMSRIG_OK);
    struct peer p;
    peer_init(&p, &prm);
    esc_power_on(p.e, 0);
    peer_run(&p, S(3.0));
    /* 55 AA 06 20 61 B4 04 00 30 28 ck ck: read 4 bytes at 0xB4 with lever data. */
    struct frame f;
    uint8_t pl[4] = { 4, 0x00, 0x30, 0x28 }, raw[32];
    size_t len;
    frame_make(&f, 0x20, 0x61, 0xB4, pl, sizeof(pl));
    frame_encode(&f, raw, sizeof(raw), &len);
    size_t before = p.nlog;
    esc_rx(p.e, ESC_LINE_DASH, S(3.0) + 10, raw, len);
    peer_run(&p, S(3.02));
    const struct peer_sent *reply = NULL;
    for (size_t i = before; i < p.nlog; i++)
        if (p.log[i].line == ESC_LINE_DASH && p.log[i].bytes[3] == 0x23)
            reply = &p.log[i];
    cr_assert_not_null(reply);
    cr_assert_eq(reply->n, 4 + 8);
    cr_assert_eq(reply->bytes[5], 0xB4);
    cr_assert_eq(reply->bytes[6], 47, "battery %%");
    /* The M365 head frame: 55 AA 06 21 64 00 mode bars light beep ck ck, no error byte. */
    const struct peer_sent *head = NULL;
    for (size_t i = 0; i < p.nlog; i++)
        if (p.log[i].line == ESC_LINE_DASH && p.log[i].bytes[4] == 0x64)
            head = &p.log[i];
    cr_assert_not_null(head);
    cr_assert_eq(head->n, 12);
    cr_assert_eq(head->bytes[2], 0x06);
    cr_assert_eq(head->bytes[7], 4, "47 %% is 4 of 8 bars");
    peer_free(&p);
}

Test(esc_drive, tx_queue_drops_oldest_bytes_when_not_taken)
{
    struct esc *e = esc_new(NULL);
    cr_assert_not_null(e);
    esc_power_on(e, 0);
    esc_tick(e, S(10.0));   /* ~500 boot requests + 100 head frames, never taken */
    cr_assert_gt(esc_tx_dropped(e), 0);
    uint8_t buf[8192];
    size_t n = esc_tx_take(e, ESC_LINE_BMS, buf, sizeof(buf));
    cr_assert_leq(n, 4096);
    /* What is left ends with whole requests. */
    const uint8_t req[9] = { 0x55, 0xAA, 0x03, 0x22, 0x01, 0x10, 0x10, 0xB9, 0xFF };
    cr_assert_geq(n, 9);
    cr_assert_eq(memcmp(buf + n - 9, req, 9), 0);
    esc_free(e);
}
