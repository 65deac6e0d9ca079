/* test_ntc.c: the NTC model against the vendor table, the divider/ADC, and the fault readings. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "sim/ntc.h"
#include "sim/pack.h"
#include "sim/status.h"

#define KELVIN_C 273.15

#define MAXROWS 200

struct vendor { double t[MAXROWS], r[MAXROWS]; unsigned adc[MAXROWS]; size_t n; };

static void load_vendor(struct vendor *v)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/cells/ref/ntc10k_b3435_thinking_adc12_pullup10k.csv",
             BMSRIG_FIXTURES);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s", path);
    char line[256];
    v->n = 0;
    while (fgets(line, sizeof(line), f) && v->n < MAXROWS) {
        double t;
        unsigned adc;
        if (sscanf(line, "%lf,%u", &t, &adc) != 2)
            continue;
        v->t[v->n] = t;
        v->adc[v->n] = adc;
        v->r[v->n] = 10000.0 * adc / (4096.0 - adc);   /* as the table's own derivation */
        v->n++;
    }
    fclose(f);
    cr_assert_eq(v->n, 141, "vendor table rows %zu", v->n);
}

Test(ntc, matches_vendor_table_within_0p1c)
{
    struct vendor v;
    load_vendor(&v);
    struct ntc_params p;
    ntc_params_b3435(&p);
    double worst = 0.0;
    for (size_t i = 0; i < v.n; i++) {
        double t = ntc_t_from_r(&p, v.r[i]);
        double e = fabs(t - v.t[i]);
        if (e > worst)
            worst = e;
        cr_expect(e <= 0.1, "%.0f C: model reads %.3f C", v.t[i], t);
        /* The forward direction agrees with the inverse. */
        cr_expect(fabs(ntc_r_from_t(&p, t) - v.r[i]) <= 1e-6 * v.r[i]);
    }
    cr_log_info("NTC S-H vs vendor table -40..100 C: worst %.3f C", worst);
    /* The built-in coefficients are what fitting the fixture gives. */
    struct ntc_params fit;
    cr_assert_eq(ntc_fit(v.t, v.r, v.n, &fit), BMSRIG_OK);
    cr_expect(fabs(fit.a - p.a) < 1e-6 * fabs(p.a) && fabs(fit.b - p.b) < 1e-6 * fabs(p.b) &&
              fabs(fit.c - p.c) < 1e-6 * fabs(p.c), "refit %.10g %.10g %.10g", fit.a, fit.b, fit.c);
    /* The vendor table stops at 100 C; up to 125 C the fit must stay monotonic and sane. */
    double prev = ntc_r_from_t(&p, 100.0);
    for (double t = 101.0; t <= 125.0; t += 1.0) {
        double r = ntc_r_from_t(&p, t);
        cr_expect(r < prev && r > 200.0, "%.0f C: %.1f ohm", t, r);
        cr_expect(fabs(ntc_t_from_r(&p, r) - t) < 1e-6);
        prev = r;
    }
}

Test(ntc, adc_codes_match_vendor_within_0p1c)
{
    /* The code a BMS would read from the model, against the vendor's code, expressed in
     * degrees through the table's local slope: within 0.1 C plus half a count of rounding. */
    struct vendor v;
    load_vendor(&v);
    struct ntc_params p;
    ntc_params_b3435(&p);
    struct ntc_divider d;
    ntc_divider_default(&d);
    for (size_t i = 0; i < v.n; i++) {
        int code = ntc_adc_code(&d, ntc_r_from_t(&p, v.t[i]));
        size_t a = i > 0 ? i - 1 : i, b = i + 1 < v.n ? i + 1 : i;
        double slope = fabs(((double)v.adc[b] - (double)v.adc[a]) / (v.t[b] - v.t[a]));
        double err_c = fabs((double)code - (double)v.adc[i]) / slope;
        cr_expect(err_c <= 0.1 + 0.5 / slope, "%.0f C: code %d vs vendor %u (%.3f C)", v.t[i],
                  code, v.adc[i], err_c);
    }
}

Test(ntc, open_and_short_read_outside_the_range)
{
    struct ntc_params p;
    ntc_params_b3435(&p);
    struct ntc_divider d;
    ntc_divider_default(&d);
    /* Open: the pull-up takes the pin to the reference: full-scale code, which the S-H decoder
     * takes as infinite resistance: -273.15 C (a BMS sees "no sensor"). */
    uint16_t open_code = ntc_adc_code(&d, NTC_OPEN_OHM);
    cr_expect_eq(open_code, 4095);
    double t_open = ntc_t_from_r(&p, ntc_r_from_adc(&d, open_code));
    cr_expect(t_open < -40.0, "open reads %.2f C", t_open);
    /* Short: code 0, R 0, +infinity. */
    uint16_t short_code = ntc_adc_code(&d, NTC_SHORT_OHM);
    cr_expect_eq(short_code, 0);
    double t_short = ntc_t_from_r(&p, ntc_r_from_adc(&d, short_code));
    cr_expect(t_short > 125.0, "short reads %.2f C", t_short);
    /* The resistance curve is capped at the open value and defined down to absolute zero. */
    cr_expect_eq(ntc_r_from_t(&p, -KELVIN_C), NTC_OPEN_OHM);
    cr_expect_eq(ntc_r_from_t(&p, -300.0), NTC_OPEN_OHM);
    cr_expect_eq(ntc_r_from_t(&p, NAN), NTC_OPEN_OHM);
    cr_expect(ntc_r_from_t(&p, -200.0) <= NTC_OPEN_OHM);
    cr_log_info("BMS-side: open -> ADC %u, %.2f C; short -> ADC %u, %f C", open_code, t_open,
                short_code, t_short);
}

