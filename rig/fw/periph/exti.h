/* exti.h: the STM32F103 external interrupt controller (RM0008 section 10.3): IMR/EMR/RTSR/FTSR,
 * SWIER, PR (write 1 to clear), edges from the board's pins, interrupt lines EXTI0..4, 9_5 and
 * 15_10. Owner: branch fw-periph. */
#ifndef BMSRIG_FW_EXTI_H
#define BMSRIG_FW_EXTI_H

#include <stdint.h>

#include "periph.h"

#define EXTI_BASE 0x40010400u
#define EXTI_LINES 19u

struct exti {
    struct mcu *m;
    uint32_t imr, emr, rtsr, ftsr, swier, pr;
    uint32_t irq_levels; /* bit per NVIC line index in the table below */
};

void exti_init(struct exti *e, struct mcu *m, struct periph *out);

/* The pin on `line` (0..15) changed: rising 1 or falling 0 sets PR when that edge is selected. */
void exti_edge(struct exti *e, unsigned line, int rising);

#endif
