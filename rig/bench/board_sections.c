/* board_sections.c: the description's sections validated into struct board: the FTDI device,
 * the DACs, the channels, the fault relays and banks, and the board{} table that lists them. */
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
#include "rig/bench/dac.h"
#include "rig/fault/fault.h"
#include "sim/status.h"

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
    int rc = board_push_table(ld, bidx, "ftdi", true, bline, "board", &present);
    if (rc != BMSRIG_OK)
        return rc;
    static const char *const keys[] = { "vid", "pid", "serial", "interface", "spi_hz", NULL };
    struct board_ftdi *f = &ld->b->ftdi;
    long vid, pid, hz;
    char itf[4] = "A";
    const char *w = "ftdi";
    if ((rc = board_check_keys(ld, -1, bline, w, keys)) ||
        (rc = board_get_int(ld, -1, "vid", false, 0x0403, 0, 0xFFFF, &vid, bline, w)) ||
        (rc = board_get_int(ld, -1, "pid", false, 0x6014, 0, 0xFFFF, &pid, bline, w)) ||
        (rc = board_get_str(ld, -1, "serial", false, f->serial, sizeof f->serial, bline, w)) ||
        (rc = board_get_str(ld, -1, "interface", false, itf, sizeof itf, bline, w)) ||
        (rc = board_get_int(ld, -1, "spi_hz", false, 1000000, 1, 30000000, &hz, bline, w))) {
        lua_pop(ld->L, 1);
        return rc;
    }
    lua_pop(ld->L, 1);
    if (strlen(itf) != 1 || itf[0] < 'A' || itf[0] > 'D')
        return board_fail(ld, bline, "ftdi: interface must be \"A\", \"B\", \"C\" or \"D\"");
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
        return board_fail(ld, line, "more than %d DACs", BOARD_MAX_DACS);
    struct board_dac *d = &b->dacs[b->ndacs];
    static const char *const keys[] = { "name", "model", "cs", "ldac", "vref", "gain", "span",
                                        "mode", NULL };
    int rc;
    const char *w = "dac";
    long mode;
    char span[16] = "";
    if ((rc = board_check_keys(ld, -1, line, w, keys)) ||
        (rc = board_get_str(ld, -1, "name", true, d->name, sizeof d->name, line, w)) ||
        (rc = board_get_str(ld, -1, "model", true, d->model, sizeof d->model, line, w)))
        return rc;
    const struct dac_driver *drv = dac_driver_find(d->model);
    if (!drv)
        return board_fail(ld, line, "dac '%s': unknown model '%s' (known: %s)", d->name, d->model,
                          dac_driver_names());
    if ((rc = board_get_pin(ld, -1, "cs", true, &d->cs, line, w)) ||
        (rc = board_get_pin(ld, -1, "ldac", false, &d->ldac, line, w)) ||
        (rc = board_get_num(ld, -1, "vref", false, 2.5, &d->vref_v, line, w)) ||
        (rc = board_get_num(ld, -1, "gain", false, 1, &d->gain, line, w)) ||
        (rc = board_get_str(ld, -1, "span", false, span, sizeof span, line, w)) ||
        (rc = board_get_int(ld, -1, "mode", false, drv->default_spi_mode, 0, 3, &mode, line, w)))
        return rc;
    lua_getfield(ld->L, -1, "ldac");
    bool has_ldac_field = !lua_isnil(ld->L, -1);
    lua_pop(ld->L, 1);
    if (!has_ldac_field)
        d->ldac = -1;
    if (mode != 0 && mode != 2)
        return board_fail(ld, line, "dac '%s': SPI mode %ld: the MPSSE does modes 0 and 2 only",
                          d->name, mode);
    d->spi_mode = (int)mode;
    if (d->ldac >= 0 && !drv->has_ldac)
        return board_fail(ld, line, "dac '%s': model %s has no LDAC pin", d->name, d->model);
    if (d->vref_v <= 0 || d->vref_v > 5)
        return board_fail(ld, line, "dac '%s': vref %g V out of range (0, 5]", d->name, d->vref_v);
                          if (strcmp(d->model, "ad5676r") == 0 && d->gain != 1 && d->gain != 2)
        return board_fail(ld, line, "dac '%s': gain must be 1 or 2 (GAIN pin)", d->name);
    if (strcmp(d->model, "ltc2668") == 0) {
        if (!span[0])
            snprintf(span, sizeof span, "0..5");
        if (parse_span(span, &d->span_lo_v, &d->span_hi_v) != 0)
            return board_fail(ld, line, "dac '%s': span '%s' is not one of 0..5, 0..10, -5..5, "
                              "-10..10, -2.5..2.5", d->name, span);
    } else if (span[0]) {
        return board_fail(ld, line, "dac '%s': model %s has no span setting", d->name, d->model);
    }
    for (int i = 0; i < b->ndacs; i++) {
        if (strcmp(b->dacs[i].name, d->name) == 0)
            return board_fail(ld, line, "dac '%s' defined twice (first at line %d)", d->name,
                              b->dacs[i].line);
        if (b->dacs[i].cs == d->cs)
            return board_fail(ld, line, "dac '%s': chip select shared with dac '%s'", d->name,
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
        return board_fail(ld, line, "more than %d channels", BOARD_MAX_CHANNELS);
    struct board_channel *c = &b->channels[b->nchannels];
    static const char *const keys[] = { "signal", "dac", "ch", "scale", "offset", "cal", "min",
                                        "max", "safe", NULL };
    static const char *const cal_keys[] = { "gain", "offset", NULL };
    const char *w = "channel";
    char dacname[BOARD_NAME_MAX];
    long ch;
    int rc;
    if ((rc = board_check_keys(ld, -1, line, w, keys)) ||
        (rc = board_get_str(ld, -1, "signal", true, c->signal, sizeof c->signal, line, w)))
        return rc;
    if (!signal_name_ok(c->signal))
        return board_fail(ld, line, "channel: signal '%s' is not of the form name.v or name[N].v",
                          c->signal);
    if ((rc = board_get_str(ld, -1, "dac", true, dacname, sizeof dacname, line, w)))
        return rc;
    c->dac = find_dac(b, dacname);
    if (c->dac < 0)
        return board_fail(ld, line, "channel '%s': no dac named '%s'", c->signal, dacname);
    const struct board_dac *d = &b->dacs[c->dac];
    const struct dac_driver *drv = dac_driver_find(d->model);
    if ((rc = board_get_int(ld, -1, "ch", true, 0, 0, drv->channels - 1, &ch, line, w)) ||
        (rc = board_get_num(ld, -1, "scale", false, 1.0, &c->scale, line, w)) ||
        (rc = board_get_num(ld, -1, "offset", false, 0.0, &c->offset_v, line, w)) ||
        (rc = board_get_num(ld, -1, "min", true, 0, &c->min, line, w)) ||
        (rc = board_get_num(ld, -1, "max", true, 0, &c->max, line, w)))
        return rc;
    c->ch = (int)ch;
    bool has_cal;
    c->cal_gain = 1;
    c->cal_offset_v = 0;
    if ((rc = board_push_table(ld, -1, "cal", false, line, w, &has_cal)))
        return rc;
    if (has_cal) {
        if ((rc = board_check_keys(ld, -1, line, "channel cal", cal_keys)) ||
            (rc = board_get_num(ld, -1, "gain", false, 1, &c->cal_gain, line, "channel cal")) ||
            (rc = board_get_num(ld, -1, "offset", false, 0, &c->cal_offset_v, line, "channel cal"))) {
            lua_pop(ld->L, 1);
            return rc;
        }
        lua_pop(ld->L, 1);
        if (c->cal_gain < 0.5 || c->cal_gain > 2)
            return board_fail(ld, line, "channel '%s': cal.gain %g is implausible (0.5..2)", c->signal,
                              c->cal_gain);
    }
    if (c->scale == 0)
        return board_fail(ld, line, "channel '%s': scale must not be 0", c->signal);
    if (!(c->min < c->max))
        return board_fail(ld, line, "channel '%s': min %g must be below max %g", c->signal, c->min,
                          c->max);
    if ((rc = board_get_num(ld, -1, "safe", false, c->min > 0 ? c->min : (c->max < 0 ? c->max : 0),
                            &c->safe, line, w)))
        return rc;
    if (c->safe < c->min || c->safe > c->max)
        return board_fail(ld, line, "channel '%s': safe value %g outside [%g, %g]", c->signal,
                          c->safe, c->min, c->max);
    /* the clamp range must be reachable by the DAC after scale, offset and calibration */
    double lo, hi;
    drv->range(d, c->ch, &lo, &hi);
    double ends[2] = { c->min, c->max };
    for (int i = 0; i < 2; i++) {
        double v = (ends[i] * c->scale + c->offset_v - c->cal_offset_v) / c->cal_gain;
        if (v < lo - 1e-9 || v > hi - (hi - lo) / 65536.0 + 1e-9)
            return board_fail(ld, line, "channel '%s': %s %g needs %.4f V from dac '%s' channel %d, "
                              "outside its %.4f..%.4f V", c->signal, i ? "max" : "min", ends[i], v,
                              d->name, c->ch, lo, hi - (hi - lo) / 65536.0);
    }
    for (int i = 0; i < b->nchannels; i++) {
        if (strcmp(b->channels[i].signal, c->signal) == 0)
            return board_fail(ld, line, "channel '%s' mapped twice (first at line %d)", c->signal,
                              b->channels[i].line);
        if (b->channels[i].dac == c->dac && b->channels[i].ch == c->ch)
            return board_fail(ld, line, "channel '%s': dac '%s' channel %d already drives '%s'",
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
        return board_fail(ld, line, "more than %d fault lines", BOARD_MAX_FAULTS);
    struct board_fault *f = &b->faults[b->nfaults];
    memset(f, 0, sizeof *f);
    f->sense = -1;
    int rc;
    if (!is_bank) {
        static const char *const keys[] = { "name", "pin", "active", "sense", NULL };
        const char *w = "relay";
        char active[8] = "high";
        board_pin pin;
        if ((rc = board_check_keys(ld, -1, line, w, keys)) ||
            (rc = board_get_str(ld, -1, "name", true, f->name, sizeof f->name, line, w)) ||
            (rc = board_get_pin(ld, -1, "pin", true, &pin, line, w)) ||
            (rc = board_get_pin(ld, -1, "sense", false, &f->sense, line, w)) ||
            (rc = board_get_str(ld, -1, "active", false, active, sizeof active, line, w)))
            return rc;
        lua_getfield(ld->L, -1, "sense");
        if (lua_isnil(ld->L, -1))
            f->sense = -1;
        lua_pop(ld->L, 1);
        if (strcmp(active, "high") && strcmp(active, "low"))
            return board_fail(ld, line, "relay '%s': active must be \"high\" or \"low\"", f->name);
        f->active_low = active[1] == 'o';
        f->pins_mask = (uint16_t)(1u << pin);
    } else {
        static const char *const keys[] = { "name", "pins", "positions", "safe", NULL };
        const char *w = "bank";
        char safe[BOARD_NAME_MAX] = "";
        if ((rc = board_check_keys(ld, -1, line, w, keys)) ||
            (rc = board_get_str(ld, -1, "name", true, f->name, sizeof f->name, line, w)) ||
            (rc = board_get_str(ld, -1, "safe", true, safe, sizeof safe, line, w)))
            return rc;
        bool present;
        if ((rc = board_push_table(ld, -1, "pins", true, line, w, &present)))
            return rc;
        int npins = (int)lua_rawlen(ld->L, -1);
        if (npins < 1 || npins > 4) {
            lua_pop(ld->L, 1);
            return board_fail(ld, line, "bank '%s': pins must list 1 to 4 pins", f->name);
        }
        board_pin pins[4];
        for (int i = 0; i < npins; i++) {
            lua_rawgeti(ld->L, -1, i + 1);
            pins[i] = lua_type(ld->L, -1) == LUA_TSTRING ? board_pin_parse(lua_tostring(ld->L, -1))
                                                         : -1;
            lua_pop(ld->L, 1);
            if (pins[i] <= 2) {
                lua_pop(ld->L, 1);
                return board_fail(ld, line, "bank '%s': pins[%d] is not a free pin", f->name, i + 1);
            }
            f->pins_mask = (uint16_t)(f->pins_mask | (1u << pins[i]));
        }
        lua_pop(ld->L, 1);
        if ((rc = board_push_table(ld, -1, "positions", true, line, w, &present)))
            return rc;
        int npos = (int)lua_rawlen(ld->L, -1);
        if (npos < 2 || npos > BOARD_MAX_POSITIONS) {
            lua_pop(ld->L, 1);
            return board_fail(ld, line, "bank '%s': positions must list 2 to %d entries", f->name,
                              BOARD_MAX_POSITIONS);
        }
        static const char *const pkeys[] = { "name", "code", "ohms", NULL };
        for (int i = 0; i < npos; i++) {
            struct board_position *p = &f->pos[i];
            lua_rawgeti(ld->L, -1, i + 1);
            long code;
            if (!lua_istable(ld->L, -1)) {
                lua_pop(ld->L, 2);
                return board_fail(ld, line, "bank '%s': positions[%d] must be a table", f->name, i + 1);
            }
            if ((rc = board_check_keys(ld, -1, line, "bank position", pkeys)) ||
                (rc = board_get_str(ld, -1, "name", true, p->name, sizeof p->name, line,
                                    "bank position")) ||
                                    (rc = board_get_int(ld, -1, "code", true, 0, 0, (1L << npins) - 1, &code, line,
                                                        "bank position")) ||
                                                        (rc = board_get_num(ld, -1, "ohms", false, -1, &p->ohms, line, "bank position"))) {
                lua_pop(ld->L, 2);
                return rc;
            }
            lua_pop(ld->L, 1);
            for (int j = 0; j < i; j++)
                if (strcmp(f->pos[j].name, p->name) == 0) {
                    lua_pop(ld->L, 1);
                    return board_fail(ld, line, "bank '%s': position '%s' listed twice (positions[%d] "
                                      "and [%d])", f->name, p->name, j + 1, i + 1);
                }
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
            return board_fail(ld, line, "bank '%s': safe position '%s' is not listed", f->name, safe);
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
            return board_fail(ld, line, "fault '%s' defined twice (first at line %d)", f->name,
                              b->faults[i].line);
    }
    uint16_t mine = (uint16_t)(f->pins_mask | (f->sense >= 0 ? 1u << f->sense : 0));
    if (used & mine) {
        char pn[16];
        int pin = __builtin_ctz(used & mine);
        return board_fail(ld, line, "fault '%s': pin %s is already in use", f->name,
                          board_pin_name(pin, pn, sizeof pn));
    }
    /* only a line some fault of the fault table (or power) uses can ever be switched */
    if (!fault_line_known(f->name)) {
        char msg[512];
        fault_line_unknown_message(f->name, msg, sizeof msg);
        return board_fail(ld, line, "%s", msg);
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
    bline = board_field_origin(ld, bidx, key, bfile, bline);
    char list_file[512];
    snprintf(list_file, sizeof list_file, "%s", ld->cur_file);
    int rc = board_push_table(ld, bidx, key, required, bline, "board", &present);
    if (rc != BMSRIG_OK || !present)
        return rc;
    lua_State *L = ld->L;
    int n = (int)lua_rawlen(L, -1);
    for (int i = 1; i <= n && rc == BMSRIG_OK; i++) {
        lua_rawgeti(L, -1, i);
        snprintf(ld->cur_file, sizeof ld->cur_file, "%s", list_file);
        if (lua_istable(L, -1))
            board_file_from(ld, -1, list_file);
        int line = lua_istable(L, -1) ? board_line_of(L, -1, bline) : bline;
        if (!lua_istable(L, -1)) {
            rc = board_fail(ld, bline, "%s[%d] must be a table", key, i);
        } else if (lua_getmetatable(L, -1)) {
            lua_pop(L, 1);
            rc = board_fail(ld, line, "%s[%d] must be a plain table (it has a metatable)", key, i);
        } else if (strcmp(key, "dacs") == 0) {
            rc = board_kind_is(L, -1, "dac") ? load_dac(ld, line)
                                       : board_fail(ld, line, "dacs[%d]: write dac { ... }", i);
        } else if (strcmp(key, "channels") == 0) {
            rc = board_kind_is(L, -1, "channel") ? load_channel(ld, line)
                                           : board_fail(ld, line, "channels[%d]: write channel { ... }", i);
        } else {
            if (board_kind_is(L, -1, "relay"))
                rc = load_fault(ld, line, false);
            else if (board_kind_is(L, -1, "bank"))
                rc = load_fault(ld, line, true);
            else
                rc = board_fail(ld, line, "faults[%d]: write relay { ... } or bank { ... }", i);
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return rc;
}

int load_board(struct loader *ld)
{
    lua_State *L = ld->L;
    int bidx = lua_gettop(L);
    ld->cur_file[0] = 0;
    if (!lua_istable(L, bidx) || !board_kind_is(L, bidx, "board"))
        return board_fail(ld, 1, "the description must end with: return board { ... }");
    int bline = board_line_of(L, bidx, 1);
    char bfile[512];
    board_file_from(ld, bidx, "");
    snprintf(bfile, sizeof bfile, "%s", ld->cur_file);
    static const char *const keys[] = { "name", "ftdi", "dacs", "channels", "faults", "serial",
                                        "readback", "extends", NULL };
    int rc;
    if ((rc = board_check_keys(ld, bidx, bline, "board", keys)) ||
        (rc = board_get_str(ld, bidx, "name", true, ld->b->name, sizeof ld->b->name,
                            board_field_origin(ld, bidx, "name", bfile, bline), "board")) ||
                            (rc = load_ftdi(ld, bidx, board_field_origin(ld, bidx, "ftdi", bfile, bline))) ||
                            (rc = load_list(ld, bidx, bfile, bline, "dacs", true)) ||
                            (rc = load_list(ld, bidx, bfile, bline, "channels", true)) ||
                            (rc = load_list(ld, bidx, bfile, bline, "faults", false)))
        return rc;
    snprintf(ld->cur_file, sizeof ld->cur_file, "%s", bfile);
    if (ld->b->ndacs == 0)
        return board_fail(ld, bline, "board: no dacs");
    bool present;
    int sline = board_field_origin(ld, bidx, "serial", bfile, bline);
    if ((rc = board_push_table(ld, bidx, "serial", false, sline, "board", &present)))
        return rc;
    if (present) {
        static const char *const skeys[] = { "bms", "dash", NULL };
        if ((rc = board_check_keys(ld, -1, sline, "serial", skeys)) ||
            (rc = board_get_str(ld, -1, "bms", false, ld->b->bms_port, sizeof ld->b->bms_port, sline,
                                "serial")) ||
                                (rc = board_get_str(ld, -1, "dash", false, ld->b->dash_port, sizeof ld->b->dash_port, sline,
                                                    "serial"))) {
            lua_pop(L, 1);
            return rc;
        }
        lua_pop(L, 1);
    }
    int rline = board_field_origin(ld, bidx, "readback", bfile, bline);
    lua_getfield(L, bidx, "readback");
    if (!lua_isnil(L, -1) && !lua_isboolean(L, -1)) {
        lua_pop(L, 1);
        return board_fail(ld, rline, "board: readback must be true or false");
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
