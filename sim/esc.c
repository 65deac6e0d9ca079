/* esc.c: the virtual controller: main-loop ticks, BMS handshake and poll, error rules, current
 * limits, vehicle, register image and dashboard bus (behaviour: docs/controller.md). */
#include "sim/esc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/frame.h"
#include "sim/regmap.h"
#include "sim/status.h"

/* Both sizes can be set by the build: hw/esc-fw (20 KiB of SRAM) uses 8 pending frames, still
 * more than the line can carry in one tick (8-byte frames at 115200 take 0.69 ms each), and a
 * tiny queue, since it sends through a callback and never queues. */
#ifndef ESC_PENDING_MAX
#define ESC_PENDING_MAX 16      /* decoded frames waiting for the next tick, per line */
#endif
#ifndef ESC_TXQ_BYTES
#define ESC_TXQ_BYTES 4096
#endif
#define PENDING_MAX ESC_PENDING_MAX
#define TXQ_BYTES ESC_TXQ_BYTES
#define GRAVITY 9.81            /* m/s^2 */
#define AIR_DENSITY 1.2         /* kg/m^3, sea level, 20 C */
#define BMS_MIRROR_BYTES 256
#define ESC_IMAGE_BYTES (REGMAP_ESC_WORDS * 2u)
#define ESC_SERIAL "BMSRIGVESC0001" /* our ESC's own serial (14 chars, not a default) */

struct pending {
    struct frame f;
    int64_t t_us;               /* arrival of the frame's last byte */
};

struct txq {
    uint8_t buf[TXQ_BYTES];
    size_t len;
};

struct esc {
    struct esc_params p;

    /* Derived from the parameters at esc_new. */
    int64_t tick_ns;
    uint64_t boot_call_ticks, boot_tries, half_ticks, poll_phase_ticks, miss_limit;
    uint64_t eval_start_ticks, dash_ticks;

    /* Power and time. */
    bool powered;
    int64_t t_on_us;            /* power-on */
    int64_t t0_us;              /* main-loop tick 0 */
    uint64_t k;                 /* index of the next tick to run */
    int64_t t_now_us;           /* time of the last tick run */

    /* Bytes in. */
    struct frame_decoder dec[2];
    struct pending pend[2][PENDING_MAX];
    size_t npend[2];
    int64_t rx_now_us;          /* arrival time of the bytes being fed */
    enum esc_line rx_line;
    uint32_t pend_dropped;

    /* Bytes out. */
    esc_tx_fn tx_fn;
    void *tx_user;
    struct txq q[2];
    uint64_t tx_dropped;

    /* BMS task. */
    int boot_phase;             /* 0: asking 0x10, 1: asking 0x30 */
    bool got10, got30;
    uint64_t boot_calls;
    bool bms_ok, gave_up, comm_lost;
    uint64_t next_task_k;
    bool task_sends;            /* the next running task body sends (else checks) */
    bool reply_flag;
    int64_t reply_t_us;
    int64_t last_good_us;

    /* What the error evaluator has of the BMS: taken at each running poll check that found a
     * reply, not from every reply (the stock firmware raises 22/23 one poll check after the
     * handshake, not at it; firmware.md section 5 [O]). Error 39 reads `chk` at the check
     * itself; 22, 23 and the limp rule read `chk_seen`, the same one tick later, which puts
     * 39 one tick (~5 ms) before 22/23 as observed. */
    struct checked_bms {
        bool config_invalid;    /* status bit 0 clear */
        bool serial_default;    /* words 0x10-0x16 are the default serial */
        bool temps_bad;         /* T1/T2 fail the range test */
    } chk, chk_seen;

    /* Errors. */
    bool eval_started;
    bool supply_sampled, supply_bad;
    unsigned active;
    int shown;
    int64_t e21_since_us;

    /* What it keeps of the BMS. */
    uint8_t mirror[BMS_MIRROR_BYTES];
    struct esc_bms_view view;

    /* Inputs. */
    struct esc_rider rider;
    double supply_v;
    double grade;

