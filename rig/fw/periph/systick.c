/* systick.c: SysTick CTRL/LOAD/VAL/CALIB computed from virtual time. The counter counts down
 * from VAL to 0, reloads LOAD on the next tick; each 1 -> 0 transition sets COUNTFLAG (cleared
 * by reading CTRL or writing VAL) and, with TICKINT, requests the SysTick exception. LOAD = 0
 * stops the events. [S] ARMv7-M B3.3 */
#include "systick.h"

#include <string.h>

#define CTRL_ENABLE 1u
#define CTRL_TICKINT 2u
#define CTRL_CLKSOURCE 4u
#define CTRL_COUNTFLAG (1u << 16)

static uint64_t tick_ps(const struct systick *s)
{
    return (s->ctrl & CTRL_CLKSOURCE) ? s->hclk_ps : (uint64_t)s->hclk_ps * 8u; /* HCLK/8 [S] */
}

/* Ticks since the epoch at which the counter first reaches 0 from 1 (UINT64_MAX: never). */
static uint64_t first_zero(const struct systick *s)
{
    if (s->val0 >= 1)
        return s->val0;
    return s->load ? (uint64_t)s->load + 1u : UINT64_MAX;
}

/* Counter value and 1 -> 0 transitions since the epoch, k ticks after it. */
static void count_at(const struct systick *s, uint64_t k, uint32_t *val, uint64_t *zeros)
{
    uint64_t period = (uint64_t)s->load + 1u, first = first_zero(s);
    if (k <= s->val0)
        *val = (uint32_t)(s->val0 - k);
    else if (!s->load)
        *val = 0;
    else
        *val = (uint32_t)(s->load - (k - s->val0 - 1u) % period);
    if (k < first)
        *zeros = 0;
    else if (!s->load)
        *zeros = 1;
    else
        *zeros = 1u + (k - first) / period;
}

static uint64_t ticks_at(const struct systick *s, uint64_t now_ps)
{
    if (!(s->ctrl & CTRL_ENABLE) || now_ps < s->epoch_ps)
        return 0;
    return (now_ps - s->epoch_ps) / tick_ps(s);
}

static uint64_t zeros_total(const struct systick *s, uint64_t now_ps)
{
    uint32_t val;
    uint64_t zeros;
    count_at(s, ticks_at(s, now_ps), &val, &zeros);
    return s->zeros_base + zeros;
}

/* Makes `now` (rounded down to a tick edge) the new epoch, keeping the count. */
static void rebase(struct systick *s, uint64_t now_ps)
{
    uint64_t k = ticks_at(s, now_ps);
    uint32_t val;
    uint64_t zeros;
    count_at(s, k, &val, &zeros);
    s->zeros_base += zeros;
    s->val0 = val;
    if (s->ctrl & CTRL_ENABLE)
        s->epoch_ps += k * tick_ps(s);
    else
        s->epoch_ps = now_ps;
}

void systick_init(struct systick *s, uint32_t hclk_ps)
{
    memset(s, 0, sizeof *s);
    s->hclk_ps = hclk_ps;
}

int systick_read(struct systick *s, uint64_t now_ps, uint32_t off, uint32_t *v)
{
    uint32_t val;
    uint64_t zeros;
    count_at(s, ticks_at(s, now_ps), &val, &zeros);
    switch (off) {
    case 0x0: {
        uint64_t total = s->zeros_base + zeros;
        *v = s->ctrl | (total > s->zeros_flag_seen ? CTRL_COUNTFLAG : 0u);
        s->zeros_flag_seen = total;
        return 1;
    }
    case 0x4: *v = s->load; return 1;
    case 0x8: *v = val; return 1;
    case 0xC: *v = 0x40000000u | 8000u; return 1; /* CALIB: NOREF, 1 ms at 8 MHz [S] */
    default: return 0;
    }
}

int systick_write(struct systick *s, uint64_t now_ps, uint32_t off, uint32_t v)
{
    switch (off) {
    case 0x0:
        rebase(s, now_ps);
        if (!(s->ctrl & CTRL_ENABLE) && (v & CTRL_ENABLE))
            s->epoch_ps = now_ps; /* counting starts at the enabling write */
        s->ctrl = v & 7u;
        return 1;
    case 0x4:
        rebase(s, now_ps);
        s->load = v & 0xFFFFFFu;
        return 1;
    case 0x8: /* any write clears VAL and COUNTFLAG [S] */
        rebase(s, now_ps);
        s->val0 = 0;
        s->epoch_ps = now_ps;
        s->zeros_flag_seen = s->zeros_base;
        return 1;
    default: return 0;
    }
}

uint64_t systick_next_wrap_ps(const struct systick *s, uint64_t now_ps)
{
    if (!(s->ctrl & CTRL_ENABLE))
        return UINT64_MAX;
    uint64_t k = ticks_at(s, now_ps), first = first_zero(s), next;
    if (first == UINT64_MAX)
        return UINT64_MAX;
    if (k < first)
        next = first;
    else if (!s->load)
        return UINT64_MAX;
    else {
        uint64_t period = (uint64_t)s->load + 1u;
        next = first + ((k - first) / period + 1u) * period;
    }
    return s->epoch_ps + next * tick_ps(s);
}

int systick_take_irq(struct systick *s, uint64_t now_ps)
{
    uint64_t total = zeros_total(s, now_ps);
    int due = total > s->zeros_irq_seen && (s->ctrl & CTRL_TICKINT) && (s->ctrl & CTRL_ENABLE);
    s->zeros_irq_seen = total;
    return due;
}

int systick_interrupts(const struct systick *s)
{
    return (s->ctrl & (CTRL_ENABLE | CTRL_TICKINT)) == (CTRL_ENABLE | CTRL_TICKINT);
}
