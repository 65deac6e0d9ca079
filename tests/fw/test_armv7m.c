/* test_armv7m.c: the ARMv7-M interpreter (rig/fw/cpu/) on hand-assembled encodings (checked
 * against arm-none-eabi-as for the Cortex-M3), one instruction class a test: flags of
 * ADDS/SUBS/ADC/SBC (carry and overflow), shifts by 0, 32 and more, IT blocks (conditions, the
 * skipped instruction, flag-setting forms inside a block), the modified immediates, multiply
 * and divide, bitfields, REV/RBIT/CLZ, loads and stores with writeback, LDM/STM/PUSH/POP,
 * exclusives, TBB/TBH, CBZ, BL, MRS/MSR/CPS, hints, and undefined instructions. Each expected
 * value is worked out from the architecture manual, not read back from the interpreter. */
#include <criterion/criterion.h>
#include <string.h>

#include "armv7m.h"

#define FLASH_BASE 0x08000000u
#define SRAM_BASE 0x20000000u
#define PERIPH 0x40000000u

struct bench {
    struct armv7m c;
    uint8_t flash[512];
    uint8_t sram[1024];
    uint32_t periph_reg;      /* one register at PERIPH */
    unsigned reads, writes;   /* callback accesses */
};

static int bench_read(void *user, uint32_t addr, unsigned size, uint32_t *v)
{
    struct bench *b = user;
    if (addr != PERIPH || size != 4)
        return 0;
    b->reads++;
    *v = b->periph_reg;
    return 1;
}

static int bench_write(void *user, uint32_t addr, unsigned size, uint32_t v)
{
    struct bench *b = user;
    if (addr != PERIPH || size != 4)
        return 0;
    b->writes++;
    b->periph_reg = v;
    return 1;
}

/* Code as half-words at FLASH_BASE (a 32-bit instruction is two: hw1, hw2). */
static void load(struct bench *b, const uint16_t *code, size_t n)
{
    memset(b, 0, sizeof *b);
    for (size_t i = 0; i < n; i++) {
        b->flash[2 * i] = (uint8_t)code[i];
        b->flash[2 * i + 1] = (uint8_t)(code[i] >> 8);
    }
    b->c.bus = (struct armv7m_bus){
        .flash = b->flash, .flash_base = FLASH_BASE, .flash_size = sizeof b->flash,
        .sram = b->sram, .sram_base = SRAM_BASE, .sram_size = sizeof b->sram,
        .read = bench_read, .write = bench_write, .user = b};
    armv7m_reset(&b->c, SRAM_BASE + sizeof b->sram, FLASH_BASE | 1u);
}

#define LOAD(b, ...) do { static const uint16_t code_[] = {__VA_ARGS__}; \
    load(b, code_, sizeof code_ / sizeof code_[0]); } while (0)

static void step_ok(struct bench *b)
{
    enum armv7m_event e = armv7m_step(&b->c);
    cr_assert_eq(e, ARMV7M_OK, "step at 0x%08x (0x%08x): %s", (unsigned)b->c.r[15],
                 (unsigned)b->c.insn, armv7m_event_name(e));
}

static void flags_are(const struct bench *b, unsigned n, unsigned z, unsigned c, unsigned v)
{
    cr_expect(b->c.n == n && b->c.z == z && b->c.c == c && b->c.v == v,
              "NZCV %u%u%u%u, want %u%u%u%u", b->c.n, b->c.z, b->c.c, b->c.v, n, z, c, v);
}

Test(armv7m, adds_sets_carry_and_overflow)
{
    struct bench b;
    LOAD(&b, 0x1840, 0x1840, 0x1840); /* adds r0, r0, r1 (x3) */
    b.c.r[0] = 0x7FFFFFFFu;
    b.c.r[1] = 1;
    step_ok(&b);
    cr_expect_eq(b.c.r[0], 0x80000000u);
    flags_are(&b, 1, 0, 0, 1); /* signed overflow, no carry */
    b.c.r[0] = 0xFFFFFFFFu;
    step_ok(&b);
    cr_expect_eq(b.c.r[0], 0u);
    flags_are(&b, 0, 1, 1, 0); /* carry out, zero, no overflow */
    b.c.r[0] = 0x80000000u;
    b.c.r[1] = 0x80000000u;
    step_ok(&b);
    flags_are(&b, 0, 1, 1, 1);
}

