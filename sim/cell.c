/* cell.c: step coefficients of the 2-RC cell and the scalar reference cell. */
#include "sim/cell.h"

#include <math.h>

#include "sim/fast_asinh.h"

void cell_coeffs_compute(const struct cell_params *cp, const struct cell_health *h, double soc,
                         double temp_c, double dt_s, struct cell_coeffs *out)
{
    struct cell_rc rc;
    double capf = h ? h->cap_factor : 1.0;
    double rf = h ? h->r_factor : 1.0;
    cell_params_rc(cp, soc, temp_c, &rc);
    out->soc_ref = soc;
    out->ocv0_v = cell_params_ocv(cp, soc);
    out->ocv_slope = cell_params_ocv_slope(cp, soc);
    out->r0_ohm = rc.r0_ohm * rf;
    out->r1_ohm = rc.r1_ohm * rf;
    out->r2_ohm = rc.r2_ohm * rf;
    out->tau1_s = rc.tau1_s;
    out->tau2_s = rc.tau2_s;
    out->a1 = exp(-dt_s / rc.tau1_s);
    out->a2 = exp(-dt_s / rc.tau2_s);
    out->b1 = out->r1_ohm * (1.0 - out->a1);
    out->b2 = out->r2_ohm * (1.0 - out->a2);
    out->c1_f = out->r1_ohm > 0.0 ? rc.tau1_s / out->r1_ohm : 0.0;
    out->c2_f = out->r2_ohm > 0.0 ? rc.tau2_s / out->r2_ohm : 0.0;
    out->dsoc_per_c = 1.0 / (3600.0 * cp->rated_ah * capf);
    out->z_ohm = out->r0_ohm + out->b1 + out->b2 + out->ocv_slope * dt_s * out->dsoc_per_c;
    double i0 = cell_params_ct_i0(cp, soc, temp_c);
    out->ct_k_v = cell_params_ct_k_v(temp_c);
    /* An aged cell's exchange current falls as its resistances rise [I]. */
    out->ct_inv2i0 = isfinite(i0) ? rf / (2.0 * i0) : 0.0;
}

double cell_ct_eta(const struct cell_coeffs *k, double i_a)
{
    return k->ct_k_v * fast_asinh(i_a * k->ct_inv2i0);
}

void cell_init(struct cell *c, double soc, double temp_c)
{
    c->soc = soc;
    c->v1_v = 0.0;
    c->v2_v = 0.0;
    c->temp_c = temp_c;
    c->heat_j = 0.0;
    c->energy_out_j = 0.0;
}

/* Heat dissipated in one RC branch over a ZOH step: the current's work on the branch minus
 * what went into the capacitor. Integral of v over the step: v_inf dt + (v - v_inf) tau (1-a). */
static double rc_heat(double v0, double v1, double r, double tau, double a, double c, double i,
                      double dt)
{
    double vinf = r * i;
    double integral = vinf * dt + (v0 - vinf) * tau * (1.0 - a);
    return i * integral - 0.5 * c * (v1 * v1 - v0 * v0);
}

double cell_step(struct cell *c, const struct cell_coeffs *k, double dt_s, double i_a, double eff)
{
    double ocv_start = k->ocv0_v + k->ocv_slope * (c->soc - k->soc_ref);
    double v1n = k->a1 * c->v1_v + k->b1 * i_a;
    double v2n = k->a2 * c->v2_v + k->b2 * i_a;
    double int_v1 = k->r1_ohm * i_a * dt_s + (c->v1_v - k->r1_ohm * i_a) * k->tau1_s * (1.0 - k->a1);
    double int_v2 = k->r2_ohm * i_a * dt_s + (c->v2_v - k->r2_ohm * i_a) * k->tau2_s * (1.0 - k->a2);
    double eta = cell_ct_eta(k, i_a);
    double heat = i_a * i_a * k->r0_ohm * dt_s + i_a * eta * dt_s
                  + rc_heat(c->v1_v, v1n, k->r1_ohm, k->tau1_s, k->a1, k->c1_f, i_a, dt_s)
                  + rc_heat(c->v2_v, v2n, k->r2_ohm, k->tau2_s, k->a2, k->c2_f, i_a, dt_s);
    c->soc -= i_a * eff * dt_s * k->dsoc_per_c;
    double ocv_end = k->ocv0_v + k->ocv_slope * (c->soc - k->soc_ref);
    double int_v = 0.5 * (ocv_start + ocv_end) * dt_s - (k->r0_ohm * i_a + eta) * dt_s - int_v1 -
                   int_v2;
    c->energy_out_j += i_a * int_v;
    c->heat_j += heat;
    c->v1_v = v1n;
    c->v2_v = v2n;
    return ocv_end - k->r0_ohm * i_a - eta - v1n - v2n;
}

double cell_terminal_v(const struct cell *c, const struct cell_coeffs *k, double i_a)
{
    double ocv = k->ocv0_v + k->ocv_slope * (c->soc - k->soc_ref);
    return ocv - k->r0_ohm * i_a - cell_ct_eta(k, i_a) - c->v1_v - c->v2_v;
}
