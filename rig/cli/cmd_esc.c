/* cmd_esc.c: `bmsrig esc`: the virtual controller as its own process in real time on a serial
 * device or pty (BMS line, optional dashboard line), and --show-params for its parameter table. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LOG_PREFIX "esc"
#include "rig/line/capture.h"
#include "rig/cli/cli.h"
#include "rig/cli/cli_rt.h"
#include "rig/cli/esc_firmware.h"
#include "rig/realtime/clock.h"
#include "rig/util/log.h"
#include "rig/line/transport.h"
#include "sim/esc.h"
#include "sim/frame.h"
#include "sim/status.h"

#define PROFILE_MAX_BYTES (256 * 1024)

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

/* ---- parameters --------------------------------------------------------------------------- */

/* Reads `path` whole and applies it to `p`; errors go to stderr as path:line: reason. */
static int load_profile(const char *path, struct esc_params *p)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "bmsrig esc: %s: %s\n", path, strerror(errno));
        return CLI_EXIT_USAGE;
    }
    char *buf = malloc(PROFILE_MAX_BYTES);
    if (!buf) {
        fclose(f);
        return CLI_EXIT_RIG;
    }
    size_t n = fread(buf, 1, PROFILE_MAX_BYTES, f);
    bool too_big = n == PROFILE_MAX_BYTES;
    int rerr = ferror(f) ? errno : 0;
    fclose(f);
    if (rerr) {
        fprintf(stderr, "bmsrig esc: %s: %s\n", path, strerror(rerr));
        free(buf);
        return CLI_EXIT_USAGE;
    }
    if (too_big) {
        fprintf(stderr, "bmsrig esc: %s: larger than %d bytes\n", path, PROFILE_MAX_BYTES);
        free(buf);
        return CLI_EXIT_USAGE;
    }
    unsigned line = 0;
    char err[200];
    int rc = esc_params_apply_text(p, buf, n, &line, err, sizeof(err));
    free(buf);
    if (rc != BMSRIG_OK) {
        fprintf(stderr, "%s:%u: %s\n", path, line, err);
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_PASS;
}

static void format_value(char *buf, size_t cap, const char *unit, double v)
{
    if (strcmp(unit, "hex") == 0)
        snprintf(buf, cap, "0x%04X", (unsigned)v);
    else
        snprintf(buf, cap, "%.6g", v);
}

static void show_params(FILE *out, const struct esc_params *p)
{
    fprintf(out, "# bmsrig esc parameters, model %s, %s figures\n", esc_model_name(p->model),
            esc_figures_name(p->figures));
    fprintf(out, "# grade: S sourced, D derived (recordings, stock firmware), O observed (stock "
                 "firmware under CPU emulation), I inferred; * = changed by the profile\n");
    fprintf(out, "# where the recording and the emulator differ, NAME is the value in use and "
                 "NAME:recorded or NAME:emulated the other one ('figures = recorded|emulated' in "
                 "a profile, or --figures, chooses)\n");
    fprintf(out, "%-18s %12s  %-8s %-5s %s\n", "name", "value", "unit", "grade", "source");
    for (int i = 0; i < ESC_P_COUNT; i++) {
        const struct esc_param_info *pi = esc_param_info(i);
        double emu;
        const char *emu_src;
        bool has_emu = esc_param_emulated(i, &emu, &emu_src);
        bool use_emu = has_emu && p->figures == ESC_FIGURES_EMULATED;
        char grade[3] = { use_emu ? 'O' : pi->grade[p->model], p->overridden[i] ? '*' : ' ',
                          '\0' };
        char val[32];
        format_value(val, sizeof(val), pi->unit, p->v[i]);
        fprintf(out, "%-18s %12s  %-8s %-5s %s\n", pi->name, val, pi->unit, grade,
                use_emu ? emu_src : pi->source);
        if (has_emu) {
            /* the other figure set's value, with its grade and source */
            char other[32], name[64];
            format_value(other, sizeof(other), pi->unit, use_emu ? pi->value[p->model] : emu);
            snprintf(name, sizeof(name), "%s:%s", pi->name, use_emu ? "recorded" : "emulated");
            fprintf(out, "%-18s %12s  %-8s %-5c %s\n", name, other, pi->unit,
                    use_emu ? pi->grade[p->model] : 'O', use_emu ? pi->source : emu_src);
        }
    }
    fprintf(out, "%-18s %12s  %-8s %-5s %s\n", "bms_default_serial", "3GA0016A1A0001", "text",
            "D", "BMS serial that raises error 23 (string in DRV130-143)");
}

