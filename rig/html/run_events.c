/* run_events.c: the reader of a scenario's events file (format in run_events.h). */
#include "rig/html/run_events.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Undoes the \\ \t \n escapes in place. */
static void unescape(char *s)
{
    char *w = s;
    for (char *r = s; *r; r++) {
        if (*r == '\\' && r[1]) {
            r++;
            *w++ = *r == 't' ? '\t' : *r == 'n' ? '\n' : *r;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
}

static double number_or_nan(const char *s)
{
    char *end = NULL;
    if (!s || !*s) return NAN;
    double v = strtod(s, &end);
    return *end == '\0' ? v : NAN;
}

static char *dup_field(const char *s)
{
    char *d = strdup(s ? s : "");
    if (d) unescape(d);
    return d;
}

/* "cell_short group 4 cell 1 set: 0.5 ohm", "bms_tx cleared", "cell_open group 2 cell 1
 * cleared (mend)"; NULL when a field is missing or out of memory. */
static char *fault_summary(const struct run_event *e)
{
    if (!e->name || !e->where || !e->text || !e->outcome) return NULL;
    bool set = strcmp(e->outcome, "set") == 0;
    bool words = e->text[0] && strcmp(e->text, "clear") != 0;
    char *s = NULL;
    if (asprintf(&s, "%s%s%s %s%s%s%s", e->name, e->where[0] ? " " : "", e->where,
                 set ? "set" : "cleared", !words ? "" : set ? ": " : " (", words ? e->text : "",
                 words && !set ? ")" : "") < 0)
        return NULL;
    return s;
}

bool run_event_same_fault(const struct run_event *a, const struct run_event *b)
{
    return a->kind == RUN_EV_FAULT && b->kind == RUN_EV_FAULT && strcmp(a->name, b->name) == 0 &&
           strcmp(a->where, b->where) == 0;
}

bool run_events_read(const char *path, struct run_events *out)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "r");
    if (!f) return false;
    char *line = NULL;
    size_t len = 0, cap = 0;
    while (getline(&line, &len, f) > 0) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '#' || strncmp(line, "t_s\t", 4) == 0) continue;
        char *fld[11] = { 0 };
        char *p = line;
        for (int i = 0; i < 11; i++) fld[i] = p ? strsep(&p, "\t") : NULL;
        if (!fld[1]) continue;
        enum run_event_kind kind;
        if (strcmp(fld[1], "verdict") == 0) kind = RUN_EV_VERDICT;
        else if (strcmp(fld[1], "expect") == 0) kind = RUN_EV_EXPECT;
        else if (strcmp(fld[1], "measure") == 0) kind = RUN_EV_MEASURE;
        else if (strcmp(fld[1], "fault") == 0) kind = RUN_EV_FAULT;
        else if (strcmp(fld[1], "fault_suppressed") == 0) kind = RUN_EV_FAULT_SUPPRESSED;
        else if (strcmp(fld[1], "log") == 0) kind = RUN_EV_LOG;
        else continue;
        if (out->n == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            struct run_event *ev = realloc(out->ev, ncap * sizeof *ev);
            if (!ev) break;
            out->ev = ev;
            cap = ncap;
        }
        struct run_event *e = &out->ev[out->n];
        *e = (struct run_event){
            .kind = kind, .t_s = number_or_nan(fld[0]), .t_start_s = number_or_nan(fld[3]),
            .outcome = dup_field(fld[2]), .name = dup_field(fld[4]), .where = dup_field(fld[5]),
            .value = number_or_nan(fld[6]), .min = number_or_nan(fld[7]),
            .max = number_or_nan(fld[8]), .unit = dup_field(fld[9]), .text = dup_field(fld[10]),
        };
        e->summary = kind == RUN_EV_FAULT ? fault_summary(e) : strdup("");
        if (!e->outcome || !e->name || !e->where || !e->unit || !e->text || !e->summary) {
            free(e->outcome); free(e->name); free(e->where); free(e->unit); free(e->text);
            free(e->summary);
            break;
        }
        out->n++;
        bool failed = strcmp(e->outcome, "pass") != 0;   /* expect, measure */
        if (kind == RUN_EV_EXPECT) { out->expects++; out->expects_failed += failed; }
        if (kind == RUN_EV_MEASURE) { out->measures++; out->measures_failed += failed; }
        if (kind == RUN_EV_FAULT) out->faults++;
        if (kind == RUN_EV_FAULT_SUPPRESSED) out->faults_suppressed++;
        if (kind == RUN_EV_LOG) out->logs++;
    }
    free(line);
    fclose(f);
    for (size_t i = 0; i < out->n; i++)
        if (out->ev[i].kind == RUN_EV_VERDICT) out->verdict = &out->ev[i];
    return true;
}

void run_events_free(struct run_events *e)
{
    if (!e) return;
    for (size_t i = 0; i < e->n; i++) {
        free(e->ev[i].outcome);
        free(e->ev[i].name);
        free(e->ev[i].where);
        free(e->ev[i].unit);
        free(e->ev[i].text);
        free(e->ev[i].summary);
    }
    free(e->ev);
    memset(e, 0, sizeof *e);
}
