/* ntc.c: Steinhart-Hart thermistor, its fit, and the pull-up divider a BMS reads it through. */
#include "sim/ntc.h"

#include <math.h>

#include "sim/status.h"

#define KELVIN 273.15

void ntc_params_b3435(struct ntc_params *out)
{
    /* [D] least-squares fit in 1/T of the Thinking Electronic 10k B3435 12-bit table
     * (141 points, -40..100 C; R = 10k*adc/(4096-adc)); max error 0.078 C over the table.
     * tests/test_ntc.c refits the fixture and checks these numbers. */
    out->a = 7.957441897283224e-4;
    out->b = 2.6639883188920996e-4;
    out->c = 1.3435667324543372e-7;
}

int ntc_fit(const double *t_c, const double *r_ohm, size_t n, struct ntc_params *out)
{
    if (!t_c || !r_ohm || !out || n < 3)
        return BMSRIG_ERR_ARG;
    double m[3][4] = { { 0 } };
    for (size_t i = 0; i < n; i++) {
        if (!(r_ohm[i] > 0.0) || !(t_c[i] > -KELVIN))
            return BMSRIG_ERR_ARG;
        double l = log(r_ohm[i]);
        double x[3] = { 1.0, l, l * l * l };
        double y = 1.0 / (t_c[i] + KELVIN);
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 3; c++)
                m[r][c] += x[r] * x[c];
            m[r][3] += x[r] * y;
        }
    }
    /* Gaussian elimination with partial pivoting on the 3x3 normal equations. */
    for (int col = 0; col < 3; col++) {
        int piv = col;
        for (int r = col + 1; r < 3; r++)
            if (fabs(m[r][col]) > fabs(m[piv][col]))
                piv = r;
        if (fabs(m[piv][col]) < 1e-300)
            return BMSRIG_ERR_ARG;
        for (int c = 0; c < 4; c++) {
            double t = m[col][c];
            m[col][c] = m[piv][c];
            m[piv][c] = t;
        }
        for (int r = col + 1; r < 3; r++) {
            double f = m[r][col] / m[col][col];
            for (int c = col; c < 4; c++)
                m[r][c] -= f * m[col][c];
        }
    }
    double x[3];
    for (int r = 2; r >= 0; r--) {
        double s = m[r][3];
        for (int c = r + 1; c < 3; c++)
            s -= m[r][c] * x[c];
        x[r] = s / m[r][r];
    }
    if (!isfinite(x[0]) || !isfinite(x[1]) || !isfinite(x[2]))
        return BMSRIG_ERR_ARG;
    out->a = x[0];
    out->b = x[1];
    out->c = x[2];
    return BMSRIG_OK;
}

double ntc_t_from_r(const struct ntc_params *p, double r_ohm)
{
    if (!(r_ohm > 0.0))
        return INFINITY;             /* a short reads as infinitely hot */
    if (isinf(r_ohm))
        return -KELVIN;              /* an ideal open reads as absolute zero */
    double l = log(r_ohm);
    return 1.0 / (p->a + p->b * l + p->c * l * l * l) - KELVIN;
}

double ntc_r_from_t(const struct ntc_params *p, double t_c)
{
    /* At or below absolute zero (a drift fault can ask for it) the resistance has no finite
     * value: the sensor presents what an open one does. Past that, the curve is capped there
     * too (a 10 k B3435 part passes 1e12 ohm near -170 C). */
    if (!(t_c > -KELVIN))
        return NTC_OPEN_OHM;
    /* Solve c x^3 + b x + (a - 1/T) = 0 for x = ln R (one real root since b, c > 0). */
    double y = 1.0 / (t_c + KELVIN);
    if (p->c == 0.0)
        return fmin(exp((y - p->a) / p->b), NTC_OPEN_OHM);
    double pp = p->b / p->c;
    double q = (p->a - y) / p->c;
    double disc = sqrt(q * q / 4.0 + pp * pp * pp / 27.0);
    double x = cbrt(-q / 2.0 + disc) + cbrt(-q / 2.0 - disc);
    return fmin(exp(x), NTC_OPEN_OHM);
}

void ntc_divider_default(struct ntc_divider *out)
{
    out->pullup_ohm = 10000.0;   /* [S] bq769x0 TS input, M365 replacement firmware */
    out->vref_v = 3.3;           /* [S] same */
    out->adc_bits = 12;          /* [S] Thinking vendor table counts */
}

double ntc_divider_v(const struct ntc_divider *d, double r_ohm)
{
    if (isinf(r_ohm))
        return d->vref_v;
    return d->vref_v * r_ohm / (r_ohm + d->pullup_ohm);
}

uint16_t ntc_adc_code(const struct ntc_divider *d, double r_ohm)
{
    double full = (double)(1u << d->adc_bits);
    double ratio = isinf(r_ohm) ? 1.0 : r_ohm / (r_ohm + d->pullup_ohm);
    double code = floor(ratio * full + 0.5);
    if (code > full - 1.0)
        code = full - 1.0;
    if (code < 0.0)
        code = 0.0;
    return (uint16_t)code;
}

double ntc_r_from_adc(const struct ntc_divider *d, uint16_t code)
{
    double full = (double)(1u << d->adc_bits);
    if ((double)code >= full - 1.0)
        return INFINITY;
    return d->pullup_ohm * (double)code / (full - (double)code);
}
