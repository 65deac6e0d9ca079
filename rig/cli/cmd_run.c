/* cmd_run.c: `bmsrig run`: find scenario files, select them, run them (in parallel on the
 * virtual target), show progress and a summary, write JUnit / TAP / JSON reports, and exit
 * with the CLI contract's code (0 pass, 1 a scenario failed, 2 bad input, 3 rig fault,
 * 4 interrupted). The scenarios run in worker threads; the main thread supervises them and its
 * watchdog writes off a scenario that stops making progress (stuck inside a C call). */
#define LOG_PREFIX "run"
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <ftdi.h>
#include <getopt.h>
#include <lua.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rig/cli/cli.h"
#include "rig/scenario/clock.h"
#include "rig/util/log.h"
#include "rig/scenario/report.h"
#include "rig/bench/board.h"
#include "rig/dut/dut_firmware.h"
#include "rig/line/dut_serial.h"
#include "rig/html/html_report.h"
#include "rig/bench/rig_hw.h"
#include "rig/scenario/scenario.h"
#include "rig/scenario/watchdog.h"
#include "sim/status.h"

#ifndef BMSRIG_VERSION
#define BMSRIG_VERSION "unknown"
#endif

#define JOBS_MAX 64

/* The watchdog (--watchdog S): constants, timed waits, watched loading and texts in
 * rig/scenario/watchdog.h. Stuck threads cannot be cancelled and each keeps a core busy: past this many
 * the run starts no replacement worker and reports the scenarios it did not start as not
 * run. [I] */
#define WATCHDOG_STUCK_MAX 4

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
    int tap_version;        /* 13 (default: what Test::Harness 3.44 accepts) or 14 */
    const char *json;
    const char *trace_dir;
    const char *html_dir;   /* --html: the report's folder (traces in html_dir/traces by default) */
    double trace_every_ms;
    uint64_t seed;
    const char *filter;
    const char *tags;       /* comma list (borrowed from argv) */
    bool list;
    bool realtime;
    int jobs;
    bool suppress_faults;
    double tick_ms;
    double timeout_s;
    double watchdog_s;      /* 0 = off */
    bool quiet;
    struct dut_firmware_config fw;   /* target firmware: fw.image_path set */
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

static const char *base_name(const char *path)
{
    const char *base = strrchr(path, '/');
    return base ? base + 1 : path;
}

/* name may be NULL (a file whose loading was written off: only its path is known). A GLOB
 * matches a whole name, path or file name; one with no glob character (* ? [) is a plain
 * substring of any of them. */
static bool filter_match_names(const char *name, const char *path, const char *glob)
{
    if (!glob)
        return true;
    if (!strpbrk(glob, "*?["))
        return (name && strstr(name, glob)) || strstr(path, glob) != NULL;
    return (name && fnmatch(glob, name, 0) == 0) || fnmatch(glob, path, 0) == 0 ||
           fnmatch(glob, base_name(path), 0) == 0;
}

static bool filter_match(const struct scenario *s, const char *glob)
{
    return filter_match_names(scenario_name(s), scenario_path(s), glob);
}

/* ---- the selection ------------------------------------------------------------------------ */

/* Path of selected file i: sc[i]'s, or for a file written off while loading, stuck[i]. */
static const char *sel_path(struct scenario *const *sc, char *const *stuck, size_t i)
{
    return sc[i] ? scenario_path(sc[i]) : stuck[i];
}

static void selection_free(struct scenario **sc, char **stuck, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        scenario_free(sc[i]);
        free(stuck[i]);
    }
    free(sc);
    free(stuck);
}

/* ---- the run ------------------------------------------------------------------------------ */

struct run_state;

/* One worker thread and what the supervisor knows of it. */
struct worker {
    struct run_state *st;
    pthread_t th;
    pid_t tid;              /* its kernel thread id (for setpriority) */
    struct scenario_progress prog;  /* written by the worker's scenario_run */
    size_t idx;             /* the scenario it runs, while busy */
    bool busy;
    bool abandoned;         /* written off by the watchdog: its result is not wanted */
    bool exited;            /* its thread function returned */
    double started_s;       /* wall clock when idx started */
    uint64_t seen_beats;    /* the supervisor's last sample of prog.beats ... */
    double seen_s;          /* ... and when that sample last changed */
};

