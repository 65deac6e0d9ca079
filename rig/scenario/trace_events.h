/* trace_events.h: a scenario's events beside its traces (`bmsrig run --trace DIR` writes
 * DIR/NAME.events.tsv): the verdict, every expectation with its window and outcome, every
 * measurement with its limits, and the log lines, so the HTML report (rig/html/run_events.h,
 * which documents the format) is built from the traces alone. */
#ifndef BMSRIG_RIG_SCENARIO_TRACE_EVENTS_H
#define BMSRIG_RIG_SCENARIO_TRACE_EVENTS_H

#include <stdio.h>

#include "rig/scenario/result.h"

/* Writes the events of `res` (a finished scenario called `name`) to `out`. Returns BMSRIG_OK
 * or BMSRIG_ERR_IO. */
int trace_events_write(FILE *out, const char *name, const struct scenario_result *res);

/* Same, to a file at `path` (created or truncated). */
int trace_events_write_file(const char *path, const char *name, const struct scenario_result *res);

#endif
