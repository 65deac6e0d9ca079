/* pack.c: the S x P pack's configuration, life cycle, inputs, read-outs (group and sense
 * voltages, NTCs, energy) and faults. The state lives in sim/pack_internal.h; the step's
 * numerics (coefficients, group split, per-cell update) are in sim/pack_step.c. */
#include "sim/pack.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/pack_internal.h"
#include "sim/rng.h"
#include "sim/status.h"

/* ---- configuration ------------------------------------------------------------------------ */

int pack_config_preset(struct pack_config *cfg, const char *name, const struct cell_params *cell)
{
    if (!cfg || !name || !cell)
        return BMSRIG_ERR_ARG;
    unsigned s = 0, par = 0;
    char tail = 0;
    if (sscanf(name, "%us%up%c", &s, &par, &tail) != 2 || s < 1 || s > PACK_MAX_SERIES ||
        par < 1 || par > PACK_MAX_PARALLEL)
        return BMSRIG_ERR_ARG;
    memset(cfg, 0, sizeof(*cfg));
    cfg->series = s;
    cfg->parallel = par;
    cfg->cell = *cell;
    cfg->soc0 = 1.0;
    cfg->temp0_c = 25.0;
    cfg->interconnect_ohm = 0.002;          /* [I] nickel strip + welds per series joint */
    cfg->cell_to_ambient_w_per_k = 0.02;    /* [I] cells.md 3.3: 0.02-0.04 W/K free air; lower in a closed deck */
    cfg->cell_to_cell_w_per_k = 0.3;        /* [I] contact through strip and shrink */
    cfg->isothermal = false;
    cfg->bleed_ohm = 4.1 / 0.030;           /* [I] issue: ~30 mA at 4.1 V */
    cfg->sense_filter_ohm = 1000.0;         /* [I] typical AFE input RC filter resistor */
    cfg->sense_pulldown_ohm = 1.0e6;        /* [I] front-end input leak, floating tap */
    cfg->param_refresh_s = 1.0;
    /* Two sensors as on the stock boards' two temperature bytes [S: 0x6A holds two]; placement
     * on the second and the second-to-last group [I]. */
    cfg->n_ntc = 2;
    unsigned ga = s > 2 ? 1 : 0, gb = s > 2 ? s - 2 : s - 1;
    cfg->ntc[0].ncells = par > 2 ? 2 : par;
    cfg->ntc[1].ncells = par > 2 ? 2 : par;
    for (unsigned k = 0; k < cfg->ntc[0].ncells; k++) {
        cfg->ntc[0].cell[k] = ga * par + k;
        cfg->ntc[1].cell[k] = gb * par + k;
    }
    ntc_params_b3435(&cfg->ntc_part);
    ntc_divider_default(&cfg->ntc_divider);
    cfg->seed = 1;
    return BMSRIG_OK;
}

int pack_config_check(const struct pack_config *cfg, char *err, size_t errlen)
{
    char dummy[8];
    if (!err || !errlen) {
        err = dummy;
        errlen = sizeof(dummy);
    }
    err[0] = '\0';
#define BAD(...) do { snprintf(err, errlen, __VA_ARGS__); return BMSRIG_ERR_RANGE; } while (0)
    if (!cfg)
        return BMSRIG_ERR_ARG;
    if (cfg->series < 1 || cfg->series > PACK_MAX_SERIES)
        BAD("series must be 1..%d (got %u)", PACK_MAX_SERIES, cfg->series);
    if (cfg->parallel < 1 || cfg->parallel > PACK_MAX_PARALLEL)
        BAD("parallel must be 1..%d (got %u)", PACK_MAX_PARALLEL, cfg->parallel);
    char cerr[256];
    if (cell_params_validate(&cfg->cell, "cell", cerr, sizeof(cerr)) != BMSRIG_OK)
        BAD("%s", cerr);
    if (!(cfg->soc0 >= 0.0 && cfg->soc0 <= 1.0))
        BAD("soc0 must be 0..1 (got %g)", cfg->soc0);
    if (!(cfg->temp0_c > -60.0 && cfg->temp0_c < 150.0))
        BAD("temp0_c must be in (-60, 150) C (got %g)", cfg->temp0_c);
    if (!(cfg->interconnect_ohm >= 0.0 && cfg->interconnect_ohm < 1.0))
        BAD("interconnect_ohm must be in [0, 1) (got %g)", cfg->interconnect_ohm);
    if (!(cfg->cell_to_ambient_w_per_k >= 0.0) || !(cfg->cell_to_cell_w_per_k >= 0.0))
        BAD("thermal conductances must be >= 0");
    if (!(cfg->bleed_ohm > 0.0))
        BAD("bleed_ohm must be > 0 (got %g)", cfg->bleed_ohm);
    if (!(cfg->sense_filter_ohm >= 0.0) || !(cfg->sense_pulldown_ohm > 0.0))
        BAD("sense_filter_ohm must be >= 0 and sense_pulldown_ohm > 0");
    if (!(cfg->param_refresh_s > 0.0))
        BAD("param_refresh_s must be > 0 (got %g)", cfg->param_refresh_s);
    if (cfg->n_ntc > PACK_MAX_NTC)
        BAD("n_ntc must be <= %d (got %u)", PACK_MAX_NTC, cfg->n_ntc);
    for (unsigned i = 0; i < cfg->n_ntc; i++) {
        if (cfg->ntc[i].ncells < 1 || cfg->ntc[i].ncells > PACK_NTC_MAX_CELLS)
            BAD("ntc[%u] must touch 1..%d cells", i, PACK_NTC_MAX_CELLS);
        for (unsigned k = 0; k < cfg->ntc[i].ncells; k++)
            if (cfg->ntc[i].cell[k] >= cfg->series * cfg->parallel)
                BAD("ntc[%u] touches cell %u, pack has %u", i, cfg->ntc[i].cell[k],
                    cfg->series * cfg->parallel);
    }
    if (!(cfg->ntc_divider.pullup_ohm > 0.0) || cfg->ntc_divider.adc_bits < 1 ||
        cfg->ntc_divider.adc_bits > 16)
        BAD("ntc_divider needs pullup_ohm > 0 and 1..16 adc_bits");
#undef BAD
    return BMSRIG_OK;
}

