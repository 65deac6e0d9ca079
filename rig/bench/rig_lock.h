/* rig_lock.h: one exclusive lock per FTDI serial (flock on a file), so two runs never drive
 * the same bench. The lock dies with the process, whatever way it ends. */
#ifndef BMSRIG_RIG_RIG_LOCK_H
#define BMSRIG_RIG_RIG_LOCK_H

#include <stddef.h>

/* Takes the lock for `key` (the FTDI serial; "vvvv-pppp" when the description names none).
 * Directory: $BMSRIG_LOCK_DIR, else /run/lock if writable, else $XDG_RUNTIME_DIR, else /tmp.
 * Returns the open descriptor (>= 0), or BMSRIG_ERR_STATE when another process holds it
 * (err names the lock file and the holder's pid), BMSRIG_ERR_IO if the file cannot be made. */
int rig_lock_acquire(const char *key, char *path, size_t pathlen, char *err, size_t errlen);

/* Releases (closes) a descriptor from rig_lock_acquire; negative fds are ignored. */
void rig_lock_release(int fd);

#endif
