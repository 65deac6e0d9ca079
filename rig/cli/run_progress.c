/* run_progress.c: what `bmsrig run` shows and writes while it runs: the incremental JUnit/JSON
 * reports, one progress line per finished scenario, and the summary table. */
#define LOG_PREFIX "run"
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "rig/cli/run_internal.h"
#include "rig/realtime/clock.h"
#include "rig/util/log.h"

/* Returns false if a requested report could not be written. */
bool write_reports(struct run_state *st)
{
    bool ok = true;
    st->report.wall_s = clock_wall_s() - st->wall0;
    report_take_dut_version(&st->report);
    if (st->o->junit && report_write_file(st->o->junit, report_write_junit, &st->report) != 0) {
        br_err("cannot write %s: %s", st->o->junit, strerror(errno));
        ok = false;
    }
    if (st->o->json && report_write_file(st->o->json, report_write_json, &st->report) != 0) {
        br_err("cannot write %s: %s", st->o->json, strerror(errno));
        ok = false;
    }
    return ok;
}

static void print_progress(struct run_state *st, size_t i)
{
    const struct scenario_result *r = &st->res[i];
    FILE *o = st->progress;
    const char *v = scenario_verdict_name(r->verdict);
    /* Names and messages come from the scenario: sanitised (report_put_safe), so that none
     * can drive the terminal (ESC, CR, C1 ...). */
    fprintf(o, "[%3zu/%zu] %-9s %9.3f s sim %7.3f s wall  ", st->done, st->n, v,
            r->sim_time_s, r->wall_s);
    report_put_safe(o, st->items[i].name, SIZE_MAX, false);
    fputc('\n', o);
    if (r->verdict != SCENARIO_PASS && r->message) {
        /* The whole message for errors (traceback), the first line otherwise. */
        const char *m = r->message;
        size_t len = r->verdict == SCENARIO_ERROR ? strlen(m) : strcspn(m, "\n");
        fputs("          ", o);
        report_put_safe(o, m, len, true);
        fputc('\n', o);
    }
    fflush(o);
}

/* A scenario's result is final (under lock): count it, show it, rewrite the reports
 * (incremental: a killed run still leaves its reports). */
void finish_scenario(struct run_state *st, size_t i)
{
    st->done++;
    if (!st->o->quiet)
        print_progress(st, i);
    write_reports(st);
    pthread_cond_broadcast(&st->cond);
}


/* Display columns of s (UTF-8 code points; malformed bytes count one each, as the '?' they
 * become) and the byte length of its first `cols` columns. */
