/* board.c: the M365 controller board around the STM32F103: its peripherals (GPIOA/B/C, AFIO,
 * EXTI, USART1, USART3, DMA1, ADC1, ADC2) registered with the core, the clock tree the USARTs and
 * ADCs time themselves by, and the wiring: USART1 = dashboard bus, USART3 = BMS line, ADC1
 * channel 2 = pack voltage, channels 3-5 = phase currents, channel 6 = DC-link current, halls on
 * PB4/PB5/PB0, the power button on PC14, TIM1-4 (TIM1 CC4 starts the ADC injected group). Implements the board-facing calls of rig/fw/mcu.h.
 * Owner: branch fw-periph. */
#include "rig/fw/board/board.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "rig/fw/mcu.h"
#include "periph/adc.h"
#include "periph/afio.h"
#include "periph/dma.h"
#include "periph/exti.h"
#include "periph/gpio.h"
#include "periph/periph.h"
#include "periph/tim.h"
#include "periph/usart.h"

#define RCC_CFGR_ADDR 0x40021004u

/* Wiring, from the stock image DRV134 [O]: its hall read takes PB4 (bit 0), PB5 (bit 1) and PB0
 * (bit 2); its regular ADC1 group converts channel 2 (PA2, scaled raw x 11305 >> 13 to 10 mV)
 * then channel 0; its power-stage self-test reads injected channels 3, 4, 5 against mid-scale
 * (errors 11/12/13) and channel 6 against 0 (errors 28/29). */
#define PORT_A 0u
#define PORT_B 1u
#define PORT_C 2u
static const unsigned hall_pins[3] = {4, 5, 0}; /* on port B */
#define POWER_BUTTON_PIN 14u                    /* on port C, high = released */
#define ADC_CH_PACK 2u
#define ADC_CH_PHASE_A 3u
#define ADC_CH_PHASE_B 4u
#define ADC_CH_PHASE_C 5u
#define ADC_CH_DC_LINK 6u
#define DEFAULT_PACK_V 36.0
#define DEFAULT_HALL_STATE 1u

struct fw_board {
    struct mcu *m;
    struct gpio gpio[3];
    struct afio afio;
    struct exti exti;
    struct usart usart1, usart3;
    struct dma dma;
    struct adc adc1, adc2;
    unsigned adc_irq;        /* ADC1_2 line, one bit per ADC */
    struct tim tim[4];       /* TIM1..TIM4 */
    unsigned hall_state;
    int button_pressed;
};

/* The clock tree from RCC_CFGR: PCLK1 = HCLK / PPRE1, PCLK2 = HCLK / PPRE2, ADCCLK = PCLK2 /
 * ADCPRE [S] RM0008 7.3.2; HCLK is the core's instruction clock. */
static uint32_t rcc_cfgr(const struct fw_board *b)
{
    uint32_t v = 0;
    mcu_bus_read(b->m, RCC_CFGR_ADDR, 4, &v);
    return v;
}

static unsigned apb_divider(uint32_t ppre)
{
    return (ppre & 4u) ? 2u << (ppre & 3u) : 1u;
}

static uint64_t pclk1_ps(void *user)
{
    struct fw_board *b = user;
    return (uint64_t)mcu_hclk_ps(b->m) * apb_divider((rcc_cfgr(b) >> 8) & 7u);
}

static uint64_t pclk2_ps(void *user)
{
    struct fw_board *b = user;
    return (uint64_t)mcu_hclk_ps(b->m) * apb_divider((rcc_cfgr(b) >> 11) & 7u);
}

static uint64_t adcclk_ps(void *user)
{
    struct fw_board *b = user;
    return pclk2_ps(b) * (2u + 2u * ((rcc_cfgr(b) >> 14) & 3u));
}

