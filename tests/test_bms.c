/* test_bms.c: the BMS model driven with hand-made input snapshots: profiles, conformance with
 * the two-way recording, register consistency, every protection on both sides of its threshold
 * and delay, balancing, the coulomb counter, writes and ignored requests. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "sim/bms.h"
#include "sim/status.h"
#include "test_support.h"

static struct bms_profile load(const char *name)
{
    struct bms_profile p;
    char err[256] = "";
    int rc = bms_profile_builtin(name, &p, err, sizeof(err));
    cr_assert_eq(rc, BMSRIG_OK, "profile %s: %s", name, err);
    return p;
}

/* A BMS awake at t = 0 with noise off, resting at cell_v and 25 C. It samples on every step
 * (sample_ms 0), so the protection tests below pin their delays and thresholds to the step;
 * the profiles' own AFE period is tested in the "sampling" tests. */
static struct bms *quiet_bms(struct bms_profile *p)
{
    p->wake_silence_ms = 0;
    p->sample_ms = 0;
    struct bms *b = bms_new(p, 7);
    cr_assert_not_null(b);
    bms_set_noise(b, false);
    return b;
}

/* Steps `b` for `seconds` with `in` at dt_s, starting at *t_us (advanced). */
static void run(struct bms *b, int64_t *t_us, const struct bms_inputs *in, double seconds, double dt_s)
{
    long n = lround(seconds / dt_s);
    for (long i = 0; i < n; i++) {
        *t_us += (int64_t)llround(dt_s * 1e6);
        bms_step(b, *t_us, dt_s, in);
    }
}

static uint16_t img16(const struct bms *b, unsigned word)
{
    uint16_t v = 0;
    cr_assert_eq(regimg_get_u16(bms_image(b), REGMAP_BMS_WORDS, word, &v), BMSRIG_OK);
    return v;
}

static enum bms_req_result read_req(struct bms *b, int64_t t, uint8_t word, uint8_t n, struct frame *rep)
{
    struct frame req;
    frame_make(&req, FRAME_ADDR_TO_BMS, FRAME_CMD_READ, word, &n, 1);
    return bms_handle_request(b, t, &req, rep);
}

/* ---- profiles ------------------------------------------------------------------------------- */

Test(bms, every_builtin_profile_loads_and_validates)
{
    const char *want[] = { "m365_stock", "pro_stock", "pro2_fw126", "pro2_latest", "happy_bms",
                           "generic_12s" };
    cr_assert_geq(bms_profile_builtin_count(), 6);
    for (size_t i = 0; i < 6; i++) {
        struct bms_profile p = load(want[i]);
        cr_assert_str_eq(p.name, want[i]);
        cr_assert_str_neq(p.serial, REGMAP_BMS_DEFAULT_SERIAL, "%s uses the default serial", want[i]);
        cr_assert_eq(strlen(p.serial), 14);
    }
    struct bms_profile m = load("m365_stock");
    cr_assert_eq(m.fw_version, 0x0115);
    cr_assert_eq(m.series, 10);
    cr_assert_eq(m.parallel, 3);
    cr_assert_eq(m.design_cap_mah, 7800);
    cr_assert_eq(load("pro_stock").parallel, 4);
    cr_assert_eq(load("pro2_fw126").design_cap_mah, 12800);
    cr_assert_float_eq(load("pro2_fw126").charge_stop_mv, 4200.0, 1e-9);
    cr_assert_eq(load("pro2_latest").design_cap_mah, 12400);
    cr_assert_float_eq(load("pro2_latest").charge_stop_mv, 4050.0, 1e-9);
    struct bms_profile h = load("happy_bms");
    cr_assert_float_eq(h.dsg_oc_a, 44.0, 1e-9);
    cr_assert_float_eq(h.cc_saturate_mah, 32000.0, 1e-9);
    cr_assert(h.needs_charger_wake);
    cr_assert_float_eq(h.chg_temp_max_c, 40.0, 1e-9);
    cr_assert_eq(load("generic_12s").series, 12);
}

