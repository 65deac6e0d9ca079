/* dut_firmware.h: a controller firmware image as the device under test: the image runs on the
 * emulated STM32F103 (rig/fw/mcu.h), stepped by the scenario engine's virtual clock. Its USART3
 * is the BMS data line on the link's in-process byte-timed wire (so every protocol fault acts on
 * it as on the virtual controller), its USART1 the dashboard bus driven by the dashboard model
 * (sim/dash/dash.h), its ADC pack voltage the pack model's terminal voltage. The controller is
 * observed over its buses only: error code, speed and version come from the dashboard model.
 *
 * Owner: rig/dut/ (issue 11, branch fw-dut). One per scenario run (each has its own MCU, so
 * runs in parallel are independent); not thread-safe. */
#ifndef BMSRIG_RIG_DUT_FIRMWARE_H
#define BMSRIG_RIG_DUT_FIRMWARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rig/fw/mcu.h"

struct link;
struct dut_firmware;

#define DUT_FW_MSG_MAX 512
/* Substeps a tick may take to follow the wire's events (bounds the work per tick). */
#define DUT_FW_SUBSTEPS_MAX 256

struct dut_firmware_config {
    const char *image_path;           /* borrowed for the object's life */
    uint32_t base;                    /* 0 = MCU_DEFAULT_BASE */
    struct mcu_provision provision;   /* as mcu_config_defaults sets it */
    int verbosity;                    /* unknown register accesses logged at >= 1 */
    int no_poll_skip;                 /* 1: mcu_config.no_poll_skip (polling loops run) */
    const char *cpu;                  /* mcu_config.cpu (NULL: the default backend); borrowed */
};

/* Defaults: no image, default base, the MCU's default provisioning (UID copied, a non-default
 * ESC serial). */
void dut_firmware_config_default(struct dut_firmware_config *cfg);

/* The EEPROM pages the image programs on a blank first boot (300 ms of virtual time), cached
 * per image and base for the process (thread-safe): true and `page` filled if it wrote any
 * (a stock image: its own header and defaults, where the UID and serial are then patched in),
 * false if it left them erased (our image). Used by dut_firmware_open and `esc --firmware`. */
bool dut_firmware_first_boot_pages(const struct dut_firmware_config *cfg,
                                   uint8_t page[MCU_EEPROM_LEN]);

/* Loads and validates the image (mcu_new). A missing, empty, truncated, non-Thumb image or a
 * wrong base: the MCU's status with a message naming the image in err (the caller exits 2).
 * *out owned: dut_firmware_close. Unpowered until dut_firmware_power_on. */
int dut_firmware_open(const struct dut_firmware_config *cfg, struct dut_firmware **out,
                      char *err, size_t errcap);
void dut_firmware_close(struct dut_firmware *d);   /* NULL-safe */

/* Power-on at now_us resets the MCU (a fresh one from the image: a power cycle). BMSRIG_OK or
 * the MCU's status with the reason in the object's message (dut_firmware_message). */
int dut_firmware_power_on(struct dut_firmware *d, int64_t now_us);
void dut_firmware_power_off(struct dut_firmware *d);
/* False after power-off or when the firmware powered itself off (SYSRESETREQ). */
bool dut_firmware_powered(const struct dut_firmware *d);

/* One engine tick up to now_us with the pack's terminal voltage on the ADC and the rider's
 * levers on the dashboard: the firmware runs to now, its BMS bytes go onto the link's wire and
 * the BMS's come back at their arrival times, the dashboard model polls. BMSRIG_OK, or
 * BMSRIG_ERR_STATE when the firmware faulted (bad access, undefined instruction, hard fault,
 * lockup): dut_firmware_message names the image and the PC, the MCU stays stopped. */
int dut_firmware_tick(struct dut_firmware *d, struct link *l, int64_t now_us, double pack_v,
                      double throttle, double brake);

/* The last fault or power-on failure ("" if none). Borrowed. */
const char *dut_firmware_message(const struct dut_firmware *d);

/* The error word the dashboard model last read; before the first reply 0 while the controller
 * boots (up to DUT_FW_BOOT_GRACE_NS after power-on: a dashboard shows no error then), -1 after
 * that, after power-off, and once the controller has not answered the dashboard for 1 s (a hung
 * firmware is not "no error"). */
int dut_firmware_error(const struct dut_firmware *d);
/* The speed word 0xB5 in km/h (0 before any reply). */
double dut_firmware_speed_kmh(const struct dut_firmware *d);
/* The firmware version word 0x1A as the dashboard model read it from the controller over the
 * bus (0x0134 = 1.3.4): true and *out set once a non-zero one was answered, false before (never
 * guessed). It survives power-off: the image does not change. */
bool dut_firmware_version(const struct dut_firmware *d, uint16_t *out);
/* Whether the controller answered the dashboard within the last second. */
bool dut_firmware_alive(const struct dut_firmware *d, int64_t now_us);

/* Bytes the firmware sent on the BMS line, bytes it received there. */
uint64_t dut_firmware_bms_bytes_out(const struct dut_firmware *d);
uint64_t dut_firmware_bms_bytes_in(const struct dut_firmware *d);
/* The image path (borrowed). */
const char *dut_firmware_image(const struct dut_firmware *d);
/* The CPU backend cfg selects: cfg->cpu, or the MCU's default when NULL (static text). */
const char *dut_firmware_cpu_name(const struct dut_firmware_config *cfg);

#endif
