/* cmd_run.c: `bmsrig run`: take the options (run_options.c), find and select the scenario files, open the
 * bench or the firmware target, run the selection (run_schedule.c), write the reports
 * (run_progress.c) and exit with the CLI contract's code (0 pass, 1 a scenario failed, 2 bad
 * input, 3 rig fault, 4 interrupted). The help text is in run_help.c. */
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
#include "rig/cli/cli_rt.h"
#include "rig/cli/relpath.h"
#include "rig/cli/report_notes.h"
#include "rig/cli/run_internal.h"
#include "rig/realtime/clock.h"
#include "rig/util/datadir.h"
#include "rig/util/log.h"
#include "rig/scenario/report.h"
#include "rig/bench/board.h"
#include "rig/bench/board_watch.h"
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

volatile sig_atomic_t run_interrupted;

/* --lock-wait's stop condition: SIGINT/SIGTERM while waiting for a busy bench. */
static bool interrupted_while_waiting(void) { return run_interrupted != 0; }

static void on_signal(int sig)
{
    (void)sig;
    run_interrupted = 1;
}

/* SIGINT/SIGTERM set run_interrupted instead of ending the process, for the two stretches
 * that must end through the normal path with reports: loading the scenario files, and from
 * opening the bench to the reports. In between (selection, --list, the usage checks) and after,
 * the previous handlers are back, so an early return leaves no flag handler behind. */
struct run_signals {
    struct sigaction old_int, old_term;
};

static void run_signals_catch(struct run_signals *rs)
{
    struct sigaction sa = { 0 };
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &rs->old_int);
    sigaction(SIGTERM, &sa, &rs->old_term);
}

static void run_signals_restore(const struct run_signals *rs)
{
    sigaction(SIGINT, &rs->old_int, NULL);
    sigaction(SIGTERM, &rs->old_term, NULL);
}

