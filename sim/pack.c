/* pack.c: the S x P pack: structure-of-arrays cell state, exact group current split, thermal,
 * sense network, NTCs and faults.
 *
 * Layout: per-cell arrays are stored parallel-index-major (slot = k * S + g) so that the group
 * sums and the per-cell update are flat loops over contiguous memory with no branches. Every
 * SOC/temperature/fault-dependent quantity (tables, Arrhenius, exponentials) lives in the
 * coefficient arrays, recomputed by refresh() every param_refresh_s of simulated time, when dt
 * changes, or when a fault or input changed; the per-step path is arithmetic only.
 *
 * Cells with a charge-transfer term (cell.h: eta(i) = K asinh(i / 2 I0)) make the group split
 * non-linear. Each step then predicts every cell's current with the last step's linear model
 * of the cells (eta replaced by its tangent at the last step's currents; kept across refreshes),
 * replaces eta by its tangent at the predicted current (an offset plus a resistance), and
 * solves the split again with it: exact for one cell per group and for a group of equal cells
 * (the prediction is then the true current), second-order close otherwise, and the group
 * currents still sum to the load exactly. (Predicting with the plain split instead, which
 * ignores eta's resistance, put the circulating current between unequal parallel cells 8 %
 * off: pack::charge_transfer_split_of_unequal_cells_matches_exact_solve; the price is the one
 * step after a current reversal, predicted from the opposite current.) That costs an asinh
 * (sim/fast_asinh.h), a sqrt and two divisions per cell per step, so only packs whose set has
 * ct rows take that path. */
#include "sim/pack.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/fast_asinh.h"
#include "sim/rng.h"
#include "sim/status.h"

#define N PACK_MAX_CELLS
#define ALIGN __attribute__((aligned(64)))

struct pack {
    struct pack_config cfg;
    unsigned s, pp, n;
    double t_s;
    double ambient_c;
    double i_act;                /* pack current that flowed in the last step */
    bool string_open;
    bool dirty;                  /* a fault or input changed: refresh before the next step */
    bool has_ct;                 /* the set has a charge-transfer term: linearise it per step */
    double coeff_dt;             /* the dt the coefficients were computed for */
    double since_refresh_s;
    double charge_out_c;

    /* cell state */
    double soc[N] ALIGN, v1[N] ALIGN, v2[N] ALIGN, temp[N] ALIGN, icell[N] ALIGN;
    double heat_acc[N] ALIGN, eout_acc[N] ALIGN;
    /* step coefficients */
    double ocv0[N] ALIGN, slope[N] ALIGN, socref[N] ALIGN, r0[N] ALIGN, r1[N] ALIGN, r2[N] ALIGN;
    double a1[N] ALIGN, b1[N] ALIGN, a2[N] ALIGN, b2[N] ALIGN, t1[N] ALIGN, t2[N] ALIGN;
    double c1h[N] ALIGN, c2h[N] ALIGN;       /* C/2 for the capacitor energy */
    double g[N] ALIGN;                       /* 1/Z, 0 for an open cell */
    double ctk[N] ALIGN, cti[N] ALIGN;       /* charge transfer: K and 1/(2 I0) (0: none) */
    /* the step's linear model of the cell (= g, 0, 0 without a charge-transfer term) */
    double gs[N] ALIGN;                      /* 1 / (Z + rct) */
    double eoff[N] ALIGN, rct[N] ALIGN;      /* eta(i) ~ eoff + rct i over the step */
    double dsoc[N] ALIGN;                    /* dt / (3600 Q) */
    double leakg[N] ALIGN;                   /* self-discharge + internal short conductance */
    double effc[N] ALIGN;                    /* coulombic efficiency when charging */
    double cinv[N] ALIGN;                    /* 1 / heat capacity (0 when isothermal) */
    double hdt[N] ALIGN;                     /* dt * h / C (0 when isothermal) */
    /* per-step scratch */
    double e[N] ALIGN, vc[N] ALIGN;
    /* cell health (indexed by slot) */
    double capf[N], rf[N], short_ohm[N];
    bool open[N];

