/* simfault.c: parse and apply "NAME:ARG...[@T]" pack fault specs. */
#include "rig/offline/simfault.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/status.h"

enum idx_kind { IDX_CELL, IDX_GROUP, IDX_TAP, IDX_NTC };

static const struct {
    const char *name;
    enum simfault_kind kind;
    enum idx_kind idx;
    int nargs;               /* numeric args after the index */
    const char *args[2];     /* their names, as in SIMFAULT_HELP */
} table[] = {
    { "cell_open", SIMFAULT_CELL_OPEN, IDX_CELL, 0, { NULL, NULL } },
    { "cell_close", SIMFAULT_CELL_CLOSE, IDX_CELL, 0, { NULL, NULL } },
    { "short", SIMFAULT_SHORT, IDX_CELL, 1, { "OHMS", NULL } },
    { "weak", SIMFAULT_WEAK, IDX_CELL, 2, { "CAP_FACTOR", "R_FACTOR" } },
    { "soc_offset", SIMFAULT_SOC_OFFSET, IDX_GROUP, 1, { "DSOC", NULL } },
    { "offset_mv", SIMFAULT_OFFSET_MV, IDX_GROUP, 1, { "MV", NULL } },
    { "sense_open", SIMFAULT_SENSE_OPEN, IDX_TAP, 0, { NULL, NULL } },
    { "sense_close", SIMFAULT_SENSE_CLOSE, IDX_TAP, 0, { NULL, NULL } },
    { "sense_leak", SIMFAULT_SENSE_LEAK, IDX_GROUP, 1, { "OHMS", NULL } },
    { "moisture", SIMFAULT_MOISTURE, IDX_GROUP, 1, { "OHMS", NULL } },
    { "bleed", SIMFAULT_BLEED, IDX_GROUP, 1, { "0|1", NULL } },
    { "ntc_open", SIMFAULT_NTC_OPEN, IDX_NTC, 0, { NULL, NULL } },
    { "ntc_short", SIMFAULT_NTC_SHORT, IDX_NTC, 0, { NULL, NULL } },
    { "ntc_drift", SIMFAULT_NTC_DRIFT, IDX_NTC, 1, { "DEG_C", NULL } },
    { "ntc_intermittent", SIMFAULT_NTC_INTERMITTENT, IDX_NTC, 1, { "P_OPEN", NULL } },
    { "ntc_ok", SIMFAULT_NTC_OK, IDX_NTC, 0, { NULL, NULL } },
};
#define TABLE_LEN (sizeof(table) / sizeof(table[0]))
#define MAX_FIELDS 8

/* The name of field i (0-based) of a spec whose kind is table[k] (k == TABLE_LEN: unknown),
 * or NULL when that field has no name (past the kind's last argument). */
static const char *field_name(size_t k, int i)
{
    static const char *const idx_names[] = { "CELL", "GROUP", "TAP", "N" };
    if (i == 0)
        return "NAME";
    if (k == TABLE_LEN)
        return NULL;
    if (i == 1)
        return idx_names[table[k].idx];
    if (i - 2 < table[k].nargs)
        return table[k].args[i - 2];
    return NULL;
}

static int num(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno == ERANGE || isnan(v))
        return 0;
    *out = v;
    return 1;
}

