/* bms.c: the BMS firmware model: measurement (ADC steps, seeded noise) at the AFE's sample
 * period, coulomb counter, protections with delays/hysteresis/latching (the current comparators
 * every step, the rest per sample), balancing, register image and requests. */
#include "sim/bms.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/rng.h"
#include "sim/status.h"

#define IMG_BYTES (2u * REGMAP_BMS_WORDS)
#define REST_CURRENT_A 0.5        /* |I| below this counts as "at rest" [I] */
#define CHARGING_MA (-50)         /* status bit 6 at or below this current [I] */

struct bms {
    struct bms_profile p;
    uint64_t rng;
    bool noise_on;

    uint8_t image[IMG_BYTES];
    uint32_t overrides;
    /* The image holds a computed state (a bms_step since power-on). Until then `stale` cannot
     * freeze it: a stale image is the last one computed, from power-on the first one. */
    bool image_computed;
    struct bms_measure m;
    struct bms_counters counters;

    /* persistent identity (writable over the bus) */
    char serial[REGMAP_BMS_SERIAL_LEN + 1];
    unsigned cycles, charges;
    uint16_t date_word;

    /* coulomb counter */
    double remaining_mah;
    double cc_full_mah;
    double dsg_acc_mah;           /* discharged since the last cycle count */

    /* protections */
    uint32_t prot;
    bool hot;                     /* a temperature protection is on the hot side */
    double t_ov, t_uv, t_duv, t_oc, t_sc_us, t_chgoc, t_ctemp, t_dtemp, t_ow;
    double t_dsg_rec, t_chg_rec;
    bool charger_seen, charger_prev;
    bool bleed[BMS_GROUPS_MAX];
    uint16_t status;

    /* statistics served at 0x1D-0x1F */
    uint32_t max_pack_mv;
    int32_t max_dsg_ma, max_chg_ma;

    /* power-up silence */
    bool wake_started;
    int64_t wake_start_us;

    /* AFE sampling (profile sample_ms): a sample measures the inputs and runs the voltage and
     * temperature protections, the counter, balancing and the image refresh; between samples
     * those hold. The current comparators run every step on the shunt current. */
    double since_sample_ms;   /* time since the last sample */
    double window_as;         /* shunt current integrated since the last sample, A s */
    bool sample_pending;      /* sample at the next step whatever the time (new, power-on) */
    bool sampled;             /* the last bms_step took a sample */
};

/* ---- helpers -------------------------------------------------------------------------------- */

static double clampd(double x, double lo, double hi)
{
    return x < lo ? lo : (x > hi ? hi : x);
}

/* Accumulates time while `cond` holds; true once it has held for `delay`. */
static bool held(double *acc, bool cond, double dt, double delay)
{
    if (!cond) {
        *acc = 0.0;
        return false;
    }
    *acc += dt;
    return *acc >= delay - 1e-9;
}

static void put16(uint8_t *img, unsigned word, uint16_t v)
{
    img[2u * word] = (uint8_t)(v & 0xFF);
    img[2u * word + 1] = (uint8_t)(v >> 8);
}

double bms_ntc_ohm_from_c(double temp_c, double beta, double r25_ohm)
{
    return r25_ohm * exp(beta * (1.0 / (temp_c + 273.15) - 1.0 / 298.15));
}

double bms_ntc_c_from_ohm(double ohm, double beta, double r25_ohm)
{
    if (isnan(ohm) || isinf(ohm) || ohm > 1e12)
        return -273.15;                       /* open: reads as far below any window */
    if (ohm <= 1e-3)
        return 1000.0;                        /* short: reads as far above */
    return 1.0 / (1.0 / 298.15 + log(ohm / r25_ohm) / beta) - 273.15;
}

void bms_inputs_rest(struct bms_inputs *in, const struct bms_profile *p, double cell_v,
                     double temp_c)
{
    memset(in, 0, sizeof(*in));
    in->ngroups = p->series;
    for (unsigned g = 0; g < p->series && g < BMS_GROUPS_MAX; g++)
        in->group_v[g] = cell_v;
    for (unsigned i = 0; i < BMS_NTC_MAX; i++)
        in->ntc_ohm[i] = bms_ntc_ohm_from_c(temp_c, p->ntc_beta, p->ntc_r25_ohm);
}

