/* bench_mpsse.h: `bmsrig bench mpsse`, the hardware path benchmark (USB writes and bytes per
 * tick, tick time, highest tick rate without overrun). */
#ifndef BMSRIG_RIG_BENCH_MPSSE_H
#define BMSRIG_RIG_BENCH_MPSSE_H

/* argv[0] = "mpsse", options after it (see cmd_bench's usage). Returns a cli_exit code. */
int bench_mpsse_run(int argc, char **argv);

#endif
