/* step.c: the interpreter's step (fetch, the IT block's condition and advance, dispatch to the
 * encoding classes) and its register API (the stack pointer banking by CONTROL.SPSEL, xPSR
 * packing, MRS/MSR of the special registers). [S] ARMv7-M ARM A7.3.3 (ITSTATE), B5.2 */
#include "alu.h"

#define XPSR_T (1u << 24)
#define CONTROL_SPSEL 2u

void armv7m_reset(struct armv7m *c, uint32_t sp, uint32_t pc)
{
    struct armv7m_bus bus = c->bus;
    memset(c, 0, sizeof *c);
    c->bus = bus;
    c->r[13] = sp & ~3u;
    c->r[15] = pc & ~1u;
}

unsigned armv7m_it_left(const struct armv7m *c)
{
    unsigned mask = c->it & 0xFu;
    if (!mask)
        return 0;
    /* The position of the lowest set bit of the mask says how many remain (4 - index). */
    return (mask & 1u) ? 4u : (mask & 2u) ? 3u : (mask & 4u) ? 2u : 1u;
}

int armv7m_it_skips(const struct armv7m *c, uint32_t hw1)
{
    return in_it_block(c) && (hw1 & 0xFF00u) != 0xBE00u && !condition_passed(c, c->it >> 4);
}

static void it_advance(struct armv7m *c)
{
    if ((c->it & 7u) == 0)
        c->it = 0;
    else
        c->it = (c->it & 0xE0u) | ((c->it << 1) & 0x1Fu);
}

static int is_32bit(uint32_t hw) { return (hw >> 11) >= 0x1Du; }

static int exec32(struct armv7m *c, uint32_t hw1, uint32_t hw2)
{
    unsigned op1 = (hw1 >> 11) & 3u;
    if (op1 == 1) {
        if (hw1 & 0x0400u)
            return UNDEF; /* coprocessor */
        if ((hw1 & 0x0200u) == 0)
            return armv7m_exec32_mem(c, hw1, hw2); /* multiple, dual, exclusive, TBB */
        return armv7m_exec32_dp(c, hw1, hw2);      /* shifted register */
    }
    if (op1 == 2)
        return (hw2 & 0x8000u) ? armv7m_exec32_ctl(c, hw1, hw2) : armv7m_exec32_dp(c, hw1, hw2);
    if (hw1 & 0x0400u)
        return UNDEF; /* coprocessor */
    if ((hw1 & 0x0200u) == 0)
        return armv7m_exec32_mem(c, hw1, hw2); /* single loads and stores */
    return armv7m_exec32_dp(c, hw1, hw2);      /* register, multiply, long multiply, divide */
}

enum armv7m_event armv7m_step(struct armv7m *c)
{
    uint32_t pc = c->r[15];
    uint32_t off = pc - c->bus.flash_base;
    if (off >= c->bus.flash_size || c->bus.flash_size - off < 2)
        return ARMV7M_FAULT_FETCH;
    uint32_t hw1 = le_get(c->bus.flash + off, 2), hw2 = 0;
    unsigned len = 2;
    if (is_32bit(hw1)) {
        if (c->bus.flash_size - off < 4)
            return ARMV7M_FAULT_FETCH;
        hw2 = le_get(c->bus.flash + off + 2, 2);
        len = 4;
    }
    c->insn = len == 4 ? hw1 << 16 | hw2 : hw1;
    if (in_it_block(c) && armv7m_it_skips(c, hw1)) {
        /* Skipped: executes as a NOP (BKPT runs whatever the condition). */
        c->r[15] = pc + len;
        it_advance(c);
        return ARMV7M_OK;
    }
    uint32_t it_before = c->it;
    c->next_pc = pc + len;
    c->branched = 0;
    c->r[15] = pc + 4u;
    int rc = len == 4 ? exec32(c, hw1, hw2) : armv7m_exec16(c, hw1);
    if (rc == UNDEF || rc == ARMV7M_BKPT || rc >= ARMV7M_FAULT_READ) {
        c->r[15] = pc;
        c->it = it_before;
        return rc == UNDEF ? ARMV7M_UNDEFINED : (enum armv7m_event)rc;
    }
    if (!c->branched)
        c->r[15] = c->next_pc;
    /* The IT instruction sets ITSTATE itself; every other instruction advances it. */
    if (it_before)
        it_advance(c);
    return (enum armv7m_event)rc;
}

/* ---- registers ---- */

static int on_psp(const struct armv7m *c) { return (c->control & CONTROL_SPSEL) != 0; }

uint32_t armv7m_get(const struct armv7m *c, enum armv7m_reg reg)
{
    switch (reg) {
    case ARMV7M_XPSR:
        return c->n << 31 | c->z << 30 | c->c << 29 | c->v << 28 | c->q << 27 |
               (c->it & 3u) << 25 | XPSR_T | (c->it >> 2) << 10 | (c->ipsr & 0x1FFu);
    case ARMV7M_MSP: return on_psp(c) ? c->other_sp : c->r[13];
    case ARMV7M_PSP: return on_psp(c) ? c->r[13] : c->other_sp;
    case ARMV7M_PRIMASK: return c->primask;
    case ARMV7M_BASEPRI: return c->basepri;
    case ARMV7M_FAULTMASK: return c->faultmask;
    case ARMV7M_CONTROL: return c->control;
    case ARMV7M_IPSR: return c->ipsr;
    default:
        return (unsigned)reg < 16 ? c->r[reg] : 0;
    }
}

