/* transport.c: serial device (termios raw 8N1) and new-pty transports for the fake BMS. */
#include "rig/line/transport.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "sim/status.h"

#define LOG_PREFIX "transport"
#include "rig/util/log.h"

static speed_t baud_const(uint32_t baud)
{
    switch (baud) {
    case 9600: return B9600;
    case 19200: return B19200;
    case 38400: return B38400;
    case 57600: return B57600;
    case 115200: return B115200;
    case 230400: return B230400;
    case 460800: return B460800;
    case 921600: return B921600;
    default: return 0;
    }
}

int transport_make_raw(int fd, uint32_t baud)
{
    speed_t sp = baud_const(baud);
    if (!sp)
        return BMSRIG_ERR_ARG;
    struct termios tio;
    if (tcgetattr(fd, &tio) != 0)
        return BMSRIG_ERR_IO;
    cfmakeraw(&tio);
    tio.c_cflag &= ~(tcflag_t)(CSIZE | PARENB | CSTOPB | CRTSCTS);
    tio.c_cflag |= CS8 | CLOCAL | CREAD;
    tio.c_iflag &= ~(tcflag_t)(IXON | IXOFF | IXANY);
    tio.c_cc[VMIN] = 0;
    tio.c_cc[VTIME] = 0;
    cfsetispeed(&tio, sp);
    cfsetospeed(&tio, sp);
    if (tcsetattr(fd, TCSANOW, &tio) != 0)
        return BMSRIG_ERR_IO;
    return BMSRIG_OK;
}

int transport_open_serial(struct transport *t, const char *dev, uint32_t baud)
{
    memset(t, 0, sizeof(*t));
    t->fd = -1;
    t->keep_fd = -1;
    if (!dev || !baud_const(baud))
        return BMSRIG_ERR_ARG;
    int fd = open(dev, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return BMSRIG_ERR_IO;
    if (!isatty(fd)) {
        close(fd);
        errno = ENOTTY;
        return BMSRIG_ERR_IO;
    }
    int rc = transport_make_raw(fd, baud);
    if (rc != BMSRIG_OK) {
        int e = errno;
        close(fd);
        errno = e;
        return rc;
    }
    tcflush(fd, TCIOFLUSH);
    t->fd = fd;
    snprintf(t->path, sizeof(t->path), "%s", dev);
    return BMSRIG_OK;
}

int transport_open_pty(struct transport *t)
{
    memset(t, 0, sizeof(*t));
    t->fd = -1;
    t->keep_fd = -1;
    int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (m < 0)
        return BMSRIG_ERR_IO;
    if (grantpt(m) != 0 || unlockpt(m) != 0) {
        close(m);
        return BMSRIG_ERR_IO;
    }
    char name[TRANSPORT_PATH_MAX];
    if (ptsname_r(m, name, sizeof(name)) != 0) {
        close(m);
        return BMSRIG_ERR_IO;
    }
    /* Hold the slave open ourselves: its termios becomes raw for whoever opens it next, and
     * the master does not see EIO/hang-up while no peer is attached. */
    int s = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (s < 0 || transport_make_raw(s, 115200) != BMSRIG_OK ||
        transport_make_raw(m, 115200) != BMSRIG_OK) {
        int e = errno;
        if (s >= 0)
            close(s);
        close(m);
        errno = e;
        return BMSRIG_ERR_IO;
    }
    int fl = fcntl(m, F_GETFL);
    if (fl < 0 || fcntl(m, F_SETFL, fl | O_NONBLOCK) != 0) {
        close(s);
        close(m);
        return BMSRIG_ERR_IO;
    }
    t->fd = m;
    t->keep_fd = s;
    snprintf(t->path, sizeof(t->path), "%s", name);
    return BMSRIG_OK;
}

ssize_t transport_read(struct transport *t, uint8_t *buf, size_t cap)
{
    for (;;) {
        ssize_t n = read(t->fd, buf, cap);
        if (n >= 0)
            return n;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return 0;
        if (errno == EIO && t->keep_fd >= 0)
            return 0;   /* pty: the peer went away; keep serving, a new peer may open it */
        return BMSRIG_ERR_IO;
    }
}

ssize_t transport_write(struct transport *t, const uint8_t *buf, size_t n)
{
    for (;;) {
        ssize_t w = write(t->fd, buf, n);
        if (w >= 0)
            return w;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return 0;
        return BMSRIG_ERR_IO;
    }
}

void transport_close(struct transport *t)
{
    if (!t)
        return;
    if (t->fd >= 0)
        close(t->fd);
    if (t->keep_fd >= 0)
        close(t->keep_fd);
    t->fd = -1;
    t->keep_fd = -1;
}
