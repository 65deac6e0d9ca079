@ nest.S: IRQ0 (priority 0x80) pends IRQ1 (0x40), which preempts it (nested), then pends
@ PendSV (0xF0), which tail-chains after IRQ0 before the thread runs again. Each step appends
@ (tag, LR, ICSR.VECTACTIVE) to a log at 0x20000010 (count at 0x20000000); the thread logs
@ tag 5 last and powers off.
    .include "common.inc"
    .macro log tag
    ldr r0, =0x20000000
    ldr r1, [r0]
    add r2, r0, #0x10
    add r2, r2, r1, lsl #2
    movs r3, #\tag
    str r3, [r2]
    mov r3, lr
    str r3, [r2, #4]
    ldr r3, =0xE000ED04
    ldr r3, [r3]
    ubfx r3, r3, #0, #9
    str r3, [r2, #8]
    adds r1, r1, #3
    str r1, [r0]
    .endm
    .thumb_func
reset:
    ldr r0, =0xE000E400       @ IPR
    movs r1, #0x80
    strb r1, [r0]             @ IRQ0 priority 0x80
    movs r1, #0x40
    strb r1, [r0, #1]         @ IRQ1 priority 0x40
    ldr r0, =0xE000ED22
    movs r1, #0xF0
    strb r1, [r0]             @ SHPR3: PendSV priority 0xF0
    ldr r0, =0xE000E100
    movs r1, #3
    str r1, [r0]              @ ISER: IRQ0, IRQ1
    ldr r0, =0xE000E200
    movs r1, #1
    str r1, [r0]              @ ISPR: pend IRQ0 (taken right after this store)
    log 5
    power_off
    .thumb_func
irq0_handler:
    push {lr}
    log 1
    ldr r0, =0xE000E200
    movs r1, #2
    str r1, [r0]              @ pend IRQ1: preempts now
    log 3
    ldr r0, =0xE000ED04
    ldr r1, =0x10000000
    str r1, [r0]              @ PENDSVSET: lower priority, waits
    log 4
    pop {pc}
    .thumb_func
irq1_handler:
    log 2
    bx lr
    .thumb_func
pendsv_handler:
    push {lr}
    log 6
    pop {pc}
    .ltorg
    .include "vectors.inc"
