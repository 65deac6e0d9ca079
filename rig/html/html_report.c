/* html_report.c: the HTML report's pages: reads trace CSVs, lays out the plots and tables. */
#include "rig/html/html_report.h"
#include "rig/html/events_html.h"
#include "rig/html/page_script.h"
#include "rig/html/svg_plot.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* A CSV held as columns of numbers (non-numbers read as NaN). */
struct table {
    char **names;
    size_t ncols;
    double **cols;
    size_t nrows, cap;
};

static void table_free(struct table *tb)
{
    for (size_t c = 0; c < tb->ncols; c++) {
        free(tb->names[c]);
        free(tb->cols[c]);
    }
    free(tb->names);
    free(tb->cols);
    memset(tb, 0, sizeof *tb);
}

static void strip_eol(char *line)
{
    line[strcspn(line, "\r\n")] = '\0';
}

static int table_read(const char *path, struct table *tb)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t len = 0;
    memset(tb, 0, sizeof *tb);
    if (!f) return -1;
    while (getline(&line, &len, f) > 0 && line[0] == '#') {}
    if (!line || !*line) goto fail;
    strip_eol(line);
    for (char *p = line, *tok; (tok = strsep(&p, ","));) {
        char **names = realloc(tb->names, (tb->ncols + 1) * sizeof *names);
        double **cols = realloc(tb->cols, (tb->ncols + 1) * sizeof *cols);
        if (!names || !cols) { free(names ? names : tb->names); free(cols ? cols : tb->cols); goto fail; }
        tb->names = names;
        tb->cols = cols;
        tb->names[tb->ncols] = strdup(tok);
        tb->cols[tb->ncols] = NULL;
        tb->ncols++;
    }
    while (getline(&line, &len, f) > 0) {
        if (line[0] == '#') continue;
        strip_eol(line);
        if (tb->nrows == tb->cap) {
            size_t cap = tb->cap ? tb->cap * 2 : 1024;
            for (size_t c = 0; c < tb->ncols; c++) {
                double *col = realloc(tb->cols[c], cap * sizeof *col);
                if (!col) goto fail;
                tb->cols[c] = col;
            }
            tb->cap = cap;
        }
        char *p = line;
        for (size_t c = 0; c < tb->ncols; c++) {
            char *tok = p ? strsep(&p, ",") : NULL;
            char *end = NULL;
            double v = tok && *tok ? strtod(tok, &end) : NAN;
            tb->cols[c][tb->nrows] = (tok && end && *end == '\0') ? v : NAN;
        }
        tb->nrows++;
    }
    free(line);
    fclose(f);
    return 0;
fail:
    free(line);
    fclose(f);
    table_free(tb);
    return -1;
}

static const double *table_col(const struct table *tb, const char *name)
{
    for (size_t c = 0; c < tb->ncols; c++)
        if (strcmp(tb->names[c], name) == 0) return tb->cols[c];
    return NULL;
}

/* One bus-log row kept for the page: time, wire, frame, and what the fault did to it. */
struct bus_event {
    double t_s;
    int from_bms; /* 1: bms_tx (reply), 0: esc_tx (request) */
    char check[32];
    char frame[96];
};

struct bus_log {
    struct bus_event *ev;
    size_t n;
    size_t faulted; /* rows whose check is not "ok" */
    char source[512]; /* the scenario file named in the header comment */
};