Test(bms, profile_parser_reports_file_and_line)
{
    struct bms_profile p;
    char err[256];
    const char *cases[][2] = {
        { "name x\ncell_ov_mv 4200\n", "t.txt:2: 'cell_ov_mv' needs a grade" },
        { "cell_ov_mv abc [S] x\n", "t.txt:1: 'cell_ov_mv' wants a number" },
        { "\n\nbogus 1 [S]\n", "t.txt:3: unknown setting 'bogus'" },
        { "series -3 [S]\n", "t.txt:1: 'series' wants a non-negative integer" },
        { "serial ABC [S]\n", "t.txt:1: serial must have 14" },
        { "base nosuch\n", "t.txt:1: unknown base profile" },
        { "needs_charger_wake maybe [I]\n", "t.txt:1: 'needs_charger_wake' wants yes/no" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bms_profile_defaults(&p);
        int rc = bms_profile_parse(&p, cases[i][0], strlen(cases[i][0]), "t.txt", err, sizeof(err));
        cr_assert_eq(rc, BMSRIG_ERR_PARSE, "case %zu", i);
        cr_assert(strstr(err, cases[i][1]) != NULL, "case %zu: got '%s'", i, err);
    }
    bms_profile_defaults(&p);
    const char *ok = "base m365_stock\nname mine # comment\ncell_ov_mv 4300 [D] test\n";
    cr_assert_eq(bms_profile_parse(&p, ok, strlen(ok), "t.txt", err, sizeof(err)), BMSRIG_OK, "%s", err);
    cr_assert_str_eq(p.name, "mine");
    cr_assert_float_eq(p.cell_ov_mv, 4300.0, 1e-9);
    cr_assert_eq(p.fw_version, 0x0115);
    p.cell_ov_release_mv = 4400;
    cr_assert_eq(bms_profile_validate(&p, err, sizeof(err)), BMSRIG_ERR_RANGE);
    cr_assert(strstr(err, "cell_ov_release_mv") != NULL, "%s", err);
    cr_assert_eq(bms_profile_builtin("nope", &p, err, sizeof(err)), BMSRIG_ERR_ARG);
}

/* ---- conformance with the two-way recording -------------------------------------------------- */

/* The recording's pack: serial 3JAGJ17A8D3660, fw 0x0115, 3697 mAh of 7800 (47 %), 35.94 V,
 * 23 C; the current comes from each recorded reply. */
static struct bms *recording_bms(void)
{
    struct bms_profile p = load("m365_stock");
    memcpy(p.serial, "3JAGJ17A8D3660", 15);
    p.fw_version = 0x0115;
    p.sample_ms = 0;   /* the current of each recorded reply is fed just before its request */
    struct bms *b = bms_new(&p, 1);
    cr_assert_not_null(b);
    bms_set_noise(b, false);
    bms_set_remaining_mah(b, 3697.4);
    return b;
}

static double frame_end_s(const struct capture_row *r)
{
    return r->t_s + (double)r->nbytes * 10.0 / 115200.0;
}

Test(bms, every_recorded_request_gets_the_recorded_reply_byte_for_byte)
{
    struct ts_capture cap = ts_capture_load("captures/m365_esc_bms_powerup.csv");
    struct bms *b = recording_bms();
    struct bms_inputs in;
    bms_inputs_rest(&in, bms_profile(b), 3.594, 23.0);
    int64_t last_us = 0;
    size_t answered = 0, silent = 0;
    for (size_t i = 0; i < cap.count; i++) {
        const struct capture_row *r = &cap.rows[i];
        if (strcmp(r->line, "esc_tx") != 0 || strcmp(r->check, "ok") != 0)
            continue;
        /* the recorded answer: the next bms_tx row before the next esc_tx row */
        const struct capture_row *want = NULL;
        for (size_t j = i + 1; j < cap.count && strcmp(cap.rows[j].line, "esc_tx") != 0; j++)
            if (strcmp(cap.rows[j].line, "bms_tx") == 0)
                want = &cap.rows[j];
        if (want && strcmp(want->check, "ok") != 0)
            continue;    /* the reply power-off cut short: nothing to compare */
        if (want && want->nbytes >= 12 && want->bytes[4] == 0x01 && want->bytes[5] == 0x30)
            in.current_a = (int16_t)(want->bytes[12] | want->bytes[13] << 8) * 0.01;
        int64_t t_us = (int64_t)llround(frame_end_s(r) * 1e6);
        bms_step(b, t_us, last_us ? (double)(t_us - last_us) * 1e-6 : 0.01, &in);
        last_us = t_us;
        struct frame req, rep;
        struct frame_decoder d;
        struct ts_frames *got = calloc(1, sizeof(*got));
        frame_decoder_init(&d, ts_collect_event, got);
        frame_decoder_feed(&d, r->bytes, r->nbytes);
        cr_assert_eq(got->count, 1, "row %u", r->lineno);
        req = got->frames[0];
        free(got);
        enum bms_req_result res = bms_handle_request(b, t_us, &req, &rep);
        if (!want) {
            cr_assert_eq(res, BMS_REQ_SILENT, "line %u: unanswered in the recording, got %s",
                         r->lineno, bms_req_result_name(res));
            silent++;
            continue;
        }
        cr_assert_eq(res, BMS_REQ_REPLY, "line %u: %s", r->lineno, bms_req_result_name(res));
        uint8_t out[FRAME_BYTES_MAX];
        size_t n = 0;
        cr_assert_eq(frame_encode(&rep, out, sizeof(out), &n), BMSRIG_OK);
        cr_assert_eq(n, want->nbytes, "line %u: length", want->lineno);
        cr_assert_arr_eq(out, want->bytes, n, "line %u: reply differs from the recording", want->lineno);
        answered++;
    }
    cr_assert_eq(answered, 49, "49 complete replies in the recording, matched %zu", answered);
    cr_assert_eq(silent, 40, "40 requests fall in the power-up silence, saw %zu", silent);
    bms_free(b);
    ts_capture_free(&cap);
}

Test(bms, power_up_silence_is_a_parameter)
{
    struct bms_profile p = load("m365_stock");
    p.wake_silence_ms = 100;
    struct bms *b = bms_new(&p, 1);
    struct frame rep;
    cr_assert_eq(read_req(b, 5000000, 0x10, 16, &rep), BMS_REQ_SILENT);
    cr_assert_eq(read_req(b, 5099000, 0x10, 16, &rep), BMS_REQ_SILENT);
    cr_assert_eq(read_req(b, 5100000, 0x10, 16, &rep), BMS_REQ_REPLY);
    bms_power_on(b, 6000000);
    cr_assert_eq(read_req(b, 6000000, 0x10, 16, &rep), BMS_REQ_SILENT);
    cr_assert_eq(read_req(b, 6100001, 0x10, 16, &rep), BMS_REQ_REPLY);
    cr_assert_eq(bms_counters(b)->silent, 3);
    bms_free(b);
}

/* ---- register consistency ------------------------------------------------------------------- */

Test(bms, register_reads_are_consistent_with_the_model)
{
    struct bms_profile p = load("m365_stock");
    struct bms *b = quiet_bms(&p);
    struct bms_inputs in;
    bms_inputs_rest(&in, &p, 3.6, 25.0);
    double sum = 0;
    for (unsigned g = 0; g < 10; g++) {
        in.group_v[g] = 3.6013 + 0.0011 * g;
        sum += in.group_v[g];
    }
    in.current_a = 1.234;
    in.ntc_ohm[1] = bms_ntc_ohm_from_c(31.2, p.ntc_beta, p.ntc_r25_ohm);
    bms_set_soc(b, 62.0);
    int64_t t = 0;
    run(b, &t, &in, 0.1, 0.01);
    struct frame rep;
    cr_assert_eq(read_req(b, t, 0x30, 12, &rep), BMS_REQ_REPLY);
    cr_assert_eq(rep.addr, 0x25);
    cr_assert_eq(rep.payload_len, 12);
    uint16_t status = (uint16_t)(rep.payload[0] | rep.payload[1] << 8);
    cr_assert_eq(status, 0x0001);
    uint16_t soc = (uint16_t)(rep.payload[4] | rep.payload[5] << 8);
    cr_assert_eq(soc, 62);
    int16_t cur = (int16_t)(rep.payload[6] | rep.payload[7] << 8);
    cr_assert_eq(cur, 123, "current 1.234 A discharging reads +123 x 10 mA");
    uint16_t volt = (uint16_t)(rep.payload[8] | rep.payload[9] << 8);
    cr_assert_eq(rep.payload[10], 25 + 20);
    cr_assert_eq(rep.payload[11], 31 + 20);
    cr_assert_eq(read_req(b, t, 0x40, 30, &rep), BMS_REQ_REPLY);
    unsigned cell_sum = 0;
    for (unsigned g = 0; g < 10; g++) {
        unsigned mv = (unsigned)(rep.payload[2 * g] | rep.payload[2 * g + 1] << 8);
        cr_assert_leq(fabs(mv - in.group_v[g] * 1000.0), 0.5 + 1e-6, "cell %u: %u mV", g + 1, mv);
        cell_sum += mv;
    }
    for (unsigned g = 10; g < 15; g++)
        cr_assert_eq(rep.payload[2 * g] | rep.payload[2 * g + 1], 0, "absent cell %u", g + 1);
    cr_assert_leq(fabs(volt * 10.0 - cell_sum), 5.0, "pack %u x 10 mV vs cells %u mV", volt, cell_sum);
    cr_assert_leq(fabs(volt * 10.0 - sum * 1000.0), 10.0);
    /* charging: negative current */
    in.current_a = -2.0;
    in.charger_present = true;
    run(b, &t, &in, 0.05, 0.01);
    cr_assert_eq((int16_t)img16(b, BMS_W_CURRENT), -200);
    cr_assert(img16(b, BMS_W_STATUS) & BMS_STATUS_CHARGING);
    /* identity block */
    cr_assert_eq(read_req(b, t, 0x10, 16, &rep), BMS_REQ_REPLY);
    cr_assert_arr_eq(rep.payload, p.serial, 14);
    cr_assert_eq(rep.payload[14] | rep.payload[15] << 8, 0x0115);
    cr_assert_eq(img16(b, BMS_W_DESIGN_CAP), 7800);
    cr_assert_eq(img16(b, BMS_W_DATE), ((2018 - 2000) << 9) | (3 << 5) | 14);
    cr_assert_eq(img16(b, BMS_W_HEALTH), 98);
    /* reads anywhere inside the image, none outside */
    cr_assert_eq(read_req(b, t, 0x7F, 2, &rep), BMS_REQ_REPLY);
    cr_assert_eq(read_req(b, t, 0x7F, 3, &rep), BMS_REQ_BAD_RANGE);
    cr_assert_eq(read_req(b, t, 0x80, 2, &rep), BMS_REQ_BAD_RANGE);
    bms_free(b);
}

/* Every documented word range (protocol.md section 3, and the apps' reads) reads back exactly the
 * image bytes, with the values the model holds. */
Test(bms, documented_ranges_read_back_from_the_image)
{
    struct bms_profile p = load("m365_stock");
    struct bms *b = quiet_bms(&p);
    struct bms_inputs in;
    bms_inputs_rest(&in, &p, 3.95, 27.0);
    bms_set_soc(b, 80);
    int64_t t = 0;
    run(b, &t, &in, 0.05, 0.01);
    const struct { uint8_t word, n; } ranges[] = {
        { 0x00, 2 }, { 0x10, 16 }, { 0x10, 18 }, { 0x18, 4 }, { 0x1B, 4 }, { 0x20, 2 },
        { 0x20, 8 }, { 0x30, 12 }, { 0x31, 10 }, { 0x36, 2 }, { 0x3B, 2 }, { 0x40, 20 },
        { 0x40, 24 }, { 0x40, 30 }, { 0x00, 253 }, { 0x7F, 2 },
    };
    for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
        struct frame rep;
        cr_assert_eq(read_req(b, t, ranges[i].word, ranges[i].n, &rep), BMS_REQ_REPLY, "range %zu", i);
        cr_assert_eq(rep.payload_len, ranges[i].n);
        cr_assert_arr_eq(rep.payload, bms_image(b) + 2 * ranges[i].word, ranges[i].n, "range %zu", i);
    }
    struct frame rep;
    cr_assert_eq(read_req(b, t, 0x00, 254, &rep), BMS_REQ_BAD_RANGE, "L would exceed 255");
    cr_assert_eq(img16(b, 0x00), 0x5A5A);
    cr_assert_eq(img16(b, BMS_W_REAL_CAP), 7800);
    cr_assert_eq(img16(b, BMS_W_CYCLES), p.cycles);
    cr_assert_eq(img16(b, BMS_W_CHARGES), p.charges);
    cr_assert_eq(img16(b, BMS_W_REMAINING), 6240);
    cr_assert_eq(img16(b, BMS_W_SOC), 80);
    cr_assert_eq(img16(b, BMS_W_VOLTAGE), 3950);
    cr_assert_eq(img16(b, BMS_W_TEMPS), (27 + 20) | (27 + 20) << 8);
    cr_assert_eq(img16(b, BMS_W_MAX_V), 3950);
    for (unsigned w = 0x21; w <= 0x23; w++)
        cr_assert_eq(img16(b, w), 0, "error bytes");
    bms_free(b);
}

