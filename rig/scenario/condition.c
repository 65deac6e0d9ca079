/* condition.c: built-in expectation conditions evaluated by the engine between ticks (see
 * condition.h): read from the prelude's table once per wait, evaluated after every tick. */
#include "rig/scenario/condition.h"

#include <string.h>

#include "rig/scenario/engine.h"
#include "sim/bms.h"
#include "sim/status.h"

/* 2^53: integers up to this magnitude convert to double exactly, so a comparison against the
 * converted bound is the comparison Lua makes between the integer and a float. */
#define EXACT_INT_MAX 9007199254740992LL

/* A numeric bound field: absent (nil) is fine, a number is read, anything else (a string, a
 * table with metamethods) makes the condition not C-evaluable. */
static bool read_bound(lua_State *L, int t, const char *name, bool *has, double *out)
{
    int type = lua_getfield(L, t, name);
    bool ok = true;
    *has = false;
    if (type == LUA_TNUMBER) {
        if (lua_isinteger(L, -1)) {
            lua_Integer i = lua_tointeger(L, -1);
            ok = i >= -EXACT_INT_MAX && i <= EXACT_INT_MAX;
        }
        *has = ok;
        *out = lua_tonumber(L, -1);
    } else if (type != LUA_TNIL) {
        ok = false;
    }
    lua_pop(L, 1);
    return ok;
}

static bool read_bool(lua_State *L, int t, const char *name, bool *out)
{
    int type = lua_getfield(L, t, name);
    *out = lua_toboolean(L, -1);
    lua_pop(L, 1);
    return type == LUA_TBOOLEAN;
}

static bool read_int(lua_State *L, int t, const char *name, int64_t *out)
{
    lua_getfield(L, t, name);
    bool ok = lua_isinteger(L, -1);
    *out = ok ? (int64_t)lua_tointeger(L, -1) : 0;
    lua_pop(L, 1);
    return ok;
}

/* A string field equal to one of two words: *first = (it is `a`). */
static bool read_choice(lua_State *L, int t, const char *name, const char *a, const char *b,
                        bool *first)
{
    lua_getfield(L, t, name);
    const char *s = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
    bool ok = s && (strcmp(s, a) == 0 || strcmp(s, b) == 0);
    *first = ok && strcmp(s, a) == 0;
    lua_pop(L, 1);
    return ok;
}

static bool read_kind(lua_State *L, int t, struct scenario_cond *c)
{
    static const struct {
        const char *name;
        enum scenario_cond_kind kind;
    } kinds[] = {
        { "error", SCENARIO_COND_ESC_ERROR }, { "current", SCENARIO_COND_CURRENT },
        { "voltage", SCENARIO_COND_VOLTAGE }, { "speed", SCENARIO_COND_SPEED },
        { "status", SCENARIO_COND_STATUS },   { "reg", SCENARIO_COND_REG },
        { "powered", SCENARIO_COND_POWERED }, { "protection", SCENARIO_COND_PROTECTION },
        { "bytes_moved", SCENARIO_COND_BYTES_MOVED },
    };
    lua_getfield(L, t, "kind");
    const char *s = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "";
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(s, kinds[i].name) == 0)
            c->kind = kinds[i].kind;
    lua_pop(L, 1);
    return c->kind != SCENARIO_COND_NONE;
}

void scenario_cond_read(lua_State *L, int idx, struct scenario_cond *c)
{
    memset(c, 0, sizeof(*c));
    if (!lua_istable(L, idx) || lua_getmetatable(L, idx) != 0) {
        if (lua_istable(L, idx))
            lua_pop(L, 1);   /* a metatable: its fields could be computed; not ours to read */
        return;
    }
    int t = lua_absindex(L, idx);
    if (!read_kind(L, t, c))
        return;
    bool ok = true;
    int64_t word = 0, mask = 0;
    switch (c->kind) {
    case SCENARIO_COND_ESC_ERROR:
        ok = read_int(L, t, "code", &c->code);
        break;
    case SCENARIO_COND_CURRENT:
    case SCENARIO_COND_VOLTAGE:
    case SCENARIO_COND_SPEED:
        ok = read_bound(L, t, "min", &c->has_min, &c->min) &&
             read_bound(L, t, "max", &c->has_max, &c->max) && (c->has_min || c->has_max);
        break;
    case SCENARIO_COND_STATUS:
    case SCENARIO_COND_PROTECTION:
        ok = read_int(L, t, "mask", &mask) && mask > 0 && mask <= 0xFFFFFFFFll &&
             read_bool(L, t, "value", &c->value);
        c->mask = (uint32_t)mask;
        break;
    case SCENARIO_COND_REG:
        ok = read_choice(L, t, "image", "esc", "bms", &c->esc_image) &&
             read_int(L, t, "word", &word) && word >= 0 && word <= 0xFF &&
             read_bound(L, t, "eq", &c->has_eq, &c->eq) &&
             read_bound(L, t, "min", &c->has_min, &c->min) &&
             read_bound(L, t, "max", &c->has_max, &c->max) &&
             (c->has_eq != (c->has_min || c->has_max));
        c->word = (unsigned)word;
        break;
    case SCENARIO_COND_POWERED:
        ok = read_bool(L, t, "value", &c->value);
        break;
    case SCENARIO_COND_BYTES_MOVED:
        ok = read_choice(L, t, "line", "esc_tx", "bms_tx", &c->esc_line) &&
             read_int(L, t, "count", &c->code);
        break;
    case SCENARIO_COND_NONE:
        ok = false;
        break;
    }
    if (!ok)
        c->kind = SCENARIO_COND_NONE;
}

/* The prelude's in_range: (min == nil or v >= min) and (max == nil or v <= max). */
static bool in_range(const struct scenario_cond *c, double v)
{
    return (!c->has_min || v >= c->min) && (!c->has_max || v <= c->max);
}

bool scenario_cond_eval(const struct scenario_cond *c, const struct engine *e)
{
    switch (c->kind) {
    case SCENARIO_COND_ESC_ERROR:
        return (int64_t)engine_esc_error(e) == c->code;
    case SCENARIO_COND_CURRENT:
        return in_range(c, engine_pack_current(e));
    case SCENARIO_COND_VOLTAGE:
        return in_range(c, engine_pack_voltage(e));
    case SCENARIO_COND_SPEED:
        return in_range(c, engine_esc_speed(e));
    case SCENARIO_COND_STATUS:
        return ((engine_bms_status(e) & c->mask) != 0) == c->value;
    case SCENARIO_COND_REG: {
        unsigned v = 0;
        if (engine_reg(e, c->esc_image ? "esc" : "bms", c->word, &v) != BMSRIG_OK)
            return false;   /* cannot happen: the script's first read of the word succeeded */
        return c->has_eq ? (double)v == c->eq : in_range(c, (double)v);
    }
    case SCENARIO_COND_POWERED:
        return engine_powered(e) == c->value;
    case SCENARIO_COND_PROTECTION:
        return ((bms_protections(engine_bms(e)) & c->mask) != 0) == c->value;
    case SCENARIO_COND_BYTES_MOVED:
        return (int64_t)engine_line_bytes(e, c->esc_line ? "esc_tx" : "bms_tx") != c->code;
    case SCENARIO_COND_NONE:
        break;
    }
    return false;
}
