/* run_events.h: reads a scenario's events file (NAME.events.tsv, written beside its traces by
 * `bmsrig run --trace`: rig/scenario/trace_events.h) for the HTML pages: the verdict, every
 * expectation with its window and outcome, every measurement with its limits, the log lines.
 *
 * Format, one event a line, tab-separated, after a "# bmsrig scenario events v1" comment and
 * the header line "t_s kind outcome t_start_s name where value min max unit text":
 *   kind     verdict | expect | measure | log
 *   outcome  verdict: pass, fail, error, skip, not_run; expect and measure: pass or fail
 *   t_s      when it was decided (scenario seconds); t_start_s: an expectation's window start
 *   value, min, max, unit   a measurement's (min/max empty when not limited)
 *   text     verdict: its message; expect: what was observed, then the failure message
 * Text fields escape a backslash, tab and newline as \\, \t and \n. Empty fields are empty. */
#ifndef BMSRIG_RIG_HTML_RUN_EVENTS_H
#define BMSRIG_RIG_HTML_RUN_EVENTS_H

#include <stdbool.h>
#include <stddef.h>

enum run_event_kind { RUN_EV_VERDICT, RUN_EV_EXPECT, RUN_EV_MEASURE, RUN_EV_LOG };

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
};

struct run_events {
    struct run_event *ev;
    size_t n;
    const struct run_event *verdict;   /* borrowed from ev, NULL when the file has none */
    size_t expects, expects_failed, measures, measures_failed, logs;
};

/* Reads path into *out. A missing file gives an empty set and returns false (the page then
 * says the run left no events); lines that do not parse are skipped. Free with
 * run_events_free. */
bool run_events_read(const char *path, struct run_events *out);
void run_events_free(struct run_events *e);   /* NULL-safe, leaves *e empty */

#endif
