/* scenario_internal.h: PRIVATE to rig/scenario/'s scenario files (scenario.c, scenario_load.c,
 * scenario_decl.c): the loaded scenario, struct scenario, and the declaration helpers the
 * runner uses. Everything else uses the opaque handle of rig/scenario/scenario.h. */
#ifndef BMSRIG_RIG_SCENARIO_INTERNAL_H
#define BMSRIG_RIG_SCENARIO_INTERNAL_H

#include <lua.h>
#include <stdbool.h>
#include <stddef.h>

#include "rig/scenario/engine.h"
#include "rig/scenario/l_engine.h"
#include "rig/scenario/scenario.h"

struct scenario {
    char *path;
    char *dir;
    char *name;
    char *description;
    char **tags;
    size_t ntags;
    char *load_error;
    lua_State *L;
    int runner_ref;            /* prelude's run(decl) */
    int decl_ref;              /* the scenario{...} table */
    bool ran;
    struct l_engine_ctx ctx;
};

/* scenario_decl.c: the declaration -> engine config, the command-line overrides, and the
 * `needs` capability check. */
int decl_to_config(lua_State *L, struct engine_config *cfg, double *timeout_s,
                   char *err, size_t errcap);
void apply_overrides(struct engine_config *cfg, const struct scenario_overrides *o);
int check_needs(lua_State *L, const char *target, bool has_rig, bool real_dut, char *msg,
                size_t cap);

#endif
