/* rng.h: the one seeded pseudo-random generator every model draws from (ADC noise, bit errors,
 * reply jitter), so a virtual run is reproducible bit for bit from its seed. Pure, header-only:
 * the state is a caller-owned uint64_t, never a global. */
#ifndef BMSRIG_SIM_RNG_H
#define BMSRIG_SIM_RNG_H

#include <math.h>
#include <stdint.h>

/* xorshift64*: next 64 random bits. *state must be non-zero (see rng_seed). */
static inline uint64_t rng_next(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

/* A usable state for `seed` (0 would stay 0 forever, so it maps to a fixed odd constant). */
static inline uint64_t rng_seed(uint64_t seed)
{
    return seed ? seed : 0x2545F4914F6CDD1DULL;
}

/* Uniform in the open interval (0, 1), 53 bits. */
static inline double rng_unit(uint64_t *state)
{
    return ((double)(rng_next(state) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

/* Standard normal by Box-Muller (two draws per call). */
static inline double rng_gauss(uint64_t *state)
{
    double u1 = rng_unit(state), u2 = rng_unit(state);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

/* splitmix64: a stateless mix of `x`, for deriving independent seeds from one run seed. */
static inline uint64_t rng_mix(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

#endif
