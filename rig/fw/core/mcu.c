/* mcu.c: the emulated STM32F103's life cycle and its run loop in virtual time: every executed
 * instruction costs insn_ps; a run chunk ends exactly at the next peripheral or SysTick event
 * (mcu_insn_begin, called by the CPU backend before each instruction, compares the time with
 * the chunk's end), where the models are
 * advanced and a pending exception is taken; WFI sleeps until the next event that wakes the
 * core. Memory map and dispatch: memmap.c; exceptions: exception.c; polling loops: idle.c. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcu_internal.h"
#include "board/board.h"
#include "marks.h"

void mcu_config_defaults(struct mcu_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->base = MCU_DEFAULT_BASE;
    cfg->insn_ps = MCU_DEFAULT_INSN_PS;
    cfg->provision.copy_uid = 1;
}

void mcu_log(struct mcu *m, int level, const char *fmt, ...)
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

uint32_t mcu_current_pc(const struct mcu *m)
{
    return cpu_reg(m, FW_PC);
}

/* The first fault stops the MCU for good; its message is what every later run returns. */
void mcu_set_fault(struct mcu *m, const char *fmt, ...)
{
    if (m->halt != HALT_NONE)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->fault, sizeof m->fault, fmt, ap);
    va_end(ap);
    m->halt = HALT_FAULT;
    m->stop = STOP_HALT;
    if (m->in_emu)
        m->cpu->stop(m);
}

void mcu_cpu_fault(struct mcu *m, const char *kind, uint32_t pc)
{
    mcu_set_fault(m, "%s: %s at PC 0x%08x", m->img.name, kind, (unsigned)pc);
    m->cpu_fault = 1;
    m->cpu_fault_pc = pc;
}

void mcu_reschedule(struct mcu *m)
{
    if (m->in_emu)
        m->stop_ps = 0;
}

/* How many of the instructions after the current one are still inside a Thumb IT block that
 * one of the last four instructions opened (0: the current one is outside any). Read only when
 * a chunk is about to end. */
static unsigned it_block_left(struct mcu *m)
{
    for (unsigned k = 1; k <= 4; k++) {
        uint32_t a = m->recent[(m->recent_pos - k) & 3u];
        uint16_t hw = 0;
        if (!a || !memmap_rom_read(m, a, &hw, 2))
            continue;
        if ((hw & 0xFF00u) != 0xBF00u || !(hw & 0xFu))
            continue; /* not an IT (0xBFxy, y != 0: a hint otherwise) */
        unsigned mask = hw & 0xFu;
        unsigned len = (mask & 1u) ? 4u : (mask & 2u) ? 3u : (mask & 4u) ? 2u : 1u;
        if (k <= len)
            return len - k + 1u; /* the current one and those after it in the block */
    }
    return 0;
}

/* The MRS before this instruction read IPSR as Unicorn keeps it (0): OR in the exception the
 * core is handling, as the part's MRS IPSR/xPSR/IAPSR/IEPSR give it. [S] B5.2.2 */
static void fix_ipsr_read(struct mcu *m)
{
    enum fw_reg id = (enum fw_reg)(FW_R0 + (m->fix_rd - 1u));
    cpu_set_reg(m, id, cpu_reg(m, id) | m->fix_ipsr);
    m->fix_rd = 0;
}

/* An instruction the core handles itself (marks.h), before it executes. WFE with the event
 * register set clears it and goes on; else the core sleeps from the next instruction on. In an
 * IT block (Unicorn cannot stop there) a WFE is left to the backend. 1: end the chunk. */
static int on_marked(struct mcu *m, uint32_t addr, uint32_t size, uint8_t mark)
{
    switch (mark & 0xFu) {
    case MARK_MRS_IPSR:
        m->fix_rd = (mark >> 4) + 1u;
        m->fix_ipsr = m->nvic.ipsr & 0x1FFu;
        break;
    case MARK_SEV:
        m->event = 1;
        break;
    case MARK_WFE:
        /* Unicorn must not run it (it raises an internal exception there): the run stops
         * before it and goes on after it. */
        if (!it_block_left(m)) {
            m->wfe_resume = addr + size;
            m->wfe_sleeps = !m->event;
            m->event = 0;
            m->stop = STOP_WFE;
            return 1;
        }
        break;
    default:
        break;
    }
    return 0;
}

