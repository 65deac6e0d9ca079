/* endpoint.c: the fake BMS in real time on a serial port or pty (CLOCK_MONOTONIC, ppoll). */
#include "rig/line/endpoint.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>

#include "rig/line/buslog.h"
#include "sim/status.h"

#define LOG_PREFIX "endpoint"
#include "rig/util/log.h"

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
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
    const int64_t t0 = mono_us();
    const int64_t end_us = cfg->duration_s > 0 ? (int64_t)(cfg->duration_s * 1e6) : INT64_MAX;
    int64_t next_tick = 0;
    uint8_t buf[4096];
    int rc = BMSRIG_OK;

    bms_power_on(b, 0);
    while (!(stop && *stop)) {
        int64_t now = mono_us() - t0;
        if (now >= end_us)
            break;
        if (now >= next_tick) {
            if (refresh)
                refresh(user, now, in);
            bms_step(b, now, cfg->tick_s, in);
            stats->ticks++;
            next_tick += tick_us;
            if (now - next_tick > tick_us) {
                stats->overruns++;
                next_tick = now + tick_us;
            }
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
        /* next reply due, or the moment a partial frame times out on the gap */
        int64_t deadline = next_tick;
        int64_t ev = link_next_event_us(l);
        if (ev < deadline)
            deadline = ev;
        if (deadline > end_us)
            deadline = end_us;
        int64_t wait = deadline - now;
        if (wait < 0)
            wait = 0;
        struct timespec ts = { .tv_sec = (time_t)(wait / 1000000),
                               .tv_nsec = (long)(wait % 1000000) * 1000 };
        struct pollfd p = { .fd = t->fd, .events = POLLIN };
        int pr = ppoll(&p, 1, &ts, NULL);
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
                link_bms_rx(l, mono_us() - t0, buf, (size_t)r);
                continue;
            }
        }
        link_bms_idle(l, mono_us() - t0);
    }
    link_set_wire_hook(l, NULL, NULL);
    if (cfg->log)
        fflush(cfg->log);
    return rc;
}
