/* run_events.h: reads a scenario's events file (NAME.events.tsv, written beside its traces by
 * `bmsrig run --trace`: rig/scenario/trace_events.h) for the HTML pages: the verdict, every
 * expectation with its window and outcome, every measurement with its limits, every fault set
 * and cleared, the log lines.
 *
 * Format, one event a line, tab-separated, after a "# bmsrig scenario events v1" comment and
 * the header line "t_s kind outcome t_start_s name where value min max unit text":
 *   kind     verdict | expect | measure | fault | fault_suppressed | log
 *   outcome  verdict: pass, fail, error, skip, not_run; expect and measure: pass or fail;
 *            fault, fault_suppressed: set or clear (fault_suppressed: a fault the script set or
 *            cleared that --suppress-faults kept off; its fields are a fault's)
 *   t_s      when it was decided (scenario seconds); t_start_s: an expectation's window start;
 *            a fault's: when the engine applied or cleared it
 *   name     fault: the fault table's name (bms_tx, esc_resistor ...) or the pack fault's
 *            (cell_short, cell_open, cell_weak, group_soc, group_mv, sense_open, sense_leak,
 *            moisture, ntc)
 *   where    expect, measure: script file:line; fault: a pack fault's target ("group 4 cell 1",
 *            "ntc 1", "group 2 top sense wire"), empty for a named fault
 *   value, min, max, unit   a measurement's (min/max empty when not limited); a fault set's value
 *   text     verdict: its message; expect: what was observed, then the failure message; fault:
 *            its arguments as words ("0.5 ohm", "open", "drift 5", "clear")
 * A fault is active from a `set` row to the next `clear` row with the same name and where (or
 * the end of the scenario).
 * Text fields escape a backslash, tab and newline as \\, \t and \n. Empty fields are empty. */
#ifndef BMSRIG_RIG_HTML_RUN_EVENTS_H
#define BMSRIG_RIG_HTML_RUN_EVENTS_H

#include <stdbool.h>
#include <stddef.h>

enum run_event_kind {
    RUN_EV_VERDICT, RUN_EV_EXPECT, RUN_EV_MEASURE, RUN_EV_FAULT, RUN_EV_FAULT_SUPPRESSED, RUN_EV_LOG
};

struct run_event {
    enum run_event_kind kind;
    double t_s;
    double t_start_s;          /* NAN when not given */
    char *outcome;             /* owned strings, never NULL ("" when empty) */
    char *name;
    char *where;
    double value, min, max;    /* NAN when not given */
    char *unit;
    char *text;
    char *summary;             /* fault: "name where set: text" (a marker's label); else "" */
};

struct run_events {
    struct run_event *ev;
    size_t n;
    const struct run_event *verdict;   /* borrowed from ev, NULL when the file has none */
    size_t expects, expects_failed, measures, measures_failed, faults, faults_suppressed, logs;
};

/* True when a and b are rows of the same fault (kind fault, same name and where). */
bool run_event_same_fault(const struct run_event *a, const struct run_event *b);

/* Reads path into *out. A missing file gives an empty set and returns false (the page then
 * says the run left no events); lines that do not parse are skipped. Free with
 * run_events_free. */
bool run_events_read(const char *path, struct run_events *out);
void run_events_free(struct run_events *e);   /* NULL-safe, leaves *e empty */

#endif
