/* events_html.c: verdicts, expectations, measurements and log lines on the HTML pages. */
#include "rig/html/events_html.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char events_html_style[] =
    "svg .mark.pass{stroke:#080}svg .mark.fail{stroke:#d00;stroke-width:2;opacity:.9}\n"
    "svg .mark.log{stroke:#777;stroke-dasharray:3,3}svg .mark.measure{stroke:#80c}\n"
    "svg .mark.inject{stroke:#90c;stroke-width:2;opacity:.9}svg .band.inject{fill:#90c;opacity:.12}\n"
    "svg .band{opacity:.10}svg .band.pass{fill:#0a0}svg .band.fail{fill:#d00;opacity:.18}\n"
    ".verdict{font-size:20px;font-weight:bold;padding:4px 10px;display:inline-block}\n"
    ".verdict.pass{background:#dfd;color:#060}.verdict.fail,.verdict.error{background:#fdd;color:#900}\n"
    ".verdict.skip,.verdict.not-run{background:#eee;color:#555}.verdict.rig-fault{background:#ffd;color:#850}\n"
    "td.pass{color:#080}td.fail{color:#c00;font-weight:bold}pre.msg{background:#fee;padding:6px;"
    "white-space:pre-wrap}\n";

/* Escaped text that keeps its line breaks (tracebacks in <pre>). */
static void put(FILE *out, const char *s)
{
    for (const char *nl; s && (nl = strchr(s, '\n')); s = nl + 1) {
        char *line = strndup(s, (size_t)(nl - s));
        svg_put_escaped(out, line);
        free(line);
        fputc('\n', out);
    }
    svg_put_escaped(out, s);
}

static void add_mark(struct svg_mark **marks, size_t *n, double t, const char *label,
                     const char *css, double from)
{
    if (!isfinite(t)) return;
    struct svg_mark *m = realloc(*marks, (*n + 1) * sizeof *m);
    if (!m) return;
    *marks = m;
    m[*n] = (struct svg_mark){ .t_s = t, .label = label, .css = css, .from_s = from };
    (*n)++;
}

/* The row of the same fault before row i, or NULL. */
static const struct run_event *fault_before(const struct run_events *ev, size_t i)
{
    for (size_t j = i; j-- > 0;)
        if (run_event_same_fault(&ev->ev[j], &ev->ev[i])) return &ev->ev[j];
    return NULL;
}

/* The clear row that ends the fault set at row i, or NULL when it stays set to the end. */
static const struct run_event *fault_clear_after(const struct run_events *ev, size_t i)
{
    for (size_t j = i + 1; j < ev->n; j++)
        if (run_event_same_fault(&ev->ev[j], &ev->ev[i]) && strcmp(ev->ev[j].outcome, "clear") == 0)
            return &ev->ev[j];
    return NULL;
}

static bool is_set(const struct run_event *e) { return e && strcmp(e->outcome, "set") == 0; }

/* A fault's marks: a line where it is set; where a set starts an active stretch, a band to its
 * clear (with a line there) or to the end of the scenario (without). A clear that ends a band
 * is drawn by it; a set while already active (a new value) is a line of its own. */
static void fault_marks(const struct run_events *ev, size_t i, struct svg_mark **marks, size_t *n)
{
    const struct run_event *e = &ev->ev[i];
    bool active = is_set(fault_before(ev, i));
    if (!is_set(e)) {
        if (!active) add_mark(marks, n, e->t_s, e->summary, "inject", NAN);  /* nothing to end */
        return;
    }
    add_mark(marks, n, e->t_s, e->summary, "inject", NAN);
    if (active) return;
    const struct run_event *c = fault_clear_after(ev, i);
    double end = c ? c->t_s : ev->verdict ? ev->verdict->t_s : e->t_s;
    if (end < e->t_s) end = e->t_s;
    size_t before = *n;
    add_mark(marks, n, end, c ? c->summary : NULL, "inject", e->t_s);
    if (*n > before) (*marks)[*n - 1].no_line = c == NULL;
}

void events_html_marks(const struct run_events *ev, struct svg_mark **marks, size_t *n)
{
    for (size_t i = 0; i < ev->n; i++) {
        const struct run_event *e = &ev->ev[i];
        const char *css = strcmp(e->outcome, "pass") == 0 ? "pass" : "fail";
        switch (e->kind) {
        case RUN_EV_EXPECT: add_mark(marks, n, e->t_s, e->name, css, e->t_start_s); break;
        case RUN_EV_MEASURE: add_mark(marks, n, e->t_s, e->name, "measure", NAN); break;
        case RUN_EV_FAULT: fault_marks(ev, i, marks, n); break;
        case RUN_EV_FAULT_SUPPRESSED: break;   /* never applied: nothing to mark */
        case RUN_EV_LOG: add_mark(marks, n, e->t_s, e->text, "log", NAN); break;
        case RUN_EV_VERDICT: break;
        }
    }
}

