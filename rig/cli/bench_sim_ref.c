/* bench_sim_ref.c: the straightforward reference kernel of `bmsrig bench sim`. */
#include "rig/cli/bench_sim_ref.h"

#include <math.h>
#include <stdlib.h>

#include "sim/cell.h"

struct ref_cell {
    struct cell st;
    struct cell_coeffs k;
    double rct, eoff;      /* the charge-transfer tangent of the last step */
    double e, gs;          /* this step's source and conductance */
};

struct sim_ref {
    struct pack_config cfg;
    unsigned s, par;
    double since_refresh_s, coeff_dt, v_string;
    struct ref_cell *cells;   /* [group][k] */
};

struct sim_ref *sim_ref_new(const struct pack_config *cfg)
{
    if (pack_config_check(cfg, NULL, 0) != 0)
        return NULL;
    struct sim_ref *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->cfg = *cfg;
    r->s = cfg->series;
    r->par = cfg->parallel;
    r->cells = calloc((size_t)r->s * r->par, sizeof(*r->cells));
    if (!r->cells) {
        free(r);
        return NULL;
    }
    for (unsigned c = 0; c < r->s * r->par; c++)
        cell_init(&r->cells[c].st, cfg->soc0, cfg->temp0_c);
    r->coeff_dt = -1;
    return r;
}

void sim_ref_free(struct sim_ref *r)
{
    if (r)
        free(r->cells);
    free(r);
}

/* The group's common voltage for sources e and conductances gs carrying `load_a`. */
static double group_voltage(const struct ref_cell *g, unsigned par, double load_a)
{
    double sum_eg = 0.0, sum_g = 0.0;
    for (unsigned k = 0; k < par; k++) {
        sum_eg += g[k].e * g[k].gs;
        sum_g += g[k].gs;
    }
    return (sum_eg - load_a) / sum_g;
}

void sim_ref_step(struct sim_ref *r, double dt, double load_a)
{
    const struct cell_params *cp = &r->cfg.cell;
    if (dt != r->coeff_dt || r->since_refresh_s >= r->cfg.param_refresh_s) {
        for (unsigned c = 0; c < r->s * r->par; c++)
            cell_coeffs_compute(cp, NULL, r->cells[c].st.soc, r->cells[c].st.temp_c, dt,
                                &r->cells[c].k);
        r->coeff_dt = dt;
        r->since_refresh_s = 0.0;
    }
    double v_string = 0.0;
    for (unsigned gi = 0; gi < r->s; gi++) {
        struct ref_cell *g = &r->cells[gi * r->par];
        /* predict with the last step's tangent of eta */
        for (unsigned k = 0; k < r->par; k++) {
            struct ref_cell *c = &g[k];
            double ocv = c->k.ocv0_v + c->k.ocv_slope * (c->st.soc - c->k.soc_ref);
            c->e = ocv - c->k.a1 * c->st.v1_v - c->k.a2 * c->st.v2_v - c->eoff;
            c->gs = 1.0 / (c->k.z_ohm + c->rct);
        }
        double v = group_voltage(g, r->par, load_a);
        /* eta's tangent at the predicted current, then the split again */
        if (cp->n_ct > 0) {
            for (unsigned k = 0; k < r->par; k++) {
                struct ref_cell *c = &g[k];
                double ipred = (c->e - v) * c->gs;
                double x = ipred * c->k.ct_inv2i0;
                double rct = c->k.ct_k_v * c->k.ct_inv2i0 / sqrt(x * x + 1.0);
                double eoff = c->k.ct_k_v * asinh(x) - rct * ipred;
                c->e += c->eoff - eoff;
                c->eoff = eoff;
                c->rct = rct;
                c->gs = 1.0 / (c->k.z_ohm + rct);
            }
            v = group_voltage(g, r->par, load_a);
        }
        /* each cell's step at its current (libm throughout) */
        for (unsigned k = 0; k < r->par; k++) {
            struct ref_cell *c = &g[k];
            double i = (c->e - v) * c->gs;
            double ocv = c->k.ocv0_v + c->k.ocv_slope * (c->st.soc - c->k.soc_ref);
            double i_in = i + ocv / cp->self_discharge_ohm;
            double eff = i_in < 0.0 ? cp->coulomb_eff : 1.0;
            double eta = c->eoff + c->rct * i;   /* the tangent, as the pack */
            double v1n = c->k.a1 * c->st.v1_v + c->k.b1 * i;
            double v2n = c->k.a2 * c->st.v2_v + c->k.b2 * i;
            double int_v1 = c->k.r1_ohm * i * dt +
                            (c->st.v1_v - c->k.r1_ohm * i) * c->k.tau1_s * (1.0 - c->k.a1);
            double int_v2 = c->k.r2_ohm * i * dt +
                            (c->st.v2_v - c->k.r2_ohm * i) * c->k.tau2_s * (1.0 - c->k.a2);
            double heat = i * i * c->k.r0_ohm * dt + i * eta * dt + i * int_v1 -
                          0.5 * c->k.c1_f * (v1n * v1n - c->st.v1_v * c->st.v1_v) + i * int_v2 -
                          0.5 * c->k.c2_f * (v2n * v2n - c->st.v2_v * c->st.v2_v) +
                          ocv * ocv / cp->self_discharge_ohm * dt;
            c->st.soc -= i_in * eff * dt * c->k.dsoc_per_c;
            double ocv_end = c->k.ocv0_v + c->k.ocv_slope * (c->st.soc - c->k.soc_ref);
            c->st.energy_out_j += i * (0.5 * (ocv + ocv_end) * dt -
                                       (c->k.r0_ohm * i + eta) * dt - int_v1 - int_v2);
            c->st.heat_j += heat;
            c->st.v1_v = v1n;
            c->st.v2_v = v2n;
            if (!r->cfg.isothermal)
                c->st.temp_c += heat / cp->heat_capacity_j_per_k -
                                dt * r->cfg.cell_to_ambient_w_per_k / cp->heat_capacity_j_per_k *
                                    (c->st.temp_c - r->cfg.temp0_c);
        }
        v_string += v;
    }
    r->v_string = v_string;
    r->since_refresh_s += dt;
}

double sim_ref_terminal_v(const struct sim_ref *r)
{
    return r->v_string;
}
