/* mcu.c: the Cortex-M3 core over Unicorn 2: memory map, image load, the chunked run loop in
 * virtual time, fault reporting, and the register-access dispatch to rig/fw/periph/. */
#include "rig/fw/mcu.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicorn/unicorn.h>

#include "image.h"
#include "board/board.h"
#include "periph/periph.h"
#include "periph/rcc.h"
#include "periph/flash.h"
#include "periph/systick.h"

#define SYSMEM_PAGE 0x1FFFF000u
#define PERIPH_BASE 0x40000000u
#define PERIPH_SIZE 0x30000u
#define SCS_BASE 0xE000E000u
#define SCS_SIZE 0x1000u
#define SRAM_MAP_SIZE 0x10000u     /* 64 KiB mapped: more than the part's 20, harmless [I] */
#define RUN_CHUNK 4096u            /* instructions per uc_emu_start when nothing is due */
#define AIRCR 0xE000ED0Cu
#define MAX_PERIPHS 24
#define NUM_IRQS 68                /* external interrupts of the STM32F103 [S] RM0008 */

enum mcu_halt { HALT_NONE, HALT_POWERED_OFF, HALT_FAULT };

struct mcu {
    uc_engine *uc;
    struct fw_image img;
    struct mcu_config cfg;
    uint64_t insns;
    uint64_t time_ps;
    uint64_t unknown;
    enum mcu_halt halt;
    char fault[400]; /* name (<256) + kind + PC */
    uint8_t uid[12];
    struct periph periphs[MAX_PERIPHS]; /* dispatch table: core blocks, then the board's */
    unsigned nperiphs;
    struct fw_board *board;
    mcu_dma_fn dma_fn;
    void *dma_state;
    uint32_t irq_level[3];   /* NVIC inputs as driven by the peripherals */
    uint32_t irq_pending[3]; /* latched pending state */
    struct rcc rcc;
    struct flash flash;
    struct systick systick;
};

void mcu_config_defaults(struct mcu_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->base = MCU_DEFAULT_BASE;
    cfg->insn_ps = MCU_DEFAULT_INSN_PS;
    cfg->provision.copy_uid = 1;
}

