/* nvic.h: the Cortex-M3 NVIC and SCB as state (enable, pending, active, priorities, VTOR, AIRCR,
 * ICSR, SCR, CCR, SHPR) and the exception priority rules (ARMv7-M B1.5). No CPU access here:
 * the core (exception.c) pushes and pops frames; this file decides what is taken and when.
 * Owner: branch fw-core. */
#ifndef BMSRIG_FW_NVIC_H
#define BMSRIG_FW_NVIC_H

#include <stdint.h>

#define NVIC_NUM_IRQS 68                   /* STM32F103 external interrupts [S] RM0008 */
#define NVIC_NUM_EXC (16 + NVIC_NUM_IRQS)
#define EXC_NMI 2
#define EXC_HARDFAULT 3
#define EXC_SVCALL 11
#define EXC_PENDSV 14
#define EXC_SYSTICK 15
#define EXC_IRQ0 16
#define NVIC_THREAD_PRIORITY 256           /* execution priority with nothing active */
#define NVIC_PRIO_BITS_MASK 0xF0u          /* STM32F1 implements 4 priority bits [S] PM0056 */

/* What a register write asks of the core. */
enum {
    NVIC_WRITE_RESET = 1,      /* AIRCR SYSRESETREQ or VECTRESET with VECTKEY */
    NVIC_WRITE_RESCHEDULE = 2  /* pending/enable/priority changed: check for an exception now */
};

struct nvic {
    uint8_t prio[NVIC_NUM_EXC];     /* configurable priorities (4..15, 16+), as stored */
    uint8_t enabled[NVIC_NUM_EXC];  /* IRQs: ISER; system exceptions: always 1 */
    uint8_t pending[NVIC_NUM_EXC];
    uint8_t active[NVIC_NUM_EXC];
    uint8_t level[NVIC_NUM_IRQS];   /* interrupt lines as driven by the peripherals */
    uint32_t vtor, prigroup, scr, ccr, shcsr;
    unsigned ipsr;                  /* the exception being handled (0 = thread mode) */
    unsigned nactive;
};

/* Reset state; VTOR = vtor. */
void nvic_reset(struct nvic *n, uint32_t vtor);

/* SCS register access by offset from 0xE000E000 (not SysTick, 0x10..0x1F); size 1, 2 or 4
 * (byte access for IPR and SHPR, word for the rest). Return 1 if modelled. nvic_write returns
 * NVIC_WRITE_* flags through *effects. */
int nvic_read(const struct nvic *n, uint32_t off, unsigned size, uint32_t *v);
int nvic_write(struct nvic *n, uint32_t off, unsigned size, uint32_t v, unsigned *effects);

/* A peripheral's interrupt line (level-sensitive: a rising level pends it; while high it is
 * pended again when its handler returns or when ICPR clears it). Returns 1 if it became pending. */
int nvic_set_line(struct nvic *n, unsigned irq, int level);

/* Pends a system exception or an IRQ by exception number (SysTick wrap, SVC, PendSV). */
void nvic_pend(struct nvic *n, unsigned exc);

/* The execution priority from the active exceptions and the mask registers. */
int nvic_exec_priority(const struct nvic *n, uint32_t primask, uint32_t faultmask,
                       uint32_t basepri);

/* The pending, enabled exception that would be taken next (0 if none pending), and its group
 * priority through *group (for comparison with nvic_exec_priority). */
unsigned nvic_next_pending(const struct nvic *n, int *group);

/* The group priority of an exception under the current PRIGROUP. */
int nvic_group_priority(const struct nvic *n, unsigned exc);

/* Entry and return bookkeeping: activate clears pending and makes exc current; complete
 * deactivates `exc` (re-pending a level IRQ whose line is still high) and makes `return_to`
 * (the stacked IPSR) current. */
void nvic_activate(struct nvic *n, unsigned exc);
void nvic_complete(struct nvic *n, unsigned exc, unsigned return_to);

#endif
