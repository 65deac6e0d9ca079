/* bench_tail.h: the tail of a latency sample for the benchmarks' JSON (p50, p99, p99.9, max,
 * mean, min, by nearest rank) and the host's load average printed beside it, so that a figure
 * from a loaded host reads as one. */
#ifndef BMSRIG_RIG_BENCH_TAIL_H
#define BMSRIG_RIG_BENCH_TAIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct bench_tail {
    size_t n;
    double p50_us, p99_us, p999_us, max_us, mean_us, min_us;
};

/* Sorts `ns` (n samples in nanoseconds) in place and fills `t` (all zero when n is 0). */
void bench_tail_of(int64_t *ns, size_t n, struct bench_tail *t);

/* `"PREFIXp50_us":..,"PREFIXp99_us":..,"PREFIXp999_us":..,"PREFIXmax_us":..,"PREFIXmean_us":..,
 * "PREFIXmin_us":..` (no leading or trailing comma). */
void bench_tail_json(FILE *f, const char *prefix, const struct bench_tail *t);

/* `"loadavg":[1 min,5 min,15 min],"cpus_online":N` (no commas around); -1 entries if the load
 * average cannot be read. */
void bench_loadavg_json(FILE *f);

#endif
