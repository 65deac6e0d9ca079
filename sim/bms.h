/* bms.h: the BMS firmware model: measurement, coulomb counting, protections, balancing, the
 * 256-byte register image and request handling. Pure: no I/O, no clocks, no globals; all
 * randomness from a caller seed.
 *
 * The model reads a snapshot of what its front end sees (struct bms_inputs), not the pack
 * model, so sim/bms does not depend on sim/pack. The caller (scenario engine, `bmsrig bms`)
 * builds the snapshot each tick from whatever supplies the signals, then:
 *
 *     bms_step(b, now_us, dt_s, &in);             measure, count, protect, balance, refresh
 *     if (!bms_discharge_enabled(b)) load = 0;    the switches really cut the pack
 *     bms_bleed(b, g)                             balancing resistors for the pack model
 *     bms_handle_request(b, now_us, &req, &rep)   a frame addressed to the BMS
 *
 * Current sign everywhere: + = discharge, - = charge. */
#ifndef BMSRIG_SIM_BMS_H
#define BMSRIG_SIM_BMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/bms_profile.h"
#include "sim/frame.h"
#include "sim/regmap.h"

/* What the BMS front end sees at one instant. Fill `ngroups` entries of group_v (normally the
 * profile's series count). An NTC input of NaN or +INFINITY reads as open (very cold), 0 as
 * shorted (very hot). */
struct bms_inputs {
    unsigned ngroups;
    double group_v[BMS_GROUPS_MAX];   /* per-group sense voltage, V (as the sense wires show) */
    double current_a;                 /* pack current through the shunt, + = discharge */
    double ntc_ohm[BMS_NTC_MAX];      /* thermistor resistance, ohm */
    bool charger_present;             /* a charger is connected to the charge port */
    double charger_v;                 /* its open-circuit voltage, V (0 if absent) */
};

/* Fills `in` with a resting pack: every group at cell_v, no current, both NTCs at temp_c
 * (converted with the profile's B value), no charger. */
void bms_inputs_rest(struct bms_inputs *in, const struct bms_profile *p, double cell_v,
                     double temp_c);

/* Thermistor resistance at temp_c for a B-model NTC (helper for tests and callers). */
double bms_ntc_ohm_from_c(double temp_c, double beta, double r25_ohm);
/* Inverse: temperature in C for a resistance (open -> -273 or below clamps in the image). */
double bms_ntc_c_from_ohm(double ohm, double beta, double r25_ohm);

/* Protection flags (a bit each; several can hold at once). */
enum bms_prot {
    BMS_PROT_CELL_OV = 1u << 0,      /* a group above cell_ov: charge off, status bit 9 */
    BMS_PROT_CHARGE_FULL = 1u << 1,  /* the charge ceiling (charge_stop_mv) reached: charge off */
    BMS_PROT_CELL_UV = 1u << 2,      /* a group below cell_uv: discharge off */
    BMS_PROT_DEEP_UV = 1u << 3,      /* lockout: charge and discharge off, bit 14, latched */
    BMS_PROT_DSG_OC = 1u << 4,       /* discharge over-current: discharge off, bit 8 */
    BMS_PROT_SHORT = 1u << 5,        /* short circuit: discharge off, bit 8 */
    BMS_PROT_CHG_OC = 1u << 6,       /* charge over-current: charge off, bit 13 */
    BMS_PROT_CHG_TEMP = 1u << 7,     /* outside the charge temperature window: charge off */
    BMS_PROT_DSG_TEMP = 1u << 8,     /* outside the discharge window: discharge off */
    BMS_PROT_OPEN_WIRE = 1u << 9,    /* a sense wire reads open: both off, bits 8 and 13 */
    BMS_PROT_NO_WAKE = 1u << 10,     /* needs_charger_wake and no charger seen yet: dsg off */
};

/* Image overrides the protocol faults use (rig/line/link.h applies them by name). */
enum bms_override {
    BMS_OVR_STALE = 1u << 0,          /* the image stops refreshing (the last computed one) */
    BMS_OVR_SERIAL_DEFAULT = 1u << 1, /* serial served as 3GA0016A1A0001 (ESC error 23) */
    BMS_OVR_CONFIG_INVALID = 1u << 2, /* status bit 0 served clear (ESC error 22) */
};

/* What bms_handle_request did with a frame. */
enum bms_req_result {
    BMS_REQ_REPLY,        /* *reply holds the answer */
    BMS_REQ_NO_REPLY,     /* handled, nothing to send (write without acknowledgement) */
    BMS_REQ_SILENT,       /* still waking up (power-up silence) */
    BMS_REQ_OTHER_ADDR,   /* not addressed to the BMS: ignored */
    BMS_REQ_UNKNOWN_CMD,  /* unknown command: ignored */
    BMS_REQ_BAD_RANGE,    /* read/write outside the image, or a bad length: ignored */
};

