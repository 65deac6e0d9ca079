/* l_engine.c: the engine primitives the scenario prelude calls (thin: check, call, push). */
#include "rig/scenario/l_engine.h"

#include <errno.h>
#include <lauxlib.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rig/fault/fault.h"
#include "rig/line/line_watch.h"
#include "rig/util/datadir.h"
#include "sim/bms.h"
#include "sim/esc.h"
#include "sim/pack.h"
#include "sim/regmap.h"
#include "sim/status.h"

/* luaL_error, but positioned at the scenario's own line: these primitives are called through
 * the prelude's wrappers, so level 1 would name "prelude:NNN". The first Lua frame up the stack
 * that is not the prelude is the script's call (file:line); without one, no position. */
__attribute__((format(printf, 2, 3)))
static int script_error(lua_State *L, const char *fmt, ...)
{
    lua_Debug ar;
    bool placed = false;
    for (int level = 1; !placed && lua_getstack(L, level, &ar); level++) {
        if (!lua_getinfo(L, "Sl", &ar) || ar.currentline <= 0 ||
            strcmp(ar.source, "=prelude") == 0)
            continue;
        lua_pushfstring(L, "%s:%d: ", ar.short_src, ar.currentline);
        placed = true;
    }
    if (!placed)
        lua_pushliteral(L, "");
    /* the whole message, however long (a name from the script can be): sized first */
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int need = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    luaL_Buffer b;
    size_t len = need > 0 ? (size_t)need : 0;
    char *msg = luaL_buffinitsize(L, &b, len + 1);
    vsnprintf(msg, len + 1, fmt, ap2);
    va_end(ap2);
    luaL_pushresultsize(&b, len);
    lua_concat(L, 2);
    return lua_error(L);
}

static struct l_engine_ctx *ctx_of(lua_State *L)
{
    struct l_engine_ctx *c = lua_touserdata(L, lua_upvalueindex(1));
    if (!c->engine || !c->result)
        script_error(L, "engine calls are only allowed inside the scenario's run function");
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

/* ---- waiting on a predicate ---------------------------------------------------------------- */

/* E.test(pred): pred() called from here, so that it runs where no yield can cross (a predicate
 * is tested after a tick, it cannot make time pass itself: the prelude names that error). */
static int p_test(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TFUNCTION);
    lua_settop(L, 1);
    lua_call(L, 0, 1);
    return 1;
}

/* E.wait_until(n, pred, stop_on): up to n ticks, pred() after each one, until its truth is
 * stop_on; returns pred's value after the last tick. The ticks run here, inside the script's
 * coroutine, instead of one resume (and one pass of the prelude's loop) per tick; pred runs in
 * the same frame chain it would from the prelude, so its errors, messages, tracebacks, the
 * script's own pcall and the instruction budget work as they do there. When the run is over
 * (time limit, interrupt, device fault) the coroutine yields and is never resumed. */
static int p_wait_until(lua_State *L)
{
    struct l_engine_ctx *c = ctx_of(L);
    lua_Integer n = luaL_checkinteger(L, 1);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    int stop_on = lua_toboolean(L, 3);
    if (!c->tick)
        return script_error(L, "wait_until: no run loop");
    lua_settop(L, 2);
    for (lua_Integer i = 1;; i++) {
        if (c->tick(c->tick_arg) != 0)
            return lua_yield(L, 0);
        lua_pushvalue(L, 2);
        lua_call(L, 0, 1);
        if (i >= n || lua_toboolean(L, -1) == stop_on)
            return 1;
        lua_pop(L, 1);
    }
}

/* The records are C memory, outside the Lua memory cap: a script that logs in a loop would
 * otherwise grow the process (and the reports) without bound. */
static struct l_engine_ctx *record_ctx(lua_State *L)
{
    struct l_engine_ctx *c = ctx_of(L);
    if (c->result->record_bytes > SCENARIO_RECORD_MAX)
        script_error(L, "too much recorded: logs, expectations, measurements and faults exceed %d MiB "
                      "per scenario", (int)(SCENARIO_RECORD_MAX >> 20));
    return c;
}

