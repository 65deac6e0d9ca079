/* mcu_internal.h: the state of one emulated STM32F103 shared by the core's files (mcu.c: life
 * cycle and the run loop; memmap.c: memory map, register dispatch, bit-band; exception.c:
 * exception entry and return; idle.c: polling-loop detection; cpu_*.c: the CPU backends). Not for peripheral models: they
 * see only periph/periph.h. Owner: branch fw-core. */
#ifndef BMSRIG_FW_MCU_INTERNAL_H
#define BMSRIG_FW_MCU_INTERNAL_H

#include <stdint.h>

#include "rig/fw/mcu.h"
#include "cpu.h"
#include "image.h"
#include "nvic.h"
#include "periph/periph.h"
#include "periph/rcc.h"
#include "periph/flash.h"
#include "periph/systick.h"

#define PERIPH_BASE 0x40000000u
#define PERIPH_SIZE 0x30000u
#define PERIPH_BB_BASE 0x42000000u   /* bit-band alias of the peripherals [S] PM0056 2.2.5 */
#define SRAM_BB_BASE 0x22000000u     /* bit-band alias of SRAM [S] */
#define SRAM_MAP_SIZE 0x10000u       /* 64 KiB mapped: more than the part's 20, harmless [I] */
#define SCS_BASE 0xE000E000u
#define SCS_SIZE 0x1000u
#define SYSMEM_PAGE 0x1FFFF000u
#define SYSMEM_SIZE 0x1000u
#define EXC_RETURN_PAGE 0xFFFFF000u
#define MAX_PERIPHS 24

enum mcu_halt { HALT_NONE, HALT_POWERED_OFF, HALT_FAULT };

/* Why the last backend run returned, as far as the core's own hooks know. */
enum mcu_stop {
    STOP_NONE,        /* not by us: WFI (the CPU halted), or an error */
    STOP_TIME,        /* the chunk reached stop_ps */
    STOP_EXCEPTION,   /* an exception became takeable, or SVC */
    STOP_EXC_RETURN,  /* a branch to an EXC_RETURN value */
    STOP_HALT,        /* power-off or fault recorded in `halt` */
    STOP_WFE          /* WFE with the event register clear: sleep, then go on at wfe_resume */
};

/* One read site (a load at a PC) seen by the polling-loop detector. */
struct poll_site {
    uint32_t addr, pc, value;
    uint64_t insns;          /* executed instructions at the read */
    uint64_t effects;        /* m->effects at the read */
    uint64_t reads_at;       /* m->reads_hash at the read */
    uint64_t reads_delta;    /* register reads (as a sum) during the last iteration */
    uint64_t period;         /* instructions between the last two matching reads */
    unsigned streak;         /* matching reads in a row with the same period and registers */
    unsigned backoff, wait;  /* after SRAM differed: matches to ignore before comparing again */
    int regs_valid;
    uint32_t regs[17];
};
#define POLL_SITES 64

