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

#include "rig/bench/dac.h"
#include "sim/status.h"

#define BOARD_INSTR_BUDGET 20000000   /* Lua VM instructions a description may run */
#define BOARD_EXTENDS_MAX 8           /* levels of extends below the loaded description */

#ifndef BMSRIG_BOARDS_DIR
#define BMSRIG_BOARDS_DIR "hw/boards"
#endif

struct loader {
    lua_State *L;
    const char *path;
    char *err;
    size_t errlen;
    struct board *b;
    char cur_file[512];                     /* file errors name ("" = path) */
    char *chain[BOARD_EXTENDS_MAX + 1];     /* realpath()s of the extends chain, owned */
    int nchain;
};

static int fail(struct loader *ld, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct loader *ld, int line, const char *fmt, ...)
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
    lua_sethook(L, budget_hook, LUA_MASKCOUNT, BOARD_INSTR_BUDGET);
    return L;
}

/* ---- field access (table at stack top) ------------------------------------------------------ */

static int line_of(lua_State *L, int idx, int fallback)
{
    lua_getfield(L, idx, "__line");
    int line = lua_isinteger(L, -1) ? (int)lua_tointeger(L, -1) : fallback;
    lua_pop(L, 1);
    return line;
}

/* Makes errors name the file the table at idx was written in (its constructor's __file), or
 * `fallback` ("" = the loaded description) when it has none. */
static void file_from(struct loader *ld, int idx, const char *fallback)
{
    lua_getfield(ld->L, idx, "__file");
    const char *f = lua_type(ld->L, -1) == LUA_TSTRING ? lua_tostring(ld->L, -1) : fallback;
    snprintf(ld->cur_file, sizeof ld->cur_file, "%s", f);
    lua_pop(ld->L, 1);
}

/* Where top-level field `key` of the board at bidx was written: a field inherited through
 * extends names the base description's board { line (from __origin); else the board's own
 * file (bfile) and line (bline). Sets ld->cur_file and returns the line. */
static int field_origin(struct loader *ld, int bidx, const char *key, const char *bfile,
                        int bline)
{
    lua_State *L = ld->L;
    snprintf(ld->cur_file, sizeof ld->cur_file, "%s", bfile);
    int line = bline;
    lua_getfield(L, bidx, "__origin");
    if (lua_istable(L, -1)) {
        lua_getfield(L, -1, key);
        if (lua_istable(L, -1)) {
            line = line_of(L, -1, bline);
            file_from(ld, -1, bfile);
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return line;
}

static bool kind_is(lua_State *L, int idx, const char *kind)
{
    lua_getfield(L, idx, "__kind");
    bool ok = lua_type(L, -1) == LUA_TSTRING && strcmp(lua_tostring(L, -1), kind) == 0;
    lua_pop(L, 1);
    return ok;
}

/* Every key must be one of `allowed` (catches typos such as "vfer"). */
static int check_keys(struct loader *ld, int idx, int line, const char *what,
                      const char *const *allowed)
{
    lua_State *L = ld->L;
    idx = lua_absindex(L, idx);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING) {
            lua_pop(L, 1);
            return fail(ld, line, "%s: unexpected list entry (use name = value)", what);
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
            line = field_origin(ld, idx, key, file, line);
            return fail(ld, line, "%s: unknown field '%s'", what, key);
        }
    }
    return BMSRIG_OK;
}

static int get_str(struct loader *ld, int idx, const char *key, bool required, char *out,
                   size_t outlen, int line, const char *what)
{
    lua_State *L = ld->L;
    lua_getfield(L, idx, key);
    int t = lua_type(L, -1);
    if (t == LUA_TNIL) {
        lua_pop(L, 1);
        if (required)
            return fail(ld, line, "%s: missing field '%s'", what, key);
        return BMSRIG_OK;
    }
    if (t != LUA_TSTRING) {
        lua_pop(L, 1);
        return fail(ld, line, "%s: field '%s' must be a string", what, key);
    }
    size_t n;
    const char *s = lua_tolstring(L, -1, &n);
    if (n >= outlen) {
        lua_pop(L, 1);
        return fail(ld, line, "%s: field '%s' is longer than %zu characters", what, key,
                    outlen - 1);
    }
    memcpy(out, s, n + 1);
    lua_pop(L, 1);
    return BMSRIG_OK;
}