Test(bms, twelve_s_profile_serves_cells_11_and_12)
{
    struct bms_profile p = load("generic_12s");
    struct bms *b = quiet_bms(&p);
    struct bms_inputs in;
    bms_inputs_rest(&in, &p, 3.7, 25.0);
    in.group_v[10] = 3.711;
    in.group_v[11] = 3.722;
    int64_t t = 0;
    run(b, &t, &in, 0.02, 0.01);
    cr_assert_eq(img16(b, 0x4A), 3711);
    cr_assert_eq(img16(b, 0x4B), 3722);
    cr_assert_eq(img16(b, 0x4C), 0);
    cr_assert_eq(img16(b, BMS_W_VOLTAGE), (10 * 3700 + 3711 + 3722 + 5) / 10);
    bms_free(b);
}

Test(bms, temperature_bytes_clamp_and_ntc_faults)
{
    struct bms_profile p = load("m365_stock");
    struct bms *b = quiet_bms(&p);
    struct bms_inputs in;
    bms_inputs_rest(&in, &p, 3.7, 25.0);
    in.ntc_ohm[0] = INFINITY;   /* open NTC: reads as cold as a byte allows */
    in.ntc_ohm[1] = 0.0;        /* shorted: as hot */
    int64_t t = 0;
    run(b, &t, &in, 0.02, 0.01);
    cr_assert_eq(bms_image(b)[2 * BMS_W_TEMPS], 0);
    cr_assert_eq(bms_image(b)[2 * BMS_W_TEMPS + 1], 255);
    in.ntc_ohm[0] = bms_ntc_ohm_from_c(-10.0, p.ntc_beta, p.ntc_r25_ohm);
    in.ntc_ohm[1] = bms_ntc_ohm_from_c(70.4, p.ntc_beta, p.ntc_r25_ohm);
    run(b, &t, &in, 0.02, 0.01);
    cr_assert_eq(bms_image(b)[2 * BMS_W_TEMPS], 10);
    cr_assert_eq(bms_image(b)[2 * BMS_W_TEMPS + 1], 90);
    bms_free(b);
}

Test(bms, noise_is_seeded_and_bounded)
{
    struct bms_profile p = load("m365_stock");
    p.wake_silence_ms = 0;
    struct bms *a = bms_new(&p, 99), *c = bms_new(&p, 99), *d = bms_new(&p, 100);
    struct bms_inputs in;
    bms_inputs_rest(&in, &p, 3.7, 25.0);
    int64_t ta = 0, tc = 0, td = 0;
    bool differs = false;
    for (int i = 0; i < 200; i++) {
        run(a, &ta, &in, 0.01, 0.01);
        run(c, &tc, &in, 0.01, 0.01);
        run(d, &td, &in, 0.01, 0.01);
        cr_assert_arr_eq(bms_image(a), bms_image(c), 256, "same seed, same image");
        if (memcmp(bms_image(a), bms_image(d), 256) != 0)
            differs = true;
        for (unsigned g = 0; g < 10; g++)
            cr_assert_leq(abs((int)bms_measure(a)->group_mv[g] - 3700), 8, "5 sigma");
    }
    cr_assert(differs, "a different seed gives different noise");
    bms_free(a);
    bms_free(c);
    bms_free(d);
}

/* ---- protections: both sides of each threshold, with the delay -------------------------------- */

struct prot_fixture {
    struct bms_profile p;
    struct bms *b;
    struct bms_inputs in;
    int64_t t;
};

