/* test_transport.c: the pty and serial transports: raw 8N1 at 115200, every byte value passes
 * unaltered in both directions, clear errors for a bad baud or a non-terminal. */
#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <math.h>

#include "rig/line/dut_serial.h"
#include "rig/line/link.h"
#include "rig/line/transport.h"
#include "sim/bms.h"
#include "sim/dash/dash.h"
#include "sim/frame.h"
#include "sim/status.h"

/* Reads exactly n bytes from t within 1 s. */
static size_t read_n(struct transport *t, uint8_t *buf, size_t n)
{
    size_t got = 0;
    for (int i = 0; i < 100 && got < n; i++) {
        struct pollfd p = { .fd = t->fd, .events = POLLIN };
        poll(&p, 1, 10);
        ssize_t r = transport_read(t, buf + got, n - got);
        cr_assert_geq(r, 0);
        got += (size_t)r;
    }
    return got;
}

Test(transport, pty_and_serial_pass_every_byte_raw)
{
    struct transport pty, ser;
    cr_assert_eq(transport_open_pty(&pty), BMSRIG_OK, "%s", strerror(errno));
    cr_assert(strncmp(pty.path, "/dev/pts/", 9) == 0, "%s", pty.path);
    cr_assert_eq(transport_open_serial(&ser, pty.path, 115200), BMSRIG_OK, "%s", strerror(errno));
    struct termios tio;
    cr_assert_eq(tcgetattr(ser.fd, &tio), 0);
    cr_assert_eq(tio.c_cflag & CSIZE, CS8);
    cr_assert_eq(tio.c_cflag & (PARENB | CSTOPB | CRTSCTS), 0u, "8N1, no flow control");
    cr_assert_eq(tio.c_lflag & (ICANON | ECHO | ISIG), 0u, "no line discipline processing");
    cr_assert_eq(cfgetospeed(&tio), B115200);
    uint8_t all[256], back[256];
    for (int i = 0; i < 256; i++)
        all[i] = (uint8_t)i;
    cr_assert_eq(transport_write(&pty, all, sizeof(all)), 256);
    cr_assert_eq(read_n(&ser, back, sizeof(back)), 256);
    cr_assert_arr_eq(back, all, 256, "master -> device, unaltered");
    cr_assert_eq(transport_write(&ser, all, sizeof(all)), 256);
    cr_assert_eq(read_n(&pty, back, sizeof(back)), 256);
    cr_assert_arr_eq(back, all, 256, "device -> master, unaltered");
    uint8_t none[4];
    cr_assert_eq(transport_read(&pty, none, sizeof(none)), 0, "nothing pending reads as 0");
    transport_close(&ser);
    transport_close(&ser);   /* idempotent */
    transport_close(&pty);
}

Test(transport, bad_baud_and_non_terminals_are_refused)
{
    struct transport t;
    cr_assert_eq(transport_open_serial(&t, "/dev/null", 12345), BMSRIG_ERR_ARG);
    cr_assert_eq(t.fd, -1);
    cr_assert_eq(transport_open_serial(&t, "/dev/null", 115200), BMSRIG_ERR_IO);
    cr_assert_eq(errno, ENOTTY);
    cr_assert_eq(transport_open_serial(&t, "/nonexistent/ttyUSB9", 115200), BMSRIG_ERR_IO);
    cr_assert_eq(errno, ENOENT);
    transport_close(&t);
}

/* dut_serial: the dashboard's lever bytes stay in the stock range whatever the scenario asks,
 * NaN included (a NaN converted to a byte is undefined behaviour; no throttle is the safe
 * reading). The frame is the dashboard model's (sim/dash), followed by one read. */
