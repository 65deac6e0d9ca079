/* test_mcu_image.c: the emulated STM32F103 refuses bad images with the image's name and reports
 * faulting ones with the PC; a spinning image still returns from mcu_run_until. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "rig/fw/mcu.h"

#define BASE MCU_DEFAULT_BASE

/* A 64-byte vector table + code at BASE+0x40: SP 0x20005000, reset = BASE+0x41 (Thumb). */
static size_t make_image(uint8_t *buf, const uint16_t *code, size_t ncode)
{
    memset(buf, 0, 0x40);
    uint32_t words[2] = {0x20005000u, BASE + 0x41u};
    for (int i = 0; i < 2; i++)
        for (int b = 0; b < 4; b++)
            buf[i * 4 + b] = (uint8_t)(words[i] >> (8 * b));
    for (size_t i = 0; i < ncode; i++) {
        buf[0x40 + 2 * i] = (uint8_t)code[i];
        buf[0x41 + 2 * i] = (uint8_t)(code[i] >> 8);
    }
    return 0x40 + 2 * ncode;
}

static int open_bytes(const uint8_t *img, size_t n, uint32_t base, struct mcu **m, char *err)
{
    struct mcu_config cfg;
    mcu_config_defaults(&cfg);
    cfg.image = img;
    cfg.image_len = n;
    cfg.image_name = "test.bin";
    cfg.base = base;
    return mcu_new(&cfg, m, err, 512);
}

Test(mcu_image, missing_file_is_named)
{
    struct mcu_config cfg;
    mcu_config_defaults(&cfg);
    cfg.image_path = "/nonexistent/dir/fw.bin";
    struct mcu *m;
    char err[512];
    cr_assert_eq(mcu_new(&cfg, &m, err, sizeof err), BMSRIG_ERR_IO);
    cr_assert_null(m);
    cr_expect(strstr(err, "/nonexistent/dir/fw.bin") != NULL, "%s", err);
}

Test(mcu_image, empty_file_is_refused)
{
    char path[] = "/tmp/mcu_empty_XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    close(fd);
    struct mcu_config cfg;
    mcu_config_defaults(&cfg);
    cfg.image_path = path;
    struct mcu *m;
    char err[512];
    int rc = mcu_new(&cfg, &m, err, sizeof err);
    unlink(path);
    cr_assert_eq(rc, BMSRIG_ERR_PARSE);
    cr_expect(strstr(err, path) && strstr(err, "empty"), "%s", err);
}

Test(mcu_image, truncated_and_bad_tables_are_refused)
{
    uint8_t img[0x100];
    static const uint16_t spin[] = {0xE7FE}; /* b . */
    size_t n = make_image(img, spin, 1);
    struct mcu *m;
    char err[512];
    cr_assert_eq(open_bytes(img, 20, BASE, &m, err), BMSRIG_ERR_PARSE);
    cr_expect(strstr(err, "test.bin") && strstr(err, "truncated"), "%s", err);

    uint8_t bad[0x100];
    memcpy(bad, img, n);
    bad[3] = 0x08; /* SP 0x08005000: not SRAM */
    cr_assert_eq(open_bytes(bad, n, BASE, &m, err), BMSRIG_ERR_PARSE);
    cr_expect(strstr(err, "initial SP"), "%s", err);

    memcpy(bad, img, n);
    bad[4] = 0x40; /* reset vector even: not Thumb */
    cr_assert_eq(open_bytes(bad, n, BASE, &m, err), BMSRIG_ERR_PARSE);
    cr_expect(strstr(err, "Thumb") && strstr(err, "test.bin"), "%s", err);
}

