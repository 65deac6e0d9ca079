/* esc_params.c: the virtual controller's parameter table, defaults per model, and the profile
 * text parser (pure: the caller reads the file). */
#include "sim/esc_params.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/status.h"

#define ESC_PARAM_ROW_(id, nm, un, v0, g0, v1, g1, src) \
    { .name = nm, .unit = un, .value = { (v0), (v1) }, .grade = { g0, g1 }, .source = src },
static const struct esc_param_info table[ESC_P_COUNT] = { ESC_PARAM_TABLE(ESC_PARAM_ROW_) };
#undef ESC_PARAM_ROW_

/* The emulated figures, by row. */
struct emulated_cell {
    bool has;
    double value;
    const char *source;
};
#define ESC_PARAM_EMU_(id, v, src) [ESC_P_##id] = { true, (v), src },
static const struct emulated_cell emulated[ESC_P_COUNT] = { ESC_PARAM_EMULATED_TABLE(ESC_PARAM_EMU_) };
#undef ESC_PARAM_EMU_

static const char *const figures_names[] = { "recorded", "emulated" };

static const char *const model_names[ESC_MODEL_COUNT] = { "m365", "pro2" };

const struct esc_param_info *esc_param_info(int id)
{
    if (id < 0 || id >= ESC_P_COUNT)
        return NULL;
    return &table[id];
}

bool esc_param_emulated(int id, double *value, const char **source)
{
    if (id < 0 || id >= ESC_P_COUNT || !emulated[id].has)
        return false;
    if (value)
        *value = emulated[id].value;
    if (source)
        *source = emulated[id].source;
    return true;
}

const char *esc_figures_name(enum esc_figures f)
{
    return (unsigned)f < 2 ? figures_names[f] : "?";
}

int esc_figures_parse(const char *name, enum esc_figures *out)
{
    for (int i = 0; name && i < 2; i++) {
        if (strcmp(figures_names[i], name) == 0) {
            *out = (enum esc_figures)i;
            return BMSRIG_OK;
        }
    }
    return BMSRIG_ERR_ARG;
}

void esc_params_use_figures(struct esc_params *p, enum esc_figures f)
{
    if ((unsigned)f >= 2)
        return;
    p->figures = f;
    for (int i = 0; i < ESC_P_COUNT; i++) {
        if (!emulated[i].has || p->overridden[i])
            continue;
        p->v[i] = f == ESC_FIGURES_EMULATED ? emulated[i].value : table[i].value[p->model];
    }
}

int esc_param_find(const char *name)
{
    if (!name)
        return -1;
    for (int i = 0; i < ESC_P_COUNT; i++)
        if (strcmp(table[i].name, name) == 0)
            return i;
    return -1;
}

const char *esc_model_name(enum esc_model m)
{
    if ((int)m < 0 || (int)m >= ESC_MODEL_COUNT)
        return "?";
    return model_names[m];
}

int esc_model_parse(const char *name, enum esc_model *out)
{
    for (int i = 0; name && i < ESC_MODEL_COUNT; i++) {
        if (strcmp(model_names[i], name) == 0) {
            *out = (enum esc_model)i;
            return BMSRIG_OK;
        }
    }
    return BMSRIG_ERR_ARG;
}

void esc_params_default(struct esc_params *p, enum esc_model m)
{
    if ((int)m < 0 || (int)m >= ESC_MODEL_COUNT)
        m = ESC_MODEL_M365;
    memset(p, 0, sizeof(*p));
    p->model = m;
    for (int i = 0; i < ESC_P_COUNT; i++)
        p->v[i] = table[i].value[m];
}

/* Values the model cannot run with. Counts (ticks, tries) must be whole and positive. */
static int check_value(int id, double v)
{
    if (!isfinite(v))
        return BMSRIG_ERR_RANGE;
    switch (id) {
    case ESC_P_TICK_US:
        return (v >= 100.0 && v <= 100000.0) ? BMSRIG_OK : BMSRIG_ERR_RANGE;
    case ESC_P_BOOT_CALL_TICKS:
    case ESC_P_BOOT_TRIES:
    case ESC_P_POLL_HALF_TICKS:
    case ESC_P_MISS_LIMIT:
        return (v >= 1.0 && v <= 1e6 && v == floor(v)) ? BMSRIG_OK : BMSRIG_ERR_RANGE;
    case ESC_P_POLL_PHASE_TICKS:
        return (v >= 0.0 && v <= 1e6 && v == floor(v)) ? BMSRIG_OK : BMSRIG_ERR_RANGE;
    case ESC_P_EVAL_START_TICKS:
        return (v >= 0.0 && v <= 1e9 && v == floor(v)) ? BMSRIG_OK : BMSRIG_ERR_RANGE;
    case ESC_P_FIRST_REQ_MS:
    case ESC_P_TRIP_HOLD_MS:
    case ESC_P_SUPPLY_OFF_MS:
        return (v >= 0.0 && v <= 1e7) ? BMSRIG_OK : BMSRIG_ERR_RANGE;
    case ESC_P_DASH_PERIOD_MS:
        return (v >= 1.0 && v <= 1e7) ? BMSRIG_OK : BMSRIG_ERR_RANGE;
    case ESC_P_MASS_KG:
    case ESC_P_WHEEL_D_M:
    case ESC_P_EFFICIENCY:
        return v > 0.0 ? BMSRIG_OK : BMSRIG_ERR_RANGE;
    case ESC_P_DERATE_FLOOR:
    case ESC_P_REGEN_OV_FACTOR:
        return (v >= 0.0 && v <= 1.0) ? BMSRIG_OK : BMSRIG_ERR_RANGE;
    case ESC_P_ESC_FW:
        return (v >= 0.0 && v <= 65535.0 && v == floor(v)) ? BMSRIG_OK : BMSRIG_ERR_RANGE;
    default:
        return BMSRIG_OK;
    }
}

