/* result.h: one scenario's result record: its verdict, expectations, measurements and log
 * lines, as scenario_run fills it and the report writers (rig/scenario/report.h) and the Lua
 * binding (rig/scenario/l_engine.h) read and add to it. Depends on nothing but the clock's
 * constants, so that the runner, the binding and the reports all build on it without
 * including each other. */
#ifndef BMSRIG_RIG_RESULT_H
#define BMSRIG_RIG_RESULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rig/realtime/clock.h"

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
    double t_start_s;   /* when its window opened (the call); NAN when not known */
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

/* One fault the engine applied or cleared (rig/scenario/engine_faults.c), in call order. */
struct scenario_fault {
    double t_s;
    bool set;           /* false: cleared (t:clear, "off", mend, short(1/0), ntc:clear ...) */
    char *name;         /* the fault table's name ("bms_tx") or the pack fault's ("cell_short") */
    char *target;       /* pack faults: "group 4 cell 1", "ntc 1", "tap 3"; "" for named ones */
    double value;       /* the value set (NAN for a clear of a named fault) */
    char *args;         /* the call's arguments as text ("0.5", "open", "capacity 0.5 ...") */
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
    struct scenario_fault *faults;  /* every fault applied or cleared (not with --suppress-faults) */
    size_t nfaults, cap_faults;
    struct scenario_fault *suppressed;  /* --suppress-faults: every fault set or clear the script
                                           asked for and the engine did not apply, in call order */
    size_t nsuppressed, cap_suppressed;
    size_t record_bytes;    /* C memory held by expects, measures, logs and faults (outside the Lua
                             * memory cap; the script is stopped past SCENARIO_RECORD_MAX) */
    char *trace_signals;    /* paths of the trace files written, or NULL */
    char *trace_bus;
    /* The controller's firmware version as read from it over its dashboard bus during the
     * run ("1.3.4"); "" when it was not read (never guessed). dut_version_source says what
     * answered ("virtual controller model", "firmware image", "controller on the bench"; static), NULL with "". */
    char dut_version[16];
    const char *dut_version_source;
};

/* The CLI exit code for one scenario's verdict (DESIGN.md section 4): pass and skip 0, fail 1,
 * error 2, rig fault 3, not run (interrupted) 4. */
int scenario_verdict_exit(enum scenario_verdict v);

void scenario_result_init(struct scenario_result *r);
void scenario_result_clear(struct scenario_result *r);  /* frees contents; NULL-safe */

/* Result helpers the Lua binding uses (copy their strings). */
void scenario_result_add_expect(struct scenario_result *r, bool pass, const char *what,
                                const char *where, double t_s, const char *observed,
                                const char *message, double t_start_s);
void scenario_result_add_measure(struct scenario_result *r, const char *name, double value,
                                 const double *min, const double *max, const char *unit,
                                 bool pass, const char *where, double t_s);
void scenario_result_add_log(struct scenario_result *r, double t_s, const char *text);
void scenario_result_add_fault(struct scenario_result *r, double t_s, bool set, const char *name,
                               const char *target, double value, const char *args);
/* The same record for a fault --suppress-faults kept from being applied (r->suppressed). */
void scenario_result_add_suppressed_fault(struct scenario_result *r, double t_s, bool set,
                                          const char *name, const char *target, double value,
                                          const char *args);
void scenario_result_set_message(struct scenario_result *r, const char *msg);

#endif