/* A timer's clock: its APB clock, twice that when the APB prescaler is not 1 [S] 7.2 */
static uint64_t timclk_ps(struct fw_board *b, unsigned ppre_shift)
{
    unsigned div = apb_divider((rcc_cfgr(b) >> ppre_shift) & 7u);
    uint64_t hclk = mcu_hclk_ps(b->m);
    return div == 1 ? hclk : hclk * div / 2u;
}

static uint64_t tim1_clk_ps(void *user) { return timclk_ps(user, 11); }
static uint64_t tim234_clk_ps(void *user) { return timclk_ps(user, 8); }

/* ADC1/2 external trigger sources that are timer compare events, RM0008 11.12.3 [S]:
 * injected JEXTSEL 001 TIM1_CC4, 011 TIM2_CC1, 100 TIM3_CC4; regular EXTSEL 000/001/010
 * TIM1_CC1..3, 011 TIM2_CC2, 101 TIM4_CC4. Returns the source or -1. */
static int trigger_source(unsigned timer, unsigned ch, int injected)
{
    static const signed char inj[4][4] = {{-1, -1, -1, 1}, {3, -1, -1, -1}, {-1, -1, -1, 4},
                                          {-1, -1, -1, -1}};
    static const signed char reg[4][4] = {{0, 1, 2, -1}, {-1, 3, -1, -1}, {-1, -1, -1, -1},
                                          {-1, -1, -1, 5}};
    return injected ? inj[timer][ch - 1] : reg[timer][ch - 1];
}

static int timer_feeds_adc(struct fw_board *b, unsigned timer, unsigned ch)
{
    for (int inj = 0; inj <= 1; inj++) {
        int src = trigger_source(timer, ch, inj);
        if (src >= 0 && adc_trigger_selected(&b->adc1, inj, (unsigned)src))
            return 1;
    }
    return 0;
}

static void timer_compare(struct fw_board *b, unsigned timer, unsigned ch, uint64_t t)
{
    for (int inj = 0; inj <= 1; inj++) {
        int src = trigger_source(timer, ch, inj);
        if (src >= 0)
            adc_external_trigger(&b->adc1, inj, (unsigned)src, t);
    }
}

#define TIM_HOOKS(n)                                                                        \
    static int tim##n##_wants(void *user, unsigned ch)                                      \
    {                                                                                       \
        return timer_feeds_adc(user, n - 1, ch);                                            \
    }                                                                                       \
    static void tim##n##_compare(void *user, unsigned ch, uint64_t t)                       \
    {                                                                                       \
        timer_compare(user, n - 1, ch, t);                                                  \
    }
TIM_HOOKS(1)
TIM_HOOKS(2)
TIM_HOOKS(3)
TIM_HOOKS(4)

/* Dual mode: ADC2 converts its injected group together with ADC1's in the injected
 * simultaneous modes (DUALMOD 0001, 0010, 0101) [S] RM0008 11.9. */
static void adc1_started(void *user, int injected, uint64_t t)
{
    struct fw_board *b = user;
    unsigned mode = adc_dual_mode(&b->adc1);
    if (injected && (mode == 1u || mode == 2u || mode == 5u))
        adc_start_injected_with_master(&b->adc2, t);
}

static int adc1_dma_interrupts(void *user)
{
    struct fw_board *b = user;
    return dma_channel_interrupts(&b->dma, ADC1_DMA_CHANNEL);
}

static unsigned adc1_dma_cycle(void *user)
{
    struct fw_board *b = user;
    const struct dma_channel *c = &b->dma.ch[ADC1_DMA_CHANNEL - 1];
    return (c->ccr & 1u) && (c->ccr & (1u << 5)) ? c->reload : 0; /* EN and CIRC */
}

static void dma_enabled(void *user, unsigned ch)
{
    struct fw_board *b = user;
    if (ch == USART1_DMA_TX)
        usart_dma_kick(&b->usart1);
    else if (ch == USART3_DMA_TX)
        usart_dma_kick(&b->usart3);
}

static void dma_sync(void *user)
{
    struct fw_board *b = user;
    adc_sync(&b->adc1);
    adc_sync(&b->adc2);
}

