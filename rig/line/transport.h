/* transport.h: byte transports for the fake BMS in real time: a serial device (termios raw,
 * 8N1, full duplex) and a new pseudo-terminal. (The in-process transport for the virtual target
 * is the link's wire, rig/line/link.h.) */
#ifndef BMSRIG_RIG_TRANSPORT_H
#define BMSRIG_RIG_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TRANSPORT_PATH_MAX 256

struct transport {
    int fd;                           /* non-blocking, readable/writable with poll() */
    int keep_fd;                      /* pty: our own open slave (keeps the master readable
                                         when the peer closes); -1 otherwise */
    char path[TRANSPORT_PATH_MAX];    /* device or pty slave path */
};

/* Opens `dev` raw at `baud` 8N1, no flow control, non-blocking. Returns BMSRIG_OK,
 * BMSRIG_ERR_ARG for an unsupported baud, BMSRIG_ERR_IO (errno kept) otherwise. */
int transport_open_serial(struct transport *t, const char *dev, uint32_t baud);

/* Creates a new pty pair; the slave (t->path) is put in raw mode so a peer can open it and
 * exchange bytes unaltered. Returns BMSRIG_OK or BMSRIG_ERR_IO. */
int transport_open_pty(struct transport *t);

/* Non-blocking read/write: the byte count, 0 when nothing is available / writable, or
 * BMSRIG_ERR_IO (a serial device that went away, EIO). A pty whose peer closed reads as 0. */
ssize_t transport_read(struct transport *t, uint8_t *buf, size_t cap);
ssize_t transport_write(struct transport *t, const uint8_t *buf, size_t n);

/* Closes everything; safe after a failed open (fds are -1 then) and when already closed. */
void transport_close(struct transport *t);

/* Puts an already open terminal fd in raw 8N1 mode at `baud` (used by test peers too). */
int transport_make_raw(int fd, uint32_t baud);

#endif
