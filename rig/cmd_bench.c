/* cmd_bench.c: `bmsrig bench TARGET`: the benchmarks, machine-readable (JSON) output. */
#include <stdio.h>
#include <string.h>

#include "rig/bench.h"
#include "rig/bench_bms.h"
#include "rig/cli.h"

/* One line per benchmark target; other targets (bms, mpsse) append here. */
static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
} targets[] = {
    { "sim", bench_sim_run },
    { "bms", bench_bms_run },
};

static int run(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error(&cmd_bench, "which benchmark? (sim, bms)");
    for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++)
        if (strcmp(argv[1], targets[i].name) == 0)
            return targets[i].run(argc - 1, argv + 1);
    return cli_usage_error(&cmd_bench, "no benchmark '%s'", argv[1]);
}

const struct cli_command cmd_bench = {
    .name = "bench",
    .summary = "benchmarks with JSON output (sim, bms)",
    .usage =
        "usage: bmsrig bench TARGET [OPTIONS]\n"
        "\n"
        "Runs a benchmark and prints JSON on stdout.\n"
        "\n"
        "targets:\n"
        "  sim [--cell NAME] [--pack SxPp] [--seconds S] [--no-callgrind]\n"
        "      pack model throughput on one core (thread CPU clock) at a 1 ms step: cell-steps\n"
        "      per second, ns per cell-step, real-time factor, for 10s3p and 16s8p (or --pack);\n"
        "      instructions per cell-step from valgrind's callgrind when it is installed.\n"
        "      --seconds S sets the minimum measured CPU time per pack (default 1).\n"
        "  bms [--polls N] [--profile NAME]\n"
        "      poll-to-reply latency of the fake BMS over a pty, measured from a separate\n"
        "      process: N polls (default 10000) of 12 bytes at word 0x30, one at a time, the\n"
        "      reply-latency model off; p50/p99/max in us from just before the request's\n"
        "      write() to the reply's last byte read. Goal p99 <= 100 us. Exit 1 if a poll\n"
        "      went unanswered (200 ms).\n",
    .run = run,
};
