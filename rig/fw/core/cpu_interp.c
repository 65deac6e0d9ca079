/* cpu_interp.c: the "interp" CPU backend: the plain-C ARMv7-M interpreter of rig/fw/cpu/ runs the
 * image. Flash below the EEPROM window and SRAM are reached directly (an SRAM load still tells
 * the polling-loop detector, as the Unicorn backend's SRAM callback does); every other access
 * goes through the memory map's dispatch (memmap_cpu_read/write), the same callbacks Unicorn
 * has mapped. Before each instruction mcu_insn_begin accounts its time and may end the chunk,
 * exactly as under Unicorn's per-instruction hook; SVC, exception-exit branches, WFI and the
 * CPU's faults go to the same core functions with the same messages. */
#include <stdlib.h>
#include <string.h>

#include "mcu_internal.h"
#include "armv7m.h"

/* Code is fetched (and data read directly) from flash below the EEPROM window only: the window
 * is the flash model's, and no image reaches past it (60 KiB from 0x08000000). [D] flash.h */
#define DIRECT_FLASH_SIZE (FLASH_EEPROM_WINDOW - FW_FLASH_BASE)

struct interp_cpu {
    struct armv7m cpu;
    uint32_t pc;        /* the executing instruction (what PC reads inside a step) */
    int stepping;       /* inside armv7m_step */
    int stop;           /* stop requested by a callback */
    int read_only;      /* the last failed write was to flash or system memory */
    struct mcu *m;
};

_Static_assert((int)FW_CONTROL == (int)ARMV7M_CONTROL && (int)FW_XPSR == (int)ARMV7M_XPSR,
               "enum fw_reg follows enum armv7m_reg");

static struct interp_cpu *state(const struct mcu *m) { return m->cpu_state; }

static uint32_t ib_reg_read(const struct mcu *m, enum fw_reg r)
{
    const struct interp_cpu *s = state(m);
    if (r == FW_PC && s->stepping)
        return s->pc;
    return armv7m_get(&s->cpu, (enum armv7m_reg)r);
}

static void ib_reg_write(struct mcu *m, enum fw_reg r, uint32_t v)
{
    armv7m_set(&state(m)->cpu, (enum armv7m_reg)r, v);
}

static void ib_regs_read(const struct mcu *m, const enum fw_reg *ids, uint32_t *out, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        out[i] = ib_reg_read(m, ids[i]);
}

static void ib_stop(struct mcu *m) { state(m)->stop = 1; }

static void sram_loaded(void *user, uint32_t addr, uint32_t value)
{
    idle_on_read(user, addr, value);
}

static int bus_read(void *user, uint32_t addr, unsigned size, uint32_t *value)
{
    return memmap_cpu_read(user, addr, size, value);
}

static int bus_write(void *user, uint32_t addr, unsigned size, uint32_t value)
{
    struct mcu *m = user;
    int rc = memmap_cpu_write(m, addr, size, value);
    state(m)->read_only = rc < 0;
    return rc > 0;
}

static const char *fault_text(const struct interp_cpu *s, enum armv7m_event e)
{
    if (e == ARMV7M_FAULT_WRITE && s->read_only)
        return "bad memory access (write to read-only memory)";
    return armv7m_event_name(e);
}

/* A fetch outside the directly reached flash: from memory Unicorn maps without execute
 * permission (SRAM, system memory, the EEPROM window, registers), or from nothing. */
static const char *fetch_fault(uint32_t pc)
{
    int mapped = pc - FW_FLASH_BASE < FW_FLASH_SIZE || pc - FW_SRAM_BASE < SRAM_MAP_SIZE ||
                 pc - SRAM_BB_BASE < SRAM_MAP_SIZE * 32u || pc - SYSMEM_PAGE < SYSMEM_SIZE ||
                 pc - PERIPH_BASE < PERIPH_SIZE || pc - PERIPH_BB_BASE < PERIPH_SIZE * 32u ||
                 pc - SCS_BASE < SCS_SIZE;
    return mapped ? "bad memory access (instruction fetch from non-executable memory)"
                  : armv7m_event_name(ARMV7M_FAULT_FETCH);
}

