/* svg_plot.c: the SVG time-plot writer (min/max envelope per pixel column, markers, axes). */
#include "rig/html/svg_plot.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { MARGIN_LEFT = 60, MARGIN_RIGHT = 10, MARGIN_TOP = 18, MARGIN_BOTTOM = 20 };

static const char *const series_colours[] = {
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
    "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#637939",
};

void svg_put_escaped(FILE *out, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '&': fputs("&amp;", out); break;
        case '"': fputs("&quot;", out); break;
        default:
            if ((unsigned char)*s >= 0x20 || *s == '\t') fputc(*s, out);
        }
    }
}

static void value_range(const struct svg_series *series, size_t nseries, double t0, double t1,
                        double *lo, double *hi)
{
    *lo = INFINITY;
    *hi = -INFINITY;
    for (size_t k = 0; k < nseries; k++)
        for (size_t i = 0; i < series[k].n; i++) {
            double v = series[k].y[i];
            if (!isfinite(v) || series[k].t[i] < t0 || series[k].t[i] > t1) continue;
            if (v < *lo) *lo = v;
            if (v > *hi) *hi = v;
        }
    if (*lo > *hi) return;
    if (*hi - *lo < 1e-9) { /* a flat line sits in the middle of a small band */
        double pad = fabs(*lo) > 1e-9 ? fabs(*lo) * 0.01 : 0.5;
        *lo -= pad;
        *hi += pad;
    } else {
        double pad = (*hi - *lo) * 0.05;
        *lo -= pad;
        *hi += pad;
    }
}

/* One series as a path: per pixel column the first, min, max and last sample, so steps and
 * spikes survive decimation and the point count is bounded by the width. */
static size_t write_envelope(FILE *out, const struct svg_series *s, const char *colour, double t0,
                             double t1, double lo, double hi)
{
    const double plot_w = SVG_PLOT_WIDTH - MARGIN_LEFT - MARGIN_RIGHT;
    const double plot_h = SVG_PLOT_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM;
    const double span = t1 > t0 ? t1 - t0 : 1.0;
    size_t points = 0;
    long column = -1;
    double cmin = 0, cmax = 0, cfirst = 0, clast = 0;
    int have = 0;

    fprintf(out, "<path class=\"series\" stroke=\"%s\" data-col=\"", colour);
    svg_put_escaped(out, s->label);
    fputs("\" d=\"", out);
    for (size_t i = 0; i <= s->n; i++) {
        long col = -1;
        double v = 0;
        if (i < s->n) {
            v = s->y[i];
            if (!isfinite(v) || s->t[i] < t0 || s->t[i] > t1) continue;
            col = (long)((s->t[i] - t0) / span * plot_w);
        }
        if (have && col != column) {
            double x = MARGIN_LEFT + (double)column;
            const double ys[4] = { cfirst, cmin, cmax, clast };
            for (int k = 0; k < 4; k++) {
                double y = MARGIN_TOP + (hi - ys[k]) / (hi - lo) * plot_h;
                fprintf(out, "%c%.1f %.1f", points == 0 ? 'M' : 'L', x, y);
                points++;
            }
            have = 0;
        }
        if (i == s->n) break;
        if (!have) {
            column = col;
            cmin = cmax = cfirst = v;
            have = 1;
        }
        if (v < cmin) cmin = v;
        if (v > cmax) cmax = v;
        clast = v;
    }
    fputs("\"/>\n", out);
    return points;
}

