/* simfault.c: parse and apply "NAME:ARG...[@T]" pack fault specs. */
#include "rig/simfault.h"

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
} table[] = {
    { "cell_open", SIMFAULT_CELL_OPEN, IDX_CELL, 0 },
    { "cell_close", SIMFAULT_CELL_CLOSE, IDX_CELL, 0 },
    { "short", SIMFAULT_SHORT, IDX_CELL, 1 },
    { "weak", SIMFAULT_WEAK, IDX_CELL, 2 },
    { "soc_offset", SIMFAULT_SOC_OFFSET, IDX_GROUP, 1 },
    { "offset_mv", SIMFAULT_OFFSET_MV, IDX_GROUP, 1 },
    { "sense_open", SIMFAULT_SENSE_OPEN, IDX_TAP, 0 },
    { "sense_close", SIMFAULT_SENSE_CLOSE, IDX_TAP, 0 },
    { "sense_leak", SIMFAULT_SENSE_LEAK, IDX_GROUP, 1 },
    { "moisture", SIMFAULT_MOISTURE, IDX_GROUP, 1 },
    { "bleed", SIMFAULT_BLEED, IDX_GROUP, 1 },
    { "ntc_open", SIMFAULT_NTC_OPEN, IDX_NTC, 0 },
    { "ntc_short", SIMFAULT_NTC_SHORT, IDX_NTC, 0 },
    { "ntc_drift", SIMFAULT_NTC_DRIFT, IDX_NTC, 1 },
    { "ntc_intermittent", SIMFAULT_NTC_INTERMITTENT, IDX_NTC, 1 },
    { "ntc_ok", SIMFAULT_NTC_OK, IDX_NTC, 0 },
};

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
    char *fields[8];
    int nf = 0;
    for (char *tok = strtok(buf, ":"); tok && nf < 8; tok = strtok(NULL, ":"))
        fields[nf++] = tok;
    if (nf == 0) {
        snprintf(err, errlen, "empty fault spec");
        return BMSRIG_ERR_PARSE;
    }
    size_t k;
    for (k = 0; k < sizeof(table) / sizeof(table[0]); k++)
        if (strcmp(fields[0], table[k].name) == 0)
            break;
    if (k == sizeof(table) / sizeof(table[0])) {
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
