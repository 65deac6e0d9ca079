/* events_html.h: a scenario's events (run_events.h) on its HTML page and in the index: the
 * verdict banner, the expectations, measurements and log lines as tables, and their marks on
 * the plots' time axis (expectation windows shaded green or red, log lines dotted). */
#ifndef BMSRIG_RIG_HTML_EVENTS_HTML_H
#define BMSRIG_RIG_HTML_EVENTS_HTML_H

#include <stddef.h>
#include <stdio.h>

#include "rig/html/run_events.h"
#include "rig/html/svg_plot.h"

/* Appends the events' marks to *marks (realloc'd; *n updated). Labels borrow from `ev`. */
void events_html_marks(const struct run_events *ev, struct svg_mark **marks, size_t *n);

/* The verdict banner (with the scenario's full name and its message), or a note that the run
 * left no events file. */
void events_html_verdict(FILE *out, const struct run_events *ev);

/* The expectations, measurements and log tables. */
void events_html_tables(FILE *out, const struct run_events *ev);

/* Index row cells: verdict, expectations passed/total, each measurement with its limits. */
void events_html_index_cells(FILE *out, const struct run_events *ev);

/* The CSS the above use (part of the page's <style>). */
extern const char events_html_style[];

#endif
