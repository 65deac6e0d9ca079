/* bench.h: the `bmsrig bench` targets. Each lives in rig/bench_<name>.c and is listed in the
 * table in rig/cli/cmd_bench.c; argv[0] is the target name. Output: JSON on stdout. */
#ifndef BMSRIG_RIG_BENCH_H
#define BMSRIG_RIG_BENCH_H

int bench_sim_run(int argc, char **argv);     /* pack model throughput (rig/cli/bench_sim.c) */

#endif