/* ---- life cycle ----------------------------------------------------------------------------- */

static uint16_t date_word(unsigned y, unsigned mo, unsigned d)
{
    return (uint16_t)(((y - 2000u) << 9) | (mo << 5) | d);
}

static void refresh_image(struct bms *b);

struct bms *bms_new(const struct bms_profile *profile, uint64_t seed)
{
    if (!profile || bms_profile_validate(profile, NULL, 0) != BMSRIG_OK)
        return NULL;
    struct bms *b = calloc(1, sizeof(*b));
    if (!b)
        return NULL;
    b->p = *profile;
    b->rng = seed ? seed : 0x9E3779B97F4A7C15ULL;
    b->noise_on = true;
    memcpy(b->serial, profile->serial, REGMAP_BMS_SERIAL_LEN);
    b->serial[REGMAP_BMS_SERIAL_LEN] = '\0';
    b->cycles = profile->cycles;
    b->charges = profile->charges;
    b->date_word = date_word(profile->mfg_year, profile->mfg_month, profile->mfg_day);
    b->cc_full_mah = profile->real_cap_mah;
    if (profile->cc_saturate_mah > 0 && profile->cc_saturate_mah < b->cc_full_mah)
        b->cc_full_mah = profile->cc_saturate_mah;
    b->remaining_mah = 0.5 * b->cc_full_mah;
    b->m.ngroups = profile->series;
    if (profile->needs_charger_wake)
        b->prot |= BMS_PROT_NO_WAKE;
    b->sample_pending = true;
    refresh_image(b);
    return b;
}

void bms_free(struct bms *b)
{
    free(b);
}

const struct bms_profile *bms_profile(const struct bms *b)
{
    return &b->p;
}

void bms_power_on(struct bms *b, int64_t now_us)
{
    (void)now_us;
    b->wake_started = false;
    b->wake_start_us = 0;
    /* latched protections (deep UV, no-wake) survive; the rest re-evaluate */
    b->prot &= (BMS_PROT_DEEP_UV | BMS_PROT_NO_WAKE);
    b->t_ov = b->t_uv = b->t_duv = b->t_oc = b->t_sc_us = b->t_chgoc = 0;
    b->t_ctemp = b->t_dtemp = b->t_ow = b->t_dsg_rec = b->t_chg_rec = 0;
    b->image_computed = false;   /* the first step after power-on computes a fresh image */
    b->sample_pending = true;
}

void bms_set_soc(struct bms *b, double pct)
{
    b->remaining_mah = clampd(pct, 0.0, 100.0) / 100.0 * b->cc_full_mah;
    refresh_image(b);
}

void bms_set_remaining_mah(struct bms *b, double mah)
{
    b->remaining_mah = clampd(mah, 0.0, b->cc_full_mah);
    refresh_image(b);
}

void bms_set_noise(struct bms *b, bool on)
{
    b->noise_on = on;
}

/* ---- the model step ------------------------------------------------------------------------- */

/* Measures the inputs; the current reading is `current_a`, the shunt current averaged over
 * the sample window (an integrating coulomb-counter ADC). */
static void measure(struct bms *b, const struct bms_inputs *in, double current_a)
{
    const struct bms_profile *p = &b->p;
    struct bms_measure *m = &b->m;
    m->ngroups = p->series;
    uint32_t sum = 0;
    for (unsigned g = 0; g < p->series; g++) {
        double v_mv = (g < in->ngroups ? in->group_v[g] : 0.0) * 1000.0;
        if (b->noise_on && p->cell_noise_mv > 0)
            v_mv += p->cell_noise_mv * rng_gauss(&b->rng);
        double q = round(v_mv / p->cell_lsb_mv) * p->cell_lsb_mv;
        m->group_mv[g] = (uint16_t)clampd(round(q), 0.0, 65535.0);
        sum += m->group_mv[g];
    }
    for (unsigned g = p->series; g < BMS_GROUPS_MAX; g++)
        m->group_mv[g] = 0;
    m->pack_mv = sum;
    double i_ma = current_a * 1000.0 + p->current_offset_ma;
    if (b->noise_on && p->current_noise_ma > 0)
        i_ma += p->current_noise_ma * rng_gauss(&b->rng);
    double qi = round(i_ma / p->current_lsb_ma) * p->current_lsb_ma;
    m->current_ma = (int32_t)clampd(round(qi), -327680.0, 327670.0);
    for (unsigned i = 0; i < BMS_NTC_MAX; i++) {
        unsigned src = i < p->ntc_count ? i : 0;
        m->temp_c[i] = bms_ntc_c_from_ohm(in->ntc_ohm[src], p->ntc_beta, p->ntc_r25_ohm);
    }
}