static int get_num(struct loader *ld, int idx, const char *key, bool required, double def,
                   double *out, int line, const char *what)
{
    lua_State *L = ld->L;
    lua_getfield(L, idx, key);
    int t = lua_type(L, -1);
    if (t == LUA_TNIL) {
        lua_pop(L, 1);
        if (required)
            return fail(ld, line, "%s: missing field '%s'", what, key);
        *out = def;
        return BMSRIG_OK;
    }
    if (t != LUA_TNUMBER) {
        lua_pop(L, 1);
        return fail(ld, line, "%s: field '%s' must be a number", what, key);
    }
    *out = lua_tonumber(L, -1);
    lua_pop(L, 1);
    if (!isfinite(*out))
        return fail(ld, line, "%s: field '%s' must be finite", what, key);
    return BMSRIG_OK;
}

static int get_int(struct loader *ld, int idx, const char *key, bool required, long def,
                   long lo, long hi, long *out, int line, const char *what)
{
    /* Initialised although get_num sets it on success: at -O3 gcc cannot see that fail() never
       returns BMSRIG_OK and warns maybe-uninitialized (Release build). */
    double v = (double)def;
    int rc = get_num(ld, idx, key, required, (double)def, &v, line, what);
    if (rc != BMSRIG_OK)
        return rc;
    if (v != floor(v) || v < (double)lo || v > (double)hi)
        return fail(ld, line, "%s: field '%s' must be an integer in %ld..%ld (got %g)", what,
                    key, lo, hi, v);
    *out = (long)v;
    return BMSRIG_OK;
}

static int get_pin(struct loader *ld, int idx, const char *key, bool required, board_pin *out,
                   int line, const char *what)
{
    char s[16] = "";
    int rc = get_str(ld, idx, key, required, s, sizeof s, line, what);
    if (rc != BMSRIG_OK)
        return rc;
    if (!s[0]) {
        *out = -1;
        return BMSRIG_OK;
    }
    *out = board_pin_parse(s);
    if (*out < 0)
        return fail(ld, line, "%s: '%s' is not a pin (ADBUS0..7, ACBUS0..7)", what, s);
    if (*out <= 2)
        return fail(ld, line, "%s: %s is SCK/MOSI/MISO of the MPSSE, not a free pin", what, s);
    return BMSRIG_OK;
}

/* Opens field `key` (must be a table or nil) and pushes it; returns false if absent. */
static int push_table(struct loader *ld, int idx, const char *key, bool required, int line,
                      const char *what, bool *present)
{
    lua_getfield(ld->L, idx, key);
    int t = lua_type(ld->L, -1);
    *present = t == LUA_TTABLE;
    if (t == LUA_TTABLE)
        return BMSRIG_OK;
    lua_pop(ld->L, 1);
    if (t == LUA_TNIL && !required)
        return BMSRIG_OK;
    return fail(ld, line, "%s: field '%s' must be a table", what, key);
}

/* ---- sections ------------------------------------------------------------------------------ */

static bool signal_name_ok(const char *s)
{
    /* ident [ '[' digits ']' ] '.' ident, e.g. cell[3].v, pack.v */
    const char *p = s;
    if (!((*p >= 'a' && *p <= 'z') || *p == '_'))
        return false;
    while ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_')
        p++;
    if (*p == '[') {
        p++;
        if (!(*p >= '1' && *p <= '9'))
            return false;
        while (*p >= '0' && *p <= '9')
            p++;
        if (*p++ != ']')
            return false;
    }
    if (*p++ != '.')
        return false;
    if (!((*p >= 'a' && *p <= 'z') || *p == '_'))
        return false;
    while ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_')
        p++;
    return *p == 0;
}

