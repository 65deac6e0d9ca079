/* gpio.h: one STM32F103 GPIO port (RM0008 section 9.2): CRL/CRH/IDR/ODR/BSRR/BRR/LCKR, with the
 * levels the board drives onto its pins (hall sensors, the power button).
 * Owner: branch fw-periph. */
#ifndef BMSRIG_FW_GPIO_H
#define BMSRIG_FW_GPIO_H

#include <stdint.h>

#include "periph.h"

#define GPIOA_BASE 0x40010800u
#define GPIOB_BASE 0x40010C00u
#define GPIOC_BASE 0x40011000u

struct gpio {
    uint32_t crl, crh, odr, lckr;
    uint16_t driven;      /* pins the board drives from outside */
    uint16_t level;       /* their levels */
};

/* Reset state (every pin a floating input); `name` e.g. "GPIOA" (kept, not copied). */
void gpio_init(struct gpio *g, const char *name, uint32_t base, struct periph *out);

/* The board drives `pin` (0..15) to `level` (0/1); gpio_release_pin leaves it floating. */
void gpio_drive_pin(struct gpio *g, unsigned pin, int level);
void gpio_release_pin(struct gpio *g, unsigned pin);

/* IDR as the firmware reads it now. */
uint32_t gpio_idr(const struct gpio *g);

#endif