static void count_charge(struct bms *b, double dt_s, bool charging_now)
{
    const struct bms_profile *p = &b->p;
    double d_mah = (double)b->m.current_ma / 1000.0 * p->cc_gain * dt_s / 3.6;
    b->remaining_mah = clampd(b->remaining_mah - d_mah, 0.0, b->cc_full_mah);
    if (d_mah > 0) {
        b->dsg_acc_mah += d_mah;
        if (b->dsg_acc_mah >= b->cc_full_mah) {
            b->dsg_acc_mah -= b->cc_full_mah;
            b->cycles++;
        }
    }
    uint16_t max_mv = 0, min_mv = 0xFFFF;
    for (unsigned g = 0; g < b->m.ngroups; g++) {
        if (b->m.group_mv[g] > max_mv)
            max_mv = b->m.group_mv[g];
        if (b->m.group_mv[g] < min_mv)
            min_mv = b->m.group_mv[g];
    }
    /* full resync: top group at the full level while the charge current has tapered off */
    if (charging_now && max_mv >= p->full_cell_mv && -b->m.current_ma < p->full_taper_ma)
        b->remaining_mah = b->cc_full_mah;
    if ((b->prot & BMS_PROT_CHARGE_FULL) && b->charger_prev)
        b->remaining_mah = b->cc_full_mah;
    /* empty resync at rest */
    if (fabs((double)b->m.current_ma) < REST_CURRENT_A * 1000.0 && min_mv < p->empty_cell_mv &&
        min_mv >= p->open_wire_mv)
        b->remaining_mah = 0.0;
    double soc = b->cc_full_mah > 0 ? b->remaining_mah * 100.0 / b->cc_full_mah : 0.0;
    b->m.remaining_mah = b->remaining_mah;
    b->m.soc_pct = (unsigned)clampd(round(soc), 0.0, 100.0);
}

/* One temperature window (the charge or the discharge one, protection `bit`): trips after
 * delay_ms [ms] with the hottest NTC at or above max_c or the coldest at or below min_c (timer
 * *acc_ms, restarted when the condition lapses); releases at once when both are back inside by
 * hyst_c. Returns true while tripped on the hot side (tmax within hyst_c of max_c or above). */
static bool temp_window(struct bms *b, uint32_t bit, double *acc_ms, double tmin, double tmax,
                        double min_c, double max_c, double hyst_c, double dt_ms, double delay_ms)
{
    if (b->prot & bit) {
        if (tmax < max_c - hyst_c && tmin > min_c + hyst_c)
            b->prot &= ~bit;
    } else if (held(acc_ms, tmax >= max_c || tmin <= min_c, dt_ms, delay_ms)) {
        b->prot |= bit;
        *acc_ms = 0;
    }
    return (b->prot & bit) && tmax >= max_c - hyst_c;
}

/* Every step: the charger's plug edge and the current comparators (discharge over-current,
 * short circuit, charge over-current) on the shunt current, with their recovery timers. An
 * AFE's comparators act on the shunt voltage directly, not on the sampled reading [I]. */
