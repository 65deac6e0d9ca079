@ ipsr.S: MRS IPSR reads 0 in the thread and the exception number (11, SVCall) in the
@ handler; MRS xPSR there carries it too. Stored at 0x20000000, 04, 08; then power-off.
    .include "common.inc"
    .thumb_func
reset:
    ldr r4, =0x20000000
    mrs r0, ipsr
    str r0, [r4]
    svc #1
    power_off
    .thumb_func
svc_handler:
    mrs r1, ipsr
    mrs r2, xpsr
    ldr r4, =0x20000000
    str r1, [r4, #4]
    str r2, [r4, #8]
    bx lr
    .ltorg
    .include "vectors.inc"
