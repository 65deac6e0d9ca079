/* cmd_esc_realtime.c: `bmsrig esc`'s real-time run: the controller model on its tick grid, paced
 * by the rig clock, its lines on serial devices or ptys, frames logged. */
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

/* ---- the real-time run ---------------------------------------------------------------------- */

static const char *const rx_line_name[2] = { "bms_tx", "dash_rx" };

void cmd_esc_on_log_frame(void *user, const struct frame_event *ev)
{
    struct rt *rt = user;
    if (!rt->log || ev->kind == FRAME_EV_TRUNCATED)
        return;
    capture_write_row(rt->log, rt->log_t_s, rx_line_name[rt->log_line], ev->raw, ev->raw_len,
                      ev->kind == FRAME_EV_FRAME ? "ok" : "bad_checksum", "");
}

void cmd_esc_on_tx(void *user, enum esc_line line, int64_t t_us, const uint8_t *bytes, size_t n)
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

int cmd_esc_run_realtime(struct esc *e, struct rt *rt, double duration_s, int64_t spin_us,
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
    while (!cmd_esc_stop_signal) {
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
