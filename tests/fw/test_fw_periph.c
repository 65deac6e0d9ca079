/* test_fw_periph.c: the board's peripheral models (rig/fw/periph/ usart, dma, adc, gpio, exti)
 * alone on a fake core (tests/fw/fake_core.c): byte timing from BRR and PCLK, flag and clear
 * sequences, DMA rings and CNDTR, ADC conversion timing, lazy settling and injected offsets,
 * pin levels and EXTI edges, each against RM0008's rules. */
#include <criterion/criterion.h>
#include <string.h>

#include "fw/fake_core.h"
#include "periph/adc.h"
#include "periph/dma.h"
#include "periph/exti.h"
#include "periph/gpio.h"
#include "periph/tim.h"
#include "periph/usart.h"
#include "sim/status.h"

#define HCLK_PS 15625u            /* 64 MHz */
#define PCLK1_PS 31250u           /* 32 MHz */
#define ADCCLK_PS (HCLK_PS * 6u)  /* PCLK2 / 6 */
#define US(x) ((uint64_t)(x) * 1000000u)

/* USART3 registers */
#define U3_SR (USART3_BASE + 0x00u)
#define U3_DR (USART3_BASE + 0x04u)
#define U3_BRR (USART3_BASE + 0x08u)
#define U3_CR1 (USART3_BASE + 0x0Cu)
#define U3_CR3 (USART3_BASE + 0x14u)
#define CR1_UE (1u << 13)
#define CR1_TE (1u << 3)
#define CR1_RE (1u << 2)
#define CR1_RXNEIE (1u << 5)
#define CR3_HDSEL (1u << 3)
#define CR3_DMAR (1u << 6)
/* 10 bits of BRR 0x116 at 32 MHz: 278 x 31.25 ns x 10 */
#define FRAME_PS 86875000u

#define DMA_CCR(ch) (DMA1_BASE + 0x08u + 20u * ((ch) - 1u))
#define DMA_CNDTR(ch) (DMA_CCR(ch) + 4u)
#define DMA_CPAR(ch) (DMA_CCR(ch) + 8u)
#define DMA_CMAR(ch) (DMA_CCR(ch) + 12u)
#define DMA_ISR (DMA1_BASE + 0x00u)
#define DMA_IFCR (DMA1_BASE + 0x04u)
#define CCR_EN 1u
#define CCR_TCIE 2u
#define CCR_CIRC (1u << 5)
#define CCR_MINC (1u << 7)
#define CCR_16BIT ((1u << 8) | (1u << 10))

static struct usart u3;
static struct dma dma;
static struct adc adc1;
static struct gpio gpiob;
static struct exti exti;
static unsigned adc_irq;

static uint64_t pclk1(void *user) { (void)user; return PCLK1_PS; }
static uint64_t adcclk(void *user) { (void)user; return ADCCLK_PS; }
static unsigned adc_ring(void *user)
{
    (void)user;
    const struct dma_channel *c = &dma.ch[0];
    return (c->ccr & CCR_EN) && (c->ccr & CCR_CIRC) ? c->reload : 0;
}

static void dma_enabled(void *user, unsigned ch)
{
    (void)user;
    if (ch == USART3_DMA_TX)
        usart_dma_kick(&u3);
}

static void setup(void)
{
    fake_reset(HCLK_PS);
    struct periph p;
    const struct usart_wiring w = {"USART3", USART3_BASE, USART3_IRQ, USART3_DMA_RX,
                                   USART3_DMA_TX, pclk1, NULL};
    usart_init(&u3, &fake_mcu, &w, &p);
    fake_add(&p);
    dma_init(&dma, &fake_mcu, &p);
    fake_add(&p);
    mcu_set_dma_handler(&fake_mcu, dma_handle_request, &dma);
    dma_set_hooks(&dma, dma_enabled, NULL, NULL);
    adc_irq = 0;
    const struct adc_wiring a = {.name = "ADC1", .base = ADC1_BASE,
                                 .dma_channel = ADC1_DMA_CHANNEL, .adcclk_ps = adcclk,
                                 .dma_cycle = adc_ring, .shared_irq = &adc_irq, .irq_bit = 1u};
    adc_init(&adc1, &fake_mcu, &a, &p);
    fake_add(&p);
    gpio_init(&gpiob, "GPIOB", GPIOB_BASE, &p);
    fake_add(&p);
    exti_init(&exti, &fake_mcu, &p);
    fake_add(&p);
}

TestSuite(fw_periph, .init = setup);

