/* clock.c: virtual and real-time tick clocks for the scenario engine. */
#include "rig/scenario/clock.h"

#include <errno.h>
#include <time.h>

#include "sim/status.h"

static int monotonic_ns(int64_t *out)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return BMSRIG_ERR_IO;
    *out = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    return BMSRIG_OK;
}

const int64_t clock_late_bucket_us[CLOCK_LATE_BUCKETS - 1] = { 100, 1000, 10000, 100000 };

static int source_now(const struct clock *c, int64_t *out)
{
    if (c->source)
        return c->source->now_ns(c->source->ctx, out);
    return monotonic_ns(out);
}

static int source_sleep_until(const struct clock *c, int64_t deadline_ns)
{
    if (c->source)
        return c->source->sleep_until_ns(c->source->ctx, deadline_ns);
    struct timespec ts = {
        .tv_sec = (time_t)(deadline_ns / 1000000000),
        .tv_nsec = (long)(deadline_ns % 1000000000),
    };
    int rc;
    do {
        rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
    } while (rc == EINTR);
    return rc == 0 ? BMSRIG_OK : BMSRIG_ERR_IO;
}

int clock_init_with(struct clock *c, enum clock_kind kind, int64_t tick_us,
                    const struct clock_source *src)
{
    if (!c || tick_us <= 0)
        return BMSRIG_ERR_ARG;
    *c = (struct clock){ .kind = kind, .tick_us = tick_us, .source = src };
    if (kind != CLOCK_KIND_REALTIME)
        return BMSRIG_OK;
    int rc = source_now(c, &c->start_ns);
    c->anchor_ns = c->start_ns;
    return rc;
}

int clock_init(struct clock *c, enum clock_kind kind, int64_t tick_us)
{
    return clock_init_with(c, kind, tick_us, NULL);
}

static int late_bucket(int64_t late_us)
{
    int b = 0;
    while (b < CLOCK_LATE_BUCKETS - 1 && late_us >= clock_late_bucket_us[b])
        b++;
    return b;
}

/* A new stall: one overrun of `late_us`. */
static void count_overrun(struct clock *c, int64_t late_us)
{
    c->overruns++;
    c->late_total_us += late_us;
    if (late_us > c->worst_late_us)
        c->worst_late_us = late_us;
    c->late_hist[late_bucket(late_us)]++;
    c->stall_late_us = late_us;
}

/* The current stall (catch-up) turned out later than first seen: the same overrun, moved to its
 * larger lateness. */
static void raise_stall(struct clock *c, int64_t late_us)
{
    c->late_hist[late_bucket(c->stall_late_us)]--;
    c->late_hist[late_bucket(late_us)]++;
    c->late_total_us += late_us - c->stall_late_us;
    if (late_us > c->worst_late_us)
        c->worst_late_us = late_us;
    c->stall_late_us = late_us;
}

int clock_tick(struct clock *c)
{
    c->ticks++;
    c->now_us += c->tick_us;
    if (c->kind != CLOCK_KIND_REALTIME)
        return BMSRIG_OK;
    int64_t deadline_ns = c->anchor_ns + (int64_t)(c->ticks - c->anchor_tick) * c->tick_us * 1000;
    int64_t now_ns = 0;
    if (source_now(c, &now_ns) != BMSRIG_OK)
        return BMSRIG_ERR_IO;
    if (now_ns > deadline_ns) {
        /* Late: the work since the previous tick did not fit (or the host stalled us). */
        int64_t late_us = (now_ns - deadline_ns) / 1000;
        if (!c->behind)
            count_overrun(c, late_us);
        else if (late_us > c->stall_late_us)
            raise_stall(c, late_us);
        if (c->late_policy == CLOCK_LATE_REANCHOR) {
            c->anchor_ns = now_ns;
            c->anchor_tick = c->ticks;
        } else {
            c->behind = true;
        }
        return BMSRIG_OK;
    }
    c->behind = false;
    return source_sleep_until(c, deadline_ns);
}

double clock_now_s(const struct clock *c)
{
    return (double)c->now_us / 1e6;
}

double clock_wall_s(void)
{
    int64_t ns = 0;
    if (monotonic_ns(&ns) != BMSRIG_OK)
        return 0.0;
    return (double)ns / 1e9;
}
