/* pack.h: the battery pack: S series groups x P parallel 2-RC cells, exact current split in each
 * group, lumped thermal per cell, NTC sensors, balancing bleed, the BMS-side sense network, and
 * every pack fault. Pure: the caller owns time and passes dt; no I/O, no globals; randomness
 * (intermittent NTC) from the seed in the config.
 *
 * Sign: current + = discharge (out of the pack), - = charge.
 * Indices: group g = 0 .. S-1 from the pack's negative end; cell index c = g * P + k,
 * k = 0 .. P-1. Taps t = 0 .. S: tap 0 is the pack negative, tap t the top of group t-1
 * (the sense wire between group t-1 and group t for 1 <= t <= S-1). Thermal neighbours are
 * cells c-1 and c+1 in this index order (the brick's physical chain) [I]. */
#ifndef BMSRIG_SIM_PACK_H
#define BMSRIG_SIM_PACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/cell.h"
#include "sim/cellparams.h"
#include "sim/ntc.h"

#define PACK_MAX_SERIES 16
#define PACK_MAX_PARALLEL 8
#define PACK_MAX_CELLS (PACK_MAX_SERIES * PACK_MAX_PARALLEL)
#define PACK_MAX_NTC 4
#define PACK_NTC_MAX_CELLS 8

/* Which cells one NTC touches; it reads their mean temperature [I]. */
struct pack_ntc_place {
    unsigned ncells;
    unsigned cell[PACK_NTC_MAX_CELLS];
};

struct pack_config {
    unsigned series;                 /* 1 .. PACK_MAX_SERIES */
    unsigned parallel;               /* 1 .. PACK_MAX_PARALLEL */
    struct cell_params cell;         /* copied: every cell starts from this set */
    double soc0;                     /* initial SOC of every cell, 0..1 */
    double temp0_c;                  /* initial cell temperature and ambient */
    double interconnect_ohm;         /* series resistance per group (strip, welds) [I] */
    double cell_to_ambient_w_per_k;  /* convection per cell [I] */
    double cell_to_cell_w_per_k;     /* conduction between neighbouring cells [I] */
    bool isothermal;                 /* hold every cell at ambient (fits, table checks) */
    double bleed_ohm;                /* balancing resistor per group (~30 mA at 4.1 V) [I] */
    double sense_filter_ohm;         /* series resistor in each sense line [I] */
    double sense_pulldown_ohm;       /* front-end input leak that pulls a floating tap down [I] */
    double param_refresh_s;          /* SOC/T-dependent coefficients refreshed this often */
    unsigned n_ntc;
    struct pack_ntc_place ntc[PACK_MAX_NTC];
    struct ntc_params ntc_part;
    struct ntc_divider ntc_divider;
    uint64_t seed;                   /* for intermittent faults */
};

/* Fills `cfg` for a preset ("10s3p" M365, "10s4p" Pro/Pro 2, "12s3p", "12s4p") or any
 * "<S>s<P>p" with S <= 16, P <= 8, with `cell`, soc 1.0, 25 C and the defaults above.
 * Returns BMSRIG_ERR_ARG for an unknown or out-of-range name. */
int pack_config_preset(struct pack_config *cfg, const char *name, const struct cell_params *cell);

/* Checks a config; writes the reason (naming the field) into err. */
int pack_config_check(const struct pack_config *cfg, char *err, size_t errlen);

struct pack;

/* Owned: free with pack_free. NULL if the config fails pack_config_check or memory runs out. */
struct pack *pack_new(const struct pack_config *cfg);
void pack_free(struct pack *p);                         /* NULL-safe */

/* Advances the pack by dt_s (> 0; any size: the discretisation is exact for a current held
 * over the step) with the load drawing load_current_a (+ = discharge; must be finite). If the
 * string is open (a group with every cell open) no current flows whatever the load asks.
 * Cost on one core: ~4-6 ns per cell, ~8-14 ns for sets with a charge-transfer term (docs/model.md
 * section 8); no allocation. A change of dt, a fault or a bleed switch
 * makes the next step recompute the coefficients (~0.1 us per cell). */
void pack_step(struct pack *p, double dt_s, double load_current_a);

/* The load current that would put the terminals at v_target at the end of a step (for CV
 * charging: clamp it to the charger's limit yourself). Uses the coefficients of the last
 * refresh, i.e. of the last step's dt; dt_s is reserved. */
double pack_current_for_voltage(const struct pack *p, double dt_s, double v_target);

