/* fault_effect.c: the virtual effect of each named fault as the link protocol faults it sets,
 * so that the scenario engine and `bmsrig bms --fault` do the same thing for the same name. */
#include "rig/fault/fault.h"

#include <math.h>

/* The controller's series resistor on the BMS data line, as bit errors on the link [I: no
 * schematic is public (protocol.md section 1); field notes only say a burnt resistor gives
 * intermittent error 21]. Slower edges through a larger resistance corrupt more bits:
 * ohms -> bit error rate, interpolated in log-log; at or above FAULT_RESISTOR_OPEN_OHM it is
 * an open line. */
static const double resistor_ohm[] = { 2e3, 1e4, 4.7e4, 1e5, 2.2e5, 4.7e5 };
static const double resistor_ber[] = { 0.0, 1e-4, 2e-3, 1e-2, 5e-2, 2e-1 };

/* A wet connector [I: seeds name moisture as a cause of error 21 after rain; no measurement of
 * the error pattern]: at severity 1, garbage before 30 % of the replies and a 1e-3 bit error
 * rate. */
#define MOISTURE_GARBAGE_P 0.3
#define MOISTURE_BER 1e-3

static double resistor_to_ber(double ohms)
{
    size_t n = sizeof(resistor_ohm) / sizeof(resistor_ohm[0]);
    if (ohms <= resistor_ohm[0])
        return 0.0;
    if (ohms >= resistor_ohm[n - 1])
        return resistor_ber[n - 1];
    for (size_t i = 1; i < n; i++) {
        if (ohms <= resistor_ohm[i]) {
            if (resistor_ber[i - 1] <= 0)  /* linear from 0 on the first segment */
                return resistor_ber[i] * (ohms - resistor_ohm[i - 1]) /
                       (resistor_ohm[i] - resistor_ohm[i - 1]);
            double f = log(ohms / resistor_ohm[i - 1]) / log(resistor_ohm[i] / resistor_ohm[i - 1]);
            return exp(log(resistor_ber[i - 1]) + f * log(resistor_ber[i] / resistor_ber[i - 1]));
        }
    }
    return resistor_ber[n - 1];
}

size_t fault_link_owned(const struct fault_def *d, enum fault_id *out, size_t cap)
{
    if (!d || cap < 2)
        return 0;
    switch (d->id) {
    case FAULT_ESC_RESISTOR:
        out[0] = FAULT_BMS_TX;
        out[1] = FAULT_BIT_ERRORS;
        return 2;
    case FAULT_MOISTURE:
        out[0] = FAULT_GARBAGE;
        out[1] = FAULT_BIT_ERRORS;
        return 2;
    default:
        if (d->id >= FAULT_LINK_COUNT)
            return 0;
        out[0] = d->id;
        return 1;
    }
}

size_t fault_link_effects(const struct fault_def *d, double value, struct fault_link_effect *out,
                          size_t cap)
{
    if (!d || cap < 2)
        return 0;
    switch (d->id) {
    case FAULT_ESC_RESISTOR:
        if (value >= FAULT_RESISTOR_OPEN_OHM) {
            out[0] = (struct fault_link_effect){ FAULT_BMS_TX, 1.0 };
            return 1;
        }
        if (resistor_to_ber(value) > 0) {
            out[0] = (struct fault_link_effect){ FAULT_BIT_ERRORS, resistor_to_ber(value) };
            return 1;
        }
        return 0;
    case FAULT_MOISTURE:
        out[0] = (struct fault_link_effect){ FAULT_GARBAGE, MOISTURE_GARBAGE_P * value };
        out[1] = (struct fault_link_effect){ FAULT_BIT_ERRORS, MOISTURE_BER * value };
        return 2;
    default:
        if (d->id >= FAULT_LINK_COUNT)
            return 0;
        out[0] = (struct fault_link_effect){ d->id, value };
        return 1;
    }
}
