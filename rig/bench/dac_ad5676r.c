/* dac_ad5676r.c: Analog Devices AD5676R, 8 x 16 bit, 24-bit frames C3..C0 A3..A0 D15..D0 [S],
 * samples SDI on the falling SCLK edge [S] -> SPI mode 2 on the MPSSE. */
#include <stdbool.h>
#include <stdint.h>

#include "rig/bench/board.h"
#include "rig/bench/dac.h"

enum {
    AD_CMD_NOP = 0x0,
    AD_CMD_WRITE_INPUT = 0x1,     /* input register n; output follows LDAC [S] */
    AD_CMD_UPDATE = 0x2,
    AD_CMD_WRITE_UPDATE = 0x3,    /* write and update DAC n [S] */
    AD_CMD_LDAC_MASK = 0x5,
    AD_CMD_READBACK = 0x9,        /* next frame shifts the register out on SDO [S] */
};

static uint32_t frame(int cmd, int addr, uint16_t data)
{
    return ((uint32_t)cmd << 20) | ((uint32_t)(addr & 0xF) << 16) | data;
}

static void range(const struct board_dac *cfg, int ch, double *lo, double *hi)
{
    (void)ch;
    *lo = 0;
    *hi = cfg->vref_v * cfg->gain;   /* GAIN pin: x1 or x2 of the 2.5 V reference [S] */
}

static int init_frames(const struct board_dac *cfg, uint32_t *frames, int max)
{
    if (max < 1)
        return 0;
    (void)cfg;
    frames[0] = frame(AD_CMD_LDAC_MASK, 0, 0x00);   /* every channel obeys the LDAC pin */
    return 1;
}

static uint32_t frame_write(int ch, uint16_t code, bool ldac)
{
    return frame(ldac ? AD_CMD_WRITE_INPUT : AD_CMD_WRITE_UPDATE, ch, code);
}

static uint32_t frame_update_all(void) { return 0; }   /* by the LDAC pin */

static uint32_t frame_readback_req(int ch) { return frame(AD_CMD_READBACK, ch, 0); }

static uint32_t frame_nop(void) { return frame(AD_CMD_NOP, 0, 0); }

static bool readback_code(int ch, uint32_t req, uint32_t sdo, uint16_t *code)
{
    (void)ch;
    (void)req;
    if (sdo >> 16)
        return false;   /* [I] the register comes back in the low 16 bits */
    *code = (uint16_t)sdo;
    return true;
}

const struct dac_driver dac_ad5676r = {
    .name = "ad5676r",
    .channels = 8,
    .default_spi_mode = 2,
    .has_ldac = true,
    .range = range,
    .init_frames = init_frames,
    .frame_write = frame_write,
    .frame_update_all = frame_update_all,
    .frame_readback_req = frame_readback_req,
    .frame_nop = frame_nop,
    .readback_code = readback_code,
};
