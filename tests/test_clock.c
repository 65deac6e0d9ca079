/* test_clock.c: the engine clocks: virtual time arithmetic, real-time absolute deadlines and
 * overrun counting on the real clock (lower bounds only, so a loaded machine cannot make them
 * flaky), and the re-anchoring schedule exactly, on an injected fake time source. */
#include <criterion/criterion.h>
#include <time.h>

#include "rig/realtime/clock.h"
#include "sim/status.h"

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

Test(clock, rejects_bad_tick)
{
    struct clock c;
    cr_assert_eq(clock_init(&c, CLOCK_KIND_VIRTUAL, 0), BMSRIG_ERR_ARG);
    cr_assert_eq(clock_init(&c, CLOCK_KIND_REALTIME, -5), BMSRIG_ERR_ARG);
}

Test(clock, virtual_counts_ticks_without_waiting)
{
    struct clock c;
    cr_assert_eq(clock_init(&c, CLOCK_KIND_VIRTUAL, 250), BMSRIG_OK);
    for (int i = 0; i < 4000; i++)
        cr_assert_eq(clock_tick(&c), BMSRIG_OK);
    cr_assert_eq(c.ticks, 4000u);
    cr_assert_eq(c.now_us, 1000000);
    cr_assert_float_eq(clock_now_s(&c), 1.0, 1e-12);
    cr_assert_eq(c.overruns, 0u);
}

Test(clock, realtime_never_returns_before_the_deadline)
{
    struct clock c;
    cr_assert_eq(clock_init(&c, CLOCK_KIND_REALTIME, 1000), BMSRIG_OK);
    double t0 = mono_s();
    for (int i = 0; i < 50; i++)
        clock_tick(&c);
    /* 50 ticks of 1 ms on absolute deadlines: at least 50 ms have passed */
    cr_assert_geq(mono_s() - t0, 0.0495);
    cr_assert_eq(c.now_us, 50000);
}

Test(clock, realtime_counts_a_stall_as_overruns)
{
    struct clock c;
    cr_assert_eq(clock_init(&c, CLOCK_KIND_REALTIME, 1000), BMSRIG_OK);
    c.late_policy = CLOCK_LATE_REANCHOR;
    clock_tick(&c);
    struct timespec stall = { .tv_sec = 0, .tv_nsec = 5000000 };  /* 5 ms of "work" */
    nanosleep(&stall, NULL);
    clock_tick(&c);
    cr_assert_geq(c.overruns, 1u);
    cr_assert_geq(c.worst_late_us, 3000);
    /* the schedule re-anchors after a stall: the next tick sleeps to a deadline of its own */
    double t0 = mono_s();
    clock_tick(&c);
    cr_assert_geq(mono_s() - t0, 0.0005);
}

/* A fake time source: time moves only when the clock sleeps or the test says so. */
struct fake_time {
    int64_t now_ns;
    unsigned sleeps;
};

static int fake_now(void *ctx, int64_t *out)
{
    *out = ((struct fake_time *)ctx)->now_ns;
    return BMSRIG_OK;
}

static int fake_sleep_until(void *ctx, int64_t deadline_ns)
{
    struct fake_time *f = ctx;
    cr_assert_geq(deadline_ns, f->now_ns, "asked to sleep to a deadline in the past");
    f->now_ns = deadline_ns;
    f->sleeps++;
    return BMSRIG_OK;
}

Test(clock, one_stall_at_1khz_is_one_overrun_of_its_length)
{
    struct fake_time f = { .now_ns = 5000000000 };
    const struct clock_source src = { fake_now, fake_sleep_until, &f };
    struct clock c;
    cr_assert_eq(clock_init_with(&c, CLOCK_KIND_REALTIME, 1000, &src), BMSRIG_OK);
    c.late_policy = CLOCK_LATE_REANCHOR;
    for (int i = 0; i < 10; i++)
        cr_assert_eq(clock_tick(&c), BMSRIG_OK);
    cr_assert_eq(c.overruns, 0u);
    cr_assert_eq(f.now_ns, 5000000000 + 10 * 1000000);
    /* the work of tick 11 stalls: it ends 20 ms past its deadline */
    f.now_ns += 1000000 + 20000000;
    cr_assert_eq(clock_tick(&c), BMSRIG_OK);
    cr_assert_eq(c.overruns, 1u);
    cr_assert_eq(c.worst_late_us, 20000);
    cr_assert_eq(c.late_total_us, 20000);
    cr_assert_eq(c.late_hist[3], 1u, "20 ms lands in the 10..100 ms bucket");
    /* the schedule resumes from now: 100 more ticks, each sleeps one tick, no further overrun */
    int64_t resumed = f.now_ns;
    unsigned sleeps = f.sleeps;
    for (int i = 0; i < 100; i++)
        cr_assert_eq(clock_tick(&c), BMSRIG_OK);
    cr_assert_eq(c.overruns, 1u, "one stall counted %llu times", (unsigned long long)c.overruns);
    cr_assert_eq(f.sleeps - sleeps, 100u);
    cr_assert_eq(f.now_ns, resumed + 100 * 1000000);
    cr_assert_eq(c.ticks, 111u);
    cr_assert_eq(c.now_us, 111000, "scenario time is ticks x tick, the stall does not skip it");
}