struct bms_counters {
    uint64_t requests;      /* frames addressed to the BMS */
    uint64_t replies;
    uint64_t silent;        /* dropped during the power-up silence */
    uint64_t other_addr;
    uint64_t unknown_cmd;
    uint64_t bad_range;
    uint64_t writes;        /* accepted writes */
    uint64_t writes_refused;
};

/* Measured values after the last bms_step (what the image is refreshed from). */
struct bms_measure {
    unsigned ngroups;
    uint16_t group_mv[BMS_GROUPS_MAX];
    uint32_t pack_mv;              /* sum of the measured groups */
    int32_t current_ma;            /* quantised, + = discharge */
    double temp_c[BMS_NTC_MAX];
    double remaining_mah;          /* coulomb counter */
    unsigned soc_pct;
};

struct bms;

/* Creates a BMS for `profile` (copied). `seed` drives the ADC noise. Owned: free with
 * bms_free. Returns NULL on allocation failure or an invalid profile. The model starts
 * powered at now_us = 0 with the counter at 50 % (bms_set_soc changes it). */
struct bms *bms_new(const struct bms_profile *profile, uint64_t seed);
void bms_free(struct bms *b);   /* NULL-safe */

/* Borrowed: valid until bms_free. */
const struct bms_profile *bms_profile(const struct bms *b);

/* Power cycle: clears the wake state (silence restarts at the next request heard), keeps the
 * coulomb counter, clears non-latched protections. */
void bms_power_on(struct bms *b, int64_t now_us);

/* Sets the coulomb counter to `pct` of the real capacity (0..100), or to `mah` exactly. */
void bms_set_soc(struct bms *b, double pct);
void bms_set_remaining_mah(struct bms *b, double mah);

/* Sets the noise sigmas to zero when `off` (conformance and exact tests). */
void bms_set_noise(struct bms *b, bool on);

/* Advances the model by dt_s at time now_us with the inputs seen during that interval. The
 * current comparators act on every step; the group voltages and NTCs are read only on a step
 * that takes a sample (every profile sample_ms, and the first step after bms_new or
 * bms_power_on), which bms_sample_due tells beforehand, so a caller may fill them only then. */
void bms_step(struct bms *b, int64_t now_us, double dt_s, const struct bms_inputs *in);
/* True when the next bms_step of dt_s takes a sample (reads group_v and ntc_ohm). */
bool bms_sample_due(const struct bms *b, double dt_s);
/* True when the last bms_step took a sample (measurements, bleed and image changed). */
bool bms_sampled(const struct bms *b);

/* Switch states the pack model must obey. */
bool bms_discharge_enabled(const struct bms *b);
bool bms_charge_enabled(const struct bms *b);
/* True while group g (0-based) bleeds bal_current_ma through its balancing resistor. */
bool bms_bleed(const struct bms *b, unsigned group);
/* Active protections (enum bms_prot bits). */
uint32_t bms_protections(const struct bms *b);
/* Status word 0x30 as the model computes it (before overrides). */
uint16_t bms_status(const struct bms *b);
/* Borrowed: valid until the next bms_step. */
const struct bms_measure *bms_measure(const struct bms *b);

/* The 256-byte register image (words 0x00-0x7F) as served. Borrowed: valid until bms_free;
 * its contents change on bms_step and accepted writes. */
const uint8_t *bms_image(const struct bms *b);

/* Image overrides (enum bms_override bits), set and cleared by the link's faults. */
void bms_set_overrides(struct bms *b, uint32_t overrides);
uint32_t bms_overrides(const struct bms *b);

/* Handles one decoded frame heard at now_us (the time its last byte arrived). Fills *reply for
 * BMS_REQ_REPLY. Reads (0x01) answer from 0x25 for any range inside the image; writes (0x02
 * acknowledged with result 1 accepted / 0 refused, 0x03 silent) change writable words only
 * (serial 0x10-0x16, cycles 0x1B, charges 0x1C, date 0x20). */
enum bms_req_result bms_handle_request(struct bms *b, int64_t now_us, const struct frame *req,
                                       struct frame *reply);

/* True once the power-up silence is over (at now_us). */
bool bms_awake(const struct bms *b, int64_t now_us);

/* Borrowed: valid until bms_free. */
const struct bms_counters *bms_counters(const struct bms *b);

/* Name of a bms_req_result / protection bit, for logs. */
const char *bms_req_result_name(enum bms_req_result r);
const char *bms_prot_name(uint32_t bit);

#endif