/* ---- the real-time run ---------------------------------------------------------------------- */

struct rt {
    struct transport tr[2];     /* per enum esc_line (rig/line/transport.h, raw 115200 8N1) */
    bool open[2];
    FILE *log;
    struct frame_decoder logdec[2];
    double log_t_s;
    enum esc_line log_line;
    uint64_t write_short;       /* bytes the OS did not take */
    int io_errno;
};

static const char *const rx_line_name[2] = { "bms_tx", "dash_rx" };

static void on_log_frame(void *user, const struct frame_event *ev)
{
    struct rt *rt = user;
    if (!rt->log || ev->kind == FRAME_EV_TRUNCATED)
        return;
    capture_write_row(rt->log, rt->log_t_s, rx_line_name[rt->log_line], ev->raw, ev->raw_len,
                      ev->kind == FRAME_EV_FRAME ? "ok" : "bad_checksum", "");
}

static void on_tx(void *user, enum esc_line line, int64_t t_us, const uint8_t *bytes, size_t n)
{
    struct rt *rt = user;
    if (!rt->open[line])
        return;
    ssize_t w = transport_write(&rt->tr[line], bytes, n);
    if (w < 0) {
        rt->io_errno = errno ? errno : EIO;
        w = 0;
    }
    if ((size_t)w < n)
        rt->write_short += n - (size_t)w;
    if (rt->log)
        capture_write_row(rt->log, (double)t_us * 1e-6,
                          line == ESC_LINE_BMS ? "esc_tx" : "dash_tx", bytes, n, "ok", "");
}

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* A main-loop tick taken later than this is an overrun [I: half the 1 ms tick: a tick that late
 * still runs before the next one is due; ppoll wakes 0.05-0.1 ms late on an idle host]. */
static int64_t late_slack_us(int64_t tick_us)
{
    return tick_us / 2;
}

struct run_summary {
    int64_t duration_us;
    int final_error;
    int worst_error_after_boot;     /* lowest nonzero code shown once the handshake was done */
    struct clock pacer;             /* the main-loop clock: overruns, worst/total lateness */
    uint64_t stall_reads;           /* reads found waiting after a stall, stamped early */
    int64_t stall_backdate_max_us;  /* the most such a stamp lay before the wake */
};

/* Bytes found waiting on a line when the loop wakes from a stall (it woke more than the
 * overrun slack after its deadline: the host stopped it) arrived at some unknown moment between
 * the last time the loop saw that line empty and the wake. They are stamped at the earliest of
 * those moments, the last empty sighting, and fed to the model before it is ticked past any
 * deadline they could meet; each such read is counted (stall_reads, backdated_max) and warned
 * about. Outside a stall the wake follows the bytes' arrival at once and they are stamped at the
 * wake (docs/controller.md, "Host stalls"). */
static int64_t rx_stamp_us(bool stalled, int64_t line_empty_us, int64_t wake_us,
                           int64_t model_us)
{
    int64_t t = stalled ? line_empty_us : wake_us;
    return t < model_us ? model_us : t;   /* the model's time never goes back */
}

/* Waits in ppoll on the open lines until `deadline_ns`, sleeping up to `spin_ns` before it and
 * busy-polling the rest (the --rt tail). Returns ppoll's result. */
