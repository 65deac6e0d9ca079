/* esc_internal.h: struct esc and the functions the virtual controller's files share; private to
 * esc.c, esc_bms_link.c, esc_errors.c, esc_drive.c and esc_image.c in sim/: nothing else
 * includes it. */
#ifndef BMSRIG_SIM_ESC_INTERNAL_H
#define BMSRIG_SIM_ESC_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/esc.h"
#include "sim/frame.h"
#include "sim/regmap.h"

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
     * 39 one tick (~5 ms) before 22/23 as observed.
     * The identity (config bit, serial) is taken at the first such check only and kept until
     * the next power-on: the stock image DRV134 raises no 22 for a config that goes invalid
     * mid-run and keeps a 22 raised at power-on after the config is valid again [O]; that it
     * is one read after the handshake is our reading of those two observations [I]. The
     * temperatures are taken at every check (39 clears again [O]). */
    bool identity_checked;
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

/* Small helpers (esc.c). */
double esc_clampd(double x, double lo, double hi);
unsigned esc_code_bit(int code);
int64_t esc_tick_time(const struct esc *e, uint64_t k);
double esc_tick_s(const struct esc *e);

/* The BMS line (esc_bms_link.c): frames out, frames in, the BMS task. */
void esc_send_frame(struct esc *e, enum esc_line line, uint8_t addr, uint8_t cmd, uint8_t arg,
                    const uint8_t *payload, size_t n);
void esc_on_frame_event(void *user, const struct frame_event *ev);
void esc_process_pending(struct esc *e);
void esc_bms_task(struct esc *e);

/* Errors (esc_errors.c). */
bool esc_serial_is_default(const struct esc *e);
bool esc_bms_invalid(const struct esc *e);
/* The error-24 boot check: samples the supply once per power-on (first call after it). */
void esc_sample_supply(struct esc *e);
void esc_evaluate_errors(struct esc *e);

/* Limits and vehicle (esc_drive.c). */
void esc_drive_step(struct esc *e);

/* Register image and dashboard (esc_image.c). */
void esc_update_image(struct esc *e);
void esc_send_dash_frame(struct esc *e);

#endif
