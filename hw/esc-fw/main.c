/* main.c: bmsrig's own controller firmware: the virtual controller's pure model (sim/esc.c) on
 * the thin HAL. One pass per model tick: bytes the DMA rings received go to the model stamped
 * with the time of the previous pass (they arrived after it, so the model sees them at this
 * tick, as the virtual controller does), the model runs its due tick, its frames are queued
 * for the TX DMA channels, and the core sleeps (WFI) until the next tick (SysTick and TX
 * interrupts wake it in between; it sleeps again). */
#include <stddef.h>
#include <stdint.h>

#include "hal.h"
#include "stm32f103.h"
#include "sim/esc.h"
#include "sim/esc_params.h"

#ifndef BMSRIG_ESC_FW_VERSION
#define BMSRIG_ESC_FW_VERSION 0x0901    /* word 0x1A, nibbles major.minor.patch: 9.0.1 */
#endif

static void send(void *user, enum esc_line line, int64_t t_us, const uint8_t *bytes, size_t n)
{
    (void)user;
    (void)t_us;
    uart_tx_queue(line == ESC_LINE_BMS ? HAL_PORT_BMS : HAL_PORT_DASH, bytes, n);
}

static void feed(struct esc *e, enum hal_port port, enum esc_line line, int64_t t_us)
{
    uint8_t buf[64];
    size_t n;
    while ((n = uart_rx_take(port, buf, sizeof buf)) > 0)
        esc_rx(e, line, t_us, buf, n);
}

static void halt(void)
{
    for (;;)
        __asm__ volatile("wfi");
}

int main(void)
{
    clock_init();
    /* The time base first: the model's time 0 (its power-on) is then a few microseconds after
     * reset, as the virtual controller's is at power-on; the millisecond the model takes to be
     * built below must not shift its schedule. */
    time_init();
    uart_init();
    adc_init();

    struct esc_params p;
    esc_params_default(&p, ESC_MODEL_M365);
    p.v[ESC_P_ESC_FW] = BMSRIG_ESC_FW_VERSION;
    p.overridden[ESC_P_ESC_FW] = 1;
    struct esc *e = esc_new(&p);
    if (!e)
        halt();
    esc_set_tx(e, send, NULL);

    esc_set_supply_v(e, adc_pack_volts());
    esc_power_on(e, 0);
    int64_t prev_us = 0;
    for (;;) {
        int64_t now = time_now_us();
        feed(e, HAL_PORT_BMS, ESC_LINE_BMS, prev_us);
        feed(e, HAL_PORT_DASH, ESC_LINE_DASH, prev_us);
        esc_set_supply_v(e, adc_pack_volts());
        esc_tick(e, now);
        if (!esc_powered(e)) {
            /* the model switched itself off (error 24): drop the power latch; on the board
             * this is the reset request the stock firmware's standby uses [O] */
            SCB_AIRCR = SCB_AIRCR_SYSRESETREQ;
            halt();
        }
        prev_us = now;
        int64_t next = esc_next_tick_us(e);
        time_wake_at(next);
        /* Sleep until the model's next tick. The 1 ms SysTick wraps and the TX interrupts wake
         * the core in between: it sleeps again. Bytes that arrive meanwhile wait in the rings;
         * the model would only see them at that tick anyway. */
        while (next - time_now_us() > 1)
            __asm__ volatile("wfi");
    }
}
