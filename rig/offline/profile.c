/* profile.c: t_s,current_a load profiles. */
#include "rig/offline/profile.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/status.h"

void profile_free(struct profile *p)
{
    if (!p)
        return;
    free(p->t_s);
    free(p->current_a);
    p->t_s = p->current_a = NULL;
    p->n = 0;
}

int profile_load(const char *path, struct profile *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return BMSRIG_ERR_IO;
    }
    char *line = NULL;
    size_t cap = 0, alloc = 0;
    unsigned lineno = 0;
    bool header_seen = false;
    int rc = BMSRIG_OK;
    while (getline(&line, &cap, f) >= 0) {
        lineno++;
        char *s = line;
        while (*s == ' ' || *s == '\t')
            s++;
        if (*s == '#' || *s == '\n' || *s == '\r' || *s == '\0')
            continue;
        char *end;
        errno = 0;
        double t = strtod(s, &end);
        if (end == s) {
            if (!header_seen && out->n == 0) {
                header_seen = true;
                continue;
            }
            snprintf(err, errlen, "%s:%u: expected 't_s,current_a' numbers", path, lineno);
            rc = BMSRIG_ERR_PARSE;
            break;
        }
        while (*end == ' ' || *end == '\t')
            end++;
        if (*end != ',') {
            snprintf(err, errlen, "%s:%u: expected ',' after the time", path, lineno);
            rc = BMSRIG_ERR_PARSE;
            break;
        }
        char *s2 = end + 1, *end2;
        double i = strtod(s2, &end2);
        while (*end2 == ' ' || *end2 == '\t' || *end2 == '\r' || *end2 == '\n')
            end2++;
        if (end2 == s2 || *end2 != '\0' || errno == ERANGE || !isfinite(t) || !isfinite(i)) {
            snprintf(err, errlen, "%s:%u: current is not a number (or extra fields)", path,
                     lineno);
            rc = BMSRIG_ERR_PARSE;
            break;
        }
        if (t < 0.0 || (out->n && !(t > out->t_s[out->n - 1]))) {
            snprintf(err, errlen, "%s:%u: time %g must be >= 0 and above the previous row's",
                     path, lineno, t);
            rc = BMSRIG_ERR_RANGE;
            break;
        }
        if (fabs(i) > 1000.0) {
            snprintf(err, errlen, "%s:%u: current %g A outside +-1000 A", path, lineno, i);
            rc = BMSRIG_ERR_RANGE;
            break;
        }
        if (out->n == alloc) {
            size_t na = alloc ? alloc * 2 : 1024;
            double *nt = realloc(out->t_s, na * sizeof(double));
            if (nt)
                out->t_s = nt;
            double *ni = nt ? realloc(out->current_a, na * sizeof(double)) : NULL;
            if (!nt || !ni) {
                snprintf(err, errlen, "%s: out of memory", path);
                rc = BMSRIG_ERR_NOMEM;
                break;
            }
            out->current_a = ni;
            alloc = na;
        }
        out->t_s[out->n] = t;
        out->current_a[out->n] = i;
        out->n++;
    }
    free(line);
    fclose(f);
    if (rc == BMSRIG_OK && out->n == 0) {
        snprintf(err, errlen, "%s:%u: no data rows", path, lineno);
        rc = BMSRIG_ERR_PARSE;
    }
    if (rc != BMSRIG_OK)
        profile_free(out);
    return rc;
}

double profile_duration_s(const struct profile *p)
{
    return p->n ? p->t_s[p->n - 1] : 0.0;
}

double profile_current(const struct profile *p, double t, bool loop, size_t *cursor)
{
    if (!p->n)
        return 0.0;
    double d = profile_duration_s(p);
    if (loop && d > 0.0 && t >= d)
        t = fmod(t, d);
    size_t c = cursor ? *cursor : 0;
    if (c >= p->n || p->t_s[c] > t)
        c = 0;
    while (c + 1 < p->n && p->t_s[c + 1] <= t)
        c++;
    if (cursor)
        *cursor = c;
    return p->current_a[c];
}
