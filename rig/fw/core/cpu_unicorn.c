/* cpu_unicorn.c: the "unicorn" CPU backend: Debian's Unicorn 2 (QEMU's Cortex-M3) executes the
 * image; flash and system memory are Unicorn RAM, every other region is MMIO on the memory
 * map's callbacks (memmap.c); a per-instruction hook calls mcu_insn_begin; SVC, the
 * exception-exit branch and the CPU's faults come through the interrupt hook. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicorn/unicorn.h>

#include "mcu_internal.h"

/* Unicorn's (QEMU's) ARM exception numbers as passed to UC_HOOK_INTR. [S] target/arm/cpu.h */
enum {
    QEXCP_UDEF = 1, QEXCP_SWI = 2, QEXCP_PREFETCH_ABORT = 3, QEXCP_DATA_ABORT = 4,
    QEXCP_BKPT = 7, QEXCP_EXCEPTION_EXIT = 8, QEXCP_NOCP = 17, QEXCP_INVSTATE = 18,
    QEXCP_UNALIGNED = 22
};

struct uc_cpu {
    uc_engine *uc;
    uc_hook hook_code, hook_intr;
};

static uc_engine *engine(const struct mcu *m) { return ((struct uc_cpu *)m->cpu_state)->uc; }

static const int uc_ids[FW_REG_COUNT] = {
    UC_ARM_REG_R0, UC_ARM_REG_R1, UC_ARM_REG_R2, UC_ARM_REG_R3, UC_ARM_REG_R4, UC_ARM_REG_R5,
    UC_ARM_REG_R6, UC_ARM_REG_R7, UC_ARM_REG_R8, UC_ARM_REG_R9, UC_ARM_REG_R10, UC_ARM_REG_R11,
    UC_ARM_REG_R12, UC_ARM_REG_SP, UC_ARM_REG_LR, UC_ARM_REG_PC, UC_ARM_REG_XPSR,
    UC_ARM_REG_MSP, UC_ARM_REG_PSP, UC_ARM_REG_PRIMASK, UC_ARM_REG_BASEPRI,
    UC_ARM_REG_FAULTMASK, UC_ARM_REG_CONTROL};

static uint32_t ucb_reg_read(const struct mcu *m, enum fw_reg r)
{
    uint32_t v = 0;
    uc_reg_read(engine(m), uc_ids[r], &v);
    return v;
}

static void ucb_reg_write(struct mcu *m, enum fw_reg r, uint32_t v)
{
    uc_reg_write(engine(m), uc_ids[r], &v);
}

static void ucb_regs_read(const struct mcu *m, const enum fw_reg *ids, uint32_t *out, unsigned n)
{
    int idv[FW_REG_COUNT];
    void *ptrs[FW_REG_COUNT];
    if (n > FW_REG_COUNT)
        n = FW_REG_COUNT;
    for (unsigned i = 0; i < n; i++) {
        out[i] = 0;
        idv[i] = uc_ids[ids[i]];
        ptrs[i] = &out[i];
    }
    uc_reg_read_batch(engine(m), idv, ptrs, (int)n);
}

static void ucb_stop(struct mcu *m) { uc_emu_stop(engine(m)); }

static void on_insn(uc_engine *uc, uint64_t addr, uint32_t size, void *user)
{
    if (mcu_insn_begin(user, (uint32_t)addr, size))
        uc_emu_stop(uc);
}

/* SVC, the exception-exit branch and the CPU's faults. */
static void on_interrupt(uc_engine *uc, uint32_t intno, void *user)
{
    (void)uc;
    struct mcu *m = user;
    uint32_t pc = mcu_current_pc(m);
    const char *kind = NULL;
    switch (intno) {
    case QEXCP_EXCEPTION_EXIT:
        exception_exit_branch(m, pc | 1u); /* PC holds the EXC_RETURN value without its bit 0 */
        return;
    case QEXCP_SWI:
        exception_svc(m, pc);
        return;
    case QEXCP_UDEF: case QEXCP_NOCP: kind = "undefined instruction"; break;
    case QEXCP_INVSTATE: kind = "hard fault (invalid state: branch to an ARM address)"; break;
    case QEXCP_PREFETCH_ABORT: kind = "bad memory access (instruction fetch from non-executable "
                                      "memory)"; break;
    case QEXCP_DATA_ABORT: kind = "bad memory access (data abort)"; break;
    case QEXCP_UNALIGNED: kind = "unaligned memory access"; break;
    case QEXCP_BKPT: kind = "breakpoint instruction (BKPT)"; break;
    default: kind = "hard fault (CPU exception)"; break;
    }
    mcu_cpu_fault(m, kind, pc);
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

static int ucb_run(struct mcu *m, const char **kind)
{
    uc_err e = uc_emu_start(engine(m), mcu_current_pc(m) | 1u, 0, 0, 0);
    if (e == UC_ERR_OK)
        return 0;
    /* An interworking branch to an even address cleared EPSR.T: Unicorn then finds no Thumb
     * instruction at the target; the part takes an INVSTATE UsageFault there. [O] mcu_core */
    if (e == UC_ERR_INSN_INVALID && !(cpu_reg(m, FW_XPSR) & (1u << 24)))
        *kind = "hard fault (invalid state: branch to an ARM address)";
    else
        *kind = fault_kind(e);
    return 1;
}

/* The memory map's MMIO regions as Unicorn callbacks. */
#define UC_REGION(name)                                                                      \
    static uint64_t uc_##name##_read(uc_engine *uc, uint64_t off, unsigned size, void *user) \
    {                                                                                        \
        (void)uc;                                                                            \
        return memmap_##name##_read(user, off, size);                                        \
    }                                                                                        \
    static void uc_##name##_write(uc_engine *uc, uint64_t off, unsigned size, uint64_t v,    \
                                  void *user)                                                \
    {                                                                                        \
        (void)uc;                                                                            \
        memmap_##name##_write(user, off, size, v);                                           \
    }
