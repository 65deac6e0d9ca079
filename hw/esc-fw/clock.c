/* clock.c: system clock of bmsrig's own controller firmware: HSI / 2 x 16 = 64 MHz like the
 * stock M365 controller [O], with bounded waits (a missing ready bit does not hang the boot). */
#include "hal.h"
#include "stm32f103.h"

#define READY_SPINS 100000u

void clock_init(void)
{
    FLASH_ACR = FLASH_ACR_LATENCY2 | FLASH_ACR_PRFTBE;
    RCC_CR |= RCC_CR_HSION;
    for (uint32_t i = 0; i < READY_SPINS && !(RCC_CR & RCC_CR_HSIRDY); i++) {
    }
    RCC_CFGR = RCC_CFGR_PLLMUL16 | RCC_CFGR_PPRE1_DIV2 | RCC_CFGR_ADCPRE_DIV6;
    RCC_CR |= RCC_CR_PLLON;
    for (uint32_t i = 0; i < READY_SPINS && !(RCC_CR & RCC_CR_PLLRDY); i++) {
    }
    RCC_CFGR |= RCC_CFGR_SW_PLL;
    for (uint32_t i = 0; i < READY_SPINS && (RCC_CFGR & RCC_CFGR_SWS_MASK) != RCC_CFGR_SWS_PLL;
         i++) {
    }
    RCC_AHBENR |= RCC_AHBENR_DMA1EN;
    RCC_APB2ENR |= RCC_APB2ENR_IOPAEN | RCC_APB2ENR_IOPBEN | RCC_APB2ENR_ADC1EN |
                   RCC_APB2ENR_USART1EN;
    RCC_APB1ENR |= RCC_APB1ENR_USART3EN;
}
