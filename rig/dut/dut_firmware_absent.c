/* dut_firmware_absent.c: the firmware target in a build without the MCU emulator (rig/fw):
 * opening an image says so; nothing else is reachable since no object can exist. */
#include "rig/dut/dut_firmware.h"

#include <stdio.h>
#include <string.h>

#include "sim/status.h"

void dut_firmware_config_default(struct dut_firmware_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->provision.copy_uid = 1;
}

int dut_firmware_open(const struct dut_firmware_config *cfg, struct dut_firmware **out,
                      char *err, size_t errcap)
{
    *out = NULL;
    snprintf(err, errcap, "%s: this bmsrig was built without the firmware emulator (rig/fw)",
             cfg && cfg->image_path ? cfg->image_path : "--firmware");
    return BMSRIG_ERR_STATE;
}

void dut_firmware_close(struct dut_firmware *d) { (void)d; }
int dut_firmware_power_on(struct dut_firmware *d, int64_t now_us)
{
    (void)d, (void)now_us;
    return BMSRIG_ERR_STATE;
}
void dut_firmware_power_off(struct dut_firmware *d) { (void)d; }
bool dut_firmware_powered(const struct dut_firmware *d) { (void)d; return false; }
int dut_firmware_tick(struct dut_firmware *d, struct link *l, int64_t now_us, double pack_v,
                      double throttle, double brake)
{
    (void)d, (void)l, (void)now_us, (void)pack_v, (void)throttle, (void)brake;
    return BMSRIG_ERR_STATE;
}
const char *dut_firmware_message(const struct dut_firmware *d)
{
    (void)d;
    return "built without the firmware emulator";
}
int dut_firmware_error(const struct dut_firmware *d) { (void)d; return -1; }
double dut_firmware_speed_kmh(const struct dut_firmware *d) { (void)d; return 0.0; }
bool dut_firmware_alive(const struct dut_firmware *d, int64_t now_us)
{
    (void)d, (void)now_us;
    return false;
}
uint64_t dut_firmware_bms_bytes_out(const struct dut_firmware *d) { (void)d; return 0; }
uint64_t dut_firmware_bms_bytes_in(const struct dut_firmware *d) { (void)d; return 0; }
const char *dut_firmware_image(const struct dut_firmware *d) { (void)d; return ""; }
