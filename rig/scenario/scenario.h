/* scenario.h: one scenario file: load it (sandboxed, text only), read its scenario{...}
 * declaration, run it as a coroutine against the engine, and collect its result (verdict,
 * expectations, measurements, log lines).
 *
 * Lifecycle: scenario_load -> (filter on name/tags) -> scenario_run -> scenario_free. Every Lua
 * error becomes a result (SCENARIO_ERROR with file:line and traceback), never a crash. */
#ifndef BMSRIG_RIG_SCENARIO_H
#define BMSRIG_RIG_SCENARIO_H

#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rig/realtime/clock.h"
#include "rig/scenario/result.h"

struct rig_hw;
struct dut_serial;
struct dut_firmware_config;

/* Settings given on the command line that win over the scenario's declaration, field by
 * field (bmsrig bms --profile/--cell/--pack/--soc/--temp). NULL strings and NAN numbers leave
 * the declaration's value. Strings borrowed. */
struct scenario_overrides {
    const char *bms;             /* BMS profile name */
    const char *cell;            /* cell parameter set */
    const char *pack;            /* topology "10s3p" */
    double soc;                  /* 0..1 */
    double temp_c;               /* cell and ambient temperature */
};

/* Where a running scenario is, for a watchdog in another thread (`bmsrig run --watchdog`).
 * scenario_run writes it; any thread may read it (atomics, relaxed order: a sample, not a
 * synchronisation). "Progress" is one more beat: every engine tick and every return from the
 * script to the engine beats, so a script that stays inside one call (a C library function the
 * instruction budget cannot interrupt) or a tick that never returns stops the beats. */
enum scenario_phase {
    SCENARIO_PHASE_SETUP = 0,   /* building the engine, opening traces */
    SCENARIO_PHASE_SCRIPT,      /* running the script's Lua code (between two engine steps) */
    SCENARIO_PHASE_ENGINE,      /* advancing the engine (ticks: models, devices, serial) */
    SCENARIO_PHASE_CLOSING,     /* verdict, then the engine (safe state on a bench) and traces
                                   closed: one beat on entry, so a slow close gets a full limit */
    SCENARIO_PHASE_DONE,        /* scenario_run returned or is about to */
};

struct scenario_progress {
    atomic_uint_fast64_t beats;   /* grows while the scenario makes progress */
    atomic_int phase;             /* enum scenario_phase */
    atomic_int_fast64_t sim_us;   /* scenario time reached, us */
    atomic_int cancel;            /* set by the watchdog: stop at the next tick or yield (the
                                     scenario was written off; its result is not wanted) */
    atomic_int_fast64_t floor_us; /* the shortest limit fair to this scenario: 10 of its ticks
                                     on the real-time clock (its own tick_ms counts), else 0 */
    /* The scenario's last command (engine_last_event), for progress lines: a seqlock, odd
     * event_seq while the worker writes; read with scenario_progress_event. */
    atomic_uint event_seq;
    atomic_int_fast64_t event_us;
    _Atomic char event[64];
};

/* Copies the last command's text into buf (always NUL-terminated; "" = none yet) and its
 * scenario time into *t_s. False if the worker was writing it at that moment (try later).
 * Any thread. */
bool scenario_progress_event(const struct scenario_progress *p, char *buf, size_t len,
                             double *t_s);

/* Zeroes the progress (phase SETUP) before a run. */
void scenario_progress_reset(struct scenario_progress *p);

/* How to run (from the command line). */
struct scenario_run_options {
    enum clock_kind clock;
    int64_t tick_us;             /* default CLOCK_TICK_US_DEFAULT */
    int64_t spin_tail_us;        /* real time: the clock's busy-wait tail (`--rt`), 0 = none */
    uint64_t seed;               /* run seed */
    bool suppress_faults;
    const char *trace_dir;       /* NULL: no traces */
    int64_t trace_every_us;      /* signals CSV decimation */
    const char *output_dir;      /* where t:output() files go; NULL = none */
    const char *target;          /* "virtual", "rig" (a bench), "serial" (bmsrig bms: no
                                    bench, only the controller's serial lines in dut), or
                                    "firmware" (an image on the emulated MCU) */
    struct rig_hw *rig;          /* the open bench for target "rig" (borrowed) */
    struct dut_serial *dut;      /* a real controller on serial lines (borrowed) or NULL */
    const struct dut_firmware_config *firmware;  /* target "firmware": each run opens its own
                                    MCU from this image (borrowed) or NULL */
    const struct scenario_overrides *overrides;  /* borrowed; NULL = the declaration only */
    const char *bus_log;         /* the bus log (capture CSV) goes here instead of trace_dir */
    double timeout_default_s;    /* scenario-time limit when the scenario sets none */
    double gap_chars;            /* the fake BMS receiver's gap reset in character times
                                    (`bmsrig bms --gap-reset`); 0 = the link's default */
    uint64_t instr_budget;       /* 0 = default */
    volatile sig_atomic_t *interrupted;  /* set by the signal handler; may be NULL */
    struct scenario_progress *progress;  /* beats for a watchdog (borrowed); NULL = unwatched */
};

void scenario_run_options_default(struct scenario_run_options *o);

struct scenario;

/* Loads `path` and evaluates it: it must return scenario{...}. Always returns an object
 * (NULL only when out of memory); if loading failed, scenario_load_error() says why
 * ("path:line: ..." with a traceback) and the scenario runs as SCENARIO_ERROR. Owned. */
struct scenario *scenario_load(const char *path);
void scenario_free(struct scenario *s);   /* NULL-safe */

/* Borrowed, valid until scenario_free. name falls back to the file name when loading failed. */
const char *scenario_path(const struct scenario *s);
const char *scenario_name(const struct scenario *s);
const char *scenario_description(const struct scenario *s);
const char *scenario_load_error(const struct scenario *s);   /* NULL when it loaded */
size_t scenario_tag_count(const struct scenario *s);
const char *scenario_tag(const struct scenario *s, size_t i);
bool scenario_has_tag(const struct scenario *s, const char *tag);

/* Checks, without running anything, that the scenario's declaration (with opt->overrides
 * applied) builds the engine's models and names only known capabilities: so that a command can
 * refuse a bad file before it opens a port. BMSRIG_OK, or BMSRIG_ERR_PARSE with
 * "path:line: ..." in err (the load error itself if loading failed). */
int scenario_check(struct scenario *s, const struct scenario_run_options *opt, char *err,
                   size_t errcap);

/* Runs the scenario once and fills *res (zero it first with scenario_result_init). Returns the
 * verdict. Never aborts the process on script errors. */
enum scenario_verdict scenario_run(struct scenario *s, const struct scenario_run_options *opt,
                                   struct scenario_result *res);

/* The per-scenario seed: a hash of the run seed and the path, so a scenario's randomness does
 * not depend on which other scenarios run or in what order. */
uint64_t scenario_seed(uint64_t run_seed, const char *path);

#endif
