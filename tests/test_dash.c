/* test_dash.c: the dashboard model: the exact bytes it puts on the bus, its schedule, its reply
 * decoding, and (end to end) what it observes of the virtual controller over the dash line. */
#include <criterion/criterion.h>
#include <string.h>

#include "sim/dash/dash.h"
#include "sim/esc.h"
#include "sim/status.h"

#define MS 1000000LL

static void init_default(struct dash *d)
{
    struct dash_config cfg;
    dash_config_default(&cfg);
    cr_assert_eq(dash_init(d, &cfg), BMSRIG_OK);
}

static void feed_hex(struct dash *d, int64_t t_ns, const uint8_t *bytes, size_t n)
{
    dash_receive(d, t_ns, bytes, n);
    dash_gap(d);
}

Test(dash, rejects_bad_config)
{
    struct dash d;
    struct dash_config cfg;
    dash_config_default(&cfg);
    cfg.period_ns = 0;
    cr_expect_eq(dash_init(&d, &cfg), BMSRIG_ERR_ARG);
    dash_config_default(&cfg);
    cfg.reads = 0;
    cr_expect_eq(dash_init(&d, &cfg), BMSRIG_ERR_ARG);
    dash_config_default(&cfg);
    cfg.first_ns = -1;
    cr_expect_eq(dash_init(&d, &cfg), BMSRIG_ERR_ARG);
}

Test(dash, released_levers_frame_then_error_read)
{
    struct dash d;
    init_default(&d);
    uint8_t out[64];
    size_t n = dash_poll(&d, 0, out, sizeof(out));
    /* firmware.md s3: 55 AA 07 20 65 00 04 2C 2C 00 00; checksum ~0xE8 = FF17 */
    static const uint8_t want[] = { 0x55, 0xAA, 0x07, 0x20, 0x65, 0x00, 0x04, 0x2C, 0x2C, 0x00,
                                    0x00, 0x17, 0xFF,
                                    /* read 2 bytes at word 0x1B: sum 0x41 -> FFBE */
                                    0x55, 0xAA, 0x03, 0x20, 0x01, 0x1B, 0x02, 0xBE, 0xFF };
    cr_assert_eq(n, sizeof(want), "got %zu bytes", n);
    cr_expect_arr_eq(out, want, sizeof(want));
    cr_expect_eq(dash_observe(&d)->frames_sent, 1);
}

Test(dash, reads_cycle_and_version_drops_out_once_answered)
{
    struct dash d;
    init_default(&d);
    uint8_t out[64];
    uint8_t args[6];
    for (int i = 0; i < 3; i++) {
        size_t n = dash_poll(&d, i * 100 * MS, out, sizeof(out));
        cr_assert_gt(n, 13);
        args[i] = out[13 + 5];
    }
    cr_expect_eq(args[0], 0x1B);
    cr_expect_eq(args[1], 0xB0);
    cr_expect_eq(args[2], 0x1A);
    /* the controller answers the version read: 55 AA 04 23 01 1A 34 01 ck ck */
    static const uint8_t ver[] = { 0x55, 0xAA, 0x04, 0x23, 0x01, 0x1A, 0x34, 0x01, 0x88, 0xFF };
    feed_hex(&d, 250 * MS, ver, sizeof(ver));
    cr_assert(dash_observe(&d)->have_version);
    cr_expect_eq(dash_observe(&d)->version, 0x0134);
    for (int i = 3; i < 6; i++) {
        cr_assert_gt(dash_poll(&d, i * 100 * MS, out, sizeof(out)), 13);
        args[i] = out[13 + 5];
    }
    cr_expect_eq(args[3], 0x1B);
    cr_expect_eq(args[4], 0xB0);
    cr_expect_eq(args[5], 0x1B, "the answered version read must not be sent again");
}