static void bus_read(const char *path, struct bus_log *log)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t len = 0, cap = 0;
    memset(log, 0, sizeof *log);
    if (!f) return;
    while (getline(&line, &len, f) > 0) {
        strip_eol(line);
        if (line[0] == '#') {
            const char *k = strstr(line, "trace: ");
            if (k && !log->source[0]) {
                snprintf(log->source, sizeof log->source, "%s", k + 7);
                log->source[strcspn(log->source, "(")] = '\0';
                for (size_t end = strlen(log->source); end > 0 && log->source[end - 1] == ' ';)
                    log->source[--end] = '\0';
            }
            continue;
        }
        char *p = line;
        char *t = strsep(&p, ","), *wire = strsep(&p, ","), *frame = strsep(&p, ","),
             *check = strsep(&p, ",");
        char *end;
        if (!t || !wire || !frame || !check) continue;
        double ts = strtod(t, &end);
        if (*end) continue; /* the column header */
        if (log->n == cap) {
            size_t ncap = cap ? cap * 2 : 512;
            struct bus_event *ev = realloc(log->ev, ncap * sizeof *ev);
            if (!ev) break;
            log->ev = ev;
            cap = ncap;
        }
        struct bus_event *e = &log->ev[log->n++];
        e->t_s = ts;
        e->from_bms = strcmp(wire, "bms_tx") == 0;
        snprintf(e->check, sizeof e->check, "%s", check);
        snprintf(e->frame, sizeof e->frame, "%s", frame);
        if (strcmp(check, "ok") != 0) log->faulted++;
    }
    free(line);
    fclose(f);
}

/* True where row i's check differs from the previous row's on the same wire (a fault set or
 * cleared on that wire), or where the first row of a wire is already changed. */
static int bus_edge(const struct bus_log *log, size_t i)
{
    for (size_t k = i; k-- > 0;)
        if (log->ev[k].from_bms == log->ev[i].from_bms)
            return strcmp(log->ev[k].check, log->ev[i].check) != 0;
    return strcmp(log->ev[i].check, "ok") != 0;
}

static const char page_style[] =
    "<style>\n"
    "body{font:14px sans-serif;margin:1em 2em;color:#222}\n"
    "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;text-align:left}\n"
    "svg.plot{width:100%;max-width:1100px;display:block;margin:6px 0}\n"
    "svg .area{fill:#fafafa;stroke:#bbb}svg .series{fill:none;stroke-width:1.2}\n"
    "svg text{font:11px sans-serif}svg .title{font-weight:bold}svg .axis{fill:#555}\n"
    "svg .mark{stroke-width:1;opacity:.6}svg .mark.fault{stroke:#d00}svg .mark.bus{stroke:#f90}\n"
    "svg .req{fill:#1f77b4}svg .rep{fill:#2ca02c}svg .bad{fill:#d00}\n"
    "svg.plot{cursor:crosshair}svg .sel{fill:#48f;opacity:.2}\n"
    ".ok{color:#080}.fault{color:#c00}\n"
    "</style>\n";

static void page_head(FILE *out, const char *title)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>", out);
    svg_put_escaped(out, title);
    fputs("</title>\n", out);
    fputs(page_style, out);
    fputs("<style>\n", out);
    fputs(events_html_style, out);
    fputs("</style>\n</head><body>\n", out);
}

/* The bus timeline: requests on the upper lane, replies on the lower, faulted frames in red. */
static void bus_timeline(FILE *out, const struct bus_log *log, double t0, double t1)
{
    const double left = 60, width = SVG_PLOT_WIDTH - 70, span = t1 > t0 ? t1 - t0 : 1;
    fprintf(out, "<svg class=\"plot bus\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d 82\">\n",
            SVG_PLOT_WIDTH);
    fputs("<text class=\"title\" x=\"4\" y=\"12\">bus: requests (esc_tx), replies (bms_tx); red = "
          "changed by a fault</text>\n",
          out);
    fprintf(out, "<rect class=\"area\" x=\"60\" y=\"18\" width=\"%.0f\" height=\"50\"/>\n", width);
    fputs("<text class=\"axis\" x=\"56\" y=\"34\" text-anchor=\"end\">esc_tx</text>\n"
          "<text class=\"axis\" x=\"56\" y=\"60\" text-anchor=\"end\">bms_tx</text>\n",
          out);
    fprintf(out, "<text class=\"axis tlo\" x=\"60\" y=\"78\">%.3f s</text>\n"
                 "<text class=\"axis thi\" x=\"%.0f\" y=\"78\" text-anchor=\"end\">%.3f s</text>\n",
            t0, left + width, t1);
    fputs("<g class=\"frames\">\n", out);
    /* one tick per pixel column and lane at most, a faulted frame wins its column */
    size_t columns = (size_t)width + 1;
    unsigned char *lane[2] = { calloc(columns, 1), calloc(columns, 1) };
    if (!lane[0] || !lane[1]) goto done;
    for (size_t i = 0; i < log->n; i++) {
        const struct bus_event *e = &log->ev[i];
        if (e->t_s < t0 || e->t_s > t1) continue;
        size_t col = (size_t)((e->t_s - t0) / span * width);
        if (col >= columns) col = columns - 1;
        unsigned char mark = strcmp(e->check, "ok") == 0 ? 1 : 2;
        if (lane[e->from_bms][col] < mark) lane[e->from_bms][col] = mark;
    }
    for (int l = 0; l < 2; l++)
        for (size_t c = 0; c < columns; c++) {
            if (!lane[l][c]) continue;
            fprintf(out, "<rect class=\"%s\" x=\"%.0f\" y=\"%d\" width=\"1\" height=\"20\"/>\n",
                    lane[l][c] == 2 ? "bad" : (l ? "rep" : "req"), left + (double)c, l ? 46 : 20);
        }
done:
    free(lane[0]);
    free(lane[1]);
    fputs("</g>\n</svg>\n", out);
}

