/* mcu.h: the emulated STM32F103 (Cortex-M3 over Unicorn 2) that runs a controller firmware
 * image in deterministic virtual time; the public API of rig/fw/ (owner: branch fw-emu).
 *
 * Layout: rig/fw/core/ (CPU, memory map, exception entry/return, virtual time), rig/fw/periph/
 * (one file per peripheral), rig/fw/board/ (the M365 wiring: which USART is which bus, the ADC
 * channel of the pack voltage, halls, PC14). Callers see only this header.
 *
 * Scenarios observe the controller over its buses (UART bytes) only; the read-outs at the end
 * (instructions, PC) are for benchmarks and diagnostics, never for verdicts.
 *
 * Determinism: the same image, configuration and the same inputs (rx bytes at the same times,
 * the same analog values set at the same points between runs) give the same tx bytes at the
 * same times. Not thread-safe: one mcu is used by one thread at a time.
 *
 * This header changes only additively (fw-dut and fw-image code against it). */
#ifndef BMSRIG_FW_MCU_H
#define BMSRIG_FW_MCU_H

#include <stddef.h>
#include <stdint.h>

#include "sim/status.h"

/* Default flash address of a flat image: the first 4 KiB belong to the (absent) bootloader. */
#define MCU_DEFAULT_BASE 0x08001000u
/* Default cost of one instruction: 1/64 MHz (the M365's HCLK) = 15.625 ns, kept in ps. */
#define MCU_DEFAULT_INSN_PS 15625u
/* The emulated flash-EEPROM page holding the register-file image. [O] */
#define MCU_EEPROM_PAGE 0x0800F800u
#define MCU_EEPROM_LEN 0x800u          /* its two 1 KiB pages [O] */
#define MCU_EEPROM_UID_OFFSET 0x1B4u    /* copy of the 96-bit unique ID (else error 27) [O] */
#define MCU_EEPROM_SERIAL_OFFSET 0x20u  /* ESC serial, 14 ASCII chars (else error 35) [O] */
#define MCU_SERIAL_LEN 14
/* Serial written by default: not the firmware's default (which would give error 35). */
#define MCU_DEFAULT_ESC_SERIAL "16133/00112233"

/* Returned by mcu_run_until when the firmware requested a system reset (AIRCR SYSRESETREQ):
 * on an M365 the controller powering itself off. Distinct from every BMSRIG_ERR_* code. */
#define MCU_POWERED_OFF 1

/* UART ports by bus (board wiring). */
enum mcu_port {
    MCU_USART1 = 0, /* dashboard / BLE bus (one-wire, 115200) */
    MCU_USART3 = 1, /* BMS data line (two-wire, 115200 8N1) */
    MCU_PORT_COUNT
};

/* Sink for log lines (unknown register accesses at verbosity >= 1, boot notes at >= 2).
 * `line` has no trailing newline. NULL sink: lines go to stderr when verbosity >= 1. */
typedef void (*mcu_log_fn)(void *user, const char *line);

/* Flash-EEPROM provisioning applied after the image is loaded, before reset. */
struct mcu_provision {
    int blank;           /* 1: leave the EEPROM pages erased (0xFF), first-boot defaults; the
                            two options below are then ignored */
    int copy_uid;        /* 1 (default): the unique ID at byte 0x1B4 of the page */
    const char *serial;  /* ESC serial at byte 0x20: MCU_SERIAL_LEN ASCII chars; NULL = the
                            default MCU_DEFAULT_ESC_SERIAL; "" = leave unwritten */
    uint8_t uid[12];     /* the 96-bit unique ID the part reports at 0x1FFFF7E8 (and copies);
                            all zero = a fixed default ID */
    /* Starting contents of the EEPROM pages from MCU_EEPROM_PAGE (up to MCU_EEPROM_LEN bytes,
     * copied), before the UID and serial are patched in; NULL = erased. For a stock image,
     * whose boot replaces a page without its own header by its defaults: boot once with
     * `blank`, read the programmed pages (mcu_read_memory), start again from them. */
    const uint8_t *eeprom;
    size_t eeprom_len;
};

struct mcu_config {
    /* The image: either a path, or bytes (then `image_name` names it in messages). */
    const char *image_path;
    const uint8_t *image;     /* used when image_path is NULL; copied by mcu_new */
    size_t image_len;
    const char *image_name;   /* for messages when loading from bytes; NULL = "<memory>" */
    uint32_t base;            /* flash load address; 0 = MCU_DEFAULT_BASE */
    struct mcu_provision provision;
    uint32_t insn_ps;         /* virtual cost of one instruction in ps; 0 = MCU_DEFAULT_INSN_PS */
    int verbosity;            /* 0 quiet (unknown accesses only counted), 1 log them, 2 notes */
    int no_poll_skip;         /* 1: run polling loops instead of skipping them (WFI still
                                 sleeps); the bus timing must not change, which checks the
                                 skipping */
    mcu_log_fn log;
    void *log_user;
    const char *cpu;          /* the CPU backend (mcu_cpu_backend_name): "unicorn" or "interp";
                                 NULL = MCU_DEFAULT_CPU. Both give the same bus timing. */
};

