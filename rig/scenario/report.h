/* report.h: the run's reports for CI: JUnit XML (Jenkins junit-10.xsd), TAP (13 or 14) and JSON.
 *
 * Writers take the whole run (each scenario with its result) and write to a FILE the caller
 * opened; they can be called again at any time with what is known so far (an interrupted run
 * writes its reports with `complete = false`, unfinished scenarios marked not-run). */
#ifndef BMSRIG_RIG_REPORT_H
#define BMSRIG_RIG_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "rig/scenario/escape.h"   /* report_put_safe, for the progress and summary lines */
#include "rig/scenario/result.h"

struct report_item {
    const char *path;
    const char *name;
    const char *description;          /* may be NULL */
    const char *const *tags;
    size_t ntags;
    const struct scenario_result *res;  /* borrowed */
};

struct report_run {
    const char *bmsrig_version;
    const char *lua_version;
    const char *libftdi_version;
    const char *target;               /* "virtual" or "rig" */
    const char *clock;                /* "virtual" or "realtime" */
    uint64_t seed;
    bool suppress_faults;
    bool complete;                    /* false: interrupted */
    const char *incomplete_reason;    /* why it did not complete when that was not an
                                         interrupt (the bench could not be opened ...);
                                         NULL otherwise. Borrowed */
    double wall_s;
    char timestamp[32];               /* ISO 8601 UTC, start of the run */
    char hostname[128];
    const struct report_item *items;
    size_t n;
    const char *html_href;            /* `run --html`: the pages' folder as seen from the JUnit
                                         file ("html", "../out/html"), so each testcase links
                                         its page; NULL: no links. Borrowed */
};

/* Counts by verdict. */
struct report_counts {
    size_t pass, fail, error, skip, rig_fault, not_run;
};
void report_count(const struct report_run *run, struct report_counts *out);

/* Each returns BMSRIG_OK or BMSRIG_ERR_IO if writing failed. */
int report_write_junit(FILE *out, const struct report_run *run);
int report_write_tap(FILE *out, const struct report_run *run, int version);  /* 13 or 14 */
int report_write_json(FILE *out, const struct report_run *run);

/* Writes to `path` through a temporary file renamed into place, so a reader never sees half a
 * report. `writer` is one of the three above. */
int report_write_file(const char *path, int (*writer)(FILE *, const struct report_run *),
                      const struct report_run *run);

#endif