static void protect_current(struct bms *b, double dt_s, const struct bms_inputs *in)
{
    const struct bms_profile *p = &b->p;
    const double dt_ms = dt_s * 1000.0;
    const double i_a = in->current_a;
    const bool charger = in->charger_present;
    const bool charger_plugged = charger && !b->charger_prev;
    if (charger_plugged)
        b->charges++;
    if (charger)
        b->charger_seen = true;
    if (b->charger_seen)
        b->prot &= ~(uint32_t)BMS_PROT_NO_WAKE;
    /* discharge over-current and short circuit: latched, auto-retry or until a charger */
    if (b->prot & (BMS_PROT_DSG_OC | BMS_PROT_SHORT)) {
        b->t_dsg_rec += dt_ms;
        bool retry = p->dsg_recover_ms > 0 && b->t_dsg_rec >= p->dsg_recover_ms - 1e-9;
        if (retry || charger_plugged) {
            b->prot &= ~(uint32_t)(BMS_PROT_DSG_OC | BMS_PROT_SHORT);
            b->t_dsg_rec = 0;
        }
    } else {
        if (held(&b->t_sc_us, i_a >= p->sc_a, dt_ms * 1000.0, p->sc_delay_us)) {
            b->prot |= BMS_PROT_SHORT;
            b->t_sc_us = 0;
            b->t_oc = 0;
            b->t_dsg_rec = 0;
        } else if (held(&b->t_oc, i_a >= p->dsg_oc_a, dt_ms, p->dsg_oc_delay_ms)) {
            b->prot |= BMS_PROT_DSG_OC;
            b->t_oc = 0;
            b->t_dsg_rec = 0;
        }
    }
    /* charge over-current: latched, retry after chg_recover_ms or when the charger is removed */
    if (b->prot & BMS_PROT_CHG_OC) {
        b->t_chg_rec += dt_ms;
        if ((p->chg_recover_ms > 0 && b->t_chg_rec >= p->chg_recover_ms - 1e-9) || !charger) {
            b->prot &= ~(uint32_t)BMS_PROT_CHG_OC;
            b->t_chg_rec = 0;
        }
    } else if (held(&b->t_chgoc, -i_a >= p->chg_oc_a, dt_ms, p->chg_oc_delay_ms)) {
        b->prot |= BMS_PROT_CHG_OC;
        b->t_chgoc = 0;
        b->t_chg_rec = 0;
    }
    b->charger_prev = charger;
}

/* The status word from the protections and `charging` (a charger and the measured current at
 * or below CHARGING_MA). */
static void update_status(struct bms *b, bool charging)
{
    uint16_t st = BMS_STATUS_CONFIG_VALID;
    if (charging && bms_charge_enabled(b))
        st |= BMS_STATUS_CHARGING;
    if (b->prot & BMS_PROT_CELL_OV)
        st |= BMS_STATUS_OVERVOLTAGE;
    if (b->hot)
        st |= BMS_STATUS_OVERHEAT;
    if (b->prot & (BMS_PROT_DSG_OC | BMS_PROT_SHORT | BMS_PROT_OPEN_WIRE))
        st |= BMS_STATUS_DISCHARGE_ERROR;
    if (b->prot & (BMS_PROT_CHG_OC | BMS_PROT_OPEN_WIRE))
        st |= BMS_STATUS_CHARGE_ERROR;
    if (b->prot & BMS_PROT_DEEP_UV)
        st |= BMS_STATUS_DEEP_UNDERVOLTAGE;
    b->status = st;
}

/* Once per sample, over the sample window dt_s: the voltage, temperature and open-wire
 * protections, balancing, the status word and the statistics, from the measured values. */
