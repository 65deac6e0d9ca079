/* scenario.c: load a scenario file in a sandbox, read its declaration, run it as a coroutine
 * against the engine, and collect the result. */
#define LOG_PREFIX "scenario"
#include "rig/scenario/scenario.h"

#include <errno.h>
#include <lauxlib.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rig/dut/dut_firmware.h"
#include "rig/scenario/engine.h"
#include "rig/util/log.h"
#include "rig/scenario/l_engine.h"
#include "rig/scenario/report.h"
#include "rig/scenario/sandbox.h"
#include "rig/scenario/prelude_lua.h"
#include "sim/status.h"

#define TIMEOUT_DEFAULT_S 600.0   /* scenario time, when neither the script nor the CLI says */

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

/* ---- small helpers ------------------------------------------------------------------------ */

static char *xstrdup(const char *s)
{
    if (!s)
        s = "";
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (!d) {
        fputs("bmsrig: out of memory\n", stderr);
        abort();  /* policy: small string allocations abort (style.md convention 5) */
    }
    memcpy(d, s, n);
    return d;
}

static char *xprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *out = NULL;
    if (vasprintf(&out, fmt, ap) < 0) {
        fputs("bmsrig: out of memory\n", stderr);
        abort();
    }
    va_end(ap);
    return out;
}

static void *grow(void *arr, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return arr;
    size_t nc = *cap ? *cap * 2 : 8;
    void *p = realloc(arr, nc * elem);
    if (!p) {
        fputs("bmsrig: out of memory\n", stderr);
        abort();
    }
    *cap = nc;
    return p;
}

const char *scenario_verdict_name(enum scenario_verdict v)
{
    switch (v) {
    case SCENARIO_PASS: return "pass";
    case SCENARIO_FAIL: return "fail";
    case SCENARIO_ERROR: return "error";
    case SCENARIO_SKIP: return "skip";
    case SCENARIO_RIG_FAULT: return "rig-fault";
    case SCENARIO_NOT_RUN: return "not-run";
    }
    return "?";
}

