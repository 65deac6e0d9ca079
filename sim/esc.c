/* esc.c: the virtual controller: main-loop ticks, life cycle, inputs and outputs (behaviour:
 * docs/controller.md); the BMS line, error rules, limits and vehicle, register image and dashboard
 * are in esc_bms_link.c, esc_errors.c, esc_drive.c and esc_image.c. */
#include "sim/esc.h"
#include "sim/esc_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/frame.h"
#include "sim/regmap.h"
#include "sim/status.h"

/* ==== small helpers ========================================================================== */

double esc_clampd(double x, double lo, double hi)
{
    if (!(x >= lo))
        return lo;
    return x > hi ? hi : x;
}

unsigned esc_code_bit(int code)
{
    switch (code) {
    case ESC_ERR_BMS_COMM: return 1u << 0;
    case ESC_ERR_BMS_CONFIG: return 1u << 1;
    case ESC_ERR_BMS_SERIAL: return 1u << 2;
    case ESC_ERR_SUPPLY: return 1u << 3;
    case ESC_ERR_NOT_ACTIVATED: return 1u << 4;
    case ESC_ERR_BATT_TEMP: return 1u << 5;
    default: return 0;
    }
}

int64_t esc_tick_time(const struct esc *e, uint64_t k)
{
    return e->t0_us + (int64_t)(((int64_t)k * e->tick_ns + 500) / 1000);
}

double esc_tick_s(const struct esc *e)
{
    return (double)e->tick_ns * 1e-9;
}


/* ==== the main loop ========================================================================== */

static void run_tick(struct esc *e)
{
    e->t_now_us = esc_tick_time(e, e->k);
    esc_sample_supply(e);
    /* Supply out of range (error 24): the stock firmware never polls the BMS and switches
     * itself off supply_off_ms after power-on (DRV134 under emulation [O]). */
    if (e->supply_bad &&
        e->t_now_us - e->t_on_us >= (int64_t)llround(e->p.v[ESC_P_SUPPLY_OFF_MS] * 1000.0)) {
        esc_power_off(e);
        return;
    }
    esc_process_pending(e);
    if (!e->supply_bad)
        esc_bms_task(e);
    esc_evaluate_errors(e);
    esc_drive_step(e);
    esc_update_image(e);
    if (e->k % e->dash_ticks == 0)
        esc_send_dash_frame(e);
    e->k++;
}

void esc_tick(struct esc *e, int64_t now_us)
{
    if (!e || !e->powered)
        return;
    while (e->powered && esc_tick_time(e, e->k) <= now_us)   /* it may switch itself off */
        run_tick(e);
}

int64_t esc_next_tick_us(const struct esc *e)
{
    if (!e || !e->powered)
        return INT64_MAX;
    return esc_tick_time(e, e->k);
}

/* ==== life cycle ============================================================================= */

struct esc *esc_new(const struct esc_params *p)
{
    struct esc_params def;
    if (!p) {
        esc_params_default(&def, ESC_MODEL_M365);
        p = &def;
    }
    /* Re-validate every value through the setter's checks. */
    struct esc_params chk;
    esc_params_default(&chk, p->model);
    for (int i = 0; i < ESC_P_COUNT; i++)
        if (esc_params_set(&chk, esc_param_info(i)->name, p->v[i]) != BMSRIG_OK)
            return NULL;
    struct esc *e = calloc(1, sizeof(*e));
    if (!e)
        return NULL;
    e->p = *p;
    /* "none yet" before the first power-on, as after it (esc_status says -1) */
    e->reply_t_us = e->last_good_us = e->e21_since_us = -1;
    const double *v = p->v;
    e->tick_ns = (int64_t)llround(v[ESC_P_TICK_US] * 1000.0);
    e->boot_call_ticks = (uint64_t)v[ESC_P_BOOT_CALL_TICKS];
    e->boot_tries = (uint64_t)v[ESC_P_BOOT_TRIES];
    e->half_ticks = (uint64_t)v[ESC_P_POLL_HALF_TICKS];
    e->poll_phase_ticks = (uint64_t)v[ESC_P_POLL_PHASE_TICKS];
    e->miss_limit = (uint64_t)v[ESC_P_MISS_LIMIT];
    e->eval_start_ticks = (uint64_t)v[ESC_P_EVAL_START_TICKS];
    double dt = round(v[ESC_P_DASH_PERIOD_MS] * 1000.0 / v[ESC_P_TICK_US]);
    e->dash_ticks = dt < 1.0 ? 1u : (uint64_t)dt;
    e->rider.mode = ESC_MODE_NORMAL;
    e->supply_v = 36.0;
    e->e21_since_us = -1;
    frame_decoder_init(&e->dec[ESC_LINE_BMS], esc_on_frame_event, e);
    frame_decoder_init(&e->dec[ESC_LINE_DASH], esc_on_frame_event, e);
    return e;
}