static int wait_lines(struct pollfd *pfd, int npfd, int64_t deadline_ns, int64_t spin_ns)
{
    int64_t sleep_ns = deadline_ns - spin_ns - mono_ns();
    if (sleep_ns > 50000000)
        sleep_ns = 50000000;   /* a signal or a hang-up is noticed within 50 ms */
    struct timespec zero = { 0, 0 };
    if (sleep_ns > 0) {
        struct timespec to = { .tv_sec = 0, .tv_nsec = (long)sleep_ns };
        int pr = ppoll(pfd, (nfds_t)npfd, &to, NULL);
        if (pr != 0 || spin_ns <= 0 || mono_ns() < deadline_ns - spin_ns)
            return pr;
    } else if (spin_ns <= 0) {
        return ppoll(pfd, (nfds_t)npfd, &zero, NULL);
    }
    int pr;
    do {
        pr = ppoll(pfd, (nfds_t)npfd, &zero, NULL);
    } while (pr == 0 && mono_ns() < deadline_ns);
    return pr;
}

static int run_realtime(struct esc *e, struct rt *rt, double duration_s, int64_t spin_us,
                        struct run_summary *sum)
{
    memset(sum, 0, sizeof(*sum));
    /* The controller model keeps its own tick grid (esc_tick runs every tick up to "now"); the
     * rig clock on the same grid, rounded to whole microseconds, paces the loop and counts the
     * overruns: a stall is one overrun, the model then catches up (its time is wall time). */
    int64_t tick_us = llround(esc_params(e)->v[ESC_P_TICK_US]);
    struct clock *ck = &sum->pacer;
    if (clock_init(ck, CLOCK_KIND_REALTIME, tick_us < 1 ? 1 : tick_us) != BMSRIG_OK) {
        rt->io_errno = EIO;
        return BMSRIG_ERR_IO;
    }
    ck->late_policy = CLOCK_LATE_CATCH_UP;
    ck->late_slack_us = late_slack_us(ck->tick_us);
    const int64_t t_start = ck->start_ns;
    const int64_t spin_ns = spin_us * 1000;
    int64_t dur_us = duration_s > 0 ? (int64_t)(duration_s * 1e6) : INT64_MAX;
    int last_code = 0;
    bool was_ok = false;
    esc_power_on(e, 0);
    printf("%9.3f s  power on (%s)\n", 0.0, esc_model_name(esc_params(e)->model));
    fflush(stdout);
    uint64_t next_warn = 1;
    esc_tick(e, 0);
    int64_t line_empty_us[2] = { 0, 0 };   /* when the loop last saw each line empty */
    int64_t model_us = 0;                  /* the latest time handed to the model */
    uint64_t next_stall_warn = 1;
    while (!stop_signal) {
        int64_t now = (mono_ns() - t_start) / 1000;
        if (now >= dur_us)
            break;
        struct pollfd pfd[2];
        int npfd = 0;
        int which[2];
        for (int l = 0; l < 2; l++) {
            if (rt->open[l]) {
                pfd[npfd] = (struct pollfd){ .fd = rt->tr[l].fd, .events = POLLIN };
                which[npfd++] = l;
            }
        }
        int64_t deadline_ns = clock_next_deadline_ns(ck);
        int64_t model_next = esc_next_tick_us(e);   /* differs when tick_us is fractional */
        if (model_next < dur_us && t_start + model_next * 1000 < deadline_ns)
            deadline_ns = t_start + model_next * 1000;
        if (dur_us != INT64_MAX && t_start + dur_us * 1000 < deadline_ns)
            deadline_ns = t_start + dur_us * 1000;
        int pr = wait_lines(pfd, npfd, deadline_ns, spin_ns);
        if (pr < 0 && errno != EINTR) {
            rt->io_errno = errno;
            break;
        }
        int64_t now_ns = mono_ns();
        now = (now_ns - t_start) / 1000;
        /* A wake later than the deadline by more than the overrun slack is a stall: look again
         * at once (a stopped ppoll may return EINTR or 0 with bytes waiting) and stamp what is
         * waiting by rx_stamp_us's rule. */
        bool stalled = now_ns - deadline_ns > ck->late_slack_us * 1000;
        if (stalled && pr <= 0) {
            struct timespec zero = { 0, 0 };
            pr = ppoll(pfd, (nfds_t)npfd, &zero, NULL);
            if (pr < 0 && errno != EINTR) {
                rt->io_errno = errno;
                break;
            }
        }
        for (int i = 0; pr > 0 && i < npfd; i++) {
            if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            uint8_t buf[512];
            enum esc_line line = (enum esc_line)which[i];
            ssize_t n = transport_read(&rt->tr[line], buf, sizeof(buf));
            if (n > 0) {
                int64_t t_rx = rx_stamp_us(stalled, line_empty_us[line], now, model_us);
                if (t_rx < now) {
                    sum->stall_reads++;
                    if (now - t_rx > sum->stall_backdate_max_us)
                        sum->stall_backdate_max_us = now - t_rx;
                    if (sum->stall_reads >= next_stall_warn) {
                        br_warn("host stall: %zd bytes found waiting on the %s line after %.1f "
                                "ms stopped, stamped at the last moment it was seen empty "
                                "(%llu such reads so far)", n, rx_line_name[line],
                                (double)(now - t_rx) / 1000.0,
                                (unsigned long long)sum->stall_reads);
                        next_stall_warn *= 2;
                    }
                }
                model_us = t_rx;
                esc_rx(e, line, t_rx, buf, (size_t)n);
                if (rt->log) {
                    rt->log_t_s = (double)t_rx * 1e-6;
                    rt->log_line = line;
                    frame_decoder_feed(&rt->logdec[line], buf, (size_t)n);
                }
            } else if (n < 0) {
                rt->io_errno = errno ? errno : EIO;
            } else if (pfd[i].revents & POLLHUP) {
                /* Hang-up without data (a pty peer away): wait instead of spinning. */
                struct timespec nap = { 0, 2000000 };
                nanosleep(&nap, NULL);
            }
        }
        if (rt->io_errno)
            break;
        /* Every line is empty now, so later bytes arrived after this moment (a read that
         * filled its buffer aside: its rest is read, and stamped, at the next wake). */
        int64_t seen_empty_us = (mono_ns() - t_start) / 1000;
        for (int l = 0; l < 2; l++)
            line_empty_us[l] = seen_empty_us;
        uint64_t stalls = ck->overruns;
        while (now_ns >= clock_next_deadline_ns(ck))
            clock_tick_at(ck, now_ns);   /* a stall is one overrun, however many ticks it spans */
        if (ck->overruns > stalls && ck->overruns >= next_warn) {
            /* Warn about stalls, at most at doubling intervals of the overrun count. */
            br_warn("main-loop tick %.1f ms late (%llu overruns so far): the host is too busy "
                    "for real time", (double)ck->stall_late_us / 1000.0,
                    (unsigned long long)ck->overruns);
            next_warn *= 2;
        }
        esc_tick(e, now);
        model_us = now;
        struct esc_status st;
        esc_status(e, &st);
        if (st.bms_ok && !was_ok) {
            printf("%9.3f s  BMS handshake done\n", (double)now * 1e-6);
            was_ok = true;
        }
        int code = esc_error_code(e);
        if (code != last_code) {
            printf("%9.3f s  error %d\n", (double)now * 1e-6, code);
            last_code = code;
        }
        if (was_ok && code != 0 &&
            (sum->worst_error_after_boot == 0 || code < sum->worst_error_after_boot))
            sum->worst_error_after_boot = code;
        fflush(stdout);
    }
    sum->duration_us = (mono_ns() - t_start) / 1000;
    sum->final_error = esc_error_code(e);
    return rt->io_errno ? BMSRIG_ERR_IO : BMSRIG_OK;
}

