/* dac.c: the DAC driver registry (one explicit list, no linker tricks) and volts <-> code. */
#include "rig/bench/dac.h"

#include <math.h>
#include <string.h>

#include "rig/bench/board.h"

static const struct dac_driver *const dac_drivers[] = {
    &dac_ad5676r,
    &dac_ltc2668,
};

#define NDRIVERS (sizeof(dac_drivers) / sizeof(dac_drivers[0]))

const struct dac_driver *dac_driver_find(const char *name)
{
    for (size_t i = 0; i < NDRIVERS; i++)
        if (name && strcmp(dac_drivers[i]->name, name) == 0)
            return dac_drivers[i];
    return NULL;
}

const char *dac_driver_names(void) { return "ad5676r, ltc2668"; }

uint16_t dac_volts_to_code(const struct dac_driver *drv, const struct board_dac *cfg, int ch,
                           double v, bool *clamped)
{
    double lo, hi;
    drv->range(cfg, ch, &lo, &hi);
    /* 16-bit straight binary over [lo, hi): code = (v - lo) / (hi - lo) * 65536 [S] */
    double x = (v - lo) / (hi - lo) * 65536.0;
    bool c = false;
    if (!(x >= 0)) {
        x = 0;
        c = true;
    } else if (x > 65535.0) {
        c = x > 65535.5;
        x = 65535.0;
    }
    if (clamped)
        *clamped = c;
    return (uint16_t)lrint(x);
}

double dac_code_to_volts(const struct dac_driver *drv, const struct board_dac *cfg, int ch,
                         uint16_t code)
{
    double lo, hi;
    drv->range(cfg, ch, &lo, &hi);
    return lo + (hi - lo) * code / 65536.0;
}
