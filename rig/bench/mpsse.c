/* mpsse.c: the MPSSE command builder: bytes into the caller's buffer, first error sticks. */
#include "rig/bench/mpsse.h"

#include <string.h>

#include "sim/status.h"

void mpsse_init(struct mpsse_buf *b, uint8_t *mem, size_t cap)
{
    b->data = mem;
    b->cap = mem ? cap : 0;
    mpsse_reset(b);
}

void mpsse_reset(struct mpsse_buf *b)
{
    b->len = 0;
    b->reads = 0;
    b->err = BMSRIG_OK;
}

int mpsse_error(const struct mpsse_buf *b) { return b->err; }

/* Reserves n bytes for one whole command, or records the error and returns NULL. */
static uint8_t *reserve(struct mpsse_buf *b, size_t n)
{
    if (b->err != BMSRIG_OK)
        return NULL;
    if (b->cap - b->len < n) {
        b->err = BMSRIG_ERR_RANGE;
        return NULL;
    }
    uint8_t *p = b->data + b->len;
    b->len += n;
    return p;
}

static void op1(struct mpsse_buf *b, uint8_t op)
{
    uint8_t *p = reserve(b, 1);
    if (p)
        p[0] = op;
}

static void op3(struct mpsse_buf *b, uint8_t op, uint8_t a, uint8_t c)
{
    uint8_t *p = reserve(b, 3);
    if (p) {
        p[0] = op;
        p[1] = a;
        p[2] = c;
    }
}

void mpsse_set_low(struct mpsse_buf *b, uint8_t value, uint8_t dir)
{
    op3(b, MPSSE_SET_BITS_LOW, value, dir);
}

void mpsse_set_high(struct mpsse_buf *b, uint8_t value, uint8_t dir)
{
    op3(b, MPSSE_SET_BITS_HIGH, value, dir);
}

void mpsse_get_low(struct mpsse_buf *b)
{
    size_t before = b->len;
    op1(b, MPSSE_GET_BITS_LOW);
    if (b->len != before)
        b->reads++;
}

void mpsse_get_high(struct mpsse_buf *b)
{
    size_t before = b->len;
    op1(b, MPSSE_GET_BITS_HIGH);
    if (b->len != before)
        b->reads++;
}

void mpsse_clock_div5(struct mpsse_buf *b, bool on) { op1(b, on ? MPSSE_EN_DIV_5 : MPSSE_DIS_DIV_5); }

void mpsse_divisor(struct mpsse_buf *b, uint16_t divisor)
{
    op3(b, MPSSE_TCK_DIVISOR, (uint8_t)divisor, (uint8_t)(divisor >> 8));
}

void mpsse_three_phase(struct mpsse_buf *b, bool on)
{
    op1(b, on ? MPSSE_EN_3_PHASE : MPSSE_DIS_3_PHASE);
}

void mpsse_adaptive(struct mpsse_buf *b, bool on)
{
    op1(b, on ? MPSSE_EN_ADAPTIVE : MPSSE_DIS_ADAPTIVE);
}

void mpsse_loopback(struct mpsse_buf *b, bool on)
{
    op1(b, on ? MPSSE_LOOPBACK_START : MPSSE_LOOPBACK_END);
}

void mpsse_send_immediate(struct mpsse_buf *b) { op1(b, MPSSE_SEND_IMMEDIATE); }

void mpsse_bad_opcode(struct mpsse_buf *b, uint8_t op)
{
    if (b->err == BMSRIG_OK && !(op & 0x80)) {
        b->err = BMSRIG_ERR_ARG;   /* the chip only echoes opcodes with bit 7 set [S] */
        return;
    }
    size_t before = b->len;
    op1(b, op);
    if (b->len != before)
        b->reads += 2;
}

void mpsse_bytes(struct mpsse_buf *b, uint8_t op, const uint8_t *out, size_t n)
{
    if (b->err != BMSRIG_OK)
        return;
    bool wr = op & MPSSE_OP_DO_WRITE, rd = op & MPSSE_OP_DO_READ;
    if (n == 0 || n > 65536 || (op & 0xC2) || !(wr || rd) || (wr && !out)) {
        b->err = BMSRIG_ERR_ARG;
        return;
    }
    uint8_t *p = reserve(b, 3 + (wr ? n : 0));
    if (!p)
        return;
    p[0] = op;
    p[1] = (uint8_t)(n - 1);            /* length is n - 1, little endian [S] */
    p[2] = (uint8_t)((n - 1) >> 8);
    if (wr)
        memcpy(p + 3, out, n);
    if (rd)
        b->reads += n;
}

uint8_t mpsse_spi_write_op(enum mpsse_spi_mode mode)
{
    /* mode 0: SCK idles low, the slave samples on the rising edge, so data moves on the falling
     * edge; mode 2: idles high, samples on falling, data moves on rising [S] */
    return mode == MPSSE_SPI_MODE0 ? (MPSSE_OP_DO_WRITE | MPSSE_OP_WRITE_NEG) : MPSSE_OP_DO_WRITE;
}

uint8_t mpsse_spi_rw_op(enum mpsse_spi_mode mode)
{
    return mode == MPSSE_SPI_MODE0
               ? (MPSSE_OP_DO_WRITE | MPSSE_OP_DO_READ | MPSSE_OP_WRITE_NEG)
               : (MPSSE_OP_DO_WRITE | MPSSE_OP_DO_READ | MPSSE_OP_READ_NEG);
}

void mpsse_spi_write(struct mpsse_buf *b, enum mpsse_spi_mode mode, const uint8_t *out, size_t n)
{
    if (b->err == BMSRIG_OK && mode != MPSSE_SPI_MODE0 && mode != MPSSE_SPI_MODE2) {
        b->err = BMSRIG_ERR_ARG;
        return;
    }
    mpsse_bytes(b, mpsse_spi_write_op(mode), out, n);
}

void mpsse_spi_transfer(struct mpsse_buf *b, enum mpsse_spi_mode mode, const uint8_t *out,
                        size_t n)
{
    if (b->err == BMSRIG_OK && mode != MPSSE_SPI_MODE0 && mode != MPSSE_SPI_MODE2) {
        b->err = BMSRIG_ERR_ARG;
        return;
    }
    mpsse_bytes(b, mpsse_spi_rw_op(mode), out, n);
}

int mpsse_clock_for_hz(uint32_t hz, bool *div5, uint16_t *divisor, uint32_t *actual_hz)
{
    if (hz == 0)
        return BMSRIG_ERR_RANGE;
    /* SCK = base / ((1 + d) * 2) [S]; the highest SCK not above hz */
    const uint32_t bases[2] = { 60000000u, 12000000u };
    for (int i = 0; i < 2; i++) {
        uint32_t base = bases[i];
        uint64_t d = ((uint64_t)base + 2ull * hz - 1) / (2ull * hz);   /* ceil(base / 2hz) */
        if (d < 1)
            d = 1;
        if (d - 1 <= 0xFFFF) {
            *div5 = i == 1;
            *divisor = (uint16_t)(d - 1);
            *actual_hz = (uint32_t)(base / (2 * d));
            return BMSRIG_OK;
        }
    }
    return BMSRIG_ERR_RANGE;
}
