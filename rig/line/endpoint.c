/* endpoint.c: the fake BMS in real time on a serial port or pty (the rig clock's deadlines, ppoll). */
#include "rig/line/endpoint.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>

#include "rig/line/buslog.h"
#include "sim/status.h"

#define LOG_PREFIX "endpoint"
#include "rig/util/log.h"

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Waits for input on `fd` until `deadline_ns`: ppoll sleeps up to `spin_ns` before it, then the
 * rest is a busy poll (zero timeouts), so the wake-up delay of the sleep does not land after the
 * deadline and input arriving meanwhile is still seen at once. Returns ppoll's result (> 0: fd
 * ready, 0: deadline reached, < 0: error) with the revents in *p. */
static int wait_input(struct pollfd *p, int64_t deadline_ns, int64_t spin_ns)
{
    int64_t now = mono_ns();
    int64_t sleep_ns = deadline_ns - spin_ns - now;
    if (sleep_ns > 0) {
        struct timespec ts = { .tv_sec = (time_t)(sleep_ns / 1000000000),
                               .tv_nsec = (long)(sleep_ns % 1000000000) };
        int pr = ppoll(p, 1, &ts, NULL);
        if (pr != 0 || spin_ns <= 0)
            return pr;
    } else if (spin_ns <= 0) {
        struct timespec zero = { 0, 0 };
        return ppoll(p, 1, &zero, NULL);
    }
    struct timespec zero = { 0, 0 };
    int pr;
    do {
        pr = ppoll(p, 1, &zero, NULL);
    } while (pr == 0 && mono_ns() < deadline_ns);
    return pr;
}

struct log_ctx {
    FILE *f;
    struct endpoint_stats *stats;
};

static void log_frame(void *user, const struct link_wire_frame *f)
{
    struct log_ctx *c = user;
    if (strcmp(f->line, "esc_tx") == 0)
        c->stats->frames_in++;
    else
        c->stats->frames_out++;
    if (c->f)
        buslog_write_row(c->f, f);
}

/* Writes all of buf, waiting briefly for room; returns BMSRIG_OK or BMSRIG_ERR_IO. */
static int write_all(struct transport *t, const uint8_t *buf, size_t n)
{
    size_t off = 0;
    int spins = 0;
    while (off < n) {
        ssize_t w = transport_write(t, buf + off, n - off);
        if (w < 0)
            return BMSRIG_ERR_IO;
        if (w == 0) {
            struct pollfd p = { .fd = t->fd, .events = POLLOUT };
            if (poll(&p, 1, 10) == 0 && ++spins > 100) {
                br_warn("transport not writable for 1 s: dropping %zu bytes", n - off);
                return BMSRIG_OK;
            }
            continue;
        }
        off += (size_t)w;
    }
    return BMSRIG_OK;
}

int endpoint_run(const struct endpoint_config *cfg, struct transport *t, struct bms *b,
                 struct link *l, struct bms_inputs *in, endpoint_inputs_fn refresh,
                 void *user, volatile sig_atomic_t *stop, struct endpoint_stats *stats)
{
    struct endpoint_stats local;
    if (!stats)
        stats = &local;
    memset(stats, 0, sizeof(*stats));
    if (!cfg || !t || !b || !l || !in || cfg->tick_s <= 0)
        return BMSRIG_ERR_ARG;
    struct log_ctx lc = { .f = cfg->log, .stats = stats };
    link_set_wire_hook(l, log_frame, &lc);

    const int64_t tick_us = (int64_t)(cfg->tick_s * 1e6);
    struct clock *ck = &stats->pacer;
    if (tick_us <= 0 || clock_init(ck, CLOCK_KIND_REALTIME, tick_us) != BMSRIG_OK)
        return BMSRIG_ERR_ARG;
    ck->late_policy = CLOCK_LATE_REANCHOR;   /* the model steps on its own time, nobody's grid */
    ck->late_slack_us = tick_us / 2 < ENDPOINT_LATE_SLACK_US_MAX ? tick_us / 2
                                                                 : ENDPOINT_LATE_SLACK_US_MAX;
    const int64_t spin_ns = cfg->spin_tail_us > 0 ? cfg->spin_tail_us * 1000 : 0;
    const int64_t t0 = ck->start_ns;
    const int64_t end_us = cfg->duration_s > 0 ? (int64_t)(cfg->duration_s * 1e6) : INT64_MAX;
    uint8_t buf[4096];
    int rc = BMSRIG_OK;

    bms_power_on(b, 0);
    /* the first step at time 0; the clock's ticks follow, one per tick_us */
    if (refresh)
        refresh(user, 0, in);
    bms_step(b, 0, cfg->tick_s, in);
    stats->ticks++;
    while (!(stop && *stop)) {
        int64_t now_ns = mono_ns();
        int64_t now = (now_ns - t0) / 1000;
        if (now >= end_us)
            break;
        if (now_ns >= clock_next_deadline_ns(ck)) {
            clock_tick_at(ck, now_ns);   /* counts a stall once, then resumes from now */
            if (refresh)
                refresh(user, now, in);
            bms_step(b, now, cfg->tick_s, in);
            stats->ticks++;
        }
        size_t n = link_bms_tx(l, now, buf, sizeof(buf));
        if (n > 0) {
            if (write_all(t, buf, n) != BMSRIG_OK) {
                br_err("write to %s failed: %s", t->path, strerror(errno));
                rc = BMSRIG_ERR_IO;
                break;
            }
            stats->bytes_out += n;
            continue;   /* more may be due already */
        }
        /* next tick, next reply due, or the moment a partial frame times out on the gap */
        int64_t deadline_ns = clock_next_deadline_ns(ck);
        int64_t ev = link_next_event_us(l);
        if (ev < end_us && t0 + ev * 1000 < deadline_ns)
            deadline_ns = t0 + ev * 1000;
        if (end_us != INT64_MAX && t0 + end_us * 1000 < deadline_ns)
            deadline_ns = t0 + end_us * 1000;
        struct pollfd p = { .fd = t->fd, .events = POLLIN };
        int pr = wait_input(&p, deadline_ns, spin_ns);
        if (pr < 0) {
            if (errno == EINTR)
                continue;
            br_err("poll on %s failed: %s", t->path, strerror(errno));
            rc = BMSRIG_ERR_IO;
            break;
        }
        if (pr > 0 && (p.revents & (POLLHUP | POLLNVAL)) && !(p.revents & POLLIN)) {
            br_err("%s hung up", t->path);
            rc = BMSRIG_ERR_IO;
            break;
        }
        if (pr > 0 && (p.revents & (POLLIN | POLLERR))) {
            ssize_t r = transport_read(t, buf, sizeof(buf));
            if (r < 0) {
                br_err("read from %s failed: %s", t->path, strerror(errno));
                rc = BMSRIG_ERR_IO;
                break;
            }
            if (r > 0) {
                stats->bytes_in += (uint64_t)r;
                link_bms_rx(l, (mono_ns() - t0) / 1000, buf, (size_t)r);
                continue;
            }
        }
        link_bms_idle(l, (mono_ns() - t0) / 1000);
    }
    stats->overruns = ck->overruns;
    link_set_wire_hook(l, NULL, NULL);
    if (cfg->log)
        fflush(cfg->log);
    return rc;
}
