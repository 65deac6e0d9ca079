/* rcc.h: the STM32F103 reset and clock control block (RM0008 section 7.3). */
#ifndef BMSRIG_FW_RCC_H
#define BMSRIG_FW_RCC_H

#include <stdint.h>

#include "periph.h"

#define RCC_BASE 0x40021000u

struct rcc {
    uint32_t reg[10]; /* CR, CFGR, CIR, APB2RSTR, APB1RSTR, AHBENR, APB2ENR, APB1ENR, BDCR, CSR */
};

/* Reset values; `out` describes the block for the core's dispatch table. */
void rcc_init(struct rcc *r, struct periph *out);

#endif
