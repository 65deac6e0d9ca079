/* adc.c: an STM32F103 ADC in virtual time: regular and injected groups converting the board's
 * raw inputs, DR/JDRx with alignment and injected offsets, DMA requests per regular conversion,
 * flags and the shared interrupt line. Continuous conversions nobody is interrupted by are not
 * events of their own: they are settled when the core advances the block (every run chunk,
 * every access) and when the DMA block is read, skipping whole DMA cycles on a long catch-up. */
#include "adc.h"

#include <string.h>

/* SR / CR1 / CR2 bits [S] RM0008 11.12 */
#define SR_AWD (1u << 0)
#define SR_EOC (1u << 1)
#define SR_JEOC (1u << 2)
#define SR_JSTRT (1u << 3)
#define SR_STRT (1u << 4)
#define CR1_EOCIE (1u << 5)
#define CR1_AWDIE (1u << 6)
#define CR1_JEOCIE (1u << 7)
#define CR1_SCAN (1u << 8)
#define CR1_JAUTO (1u << 10)
#define CR2_ADON (1u << 0)
#define CR2_CONT (1u << 1)
#define CR2_CAL (1u << 2)
#define CR2_RSTCAL (1u << 3)
#define CR2_DMA (1u << 8)
#define CR2_ALIGN (1u << 11)
#define CR2_JEXTSEL_SW (7u << 12)
#define CR2_JEXTTRIG (1u << 15)
#define CR2_EXTSEL_SW (7u << 17)
#define CR2_EXTTRIG (1u << 20)
#define CR2_JSWSTART (1u << 21)
#define CR2_SWSTART (1u << 22)
#define CR2_MASK 0x00FEF90Fu
#define CR2_STARTS (CR2_SWSTART | CR2_JSWSTART)

static uint64_t now_ps(const struct adc *a) { return mcu_now_ps(a->m); }

/* Conversion time of channel ch: sample time + 12.5 cycles, in half cycles [S] 11.6 */
static uint64_t conv_ps(const struct adc *a, unsigned ch)
{
    static const unsigned sample_half_cycles[8] = {3, 15, 27, 57, 83, 111, 143, 479};
    uint32_t smp = ch < 10 ? a->smpr2 >> (3u * ch) : a->smpr1 >> (3u * (ch - 10u));
    return (sample_half_cycles[smp & 7u] + 25u) * a->w.adcclk_ps(a->w.user) / 2u;
}

static unsigned reg_length(const struct adc *a)
{
    return (a->cr1 & CR1_SCAN) ? ((a->sqr1 >> 20) & 0xFu) + 1u : 1u;
}

static unsigned reg_channel(const struct adc *a, unsigned rank)
{
    uint32_t sqr = rank < 6 ? a->sqr3 : rank < 12 ? a->sqr2 : a->sqr1;
    unsigned ch = (sqr >> (5u * (rank % 6u))) & 0x1Fu;
    return ch < ADC_CHANNELS ? ch : ADC_CHANNELS - 1u;
}

/* Injected rank k (0-based) of JL+1: JSQ(4-JL+k) [S] 11.12.12 */
static unsigned inj_length(const struct adc *a) { return ((a->jsqr >> 20) & 3u) + 1u; }

static unsigned inj_channel(const struct adc *a, unsigned k)
{
    unsigned ch = (a->jsqr >> (5u * (4u - inj_length(a) + k))) & 0x1Fu;
    return ch < ADC_CHANNELS ? ch : ADC_CHANNELS - 1u;
}

static uint64_t reg_group_ps(const struct adc *a)
{
    uint64_t t = 0;
    for (unsigned r = 0; r < reg_length(a); r++)
        t += conv_ps(a, reg_channel(a, r));
    return t;
}

