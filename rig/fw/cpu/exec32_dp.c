/* exec32_dp.c: the 32-bit data-processing encodings (A5.3.1-A5.3.4, A5.3.11-A5.3.16): the
 * logical and arithmetic operations with a modified immediate or a shifted register (their
 * TST/TEQ/CMN/CMP/MOV/MVN forms), plain binary immediates (ADDW/SUBW/ADR, MOVW/MOVT,
 * SSAT/USAT, SBFX/UBFX, BFI/BFC), register shifts, SXT/UXT of bytes and half-words, REV/RBIT/CLZ,
 * MUL/MLA/MLS, the long multiplies and UDIV/SDIV. [S] ARMv7-M ARM A5.3, A7.7 */
#include "alu.h"

/* The shared operation of the modified-immediate and shifted-register classes. `carry` is the
 * shifter's carry out (logical operations set C from it). */
static int dp_op(struct armv7m *c, unsigned op, unsigned rn, unsigned rd, int s, uint32_t b,
                 uint32_t carry)
{
    uint32_t a = c->r[rn], r;
    int logical = 1, keep = 1;
    /* Checked before anything executes: an undefined form changes no flags. */
    int compare = (op == 0x0 || op == 0x4 || op == 0x8 || op == 0xD) && rd == 15;
    if (compare ? !s : (rd == 15 || (rd == 13 && !(op == 0x8 || op == 0xD ||
                                                   (op == 0x2 && rn == 15)))))
        return UNDEF; /* TST/TEQ/CMN/CMP without S; SP only for ADD/SUB/MOV, PC never */
    switch (op) {
    case 0x0: r = a & b; keep = rd != 15; break;                   /* AND / TST */
    case 0x1: r = a & ~b; break;                                   /* BIC */
    case 0x2: r = rn == 15 ? b : a | b; break;                     /* ORR / MOV */
    case 0x3: r = rn == 15 ? ~b : a | ~b; break;                   /* ORN / MVN */
    case 0x4: r = a ^ b; keep = rd != 15; break;                   /* EOR / TEQ */
    case 0x8: logical = 0; keep = rd != 15;                        /* ADD / CMN */
        r = add_with_carry(c, a, b, 0, s);
        break;
    case 0xA: logical = 0; r = add_with_carry(c, a, b, c->c, s); break;   /* ADC */
    case 0xB: logical = 0; r = add_with_carry(c, a, ~b, c->c, s); break;  /* SBC */
    case 0xD: logical = 0; keep = rd != 15;                        /* SUB / CMP */
        r = add_with_carry(c, a, ~b, 1, s);
        break;
    case 0xE: logical = 0; r = add_with_carry(c, b, ~a, 1, s); break;     /* RSB */
    default: return UNDEF;
    }
    if (logical && s) {
        set_nz(c, r);
        c->c = carry;
    }
    if (keep)
        c->r[rd] = r;
    return ARMV7M_OK;
}

static int modified_immediate(struct armv7m *c, uint32_t hw1, uint32_t hw2)
{
    uint32_t imm12 = ((hw1 >> 10) & 1u) << 11 | ((hw2 >> 12) & 7u) << 8 | (hw2 & 0xFFu), carry;
    uint32_t b = thumb_expand_imm_c(imm12, c->c, &carry);
    return dp_op(c, (hw1 >> 5) & 0xFu, hw1 & 0xFu, (hw2 >> 8) & 0xFu, (hw1 >> 4) & 1, b, carry);
}

static int shifted_register(struct armv7m *c, uint32_t hw1, uint32_t hw2)
{
    unsigned imm5 = ((hw2 >> 12) & 7u) << 2 | ((hw2 >> 6) & 3u), n;
    unsigned type = decode_imm_shift((hw2 >> 4) & 3u, imm5, &n);
    uint32_t carry;
    uint32_t b = shift_c(c->r[hw2 & 0xFu], type, n, c->c, &carry);
    return dp_op(c, (hw1 >> 5) & 0xFu, hw1 & 0xFu, (hw2 >> 8) & 0xFu, (hw1 >> 4) & 1, b, carry);
}

/* SSAT/USAT: saturates to `bits` (signed: -2^(bits-1)..2^(bits-1)-1; unsigned: 0..2^bits-1). */
static uint32_t saturate(struct armv7m *c, int32_t v, unsigned bits, int is_signed)
{
    int64_t lo, hi;
    if (is_signed) {
        hi = ((int64_t)1 << (bits - 1)) - 1;
        lo = -((int64_t)1 << (bits - 1));
    } else {
        hi = ((int64_t)1 << bits) - 1;
        lo = 0;
    }
    if (v > hi) { c->q = 1; return (uint32_t)hi; }
    if (v < lo) { c->q = 1; return (uint32_t)lo; }
    return (uint32_t)v;
}