/* ---- life cycle --------------------------------------------------------------------------- */

struct pack *pack_new(const struct pack_config *cfg)
{
    if (pack_config_check(cfg, NULL, 0) != BMSRIG_OK)
        return NULL;
    struct pack *p = aligned_alloc(64, (sizeof(struct pack) + 63) / 64 * 64);
    if (!p)
        return NULL;
    memset(p, 0, sizeof(*p));
    p->cfg = *cfg;
    p->s = cfg->series;
    p->pp = cfg->parallel;
    p->n = p->s * p->pp;
    p->row = (p->s + PACK_ROW_SLOTS - 1) / PACK_ROW_SLOTS * PACK_ROW_SLOTS;
    p->nslot = p->row * p->pp;
    p->has_ct = cfg->cell.n_ct > 0;
    p->ambient_c = cfg->temp0_c;
    for (unsigned c = 0; c < p->n; c++) {     /* the padding slots stay zero (inert) */
        unsigned sl = slot_of(p, c);
        p->soc[sl] = cfg->soc0;
        p->temp[sl] = cfg->temp0_c;
        p->capf[sl] = 1.0;
        p->rf[sl] = 1.0;
        p->short_ohm[sl] = INFINITY;
    }
    for (unsigned gi = 0; gi < PACK_MAX_SERIES; gi++) {
        p->sense_leak_ohm[gi] = INFINITY;
        p->moisture_ohm[gi] = INFINITY;
    }
    pack_refresh(p, 1e-3);
    for (unsigned gi = 0; gi < p->s; gi++) {
        double sum = 0.0;
        for (unsigned k = 0; k < p->pp; k++)
            sum += p->ocv0[slot_at(p, k, gi)];
        p->vg[gi] = sum / p->pp;
    }
    p->dirty = true;
    p->sense_stale = true;
    return p;
}

void pack_free(struct pack *p)
{
    free(p);
}

/* ---- inputs -------------------------------------------------------------------------------- */

void pack_set_ambient_c(struct pack *p, double temp_c)
{
    /* Convection reads the ambient every step: no refresh needed (engines may call this each
     * tick). An isothermal pack follows it at once. */
    p->ambient_c = temp_c;
    if (p->cfg.isothermal)
        for (unsigned c = 0; c < p->n; c++)
            p->temp[slot_of(p, c)] = temp_c;
}

void pack_set_bleed(struct pack *p, unsigned group, bool on)
{
    if (group >= p->s || p->bleed[group] == on)
        return;
    p->bleed[group] = on;
    p->dirty = true;
}

/* ---- read-outs ----------------------------------------------------------------------------- */

unsigned pack_series(const struct pack *p) { return p->s; }
unsigned pack_parallel(const struct pack *p) { return p->pp; }
double pack_time_s(const struct pack *p) { return p->t_s; }
double pack_current_a(const struct pack *p) { return p->i_act; }
bool pack_string_open(const struct pack *p) { return p->string_open; }
double pack_ambient_c(const struct pack *p) { return p->ambient_c; }

