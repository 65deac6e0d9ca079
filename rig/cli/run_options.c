/* run_options.c: `bmsrig run`'s command line: the options into a struct run_opts, and the
 * checks between them (which targets take which options), before any file is read. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rig/cli/cli.h"
#include "rig/cli/cli_rt.h"
#include "rig/cli/run_internal.h"
#include "rig/dut/dut_firmware.h"
#include "rig/scenario/escape.h"
#include "rig/scenario/watchdog.h"
#include "sim/status.h"

int run_parse_options(int argc, char **argv, struct run_opts *out)
{
    struct run_opts o = {
        .target = "virtual", .seed = 1, .jobs = 1, .tap_version = 13, .trace_every_ms = 100,
        .tick_ms = 1,
        .watchdog_s = WATCHDOG_DEFAULT_S,
    };
    bool progress_set = false;   /* --progress or --no-progress given */
    dut_firmware_config_default(&o.fw);
    rt_host_options_default(&o.rt);
    bool rt_sub = false;
    static const struct option longopts[] = {
        { "target", required_argument, NULL, 'T' },
        { "rig", required_argument, NULL, 'R' },
        { "lock-wait", required_argument, NULL, 'L' },
        { "junit", required_argument, NULL, 'J' },
        { "tap", no_argument, NULL, 'P' },
        { "tap-version", required_argument, NULL, 'V' },
        { "json", required_argument, NULL, 'S' },
        { "trace", required_argument, NULL, 'D' },
        { "html", required_argument, NULL, 'H' },
        { "trace-every", required_argument, NULL, 'E' },
        { "seed", required_argument, NULL, 's' },
        { "filter", required_argument, NULL, 'f' },
        { "tags", required_argument, NULL, 't' },
        { "list", no_argument, NULL, 'l' },
        { "realtime", no_argument, NULL, 'r' },
        { "jobs", required_argument, NULL, 'j' },
        { "suppress-faults", no_argument, NULL, 'X' },
        { "tick-ms", required_argument, NULL, 'k' },
        { "timeout", required_argument, NULL, 'o' },
        { "watchdog", required_argument, NULL, 'W' },
        { "quiet", no_argument, NULL, 'q' },
        { "shard", required_argument, NULL, 'K' },
        { "progress", optional_argument, NULL, 'G' },
        { "no-progress", no_argument, NULL, 'g' },
        { "firmware", required_argument, NULL, 'F' },
        { "firmware-base", required_argument, NULL, 'B' },
        { "esc-serial", required_argument, NULL, 'N' },
        { "blank-eeprom", no_argument, NULL, 'Z' },
        { "no-uid-copy", no_argument, NULL, 'U' },
        { "firmware-verbose", no_argument, NULL, 'v' },
        { "firmware-no-poll-skip", no_argument, NULL, 'n' },
        { "firmware-cpu", required_argument, NULL, CLI_OPT_FIRMWARE_CPU },
        CLI_RT_LONG_OPTIONS,
        { NULL, 0, NULL, 0 },
    };
    optind = 1;
    opterr = 0;
    int ch;
    double d;
    int rc;
    while ((ch = getopt_long(argc, argv, "j:q", longopts, NULL)) != -1) {
        switch (ch) {
        case 'T':
            if (strcmp(optarg, "virtual") != 0 && strcmp(optarg, "rig") != 0)
                return cli_usage_error(&cmd_run, "--target: '%s' is not virtual or rig", optarg);
            o.target = optarg;
            break;
        case 'R': o.rig_file = optarg; o.target = "rig"; break;
        case 'L':
            if ((rc = cli_parse_number(&cmd_run, "--lock-wait", optarg, 0, CLI_LOCK_WAIT_MAX_S,
                                       &o.lock_wait_s)))
                return rc;
            break;
        case 'J': o.junit = optarg; break;
        case 'P': o.tap = true; break;
        case 'V':
            if (strcmp(optarg, "13") != 0 && strcmp(optarg, "14") != 0)
                return cli_usage_error(&cmd_run, "--tap-version: '%s' is not 13 or 14", optarg);
            o.tap_version = optarg[1] == '3' ? 13 : 14;
            o.tap = true;
            break;
        case 'S': o.json = optarg; break;
        case 'D': o.trace_dir = optarg; break;
        case 'H': o.html_dir = optarg; break;
        case 'E':
            if ((rc = cli_parse_number(&cmd_run, "--trace-every", optarg, 1, 60000, &o.trace_every_ms)))
                return rc;
            break;
        case 's': {
            char *end = NULL;
            errno = 0;
            unsigned long long v = strtoull(optarg, &end, 0);
            if (errno || end == optarg || *end || optarg[0] == '-')
                return cli_usage_error(&cmd_run, "--seed: '%s' is not an unsigned integer",
                                       optarg);
            o.seed = v;
            break;
        }
        case 'f': o.filter = optarg; break;
        case 't':
            o.tags = optarg;
            break;
        case 'l': o.list = true; break;
        case 'r': o.realtime = true; break;
        case 'j':
            if ((rc = cli_parse_whole(&cmd_run, "-j", optarg, 1, JOBS_MAX, &d)))
                return rc;
            o.jobs = (int)d;
            break;
        case 'X': o.suppress_faults = true; break;
        case 'k':
            if ((rc = cli_parse_number(&cmd_run, "--tick-ms", optarg, 0.01, 100, &o.tick_ms)))
                return rc;
            break;
        case 'o':
            if ((rc = cli_parse_number(&cmd_run, "--timeout", optarg, 0.001, 1e7, &o.timeout_s)))
                return rc;
            break;
        case 'W':
            if ((rc = cli_parse_number(&cmd_run, "--watchdog", optarg, 0, 1e6, &o.watchdog_s)))
                return rc;
            if (o.watchdog_s > 0 && o.watchdog_s < WATCHDOG_MIN_S) {
                return cli_usage_error(&cmd_run, "--watchdog: %g s is below %g s (0 turns the "
                                                 "watchdog off)", o.watchdog_s, WATCHDOG_MIN_S);
            }
            break;
        case 'q': o.quiet = true; break;
        case 'K':
            if (!shard_parse(optarg, &o.shard_k, &o.shard_n))
                return cli_usage_error(&cmd_run, "--shard: '%s' is not K/N with 1 <= K <= N <= "
                                       "%u (e.g. 2/4: the second of four shards)", optarg,
                                       SHARD_MAX);
            break;
        case 'G':
            progress_set = true;
            o.progress_s = RUN_PROGRESS_DEFAULT_S;
            if (optarg && (rc = cli_parse_number_above(&cmd_run, "--progress", optarg, 0, 86400,
                                                       &o.progress_s)))
                return rc;
            break;
        case 'g': progress_set = true; o.progress_s = 0; break;
        case 'F': o.fw.image_path = optarg; o.target = "firmware"; break;
        case 'B': {
            char *end = NULL;
            errno = 0;
            unsigned long v = strtoul(optarg, &end, 0);
            if (errno || end == optarg || *end || optarg[0] == '-' || v > 0xFFFFFFFFul)
                return cli_usage_error(&cmd_run, "--firmware-base: '%s' is not an address "
                                                 "(e.g. 0x08001000)", optarg);
            o.fw.base = (uint32_t)v;
            break;
        }
        case 'N':
            if (strlen(optarg) != MCU_SERIAL_LEN && optarg[0])
                return cli_usage_error(&cmd_run, "--esc-serial: '%s' is not %d characters "
                                                 "('' leaves the serial unwritten)", optarg,
                                       MCU_SERIAL_LEN);
            o.fw.provision.serial = optarg;
            break;
        case 'Z': o.fw.provision.blank = 1; break;
        case 'U': o.fw.provision.copy_uid = 0; break;
        case 'v': o.fw.verbosity = 1; break;
        case 'n': o.fw.no_poll_skip = 1; break;
        case CLI_OPT_FIRMWARE_CPU:
            if ((rc = cli_parse_firmware_cpu(&cmd_run, optarg, &o.fw.cpu)))
                return rc;
            break;
        default: {
            int e = cli_rt_option(&cmd_run, ch, optarg, &o.rt, &rt_sub);
            if (e > 0)
                return e;
            if (e == 0)
                break;
            return cli_usage_error(&cmd_run, "unknown option or missing value: '%s'",
                                   argv[optind - 1]);
        }
        }
    }
    if (cli_rt_check(&cmd_run, &o.rt, rt_sub))
        return CLI_EXIT_USAGE;
    if (o.realtime && o.jobs > 1) {
        return cli_usage_error(&cmd_run, "-j: parallel runs need the virtual clock (drop "
                                         "--realtime or use -j 1)");
    }
    if (strcmp(o.target, "rig") == 0 && o.jobs > 1) {
        return cli_usage_error(&cmd_run, "-j: the rig target runs one scenario at a time");
    }
    if (strcmp(o.target, "rig") == 0 && !o.rig_file) {
        return cli_usage_error(&cmd_run, "--target rig needs --rig FILE (a hw/boards "
                                         "description)");
    }
    if (o.lock_wait_s > 0 && !o.rig_file)
        return cli_usage_error(&cmd_run, "--lock-wait: only a bench (--rig) has a lock to wait for");
    if (o.fw.cpu && !o.fw.image_path)
        return cli_usage_error(&cmd_run, "--firmware-cpu: only with --firmware IMAGE");
    if (o.fw.image_path && o.rig_file)
        return cli_usage_error(&cmd_run, "--firmware and --rig: one device under test at a time");
    if (o.fw.image_path && o.realtime)
        return cli_usage_error(&cmd_run, "--firmware runs in virtual time (drop --realtime; "
                                         "'bmsrig esc --firmware' runs an image in real time)");
    if (o.fw.image_path) {
        /* a bad image is bad input: exit 2 before any scenario runs */
        struct dut_firmware *probe = NULL;
        char err[DUT_FW_MSG_MAX] = "";
        if (dut_firmware_open(&o.fw, &probe, err, sizeof(err)) != BMSRIG_OK) {
            fputs("bmsrig run: --firmware: ", stderr);
            report_put_safe(stderr, err, SIZE_MAX, true);
            fputc('\n', stderr);
            return CLI_EXIT_USAGE;
        }
        dut_firmware_close(probe);
    }
    if (o.rig_file)
        o.realtime = true;  /* a bench runs on the wall clock */
    if (o.rt.enabled && !o.realtime)
        return cli_usage_error(&cmd_run, "--rt: only for real-time runs (--realtime or --rig)");
    /* Progress lines by default only for a person watching: stderr a terminal, not -q. */
    if (!progress_set && !o.quiet && isatty(STDERR_FILENO))
        o.progress_s = RUN_PROGRESS_DEFAULT_S;
    if (o.realtime && o.watchdog_s > 0 && o.watchdog_s < 10 * o.tick_ms / 1000.0) {
        /* a real-time run beats once per tick: the limit must span several */
        return cli_usage_error(&cmd_run, "--watchdog: %g s is shorter than 10 real-time ticks "
                                         "of %g ms (raise it, or lower --tick-ms)",
                               o.watchdog_s, o.tick_ms);
    }
    *out = o;
    return CLI_EXIT_PASS;
}
