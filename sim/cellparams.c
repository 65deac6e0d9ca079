/* cellparams.c: parse, validate and interpolate a cell parameter set (pure text in, data out). */
#include "sim/cellparams.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/status.h"

/* The scalar keys, in the order docs/model.md lists them. */
enum scalar_key {
    K_RATED_AH, K_MIN_AH, K_V_CHARGE, K_V_CUTOFF, K_V_NOMINAL, K_COULOMB_EFF, K_MASS_KG,
    K_HEAT_CAP, K_SELF_DIS, K_EA, K_T_REF, K_NSCALAR
};

static const char *const scalar_names[K_NSCALAR] = {
    "rated_ah", "min_ah", "v_charge", "v_cutoff", "v_nominal", "coulomb_eff", "mass_kg",
    "heat_capacity_j_per_k", "self_discharge_ohm", "ea_j_per_mol", "t_ref_c",
};

static double *scalar_slot(struct cell_params *cp, enum scalar_key k)
{
    switch (k) {
    case K_RATED_AH: return &cp->rated_ah;
    case K_MIN_AH: return &cp->min_ah;
    case K_V_CHARGE: return &cp->v_charge;
    case K_V_CUTOFF: return &cp->v_cutoff;
    case K_V_NOMINAL: return &cp->v_nominal;
    case K_COULOMB_EFF: return &cp->coulomb_eff;
    case K_MASS_KG: return &cp->mass_kg;
    case K_HEAT_CAP: return &cp->heat_capacity_j_per_k;
    case K_SELF_DIS: return &cp->self_discharge_ohm;
    case K_EA: return &cp->ea_j_per_mol;
    case K_T_REF: return &cp->t_ref_c;
    case K_NSCALAR: break;
    }
    return NULL;
}

