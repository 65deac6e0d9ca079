/* memmap.c: the STM32F103 memory map (flash, the FLASH model's EEPROM window, SRAM, system
 * memory, peripherals, the SCS) as every CPU backend sees it, and the register dispatch: peripheral blocks, NVIC/SCB,
 * SysTick, and both bit-band aliases (one word per bit of the underlying register / SRAM word).
 * SRAM is served by the core from its own array (the Unicorn backend maps it as MMIO on these
 * callbacks rather than as Unicorn RAM: Unicorn 2.0.1 takes a slow path with allocations on every store to RAM (its dirty tracking is stubbed), which
 * made stores about 2x slower than this callback; and the core sees every change. The cost:
 * code cannot execute from SRAM). The interpreter reaches flash and SRAM directly and the rest
 * through memmap_cpu_read/write. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcu_internal.h"

/* A register nothing models: counted, logged with address and PC at -v, reads as 0. */
static void unknown_access(struct mcu *m, uint32_t addr, unsigned size, int write, uint64_t v)
{
    m->unknown++;
    if (write)
        mcu_log(m, 1, "%s: unmodelled register write 0x%08x (%u bytes) = 0x%llx at PC 0x%08x",
                m->img.name, (unsigned)addr, size, (unsigned long long)v,
                (unsigned)mcu_current_pc(m));
    else
        mcu_log(m, 1, "%s: unmodelled register read 0x%08x (%u bytes) at PC 0x%08x",
                m->img.name, (unsigned)addr, size, (unsigned)mcu_current_pc(m));
}

const struct periph *memmap_find(struct mcu *m, uint32_t addr)
{
    for (unsigned i = 0; i < m->nperiphs; i++) {
        const struct periph *p = &m->periphs[i];
        if (addr - p->base < p->size) {
            if (p->advance)
                p->advance(p->state, m->time_ps);
            return p;
        }
    }
    return NULL;
}

/* A write may have scheduled an event (a byte now on the wire) before the chunk's end. */
static void after_write(struct mcu *m, const struct periph *p)
{
    if (p->next_event_ps && m->in_emu) {
        uint64_t t = p->next_event_ps(p->state, m->time_ps);
        if (t < m->stop_ps)
            m->stop_ps = t;
    }
}

/* Peripheral register access at any size: byte and half-word accesses reach a model as its
 * 32-bit register, shifted and masked (a write is a read-modify-write). 1 if modelled. */
static int periph_access(struct mcu *m, uint32_t addr, unsigned size, int write, uint32_t *v)
{
    const struct periph *p = memmap_find(m, addr);
    if (!p || size > 4 || (addr & 3u) + size > 4)
        return 0;
    uint32_t reg = (addr & ~3u) - p->base, shift = (addr & 3u) * 8;
    uint32_t mask = size == 4 ? 0xFFFFFFFFu : ((1u << (8 * size)) - 1u) << shift;
    if (!write) {
        uint32_t word;
        if (!p->read(p->state, reg, &word))
            return 0;
        *v = (word & mask) >> shift;
        if (p->reads_vary)
            m->effects++; /* a loop reading it is not a pure polling loop */
        return 1;
    }
    uint32_t word = *v;
    if (size < 4) {
        uint32_t old = 0;
        if (!p->read(p->state, reg, &old))
            old = 0;
        word = (old & ~mask) | ((*v << shift) & mask);
    }
    if (!p->write(p->state, reg, word))
        return 0;
    m->effects++;
    after_write(m, p);
    return 1;
}

uint64_t memmap_periph_read(struct mcu *m, uint64_t off, unsigned size)
{
    uint32_t addr = (uint32_t)(PERIPH_BASE + off), v = 0;
    if (periph_access(m, addr, size, 0, &v)) {
        idle_on_read(m, addr, v);
        return v;
    }
    unknown_access(m, addr, size, 0, 0);
    return 0;
}

void memmap_periph_write(struct mcu *m, uint64_t off, unsigned size, uint64_t v)
{
    uint32_t addr = (uint32_t)(PERIPH_BASE + off), w = (uint32_t)v;
    if (!periph_access(m, addr, size, 1, &w))
        unknown_access(m, addr, size, 1, v);
}

/* Peripheral bit-band: alias word n is bit n%32 of the word at PERIPH_BASE + (n/32)*4. The
 * access reaches the register as a 32-bit read (and write), as a read-modify-write. [S] */
uint64_t memmap_periph_bb_read(struct mcu *m, uint64_t off, unsigned size)
{
    (void)size;
    uint32_t word_addr = PERIPH_BASE + (uint32_t)(off / 128u) * 4u, bit = (off / 4u) % 32u, v;
    if (periph_access(m, word_addr, 4, 0, &v)) {
        idle_on_read(m, PERIPH_BB_BASE + (uint32_t)(off & ~3u), (v >> bit) & 1u);
        return (v >> bit) & 1u;
    }
    unknown_access(m, word_addr, 4, 0, 0);
    return 0;
}

