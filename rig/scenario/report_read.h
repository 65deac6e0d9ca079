/* report_read.h: reads a JSON run report (format bmsrig-report-1, as report_write_json writes
 * it; docs/run-report.schema.json) back into a struct report_run, so that reports can be
 * merged (`bmsrig report merge`) and written again by the same writers.
 *
 * The reader is strict about what the writers need (every required key with its type) and
 * names the file and the key on any error. It keeps integers exact (seeds are 64-bit). */
#ifndef BMSRIG_RIG_REPORT_READ_H
#define BMSRIG_RIG_REPORT_READ_H

#include <stddef.h>

#include "rig/scenario/report.h"

/* One report read from a file: the run (its strings and results owned here). */
struct report_doc {
    struct report_run run;
    struct report_item *items;          /* run.items */
    struct scenario_result *results;    /* items[i].res = &results[i] */
    struct report_source *sources;      /* run.sources: a merged report's "merged_from" */
    char **strings;                     /* every string the run and items point to */
    size_t nstrings, capstrings;
};

/* Reads `path`. BMSRIG_OK, BMSRIG_ERR_IO (unreadable), BMSRIG_ERR_PARSE ("path: ..." in err:
 * not JSON, or not a bmsrig-report-1 document), BMSRIG_ERR_NOMEM. *out owned:
 * report_doc_free (NULL-safe). */
int report_read_json(const char *path, struct report_doc **out, char *err, size_t errcap);
void report_doc_free(struct report_doc *d);

#endif
