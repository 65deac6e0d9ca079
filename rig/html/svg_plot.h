/* svg_plot.h: writes one time plot as inline SVG text, decimated to min/max envelopes per pixel
 * column so a 12 h trace stays small. Pure writer: the caller owns the data and the stream. */
#ifndef BMSRIG_RIG_HTML_SVG_PLOT_H
#define BMSRIG_RIG_HTML_SVG_PLOT_H

#include <stddef.h>
#include <stdio.h>

/* One line of a plot: n samples at times t[] (seconds, ascending) with values y[]. */
struct svg_series {
    const char *label;
    const double *t;
    const double *y;
    size_t n;
};

/* A vertical marker on the time axis (a fault, a bus event, an expectation's end). */
struct svg_mark {
    double t_s;
    const char *label; /* shown as the marker's tooltip; NULL for none */
    const char *css;   /* CSS class of the marker line: "fault", "bus", "pass", "fail", "log" */
    double from_s;     /* finite: also shade the band from_s .. t_s (an expectation's window) */
};

/* Plot geometry, in SVG user units. */
enum { SVG_PLOT_WIDTH = 900, SVG_PLOT_HEIGHT = 180 };

/* Writes an <svg> element: title, the series over [t0, t1] as envelopes (at most two points per
 * pixel column whatever n is), the y axis range, and the marks. Returns the number of path points
 * written (0 when no series has a finite sample: the plot then says "no data"). */
size_t svg_plot_write(FILE *out, const char *title, const char *unit,
                      const struct svg_series *series, size_t nseries, double t0, double t1,
                      const struct svg_mark *marks, size_t nmarks);

/* Writes s with <, >, & and " escaped for HTML/SVG text and attributes. */
void svg_put_escaped(FILE *out, const char *s);

#endif
