/* bench_mpsse.c: `bmsrig bench mpsse`: the hardware path's figures, measured on a real run:
 * USB writes per tick, bytes per tick, tick time, and the highest tick rate that runs with
 * no overrun (absolute CLOCK_MONOTONIC deadlines), each with its tail (p50 .. max of the tick
 * time and of the wake-up lateness after each deadline) beside the host's load average.
 * Machine-readable JSON on stdout. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rig/cli/bench_mpsse.h"
#include "rig/bench/board.h"
#include "rig/cli/bench_tail.h"
#include "rig/cli/cli.h"
#include "rig/cli/cli_rt.h"
#include "rig/realtime/clock.h"
#include "rig/bench/rig_hw.h"
#include "sim/status.h"

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* One worst-case tick: every channel gets a new value (a slow ramp inside its limits), the
 * fault lines follow a pattern; then one flush. */
static int one_tick(struct rig_hw *hw, const struct board *b, uint64_t tick)
{
    for (int i = 0; i < b->nchannels; i++) {
        const struct board_channel *c = &b->channels[i];
        double frac = (double)((tick * 7 + (uint64_t)i * 131) % 1000) / 1000.0;
        rig_hw_set(hw, i, c->min + frac * (c->max - c->min));
    }
    for (int i = 0; i < b->nfaults; i++) {
        const struct board_fault *f = &b->faults[i];
        bool on = ((tick >> 4) + (uint64_t)i) & 1;
        if (f->npos == 0)
            rig_hw_fault(hw, f->name, on ? "on" : "off");
        else
            rig_hw_fault(hw, f->name, f->pos[(tick >> 4) % (uint64_t)f->npos].name);
    }
    return rig_hw_flush(hw);
}

/* The tick length the pacer uses for `hz` [us]: 1e6 / hz rounded, at least 1 (so a --rate that
 * does not divide 1 MHz runs at the nearest whole-microsecond period, which the JSON states). */
static int64_t tick_us_for(double hz)
{
    int64_t us = llround(1e6 / hz);
    return us < 1 ? 1 : us;
}

/* Runs `ticks` ticks at `hz` (0 = back to back). Paced runs go through the rig's real-time
 * clock (absolute deadlines, re-anchored after a late tick, the --rt spin tail), whose overrun
 * statistics are left in `*pacer`; `wake_late` (may be NULL) gets each tick's wake-up lateness
 * after its deadline [ns, >= 0]. */
static int paced(struct rig_hw *hw, const struct board *b, double hz, uint64_t ticks,
                 uint64_t *tick0, struct clock *pacer, int64_t *durations, int64_t spin_us,
                 int64_t *wake_late)
{
    int rc = clock_init(pacer, hz > 0 ? CLOCK_KIND_REALTIME : CLOCK_KIND_VIRTUAL,
                        hz > 0 ? tick_us_for(hz) : 1);
    if (rc != BMSRIG_OK)
        return rc;
    pacer->late_policy = CLOCK_LATE_REANCHOR;
    pacer->spin_tail_ns = spin_us * 1000;
    for (uint64_t k = 0; k < ticks; k++) {
        if (rig_hw_interrupted(NULL))
            return BMSRIG_ERR_STATE;
        int64_t t0 = mono_ns();
        rc = one_tick(hw, b, (*tick0)++);
        if (durations)
            durations[k] = mono_ns() - t0;
        if (rc != BMSRIG_OK)
            return rc;
        int64_t deadline = clock_next_deadline_ns(pacer);
        rc = clock_tick(pacer);
        if (rc != BMSRIG_OK)
            return rc;
        if (wake_late && hz > 0) {
            int64_t late = mono_ns() - deadline;
            wake_late[k] = late > 0 ? late : 0;
        }
    }
    return BMSRIG_OK;
}

