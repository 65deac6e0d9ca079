/* tim.c: an STM32F103 timer counting in virtual time. The count is a phase into the counting
 * period, a pure function of the time since the last (re)start, so CNT and the flags are computed
 * when read; update and compare events become events of their own only while an interrupt or
 * another block consumes them, else a catch-up counts them in O(1). */
#include "tim.h"

#include <string.h>

/* CR1 / DIER / SR / EGR bits [S] RM0008 14.4 */
#define CR1_CEN (1u << 0)
#define CR1_URS (1u << 2)
#define CR1_DIR (1u << 4)
#define CR1_CMS_SHIFT 5
#define SR_UIF (1u << 0)
#define SR_CCIF(ch) (1u << (ch))
#define DIER_UIE (1u << 0)
#define DIER_CCIE_MASK 0x1Eu
#define EGR_UG (1u << 0)

static unsigned cms(const struct tim *t) { return (t->cr1 >> CR1_CMS_SHIFT) & 3u; }
static int running(const struct tim *t) { return (t->cr1 & CR1_CEN) && t->arr != 0; }

static uint64_t tick_ps(const struct tim *t)
{
    return t->w.clk_ps(t->w.user) * ((uint64_t)t->psc + 1u);
}

/* Ticks in one counting period: 0..ARR-1 up and ARR..1 down (center), or ARR + 1 (edge). */
static uint64_t period(const struct tim *t)
{
    return cms(t) ? 2u * (uint64_t)t->arr : (uint64_t)t->arr + 1u;
}

static uint32_t count_at_phase(const struct tim *t, uint64_t p)
{
    if (cms(t))
        return (uint32_t)(p < t->arr ? p : 2u * (uint64_t)t->arr - p);
    return (t->cr1 & CR1_DIR) ? t->arr - (uint32_t)p : (uint32_t)p;
}

static int counting_down(const struct tim *t, uint64_t p)
{
    return cms(t) ? p >= t->arr : (t->cr1 & CR1_DIR) != 0;
}

/* The phase that gives count c in the current direction. */
static uint64_t phase_of(const struct tim *t, uint32_t c, int down)
{
    if (c > t->arr)
        c = t->arr;
    if (cms(t))
        return down && c > 0 && c < t->arr ? 2u * (uint64_t)t->arr - c : c;
    return (t->cr1 & CR1_DIR) ? t->arr - c : c;
}

/* Phases of the period where channel ch's compare matches (entering that phase) and whether
 * its flag is set there (center-aligned mode 1: counting down only, 2: up only, 3: both). */
static unsigned compare_phases(const struct tim *t, unsigned ch, uint64_t q[2])
{
    uint32_t ccr = t->ccr[ch - 1];
    uint32_t ccmr = ch <= 2 ? t->ccmr1 : t->ccmr2;
    if ((ccmr >> (8u * ((ch - 1u) % 2u))) & 3u)
        return 0; /* an input channel: capture is not modelled */
    unsigned n = 0;
    if (cms(t)) {
        if ((cms(t) & 2u) && ccr < t->arr)
            q[n++] = ccr; /* counting up */
        if ((cms(t) & 1u) && ccr > 0 && ccr <= t->arr)
            q[n++] = 2u * (uint64_t)t->arr - ccr; /* counting down */
    } else if (ccr <= t->arr) {
        q[n++] = (t->cr1 & CR1_DIR) ? t->arr - ccr : ccr;
    }
    return n;
}

/* Over/underflow phases: 0 (and ARR in center-aligned mode). */
static unsigned overflow_phases(const struct tim *t, uint64_t q[2])
{
    q[0] = 0;
    if (cms(t)) {
        q[1] = t->arr;
        return 2;
    }
    return 1;
}

/* Occurrences of phase q at absolute phases in (a, b]. */
static uint64_t occurrences(uint64_t q, uint64_t p, uint64_t a, uint64_t b)
{
    uint64_t fb = b >= q ? (b - q) / p + 1u : 0u, fa = a >= q ? (a - q) / p + 1u : 0u;
    return fb - fa;
}

/* The first absolute phase > a that is phase q of some period. */
static uint64_t next_occurrence(uint64_t q, uint64_t p, uint64_t a)
{
    if (a < q)
        return q;
    return q + ((a - q) / p + 1u) * p;
}

static void update_irqs(struct tim *t)
{
    int up = (t->dier & DIER_UIE) && (t->sr & SR_UIF);
    int cc = (t->dier & t->sr & DIER_CCIE_MASK) != 0;
    if (t->w.irq_up == t->w.irq_cc) {
        up = up || cc;
        cc = up;
    }
    if (up != t->irq_up_level) {
        t->irq_up_level = up;
        mcu_irq_set(t->m, t->w.irq_up, up);
    }
    if (t->w.irq_up != t->w.irq_cc && cc != t->irq_cc_level) {
        t->irq_cc_level = cc;
        mcu_irq_set(t->m, t->w.irq_cc, cc);
    }
}

