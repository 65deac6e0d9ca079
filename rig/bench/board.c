/* board.c: rig descriptions (hw/boards/NAME.lua) run in a Lua 5.4 sandbox (base, string, math,
 * table; no files, no loading, an instruction budget) and validated into struct board. The
 * constructors board{}, dac{}, channel{}, relay{} and bank{} record the file and line they are
 * called on, so every validation error points at file:line. `extends = "NAME" | "PATH"` builds
 * a description on another one: the base's top-level fields, overridden whole by the ones the
 * description gives (docs/hardware.md). */
#include "rig/bench/board.h"

#include <ctype.h>
#include <errno.h>
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "rig/bench/board_internal.h"
#include "rig/util/datadir.h"
#include "sim/status.h"

#define BOARD_INSTR_BUDGET 20000000   /* Lua VM instructions a description may run */

int board_fail(struct loader *ld, int line, const char *fmt, ...)
{
    char msg[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (ld->errlen)
        snprintf(ld->err, ld->errlen, "%s:%d: %s", ld->cur_file[0] ? ld->cur_file : ld->path,
                 line, msg);
    return BMSRIG_ERR_PARSE;
}

/* ---- pins ---------------------------------------------------------------------------------- */

board_pin board_pin_parse(const char *s)
{
    if (!s)
        return -1;
    if ((strncasecmp(s, "ADBUS", 5) == 0 || strncasecmp(s, "ACBUS", 5) == 0) && s[5] >= '0' &&
        s[5] <= '7' && !s[6])
        return (toupper((unsigned char)s[1]) == 'C' ? 8 : 0) + s[5] - '0';
    if (strncasecmp(s, "GPIOL", 5) == 0 && s[5] >= '0' && s[5] <= '3' && !s[6])
        return 4 + s[5] - '0';
    if (strncasecmp(s, "GPIOH", 5) == 0 && s[5] >= '0' && s[5] <= '7' && !s[6])
        return 8 + s[5] - '0';
    return -1;
}

const char *board_pin_name(board_pin pin, char *buf, size_t len)
{
    if (pin < 0 || pin > 15)
        snprintf(buf, len, "none");
    else
        snprintf(buf, len, "%s%d", pin < 8 ? "ADBUS" : "ACBUS", pin & 7);
    return buf;
}

/* ---- sandbox ------------------------------------------------------------------------------- */

/* The constructors: tag the table with its kind and the caller's file and line. */
static int l_tag(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_Debug ar;
    int line = 0;
    const char *file = NULL;
    if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "Sl", &ar)) {
        line = ar.currentline;
        if (ar.source && ar.source[0] == '@')
            file = ar.source + 1;
    }
    lua_pushinteger(L, line);
    lua_setfield(L, 1, "__line");
    if (file) {
        lua_pushstring(L, file);
        lua_setfield(L, 1, "__file");
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_setfield(L, 1, "__kind");
    lua_settop(L, 1);
    return 1;
}

static void budget_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    luaL_error(L, "instruction budget exhausted (endless loop in the description?)");
}

static lua_State *sandbox_new(void)
{
    lua_State *L = luaL_newstate();
    if (!L)
        return NULL;
    static const luaL_Reg libs[] = {
        { LUA_GNAME, luaopen_base }, { LUA_STRLIBNAME, luaopen_string },
        { LUA_MATHLIBNAME, luaopen_math }, { LUA_TABLIBNAME, luaopen_table }, { NULL, NULL },
    };
    for (const luaL_Reg *l = libs; l->name; l++) {
        luaL_requiref(L, l->name, l->func, 1);
        lua_pop(L, 1);
    }
    static const char *const banned[] = { "dofile", "loadfile", "load", "require",
                                          "collectgarbage", "print", NULL };
    for (const char *const *n = banned; *n; n++) {
        lua_pushnil(L);
        lua_setglobal(L, *n);
    }
    static const char *const kinds[] = { "board", "dac", "channel", "relay", "bank", NULL };
    for (const char *const *k = kinds; *k; k++) {
        lua_pushstring(L, *k);
        lua_pushcclosure(L, l_tag, 1);
        lua_setglobal(L, *k);
    }
    /* Finalizers run outside any hook (and at lua_close, after the reading): a description
     * may not set a __gc metatable; the strings' metatable is out of reach (issue 16). */
    static const char seal[] =
        "local rawsetmt, rawget, type, error = setmetatable, rawget, type, error\n"
        "setmetatable = function(t, mt)\n"
        "  if type(mt) == 'table' and rawget(mt, '__gc') ~= nil then\n"
        "    error('setmetatable: __gc finalizers are not allowed in rig descriptions', 2)\n"
        "  end\n"
        "  return rawsetmt(t, mt)\n"
        "end\n"
        "getmetatable('').__metatable = 'bmsrig: protected metatable'\n";
    if (luaL_loadstring(L, seal) != LUA_OK || lua_pcall(L, 0, 0, 0) != LUA_OK) {
        lua_close(L);
        return NULL;
    }
    lua_sethook(L, budget_hook, LUA_MASKCOUNT, BOARD_INSTR_BUDGET);
    return L;
}

