/** @file
 * random.h — the seeded generator behind random fills, shuffles and
 * initializers (xoshiro256**, seeded through splitmix64), so a seed gives
 * the same numbers on every machine. */
#ifndef MX_RANDOM_H
#define MX_RANDOM_H

#include <stdint.h>

/** A generator's whole state: copy the struct to save or replay a stream;
 * set it with mx_rng_seed, never by hand. */
typedef struct mx_rng {
    uint64_t s[4]; /**< the 256-bit xoshiro256** state */
} mx_rng;

/** Seeds rng deterministically from one 64-bit value. */
void mx_rng_seed(mx_rng *rng, uint64_t seed);

/** Next raw 64-bit value. */
uint64_t mx_rng_next(mx_rng *rng);

/** Uniform float in [0, 1). */
float mx_rng_uniform(mx_rng *rng);

/** Standard normal sample (Box–Muller). */
float mx_rng_normal(mx_rng *rng);

/** Uniform integer in [0, n). */
uint64_t mx_rng_below(mx_rng *rng, uint64_t n);

/** The process-wide generator (mx.srand seeds it). */
mx_rng *mx_rng_global(void);

/** Seeds the process-wide generator (MXNet's mx.srand). */
void mx_random_seed(uint64_t seed);

#endif