Test(armv7m, subs_carry_is_not_borrow)
{
    struct bench b;
    LOAD(&b, 0x1A40, 0x1A40, 0x1A40); /* subs r0, r0, r1 */
    b.c.r[0] = 0;
    b.c.r[1] = 1;
    step_ok(&b);
    cr_expect_eq(b.c.r[0], 0xFFFFFFFFu);
    flags_are(&b, 1, 0, 0, 0); /* borrow: C clear */
    b.c.r[0] = 5;
    b.c.r[1] = 5;
    step_ok(&b);
    flags_are(&b, 0, 1, 1, 0);
    b.c.r[0] = 0x80000000u;
    b.c.r[1] = 1;
    step_ok(&b);
    cr_expect_eq(b.c.r[0], 0x7FFFFFFFu);
    flags_are(&b, 0, 0, 1, 1);
}

Test(armv7m, adc_and_sbc_use_the_carry)
{
    struct bench b;
    /* adc.w r0, r0, r1 (eb40 0001); sbcs.w r0, r1, r2 (eb71 0002) */
    LOAD(&b, 0xEB40, 0x0001, 0xEB71, 0x0002);
    b.c.r[0] = 10;
    b.c.r[1] = 20;
    b.c.c = 1;
    step_ok(&b);
    cr_expect_eq(b.c.r[0], 31u, "adc with carry gives 31, got %u", (unsigned)b.c.r[0]);
    b.c.r[1] = 5;
    b.c.r[2] = 5;
    b.c.c = 0; /* SBC subtracts NOT(C): 5 - 5 - 1 = -1 */
    step_ok(&b);
    cr_expect_eq(b.c.r[0], 0xFFFFFFFFu);
    flags_are(&b, 1, 0, 0, 0);
}

Test(armv7m, register_shifts_by_0_32_and_more)
{
    struct bench b;
    LOAD(&b, 0x4088, 0x4088, 0x4088, 0x41C8, 0x41C8); /* lsls r0, r1 (x3); rors r0, r1 (x2) */
    b.c.r[0] = 0x80000001u;
    b.c.r[1] = 0;
    b.c.c = 1;
    step_ok(&b); /* by 0: value and carry kept */
    cr_expect_eq(b.c.r[0], 0x80000001u);
    cr_expect_eq(b.c.c, 1u);
    b.c.r[1] = 32;
    step_ok(&b); /* by 32: 0, carry = bit 0 */
    cr_expect_eq(b.c.r[0], 0u);
    cr_expect_eq(b.c.c, 1u);
    cr_expect_eq(b.c.z, 1u);
    b.c.r[0] = 0xFFFFFFFFu;
    b.c.r[1] = 33;
    step_ok(&b); /* by 33: 0, carry 0 */
    cr_expect_eq(b.c.r[0], 0u);
    cr_expect_eq(b.c.c, 0u);
    b.c.r[0] = 0x80000000u;
    b.c.r[1] = 32; /* ROR by 32: unchanged, carry = bit 31 */
    step_ok(&b);
    cr_expect_eq(b.c.r[0], 0x80000000u);
    cr_expect_eq(b.c.c, 1u);
    b.c.r[0] = 0x00000003u;
    b.c.r[1] = 1;
    step_ok(&b);
    cr_expect_eq(b.c.r[0], 0x80000001u);
    cr_expect_eq(b.c.c, 1u);
}

Test(armv7m, immediate_shifts_by_32_and_rrx)
{
    struct bench b;
    /* lsrs r0, r1, #32; asrs r0, r1, #32; rrxs r0, r1 (ea5f 0031) */
    LOAD(&b, 0x0808, 0x1008, 0xEA5F, 0x0031);
    b.c.r[1] = 0x80000000u;
    step_ok(&b);
    cr_expect_eq(b.c.r[0], 0u);
    cr_expect_eq(b.c.c, 1u);
    step_ok(&b);
    cr_expect_eq(b.c.r[0], 0xFFFFFFFFu);
    cr_expect_eq(b.c.c, 1u);
    b.c.r[1] = 0x00000003u;
    b.c.c = 0;
    step_ok(&b);
    cr_expect_eq(b.c.r[0], 0x00000001u);
    cr_expect_eq(b.c.c, 1u);
}

