/* afio.h: the STM32F103 alternate-function I/O block (RM0008 section 9.4): EVCR, MAPR (pin
 * remaps such as USART1 on PB6/PB7), EXTICR1-4 (which port drives each EXTI line), MAPR2.
 * Stored as written; the board reads the remap and EXTI port choices. Owner: branch fw-periph. */
#ifndef BMSRIG_FW_AFIO_H
#define BMSRIG_FW_AFIO_H

#include <stdint.h>

#include "periph.h"

#define AFIO_BASE 0x40010000u
#define AFIO_MAPR_USART1_REMAP (1u << 2) /* TX/RX on PB6/PB7 instead of PA9/PA10 [S] */

struct afio {
    uint32_t evcr, mapr, exticr[4], mapr2;
};

void afio_init(struct afio *a, struct periph *out);

/* The port (0 = A, 1 = B, 2 = C ...) selected for EXTI line 0..15. */
unsigned afio_exti_port(const struct afio *a, unsigned line);

#endif