/* Stops the script when the result is full (faults are recorded in it by the engine). */
static void record_room(lua_State *L)
{
    if (ctx_of(L)->result)
        record_ctx(L);
}

/* record_expect(pass, what, where, t_s, observed, message, t_start_s) */
static int p_record_expect(lua_State *L)
{
    struct l_engine_ctx *c = record_ctx(L);
    scenario_result_add_expect(c->result, lua_toboolean(L, 1), luaL_checkstring(L, 2),
                               luaL_checkstring(L, 3), luaL_checknumber(L, 4),
                               luaL_optstring(L, 5, ""), luaL_optstring(L, 6, ""),
                               luaL_optnumber(L, 7, NAN));
    return 0;
}

/* record_measure(name, value, min|nil, max|nil, unit, pass, where) */
static int p_record_measure(lua_State *L)
{
    struct l_engine_ctx *c = record_ctx(L);
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
    struct l_engine_ctx *c = record_ctx(L);
    scenario_result_add_log(c->result, engine_now_s(c->engine), luaL_checkstring(L, 1));
    return 0;
}

static int p_output_dir(lua_State *L)
{
    struct l_engine_ctx *c = ctx_of(L);
    if (c->output_dir)
        lua_pushstring(L, c->output_dir);
    else
        lua_pushnil(L);
    return 1;
}

/* ---- read-outs ---------------------------------------------------------------------------- */

/* Raises the structured skip the runner knows (the target cannot do what the script asks). */
static int raise_skip(lua_State *L, const char *reason)
{
    lua_createtable(L, 0, 2);
    lua_pushstring(L, "skip");
    lua_setfield(L, -2, "bmsrig");
    lua_pushstring(L, reason);
    lua_setfield(L, -2, "message");
    return lua_error(L);
}

/* A real controller without a dashboard line: its error, speed and power state cannot be
 * read, so whatever depends on them skips (never passes or fails on a value nobody saw). */
#define NEED_OBSERVABLE(L, what)                                                               \
    do {                                                                                       \
        if (!engine_dut_observable(ctx_of(L)->engine))                                         \
            return raise_skip((L), what " needs the controller's dashboard line (words "       \
                                        "0xB0-0xB5); this target has none (bmsrig bms: give "  \
                                        "--dash-port DEV or --dash-pty)");                     \
    } while (0)

static int p_esc_error(lua_State *L)
{
    NEED_OBSERVABLE(L, "the controller's error code");
    lua_pushinteger(L, engine_esc_error(ctx_of(L)->engine));
    return 1;
}

static int p_pack_current(lua_State *L)
{
    lua_pushnumber(L, engine_pack_current(ctx_of(L)->engine));
    return 1;
}

static int p_pack_voltage(lua_State *L)
{
    lua_pushnumber(L, engine_pack_voltage(ctx_of(L)->engine));
    return 1;
}

static int p_esc_speed(lua_State *L)
{
    NEED_OBSERVABLE(L, "the controller's speed");
    if (engine_dut_firmware(ctx_of(L)->engine))
        return raise_skip(L, "the controller's speed: the firmware target has no motor model");
    lua_pushnumber(L, engine_esc_speed(ctx_of(L)->engine));
    return 1;
}

static int p_bms_status(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)engine_bms_status(ctx_of(L)->engine));
    return 1;
}

/* The bit (0..nbits-1) that `namer` calls `name`; otherwise a script error naming `what` and
   listing every name `namer` gives. */
static unsigned named_bit(lua_State *L, const char *name, unsigned nbits,
                          const char *(*namer)(unsigned bit), const char *what)
{
    luaL_Buffer buf;
    luaL_buffinit(L, &buf);
    for (unsigned b = 0; b < nbits; b++) {
        const char *n = namer(b);
        if (!n)
            continue;
        if (strcmp(n, name) == 0)
            return b;
        luaL_addstring(&buf, n);
        luaL_addstring(&buf, " ");
    }
    luaL_pushresult(&buf);
    return (unsigned)script_error(L, "unknown %s '%s' (names: %s)", what, name,
                                  lua_tostring(L, -1));
}