    /* Drive and vehicle. */
    double v_ms;
    double dist_m, trip_m, total_m;
    double i_batt_a;
    double limit_a, derate;
    enum esc_limit_reason reason;
    bool lowbatt;
    bool tripped;
    int64_t trip_until_us;
    double regen_factor;

    /* Counters. */
    uint32_t boot_requests, polls, good, misses, miss_run, frames_in;

    uint8_t img[ESC_IMAGE_BYTES];
};

/* ==== small helpers ========================================================================== */

static double clampd(double x, double lo, double hi)
{
    if (!(x >= lo))
        return lo;
    return x > hi ? hi : x;
}

static unsigned code_bit(int code)
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

/* Codes in ascending order: the first active one is shown (lowest number wins). */
static const int codes_ascending[] = { 21, 22, 23, 24, 35, 39 };

static int64_t tick_time(const struct esc *e, uint64_t k)
{
    return e->t0_us + (int64_t)(((int64_t)k * e->tick_ns + 500) / 1000);
}

static double tick_s(const struct esc *e)
{
    return (double)e->tick_ns * 1e-9;
}

/* ==== bytes out ============================================================================== */

static void send_frame(struct esc *e, enum esc_line line, uint8_t addr, uint8_t cmd, uint8_t arg,
                       const uint8_t *payload, size_t n)
{
    struct frame f;
    uint8_t raw[FRAME_BYTES_MAX];
    size_t len = 0;
    if (frame_make(&f, addr, cmd, arg, payload, n) != BMSRIG_OK ||
        frame_encode(&f, raw, sizeof(raw), &len) != BMSRIG_OK)
        return;
    if (e->tx_fn) {
        e->tx_fn(e->tx_user, line, e->t_now_us, raw, len);
        return;
    }
    struct txq *q = &e->q[line];
    if (q->len + len > TXQ_BYTES) {
        size_t drop = q->len + len - TXQ_BYTES;
        if (drop > q->len)
            drop = q->len;
        memmove(q->buf, q->buf + drop, q->len - drop);
        q->len -= drop;
        e->tx_dropped += drop;
    }
    memcpy(q->buf + q->len, raw, len);
    q->len += len;
}

static void bms_request(struct esc *e, uint8_t word, uint8_t nbytes)
{
    send_frame(e, ESC_LINE_BMS, FRAME_ADDR_TO_BMS, FRAME_CMD_READ, word, &nbytes, 1);
}

/* ==== bytes in =============================================================================== */

static void on_frame_event(void *user, const struct frame_event *ev)
{
    struct esc *e = user;
    if (ev->kind != FRAME_EV_FRAME)
        return;
    size_t *n = &e->npend[e->rx_line];
    if (*n >= PENDING_MAX) {
        e->pend_dropped++;
        return;
    }
    e->pend[e->rx_line][*n].f = *ev->frame;
    e->pend[e->rx_line][*n].t_us = e->rx_now_us;
    (*n)++;
}

static bool temps_bad(const struct esc *e, int t1, int t2)
{
    double lo = e->p.v[ESC_P_TEMP_LOW_C], hi = e->p.v[ESC_P_TEMP_HIGH_C];
    double diff = e->p.v[ESC_P_TEMP_DIFF_C];
    return t1 <= lo || t2 <= lo || t1 >= hi || t2 >= hi || abs(t1 - t2) > diff;
}

