/* cmd_bms_scenario.c: `bmsrig bms --scenario`: a scenario file in real time against the controller
 * on the port (dut_serial + scenario_run under the watchdog), its text and verdict printed. */
#include "rig/cli/cmd_bms_internal.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rig/line/capture.h"
#include "rig/offline/cellfile.h"
#include "rig/cli/cli.h"
#include "rig/cli/cli_rt.h"
#include "rig/realtime/clock.h"
#include "rig/fault/fault.h"
#include "rig/line/dut_serial.h"
#include "rig/line/endpoint.h"
#include "rig/line/link.h"
#include "rig/scenario/report.h"
#include "rig/scenario/scenario.h"
#include "rig/line/transport.h"
#include "rig/scenario/watchdog.h"
#include "sim/bms.h"
#include "sim/pack.h"
#include "sim/status.h"

#define LOG_PREFIX "bms"
#include "rig/util/log.h"

/* Scenario text on standard output, sanitised as in `bmsrig run` (report_put_safe): a name or
 * message cannot drive the terminal. A field of a one-line item (a name, a unit, a position)
 * loses its line breaks too, so that it cannot forge a line of its own (a verdict line); a
 * message keeps them (a traceback's lines), each continuation line indented. */
static void put_text(const char *s)
{
    report_put_safe(stdout, s, SIZE_MAX, false);
}

static void put_message(const char *s)
{
    for (const char *p = s ? s : ""; ; ) {
        size_t n = strcspn(p, "\n");
        report_put_safe(stdout, p, n, false);
        if (!p[n])
            break;
        fputs("\n    ", stdout);   /* continuation lines indented: none reads as a verdict */
        p += n + 1;
    }
}

static void print_result(const char *name, const struct scenario_result *r)
{
    fputs("scenario ", stdout);
    report_put_safe(stdout, name, SIZE_MAX, false);
    printf(": %s after %.3f s (%llu tick overruns)\n", scenario_verdict_name(r->verdict),
           r->sim_time_s, (unsigned long long)r->overruns);
    for (size_t i = 0; i < r->nexpects; i++) {
        const struct scenario_expect *x = &r->expects[i];
        printf("  %-4s %9.3f s  ", x->pass ? "ok" : "FAIL", x->t_s);
        put_text(x->what);
        fputs(" (", stdout);
        put_text(x->where);
        fputs("): ", stdout);
        put_text(x->observed ? x->observed : "");
        if (!x->pass && x->message) {
            fputs(": ", stdout);
            put_message(x->message);
        }
        putchar('\n');
    }
    for (size_t i = 0; i < r->nmeasures; i++) {
        const struct scenario_measure *m = &r->measures[i];
        printf("  %-4s %9.3f s  measure ", m->pass ? "ok" : "FAIL", m->t_s);
        put_text(m->name);
        printf(" = %g ", m->value);
        put_text(m->unit);
        fputs(" (", stdout);
        put_text(m->where);
        fputs(")\n", stdout);
    }
    bool said = false;   /* a failed expectation already printed the reason */
    for (size_t i = 0; r->message && i < r->nexpects; i++)
        said = said || (!r->expects[i].pass && r->expects[i].message &&
                         strcmp(r->expects[i].message, r->message) == 0);
    if (r->verdict != SCENARIO_PASS && r->message && !said) {
        fputs("  ", stdout);
        put_message(r->message);
        putchar('\n');
    }
    fflush(stdout);
}

/* The scenario's script in real time against the controller on the port: the engine builds
 * the pack and BMS from the declaration (overridden by explicit options), its link faults and
 * pack faults act on this fake BMS, and the verdict is the exit code. */
