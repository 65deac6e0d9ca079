/* fast_asinh.h: a branch-free asinh that compilers can vectorise, for the charge-transfer term
 * on the pack's hot path (libm's asinh is a scalar call: ~15 ns per cell-step there).
 *
 * asinh(x) = sign(x) ln(|x| + sqrt(x^2 + 1)). fast_ln splits y = 2^k m with m in
 * [sqrt(2)/2, sqrt(2)) by bit operations (the reduction musl's log uses), then
 * ln m = 2 atanh(s), s = (m - 1)/(m + 1), |s| <= 0.1716, by its series to s^17. Measured
 * against libm: absolute error below 2e-15 for |x| <= 1e6, relative error below 3e-16 from
 * there to 1e150 (absolute up to 6e-14 on asinh ~ 255); larger |x| is clamped there (the overpotential would be ~18 V, far outside anything physical). Pure, no
 * globals; the scalar cell and the pack both use these, so they round alike. */
#ifndef BMSRIG_SIM_FAST_ASINH_H
#define BMSRIG_SIM_FAST_ASINH_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#define FAST_ASINH_MAX_ARG 1e150

/* ln(y) for finite y >= 1. */
static inline double fast_ln(double y)
{
    uint64_t u;
    memcpy(&u, &y, sizeof(u));
    u += 0x3ff0000000000000ULL - 0x3fe6a09e00000000ULL;  /* carry into the exponent if m >= sqrt 2 */
    uint64_t kbits = (u >> 52) | 0x4330000000000000ULL;  /* 2^52 + (k + 1023), exactly */
    u = (u & 0x000fffffffffffffULL) + 0x3fe6a09e00000000ULL;
    double m, kd;
    memcpy(&m, &u, sizeof(m));
    memcpy(&kd, &kbits, sizeof(kd));
    kd -= 4503599627370496.0 + 1023.0;                   /* k */
    double f = m - 1.0, s = f / (2.0 + f), z = s * s;
    double poly = 1.0 + z * (1.0 / 3 + z * (1.0 / 5 + z * (1.0 / 7 + z * (1.0 / 9 + z * (1.0 / 11 +
                  z * (1.0 / 13 + z * (1.0 / 15 + z * (1.0 / 17))))))));
    return kd * 0.6931471805599453 + 2.0 * s * poly;
}

/* fast_ln with the same series evaluated by Estrin's scheme: the same terms, a few ulp apart,
 * a dependency chain of 5 multiply-adds instead of 9 (for vectorised loops bound by latency). */
static inline double fast_ln_estrin(double y)
{
    uint64_t u;
    memcpy(&u, &y, sizeof(u));
    u += 0x3ff0000000000000ULL - 0x3fe6a09e00000000ULL;
    uint64_t kbits = (u >> 52) | 0x4330000000000000ULL;
    u = (u & 0x000fffffffffffffULL) + 0x3fe6a09e00000000ULL;
    double m, kd;
    memcpy(&m, &u, sizeof(m));
    memcpy(&kd, &kbits, sizeof(kd));
    kd -= 4503599627370496.0 + 1023.0;
    double f = m - 1.0, s = f / (2.0 + f), z = s * s, z2 = z * z, z4 = z2 * z2, z8 = z4 * z4;
    double p01 = 1.0 + z * (1.0 / 3), p23 = 1.0 / 5 + z * (1.0 / 7);
    double p45 = 1.0 / 9 + z * (1.0 / 11), p67 = 1.0 / 13 + z * (1.0 / 15);
    double poly = ((p01 + z2 * p23) + z4 * (p45 + z2 * p67)) + z8 * (1.0 / 17);
    return kd * 0.6931471805599453 + 2.0 * s * poly;
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
