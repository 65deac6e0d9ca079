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

struct rig_hw;
struct dut_serial;
struct dut_firmware_config;

enum scenario_verdict {
    SCENARIO_PASS = 0,
    SCENARIO_FAIL,      /* an expectation or a measurement failed: the DUT misbehaved */
    SCENARIO_ERROR,     /* the script is wrong (Lua error, bad declaration): bad input */
    SCENARIO_SKIP,      /* the target cannot do what the scenario needs (reason given) */
    SCENARIO_RIG_FAULT, /* infrastructure failed (device, serial) */
    SCENARIO_NOT_RUN,   /* interrupted before it started or finished */
};

const char *scenario_verdict_name(enum scenario_verdict v);

/* One expectation as checked. Strings owned by the result. */
struct scenario_expect {
    char *what;         /* "error 21", "battery current in [0, 1] A" ... */
    char *where;        /* "scripts/x.lua:12" */
    double t_s;         /* scenario time when it was decided */
    bool pass;
    char *observed;     /* the observed value as text */
    char *message;      /* failure message ("" when passed) */
};

struct scenario_measure {
    char *name;
    double value;
    bool has_min, has_max;
    double min, max;
    char *unit;
    bool pass;
    char *where;
    double t_s;
};

struct scenario_log {
    double t_s;
    char *text;
};

/* Bytes of log lines, expectations and measurements one scenario may record [I: far above
 * any real scenario's few kilobytes, far below the machine's memory]. */
#define SCENARIO_RECORD_MAX (64u << 20)

struct scenario_result {
    enum scenario_verdict verdict;
    char *message;          /* failure / error (with traceback) / skip reason; NULL on pass */
    double sim_time_s;      /* scenario time reached */
    double wall_s;          /* wall-clock duration of the run */
    uint64_t seed;          /* the scenario's own seed (derived from the run seed and path) */
    uint64_t ticks;
    uint64_t overruns;      /* real-time clock only */
    int64_t worst_late_us;
    int64_t late_total_us;  /* real-time clock only: sum of all ticks' lateness [us] */
    uint64_t late_hist[CLOCK_LATE_BUCKETS];  /* overruns by lateness (clock_late_bucket_us) */
    uint64_t instructions;  /* Lua VM instructions used */
    unsigned faults_requested;  /* fault injections the script asked for */
    unsigned faults_applied;    /* ... and that the engine applied (0 with --suppress-faults) */
    bool incomplete;        /* interrupted */
    struct scenario_expect *expects;
    size_t nexpects, cap_expects;
    struct scenario_measure *measures;
    size_t nmeasures, cap_measures;
    struct scenario_log *logs;
    size_t nlogs, cap_logs;
    size_t record_bytes;    /* C memory held by expects, measures and logs (outside the Lua
                             * memory cap; the script is stopped past SCENARIO_RECORD_MAX) */
    char *trace_signals;    /* paths of the trace files written, or NULL */
    char *trace_bus;
};

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
};

/* Zeroes the progress (phase SETUP) before a run. */
void scenario_progress_reset(struct scenario_progress *p);

/* How to run (from the command line). */
struct scenario_run_options {
    enum clock_kind clock;
    int64_t tick_us;             /* default CLOCK_TICK_US_DEFAULT */
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
    uint64_t instr_budget;       /* 0 = default */
    volatile sig_atomic_t *interrupted;  /* set by the signal handler; may be NULL */
    struct scenario_progress *progress;  /* beats for a watchdog (borrowed); NULL = unwatched */
};

void scenario_run_options_default(struct scenario_run_options *o);

/* The CLI exit code for one scenario's verdict (DESIGN.md section 4): pass and skip 0, fail 1,
 * error 2, rig fault 3, not run (interrupted) 4. */
int scenario_verdict_exit(enum scenario_verdict v);

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

void scenario_result_init(struct scenario_result *r);
void scenario_result_clear(struct scenario_result *r);  /* frees contents; NULL-safe */

/* Result helpers the Lua binding uses (copy their strings). */
void scenario_result_add_expect(struct scenario_result *r, bool pass, const char *what,
                                const char *where, double t_s, const char *observed,
                                const char *message);
void scenario_result_add_measure(struct scenario_result *r, const char *name, double value,
                                 const double *min, const double *max, const char *unit,
                                 bool pass, const char *where, double t_s);
void scenario_result_add_log(struct scenario_result *r, double t_s, const char *text);
void scenario_result_set_message(struct scenario_result *r, const char *msg);

/* The per-scenario seed: a hash of the run seed and the path, so a scenario's randomness does
 * not depend on which other scenarios run or in what order. */
uint64_t scenario_seed(uint64_t run_seed, const char *path);

#endif