/* ---- extends ------------------------------------------------------------------------------ */

static bool readable(const char *path) { return access(path, R_OK) == 0; }

/* The file `ext` (a board name or a path) names, seen from description `from`: a path (has a
 * '/' or ends in .lua) is relative to from's folder; a name is NAME.lua in from's folder, then
 * in the boards folders of rig/util/datadir.h ($BMSRIG_BOARDS_DIR, ./hw/boards, the data
 * root's boards/: installed, moved or the build tree's link to the source). */
static bool resolve_base(const char *from, const char *ext, char *out, size_t outlen)
{
    char dir[512];
    const char *slash = strrchr(from, '/');
    if (slash)
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - from), from);
    else
        snprintf(dir, sizeof dir, ".");
    size_t n = strlen(ext);
    if (strchr(ext, '/') || (n > 4 && strcmp(ext + n - 4, ".lua") == 0)) {
        if (ext[0] == '/')
            snprintf(out, outlen, "%s", ext);
        else
            snprintf(out, outlen, "%s/%s", dir, ext);
        return readable(out);
    }
    snprintf(out, outlen, "%s/%s.lua", dir, ext);
    if (readable(out))
        return true;
    char file[300];
    snprintf(file, sizeof file, "%s.lua", ext);
    return datadir_find(DATADIR_BOARDS, file, out, outlen);
}

/* If the board table at the top has `extends`, loads the base (recursively), and replaces the
 * table with a merged one: every top-level field of the base, those the description gives
 * replacing the base's whole. __origin maps each inherited field to the board { table it was
 * written in, for file:line in errors. Runs under lua_pcall (errors in a base propagate). */
static int apply_extends(struct loader *ld, int depth)
{
    lua_State *L = ld->L;
    int didx = lua_gettop(L);
    if (!lua_istable(L, didx) || !board_kind_is(L, didx, "board"))
        return BMSRIG_OK;   /* load_board says what is wrong with it */
    lua_getfield(L, didx, "extends");
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        return BMSRIG_OK;
    }
    int dline = board_line_of(L, didx, 1);
    char dfile[512];
    board_file_from(ld, didx, ld->path);
    snprintf(dfile, sizeof dfile, "%s", ld->cur_file);
    if (lua_type(L, -1) != LUA_TSTRING || lua_rawlen(L, -1) == 0 || lua_rawlen(L, -1) > 255) {
        lua_pop(L, 1);
        return board_fail(ld, dline, "board: extends must be a string: a board name (\"emulated\") "
                          "or a path to a .lua description");
    }
    char ext[256];
    snprintf(ext, sizeof ext, "%s", lua_tostring(L, -1));
    lua_pop(L, 1);
    if (depth >= BOARD_EXTENDS_MAX)
        return board_fail(ld, dline, "board: extends '%s': more than %d levels of extends (loading %s)",
                          ext, BOARD_EXTENDS_MAX, ld->path);
    char base[4096];
    if (!resolve_base(dfile, ext, base, sizeof base)) {
        if (strchr(ext, '/') || strstr(ext, ".lua"))
            return board_fail(ld, dline, "board: extends '%s': no rig description %s", ext, base);
        char where[2048];
        datadir_describe(DATADIR_BOARDS, where, sizeof where);
        return board_fail(ld, dline, "board: extends '%s': no rig description %s.lua next to it or "
                          "in %s", ext, ext, where);
    }
    char *real = realpath(base, NULL);
    if (!real)
        return board_fail(ld, dline, "board: extends '%s': %s: %s", ext, base, strerror(errno));
    for (int i = 0; i < ld->nchain; i++)
        if (strcmp(ld->chain[i], real) == 0) {
            free(real);
            return board_fail(ld, dline, "board: extends cycle: '%s' is %s, which is already being "
                              "loaded (from %s)", ext, base, ld->path);
        }
    ld->chain[ld->nchain++] = real;

    lua_sethook(L, budget_hook, LUA_MASKCOUNT, BOARD_INSTR_BUDGET);   /* a budget per file */
    if (luaL_loadfilex(L, base, "t") != LUA_OK) {
        snprintf(ld->err, ld->errlen, "%s (extended by %s:%d)", lua_tostring(L, -1), dfile,
                 dline);
        return BMSRIG_ERR_PARSE;
    }
    lua_call(L, 0, 1);
    int bidx = lua_gettop(L);
    if (!lua_istable(L, bidx) || !board_kind_is(L, bidx, "board")) {
        snprintf(ld->cur_file, sizeof ld->cur_file, "%.511s", base);
        return board_fail(ld, 1, "the description must end with: return board { ... } (extended by "
                          "%s:%d)", dfile, dline);
    }
    int rc = apply_extends(ld, depth + 1);
    if (rc != BMSRIG_OK)
        return rc;

    lua_newtable(L);   /* the merged board */
    int m = lua_gettop(L);
    lua_getfield(L, bidx, "__origin");   /* what the base itself inherited keeps its origin */
    if (!lua_istable(L, -1)) {
        lua_pop(L, 1);
        lua_newtable(L);
    }
    int o = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, bidx)) {
        if (lua_type(L, -2) == LUA_TSTRING) {
            const char *k = lua_tostring(L, -2);
            if (strncmp(k, "__", 2) == 0 || strcmp(k, "extends") == 0) {
                lua_pop(L, 1);
                continue;
            }
            lua_pushvalue(L, -2);
            if (lua_rawget(L, o) == LUA_TNIL) {   /* the base's own field */
                lua_pushvalue(L, -3);
                lua_pushvalue(L, bidx);
                lua_rawset(L, o);
            }
            lua_pop(L, 1);
        }
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, m);
    }
    lua_pushnil(L);
    while (lua_next(L, didx)) {
        if (lua_type(L, -2) == LUA_TSTRING) {
            if (strcmp(lua_tostring(L, -2), "extends") == 0) {
                lua_pop(L, 1);
                continue;
            }
            lua_pushvalue(L, -2);   /* given here: no longer inherited */
            lua_pushnil(L);
            lua_rawset(L, o);
        }
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, m);
    }
    lua_pushvalue(L, o);
    lua_setfield(L, m, "__origin");
    lua_copy(L, m, didx);
    lua_settop(L, didx);
    ld->cur_file[0] = 0;
    return BMSRIG_OK;
}

