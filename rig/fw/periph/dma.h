/* dma.h: the STM32F103 DMA1 controller (RM0008 section 13): seven channels, each moving one item
 * per peripheral request (or memory to memory at once), normal or circular, with CNDTR counting
 * down (firmware reads it to find its ring position), TC/HT/TE flags and interrupts.
 * Owner: branch fw-periph. Registered as the core's DMA handler (periph/periph.h). */
#ifndef BMSRIG_FW_DMA_H
#define BMSRIG_FW_DMA_H

#include <stdint.h>

#include "periph.h"

#define DMA1_BASE 0x40020000u
#define DMA1_CHANNELS 7u
#define DMA1_IRQ(ch) (10u + (ch)) /* channel 1 = 11 ... channel 7 = 17, RM0008 table 63 [S] */

/* ISR flags of channel ch (1..7) [S] RM0008 13.4.1 */
#define DMA_ISR_GIF(ch) (1u << (4u * ((ch) - 1u)))
#define DMA_ISR_TCIF(ch) (2u << (4u * ((ch) - 1u)))
#define DMA_ISR_HTIF(ch) (4u << (4u * ((ch) - 1u)))
#define DMA_ISR_TEIF(ch) (8u << (4u * ((ch) - 1u)))

/* Called when the firmware enables channel ch, so a peripheral whose request is already
 * asserted (a USART's TXE) asks again; and before the registers are read, so a peripheral that
 * settles lazily (the ADC) brings its transfers up to now. */
typedef void (*dma_hook_fn)(void *user, unsigned ch);
typedef void (*dma_sync_fn)(void *user);

struct dma_channel {
    uint32_t ccr, cndtr, cpar, cmar;
    uint32_t reload;         /* CNDTR as written: the length of one cycle */
    int busy;                /* an item is moving (its write may request the next one) */
    int pending;             /* a request arrived meanwhile: served when the item is done */
};

struct dma {
    struct mcu *m;
    uint32_t isr;
    struct dma_channel ch[DMA1_CHANNELS];
    int irq_level[DMA1_CHANNELS];
    dma_hook_fn on_enable;
    dma_sync_fn sync;
    void *hook_user;
    uint64_t transfers, errors;
};

/* Reset state; `out` describes the register block. Also install dma_handle_request with
 * mcu_set_dma_handler(m, dma_handle_request, d). */
void dma_init(struct dma *d, struct mcu *m, struct periph *out);
void dma_set_hooks(struct dma *d, dma_hook_fn on_enable, dma_sync_fn sync, void *user);

/* One request on channel ch (1..7): moves one item if the channel is enabled and its count is
 * not 0. Returns 1 if an item moved. */
int dma_handle_request(void *state, unsigned ch);

/* Whether channel ch (1..7) raises an interrupt on completion or half completion. */
int dma_channel_interrupts(const struct dma *d, unsigned ch);

#endif
