/* nvic.c: NVIC/SCB registers and exception priorities of the Cortex-M3 (ARMv7-M B1.5, B3.2,
 * B3.4; PM0056 for the STM32F1 values). */
#include "nvic.h"

#include <string.h>

#define CPUID_M3_R1P1 0x411FC231u   /* STM32F103 core revision [S] PM0056 */
#define ICSR_PENDSTCLR (1u << 25)
#define ICSR_PENDSTSET (1u << 26)
#define ICSR_PENDSVCLR (1u << 27)
#define ICSR_PENDSVSET (1u << 28)
#define ICSR_NMIPENDSET (1u << 31)
#define AIRCR_VECTKEY 0x05FAu
#define AIRCR_VECTKEYSTAT 0xFA050000u
#define AIRCR_VECTRESET 1u
#define AIRCR_SYSRESETREQ 4u
#define CCR_STKALIGN (1u << 9)

void nvic_reset(struct nvic *n, uint32_t vtor)
{
    memset(n, 0, sizeof *n);
    for (unsigned e = 0; e < EXC_IRQ0; e++)
        n->enabled[e] = 1;
    n->vtor = vtor & 0x3FFFFF80u;
    n->ccr = CCR_STKALIGN; /* PM0056 gives 0x200 as CCR's reset value [I] */
}

static int is_irq(unsigned exc) { return exc >= EXC_IRQ0 && exc < NVIC_NUM_EXC; }

/* Priority as the rules compare it: NMI -2, HardFault -1, the rest as programmed. */
static int raw_priority(const struct nvic *n, unsigned exc)
{
    if (exc == EXC_NMI)
        return -2;
    if (exc == EXC_HARDFAULT)
        return -1;
    return n->prio[exc];
}

int nvic_group_priority(const struct nvic *n, unsigned exc)
{
    int p = raw_priority(n, exc);
    if (p < 0)
        return p;
    /* PRIGROUP g: bits [g:0] are the subpriority, the rest the group priority. [S] */
    return p & (int)(0xFFu << (n->prigroup + 1) & 0xFFu);
}

int nvic_exec_priority(const struct nvic *n, uint32_t primask, uint32_t faultmask,
                       uint32_t basepri)
{
    int prio = NVIC_THREAD_PRIORITY;
    for (unsigned e = 1; e < NVIC_NUM_EXC; e++)
        if (n->active[e]) {
            int g = nvic_group_priority(n, e);
            if (g < prio)
                prio = g;
        }
    if (basepri & NVIC_PRIO_BITS_MASK) {
        int g = (int)(basepri & NVIC_PRIO_BITS_MASK) & (int)(0xFFu << (n->prigroup + 1) & 0xFFu);
        if (g < prio)
            prio = g;
    }
    if ((primask & 1u) && prio > 0)
        prio = 0;
    if ((faultmask & 1u) && prio > -1)
        prio = -1;
    return prio;
}

unsigned nvic_next_pending(const struct nvic *n, int *group)
{
    unsigned best = 0;
    int best_group = 0, best_raw = 0;
    if (!memchr(n->pending, 1, NVIC_NUM_EXC)) {
        if (group)
            *group = 0;
        return 0;
    }
    for (unsigned e = 2; e < NVIC_NUM_EXC; e++) {
        if (!n->pending[e] || !n->enabled[e])
            continue;
        int g = nvic_group_priority(n, e), r = raw_priority(n, e);
        /* Lowest group, then lowest full priority, then lowest number. [S] B1.5.4 */
        if (!best || g < best_group || (g == best_group && r < best_raw)) {
            best = e;
            best_group = g;
            best_raw = r;
        }
    }
    if (group)
        *group = best_group;
    return best;
}

void nvic_pend(struct nvic *n, unsigned exc)
{
    if (exc > 0 && exc < NVIC_NUM_EXC)
        n->pending[exc] = 1;
}

int nvic_set_line(struct nvic *n, unsigned irq, int level)
{
    if (irq >= NVIC_NUM_IRQS)
        return 0;
    int rose = level && !n->level[irq];
    n->level[irq] = level ? 1 : 0;
    if (rose && !n->pending[EXC_IRQ0 + irq]) {
        n->pending[EXC_IRQ0 + irq] = 1;
        return 1;
    }
    return 0;
}

void nvic_activate(struct nvic *n, unsigned exc)
{
    n->pending[exc] = 0;
    if (!n->active[exc])
        n->nactive++;
    n->active[exc] = 1;
    n->ipsr = exc;
}

