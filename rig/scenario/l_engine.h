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
};

/* Pushes the primitive table E (with E.commands, the t:methods). */
void l_engine_push(lua_State *L, struct l_engine_ctx *ctx);

#endif