Test(fw_periph, usart_frame_time_from_brr_and_pclk)
{
    fake_write(U3_BRR, 0x116);
    cr_assert_eq(usart_frame_ps(&u3), FRAME_PS);
    fake_write(U3_CR1, CR1_UE | (1u << 12)); /* M: 9 data bits -> 11 bit times */
    cr_assert_eq(usart_frame_ps(&u3), FRAME_PS / 10u * 11u);
}

Test(fw_periph, usart_tx_idle_preamble_then_bytes_with_exact_completion_times)
{
    fake_write(U3_BRR, 0x116);
    fake_write(U3_CR1, CR1_UE | CR1_TE); /* TE rising: one idle frame first */
    fake_write(U3_DR, 0x55);
    cr_assert_eq(fake_read(U3_SR) & USART_SR_TXE, 0u, "TDR full during the preamble");
    fake_run_to(FRAME_PS - 1u);
    cr_assert_eq(fake_read(U3_SR) & USART_SR_TXE, 0u);
    fake_run_to(FRAME_PS);
    cr_assert_neq(fake_read(U3_SR) & USART_SR_TXE, 0u, "TDR moved into the shift register");
    fake_write(U3_DR, 0xAA);
    fake_run_to(2u * FRAME_PS);
    uint8_t b[4];
    uint64_t t[4];
    cr_assert_eq(usart_tx_take(&u3, b, 4, t), 1u);
    cr_assert_eq(b[0], 0x55);
    cr_assert_eq(t[0], 2u * FRAME_PS);
    cr_assert_eq(fake_read(U3_SR) & USART_SR_TC, 0u, "the second byte is still shifting");
    fake_run_to(3u * FRAME_PS);
    cr_assert_eq(usart_tx_take(&u3, b, 4, t), 1u);
    cr_assert_eq(b[0], 0xAA);
    cr_assert_eq(t[0], 3u * FRAME_PS);
    cr_assert_neq(fake_read(U3_SR) & USART_SR_TC, 0u);
}

Test(fw_periph, usart_tc_clears_only_by_sr_read_then_dr_write)
{
    fake_write(U3_BRR, 0x116);
    fake_write(U3_CR1, CR1_UE | CR1_TE);
    fake_run_to(FRAME_PS); /* preamble done: TC set */
    cr_assert_neq(u3.sr & USART_SR_TC, 0u);
    fake_write(U3_DR, 1); /* no SR read before: TC stays */
    cr_assert_neq(u3.sr & USART_SR_TC, 0u);
    fake_run_to(3u * FRAME_PS);
    (void)fake_read(U3_SR);
    fake_write(U3_DR, 2);
    cr_assert_eq(u3.sr & USART_SR_TC, 0u);
    fake_write(U3_SR, ~USART_SR_TC); /* writing 0 clears too */
    cr_assert_eq(u3.sr & USART_SR_TC, 0u);
}

Test(fw_periph, usart_rx_rxne_overrun_and_idle)
{
    fake_write(U3_BRR, 0x116);
    fake_write(U3_CR1, CR1_UE | CR1_RE | CR1_RXNEIE);
    const uint8_t in[3] = {0x11, 0x22, 0x33};
    cr_assert_eq(usart_rx_queue(&u3, 0, in, 3), BMSRIG_OK);
    fake_run_to(FRAME_PS - 1u);
    cr_assert_eq(fake_read(U3_SR) & USART_SR_RXNE, 0u);
    cr_assert_eq(fake_mcu.irq_level[USART3_IRQ], 0);
    fake_run_to(FRAME_PS);
    cr_assert_neq(fake_read(U3_SR) & USART_SR_RXNE, 0u);
    cr_assert_eq(fake_mcu.irq_level[USART3_IRQ], 1, "RXNEIE raises USART3's line");
    cr_assert_eq(fake_read(U3_DR), 0x11u);
    cr_assert_eq(fake_mcu.irq_level[USART3_IRQ], 0);
    fake_run_to(3u * FRAME_PS); /* 0x22 not read when 0x33 ends: overrun */
    uint32_t sr = fake_read(U3_SR);
    cr_assert_neq(sr & USART_SR_ORE, 0u);
    cr_assert_eq(sr & USART_SR_IDLE, 0u);
    cr_assert_eq(fake_read(U3_DR), 0x22u, "the overrun byte is lost, RDR keeps the old one");
    cr_assert_eq(u3.sr & USART_SR_ORE, 0u, "SR read then DR read clears ORE");
    fake_run_to(4u * FRAME_PS - 1u);
    cr_assert_eq(fake_read(U3_SR) & USART_SR_IDLE, 0u);
    fake_run_to(4u * FRAME_PS);
    cr_assert_neq(fake_read(U3_SR) & USART_SR_IDLE, 0u, "one idle frame after the last byte");
    (void)fake_read(U3_DR);
    cr_assert_eq(u3.sr & USART_SR_IDLE, 0u);
}

