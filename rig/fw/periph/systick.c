/* systick.c: SysTick CTRL/LOAD/VAL/CALIB computed from virtual time; COUNTFLAG is set by a wrap
 * and cleared by reading CTRL. The interrupt (TICKINT) is not delivered yet. */
#include "systick.h"

#include <string.h>

#define CTRL_ENABLE 1u
#define CTRL_CLKSOURCE 4u
#define CTRL_COUNTFLAG (1u << 16)

static uint64_t tick_ps(const struct systick *s)
{
    return (s->ctrl & CTRL_CLKSOURCE) ? s->hclk_ps : (uint64_t)s->hclk_ps * 8u; /* HCLK/8 [S] */
}

/* Ticks since the epoch, the counter value now and the wraps since the epoch. */
static void state_at(const struct systick *s, uint64_t now_ps, uint32_t *val, uint64_t *wraps)
{
    if (!(s->ctrl & CTRL_ENABLE) || now_ps < s->epoch_ps) {
        *val = s->val0;
        *wraps = 0;
        return;
    }
    uint64_t k = (now_ps - s->epoch_ps) / tick_ps(s);
    uint64_t period = (uint64_t)s->load + 1u;
    if (k <= s->val0) {
        *val = (uint32_t)(s->val0 - k);
        *wraps = 0;
    } else {
        uint64_t after = k - s->val0 - 1u; /* ticks after the first reload */
        *wraps = 1u + after / period;
        *val = (uint32_t)(s->load - after % period);
    }
}

void systick_init(struct systick *s, uint32_t hclk_ps)
{
    memset(s, 0, sizeof *s);
    s->hclk_ps = hclk_ps;
}

int systick_read(struct systick *s, uint64_t now_ps, uint32_t off, uint32_t *v)
{
    uint32_t val;
    uint64_t wraps;
    state_at(s, now_ps, &val, &wraps);
    switch (off) {
    case 0x0:
        *v = s->ctrl | (wraps > s->wraps_seen ? CTRL_COUNTFLAG : 0u);
        s->wraps_seen = wraps;
        return 1;
    case 0x4: *v = s->load; return 1;
    case 0x8: *v = val; return 1;
    case 0xC: *v = 0x40000000u | 8000u; return 1; /* CALIB: NOREF, 1 ms at 8 MHz [S] */
    default: return 0;
    }
}

int systick_write(struct systick *s, uint64_t now_ps, uint32_t off, uint32_t v)
{
    uint32_t cur;
    uint64_t wraps;
    switch (off) {
    case 0x0:
        state_at(s, now_ps, &cur, &wraps);
        s->val0 = cur;
        s->epoch_ps = now_ps;
        s->wraps_seen = 0;
        s->ctrl = v & 7u;
        return 1;
    case 0x4: s->load = v & 0xFFFFFFu; return 1;
    case 0x8: /* any write clears VAL and COUNTFLAG [S] */
        s->val0 = 0;
        s->epoch_ps = now_ps;
        s->wraps_seen = 0;
        return 1;
    default: return 0;
    }
}

uint64_t systick_next_wrap_ps(const struct systick *s, uint64_t now_ps)
{
    if (!(s->ctrl & CTRL_ENABLE) || s->load == 0)
        return UINT64_MAX;
    uint32_t val;
    uint64_t wraps;
    state_at(s, now_ps, &val, &wraps);
    /* The counter reloads one tick after it reads 0. */
    uint64_t t = tick_ps(s);
    uint64_t since = now_ps >= s->epoch_ps ? (now_ps - s->epoch_ps) % t : 0;
    return now_ps - since + ((uint64_t)val + 1u) * t;
}
