/* exec32_mem.c: the 32-bit load/store encodings (A5.3.5-A5.3.10): LDM/STM (and PUSH/POP.W),
 * LDRD/STRD, LDREX/STREX (byte, half-word, word) and CLREX's monitor, TBB/TBH, and the single
 * loads and stores in their immediate, pre/post-indexed, register-offset and literal forms.
 * Word-aligned only for LDM/STM/LDRD/STRD and the exclusives (UsageFault on the part); single
 * loads and stores may be unaligned (CCR.UNALIGN_TRP clear). [S] ARMv7-M ARM A3.2, A7.7 */
#include "alu.h"

static unsigned popcount16(uint32_t list) { return (unsigned)__builtin_popcount(list & 0xFFFFu); }

/* LDM: increment after (before = 0) or decrement before (1). A PC in the list is an
 * interworking branch; SP writeback is the new base unless SP is in the list. */
int armv7m_load_multiple(struct armv7m *c, unsigned rn, uint32_t list, int wback, int before)
{
    uint32_t base = c->r[rn], n = popcount16(list);
    uint32_t addr = before ? base - 4u * n : base;
    if (addr & 3u) {
        c->fault_addr = addr;
        return ARMV7M_FAULT_UNALIGNED;
    }
    uint32_t v[16];
    unsigned k = 0;
    for (unsigned i = 0; i < 16; i++) {
        if (!(list & (1u << i)))
            continue;
        if (!mem_read(c, addr + 4u * k, 4, &v[k]))
            return ARMV7M_FAULT_READ;
        k++;
    }
    k = 0;
    for (unsigned i = 0; i < 15; i++)
        if (list & (1u << i))
            c->r[i] = v[k++];
    if (wback && !(list & (1u << rn)))
        c->r[rn] = before ? base - 4u * n : base + 4u * n;
    if (list & 0x8000u)
        return bx_write_pc(c, v[k]);
    return ARMV7M_OK;
}

int armv7m_store_multiple(struct armv7m *c, unsigned rn, uint32_t list, int wback, int before)
{
    uint32_t base = c->r[rn], n = popcount16(list);
    uint32_t addr = before ? base - 4u * n : base;
    if (addr & 3u) {
        c->fault_addr = addr;
        return ARMV7M_FAULT_UNALIGNED;
    }
    unsigned k = 0;
    for (unsigned i = 0; i < 16; i++) {
        if (!(list & (1u << i)))
            continue;
        if (!mem_write(c, addr + 4u * k, 4, c->r[i]))
            return ARMV7M_FAULT_WRITE;
        k++;
    }
    if (wback)
        c->r[rn] = before ? base - 4u * n : base + 4u * n;
    return ARMV7M_OK;
}

static int multiple(struct armv7m *c, uint32_t hw1, uint32_t hw2)
{
    unsigned op = (hw1 >> 7) & 3u, rn = hw1 & 0xFu;
    int wback = (hw1 >> 5) & 1, load = (hw1 >> 4) & 1;
    if (op == 0 || op == 3 || rn == 15)
        return UNDEF; /* SRS/RFE are not in ARMv7-M */
    uint32_t list = hw2 & (load ? 0xDFFFu : 0x5FFFu);
    if (!list)
        return UNDEF;
    return load ? armv7m_load_multiple(c, rn, list, wback, op == 2)
                : armv7m_store_multiple(c, rn, list, wback, op == 2);
}

static int exclusive_load(struct armv7m *c, unsigned rt, uint32_t addr, unsigned size)
{
    uint32_t v;
    if (addr & (size - 1u)) {
        c->fault_addr = addr;
        return ARMV7M_FAULT_UNALIGNED;
    }
    if (!mem_read(c, addr, size, &v))
        return ARMV7M_FAULT_READ;
    c->r[rt] = v;
    c->exclusive = 1;
    c->exclusive_addr = addr;
    return ARMV7M_OK;
}

/* STREX: stores and writes 0 to Rd while the monitor is open, else writes 1. */
static int exclusive_store(struct armv7m *c, unsigned rd, unsigned rt, uint32_t addr,
                           unsigned size)
{
    if (addr & (size - 1u)) {
        c->fault_addr = addr;
        return ARMV7M_FAULT_UNALIGNED;
    }
    if (!c->exclusive) {
        c->r[rd] = 1;
        return ARMV7M_OK;
    }
    if (!mem_write(c, addr, size, c->r[rt]))
        return ARMV7M_FAULT_WRITE;
    c->exclusive = 0;
    c->r[rd] = 0;
    return ARMV7M_OK;
}

