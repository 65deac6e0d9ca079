/* startup.c: reset handler and vector table of bmsrig's own controller firmware (STM32F103
 * medium density: 16 core entries and 43 interrupts, RM0008 table 63). The table sits at the
 * image's start (0x08001000, after the 4 KiB bootloader) and VTOR is pointed at it. */
#include <stdint.h>

#include "hal.h"
#include "stm32f103.h"

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;
extern uint32_t __vector_table_start;
int main(void);
void SysTick_Handler(void);

void Reset_Handler(void);
void Default_Handler(void);

void Default_Handler(void)
{
    for (;;) {
    }
}

void Reset_Handler(void)
{
    SCB_VTOR = (uint32_t)(uintptr_t)&__vector_table_start;
    uint32_t *src = &_sidata;
    for (uint32_t *dst = &_sdata; dst < &_edata;)
        *dst++ = *src++;
    for (uint32_t *dst = &_sbss; dst < &_ebss;)
        *dst++ = 0;
    main();
    Default_Handler();
}

#define CORE_VECTORS 16
#define IRQ_VECTORS 43

__attribute__((section(".isr_vector"), used))
static const uintptr_t vectors[CORE_VECTORS + IRQ_VECTORS] = {
    [0] = (uintptr_t)&_estack,
    [1] = (uintptr_t)Reset_Handler,
    [2 ... 14] = (uintptr_t)Default_Handler,
    [15] = (uintptr_t)SysTick_Handler,
    [CORE_VECTORS ... CORE_VECTORS + DMA1_CHANNEL_IRQ(2) - 1] = (uintptr_t)Default_Handler,
    [CORE_VECTORS + DMA1_CHANNEL_IRQ(2)] = (uintptr_t)DMA1_Channel2_IRQHandler,
    [CORE_VECTORS + DMA1_CHANNEL_IRQ(3)] = (uintptr_t)Default_Handler,
    [CORE_VECTORS + DMA1_CHANNEL_IRQ(4)] = (uintptr_t)DMA1_Channel4_IRQHandler,
    [CORE_VECTORS + DMA1_CHANNEL_IRQ(5) ... CORE_VECTORS + IRQ_VECTORS - 1] =
        (uintptr_t)Default_Handler,
};
