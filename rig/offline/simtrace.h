/* simtrace.h: the signals CSV that `bmsrig sim` (and scenario traces) write from a pack:
 *     t_s,pack_v,pack_i_a,g<k>_v...,g<k>_sense_v...,c<k>_soc...,c<k>_temp_c...,
 *     ntc<k>_c,ntc<k>_adc...
 * one header line then one row per sample; fixed decimal formats so that the same inputs give
 * byte-identical files. Group/cell indices as in sim/pack.h. */
#ifndef BMSRIG_RIG_SIMTRACE_H
#define BMSRIG_RIG_SIMTRACE_H

#include <stdio.h>

#include "sim/pack.h"

void simtrace_header(FILE *out, const struct pack *p);
void simtrace_row(FILE *out, const struct pack *p);

#endif