void memmap_periph_bb_write(struct mcu *m, uint64_t off, unsigned size, uint64_t v)
{
    (void)size;
    uint32_t word_addr = PERIPH_BASE + (uint32_t)(off / 128u) * 4u, bit = (off / 4u) % 32u, w;
    if (!periph_access(m, word_addr, 4, 0, &w))
        w = 0;
    w = (v & 1u) ? w | 1u << bit : w & ~(1u << bit);
    if (!periph_access(m, word_addr, 4, 1, &w))
        unknown_access(m, word_addr, 4, 1, w);
}

/* SRAM, served from m->sram; every load is a read site the polling-loop detector may watch. */
static uint32_t sram_get(const struct mcu *m, uint32_t off, unsigned size)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint32_t)m->sram[off + i] << (8 * i);
    return v;
}

static void sram_put(struct mcu *m, uint32_t off, unsigned size, uint32_t v)
{
    for (unsigned i = 0; i < size; i++)
        m->sram[off + i] = (uint8_t)(v >> (8 * i));
}

uint64_t memmap_sram_read(struct mcu *m, uint64_t off, unsigned size)
{
    if (size > 4 || off + size > SRAM_MAP_SIZE)
        return 0;
    uint32_t v = sram_get(m, (uint32_t)off, size);
    idle_on_read(m, FW_SRAM_BASE + (uint32_t)off, v);
    return v;
}

void memmap_sram_write(struct mcu *m, uint64_t off, unsigned size, uint64_t v)
{
    if (size <= 4 && off + size <= SRAM_MAP_SIZE)
        sram_put(m, (uint32_t)off, size, (uint32_t)v);
}

/* SRAM bit-band: alias word n is bit n%32 of the SRAM word at FW_SRAM_BASE + (n/32)*4. */
uint64_t memmap_sram_bb_read(struct mcu *m, uint64_t off, unsigned size)
{
    (void)size;
    uint32_t word = (uint32_t)(off / 128u) * 4u, bit = (off / 4u) % 32u;
    uint32_t v = (sram_get(m, word, 4) >> bit) & 1u;
    idle_on_read(m, SRAM_BB_BASE + (uint32_t)(off & ~3u), v);
    return v;
}

void memmap_sram_bb_write(struct mcu *m, uint64_t off, unsigned size, uint64_t v)
{
    (void)size;
    uint32_t word = (uint32_t)(off / 128u) * 4u, bit = (off / 4u) % 32u;
    uint32_t w = sram_get(m, word, 4);
    sram_put(m, word, 4, (v & 1u) ? w | 1u << bit : w & ~(1u << bit));
}

int memmap_read_words(struct mcu *m, uint32_t addr, uint32_t *w, unsigned n)
{
    if (addr - FW_SRAM_BASE < SRAM_MAP_SIZE && addr - FW_SRAM_BASE + 4u * n <= SRAM_MAP_SIZE &&
        !(addr & 3u)) {
        for (unsigned i = 0; i < n; i++)
            w[i] = sram_get(m, addr - FW_SRAM_BASE + 4u * i, 4);
        return 1;
    }
    uint8_t b[64];
    if (n > 16 || !memmap_rom_read(m, addr, b, 4 * n))
        return 0;
    for (unsigned i = 0; i < n; i++)
        w[i] = (uint32_t)b[4 * i] | (uint32_t)b[4 * i + 1] << 8 | (uint32_t)b[4 * i + 2] << 16 |
               (uint32_t)b[4 * i + 3] << 24;
    return 1;
}

int memmap_write_words(struct mcu *m, uint32_t addr, const uint32_t *w, unsigned n)
{
    if (!(addr - FW_SRAM_BASE < SRAM_MAP_SIZE && addr - FW_SRAM_BASE + 4u * n <= SRAM_MAP_SIZE &&
          !(addr & 3u)))
        return 0;
    for (unsigned i = 0; i < n; i++)
        sram_put(m, addr - FW_SRAM_BASE + 4u * i, 4, w[i]);
    return 1;
}

uint64_t memmap_eeprom_read(struct mcu *m, uint64_t off, unsigned size)
{
    return flash_window_read(&m->flash, (uint32_t)off, size);
}

void memmap_eeprom_write(struct mcu *m, uint64_t off, unsigned size, uint64_t v)
{
    if (flash_window_write(&m->flash, (uint32_t)off, size, (uint32_t)v))
        return;
    mcu_set_fault(m, "%s: bad memory access (write to flash 0x%08x without FLASH_CR.PG, or not "
                  "a half-word) at PC 0x%08x", m->img.name,
                  (unsigned)(FLASH_EEPROM_WINDOW + off), (unsigned)mcu_current_pc(m));
}

