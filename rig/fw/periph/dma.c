/* dma.c: DMA1 of the STM32F103 (RM0008 section 13): per-channel CCR/CNDTR/CPAR/CMAR, one item per
 * request through the core's bus (peripheral registers through their models, SRAM directly),
 * circular reload, TC/HT/TE flags, IFCR clears, one interrupt line per channel. */
#include "dma.h"

#include <string.h>

#include "sim/status.h"

/* CCR bits [S] RM0008 13.4.3 */
#define CCR_EN (1u << 0)
#define CCR_TCIE (1u << 1)
#define CCR_HTIE (1u << 2)
#define CCR_TEIE (1u << 3)
#define CCR_DIR (1u << 4)     /* 1: memory to peripheral */
#define CCR_CIRC (1u << 5)
#define CCR_PINC (1u << 6)
#define CCR_MINC (1u << 7)
#define CCR_MEM2MEM (1u << 14)
#define CCR_MASK 0x7FFFu

static unsigned size_of(uint32_t field) /* PSIZE / MSIZE: 8, 16, 32 bits (11 reserved: 32) */
{
    return field == 0 ? 1u : field == 1 ? 2u : 4u;
}

static void update_irq(struct dma *d, unsigned ch)
{
    const struct dma_channel *c = &d->ch[ch - 1];
    uint32_t isr = d->isr;
    int level = ((c->ccr & CCR_TCIE) && (isr & DMA_ISR_TCIF(ch))) ||
                ((c->ccr & CCR_HTIE) && (isr & DMA_ISR_HTIF(ch))) ||
                ((c->ccr & CCR_TEIE) && (isr & DMA_ISR_TEIF(ch)));
    if (level != d->irq_level[ch - 1]) {
        d->irq_level[ch - 1] = level;
        mcu_irq_set(d->m, DMA1_IRQ(ch), level);
    }
}

static void set_flags(struct dma *d, unsigned ch, uint32_t flags)
{
    d->isr |= flags | DMA_ISR_GIF(ch);
}

/* Moves one item on channel ch; 1 if it moved. */
static int transfer(struct dma *d, unsigned ch)
{
    struct dma_channel *c = &d->ch[ch - 1];
    if (!(c->ccr & CCR_EN) || c->cndtr == 0)
        return 0;
    unsigned psize = size_of((c->ccr >> 8) & 3u), msize = size_of((c->ccr >> 10) & 3u);
    uint32_t idx = c->reload - c->cndtr;
    uint32_t paddr = c->cpar + ((c->ccr & CCR_PINC) ? idx * psize : 0u);
    uint32_t maddr = c->cmar + ((c->ccr & CCR_MINC) ? idx * msize : 0u);
    int from_mem = (c->ccr & CCR_DIR) || (c->ccr & CCR_MEM2MEM);
    uint32_t src = from_mem ? maddr : paddr, dst = from_mem ? paddr : maddr;
    unsigned ssize = from_mem ? msize : psize, dsize = from_mem ? psize : msize;
    if (c->ccr & CCR_MEM2MEM) { /* MEM2MEM: CPAR is the source, CMAR the destination [S] */
        src = paddr;
        dst = maddr;
        ssize = psize;
        dsize = msize;
    }
    uint32_t v = 0;
    int rc = mcu_bus_read(d->m, src, ssize, &v);
    if (rc == BMSRIG_OK) {
        /* a narrower destination takes the low part, a wider one is zero-padded [S] table 76 */
        if (dsize < 4)
            v &= (1u << (8u * dsize)) - 1u;
        rc = mcu_bus_write(d->m, dst, dsize, v);
    }
    if (rc != BMSRIG_OK) {
        /* a bus error disables the channel [S] 13.3.6 */
        c->ccr &= ~CCR_EN;
        set_flags(d, ch, DMA_ISR_TEIF(ch));
        d->errors++;
        update_irq(d, ch);
        return 0;
    }
    d->transfers++;
    c->cndtr--;
    uint32_t done = c->reload - c->cndtr;
    if (done == (c->reload + 1u) / 2u)
        set_flags(d, ch, DMA_ISR_HTIF(ch));
    if (c->cndtr == 0) {
        set_flags(d, ch, DMA_ISR_TCIF(ch));
        if (c->ccr & CCR_CIRC)
            c->cndtr = c->reload;
    }
    update_irq(d, ch);
    return 1;
}