/* The bus rows around each fault change: the first faulted frame of a run of them, and the
 * frames a little before and after, as a table (the zoom the plot cannot give). */
static void bus_events_table(FILE *out, const struct bus_log *log)
{
    fputs("<h2>Bus events</h2>\n", out);
    if (!log->n) {
        fputs("<p>no bus log</p>\n", out);
        return;
    }
    fprintf(out, "<p>%zu frames, %zu changed by a fault.</p>\n", log->n, log->faulted);
    fputs("<table><tr><th>t (s)</th><th>wire</th><th>frame</th><th>check</th><th></th></tr>\n",
          out);
    size_t shown_until = 0;
    for (size_t i = 0; i < log->n; i++) {
        if (!bus_edge(log, i)) continue;
        size_t from = i > 2 ? i - 2 : 0, to = i + 3 < log->n ? i + 3 : log->n;
        if (from < shown_until) from = shown_until;
        for (size_t k = from; k < to; k++) {
            const struct bus_event *e = &log->ev[k];
            fprintf(out, "<tr><td>%.6f</td><td>%s</td><td><code>", e->t_s,
                    e->from_bms ? "bms_tx" : "esc_tx");
            svg_put_escaped(out, e->frame);
            fprintf(out, "</code></td><td class=\"%s\">", strcmp(e->check, "ok") ? "fault" : "ok");
            svg_put_escaped(out, e->check);
            fprintf(out, "</td><td><a href=\"#t=%.6f-%.6f\" data-zoom=\"%.6f\" data-span=\"1\">"
                         "zoom</a></td></tr>\n",
                    e->t_s - 1, e->t_s + 1, e->t_s);
        }
        shown_until = to;
    }
    fputs("</table>\n", out);
}

/* The marks every plot carries: where the bus log's check changes (a fault set or cleared). */
static size_t bus_marks(const struct bus_log *log, struct svg_mark **out)
{
    size_t n = 0;
    *out = NULL;
    for (size_t i = 0; i < log->n; i++) {
        if (!bus_edge(log, i)) continue;
        struct svg_mark *m = realloc(*out, (n + 1) * sizeof *m);
        if (!m) break;
        *out = m;
        m[n].t_s = log->ev[i].t_s;
        m[n].label = strcmp(log->ev[i].check, "ok") ? log->ev[i].check : "fault cleared";
        m[n].css = "fault";
        m[n].from_s = NAN;
        m[n].no_line = false;
        n++;
    }
    return n;
}

static void plot_columns(FILE *out, const struct table *tb, const char *title, const char *unit,
                         const char *const *names, const struct svg_mark *marks, size_t nmarks,
                         double t0, double t1)
{
    struct svg_series s[16];
    size_t n = 0;
    const double *t = table_col(tb, "t_s");
    for (size_t k = 0; names[k] && n < 16; k++) {
        const double *y = table_col(tb, names[k]);
        if (!y) continue;
        s[n++] = (struct svg_series){ names[k], t, y, tb->nrows };
    }
    if (!t || !n) return;
    svg_plot_write(out, title, unit, s, n, t0, t1, marks, nmarks);
}