bool pack_bleed_on(const struct pack *p, unsigned group)
{
    return group < p->s && p->bleed[group];
}

double pack_group_v(const struct pack *p, unsigned group)
{
    if (group >= p->s || p->inv_sumg[group] == 0.0)
        return 0.0;
    double v = p->vg_now_valid ? p->vg_now[group] : p->vg[group];
    return v - p->i_act * p->cfg.interconnect_ohm;
}

/* After a fault that moves a group's state of charge between two steps, the group voltages a
 * read-out gives are solved again from the new state at the last step's current and
 * coefficients, so `t:pack()` right after `t:group(g):offset_mv(dv)` shows the offset. The
 * model's own state (vg feeds the next step's drain term) is left alone: the trajectory is the
 * same as without the read-out. */
static void settle_readout(struct pack *p)
{
    const double ia = p->string_open ? 0.0 : p->i_act;
    const double dt = p->coeff_dt > 0.0 ? p->coeff_dt : 1e-3;
    for (unsigned gi = 0; gi < p->s; gi++) {
        double sum_eg = 0.0, sum_g = 0.0;
        for (unsigned k = 0; k < p->pp; k++) {
            unsigned c = slot_at(p, k, gi);
            /* the cell's coefficients at its new state of charge (the step's own are for the
             * old one: their linear OCV is off by 10 % for a 150 mV offset) */
            struct cell_health h = { .cap_factor = p->capf[c], .r_factor = p->rf[c] };
            struct cell_coeffs cc;
            cell_coeffs_compute(&p->cfg.cell, &h, p->soc[c], p->temp[c], dt, &cc);
            double e = cc.ocv0_v + cc.ocv_slope * (p->soc[c] - cc.soc_ref) - cc.a1 * p->v1[c] -
                       cc.a2 * p->v2[c] - (p->has_ct ? p->eoff[c] : 0.0);
            double g = p->open[c] ? 0.0 : 1.0 / cc.z_ohm;
            if (p->has_ct)
                g = g / (1.0 + g * p->rct[c]);
            sum_eg += e * g;
            sum_g += g;
        }
        p->vg_now[gi] = sum_g > 0.0 ? (sum_eg - (ia + p->drain_g[gi] * p->vg[gi])) / sum_g : 0.0;
    }
    p->vg_now_valid = true;
}

double pack_terminal_v(const struct pack *p)
{
    if (p->string_open)
        return 0.0;
    double v = 0.0;
    for (unsigned gi = 0; gi < p->s; gi++)
        v += pack_group_v(p, gi);
    return v;
}

double pack_group_soc(const struct pack *p, unsigned group)
{
    if (group >= p->s)
        return 0.0;
    double sum = 0.0;
    unsigned live = 0;
    for (unsigned k = 0; k < p->pp; k++) {
        unsigned c = slot_at(p, k, group);
        if (!p->open[c]) {
            sum += p->soc[c];
            live++;
        }
    }
    return live ? sum / live : 0.0;
}

double pack_cell_soc(const struct pack *p, unsigned cell)
{
    return cell < p->n ? p->soc[slot_of(p, cell)] : 0.0;
}

double pack_cell_temp_c(const struct pack *p, unsigned cell)
{
    return cell < p->n ? p->temp[slot_of(p, cell)] : 0.0;
}

double pack_cell_current_a(const struct pack *p, unsigned cell)
{
    return cell < p->n ? p->icell[slot_of(p, cell)] : 0.0;
}

double pack_cell_ocv(const struct pack *p, unsigned cell)
{
    return cell < p->n ? cell_params_ocv(&p->cfg.cell, p->soc[slot_of(p, cell)]) : 0.0;
}

/* Tap voltages as the board sees them, with open taps floating on their leak paths [I]:
 * an open tap's node hangs between the tap below (front-end pull-down plus any moisture to it)
 * and the tap above (moisture only), so without moisture it sits on the tap below: the group
 * under it reads ~0 V and the group above reads both groups' sum. */
