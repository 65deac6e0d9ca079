/* dac_ltc2668.c: Analog Devices (Linear) LTC2668, 16 x 16 bit SoftSpan, 24-bit frames
 * C3..C0 A3..A0 D15..D0 [S]; samples SDI on the rising SCK edge [I, LTC family] -> SPI mode 0;
 * SDO echoes the previous frame [S Linduino], which is our read-back. */
#include <stdbool.h>
#include <stdint.h>

#include "rig/bench/board.h"
#include "rig/bench/dac.h"

enum {
    LTC_CMD_WRITE_INPUT = 0x0,
    LTC_CMD_WRITE_UPDATE = 0x3,
    LTC_CMD_SPAN_ALL = 0xE,
    LTC_CMD_UPDATE_ALL = 0x9,
    LTC_CMD_NOP = 0xF,
};

static uint32_t frame(int cmd, int addr, uint16_t data)
{
    return ((uint32_t)cmd << 20) | ((uint32_t)(addr & 0xF) << 16) | data;
}

/* SoftSpan codes [S]: 0 = 0..5 V, 1 = 0..10 V, 2 = +-5 V, 3 = +-10 V, 4 = +-2.5 V */
static int span_code(const struct board_dac *cfg)
{
    double lo = cfg->span_lo_v, hi = cfg->span_hi_v;
    if (lo == 0 && hi == 5) return 0;
    if (lo == 0 && hi == 10) return 1;
    if (lo == -5 && hi == 5) return 2;
    if (lo == -10 && hi == 10) return 3;
    if (lo == -2.5 && hi == 2.5) return 4;
    return 0;
}

static void range(const struct board_dac *cfg, int ch, double *lo, double *hi)
{
    (void)ch;
    double k = cfg->vref_v / 2.5;   /* spans scale with the reference */
    *lo = cfg->span_lo_v * k;
    *hi = cfg->span_hi_v * k;
}

static int init_frames(const struct board_dac *cfg, uint32_t *frames, int max)
{
    if (max < 1)
        return 0;
    frames[0] = frame(LTC_CMD_SPAN_ALL, 0, (uint16_t)span_code(cfg));
    return 1;
}

static uint32_t frame_write(int ch, uint16_t code, bool batch)
{
    /* batch: input register only, the update-all frame at the end of the tick moves them */
    return frame(batch ? LTC_CMD_WRITE_INPUT : LTC_CMD_WRITE_UPDATE, ch, code);
}

static uint32_t frame_update_all(void) { return frame(LTC_CMD_UPDATE_ALL, 0, 0); }

static uint32_t frame_readback_req(int ch)
{
    (void)ch;
    return 0;   /* no request: SDO always echoes the previous frame */
}

static uint32_t frame_nop(void) { return frame(LTC_CMD_NOP, 0, 0); }

static bool readback_code(int ch, uint32_t req, uint32_t sdo, uint16_t *code)
{
    (void)req;
    int cmd = (int)(sdo >> 20) & 0xF, addr = (int)(sdo >> 16) & 0xF;
    if (addr != ch || (cmd != LTC_CMD_WRITE_INPUT && cmd != LTC_CMD_WRITE_UPDATE))
        return false;
    *code = (uint16_t)sdo;
    return true;
}

const struct dac_driver dac_ltc2668 = {
    .name = "ltc2668",
    .channels = 16,
    .default_spi_mode = 0,
    .has_ldac = false,
    .range = range,
    .init_frames = init_frames,
    .frame_write = frame_write,
    .frame_update_all = frame_update_all,
    .frame_readback_req = frame_readback_req,
    .frame_nop = frame_nop,
    .readback_code = readback_code,
};