Test(fw_periph, usart_rx_dma_into_a_circular_ring)
{
    fake_write(U3_BRR, 0x116);
    fake_write(DMA_CPAR(3), U3_DR);
    fake_write(DMA_CMAR(3), 0x20000100u);
    fake_write(DMA_CNDTR(3), 4);
    fake_write(DMA_CCR(3), CCR_MINC | CCR_CIRC | CCR_EN);
    fake_write(U3_CR3, CR3_DMAR);
    fake_write(U3_CR1, CR1_UE | CR1_RE);
    const uint8_t in[6] = {1, 2, 3, 4, 5, 6};
    usart_rx_queue(&u3, US(10), in, 6);
    fake_run_to(US(10) + 2u * FRAME_PS);
    cr_assert_eq(fake_read(DMA_CNDTR(3)), 2u, "two bytes in: CNDTR counts down");
    cr_assert_neq(fake_read(DMA_ISR) & DMA_ISR_HTIF(3), 0u);
    cr_assert_eq(fake_read(DMA_ISR) & DMA_ISR_TCIF(3), 0u);
    fake_run_to(US(10) + 6u * FRAME_PS);
    uint8_t *ring = fake_sram(0x20000100u);
    cr_assert_eq(ring[0], 5);
    cr_assert_eq(ring[1], 6);
    cr_assert_eq(ring[2], 3);
    cr_assert_eq(ring[3], 4);
    cr_assert_eq(fake_read(DMA_CNDTR(3)), 2u, "reloaded at 0, two more taken");
    cr_assert_neq(fake_read(DMA_ISR) & DMA_ISR_TCIF(3), 0u);
    cr_assert_eq(fake_read(U3_SR) & (USART_SR_RXNE | USART_SR_ORE), 0u, "the DMA read DR");
    fake_write(DMA_IFCR, DMA_ISR_GIF(3));
    cr_assert_eq(fake_read(DMA_ISR), 0u);
}

Test(fw_periph, usart_half_duplex_hears_its_own_bytes)
{
    fake_write(U3_BRR, 0x116);
    fake_write(U3_CR3, CR3_HDSEL);
    fake_write(U3_CR1, CR1_UE | CR1_TE | CR1_RE);
    fake_write(U3_DR, 0x5A);
    fake_run_to(2u * FRAME_PS);
    cr_assert_neq(fake_read(U3_SR) & USART_SR_RXNE, 0u);
    cr_assert_eq(fake_read(U3_DR), 0x5Au);
}

Test(fw_periph, usart_bytes_queued_before_brr_use_115200)
{
    const uint8_t in[2] = {7, 8};
    usart_rx_queue(&u3, 0, in, 2);
    cr_assert_eq(u3.rxq[u3.rx_head].t_ps, 86805556u);
    cr_assert_eq(u3.rxq[(u3.rx_head + 1u) % USART_RX_QUEUE].t_ps, 2u * 86805556u);
}

Test(fw_periph, dma_bus_error_sets_teif_and_disables)
{
    fake_write(DMA_CPAR(2), 0x50000000u); /* nothing answers there */
    fake_write(DMA_CMAR(2), 0x20000000u);
    fake_write(DMA_CNDTR(2), 3);
    fake_write(DMA_CCR(2), CCR_EN | (1u << 3)); /* TEIE */
    cr_assert_eq(dma_handle_request(&dma, 2), 0);
    cr_assert_neq(fake_read(DMA_ISR) & DMA_ISR_TEIF(2), 0u);
    cr_assert_eq(fake_read(DMA_CCR(2)) & CCR_EN, 0u);
    cr_assert_eq(fake_mcu.irq_level[DMA1_IRQ(2)], 1);
}

Test(fw_periph, dma_memory_to_memory_runs_at_once)
{
    for (unsigned i = 0; i < 8; i++)
        fake_sram(0x20000200u)[i] = (uint8_t)(0x10 + i);
    fake_write(DMA_CPAR(4), 0x20000200u);
    fake_write(DMA_CMAR(4), 0x20000300u);
    fake_write(DMA_CNDTR(4), 8);
    fake_write(DMA_CCR(4), CCR_EN | CCR_TCIE | (1u << 6) | CCR_MINC | (1u << 14));
    cr_assert_eq(fake_read(DMA_CNDTR(4)), 0u);
    cr_assert_eq(fake_sram(0x20000300u)[7], 0x17);
    cr_assert_eq(fake_mcu.irq_level[DMA1_IRQ(4)], 1);
}