static void pf_init(struct prot_fixture *f, const char *profile)
{
    f->p = load(profile);
    f->b = quiet_bms(&f->p);
    bms_inputs_rest(&f->in, &f->p, 3.7, 25.0);
    f->in.current_a = 1.0;     /* a light load, so the at-rest deep-UV check stays out of it */
    f->t = 0;
    bms_set_soc(f->b, 50);
}

static void pf_run(struct prot_fixture *f, double s)
{
    run(f->b, &f->t, &f->in, s, 0.01);
}

Test(bms, cell_over_voltage_trips_after_its_delay_and_releases_with_hysteresis)
{
    struct prot_fixture f;
    pf_init(&f, "m365_stock");
    f.in.group_v[4] = 4.249;
    pf_run(&f, 5.0);
    cr_assert_not(bms_protections(f.b) & BMS_PROT_CELL_OV, "4.249 V is below 4.250 V");
    f.in.group_v[4] = 4.251;
    pf_run(&f, 1.95);
    cr_assert_not(bms_protections(f.b) & BMS_PROT_CELL_OV, "not before 2 s");
    pf_run(&f, 0.1);
    cr_assert(bms_protections(f.b) & BMS_PROT_CELL_OV, "tripped after 2 s");
    cr_assert_not(bms_charge_enabled(f.b));
    cr_assert(bms_discharge_enabled(f.b), "OV opens the charge switch only");
    cr_assert(img16(f.b, BMS_W_STATUS) & BMS_STATUS_OVERVOLTAGE);
    f.in.group_v[4] = 4.151;
    pf_run(&f, 5.0);
    cr_assert(bms_protections(f.b) & BMS_PROT_CELL_OV, "still held above 4.150 V");
    f.in.group_v[4] = 4.149;
    pf_run(&f, 0.02);
    cr_assert_not(bms_protections(f.b) & BMS_PROT_CELL_OV);
    cr_assert_not(img16(f.b, BMS_W_STATUS) & BMS_STATUS_OVERVOLTAGE);
    cr_assert_not(bms_charge_enabled(f.b), "the 4.20 V charge ceiling still holds until 4.10 V");
    f.in.group_v[4] = 4.100;
    pf_run(&f, 0.02);
    cr_assert(bms_charge_enabled(f.b));
    bms_free(f.b);
}

Test(bms, charge_ceiling_differs_between_pro2_firmwares)
{
    const char *names[] = { "pro2_fw126", "pro2_latest" };
    const double ceiling[] = { 4.200, 4.050 };
    const double resume[] = { 4.100, 3.980 };
    for (int i = 0; i < 2; i++) {
        struct prot_fixture f;
        pf_init(&f, names[i]);
        f.in.charger_present = true;
        f.in.current_a = -1.0;
        for (unsigned g = 0; g < 10; g++)
            f.in.group_v[g] = ceiling[i] - 0.002;
        pf_run(&f, 1.0);
        cr_assert(bms_charge_enabled(f.b), "%s below its ceiling", names[i]);
        f.in.group_v[3] = ceiling[i];
        pf_run(&f, 0.01);
        cr_assert_not(bms_charge_enabled(f.b), "%s stops charging at %.3f V", names[i], ceiling[i]);
        for (unsigned g = 0; g < 10; g++)
            f.in.group_v[g] = resume[i] + 0.001;
        f.in.current_a = 0.0;
        pf_run(&f, 1.0);
        cr_assert_not(bms_charge_enabled(f.b), "%s: hysteresis", names[i]);
        for (unsigned g = 0; g < 10; g++)
            f.in.group_v[g] = resume[i];
        pf_run(&f, 0.01);
        cr_assert(bms_charge_enabled(f.b), "%s resumes at %.3f V", names[i], resume[i]);
        bms_free(f.b);
    }
}

Test(bms, cell_under_voltage_opens_discharge_after_its_delay)
{
    struct prot_fixture f;
    pf_init(&f, "m365_stock");
    f.in.group_v[7] = 2.801;
    pf_run(&f, 10.0);
    cr_assert(bms_discharge_enabled(f.b), "2.801 V is above 2.800 V");
    f.in.group_v[7] = 2.799;
    pf_run(&f, 1.95);
    cr_assert(bms_discharge_enabled(f.b), "not before 2 s");
    pf_run(&f, 0.1);
    cr_assert_not(bms_discharge_enabled(f.b));
    cr_assert(bms_charge_enabled(f.b), "UV leaves the charge switch closed");
    f.in.current_a = 0.6;      /* keep it off the at-rest deep-UV path */
    f.in.group_v[7] = 2.999;
    pf_run(&f, 1.0);
    cr_assert_not(bms_discharge_enabled(f.b), "held below the 3.000 V release");
    f.in.group_v[7] = 3.000;
    pf_run(&f, 0.01);
    cr_assert(bms_discharge_enabled(f.b));
    bms_free(f.b);
}

Test(bms, deep_under_voltage_at_rest_locks_out_until_brought_up)
{
    struct prot_fixture f;
    pf_init(&f, "m365_stock");
    for (unsigned g = 0; g < 10; g++)
        f.in.group_v[g] = 3.001;
    f.in.current_a = 0.0;
    pf_run(&f, 20.0);
    cr_assert_not(bms_protections(f.b) & BMS_PROT_DEEP_UV, "3.001 V at rest is fine");
    f.in.group_v[2] = 2.99;
    f.in.current_a = 1.0;
    pf_run(&f, 20.0);
    cr_assert_not(bms_protections(f.b) & BMS_PROT_DEEP_UV, "under load it is not a rest voltage");
    f.in.current_a = 0.0;
    pf_run(&f, 4.9);
    cr_assert_not(bms_protections(f.b) & BMS_PROT_DEEP_UV, "not before 5 s");
    pf_run(&f, 0.2);
    cr_assert(bms_protections(f.b) & BMS_PROT_DEEP_UV);
    cr_assert_not(bms_charge_enabled(f.b), "refuses to charge");
    cr_assert_not(bms_discharge_enabled(f.b));
    cr_assert(img16(f.b, BMS_W_STATUS) & BMS_STATUS_DEEP_UNDERVOLTAGE);
    f.in.charger_present = true;   /* a charger alone does not unlock it */
    f.in.group_v[2] = 3.299;
    pf_run(&f, 5.0);
    cr_assert(bms_protections(f.b) & BMS_PROT_DEEP_UV);
    f.in.group_v[2] = 3.300;        /* the low group topped up gently from outside */
    for (unsigned g = 0; g < 10; g++)
        f.in.group_v[g] = 3.300;
    pf_run(&f, 0.01);
    cr_assert_not(bms_protections(f.b) & BMS_PROT_DEEP_UV);
    cr_assert(bms_charge_enabled(f.b));
    bms_free(f.b);
}