Test(armv7m, it_block_runs_then_skips_and_adds_keep_the_flags)
{
    struct bench b;
    /* ite eq; adds r0, r0, r1 (EQ: runs, as ADD: no flags); subs r0, r0, r1 (NE: skipped);
     * adds r0, r0, r1 (outside: sets flags) */
    LOAD(&b, 0xBF0C, 0x1840, 0x1A40, 0x1840);
    b.c.z = 1;
    b.c.r[0] = 0xFFFFFFFFu;
    b.c.r[1] = 1;
    step_ok(&b);
    cr_expect_eq(armv7m_it_left(&b.c), 2u);
    step_ok(&b);
    cr_expect_eq(b.c.r[0], 0u);
    cr_expect_eq(b.c.c, 0u, "ADDS inside an IT block must not set C");
    cr_expect_eq(b.c.z, 1u);
    step_ok(&b); /* skipped: r0 unchanged, PC moves on */
    cr_expect_eq(b.c.r[0], 0u);
    cr_expect_eq(b.c.r[15], FLASH_BASE + 6u);
    cr_expect_eq(armv7m_it_left(&b.c), 0u);
    b.c.r[0] = 0xFFFFFFFFu;
    step_ok(&b);
    flags_are(&b, 0, 1, 1, 0);
}

Test(armv7m, it_conditions_follow_the_flags)
{
    /* itt gt (bf c4: firstcond GT, mask 0100): both run only when Z=0 and N=V */
    static const struct { unsigned n, z, v; int runs; } rows[] = {
        {0, 0, 0, 1}, {1, 0, 1, 1}, {0, 1, 0, 0}, {1, 0, 0, 0}, {0, 0, 1, 0},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct bench b;
        LOAD(&b, 0xBFC4, 0x3001, 0x3001); /* itt gt; adds r0, #1; adds r0, #1 */
        b.c.n = rows[i].n;
        b.c.z = rows[i].z;
        b.c.v = rows[i].v;
        for (int k = 0; k < 3; k++)
            step_ok(&b);
        cr_expect_eq(b.c.r[0], rows[i].runs ? 2u : 0u, "row %zu: r0 %u", i, (unsigned)b.c.r[0]);
    }
}

Test(armv7m, modified_immediates_expand)
{
    struct bench b;
    /* adds.w r0, r1, #0x00ff00ff (f111 10ff); teq r0, #0x80000000 (f090 4f00);
     * orn r0, r1, #0xff (f061 00ff) */
    LOAD(&b, 0xF111, 0x10FF, 0xF090, 0x4F00, 0xF061, 0x00FF);
    b.c.r[1] = 0xFF01FF01u;
    step_ok(&b);
    cr_expect_eq(b.c.r[0], 0x00000000u + 0xFF01FF01u + 0x00FF00FFu);
    cr_expect_eq(b.c.c, 1u);
    b.c.r[0] = 0x80000000u;
    step_ok(&b); /* TEQ: equal gives Z; a rotated constant puts its bit 31 in C */
    cr_expect_eq(b.c.z, 1u);
    cr_expect_eq(b.c.c, 1u);
    b.c.r[1] = 0x00000F00u;
    step_ok(&b);
    cr_expect_eq(b.c.r[0], 0xFFFFFF00u | 0xF00u);
}

Test(armv7m, cmp_with_shifted_register)
{
    struct bench b;
    LOAD(&b, 0xEBB0, 0x0F81); /* cmp.w r0, r1, lsl #2 */
    b.c.r[0] = 12;
    b.c.r[1] = 3;
    step_ok(&b);
    flags_are(&b, 0, 1, 1, 0);
    cr_expect_eq(b.c.r[0], 12u);
}

