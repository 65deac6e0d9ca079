@ hardfault.S: a load from unmapped 0x30000000 faults; the image has a HardFault handler
@ (a spin), which the core enters before it stops the run with the fault's PC.
    .include "common.inc"
    .thumb_func
reset:
    ldr r0, =0x30000000
    movs r1, #0x21
fault:
    ldr r2, [r0]
    power_off
    .thumb_func
hardfault_handler:
spin:
    b spin
    .ltorg
    .include "vectors.inc"
