/* alu.h: the interpreter's shared helpers (internal to rig/fw/cpu/): AddWithCarry and the flags,
 * Shift_C, ThumbExpandImm_C, ConditionPassed, branch writes, and memory access through the bus
 * (direct regions first). Pseudocode names from the ARMv7-M ARM A2.2-A2.3, A7.3. [S] */
#ifndef BMSRIG_FW_CPU_ALU_H
#define BMSRIG_FW_CPU_ALU_H

#include <string.h>

#include "armv7m.h"

enum { SH_LSL = 0, SH_LSR = 1, SH_ASR = 2, SH_ROR = 3, SH_RRX = 4 };

/* The result of an instruction handler: ARMV7M_OK or an event; -1 = undefined (PC unchanged). */
#define UNDEF (-1)

static inline uint32_t ror32(uint32_t v, unsigned n)
{
    n &= 31u;
    return n ? (v >> n) | (v << (32u - n)) : v;
}

static inline void set_nz(struct armv7m *c, uint32_t r)
{
    c->n = r >> 31;
    c->z = r == 0;
}

static inline uint32_t add_with_carry(struct armv7m *c, uint32_t a, uint32_t b, uint32_t carry_in,
                                      int setflags)
{
    uint64_t wide = (uint64_t)a + b + carry_in;
    uint32_t r = (uint32_t)wide;
    if (setflags) {
        set_nz(c, r);
        c->c = (uint32_t)(wide >> 32);
        c->v = (~(a ^ b) & (a ^ r)) >> 31;
    }
    return r;
}

/* Shift_C: amount 0 leaves value and carry (RRX always shifts by one). */
static inline uint32_t shift_c(uint32_t v, unsigned type, unsigned n, uint32_t cin,
                               uint32_t *cout)
{
    *cout = cin;
    if (type == SH_RRX) {
        *cout = v & 1u;
        return (v >> 1) | (cin << 31);
    }
    if (n == 0)
        return v;
    switch (type) {
    case SH_LSL:
        if (n > 32) { *cout = 0; return 0; }
        *cout = (v >> (32u - n)) & 1u;
        return n == 32 ? 0 : v << n;
    case SH_LSR:
        if (n > 32) { *cout = 0; return 0; }
        *cout = (v >> (n - 1u)) & 1u;
        return n == 32 ? 0 : v >> n;
    case SH_ASR:
        if (n >= 32) { *cout = v >> 31; return (uint32_t)((int32_t)v >> 31); }
        *cout = (v >> (n - 1u)) & 1u;
        return (uint32_t)((int32_t)v >> n);
    default: /* ROR */
        v = ror32(v, n);
        *cout = v >> 31;
        return v;
    }
}

/* DecodeImmShift: (type, imm5) of an encoding to (shift type, amount). */
static inline unsigned decode_imm_shift(unsigned type, unsigned imm5, unsigned *n)
{
    switch (type) {
    case SH_LSL: *n = imm5; return SH_LSL;
    case SH_LSR: *n = imm5 ? imm5 : 32u; return SH_LSR;
    case SH_ASR: *n = imm5 ? imm5 : 32u; return SH_ASR;
    default:
        if (imm5 == 0) { *n = 1; return SH_RRX; }
        *n = imm5;
        return SH_ROR;
    }
}

static inline uint32_t thumb_expand_imm_c(uint32_t imm12, uint32_t cin, uint32_t *cout)
{
    uint32_t b = imm12 & 0xFFu;
    *cout = cin;
    if ((imm12 >> 10) == 0) {
        switch ((imm12 >> 8) & 3u) {
        case 0: return b;
        case 1: return b << 16 | b;
        case 2: return b << 24 | b << 8;
        default: return b << 24 | b << 16 | b << 8 | b;
        }
    }
    uint32_t v = ror32(0x80u | (imm12 & 0x7Fu), imm12 >> 7);
    *cout = v >> 31;
    return v;
}

static inline int condition_passed(const struct armv7m *c, unsigned cond)
{
    int r;
    switch (cond >> 1) {
    case 0: r = c->z; break;
    case 1: r = c->c; break;
    case 2: r = c->n; break;
    case 3: r = c->v; break;
    case 4: r = c->c && !c->z; break;
    case 5: r = c->n == c->v; break;
    case 6: r = c->n == c->v && !c->z; break;
    default: return 1; /* AL (and 1111, never reached for conditions) */
    }
    return (cond & 1u) ? !r : r;
}

static inline int in_it_block(const struct armv7m *c) { return (c->it & 0xFu) != 0; }
static inline int last_in_it_block(const struct armv7m *c) { return (c->it & 0xFu) == 8u; }

/* BranchWritePC (ALUWritePC, B, BL): bit 0 ignored. */
static inline void branch_to(struct armv7m *c, uint32_t target)
{
    c->r[15] = target & ~1u;
    c->branched = 1;
}

