/* cmd_bench.c: `bmsrig bench TARGET`: the benchmarks, machine-readable (JSON) output. */
#include <stdio.h>
#include <string.h>

#include "rig/cli/bench.h"
#include "rig/cli/bench_bms.h"
#include "rig/cli/bench_engine.h"
#include "rig/cli/bench_firmware.h"
#include "rig/cli/bench_mpsse.h"
#include "rig/cli/cli.h"
#include "rig/cli/cli_rt.h"

/* One line per benchmark target; other targets (mpsse) append here. */
static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
} targets[] = {
    { "sim", bench_sim_run },
    { "bms", bench_bms_run },
    { "mpsse", bench_mpsse_run },
    { "engine", bench_engine_run },
    { "firmware", bench_firmware_run },
};

static int run(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error(&cmd_bench, "which benchmark? (sim, bms, mpsse, engine, firmware)");
    for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++)
        if (strcmp(argv[1], targets[i].name) == 0)
            return targets[i].run(argc - 1, argv + 1);
    return cli_usage_error(&cmd_bench, "no benchmark '%s'", argv[1]);
}

const struct cli_command cmd_bench = {
    .name = "bench",
    .summary = "benchmarks with JSON output (sim, bms, mpsse, engine, firmware)",
    .usage =
        "usage: bmsrig bench TARGET [OPTIONS]\n"
        "\n"
        "Runs a benchmark and prints JSON on stdout.\n"
        "\n"
        "targets:\n"
        "  sim [--cell NAME] [--pack SxPp] [--seconds S] [--no-callgrind]\n"
        "      pack model throughput on one core (thread CPU clock) at a 1 ms step: cell-steps\n"
        "      per second, ns per cell-step, real-time factor, for 10s3p and 16s8p (or --pack);\n"
        "      instructions per cell-step from valgrind's callgrind when it is installed;\n"
        "      beside them, in the same run on the same clock, a plain reference kernel\n"
        "      (speedup_vs_reference) and the path's floor: its FLOPs, bytes, divisions and\n"
        "      square roots per cell-step at this machine's measured FMA-free peak rates\n"
        "      (peak, path, floor_ratio), and the host's load average before and after.\n"
        "      --seconds S sets the minimum measured CPU time per pack (default 1).\n"
        "      (--inner-steps N is internal: the callgrind child runs N steps and exits.)\n"
        "  bms [--polls N] [--profile NAME] [--latency MODEL] [--rt...]\n"
        "      poll-to-reply latency of the fake BMS over a pty, measured from a separate\n"
        "      process: N polls of 12 bytes at word 0x30, one at a time; p50/p99/p99.9/max/\n"
        "      mean/min in us from just before the request's write() to the reply's last byte\n"
        "      read, beside the host's load average. --latency off (default; N 10000, goal\n"
        "      p99 <= 100 us), recorded or fixed:US: the reply-latency model on (N 1000), with\n"
        "      the model's own distribution (model_*, 100000 draws) and what the line adds per\n"
        "      percentile (added_*). Exit 1 if a poll went unanswered (200 ms).\n"
        "  mpsse [--rig FILE|NAME] [--ticks N] [--rate HZ] [--seconds S] [--rt...]\n"
        "      the hardware path: drives every channel of the bench (default the board\n"
        "      'emulated') with a new value each tick and toggles its fault lines;\n"
        "      USB writes per tick, bytes per tick (average, max), tick time over\n"
        "      --ticks back-to-back ticks (default 2000), then paced runs of --seconds\n"
        "      (default 0.25) at 100 Hz .. 50 kHz with absolute deadlines, stopping at the\n"
        "      first rate with an overrun: max_rate_hz_without_overrun is the last clean one.\n"
        "      Tick time and each paced run's wake-up lateness after the deadline as\n"
        "      p50/p99/p99.9/max/mean/min, the load average beside them.\n"
        "      With --rate HZ only one paced run at that rate (0 < HZ <= 1e6, and at least\n"
        "      one tick in --seconds: HZ * S >= 1; 0 < S <= 86400). On the emulated board:\n"
        "        LD_LIBRARY_PATH=build/hw/emu bmsrig bench mpsse\n"
        "      Exit 2 bad option or description, 3 rig fault (device missing, bench locked,\n"
        "      USB error), 4 interrupted (the bench is put in its safe state).\n\n"
        "  engine [--repeat N] [FILE...]\n"
        "      the scenario engine in virtual time on the virtual controller, in-process on\n"
        "      the thread CPU clock: scenario seconds per CPU second (realtime_factor, goal\n"
        "      2000 at the 1 ms tick) and CPU us per tick, the fastest of N runs (default 3)\n"
        "      of each FILE (default: scripts/pack/aged_group_short_range.lua and one each of\n"
        "      scripts/controller, comm, thermal; run from the source tree). Exit 1 if a\n"
        "      scenario did not pass.\n"
        "\n"
        "  firmware [IMAGE] [--seconds S] [--firmware-cpu unicorn|interp]\n"
        "      the emulated STM32F103 running IMAGE (default our image, build/hw/esc-fw/\n"
        "      bmsrig-esc.bin) with the dashboard model on USART1 and a silent BMS line for S\n"
        "      virtual seconds (default 10): virtual seconds per CPU and per wall second\n"
        "      (realtime_factor_*), instructions per CPU second, the share of time skipped\n"
        "      idle, exceptions, the first BMS byte's time; \"cpu\" names the emulated CPU\n"
        "      (--firmware-cpu; default interp). Exit 1 if the image faulted.\n\n"
        "real time (bms, mpsse; the JSON's \"rt\" says what the host granted):\n"
        CLI_RT_USAGE,
    .run = run,
};