Test(bms, discharge_over_current_trips_after_its_delay_and_retries)
{
    struct prot_fixture f;
    pf_init(&f, "m365_stock");
    f.in.current_a = 34.9;
    pf_run(&f, 10.0);
    cr_assert(bms_discharge_enabled(f.b), "34.9 A is below 35 A");
    f.in.current_a = 35.1;
    pf_run(&f, 1.27);
    cr_assert(bms_discharge_enabled(f.b), "not before 1280 ms");
    pf_run(&f, 0.02);
    cr_assert_not(bms_discharge_enabled(f.b));
    cr_assert(bms_protections(f.b) & BMS_PROT_DSG_OC);
    cr_assert(img16(f.b, BMS_W_STATUS) & BMS_STATUS_DISCHARGE_ERROR);
    f.in.current_a = 0.0;           /* the open switch stops the current */
    pf_run(&f, 4.9);
    cr_assert_not(bms_discharge_enabled(f.b), "latched for the 5 s recovery time");
    pf_run(&f, 0.2);
    cr_assert(bms_discharge_enabled(f.b), "retries after 5 s");
    cr_assert_not(img16(f.b, BMS_W_STATUS) & BMS_STATUS_DISCHARGE_ERROR);
    bms_free(f.b);
}

Test(bms, short_circuit_trips_within_its_delay)
{
    struct prot_fixture f;
    pf_init(&f, "m365_stock");
    f.in.current_a = 79.0;
    run(f.b, &f.t, &f.in, 0.001, 50e-6);
    cr_assert_not(bms_protections(f.b) & BMS_PROT_SHORT, "79 A is below 80 A");
    f.in.current_a = 1.0;
    run(f.b, &f.t, &f.in, 0.01, 50e-6);
    f.in.current_a = 81.0;
    run(f.b, &f.t, &f.in, 150e-6, 50e-6);
    cr_assert_not(bms_protections(f.b) & BMS_PROT_SHORT, "not before 200 us");
    run(f.b, &f.t, &f.in, 100e-6, 50e-6);
    cr_assert(bms_protections(f.b) & BMS_PROT_SHORT);
    cr_assert_not(bms_discharge_enabled(f.b));
    bms_free(f.b);
}

Test(bms, happy_bms_hard_stop_near_44_amps)
{
    struct prot_fixture f;
    pf_init(&f, "happy_bms");
    f.in.charger_present = true;       /* wake it first */
    f.in.current_a = 0.0;
    pf_run(&f, 0.05);
    f.in.charger_present = false;
    f.in.current_a = 43.9;
    pf_run(&f, 5.0);
    cr_assert(bms_discharge_enabled(f.b));
    f.in.current_a = 44.1;
    pf_run(&f, 0.09);
    cr_assert(bms_discharge_enabled(f.b), "not before 100 ms");
    pf_run(&f, 0.02);
    cr_assert_not(bms_discharge_enabled(f.b));
    bms_free(f.b);
}

Test(bms, happy_bms_output_stays_off_until_a_charger_is_seen)
{
    struct prot_fixture f;
    pf_init(&f, "happy_bms");
    pf_run(&f, 1.0);
    cr_assert_not(bms_discharge_enabled(f.b), "a fresh Happy BMS has its output off");
    f.in.charger_present = true;
    f.in.current_a = 0.0;
    pf_run(&f, 0.01);
    f.in.charger_present = false;
    pf_run(&f, 1.0);
    cr_assert(bms_discharge_enabled(f.b), "on after seeing a charger once");
    bms_power_on(f.b, f.t);
    pf_run(&f, 0.1);
    cr_assert(bms_discharge_enabled(f.b), "stays awake across a power cycle of the ESC");
    bms_free(f.b);
}

Test(bms, charge_over_current_trips_and_clears_when_the_charger_goes)
{
    struct prot_fixture f;
    pf_init(&f, "m365_stock");
    f.in.charger_present = true;
    f.in.current_a = -5.9;
    pf_run(&f, 10.0);
    cr_assert(bms_charge_enabled(f.b));
    f.in.current_a = -6.1;
    pf_run(&f, 2.95);
    cr_assert(bms_charge_enabled(f.b), "not before 3 s");
    pf_run(&f, 0.1);
    cr_assert_not(bms_charge_enabled(f.b));
    cr_assert(img16(f.b, BMS_W_STATUS) & BMS_STATUS_CHARGE_ERROR);
    f.in.current_a = 0.0;
    pf_run(&f, 10.0);
    cr_assert_not(bms_charge_enabled(f.b), "latched while the charger stays");
    f.in.charger_present = false;
    pf_run(&f, 0.01);
    cr_assert(bms_charge_enabled(f.b), "cleared when the charger is removed");
    bms_free(f.b);
}

static void set_temp(struct prot_fixture *f, double c)
{
    for (unsigned i = 0; i < BMS_NTC_MAX; i++)
        f->in.ntc_ohm[i] = bms_ntc_ohm_from_c(c, f->p.ntc_beta, f->p.ntc_r25_ohm);
}

Test(bms, charge_temperature_window_both_edges)
{
    struct prot_fixture f;
    pf_init(&f, "m365_stock");
    f.in.charger_present = true;
    f.in.current_a = -1.0;
    set_temp(&f, 54.6);
    pf_run(&f, 5.0);
    cr_assert(bms_charge_enabled(f.b), "54.6 C rounds below 55 C... measured %.2f",
              bms_measure(f.b)->temp_c[0]);
    set_temp(&f, 55.2);
    pf_run(&f, 0.95);
    cr_assert(bms_charge_enabled(f.b), "not before 1 s");
    pf_run(&f, 0.1);
    cr_assert_not(bms_charge_enabled(f.b), "hot: charging paused");
    cr_assert(bms_discharge_enabled(f.b), "discharge window is wider");
    cr_assert(img16(f.b, BMS_W_STATUS) & BMS_STATUS_OVERHEAT);
    set_temp(&f, 50.5);
    pf_run(&f, 2.0);
    cr_assert_not(bms_charge_enabled(f.b), "hysteresis: 50.5 C is not below 50 C");
    set_temp(&f, 49.5);
    pf_run(&f, 0.01);
    cr_assert(bms_charge_enabled(f.b));
    cr_assert_not(img16(f.b, BMS_W_STATUS) & BMS_STATUS_OVERHEAT);
    /* cold side */
    set_temp(&f, 5.5);
    pf_run(&f, 5.0);
    cr_assert(bms_charge_enabled(f.b));
    set_temp(&f, 4.5);
    pf_run(&f, 1.05);
    cr_assert_not(bms_charge_enabled(f.b), "cold charge refused");
    cr_assert_not(img16(f.b, BMS_W_STATUS) & BMS_STATUS_OVERHEAT, "cold is not overheat");
    set_temp(&f, 9.5);
    pf_run(&f, 1.0);
    cr_assert_not(bms_charge_enabled(f.b));
    set_temp(&f, 10.5);
    pf_run(&f, 0.01);
    cr_assert(bms_charge_enabled(f.b));
    bms_free(f.b);
}

