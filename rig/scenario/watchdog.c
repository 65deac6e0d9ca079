/* watchdog.c: the wall-clock watchdog shared by `bmsrig run` and `bmsrig bms --scenario`:
 * timed waits, watched loading, the texts and verdicts of a written-off scenario, and the
 * one-scenario supervisor watchdog_run. */
#define LOG_PREFIX "watchdog"
#include "rig/scenario/watchdog.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "rig/realtime/clock.h"

/* ---- timed waits ------------------------------------------------------------------------- */

/* A condition variable on CLOCK_MONOTONIC (the clock clock_wall_s reads). */
void watchdog_cond_init(pthread_cond_t *c)
{
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(c, &a);
    pthread_condattr_destroy(&a);
}

/* Waits on c for at most wait_s seconds (woken early by a signal on c). */
void watchdog_cond_wait_s(pthread_cond_t *c, pthread_mutex_t *m, double wait_s)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    long long ns = (long long)ts.tv_nsec + (long long)(wait_s * 1e9);
    ts.tv_sec += (time_t)(ns / 1000000000LL);
    ts.tv_nsec = (long)(ns % 1000000000LL);
    pthread_cond_timedwait(c, m, &ts);
}

/* Starts main(arg) on a detached thread (the watched side may never come back to be joined).
 * Returns pthread_create's result. */
static int spawn_detached(void *(*main_fn)(void *), void *arg)
{
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t th;
    int rc = pthread_create(&th, &attr, main_fn, arg);
    pthread_attr_destroy(&attr);
    return rc;
}

/* ---- loading under the watchdog --------------------------------------------------------- */

/* A file's top-level code runs when it loads, so loading can get stuck too: each file loads in
 * a thread of its own while the caller waits at most the watchdog limit. */
struct loader {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    char *path;
    struct scenario *s;
    bool done;
    bool abandoned;      /* the caller stopped waiting: the thread frees what it loaded */
    pid_t tid;           /* the loading thread's kernel id, 0 until it runs */
    atomic_int refs;     /* the thread and the caller; the last one out frees */
};

/* Called by each side once it no longer uses l (its lock released). */
static void loader_release(struct loader *l)
{
    if (atomic_fetch_sub(&l->refs, 1) != 1)
        return;
    pthread_mutex_destroy(&l->lock);
    pthread_cond_destroy(&l->cond);
    free(l->path);
    free(l);
}

static void *loader_main(void *arg)
{
    struct loader *l = arg;
    pthread_mutex_lock(&l->lock);
    l->tid = gettid();
    pthread_mutex_unlock(&l->lock);
    struct scenario *s = scenario_load(l->path);
    pthread_mutex_lock(&l->lock);
    bool drop = l->abandoned;
    l->s = drop ? NULL : s;
    l->done = true;
    pthread_cond_signal(&l->cond);
    pthread_mutex_unlock(&l->lock);
    if (drop)
        scenario_free(s);
    loader_release(l);
    return NULL;
}

/* scenario_load(path), watched: with limit_s > 0, returns NULL with *stuck set if loading has
 * not finished after limit_s seconds (the loading thread is left to itself: a thread stuck in
 * C cannot be cancelled). Otherwise as scenario_load. */
struct scenario *watchdog_load(const char *path, double limit_s, bool *stuck)
{
    return watchdog_load_until(path, limit_s, NULL, stuck);
}

