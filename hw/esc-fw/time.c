/* time.c: the firmware's time base on SysTick (HCLK, 64 cycles per microsecond). The counter
 * free-runs and is never written after start, so no cycle is lost; its period is at most 1 ms and
 * is chosen one period ahead (LOAD takes effect at the next reload, Cortex-M3 TRM) so that a
 * wrap, hence a wake-up from WFI, falls exactly on the time asked for with time_wake_at. */
#include "hal.h"
#include "stm32f103.h"

#define CYCLES_PER_US (HCLK_HZ / 1000000u)
#define MAX_PERIOD (HCLK_HZ / 1000u)        /* 1 ms: the longest sleep, so RX is seen in time */
#define MIN_PERIOD (MAX_PERIOD / 2u)        /* never split a gap into a sliver and the rest */

static volatile uint64_t base_cycles;       /* cycles at the last wrap */
static volatile uint32_t cur_period;        /* cycles of the period running now */
static volatile uint32_t next_period;       /* loaded at the next wrap */
static volatile uint64_t wake_cycles;       /* asked wake-up time; 0 = none */

static uint32_t choose_period(uint64_t period_start)
{
    uint64_t want = wake_cycles;
    if (want <= period_start)
        return MAX_PERIOD;
    uint64_t gap = want - period_start;
    if (gap <= MAX_PERIOD)
        return (uint32_t)gap;
    if (gap < MAX_PERIOD + MIN_PERIOD)
        return (uint32_t)(gap - MIN_PERIOD);
    return MAX_PERIOD;
}

void SysTick_Handler(void)
{
    base_cycles += cur_period;
    cur_period = next_period;
    /* The period after the one now running starts at its end. */
    next_period = choose_period(base_cycles + cur_period);
    SYST_RVR = next_period - 1u;
}

void time_init(void)
{
    base_cycles = 0;
    cur_period = MAX_PERIOD;
    next_period = MAX_PERIOD;
    wake_cycles = 0;
    SYST_RVR = MAX_PERIOD - 1u;
    SYST_CVR = 0;
    SYST_CSR = SYST_CSR_CLKSOURCE | SYST_CSR_TICKINT | SYST_CSR_ENABLE;
}

static uint64_t now_cycles(void)
{
    for (;;) {
        uint64_t b = base_cycles;
        uint32_t p = cur_period;
        uint32_t v = SYST_CVR;
        if (b != base_cycles)
            continue;                   /* a wrap was handled in between: read again */
        uint32_t elapsed = v == 0 ? 0 : p - v;
        return b + elapsed;
    }
}

int64_t time_now_us(void)
{
    return (int64_t)(now_cycles() / CYCLES_PER_US);
}

void time_wake_at(int64_t t_us)
{
    uint64_t c = t_us > 0 ? (uint64_t)t_us * CYCLES_PER_US : 0;
    if (c == wake_cycles)
        return;
    wake_cycles = c;
    /* Re-choose the period after the running one if it has not started yet; the wrap that ends
     * the running period is already fixed. */
    __asm__ volatile("cpsid i" ::: "memory");
    next_period = choose_period(base_cycles + cur_period);
    SYST_RVR = next_period - 1u;
    __asm__ volatile("cpsie i" ::: "memory");
}
