/* mpsse.h: a pure MPSSE command builder (FTDI AN_108 opcodes): commands are appended to a
 * caller-supplied buffer; nothing here does I/O. Sticky first error: once a command does not
 * fit (or gets a bad argument) the buffer records BMSRIG_ERR_RANGE / BMSRIG_ERR_ARG, later
 * commands are ignored, and no command is ever half-appended. The transport (mpsse_io.h) sends
 * the bytes with one ftdi_write_data. */
#ifndef BMSRIG_RIG_MPSSE_H
#define BMSRIG_RIG_MPSSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Opcodes [S] (libftdi ftdi.h, pyftdi; rig.md section 3). */
enum {
    MPSSE_OP_WRITE_NEG = 0x01,      /* data out on the falling edge */
    MPSSE_OP_BITMODE = 0x02,
    MPSSE_OP_READ_NEG = 0x04,       /* data in on the falling edge */
    MPSSE_OP_LSB = 0x08,
    MPSSE_OP_DO_WRITE = 0x10,
    MPSSE_OP_DO_READ = 0x20,
    MPSSE_SET_BITS_LOW = 0x80,
    MPSSE_GET_BITS_LOW = 0x81,
    MPSSE_SET_BITS_HIGH = 0x82,
    MPSSE_GET_BITS_HIGH = 0x83,
    MPSSE_LOOPBACK_START = 0x84,
    MPSSE_LOOPBACK_END = 0x85,
    MPSSE_TCK_DIVISOR = 0x86,
    MPSSE_SEND_IMMEDIATE = 0x87,
    MPSSE_DIS_DIV_5 = 0x8A,
    MPSSE_EN_DIV_5 = 0x8B,
    MPSSE_EN_3_PHASE = 0x8C,
    MPSSE_DIS_3_PHASE = 0x8D,
    MPSSE_EN_ADAPTIVE = 0x96,
    MPSSE_DIS_ADAPTIVE = 0x97,
    MPSSE_BAD_COMMAND = 0xFA,       /* first byte of the chip's bad-command echo */
};

/* The two SPI modes the MPSSE does natively [S AN_114 via pyftdi]. */
enum mpsse_spi_mode { MPSSE_SPI_MODE0 = 0, MPSSE_SPI_MODE2 = 2 };

struct mpsse_buf {
    uint8_t *data;      /* borrowed: the caller's memory */
    size_t cap;
    size_t len;         /* bytes queued */
    size_t reads;       /* bytes the queued commands will make the chip return */
    int err;            /* first error (BMSRIG_OK while none) */
};

/* ---- buffer ---- */
void mpsse_init(struct mpsse_buf *b, uint8_t *mem, size_t cap);
void mpsse_reset(struct mpsse_buf *b);            /* empties and clears the error */
int mpsse_error(const struct mpsse_buf *b);

/* ---- commands (no-ops once an error is recorded) ---- */
void mpsse_set_low(struct mpsse_buf *b, uint8_t value, uint8_t dir);    /* ADBUS, 1 = output */
void mpsse_set_high(struct mpsse_buf *b, uint8_t value, uint8_t dir);   /* ACBUS */
void mpsse_get_low(struct mpsse_buf *b);                                /* +1 read byte */
void mpsse_get_high(struct mpsse_buf *b);
void mpsse_clock_div5(struct mpsse_buf *b, bool on);
void mpsse_divisor(struct mpsse_buf *b, uint16_t divisor);
void mpsse_three_phase(struct mpsse_buf *b, bool on);
void mpsse_adaptive(struct mpsse_buf *b, bool on);
void mpsse_loopback(struct mpsse_buf *b, bool on);
void mpsse_send_immediate(struct mpsse_buf *b);
void mpsse_bad_opcode(struct mpsse_buf *b, uint8_t op);                 /* resync probe */
/* Clocks n (1..65536) bytes with opcode `op` (DO_WRITE and/or DO_READ, edge/LSB bits);
 * `out` must hold n bytes when op writes (ignored otherwise). */
void mpsse_bytes(struct mpsse_buf *b, uint8_t op, const uint8_t *out, size_t n);
/* SPI, MSB first: mode 0 writes on the falling edge (0x11, read 0x31), mode 2 on the rising
 * edge (0x10, read 0x34). */
void mpsse_spi_write(struct mpsse_buf *b, enum mpsse_spi_mode mode, const uint8_t *out, size_t n);
void mpsse_spi_transfer(struct mpsse_buf *b, enum mpsse_spi_mode mode, const uint8_t *out,
                        size_t n);
uint8_t mpsse_spi_write_op(enum mpsse_spi_mode mode);
uint8_t mpsse_spi_rw_op(enum mpsse_spi_mode mode);

/* ---- clock ---- */
/* Picks the 60 MHz base (div-by-5 off) and the divisor giving the highest SCK <= hz
 * (SCK = base / ((1 + divisor) * 2)). BMSRIG_ERR_RANGE if hz is below what 12 MHz/65536
 * reaches or is 0. */
int mpsse_clock_for_hz(uint32_t hz, bool *div5, uint16_t *divisor, uint32_t *actual_hz);

#endif
