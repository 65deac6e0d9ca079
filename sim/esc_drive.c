/* esc_drive.c: the virtual controller's current and speed limits and its vehicle model. */
#include "sim/esc_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/frame.h"
#include "sim/regmap.h"
#include "sim/status.h"

/* ==== limits and vehicle ===================================================================== */

/* 1 at or beyond `start`, `floor` at or beyond `full`, linear in between (either direction). */
static double ramp(double x, double start, double full, double floor_)
{
    if (start == full)
        return (full > start ? x >= full : x <= full) ? floor_ : 1.0;
    double u = (x - start) / (full - start);
    u = esc_clampd(u, 0.0, 1.0);
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
    bool limp = e->comm_lost || !e->bms_ok || esc_bms_invalid(e) || e->p.v[ESC_P_ESC_ACTIVATED] == 0.0;
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

void esc_drive_step(struct esc *e)
{
    const double *v = e->p.v;
    double dt = esc_tick_s(e);
    double spd_lim_kmh, phase_a;
    compute_limits(e, &spd_lim_kmh, &phase_a);

    double vs = e->v_ms;
    double kmh = vs * 3.6;
    double volts = e->supply_v > 1.0 ? e->supply_v : 1.0;
    double eff = v[ESC_P_EFFICIENCY];
    double r = v[ESC_P_WHEEL_D_M] / 2.0;
    double f_cap = v[ESC_P_KT_NM_PER_A] * phase_a / r;
    double thr = esc_clampd(e->rider.throttle, 0.0, 1.0);
    double brk = esc_clampd(e->rider.brake, 0.0, 1.0);

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
                           ? esc_clampd((spd_lim_kmh - kmh) / v[ESC_P_SPEED_TAPER_KMH], 0.0, 1.0)
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