Test(dash, schedule_skips_missed_periods)
{
    struct dash d;
    init_default(&d);
    uint8_t out[64];
    cr_expect_gt(dash_poll(&d, 0, out, sizeof(out)), 0);
    cr_expect_eq(dash_poll(&d, 99 * MS, out, sizeof(out)), 0, "not due before 100 ms");
    cr_expect_gt(dash_poll(&d, 100 * MS, out, sizeof(out)), 0);
    cr_expect_gt(dash_poll(&d, 450 * MS, out, sizeof(out)), 0);
    cr_expect_eq(dash_next_due_ns(&d), 500 * MS);
    cr_expect_eq(dash_observe(&d)->frames_sent, 3);
    cr_expect_eq(dash_poll(&d, 500 * MS, out, 8), 0, "too small a buffer sends nothing");
}

Test(dash, lever_bytes)
{
    cr_expect_eq(dash_lever_byte(0.0), DASH_LEVER_RELEASED);
    cr_expect_eq(dash_lever_byte(-3.0), DASH_LEVER_RELEASED);
    cr_expect_eq(dash_lever_byte(1.0), DASH_LEVER_FULL);
    cr_expect_eq(dash_lever_byte(7.0), DASH_LEVER_FULL);
    uint8_t half = dash_lever_byte(0.5);
    cr_expect(half > DASH_LEVER_RELEASED && half < DASH_LEVER_FULL);

    struct dash d;
    init_default(&d);
    struct dash_levers l = { .throttle = 1.0, .brake = 0.0 };
    dash_set_levers(&d, &l);
    uint8_t out[64];
    cr_assert_gt(dash_poll(&d, 0, out, sizeof(out)), 12);
    cr_expect_eq(out[7], DASH_LEVER_FULL);
    cr_expect_eq(out[8], DASH_LEVER_RELEASED);
}

Test(dash, decodes_error_and_speed_ignores_other_traffic)
{
    struct dash d;
    init_default(&d);
    /* the model's own frames echoed back, and a 0x64 head frame: ignored */
    uint8_t out[64];
    size_t n = dash_poll(&d, 0, out, sizeof(out));
    feed_hex(&d, 1 * MS, out, n);
    static const uint8_t head[] = { 0x55, 0xAA, 0x06, 0x21, 0x64, 0x00, 0x02, 0x07, 0x00, 0x03,
                                    0x68, 0xFF };
    feed_hex(&d, 2 * MS, head, sizeof(head));
    cr_expect_not(dash_observe(&d)->have_error);
    cr_expect_eq(dash_observe(&d)->replies, 0);
    cr_expect_eq(dash_observe(&d)->last_reply_ns, -1);

    /* error word 21 at 0x1B */
    struct frame f;
    uint8_t buf[64];
    size_t len;
    const uint8_t err21[2] = { 21, 0 };
    frame_make(&f, FRAME_ADDR_FROM_ESC, FRAME_CMD_READ, 0x1B, err21, 2);
    frame_encode(&f, buf, sizeof(buf), &len);
    feed_hex(&d, 5 * MS, buf, len);
    cr_expect(dash_observe(&d)->have_error);
    cr_expect_eq(dash_observe(&d)->error_code, 21);
    cr_expect_eq(dash_observe(&d)->error_since_ns, 5 * MS);

    /* 0xB0 block: error 21 still (since unchanged), speed -12.345 km/h at byte 10 */
    uint8_t block[32] = { 0 };
    block[0] = 21;
    int16_t mph = -12345;
    block[10] = (uint8_t)((uint16_t)mph & 0xFF);
    block[11] = (uint8_t)((uint16_t)mph >> 8);
    frame_make(&f, FRAME_ADDR_FROM_ESC, FRAME_CMD_READ, 0xB0, block, sizeof(block));
    frame_encode(&f, buf, sizeof(buf), &len);
    feed_hex(&d, 9 * MS, buf, len);
    cr_expect_eq(dash_observe(&d)->error_since_ns, 5 * MS);
    cr_expect_eq(dash_observe(&d)->error_t_ns, 9 * MS);
    cr_expect(dash_observe(&d)->have_speed);
    cr_expect_float_eq(dash_observe(&d)->speed_kmh, -12.345, 1e-9);

    /* cleared */
    const uint8_t none[2] = { 0, 0 };
    frame_make(&f, FRAME_ADDR_FROM_ESC, FRAME_CMD_READ, 0x1B, none, 2);
    frame_encode(&f, buf, sizeof(buf), &len);
    feed_hex(&d, 20 * MS, buf, len);
    cr_expect_eq(dash_observe(&d)->error_code, 0);
    cr_expect_eq(dash_observe(&d)->error_since_ns, 20 * MS);
    cr_expect_eq(dash_observe(&d)->replies, 3);
    cr_expect_eq(dash_observe(&d)->last_reply_ns, 20 * MS);
}