uint64_t scenario_seed(uint64_t run_seed, const char *path)
{
    /* FNV-1a over the file name (not the full path: a library run from another folder keeps its
     * seeds), mixed with the run seed by splitmix64. */
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    uint64_t h = 1469598103934665603ull;
    for (const char *p = base; *p; p++) {
        h ^= (uint8_t)*p;
        h *= 1099511628211ull;
    }
    uint64_t z = h ^ (run_seed + 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void scenario_run_options_default(struct scenario_run_options *o)
{
    memset(o, 0, sizeof(*o));
    o->clock = CLOCK_KIND_VIRTUAL;
    o->tick_us = CLOCK_TICK_US_DEFAULT;
    o->seed = 1;
    o->trace_every_us = 100000;
    o->target = "virtual";
    o->timeout_default_s = TIMEOUT_DEFAULT_S;
}

void scenario_progress_reset(struct scenario_progress *p)
{
    atomic_store_explicit(&p->beats, 0, memory_order_relaxed);
    atomic_store_explicit(&p->phase, SCENARIO_PHASE_SETUP, memory_order_relaxed);
    atomic_store_explicit(&p->sim_us, 0, memory_order_relaxed);
    atomic_store_explicit(&p->cancel, 0, memory_order_relaxed);
    atomic_store_explicit(&p->floor_us, 0, memory_order_relaxed);
}

/* One beat of progress in `phase` (no-op when unwatched). */
static void progress_beat(struct scenario_progress *p, enum scenario_phase phase)
{
    if (!p)
        return;
    atomic_fetch_add_explicit(&p->beats, 1, memory_order_relaxed);
    atomic_store_explicit(&p->phase, (int)phase, memory_order_relaxed);
}

static bool progress_cancelled(const struct scenario_progress *p)
{
    return p && atomic_load_explicit(&p->cancel, memory_order_relaxed) != 0;
}

/* ---- results ------------------------------------------------------------------------------ */

void scenario_result_init(struct scenario_result *r)
{
    memset(r, 0, sizeof(*r));
    r->verdict = SCENARIO_NOT_RUN;
}

void scenario_result_clear(struct scenario_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nexpects; i++) {
        free(r->expects[i].what);
        free(r->expects[i].where);
        free(r->expects[i].observed);
        free(r->expects[i].message);
    }
    for (size_t i = 0; i < r->nmeasures; i++) {
        free(r->measures[i].name);
        free(r->measures[i].unit);
        free(r->measures[i].where);
    }
    for (size_t i = 0; i < r->nlogs; i++)
        free(r->logs[i].text);
    free(r->expects);
    free(r->measures);
    free(r->logs);
    free(r->message);
    free(r->trace_signals);
    free(r->trace_bus);
    scenario_result_init(r);
}

void scenario_result_add_expect(struct scenario_result *r, bool pass, const char *what,
                                const char *where, double t_s, const char *observed,
                                const char *message)
{
    r->expects = grow(r->expects, &r->cap_expects, r->nexpects, sizeof(*r->expects));
    r->expects[r->nexpects++] = (struct scenario_expect){
        .what = xstrdup(what), .where = xstrdup(where), .t_s = t_s, .pass = pass,
        .observed = xstrdup(observed), .message = xstrdup(message),
    };
    const struct scenario_expect *x = &r->expects[r->nexpects - 1];
    r->record_bytes += sizeof(*x) + strlen(x->what) + strlen(x->where) + strlen(x->observed) +
                       strlen(x->message) + 4;
}

void scenario_result_add_measure(struct scenario_result *r, const char *name, double value,
                                 const double *min, const double *max, const char *unit,
                                 bool pass, const char *where, double t_s)
{
    r->measures = grow(r->measures, &r->cap_measures, r->nmeasures, sizeof(*r->measures));
    r->measures[r->nmeasures++] = (struct scenario_measure){
        .name = xstrdup(name), .value = value, .has_min = min != NULL, .has_max = max != NULL,
        .min = min ? *min : 0, .max = max ? *max : 0, .unit = xstrdup(unit), .pass = pass,
        .where = xstrdup(where), .t_s = t_s,
    };
    const struct scenario_measure *m = &r->measures[r->nmeasures - 1];
    r->record_bytes += sizeof(*m) + strlen(m->name) + strlen(m->unit) + strlen(m->where) + 3;
}

void scenario_result_add_log(struct scenario_result *r, double t_s, const char *text)
{
    r->logs = grow(r->logs, &r->cap_logs, r->nlogs, sizeof(*r->logs));
    r->logs[r->nlogs++] = (struct scenario_log){ .t_s = t_s, .text = xstrdup(text) };
    r->record_bytes += sizeof(struct scenario_log) + strlen(r->logs[r->nlogs - 1].text) + 1;
    if (log_get_level() >= LOG_INFO) {
        /* -v shows the line on stderr: sanitised, so that it cannot drive the terminal */
        char *safe = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&safe, &len);
        if (m) {
            report_put_safe(m, text, SIZE_MAX, true);
            fclose(m);
        }
        br_info("%.3f s: %s", t_s, safe ? safe : "(out of memory)");
        free(safe);
    }
}

void scenario_result_set_message(struct scenario_result *r, const char *msg)
{
    free(r->message);
    r->message = msg ? xstrdup(msg) : NULL;
}

/* ---- loading ------------------------------------------------------------------------------ */

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* scripts/faults/x.lua -> scripts/faults/lib if it exists, else scripts/lib. */
static char *find_lib_dir(const char *dir)
{
    char *a = xprintf("%s/lib", dir);
    if (is_dir(a))
        return a;
    free(a);
    return xprintf("%s/../lib", dir);
}