int cmd_bms_run_scenario(const struct bms_scenario_args *a)
{
    /* --rt before any thread starts (the loader's and the scenario's inherit the policy) */
    struct rt_host_state rts;
    int rt_rc = cli_rt_apply("bms", &a->rt, &rts);
    if (rt_rc != CLI_EXIT_PASS)
        return rt_rc;
    /* Loading runs the file's top-level code: watched like the run itself (rig/scenario/watchdog.h). */
    bool load_stuck = false;
    struct scenario *sc = watchdog_load(a->path, a->watchdog_s, &load_stuck);
    if (load_stuck) {
        /* as `bmsrig run` reports it: a failed scenario named after its file; the loading
         * thread owns what it touches and is left to itself */
        char msg[WATCHDOG_MESSAGE_CAP];
        watchdog_load_message(msg, sizeof(msg), a->path, a->watchdog_s);
        struct scenario_result r;
        scenario_result_init(&r);
        r.verdict = SCENARIO_FAIL;
        scenario_result_set_message(&r, msg);
        print_result(a->path, &r);
        scenario_result_clear(&r);
        return scenario_verdict_exit(SCENARIO_FAIL);
    }
    if (!sc) {
        fputs("bmsrig bms: out of memory\n", stderr);
        return CLI_EXIT_RIG;
    }
    struct scenario_run_options ro;
    scenario_run_options_default(&ro);
    ro.clock = CLOCK_KIND_REALTIME;
    ro.spin_tail_us = rts.spin_us;
    ro.seed = a->seed;
    ro.target = "serial";
    ro.overrides = &a->ov;
    ro.bus_log = a->log_path;
    ro.gap_chars = a->gap_chars;
    ro.interrupted = &cmd_bms_stop;
    char err[1024] = "";
    if (scenario_check(sc, &ro, err, sizeof(err)) != BMSRIG_OK) {
        /* before any port is opened */
        fprintf(stderr, "bmsrig bms: --scenario: %s\n", err);
        scenario_free(sc);
        return CLI_EXIT_USAGE;
    }
    struct dut_serial *dut = NULL;
    if (dut_serial_open(&dut, a->port ? a->port : "pty", a->dash_port ? a->dash_port : "", err,
                        sizeof(err)) != BMSRIG_OK) {
        fprintf(stderr, "bmsrig bms: %s\n", err);
        scenario_free(sc);
        return CLI_EXIT_RIG;
    }
    /* Handlers first: whoever reads the pty paths may signal us at once. */
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = cmd_bms_on_signal;
    sigemptyset(&sa.sa_mask);
    cmd_bms_stop = 0;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);

    /* stdout: the pty paths first (one per line, BMS then dashboard), as without a scenario */
    if (!a->port)
        printf("%s\n", dut_serial_bms_path(dut));
    if (a->dash_port && strcmp(a->dash_port, "pty") == 0)
        printf("%s\n", dut_serial_dash_path(dut));
    fflush(stdout);
    fprintf(stderr, "bmsrig bms: controller BMS line on %s, dashboard line on %s\n",
            dut_serial_bms_path(dut),
            dut_serial_dash_path(dut)[0] ? dut_serial_dash_path(dut) : "(none)");

    /* Scenario time starts with the controller: its first request on the BMS line (kept for
     * the fake BMS, which hears it at t = 0). Without a controller a script's first
     * expectation would read an unknown error word (-1) at once. */
    if (a->dut_wait_s > 0) {
        int wrc = dut_serial_wait_request(dut, a->dut_wait_s, &cmd_bms_stop, err, sizeof(err));
        if (wrc != BMSRIG_OK) {
            /* reported as a scenario that did not run (interrupted: exit 4; no controller or
             * a failed line: rig fault, exit 3); the bus log holds its header only */
            struct scenario_result nr;
            scenario_result_init(&nr);
            nr.verdict = wrc == BMSRIG_ERR_STATE ? SCENARIO_NOT_RUN : SCENARIO_RIG_FAULT;
            scenario_result_set_message(&nr, wrc == BMSRIG_ERR_STATE
                                                 ? "interrupted while waiting for the "
                                                   "controller's first request"
                                                 : err);
            print_result(scenario_name(sc), &nr);
            int code = wrc == BMSRIG_ERR_STATE ? CLI_EXIT_INTERRUPTED
                                               : scenario_verdict_exit(nr.verdict);
            scenario_result_clear(&nr);
            FILE *log = a->log_path ? fopen(a->log_path, "w") : NULL;
            if (log) {
                const char *comments[] = { "source: bmsrig bms --scenario (fake BMS); the "
                                           "scenario did not start: no controller request" };
                capture_write_header(log, comments, 1);
                fclose(log);
            }
            sigaction(SIGINT, &old_int, NULL);
            sigaction(SIGTERM, &old_term, NULL);
            dut_serial_close(dut);
            scenario_free(sc);
            return code;
        }
        fprintf(stderr, "bmsrig bms: the controller's first request heard; scenario time "
                        "starts\n");
    }
    ro.dut = dut;
    struct scenario_result r;
    scenario_result_init(&r);
    /* In a thread of its own under the watchdog, as in `bmsrig run` (the controller's serial
     * lines count as a device: a hang outside the script is a rig fault). */
    enum scenario_phase stuck_in = SCENARIO_PHASE_SETUP;
    bool finished = watchdog_run(sc, &ro, a->watchdog_s, true, &r, &stuck_in);
    enum scenario_verdict v = r.verdict;
    print_result(scenario_name(sc), &r);
    if (!finished) {
        /* The scenario's thread is stuck inside a call and still uses the scenario and the
         * serial lines: nothing may be freed or closed under it. Leave without cleanup (the
         * kernel closes the lines). A thread stuck in its script holds no stdio lock, so the
         * bus log can be flushed first; one stuck in an engine tick might. */
        fprintf(stderr, "bmsrig bms: a stuck thread left running; exiting without cleanup\n");
        if (stuck_in == SCENARIO_PHASE_SCRIPT)
            fflush(NULL);
        else {
            fflush(stdout);
            fflush(stderr);
        }
        _exit(scenario_verdict_exit(v));
    }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    fprintf(stderr, "bmsrig bms: %s: %llu bytes in, %llu bytes out\n", dut_serial_bms_path(dut),
            (unsigned long long)dut_serial_bytes_in(dut),
            (unsigned long long)dut_serial_bytes_out(dut));
    dut_serial_close(dut);
    scenario_result_clear(&r);
    scenario_free(sc);
    return scenario_verdict_exit(v);
}
