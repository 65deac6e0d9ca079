/* cpu.h: the CPU backends of the emulated STM32F103 (libsigrok style: a table of operations per
 * backend and an explicit registry): "unicorn" (Debian's Unicorn 2, cpu_unicorn.c) and "interp"
 * (the plain-C ARMv7-M interpreter of rig/fw/cpu/, cpu_interp.c). The core (mcu.c, memmap.c,
 * exception.c, idle.c) keeps virtual time, the memory map, exceptions and idle skipping; a
 * backend only executes instructions, calling mcu_insn_begin before each one and the memory
 * map's dispatch (memmap_cpu_read/write) for everything that is not flash or SRAM. */
#ifndef BMSRIG_FW_CPU_H
#define BMSRIG_FW_CPU_H

#include <stddef.h>
#include <stdint.h>

struct mcu;

/* Core registers by name (the order is the interpreter's enum armv7m_reg). */
enum fw_reg {
    FW_R0 = 0, FW_R1, FW_R2, FW_R3, FW_R4, FW_R5, FW_R6, FW_R7, FW_R8, FW_R9, FW_R10, FW_R11,
    FW_R12, FW_SP, FW_LR, FW_PC,
    FW_XPSR,   /* flags, ITSTATE, T; the IPSR field is the core's (nvic.ipsr) */
    FW_MSP, FW_PSP, FW_PRIMASK, FW_BASEPRI, FW_FAULTMASK, FW_CONTROL,
    FW_REG_COUNT
};

struct fw_cpu_backend {
    const char *name;
    const char *description;
    /* Creates the CPU (m->cpu_state), loads m->rom and m->sysmem, installs what it needs.
     * Registers are zero; the core sets SP and PC after. BMSRIG_OK or an error with `err`. */
    int (*open)(struct mcu *m, char *err, size_t errcap);
    void (*close)(struct mcu *m);
    uint32_t (*reg_read)(const struct mcu *m, enum fw_reg r);
    void (*reg_write)(struct mcu *m, enum fw_reg r, uint32_t v);
    /* n registers at once (the polling-loop detector's snapshot). */
    void (*regs_read)(const struct mcu *m, const enum fw_reg *ids, uint32_t *out, unsigned n);
    /* Executes from the current PC until mcu_insn_begin ends the chunk, stop is requested, the
     * CPU sleeps (WFI), or it faults. 0, or a backend error whose text is *kind (the core
     * turns it into "IMAGE: <kind> at PC 0x..."; a fault the backend reported itself through
     * mcu_cpu_fault returns 0). */
    int (*run)(struct mcu *m, const char **kind);
    /* From inside run (a memory callback, mcu_insn_begin): end the chunk after the current
     * instruction's access (the instruction itself when called before it executes). */
    void (*stop)(struct mcu *m);
};

/* The registry, NULL-terminated, in the order --firmware-cpu lists them; the default is
 * MCU_DEFAULT_CPU (rig/fw/mcu.h). */
extern const struct fw_cpu_backend *const fw_cpu_backends[];
/* The backend called `name` (NULL or "" = MCU_DEFAULT_CPU), or NULL. */
const struct fw_cpu_backend *fw_cpu_find(const char *name);

extern const struct fw_cpu_backend fw_cpu_unicorn;
extern const struct fw_cpu_backend fw_cpu_interp;

#endif