/* A BMS reply (0x25, read). The firmware mirrors replies at 2 x ARG when ARG + len/2 < 0x80. */
static void handle_bms_frame(struct esc *e, const struct pending *pf)
{
    const struct frame *f = &pf->f;
    if (f->addr != FRAME_ADDR_FROM_BMS || f->cmd != FRAME_CMD_READ)
        return;
    e->frames_in++;
    /* Boot step 2 (the 0x30 step) is done by any reply that arrives after it began, a late
     * reply to an earlier 0x10 request too: with every reply 150 ms late the stock firmware
     * completes it that way (firmware.md section 5 [O]; the mechanism, a "reply received" flag
     * set by any reply, is our reading [I]). */
    if (!e->bms_ok && e->boot_phase == 1)
        e->got30 = true;
    if ((unsigned)f->arg + f->payload_len / 2u < 0x80u)
        memcpy(e->mirror + 2u * f->arg, f->payload, f->payload_len);
    const uint8_t *d = f->payload;
    if (f->arg == BMS_W_SERIAL && f->payload_len >= 16) {
        memcpy(e->view.serial, d, REGMAP_BMS_SERIAL_LEN);
        e->view.serial[REGMAP_BMS_SERIAL_LEN] = '\0';
        e->view.fw = (uint16_t)(d[14] | d[15] << 8);
        e->view.have_serial = true;
        if (e->boot_phase == 0)
            e->got10 = true;
    } else if (f->arg == BMS_W_STATUS && f->payload_len >= 12) {
        e->view.status = (uint16_t)(d[0] | d[1] << 8);
        e->view.remaining_mah = (uint16_t)(d[2] | d[3] << 8);
        e->view.soc_pct = (uint16_t)(d[4] | d[5] << 8);
        e->view.current_10ma = (int16_t)(uint16_t)(d[6] | d[7] << 8);
        e->view.voltage_10mv = (uint16_t)(d[8] | d[9] << 8);
        e->view.t1_c = (int)d[10] - 20;
        e->view.t2_c = (int)d[11] - 20;
        e->view.have_status = true;
        if (e->bms_ok) {
            e->reply_flag = true;
            e->reply_t_us = pf->t_us;
        }
    }
}

/* A request on the dashboard bus: reads of the ESC image (0x01, and 0x61 with lever data). */
static void handle_dash_frame(struct esc *e, const struct frame *f)
{
    if (f->addr != FRAME_ADDR_TO_ESC || f->payload_len < 1)
        return;
    if (f->cmd != FRAME_CMD_READ && f->cmd != FRAME_CMD_HEAD_READ)
        return;
    size_t n = f->payload[0];
    if (2u * (size_t)f->arg + n > ESC_IMAGE_BYTES || n > FRAME_PAYLOAD_MAX)
        return;
    send_frame(e, ESC_LINE_DASH, FRAME_ADDR_FROM_ESC, FRAME_CMD_READ, f->arg,
               e->img + 2u * f->arg, n);
}

static void process_pending(struct esc *e)
{
    for (size_t i = 0; i < e->npend[ESC_LINE_BMS]; i++)
        handle_bms_frame(e, &e->pend[ESC_LINE_BMS][i]);
    e->npend[ESC_LINE_BMS] = 0;
    for (size_t i = 0; i < e->npend[ESC_LINE_DASH]; i++)
        handle_dash_frame(e, &e->pend[ESC_LINE_DASH][i].f);
    e->npend[ESC_LINE_DASH] = 0;
}

/* ==== BMS task =============================================================================== */

static void boot_call(struct esc *e)
{
    if (e->boot_phase == 0 && e->got10)
        e->boot_phase = 1;
    if (e->boot_phase == 1 && e->got30) {
        e->bms_ok = true;
        /* the first running poll: the next tick of the fixed poll grid (firmware: the task
         * body's phase does not depend on when the handshake completed [O]) */
        uint64_t period = 2u * e->half_ticks;
        uint64_t first = e->poll_phase_ticks % period;
        if (first <= e->k)
            first += ((e->k - first) / period + 1u) * period;
        e->next_task_k = first;
        e->task_sends = true;
        return;
    }
    if (e->boot_calls >= e->boot_tries) {
        e->gave_up = true;
        e->comm_lost = true;
        return;
    }
    if (e->boot_phase == 0)
        bms_request(e, BMS_W_SERIAL, 16);
    else
        bms_request(e, BMS_W_STATUS, 12);
    e->boot_calls++;
    e->boot_requests++;
}

static bool serial_is_default(const struct esc *e);