int dma_handle_request(void *state, unsigned ch)
{
    struct dma *d = state;
    if (ch < 1 || ch > DMA1_CHANNELS)
        return 0;
    struct dma_channel *c = &d->ch[ch - 1];
    if (c->ccr & CCR_MEM2MEM)
        return 0; /* not driven by peripheral requests */
    if (c->busy) {
        /* the item being written asked for the next (a USART's TXE rising as its TDR moved
         * on): served once this one is accounted */
        c->pending = 1;
        return 0;
    }
    c->busy = 1;
    int moved = transfer(d, ch);
    while (c->pending) {
        c->pending = 0;
        transfer(d, ch);
    }
    c->busy = 0;
    return moved;
}

int dma_channel_interrupts(const struct dma *d, unsigned ch)
{
    return ch >= 1 && ch <= DMA1_CHANNELS &&
           (d->ch[ch - 1].ccr & (CCR_TCIE | CCR_HTIE)) != 0;
}

static void dma_advance(void *state, uint64_t now)
{
    (void)now;
    struct dma *d = state;
    if (d->sync)
        d->sync(d->hook_user);
}

static int dma_read(void *state, uint32_t off, uint32_t *v)
{
    struct dma *d = state;
    if (off == 0x00) {
        *v = d->isr;
        return 1;
    }
    if (off == 0x04) {
        *v = 0; /* IFCR is write-only */
        return 1;
    }
    if (off < 0x08 || off >= 0x08 + 20u * DMA1_CHANNELS)
        return 0;
    const struct dma_channel *c = &d->ch[(off - 0x08) / 20u];
    switch ((off - 0x08) % 20u) {
    case 0: *v = c->ccr; return 1;
    case 4: *v = c->cndtr; return 1;
    case 8: *v = c->cpar; return 1;
    case 12: *v = c->cmar; return 1;
    default: *v = 0; return 1; /* the reserved word between channels */
    }
}

static int dma_write(void *state, uint32_t off, uint32_t v)
{
    struct dma *d = state;
    if (off == 0x00)
        return 1; /* ISR is read-only */
    if (off == 0x04) {
        /* IFCR: writing 1 clears; CGIF clears the channel's four flags [S] 13.4.2 */
        for (unsigned ch = 1; ch <= DMA1_CHANNELS; ch++) {
            uint32_t group = 0xFu << (4u * (ch - 1u));
            if (v & DMA_ISR_GIF(ch))
                d->isr &= ~group;
            d->isr &= ~(v & group);
            if (!(d->isr & (group & ~DMA_ISR_GIF(ch))))
                d->isr &= ~DMA_ISR_GIF(ch);
            update_irq(d, ch);
        }
        return 1;
    }
    if (off < 0x08 || off >= 0x08 + 20u * DMA1_CHANNELS)
        return 0;
    unsigned ch = (off - 0x08) / 20u + 1u;
    struct dma_channel *c = &d->ch[ch - 1];
    switch ((off - 0x08) % 20u) {
    case 0: {
        uint32_t was = c->ccr;
        c->ccr = v & CCR_MASK;
        update_irq(d, ch);
        if ((c->ccr & CCR_EN) && !(was & CCR_EN)) {
            if (c->ccr & CCR_MEM2MEM) {
                while (transfer(d, ch)) {
                } /* memory to memory runs at once, without requests */
            } else if (d->on_enable) {
                d->on_enable(d->hook_user, ch);
            }
        }
        return 1;
    }
    case 4:
        if (!(c->ccr & CCR_EN)) { /* writable only while the channel is disabled [S] */
            c->cndtr = v & 0xFFFFu;
            c->reload = c->cndtr;
        }
        return 1;
    case 8: c->cpar = v; return 1;
    case 12: c->cmar = v; return 1;
    default: return 1;
    }
}

void dma_init(struct dma *d, struct mcu *m, struct periph *out)
{
    memset(d, 0, sizeof *d);
    d->m = m;
    *out = (struct periph){.name = "DMA1", .base = DMA1_BASE, .size = 0x400, .read = dma_read,
                           .write = dma_write, .state = d, .advance = dma_advance,
                           .reads_vary = 1};
}

void dma_set_hooks(struct dma *d, dma_hook_fn on_enable, dma_sync_fn sync, void *user)
{
    d->on_enable = on_enable;
    d->sync = sync;
    d->hook_user = user;
}
