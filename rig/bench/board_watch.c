/* board_watch.c: board_load in a thread of its own, given up after a limit or on a signal. */
#include "rig/bench/board_watch.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "rig/bench/board_locate.h"
#include "sim/status.h"

/* Shared by the caller and the loading thread; the last one to let go frees it. */
struct watched_load {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    atomic_int refs;
    char *path;
    bool done, abandoned;
    pid_t tid;
    int rc;
    struct board *b;
    char err[1024];
};

static void release(struct watched_load *w)
{
    if (atomic_fetch_sub(&w->refs, 1) != 1)
        return;
    board_free(w->b);
    free(w->path);
    pthread_cond_destroy(&w->cond);
    pthread_mutex_destroy(&w->lock);
    free(w);
}

static void *loader_main(void *arg)
{
    struct watched_load *w = arg;
    pthread_mutex_lock(&w->lock);
    w->tid = gettid();
    pthread_mutex_unlock(&w->lock);
    struct board *b = NULL;
    char err[sizeof(w->err)] = "";
    int rc = board_load(&b, w->path, err, sizeof(err));
    pthread_mutex_lock(&w->lock);
    if (w->abandoned) {
        board_free(b);   /* nobody wants it any more */
    } else {
        w->b = b;
        w->rc = rc;
        memcpy(w->err, err, sizeof(err));
    }
    w->done = true;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
    release(w);
    return NULL;
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int board_load_watched(struct board **out, const char *path, double limit_s,
                       bool (*stop)(void), char *err, size_t errlen)
{
    *out = NULL;
    struct watched_load *w = calloc(1, sizeof(*w));
    char *p = strdup(path);
    if (!w || !p) {
        free(w);
        free(p);
        return board_load(out, path, err, errlen);
    }
    pthread_mutex_init(&w->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w->cond, &ca);
    pthread_condattr_destroy(&ca);
    w->path = p;
    atomic_init(&w->refs, 2);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t th;
    int prc = pthread_create(&th, &attr, loader_main, w);
    pthread_attr_destroy(&attr);
    if (prc != 0) {
        atomic_store(&w->refs, 1);
        release(w);
        return board_load(out, path, err, errlen);
    }
    const double deadline = limit_s > 0 ? mono_s() + limit_s : 0;
    pthread_mutex_lock(&w->lock);
    bool interrupted = false;
    while (!w->done) {
        if (stop && stop()) {
            interrupted = true;
            break;
        }
        double now = mono_s();
        if (limit_s > 0 && now >= deadline)
            break;
        /* short waits: a signal handler cannot wake a condition variable */
        double wait = 0.05;
        if (limit_s > 0 && deadline - now < wait)
            wait = deadline - now;
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        long ns = ts.tv_nsec + (long)(wait * 1e9);
        ts.tv_sec += ns / 1000000000L;
        ts.tv_nsec = ns % 1000000000L;
        pthread_cond_timedwait(&w->cond, &w->lock, &ts);
    }
    int rc;
    if (w->done) {
        rc = w->rc;
        *out = w->b;
        w->b = NULL;
        snprintf(err, errlen, "%s", w->err);
    } else {
        w->abandoned = true;
        if (w->tid)
            setpriority(PRIO_PROCESS, (id_t)w->tid, 19);   /* let it give way to the rest */
        if (interrupted) {
            snprintf(err, errlen, "%s: interrupted while the rig description was loading "
                     "(its top-level code was still running)", path);
            rc = BMSRIG_ERR_STATE;
        } else {
            snprintf(err, errlen, "%s: watchdog: loading the rig description made no progress "
                     "for %g s: its top-level code is stuck inside one call (a C library "
                     "function such as a string pattern match on a long subject, which the "
                     "instruction budget cannot interrupt); the description was abandoned",
                     path, limit_s);
            rc = BMSRIG_ERR_TIMEOUT;
        }
    }
    pthread_mutex_unlock(&w->lock);
    release(w);
    return rc;
}

int board_check_watched(const char *rig, double limit_s, bool (*stop)(void), char *err,
                        size_t errlen)
{
    char path[4096];
    if (board_locate(rig, path, sizeof(path), err, errlen) != BMSRIG_OK)
        return BMSRIG_OK;   /* the open says why, as it always has */
    struct board *b = NULL;
    int rc = board_load_watched(&b, path, limit_s, stop, err, errlen);
    board_free(b);
    /* a description that does not load: the real open reports it (file:line), unchanged */
    return rc == BMSRIG_ERR_STATE || rc == BMSRIG_ERR_TIMEOUT ? rc : BMSRIG_OK;
}
