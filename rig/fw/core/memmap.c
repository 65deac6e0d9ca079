/* memmap.c: the STM32F103 memory map over Unicorn (flash, the FLASH model's EEPROM window, SRAM,
 * system memory, peripherals, the SCS) and the register dispatch: peripheral blocks, NVIC/SCB,
 * SysTick, and both bit-band aliases (one word per bit of the underlying register / SRAM word).
 * SRAM is served by the core from its own array rather than as Unicorn RAM: Unicorn 2.0.1 takes
 * a slow path with allocations on every store to RAM (its dirty tracking is stubbed), which
 * made stores about 2x slower than this callback; and the core sees every change. The cost:
 * code cannot execute from SRAM. */
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

static uint64_t periph_read(uc_engine *uc, uint64_t off, unsigned size, void *user)
{
    (void)uc;
    struct mcu *m = user;
    uint32_t addr = (uint32_t)(PERIPH_BASE + off), v = 0;
    if (periph_access(m, addr, size, 0, &v)) {
        idle_on_read(m, addr, v);
        return v;
    }
    unknown_access(m, addr, size, 0, 0);
    return 0;
}

static void periph_write(uc_engine *uc, uint64_t off, unsigned size, uint64_t v, void *user)
{
    (void)uc;
    struct mcu *m = user;
    uint32_t addr = (uint32_t)(PERIPH_BASE + off), w = (uint32_t)v;
    if (!periph_access(m, addr, size, 1, &w))
        unknown_access(m, addr, size, 1, v);
}

/* Peripheral bit-band: alias word n is bit n%32 of the word at PERIPH_BASE + (n/32)*4. The
 * access reaches the register as a 32-bit read (and write), as a read-modify-write. [S] */
static uint64_t periph_bb_read(uc_engine *uc, uint64_t off, unsigned size, void *user)
{
    (void)uc; (void)size;
    struct mcu *m = user;
    uint32_t word_addr = PERIPH_BASE + (uint32_t)(off / 128u) * 4u, bit = (off / 4u) % 32u, v;
    if (periph_access(m, word_addr, 4, 0, &v)) {
        idle_on_read(m, PERIPH_BB_BASE + (uint32_t)(off & ~3u), (v >> bit) & 1u);
        return (v >> bit) & 1u;
    }
    unknown_access(m, word_addr, 4, 0, 0);
    return 0;
}

static void periph_bb_write(uc_engine *uc, uint64_t off, unsigned size, uint64_t v, void *user)
{
    (void)uc; (void)size;
    struct mcu *m = user;
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

static uint64_t sram_read(uc_engine *uc, uint64_t off, unsigned size, void *user)
{
    (void)uc;
    struct mcu *m = user;
    if (size > 4 || off + size > SRAM_MAP_SIZE)
        return 0;
    uint32_t v = sram_get(m, (uint32_t)off, size);
    idle_on_read(m, FW_SRAM_BASE + (uint32_t)off, v);
    return v;
}

static void sram_write(uc_engine *uc, uint64_t off, unsigned size, uint64_t v, void *user)
{
    (void)uc;
    struct mcu *m = user;
    if (size <= 4 && off + size <= SRAM_MAP_SIZE)
        sram_put(m, (uint32_t)off, size, (uint32_t)v);
}

/* SRAM bit-band: alias word n is bit n%32 of the SRAM word at FW_SRAM_BASE + (n/32)*4. */
static uint64_t sram_bb_read(uc_engine *uc, uint64_t off, unsigned size, void *user)
{
    (void)uc; (void)size;
    struct mcu *m = user;
    uint32_t word = (uint32_t)(off / 128u) * 4u, bit = (off / 4u) % 32u;
    uint32_t v = (sram_get(m, word, 4) >> bit) & 1u;
    idle_on_read(m, SRAM_BB_BASE + (uint32_t)(off & ~3u), v);
    return v;
}

static void sram_bb_write(uc_engine *uc, uint64_t off, unsigned size, uint64_t v, void *user)
{
    (void)uc; (void)size;
    struct mcu *m = user;
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
    if (n > 16 || uc_mem_read(m->uc, addr, b, 4 * n) != UC_ERR_OK)
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

static uint64_t eeprom_read(uc_engine *uc, uint64_t off, unsigned size, void *user)
{
    (void)uc;
    struct mcu *m = user;
    return flash_window_read(&m->flash, (uint32_t)off, size);
}

static void eeprom_write(uc_engine *uc, uint64_t off, unsigned size, uint64_t v, void *user)
{
    (void)uc;
    struct mcu *m = user;
    if (flash_window_write(&m->flash, (uint32_t)off, size, (uint32_t)v))
        return;
    mcu_set_fault(m, "%s: bad memory access (write to flash 0x%08x without FLASH_CR.PG, or not "
                  "a half-word) at PC 0x%08x", m->img.name,
                  (unsigned)(FLASH_EEPROM_WINDOW + off), (unsigned)mcu_current_pc(m));
}

static uint64_t scs_read(uc_engine *uc, uint64_t off, unsigned size, void *user)
{
    (void)uc;
    struct mcu *m = user;
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

static void scs_write(uc_engine *uc, uint64_t off, unsigned size, uint64_t v, void *user)
{
    (void)uc;
    struct mcu *m = user;
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
                uc_emu_stop(m->uc);
            } else if (effects & NVIC_WRITE_RESCHEDULE) {
                mcu_reschedule(m);
            }
            return;
        }
    }
    unknown_access(m, addr, size, 1, v);
}

