/* mpsse_io.c: libftdi1 transport for MPSSE buffers; every USB call's failure is reported with
 * libftdi1's own text. */
#define LOG_PREFIX "mpsse_io"
#include "rig/bench/mpsse_io.h"

#include <ftdi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rig/util/log.h"
#include "rig/bench/mpsse.h"
#include "sim/status.h"

struct mpsse_io {
    struct ftdi_context *ftdi;
    uint64_t writes;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void pause_us(long us)
{
    struct timespec ts = { 0, us * 1000 };
    nanosleep(&ts, NULL);
}

int mpsse_io_read(struct mpsse_io *io, uint8_t *buf, size_t n, int timeout_ms)
{
    size_t got = 0;
    int64_t deadline = now_ms() + timeout_ms;
    while (got < n) {
        int rc = ftdi_read_data(io->ftdi, buf + got, (int)(n - got));
        if (rc < 0) {
            br_err("ftdi_read_data failed (%d): %s", rc, ftdi_get_error_string(io->ftdi));
            return BMSRIG_ERR_IO;
        }
        got += (size_t)rc;
        if (got < n) {
            if (now_ms() > deadline)
                return BMSRIG_ERR_TIMEOUT;
            if (rc == 0)
                pause_us(100);
        }
    }
    return BMSRIG_OK;
}

int mpsse_io_write(struct mpsse_io *io, const uint8_t *data, size_t n)
{
    if (n == 0)
        return BMSRIG_OK;
    io->writes++;
    int rc = ftdi_write_data(io->ftdi, data, (int)n);
    if (rc != (int)n) {
        br_dbg("ftdi_write_data(%zu) = %d: %s", n, rc, ftdi_get_error_string(io->ftdi));
        return BMSRIG_ERR_IO;
    }
    return BMSRIG_OK;
}

/* Sends a bad opcode and waits for the chip's FA <op> echo, skipping stale bytes. [S] */
static int resync(struct mpsse_io *io, uint8_t op)
{
    uint8_t b[1] = { op };
    int rc = mpsse_io_write(io, b, 1);
    if (rc != BMSRIG_OK)
        return rc;
    uint8_t prev = 0, cur = 0;
    for (int i = 0; i < 64; i++) {
        rc = mpsse_io_read(io, &cur, 1, 250);
        if (rc != BMSRIG_OK)
            return rc;
        if (prev == MPSSE_BAD_COMMAND && cur == op)
            return BMSRIG_OK;
        prev = cur;
    }
    return BMSRIG_ERR_PROTO;
}

static const char *type_name(int type)
{
    switch (type) {
    case TYPE_2232H: return "FT2232H";
    case TYPE_4232H: return "FT4232H";
    case TYPE_232H: return "FT232H";
    case TYPE_2232C: return "FT2232C";
    case TYPE_R: return "FT232R";
    case TYPE_230X: return "FT230X";
    default: return "FTDI (old)";
    }
}

const char *mpsse_io_chip(const struct mpsse_io *io) { return type_name(io->ftdi->type); }

int mpsse_io_open(struct mpsse_io **out, uint16_t vid, uint16_t pid, const char *serial,
                  char iface, char *err, size_t errlen)
{
    *out = NULL;
    struct mpsse_io *io = calloc(1, sizeof(*io));
    if (!io)
        return BMSRIG_ERR_NOMEM;
    io->ftdi = ftdi_new();
    if (!io->ftdi) {
        free(io);
        snprintf(err, errlen, "ftdi_new failed (libusb init)");
        return BMSRIG_ERR_IO;
    }
    enum ftdi_interface itf = iface == 'B' ? INTERFACE_B : iface == 'C' ? INTERFACE_C
                              : iface == 'D' ? INTERFACE_D : INTERFACE_A;
    const char *sn = serial && *serial ? serial : NULL;
    int rc = ftdi_set_interface(io->ftdi, itf);
    if (rc == 0)
        rc = ftdi_usb_open_desc(io->ftdi, vid, pid, NULL, sn);
    if (rc < 0) {
        snprintf(err, errlen, "FTDI %04x:%04x serial %s interface %c not found or not usable "
                 "(%d): %s", vid, pid, sn ? sn : "(any)", iface, rc,
                 ftdi_get_error_string(io->ftdi));
        goto err_free;
    }
    int t = io->ftdi->type;
    if (t != TYPE_2232H && t != TYPE_4232H && t != TYPE_232H && t != TYPE_2232C) {
        snprintf(err, errlen, "FTDI %s serial %s has no MPSSE", type_name(t), sn ? sn : "?");
        goto err_close;
    }
    if (ftdi_usb_reset(io->ftdi) < 0 || ftdi_tcioflush(io->ftdi) < 0 ||
        ftdi_set_latency_timer(io->ftdi, 1) < 0 ||
        ftdi_set_bitmode(io->ftdi, 0, BITMODE_RESET) < 0 ||
        ftdi_set_bitmode(io->ftdi, 0, BITMODE_MPSSE) < 0) {
        snprintf(err, errlen, "FTDI %s: MPSSE set-up failed: %s", sn ? sn : "?",
                 ftdi_get_error_string(io->ftdi));
        goto err_close;
    }
    if (resync(io, 0xAA) != BMSRIG_OK || resync(io, 0xAB) != BMSRIG_OK) {
        snprintf(err, errlen, "FTDI %s: no bad-command echo from the MPSSE (not in sync)",
                 sn ? sn : "?");
        goto err_close;
    }
    br_info("opened %s serial %s interface %c", type_name(t), sn ? sn : "(any)", iface);
    *out = io;
    return BMSRIG_OK;
err_close:
    ftdi_usb_close(io->ftdi);
err_free:
    ftdi_free(io->ftdi);
    free(io);
    return BMSRIG_ERR_IO;
}

const char *mpsse_io_last_error(const struct mpsse_io *io)
{
    return io ? ftdi_get_error_string(io->ftdi) : "no device";
}

uint64_t mpsse_io_writes(const struct mpsse_io *io) { return io ? io->writes : 0; }

void mpsse_io_close(struct mpsse_io *io)
{
    if (!io)
        return;
    /* back to the UART function: the MPSSE lets go of every pin */
    if (ftdi_set_bitmode(io->ftdi, 0, BITMODE_RESET) < 0)
        br_dbg("bitmode reset on close failed: %s", ftdi_get_error_string(io->ftdi));
    ftdi_usb_close(io->ftdi);
    ftdi_free(io->ftdi);
    free(io);
}
