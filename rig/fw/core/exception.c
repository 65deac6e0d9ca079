/* exception.c: Cortex-M3 exception entry and return done by the core (Unicorn 2.0.1 has no
 * NVIC): the 8-word frame pushed on the active stack (8-byte aligned when CCR.STKALIGN, xPSR
 * bit 9 recording the padding), EXC_RETURN in LR, the handler from the vector table at VTOR;
 * a branch to 0xFFFFFFF1/F9/FD (the backend reports it: exception_exit_branch) pops the frame
 * and tail-chains into the next pending exception before any thread instruction runs. SVC comes
 * from the backend too (exception_svc). [S] ARMv7-M B1.5.6-B1.5.8 */
#include <stdio.h>
#include <string.h>

#include "mcu_internal.h"

#define XPSR_T (1u << 24)
#define XPSR_ALIGN (1u << 9)
#define XPSR_STACKED_MASK 0xFF00FC00u   /* NZCVQ, IT/ICI, T (the IPSR field is ours) */
#define CONTROL_SPSEL 2u
#define FRAME_WORDS 8
/* Cycles from an exception's request to its handler's first instruction, the 8-word stacking
 * included; a tail-chained entry (straight from another handler's return, no stacking) takes
 * 6. [S] ARM Cortex-M3 TRM (DDI 0337), "Interrupt latency" / "Tail-chaining" */
#define ENTRY_CYCLES 12u
#define TAIL_CHAIN_CYCLES 6u

static int exec_priority(const struct mcu *m)
{
    return nvic_exec_priority(&m->nvic, cpu_reg(m, FW_PRIMASK), cpu_reg(m, FW_FAULTMASK),
                              cpu_reg(m, FW_BASEPRI));
}

int exception_wakes(const struct mcu *m)
{
    int group;
    unsigned exc = nvic_next_pending(&m->nvic, &group);
    /* WFI wakes for an exception of higher priority than the active ones, even if PRIMASK
     * keeps it from being taken. [S] B1.5.19 */
    return exc && group < nvic_exec_priority(&m->nvic, 0, 0, 0);
}

void exception_update_watch(struct mcu *m)
{
    int group;
    unsigned exc = nvic_next_pending(&m->nvic, &group);
    m->watch_masks = exc && group < nvic_exec_priority(&m->nvic, 0, 0, 0) &&
                     group >= exec_priority(m);
}

/* Pushes the frame for the context at `return_pc` and enters the handler of `exc`. */
static int enter(struct mcu *m, unsigned exc, uint32_t return_pc)
{
    int handler_mode = m->nvic.ipsr != 0;
    uint32_t control = cpu_reg(m, FW_CONTROL);
    int on_psp = !handler_mode && (control & CONTROL_SPSEL);
    uint32_t sp = cpu_reg(m, FW_SP);
    uint32_t xpsr = (cpu_reg(m, FW_XPSR) & XPSR_STACKED_MASK) | (m->nvic.ipsr & 0x1FFu);
    uint32_t frame = sp - 4 * FRAME_WORDS;
    if ((m->nvic.ccr & (1u << 9)) && (frame & 4u)) {
        frame &= ~7u;
        xpsr |= XPSR_ALIGN;
    }
    uint32_t words[FRAME_WORDS] = {
        cpu_reg(m, FW_R0), cpu_reg(m, FW_R1), cpu_reg(m, FW_R2), cpu_reg(m, FW_R3),
        cpu_reg(m, FW_R12), cpu_reg(m, FW_LR),
        return_pc & ~1u, xpsr};
    if (!memmap_write_words(m, frame, words, FRAME_WORDS)) {
        mcu_set_fault(m, "%s: hard fault (exception %u: stacking to 0x%08x failed) at PC 0x%08x",
                      m->img.name, exc, (unsigned)frame, (unsigned)return_pc);
        return -1;
    }
    uint32_t vector;
    if (!memmap_read_words(m, m->nvic.vtor + 4u * exc, &vector, 1) || !(vector & 1u)) {
        mcu_set_fault(m, "%s: hard fault (exception %u: vector at 0x%08x is not a Thumb "
                      "address) at PC 0x%08x", m->img.name, exc,
                      (unsigned)(m->nvic.vtor + 4u * exc), (unsigned)return_pc);
        return -1;
    }
    if (on_psp) {
        cpu_set_reg(m, FW_PSP, frame);
        cpu_set_reg(m, FW_CONTROL, control & ~CONTROL_SPSEL); /* the handler runs on MSP */
    } else {
        cpu_set_reg(m, FW_SP, frame);
    }
    uint32_t exc_return = handler_mode ? 0xFFFFFFF1u : on_psp ? 0xFFFFFFFDu : 0xFFFFFFF9u;
    cpu_set_reg(m, FW_LR, exc_return);
    cpu_set_reg(m, FW_XPSR, XPSR_T); /* flags and IT state cleared in the handler */
    cpu_set_reg(m, FW_PC, vector);
    nvic_activate(&m->nvic, exc);
    m->effects++;
    m->sleeping = 0;
    m->exceptions++;
    m->time_ps += (uint64_t)(m->tail_chain ? TAIL_CHAIN_CYCLES : ENTRY_CYCLES) * m->cfg.insn_ps;
    m->tail_chain = 0;
    return 0;
}

