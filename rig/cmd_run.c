/* cmd_run.c: `bmsrig run`: find scenario files, select them, run them (in parallel on the
 * virtual target), show progress and a summary, write JUnit / TAP / JSON reports, and exit
 * with the CLI contract's code (0 pass, 1 a scenario failed, 2 bad input, 3 rig fault,
 * 4 interrupted). */
#define LOG_PREFIX "run"
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <ftdi.h>
#include <getopt.h>
#include <lua.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rig/cli.h"
#include "rig/clock.h"
#include "rig/log.h"
#include "rig/report.h"
#include "rig/board.h"
#include "rig/dut_serial.h"
#include "rig/rig_hw.h"
#include "rig/scenario.h"
#include "sim/status.h"

#ifndef BMSRIG_VERSION
#define BMSRIG_VERSION "unknown"
#endif

#define JOBS_MAX 64

static volatile sig_atomic_t run_interrupted;

static void on_signal(int sig)
{
    (void)sig;
    run_interrupted = 1;
}

/* ---- file discovery ----------------------------------------------------------------------- */

struct path_list {
    char **v;
    size_t n, cap;
};

static int path_list_add(struct path_list *l, const char *p)
{
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 32;
        char **nv = realloc(l->v, nc * sizeof(*nv));
        if (!nv)
            return BMSRIG_ERR_NOMEM;
        l->v = nv;
        l->cap = nc;
    }
    l->v[l->n] = strdup(p);
    if (!l->v[l->n])
        return BMSRIG_ERR_NOMEM;
    l->n++;
    return BMSRIG_OK;
}