Test(ntc, pack_faults_drift_and_intermittent)
{
    struct cell_params cp = { 0 };
    /* a minimal valid cell */
    snprintf(cp.name, sizeof(cp.name), "t");
    cp.rated_ah = 2.6; cp.min_ah = 2.5; cp.v_charge = 4.2; cp.v_cutoff = 2.5; cp.v_nominal = 3.6;
    cp.coulomb_eff = 1.0; cp.mass_kg = 0.046; cp.heat_capacity_j_per_k = 44;
    cp.self_discharge_ohm = 5e4; cp.ea_j_per_mol = 0; cp.t_ref_c = 25;
    cp.n_ocv = 2; cp.ocv_soc[0] = 0; cp.ocv_soc[1] = 1; cp.ocv_v[0] = 3.0; cp.ocv_v[1] = 4.2;
    cp.n_rc = 1; cp.r0_ohm[0] = 0.03; cp.r1_ohm[0] = 0.01; cp.tau1_s[0] = 1;
    cp.r2_ohm[0] = 0.01; cp.tau2_s[0] = 10;
    struct pack_config cfg;
    cr_assert_eq(pack_config_preset(&cfg, "10s3p", &cp), BMSRIG_OK);
    cfg.seed = 42;
    struct pack *p = pack_new(&cfg);
    cr_assert_not_null(p);
    struct ntc_reading r;
    cr_assert_eq(pack_ntc_read(p, 0, &r), BMSRIG_OK);
    cr_expect(fabs(r.temp_c - 25.0) < 0.1, "healthy reads %.2f", r.temp_c);
    cr_expect_eq(pack_ntc_read(p, 7, &r), BMSRIG_ERR_ARG);

    cr_assert_eq(pack_fault_ntc(p, 0, NTC_FAULT_DRIFT, 7.5), BMSRIG_OK);
    pack_ntc_read(p, 0, &r);
    cr_expect(fabs(r.temp_c - 32.5) < 0.1, "drifted reads %.2f", r.temp_c);
    cr_expect(fabs(r.true_temp_c - 25.0) < 1e-9);

    /* Drifted down to (or past) absolute zero: reads like an open sensor, never NaN (which a
     * BMS model would take for a short) [was: NaN]. */
    const double to_zero[] = { -298.15, -400.0, -1e6 };
    for (size_t k = 0; k < 3; k++) {
        cr_assert_eq(pack_fault_ntc(p, 0, NTC_FAULT_DRIFT, to_zero[k]), BMSRIG_OK);
        pack_ntc_read(p, 0, &r);
        cr_expect(r.adc == 4095 && r.temp_c < -40.0 && !isnan(r.r_ohm),
                  "drift %g: adc %u, %.2f C, %g ohm", to_zero[k], r.adc, r.temp_c, r.r_ohm);
    }

    cr_assert_eq(pack_fault_ntc(p, 0, NTC_FAULT_INTERMITTENT, 0.3), BMSRIG_OK);
    unsigned opens = 0, total = 2000;
    for (unsigned k = 0; k < total; k++) {
        pack_step(p, 0.01, 0.0);
        pack_ntc_read(p, 0, &r);
        if (r.adc == 4095)
            opens++;
        else
            cr_expect(fabs(r.temp_c - 25.0) < 0.2);
    }
    double frac = (double)opens / total;
    cr_expect(frac > 0.25 && frac < 0.35, "intermittent open fraction %.3f for p = 0.3", frac);
    cr_expect_eq(pack_fault_ntc(p, 0, NTC_FAULT_INTERMITTENT, 1.5), BMSRIG_ERR_ARG);

    cr_assert_eq(pack_fault_ntc(p, 1, NTC_FAULT_OPEN, 0), BMSRIG_OK);
    pack_ntc_read(p, 1, &r);
    cr_expect(r.adc == 4095 && r.temp_c < -40.0);
    cr_assert_eq(pack_fault_ntc(p, 1, NTC_FAULT_SHORT, 0), BMSRIG_OK);
    pack_ntc_read(p, 1, &r);
    cr_expect(r.adc == 0 && r.temp_c > 125.0);
    cr_assert_eq(pack_fault_ntc(p, 1, NTC_FAULT_NONE, 0), BMSRIG_OK);
    pack_ntc_read(p, 1, &r);
    cr_expect(fabs(r.temp_c - 25.0) < 0.1);
    pack_free(p);
}