static int plain_immediate(struct armv7m *c, uint32_t hw1, uint32_t hw2)
{
    unsigned op = (hw1 >> 4) & 0x1Fu, rn = hw1 & 0xFu, rd = (hw2 >> 8) & 0xFu;
    uint32_t imm12 = ((hw1 >> 10) & 1u) << 11 | ((hw2 >> 12) & 7u) << 8 | (hw2 & 0xFFu);
    unsigned lsb = ((hw2 >> 12) & 7u) << 2 | ((hw2 >> 6) & 3u), field = hw2 & 0x1Fu;
    if (rd == 15)
        return UNDEF;
    switch (op) {
    case 0x00: /* ADDW / ADR (add) */
        c->r[rd] = (rn == 15 ? (c->r[15] & ~3u) : c->r[rn]) + imm12;
        return ARMV7M_OK;
    case 0x0A: /* SUBW / ADR (subtract) */
        c->r[rd] = (rn == 15 ? (c->r[15] & ~3u) : c->r[rn]) - imm12;
        return ARMV7M_OK;
    case 0x04: /* MOVW */
        c->r[rd] = rn << 12 | imm12;
        return ARMV7M_OK;
    case 0x0C: /* MOVT */
        c->r[rd] = (c->r[rd] & 0xFFFFu) | (rn << 12 | imm12) << 16;
        return ARMV7M_OK;
    case 0x10: case 0x12: case 0x18: case 0x1A: { /* SSAT / USAT (LSL or ASR) */
        int is_signed = op < 0x18, asr = (op & 2u) != 0;
        if (asr && lsb == 0)
            return UNDEF; /* SSAT16/USAT16: not in ARMv7-M */
        int32_t v = asr ? (int32_t)c->r[rn] >> lsb : (int32_t)(c->r[rn] << lsb);
        c->r[rd] = saturate(c, v, is_signed ? field + 1u : field, is_signed);
        return ARMV7M_OK;
    }
    case 0x14: case 0x1C: { /* SBFX / UBFX */
        unsigned width = field + 1u;
        if (lsb + width > 32)
            return UNDEF;
        uint32_t v = width == 32 ? c->r[rn] : (c->r[rn] >> lsb) & ((1u << width) - 1u);
        c->r[rd] = op == 0x14 ? sext(v, width) : v;
        return ARMV7M_OK;
    }
    case 0x16: { /* BFI / BFC (Rn = 15) */
        if (field < lsb)
            return UNDEF;
        unsigned width = field - lsb + 1u;
        uint32_t mask = (width == 32 ? 0xFFFFFFFFu : ((1u << width) - 1u)) << lsb;
        uint32_t src = rn == 15 ? 0 : c->r[rn] << lsb;
        c->r[rd] = (c->r[rd] & ~mask) | (src & mask);
        return ARMV7M_OK;
    }
    default:
        return UNDEF;
    }
}

static uint32_t rbit(uint32_t v)
{
    uint32_t r = 0;
    for (int i = 0; i < 32; i++)
        r |= ((v >> i) & 1u) << (31 - i);
    return r;
}

/* Data processing (register): 11111010 op1 Rn / 1111 Rd op2 Rm. */
static int register_ops(struct armv7m *c, uint32_t hw1, uint32_t hw2)
{
    unsigned op1 = (hw1 >> 4) & 0xFu, op2 = (hw2 >> 4) & 0xFu;
    unsigned rn = hw1 & 0xFu, rd = (hw2 >> 8) & 0xFu, rm = hw2 & 0xFu;
    if ((hw2 & 0xF000u) != 0xF000u || rd == 15)
        return UNDEF;
    if (op2 == 0 && op1 < 8) { /* LSL/LSR/ASR/ROR (register), S = op1 bit 0 */
        uint32_t carry;
        uint32_t r = shift_c(c->r[rn], (op1 >> 1) & 3u, c->r[rm] & 0xFFu, c->c, &carry);
        c->r[rd] = r;
        if (op1 & 1u) {
            set_nz(c, r);
            c->c = carry;
        }
        return ARMV7M_OK;
    }
    if (op1 < 8 && (op2 & 8u)) { /* SXTB/SXTH/UXTB/UXTH.W (the add forms are DSP: not M3) */
        if (rn != 15)
            return UNDEF;
        uint32_t v = ror32(c->r[rm], 8u * (op2 & 3u));
        switch (op1) {
        case 0: v = sext(v, 16); break;  /* SXTH */
        case 1: v &= 0xFFFFu; break;     /* UXTH */
        case 4: v = sext(v, 8); break;   /* SXTB */
        case 5: v &= 0xFFu; break;       /* UXTB */
        default: return UNDEF;           /* the *16 forms are not in ARMv7-M */
        }
        c->r[rd] = v;
        return ARMV7M_OK;
    }
    if ((op1 & 0xCu) == 8u && (op2 & 0xCu) == 8u) {
        uint32_t v = c->r[rm];
        switch ((op1 & 3u) << 2 | (op2 & 3u)) {
        case 0x4: c->r[rd] = __builtin_bswap32(v); return ARMV7M_OK;             /* REV */
        case 0x5: c->r[rd] = (v & 0xFF00FF00u) >> 8 | (v & 0x00FF00FFu) << 8;    /* REV16 */
            return ARMV7M_OK;
        case 0x6: c->r[rd] = rbit(v); return ARMV7M_OK;                          /* RBIT */
        case 0x7: c->r[rd] = sext(((v & 0xFFu) << 8) | ((v >> 8) & 0xFFu), 16);  /* REVSH */
            return ARMV7M_OK;
        case 0xC: c->r[rd] = v ? (uint32_t)__builtin_clz(v) : 32u; return ARMV7M_OK; /* CLZ */
        default: return UNDEF;
        }
    }
    return UNDEF;
}

