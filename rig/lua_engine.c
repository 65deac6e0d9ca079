/* lua_engine.c: the engine primitives the scenario prelude calls (thin: check, call, push). */
#include "rig/lua_engine.h"

#include <lauxlib.h>
#include <math.h>
#include <string.h>

#include "sim/status.h"

static struct lua_engine_ctx *ctx_of(lua_State *L)
{
    struct lua_engine_ctx *c = lua_touserdata(L, lua_upvalueindex(1));
    if (!c->engine || !c->result)
        luaL_error(L, "engine calls are only allowed inside the scenario's run function");
    return c;
}

/* ---- time and records ---------------------------------------------------------------------- */

static int p_now(lua_State *L)
{
    lua_pushnumber(L, engine_now_s(ctx_of(L)->engine));
    return 1;
}

static int p_tick_s(lua_State *L)
{
    lua_pushnumber(L, engine_tick_s(ctx_of(L)->engine));
    return 1;
}

/* record_expect(pass, what, where, t_s, observed, message) */
static int p_record_expect(lua_State *L)
{
    struct lua_engine_ctx *c = ctx_of(L);
    scenario_result_add_expect(c->result, lua_toboolean(L, 1), luaL_checkstring(L, 2),
                               luaL_checkstring(L, 3), luaL_checknumber(L, 4),
                               luaL_optstring(L, 5, ""), luaL_optstring(L, 6, ""));
    return 0;
}

/* record_measure(name, value, min|nil, max|nil, unit, pass, where) */
static int p_record_measure(lua_State *L)
{
    struct lua_engine_ctx *c = ctx_of(L);
    double min = 0, max = 0;
    int has_min = !lua_isnoneornil(L, 3), has_max = !lua_isnoneornil(L, 4);
    if (has_min)
        min = luaL_checknumber(L, 3);
    if (has_max)
        max = luaL_checknumber(L, 4);
    scenario_result_add_measure(c->result, luaL_checkstring(L, 1), luaL_checknumber(L, 2),
                                has_min ? &min : NULL, has_max ? &max : NULL,
                                luaL_optstring(L, 5, ""), lua_toboolean(L, 6),
                                luaL_optstring(L, 7, "?"), engine_now_s(c->engine));
    return 0;
}

static int p_log(lua_State *L)
{
    struct lua_engine_ctx *c = ctx_of(L);
    scenario_result_add_log(c->result, engine_now_s(c->engine), luaL_checkstring(L, 1));
    return 0;
}

static int p_output_dir(lua_State *L)
{
    struct lua_engine_ctx *c = ctx_of(L);
    if (c->output_dir)
        lua_pushstring(L, c->output_dir);
    else
        lua_pushnil(L);
    return 1;
}

/* ---- registration ------------------------------------------------------------------------- */

static const luaL_Reg prims[] = {
    { "now", p_now },
    { "tick_s", p_tick_s },
    { "record_expect", p_record_expect },
    { "record_measure", p_record_measure },
    { "log", p_log },
    { "output_dir", p_output_dir },
    { NULL, NULL },
};

/* t:methods (self first). */
static const luaL_Reg commands[] = {
    { NULL, NULL },
};

void lua_engine_push(lua_State *L, struct lua_engine_ctx *ctx)
{
    lua_newtable(L);
    lua_pushlightuserdata(L, ctx);
    luaL_setfuncs(L, prims, 1);
    lua_newtable(L);
    lua_pushlightuserdata(L, ctx);
    luaL_setfuncs(L, commands, 1);
    lua_setfield(L, -2, "commands");
}