/* Every instruction: end the chunk at its time (or at insn_limit), or when a mask register that
 * held back a pending exception changed (CPSIE, MSR BASEPRI); else account the instruction. A
 * chunk never ends inside a Thumb IT block: Unicorn loses the IT condition when it restarts
 * there (unicorn-engine/unicorn #853), which made __aeabi_dmul spin for good; the block runs on
 * (the interpreter follows the same rule, so both backends count time alike). */
int mcu_insn_begin(struct mcu *m, uint32_t addr, uint32_t size)
{
    if (m->fix_rd)
        fix_ipsr_read(m);
    if (m->it_left) {
        m->it_left--;
    } else if (m->time_ps >= m->stop_ps || m->watch_masks || m->insns >= m->insn_limit) {
        unsigned left = it_block_left(m);
        if (left) {
            m->it_left = left - 1u;
        } else if (m->time_ps >= m->stop_ps || m->insns >= m->insn_limit) {
            if (m->stop == STOP_NONE)
                m->stop = STOP_TIME;
            return 1;
        } else {
            uint32_t primask = cpu_reg(m, FW_PRIMASK), basepri = cpu_reg(m, FW_BASEPRI),
                     faultmask = cpu_reg(m, FW_FAULTMASK);
            if (primask != m->watched[0] || basepri != m->watched[1] ||
                faultmask != m->watched[2]) {
                m->stop = STOP_EXCEPTION;
                return 1;
            }
        }
    }
    int end = 0;
    uint32_t off = addr - m->img.base;
    if (off < m->img.len && m->marks[off >> 1] && on_marked(m, addr, size, m->marks[off >> 1]))
        end = 2;
    m->recent[m->recent_pos++ & 3u] = addr;
    m->time_ps += m->insn_ps;
    m->insns++;
    return end;
}

static void default_uid(uint8_t uid[12])
{
    /* A fixed, plausible ID so runs are reproducible. [I] */
    static const uint8_t id[12] = {0x36, 0xFF, 0xD8, 0x05, 0x42, 0x4D, 0x30, 0x38,
                                   0x21, 0x57, 0x11, 0x43};
    memcpy(uid, id, 12);
}

static void provision(struct mcu *m, const struct mcu_provision *p)
{
    uint8_t *page = m->flash.window + (MCU_EEPROM_PAGE - FLASH_EEPROM_WINDOW);
    const char *serial = p->serial;
    if (p->blank)
        return;
    if (p->eeprom)
        memcpy(page, p->eeprom, p->eeprom_len < MCU_EEPROM_LEN ? p->eeprom_len : MCU_EEPROM_LEN);
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
    m->insn_ps = m->cfg.insn_ps;
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
    m->marks = marks_scan(m->img.bytes, m->img.len);
    if (!m->marks) {
        fw_image_release(&m->img);
        free(m);
        return BMSRIG_ERR_NOMEM;
    }
    m->cfg.image_path = NULL; /* the caller's strings are not kept */
    m->cfg.image = NULL;
    m->cfg.image_name = NULL;
    m->cfg.provision.serial = NULL;
    m->cfg.provision.eeprom = NULL;
    m->cpu = fw_cpu_find(cfg->cpu);
    if (!m->cpu) {
        snprintf(err, errcap, "firmware emulator: unknown CPU backend '%s'", cfg->cpu);
        mcu_free(m);
        return BMSRIG_ERR_ARG;
    }
    m->cfg.cpu = NULL;
    m->insn_limit = UINT64_MAX;
    struct periph blk;
    rcc_init(&m->rcc, &blk);
    mcu_add_periph(m, &blk);
    flash_init(&m->flash, &blk);
    mcu_add_periph(m, &blk);
    systick_init(&m->systick, m->cfg.insn_ps);
    /* VTOR as the (absent) bootloader leaves it: at the image. [I] */
    nvic_reset(&m->nvic, m->img.base);
    rc = fw_board_new(m, &m->board, err, errcap);
    if (rc == BMSRIG_OK) {
        memmap_load(m);
        rc = m->cpu->open(m, err, errcap);
    }
    if (rc != BMSRIG_OK) {
        mcu_free(m);
        return rc;
    }
    mcu_log(m, 1, "emulated CPU: %s (%s)", m->cpu->name, m->cpu->description);
    provision(m, &cfg->provision);
    uint32_t sp = m->img.initial_sp, pc = m->img.reset_vector & ~1u;
    cpu_set_reg(m, FW_SP, sp);
    cpu_set_reg(m, FW_PC, pc);
    *out = m;
    return BMSRIG_OK;
}