void exception_enter_hardfault(struct mcu *m)
{
    if (!m->cpu_fault)
        return;
    m->cpu_fault = 0;
    size_t len = strlen(m->fault);
    if (m->nvic.ipsr == EXC_HARDFAULT) {
        snprintf(m->fault + len, sizeof m->fault - len, " (in its HardFault handler: lockup)");
        return;
    }
    uint32_t vector = 0;
    if (!memmap_read_words(m, m->nvic.vtor + 4u * EXC_HARDFAULT, &vector, 1) || !(vector & 1u) ||
        (vector & ~1u) - m->img.base >= m->img.len)
        return; /* no handler to enter: the message stands as it is */
    enum mcu_halt halt = m->halt;
    m->halt = HALT_NONE; /* enter() reports its own faults through mcu_set_fault */
    int rc = enter(m, EXC_HARDFAULT, m->cpu_fault_pc);
    if (m->halt == HALT_NONE)
        m->halt = halt;
    if (rc == 0)
        snprintf(m->fault + len, sizeof m->fault - len,
                 "; its HardFault handler at 0x%08x was entered and the MCU stopped there",
                 (unsigned)(vector & ~1u));
}

int exception_take_pending(struct mcu *m)
{
    int group;
    unsigned exc = nvic_next_pending(&m->nvic, &group);
    if (!exc || group >= exec_priority(m)) {
        exception_update_watch(m);
        return 0;
    }
    m->watch_masks = 0;
    if (enter(m, exc, mcu_current_pc(m)) < 0)
        return -1;
    return 1;
}

int exception_return(struct mcu *m)
{
    uint32_t e = m->exc_return;
    unsigned kind = e & 0xFu;
    if (m->nvic.ipsr == 0 || (e >> 4) != 0x0FFFFFFFu || (kind != 1 && kind != 9 && kind != 0xD)) {
        mcu_set_fault(m, "%s: hard fault (bad exception return 0x%08x in %s) at PC 0x%08x",
                      m->img.name, (unsigned)e, m->nvic.ipsr ? "a handler" : "thread mode",
                      (unsigned)e);
        return -1;
    }
    int to_psp = kind == 0xD;
    uint32_t sp = to_psp ? cpu_reg(m, FW_PSP) : cpu_reg(m, FW_SP);
    uint32_t w[FRAME_WORDS];
    if (!memmap_read_words(m, sp, w, FRAME_WORDS)) {
        mcu_set_fault(m, "%s: hard fault (unstacking from 0x%08x failed) at PC 0x%08x",
                      m->img.name, (unsigned)sp, (unsigned)e);
        return -1;
    }
    unsigned returning_to = w[7] & 0x1FFu;
    if ((kind == 1) != (returning_to != 0)) {
        mcu_set_fault(m, "%s: hard fault (exception return 0x%08x to %s, the frame says "
                      "exception %u) at PC 0x%08x", m->img.name, (unsigned)e,
                      kind == 1 ? "handler mode" : "thread mode", returning_to, (unsigned)e);
        return -1;
    }
    sp += 4 * FRAME_WORDS + ((w[7] & XPSR_ALIGN) ? 4u : 0u);
    static const enum fw_reg ids[6] = {FW_R0, FW_R1, FW_R2, FW_R3, FW_R12, FW_LR};
    for (int i = 0; i < 6; i++)
        cpu_set_reg(m, ids[i], w[i]);
    if (to_psp) {
        cpu_set_reg(m, FW_PSP, sp);
        cpu_set_reg(m, FW_CONTROL, cpu_reg(m, FW_CONTROL) | CONTROL_SPSEL);
    } else {
        cpu_set_reg(m, FW_SP, sp);
    }
    cpu_set_reg(m, FW_XPSR, (w[7] & XPSR_STACKED_MASK) | XPSR_T);
    cpu_set_reg(m, FW_PC, w[6] | 1u);
    if (m->nvic.ipsr != EXC_NMI)
        cpu_set_reg(m, FW_FAULTMASK, 0); /* cleared on exit from any handler but NMI's [S] B1.5.8 */
    nvic_complete(&m->nvic, m->nvic.ipsr, returning_to);
    m->effects++;
    m->tail_chain = 1; /* an exception taken before the next instruction is tail-chained */
    /* SLEEPONEXIT: back in thread mode the core sleeps again at once. [S] */
    if (returning_to == 0 && (m->nvic.scr & 2u)) {
        m->sleeping = 1;
        m->sleep_wfe = 0;
    }
    return 0;
}

void exception_exit_branch(struct mcu *m, uint32_t exc_return)
{
    m->exc_return = exc_return;
    m->stop = STOP_EXC_RETURN;
    m->cpu->stop(m);
}

void exception_svc(struct mcu *m, uint32_t pc)
{
    nvic_pend(&m->nvic, EXC_SVCALL);
    int group;
    if (nvic_next_pending(&m->nvic, &group) == EXC_SVCALL && group >= exec_priority(m)) {
        mcu_set_fault(m, "%s: hard fault (SVC at a priority that cannot take it) at PC 0x%08x",
                      m->img.name, (unsigned)(pc - 2));
        return;
    }
    m->stop = STOP_EXCEPTION;
    m->cpu->stop(m);
}