static void mcu_log(struct mcu *m, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void mcu_log(struct mcu *m, int level, const char *fmt, ...)
{
    if (m->cfg.verbosity < level)
        return;
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (m->cfg.log)
        m->cfg.log(m->cfg.log_user, line);
    else
        fprintf(stderr, "%s\n", line);
}

static uint32_t current_pc(const struct mcu *m)
{
    uint32_t pc = 0;
    uc_reg_read(m->uc, UC_ARM_REG_PC, &pc);
    return pc;
}

/* A register nothing models: counted, logged with address and PC at -v, reads as 0. */
static void unknown_access(struct mcu *m, uint32_t addr, unsigned size, int write, uint64_t v)
{
    m->unknown++;
    if (write)
        mcu_log(m, 1, "%s: unmodelled register write 0x%08x (%u bytes) = 0x%llx at PC 0x%08x",
                m->img.name, (unsigned)addr, size, (unsigned long long)v,
                (unsigned)current_pc(m));
    else
        mcu_log(m, 1, "%s: unmodelled register read 0x%08x (%u bytes) at PC 0x%08x",
                m->img.name, (unsigned)addr, size, (unsigned)current_pc(m));
}

/* The block serving addr, brought up to the access time (its advance hook). */
static const struct periph *find_periph(struct mcu *m, uint32_t addr)
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

/* Byte and half-word accesses reach a model as its 32-bit register, shifted and masked. */
static uint64_t periph_read(uc_engine *uc, uint64_t off, unsigned size, void *user)
{
    (void)uc;
    struct mcu *m = user;
    uint32_t addr = (uint32_t)(PERIPH_BASE + off);
    const struct periph *p = find_periph(m, addr);
    uint32_t word = 0, shift = (addr & 3u) * 8;
    if (p && size <= 4 && (addr & 3u) + size <= 4 &&
        p->read(p->state, (addr & ~3u) - p->base, &word))
        return size == 4 ? word : (word >> shift) & ((1u << (8 * size)) - 1u);
    unknown_access(m, addr, size, 0, 0);
    return 0;
}

static void periph_write(uc_engine *uc, uint64_t off, unsigned size, uint64_t v, void *user)
{
    (void)uc;
    struct mcu *m = user;
    uint32_t addr = (uint32_t)(PERIPH_BASE + off);
    const struct periph *p = find_periph(m, addr);
    if (p && size <= 4 && (addr & 3u) + size <= 4) {
        uint32_t reg = (addr & ~3u) - p->base, word = (uint32_t)v;
        if (size < 4) {
            uint32_t shift = (addr & 3u) * 8, mask = ((1u << (8 * size)) - 1u) << shift;
            uint32_t old = 0;
            if (!p->read(p->state, reg, &old))
                old = 0;
            word = (old & ~mask) | (((uint32_t)v << shift) & mask);
        }
        if (p->write(p->state, reg, word))
            return;
    }
    unknown_access(m, addr, size, 1, v);
}

static uint64_t eeprom_read(uc_engine *uc, uint64_t off, unsigned size, void *user)
{
    (void)uc;
    struct mcu *m = user;
    return flash_window_read(&m->flash, (uint32_t)off, size);
}

static void eeprom_write(uc_engine *uc, uint64_t off, unsigned size, uint64_t v, void *user)
{
    struct mcu *m = user;
    if (flash_window_write(&m->flash, (uint32_t)off, size, (uint32_t)v))
        return;
    snprintf(m->fault, sizeof m->fault, "%s: bad memory access (write to flash 0x%08x without "
             "FLASH_CR.PG, or not a half-word) at PC 0x%08x", m->img.name,
             (unsigned)(FLASH_EEPROM_WINDOW + off), (unsigned)current_pc(m));
    m->halt = HALT_FAULT;
    uc_emu_stop(uc);
}

static uint64_t scs_read(uc_engine *uc, uint64_t off, unsigned size, void *user)
{
    (void)uc;
    struct mcu *m = user;
    uint32_t addr = (uint32_t)(SCS_BASE + off), v = 0;
    if (addr - SYSTICK_BASE < 0x10u && size == 4 &&
        systick_read(&m->systick, m->time_ps, addr - SYSTICK_BASE, &v))
        return v;
    unknown_access(m, addr, size, 0, 0);
    return 0;
}

static void scs_write(uc_engine *uc, uint64_t off, unsigned size, uint64_t v, void *user)
{
    struct mcu *m = user;
    uint32_t addr = (uint32_t)(SCS_BASE + off);
    if (addr == AIRCR && size == 4) {
        /* VECTKEY 0x05FA with SYSRESETREQ (bit 2): the M365 powering itself off. [S] */
        if ((v >> 16) == 0x05FAu && (v & 4u)) {
            m->halt = HALT_POWERED_OFF;
            uc_emu_stop(uc);
        }
        return;
    }
    if (addr - SYSTICK_BASE < 0x10u && size == 4 &&
        systick_write(&m->systick, m->time_ps, addr - SYSTICK_BASE, (uint32_t)v))
        return;
    unknown_access(m, addr, size, 1, v);
}

static int uc_fail(const char *what, uc_err e, char *err, size_t errcap)
{
    snprintf(err, errcap, "firmware emulator: %s: %s", what, uc_strerror(e));
    return BMSRIG_ERR_IO;
}

static void default_uid(uint8_t uid[12])
{
    /* A fixed, plausible ID so runs are reproducible. [I] */
    static const uint8_t id[12] = {0x36, 0xFF, 0xD8, 0x05, 0x42, 0x4D, 0x30, 0x38,
                                   0x21, 0x57, 0x11, 0x43};
    memcpy(uid, id, 12);
}

static int map_memory(struct mcu *m, char *err, size_t errcap)
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
    if ((e = uc_mem_map(m->uc, FW_SRAM_BASE, SRAM_MAP_SIZE, UC_PROT_ALL)))
        return uc_fail("map SRAM", e, err, errcap);
    if ((e = uc_mem_map(m->uc, SYSMEM_PAGE, 0x1000, UC_PROT_READ)))
        return uc_fail("map system memory", e, err, errcap);
    if ((e = uc_mmio_map(m->uc, PERIPH_BASE, PERIPH_SIZE, periph_read, m, periph_write, m)))
        return uc_fail("map peripherals", e, err, errcap);
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

/* EEPROM provisioning (docs/firmware.md): the UID copy at 0x1B4 and the ESC serial at 0x20 of
 * the page at MCU_EEPROM_PAGE, unless the configuration asks for blank pages. */
static void provision(struct mcu *m, const char *serial)
{
    const struct mcu_provision *p = &m->cfg.provision;
    uint8_t *page = m->flash.window + (MCU_EEPROM_PAGE - FLASH_EEPROM_WINDOW);
    if (p->blank)
        return;
    if (p->copy_uid)
        memcpy(page + MCU_EEPROM_UID_OFFSET, m->uid, 12);
    if (!serial)
        serial = MCU_DEFAULT_ESC_SERIAL;
    size_t n = strlen(serial);
    if (n)
        memcpy(page + MCU_EEPROM_SERIAL_OFFSET, serial, n < MCU_SERIAL_LEN ? n : MCU_SERIAL_LEN);
}

int mcu_new(const struct mcu_config *cfg, struct mcu **out, char *err, size_t errcap)
{
    *out = NULL;
    struct mcu *m = calloc(1, sizeof *m);
    if (!m)
        return BMSRIG_ERR_NOMEM;
    m->cfg = *cfg;
    if (!m->cfg.base)
        m->cfg.base = MCU_DEFAULT_BASE;
    if (!m->cfg.insn_ps)
        m->cfg.insn_ps = MCU_DEFAULT_INSN_PS;
    static const uint8_t zero[12];
    if (memcmp(cfg->provision.uid, zero, 12) == 0)
        default_uid(m->uid);
    else
        memcpy(m->uid, cfg->provision.uid, 12);
    int rc = fw_image_load(cfg->image_path, cfg->image, cfg->image_len, cfg->image_name,
                           m->cfg.base, &m->img, err, errcap);
    if (rc != BMSRIG_OK) {
        free(m);
        return rc;
    }
    m->cfg.image_path = NULL; /* the caller's strings are not kept */
    m->cfg.image = NULL;
    m->cfg.image_name = NULL;
    m->cfg.provision.serial = NULL;
    uc_err e = uc_open(UC_ARCH_ARM, UC_MODE_THUMB | UC_MODE_MCLASS, &m->uc);
    if (e) {
        rc = uc_fail("open Unicorn", e, err, errcap);
        mcu_free(m);
        return rc;
    }
    uc_ctl_set_cpu_model(m->uc, UC_CPU_ARM_CORTEX_M3);
    struct periph blk;
    rcc_init(&m->rcc, &blk);
    mcu_add_periph(m, &blk);
    flash_init(&m->flash, &blk);
    mcu_add_periph(m, &blk);
    systick_init(&m->systick, m->cfg.insn_ps);
    rc = fw_board_new(m, &m->board, err, errcap);
    if (rc != BMSRIG_OK) {
        mcu_free(m);
        return rc;
    }
    rc = map_memory(m, err, errcap);
    if (rc != BMSRIG_OK) {
        mcu_free(m);
        return rc;
    }
    provision(m, cfg->provision.serial);
    uint32_t sp = m->img.initial_sp, pc = m->img.reset_vector & ~1u;
    uc_reg_write(m->uc, UC_ARM_REG_SP, &sp);
    uc_reg_write(m->uc, UC_ARM_REG_PC, &pc);
    *out = m;
    return BMSRIG_OK;
}

void mcu_free(struct mcu *m)
{
    if (!m)
        return;
    fw_board_free(m->board);
    if (m->uc)
        uc_close(m->uc);
    fw_image_release(&m->img);
    free(m);
}

static const char *fault_kind(uc_err e)
{
    switch (e) {
    case UC_ERR_READ_UNMAPPED: return "bad memory access (read of unmapped memory)";
    case UC_ERR_WRITE_UNMAPPED: return "bad memory access (write to unmapped memory)";
    case UC_ERR_FETCH_UNMAPPED: return "bad memory access (instruction fetch from unmapped memory)";
    case UC_ERR_WRITE_PROT: return "bad memory access (write to read-only memory)";
    case UC_ERR_FETCH_PROT: return "bad memory access (instruction fetch from non-executable memory)";
    case UC_ERR_READ_UNALIGNED:
    case UC_ERR_WRITE_UNALIGNED:
    case UC_ERR_FETCH_UNALIGNED: return "unaligned memory access";
    case UC_ERR_INSN_INVALID: return "undefined instruction";
    case UC_ERR_EXCEPTION: return "hard fault (undefined instruction or CPU exception)";
    default: return "emulation error";
    }
}

static int halted(const struct mcu *m, char *err, size_t errcap)
{
    if (m->halt == HALT_POWERED_OFF)
        return MCU_POWERED_OFF;
    snprintf(err, errcap, "%s", m->fault);
    return BMSRIG_ERR_STATE;
}

/* The earliest event of SysTick and of every block with a time hook. */
static uint64_t next_event_ps(struct mcu *m)
{
    uint64_t next = systick_next_wrap_ps(&m->systick, m->time_ps);
    for (unsigned i = 0; i < m->nperiphs; i++) {
        const struct periph *p = &m->periphs[i];
        if (p->next_event_ps) {
            uint64_t t = p->next_event_ps(p->state, m->time_ps);
            if (t < next)
                next = t;
        }
    }
    return next;
}

/* Lets every timed block apply the events due by now. */
static void advance_periphs(struct mcu *m)
{
    for (unsigned i = 0; i < m->nperiphs; i++)
        if (m->periphs[i].advance)
            m->periphs[i].advance(m->periphs[i].state, m->time_ps);
}

int mcu_run_until(struct mcu *m, uint64_t t_ns, char *err, size_t errcap)
{
    if (m->halt != HALT_NONE)
        return halted(m, err, errcap);
    uint64_t target_ps = t_ns * 1000u;
    while (m->time_ps < target_ps) {
        uint64_t left = (target_ps - m->time_ps + m->cfg.insn_ps - 1) / m->cfg.insn_ps;
        /* A chunk ends at the next SysTick wrap, so a poll of COUNTFLAG sees it on time
         * (peripherals see the time at the start of the chunk). */
        uint64_t next = next_event_ps(m);
        if (next != PERIPH_NO_EVENT && next > m->time_ps) {
            uint64_t to_next = (next - m->time_ps + m->cfg.insn_ps - 1) / m->cfg.insn_ps;
            if (to_next < left)
                left = to_next;
        }
        size_t count = left < RUN_CHUNK ? (size_t)left : RUN_CHUNK;
        uint32_t pc = current_pc(m);
        uc_err e = uc_emu_start(m->uc, pc | 1u, 0xFFFFFFFFu, 0, count);
        /* Instructions always cost time, so a spinning image still reaches t_ns. */
        m->insns += count;
        m->time_ps += (uint64_t)count * m->cfg.insn_ps;
        advance_periphs(m);
        if (m->halt != HALT_NONE)
            return halted(m, err, errcap);
        if (e != UC_ERR_OK) {
            snprintf(m->fault, sizeof m->fault, "%s: %s at PC 0x%08x", m->img.name,
                     fault_kind(e), (unsigned)current_pc(m));
            m->halt = HALT_FAULT;
            return halted(m, err, errcap);
        }
    }
    return BMSRIG_OK;
}

uint64_t mcu_time_ns(const struct mcu *m) { return m->time_ps / 1000u; }
uint64_t mcu_instructions(const struct mcu *m) { return m->insns; }
uint32_t mcu_pc(const struct mcu *m) { return current_pc(m); }
uint64_t mcu_unknown_accesses(const struct mcu *m) { return m->unknown; }

/* ---- services for peripheral models (periph/periph.h, board/board.h) ---- */

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

uint64_t mcu_now_ps(const struct mcu *m) { return m->time_ps; }
uint32_t mcu_hclk_ps(const struct mcu *m) { return m->cfg.insn_ps; }
struct fw_board *mcu_board(const struct mcu *m) { return m->board; }

void mcu_irq_set(struct mcu *m, unsigned irq, int level)
{
    if (irq >= NUM_IRQS)
        return;
    uint32_t bit = 1u << (irq % 32);
    unsigned w = irq / 32;
    if (level && !(m->irq_level[w] & bit))
        m->irq_pending[w] |= bit;
    if (level)
        m->irq_level[w] |= bit;
    else
        m->irq_level[w] &= ~bit;
}

void mcu_set_dma_handler(struct mcu *m, mcu_dma_fn fn, void *state)
{
    m->dma_fn = fn;
    m->dma_state = state;
}

int mcu_dma_request(struct mcu *m, unsigned channel)
{
    if (!m->dma_fn || channel < 1 || channel > 7)
        return 0;
    return m->dma_fn(m->dma_state, channel);
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
    if (addr - PERIPH_BASE < PERIPH_SIZE) {
        const struct periph *p = find_periph(m, addr);
        uint32_t word;
        if (!p || !p->read(p->state, (addr & ~3u) - p->base, &word))
            return BMSRIG_ERR_ARG;
        uint32_t shift = (addr & 3u) * 8;
        *value = size == 4 ? word : (word >> shift) & ((1u << (8 * size)) - 1u);
        return BMSRIG_OK;
    }
    if (addr - FW_SRAM_BASE < SRAM_MAP_SIZE || addr - FW_FLASH_BASE < FW_FLASH_SIZE) {
        uint8_t b[4];
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
    if (addr - PERIPH_BASE < PERIPH_SIZE) {
        const struct periph *p = find_periph(m, addr);
        if (!p)
            return BMSRIG_ERR_ARG;
        uint32_t reg = (addr & ~3u) - p->base, word = value;
        if (size < 4) {
            uint32_t shift = (addr & 3u) * 8, mask = ((1u << (8 * size)) - 1u) << shift, old;
            if (!p->read(p->state, reg, &old))
                old = 0;
            word = (old & ~mask) | ((value << shift) & mask);
        }
        return p->write(p->state, reg, word) ? BMSRIG_OK : BMSRIG_ERR_ARG;
    }
    if (addr - FW_SRAM_BASE < SRAM_MAP_SIZE) {
        uint8_t b[4];
        for (unsigned i = 0; i < size; i++)
            b[i] = (uint8_t)(value >> (8 * i));
        return uc_mem_write(m->uc, addr, b, size) ? BMSRIG_ERR_ARG : BMSRIG_OK;
    }
    return BMSRIG_ERR_ARG;
}

void mcu_events_changed(struct mcu *m)
{
    (void)m; /* next_event_ps is asked again before every run chunk */
}
