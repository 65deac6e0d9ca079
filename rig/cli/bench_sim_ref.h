/* bench_sim_ref.h: the reference kernel `bmsrig bench sim` measures beside the pack model: the
 * same cell model and group split written the straightforward way (one struct per cell, one
 * loop per cell and group, libm's asinh and sqrt, divisions as the formulas read; coefficients
 * from sim/cell.h's shared computation on the pack's refresh period), so that the pack's speed
 * is also stated as a ratio measured in the same run on the same clock, which drifts far less
 * with the host's load than the absolute figure. Not used for anything but this figure. */
#ifndef BMSRIG_RIG_BENCH_SIM_REF_H
#define BMSRIG_RIG_BENCH_SIM_REF_H

#include "sim/pack.h"

struct sim_ref;

/* The reference for `cfg` (its cell set, series, parallel, soc0, temp0_c, refresh period,
 * thermal constants); NULL on bad input or no memory. */
struct sim_ref *sim_ref_new(const struct pack_config *cfg);
void sim_ref_free(struct sim_ref *r);

/* One step of dt at pack current `load_a` (+ = discharge). */
void sim_ref_step(struct sim_ref *r, double dt, double load_a);

/* Terminal voltage of the series string after the last step (keeps the work observable). */
double sim_ref_terminal_v(const struct sim_ref *r);

#endif