/* The default CPU backend, the interpreter: 1.4-2.3x Unicorn's speed, instruction for instruction the same (fw_lockstep:
 * every register after every step, on our image and a stock one); Unicorn stays as the check. */
#define MCU_DEFAULT_CPU "interp"
/* The name of CPU backend i (0, 1, ...), NULL past the last. */
const char *mcu_cpu_backend_name(unsigned i);

/* Fills `cfg` with the defaults above (no image). */
void mcu_config_defaults(struct mcu_config *cfg);

struct mcu;

/* Loads and validates the image and resets the MCU at virtual time 0. A missing, unreadable,
 * empty or truncated image, one that is not a Cortex-M vector table (initial SP not in SRAM,
 * reset vector not odd/Thumb or not inside the image), or one loaded at a wrong base: BMSRIG_ERR_IO
 * (unreadable) or BMSRIG_ERR_ARG / BMSRIG_ERR_PARSE with a message naming the image in `err`
 * (the caller exits 2). BMSRIG_ERR_NOMEM, or BMSRIG_ERR_IO if Unicorn cannot be opened.
 * On success *out is owned by the caller: mcu_free. */
int mcu_new(const struct mcu_config *cfg, struct mcu **out, char *err, size_t errcap);

/* NULL-safe. */
void mcu_free(struct mcu *m);

/* Runs the firmware until virtual time t_ns (no-op if already there). Instructions always cost
 * time, so a firmware spinning without touching a peripheral still returns after bounded work.
 * While the firmware busy-waits on SysTick COUNTFLAG or a peripheral status flag, or sleeps in
 * WFI, time jumps to the next event (never past one the firmware has not seen).
 * Returns BMSRIG_OK; MCU_POWERED_OFF when it requested a reset (SYSRESETREQ; the MCU stays
 * stopped, further calls return MCU_POWERED_OFF); BMSRIG_ERR_STATE with "IMAGE: <what> at PC
 * 0x..." in err on a bad memory access, undefined instruction, hard fault or lockup (the MCU
 * stays stopped, further calls return the same error). */
int mcu_run_until(struct mcu *m, uint64_t t_ns, char *err, size_t errcap);

/* Queues bytes that arrive at the port's RX pin starting at t_ns (>= the current virtual time,
 * else they start now), one byte per frame time at the port's configured baud (86.8 us at
 * 115200), after any bytes already queued. Delivered into RDR / the DMA ring at their due time.
 * BMSRIG_ERR_ARG for a bad port, BMSRIG_ERR_RANGE if the queue is full. */
int mcu_uart_rx(struct mcu *m, enum mcu_port port, uint64_t t_ns, const uint8_t *bytes, size_t n);

/* Takes up to `cap` bytes the firmware finished sending on `port` (stop bit done), oldest first;
 * t_ns_out (may be NULL) gets each byte's completion time. Returns the count (0 if none). */
size_t mcu_uart_tx_take(struct mcu *m, enum mcu_port port, uint8_t *buf, size_t cap,
                        uint64_t *t_ns_out);

/* Analog and pin inputs (board wiring). Defaults: pack 36.0 V, phase currents at mid-scale,
 * DC-link current 0, a valid hall state, PC14 high (power button released). Take effect at the
 * next conversion / read. */
void mcu_set_pack_voltage(struct mcu *m, double volts); /* raw = V*100*8192/11305, clamped */
void mcu_set_hall_state(struct mcu *m, unsigned state); /* 1..6 valid; 0 and 7 are faults */
void mcu_set_power_button(struct mcu *m, int pressed);  /* PC14 low while pressed */

/* Read-outs for benchmarks and diagnostics only. */
uint64_t mcu_time_ns(const struct mcu *m);
uint64_t mcu_instructions(const struct mcu *m);
uint32_t mcu_pc(const struct mcu *m);
uint64_t mcu_unknown_accesses(const struct mcu *m); /* register accesses nothing modelled */
uint64_t mcu_idle_ns(const struct mcu *m);          /* virtual time skipped (WFI, polling) */
uint64_t mcu_exceptions_taken(const struct mcu *m); /* exception entries (interrupts, SVC) */
/* Copies n bytes of the MCU's memory (flash, SRAM, system memory) at addr, for tests and
 * diagnostics (never for scenario verdicts). BMSRIG_ERR_ARG if any byte is not memory. */
int mcu_read_memory(struct mcu *m, uint32_t addr, void *buf, size_t n);

/* Lockstep comparison of CPU backends (tests, diagnostics): mcu_run_until that also returns
 * once the executed instruction count reaches max_insns (never inside an IT block; the same
 * places under every backend). */
int mcu_run_insns(struct mcu *m, uint64_t t_ns, uint64_t max_insns, char *err, size_t errcap);
/* R0-R15, xPSR (flags, ITSTATE, T; no IPSR), MSP, PSP, PRIMASK, BASEPRI, FAULTMASK, CONTROL. */
#define MCU_CORE_REGS 23
void mcu_core_regs(const struct mcu *m, uint32_t regs[MCU_CORE_REGS]);
const char *mcu_core_reg_name(unsigned i);

#endif
