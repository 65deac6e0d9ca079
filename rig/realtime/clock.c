/* clock.c: virtual and real-time tick clocks: the engine's, the benches' and the endpoints'. */
#include "rig/realtime/clock.h"

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

static int sleep_abs(int64_t deadline_ns)
{
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

static int source_sleep_until(const struct clock *c, int64_t deadline_ns)
{
    if (c->source)
        return c->source->sleep_until_ns(c->source->ctx, deadline_ns);
    if (c->spin_tail_ns <= 0)
        return sleep_abs(deadline_ns);
    /* Sleep to the start of the tail, then read the clock until the deadline: the wake-up
     * delay of the sleep falls inside the tail instead of after the deadline. */
    int rc = sleep_abs(deadline_ns - c->spin_tail_ns);
    int64_t now = 0;
    while (rc == BMSRIG_OK && (rc = monotonic_ns(&now)) == BMSRIG_OK && now < deadline_ns)
        ;
    return rc;
}

int clock_wait_until(const struct clock *c, int64_t deadline_ns)
{
    return source_sleep_until(c, deadline_ns);
}

int clock_source_now_ns(const struct clock *c, int64_t *out)
{
    return source_now(c, out);
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

/* Accounts a tick whose deadline passed `late_us` ago: a new stall is one overrun, a stall
 * still being caught up only raises its lateness; then re-anchors or marks the catch-up. */
static void account_late(struct clock *c, int64_t now_ns, int64_t late_us)
{
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
}

static int64_t deadline_of(const struct clock *c, uint64_t tick)
{
    return c->anchor_ns + (int64_t)(tick - c->anchor_tick) * c->tick_us * 1000;
}

int clock_tick(struct clock *c)
{
    c->ticks++;
    c->now_us += c->tick_us;
    if (c->kind != CLOCK_KIND_REALTIME)
        return BMSRIG_OK;
    int64_t deadline_ns = deadline_of(c, c->ticks);
    int64_t now_ns = 0;
    if (source_now(c, &now_ns) != BMSRIG_OK)
        return BMSRIG_ERR_IO;
    if (now_ns > deadline_ns) {
        /* Late: the work since the previous tick did not fit (or the host stalled us). */
        account_late(c, now_ns, (now_ns - deadline_ns) / 1000);
        return BMSRIG_OK;
    }
    c->behind = false;
    return source_sleep_until(c, deadline_ns);
}

int64_t clock_next_deadline_ns(const struct clock *c)
{
    return deadline_of(c, c->ticks + 1);
}

void clock_tick_at(struct clock *c, int64_t now_ns)
{
    c->ticks++;
    c->now_us += c->tick_us;
    if (c->kind != CLOCK_KIND_REALTIME)
        return;
    int64_t late_us = (now_ns - deadline_of(c, c->ticks)) / 1000;
    if (late_us > c->worst_start_us)
        c->worst_start_us = late_us;
    if (late_us > c->late_slack_us) {
        account_late(c, now_ns, late_us);
        return;
    }
    c->behind = false;
}

int64_t clock_since_start_us(const struct clock *c, int64_t now_ns)
{
    return (now_ns - c->start_ns) / 1000;
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
