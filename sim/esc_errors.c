/* esc_errors.c: the virtual controller's error rules (21, 22, 23, 24, 35, 39; the lowest active
 * code is shown). */
#include "sim/esc_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/frame.h"
#include "sim/regmap.h"
#include "sim/status.h"

/* Codes in ascending order: the first active one is shown (lowest number wins). */
static const int codes_ascending[] = { 21, 22, 23, 24, 35, 39 };
/* ==== errors ================================================================================= */

bool esc_serial_is_default(const struct esc *e)
{
    return e->view.have_serial &&
           memcmp(e->view.serial, REGMAP_BMS_DEFAULT_SERIAL, REGMAP_BMS_SERIAL_LEN) == 0;
}

/* Config invalid or default serial, as the evaluator has seen them (limp rule). */
bool esc_bms_invalid(const struct esc *e)
{
    return e->chk_seen.config_invalid || e->chk_seen.serial_default;
}

void esc_sample_supply(struct esc *e)
{
    if (e->supply_sampled)
        return;
    /* The boot check reads the own ADC once, in 10 mV steps. */
    long mv10 = lround(e->supply_v * 100.0);
    long lo = lround(e->p.v[ESC_P_SUPPLY_MIN_V] * 100.0);
    long hi = lround(e->p.v[ESC_P_SUPPLY_MAX_V] * 100.0);
    e->supply_bad = mv10 < lo || mv10 > hi;
    e->supply_sampled = true;
}

void esc_evaluate_errors(struct esc *e)
{
    esc_sample_supply(e);
    /* With a bad supply the stock firmware shows 24 at once and never talks to the BMS, so
     * no 21 hides it (DRV134 under emulation: 24 on the dashboard from its first answer) [O]. */
    if (!e->eval_started && (e->k >= e->eval_start_ticks || e->bms_ok || e->supply_bad))
        e->eval_started = true;
    unsigned a = 0;
    if ((e->comm_lost || !e->bms_ok) && !e->supply_bad)
        a |= esc_code_bit(21);
    if (e->chk_seen.config_invalid)
        a |= esc_code_bit(22);
    if (e->chk_seen.serial_default)
        a |= esc_code_bit(23);
    if (e->supply_bad)
        a |= esc_code_bit(24);
    if (e->p.v[ESC_P_ESC_ACTIVATED] == 0.0)
        a |= esc_code_bit(35);
    if (e->chk.temps_bad)
        a |= esc_code_bit(39);
    e->chk_seen = e->chk;   /* 22/23 see this check from the next tick on */
    e->active = a;
    int shown = 0;
    if (e->eval_started) {
        for (size_t i = 0; i < sizeof(codes_ascending) / sizeof(codes_ascending[0]); i++) {
            if (a & esc_code_bit(codes_ascending[i])) {
                shown = codes_ascending[i];
                break;
            }
        }
    }
    if (shown == 21 && e->shown != 21)
        e->e21_since_us = e->t_now_us;
    else if (shown != 21)
        e->e21_since_us = -1;
    e->shown = shown;
}
