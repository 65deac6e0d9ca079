/* cmd_bench.c: `bmsrig bench WHAT`: the benchmarks, machine-readable (one JSON object). */
#include <stdio.h>
#include <string.h>

#include "rig/bench_bms.h"
#include "rig/cli.h"

struct bench_entry {
    const char *name;
    int (*run)(int argc, char **argv);
};

/* One line per benchmark (other issues append theirs: sim, mpsse). */
static const struct bench_entry benches[] = {
    { "bms", bench_bms_run },
};

static int run_bench(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error(&cmd_bench, "name a benchmark");
    for (size_t i = 0; i < sizeof(benches) / sizeof(benches[0]); i++)
        if (strcmp(argv[1], benches[i].name) == 0)
            return benches[i].run(argc - 1, argv + 1);
    return cli_usage_error(&cmd_bench, "unknown or unavailable benchmark '%s'", argv[1]);
}

const struct cli_command cmd_bench = {
    .name = "bench",
    .summary = "benchmarks with machine-readable (JSON) output",
    .usage =
        "usage: bmsrig bench bms [--polls N] [--profile NAME]\n"
        "\n"
        "bms   poll-to-reply latency of the fake BMS over a pty, measured from a separate\n"
        "      process: N polls (default 10000) of 12 bytes at word 0x30, one at a time, the\n"
        "      reply-latency model off. Prints {\"p50_us\", \"p99_us\", \"max_us\", ...} measured\n"
        "      from just before the request's write() to the reply's last byte read.\n"
        "      The goal is p99 <= 100 us. Exit 1 if any poll went unanswered (200 ms).\n",
    .run = run_bench,
};