int bench_mpsse_run(int argc, char **argv)
{
    const char *rig = "emulated";   /* board_locate: ./hw/boards, then the installed boards */
    long ticks = 2000;
    double rate = 0, seconds = 0.25;
    static const struct option opts[] = {
        { "rig", required_argument, NULL, 'r' }, { "ticks", required_argument, NULL, 't' },
        { "rate", required_argument, NULL, 'R' }, { "seconds", required_argument, NULL, 's' },
        CLI_RT_LONG_OPTIONS, { NULL, 0, NULL, 0 } };
    struct rt_host_options rto;
    rt_host_options_default(&rto);
    bool rt_sub = false;
    optind = 1;
    int c, e;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'r': rig = optarg; break;
        case 't': {
            double n;
            if (cli_parse_whole(&cmd_bench, "--ticks", optarg, 1, 1e15, &n))
                return CLI_EXIT_USAGE;
            ticks = (long)n;
            break;
        }
        case 'R':   /* Hz */
            if (cli_parse_number_above(&cmd_bench, "--rate", optarg, 0, 1e6, &rate))
                return CLI_EXIT_USAGE;
            break;
        case 's':
            if (cli_parse_number_above(&cmd_bench, "--seconds", optarg, 0, 86400, &seconds))
                return CLI_EXIT_USAGE;
            break;
        default:
            if ((e = cli_rt_option(&cmd_bench, c, optarg, &rto, &rt_sub)) >= 0) {
                if (e)
                    return e;
                break;
            }
            return cli_usage_error(&cmd_bench, "unknown option");
        }
    }
    if ((e = cli_rt_check(&cmd_bench, &rto, rt_sub)))
        return e;
    /* At least one tick period inside the run: this also keeps the period (1/rate, at most
     * 86400 s) far inside int64 nanoseconds. */
    if (rate > 0 && rate * seconds < 1.0)
        return cli_usage_error(&cmd_bench, "--rate: %g Hz gives no tick in --seconds %g (need "
                                           "--rate >= 1/--seconds)", rate, seconds);
    if (optind < argc)
        return cli_usage_error(&cmd_bench, "unexpected argument '%s'", argv[optind]);
    struct rt_host_state rts;
    if ((e = cli_rt_apply("bench mpsse", &rto, &rts)) != CLI_EXIT_PASS)
        return e;
    rig_hw_signals_install();
    struct rig_hw *hw;
    char err[512];
    int rc = rig_hw_open_file(&hw, rig, err, sizeof err);
    if (rc != BMSRIG_OK) {
        fprintf(stderr, "bmsrig bench: %s\n", err);
        return rc == BMSRIG_ERR_PARSE ? CLI_EXIT_USAGE : CLI_EXIT_RIG;
    }
    const struct board *b = rig_hw_board(hw);
    uint64_t tick = 0;
    struct clock pacer;
    struct rig_hw_stats s0, s1;
    int exit_code = CLI_EXIT_PASS;
    if (rate > 0) {
        /* one paced run at the given rate (also how a long real-time run is reproduced) */
        uint64_t n = (uint64_t)ceil(rate * seconds);
        int64_t *late = calloc((size_t)n, sizeof *late);
        if (!late) {
            rig_hw_close(hw);
            return CLI_EXIT_RIG;
        }
        rig_hw_get_stats(hw, &s0);
        rc = paced(hw, b, rate, n, &tick, &pacer, NULL, rts.spin_us, late);
        rig_hw_get_stats(hw, &s1);
        if (rc == BMSRIG_OK) {
            struct bench_tail wake;
            bench_tail_of(late, (size_t)n, &wake);
            printf("{\"bench\":\"mpsse\",\"rig\":\"%s\",\"channels\":%d,\"rate_hz\":%g,"
                   "\"tick_us\":%lld,\"ticks\":%llu,\"overruns\":%llu,\"worst_late_us\":%lld,"
                   "\"late_total_us\":%lld,\"usb_writes_per_tick\":%.3f,"
                   "\"bytes_per_tick_max\":%zu,", b->name, b->nchannels, rate,
                   (long long)pacer.tick_us, (unsigned long long)n,
                   (unsigned long long)pacer.overruns, (long long)pacer.worst_late_us,
                   (long long)pacer.late_total_us,
                   (double)(s1.usb_writes - s0.usb_writes) / (double)n, s1.max_bytes);
            bench_tail_json(stdout, "wake_late_", &wake);
            putchar(',');
            bench_loadavg_json(stdout);
            putchar(',');
            rt_host_json(stdout, &rts);
            printf("}\n");
        }
        free(late);
    } else {
        int64_t *dur = calloc((size_t)ticks, sizeof *dur);
        static const double rates[] = { 100, 250, 500, 1000, 2000, 5000, 10000, 20000, 50000 };
        size_t nlate = (size_t)ceil(rates[sizeof rates / sizeof rates[0] - 1] * seconds);
        int64_t *late = calloc(nlate, sizeof *late);
        if (!dur || !late) {
            free(dur);
            free(late);
            rig_hw_close(hw);
            return CLI_EXIT_RIG;
        }
        rig_hw_get_stats(hw, &s0);
        rc = paced(hw, b, 0, (uint64_t)ticks, &tick, &pacer, dur, 0, NULL);
        rig_hw_get_stats(hw, &s1);
        if (rc == BMSRIG_OK) {
            struct bench_tail tt;
            bench_tail_of(dur, (size_t)ticks, &tt);
            double wpt = (double)(s1.usb_writes - s0.usb_writes) / (double)ticks;
            double bpt = (double)(s1.usb_bytes - s0.usb_bytes) / (double)ticks;
            printf("{\"bench\":\"mpsse\",\"rig\":\"%s\",\"channels\":%d,\"faults\":%d,"
                   "\"ticks\":%ld,\"usb_writes_per_tick\":%.3f,\"bytes_per_tick_avg\":%.1f,"
                   "\"bytes_per_tick_max\":%zu,", b->name, b->nchannels, b->nfaults, ticks, wpt,
                   bpt, s1.max_bytes);
            bench_tail_json(stdout, "tick_", &tt);
            printf(",\"rates\":[");
            double best = 0;
            for (size_t k = 0; k < sizeof rates / sizeof rates[0] && rc == BMSRIG_OK; k++) {
                uint64_t n = (uint64_t)ceil(rates[k] * seconds);
                rc = paced(hw, b, rates[k], n, &tick, &pacer, NULL, rts.spin_us, late);
                if (rc != BMSRIG_OK)
                    break;
                struct bench_tail wake;
                bench_tail_of(late, (size_t)n, &wake);
                printf("%s{\"hz\":%g,\"ticks\":%llu,\"overruns\":%llu,\"worst_late_us\":%lld,"
                       "\"late_total_us\":%lld,", k ? "," : "", rates[k], (unsigned long long)n,
                       (unsigned long long)pacer.overruns, (long long)pacer.worst_late_us,
                       (long long)pacer.late_total_us);
                bench_tail_json(stdout, "wake_late_", &wake);
                putchar('}');
                if (pacer.overruns == 0)
                    best = rates[k];
                else
                    break;
            }
            printf("],\"max_rate_hz_without_overrun\":%g,", best);
            bench_loadavg_json(stdout);
            putchar(',');
            rt_host_json(stdout, &rts);
            printf("}\n");
        }
        free(dur);
        free(late);
    }
    fflush(stdout);
    int signo = 0;
    if (rc == BMSRIG_ERR_STATE && rig_hw_interrupted(&signo)) {
        fprintf(stderr, "bmsrig bench: interrupted by signal %d; putting the bench in its safe "
                        "state\n", signo);
        exit_code = CLI_EXIT_INTERRUPTED;
    } else if (rc != BMSRIG_OK) {
        fprintf(stderr, "bmsrig bench: rig fault: USB write to FTDI %s failed at tick %llu "
                        "(unplugged?); attempting the safe state\n", b->ftdi.serial,
                (unsigned long long)tick);
        exit_code = CLI_EXIT_RIG;
    }
    rig_hw_close(hw);   /* safe state first, always */
    return exit_code;
}