void mcu_free(struct mcu *m)
{
    if (!m)
        return;
    fw_board_free(m->board);
    if (m->cpu_state)
        m->cpu->close(m);
    fw_image_release(&m->img);
    free((void *)m->marks);
    free(m);
}

static int halted(const struct mcu *m, char *err, size_t errcap)
{
    if (m->halt == HALT_POWERED_OFF)
        return MCU_POWERED_OFF;
    snprintf(err, errcap, "%s", m->fault);
    return BMSRIG_ERR_STATE;
}

/* The models catch up with the time: due events, the SysTick exception. */
static void service(struct mcu *m)
{
    for (unsigned i = 0; i < m->nperiphs; i++)
        if (m->periphs[i].advance)
            m->periphs[i].advance(m->periphs[i].state, m->time_ps);
    if (systick_take_irq(&m->systick, m->time_ps))
        nvic_pend(&m->nvic, EXC_SYSTICK);
}

/* 1 if the instruction before pc was WFI (16- or 32-bit encoding). */
static int after_wfi(struct mcu *m, uint32_t pc)
{
    uint8_t b[4];
    if (memmap_rom_read(m, pc - 2, b, 2) && (b[0] | b[1] << 8) == 0xBF30)
        return 1;
    return memmap_rom_read(m, pc - 4, b, 4) &&
           (b[0] | b[1] << 8) == 0xF3AF && (b[2] | b[3] << 8) == 0x8003;
}

int mcu_run_until(struct mcu *m, uint64_t t_ns, char *err, size_t errcap)
{
    if (m->halt != HALT_NONE)
        return halted(m, err, errcap);
    uint64_t target = t_ns * 1000u;
    m->target_ps = target;
    while (m->time_ps < target && m->insns < m->insn_limit) {
        service(m);
        if (exception_take_pending(m) < 0)
            return halted(m, err, errcap);
        uint64_t next = idle_next_event_ps(m, 0);
        if (next > target)
            next = target;
        if (m->sleeping) {
            if (m->sleep_wfe ? m->event : exception_wakes(m)) {
                /* WFI: woken, but the exception waits for PRIMASK. WFE: an event (a taken
                 * exception has already ended the sleep). */
                m->sleeping = 0;
                if (m->sleep_wfe)
                    m->event = 0;
            } else {
                if (next > m->time_ps) {
                    m->slept_ps += next - m->time_ps;
                    m->time_ps = next;
                    m->tail_chain = 0;
                }
                continue;
            }
        }
        m->stop_ps = next > m->time_ps ? next : m->time_ps + 1u; /* at least one instruction */
        if (m->watch_masks) {
            m->watched[0] = cpu_reg(m, FW_PRIMASK);
            m->watched[1] = cpu_reg(m, FW_BASEPRI);
            m->watched[2] = cpu_reg(m, FW_FAULTMASK);
        }
        m->stop = STOP_NONE;
        m->tail_chain = 0; /* an instruction runs before the next entry */
        uint64_t insns_before = m->insns;
        m->in_emu = 1;
        const char *kind = NULL;
        int e = m->cpu->run(m, &kind);
        m->in_emu = 0;
        if (e != 0 && m->halt == HALT_NONE)
            mcu_cpu_fault(m, kind, mcu_current_pc(m));
        if (m->halt != HALT_NONE) {
            if (m->halt == HALT_FAULT && m->cpu_fault)
                exception_enter_hardfault(m);
            return halted(m, err, errcap);
        }
        if (m->stop == STOP_WFE) {
            cpu_set_reg(m, FW_PC, m->wfe_resume | 1u);
            m->sleeping = m->wfe_sleeps;
            m->sleep_wfe = 1;
        } else if (m->stop == STOP_EXC_RETURN) {
            if (exception_return(m) < 0)
                return halted(m, err, errcap);
        } else if (m->stop == STOP_NONE) {
            /* Not stopped by the core's hooks: the CPU halted in WFI. */
            if (after_wfi(m, mcu_current_pc(m))) {
                m->sleeping = 1;
                m->sleep_wfe = 0;
            }
            else if (m->insns == insns_before) {
                mcu_set_fault(m, "%s: emulation stopped without progress at PC 0x%08x",
                              m->img.name, (unsigned)mcu_current_pc(m));
                return halted(m, err, errcap);
            }
        }
    }
    return BMSRIG_OK;
}