__attribute__((format(printf, 5, 6)))
static int fail(int code, char *err, size_t errlen, const char *where, const char *fmt, ...)
{
    if (err && errlen) {
        int n = snprintf(err, errlen, "%s: ", where);
        if (n >= 0 && (size_t)n < errlen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return code;
}

/* Scalar ranges (physical plausibility for an 18650-class Li-ion cell). */
static int check_scalar(enum scalar_key k, double v, const char **why)
{
    switch (k) {
    case K_RATED_AH:
    case K_MIN_AH:
        if (!(v > 0.0 && v <= 1000.0)) { *why = "capacity must be > 0 and <= 1000 Ah"; return 0; }
        break;
    case K_V_CHARGE:
    case K_V_CUTOFF:
    case K_V_NOMINAL:
        if (!(v > 0.5 && v < 5.5)) { *why = "voltage must lie between 0.5 and 5.5 V"; return 0; }
        break;
    case K_COULOMB_EFF:
        if (!(v > 0.5 && v <= 1.0)) { *why = "coulombic efficiency must be in (0.5, 1]"; return 0; }
        break;
    case K_MASS_KG:
        if (!(v > 0.0)) { *why = "mass must be > 0"; return 0; }
        break;
    case K_HEAT_CAP:
        if (!(v > 0.0)) { *why = "heat capacity must be > 0"; return 0; }
        break;
    case K_SELF_DIS:
        if (!(v > 0.0)) { *why = "self-discharge resistance must be > 0"; return 0; }
        break;
    case K_EA:
        if (!(v >= 0.0 && v < 200000.0)) { *why = "activation energy must be in [0, 200000) J/mol"; return 0; }
        break;
    case K_T_REF:
        if (!(v > -60.0 && v < 100.0)) { *why = "reference temperature must be in (-60, 100) C"; return 0; }
        break;
    case K_NSCALAR:
        break;
    }
    return 1;
}

/* Row i of a table's SOC axis, re-checked on a complete set: inside 0..1 and increasing. */
static int check_axis_row(const char *name, const double *soc, size_t i, char *err,
                          size_t errlen, const char *where)
{
    if (!(soc[i] >= 0.0 && soc[i] <= 1.0))
        return fail(BMSRIG_ERR_RANGE, err, errlen, where, "%s SOC %.4g outside 0..1", name,
                    soc[i]);
    if (i && !(soc[i] > soc[i - 1]))
        return fail(BMSRIG_ERR_RANGE, err, errlen, where, "%s SOC axis not increasing", name);
    return BMSRIG_OK;
}

/* Cross-field checks on a complete set; line 0 means "the set as a whole". */
static int check_set(const struct cell_params *cp, const char *source, unsigned line, char *err,
                     size_t errlen)
{
    char where[256];
    if (line)
        snprintf(where, sizeof(where), "%s:%u", source, line);
    else
        snprintf(where, sizeof(where), "%s", source);
    if (cp->name[0] == '\0')
        return fail(BMSRIG_ERR_PARSE, err, errlen, where, "missing key 'name'");
    if (cp->min_ah > cp->rated_ah)
        return fail(BMSRIG_ERR_RANGE, err, errlen, where, "min_ah %.4g exceeds rated_ah %.4g",
                    cp->min_ah, cp->rated_ah);
    if (!(cp->v_cutoff < cp->v_nominal && cp->v_nominal < cp->v_charge))
        return fail(BMSRIG_ERR_RANGE, err, errlen, where,
                    "need v_cutoff < v_nominal < v_charge (got %.4g, %.4g, %.4g)",
                    cp->v_cutoff, cp->v_nominal, cp->v_charge);
    if (cp->n_ocv < 2)
        return fail(BMSRIG_ERR_PARSE, err, errlen, where, "need at least 2 'ocv' rows");
    if (cp->n_rc < 1)
        return fail(BMSRIG_ERR_PARSE, err, errlen, where, "need at least 1 'rc' row");
    for (size_t i = 0; i < cp->n_ocv; i++) {
        if (!(cp->ocv_soc[i] >= 0.0 && cp->ocv_soc[i] <= 1.0))
            return fail(BMSRIG_ERR_RANGE, err, errlen, where, "ocv SOC %.4g outside 0..1",
                        cp->ocv_soc[i]);
        if (!(cp->ocv_v[i] > 0.0 && cp->ocv_v[i] < 5.5))
            return fail(BMSRIG_ERR_RANGE, err, errlen, where, "ocv voltage %.4g outside (0, 5.5) V",
                        cp->ocv_v[i]);
        if (i && !(cp->ocv_soc[i] > cp->ocv_soc[i - 1]))
            return fail(BMSRIG_ERR_RANGE, err, errlen, where, "ocv SOC axis not increasing");
        if (i && !(cp->ocv_v[i] > cp->ocv_v[i - 1]))
            return fail(BMSRIG_ERR_RANGE, err, errlen, where, "OCV not monotonic in SOC");
    }
    for (size_t i = 0; i < cp->n_rc; i++) {
        int arc = check_axis_row("rc", cp->rc_soc, i, err, errlen, where);
        if (arc != BMSRIG_OK)
            return arc;
        if (!(cp->r0_ohm[i] > 0.0) || !(cp->r1_ohm[i] >= 0.0) || !(cp->r2_ohm[i] >= 0.0))
            return fail(BMSRIG_ERR_RANGE, err, errlen, where, "negative or zero resistance");
        if (!(cp->tau1_s[i] > 0.0) || !(cp->tau2_s[i] > 0.0))
            return fail(BMSRIG_ERR_RANGE, err, errlen, where, "time constant must be > 0");
    }
    for (size_t i = 0; i < cp->n_ct; i++) {
        int arc = check_axis_row("ct", cp->ct_soc, i, err, errlen, where);
        if (arc != BMSRIG_OK)
            return arc;
        if (!(cp->ct_i0_a[i] >= CELLPARAMS_CT_I0_MIN_A && cp->ct_i0_a[i] <= CELLPARAMS_CT_I0_MAX_A))
            return fail(BMSRIG_ERR_RANGE, err, errlen, where,
                        "exchange current I0 %g A is outside %g..%g A", cp->ct_i0_a[i],
                        CELLPARAMS_CT_I0_MIN_A, CELLPARAMS_CT_I0_MAX_A);
    }
    return BMSRIG_OK;
}

int cell_params_validate(const struct cell_params *cp, const char *source, char *err,
                         size_t errlen)
{
    if (!cp)
        return BMSRIG_ERR_ARG;
    if (!source)
        source = "(cell)";
    for (int k = 0; k < K_NSCALAR; k++) {
        const char *why = NULL;
        double v = *scalar_slot((struct cell_params *)cp, (enum scalar_key)k);
        if (!isfinite(v) || !check_scalar((enum scalar_key)k, v, &why))
            return fail(BMSRIG_ERR_RANGE, err, errlen, source, "%s: %s", scalar_names[k],
                        why ? why : "not a finite number");
    }
    return check_set(cp, source, 0, err, errlen);
}

/* ---- parsing -------------------------------------------------------------------------------- */

#define MAX_TOKENS 16

/* Splits `line` (modified in place) into whitespace-separated tokens up to the grade token; the
 * grade token and everything after it is returned in *grade / *note. */
static size_t tokenize(char *line, char **tok, char **grade, char **note)
{
    size_t n = 0;
    char *s = line;
    *grade = NULL;
    *note = NULL;
    for (;;) {
        while (*s && isspace((unsigned char)*s))
            s++;
        if (!*s)
            break;
        if (*s == '[') {
            *grade = s;
            char *close = strchr(s, ']');
            if (close) {
                *note = close + 1;
                while (**note && isspace((unsigned char)**note))
                    (*note)++;
            }
            break;
        }
        char *start = s;
        while (*s && !isspace((unsigned char)*s))
            s++;
        if (n < MAX_TOKENS)
            tok[n] = start;
        n++;
        if (*s)
            *s++ = '\0';
    }
    return n;
}

static bool parse_number(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || errno == ERANGE || !isfinite(v))
        return false;
    *out = v;
    return true;
}

/* The SOC of a new row of table `name` (axis `soc`, n rows so far): room for it, inside 0..1,
 * above the previous row. Shared by the rc and ct rows. */
static int check_new_row(const char *name, const double *soc, size_t n, double v, char *err,
                         size_t errlen, const char *where)
{
    if (n >= CELLPARAMS_TABLE_MAX)
        return fail(BMSRIG_ERR_PARSE, err, errlen, where, "more than %d %s rows",
                    CELLPARAMS_TABLE_MAX, name);
    if (!(v >= 0.0 && v <= 1.0))
        return fail(BMSRIG_ERR_RANGE, err, errlen, where, "SOC %g outside 0..1", v);
    if (n && !(v > soc[n - 1]))
        return fail(BMSRIG_ERR_RANGE, err, errlen, where,
                    "%s SOC %g not above the previous row's %g", name, v, soc[n - 1]);
    return BMSRIG_OK;
}

int cell_params_parse(const char *text, size_t len, const char *source, struct cell_params *out,
                      char *err, size_t errlen)
{
    if (!text || !out)
        return BMSRIG_ERR_ARG;
    if (!source)
        source = "(cell)";
    memset(out, 0, sizeof(*out));
    bool seen[K_NSCALAR] = { false };
    unsigned line_no = 0;
    size_t pos = 0;
    char where[300];
    char line[1024];
    while (pos < len) {
        size_t end = pos;
        while (end < len && text[end] != '\n')
            end++;
        line_no++;
        snprintf(where, sizeof(where), "%s:%u", source, line_no);
        size_t n = end - pos;
        if (n >= sizeof(line))
            return fail(BMSRIG_ERR_PARSE, err, errlen, where, "line longer than %zu characters",
                        sizeof(line) - 1);
        memcpy(line, text + pos, n);
        line[n] = '\0';
        pos = end < len ? end + 1 : end;
        if (memchr(line, '\0', n))
            return fail(BMSRIG_ERR_PARSE, err, errlen, where, "NUL byte in text");
        if (n && line[n - 1] == '\r')
            line[n - 1] = '\0';
        char *p = line;
        while (*p && isspace((unsigned char)*p))
            p++;
        if (*p == '\0' || *p == '#')
            continue;

        char *tok[MAX_TOKENS] = { NULL };
        char *grade, *note;
        size_t nt = tokenize(p, tok, &grade, &note);
        if (nt == 0)
            return fail(BMSRIG_ERR_PARSE, err, errlen, where, "a grade with no key before it");
        if (nt > MAX_TOKENS)
            return fail(BMSRIG_ERR_PARSE, err, errlen, where, "too many fields");
        const char *key = tok[0];
        /* A cell file names its set first. Until it has, nothing of the text is quoted back:
         * a file of another kind (a path given by mistake, or on purpose: /etc/passwd) must not
         * have its content copied into a message, a report or the terminal. */
        if (!out->name[0] && strcmp(key, "name") != 0)
            return fail(BMSRIG_ERR_PARSE, err, errlen, where,
                        "not a cell parameter file: its first setting must be 'name NAME' "
                        "(sim/cellparams.h)");

        if (strcmp(key, "name") == 0) {
            if (nt != 2)
                return fail(BMSRIG_ERR_PARSE, err, errlen, where, "'name' takes one word");
            if (out->name[0])
                return fail(BMSRIG_ERR_PARSE, err, errlen, where, "duplicate key 'name'");
            if (strlen(tok[1]) >= sizeof(out->name))
                return fail(BMSRIG_ERR_PARSE, err, errlen, where, "name longer than %zu characters",
                            sizeof(out->name) - 1);
            for (const char *c = tok[1]; *c; c++)
                if (!isalnum((unsigned char)*c) && *c != '_' && *c != '-')
                    return fail(BMSRIG_ERR_PARSE, err, errlen, where,
                                "name may hold letters, digits, '_' and '-' only");
            strcpy(out->name, tok[1]);
            continue;
        }

        /* Every line with numbers carries a grade and a provenance note. */
        if (!grade)
            return fail(BMSRIG_ERR_PARSE, err, errlen, where,
                        "'%s' has no grade: end the line with [S], [D] or [I] and its source", key);
        if (!(strncmp(grade, "[S]", 3) == 0 || strncmp(grade, "[D]", 3) == 0 ||
              strncmp(grade, "[I]", 3) == 0))
            return fail(BMSRIG_ERR_PARSE, err, errlen, where,
                        "grade must be [S], [D] or [I]");
        if (!note || !*note)
            return fail(BMSRIG_ERR_PARSE, err, errlen, where,
                        "'%s' has a grade but no provenance note after it", key);

        double v[MAX_TOKENS];
        for (size_t i = 1; i < nt; i++)
            if (!parse_number(tok[i], &v[i - 1]))
                return fail(BMSRIG_ERR_PARSE, err, errlen, where, "'%s': '%s' is not a number",
                            key, tok[i]);
        size_t nv = nt - 1;

        int sk = -1;
        for (int k = 0; k < K_NSCALAR; k++)
            if (strcmp(key, scalar_names[k]) == 0)
                sk = k;
        if (sk >= 0) {
            if (nv != 1)
                return fail(BMSRIG_ERR_PARSE, err, errlen, where, "'%s' takes one number", key);
            if (seen[sk])
                return fail(BMSRIG_ERR_PARSE, err, errlen, where, "duplicate key '%s'", key);
            const char *why = NULL;
            if (!check_scalar((enum scalar_key)sk, v[0], &why))
                return fail(BMSRIG_ERR_RANGE, err, errlen, where, "%s: %s", key, why);
            *scalar_slot(out, (enum scalar_key)sk) = v[0];
            seen[sk] = true;
        } else if (strcmp(key, "ocv") == 0) {
            if (nv != 2)
                return fail(BMSRIG_ERR_PARSE, err, errlen, where, "'ocv' takes SOC and VOLTS");
            size_t i = out->n_ocv;
            if (i >= CELLPARAMS_TABLE_MAX)
                return fail(BMSRIG_ERR_PARSE, err, errlen, where, "more than %d ocv rows",
                            CELLPARAMS_TABLE_MAX);
            if (!(v[0] >= 0.0 && v[0] <= 1.0))
                return fail(BMSRIG_ERR_RANGE, err, errlen, where, "SOC %g outside 0..1", v[0]);
            if (!(v[1] > 0.0 && v[1] < 5.5))
                return fail(BMSRIG_ERR_RANGE, err, errlen, where, "OCV %g V outside (0, 5.5)", v[1]);
            if (i && !(v[0] > out->ocv_soc[i - 1]))
                return fail(BMSRIG_ERR_RANGE, err, errlen, where,
                            "ocv SOC %g not above the previous row's %g", v[0], out->ocv_soc[i - 1]);
            if (i && !(v[1] > out->ocv_v[i - 1]))
                return fail(BMSRIG_ERR_RANGE, err, errlen, where,
                            "OCV not monotonic: %g V at SOC %g is not above %g V", v[1], v[0],
                            out->ocv_v[i - 1]);
            out->ocv_soc[i] = v[0];
            out->ocv_v[i] = v[1];
            out->n_ocv++;
        } else if (strcmp(key, "rc") == 0) {
            if (nv != 6)
                return fail(BMSRIG_ERR_PARSE, err, errlen, where,
                            "'rc' takes SOC R0_OHM R1_OHM TAU1_S R2_OHM TAU2_S");
            size_t i = out->n_rc;
            int rrc = check_new_row("rc", out->rc_soc, i, v[0], err, errlen, where);
            if (rrc != BMSRIG_OK)
                return rrc;
            if (!(v[1] > 0.0))
                return fail(BMSRIG_ERR_RANGE, err, errlen, where, "R0 must be > 0 (got %g)", v[1]);
            if (v[2] < 0.0 || v[4] < 0.0)
                return fail(BMSRIG_ERR_RANGE, err, errlen, where, "negative resistance");
            if (!(v[3] > 0.0) || !(v[5] > 0.0))
                return fail(BMSRIG_ERR_RANGE, err, errlen, where, "time constant must be > 0");
            out->rc_soc[i] = v[0];
            out->r0_ohm[i] = v[1];
            out->r1_ohm[i] = v[2];
            out->tau1_s[i] = v[3];
            out->r2_ohm[i] = v[4];
            out->tau2_s[i] = v[5];
            out->n_rc++;
        } else if (strcmp(key, "ct") == 0) {
            if (nv != 2)
                return fail(BMSRIG_ERR_PARSE, err, errlen, where, "'ct' takes SOC and I0_A");
            size_t i = out->n_ct;
            int rrc = check_new_row("ct", out->ct_soc, i, v[0], err, errlen, where);
            if (rrc != BMSRIG_OK)
                return rrc;
            if (!(v[1] > 0.0))
                return fail(BMSRIG_ERR_RANGE, err, errlen, where,
                            "exchange current I0 must be > 0 A (got %g)", v[1]);
            if (!(v[1] >= CELLPARAMS_CT_I0_MIN_A && v[1] <= CELLPARAMS_CT_I0_MAX_A))
                return fail(BMSRIG_ERR_RANGE, err, errlen, where,
                            "exchange current I0 %g A is outside %g..%g A", v[1],
                            CELLPARAMS_CT_I0_MIN_A, CELLPARAMS_CT_I0_MAX_A);
            out->ct_soc[i] = v[0];
            out->ct_i0_a[i] = v[1];
            out->n_ct++;
        } else {
            return fail(BMSRIG_ERR_PARSE, err, errlen, where, "unknown key '%s'", key);
        }
    }
    snprintf(where, sizeof(where), "%s:%u", source, line_no);
    for (int k = 0; k < K_NSCALAR; k++)
        if (!seen[k])
            return fail(BMSRIG_ERR_PARSE, err, errlen, where, "missing key '%s'", scalar_names[k]);
    return check_set(out, source, line_no, err, errlen);
}

/* ---- interpolation ------------------------------------------------------------------------- */

/* Index i of the segment [x[i], x[i+1]] holding xv (clamped to the first / last segment). */
static size_t segment(const double *x, size_t n, double xv)
{
    size_t lo = 0, hi = n - 1;
    if (xv <= x[0])
        return 0;
    if (xv >= x[n - 1])
        return n - 2;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (x[mid] <= xv)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* Linear interpolation; outside the table the end segments are extended (OCV keeps falling
 * below SOC 0 and rising above 1, so cut-offs are reached) [I]. */
static double interp_extended(const double *x, const double *y, size_t n, double xv)
{
    if (n == 1)
        return y[0];
    size_t i = segment(x, n, xv);
    return y[i] + (xv - x[i]) * (y[i + 1] - y[i]) / (x[i + 1] - x[i]);
}

static double interp_clamped(const double *x, const double *y, size_t n, double xv)
{
    if (n == 1 || xv <= x[0])
        return y[0];
    if (xv >= x[n - 1])
        return y[n - 1];
    size_t i = segment(x, n, xv);
    double f = (xv - x[i]) / (x[i + 1] - x[i]);
    return y[i] + f * (y[i + 1] - y[i]);
}

double cell_params_ocv(const struct cell_params *cp, double soc)
{
    return interp_extended(cp->ocv_soc, cp->ocv_v, cp->n_ocv, soc);
}

double cell_params_ocv_slope(const struct cell_params *cp, double soc)
{
    size_t i = segment(cp->ocv_soc, cp->n_ocv, soc);
    return (cp->ocv_v[i + 1] - cp->ocv_v[i]) / (cp->ocv_soc[i + 1] - cp->ocv_soc[i]);
}

double cell_params_soc_for_ocv(const struct cell_params *cp, double v)
{
    return interp_clamped(cp->ocv_v, cp->ocv_soc, cp->n_ocv, v);
}

double cell_params_energy_j(const struct cell_params *cp, double soc_lo, double soc_hi)
{
    double sign = 1.0;
    if (soc_hi < soc_lo) {
        double t = soc_hi;
        soc_hi = soc_lo;
        soc_lo = t;
        sign = -1.0;
    }
    /* Integrate the clamped piecewise-linear OCV exactly: breakpoints plus the ends. */
    double area = 0.0;
    double x0 = soc_lo, y0 = cell_params_ocv(cp, soc_lo);
    for (size_t i = 0; i < cp->n_ocv; i++) {
        double x = cp->ocv_soc[i];
        if (x <= soc_lo || x >= soc_hi)
            continue;
        double y = cp->ocv_v[i];
        area += 0.5 * (y + y0) * (x - x0);
        x0 = x;
        y0 = y;
    }
    area += 0.5 * (cell_params_ocv(cp, soc_hi) + y0) * (soc_hi - x0);
    return sign * area * cp->rated_ah * 3600.0;
}

/* R(T) / R(t_ref): the Arrhenius factor of the set's resistances. */
static double arrhenius(const struct cell_params *cp, double temp_c)
{
    double tk = temp_c + 273.15;
    double tref = cp->t_ref_c + 273.15;
    return exp(cp->ea_j_per_mol / CELLPARAMS_R_GAS * (1.0 / tk - 1.0 / tref));
}

void cell_params_rc(const struct cell_params *cp, double soc, double temp_c, struct cell_rc *out)
{
    size_t n = cp->n_rc;
    double arr = arrhenius(cp, temp_c);
    out->r0_ohm = arr * interp_clamped(cp->rc_soc, cp->r0_ohm, n, soc);
    out->r1_ohm = arr * interp_clamped(cp->rc_soc, cp->r1_ohm, n, soc);
    out->r2_ohm = arr * interp_clamped(cp->rc_soc, cp->r2_ohm, n, soc);
    out->tau1_s = interp_clamped(cp->rc_soc, cp->tau1_s, n, soc);
    out->tau2_s = interp_clamped(cp->rc_soc, cp->tau2_s, n, soc);
}

double cell_params_ct_i0(const struct cell_params *cp, double soc, double temp_c)
{
    if (cp->n_ct == 0)
        return INFINITY;
    return interp_clamped(cp->ct_soc, cp->ct_i0_a, cp->n_ct, soc) / arrhenius(cp, temp_c);
}

double cell_params_ct_k_v(double temp_c)
{
    return 2.0 * CELLPARAMS_R_GAS * (temp_c + 273.15) / CELLPARAMS_FARADAY;
}
