/* test_line_watch.c: the controller as the BMS line shows it (rig/line/line_watch.h): boot
 * retries and the handshake from the requests' cadence, polls left without an intact status
 * reply, the run of them, and damaged frames counted as a stream decoder counts them. */
#include <criterion/criterion.h>
#include <string.h>

#include "rig/line/line_watch.h"
#include "sim/frame.h"

static size_t encode(uint8_t addr, uint8_t arg, const uint8_t *pl, size_t n, uint8_t *out)
{
    struct frame f;
    size_t len = 0;
    cr_assert_eq(frame_make(&f, addr, FRAME_CMD_READ, arg, pl, n), 0);
    cr_assert_eq(frame_encode(&f, out, FRAME_BYTES_MAX, &len), 0);
    return len;
}

/* The controller reads `bytes` at word `arg`, at t_us. */
static void request(struct line_watch *w, int64_t t_us, uint8_t arg, uint8_t bytes)
{
    uint8_t raw[FRAME_BYTES_MAX];
    size_t n = encode(FRAME_ADDR_TO_BMS, arg, &bytes, 1, raw);
    struct link_wire_frame f = { .t_us = t_us, .line = "esc_tx", .sent = raw, .nsent = n,
                                 .received = raw, .nreceived = n };
    line_watch_frame(w, &f);
}

/* The BMS answers at word `arg`; `damage` flips the checksum on the way to the controller,
 * `lost` drops it entirely (TX wire cut). */
static void reply(struct line_watch *w, int64_t t_us, uint8_t arg, bool damage, bool lost)
{
    uint8_t pl[12] = { 1, 0 }, raw[FRAME_BYTES_MAX], rx[FRAME_BYTES_MAX];
    size_t n = encode(FRAME_ADDR_FROM_BMS, arg, pl, arg == 0x30 ? 12 : 16, raw);
    memcpy(rx, raw, n);
    if (damage)
        rx[n - 2] ^= 0x5A;
    struct link_wire_frame f = { .t_us = t_us, .line = "bms_tx", .sent = raw, .nsent = n,
                                 .received = rx, .nreceived = lost ? 0 : n };
    line_watch_frame(w, &f);
}

Test(line_watch, boot_retries_then_the_handshake_by_cadence)
{
    struct line_watch w;
    line_watch_init(&w);
    const struct line_watch_counts *c = line_watch_counts(&w);
    int64_t t = 576000;
    for (int i = 0; i < 5; i++, t += 15000)
        request(&w, t, 0x10, 16);           /* unanswered boot retries, 15 ms apart */
    reply(&w, t - 14000, 0x10, false, false);
    request(&w, t, 0x30, 12);               /* the boot step's status read, 15 ms later */
    cr_expect_not(c->handshake, "a status read 15 ms after a request is still the boot");
    reply(&w, t + 1000, 0x30, false, false);
    t += 80000;
    request(&w, t, 0x30, 12);               /* the first running poll, 80 ms later */
    cr_expect(c->handshake);
    cr_expect_eq(c->handshake_us, t);
    cr_expect_eq(c->boot_requests, 6);
    cr_expect_eq(c->polls, 1);
    cr_expect_eq(c->requests, 7);
    cr_expect_eq(c->replies, 2);
    cr_expect_eq(c->unanswered_run, 1, "the poll in flight counts until its reply");
    reply(&w, t + 1000, 0x30, false, false);
    cr_expect_eq(c->unanswered_run, 0);
    cr_expect_eq(c->polls_unanswered, 0);
}

Test(line_watch, a_silent_bms_never_completes_the_handshake)
{
    struct line_watch w;
    line_watch_init(&w);
    for (int i = 0; i < 500; i++)
        request(&w, 576000 + 15000 * (int64_t)i, 0x10, 16);
    cr_expect_eq(line_watch_counts(&w)->boot_requests, 500);
    cr_expect_not(line_watch_counts(&w)->handshake);
    cr_expect_eq(line_watch_counts(&w)->polls, 0);
}

Test(line_watch, damaged_and_lost_replies_leave_polls_unanswered)
{
    struct line_watch w;
    line_watch_init(&w);
    const struct line_watch_counts *c = line_watch_counts(&w);
    request(&w, 0, 0x10, 16);
    reply(&w, 1000, 0x10, false, false);
    request(&w, 15000, 0x30, 12);
    reply(&w, 16000, 0x30, false, false);
    int64_t t = 100000;
    /* 3 damaged, 2 lost, then 1 intact */
    for (int i = 0; i < 6; i++, t += 210000) {
        request(&w, t, 0x30, 12);
        reply(&w, t + 1000, 0x30, i < 3, i >= 3 && i < 5);
        if (i < 5)
            cr_expect_eq(c->unanswered_run, (uint64_t)i + 1);
    }
    cr_expect_eq(c->bad_frames_in, 3, "each damaged reply is one bad frame at the controller");
    cr_expect_eq(c->polls_unanswered, 5);
    cr_expect_eq(c->unanswered_run, 0, "the intact reply ends the run");
    request(&w, t, 0x30, 12);
    cr_expect_eq(c->polls_unanswered, 5, "the answered poll is not counted");
    cr_expect_eq(c->unanswered_run, 1);
    cr_expect_eq(c->polls, 7);
}

Test(line_watch, a_reply_to_another_word_does_not_answer_a_poll)
{
    struct line_watch w;
    line_watch_init(&w);
    const struct line_watch_counts *c = line_watch_counts(&w);
    request(&w, 0, 0x10, 16);
    reply(&w, 1000, 0x10, false, false);
    request(&w, 100000, 0x30, 12);   /* the handshake by cadence: a running poll */
    reply(&w, 101000, 0x10, false, false);   /* a late reply to the serial read */
    cr_expect_eq(c->unanswered_run, 1);
    request(&w, 310000, 0x30, 12);
    cr_expect_eq(c->polls_unanswered, 1);
    cr_expect_eq(c->replies, 2);
}