struct run_state {
    const struct run_opts *o;
    struct scenario_run_options ropt;
    struct scenario **sc;       /* NULL for a file whose loading was written off */
    struct scenario_result *res;
    struct report_item *items;
    size_t n;
    size_t next;         /* next index to start (under lock) */
    size_t done;
    pthread_mutex_t lock;
    pthread_cond_t cond;        /* a worker finished a scenario or exited */
    FILE *progress;
    struct report_run report;
    double wall0;
    bool bench;                 /* a bench or a real controller is open */
    /* workers (under lock); the array never moves: threads hold pointers into it */
    struct worker *workers;
    size_t nworkers, capworkers;
    size_t live;                /* workers neither exited nor abandoned */
    size_t stuck;               /* workers written off */
    size_t stuck_running;       /* ... whose thread has not come back */
    bool stuck_in_device;       /* one of them is inside an engine tick on a bench */
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
    /* Names and messages come from the scenario: sanitised (report_put_safe), so that none
     * can drive the terminal (ESC, CR, C1 ...). */
    fprintf(o, "[%3zu/%zu] %-9s %9.3f s sim %7.3f s wall  ", st->done, st->n, v,
            r->sim_time_s, r->wall_s);
    report_put_safe(o, st->items[i].name, SIZE_MAX, false);
    fputc('\n', o);
    if (r->verdict != SCENARIO_PASS && r->message) {
        /* The whole message for errors (traceback), the first line otherwise. */
        const char *m = r->message;
        size_t len = r->verdict == SCENARIO_ERROR ? strlen(m) : strcspn(m, "\n");
        fputs("          ", o);
        report_put_safe(o, m, len, true);
        fputc('\n', o);
    }
    fflush(o);
}

/* A scenario's result is final (under lock): count it, show it, rewrite the reports
 * (incremental: a killed run still leaves its reports). */
static void finish_scenario(struct run_state *st, size_t i)
{
    st->done++;
    if (!st->o->quiet)
        print_progress(st, i);
    write_reports(st);
    pthread_cond_broadcast(&st->cond);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct run_state *st = w->st;
    struct scenario_run_options ropt = st->ropt;
    ropt.progress = &w->prog;
    pthread_mutex_lock(&st->lock);
    w->tid = gettid();
    while (!w->abandoned) {
        while (st->next < st->n && !st->sc[st->next])
            st->next++;   /* written off while loading: its result is already final */
        size_t i = st->next;
        if (i >= st->n || run_interrupted)
            break;
        st->next++;
        w->idx = i;
        w->busy = true;
        w->started_s = clock_wall_s();
        w->seen_beats = 0;
        w->seen_s = w->started_s;
        scenario_progress_reset(&w->prog);
        pthread_mutex_unlock(&st->lock);

        struct scenario_result r;
        scenario_result_init(&r);
        scenario_run(st->sc[i], &ropt, &r);

        pthread_mutex_lock(&st->lock);
        if (w->abandoned) {
            /* Came back after the watchdog wrote it off: that verdict stands. */
            scenario_result_clear(&r);
            break;
        }
        w->busy = false;
        st->res[i] = r;
        finish_scenario(st, i);
    }
    w->exited = true;
    if (w->abandoned)
        st->stuck_running--;
    else
        st->live--;
    pthread_cond_broadcast(&st->cond);
    pthread_mutex_unlock(&st->lock);
    return NULL;
}

/* Starts one more worker (under lock). False if there is no room or no thread. */
static bool start_worker(struct run_state *st)
{
    if (st->nworkers == st->capworkers)
        return false;
    struct worker *w = &st->workers[st->nworkers];
    memset(w, 0, sizeof(*w));
    w->st = st;
    if (pthread_create(&w->th, NULL, worker_main, w) != 0)
        return false;
    st->nworkers++;
    st->live++;
    return true;
}

/* Writes off w's scenario (under lock): it made no progress for idle_s seconds (the watchdog),
 * or it did not stop after an interrupt. Its thread is left running: a thread stuck inside a C
 * call cannot be cancelled safely; it is asked to stop if it ever comes back. */
static void abandon(struct run_state *st, struct worker *w, double now, double idle_s,
                    bool interrupted)
{
    size_t i = w->idx;
    struct scenario_result *r = &st->res[i];
    enum scenario_phase ph =
        (enum scenario_phase)atomic_load_explicit(&w->prog.phase, memory_order_relaxed);
    double t = (double)atomic_load_explicit(&w->prog.sim_us, memory_order_relaxed) / 1e6;
    atomic_store_explicit(&w->prog.cancel, 1, memory_order_relaxed);
    /* It cannot be stopped, but it can give way: the lowest priority for that one thread
     * (Linux nice values are per thread), so the other workers keep their cores. Parking it
     * instead (a signal handler that never returns) could leave a lock it holds taken. */
    setpriority(PRIO_PROCESS, (id_t)w->tid, 19);
    w->abandoned = true;
    w->busy = false;
    st->live--;
    st->stuck++;
    st->stuck_running++;
    if (st->bench && ph != SCENARIO_PHASE_SCRIPT)
        st->stuck_in_device = true;

    char msg[WATCHDOG_MESSAGE_CAP];
    watchdog_stuck_message(msg, sizeof(msg), st->items[i].path, idle_s, t, ph,
                           st->o->watchdog_s, interrupted);
    scenario_result_init(r);
    scenario_result_set_message(r, msg);
    r->seed = scenario_seed(st->o->seed, st->items[i].path);
    r->sim_time_s = t;
    r->wall_s = now - w->started_s;
    r->verdict = watchdog_stuck_verdict(ph, st->bench, interrupted);
    r->incomplete = interrupted;
    finish_scenario(st, i);

    /* Keep the run going on the virtual target: the stuck thread shares nothing with a new
     * one. On a bench it still holds the hardware, so the rest is not run. */
    bool more = false;
    for (size_t k = st->next; k < st->n; k++)
        more = more || st->sc[k] != NULL;
    if (more && !interrupted && !st->bench && st->stuck <= WATCHDOG_STUCK_MAX)
        start_worker(st);
}

