/* engine_faults.c: the scenario engine's fault injection: protocol and wire faults on the link
 * or the bench's fault lines, and pack faults; counted as requested and applied
 * (--suppress-faults applies none). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rig/scenario/engine_internal.h"
#include "rig/bench/board.h"
#include "rig/bench/rig_hw.h"
#include "rig/line/link.h"
#include "sim/status.h"

/* The controller's series resistor on the BMS data line, as bit errors on the link [I: no
 * schematic is public (protocol.md section 1); field notes only say a burnt resistor gives
 * intermittent error 21]. Slower edges through a larger resistance corrupt more bits:
 * ohms -> bit error rate, interpolated in log-log; at or above OPEN_OHM it is an open line. */
static const double resistor_ohm[] = { 2e3, 1e4, 4.7e4, 1e5, 2.2e5, 4.7e5 };
static const double resistor_ber[] = { 0.0, 1e-4, 2e-3, 1e-2, 5e-2, 2e-1 };
#define RESISTOR_OPEN_OHM 1e6

/* ---- faults ------------------------------------------------------------------------------- */

static double resistor_to_ber(double ohms)
{
    size_t n = sizeof(resistor_ohm) / sizeof(resistor_ohm[0]);
    if (ohms <= resistor_ohm[0])
        return 0.0;
    if (ohms >= resistor_ohm[n - 1])
        return resistor_ber[n - 1];
    for (size_t i = 1; i < n; i++) {
        if (ohms <= resistor_ohm[i]) {
            if (resistor_ber[i - 1] <= 0)  /* linear from 0 on the first segment */
                return resistor_ber[i] * (ohms - resistor_ohm[i - 1]) /
                       (resistor_ohm[i] - resistor_ohm[i - 1]);
            double f = log(ohms / resistor_ohm[i - 1]) / log(resistor_ohm[i] / resistor_ohm[i - 1]);
            return exp(log(resistor_ber[i - 1]) + f * log(resistor_ber[i] / resistor_ber[i - 1]));
        }
    }
    return resistor_ber[n - 1];
}

/* Faults of the wires between the pack and the controller: on a bench they need a fault line
 * (relay or resistor bank) of the description; the others are the fake BMS's own doing. */
static bool is_wire_fault(const char *name)
{
    return strcmp(name, "bms_tx") == 0 || strcmp(name, "esc_tx") == 0 ||
           strcmp(name, "esc_resistor") == 0 || strcmp(name, "moisture") == 0;
}

/* The description's line for a scenario fault: the same name, or for esc_resistor the
 * emulated board's "series_r" bank. */
static const char *bench_fault_name(const struct rig_hw *hw, const char *name)
{
    if (rig_hw_fault_supported(hw, name))
        return name;
    if (strcmp(name, "esc_resistor") == 0 && rig_hw_fault_supported(hw, "series_r"))
        return "series_r";
    return NULL;
}

static int bench_fault(struct engine *e, const char *name, double value, char *err,
                       size_t errcap)
{
    struct rig_hw *hw = e->cfg.rig;
    const char *line = bench_fault_name(hw, name);
    if (!line) {
        snprintf(err, errcap, "the bench (%s) has no fault line for '%s'",
                 rig_hw_board(hw)->name, name);
        return BMSRIG_ERR_STATE;
    }
    const char *state = "on";
    if (strcmp(name, "esc_resistor") == 0) {
        /* the bank position nearest in ohms (log scale); open above RESISTOR_OPEN_OHM */
        const struct board *b = rig_hw_board(hw);
        int fi = board_fault_find(b, line);
        state = NULL;
        if (fi >= 0) {
            const struct board_fault *f = &b->faults[fi];
            double best = INFINITY;
            for (int p = 0; p < f->npos; p++) {
                bool open = f->pos[p].ohms < 0 && strcmp(f->pos[p].name, "open") == 0;
                double d = open ? (value >= RESISTOR_OPEN_OHM ? 0 : INFINITY)
                                : (f->pos[p].ohms > 0 && value < RESISTOR_OPEN_OHM
                                       ? fabs(log(value / f->pos[p].ohms)) : INFINITY);
                if (d < best) {
                    best = d;
                    state = f->pos[p].name;
                }
            }
        }
        if (!state) {
            snprintf(err, errcap, "the bench's '%s' has no position for %g ohm", line, value);
            return BMSRIG_ERR_STATE;
        }
    }
    int rc = rig_hw_fault(hw, line, state);
    if (rc != BMSRIG_OK) {
        snprintf(err, errcap, "bench fault '%s' -> %s: %s", line, state, bmsrig_strerror(rc));
        return BMSRIG_ERR_STATE;
    }
    return BMSRIG_OK;
}

