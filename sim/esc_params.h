/* esc_params.h: every constant of the virtual controller in ONE table (name, value per model
 * variant, unit, grade, source), and the pure text parser for profile files that override them.
 *
 * Grades: 'S' a cited public source says so; 'D' derived from the two real bus recordings or
 * the stock firmware (protocol.md section 4); 'O' observed running the stock firmware 1.3.4
 * under CPU emulation (firmware.md section 5); 'I' our inference, to be confirmed on a bench.
 *
 * Two figure sets. Where the real unit's recording and the stock firmware under emulation
 * disagree, the table's value is the recording's (ESC_FIGURES_RECORDED, the default: a real
 * unit's RC oscillator runs slightly fast) and ESC_PARAM_EMULATED_TABLE gives the emulator's
 * (ESC_FIGURES_EMULATED: ideal 64 MHz clock). Both show in `bmsrig esc --show-params`; a
 * profile chooses with `figures = emulated`.
 * The Pro 2 column is less documented than the M365 one: where a Pro 2 value is only carried
 * over from the M365 its grade is 'I'. `bmsrig esc --show-params` prints this table. */
#ifndef BMSRIG_SIM_ESC_PARAMS_H
#define BMSRIG_SIM_ESC_PARAMS_H

#include <stdbool.h>
#include <stddef.h>

/* The controller variants. */
enum esc_model {
    ESC_MODEL_M365 = 0,   /* M365, stock DRV 1.3.x (the documented one) */
    ESC_MODEL_PRO2 = 1,   /* Pro 2: same bus, less evidence (protocol.md section 3, 7.4) */
};
#define ESC_MODEL_COUNT 2