/* ---- command -------------------------------------------------------------------------------- */

static int run_esc(int argc, char **argv)
{
    static const struct option opts[] = {
        { "bms-port", required_argument, NULL, 'b' },
        { "dash-port", required_argument, NULL, 'd' },
        { "model", required_argument, NULL, 'm' },
        { "figures", required_argument, NULL, 'F' },
        { "profile", required_argument, NULL, 'p' },
        { "show-params", no_argument, NULL, 'S' },
        { "duration", required_argument, NULL, 't' },
        { "supply-v", required_argument, NULL, 'v' },
        { "throttle", required_argument, NULL, 'T' },
        { "brake", required_argument, NULL, 'B' },
        { "mode", required_argument, NULL, 'M' },
        { "log", required_argument, NULL, 'l' },
        { "strict", no_argument, NULL, 's' },
        { "firmware", required_argument, NULL, 'W' },
        { "firmware-base", required_argument, NULL, 'A' },
        { "bms-pty", no_argument, NULL, 'P' },
        { "esc-serial", required_argument, NULL, 'N' },
        { "no-uid-copy", no_argument, NULL, 'U' },
        { "blank-eeprom", no_argument, NULL, 'Z' },
        { "firmware-verbose", no_argument, NULL, 'V' },
        CLI_RT_LONG_OPTIONS,
        { NULL, 0, NULL, 0 },
    };
    const char *bms_port = NULL, *dash_port = NULL, *model = "m365", *profile = NULL;
    const char *figures = NULL;
    const char *log_path = NULL;
    bool show = false, strict = false;
    double duration = 0.0, supply = 36.0, throttle = 0.0, brake = 0.0;
    enum esc_mode mode = ESC_MODE_NORMAL;
    struct rt_host_options rto;
    rt_host_options_default(&rto);
    bool rt_sub = false;
    struct esc_firmware_options fw;   /* --firmware: the image is the controller */
    memset(&fw, 0, sizeof(fw));
    struct mcu_config mdef;
    mcu_config_defaults(&mdef);
    fw.provision = mdef.provision;
    bool bms_pty = false, model_given = false, mode_given = false;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'b': bms_port = optarg; break;
        case 'd': dash_port = optarg; break;
        case 'm': model = optarg; model_given = true; break;
        case 'W': fw.image = optarg; break;
        case 'A': {
            char *end = NULL;
            errno = 0;
            unsigned long v = strtoul(optarg, &end, 0);
            if (errno || end == optarg || *end || optarg[0] == '-' || v > 0xFFFFFFFFul)
                return cli_usage_error(&cmd_esc, "--firmware-base: '%s' is not an address "
                                                 "(e.g. 0x08001000)", optarg);
            fw.base = (uint32_t)v;
            break;
        }
        case 'P': bms_pty = true; break;
        case 'N':
            if (strlen(optarg) != MCU_SERIAL_LEN && optarg[0])
                return cli_usage_error(&cmd_esc, "--esc-serial: '%s' is not %d characters "
                                                 "('' leaves the serial unwritten)", optarg,
                                       MCU_SERIAL_LEN);
            fw.provision.serial = optarg;
            break;
        case 'U': fw.provision.copy_uid = 0; break;
        case 'Z': fw.provision.blank = 1; break;
        case 'V': fw.verbosity = 1; break;
        case 'F': figures = optarg; break;
        case 'p': profile = optarg; break;
        case 'S': show = true; break;
        case 's': strict = true; break;
        case 'l': log_path = optarg; break;
        case 't':
            if (cli_parse_number(&cmd_esc, "--duration", optarg, 0.0, 1e7, &duration))
                return CLI_EXIT_USAGE;
            break;
        case 'v':
            if (cli_parse_number(&cmd_esc, "--supply-v", optarg, 0.0, 100.0, &supply))
                return CLI_EXIT_USAGE;
            break;
        case 'T':
            if (cli_parse_number(&cmd_esc, "--throttle", optarg, 0.0, 1.0, &throttle))
                return CLI_EXIT_USAGE;
            break;
        case 'B':
            if (cli_parse_number(&cmd_esc, "--brake", optarg, 0.0, 1.0, &brake))
                return CLI_EXIT_USAGE;
            break;
        case 'M':
            mode_given = true;
            if (strcmp(optarg, "eco") == 0)
                mode = ESC_MODE_ECO;
            else if (strcmp(optarg, "normal") == 0)
                mode = ESC_MODE_NORMAL;
            else if (strcmp(optarg, "sport") == 0)
                mode = ESC_MODE_SPORT;
            else
                return cli_usage_error(&cmd_esc, "--mode: '%s' is not eco, normal or sport",
                                       optarg);
            break;
        default: {
            int e = cli_rt_option(&cmd_esc, c, optarg, &rto, &rt_sub);
            if (e > 0)
                return e;
            if (e == 0)
                break;
            return cli_usage_error(&cmd_esc, "unknown or incomplete option '%s'",
                                   argv[optind - 1]);
        }
        }
    }
    if (optind < argc)
        return cli_usage_error(&cmd_esc, "unexpected argument '%s'", argv[optind]);
    if (cli_rt_check(&cmd_esc, &rto, rt_sub))
        return CLI_EXIT_USAGE;
    if (fw.image) {
        if (show || profile || figures || model_given || mode_given || dash_port || log_path ||
            strict || rt_sub)
            return cli_usage_error(&cmd_esc, "--firmware: the image is the controller (no "
                                             "--show-params, --profile, --figures, --model, "
                                             "--mode, --dash-port, --log, --strict or --rt)");
        if (!!bms_port == bms_pty)
            return cli_usage_error(&cmd_esc, "--firmware: give exactly one of --bms-port DEV "
                                             "or --bms-pty");
        fw.bms_port = bms_port;
        fw.duration_s = duration;
        fw.pack_v = supply;
        fw.throttle = throttle;
        fw.brake = brake;
        return esc_firmware_run(&fw);
    }
    if (bms_pty || fw.base || fw.verbosity || !fw.provision.copy_uid || fw.provision.blank ||
        fw.provision.serial)
        return cli_usage_error(&cmd_esc, "--bms-pty, --firmware-base and the provisioning "
                                         "options need --firmware IMAGE");

    struct esc_params prm;
    enum esc_model m;
    if (esc_model_parse(model, &m) != BMSRIG_OK)
        return cli_usage_error(&cmd_esc, "--model: '%s' is not m365 or pro2", model);
    esc_params_default(&prm, m);
    if (figures) {
        enum esc_figures f;
        if (esc_figures_parse(figures, &f) != BMSRIG_OK)
            return cli_usage_error(&cmd_esc, "--figures: '%s' is not recorded or emulated",
                                   figures);
        esc_params_use_figures(&prm, f);
    }
    if (profile) {
        int rc = load_profile(profile, &prm);
        if (rc != CLI_EXIT_PASS)
            return rc;
    }
    if (show) {
        show_params(stdout, &prm);
        return CLI_EXIT_PASS;
    }
    if (!bms_port)
        return cli_usage_error(&cmd_esc, "--bms-port DEV is required (or --show-params)");

    struct rt rt;
    memset(&rt, 0, sizeof(rt));
    if (transport_open_serial(&rt.tr[ESC_LINE_BMS], bms_port, 115200) != BMSRIG_OK) {
        br_err("--bms-port %s: %s", bms_port, strerror(errno));
        return CLI_EXIT_RIG;
    }
    rt.open[ESC_LINE_BMS] = true;
    if (dash_port) {
        if (transport_open_serial(&rt.tr[ESC_LINE_DASH], dash_port, 115200) != BMSRIG_OK) {
            br_err("--dash-port %s: %s", dash_port, strerror(errno));
            transport_close(&rt.tr[ESC_LINE_BMS]);
            return CLI_EXIT_RIG;
        }
        rt.open[ESC_LINE_DASH] = true;
    }
    if (log_path) {
        rt.log = fopen(log_path, "w");
        if (!rt.log) {
            br_err("--log %s: %s", log_path, strerror(errno));
            transport_close(&rt.tr[ESC_LINE_BMS]);
            transport_close(&rt.tr[ESC_LINE_DASH]);
            return CLI_EXIT_USAGE;
        }
        const char *hdr[] = { "bmsrig esc: frames on the BMS and dashboard lines, real time" };
        capture_write_header(rt.log, hdr, 1);
        frame_decoder_init(&rt.logdec[0], on_log_frame, &rt);
        frame_decoder_init(&rt.logdec[1], on_log_frame, &rt);
    }
    struct esc *e = esc_new(&prm);
    if (!e) {
        br_err("cannot create the controller model");
        if (rt.log)
            fclose(rt.log);
        transport_close(&rt.tr[ESC_LINE_BMS]);
        if (rt.open[ESC_LINE_DASH])
            transport_close(&rt.tr[ESC_LINE_DASH]);
        return CLI_EXIT_RIG;
    }
    esc_set_tx(e, on_tx, &rt);
    esc_set_supply_v(e, supply);
    struct esc_rider rider = { .throttle = throttle, .brake = brake, .mode = mode };
    esc_set_rider(e, &rider);

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct rt_host_state rts;
    int rc = cli_rt_apply("esc", &rto, &rts);
    if (rc != CLI_EXIT_PASS) {
        esc_free(e);
        if (rt.log)
            fclose(rt.log);
        transport_close(&rt.tr[ESC_LINE_BMS]);
        if (rt.open[ESC_LINE_DASH])
            transport_close(&rt.tr[ESC_LINE_DASH]);
        return rc;
    }
    struct run_summary sum;
    rc = run_realtime(e, &rt, duration, rts.spin_us, &sum);
    struct esc_status st;
    esc_status(e, &st);
    printf("summary: duration=%.3f s handshake=%s polls=%u good=%u misses=%u bad_frames=%u "
           "error=%d worst_error_after_handshake=%d current=%.2f A speed=%.2f km/h "
           "late_max=%.3f ms overruns=%llu late_total=%.3f ms ticks=%llu tx_short=%llu "
           "stall_reads=%llu backdated_max=%.3f ms\n",
           (double)sum.duration_us * 1e-6, st.bms_ok ? "done" : (st.boot_gave_up ? "gave-up" : "pending"),
           st.polls, st.good_replies, st.misses, st.bad_frames_in, sum.final_error,
           sum.worst_error_after_boot, esc_battery_current_a(e), esc_speed_kmh(e),
           (double)sum.pacer.worst_start_us / 1000.0, (unsigned long long)sum.pacer.overruns,
           (double)sum.pacer.late_total_us / 1000.0, (unsigned long long)sum.pacer.ticks,
           (unsigned long long)rt.write_short, (unsigned long long)sum.stall_reads,
           (double)sum.stall_backdate_max_us / 1000.0);
    fflush(stdout);
    esc_free(e);
    bool log_failed = false;
    if (rt.log && fclose(rt.log) != 0) {
        br_err("--log %s: %s", log_path, strerror(errno));
        log_failed = true;
    }
    transport_close(&rt.tr[ESC_LINE_BMS]);
    if (rt.open[ESC_LINE_DASH])
        transport_close(&rt.tr[ESC_LINE_DASH]);
    if (rc != BMSRIG_OK) {
        br_err("serial line failed: %s", strerror(rt.io_errno));
        return CLI_EXIT_RIG;
    }
    if (stop_signal)
        return CLI_EXIT_INTERRUPTED;
    if (log_failed)
        return CLI_EXIT_RIG;
    if (strict && (!st.bms_ok || st.misses > 0 || sum.worst_error_after_boot != 0 ||
                   sum.final_error != 0))
        return CLI_EXIT_FAIL;
    return CLI_EXIT_PASS;
}