Test(armv7m, multiply_and_divide)
{
    struct bench b;
    /* udiv r0, r1, r2; sdiv r0, r1, r2; umull r0, r1, r2, r3; smull r0, r1, r2, r3;
     * mla r0, r1, r2, r3; mls r0, r1, r2, r3 */
    LOAD(&b, 0xFBB1, 0xF0F2, 0xFB91, 0xF0F2, 0xFBA2, 0x0103, 0xFB82, 0x0103, 0xFB01, 0x3002,
         0xFB01, 0x3012);
    b.c.r[1] = 100;
    b.c.r[2] = 0;
    step_ok(&b);
    cr_expect_eq(b.c.r[0], 0u, "division by zero gives 0");
    b.c.r[1] = 0x80000000u;
    b.c.r[2] = 0xFFFFFFFFu;
    step_ok(&b);
    cr_expect_eq(b.c.r[0], 0x80000000u, "INT_MIN / -1 gives INT_MIN");
    b.c.r[2] = 0xFFFFFFFFu;
    b.c.r[3] = 0xFFFFFFFFu;
    step_ok(&b);
    cr_expect(b.c.r[0] == 1u && b.c.r[1] == 0xFFFFFFFEu, "umull 0x%08x:%08x",
              (unsigned)b.c.r[1], (unsigned)b.c.r[0]);
    step_ok(&b); /* -1 * -1 = 1 */
    cr_expect(b.c.r[0] == 1u && b.c.r[1] == 0u);
    b.c.r[1] = 6;
    b.c.r[2] = 7;
    b.c.r[3] = 100;
    step_ok(&b);
    cr_expect_eq(b.c.r[0], 142u);
    step_ok(&b);
    cr_expect_eq(b.c.r[0], 58u);
}

Test(armv7m, bitfields_and_bit_ops)
{
    struct bench b;
    /* bfi r0, r1, #4, #8; ubfx r0, r1, #4, #8; sbfx r0, r1, #4, #8; clz r0, r1; rev r0, r1;
     * rbit r0, r1; usat r0, #8, r1; ssat r0, #8, r1 */
    LOAD(&b, 0xF361, 0x100B, 0xF3C1, 0x1007, 0xF341, 0x1007, 0xFAB1, 0xF081, 0xBA08,
         0xFA91, 0xF0A1, 0xF381, 0x0008, 0xF301, 0x0007);
    b.c.r[0] = 0xFFFFFFFFu;
    b.c.r[1] = 0x00000AB5u;
    step_ok(&b);
    cr_expect_eq(b.c.r[0], 0xFFFFFB5Fu, "bfi 0x%08x", (unsigned)b.c.r[0]);
    b.c.r[1] = 0x00000F80u;
    step_ok(&b);
    cr_expect_eq(b.c.r[0], 0xF8u);
    step_ok(&b);
    cr_expect_eq(b.c.r[0], 0xFFFFFFF8u);
    b.c.r[1] = 0x00010000u;
    step_ok(&b);
    cr_expect_eq(b.c.r[0], 15u);
    b.c.r[1] = 0x11223344u;
    step_ok(&b);
    cr_expect_eq(b.c.r[0], 0x44332211u);
    b.c.r[1] = 0x00000001u;
    step_ok(&b);
    cr_expect_eq(b.c.r[0], 0x80000000u);
    b.c.r[1] = 300;
    step_ok(&b);
    cr_expect_eq(b.c.r[0], 255u);
    cr_expect_eq(b.c.q, 1u, "saturation sets Q");
    b.c.r[1] = (uint32_t)-300;
    step_ok(&b);
    cr_expect_eq(b.c.r[0], (uint32_t)-128);
}

Test(armv7m, loads_and_stores_with_writeback_and_periph_callbacks)
{
    struct bench b;
    /* ldr.w r0, [r1, #-4]! (f851 0d04); ldr r0, [r1], #4 (f851 0b04); str r0, [r2] (6010);
     * ldr r3, [r2] (6813) */
    LOAD(&b, 0xF851, 0x0D04, 0xF851, 0x0B04, 0x6010, 0x6813);
    memcpy(b.sram + 0x10, "\x11\x22\x33\x44\x55\x66\x77\x88", 8);
    b.c.r[1] = SRAM_BASE + 0x14;
    step_ok(&b);
    cr_expect_eq(b.c.r[0], 0x44332211u);
    cr_expect_eq(b.c.r[1], SRAM_BASE + 0x10);
    step_ok(&b);
    cr_expect_eq(b.c.r[0], 0x44332211u);
    cr_expect_eq(b.c.r[1], SRAM_BASE + 0x14);
    b.c.r[2] = PERIPH;
    b.c.r[0] = 0xCAFEF00Du;
    step_ok(&b);
    step_ok(&b);
    cr_expect_eq(b.c.r[3], 0xCAFEF00Du);
    cr_expect(b.reads == 1 && b.writes == 1, "callbacks %u reads %u writes", b.reads, b.writes);
}