Test(mcu_image, wrong_base_is_refused)
{
    uint8_t img[0x100];
    static const uint16_t spin[] = {0xE7FE};
    size_t n = make_image(img, spin, 1);
    struct mcu *m;
    char err[512];
    cr_assert_eq(open_bytes(img, n, 0x08000000u, &m, err), BMSRIG_ERR_ARG);
    cr_expect(strstr(err, "wrong base"), "%s", err);
    cr_assert_eq(open_bytes(img, n, 0x20000000u, &m, err), BMSRIG_ERR_ARG);
    cr_expect(strstr(err, "base address"), "%s", err);
}

static void run_expect_fault(const uint16_t *code, size_t ncode, const char *kind,
                             uint32_t pc)
{
    uint8_t img[0x100];
    size_t n = make_image(img, code, ncode);
    struct mcu *m;
    char err[512];
    cr_assert_eq(open_bytes(img, n, BASE, &m, err), BMSRIG_OK, "%s", err);
    int rc = mcu_run_until(m, 1000000, err, sizeof err);
    cr_assert_eq(rc, BMSRIG_ERR_STATE, "rc %d", rc);
    cr_expect(strstr(err, "test.bin") && strstr(err, kind), "%s", err);
    char want[32];
    snprintf(want, sizeof want, "PC 0x%08x", (unsigned)pc);
    cr_expect(strstr(err, want), "want %s in: %s", want, err);
    /* Stays stopped with the same error. */
    char again[512];
    cr_expect_eq(mcu_run_until(m, 2000000, again, sizeof again), BMSRIG_ERR_STATE);
    cr_expect_str_eq(again, err);
    mcu_free(m);
}

Test(mcu_image, undefined_instruction_names_pc)
{
    /* nop; udf #0 */
    static const uint16_t code[] = {0xBF00, 0xDE00};
    run_expect_fault(code, 2, "undefined instruction", BASE + 0x42);
}

Test(mcu_image, bad_memory_access_names_pc)
{
    /* movs r0,#0x60; lsls r0,r0,#24 (0x60000000, unmapped); ldr r1,[r0] */
    static const uint16_t code[] = {0x2060, 0x0600, 0x6801};
    run_expect_fault(code, 3, "bad memory access", BASE + 0x44);
}

Test(mcu_image, spinning_image_returns_in_virtual_time)
{
    uint8_t img[0x100];
    static const uint16_t spin[] = {0xE7FE};
    size_t n = make_image(img, spin, 1);
    struct mcu *m;
    char err[512];
    cr_assert_eq(open_bytes(img, n, BASE, &m, err), BMSRIG_OK, "%s", err);
    cr_assert_eq(mcu_run_until(m, 10000000, err, sizeof err), BMSRIG_OK, "%s", err); /* 10 ms */
    cr_expect_geq(mcu_time_ns(m), 10000000u);
    /* 10 ms at 15.625 ns per instruction = 640000 instructions. */
    cr_expect_eq(mcu_instructions(m), 640000u);
    cr_expect_eq(mcu_pc(m), BASE + 0x40);
    mcu_free(m);
}

Test(mcu_image, sysresetreq_is_power_off)
{
    /* ldr r0,[pc,#4]; ldr r1,[pc,#8]; str r1,[r0]; b . ; .word 0xE000ED0C, 0x05FA0004 */
    static const uint16_t code[] = {0x4801, 0x4902, 0x6001, 0xE7FE,
                                    0xED0C, 0xE000, 0x0004, 0x05FA};
    uint8_t img[0x100];
    size_t n = make_image(img, code, 8);
    struct mcu *m;
    char err[512];
    cr_assert_eq(open_bytes(img, n, BASE, &m, err), BMSRIG_OK, "%s", err);
    cr_expect_eq(mcu_run_until(m, 1000000, err, sizeof err), MCU_POWERED_OFF);
    mcu_free(m);
}

/* Unlocks FLASH, programs 0x1234 at 0x0800F900, reads it back, compares the UID copy at byte
 * 0x1B4 of the EEPROM page with the part's UID; all equal: SYSRESETREQ, else udf. */
