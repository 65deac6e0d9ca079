@ svc.S: SVC #7 enters the SVCall handler, which reads the immediate from the instruction
@ before the stacked PC, stores it at 0x20000000, returns; the thread then powers off.
    .include "common.inc"
    .thumb_func
reset:
    svc #7
    ldr r0, =0x20000000
    ldr r1, [r0]
    cmp r1, #7
    bne unexpected
    power_off
    .thumb_func
svc_handler:
    ldr r0, [sp, #24]         @ stacked PC
    ldrb r0, [r0, #-2]        @ the SVC's immediate
    ldr r1, =0x20000000
    str r0, [r1]
    bx lr
    .ltorg
    .include "vectors.inc"
