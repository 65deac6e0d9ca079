@ faults.S: one faulting instruction at `fault`, patched in by the test (4 bytes of NOPs here):
@ r0 an unmapped address, r1 a Thumb address in SRAM, r2 an ARM (even) address in the image,
@ r3 the image's first flash word, r4 the flash-EEPROM window (no FLASH_CR.PG), r5 unaligned.
    .include "common.inc"
    .thumb_func
reset:
    ldr r0, =0x30000000
    ldr r1, =0x20000001
    ldr r2, =0x08001000
    ldr r3, =0x08001000
    ldr r4, =0x0800F800
    ldr r5, =0x20000002
fault:
    nop
    nop
    power_off
    .ltorg
    .include "vectors.inc"
