#!/usr/bin/env python3
# ln_series.py: the coefficients of fast_ln_series_short (sim/fast_asinh.h), the pack's
# shorter series for ln(m) = 2 atanh(s), |s| <= 0.17158: an odd polynomial 2 s P(s^2) of the
# degree asked, fitted for the least maximum absolute error by Lawson-weighted least squares
# (each pass re-weights the sample points by their error) in 40-digit arithmetic, then checked
# in doubles with Horner's scheme as the C code evaluates it. Needs python3-mpmath (Debian),
# a development tool only: nothing at build or test time runs it.
#     python3 scripts/fit/ln_series.py [DEGREE_IN_Z]      (default 4: 5 coefficients)
import sys

import mpmath as mp

mp.mp.dps = 40
SMAX = mp.mpf('0.17158')          # (sqrt 2 - 1) / (sqrt 2 + 1) = 0.171573, with a margin


def fit(deg, npts=400, passes=60):
    pts = [SMAX * (1 + mp.cos(mp.pi * (j + 0.5) / npts)) / 2 for j in range(npts)]
    target = [2 * mp.atanh(s) for s in pts]
    weight = [mp.mpf(1)] * npts
    for _ in range(passes):
        a = mp.matrix(deg + 1, deg + 1)
        b = mp.matrix(deg + 1, 1)
        for s, t, w in zip(pts, target, weight):
            row = [2 * s * (s * s) ** k for k in range(deg + 1)]
            for i in range(deg + 1):
                b[i] += w * row[i] * t
                for j in range(deg + 1):
                    a[i, j] += w * row[i] * row[j]
        c = mp.lu_solve(a, b)
        err = [abs(2 * s * sum(c[k] * (s * s) ** k for k in range(deg + 1)) - t)
               for s, t in zip(pts, target)]
        total = sum(w * e for w, e in zip(weight, err))
        weight = [w * e / total * npts for w, e in zip(weight, err)]
    return [float(ci) for ci in c]


def worst_in_doubles(coeffs, n=200000):
    worst = 0.0
    for j in range(n + 1):
        s = float(SMAX) * j / n
        z = s * s
        p = coeffs[-1]
        for ck in reversed(coeffs[:-1]):
            p = ck + z * p
        worst = max(worst, abs(2.0 * s * p - float(2 * mp.atanh(mp.mpf(s)))))
    return worst


if __name__ == '__main__':
    degree = int(sys.argv[1]) if len(sys.argv) > 1 else 4
    coeffs = fit(degree)
    print('degree %d in z: worst absolute error %.3g' % (degree, worst_in_doubles(coeffs)))
    print(', '.join(repr(c) for c in coeffs))
