/* bench_sim.c: `bmsrig bench sim`: pack model throughput on one core, printed as JSON.
 *
 * Measures cell-steps per second and ns per cell-step on the thread CPU clock (one core), the
 * real-time factor of a 10S3P pack at a 1 ms step, and instructions per cell-step by running
 * this same binary under callgrind (counting only inside bench_sim_loop) when valgrind is
 * installed; hardware counters are not used (often unavailable in VMs). Each pack is also run
 * on a straightforward reference kernel (rig/cli/bench_sim_ref.h) in the same run on the same
 * clock, and the ratio printed; and each path's floor (its FLOPs, bytes, divisions and square
 * roots per cell-step, counted from sim/pack_step.c, at the peak rates rig/cli/bench_sim_peak.h
 * measures in the same run) is printed with the pack's ratio to it. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rig/cli/bench.h"
#include "rig/cli/bench_sim_peak.h"
#include "rig/cli/bench_sim_ref.h"
#include "rig/offline/cellfile.h"
#include "rig/cli/cli.h"
#include "sim/pack.h"
#include "sim/status.h"

extern char **environ;

#define NLOAD 1024

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The measured kernel: `steps` pack steps over a precomputed ride-like load. Not static and
 * not inlined so callgrind can count inside it by name. */
__attribute__((noinline)) void bench_sim_loop(struct pack *p, long steps, double dt,
                                              const double *load);
__attribute__((noinline)) void bench_sim_loop(struct pack *p, long steps, double dt,
                                              const double *load)
{
    for (long s = 0; s < steps; s++)
        pack_step(p, dt, load[s & (NLOAD - 1)]);
}

static struct pack *make_pack(const char *preset, const struct cell_params *cp)
{
    struct pack_config cfg;
    if (pack_config_preset(&cfg, preset, cp) != BMSRIG_OK)
        return NULL;
    cfg.soc0 = 0.95;
    return pack_new(&cfg);
}

static void fill_load(double *load, double scale)
{
    for (int i = 0; i < NLOAD; i++)
        load[i] = scale * (7.0 + 5.0 * sin(2.0 * M_PI * i / NLOAD) + (i % 200 < 10 ? 10.0 : 0.0));
}

/* The reference kernel's loop (rig/cli/bench_sim_ref.h), measured the same way. */
__attribute__((noinline)) static void bench_sim_ref_loop(struct sim_ref *r, long steps, double dt,
                                                         const double *load)
{
    for (long s = 0; s < steps; s++)
        sim_ref_step(r, dt, load[s & (NLOAD - 1)]);
}

/* What one cell-step of a path costs at the least, counted from sim/pack_step.c (docs/model.md
 * section 8 lists them term by term): floating-point operations (each multiply, add,
 * subtract, min/max, copysign or fabs; the ln reduction's integer operations are left out),
 * bytes of L1 traffic (8 per array element loaded or stored), divisions and square roots.
 * Per-group work (1/P of a cell's or less) is left out, so the floor is if anything low. */
struct path_cost {
    const char *name;
    double flops, bytes, divs, sqrts;
};

static const struct path_cost plain_path = { "plain 2-RC", 59, 296, 0, 0 };
static const struct path_cost ct_path = { "charge transfer", 113, 536, 1, 1 };

/* The floor of a path in ns per cell-step: the slowest of its arithmetic, its memory traffic
 * and its divider work at the measured peaks (each unit at full rate, perfect overlap). */
static double floor_ns(const struct path_cost *c, const struct sim_peak *pk, const char **bound)
{
    double t_flop = c->flops / pk->flops_per_s, t_mem = c->bytes / pk->l1_bytes_per_s;
    double t_div = c->divs / pk->divs_per_s + c->sqrts / pk->sqrts_per_s;
    double t = t_flop;
    *bound = "flops";
    if (t_mem > t) {
        t = t_mem;
        *bound = "l1 bytes";
    }
    if (t_div > t) {
        t = t_div;
        *bound = "divider";
    }
    return 1e9 * t;
}

struct result {
    const char *preset;
    double ref_ns_per_cell_step;   /* the reference kernel, same pack, same clock */
    unsigned cells;
    long steps;
    double cpu_s;
    double cell_steps_per_s;
    double ns_per_cell_step;
    double realtime_factor;
};

static int measure(const char *preset, const struct cell_params *cp, double dt, double min_s,
                   struct result *r)
{
    struct pack *p = make_pack(preset, cp);
    if (!p)
        return -1;
    double load[NLOAD];
    fill_load(load, pack_parallel(p) / 3.0);
    bench_sim_loop(p, 20000, dt, load);            /* warm up */
    long steps = 100000;
    double t;
    for (;;) {
        double t0 = cpu_now();
        bench_sim_loop(p, steps, dt, load);
        t = cpu_now() - t0;
        if (t >= min_s || steps > (1L << 40))
            break;
        steps = (long)((double)steps * (t > 0.0 ? fmin(10.0, 1.2 * min_s / t) : 10.0)) + 1;
    }
    unsigned n = pack_series(p) * pack_parallel(p);
    r->preset = preset;
    r->cells = n;
    r->steps = steps;
    r->cpu_s = t;
    r->cell_steps_per_s = (double)steps * n / t;
    r->ns_per_cell_step = 1e9 * t / ((double)steps * n);
    r->realtime_factor = (double)steps * dt / t;
    pack_free(p);

