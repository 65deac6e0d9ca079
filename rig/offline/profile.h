/* profile.h: load-current profiles: `t_s,current_a` CSV (+ = discharge), '#' comment lines,
 * one optional header line. The current holds from each row's time to the next (zero-order
 * hold). Shipped profiles: fixtures/drive/. */
#ifndef BMSRIG_RIG_PROFILE_H
#define BMSRIG_RIG_PROFILE_H

#include <stdbool.h>
#include <stddef.h>

struct profile {
    double *t_s;          /* strictly increasing, first >= 0 */
    double *current_a;
    size_t n;
};

/* Owned: free with profile_free. Errors: "<path>:<line>: <reason>" in err. */
int profile_load(const char *path, struct profile *out, char *err, size_t errlen);
void profile_free(struct profile *p);     /* NULL-safe; leaves an empty profile */

/* Duration covered: the last row's time. */
double profile_duration_s(const struct profile *p);

/* Current at time t (before the first row: the first row's value). With loop, time wraps
 * modulo the duration. `cursor` speeds up monotonic lookups (start it at 0). */
double profile_current(const struct profile *p, double t_s, bool loop, size_t *cursor);

#endif
