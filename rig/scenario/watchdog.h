/* watchdog.h: the wall-clock watchdog of `bmsrig run --watchdog` and `bmsrig bms --scenario
 * --watchdog`: a scenario (or a file's top-level code while it loads) that makes no progress
 * (no beat of its struct scenario_progress, rig/scenario/scenario.h) for the limit is written off, with
 * the same message and verdict in both commands. A thread stuck inside a C call cannot be
 * cancelled: it is left running at nice 19, asked to stop should it ever come back, and the
 * caller reports and leaves with _exit.
 *
 * The run's multi-worker supervisor (rig/cli/cmd_run.c) and watchdog_run (one scenario, for
 * `bmsrig bms`) share the constants, the timed waits, the watched loading and the texts. */
#ifndef BMSRIG_RIG_WATCHDOG_H
#define BMSRIG_RIG_WATCHDOG_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "rig/scenario/scenario.h"

/* A healthy scenario beats thousands of times a second (every engine tick and every return
 * from the script to the engine), and the instruction budget stops a runaway Lua loop within
 * seconds; what stops the beats for a minute is a call that will not return: a C library
 * function (a pathological string pattern) or a device call that hangs. [I] */
#define WATCHDOG_DEFAULT_S 60.0
/* Below this a limit would catch plain loading and scheduling delays. [I] */
#define WATCHDOG_MIN_S 0.1
/* After SIGINT/SIGTERM a healthy scenario stops within one tick; one still busy this long after
 * the signal is stuck and is written off as not run. [I] */
#define WATCHDOG_INTERRUPT_GRACE_S 1.0

/* A condition variable on CLOCK_MONOTONIC (the clock clock_wall_s reads). */
void watchdog_cond_init(pthread_cond_t *c);
/* Waits on c for at most wait_s seconds (woken early by a signal on c). */
void watchdog_cond_wait_s(pthread_cond_t *c, pthread_mutex_t *m, double wait_s);

/* scenario_load(path), watched: with limit_s > 0 the file loads in a thread of its own (its
 * top-level code runs while loading), and if that has not finished after limit_s seconds this
 * returns NULL with *stuck set; the loading thread is left to itself (it frees what it loaded
 * if it ever comes back). Otherwise as scenario_load. Owned: free with scenario_free. */
struct scenario *watchdog_load(const char *path, double limit_s, bool *stuck);

/* The same, also given up as soon as *stop becomes non-zero (a SIGINT/SIGTERM flag; with stop
 * the file loads in its own thread even when limit_s is 0): NULL with *stuck set, the caller
 * tells the two apart by *stop. */
struct scenario *watchdog_load_until(const char *path, double limit_s,
                                     volatile sig_atomic_t *stop, bool *stuck);

/* The limit that applies to a running scenario: limit_s, raised to 10 of the scenario's own
 * real-time ticks (a real-time scenario beats once per tick, and its declaration may set a
 * longer tick than --tick-ms); 0 stays 0 (off). */
double watchdog_limit_for(double limit_s, const struct scenario_progress *p);

/* Room for a message from the two functions below: a path up to PATH_MAX (4096) and the
 * text around it, so that a long path does not cut off the end (the limit). */
#define WATCHDOG_MESSAGE_CAP 5120

/* The message for a file whose loading was written off. */
void watchdog_load_message(char *buf, size_t cap, const char *path, double limit_s);

/* The message for a scenario written off after idle_s seconds without a beat at scenario time
 * t_s in phase ph: by the watchdog (limit_s), or (interrupted) after SIGINT/SIGTERM. */
void watchdog_stuck_message(char *buf, size_t cap, const char *path, double idle_s, double t_s,
                            enum scenario_phase ph, double limit_s, bool interrupted);

/* The verdict of such a scenario: not run after an interrupt; otherwise fail (like the
 * scenario-time limit), or rig fault when it hangs outside its script while a device (a
 * bench, a controller's serial lines) is open: the infrastructure's, exit 3. */
enum scenario_verdict watchdog_stuck_verdict(enum scenario_phase ph, bool on_device,
                                             bool interrupted);

/* Runs one scenario: scenario_run(s, opt, res) in a thread of its own while the calling thread
 * samples its beats (opt->progress is replaced by the watchdog's own). With limit_s > 0 a
 * scenario without a beat for limit_s seconds is written off; after *opt->interrupted is set,
 * one without a beat for WATCHDOG_INTERRUPT_GRACE_S is written off as not run (with or without
 * a limit). on_device: a device is open (see watchdog_stuck_verdict). res must be zeroed
 * (scenario_result_init).
 * Returns true when the scenario finished: *res is its result. Returns false when it was
 * written off: *res holds the watchdog's verdict and message, *phase where it was stuck, and
 * its thread is still running inside s and whatever opt points to: the caller must not free
 * or close any of them; it reports and leaves with _exit. */
bool watchdog_run(struct scenario *s, const struct scenario_run_options *opt, double limit_s,
                  bool on_device, struct scenario_result *res, enum scenario_phase *phase);

#endif