    struct pack_config cfg;
    if (pack_config_preset(&cfg, preset, cp) != BMSRIG_OK)
        return -1;
    cfg.soc0 = 0.95;
    struct sim_ref *ref = sim_ref_new(&cfg);
    if (!ref)
        return -1;
    bench_sim_ref_loop(ref, 20000, dt, load);      /* warm up */
    long rsteps = 10000;
    for (;;) {
        double t0 = cpu_now();
        bench_sim_ref_loop(ref, rsteps, dt, load);
        t = cpu_now() - t0;
        if (t >= min_s || rsteps > (1L << 40))
            break;
        rsteps = (long)((double)rsteps * (t > 0.0 ? fmin(10.0, 1.2 * min_s / t) : 10.0)) + 1;
    }
    r->ref_ns_per_cell_step = 1e9 * t / ((double)rsteps * n);
    sim_ref_free(ref);
    return 0;
}

/* Runs this binary under callgrind for `steps` steps of `preset`; returns instructions counted
 * inside bench_sim_loop, or -1 (reason in why). */
static double callgrind_instructions(const char *preset, long steps, const char *cell, char *why,
                                     size_t whylen)
{
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0) {
        snprintf(why, whylen, "cannot find own executable");
        return -1;
    }
    self[n] = '\0';
    char out[] = "/tmp/bmsrig-callgrind-XXXXXX";
    int fd = mkstemp(out);
    if (fd < 0) {
        snprintf(why, whylen, "mkstemp: %s", strerror(errno));
        return -1;
    }
    close(fd);
    char outarg[128], stepsarg[32];
    snprintf(outarg, sizeof(outarg), "--callgrind-out-file=%s", out);
    snprintf(stepsarg, sizeof(stepsarg), "%ld", steps);
    char *argv[] = { "valgrind", "--tool=callgrind", "--quiet", outarg, "--collect-atstart=no",
                     "--toggle-collect=bench_sim_loop*", self, "bench", "sim", "--inner-steps",
                     stepsarg, "--pack", (char *)preset, "--cell", (char *)cell, NULL };
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    int rc = posix_spawnp(&pid, "valgrind", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        snprintf(why, whylen, "valgrind not runnable: %s", strerror(rc));
        unlink(out);
        return -1;
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    double total = -1;
    FILE *f = fopen(out, "r");
    if (f) {
        char line[512];
        while (fgets(line, sizeof(line), f))
            if (strncmp(line, "totals:", 7) == 0 || strncmp(line, "summary:", 8) == 0)
                total = strtod(strchr(line, ':') + 1, NULL);
        fclose(f);
    }
    unlink(out);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || total <= 0) {
        snprintf(why, whylen, "callgrind run failed (exit status %d)", status);
        return -1;
    }
    return total;
}

