/* report_read.c: the mapping of a bmsrig-report-1 document onto struct report_run
 * (rig/scenario/report_read.h), over the JSON reader of report_json.c. */
#include "rig/scenario/report_read.h"
#include "rig/scenario/report_read_internal.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/status.h"

/* ---- the report ---------------------------------------------------------------------------- */

struct mapper {
    struct report_doc *d;
    const char *path;
    char *err;
    size_t errcap;
    bool failed;
};

static void mfail(struct mapper *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void mfail(struct mapper *m, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report_read_failv(&m->failed, m->err, m->errcap, m->path, fmt, ap);
    va_end(ap);
}


static const struct jv *member(const struct jv *o, const char *key)
{
    if (!o || o->t != J_OBJ)
        return NULL;
    for (size_t i = 0; i < o->n; i++)
        if (strcmp(o->k[i], key) == 0)
            return &o->v[i];
    return NULL;
}

/* Keeps a copy of s in the document; NULL on out of memory (reported). */
static const char *keep(struct mapper *m, const char *s)
{
    struct report_doc *d = m->d;
    if (d->nstrings == d->capstrings) {
        size_t nc = d->capstrings ? d->capstrings * 2 : 64;
        char **ns = realloc(d->strings, nc * sizeof(*ns));
        if (!ns) {
            mfail(m, "out of memory");
            return NULL;
        }
        d->strings = ns;
        d->capstrings = nc;
    }
    char *c = strdup(s);
    if (!c) {
        mfail(m, "out of memory");
        return NULL;
    }
    d->strings[d->nstrings++] = c;
    return c;
}

/* The typed getters: `what` names the key in errors ("scenarios[3].seed"). */
static const char *get_str(struct mapper *m, const struct jv *o, const char *key, bool nullable,
                           const char *what)
{
    const struct jv *v = member(o, key);
    if (v && v->t == J_STR)
        return v->s;
    if (v && v->t == J_NULL && nullable)
        return NULL;
    mfail(m, "%s%s%s: missing or not a string", what, *what ? "." : "", key);
    return NULL;
}

static bool get_bool(struct mapper *m, const struct jv *o, const char *key, const char *what)
{
    const struct jv *v = member(o, key);
    if (v && v->t == J_BOOL)
        return v->b;
    mfail(m, "%s%s%s: missing or not true/false", what, *what ? "." : "", key);
    return false;
}

/* A number; JSON null (a value that was not finite) reads as NAN when nullable. */
static double get_num(struct mapper *m, const struct jv *o, const char *key, bool nullable,
                      const char *what)
{
    const struct jv *v = member(o, key);
    if (v && v->t == J_NUM)
        return strtod(v->s, NULL);
    if (v && v->t == J_NULL && nullable)
        return NAN;
    mfail(m, "%s%s%s: missing or not a number", what, *what ? "." : "", key);
    return NAN;
}

static uint64_t get_u64(struct mapper *m, const struct jv *o, const char *key, const char *what)
{
    const struct jv *v = member(o, key);
    if (v && v->t == J_NUM && v->s[0] != '-' && !strpbrk(v->s, ".eE")) {
        errno = 0;
        unsigned long long u = strtoull(v->s, NULL, 10);
        if (errno == 0)
            return u;
    }
    mfail(m, "%s%s%s: missing or not an unsigned integer", what, *what ? "." : "", key);
    return 0;
}

static int64_t get_i64(struct mapper *m, const struct jv *o, const char *key, const char *what)
{
    const struct jv *v = member(o, key);
    if (v && v->t == J_NUM && !strpbrk(v->s, ".eE")) {
        errno = 0;
        long long x = strtoll(v->s, NULL, 10);
        if (errno == 0)
            return x;
    }
    mfail(m, "%s%s%s: missing or not an integer", what, *what ? "." : "", key);
    return 0;
}

static const struct jv *get_arr(struct mapper *m, const struct jv *o, const char *key,
                                const char *what)
{
    const struct jv *v = member(o, key);
    if (v && v->t == J_ARR)
        return v;
    mfail(m, "%s%s%s: missing or not an array", what, *what ? "." : "", key);
    return NULL;
}

static bool verdict_from(const char *s, enum scenario_verdict *out)
{
    for (int v = SCENARIO_PASS; v <= SCENARIO_NOT_RUN; v++) {
        if (s && strcmp(s, scenario_verdict_name((enum scenario_verdict)v)) == 0) {
            *out = (enum scenario_verdict)v;
            return true;
        }
    }
    return false;
}

/* The fault events under KEY ("faults": applied or cleared; "faults_suppressed": kept off by
 * --suppress-faults) of scenario SJ into R; an absent key is an empty list. */
static void map_faults(struct mapper *m, const struct jv *sj, const char *key, const char *what,
                       struct scenario_result *r)
{
    bool suppressed = strcmp(key, "faults_suppressed") == 0;
    const struct jv *fl = member(sj, key);
    if (fl && fl->t != J_ARR)
        mfail(m, "%s.%s: not an array", what, key);
    for (size_t k = 0; fl && fl->t == J_ARR && k < fl->n && !m->failed; k++) {
        const struct jv *x = &fl->v[k];
        char w[112];
        snprintf(w, sizeof(w), "%s.%s[%zu]", what, key, k);
        double t = get_num(m, x, "t_s", false, w);
        const char *action = get_str(m, x, "action", false, w);
        const char *name = get_str(m, x, "name", false, w);
        const char *target = get_str(m, x, "target", false, w);
        double value = get_num(m, x, "value", true, w);
        const char *args = get_str(m, x, "args", false, w);
        if (!m->failed && strcmp(action, "set") != 0 && strcmp(action, "clear") != 0)
            mfail(m, "%s.action: neither \"set\" nor \"clear\"", w);
        if (m->failed)
            break;
        bool set = strcmp(action, "set") == 0;
        if (suppressed)
            scenario_result_add_suppressed_fault(r, t, set, name, target, value, args);
        else
            scenario_result_add_fault(r, t, set, name, target, value, args);
    }
}

static void map_scenario(struct mapper *m, const struct jv *sj, size_t i)
{
    char what[48];
    snprintf(what, sizeof(what), "scenarios[%zu]", i);
    struct report_item *it = &m->d->items[i];
    struct scenario_result *r = &m->d->results[i];
    scenario_result_init(r);
    it->res = r;
    if (!sj || sj->t != J_OBJ) {
        mfail(m, "%s: not an object", what);
        return;
    }
    const char *s;
    it->path = (s = get_str(m, sj, "file", false, what)) ? keep(m, s) : NULL;
    it->name = (s = get_str(m, sj, "name", false, what)) ? keep(m, s) : NULL;
    const struct jv *desc = member(sj, "description");
    if (desc)
        it->description = (s = get_str(m, sj, "description", false, what)) ? keep(m, s) : NULL;
    const struct jv *tags = get_arr(m, sj, "tags", what);
    if (tags) {
        const char **t = calloc(tags->n + 1, sizeof(*t));
        if (!t) {
            mfail(m, "out of memory");
            return;
        }
        it->tags = t;
        it->ntags = tags->n;
        for (size_t k = 0; k < tags->n; k++) {
            if (tags->v[k].t != J_STR) {
                mfail(m, "%s.tags[%zu]: not a string", what, k);
                return;
            }
            t[k] = keep(m, tags->v[k].s);
        }
    }
    if (!verdict_from(get_str(m, sj, "verdict", false, what), &r->verdict))
        mfail(m, "%s.verdict: not a verdict (pass, fail, error, skip, rig-fault, not-run)", what);
    const char *msg = get_str(m, sj, "message", true, what);
    if (msg)
        scenario_result_set_message(r, msg);
    r->seed = get_u64(m, sj, "seed", what);
    r->sim_time_s = get_num(m, sj, "sim_time_s", true, what);
    r->wall_s = get_num(m, sj, "wall_s", true, what);
    r->ticks = get_u64(m, sj, "ticks", what);
    r->overruns = get_u64(m, sj, "overruns", what);
    r->worst_late_us = get_i64(m, sj, "worst_late_us", what);
    r->instructions = get_u64(m, sj, "lua_instructions", what);
    r->faults_requested = (unsigned)get_u64(m, sj, "faults_requested", what);
    r->faults_applied = (unsigned)get_u64(m, sj, "faults_applied", what);
    r->late_total_us = get_i64(m, sj, "late_total_us", what);
    const struct jv *hist = member(sj, "overrun_hist");
    if (!hist || hist->t != J_OBJ || hist->n != CLOCK_LATE_BUCKETS) {
        mfail(m, "%s.overrun_hist: missing or not %d buckets", what, CLOCK_LATE_BUCKETS);
        return;
    }
    for (size_t b = 0; b < hist->n; b++)
        r->late_hist[b] = get_u64(m, hist, hist->k[b], what);
    const struct jv *trace = member(sj, "trace");
    if (trace) {
        const char *sig = get_str(m, trace, "signals", false, what);
        const char *bus = get_str(m, trace, "bus", false, what);
        r->trace_signals = sig ? strdup(sig) : NULL;
        r->trace_bus = bus ? strdup(bus) : NULL;
    }
    const struct jv *ex = get_arr(m, sj, "expectations", what);
    for (size_t k = 0; ex && k < ex->n && !m->failed; k++) {
        const struct jv *x = &ex->v[k];
        char w[96];
        snprintf(w, sizeof(w), "%s.expectations[%zu]", what, k);
        const char *v = get_str(m, x, "verdict", false, w);
        const char *xm = member(x, "message") ? get_str(m, x, "message", false, w) : "";
        const char *xw = get_str(m, x, "what", false, w);
        const char *xwh = get_str(m, x, "where", false, w);
        const char *xo = get_str(m, x, "observed", false, w);
        double t = get_num(m, x, "t_s", true, w);
        if (!m->failed)
            scenario_result_add_expect(r, v && strcmp(v, "pass") == 0, xw, xwh, t, xo, xm,
                                       NAN);   /* the JSON does not carry the window start */
    }
    const struct jv *ms = get_arr(m, sj, "measurements", what);
    for (size_t k = 0; ms && k < ms->n && !m->failed; k++) {
        const struct jv *x = &ms->v[k];
        char w[96];
        snprintf(w, sizeof(w), "%s.measurements[%zu]", what, k);
        const char *v = get_str(m, x, "verdict", false, w);
        double mn = get_num(m, x, "min", true, w), mx = get_num(m, x, "max", true, w);
        const char *name = get_str(m, x, "name", false, w);
        const char *unit = get_str(m, x, "unit", false, w);
        const char *where = get_str(m, x, "where", false, w);
        double value = get_num(m, x, "value", true, w);
        double t = get_num(m, x, "t_s", true, w);
        if (!m->failed)
            scenario_result_add_measure(r, name, value, isnan(mn) ? NULL : &mn,
                                        isnan(mx) ? NULL : &mx, unit,
                                        v && strcmp(v, "pass") == 0, where, t);
    }
    /* faults set and cleared, and those --suppress-faults kept off (both absent in reports
     * written before they were recorded) */
    map_faults(m, sj, "faults", what, r);
    map_faults(m, sj, "faults_suppressed", what, r);
    const struct jv *lg = get_arr(m, sj, "log", what);
    for (size_t k = 0; lg && k < lg->n && !m->failed; k++) {
        char w[96];
        snprintf(w, sizeof(w), "%s.log[%zu]", what, k);
        double t = get_num(m, &lg->v[k], "t_s", true, w);
        const char *text = get_str(m, &lg->v[k], "text", false, w);
        if (!m->failed)
            scenario_result_add_log(r, t, text);
    }
}

/* "merged_from": the inputs of a merged report, so that a report rebuilt from a merged folder
 * (`bmsrig report DIR`) lists them as the merge did. */
static void map_sources(struct mapper *m, const struct jv *arr)
{
    if (!arr || m->failed)
        return;
    if (arr->n == 0) {
        mfail(m, "merged_from: an empty list (a merge has at least one input)");
        return;
    }
    struct report_source *src = calloc(arr->n, sizeof(*src));
    if (!src) {
        mfail(m, "out of memory");
        return;
    }
    m->d->sources = src;
    m->d->run.sources = src;
    m->d->run.nsources = arr->n;
    for (size_t i = 0; i < arr->n && !m->failed; i++) {
        const struct jv *o = &arr->v[i];
        if (o->t != J_OBJ) {
            mfail(m, "merged_from[%zu]: not an object", i);
            return;
        }
        const char *s;
        src[i].file = (s = get_str(m, o, "file", false, "merged_from")) ? keep(m, s) : NULL;
        src[i].timestamp = (s = get_str(m, o, "timestamp", false, "merged_from")) ? keep(m, s) : NULL;
        src[i].host = (s = get_str(m, o, "host", false, "merged_from")) ? keep(m, s) : NULL;
        src[i].total = (size_t)get_u64(m, o, "total", "merged_from");
        if (member(o, "shard")) {
            s = get_str(m, o, "shard", false, "merged_from");
            unsigned k = 0, n = 0;
            char end = 0;
            if (s && (sscanf(s, "%u/%u%c", &k, &n, &end) != 2 || k < 1 || n < 1 || k > n))
                mfail(m, "merged_from[%zu].shard: not K/N", i);
            src[i].shard_k = k;
            src[i].shard_n = n;
        }
        if (member(o, "bench"))
            src[i].bench = (s = get_str(m, o, "bench", false, "merged_from")) ? keep(m, s) : NULL;
        if (member(o, "ftdi_serial"))
            src[i].ftdi_serial =
                (s = get_str(m, o, "ftdi_serial", false, "merged_from")) ? keep(m, s) : NULL;
    }
}

static void map_report(struct mapper *m, const struct jv *root)
{
    struct report_run *run = &m->d->run;
    if (root->t != J_OBJ) {
        mfail(m, "not a JSON object");
        return;
    }
    const char *fmt = get_str(m, root, "format", false, "");
    if (m->failed || strcmp(fmt, "bmsrig-report-1") != 0) {
        m->failed = false;
        mfail(m, "not a bmsrig run report (format is not \"bmsrig-report-1\")");
        return;
    }
    const char *s;
    run->bmsrig_version = (s = get_str(m, root, "bmsrig_version", false, "")) ? keep(m, s) : NULL;
    run->lua_version = (s = get_str(m, root, "lua_version", false, "")) ? keep(m, s) : NULL;
    run->libftdi_version = (s = get_str(m, root, "libftdi_version", false, "")) ? keep(m, s) : NULL;
    run->target = (s = get_str(m, root, "target", false, "")) ? keep(m, s) : NULL;
    run->clock = (s = get_str(m, root, "clock", false, "")) ? keep(m, s) : NULL;
    run->seed = get_u64(m, root, "seed", "");
    run->suppress_faults = get_bool(m, root, "suppress_faults", "");
    run->complete = get_bool(m, root, "complete", "");
    run->incomplete_reason = (s = get_str(m, root, "incomplete_reason", true, "")) ? keep(m, s) : NULL;
    s = get_str(m, root, "timestamp", false, "");
    snprintf(run->timestamp, sizeof(run->timestamp), "%s", s ? s : "");
    s = member(root, "host") ? get_str(m, root, "host", false, "") : "";
    snprintf(run->hostname, sizeof(run->hostname), "%s", s ? s : "");
    run->wall_s = get_num(m, root, "wall_s", true, "");
    const struct jv *bench = member(root, "bench");
    if (bench) {
        if (member(bench, "name"))
            run->bench_name = (s = get_str(m, bench, "name", false, "bench")) ? keep(m, s) : NULL;
        if (member(bench, "ftdi_serial"))
            run->ftdi_serial = (s = get_str(m, bench, "ftdi_serial", false, "bench")) ? keep(m, s) : NULL;
    }
    const struct jv *dut = member(root, "dut");
    if (dut) {
        if (member(dut, "firmware_version"))
            run->dut_firmware_version =
                (s = get_str(m, dut, "firmware_version", false, "dut")) ? keep(m, s) : NULL;
        if (member(dut, "firmware_version_source"))
            run->dut_firmware_version_source =
                (s = get_str(m, dut, "firmware_version_source", false, "dut")) ? keep(m, s) : NULL;
        if (member(dut, "firmware_image"))
            run->dut_firmware_image =
                (s = get_str(m, dut, "firmware_image", false, "dut")) ? keep(m, s) : NULL;
        if (member(dut, "firmware_cpu"))
            run->dut_firmware_cpu =
                (s = get_str(m, dut, "firmware_cpu", false, "dut")) ? keep(m, s) : NULL;
    }
    const struct jv *shard = member(root, "shard");
    if (shard) {
        run->shard_k = (unsigned)get_u64(m, shard, "k", "shard");
        run->shard_n = (unsigned)get_u64(m, shard, "n", "shard");
    }
    if (member(root, "merged_from"))
        map_sources(m, get_arr(m, root, "merged_from", ""));
    const struct jv *sc = get_arr(m, root, "scenarios", "");
    if (!sc)
        return;
    m->d->items = calloc(sc->n ? sc->n : 1, sizeof(*m->d->items));
    m->d->results = calloc(sc->n ? sc->n : 1, sizeof(*m->d->results));
    if (!m->d->items || !m->d->results) {
        mfail(m, "out of memory");
        return;
    }
    run->items = m->d->items;
    for (size_t i = 0; i < sc->n && !m->failed; i++) {
        map_scenario(m, &sc->v[i], i);
        run->n = i + 1;
    }
    /* The counts must be the scenarios': a document whose counts disagree was edited. */
    const struct jv *counts = member(root, "counts");
    if (!m->failed && (!counts || get_u64(m, counts, "total", "counts") != sc->n))
        mfail(m, "counts.total is not the number of scenarios (%zu)", sc->n);
}

int report_read_json(const char *path, struct report_doc **out, char *err, size_t errcap)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errcap, "%s: %s", path, strerror(errno));
        return BMSRIG_ERR_IO;
    }
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            size_t nc = cap ? cap * 2 : 65536;
            char *nb = realloc(buf, nc);
            if (!nb) {
                free(buf);
                fclose(f);
                snprintf(err, errcap, "%s: out of memory", path);
                return BMSRIG_ERR_NOMEM;
            }
            buf = nb;
            cap = nc;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    bool rerr = ferror(f);
    fclose(f);
    if (rerr) {
        free(buf);
        snprintf(err, errcap, "%s: read error", path);
        return BMSRIG_ERR_IO;
    }
    char jerr[300] = "";
    struct jparse j = { .p = buf, .end = buf + len, .start = buf, .err = jerr,
                        .errcap = sizeof(jerr) };
    struct jv root = { 0 };
    bool ok = report_json_parse_value(&j, &root, 0);
    if (ok) {
        report_json_skip_ws(&j);
        if (j.p != j.end) {
            report_json_fail(&j, "text after the document");
            ok = false;
        }
    }
    free(buf);
    if (!ok) {
        report_json_free(&root);
        snprintf(err, errcap, "%s: not JSON: %s", path, jerr);
        return BMSRIG_ERR_PARSE;
    }
    struct report_doc *d = calloc(1, sizeof(*d));
    if (!d) {
        report_json_free(&root);
        snprintf(err, errcap, "%s: out of memory", path);
        return BMSRIG_ERR_NOMEM;
    }
    struct mapper m = { .d = d, .path = path, .err = err, .errcap = errcap };
    map_report(&m, &root);
    report_json_free(&root);
    if (m.failed) {
        report_doc_free(d);
        return BMSRIG_ERR_PARSE;
    }
    *out = d;
    return BMSRIG_OK;
}

void report_doc_free(struct report_doc *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->run.n; i++) {
        scenario_result_clear(&d->results[i]);
        free((void *)d->items[i].tags);
    }
    free(d->items);
    free(d->results);
    free(d->sources);
    for (size_t i = 0; i < d->nstrings; i++)
        free(d->strings[i]);
    free(d->strings);
    free(d);
}
