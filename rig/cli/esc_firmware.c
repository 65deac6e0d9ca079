/* esc_firmware.c: a firmware image as a real-time controller process: each pass reads what the
 * BMS sent (into USART3 as it arrived), lets the dashboard model speak on USART1, runs the MCU
 * up to the wall clock, writes what the firmware finished sending to the BMS line, and reports
 * the error word the dashboard read. */
#include "rig/cli/esc_firmware.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define LOG_PREFIX "esc"
#include "rig/cli/cli.h"
#include "rig/dut/dut_firmware.h"
#include "rig/line/transport.h"
#include "rig/util/log.h"
#include "sim/dash/dash.h"
#include "sim/status.h"

#define PASS_NS 1000000LL          /* one pass per millisecond of wall time [I] */
#define BYTE_NS 86806LL            /* one 8N1 byte at 115200 */
#define LAG_WARN_NS 50000000LL     /* the emulation this far behind the wall clock: said once */
#define IO_CHUNK 512

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void log_line(void *user, const char *line)
{
    (void)user;
    fprintf(stderr, "%s\n", line);
}

struct fw_run {
    struct mcu *mcu;
    struct transport bms;
    struct dash dash;
    uint64_t bms_in, bms_out, write_short;
    int64_t lag_max_ns;
    int io_errno;
};

/* Bytes the BMS sent since the last pass: they reached the pin one byte time apart, the last
 * one by now. */
static void bms_to_mcu(struct fw_run *r, int64_t now_ns)
{
    uint8_t buf[IO_CHUNK];
    ssize_t n;
    while ((n = transport_read(&r->bms, buf, sizeof buf)) > 0) {
        int64_t start = now_ns - n * BYTE_NS;
        if (start < (int64_t)mcu_time_ns(r->mcu))
            start = (int64_t)mcu_time_ns(r->mcu);
        mcu_uart_rx(r->mcu, MCU_USART3, (uint64_t)start, buf, (size_t)n);
        r->bms_in += (uint64_t)n;
    }
    if (n < 0)
        r->io_errno = errno ? errno : EIO;
}

static void mcu_to_lines(struct fw_run *r)
{
    uint8_t buf[IO_CHUNK];
    uint64_t done[IO_CHUNK];
    size_t n;
    while ((n = mcu_uart_tx_take(r->mcu, MCU_USART3, buf, sizeof buf, done)) > 0) {
        ssize_t w = transport_write(&r->bms, buf, n);
        if (w < 0) {
            r->io_errno = errno ? errno : EIO;
            w = 0;
        }
        if ((size_t)w < n)
            r->write_short += n - (size_t)w;
        r->bms_out += n;
    }
    while ((n = mcu_uart_tx_take(r->mcu, MCU_USART1, buf, sizeof buf, done)) > 0)
        dash_receive(&r->dash, (int64_t)done[n - 1], buf, n);
}

static void wait_pass(struct fw_run *r, int64_t deadline_ns)
{
    int64_t left = deadline_ns - mono_ns();
    if (left <= 0)
        return;
    struct pollfd pfd = {.fd = r->bms.fd, .events = POLLIN};
    struct timespec to = {.tv_sec = 0, .tv_nsec = (long)left};
    ppoll(&pfd, 1, &to, NULL);
}

static int open_mcu(const struct esc_firmware_options *o, struct mcu **m)
{
    struct mcu_config c;
    mcu_config_defaults(&c);
    c.image_path = o->image;
    c.base = o->base;
    c.provision = o->provision;
    c.verbosity = o->verbosity;
    c.cpu = o->cpu;
    c.log = log_line;
    /* a stock image needs its own first-boot pages under the UID and serial (rig/dut) */
    static uint8_t pages[MCU_EEPROM_LEN];
    struct dut_firmware_config dc;
    dut_firmware_config_default(&dc);
    dc.image_path = o->image;
    dc.base = o->base;
    dc.provision = o->provision;
    dc.cpu = o->cpu;
    if (!o->provision.blank && dut_firmware_first_boot_pages(&dc, pages)) {
        c.provision.eeprom = pages;
        c.provision.eeprom_len = MCU_EEPROM_LEN;
    }
    char err[512];
    int rc = mcu_new(&c, m, err, sizeof err);
    if (rc != BMSRIG_OK)
        fprintf(stderr, "bmsrig esc: %s\n", err);
    return rc;
}