/* ADC1: continuous conversion of channel 2 at 239.5 cycles into a one-word DMA ring */
static void adc_continuous_setup(void)
{
    fake_write(DMA_CPAR(1), ADC1_BASE + 0x4Cu);
    fake_write(DMA_CMAR(1), 0x20000400u);
    fake_write(DMA_CNDTR(1), 1);
    fake_write(DMA_CCR(1), CCR_16BIT | CCR_CIRC | CCR_EN);
    fake_write(ADC1_BASE + 0x10u, 7u << 6);       /* SMPR2: channel 2, 239.5 cycles */
    fake_write(ADC1_BASE + 0x34u, 2);             /* SQR3: SQ1 = channel 2 */
    adc_set_input(&adc1, 2, 2609);
    uint32_t cr2 = 1u | 2u | (1u << 8);           /* ADON, CONT, DMA */
    fake_write(ADC1_BASE + 0x08u, cr2);           /* power up */
    fake_write(ADC1_BASE + 0x08u, cr2);           /* ADON again: start */
}

Test(fw_periph, adc_conversion_time_and_dma)
{
    adc_continuous_setup();
    const uint64_t conv = 252u * ADCCLK_PS; /* (239.5 + 12.5) cycles */
    fake_run_to(conv - 1u);
    cr_assert_eq(fake_read(DMA_ISR) & DMA_ISR_TCIF(1), 0u);
    fake_run_to(conv);
    cr_assert_neq(fake_read(DMA_ISR) & DMA_ISR_TCIF(1), 0u);
    cr_assert_eq(fake_sram(0x20000400u)[0] | fake_sram(0x20000400u)[1] << 8, 2609);
}

Test(fw_periph, adc_continuous_without_interrupts_is_settled_lazily_and_exactly)
{
    adc_continuous_setup();
    cr_assert_eq(adc1.w.base, ADC1_BASE);
    struct periph *blk = &fake_mcu.blocks[2];
    cr_assert_eq(blk->next_event_ps(blk->state, 0), PERIPH_NO_EVENT,
                 "no event per conversion when nothing is interrupted by it");
    fake_mcu.now = US(1000000); /* one second later in one step */
    adc_sync(&adc1);
    cr_assert_eq(adc1.conversions, 1000000000000u / (252u * ADCCLK_PS));
    cr_assert_eq(fake_read(DMA_CNDTR(1)), 1u);
    cr_assert_eq(fake_sram(0x20000400u)[0] | fake_sram(0x20000400u)[1] << 8, 2609);
    /* a value set now is seen by the next conversion */
    adc_set_input(&adc1, 2, 1000);
    fake_mcu.now += 252u * ADCCLK_PS;
    adc_sync(&adc1);
    cr_assert_eq(fake_sram(0x20000400u)[0] | fake_sram(0x20000400u)[1] << 8, 1000);
}

Test(fw_periph, adc_injected_group_with_offsets_and_calibration)
{
    fake_write(ADC1_BASE + 0x08u, 1u);                 /* ADON */
    fake_write(ADC1_BASE + 0x08u, 1u | (1u << 2));     /* CAL */
    cr_assert_eq(fake_read(ADC1_BASE + 0x08u) & (1u << 2), 0u, "calibration completes");
    /* JL = 3: channels 3, 4, 5, 6; offset 100 on rank 1 */
    fake_write(ADC1_BASE + 0x38u, (3u << 20) | 3u | 4u << 5 | 5u << 10 | 6u << 15);
    fake_write(ADC1_BASE + 0x14u, 100);
    adc_set_input(&adc1, 6, 0);
    fake_write(ADC1_BASE + 0x08u, 1u | (7u << 12) | (1u << 15) | (1u << 21)); /* JSWSTART */
    const uint64_t group = 4u * 14u * ADCCLK_PS; /* 4 x (1.5 + 12.5) cycles */
    fake_run_to(group - 1u);
    cr_assert_eq(fake_read(ADC1_BASE) & 4u, 0u);
    fake_run_to(group);
    cr_assert_neq(fake_read(ADC1_BASE) & 4u, 0u, "JEOC");
    cr_assert_eq(fake_read(ADC1_BASE + 0x3Cu), 2048u - 100u);
    cr_assert_eq(fake_read(ADC1_BASE + 0x40u), 2048u);
    cr_assert_eq(fake_read(ADC1_BASE + 0x48u), 0u);
    fake_write(ADC1_BASE + 0x14u, 2100);
    fake_write(ADC1_BASE + 0x08u, 1u | (7u << 12) | (1u << 15) | (1u << 21));
    fake_run_to(2u * group);
    cr_assert_eq(fake_read(ADC1_BASE + 0x3Cu), 0xFFCCu, "a negative result is sign-extended");
}