/* status_mask("overvoltage" | bit number) -> mask */
static int p_status_mask(lua_State *L)
{
    if (lua_isinteger(L, 1)) {
        lua_Integer bit = lua_tointeger(L, 1);
        luaL_argcheck(L, bit >= 0 && bit <= 15, 1, "status bit must be 0..15");
        lua_pushinteger(L, (lua_Integer)1 << bit);
        return 1;
    }
    unsigned b = named_bit(L, luaL_checkstring(L, 1), 16, regmap_status_bit_name, "status bit");
    lua_pushinteger(L, (lua_Integer)1 << b);
    return 1;
}

static const char *protection_bit_name(unsigned bit) { return bms_prot_name(1u << bit); }

/* check_protection("cell_uv") -> its mask: an argument error unless the name is one of the BMS
   model's protection flags, so a typo in t:expect_protection cannot pass as "inactive" forever. */
static int p_check_protection(lua_State *L)
{
    unsigned b = named_bit(L, luaL_checkstring(L, 1), 32, protection_bit_name, "protection");
    lua_pushinteger(L, (lua_Integer)1 << b);
    return 1;
}

static int p_reg(lua_State *L)
{
    const char *img = luaL_checkstring(L, 1);
    lua_Integer w = luaL_checkinteger(L, 2);
    unsigned v = 0;
    if (strcmp(img, "esc") == 0 && engine_dut_firmware(ctx_of(L)->engine))
        return raise_skip(L, "reg('esc', ...) reads the virtual controller's register image; a "
                             "firmware image is observed over its buses only");
    if (w < 0 || w > 0xFF || engine_reg(ctx_of(L)->engine, img, (unsigned)w, &v) != BMSRIG_OK)
        return script_error(L, "register %s word 0x%02X does not exist", img, (unsigned)w);
    lua_pushinteger(L, v);
    return 1;
}

static int p_bytes(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)engine_line_bytes(ctx_of(L)->engine, luaL_checkstring(L, 1)));
    return 1;
}

static unsigned check_index(lua_State *L, int arg, unsigned n, const char *what)
{
    lua_Integer i = luaL_checkinteger(L, arg);
    if (i < 1 || i > (lua_Integer)n)
        script_error(L, "%s %d does not exist (1..%u)", what, (int)i, n);
    return (unsigned)(i - 1);
}

/* group(g) -> {v, sense_v, soc, bleed} (g 1-based) */
static int p_group(lua_State *L)
{
    const struct pack *p = engine_pack(ctx_of(L)->engine);
    unsigned g = check_index(L, 1, pack_series(p), "group");
    lua_createtable(L, 0, 4);
    lua_pushnumber(L, pack_group_v(p, g));
    lua_setfield(L, -2, "v");
    lua_pushnumber(L, pack_sense_voltage(p, g));
    lua_setfield(L, -2, "sense_v");
    lua_pushnumber(L, pack_group_soc(p, g));
    lua_setfield(L, -2, "soc");
    lua_pushboolean(L, pack_bleed_on(p, g));
    lua_setfield(L, -2, "bleed");
    return 1;
}

/* cell(g, k) -> {soc, temp_c, current_a, ocv} */
static int p_cell(lua_State *L)
{
    const struct pack *p = engine_pack(ctx_of(L)->engine);
    unsigned g = check_index(L, 1, pack_series(p), "group");
    unsigned k = check_index(L, 2, pack_parallel(p), "cell");
    unsigned c = g * pack_parallel(p) + k;
    lua_createtable(L, 0, 4);
    lua_pushnumber(L, pack_cell_soc(p, c));
    lua_setfield(L, -2, "soc");
    lua_pushnumber(L, pack_cell_temp_c(p, c));
    lua_setfield(L, -2, "temp_c");
    lua_pushnumber(L, pack_cell_current_a(p, c));
    lua_setfield(L, -2, "current_a");
    lua_pushnumber(L, pack_cell_ocv(p, c));
    lua_setfield(L, -2, "ocv");
    return 1;
}

