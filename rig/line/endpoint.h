/* endpoint.h: the fake BMS in real time on a transport (serial or pty): reads bytes with
 * CLOCK_MONOTONIC timestamps into the link, steps the BMS model on a fixed tick paced by the rig's
 * real-time clock (rig/realtime/clock.h: absolute deadlines, a late tick is one overrun and the
 * schedule re-anchors), writes replies when their send time comes, and logs frames in the
 * recording CSV format (rig/line/capture.h). */
#ifndef BMSRIG_RIG_ENDPOINT_H
#define BMSRIG_RIG_ENDPOINT_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "rig/line/link.h"
#include "rig/line/transport.h"
#include "rig/realtime/clock.h"
#include "sim/bms.h"

struct endpoint_config {
    double tick_s;                /* BMS model step (default 0.01 s) */
    double duration_s;            /* stop after this long (0 = until *stop is set) */
    FILE *log;                    /* borrowed, may be NULL: frames written as capture rows */
    int64_t spin_tail_us;         /* busy-poll the line this long before each deadline (--rt);
                                   * 0 = sleep in ppoll all the way */
};

/* A BMS tick taken later than this after its deadline is an overrun: the lesser of half a tick
 * and 1 ms [I: a 10 ms model step that starts 1 ms late changes no reply; ppoll wakes 0.05-0.1 ms
 * late on an idle host, which is not a stall]. */
#define ENDPOINT_LATE_SLACK_US_MAX 1000

struct endpoint_stats {
    uint64_t ticks;
    uint64_t overruns;            /* stalls: ticks taken later than the slack, each stall once */
    struct clock pacer;           /* the BMS tick clock at the end: worst lateness, total,
                                   * histogram (rig/realtime/clock.h) */
    uint64_t bytes_in, bytes_out;
    uint64_t frames_in, frames_out;
};

/* Inputs source: called before each model step to refresh the snapshot (may be NULL: the
 * snapshot given to endpoint_run stays as it is). */
typedef void (*endpoint_inputs_fn)(void *user, int64_t now_us, struct bms_inputs *in);

/* Runs until *stop becomes non-zero (set it from a SIGINT/SIGTERM handler) or duration_s
 * passes. The transport, BMS and link are borrowed. Returns BMSRIG_OK on a clean stop,
 * BMSRIG_ERR_IO if the transport fails. The log is flushed before returning. */
int endpoint_run(const struct endpoint_config *cfg, struct transport *t, struct bms *b,
                 struct link *l, struct bms_inputs *in, endpoint_inputs_fn refresh,
                 void *user, volatile sig_atomic_t *stop, struct endpoint_stats *stats);

#endif
