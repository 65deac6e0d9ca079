/* rig_lock.c: per-bench lock files with flock(2). */
#include "rig/bench/rig_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "sim/status.h"

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

int rig_lock_acquire(const char *key, char *path, size_t pathlen, char *err, size_t errlen)
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
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        char pid[32] = "?";
        ssize_t got = pread(fd, pid, sizeof pid - 1, 0);
        if (got > 0) {
            pid[got] = 0;
            pid[strcspn(pid, "\n")] = 0;
        }
        close(fd);
        if (e == EWOULDBLOCK) {
            snprintf(err, errlen, "bench %s is in use by another run (lock %s held by pid %s)",
                     key, path, pid);
            return BMSRIG_ERR_STATE;
        }
        snprintf(err, errlen, "cannot lock %s: %s", path, strerror(e));
        return BMSRIG_ERR_IO;
    }
    char pid[32];
    int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) == 0 && pwrite(fd, pid, (size_t)len, 0) != len) {
        /* the pid is only a hint for the error message of a second run */
    }
    return fd;
}

void rig_lock_release(int fd)
{
    if (fd >= 0)
        close(fd);   /* closing drops the flock */
}
