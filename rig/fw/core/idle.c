/* idle.c: idle skipping for a firmware that busy-waits (on a register, a SysTick flag or a RAM
 * flag an interrupt sets). A polling loop shows as a load at the same PC from the same address
 * giving the same value, at a fixed short period, with every core register equal at each such
 * load, no register write and no exception in between, every register read in the iteration
 * giving what it gave in the one before, and the 20 KiB of SRAM equal to what they were one
 * period before: the iteration left nothing the next one could see, so until the
 * next event every iteration is the same. Those iterations are accounted in time without being executed; the next executed
 * load happens at the first iteration at or after the event, when the loop would have seen it.
 * Deterministic: it depends only on virtual time and the firmware's own state. */
#include <string.h>

#include "mcu_internal.h"

#define POLL_MAX_PERIOD 256u  /* instructions per iteration of a loop still called "polling" */
#define POLL_STREAK 2u        /* identical iterations before skipping */
#define POLL_BACKOFF_MAX 1024u /* a loop whose SRAM keeps changing is compared ever more rarely */

static const enum fw_reg poll_regs[17] = {
    FW_R0, FW_R1, FW_R2, FW_R3, FW_R4, FW_R5, FW_R6, FW_R7, FW_R8, FW_R9, FW_R10, FW_R11,
    FW_R12, FW_SP, FW_LR, FW_XPSR, FW_PRIMASK};

static void snapshot(struct mcu *m, uint32_t regs[17])
{
    m->cpu->regs_read(m, poll_regs, regs, 17);
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
    /* An exception waiting for the loop to unmask it (CPSIE inside the loop) comes first. */
    if (m->watch_masks || exception_wakes(m))
        return;
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

/* A failed SRAM comparison: compare this site less often from now on. */
static void back_off(struct poll_site *s)
{
    s->backoff = s->backoff ? (s->backoff * 2 < POLL_BACKOFF_MAX ? s->backoff * 2 : POLL_BACKOFF_MAX)
                            : 1;
    s->wait = s->backoff;
    s->streak = 0;
}

void idle_on_read(struct mcu *m, uint32_t addr, uint32_t value)
{
    if (!m->in_emu || m->cfg.no_poll_skip)
        return; /* a DMA or host-side read, not the CPU; or skipping is off */
    if (addr - FW_SRAM_BASE >= SRAM_MAP_SIZE && addr - SRAM_BB_BASE >= SRAM_MAP_SIZE * 32u) {
        /* A register read: what the iteration saw must repeat too (a timer count compared
         * and dropped leaves no trace in the registers). */
        uint64_t x = ((uint64_t)addr << 32 | value) * 0x9E3779B97F4A7C15ull;
        m->reads_hash += x ^ (x >> 29);
    }
    /* The executing instruction: the per-instruction hook's last address (cheaper than
     * asking Unicorn for the PC on every load). */
    uint32_t pc = m->recent[(m->recent_pos - 1u) & 3u];
    unsigned idx = (pc >> 1) % POLL_SITES;
    struct poll_site *s = &m->poll[idx];
    uint64_t period = m->insns - s->insns;
    if (s->pc != pc || s->addr != addr || s->value != value || s->effects != m->effects ||
        period == 0 || period > POLL_MAX_PERIOD) {
        if (s->pc != pc || s->addr != addr) {
            s->backoff = 0;
            s->wait = 0;
        }
        s->pc = pc;
        s->addr = addr;
        s->value = value;
        s->insns = m->insns;
        s->effects = m->effects;
        s->reads_at = m->reads_hash;
        s->reads_delta = 0;
        s->period = 0;
        s->streak = 0;
        s->regs_valid = 0;
        return;
    }
    uint32_t regs[17];
    snapshot(m, regs);
    uint64_t reads_delta = m->reads_hash - s->reads_at;
    int same = s->regs_valid && period == s->period && reads_delta == s->reads_delta &&
               memcmp(regs, s->regs, sizeof regs) == 0;
    s->reads_delta = reads_delta;
    s->reads_at = m->reads_hash;
    s->period = period;
    s->insns = m->insns;
    s->regs_valid = 1;
    memcpy(s->regs, regs, sizeof regs);
    if (!same) {
        s->streak = 0;
        return;
    }
    if (s->wait) {
        s->wait--;
        return;
    }
    /* Registers repeat: SRAM must too. The first time, remember it; then compare. One
     * snapshot serves one site: another site of the same loop leaves it to its owner. */
    if (m->poll_armed && m->poll_armed != (int)idx + 1 &&
        m->insns - m->poll[m->poll_armed - 1].insns <= POLL_MAX_PERIOD)
        return;
    if (m->poll_armed != (int)idx + 1 || s->streak == 0) {
        memcpy(m->poll_snapshot, m->sram, sizeof m->poll_snapshot);
        m->poll_armed = (int)idx + 1;
        s->streak = 1;
        return;
    }
    if (memcmp(m->poll_snapshot, m->sram, sizeof m->poll_snapshot) != 0) {
        back_off(s);
        m->poll_armed = 0;
        return;
    }
    s->backoff = 0;
    if (++s->streak >= POLL_STREAK)
        skip_iterations(m, period);
}
