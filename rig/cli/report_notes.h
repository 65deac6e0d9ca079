/* report_notes.h: the lines an HTML report's index opens with (rig/html html_report_build_notes),
 * made from a run's report: its counts, what ran it (seed, target, clock, version, host, bench),
 * the inputs of a merged report, and the scenarios that have no page (no traces: an error while
 * loading, not run). `bmsrig run --html` and `bmsrig report merge --html` share them. */
#ifndef BMSRIG_RIG_CLI_REPORT_NOTES_H
#define BMSRIG_RIG_CLI_REPORT_NOTES_H

#include <stddef.h>

#include "rig/scenario/report.h"

struct report_notes {
    char **lines;   /* owned */
    size_t n;
};

/* Fills *notes (empty on allocation failure: the index then just has no notes). */
void report_notes_make(const struct report_run *run, struct report_notes *notes);
void report_notes_free(struct report_notes *notes);

#endif
