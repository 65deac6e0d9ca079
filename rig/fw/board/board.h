/* board.h: the M365 controller board around the MCU: which peripherals the part has beyond the
 * core's (GPIO, AFIO, USART1/3, DMA1, ADC1...) and how their pins are wired (which USART is which
 * bus, the ADC channel of the pack voltage, halls, PC14). Owner: branch fw-periph; the interface
 * below is the core's (fw-core), called from rig/fw/core/mcu.c.
 *
 * board.c also implements the public board-facing calls of rig/fw/mcu.h (mcu_uart_rx,
 * mcu_uart_tx_take, mcu_set_pack_voltage, mcu_set_hall_state, mcu_set_power_button) on the
 * state returned by mcu_board(). */
#ifndef BMSRIG_FW_BOARD_BOARD_H
#define BMSRIG_FW_BOARD_BOARD_H

#include <stddef.h>

struct mcu;
struct fw_board;

/* Called once by mcu_new after the core's own blocks (RCC, FLASH) are in place and before
 * reset: creates the board's peripheral models and registers each with mcu_add_periph (one call
 * per block), and the DMA handler with mcu_set_dma_handler. BMSRIG_OK, or an error with a
 * message in err (mcu_new then fails with it). */
int fw_board_new(struct mcu *m, struct fw_board **out, char *err, size_t errcap);

/* NULL-safe; called by mcu_free. */
void fw_board_free(struct fw_board *b);

/* The board of an MCU (NULL if fw_board_new has not run). Implemented by the core. */
struct fw_board *mcu_board(const struct mcu *m);

#endif