static void sense_taps(const struct pack *p, double *tap)
{
    double vtrue[PACK_MAX_SERIES + 1];
    vtrue[0] = 0.0;
    for (unsigned gi = 0; gi < p->s; gi++)
        vtrue[gi + 1] = vtrue[gi] + pack_group_v(p, gi);
    tap[0] = 0.0;
    for (unsigned t = 1; t <= p->s; t++) {
        if (t < p->s && p->tap_open[t]) {
            double glo = 1.0 / p->cfg.sense_pulldown_ohm;
            if (isfinite(p->moisture_ohm[t - 1]))
                glo += 1.0 / p->moisture_ohm[t - 1];
            double ghi = isfinite(p->moisture_ohm[t]) ? 1.0 / p->moisture_ohm[t] : 0.0;
            tap[t] = (tap[t - 1] * glo + vtrue[t + 1] * ghi) / (glo + ghi);
        } else {
            tap[t] = vtrue[t];
        }
    }
}

/* The front end's reading of one group from the taps (sense_taps). */
static double sense_voltage_of(const struct pack *p, const double *tap, unsigned group)
{
    double v = tap[group + 1] - tap[group];
    double rl = p->sense_leak_ohm[group];
    if (isfinite(rl))
        v *= rl / (rl + 2.0 * p->cfg.sense_filter_ohm);   /* leaky filter cap divides */
    return v;
}

/* Recomputes sense_v for every group (once per step that is read, instead of the taps once per
 * group read, which made the read-out O(S^2) per engine tick). */
static void update_sense(struct pack *p)
{
    double tap[PACK_MAX_SERIES + 1];
    sense_taps(p, tap);
    for (unsigned g = 0; g < p->s; g++)
        p->sense_v[g] = sense_voltage_of(p, tap, g);
    p->sense_stale = false;
}

double pack_sense_voltage(const struct pack *p, unsigned group)
{
    if (group >= p->s)
        return 0.0;
    if (p->sense_stale)
        update_sense((struct pack *)p);   /* the cache only: the pack's state is unchanged */
    return p->sense_v[group];
}

unsigned pack_ntc_count(const struct pack *p)
{
    return p->cfg.n_ntc;
}

int pack_ntc_read(const struct pack *p, unsigned ntc, struct ntc_reading *out)
{
    if (!p || !out || ntc >= p->cfg.n_ntc)
        return BMSRIG_ERR_ARG;
    const struct pack_ntc_place *pl = &p->cfg.ntc[ntc];
    double sum = 0.0;
    for (unsigned k = 0; k < pl->ncells; k++)
        sum += p->temp[slot_of(p, pl->cell[k])];
    out->true_temp_c = sum / pl->ncells;
    double r = ntc_r_from_t(&p->cfg.ntc_part, out->true_temp_c);
    switch (p->ntc_fault[ntc]) {
    case NTC_FAULT_NONE:
        break;
    case NTC_FAULT_OPEN:
        r = NTC_OPEN_OHM;
        break;
    case NTC_FAULT_SHORT:
        r = NTC_SHORT_OHM;
        break;
    case NTC_FAULT_DRIFT:
        r = ntc_r_from_t(&p->cfg.ntc_part, out->true_temp_c + p->ntc_value[ntc]);
        break;
    case NTC_FAULT_FIXED:
        r = ntc_r_from_t(&p->cfg.ntc_part, p->ntc_value[ntc]);
        break;
    case NTC_FAULT_INTERMITTENT: {
        /* Stateless and seeded: the contact is open in a 10 ms window with probability value. */
        uint64_t window = (uint64_t)floor(p->t_s / 0.01);
        uint64_t h = rng_mix(p->cfg.seed ^ rng_mix(window * 8u + ntc));
        double u = (double)(h >> 11) * (1.0 / 9007199254740992.0);
        if (u < p->ntc_value[ntc])
            r = NTC_OPEN_OHM;
        break;
    }
    }
    out->r_ohm = r;
    out->v_ts = ntc_divider_v(&p->cfg.ntc_divider, r);
    out->adc = ntc_adc_code(&p->cfg.ntc_divider, r);
    out->temp_c = ntc_t_from_r(&p->cfg.ntc_part, ntc_r_from_adc(&p->cfg.ntc_divider, out->adc));
    return BMSRIG_OK;
}

void pack_energy_get(const struct pack *p, struct pack_energy *out)
{
    out->electrical_out_j = 0.0;
    out->heat_j = 0.0;
    for (unsigned k = 0; k < p->pp; k++)        /* slot order, the padding left out */
        for (unsigned gi = 0; gi < p->s; gi++) {
            out->electrical_out_j += p->eout_acc[slot_at(p, k, gi)];
            out->heat_j += p->heat_acc[slot_at(p, k, gi)];
        }
    out->charge_out_c = p->charge_out_c;
}

/* ---- faults -------------------------------------------------------------------------------- */

int pack_fault_cell_open(struct pack *p, unsigned cell, bool open)
{
    if (cell >= p->n)
        return BMSRIG_ERR_ARG;
    p->open[slot_of(p, cell)] = open;
    p->dirty = true;
    return BMSRIG_OK;
}