Test(armv7m, unmapped_access_is_a_fault_at_the_instruction)
{
    struct bench b;
    LOAD(&b, 0x6813); /* ldr r3, [r2] */
    b.c.r[2] = 0x30000000u;
    cr_expect_eq(armv7m_step(&b.c), ARMV7M_FAULT_READ);
    cr_expect_eq(b.c.fault_addr, 0x30000000u);
    cr_expect_eq(b.c.r[15], FLASH_BASE);
}

Test(armv7m, push_pop_ldm_stm)
{
    struct bench b;
    /* push {r4, lr}; stmdb r0!, {r1, r2, r8}; ldmia r0!, {r1, r2, r8} → r0 back; pop {r4, pc} */
    LOAD(&b, 0xB510, 0xE920, 0x0106, 0xE8B0, 0x0106, 0xBD10);
    uint32_t sp = b.c.r[13];
    b.c.r[4] = 0x44;
    b.c.r[14] = FLASH_BASE + 0x41u;
    b.c.r[0] = SRAM_BASE + 0x100;
    b.c.r[1] = 1; b.c.r[2] = 2; b.c.r[8] = 8;
    step_ok(&b);
    cr_expect_eq(b.c.r[13], sp - 8u);
    step_ok(&b);
    cr_expect_eq(b.c.r[0], SRAM_BASE + 0x100 - 12u);
    cr_expect_eq(b.sram[0x100 - 12], 1);
    cr_expect_eq(b.sram[0x100 - 4], 8);
    b.c.r[1] = b.c.r[2] = b.c.r[8] = 0;
    step_ok(&b);
    cr_expect(b.c.r[1] == 1 && b.c.r[2] == 2 && b.c.r[8] == 8 && b.c.r[0] == SRAM_BASE + 0x100);
    b.c.r[4] = 0;
    step_ok(&b);
    cr_expect_eq(b.c.r[4], 0x44u);
    cr_expect_eq(b.c.r[15], FLASH_BASE + 0x40u, "pop pc 0x%08x", (unsigned)b.c.r[15]);
    cr_expect_eq(b.c.r[13], sp);
}

Test(armv7m, pop_of_an_exc_return_value_is_an_exception_return)
{
    struct bench b;
    LOAD(&b, 0xBD10); /* pop {r4, pc} */
    b.c.ipsr = 15; /* in a handler (SysTick) */
    b.c.r[13] = SRAM_BASE + 0x200;
    memcpy(b.sram + 0x200, "\x01\0\0\0\xF9\xFF\xFF\xFF", 8);
    cr_expect_eq(armv7m_step(&b.c), ARMV7M_EXC_RETURN);
    cr_expect_eq(b.c.exc_return, 0xFFFFFFF9u);
    cr_expect_eq(b.c.r[4], 1u);
    cr_expect_eq(b.c.r[13], SRAM_BASE + 0x208);
}

Test(armv7m, exclusives_succeed_once)
{
    struct bench b;
    /* ldrex r0, [r1]; strex r2, r0, [r1]; strex r2, r0, [r1] */
    LOAD(&b, 0xE851, 0x0F00, 0xE841, 0x0200, 0xE841, 0x0200);
    b.c.r[1] = SRAM_BASE;
    b.sram[0] = 7;
    step_ok(&b);
    cr_expect_eq(b.c.r[0], 7u);
    b.c.r[0] = 9;
    step_ok(&b);
    cr_expect_eq(b.c.r[2], 0u);
    cr_expect_eq(b.sram[0], 9);
    b.c.r[0] = 11;
    step_ok(&b);
    cr_expect_eq(b.c.r[2], 1u, "the monitor closed after the first STREX");
    cr_expect_eq(b.sram[0], 9);
}

