/* fake_core.c: the core services of rig/fw/periph/periph.h for unit tests of single peripheral
 * models without Unicorn: a settable clock, recorded interrupt lines, a DMA handler slot, a
 * 64 KiB SRAM at 0x20000000 and a table of register blocks the bus reaches. */
#include "fake_core.h"

#include <string.h>

#include "sim/status.h"

struct mcu fake_mcu;

void fake_reset(uint32_t hclk_ps)
{
    memset(&fake_mcu, 0, sizeof fake_mcu);
    fake_mcu.hclk_ps = hclk_ps;
}

void fake_add(const struct periph *p)
{
    fake_mcu.blocks[fake_mcu.nblocks++] = *p;
}

static const struct periph *block_at(uint32_t addr)
{
    for (unsigned i = 0; i < fake_mcu.nblocks; i++)
        if (addr - fake_mcu.blocks[i].base < fake_mcu.blocks[i].size)
            return &fake_mcu.blocks[i];
    return NULL;
}

void fake_run_to(uint64_t t_ps)
{
    /* as the core does: stop at every event up to t, advancing every block there */
    for (;;) {
        uint64_t next = PERIPH_NO_EVENT;
        for (unsigned i = 0; i < fake_mcu.nblocks; i++) {
            const struct periph *p = &fake_mcu.blocks[i];
            if (p->next_event_ps) {
                uint64_t e = p->next_event_ps(p->state, fake_mcu.now);
                if (e < next)
                    next = e;
            }
        }
        fake_mcu.now = next > t_ps || next < fake_mcu.now ? t_ps : next;
        for (unsigned i = 0; i < fake_mcu.nblocks; i++)
            if (fake_mcu.blocks[i].advance)
                fake_mcu.blocks[i].advance(fake_mcu.blocks[i].state, fake_mcu.now);
        if (fake_mcu.now >= t_ps)
            return;
    }
}

uint32_t fake_read(uint32_t addr)
{
    uint32_t v = 0;
    mcu_bus_read(&fake_mcu, addr, 4, &v);
    return v;
}

void fake_write(uint32_t addr, uint32_t v)
{
    mcu_bus_write(&fake_mcu, addr, 4, v);
}

uint8_t *fake_sram(uint32_t addr)
{
    return &fake_mcu.sram[addr - FAKE_SRAM_BASE];
}

/* ---- the core services ---- */

uint64_t mcu_now_ps(const struct mcu *m) { return m->now; }
uint32_t mcu_hclk_ps(const struct mcu *m) { return m->hclk_ps; }

void mcu_irq_set(struct mcu *m, unsigned irq, int level)
{
    if (irq >= FAKE_IRQS)
        return;
    if (level && !m->irq_level[irq])
        m->irq_rises[irq]++;
    m->irq_level[irq] = level != 0;
}

void mcu_set_dma_handler(struct mcu *m, mcu_dma_fn fn, void *state)
{
    m->dma_fn = fn;
    m->dma_state = state;
}

int mcu_dma_request(struct mcu *m, unsigned channel)
{
    m->dma_requests[channel & 7u]++;
    return m->dma_fn ? m->dma_fn(m->dma_state, channel) : 0;
}

int mcu_bus_read(struct mcu *m, uint32_t addr, unsigned size, uint32_t *value)
{
    *value = 0;
    if (addr - FAKE_SRAM_BASE < FAKE_SRAM_SIZE) {
        for (unsigned i = 0; i < size; i++)
            *value |= (uint32_t)m->sram[addr - FAKE_SRAM_BASE + i] << (8 * i);
        return BMSRIG_OK;
    }
    const struct periph *p = block_at(addr);
    uint32_t word;
    if (!p)
        return BMSRIG_ERR_ARG;
    if (p->advance)
        p->advance(p->state, m->now);
    if (!p->read(p->state, (addr & ~3u) - p->base, &word))
        return BMSRIG_ERR_ARG;
    uint32_t shift = (addr & 3u) * 8;
    *value = size == 4 ? word : (word >> shift) & ((1u << (8 * size)) - 1u);
    return BMSRIG_OK;
}

int mcu_bus_write(struct mcu *m, uint32_t addr, unsigned size, uint32_t value)
{
    if (addr - FAKE_SRAM_BASE < FAKE_SRAM_SIZE) {
        for (unsigned i = 0; i < size; i++)
            m->sram[addr - FAKE_SRAM_BASE + i] = (uint8_t)(value >> (8 * i));
        return BMSRIG_OK;
    }
    const struct periph *p = block_at(addr);
    if (!p)
        return BMSRIG_ERR_ARG;
    if (p->advance)
        p->advance(p->state, m->now);
    return p->write(p->state, (addr & ~3u) - p->base, value) ? BMSRIG_OK : BMSRIG_ERR_ARG;
}

void mcu_events_changed(struct mcu *m) { m->events_changed++; }
