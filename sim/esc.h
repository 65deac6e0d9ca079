/* esc.h: the virtual controller: a clean-room model of the stock M365 ESC (and a Pro 2 variant)
 * as seen from its two buses, driven entirely by the caller's clock.
 *
 * What it models (docs/controller.md has the details, sim/esc_params.h every constant):
 * - the 5 ms main loop (tick_us), started first_req_ms after power-on;
 * - the BMS boot handshake (read 0x10/16 every 3 ticks until answered, then 0x30/12 until
 *   answered; gives up for good after boot_tries requests) and the running poll (0x30/12 every
 *   2 x poll_half_ticks, a reply counts only inside the window up to the next check);
 * - the error byte (21, 22, 23, 24, 35, 39; the lowest active number wins) mirrored to ESC
 *   words 0x1B and 0xB0, and the BMS data it keeps (0x22, 0x48, 0x50, 0x67, 0xB4);
 * - the rider, the current limits (mode, limp, battery-low, cut, derating, trip, regen) and a
 *   simple vehicle (mass, wheel, motor power, drag), giving the battery current it draws;
 * - the dashboard bus: answers reads to 0x20 from its register image, sends the 0x64 frame.
 *
 * Time: every call that takes `now_us` (microseconds, the caller's clock, e.g. since the run
 * started) first runs all main-loop ticks due at or before now_us. Bytes handed to esc_rx are
 * seen by the main loop at the next tick after their arrival. Time must not go backwards.
 * Pure: no I/O, no clocks, no globals; the only allocation is in esc_new. Not thread-safe. */
#ifndef BMSRIG_SIM_ESC_H
#define BMSRIG_SIM_ESC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/esc_params.h"

struct esc;

/* The controller's two serial lines. */
enum esc_line {
    ESC_LINE_BMS = 0,    /* two-wire UART to the BMS (USART3) */
    ESC_LINE_DASH = 1,   /* single-wire bus to the dashboard / BLE board (USART1) */
};

/* Riding modes (M365: eco and normal; Pro 2 adds sport). */
enum esc_mode { ESC_MODE_ECO = 0, ESC_MODE_NORMAL = 1, ESC_MODE_SPORT = 2 };

/* Rider inputs; values outside 0..1 are clamped. */
struct esc_rider {
    double throttle;     /* 0..1 */
    double brake;        /* 0..1 (regen first, mechanical brake on top) */
    enum esc_mode mode;
};

/* Codes the model can raise (protocol.md section 4.3). */
enum esc_error {
    ESC_ERR_NONE = 0,
    ESC_ERR_BMS_COMM = 21,       /* comm lost or boot handshake not done */
    ESC_ERR_BMS_CONFIG = 22,     /* BMS status bit 0 clear */
    ESC_ERR_BMS_SERIAL = 23,     /* BMS serial is the default 3GA0016A1A0001 */
    ESC_ERR_SUPPLY = 24,         /* own supply at boot outside supply_min_v .. supply_max_v */
    ESC_ERR_NOT_ACTIVATED = 35,  /* ESC serial default (esc_activated = 0) */
    ESC_ERR_BATT_TEMP = 39,      /* BMS temperatures out of range or too far apart */
};

/* Why the battery current limit is what it is (the most restrictive cause). */
enum esc_limit_reason {
    ESC_LIMIT_MODE = 0,      /* the riding mode's limit, no derating */
    ESC_LIMIT_DERATE,        /* mode limit times a derating factor < 1 */
    ESC_LIMIT_LIMP,          /* comm lost / BMS not OK / BMS invalid */
    ESC_LIMIT_LOWBATT,       /* remaining capacity below lowbatt_mah */
    ESC_LIMIT_CUT,           /* own supply below cut_v */
    ESC_LIMIT_TRIP,          /* over-current trip in force */
    ESC_LIMIT_OFF,           /* not powered */
};

/* What the ESC believes about the BMS (its copy of the last good replies). */
struct esc_bms_view {
    bool have_serial;            /* a 0x10 reply has been seen */
    bool have_status;            /* a 0x30 reply has been seen */
    char serial[15];             /* 14 ASCII bytes + NUL */
    uint16_t fw;                 /* BMS word 0x17 */
    uint16_t status;             /* BMS word 0x30 */
    uint16_t remaining_mah;      /* 0x31 */
    uint16_t soc_pct;            /* 0x32 */
    int16_t current_10ma;        /* 0x33, + = discharge */
    uint16_t voltage_10mv;       /* 0x34 */
    int t1_c, t2_c;              /* 0x35 bytes - 20 */
};

