/* simfault.h: the text form of pack faults used by `bmsrig sim --fault` (and usable by
 * scenario code): "NAME:ARG[:ARG...][@T_S]". Parsing is separate from applying so that a bad
 * spec is refused before a run starts. */
#ifndef BMSRIG_RIG_SIMFAULT_H
#define BMSRIG_RIG_SIMFAULT_H

#include <stddef.h>

#include "sim/pack.h"

enum simfault_kind {
    SIMFAULT_CELL_OPEN,      /* cell_open:CELL */
    SIMFAULT_CELL_CLOSE,     /* cell_close:CELL (mends cell_open) */
    SIMFAULT_SHORT,          /* short:CELL:OHMS (inf = none) */
    SIMFAULT_WEAK,           /* weak:CELL:CAP_FACTOR:R_FACTOR */
    SIMFAULT_SOC_OFFSET,     /* soc_offset:GROUP:DSOC */
    SIMFAULT_OFFSET_MV,      /* offset_mv:GROUP:MV (rest-OCV shift) */
    SIMFAULT_SENSE_OPEN,     /* sense_open:TAP */
    SIMFAULT_SENSE_CLOSE,    /* sense_close:TAP */
    SIMFAULT_SENSE_LEAK,     /* sense_leak:GROUP:OHMS */
    SIMFAULT_MOISTURE,       /* moisture:GROUP:OHMS */
    SIMFAULT_BLEED,          /* bleed:GROUP:0|1 */
    SIMFAULT_NTC_OPEN,       /* ntc_open:N */
    SIMFAULT_NTC_SHORT,      /* ntc_short:N */
    SIMFAULT_NTC_DRIFT,      /* ntc_drift:N:DEG_C */
    SIMFAULT_NTC_INTERMITTENT, /* ntc_intermittent:N:P_OPEN */
    SIMFAULT_NTC_OK,         /* ntc_ok:N */
};

struct simfault {
    enum simfault_kind kind;
    unsigned index;          /* cell, group, tap or NTC */
    double a, b;             /* numeric arguments */
    double at_s;             /* when to apply (0 = at start) */
};

/* Parses one spec; on failure returns BMSRIG_ERR_PARSE with the reason in err. Indices are
 * checked against the pack shape (series, parallel, ntc count). */
int simfault_parse(const char *spec, unsigned series, unsigned parallel, unsigned n_ntc,
                   struct simfault *out, char *err, size_t errlen);

/* Applies a parsed fault to the pack. */
int simfault_apply(struct pack *p, const struct simfault *f);

/* The spec forms, for --help texts. */
#define SIMFAULT_HELP \
    "fault specs (NAME:ARGS[@T_S], T_S = when in simulated seconds, default at start):\n" \
    "  cell_open:CELL  cell_close:CELL  short:CELL:OHMS  weak:CELL:CAP_FACTOR:R_FACTOR\n" \
    "  soc_offset:GROUP:DSOC  offset_mv:GROUP:MV  bleed:GROUP:0|1\n" \
    "  sense_open:TAP  sense_close:TAP  sense_leak:GROUP:OHMS  moisture:GROUP:OHMS\n" \
    "  ntc_open:N  ntc_short:N  ntc_drift:N:DEG_C  ntc_intermittent:N:P_OPEN  ntc_ok:N\n" \
    "  cells 0..S*P-1 (= group*P + k), groups 0..S-1 from the pack negative, taps 1..S-1\n"

#endif
