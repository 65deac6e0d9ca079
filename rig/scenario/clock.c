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

int clock_init(struct clock *c, enum clock_kind kind, int64_t tick_us)
{
    if (!c || tick_us <= 0)
        return BMSRIG_ERR_ARG;
    *c = (struct clock){ .kind = kind, .tick_us = tick_us };
    if (kind == CLOCK_KIND_REALTIME)
        return monotonic_ns(&c->start_ns);
    return BMSRIG_OK;
}

int clock_tick(struct clock *c)
{
    c->ticks++;
    c->now_us += c->tick_us;
    if (c->kind != CLOCK_KIND_REALTIME)
        return BMSRIG_OK;
    int64_t deadline_ns = c->start_ns + c->now_us * 1000;
    int64_t now_ns = 0;
    if (monotonic_ns(&now_ns) != BMSRIG_OK)
        return BMSRIG_ERR_IO;
    if (now_ns > deadline_ns) {
        /* Late: the work of the previous tick did not fit. Count it and run on at once; the
         * next deadline stays on the absolute grid, so the run catches up if it can. */
        c->overruns++;
        int64_t late_us = (now_ns - deadline_ns) / 1000;
        if (late_us > c->worst_late_us)
            c->worst_late_us = late_us;
        return BMSRIG_OK;
    }
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
