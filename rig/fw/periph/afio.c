/* afio.c: the AFIO registers, kept as written (SWJ_CFG in MAPR is write-only and reads 0). */
#include "afio.h"

#include <string.h>

static int afio_read(void *state, uint32_t off, uint32_t *v)
{
    struct afio *a = state;
    switch (off) {
    case 0x00: *v = a->evcr; return 1;
    case 0x04: *v = a->mapr & ~(7u << 24); return 1; /* SWJ_CFG reads 0 [S] 9.4.2 */
    case 0x08: case 0x0C: case 0x10: case 0x14: *v = a->exticr[(off - 0x08) / 4]; return 1;
    case 0x1C: *v = a->mapr2; return 1;
    default: return 0;
    }
}

static int afio_write(void *state, uint32_t off, uint32_t v)
{
    struct afio *a = state;
    switch (off) {
    case 0x00: a->evcr = v & 0xFFu; return 1;
    case 0x04: a->mapr = v & 0x071FFFFFu; return 1;
    case 0x08: case 0x0C: case 0x10: case 0x14: a->exticr[(off - 0x08) / 4] = v & 0xFFFFu; return 1;
    case 0x1C: a->mapr2 = v & 0x7E0u; return 1;
    default: return 0;
    }
}

void afio_init(struct afio *a, struct periph *out)
{
    memset(a, 0, sizeof *a);
    *out = (struct periph){.name = "AFIO", .base = AFIO_BASE, .size = 0x400, .read = afio_read,
                           .write = afio_write, .state = a};
}

unsigned afio_exti_port(const struct afio *a, unsigned line)
{
    if (line > 15)
        return 0;
    return (a->exticr[line / 4] >> (4u * (line % 4u))) & 0xFu;
}
