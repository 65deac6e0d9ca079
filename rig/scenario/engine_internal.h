/* engine_internal.h: PRIVATE to rig/scenario/'s engine files (engine.c, engine_commands.c,
 * engine_faults.c, engine_readout.c): the engine's state, struct engine. Everything outside
 * those files uses the opaque handle of rig/scenario/engine.h. */
#ifndef BMSRIG_RIG_ENGINE_INTERNAL_H
#define BMSRIG_RIG_ENGINE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rig/line/line_watch.h"
#include "rig/realtime/clock.h"
#include "rig/scenario/engine.h"
#include "sim/bms.h"
#include "sim/dash/dash.h"
#include "sim/esc.h"
#include "sim/pack.h"

#define RX_CHUNK 512


struct replay_row {
    double t_s;
    double a, b;          /* current_a, or throttle and brake */
};

struct engine {
    struct engine_config cfg;
    struct clock clock;
    struct pack *pack;
    struct bms *bms;
    struct link *link;
    struct esc *esc;
    unsigned series;
    double cell_ah;        /* capacity of one cell, Ah */
    bool powered;
    struct esc_rider rider;
    bool charger;
    double charger_v, charger_a;
    double ambient_c;
    /* replay */
    struct replay_row *replay;
    size_t nreplay, replay_pos;
    bool replay_current;   /* true: current_a column; false: throttle/brake */
    int64_t replay_start_us;
    bool replay_on;
    /* the last command the scenario gave (engine_events.c), for progress lines */
    char event[ENGINE_EVENT_MAX];
    double event_s;
    unsigned events;
    /* counters */
    unsigned faults_requested;
    unsigned faults_applied;
    uint64_t esc_tx_bytes;  /* the controller's bytes on the BMS line, counted from the wire
                               hook as each frame ends (every target alike) */
    uint64_t bms_rx_bytes;
    int64_t next_trace_us;
    int64_t last_trace_us;  /* time of the last signals row written; -1 before the first */
    bool traced;            /* trace headers written: rows may be written until engine_free */
    /* bench channels (-1 = not driven by this bench) */
    int hw_cell[PACK_MAX_SERIES];
    int hw_ntc[PACK_MAX_NTC];
    int hw_pack, hw_charger;
    uint8_t rx[RX_CHUNK];
    struct bms_inputs in;
    /* the virtual controller's dashboard bus: a dashboard model that reads its firmware
     * version word over the bus once (engine_dut_version), as the firmware target's does */
    struct dash vdash;
    /* the BMS line as the controller's side of it shows (every target): engine_line_watch */
    struct line_watch watch;
};

/* engine_events.c: records "what the scenario last did" (printf-style text, the scenario time
 * now) for engine_last_event; called at the top of each engine command. */
void engine_event(struct engine *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "cell_open", "ntc", ... for an enum engine_pack_fault (the scenario API's names); "pack". */
const char *engine_pack_fault_name(enum engine_pack_fault kind);

#endif
