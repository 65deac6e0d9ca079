/* board.c: the M365 board wiring (owner: branch fw-periph). This first version registers no
 * peripherals: the UARTs, DMA, ADC and GPIO are not modelled yet, so rx is refused and nothing
 * is ever sent; fw-periph replaces it with the real wiring. */
#include "rig/fw/board/board.h"

#include <stdlib.h>

#include "rig/fw/mcu.h"

struct fw_board {
    int unused;
};

int fw_board_new(struct mcu *m, struct fw_board **out, char *err, size_t errcap)
{
    (void)m; (void)err; (void)errcap;
    *out = calloc(1, sizeof **out);
    return *out ? BMSRIG_OK : BMSRIG_ERR_NOMEM;
}

void fw_board_free(struct fw_board *b)
{
    free(b);
}

int mcu_uart_rx(struct mcu *m, enum mcu_port port, uint64_t t_ns, const uint8_t *bytes, size_t n)
{
    (void)m; (void)t_ns; (void)bytes; (void)n;
    if ((unsigned)port >= MCU_PORT_COUNT)
        return BMSRIG_ERR_ARG;
    return BMSRIG_ERR_STATE; /* USARTs not modelled yet */
}

size_t mcu_uart_tx_take(struct mcu *m, enum mcu_port port, uint8_t *buf, size_t cap,
                        uint64_t *t_ns_out)
{
    (void)m; (void)port; (void)buf; (void)cap; (void)t_ns_out;
    return 0;
}

void mcu_set_pack_voltage(struct mcu *m, double volts) { (void)m; (void)volts; }
void mcu_set_hall_state(struct mcu *m, unsigned state) { (void)m; (void)state; }
void mcu_set_power_button(struct mcu *m, int pressed) { (void)m; (void)pressed; }
