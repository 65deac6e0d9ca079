/* engine.h: the scenario engine's world: one clock and, on the virtual target, one pack model,
 * one BMS model, one in-process link with its protocol faults, and one virtual controller,
 * advanced together one tick at a time; plus the traces (signals CSV, bus log CSV).
 *
 * One tick (DESIGN.md section 2), at time now = previous + tick:
 *   1. load current: the charger (CC/CV, only while the BMS charge switch is closed), plus a
 *      replayed ride log or what the controller draws (drive and regen), 0 while the BMS
 *      discharge switch is open (the controller sits on the discharge port);
 *   2. pack_step; 3. BMS inputs from the pack's sense read-outs -> bms_step -> bleed back into
 *   the pack; 4. the controller's supply follows the pack (0 while discharge is off: a
 *   controller that loses its supply powers off); 5. link_advance, BMS bytes into the
 *   controller, esc_tick (its bytes go out on the link through a callback); 6. traces.
 *
 * Fault calls go through the engine so that --suppress-faults can drop them (they are counted
 * as requested either way). The engine holds no globals and is not thread-safe: one engine per
 * scenario run. */
#ifndef BMSRIG_RIG_ENGINE_H
#define BMSRIG_RIG_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "rig/realtime/clock.h"
#include "rig/scenario/result.h"

#define ENGINE_NAME_MAX 32

struct pack;
struct bms;
struct esc;
struct link;
struct rig_hw;
struct dut_serial;
struct dut_firmware;

struct engine_config {
    enum clock_kind clock;
    int64_t tick_us;                  /* > 0 */
    int64_t spin_tail_us;             /* real time: busy-wait this last part of each tick's
                                         sleep (`--rt`); 0 = sleep all of it */
    uint64_t seed;                    /* everything random derives from it */
    bool suppress_faults;             /* accept fault calls but apply none (check switch) */
    /* the models (names as in the scenario declaration) */
    char pack[ENGINE_NAME_MAX];       /* topology "10s3p", "12s4p" ... */
    char cell[ENGINE_NAME_MAX];       /* cell parameter set: "lg_m26", "eve_26v", ... */
    double cell_ah;                   /* > 0: override the set's capacity (a bigger cell of the
                                         same chemistry) [I]; 0 = as the set says */
    double soc;                       /* initial SOC of every cell, 0..1 */
    double temp_c;                    /* initial cell temperature */
    double ambient_c;                 /* ambient */
    char bms[ENGINE_NAME_MAX];        /* BMS profile name (fixtures/bms) */
    char esc[ENGINE_NAME_MAX];        /* controller variant "m365" or "pro2" */
    char esc_figures[ENGINE_NAME_MAX];  /* the virtual controller's figure set: "recorded"
                                         (default: the real unit's recordings) or "emulated"
                                         (the stock firmware under CPU emulation);
                                         sim/esc_params.h */
    double gap_chars;                 /* the fake BMS receiver's partial-frame reset, in
                                         character times (rig/line/link.h); 0 = the link's
                                         default */
    /* traces (borrowed; NULL = none) */
    FILE *trace_signals;
    FILE *trace_bus;
    int64_t trace_every_us;           /* signals decimation */
    const char *trace_title;          /* first comment line of the bus log */
    /* the bench (borrowed, NULL = virtual target): each tick the model's cell, NTC, pack and
     * charger voltages go to the description's DAC channels in one USB write, and the wire
     * faults (bms_tx, esc_tx, esc_resistor, moisture) switch its fault lines. The device
     * under test is still the in-process virtual controller. */
    struct rig_hw *rig;
    /* a real controller on the bench's serial lines (borrowed, NULL = the in-process virtual
     * controller): our BMS model answers it through the link, its error and speed are read
     * back over the dashboard line, and the pack sees no load from it (no current sense). */
    struct dut_serial *dut;
    /* a controller firmware image on the emulated MCU (borrowed, NULL = none; exclusive with
     * `dut`): stepped by this clock, its BMS line on the link's in-process wire (every
     * protocol fault acts on it), its dashboard bus read by the dashboard model (error and
     * speed), its ADC fed the pack's terminal voltage (0 while the discharge switch is
     * open). Read-outs it cannot give (motor current, drive load, internals) skip. */
    struct dut_firmware *fw;
    /* the scenario's result (borrowed, NULL = none): every fault the engine applies or clears
     * is added to it (scenario_result_add_fault) at the scenario time it takes effect, for the
     * events file and the reports; suppressed faults (suppress_faults) are not. */
    struct scenario_result *record;
};

