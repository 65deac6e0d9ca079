/* engine_events.c: the engine's record of the scenario's last command, which `bmsrig run
 * --progress` shows while a long real-time scenario runs. */
#include <stdarg.h>
#include <stdio.h>

#include "rig/scenario/engine.h"
#include "rig/scenario/engine_internal.h"

void engine_event(struct engine *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->event, sizeof e->event, fmt, ap);
    va_end(ap);
    e->event_s = (double)e->clock.now_us / 1e6;
    e->events++;
}

unsigned engine_last_event(const struct engine *e, const char **text, double *t_s)
{
    *text = e->event;
    *t_s = e->event_s;
    return e->events;
}

const char *engine_pack_fault_name(enum engine_pack_fault kind)
{
    static const char *const names[] = {
        [ENGINE_PF_CELL_OPEN] = "cell_open",   [ENGINE_PF_CELL_SHORT] = "cell_short",
        [ENGINE_PF_CELL_WEAK] = "cell_weak",   [ENGINE_PF_GROUP_SOC] = "group_soc",
        [ENGINE_PF_GROUP_MV] = "group_mv",     [ENGINE_PF_SENSE_OPEN] = "sense_open",
        [ENGINE_PF_SENSE_LEAK] = "sense_leak", [ENGINE_PF_MOISTURE] = "moisture",
        [ENGINE_PF_NTC] = "ntc",
    };
    if ((unsigned)kind < sizeof names / sizeof names[0] && names[kind])
        return names[kind];
    return "pack";
}
