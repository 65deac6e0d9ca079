/* bench_engine.c: `bmsrig bench engine [FILE...]`: each scenario run in virtual time on the
 * virtual controller, in this thread, timed on the thread's CPU clock (one core, so another
 * process on the host does not count): scenario seconds per CPU second (the real-time factor),
 * CPU microseconds per 1 ms engine tick, beside the host's load average. The default set: the
 * long pack scenario issue 14 names and one each of the controller, line and thermal suites
 * (run from the source tree). */
#include "rig/cli/bench_engine.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "rig/cli/bench_tail.h"
#include "rig/cli/cli.h"
#include "rig/scenario/scenario.h"

static double thread_cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static const char *const default_set[] = {
    "scripts/pack/aged_group_short_range.lua",
    "scripts/controller/replay_commute.lua",
    "scripts/comm/late_replies.lua",
    "scripts/thermal/hot_pack_derating.lua",
};

/* One run of the file at `path`, loaded afresh (a scenario runs once per load). */
static int run_once(const char *path, double *cpu_s, double *sim_s, enum scenario_verdict *v)
{
    struct scenario *sc = scenario_load(path);
    if (!sc) {
        fprintf(stderr, "bmsrig bench engine: out of memory\n");
        return CLI_EXIT_RIG;
    }
    struct scenario_run_options ro;
    scenario_run_options_default(&ro);
    ro.clock = CLOCK_KIND_VIRTUAL;
    ro.target = "virtual";
    char err[1024] = "";
    if (scenario_load_error(sc) || scenario_check(sc, &ro, err, sizeof(err)) != 0) {
        fprintf(stderr, "bmsrig bench engine: %s: %s\n", path,
                scenario_load_error(sc) ? scenario_load_error(sc) : err);
        scenario_free(sc);
        return CLI_EXIT_USAGE;
    }
    struct scenario_result r;
    scenario_result_init(&r);
    double t0 = thread_cpu_s();
    *v = scenario_run(sc, &ro, &r);
    *cpu_s = thread_cpu_s() - t0;
    *sim_s = r.sim_time_s;
    scenario_result_clear(&r);
    scenario_free(sc);
    return CLI_EXIT_PASS;
}

/* One scenario, `repeat` times; the fastest run counts (the least disturbed). */
static int bench_one(const char *path, int repeat, bool first)
{
    double best_cpu = -1, sim_s = 0;
    enum scenario_verdict v = SCENARIO_PASS;
    for (int k = 0; k < repeat; k++) {
        double cpu = 0;
        int rc = run_once(path, &cpu, &sim_s, &v);
        if (rc != CLI_EXIT_PASS)
            return rc;
        if (best_cpu < 0 || cpu < best_cpu)
            best_cpu = cpu;
    }
    double ticks = sim_s * 1e6 / (double)CLOCK_TICK_US_DEFAULT;
    printf("%s{\"scenario\":\"%s\",\"verdict\":\"%s\",\"sim_s\":%.3f,\"cpu_s\":%.4f,"
           "\"realtime_factor\":%.1f,\"cpu_us_per_tick\":%.3f,\"runs\":%d}",
           first ? "" : ",", path, scenario_verdict_name(v), sim_s, best_cpu,
           best_cpu > 0 ? sim_s / best_cpu : 0.0, ticks > 0 ? best_cpu * 1e6 / ticks : 0.0,
           repeat);
    return v == SCENARIO_PASS || v == SCENARIO_SKIP ? CLI_EXIT_PASS : CLI_EXIT_FAIL;
}

int bench_engine_run(int argc, char **argv)
{
    static const struct option opts[] = {
        { "repeat", required_argument, NULL, 'r' },
        { NULL, 0, NULL, 0 },
    };
    double repeat = 3;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'r':
            if (cli_parse_whole(&cmd_bench, "--repeat", optarg, 1, 1000, &repeat))
                return CLI_EXIT_USAGE;
            break;
        default:
            return cli_usage_error(&cmd_bench, "engine: unknown option '%s'", argv[optind - 1]);
        }
    }
    const char *const *files = default_set;
    size_t nfiles = sizeof(default_set) / sizeof(default_set[0]);
    if (optind < argc) {
        files = (const char *const *)argv + optind;
        nfiles = (size_t)(argc - optind);
    }
    printf("{\"bench\":\"engine\",\"clock\":\"CLOCK_THREAD_CPUTIME_ID (one core)\","
           "\"tick_us\":%d,\"goal_realtime_factor\":2000,\"results\":[", CLOCK_TICK_US_DEFAULT);
    int worst = CLI_EXIT_PASS;
    for (size_t i = 0; i < nfiles; i++) {
        fflush(stdout);
        int rc = bench_one(files[i], (int)repeat, i == 0);
        if (rc == CLI_EXIT_USAGE || rc == CLI_EXIT_RIG)
            return rc;
        if (rc > worst)
            worst = rc;
    }
    printf("],");
    bench_loadavg_json(stdout);
    printf("}\n");
    return worst;
}
