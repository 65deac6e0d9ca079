/* cellparams.h: one cell chemistry as data: the parameter set of a 2-RC Thevenin cell, parsed
 * from a caller-supplied text buffer (pure: no file I/O here; rig/offline/cellfile.h opens the files).
 *
 * Text format (docs/model.md "Cell parameter files"): one item per line, '#' starts a comment
 * line, blank lines are ignored. Every line that carries numbers ends with a grade and a note:
 *
 *     KEY VALUE... [G] provenance text
 *
 * where G is S (sourced), D (derived by a documented fit) or I (inferred). Scalar keys:
 *     name, rated_ah, min_ah, v_charge, v_cutoff, v_nominal, coulomb_eff, mass_kg,
 *     heat_capacity_j_per_k, self_discharge_ohm, ea_j_per_mol, t_ref_c
 * Table rows (one row per line, SOC axis strictly increasing, inside 0..1):
 *     ocv SOC VOLTS                         open-circuit voltage at rest, strictly increasing
 *     rc  SOC R0_OHM R1_OHM TAU1_S R2_OHM TAU2_S   resistances at t_ref_c; R(T) Arrhenius
 *     ct  SOC I0_A                          optional: exchange current of the charge-transfer
 *                                           (Butler-Volmer) overpotential at t_ref_c, see below
 * A malformed or unphysical set (missing key, negative resistance, non-monotonic OCV, SOC
 * outside 0..1, ungraded number ...) is refused with "<source>:<line>: <reason>". */
#ifndef BMSRIG_SIM_CELLPARAMS_H
#define BMSRIG_SIM_CELLPARAMS_H

#include <stddef.h>

#define CELLPARAMS_TABLE_MAX 128     /* rows per table */
#define CELLPARAMS_NAME_MAX 32

/* Gas constant for the Arrhenius scaling [S]. */
#define CELLPARAMS_R_GAS 8.314462618
/* Faraday constant [S]. */
#define CELLPARAMS_FARADAY 96485.33212
/* Exchange currents a `ct` row may give [I] (an 18650's is of order 0.01..10 A). Far below
 * that the overpotential saturates at the asinh clamp (sim/fast_asinh.h) and the pack's tangent
 * overflows into NaN (1e-300 A did). */
#define CELLPARAMS_CT_I0_MIN_A 1e-6
#define CELLPARAMS_CT_I0_MAX_A 1e6

/* A complete, validated parameter set. Plain data: copy it freely. */
struct cell_params {
    char name[CELLPARAMS_NAME_MAX];
    double rated_ah;              /* nominal capacity, Ah (the SOC denominator) */
    double min_ah;                /* datasheet minimum capacity, Ah */
    double v_charge;              /* CV charge voltage, V */
    double v_cutoff;              /* discharge cut-off, V */
    double v_nominal;             /* nominal voltage, V (informational) */
    double coulomb_eff;           /* charge stored / charge put in, 0 < eff <= 1 */
    double mass_kg;
    double heat_capacity_j_per_k; /* lumped thermal mass of one cell */
    double self_discharge_ohm;    /* equivalent parallel leakage of a healthy cell */
    double ea_j_per_mol;          /* Arrhenius activation energy for R0, R1, R2 */
    double t_ref_c;               /* temperature the rc table is given at */

    size_t n_ocv;
    double ocv_soc[CELLPARAMS_TABLE_MAX];
    double ocv_v[CELLPARAMS_TABLE_MAX];

    size_t n_rc;
    double rc_soc[CELLPARAMS_TABLE_MAX];
    double r0_ohm[CELLPARAMS_TABLE_MAX];
    double r1_ohm[CELLPARAMS_TABLE_MAX];
    double tau1_s[CELLPARAMS_TABLE_MAX];
    double r2_ohm[CELLPARAMS_TABLE_MAX];
    double tau2_s[CELLPARAMS_TABLE_MAX];

    size_t n_ct;                  /* 0: no charge-transfer term (the plain 2-RC cell) */
    double ct_soc[CELLPARAMS_TABLE_MAX];
    double ct_i0_a[CELLPARAMS_TABLE_MAX];
};

/* Parses and validates `len` bytes of `text` (need not be NUL-terminated) into `out`.
 * `source` names the text in messages (normally the file path). On failure returns
 * BMSRIG_ERR_PARSE (syntax) or BMSRIG_ERR_RANGE (unphysical value) and writes
 * "<source>:<line>: <reason>" into err (NUL-terminated, truncated to errlen). */
int cell_params_parse(const char *text, size_t len, const char *source, struct cell_params *out,
                      char *err, size_t errlen);

/* Re-checks an already filled set (e.g. built by a test); same messages with line 0. */
int cell_params_validate(const struct cell_params *cp, const char *source, char *err,
                         size_t errlen);

/* Rest OCV at `soc` (linear interpolation; the end segments extend beyond the table). */
double cell_params_ocv(const struct cell_params *cp, double soc);

/* dOCV/dSOC of the segment holding `soc` (V per unit SOC; end segments outside the table). */
double cell_params_ocv_slope(const struct cell_params *cp, double soc);

/* The SOC whose rest OCV is `v` (inverse of cell_params_ocv; clamped to the table). */
double cell_params_soc_for_ocv(const struct cell_params *cp, double v);

/* Stored chemical energy between soc_lo and soc_hi: rated_ah * 3600 * integral of OCV dSOC,
 * in joules (exact for the piecewise-linear table). */
double cell_params_energy_j(const struct cell_params *cp, double soc_lo, double soc_hi);

/* RC parameters at (soc, temp_c), Arrhenius-scaled: R(T) = R(Tref) exp(Ea/R (1/T - 1/Tref)).
 * Time constants keep their table values (C = tau / R). */
struct cell_rc {
    double r0_ohm, r1_ohm, tau1_s, r2_ohm, tau2_s;
};
void cell_params_rc(const struct cell_params *cp, double soc, double temp_c, struct cell_rc *out);

/* Charge-transfer overpotential in series with R0 (symmetric Butler-Volmer, transfer
 * coefficient 0.5 [I]):   eta(i) = K(T) asinh(i / (2 I0(soc, T))),   K(T) = 2 R T / F
 * (51.4 mV at 25 C [S]). It is odd in i (a drop on discharge, a rise on charge), close to a
 * resistance K / (2 I0) for |i| << I0 and logarithmic in |i| above it. I0 is interpolated from
 * the ct rows (clamped at the ends) and Arrhenius-scaled with the set's ea_j_per_mol (I0 rises
 * as R falls). Returns INFINITY when the set has no ct rows (eta = 0). */
double cell_params_ct_i0(const struct cell_params *cp, double soc, double temp_c);
double cell_params_ct_k_v(double temp_c);

#endif
