/* rig_route.h: the analog side of one engine tick: model read-outs -> the bench's named
 * signals (rig_hw), and the engine's named faults -> the bench's relays. The engine calls it
 * when a rig is attached (engine_config.rig); it only reads the models. */
#ifndef BMSRIG_RIG_RIG_ROUTE_H
#define BMSRIG_RIG_RIG_ROUTE_H

#include <stdbool.h>

struct rig_hw;
struct pack;

struct rig_route;

/* Resolves the signal names once against the bench's channel map: cell[1..S].v, ntc[1..N].v,
 * pack.v, charger.v (missing ones are skipped; a bench may drive a subset). `hw` borrowed.
 * *out owned: rig_route_free. */
int rig_route_new(struct rig_route **out, struct rig_hw *hw, unsigned series, unsigned ntcs);
void rig_route_free(struct rig_route *r);   /* NULL-safe */

/* Sets every mapped signal from the model and flushes the tick (one USB write):
 *   cell[g+1].v = pack_sense_voltage(g)   what a BMS front end on the taps measures [V]
 *   ntc[k+1].v  = the NTC divider voltage  at the BMS's TS pin [V]
 *   pack.v      = pack_terminal_v          (the supply set-point)
 *   charger.v   = the charger's voltage while plugged, else 0
 * BMSRIG_ERR_IO on a USB error (a rig fault). */
int rig_route_tick(struct rig_route *r, const struct pack *p, bool charger, double charger_v);

/* Forwards a named fault to the bench if it has a line of that name (queued for the next
 * tick); returns true if it did. value as engine_fault documents it. */
bool rig_route_fault(struct rig_route *r, const char *name, double value);
bool rig_route_fault_clear(struct rig_route *r, const char *name);

#endif
