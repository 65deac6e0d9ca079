/* bench_tail.c: percentiles of latency samples and the load average for the benchmarks. */
#include "rig/cli/bench_tail.h"

#include <stdlib.h>
#include <unistd.h>

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Nearest rank: the smallest sample with at least q of the samples at or below it. */
static double rank_us(const int64_t *sorted, size_t n, double q)
{
    size_t k = (size_t)((double)n * q + 0.999999);
    if (k < 1)
        k = 1;
    if (k > n)
        k = n;
    return (double)sorted[k - 1] / 1e3;
}

void bench_tail_of(int64_t *ns, size_t n, struct bench_tail *t)
{
    *t = (struct bench_tail){ .n = n };
    if (n == 0)
        return;
    qsort(ns, n, sizeof(*ns), cmp_i64);
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += (double)ns[i];
    t->p50_us = rank_us(ns, n, 0.50);
    t->p99_us = rank_us(ns, n, 0.99);
    t->p999_us = rank_us(ns, n, 0.999);
    t->max_us = (double)ns[n - 1] / 1e3;
    t->min_us = (double)ns[0] / 1e3;
    t->mean_us = sum / (double)n / 1e3;
}

void bench_tail_json(FILE *f, const char *prefix, const struct bench_tail *t)
{
    fprintf(f, "\"%sp50_us\":%.1f,\"%sp99_us\":%.1f,\"%sp999_us\":%.1f,\"%smax_us\":%.1f,"
               "\"%smean_us\":%.1f,\"%smin_us\":%.1f",
            prefix, t->p50_us, prefix, t->p99_us, prefix, t->p999_us, prefix, t->max_us, prefix,
            t->mean_us, prefix, t->min_us);
}

void bench_loadavg_json(FILE *f)
{
    double la[3] = { -1, -1, -1 };
    if (getloadavg(la, 3) != 3)
        la[0] = la[1] = la[2] = -1;
    fprintf(f, "\"loadavg\":[%.2f,%.2f,%.2f],\"cpus_online\":%ld", la[0], la[1], la[2],
            sysconf(_SC_NPROCESSORS_ONLN));
}
