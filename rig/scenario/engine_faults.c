/* engine_faults.c: the scenario engine's fault injection: the named faults of the fault table
 * (rig/fault/fault.h) on the link or the bench's fault lines, and pack faults; counted as
 * requested and applied (--suppress-faults applies none). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rig/scenario/engine_internal.h"
#include "rig/bench/board.h"
#include "rig/fault/fault.h"
#include "rig/bench/rig_hw.h"
#include "rig/line/link.h"
#include "sim/status.h"

static double now_s(const struct engine *e) { return (double)e->clock.now_us / 1e6; }

/* ---- named faults (rig/fault/fault.h) ------------------------------------------------------ */

/* On a bench, a fault with a bench line (rig/fault/fault_table.c) switches the first of its
 * lines the description has; without one the scenario is skipped (BMSRIG_ERR_STATE). */
static int bench_fault(struct engine *e, const struct fault_def *d, double value, char *err,
                       size_t errcap)
{
    struct rig_hw *hw = e->cfg.rig;
    const char *line = NULL;
    int rc = rig_hw_fault_named(hw, d, value, false, &line);
    if (rc == BMSRIG_OK)
        return BMSRIG_OK;
    if (!line)
        snprintf(err, errcap, "the bench (%s) has no fault line for '%s'",
                 rig_hw_board(hw)->name, d->name);
    else if (d->bench == FAULT_BENCH_BANK)
        snprintf(err, errcap, "the bench's '%s' has no position for %g ohm", line, value);
    else
        snprintf(err, errcap, "bench fault '%s' -> on: %s", line, bmsrig_strerror(rc));
    return BMSRIG_ERR_STATE;
}

/* The fault's virtual effect: the link faults it owns cleared, then the ones it amounts to at
 * `value` set (rig/fault/fault_effect.c). */
static int link_apply(struct engine *e, const struct fault_def *d, double value)
{
    enum fault_id owned[2];
    size_t no = fault_link_owned(d, owned, 2);
    for (size_t i = 0; i < no; i++)
        link_fault_clear(e->link, (enum link_fault)owned[i]);
    struct fault_link_effect fx[2];
    size_t nfx = fault_link_effects(d, value, fx, 2);
    for (size_t i = 0; i < nfx; i++) {
        int rc = link_fault_set(e->link, (enum link_fault)fx[i].link, fx[i].value);
        if (rc != BMSRIG_OK)
            return rc;
    }
    return BMSRIG_OK;
}

/* The applied named fault in the result's fault list (engine.h: cfg.record), or with
 * --suppress-faults in its list of suppressed ones. */
static void record_named(struct engine *e, const struct fault_def *d, double value)
{
    if (!e->cfg.record)
        return;
    char args[32];
    snprintf(args, sizeof args, "%g", value);
    if (e->cfg.suppress_faults)
        scenario_result_add_suppressed_fault(e->cfg.record, now_s(e), true, d->name, "", value,
                                             args);
    else
        scenario_result_add_fault(e->cfg.record, now_s(e), true, d->name, "", value, args);
}

int engine_fault(struct engine *e, const char *name, double value, char *err, size_t errcap)
{
    engine_event(e, "fault %s %g", name, value);
    const struct fault_def *d = fault_find(name);
    if (!d) {
        fault_unknown_message(name, err, errcap);
        return BMSRIG_ERR_ARG;
    }
    if (isnan(value)) {
        snprintf(err, errcap, "fault '%s': value is not a number", name);
        return BMSRIG_ERR_RANGE;
    }
    if (!fault_value_ok(d, value)) {
        snprintf(err, errcap, "fault '%s': value %g out of range (%s)", name, value,
                 d->value_text);
        return BMSRIG_ERR_RANGE;
    }
    e->faults_requested++;
    if (e->cfg.suppress_faults) {
        record_named(e, d, value);
        return BMSRIG_OK;
    }
    if (e->cfg.rig && d->bench != FAULT_BENCH_NONE) {
        int hrc = bench_fault(e, d, value, err, errcap);
        if (hrc != BMSRIG_OK) {
            e->faults_requested--;  /* skipped, not requested-and-dropped */
            return hrc;
        }
        if (e->cfg.dut) {
            /* a real wire: the relay did it; the link model must not add its own cut */
            e->faults_applied++;
            record_named(e, d, value);
            return BMSRIG_OK;
        }
    }
    int rc = link_apply(e, d, value);
    if (rc != BMSRIG_OK) {
        snprintf(err, errcap, "fault '%s': value %g out of range", name, value);
        return rc;
    }
    e->faults_applied++;
    record_named(e, d, value);
    return BMSRIG_OK;
}