/* The running check found a reply: what the error evaluator will see of the BMS. */
static void take_checked(struct esc *e)
{
    e->chk.config_invalid = e->view.have_status && !(e->view.status & BMS_STATUS_CONFIG_VALID);
    e->chk.serial_default = serial_is_default(e);
    e->chk.temps_bad = e->view.have_status && temps_bad(e, e->view.t1_c, e->view.t2_c);
}

static void bms_task(struct esc *e)
{
    if (!e->bms_ok) {
        if (!e->gave_up && e->k % e->boot_call_ticks == 0)
            boot_call(e);
        return;
    }
    if (e->k != e->next_task_k)
        return;
    e->next_task_k += e->half_ticks;
    if (e->task_sends) {
        bms_request(e, BMS_W_STATUS, 12);
        e->polls++;
        e->reply_flag = false;
    } else if (e->reply_flag) {
        take_checked(e);
        e->good++;
        e->last_good_us = e->reply_t_us;
        e->miss_run = 0;
        e->comm_lost = false;
    } else {
        e->misses++;
        e->miss_run++;
        if (e->miss_run >= e->miss_limit)
            e->comm_lost = true;
    }
    e->task_sends = !e->task_sends;
}

/* ==== errors ================================================================================= */

static bool serial_is_default(const struct esc *e)
{
    return e->view.have_serial &&
           memcmp(e->view.serial, REGMAP_BMS_DEFAULT_SERIAL, REGMAP_BMS_SERIAL_LEN) == 0;
}

/* Config invalid or default serial, as the evaluator has seen them (limp rule). */
static bool bms_invalid(const struct esc *e)
{
    return e->chk_seen.config_invalid || e->chk_seen.serial_default;
}