static void set_load_error(struct scenario *s, const char *msg)
{
    free(s->load_error);
    msg = msg ? msg : "unknown error";
    /* The prelude writes "?" when no script line was on the stack: the file is all we know. */
    if (strncmp(msg, "?:", 2) == 0)
        s->load_error = xprintf("%s%s", s->path, msg + 1);
    else
        s->load_error = xstrdup(msg);
}

/* Copies string field `key` of the table at `idx`, or NULL. */
static char *opt_string_field(lua_State *L, int idx, const char *key)
{
    char *out = NULL;
    if (lua_getfield(L, idx, key) == LUA_TSTRING)
        out = xstrdup(lua_tostring(L, -1));
    lua_pop(L, 1);
    return out;
}

struct scenario *scenario_load(const char *path)
{
    struct scenario *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->path = xstrdup(path);
    s->runner_ref = LUA_NOREF;
    s->decl_ref = LUA_NOREF;
    const char *slash = strrchr(path, '/');
    s->dir = slash ? xprintf("%.*s", (int)(slash - path), path) : xstrdup(".");
    const char *base = slash ? slash + 1 : path;
    s->name = xstrdup(base);
    s->ctx.script_dir = s->dir;

    char *lib = find_lib_dir(s->dir);
    struct sandbox_limits lim = { .lib_dir = lib };
    s->L = sandbox_new(&lim);
    free(lib);
    if (!s->L) {
        set_load_error(s, "out of memory creating the Lua state");
        return s;
    }
    lua_State *L = s->L;

    /* The prelude: our code, full access, run before the sandbox is sealed. */
    if (luaL_loadbufferx(L, prelude_lua, prelude_lua_len, "=prelude", "t") != LUA_OK) {
        set_load_error(s, lua_tostring(L, -1));
        return s;
    }
    sandbox_push_private(L);
    lua_getglobal(L, "io");
    lua_getfield(L, -1, "open");
    lua_setfield(L, -3, "io_open");
    lua_pop(L, 1);
    l_engine_push(L, &s->ctx);
    if (sandbox_pcall(L, 2, 1) != LUA_OK) {
        set_load_error(s, lua_tostring(L, -1));
        return s;
    }
    lua_getfield(L, -1, "run");
    s->runner_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_pop(L, 1);
    sandbox_seal(L);

    /* The scenario file: text only, evaluated in the sealed state. */
    if (sandbox_load_file(L, path) != LUA_OK) {
        set_load_error(s, lua_tostring(L, -1));
        lua_pop(L, 1);
        return s;
    }
    if (sandbox_pcall(L, 0, 1) != LUA_OK) {
        if (lua_istable(L, -1)) {
            lua_getfield(L, -1, "message");
            set_load_error(s, lua_tostring(L, -1));
            lua_pop(L, 1);
        } else {
            set_load_error(s, lua_tostring(L, -1));
        }
        lua_pop(L, 1);
        return s;
    }
    int ok_decl = 0;
    if (lua_istable(L, -1) && lua_getmetatable(L, -1)) {
        lua_getfield(L, -1, "__name");
        ok_decl = lua_isstring(L, -1) && strcmp(lua_tostring(L, -1), "bmsrig.scenario") == 0;
        lua_pop(L, 2);
    }
    if (!ok_decl) {
        char *m = xprintf("%s: the file must end with 'return scenario { name = ..., run = "
                          "function(t) ... end }' (it returned a %s)",
                          path, luaL_typename(L, -1));
        set_load_error(s, m);
        free(m);
        lua_pop(L, 1);
        return s;
    }
    char *name = opt_string_field(L, -1, "name");
    if (name) {
        free(s->name);
        s->name = name;
    }
    s->description = opt_string_field(L, -1, "description");
    if (lua_getfield(L, -1, "tags") == LUA_TTABLE) {
        size_t n = (size_t)luaL_len(L, -1);
        s->tags = calloc(n ? n : 1, sizeof(char *));
        for (size_t i = 1; s->tags && i <= n; i++) {
            lua_geti(L, -1, (lua_Integer)i);
            s->tags[s->ntags++] = xstrdup(lua_tostring(L, -1));
            lua_pop(L, 1);
        }
    }
    lua_pop(L, 1);
    s->decl_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    return s;
}