Test(fw_periph, adc_adon_with_another_bit_changed_does_not_start)
{
    fake_write(ADC1_BASE + 0x08u, 1u);
    fake_write(ADC1_BASE + 0x08u, 1u | (1u << 8)); /* DMA bit changes: no conversion */
    fake_write(ADC1_BASE + 0x08u, 1u | (1u << 8) | (1u << 2)); /* CAL set: no conversion */
    fake_run_to(US(100));
    cr_assert_eq(adc1.conversions, 0u);
    fake_write(ADC1_BASE + 0x08u, 1u | (1u << 8));
    fake_run_to(US(200));
    cr_assert_eq(adc1.conversions, 1u);
}

Test(fw_periph, gpio_inputs_outputs_and_bsrr)
{
    gpio_drive_pin(&gpiob, 4, 1);
    gpio_drive_pin(&gpiob, 0, 1);
    cr_assert_eq(fake_read(GPIOB_BASE + 0x08u) & 0x31u, 0x11u, "floating inputs read the drive");
    fake_write(GPIOB_BASE + 0x00u, 0x44444440u); /* PB0 analog */
    cr_assert_eq(fake_read(GPIOB_BASE + 0x08u) & 1u, 0u, "an analog pin reads 0");
    fake_write(GPIOB_BASE + 0x04u, 0x44444443u); /* PB8 push-pull output */
    fake_write(GPIOB_BASE + 0x10u, 1u << 8);
    cr_assert_neq(fake_read(GPIOB_BASE + 0x08u) & (1u << 8), 0u);
    fake_write(GPIOB_BASE + 0x10u, (1u << 24) | (1u << 8)); /* set and reset: set wins */
    cr_assert_neq(fake_read(GPIOB_BASE + 0x0Cu) & (1u << 8), 0u);
    fake_write(GPIOB_BASE + 0x14u, 1u << 8);
    cr_assert_eq(fake_read(GPIOB_BASE + 0x0Cu) & (1u << 8), 0u);
}

Test(fw_periph, exti_edge_sets_pending_and_the_line)
{
    fake_write(EXTI_BASE + 0x00u, 1u << 4); /* IMR */
    fake_write(EXTI_BASE + 0x08u, 1u << 4); /* RTSR */
    exti_edge(&exti, 4, 0);
    cr_assert_eq(fake_read(EXTI_BASE + 0x14u), 0u, "falling edge not selected");
    exti_edge(&exti, 4, 1);
    cr_assert_eq(fake_read(EXTI_BASE + 0x14u), 1u << 4);
    cr_assert_eq(fake_mcu.irq_level[10], 1, "EXTI4");
    fake_write(EXTI_BASE + 0x14u, 1u << 4);
    cr_assert_eq(fake_mcu.irq_level[10], 0);
}

/* TIM1 as the stock controller sets it: center-aligned mode 1, ARR 4000, CCR4 3800, RCR 1 */
static unsigned compares;
static uint64_t compare_t[4];
static uint64_t tim_clk(void *user) { (void)user; return HCLK_PS; }
static int tim_wants_ch4(void *user, unsigned ch) { (void)user; return ch == 4; }
static void tim_compare_rec(void *user, unsigned ch, uint64_t t)
{
    (void)user;
    if (ch == 4 && compares < 4)
        compare_t[compares++] = t;
}

