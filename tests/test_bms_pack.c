/* test_bms_pack.c: the BMS model driven by the pack model (issue 3) through the input snapshot,
 * the way the scenario engine wires them: the BMS's switches really stop the pack's current,
 * the registers follow the pack, a broken sense wire trips the open-wire protection and the
 * bleed outputs reach the pack. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rig/offline/cellfile.h"
#include "sim/bms.h"
#include "sim/pack.h"
#include "sim/status.h"

struct bench {
    struct pack *pack;
    struct bms_profile prof;
    struct bms *bms;
    struct bms_inputs in;
    int64_t t_us;
    bool charger;
};

static void bench_init(struct bench *b, double soc0)
{
    memset(b, 0, sizeof(*b));
    struct cell_params cell;
    char err[256] = "";
    cr_assert_eq(cellfile_load("lg_m26", &cell, err, sizeof(err)), BMSRIG_OK, "%s", err);
    struct pack_config cfg;
    cr_assert_eq(pack_config_preset(&cfg, "10s3p", &cell), BMSRIG_OK);
    cfg.soc0 = soc0;
    b->pack = pack_new(&cfg);
    cr_assert_not_null(b->pack);
    cr_assert_eq(bms_profile_builtin("m365_stock", &b->prof, err, sizeof(err)), BMSRIG_OK, "%s", err);
    b->prof.wake_silence_ms = 0;
    b->bms = bms_new(&b->prof, 5);
    cr_assert_not_null(b->bms);
    bms_set_soc(b->bms, soc0 * 100.0);
}

static void bench_free(struct bench *b)
{
    bms_free(b->bms);
    pack_free(b->pack);
}

/* One engine tick: pack read-outs -> snapshot -> BMS -> switches -> pack. `demand_a` is what
 * the load (or, negative, the charger) asks for. Returns the current that flowed. */
static double tick(struct bench *b, double dt_s, double demand_a)
{
    struct bms_inputs *in = &b->in;
    in->ngroups = pack_series(b->pack);
    for (unsigned g = 0; g < in->ngroups; g++)
        in->group_v[g] = pack_sense_voltage(b->pack, g);
    in->current_a = pack_current_a(b->pack);
    for (unsigned i = 0; i < BMS_NTC_MAX; i++) {
        struct ntc_reading r;
        unsigned n = i < pack_ntc_count(b->pack) ? i : 0;
        in->ntc_ohm[i] = pack_ntc_read(b->pack, n, &r) == BMSRIG_OK ? r.r_ohm : NAN;
    }
    in->charger_present = b->charger;
    b->t_us += (int64_t)llround(dt_s * 1e6);
    bms_step(b->bms, b->t_us, dt_s, in);
    double load = demand_a;
    if (load > 0 && !bms_discharge_enabled(b->bms))
        load = 0;
    if (load < 0 && !bms_charge_enabled(b->bms))
        load = 0;
    for (unsigned g = 0; g < in->ngroups; g++)
        pack_set_bleed(b->pack, g, bms_bleed(b->bms, g));
    pack_step(b->pack, dt_s, load);
    return pack_current_a(b->pack);
}

static uint16_t word(const struct bench *b, unsigned w)
{
    uint16_t v = 0;
    regimg_get_u16(bms_image(b->bms), REGMAP_BMS_WORDS, w, &v);
    return v;
}

Test(bms_pack, registers_follow_the_pack)
{
    struct bench b;
    bench_init(&b, 0.6);
    bms_set_noise(b.bms, false);
    for (int i = 0; i < 100; i++)
        tick(&b, 0.01, 8.0);
    double sum = 0;
    for (unsigned g = 0; g < 10; g++) {
        double v = pack_sense_voltage(b.pack, g);
        sum += v;
        cr_assert_leq(fabs(word(&b, 0x40 + g) - v * 1000.0), 1.0, "group %u", g + 1);
    }
    cr_assert_leq(fabs(word(&b, 0x34) * 0.01 - sum), 0.011);
    cr_assert_leq(fabs((int16_t)word(&b, 0x33) * 0.01 - 8.0), 0.011, "+8 A discharge");
    uint16_t t = word(&b, 0x35);
    struct ntc_reading r;
    cr_assert_eq(pack_ntc_read(b.pack, 0, &r), BMSRIG_OK);
    cr_assert_leq(fabs((double)(t & 0xFF) - 20.0 - r.true_temp_c), 1.5, "T1 %u vs %.1f C",
                  t & 0xFF, r.true_temp_c);
    bench_free(&b);
}

Test(bms_pack, over_current_opens_the_switch_and_the_pack_stops)
{
    struct bench b;
    bench_init(&b, 0.8);
    double flowed = 0;
    int ticks = 0;
    for (; ticks < 300; ticks++) {             /* 3 s at 40 A demand */
        flowed = tick(&b, 0.01, 40.0);
        if (flowed == 0.0)
            break;
    }
    cr_assert_eq(flowed, 0.0, "the BMS cut the load");
    cr_assert(ticks >= 127 && ticks <= 131, "after the 1.28 s delay, at tick %d", ticks);
    cr_assert_not(bms_discharge_enabled(b.bms));
    /* the image holds between AFE samples (sample_ms 250) and the first window after the trip
     * still averages some of the 40 A: one whole window later it reads the open switch */
    for (int i = 0; i < 2 * (int)(b.prof.sample_ms / 10.0) + 10; i++)
        tick(&b, 0.01, 40.0);
    int16_t c = (int16_t)word(&b, 0x33);
    cr_assert_leq(abs(c), 3, "the register shows no current beyond ADC noise (%d x 10 mA)", c);
    cr_assert(word(&b, 0x30) & BMS_STATUS_DISCHARGE_ERROR);
    bench_free(&b);
}

Test(bms_pack, broken_sense_wire_trips_open_wire)
{
    struct bench b;
    bench_init(&b, 0.5);
    for (int i = 0; i < 50; i++)
        tick(&b, 0.01, 2.0);
    cr_assert_eq(bms_protections(b.bms) & BMS_PROT_OPEN_WIRE, 0u);
    cr_assert_eq(pack_fault_sense_open(b.pack, 4, true), BMSRIG_OK);
    double i_a = 2.0;
    for (int i = 0; i < 3000 && i_a != 0.0; i++)    /* up to 30 s for the filter to drift */
        i_a = tick(&b, 0.01, 2.0);
    cr_assert(bms_protections(b.bms) & BMS_PROT_OPEN_WIRE,
              "groups read %u and %u mV", word(&b, 0x43), word(&b, 0x44));
    cr_assert_eq(i_a, 0.0, "both switches open: no current");
    bench_free(&b);
}

Test(bms_pack, bleed_outputs_reach_the_pack_while_charging)
{
    struct bench b;
    bench_init(&b, 0.97);
    cr_assert_eq(pack_fault_group_soc_offset(b.pack, 6, 0.02), BMSRIG_OK);
    b.charger = true;
    for (int i = 0; i < 200; i++)
        tick(&b, 0.01, -1.0);
    cr_assert(bms_bleed(b.bms, 6), "group 7 above the others bleeds (%u vs %u mV)",
              word(&b, 0x46), word(&b, 0x45));
    cr_assert(pack_bleed_on(b.pack, 6));
    cr_assert_not(pack_bleed_on(b.pack, 5));
    cr_assert(word(&b, 0x36) & (1u << 6));
    bench_free(&b);
}
