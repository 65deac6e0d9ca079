/* clock.h: the engine's time base: a virtual clock (as fast as possible) or a real-time clock
 * (absolute tick deadlines on CLOCK_MONOTONIC, overruns counted).
 *
 * Both count time in microseconds since the run started (`now_us`), advanced one tick at a time
 * by clock_tick(). The virtual clock never sleeps, so a run is as fast as the models allow and
 * reproducible; the real-time clock sleeps until each tick's absolute deadline and counts the
 * ticks whose deadline had already passed when the engine asked (an overrun), never hiding one. */
#ifndef BMSRIG_RIG_CLOCK_H
#define BMSRIG_RIG_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

#define CLOCK_TICK_US_DEFAULT 1000   /* 1 ms tick [D: the ESC's 5 ms loop needs finer steps] */

enum clock_kind {
    CLOCK_KIND_VIRTUAL = 0,   /* advance instantly */
    CLOCK_KIND_REALTIME = 1,  /* follow CLOCK_MONOTONIC */
};

/* Caller-allocated; fill with clock_init. */
struct clock {
    enum clock_kind kind;
    int64_t tick_us;         /* tick length [us], > 0 */
    int64_t now_us;          /* time since start [us]; a multiple of tick_us */
    uint64_t ticks;          /* ticks taken */
    uint64_t overruns;       /* real time only: ticks whose deadline had passed already */
    int64_t worst_late_us;   /* real time only: largest lateness seen [us] */
    int64_t start_ns;        /* real time only: CLOCK_MONOTONIC at start [ns] */
};

/* Sets up `c` at time 0. Returns BMSRIG_ERR_ARG if tick_us <= 0, BMSRIG_ERR_IO if the monotonic
 * clock cannot be read (real time only). */
int clock_init(struct clock *c, enum clock_kind kind, int64_t tick_us);

/* Advances one tick. Virtual: returns at once. Real time: sleeps until start + (ticks+1) x tick
 * (absolute, so lateness never accumulates); if that deadline is already past, counts an overrun
 * and returns without sleeping. Returns BMSRIG_OK (an interrupted sleep is resumed). */
int clock_tick(struct clock *c);

/* Seconds since start. */
double clock_now_s(const struct clock *c);

/* Wall-clock seconds on CLOCK_MONOTONIC (for reporting run durations). */
double clock_wall_s(void);

#endif