/* X(ID, name, unit, m365 value, m365 grade, pro2 value, pro2 grade, source) */
#define ESC_PARAM_TABLE(X) \
    /* ---- timing of the main loop and the BMS task ---------------------------------------- */ \
    X(TICK_US, "tick_us", "us", 4988.79, 'D', 4988.79, 'I', \
      "main-loop tick: firmware SysTick 5 ms nominal (LOAD 39999 at 8 MHz); 4988.79 us is the" \
      " fit of the two-way recording (2118 ticks in 10.566 s; poll period 42 ticks = 209.5 " \
      "ms); the RC oscillator runs 0.2 % fast") \
    X(FIRST_REQ_MS, "first_req_ms", "ms", 589.0, 'D', 589.0, 'I', \
      "power-on to first BMS request: two-way recording 1.2936 -> 1.8823 s; the main loop " \
      "(tick 0) starts here") \
    X(BOOT_CALL_TICKS, "boot_call_ticks", "ticks", 3, 'D', 3, 'I', \
      "boot handshake routine runs every 3rd tick (DRV134 0x08003ADC); recording: 14.97 ms " \
      "between retries") \
    X(BOOT_TRIES, "boot_tries", "requests", 501, 'D', 501, 'I', \
      "boot requests before giving up for good: 501 per protocol.md (esc-side recording 2.833" \
      " -> 10.331 s counted at 15.0 ms); at its measured 14.967 ms cadence that span holds " \
      "502 slots") \
    X(POLL_HALF_TICKS, "poll_half_ticks", "ticks", 21, 'D', 21, 'I', \
      "running BMS task body every 21 ticks, alternating send / check: poll period 42 ticks " \
      "(209.5 ms recorded), reply window 21 ticks (~105 ms)") \
    X(POLL_PHASE_TICKS, "poll_phase_ticks", "ticks", 18, 'O', 18, 'I', \
      "running polls go out on a fixed grid, at ticks 18 + 42 n after tick 0, the first one " \
      "at the first grid tick after the handshake completes: DRV134 under emulation with " \
      "handshakes at ticks 123-159 polled at 144 or 186; the recording's first poll, tick 144" \
      " (104.8 ms after its 0x30 request at tick 123), agrees") \
    X(MISS_LIMIT, "miss_limit", "polls", 25, 'D', 25, 'I', \
      "consecutive missed polls that set comm-lost (error 21): DRV130-143 constant; emulation" \
      " 5.354 s after the last reply") \
    X(EVAL_START_TICKS, "eval_start_ticks", "ticks", 600, 'D', 600, 'I', \
      "error evaluation starts after 600 ticks of the main loop (DRV134 0x08002BF8), or as " \
      "soon as the handshake is done; emulation: error 21 at 3.56 s after reset") \
    /* ---- error thresholds ----------------------------------------------------------------- */ \
    X(SUPPLY_MIN_V, "supply_min_v", "V", 26.00, 'D', 26.00, 'I', \
      "error 24 below this own-ADC supply voltage at boot (DRV134 boot check; patchers' " \
      "volt_limit)") \
    X(SUPPLY_MAX_V, "supply_max_v", "V", 43.00, 'D', 43.00, 'I', \
      "error 24 above this own-ADC supply voltage at boot (a 12S pack trips it); patcher " \
      "default 43.01 V") \
    X(SUPPLY_OFF_MS, "supply_off_ms", "ms", 1695, 'O', 1695, 'I', \
      "with error 24 the controller never polls the BMS and switches itself off this long " \
      "after power-on: DRV134 under emulation at 48.95 V, no BMS request, off at 1.695 s " \
      "(reference: standby, off after ~1.6 s)") \
    X(TEMP_LOW_C, "temp_low_c", "C", -20, 'D', -20, 'I', \
      "error 39 when T1 or T2 <= this (DRV143 0x08001700)") \
    X(TEMP_HIGH_C, "temp_high_c", "C", 70, 'D', 70, 'I', \
      "error 39 when T1 or T2 >= this (DRV143 0x08001700)") \
    X(TEMP_DIFF_C, "temp_diff_c", "C", 20, 'D', 20, 'I', \
      "error 39 when |T1 - T2| > this (DRV143 0x08001700)") \
    X(ESC_ACTIVATED, "esc_activated", "bool", 1, 'I', 1, 'I', \
      "0 = the ESC's own serial is the default: error 35 (DRV134 evaluator); a shipped unit " \
      "is activated") \
    /* ---- battery current limits ----------------------------------------------------------- */ \
    X(NORMAL_BATT_A, "normal_batt_a", "A", 17.0, 'S', 17.0, 'I', \
      "battery current limit, normal (D) mode: firmware patcher form default 17000 mA " \
      "(assumed stock)") \
    X(ECO_BATT_A, "eco_batt_a", "A", 7.0, 'S', 7.0, 'I', \
      "battery current limit, eco mode: patcher form default 7000 mA (assumed stock)") \
    X(SPORT_BATT_A, "sport_batt_a", "A", 17.0, 'I', 20.0, 'I', \
      "battery current limit, sport mode: the M365 has no sport mode (= normal); Pro 2 value " \
      "is a guess") \
    X(NORMAL_PHASE_A, "normal_phase_a", "A", 32.0, 'S', 32.0, 'I', \
      "phase current limit, normal: patcher default 32000 mA; caps the low-speed force") \
    X(ECO_PHASE_A, "eco_phase_a", "A", 17.0, 'S', 17.0, 'I', \
      "phase current limit, eco: patcher default 17000 mA") \
    X(NORMAL_SPEED_KMH, "normal_speed_kmh", "km/h", 25.0, 'S', 25.0, 'S', \
      "speed limit, normal / sport (product specification 25 km/h)") \
    X(ECO_SPEED_KMH, "eco_speed_kmh", "km/h", 18.0, 'I', 15.0, 'I', \
      "speed limit, eco (owners' reports; not sourced)") \
    X(LIMP_BATT_A, "limp_batt_a", "A", 4.0, 'I', 4.0, 'I', \
      "limp limit while comm-lost / BMS not OK / status bit 0 clear / default serial: limits " \
      "block (4000, 12, 5000, 6000) read as mA and km/h (DRV134); field notes claim ~20 A " \
      "instead [?]") \
    X(LIMP_SPEED_KMH, "limp_speed_kmh", "km/h", 12.0, 'I', 12.0, 'I', \
      "limp speed limit (second field of the limits block)") \
    X(LOWBATT_BATT_A, "lowbatt_batt_a", "A", 0.5, 'I', 0.5, 'I', \
      "battery-low limit (remaining < lowbatt_mah): limits block (500, 5, 500, 500)") \
    X(LOWBATT_SPEED_KMH, "lowbatt_speed_kmh", "km/h", 5.0, 'I', 5.0, 'I', \
      "battery-low speed limit") \
    X(LOWBATT_MAH, "lowbatt_mah", "mAh", 100, 'D', 100, 'I', \
      "battery-low flag set below this BMS remaining capacity") \
    X(LOWBATT_CLEAR_MAH, "lowbatt_clear_mah", "mAh", 800, 'D', 800, 'I', \
      "battery-low flag cleared above this") \
    X(CUT_V, "cut_v", "V", 30.00, 'D', 30.00, 'I', \
      "own-ADC voltage below which drive current is cut (firmware loads the low block below " \
      "30.00 V; read as a cut)") \
    X(CUT_BATT_A, "cut_batt_a", "A", 0.0, 'I', 0.0, 'I', \
      "battery current allowed below cut_v") \
    X(DERATE_T_START_C, "derate_t_start_c", "C", 42, 'D', 42, 'I', \
      "derating starts above this BMS max temperature (factor 1.0)") \
    X(DERATE_T_FULL_C, "derate_t_full_c", "C", 50, 'D', 50, 'I', \
      "derating reaches the floor at or above this temperature") \
    X(DERATE_MAH_START, "derate_mah_start", "mAh", 900, 'D', 900, 'I', \
      "derating starts below this BMS remaining capacity") \
    X(DERATE_MAH_FULL, "derate_mah_full", "mAh", 100, 'I', 100, 'I', \
      "capacity derating reaches the floor here (end point not traced; battery-low threshold " \
      "assumed)") \
    X(DERATE_V_START, "derate_v_start", "V", 34.00, 'D', 34.00, 'I', \
      "derating starts below this own-ADC voltage") \
    X(DERATE_V_FULL, "derate_v_full", "V", 30.00, 'I', 30.00, 'I', \
      "voltage derating reaches the floor here (end point not traced; cut voltage assumed)") \
    X(DERATE_FLOOR, "derate_floor", "ratio", 0.25, 'D', 0.25, 'I', \
      "lowest derating factor (25 %); the factors of several causes do not multiply, the " \
      "smallest wins (I)") \
    X(TRIP_A, "trip_a", "A", 27.0, 'I', 27.0, 'I', \
      "over-current trip on |battery current| (field notes: 'Xiaomi controllers trip above " \
      "~27 A'); not found in the firmware") \
    X(TRIP_HOLD_MS, "trip_hold_ms", "ms", 1000, 'I', 1000, 'I', \
      "output stays off this long after a trip and until the throttle is released") \
    X(REGEN_MAX_A, "regen_max_a", "A", 6.0, 'I', 8.0, 'I', \
      "largest regen battery current at full brake lever (stock KERS; not sourced)") \
    X(REGEN_MIN_KMH, "regen_min_kmh", "km/h", 3.0, 'I', 3.0, 'I', \
      "no regen below this speed") \
    X(REGEN_OV_FACTOR, "regen_ov_factor", "ratio", 0.0, 'I', 0.0, 'I', \
      "regen factor reached while BMS status bit 9 (over-voltage) is set (eevblog: 'decreases" \
      " the regen current gradually')") \
    X(REGEN_OV_RAMP_S, "regen_ov_ramp_s", "s", 2.0, 'I', 2.0, 'I', \
      "time for the regen factor to ramp between 1 and regen_ov_factor") \
    /* ---- vehicle ------------------------------------------------------------------------- */ \
    X(MASS_KG, "mass_kg", "kg", 87.5, 'I', 89.2, 'I', \
      "scooter (12.5 kg M365, 14.2 kg Pro 2, product data) plus a 75 kg rider (assumed)") \
    X(WHEEL_D_M, "wheel_d_m", "m", 0.216, 'S', 0.216, 'S', \
      "8.5 inch tyre outer diameter") \
    X(MOTOR_RATED_W, "motor_rated_w", "W", 250, 'S', 300, 'S', \
      "motor rated power (product data); informational, the model uses motor_peak_w") \
    X(MOTOR_PEAK_W, "motor_peak_w", "W", 500, 'I', 600, 'I', \
      "largest mechanical motor power (listing figures, not measured)") \
    X(KT_NM_PER_A, "kt_nm_per_a", "Nm/A", 0.5, 'I', 0.5, 'I', \
      "hub-motor torque per phase ampere (caps force at low speed)") \
    X(EFFICIENCY, "efficiency", "ratio", 0.80, 'I', 0.80, 'I', \
      "battery-to-wheel efficiency (and wheel-to-battery in regen)") \
    X(CRR, "crr", "ratio", 0.012, 'I', 0.012, 'I', \
      "rolling resistance coefficient") \
    X(CDA_M2, "cda_m2", "m2", 0.45, 'I', 0.45, 'I', \
      "drag area of scooter and rider") \
    X(MECH_BRAKE_N, "mech_brake_n", "N", 250, 'I', 250, 'I', \
      "mechanical brake force at full lever") \
    X(SPEED_TAPER_KMH, "speed_taper_kmh", "km/h", 1.0, 'I', 1.0, 'I', \
      "drive force tapers to 0 over this band below the speed limit") \
    X(IDLE_A, "idle_a", "A", 0.03, 'D', 0.03, 'I', \
      "controller + dashboard quiescent current (recording: BMS reports +3 x 10 mA with the " \
      "ESC on, idle)") \
    /* ---- dashboard bus ------------------------------------------------------------------- */ \
    X(DASH_PERIOD_MS, "dash_period_ms", "ms", 100, 'I', 100, 'I', \
      "period of the ESC -> dashboard 0x64 frame (not measured)") \
    X(DASH_PRO_FRAME, "dash_pro_frame", "bool", 1, 'I', 1, 'S', \
      "1 = Pro-style 55 AA 08 21 64 frame with the error code in byte 11 (vesc_m365_dash); " \
      "the real M365 sends the 6-byte form without it") \
    X(ESC_FW, "esc_fw", "hex", 0x0134, 'S', 0x0250, 'I', \
      "ESC firmware version in word 0x1A (1.3.4 for the M365 model)")