static void update_irq(struct adc *a)
{
    int level = ((a->cr1 & CR1_EOCIE) && (a->sr & SR_EOC)) ||
                ((a->cr1 & CR1_JEOCIE) && (a->sr & SR_JEOC)) ||
                ((a->cr1 & CR1_AWDIE) && (a->sr & SR_AWD));
    unsigned before = *a->w.shared_irq;
    if (level)
        *a->w.shared_irq |= a->w.irq_bit;
    else
        *a->w.shared_irq &= ~a->w.irq_bit;
    if ((before != 0) != (*a->w.shared_irq != 0))
        mcu_irq_set(a->m, ADC_IRQ, *a->w.shared_irq != 0);
}

static void start_regular(struct adc *a, uint64_t t)
{
    if (!(a->cr2 & CR2_ADON))
        return;
    a->reg_running = 1;
    a->reg_rank = 0;
    a->reg_done_ps = t + conv_ps(a, reg_channel(a, 0));
    a->sr |= SR_STRT;
    if (a->w.on_start)
        a->w.on_start(a->w.user, 0, t);
}

static void start_injected(struct adc *a, uint64_t t)
{
    if (!(a->cr2 & CR2_ADON))
        return;
    uint64_t d = 0;
    for (unsigned k = 0; k < inj_length(a); k++)
        d += conv_ps(a, inj_channel(a, k));
    a->inj_running = 1;
    a->inj_done_ps = t + d;
    a->sr |= SR_JSTRT;
    if (a->w.on_start)
        a->w.on_start(a->w.user, 1, t);
}

static void regular_done(struct adc *a, uint64_t t)
{
    uint32_t raw = a->input[reg_channel(a, a->reg_rank)];
    a->dr = (a->cr2 & CR2_ALIGN) ? raw << 4 : raw; /* 12 bits right or left aligned [S] 11.5 */
    a->conversions++;
    int group_end = ++a->reg_rank >= reg_length(a);
    if (group_end)
        a->sr |= SR_EOC; /* end of the regular group [S] */
    /* the DMA reads DR, which clears EOC as a read by the CPU would [S] */
    if ((a->cr2 & CR2_DMA) && a->w.dma_channel)
        mcu_dma_request(a->m, a->w.dma_channel);
    if (!group_end) {
        a->reg_done_ps = t + conv_ps(a, reg_channel(a, a->reg_rank));
        return;
    }
    if ((a->cr1 & CR1_JAUTO) && !a->inj_running)
        start_injected(a, t);
    if (a->cr2 & CR2_CONT) {
        a->reg_rank = 0;
        a->reg_done_ps = t + conv_ps(a, reg_channel(a, 0));
    } else {
        a->reg_running = 0;
    }
}

static void injected_done(struct adc *a)
{
    for (unsigned k = 0; k < inj_length(a); k++) {
        /* the offset is subtracted; the signed result is sign-extended (right) or shifted so the
         * sign is bit 15 (left) [S] 11.5 */
        int32_t v = (int32_t)a->input[inj_channel(a, k)] - (int32_t)(a->jofr[k] & 0xFFFu);
        a->jdr[k] = (uint16_t)((a->cr2 & CR2_ALIGN) ? v * 8 : v);
        a->conversions++;
    }
    a->inj_running = 0;
    a->sr |= SR_JEOC | SR_EOC; /* EOC is set at the end of either group [S] 11.12.1 */
}

static int regular_is_event(const struct adc *a)
{
    return !(a->cr2 & CR2_CONT) || (a->cr1 & CR1_EOCIE) ||
           (a->w.dma_interrupts && (a->cr2 & CR2_DMA) && a->w.dma_interrupts(a->w.user));
}

static uint64_t adc_next_event(void *state, uint64_t now)
{
    (void)now;
    const struct adc *a = state;
    uint64_t next = PERIPH_NO_EVENT;
    if (a->reg_running && regular_is_event(a))
        next = a->reg_done_ps;
    if (a->inj_running && a->inj_done_ps < next)
        next = a->inj_done_ps;
    return next;
}

/* A long continuous catch-up at a group boundary: skip whole cycles of the DMA ring (or whole
 * groups without DMA), which leave DR, the ring and CNDTR as they were (the inputs do not
 * change inside one advance), keeping the last two cycles to set the flags as they would be. */