Test(clock, catch_up_counts_one_stall_once_and_stays_on_the_grid)
{
    struct fake_time f = { .now_ns = 0 };
    const struct clock_source src = { fake_now, fake_sleep_until, &f };
    struct clock c;
    cr_assert_eq(clock_init_with(&c, CLOCK_KIND_REALTIME, 1000, &src), BMSRIG_OK);
    cr_assert_eq(c.late_policy, CLOCK_LATE_CATCH_UP, "the engine's default");
    for (int i = 0; i < 10; i++)
        clock_tick(&c);
    f.now_ns += 1000000 + 20000000;   /* tick 11 ends 20 ms late */
    clock_tick(&c);
    cr_assert_eq(c.overruns, 1u);
    cr_assert_eq(c.worst_late_us, 20000);
    /* ticks 12..30 are behind the grid and run at once, part of the same overrun */
    unsigned sleeps = f.sleeps;
    for (int i = 12; i <= 30; i++)
        clock_tick(&c);
    cr_assert_eq(f.sleeps, sleeps, "caught up without sleeping");
    cr_assert_eq(c.overruns, 1u, "one stall counted %llu times", (unsigned long long)c.overruns);
    for (int i = 31; i <= 111; i++)
        clock_tick(&c);
    cr_assert_eq(f.sleeps - sleeps, 81u);
    cr_assert_eq(f.now_ns, 111 * 1000000, "back on the absolute grid: scenario = wall time");
    cr_assert_eq(c.now_us, 111000);
    cr_assert_eq(c.overruns, 1u);
    cr_assert_eq(c.late_total_us, 20000);
    cr_assert_eq(c.late_hist[3], 1u);
    /* a second stall while still behind raises the same overrun instead of adding one */
    f.now_ns += 1000000 + 5000000;    /* tick 112: 5 ms late */
    clock_tick(&c);
    f.now_ns += 8000000;              /* tick 113: due 113 ms, now 125 ms: 12 ms late */
    clock_tick(&c);
    cr_assert_eq(c.overruns, 2u);
    cr_assert_eq(c.late_total_us, 32000);
    cr_assert_eq(c.late_hist[2], 0u, "moved from the < 10 ms bucket");
    cr_assert_eq(c.late_hist[3], 2u);
}

Test(clock, small_lateness_fills_the_low_buckets)
{
    struct fake_time f = { .now_ns = 0 };
    const struct clock_source src = { fake_now, fake_sleep_until, &f };
    struct clock c;
    cr_assert_eq(clock_init_with(&c, CLOCK_KIND_REALTIME, 1000, &src), BMSRIG_OK);
    c.late_policy = CLOCK_LATE_REANCHOR;
    const int64_t late_us[] = { 50, 500, 5000, 200000 };
    for (int i = 0; i < 4; i++) {
        f.now_ns += 1000000 + late_us[i] * 1000;
        clock_tick(&c);
    }
    cr_assert_eq(c.overruns, 4u);
    cr_assert_eq(c.late_hist[0], 1u);
    cr_assert_eq(c.late_hist[1], 1u);
    cr_assert_eq(c.late_hist[2], 1u);
    cr_assert_eq(c.late_hist[3], 0u);
    cr_assert_eq(c.late_hist[4], 1u);
    cr_assert_eq(c.worst_late_us, 200000);
    cr_assert_eq(c.late_total_us, 205550);
}

/* The event-loop interface (bmsrig bms, bmsrig esc): deadlines to wait for, ticks taken at the
 * time the loop woke, lateness within the slack not an overrun, one stall one overrun. */