static int load_ftdi(struct loader *ld, int bidx, int bline)
{
    bool present;
    int rc = push_table(ld, bidx, "ftdi", true, bline, "board", &present);
    if (rc != BMSRIG_OK)
        return rc;
    static const char *const keys[] = { "vid", "pid", "serial", "interface", "spi_hz", NULL };
    struct board_ftdi *f = &ld->b->ftdi;
    long vid, pid, hz;
    char itf[4] = "A";
    const char *w = "ftdi";
    if ((rc = check_keys(ld, -1, bline, w, keys)) ||
        (rc = get_int(ld, -1, "vid", false, 0x0403, 0, 0xFFFF, &vid, bline, w)) ||
        (rc = get_int(ld, -1, "pid", false, 0x6014, 0, 0xFFFF, &pid, bline, w)) ||
        (rc = get_str(ld, -1, "serial", false, f->serial, sizeof f->serial, bline, w)) ||
        (rc = get_str(ld, -1, "interface", false, itf, sizeof itf, bline, w)) ||
        (rc = get_int(ld, -1, "spi_hz", false, 1000000, 1, 30000000, &hz, bline, w))) {
        lua_pop(ld->L, 1);
        return rc;
    }
    lua_pop(ld->L, 1);
    if (strlen(itf) != 1 || itf[0] < 'A' || itf[0] > 'D')
        return fail(ld, bline, "ftdi: interface must be \"A\", \"B\", \"C\" or \"D\"");
    f->vid = (uint16_t)vid;
    f->pid = (uint16_t)pid;
    f->interface = itf[0];
    f->spi_hz = (uint32_t)hz;
    return BMSRIG_OK;
}

static int parse_span(const char *s, double *lo, double *hi)
{
    static const struct { const char *name; double lo, hi; } spans[] = {
        { "0..5", 0, 5 }, { "0..10", 0, 10 }, { "-5..5", -5, 5 }, { "-10..10", -10, 10 },
        { "-2.5..2.5", -2.5, 2.5 },
    };
    for (size_t i = 0; i < sizeof spans / sizeof spans[0]; i++)
        if (strcmp(s, spans[i].name) == 0) {
            *lo = spans[i].lo;
            *hi = spans[i].hi;
            return 0;
        }
    return -1;
}

static int load_dac(struct loader *ld, int line)
{
    struct board *b = ld->b;
    if (b->ndacs >= BOARD_MAX_DACS)
        return fail(ld, line, "more than %d DACs", BOARD_MAX_DACS);
    struct board_dac *d = &b->dacs[b->ndacs];
    static const char *const keys[] = { "name", "model", "cs", "ldac", "vref", "gain", "span",
                                        "mode", NULL };
    int rc;
    const char *w = "dac";
    long mode;
    char span[16] = "";
    if ((rc = check_keys(ld, -1, line, w, keys)) ||
        (rc = get_str(ld, -1, "name", true, d->name, sizeof d->name, line, w)) ||
        (rc = get_str(ld, -1, "model", true, d->model, sizeof d->model, line, w)))
        return rc;
    const struct dac_driver *drv = dac_driver_find(d->model);
    if (!drv)
        return fail(ld, line, "dac '%s': unknown model '%s' (known: %s)", d->name, d->model,
                    dac_driver_names());
    if ((rc = get_pin(ld, -1, "cs", true, &d->cs, line, w)) ||
        (rc = get_pin(ld, -1, "ldac", false, &d->ldac, line, w)) ||
        (rc = get_num(ld, -1, "vref", false, 2.5, &d->vref_v, line, w)) ||
        (rc = get_num(ld, -1, "gain", false, 1, &d->gain, line, w)) ||
        (rc = get_str(ld, -1, "span", false, span, sizeof span, line, w)) ||
        (rc = get_int(ld, -1, "mode", false, drv->default_spi_mode, 0, 3, &mode, line, w)))
        return rc;
    lua_getfield(ld->L, -1, "ldac");
    bool has_ldac_field = !lua_isnil(ld->L, -1);
    lua_pop(ld->L, 1);
    if (!has_ldac_field)
        d->ldac = -1;
    if (mode != 0 && mode != 2)
        return fail(ld, line, "dac '%s': SPI mode %ld: the MPSSE does modes 0 and 2 only",
                    d->name, mode);
    d->spi_mode = (int)mode;
    if (d->ldac >= 0 && !drv->has_ldac)
        return fail(ld, line, "dac '%s': model %s has no LDAC pin", d->name, d->model);
    if (d->vref_v <= 0 || d->vref_v > 5)
        return fail(ld, line, "dac '%s': vref %g V out of range (0, 5]", d->name, d->vref_v);
    if (strcmp(d->model, "ad5676r") == 0 && d->gain != 1 && d->gain != 2)
        return fail(ld, line, "dac '%s': gain must be 1 or 2 (GAIN pin)", d->name);
    if (strcmp(d->model, "ltc2668") == 0) {
        if (!span[0])
            snprintf(span, sizeof span, "0..5");
        if (parse_span(span, &d->span_lo_v, &d->span_hi_v) != 0)
            return fail(ld, line, "dac '%s': span '%s' is not one of 0..5, 0..10, -5..5, "
                        "-10..10, -2.5..2.5", d->name, span);
    } else if (span[0]) {
        return fail(ld, line, "dac '%s': model %s has no span setting", d->name, d->model);
    }
    for (int i = 0; i < b->ndacs; i++) {
        if (strcmp(b->dacs[i].name, d->name) == 0)
            return fail(ld, line, "dac '%s' defined twice (first at line %d)", d->name,
                        b->dacs[i].line);
        if (b->dacs[i].cs == d->cs)
            return fail(ld, line, "dac '%s': chip select shared with dac '%s'", d->name,
                        b->dacs[i].name);
    }
    d->line = line;
    b->ndacs++;
    return BMSRIG_OK;
}