Test(transport, dut_dash_lever_bytes_clamped_nan_is_released)
{
    struct bms_profile p;
    char err[256];
    cr_assert_eq(bms_profile_builtin("m365_stock", &p, err, sizeof(err)), BMSRIG_OK);
    struct bms *b = bms_new(&p, 1);
    struct link_config lc;
    link_config_default(&lc);
    struct link *l = link_new(&lc, b);
    cr_assert_not_null(l);
    struct dut_serial *d;
    cr_assert_eq(dut_serial_open(&d, "pty", "pty", err, sizeof(err)), BMSRIG_OK, "%s", err);
    struct transport peer;
    cr_assert_eq(transport_open_serial(&peer, dut_serial_dash_path(d), 115200), BMSRIG_OK);
    const double cases[][2] = { { NAN, NAN }, { 7.0, -3.0 }, { -INFINITY, INFINITY } };
    const uint8_t want[][2] = { { DASH_LEVER_RELEASED, DASH_LEVER_RELEASED },
                                { DASH_LEVER_FULL, DASH_LEVER_RELEASED },
                                { DASH_LEVER_RELEASED, DASH_LEVER_FULL } };
    for (size_t k = 0; k < 3; k++) {
        dut_serial_set_levers(d, cases[k][0], cases[k][1]);
        cr_assert_eq(dut_serial_tick(d, l, (int64_t)(k + 1) * 200000), BMSRIG_OK);
        uint8_t f[13];   /* 55 AA 07 20 65 00 04 thr brk 00 00 CK CK */
        cr_assert_eq(read_n(&peer, f, sizeof(f)), sizeof(f));
        cr_assert_eq(f[4], FRAME_CMD_HEAD_OUT, "case %zu: command 0x%02X", k, f[4]);
        cr_assert_eq(f[7], want[k][0], "case %zu: throttle byte 0x%02X", k, f[7]);
        cr_assert_eq(f[8], want[k][1], "case %zu: brake byte 0x%02X", k, f[8]);
        uint8_t rd[9];   /* the read that follows: 55 AA 03 20 01 word n CK CK */
        cr_assert_eq(read_n(&peer, rd, sizeof(rd)), sizeof(rd));
        cr_assert_eq(rd[4], FRAME_CMD_READ, "case %zu: read command 0x%02X", k, rd[4]);
    }
    transport_close(&peer);
    dut_serial_close(d);
    link_free(l);
    bms_free(b);
}

/* dut_serial: the bench's dashboard reads the controller's firmware version (word 0x1A) and
 * error word like a stock dashboard, and reports the version only once the controller answers
 * the version read. The peer here plays the controller's side of the dashboard line. */
Test(transport, dut_dash_reads_the_version_once_answered)
{
    struct bms_profile p;
    char err[256];
    cr_assert_eq(bms_profile_builtin("m365_stock", &p, err, sizeof(err)), BMSRIG_OK);
    struct bms *b = bms_new(&p, 1);
    struct link_config lc;
    link_config_default(&lc);
    struct link *l = link_new(&lc, b);
    cr_assert_not_null(l);
    struct dut_serial *d;
    cr_assert_eq(dut_serial_open(&d, "pty", "pty", err, sizeof(err)), BMSRIG_OK, "%s", err);
    struct transport peer;
    cr_assert_eq(transport_open_serial(&peer, dut_serial_dash_path(d), 115200), BMSRIG_OK);
    uint16_t v = 0;
    bool asked = false;
    int64_t t_us = 0;
    for (int k = 0; k < 10 && !asked; k++) {
        t_us += 100000;
        cr_assert_eq(dut_serial_tick(d, l, t_us), BMSRIG_OK);
        uint8_t in[64];
        size_t n = read_n(&peer, in, 13 + 9);   /* lever frame + one read */
        cr_assert_eq(n, 22u, "period %d: %zu bytes", k, n);
        asked = in[13 + 4] == FRAME_CMD_READ && in[13 + 5] == 0x1A;
        cr_assert(!dut_serial_version(d, &v), "no version before the controller answers");
    }
    cr_assert(asked, "the version word is read within the dashboard's read cycle");
    /* the controller answers: version 1.3.4 and, on the next read, error 21 */
    struct frame f;
    uint8_t buf[FRAME_BYTES_MAX];
    size_t n = 0;
    const uint8_t ver[2] = { 0x34, 0x01 }, e21[2] = { 21, 0 };
    cr_assert_eq(frame_make(&f, FRAME_ADDR_FROM_ESC, FRAME_CMD_READ, 0x1A, ver, 2), BMSRIG_OK);
    cr_assert_eq(frame_encode(&f, buf, sizeof(buf), &n), BMSRIG_OK);
    cr_assert_eq(transport_write(&peer, buf, n), (ssize_t)n);
    cr_assert_eq(frame_make(&f, FRAME_ADDR_FROM_ESC, FRAME_CMD_READ, 0x1B, e21, 2), BMSRIG_OK);
    cr_assert_eq(frame_encode(&f, buf, sizeof(buf), &n), BMSRIG_OK);
    cr_assert_eq(transport_write(&peer, buf, n), (ssize_t)n);
    usleep(20000);
    cr_assert_eq(dut_serial_tick(d, l, t_us + 50000), BMSRIG_OK);
    cr_assert(dut_serial_version(d, &v), "the answered version is kept");
    cr_assert_eq(v, 0x0134);
    cr_assert_eq(dut_serial_error(d, t_us + 50000), 21);
    cr_assert_eq(dut_serial_error(d, t_us + 50000 + DUT_DASH_STALE_US + 1000), -1,
                 "stale after a second without replies");
    transport_close(&peer);
    dut_serial_close(d);
    link_free(l);
    bms_free(b);
}
