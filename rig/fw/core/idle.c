/* idle.c: idle skipping for a firmware that busy-waits (on a register, a SysTick flag or a RAM
 * flag an interrupt sets). A polling loop shows as a load at the same PC from the same address
 * giving the same value, at a fixed short period, with every core register equal at each such
 * load and nothing changed in between (no SRAM byte, no register write, no exception): the
 * iteration changed nothing the next one could see, so until the next event every iteration is
 * the same. Those iterations are accounted in time without being executed; the next executed
 * load happens at the first iteration at or after the event, when the loop would have seen it.
 * Deterministic: it depends only on virtual time and the firmware's own state. */
#include <string.h>

#include "mcu_internal.h"

#define POLL_MAX_PERIOD 256u  /* instructions per iteration of a loop still called "polling" */
#define POLL_STREAK 2u        /* identical iterations before skipping */

static const int poll_regs[17] = {
    UC_ARM_REG_R0, UC_ARM_REG_R1, UC_ARM_REG_R2, UC_ARM_REG_R3, UC_ARM_REG_R4, UC_ARM_REG_R5,
    UC_ARM_REG_R6, UC_ARM_REG_R7, UC_ARM_REG_R8, UC_ARM_REG_R9, UC_ARM_REG_R10, UC_ARM_REG_R11,
    UC_ARM_REG_R12, UC_ARM_REG_SP, UC_ARM_REG_LR, UC_ARM_REG_XPSR, UC_ARM_REG_PRIMASK};

static void snapshot(struct mcu *m, uint32_t regs[17])
{
    void *ptrs[17];
    for (int i = 0; i < 17; i++) {
        regs[i] = 0;
        ptrs[i] = &regs[i];
    }
    uc_reg_read_batch(m->uc, (int *)poll_regs, ptrs, 17);
}

uint64_t idle_next_event_ps(struct mcu *m, int with_countflag)
{
    /* A wrap without TICKINT changes only COUNTFLAG, which reads compute from the time: the
     * run need not stop there, but a polling loop must not be skipped past it. */
    uint64_t next = (with_countflag || systick_interrupts(&m->systick))
                        ? systick_next_wrap_ps(&m->systick, m->time_ps) : PERIPH_NO_EVENT;
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

/* Accounts the iterations of a detected loop (period in instructions) up to the event. */
static void skip_iterations(struct mcu *m, uint64_t period)
{
    uint64_t until = idle_next_event_ps(m, 1);
    if (m->stop_ps < until)
        until = m->stop_ps;
    if (until == PERIPH_NO_EVENT || until <= m->time_ps)
        return;
    uint64_t iter_ps = period * m->cfg.insn_ps;
    uint64_t n = (until - m->time_ps + iter_ps - 1) / iter_ps; /* loads until the event */
    if (n <= 1)
        return;
    uint64_t skip = (n - 1) * iter_ps;
    m->time_ps += skip;
    m->polled_ps += skip;
}

void idle_on_read(struct mcu *m, uint32_t addr, uint32_t value)
{
    if (!m->in_emu)
        return; /* a DMA or host-side read, not the CPU */
    uint32_t pc = mcu_current_pc(m);
    struct poll_site *s = &m->poll[(pc >> 1) % POLL_SITES];
    uint64_t period = m->insns - s->insns;
    if (s->pc != pc || s->addr != addr || s->value != value || s->changes != m->changes ||
        period == 0 || period > POLL_MAX_PERIOD) {
        s->pc = pc;
        s->addr = addr;
        s->value = value;
        s->insns = m->insns;
        s->changes = m->changes;
        s->period = 0;
        s->streak = 0;
        s->regs_valid = 0;
        return;
    }
    uint32_t regs[17];
    snapshot(m, regs);
    if (s->regs_valid && period == s->period && memcmp(regs, s->regs, sizeof regs) == 0)
        s->streak++;
    else
        s->streak = 0;
    s->period = period;
    s->insns = m->insns;
    s->regs_valid = 1;
    memcpy(s->regs, regs, sizeof regs);
    if (s->streak >= POLL_STREAK)
        skip_iterations(m, period);
}
