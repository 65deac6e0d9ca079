/* test_mcu_core.c: the emulated Cortex-M3 core: exception entry (frame contents, alignment,
 * EXC_RETURN) and return (FAULTMASK cleared), nesting and tail-chaining by priority, SVC, bit-band aliases, WFI
 * woken by SysTick, exact interrupt timing (12-cycle entry), idle skipping of polling loops,
 * SYSRESETREQ, MRS IPSR, WFE with the event register, a fault entering the HardFault handler,
 * each fault kind's message (the same under every CPU backend). Built twice: test_mcu_core runs
 * the images on the default backend, test_mcu_core_unicorn (MCU_CORE_CPU) on Unicorn.
 * The images are assembled from the sources in tests/fw/images into images.h (gen_images.sh). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "images.h"
#include "rig/fw/mcu.h"

#ifndef MCU_CORE_CPU
#define MCU_CORE_CPU NULL /* the default backend */
#endif

static struct mcu *open_on(const uint8_t *img, size_t n, const char *name, const char *cpu)
{
    struct mcu_config cfg;
    mcu_config_defaults(&cfg);
    cfg.cpu = cpu;
    cfg.image = img;
    cfg.image_len = n;
    cfg.image_name = name;
    struct mcu *m;
    char err[512];
    cr_assert_eq(mcu_new(&cfg, &m, err, sizeof err), BMSRIG_OK, "%s", err);
    return m;
}

#define OPEN(img) open_on(img, sizeof img, #img, MCU_CORE_CPU)

