/* rig_lock.h: one exclusive lock per FTDI serial (flock on a file), so two runs never drive
 * the same bench. The lock dies with the process, whatever way it ends. */
#ifndef BMSRIG_RIG_RIG_LOCK_H
#define BMSRIG_RIG_RIG_LOCK_H

#include <stdbool.h>
#include <stddef.h>

/* Takes the lock for `key` (the FTDI serial; "vvvv-pppp" when the description names none).
 * Directory: $BMSRIG_LOCK_DIR, else /run/lock if writable, else $XDG_RUNTIME_DIR, else /tmp.
 * Returns the open descriptor (>= 0), or BMSRIG_ERR_STATE when another process holds it
 * (err names the lock file and the holder's pid), BMSRIG_ERR_IO if the file cannot be made. */
int rig_lock_acquire(const char *key, char *path, size_t pathlen, char *err, size_t errlen);

/* Like rig_lock_acquire, but while another process holds the lock, retries every 100 ms for up
 * to `wait_s` seconds (0 = fail at once, as rig_lock_acquire does), saying on stderr (log
 * level warn) once that it waits and for whom, then every 10 s how long it has waited. `stop`
 * (may be NULL) is polled between tries: when it returns true the wait ends with
 * BMSRIG_ERR_STATE and "interrupted while waiting for bench ..." in err. A lock still held
 * after wait_s is BMSRIG_ERR_STATE, err saying how long it waited. */
int rig_lock_acquire_wait(const char *key, double wait_s, bool (*stop)(void), char *path,
                          size_t pathlen, char *err, size_t errlen);

/* Releases (closes) a descriptor from rig_lock_acquire; negative fds are ignored. */
void rig_lock_release(int fd);

#endif