    /* groups */
    double vg[PACK_MAX_SERIES];              /* common terminal voltage of the group's cells */
    double vg_now[PACK_MAX_SERIES];          /* read-out after a fault between steps: */
    bool vg_now_valid;                       /*   used by pack_group_v until the next step */
    double inv_sumg[PACK_MAX_SERIES];        /* 1 / sum of g (0: the group is open) */
    double inv_sumgs[PACK_MAX_SERIES];       /* 1 / sum of gs, this step */
    double sense_v[PACK_MAX_SERIES];         /* what the BMS front end reads per group, a
                                              * cache: recomputed for all groups at the first
                                              * read after a step or a sense fault */
    bool sense_stale;
    double drain_g[PACK_MAX_SERIES];         /* bleed + sense leak + moisture conductance */
    bool bleed[PACK_MAX_SERIES];
    double sense_leak_ohm[PACK_MAX_SERIES];
    double moisture_ohm[PACK_MAX_SERIES];
    bool tap_open[PACK_MAX_SERIES + 1];

    enum ntc_fault ntc_fault[PACK_MAX_NTC];
    double ntc_value[PACK_MAX_NTC];
};

static unsigned slot_of(const struct pack *p, unsigned cell)
{
    unsigned g = cell / p->pp, k = cell % p->pp;
    return k * p->s + g;
}

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

/* ---- coefficients ------------------------------------------------------------------------- */

static void conduct(struct pack *p, double elapsed_s)
{
    double k = p->cfg.cell_to_cell_w_per_k;
    if (p->cfg.isothermal || k <= 0.0 || elapsed_s <= 0.0 || p->n < 2)
        return;
    double cinv = 1.0 / p->cfg.cell.heat_capacity_j_per_k;
    double rate = k * cinv;                          /* 1/s */
    unsigned nsub = (unsigned)ceil(elapsed_s * rate / 0.25);
    if (nsub < 1)
        nsub = 1;
    double h = elapsed_s / nsub * rate;
    double tphys[N], flux[N];
    for (unsigned c = 0; c < p->n; c++)
        tphys[c] = p->temp[slot_of(p, c)];
    for (unsigned it = 0; it < nsub; it++) {
        for (unsigned c = 0; c < p->n; c++) {
            double f = 0.0;
            if (c > 0)
                f += tphys[c - 1] - tphys[c];
            if (c + 1 < p->n)
                f += tphys[c + 1] - tphys[c];
            flux[c] = f;
        }
        for (unsigned c = 0; c < p->n; c++)
            tphys[c] += h * flux[c];
    }
    for (unsigned c = 0; c < p->n; c++)
        p->temp[slot_of(p, c)] = tphys[c];
}

