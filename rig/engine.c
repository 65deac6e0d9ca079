/* engine.c: the scenario engine's world and its tick. */
#define LOG_PREFIX "engine"
#include "rig/engine.h"

#include <stdlib.h>
#include <string.h>

#include "rig/log.h"
#include "sim/status.h"

struct engine {
    struct engine_config cfg;
    struct clock clock;
    unsigned faults_requested;
    unsigned faults_applied;
};

void engine_config_default(struct engine_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->clock = CLOCK_KIND_VIRTUAL;
    cfg->tick_us = CLOCK_TICK_US_DEFAULT;
    cfg->seed = 1;
    snprintf(cfg->pack, sizeof(cfg->pack), "10s3p");
    snprintf(cfg->cell, sizeof(cfg->cell), "lg_m26");
    cfg->soc = 0.8;
    cfg->temp_c = 25.0;
    cfg->ambient_c = 25.0;
    snprintf(cfg->bms, sizeof(cfg->bms), "m365_stock");
    snprintf(cfg->esc, sizeof(cfg->esc), "m365");
    cfg->trace_every_us = 100000;
}

int engine_new(const struct engine_config *cfg, struct engine **out, char *err, size_t errcap)
{
    *out = NULL;
    struct engine *e = calloc(1, sizeof(*e));
    if (!e) {
        snprintf(err, errcap, "out of memory");
        return BMSRIG_ERR_NOMEM;
    }
    e->cfg = *cfg;
    int rc = clock_init(&e->clock, cfg->clock, cfg->tick_us);
    if (rc != BMSRIG_OK) {
        snprintf(err, errcap, "tick: %s", bmsrig_strerror(rc));
        engine_free(e);
        return rc;
    }
    *out = e;
    return BMSRIG_OK;
}

void engine_free(struct engine *e)
{
    if (!e)
        return;
    free(e);
}

int engine_step(struct engine *e)
{
    return clock_tick(&e->clock);
}

double engine_now_s(const struct engine *e)
{
    return clock_now_s(&e->clock);
}

double engine_tick_s(const struct engine *e)
{
    return (double)e->clock.tick_us / 1e6;
}

const struct clock *engine_clock(const struct engine *e)
{
    return &e->clock;
}

unsigned engine_faults_requested(const struct engine *e)
{
    return e->faults_requested;
}

unsigned engine_faults_applied(const struct engine *e)
{
    return e->faults_applied;
}