struct scenario *watchdog_load_until(const char *path, double limit_s,
                                     volatile sig_atomic_t *stop, bool *stuck)
{
    *stuck = false;
    if (!(limit_s > 0) && !stop)
        return scenario_load(path);
    struct loader *l = calloc(1, sizeof(*l));
    char *p = strdup(path);
    if (!l || !p) {
        free(l);
        free(p);
        return scenario_load(path);
    }
    pthread_mutex_init(&l->lock, NULL);
    watchdog_cond_init(&l->cond);
    l->path = p;
    atomic_init(&l->refs, 2);
    if (spawn_detached(loader_main, l) != 0) {
        atomic_store(&l->refs, 1);
        loader_release(l);
        return scenario_load(path);
    }
    double deadline = limit_s > 0 ? clock_wall_s() + limit_s : 0;
    pthread_mutex_lock(&l->lock);
    for (;;) {
        double left = limit_s > 0 ? deadline - clock_wall_s() : 0.05;
        if (l->done || left <= 0 || (stop && *stop))
            break;
        /* short waits with a stop flag: a signal handler cannot wake the condition */
        double cap = stop ? 0.05 : 0.5;
        watchdog_cond_wait_s(&l->cond, &l->lock, left < cap ? left : cap);
    }
    struct scenario *s = l->s;
    if (!l->done) {
        l->abandoned = true;
        *stuck = true;
        if (l->tid)
            setpriority(PRIO_PROCESS, (id_t)l->tid, 19);   /* let it give way (see abandon) */
    }
    pthread_mutex_unlock(&l->lock);
    loader_release(l);
    return s;
}

double watchdog_limit_for(double limit_s, const struct scenario_progress *p)
{
    double floor_s = (double)atomic_load_explicit(&p->floor_us, memory_order_relaxed) / 1e6;
    return limit_s > 0 && limit_s < floor_s ? floor_s : limit_s;
}

/* ---- texts and verdicts ------------------------------------------------------------------ */

void watchdog_load_message(char *buf, size_t cap, const char *path, double limit_s)
{
    snprintf(buf, cap, "%s: watchdog: loading made no progress for %g s: the file's top-level "
             "code is stuck inside one call (a C library function such as a string pattern "
             "match on a long subject, which the instruction budget cannot interrupt); the file "
             "was abandoned (--watchdog %g)", path, limit_s, limit_s);
}

void watchdog_stuck_message(char *buf, size_t cap, const char *path, double idle_s, double t_s,
                            enum scenario_phase ph, double limit_s, bool interrupted)
{
    const char *where =
        ph == SCENARIO_PHASE_SCRIPT
            ? "the script is stuck inside one call (a C library function such as a string "
              "pattern match on a long subject, which the instruction budget cannot "
              "interrupt)"
        : ph == SCENARIO_PHASE_SETUP
            ? "setting up the scenario (engine, traces, devices) did not finish"
        : ph == SCENARIO_PHASE_CLOSING
            ? "closing the scenario (safe state, traces) did not finish"
            : "an engine tick did not return (a device or serial call that hangs?)";
    if (interrupted)
        snprintf(buf, cap, "%s: not run: interrupted while stuck (no progress for %.1f s at "
                 "t=%.3f s: %s)", path, idle_s, t_s, where);
    else
        snprintf(buf, cap, "%s: watchdog: no progress for %.1f s at t=%.3f s: %s; the scenario "
                 "was abandoned (--watchdog %g)", path, idle_s, t_s, where, limit_s);
}

enum scenario_verdict watchdog_stuck_verdict(enum scenario_phase ph, bool on_device,
                                             bool interrupted)
{
    if (interrupted)
        return SCENARIO_NOT_RUN;
    /* Like the scenario-time limit, a scenario that does not finish fails; with a device open
     * a hang outside the script is the infrastructure's (exit 3). */
    return on_device && ph != SCENARIO_PHASE_SCRIPT ? SCENARIO_RIG_FAULT : SCENARIO_FAIL;
}

/* ---- one watched scenario ------------------------------------------------------------------ */

/* Shared by the scenario's thread and the watching caller; the last one out frees it. */
struct watched {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct scenario *s;                  /* borrowed from the caller */
    struct scenario_run_options opt;     /* the caller's, progress pointing at prog */
    struct scenario_progress prog;
    struct scenario_result res;          /* the thread's result, once done */
    bool done;
    bool abandoned;                      /* written off: the thread drops its result */
    pid_t tid;
    atomic_int refs;
};

static void watched_release(struct watched *w)
{
    if (atomic_fetch_sub(&w->refs, 1) != 1)
        return;
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->cond);
    scenario_result_clear(&w->res);
    free(w);
}

