/* bench_sim_peak.c: the peak-rate micro-benchmarks of `bmsrig bench sim` (bench_sim_peak.h).
 * Each kernel keeps many independent dependency chains in flight so that it measures the
 * units' throughput, not one chain's latency; results feed a checksum so nothing is dropped. */
#include "rig/cli/bench_sim_peak.h"

#include <math.h>
#include <time.h>

#define CHAINS 48              /* 12 AVX2 registers of 4 doubles: more than latency x units */
#define DCHAINS 32
#define L1N 512                /* doubles per array: 3 arrays, 12 KiB, in L1 */

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static volatile double sink;   /* checksums land here */

/* Each kernel is multiversioned (target_clones) and so reached through its resolver, never
 * inlined into the timing loop; clang refuses target_clones together with noinline. */

/* acc = acc * m + a: one multiply and one add per element and round (2 FLOPs). */
__attribute__((target_clones("avx2", "default")))
static double run_muladd(long rounds)
{
    double acc[CHAINS];
    for (int j = 0; j < CHAINS; j++)
        acc[j] = 0.01 * j;
    for (long r = 0; r < rounds; r++)
        for (int j = 0; j < CHAINS; j++)
            acc[j] = acc[j] * 0.999999 + 0.001;
    double s = 0.0;
    for (int j = 0; j < CHAINS; j++)
        s += acc[j];
    return s;
}

__attribute__((target_clones("avx2", "default")))
static double run_div(long rounds)
{
    double acc[DCHAINS];
    for (int j = 0; j < DCHAINS; j++)
        acc[j] = 1.0 + 0.01 * j;
    for (long r = 0; r < rounds; r++)
        for (int j = 0; j < DCHAINS; j++)
            acc[j] = (acc[j] + 1.0) / acc[j];        /* stays near the golden ratio */
    double s = 0.0;
    for (int j = 0; j < DCHAINS; j++)
        s += acc[j];
    return s;
}

__attribute__((target_clones("avx2", "default")))
static double run_sqrt(long rounds)
{
    double acc[DCHAINS];
    for (int j = 0; j < DCHAINS; j++)
        acc[j] = 1.0 + 0.01 * j;
    for (long r = 0; r < rounds; r++)
        for (int j = 0; j < DCHAINS; j++)
            acc[j] = sqrt(acc[j] + 1.0);              /* stays near the golden ratio */
    double s = 0.0;
    for (int j = 0; j < DCHAINS; j++)
        s += acc[j];
    return s;
}

static double la[L1N] __attribute__((aligned(64))), lb[L1N] __attribute__((aligned(64)));
static double lc[L1N] __attribute__((aligned(64)));

__attribute__((target_clones("avx2", "default")))
static double run_triad(long rounds)
{
    double *restrict a = la;
    const double *restrict b = lb, *restrict c = lc;
    for (long r = 0; r < rounds; r++) {
        const double s = r & 1 ? 0.5 : -0.5;
        for (int i = 0; i < L1N; i++)
            a[i] = b[i] + s * c[i];
        __asm__ volatile("" ::: "memory");   /* each round really stores */
    }
    return a[L1N / 2];
}

/* Runs kernel for >= min_s, growing the round count; returns the best rounds per second of
 * three timed runs. */
static double best_rate(double (*kernel)(long), double min_s)
{
    long rounds = 1000;
    double best = 0.0;
    for (int tries = 0; tries < 3;) {
        double t0 = cpu_now();
        sink = kernel(rounds);
        double t = cpu_now() - t0;
        if (t < min_s) {
            rounds = (long)((double)rounds * (t > 0.0 ? fmin(10.0, 1.2 * min_s / t) : 10.0)) + 1;
            continue;
        }
        double rate = (double)rounds / t;
        best = rate > best ? rate : best;
        tries++;
    }
    return best;
}

void sim_peak_measure(double min_s, struct sim_peak *out)
{
    for (int i = 0; i < L1N; i++) {
        lb[i] = i;
        lc[i] = 1.0 / (i + 1);
    }
    out->flops_per_s = best_rate(run_muladd, min_s) * 2.0 * CHAINS;
    out->divs_per_s = best_rate(run_div, min_s) * DCHAINS;
    out->sqrts_per_s = best_rate(run_sqrt, min_s) * DCHAINS;
    out->l1_bytes_per_s = best_rate(run_triad, min_s) * 3.0 * sizeof(double) * L1N;
}