void events_html_verdict(FILE *out, const struct run_events *ev)
{
    const struct run_event *v = ev->verdict;
    if (!v) {
        fputs("<p>No events file for this scenario (a run older than the events, or one that "
              "did not finish): verdict, expectations and log are in the run's JSON/JUnit.</p>\n",
              out);
        return;
    }
    fputs("<p><span class=\"verdict ", out);
    put(out, v->outcome);
    fputs("\">", out);
    for (const char *c = v->outcome; *c; c++) fputc(*c >= 'a' && *c <= 'z' ? *c - 32 : *c, out);
    fputs("</span> ", out);
    put(out, v->name);
    fprintf(out, " &mdash; %.3f s of scenario time; %zu of %zu expectations met, %zu of %zu "
                 "measurements within limits</p>\n",
            v->t_s, ev->expects - ev->expects_failed, ev->expects,
            ev->measures - ev->measures_failed, ev->measures);
    if (v->text[0]) {
        fputs("<pre class=\"msg\">", out);
        put(out, v->text);
        fputs("</pre>\n", out);
    }
}

static void num_cell(FILE *out, double v)
{
    if (isfinite(v)) fprintf(out, "<td>%.6g</td>", v);
    else fputs("<td></td>", out);
}

/* The faults the scenario set and cleared, in call order, each set with the time it lasted to. */
static void faults_table(FILE *out, const struct run_events *ev)
{
    fprintf(out, "<h2>Faults</h2>\n<p>%zu set or cleared by the scenario (purple lines on the "
                 "plots, a band while active).</p>\n", ev->faults);
    if (!ev->faults) return;
    fputs("<table class=\"faults\"><tr><th>t (s)</th><th>action</th><th>fault</th><th>target</th>"
          "<th>value</th><th>active until (s)</th><th></th></tr>\n", out);
    for (size_t i = 0; i < ev->n; i++) {
        const struct run_event *e = &ev->ev[i];
        if (e->kind != RUN_EV_FAULT) continue;
        fprintf(out, "<tr class=\"fault-%s\"><td>%.3f</td><td>", is_set(e) ? "set" : "clear",
                e->t_s);
        put(out, e->outcome);
        fputs("</td><td>", out);
        put(out, e->name);
        fputs("</td><td>", out);
        put(out, e->where);
        fputs("</td><td>", out);
        put(out, e->text);
        fputs("</td><td>", out);
        double end = e->t_s;
        if (is_set(e)) {
            const struct run_event *c = fault_clear_after(ev, i);
            if (c) {
                fprintf(out, "%.3f", c->t_s);
                end = c->t_s;
            } else {
                fputs("the end", out);
                if (ev->verdict && ev->verdict->t_s > end) end = ev->verdict->t_s;
            }
        }
        fprintf(out, "</td><td><a href=\"#t=%.6f-%.6f\" data-zoom=\"%.6f\" data-span=\"%.6f\">"
                     "zoom</a></td></tr>\n",
                e->t_s - 1, end + 1, (e->t_s + end) / 2, (end - e->t_s) / 2 + 1);
    }
    fputs("</table>\n", out);
}

/* The faults the scenario asked for that --suppress-faults kept off: listed so that a page
 * never shows a run without its faults as if the script had set none. */
static void suppressed_table(FILE *out, const struct run_events *ev)
{
    if (!ev->faults_suppressed) return;
    fprintf(out, "<h2>Faults kept off</h2>\n<p>%zu set or cleared by the scenario and kept off "
                 "by <code>--suppress-faults</code>: never applied, so not on the plots.</p>\n",
            ev->faults_suppressed);
    fputs("<table class=\"faults suppressed\"><tr><th>t (s)</th><th>action</th><th>fault</th>"
          "<th>target</th><th>value</th></tr>\n", out);
    for (size_t i = 0; i < ev->n; i++) {
        const struct run_event *e = &ev->ev[i];
        if (e->kind != RUN_EV_FAULT_SUPPRESSED) continue;
        fprintf(out, "<tr class=\"fault-suppressed\"><td>%.3f</td><td>", e->t_s);
        put(out, e->outcome);
        fputs("</td><td>", out);
        put(out, e->name);
        fputs("</td><td>", out);
        put(out, e->where);
        fputs("</td><td>", out);
        put(out, e->text);
        fputs("</td></tr>\n", out);
    }
    fputs("</table>\n", out);
}