UC_REGION(periph)
UC_REGION(periph_bb)
UC_REGION(sram)
UC_REGION(sram_bb)
UC_REGION(eeprom)
UC_REGION(scs)

static int uc_fail(const char *what, uc_err e, char *err, size_t errcap)
{
    snprintf(err, errcap, "firmware emulator: %s: %s", what, uc_strerror(e));
    return BMSRIG_ERR_IO;
}

static int map(struct mcu *m, uc_engine *uc, char *err, size_t errcap)
{
    uc_err e;
    uint32_t win = FLASH_EEPROM_WINDOW, win_end = win + FLASH_EEPROM_WINDOW_SIZE;
    if ((e = uc_mem_map(uc, FW_FLASH_BASE, win - FW_FLASH_BASE, UC_PROT_READ | UC_PROT_EXEC)))
        return uc_fail("map flash", e, err, errcap);
    if ((e = uc_mmio_map(uc, win, FLASH_EEPROM_WINDOW_SIZE, uc_eeprom_read, m, uc_eeprom_write,
                         m)))
        return uc_fail("map flash-EEPROM pages", e, err, errcap);
    if ((e = uc_mem_map(uc, win_end, FW_FLASH_BASE + FW_FLASH_SIZE - win_end,
                        UC_PROT_READ | UC_PROT_EXEC)))
        return uc_fail("map flash", e, err, errcap);
    if ((e = uc_mmio_map(uc, FW_SRAM_BASE, SRAM_MAP_SIZE, uc_sram_read, m, uc_sram_write, m)))
        return uc_fail("map SRAM", e, err, errcap);
    if ((e = uc_mmio_map(uc, SRAM_BB_BASE, SRAM_MAP_SIZE * 32u, uc_sram_bb_read, m,
                         uc_sram_bb_write, m)))
        return uc_fail("map SRAM bit-band alias", e, err, errcap);
    if ((e = uc_mem_map(uc, SYSMEM_PAGE, SYSMEM_SIZE, UC_PROT_READ)))
        return uc_fail("map system memory", e, err, errcap);
    if ((e = uc_mmio_map(uc, PERIPH_BASE, PERIPH_SIZE, uc_periph_read, m, uc_periph_write, m)))
        return uc_fail("map peripherals", e, err, errcap);
    if ((e = uc_mmio_map(uc, PERIPH_BB_BASE, PERIPH_SIZE * 32u, uc_periph_bb_read, m,
                         uc_periph_bb_write, m)))
        return uc_fail("map peripheral bit-band alias", e, err, errcap);
    if ((e = uc_mmio_map(uc, SCS_BASE, SCS_SIZE, uc_scs_read, m, uc_scs_write, m)))
        return uc_fail("map system control space", e, err, errcap);
    e = uc_mem_write(uc, FW_FLASH_BASE, m->rom, win - FW_FLASH_BASE);
    if (!e)
        e = uc_mem_write(uc, win_end, m->rom + (win_end - FW_FLASH_BASE),
                         FW_FLASH_BASE + FW_FLASH_SIZE - win_end);
    if (!e)
        e = uc_mem_write(uc, SYSMEM_PAGE, m->sysmem, SYSMEM_SIZE);
    if (e)
        return uc_fail("load image", e, err, errcap);
    return BMSRIG_OK;
}

static void ucb_close(struct mcu *m)
{
    struct uc_cpu *s = m->cpu_state;
    if (s->uc)
        uc_close(s->uc);
    free(s);
    m->cpu_state = NULL;
}

static int ucb_open(struct mcu *m, char *err, size_t errcap)
{
    struct uc_cpu *s = calloc(1, sizeof *s);
    if (!s)
        return BMSRIG_ERR_NOMEM;
    m->cpu_state = s;
    uc_err e = uc_open(UC_ARCH_ARM, UC_MODE_THUMB | UC_MODE_MCLASS, &s->uc);
    if (e) {
        s->uc = NULL;
        snprintf(err, errcap, "firmware emulator: open Unicorn: %s", uc_strerror(e));
        return BMSRIG_ERR_IO;
    }
    uc_ctl_set_cpu_model(s->uc, UC_CPU_ARM_CORTEX_M3);
    int rc = map(m, s->uc, err, errcap);
    if (rc == BMSRIG_OK &&
        (uc_hook_add(s->uc, &s->hook_code, UC_HOOK_CODE, (void *)on_insn, m, 1, 0) ||
         uc_hook_add(s->uc, &s->hook_intr, UC_HOOK_INTR, (void *)on_interrupt, m, 1, 0))) {
        snprintf(err, errcap, "firmware emulator: cannot install the core's hooks");
        rc = BMSRIG_ERR_IO;
    }
    return rc;
}

const struct fw_cpu_backend fw_cpu_unicorn = {
    .name = "unicorn",
    .description = "Unicorn 2 (QEMU's Cortex-M3)",
    .open = ucb_open,
    .close = ucb_close,
    .reg_read = ucb_reg_read,
    .reg_write = ucb_reg_write,
    .regs_read = ucb_regs_read,
    .run = ucb_run,
    .stop = ucb_stop,
};
