/* cell.h: the 2-RC Thevenin cell with exact exponential discretisation (zero-order-hold current).
 *
 *     V = OCV(soc) - R0 i - eta(i) - v1 - v2,   dv_k/dt = -v_k/tau_k + i/C_k,
 *     dsoc/dt = -i/(3600 Q),   eta(i) = K asinh(i / (2 I0))
 *
 * eta is the charge-transfer (Butler-Volmer) overpotential of sets with `ct` rows
 * (cellparams.h); it is algebraic like R0 (the double layer is taken as instantaneous [I]) and
 * zero for sets without them, which are then the plain 2-RC cell.
 * Over a step of dt with constant current i (+ = discharge):
 *     v_k' = a_k v_k + b_k i,   a_k = exp(-dt/tau_k),   b_k = R_k (1 - a_k)
 * which is exact for any dt (100 us .. 10 s and beyond), so large steps stay stable and right.
 * The OCV is treated as linear in SOC inside a step, so the end-of-step terminal voltage is
 *     V' = E - Z i,   E = OCV(soc) - a1 v1 - a2 v2,   Z = R0 + b1 + b2 + k dt/(3600 Q)
 * with k = dOCV/dSOC (minus eta(i) where the set has it): that is what the pack uses to split
 * a group's current exactly.
 *
 * This header holds the coefficient computation the pack shares, and a scalar reference cell
 * (struct cell) that tests and single-cell tools use; the pack's structure-of-arrays hot path
 * must agree with it. Pure: no I/O, no globals. */
#ifndef BMSRIG_SIM_CELL_H
#define BMSRIG_SIM_CELL_H

#include "sim/cellparams.h"

/* Per-cell modifiers that faults set (1.0 = healthy). */
struct cell_health {
    double cap_factor;     /* capacity multiplier (weak cell < 1) */
    double r_factor;       /* R0, R1, R2 multiplier (aged cell > 1) */
};

/* Step coefficients at one operating point, for one dt. Refreshed when dt, SOC or temperature
 * has moved (the pack does this on a schedule, not every step). */
struct cell_coeffs {
    double ocv0_v;         /* OCV at soc_ref */
    double ocv_slope;      /* dOCV/dSOC, V per unit SOC */
    double soc_ref;        /* the SOC the linearisation is taken at */
    double r0_ohm;
    double r1_ohm, r2_ohm;
    double a1, a2;         /* exp(-dt/tau) */
    double b1, b2;         /* R (1 - a) */
    double c1_f, c2_f;     /* capacitances, for stored-energy bookkeeping */
    double tau1_s, tau2_s;
    double dsoc_per_c;     /* 1 / (3600 Q_eff): SOC change per coulomb */
    double z_ohm;          /* step impedance R0 + b1 + b2 + ocv_slope dt dsoc_per_c */
    double ct_k_v;         /* K = 2RT/F of the charge-transfer term, V */
    double ct_inv2i0;      /* 1 / (2 I0), 1/A (0: no charge-transfer term); x r_factor */
};

/* The charge-transfer overpotential at current i (+ = discharge), V; 0 without ct rows. */
double cell_ct_eta(const struct cell_coeffs *k, double i_a);

void cell_coeffs_compute(const struct cell_params *cp, const struct cell_health *h, double soc,
                         double temp_c, double dt_s, struct cell_coeffs *out);

/* The scalar reference cell. */
struct cell {
    double soc;            /* 0..1 nominally; coulomb counting is not clamped */
    double v1_v, v2_v;     /* RC branch voltages, + when discharging */
    double temp_c;
    double heat_j;         /* cumulative Joule heat (R0 and RC branches) */
    double energy_out_j;   /* cumulative electrical energy delivered at the terminals */
};

/* Rested cell at `soc` and `temp_c`. */
void cell_init(struct cell *c, double soc, double temp_c);

/* Advances `c` by dt at constant current i (+ = discharge) with precomputed coefficients;
 * updates soc, v1, v2, heat and energy (temperature is the caller's business). Returns the
 * terminal voltage at the end of the step. Charge is stored with the set's coulombic
 * efficiency (applied by the caller through `eff` = coulomb_eff when i < 0, else 1). */
double cell_step(struct cell *c, const struct cell_coeffs *k, double dt_s, double i_a, double eff);

/* Terminal voltage now for a current i (instantaneous: OCV - R0 i - eta(i) - v1 - v2). */
double cell_terminal_v(const struct cell *c, const struct cell_coeffs *k, double i_a);

#endif