void scenario_free(struct scenario *s)
{
    if (!s)
        return;
    sandbox_close(s->L);
    for (size_t i = 0; i < s->ntags; i++)
        free(s->tags[i]);
    free(s->tags);
    free(s->path);
    free(s->dir);
    free(s->name);
    free(s->description);
    free(s->load_error);
    free(s);
}

const char *scenario_path(const struct scenario *s) { return s->path; }
const char *scenario_name(const struct scenario *s) { return s->name; }
const char *scenario_description(const struct scenario *s) { return s->description; }
const char *scenario_load_error(const struct scenario *s) { return s->load_error; }
size_t scenario_tag_count(const struct scenario *s) { return s->ntags; }
const char *scenario_tag(const struct scenario *s, size_t i) { return s->tags[i]; }

bool scenario_has_tag(const struct scenario *s, const char *tag)
{
    for (size_t i = 0; i < s->ntags; i++)
        if (strcmp(s->tags[i], tag) == 0)
            return true;
    return false;
}

/* ---- the declaration -> engine config ----------------------------------------------------- */

/* Reads the declaration at the stack top into cfg. On error writes "where: reason" to err. */
static int decl_to_config(lua_State *L, struct engine_config *cfg, double *timeout_s,
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
    if (lua_getfield(L, -1, "esc") == LUA_TSTRING)
        snprintf(cfg->esc, sizeof(cfg->esc), "%s", lua_tostring(L, -1));
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
static void apply_overrides(struct engine_config *cfg, const struct scenario_overrides *o)
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
    br_info("models: pack %s of %s at %.0f %% and %.1f C, bms %s", cfg->pack, cfg->cell,
            cfg->soc * 100.0, cfg->temp_c, cfg->bms);
}