int engine_fault(struct engine *e, const char *name, double value, char *err, size_t errcap)
{
    enum link_fault lf;
    bool named = strcmp(name, "esc_resistor") == 0 || strcmp(name, "moisture") == 0;
    if (!named && link_fault_parse(name, &lf) != BMSRIG_OK) {
        snprintf(err, errcap, "unknown fault '%s' (bms_tx, esc_tx, reply_delay, "
                              "corrupt_checksum, truncate, garbage, stale, bit_errors, "
                              "serial_default, config_invalid, esc_resistor, moisture)", name);
        return BMSRIG_ERR_ARG;
    }
    if (isnan(value)) {
        snprintf(err, errcap, "fault '%s': value is not a number", name);
        return BMSRIG_ERR_RANGE;
    }
    e->faults_requested++;
    if (e->cfg.suppress_faults)
        return BMSRIG_OK;
    if (e->cfg.rig && is_wire_fault(name)) {
        int hrc = bench_fault(e, name, value, err, errcap);
        if (hrc != BMSRIG_OK) {
            e->faults_requested--;  /* skipped, not requested-and-dropped */
            return hrc;
        }
        if (e->cfg.dut) {
            /* a real wire: the relay did it; the link model must not add its own cut */
            e->faults_applied++;
            return BMSRIG_OK;
        }
    }
    int rc = BMSRIG_OK;
    if (strcmp(name, "esc_resistor") == 0) {
        if (!(value > 0)) {
            snprintf(err, errcap, "fault 'esc_resistor': ohms must be > 0 (inf = open)");
            return BMSRIG_ERR_RANGE;
        }
        link_fault_clear(e->link, LINK_FAULT_BMS_TX);
        link_fault_clear(e->link, LINK_FAULT_BIT_ERRORS);
        if (value >= RESISTOR_OPEN_OHM)
            rc = link_fault_set(e->link, LINK_FAULT_BMS_TX, 1.0);
        else if (resistor_to_ber(value) > 0)
            rc = link_fault_set(e->link, LINK_FAULT_BIT_ERRORS, resistor_to_ber(value));
    } else if (strcmp(name, "moisture") == 0) {
        /* A wet connector: bursts of junk and flipped bits [I: seeds name moisture as a cause of
         * error 21 after rain; no measurement of the error pattern]. */
        if (!(value >= 0 && value <= 1)) {
            snprintf(err, errcap, "fault 'moisture': severity must be in 0..1");
            return BMSRIG_ERR_RANGE;
        }
        rc = link_fault_set(e->link, LINK_FAULT_GARBAGE, 0.3 * value);
        if (rc == BMSRIG_OK)
            rc = link_fault_set(e->link, LINK_FAULT_BIT_ERRORS, 1e-3 * value);
    } else {
        rc = link_fault_set(e->link, lf, value);
    }
    if (rc != BMSRIG_OK) {
        snprintf(err, errcap, "fault '%s': value %g out of range", name, value);
        return rc;
    }
    e->faults_applied++;
    return BMSRIG_OK;
}

int engine_fault_clear(struct engine *e, const char *name, char *err, size_t errcap)
{
    enum link_fault lf;
    if (e->cfg.rig && is_wire_fault(name)) {
        const char *line = bench_fault_name(e->cfg.rig, name);
        if (line)
            rig_hw_fault(e->cfg.rig, line, NULL);
        if (e->cfg.dut)
            return BMSRIG_OK;
    }
    if (strcmp(name, "esc_resistor") == 0) {
        link_fault_clear(e->link, LINK_FAULT_BMS_TX);
        link_fault_clear(e->link, LINK_FAULT_BIT_ERRORS);
    } else if (strcmp(name, "moisture") == 0) {
        link_fault_clear(e->link, LINK_FAULT_GARBAGE);
        link_fault_clear(e->link, LINK_FAULT_BIT_ERRORS);
    } else if (link_fault_parse(name, &lf) == BMSRIG_OK) {
        link_fault_clear(e->link, lf);
    } else {
        snprintf(err, errcap, "unknown fault '%s'", name);
        return BMSRIG_ERR_ARG;
    }
    return BMSRIG_OK;
}

int engine_pack_fault(struct engine *e, enum engine_pack_fault kind, unsigned index, double a,
                      double b)
{
    e->faults_requested++;
    if (e->cfg.suppress_faults)
        return BMSRIG_OK;
    int rc;
    switch (kind) {
    case ENGINE_PF_CELL_OPEN: rc = pack_fault_cell_open(e->pack, index, a != 0); break;
    case ENGINE_PF_CELL_SHORT: rc = pack_fault_cell_short(e->pack, index, a); break;
    case ENGINE_PF_CELL_WEAK: rc = pack_fault_cell_weak(e->pack, index, a, b); break;
    case ENGINE_PF_GROUP_SOC: rc = pack_fault_group_soc_offset(e->pack, index, a); break;
    case ENGINE_PF_GROUP_MV:
        rc = index < e->series
                 ? pack_fault_group_soc_offset(e->pack, index,
                                               pack_group_dsoc_for_dv(e->pack, index, a))
                 : BMSRIG_ERR_ARG;
        break;
    case ENGINE_PF_SENSE_OPEN: rc = pack_fault_sense_open(e->pack, index, a != 0); break;
    case ENGINE_PF_SENSE_LEAK: rc = pack_fault_sense_leak(e->pack, index, a); break;
    case ENGINE_PF_MOISTURE: rc = pack_fault_moisture(e->pack, index, a); break;
    case ENGINE_PF_NTC: rc = pack_fault_ntc(e->pack, index, (enum ntc_fault)(int)a, b); break;
    default: rc = BMSRIG_ERR_ARG;
    }
    if (rc == BMSRIG_OK)
        e->faults_applied++;
    else
        e->faults_requested--;  /* a rejected call is a script error, not a fault */
    return rc;
}

unsigned engine_faults_requested(const struct engine *e) { return e->faults_requested; }
unsigned engine_faults_applied(const struct engine *e) { return e->faults_applied; }