Test(armv7m, table_branches)
{
    struct bench b;
    /* tbb [r0, r1] at 0x08000000: target = PC+4 + 2*table[r1]; tbh [r0, r1, lsl #1] */
    LOAD(&b, 0xE8D0, 0xF001);
    b.c.r[0] = SRAM_BASE;
    b.c.r[1] = 2;
    b.sram[2] = 5;
    step_ok(&b);
    cr_expect_eq(b.c.r[15], FLASH_BASE + 4u + 10u);
    LOAD(&b, 0xE8D0, 0xF011);
    b.c.r[0] = SRAM_BASE;
    b.c.r[1] = 1;
    b.sram[2] = 0x00;
    b.sram[3] = 0x01;
    step_ok(&b);
    cr_expect_eq(b.c.r[15], FLASH_BASE + 4u + 0x200u);
}

Test(armv7m, cbz_cbnz_and_bl)
{
    struct bench b;
    LOAD(&b, 0xB110); /* cbz r0, .+8 */
    step_ok(&b);
    cr_expect_eq(b.c.r[15], FLASH_BASE + 8u);
    LOAD(&b, 0xB910); /* cbnz r0, .+8, r0 = 0: falls through */
    step_ok(&b);
    cr_expect_eq(b.c.r[15], FLASH_BASE + 2u);
    LOAD(&b, 0xF000, 0xFFFE); /* bl .+0x1000 */
    step_ok(&b);
    cr_expect_eq(b.c.r[15], FLASH_BASE + 0x1000u);
    cr_expect_eq(b.c.r[14], FLASH_BASE + 5u);
}

Test(armv7m, special_registers)
{
    struct bench b;
    /* mrs r0, ipsr; msr basepri, r1; cpsid i; mrs r2, apsr; msr apsr_nzcvq, r3; cpsie i */
    LOAD(&b, 0xF3EF, 0x8005, 0xF381, 0x8811, 0xB672, 0xF3EF, 0x8200, 0xF383, 0x8800, 0xB662);
    b.c.ipsr = 15;
    b.c.r[1] = 0x40;
    b.c.z = 1;
    b.c.r[3] = 0x90000000u;
    for (int i = 0; i < 3; i++)
        step_ok(&b);
    cr_expect_eq(b.c.r[0], 15u);
    cr_expect_eq(b.c.basepri, 0x40u);
    cr_expect_eq(b.c.primask, 1u);
    step_ok(&b);
    cr_expect_eq(b.c.r[2], 0x40000000u);
    step_ok(&b);
    flags_are(&b, 1, 0, 0, 1);
    step_ok(&b);
    cr_expect_eq(b.c.primask, 0u);
}

Test(armv7m, control_spsel_banks_the_stack_pointer)
{
    struct bench b;
    LOAD(&b, 0xBF00);
    b.c.r[13] = 0x20000100u;
    armv7m_set(&b.c, ARMV7M_PSP, 0x20000200u);
    armv7m_set(&b.c, ARMV7M_CONTROL, 2u);
    cr_expect_eq(b.c.r[13], 0x20000200u);
    cr_expect_eq(armv7m_get(&b.c, ARMV7M_MSP), 0x20000100u);
    armv7m_set(&b.c, ARMV7M_CONTROL, 0u);
    cr_expect_eq(b.c.r[13], 0x20000100u);
}

Test(armv7m, hints_and_system_events)
{
    struct bench b;
    LOAD(&b, 0xBF30, 0xBF20, 0xBF40, 0xDF01, 0xBE00, 0xDE00); /* wfi wfe sev svc bkpt udf */
    cr_expect_eq(armv7m_step(&b.c), ARMV7M_WFI);
    cr_expect_eq(armv7m_step(&b.c), ARMV7M_WFE);
    cr_expect_eq(armv7m_step(&b.c), ARMV7M_SEV);
    cr_expect_eq(armv7m_step(&b.c), ARMV7M_SVC);
    cr_expect_eq(b.c.r[15], FLASH_BASE + 8u, "SVC returns past itself");
    cr_expect_eq(armv7m_step(&b.c), ARMV7M_BKPT);
    cr_expect_eq(b.c.r[15], FLASH_BASE + 8u);
    b.c.r[15] = FLASH_BASE + 10u;
    cr_expect_eq(armv7m_step(&b.c), ARMV7M_UNDEFINED);
    cr_expect_eq(b.c.r[15], FLASH_BASE + 10u, "the PC stays at the undefined instruction");
}