Test(bms, happy_bms_pauses_charging_at_40_and_resumes_near_35)
{
    struct prot_fixture f;
    pf_init(&f, "happy_bms");
    f.in.charger_present = true;
    f.in.current_a = -2.0;
    set_temp(&f, 39.5);
    pf_run(&f, 3.0);
    cr_assert(bms_charge_enabled(f.b));
    set_temp(&f, 40.2);
    pf_run(&f, 1.1);
    cr_assert_not(bms_charge_enabled(f.b));
    set_temp(&f, 35.4);
    pf_run(&f, 2.0);
    cr_assert_not(bms_charge_enabled(f.b));
    set_temp(&f, 34.6);
    pf_run(&f, 0.01);
    cr_assert(bms_charge_enabled(f.b));
    bms_free(f.b);
}

Test(bms, discharge_temperature_window_both_edges)
{
    struct prot_fixture f;
    pf_init(&f, "m365_stock");
    set_temp(&f, 59.5);
    pf_run(&f, 5.0);
    cr_assert(bms_discharge_enabled(f.b));
    set_temp(&f, 60.5);
    pf_run(&f, 0.95);
    cr_assert(bms_discharge_enabled(f.b), "not before 1 s");
    pf_run(&f, 0.1);
    cr_assert_not(bms_discharge_enabled(f.b));
    cr_assert(img16(f.b, BMS_W_STATUS) & BMS_STATUS_OVERHEAT);
    set_temp(&f, 55.4);
    pf_run(&f, 1.0);
    cr_assert_not(bms_discharge_enabled(f.b));
    set_temp(&f, 54.6);
    pf_run(&f, 0.01);
    cr_assert(bms_discharge_enabled(f.b));
    set_temp(&f, -19.5);
    pf_run(&f, 3.0);
    cr_assert(bms_discharge_enabled(f.b));
    set_temp(&f, -20.5);
    pf_run(&f, 1.1);
    cr_assert_not(bms_discharge_enabled(f.b), "too cold to discharge");
    bms_free(f.b);
}

/* The two temperature windows side by side (m365_stock: charge 5..55 C, discharge -20..60 C,
 * 5 C hysteresis each, 1 s delay): each has its own delay timer, restarted when its condition
 * lapses; its own latch and release; a window trips on either NTC (hottest or coldest); the
 * overheat bit follows a tripped window only while it is on its hot side. */
Test(bms, temperature_windows_keep_separate_timers_latches_and_hot_side)
{
    const uint32_t both = BMS_PROT_CHG_TEMP | BMS_PROT_DSG_TEMP;
    struct prot_fixture f;
    pf_init(&f, "m365_stock");
    f.in.charger_present = true;
    f.in.current_a = -1.0;
    set_temp(&f, 25.0);
    pf_run(&f, 2.0);
    set_temp(&f, 61.0);
    pf_run(&f, 0.6);
    set_temp(&f, 25.0);
    pf_run(&f, 0.05);
    set_temp(&f, 61.0);
    pf_run(&f, 0.6);
    cr_assert_eq(bms_protections(f.b) & both, 0, "0.6 s, a gap, 0.6 s: the delay restarted");
    pf_run(&f, 0.45);
    cr_assert_eq(bms_protections(f.b) & both, both, "1.05 s at 61 C trips both windows");
    cr_assert(img16(f.b, BMS_W_STATUS) & BMS_STATUS_OVERHEAT);
    set_temp(&f, 54.0);
    pf_run(&f, 0.05);
    cr_assert_eq(bms_protections(f.b) & both, BMS_PROT_CHG_TEMP,
                 "54 C releases discharge (below 55) but not charge (not below 50)");
    cr_assert(img16(f.b, BMS_W_STATUS) & BMS_STATUS_OVERHEAT, "charge still on its hot side");
    set_temp(&f, 49.0);
    pf_run(&f, 0.05);
    cr_assert_eq(bms_protections(f.b) & both, 0);
    cr_assert_not(img16(f.b, BMS_W_STATUS) & BMS_STATUS_OVERHEAT);
    /* one NTC hot, the other cold */
    f.in.ntc_ohm[0] = bms_ntc_ohm_from_c(56.0, f.p.ntc_beta, f.p.ntc_r25_ohm);
    f.in.ntc_ohm[1] = bms_ntc_ohm_from_c(4.0, f.p.ntc_beta, f.p.ntc_r25_ohm);
    pf_run(&f, 1.05);
    cr_assert_eq(bms_protections(f.b) & both, BMS_PROT_CHG_TEMP, "56 C and 4 C: charge only");
    cr_assert(img16(f.b, BMS_W_STATUS) & BMS_STATUS_OVERHEAT, "the hot NTC is past 50 C");
    f.in.ntc_ohm[0] = bms_ntc_ohm_from_c(45.0, f.p.ntc_beta, f.p.ntc_r25_ohm);
    pf_run(&f, 0.05);
    cr_assert_eq(bms_protections(f.b) & both, BMS_PROT_CHG_TEMP, "the cold NTC still holds it");
    cr_assert_not(img16(f.b, BMS_W_STATUS) & BMS_STATUS_OVERHEAT, "no longer on the hot side");
    f.in.ntc_ohm[1] = bms_ntc_ohm_from_c(11.0, f.p.ntc_beta, f.p.ntc_r25_ohm);
    pf_run(&f, 0.05);
    cr_assert_eq(bms_protections(f.b) & both, 0, "11 C is above the 10 C cold release");
    bms_free(f.b);
}

Test(bms, open_sense_wire_opens_both_switches)
{
    struct prot_fixture f;
    pf_init(&f, "m365_stock");
    f.in.group_v[5] = 1.001;
    f.in.group_v[6] = 3.7 + 2.7;    /* an open tap shows its voltage on the neighbour */
    f.in.current_a = 1.0;
    pf_run(&f, 0.5);
    cr_assert_not(bms_protections(f.b) & BMS_PROT_OPEN_WIRE, "1.001 V is above 1.000 V");
    f.in.group_v[5] = 0.2;
    pf_run(&f, 0.95);
    cr_assert_not(bms_protections(f.b) & BMS_PROT_OPEN_WIRE, "not before 1 s");
    pf_run(&f, 0.1);
    cr_assert(bms_protections(f.b) & BMS_PROT_OPEN_WIRE);
    cr_assert_not(bms_discharge_enabled(f.b));
    cr_assert_not(bms_charge_enabled(f.b));
    uint16_t st = img16(f.b, BMS_W_STATUS);
    cr_assert((st & BMS_STATUS_DISCHARGE_ERROR) && (st & BMS_STATUS_CHARGE_ERROR));
    f.in.group_v[5] = 3.7;
    f.in.group_v[6] = 3.7;
    pf_run(&f, 0.01);
    cr_assert_not(bms_protections(f.b) & BMS_PROT_OPEN_WIRE);
    bms_free(f.b);
}

/* ---- balancing and state of charge ---------------------------------------------------------- */

