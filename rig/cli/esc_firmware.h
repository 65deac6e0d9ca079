/* esc_firmware.h: `bmsrig esc --firmware IMAGE`: a controller firmware image on the emulated
 * STM32F103 (rig/fw/mcu.h) in real time, its USART3 on a serial device or a new pty (the BMS
 * line), its USART1 driven by the dashboard model (sim/dash/dash.h), its ADC at a fixed pack
 * voltage. Owner: rig/cli (issue 11, branch fw-periph). */
#ifndef BMSRIG_RIG_CLI_ESC_FIRMWARE_H
#define BMSRIG_RIG_CLI_ESC_FIRMWARE_H

#include <stdint.h>

#include "rig/fw/mcu.h"

struct esc_firmware_options {
    const char *image;            /* the flat binary */
    uint32_t base;                /* 0 = MCU_DEFAULT_BASE */
    struct mcu_provision provision;
    int verbosity;                /* unknown register accesses logged at >= 1 */
    const char *cpu;              /* the CPU backend (mcu_config.cpu); NULL = the default */
    const char *bms_port;         /* a serial device, or NULL: a new pty (its path printed) */
    double duration_s;            /* 0 = until SIGINT/SIGTERM */
    double pack_v;                /* the ADC's pack voltage */
    double throttle, brake;       /* the dashboard's levers, 0..1 */
};

/* Runs until the duration, a signal, the firmware powering itself off (SYSRESETREQ) or
 * faulting. Prints the pty path (with --bms-pty) first, then a line per dashboard-observed
 * error change, and a summary. Returns a CLI exit code: 0 done (or powered off), 1 the firmware
 * faulted, 2 a bad image, 3 a serial error, 4 interrupted. */
int esc_firmware_run(const struct esc_firmware_options *o);

#endif