/* The emulator's figures where they differ from the recording's (both models, grade 'O').
 * X(ID, value, source) */
#define ESC_PARAM_EMULATED_TABLE(X) \
    X(TICK_US, 5000.0, \
      "stock firmware 1.3.4 under CPU emulation, ideal clock: SysTick LOAD 39999 = 5.000 ms; " \
      "poll period 42 ticks = 210.0 ms (firmware.md sections 4, 5)") \
    X(FIRST_REQ_MS, 573.0, \
      "CPU emulation: first 55 AA 03 22 01 10 10 B9 FF 573 ms after reset (firmware.md " \
      "section 5)") \
    X(BOOT_TRIES, 500, \
      "CPU emulation: 500 requests 15.00 ms apart, then silence; firmware counter 5000 in " \
      "steps of 10 (firmware.md section 5)")

/* Which figures a parameter set starts from (see the top of this file). */
enum esc_figures {
    ESC_FIGURES_RECORDED = 0,   /* the real unit's recordings (default) */
    ESC_FIGURES_EMULATED = 1,   /* the stock firmware under CPU emulation */
};

#define ESC_PARAM_ENUM_(id, name, unit, v0, g0, v1, g1, src) ESC_P_##id,
enum esc_param_id { ESC_PARAM_TABLE(ESC_PARAM_ENUM_) ESC_P_COUNT };
#undef ESC_PARAM_ENUM_

