/* pack_step.c: the pack's step: its coefficients (tables, Arrhenius, exponentials, refreshed
 * on a schedule) and the per-step numerics (the exact group split, the charge-transfer
 * tangent, the per-cell update).
 *
 * Layout: per-cell arrays are stored parallel-index-major (slot = k * R + g, R = S padded to a
 * multiple of PACK_ROW_SLOTS, sim/pack_internal.h) so that the group sums and the per-cell
 * update are flat loops over contiguous memory with no branches and no scalar tails (the
 * padding slots have zero coefficients: they carry no current and nothing reads them). Every
 * SOC/temperature/fault-dependent quantity (tables, Arrhenius, exponentials) lives in the
 * coefficient arrays, recomputed by pack_refresh() every param_refresh_s of simulated time, when dt
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
 * (sim/fast_asinh.h's reduction with a shorter series), a square root and one division per
 * cell per step, so only packs whose set has ct rows take that path. */
#include "sim/pack.h"

#include <math.h>
#include <string.h>

#include "sim/fast_asinh.h"
#include "sim/pack_internal.h"

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

void pack_refresh(struct pack *p, double dt)
{
    conduct(p, p->since_refresh_s);
    const struct cell_params *cp = &p->cfg.cell;
    double cth = cp->heat_capacity_j_per_k;
    for (unsigned c = 0; c < p->n; c++) {     /* the padding slots keep zero coefficients */
        unsigned sl = slot_of(p, c);
        struct cell_health h = { .cap_factor = p->capf[sl], .r_factor = p->rf[sl] };
        struct cell_coeffs k;
        cell_coeffs_compute(cp, &h, p->soc[sl], p->temp[sl], dt, &k);
        p->ocv0[sl] = k.ocv0_v;
        p->ocv[sl] = k.ocv0_v + k.ocv_slope * (p->soc[sl] - k.soc_ref);   /* = ocv0: soc_ref = soc */
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
        p->k1[sl] = k.r1_ohm * (dt - p->t1[sl]);
        p->k2[sl] = k.r2_ohm * (dt - p->t2[sl]);
        p->r0dt[sl] = k.r0_ohm * dt;
        p->hslope[sl] = 0.5 * k.ocv_slope;
        p->c1h[sl] = 0.5 * k.c1_f;
        p->c2h[sl] = 0.5 * k.c2_f;
        p->dsoc[sl] = dt * k.dsoc_per_c;
        p->g[sl] = p->open[sl] ? 0.0 : 1.0 / k.z_ohm;
        p->ctk[sl] = k.ct_k_v;
        p->cti[sl] = k.ct_inv2i0;
        p->ctkc[sl] = k.ct_k_v * k.ct_inv2i0;
        p->ctq[sl] = p->g[sl] * p->ctkc[sl];
        p->gs[sl] = p->g[sl] / (1.0 + p->g[sl] * p->rct[sl]);   /* last step's eta tangent */
        p->leakg[sl] = 1.0 / cp->self_discharge_ohm +
                       (p->short_ohm[sl] > 0.0 && isfinite(p->short_ohm[sl]) ? 1.0 / p->short_ohm[sl] : 0.0);
        if (p->open[sl])
            p->v1[sl] = p->v2[sl] = 0.0;     /* an open cell relaxes (its RC state is moot) */
    }
    p->effc = cp->coulomb_eff;
    p->cinv = p->cfg.isothermal ? 0.0 : 1.0 / cth;
    p->hdt = p->cfg.isothermal ? 0.0 : dt * p->cfg.cell_to_ambient_w_per_k / cth;
    p->string_open = false;
    double rf = p->cfg.sense_filter_ohm;
    for (unsigned gi = 0; gi < p->s; gi++) {
        double sum = 0.0;
        for (unsigned k = 0; k < p->pp; k++)
            sum += p->g[slot_at(p, k, gi)];
        p->inv_sumg[gi] = sum > 0.0 ? 1.0 / sum : 0.0;
        /* 1 / sum gs for the next step's prediction (and pack_current_for_voltage), summed
         * in the order the step's second split sums it */
        double sum_gs = p->gs[gi];
        for (unsigned k = 1; k < p->pp; k++)
            sum_gs += p->gs[slot_at(p, k, gi)];
        p->inv_sumgs[gi] = sum_gs > 0.0 ? 1.0 / sum_gs : 0.0;
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
    p->e_valid = false;     /* the sources move with the coefficients */
}

/* ---- the step ------------------------------------------------------------------------------ */

/* Every cell's source E = OCV(soc) - a1 v1 - a2 v2 for the coming step, into e. Needed after a
 * refresh only: otherwise the per-cell update of the last step left it there (step_cells). */
__attribute__((target_clones("avx2", "default")))
static void sources(struct pack *p, unsigned n)
{
    assume_whole_vectors(n);
    double *restrict e = p->e;
    const double *restrict ocv = p->ocv, *restrict v1 = p->v1, *restrict v2 = p->v2;
    const double *restrict a1 = p->a1, *restrict a2 = p->a2;
    for (unsigned c = 0; c < n; c++)
        e[c] = ocv[c] - a1[c] * v1[c] - a2[c] * v2[c];
    p->e_valid = true;
}

/* The group passes below run over blocks of groups: W = 4 at a time (one AVX2 vector per row)
 * and a last block of W = 2 when the padded row is not a multiple of four (it is a multiple of
 * PACK_ROW_SLOTS = 2). Within a block a pass goes down all rows (slot k * s + g0 + j), so a
 * loop's start and end are paid per block and not per row, and the block's group sums, its
 * group voltages and their copies to its cells' slots stay with it (no separate broadcast, no
 * memcpy call per row). Each j loop is kept a loop of W so that gcc vectorises it into one
 * vector (fully unrolled first, it stays scalar). The sums run row 0 first, then the rows after
 * it in order, as before the blocks: the same bits. */
#define FOR_J(W) _Pragma("GCC unroll 1") for (unsigned j = 0; j < (W); j++)

/* Each group's voltage of the block, v[j], copied to its cells' slots in vc (rows from 0). */
__attribute__((always_inline))
static inline void broadcast_block(double *restrict vc, unsigned s, size_t n, const unsigned W,
                                   const double *restrict v)
{
    for (size_t base = 0; base < n; base += s)
        FOR_J(W) vc[base + j] = v[j];
}

/* The plain split for groups g0 .. g0 + W - 1: V = (sum E G - I_group) / sum G into p->vg and
 * the cells' slots of p->vc. */
__attribute__((always_inline))
static inline void solve_block(struct pack *p, unsigned s, size_t n, unsigned g0, const unsigned W,
                               double ia)
{
    const double *restrict e = p->e + g0, *restrict g = p->g + g0;
    const double *restrict drain = p->drain_g + g0, *restrict inv = p->inv_sumg + g0;
    double *restrict vg = p->vg + g0;
    double sum[4], v[4];
    FOR_J(W) sum[j] = e[j] * g[j];
    for (size_t base = s; base < n; base += s)
        FOR_J(W) sum[j] += e[base + j] * g[base + j];
    FOR_J(W) {
        v[j] = (sum[j] - (ia + drain[j] * vg[j])) * inv[j];
        vg[j] = v[j];
    }
    broadcast_block(p->vc + g0, s, n, W, v);
}

/* Group solve without a charge-transfer term: with each cell's source E (p->e) and
 * conductance G over the step, each group's common terminal voltage
 * V = (sum E G - I_group) / sum G into p->vg, copied to its cells' slots in p->vc. */
__attribute__((target_clones("avx2", "default")))
static void solve_groups(struct pack *p, unsigned s, unsigned par, double ia)
{
    assume_whole_vectors(s);
    const size_t n = (size_t)s * par;
    unsigned g0 = 0;
    for (; g0 + 4 <= s; g0 += 4)
        solve_block(p, s, n, g0, 4, ia);
    if (g0 < s)
        solve_block(p, s, n, g0, 2, ia);
}

/* One row of the series pass for groups g0 .. g0 + W - 1 (from slot c0 = k * s + g0): the
 * series, the offset and the source E - eoff, with the second split's sums of E gs and gs
 * (set by row 0, added to by the rows after it). */
__attribute__((always_inline))
static inline void series_row(struct pack *p, size_t c0, const unsigned W, const bool first,
                              double *restrict sum_eg, double *restrict sum_g)
{
    double *restrict e = p->e + c0, *restrict eoff = p->eoff + c0;
    const double *restrict gs = p->gs + c0, *restrict rct = p->rct + c0;
    const double *restrict ctk = p->ctk + c0, *restrict ip = p->ct_ipred + c0;
    const double *restrict ss = p->ct_s + c0, *restrict ks = p->ct_k + c0;
    FOR_J(W) {
        double as = ks[j] * 0.6931471805599453 + fast_ln_series_short(ss[j]);   /* asinh(x) */
        double off = ctk[j] * as - rct[j] * ip[j];
        double en = e[j] + (eoff[j] - off);
        e[j] = en;
        eoff[j] = off;
        double eg = en * gs[j];
        sum_eg[j] = first ? eg : sum_eg[j] + eg;
        sum_g[j] = first ? gs[j] : sum_g[j] + gs[j];
    }
}

/* The charge-transfer split's last pass for groups g0 .. g0 + W - 1: the series down all rows,
 * then the split with the new tangent (1 / sum gs kept for the next step's prediction), the
 * group voltages into p->vg and the cells' slots of p->vc. */
__attribute__((always_inline))
static inline void settle_block(struct pack *p, unsigned s, size_t n, unsigned g0, const unsigned W,
                                double ia)
{
    const double *restrict drain = p->drain_g + g0;
    double *restrict vg = p->vg + g0, *restrict inv_sumgs = p->inv_sumgs + g0;
    double sum_eg[4], sum_g[4], v[4];
    series_row(p, g0, W, true, sum_eg, sum_g);
    for (size_t base = s; base < n; base += s)
        series_row(p, base + g0, W, false, sum_eg, sum_g);
    FOR_J(W) {
        double inv = sum_g[j] > 0.0 ? 1.0 / sum_g[j] : 0.0;
        inv_sumgs[j] = inv;
        v[j] = (sum_eg[j] - (ia + drain[j] * vg[j])) * inv;
        vg[j] = v[j];
    }
    broadcast_block(p->vc + g0, s, n, W, v);
}

/* Group solve with the charge-transfer term. The last step's linear model of the cells (eta
 * replaced by its tangent eoff + rct i at the last step's currents, conductance gs; its
 * 1 / sum gs is kept from the last step) predicts each cell's current; eta is replaced by its
 * tangent there and the split is solved again (see the top of the file). On return p->e
 * holds E - eoff for the step's tangent.
 *
 * The passes that run row by row (k outer, the group gi inner, slot k * s + gi) carry the
 * group sums with them (row 0 first, then the rows after it in order), and read the
 * group's voltage v[gi] directly instead of a broadcast copy: the prediction's E - eoff with
 * its sum of E gs, the predicted current with x and the root, and the series (by blocks of
 * groups, settle_block) with the second split's sums of E gs and gs and the group voltages.
 * The same operations on the same operands as separate passes, so the same bits. */
/* One slot's predicted current at its group's voltage vg, with x = i / 2 I0 (clamped) and the
 * root sqrt(1 + x^2): the prediction pass of solve_groups_ct, by blocks of four groups or by
 * row. */
static inline void predict_slot(size_t c, double vg, const double *restrict e,
                                const double *restrict gs, const double *restrict cti,
                                double *restrict ip, double *restrict xs, double *restrict roots)
{
    double ipred = (e[c] - vg) * gs[c];
    double x = fast_asinh_clamp(ipred * cti[c]);
    ip[c] = ipred;
    xs[c] = x;
    roots[c] = sqrt(x * x + 1.0);
}

__attribute__((target_clones("avx2", "default")))
static void solve_groups_ct(struct pack *p, unsigned s, unsigned par, double ia)
{
    assume_whole_vectors(s);
    const size_t n = (size_t)s * par;
    double *restrict e = p->e, *restrict gs = p->gs;
    double *restrict eoff = p->eoff, *restrict rct = p->rct;
    const double *restrict g = p->g, *restrict cti = p->cti;
    double sum_eg[PACK_MAX_SERIES], v[PACK_MAX_SERIES];
    /* the prediction: the last step's model */
    for (unsigned gi = 0; gi < s; gi++) {
        double x = e[gi] - eoff[gi];
        e[gi] = x;
        sum_eg[gi] = x * gs[gi];
    }
    for (size_t base = s; base < n; base += s)
        for (unsigned gi = 0; gi < s; gi++) {
            double x = e[base + gi] - eoff[base + gi];
            e[base + gi] = x;
            sum_eg[gi] += x * gs[base + gi];
        }
    for (unsigned gi = 0; gi < s; gi++)
        v[gi] = (sum_eg[gi] - (ia + p->drain_g[gi] * p->vg[gi])) * p->inv_sumgs[gi];
    /* eta's tangent at each cell's predicted current: an offset and a resistance in series,
     * with x = i / 2 I0, root = sqrt(1 + x^2):
     *     rct = K / (2 I0 root),   eoff = K asinh(x) - rct i,   gs = g / (1 + g rct)
     * and asinh(x) = ln(|x| + root) = k ln 2 + 2 atanh(f / (2 + f)) after the reduction. The
     * three quotients share one reciprocal, 1 / (a b c) with a = root, b = root + g K / 2 I0
     * (so that gs = g a / b) and c = 2 + f. Three loops (the square root; the reduction and the
     * reciprocal; the series), each a short dependency chain, so that the vectorised
     * iterations overlap instead of waiting on one long chain's latency. */
    double *restrict xs = p->ct_x, *restrict roots = p->ct_root, *restrict ip = p->ct_ipred;
    double *restrict ss = p->ct_s, *restrict ks = p->ct_k;
    const double *restrict ctkc = p->ctkc, *restrict ctq = p->ctq;
    /* The predicted current, x and the root: four groups at a time (the vector of v[g0..g0+3]
     * loaded once) down all rows, so the loop's start and end are paid per four groups, not per
     * row; a row that is not a whole number of fours ends with an overlapping block (g0 = s - 4)
     * that recomputes a few slots from the same operands, so the same bits. Rows of fewer
     * than four slots (1s and 2s packs) take the plain row loop. */
    if (s >= 4) {
        for (unsigned g0 = 0;; g0 += 4) {
            if (g0 > s - 4)
                g0 = s - 4;
            const double vv[4] = { v[g0], v[g0 + 1], v[g0 + 2], v[g0 + 3] };
            /* kept a loop of 4 so that gcc vectorises it (unrolled first, it stays scalar) */
            for (size_t base = g0; base < n; base += s)
#pragma GCC unroll 1
                for (unsigned j = 0; j < 4; j++)
                    predict_slot(base + j, vv[j], e, gs, cti, ip, xs, roots);
            if (g0 == s - 4)
                break;
        }
    } else {
        for (size_t base = 0; base < n; base += s)
            for (unsigned gi = 0; gi < s; gi++)
                predict_slot(base + gi, v[gi], e, gs, cti, ip, xs, roots);
    }
    for (size_t c = 0; c < n; c++) {
        double x = xs[c], a = roots[c];
        double kd, f = fast_ln_reduce(fabs(x) + a, &kd);
        double b = a + ctq[c], cc = 2.0 + f, ab = a * b;
        double inv = 1.0 / (ab * cc), sign = copysign(1.0, x);  /* asinh is odd */
        ss[c] = sign * (f * ab * inv);                         /* f / (2 + f) */
        ks[c] = sign * kd;
        rct[c] = ctkc[c] * (b * cc * inv);                    /* d eta / d i at ipred */
        gs[c] = g[c] * a * (a * cc * inv);
    }
    /* the series, and the split again with the new tangent */
    unsigned g0 = 0;
    for (; g0 + 4 <= s; g0 += 4)
        settle_block(p, s, n, g0, 4, ia);
    if (g0 < s)
        settle_block(p, s, n, g0, 2, ia);
}

/* The per-cell update: flat, branch-free arithmetic over contiguous arrays (vectorised; an
 * AVX2 clone is picked at load time where the CPU has it). fp-contract is off for this file
 * (sim/CMakeLists.txt) so every clone rounds identically: traces stay byte-identical. The same
 * pass carries each cell's OCV along its linear segment and leaves its source E for the next
 * step in e (what sources() computes), so the state is read once per step. The heat and the
 * terminal energy share the resistive work u: with w = (R0 i + eta) dt and the RC integrals,
 *     heat = i u - C1/2 (v1'^2 - v1^2) - C2/2 (v2'^2 - v2^2) + i_leak OCV dt,
 *     energy out = i (OCV_mid dt - u),   u = w + integral(v1) + integral(v2)
 * (section 1 of docs/model.md), and integral(v_k) = R_k (dt - t_k) i + t_k v_k with
 * t_k = tau_k (1 - a_k), the coefficients of the step's dt folded in at refresh. */
__attribute__((always_inline))
static inline void update_cells(struct pack *p, unsigned n, double dt, double ta, const bool ct)
{
    assume_whole_vectors(n);
    double *restrict soc = p->soc, *restrict ocv = p->ocv, *restrict v1 = p->v1, *restrict v2 = p->v2;
    double *restrict temp = p->temp, *restrict icell = p->icell;
    double *restrict hacc = p->heat_acc, *restrict eacc = p->eout_acc;
    double *restrict e = p->e;
    const double *restrict vc = p->vc, *restrict g = p->gs;
    const double *restrict eoff = p->eoff, *restrict rct = p->rct;
    const double *restrict slope = p->slope, *restrict hslope = p->hslope;
    const double *restrict leakg = p->leakg;
    const double *restrict a1 = p->a1, *restrict a2 = p->a2, *restrict b1 = p->b1, *restrict b2 = p->b2;
    const double *restrict k1 = p->k1, *restrict k2 = p->k2, *restrict t1 = p->t1, *restrict t2 = p->t2;
    const double *restrict r0dt = p->r0dt, *restrict c1h = p->c1h, *restrict c2h = p->c2h;
    const double *restrict dsocc = p->dsoc;
    const double effc = p->effc, cinv = p->cinv, hdt = p->hdt;   /* the same for every cell */
    for (unsigned c = 0; c < n; c++) {
        double i = (e[c] - vc[c]) * g[c];
        double eta = ct ? eoff[c] + rct[c] * i : 0.0;       /* charge transfer */
        double ocv_s = ocv[c];
        double ileak = leakg[c] * ocv_s;
        double iin = i + ileak;
        double ipos = iin > 0.0 ? iin : 0.0;          /* charge is stored at effc */
        double ichg = ipos + effc * (iin - ipos);
        double v1o = v1[c], v2o = v2[c];
        double v1n = a1[c] * v1o + b1[c] * i;
        double v2n = a2[c] * v2o + b2[c] * i;
        double iv1 = k1[c] * i + t1[c] * v1o;                /* integral of v1 over the step */
        double iv2 = k2[c] * i + t2[c] * v2o;
        double dsoc = ichg * dsocc[c];
        double u = (ct ? r0dt[c] * i + eta * dt : r0dt[c] * i) + (iv1 + iv2);
        double heat = i * u - c1h[c] * ((v1n - v1o) * (v1n + v1o)) -
                      c2h[c] * ((v2n - v2o) * (v2n + v2o)) + ileak * ocv_s * dt;
        eacc[c] += i * ((ocv_s - hslope[c] * dsoc) * dt - u);
        hacc[c] += heat;
        double ocv_e = ocv_s - slope[c] * dsoc;
        soc[c] -= dsoc;
        ocv[c] = ocv_e;
        v1[c] = v1n;
        v2[c] = v2n;
        temp[c] += heat * cinv - hdt * (temp[c] - ta);
        icell[c] = i;
        e[c] = ocv_e - a1[c] * v1n - a2[c] * v2n;
    }
}

/* The update for sets without a charge-transfer term (eta = 0: its tangent is neither read nor
 * added) and for sets with one. */
__attribute__((target_clones("avx2", "default")))
static void step_cells(struct pack *p, unsigned n, double dt, double ta)
{
    update_cells(p, n, dt, ta, false);
}

__attribute__((target_clones("avx2", "default")))
static void step_cells_ct(struct pack *p, unsigned n, double dt, double ta)
{
    update_cells(p, n, dt, ta, true);
}

void pack_step(struct pack *p, double dt, double load_current_a)
{
    if (!(dt > 0.0))
        return;
    if (p->dirty || dt != p->coeff_dt || p->since_refresh_s >= p->cfg.param_refresh_s)
        pack_refresh(p, dt);
    /* the loops run over whole padded rows: row slots per row, nslot in all */
    const unsigned s = p->row, n = p->nslot, par = p->pp;
    const double ia = p->string_open ? 0.0 : load_current_a;
    const double ta = p->ambient_c;

    if (!p->e_valid)
        sources(p, n);
    if (p->has_ct) {
        solve_groups_ct(p, s, par, ia);
        step_cells_ct(p, n, dt, ta);
    } else {
        solve_groups(p, s, par, ia);
        step_cells(p, n, dt, ta);
    }
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
            unsigned c = slot_at(p, k, gi);
            double e = p->ocv[c] - p->a1[c] * p->v1[c] - p->a2[c] * p->v2[c] - p->eoff[c];
            sum_eg += e * p->gs[c];
        }
        a += (sum_eg - p->drain_g[gi] * p->vg[gi]) * p->inv_sumgs[gi];
        b += p->inv_sumgs[gi] + p->cfg.interconnect_ohm;
    }
    return b > 0.0 ? (a - v_target) / b : 0.0;
}
