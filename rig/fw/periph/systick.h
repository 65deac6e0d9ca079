/* systick.h: the Cortex-M3 SysTick timer (ARMv7-M B3.3), counting in virtual time. */
#ifndef BMSRIG_FW_SYSTICK_H
#define BMSRIG_FW_SYSTICK_H

#include <stdint.h>

#define SYSTICK_BASE 0xE000E010u

/* The counter is computed from the time since `epoch_ps` (a tick edge) and VAL at that time;
 * every LOAD/CTRL/VAL write rebases it, so a new LOAD takes effect at the next reload. */
struct systick {
    uint32_t ctrl, load, val0;  /* val0: VAL at epoch_ps */
    uint64_t epoch_ps;
    uint64_t zeros_base;        /* 1 -> 0 transitions before the epoch */
    uint64_t zeros_flag_seen;   /* transitions already reported by COUNTFLAG */
    uint64_t zeros_irq_seen;    /* transitions already turned into the SysTick exception */
    uint32_t hclk_ps;           /* one HCLK cycle (the core's instruction cost) */
};

void systick_init(struct systick *s, uint32_t hclk_ps);
/* Offsets from SYSTICK_BASE; return 1 if modelled. */
int systick_read(struct systick *s, uint64_t now_ps, uint32_t off, uint32_t *v);
int systick_write(struct systick *s, uint64_t now_ps, uint32_t off, uint32_t v);
/* The next time the counter reaches 0 from 1 (sets COUNTFLAG, requests the exception);
 * UINT64_MAX if it never will. */
uint64_t systick_next_wrap_ps(const struct systick *s, uint64_t now_ps);
/* 1 if enabled with TICKINT (a wrap requests the exception). */
int systick_interrupts(const struct systick *s);
/* 1 if the counter reached 0 since the last call with TICKINT set: the SysTick exception is
 * to be pended. */
int systick_take_irq(struct systick *s, uint64_t now_ps);

#endif