void armv7m_set(struct armv7m *c, enum armv7m_reg reg, uint32_t v)
{
    switch (reg) {
    case ARMV7M_XPSR:
        c->n = v >> 31;
        c->z = (v >> 30) & 1u;
        c->c = (v >> 29) & 1u;
        c->v = (v >> 28) & 1u;
        c->q = (v >> 27) & 1u;
        c->it = ((v >> 10) & 0x3Fu) << 2 | ((v >> 25) & 3u);
        /* Only exception entry and return write the whole xPSR (MSR cannot write EPSR): both
         * clear the local exclusive monitor (ClearExclusiveLocal) [S] B1.5.6, B1.5.8 */
        c->exclusive = 0;
        break;
    case ARMV7M_MSP:
        if (on_psp(c)) c->other_sp = v & ~3u; else c->r[13] = v & ~3u;
        break;
    case ARMV7M_PSP:
        if (on_psp(c)) c->r[13] = v & ~3u; else c->other_sp = v & ~3u;
        break;
    case ARMV7M_PRIMASK: c->primask = v & 1u; break;
    case ARMV7M_BASEPRI: c->basepri = v & 0xFFu; break;
    case ARMV7M_FAULTMASK: c->faultmask = v & 1u; break;
    case ARMV7M_CONTROL:
        if ((v & CONTROL_SPSEL) != (c->control & CONTROL_SPSEL)) {
            uint32_t t = c->r[13];
            c->r[13] = c->other_sp;
            c->other_sp = t;
        }
        c->control = v & 3u;
        break;
    case ARMV7M_IPSR: c->ipsr = v & 0x1FFu; break;
    case ARMV7M_PC: c->r[15] = v & ~1u; break;
    case ARMV7M_SP: c->r[13] = v & ~3u; break;
    default:
        if ((unsigned)reg < 16)
            c->r[reg] = v;
        break;
    }
}

/* MRS: SYSm 0-7 combine APSR (bit 2 clear), IPSR (bit 0 set); EPSR reads as zero. */
uint32_t armv7m_mrs(const struct armv7m *c, unsigned sysm)
{
    switch (sysm) {
    case 0: case 1: case 2: case 3: case 5: case 6: case 7: {
        uint32_t v = 0;
        if (sysm & 1u)
            v |= c->ipsr & 0x1FFu;
        if (!(sysm & 4u))
            v |= c->n << 31 | c->z << 30 | c->c << 29 | c->v << 28 | c->q << 27;
        return v;
    }
    case 8: return armv7m_get(c, ARMV7M_MSP);
    case 9: return armv7m_get(c, ARMV7M_PSP);
    case 16: return c->primask;
    case 17: case 18: return c->basepri;
    case 19: return c->faultmask;
    case 20: return c->control;
    default: return 0;
    }
}

/* MSR (privileged execution assumed: the images run privileged). */
void armv7m_msr(struct armv7m *c, unsigned sysm, unsigned mask, uint32_t v)
{
    switch (sysm) {
    case 0: case 1: case 2: case 3:
        if (mask & 2u) {
            c->n = v >> 31;
            c->z = (v >> 30) & 1u;
            c->c = (v >> 29) & 1u;
            c->v = (v >> 28) & 1u;
            c->q = (v >> 27) & 1u;
        }
        break;
    case 8: armv7m_set(c, ARMV7M_MSP, v); break;
    case 9: armv7m_set(c, ARMV7M_PSP, v); break;
    case 16: c->primask = v & 1u; break;
    case 17: c->basepri = v & 0xFFu; break;
    case 18:
        if ((v & 0xFFu) && ((v & 0xFFu) < c->basepri || c->basepri == 0))
            c->basepri = v & 0xFFu;
        break;
    case 19: c->faultmask = v & 1u; break;
    case 20:
        /* SPSEL is writable in thread mode only; nPRIV always (privileged). */
        armv7m_set(c, ARMV7M_CONTROL, c->ipsr ? ((c->control & 2u) | (v & 1u)) : (v & 3u));
        break;
    default: break;
    }
}

const char *armv7m_event_name(enum armv7m_event e)
{
    switch (e) {
    case ARMV7M_OK: return "ok";
    case ARMV7M_WFI: return "WFI";
    case ARMV7M_WFE: return "WFE";
    case ARMV7M_SEV: return "SEV";
    case ARMV7M_SVC: return "SVC";
    case ARMV7M_EXC_RETURN: return "exception return";
    case ARMV7M_BKPT: return "breakpoint instruction (BKPT)";
    case ARMV7M_UNDEFINED: return "undefined instruction";
    case ARMV7M_FAULT_READ: return "bad memory access (read of unmapped memory)";
    case ARMV7M_FAULT_WRITE: return "bad memory access (write to unmapped memory)";
    case ARMV7M_FAULT_FETCH: return "bad memory access (instruction fetch from unmapped memory)";
    case ARMV7M_FAULT_UNALIGNED: return "unaligned memory access";
    case ARMV7M_FAULT_INVSTATE: return "hard fault (invalid state: branch to an ARM address)";
    case ARMV7M_FAULT_DIVBYZERO: return "usage fault (division by zero)";
    }
    return "?";
}