int scenario_verdict_exit(enum scenario_verdict v)
{
    switch (v) {
    case SCENARIO_PASS:
    case SCENARIO_SKIP: return 0;
    case SCENARIO_FAIL: return 1;
    case SCENARIO_ERROR: return 2;
    case SCENARIO_RIG_FAULT: return 3;
    case SCENARIO_NOT_RUN: return 4;
    }
    return 3;
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
static int check_needs(lua_State *L, const char *target, bool has_rig, bool real_dut, char *msg,
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

/* ---- running ------------------------------------------------------------------------------ */

static void mkdir_p(const char *dir)
{
    char buf[4096];
    snprintf(buf, sizeof(buf), "%s", dir);
    for (char *p = buf + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(buf, 0777);
            *p = '/';
        }
    }
    mkdir(buf, 0777);
}

/* "scripts/faults/x.lua" -> "x" (trace file stem). */
static char *trace_stem(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    char *stem = xstrdup(base);
    char *dot = strrchr(stem, '.');
    if (dot && dot != stem)
        *dot = '\0';
    return stem;
}

/* An error that names the prelude ("prelude:NNN: ...": an argument error raised inside the
 * scenario API, whose luaL_argerror names its caller, the prelude's wrapper) placed at the
 * script's line instead, as l_engine's own errors are: the first frame of the failed `co`
 * outside the prelude (pushed on co). Any other message is returned as it is. */
static const char *place_in_script(lua_State *co, const char *msg)
{
    static const char pre[] = "prelude:";
    if (strncmp(msg, pre, sizeof(pre) - 1) != 0)
        return msg;
    const char *p = msg + sizeof(pre) - 1, *digits = p;
    while (*p >= '0' && *p <= '9')
        p++;
    if (p == digits || strncmp(p, ": ", 2) != 0)
        return msg;
    lua_Debug ar;
    for (int level = 0; lua_getstack(co, level, &ar); level++) {
        if (!lua_getinfo(co, "Sl", &ar) || ar.currentline <= 0 ||
            strcmp(ar.source, "=prelude") == 0)
            continue;
        return lua_pushfstring(co, "%s:%d: %s", ar.short_src, ar.currentline, p + 2);
    }
    return msg;
}

/* The error object at the top of `co` after a failed resume, turned into the result. */
static enum scenario_verdict take_error(lua_State *L, lua_State *co, struct scenario_result *res)
{
    if (lua_istable(co, -1)) {
        lua_getfield(co, -1, "bmsrig");
        lua_getfield(co, -2, "message");
        const char *kind = lua_tostring(co, -2);
        const char *msg = lua_tostring(co, -1);
        enum scenario_verdict v = SCENARIO_ERROR;
        if (kind && strcmp(kind, "fail") == 0)
            v = SCENARIO_FAIL;
        else if (kind && strcmp(kind, "skip") == 0)
            v = SCENARIO_SKIP;
        scenario_result_set_message(res, msg ? msg : "(no message)");
        lua_pop(co, 2);
        if (v != SCENARIO_ERROR)
            return v;
    }
    const char *msg = lua_tostring(co, -1);
    if (!msg)
        msg = lua_pushfstring(co, "(error object is a %s value)", luaL_typename(co, -1));
    msg = place_in_script(co, msg);
    luaL_traceback(L, co, msg, 0);
    scenario_result_set_message(res, lua_tostring(L, -1));
    lua_pop(L, 1);
    return SCENARIO_ERROR;
}

/* The declaration's "where" (file:line of the scenario{} call). */
static void decl_where(struct scenario *s, char *where, size_t cap)
{
    snprintf(where, cap, "%s", s->path);
    lua_rawgeti(s->L, LUA_REGISTRYINDEX, s->decl_ref);
    if (lua_getfield(s->L, -1, "where") == LUA_TSTRING)
        snprintf(where, cap, "%s", lua_tostring(s->L, -1));
    lua_pop(s->L, 2);
}

int scenario_check(struct scenario *s, const struct scenario_run_options *opt, char *err,
                   size_t errcap)
{
    if (s->load_error) {
        snprintf(err, errcap, "%s", s->load_error);
        return BMSRIG_ERR_PARSE;
    }
    char where[256], msg[512] = "";
    decl_where(s, where, sizeof(where));
    lua_rawgeti(s->L, LUA_REGISTRYINDEX, s->decl_ref);
    int rc = check_needs(s->L, opt->target ? opt->target : "virtual", opt->rig != NULL,
                         opt->dut != NULL, msg, sizeof(msg));
    lua_pop(s->L, 1);
    if (rc == BMSRIG_ERR_ARG) {
        snprintf(err, errcap, "%s: %s", where, msg);
        return BMSRIG_ERR_PARSE;
    }
    struct engine_config cfg;
    engine_config_default(&cfg);
    double timeout_s = 0;
    lua_rawgeti(s->L, LUA_REGISTRYINDEX, s->decl_ref);
    rc = decl_to_config(s->L, &cfg, &timeout_s, msg, sizeof(msg));
    lua_pop(s->L, 1);
    if (rc != BMSRIG_OK) {
        snprintf(err, errcap, "%s", msg);
        return BMSRIG_ERR_PARSE;
    }
    if (opt->overrides)
        apply_overrides(&cfg, opt->overrides);
    if (opt->progress && cfg.clock == CLOCK_KIND_REALTIME)
        atomic_store_explicit(&opt->progress->floor_us, 10 * cfg.tick_us, memory_order_relaxed);
    struct engine *e = NULL;   /* virtual clock, no bench, no traces: models only */
    rc = engine_new(&cfg, &e, msg, sizeof(msg));
    engine_free(e);
    if (rc != BMSRIG_OK) {
        snprintf(err, errcap, "%s: scenario: %s", where, msg);
        return BMSRIG_ERR_PARSE;
    }
    return BMSRIG_OK;
}

enum scenario_verdict scenario_run(struct scenario *s, const struct scenario_run_options *opt,
                                   struct scenario_result *res)
{
    double wall0 = clock_wall_s();
    res->seed = scenario_seed(opt->seed, s->path);
    if (s->load_error) {
        scenario_result_set_message(res, s->load_error);
        return res->verdict = SCENARIO_ERROR;
    }
    if (s->ran) {
        scenario_result_set_message(res, "scenario already ran in this state");
        return res->verdict = SCENARIO_ERROR;
    }
    s->ran = true;
    {
        char msg[512];
        lua_rawgeti(s->L, LUA_REGISTRYINDEX, s->decl_ref);
        int nrc = check_needs(s->L, opt->target ? opt->target : "virtual", opt->rig != NULL,
                              opt->dut != NULL, msg, sizeof(msg));
        char where[256] = "?";
        if (lua_getfield(s->L, -1, "where") == LUA_TSTRING)
            snprintf(where, sizeof(where), "%s", lua_tostring(s->L, -1));
        lua_pop(s->L, 2);
        if (nrc == BMSRIG_ERR_ARG) {
            char *m = xprintf("%s: %s", where, msg);
            scenario_result_set_message(res, m);
            free(m);
            return res->verdict = SCENARIO_ERROR;
        }
        if (nrc == BMSRIG_ERR_STATE) {
            scenario_result_set_message(res, msg);
            return res->verdict = SCENARIO_SKIP;
        }
    }
    if (opt->target && strcmp(opt->target, "virtual") != 0 && !opt->rig && !opt->dut
        && !opt->firmware) {
        scenario_result_set_message(res, "target rig: no bench open (give --rig FILE)");
        return res->verdict = SCENARIO_RIG_FAULT;
    }
    lua_State *L = s->L;
    struct engine_config cfg;
    engine_config_default(&cfg);
    cfg.clock = opt->clock;
    cfg.tick_us = opt->tick_us > 0 ? opt->tick_us : CLOCK_TICK_US_DEFAULT;
    cfg.seed = res->seed;
    cfg.suppress_faults = opt->suppress_faults;
    cfg.trace_every_us = opt->trace_every_us;
    cfg.trace_title = s->path;
    cfg.rig = opt->rig;
    cfg.dut = opt->dut;
    double timeout_s = opt->timeout_default_s > 0 ? opt->timeout_default_s : TIMEOUT_DEFAULT_S;
    char err[512] = "";
    lua_rawgeti(L, LUA_REGISTRYINDEX, s->decl_ref);
    int rc = decl_to_config(L, &cfg, &timeout_s, err, sizeof(err));
    lua_pop(L, 1);
    if (rc != BMSRIG_OK) {
        scenario_result_set_message(res, err);
        return res->verdict = SCENARIO_ERROR;
    }
    if (opt->overrides)
        apply_overrides(&cfg, opt->overrides);
    if (opt->progress && cfg.clock == CLOCK_KIND_REALTIME)
        atomic_store_explicit(&opt->progress->floor_us, 10 * cfg.tick_us, memory_order_relaxed);

    FILE *sig = NULL, *bus = NULL;
    if (opt->trace_dir) {
        mkdir_p(opt->trace_dir);
        char *stem = trace_stem(s->path);
        res->trace_signals = xprintf("%s/%s.signals.csv", opt->trace_dir, stem);
        res->trace_bus = xprintf("%s/%s.bus.csv", opt->trace_dir, stem);
        free(stem);
        sig = fopen(res->trace_signals, "w");
        bus = fopen(res->trace_bus, "w");
        if (!sig || !bus)
            br_warn("cannot write traces in %s: %s", opt->trace_dir, strerror(errno));
        cfg.trace_signals = sig;
        cfg.trace_bus = bus;
    }
    if (opt->bus_log) {
        if (bus)
            fclose(bus);
        bus = fopen(opt->bus_log, "w");
        if (!bus) {
            char *m = xprintf("%s: %s", opt->bus_log, strerror(errno));
            scenario_result_set_message(res, m);
            free(m);
            if (sig)
                fclose(sig);
            return res->verdict = SCENARIO_RIG_FAULT;
        }
        free(res->trace_bus);
        res->trace_bus = xstrdup(opt->bus_log);
        cfg.trace_bus = bus;
    }

    /* target firmware: this run's own MCU (the image was validated before any scenario) */
    struct dut_firmware *fw = NULL;
    if (opt->firmware) {
        rc = dut_firmware_open(opt->firmware, &fw, err, sizeof(err));
        if (rc != BMSRIG_OK) {
            scenario_result_set_message(res, err);
            if (sig)
                fclose(sig);
            if (bus)
                fclose(bus);
            return res->verdict = SCENARIO_RIG_FAULT;
        }
        cfg.fw = fw;
    }
    struct engine *e = NULL;
    rc = engine_new(&cfg, &e, err, sizeof(err));
    if (rc != BMSRIG_OK) {
        dut_firmware_close(fw);
        char where[256] = "?";
        lua_rawgeti(L, LUA_REGISTRYINDEX, s->decl_ref);
        if (lua_getfield(L, -1, "where") == LUA_TSTRING)
            snprintf(where, sizeof(where), "%s", lua_tostring(L, -1));
        lua_pop(L, 2);
        char *m = xprintf("%s: scenario: %s", where, err);
        scenario_result_set_message(res, m);
        free(m);
        if (sig)
            fclose(sig);
        if (bus)
            fclose(bus);
        return res->verdict = SCENARIO_ERROR;
    }
    if (opt->output_dir)
        mkdir_p(opt->output_dir);
    s->ctx.engine = e;
    s->ctx.result = res;
    s->ctx.output_dir = opt->output_dir;

    lua_State *co = lua_newthread(L);
    int co_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_rawgeti(co, LUA_REGISTRYINDEX, s->runner_ref);
    lua_rawgeti(co, LUA_REGISTRYINDEX, s->decl_ref);
    int nargs = 1;
    enum scenario_verdict v = SCENARIO_PASS;
    struct scenario_progress *prog = opt->progress;
    for (;;) {
        int nres = 0;
        progress_beat(prog, SCENARIO_PHASE_SCRIPT);
        int st = lua_resume(co, L, nargs, &nres);
        progress_beat(prog, SCENARIO_PHASE_ENGINE);
        nargs = 0;
        if (st == LUA_OK) {
            lua_pop(co, nres);
            break;
        }
        if (st == LUA_ERRMEM) {
            /* Lua's memory error carries no position: name the file and the limit, and keep
             * the traceback (which has the line). */
            luaL_traceback(L, co, "not enough memory", 0);
            char *m = xprintf("%s: not enough memory (the limit is %u MiB per scenario)\n%s",
                              s->path, (unsigned)(SANDBOX_MEM_DEFAULT >> 20),
                              lua_tostring(L, -1));
            lua_pop(L, 1);
            scenario_result_set_message(res, m);
            free(m);
            v = SCENARIO_ERROR;
            break;
        }
        if (st != LUA_YIELD) {
            v = take_error(L, co, res);
            break;
        }
        lua_Integer ticks = 1;
        if (nres > 0) {
            int isint = 0;
            ticks = lua_tointegerx(co, -nres, &isint);
            if (!isint && lua_tonumber(co, -nres) > 0)
                ticks = LUA_MAXINTEGER;  /* t:wait(math.huge): more ticks than an integer */
        }
        lua_pop(co, nres);
        if (ticks < 1)
            ticks = 1;
        bool stop = false;
        for (lua_Integer i = 0; i < ticks; i++) {
            if (opt->interrupted && *opt->interrupted) {
                char *m = xprintf("interrupted at t=%.3f s", engine_now_s(e));
                scenario_result_set_message(res, m);
                free(m);
                res->incomplete = true;
                v = SCENARIO_NOT_RUN;
                stop = true;
                break;
            }
            if (progress_cancelled(prog)) {
                scenario_result_set_message(res, "written off by the watchdog");
                v = SCENARIO_FAIL;
                stop = true;
                break;
            }
            if (engine_now_s(e) >= timeout_s - 1e-9) {
                char *m = xprintf("%s: scenario time limit of %.1f s reached (set timeout = "
                                  "in the scenario to change it)", s->path, timeout_s);
                scenario_result_set_message(res, m);
                free(m);
                v = SCENARIO_FAIL;
                stop = true;
                break;
            }
            rc = engine_step(e);
            if (rc == BMSRIG_ERR_STATE) {
                /* the firmware under test faulted: this scenario fails, the run goes on */
                char *m = xprintf("t=%.3f s: %s", engine_now_s(e), engine_dut_message(e));
                scenario_result_set_message(res, m);
                free(m);
                v = SCENARIO_FAIL;
                stop = true;
                break;
            }
            if (rc != BMSRIG_OK) {
                char *m = xprintf("rig fault at t=%.3f s: %s", engine_now_s(e),
                                  bmsrig_strerror(rc));
                scenario_result_set_message(res, m);
                free(m);
                v = SCENARIO_RIG_FAULT;
                stop = true;
                break;
            }
            if (prog) {
                atomic_store_explicit(&prog->sim_us, engine_clock(e)->now_us,
                                      memory_order_relaxed);
                atomic_fetch_add_explicit(&prog->beats, 1, memory_order_relaxed);
            }
        }
        if (stop)
            break;
    }
    luaL_unref(L, LUA_REGISTRYINDEX, co_ref);
    progress_beat(prog, SCENARIO_PHASE_CLOSING);

    if (v == SCENARIO_PASS || v == SCENARIO_SKIP) {
        /* A failed expectation fails the scenario even if the script caught the error (and
         * then skipped: a skip must not hide a failure already seen). */
        for (size_t i = 0; i < res->nexpects; i++) {
            if (!res->expects[i].pass) {
                scenario_result_set_message(res, res->expects[i].message);
                v = SCENARIO_FAIL;
                break;
            }
        }
    }
    if (v == SCENARIO_PASS || v == SCENARIO_SKIP) {
        for (size_t i = 0; i < res->nmeasures; i++) {
            if (!res->measures[i].pass) {
                struct scenario_measure *m = &res->measures[i];
                char lim[96] = "";
                if (m->has_min && m->has_max)
                    snprintf(lim, sizeof(lim), "[%g, %g]", m->min, m->max);
                else if (m->has_min)
                    snprintf(lim, sizeof(lim), ">= %g", m->min);
                else
                    snprintf(lim, sizeof(lim), "<= %g", m->max);
                char *msg = xprintf("%s: measurement %s = %g %s outside %s (t=%.3f s)", m->where,
                                    m->name, m->value, m->unit, lim, m->t_s);
                scenario_result_set_message(res, msg);
                free(msg);
                v = SCENARIO_FAIL;
                break;
            }
        }
    }
    const struct clock *c = engine_clock(e);
    res->sim_time_s = engine_now_s(e);
    res->ticks = c->ticks;
    res->overruns = c->overruns;
    res->worst_late_us = c->worst_late_us;
    res->late_total_us = c->late_total_us;
    memcpy(res->late_hist, c->late_hist, sizeof res->late_hist);
    res->faults_requested = engine_faults_requested(e);
    res->faults_applied = engine_faults_applied(e);
    res->instructions = sandbox_instructions(L);
    s->ctx.engine = NULL;
    s->ctx.result = NULL;
    engine_free(e);
    dut_firmware_close(fw);
    if (sig)
        fclose(sig);
    if (bus)
        fclose(bus);
    res->wall_s = clock_wall_s() - wall0;
    if (prog)
        atomic_store_explicit(&prog->phase, SCENARIO_PHASE_DONE, memory_order_relaxed);
    return res->verdict = v;
}
