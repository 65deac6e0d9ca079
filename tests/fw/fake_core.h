/* fake_core.h: a stand-in for the emulator core's peripheral services (rig/fw/periph/periph.h),
 * so a peripheral model can be unit-tested alone: time is set by the test, interrupt lines and
 * DMA requests are recorded, the bus reaches a small SRAM and the blocks the test added. */
#ifndef BMSRIG_TESTS_FW_FAKE_CORE_H
#define BMSRIG_TESTS_FW_FAKE_CORE_H

#include <stdint.h>

#include "periph/periph.h"

#define FAKE_SRAM_BASE 0x20000000u
#define FAKE_SRAM_SIZE 0x10000u
#define FAKE_IRQS 68u
#define FAKE_BLOCKS 12u

struct mcu {
    uint64_t now;
    uint32_t hclk_ps;
    int irq_level[FAKE_IRQS];
    unsigned irq_rises[FAKE_IRQS];
    mcu_dma_fn dma_fn;
    void *dma_state;
    unsigned dma_requests[8];
    unsigned events_changed;
    struct periph blocks[FAKE_BLOCKS];
    unsigned nblocks;
    uint8_t sram[FAKE_SRAM_SIZE];
};

extern struct mcu fake_mcu;

void fake_reset(uint32_t hclk_ps);
void fake_add(const struct periph *p);
/* Advances time to t_ps the way the core does: through every event the blocks name. */
void fake_run_to(uint64_t t_ps);
/* A 32-bit CPU access at the current time (the block is advanced first). */
uint32_t fake_read(uint32_t addr);
void fake_write(uint32_t addr, uint32_t v);
uint8_t *fake_sram(uint32_t addr);

#endif
