/* cmd_esc.c: `bmsrig esc`: the virtual controller as its own process in real time on a serial
 * device or pty (BMS line, optional dashboard line), and --show-params for its parameter table:
 * options and the command here, the parameters in cmd_esc_params.c, the run in
 * cmd_esc_realtime.c. */
#include "rig/cli/cmd_esc_internal.h"

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

volatile sig_atomic_t cmd_esc_stop_signal;

void cmd_esc_on_signal(int sig)
{
    cmd_esc_stop_signal = sig;
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
        { "firmware-cpu", required_argument, NULL, CLI_OPT_FIRMWARE_CPU },
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
        case CLI_OPT_FIRMWARE_CPU:
            if (cli_parse_firmware_cpu(&cmd_esc, optarg, &fw.cpu))
                return CLI_EXIT_USAGE;
            break;
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
        fw.provision.serial || fw.cpu)
        return cli_usage_error(&cmd_esc, "--bms-pty, --firmware-base, --firmware-cpu and the "
                                         "provisioning options need --firmware IMAGE");

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
        int rc = cmd_esc_load_profile(profile, &prm);
        if (rc != CLI_EXIT_PASS)
            return rc;
    }
    if (show) {
        cmd_esc_show_params(stdout, &prm);
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
        frame_decoder_init(&rt.logdec[0], cmd_esc_on_log_frame, &rt);
        frame_decoder_init(&rt.logdec[1], cmd_esc_on_log_frame, &rt);
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
    esc_set_tx(e, cmd_esc_on_tx, &rt);
    esc_set_supply_v(e, supply);
    struct esc_rider rider = { .throttle = throttle, .brake = brake, .mode = mode };
    esc_set_rider(e, &rider);

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = cmd_esc_on_signal;
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
    rc = cmd_esc_run_realtime(e, &rt, duration, rts.spin_us, &sum);
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
    if (cmd_esc_stop_signal)
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
        "  --firmware-cpu NAME   the emulated CPU: interp (default) or unicorn\n"
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