static uint32_t word_at(struct mcu *m, uint32_t addr)
{
    uint8_t b[4];
    cr_assert_eq(mcu_read_memory(m, addr, b, 4), BMSRIG_OK, "read 0x%08x", (unsigned)addr);
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static void run_to_power_off(struct mcu *m, uint64_t limit_ns)
{
    char err[512] = "";
    int rc = mcu_run_until(m, limit_ns, err, sizeof err);
    cr_assert_eq(rc, MCU_POWERED_OFF, "rc %d at %llu ns, PC 0x%08x: %s", rc,
                 (unsigned long long)mcu_time_ns(m), (unsigned)mcu_pc(m), err);
}

Test(mcu_core, exception_entry_pushes_the_frame_on_an_aligned_stack)
{
    struct mcu *m = OPEN(image_frame);
    run_to_power_off(m, 1000000);
    uint32_t sp = word_at(m, 0x20000000), lr = word_at(m, 0x20000004);
    /* The thread's SP was 0x20004FFC (4 mod 8): with CCR.STKALIGN the frame starts at the
     * next 8-byte boundary below 32 bytes down, 0x20004FD8, and xPSR bit 9 says so. */
    cr_expect_eq(sp, 0x20004FD8u, "handler SP 0x%08x", (unsigned)sp);
    cr_expect_eq(lr, 0xFFFFFFF9u, "EXC_RETURN 0x%08x (thread, MSP)", (unsigned)lr);
    static const uint32_t want[6] = {0x10, 0x11, 0x12, 0x13, 0x1C, 0x0800ABCD};
    static const char *names[6] = {"r0", "r1", "r2", "r3", "r12", "lr"};
    for (int i = 0; i < 6; i++)
        cr_expect_eq(word_at(m, sp + 4u * i), want[i], "stacked %s = 0x%08x", names[i],
                     (unsigned)word_at(m, sp + 4u * i));
    cr_expect_eq(word_at(m, sp + 24), IMAGE_frame_spin, "stacked PC 0x%08x, want the spin loop",
                 (unsigned)word_at(m, sp + 24));
    uint32_t xpsr = word_at(m, sp + 28);
    cr_expect(xpsr & (1u << 24), "stacked xPSR 0x%08x has T", (unsigned)xpsr);
    cr_expect(xpsr & (1u << 9), "stacked xPSR 0x%08x records the alignment pad", (unsigned)xpsr);
    cr_expect_eq(xpsr & 0x1FFu, 0u, "stacked IPSR (thread) in 0x%08x", (unsigned)xpsr);
    cr_expect_eq(mcu_exceptions_taken(m), 1u);
    mcu_free(m);
}

Test(mcu_core, nested_and_tail_chained_exceptions_follow_priority)
{
    struct mcu *m = OPEN(image_nest);
    run_to_power_off(m, 1000000);
    uint32_t n = word_at(m, 0x20000000);
    cr_assert_eq(n, 18u, "log has %u words, want 6 entries", (unsigned)n);
    /* tag, LR, VECTACTIVE: IRQ0 (16) -> IRQ1 (17) preempts -> back in IRQ0 -> PendSV (14)
     * tail-chained before the thread (0) logs 5. */
    static const uint32_t want[6][3] = {
        {1, 0xFFFFFFF9u, 16}, {2, 0xFFFFFFF1u, 17}, {3, 0xFFFFFFF9u, 16},
        {4, 0xFFFFFFF9u, 16}, {6, 0xFFFFFFF9u, 14}, {5, 0, 0}};
    for (int i = 0; i < 6; i++) {
        uint32_t base = 0x20000010u + 12u * i;
        cr_expect_eq(word_at(m, base), want[i][0], "entry %d tag %u", i,
                     (unsigned)word_at(m, base));
        if (want[i][0] != 5)
            cr_expect_eq(word_at(m, base + 4), want[i][1], "entry %d (tag %u) LR 0x%08x", i,
                         (unsigned)want[i][0], (unsigned)word_at(m, base + 4));
        cr_expect_eq(word_at(m, base + 8), want[i][2], "entry %d (tag %u) VECTACTIVE %u", i,
                     (unsigned)want[i][0], (unsigned)word_at(m, base + 8));
    }
    cr_expect_eq(mcu_exceptions_taken(m), 3u);
    mcu_free(m);
}

Test(mcu_core, svc_enters_its_handler_and_returns)
{
    struct mcu *m = OPEN(image_svc);
    run_to_power_off(m, 1000000);
    cr_expect_eq(word_at(m, 0x20000000), 7u);
    cr_expect_eq(mcu_exceptions_taken(m), 1u);
    mcu_free(m);
}

Test(mcu_core, exception_return_clears_faultmask)
{
    /* The PendSV handler sets FAULTMASK; the return clears it (any handler but NMI's)
     * [S] ARMv7-M ARM B1.5.8 DeActivate */
    struct mcu *m = OPEN(image_faultmask);
    run_to_power_off(m, 1000000);
    cr_expect_eq(word_at(m, 0x20000004), 1u, "FAULTMASK in the handler after cpsid f");
    cr_expect_eq(word_at(m, 0x20000000), 0u, "FAULTMASK back in the thread: 0x%08x",
                 (unsigned)word_at(m, 0x20000000));
    cr_expect_eq(mcu_exceptions_taken(m), 1u);
    mcu_free(m);
}

Test(mcu_core, bit_band_aliases_reach_the_underlying_bits)
{
    struct mcu *m = OPEN(image_bitband);
    run_to_power_off(m, 1000000);
    static const uint32_t want[6] = {0x00000021u, 1, 0, 0x00004000u, 1, 1};
    static const char *what[6] = {"SRAM word after set bit 5 / clear bit 31",
                                  "SRAM alias read of bit 5", "SRAM alias read of bit 4",
                                  "RCC_APB2ENR after alias writes", "RCC alias read of bit 14",
                                  "RCC alias byte read of bit 14"};
    for (int i = 0; i < 6; i++)
        cr_expect_eq(word_at(m, 0x20000000u + 4u * i), want[i], "%s: 0x%08x", what[i],
                     (unsigned)word_at(m, 0x20000000u + 4u * i));
    cr_expect_eq(mcu_unknown_accesses(m), 0u);
    mcu_free(m);
}

Test(mcu_core, wfi_sleeps_until_the_systick_interrupt)
{
    struct mcu *m = OPEN(image_wfi);
    run_to_power_off(m, 100000000);
    /* Five 1 ms SysTick periods; the power-off follows the fifth within a few instructions. */
    uint64_t t = mcu_time_ns(m);
    cr_expect(t >= 5000000 && t < 5001000, "powered off at %llu ns, want 5.000..5.001 ms",
              (unsigned long long)t);
    cr_expect_eq(mcu_exceptions_taken(m), 5u);
    /* Asleep, no instruction runs: a few dozen per wake-up instead of 64000 per ms. */
    cr_expect_lt(mcu_instructions(m), 500u, "%llu instructions executed",
                 (unsigned long long)mcu_instructions(m));
    cr_expect_gt(mcu_idle_ns(m), 4900000u);
    mcu_free(m);
}

Test(mcu_core, interrupt_is_taken_exactly_at_the_systick_wrap)
{
    struct mcu *m = OPEN(image_latency);
    run_to_power_off(m, 1000000);
    /* Enabled by the 7th instruction (its store lands at 7 x 15.625 ns); the counter reaches 0
     * 1000 cycles later, the exception is requested then, its entry takes 12 cycles (Cortex-M3
     * stacking) and the handler's power-off store is its 3rd instruction:
     * (7 + 1000 + 12 + 3) x 15.625 ns. */
    uint64_t t = mcu_time_ns(m), want = (7 + 1000 + 12 + 3) * 15625ull / 1000;
    cr_expect_eq(t, want, "powered off at %llu ns, want %llu",
              (unsigned long long)t, (unsigned long long)want);
    mcu_free(m);
}

Test(mcu_core, polling_a_ram_flag_is_skipped_to_the_next_interrupt)
{
    struct mcu *m = OPEN(image_ramflag);
    run_to_power_off(m, 100000000);
    uint64_t t = mcu_time_ns(m);
    cr_expect(t >= 5000000 && t < 5001000, "powered off at %llu ns", (unsigned long long)t);
    cr_expect_eq(mcu_exceptions_taken(m), 5u);
    /* Spinning would execute 3 instructions per 46.875 ns for 5 ms (~320000). */
    cr_expect_lt(mcu_instructions(m), 2000u, "%llu instructions executed",
                 (unsigned long long)mcu_instructions(m));
    mcu_free(m);
}

Test(mcu_core, runs_are_deterministic)
{
    uint64_t t[2], n[2];
    for (int i = 0; i < 2; i++) {
        struct mcu *m = OPEN(image_nest);
        run_to_power_off(m, 1000000);
        t[i] = mcu_time_ns(m);
        n[i] = mcu_instructions(m);
        mcu_free(m);
    }
    cr_expect_eq(t[0], t[1]);
    cr_expect_eq(n[0], n[1]);
}

/* Skipping a polling loop must not change when the firmware acts: the same power-off time and
 * interrupts with the loop run instruction by instruction (no_poll_skip). */
Test(mcu_core, polling_skip_changes_no_timing)
{
    uint64_t t[2], exc[2], insns[2];
    for (int skip_off = 0; skip_off < 2; skip_off++) {
        struct mcu_config cfg;
        mcu_config_defaults(&cfg);
        cfg.image = image_ramflag;
        cfg.image_len = sizeof image_ramflag;
        cfg.image_name = "ramflag";
        cfg.cpu = MCU_CORE_CPU;
        cfg.no_poll_skip = skip_off;
        struct mcu *m;
        char err[512];
        cr_assert_eq(mcu_new(&cfg, &m, err, sizeof err), BMSRIG_OK, "%s", err);
        run_to_power_off(m, 100000000);
        t[skip_off] = mcu_time_ns(m);
        exc[skip_off] = mcu_exceptions_taken(m);
        insns[skip_off] = mcu_instructions(m);
        mcu_free(m);
    }
    cr_expect_eq(t[0], t[1], "power-off at %llu ns skipping, %llu ns running the loop",
                 (unsigned long long)t[0], (unsigned long long)t[1]);
    cr_expect_eq(exc[0], exc[1]);
    cr_expect_lt(insns[0] * 100, insns[1], "skipping executed %llu of %llu instructions",
                 (unsigned long long)insns[0], (unsigned long long)insns[1]);
}

Test(mcu_core, mrs_ipsr_reads_the_active_exception)
{
    struct mcu *m = OPEN(image_ipsr);
    run_to_power_off(m, 1000000);
    cr_expect_eq(word_at(m, 0x20000000), 0u, "IPSR in the thread");
    cr_expect_eq(word_at(m, 0x20000004), 11u, "IPSR in the SVCall handler: %u",
                 (unsigned)word_at(m, 0x20000004));
    cr_expect_eq(word_at(m, 0x20000008) & 0x1FFu, 11u, "xPSR in the handler: 0x%08x",
                 (unsigned)word_at(m, 0x20000008));
    mcu_free(m);
}

Test(mcu_core, wfe_sleeps_unless_the_event_register_is_set)
{
    struct mcu *m = OPEN(image_wfe);
    run_to_power_off(m, 100000000);
    /* After SEV the first WFE went on before any interrupt; then three 1 ms sleeps. */
    cr_expect_eq(word_at(m, 0x20000004), 0u, "interrupts before the first WFE ended: %u",
                 (unsigned)word_at(m, 0x20000004));
    uint64_t t = mcu_time_ns(m);
    cr_expect(t >= 3000000 && t < 3001000, "powered off at %llu ns, want 3.000..3.001 ms",
              (unsigned long long)t);
    cr_expect_eq(mcu_exceptions_taken(m), 3u);
    cr_expect_lt(mcu_instructions(m), 300u, "%llu instructions: WFE did not sleep",
                 (unsigned long long)mcu_instructions(m));
    cr_expect_gt(mcu_idle_ns(m), 2900000u);
    mcu_free(m);
}

Test(mcu_core, a_fault_enters_the_hardfault_handler_and_stops_naming_its_pc)
{
    struct mcu *m = OPEN(image_hardfault);
    char err[512] = "", again[512] = "";
    cr_assert_eq(mcu_run_until(m, 1000000, err, sizeof err), BMSRIG_ERR_STATE, "%s", err);
    char pc[32], handler[64];
    snprintf(pc, sizeof pc, "at PC 0x%08x", (unsigned)IMAGE_hardfault_fault);
    snprintf(handler, sizeof handler, "HardFault handler at 0x%08x",
             (unsigned)IMAGE_hardfault_spin);
    cr_expect(strstr(err, "image_hardfault") && strstr(err, "bad memory access") &&
              strstr(err, pc) && strstr(err, handler), "message: %s", err);
    cr_expect_eq(mcu_pc(m), (uint32_t)IMAGE_hardfault_spin, "PC 0x%08x", (unsigned)mcu_pc(m));
    /* The frame on the initial stack (0x20005000, aligned) holds the faulting PC. */
    cr_expect_eq(word_at(m, 0x20005000u - 32u + 24u), (uint32_t)IMAGE_hardfault_fault,
                 "stacked PC 0x%08x", (unsigned)word_at(m, 0x20005000u - 32u + 24u));
    cr_expect_eq(word_at(m, 0x20005000u - 32u + 4u), 0x21u, "stacked r1");
    cr_expect_eq(mcu_exceptions_taken(m), 1u);
    cr_expect_eq(mcu_run_until(m, 2000000, again, sizeof again), BMSRIG_ERR_STATE);
    cr_expect_str_eq(again, err, "a later run repeats the fault");
    mcu_free(m);
}

/* The instruction patched in at `fault` of image_faults, the fault kind it must give and where
 * (0: at the instruction). */
struct fault_case {
    uint16_t hw[2]; /* a 16-bit one is followed by a NOP */
    const char *kind;
    uint32_t pc;
};

static const struct fault_case fault_cases[] = {
    {{0x6802, 0xBF00}, "bad memory access (read of unmapped memory)", 0},      /* ldr r2, [r0] */
    {{0x6002, 0xBF00}, "bad memory access (write to unmapped memory)", 0},     /* str r2, [r0] */
    {{0x601A, 0xBF00}, "bad memory access (write to read-only memory)", 0},    /* str r2, [r3] */
    {{0x6022, 0xBF00}, "bad memory access (write to flash 0x0800f800 without FLASH_CR.PG", 0},
    {{0xDE00, 0xBF00}, "undefined instruction", 0},                            /* udf #0 */
    {{0xF7F0, 0xA000}, "undefined instruction", 0},                            /* udf.w #0 */
    {{0xBE00, 0xBF00}, "breakpoint instruction (BKPT)", 0},                    /* bkpt #0 */
    /* bx r1: the part runs code from SRAM; here SRAM is not executable (firmware.md) */
    {{0x4708, 0xBF00}, "bad memory access (instruction fetch from non-executable memory)",
     0x20000000u},
    /* bx r2: the part faults at the target, its first instruction [S] ARMv7-M A2.3.1 */
    {{0x4710, 0xBF00}, "hard fault (invalid state: branch to an ARM address)", 0x08001000u},
};
/* Not here, the backends differ [O]: a coprocessor instruction (vmov s0, r0), which Unicorn's
 * Cortex-M3 executes, and an LDRD off word alignment, which Unicorn performs in SRAM (the
 * interpreter faults, as the part does [S] A3.2.1). */

static void run_fault(const struct fault_case *fc, const char *cpu, char *err, size_t cap)
{
    uint8_t img[sizeof image_faults];
    memcpy(img, image_faults, sizeof img);
    uint32_t off = IMAGE_faults_fault - 0x08001000u;
    for (int i = 0; i < 2; i++) {
        img[off + 2 * i] = (uint8_t)fc->hw[i];
        img[off + 2 * i + 1] = (uint8_t)(fc->hw[i] >> 8);
    }
    struct mcu *m = open_on(img, sizeof img, "image_faults", cpu);
    err[0] = 0;
    cr_expect_eq(mcu_run_until(m, 1000000, err, cap), BMSRIG_ERR_STATE, "%04x: %s", fc->hw[0],
                 err);
    mcu_free(m);
}

Test(mcu_core, each_fault_kind_is_named_with_its_pc_alike_on_every_backend)
{
    for (size_t i = 0; i < sizeof fault_cases / sizeof fault_cases[0]; i++) {
        const struct fault_case *fc = &fault_cases[i];
        char first[512], pc[32];
        snprintf(pc, sizeof pc, "at PC 0x%08x", (unsigned)(fc->pc ? fc->pc : IMAGE_faults_fault));
        run_fault(fc, mcu_cpu_backend_name(0), first, sizeof first);
        cr_expect(strstr(first, fc->kind) && strstr(first, pc), "%04x %04x on %s: %s",
                  fc->hw[0], fc->hw[1], mcu_cpu_backend_name(0), first);
        for (unsigned k = 1; mcu_cpu_backend_name(k); k++) {
            char err[512];
            run_fault(fc, mcu_cpu_backend_name(k), err, sizeof err);
            cr_expect_str_eq(err, first, "%04x %04x: %s says \"%s\", %s \"%s\"", fc->hw[0],
                             fc->hw[1], mcu_cpu_backend_name(k), err, mcu_cpu_backend_name(0),
                             first);
        }
    }
}
