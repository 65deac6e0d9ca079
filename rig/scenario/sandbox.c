/* sandbox.c: Lua 5.4 states for scenarios: pruned standard library, memory cap, instruction
 * budget, text-only loading, and protected calls with tracebacks (as lua.c's docall does). */
#include "rig/scenario/sandbox.h"

#include <lauxlib.h>
#include <lualib.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The count hook fires every HOOK_STEP VM instructions: coarse enough to cost nothing, fine
 * enough that a runaway loop is stopped within microseconds of its budget. */
#define HOOK_STEP 1000

struct sandbox_state {
    size_t used;
    size_t mem_max;
    uint64_t instr;
    uint64_t budget;
    int exhausted;
    char lib_dir[4096];
};

static struct sandbox_state *state_of(lua_State *L)
{
    void *ud = NULL;
    lua_getallocf(L, &ud);
    return ud;
}

static void *sandbox_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    struct sandbox_state *s = ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        free(ptr);
        s->used -= old;
        return NULL;
    }
    if (nsize > old && s->used - old + nsize > s->mem_max)
        return NULL;  /* Lua raises "not enough memory" */
    void *p = realloc(ptr, nsize);
    if (p)
        s->used = s->used - old + nsize;
    return p;
}

static void budget_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    struct sandbox_state *s = state_of(L);
    s->instr += HOOK_STEP;
    if (s->instr <= s->budget && !s->exhausted)
        return;
    /* From now on fire on every instruction, so a script that catches the error with pcall
     * cannot keep looping: the first instruction outside the pcall raises again. */
    s->exhausted = 1;
    lua_sethook(L, budget_hook, LUA_MASKCOUNT, 1);
    char msg[96];
    snprintf(msg, sizeof(msg), "instruction budget of %llu Lua instructions exceeded",
             (unsigned long long)s->budget);
    luaL_error(L, "%s", msg);
}

/* True when stack level `level` of co runs prelude code. */
static bool level_in_prelude(lua_State *co, int level)
{
    lua_Debug ar;
    if (!lua_getstack(co, level, &ar) || !lua_getinfo(co, "S", &ar))
        return false;
    return strcmp(ar.source, "=prelude") == 0;
}

/* True when level `lv` (filled in `ar` with "S") belongs in a scenario writer's traceback. */
static bool level_shown(lua_State *co, int lv, lua_Debug *ar)
{
    if (strcmp(ar->source, "=prelude") == 0)
        return false;
    return !(ar->what[0] == 'C' && level_in_prelude(co, lv + 1));
}

/* Frames shown at most: the first and last of a deep stack, as luaL_traceback keeps them. */
#define TRACE_HEAD 10
#define TRACE_TAIL 11

static void add_frame(lua_State *L, luaL_Buffer *b, lua_State *co, lua_Debug *ar)
{
    lua_getinfo(co, "Slnt", ar);
    if (ar->currentline <= 0)
        lua_pushfstring(L, "\n\t%s: in ", ar->short_src);
    else
        lua_pushfstring(L, "\n\t%s:%d: in ", ar->short_src, ar->currentline);
    luaL_addvalue(b);
    if (*ar->namewhat != '\0')
        lua_pushfstring(L, "%s '%s'",
                        strcmp(ar->namewhat, "global") == 0 ? "function" : ar->namewhat, ar->name);
    else if (*ar->what == 'm')
        lua_pushliteral(L, "main chunk");
    else if (*ar->what != 'C')
        lua_pushfstring(L, "function <%s:%d>", ar->short_src, ar->linedefined);
    else
        lua_pushliteral(L, "?");
    luaL_addvalue(b);
    if (ar->istailcall)
        luaL_addstring(b, "\n\t(...tail calls...)");
}

void sandbox_traceback(lua_State *L, lua_State *co, const char *msg, int level)
{
    lua_Debug ar;
    int total = 0;
    for (int lv = level; lua_getstack(co, lv, &ar); lv++)
        if (lua_getinfo(co, "S", &ar) && level_shown(co, lv, &ar))
            total++;
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    if (msg)
        luaL_addstring(&b, msg);
    if (total == 0) {
        /* nothing of the writer's own on the stack (a tail-called declaration): the message
         * names the line already */
        luaL_pushresult(&b);
        return;
    }
    if (msg)
        luaL_addchar(&b, '\n');
    luaL_addstring(&b, "stack traceback:");
    int n = 0;
    for (int lv = level; lua_getstack(co, lv, &ar); lv++) {
        if (!lua_getinfo(co, "S", &ar) || !level_shown(co, lv, &ar))
            continue;
        if (total > TRACE_HEAD + TRACE_TAIL && n >= TRACE_HEAD && n < total - TRACE_TAIL) {
            if (n == TRACE_HEAD) {
                lua_pushfstring(L, "\n\t...\t(skipping %d levels)",
                                total - TRACE_HEAD - TRACE_TAIL);
                luaL_addvalue(&b);
            }
            n++;
            continue;
        }
        add_frame(L, &b, co, &ar);
        n++;
    }
    luaL_pushresult(&b);
}

static int msghandler(lua_State *L)
{
    if (lua_type(L, 1) == LUA_TTABLE)
        return 1;  /* structured errors (expectation failed, skip) pass through untouched */
    const char *msg = lua_tostring(L, 1);
    if (msg == NULL) {
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
            return 1;
        msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    }
    sandbox_traceback(L, L, msg, 1);
    return 1;
}

