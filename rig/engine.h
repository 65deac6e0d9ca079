/* engine.h: the scenario engine's world: one clock and, on the virtual target, one pack model,
 * one BMS model, one in-process link with its protocol faults, and one virtual controller,
 * advanced together one tick at a time; plus the traces (signals CSV, bus log CSV).
 *
 * One tick (DESIGN.md section 2): DUT demand (or the charger / replay) -> load current (0 when
 * the BMS switch for that direction is open) -> pack_step -> BMS inputs from the pack's sense
 * read-outs -> bms_step -> bleed back to the pack -> link (bytes both ways) -> esc_tick.
 *
 * The engine holds no globals and is not thread-safe: one engine per scenario run. */
#ifndef BMSRIG_RIG_ENGINE_H
#define BMSRIG_RIG_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "rig/clock.h"

#define ENGINE_NAME_MAX 32

struct engine_config {
    enum clock_kind clock;
    int64_t tick_us;                  /* > 0 */
    uint64_t seed;                    /* everything random derives from it */
    bool suppress_faults;             /* accept fault calls but apply none (check switch) */
    /* the models (names as in the scenario declaration) */
    char pack[ENGINE_NAME_MAX];       /* topology "10s3p", "12s4p" ... */
    char cell[ENGINE_NAME_MAX];       /* cell parameter set: "lg_m26", "eve_..." */
    double soc;                       /* initial SOC of every cell, 0..1 */
    double temp_c;                    /* initial cell temperature */
    double ambient_c;                 /* ambient */
    char bms[ENGINE_NAME_MAX];        /* BMS profile name */
    char esc[ENGINE_NAME_MAX];        /* "m365" or "pro2" */
    const char *fixtures_dir;         /* where cells/ and bms/ data live; borrowed */
    /* traces (borrowed; NULL = none) */
    FILE *trace_signals;
    FILE *trace_bus;
    int64_t trace_every_us;           /* signals decimation */
};

/* Defaults: virtual clock, 1 ms tick, seed 1, 10s3p lg_m26 at 80 % and 25 C, m365_stock BMS,
 * m365 controller. */
void engine_config_default(struct engine_config *cfg);

struct engine;

/* Builds the world. Returns BMSRIG_OK, or BMSRIG_ERR_ARG / BMSRIG_ERR_PARSE / BMSRIG_ERR_NOMEM
 * with the reason (naming the setting) in err. *out owned: engine_free. */
int engine_new(const struct engine_config *cfg, struct engine **out, char *err, size_t errcap);
void engine_free(struct engine *e);   /* NULL-safe; flushes the traces */

/* Advances one tick. BMSRIG_OK, or BMSRIG_ERR_IO if a real device failed (rig fault). */
int engine_step(struct engine *e);

/* Time. */
double engine_now_s(const struct engine *e);
double engine_tick_s(const struct engine *e);
/* Borrowed: the engine's clock (overrun counters). */
const struct clock *engine_clock(const struct engine *e);

/* Fault bookkeeping (counted whether or not --suppress-faults drops them). */
unsigned engine_faults_requested(const struct engine *e);
unsigned engine_faults_applied(const struct engine *e);

#endif