static int ib_run(struct mcu *m, const char **kind)
{
    struct interp_cpu *s = state(m);
    struct armv7m *c = &s->cpu;
    const uint8_t *rom = m->rom;
    c->ipsr = m->nvic.ipsr & 0x1FFu; /* changes only between runs (entry, return) */
    s->stop = 0;
    for (;;) {
        uint32_t pc = c->r[15], off = pc - FW_FLASH_BASE;
        if (off > DIRECT_FLASH_SIZE - 2u) {
            *kind = fetch_fault(pc);
            return 1;
        }
        uint32_t hw = (uint32_t)rom[off] | (uint32_t)rom[off + 1] << 8;
        uint32_t size = (hw >> 11) >= 0x1Du ? 4u : 2u;
        /* An instruction its IT block skips is stepped over without the accounting: Unicorn
         * 2.0.1 calls its per-instruction hook only for those that execute, so there it costs
         * no time (docs/firmware.md). [O] fw_lockstep */
        if (c->it && armv7m_it_skips(c, hw)) {
            armv7m_step(c);
            continue;
        }
        if (mcu_insn_begin_inline(m, pc, size))
            return 0;
        s->pc = pc;
        s->stepping = 1;
        enum armv7m_event e = armv7m_step(c);
        s->stepping = 0;
        switch (e) {
        case ARMV7M_OK:
        case ARMV7M_SEV: /* the event register is set by mcu_insn_begin's marks */
        case ARMV7M_WFE: /* only inside an IT block (else the core handled it): a NOP */
            break;
        case ARMV7M_WFI:
            return 0; /* the run loop finds the WFI before PC and sleeps */
        case ARMV7M_SVC:
            exception_svc(m, c->r[15]);
            return 0;
        case ARMV7M_EXC_RETURN:
            exception_exit_branch(m, c->r[15] | 1u);
            return 0;
        case ARMV7M_FAULT_INVSTATE:
            /* The part faults at the target, as Unicorn reports it. [S] A2.3.1 */
            mcu_cpu_fault(m, fault_text(s, e), c->fault_addr & ~1u);
            return 0;
        default:
            mcu_cpu_fault(m, fault_text(s, e), pc);
            return 0;
        }
        if (s->stop)
            return 0;
    }
}

static void ib_close(struct mcu *m)
{
    free(m->cpu_state);
    m->cpu_state = NULL;
}

static int ib_open(struct mcu *m, char *err, size_t errcap)
{
    (void)err; (void)errcap;
    struct interp_cpu *s = calloc(1, sizeof *s);
    if (!s)
        return BMSRIG_ERR_NOMEM;
    m->cpu_state = s;
    s->m = m;
    struct armv7m_bus *b = &s->cpu.bus;
    b->flash = m->rom;
    b->flash_base = FW_FLASH_BASE;
    b->flash_size = DIRECT_FLASH_SIZE;
    b->sram = m->sram;
    b->sram_base = FW_SRAM_BASE;
    b->sram_size = SRAM_MAP_SIZE;
    b->sram_loaded = sram_loaded;
    b->read = bus_read;
    b->write = bus_write;
    b->user = m;
    b->ccr = &m->nvic.ccr; /* DIV_0_TRP, UNALIGN_TRP */
    armv7m_reset(&s->cpu, 0, 0);
    /* The flags are UNKNOWN after reset [S] B1.5.5; Unicorn's (QEMU's zeroed CPU state) read as
     * Z set, and an image may test them before setting them: start alike. [O] fw_lockstep */
    s->cpu.z = 1;
    return BMSRIG_OK;
}

const struct fw_cpu_backend fw_cpu_interp = {
    .name = "interp",
    .description = "the plain-C ARMv7-M interpreter (rig/fw/cpu)",
    .open = ib_open,
    .close = ib_close,
    .reg_read = ib_reg_read,
    .reg_write = ib_reg_write,
    .regs_read = ib_regs_read,
    .run = ib_run,
    .stop = ib_stop,
};
