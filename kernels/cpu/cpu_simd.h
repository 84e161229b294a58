/* cpu_simd.h — private to kernels/cpu: the library is built for baseline
 * x86-64 (portable binaries for any cluster node), so hot loops carry
 * AVX-512 and AVX2 clones that the loader picks for the CPU at hand. */
#ifndef MX_KERNELS_CPU_SIMD_H
#define MX_KERNELS_CPU_SIMD_H

/* Not under ThreadSanitizer: the clones' resolvers run while the loader
 * relocates, before TSan's runtime is up, and its instrumentation of them
 * crashes the program before main. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(MX_NO_CLONES) && \
    !defined(__SANITIZE_THREAD__)
#define MX_SIMD_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define MX_SIMD_CLONES
#endif

#endif