Test(clock, event_loop_ticks_count_a_stall_once_beyond_the_slack)
{
    struct fake_time f = { .now_ns = 1000000000 };
    const struct clock_source src = { fake_now, fake_sleep_until, &f };
    struct clock c;
    cr_assert_eq(clock_init_with(&c, CLOCK_KIND_REALTIME, 10000, &src), BMSRIG_OK);
    c.late_policy = CLOCK_LATE_REANCHOR;
    c.late_slack_us = 1000;
    cr_assert_eq(clock_next_deadline_ns(&c), 1000000000 + 10000000);
    /* woke 80 us after each of 5 deadlines: on time within the slack */
    for (int i = 1; i <= 5; i++) {
        f.now_ns = clock_next_deadline_ns(&c) + 80000;
        clock_tick_at(&c, f.now_ns);
    }
    cr_assert_eq(c.overruns, 0u);
    cr_assert_eq(c.worst_start_us, 80, "lateness inside the slack is still reported");
    cr_assert_eq(c.ticks, 5u);
    cr_assert_eq(clock_next_deadline_ns(&c), 1000000000 + 6 * 10000000,
                 "on-time ticks keep the absolute grid (no drift from the 80 us)");
    /* a 35 ms stall spanning three deadlines: one overrun of 35 ms, then resumes from now */
    f.now_ns = clock_next_deadline_ns(&c) + 35000000;
    clock_tick_at(&c, f.now_ns);
    cr_assert_eq(c.overruns, 1u);
    cr_assert_eq(c.worst_late_us, 35000);
    cr_assert_eq(c.late_hist[3], 1u);
    cr_assert_eq(clock_next_deadline_ns(&c), f.now_ns + 10000000, "re-anchored at the stall");
    for (int i = 0; i < 20; i++) {
        f.now_ns = clock_next_deadline_ns(&c) + 100000;
        clock_tick_at(&c, f.now_ns);
    }
    cr_assert_eq(c.overruns, 1u, "one stall counted %llu times", (unsigned long long)c.overruns);
    /* just beyond the slack is an overrun */
    f.now_ns = clock_next_deadline_ns(&c) + 1001000;
    clock_tick_at(&c, f.now_ns);
    cr_assert_eq(c.overruns, 2u);
    cr_assert_eq(c.late_total_us, 35000 + 1001);
}

Test(clock, event_loop_catch_up_takes_the_missed_ticks_as_one_overrun)
{
    struct fake_time f = { .now_ns = 0 };
    const struct clock_source src = { fake_now, fake_sleep_until, &f };
    struct clock c;
    cr_assert_eq(clock_init_with(&c, CLOCK_KIND_REALTIME, 1000, &src), BMSRIG_OK);
    c.late_slack_us = 500;
    f.now_ns = 20 * 1000000 + 300000;   /* first wake 20.3 ms in: 20 ticks due */
    unsigned taken = 0;
    while (clock_next_deadline_ns(&c) <= f.now_ns) {
        clock_tick_at(&c, f.now_ns);
        taken++;
    }
    cr_assert_eq(taken, 20u);
    cr_assert_eq(c.overruns, 1u);
    cr_assert_eq(c.worst_late_us, 19300, "the first missed deadline sets the stall's length");
    cr_assert_eq(clock_next_deadline_ns(&c), 21 * 1000000, "still on the absolute grid");
    f.now_ns = 21 * 1000000 + 10000;
    clock_tick_at(&c, f.now_ns);
    cr_assert_eq(c.overruns, 1u);
    cr_assert(!c.behind, "back on time");
}

/* The --rt tail: clock_wait_until on the real clock returns at the deadline, not before, with
 * or without the busy-wait part (lower bound only: a loaded host may return late). */
Test(clock, wait_with_a_spin_tail_never_returns_early)
{
    struct clock c;
    cr_assert_eq(clock_init(&c, CLOCK_KIND_REALTIME, 1000), BMSRIG_OK);
    for (int64_t tail = 0; tail <= 300000; tail += 300000) {
        c.spin_tail_ns = tail;
        for (int i = 0; i < 20; i++) {
            int64_t now = 0;
            cr_assert_eq(clock_source_now_ns(&c, &now), BMSRIG_OK);
            int64_t deadline = now + 700000;
            cr_assert_eq(clock_wait_until(&c, deadline), BMSRIG_OK);
            cr_assert_eq(clock_source_now_ns(&c, &now), BMSRIG_OK);
            cr_assert_geq(now, deadline, "returned %lld ns early with a %lld ns tail",
                          (long long)(deadline - now), (long long)tail);
        }
    }
}
