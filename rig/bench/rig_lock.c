/* rig_lock.c: per-bench lock files with flock(2); optionally waiting for a busy bench. */
#define LOG_PREFIX "lock"
#include "rig/bench/rig_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "rig/util/log.h"
#include "sim/status.h"

#define LOCK_RETRY_NS 100000000L   /* 100 ms between tries: a bench is held for minutes */
#define LOCK_NOTE_EVERY_S 10.0     /* a "still waiting" line this often */

static const char *lock_dir(void)
{
    const char *d = getenv("BMSRIG_LOCK_DIR");
    if (d && *d)
        return d;
    if (access("/run/lock", W_OK) == 0)
        return "/run/lock";
    d = getenv("XDG_RUNTIME_DIR");
    if (d && *d && access(d, W_OK) == 0)
        return d;
    return "/tmp";
}

/* The holder's pid as written in the lock file, "?" if none. */
static void holder_pid(int fd, char *pid, size_t len)
{
    snprintf(pid, len, "?");
    ssize_t got = pread(fd, pid, len - 1, 0);
    if (got > 0) {
        pid[got] = 0;
        pid[strcspn(pid, "\n")] = 0;
    }
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int rig_lock_acquire_wait(const char *key, double wait_s, bool (*stop)(void), char *path,
                          size_t pathlen, char *err, size_t errlen)
{
    char safe[64];
    size_t n = 0;
    for (const char *p = key; *p && n + 1 < sizeof safe; p++)
        safe[n++] = (char)((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                           (*p >= '0' && *p <= '9') || *p == '-' ? *p : '_');
    safe[n] = 0;
    snprintf(path, pathlen, "%s/bmsrig-ftdi-%s.lock", lock_dir(), safe);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0) {
        snprintf(err, errlen, "cannot create the bench lock %s: %s", path, strerror(errno));
        return BMSRIG_ERR_IO;
    }
    double t0 = now_s(), next_note = 0;
    char pid[32];
    while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        if (e != EWOULDBLOCK) {
            close(fd);
            snprintf(err, errlen, "cannot lock %s: %s", path, strerror(e));
            return BMSRIG_ERR_IO;
        }
        holder_pid(fd, pid, sizeof pid);
        double waited = now_s() - t0;
        if (waited >= wait_s) {
            close(fd);
            if (wait_s > 0)
                snprintf(err, errlen, "bench %s is still in use by another run after waiting "
                         "%.0f s (lock %s held by pid %s)", key, wait_s, path, pid);
            else
                snprintf(err, errlen, "bench %s is in use by another run (lock %s held by "
                         "pid %s)", key, path, pid);
            return BMSRIG_ERR_STATE;
        }
        if (stop && stop()) {
            close(fd);
            snprintf(err, errlen, "interrupted while waiting for bench %s (lock %s held by "
                     "pid %s)", key, path, pid);
            return BMSRIG_ERR_STATE;
        }
        if (waited >= next_note) {
            if (next_note == 0)
                br_warn("bench %s is in use (lock %s held by pid %s): waiting up to %.0f s",
                        key, path, pid, wait_s);
            else
                br_warn("still waiting for bench %s (pid %s): %.0f s of %.0f s", key, pid,
                        waited, wait_s);
            next_note += LOCK_NOTE_EVERY_S;
        }
        struct timespec pause = { 0, LOCK_RETRY_NS };
        nanosleep(&pause, NULL);
    }
    if (next_note > 0)   /* it said it waits: say when it got the bench */
        br_warn("bench %s is free: took the lock after %.1f s", key, now_s() - t0);
    int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) == 0 && pwrite(fd, pid, (size_t)len, 0) != len) {
        /* the pid is only a hint for the error message of a second run */
    }
    return fd;
}

int rig_lock_acquire(const char *key, char *path, size_t pathlen, char *err, size_t errlen)
{
    return rig_lock_acquire_wait(key, 0, NULL, path, pathlen, err, errlen);
}

void rig_lock_release(int fd)
{
    if (fd >= 0)
        close(fd);   /* closing drops the flock */
}