const struct cli_command cmd_esc = {
    .name = "esc",
    .summary = "the virtual controller in real time on a serial port or pty",
    .usage =
        "usage: bmsrig esc --bms-port DEV [--dash-port DEV] [--model m365|pro2] [OPTIONS]\n"
        "       bmsrig esc --show-params [--model m365|pro2] [--figures SET] [--profile FILE]\n"
        "       bmsrig esc --firmware IMAGE --bms-port DEV|--bms-pty [FIRMWARE OPTIONS]\n"
        "\n"
        "Runs the clean-room model of the stock M365 controller in real time: it polls a BMS\n"
        "on DEV (115200 8N1 raw; a tty or the pty of `bmsrig bms --pty`) exactly as the stock\n"
        "firmware does (boot handshake, 0x30 poll every 209.5 ms, or 210.0 ms with\n"
        "--figures emulated; 25-miss rule), evaluates\n"
        "its error codes and prints every change of the error code with its time.\n"
        "\n"
        "options:\n"
        "  --bms-port DEV     the BMS line (required unless --show-params)\n"
        "  --dash-port DEV    the dashboard line: answers reads to 0x20, sends 0x64 frames\n"
        "  --model NAME       m365 (default) or pro2\n"
        "  --figures SET      recorded (default: the real unit's recordings: 4.98879 ms tick,\n"
        "                     first request 589 ms after power-on, 501 boot tries) or emulated\n"
        "                     (the stock firmware under CPU emulation: 5.000 ms, 573 ms, 500)\n"
        "  --profile FILE     parameter overrides, 'name = value' per line (see --show-params)\n"
        "  --show-params      print every parameter with value, unit, grade and source; exit\n"
        "  --duration S       stop after S seconds (default: until SIGINT/SIGTERM)\n"
        "  --supply-v V       the controller's own supply measurement (default 36.0)\n"
        "  --throttle X       rider throttle 0..1 (default 0)\n"
        "  --brake X          rider brake 0..1 (default 0)\n"
        "  --mode M           eco, normal (default) or sport\n"
        "  --log FILE         write both lines' frames as a capture CSV (bmsrig decode reads it)\n"
        "  --strict           exit 1 if the handshake did not complete, a poll was missed or\n"
        "                     an error code showed after the handshake\n"
        CLI_RT_USAGE
        "\n"
        "firmware (docs/firmware.md): the controller is IMAGE (a flat binary) on the emulated\n"
        "STM32F103 in real time instead of the model: its USART3 is the BMS line, its USART1\n"
        "the dashboard model's bus (levers from --throttle/--brake, error word read there),\n"
        "its ADC at --supply-v. Prints the error word the dashboard reads, and a summary.\n"
        "  --firmware IMAGE      run IMAGE (bad image: exit 2; a fault: exit 1)\n"
        "  --bms-pty             the BMS line on a new pty (its path is the first line)\n"
        "  --firmware-base ADDR  flash load address (default 0x08001000)\n"
        "  --esc-serial S        EEPROM provisioning: the ESC serial (14 characters)\n"
        "  --no-uid-copy         EEPROM provisioning: no unique-ID copy (error 27)\n"
        "  --blank-eeprom        EEPROM provisioning: erased pages (first-boot defaults)\n"
        "  --firmware-verbose    log unknown register accesses with their PC\n"
        "\n"
        "The main loop runs on the rig's real-time clock at the model's tick (tick_us): a\n"
        "tick taken more than half a tick late is an overrun, one per stall however many\n"
        "ticks it spans (late_max: the latest tick start; late_total: the stalls' sum).\n"
        "Bytes found waiting when the loop wakes from a stall are stamped at the last moment\n"
        "it saw their line empty and fed before the model catches up (a reply on the line in\n"
        "time is not a miss); each such read is warned about and counted (stall_reads,\n"
        "backdated_max: the most a stamp lay before the wake).\n"
        "\n"
        "exit codes: 0 done, 1 --strict check failed, 2 bad input, 3 serial error (or the\n"
        "--log file could not be written), 4 interrupted\n",
    .run = run_esc,
};
