/* exti.c: EXTI pending bits from selected edges or SWIER, cleared by writing 1 to PR, each
 * unmasked pending line driving its NVIC input (lines 5-9 and 10-15 share one each). */
#include "exti.h"

#include <string.h>

#define MASK ((1u << EXTI_LINES) - 1u)

/* NVIC input of an EXTI line [S] RM0008 table 63 (16-18: PVD, RTC alarm, USB wake-up). */
static unsigned line_irq(unsigned line)
{
    static const unsigned irq[EXTI_LINES] = {6, 7, 8, 9, 10, 23, 23, 23, 23, 23,
                                             40, 40, 40, 40, 40, 40, 1, 41, 42};
    return irq[line];
}

static void update_irqs(struct exti *e)
{
    static const unsigned irqs[] = {1, 6, 7, 8, 9, 10, 23, 40, 41, 42};
    uint32_t active = e->pr & e->imr;
    for (unsigned k = 0; k < sizeof irqs / sizeof irqs[0]; k++) {
        int level = 0;
        for (unsigned line = 0; line < EXTI_LINES; line++)
            if ((active >> line & 1u) && line_irq(line) == irqs[k])
                level = 1;
        if (level != (int)(e->irq_levels >> k & 1u)) {
            e->irq_levels ^= 1u << k;
            mcu_irq_set(e->m, irqs[k], level);
        }
    }
}

static int exti_read(void *state, uint32_t off, uint32_t *v)
{
    struct exti *e = state;
    switch (off) {
    case 0x00: *v = e->imr; return 1;
    case 0x04: *v = e->emr; return 1;
    case 0x08: *v = e->rtsr; return 1;
    case 0x0C: *v = e->ftsr; return 1;
    case 0x10: *v = e->swier; return 1;
    case 0x14: *v = e->pr; return 1;
    default: return 0;
    }
}

static int exti_write(void *state, uint32_t off, uint32_t v)
{
    struct exti *e = state;
    v &= MASK;
    switch (off) {
    case 0x00: e->imr = v; break;
    case 0x04: e->emr = v; break;
    case 0x08: e->rtsr = v; break;
    case 0x0C: e->ftsr = v; break;
    case 0x10: /* a 0 -> 1 write sets the pending bit of an unmasked line [S] 10.3.5 */
        e->pr |= v & ~e->swier & e->imr;
        e->swier |= v;
        break;
    case 0x14: /* write 1 clears PR and the SWIER bit [S] 10.3.6 */
        e->pr &= ~v;
        e->swier &= ~v;
        break;
    default: return 0;
    }
    update_irqs(e);
    return 1;
}

void exti_init(struct exti *e, struct mcu *m, struct periph *out)
{
    memset(e, 0, sizeof *e);
    e->m = m;
    *out = (struct periph){.name = "EXTI", .base = EXTI_BASE, .size = 0x400, .read = exti_read,
                           .write = exti_write, .state = e};
}

void exti_edge(struct exti *e, unsigned line, int rising)
{
    if (line >= EXTI_LINES)
        return;
    uint32_t bit = 1u << line;
    if ((rising ? e->rtsr : e->ftsr) & bit) {
        if (e->imr & bit)
            e->pr |= bit;
        update_irqs(e);
    }
}