/* End to end: the dash model drives the virtual controller's dash line with no BMS attached;
 * it must see no error at first and error 21 once the controller evaluates (about 3 s). */
Test(dash, observes_virtual_controller_error_21)
{
    struct esc *e = esc_new(NULL);
    cr_assert_not_null(e);
    esc_set_supply_v(e, 36.0);
    esc_power_on(e, 0);
    struct dash d;
    init_default(&d);
    uint8_t out[64], in[512];
    int64_t first_21_ns = -1;
    for (int64_t t_us = 0; t_us <= 6000000; t_us += 1000) {
        size_t n = dash_poll(&d, t_us * 1000, out, sizeof(out));
        if (n)
            esc_rx(e, ESC_LINE_DASH, t_us, out, n);
        esc_tick(e, t_us);
        esc_tx_take(e, ESC_LINE_BMS, in, sizeof(in));     /* the BMS requests go nowhere */
        size_t m = esc_tx_take(e, ESC_LINE_DASH, in, sizeof(in));
        if (m)
            feed_hex(&d, t_us * 1000, in, m);
        const struct dash_observation *o = dash_observe(&d);
        if (first_21_ns < 0 && o->have_error && o->error_code == 21)
            first_21_ns = o->error_t_ns;
    }
    const struct dash_observation *o = dash_observe(&d);
    cr_expect_gt(o->replies, 40, "replies %llu", (unsigned long long)o->replies);
    cr_assert_gt(first_21_ns, 0, "error 21 never observed");
    cr_expect(first_21_ns > 2500 * MS && first_21_ns < 4000 * MS, "error 21 first seen at %lld ns",
              (long long)first_21_ns);
    const uint8_t *img = esc_image(e);
    uint16_t ver = (uint16_t)(img[2 * 0x1A] | img[2 * 0x1A + 1] << 8);
    cr_expect(o->have_version);
    cr_expect_eq(o->version, ver, "dash saw %#x, image holds %#x", o->version, ver);
    cr_expect(o->have_speed);
    esc_free(e);
}

Test(dash, reads_the_error_word_between_lever_frames)
{
    struct dash d;
    struct dash_config c;
    dash_config_default(&c);
    c.read_period_ns = 20000000;
    cr_assert_eq(dash_init(&d, &c), BMSRIG_OK);
    uint8_t out[64];
    size_t n = dash_poll(&d, 0, out, sizeof(out));
    cr_assert_gt(n, 12u, "lever frame and a read at 0");
    cr_assert_eq(dash_poll(&d, 19999999, out, sizeof(out)), 0u);
    n = dash_poll(&d, 20000000, out, sizeof(out));
    cr_assert_eq(n, 9u, "a read alone: 55 AA 03 20 01 1B 02 CK CK");
    cr_assert_eq(out[4], 0x01, "read");
    cr_assert_eq(out[5], 0x1B, "the error word");
    cr_assert_eq(out[6], 0x02, "2 bytes");
    unsigned reads = 1;
    for (int64_t t = 20000001; t < 100000000; t += 1000000)
        if (dash_poll(&d, t, out, sizeof(out)) == 9u)
            reads++;
    cr_assert_eq(reads, 4u, "at 20, 40, 60, 80 ms, none crowding the frame at 100 ms: %u", reads);
    cr_assert_gt(dash_poll(&d, 100000000, out, sizeof(out)), 12u, "the next lever frame");
    c.read_period_ns = c.period_ns;
    cr_assert_eq(dash_init(&d, &c), BMSRIG_ERR_ARG, "a read period not below the frame period");
}