static int add(struct fw_board *b, const struct periph *p, char *err, size_t errcap)
{
    int rc = mcu_add_periph(b->m, p);
    if (rc != BMSRIG_OK)
        snprintf(err, errcap, "firmware emulator: the board's %s block does not fit the core's "
                 "dispatch table", p->name);
    return rc;
}

static void drive_halls(struct fw_board *b);
static void drive_button(struct fw_board *b);

int fw_board_new(struct mcu *m, struct fw_board **out, char *err, size_t errcap)
{
    *out = NULL;
    struct fw_board *b = calloc(1, sizeof *b);
    if (!b)
        return BMSRIG_ERR_NOMEM;
    b->m = m;
    struct periph p[15];
    unsigned n = 0;
    gpio_init(&b->gpio[PORT_A], "GPIOA", GPIOA_BASE, &p[n++]);
    gpio_init(&b->gpio[PORT_B], "GPIOB", GPIOB_BASE, &p[n++]);
    gpio_init(&b->gpio[PORT_C], "GPIOC", GPIOC_BASE, &p[n++]);
    afio_init(&b->afio, &p[n++]);
    exti_init(&b->exti, m, &p[n++]);
    const struct usart_wiring u1 = {"USART1", USART1_BASE, USART1_IRQ, USART1_DMA_RX, USART1_DMA_TX,
                                    pclk2_ps, b};
    const struct usart_wiring u3 = {"USART3", USART3_BASE, USART3_IRQ, USART3_DMA_RX, USART3_DMA_TX,
                                    pclk1_ps, b};
    usart_init(&b->usart1, m, &u1, &p[n++]);
    usart_init(&b->usart3, m, &u3, &p[n++]);
    dma_init(&b->dma, m, &p[n++]);
    const struct adc_wiring a1 = {.name = "ADC1", .base = ADC1_BASE,
                                  .dma_channel = ADC1_DMA_CHANNEL, .adcclk_ps = adcclk_ps,
                                  .dma_interrupts = adc1_dma_interrupts,
                                  .dma_cycle = adc1_dma_cycle, .on_start = adc1_started,
                                  .user = b, .shared_irq = &b->adc_irq, .irq_bit = 1u};
    const struct adc_wiring a2 = {.name = "ADC2", .base = ADC2_BASE, .adcclk_ps = adcclk_ps,
                                  .user = b, .shared_irq = &b->adc_irq, .irq_bit = 2u};
    adc_init(&b->adc1, m, &a1, &p[n++]);
    adc_init(&b->adc2, m, &a2, &p[n++]);
    const struct tim_wiring tw[4] = {
        {"TIM1", TIM1_BASE, 1, TIM1_UP_IRQ, TIM1_CC_IRQ, tim1_clk_ps, tim1_compare, tim1_wants, b},
        {"TIM2", TIM2_BASE, 0, TIM2_IRQ, TIM2_IRQ, tim234_clk_ps, tim2_compare, tim2_wants, b},
        {"TIM3", TIM3_BASE, 0, TIM3_IRQ, TIM3_IRQ, tim234_clk_ps, tim3_compare, tim3_wants, b},
        {"TIM4", TIM4_BASE, 0, TIM4_IRQ, TIM4_IRQ, tim234_clk_ps, tim4_compare, tim4_wants, b},
    };
    for (unsigned i = 0; i < 4; i++)
        tim_init(&b->tim[i], m, &tw[i], &p[n++]);
    for (unsigned i = 0; i < n; i++) {
        int rc = add(b, &p[i], err, errcap);
        if (rc != BMSRIG_OK) {
            free(b);
            return rc;
        }
    }
    dma_set_hooks(&b->dma, dma_enabled, dma_sync, b);
    mcu_set_dma_handler(m, dma_handle_request, &b->dma);
    for (unsigned ch = 0; ch < ADC_CHANNELS; ch++) {
        unsigned raw = ch == ADC_CH_DC_LINK ? 0u : ADC_RAW_MID; /* 0 A; phases at mid-scale */
        adc_set_input(&b->adc1, ch, raw);
        adc_set_input(&b->adc2, ch, raw);
    }
    b->hall_state = DEFAULT_HALL_STATE;
    drive_halls(b);
    drive_button(b);
    *out = b;
    mcu_set_pack_voltage(m, DEFAULT_PACK_V);
    return BMSRIG_OK;
}

