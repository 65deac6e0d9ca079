@ frame.S: SysTick interrupts a spinning thread with known registers on a stack pointer that
@ is 4 mod 8; the handler records its SP and LR at 0x20000000 and powers off. The test reads
@ the stacked frame.
    .include "common.inc"
    .thumb_func
reset:
    ldr r0, =0xE000E010       @ SysTick
    movs r1, #199
    str r1, [r0, #4]          @ LOAD = 199
    movs r1, #0
    str r1, [r0, #8]          @ VAL = 0
    ldr r0, =0x20004FFC
    mov sp, r0
    ldr r0, =0x0800ABCD
    mov lr, r0
    movs r1, #0x11
    movs r2, #0x12
    movs r3, #0x13
    mov r12, r3
    add r12, r12, #0x09       @ r12 = 0x1C
    ldr r4, =0xE000E010
    movs r5, #7
    movs r0, #0x10
    str r5, [r4]              @ CTRL = ENABLE | TICKINT | CLKSOURCE
    .global spin
spin:
    b spin
    .thumb_func
systick_handler:
    ldr r0, =0x20000000
    mov r1, sp
    str r1, [r0]
    mov r1, lr
    str r1, [r0, #4]
    power_off
    .ltorg
    .include "vectors.inc"
