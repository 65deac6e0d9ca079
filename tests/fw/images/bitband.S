@ bitband.S: sets and clears bits through both bit-band aliases and records what the normal
@ addresses and the aliases read back, at 0x20000000.. (the test compares).
    .include "common.inc"
    .thumb_func
reset:
    ldr r6, =0x20000000       @ results
    ldr r0, =0x20000100
    ldr r1, =0x80000001
    str r1, [r0]              @ the SRAM word starts as 0x80000001
    ldr r2, =0x22002000       @ alias of 0x20000100 bit 0 (0x22000000 + 0x100 * 32)
    movs r3, #1
    str r3, [r2, #(5 * 4)]    @ set bit 5
    movs r3, #0
    str r3, [r2, #(31 * 4)]   @ clear bit 31
    ldr r1, [r0]
    str r1, [r6]              @ [0] = 0x00000021
    ldr r1, [r2, #(5 * 4)]
    str r1, [r6, #4]          @ [1] = 1 (bit 5 through the alias)
    ldr r1, [r2, #(4 * 4)]
    str r1, [r6, #8]          @ [2] = 0 (bit 4)
    ldr r2, =0x42420300       @ alias of RCC_APB2ENR (0x40021018) bit 0
    movs r3, #1
    str r3, [r2, #(3 * 4)]    @ IOPBEN
    str r3, [r2, #(14 * 4)]   @ USART1EN
    movs r3, #0
    str r3, [r2, #(3 * 4)]    @ clear IOPBEN again
    ldr r0, =0x40021018
    ldr r1, [r0]
    str r1, [r6, #12]         @ [3] = 0x4000
    ldr r1, [r2, #(14 * 4)]
    str r1, [r6, #16]         @ [4] = 1
    ldrb r1, [r2, #(14 * 4)]
    str r1, [r6, #20]         @ [5] = 1 (a byte access to the alias)
    power_off
    .ltorg
    .include "vectors.inc"