/* One row of the table. Borrowed: static, valid for the program's life. */
struct esc_param_info {
    const char *name;
    const char *unit;
    double value[ESC_MODEL_COUNT];
    char grade[ESC_MODEL_COUNT];
    const char *source;
};

/* A full parameter set: the variant and one value per table row. Plain data, copy freely. */
struct esc_params {
    enum esc_model model;
    enum esc_figures figures;
    double v[ESC_P_COUNT];
    char overridden[ESC_P_COUNT];   /* 1 where a profile or caller changed the default */
};

/* Row `id` (0 .. ESC_P_COUNT-1), or NULL. */
const struct esc_param_info *esc_param_info(int id);

/* Whether row `id` has an emulated figure (grade 'O'); if so its value and source (static). */
bool esc_param_emulated(int id, double *value, const char **source);

/* Index of the row named `name`, or -1. */
int esc_param_find(const char *name);

/* "m365" / "pro2"; esc_model_parse returns BMSRIG_ERR_ARG for another name. */
const char *esc_model_name(enum esc_model m);
int esc_model_parse(const char *name, enum esc_model *out);

/* Fills `p` with the defaults of model `m` (recorded figures). */
void esc_params_default(struct esc_params *p, enum esc_model m);

/* Switches the rows that have an emulated figure to figure set `f` (other rows and values a
 * caller set are kept). "recorded" / "emulated"; esc_figures_parse returns BMSRIG_ERR_ARG for
 * another name. */
void esc_params_use_figures(struct esc_params *p, enum esc_figures f);
const char *esc_figures_name(enum esc_figures f);
int esc_figures_parse(const char *name, enum esc_figures *out);

/* Sets one value by name. BMSRIG_ERR_ARG for an unknown name, BMSRIG_ERR_RANGE for a value
 * the model cannot run with (non-finite, a tick of 0, ...). */
int esc_params_set(struct esc_params *p, const char *name, double value);

/* Applies a profile text (a caller-supplied buffer, not a file: sim/ does no I/O):
 *     # comment
 *     model = pro2          (optional; only before any other key; resets to that model's defaults)
 *     figures = emulated    (optional; recorded or emulated; only before parameter names)
 *     normal_batt_a = 20    (any table name; number, optionally followed by a # comment)
 * On failure returns BMSRIG_ERR_PARSE / _ARG / _RANGE, stores the 1-based line in *err_line and
 * a reason in err[0..errcap); `p` may then be partly updated. */
int esc_params_apply_text(struct esc_params *p, const char *text, size_t len, unsigned *err_line,
                          char *err, size_t errcap);

#endif