static int find_dac(const struct board *b, const char *name)
{
    for (int i = 0; i < b->ndacs; i++)
        if (strcmp(b->dacs[i].name, name) == 0)
            return i;
    return -1;
}

static int load_channel(struct loader *ld, int line)
{
    struct board *b = ld->b;
    if (b->nchannels >= BOARD_MAX_CHANNELS)
        return fail(ld, line, "more than %d channels", BOARD_MAX_CHANNELS);
    struct board_channel *c = &b->channels[b->nchannels];
    static const char *const keys[] = { "signal", "dac", "ch", "scale", "offset", "cal", "min",
                                        "max", "safe", NULL };
    static const char *const cal_keys[] = { "gain", "offset", NULL };
    const char *w = "channel";
    char dacname[BOARD_NAME_MAX];
    long ch;
    int rc;
    if ((rc = check_keys(ld, -1, line, w, keys)) ||
        (rc = get_str(ld, -1, "signal", true, c->signal, sizeof c->signal, line, w)))
        return rc;
    if (!signal_name_ok(c->signal))
        return fail(ld, line, "channel: signal '%s' is not of the form name.v or name[N].v",
                    c->signal);
    if ((rc = get_str(ld, -1, "dac", true, dacname, sizeof dacname, line, w)))
        return rc;
    c->dac = find_dac(b, dacname);
    if (c->dac < 0)
        return fail(ld, line, "channel '%s': no dac named '%s'", c->signal, dacname);
    const struct board_dac *d = &b->dacs[c->dac];
    const struct dac_driver *drv = dac_driver_find(d->model);
    if ((rc = get_int(ld, -1, "ch", true, 0, 0, drv->channels - 1, &ch, line, w)) ||
        (rc = get_num(ld, -1, "scale", false, 1.0, &c->scale, line, w)) ||
        (rc = get_num(ld, -1, "offset", false, 0.0, &c->offset_v, line, w)) ||
        (rc = get_num(ld, -1, "min", true, 0, &c->min, line, w)) ||
        (rc = get_num(ld, -1, "max", true, 0, &c->max, line, w)))
        return rc;
    c->ch = (int)ch;
    bool has_cal;
    c->cal_gain = 1;
    c->cal_offset_v = 0;
    if ((rc = push_table(ld, -1, "cal", false, line, w, &has_cal)))
        return rc;
    if (has_cal) {
        if ((rc = check_keys(ld, -1, line, "channel cal", cal_keys)) ||
            (rc = get_num(ld, -1, "gain", false, 1, &c->cal_gain, line, "channel cal")) ||
            (rc = get_num(ld, -1, "offset", false, 0, &c->cal_offset_v, line, "channel cal"))) {
            lua_pop(ld->L, 1);
            return rc;
        }
        lua_pop(ld->L, 1);
        if (c->cal_gain < 0.5 || c->cal_gain > 2)
            return fail(ld, line, "channel '%s': cal.gain %g is implausible (0.5..2)", c->signal,
                        c->cal_gain);
    }
    if (c->scale == 0)
        return fail(ld, line, "channel '%s': scale must not be 0", c->signal);
    if (!(c->min < c->max))
        return fail(ld, line, "channel '%s': min %g must be below max %g", c->signal, c->min,
                    c->max);
    if ((rc = get_num(ld, -1, "safe", false, c->min > 0 ? c->min : (c->max < 0 ? c->max : 0),
                      &c->safe, line, w)))
        return rc;
    if (c->safe < c->min || c->safe > c->max)
        return fail(ld, line, "channel '%s': safe value %g outside [%g, %g]", c->signal,
                    c->safe, c->min, c->max);
    /* the clamp range must be reachable by the DAC after scale, offset and calibration */
    double lo, hi;
    drv->range(d, c->ch, &lo, &hi);
    double ends[2] = { c->min, c->max };
    for (int i = 0; i < 2; i++) {
        double v = (ends[i] * c->scale + c->offset_v - c->cal_offset_v) / c->cal_gain;
        if (v < lo - 1e-9 || v > hi - (hi - lo) / 65536.0 + 1e-9)
            return fail(ld, line, "channel '%s': %s %g needs %.4f V from dac '%s' channel %d, "
                        "outside its %.4f..%.4f V", c->signal, i ? "max" : "min", ends[i], v,
                        d->name, c->ch, lo, hi - (hi - lo) / 65536.0);
    }
    for (int i = 0; i < b->nchannels; i++) {
        if (strcmp(b->channels[i].signal, c->signal) == 0)
            return fail(ld, line, "channel '%s' mapped twice (first at line %d)", c->signal,
                        b->channels[i].line);
        if (b->channels[i].dac == c->dac && b->channels[i].ch == c->ch)
            return fail(ld, line, "channel '%s': dac '%s' channel %d already drives '%s'",
                        c->signal, d->name, c->ch, b->channels[i].signal);
    }
    c->line = line;
    b->nchannels++;
    return BMSRIG_OK;
}

