/* test_scenario_progress.c: the progress beats scenario_run gives a watchdog
 * (struct scenario_progress): they grow with every tick, stop while the script is stuck inside
 * a C call (phase SCRIPT, scenario time frozen), and the cancel flag stops a run at its next
 * tick. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rig/scenario/scenario.h"
#include "rig/scenario/watchdog.h"

static char dir[64];

/* Writes `body` to dir/name and returns the path (static buffer). */
static const char *write_scenario(const char *name, const char *body)
{
    static char path[128];
    snprintf(dir, sizeof(dir), "/tmp/bmsrig_progress_XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(body, f);
    fclose(f);
    return path;
}

static void remove_scenario(const char *path)
{
    unlink(path);
    rmdir(dir);
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* Runs s on `clock` watched by a fresh *prog; *r is initialised here (clear it after). */
static enum scenario_verdict run_watched(struct scenario *s, enum clock_kind clock,
                                         struct scenario_progress *prog, struct scenario_result *r)
{
    scenario_progress_reset(prog);
    struct scenario_run_options o;
    scenario_run_options_default(&o);
    o.clock = clock;
    o.progress = prog;
    scenario_result_init(r);
    return scenario_run(s, &o, r);
}

Test(scenario_progress, beats_with_every_tick)
{
    const char *p = write_scenario("wait.lua",
                                   "return scenario { name = 'w', run = function(t)\n"
                                   "  t:wait(1); t:expect('late', function() return t:now() > 1.2"
                                   " end, { within = 1 })\nend }\n");
    struct scenario *s = scenario_load(p);
    cr_assert_not_null(s);
    cr_assert_null(scenario_load_error(s), "%s", scenario_load_error(s));
    struct scenario_progress prog;
    struct scenario_result r;
    cr_assert_eq(run_watched(s, CLOCK_KIND_VIRTUAL, &prog, &r), SCENARIO_PASS, "%s",
                 r.message ? r.message : "");
    uint64_t beats = atomic_load(&prog.beats);
    cr_assert_geq(beats, r.ticks, "one beat per tick at least: %llu beats, %llu ticks",
                  (unsigned long long)beats, (unsigned long long)r.ticks);
    cr_assert_geq(r.ticks, 1200u);
    cr_assert_eq(atomic_load(&prog.sim_us), (int_fast64_t)(r.sim_time_s * 1e6 + 0.5));
    cr_assert_eq(atomic_load(&prog.phase), SCENARIO_PHASE_DONE);
    cr_assert_eq(atomic_load(&prog.cancel), 0);
    scenario_result_clear(&r);
    scenario_free(s);
    remove_scenario(p);
}

/* A script that never waits: one beat as it is resumed, one when it returns, and one more
 * when closing starts (so closing the engine and traces gets a full watchdog limit of its own
 * instead of what the last tick left of it). */
Test(scenario_progress, closing_beats_once_more)
{
    const char *p = write_scenario("none.lua",
                                   "return scenario { name = 'n', run = function(t) end }\n");
    struct scenario *s = scenario_load(p);
    cr_assert_not_null(s);
    struct scenario_progress prog;
    struct scenario_result r;
    cr_assert_eq(run_watched(s, CLOCK_KIND_VIRTUAL, &prog, &r), SCENARIO_PASS, "%s",
                 r.message ? r.message : "");
    cr_expect_eq(r.ticks, 0u);
    cr_expect_eq(atomic_load(&prog.beats), 3u, "beats %llu",
                 (unsigned long long)atomic_load(&prog.beats));
    cr_expect_eq(atomic_load(&prog.phase), SCENARIO_PHASE_DONE);
    scenario_result_clear(&r);
    scenario_free(s);
    remove_scenario(p);
}

/* A real-time scenario beats once per tick, so the watchdog's limit is raised to 10 of its own
 * ticks (its declaration's tick_ms, which --tick-ms does not see); virtual time has no floor. */
Test(scenario_progress, real_time_limit_spans_ten_of_the_scenarios_ticks)
{
    const char *p = write_scenario("slow_tick.lua",
                                   "return scenario { name = 's', tick_ms = 50,"
                                   " run = function(t) t:wait(0.1) end }\n");
    for (int rt = 0; rt < 2; rt++) {
        struct scenario *s = scenario_load(p);           /* a state runs once */
        cr_assert_not_null(s);
        struct scenario_progress prog;
        struct scenario_result r;
        cr_assert_eq(run_watched(s, rt ? CLOCK_KIND_REALTIME : CLOCK_KIND_VIRTUAL, &prog, &r),
                     SCENARIO_PASS, "%s", r.message ? r.message : "");
        cr_expect_eq(atomic_load(&prog.floor_us), rt ? 500000 : 0, "%s: floor %lld us",
                     rt ? "real time" : "virtual", (long long)atomic_load(&prog.floor_us));
        cr_expect_eq(watchdog_limit_for(0.1, &prog), rt ? 0.5 : 0.1);
        cr_expect_eq(watchdog_limit_for(2.0, &prog), 2.0);
        cr_expect_eq(watchdog_limit_for(0.0, &prog), 0.0, "off stays off");
        scenario_result_clear(&r);
        scenario_free(s);
    }
    remove_scenario(p);
}

Test(scenario_progress, cancel_stops_the_run_at_the_next_tick)
{
    const char *p = write_scenario("long.lua",
                                   "return scenario { name = 'l', run = function(t) t:wait(100)"
                                   " end }\n");
    struct scenario *s = scenario_load(p);
    cr_assert_not_null(s);
    struct scenario_progress prog;
    scenario_progress_reset(&prog);
    atomic_store(&prog.cancel, 1);
    struct scenario_run_options o;
    scenario_run_options_default(&o);
    o.progress = &prog;
    struct scenario_result r;
    scenario_result_init(&r);
    cr_assert_eq(scenario_run(s, &o, &r), SCENARIO_FAIL);
    cr_assert_not_null(r.message);
    cr_assert(strstr(r.message, "watchdog") != NULL, "%s", r.message);
    cr_assert_eq(r.ticks, 0u, "no tick after the cancel: %llu", (unsigned long long)r.ticks);
    scenario_result_clear(&r);
    scenario_free(s);
    remove_scenario(p);
}

struct stuck_arg {
    struct scenario *s;
    struct scenario_progress prog;
};

static void *run_stuck(void *arg)
{
    struct stuck_arg *a = arg;
    struct scenario_run_options o;
    scenario_run_options_default(&o);
    o.progress = &a->prog;
    struct scenario_result r;
    scenario_result_init(&r);
    scenario_run(a->s, &o, &r);   /* does not return in practice */
    return NULL;
}

Test(scenario_progress, beats_stop_while_stuck_in_a_pattern_match)
{
    const char *p = write_scenario(
        "stuck.lua", "return scenario { name = 's', run = function(t)\n"
                     "  t:wait(0.1)\n"
                     "  string.find(string.rep('a', 100000), string.rep('a*', 150) .. 'b')\n"
                     "end }\n");
    static struct stuck_arg a;   /* the stuck thread keeps using it until the test exits */
    a.s = scenario_load(p);
    cr_assert_not_null(a.s);
    scenario_progress_reset(&a.prog);
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, run_stuck, &a), 0);
    pthread_detach(th);
    /* Wait (at most 5 s) until the script runs after its 0.1 s wait. */
    int i;
    for (i = 0; i < 500; i++) {
        if (atomic_load(&a.prog.phase) == SCENARIO_PHASE_SCRIPT &&
            atomic_load(&a.prog.sim_us) == 100000)
            break;
        sleep_ms(10);
    }
    cr_assert_lt(i, 500, "the script never reached its pattern match");
    uint64_t b0 = atomic_load(&a.prog.beats);
    cr_assert_geq(b0, 100u);
    sleep_ms(300);
    cr_assert_eq(atomic_load(&a.prog.beats), b0, "beats moved while stuck in C");
    cr_assert_eq(atomic_load(&a.prog.phase), SCENARIO_PHASE_SCRIPT);
    cr_assert_eq(atomic_load(&a.prog.sim_us), 100000);
    unlink(p);
    rmdir(dir);
    /* The thread stays stuck; the test process exits around it (as bmsrig run does). */
}