static void skip_whole_cycles(struct adc *a, uint64_t now)
{
    if (!(a->cr2 & CR2_CONT) || a->reg_rank != 0 || a->reg_done_ps > now)
        return;
    unsigned len = reg_length(a), cycle = len;
    unsigned ring = ((a->cr2 & CR2_DMA) && a->w.dma_cycle) ? a->w.dma_cycle(a->w.user) : 0;
    if (ring) {
        unsigned x = len, y = ring;
        while (y) {
            unsigned r = x % y;
            x = y;
            y = r;
        }
        cycle = len / x * ring; /* lcm: a whole number of groups and of ring cycles */
    }
    uint64_t cycle_ps = reg_group_ps(a) * (cycle / len);
    uint64_t behind = now - a->reg_done_ps;
    if (cycle_ps == 0 || behind < 3u * cycle_ps)
        return;
    uint64_t skip = behind / cycle_ps - 2u;
    a->reg_done_ps += skip * cycle_ps;
    a->conversions += skip * cycle;
}

static void adc_advance(void *state, uint64_t now)
{
    struct adc *a = state;
    if (a->in_advance)
        return; /* the DMA reading DR from inside an event */
    a->in_advance = 1;
    for (;;) {
        int reg = a->reg_running && a->reg_done_ps <= now;
        int inj = a->inj_running && a->inj_done_ps <= now;
        if (reg && inj)
            reg = a->reg_done_ps <= a->inj_done_ps;
        if (reg) {
            skip_whole_cycles(a, now);
            regular_done(a, a->reg_done_ps);
        } else if (inj) {
            injected_done(a);
        } else {
            break;
        }
    }
    a->in_advance = 0;
    update_irq(a);
}

void adc_sync(struct adc *a)
{
    adc_advance(a, now_ps(a));
}

static int adc_read(void *state, uint32_t off, uint32_t *v)
{
    struct adc *a = state;
    switch (off) {
    case 0x00: *v = a->sr; return 1;
    case 0x04: *v = a->cr1; return 1;
    case 0x08: *v = a->cr2; return 1;
    case 0x0C: *v = a->smpr1; return 1;
    case 0x10: *v = a->smpr2; return 1;
    case 0x14: case 0x18: case 0x1C: case 0x20: *v = a->jofr[(off - 0x14) / 4]; return 1;
    case 0x24: *v = a->htr; return 1;
    case 0x28: *v = a->ltr; return 1;
    case 0x2C: *v = a->sqr1; return 1;
    case 0x30: *v = a->sqr2; return 1;
    case 0x34: *v = a->sqr3; return 1;
    case 0x38: *v = a->jsqr; return 1;
    case 0x3C: case 0x40: case 0x44: case 0x48: *v = a->jdr[(off - 0x3C) / 4]; return 1;
    case 0x4C:
        *v = a->dr;
        a->sr &= ~SR_EOC; /* reading DR clears EOC [S] */
        update_irq(a);
        return 1;
    default: return 0;
    }
}

static void write_cr2(struct adc *a, uint32_t v)
{
    uint64_t now = now_ps(a);
    uint32_t old = a->cr2;
    a->cr2 = v & CR2_MASK;
    if (!(a->cr2 & CR2_ADON)) { /* power down: conversions stop */
        a->reg_running = a->inj_running = 0;
        a->cr2 &= ~(CR2_CAL | CR2_RSTCAL | CR2_STARTS);
        return;
    }
    /* calibration and its reset complete at once (clocks are ideal) */
    a->cr2 &= ~(CR2_CAL | CR2_RSTCAL);
    /* ADON written 1 again, nothing else changed: a regular conversion starts [S] 11.12.3 */
    int adon_again = (old & CR2_ADON) && (v & CR2_ADON) && !((old ^ v) & CR2_MASK);
    int sw_start = (a->cr2 & CR2_SWSTART) && (a->cr2 & CR2_EXTTRIG) &&
                   (a->cr2 & CR2_EXTSEL_SW) == CR2_EXTSEL_SW;
    if (adon_again || sw_start) {
        a->cr2 &= ~CR2_SWSTART;
        start_regular(a, now);
    }
    if ((a->cr2 & CR2_JSWSTART) && (a->cr2 & CR2_JEXTTRIG) &&
        (a->cr2 & CR2_JEXTSEL_SW) == CR2_JEXTSEL_SW) {
        a->cr2 &= ~CR2_JSWSTART;
        start_injected(a, now);
    }
}

