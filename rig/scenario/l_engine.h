/* l_engine.h: the thin Lua binding of the scenario engine: the primitive table the prelude
 * (rig/scenario/prelude.lua) builds the scenario API on. Each function checks its arguments, calls one
 * engine or result function and pushes the result; no policy lives here. */
#ifndef BMSRIG_RIG_L_ENGINE_H
#define BMSRIG_RIG_L_ENGINE_H

#include <lua.h>

#include "rig/scenario/engine.h"
#include "rig/scenario/result.h"

/* What the primitives act on. `engine` and `result` are NULL outside a run (the primitives then
 * raise "only inside run"). Borrowed by the Lua state: it must outlive it. */
struct l_engine_ctx {
    struct engine *engine;
    struct scenario_result *result;
    const char *output_dir;     /* t:output() folder, NULL = none */
    const char *script_dir;     /* folder of the scenario file (relative paths in replay) */
    /* One engine tick with the run loop's own checks (scenario.c: interrupt, watchdog, time
     * limit, device faults, progress), for E.wait_until: 0 to go on, nonzero when the run is
     * over (the verdict is the runner's; the script is not resumed again). NULL outside a run. */
    int (*tick)(void *arg);
    void *tick_arg;
};

/* Pushes the primitive table E (with E.commands, the t:methods). */
void l_engine_push(lua_State *L, struct l_engine_ctx *ctx);

#endif
