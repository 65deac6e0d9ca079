/* report_merge_html.h: the HTML side of `bmsrig report merge --html DIR` (report_merge.c):
 * gathers every merged scenario's traces (NAME.signals.csv, NAME.bus.csv, NAME.events.tsv) from
 * the shards into DIR/traces, then builds one index and one page per scenario from them, as
 * `bmsrig run --html` does, and writes DIR/report.json (the merged JSON report).
 *
 * Lifecycle: html_merge_begin (DIR must not exist or be empty), html_merge_take per input
 * (after report merge has refused duplicates and other runs; it points each scenario's trace
 * paths at DIR/traces), html_merge_write once, html_merge_free. */
#ifndef BMSRIG_RIG_CLI_REPORT_MERGE_HTML_H
#define BMSRIG_RIG_CLI_REPORT_MERGE_HTML_H

#include <stdio.h>

#include "rig/scenario/report_read.h"

struct html_copy;

struct html_merge {
    const char *out_dir;        /* borrowed */
    struct html_copy *copies;   /* owned */
    size_t n;
};

/* 0, or -1 with a message on err (DIR holds files already, or is not a folder). */
int html_merge_begin(struct html_merge *m, const char *out_dir, FILE *err);

/* Records where input `input`'s scenarios have their traces: in `folder`/traces when the input
 * is a `run --html` folder (folder non-NULL) and they are there, else at the paths its report
 * names. 0, or -1 with a message on err: a scenario's signals trace is in neither place, or two
 * scenarios have traces of the same name (their pages would be one file). */
int html_merge_take(struct html_merge *m, struct report_doc *doc, const char *input,
                    const char *folder, FILE *err);

/* Copies the traces, builds the pages (the index opens with report_notes of `run`) and writes
 * DIR/report.json. Returns the number of scenario pages, or -1 with a message on err. */
int html_merge_write(struct html_merge *m, const struct report_run *run, FILE *err);

void html_merge_free(struct html_merge *m);

#endif
