/* scenario_decl.c: a scenario's declaration read into the engine's configuration, the
 * command-line overrides applied to it, and the `needs` list checked against the target. */
#define LOG_PREFIX "scenario"
#include "rig/scenario/scenario.h"

#include <errno.h>
#include <lauxlib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rig/scenario/scenario_internal.h"
#include "rig/scenario/xalloc.h"
#include "rig/util/log.h"
#include "sim/esc_params.h"
#include "sim/status.h"

/* ---- the declaration -> engine config ----------------------------------------------------- */

/* `esc = { model = "m365", figures = "emulated" }` (the table at the stack top): the
 * controller variant and its figure set, both optional. An unknown field, a wrong type or a
 * name that is not a model or a figure set is an error naming the declaration's file:line. */
static int decl_esc_table(lua_State *L, struct engine_config *cfg, const char *where, char *err,
                          size_t errcap)
{
    int t = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, t)) {
        const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "?";
        const char *v = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
        const char *why = NULL;
        enum esc_model m;
        enum esc_figures f;
        if (strcmp(k, "model") == 0 && v) {
            if (esc_model_parse(v, &m) != BMSRIG_OK)
                why = "not a controller model (m365, pro2)";
            else
                snprintf(cfg->esc, sizeof(cfg->esc), "%s", v);
        } else if (strcmp(k, "figures") == 0 && v) {
            if (esc_figures_parse(v, &f) != BMSRIG_OK)
                why = "not a figure set (recorded: the real unit's recordings; emulated: the "
                      "stock firmware under CPU emulation)";
            else
                snprintf(cfg->esc_figures, sizeof(cfg->esc_figures), "%s", v);
        } else {
            snprintf(err, errcap, "%s: scenario: esc.%s: unknown field or wrong type (esc "
                     "fields: model, figures)", where, k);
            lua_pop(L, 2);
            return BMSRIG_ERR_ARG;
        }
        if (why) {
            snprintf(err, errcap, "%s: scenario: esc.%s '%s': %s", where, k, v, why);
            lua_pop(L, 2);
            return BMSRIG_ERR_ARG;
        }
        lua_pop(L, 1);
    }
    return BMSRIG_OK;
}

