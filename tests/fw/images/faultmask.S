@ faultmask.S: the PendSV handler sets FAULTMASK (cpsid f) and returns; exception return clears
@ FAULTMASK on exit from any handler but NMI's [S] ARMv7-M ARM B1.5.8 (DeActivate), so the
@ thread reads it as 0 and stores that at 0x20000000 (1 before the handler, 0xFF unwritten).
    .include "common.inc"
    .thumb_func
reset:
    ldr r2, =0x20000000
    movs r0, #0xFF
    str r0, [r2]
    ldr r3, =0xE000ED04       @ ICSR
    ldr r1, =0x10000000       @ PENDSVSET
    str r1, [r3]
    isb
    mrs r0, faultmask
    str r0, [r2]
    power_off
    .thumb_func
pendsv_handler:
    cpsid f
    mrs r0, faultmask
    ldr r1, =0x20000004
    str r0, [r1]
    bx lr
    .ltorg
    .include "vectors.inc"
