/* ntc.h: NTC thermistors (Steinhart-Hart), the divider a BMS front end reads them through, and
 * the ADC code it sees. Pure functions and plain data.
 *
 * Default part: Thinking Electronic 10 k, B25/50 = 3435 K [S], Steinhart-Hart coefficients
 * fitted to the vendor's 12-bit table (fixtures note in docs/model.md) [D]. Default front end:
 * 10 k pull-up to a 3.3 V reference, NTC to ground, 12-bit ADC (bq769x0-style TS input) [S]. */
#ifndef BMSRIG_SIM_NTC_H
#define BMSRIG_SIM_NTC_H

#include <stddef.h>
#include <stdint.h>

/* 1/T = a + b ln R + c (ln R)^3, T in kelvin, R in ohms. */
struct ntc_params {
    double a, b, c;
};

/* The fitted 10k B3435 part [D]. */
void ntc_params_b3435(struct ntc_params *out);

/* Least-squares Steinhart-Hart fit to n (temperature, resistance) pairs (n >= 3).
 * Returns BMSRIG_ERR_ARG for n < 3 or a singular system. */
int ntc_fit(const double *t_c, const double *r_ohm, size_t n, struct ntc_params *out);

double ntc_t_from_r(const struct ntc_params *p, double r_ohm);   /* deg C */
/* Ohms; capped at NTC_OPEN_OHM, which is also what t_c <= -273.15 C (or NaN) gives. */
double ntc_r_from_t(const struct ntc_params *p, double t_c);

/* The measurement divider: pull-up to vref, NTC to ground, ADC referred to vref. */
struct ntc_divider {
    double pullup_ohm;
    double vref_v;
    unsigned adc_bits;
};
void ntc_divider_default(struct ntc_divider *out);      /* 10 k, 3.3 V, 12 bit [S] */
double ntc_divider_v(const struct ntc_divider *d, double r_ohm);   /* V at the TS pin */
uint16_t ntc_adc_code(const struct ntc_divider *d, double r_ohm);  /* rounded, clamped */
/* Resistance a BMS infers from a code (code = full scale -> INFINITY, 0 -> 0). */
double ntc_r_from_adc(const struct ntc_divider *d, uint16_t code);

/* Thermistor faults. */
enum ntc_fault {
    NTC_FAULT_NONE = 0,
    NTC_FAULT_OPEN,          /* lead broken: R -> infinite */
    NTC_FAULT_SHORT,         /* leads touching: R -> 0 */
    NTC_FAULT_DRIFT,         /* reads `value` deg C off (resistance of T + value) */
    NTC_FAULT_INTERMITTENT,  /* open with probability `value` in each 10 ms window (seeded) */
    NTC_FAULT_FIXED,         /* reads `value` deg C whatever the cells' temperature (the
                                resistance of that temperature: a sensor forced or replaced) */
};
/* The temperatures NTC_FAULT_FIXED accepts: the part's -40..125 C characterised range [I]. */
#define NTC_FIXED_MIN_C (-40.0)
#define NTC_FIXED_MAX_C 125.0

/* Resistance an open / shorted NTC presents (what the divider sees) [I]. */
#define NTC_OPEN_OHM 1.0e12
#define NTC_SHORT_OHM 0.0

/* What one sensor presents, and what an S-H-decoding BMS would compute from it. */
struct ntc_reading {
    double true_temp_c;      /* mean temperature of the cells it touches */
    double r_ohm;            /* resistance presented (with faults) */
    double v_ts;             /* divider voltage */
    uint16_t adc;            /* divider ADC code */
    double temp_c;           /* temperature decoded from the ADC code by S-H (NAN never;
                                open -> far below -40, short -> +INFINITY) */
};

#endif