static int load_fault(struct loader *ld, int line, bool is_bank)
{
    struct board *b = ld->b;
    if (b->nfaults >= BOARD_MAX_FAULTS)
        return fail(ld, line, "more than %d fault lines", BOARD_MAX_FAULTS);
    struct board_fault *f = &b->faults[b->nfaults];
    memset(f, 0, sizeof *f);
    f->sense = -1;
    int rc;
    if (!is_bank) {
        static const char *const keys[] = { "name", "pin", "active", "sense", NULL };
        const char *w = "relay";
        char active[8] = "high";
        board_pin pin;
        if ((rc = check_keys(ld, -1, line, w, keys)) ||
            (rc = get_str(ld, -1, "name", true, f->name, sizeof f->name, line, w)) ||
            (rc = get_pin(ld, -1, "pin", true, &pin, line, w)) ||
            (rc = get_pin(ld, -1, "sense", false, &f->sense, line, w)) ||
            (rc = get_str(ld, -1, "active", false, active, sizeof active, line, w)))
            return rc;
        lua_getfield(ld->L, -1, "sense");
        if (lua_isnil(ld->L, -1))
            f->sense = -1;
        lua_pop(ld->L, 1);
        if (strcmp(active, "high") && strcmp(active, "low"))
            return fail(ld, line, "relay '%s': active must be \"high\" or \"low\"", f->name);
        f->active_low = active[1] == 'o';
        f->pins_mask = (uint16_t)(1u << pin);
    } else {
        static const char *const keys[] = { "name", "pins", "positions", "safe", NULL };
        const char *w = "bank";
        char safe[BOARD_NAME_MAX] = "";
        if ((rc = check_keys(ld, -1, line, w, keys)) ||
            (rc = get_str(ld, -1, "name", true, f->name, sizeof f->name, line, w)) ||
            (rc = get_str(ld, -1, "safe", true, safe, sizeof safe, line, w)))
            return rc;
        bool present;
        if ((rc = push_table(ld, -1, "pins", true, line, w, &present)))
            return rc;
        int npins = (int)lua_rawlen(ld->L, -1);
        if (npins < 1 || npins > 4) {
            lua_pop(ld->L, 1);
            return fail(ld, line, "bank '%s': pins must list 1 to 4 pins", f->name);
        }
        board_pin pins[4];
        for (int i = 0; i < npins; i++) {
            lua_rawgeti(ld->L, -1, i + 1);
            pins[i] = lua_type(ld->L, -1) == LUA_TSTRING ? board_pin_parse(lua_tostring(ld->L, -1))
                                                         : -1;
            lua_pop(ld->L, 1);
            if (pins[i] <= 2) {
                lua_pop(ld->L, 1);
                return fail(ld, line, "bank '%s': pins[%d] is not a free pin", f->name, i + 1);
            }
            f->pins_mask = (uint16_t)(f->pins_mask | (1u << pins[i]));
        }
        lua_pop(ld->L, 1);
        if ((rc = push_table(ld, -1, "positions", true, line, w, &present)))
            return rc;
        int npos = (int)lua_rawlen(ld->L, -1);
        if (npos < 2 || npos > BOARD_MAX_POSITIONS) {
            lua_pop(ld->L, 1);
            return fail(ld, line, "bank '%s': positions must list 2 to %d entries", f->name,
                        BOARD_MAX_POSITIONS);
        }
        static const char *const pkeys[] = { "name", "code", "ohms", NULL };
        for (int i = 0; i < npos; i++) {
            struct board_position *p = &f->pos[i];
            lua_rawgeti(ld->L, -1, i + 1);
            long code;
            if (!lua_istable(ld->L, -1)) {
                lua_pop(ld->L, 2);
                return fail(ld, line, "bank '%s': positions[%d] must be a table", f->name, i + 1);
            }
            if ((rc = check_keys(ld, -1, line, "bank position", pkeys)) ||
                (rc = get_str(ld, -1, "name", true, p->name, sizeof p->name, line,
                              "bank position")) ||
                (rc = get_int(ld, -1, "code", true, 0, 0, (1L << npins) - 1, &code, line,
                              "bank position")) ||
                (rc = get_num(ld, -1, "ohms", false, -1, &p->ohms, line, "bank position"))) {
                lua_pop(ld->L, 2);
                return rc;
            }
            lua_pop(ld->L, 1);
            p->pins_value = 0;
            for (int k = 0; k < npins; k++)
                if (code & (1L << k))
                    p->pins_value = (uint16_t)(p->pins_value | (1u << pins[k]));
        }
        lua_pop(ld->L, 1);
        f->npos = npos;
        f->safe_pos = -1;
        for (int i = 0; i < npos; i++)
            if (strcmp(f->pos[i].name, safe) == 0)
                f->safe_pos = i;
        if (f->safe_pos < 0)
            return fail(ld, line, "bank '%s': safe position '%s' is not listed", f->name, safe);
    }
    /* pins must not collide with chip selects, LDAC or other fault lines */
    uint16_t used = 0;
    for (int i = 0; i < b->ndacs; i++) {
        used = (uint16_t)(used | (1u << b->dacs[i].cs));
        if (b->dacs[i].ldac >= 0)
            used = (uint16_t)(used | (1u << b->dacs[i].ldac));
    }
    for (int i = 0; i < b->nfaults; i++) {
        used = (uint16_t)(used | b->faults[i].pins_mask);
        if (b->faults[i].sense >= 0)
            used = (uint16_t)(used | (1u << b->faults[i].sense));
        if (strcmp(b->faults[i].name, f->name) == 0)
            return fail(ld, line, "fault '%s' defined twice (first at line %d)", f->name,
                        b->faults[i].line);
    }
    uint16_t mine = (uint16_t)(f->pins_mask | (f->sense >= 0 ? 1u << f->sense : 0));
    if (used & mine) {
        char pn[16];
        int pin = __builtin_ctz(used & mine);
        return fail(ld, line, "fault '%s': pin %s is already in use", f->name,
                    board_pin_name(pin, pn, sizeof pn));
    }
    f->line = line;
    b->nfaults++;
    return BMSRIG_OK;
}

