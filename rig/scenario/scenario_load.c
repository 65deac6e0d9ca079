/* scenario_load.c: load a scenario file in a sandbox (with the prelude and its lib/ folder),
 * read its name, description and tags, and free it. */
#define LOG_PREFIX "scenario"
#include "rig/scenario/scenario.h"

#include <errno.h>
#include <lauxlib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rig/scenario/prelude_lua.h"
#include "rig/scenario/sandbox.h"
#include "rig/scenario/scenario_internal.h"
#include "rig/scenario/xalloc.h"
#include "rig/util/log.h"
#include "sim/status.h"

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