static void protect(struct bms *b, double dt_s, const struct bms_inputs *in)
{
    const struct bms_profile *p = &b->p;
    const double dt_ms = dt_s * 1000.0;
    uint16_t max_mv = 0, min_mv = 0xFFFF;
    for (unsigned g = 0; g < b->m.ngroups; g++) {
        if (b->m.group_mv[g] > max_mv)
            max_mv = b->m.group_mv[g];
        if (b->m.group_mv[g] < min_mv)
            min_mv = b->m.group_mv[g];
    }
    const double i_a = (double)b->m.current_ma / 1000.0;
    double tmax = b->m.temp_c[0], tmin = b->m.temp_c[0];
    for (unsigned i = 1; i < BMS_NTC_MAX; i++) {
        tmax = fmax(tmax, b->m.temp_c[i]);
        tmin = fmin(tmin, b->m.temp_c[i]);
    }
    const bool charger = in->charger_present;

    /* cell over-voltage: opens charge, bit 9 */
    if (b->prot & BMS_PROT_CELL_OV) {
        if (max_mv < p->cell_ov_release_mv)
            b->prot &= ~(uint32_t)BMS_PROT_CELL_OV;
    } else if (held(&b->t_ov, max_mv >= p->cell_ov_mv, dt_ms, p->cell_ov_delay_ms)) {
        b->prot |= BMS_PROT_CELL_OV;
        b->t_ov = 0;
    }
    /* charge ceiling */
    if (b->prot & BMS_PROT_CHARGE_FULL) {
        if (max_mv <= p->charge_resume_mv)
            b->prot &= ~(uint32_t)BMS_PROT_CHARGE_FULL;
    } else if (max_mv >= p->charge_stop_mv) {
        b->prot |= BMS_PROT_CHARGE_FULL;
    }
    /* cell under-voltage: opens discharge; a charger or recovery above release clears it */
    if (b->prot & BMS_PROT_CELL_UV) {
        if (min_mv >= p->cell_uv_release_mv || charger)
            b->prot &= ~(uint32_t)BMS_PROT_CELL_UV;
    } else if (held(&b->t_uv, min_mv < p->cell_uv_mv, dt_ms, p->cell_uv_delay_ms)) {
        b->prot |= BMS_PROT_CELL_UV;
        b->t_uv = 0;
    }
    /* deep under-voltage lockout at rest: latched until the groups are brought up */
    if (b->prot & BMS_PROT_DEEP_UV) {
        if (min_mv >= p->duv_release_mv)
            b->prot &= ~(uint32_t)BMS_PROT_DEEP_UV;
    } else if (held(&b->t_duv, min_mv < p->duv_mv && fabs(i_a) < REST_CURRENT_A, dt_ms,
                    p->duv_delay_ms)) {
        b->prot |= BMS_PROT_DEEP_UV;
        b->t_duv = 0;
    }
    /* temperature windows, with hysteresis on release; "hot" while one is tripped on its hot
     * side (the overheat status bit) */
    const bool chg_hot = temp_window(b, BMS_PROT_CHG_TEMP, &b->t_ctemp, tmin, tmax,
                                     p->chg_temp_min_c, p->chg_temp_max_c, p->chg_temp_hyst_c,
                                     dt_ms, p->temp_delay_ms);
    const bool dsg_hot = temp_window(b, BMS_PROT_DSG_TEMP, &b->t_dtemp, tmin, tmax,
                                     p->dsg_temp_min_c, p->dsg_temp_max_c, p->dsg_temp_hyst_c,
                                     dt_ms, p->temp_delay_ms);
    b->hot = chg_hot || dsg_hot;
    /* open sense wire */
    if (b->prot & BMS_PROT_OPEN_WIRE) {
        if (min_mv >= p->open_wire_mv)
            b->prot &= ~(uint32_t)BMS_PROT_OPEN_WIRE;
    } else if (held(&b->t_ow, min_mv < p->open_wire_mv, dt_ms, p->open_wire_delay_ms)) {
        b->prot |= BMS_PROT_OPEN_WIRE;
        b->t_ow = 0;
    }

    /* balancing: during charge, groups above the start level and above the lowest by delta */
    bool charging = charger && b->m.current_ma <= CHARGING_MA;
    bool may = !p->bal_only_charging || charging || (charger && (b->prot & BMS_PROT_CHARGE_FULL));
    for (unsigned g = 0; g < BMS_GROUPS_MAX; g++) {
        bool on = false;
        if (may && g < b->m.ngroups && !(b->prot & BMS_PROT_OPEN_WIRE)) {
            double above = (double)b->m.group_mv[g] - (double)min_mv;
            double need = b->bleed[g] ? p->bal_delta_mv / 2.0 : p->bal_delta_mv;
            on = b->m.group_mv[g] >= p->bal_start_mv && above > need;
        }
        b->bleed[g] = on;
    }

    update_status(b, charging);

    if (b->m.pack_mv > b->max_pack_mv)
        b->max_pack_mv = b->m.pack_mv;
    if (b->m.current_ma > b->max_dsg_ma)
        b->max_dsg_ma = b->m.current_ma;
    if (-b->m.current_ma > b->max_chg_ma)
        b->max_chg_ma = -b->m.current_ma;
}

static uint8_t temp_byte(double c)
{
    return (uint8_t)clampd(round(c) + 20.0, 0.0, 255.0);
}