Test(bms, balancing_bleeds_high_groups_only_while_charging)
{
    struct prot_fixture f;
    pf_init(&f, "m365_stock");
    for (unsigned g = 0; g < 10; g++)
        f.in.group_v[g] = 4.020;
    f.in.group_v[3] = 4.045;
    f.in.current_a = 0.0;
    pf_run(&f, 0.02);
    cr_assert_not(bms_bleed(f.b, 3), "no charger, no balancing");
    f.in.charger_present = true;
    f.in.current_a = -1.5;
    pf_run(&f, 0.02);
    cr_assert(bms_bleed(f.b, 3), "25 mV above the lowest, above 4.0 V");
    cr_assert_not(bms_bleed(f.b, 2));
    cr_assert_eq(img16(f.b, BMS_W_BALANCE), 1u << 3);
    f.in.group_v[3] = 4.035;
    pf_run(&f, 0.02);
    cr_assert(bms_bleed(f.b, 3), "keeps bleeding down to half the spread limit");
    f.in.group_v[3] = 4.029;
    pf_run(&f, 0.02);
    cr_assert_not(bms_bleed(f.b, 3));
    for (unsigned g = 0; g < 10; g++)
        f.in.group_v[g] = 3.900;
    f.in.group_v[3] = 3.950;
    pf_run(&f, 0.02);
    cr_assert_not(bms_bleed(f.b, 3), "below the 4.0 V start level");
    cr_assert_eq(img16(f.b, BMS_W_BALANCE), 0);
    bms_free(f.b);
}

Test(bms, coulomb_counter_counts_and_resyncs_at_full)
{
    struct prot_fixture f;
    pf_init(&f, "m365_stock");
    bms_set_remaining_mah(f.b, 5000);
    f.in.current_a = 10.0;
    run(f.b, &f.t, &f.in, 36.0, 0.01);          /* 10 A x 36 s = 100 mAh */
    cr_assert_eq(img16(f.b, BMS_W_REMAINING), 4900);
    cr_assert_eq(img16(f.b, BMS_W_SOC), 63);    /* 4900 / 7800 */
    f.in.current_a = -3.6;
    f.in.charger_present = true;
    run(f.b, &f.t, &f.in, 100.0, 0.01);         /* +100 mAh */
    cr_assert_eq(img16(f.b, BMS_W_REMAINING), 5000);
    unsigned charges = img16(f.b, BMS_W_CHARGES);
    cr_assert_eq(charges, f.p.charges + 1, "plugging the charger counts a charge");
    for (unsigned g = 0; g < 10; g++)
        f.in.group_v[g] = 4.16;
    f.in.current_a = -0.15;                      /* tapered below 200 mA at 4.15 V: full */
    pf_run(&f, 0.02);
    cr_assert_eq(img16(f.b, BMS_W_SOC), 100);
    cr_assert_eq(img16(f.b, BMS_W_REMAINING), 7800);
    /* a full capacity discharged in all (100 mAh before + 7700 mAh now) counts one cycle */
    unsigned cycles = img16(f.b, BMS_W_CYCLES);
    cr_assert_eq(cycles, f.p.cycles);
    for (unsigned g = 0; g < 10; g++)
        f.in.group_v[g] = 3.7;
    f.in.charger_present = false;
    f.in.current_a = 7.7;
    run(f.b, &f.t, &f.in, 3599.0, 0.5);
    cr_assert_eq(img16(f.b, BMS_W_CYCLES), cycles, "not yet");
    run(f.b, &f.t, &f.in, 2.0, 0.5);
    cr_assert_eq(img16(f.b, BMS_W_CYCLES), cycles + 1);
    bms_free(f.b);
}

Test(bms, happy_bms_counter_saturates_near_32_ah)
{
    struct prot_fixture f;
    pf_init(&f, "happy_bms");
    bms_set_soc(f.b, 100);
    cr_assert_eq(img16(f.b, BMS_W_REMAINING), 32000, "the counter's full is 32 Ah");
    f.in.charger_present = true;
    f.in.current_a = 0.0;
    pf_run(&f, 0.01);
    f.in.charger_present = false;
    f.in.current_a = 32.0;
    run(f.b, &f.t, &f.in, 3600.0, 0.5);           /* 32 Ah out of a 35 Ah pack */
    cr_assert_eq(img16(f.b, BMS_W_SOC), 0, "reads 0 %% while ~3 Ah remain in the cells");
    bms_free(f.b);
}

/* ---- writes and ignored requests ------------------------------------------------------------ */

Test(bms, writes_to_writable_words_only_and_ignored_requests_are_counted)
{
    struct bms_profile p = load("m365_stock");
    struct bms *b = quiet_bms(&p);
    struct frame req, rep;
    const uint8_t serial[] = "3JAGJ99Z9Z9999";
    frame_make(&req, 0x22, FRAME_CMD_WRITE, 0x10, serial, 14);
    cr_assert_eq(bms_handle_request(b, 0, &req, &rep), BMS_REQ_REPLY);
    cr_assert_eq(rep.addr, 0x25);
    cr_assert_eq(rep.cmd, 0x02);
    cr_assert_eq(rep.payload_len, 1);
    cr_assert_eq(rep.payload[0], 1);
    cr_assert_arr_eq(bms_image(b) + 0x20, serial, 14);
    struct bms_inputs in;
    bms_inputs_rest(&in, &p, 3.7, 25);
    bms_step(b, 10000, 0.01, &in);
    cr_assert_arr_eq(bms_image(b) + 0x20, serial, 14, "the write persists across refreshes");
    const uint8_t st[2] = { 0, 0 };
    frame_make(&req, 0x22, FRAME_CMD_WRITE, 0x30, st, 2);
    cr_assert_eq(bms_handle_request(b, 0, &req, &rep), BMS_REQ_REPLY);
    cr_assert_eq(rep.payload[0], 0, "status is not writable");
    cr_assert_eq(img16(b, BMS_W_STATUS) & 1, 1);
    const uint8_t cyc[2] = { 0x34, 0x12 };
    frame_make(&req, 0x22, FRAME_CMD_WRITE_NR, 0x1B, cyc, 2);
    cr_assert_eq(bms_handle_request(b, 0, &req, &rep), BMS_REQ_NO_REPLY);
    cr_assert_eq(img16(b, BMS_W_CYCLES), 0x1234);
    uint8_t n = 2;
    frame_make(&req, 0x20, FRAME_CMD_READ, 0x30, &n, 1);
    cr_assert_eq(bms_handle_request(b, 0, &req, &rep), BMS_REQ_OTHER_ADDR);
    frame_make(&req, 0x22, 0x55, 0x30, &n, 1);
    cr_assert_eq(bms_handle_request(b, 0, &req, &rep), BMS_REQ_UNKNOWN_CMD);
    const struct bms_counters *c = bms_counters(b);
    cr_assert_eq(c->writes, 2);
    cr_assert_eq(c->writes_refused, 1);
    cr_assert_eq(c->other_addr, 1);
    cr_assert_eq(c->unknown_cmd, 1);
    bms_free(b);
}

