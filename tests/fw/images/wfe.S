@ wfe.S: SysTick every 1 ms with TICKINT. SEV sets the event register, so the first WFE goes
@ on at once (the handler's count, stored at 0x20000004, is still 0); each later WFE sleeps
@ until the next SysTick interrupt; after 3 the thread powers off (at 3 ms).
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
    sev
    wfe
    ldr r1, [r4]
    str r1, [r4, #4]
1:  wfe
    ldr r1, [r4]
    cmp r1, #3
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
