/* dut_serial.h: a real controller as the device under test, on two serial lines of a bench:
 * the BMS line (our fake BMS answers its polls through the link model) and the dashboard line
 * (we play a stock dashboard there with sim/dash: lever frames, reads of the error word, the
 * 0xB0 block with the speed, and the firmware version until it is answered). A port named "pty" is a new
 * pseudo-terminal whose slave path is reported, so a controller process (e.g. `bmsrig esc`)
 * can be attached in tests. Real time only; not thread-safe. */
#ifndef BMSRIG_RIG_DUT_SERIAL_H
#define BMSRIG_RIG_DUT_SERIAL_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct link;

#define DUT_DASH_STALE_US 1000000    /* no reply for 1 s: the controller's state is unknown */

struct dut_serial;

/* Opens the two lines ("pty" = create a pseudo-terminal; "" for the dashboard = none).
 * Returns BMSRIG_OK or BMSRIG_ERR_IO with the reason in err. *out owned: dut_serial_close. */
int dut_serial_open(struct dut_serial **out, const char *bms_port, const char *dash_port,
                    char *err, size_t errcap);
void dut_serial_close(struct dut_serial *d);   /* NULL-safe */

/* Borrowed: the device paths (the pty slave for "pty"), "" if none. */
const char *dut_serial_bms_path(const struct dut_serial *d);
const char *dut_serial_dash_path(const struct dut_serial *d);

/* Waits up to timeout_s (wall clock) for the controller's first request on the BMS line: a
 * valid frame addressed to the BMS. The bytes read meanwhile are kept and handed to the link on
 * the first dut_serial_tick, as if they had just arrived, so the request is not lost (the fake
 * BMS's power-up then starts with it). Returns BMSRIG_OK once seen; BMSRIG_ERR_TIMEOUT with
 * the reason in err; BMSRIG_ERR_STATE if *stop became non-zero (a signal); BMSRIG_ERR_IO if
 * the line failed. */
int dut_serial_wait_request(struct dut_serial *d, double timeout_s, volatile sig_atomic_t *stop,
                            char *err, size_t errcap);

/* One tick at now_us: bytes from the controller into the link, the link's replies out, the
 * dashboard poll and its replies. BMSRIG_ERR_IO if a line failed. */
int dut_serial_tick(struct dut_serial *d, struct link *l, int64_t now_us);

/* Rider inputs, sent in the dashboard's 0x65 lever frame (throttle, brake 0..1, clamped). */
void dut_serial_set_levers(struct dut_serial *d, double throttle, double brake);

/* The controller's error word (0x1B or 0xB0; -1 while unknown: no dashboard reply within
 * DUT_DASH_STALE_US), speed word 0xB5 in km/h (0 until read), whether it answers on the
 * dashboard line. */
int dut_serial_error(const struct dut_serial *d, int64_t now_us);
double dut_serial_speed_kmh(const struct dut_serial *d);
bool dut_serial_alive(const struct dut_serial *d, int64_t now_us);
/* The controller's firmware version word 0x1A (e.g. 0x0134 = 1.3.4) once it has answered
 * the dashboard's read with a non-zero value; false before, and without a dashboard line. */
bool dut_serial_version(const struct dut_serial *d, uint16_t *out);
/* Whether a dashboard line was opened: without one the controller's error and speed words
 * cannot be read at all (dut_serial_error stays -1). */
bool dut_serial_has_dash(const struct dut_serial *d);

/* Bytes the controller sent on the BMS line, bytes we sent to it. */
uint64_t dut_serial_bytes_in(const struct dut_serial *d);
uint64_t dut_serial_bytes_out(const struct dut_serial *d);

#endif