/* Reads the declaration at the stack top into cfg. On error writes "where: reason" to err. */
int decl_to_config(lua_State *L, struct engine_config *cfg, double *timeout_s,
                   char *err, size_t errcap)
{
    char where[256] = "?";
    if (lua_getfield(L, -1, "where") == LUA_TSTRING)
        snprintf(where, sizeof(where), "%s", lua_tostring(L, -1));
    lua_pop(L, 1);

    if (lua_getfield(L, -1, "timeout") == LUA_TNUMBER)
        *timeout_s = lua_tonumber(L, -1);
    lua_pop(L, 1);
    if (lua_getfield(L, -1, "tick_ms") == LUA_TNUMBER) {
        double ms = lua_tonumber(L, -1);
        if (!(ms >= 0.01 && ms <= 100)) {
            snprintf(err, errcap, "%s: scenario: tick_ms must be in 0.01 .. 100", where);
            lua_pop(L, 1);
            return BMSRIG_ERR_ARG;
        }
        cfg->tick_us = (int64_t)llround(ms * 1000.0);
    }
    lua_pop(L, 1);
    if (lua_getfield(L, -1, "ambient_c") == LUA_TNUMBER) {
        cfg->ambient_c = lua_tonumber(L, -1);
        if (!(cfg->ambient_c >= -40 && cfg->ambient_c <= 85)) {  /* as t:ambient() */
            snprintf(err, errcap, "%s: scenario: ambient_c must be in -40 .. 85 C", where);
            lua_pop(L, 1);
            return BMSRIG_ERR_ARG;
        }
    }
    lua_pop(L, 1);
    if (lua_getfield(L, -1, "bms") == LUA_TSTRING)
        snprintf(cfg->bms, sizeof(cfg->bms), "%s", lua_tostring(L, -1));
    lua_pop(L, 1);
    int esc_type = lua_getfield(L, -1, "esc");
    if (esc_type == LUA_TSTRING) {
        snprintf(cfg->esc, sizeof(cfg->esc), "%s", lua_tostring(L, -1));
    } else if (esc_type == LUA_TTABLE) {
        int rc = decl_esc_table(L, cfg, where, err, errcap);
        if (rc != BMSRIG_OK) {
            lua_pop(L, 1);
            return rc;
        }
    } else if (esc_type != LUA_TNIL) {
        snprintf(err, errcap, "%s: scenario: esc: a model name (\"m365\", \"pro2\") or a "
                 "table { model =, figures = }, not a %s", where, lua_typename(L, esc_type));
        lua_pop(L, 1);
        return BMSRIG_ERR_ARG;
    }
    lua_pop(L, 1);

    if (lua_getfield(L, -1, "pack") == LUA_TTABLE) {
        int t = lua_gettop(L);
        lua_pushnil(L);
        while (lua_next(L, t)) {
            const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "?";
            int rc = BMSRIG_OK;
            if (strcmp(k, "cell") == 0 && lua_type(L, -1) == LUA_TSTRING) {
                snprintf(cfg->cell, sizeof(cfg->cell), "%s", lua_tostring(L, -1));
            } else if (strcmp(k, "preset") == 0 && lua_type(L, -1) == LUA_TSTRING) {
                snprintf(cfg->pack, sizeof(cfg->pack), "%s", lua_tostring(L, -1));
            } else if (strcmp(k, "cell_ah") == 0 && lua_type(L, -1) == LUA_TNUMBER) {
                cfg->cell_ah = lua_tonumber(L, -1);
                if (!(cfg->cell_ah > 0 && cfg->cell_ah <= 100))
                    rc = BMSRIG_ERR_RANGE;
            } else if (strcmp(k, "soc") == 0 && lua_type(L, -1) == LUA_TNUMBER) {
                cfg->soc = lua_tonumber(L, -1);
                if (!(cfg->soc >= 0 && cfg->soc <= 1))
                    rc = BMSRIG_ERR_RANGE;
            } else if (strcmp(k, "temp_c") == 0 && lua_type(L, -1) == LUA_TNUMBER) {
                cfg->temp_c = lua_tonumber(L, -1);
                cfg->ambient_c = cfg->temp_c;
            } else if ((strcmp(k, "series") == 0 || strcmp(k, "parallel") == 0) &&
                       lua_isinteger(L, -1)) {
                /* handled below together */
            } else {
                rc = BMSRIG_ERR_ARG;
            }
            if (rc != BMSRIG_OK) {
                snprintf(err, errcap,
                         "%s: scenario: pack.%s: %s (pack fields: cell, cell_ah, preset, "
                         "series, parallel, soc 0..1, temp_c)", where, k,
                         rc == BMSRIG_ERR_RANGE ? "out of range" : "unknown field or wrong type");
                lua_pop(L, 3);
                return BMSRIG_ERR_ARG;
            }
            lua_pop(L, 1);
        }
        lua_getfield(L, t, "series");
        lua_getfield(L, t, "parallel");
        if (lua_isinteger(L, -2) || lua_isinteger(L, -1)) {
            lua_Integer S = lua_isinteger(L, -2) ? lua_tointeger(L, -2) : 10;
            lua_Integer P = lua_isinteger(L, -1) ? lua_tointeger(L, -1) : 3;
            snprintf(cfg->pack, sizeof(cfg->pack), "%llds%lldp", (long long)S, (long long)P);
        }
        lua_pop(L, 2);
    }
    lua_pop(L, 1);
    return BMSRIG_OK;
}

/* Command-line settings win over the declaration, field by field. */
void apply_overrides(struct engine_config *cfg, const struct scenario_overrides *o)
{
    if (o->bms)
        snprintf(cfg->bms, sizeof(cfg->bms), "%s", o->bms);
    if (o->cell)
        snprintf(cfg->cell, sizeof(cfg->cell), "%s", o->cell);
    if (o->pack)
        snprintf(cfg->pack, sizeof(cfg->pack), "%s", o->pack);
    if (!isnan(o->soc))
        cfg->soc = o->soc;
    if (!isnan(o->temp_c))
        cfg->temp_c = cfg->ambient_c = o->temp_c;
    br_info("models: pack %s of %s at %.0f %% and %.1f C, bms %s, esc %s (%s figures)",
            cfg->pack, cfg->cell, cfg->soc * 100.0, cfg->temp_c, cfg->bms, cfg->esc,
            cfg->esc_figures);
}

