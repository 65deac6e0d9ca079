/* exec16.c: the 16-bit Thumb encodings of ARMv7-M (A5.2): shifts, add/subtract/compare/move,
 * data processing, special data and branch-exchange, loads and stores, ADR/SP arithmetic, the
 * miscellaneous group (CBZ/CBNZ, extends, PUSH/POP, CPS, REV, BKPT, IT and hints), LDM/STM,
 * conditional and unconditional branches, SVC. Inside an IT block the flag-setting forms do not
 * set flags. [S] ARMv7-M ARM A5.2, A7.7 */
#include "alu.h"

static int load(struct armv7m *c, unsigned rt, uint32_t addr, unsigned size, int sign)
{
    uint32_t v;
    if (unaligned_traps(c, addr, size)) {
        c->fault_addr = addr;
        return ARMV7M_FAULT_UNALIGNED;
    }
    if (!mem_read(c, addr, size, &v))
        return ARMV7M_FAULT_READ;
    if (sign)
        v = sext(v, 8 * size);
    if (rt == 15)
        return bx_write_pc(c, v);
    c->r[rt] = v;
    return ARMV7M_OK;
}

static int store(struct armv7m *c, uint32_t v, uint32_t addr, unsigned size)
{
    if (unaligned_traps(c, addr, size)) {
        c->fault_addr = addr;
        return ARMV7M_FAULT_UNALIGNED;
    }
    return mem_write(c, addr, size, v) ? ARMV7M_OK : ARMV7M_FAULT_WRITE;
}

/* Shift (immediate), add, subtract, move, compare: 00xxxx. */
static int shift_add_sub_mov_cmp(struct armv7m *c, uint32_t hw)
{
    int s = !in_it_block(c);
    unsigned rd = hw & 7u, rm = (hw >> 3) & 7u, imm5 = (hw >> 6) & 0x1Fu;
    unsigned op = (hw >> 11) & 7u;
    uint32_t carry, r;
    unsigned n, type;
    switch (op) {
    case 0: case 1: case 2: /* LSL/LSR/ASR (immediate); LSL #0 is MOVS */
        type = decode_imm_shift(op, imm5, &n);
        r = shift_c(c->r[rm], type, n, c->c, &carry);
        c->r[rd] = r;
        if (s) {
            set_nz(c, r);
            c->c = carry;
        }
        return ARMV7M_OK;
    case 3: {
        unsigned rn = (hw >> 3) & 7u;
        uint32_t b = (hw & 0x0400u) ? (hw >> 6) & 7u : c->r[(hw >> 6) & 7u];
        if (hw & 0x0200u)
            c->r[rd] = add_with_carry(c, c->r[rn], ~b, 1, s);
        else
            c->r[rd] = add_with_carry(c, c->r[rn], b, 0, s);
        return ARMV7M_OK;
    }
    default: {
        unsigned rdn = (hw >> 8) & 7u;
        uint32_t imm = hw & 0xFFu;
        switch (op) {
        case 4: /* MOV */
            c->r[rdn] = imm;
            if (s)
                set_nz(c, imm);
            break;
        case 5: add_with_carry(c, c->r[rdn], ~imm, 1, 1); break; /* CMP */
        case 6: c->r[rdn] = add_with_carry(c, c->r[rdn], imm, 0, s); break;
        default: c->r[rdn] = add_with_carry(c, c->r[rdn], ~imm, 1, s); break;
        }
        return ARMV7M_OK;
    }
    }
}

/* Data processing: 010000 op(4) Rm Rdn. */
static int data_processing(struct armv7m *c, uint32_t hw)
{
    int s = !in_it_block(c);
    unsigned rdn = hw & 7u, rm = (hw >> 3) & 7u;
    uint32_t a = c->r[rdn], b = c->r[rm], r, carry = c->c;
    switch ((hw >> 6) & 0xFu) {
    case 0x0: r = a & b; break;                                     /* AND */
    case 0x1: r = a ^ b; break;                                     /* EOR */
    case 0x2: r = shift_c(a, SH_LSL, b & 0xFFu, c->c, &carry); break; /* LSL (register) */
    case 0x3: r = shift_c(a, SH_LSR, b & 0xFFu, c->c, &carry); break;
    case 0x4: r = shift_c(a, SH_ASR, b & 0xFFu, c->c, &carry); break;
    case 0x5: c->r[rdn] = add_with_carry(c, a, b, c->c, s); return ARMV7M_OK;  /* ADC */
    case 0x6: c->r[rdn] = add_with_carry(c, a, ~b, c->c, s); return ARMV7M_OK; /* SBC */
    case 0x7: r = shift_c(a, SH_ROR, b & 0xFFu, c->c, &carry); break;
    case 0x8: /* TST */
        set_nz(c, a & b);
        return ARMV7M_OK;
    case 0x9: c->r[rdn] = add_with_carry(c, ~b, 0, 1, s); return ARMV7M_OK; /* RSB #0 (NEG) */
    case 0xA: add_with_carry(c, a, ~b, 1, 1); return ARMV7M_OK;              /* CMP */
    case 0xB: add_with_carry(c, a, b, 0, 1); return ARMV7M_OK;               /* CMN */
    case 0xC: r = a | b; break;                                    /* ORR */
    case 0xD: /* MUL: N and Z only */
        r = a * b;
        c->r[rdn] = r;
        if (s)
            set_nz(c, r);
        return ARMV7M_OK;
    case 0xE: r = a & ~b; break;                                   /* BIC */
    default: r = ~b; break;                                        /* MVN */
    }
    c->r[rdn] = r;
    if (s) {
        set_nz(c, r);
        c->c = carry;
    }
    return ARMV7M_OK;
}

