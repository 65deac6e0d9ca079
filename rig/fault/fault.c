/* fault.c: lookups in the fault table: by name or alias, the nearest name for a "did you mean",
 * value checks and the text form of values, and the bench line a fault uses. */
#include "rig/fault/fault.h"

#include <errno.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const struct fault_def *fault_find(const char *name)
{
    if (!name)
        return NULL;
    const struct fault_def *t = fault_table();
    for (size_t i = 0; i < fault_count(); i++) {
        if (strcmp(t[i].name, name) == 0)
            return &t[i];
        for (size_t a = 0; a < FAULT_ALIASES_MAX && t[i].aliases[a]; a++)
            if (strcmp(t[i].aliases[a], name) == 0)
                return &t[i];
    }
    return NULL;
}

/* Levenshtein distance of two short strings (longer ones count as far apart). */
static size_t edit_distance(const char *a, const char *b)
{
    enum { MAXLEN = 64 };
    size_t la = strlen(a), lb = strlen(b);
    if (la >= MAXLEN || lb >= MAXLEN)
        return (size_t)-1;
    size_t row[MAXLEN + 1];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* The candidates a name is matched against: names and aliases, or bench lines and power. */
enum pool { POOL_NAMES, POOL_LINES };

/* Calls fn for every candidate of the pool; stops when fn returns true. */
static void for_each(enum pool pool, bool (*fn)(void *user, const char *cand), void *user)
{
    const struct fault_def *t = fault_table();
    for (size_t i = 0; i < fault_count(); i++) {
        if (pool == POOL_NAMES) {
            if (fn(user, t[i].name))
                return;
            for (size_t a = 0; a < FAULT_ALIASES_MAX && t[i].aliases[a]; a++)
                if (fn(user, t[i].aliases[a]))
                    return;
        } else {
            for (size_t l = 0; l < FAULT_LINES_MAX && t[i].lines[l]; l++)
                if (fn(user, t[i].lines[l]))
                    return;
        }
    }
    if (pool == POOL_LINES)
        fn(user, FAULT_LINE_POWER);
}

struct nearest {
    const char *name;
    const char *best;
    size_t best_d;
};

static bool nearer(void *user, const char *cand)
{
    struct nearest *n = user;
    size_t d = edit_distance(n->name, cand);
    if (d < n->best_d) {
        n->best_d = d;
        n->best = cand;
    }
    return false;
}

static const char *nearest_in(enum pool pool, const char *name)
{
    if (!name)
        return NULL;
    struct nearest n = { name, NULL, (size_t)-1 };
    for_each(pool, nearer, &n);
    size_t len = strlen(name);
    size_t limit = len / 3 > 2 ? len / 3 : 2;
    return n.best && n.best_d <= limit ? n.best : NULL;
}

const char *fault_nearest(const char *name)
{
    return nearest_in(POOL_NAMES, name);
}

struct lister {
    char *buf;
    size_t cap, n;
    bool first;
};

static bool list_one(void *user, const char *cand)
{
    struct lister *l = user;
    if (l->n < l->cap) {
        int w = snprintf(l->buf + l->n, l->cap - l->n, "%s %s", l->first ? "" : ",", cand);
        if (w > 0)
            l->n += (size_t)w;
    }
    l->first = false;
    return false;
}

static bool is_name(void *user, const char *cand)
{
    struct nearest *n = user;
    if (strcmp(n->name, cand) == 0)
        n->best = cand;
    return n->best != NULL;
}

bool fault_line_known(const char *name)
{
    if (!name)
        return false;
    struct nearest n = { name, NULL, 0 };
    for_each(POOL_LINES, is_name, &n);
    return n.best != NULL;
}

/* "<head>; did you mean 'X'? (<what>: a, b, ...)" */
static void unknown_message(enum pool pool, const char *head, const char *what,
                            const char *name, char *buf, size_t cap)
{
    if (!buf || cap == 0)
        return;
    const char *near = nearest_in(pool, name);
    int w = near ? snprintf(buf, cap, "%s; did you mean '%s'? (%s:", head, near, what)
                 : snprintf(buf, cap, "%s (%s:", head, what);
    if (w < 0)
        return;
    struct lister l = { buf, cap, (size_t)w, true };
    if (pool == POOL_NAMES) {
        const struct fault_def *t = fault_table();
        for (size_t i = 0; i < fault_count(); i++)   /* the names only, not every alias */
            list_one(&l, t[i].name);
    } else {
        for_each(pool, list_one, &l);
    }
    if (l.n < cap)
        snprintf(buf + l.n, cap - l.n, ")");
}

void fault_line_unknown_message(const char *name, char *buf, size_t cap)
{
    char head[128];
    snprintf(head, sizeof head, "fault line '%s' is not a bench line of any fault", name ? name : "");
    unknown_message(POOL_LINES, head, "lines", name, buf, cap);
}

void fault_unknown_message(const char *name, char *buf, size_t cap)
{
    char head[128];
    snprintf(head, sizeof head, "unknown fault '%s'", name ? name : "");
    unknown_message(POOL_NAMES, head, "faults", name, buf, cap);
}

bool fault_value_ok(const struct fault_def *d, double v)
{
    if (!d || isnan(v))
        return false;
    if (d->arg == FAULT_ARG_SWITCH)
        return true;
    if (d->min_excluded ? !(v > d->min) : !(v >= d->min))
        return false;
    return v <= d->max;
}

int fault_parse_value(const struct fault_def *d, const char *text, double *value, bool *clear,
                      char *err, size_t errcap)
{
    *clear = false;
    *value = 1.0;
    if (!text || !*text)
        return 0;
    if (strcmp(text, "off") == 0) {
        *clear = true;
        return 0;
    }
    if (d->arg == FAULT_ARG_SWITCH) {
        if (strcmp(text, "on") == 0 || strcmp(text, "open") == 0 || strcmp(text, "1") == 0)
            return 0;
        if (strcmp(text, "0") == 0) {
            *clear = true;
            return 0;
        }
        snprintf(err, errcap, "fault '%s': expected on or off, got '%s'", d->name, text);
        return -1;
    }
    for (size_t i = 0; i < FAULT_WORDS_MAX && d->words[i].word; i++) {
        if (strcmp(d->words[i].word, text) == 0) {
            *value = d->words[i].value;
            return 0;
        }
    }
    char *end = NULL;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || *end || errno == ERANGE || !fault_value_ok(d, v)) {
        snprintf(err, errcap, "fault '%s': '%s' is not %s (or off)", d->name, text,
                 d->value_text);
        return -1;
    }
    *value = v;
    return 0;
}

const char *fault_bench_line(const struct fault_def *d,
                             bool (*has_line)(void *user, const char *name), void *user)
{
    if (!d || d->bench == FAULT_BENCH_NONE)
        return NULL;
    for (size_t i = 0; i < FAULT_LINES_MAX && d->lines[i]; i++)
        if (has_line(user, d->lines[i]))
            return d->lines[i];
    return NULL;
}
