/* link.c: the link's configuration, its protocol faults (set, clear, the BMS overrides they
 * imply) and its life cycle. The receiver, transmitter, wire and mark names are link_rx.c,
 * link_tx.c, link_wire.c and link_marks.c (rig/line/link_internal.h lists them). */
#include "rig/line/link_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/status.h"

/* ---- configuration and faults --------------------------------------------------------------- */

void link_config_default(struct link_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->baud = LINK_BAUD_DEFAULT;
    cfg->latency = LINK_LATENCY_RECORDED;
    cfg->fixed_latency_us = 210;
    cfg->gap_chars = LINK_GAP_CHARS_DEFAULT;
    cfg->seed = 1;
}

int64_t link_config_gap_us(const struct link_config *cfg)
{
    if (!cfg || cfg->baud == 0)
        return 0;
    return (int64_t)llround(cfg->gap_chars * 10.0 * 1e6 / (double)cfg->baud);
}

const char *link_fault_name(enum link_fault f)
{
    return (unsigned)f < LINK_FAULT_COUNT ? fault_get((enum fault_id)f)->name : "?";
}

int link_fault_parse(const char *name, enum link_fault *out)
{
    const struct fault_def *d = fault_find(name);
    if (!d || d->id >= FAULT_LINK_COUNT)
        return BMSRIG_ERR_ARG;
    *out = (enum link_fault)d->id;
    return BMSRIG_OK;
}

static void sync_overrides(struct link *l)
{
    uint32_t o = 0;
    if (l->active[LINK_FAULT_STALE])
        o |= BMS_OVR_STALE;
    if (l->active[LINK_FAULT_SERIAL_DEFAULT])
        o |= BMS_OVR_SERIAL_DEFAULT;
    if (l->active[LINK_FAULT_CONFIG_INVALID])
        o |= BMS_OVR_CONFIG_INVALID;
    bms_set_overrides(l->bms, o);
}

int link_fault_set(struct link *l, enum link_fault f, double value)
{
    if (!l || (unsigned)f >= LINK_FAULT_COUNT)
        return BMSRIG_ERR_ARG;
    const struct fault_def *d = fault_get((enum fault_id)f);
    if (d->arg == FAULT_ARG_SWITCH)
        value = 1.0;
    else if (!fault_value_ok(d, value))
        return BMSRIG_ERR_RANGE;
    l->active[f] = true;
    l->value[f] = value;
    sync_overrides(l);
    return BMSRIG_OK;
}

void link_fault_clear(struct link *l, enum link_fault f)
{
    if (!l || (unsigned)f >= LINK_FAULT_COUNT)
        return;
    l->active[f] = false;
    l->value[f] = 0.0;
    sync_overrides(l);
}

bool link_fault_active(const struct link *l, enum link_fault f)
{
    return l && (unsigned)f < LINK_FAULT_COUNT && l->active[f];
}

double link_byte_us(const struct link *l)
{
    return l->byte_us;
}

const struct link_stats *link_stats(const struct link *l)
{
    return &l->stats;
}

void link_set_wire_hook(struct link *l, link_wire_fn fn, void *user)
{
    l->wire_hook = fn;
    l->wire_hook_user = user;
}

/* ---- life cycle ----------------------------------------------------------------------------- */

struct link *link_new(const struct link_config *cfg, struct bms *bms)
{
    if (!cfg || !bms || cfg->baud < 1200 || cfg->baud > 4000000 ||
        !(cfg->gap_chars >= LINK_GAP_CHARS_MIN && cfg->gap_chars <= LINK_GAP_CHARS_MAX) ||
        cfg->fixed_latency_us < 0)
        return NULL;
    struct link *l = calloc(1, sizeof(*l));
    if (!l)
        return NULL;
    l->cfg = *cfg;
    l->bms = bms;
    l->rng = rng_seed(cfg->seed);
    l->byte_us = 10.0 * 1e6 / (double)cfg->baud;
    l->gap_us = link_config_gap_us(cfg);
    frame_decoder_init(&l->dec, link_on_event, l);
    frame_decoder_init(&l->wire_dec, link_on_wire_event, l);
    return l;
}

void link_free(struct link *l)
{
    free(l);
}
