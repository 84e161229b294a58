/* random.c — xoshiro256** with splitmix64 seeding (public-domain
 * algorithms by Blackman and Vigna, written here from their description). */
#include "mx/random.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

void mx_rng_seed(mx_rng *rng, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) rng->s[i] = splitmix64(&x);
}

uint64_t mx_rng_next(mx_rng *rng)
{
    uint64_t *s = rng->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

float mx_rng_uniform(mx_rng *rng)
{
    /* 24 random bits: every float in [0,1) on the 2^-24 grid, never 1. */
    return (float)(mx_rng_next(rng) >> 40) * (1.0f / 16777216.0f);
}

float mx_rng_normal(mx_rng *rng)
{
    double u1 = ((double)(mx_rng_next(rng) >> 11) + 1.0) * (1.0 / 9007199254740993.0);
    double u2 = (double)(mx_rng_next(rng) >> 11) * (1.0 / 9007199254740992.0);
    return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

uint64_t mx_rng_below(mx_rng *rng, uint64_t n)
{
    if (n <= 1) return 0;
    /* Rejection keeps the result unbiased for any n. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t v;
    do v = mx_rng_next(rng);
    while (v >= limit);
    return v % n;
}

static mx_rng global_rng = {{0x853c49e6748fea9bULL, 0xda3e39cb94b95bdbULL,
                             0x9e3779b97f4a7c15ULL, 0xbf58476d1ce4e5b9ULL}};

mx_rng *mx_rng_global(void) { return &global_rng; }

void mx_random_seed(uint64_t seed) { mx_rng_seed(&global_rng, seed); }
