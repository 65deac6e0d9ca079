/* bench_firmware.c: `bmsrig bench firmware [IMAGE]`: how fast the emulated STM32F103 runs a
 * controller image, printed as JSON. The image boots with the dashboard model on USART1 (lever
 * frames and reads every 100 ms, as under `run --firmware`) and a silent BMS line, for
 * --seconds of virtual time in 1 ms steps. Reported: virtual seconds per CPU second (the
 * process CPU clock, so a loaded host does not distort it) and per wall second, instructions
 * executed per CPU second, the share of virtual time skipped idle (WFI, polling loops), the
 * exceptions taken and the time of the first byte on the BMS line. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rig/cli/bench_firmware.h"
#include "rig/cli/cli.h"
#include "rig/fw/mcu.h"
#include "sim/dash/dash.h"

#ifndef BMSRIG_ESC_FW_DEFAULT
#define BMSRIG_ESC_FW_DEFAULT "build/hw/esc-fw/bmsrig-esc.bin"
#endif

#define STEP_NS 1000000ull /* host-side step: dashboard bytes in, bus bytes out */

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void json_string(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            printf("\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            printf("\\u%04x", (unsigned char)*s);
        else
            putchar(*s);
    }
    putchar('"');
}

int bench_firmware_run(int argc, char **argv)
{
    double seconds = 10.0;
    const char *backend = NULL;
    static const struct option opts[] = {{"seconds", required_argument, NULL, 's'},
                                         {"firmware-cpu", required_argument, NULL, 'c'},
                                         {NULL, 0, NULL, 0}};
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'c') {
            if (cli_parse_firmware_cpu(&cmd_bench, optarg, &backend))
                return CLI_EXIT_USAGE;
            continue;
        }
        if (c != 's')
            return cli_usage_error(&cmd_bench, "bench firmware: unknown option");
        char *end;
        seconds = strtod(optarg, &end);
        if (*end || !(seconds > 0.0) || seconds > 3600.0)
            return cli_usage_error(&cmd_bench, "bench firmware: --seconds wants 0 < S <= 3600, "
                                   "not '%s'", optarg);
    }
    if (argc - optind > 1)
        return cli_usage_error(&cmd_bench, "bench firmware: one IMAGE at most");
    const char *image = optind < argc ? argv[optind] : BMSRIG_ESC_FW_DEFAULT;

    struct mcu_config cfg;
    mcu_config_defaults(&cfg);
    cfg.image_path = image;
    cfg.cpu = backend;
    struct mcu *m;
    char err[512];
    int rc = mcu_new(&cfg, &m, err, sizeof err);
    if (rc != BMSRIG_OK) {
        fprintf(stderr, "bmsrig bench firmware: %s%s\n", err,
                optind < argc ? "" : " (our image: cmake --build build --target bmsrig_esc_fw)");
        return 2;
    }
    struct dash_config dc;
    dash_config_default(&dc);
    struct dash dash;
    dash_init(&dash, &dc);

    uint64_t end_ns = (uint64_t)(seconds * 1e9), bms_bytes = 0, dash_bytes = 0;
    int64_t first_bms_ns = -1;
    const char *stopped = "time";
    double cpu0 = clock_s(CLOCK_PROCESS_CPUTIME_ID), wall0 = clock_s(CLOCK_MONOTONIC);
    for (uint64_t t = STEP_NS; t <= end_ns; t += STEP_NS) {
        uint8_t out[DASH_BYTES_PER_PERIOD_MAX];
        size_t n = dash_poll(&dash, (int64_t)(t - STEP_NS), out, sizeof out);
        if (n)
            mcu_uart_rx(m, MCU_USART1, t - STEP_NS, out, n);
        rc = mcu_run_until(m, t, err, sizeof err);
        uint8_t buf[512];
        uint64_t ts[512];
        size_t k;
        while ((k = mcu_uart_tx_take(m, MCU_USART1, buf, sizeof buf, ts)) > 0) {
            dash_receive(&dash, (int64_t)ts[0], buf, k);
            dash_bytes += k;
        }
        while ((k = mcu_uart_tx_take(m, MCU_USART3, buf, sizeof buf, ts)) > 0) {
            if (first_bms_ns < 0)
                first_bms_ns = (int64_t)ts[0];
            bms_bytes += k;
        }
        if (rc != BMSRIG_OK) {
            stopped = rc == MCU_POWERED_OFF ? "powered off" : "fault";
            break;
        }
    }
    double cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - cpu0, wall = clock_s(CLOCK_MONOTONIC) - wall0;
    double virt = (double)mcu_time_ns(m) * 1e-9;
    double load[3] = {0, 0, 0};
    if (getloadavg(load, 3) < 0)
        load[0] = load[1] = load[2] = -1;

    printf("{\"bench\":\"firmware\",\"image\":");
    json_string(image);
    printf(",\"cpu\":");
    json_string(backend ? backend : MCU_DEFAULT_CPU);
    printf(",\"virtual_s\":%.6f,\"cpu_s\":%.3f,\"wall_s\":%.3f,"
           "\"realtime_factor_cpu\":%.1f,\"realtime_factor_wall\":%.1f,"
           "\"instructions\":%llu,\"instructions_per_cpu_s\":%.0f,\"idle_fraction\":%.4f,"
           "\"exceptions\":%llu,\"unmodelled_accesses\":%llu,\"bms_tx_bytes\":%llu,"
           "\"dash_tx_bytes\":%llu,\"first_bms_byte_ms\":",
           virt, cpu, wall, cpu > 0 ? virt / cpu : 0.0, wall > 0 ? virt / wall : 0.0,
           (unsigned long long)mcu_instructions(m), cpu > 0 ? (double)mcu_instructions(m) / cpu : 0.0,
           virt > 0 ? (double)mcu_idle_ns(m) * 1e-9 / virt : 0.0,
           (unsigned long long)mcu_exceptions_taken(m), (unsigned long long)mcu_unknown_accesses(m),
           (unsigned long long)bms_bytes, (unsigned long long)dash_bytes);
    if (first_bms_ns < 0)
        printf("null");
    else
        printf("%.3f", (double)first_bms_ns * 1e-6);
    printf(",\"dash_error_word\":%d,\"stopped_by\":\"%s\"", dash_observe(&dash)->error_code,
           stopped);
    if (strcmp(stopped, "fault") == 0) {
        printf(",\"fault\":");
        json_string(err);
    }
    printf(",\"loadavg\":[%.2f,%.2f,%.2f]}\n", load[0], load[1], load[2]);
    mcu_free(m);
    return strcmp(stopped, "fault") == 0 ? 1 : 0;
}