void esc_free(struct esc *e)
{
    free(e);
}

const struct esc_params *esc_params(const struct esc *e)
{
    return &e->p;
}

void esc_power_on(struct esc *e, int64_t now_us)
{
    if (!e)
        return;
    e->powered = true;
    e->t_on_us = now_us;
    e->t0_us = now_us + (int64_t)llround(e->p.v[ESC_P_FIRST_REQ_MS] * 1000.0);
    e->k = 0;
    e->t_now_us = now_us;
    frame_decoder_init(&e->dec[ESC_LINE_BMS], esc_on_frame_event, e);
    frame_decoder_init(&e->dec[ESC_LINE_DASH], esc_on_frame_event, e);
    e->npend[0] = e->npend[1] = 0;
    e->boot_phase = 0;
    e->got10 = e->got30 = false;
    e->boot_calls = 0;
    e->bms_ok = e->gave_up = e->comm_lost = false;
    e->next_task_k = 0;
    e->task_sends = true;
    e->reply_flag = false;
    e->reply_t_us = -1;
    e->last_good_us = -1;
    e->eval_started = false;
    e->supply_sampled = e->supply_bad = false;
    e->active = 0;
    e->shown = 0;
    e->e21_since_us = -1;
    memset(e->mirror, 0, sizeof(e->mirror));
    memset(&e->view, 0, sizeof(e->view));
    e->identity_checked = false;
    memset(&e->chk, 0, sizeof(e->chk));
    memset(&e->chk_seen, 0, sizeof(e->chk_seen));
    e->dist_m = e->trip_m = 0.0;
    e->i_batt_a = 0.0;
    e->limit_a = 0.0;
    e->derate = 1.0;
    e->reason = ESC_LIMIT_LIMP;
    e->lowbatt = false;
    e->tripped = false;
    e->trip_until_us = 0;
    e->regen_factor = 1.0;
    e->boot_requests = e->polls = e->good = e->misses = e->miss_run = e->frames_in = 0;
    memset(e->img, 0, sizeof(e->img));
}

void esc_power_off(struct esc *e)
{
    if (!e)
        return;
    e->powered = false;
    e->i_batt_a = 0.0;
    e->limit_a = 0.0;
    e->reason = ESC_LIMIT_OFF;
}

bool esc_powered(const struct esc *e) { return e && e->powered; }

/* ==== I/O entry points ======================================================================= */

void esc_rx(struct esc *e, enum esc_line line, int64_t now_us, const uint8_t *bytes, size_t n)
{
    if (!e || !e->powered || (line != ESC_LINE_BMS && line != ESC_LINE_DASH))
        return;
    esc_tick(e, now_us);
    e->rx_now_us = now_us;
    e->rx_line = line;
    frame_decoder_feed(&e->dec[line], bytes, n);
}

void esc_set_tx(struct esc *e, esc_tx_fn fn, void *user)
{
    e->tx_fn = fn;
    e->tx_user = user;
}