/* ntc(k) -> {temp_c (as decoded), true_temp_c, r_ohm, adc} */
static int p_ntc(lua_State *L)
{
    const struct pack *p = engine_pack(ctx_of(L)->engine);
    unsigned k = check_index(L, 1, pack_ntc_count(p), "thermistor");
    struct ntc_reading r;
    pack_ntc_read(p, k, &r);
    lua_createtable(L, 0, 4);
    lua_pushnumber(L, r.temp_c);
    lua_setfield(L, -2, "temp_c");
    lua_pushnumber(L, r.true_temp_c);
    lua_setfield(L, -2, "true_temp_c");
    lua_pushnumber(L, r.r_ohm);
    lua_setfield(L, -2, "r_ohm");
    lua_pushinteger(L, r.adc);
    lua_setfield(L, -2, "adc");
    return 1;
}

/* pack_fault(kind, g, k|nil, a, b): the group/cell/ntc fault calls (indices 1-based). */
static int p_pack_fault(lua_State *L)
{
    record_room(L);   /* each applied fault is recorded */
    static const char *const kinds[] = { "cell_open", "cell_short", "cell_weak", "group_soc",
                                         "group_mv", "sense_open", "sense_leak", "moisture",
                                         "ntc", NULL };
    static const enum engine_pack_fault map[] = {
        ENGINE_PF_CELL_OPEN, ENGINE_PF_CELL_SHORT, ENGINE_PF_CELL_WEAK, ENGINE_PF_GROUP_SOC,
        ENGINE_PF_GROUP_MV, ENGINE_PF_SENSE_OPEN, ENGINE_PF_SENSE_LEAK, ENGINE_PF_MOISTURE,
        ENGINE_PF_NTC,
    };
    struct engine *e = ctx_of(L)->engine;
    const struct pack *p = engine_pack(e);
    int kind = luaL_checkoption(L, 1, NULL, kinds);
    unsigned index;
    if (map[kind] == ENGINE_PF_NTC) {
        index = check_index(L, 2, pack_ntc_count(p), "thermistor");
    } else if (map[kind] == ENGINE_PF_SENSE_OPEN) {
        /* the wire at the top of group g: tap g (1..S-1); the top group's is the pack lead */
        index = check_index(L, 2, pack_series(p) - 1, "sense wire") + 1;
    } else {
        index = check_index(L, 2, pack_series(p), "group");
        if (!lua_isnoneornil(L, 3))
            index = index * pack_parallel(p) + check_index(L, 3, pack_parallel(p), "cell");
    }
    int rc = engine_pack_fault(e, map[kind], index, luaL_checknumber(L, 4), luaL_optnumber(L, 5, 0));
    if (rc != BMSRIG_OK)
        return script_error(L, "%s fault rejected by the pack model: %s", kinds[kind],
                          bmsrig_strerror(rc));
    return 0;
}

/* group_charge(g, ah): the field repair, not a fault */
static int p_group_charge(lua_State *L)
{
    struct engine *e = ctx_of(L)->engine;
    unsigned g = check_index(L, 1, pack_series(engine_pack(e)), "group");
    double ah = luaL_checknumber(L, 2);
    if (!(ah >= 0 && ah <= 100))
        return script_error(L, "top_up: charge must be in 0..100 Ah");
    if (engine_group_charge(e, g, ah) != BMSRIG_OK) {
        /* the pack refuses a SOC it cannot model (pack_fault_group_soc_offset) */
        char m[160];
        snprintf(m, sizeof(m), "top_up: %g Ah would take group %u outside the model's SOC range "
                 "(%g..%g %%)", ah, g + 1, 100.0 * PACK_SOC_MIN, 100.0 * PACK_SOC_MAX);
        return script_error(L, "%s", m);
    }
    return 0;
}

/* ---- commands (t:methods, self first) ----------------------------------------------------- */

static int c_power_on(lua_State *L)
{
    engine_power_on(ctx_of(L)->engine);
    lua_pushboolean(L, engine_powered(ctx_of(L)->engine));
    return 1;
}

static int c_power_off(lua_State *L)
{
    if (!engine_can_switch_power(ctx_of(L)->engine))
        return raise_skip(L, "power_off: this bench cannot switch the controller's power (its "
                             "description has no fault line named 'power')");
    engine_power_off(ctx_of(L)->engine);
    return 0;
}

static int c_powered(lua_State *L)
{
    NEED_OBSERVABLE(L, "whether the controller is on");
    lua_pushboolean(L, engine_powered(ctx_of(L)->engine));
    return 1;
}