int run_main(int argc, char **argv)
{
    struct run_opts o;
    int rc = run_parse_options(argc, argv, &o);
    if (rc != CLI_EXIT_PASS)
        return rc;

    /* Scenario files. */
    struct path_list files = { 0 };
    int nargs = argc - optind;
    /* No PATH: the library, $BMSRIG_SCRIPTS_DIR, ./scripts or the installed one (datadir.h). */
    char library[4096];
    char *default_path[] = { library };
    if (nargs <= 0 && !datadir_find(DATADIR_SCRIPTS, "", library, sizeof library)) {
        char where[2048];
        datadir_describe(DATADIR_SCRIPTS, where, sizeof where);
        return cli_usage_error(&cmd_run, "no PATH given and no scenario library found (looked "
                                         "in %s)", where);
    }
    char **paths = nargs > 0 ? argv + optind : default_path;
    if (nargs <= 0)
        nargs = 1;
    for (int i = 0; i < nargs; i++) {
        struct stat st;
        if (stat(paths[i], &st) != 0) {
            path_list_free(&files);
            return cli_usage_error(&cmd_run, "%s: %s", paths[i], strerror(errno));
        }
        rc = S_ISDIR(st.st_mode) ? run_walk(paths[i], &files) : path_list_add(&files, paths[i]);
        if (rc != BMSRIG_OK) {
            fprintf(stderr, "bmsrig run: %s: %s\n", paths[i], bmsrig_strerror(rc));
            path_list_free(&files);
            return CLI_EXIT_USAGE;
        }
    }

    /* --rt before any thread starts (the loader's and the runners' inherit the policy) */
    struct rt_host_state rts;
    int rt_rc = cli_rt_apply("run", &o.rt, &rts);
    if (rt_rc != CLI_EXIT_PASS) {
        path_list_free(&files);
        return rt_rc;
    }
    /* Load and select. A file that fails to load is kept (it reports as an error) unless the
     * filter or tags could not have selected it anyway: it has no name or tags to match. A file
     * whose loading the watchdog wrote off is kept the same way, with sc[i] = NULL and its
     * path in stuck[i]. */
    /* SIGINT/SIGTERM only set a flag while the files load: a file's top-level code can be
     * stuck in one C call, and a signal then still ends the run through the normal path below,
     * with reports (the file being loaded and the rest reported not run). A signal that comes
     * while the last file loads is kept in the flag for the run. */
    struct run_signals rs;
    run_signals_catch(&rs);

    struct scenario **sc = calloc(files.n ? files.n : 1, sizeof(*sc));
    char **stuck = calloc(files.n ? files.n : 1, sizeof(*stuck));
    size_t n = 0;
    size_t load_cut = SIZE_MAX;   /* entries from here on: interrupted while loading */
    for (size_t i = 0; sc && stuck && i < files.n; i++) {
        bool load_stuck = false;
        struct scenario *s = watchdog_load_until(files.v[i], o.watchdog_s, &run_interrupted,
                                                 &load_stuck);
        if (load_stuck && run_interrupted) {
            /* this file and the ones not loaded yet: kept as not run where the filter could
             * select them by name (their tags are unknown) */
            load_cut = n;
            for (size_t k = i; k < files.n; k++) {
                if (filter_match_names(NULL, files.v[k], o.filter) && o.tags == NULL) {
                    stuck[n] = files.v[k];
                    files.v[k] = NULL;
                    sc[n++] = NULL;
                }
            }
            break;
        }
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
    run_signals_restore(&rs);
    path_list_free(&files);
    if (!sc || !stuck) {
        free(sc);
        free(stuck);
        return CLI_EXIT_USAGE;
    }

    /* --shard K/N: this bench's part of the selection. */
    size_t selected = n;
    if (o.shard_n)
        n = shard_select(sc, stuck, n, o.shard_k, o.shard_n);
    if (o.shard_n && n == 0 && selected > 0) {
        selection_free(sc, stuck, n);
        fprintf(stderr, "bmsrig run: --shard %u/%u: no scenario in this shard (%zu selected "
                        "for %u shards)\n", o.shard_k, o.shard_n, selected, o.shard_n);
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

    /* SIGINT/SIGTERM set the flag again from here to the reports (no early return below): a
     * signal while the bench opens (USB enumeration, bench initialisation) then ends the run
     * through the normal path (no scenario runs, reports marked incomplete, safe state in
     * rig_hw_close) instead of killing the process with the outputs in whatever state they
     * were; one while the scenarios run stops them the same way. */
    run_signals_catch(&rs);

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
        /* The description's top-level code first, watched like a scenario file's (a pattern
         * bomb there ignores the instruction budget and every signal): stuck or interrupted,
         * no bench is opened and the run ends through the normal path below. */
        int crc = board_check_watched(o.rig_file, o.watchdog_s, interrupted_while_waiting, err,
                                      sizeof(err));
        int hrc = crc != BMSRIG_OK ? crc
                                   : rig_hw_open_file_wait(&hw, o.rig_file, o.lock_wait_s,
                                                           interrupted_while_waiting, err,
                                                           sizeof(err));
        if (crc != BMSRIG_OK) {
            hw = NULL;
            snprintf(rig_err, sizeof(rig_err), "%s", err);
            rig_exit = crc == BMSRIG_ERR_STATE ? CLI_EXIT_INTERRUPTED : CLI_EXIT_USAGE;
        } else if (hrc != BMSRIG_OK) {
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
    st.ropt.spin_tail_us = rts.spin_us;
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
        .dut_firmware_image = o.fw.image_path,
        .dut_firmware_cpu = o.fw.image_path ? dut_firmware_cpu_name(&o.fw) : NULL,
        .shard_k = o.shard_k, .shard_n = o.shard_n,
    };
    if (hw) {
        const struct board *b = rig_hw_board(hw);
        st.report.bench_name = b->name[0] ? b->name : NULL;
        st.report.ftdi_serial = b->ftdi.serial[0] ? b->ftdi.serial : NULL;
    }
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(st.report.timestamp, sizeof(st.report.timestamp), "%Y-%m-%dT%H:%M:%S", &tm);
    if (gethostname(st.report.hostname, sizeof(st.report.hostname) - 1) != 0)
        snprintf(st.report.hostname, sizeof(st.report.hostname), "localhost");
    /* --junit with --html: each testcase links its page, relative to the JUnit file */
    char html_href[4096];
    if (o.junit && o.html_dir) {
        char junit_dir[4096];
        snprintf(junit_dir, sizeof junit_dir, "%s", o.junit);
        char *slash = strrchr(junit_dir, '/');
        if (slash)
            *slash = '\0';
        else
            snprintf(junit_dir, sizeof junit_dir, ".");
        if (cli_relative_path(junit_dir[0] ? junit_dir : "/", o.html_dir, html_href,
                              sizeof html_href) == 0)
            st.report.html_href = html_href;
    }

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
        if (i >= load_cut) {
            /* interrupted while the files loaded: not run, like the loaded ones */
            scenario_result_set_message(&st.res[i], "not run: interrupted while the scenario "
                                                    "files were loading");
            st.res[i].verdict = SCENARIO_NOT_RUN;
            st.res[i].seed = scenario_seed(o.seed, stuck[i]);
            st.res[i].incomplete = true;
            finish_scenario(&st, i);
            continue;
        }
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
    char stop_reason[360];
    if (st.bench_lost && !run_interrupted)
        snprintf(stop_reason, sizeof(stop_reason), "%s", st.bench_lost_reason);
    else if (run_interrupted || st.stuck == 0)
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
            char msg[400];
            snprintf(msg, sizeof(msg), "not run: %s", stop_reason);
            scenario_result_set_message(&st.res[i], msg);
            st.res[i].incomplete = true;
            unfinished++;
        }
    }
    if (unfinished && !run_interrupted && (st.stuck || st.bench_lost) && !rig_err[0])
        st.report.incomplete_reason = stop_reason;   /* TAP and JSON say why, not "interrupted" */
    if (st.bench_lost && !run_interrupted && !rig_err[0])
        st.report.incomplete_reason = stop_reason;   /* incomplete even if it was the last one */
    st.report.complete = !run_interrupted && unfinished == 0 && !rig_err[0] && !st.bench_lost;
    bool reports_ok = write_reports(&st);
    if (o.html_dir && !o.list) {
        struct report_notes notes;
        report_notes_make(&st.report, &notes);
        int pages = html_report_build_notes(o.trace_dir, o.html_dir,
                                            (const char *const *)notes.lines, notes.n, stderr);
        report_notes_free(&notes);
        /* the folder carries its run's report, so `report merge --html` can join shards */
        char html_json[4096];
        int len = snprintf(html_json, sizeof(html_json), "%s/report.json", o.html_dir);
        if (pages >= 0 && (len < 0 || (size_t)len >= sizeof(html_json) ||
                           report_write_file(html_json, report_write_json, &st.report) !=
                               BMSRIG_OK)) {
            fprintf(stderr, "bmsrig run: cannot write %s/report.json\n", o.html_dir);
            pages = -1;
        }
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
    if (st.bench_lost && !run_interrupted)
        exit_code = CLI_EXIT_RIG;   /* the not-run ones are the rig's doing, not an interrupt */
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
    run_signals_restore(&rs);
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
