/* systick.h: the Cortex-M3 SysTick timer (ARMv7-M B3.3), counting in virtual time. */
#ifndef BMSRIG_FW_SYSTICK_H
#define BMSRIG_FW_SYSTICK_H

#include <stdint.h>

#define SYSTICK_BASE 0xE000E010u

struct systick {
    uint32_t ctrl, load, val0; /* val0: VAL at epoch_ps */
    uint64_t epoch_ps, wraps_seen;
    uint32_t hclk_ps;          /* one HCLK cycle (the core's instruction cost) */
};

void systick_init(struct systick *s, uint32_t hclk_ps);
/* Offsets from SYSTICK_BASE; return 1 if modelled. */
int systick_read(struct systick *s, uint64_t now_ps, uint32_t off, uint32_t *v);
int systick_write(struct systick *s, uint64_t now_ps, uint32_t off, uint32_t v);
/* The next time at which the counter wraps (UINT64_MAX if stopped). */
uint64_t systick_next_wrap_ps(const struct systick *s, uint64_t now_ps);

#endif
