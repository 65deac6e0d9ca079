/* result.c: one scenario's result record (rig/scenario/result.h): verdict names and exit codes,
 * and the expectations, measurements and log lines a run adds to it. */
#define LOG_PREFIX "scenario"
#include "rig/scenario/result.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rig/scenario/escape.h"
#include "rig/scenario/xalloc.h"
#include "rig/util/log.h"

static void *grow(void *arr, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return arr;
    size_t nc = *cap ? *cap * 2 : 8;
    void *p = realloc(arr, nc * elem);
    if (!p) {
        fputs("bmsrig: out of memory\n", stderr);
        abort();
    }
    *cap = nc;
    return p;
}

const char *scenario_verdict_name(enum scenario_verdict v)
{
    switch (v) {
    case SCENARIO_PASS: return "pass";
    case SCENARIO_FAIL: return "fail";
    case SCENARIO_ERROR: return "error";
    case SCENARIO_SKIP: return "skip";
    case SCENARIO_RIG_FAULT: return "rig-fault";
    case SCENARIO_NOT_RUN: return "not-run";
    }
    return "?";
}

/* ---- results ------------------------------------------------------------------------------ */

void scenario_result_init(struct scenario_result *r)
{
    memset(r, 0, sizeof(*r));
    r->verdict = SCENARIO_NOT_RUN;
}

void scenario_result_clear(struct scenario_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nexpects; i++) {
        free(r->expects[i].what);
        free(r->expects[i].where);
        free(r->expects[i].observed);
        free(r->expects[i].message);
    }
    for (size_t i = 0; i < r->nmeasures; i++) {
        free(r->measures[i].name);
        free(r->measures[i].unit);
        free(r->measures[i].where);
    }
    for (size_t i = 0; i < r->nlogs; i++)
        free(r->logs[i].text);
    for (size_t i = 0; i < r->nfaults; i++) {
        free(r->faults[i].name);
        free(r->faults[i].target);
        free(r->faults[i].args);
    }
    free(r->faults);
    for (size_t i = 0; i < r->nsuppressed; i++) {
        free(r->suppressed[i].name);
        free(r->suppressed[i].target);
        free(r->suppressed[i].args);
    }
    free(r->suppressed);
    free(r->expects);
    free(r->measures);
    free(r->logs);
    free(r->message);
    free(r->trace_signals);
    free(r->trace_bus);
    scenario_result_init(r);
}

void scenario_result_add_expect(struct scenario_result *r, bool pass, const char *what,
                                const char *where, double t_s, const char *observed,
                                const char *message, double t_start_s)
{
    r->expects = grow(r->expects, &r->cap_expects, r->nexpects, sizeof(*r->expects));
    r->expects[r->nexpects++] = (struct scenario_expect){
        .what = xstrdup(what), .where = xstrdup(where), .t_s = t_s, .t_start_s = t_start_s,
        .pass = pass,
        .observed = xstrdup(observed), .message = xstrdup(message),
    };
    const struct scenario_expect *x = &r->expects[r->nexpects - 1];
    r->record_bytes += sizeof(*x) + strlen(x->what) + strlen(x->where) + strlen(x->observed) +
                       strlen(x->message) + 4;
}

void scenario_result_add_measure(struct scenario_result *r, const char *name, double value,
                                 const double *min, const double *max, const char *unit,
                                 bool pass, const char *where, double t_s)
{
    r->measures = grow(r->measures, &r->cap_measures, r->nmeasures, sizeof(*r->measures));
    r->measures[r->nmeasures++] = (struct scenario_measure){
        .name = xstrdup(name), .value = value, .has_min = min != NULL, .has_max = max != NULL,
        .min = min ? *min : 0, .max = max ? *max : 0, .unit = xstrdup(unit), .pass = pass,
        .where = xstrdup(where), .t_s = t_s,
    };
    const struct scenario_measure *m = &r->measures[r->nmeasures - 1];
    r->record_bytes += sizeof(*m) + strlen(m->name) + strlen(m->unit) + strlen(m->where) + 3;
}

void scenario_result_add_fault(struct scenario_result *r, double t_s, bool set, const char *name,
                               const char *target, double value, const char *args)
{
    r->faults = grow(r->faults, &r->cap_faults, r->nfaults, sizeof(*r->faults));
    r->faults[r->nfaults++] = (struct scenario_fault){
        .t_s = t_s, .set = set, .name = xstrdup(name), .target = xstrdup(target),
        .value = value, .args = xstrdup(args),
    };
    const struct scenario_fault *f = &r->faults[r->nfaults - 1];
    r->record_bytes += sizeof(*f) + strlen(f->name) + strlen(f->target) + strlen(f->args) + 3;
}

void scenario_result_add_suppressed_fault(struct scenario_result *r, double t_s, bool set,
                                          const char *name, const char *target, double value,
                                          const char *args)
{
    r->suppressed = grow(r->suppressed, &r->cap_suppressed, r->nsuppressed,
                         sizeof(*r->suppressed));
    r->suppressed[r->nsuppressed++] = (struct scenario_fault){
        .t_s = t_s, .set = set, .name = xstrdup(name), .target = xstrdup(target),
        .value = value, .args = xstrdup(args),
    };
    const struct scenario_fault *f = &r->suppressed[r->nsuppressed - 1];
    r->record_bytes += sizeof(*f) + strlen(f->name) + strlen(f->target) + strlen(f->args) + 3;
}

void scenario_result_add_log(struct scenario_result *r, double t_s, const char *text)
{
    r->logs = grow(r->logs, &r->cap_logs, r->nlogs, sizeof(*r->logs));
    r->logs[r->nlogs++] = (struct scenario_log){ .t_s = t_s, .text = xstrdup(text) };
    r->record_bytes += sizeof(struct scenario_log) + strlen(r->logs[r->nlogs - 1].text) + 1;
    if (log_get_level() >= LOG_INFO) {
        /* -v shows the line on stderr: sanitised, so that it cannot drive the terminal */
        char *safe = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&safe, &len);
        if (m) {
            report_put_safe(m, text, SIZE_MAX, true);
            fclose(m);
        }
        br_info("%.3f s: %s", t_s, safe ? safe : "(out of memory)");
        free(safe);
    }
}

void scenario_result_set_message(struct scenario_result *r, const char *msg)
{
    free(r->message);
    r->message = msg ? xstrdup(msg) : NULL;
}

int scenario_verdict_exit(enum scenario_verdict v)
{
    switch (v) {
    case SCENARIO_PASS:
    case SCENARIO_SKIP: return 0;
    case SCENARIO_FAIL: return 1;
    case SCENARIO_ERROR: return 2;
    case SCENARIO_RIG_FAULT: return 3;
    case SCENARIO_NOT_RUN: return 4;
    }
    return 3;
}