/* Every group column (g1_v, g2_v, ...) in one plot. */
static void plot_groups(FILE *out, const struct table *tb, const struct svg_mark *marks,
                        size_t nmarks, double t0, double t1)
{
    const char *names[17];
    char buf[16][12];
    size_t n = 0;
    for (int g = 1; g <= 16; g++) {
        snprintf(buf[n], sizeof buf[n], "g%d_v", g);
        if (!table_col(tb, buf[n])) break;
        names[n] = buf[n];
        n++;
    }
    names[n] = NULL;
    plot_columns(out, tb, "group voltages", "V", names, marks, nmarks, t0, t1);
}

/* The zoom script's samples: at most ZOOM_BUCKETS per column (min/max per bucket beyond), and
 * the bus frames (all of them up to ZOOM_BUS_MAX, else only the faulted ones), so a 12 h run's
 * page stays within a few MB. */
enum { ZOOM_BUCKETS = 4096, ZOOM_BUS_MAX = 50000 };

static void json_num(FILE *out, double v)
{
    if (isfinite(v))
        fprintf(out, "%.6g", v);
    else
        fputs("null", out);
}

static void page_data(FILE *out, const struct table *tb, const struct bus_log *log, double t0,
                      double t1)
{
    static const char *const fixed[] = { "pack_v", "pack_i_a", "t1_c", "t2_c", "bms_soc_pct",
                                         "esc_error", "speed_kmh", "esc_limit_a", "throttle",
                                         "brake" };
    const double *t = table_col(tb, "t_s");
    size_t n = t ? tb->nrows : 0;
    int bucketed = n > ZOOM_BUCKETS;
    size_t nb = bucketed ? ZOOM_BUCKETS : n;
    fprintf(out, "<script type=\"application/json\" id=\"bmsrig-data\">{\"t0\":%.6f,\"t1\":%.6f,"
                 "\"b\":%s,\"t\":[", t0, t1, bucketed ? "true" : "false");
    for (size_t i = 0; i < nb; i++) {
        if (i) fputc(',', out);
        fprintf(out, "%.4f", t[bucketed ? i * n / nb : i]);
    }
    fputs("],\"cols\":{", out);
    int first = 1;
    for (size_t c = 0; c < tb->ncols && n; c++) {
        const char *name = tb->names[c];
        int wanted = 0;
        for (size_t k = 0; k < sizeof fixed / sizeof *fixed; k++)
            wanted |= strcmp(name, fixed[k]) == 0;
        wanted |= name[0] == 'g' && name[1] >= '1' && name[1] <= '9' && strstr(name, "_v") != NULL;
        if (!wanted) continue;
        const double *y = tb->cols[c];
        fprintf(out, "%s\"", first ? "" : ",");
        svg_put_escaped(out, name);
        fputs("\":", out);
        first = 0;
        if (!bucketed) {
            fputc('[', out);
            for (size_t i = 0; i < n; i++) {
                if (i) fputc(',', out);
                json_num(out, y[i]);
            }
            fputc(']', out);
            continue;
        }
        for (int pass = 0; pass < 2; pass++) {
            fputs(pass ? ",[" : "[[", out);
            for (size_t b = 0; b < nb; b++) {
                double v = NAN;
                for (size_t i = b * n / nb; i < (b + 1) * n / nb; i++)
                    if (isfinite(y[i]) && (!isfinite(v) || (pass ? y[i] > v : y[i] < v))) v = y[i];
                if (b) fputc(',', out);
                json_num(out, v);
            }
            fputc(']', out);
        }
        fputc(']', out);
    }
    int all = log->n <= ZOOM_BUS_MAX;
    fputs("},\"bus\":{\"t\":[", out);
    size_t k = 0;
    for (size_t i = 0; i < log->n; i++) {
        int bad = strcmp(log->ev[i].check, "ok") != 0;
        if (!all && !bad) continue;
        fprintf(out, "%s%.6f", k++ ? "," : "", log->ev[i].t_s);
    }
    fputs("],\"c\":[", out);
    k = 0;
    for (size_t i = 0; i < log->n; i++) {
        int bad = strcmp(log->ev[i].check, "ok") != 0;
        if (!all && !bad) continue;
        fprintf(out, "%s%d", k++ ? "," : "", log->ev[i].from_bms | (bad ? 2 : 0));
    }
    fputs("]}}</script>\n", out);
    if (!all)
        fprintf(out, "<p>The bus log has %zu frames: zoomed bus timelines show only the faulted "
                     "ones.</p>\n", log->n);
}

