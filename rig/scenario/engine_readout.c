/* engine_readout.c: the scenario engine's read-outs: time, the models, pack voltage and current,
 * the controller's error and speed, the BMS status and registers, the line byte counters. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rig/scenario/engine_internal.h"
#include "rig/dut/dut_firmware.h"
#include "rig/line/dut_serial.h"
#include "rig/line/link.h"
#include "sim/regmap.h"
#include "sim/status.h"

/* ---- time and models ---------------------------------------------------------------------- */

double engine_now_s(const struct engine *e) { return clock_now_s(&e->clock); }
double engine_tick_s(const struct engine *e) { return (double)e->clock.tick_us / 1e6; }
const struct clock *engine_clock(const struct engine *e) { return &e->clock; }
const struct pack *engine_pack(const struct engine *e) { return e->pack; }
const struct bms *engine_bms(const struct engine *e) { return e->bms; }
const struct esc *engine_esc(const struct engine *e) { return e->esc; }
const struct link *engine_link(const struct engine *e) { return e->link; }

/* ---- read-outs ---------------------------------------------------------------------------- */

double engine_pack_voltage(const struct engine *e) { return pack_terminal_v(e->pack); }
double engine_pack_current(const struct engine *e) { return pack_current_a(e->pack); }
int engine_esc_error(const struct engine *e)
{
    if (e->cfg.dut)
        return dut_serial_error(e->cfg.dut, e->clock.now_us);
    if (e->cfg.fw)
        return dut_firmware_error(e->cfg.fw);
    return e->powered ? esc_error_code(e->esc) : 0;
}

double engine_esc_speed(const struct engine *e)
{
    if (e->cfg.fw)
        return dut_firmware_speed_kmh(e->cfg.fw);
    return e->cfg.dut ? dut_serial_speed_kmh(e->cfg.dut) : esc_speed_kmh(e->esc);
}

/* bms_image() holds the model's own image; the image overrides (link faults config_invalid,
 * serial_default) are applied only as frames are served, so apply them here too: scenarios
 * see the register as the controller does. */
static uint16_t bms_word_served(const struct engine *e, unsigned word)
{
    uint16_t v = 0;
    regimg_get_u16(bms_image(e->bms), REGMAP_BMS_WORDS, word, &v);
    uint32_t ovr = bms_overrides(e->bms);
    if (word == BMS_W_STATUS && (ovr & BMS_OVR_CONFIG_INVALID))
        v &= (uint16_t)~BMS_STATUS_CONFIG_VALID;
    if ((ovr & BMS_OVR_SERIAL_DEFAULT) && word >= BMS_W_SERIAL &&
        word < BMS_W_SERIAL + REGMAP_BMS_SERIAL_LEN / 2) {
        unsigned i = 2 * (word - BMS_W_SERIAL);
        v = (uint16_t)((uint8_t)REGMAP_BMS_DEFAULT_SERIAL[i] |
                       ((uint8_t)REGMAP_BMS_DEFAULT_SERIAL[i + 1] << 8));
    }
    return v;
}

unsigned engine_bms_status(const struct engine *e)
{
    return bms_word_served(e, BMS_W_STATUS);
}

int engine_reg(const struct engine *e, const char *image, unsigned word, unsigned *out)
{
    uint16_t v = 0;
    int rc;
    if (strcmp(image, "bms") == 0) {
        rc = word < REGMAP_BMS_WORDS ? BMSRIG_OK : BMSRIG_ERR_ARG;
        if (rc == BMSRIG_OK)
            v = bms_word_served(e, word);
    }
    else if (strcmp(image, "esc") == 0)
        rc = regimg_get_u16(esc_image(e->esc), REGMAP_ESC_WORDS, word, &v);
    else
        rc = BMSRIG_ERR_ARG;
    *out = v;
    return rc;
}

bool engine_dut_version(const struct engine *e, uint16_t *out, const char **source)
{
    if (e->cfg.fw) {
        *source = "firmware image";
        return dut_firmware_version(e->cfg.fw, out);
    }
    if (e->cfg.dut) {
        *source = "controller on the bench";
        return dut_serial_version(e->cfg.dut, out);
    }
    const struct dash_observation *o = dash_observe(&e->vdash);
    if (!o->have_version)
        return false;
    *out = o->version;
    *source = "virtual controller model";
    return true;
}

const struct line_watch_counts *engine_line_watch(const struct engine *e)
{
    return line_watch_counts(&e->watch);
}

uint64_t engine_line_bytes(const struct engine *e, const char *line)
{
    /* esc_tx: from the wire for the virtual controller and a firmware image alike (the
     * controller's own count would see a frame when it starts, the image's when it ends) */
    if (e->cfg.fw)
        return strcmp(line, "esc_tx") == 0   ? e->esc_tx_bytes
               : strcmp(line, "bms_tx") == 0 ? dut_firmware_bms_bytes_in(e->cfg.fw)
                                             : 0;
    if (e->cfg.dut)
        return strcmp(line, "esc_tx") == 0   ? dut_serial_bytes_in(e->cfg.dut)
               : strcmp(line, "bms_tx") == 0 ? dut_serial_bytes_out(e->cfg.dut)
                                             : 0;
    if (strcmp(line, "esc_tx") == 0)
        return e->esc_tx_bytes;
    if (strcmp(line, "bms_tx") == 0)
        return e->bms_rx_bytes;
    return 0;
}
