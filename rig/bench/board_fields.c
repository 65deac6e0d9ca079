/* board_fields.c: field access for the description loader: typed reads of a constructor's
 * table fields (string, number, integer, pin, sub-table) with file:line errors, the allowed-key
 * check, and where a field came from in an extends chain. */
#include <ctype.h>
#include <errno.h>
#include <lauxlib.h>
#include <lua.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rig/bench/board_internal.h"
#include "sim/status.h"

/* ---- field access (table at stack top) ------------------------------------------------------ */

int board_line_of(lua_State *L, int idx, int fallback)
{
    lua_getfield(L, idx, "__line");
    int line = lua_isinteger(L, -1) ? (int)lua_tointeger(L, -1) : fallback;
    lua_pop(L, 1);
    return line;
}

/* Makes errors name the file the table at idx was written in (its constructor's __file), or
 * `fallback` ("" = the loaded description) when it has none. */
void board_file_from(struct loader *ld, int idx, const char *fallback)
{
    lua_getfield(ld->L, idx, "__file");
    const char *f = lua_type(ld->L, -1) == LUA_TSTRING ? lua_tostring(ld->L, -1) : fallback;
    snprintf(ld->cur_file, sizeof ld->cur_file, "%s", f);
    lua_pop(ld->L, 1);
}

/* Where top-level field `key` of the board at bidx was written: a field inherited through
 * extends names the base description's board { line (from __origin); else the board's own
 * file (bfile) and line (bline). Sets ld->cur_file and returns the line. */
int board_field_origin(struct loader *ld, int bidx, const char *key, const char *bfile,
                       int bline)
{
    lua_State *L = ld->L;
    snprintf(ld->cur_file, sizeof ld->cur_file, "%s", bfile);
    int line = bline;
    lua_getfield(L, bidx, "__origin");
    if (lua_istable(L, -1)) {
        lua_getfield(L, -1, key);
        if (lua_istable(L, -1)) {
            line = board_line_of(L, -1, bline);
            board_file_from(ld, -1, bfile);
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return line;
}

bool board_kind_is(lua_State *L, int idx, const char *kind)
{
    lua_getfield(L, idx, "__kind");
    bool ok = lua_type(L, -1) == LUA_TSTRING && strcmp(lua_tostring(L, -1), kind) == 0;
    lua_pop(L, 1);
    return ok;
}

/* Every key must be one of `allowed` (catches typos such as "vfer"). */
int board_check_keys(struct loader *ld, int idx, int line, const char *what,
                     const char *const *allowed)
{
    lua_State *L = ld->L;
    idx = lua_absindex(L, idx);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING) {
            lua_pop(L, 1);
            return board_fail(ld, line, "%s: unexpected list entry (use name = value)", what);
        }
        const char *k = lua_tostring(L, -1);
        bool ok = strcmp(k, "__line") == 0 || strcmp(k, "__kind") == 0 ||
                  strcmp(k, "__file") == 0 || strcmp(k, "__origin") == 0;
        for (const char *const *a = allowed; !ok && *a; a++)
            ok = strcmp(k, *a) == 0;
        if (!ok) {
            char key[64], file[512];
            snprintf(key, sizeof key, "%s", k);
            lua_pop(L, 1);
            /* a field a board inherited through extends: name the base's line */
            snprintf(file, sizeof file, "%s", ld->cur_file);
            line = board_field_origin(ld, idx, key, file, line);
            return board_fail(ld, line, "%s: unknown field '%s'", what, key);
        }
    }
    return BMSRIG_OK;
}

