/* cmd_bench.c: `bmsrig bench WHAT`: the benchmarks, machine-readable (one JSON object). */
#include <stdio.h>
#include <string.h>

#include "rig/bench_mpsse.h"
#include "rig/cli.h"

struct bench_entry {
    const char *name;
    int (*run)(int argc, char **argv);
};

/* One line per benchmark (other issues append theirs: sim, bms). */
static const struct bench_entry benches[] = {
    { "mpsse", bench_mpsse_run },
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
    .summary = "benchmarks: bench mpsse (hardware path writes, bytes, tick rate)",
    .usage = "usage: bmsrig bench mpsse [--rig FILE] [--ticks N] [--rate HZ] [--seconds S]\n"
             "\n"
             "mpsse: drives every channel of the bench (default hw/boards/emulated.lua) with a\n"
             "new value each tick and toggles its fault lines, then prints one JSON line:\n"
             "USB writes per tick, bytes per tick (average, max), tick time p50/p99 over\n"
             "--ticks back-to-back ticks (default 2000), and paced runs of --seconds (default\n"
             "0.25) at 100 Hz .. 50 kHz with absolute deadlines, stopping at the first rate\n"
             "with an overrun: max_rate_hz_without_overrun is the last clean one.\n"
             "With --rate HZ only one paced run at that rate is made (for --seconds).\n"
             "\n"
             "On the emulated board run it with the emulator in front of libusb:\n"
             "  LD_LIBRARY_PATH=build/hw/emu bmsrig bench mpsse\n"
             "\n"
             "exit: 0 done, 2 bad option or description, 3 rig fault (device missing,\n"
             "bench locked, USB error), 4 interrupted (the bench is put in its safe state)\n",
    .run = run_bench,
};
