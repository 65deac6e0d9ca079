/* gpio.c: an STM32F103 GPIO port: the configuration nibbles decide what IDR reads per pin (an
 * output reads back its ODR bit, an input the level the board drives, else its pull, an analog
 * or floating undriven pin 0), BSRR/BRR set and reset ODR bits atomically. */
#include "gpio.h"

#include <string.h>

/* The 4-bit configuration of `pin`: MODE in bits 1:0 (0 = input), CNF in bits 3:2 [S] 9.2.1 */
static unsigned pin_config(const struct gpio *g, unsigned pin)
{
    uint32_t cr = pin < 8 ? g->crl : g->crh;
    return (cr >> (4u * (pin % 8u))) & 0xFu;
}

uint32_t gpio_idr(const struct gpio *g)
{
    uint32_t idr = 0;
    for (unsigned pin = 0; pin < 16; pin++) {
        unsigned cfg = pin_config(g, pin), mode = cfg & 3u, cnf = cfg >> 2;
        uint32_t bit = 1u << pin;
        int level;
        if (mode != 0) /* output: general purpose reads back ODR; alternate function idles high */
            level = (cnf & 2u) ? ((g->driven & bit) ? (g->level & bit) != 0 : 1)
                               : (g->odr & bit) != 0;
        else if (cnf == 0) /* analog: the Schmitt trigger is off, IDR reads 0 [S] 9.1.11 */
            level = 0;
        else if (g->driven & bit)
            level = (g->level & bit) != 0;
        else /* pull-up/down follows ODR [S] table 20; a floating undriven pin reads 0 [I] */
            level = cnf == 2 && (g->odr & bit);
        if (level)
            idr |= bit;
    }
    return idr;
}

static int gpio_read(void *state, uint32_t off, uint32_t *v)
{
    struct gpio *g = state;
    switch (off) {
    case 0x00: *v = g->crl; return 1;
    case 0x04: *v = g->crh; return 1;
    case 0x08: *v = gpio_idr(g); return 1;
    case 0x0C: *v = g->odr; return 1;
    case 0x10: case 0x14: *v = 0; return 1; /* BSRR, BRR are write-only */
    case 0x18: *v = g->lckr; return 1;
    default: return 0;
    }
}

static int gpio_write(void *state, uint32_t off, uint32_t v)
{
    struct gpio *g = state;
    switch (off) {
    case 0x00: g->crl = v; return 1;
    case 0x04: g->crh = v; return 1;
    case 0x08: return 1; /* IDR is read-only */
    case 0x0C: g->odr = v & 0xFFFFu; return 1;
    case 0x10: /* BSRR: set bits 15:0, reset bits 31:16; set wins [S] 9.2.5 */
        g->odr = (g->odr & ~(v >> 16)) | (v & 0xFFFFu);
        g->odr &= 0xFFFFu;
        return 1;
    case 0x14: g->odr &= ~(v & 0xFFFFu); return 1;
    case 0x18: g->lckr = v & 0x1FFFFu; return 1; /* the lock itself is not enforced */
    default: return 0;
    }
}

void gpio_init(struct gpio *g, const char *name, uint32_t base, struct periph *out)
{
    memset(g, 0, sizeof *g);
    g->crl = g->crh = 0x44444444u; /* floating inputs [S] reset value */
    *out = (struct periph){.name = name, .base = base, .size = 0x400, .read = gpio_read,
                           .write = gpio_write, .state = g};
}

void gpio_drive_pin(struct gpio *g, unsigned pin, int level)
{
    if (pin > 15)
        return;
    uint16_t bit = (uint16_t)(1u << pin);
    g->driven |= bit;
    if (level)
        g->level |= bit;
    else
        g->level &= (uint16_t)~bit;
}

void gpio_release_pin(struct gpio *g, unsigned pin)
{
    if (pin <= 15)
        g->driven &= (uint16_t)~(1u << pin);
}