static int adc_write(void *state, uint32_t off, uint32_t v)
{
    struct adc *a = state;
    switch (off) {
    case 0x00: a->sr &= v | ~0x1Fu; break; /* rc_w0 [S] */
    case 0x04: a->cr1 = v & 0x00CFFFFFu; break;
    case 0x08: write_cr2(a, v); break;
    case 0x0C: a->smpr1 = v & 0x00FFFFFFu; break;
    case 0x10: a->smpr2 = v & 0x3FFFFFFFu; break;
    case 0x14: case 0x18: case 0x1C: case 0x20: a->jofr[(off - 0x14) / 4] = v & 0xFFFu; break;
    case 0x24: a->htr = v & 0xFFFu; break;
    case 0x28: a->ltr = v & 0xFFFu; break;
    case 0x2C: a->sqr1 = v & 0x00FFFFFFu; break;
    case 0x30: a->sqr2 = v & 0x3FFFFFFFu; break;
    case 0x34: a->sqr3 = v & 0x3FFFFFFFu; break;
    case 0x38: a->jsqr = v & 0x003FFFFFu; break;
    case 0x3C: case 0x40: case 0x44: case 0x48: case 0x4C: return 1; /* read-only */
    default: return 0;
    }
    update_irq(a);
    return 1;
}

void adc_init(struct adc *a, struct mcu *m, const struct adc_wiring *w, struct periph *out)
{
    memset(a, 0, sizeof *a);
    a->m = m;
    a->w = *w;
    for (unsigned ch = 0; ch < ADC_CHANNELS; ch++)
        a->input[ch] = ADC_RAW_MID;
    *out = (struct periph){.name = w->name, .base = w->base, .size = 0x400, .read = adc_read,
                           .write = adc_write, .state = a, .next_event_ps = adc_next_event,
                           .advance = adc_advance, .reads_vary = 1};
}

int adc_trigger_selected(const struct adc *a, int injected, unsigned source)
{
    if (!(a->cr2 & CR2_ADON))
        return 0;
    if (injected)
        return (a->cr2 & CR2_JEXTTRIG) && ((a->cr2 >> 12) & 7u) == source;
    return (a->cr2 & CR2_EXTTRIG) && ((a->cr2 >> 17) & 7u) == source;
}

int adc_external_trigger(struct adc *a, int injected, unsigned source, uint64_t t_ps)
{
    if (!adc_trigger_selected(a, injected, source))
        return 0;
    adc_advance(a, t_ps);
    if (injected ? a->inj_running : a->reg_running)
        return 0; /* a trigger while the group converts is ignored [S] */
    if (injected)
        start_injected(a, t_ps);
    else
        start_regular(a, t_ps);
    update_irq(a);
    return 1;
}

unsigned adc_dual_mode(const struct adc *a)
{
    return (a->cr1 >> 16) & 0xFu;
}

void adc_start_injected_with_master(struct adc *a, uint64_t t_ps)
{
    adc_advance(a, t_ps);
    if (!a->inj_running)
        start_injected(a, t_ps);
}

void adc_set_input(struct adc *a, unsigned ch, unsigned raw)
{
    /* the conversions that ended before now saw the old value, however lazily they are settled:
     * the state stays a function of the time the input changed, not of when we were advanced */
    adc_advance(a, now_ps(a));
    if (ch < ADC_CHANNELS)
        a->input[ch] = (uint16_t)(raw > ADC_RAW_MAX ? ADC_RAW_MAX : raw);
}