/* ---- capabilities ------------------------------------------------------------------------- */

/* What a scenario can ask for in `needs`, and which targets provide it. */
static const struct capability {
    const char *name;
    bool virtual_has;
    const char *meaning;
} capabilities[] = {
    { "virtual_controller", true, "the built-in controller model as the device under test" },
    { "real_controller", false, "a real controller on a bench as the device under test" },
    { "link_faults", true, "the named data-line faults (bms_tx, reply_delay, ...)" },
    { "pack_faults", true, "cell, group and sense-wire faults" },
    { "thermistor_faults", true, "NTC open/short/drift" },
    { "charger", true, "a charger on the charge port" },
    { "replay", true, "ride-log replay" },
    { "ambient", true, "ambient temperature control" },
    { "analog_outputs", false, "DAC channels presenting cell and NTC voltages" },
    { "relays", false, "fault-insertion relays" },
};

static bool target_has(const struct capability *c, bool is_virtual, bool is_rig, bool real_dut,
                       bool firmware)
{
    if (is_virtual)
        return c->virtual_has;
    if (firmware) {
        /* an image on the emulated MCU: the virtual world around it (pack, BMS, link faults,
         * charger...), but neither the controller model nor a bench */
        if (strcmp(c->name, "virtual_controller") == 0 || strcmp(c->name, "real_controller") == 0)
            return false;
        return c->virtual_has;
    }
    if (strcmp(c->name, "analog_outputs") == 0 || strcmp(c->name, "relays") == 0)
        return is_rig;   /* a bench; the serial target (bmsrig bms) has no DAC or relays */
    if (strcmp(c->name, "real_controller") == 0)
        return real_dut;
    if (strcmp(c->name, "virtual_controller") == 0)
        return !real_dut;
    return c->virtual_has;
}

/* Checks decl.needs (declaration at the stack top) against the target. Returns BMSRIG_OK,
 * BMSRIG_ERR_STATE with the skip reason in msg, or BMSRIG_ERR_ARG for an unknown name. */
int check_needs(lua_State *L, const char *target, bool has_rig, bool real_dut, char *msg,
                size_t cap)
{
    int rc = BMSRIG_OK;
    if (lua_getfield(L, -1, "needs") != LUA_TTABLE) {
        lua_pop(L, 1);
        return BMSRIG_OK;
    }
    bool is_virtual = strcmp(target, "virtual") == 0;
    bool firmware = strcmp(target, "firmware") == 0;
    bool is_rig = !is_virtual && has_rig;
    size_t n = (size_t)luaL_len(L, -1);
    for (size_t i = 1; i <= n && rc == BMSRIG_OK; i++) {
        lua_geti(L, -1, (lua_Integer)i);
        const char *need = lua_tostring(L, -1);
        size_t k;
        for (k = 0; k < sizeof(capabilities) / sizeof(capabilities[0]); k++)
            if (need && strcmp(need, capabilities[k].name) == 0)
                break;
        if (k == sizeof(capabilities) / sizeof(capabilities[0])) {
            size_t len = (size_t)snprintf(msg, cap, "scenario: needs: unknown capability '%s' "
                                                    "(known:", need ? need : "?");
            for (k = 0; k < sizeof(capabilities) / sizeof(capabilities[0]) && len < cap; k++)
                len += (size_t)snprintf(msg + len, cap - len, " %s", capabilities[k].name);
            if (len < cap)
                snprintf(msg + len, cap - len, ")");
            rc = BMSRIG_ERR_ARG;
        } else if (!target_has(&capabilities[k], is_virtual, is_rig, real_dut, firmware)) {
            snprintf(msg, cap, "target %s cannot provide '%s' (%s)", target, need,
                     capabilities[k].meaning);
            rc = BMSRIG_ERR_STATE;
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return rc;
}