void nvic_complete(struct nvic *n, unsigned exc, unsigned return_to)
{
    if (exc < NVIC_NUM_EXC && n->active[exc]) {
        n->active[exc] = 0;
        n->nactive--;
    }
    if (is_irq(exc) && n->level[exc - EXC_IRQ0])
        n->pending[exc] = 1; /* a level line still asserted pends again [S] */
    n->ipsr = return_to < NVIC_NUM_EXC ? return_to : 0;
}

/* Bits 32*w .. 32*w+31 of one per-IRQ flag array as a register word. */
static uint32_t irq_word(const uint8_t *flags, unsigned w)
{
    uint32_t v = 0;
    for (unsigned b = 0; b < 32; b++) {
        unsigned irq = w * 32 + b;
        if (irq < NVIC_NUM_IRQS && flags[EXC_IRQ0 + irq])
            v |= 1u << b;
    }
    return v;
}

static void irq_word_apply(struct nvic *n, uint8_t *flags, unsigned w, uint32_t v, uint8_t to)
{
    for (unsigned b = 0; b < 32; b++) {
        unsigned irq = w * 32 + b;
        if (irq < NVIC_NUM_IRQS && (v >> b & 1u)) {
            flags[EXC_IRQ0 + irq] = to;
            /* ICPR on a line still high: it stays pending (level-sensitive). */
            if (flags == n->pending && !to && n->level[irq])
                flags[EXC_IRQ0 + irq] = 1;
        }
    }
}

static uint32_t icsr_read(const struct nvic *n)
{
    uint32_t v = n->ipsr & 0x1FFu;
    if (n->nactive <= 1)
        v |= 1u << 11; /* RETTOBASE */
    /* VECTPENDING ignores the masks; ISRPENDING: an external interrupt pending. */
    unsigned best = 0;
    int bg = 0;
    for (unsigned e = 2; e < NVIC_NUM_EXC; e++)
        if (n->pending[e] && (!best || nvic_group_priority(n, e) < bg)) {
            best = e;
            bg = nvic_group_priority(n, e);
        }
    v |= (best & 0x1FFu) << 12;
    for (unsigned e = EXC_IRQ0; e < NVIC_NUM_EXC; e++)
        if (n->pending[e])
            v |= 1u << 22;
    if (n->pending[EXC_SYSTICK])
        v |= ICSR_PENDSTSET;
    if (n->pending[EXC_PENDSV])
        v |= ICSR_PENDSVSET;
    if (n->pending[EXC_NMI])
        v |= ICSR_NMIPENDSET;
    return v;
}

static uint32_t shcsr_read(const struct nvic *n)
{
    uint32_t v = n->shcsr & 0x00070000u; /* fault enables as written */
    if (n->active[EXC_SVCALL]) v |= 1u << 7;
    if (n->active[EXC_PENDSV]) v |= 1u << 10;
    if (n->active[EXC_SYSTICK]) v |= 1u << 11;
    if (n->pending[EXC_SVCALL]) v |= 1u << 15;
    return v;
}

/* Byte-addressable priority bytes: IPR (0x400..) and SHPR (0xD18..0xD23). NULL if not one. */
static uint8_t *prio_byte(struct nvic *n, uint32_t off)
{
    if (off >= 0x400 && off < 0x400 + NVIC_NUM_IRQS)
        return &n->prio[EXC_IRQ0 + (off - 0x400)];
    if (off >= 0xD18 && off < 0xD24)
        return &n->prio[4 + (off - 0xD18)];
    return NULL;
}