static void path_list_free(struct path_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Every *.lua under dir, recursively, skipping lib/ folders (helpers, not scenarios). */
static int walk(const char *dir, struct path_list *out)
{
    DIR *d = opendir(dir);
    if (!d)
        return BMSRIG_ERR_IO;
    struct path_list local = { 0 };
    struct dirent *de;
    int rc = BMSRIG_OK;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char p[4096];
        snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
        struct stat st;
        if (stat(p, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            if (strcmp(de->d_name, "lib") != 0)
                rc = path_list_add(&local, p);
        } else if (ends_with(de->d_name, ".lua")) {
            rc = path_list_add(&local, p);
        }
        if (rc != BMSRIG_OK)
            break;
    }
    closedir(d);
    qsort(local.v, local.n, sizeof(char *), cmp_str);
    for (size_t i = 0; rc == BMSRIG_OK && i < local.n; i++) {
        struct stat st;
        if (stat(local.v[i], &st) == 0 && S_ISDIR(st.st_mode))
            rc = walk(local.v[i], out);
        else
            rc = path_list_add(out, local.v[i]);
    }
    path_list_free(&local);
    return rc;
}

/* ---- options ------------------------------------------------------------------------------ */

struct run_opts {
    const char *target;
    const char *rig_file;
    const char *junit;
    bool tap;
    const char *json;
    const char *trace_dir;
    double trace_every_ms;
    uint64_t seed;
    const char *filter;
    char *tags;             /* comma list, owned copy */
    bool list;
    bool realtime;
    int jobs;
    bool suppress_faults;
    double tick_ms;
    double timeout_s;
    bool quiet;
};

static bool tags_match(const struct scenario *s, const char *tags)
{
    if (!tags)
        return true;
    char buf[1024];
    snprintf(buf, sizeof(buf), "%s", tags);
    char *save = NULL;
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
        if (scenario_has_tag(s, t))
            return true;
    return false;
}

static bool filter_match(const struct scenario *s, const char *glob)
{
    if (!glob)
        return true;
    const char *path = scenario_path(s);
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    return fnmatch(glob, scenario_name(s), 0) == 0 || fnmatch(glob, path, 0) == 0 ||
           fnmatch(glob, base, 0) == 0;
}

/* ---- the run ------------------------------------------------------------------------------ */

struct run_state {
    const struct run_opts *o;
    struct scenario_run_options ropt;
    struct scenario **sc;
    struct scenario_result *res;
    struct report_item *items;
    size_t n;
    size_t next;         /* next index to start (under lock) */
    size_t done;
    pthread_mutex_t lock;
    FILE *progress;
    struct report_run report;
    double wall0;
};

/* Returns false if a requested report could not be written. */
static bool write_reports(struct run_state *st)
{
    bool ok = true;
    st->report.wall_s = clock_wall_s() - st->wall0;
    if (st->o->junit && report_write_file(st->o->junit, report_write_junit, &st->report) != 0) {
        br_err("cannot write %s: %s", st->o->junit, strerror(errno));
        ok = false;
    }
    if (st->o->json && report_write_file(st->o->json, report_write_json, &st->report) != 0) {
        br_err("cannot write %s: %s", st->o->json, strerror(errno));
        ok = false;
    }
    return ok;
}

static void print_progress(struct run_state *st, size_t i)
{
    const struct scenario_result *r = &st->res[i];
    FILE *o = st->progress;
    const char *v = scenario_verdict_name(r->verdict);
    fprintf(o, "[%3zu/%zu] %-9s %9.3f s sim %7.3f s wall  %s\n", st->done, st->n, v,
            r->sim_time_s, r->wall_s, scenario_name(st->sc[i]));
    if (r->verdict != SCENARIO_PASS && r->message) {
        /* The whole message for errors (traceback), the first line otherwise. */
        const char *m = r->message;
        size_t len = r->verdict == SCENARIO_ERROR ? strlen(m) : strcspn(m, "\n");
        fprintf(o, "          %.*s\n", (int)len, m);
    }
    fflush(o);
}

static void *worker(void *arg)
{
    struct run_state *st = arg;
    for (;;) {
        pthread_mutex_lock(&st->lock);
        size_t i = st->next;
        if (i >= st->n || run_interrupted) {
            pthread_mutex_unlock(&st->lock);
            return NULL;
        }
        st->next++;
        pthread_mutex_unlock(&st->lock);

        struct scenario_result r;
        scenario_result_init(&r);
        scenario_run(st->sc[i], &st->ropt, &r);

        pthread_mutex_lock(&st->lock);
        st->res[i] = r;
        st->done++;
        if (!st->o->quiet)
            print_progress(st, i);
        write_reports(st);  /* incremental: a killed run still leaves its reports */
        pthread_mutex_unlock(&st->lock);
    }
}

static void print_summary(struct run_state *st)
{
    FILE *o = st->progress;
    struct report_counts c;
    report_count(&st->report, &c);
    fputs("\nscenario                                                    verdict    sim s  "
          "expect measure\n", o);
    for (size_t i = 0; i < st->n; i++) {
        const struct scenario_result *r = &st->res[i];
        size_t xp = 0, mp = 0;
        for (size_t k = 0; k < r->nexpects; k++)
            xp += r->expects[k].pass;
        for (size_t k = 0; k < r->nmeasures; k++)
            mp += r->measures[k].pass;
        char name[61];
        snprintf(name, sizeof(name), "%s", scenario_name(st->sc[i]));
        fprintf(o, "%-60s %-9s %7.2f  %3zu/%-3zu %3zu/%-3zu\n", name,
                scenario_verdict_name(r->verdict), r->sim_time_s, xp, r->nexpects, mp,
                r->nmeasures);
    }
    double sim = 0;
    uint64_t overruns = 0;
    for (size_t i = 0; i < st->n; i++) {
        sim += st->res[i].sim_time_s;
        overruns += st->res[i].overruns;
    }
    fprintf(o, "\n%zu scenarios: %zu passed, %zu failed, %zu errors, %zu skipped", st->n, c.pass,
            c.fail, c.error, c.skip);
    if (c.rig_fault)
        fprintf(o, ", %zu rig faults", c.rig_fault);
    if (c.not_run)
        fprintf(o, ", %zu not run", c.not_run);
    fprintf(o, "\n%.1f s of scenario time in %.2f s wall (seed %llu, %d job%s, %s clock)\n", sim,
            st->report.wall_s, (unsigned long long)st->o->seed, st->o->jobs,
            st->o->jobs == 1 ? "" : "s", st->o->realtime ? "real-time" : "virtual");
    if (st->o->realtime)
        fprintf(o, "tick overruns: %llu\n", (unsigned long long)overruns);
    fflush(o);
}

static int run_main(int argc, char **argv)
{
    struct run_opts o = {
        .target = "virtual", .seed = 1, .jobs = 1, .trace_every_ms = 100, .tick_ms = 1,
    };
    static const struct option longopts[] = {
        { "target", required_argument, NULL, 'T' },
        { "rig", required_argument, NULL, 'R' },
        { "junit", required_argument, NULL, 'J' },
        { "tap", no_argument, NULL, 'P' },
        { "json", required_argument, NULL, 'S' },
        { "trace", required_argument, NULL, 'D' },
        { "trace-every", required_argument, NULL, 'E' },
        { "seed", required_argument, NULL, 's' },
        { "filter", required_argument, NULL, 'f' },
        { "tags", required_argument, NULL, 't' },
        { "list", no_argument, NULL, 'l' },
        { "realtime", no_argument, NULL, 'r' },
        { "jobs", required_argument, NULL, 'j' },
        { "suppress-faults", no_argument, NULL, 'X' },
        { "tick-ms", required_argument, NULL, 'k' },
        { "timeout", required_argument, NULL, 'o' },
        { "quiet", no_argument, NULL, 'q' },
        { NULL, 0, NULL, 0 },
    };
    optind = 1;
    opterr = 0;
    int ch;
    double d;
    int rc;
    while ((ch = getopt_long(argc, argv, "j:q", longopts, NULL)) != -1) {
        switch (ch) {
        case 'T':
            if (strcmp(optarg, "virtual") != 0 && strcmp(optarg, "rig") != 0)
                return cli_usage_error(&cmd_run, "--target: '%s' is not virtual or rig", optarg);
            o.target = optarg;
            break;
        case 'R': o.rig_file = optarg; o.target = "rig"; break;
        case 'J': o.junit = optarg; break;
        case 'P': o.tap = true; break;
        case 'S': o.json = optarg; break;
        case 'D': o.trace_dir = optarg; break;
        case 'E':
            if ((rc = cli_parse_number(&cmd_run, "--trace-every", optarg, 1, 60000, &o.trace_every_ms)))
                return rc;
            break;
        case 's': {
            char *end = NULL;
            errno = 0;
            unsigned long long v = strtoull(optarg, &end, 0);
            if (errno || end == optarg || *end || optarg[0] == '-')
                return cli_usage_error(&cmd_run, "--seed: '%s' is not an unsigned integer",
                                       optarg);
            o.seed = v;
            break;
        }
        case 'f': o.filter = optarg; break;
        case 't':
            free(o.tags);
            o.tags = strdup(optarg);
            break;
        case 'l': o.list = true; break;
        case 'r': o.realtime = true; break;
        case 'j':
            if ((rc = cli_parse_whole(&cmd_run, "-j", optarg, 1, JOBS_MAX, &d)))
                return rc;
            o.jobs = (int)d;
            break;
        case 'X': o.suppress_faults = true; break;
        case 'k':
            if ((rc = cli_parse_number(&cmd_run, "--tick-ms", optarg, 0.01, 100, &o.tick_ms)))
                return rc;
            break;
        case 'o':
            if ((rc = cli_parse_number(&cmd_run, "--timeout", optarg, 0.001, 1e7, &o.timeout_s)))
                return rc;
            break;
        case 'q': o.quiet = true; break;
        default:
            free(o.tags);
            return cli_usage_error(&cmd_run, "unknown option or missing value: '%s'",
                                   argv[optind - 1]);
        }
    }
    if (o.realtime && o.jobs > 1) {
        free(o.tags);
        return cli_usage_error(&cmd_run, "-j: parallel runs need the virtual clock (drop "
                                         "--realtime or use -j 1)");
    }
    if (strcmp(o.target, "rig") == 0 && o.jobs > 1) {
        free(o.tags);
        return cli_usage_error(&cmd_run, "-j: the rig target runs one scenario at a time");
    }
    if (strcmp(o.target, "rig") == 0 && !o.rig_file) {
        free(o.tags);
        return cli_usage_error(&cmd_run, "--target rig needs --rig FILE (a hw/boards "
                                         "description)");
    }
    if (o.rig_file)
        o.realtime = true;  /* a bench runs on the wall clock */

    /* Scenario files. */
    struct path_list files = { 0 };
    int nargs = argc - optind;
    char *default_path[] = { (char *)"scripts" };
    char **paths = nargs > 0 ? argv + optind : default_path;
    if (nargs <= 0)
        nargs = 1;
    for (int i = 0; i < nargs; i++) {
        struct stat st;
        if (stat(paths[i], &st) != 0) {
            path_list_free(&files);
            free(o.tags);
            return cli_usage_error(&cmd_run, "%s: %s", paths[i], strerror(errno));
        }
        rc = S_ISDIR(st.st_mode) ? walk(paths[i], &files) : path_list_add(&files, paths[i]);
        if (rc != BMSRIG_OK) {
            fprintf(stderr, "bmsrig run: %s: %s\n", paths[i], bmsrig_strerror(rc));
            path_list_free(&files);
            free(o.tags);
            return CLI_EXIT_USAGE;
        }
    }

    /* Load and select. A file that fails to load is kept (it reports as an error) unless the
     * filter or tags could not have selected it anyway: it has no name or tags to match. */
    struct scenario **sc = calloc(files.n ? files.n : 1, sizeof(*sc));
    size_t n = 0;
    for (size_t i = 0; sc && i < files.n; i++) {
        struct scenario *s = scenario_load(files.v[i]);
        if (!s)
            continue;
        bool keep = filter_match(s, o.filter) &&
                    (scenario_load_error(s) ? o.tags == NULL : tags_match(s, o.tags));
        if (keep)
            sc[n++] = s;
        else
            scenario_free(s);
    }
    path_list_free(&files);
    if (!sc) {
        free(o.tags);
        return CLI_EXIT_USAGE;
    }

    if (o.list) {
        int lrc = CLI_EXIT_PASS;
        for (size_t i = 0; i < n; i++) {
            printf("%s\t%s\t", scenario_path(sc[i]), scenario_name(sc[i]));
            for (size_t t = 0; t < scenario_tag_count(sc[i]); t++)
                printf("%s%s", t ? "," : "", scenario_tag(sc[i], t));
            putchar('\n');
            if (scenario_load_error(sc[i])) {
                printf("  error: %s\n", scenario_load_error(sc[i]));
                lrc = CLI_EXIT_USAGE;
            }
        }
        for (size_t i = 0; i < n; i++)
            scenario_free(sc[i]);
        free(sc);
        free(o.tags);
        return lrc;
    }
    if (n == 0) {
        free(sc);
        free(o.tags);
        fprintf(stderr, "bmsrig run: no scenario selected (check the paths, --filter and "
                        "--tags)\n");
        return CLI_EXIT_USAGE;
    }

    /* Trace files are named after the scenario file: two files of the same name would
     * overwrite each other's traces. */
    if (o.trace_dir) {
        for (size_t i = 0; i < n; i++) {
            const char *a = strrchr(scenario_path(sc[i]), '/');
            a = a ? a + 1 : scenario_path(sc[i]);
            for (size_t j = i + 1; j < n; j++) {
                const char *b = strrchr(scenario_path(sc[j]), '/');
                b = b ? b + 1 : scenario_path(sc[j]);
                if (strcmp(a, b) == 0) {
                    fprintf(stderr, "bmsrig run: --trace: %s and %s would write the same trace "
                                    "files; rename one\n", scenario_path(sc[i]),
                            scenario_path(sc[j]));
                    for (size_t k = 0; k < n; k++)
                        scenario_free(sc[k]);
                    free(sc);
                    free(o.tags);
                    return CLI_EXIT_USAGE;
                }
            }
        }
    }

    /* SIGINT/SIGTERM only set a flag from here on, before the bench is opened: a signal while
     * opening (USB enumeration, bench initialisation) then ends the run through the normal
     * path below (no scenario runs, reports marked incomplete, safe state in rig_hw_close)
     * instead of killing the process with the outputs in whatever state they were. */
    struct sigaction sa = { 0 };
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    struct sigaction old_int, old_term;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);

    /* The bench: opened once for the whole run (it takes the bench lock), safe state between
     * scenarios (engine_free) and at the end (rig_hw_close). */
    struct rig_hw *hw = NULL;
    if (o.rig_file) {
        char err[512] = "";
        int hrc = rig_hw_open_file(&hw, o.rig_file, err, sizeof(err));
        if (hrc != BMSRIG_OK) {
            fprintf(stderr, "bmsrig run: %s\n", err[0] ? err : bmsrig_strerror(hrc));
            sigaction(SIGINT, &old_int, NULL);
            sigaction(SIGTERM, &old_term, NULL);
            for (size_t i = 0; i < n; i++)
                scenario_free(sc[i]);
            free(sc);
            free(o.tags);
            return hrc == BMSRIG_ERR_PARSE ? CLI_EXIT_USAGE : CLI_EXIT_RIG;
        }
    }
    /* A real controller on the bench's serial lines, if the description names them. */
    struct dut_serial *dut = NULL;
    if (hw && rig_hw_board(hw)->bms_port[0]) {
        char err[512] = "";
        const struct board *b = rig_hw_board(hw);
        if (dut_serial_open(&dut, b->bms_port, b->dash_port, err, sizeof(err)) != BMSRIG_OK) {
            fprintf(stderr, "bmsrig run: %s\n", err);
            rig_hw_close(hw);
            sigaction(SIGINT, &old_int, NULL);
            sigaction(SIGTERM, &old_term, NULL);
            for (size_t i = 0; i < n; i++)
                scenario_free(sc[i]);
            free(sc);
            free(o.tags);
            return CLI_EXIT_RIG;
        }
        fprintf(stderr, "bmsrig run: controller BMS line on %s, dashboard line on %s\n",
                dut_serial_bms_path(dut),
                dut_serial_dash_path(dut)[0] ? dut_serial_dash_path(dut) : "(none)");
    }

    struct run_state st = { .o = &o, .sc = sc, .n = n };
    pthread_mutex_init(&st.lock, NULL);
    st.progress = o.tap ? stderr : stdout;
    scenario_run_options_default(&st.ropt);
    st.ropt.clock = o.realtime ? CLOCK_KIND_REALTIME : CLOCK_KIND_VIRTUAL;
    st.ropt.tick_us = (int64_t)(o.tick_ms * 1000.0 + 0.5);
    st.ropt.seed = o.seed;
    st.ropt.suppress_faults = o.suppress_faults;
    st.ropt.trace_dir = o.trace_dir;
    st.ropt.trace_every_us = (int64_t)(o.trace_every_ms * 1000.0 + 0.5);
    st.ropt.output_dir = o.trace_dir;
    st.ropt.target = o.target;
    st.ropt.rig = hw;
    st.ropt.dut = dut;
    if (o.timeout_s > 0)
        st.ropt.timeout_default_s = o.timeout_s;
    st.ropt.interrupted = &run_interrupted;
    st.res = calloc(n, sizeof(*st.res));
    st.items = calloc(n, sizeof(*st.items));
    if (!st.res || !st.items) {
        fputs("bmsrig run: out of memory\n", stderr);
        exit(CLI_EXIT_RIG);
    }
    for (size_t i = 0; i < n; i++) {
        scenario_result_init(&st.res[i]);
        st.items[i] = (struct report_item){
            .path = scenario_path(sc[i]), .name = scenario_name(sc[i]),
            .description = scenario_description(sc[i]), .ntags = scenario_tag_count(sc[i]),
            .res = &st.res[i],
        };
        const char **tags = calloc(st.items[i].ntags + 1, sizeof(char *));
        for (size_t t = 0; tags && t < st.items[i].ntags; t++)
            tags[t] = scenario_tag(sc[i], t);
        st.items[i].tags = tags;
    }

    struct ftdi_version_info fv = ftdi_get_library_version();
    st.report = (struct report_run){
        .bmsrig_version = BMSRIG_VERSION, .lua_version = LUA_RELEASE,
        .libftdi_version = fv.version_str, .target = o.target,
        .clock = o.realtime ? "realtime" : "virtual", .seed = o.seed,
        .suppress_faults = o.suppress_faults, .complete = false, .items = st.items, .n = n,
    };
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(st.report.timestamp, sizeof(st.report.timestamp), "%Y-%m-%dT%H:%M:%S", &tm);
    if (gethostname(st.report.hostname, sizeof(st.report.hostname) - 1) != 0)
        snprintf(st.report.hostname, sizeof(st.report.hostname), "localhost");

    st.wall0 = clock_wall_s();
    if (!o.quiet)
        fprintf(st.progress, "bmsrig run: %zu scenario%s, target %s, seed %llu, %d job%s%s\n", n,
                n == 1 ? "" : "s", o.target, (unsigned long long)o.seed, o.jobs,
                o.jobs == 1 ? "" : "s", o.suppress_faults ? ", FAULTS SUPPRESSED" : "");
    int jobs = o.jobs > (int)n ? (int)n : o.jobs;
    pthread_t th[JOBS_MAX];
    int started = 0;
    for (int j = 1; j < jobs; j++)
        if (pthread_create(&th[started], NULL, worker, &st) == 0)
            started++;
    worker(&st);
    for (int j = 0; j < started; j++)
        pthread_join(th[j], NULL);

    for (size_t i = 0; i < n; i++) {
        if (st.res[i].verdict == SCENARIO_NOT_RUN && !st.res[i].message) {
            scenario_result_set_message(&st.res[i], "not run: the run was interrupted");
            st.res[i].incomplete = true;
        }
    }
    st.report.complete = !run_interrupted;
    bool reports_ok = write_reports(&st);
    if (o.tap)
        report_write_tap(stdout, &st.report);
    if (!o.quiet)
        print_summary(&st);
    if (run_interrupted)
        fprintf(stderr, "bmsrig run: interrupted; reports written and marked incomplete\n");

    struct report_counts c;
    report_count(&st.report, &c);
    int exit_code = CLI_EXIT_PASS;
    if (run_interrupted || c.not_run)
        exit_code = CLI_EXIT_INTERRUPTED;
    else if (c.rig_fault)
        exit_code = CLI_EXIT_RIG;
    else if (c.error)
        exit_code = CLI_EXIT_USAGE;
    else if (c.fail)
        exit_code = CLI_EXIT_FAIL;
    if (!reports_ok && exit_code == CLI_EXIT_PASS)
        exit_code = CLI_EXIT_USAGE;   /* a --junit/--json file that cannot be written */

    dut_serial_close(dut);
    rig_hw_close(hw);  /* safe state first, then release the lock */
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    for (size_t i = 0; i < n; i++) {
        scenario_result_clear(&st.res[i]);
        free((void *)st.items[i].tags);
        scenario_free(sc[i]);
    }
    free(st.res);
    free(st.items);
    free(sc);
    free(o.tags);
    pthread_mutex_destroy(&st.lock);
    return exit_code;
}

