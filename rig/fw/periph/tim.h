/* tim.h: an STM32F103 timer (RM0008 sections 14 and 15: TIM1 advanced, TIM2-4 general purpose)
 * counting in virtual time: edge- or center-aligned counting from PSC/ARR, update events with the
 * repetition counter, output-compare matches of CCR1-4 setting CCxIF as CMS selects, the update
 * and capture/compare interrupt lines, and the compare events other peripherals are triggered by
 * (TIM1 CC4 starts ADC injected groups). Input capture, PWM pins, DMA requests, slave modes and
 * break are not modelled (their registers are stored). Owner: branch fw-periph. */
#ifndef BMSRIG_FW_TIM_H
#define BMSRIG_FW_TIM_H

#include <stdint.h>

#include "periph.h"

#define TIM1_BASE 0x40012C00u
#define TIM2_BASE 0x40000000u
#define TIM3_BASE 0x40000400u
#define TIM4_BASE 0x40000800u
#define TIM1_UP_IRQ 25u           /* RM0008 table 63 [S] */
#define TIM1_CC_IRQ 27u
#define TIM2_IRQ 28u
#define TIM3_IRQ 29u
#define TIM4_IRQ 30u

/* The timer's counter clock source in ps per cycle before PSC (the board reads the APB
 * prescaler: x2 when it is not 1, RM0008 7.2). */
typedef uint64_t (*tim_clock_fn)(void *user);
/* Compare channel ch (1..4) matched at t_ps (as CMS selects its flag). */
typedef void (*tim_compare_fn)(void *user, unsigned ch, uint64_t t_ps);
/* Whether compare events of channel ch are consumed by another block right now (then each is
 * an event of its own; else the flags are settled lazily). */
typedef int (*tim_wants_fn)(void *user, unsigned ch);

struct tim_wiring {
    const char *name;
    uint32_t base;
    int advanced;             /* TIM1: repetition counter, BDTR, separate interrupt lines */
    unsigned irq_up, irq_cc;  /* the same line for general-purpose timers */
    tim_clock_fn clk_ps;
    tim_compare_fn on_compare;
    tim_wants_fn wants_compare;
    void *user;
};

struct tim {
    struct mcu *m;
    struct tim_wiring w;
    uint32_t cr1, cr2, smcr, dier, sr, ccmr1, ccmr2, ccer, psc, arr, rcr, ccr[4], bdtr, dcr;
    /* the count: `phase` ticks into the period at epoch_ps (center-aligned: 0..2 ARR - 1 with
     * the second half counting down; edge-aligned: 0..ARR, counting direction per DIR) */
    uint64_t epoch_ps;
    uint64_t phase0;
    uint64_t settled_ticks;   /* ticks since the epoch already applied */
    uint32_t rep;             /* over/underflows since the last update event */
    int irq_up_level, irq_cc_level;
    int in_advance;
};

void tim_init(struct tim *t, struct mcu *m, const struct tim_wiring *w, struct periph *out);

/* CNT now (for diagnostics and tests). */
uint32_t tim_count(struct tim *t);

#endif