/* t:ride{throttle=, brake=, mode=}: fields left out keep their value. */
static int c_ride(lua_State *L)
{
    struct engine *e = ctx_of(L)->engine;
    luaL_checktype(L, 2, LUA_TTABLE);
    double thr, brk;
    int mode;
    engine_get_rider(e, &thr, &brk, &mode);
    lua_pushnil(L);
    while (lua_next(L, 2)) {
        const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "?";
        if (strcmp(k, "throttle") == 0 || strcmp(k, "brake") == 0) {
            if (!lua_isnumber(L, -1))
                return script_error(L, "ride: %s must be a number 0..1", k);
            double v = lua_tonumber(L, -1);
            if (!(v >= 0 && v <= 1))
                return script_error(L, "ride: %s must be in 0..1, got %f", k, v);
            if (k[0] == 't')
                thr = v;
            else
                brk = v;
        } else if (strcmp(k, "grade") == 0) {
            double g = luaL_checknumber(L, -1);
            if (!(g >= -0.3 && g <= 0.3))
                return script_error(L, "ride: grade must be in -0.3 .. 0.3 (rise/run), got %f", g);
            engine_set_grade(e, g);
        } else if (strcmp(k, "mode") == 0) {
            const char *m = lua_tostring(L, -1);
            if (m && strcmp(m, "eco") == 0)
                mode = 0;
            else if (m && strcmp(m, "normal") == 0)
                mode = 1;
            else if (m && strcmp(m, "sport") == 0)
                mode = 2;
            else
                return script_error(L, "ride: mode must be 'eco', 'normal' or 'sport'");
        } else {
            return script_error(L, "ride: unknown field '%s' (throttle, brake, mode, grade)", k);
        }
        lua_pop(L, 1);
    }
    if (engine_dut_firmware(e) && (thr > 0 || brk > 0))
        return raise_skip(L, "ride: the firmware target has no motor or vehicle model (no drive "
                             "load, current or speed); the levers would reach the image's "
                             "dashboard bus but nothing moves");
    engine_set_rider(e, thr, brk, mode);
    return 0;
}

/* t:charge("stock" | "3a" | "13s" | {volts=, amps=}) */
static int c_charge(lua_State *L)
{
    struct engine *e = ctx_of(L)->engine;
    int rc;
    if (lua_istable(L, 2)) {
        lua_getfield(L, 2, "volts");
        lua_getfield(L, 2, "amps");
        rc = engine_charger_plug(e, NULL, luaL_checknumber(L, -2), luaL_checknumber(L, -1));
    } else {
        rc = engine_charger_plug(e, luaL_optstring(L, 2, "stock"), 0, 0);
    }
    if (rc != BMSRIG_OK)
        return script_error(L, "charge: use 'stock' (42 V 1.7 A), '3a' (42 V 3 A), '13s' "
                             "(54.6 V 2 A) or {volts = 1..100, amps = 0.05..20}");
    return 0;
}

static int c_unplug(lua_State *L)
{
    engine_charger_unplug(ctx_of(L)->engine);
    return 0;
}

/* Whether `path` (resolved, no symlinks) lies inside folder `dir` (resolved here). */
static bool inside(const char *path, const char *dir)
{
    char real[PATH_MAX];
    if (!dir || !dir[0] || !realpath(dir, real))
        return false;
    size_t n = strlen(real);
    if (n > 1 && real[n - 1] == '/')
        real[--n] = '\0';
    return strncmp(path, real, n) == 0 && (path[n] == '/' || (n == 1 && real[0] == '/'));
}

/* t:replay(path): a file under the scenario's folder or the shipped fixtures/ (the library's
 * "../../fixtures/rides/x.csv"), named relative to the scenario's folder. An absolute path, or
 * one that leads anywhere else (.., a symlink), is refused before the file is opened: a
 * scenario must not read files of the machine (issue 16). */