static int wants(const struct tim *t, unsigned ch)
{
    return (t->dier & (1u << ch)) || (t->w.wants_compare && t->w.wants_compare(t->w.user, ch));
}

/* Whether events must be applied one by one (someone reacts to each). */
static int exact(const struct tim *t)
{
    if (t->dier & DIER_UIE)
        return 1;
    for (unsigned ch = 1; ch <= 4; ch++)
        if (wants(t, ch))
            return 1;
    return 0;
}

static void overflows(struct tim *t, uint64_t n)
{
    if (!n)
        return;
    uint64_t every = t->w.advanced ? (uint64_t)(t->rcr & 0xFFu) + 1u : 1u;
    uint64_t total = t->rep + n;
    if (total >= every)
        t->sr |= SR_UIF; /* an update event [S] 14.3.3 */
    t->rep = (uint32_t)(total % every);
}

/* Applies the events of the absolute phases in (a, b] without calling anyone: flags only. */
static void settle_counted(struct tim *t, uint64_t a, uint64_t b)
{
    uint64_t q[2], p = period(t);
    unsigned n = overflow_phases(t, q);
    uint64_t ov = 0;
    for (unsigned i = 0; i < n; i++)
        ov += occurrences(q[i], p, a, b);
    overflows(t, ov);
    for (unsigned ch = 1; ch <= 4; ch++) {
        n = compare_phases(t, ch, q);
        for (unsigned i = 0; i < n; i++)
            if (occurrences(q[i], p, a, b))
                t->sr |= SR_CCIF(ch);
    }
}

/* The tick (since the epoch) of the next event after `settled`, and applies nothing. */
static uint64_t next_event_tick(const struct tim *t)
{
    uint64_t q[2], p = period(t), a = t->phase0 + t->settled_ticks, best = UINT64_MAX;
    unsigned n = overflow_phases(t, q);
    if (t->dier & DIER_UIE)
        for (unsigned i = 0; i < n; i++) {
            uint64_t e = next_occurrence(q[i], p, a);
            if (e < best)
                best = e;
        }
    for (unsigned ch = 1; ch <= 4; ch++) {
        if (!wants(t, ch))
            continue;
        n = compare_phases(t, ch, q);
        for (unsigned i = 0; i < n; i++) {
            uint64_t e = next_occurrence(q[i], p, a);
            if (e < best)
                best = e;
        }
    }
    return best == UINT64_MAX ? UINT64_MAX : best - t->phase0;
}

/* Applies the events at absolute phase e, one tick: flags, the repetition counter, and the
 * compare consumers. */
static void apply_at(struct tim *t, uint64_t e, uint64_t when_ps)
{
    uint64_t q[2], p = period(t), ph = e % p;
    unsigned n = overflow_phases(t, q);
    for (unsigned i = 0; i < n; i++)
        if (ph == q[i])
            overflows(t, 1);
    for (unsigned ch = 1; ch <= 4; ch++) {
        n = compare_phases(t, ch, q);
        for (unsigned i = 0; i < n; i++)
            if (ph == q[i]) {
                t->sr |= SR_CCIF(ch);
                if (t->w.on_compare)
                    t->w.on_compare(t->w.user, ch, when_ps);
            }
    }
}

static void tim_advance(void *state, uint64_t now)
{
    struct tim *t = state;
    if (t->in_advance || !running(t) || now < t->epoch_ps)
        return;
    t->in_advance = 1;
    uint64_t tick = tick_ps(t), k_now = (now - t->epoch_ps) / tick, p = period(t);
    if (!exact(t)) {
        settle_counted(t, t->phase0 + t->settled_ticks, t->phase0 + k_now);
        t->settled_ticks = k_now;
    } else {
        if (k_now - t->settled_ticks > 2u * p) { /* a long gap: count all but the last period */
            settle_counted(t, t->phase0 + t->settled_ticks, t->phase0 + k_now - p);
            t->settled_ticks = k_now - p;
        }
        for (;;) {
            uint64_t k = next_event_tick(t);
            if (k == UINT64_MAX || k > k_now) {
                settle_counted(t, t->phase0 + t->settled_ticks, t->phase0 + k_now);
                break;
            }
            settle_counted(t, t->phase0 + t->settled_ticks, t->phase0 + k - 1u);
            apply_at(t, t->phase0 + k, t->epoch_ps + k * tick);
            t->settled_ticks = k;
        }
        t->settled_ticks = k_now;
    }
    t->in_advance = 0;
    update_irqs(t);
}

static uint64_t tim_next_event(void *state, uint64_t now)
{
    (void)now;
    const struct tim *t = state;
    if (!running(t) || !exact(t))
        return PERIPH_NO_EVENT;
    uint64_t k = next_event_tick(t);
    return k == UINT64_MAX ? PERIPH_NO_EVENT : t->epoch_ps + k * tick_ps(t);
}

