/* hal.h: the thin hardware layer under sim/esc.c in bmsrig's own controller firmware: clock,
 * SysTick time base with a programmable wake-up, the two USARTs (DMA circular RX, DMA TX)
 * and the pack-voltage ADC. Owned by hw/esc-fw; each part in its own file (clock.c, time.c,
 * uart.c, adc.c). */
#ifndef BMSRIG_ESC_FW_HAL_H
#define BMSRIG_ESC_FW_HAL_H

#include <stddef.h>
#include <stdint.h>

/* clock.c: 64 MHz HCLK from HSI / 2 x 16, APB1 32 MHz, APB2 64 MHz, two flash wait states. */
void clock_init(void);

/* time.c: microseconds since time_init (SysTick, HCLK); the counter wraps at most every 1 ms
 * and exactly at the time given to time_wake_at, so the main loop wakes from WFI there. */
void time_init(void);
int64_t time_now_us(void);
void time_wake_at(int64_t t_us);

/* uart.c: port 0 = USART3 (BMS line, PB10/PB11), port 1 = USART1 (dashboard, PA9/PA10). */
enum hal_port { HAL_PORT_BMS = 0, HAL_PORT_DASH = 1 };
void uart_init(void);
/* Copies bytes the DMA ring received since the last call; returns the count. */
size_t uart_rx_take(enum hal_port port, uint8_t *buf, size_t cap);
/* Queues bytes for sending (dropped beyond the queue, counted) and starts the port's TX DMA
 * channel if idle; its transfer-complete interrupt sends the rest. uart_tx_pending: bytes
 * queued and not yet handed to the USART. */
void uart_tx_queue(enum hal_port port, const uint8_t *bytes, size_t n);
size_t uart_tx_pending(void);
void DMA1_Channel2_IRQHandler(void);
void DMA1_Channel4_IRQHandler(void);

/* adc.c: ADC1 continuous on one channel into DMA1 channel 1; V[10 mV] = raw x 11305 >> 13. */
void adc_init(void);
double adc_pack_volts(void);

#endif