Test(fw_periph, tim_center_aligned_compare_and_update)
{
    static struct tim t1;
    struct periph p;
    const struct tim_wiring w = {"TIM1", TIM1_BASE, 1, TIM1_UP_IRQ, TIM1_CC_IRQ, tim_clk,
                                 tim_compare_rec, tim_wants_ch4, NULL};
    tim_init(&t1, &fake_mcu, &w, &p);
    fake_add(&p);
    compares = 0;
    fake_write(TIM1_BASE + 0x2Cu, 4000);        /* ARR */
    fake_write(TIM1_BASE + 0x30u, 1);           /* RCR */
    fake_write(TIM1_BASE + 0x40u, 3800);        /* CCR4 */
    fake_write(TIM1_BASE + 0x1Cu, 0x6000);      /* CCMR2: OC4 PWM mode 1 */
    fake_write(TIM1_BASE + 0x00u, 0x20u | 1u);  /* CMS = 01, CEN */
    fake_run_to(3000u * HCLK_PS);
    cr_assert_eq(fake_read(TIM1_BASE + 0x24u), 3000u);
    cr_assert_eq(fake_read(TIM1_BASE + 0x10u) & 0x10u, 0u, "CC4 matched counting up: no flag");
    fake_run_to(5000u * HCLK_PS);
    cr_assert_eq(fake_read(TIM1_BASE + 0x24u), 3000u, "counting down from 4000");
    cr_assert_neq(fake_read(TIM1_BASE + 0x00u) & 0x10u, 0u, "DIR reads the direction");
    cr_assert_eq(compares, 1u);
    cr_assert_eq(compare_t[0], 4200u * HCLK_PS, "the down-counting match of 3800");
    cr_assert_neq(fake_read(TIM1_BASE + 0x10u) & 0x10u, 0u, "CC4IF");
    cr_assert_eq(fake_read(TIM1_BASE + 0x10u) & 1u, 0u, "one overflow: RCR 1 holds the update");
    fake_run_to(8000u * HCLK_PS);
    cr_assert_neq(fake_read(TIM1_BASE + 0x10u) & 1u, 0u, "the underflow makes the update event");
    fake_run_to((uint64_t)(8000u * 100u + 4200u) * HCLK_PS);
    cr_assert_eq(compares, 4u);
    cr_assert_eq(compare_t[3], (uint64_t)(8000u * 3u + 4200u) * HCLK_PS, "every 125 us");
}

Test(fw_periph, tim_lazy_flags_without_consumers)
{
    static struct tim t2;
    struct periph p;
    const struct tim_wiring w = {"TIM2", TIM2_BASE, 0, TIM2_IRQ, TIM2_IRQ, tim_clk, NULL, NULL,
                                 NULL};
    tim_init(&t2, &fake_mcu, &w, &p);
    fake_add(&p);
    fake_write(TIM2_BASE + 0x2Cu, 999);
    fake_write(TIM2_BASE + 0x00u, 1u);
    cr_assert_eq(p.next_event_ps(p.state, 0), PERIPH_NO_EVENT);
    fake_mcu.now = (uint64_t)1000005u * HCLK_PS;
    cr_assert_eq(fake_read(TIM2_BASE + 0x24u), 5u, "CNT %u", fake_read(TIM2_BASE + 0x24u));
    cr_assert_neq(fake_read(TIM2_BASE + 0x10u) & 1u, 0u, "overflows seen by the catch-up");
    fake_write(TIM2_BASE + 0x10u, 0);
    fake_write(TIM2_BASE + 0x0Cu, 1u); /* UIE: now each update is an event and an interrupt */
    cr_assert_eq(p.next_event_ps(p.state, fake_mcu.now), (uint64_t)1001000u * HCLK_PS);
    fake_run_to((uint64_t)1001000u * HCLK_PS);
    cr_assert_eq(fake_mcu.irq_level[TIM2_IRQ], 1);
}

Test(fw_periph, usart_tx_dma_sends_each_byte_once_back_to_back)
{
    const uint8_t frame[4] = {0x55, 0xAA, 0x03, 0x22};
    memcpy(fake_sram(0x20000500u), frame, 4);
    fake_write(U3_BRR, 0x116);
    fake_write(U3_CR1, CR1_UE | CR1_TE);
    fake_run_to(FRAME_PS); /* after the idle preamble */
    fake_write(U3_CR3, 1u << 7); /* DMAT */
    fake_write(DMA_CPAR(2), U3_DR);
    fake_write(DMA_CMAR(2), 0x20000500u);
    fake_write(DMA_CNDTR(2), 4);
    fake_write(DMA_CCR(2), CCR_EN | CCR_MINC | (1u << 4)); /* memory to peripheral */
    fake_run_to(6u * FRAME_PS);
    uint8_t b[8];
    uint64_t t[8];
    cr_assert_eq(usart_tx_take(&u3, b, 8, t), 4u);
    for (unsigned i = 0; i < 4; i++) {
        cr_assert_eq(b[i], frame[i], "byte %u", i);
        cr_assert_eq(t[i], (2u + i) * (uint64_t)FRAME_PS, "byte %u back to back", i);
    }
    cr_assert_eq(fake_read(DMA_CNDTR(2)), 0u);
}