static void refresh(struct pack *p, double dt)
{
    conduct(p, p->since_refresh_s);
    const struct cell_params *cp = &p->cfg.cell;
    double cth = cp->heat_capacity_j_per_k;
    for (unsigned sl = 0; sl < p->n; sl++) {
        struct cell_health h = { .cap_factor = p->capf[sl], .r_factor = p->rf[sl] };
        struct cell_coeffs k;
        cell_coeffs_compute(cp, &h, p->soc[sl], p->temp[sl], dt, &k);
        p->ocv0[sl] = k.ocv0_v;
        p->slope[sl] = k.ocv_slope;
        p->socref[sl] = k.soc_ref;
        p->r0[sl] = k.r0_ohm;
        p->r1[sl] = k.r1_ohm;
        p->r2[sl] = k.r2_ohm;
        p->a1[sl] = k.a1;
        p->a2[sl] = k.a2;
        p->b1[sl] = k.b1;
        p->b2[sl] = k.b2;
        p->t1[sl] = k.tau1_s * (1.0 - k.a1);
        p->t2[sl] = k.tau2_s * (1.0 - k.a2);
        p->c1h[sl] = 0.5 * k.c1_f;
        p->c2h[sl] = 0.5 * k.c2_f;
        p->dsoc[sl] = dt * k.dsoc_per_c;
        p->g[sl] = p->open[sl] ? 0.0 : 1.0 / k.z_ohm;
        p->ctk[sl] = k.ct_k_v;
        p->cti[sl] = k.ct_inv2i0;
        p->gs[sl] = p->g[sl] / (1.0 + p->g[sl] * p->rct[sl]);   /* last step's eta tangent */
        p->leakg[sl] = 1.0 / cp->self_discharge_ohm +
                       (p->short_ohm[sl] > 0.0 && isfinite(p->short_ohm[sl]) ? 1.0 / p->short_ohm[sl] : 0.0);
        p->effc[sl] = cp->coulomb_eff;
        p->cinv[sl] = p->cfg.isothermal ? 0.0 : 1.0 / cth;
        p->hdt[sl] = p->cfg.isothermal ? 0.0 : dt * p->cfg.cell_to_ambient_w_per_k / cth;
        if (p->open[sl])
            p->v1[sl] = p->v2[sl] = 0.0;     /* an open cell relaxes (its RC state is moot) */
    }
    p->string_open = false;
    double rf = p->cfg.sense_filter_ohm;
    for (unsigned gi = 0; gi < p->s; gi++) {
        double sum = 0.0;
        for (unsigned k = 0; k < p->pp; k++)
            sum += p->g[k * p->s + gi];
        p->inv_sumg[gi] = sum > 0.0 ? 1.0 / sum : 0.0;
        p->inv_sumgs[gi] = p->inv_sumg[gi];
        if (sum <= 0.0)
            p->string_open = true;
        double d = p->bleed[gi] ? 1.0 / p->cfg.bleed_ohm : 0.0;
        if (isfinite(p->sense_leak_ohm[gi]))
            d += 1.0 / (p->sense_leak_ohm[gi] + 2.0 * rf);
        if (isfinite(p->moisture_ohm[gi]))
            d += 1.0 / p->moisture_ohm[gi];
        p->drain_g[gi] = sum > 0.0 ? d : 0.0;
    }
    p->coeff_dt = dt;
    p->since_refresh_s = 0.0;
    p->dirty = false;
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
    p->has_ct = cfg->cell.n_ct > 0;
    p->ambient_c = cfg->temp0_c;
    for (unsigned sl = 0; sl < p->n; sl++) {
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
    refresh(p, 1e-3);
    for (unsigned gi = 0; gi < p->s; gi++) {
        double sum = 0.0;
        for (unsigned k = 0; k < p->pp; k++)
            sum += p->ocv0[k * p->s + gi];
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

/* ---- the step ------------------------------------------------------------------------------ */

/* Group solve: per-cell Thevenin source E and conductance G over the step, then each group's
 * common terminal voltage V = (sum E G - I_group) / sum G into vgrp[group], broadcast back to
 * its cells in vc. Inlined into each clone of its callers. */
__attribute__((always_inline))
static inline void plain_split(struct pack *p, unsigned s, unsigned par, double ia, double *vgrp)
{
    const unsigned n = s * par;
    double *restrict e = p->e, *restrict vc = p->vc;
    const double *restrict soc = p->soc, *restrict v1 = p->v1, *restrict v2 = p->v2;
    const double *restrict ocv0 = p->ocv0, *restrict slope = p->slope, *restrict socref = p->socref;
    const double *restrict a1 = p->a1, *restrict a2 = p->a2, *restrict g = p->g;
    double sum_eg[PACK_MAX_SERIES];
    for (unsigned c = 0; c < n; c++)
        e[c] = ocv0[c] + slope[c] * (soc[c] - socref[c]) - a1[c] * v1[c] - a2[c] * v2[c];
    for (unsigned gi = 0; gi < s; gi++)
        sum_eg[gi] = e[gi] * g[gi];
    for (unsigned k = 1; k < par; k++)
        for (unsigned gi = 0; gi < s; gi++)
            sum_eg[gi] += e[k * s + gi] * g[k * s + gi];
    for (unsigned gi = 0; gi < s; gi++)
        vgrp[gi] = (sum_eg[gi] - (ia + p->drain_g[gi] * p->vg[gi])) * p->inv_sumg[gi];
    for (unsigned k = 0; k < par; k++)
        for (unsigned gi = 0; gi < s; gi++)
            vc[k * s + gi] = vgrp[gi];
}

__attribute__((target_clones("avx2", "default")))
static void solve_groups(struct pack *p, unsigned s, unsigned par, double ia)
{
    plain_split(p, s, par, ia, p->vg);
}

/* The group split with the cells' linear model of this step, E - eoff - V = i (Z + rct): e[c]
 * holds E - eoff; the group voltages go to vgrp and, broadcast, to vc. Inlined. */
__attribute__((always_inline))
static inline void linear_split(struct pack *p, unsigned s, unsigned par, double ia, double *vgrp)
{
    const double *restrict e = p->e, *restrict gs = p->gs;
    double *restrict vc = p->vc;
    double sum_eg[PACK_MAX_SERIES], sum_g[PACK_MAX_SERIES];
    for (unsigned gi = 0; gi < s; gi++) {
        sum_eg[gi] = e[gi] * gs[gi];
        sum_g[gi] = gs[gi];
    }
    for (unsigned k = 1; k < par; k++)
        for (unsigned gi = 0; gi < s; gi++) {
            sum_eg[gi] += e[k * s + gi] * gs[k * s + gi];
            sum_g[gi] += gs[k * s + gi];
        }
    for (unsigned gi = 0; gi < s; gi++) {
        p->inv_sumgs[gi] = sum_g[gi] > 0.0 ? 1.0 / sum_g[gi] : 0.0;
        vgrp[gi] = (sum_eg[gi] - (ia + p->drain_g[gi] * p->vg[gi])) * p->inv_sumgs[gi];
    }
    for (unsigned k = 0; k < par; k++)
        for (unsigned gi = 0; gi < s; gi++)
            vc[k * s + gi] = vgrp[gi];
}

/* Group solve with the charge-transfer term: the last step's linear model of the cells (eta
 * replaced by its tangent at the last step's currents) predicts each cell's current, eta is
 * replaced by its tangent there, and the split is solved again (see the top of the file). */
__attribute__((target_clones("avx2", "default")))
static void solve_groups_ct(struct pack *p, unsigned s, unsigned par, double ia)
{
    const unsigned n = s * par;
    double *restrict e = p->e, *restrict gs = p->gs;
    double *restrict eoff = p->eoff, *restrict rct = p->rct;
    const double *restrict vc = p->vc;
    const double *restrict soc = p->soc, *restrict v1 = p->v1, *restrict v2 = p->v2;
    const double *restrict ocv0 = p->ocv0, *restrict slope = p->slope, *restrict socref = p->socref;
    const double *restrict a1 = p->a1, *restrict a2 = p->a2;
    const double *restrict g = p->g, *restrict ctk = p->ctk, *restrict cti = p->cti;
    double vpred[PACK_MAX_SERIES];
    for (unsigned c = 0; c < n; c++)
        e[c] = ocv0[c] + slope[c] * (soc[c] - socref[c]) - a1[c] * v1[c] - a2[c] * v2[c] - eoff[c];
    linear_split(p, s, par, ia, vpred);
    /* eta's tangent at each cell's predicted current: an offset and a resistance in series */
    for (unsigned c = 0; c < n; c++) {
        double ipred = (e[c] - vc[c]) * gs[c];
        double x = fast_asinh_clamp(ipred * cti[c]);
        double root = sqrt(x * x + 1.0);
        double r = ctk[c] * cti[c] / root;                   /* d eta / d i at ipred */
        double off = ctk[c] * fast_asinh_root(x, root) - r * ipred;
        e[c] += eoff[c] - off;
        rct[c] = r;
        eoff[c] = off;
        gs[c] = g[c] / (1.0 + g[c] * r);
    }
    /* and the split again with it */
    linear_split(p, s, par, ia, p->vg);
}

/* The per-cell update: flat, branch-free arithmetic over contiguous arrays (vectorised; an
 * AVX2 clone is picked at load time where the CPU has it). fp-contract is off for this file
 * (sim/CMakeLists.txt) so every clone rounds identically: traces stay byte-identical. */
__attribute__((target_clones("avx2", "default")))
static void step_cells(struct pack *p, unsigned n, double dt, double ta)
{
    double *restrict soc = p->soc, *restrict v1 = p->v1, *restrict v2 = p->v2;
    double *restrict temp = p->temp, *restrict icell = p->icell;
    double *restrict hacc = p->heat_acc, *restrict eacc = p->eout_acc;
    const double *restrict e = p->e, *restrict vc = p->vc, *restrict g = p->gs;
    const double *restrict eoff = p->eoff, *restrict rct = p->rct;
    const double *restrict ocv0 = p->ocv0, *restrict slope = p->slope, *restrict socref = p->socref;
    const double *restrict leakg = p->leakg, *restrict effc = p->effc;
    const double *restrict a1 = p->a1, *restrict a2 = p->a2, *restrict b1 = p->b1, *restrict b2 = p->b2;
    const double *restrict r0 = p->r0, *restrict r1 = p->r1, *restrict r2 = p->r2;
    const double *restrict t1 = p->t1, *restrict t2 = p->t2, *restrict c1h = p->c1h, *restrict c2h = p->c2h;
    const double *restrict dsocc = p->dsoc, *restrict cinv = p->cinv, *restrict hdt = p->hdt;
    for (unsigned c = 0; c < n; c++) {
        double i = (e[c] - vc[c]) * g[c];
        double eta = eoff[c] + rct[c] * i;                   /* charge transfer (0 if none) */
        double ocv_s = ocv0[c] + slope[c] * (soc[c] - socref[c]);
        double iin = i + leakg[c] * ocv_s;
        double ipos = iin > 0.0 ? iin : 0.0;          /* charge is stored at effc */
        double ichg = ipos + effc[c] * (iin - ipos);
        double v1o = v1[c], v2o = v2[c];
        double v1n = a1[c] * v1o + b1[c] * i;
        double v2n = a2[c] * v2o + b2[c] * i;
        double r1i = r1[c] * i, r2i = r2[c] * i;
        double iv1 = r1i * dt + (v1o - r1i) * t1[c];        /* integral of v1 over the step */
        double iv2 = r2i * dt + (v2o - r2i) * t2[c];
        double dsoc = ichg * dsocc[c];
        double ocv_e = ocv_s - slope[c] * dsoc;
        double heat = i * i * r0[c] * dt + i * eta * dt + i * iv1 - c1h[c] * (v1n * v1n - v1o * v1o) +
                      i * iv2 - c2h[c] * (v2n * v2n - v2o * v2o) + leakg[c] * ocv_s * ocv_s * dt;
        eacc[c] += i * (0.5 * (ocv_s + ocv_e) * dt - (r0[c] * i + eta) * dt - iv1 - iv2);
        hacc[c] += heat;
        soc[c] -= dsoc;
        v1[c] = v1n;
        v2[c] = v2n;
        temp[c] += heat * cinv[c] - hdt[c] * (temp[c] - ta);
        icell[c] = i;
    }
}

void pack_step(struct pack *p, double dt, double load_current_a)
{
    if (!(dt > 0.0))
        return;
    if (p->dirty || dt != p->coeff_dt || p->since_refresh_s >= p->cfg.param_refresh_s)
        refresh(p, dt);
    const unsigned s = p->s, n = p->n, par = p->pp;
    const double ia = p->string_open ? 0.0 : load_current_a;
    const double ta = p->ambient_c;

    if (p->has_ct)
        solve_groups_ct(p, s, par, ia);
    else
        solve_groups(p, s, par, ia);
    step_cells(p, n, dt, ta);
    p->i_act = ia;
    p->vg_now_valid = false;
    p->charge_out_c += ia * dt;
    p->t_s += dt;
    p->since_refresh_s += dt;
    p->sense_stale = true;
}

double pack_current_for_voltage(const struct pack *p, double dt_s, double v_target)
{
    (void)dt_s;   /* the coefficients of the last refresh are used */
    if (p->string_open)
        return 0.0;
    double a = 0.0, b = 0.0;
    for (unsigned gi = 0; gi < p->s; gi++) {
        double sum_eg = 0.0;
        for (unsigned k = 0; k < p->pp; k++) {
            unsigned c = k * p->s + gi;
            double e = p->ocv0[c] + p->slope[c] * (p->soc[c] - p->socref[c]) -
                       p->a1[c] * p->v1[c] - p->a2[c] * p->v2[c] - p->eoff[c];
            sum_eg += e * p->gs[c];
        }
        a += (sum_eg - p->drain_g[gi] * p->vg[gi]) * p->inv_sumgs[gi];
        b += p->inv_sumgs[gi] + p->cfg.interconnect_ohm;
    }
    return b > 0.0 ? (a - v_target) / b : 0.0;
}

/* ---- inputs -------------------------------------------------------------------------------- */

void pack_set_ambient_c(struct pack *p, double temp_c)
{
    /* Convection reads the ambient every step: no refresh needed (engines may call this each
     * tick). An isothermal pack follows it at once. */
    p->ambient_c = temp_c;
    if (p->cfg.isothermal)
        for (unsigned c = 0; c < p->n; c++)
            p->temp[c] = temp_c;
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
            unsigned c = k * p->s + gi;
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
        unsigned c = k * p->s + group;
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
    for (unsigned c = 0; c < p->n; c++) {
        out->electrical_out_j += p->eout_acc[c];
        out->heat_j += p->heat_acc[c];
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
        double soc = p->soc[k * p->s + group] + dsoc;
        if (!p->open[k * p->s + group] && !(soc >= PACK_SOC_MIN && soc <= PACK_SOC_MAX))
            return BMSRIG_ERR_RANGE;
    }
    for (unsigned k = 0; k < p->pp; k++)
        p->soc[k * p->s + group] += dsoc;
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