int bench_sim_run(int argc, char **argv)
{
    const char *cell = "lg_m26", *only_pack = NULL;
    double min_s = 1.0;
    long inner_steps = -1;
    bool no_callgrind = false;
    enum { O_CELL = 256, O_SECONDS, O_INNER, O_PACK, O_NOCG };
    static const struct option opts[] = {
        { "cell", required_argument, NULL, O_CELL },
        { "seconds", required_argument, NULL, O_SECONDS },
        { "inner-steps", required_argument, NULL, O_INNER },
        { "pack", required_argument, NULL, O_PACK },
        { "no-callgrind", no_argument, NULL, O_NOCG },
        { NULL, 0, NULL, 0 },
    };
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case O_CELL: cell = optarg; break;
        case O_PACK: only_pack = optarg; break;
        case O_NOCG: no_callgrind = true; break;
        case O_SECONDS:
            if (cli_parse_number(&cmd_bench, "--seconds", optarg, 0.01, 600, &min_s))
                return CLI_EXIT_USAGE;
            break;
        case O_INNER: {
            double steps;
            if (cli_parse_whole(&cmd_bench, "--inner-steps", optarg, 1, 1e15, &steps))
                return CLI_EXIT_USAGE;
            inner_steps = (long)steps;
            break;
        }
        default:
            return cli_usage_error(&cmd_bench, "sim: unknown or incomplete option '%s'",
                                   argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage_error(&cmd_bench, "sim: unexpected argument '%s'", argv[optind]);
    struct cell_params cp;
    char err[512];
    if (cellfile_load(cell, &cp, err, sizeof(err)) != BMSRIG_OK) {
        fprintf(stderr, "bmsrig bench: --cell: %s\n", err);
        return CLI_EXIT_USAGE;
    }
    const double dt = 1e-3;
    if (inner_steps > 0) {
        /* The callgrind child: just run the kernel. */
        struct pack *p = make_pack(only_pack ? only_pack : "10s3p", &cp);
        if (!p)
            return cli_usage_error(&cmd_bench, "--pack: bad preset");
        double load[NLOAD];
        fill_load(load, pack_parallel(p) / 3.0);
        bench_sim_loop(p, inner_steps, dt, load);
        printf("%.6f\n", pack_terminal_v(p));
        pack_free(p);
        return CLI_EXIT_PASS;
    }
    double load_before[3] = { -1, -1, -1 }, load_after[3] = { -1, -1, -1 };
    if (getloadavg(load_before, 3) != 3)
        load_before[0] = load_before[1] = load_before[2] = -1;
    const char *presets[] = { "10s3p", "16s8p" };
    struct result res[2];
    size_t nres = 0;
    for (size_t i = 0; i < 2; i++) {
        const char *pr = only_pack ? only_pack : presets[i];
        if (measure(pr, &cp, dt, min_s, &res[nres]) != 0)
            return cli_usage_error(&cmd_bench, "--pack: '%s' is not a valid pack", pr);
        nres++;
        if (only_pack)
            break;
    }
    struct sim_peak peak;
    sim_peak_measure(fmin(0.2, min_s), &peak);
    if (getloadavg(load_after, 3) != 3)
        load_after[0] = load_after[1] = load_after[2] = -1;
    const struct path_cost *path = cp.n_ct > 0 ? &ct_path : &plain_path;
    const char *bound = "";
    const double floor = floor_ns(path, &peak, &bound);
    double ipcs[2] = { -1, -1 };
    char why[256] = "disabled with --no-callgrind";
    if (!no_callgrind)
        for (size_t i = 0; i < nres; i++) {
            const long k = 20000;
            double a = callgrind_instructions(res[i].preset, k, cell, why, sizeof(why));
            double b = a > 0 ? callgrind_instructions(res[i].preset, 2 * k, cell, why,
                                                      sizeof(why)) : -1;
            /* difference of two runs removes the set-up and the refresh warm-up */
            if (a > 0 && b > a)
                ipcs[i] = (b - a) / ((double)k * res[i].cells);
        }
    printf("{\n  \"bench\": \"sim\",\n  \"cell\": \"%s\",\n  \"dt_s\": %g,\n"
           "  \"clock\": \"CLOCK_THREAD_CPUTIME_ID (one core)\",\n  \"goal_cell_steps_per_s\": 2e8,\n"
           "  \"reference\": \"rig/cli/bench_sim_ref.c: one struct and loop per cell, libm\",\n"
           "  \"loadavg_before\": [%.2f, %.2f, %.2f],\n  \"loadavg_after\": [%.2f, %.2f, %.2f],\n"
           "  \"peak\": {\"flops_per_s\": %.4g, \"l1_bytes_per_s\": %.4g, \"divs_per_s\": %.4g, "
           "\"sqrts_per_s\": %.4g, \"method\": \"rig/cli/bench_sim_peak.c: FMA-free multiply-add "
           "chains, L1 triad, independent divisions and square roots; best of three\"},\n"
           "  \"path\": {\"name\": \"%s\", \"flops_per_cell_step\": %g, \"bytes_per_cell_step\": %g, "
           "\"divs_per_cell_step\": %g, \"sqrts_per_cell_step\": %g, \"floor_ns_per_cell_step\": %.3f, "
           "\"floor_bound\": \"%s\"},\n"
           "  \"results\": [\n", cp.name, dt, load_before[0], load_before[1], load_before[2],
           load_after[0], load_after[1], load_after[2], peak.flops_per_s, peak.l1_bytes_per_s,
           peak.divs_per_s, peak.sqrts_per_s, path->name, path->flops, path->bytes, path->divs,
           path->sqrts, floor, bound);
    for (size_t i = 0; i < nres; i++) {
        printf("    {\"pack\": \"%s\", \"cells\": %u, \"steps\": %ld, \"cpu_s\": %.4f, "
               "\"cell_steps_per_s\": %.4g, \"ns_per_cell_step\": %.3f, "
               "\"realtime_factor\": %.1f, \"reference_ns_per_cell_step\": %.3f, "
               "\"speedup_vs_reference\": %.2f, \"floor_ratio\": %.2f, "
               "\"instructions_per_cell_step\": ",
               res[i].preset, res[i].cells, res[i].steps, res[i].cpu_s, res[i].cell_steps_per_s,
               res[i].ns_per_cell_step, res[i].realtime_factor, res[i].ref_ns_per_cell_step,
               res[i].ref_ns_per_cell_step / res[i].ns_per_cell_step,
               res[i].ns_per_cell_step / floor);
        if (ipcs[i] > 0)
            printf("%.2f", ipcs[i]);
        else
            printf("null");
        printf("}%s\n", i + 1 < nres ? "," : "");
    }
    printf("  ]");
    if (ipcs[0] <= 0)
        printf(",\n  \"instructions_note\": \"%s\"", why);
    else
        printf(",\n  \"instructions_method\": \"valgrind callgrind, Ir inside bench_sim_loop, "
               "difference of 20000- and 40000-step runs\"");
    printf("\n}\n");
    return CLI_EXIT_PASS;
}
