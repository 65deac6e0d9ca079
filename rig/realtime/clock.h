/* clock.h: the rig's one time base: a virtual clock (as fast as possible) or a real-time clock
 * (absolute tick deadlines on CLOCK_MONOTONIC, overruns counted), shared by the scenario engine,
 * `bench mpsse`, the fake BMS endpoint (`bmsrig bms`) and the controller (`bmsrig esc`).
 *
 * Both count time in microseconds since the run started (`now_us`), advanced one tick at a time
 * by clock_tick(). The virtual clock never sleeps, so a run is as fast as the models allow and
 * reproducible; the real-time clock sleeps until each tick's absolute deadline and counts the
 * ticks whose deadline had already passed when the engine asked (an overrun), never hiding one.
 *
 * Two ways to pace: clock_tick() (a tick loop: work, then sleep to the next deadline), or, for an
 * event loop that waits in ppoll() for input too, clock_next_deadline_ns() to bound the wait and
 * clock_tick_at() to take a due tick and account its lateness. Either way the optional spin tail
 * (spin_tail_ns, set by `--rt`) sleeps to a little before the deadline and busy-waits the rest. */
#ifndef BMSRIG_RIG_REALTIME_CLOCK_H
#define BMSRIG_RIG_REALTIME_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

#define CLOCK_TICK_US_DEFAULT 1000   /* 1 ms tick [D: the ESC's 5 ms loop needs finer steps] */

enum clock_kind {
    CLOCK_KIND_VIRTUAL = 0,   /* advance instantly */
    CLOCK_KIND_REALTIME = 1,  /* follow CLOCK_MONOTONIC */
};

/* Lateness histogram bucket upper bounds [us]: < 100 us, < 1 ms, < 10 ms, < 100 ms, the rest. */
#define CLOCK_LATE_BUCKETS 5
extern const int64_t clock_late_bucket_us[CLOCK_LATE_BUCKETS - 1];

/* Where the real-time clock reads time and sleeps; NULL in clock_init means CLOCK_MONOTONIC and
 * clock_nanosleep. Tests inject a fake one to drive lateness without a loaded machine. */
struct clock_source {
    int (*now_ns)(void *ctx, int64_t *out);
    int (*sleep_until_ns)(void *ctx, int64_t deadline_ns);
    void *ctx;
};

/* What the real-time clock does after a late tick. Either way one stall is one overrun of its
 * full lateness (not one per tick it spanned). */
enum clock_late_policy {
    /* Keep the absolute grid: the missed ticks run back to back until the clock is on time
     * again, counted as part of the same overrun. Scenario time stays equal to wall time, which
     * a real controller on the bench (its own clock) needs: the engine's policy. */
    CLOCK_LATE_CATCH_UP = 0,
    /* Re-anchor: the schedule resumes from now (next deadline now + one tick); scenario time
     * then lags wall time by the stall. For pacers with nobody else's clock to follow (bench). */
    CLOCK_LATE_REANCHOR = 1,
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
    int64_t anchor_ns;       /* real time only: the schedule's origin, moved to "now" by a late
                              * tick (re-anchoring) */
    uint64_t anchor_tick;    /* ... and the tick count at that origin */
    enum clock_late_policy late_policy;  /* set after clock_init; CATCH_UP by default */
    bool behind;             /* catch-up: inside a stall, not yet back on the grid */
    int64_t stall_late_us;   /* catch-up: the current stall's lateness so far [us] */
    int64_t late_total_us;   /* real time only: sum of the stalls' lateness [us] */
    uint64_t late_hist[CLOCK_LATE_BUCKETS];  /* overruns by lateness, see clock_late_bucket_us */
    const struct clock_source *source;       /* NULL: CLOCK_MONOTONIC */
    int64_t spin_tail_ns;    /* set after clock_init: busy-wait this last part of each wait
                              * (0: sleep all of it); `--rt`'s tail */
    int64_t late_slack_us;   /* set after clock_init, clock_tick_at only: a tick taken at most
                              * this late is on time (an event loop's wake-up delay); 0 = any
                              * lateness is an overrun */
    int64_t worst_start_us;  /* clock_tick_at only: largest lateness of any tick, slack or
                              * not [us] */
};

/* Sets up `c` at time 0. Returns BMSRIG_ERR_ARG if tick_us <= 0, BMSRIG_ERR_IO if the monotonic
 * clock cannot be read (real time only). */
int clock_init(struct clock *c, enum clock_kind kind, int64_t tick_us);

/* As clock_init, reading time from `src` (NULL: CLOCK_MONOTONIC). `src` must outlive `c`. */
int clock_init_with(struct clock *c, enum clock_kind kind, int64_t tick_us,
                    const struct clock_source *src);

/* Advances one tick. Virtual: returns at once. Real time: sleeps until the tick's absolute
 * deadline anchor + (ticks - anchor_tick) x tick, so jitter never accumulates. If that deadline
 * is already past, the stall is one overrun of its lateness (counted, worst kept, histogram,
 * total): a single stall of X ms is one overrun of X ms, not X / tick overruns. Then, by
 * late_policy, either the missed ticks run at once as part of that overrun (catch-up; a second
 * stall while behind only raises its lateness) or the schedule re-anchors at now (next deadline
 * now + one tick; scenario time, ticks x tick_us, then lags the wall clock by the stall).
 * Returns BMSRIG_OK (an interrupted sleep is resumed), BMSRIG_ERR_IO if time cannot be
 * read. */
int clock_tick(struct clock *c);

/* Real time only: the absolute CLOCK_MONOTONIC (or source) time [ns] at which the next tick is
 * due: anchor + (ticks + 1 - anchor_tick) x tick. */
int64_t clock_next_deadline_ns(const struct clock *c);

/* Real time, for event loops: takes the tick that is due at `now_ns` (>= the next deadline; the
 * caller checked) without sleeping. Its lateness now - deadline is counted as in clock_tick
 * (one overrun per stall, by late_policy) when it exceeds late_slack_us. Call it again while
 * the next deadline is still <= now (catch-up) or once (re-anchor). Virtual: as clock_tick. */
void clock_tick_at(struct clock *c, int64_t now_ns);

/* Waits until `deadline_ns` on the clock's source: sleeps, then busy-waits the last
 * spin_tail_ns. Returns BMSRIG_OK or BMSRIG_ERR_IO. */
int clock_wait_until(const struct clock *c, int64_t deadline_ns);

/* Reads the clock's source [ns] (CLOCK_MONOTONIC unless injected). */
int clock_source_now_ns(const struct clock *c, int64_t *out);

/* Microseconds since the clock started, at source time `now_ns` (real time only). */
int64_t clock_since_start_us(const struct clock *c, int64_t now_ns);

/* Seconds since start. */
double clock_now_s(const struct clock *c);

/* Wall-clock seconds on CLOCK_MONOTONIC (for reporting run durations). */
double clock_wall_s(void);

#endif
