/* bms_profile.h: a BMS firmware profile (identity, measurement, protections, balancing) and
 * its text format, parsed from a caller-supplied buffer (pure: no file I/O here).
 *
 * Profiles live as data files in fixtures/bms/NAME.txt; the build embeds them so that
 * bms_profile_builtin("m365_stock") works without finding the source tree. Text format, one
 * setting a line, '#' starts a comment:
 *
 *     name            m365_stock
 *     cell_ov_mv      4200   [S] BotoX main.h: cell OV 4200 mV / 2 s
 *
 * Every numeric setting must carry a grade tag [S] sourced, [D] derived or [I] inferred; the
 * rest of the line after the tag is the source, kept for the docs. `base NAME` first copies a
 * built-in profile so a file can override a few settings. */
#ifndef BMSRIG_SIM_BMS_PROFILE_H
#define BMSRIG_SIM_BMS_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BMS_GROUPS_MAX 15   /* words 0x40-0x4E hold at most 15 cells */
#define BMS_NTC_MAX 2       /* T1 and T2 in word 0x35 */
#define BMS_PROFILE_NAME_MAX 32
#define BMS_PROFILE_TEXT_MAX 96

struct bms_profile {
    char name[BMS_PROFILE_NAME_MAX];
    char description[BMS_PROFILE_TEXT_MAX];

    /* identity (register words 0x10-0x20, 0x3B) */
    char serial[15];               /* 14 ASCII characters + NUL */
    uint16_t fw_version;           /* word 0x17, e.g. 0x0115 */
    unsigned series;               /* cell groups in series (10 or 12) */
    unsigned parallel;             /* cells per group (documentation; capacity is given) */
    unsigned design_cap_mah;       /* word 0x18 (label capacity) */
    unsigned real_cap_mah;         /* word 0x19, and the coulomb counter's "full" */
    unsigned nominal_raw;          /* word 0x1A as served */
    unsigned cycles, charges;      /* words 0x1B, 0x1C at power-on */
    unsigned mfg_year, mfg_month, mfg_day;  /* word 0x20 */
    unsigned health_pct;           /* word 0x3B */

    /* measurement front end */
    double cell_lsb_mv;            /* ADC step of a group voltage */
    double cell_noise_mv;          /* Gaussian noise sigma per reading, seeded */
    double current_lsb_ma;         /* ADC step of the current sense */
    double current_noise_ma;       /* noise sigma */
    double current_offset_ma;      /* sense offset added before quantisation */
    double ntc_beta;               /* B value of the thermistors */
    double ntc_r25_ohm;            /* resistance at 25 C */
    unsigned ntc_count;            /* 1 or 2; with 1, T2 repeats T1 */

    /* state of charge */
    double cc_gain;                /* counted charge = true charge x cc_gain (1.0 = exact) */
    double cc_saturate_mah;        /* counter clamps here (0 = no clamp below real capacity) */
    double full_cell_mv;           /* resync to 100 % when the highest group reaches this ... */
    double full_taper_ma;          /* ... while charging below this current */
    double empty_cell_mv;          /* resync to 0 % when the lowest group falls below this */

    /* protections: thresholds, delays, release levels */
    double cell_ov_mv, cell_ov_release_mv, cell_ov_delay_ms;       /* opens charge, bit 9 */
    double charge_stop_mv, charge_resume_mv;                       /* charge ceiling (full) */
    double cell_uv_mv, cell_uv_release_mv, cell_uv_delay_ms;       /* opens discharge */
    double duv_mv, duv_release_mv, duv_delay_ms;                   /* deep UV lockout, bit 14 */
    double dsg_oc_a, dsg_oc_delay_ms;                              /* opens discharge, bit 8 */
    double sc_a, sc_delay_us;                                      /* short circuit, bit 8 */
    double dsg_recover_ms;         /* OC/SC auto-retry after this (0 = until a charger) */
    double chg_oc_a, chg_oc_delay_ms, chg_recover_ms;              /* opens charge, bit 13 */
    double chg_temp_min_c, chg_temp_max_c, chg_temp_hyst_c;        /* opens charge */
    double dsg_temp_min_c, dsg_temp_max_c, dsg_temp_hyst_c;        /* opens discharge */
    double temp_delay_ms;
    double open_wire_mv, open_wire_delay_ms;  /* a group below this reads as an open wire */
    bool needs_charger_wake;       /* output stays off until a charger has been seen once */

    /* balancing */
    double bal_start_mv;           /* only groups above this bleed */
    double bal_delta_mv;           /* ... and only when the spread exceeds this */
    double bal_current_ma;         /* bleed current per group (reported to the pack model) */
    bool bal_only_charging;

    /* timing */
    double wake_silence_ms;        /* silent after the first request heard, then answers */
    double step_ms;                /* nominal model tick (documentation; bms_step takes dt) */
    double sample_ms;              /* AFE measurement period: cell voltages, NTCs and the
                                    * current reading are taken, the voltage and temperature
                                    * protections, the counter, balancing and the register
                                    * image updated once per period (held in between); the
                                    * current comparators act every step. 0 = every step */
};

/* Fills `p` with the neutral defaults every profile file starts from (a 10S M365-like pack
 * without protections configured oddly). */
void bms_profile_defaults(struct bms_profile *p);

/* Parses profile text text[0..n) over the current contents of `p` (start from
 * bms_profile_defaults or another profile). `srcname` names the text in errors. On error
 * returns BMSRIG_ERR_PARSE and writes "srcname:line: reason" into err[0..errcap). */
int bms_profile_parse(struct bms_profile *p, const char *text, size_t n, const char *srcname,
                      char *err, size_t errcap);

/* Checks ranges and consistency (release levels on the right side of thresholds, series in
 * 1..15 ...). Returns BMSRIG_OK or BMSRIG_ERR_RANGE with the reason in err. */
int bms_profile_validate(const struct bms_profile *p, char *err, size_t errcap);

/* Loads the built-in profile `name` (embedded from fixtures/bms/NAME.txt). Returns BMSRIG_OK,
 * BMSRIG_ERR_ARG for an unknown name, or the parse error. */
int bms_profile_builtin(const char *name, struct bms_profile *p, char *err, size_t errcap);

/* Names of the built-in profiles, in a stable order. Borrowed: static. */
size_t bms_profile_builtin_count(void);
const char *bms_profile_builtin_name(size_t i);
/* The raw text of built-in profile i (for docs and `--profile-dump`). Borrowed: static. */
const char *bms_profile_builtin_text(size_t i);

#endif
