/* test_transport.c: the pty and serial transports: raw 8N1 at 115200, every byte value passes
 * unaltered in both directions, clear errors for a bad baud or a non-terminal. */
#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "rig/transport.h"
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