static int write_scenario_page(const char *path, const char *stem, const struct table *tb,
                               const struct bus_log *log, const struct run_events *ev)
{
    FILE *out = fopen(path, "w");
    if (!out) return -1;
    const double *t = table_col(tb, "t_s");
    double t0 = t && tb->nrows ? t[0] : 0, t1 = t && tb->nrows ? t[tb->nrows - 1] : 1;
    if (log->n) {
        if (log->ev[0].t_s < t0) t0 = log->ev[0].t_s;
        if (log->ev[log->n - 1].t_s > t1) t1 = log->ev[log->n - 1].t_s;
    }
    struct svg_mark *marks;
    size_t nmarks = bus_marks(log, &marks);
    events_html_marks(ev, &marks, &nmarks);

    page_head(out, stem);
    fputs("<p><a href=\"index.html\">all scenarios</a></p>\n<h1>", out);
    svg_put_escaped(out, stem);
    fputs("</h1>\n", out);
    events_html_verdict(out, ev);
    if (log->source[0]) {
        fputs("<p>scenario file: <code>", out);
        svg_put_escaped(out, log->source);
        fputs("</code></p>\n", out);
    }
    fprintf(out, "<p>%zu samples, %.3f s to %.3f s; red lines: where the bus log shows a fault "
                 "changing frames; purple lines and bands: faults the scenario set, active until "
                 "cleared; green and red bands: expectations met and missed; dotted: log "
                 "lines (hover any of them). Drag across a plot to zoom every plot to "
                 "that time; double-click for the whole run. <b id=\"zoom-state\">whole run</b></p>\n",
            tb->nrows, t0, t1);
    static const char *const pack_v[] = { "pack_v", NULL }, *const pack_i[] = { "pack_i_a", NULL },
                             *const temps[] = { "t1_c", "t2_c", NULL },
                             *const soc[] = { "bms_soc_pct", NULL },
                             *const err[] = { "esc_error", NULL },
                             *const speed[] = { "speed_kmh", NULL },
                             *const limit[] = { "esc_limit_a", "throttle", "brake", NULL };
    plot_columns(out, tb, "pack voltage", "V", pack_v, marks, nmarks, t0, t1);
    plot_columns(out, tb, "pack current", "A", pack_i, marks, nmarks, t0, t1);
    plot_groups(out, tb, marks, nmarks, t0, t1);
    plot_columns(out, tb, "NTC temperatures", "\xc2\xb0" "C", temps, marks, nmarks, t0, t1);
    plot_columns(out, tb, "BMS state of charge", "%", soc, marks, nmarks, t0, t1);
    plot_columns(out, tb, "controller error code", "", err, marks, nmarks, t0, t1);
    plot_columns(out, tb, "speed", "km/h", speed, marks, nmarks, t0, t1);
    plot_columns(out, tb, "controller limit and rider inputs", "", limit, marks, nmarks, t0, t1);
    bus_timeline(out, log, t0, t1);
    events_html_tables(out, ev);
    bus_events_table(out, log);
    page_data(out, tb, log, t0, t1);
    fputs("<script>\n", out);
    fputs(html_page_script, out);
    fputs("</script>\n</body></html>\n", out);
    free(marks);
    return fclose(out) == 0 ? 0 : -1;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int html_report_build(const char *trace_dir, const char *out_dir, FILE *err)
{
    return html_report_build_notes(trace_dir, out_dir, NULL, 0, err);
}

int html_report_build_notes(const char *trace_dir, const char *out_dir,
                            const char *const *notes, size_t nnotes, FILE *err)
{
    static const char suffix[] = ".signals.csv";
    DIR *d = opendir(trace_dir);
    char **stems = NULL;
    size_t nstems = 0;
    int pages = 0;
    if (!d) {
        fprintf(err, "report: cannot read trace folder %s: %s\n", trace_dir, strerror(errno));
        return -1;
    }
    for (struct dirent *de; (de = readdir(d));) {
        size_t len = strlen(de->d_name);
        if (len <= sizeof suffix - 1 || strcmp(de->d_name + len - (sizeof suffix - 1), suffix)) continue;
        char **s = realloc(stems, (nstems + 1) * sizeof *s);
        if (!s) break;
        stems = s;
        stems[nstems++] = strndup(de->d_name, len - (sizeof suffix - 1));
    }
    closedir(d);
    qsort(stems, nstems, sizeof *stems, name_cmp);
    if (mkdir(out_dir, 0777) != 0 && errno != EEXIST) {
        fprintf(err, "report: cannot create %s: %s\n", out_dir, strerror(errno));
        pages = -1;
        goto out;
    }

    char path[4096];
    snprintf(path, sizeof path, "%s/index.html", out_dir);
    FILE *index = fopen(path, "w");
    if (!index) {
        fprintf(err, "report: cannot write %s: %s\n", path, strerror(errno));
        pages = -1;
        goto out;
    }
    page_head(index, "bmsrig run report");
    fputs("<h1>bmsrig run report</h1>\n", index);
    if (nnotes) {
        fputs("<ul class=\"run\">\n", index);
        for (size_t i = 0; i < nnotes; i++) {
            fputs("<li>", index);
            svg_put_escaped(index, notes[i]);
            fputs("</li>\n", index);
        }
        fputs("</ul>\n", index);
    }
    fputs("<table><tr><th>scenario</th><th>verdict</th>"
          "<th>expectations met</th><th>measurements</th><th>file</th><th>samples</th>"
          "<th>sim s</th><th>bus frames</th><th>changed by a fault</th></tr>\n",
          index);
    for (size_t i = 0; i < nstems; i++) {
        struct table tb;
        struct bus_log log;
        snprintf(path, sizeof path, "%s/%s.signals.csv", trace_dir, stems[i]);
        if (table_read(path, &tb) != 0) {
            fprintf(err, "report: cannot read %s\n", path);
            continue;
        }
        snprintf(path, sizeof path, "%s/%s.bus.csv", trace_dir, stems[i]);
        bus_read(path, &log);
        struct run_events ev;
        snprintf(path, sizeof path, "%s/%s.events.tsv", trace_dir, stems[i]);
        run_events_read(path, &ev);
        snprintf(path, sizeof path, "%s/%s.html", out_dir, stems[i]);
        if (write_scenario_page(path, stems[i], &tb, &log, &ev) != 0) {
            fprintf(err, "report: cannot write %s: %s\n", path, strerror(errno));
            pages = -1;
        } else if (pages >= 0) {
            pages++;
        }
        const double *t = table_col(&tb, "t_s");
        fputs("<tr><td><a href=\"", index);
        svg_put_escaped(index, stems[i]);
        fputs(".html\">", index);
        /* the scenario's whole name when the events give it, else the file's stem */
        svg_put_escaped(index, ev.verdict && ev.verdict->name[0] ? ev.verdict->name : stems[i]);
        fputs("</a></td>", index);
        events_html_index_cells(index, &ev);
        fputs("<td><code>", index);
        svg_put_escaped(index, log.source);
        fprintf(index, "</code></td><td>%zu</td><td>%.3f</td><td>%zu</td><td>%zu</td></tr>\n",
                tb.nrows, t && tb.nrows ? t[tb.nrows - 1] : 0.0, log.n, log.faulted);
        free(log.ev);
        run_events_free(&ev);
        table_free(&tb);
    }
    fputs("</table>\n</body></html>\n", index);
    if (fclose(index) != 0) pages = -1;
out:
    for (size_t i = 0; i < nstems; i++) free(stems[i]);
    free(stems);
    return pages;
}