struct mcu {
    /* Hot: read by the per-instruction hook. */
    uint64_t time_ps;        /* virtual time: the end of the last executed instruction */
    uint64_t stop_ps;        /* the current chunk ends when time_ps reaches this */
    uint64_t insns;          /* instructions executed */
    uint64_t insn_ps;        /* = cfg.insn_ps */
    uint64_t insn_limit;     /* the run also ends when insns reaches this (lockstep stepping) */
    int watch_masks;         /* an exception waits for PRIMASK/BASEPRI: check every insn */
    unsigned it_left;        /* instructions left in the Thumb IT block being executed */
    uint32_t recent[4];      /* addresses of the last instructions (to find an IT block) */
    unsigned recent_pos;
    const uint8_t *marks;    /* per half-word of the image: MRS IPSR, WFE, SEV (marks.h) */
    unsigned fix_rd;         /* 1 + the register an MRS of IPSR just wrote (0: none) */
    uint32_t fix_ipsr;       /* the exception number it must show */
    const struct fw_cpu_backend *cpu;
    void *cpu_state;
    struct fw_image img;
    struct mcu_config cfg;
    uint64_t target_ps;      /* mcu_run_until's goal */
    uint64_t slept_ps;       /* time skipped while sleeping in WFI */
    uint64_t polled_ps;      /* time skipped in detected polling loops */
    uint64_t exceptions;     /* exception entries */
    uint64_t unknown;
    enum mcu_halt halt;
    enum mcu_stop stop;
    int in_emu;              /* inside the backend's run (hooks may end the chunk) */
    int sleeping;            /* WFI: no instruction runs until an exception wakes the core */
    int sleep_wfe;           /* the sleep is a WFE's: masks apply, an event wakes too */
    int event;               /* the event register (SEV; SEVONPEND) [S] B1.5.18 */
    uint32_t wfe_resume;     /* the instruction after the WFE that stopped the run */
    int wfe_sleeps;          /* that WFE found the event register clear */
    int tail_chain;          /* an exception returned and no instruction ran since */
    int cpu_fault;           /* the fault is the CPU's (HardFault on the part) */
    uint32_t cpu_fault_pc;
    uint32_t exc_return;     /* the EXC_RETURN value of a STOP_EXC_RETURN */
    uint32_t watched[3];     /* PRIMASK, BASEPRI, FAULTMASK when watch_masks was set */
    char fault[512];         /* name (<256) + kind + PC (+ HardFault entry) */
    uint8_t uid[12];
    struct periph periphs[MAX_PERIPHS]; /* dispatch table: core blocks, then the board's */
    unsigned nperiphs;
    struct fw_board *board;
    mcu_dma_fn dma_fn;
    void *dma_state;
    struct nvic nvic;
    struct poll_site poll[POLL_SITES]; /* by PC */
    uint64_t effects;        /* register writes and exception entries/returns so far */
    uint64_t reads_hash;     /* sum of a mix of (address, value) of every register read */
    int poll_armed;          /* poll_snapshot holds SRAM as of that site's last match (+1) */
    uint8_t sram[SRAM_MAP_SIZE]; /* served by the core (Unicorn 2.0.1's RAM stores are slow) */
    uint8_t poll_snapshot[FW_SRAM_SIZE];
    struct rcc rcc;
    struct flash flash;
    struct systick systick;
    uint8_t rom[FW_FLASH_SIZE];  /* flash as the CPU fetches it (the EEPROM window: flash model) */
    uint8_t sysmem[SYSMEM_SIZE]; /* system memory: F_SIZE, the unique ID */
};

static inline uint32_t cpu_reg(const struct mcu *m, enum fw_reg r)
{
    return m->cpu->reg_read(m, r);
}
static inline void cpu_set_reg(struct mcu *m, enum fw_reg r, uint32_t v)
{
    m->cpu->reg_write(m, r, v);
}