static uint64_t phase_now(const struct tim *t)
{
    return (t->phase0 + t->settled_ticks) % period(t);
}

uint32_t tim_count(struct tim *t)
{
    tim_advance(t, mcu_now_ps(t->m));
    return running(t) ? count_at_phase(t, phase_now(t)) : count_at_phase(t, t->phase0 % period(t));
}

/* Restarts the count description at now with count c and direction `down` (after a write that
 * changes the geometry or the count). */
static void rebase(struct tim *t, uint32_t c, int down)
{
    t->epoch_ps = mcu_now_ps(t->m);
    t->settled_ticks = 0;
    t->phase0 = t->arr ? phase_of(t, c, down) % period(t) : 0;
}

static int tim_read(void *state, uint32_t off, uint32_t *v)
{
    struct tim *t = state;
    switch (off) {
    case 0x00: {
        uint32_t cr1 = t->cr1;
        if (cms(t) && t->arr) { /* DIR is read-only in center-aligned mode: the direction now */
            uint64_t p = running(t) ? phase_now(t) : t->phase0 % period(t);
            cr1 = (cr1 & ~CR1_DIR) | (counting_down(t, p) ? CR1_DIR : 0u);
        }
        *v = cr1;
        return 1;
    }
    case 0x04: *v = t->cr2; return 1;
    case 0x08: *v = t->smcr; return 1;
    case 0x0C: *v = t->dier; return 1;
    case 0x10: *v = t->sr; return 1;
    case 0x14: *v = 0; return 1; /* EGR is write-only */
    case 0x18: *v = t->ccmr1; return 1;
    case 0x1C: *v = t->ccmr2; return 1;
    case 0x20: *v = t->ccer; return 1;
    case 0x24: *v = tim_count(t); return 1;
    case 0x28: *v = t->psc; return 1;
    case 0x2C: *v = t->arr; return 1;
    case 0x30: *v = t->w.advanced ? t->rcr : 0; return 1;
    case 0x34: case 0x38: case 0x3C: case 0x40: *v = t->ccr[(off - 0x34) / 4]; return 1;
    case 0x44: *v = t->w.advanced ? t->bdtr : 0; return 1;
    case 0x48: *v = t->dcr; return 1;
    case 0x4C: *v = 0; return 1;
    default: return 0;
    }
}

static int tim_write(void *state, uint32_t off, uint32_t v)
{
    struct tim *t = state;
    uint32_t c = tim_count(t); /* settles to now first */
    int down = running(t) || t->arr ? counting_down(t, running(t) ? phase_now(t)
                                                                  : t->phase0 % period(t))
                                    : 0;
    switch (off) {
    case 0x00:
        t->cr1 = v & 0x3FFu;
        rebase(t, c, down);
        break;
    case 0x04: t->cr2 = v & 0x7FFDu; break;
    case 0x08: t->smcr = v & 0xFFF7u; break;
    case 0x0C: t->dier = v & 0x7FFFu; break;
    case 0x10: t->sr &= v | ~0x1EFFu; break; /* rc_w0 */
    case 0x14:
        if (v & EGR_UG) { /* re-initialise the counter; an update event unless URS [S] */
            t->rep = 0;
            if (!(t->cr1 & CR1_URS))
                t->sr |= SR_UIF;
            c = (t->cr1 & CR1_DIR) && !cms(t) ? t->arr : 0u;
            down = 0;
            rebase(t, c, down);
        }
        t->sr |= v & 0x1Eu; /* CCxG */
        break;
    case 0x18: t->ccmr1 = v & 0xFFFFu; break;
    case 0x1C: t->ccmr2 = v & 0xFFFFu; break;
    case 0x20: t->ccer = v & 0x3FFFu; break;
    case 0x24: rebase(t, v & 0xFFFFu, down); break;
    case 0x28: t->psc = v & 0xFFFFu; rebase(t, c, down); break; /* takes effect at once [I] */
    case 0x2C: t->arr = v & 0xFFFFu; rebase(t, c, down); break; /* preload not modelled [I] */
    case 0x30: t->rcr = v & 0xFFu; break;
    case 0x34: case 0x38: case 0x3C: case 0x40: t->ccr[(off - 0x34) / 4] = v & 0xFFFFu; break;
    case 0x44: t->bdtr = v & 0xFFFFu; break;
    case 0x48: t->dcr = v & 0x1F1Fu; break;
    case 0x4C: break;
    default: return 0;
    }
    update_irqs(t);
    return 1;
}

void tim_init(struct tim *t, struct mcu *m, const struct tim_wiring *w, struct periph *out)
{
    memset(t, 0, sizeof *t);
    t->m = m;
    t->w = *w;
    t->arr = 0xFFFFu; /* reset value [S] */
    *out = (struct periph){.name = w->name, .base = w->base, .size = 0x400, .read = tim_read,
                           .write = tim_write, .state = t, .next_event_ps = tim_next_event,
                           .advance = tim_advance, .reads_vary = 1};
}