static void *watched_main(void *arg)
{
    struct watched *w = arg;
    pthread_mutex_lock(&w->lock);
    w->tid = gettid();
    pthread_mutex_unlock(&w->lock);
    struct scenario_result r;
    scenario_result_init(&r);
    scenario_run(w->s, &w->opt, &r);
    pthread_mutex_lock(&w->lock);
    if (w->abandoned) {
        scenario_result_clear(&r);   /* the watchdog's verdict stands */
    } else {
        w->res = r;
        w->done = true;
        pthread_cond_signal(&w->cond);
    }
    pthread_mutex_unlock(&w->lock);
    watched_release(w);
    return NULL;
}

bool watchdog_run(struct scenario *s, const struct scenario_run_options *opt, double limit_s,
                  bool on_device, struct scenario_result *res, enum scenario_phase *phase)
{
    struct watched *w = calloc(1, sizeof(*w));
    if (!w) {
        scenario_run(s, opt, res);   /* unwatched rather than not at all */
        return true;
    }
    pthread_mutex_init(&w->lock, NULL);
    watchdog_cond_init(&w->cond);
    w->s = s;
    w->opt = *opt;
    w->opt.progress = &w->prog;
    scenario_progress_reset(&w->prog);
    scenario_result_init(&w->res);
    atomic_init(&w->refs, 2);
    if (spawn_detached(watched_main, w) != 0) {
        atomic_store(&w->refs, 1);
        watched_release(w);
        scenario_run(s, opt, res);
        return true;
    }
    /* Sample the beats as the run's supervisor does: 20 samples per limit, 10 ms .. 0.5 s. */
    double poll = limit_s > 0 ? limit_s / 20 : 0.5;
    poll = poll < 0.01 ? 0.01 : poll > 0.5 ? 0.5 : poll;
    double started = clock_wall_s(), seen_s = started, interrupted_at = 0;
    uint64_t seen_beats = 0;
    bool finished = false;
    pthread_mutex_lock(&w->lock);
    for (;;) {
        if (w->done) {
            *res = w->res;
            scenario_result_init(&w->res);   /* handed over */
            finished = true;
            break;
        }
        watchdog_cond_wait_s(&w->cond, &w->lock, poll);
        if (w->done)
            continue;
        double now = clock_wall_s();
        if (opt->interrupted && *opt->interrupted && interrupted_at == 0)
            interrupted_at = now;
        uint64_t b = atomic_load_explicit(&w->prog.beats, memory_order_relaxed);
        if (b != seen_beats) {
            seen_beats = b;
            seen_s = now;
            continue;
        }
        double idle = now - seen_s;
        bool by_limit = limit_s > 0 && idle >= watchdog_limit_for(limit_s, &w->prog);
        bool by_interrupt = interrupted_at > 0 && now - interrupted_at >= WATCHDOG_INTERRUPT_GRACE_S &&
                            idle >= WATCHDOG_INTERRUPT_GRACE_S;
        if (!by_limit && !by_interrupt)
            continue;
        /* Written off: asked to stop should it come back, and given way (nice 19, that thread
         * only), since a thread stuck in C cannot be cancelled safely. */
        enum scenario_phase ph =
            (enum scenario_phase)atomic_load_explicit(&w->prog.phase, memory_order_relaxed);
        double t = (double)atomic_load_explicit(&w->prog.sim_us, memory_order_relaxed) / 1e6;
        atomic_store_explicit(&w->prog.cancel, 1, memory_order_relaxed);
        if (w->tid)
            setpriority(PRIO_PROCESS, (id_t)w->tid, 19);
        w->abandoned = true;
        bool interrupted = !by_limit;
        char msg[WATCHDOG_MESSAGE_CAP];
        watchdog_stuck_message(msg, sizeof(msg), scenario_path(s), idle, t, ph, limit_s,
                               interrupted);
        scenario_result_set_message(res, msg);
        res->verdict = watchdog_stuck_verdict(ph, on_device, interrupted);
        res->incomplete = interrupted;
        res->seed = scenario_seed(opt->seed, scenario_path(s));
        res->sim_time_s = t;
        res->wall_s = now - started;
        if (phase)
            *phase = ph;
        break;
    }
    pthread_mutex_unlock(&w->lock);
    watched_release(w);
    return finished;
}