int simfault_parse(const char *spec, unsigned series, unsigned parallel, unsigned n_ntc,
                   struct simfault *out, char *err, size_t errlen)
{
    char buf[256];
    if (!spec || strlen(spec) >= sizeof(buf)) {
        snprintf(err, errlen, "fault spec too long");
        return BMSRIG_ERR_PARSE;
    }
    strcpy(buf, spec);
    memset(out, 0, sizeof(*out));
    char *at = strchr(buf, '@');
    if (at) {
        *at++ = '\0';
        if (!num(at, &out->at_s) || out->at_s < 0.0 || isinf(out->at_s)) {
            snprintf(err, errlen, "'%s': time after '@' must be seconds >= 0", spec);
            return BMSRIG_ERR_PARSE;
        }
    }
    /* Split on every ':' (strtok would merge "a::b" into "a:b" and hide an empty field). */
    char *fields[MAX_FIELDS];
    int nf = 0;
    for (char *p = buf;; nf++) {
        if (nf == MAX_FIELDS) {
            snprintf(err, errlen, "'%s': too many fields (at most %d)", spec, MAX_FIELDS);
            return BMSRIG_ERR_PARSE;
        }
        fields[nf] = p;
        char *colon = strchr(p, ':');
        if (!colon) {
            nf++;
            break;
        }
        *colon = '\0';
        p = colon + 1;
    }
    size_t k;
    for (k = 0; k < TABLE_LEN; k++)
        if (strcmp(fields[0], table[k].name) == 0)
            break;
    for (int i = 0; i < nf; i++)
        if (fields[i][0] == '\0') {
            const char *fname = field_name(k, i);
            if (nf == 1)
                snprintf(err, errlen, "empty fault spec");
            else if (fname)
                snprintf(err, errlen, "'%s': field %d (%s) is empty", spec, i + 1, fname);
            else
                snprintf(err, errlen, "'%s': field %d is empty", spec, i + 1);
            return BMSRIG_ERR_PARSE;
        }
    if (k == TABLE_LEN) {
        snprintf(err, errlen, "'%s': unknown fault '%s'", spec, fields[0]);
        return BMSRIG_ERR_PARSE;
    }
    if (nf != 2 + table[k].nargs) {
        snprintf(err, errlen, "'%s': %s takes %d argument(s) after the name", spec, fields[0],
                 1 + table[k].nargs);
        return BMSRIG_ERR_PARSE;
    }
    double idx;
    unsigned limit_lo = 0, limit_hi = 0;
    const char *what = "";
    switch (table[k].idx) {
    case IDX_CELL: limit_hi = series * parallel - 1; what = "cell"; break;
    case IDX_GROUP: limit_hi = series - 1; what = "group"; break;
    case IDX_TAP: limit_lo = 1; limit_hi = series - 1; what = "tap"; break;
    case IDX_NTC: limit_hi = n_ntc ? n_ntc - 1 : 0; what = "ntc"; break;
    }
    if (!num(fields[1], &idx) || idx != floor(idx) || idx < limit_lo || idx > limit_hi ||
        (table[k].idx == IDX_TAP && series < 2) || (table[k].idx == IDX_NTC && n_ntc == 0)) {
        snprintf(err, errlen, "'%s': %s index must be an integer %u..%u", spec, what, limit_lo,
                 limit_hi);
        return BMSRIG_ERR_PARSE;
    }
    out->kind = table[k].kind;
    out->index = (unsigned)idx;
    double *dst[2] = { &out->a, &out->b };
    for (int i = 0; i < table[k].nargs; i++)
        if (!num(fields[2 + i], dst[i])) {
            snprintf(err, errlen, "'%s': '%s' is not a number", spec, fields[2 + i]);
            return BMSRIG_ERR_PARSE;
        }
    return BMSRIG_OK;
}

int simfault_apply(struct pack *p, const struct simfault *f)
{
    switch (f->kind) {
    case SIMFAULT_CELL_OPEN: return pack_fault_cell_open(p, f->index, true);
    case SIMFAULT_CELL_CLOSE: return pack_fault_cell_open(p, f->index, false);
    case SIMFAULT_SHORT: return pack_fault_cell_short(p, f->index, f->a);
    case SIMFAULT_WEAK: return pack_fault_cell_weak(p, f->index, f->a, f->b);
    case SIMFAULT_SOC_OFFSET: return pack_fault_group_soc_offset(p, f->index, f->a);
    case SIMFAULT_OFFSET_MV:
        return pack_fault_group_soc_offset(p, f->index,
                                           pack_group_dsoc_for_dv(p, f->index, f->a / 1000.0));
    case SIMFAULT_SENSE_OPEN: return pack_fault_sense_open(p, f->index, true);
    case SIMFAULT_SENSE_CLOSE: return pack_fault_sense_open(p, f->index, false);
    case SIMFAULT_SENSE_LEAK: return pack_fault_sense_leak(p, f->index, f->a);
    case SIMFAULT_MOISTURE: return pack_fault_moisture(p, f->index, f->a);
    case SIMFAULT_BLEED: pack_set_bleed(p, f->index, f->a != 0.0); return BMSRIG_OK;
    case SIMFAULT_NTC_OPEN: return pack_fault_ntc(p, f->index, NTC_FAULT_OPEN, 0.0);
    case SIMFAULT_NTC_SHORT: return pack_fault_ntc(p, f->index, NTC_FAULT_SHORT, 0.0);
    case SIMFAULT_NTC_DRIFT: return pack_fault_ntc(p, f->index, NTC_FAULT_DRIFT, f->a);
    case SIMFAULT_NTC_INTERMITTENT: return pack_fault_ntc(p, f->index, NTC_FAULT_INTERMITTENT, f->a);
    case SIMFAULT_NTC_OK: return pack_fault_ntc(p, f->index, NTC_FAULT_NONE, 0.0);
    }
    return BMSRIG_ERR_ARG;
}
