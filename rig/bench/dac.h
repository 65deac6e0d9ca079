/* dac.h: SPI DAC drivers behind a const vtable, found through one explicit registry
 * (dac.c: dac_drivers[]). A driver only knows its part: frame formats, output range, how
 * updates and read-back work. Where the part sits (chip select, SPI mode, reference) comes
 * from the rig description (board.h); routing and calibration live in rig_hw.c. */
#ifndef BMSRIG_RIG_DAC_H
#define BMSRIG_RIG_DAC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct board_dac;

struct dac_driver {
    const char *name;          /* registry key, e.g. "ad5676r" */
    int channels;
    int default_spi_mode;      /* 0 or 2: from the edge the part samples on */
    bool has_ldac;             /* an LDAC pin can update every channel at once */
    /* Output range of one channel [V] for this configuration. */
    void (*range)(const struct board_dac *cfg, int ch, double *lo_v, double *hi_v);
    /* Frames sent once after open (e.g. span, LDAC mask); returns how many (<= max). */
    int (*init_frames)(const struct board_dac *cfg, uint32_t *frames, int max);
    /* 24-bit frame writing `code` to channel ch: with ldac true the input register only
     * (output changes on the LDAC pulse), else write-and-update that channel. */
    uint32_t (*frame_write)(int ch, uint16_t code, bool ldac);
    /* Frame that updates every output from its input register, or 0 if the part has none. */
    uint32_t (*frame_update_all)(void);
    /* Read-back: the frame to send before the one that shifts the register out (0 = the part
     * echoes the previous frame), and the no-op frame clocked to get it out. */
    uint32_t (*frame_readback_req)(int ch);
    uint32_t (*frame_nop)(void);
    /* Extracts channel ch's code from the 24 bits read back; false if it is not that. */
    bool (*readback_code)(int ch, uint32_t req, uint32_t sdo, uint16_t *code);
};

/* Finds a driver by name (case-sensitive); NULL if none. Borrowed: static. */
const struct dac_driver *dac_driver_find(const char *name);
/* Names of all drivers, comma separated, for error messages. Borrowed: static. */
const char *dac_driver_names(void);

/* DAC code for `v` volts on channel ch: rounds, clamps to the code range; *clamped set when
 * v was outside the channel's range. */
uint16_t dac_volts_to_code(const struct dac_driver *drv, const struct board_dac *cfg, int ch,
                           double v, bool *clamped);
double dac_code_to_volts(const struct dac_driver *drv, const struct board_dac *cfg, int ch,
                         uint16_t code);

extern const struct dac_driver dac_ad5676r;
extern const struct dac_driver dac_ltc2668;

#endif
