/* trace_events.c: writes a scenario's verdict, expectations, measurements and log lines as the
 * events file of its traces (format: rig/html/run_events.h). */
#include "rig/scenario/trace_events.h"

#include <math.h>

#include "sim/status.h"

/* A text field: tab, newline and backslash escaped; other control characters dropped. */
static void field(FILE *out, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '\t': fputs("\\t", out); break;
        case '\n': fputs("\\n", out); break;
        case '\\': fputs("\\\\", out); break;
        case '\r': break;
        default:
            if ((unsigned char)*s >= 0x20) fputc(*s, out);
        }
    }
}

static void number(FILE *out, bool has, double v)
{
    if (has && isfinite(v)) fprintf(out, "%.9g", v);
}

/* One row per fault set or cleared; kind "fault" (applied) or "fault_suppressed" (the script
 * asked for it and --suppress-faults kept it off). */
static void fault_rows(FILE *out, const char *kind, const struct scenario_fault *faults, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct scenario_fault *f = &faults[i];
        fprintf(out, "%.6f\t%s\t%s\t\t", f->t_s, kind, f->set ? "set" : "clear");
        field(out, f->name);
        fputc('\t', out);
        field(out, f->target);
        fputc('\t', out);
        number(out, f->set, f->value);
        fputs("\t\t\t\t", out);
        field(out, f->args);
        fputc('\n', out);
    }
}

int trace_events_write(FILE *out, const char *name, const struct scenario_result *res)
{
    fputs("# bmsrig scenario events v1\n"
          "t_s\tkind\toutcome\tt_start_s\tname\twhere\tvalue\tmin\tmax\tunit\ttext\n", out);
    for (size_t i = 0; i < res->nexpects; i++) {
        const struct scenario_expect *x = &res->expects[i];
        fprintf(out, "%.6f\texpect\t%s\t", x->t_s, x->pass ? "pass" : "fail");
        number(out, true, x->t_start_s);
        fputc('\t', out);
        field(out, x->what);
        fputc('\t', out);
        field(out, x->where);
        fputs("\t\t\t\t\t", out);
        /* observed, then (escaped tab) the failure message */
        field(out, x->observed);
        if (x->message && x->message[0]) {
            fputs("\\t", out);
            field(out, x->message);
        }
        fputc('\n', out);
    }
    for (size_t i = 0; i < res->nmeasures; i++) {
        const struct scenario_measure *m = &res->measures[i];
        fprintf(out, "%.6f\tmeasure\t%s\t\t", m->t_s, m->pass ? "pass" : "fail");
        field(out, m->name);
        fputc('\t', out);
        field(out, m->where);
        fputc('\t', out);
        number(out, true, m->value);
        fputc('\t', out);
        number(out, m->has_min, m->min);
        fputc('\t', out);
        number(out, m->has_max, m->max);
        fputc('\t', out);
        field(out, m->unit);
        fputs("\t\n", out);
    }
    fault_rows(out, "fault", res->faults, res->nfaults);
    fault_rows(out, "fault_suppressed", res->suppressed, res->nsuppressed);
    for (size_t i = 0; i < res->nlogs; i++) {
        fprintf(out, "%.6f\tlog\t\t\t\t\t\t\t\t\t", res->logs[i].t_s);
        field(out, res->logs[i].text);
        fputc('\n', out);
    }
    fprintf(out, "%.6f\tverdict\t%s\t\t", res->sim_time_s, scenario_verdict_name(res->verdict));
    field(out, name);
    fputs("\t\t\t\t\t\t", out);
    field(out, res->message);
    fputc('\n', out);
    return ferror(out) ? BMSRIG_ERR_IO : BMSRIG_OK;
}

int trace_events_write_file(const char *path, const char *name, const struct scenario_result *res)
{
    FILE *f = fopen(path, "w");
    if (!f) return BMSRIG_ERR_IO;
    int rc = trace_events_write(f, name, res);
    if (fclose(f) != 0) rc = BMSRIG_ERR_IO;
    return rc;
}