void events_html_tables(FILE *out, const struct run_events *ev)
{
    if (!ev->verdict && ev->n == 0) return;
    fprintf(out, "<h2>Expectations</h2>\n<p>%zu, %zu failed (green or red bands on the plots: "
                 "each one's window, from its call to its outcome).</p>\n",
            ev->expects, ev->expects_failed);
    if (ev->expects) {
        fputs("<table><tr><th>#</th><th>outcome</th><th>expectation</th><th>window (s)</th>"
              "<th>observed</th><th>where</th><th>message</th><th></th></tr>\n", out);
        size_t k = 0;
        for (size_t i = 0; i < ev->n; i++) {
            const struct run_event *e = &ev->ev[i];
            if (e->kind != RUN_EV_EXPECT) continue;
            int pass = strcmp(e->outcome, "pass") == 0;
            fprintf(out, "<tr><td>%zu</td><td class=\"%s\">%s</td><td>", ++k, pass ? "pass" : "fail",
                    pass ? "met" : "MISSED");
            put(out, e->name);
            if (isfinite(e->t_start_s))
                fprintf(out, "</td><td>%.3f .. %.3f</td><td>", e->t_start_s, e->t_s);
            else
                fprintf(out, "</td><td>%.3f</td><td>", e->t_s);
            /* text: observed, a tab, then the failure message */
            const char *tab = strchr(e->text, '\t');
            if (tab) {
                char *obs = strndup(e->text, (size_t)(tab - e->text));
                put(out, obs);
                free(obs);
            } else {
                put(out, e->text);
            }
            fputs("</td><td><code>", out);
            put(out, e->where);
            fputs("</code></td><td>", out);
            if (tab) put(out, tab + 1);
            double a = isfinite(e->t_start_s) ? e->t_start_s : e->t_s;
            fprintf(out, "</td><td><a href=\"#t=%.6f-%.6f\" data-zoom=\"%.6f\" data-span=\"%.6f\">"
                         "zoom</a></td></tr>\n",
                    a - 1, e->t_s + 1, (a + e->t_s) / 2, (e->t_s - a) / 2 + 1);
        }
        fputs("</table>\n", out);
    }
    fprintf(out, "<h2>Measurements</h2>\n<p>%zu, %zu outside their limits.</p>\n", ev->measures,
            ev->measures_failed);
    if (ev->measures) {
        fputs("<table><tr><th>measurement</th><th>value</th><th>unit</th><th>min</th><th>max</th>"
              "<th>outcome</th><th>t (s)</th><th>where</th></tr>\n", out);
        for (size_t i = 0; i < ev->n; i++) {
            const struct run_event *e = &ev->ev[i];
            if (e->kind != RUN_EV_MEASURE) continue;
            int pass = strcmp(e->outcome, "pass") == 0;
            fputs("<tr><td>", out);
            put(out, e->name);
            fputs("</td>", out);
            num_cell(out, e->value);
            fputs("<td>", out);
            put(out, e->unit);
            fputs("</td>", out);
            num_cell(out, e->min);
            num_cell(out, e->max);
            fprintf(out, "<td class=\"%s\">%s</td><td>%.3f</td><td><code>", pass ? "pass" : "fail",
                    pass ? "within" : "OUTSIDE", e->t_s);
            put(out, e->where);
            fputs("</code></td></tr>\n", out);
        }
        fputs("</table>\n", out);
    }
    faults_table(out, ev);
    suppressed_table(out, ev);
    fprintf(out, "<h2>Log</h2>\n<p>%zu lines (dotted lines on the plots).</p>\n", ev->logs);
    if (ev->logs) {
        fputs("<table><tr><th>t (s)</th><th>line</th></tr>\n", out);
        for (size_t i = 0; i < ev->n; i++) {
            const struct run_event *e = &ev->ev[i];
            if (e->kind != RUN_EV_LOG) continue;
            fprintf(out, "<tr><td>%.3f</td><td>", e->t_s);
            put(out, e->text);
            fputs("</td></tr>\n", out);
        }
        fputs("</table>\n", out);
    }
}

void events_html_index_cells(FILE *out, const struct run_events *ev)
{
    const struct run_event *v = ev->verdict;
    fputs("<td class=\"", out);
    put(out, v ? (strcmp(v->outcome, "pass") == 0 ? "pass" : "fail") : "");
    fputs("\">", out);
    put(out, v ? v->outcome : "?");
    fprintf(out, "</td><td>%zu/%zu</td><td>", ev->expects - ev->expects_failed, ev->expects);
    int first = 1;
    for (size_t i = 0; i < ev->n; i++) {
        const struct run_event *e = &ev->ev[i];
        if (e->kind != RUN_EV_MEASURE) continue;
        int pass = strcmp(e->outcome, "pass") == 0;
        fprintf(out, "%s<span class=\"%s\">", first ? "" : "<br>", pass ? "ok" : "fault");
        put(out, e->name);
        fprintf(out, " = %.6g", e->value);
        if (e->unit[0]) {
            fputc(' ', out);
            put(out, e->unit);
        }
        if (isfinite(e->min) || isfinite(e->max)) {
            fputs(" [", out);
            if (isfinite(e->min)) fprintf(out, "%.6g", e->min);
            fputs(" .. ", out);
            if (isfinite(e->max)) fprintf(out, "%.6g", e->max);
            fputc(']', out);
        }
        fprintf(out, " %s</span>", pass ? "pass" : "FAIL");
        first = 0;
    }
    fputs("</td>", out);
}