static size_t text_columns(const char *s)
{
    size_t n = 0;
    for (; s && *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static size_t prefix_bytes(const char *s, size_t cols)
{
    size_t b = 0, c = 0;
    while (s[b] && (c < cols || ((unsigned char)s[b] & 0xC0) == 0x80)) {
        if (((unsigned char)s[b] & 0xC0) != 0x80)
            c++;
        if (c > cols)
            break;
        b++;
    }
    return b;
}

/* The summary's name column: as wide as the longest name, up to SUMMARY_NAME_MAX columns;
 * longer names wrap onto lines of their own below their row. */
#define SUMMARY_NAME_MAX 100

/* Under a failed or errored row: every failed expectation and measurement, each on its line. */
static void print_failures(FILE *o, const struct scenario_result *r)
{
    for (size_t k = 0; k < r->nexpects; k++) {
        const struct scenario_expect *x = &r->expects[k];
        if (x->pass)
            continue;
        fputs("    expectation failed: ", o);
        report_put_safe(o, x->message && x->message[0] ? x->message : x->what, SIZE_MAX, false);
        fputc('\n', o);
    }
    for (size_t k = 0; k < r->nmeasures; k++) {
        const struct scenario_measure *m = &r->measures[k];
        if (m->pass)
            continue;
        fputs("    measurement outside its limits: ", o);
        report_put_safe(o, m->name, SIZE_MAX, false);
        fprintf(o, " = %g", m->value);
        if (m->unit && m->unit[0]) {
            fputc(' ', o);
            report_put_safe(o, m->unit, SIZE_MAX, false);
        }
        if (m->has_min && m->has_max)
            fprintf(o, ", limits [%g, %g]", m->min, m->max);
        else if (m->has_min)
            fprintf(o, ", limit >= %g", m->min);
        else if (m->has_max)
            fprintf(o, ", limit <= %g", m->max);
        fputs(" (", o);
        report_put_safe(o, m->where, SIZE_MAX, false);
        fputs(")\n", o);
    }
}

void print_summary(struct run_state *st)
{
    FILE *o = st->progress;
    struct report_counts c;
    report_count(&st->report, &c);
    size_t width = 8;
    for (size_t i = 0; i < st->n; i++) {
        size_t w = text_columns(st->items[i].name);
        width = w > width ? w : width;
    }
    width = width < SUMMARY_NAME_MAX ? width : SUMMARY_NAME_MAX;
    fprintf(o, "\n%-*s verdict    sim s  expect measure\n", (int)width, "scenario");
    for (size_t i = 0; i < st->n; i++) {
        const struct scenario_result *r = &st->res[i];
        const char *name = st->items[i].name;
        size_t xp = 0, mp = 0;
        for (size_t k = 0; k < r->nexpects; k++)
            xp += r->expects[k].pass;
        for (size_t k = 0; k < r->nmeasures; k++)
            mp += r->measures[k].pass;
        size_t first = prefix_bytes(name, width);
        report_put_safe(o, name, first, false);
        size_t w = text_columns(name) < width ? text_columns(name) : width;
        fprintf(o, "%*s %-9s %7.2f  %3zu/%-3zu %3zu/%-3zu", (int)(width - w), "",
                scenario_verdict_name(r->verdict), r->sim_time_s, xp, r->nexpects, mp,
                r->nmeasures);
        /* --suppress-faults proves a scenario depends on its fault; one that injects none
         * (its cause is the pack, the temperature, the charger) cannot be caught that way */
        if (st->o->suppress_faults && r->faults_requested == 0 && r->verdict != SCENARIO_SKIP &&
            r->verdict != SCENARIO_NOT_RUN)
            fputs("  (no fault to suppress)", o);
        fputc('\n', o);
        for (const char *rest = name + first; *rest;) {
            size_t b = prefix_bytes(rest, width - 2);
            fputs("  ", o);
            report_put_safe(o, rest, b, false);
            fputc('\n', o);
            rest += b;
        }
        if (r->verdict == SCENARIO_FAIL || r->verdict == SCENARIO_ERROR)
            print_failures(o, r);
    }
    double sim = 0;
    uint64_t overruns = 0;
    for (size_t i = 0; i < st->n; i++) {
        sim += st->res[i].sim_time_s;
        overruns += st->res[i].overruns;
    }
    fprintf(o, "\n%zu scenario%s: %zu passed, %zu failed, %zu error%s, %zu skipped", st->n,
            st->n == 1 ? "" : "s", c.pass, c.fail, c.error, c.error == 1 ? "" : "s", c.skip);
    if (c.rig_fault)
        fprintf(o, ", %zu rig fault%s", c.rig_fault, c.rig_fault == 1 ? "" : "s");
    if (c.not_run)
        fprintf(o, ", %zu not run", c.not_run);
    fprintf(o, "\n%.1f s of scenario time in %.2f s wall (seed %llu, %d job%s, %s clock)\n", sim,
            st->report.wall_s, (unsigned long long)st->o->seed, st->o->jobs,
            st->o->jobs == 1 ? "" : "s", st->o->realtime ? "real-time" : "virtual");
    if (st->o->realtime)
        fprintf(o, "tick overruns: %llu\n", (unsigned long long)overruns);
    fflush(o);
}

void print_started(struct run_state *st, size_t i)
{
    fprintf(stderr, "[%3zu/%zu] %-9s ", i + 1, st->n, "start");
    report_put_safe(stderr, st->items[i].name, SIZE_MAX, false);
    fputc('\n', stderr);
    fflush(stderr);
}

void print_running(struct run_state *st, const struct worker *w, double now)
{
    double sim_s = (double)atomic_load_explicit(&w->prog.sim_us, memory_order_relaxed) / 1e6;
    char ev[64];
    double ev_s = 0;
    if (!scenario_progress_event(&w->prog, ev, sizeof ev, &ev_s))
        ev[0] = '\0';   /* being written right now: say nothing rather than half of it */
    fprintf(stderr, "[%3zu/%zu] %-9s %9.3f s sim %7.1f s wall  ", w->idx + 1, st->n, "running",
            sim_s, now - w->started_s);
    report_put_safe(stderr, st->items[w->idx].name, SIZE_MAX, false);
    if (ev[0]) {
        fputs(": last ", stderr);
        report_put_safe(stderr, ev, SIZE_MAX, false);
        fprintf(stderr, " at %.3f s", ev_s);
    }
    fputc('\n', stderr);
    fflush(stderr);
}