static int c_replay(lua_State *L)
{
    struct l_engine_ctx *c = ctx_of(L);
    const char *path = luaL_checkstring(L, 2);
    if (path[0] == '/')
        return script_error(L, "replay: '%s' is an absolute path: name the file relative to "
                               "the scenario's folder (under it or under the shipped "
                               "fixtures/)", path);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    luaL_addstring(&b, c->script_dir && c->script_dir[0] ? c->script_dir : ".");
    luaL_addchar(&b, '/');
    luaL_addstring(&b, path);
    luaL_pushresult(&b);
    const char *full = lua_tostring(L, -1);
    char real[PATH_MAX];
    if (!realpath(full, real))
        return script_error(L, "replay: %s: %s", full, strerror(errno));
    char fixtures[PATH_MAX];
    bool shipped = datadir_find(DATADIR_FIXTURES, "", fixtures, sizeof(fixtures));
    if (!inside(real, c->script_dir && c->script_dir[0] ? c->script_dir : ".") &&
        !(shipped && inside(real, fixtures)))
        return script_error(L, "replay: '%s' leads outside the scenario's folder and the "
                               "shipped fixtures/: refused", path);
    char err[512];
    if (engine_replay_load(c->engine, real, err, sizeof(err)) != BMSRIG_OK)
        return script_error(L, "replay: %s", err);
    if (engine_dut_firmware(c->engine) && engine_replay_drives_controller(c->engine))
        return raise_skip(L, "replay: the firmware target has no motor or vehicle model (a ride "
                             "log's levers would reach the image's dashboard bus but draw no "
                             "current)");
    return 0;
}

static int c_replaying(lua_State *L)
{
    lua_pushboolean(L, engine_replay_active(ctx_of(L)->engine));
    return 1;
}

static int c_ambient(lua_State *L)
{
    double c = luaL_checknumber(L, 2);
    luaL_argcheck(L, c >= -40 && c <= 85, 2, "ambient must be in -40 .. 85 C");
    engine_set_ambient_c(ctx_of(L)->engine, c);
    return 0;
}

/* t:fault(name [, value]): a number, or a word of the fault table ("on", "open", "burnt",
 * "off" = t:clear(name)); rig/fault/fault.h. */
static int c_fault(lua_State *L)
{
    record_room(L);   /* each applied fault is recorded */
    const char *name = luaL_checkstring(L, 2);
    double v = 1.0;
    char err[512];
    if (lua_type(L, 3) == LUA_TSTRING) {
        const struct fault_def *d = fault_find(name);
        bool clear = false;
        if (!d) {
            fault_unknown_message(name, err, sizeof err);
            return script_error(L, "%s", err);
        }
        if (fault_parse_value(d, lua_tostring(L, 3), &v, &clear, err, sizeof err) != 0)
            return script_error(L, "%s", err);
        if (clear) {
            if (engine_fault_clear(ctx_of(L)->engine, name, err, sizeof(err)) != BMSRIG_OK)
                return script_error(L, "%s", err);
            return 0;
        }
    } else if (!lua_isnoneornil(L, 3)) {
        v = luaL_checknumber(L, 3);
    }
    int rc = engine_fault(ctx_of(L)->engine, name, v, err, sizeof(err));
    if (rc == BMSRIG_ERR_STATE)
        return raise_skip(L, err);   /* the target cannot do it */
    if (rc != BMSRIG_OK)
        return script_error(L, "%s", err);
    return 0;
}

static int c_clear(lua_State *L)
{
    record_room(L);
    char err[256];
    if (engine_fault_clear(ctx_of(L)->engine, luaL_checkstring(L, 2), err, sizeof(err)) !=
        BMSRIG_OK)
        return script_error(L, "%s", err);
    return 0;
}

static int c_error(lua_State *L) { return p_esc_error(L); }
static int c_voltage(lua_State *L) { return p_pack_voltage(L); }
static int c_current(lua_State *L) { return p_pack_current(L); }
static int c_speed(lua_State *L) { return p_esc_speed(L); }
static int c_status(lua_State *L) { return p_bms_status(L); }

static int c_reg(lua_State *L)
{
    lua_remove(L, 1);
    return p_reg(L);
}

#define SET_NUM(name, val) (lua_pushnumber(L, (val)), lua_setfield(L, -2, (name)))
#define SET_INT(name, val) (lua_pushinteger(L, (lua_Integer)(val)), lua_setfield(L, -2, (name)))
#define SET_BOOL(name, val) (lua_pushboolean(L, (val)), lua_setfield(L, -2, (name)))