Test(armv7m, dsp_extensions_are_undefined_on_the_m3)
{
    struct bench b;
    LOAD(&b, 0xFA11, 0xF092); /* uxtah r0, r1, r2, ror #8 (v7E-M only) */
    cr_expect_eq(armv7m_step(&b.c), ARMV7M_UNDEFINED);
}

Test(armv7m, word_loads_with_the_sign_bit_are_undefined)
{
    /* 11111 00 1 x 10 1 Rn: a "signed" word load does not exist: the load-word class's op1 = 1x
     * is UNDEFINED [S] ARMv7-M ARM A5.3.7. f9d1 0000 (imm12 form), f951 0d04 (imm8 form),
     * f95f 0004 (literal form) */
    static const uint16_t enc[][2] = {{0xF9D1, 0x0000}, {0xF951, 0x0D04}, {0xF95F, 0x0004}};
    for (size_t i = 0; i < sizeof enc / sizeof enc[0]; i++) {
        struct bench b;
        load(&b, enc[i], 2);
        b.c.r[0] = 0x1234u;
        b.c.r[1] = SRAM_BASE + 0x10;
        cr_expect_eq(armv7m_step(&b.c), ARMV7M_UNDEFINED, "%04x %04x executed", enc[i][0],
                     enc[i][1]);
        cr_expect_eq(b.c.r[0], 0x1234u);
        cr_expect_eq(b.c.r[1], SRAM_BASE + 0x10u, "no writeback");
        cr_expect_eq(b.c.r[15], FLASH_BASE);
    }
}

Test(armv7m, exception_entry_and_return_clear_the_exclusive_monitor)
{
    /* ldrex r0, [r1]; strex r2, r0, [r1]. Between them the core enters (or returns from) an
     * exception, which writes the whole xPSR: ExceptionTaken and ExceptionReturn call
     * ClearExclusiveLocal, so the STREX fails and stores nothing [S] ARMv7-M ARM B1.5.6, B1.5.8
     * (an interrupted LDREX/STREX retries instead of losing the handler's plain store). */
    struct bench b;
    LOAD(&b, 0xE851, 0x0F00, 0xE841, 0x0200);
    b.c.r[1] = SRAM_BASE;
    b.sram[0] = 7;
    step_ok(&b);
    cr_expect_eq(b.c.r[0], 7u);
    armv7m_set(&b.c, ARMV7M_XPSR, 1u << 24); /* as exception.c does at entry and return */
    b.sram[0] = 8;                          /* the handler's plain store */
    b.c.r[0] = 9;
    step_ok(&b);
    cr_expect_eq(b.c.r[2], 1u, "STREX must fail after an exception entry or return");
    cr_expect_eq(b.sram[0], 8);
}