int esc_firmware_run(const struct esc_firmware_options *o)
{
    struct fw_run r;
    memset(&r, 0, sizeof r);
    if (open_mcu(o, &r.mcu) != BMSRIG_OK)
        return CLI_EXIT_USAGE;
    int rc = o->bms_port ? transport_open_serial(&r.bms, o->bms_port, 115200)
                         : transport_open_pty(&r.bms);
    if (rc != BMSRIG_OK) {
        br_err("%s: %s", o->bms_port ? o->bms_port : "pty", strerror(errno));
        mcu_free(r.mcu);
        return CLI_EXIT_RIG;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (!o->bms_port)
        printf("%s\n", r.bms.path);   /* first line: where the BMS connects */
    struct dash_config dc;
    dash_config_default(&dc);
    dash_init(&r.dash, &dc);
    struct dash_levers lv = {.throttle = o->throttle, .brake = o->brake};
    dash_set_levers(&r.dash, &lv);
    mcu_set_pack_voltage(r.mcu, o->pack_v);
    printf("%9.3f s  power on (%s)\n", 0.0, o->image);
    fflush(stdout);

    const int64_t t0 = mono_ns();
    const int64_t dur_ns = o->duration_s > 0 ? (int64_t)(o->duration_s * 1e9) : INT64_MAX;
    int exit_code = CLI_EXIT_PASS, last_error = -1;
    bool lag_said = false, powered_off = false;
    char err[512] = "";
    for (int64_t next = PASS_NS; !stop_signal; next += PASS_NS) {
        int64_t now = mono_ns() - t0;
        if (now >= dur_ns)
            break;
        bms_to_mcu(&r, now);
        uint8_t out[DASH_BYTES_PER_PERIOD_MAX];
        size_t n = dash_poll(&r.dash, now, out, sizeof out);
        if (n) {
            dash_gap(&r.dash);
            mcu_uart_rx(r.mcu, MCU_USART1, (uint64_t)now, out, n);
        }
        int mrc = mcu_run_until(r.mcu, (uint64_t)now, err, sizeof err);
        mcu_to_lines(&r);
        const struct dash_observation *ob = dash_observe(&r.dash);
        int code = ob->have_error ? ob->error_code : -1;
        if (code != last_error && code >= 0) {
            printf("%9.3f s  error %d\n", (double)now * 1e-9, code);
            fflush(stdout);
        }
        last_error = code;
        if (mrc == MCU_POWERED_OFF) {
            printf("%9.3f s  the firmware powered itself off\n", (double)now * 1e-9);
            powered_off = true;
            break;
        }
        if (mrc != BMSRIG_OK) {
            br_err("%s", err);
            exit_code = CLI_EXIT_FAIL;
            break;
        }
        if (r.io_errno) {
            br_err("%s: %s", r.bms.path, strerror(r.io_errno));
            exit_code = CLI_EXIT_RIG;
            break;
        }
        int64_t lag = mono_ns() - t0 - now;
        if (lag > r.lag_max_ns)
            r.lag_max_ns = lag;
        if (lag > LAG_WARN_NS && !lag_said) {
            br_warn("the emulation runs %.0f ms behind the wall clock: this image is too slow "
                    "to emulate in real time on this host", (double)lag / 1e6);
            lag_said = true;
        }
        if (next < now)
            next = now;
        wait_pass(&r, t0 + next);
    }
    const struct dash_observation *ob = dash_observe(&r.dash);
    printf("summary: duration=%.3f s emulated=%.3f s error=%d bms_out=%llu bms_in=%llu "
           "tx_short=%llu dash_replies=%llu lag_max=%.1f ms powered_off=%s\n",
           (double)(mono_ns() - t0) * 1e-9, (double)mcu_time_ns(r.mcu) * 1e-9,
           ob->have_error ? ob->error_code : -1, (unsigned long long)r.bms_out,
           (unsigned long long)r.bms_in, (unsigned long long)r.write_short,
           (unsigned long long)ob->replies, (double)r.lag_max_ns / 1e6,
           powered_off ? "yes" : "no");
    fflush(stdout);
    transport_close(&r.bms);
    mcu_free(r.mcu);
    if (stop_signal && exit_code == CLI_EXIT_PASS)
        return CLI_EXIT_INTERRUPTED;
    return exit_code;
}