/* t:esc() -> the controller's state as a table */
static int c_esc(lua_State *L)
{
    struct engine *e = ctx_of(L)->engine;
    if (!engine_dut_virtual(e))
        return raise_skip(L, engine_dut_firmware(e)
                                 ? "t:esc() reads the virtual controller's internals; the "
                                   "device under test is a firmware image (buses only)"
                                 : "t:esc() reads the virtual controller's internals; the "
                                   "device under test is a real controller");
    struct esc_status st;
    esc_status(engine_esc(e), &st);
    lua_createtable(L, 0, 20);
    SET_BOOL("powered", engine_powered(e));
    SET_INT("error", engine_esc_error(e));
    SET_BOOL("bms_ok", st.bms_ok);
    SET_BOOL("boot_gave_up", st.boot_gave_up);
    SET_BOOL("comm_lost", st.comm_lost);
    SET_BOOL("lowbatt", st.lowbatt);
    SET_BOOL("tripped", st.tripped);
    SET_INT("boot_requests", st.boot_requests);
    SET_INT("polls", st.polls);
    SET_INT("good_replies", st.good_replies);
    SET_INT("misses", st.misses);
    SET_INT("miss_run", st.miss_run);
    /* scenario seconds; absent (nil) until there is one */
    if (st.last_good_reply_us >= 0)
        SET_NUM("last_good_reply_s", (double)st.last_good_reply_us / 1e6);
    if (st.error21_since_us >= 0)
        SET_NUM("error21_since_s", (double)st.error21_since_us / 1e6);
    SET_INT("bad_frames_in", st.bad_frames_in);
    SET_NUM("limit_a", st.limit_a);
    SET_NUM("derate", st.derate);
    lua_pushstring(L, esc_limit_reason_name(st.limit_reason));
    lua_setfield(L, -2, "limit_reason");
    SET_NUM("current_a", esc_battery_current_a(engine_esc(e)));
    SET_NUM("speed_kmh", esc_speed_kmh(engine_esc(e)));
    struct esc_bms_view v;
    esc_bms_view(engine_esc(e), &v);
    SET_INT("bms_soc_pct", v.soc_pct);
    SET_NUM("bms_voltage_v", v.voltage_10mv / 100.0);
    SET_INT("bms_status", v.status);
    return 1;
}

/* t:line() -> the controller as the BMS line shows it since its last power-on (every target:
   rig/line/line_watch.h) */
static int c_line(lua_State *L)
{
    const struct line_watch_counts *c = engine_line_watch(ctx_of(L)->engine);
    lua_createtable(L, 0, 10);
    SET_INT("requests", c->requests);
    SET_INT("boot_requests", c->boot_requests);
    SET_INT("polls", c->polls);
    SET_INT("replies", c->replies);
    SET_INT("bad_frames_in", c->bad_frames_in);
    SET_INT("polls_unanswered", c->polls_unanswered);
    SET_INT("unanswered_run", c->unanswered_run);
    SET_BOOL("handshake", c->handshake);
    if (c->handshake_us >= 0)   /* scenario seconds; nil until then */
        SET_NUM("handshake_s", (double)c->handshake_us / 1e6);
    if (c->last_request_us >= 0)
        SET_NUM("last_request_s", (double)c->last_request_us / 1e6);
    return 1;
}