int nvic_read(const struct nvic *n, uint32_t off, unsigned size, uint32_t *v)
{
    struct nvic *mut = (struct nvic *)n; /* prio_byte serves both directions; no write here */
    if (prio_byte(mut, off) || (off >= 0x400 && off < 0x450)) {
        *v = 0;
        for (unsigned i = 0; i < size; i++) {
            const uint8_t *p = prio_byte(mut, off + i);
            *v |= (uint32_t)(p ? *p : 0) << (8 * i);
        }
        return 1;
    }
    if (size != 4 || (off & 3u))
        return 0;
    if (off >= 0x100 && off < 0x10C) { *v = irq_word(n->enabled, (off - 0x100) / 4); return 1; }
    if (off >= 0x180 && off < 0x18C) { *v = irq_word(n->enabled, (off - 0x180) / 4); return 1; }
    if (off >= 0x200 && off < 0x20C) { *v = irq_word(n->pending, (off - 0x200) / 4); return 1; }
    if (off >= 0x280 && off < 0x28C) { *v = irq_word(n->pending, (off - 0x280) / 4); return 1; }
    if (off >= 0x300 && off < 0x30C) { *v = irq_word(n->active, (off - 0x300) / 4); return 1; }
    switch (off) {
    case 0x004: *v = 2; return 1;               /* ICTR: up to 96 lines */
    case 0xD00: *v = CPUID_M3_R1P1; return 1;
    case 0xD04: *v = icsr_read(n); return 1;
    case 0xD08: *v = n->vtor; return 1;
    case 0xD0C: *v = AIRCR_VECTKEYSTAT | n->prigroup << 8; return 1;
    case 0xD10: *v = n->scr; return 1;
    case 0xD14: *v = n->ccr; return 1;
    case 0xD24: *v = shcsr_read(n); return 1;
    case 0xD28: case 0xD2C: case 0xD30: case 0xD34: case 0xD38: case 0xD3C:
        *v = 0; return 1;                       /* fault status: no fault is ever recorded */
    default: return 0;
    }
}

int nvic_write(struct nvic *n, uint32_t off, unsigned size, uint32_t v, unsigned *effects)
{
    *effects = 0;
    if (prio_byte(n, off) || (off >= 0x400 && off < 0x450)) {
        for (unsigned i = 0; i < size; i++) {
            uint8_t *p = prio_byte(n, off + i);
            if (p)
                *p = (uint8_t)(v >> (8 * i)) & NVIC_PRIO_BITS_MASK;
        }
        *effects = NVIC_WRITE_RESCHEDULE;
        return 1;
    }
    if (size != 4 || (off & 3u))
        return 0;
    if (off >= 0x100 && off < 0x10C) {
        irq_word_apply(n, n->enabled, (off - 0x100) / 4, v, 1);
        *effects = NVIC_WRITE_RESCHEDULE;
        return 1;
    }
    if (off >= 0x180 && off < 0x18C) {
        irq_word_apply(n, n->enabled, (off - 0x180) / 4, v, 0);
        return 1;
    }
    if (off >= 0x200 && off < 0x20C) {
        irq_word_apply(n, n->pending, (off - 0x200) / 4, v, 1);
        *effects = NVIC_WRITE_RESCHEDULE;
        return 1;
    }
    if (off >= 0x280 && off < 0x28C) {
        irq_word_apply(n, n->pending, (off - 0x280) / 4, v, 0);
        return 1;
    }
    if (off >= 0x300 && off < 0x30C)
        return 1; /* IABR is read-only */
    switch (off) {
    case 0xD04:
        if (v & ICSR_PENDSVSET) n->pending[EXC_PENDSV] = 1;
        if (v & ICSR_PENDSVCLR) n->pending[EXC_PENDSV] = 0;
        if (v & ICSR_PENDSTSET) n->pending[EXC_SYSTICK] = 1;
        if (v & ICSR_PENDSTCLR) n->pending[EXC_SYSTICK] = 0;
        if (v & ICSR_NMIPENDSET) n->pending[EXC_NMI] = 1;
        *effects = NVIC_WRITE_RESCHEDULE;
        return 1;
    case 0xD08: n->vtor = v & 0x3FFFFF80u; return 1;
    case 0xD0C:
        if ((v >> 16) != AIRCR_VECTKEY)
            return 1; /* without the key the write is ignored [S] */
        n->prigroup = (v >> 8) & 7u;
        *effects = NVIC_WRITE_RESCHEDULE;
        if (v & (AIRCR_SYSRESETREQ | AIRCR_VECTRESET))
            *effects |= NVIC_WRITE_RESET;
        return 1;
    case 0xD10: n->scr = v & 0x16u; return 1;
    case 0xD14: n->ccr = v & 0x31Bu; return 1;
    case 0xD24: n->shcsr = v & 0x00070000u; return 1;
    case 0xD28: case 0xD2C: case 0xD30: case 0xD3C: return 1; /* W1C of flags never set */
    case 0xF00:
        if ((v & 0x1FFu) < NVIC_NUM_IRQS)
            n->pending[EXC_IRQ0 + (v & 0x1FFu)] = 1;
        *effects = NVIC_WRITE_RESCHEDULE;
        return 1;
    default: return 0;
    }
}