Test(armv7m, ccr_div_0_trp_and_unalign_trp_fault)
{
    /* udiv r0, r1, r2 by zero: 0 with CCR.DIV_0_TRP clear, a UsageFault (DIVBYZERO) with it
     * set [S] ARMv7-M ARM A7.7 UDIV/SDIV (IntegerZeroDivideTrappingEnabled), B3.2 (CCR);
     * ldr r0, [r1] (6808) and strh r0, [r1] (8008) off alignment: done with UNALIGN_TRP
     * clear, a UsageFault (UNALIGNED) with it set [S] A3.2 (alignment behaviour) */
    struct bench b;
    uint32_t ccr = 0;
    LOAD(&b, 0xFBB1, 0xF0F2, 0xFB91, 0xF0F2);
    b.c.bus.ccr = &ccr;
    b.c.r[0] = 0x55u;
    b.c.r[1] = 100;
    step_ok(&b);
    cr_expect_eq(b.c.r[0], 0u);
    ccr = 1u << 4;
    b.c.r[0] = 0x55u;
    cr_expect_eq(armv7m_step(&b.c), ARMV7M_FAULT_DIVBYZERO, "sdiv by zero with DIV_0_TRP");
    cr_expect_eq(b.c.r[0], 0x55u);
    cr_expect_eq(b.c.r[15], FLASH_BASE + 4u, "PC at the SDIV");
    LOAD(&b, 0x6808, 0x8008, 0x6808);
    b.c.bus.ccr = &ccr;
    ccr = 0;
    b.c.r[1] = SRAM_BASE + 2;
    step_ok(&b);
    ccr = 1u << 3;
    b.c.r[1] = SRAM_BASE + 3;
    cr_expect_eq(armv7m_step(&b.c), ARMV7M_FAULT_UNALIGNED, "strh off alignment, UNALIGN_TRP");
    cr_expect_eq(b.c.r[15], FLASH_BASE + 2u);
    cr_expect_eq(b.c.fault_addr, SRAM_BASE + 3u);
    b.c.r[1] = SRAM_BASE + 2;
    step_ok(&b); /* half-word aligned: no fault */
    b.c.r[1] = SRAM_BASE + 1;
    cr_expect_eq(armv7m_step(&b.c), ARMV7M_FAULT_UNALIGNED);
    cr_expect_eq(b.c.fault_addr, SRAM_BASE + 1u);
    LOAD(&b, 0xE8D0, 0xF011); /* tbh [r0, r1, lsl #1] off alignment (MemU) */
    b.c.bus.ccr = &ccr;
    b.c.r[0] = SRAM_BASE + 1;
    cr_expect_eq(armv7m_step(&b.c), ARMV7M_FAULT_UNALIGNED, "tbh off alignment, UNALIGN_TRP");
}

Test(armv7m, exc_return_values_in_thread_mode_are_plain_branches)
{
    /* BXWritePC/LoadWritePC return from an exception only in Handler mode; in Thread mode
     * 0xFFFFFFF9 is an address: the branch goes to 0xFFFFFFF8 (where the fetch faults), and
     * 0xF0000000 (bit 0 clear) is an INVSTATE branch [S] ARMv7-M ARM A2.3.1 (BXWritePC), B1.5.8.
     * bx lr (4770); pop {pc} (bd00) */
    struct bench b;
    LOAD(&b, 0x4770);
    b.c.r[14] = 0xFFFFFFF9u;
    cr_expect_eq(armv7m_step(&b.c), ARMV7M_OK, "bx lr in thread mode");
    cr_expect_eq(b.c.r[15], 0xFFFFFFF8u);
    cr_expect_eq(armv7m_step(&b.c), ARMV7M_FAULT_FETCH);
    LOAD(&b, 0xBD00);
    b.c.r[13] = SRAM_BASE + 0x200;
    memcpy(b.sram + 0x200, "\0\0\0\xF0", 4);
    cr_expect_eq(armv7m_step(&b.c), ARMV7M_FAULT_INVSTATE);
    cr_expect_eq(b.c.fault_addr, 0xF0000000u);
    LOAD(&b, 0x4770);
    b.c.ipsr = 15;
    b.c.r[14] = 0xFFFFFFF9u;
    cr_expect_eq(armv7m_step(&b.c), ARMV7M_EXC_RETURN, "bx lr in a handler");
}

Test(armv7m, an_undefined_data_processing_form_changes_no_flags)
{
    /* adcs.w pc, r0, #1 (f150 0f01) and ands.w sp, r0, r1 (ea10 0d01): a destination those
     * operations cannot have (only ADD/SUB/MOV may write SP, none the PC) [S] A7.7 ADC, AND;
     * reported undefined, so not executed: the flags stay as they were. */
    static const uint16_t enc[][2] = {{0xF150, 0x0F01}, {0xEA10, 0x0D01}};
    for (size_t i = 0; i < sizeof enc / sizeof enc[0]; i++) {
        struct bench b;
        load(&b, enc[i], 2);
        b.c.r[0] = 0xFFFFFFFFu;
        b.c.r[1] = 0;
        cr_expect_eq(armv7m_step(&b.c), ARMV7M_UNDEFINED);
        flags_are(&b, 0, 0, 0, 0);
    }
}
