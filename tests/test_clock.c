/* test_clock.c: the engine clocks: virtual time arithmetic, real-time absolute deadlines and
 * overrun counting (lower bounds only, so a loaded machine cannot make them flaky). */
#include <criterion/criterion.h>
#include <time.h>

#include "rig/scenario/clock.h"
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
    clock_tick(&c);
    struct timespec stall = { .tv_sec = 0, .tv_nsec = 5000000 };  /* 5 ms of "work" */
    nanosleep(&stall, NULL);
    clock_tick(&c);
    cr_assert_geq(c.overruns, 1u);
    cr_assert_geq(c.worst_late_us, 3000);
    /* deadlines stay on the absolute grid: the ticks after a stall catch up without sleeping */
    uint64_t before = c.overruns;
    clock_tick(&c);
    cr_assert_geq(c.overruns, before);
}
