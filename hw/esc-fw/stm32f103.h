/* stm32f103.h: the few STM32F103 / Cortex-M3 registers bmsrig's own controller firmware uses,
 * written from RM0008 (STM32F10x reference manual) and the Cortex-M3 TRM; no vendor headers.
 * Owned by hw/esc-fw. Only the peripherals FW-CONTRACT.md allows (RCC, FLASH, GPIO, USART1/3,
 * DMA1, ADC1, SysTick, NVIC, SCB). */
#ifndef BMSRIG_ESC_FW_STM32F103_H
#define BMSRIG_ESC_FW_STM32F103_H

#include <stdint.h>

#define REG32(addr) (*(volatile uint32_t *)(uintptr_t)(addr))

/* RCC, RM0008 section 7.3 */
#define RCC_BASE 0x40021000u
#define RCC_CR REG32(RCC_BASE + 0x00u)
#define RCC_CFGR REG32(RCC_BASE + 0x04u)
#define RCC_AHBENR REG32(RCC_BASE + 0x14u)
#define RCC_APB2ENR REG32(RCC_BASE + 0x18u)
#define RCC_APB1ENR REG32(RCC_BASE + 0x1Cu)
#define RCC_CR_HSION (1u << 0)
#define RCC_CR_HSIRDY (1u << 1)
#define RCC_CR_PLLON (1u << 24)
#define RCC_CR_PLLRDY (1u << 25)
#define RCC_CFGR_SW_PLL (2u << 0)
#define RCC_CFGR_SWS_MASK (3u << 2)
#define RCC_CFGR_SWS_PLL (2u << 2)
#define RCC_CFGR_PPRE1_DIV2 (4u << 8)       /* APB1 = HCLK / 2 (max 36 MHz) */
#define RCC_CFGR_ADCPRE_DIV6 (2u << 14)     /* ADCCLK = PCLK2 / 6 (max 14 MHz) */
#define RCC_CFGR_PLLMUL16 (14u << 18)       /* PLL x16; PLLSRC = 0: HSI / 2 */
#define RCC_AHBENR_DMA1EN (1u << 0)
#define RCC_APB2ENR_IOPAEN (1u << 2)
#define RCC_APB2ENR_IOPBEN (1u << 3)
#define RCC_APB2ENR_ADC1EN (1u << 9)
#define RCC_APB2ENR_USART1EN (1u << 14)
#define RCC_APB1ENR_USART3EN (1u << 18)

/* FLASH interface, RM0008 section 3.3.3 */
#define FLASH_ACR REG32(0x40022000u)
#define FLASH_ACR_LATENCY2 (2u << 0)        /* two wait states for 48 < SYSCLK <= 72 MHz */
#define FLASH_ACR_PRFTBE (1u << 4)

/* GPIO, RM0008 section 9.2: port configuration registers, 4 bits per pin */
#define GPIOA_BASE 0x40010800u
#define GPIOB_BASE 0x40010C00u
#define GPIO_CRL(base) REG32((base) + 0x00u)
#define GPIO_CRH(base) REG32((base) + 0x04u)
#define GPIO_MODE_AF_PP_50MHZ 0xBu          /* CNF = 10, MODE = 11 */
#define GPIO_MODE_INPUT_FLOAT 0x4u          /* CNF = 01, MODE = 00 */
#define GPIO_MODE_ANALOG 0x0u

/* USART, RM0008 section 27.6 */
#define USART1_BASE 0x40013800u
#define USART3_BASE 0x40004800u
#define USART_SR(base) REG32((base) + 0x00u)
#define USART_DR(base) REG32((base) + 0x04u)
#define USART_BRR(base) REG32((base) + 0x08u)
#define USART_CR1(base) REG32((base) + 0x0Cu)
#define USART_CR3(base) REG32((base) + 0x14u)
#define USART_SR_TXE (1u << 7)
#define USART_CR1_RE (1u << 2)
#define USART_CR1_TE (1u << 3)
#define USART_CR1_UE (1u << 13)
#define USART_CR3_DMAR (1u << 6)
#define USART_CR3_DMAT (1u << 7)

/* DMA1, RM0008 section 13.4: channel n (1..7) registers at 0x08 + 20 (n - 1) */
#define DMA1_BASE 0x40020000u
#define DMA1_ISR REG32(DMA1_BASE + 0x00u)
#define DMA1_IFCR REG32(DMA1_BASE + 0x04u)
#define DMA1_CCR(n) REG32(DMA1_BASE + 0x08u + 20u * ((n) - 1u))
#define DMA1_CNDTR(n) REG32(DMA1_BASE + 0x0Cu + 20u * ((n) - 1u))
#define DMA1_CPAR(n) REG32(DMA1_BASE + 0x10u + 20u * ((n) - 1u))
#define DMA1_CMAR(n) REG32(DMA1_BASE + 0x14u + 20u * ((n) - 1u))
#define DMA_CCR_EN (1u << 0)
#define DMA_CCR_TCIE (1u << 1)
#define DMA_CCR_DIR (1u << 4)               /* memory to peripheral */
#define DMA_CCR_CIRC (1u << 5)
#define DMA_CCR_MINC (1u << 7)
#define DMA_CCR_PSIZE16 (1u << 8)
#define DMA_CCR_MSIZE16 (1u << 10)
#define DMA1_ISR_TCIF(n) (1u << (4u * ((n) - 1u) + 1u))
#define DMA1_IFCR_CGIF(n) (1u << (4u * ((n) - 1u)))
#define DMA1_CHANNEL_IRQ(n) (10u + (n))     /* DMA1 channel 1 = IRQ 11 [S] table 63 */

/* ADC1, RM0008 section 11.12 */
#define ADC1_BASE 0x40012400u
#define ADC1_CR2 REG32(ADC1_BASE + 0x08u)
#define ADC1_SMPR2 REG32(ADC1_BASE + 0x10u)
#define ADC1_SQR1 REG32(ADC1_BASE + 0x2Cu)
#define ADC1_SQR3 REG32(ADC1_BASE + 0x34u)
#define ADC1_DR_ADDR (ADC1_BASE + 0x4Cu)
#define ADC_CR2_ADON (1u << 0)
#define ADC_CR2_CONT (1u << 1)
#define ADC_CR2_DMA (1u << 8)

/* Cortex-M3 system: SysTick, SCB */
#define SYST_CSR REG32(0xE000E010u)
#define SYST_RVR REG32(0xE000E014u)
#define SYST_CVR REG32(0xE000E018u)
#define SYST_CSR_ENABLE (1u << 0)
#define SYST_CSR_TICKINT (1u << 1)
#define SYST_CSR_CLKSOURCE (1u << 2)        /* processor clock (HCLK) */
#define SCB_VTOR REG32(0xE000ED08u)
#define SCB_AIRCR REG32(0xE000ED0Cu)
#define SCB_AIRCR_SYSRESETREQ (0x05FAu << 16 | 1u << 2)   /* VECTKEY + SYSRESETREQ */
#define NVIC_ISER(n) REG32(0xE000E100u + 4u * (n))

#define HCLK_HZ 64000000u                   /* HSI / 2 x 16 */
#define PCLK1_HZ (HCLK_HZ / 2u)
#define PCLK2_HZ HCLK_HZ

#endif
