/* esc_image.c: the virtual controller's register image and its frames to the dashboard. */
#include "sim/esc_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/frame.h"
#include "sim/regmap.h"
#include "sim/status.h"

/* ==== register image and dashboard =========================================================== */

static void set_w(struct esc *e, unsigned word, uint16_t value)
{
    regimg_set_u16(e->img, REGMAP_ESC_WORDS, word, value);
}

void esc_update_image(struct esc *e)
{
    regimg_write(e->img, REGMAP_ESC_WORDS, ESC_W_SERIAL, (const uint8_t *)ESC_SERIAL, 14);
    set_w(e, ESC_W_FW, (uint16_t)e->p.v[ESC_P_ESC_FW]);
    set_w(e, ESC_W_ERROR, (uint16_t)e->shown);
    set_w(e, ESC_W_ERROR2, (uint16_t)e->shown);
    set_w(e, ESC_W_BATT_PERCENT_BMS, e->view.soc_pct);
    set_w(e, ESC_W_BATT_PERCENT, e->view.soc_pct);
    set_w(e, ESC_W_BATT_VOLTAGE, e->view.voltage_10mv);
    set_w(e, ESC_W_BATT_CURRENT, (uint16_t)e->view.current_10ma);
    set_w(e, ESC_W_BMS_FW, e->view.fw);
    double kmh = e->v_ms * 3.6;
    set_w(e, ESC_W_SPEED, (uint16_t)(int16_t)lround(esc_clampd(kmh * 1000.0, -32768.0, 32767.0)));
    double on_s = (double)(e->t_now_us - e->t_on_us) * 1e-6;
    uint16_t on16 = (uint16_t)esc_clampd(on_s, 0.0, 65535.0);
    set_w(e, 0x3A, on16);
    set_w(e, 0x3B, on16);
    set_w(e, ESC_W_ON_TIME, on16);
    double avg = on_s > 0.0 ? e->trip_m / on_s * 3.6 : 0.0;
    set_w(e, ESC_W_AVG_SPEED, (uint16_t)esc_clampd(avg * 1000.0, 0.0, 65535.0));
    uint32_t total = (uint32_t)esc_clampd(e->total_m, 0.0, 4294967295.0);
    set_w(e, ESC_W_TOTAL_DIST, (uint16_t)(total & 0xFFFFu));
    set_w(e, ESC_W_TOTAL_DIST + 1, (uint16_t)(total >> 16));
    set_w(e, ESC_W_TRIP_DIST, (uint16_t)esc_clampd(e->trip_m / 10.0, 0.0, 65535.0));
    set_w(e, 0x3E, 250);                    /* frame temperature 25.0 C: not modelled */
    set_w(e, ESC_W_FRAME_TEMP, 250);
}

void esc_send_dash_frame(struct esc *e)
{
    uint8_t mode = e->rider.mode == ESC_MODE_ECO ? 2 : (e->rider.mode == ESC_MODE_SPORT ? 4 : 0);
    uint8_t batt = (uint8_t)(e->view.soc_pct > 100 ? 100 : e->view.soc_pct);
    uint8_t beep = 0;
    if (e->p.v[ESC_P_DASH_PRO_FRAME] != 0.0) {
        double kmh = esc_clampd(e->v_ms * 3.6, 0.0, 255.0);
        uint8_t pl[6] = { mode, batt, 0, beep, (uint8_t)lround(kmh), (uint8_t)e->shown };
        esc_send_frame(e, ESC_LINE_DASH, FRAME_ADDR_TO_BLE, FRAME_CMD_HEAD_IN, 0x00, pl, sizeof(pl));
    } else {
        uint8_t bars = (uint8_t)((batt * 8u + 50u) / 100u);
        uint8_t pl[4] = { mode, bars, 0, beep };
        esc_send_frame(e, ESC_LINE_DASH, FRAME_ADDR_TO_BLE, FRAME_CMD_HEAD_IN, 0x00, pl, sizeof(pl));
    }
}