int mcu_run_insns(struct mcu *m, uint64_t t_ns, uint64_t max_insns, char *err, size_t errcap)
{
    m->insn_limit = max_insns;
    int rc = mcu_run_until(m, t_ns, err, errcap);
    m->insn_limit = UINT64_MAX;
    return rc;
}

/* ---- read-outs ---- */

void mcu_core_regs(const struct mcu *m, uint32_t regs[MCU_CORE_REGS])
{
    for (unsigned i = 0; i < MCU_CORE_REGS && i < FW_REG_COUNT; i++)
        regs[i] = cpu_reg(m, (enum fw_reg)i);
    regs[FW_XPSR] &= ~0x1FFu; /* the IPSR field is the core's, not the backend's */
}

const char *mcu_core_reg_name(unsigned i)
{
    static const char *const names[MCU_CORE_REGS] = {
        "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11", "r12",
        "sp", "lr", "pc", "xpsr", "msp", "psp", "primask", "basepri", "faultmask", "control"};
    return i < MCU_CORE_REGS ? names[i] : "?";
}

uint64_t mcu_time_ns(const struct mcu *m) { return m->time_ps / 1000u; }
uint64_t mcu_instructions(const struct mcu *m) { return m->insns; }
uint32_t mcu_pc(const struct mcu *m) { return mcu_current_pc(m); }
uint64_t mcu_unknown_accesses(const struct mcu *m) { return m->unknown; }
uint64_t mcu_idle_ns(const struct mcu *m) { return (m->slept_ps + m->polled_ps) / 1000u; }
uint64_t mcu_exceptions_taken(const struct mcu *m) { return m->exceptions; }

int mcu_read_memory(struct mcu *m, uint32_t addr, void *buf, size_t n)
{
    uint8_t *out = buf;
    for (size_t i = 0; i < n; i++) {
        uint32_t v;
        if (mcu_bus_read(m, addr + (uint32_t)i, 1, &v) != BMSRIG_OK || addr + i >= PERIPH_BASE)
            return BMSRIG_ERR_ARG;
        out[i] = (uint8_t)v;
    }
    return BMSRIG_OK;
}

/* ---- services for peripheral models (periph/periph.h, board/board.h) ---- */

uint64_t mcu_now_ps(const struct mcu *m) { return m->time_ps; }
uint32_t mcu_hclk_ps(const struct mcu *m) { return m->cfg.insn_ps; }
struct fw_board *mcu_board(const struct mcu *m) { return m->board; }

void mcu_irq_set(struct mcu *m, unsigned irq, int level)
{
    if (nvic_set_line(&m->nvic, irq, level)) {
        if (m->nvic.scr & 0x10u)
            m->event = 1; /* SEVONPEND: a new pending interrupt is an event [S] B3.2.7 */
        mcu_reschedule(m);
    }
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

void mcu_events_changed(struct mcu *m)
{
    /* next_event_ps is asked again before every chunk; inside one, end it now. */
    mcu_reschedule(m);
}