/* The main thread's loop while the workers run: it samples their beats and writes off a
 * worker that made none for the watchdog limit (or did not stop after an interrupt). Returns
 * when no live worker is left. */
static void supervise(struct run_state *st)
{
    double limit = st->o->watchdog_s;
    double poll = limit > 0 ? limit / 20 : 0.5;
    poll = poll < 0.01 ? 0.01 : poll > 0.5 ? 0.5 : poll;
    double interrupted_at = 0;
    pthread_mutex_lock(&st->lock);
    while (st->live > 0) {
        watchdog_cond_wait_s(&st->cond, &st->lock, poll);
        double now = clock_wall_s();
        if (run_interrupted && interrupted_at == 0)
            interrupted_at = now;
        for (size_t k = 0; k < st->nworkers; k++) {
            struct worker *w = &st->workers[k];
            if (!w->busy || w->abandoned)
                continue;
            uint64_t b = atomic_load_explicit(&w->prog.beats, memory_order_relaxed);
            if (b != w->seen_beats) {
                w->seen_beats = b;
                w->seen_s = now;
                continue;
            }
            double idle = now - w->seen_s;
            if (limit > 0 && idle >= watchdog_limit_for(limit, &w->prog))
                abandon(st, w, now, idle, false);
            else if (interrupted_at > 0 && now - interrupted_at >= WATCHDOG_INTERRUPT_GRACE_S &&
                     idle >= WATCHDOG_INTERRUPT_GRACE_S)
                abandon(st, w, now, idle, true);
        }
    }
    pthread_mutex_unlock(&st->lock);
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
        size_t w = report_put_safe(o, st->items[i].name, 60, false);
        fprintf(o, "%*s %-9s %7.2f  %3zu/%-3zu %3zu/%-3zu\n", w < 60 ? (int)(60 - w) : 0, "",
                scenario_verdict_name(r->verdict), r->sim_time_s, xp, r->nexpects, mp,
                r->nmeasures);
    }
    double sim = 0;
    uint64_t overruns = 0;
    for (size_t i = 0; i < st->n; i++) {
        sim += st->res[i].sim_time_s;
        overruns += st->res[i].overruns;
    }
    fprintf(o, "\n%zu scenario%s: %zu passed, %zu failed, %zu error%s, %zu skipped", st->n,
            st->n == 1 ? "" : "s", c.pass, c.fail, c.error, c.error == 1 ? "" : "s", c.skip);
    if (c.rig_fault)
        fprintf(o, ", %zu rig fault%s", c.rig_fault, c.rig_fault == 1 ? "" : "s");
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
        .target = "virtual", .seed = 1, .jobs = 1, .tap_version = 13, .trace_every_ms = 100,
        .tick_ms = 1,
        .watchdog_s = WATCHDOG_DEFAULT_S,
    };
    dut_firmware_config_default(&o.fw);
    static const struct option longopts[] = {
        { "target", required_argument, NULL, 'T' },
        { "rig", required_argument, NULL, 'R' },
        { "junit", required_argument, NULL, 'J' },
        { "tap", no_argument, NULL, 'P' },
        { "tap-version", required_argument, NULL, 'V' },
        { "json", required_argument, NULL, 'S' },
        { "trace", required_argument, NULL, 'D' },
        { "html", required_argument, NULL, 'H' },
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
        { "watchdog", required_argument, NULL, 'W' },
        { "quiet", no_argument, NULL, 'q' },
        { "firmware", required_argument, NULL, 'F' },
        { "firmware-base", required_argument, NULL, 'B' },
        { "esc-serial", required_argument, NULL, 'N' },
        { "blank-eeprom", no_argument, NULL, 'Z' },
        { "no-uid-copy", no_argument, NULL, 'U' },
        { "firmware-verbose", no_argument, NULL, 'v' },
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
        case 'V':
            if (strcmp(optarg, "13") != 0 && strcmp(optarg, "14") != 0)
                return cli_usage_error(&cmd_run, "--tap-version: '%s' is not 13 or 14", optarg);
            o.tap_version = optarg[1] == '3' ? 13 : 14;
            o.tap = true;
            break;
        case 'S': o.json = optarg; break;
        case 'D': o.trace_dir = optarg; break;
        case 'H': o.html_dir = optarg; break;
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
            o.tags = optarg;
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
        case 'W':
            if ((rc = cli_parse_number(&cmd_run, "--watchdog", optarg, 0, 1e6, &o.watchdog_s)))
                return rc;
            if (o.watchdog_s > 0 && o.watchdog_s < WATCHDOG_MIN_S) {
                return cli_usage_error(&cmd_run, "--watchdog: %g s is below %g s (0 turns the "
                                                 "watchdog off)", o.watchdog_s, WATCHDOG_MIN_S);
            }
            break;
        case 'q': o.quiet = true; break;
        case 'F': o.fw.image_path = optarg; o.target = "firmware"; break;
        case 'B': {
            char *end = NULL;
            errno = 0;
            unsigned long v = strtoul(optarg, &end, 0);
            if (errno || end == optarg || *end || optarg[0] == '-' || v > 0xFFFFFFFFul)
                return cli_usage_error(&cmd_run, "--firmware-base: '%s' is not an address "
                                                 "(e.g. 0x08001000)", optarg);
            o.fw.base = (uint32_t)v;
            break;
        }
        case 'N':
            if (strlen(optarg) != MCU_SERIAL_LEN && optarg[0])
                return cli_usage_error(&cmd_run, "--esc-serial: '%s' is not %d characters "
                                                 "('' leaves the serial unwritten)", optarg,
                                       MCU_SERIAL_LEN);
            o.fw.provision.serial = optarg;
            break;
        case 'Z': o.fw.provision.blank = 1; break;
        case 'U': o.fw.provision.copy_uid = 0; break;
        case 'v': o.fw.verbosity = 1; break;
        default:
            return cli_usage_error(&cmd_run, "unknown option or missing value: '%s'",
                                   argv[optind - 1]);
        }
    }
    if (o.realtime && o.jobs > 1) {
        return cli_usage_error(&cmd_run, "-j: parallel runs need the virtual clock (drop "
                                         "--realtime or use -j 1)");
    }
    if (strcmp(o.target, "rig") == 0 && o.jobs > 1) {
        return cli_usage_error(&cmd_run, "-j: the rig target runs one scenario at a time");
    }
    if (strcmp(o.target, "rig") == 0 && !o.rig_file) {
        return cli_usage_error(&cmd_run, "--target rig needs --rig FILE (a hw/boards "
                                         "description)");
    }
    if (o.fw.image_path && o.rig_file)
        return cli_usage_error(&cmd_run, "--firmware and --rig: one device under test at a time");
    if (o.fw.image_path && o.realtime)
        return cli_usage_error(&cmd_run, "--firmware runs in virtual time (drop --realtime; "
                                         "'bmsrig esc --firmware' runs an image in real time)");
    if (o.fw.image_path) {
        /* a bad image is bad input: exit 2 before any scenario runs */
        struct dut_firmware *probe = NULL;
        char err[DUT_FW_MSG_MAX] = "";
        if (dut_firmware_open(&o.fw, &probe, err, sizeof(err)) != BMSRIG_OK) {
            fputs("bmsrig run: --firmware: ", stderr);
            report_put_safe(stderr, err, SIZE_MAX, true);
            fputc('\n', stderr);
            return CLI_EXIT_USAGE;
        }
        dut_firmware_close(probe);
    }
    if (o.rig_file)
        o.realtime = true;  /* a bench runs on the wall clock */
    if (o.realtime && o.watchdog_s > 0 && o.watchdog_s < 10 * o.tick_ms / 1000.0) {
        /* a real-time run beats once per tick: the limit must span several */
        return cli_usage_error(&cmd_run, "--watchdog: %g s is shorter than 10 real-time ticks "
                                         "of %g ms (raise it, or lower --tick-ms)",
                               o.watchdog_s, o.tick_ms);
    }

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
            return cli_usage_error(&cmd_run, "%s: %s", paths[i], strerror(errno));
        }
        rc = S_ISDIR(st.st_mode) ? walk(paths[i], &files) : path_list_add(&files, paths[i]);
        if (rc != BMSRIG_OK) {
            fprintf(stderr, "bmsrig run: %s: %s\n", paths[i], bmsrig_strerror(rc));
            path_list_free(&files);
            return CLI_EXIT_USAGE;
        }
    }

    /* Load and select. A file that fails to load is kept (it reports as an error) unless the
     * filter or tags could not have selected it anyway: it has no name or tags to match. A file
     * whose loading the watchdog wrote off is kept the same way, with sc[i] = NULL and its
     * path in stuck[i]. */
    struct scenario **sc = calloc(files.n ? files.n : 1, sizeof(*sc));
    char **stuck = calloc(files.n ? files.n : 1, sizeof(*stuck));
    size_t n = 0;
    for (size_t i = 0; sc && stuck && i < files.n; i++) {
        bool load_stuck = false;
        struct scenario *s = watchdog_load(files.v[i], o.watchdog_s, &load_stuck);
        if (load_stuck) {
            /* a path found in a directory is the file's own name: sanitised */
            fputs("bmsrig run: watchdog: ", stderr);
            report_put_safe(stderr, files.v[i], SIZE_MAX, false);
            fprintf(stderr, ": loading made no progress for %g s (its top-level code is stuck "
                            "inside a C call); the file was abandoned\n", o.watchdog_s);
            if (filter_match_names(NULL, files.v[i], o.filter) && o.tags == NULL) {
                stuck[n] = files.v[i];   /* taken from the list */
                files.v[i] = NULL;
                sc[n++] = NULL;
            }
            continue;
        }
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
    if (!sc || !stuck) {
        free(sc);
        free(stuck);
        return CLI_EXIT_USAGE;
    }

    /* An empty selection is bad input for --list as for a run (exit 2). */
    if (n == 0) {
        selection_free(sc, stuck, n);
        fprintf(stderr, "bmsrig run: no scenario selected (check the paths, --filter and "
                        "--tags)\n");
        return CLI_EXIT_USAGE;
    }
    if (o.list) {
        int lrc = CLI_EXIT_PASS;
        for (size_t i = 0; i < n; i++) {
            if (!sc[i]) {
                report_put_safe(stdout, stuck[i], SIZE_MAX, false);
                putchar('\t');
                report_put_safe(stdout, base_name(stuck[i]), SIZE_MAX, false);
                printf("\t\n  error: loading was stuck for %g s (watchdog)\n", o.watchdog_s);
                lrc = CLI_EXIT_USAGE;
                continue;
            }
            /* name, tags and load errors sanitised as in the progress lines */
            report_put_safe(stdout, scenario_path(sc[i]), SIZE_MAX, false);
            putchar('\t');
            report_put_safe(stdout, scenario_name(sc[i]), SIZE_MAX, false);
            putchar('\t');
            for (size_t t = 0; t < scenario_tag_count(sc[i]); t++) {
                if (t)
                    putchar(',');
                report_put_safe(stdout, scenario_tag(sc[i], t), SIZE_MAX, false);
            }
            putchar('\n');
            if (scenario_load_error(sc[i])) {
                fputs("  error: ", stdout);
                report_put_safe(stdout, scenario_load_error(sc[i]), SIZE_MAX, true);
                putchar('\n');
                lrc = CLI_EXIT_USAGE;
            }
        }
        selection_free(sc, stuck, n);
        return lrc;
    }

    /* --html needs the traces: without --trace they go to DIR/traces. */
    char html_traces[4096];
    if (o.html_dir && !o.trace_dir) {
        int len = snprintf(html_traces, sizeof(html_traces), "%s/traces", o.html_dir);
        if (len < 0 || (size_t)len >= sizeof(html_traces)) {
            selection_free(sc, stuck, n);
            return cli_usage_error(&cmd_run, "--html: the folder's path is too long");
        }
        o.trace_dir = html_traces;
    }

    /* Trace files are named after the scenario file: two files of the same name would
     * overwrite each other's traces. */
    if (o.trace_dir) {
        for (size_t i = 0; i < n; i++) {
            const char *a = base_name(sel_path(sc, stuck, i));
            for (size_t j = i + 1; j < n; j++) {
                const char *b = base_name(sel_path(sc, stuck, j));
                if (strcmp(a, b) == 0) {
                    fputs("bmsrig run: --trace: ", stderr);
                    report_put_safe(stderr, sel_path(sc, stuck, i), SIZE_MAX, false);
                    fputs(" and ", stderr);
                    report_put_safe(stderr, sel_path(sc, stuck, j), SIZE_MAX, false);
                    fputs(" would write the same trace files; rename one\n", stderr);
                    selection_free(sc, stuck, n);
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
     * scenarios (engine_free) and at the end (rig_hw_close). If it (or the controller's serial
     * lines) cannot be opened, nothing runs, but the run still ends through the normal path
     * below: every selected scenario is reported not run with the rig's error as the reason
     * (CI gets its reports), and the exit code is 3 (2 for a description that does not parse). */
    struct rig_hw *hw = NULL;
    char rig_err[600] = "";   /* why the bench could not be used; "" when it could */
    int rig_exit = CLI_EXIT_PASS;
    if (o.rig_file) {
        char err[512] = "";
        int hrc = rig_hw_open_file(&hw, o.rig_file, err, sizeof(err));
        if (hrc != BMSRIG_OK) {
            hw = NULL;
            snprintf(rig_err, sizeof(rig_err), "the bench could not be opened: %s",
                     err[0] ? err : bmsrig_strerror(hrc));
            rig_exit = hrc == BMSRIG_ERR_PARSE ? CLI_EXIT_USAGE : CLI_EXIT_RIG;
        }
    }
    /* A real controller on the bench's serial lines, if the description names them. */
    struct dut_serial *dut = NULL;
    if (hw && rig_hw_board(hw)->bms_port[0]) {
        char err[512] = "";
        const struct board *b = rig_hw_board(hw);
        if (dut_serial_open(&dut, b->bms_port, b->dash_port, err, sizeof(err)) != BMSRIG_OK) {
            dut = NULL;
            snprintf(rig_err, sizeof(rig_err), "the controller's serial lines could not be "
                     "opened: %s", err);
            rig_exit = CLI_EXIT_RIG;
            rig_hw_close(hw);   /* safe state, lock released */
            hw = NULL;
        } else {
            fprintf(stderr, "bmsrig run: controller BMS line on %s, dashboard line on %s\n",
                    dut_serial_bms_path(dut),
                    dut_serial_dash_path(dut)[0] ? dut_serial_dash_path(dut) : "(none)");
        }
    }
    if (rig_err[0]) {
        /* the description's own error text may come from its Lua: sanitised */
        fputs("bmsrig run: ", stderr);
        report_put_safe(stderr, rig_err, SIZE_MAX, true);
        fputc('\n', stderr);
    }

    struct run_state st = { .o = &o, .sc = sc, .n = n, .bench = hw != NULL || dut != NULL };
    pthread_mutex_init(&st.lock, NULL);
    watchdog_cond_init(&st.cond);
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
    st.ropt.firmware = o.fw.image_path ? &o.fw : NULL;
    if (o.timeout_s > 0)
        st.ropt.timeout_default_s = o.timeout_s;
    st.ropt.interrupted = &run_interrupted;
    st.res = calloc(n, sizeof(*st.res));
    st.items = calloc(n, sizeof(*st.items));
    int jobs = o.jobs > (int)n ? (int)n : o.jobs;
    st.capworkers = (size_t)jobs + WATCHDOG_STUCK_MAX;
    st.workers = calloc(st.capworkers, sizeof(*st.workers));
    if (!st.res || !st.items || !st.workers) {
        fputs("bmsrig run: out of memory\n", stderr);
        dut_serial_close(dut);
        rig_hw_close(hw);   /* safe state first, as on every exit path with a bench open */
        exit(CLI_EXIT_RIG);
    }
    for (size_t i = 0; i < n; i++) {
        scenario_result_init(&st.res[i]);
        if (!sc[i]) {
            st.items[i] = (struct report_item){
                .path = stuck[i], .name = base_name(stuck[i]), .res = &st.res[i],
            };
            continue;
        }
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
    /* Files written off while loading: their verdict is known before anything runs. */
    pthread_mutex_lock(&st.lock);
    for (size_t i = 0; i < n; i++) {
        if (sc[i])
            continue;
        char msg[WATCHDOG_MESSAGE_CAP];
        watchdog_load_message(msg, sizeof(msg), stuck[i], o.watchdog_s);
        scenario_result_set_message(&st.res[i], msg);
        st.res[i].verdict = SCENARIO_FAIL;
        st.res[i].seed = scenario_seed(o.seed, stuck[i]);
        st.res[i].wall_s = o.watchdog_s;
        /* Its loading thread may still be running: it owns all it touches (its own Lua
         * state) and frees it if it comes back, so the run ends normally around it. */
        finish_scenario(&st, i);
    }
    /* No bench: every other selected scenario is not run, for the rig's reason. */
    size_t rig_not_run = 0;
    for (size_t i = 0; rig_err[0] && i < n; i++) {
        if (!sc[i])
            continue;
        char msg[640];
        snprintf(msg, sizeof(msg), "not run: %s", rig_err);
        scenario_result_set_message(&st.res[i], msg);
        st.res[i].seed = scenario_seed(o.seed, st.items[i].path);
        st.res[i].incomplete = true;
        rig_not_run++;
        finish_scenario(&st, i);
    }
    if (rig_err[0])
        st.report.incomplete_reason = rig_err;
    /* The main thread supervises; the scenarios run in worker threads. */
    for (int j = 0; !rig_err[0] && j < jobs; j++)
        start_worker(&st);
    pthread_mutex_unlock(&st.lock);
    supervise(&st);
    /* Join the workers that came back; the stuck ones are left running (see below). */
    for (size_t k = 0; k < st.nworkers; k++) {
        pthread_mutex_lock(&st.lock);
        bool joinable = st.workers[k].exited;
        pthread_mutex_unlock(&st.lock);
        if (joinable)
            pthread_join(st.workers[k].th, NULL);
        else
            pthread_detach(st.workers[k].th);
    }

    pthread_mutex_lock(&st.lock);   /* a stuck worker that comes back takes it: hold it */
    /* Why scenarios were left unstarted: an interrupt, or stuck scenarios (the watchdog). */
    char stop_reason[160];
    if (run_interrupted || st.stuck == 0)
        snprintf(stop_reason, sizeof(stop_reason), "the run was interrupted");
    else if (st.bench)
        snprintf(stop_reason, sizeof(stop_reason), "a scenario stuck on the bench (watchdog) "
                 "still holds it");
    else
        snprintf(stop_reason, sizeof(stop_reason), "%zu scenarios were stuck (watchdog); the run "
                 "stopped", st.stuck);
    size_t unfinished = 0;
    for (size_t i = 0; i < n; i++) {
        if (st.res[i].verdict == SCENARIO_NOT_RUN && !st.res[i].message) {
            char msg[200];
            snprintf(msg, sizeof(msg), "not run: %s", stop_reason);
            scenario_result_set_message(&st.res[i], msg);
            st.res[i].incomplete = true;
            unfinished++;
        }
    }
    if (unfinished && !run_interrupted && st.stuck && !rig_err[0])
        st.report.incomplete_reason = stop_reason;   /* TAP and JSON say why, not "interrupted" */
    st.report.complete = !run_interrupted && unfinished == 0 && !rig_err[0];
    bool reports_ok = write_reports(&st);
    if (o.html_dir && !o.list) {
        int pages = html_report_build(o.trace_dir, o.html_dir, stderr);
        if (pages < 0)
            reports_ok = false;
        else if (!o.quiet)
            fprintf(stderr, "bmsrig run: HTML report: %s/index.html\n", o.html_dir);
    }
    if (o.tap)
        report_write_tap(stdout, &st.report, o.tap_version);
    if (!o.quiet)
        print_summary(&st);
    if (rig_err[0])
        fprintf(stderr, "bmsrig run: %zu scenario%s not run (the bench could not be used); "
                        "reports written and marked incomplete\n", rig_not_run,
                rig_not_run == 1 ? "" : "s");
    else if (run_interrupted)
        fprintf(stderr, "bmsrig run: interrupted; reports written and marked incomplete\n");
    else if (unfinished)
        fprintf(stderr, "bmsrig run: %zu scenario%s not run; reports written and marked "
                        "incomplete\n", unfinished, unfinished == 1 ? "" : "s");

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
    if (rig_err[0])
        exit_code = rig_exit;   /* the rig's fault (or its description's), not an interrupt */
    if (!reports_ok && exit_code == CLI_EXIT_PASS)
        exit_code = CLI_EXIT_USAGE;   /* a --junit/--json file that cannot be written */

    if (st.stuck_running > 0) {
        /* A thread is still stuck inside a C call: it cannot be cancelled, and its scenario's
         * Lua state and engine must not be freed under it. Everything is reported: leave
         * without cleanup (the kernel closes the devices and releases the bench lock). The
         * lock stays held so that a stuck thread that comes back cannot touch anything. */
        if (hw && !st.stuck_in_device)
            rig_hw_safe(hw);   /* the stuck thread is in its script, not on the USB */
        else if (hw)
            fprintf(stderr, "bmsrig run: watchdog: a scenario is stuck inside a device call; "
                            "the bench's safe state could not be commanded\n");
        fprintf(stderr, "bmsrig run: %zu stuck thread%s left running; exiting without "
                        "cleanup\n",
                st.stuck_running, st.stuck_running == 1 ? "" : "s");
        fflush(stdout);
        fflush(stderr);
        _exit(exit_code);
    }
    pthread_mutex_unlock(&st.lock);
    dut_serial_close(dut);
    rig_hw_close(hw);  /* safe state first, then release the lock */
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    for (size_t i = 0; i < n; i++) {
        scenario_result_clear(&st.res[i]);
        free((void *)st.items[i].tags);
    }
    free(st.res);
    free(st.items);
    free(st.workers);
    selection_free(sc, stuck, n);
    pthread_mutex_destroy(&st.lock);
    pthread_cond_destroy(&st.cond);
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
        "                        controller model in virtual time; --firmware gives target\n"
        "                        firmware)\n"
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
        "  --tap                 write TAP to stdout (progress then goes to stderr); TAP 13\n"
        "                        by default, which Debian 12's prove (Test::Harness 3.44)\n"
        "                        reads; the stream uses nothing TAP 14 adds\n"
        "  --tap-version 13|14   the version line to write (implies --tap)\n"
        "  --json FILE           write a JSON report (expectations, measurements, versions)\n"
        "  --trace DIR           per scenario: DIR/NAME.signals.csv and DIR/NAME.bus.csv (the\n"
        "                        recording format, readable by 'bmsrig decode'); t:output()\n"
        "                        files also go to DIR\n"
        "  --trace-every MS      signals CSV decimation (default 100 ms)\n"
        "  --html DIR            write an HTML report: DIR/index.html and one DIR/NAME.html per\n"
        "                        scenario with time plots and the bus timeline (self-contained,\n"
        "                        no network); traces go to DIR/traces unless --trace is given.\n"
        "                        'bmsrig report DIR' rebuilds it\n"
        "  --seed N              run seed (default 1); each scenario derives its own from it\n"
        "                        and its file name, so results do not depend on order or -j\n"
        "  --filter GLOB         only scenarios whose whole name, path or file name match the\n"
        "                        shell glob GLOB ('*cut*'); a GLOB without * ? [ is a plain\n"
        "                        substring of the name or path ('wire cut')\n"
        "  --tags a,b            only scenarios with at least one of these tags\n"
        "  --list                list the selected scenarios (path, name, tags) and exit\n"
        "  --realtime            run on CLOCK_MONOTONIC deadlines instead of virtual time;\n"
        "                        tick overruns are counted and reported\n"
        "  -j N, --jobs N        run N scenarios in parallel (virtual clock only)\n"
        "  --suppress-faults     check switch: accept every fault injection but apply none;\n"
        "                        every fault scenario must then fail\n"
        "  --tick-ms MS          engine tick (default 1 ms)\n"
        "  --timeout S           scenario-time limit for scenarios that set none (default 600)\n"
        "  --watchdog S          wall-clock watchdog, S >= 0.1 (default 60; 0 = off): a\n"
        "                        scenario that makes no progress for S seconds (no engine\n"
        "                        tick, no return from its script: stuck inside a C call such\n"
        "                        as a string pattern match, which the instruction budget\n"
        "                        cannot stop) fails with a message naming its file, and the\n"
        "                        other scenarios still run; a file whose loading is stuck as\n"
        "                        long fails the same way. A stuck thread cannot be cancelled:\n"
        "                        once the reports are written the process exits without\n"
        "                        cleanup (_exit). In real time S must span 10 ticks of\n"
        "                        --tick-ms, and is raised to 10 of a scenario's own tick_ms\n"
        "  -q, --quiet           no progress lines or summary\n"
        "\n"
        "firmware target (docs/firmware.md):\n"
        "  --firmware IMAGE      the device under test is IMAGE (a flat binary) on an emulated\n"
        "                        STM32F103, in virtual time (target firmware; -j works: each\n"
        "                        scenario has its own MCU). Its USART3 is the BMS line on the\n"
        "                        link (every protocol fault acts on it), its USART1 the\n"
        "                        dashboard bus (lever frames every 100 ms, error word read\n"
        "                        there), its ADC the pack voltage. What the image cannot show\n"
        "                        (motor current, speed, drive load, the controller model's\n"
        "                        internals) skips the scenario. A bad image exits 2; an image\n"
        "                        that faults fails its scenario (message names image and PC)\n"
        "  --firmware-base ADDR  flash load address of IMAGE (default 0x08001000)\n"
        "  --esc-serial S        EEPROM provisioning: the ESC serial (14 characters; default\n"
        "                        a non-default serial; '' leaves it unwritten: error 35)\n"
        "  --no-uid-copy         EEPROM provisioning: do not copy the unique ID (error 27)\n"
        "  --blank-eeprom        leave the EEPROM pages erased (first-boot defaults)\n"
        "  --firmware-verbose    log the image's unknown register accesses (address, PC)\n"
        "\n"
        "exit codes: 0 all passed (or skipped), 1 a scenario failed, 2 bad input (usage,\n"
        "script error, nothing selected, a --junit/--json file that cannot be written), 3 rig\n"
        "fault, 4 interrupted or stopped early (reports are written and marked incomplete;\n"
        "a scenario still stuck 1 s after SIGINT/SIGTERM is reported as not run, and so is\n"
        "what stuck scenarios (--watchdog) left unstarted)\n",
    .run = run_main,
};