static void refresh_image(struct bms *b)
{
    if ((b->overrides & BMS_OVR_STALE) && b->image_computed)
        return;
    const struct bms_profile *p = &b->p;
    uint8_t *img = b->image;
    memset(img, 0, IMG_BYTES);
    img[0] = 0x5A;
    img[1] = 0x5A;
    memcpy(img + 2u * BMS_W_SERIAL, b->serial, REGMAP_BMS_SERIAL_LEN);
    put16(img, BMS_W_FW, p->fw_version);
    put16(img, BMS_W_DESIGN_CAP, (uint16_t)p->design_cap_mah);
    put16(img, BMS_W_REAL_CAP, (uint16_t)clampd(round(b->cc_full_mah), 0, 65535));
    put16(img, BMS_W_NOMINAL_V, (uint16_t)p->nominal_raw);
    put16(img, BMS_W_CYCLES, (uint16_t)(b->cycles > 0xFFFF ? 0xFFFF : b->cycles));
    put16(img, BMS_W_CHARGES, (uint16_t)(b->charges > 0xFFFF ? 0xFFFF : b->charges));
    put16(img, BMS_W_MAX_V, (uint16_t)clampd(round(b->max_pack_mv / 10.0), 0, 65535));
    put16(img, BMS_W_MAX_DSG_A, (uint16_t)clampd(round(b->max_dsg_ma / 10.0), 0, 65535));
    put16(img, BMS_W_MAX_CHG_A, (uint16_t)clampd(round(b->max_chg_ma / 10.0), 0, 65535));
    put16(img, BMS_W_DATE, b->date_word);
    put16(img, BMS_W_STATUS, b->status | BMS_STATUS_CONFIG_VALID);
    put16(img, BMS_W_REMAINING, (uint16_t)clampd(round(b->remaining_mah), 0, 65535));
    unsigned soc = b->cc_full_mah > 0
                       ? (unsigned)clampd(round(b->remaining_mah * 100.0 / b->cc_full_mah), 0, 100)
                       : 0;
    put16(img, BMS_W_SOC, (uint16_t)soc);
    int32_t c10 = (int32_t)lround((double)b->m.current_ma / 10.0);
    if (c10 > 32767)
        c10 = 32767;
    if (c10 < -32768)
        c10 = -32768;
    put16(img, BMS_W_CURRENT, (uint16_t)(int16_t)c10);
    put16(img, BMS_W_VOLTAGE, (uint16_t)clampd(round(b->m.pack_mv / 10.0), 0, 65535));
    img[2u * BMS_W_TEMPS] = temp_byte(b->m.temp_c[0]);
    img[2u * BMS_W_TEMPS + 1] = temp_byte(b->m.temp_c[1]);
    uint16_t bal = 0;
    for (unsigned g = 0; g < 16 && g < BMS_GROUPS_MAX; g++)
        if (b->bleed[g])
            bal |= (uint16_t)(1u << g);
    put16(img, BMS_W_BALANCE, bal);
    put16(img, BMS_W_HEALTH, (uint16_t)p->health_pct);
    for (unsigned g = 0; g < p->series; g++)
        put16(img, BMS_W_CELL1 + g, b->m.group_mv[g]);
}

bool bms_sample_due(const struct bms *b, double dt_s)
{
    return b->sample_pending || b->p.sample_ms <= 0 ||
           b->since_sample_ms + dt_s * 1000.0 >= b->p.sample_ms - 1e-9;
}

bool bms_sampled(const struct bms *b)
{
    return b->sampled;
}

