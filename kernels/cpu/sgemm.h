/* sgemm.h — the built-in single-precision GEMM (row-major, BLAS semantics):
 * C = alpha * op(A) * op(B) + beta * C, op(X) = X or Xᵀ.
 * Packed and cache-blocked, with AVX-512 / AVX2 micro-kernels chosen at run
 * time and a portable C path; parallel over the engine's pinned workers
 * with a static split of C (never of K), so a thread count gives
 * bit-identical results. Packing uses the engine's per-worker scratch:
 * no allocation, ever. */
#ifndef MX_KERNELS_CPU_SGEMM_H
#define MX_KERNELS_CPU_SGEMM_H

#include "mx/engine.h"
#include "mx/error.h"

/* C(m×n) = alpha·op(A)·op(B) + beta·C; op(A) is m×k, op(B) is k×n.
 * A is m×k (lda ≥ k), or k×m (lda ≥ m) when trans_a; likewise B.
 * beta == 0 never reads C. eng NULL runs single-threaded. */
void mx_sgemm(mx_engine *eng, int trans_a, int trans_b, int m, int n, int k, float alpha,
              const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc);

/* mx_sgemm on the calling thread alone, packing into scratch (one
 * worker's MX_ENGINE_SCRATCH_BYTES, 64-byte aligned): for kernels that run
 * their own GEMMs inside a parallel region (mx_sgemm with eng NULL shares
 * one static buffer). C gets the same bits as from mx_sgemm. */
void mx_sgemm_serial(void *scratch, int trans_a, int trans_b, int m, int n, int k, float alpha,
                     const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc);

/* Name of the micro-kernel in use: "avx512", "avx2", "neon", "generic" or "openblas". */
const char *mx_sgemm_kernel_name(void);

/* Forces a micro-kernel ("auto", "avx512", "avx2", "neon", "generic"); MX_ENOTSUP
 * if this CPU lacks it, MX_EINVAL for an unknown name. */
mx_status mx_sgemm_select(const char *name);

#endif
