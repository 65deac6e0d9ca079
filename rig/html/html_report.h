/* html_report.h: assembles the HTML report (an index page and one page per scenario) from a
 * run's trace folder (NAME.signals.csv, NAME.bus.csv as `bmsrig run --trace` writes them). The
 * plots come from svg_plot; this file owns the pages, the CSV reading and the layout. */
#ifndef BMSRIG_RIG_HTML_HTML_REPORT_H
#define BMSRIG_RIG_HTML_HTML_REPORT_H

#include <stdio.h>

/* Writes out_dir/index.html and out_dir/NAME.html for every NAME.signals.csv in trace_dir
 * (out_dir is created if missing). Returns the number of scenario pages written, or -1 with a
 * message on err (unreadable folder, unwritable page). */
int html_report_build(const char *trace_dir, const char *out_dir, FILE *err);

/* The same, with `notes` (plain text, escaped here) listed under the index's heading: the
 * run's counts and identity, the inputs of a merged report, scenarios that have no page. */
int html_report_build_notes(const char *trace_dir, const char *out_dir,
                            const char *const *notes, size_t nnotes, FILE *err);

#endif
