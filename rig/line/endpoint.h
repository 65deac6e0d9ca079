/* endpoint.h: the fake BMS in real time on a transport (serial or pty): reads bytes with
 * CLOCK_MONOTONIC timestamps into the link, steps the BMS model on a fixed tick, writes replies
 * when their send time comes, and logs frames in the recording CSV format (rig/line/capture.h). */
#ifndef BMSRIG_RIG_ENDPOINT_H
#define BMSRIG_RIG_ENDPOINT_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "rig/line/link.h"
#include "rig/line/transport.h"
#include "sim/bms.h"

struct endpoint_config {
    double tick_s;                /* BMS model step (default 0.01 s) */
    double duration_s;            /* stop after this long (0 = until *stop is set) */
    FILE *log;                    /* borrowed, may be NULL: frames written as capture rows */
};

struct endpoint_stats {
    uint64_t ticks;
    uint64_t overruns;            /* ticks that started late by more than one tick */
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
