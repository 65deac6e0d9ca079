/* report_read.c: a small JSON reader (RFC 8259: objects, arrays, strings with \u escapes and
 * surrogate pairs, numbers kept as text, true/false/null) and the mapping of a bmsrig-report-1
 * document onto struct report_run (rig/scenario/report_read.h). */
#include "rig/scenario/report_read.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/status.h"

/* Nesting a report needs is 4; anything deeper is not a report. */
#define JSON_DEPTH_MAX 32

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jv {
    enum jtype t;
    bool b;
    char *s;            /* J_STR: the decoded string; J_NUM: the number's text */
    struct jv *v;       /* J_ARR, J_OBJ: the elements or member values */
    char **k;           /* J_OBJ: member names */
    size_t n;
};

struct jparse {
    const char *p, *end;
    const char *start;
    char *err;
    size_t errcap;
    bool failed;
};

static void jfail(struct jparse *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void jfail(struct jparse *j, const char *fmt, ...)
{
    if (j->failed)
        return;
    j->failed = true;
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(j->err, j->errcap, "byte %zu: %s", (size_t)(j->p - j->start), msg);
}

static void jfree(struct jv *v)
{
    if (!v)
        return;
    free(v->s);
    for (size_t i = 0; i < v->n; i++) {
        if (v->v)
            jfree(&v->v[i]);
        if (v->k)
            free(v->k[i]);
    }
    free(v->v);
    free(v->k);
}

static void skip_ws(struct jparse *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static int hex4(const char *p)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= c - '0';
        else if (c >= 'a' && c <= 'f')
            v |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v |= c - 'A' + 10;
        else
            return -1;
    }
    return v;
}