/* ---- state as a function of absolute time: advance in one call = advance in many ----------
 * Each scenario runs twice from a fresh setup: once with the blocks advanced only where the
 * core would (at their events and at the scenario's own accesses), once with every block also
 * advanced every STEP_PS in between. At each checkpoint the models' whole state, the SRAM the
 * DMA writes and the interrupt lines must be the same bytes. Not compared: the tallies of items
 * the DMA moved (dma.transfers, the fake core's request counts): a long lazy catch-up skips
 * whole ring cycles without moving them, which leaves the ring, CNDTR and the flags as moving
 * them would (compared). */

#define STEP_PS 1234567u   /* ~1.2 us, prime to every period used here */
#define CHECKPOINTS 8

static struct tim tim1_s;
static int fine_steps;

struct snapshot {
    struct usart u;
    struct dma d;
    struct adc a;
    struct tim t;
    uint8_t sram[0x800];
    int irq_level[FAKE_IRQS];
    uint64_t now;
};
static struct snapshot snaps[2][CHECKPOINTS];
static unsigned nsnap;

/* Time moves to t: at once (coarse) or in STEP_PS steps, each advancing every block. */
static void go(uint64_t t)
{
    if (fine_steps)
        while (fake_mcu.now + STEP_PS < t)
            fake_run_to(fake_mcu.now + STEP_PS);
    fake_run_to(t);
}

/* Time moves to t without advancing anything (coarse: as between two accesses of a block
 * whose conversions are no events), or in STEP_PS steps advancing every block (fine). */
static void go_quietly(uint64_t t)
{
    if (fine_steps)
        go(t);
    else
        fake_mcu.now = t;
}

static void checkpoint(int run)
{
    cr_assert_lt(nsnap, CHECKPOINTS);
    struct snapshot *s = &snaps[run][nsnap++];
    s->u = u3;
    s->d = dma;
    s->d.transfers = 0;   /* a tally of items moved, not state: see compare_runs */
    s->a = adc1;
    s->t = tim1_s;
    memcpy(s->sram, fake_sram(0x20000000u), sizeof s->sram);
    memcpy(s->irq_level, fake_mcu.irq_level, sizeof s->irq_level);
    s->now = fake_mcu.now;
}

static void compare_runs(void (*scenario)(int run))
{
    memset(snaps, 0, sizeof snaps);
    for (int run = 0; run < 2; run++) {
        setup();
        memset(&tim1_s, 0, sizeof tim1_s);
        fine_steps = run;
        nsnap = 0;
        scenario(run);
    }
    cr_assert_gt(nsnap, 0u);
    for (unsigned i = 0; i < nsnap; i++) {
        const struct snapshot *a = &snaps[0][i], *b = &snaps[1][i];
        cr_assert_eq(a->now, b->now);
        cr_expect(memcmp(&a->u, &b->u, sizeof a->u) == 0, "checkpoint %u: USART3 state differs", i);
        cr_expect(memcmp(&a->d, &b->d, sizeof a->d) == 0, "checkpoint %u: DMA1 state differs", i);
        cr_expect(memcmp(&a->a, &b->a, sizeof a->a) == 0,
                  "checkpoint %u: ADC1 state differs (DR %u/%u, conversions %llu/%llu)", i,
                  a->a.dr, b->a.dr, (unsigned long long)a->a.conversions,
                  (unsigned long long)b->a.conversions);
        cr_expect(memcmp(&a->t, &b->t, sizeof a->t) == 0, "checkpoint %u: TIM1 state differs", i);
        cr_expect(memcmp(a->sram, b->sram, sizeof a->sram) == 0, "checkpoint %u: SRAM differs", i);
        cr_expect(memcmp(a->irq_level, b->irq_level, sizeof a->irq_level) == 0,
                  "checkpoint %u: interrupt lines differ", i);
    }
}

