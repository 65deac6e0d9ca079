@ latency.S: SysTick LOAD = 999 with TICKINT from VAL = 0: the counter first reaches 0 after
@ 1000 cycles (15.625 us after the enabling store); the handler powers off at once. The thread
@ spins meanwhile, so only exact chunk ends give the interrupt on time.
    .include "common.inc"
    .thumb_func
reset:
    ldr r0, =0xE000E010
    ldr r1, =999
    str r1, [r0, #4]
    movs r1, #0
    str r1, [r0, #8]
    movs r1, #7
    str r1, [r0]              @ enable: instruction 6
1:  adds r2, #1
    b 1b
    .thumb_func
systick_handler:
    power_off
    .ltorg
    .include "vectors.inc"