static int uc_fail(const char *what, uc_err e, char *err, size_t errcap)
{
    snprintf(err, errcap, "firmware emulator: %s: %s", what, uc_strerror(e));
    return BMSRIG_ERR_IO;
}

int memmap_map(struct mcu *m, char *err, size_t errcap)
{
    uc_err e;
    uint32_t win = FLASH_EEPROM_WINDOW, win_end = win + FLASH_EEPROM_WINDOW_SIZE;
    if ((e = uc_mem_map(m->uc, FW_FLASH_BASE, win - FW_FLASH_BASE, UC_PROT_READ | UC_PROT_EXEC)))
        return uc_fail("map flash", e, err, errcap);
    if ((e = uc_mmio_map(m->uc, win, FLASH_EEPROM_WINDOW_SIZE, eeprom_read, m, eeprom_write, m)))
        return uc_fail("map flash-EEPROM pages", e, err, errcap);
    if ((e = uc_mem_map(m->uc, win_end, FW_FLASH_BASE + FW_FLASH_SIZE - win_end,
                        UC_PROT_READ | UC_PROT_EXEC)))
        return uc_fail("map flash", e, err, errcap);
    if ((e = uc_mmio_map(m->uc, FW_SRAM_BASE, SRAM_MAP_SIZE, sram_read, m, sram_write, m)))
        return uc_fail("map SRAM", e, err, errcap);
    if ((e = uc_mmio_map(m->uc, SRAM_BB_BASE, SRAM_MAP_SIZE * 32u, sram_bb_read, m,
                         sram_bb_write, m)))
        return uc_fail("map SRAM bit-band alias", e, err, errcap);
    if ((e = uc_mem_map(m->uc, SYSMEM_PAGE, 0x1000, UC_PROT_READ)))
        return uc_fail("map system memory", e, err, errcap);
    if ((e = uc_mmio_map(m->uc, PERIPH_BASE, PERIPH_SIZE, periph_read, m, periph_write, m)))
        return uc_fail("map peripherals", e, err, errcap);
    if ((e = uc_mmio_map(m->uc, PERIPH_BB_BASE, PERIPH_SIZE * 32u, periph_bb_read, m,
                         periph_bb_write, m)))
        return uc_fail("map peripheral bit-band alias", e, err, errcap);
    if ((e = uc_mmio_map(m->uc, SCS_BASE, SCS_SIZE, scs_read, m, scs_write, m)))
        return uc_fail("map system control space", e, err, errcap);
    /* Erased flash reads 0xFF; then the image; then the system memory words. */
    uint8_t *ff = malloc(FW_FLASH_SIZE);
    if (!ff)
        return BMSRIG_ERR_NOMEM;
    memset(ff, 0xFF, FW_FLASH_SIZE);
    memcpy(ff + (m->img.base - FW_FLASH_BASE), m->img.bytes, m->img.len);
    e = uc_mem_write(m->uc, FW_FLASH_BASE, ff, win - FW_FLASH_BASE);
    if (!e)
        e = uc_mem_write(m->uc, win_end, ff + (win_end - FW_FLASH_BASE),
                         FW_FLASH_BASE + FW_FLASH_SIZE - win_end);
    memcpy(m->flash.window, ff + (win - FW_FLASH_BASE), FLASH_EEPROM_WINDOW_SIZE);
    free(ff);
    if (e)
        return uc_fail("load image", e, err, errcap);
    uint8_t flash_kib[2] = {64, 0}; /* F_SIZE as DRV134 reads it [O] */
    uc_mem_write(m->uc, 0x1FFFF7E0u, flash_kib, 2);
    uc_mem_write(m->uc, 0x1FFFF7E8u, m->uid, 12);
    return BMSRIG_OK;
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
        if (uc_mem_read(m->uc, addr, b, size))
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