/* USART3: RX by DMA into a ring, bytes arriving while others are taken, IDLE, a TX burst. */
static void usart_scenario(int run)
{
    (void)run;
    fake_write(U3_BRR, 0x116);
    fake_write(DMA_CPAR(3), U3_DR);
    fake_write(DMA_CMAR(3), 0x20000100u);
    fake_write(DMA_CNDTR(3), 16);
    fake_write(DMA_CCR(3), CCR_MINC | CCR_CIRC | CCR_EN);
    fake_write(U3_CR3, CR3_DMAR);
    fake_write(U3_CR1, CR1_UE | CR1_RE | CR1_TE | (1u << 4)); /* IDLEIE */
    const uint8_t reply[20] = {0x55, 0xAA, 0x0E, 0x25, 0x01, 0x30, 1, 0, 0x71, 0x0E,
                               0x2F, 0, 3, 0, 0x0A, 0x0E, 0x2B, 0x2B, 0x7B, 0xFE};
    usart_rx_queue(&u3, US(100), reply, 20);
    go(US(100) + 7u * FRAME_PS + FRAME_PS / 3u);
    checkpoint(run);
    fake_write(U3_DR, 0x55);              /* TX while RX runs */
    fake_write(U3_DR, 0xAA);
    go(US(1000));                         /* the reply is in, IDLE set, TX done */
    checkpoint(run);
    (void)fake_read(U3_SR);
    (void)fake_read(U3_DR);               /* clears IDLE */
    usart_rx_queue(&u3, US(1000) - 3u * FRAME_PS, reply, 20); /* started on the pin already */
    go(US(5000));
    checkpoint(run);
}

Test(fw_periph, usart_and_dma_state_does_not_depend_on_how_often_they_are_advanced)
{
    compare_runs(usart_scenario);
}

/* ADC1 continuous into a circular DMA ring with nobody interrupted by it (settled lazily),
 * its input changing between accesses, then the regular group started by TIM1's compare. */
static void adc_scenario(int run)
{
    fake_write(DMA_CPAR(1), ADC1_BASE + 0x4Cu);
    fake_write(DMA_CMAR(1), 0x20000400u);
    fake_write(DMA_CNDTR(1), 8);
    fake_write(DMA_CCR(1), CCR_16BIT | CCR_CIRC | CCR_MINC | CCR_EN);
    fake_write(ADC1_BASE + 0x10u, 3u << 6);       /* SMPR2: channel 2, 28.5 cycles */
    fake_write(ADC1_BASE + 0x34u, 2);
    adc_set_input(&adc1, 2, 2609);
    uint32_t cr2 = 1u | 2u | (1u << 8);           /* ADON, CONT, DMA */
    fake_write(ADC1_BASE + 0x08u, cr2);
    fake_write(ADC1_BASE + 0x08u, cr2);
    go(US(37));
    checkpoint(run);
    for (unsigned k = 0; k < 5; k++) {            /* the pack voltage moves once a "tick" */
        go(US(37) + US(13) * (k + 1u));
        adc_set_input(&adc1, 2, 2600u - 7u * k);
    }
    go(US(200));
    checkpoint(run);
    go_quietly(fake_mcu.now + US(5000));          /* a long silence, one catch-up */
    adc_set_input(&adc1, 2, 1234);                /* conversions before now saw 2572 */
    go(fake_mcu.now + US(3));
    checkpoint(run);
    for (unsigned k = 0; k < 4; k++) {            /* changes between accesses, none settled */
        go_quietly(fake_mcu.now + US(9) + k * 777u);
        adc_set_input(&adc1, 2, 1000u + 100u * k);
    }
    go(fake_mcu.now + US(20));
    checkpoint(run);
}

Test(fw_periph, adc_state_does_not_depend_on_how_often_it_is_advanced)
{
    compare_runs(adc_scenario);
}

/* TIM1 center-aligned with a compare consumer (exact events) and TIM1's flags settled lazily
 * once the consumer is gone. */
static void tim_scenario(int run)
{
    struct periph p;
    const struct tim_wiring w = {"TIM1", TIM1_BASE, 1, TIM1_UP_IRQ, TIM1_CC_IRQ, tim_clk,
                                 tim_compare_rec, tim_wants_ch4, NULL};
    tim_init(&tim1_s, &fake_mcu, &w, &p);
    fake_add(&p);
    compares = 0;
    fake_write(TIM1_BASE + 0x2Cu, 4000);
    fake_write(TIM1_BASE + 0x30u, 1);
    fake_write(TIM1_BASE + 0x40u, 3800);
    fake_write(TIM1_BASE + 0x1Cu, 0x6000);
    fake_write(TIM1_BASE + 0x0Cu, 1u);            /* UIE */
    fake_write(TIM1_BASE + 0x00u, 0x20u | 1u);
    go(US(321));
    checkpoint(run);
    fake_write(TIM1_BASE + 0x10u, 0);             /* flags cleared */
    fake_write(TIM1_BASE + 0x0Cu, 0u);            /* no interrupt: overflows settled lazily */
    go(US(2000));
    checkpoint(run);
}

Test(fw_periph, tim_state_does_not_depend_on_how_often_it_is_advanced)
{
    compare_runs(tim_scenario);
}