/* BXWritePC / LoadWritePC: in Handler mode an EXC_RETURN value (bits 31:28 all set) returns
 * from the exception; in Thread mode it is an address like any other [S] A2.3.1, B1.5.8. Bit 0
 * clear faults (the Thumb bit of the EPSR would clear). */
static inline int bx_write_pc(struct armv7m *c, uint32_t target)
{
    if (c->ipsr != 0 && (target >> 28) == 0xFu) {
        c->exc_return = target;
        branch_to(c, target); /* the caller pops the frame and sets the PC */
        return ARMV7M_EXC_RETURN;
    }
    if (!(target & 1u)) {
        c->fault_addr = target;
        return ARMV7M_FAULT_INVSTATE;
    }
    branch_to(c, target);
    return ARMV7M_OK;
}

/* Registers as operands: R15 reads as the instruction's address + 4 (r[15] holds that while an
 * instruction executes). */
static inline uint32_t rd_reg(const struct armv7m *c, unsigned n) { return c->r[n]; }

static inline uint32_t le_get(const uint8_t *p, unsigned size)
{
    switch (size) {
    case 1: return p[0];
    case 2: return (uint32_t)p[0] | (uint32_t)p[1] << 8;
    default: return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                    (uint32_t)p[3] << 24;
    }
}

static inline void le_put(uint8_t *p, unsigned size, uint32_t v)
{
    p[0] = (uint8_t)v;
    if (size > 1)
        p[1] = (uint8_t)(v >> 8);
    if (size > 2) {
        p[2] = (uint8_t)(v >> 16);
        p[3] = (uint8_t)(v >> 24);
    }
}

/* Loads size bytes at addr: 1, or 0 with fault_addr set (a bus fault). */
static inline int mem_read(struct armv7m *c, uint32_t addr, unsigned size, uint32_t *v)
{
    const struct armv7m_bus *b = &c->bus;
    uint32_t off = addr - b->sram_base;
    if (off < b->sram_size && b->sram_size - off >= size) {
        *v = le_get(b->sram + off, size);
        if (b->sram_loaded)
            b->sram_loaded(b->user, addr, *v);
        return 1;
    }
    off = addr - b->flash_base;
    if (off < b->flash_size && b->flash_size - off >= size) {
        *v = le_get(b->flash + off, size);
        return 1;
    }
    if (b->read(b->user, addr, size, v))
        return 1;
    c->fault_addr = addr;
    return 0;
}

static inline int mem_write(struct armv7m *c, uint32_t addr, unsigned size, uint32_t v)
{
    const struct armv7m_bus *b = &c->bus;
    uint32_t off = addr - b->sram_base;
    if (off < b->sram_size && b->sram_size - off >= size) {
        le_put(b->sram + off, size, v);
        return 1;
    }
    if (b->write(b->user, addr, size, v))
        return 1;
    c->fault_addr = addr;
    return 0;
}

#define CCR_UNALIGN_TRP (1u << 3)
#define CCR_DIV_0_TRP (1u << 4)

static inline int ccr_has(const struct armv7m *c, uint32_t bit)
{
    return c->bus.ccr && (*c->bus.ccr & bit);
}

/* A single load or store (LDR/STR/LDRH/STRH/LDRSH/LDRT...) off its alignment faults only with
 * CCR.UNALIGN_TRP set [S] A3.2 (alignment behaviour), B3.2 (CCR). */
static inline int unaligned_traps(const struct armv7m *c, uint32_t addr, unsigned size)
{
    return size > 1 && (addr & (size - 1u)) && ccr_has(c, CCR_UNALIGN_TRP);
}

/* Sign-extends the low `bits` bits of v. */
static inline uint32_t sext(uint32_t v, unsigned bits)
{
    uint32_t m = 1u << (bits - 1u);
    v &= (bits == 32) ? 0xFFFFFFFFu : (1u << bits) - 1u;
    return (v ^ m) - m;
}

/* Handlers of each encoding class (exec16.c, exec32_*.c): ARMV7M_OK, an event, or UNDEF. */
int armv7m_exec16(struct armv7m *c, uint32_t hw);
int armv7m_exec32_dp(struct armv7m *c, uint32_t hw1, uint32_t hw2);
int armv7m_exec32_mem(struct armv7m *c, uint32_t hw1, uint32_t hw2);
int armv7m_exec32_ctl(struct armv7m *c, uint32_t hw1, uint32_t hw2);
/* Shared by 16- and 32-bit encodings. */
int armv7m_load_multiple(struct armv7m *c, unsigned rn, uint32_t list, int wback, int before);
int armv7m_store_multiple(struct armv7m *c, unsigned rn, uint32_t list, int wback, int before);
/* MSR/MRS/CPS on the special registers. */
uint32_t armv7m_mrs(const struct armv7m *c, unsigned sysm);
void armv7m_msr(struct armv7m *c, unsigned sysm, unsigned mask, uint32_t v);

#endif
