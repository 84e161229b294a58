/* cpu_hash.h — private to kernels/ (CPU and CUDA): counter-based random draws. Draw i
 * of a stream is a pure function of (seed, i) — SplitMix64's output at
 * counter i — so random kernels split across any number of threads still
 * produce the same numbers as one thread, and the op only has to take one
 * seed from the executor's generator per call. */
#ifndef MX_KERNELS_CPU_HASH_H
#define MX_KERNELS_CPU_HASH_H

#include <stdint.h>
#include "kernel_shared.h"

/* The CUDA kernels (kernels/cuda/random.cu) draw the same numbers from
 * these very functions, so a seed gives one mask on either device. */

/* 64 random bits: draw i of the stream seeded by seed. */
MX_SHARED_FN uint64_t mx_hash_draw(uint64_t seed, uint64_t i)
{
    uint64_t z = seed + (i + 1) * 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* The top 24 bits of draw i, as a non-negative int. */
MX_SHARED_FN int32_t mx_hash_bits24(uint64_t seed, uint64_t i)
{
    return (int32_t)(mx_hash_draw(seed, i) >> 40);
}

/* Uniform float in [0, 1) on the 2^-24 grid (as mx_rng_uniform); through
 * int32, whose conversion to float is one instruction, unlike uint64's. */
MX_SHARED_FN float mx_hash_uniform(uint64_t seed, uint64_t i)
{
    return (float)mx_hash_bits24(seed, i) * (1.0f / 16777216.0f);
}

#endif