void bms_step(struct bms *b, int64_t now_us, double dt_s, const struct bms_inputs *in)
{
    (void)now_us;
    if (!b || !in || !(dt_s >= 0.0))
        return;
    const bool due = bms_sample_due(b, dt_s);
    b->window_as += in->current_a * dt_s;
    b->since_sample_ms += dt_s * 1000.0;
    const uint32_t prot_before = b->prot;
    protect_current(b, dt_s, in);
    b->sampled = due;
    if (!due) {
        /* A comparator that trips or releases alerts the MCU at once [I: the BQ769x0 raises
         * ALERT on an OCD/SCD fault]: the status word and the image follow in this step,
         * with the measured values still those of the last sample. */
        if (b->prot != prot_before) {
            update_status(b, in->charger_present && b->m.current_ma <= CHARGING_MA);
            refresh_image(b);
        }
        return;
    }
    /* the sample: the window's mean current (the present one for an empty window) */
    const double window_s = b->since_sample_ms / 1000.0;
    measure(b, in, window_s > 0 ? b->window_as / window_s : in->current_a);
    bool charging_now = in->charger_present && b->m.current_ma <= CHARGING_MA;
    protect(b, window_s, in);
    count_charge(b, window_s, charging_now);
    refresh_image(b);
    b->image_computed = true;
    b->since_sample_ms = 0;
    b->window_as = 0;
    b->sample_pending = false;
}

/* ---- outputs -------------------------------------------------------------------------------- */

bool bms_discharge_enabled(const struct bms *b)
{
    return !(b->prot & (BMS_PROT_CELL_UV | BMS_PROT_DEEP_UV | BMS_PROT_DSG_OC | BMS_PROT_SHORT |
                        BMS_PROT_DSG_TEMP | BMS_PROT_OPEN_WIRE | BMS_PROT_NO_WAKE));
}

bool bms_charge_enabled(const struct bms *b)
{
    return !(b->prot & (BMS_PROT_CELL_OV | BMS_PROT_CHARGE_FULL | BMS_PROT_DEEP_UV |
                        BMS_PROT_CHG_OC | BMS_PROT_CHG_TEMP | BMS_PROT_OPEN_WIRE));
}

bool bms_bleed(const struct bms *b, unsigned group)
{
    return group < BMS_GROUPS_MAX && b->bleed[group];
}

uint32_t bms_protections(const struct bms *b)
{
    return b->prot;
}

uint16_t bms_status(const struct bms *b)
{
    return b->status | BMS_STATUS_CONFIG_VALID;
}

const struct bms_measure *bms_measure(const struct bms *b)
{
    return &b->m;
}

const uint8_t *bms_image(const struct bms *b)
{
    return b->image;
}

void bms_set_overrides(struct bms *b, uint32_t overrides)
{
    b->overrides = overrides;
}

uint32_t bms_overrides(const struct bms *b)
{
    return b->overrides;
}

bool bms_awake(const struct bms *b, int64_t now_us)
{
    if (b->p.wake_silence_ms <= 0)
        return true;
    if (!b->wake_started)
        return false;
    return (double)(now_us - b->wake_start_us) >= b->p.wake_silence_ms * 1000.0;
}

const struct bms_counters *bms_counters(const struct bms *b)
{
    return &b->counters;
}

/* ---- requests ------------------------------------------------------------------------------- */

/* Copies bytes [off, off+n) of the image as served (overrides applied) into out. */
static void served_bytes(const struct bms *b, unsigned off, unsigned n, uint8_t *out)
{
    memcpy(out, b->image + off, n);
    if (b->overrides & BMS_OVR_SERIAL_DEFAULT) {
        const unsigned s0 = 2u * BMS_W_SERIAL;
        for (unsigned i = 0; i < REGMAP_BMS_SERIAL_LEN; i++)
            if (s0 + i >= off && s0 + i < off + n)
                out[s0 + i - off] = (uint8_t)REGMAP_BMS_DEFAULT_SERIAL[i];
    }
    if (b->overrides & BMS_OVR_CONFIG_INVALID) {
        const unsigned st = 2u * BMS_W_STATUS;
        if (st >= off && st < off + n)
            out[st - off] &= (uint8_t)~BMS_STATUS_CONFIG_VALID;
    }
}

static bool word_writable(unsigned w)
{
    return (w >= BMS_W_SERIAL && w < BMS_W_SERIAL + 7) || w == BMS_W_CYCLES ||
           w == BMS_W_CHARGES || w == BMS_W_DATE;
}

