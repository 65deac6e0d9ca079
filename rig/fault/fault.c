/* fault.c: lookups in the fault table: by name or alias, the nearest name for a "did you mean",
 * value checks and the text form of values, and the bench line a fault uses. */
#include "rig/fault/fault.h"

#include <errno.h>
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

const char *fault_nearest(const char *name)
{
    if (!name)
        return NULL;
    const struct fault_def *t = fault_table();
    const char *best = NULL;
    size_t best_d = (size_t)-1;
    for (size_t i = 0; i < fault_count(); i++) {
        const char *cand[1 + FAULT_ALIASES_MAX] = { t[i].name };
        for (size_t a = 0; a < FAULT_ALIASES_MAX && t[i].aliases[a]; a++)
            cand[1 + a] = t[i].aliases[a];
        for (size_t c = 0; c < 1 + FAULT_ALIASES_MAX && cand[c]; c++) {
            size_t d = edit_distance(name, cand[c]);
            if (d < best_d) {
                best_d = d;
                best = cand[c];
            }
        }
    }
    size_t len = strlen(name);
    size_t limit = len / 3 > 2 ? len / 3 : 2;
    return best && best_d <= limit ? best : NULL;
}

void fault_unknown_message(const char *name, char *buf, size_t cap)
{
    if (!buf || cap == 0)
        return;
    const char *near = fault_nearest(name);
    size_t n = 0;
    int w = near ? snprintf(buf, cap, "unknown fault '%s'; did you mean '%s'? (faults:", name, near)
                 : snprintf(buf, cap, "unknown fault '%s' (faults:", name ? name : "");
    if (w < 0)
        return;
    n = (size_t)w;
    const struct fault_def *t = fault_table();
    for (size_t i = 0; i < fault_count() && n < cap; i++) {
        w = snprintf(buf + n, cap - n, "%s %s", i ? "," : "", t[i].name);
        if (w < 0)
            return;
        n += (size_t)w;
    }
    if (n < cap)
        snprintf(buf + n, cap - n, ")");
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
