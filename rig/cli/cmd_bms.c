/* cmd_bms.c: `bmsrig bms`: a standalone fake BMS in real time on a serial device or a new pty,
 * answering a controller's polls from the BMS model, which reads the pack model (issue 3)
 * stepped in real time with a constant load, or a static pack state (--cell-v). With
 * --scenario the scenario engine runs instead, the controller on the port being the device under
 * test (the same path as `bmsrig run` with a bench's serial lines: dut_serial + scenario_run). */
#include "rig/cli/cmd_bms_internal.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rig/line/capture.h"
#include "rig/offline/cellfile.h"
#include "rig/cli/cli.h"
#include "rig/cli/cli_rt.h"
#include "rig/realtime/clock.h"
#include "rig/fault/fault.h"
#include "rig/line/dut_serial.h"
#include "rig/line/endpoint.h"
#include "rig/line/link.h"
#include "rig/scenario/report.h"
#include "rig/scenario/scenario.h"
#include "rig/line/transport.h"
#include "rig/scenario/watchdog.h"
#include "sim/bms.h"
#include "sim/pack.h"
#include "sim/status.h"

#define LOG_PREFIX "bms"
#include "rig/util/log.h"

volatile sig_atomic_t cmd_bms_stop;   /* set by the signal handler only */

void cmd_bms_on_signal(int sig)
{
    (void)sig;
    cmd_bms_stop = 1;
}

/* The live pack behind the BMS: stepped before each BMS tick with the load the switches allow,
 * then read out into the BMS's input snapshot (what the scenario engine does per tick). */
struct live_pack {
    struct pack *pack;
    struct bms *bms;
    double load_a;          /* + = discharge, - = charge (a charger is then present) */
    int64_t last_us;
};

static void live_refresh(void *user, int64_t now_us, struct bms_inputs *in)
{
    struct live_pack *lp = user;
    double dt = (double)(now_us - lp->last_us) * 1e-6;
    lp->last_us = now_us;
    if (dt > 0) {
        double load = lp->load_a;
        if ((load > 0 && !bms_discharge_enabled(lp->bms)) || (load < 0 && !bms_charge_enabled(lp->bms)))
            load = 0;
        for (unsigned g = 0; g < pack_series(lp->pack); g++)
            pack_set_bleed(lp->pack, g, bms_bleed(lp->bms, g));
        pack_step(lp->pack, dt, load);
    }
    in->ngroups = pack_series(lp->pack);
    for (unsigned g = 0; g < in->ngroups && g < BMS_GROUPS_MAX; g++)
        in->group_v[g] = pack_sense_voltage(lp->pack, g);
    in->current_a = pack_current_a(lp->pack);
    for (unsigned i = 0; i < BMS_NTC_MAX; i++) {
        struct ntc_reading r;
        unsigned n = i < pack_ntc_count(lp->pack) ? i : 0;
        in->ntc_ohm[i] = pack_ntc_read(lp->pack, n, &r) == BMSRIG_OK ? r.r_ohm : NAN;
    }
    in->charger_present = lp->load_a < 0;
    in->charger_v = in->charger_present ? 4.2 * in->ngroups : 0.0;
}

/* --fault NAME[=VALUE] (rig/fault/fault.h): NAME alone or =on turns it on, =off clears it, a
 * later --fault of the same name wins. On the fake BMS every named fault takes its virtual
 * effect, the link faults it amounts to. */
static int add_fault(struct link *l, const char *spec)
{
    char name[64];
    const char *eq = strchr(spec, '=');
    size_t n = eq ? (size_t)(eq - spec) : strlen(spec);
    if (n >= sizeof(name))
        n = sizeof(name) - 1;
    memcpy(name, spec, n);
    name[n] = '\0';
    const struct fault_def *d = fault_find(name);
    char err[512];
    if (!d) {
        fault_unknown_message(name, err, sizeof err);
        return cli_usage_error(&cmd_bms, "--fault: %s", err);
    }
    double v;
    bool clear;
    if (fault_parse_value(d, eq ? eq + 1 : NULL, &v, &clear, err, sizeof err) != 0)
        return cli_usage_error(&cmd_bms, "--fault %s", err);
    enum fault_id owned[2];
    size_t no = fault_link_owned(d, owned, 2);
    for (size_t i = 0; i < no; i++)
        link_fault_clear(l, (enum link_fault)owned[i]);
    if (clear)
        return 0;
    struct fault_link_effect fx[2];
    size_t nfx = fault_link_effects(d, v, fx, 2);
    for (size_t i = 0; i < nfx; i++)
        if (link_fault_set(l, (enum link_fault)fx[i].link, fx[i].value) != BMSRIG_OK)
            return cli_usage_error(&cmd_bms, "--fault %s: value %g out of range", d->name, v);
    return 0;
}

