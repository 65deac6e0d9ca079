/* exec32_ctl.c: the 32-bit branches and miscellaneous control (A5.3.4): B (conditional T3 and
 * unconditional T4), BL, MSR/MRS, the hints (NOP, YIELD, WFE, WFI, SEV) and the barriers (DSB,
 * DMB, ISB: nothing to order in an interpreter), CLREX, the permanently undefined UDF.W.
 * [S] ARMv7-M ARM A5.3.4, A7.7 */
#include "alu.h"

static int hints_and_barriers(struct armv7m *c, uint32_t hw1, uint32_t hw2)
{
    if ((hw1 & 0xFFF0u) == 0xF3A0u) { /* hints */
        if (hw2 & 0x0700u)
            return UNDEF;
        switch (hw2 & 0xFFu) {
        case 2: return ARMV7M_WFE;
        case 3: return ARMV7M_WFI;
        case 4: return ARMV7M_SEV;
        default: return ARMV7M_OK;
        }
    }
    switch ((hw2 >> 4) & 0xFu) {
    case 2: c->exclusive = 0; return ARMV7M_OK; /* CLREX */
    case 4: case 5: case 6: return ARMV7M_OK;    /* DSB, DMB, ISB */
    default: return UNDEF;
    }
}

int armv7m_exec32_ctl(struct armv7m *c, uint32_t hw1, uint32_t hw2)
{
    unsigned op1 = (hw2 >> 12) & 7u, op = (hw1 >> 4) & 0x7Fu;
    uint32_t s = (hw1 >> 10) & 1u, j1 = (hw2 >> 13) & 1u, j2 = (hw2 >> 11) & 1u;
    if ((op1 & 5u) == 0) { /* op1 = 0x0 */
        if ((op & 0x38u) != 0x38u) { /* B<c>.W: not allowed inside an IT block */
            if (in_it_block(c))
                return UNDEF;
            uint32_t imm = s << 20 | j2 << 19 | j1 << 18 | (hw1 & 0x3Fu) << 12 | (hw2 & 0x7FFu) << 1;
            if (condition_passed(c, (hw1 >> 6) & 0xFu))
                branch_to(c, c->r[15] + sext(imm, 21));
            return ARMV7M_OK;
        }
        switch (op) {
        case 0x38: case 0x39: /* MSR */
            armv7m_msr(c, hw2 & 0xFFu, (hw2 >> 10) & 3u, c->r[hw1 & 0xFu]);
            return ARMV7M_OK;
        case 0x3A: case 0x3B:
            return hints_and_barriers(c, hw1, hw2);
        case 0x3E: case 0x3F: { /* MRS */
            unsigned rd = (hw2 >> 8) & 0xFu;
            if (rd >= 13)
                return UNDEF;
            c->r[rd] = armv7m_mrs(c, hw2 & 0xFFu);
            return ARMV7M_OK;
        }
        default:
            return UNDEF;
        }
    }
    uint32_t i1 = !(j1 ^ s), i2 = !(j2 ^ s);
    uint32_t imm = s << 24 | i1 << 23 | i2 << 22 | (hw1 & 0x3FFu) << 12 | (hw2 & 0x7FFu) << 1;
    uint32_t target = c->r[15] + sext(imm, 25);
    if (op1 & 4u) {
        if (!(op1 & 1u))
            return UNDEF; /* BLX (immediate): to ARM state, not on ARMv7-M */
        c->r[14] = c->next_pc | 1u; /* BL */
    }
    branch_to(c, target);
    return ARMV7M_OK;
}