/* Special data processing and branch-exchange: 010001. */
static int special_data_branch(struct armv7m *c, uint32_t hw)
{
    unsigned rm = (hw >> 3) & 0xFu, rdn = (hw & 7u) | ((hw >> 4) & 8u);
    switch ((hw >> 8) & 3u) {
    case 0: { /* ADD (register), no flags; to PC it branches */
        uint32_t r = c->r[rdn] + c->r[rm];
        if (rdn == 15)
            branch_to(c, r);
        else
            c->r[rdn] = r;
        return ARMV7M_OK;
    }
    case 1: /* CMP (high registers) */
        add_with_carry(c, c->r[rdn], ~c->r[rm], 1, 1);
        return ARMV7M_OK;
    case 2: /* MOV (register), no flags */
        if (rdn == 15)
            branch_to(c, c->r[rm]);
        else
            c->r[rdn] = c->r[rm];
        return ARMV7M_OK;
    default:
        if (hw & 7u)
            return UNDEF;
        if (hw & 0x80u) { /* BLX (register) */
            uint32_t target = c->r[rm];
            if (rm == 15)
                return UNDEF;
            c->r[14] = c->next_pc | 1u;
            if (!(target & 1u)) {
                c->fault_addr = target;
                return ARMV7M_FAULT_INVSTATE;
            }
            branch_to(c, target);
            return ARMV7M_OK;
        }
        return bx_write_pc(c, c->r[rm]); /* BX */
    }
}

/* Load/store with a register offset: 0101 op(3) Rm Rn Rt. */
static int load_store_register(struct armv7m *c, uint32_t hw)
{
    unsigned rt = hw & 7u, rn = (hw >> 3) & 7u, rm = (hw >> 6) & 7u;
    uint32_t addr = c->r[rn] + c->r[rm];
    switch ((hw >> 9) & 7u) {
    case 0: return store(c, c->r[rt], addr, 4);
    case 1: return store(c, c->r[rt], addr, 2);
    case 2: return store(c, c->r[rt], addr, 1);
    case 3: return load(c, rt, addr, 1, 1);
    case 4: return load(c, rt, addr, 4, 0);
    case 5: return load(c, rt, addr, 2, 0);
    case 6: return load(c, rt, addr, 1, 0);
    default: return load(c, rt, addr, 2, 1);
    }
}