/* Defaults: virtual clock, 1 ms tick, seed 1, 10s3p lg_m26 at 80 % and 25 C, m365_stock BMS,
 * m365 controller, 100 ms trace decimation. */
void engine_config_default(struct engine_config *cfg);

struct engine;

/* Builds the world. Returns BMSRIG_OK, or BMSRIG_ERR_ARG / BMSRIG_ERR_PARSE / BMSRIG_ERR_NOMEM
 * with the reason (naming the setting) in err. *out owned: engine_free. */
int engine_new(const struct engine_config *cfg, struct engine **out, char *err, size_t errcap);
void engine_free(struct engine *e);   /* NULL-safe; flushes the traces */

/* Advances one tick. BMSRIG_OK, BMSRIG_ERR_IO if a real device failed (rig fault), or
 * BMSRIG_ERR_STATE if the firmware under test faulted (engine_dut_message says why). */
int engine_step(struct engine *e);

/* ---- time ------------------------------------------------------------------------------- */
double engine_now_s(const struct engine *e);
double engine_tick_s(const struct engine *e);
const struct clock *engine_clock(const struct engine *e);   /* borrowed */

/* ---- the models (borrowed, valid until engine_free; for read-outs only: change state
 *      through the engine calls below so that suppression and traces see it) ------------- */
const struct pack *engine_pack(const struct engine *e);
const struct bms *engine_bms(const struct engine *e);
const struct esc *engine_esc(const struct engine *e);
const struct link *engine_link(const struct engine *e);

/* ---- commands ----------------------------------------------------------------------------- */
void engine_power_on(struct engine *e);     /* controller on; the BMS sees a power-up */
void engine_power_off(struct engine *e);
bool engine_powered(const struct engine *e);
/* False on a bench whose description has no controller power line (a fault line named `power`):
 * the controller is then powered by hand and a power-off cannot be done. */
bool engine_can_switch_power(const struct engine *e);
/* True when the device under test is the in-process virtual controller. */
bool engine_dut_virtual(const struct engine *e);
/* True when the controller's error and speed words can be observed: the virtual controller,
 * a firmware image (through the dashboard model), or a real one with a dashboard line.
 * Without one, expectations on them must skip. */
bool engine_dut_observable(const struct engine *e);
/* True when the device under test is a firmware image on the emulated MCU. */
bool engine_dut_firmware(const struct engine *e);
/* Why the last engine_step returned BMSRIG_ERR_STATE: the device under test stopped (a
 * firmware image faulted: the message names the image and the PC). "" otherwise. Borrowed. */
const char *engine_dut_message(const struct engine *e);

/* Rider inputs (clamped to 0..1); mode 0 eco, 1 normal, 2 sport. */
void engine_set_rider(struct engine *e, double throttle, double brake, int mode);
void engine_get_rider(const struct engine *e, double *throttle, double *brake, int *mode);
/* Road grade as rise/run (0.08 = 8 % uphill). */
void engine_set_grade(struct engine *e, double grade);

/* Charger: a CC/CV source of `volts` and `amps`. Models by name: "stock" (42 V 1.7 A brick),
 * "3a" (42 V 3 A), "13s" (a 13S charger, 54.6 V 2 A). BMSRIG_ERR_ARG for an unknown name or
 * values outside 1..100 V, 0.05..20 A. */
int engine_charger_plug(struct engine *e, const char *model, double volts, double amps);
void engine_charger_unplug(struct engine *e);
bool engine_charger_present(const struct engine *e);
double engine_charger_v(const struct engine *e);

/* Ride-log replay: a CSV with a header row holding t_s and current_a (battery current,
 * + = discharge, drives the pack directly) or throttle[,brake] (drives the controller).
 * Replaces the previous replay; it starts now and ends with its last row (the load then
 * returns to the controller). On error returns BMSRIG_ERR_PARSE / _IO with "file:line: ..." in
 * err. */
int engine_replay_load(struct engine *e, const char *path, char *err, size_t errcap);
bool engine_replay_active(const struct engine *e);
/* Whether the replay running is a throttle/brake log (it drives the controller), not a
 * battery-current one. */
bool engine_replay_drives_controller(const struct engine *e);

void engine_set_ambient_c(struct engine *e, double c);

