/* rig_route.c: model read-outs to bench signals, engine faults to bench relays. */
#include "rig/rig_route.h"

#include <stdio.h>
#include <stdlib.h>

#include "rig/board.h"
#include "rig/rig_hw.h"
#include "sim/ntc.h"
#include "sim/pack.h"
#include "sim/status.h"

#define ROUTE_MAX_CELLS 24
#define ROUTE_MAX_NTCS 8

struct rig_route {
    struct rig_hw *hw;
    unsigned series, ntcs;
    int cell[ROUTE_MAX_CELLS];   /* channel index per group, -1 = not on this bench */
    int ntc[ROUTE_MAX_NTCS];
    int pack_v, charger_v;
};

int rig_route_new(struct rig_route **out, struct rig_hw *hw, unsigned series, unsigned ntcs)
{
    *out = NULL;
    struct rig_route *r = calloc(1, sizeof *r);
    if (!r)
        return BMSRIG_ERR_NOMEM;
    r->hw = hw;
    r->series = series < ROUTE_MAX_CELLS ? series : ROUTE_MAX_CELLS;
    r->ntcs = ntcs < ROUTE_MAX_NTCS ? ntcs : ROUTE_MAX_NTCS;
    char name[32];
    for (unsigned g = 0; g < r->series; g++) {
        snprintf(name, sizeof name, "cell[%u].v", g + 1);
        r->cell[g] = rig_hw_signal_find(hw, name);
    }
    for (unsigned k = 0; k < r->ntcs; k++) {
        snprintf(name, sizeof name, "ntc[%u].v", k + 1);
        r->ntc[k] = rig_hw_signal_find(hw, name);
    }
    r->pack_v = rig_hw_signal_find(hw, "pack.v");
    r->charger_v = rig_hw_signal_find(hw, "charger.v");
    *out = r;
    return BMSRIG_OK;
}

void rig_route_free(struct rig_route *r) { free(r); }

int rig_route_tick(struct rig_route *r, const struct pack *p, bool charger, double charger_v)
{
    for (unsigned g = 0; g < r->series; g++)
        if (r->cell[g] >= 0)
            rig_hw_set(r->hw, r->cell[g], pack_sense_voltage(p, g));
    for (unsigned k = 0; k < r->ntcs; k++) {
        struct ntc_reading rd;
        if (r->ntc[k] >= 0 && pack_ntc_read(p, k, &rd) == BMSRIG_OK)
            rig_hw_set(r->hw, r->ntc[k], rd.v_ts);
    }
    if (r->pack_v >= 0)
        rig_hw_set(r->hw, r->pack_v, pack_terminal_v(p));
    if (r->charger_v >= 0)
        rig_hw_set(r->hw, r->charger_v, charger ? charger_v : 0.0);
    return rig_hw_flush(r->hw);
}

bool rig_route_fault(struct rig_route *r, const char *name, double value)
{
    if (!r || !rig_hw_fault_supported(r->hw, name))
        return false;
    return rig_hw_fault_value(r->hw, name, value) == BMSRIG_OK;
}

bool rig_route_fault_clear(struct rig_route *r, const char *name)
{
    if (!r || !rig_hw_fault_supported(r->hw, name))
        return false;
    return rig_hw_fault(r->hw, name, "clear") == BMSRIG_OK;
}
