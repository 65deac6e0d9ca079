/* run_schedule.c: `bmsrig run`'s scheduling: the worker threads that run the scenarios, and the
 * main thread's supervisor whose watchdog writes off a scenario that stops making progress. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "rig/cli/run_internal.h"
#include "rig/realtime/clock.h"
#include "rig/scenario/watchdog.h"

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
        if (i >= st->n || run_interrupted || st->bench_lost)
            break;
        st->next++;
        w->idx = i;
        w->busy = true;
        w->started_s = clock_wall_s();
        w->seen_beats = 0;
        w->seen_s = w->started_s;
        w->noted_s = w->started_s;
        scenario_progress_reset(&w->prog);
        if (st->o->progress_s > 0)
            print_started(st, i);
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
        if (st->bench && st->res[i].verdict == SCENARIO_RIG_FAULT && !st->bench_lost) {
            st->bench_lost = true;
            snprintf(st->bench_lost_reason, sizeof(st->bench_lost_reason),
                     "the bench failed during %s (rig fault); no scenario started after it",
                     base_name(st->items[i].path));
        }
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
bool start_worker(struct run_state *st)
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
void supervise(struct run_state *st)
{
    double limit = st->o->watchdog_s;
    double poll = limit > 0 ? limit / 20 : 0.5;
    poll = poll < 0.01 ? 0.01 : poll > 0.5 ? 0.5 : poll;
    if (st->o->progress_s > 0 && poll > st->o->progress_s / 4)
        poll = st->o->progress_s / 4 < 0.01 ? 0.01 : st->o->progress_s / 4;
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
            if (st->o->progress_s > 0 && now - w->noted_s >= st->o->progress_s) {
                print_running(st, w, now);
                w->noted_s = now;
            }
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