int sandbox_pcall(lua_State *L, int nargs, int nres)
{
    int base = lua_gettop(L) - nargs;
    lua_pushcfunction(L, msghandler);
    lua_insert(L, base);
    int rc = lua_pcall(L, nargs, nres, base);
    lua_remove(L, base);
    return rc;
}

int sandbox_load_file(lua_State *L, const char *path)
{
    return luaL_loadfilex(L, path, "t");
}

/* require(name): Lua text from lib_dir/<name with dots as slashes>.lua, cached per state. */
static int sandbox_require(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    struct sandbox_state *s = state_of(L);
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '.'))
            return luaL_error(L, "require: bad module name '%s' (letters, digits, _ and . only)",
                              name);
    if (name[0] == '\0' || name[0] == '.' || strstr(name, ".."))
        return luaL_error(L, "require: bad module name '%s'", name);
    lua_getfield(L, LUA_REGISTRYINDEX, "bmsrig.loaded");
    lua_getfield(L, -1, name);
    if (!lua_isnil(L, -1))
        return 1;
    lua_pop(L, 1);
    if (s->lib_dir[0] == '\0')
        return luaL_error(L, "require '%s': no library folder for this scenario", name);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    luaL_addstring(&b, s->lib_dir);
    luaL_addchar(&b, '/');
    for (const char *p = name; *p; p++)
        luaL_addchar(&b, *p == '.' ? '/' : *p);
    luaL_addstring(&b, ".lua");
    luaL_pushresult(&b);
    const char *path = lua_tostring(L, -1);
    if (luaL_loadfilex(L, path, "t") != LUA_OK)
        return luaL_error(L, "require '%s': %s", name, lua_tostring(L, -1));
    lua_pushstring(L, name);
    lua_call(L, 1, 1);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        lua_pushboolean(L, 1);
    }
    lua_pushvalue(L, -1);
    lua_setfield(L, -4, name);  /* bmsrig.loaded[name] = result */
    return 1;
}

static const char seal_lua[] =
    "local rawload = load\n"
    "load = function(chunk, name, mode, ...)\n"
    "  if select('#', ...) > 0 then return rawload(chunk, name, 't', ...) end\n"
    "  return rawload(chunk, name, 't')\n"
    "end\n"
    /* Lua runs __gc finalizers with hooks off: a finalizer would escape the budget. */
    "local rawsetmt, rawget, type, error = setmetatable, rawget, type, error\n"
    "setmetatable = function(t, mt)\n"
    "  if type(mt) == 'table' and rawget(mt, '__gc') ~= nil then\n"
    "    error('setmetatable: __gc finalizers are not allowed in scenarios"
    " (they run outside the instruction budget)', 2)\n"
    "  end\n"
    "  return rawsetmt(t, mt)\n"
    "end\n"
    /* The strings' shared metatable stays out of reach too (its __index is string.*). */
    "getmetatable('').__metatable = 'bmsrig: protected metatable'\n";

lua_State *sandbox_new(const struct sandbox_limits *lim)
{
    struct sandbox_state *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->mem_max = lim && lim->mem_max ? lim->mem_max : SANDBOX_MEM_DEFAULT;
    s->budget = lim && lim->instr_budget ? lim->instr_budget : SANDBOX_BUDGET_DEFAULT;
    if (lim && lim->lib_dir)
        snprintf(s->lib_dir, sizeof(s->lib_dir), "%s", lim->lib_dir);
    lua_State *L = lua_newstate(sandbox_alloc, s);
    if (!L) {
        free(s);
        return NULL;
    }
    luaL_openlibs(L);
    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, "bmsrig.loaded");
    lua_sethook(L, budget_hook, LUA_MASKCOUNT, HOOK_STEP);
    return L;
}

void sandbox_close(lua_State *L)
{
    if (!L)
        return;
    struct sandbox_state *s = state_of(L);
    lua_close(L);
    free(s);
}

void sandbox_push_private(lua_State *L)
{
    lua_newtable(L);
    lua_getglobal(L, "debug");
    lua_getfield(L, -1, "getinfo");
    lua_setfield(L, -3, "getinfo");
    lua_getfield(L, -1, "traceback");
    lua_setfield(L, -3, "traceback");
    lua_pop(L, 1);
    lua_getglobal(L, "coroutine");
    lua_setfield(L, -2, "coroutine");
}

void sandbox_seal(lua_State *L)
{
    static const char *const gone[] = { "io", "os", "debug", "package", "coroutine",
                                        "dofile", "loadfile", "require" };
    for (size_t i = 0; i < sizeof(gone) / sizeof(gone[0]); i++) {
        lua_pushnil(L);
        lua_setglobal(L, gone[i]);
    }
    lua_getglobal(L, "string");
    lua_pushnil(L);
    lua_setfield(L, -2, "dump");
    lua_pop(L, 1);
    if (luaL_loadstring(L, seal_lua) == LUA_OK)
        lua_call(L, 0, 0);
    else
        lua_pop(L, 1);
    lua_pushcfunction(L, sandbox_require);
    lua_setglobal(L, "require");
}

uint64_t sandbox_instructions(lua_State *L)
{
    return state_of(L)->instr;
}

int sandbox_budget_exhausted(lua_State *L)
{
    return state_of(L)->exhausted;
}

size_t sandbox_mem_used(lua_State *L)
{
    return state_of(L)->used;
}
