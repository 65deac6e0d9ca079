/* rcc.c: RCC registers; oscillator/PLL ready bits follow their enable bits at once and
 * CFGR.SWS follows CFGR.SW (clocks are ideal: the time base is the core's instruction cost). */
#include "rcc.h"

#include <string.h>

enum { CR, CFGR, CIR, APB2RSTR, APB1RSTR, AHBENR, APB2ENR, APB1ENR, BDCR, CSR, NREG };

static int rcc_read(void *state, uint32_t off, uint32_t *value)
{
    struct rcc *r = state;
    if (off % 4 || off / 4 >= NREG)
        return 0;
    *value = r->reg[off / 4];
    return 1;
}

static int rcc_write(void *state, uint32_t off, uint32_t v)
{
    struct rcc *r = state;
    if (off % 4 || off / 4 >= NREG)
        return 0;
    switch (off / 4) {
    case CR: {
        /* HSIRDY(1) = HSION(0), HSERDY(17) = HSEON(16), PLLRDY(25) = PLLON(24). [S] */
        uint32_t ready = (v & 1u) << 1 | (v & (1u << 16)) << 1 | (v & (1u << 24)) << 1;
        r->reg[CR] = (v & ~0x02020002u) | ready;
        break;
    }
    case CFGR:
        r->reg[CFGR] = (v & ~0xCu) | (v & 3u) << 2; /* SWS = SW [S] */
        break;
    case CIR:
        r->reg[CIR] = v & 0x00001F00u; /* interrupt enables kept; flags never raised */
        break;
    default:
        r->reg[off / 4] = v;
        break;
    }
    return 1;
}

void rcc_init(struct rcc *r, struct periph *out)
{
    memset(r, 0, sizeof *r);
    r->reg[CR] = 0x00000083u;     /* HSION, HSIRDY, HSITRIM 16 [S] */
    r->reg[AHBENR] = 0x00000014u; /* SRAM and FLITF clocks on [S] */
    r->reg[CSR] = 0x0C000000u;    /* PINRSTF, PORRSTF: a power-on reset [S] */
    *out = (struct periph){.name = "RCC", .base = RCC_BASE, .size = 0x400, .read = rcc_read,
                           .write = rcc_write, .state = r};
}