int esc_params_set(struct esc_params *p, const char *name, double value)
{
    int id = esc_param_find(name);
    if (id < 0)
        return BMSRIG_ERR_ARG;
    int rc = check_value(id, value);
    if (rc != BMSRIG_OK)
        return rc;
    p->v[id] = value;
    p->overridden[id] = 1;
    return BMSRIG_OK;
}

/* Trims leading and trailing blanks of s[0..*n) in place; returns the new start. */
static const char *trim(const char *s, size_t *n)
{
    while (*n > 0 && isspace((unsigned char)s[0])) {
        s++;
        (*n)--;
    }
    while (*n > 0 && isspace((unsigned char)s[*n - 1]))
        (*n)--;
    return s;
}

/* Stores "msg", or "msg 'arg' tail" when arg is given, and the line number. */
static int fail(unsigned line, unsigned *err_line, char *err, size_t errcap, int rc,
                const char *msg, const char *arg, const char *tail)
{
    if (err_line)
        *err_line = line;
    if (err && errcap) {
        if (arg)
            snprintf(err, errcap, "%s '%s'%s", msg, arg, tail ? tail : "");
        else
            snprintf(err, errcap, "%s", msg);
    }
    return rc;
}

int esc_params_apply_text(struct esc_params *p, const char *text, size_t len, unsigned *err_line,
                          char *err, size_t errcap)
{
    unsigned lineno = 0;
    bool seen_key = false, seen_param = false;
    size_t pos = 0;
    while (pos < len) {
        size_t end = pos;
        while (end < len && text[end] != '\n')
            end++;
        lineno++;
        const char *ln = text + pos;
        size_t n = end - pos;
        pos = end + 1;
        /* Strip a comment. */
        for (size_t i = 0; i < n; i++) {
            if (ln[i] == '#') {
                n = i;
                break;
            }
        }
        ln = trim(ln, &n);
        if (n == 0)
            continue;
        const char *eq = memchr(ln, '=', n);
        if (!eq)
            return fail(lineno, err_line, err, errcap, BMSRIG_ERR_PARSE,
                        "expected 'name = value'", NULL, NULL);
        size_t kn = (size_t)(eq - ln);
        size_t vn = n - kn - 1;
        const char *key = trim(ln, &kn);
        const char *val = trim(eq + 1, &vn);
        char kbuf[64], vbuf[64];
        if (kn == 0 || kn >= sizeof(kbuf))
            return fail(lineno, err_line, err, errcap, BMSRIG_ERR_PARSE, "empty or too long name", NULL, NULL);
        if (vn == 0 || vn >= sizeof(vbuf))
            return fail(lineno, err_line, err, errcap, BMSRIG_ERR_PARSE, "empty or too long value", NULL, NULL);
        memcpy(kbuf, key, kn);
        kbuf[kn] = '\0';
        memcpy(vbuf, val, vn);
        vbuf[vn] = '\0';
        if (strcmp(kbuf, "model") == 0) {
            enum esc_model m;
            if (seen_key)
                return fail(lineno, err_line, err, errcap, BMSRIG_ERR_PARSE,
                            "'model' must come before any other name", NULL, NULL);
            if (esc_model_parse(vbuf, &m) != BMSRIG_OK)
                return fail(lineno, err_line, err, errcap, BMSRIG_ERR_ARG,
                            "unknown model", vbuf, " (m365 or pro2)");
            esc_params_default(p, m);
            seen_key = true;
            continue;
        }
        if (strcmp(kbuf, "figures") == 0) {
            enum esc_figures f;
            if (seen_param)
                return fail(lineno, err_line, err, errcap, BMSRIG_ERR_PARSE,
                            "'figures' must come before any parameter name", NULL, NULL);
            if (esc_figures_parse(vbuf, &f) != BMSRIG_OK)
                return fail(lineno, err_line, err, errcap, BMSRIG_ERR_ARG,
                            "unknown figures", vbuf, " (recorded or emulated)");
            esc_params_use_figures(p, f);
            seen_key = true;
            continue;
        }
        seen_key = true;
        seen_param = true;
        int id = esc_param_find(kbuf);
        if (id < 0)
            return fail(lineno, err_line, err, errcap, BMSRIG_ERR_ARG,
                        "unknown parameter", kbuf, " (see bmsrig esc --show-params)");
        char *stop = NULL;
        errno = 0;
        double v = strtod(vbuf, &stop);
        if (stop == vbuf || *stop != '\0' || errno != 0)
            return fail(lineno, err_line, err, errcap, BMSRIG_ERR_PARSE, "not a number:", vbuf, NULL);
        int rc = esc_params_set(p, kbuf, v);
        if (rc != BMSRIG_OK)
            return fail(lineno, err_line, err, errcap, rc, "value out of range for", kbuf, NULL);
    }
    return BMSRIG_OK;
}
