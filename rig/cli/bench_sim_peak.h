/* bench_sim_peak.h: the machine's own peak rates that `bmsrig bench sim` states each pack
 * path's floor against, measured in the same run on the same clock (thread CPU time, one
 * core): FMA-free multiply and add throughput, L1-resident load/store traffic, and the
 * divider's division and square-root rates. Built with the pack's own options (vectorised,
 * fp-contract off, an AVX2 clone picked at load time where the CPU has it) so that they are
 * the rates the pack's code can reach. Not used for anything but these figures. */
#ifndef BMSRIG_RIG_BENCH_SIM_PEAK_H
#define BMSRIG_RIG_BENCH_SIM_PEAK_H

struct sim_peak {
    double flops_per_s;        /* separate multiplies and adds, many independent chains */
    double l1_bytes_per_s;     /* a[i] = b[i] + s c[i] over 3 x 4 KiB: 2 loads, 1 store */
    double divs_per_s;         /* independent double divisions */
    double sqrts_per_s;        /* independent double square roots */
};

/* Measures each rate for at least min_s of CPU time (the best of three tries). */
void sim_peak_measure(double min_s, struct sim_peak *out);

#endif
