/* fast_asinh.h: a branch-free asinh that compilers can vectorise, for the charge-transfer term
 * on the pack's hot path (libm's asinh is a scalar call: ~15 ns per cell-step there).
 *
 * asinh(x) = sign(x) ln(|x| + sqrt(x^2 + 1)). fast_ln splits y = 2^k m with m in
 * [sqrt(2)/2, sqrt(2)) by bit operations (the reduction musl's log uses), then
 * ln m = 2 atanh(s), s = (m - 1)/(m + 1), |s| <= 0.1716, by its series to s^17. Measured
 * against libm: absolute error below 2e-15 for |x| <= 1e6, relative error below 3e-16 from
 * there to 1e150 (absolute up to 6e-14 on asinh ~ 255); larger |x| is clamped there (the
 * overpotential would be ~18 V, far outside anything physical). The pack's hot path uses the
 * same reduction with a shorter series (fast_ln_series_short, within 7.4e-13) and folds its
 * division into the tangent's one reciprocal (sim/pack_step.c). Pure, no globals. */
#ifndef BMSRIG_SIM_FAST_ASINH_H
#define BMSRIG_SIM_FAST_ASINH_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#define FAST_ASINH_MAX_ARG 1e150

/* The argument reduction of fast_ln: y = 2^k m with m in [sqrt(2)/2, sqrt(2)) (for finite
 * y >= 1); returns m - 1 and k in *k. */
static inline double fast_ln_reduce(double y, double *k)
{
    uint64_t u;
    memcpy(&u, &y, sizeof(u));
    u += 0x3ff0000000000000ULL - 0x3fe6a09e00000000ULL;  /* carry into the exponent if m >= sqrt 2 */
    uint64_t kbits = (u >> 52) | 0x4330000000000000ULL;  /* 2^52 + (k + 1023), exactly */
    u = (u & 0x000fffffffffffffULL) + 0x3fe6a09e00000000ULL;
    double m, kd;
    memcpy(&m, &u, sizeof(m));
    memcpy(&kd, &kbits, sizeof(kd));
    *k = kd - (4503599627370496.0 + 1023.0);
    return m - 1.0;
}

/* ln(y) for finite y >= 1. */
static inline double fast_ln(double y)
{
    double kd, f = fast_ln_reduce(y, &kd);
    double s = f / (2.0 + f), z = s * s;
    double poly = 1.0 + z * (1.0 / 3 + z * (1.0 / 5 + z * (1.0 / 7 + z * (1.0 / 9 + z * (1.0 / 11 +
                  z * (1.0 / 13 + z * (1.0 / 15 + z * (1.0 / 17))))))));
    return kd * 0.6931471805599453 + 2.0 * s * poly;
}

/* ln(m) = 2 atanh(s) for s = (m - 1)/(m + 1), |s| <= 0.17158 (m as fast_ln_reduce leaves
 * it), by an odd polynomial of degree 9 instead of fast_ln's 17: coefficients fitted to
 * 2 atanh(s) for the least maximum absolute error (Lawson-weighted least squares in 40-digit
 * arithmetic, scripts/fit/ln_series.py) [D]. Absolute error at most 7.4e-13 (checked in
 * doubles on 200 001 points; cell::short_ln_series_error_bound). Odd: series(-s) = -series(s). */
static inline double fast_ln_series_short(double s)
{
    double z = s * s;
    double poly = 1.0000000000233835 + z * (0.33333331752127865 + z * (0.2000029908001809 +
                  z * (0.14262685643622333 + z * 0.11881310760642325)));
    return 2.0 * s * poly;
}

/* x clamped to +-FAST_ASINH_MAX_ARG (so x * x stays finite). */
static inline double fast_asinh_clamp(double x)
{
    x = x < FAST_ASINH_MAX_ARG ? x : FAST_ASINH_MAX_ARG;
    return x > -FAST_ASINH_MAX_ARG ? x : -FAST_ASINH_MAX_ARG;
}

/* asinh(x) given x already clamped and root = sqrt(x * x + 1) (callers that need the root for
 * the derivative 1 / root share it). */
static inline double fast_asinh_root(double x, double root)
{
    return copysign(fast_ln(fabs(x) + root), x);
}

static inline double fast_asinh(double x)
{
    x = fast_asinh_clamp(x);
    return fast_asinh_root(x, sqrt(x * x + 1.0));
}

#endif