/* Iterates the list field `key` of the board table, calling fn for each entry of `kind`. Each
 * entry's errors name the file and line of its constructor; bare entries the list's. */
static int load_list(struct loader *ld, int bidx, const char *bfile, int bline, const char *key,
                     bool required)
{
    bool present;
    bline = field_origin(ld, bidx, key, bfile, bline);
    char list_file[512];
    snprintf(list_file, sizeof list_file, "%s", ld->cur_file);
    int rc = push_table(ld, bidx, key, required, bline, "board", &present);
    if (rc != BMSRIG_OK || !present)
        return rc;
    lua_State *L = ld->L;
    int n = (int)lua_rawlen(L, -1);
    for (int i = 1; i <= n && rc == BMSRIG_OK; i++) {
        lua_rawgeti(L, -1, i);
        snprintf(ld->cur_file, sizeof ld->cur_file, "%s", list_file);
        if (lua_istable(L, -1))
            file_from(ld, -1, list_file);
        int line = lua_istable(L, -1) ? line_of(L, -1, bline) : bline;
        if (!lua_istable(L, -1)) {
            rc = fail(ld, bline, "%s[%d] must be a table", key, i);
        } else if (strcmp(key, "dacs") == 0) {
            rc = kind_is(L, -1, "dac") ? load_dac(ld, line)
                                       : fail(ld, line, "dacs[%d]: write dac { ... }", i);
        } else if (strcmp(key, "channels") == 0) {
            rc = kind_is(L, -1, "channel") ? load_channel(ld, line)
                                           : fail(ld, line, "channels[%d]: write channel { ... }", i);
        } else {
            if (kind_is(L, -1, "relay"))
                rc = load_fault(ld, line, false);
            else if (kind_is(L, -1, "bank"))
                rc = load_fault(ld, line, true);
            else
                rc = fail(ld, line, "faults[%d]: write relay { ... } or bank { ... }", i);
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return rc;
}

static int load_board(struct loader *ld)
{
    lua_State *L = ld->L;
    int bidx = lua_gettop(L);
    ld->cur_file[0] = 0;
    if (!lua_istable(L, bidx) || !kind_is(L, bidx, "board"))
        return fail(ld, 1, "the description must end with: return board { ... }");
    int bline = line_of(L, bidx, 1);
    char bfile[512];
    file_from(ld, bidx, "");
    snprintf(bfile, sizeof bfile, "%s", ld->cur_file);
    static const char *const keys[] = { "name", "ftdi", "dacs", "channels", "faults", "serial",
                                        "readback", "extends", NULL };
    int rc;
    if ((rc = check_keys(ld, bidx, bline, "board", keys)) ||
        (rc = get_str(ld, bidx, "name", true, ld->b->name, sizeof ld->b->name,
                      field_origin(ld, bidx, "name", bfile, bline), "board")) ||
        (rc = load_ftdi(ld, bidx, field_origin(ld, bidx, "ftdi", bfile, bline))) ||
        (rc = load_list(ld, bidx, bfile, bline, "dacs", true)) ||
        (rc = load_list(ld, bidx, bfile, bline, "channels", true)) ||
        (rc = load_list(ld, bidx, bfile, bline, "faults", false)))
        return rc;
    snprintf(ld->cur_file, sizeof ld->cur_file, "%s", bfile);
    if (ld->b->ndacs == 0)
        return fail(ld, bline, "board: no dacs");
    bool present;
    int sline = field_origin(ld, bidx, "serial", bfile, bline);
    if ((rc = push_table(ld, bidx, "serial", false, sline, "board", &present)))
        return rc;
    if (present) {
        static const char *const skeys[] = { "bms", "dash", NULL };
        if ((rc = check_keys(ld, -1, sline, "serial", skeys)) ||
            (rc = get_str(ld, -1, "bms", false, ld->b->bms_port, sizeof ld->b->bms_port, sline,
                          "serial")) ||
            (rc = get_str(ld, -1, "dash", false, ld->b->dash_port, sizeof ld->b->dash_port, sline,
                          "serial"))) {
            lua_pop(L, 1);
            return rc;
        }
        lua_pop(L, 1);
    }
    int rline = field_origin(ld, bidx, "readback", bfile, bline);
    lua_getfield(L, bidx, "readback");
    if (!lua_isnil(L, -1) && !lua_isboolean(L, -1)) {
        lua_pop(L, 1);
        return fail(ld, rline, "board: readback must be true or false");
    }
    ld->b->readback = lua_toboolean(L, -1);
    lua_pop(L, 1);
    /* every pin the board drives is an output; SK, MOSI out, MISO in */
    struct board *b = ld->b;
    uint16_t dir = 0x0003;
    for (int i = 0; i < b->ndacs; i++) {
        dir = (uint16_t)(dir | (1u << b->dacs[i].cs));
        if (b->dacs[i].ldac >= 0)
            dir = (uint16_t)(dir | (1u << b->dacs[i].ldac));
    }
    for (int i = 0; i < b->nfaults; i++)
        dir = (uint16_t)(dir | b->faults[i].pins_mask);
    b->ftdi.gpio_low_dir = (uint8_t)dir;
    b->ftdi.gpio_high_dir = (uint8_t)(dir >> 8);
    return BMSRIG_OK;
}

/* ---- extends ------------------------------------------------------------------------------ */

static bool readable(const char *path) { return access(path, R_OK) == 0; }

/* The file `ext` (a board name or a path) names, seen from description `from`: a path (has a
 * '/' or ends in .lua) is relative to from's folder; a name is NAME.lua in from's folder, then
 * in $BMSRIG_BOARDS_DIR, hw/boards and the source tree's hw/boards. */
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
    const char *dirs[] = { dir, getenv("BMSRIG_BOARDS_DIR"), "hw/boards", BMSRIG_BOARDS_DIR };
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        if (!dirs[i] || !dirs[i][0])
            continue;
        snprintf(out, outlen, "%s/%s.lua", dirs[i], ext);
        if (readable(out))
            return true;
    }
    return false;
}