size_t svg_plot_write(FILE *out, const char *title, const char *unit,
                      const struct svg_series *series, size_t nseries, double t0, double t1,
                      const struct svg_mark *marks, size_t nmarks)
{
    const double plot_w = SVG_PLOT_WIDTH - MARGIN_LEFT - MARGIN_RIGHT;
    const double plot_h = SVG_PLOT_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM;
    const double span = t1 > t0 ? t1 - t0 : 1.0;
    double lo, hi;
    size_t points = 0;

    value_range(series, nseries, t0, t1, &lo, &hi);
    fprintf(out, "<svg class=\"plot\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
                 "data-t0=\"%.6f\" data-t1=\"%.6f\" data-cols=\"",
            SVG_PLOT_WIDTH, SVG_PLOT_HEIGHT, t0, t1);
    for (size_t k = 0; k < nseries; k++) {
        if (k) fputc(',', out);
        svg_put_escaped(out, series[k].label);
    }
    fputs("\">\n", out);
    fputs("<text class=\"title\" x=\"4\" y=\"12\">", out);
    svg_put_escaped(out, title);
    if (unit && *unit) {
        fputs(" (", out);
        svg_put_escaped(out, unit);
        fputc(')', out);
    }
    fputs("</text>\n", out);
    fprintf(out, "<rect class=\"area\" x=\"%d\" y=\"%d\" width=\"%.0f\" height=\"%.0f\"/>\n",
            MARGIN_LEFT, MARGIN_TOP, plot_w, plot_h);
    for (size_t k = 0; k < nmarks; k++) {
        double a = marks[k].from_s;
        if (!isfinite(a) || a > marks[k].t_s || marks[k].t_s < t0 || a > t1) continue;
        double xa = MARGIN_LEFT + ((a < t0 ? t0 : a) - t0) / span * plot_w;
        double xb = MARGIN_LEFT + ((marks[k].t_s > t1 ? t1 : marks[k].t_s) - t0) / span * plot_w;
        fprintf(out, "<rect class=\"band %s\" data-t0=\"%.6f\" data-t1=\"%.6f\" x=\"%.1f\" "
                     "y=\"%d\" width=\"%.1f\" height=\"%.0f\"/>\n",
                marks[k].css ? marks[k].css : "bus", a, marks[k].t_s, xa, MARGIN_TOP,
                xb - xa < 0.5 ? 0.5 : xb - xa, plot_h);
    }
    for (size_t k = 0; k < nmarks; k++) {
        if (marks[k].t_s < t0 || marks[k].t_s > t1) continue;
        double x = MARGIN_LEFT + (marks[k].t_s - t0) / span * plot_w;
        fprintf(out, "<line class=\"mark %s\" data-t=\"%.6f\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" "
                     "y2=\"%.0f\">",
                marks[k].css ? marks[k].css : "bus", marks[k].t_s, x, x, MARGIN_TOP,
                MARGIN_TOP + plot_h);
        if (marks[k].label) {
            fprintf(out, "<title>%.3f s: ", marks[k].t_s);
            svg_put_escaped(out, marks[k].label);
            fputs("</title>", out);
        }
        fputs("</line>\n", out);
    }
    if (lo > hi) {
        fprintf(out, "<text class=\"nodata\" x=\"%.0f\" y=\"%.0f\">no data</text>\n</svg>\n",
                MARGIN_LEFT + plot_w / 2, MARGIN_TOP + plot_h / 2);
        return 0;
    }
    for (size_t k = 0; k < nseries; k++) {
        const char *colour = series_colours[k % (sizeof series_colours / sizeof *series_colours)];
        points += write_envelope(out, &series[k], colour, t0, t1, lo, hi);
    }
    fprintf(out, "<text class=\"axis yhi\" x=\"%d\" y=\"%d\" text-anchor=\"end\">%.4g</text>\n",
            MARGIN_LEFT - 4, MARGIN_TOP + 8, hi);
    fprintf(out, "<text class=\"axis ylo\" x=\"%d\" y=\"%.0f\" text-anchor=\"end\">%.4g</text>\n",
            MARGIN_LEFT - 4, MARGIN_TOP + plot_h, lo);
    fprintf(out, "<text class=\"axis tlo\" x=\"%d\" y=\"%d\">%.3f s</text>\n", MARGIN_LEFT,
            SVG_PLOT_HEIGHT - 4, t0);
    fprintf(out, "<text class=\"axis thi\" x=\"%.0f\" y=\"%d\" text-anchor=\"end\">%.3f s</text>\n",
            MARGIN_LEFT + plot_w, SVG_PLOT_HEIGHT - 4, t1);
    /* the legend: one entry per series, up to the palette's size */
    double lx = MARGIN_LEFT + 200;
    for (size_t k = 0; k < nseries && k < 12; k++) {
        const char *colour = series_colours[k % (sizeof series_colours / sizeof *series_colours)];
        fprintf(out, "<text class=\"legend\" x=\"%.0f\" y=\"12\" fill=\"%s\">", lx, colour);
        svg_put_escaped(out, series[k].label);
        fputs("</text>\n", out);
        lx += 14 + 7.0 * (double)strlen(series[k].label);
    }
    fputs("</svg>\n", out);
    return points;
}