/* t:bms() -> the BMS model's state as a table */
static int c_bms(lua_State *L)
{
    struct engine *e = ctx_of(L)->engine;
    const struct bms *b = engine_bms(e);
    const struct bms_measure *m = bms_measure(b);
    lua_createtable(L, 0, 12);
    SET_BOOL("discharge", bms_discharge_enabled(b));
    SET_BOOL("charge", bms_charge_enabled(b));
    SET_INT("status", engine_bms_status(e));
    SET_INT("soc_pct", m->soc_pct);
    SET_NUM("remaining_mah", m->remaining_mah);
    SET_NUM("pack_v", m->pack_mv / 1000.0);
    SET_NUM("current_a", m->current_ma / 1000.0);
    SET_NUM("t1_c", m->temp_c[0]);
    SET_NUM("t2_c", m->temp_c[1]);
    uint16_t lo = 0xFFFF, hi = 0;
    for (unsigned g = 0; g < m->ngroups; g++) {
        lo = m->group_mv[g] < lo ? m->group_mv[g] : lo;
        hi = m->group_mv[g] > hi ? m->group_mv[g] : hi;
    }
    SET_NUM("min_cell_v", lo / 1000.0);
    SET_NUM("max_cell_v", hi / 1000.0);
    uint32_t prot = bms_protections(b);
    lua_newtable(L);
    for (unsigned bit = 0; bit < 32; bit++) {
        if (prot & (1u << bit)) {
            lua_pushboolean(L, 1);
            lua_setfield(L, -2, bms_prot_name(1u << bit));
        }
    }
    lua_setfield(L, -2, "protections");
    return 1;
}

/* t:pack() -> pack totals */
static int c_pack(lua_State *L)
{
    const struct pack *p = engine_pack(ctx_of(L)->engine);
    unsigned S = pack_series(p), P = pack_parallel(p);
    double soc = 0, vmin = 1e9, vmax = -1e9, tmax = -1e9;
    for (unsigned g = 0; g < S; g++) {
        double v = pack_group_v(p, g);
        soc += pack_group_soc(p, g) / S;
        vmin = v < vmin ? v : vmin;
        vmax = v > vmax ? v : vmax;
    }
    for (unsigned c = 0; c < S * P; c++)
        tmax = pack_cell_temp_c(p, c) > tmax ? pack_cell_temp_c(p, c) : tmax;
    lua_createtable(L, 0, 9);
    SET_NUM("voltage", pack_terminal_v(p));
    SET_NUM("current", pack_current_a(p));
    SET_NUM("soc", soc);
    SET_NUM("min_group_v", vmin);
    SET_NUM("max_group_v", vmax);
    SET_NUM("max_temp_c", tmax);
    SET_INT("series", S);
    SET_INT("parallel", P);
    SET_BOOL("string_open", pack_string_open(p));
    return 1;
}

/* ---- registration ------------------------------------------------------------------------- */

static const luaL_Reg prims[] = {
    { "now", p_now },
    { "test", p_test },
    { "wait_until", p_wait_until },
    { "tick_s", p_tick_s },
    { "record_expect", p_record_expect },
    { "record_measure", p_record_measure },
    { "log", p_log },
    { "output_dir", p_output_dir },
    { "esc_error", p_esc_error },
    { "pack_current", p_pack_current },
    { "pack_voltage", p_pack_voltage },
    { "esc_speed", p_esc_speed },
    { "bms_status", p_bms_status },
    { "status_mask", p_status_mask },
    { "check_protection", p_check_protection },
    { "reg", p_reg },
    { "bytes", p_bytes },
    { "group", p_group },
    { "cell", p_cell },
    { "ntc", p_ntc },
    { "pack_fault", p_pack_fault },
    { "group_charge", p_group_charge },
    { NULL, NULL },
};

/* t:methods (self first). */
static const luaL_Reg commands[] = {
    { "power_on", c_power_on },
    { "power_off", c_power_off },
    { "powered", c_powered },
    { "ride", c_ride },
    { "charge", c_charge },
    { "unplug", c_unplug },
    { "replay", c_replay },
    { "replaying", c_replaying },
    { "ambient", c_ambient },
    { "fault", c_fault },
    { "clear", c_clear },
    { "error", c_error },
    { "voltage", c_voltage },
    { "current", c_current },
    { "speed", c_speed },
    { "status", c_status },
    { "reg", c_reg },
    { "esc", c_esc },
    { "line", c_line },
    { "bms", c_bms },
    { "pack", c_pack },
    { NULL, NULL },
};

void l_engine_push(lua_State *L, struct l_engine_ctx *ctx)
{
    lua_newtable(L);
    lua_pushlightuserdata(L, ctx);
    luaL_setfuncs(L, prims, 1);
    lua_newtable(L);
    lua_pushlightuserdata(L, ctx);
    luaL_setfuncs(L, commands, 1);
    lua_setfield(L, -2, "commands");
}
