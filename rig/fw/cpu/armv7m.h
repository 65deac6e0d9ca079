/* armv7m.h: a Cortex-M3 (ARMv7-M) Thumb/Thumb-2 instruction interpreter in plain C, the
 * "interp" CPU backend's engine. Pure decode and execute: it knows nothing of the MCU around it;
 * memory goes through struct armv7m_bus (direct pointers for flash and SRAM, callbacks for
 * everything else). Exceptions, NVIC, sleep and time belong to the caller (rig/fw/core): a step
 * reports WFI, WFE, SEV, SVC, BKPT, an exception return, a fault or an undefined instruction, and
 * the caller decides. Owner: branch cpu.
 *
 * Files: step.c (fetch, IT blocks, the register API), exec16.c (16-bit encodings),
 * exec32_dp.c (32-bit data processing, multiply, divide), exec32_mem.c (32-bit loads, stores,
 * LDM/STM, exclusives, TBB/TBH), exec32_ctl.c (32-bit branches, MSR/MRS, hints, barriers),
 * alu.h (flags, shifts, conditions, memory access: shared inline helpers).
 * Reference: ARMv7-M Architecture Reference Manual (DDI 0403E) A5-A7, B5. [S] */
#ifndef BMSRIG_FW_CPU_ARMV7M_H
#define BMSRIG_FW_CPU_ARMV7M_H

#include <stdint.h>

/* The memory an interpreter sees. Direct regions are plain little-endian bytes; an access that
 * lies wholly inside one never reaches a callback. Everything else goes to read/write, which
 * return 1 when the address is memory or a register (modelled or not), 0 for a bus fault. */
struct armv7m_bus {
    const uint8_t *flash;        /* instructions are fetched only from here (read-only) */
    uint32_t flash_base, flash_size;
    uint8_t *sram;               /* read/write */
    uint32_t sram_base, sram_size;
    /* Called after every load from sram (NULL: none), e.g. for polling-loop detection. */
    void (*sram_loaded)(void *user, uint32_t addr, uint32_t value);
    int (*read)(void *user, uint32_t addr, unsigned size, uint32_t *value);
    int (*write)(void *user, uint32_t addr, unsigned size, uint32_t value);
    void *user;
    /* The SCB's CCR as the caller keeps it (read at every division and single load/store):
     * DIV_0_TRP (bit 4) and UNALIGN_TRP (bit 3). NULL: both clear. */
    const uint32_t *ccr;
};

/* What one step did besides executing an ordinary instruction. */
enum armv7m_event {
    ARMV7M_OK = 0,
    ARMV7M_WFI,          /* executed: the caller sleeps the core */
    ARMV7M_WFE,          /* executed: the caller handles the event register */
    ARMV7M_SEV,          /* executed: the event register is the caller's */
    ARMV7M_SVC,          /* executed (PC is past it): the caller pends SVCall */
    ARMV7M_EXC_RETURN,   /* in Handler mode (ipsr != 0) a BX/POP/LDR/LDM loaded an EXC_RETURN
                            value (bits 31:28 set; a plain branch in Thread mode): in exc_return,
                            PC holds it without bit 0 (the caller pops the frame) */
    ARMV7M_BKPT,         /* not executed: PC at the BKPT */
    ARMV7M_UNDEFINED,    /* not executed: PC at the instruction */
    ARMV7M_FAULT_READ,   /* bus fault on a load (fault_addr); PC at the instruction */
    ARMV7M_FAULT_WRITE,  /* bus fault on a store (fault_addr) */
    ARMV7M_FAULT_FETCH,  /* no instruction at PC */
    ARMV7M_FAULT_UNALIGNED, /* LDM/STM/LDRD/STRD/LDREX/STREX off word alignment (fault_addr) */
    ARMV7M_FAULT_INVSTATE,  /* an interworking branch to an address with bit 0 clear (the
                               target in fault_addr; the part faults there, at its first
                               instruction [S] A2.3.1) */
    ARMV7M_FAULT_DIVBYZERO  /* UDIV/SDIV by zero with CCR.DIV_0_TRP set; PC at the instruction */
};

struct armv7m {
    uint32_t r[16];        /* r[13] is the active stack pointer; r[15] the PC */
    uint32_t n, z, c, v, q; /* the APSR flags, each 0 or 1 */
    uint32_t it;           /* ITSTATE (firstcond:mask), 0 outside an IT block */
    uint32_t other_sp;     /* the stack pointer not selected by CONTROL.SPSEL */
    uint32_t primask, faultmask, basepri, control;
    uint32_t ipsr;         /* the exception number MRS reads; set by the caller */
    int exclusive;         /* the local exclusive monitor is open (LDREX) */
    uint32_t exclusive_addr;
    uint32_t exc_return;   /* with ARMV7M_EXC_RETURN */
    uint32_t fault_addr;   /* with the bus faults and INVSTATE */
    uint32_t insn;         /* the last instruction decoded (32-bit: hw1 << 16 | hw2) */
    uint32_t next_pc;      /* internal: where the current instruction falls through to */
    int branched;          /* internal: the current instruction wrote the PC */
    struct armv7m_bus bus;
};

/* Registers by name for get/set (the order is the backend's register enum). */
enum armv7m_reg {
    ARMV7M_R0 = 0, ARMV7M_SP = 13, ARMV7M_LR = 14, ARMV7M_PC = 15,
    ARMV7M_XPSR,   /* N Z C V Q, ITSTATE, T (always set), IPSR */
    ARMV7M_MSP, ARMV7M_PSP, ARMV7M_PRIMASK, ARMV7M_BASEPRI, ARMV7M_FAULTMASK, ARMV7M_CONTROL,
    ARMV7M_IPSR,
    ARMV7M_REG_COUNT
};

/* Zeroes the state (bus kept), then SP from `sp`, PC from `pc` (bit 0 dropped), T set. */
void armv7m_reset(struct armv7m *c, uint32_t sp, uint32_t pc);

/* Executes one instruction (an instruction an IT block skips counts as executed: the part spends
 * a cycle on it). Returns what happened (enum armv7m_event). */
enum armv7m_event armv7m_step(struct armv7m *c);

uint32_t armv7m_get(const struct armv7m *c, enum armv7m_reg reg);
/* Writes a register. MSP/PSP/SP/CONTROL keep r[13] the stack CONTROL.SPSEL selects; XPSR takes
 * the flags and ITSTATE (not IPSR: use ARMV7M_IPSR) and, as the exception entry or return that
 * writes it, clears the local exclusive monitor. */
void armv7m_set(struct armv7m *c, enum armv7m_reg reg, uint32_t value);

/* Instructions left in the current IT block, this one included (0 outside). */
unsigned armv7m_it_left(const struct armv7m *c);
/* 1 if the next step skips the instruction at PC (first half-word hw1): inside an IT block with
 * its condition false (a BKPT is never skipped). */
int armv7m_it_skips(const struct armv7m *c, uint32_t hw1);

/* The text of an event for messages ("undefined instruction", ...). */
const char *armv7m_event_name(enum armv7m_event e);

#endif