int board_get_str(struct loader *ld, int idx, const char *key, bool required, char *out,
                  size_t outlen, int line, const char *what)
{
    lua_State *L = ld->L;
    lua_getfield(L, idx, key);
    int t = lua_type(L, -1);
    if (t == LUA_TNIL) {
        lua_pop(L, 1);
        if (required)
            return board_fail(ld, line, "%s: missing field '%s'", what, key);
        return BMSRIG_OK;
    }
    if (t != LUA_TSTRING) {
        lua_pop(L, 1);
        return board_fail(ld, line, "%s: field '%s' must be a string", what, key);
    }
    size_t n;
    const char *s = lua_tolstring(L, -1, &n);
    if (n >= outlen) {
        lua_pop(L, 1);
        return board_fail(ld, line, "%s: field '%s' is longer than %zu characters", what, key,
                          outlen - 1);
    }
    memcpy(out, s, n + 1);
    lua_pop(L, 1);
    return BMSRIG_OK;
}

int board_get_num(struct loader *ld, int idx, const char *key, bool required, double def,
                  double *out, int line, const char *what)
{
    lua_State *L = ld->L;
    lua_getfield(L, idx, key);
    int t = lua_type(L, -1);
    if (t == LUA_TNIL) {
        lua_pop(L, 1);
        if (required)
            return board_fail(ld, line, "%s: missing field '%s'", what, key);
        *out = def;
        return BMSRIG_OK;
    }
    if (t != LUA_TNUMBER) {
        lua_pop(L, 1);
        return board_fail(ld, line, "%s: field '%s' must be a number", what, key);
    }
    *out = lua_tonumber(L, -1);
    lua_pop(L, 1);
    if (!isfinite(*out))
        return board_fail(ld, line, "%s: field '%s' must be finite", what, key);
    return BMSRIG_OK;
}

int board_get_int(struct loader *ld, int idx, const char *key, bool required, long def,
                  long lo, long hi, long *out, int line, const char *what)
{
    /* Initialised although board_get_num sets it on success: at -O3 gcc cannot see that
       board_fail() never returns BMSRIG_OK and warns maybe-uninitialized (Release build). */
    double v = (double)def;
    int rc = board_get_num(ld, idx, key, required, (double)def, &v, line, what);
    if (rc != BMSRIG_OK)
        return rc;
    if (v != floor(v) || v < (double)lo || v > (double)hi)
        return board_fail(ld, line, "%s: field '%s' must be an integer in %ld..%ld (got %g)", what,
                          key, lo, hi, v);
    *out = (long)v;
    return BMSRIG_OK;
}

int board_get_pin(struct loader *ld, int idx, const char *key, bool required, board_pin *out,
                  int line, const char *what)
{
    char s[16] = "";
    int rc = board_get_str(ld, idx, key, required, s, sizeof s, line, what);
    if (rc != BMSRIG_OK)
        return rc;
    if (!s[0]) {
        *out = -1;
        return BMSRIG_OK;
    }
    *out = board_pin_parse(s);
    if (*out < 0)
        return board_fail(ld, line, "%s: '%s' is not a pin (ADBUS0..7, ACBUS0..7)", what, s);
    if (*out <= 2)
        return board_fail(ld, line, "%s: %s is SCK/MOSI/MISO of the MPSSE, not a free pin", what, s);
    return BMSRIG_OK;
}

/* Opens field `key` (must be a table or nil) and pushes it; returns false if absent. */
int board_push_table(struct loader *ld, int idx, const char *key, bool required, int line,
                     const char *what, bool *present)
{
    lua_getfield(ld->L, idx, key);
    int t = lua_type(ld->L, -1);
    *present = t == LUA_TTABLE;
    if (t == LUA_TTABLE) {
        /* A section is read with raw access: a metatable (__index, __len, __pairs making up
         * entries) would be silently ignored, so it is refused (issue 16). */
        if (lua_getmetatable(ld->L, -1)) {
            lua_pop(ld->L, 2);
            *present = false;
            return board_fail(ld, line, "%s: field '%s' must be a plain table (it has a metatable)",
                              what, key);
        }
        return BMSRIG_OK;
    }
    lua_pop(ld->L, 1);
    if (t == LUA_TNIL && !required)
        return BMSRIG_OK;
    return board_fail(ld, line, "%s: field '%s' must be a table", what, key);
}