/* Counters and flags, for tests, traces and the CLI. */
struct esc_status {
    bool powered;
    bool bms_ok;                 /* boot handshake done */
    bool boot_gave_up;           /* handshake never completed: polling stopped for good */
    bool comm_lost;              /* miss_limit consecutive misses (or boot gave up) */
    bool eval_started;           /* error evaluation running */
    bool lowbatt;                /* battery-low flag (hysteresis lowbatt_mah .. clear_mah) */
    bool tripped;                /* over-current trip in force */
    uint64_t ticks;              /* main-loop ticks since power-on */
    uint32_t boot_requests;      /* 0x10 and 0x30 requests of the handshake */
    uint32_t polls;              /* running 0x30 polls sent */
    uint32_t good_replies;       /* polls answered inside their window */
    uint32_t misses;             /* polls not answered inside their window, total */
    uint32_t miss_run;           /* consecutive misses now */
    uint32_t frames_in;          /* valid frames decoded on the BMS line */
    uint32_t bad_frames_in;      /* bad checksum / length / truncated on the BMS line */
    int64_t last_good_reply_us;  /* arrival of the last reply that counted; -1 if none */
    int64_t error21_since_us;    /* when error 21 last became the shown code; -1 if not shown */
    unsigned active_mask;        /* bit per code: see esc_error_active */
    double limit_a;              /* battery current limit in force, A */
    double derate;               /* derating factor 0.25 .. 1 */
    enum esc_limit_reason limit_reason;
};

/* Bytes the model sends. `t_us` is the tick time at which the frame was queued for sending;
 * bytes are borrowed, valid during the call. */
typedef void (*esc_tx_fn)(void *user, enum esc_line line, int64_t t_us, const uint8_t *bytes,
                          size_t n);

/* ---- life cycle ---------------------------------------------------------------------------- */

/* A new, unpowered controller with a copy of `p` (NULL = M365 defaults). Owned: free with
 * esc_free. Returns NULL on allocation failure or an invalid parameter set. */
struct esc *esc_new(const struct esc_params *p);
void esc_free(struct esc *e);                 /* NULL-safe */

/* The parameters in use. Borrowed: valid until esc_free. */
const struct esc_params *esc_params(const struct esc *e);

/* Power-on at now_us: all state reset (a power cycle clears latched errors). The supply voltage
 * set with esc_set_supply_v before or after is sampled at the first tick for the error-24
 * check. Powering on an already powered ESC is a power cycle. */
void esc_power_on(struct esc *e, int64_t now_us);
void esc_power_off(struct esc *e);
/* False once powered off, by esc_power_off or by itself (error 24: supply_off_ms after power-on). */
bool esc_powered(const struct esc *e);

/* Runs the main-loop ticks due up to and including now_us. */
void esc_tick(struct esc *e, int64_t now_us);

/* Time of the next main-loop tick (INT64_MAX when unpowered): a virtual clock may jump there. */
int64_t esc_next_tick_us(const struct esc *e);

/* ---- bytes in and out ---------------------------------------------------------------------- */

/* Bytes that arrived on `line` at now_us (runs due ticks first). Any chunking. */
void esc_rx(struct esc *e, enum esc_line line, int64_t now_us, const uint8_t *bytes, size_t n);

/* Bytes out: with a callback set, every frame goes to it as it is sent and nothing is queued;
 * without one, frames queue per line (up to 4 KiB; older bytes are dropped beyond that, counted
 * in esc_tx_dropped) and esc_tx_take copies up to `cap` of them out, returning the count. */
void esc_set_tx(struct esc *e, esc_tx_fn fn, void *user);
size_t esc_tx_take(struct esc *e, enum esc_line line, uint8_t *buf, size_t cap);
uint64_t esc_tx_dropped(const struct esc *e);

/* ---- inputs -------------------------------------------------------------------------------- */

void esc_set_rider(struct esc *e, const struct esc_rider *r);
/* The ESC's own measurement of its supply (pack terminal voltage), V. */
void esc_set_supply_v(struct esc *e, double volts);
/* Road grade as rise/run (0.05 = 5 % uphill). */
void esc_set_grade(struct esc *e, double grade);
/* Overrides the vehicle speed (e.g. a scenario pushing the scooter), km/h, >= 0. */
void esc_set_speed_kmh(struct esc *e, double kmh);

/* ---- outputs ------------------------------------------------------------------------------- */

/* The shown error code (0 = none): the lowest active code once evaluation has started. */
int esc_error_code(const struct esc *e);
/* True if `code` (one of enum esc_error) is active, whether or not it is the one shown. */
bool esc_error_active(const struct esc *e, int code);

/* Battery current the controller draws now, A (+ discharge, - regen; 0 unpowered). */
double esc_battery_current_a(const struct esc *e);
double esc_speed_kmh(const struct esc *e);
/* Distance since power-on, m. */
double esc_distance_m(const struct esc *e);

/* The ESC register image, REGMAP_ESC_WORDS words (512 bytes). Borrowed: valid until the next
 * call that takes now_us, or esc_free. */
const uint8_t *esc_image(const struct esc *e);
/* Its copy of the BMS replies (256 bytes, words 0x00-0x7F at 2 x word). Borrowed, as above. */
const uint8_t *esc_bms_mirror(const struct esc *e);

void esc_bms_view(const struct esc *e, struct esc_bms_view *out);
void esc_status(const struct esc *e, struct esc_status *out);

/* Names for printing. */
const char *esc_limit_reason_name(enum esc_limit_reason r);
const char *esc_mode_name(enum esc_mode m);

#endif