/* MUL/MLA/MLS: 111110110 000 Rn / Ra Rd 00 op Rm. */
static int multiply(struct armv7m *c, uint32_t hw1, uint32_t hw2)
{
    unsigned rn = hw1 & 0xFu, ra = hw2 >> 12, rd = (hw2 >> 8) & 0xFu, rm = hw2 & 0xFu;
    if ((hw1 & 0x70u) != 0 || (hw2 & 0xE0u) != 0)
        return UNDEF; /* the DSP multiplies are not in the Cortex-M3 */
    uint32_t p = c->r[rn] * c->r[rm];
    if (hw2 & 0x10u)
        c->r[rd] = c->r[ra] - p; /* MLS */
    else
        c->r[rd] = ra == 15 ? p : c->r[ra] + p;
    return ARMV7M_OK;
}

/* SMULL/UMULL/SMLAL/UMLAL/SDIV/UDIV: 111110111 op1 Rn / RdLo RdHi op2 Rm. Division by zero
 * gives 0 with CCR.DIV_0_TRP clear, a UsageFault with it set. */
static int long_multiply_divide(struct armv7m *c, uint32_t hw1, uint32_t hw2)
{
    unsigned op1 = (hw1 >> 4) & 7u, op2 = (hw2 >> 4) & 0xFu;
    unsigned rn = hw1 & 0xFu, lo = hw2 >> 12, hi = (hw2 >> 8) & 0xFu, rm = hw2 & 0xFu;
    uint32_t a = c->r[rn], b = c->r[rm];
    if (op2 == 0xF && (op1 == 1 || op1 == 3)) {
        uint32_t q;
        if (b == 0 && ccr_has(c, CCR_DIV_0_TRP)) /* IntegerZeroDivideTrappingEnabled [S] A7.7 */
            return ARMV7M_FAULT_DIVBYZERO;
        if (b == 0)
            q = 0;
        else if (op1 == 3)
            q = a / b;
        else if (a == 0x80000000u && b == 0xFFFFFFFFu)
            q = a;
        else
            q = (uint32_t)((int32_t)a / (int32_t)b);
        c->r[hi] = q;
        return ARMV7M_OK;
    }
    if (op2 != 0)
        return UNDEF;
    uint64_t r;
    switch (op1) {
    case 0: r = (uint64_t)((int64_t)(int32_t)a * (int32_t)b); break;                /* SMULL */
    case 2: r = (uint64_t)a * b; break;                                             /* UMULL */
    case 4: r = (uint64_t)((int64_t)(int32_t)a * (int32_t)b) +                      /* SMLAL */
                ((uint64_t)c->r[hi] << 32 | c->r[lo]);
        break;
    case 6: r = (uint64_t)a * b + ((uint64_t)c->r[hi] << 32 | c->r[lo]); break;     /* UMLAL */
    default: return UNDEF;
    }
    c->r[lo] = (uint32_t)r;
    c->r[hi] = (uint32_t)(r >> 32);
    return ARMV7M_OK;
}

int armv7m_exec32_dp(struct armv7m *c, uint32_t hw1, uint32_t hw2)
{
    if ((hw1 & 0xFE00u) == 0xEA00u)
        return shifted_register(c, hw1, hw2);
    if ((hw1 & 0xF800u) == 0xF000u)
        return (hw1 & 0x0200u) ? plain_immediate(c, hw1, hw2) : modified_immediate(c, hw1, hw2);
    if ((hw1 & 0xFF00u) == 0xFA00u)
        return register_ops(c, hw1, hw2);
    if ((hw1 & 0xFF80u) == 0xFB00u)
        return multiply(c, hw1, hw2);
    if ((hw1 & 0xFF80u) == 0xFB80u)
        return long_multiply_divide(c, hw1, hw2);
    return UNDEF;
}