static const uint16_t flash_program_code[] = {
    0x480D, 0x490E, 0x6041, 0x490E, 0x6041, 0x2101, 0x6101, 0x4A0D, 0xF241, 0x2334, 0x8013,
    0x2100, 0x6101, 0x8814, 0x429C, 0xD109, 0x4D09, 0x682E, 0x4F09, 0x683F, 0x42BE, 0xD103,
    0x4808, 0x4909, 0x6001, 0xE7FE, 0xDE01, 0x0000, 0x2000, 0x4002, 0x0123, 0x4567, 0x89AB,
    0xCDEF, 0xF900, 0x0800, 0xF9B4, 0x0800, 0xF7E8, 0x1FFF, 0xED0C, 0xE000, 0x0004, 0x05FA};

static int run_flash_program(int blank, char *err)
{
    uint8_t img[0x100];
    size_t n = make_image(img, flash_program_code,
                          sizeof flash_program_code / sizeof flash_program_code[0]);
    struct mcu_config cfg;
    mcu_config_defaults(&cfg);
    cfg.image = img;
    cfg.image_len = n;
    cfg.image_name = "flash.bin";
    cfg.provision.blank = blank;
    struct mcu *m;
    cr_assert_eq(mcu_new(&cfg, &m, err, 512), BMSRIG_OK, "%s", err);
    int rc = mcu_run_until(m, 1000000, err, 512);
    mcu_free(m);
    return rc;
}

Test(mcu_image, eeprom_programs_and_holds_the_uid_copy)
{
    char err[512];
    cr_expect_eq(run_flash_program(0, err), MCU_POWERED_OFF, "%s", err);
    /* Blank provisioning: no UID copy, so the same image ends in its udf. */
    cr_expect_eq(run_flash_program(1, err), BMSRIG_ERR_STATE);
    cr_expect(strstr(err, "undefined instruction"), "%s", err);
}

Test(mcu_image, flash_write_without_programming_faults)
{
    /* ldr r2,=0x0800F900; movs r3,#0; strh r3,[r2]; b . */
    static const uint16_t code[] = {0x4A01, 0x2300, 0x8013, 0xE7FE, 0xF900, 0x0800};
    run_expect_fault(code, 6, "without FLASH_CR.PG", BASE + 0x44);
}

Test(mcu_image, systick_countflag_paces_a_polling_loop)
{
    /* LOAD = 255, CTRL = ENABLE|CLKSOURCE (HCLK); wait for COUNTFLAG 200 times; SYSRESETREQ.
     * 200 wraps of 256 cycles at 15.625 ns = 800 us, and the power-off follows the last one
     * within a few instructions (chunks end exactly at events; a COUNTFLAG always set would
     * power off within microseconds, one never set would not power off). The polling loop is
     * skipped, not run: far fewer than the 51200 instructions of 800 us. */
    static const uint16_t code[] = {0x4807, 0x21FF, 0x6041, 0x2105, 0x6001, 0x22C8, 0x6801,
                                    0x03C9, 0xD5FC, 0x3A01, 0xD1FA, 0x4803, 0x4903, 0x6001,
                                    0xE7FE, 0x0000, 0xE010, 0xE000, 0xED0C, 0xE000, 0x0004,
                                    0x05FA};
    uint8_t img[0x100];
    size_t n = make_image(img, code, sizeof code / sizeof code[0]);
    struct mcu *m;
    char err[512];
    cr_assert_eq(open_bytes(img, n, BASE, &m, err), BMSRIG_OK, "%s", err);
    cr_assert_eq(mcu_run_until(m, 1000000, err, sizeof err), MCU_POWERED_OFF, "%s", err);
    uint64_t t = mcu_time_ns(m);
    cr_expect(t >= 800000 && t <= 800500, "powered off at %llu ns, want 800.0..800.5 us",
              (unsigned long long)t);
    cr_expect_lt(mcu_instructions(m), 10000u, "%llu instructions executed",
                 (unsigned long long)mcu_instructions(m));
    mcu_free(m);
}