static int run_bms(int argc, char **argv)
{
    static const struct option opts[] = {
        { "port", required_argument, NULL, 'p' },
        { "pty", no_argument, NULL, 'P' },
        { "profile", required_argument, NULL, 'f' },
        { "profile-file", required_argument, NULL, 'F' },
        { "soc", required_argument, NULL, 's' },
        { "cell-v", required_argument, NULL, 'c' },
        { "cell", required_argument, NULL, 'C' },
        { "pack", required_argument, NULL, 'K' },
        { "temp", required_argument, NULL, 't' },
        { "current", required_argument, NULL, 'i' },
        { "latency", required_argument, NULL, 'l' },
        { "seed", required_argument, NULL, 'S' },
        { "log", required_argument, NULL, 'L' },
        { "duration", required_argument, NULL, 'd' },
        { "fault", required_argument, NULL, 'x' },
        { "baud", required_argument, NULL, 'b' },
        { "wake", required_argument, NULL, 'w' },
        { "no-noise", no_argument, NULL, 'N' },
        { "scenario", required_argument, NULL, 'Z' },
        { "dash-port", required_argument, NULL, 'D' },
        { "dash-pty", no_argument, NULL, 'Y' },
        { "watchdog", required_argument, NULL, 'W' },
        { "gap-reset", required_argument, NULL, 'G' },
        { "dut-wait", required_argument, NULL, 'U' },
        CLI_RT_LONG_OPTIONS,
        { NULL, 0, NULL, 0 },
    };
    const char *port = NULL, *profile_name = "m365_stock", *profile_file = NULL, *log_path = NULL;
    const char *latency = "recorded", *cell_name = "lg_m26", *pack_name = NULL;
    bool use_pty = false, no_noise = false;
    double soc = 50.0, cell = NAN, temp = 25.0, current = 0.0, duration = 0.0, wake_ms = NAN;
    double baud = 115200, seed = 1, watchdog_s = WATCHDOG_DEFAULT_S;
    double gap_chars = LINK_GAP_CHARS_DEFAULT;
    double dut_wait_s = 30.0;
    bool set_dut_wait = false;
    bool set_watchdog = false;
    const char *faults[32];
    size_t nfaults = 0;
    const char *scenario_path = NULL, *dash_port = NULL;
    const char *not_with_scenario = NULL;   /* an option --scenario cannot honour */
    bool set_profile = false, set_cell = false, set_soc = false, set_temp = false;
    struct rt_host_options rto;
    rt_host_options_default(&rto);
    bool rt_sub = false;
    int c, e;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'p': port = optarg; break;
        case 'P': use_pty = true; break;
        case 'f': profile_name = optarg; set_profile = true; break;
        case 'F': profile_file = optarg; not_with_scenario = "--profile-file"; break;
        case 's':
            if ((e = cli_parse_number(&cmd_bms, "--soc", optarg, 0, 100, &soc))) return e;
            set_soc = true;
            break;
        case 'c':
            if ((e = cli_parse_number(&cmd_bms, "--cell-v", optarg, 0, 5, &cell))) return e;
            not_with_scenario = "--cell-v";
            break;
        case 't':
            if ((e = cli_parse_number(&cmd_bms, "--temp", optarg, -40, 120, &temp))) return e;
            set_temp = true;
            break;
        case 'i':
            if ((e = cli_parse_number(&cmd_bms, "--current", optarg, -200, 200, &current))) return e;
            not_with_scenario = "--current";
            break;
        case 'd':
            if ((e = cli_parse_number(&cmd_bms, "--duration", optarg, 0, 1e7, &duration))) return e;
            not_with_scenario = "--duration";
            break;
        case 'b':
            if ((e = cli_parse_whole(&cmd_bms, "--baud", optarg, 1200, 921600, &baud))) return e;
            not_with_scenario = "--baud";
            break;
        case 'S': if ((e = cli_parse_whole(&cmd_bms, "--seed", optarg, 0, 9e15, &seed))) return e; break;
        case 'w':
            if ((e = cli_parse_number(&cmd_bms, "--wake", optarg, 0, 60000, &wake_ms))) return e;
            not_with_scenario = "--wake";
            break;
        case 'l': latency = optarg; not_with_scenario = "--latency"; break;
        case 'C': cell_name = optarg; set_cell = true; break;
        case 'K': pack_name = optarg; break;
        case 'L': log_path = optarg; break;
        case 'N': no_noise = true; not_with_scenario = "--no-noise"; break;
        case 'Z': scenario_path = optarg; break;
        case 'D': dash_port = optarg; break;
        case 'Y': dash_port = "pty"; break;
        case 'W':
            if ((e = cli_parse_number(&cmd_bms, "--watchdog", optarg, 0, 1e6, &watchdog_s)))
                return e;
            if (watchdog_s > 0 && watchdog_s < WATCHDOG_MIN_S)
                return cli_usage_error(&cmd_bms, "--watchdog: %g s is below %g s (0 turns the "
                                                 "watchdog off)", watchdog_s, WATCHDOG_MIN_S);
            set_watchdog = true;
            break;
        case 'U':
            if ((e = cli_parse_number(&cmd_bms, "--dut-wait", optarg, 0, 1e6, &dut_wait_s)))
                return e;
            set_dut_wait = true;
            break;
        case 'G':
            if ((e = cli_parse_number(&cmd_bms, "--gap-reset", optarg, LINK_GAP_CHARS_MIN,
                                      LINK_GAP_CHARS_MAX, &gap_chars)))
                return e;
            break;
        case 'x':
            not_with_scenario = "--fault";
            if (nfaults == sizeof(faults) / sizeof(faults[0]))
                return cli_usage_error(&cmd_bms, "--fault: too many");
            faults[nfaults++] = optarg;
            break;
        case ':': return cli_usage_error(&cmd_bms, "option '%s' needs a value", argv[optind - 1]);
        default:
            if ((e = cli_rt_option(&cmd_bms, c, optarg, &rto, &rt_sub)) >= 0) {
                if (e)
                    return e;
                break;
            }
            return cli_usage_error(&cmd_bms, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage_error(&cmd_bms, "unexpected argument '%s'", argv[optind]);
    if ((e = cli_rt_check(&cmd_bms, &rto, rt_sub)))
        return e;
    if (!!port == use_pty)
        return cli_usage_error(&cmd_bms, "give exactly one of --port DEV or --pty");
    if (dash_port && !scenario_path)
        return cli_usage_error(&cmd_bms, "--dash-port/--dash-pty: only with --scenario (the "
                                         "dashboard line is read for the scenario's "
                                         "expectations)");
    if (set_dut_wait && !scenario_path)
        return cli_usage_error(&cmd_bms, "--dut-wait: only with --scenario (it delays the "
                                         "scenario's start)");
    if (set_watchdog && !scenario_path)
        return cli_usage_error(&cmd_bms, "--watchdog: only with --scenario (it watches the "
                                         "scenario's script)");
    if (scenario_path && not_with_scenario)
        return cli_usage_error(&cmd_bms, "%s: not with --scenario (the scenario drives the "
                                         "load, the line and its faults)", not_with_scenario);

    /* profile */
    struct bms_profile prof;
    char err[256] = "";
    if (profile_file) {
        FILE *pf = fopen(profile_file, "r");
        if (!pf) {
            fprintf(stderr, "bmsrig bms: --profile-file %s: %s\n", profile_file, strerror(errno));
            return CLI_EXIT_USAGE;
        }
        const size_t cap = 65536;
        char *text = malloc(cap);
        size_t n = text ? fread(text, 1, cap, pf) : 0;
        int rerr = ferror(pf) ? errno : 0;
        fclose(pf);
        if (!text)
            return CLI_EXIT_RIG;
        if (rerr) {
            fprintf(stderr, "bmsrig bms: --profile-file %s: %s\n", profile_file, strerror(rerr));
            free(text);
            return CLI_EXIT_USAGE;
        }
        bms_profile_defaults(&prof);
        int prc = n == cap ? BMSRIG_ERR_PARSE
                           : bms_profile_parse(&prof, text, n, profile_file, err, sizeof(err));
        if (n == cap)
            snprintf(err, sizeof(err), "%s: larger than 64 KiB", profile_file);
        free(text);
        if (prc != BMSRIG_OK || bms_profile_validate(&prof, err, sizeof(err)) != BMSRIG_OK) {
            fprintf(stderr, "bmsrig bms: %s\n", err);
            return CLI_EXIT_USAGE;
        }
    } else if (bms_profile_builtin(profile_name, &prof, err, sizeof(err)) != BMSRIG_OK) {
        fprintf(stderr, "bmsrig bms: --profile: %s (built in:", err);
        for (size_t i = 0; i < bms_profile_builtin_count(); i++)
            fprintf(stderr, " %s", bms_profile_builtin_name(i));
        fprintf(stderr, ")\n");
        return CLI_EXIT_USAGE;
    }
    if (scenario_path) {
        /* Explicit options win over the declaration; check them here so that a bad one is
         * named as the option, not as the scenario. */
        struct cell_params cp;
        if (cellfile_load(cell_name, &cp, err, sizeof(err)) != BMSRIG_OK) {
            fprintf(stderr, "bmsrig bms: --cell: %s\n", err);
            return CLI_EXIT_USAGE;
        }
        struct pack_config pc;
        if (pack_name && pack_config_preset(&pc, pack_name, &cp) != BMSRIG_OK)
            return cli_usage_error(&cmd_bms, "--pack: expected SxPp (S <= 16, P <= 8), got '%s'",
                                   pack_name);
        struct bms_scenario_args a = {
            .path = scenario_path, .port = port, .dash_port = dash_port, .log_path = log_path,
            .seed = (uint64_t)seed, .watchdog_s = watchdog_s, .dut_wait_s = dut_wait_s,
            .gap_chars = gap_chars,
            .ov = { .bms = set_profile ? profile_name : NULL, .cell = set_cell ? cell_name : NULL,
                    .pack = pack_name, .soc = set_soc ? soc / 100.0 : NAN,
                    .temp_c = set_temp ? temp : NAN },
            .rt = rto,
        };
        return cmd_bms_run_scenario(&a);
    }
    if (!isnan(wake_ms))
        prof.wake_silence_ms = wake_ms;

    struct link_config lc;
    link_config_default(&lc);
    lc.baud = (uint32_t)baud;
    lc.seed = (uint64_t)seed;
    lc.gap_chars = gap_chars;
    if (strcmp(latency, "off") == 0) {
        lc.latency = LINK_LATENCY_OFF;
    } else if (strcmp(latency, "recorded") == 0) {
        lc.latency = LINK_LATENCY_RECORDED;
    } else if (strncmp(latency, "fixed:", 6) == 0) {
        double us;
        if ((e = cli_parse_number(&cmd_bms, "--latency fixed:US", latency + 6, 0, 1e7, &us)))
            return e;
        lc.latency = LINK_LATENCY_FIXED;
        lc.fixed_latency_us = (int64_t)us;
    } else {
        return cli_usage_error(&cmd_bms, "--latency: expected off, recorded or fixed:US, got '%s'",
                               latency);
    }

    struct bms *b = bms_new(&prof, (uint64_t)seed);
    struct link *l = b ? link_new(&lc, b) : NULL;
    if (!b || !l) {
        fprintf(stderr, "bmsrig bms: cannot create the BMS model (out of memory or bad profile)\n");
        link_free(l);
        bms_free(b);
        return CLI_EXIT_RIG;
    }
    int rc = CLI_EXIT_PASS;
    struct live_pack lp = { .bms = b, .load_a = current };
    for (size_t i = 0; i < nfaults; i++)
        if ((rc = add_fault(l, faults[i])) != 0)
            goto out_model;
    bms_set_noise(b, !no_noise);
    bms_set_soc(b, soc);
    struct bms_inputs in;
    bms_inputs_rest(&in, &prof, isnan(cell) ? 3.7 : cell, temp);   /* pack read-outs replace it */
    in.current_a = current;
    in.charger_present = current < 0;

    /* the pack model, unless a static pack was asked for with --cell-v */
    if (isnan(cell)) {
        struct cell_params cp;
        if (cellfile_load(cell_name, &cp, err, sizeof(err)) != BMSRIG_OK) {
            fprintf(stderr, "bmsrig bms: --cell: %s\n", err);
            rc = CLI_EXIT_USAGE;
            goto out_model;
        }
        char def[16];
        snprintf(def, sizeof(def), "%us%up", prof.series, prof.parallel > 8 ? 8 : prof.parallel);
        struct pack_config pc;
        if (pack_config_preset(&pc, pack_name ? pack_name : def, &cp) != BMSRIG_OK) {
            rc = cli_usage_error(&cmd_bms, "--pack: expected SxPp (S <= 16, P <= 8), got '%s'",
                                 pack_name ? pack_name : def);
            goto out_model;
        }
        pc.soc0 = soc / 100.0;
        pc.temp0_c = temp;
        pc.seed = (uint64_t)seed;
        if (pc.series != prof.series)
            br_warn("pack has %u groups, profile %s expects %u", pc.series, prof.name, prof.series);
        lp.pack = pack_new(&pc);
        if (!lp.pack) {
            fprintf(stderr, "bmsrig bms: cannot create the pack model\n");
            rc = CLI_EXIT_USAGE;
            goto out_model;
        }
        live_refresh(&lp, 0, &in);
    } else if (pack_name) {
        rc = cli_usage_error(&cmd_bms, "--pack needs the pack model: drop --cell-v");
        goto out_model;
    }

    FILE *log = NULL;
    if (log_path) {
        log = fopen(log_path, "w");
        if (!log) {
            fprintf(stderr, "bmsrig bms: --log %s: %s\n", log_path, strerror(errno));
            rc = CLI_EXIT_USAGE;
            goto out_model;
        }
        const char *comments[] = { "source: bmsrig bms (fake BMS); t_s = seconds from start",
                                   "profile: see docs/bms.md" };
        capture_write_header(log, comments, 2);
    }

    struct transport t;
    int trc = use_pty ? transport_open_pty(&t) : transport_open_serial(&t, port, (uint32_t)baud);
    if (trc != BMSRIG_OK) {
        fprintf(stderr, "bmsrig bms: %s: %s\n", use_pty ? "cannot create a pty" : port,
                trc == BMSRIG_ERR_ARG ? "unsupported baud rate" : strerror(errno));
        rc = trc == BMSRIG_ERR_ARG ? CLI_EXIT_USAGE : CLI_EXIT_RIG;
        goto out_log;
    }
    /* Handlers first: whoever reads the pty path may signal us at once. */
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = cmd_bms_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    cmd_bms_stop = 0;

    struct rt_host_state rts;
    if ((rc = cli_rt_apply("bms", &rto, &rts)) != CLI_EXIT_PASS) {
        transport_close(&t);
        goto out_log;
    }
    if (use_pty) {
        printf("%s\n", t.path);
        fflush(stdout);
    }

    struct endpoint_config ec = { .tick_s = prof.step_ms / 1000.0, .duration_s = duration,
                                  .log = log, .spin_tail_us = rts.spin_us };
    struct endpoint_stats st;
    int erc = endpoint_run(&ec, &t, b, l, &in, lp.pack ? live_refresh : NULL, &lp, &cmd_bms_stop, &st);
    const struct link_stats *ls = link_stats(l);
    const struct bms_counters *bc = bms_counters(b);
    fprintf(stderr,
            "bmsrig bms: %s: %llu bytes in, %llu frames heard (%llu decode errors, %llu gap resets), "
            "%llu replies, %llu silent, %llu ignored (other address %llu, unknown command %llu, "
            "bad range %llu), %llu tick overruns (worst %.3f ms, %.3f ms in total; %llu ticks)\n",
            t.path, (unsigned long long)st.bytes_in, (unsigned long long)ls->frames_heard,
            (unsigned long long)ls->decode_errors, (unsigned long long)ls->gap_resets,
            (unsigned long long)ls->replies,
            (unsigned long long)bc->silent,
            (unsigned long long)(bc->other_addr + bc->unknown_cmd + bc->bad_range),
            (unsigned long long)bc->other_addr, (unsigned long long)bc->unknown_cmd,
            (unsigned long long)bc->bad_range, (unsigned long long)st.overruns,
            (double)st.pacer.worst_late_us / 1e3, (double)st.pacer.late_total_us / 1e3,
            (unsigned long long)st.ticks);
    transport_close(&t);
    if (erc != BMSRIG_OK)
        rc = CLI_EXIT_RIG;
    else if (cmd_bms_stop)
        rc = CLI_EXIT_INTERRUPTED;
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
out_log:
    if (log && fclose(log) != 0) {
        fprintf(stderr, "bmsrig bms: --log %s: %s\n", log_path, strerror(errno));
        if (rc == CLI_EXIT_PASS)
            rc = CLI_EXIT_RIG;
    }
out_model:
    pack_free(lp.pack);
    link_free(l);
    bms_free(b);
    return rc;
}

/* After the usage: the faults --fault takes, from the fault table. */
static void bms_fault_help(FILE *out)
{
    fputs("\nfaults (--fault NAME=VALUE, NAME alone = on, =off clears; `bmsrig faults`):\n", out);
    fault_print_help(out, 2, FAULT_HELP_ALL);
}

const struct cli_command cmd_bms = {
    .name = "bms",
    .summary = "fake BMS in real time on a serial device or a new pty",
    .usage =
        "usage: bmsrig bms (--port DEV | --pty) [--profile NAME | --profile-file FILE]\n"
        "                  [--cell NAME] [--pack SxPp] [--soc PCT] [--temp C] [--current A]\n"
        "                  [--cell-v V] [--latency MODEL] [--gap-reset CHARS]\n"
        "                  [--fault NAME[=VALUE]]... [--log FILE] [--duration S] [--seed N]\n"
        "       bmsrig bms (--port DEV | --pty) --scenario FILE [--dash-port DEV | --dash-pty]\n"
        "                  [--profile NAME] [--cell NAME] [--pack SxPp] [--soc PCT] [--temp C]\n"
        "                  [--log FILE] [--seed N] [--watchdog S] [--dut-wait S]\n"
        "\n"
        "Answers a controller's polls on the BMS data line (55 AA frames, 115200 8N1) from the\n"
        "BMS model, in real time, until SIGINT/SIGTERM (or --duration). The BMS reads the pack\n"
        "model, stepped in real time with a constant load (--current) that the BMS's switches\n"
        "can cut; --cell-v holds a static pack instead.\n"
        "\n"
        "transport (exactly one):\n"
        "  --port DEV        a serial device, raw 8N1, no flow control\n"
        "  --baud N          the serial device's rate, 1200..921600 (default 115200)\n"
        "  --pty             a new pseudo-terminal; its path is printed on standard output\n"
        "\n"
        "pack and BMS:\n"
        "  --profile NAME    built-in profile: m365_stock (default), pro_stock, pro2_fw126,\n"
        "                    pro2_latest, happy_bms, generic_12s (docs/bms.md)\n"
        "  --profile-file F  a profile text file ('base NAME' may start from a built-in one)\n"
        "  --cell NAME       cell parameter set, fixtures/cells/NAME.cell (default lg_m26)\n"
        "  --pack SxPp       pack topology (default: the profile's series x parallel, P <= 8)\n"
        "  --soc PCT         pack and coulomb counter state of charge (default 50)\n"
        "  --temp C          pack and ambient temperature (default 25)\n"
        "  --current A       constant load, + = discharge; negative = a charger pushing that\n"
        "                    current (default 0)\n"
        "  --cell-v V        no pack model: every group held at V (noise only), thermistors at\n"
        "                    --temp, current --current\n"
        "  --wake MS         power-up silence after the first request (profile default 590)\n"
        "  --no-noise        ADC noise off\n"
        "\n"
        "line:\n"
        "  --latency MODEL   off | recorded (default: median 0.21 ms, 30 % late up to 35 ms) |\n"
        "                    fixed:US\n"
        "  --gap-reset CHARS the receiver drops a partial request after CHARS character times\n"
        "                    of silence at the baud rate (default 10 = 0.87 ms at 115200; 1.5 to\n"
        "                    100000). Raise it when a USB-serial adapter or a pty bridge\n"
        "                    delivers frames in bursts with gaps inside them\n"
        "  --fault NAME[=V]  a named fault of the line, from the start; NAME alone = NAME=on,\n"
        "                    NAME=off clears it, a later --fault of a name wins (the faults\n"
        "                    below; `bmsrig faults` shows their effects, docs/scenarios.md)\n"
        "  --seed N          seed for noise, latency and faults (default 1)\n"
        "\n"
        "scenario (docs/bms.md, docs/scenarios.md):\n"
        "  --scenario FILE   run a scenario file in real time with the controller on the port as\n"
        "                    the device under test: the fake BMS's pack and profile come from its\n"
        "                    declaration (pack = {cell, series, parallel, soc, temp_c}, bms =),\n"
        "                    its faults act on this BMS's line and pack, and the command exits\n"
        "                    with the scenario's verdict when the script ends. Options given\n"
        "                    explicitly win over the declaration, field by field: --profile,\n"
        "                    --cell, --pack, --soc, --temp. --log writes the bus log; --seed is\n"
        "                    the run seed; --gap-reset sets the receiver's as without a\n"
        "                    scenario. --profile-file, --cell-v, --current, --latency, --fault,\n"
        "                    --wake, --no-noise, --baud and --duration are refused (the\n"
        "                    scenario drives the load, the line and its faults)\n"
        "  --dash-port DEV   the controller's dashboard line (only with --scenario): its error\n"
        "                    and speed words are polled there. Without a dashboard line,\n"
        "                    expectations on them skip the scenario (with the reason)\n"
        "  --dash-pty        the same on a new pty; its path is printed after the BMS one\n"
        "  --watchdog S      wall-clock watchdog, S >= 0.1 (default 60; 0 = off), as in\n"
        "                    'bmsrig run': a scenario that makes no progress for S seconds (no\n"
        "                    engine tick, no return from its script: stuck inside a C call\n"
        "                    such as a string pattern match, which the instruction budget\n"
        "                    cannot stop) fails with a message naming its file (rig fault,\n"
        "                    exit 3, when an engine tick hangs on the serial lines); a file\n"
        "                    whose loading is stuck as long fails the same way. With or\n"
        "                    without it, a scenario still stuck 1 s after SIGINT/SIGTERM is\n"
        "                    not run (exit 4). A stuck thread cannot be cancelled: once the\n"
        "                    verdict is printed the process exits without cleanup (_exit)\n"
        "  --dut-wait S      scenario time starts with the controller's first request on the\n"
        "                    BMS line (the fake BMS hears it at t = 0): wait up to S seconds\n"
        "                    for it (default 30; 0 = start at once). None in time: rig fault,\n"
        "                    exit 3, the scenario not started; SIGINT/SIGTERM meanwhile: exit 4\n"
        "\n"
        "real time (with --scenario too: the engine's tick clock gets the tail):\n"
        CLI_RT_USAGE
        "\n"
        "output:\n"
        "  --log FILE        frames heard and sent, capture CSV (read it with bmsrig decode);\n"
        "                    flushed and closed on SIGINT/SIGTERM\n"
        "  --duration S      stop after S seconds (default: run until interrupted)\n"
        "\n"
        "exit status: 0 stopped after --duration; 4 interrupted by SIGINT/SIGTERM (the normal\n"
        "end of an open-ended run); 2 bad options or profile; 3 device or pty error.\n"
        "With --scenario, the scenario's verdict: 0 pass or skip (the verdict line says\n"
        "which), 1 fail, 2 bad scenario (file:line) or options, 3 rig fault, 4 interrupted\n",
    .run = run_bms,
    .more_help = bms_fault_help,
};
