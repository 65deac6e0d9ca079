/* bench_bms.h: `bmsrig bench bms`, the fake BMS poll-to-reply latency benchmark. */
#ifndef BMSRIG_RIG_BENCH_BMS_H
#define BMSRIG_RIG_BENCH_BMS_H

/* Runs the benchmark with argv[0] = "bms"; prints one JSON object on stdout; returns a
 * cli_exit code (1 if any poll went unanswered). */
int bench_bms_run(int argc, char **argv);

#endif