static void put_utf8_cp(char *out, size_t *n, unsigned cp)
{
    if (cp < 0x80) {
        out[(*n)++] = (char)cp;
    } else if (cp < 0x800) {
        out[(*n)++] = (char)(0xC0 | (cp >> 6));
        out[(*n)++] = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out[(*n)++] = (char)(0xE0 | (cp >> 12));
        out[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[(*n)++] = (char)(0x80 | (cp & 0x3F));
    } else {
        out[(*n)++] = (char)(0xF0 | (cp >> 18));
        out[(*n)++] = (char)(0x80 | ((cp >> 12) & 0x3F));
        out[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[(*n)++] = (char)(0x80 | (cp & 0x3F));
    }
}

/* A string at j->p (its opening quote); the decoded bytes (NUL-terminated; a \u0000 is
 * refused: report strings are C strings). */
static char *parse_string(struct jparse *j)
{
    j->p++;
    const char *q = j->p;
    while (q < j->end && *q != '"') {
        if (*q == '\\')
            q++;
        q++;
    }
    if (q >= j->end) {
        jfail(j, "unterminated string");
        return NULL;
    }
    /* decoded length <= raw length (an escape never grows: \uXXXX is 6 bytes for <= 4) */
    char *out = malloc((size_t)(q - j->p) + 1);
    if (!out) {
        jfail(j, "out of memory");
        return NULL;
    }
    size_t n = 0;
    while (j->p < q) {
        unsigned char c = (unsigned char)*j->p;
        if (c < 0x20) {
            jfail(j, "control character in a string");
            free(out);
            return NULL;
        }
        if (c != '\\') {
            out[n++] = (char)c;
            j->p++;
            continue;
        }
        char e = j->p[1];
        j->p += 2;
        switch (e) {
        case '"': out[n++] = '"'; break;
        case '\\': out[n++] = '\\'; break;
        case '/': out[n++] = '/'; break;
        case 'b': out[n++] = '\b'; break;
        case 'f': out[n++] = '\f'; break;
        case 'n': out[n++] = '\n'; break;
        case 'r': out[n++] = '\r'; break;
        case 't': out[n++] = '\t'; break;
        case 'u': {
            int cp = q - j->p >= 4 ? hex4(j->p) : -1;
            if (cp < 0) {
                jfail(j, "bad \\u escape");
                free(out);
                return NULL;
            }
            j->p += 4;
            unsigned u = (unsigned)cp;
            if (u >= 0xD800 && u <= 0xDBFF) {
                int lo = q - j->p >= 6 && j->p[0] == '\\' && j->p[1] == 'u' ? hex4(j->p + 2) : -1;
                if (lo < 0xDC00 || lo > 0xDFFF) {
                    jfail(j, "unpaired surrogate in a \\u escape");
                    free(out);
                    return NULL;
                }
                j->p += 6;
                u = 0x10000u + ((u - 0xD800u) << 10) + ((unsigned)lo - 0xDC00u);
            } else if (u >= 0xDC00 && u <= 0xDFFF) {
                jfail(j, "unpaired surrogate in a \\u escape");
                free(out);
                return NULL;
            }
            if (u == 0) {
                jfail(j, "\\u0000 in a string");
                free(out);
                return NULL;
            }
            put_utf8_cp(out, &n, u);
            break;
        }
        default:
            jfail(j, "bad escape '\\%c'", e);
            free(out);
            return NULL;
        }
    }
    j->p = q + 1;
    out[n] = '\0';
    return out;
}

static bool parse_value(struct jparse *j, struct jv *v, int depth);

static bool parse_members(struct jparse *j, struct jv *v, int depth, bool obj)
{
    char close = obj ? '}' : ']';
    j->p++;
    skip_ws(j);
    size_t cap = 0;
    if (j->p < j->end && *j->p == close) {
        j->p++;
        return true;
    }
    for (;;) {
        if (v->n == cap) {
            size_t nc = cap ? cap * 2 : 8;
            struct jv *nv = realloc(v->v, nc * sizeof(*nv));
            if (!nv) {
                jfail(j, "out of memory");
                return false;
            }
            v->v = nv;
            if (obj) {
                char **nk = realloc(v->k, nc * sizeof(*nk));
                if (!nk) {
                    jfail(j, "out of memory");
                    return false;
                }
                v->k = nk;
            }
            cap = nc;
        }
        memset(&v->v[v->n], 0, sizeof(v->v[v->n]));
        if (obj) {
            v->k[v->n] = NULL;
            skip_ws(j);
            if (j->p >= j->end || *j->p != '"') {
                v->n++;
                jfail(j, "expected a member name");
                return false;
            }
            v->k[v->n] = parse_string(j);
            v->n++;
            if (!v->k[v->n - 1])
                return false;
            skip_ws(j);
            if (j->p >= j->end || *j->p != ':') {
                jfail(j, "expected ':'");
                return false;
            }
            j->p++;
        } else {
            v->n++;
        }
        if (!parse_value(j, &v->v[v->n - 1], depth + 1))
            return false;
        skip_ws(j);
        if (j->p < j->end && *j->p == ',') {
            j->p++;
            continue;
        }
        if (j->p < j->end && *j->p == close) {
            j->p++;
            return true;
        }
        jfail(j, "expected ',' or '%c'", close);
        return false;
    }
}

static bool parse_value(struct jparse *j, struct jv *v, int depth)
{
    if (depth > JSON_DEPTH_MAX) {
        jfail(j, "nested deeper than %d", JSON_DEPTH_MAX);
        return false;
    }
    skip_ws(j);
    if (j->p >= j->end) {
        jfail(j, "unexpected end of the document");
        return false;
    }
    char c = *j->p;
    if (c == '{' || c == '[') {
        v->t = c == '{' ? J_OBJ : J_ARR;
        return parse_members(j, v, depth, c == '{');
    }
    if (c == '"') {
        v->t = J_STR;
        v->s = parse_string(j);
        return v->s != NULL;
    }
    static const struct { const char *word; enum jtype t; bool b; } words[] = {
        { "true", J_BOOL, true }, { "false", J_BOOL, false }, { "null", J_NULL, false },
    };
    for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++) {
        size_t len = strlen(words[w].word);
        if ((size_t)(j->end - j->p) >= len && memcmp(j->p, words[w].word, len) == 0) {
            v->t = words[w].t;
            v->b = words[w].b;
            j->p += len;
            return true;
        }
    }
    /* a number: -? int frac? exp? */
    const char *s = j->p;
    const char *q = s;
    if (q < j->end && *q == '-')
        q++;
    if (q >= j->end || *q < '0' || *q > '9') {
        jfail(j, "unexpected character '%c'", c);
        return false;
    }
    if (*q == '0')
        q++;
    else
        while (q < j->end && *q >= '0' && *q <= '9')
            q++;
    if (q < j->end && *q == '.') {
        q++;
        if (q >= j->end || *q < '0' || *q > '9') {
            jfail(j, "bad number");
            return false;
        }
        while (q < j->end && *q >= '0' && *q <= '9')
            q++;
    }
    if (q < j->end && (*q == 'e' || *q == 'E')) {
        q++;
        if (q < j->end && (*q == '+' || *q == '-'))
            q++;
        if (q >= j->end || *q < '0' || *q > '9') {
            jfail(j, "bad number");
            return false;
        }
        while (q < j->end && *q >= '0' && *q <= '9')
            q++;
    }
    v->t = J_NUM;
    v->s = strndup(s, (size_t)(q - s));
    if (!v->s) {
        jfail(j, "out of memory");
        return false;
    }
    j->p = q;
    return true;
}

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
    if (m->failed)
        return;
    m->failed = true;
    char msg[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(m->err, m->errcap, "%s: %s", m->path, msg);
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
    /* faults set and cleared (absent in reports written before they were recorded) */
    const struct jv *fl = member(sj, "faults");
    if (fl && fl->t != J_ARR)
        mfail(m, "%s.faults: not an array", what);
    for (size_t k = 0; fl && fl->t == J_ARR && k < fl->n && !m->failed; k++) {
        const struct jv *x = &fl->v[k];
        char w[96];
        snprintf(w, sizeof(w), "%s.faults[%zu]", what, k);
        double t = get_num(m, x, "t_s", false, w);
        const char *action = get_str(m, x, "action", false, w);
        const char *name = get_str(m, x, "name", false, w);
        const char *target = get_str(m, x, "target", false, w);
        double value = get_num(m, x, "value", true, w);
        const char *args = get_str(m, x, "args", false, w);
        if (!m->failed && strcmp(action, "set") != 0 && strcmp(action, "clear") != 0)
            mfail(m, "%s.action: neither \"set\" nor \"clear\"", w);
        if (!m->failed)
            scenario_result_add_fault(r, t, strcmp(action, "set") == 0, name, target, value, args);
    }
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
        if (member(dut, "firmware_image"))
            run->dut_firmware_image =
                (s = get_str(m, dut, "firmware_image", false, "dut")) ? keep(m, s) : NULL;
    }
    const struct jv *shard = member(root, "shard");
    if (shard) {
        run->shard_k = (unsigned)get_u64(m, shard, "k", "shard");
        run->shard_n = (unsigned)get_u64(m, shard, "n", "shard");
    }
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
    bool ok = parse_value(&j, &root, 0);
    if (ok) {
        skip_ws(&j);
        if (j.p != j.end) {
            jfail(&j, "text after the document");
            ok = false;
        }
    }
    free(buf);
    if (!ok) {
        jfree(&root);
        snprintf(err, errcap, "%s: not JSON: %s", path, jerr);
        return BMSRIG_ERR_PARSE;
    }
    struct report_doc *d = calloc(1, sizeof(*d));
    if (!d) {
        jfree(&root);
        snprintf(err, errcap, "%s: out of memory", path);
        return BMSRIG_ERR_NOMEM;
    }
    struct mapper m = { .d = d, .path = path, .err = err, .errcap = errcap };
    map_report(&m, &root);
    jfree(&root);
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
    for (size_t i = 0; i < d->nstrings; i++)
        free(d->strings[i]);
    free(d->strings);
    free(d);
}
