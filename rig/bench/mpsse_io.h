/* mpsse_io.h: the thin libftdi1 transport under the MPSSE builder: open an FTDI MPSSE channel
 * by vid/pid/serial/interface, resynchronise with the bad-command echo, write a whole buffer
 * with ONE ftdi_write_data, read replies with a deadline, release the pins on close. */
#ifndef BMSRIG_RIG_MPSSE_IO_H
#define BMSRIG_RIG_MPSSE_IO_H

#include <stddef.h>
#include <stdint.h>

struct mpsse_io;

/* Opens and puts the channel in MPSSE mode (reset, purge, latency 1 ms, bitmode MPSSE,
 * 0xAA/0xAB bad-command resync). `serial` NULL or "" = first match; iface 'A'..'D'.
 * BMSRIG_ERR_IO with a message in err (device missing, not an MPSSE chip, no resync).
 * *out owned: mpsse_io_close. */
int mpsse_io_open(struct mpsse_io **out, uint16_t vid, uint16_t pid, const char *serial,
                  char iface, char *err, size_t errlen);

/* Sends n bytes in one ftdi_write_data. BMSRIG_ERR_IO on a USB error (message via
 * mpsse_io_last_error). */
int mpsse_io_write(struct mpsse_io *io, const uint8_t *data, size_t n);

/* Reads exactly n bytes or fails with BMSRIG_ERR_TIMEOUT after timeout_ms (real time). */
int mpsse_io_read(struct mpsse_io *io, uint8_t *buf, size_t n, int timeout_ms);

/* Borrowed text of the last libftdi1 error, valid until the next call. */
const char *mpsse_io_last_error(const struct mpsse_io *io);

/* Chip type name ("FT232H", "FT2232H", ...). */
const char *mpsse_io_chip(const struct mpsse_io *io);

/* ftdi_write_data calls so far. */
uint64_t mpsse_io_writes(const struct mpsse_io *io);

/* Releases every pin (bitmode reset), closes, frees. NULL-safe. */
void mpsse_io_close(struct mpsse_io *io);

#endif
