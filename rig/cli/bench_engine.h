/* bench_engine.h: `bmsrig bench engine`: the scenario engine's speed in virtual time. */
#ifndef BMSRIG_RIG_BENCH_ENGINE_H
#define BMSRIG_RIG_BENCH_ENGINE_H

/* Runs the benchmark with argv[0] = "engine"; prints one JSON object on stdout; returns a
 * cli_exit code (2 for a file that does not load or check, 1 if a scenario did not pass). */
int bench_engine_run(int argc, char **argv);

#endif