static bool apply_write(struct bms *b, unsigned off, const uint8_t *data, unsigned n)
{
    if (n == 0 || off % 2 != 0 || n % 2 != 0 || off + n > IMG_BYTES)
        return false;
    for (unsigned w = off / 2; w < (off + n) / 2; w++)
        if (!word_writable(w))
            return false;
    memcpy(b->image + off, data, n);
    memcpy(b->serial, b->image + 2u * BMS_W_SERIAL, REGMAP_BMS_SERIAL_LEN);
    b->cycles = (unsigned)(b->image[2u * BMS_W_CYCLES] | b->image[2u * BMS_W_CYCLES + 1] << 8);
    b->charges = (unsigned)(b->image[2u * BMS_W_CHARGES] | b->image[2u * BMS_W_CHARGES + 1] << 8);
    b->date_word = (uint16_t)(b->image[2u * BMS_W_DATE] | b->image[2u * BMS_W_DATE + 1] << 8);
    return true;
}

enum bms_req_result bms_handle_request(struct bms *b, int64_t now_us, const struct frame *req,
                                       struct frame *reply)
{
    if (!b || !req)
        return BMS_REQ_BAD_RANGE;
    if (!b->wake_started) {            /* any traffic on the line wakes the BMS MCU [D] */
        b->wake_started = true;
        b->wake_start_us = now_us;
    }
    if (req->addr != FRAME_ADDR_TO_BMS) {
        b->counters.other_addr++;
        return BMS_REQ_OTHER_ADDR;
    }
    b->counters.requests++;
    if (!bms_awake(b, now_us)) {
        b->counters.silent++;
        return BMS_REQ_SILENT;
    }
    const unsigned off = 2u * req->arg;
    switch (req->cmd) {
    case FRAME_CMD_READ: {
        if (req->payload_len != 1 || req->payload[0] == 0 ||
            off + req->payload[0] > IMG_BYTES || req->payload[0] > FRAME_PAYLOAD_MAX) {
            b->counters.bad_range++;
            return BMS_REQ_BAD_RANGE;
        }
        if (!reply)
            return BMS_REQ_BAD_RANGE;
        reply->addr = FRAME_ADDR_FROM_BMS;
        reply->cmd = req->cmd;
        reply->arg = req->arg;
        reply->payload_len = req->payload[0];
        served_bytes(b, off, req->payload[0], reply->payload);
        b->counters.replies++;
        return BMS_REQ_REPLY;
    }
    case FRAME_CMD_WRITE:
    case FRAME_CMD_WRITE_NR: {
        bool ok = apply_write(b, off, req->payload, req->payload_len);
        if (ok)
            b->counters.writes++;
        else
            b->counters.writes_refused++;
        if (req->cmd == FRAME_CMD_WRITE_NR)
            return BMS_REQ_NO_REPLY;
        if (!reply)
            return BMS_REQ_NO_REPLY;
        uint8_t result = ok ? 1 : 0;
        frame_make(reply, FRAME_ADDR_FROM_BMS, req->cmd, req->arg, &result, 1);
        b->counters.replies++;
        return BMS_REQ_REPLY;
    }
    default:
        b->counters.unknown_cmd++;
        return BMS_REQ_UNKNOWN_CMD;
    }
}

const char *bms_req_result_name(enum bms_req_result r)
{
    switch (r) {
    case BMS_REQ_REPLY: return "reply";
    case BMS_REQ_NO_REPLY: return "no_reply";
    case BMS_REQ_SILENT: return "silent";
    case BMS_REQ_OTHER_ADDR: return "other_addr";
    case BMS_REQ_UNKNOWN_CMD: return "unknown_cmd";
    case BMS_REQ_BAD_RANGE: return "bad_range";
    }
    return "?";
}

const char *bms_prot_name(uint32_t bit)
{
    switch (bit) {
    case BMS_PROT_CELL_OV: return "cell_ov";
    case BMS_PROT_CHARGE_FULL: return "charge_full";
    case BMS_PROT_CELL_UV: return "cell_uv";
    case BMS_PROT_DEEP_UV: return "deep_uv";
    case BMS_PROT_DSG_OC: return "dsg_oc";
    case BMS_PROT_SHORT: return "short";
    case BMS_PROT_CHG_OC: return "chg_oc";
    case BMS_PROT_CHG_TEMP: return "chg_temp";
    case BMS_PROT_DSG_TEMP: return "dsg_temp";
    case BMS_PROT_OPEN_WIRE: return "open_wire";
    case BMS_PROT_NO_WAKE: return "no_wake";
    default: return NULL;
    }
}