int engine_fault_clear(struct engine *e, const char *name, char *err, size_t errcap)
{
    engine_event(e, "clear %s", name);
    const struct fault_def *d = fault_find(name);
    if (!d) {
        fault_unknown_message(name, err, errcap);
        return BMSRIG_ERR_ARG;
    }
    if (e->cfg.record && !e->cfg.suppress_faults)
        scenario_result_add_fault(e->cfg.record, now_s(e), false, d->name, "", NAN, "clear");
    else if (e->cfg.record)
        scenario_result_add_suppressed_fault(e->cfg.record, now_s(e), false, d->name, "", NAN,
                                             "clear");
    if (e->cfg.rig && d->bench != FAULT_BENCH_NONE) {
        rig_hw_fault_named(e->cfg.rig, d, 0, true, NULL);   /* no line: nothing to release */
        if (e->cfg.dut)
            return BMSRIG_OK;
    }
    enum fault_id owned[2];
    size_t no = fault_link_owned(d, owned, 2);
    for (size_t i = 0; i < no; i++)
        link_fault_clear(e->link, (enum link_fault)owned[i]);
    return BMSRIG_OK;
}

/* ---- pack faults ---------------------------------------------------------------------------- */

/* The applied pack fault in the result's fault list: its cell, group, tap or thermistor
 * (1-based, as the scenario API counts), its arguments as words, and whether the call set or
 * removed it (mend, short(1/0), weaken back to 1/1, offset 0, dry, ntc:clear). */
static void record_pack(struct engine *e, enum engine_pack_fault kind, unsigned index, double a,
                        double b)
{
    if (!e->cfg.record)
        return;
    unsigned par = pack_parallel(e->pack);
    char target[48], args[64];
    bool set;
    snprintf(target, sizeof target, "group %u", index + 1);
    snprintf(args, sizeof args, "%g", a);
    switch (kind) {
    case ENGINE_PF_CELL_OPEN:
    case ENGINE_PF_CELL_SHORT:
    case ENGINE_PF_CELL_WEAK:
        snprintf(target, sizeof target, "group %u cell %u", index / par + 1, index % par + 1);
        if (kind == ENGINE_PF_CELL_OPEN) {
            set = a != 0;
            snprintf(args, sizeof args, "%s", set ? "open" : "mend");
        } else if (kind == ENGINE_PF_CELL_SHORT) {
            set = isfinite(a) && a > 0;
            snprintf(args, sizeof args, set ? "%g ohm" : "none", a);
        } else {
            set = a != 1 || b != 1;
            snprintf(args, sizeof args, "capacity %g resistance %g", a, b);
        }
        break;
    case ENGINE_PF_SENSE_OPEN:
        snprintf(target, sizeof target, "group %u top sense wire", index);
        set = a != 0;
        snprintf(args, sizeof args, "%s", set ? "open" : "mend");
        break;
    case ENGINE_PF_SENSE_LEAK:
    case ENGINE_PF_MOISTURE:
        set = isfinite(a) && a > 0;
        snprintf(args, sizeof args, set ? "%g ohm" : "none", a);
        break;
    case ENGINE_PF_GROUP_MV:
        set = a != 0;
        snprintf(args, sizeof args, "%g mV", a * 1000);
        break;
    case ENGINE_PF_NTC: {
        static const char *const modes[] = { "clear", "open", "short", "drift", "intermittent",
                                             "set_c" };
        int m = (int)a;
        snprintf(target, sizeof target, "ntc %u", index + 1);
        set = m != NTC_FAULT_NONE;
        if (m == NTC_FAULT_OPEN || m == NTC_FAULT_SHORT || m == NTC_FAULT_NONE)
            snprintf(args, sizeof args, "%s", modes[m]);
        else if (m > 0 && m < (int)(sizeof modes / sizeof modes[0]))
            snprintf(args, sizeof args, "%s %g", modes[m], b);
        else
            snprintf(args, sizeof args, "%d %g", m, b);
        a = m == NTC_FAULT_NONE || m == NTC_FAULT_OPEN || m == NTC_FAULT_SHORT ? NAN : b;
        break;
    }
    default:   /* group_soc */
        set = a != 0;
        break;
    }
    if (e->cfg.suppress_faults)
        scenario_result_add_suppressed_fault(e->cfg.record, now_s(e), set,
                                             engine_pack_fault_name(kind), target, a, args);
    else
        scenario_result_add_fault(e->cfg.record, now_s(e), set, engine_pack_fault_name(kind),
                                  target, a, args);
}

int engine_pack_fault(struct engine *e, enum engine_pack_fault kind, unsigned index, double a,
                      double b)
{
    engine_event(e, "%s %u (%g, %g)", engine_pack_fault_name(kind), index, a, b);
    e->faults_requested++;
    if (e->cfg.suppress_faults) {
        record_pack(e, kind, index, a, b);
        return BMSRIG_OK;
    }
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
    if (rc == BMSRIG_OK) {
        e->faults_applied++;
        record_pack(e, kind, index, a, b);
    } else
        e->faults_requested--;  /* a rejected call is a script error, not a fault */
    return rc;
}

unsigned engine_faults_requested(const struct engine *e) { return e->faults_requested; }
unsigned engine_faults_applied(const struct engine *e) { return e->faults_applied; }