void fw_board_free(struct fw_board *b)
{
    free(b);
}

static struct usart *port_usart(struct fw_board *b, enum mcu_port port)
{
    return port == MCU_USART1 ? &b->usart1 : &b->usart3;
}

int mcu_uart_rx(struct mcu *m, enum mcu_port port, uint64_t t_ns, const uint8_t *bytes, size_t n)
{
    struct fw_board *b = mcu_board(m);
    if ((unsigned)port >= MCU_PORT_COUNT || (n && !bytes))
        return BMSRIG_ERR_ARG;
    if (!b)
        return BMSRIG_ERR_STATE;
    return usart_rx_queue(port_usart(b, port), t_ns * 1000u, bytes, n);
}

size_t mcu_uart_tx_take(struct mcu *m, enum mcu_port port, uint8_t *buf, size_t cap,
                        uint64_t *t_ns_out)
{
    struct fw_board *b = mcu_board(m);
    if (!b || (unsigned)port >= MCU_PORT_COUNT)
        return 0;
    size_t n = usart_tx_take(port_usart(b, port), buf, cap, t_ns_out);
    if (t_ns_out)
        for (size_t i = 0; i < n; i++)
            t_ns_out[i] /= 1000u; /* ps -> ns */
    return n;
}

/* The raw value whose firmware reading (raw x 11305 >> 13, in 10 mV) is the voltage rounded
 * down to 10 mV: the smallest raw reaching it [D] from the stock scaling. */
static unsigned pack_raw(double volts)
{
    if (!(volts > 0.0))
        return 0;
    double raw = ceil(floor(volts * 100.0 + 1e-6) * 8192.0 / 11305.0 - 1e-9);
    return raw >= ADC_RAW_MAX ? ADC_RAW_MAX : (unsigned)raw;
}

void mcu_set_pack_voltage(struct mcu *m, double volts)
{
    struct fw_board *b = mcu_board(m);
    if (!b)
        return;
    adc_sync(&b->adc1); /* conversions before now saw the old value */
    adc_set_input(&b->adc1, ADC_CH_PACK, pack_raw(volts));
}

/* A pin the board drives changed: the EXTI line of that pin sees the edge if its port is the
 * one AFIO selects for the line. */
static void drive_pin(struct fw_board *b, unsigned port, unsigned pin, int level)
{
    struct gpio *g = &b->gpio[port];
    int was = (g->level >> pin) & 1u;
    int was_driven = (g->driven >> pin) & 1u;
    gpio_drive_pin(g, pin, level);
    if (was_driven && was != level && afio_exti_port(&b->afio, pin) == port)
        exti_edge(&b->exti, pin, level);
}

static void drive_halls(struct fw_board *b)
{
    for (unsigned i = 0; i < 3; i++)
        drive_pin(b, PORT_B, hall_pins[i], (b->hall_state >> i) & 1u);
}

static void drive_button(struct fw_board *b)
{
    drive_pin(b, PORT_C, POWER_BUTTON_PIN, !b->button_pressed);
}

void mcu_set_hall_state(struct mcu *m, unsigned state)
{
    struct fw_board *b = mcu_board(m);
    if (!b)
        return;
    b->hall_state = state & 7u;
    drive_halls(b);
}

void mcu_set_power_button(struct mcu *m, int pressed)
{
    struct fw_board *b = mcu_board(m);
    if (!b)
        return;
    b->button_pressed = pressed != 0;
    drive_button(b);
}
