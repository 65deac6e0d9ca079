/* adc.c: the pack voltage on ADC1 (channel 2, PA2, as on the M365 board: the stock image
 * converts it first in its regular group [O]), converted continuously into a DMA1 channel 1 word;
 * V[10 mV] = raw x 11305 >> 13 as the stock controller scales it [O]. */
#include "hal.h"
#include "stm32f103.h"

#define ADC_CHANNEL 2u
#define FIRST_SAMPLE_SPINS 20000u

static volatile uint16_t sample;

void adc_init(void)
{
    GPIO_CRL(GPIOA_BASE) = (GPIO_CRL(GPIOA_BASE) & ~(0xFu << (4u * ADC_CHANNEL))) |
                           (GPIO_MODE_ANALOG << (4u * ADC_CHANNEL));
    DMA1_CCR(1) = 0;
    DMA1_CPAR(1) = ADC1_DR_ADDR;
    DMA1_CMAR(1) = (uint32_t)(uintptr_t)&sample;
    DMA1_CNDTR(1) = 1;
    DMA1_CCR(1) = DMA_CCR_PSIZE16 | DMA_CCR_MSIZE16 | DMA_CCR_CIRC | DMA_CCR_EN;
    ADC1_SMPR2 = 7u << (3u * ADC_CHANNEL);  /* 239.5 cycles */
    ADC1_SQR1 = 0;                          /* one conversion in the sequence */
    ADC1_SQR3 = ADC_CHANNEL;
    ADC1_CR2 = ADC_CR2_ADON | ADC_CR2_CONT | ADC_CR2_DMA;   /* power up */
    ADC1_CR2 = ADC_CR2_ADON | ADC_CR2_CONT | ADC_CR2_DMA;   /* second ADON: start */
    /* The error-24 check samples the supply at the first main-loop tick: wait (bounded) for the
     * first conversion so it sees a real value. */
    for (uint32_t i = 0; i < FIRST_SAMPLE_SPINS && !(DMA1_ISR & DMA1_ISR_TCIF(1)); i++) {
    }
}

double adc_pack_volts(void)
{
    uint32_t raw = sample;
    return (double)((raw * 11305u) >> 13) / 100.0;
}