/* ---- inputs ----------------------------------------------------------------------------- */
void pack_set_ambient_c(struct pack *p, double temp_c);
void pack_set_bleed(struct pack *p, unsigned group, bool on);

/* ---- read-outs (state at the end of the last step) --------------------------------------- */
unsigned pack_series(const struct pack *p);
unsigned pack_parallel(const struct pack *p);
double pack_time_s(const struct pack *p);
double pack_terminal_v(const struct pack *p);       /* 0 when the string is open [I] */
double pack_current_a(const struct pack *p);        /* what actually flowed */
bool pack_string_open(const struct pack *p);
double pack_group_v(const struct pack *p, unsigned group);   /* true voltage across the group */
double pack_group_soc(const struct pack *p, unsigned group); /* mean SOC of its live cells */
double pack_cell_soc(const struct pack *p, unsigned cell);
double pack_cell_temp_c(const struct pack *p, unsigned cell);
double pack_cell_current_a(const struct pack *p, unsigned cell); /* at its terminals */
double pack_cell_ocv(const struct pack *p, unsigned cell);
double pack_ambient_c(const struct pack *p);
bool pack_bleed_on(const struct pack *p, unsigned group);

/* What a BMS's measurement input for `group` reads (the voltage between its two sense pins
 * after the filter), including sense-wire-open, leaky-capacitor and moisture faults. The first
 * read after a step or a sense fault computes every group's reading into a cache inside the
 * pack (reading all groups is O(S)): not to be called on one pack from two threads at once. */
double pack_sense_voltage(const struct pack *p, unsigned group);

/* One NTC as the BMS sees it (with its fault). Returns BMSRIG_ERR_ARG for a bad index. */
unsigned pack_ntc_count(const struct pack *p);
int pack_ntc_read(const struct pack *p, unsigned ntc, struct ntc_reading *out);

/* Cumulative bookkeeping since pack_new (for checks and reports). */
struct pack_energy {
    double electrical_out_j;   /* sum over cells of the integral of cell terminal V * I (what
                                  the load, bleed resistors, sense leaks and strips received) */
    double heat_j;             /* Joule heat inside the cells (R0, RC branches, leaks, shorts) */
    double charge_out_c;       /* integral of the pack current */
};
void pack_energy_get(const struct pack *p, struct pack_energy *out);

/* ---- faults (scriptable at any time; each call with the "healthy" value reverses it) ------ */
int pack_fault_cell_open(struct pack *p, unsigned cell, bool open);
/* Internal short of `ohms` across the cell (INFINITY or 0 = none). */
int pack_fault_cell_short(struct pack *p, unsigned cell, double ohms);
/* Weak / aged cell: capacity and resistance factors (1, 1 = healthy). The cell keeps its SOC
 * (and so its voltage): its remaining charge scales with the capacity. */
int pack_fault_cell_weak(struct pack *p, unsigned cell, double cap_factor, double r_factor);
/* Shifts the SOC of every cell in a group by dsoc (one-shot; apply -dsoc to undo). Refused with
 * BMSRIG_ERR_ARG unless |dsoc| <= 1, and with BMSRIG_ERR_RANGE (nothing changed) if a live
 * cell would leave PACK_SOC_MIN..PACK_SOC_MAX: the OCV tables end at 0 and 1 and are only
 * extrapolated a little beyond [I]. */
#define PACK_SOC_MIN (-0.1)
#define PACK_SOC_MAX 1.1
int pack_fault_group_soc_offset(struct pack *p, unsigned group, double dsoc);
/* The dsoc that moves `group`'s rest OCV by dv_v from where it is now; NAN when the moved OCV
   is off the cell's OCV table (or dv_v is not finite), which pack_fault_group_soc_offset refuses. */
double pack_group_dsoc_for_dv(const struct pack *p, unsigned group, double dv_v);
/* Sense wire at tap 1..S-1 open (true) or mended (false). */
int pack_fault_sense_open(struct pack *p, unsigned tap, bool open);
/* Leaky filter capacitor across group's sense input: leak resistance (INFINITY = healthy). */
int pack_fault_sense_leak(struct pack *p, unsigned group, double ohms);
/* Moisture film between tap `group` and tap `group`+1 on the board (INFINITY = dry). */
int pack_fault_moisture(struct pack *p, unsigned group, double ohms);
/* NTC fault; value is the drift in deg C or the open probability for INTERMITTENT. */
int pack_fault_ntc(struct pack *p, unsigned ntc, enum ntc_fault fault, double value);

#endif