size_t esc_tx_take(struct esc *e, enum esc_line line, uint8_t *buf, size_t cap)
{
    if (!e || (line != ESC_LINE_BMS && line != ESC_LINE_DASH))
        return 0;
    struct txq *q = &e->q[line];
    size_t n = q->len < cap ? q->len : cap;
    memcpy(buf, q->buf, n);
    memmove(q->buf, q->buf + n, q->len - n);
    q->len -= n;
    return n;
}

uint64_t esc_tx_dropped(const struct esc *e)
{
    return e->tx_dropped;
}

void esc_set_rider(struct esc *e, const struct esc_rider *r)
{
    e->rider = *r;
    e->rider.throttle = esc_clampd(r->throttle, 0.0, 1.0);
    e->rider.brake = esc_clampd(r->brake, 0.0, 1.0);
    if ((int)e->rider.mode < ESC_MODE_ECO || (int)e->rider.mode > ESC_MODE_SPORT)
        e->rider.mode = ESC_MODE_NORMAL;
}

void esc_set_supply_v(struct esc *e, double volts)
{
    e->supply_v = isfinite(volts) && volts > 0.0 ? volts : 0.0;
}

void esc_set_grade(struct esc *e, double grade)
{
    e->grade = isfinite(grade) ? esc_clampd(grade, -1.0, 1.0) : 0.0;
}

void esc_set_speed_kmh(struct esc *e, double kmh)
{
    e->v_ms = isfinite(kmh) && kmh > 0.0 ? kmh / 3.6 : 0.0;
}

/* ==== outputs ================================================================================ */

int esc_error_code(const struct esc *e)
{
    return e && e->powered ? e->shown : 0;
}

bool esc_error_active(const struct esc *e, int code)
{
    unsigned b = esc_code_bit(code);
    return e && e->powered && b && (e->active & b);
}

double esc_battery_current_a(const struct esc *e)
{
    return e && e->powered ? e->i_batt_a : 0.0;
}

double esc_speed_kmh(const struct esc *e)
{
    return e->v_ms * 3.6;
}

double esc_distance_m(const struct esc *e)
{
    return e->dist_m;
}

const uint8_t *esc_image(const struct esc *e)
{
    return e->img;
}

const uint8_t *esc_bms_mirror(const struct esc *e)
{
    return e->mirror;
}

void esc_bms_view(const struct esc *e, struct esc_bms_view *out)
{
    *out = e->view;
}

void esc_status(const struct esc *e, struct esc_status *out)
{
    memset(out, 0, sizeof(*out));
    out->powered = e->powered;
    out->bms_ok = e->bms_ok;
    out->boot_gave_up = e->gave_up;
    out->comm_lost = e->comm_lost;
    out->eval_started = e->eval_started;
    out->lowbatt = e->lowbatt;
    out->tripped = e->tripped;
    out->ticks = e->k;
    out->boot_requests = e->boot_requests;
    out->polls = e->polls;
    out->good_replies = e->good;
    out->misses = e->misses;
    out->miss_run = e->miss_run;
    out->frames_in = e->frames_in;
    const struct frame_decoder_stats *s = &e->dec[ESC_LINE_BMS].stats;
    out->bad_frames_in = (uint32_t)(s->bad_checksum + s->bad_length + s->truncated);
    out->last_good_reply_us = e->last_good_us;
    out->error21_since_us = e->e21_since_us;
    out->active_mask = e->active;
    out->limit_a = e->limit_a;
    out->derate = e->derate;
    out->limit_reason = e->powered ? e->reason : ESC_LIMIT_OFF;
}

const char *esc_limit_reason_name(enum esc_limit_reason r)
{
    static const char *const names[] = { "mode", "derate", "limp", "lowbatt", "cut", "trip", "off" };
    if ((int)r < 0 || (size_t)r >= sizeof(names) / sizeof(names[0]))
        return "?";
    return names[r];
}

const char *esc_mode_name(enum esc_mode m)
{
    switch (m) {
    case ESC_MODE_ECO: return "eco";
    case ESC_MODE_NORMAL: return "normal";
    case ESC_MODE_SPORT: return "sport";
    default: return "?";
    }
}