uint64_t memmap_scs_read(struct mcu *m, uint64_t off, unsigned size)
{
    uint32_t addr = (uint32_t)(SCS_BASE + off), v = 0;
    if (addr - SYSTICK_BASE < 0x10u) {
        if (size == 4 && systick_read(&m->systick, m->time_ps, addr - SYSTICK_BASE, &v)) {
            if (addr - SYSTICK_BASE == 0x8u)
                m->effects++; /* VAL counts between wraps: never a pure polling read */
            idle_on_read(m, addr, v);
            return v;
        }
    } else if (nvic_read(&m->nvic, (uint32_t)off, size, &v)) {
        idle_on_read(m, addr, v);
        return v;
    }
    unknown_access(m, addr, size, 0, 0);
    return 0;
}

void memmap_scs_write(struct mcu *m, uint64_t off, unsigned size, uint64_t v)
{
    uint32_t addr = (uint32_t)(SCS_BASE + off);
    m->effects++;
    if (addr - SYSTICK_BASE < 0x10u) {
        if (size == 4 && systick_write(&m->systick, m->time_ps, addr - SYSTICK_BASE, (uint32_t)v)) {
            /* A new LOAD/CTRL/VAL moves the next wrap: end the chunk so it is recomputed. */
            if (m->in_emu && systick_interrupts(&m->systick))
                m->stop_ps = m->time_ps;
            return;
        }
    } else {
        unsigned effects = 0;
        if (nvic_write(&m->nvic, (uint32_t)off, size, (uint32_t)v, &effects)) {
            if (effects & NVIC_WRITE_RESET) {
                /* VECTKEY with SYSRESETREQ: the M365 powering itself off. [O] */
                m->halt = HALT_POWERED_OFF;
                m->stop = STOP_HALT;
                m->cpu->stop(m);
            } else if (effects & NVIC_WRITE_RESCHEDULE) {
                mcu_reschedule(m);
            }
            return;
        }
    }
    unknown_access(m, addr, size, 1, v);
}

int memmap_rom_read(const struct mcu *m, uint32_t addr, void *buf, size_t n)
{
    uint32_t win = FLASH_EEPROM_WINDOW, win_end = win + FLASH_EEPROM_WINDOW_SIZE;
    if (addr - FW_FLASH_BASE < FW_FLASH_SIZE && FW_FLASH_SIZE - (addr - FW_FLASH_BASE) >= n &&
        (addr + n <= win || addr >= win_end)) {
        memcpy(buf, m->rom + (addr - FW_FLASH_BASE), n);
        return 1;
    }
    if (addr - SYSMEM_PAGE < SYSMEM_SIZE && SYSMEM_SIZE - (addr - SYSMEM_PAGE) >= n) {
        memcpy(buf, m->sysmem + (addr - SYSMEM_PAGE), n);
        return 1;
    }
    return 0;
}

void memmap_load(struct mcu *m)
{
    /* Erased flash reads 0xFF; then the image; then the system memory words. */
    memset(m->rom, 0xFF, FW_FLASH_SIZE);
    memcpy(m->rom + (m->img.base - FW_FLASH_BASE), m->img.bytes, m->img.len);
    memcpy(m->flash.window, m->rom + (FLASH_EEPROM_WINDOW - FW_FLASH_BASE),
           FLASH_EEPROM_WINDOW_SIZE);
    memset(m->sysmem, 0, SYSMEM_SIZE);
    static const uint8_t flash_kib[2] = {64, 0}; /* F_SIZE as DRV134 reads it [O] */
    memcpy(m->sysmem + (0x1FFFF7E0u - SYSMEM_PAGE), flash_kib, 2);
    memcpy(m->sysmem + (0x1FFFF7E8u - SYSMEM_PAGE), m->uid, 12);
}

/* The interpreter's path for everything but flash below the EEPROM window and SRAM: the same
 * callbacks the Unicorn backend maps, by address. */
int memmap_cpu_read(struct mcu *m, uint32_t addr, unsigned size, uint32_t *v)
{
    if (addr - PERIPH_BASE < PERIPH_SIZE)
        *v = (uint32_t)memmap_periph_read(m, addr - PERIPH_BASE, size);
    else if (addr - SCS_BASE < SCS_SIZE)
        *v = (uint32_t)memmap_scs_read(m, addr - SCS_BASE, size);
    else if (addr - PERIPH_BB_BASE < PERIPH_SIZE * 32u)
        *v = (uint32_t)memmap_periph_bb_read(m, addr - PERIPH_BB_BASE, size);
    else if (addr - SRAM_BB_BASE < SRAM_MAP_SIZE * 32u)
        *v = (uint32_t)memmap_sram_bb_read(m, addr - SRAM_BB_BASE, size);
    else if (addr - FW_SRAM_BASE < SRAM_MAP_SIZE)
        *v = (uint32_t)memmap_sram_read(m, addr - FW_SRAM_BASE, size);
    else if (addr - FLASH_EEPROM_WINDOW < FLASH_EEPROM_WINDOW_SIZE)
        *v = (uint32_t)memmap_eeprom_read(m, addr - FLASH_EEPROM_WINDOW, size);
    else {
        uint8_t b[4] = {0};
        if (size > 4 || !memmap_rom_read(m, addr, b, size))
            return 0;
        *v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    }
    return 1;
}