/* Issue 16: `stale` set before anything was computed froze the blank image of bms_new (voltage
 * 0, temperatures 0 C). A stale image is the last one computed: from power-on the first one. */
Test(bms, stale_from_power_on_freezes_the_first_computed_image)
{
    struct bms_profile p = load("m365_stock");
    struct bms *b = quiet_bms(&p);
    struct bms_inputs in;
    bms_inputs_rest(&in, &p, 3.7, 25.0);
    bms_set_overrides(b, BMS_OVR_STALE);
    bms_power_on(b, 0);
    int64_t t = 0;
    run(b, &t, &in, 0.01, 0.01);
    cr_assert_eq(img16(b, BMS_W_VOLTAGE), 3700, "the first computed image: 10 x 3.7 V");
    cr_assert_eq(img16(b, BMS_W_CELL1), 3700);
    cr_assert_eq(bms_image(b)[2 * BMS_W_TEMPS], 25 + 20, "25 C, not 0 C");
    /* from then on frozen */
    bms_inputs_rest(&in, &p, 3.9, 40.0);
    run(b, &t, &in, 1.0, 0.01);
    cr_assert_eq(img16(b, BMS_W_VOLTAGE), 3700, "frozen while stale");
    cr_assert_eq(bms_image(b)[2 * BMS_W_TEMPS], 25 + 20);
    /* a power cycle while stale: again the first image computed after it */
    bms_power_on(b, t);
    run(b, &t, &in, 0.01, 0.01);
    cr_assert_eq(img16(b, BMS_W_VOLTAGE), 3900);
    bms_inputs_rest(&in, &p, 3.5, 25.0);
    run(b, &t, &in, 0.1, 0.01);
    cr_assert_eq(img16(b, BMS_W_VOLTAGE), 3900, "frozen again");
    bms_set_overrides(b, 0);
    run(b, &t, &in, 0.01, 0.01);
    cr_assert_eq(img16(b, BMS_W_VOLTAGE), 3500, "fresh after clearing");
    bms_free(b);
}

/* ---- AFE sampling (profile sample_ms) ------------------------------------------------------- */

/* A quiet m365_stock BMS that keeps its profile's sample period. */
static struct bms *sampling_bms(struct bms_profile *p)
{
    *p = load("m365_stock");
    p->wake_silence_ms = 0;
    cr_assert_eq(p->sample_ms, 250.0, "m365_stock samples its AFE every 250 ms");
    struct bms *b = bms_new(p, 7);
    cr_assert_not_null(b);
    bms_set_noise(b, false);
    return b;
}

Test(bms, sampling_reads_the_inputs_once_a_period_and_holds_the_image_between)
{
    struct bms_profile p;
    struct bms *b = sampling_bms(&p);
    struct bms_inputs in;
    bms_inputs_rest(&in, &p, 3.7, 25.0);
    cr_assert(bms_sample_due(b, 0.001), "a new BMS samples at its first step");
    bms_step(b, 1000, 0.001, &in);
    cr_assert(bms_sampled(b));
    cr_assert_eq(img16(b, BMS_W_CELL1), 3700);
    bms_inputs_rest(&in, &p, 3.8, 25.0);
    int64_t t = 1000;
    int samples = 0;
    for (int i = 0; i < 249; i++) {   /* 249 steps of 1 ms: the next sample is due at 251 ms */
        t += 1000;
        cr_assert_not(bms_sample_due(b, 0.001), "step %d", i);
        bms_step(b, t, 0.001, &in);
        samples += bms_sampled(b);
    }
    cr_assert_eq(samples, 0);
    cr_assert_eq(img16(b, BMS_W_CELL1), 3700, "held between samples");
    cr_assert_eq(bms_measure(b)->group_mv[0], 3700);
    cr_assert(bms_sample_due(b, 0.001));
    bms_step(b, t + 1000, 0.001, &in);
    cr_assert(bms_sampled(b));
    cr_assert_eq(img16(b, BMS_W_CELL1), 3800, "read at the 250 ms sample");
    /* a power cycle samples at the next step */
    bms_power_on(b, t + 1000);
    cr_assert(bms_sample_due(b, 0.001));
    bms_free(b);
}

Test(bms, sampling_current_reading_is_the_window_mean_and_the_counter_keeps_every_coulomb)
{
    struct bms_profile p;
    struct bms *b = sampling_bms(&p);
    struct bms_profile p0 = p;
    p0.sample_ms = 0;
    struct bms *every = bms_new(&p0, 7);
    bms_set_noise(every, false);
    struct bms_inputs in;
    bms_inputs_rest(&in, &p, 3.7, 25.0);
    bms_step(b, 0, 0.0, &in);
    bms_step(every, 0, 0.0, &in);
    int64_t t = 0;
    for (int i = 0; i < 250; i++) {   /* 0 A for 125 ms, 2 A for 125 ms */
        in.current_a = i < 125 ? 0.0 : 2.0;
        t += 1000;
        bms_step(b, t, 0.001, &in);
        bms_step(every, t, 0.001, &in);
    }
    cr_assert(bms_sampled(b));
    cr_assert_eq(bms_measure(b)->current_ma, 1000, "mean of the window: 1 A, got %d mA",
                 bms_measure(b)->current_ma);
    cr_assert_eq((int16_t)img16(b, BMS_W_CURRENT), 100, "1.00 A in 10 mA units");
    /* a long varying draw: both count the same charge (to the 10 mA step of the reading) */
    for (int i = 0; i < 600000; i++) {
        in.current_a = 5.0 + 4.0 * sin(i * 0.0007);
        t += 1000;
        bms_step(b, t, 0.001, &in);
        bms_step(every, t, 0.001, &in);
    }
    double d = bms_measure(b)->remaining_mah - bms_measure(every)->remaining_mah;
    cr_assert_leq(fabs(d), 0.005 * 600.0 / 3.6, "sampled and per-step counters differ by %.4f mAh",
                  d);
    bms_free(every);
    bms_free(b);
}

Test(bms, sampling_comparators_act_every_step_and_the_status_follows_at_once)
{
    struct bms_profile p;
    struct bms *b = sampling_bms(&p);
    struct bms_inputs in;
    bms_inputs_rest(&in, &p, 3.7, 25.0);
    bms_step(b, 0, 0.0, &in);
    int64_t t = 0;
    for (int i = 0; i < 10; i++) {
        t += 1000;
        bms_step(b, t, 0.001, &in);
    }
    cr_assert(bms_discharge_enabled(b));
    in.current_a = 100.0;   /* above sc_a 80 A (200 us): one 1 ms step trips it */
    t += 1000;
    cr_assert_not(bms_sample_due(b, 0.001), "no sample due at 11 ms");
    bms_step(b, t, 0.001, &in);
    cr_assert_not(bms_sampled(b));
    cr_assert_not(bms_discharge_enabled(b), "short circuit within one step, between samples");
    cr_assert(img16(b, BMS_W_STATUS) & BMS_STATUS_DISCHARGE_ERROR,
              "the status word in the image follows the comparator at once");
    bms_free(b);
}