const struct cli_command cmd_run = {
    .name = "run",
    .summary = "run Lua scenarios against the virtual controller; JUnit/TAP/JSON reports",
    .usage =
        "usage: bmsrig run [OPTIONS] [PATH...]\n"
        "\n"
        "Runs scenario files (or every *.lua under each folder, lib/ folders excepted;\n"
        "default: scripts/) and gives each a verdict: pass, fail (an expectation or a\n"
        "measurement failed), error (the script is wrong: file:line and traceback), or skip\n"
        "(the target cannot do what the scenario needs). See docs/scenarios.md.\n"
        "\n"
        "options:\n"
        "  --target virtual|rig  what to run against (default virtual: the built-in\n"
        "                        controller model in virtual time)\n"
        "  --rig FILE            a hw/boards description (implies --target rig and real\n"
        "                        time): each tick the models' cell, NTC, pack and charger\n"
        "                        voltages go to the bench's DAC channels and the wire faults\n"
        "                        (bms_tx, esc_tx, esc_resistor, moisture) switch its fault\n"
        "                        lines; a fault the bench lacks skips the scenario. If the\n"
        "                        description names serial lines (serial = { bms =, dash = },\n"
        "                        \"pty\" = a new pseudo-terminal), the device under test is the\n"
        "                        controller on them: the BMS model answers its polls and its\n"
        "                        error and speed are read over the dashboard line; otherwise\n"
        "                        it is the built-in controller model\n"
        "  --junit FILE          write a JUnit XML report (Jenkins junit-10.xsd)\n"
        "  --tap                 write TAP 14 to stdout (progress then goes to stderr)\n"
        "  --json FILE           write a JSON report (expectations, measurements, versions)\n"
        "  --trace DIR           per scenario: DIR/NAME.signals.csv and DIR/NAME.bus.csv (the\n"
        "                        recording format, readable by 'bmsrig decode'); t:output()\n"
        "                        files also go to DIR\n"
        "  --trace-every MS      signals CSV decimation (default 100 ms)\n"
        "  --seed N              run seed (default 1); each scenario derives its own from it\n"
        "                        and its file name, so results do not depend on order or -j\n"
        "  --filter GLOB         only scenarios whose name, path or file name match GLOB\n"
        "  --tags a,b            only scenarios with at least one of these tags\n"
        "  --list                list the selected scenarios (path, name, tags) and exit\n"
        "  --realtime            run on CLOCK_MONOTONIC deadlines instead of virtual time;\n"
        "                        tick overruns are counted and reported\n"
        "  -j N, --jobs N        run N scenarios in parallel (virtual clock only)\n"
        "  --suppress-faults     check switch: accept every fault injection but apply none;\n"
        "                        every fault scenario must then fail\n"
        "  --tick-ms MS          engine tick (default 1 ms)\n"
        "  --timeout S           scenario-time limit for scenarios that set none (default 600)\n"
        "  -q, --quiet           no progress lines or summary\n"
        "\n"
        "exit codes: 0 all passed (or skipped), 1 a scenario failed, 2 bad input (usage,\n"
        "script error, nothing selected, a --junit/--json file that cannot be written), 3 rig\n"
        "fault, 4 interrupted (reports are written and marked incomplete)\n",
    .run = run_main,
};