/* Puts `ah` of charge straight into every cell of group g (0-based) as an external supply on
 * the group's taps would (the field repair of a locked-out pack: a TP4056 board per group).
 * Not a fault: never suppressed. BMSRIG_ERR_ARG for a bad group or ah outside 0..100. */
int engine_group_charge(struct engine *e, unsigned group, double ah);

/* ---- faults (counted; applied unless suppressed) ----------------------------------------- */

/* Named faults: the fault table's (rig/fault/fault.h, `bmsrig faults`), by name or alias.
 * `value` in the fault's unit (switches ignore it; esc_resistor: ohms, INFINITY = open). Each
 * takes its virtual effect on the link; on a bench (cfg.rig) a fault with a bench line also
 * switches it, and with a real controller (cfg.dut) only that. BMSRIG_ERR_ARG for an unknown
 * name (the reason and the nearest name in err), BMSRIG_ERR_RANGE for a bad value. On a bench
 * a fault whose line the description lacks returns BMSRIG_ERR_STATE with the reason in err:
 * the scenario is then skipped, not passed. */
int engine_fault(struct engine *e, const char *name, double value, char *err, size_t errcap);
/* Clears a named fault (its link faults, its bench line). BMSRIG_ERR_ARG for an unknown name. */
int engine_fault_clear(struct engine *e, const char *name, char *err, size_t errcap);

enum engine_pack_fault {
    ENGINE_PF_CELL_OPEN,       /* index = cell; a = 1 open, 0 mend */
    ENGINE_PF_CELL_SHORT,      /* index = cell; a = ohms (INFINITY = none) */
    ENGINE_PF_CELL_WEAK,       /* index = cell; a = capacity factor, b = resistance factor */
    ENGINE_PF_GROUP_SOC,       /* index = group; a = dsoc */
    ENGINE_PF_GROUP_MV,        /* index = group; a = dv (V): shifts the group's rest voltage */
    ENGINE_PF_SENSE_OPEN,      /* index = tap 1..S-1; a = 1 open, 0 mend */
    ENGINE_PF_SENSE_LEAK,      /* index = group; a = leak ohms (INFINITY = none) */
    ENGINE_PF_MOISTURE,        /* index = group; a = film ohms (INFINITY = dry) */
    ENGINE_PF_NTC,             /* index = ntc; a = enum ntc_fault, b = its value */
};
/* Returns BMSRIG_OK, or the model's error (BMSRIG_ERR_ARG for a bad index). */
int engine_pack_fault(struct engine *e, enum engine_pack_fault kind, unsigned index, double a,
                      double b);

unsigned engine_faults_requested(const struct engine *e);
unsigned engine_faults_applied(const struct engine *e);

/* The last command the scenario gave the engine (power on/off, fault, clear, charger, replay,
 * pack fault) as text ("fault bms_tx 1", "power on") and its scenario time; returns how many
 * commands so far (0: none yet, *text = ""). Borrowed: valid until the next command. */
#define ENGINE_EVENT_MAX 64
unsigned engine_last_event(const struct engine *e, const char **text, double *t_s);

/* ---- read-outs the expectations use ------------------------------------------------------ */
double engine_pack_voltage(const struct engine *e);
double engine_pack_current(const struct engine *e);   /* + = discharge */
int engine_esc_error(const struct engine *e);
double engine_esc_speed(const struct engine *e);
/* BMS status word 0x30 as served on the bus (after image overrides). */
unsigned engine_bms_status(const struct engine *e);
/* A register word: image "bms" (as served) or "esc". BMSRIG_ERR_ARG for a bad image or word. */
int engine_reg(const struct engine *e, const char *image, unsigned word, unsigned *out);
/* The controller's firmware version word 0x1A as read from it over its dashboard bus (the
 * virtual controller: the version it models; a firmware image: what the image answers): true
 * with *out and *source ("virtual controller model", "firmware image" or "controller on the bench", static) once one was
 * answered; false before and on a bench (not read). */
bool engine_dut_version(const struct engine *e, uint16_t *out, const char **source);
/* The controller as the BMS line shows it since its last power-on (rig/line/line_watch.h):
 * boot retries, polls, polls without an intact reply, damaged frames it received. The same
 * on every target. Borrowed. */
struct line_watch_counts;
const struct line_watch_counts *engine_line_watch(const struct engine *e);
/* Bytes seen so far on "esc_tx" (sent by the controller) or "bms_tx" (received by it). */
uint64_t engine_line_bytes(const struct engine *e, const char *line);

#endif