int memmap_cpu_write(struct mcu *m, uint32_t addr, unsigned size, uint32_t v)
{
    if (addr - PERIPH_BASE < PERIPH_SIZE)
        memmap_periph_write(m, addr - PERIPH_BASE, size, v);
    else if (addr - SCS_BASE < SCS_SIZE)
        memmap_scs_write(m, addr - SCS_BASE, size, v);
    else if (addr - PERIPH_BB_BASE < PERIPH_SIZE * 32u)
        memmap_periph_bb_write(m, addr - PERIPH_BB_BASE, size, v);
    else if (addr - SRAM_BB_BASE < SRAM_MAP_SIZE * 32u)
        memmap_sram_bb_write(m, addr - SRAM_BB_BASE, size, v);
    else if (addr - FW_SRAM_BASE < SRAM_MAP_SIZE)
        memmap_sram_write(m, addr - FW_SRAM_BASE, size, v);
    else if (addr - FLASH_EEPROM_WINDOW < FLASH_EEPROM_WINDOW_SIZE)
        memmap_eeprom_write(m, addr - FLASH_EEPROM_WINDOW, size, v);
    else if (addr - FW_FLASH_BASE < FW_FLASH_SIZE || addr - SYSMEM_PAGE < SYSMEM_SIZE)
        return -1; /* read-only */
    else
        return 0;
    return 1;
}

/* ---- services for peripheral models (periph/periph.h) ---- */

int mcu_add_periph(struct mcu *m, const struct periph *p)
{
    if (p->size == 0 || p->base < PERIPH_BASE || p->base - PERIPH_BASE > PERIPH_SIZE - p->size ||
        !p->read || !p->write)
        return BMSRIG_ERR_ARG;
    for (unsigned i = 0; i < m->nperiphs; i++) {
        const struct periph *q = &m->periphs[i];
        if (p->base < q->base + q->size && q->base < p->base + p->size)
            return BMSRIG_ERR_ARG;
    }
    if (m->nperiphs == MAX_PERIPHS)
        return BMSRIG_ERR_RANGE;
    m->periphs[m->nperiphs++] = *p;
    return BMSRIG_OK;
}

static int bus_ok(uint32_t addr, unsigned size)
{
    return (size == 1 || size == 2 || size == 4) && (addr & (size - 1)) == 0;
}

int mcu_bus_read(struct mcu *m, uint32_t addr, unsigned size, uint32_t *value)
{
    *value = 0;
    if (!bus_ok(addr, size))
        return BMSRIG_ERR_ARG;
    if (addr - PERIPH_BASE < PERIPH_SIZE)
        return periph_access(m, addr, size, 0, value) ? BMSRIG_OK : BMSRIG_ERR_ARG;
    if (addr - FW_SRAM_BASE < SRAM_MAP_SIZE) {
        *value = sram_get(m, addr - FW_SRAM_BASE, size);
        return BMSRIG_OK;
    }
    if (addr - FW_FLASH_BASE < FW_FLASH_SIZE || addr - SYSMEM_PAGE < 0x1000u) {
        uint8_t b[4];
        if (addr - FLASH_EEPROM_WINDOW < FLASH_EEPROM_WINDOW_SIZE) {
            *value = flash_window_read(&m->flash, addr - FLASH_EEPROM_WINDOW, size);
            return BMSRIG_OK;
        }
        if (!memmap_rom_read(m, addr, b, size))
            return BMSRIG_ERR_ARG;
        for (unsigned i = 0; i < size; i++)
            *value |= (uint32_t)b[i] << (8 * i);
        return BMSRIG_OK;
    }
    return BMSRIG_ERR_ARG;
}

int mcu_bus_write(struct mcu *m, uint32_t addr, unsigned size, uint32_t value)
{
    if (!bus_ok(addr, size))
        return BMSRIG_ERR_ARG;
    if (addr - PERIPH_BASE < PERIPH_SIZE)
        return periph_access(m, addr, size, 1, &value) ? BMSRIG_OK : BMSRIG_ERR_ARG;
    if (addr - FW_SRAM_BASE < SRAM_MAP_SIZE) {
        sram_put(m, addr - FW_SRAM_BASE, size, value);
        return BMSRIG_OK;
    }
    return BMSRIG_ERR_ARG;
}