/* mcu.c */
void mcu_log(struct mcu *m, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
uint32_t mcu_current_pc(const struct mcu *m);
void mcu_set_fault(struct mcu *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Ends the running chunk after the current instruction (an exception may be takeable). */
void mcu_reschedule(struct mcu *m);
/* Called by the backend before each instruction at addr (size 2 or 4 bytes) with the registers
 * as they are before it: the virtual-time accounting. 0: execute it; 1: the chunk ends before it
 * (neither executed nor counted); 2: the chunk ends before it, counted but not executed (a WFE
 * the core handles, m->stop says so). */
int mcu_insn_begin(struct mcu *m, uint32_t addr, uint32_t size);
/* mcu_insn_begin with its common case inline (no chunk end due, no mask watch, no IT block
 * accounting, no mark at addr, no MRS IPSR fix-up pending): the same result and effects; the
 * interpreter's per-instruction call. */
static inline int mcu_insn_begin_inline(struct mcu *m, uint32_t addr, uint32_t size)
{
    uint32_t off = addr - m->img.base;
    if ((m->fix_rd | m->it_left | (unsigned)m->watch_masks) || m->time_ps >= m->stop_ps ||
        m->insns >= m->insn_limit || (off < m->img.len && m->marks[off >> 1]))
        return mcu_insn_begin(m, addr, size);
    m->recent[m->recent_pos++ & 3u] = addr;
    m->time_ps += m->insn_ps;
    m->insns++;
    return 0;
}
/* A fault of the CPU's at pc ("IMAGE: <kind> at PC 0x..."; HardFault entry after the run). */
void mcu_cpu_fault(struct mcu *m, const char *kind, uint32_t pc);

/* memmap.c */
/* Fills m->rom (erased flash, the image), the flash model's window and m->sysmem. */
void memmap_load(struct mcu *m);
/* n bytes of flash outside the EEPROM window, or of system memory: 1, else 0. */
int memmap_rom_read(const struct mcu *m, uint32_t addr, void *buf, size_t n);
/* The MMIO regions (offset from their base), as the Unicorn backend maps them. */
uint64_t memmap_periph_read(struct mcu *m, uint64_t off, unsigned size);
void memmap_periph_write(struct mcu *m, uint64_t off, unsigned size, uint64_t v);
uint64_t memmap_periph_bb_read(struct mcu *m, uint64_t off, unsigned size);
void memmap_periph_bb_write(struct mcu *m, uint64_t off, unsigned size, uint64_t v);
uint64_t memmap_sram_read(struct mcu *m, uint64_t off, unsigned size);
void memmap_sram_write(struct mcu *m, uint64_t off, unsigned size, uint64_t v);
uint64_t memmap_sram_bb_read(struct mcu *m, uint64_t off, unsigned size);
void memmap_sram_bb_write(struct mcu *m, uint64_t off, unsigned size, uint64_t v);
uint64_t memmap_eeprom_read(struct mcu *m, uint64_t off, unsigned size);
void memmap_eeprom_write(struct mcu *m, uint64_t off, unsigned size, uint64_t v);
uint64_t memmap_scs_read(struct mcu *m, uint64_t off, unsigned size);
void memmap_scs_write(struct mcu *m, uint64_t off, unsigned size, uint64_t v);
/* Any address by the regions above, then flash and system memory: 1 done; 0 unmapped; a write
 * to flash outside the window or to system memory: -1 (read-only). */
int memmap_cpu_read(struct mcu *m, uint32_t addr, unsigned size, uint32_t *v);
int memmap_cpu_write(struct mcu *m, uint32_t addr, unsigned size, uint32_t v);
/* The block serving addr (advanced to now), or NULL. */
const struct periph *memmap_find(struct mcu *m, uint32_t addr);
/* Words at addr (SRAM, or any mapped memory for reads): 1 on success. */
int memmap_read_words(struct mcu *m, uint32_t addr, uint32_t *w, unsigned n);
int memmap_write_words(struct mcu *m, uint32_t addr, const uint32_t *w, unsigned n);

/* exception.c */
/* SVC executed (pc: the instruction after it): pends SVCall and ends the chunk, or faults. */
void exception_svc(struct mcu *m, uint32_t pc);
/* A branch to an EXC_RETURN value: ends the chunk; the run loop returns from the handler. */
void exception_exit_branch(struct mcu *m, uint32_t exc_return);
/* Takes the highest-priority pending exception if it can preempt: 1 taken, 0 not, -1 fault. */
int exception_take_pending(struct mcu *m);
/* 1 if a pending exception would wake the core from WFI (preempts, masks ignored). */
int exception_wakes(const struct mcu *m);
/* Returns from the handler (m->exc_return): 0 done, -1 fault. */
int exception_return(struct mcu *m);
/* After a fault of the CPU's (m->cpu_fault, the MCU halted): enters the image's HardFault
 * handler as the part would (the frame's PC is the faulting instruction) when its vector is a
 * Thumb address in the image and the fault is not the handler's own (lockup); the fault message
 * says so. The MCU stays stopped: the fault fails the run either way. */
void exception_enter_hardfault(struct mcu *m);
/* Re-evaluates watch_masks (an exception pending but blocked by PRIMASK/BASEPRI/FAULTMASK). */
void exception_update_watch(struct mcu *m);

/* idle.c */
/* Called on every register read: skips time when the read shows a polling loop. */
void idle_on_read(struct mcu *m, uint32_t addr, uint32_t value);
/* The earliest time a peripheral or SysTick changes by itself (PERIPH_NO_EVENT if none);
 * SysTick wraps count only with TICKINT unless with_countflag. */
uint64_t idle_next_event_ps(struct mcu *m, int with_countflag);

#endif
