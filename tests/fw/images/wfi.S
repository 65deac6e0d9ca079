@ wfi.S: SysTick every 1 ms (64000 cycles at 64 MHz) with TICKINT; the thread sleeps in WFI
@ until the handler has counted 5 interrupts, then powers off (at 5 ms).
    .include "common.inc"
    .thumb_func
reset:
    ldr r0, =0xE000E010
    ldr r1, =63999
    str r1, [r0, #4]
    movs r1, #0
    str r1, [r0, #8]
    movs r1, #7
    str r1, [r0]
    ldr r4, =0x20000000
1:  wfi
    ldr r1, [r4]
    cmp r1, #5
    blt 1b
    power_off
    .thumb_func
systick_handler:
    ldr r0, =0x20000000
    ldr r1, [r0]
    adds r1, #1
    str r1, [r0]
    bx lr
    .ltorg
    .include "vectors.inc"