static void evaluate_errors(struct esc *e)
{
    if (!e->supply_sampled) {
        /* The boot check reads the own ADC once, in 10 mV steps. */
        long mv10 = lround(e->supply_v * 100.0);
        long lo = lround(e->p.v[ESC_P_SUPPLY_MIN_V] * 100.0);
        long hi = lround(e->p.v[ESC_P_SUPPLY_MAX_V] * 100.0);
        e->supply_bad = mv10 < lo || mv10 > hi;
        e->supply_sampled = true;
    }
    if (!e->eval_started && (e->k >= e->eval_start_ticks || e->bms_ok))
        e->eval_started = true;
    unsigned a = 0;
    if (e->comm_lost || !e->bms_ok)
        a |= code_bit(21);
    if (e->chk_seen.config_invalid)
        a |= code_bit(22);
    if (e->chk_seen.serial_default)
        a |= code_bit(23);
    if (e->supply_bad)
        a |= code_bit(24);
    if (e->p.v[ESC_P_ESC_ACTIVATED] == 0.0)
        a |= code_bit(35);
    if (e->chk.temps_bad)
        a |= code_bit(39);
    e->chk_seen = e->chk;   /* 22/23 see this check from the next tick on */
    e->active = a;
    int shown = 0;
    if (e->eval_started) {
        for (size_t i = 0; i < sizeof(codes_ascending) / sizeof(codes_ascending[0]); i++) {
            if (a & code_bit(codes_ascending[i])) {
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

/* ==== limits and vehicle ===================================================================== */

/* 1 at or beyond `start`, `floor` at or beyond `full`, linear in between (either direction). */
static double ramp(double x, double start, double full, double floor_)
{
    if (start == full)
        return (full > start ? x >= full : x <= full) ? floor_ : 1.0;
    double u = (x - start) / (full - start);
    u = clampd(u, 0.0, 1.0);
    return 1.0 - u * (1.0 - floor_);
}

static void compute_limits(struct esc *e, double *speed_lim_kmh, double *phase_a)
{
    const double *v = e->p.v;
    double lim, spd, ph;
    switch (e->rider.mode) {
    case ESC_MODE_ECO:
        lim = v[ESC_P_ECO_BATT_A];
        spd = v[ESC_P_ECO_SPEED_KMH];
        ph = v[ESC_P_ECO_PHASE_A];
        break;
    case ESC_MODE_SPORT:
        lim = v[ESC_P_SPORT_BATT_A];
        spd = v[ESC_P_NORMAL_SPEED_KMH];
        ph = v[ESC_P_NORMAL_PHASE_A];
        break;
    case ESC_MODE_NORMAL:
    default:
        lim = v[ESC_P_NORMAL_BATT_A];
        spd = v[ESC_P_NORMAL_SPEED_KMH];
        ph = v[ESC_P_NORMAL_PHASE_A];
        break;
    }
    enum esc_limit_reason reason = ESC_LIMIT_MODE;

    /* Derating: the smallest factor of the three causes. */
    double floor_ = v[ESC_P_DERATE_FLOOR];
    double der = ramp(e->supply_v, v[ESC_P_DERATE_V_START], v[ESC_P_DERATE_V_FULL], floor_);
    if (e->view.have_status) {
        int tmax = e->view.t1_c > e->view.t2_c ? e->view.t1_c : e->view.t2_c;
        double ft = ramp((double)tmax, v[ESC_P_DERATE_T_START_C], v[ESC_P_DERATE_T_FULL_C],
                         floor_);
        double fm = ramp((double)e->view.remaining_mah, v[ESC_P_DERATE_MAH_START],
                         v[ESC_P_DERATE_MAH_FULL], floor_);
        der = fmin(der, fmin(ft, fm));
        /* Battery-low flag with hysteresis. */
        if (e->view.remaining_mah < v[ESC_P_LOWBATT_MAH])
            e->lowbatt = true;
        else if (e->view.remaining_mah > v[ESC_P_LOWBATT_CLEAR_MAH])
            e->lowbatt = false;
    }
    e->derate = der;
    if (der < 1.0) {
        lim *= der;
        reason = ESC_LIMIT_DERATE;
    }
    bool limp = e->comm_lost || !e->bms_ok || bms_invalid(e) || e->p.v[ESC_P_ESC_ACTIVATED] == 0.0;
    if (limp) {
        if (v[ESC_P_LIMP_BATT_A] <= lim) {
            lim = v[ESC_P_LIMP_BATT_A];
            reason = ESC_LIMIT_LIMP;
        }
        spd = fmin(spd, v[ESC_P_LIMP_SPEED_KMH]);
    }
    if (e->lowbatt) {
        if (v[ESC_P_LOWBATT_BATT_A] <= lim) {
            lim = v[ESC_P_LOWBATT_BATT_A];
            reason = ESC_LIMIT_LOWBATT;
        }
        spd = fmin(spd, v[ESC_P_LOWBATT_SPEED_KMH]);
    }
    if (e->supply_v < v[ESC_P_CUT_V]) {
        lim = fmin(lim, v[ESC_P_CUT_BATT_A]);
        reason = ESC_LIMIT_CUT;
    }
    if (e->tripped) {
        lim = 0.0;
        reason = ESC_LIMIT_TRIP;
    }
    e->limit_a = lim < 0.0 ? 0.0 : lim;
    e->reason = reason;
    *speed_lim_kmh = spd;
    *phase_a = ph;
}

static void drive_step(struct esc *e)
{
    const double *v = e->p.v;
    double dt = tick_s(e);
    double spd_lim_kmh, phase_a;
    compute_limits(e, &spd_lim_kmh, &phase_a);

    double vs = e->v_ms;
    double kmh = vs * 3.6;
    double volts = e->supply_v > 1.0 ? e->supply_v : 1.0;
    double eff = v[ESC_P_EFFICIENCY];
    double r = v[ESC_P_WHEEL_D_M] / 2.0;
    double f_cap = v[ESC_P_KT_NM_PER_A] * phase_a / r;
    double thr = clampd(e->rider.throttle, 0.0, 1.0);
    double brk = clampd(e->rider.brake, 0.0, 1.0);

    /* Regen factor ramps toward its over-voltage value while BMS status bit 9 is set. */
    double target = (e->view.have_status && (e->view.status & BMS_STATUS_OVERVOLTAGE))
                        ? v[ESC_P_REGEN_OV_FACTOR] : 1.0;
    double rate = v[ESC_P_REGEN_OV_RAMP_S] > 0.0 ? dt / v[ESC_P_REGEN_OV_RAMP_S] : 1.0;
    if (e->regen_factor < target)
        e->regen_factor = fmin(target, e->regen_factor + rate);
    else
        e->regen_factor = fmax(target, e->regen_factor - rate);

    double f_drive = 0.0, f_regen = 0.0, f_mech = 0.0, i_motor = 0.0;
    if (brk > 0.0) {
        /* The brake lever cuts drive; regen first (above regen_min_kmh), then the disc. */
        if (kmh > v[ESC_P_REGEN_MIN_KMH] && vs > 0.0) {
            double i_regen = brk * v[ESC_P_REGEN_MAX_A] * e->regen_factor;
            f_regen = fmin(f_cap, i_regen * volts / (eff * vs));
            i_motor = -f_regen * vs * eff / volts;
        }
        if (vs > 0.0)
            f_mech = brk * v[ESC_P_MECH_BRAKE_N];
    } else if (thr > 0.0) {
        double taper = v[ESC_P_SPEED_TAPER_KMH] > 0.0
                           ? clampd((spd_lim_kmh - kmh) / v[ESC_P_SPEED_TAPER_KMH], 0.0, 1.0)
                           : (kmh < spd_lim_kmh ? 1.0 : 0.0);
        double p_elec = thr * e->limit_a * volts * taper;
        double p_mech = fmin(p_elec * eff, v[ESC_P_MOTOR_PEAK_W]);
        f_drive = fmin(f_cap * thr, p_mech / fmax(vs, 0.3));
        i_motor = f_drive * vs / (eff * volts);
    }

    /* Over-current trip on the motor's battery current (either direction). */
    if (fabs(i_motor) > v[ESC_P_TRIP_A]) {
        e->tripped = true;
        e->trip_until_us = e->t_now_us + (int64_t)(v[ESC_P_TRIP_HOLD_MS] * 1000.0);
    }
    if (e->tripped) {
        f_drive = 0.0;
        f_regen = 0.0;
        i_motor = 0.0;
        if (e->t_now_us >= e->trip_until_us && thr == 0.0)
            e->tripped = false;
    }

    double m = v[ESC_P_MASS_KG];
    double th = atan(e->grade);
    double f_roll = vs > 0.0 ? v[ESC_P_CRR] * m * GRAVITY * cos(th) : 0.0;
    double f_slope = m * GRAVITY * sin(th);
    double f_aero = 0.5 * AIR_DENSITY * v[ESC_P_CDA_M2] * vs * vs;
    double a = (f_drive - f_regen - f_mech - f_roll - f_slope - f_aero) / m;
    double nv = vs + a * dt;
    if (nv < 0.0)
        nv = 0.0;   /* no rolling backwards: the rider holds the scooter */
    double ds = 0.5 * (vs + nv) * dt;
    e->v_ms = nv;
    e->dist_m += ds;
    e->trip_m += ds;
    e->total_m += ds;
    e->i_batt_a = i_motor + v[ESC_P_IDLE_A];
}

/* ==== register image and dashboard =========================================================== */

static void set_w(struct esc *e, unsigned word, uint16_t value)
{
    regimg_set_u16(e->img, REGMAP_ESC_WORDS, word, value);
}

static void update_image(struct esc *e)
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
    set_w(e, ESC_W_SPEED, (uint16_t)(int16_t)lround(clampd(kmh * 1000.0, -32768.0, 32767.0)));
    double on_s = (double)(e->t_now_us - e->t_on_us) * 1e-6;
    uint16_t on16 = (uint16_t)clampd(on_s, 0.0, 65535.0);
    set_w(e, 0x3A, on16);
    set_w(e, 0x3B, on16);
    set_w(e, ESC_W_ON_TIME, on16);
    double avg = on_s > 0.0 ? e->trip_m / on_s * 3.6 : 0.0;
    set_w(e, ESC_W_AVG_SPEED, (uint16_t)clampd(avg * 1000.0, 0.0, 65535.0));
    uint32_t total = (uint32_t)clampd(e->total_m, 0.0, 4294967295.0);
    set_w(e, ESC_W_TOTAL_DIST, (uint16_t)(total & 0xFFFFu));
    set_w(e, ESC_W_TOTAL_DIST + 1, (uint16_t)(total >> 16));
    set_w(e, ESC_W_TRIP_DIST, (uint16_t)clampd(e->trip_m / 10.0, 0.0, 65535.0));
    set_w(e, 0x3E, 250);                    /* frame temperature 25.0 C: not modelled */
    set_w(e, ESC_W_FRAME_TEMP, 250);
}

static void send_dash_frame(struct esc *e)
{
    uint8_t mode = e->rider.mode == ESC_MODE_ECO ? 2 : (e->rider.mode == ESC_MODE_SPORT ? 4 : 0);
    uint8_t batt = (uint8_t)(e->view.soc_pct > 100 ? 100 : e->view.soc_pct);
    uint8_t beep = 0;
    if (e->p.v[ESC_P_DASH_PRO_FRAME] != 0.0) {
        double kmh = clampd(e->v_ms * 3.6, 0.0, 255.0);
        uint8_t pl[6] = { mode, batt, 0, beep, (uint8_t)lround(kmh), (uint8_t)e->shown };
        send_frame(e, ESC_LINE_DASH, FRAME_ADDR_TO_BLE, FRAME_CMD_HEAD_IN, 0x00, pl, sizeof(pl));
    } else {
        uint8_t bars = (uint8_t)((batt * 8u + 50u) / 100u);
        uint8_t pl[4] = { mode, bars, 0, beep };
        send_frame(e, ESC_LINE_DASH, FRAME_ADDR_TO_BLE, FRAME_CMD_HEAD_IN, 0x00, pl, sizeof(pl));
    }
}

/* ==== the main loop ========================================================================== */

static void run_tick(struct esc *e)
{
    e->t_now_us = tick_time(e, e->k);
    process_pending(e);
    bms_task(e);
    evaluate_errors(e);
    drive_step(e);
    update_image(e);
    if (e->k % e->dash_ticks == 0)
        send_dash_frame(e);
    e->k++;
}

void esc_tick(struct esc *e, int64_t now_us)
{
    if (!e || !e->powered)
        return;
    while (tick_time(e, e->k) <= now_us)
        run_tick(e);
}

int64_t esc_next_tick_us(const struct esc *e)
{
    if (!e || !e->powered)
        return INT64_MAX;
    return tick_time(e, e->k);
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
    frame_decoder_init(&e->dec[ESC_LINE_BMS], on_frame_event, e);
    frame_decoder_init(&e->dec[ESC_LINE_DASH], on_frame_event, e);
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
    frame_decoder_init(&e->dec[ESC_LINE_BMS], on_frame_event, e);
    frame_decoder_init(&e->dec[ESC_LINE_DASH], on_frame_event, e);
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
    e->rider.throttle = clampd(r->throttle, 0.0, 1.0);
    e->rider.brake = clampd(r->brake, 0.0, 1.0);
    if ((int)e->rider.mode < ESC_MODE_ECO || (int)e->rider.mode > ESC_MODE_SPORT)
        e->rider.mode = ESC_MODE_NORMAL;
}

void esc_set_supply_v(struct esc *e, double volts)
{
    e->supply_v = isfinite(volts) && volts > 0.0 ? volts : 0.0;
}

void esc_set_grade(struct esc *e, double grade)
{
    e->grade = isfinite(grade) ? clampd(grade, -1.0, 1.0) : 0.0;
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
    unsigned b = code_bit(code);
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