/* load_board under lua_pcall: the fields it reads may run metamethods of the description, and
 * extends runs the base descriptions. */
static int l_load_board(lua_State *L)
{
    struct loader *ld = lua_touserdata(L, 1);
    int rc = apply_extends(ld, 0);   /* replaces the table at the top with the merged one */
    lua_pushinteger(L, rc != BMSRIG_OK ? rc : load_board(ld));
    return 1;
}

static int msghandler(lua_State *L)
{
    const char *msg = lua_tostring(L, 1);
    luaL_traceback(L, L, msg ? msg : "(error object is not a string)", 1);
    return 1;
}

int board_load(struct board **out, const char *path, char *err, size_t errlen)
{
    *out = NULL;
    if (errlen)
        err[0] = 0;
    struct board *b = calloc(1, sizeof *b);
    if (!b)
        return BMSRIG_ERR_NOMEM;
    snprintf(b->path, sizeof b->path, "%s", path);
    lua_State *L = sandbox_new();
    if (!L) {
        free(b);
        return BMSRIG_ERR_NOMEM;
    }
    struct loader ld = { .L = L, .path = path, .err = err, .errlen = errlen, .b = b };
    int rc = BMSRIG_OK;
    FILE *probe = fopen(path, "r");
    if (!probe) {
        snprintf(err, errlen, "%s: cannot open rig description: %s", path, strerror(errno));
        rc = BMSRIG_ERR_IO;
        goto done;
    }
    fclose(probe);
    ld.chain[0] = realpath(path, NULL);   /* for extends cycles */
    ld.nchain = ld.chain[0] ? 1 : 0;
    lua_pushcfunction(L, msghandler);
    if (luaL_loadfilex(L, path, "t") != LUA_OK) {
        snprintf(err, errlen, "%s", lua_tostring(L, -1));   /* already "path:line: ..." */
        rc = BMSRIG_ERR_PARSE;
        goto done;
    }
    if (lua_pcall(L, 0, 1, 1) != LUA_OK) {
        snprintf(err, errlen, "%s", lua_tostring(L, -1));
        rc = BMSRIG_ERR_PARSE;
        goto done;
    }
    /* a fresh budget for the metamethods the reading may run; errors there are caught */
    lua_sethook(L, budget_hook, LUA_MASKCOUNT, BOARD_INSTR_BUDGET);
    lua_pushcfunction(L, l_load_board);
    lua_pushlightuserdata(L, &ld);
    lua_pushvalue(L, -3);   /* the description's result */
    if (lua_pcall(L, 2, 1, 1) != LUA_OK) {
        snprintf(err, errlen, "%s", lua_tostring(L, -1));
        rc = BMSRIG_ERR_PARSE;
        goto done;
    }
    rc = (int)lua_tointeger(L, -1);
done:
    lua_close(L);
    for (int i = 0; i < ld.nchain; i++)
        free(ld.chain[i]);
    if (rc != BMSRIG_OK) {
        free(b);
        return rc;
    }
    *out = b;
    return BMSRIG_OK;
}

void board_free(struct board *b) { free(b); }

int board_channel_find(const struct board *b, const char *signal)
{
    for (int i = 0; b && signal && i < b->nchannels; i++)
        if (strcmp(b->channels[i].signal, signal) == 0)
            return i;
    return -1;
}

int board_fault_find(const struct board *b, const char *name)
{
    for (int i = 0; b && name && i < b->nfaults; i++)
        if (strcmp(b->faults[i].name, name) == 0)
            return i;
    return -1;
}