int pack_fault_cell_short(struct pack *p, unsigned cell, double ohms)
{
    if (cell >= p->n || isnan(ohms) || ohms < 0.0)
        return BMSRIG_ERR_ARG;
    p->short_ohm[slot_of(p, cell)] = ohms == 0.0 ? INFINITY : ohms;
    p->dirty = true;
    return BMSRIG_OK;
}

int pack_fault_cell_weak(struct pack *p, unsigned cell, double cap_factor, double r_factor)
{
    if (cell >= p->n || !(cap_factor > 0.0 && cap_factor <= 10.0) ||
        !(r_factor > 0.0 && r_factor <= 1000.0))
        return BMSRIG_ERR_ARG;
    unsigned sl = slot_of(p, cell);
    /* The cell keeps its SOC, so its voltage does not jump: it is a cell that has aged to this
     * capacity, at the pack's state of charge [I]. (Keeping its charge instead put a 0.8-capacity
     * cell of a full pack at SOC 1.25 and 4.47 V, an over-charge no real pack shows.) */
    p->capf[sl] = cap_factor;
    p->rf[sl] = r_factor;
    p->dirty = true;
    return BMSRIG_OK;
}

int pack_fault_group_soc_offset(struct pack *p, unsigned group, double dsoc)
{
    if (group >= p->s || !(fabs(dsoc) <= 1.0))
        return BMSRIG_ERR_ARG;
    for (unsigned k = 0; k < p->pp; k++) {
        double soc = p->soc[slot_at(p, k, group)] + dsoc;
        if (!p->open[slot_at(p, k, group)] && !(soc >= PACK_SOC_MIN && soc <= PACK_SOC_MAX))
            return BMSRIG_ERR_RANGE;
    }
    for (unsigned k = 0; k < p->pp; k++)
        p->soc[slot_at(p, k, group)] += dsoc;
    p->dirty = true;
    settle_readout(p);
    return BMSRIG_OK;
}

double pack_group_dsoc_for_dv(const struct pack *p, unsigned group, double dv_v)
{
    if (group >= p->s)
        return 0.0;
    double soc = pack_group_soc(p, group);
    double target = cell_params_ocv(&p->cfg.cell, soc) + dv_v;
    double soc2 = cell_params_soc_for_ocv(&p->cfg.cell, target);
    /* soc_for_ocv clamps at the ends of the OCV table: a target it cannot reach (1e9 mV, or a
       non-finite dv) would silently become "full" or "empty"; NAN makes the caller refuse it. */
    if (!isfinite(target) || fabs(cell_params_ocv(&p->cfg.cell, soc2) - target) > 1e-3)
        return NAN;
    return soc2 - soc;
}

int pack_fault_sense_open(struct pack *p, unsigned tap, bool open)
{
    if (tap < 1 || tap >= p->s)
        return BMSRIG_ERR_ARG;
    p->tap_open[tap] = open;
    p->sense_stale = true;
    return BMSRIG_OK;
}

int pack_fault_sense_leak(struct pack *p, unsigned group, double ohms)
{
    if (group >= p->s || isnan(ohms) || !(ohms > 0.0))
        return BMSRIG_ERR_ARG;
    p->sense_leak_ohm[group] = ohms;
    p->dirty = true;
    p->sense_stale = true;
    return BMSRIG_OK;
}

int pack_fault_moisture(struct pack *p, unsigned group, double ohms)
{
    if (group >= p->s || isnan(ohms) || !(ohms > 0.0))
        return BMSRIG_ERR_ARG;
    p->moisture_ohm[group] = ohms;
    p->dirty = true;
    p->sense_stale = true;
    return BMSRIG_OK;
}

int pack_fault_ntc(struct pack *p, unsigned ntc, enum ntc_fault fault, double value)
{
    if (ntc >= p->cfg.n_ntc || (int)fault < NTC_FAULT_NONE || fault > NTC_FAULT_FIXED ||
        !isfinite(value))
        return BMSRIG_ERR_ARG;
    if (fault == NTC_FAULT_FIXED && !(value >= NTC_FIXED_MIN_C && value <= NTC_FIXED_MAX_C))
        return BMSRIG_ERR_RANGE;
    if (fault == NTC_FAULT_INTERMITTENT && !(value >= 0.0 && value <= 1.0))
        return BMSRIG_ERR_ARG;
    p->ntc_fault[ntc] = fault;
    p->ntc_value[ntc] = value;
    return BMSRIG_OK;
}
