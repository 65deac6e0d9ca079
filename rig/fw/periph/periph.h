/* periph.h: how a peripheral model plugs into the core's register dispatch (rig/fw/periph/). */
#ifndef BMSRIG_FW_PERIPH_H
#define BMSRIG_FW_PERIPH_H

#include <stdint.h>

/* One register block. read/write get the offset from `base` and return 1 if the register is
 * modelled, 0 if not (the core then counts and logs the access with its address and PC). */
struct periph {
    const char *name;
    uint32_t base, size;
    int (*read)(void *state, uint32_t off, uint32_t *value);
    int (*write)(void *state, uint32_t off, uint32_t value);
    void *state;
};

#endif