/* If the board table at the top has `extends`, loads the base (recursively), and replaces the
 * table with a merged one: every top-level field of the base, those the description gives
 * replacing the base's whole. __origin maps each inherited field to the board { table it was
 * written in, for file:line in errors. Runs under lua_pcall (errors in a base propagate). */
static int apply_extends(struct loader *ld, int depth)
{
    lua_State *L = ld->L;
    int didx = lua_gettop(L);
    if (!lua_istable(L, didx) || !kind_is(L, didx, "board"))
        return BMSRIG_OK;   /* load_board says what is wrong with it */
    lua_getfield(L, didx, "extends");
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        return BMSRIG_OK;
    }
    int dline = line_of(L, didx, 1);
    char dfile[512];
    file_from(ld, didx, ld->path);
    snprintf(dfile, sizeof dfile, "%s", ld->cur_file);
    if (lua_type(L, -1) != LUA_TSTRING || lua_rawlen(L, -1) == 0 || lua_rawlen(L, -1) > 255) {
        lua_pop(L, 1);
        return fail(ld, dline, "board: extends must be a string: a board name (\"emulated\") "
                    "or a path to a .lua description");
    }
    char ext[256];
    snprintf(ext, sizeof ext, "%s", lua_tostring(L, -1));
    lua_pop(L, 1);
    if (depth >= BOARD_EXTENDS_MAX)
        return fail(ld, dline, "board: extends '%s': more than %d levels of extends (loading %s)",
                    ext, BOARD_EXTENDS_MAX, ld->path);
    char base[4096];
    if (!resolve_base(dfile, ext, base, sizeof base)) {
        if (strchr(ext, '/') || strstr(ext, ".lua"))
            return fail(ld, dline, "board: extends '%s': no rig description %s", ext, base);
        return fail(ld, dline, "board: extends '%s': no rig description %s.lua next to it, in "
                    "$BMSRIG_BOARDS_DIR, hw/boards or %s", ext, ext, BMSRIG_BOARDS_DIR);
    }
    char *real = realpath(base, NULL);
    if (!real)
        return fail(ld, dline, "board: extends '%s': %s: %s", ext, base, strerror(errno));
    for (int i = 0; i < ld->nchain; i++)
        if (strcmp(ld->chain[i], real) == 0) {
            free(real);
            return fail(ld, dline, "board: extends cycle: '%s' is %s, which is already being "
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
    if (!lua_istable(L, bidx) || !kind_is(L, bidx, "board")) {
        snprintf(ld->cur_file, sizeof ld->cur_file, "%.511s", base);
        return fail(ld, 1, "the description must end with: return board { ... } (extended by "
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
