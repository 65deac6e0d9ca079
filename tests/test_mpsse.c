/* test_mpsse.c: the pure MPSSE command builder, byte for byte (no USB anywhere). */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <string.h>

#include "rig/bench/mpsse.h"
#include "sim/status.h"

#define EXPECT_BYTES(b, ...)                                                                   \
    do {                                                                                       \
        static const uint8_t want_[] = { __VA_ARGS__ };                                        \
        cr_assert_eq((b)->len, sizeof want_, "len %zu, want %zu", (b)->len, sizeof want_);    \
        cr_assert_arr_eq((b)->data, want_, sizeof want_);                                      \
    } while (0)

Test(mpsse, gpio_and_clock_commands)
{
    uint8_t mem[64];
    struct mpsse_buf b;
    mpsse_init(&b, mem, sizeof mem);
    mpsse_set_low(&b, 0x08, 0x0B);
    mpsse_set_high(&b, 0x01, 0x0F);
    mpsse_clock_div5(&b, false);
    mpsse_adaptive(&b, false);
    mpsse_three_phase(&b, false);
    mpsse_divisor(&b, 0x1234);
    mpsse_loopback(&b, false);
    mpsse_get_low(&b);
    mpsse_get_high(&b);
    mpsse_send_immediate(&b);
    EXPECT_BYTES(&b, 0x80, 0x08, 0x0B, 0x82, 0x01, 0x0F, 0x8A, 0x97, 0x8D, 0x86, 0x34, 0x12,
                 0x85, 0x81, 0x83, 0x87);
    cr_assert_eq(b.reads, 2u);
    cr_assert_eq(mpsse_error(&b), BMSRIG_OK);
    mpsse_reset(&b);
    mpsse_clock_div5(&b, true);
    mpsse_three_phase(&b, true);
    mpsse_adaptive(&b, true);
    mpsse_loopback(&b, true);
    EXPECT_BYTES(&b, 0x8B, 0x8C, 0x96, 0x84);
}

Test(mpsse, spi_modes)
{
    uint8_t mem[64];
    struct mpsse_buf b;
    const uint8_t frame[3] = { 0x35, 0x12, 0x34 };
    mpsse_init(&b, mem, sizeof mem);
    mpsse_spi_write(&b, MPSSE_SPI_MODE2, frame, 3);   /* out on the rising edge */
    mpsse_spi_write(&b, MPSSE_SPI_MODE0, frame, 3);   /* out on the falling edge */
    EXPECT_BYTES(&b, 0x10, 0x02, 0x00, 0x35, 0x12, 0x34, 0x11, 0x02, 0x00, 0x35, 0x12, 0x34);
    mpsse_reset(&b);
    mpsse_spi_transfer(&b, MPSSE_SPI_MODE0, frame, 3);
    mpsse_spi_transfer(&b, MPSSE_SPI_MODE2, frame, 1);
    EXPECT_BYTES(&b, 0x31, 0x02, 0x00, 0x35, 0x12, 0x34, 0x34, 0x00, 0x00, 0x35);
    cr_assert_eq(b.reads, 4u);
    /* read only: no data bytes follow the length */
    mpsse_reset(&b);
    mpsse_bytes(&b, 0x20, NULL, 256);
    EXPECT_BYTES(&b, 0x20, 0xFF, 0x00);
    cr_assert_eq(b.reads, 256u);
}

Test(mpsse, first_error_sticks_and_no_half_commands)
{
    uint8_t mem[8];
    struct mpsse_buf b;
    const uint8_t frame[3] = { 1, 2, 3 };
    mpsse_init(&b, mem, sizeof mem);
    mpsse_set_low(&b, 1, 2);                       /* 3 bytes: fits */
    mpsse_spi_write(&b, MPSSE_SPI_MODE0, frame, 3);   /* 6 bytes: does not fit in the 5 left */
    cr_assert_eq(mpsse_error(&b), BMSRIG_ERR_RANGE);
    cr_assert_eq(b.len, 3u, "nothing of the failed command is queued");
    mpsse_send_immediate(&b);                       /* would fit, but the error sticks */
    cr_assert_eq(b.len, 3u);
    cr_assert_eq(mpsse_error(&b), BMSRIG_ERR_RANGE);
    mpsse_reset(&b);
    cr_assert_eq(mpsse_error(&b), BMSRIG_OK);
    cr_assert_eq(b.len, 0u);
    /* bad arguments */
    mpsse_bytes(&b, 0x11, frame, 0);
    cr_assert_eq(mpsse_error(&b), BMSRIG_ERR_ARG);
    mpsse_reset(&b);
    mpsse_spi_write(&b, (enum mpsse_spi_mode)1, frame, 3);   /* mode 1 is not native */
    cr_assert_eq(mpsse_error(&b), BMSRIG_ERR_ARG);
    mpsse_reset(&b);
    mpsse_bad_opcode(&b, 0x10);                     /* bit 7 clear: the chip would not echo */
    cr_assert_eq(mpsse_error(&b), BMSRIG_ERR_ARG);
    mpsse_reset(&b);
    mpsse_bad_opcode(&b, 0xAA);
    EXPECT_BYTES(&b, 0xAA);
    cr_assert_eq(b.reads, 2u);
}

struct clk_case {
    uint32_t hz;
    bool div5;
    uint16_t divisor;
    uint32_t actual;
};

Test(mpsse, clock_for_hz)
{
    static const struct clk_case cases[] = {
        /* 60 MHz base: SCK = 60e6 / ((1 + d) * 2) */
        { 30000000, false, 0, 30000000 },
        { 6000000, false, 4, 6000000 },
        { 1000000, false, 29, 1000000 },
        { 999999, false, 30, 967741 },    /* never faster than asked */
        { 458, false, 65502, 457 },
        /* below 60e6/131072 the 12 MHz base takes over */
        { 400, true, 14999, 400 },
        { 92, true, 65217, 91 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bool div5;
        uint16_t d;
        uint32_t act;
        cr_assert_eq(mpsse_clock_for_hz(cases[i].hz, &div5, &d, &act), BMSRIG_OK);
        cr_assert_eq(div5, cases[i].div5, "hz %u", cases[i].hz);
        cr_assert_eq(d, cases[i].divisor, "hz %u: divisor %u", cases[i].hz, d);
        cr_assert_eq(act, cases[i].actual, "hz %u: actual %u", cases[i].hz, act);
        cr_assert_leq(act, cases[i].hz);
    }
    bool div5;
    uint16_t d;
    uint32_t act;
    cr_assert_eq(mpsse_clock_for_hz(0, &div5, &d, &act), BMSRIG_ERR_RANGE);
    cr_assert_eq(mpsse_clock_for_hz(91, &div5, &d, &act), BMSRIG_ERR_RANGE);
}