/* The miscellaneous group: 1011 xxxx. */
static int misc(struct armv7m *c, uint32_t hw)
{
    unsigned rd = hw & 7u, rm = (hw >> 3) & 7u;
    switch ((hw >> 8) & 0xFu) {
    case 0x0: /* ADD/SUB SP, SP, #imm7*4 */
        if (hw & 0x80u)
            c->r[13] -= (hw & 0x7Fu) << 2;
        else
            c->r[13] += (hw & 0x7Fu) << 2;
        return ARMV7M_OK;
    case 0x1: case 0x3: case 0x9: case 0xB: { /* CBZ / CBNZ */
        uint32_t imm = ((hw >> 3) & 0x1Fu) << 1 | ((hw >> 9) & 1u) << 6;
        int nonzero = (hw & 0x0800u) != 0;
        if ((c->r[rd] != 0) == nonzero)
            branch_to(c, c->r[15] + imm);
        return ARMV7M_OK;
    }
    case 0x2: {
        uint32_t v = c->r[rm];
        switch ((hw >> 6) & 3u) {
        case 0: c->r[rd] = sext(v, 16); break;   /* SXTH */
        case 1: c->r[rd] = sext(v, 8); break;    /* SXTB */
        case 2: c->r[rd] = v & 0xFFFFu; break;   /* UXTH */
        default: c->r[rd] = v & 0xFFu; break;    /* UXTB */
        }
        return ARMV7M_OK;
    }
    case 0x4: case 0x5: /* PUSH */
        return armv7m_store_multiple(c, 13, (hw & 0xFFu) | ((hw & 0x100u) ? 1u << 14 : 0), 1, 1);
    case 0x6:
        if ((hw & 0xFFE8u) == 0xB660u) { /* CPS */
            uint32_t v = (hw & 0x10u) ? 1u : 0u;
            if (hw & 2u)
                c->primask = v;
            if (hw & 1u)
                c->faultmask = v;
            return ARMV7M_OK;
        }
        return UNDEF;
    case 0xA: {
        uint32_t v = c->r[rm];
        switch ((hw >> 6) & 3u) {
        case 0: c->r[rd] = __builtin_bswap32(v); break;                   /* REV */
        case 1: c->r[rd] = (v & 0xFF00FF00u) >> 8 | (v & 0x00FF00FFu) << 8; break; /* REV16 */
        case 3: c->r[rd] = sext(((v & 0xFFu) << 8) | ((v >> 8) & 0xFFu), 16); break; /* REVSH */
        default: return UNDEF;
        }
        return ARMV7M_OK;
    }
    case 0xC: case 0xD: /* POP */
        return armv7m_load_multiple(c, 13, (hw & 0xFFu) | ((hw & 0x100u) ? 1u << 15 : 0), 1, 0);
    case 0xE:
        return ARMV7M_BKPT;
    case 0xF:
        if (hw & 0xFu) { /* IT: firstcond and mask */
            if (in_it_block(c) || ((hw >> 4) & 0xFu) == 0xFu)
                return UNDEF;
            c->it = hw & 0xFFu;
            return ARMV7M_OK;
        }
        switch ((hw >> 4) & 0xFu) {
        case 2: return ARMV7M_WFE;
        case 3: return ARMV7M_WFI;
        case 4: return ARMV7M_SEV;
        default: return ARMV7M_OK; /* NOP, YIELD, other hints */
        }
    default:
        return UNDEF;
    }
}

int armv7m_exec16(struct armv7m *c, uint32_t hw)
{
    switch (hw >> 12) {
    case 0x0: case 0x1: case 0x2: case 0x3:
        return shift_add_sub_mov_cmp(c, hw);
    case 0x4:
        if ((hw & 0x0800u) == 0x0800u) /* LDR (literal) */
            return load(c, (hw >> 8) & 7u, (c->r[15] & ~3u) + ((hw & 0xFFu) << 2), 4, 0);
        if ((hw & 0x0400u) == 0)
            return data_processing(c, hw);
        return special_data_branch(c, hw);
    case 0x5:
        return load_store_register(c, hw);
    case 0x6: case 0x7: case 0x8: {
        unsigned rt = hw & 7u, rn = (hw >> 3) & 7u, imm5 = (hw >> 6) & 0x1Fu;
        unsigned size = (hw >> 12) == 0x6 ? 4u : (hw >> 12) == 0x8 ? 2u : 1u;
        uint32_t addr = c->r[rn] + imm5 * size;
        if (hw & 0x0800u)
            return load(c, rt, addr, size, 0);
        return store(c, c->r[rt], addr, size);
    }
    case 0x9: { /* LDR/STR SP-relative */
        unsigned rt = (hw >> 8) & 7u;
        uint32_t addr = c->r[13] + ((hw & 0xFFu) << 2);
        if (hw & 0x0800u)
            return load(c, rt, addr, 4, 0);
        return store(c, c->r[rt], addr, 4);
    }
    case 0xA: { /* ADR / ADD Rd, SP, #imm8*4 */
        unsigned rd = (hw >> 8) & 7u;
        uint32_t imm = (hw & 0xFFu) << 2;
        c->r[rd] = ((hw & 0x0800u) ? c->r[13] : (c->r[15] & ~3u)) + imm;
        return ARMV7M_OK;
    }
    case 0xB:
        return misc(c, hw);
    case 0xC: { /* STM / LDM (increment after), Rn! */
        unsigned rn = (hw >> 8) & 7u;
        uint32_t list = hw & 0xFFu;
        if (!list)
            return UNDEF;
        if (hw & 0x0800u)
            return armv7m_load_multiple(c, rn, list, !(list & (1u << rn)), 0);
        return armv7m_store_multiple(c, rn, list, 1, 0);
    }
    case 0xD: {
        unsigned cond = (hw >> 8) & 0xFu;
        if (cond == 0xE)
            return UNDEF; /* UDF */
        if (cond == 0xF)
            return ARMV7M_SVC;
        if (condition_passed(c, cond))
            branch_to(c, c->r[15] + sext((hw & 0xFFu) << 1, 9));
        return ARMV7M_OK;
    }
    case 0xE: /* B (unconditional) */
        if (hw & 0x0800u)
            return UNDEF;
        branch_to(c, c->r[15] + sext((hw & 0x7FFu) << 1, 12));
        return ARMV7M_OK;
    default:
        return UNDEF;
    }
}