/* Dual, exclusive, table branch: 1110100 P U 1 W L Rn (bit 6 of hw1 set). */
static int dual_exclusive_table(struct armv7m *c, uint32_t hw1, uint32_t hw2)
{
    unsigned op1 = (hw1 >> 7) & 3u, op2 = (hw1 >> 4) & 3u, rn = hw1 & 0xFu;
    unsigned rt = hw2 >> 12, rt2 = (hw2 >> 8) & 0xFu;
    if (op1 == 0 && op2 == 0) /* STREX Rd, Rt, [Rn, #imm8*4] */
        return exclusive_store(c, rt2, rt, c->r[rn] + ((hw2 & 0xFFu) << 2), 4);
    if (op1 == 0 && op2 == 1)
        return exclusive_load(c, rt, c->r[rn] + ((hw2 & 0xFFu) << 2), 4);
    if (op1 == 1 && op2 == 0) { /* STREXB/STREXH */
        unsigned kind = (hw2 >> 4) & 0xFu;
        if (kind != 4 && kind != 5)
            return UNDEF;
        return exclusive_store(c, hw2 & 0xFu, rt, c->r[rn], kind == 4 ? 1u : 2u);
    }
    if (op1 == 1 && op2 == 1) {
        unsigned kind = (hw2 >> 4) & 0xFu, rm = hw2 & 0xFu;
        if (kind == 0 || kind == 1) { /* TBB / TBH */
            uint32_t v, addr = kind ? c->r[rn] + (c->r[rm] << 1) : c->r[rn] + c->r[rm];
            if (unaligned_traps(c, addr, kind ? 2u : 1u)) { /* TBH reads with MemU */
                c->fault_addr = addr;
                return ARMV7M_FAULT_UNALIGNED;
            }
            if (!mem_read(c, addr, kind ? 2u : 1u, &v))
                return ARMV7M_FAULT_READ;
            branch_to(c, c->r[15] + 2u * v);
            return ARMV7M_OK;
        }
        if (kind == 4 || kind == 5)
            return exclusive_load(c, rt, c->r[rn], kind == 4 ? 1u : 2u);
        return UNDEF;
    }
    /* LDRD / STRD (immediate): P U W as for single transfers, offset imm8*4. */
    int p = (hw1 >> 8) & 1, u = (hw1 >> 7) & 1, w = (hw1 >> 5) & 1, load = (hw1 >> 4) & 1;
    uint32_t imm = (hw2 & 0xFFu) << 2;
    uint32_t base = rn == 15 ? (c->r[15] & ~3u) : c->r[rn];
    uint32_t offset_addr = u ? base + imm : base - imm;
    uint32_t addr = p ? offset_addr : base;
    if (addr & 3u) {
        c->fault_addr = addr;
        return ARMV7M_FAULT_UNALIGNED;
    }
    if (load) {
        uint32_t a, b;
        if (!mem_read(c, addr, 4, &a) || !mem_read(c, addr + 4u, 4, &b))
            return ARMV7M_FAULT_READ;
        c->r[rt] = a;
        c->r[rt2] = b;
    } else {
        if (!mem_write(c, addr, 4, c->r[rt]) || !mem_write(c, addr + 4u, 4, c->r[rt2]))
            return ARMV7M_FAULT_WRITE;
    }
    if (w)
        c->r[rn] = offset_addr;
    return ARMV7M_OK;
}

/* Single loads and stores: 11111 00 S sz(2) L Rn (A5.3.10-A5.3.14, A5.3.15). */
static int single(struct armv7m *c, uint32_t hw1, uint32_t hw2)
{
    unsigned rn = hw1 & 0xFu, rt = hw2 >> 12, size = 1u << ((hw1 >> 5) & 3u);
    int load = (hw1 >> 4) & 1, sign = (hw1 >> 8) & 1;
    /* 00xx111 is UNDEFINED, so are stores with bit 8 set (A5.3) and word loads with it
     * (A5.3.7: op1 = 1x): only bytes and half-words load signed. */
    if (size == 8 || (sign && (!load || size == 4)))
        return UNDEF;
    uint32_t addr, wb_addr = 0;
    int wback = 0;
    if (rn == 15) {
        if (!load)
            return UNDEF;
        uint32_t imm = hw2 & 0xFFFu, base = c->r[15] & ~3u;
        addr = (hw1 & 0x80u) ? base + imm : base - imm;
    } else if (hw1 & 0x80u) {
        addr = c->r[rn] + (hw2 & 0xFFFu); /* imm12 */
    } else if (hw2 & 0x0800u) {
        int p = (hw2 >> 10) & 1, u = (hw2 >> 9) & 1;
        uint32_t imm = hw2 & 0xFFu;
        wback = (hw2 >> 8) & 1;
        if (!p && !wback)
            return UNDEF;
        wb_addr = u ? c->r[rn] + imm : c->r[rn] - imm;
        addr = p ? wb_addr : c->r[rn];
    } else if ((hw2 & 0x0FC0u) == 0) {
        addr = c->r[rn] + (c->r[hw2 & 0xFu] << ((hw2 >> 4) & 3u)); /* register, LSL #0-3 */
    } else {
        return UNDEF;
    }
    if (unaligned_traps(c, addr, size) && !(load && rt == 15 && size < 4)) {
        c->fault_addr = addr;
        return ARMV7M_FAULT_UNALIGNED;
    }
    if (!load) {
        if (!mem_write(c, addr, size, c->r[rt]))
            return ARMV7M_FAULT_WRITE;
        if (wback)
            c->r[rn] = wb_addr;
        return ARMV7M_OK;
    }
    if (rt == 15 && size < 4)
        return ARMV7M_OK; /* PLD / PLI: hints */
    uint32_t v;
    if (!mem_read(c, addr, size, &v))
        return ARMV7M_FAULT_READ;
    if (sign)
        v = sext(v, 8 * size);
    if (wback)
        c->r[rn] = wb_addr;
    if (rt == 15)
        return bx_write_pc(c, v);
    c->r[rt] = v;
    return ARMV7M_OK;
}

int armv7m_exec32_mem(struct armv7m *c, uint32_t hw1, uint32_t hw2)
{
    if ((hw1 & 0xFE00u) == 0xE800u) /* 1110100 */
        return (hw1 & 0x0040u) ? dual_exclusive_table(c, hw1, hw2) : multiple(c, hw1, hw2);
    if ((hw1 & 0xFE00u) == 0xF800u) /* 1111100 */
        return single(c, hw1, hw2);
    return UNDEF;
}
