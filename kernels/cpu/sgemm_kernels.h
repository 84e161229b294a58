/* sgemm_kernels.h — private to the SGEMM: the micro-kernel table each ISA
 * file (sgemm_generic.c, sgemm_avx2.c, sgemm_avx512.c, sgemm_neon.c) provides, the two
 * operand layouts its kernels read, and the packing of a transposed B.
 *
 * "strip" kernels are outer-product (broadcast A, vector B) kernels over a
 * column strip of C: every row of C, nr ≤ kernel nr columns. A is read
 * through strides, so the same kernel serves packed panels, a transposed A
 * read in place (rows contiguous in i) and a plain A read in place.
 * "dot" kernels serve C = A·Bᵀ with both operands contiguous along k:
 * vector dot products, no packing at all. */
#ifndef MX_KERNELS_CPU_SGEMM_KERNELS_H
#define MX_KERNELS_CPU_SGEMM_KERNELS_H

/* Column strip: C[i][j] (i < m, j < nr) = alpha·Σ_p A(i,p)·B(p,j) + beta·C,
 * with A(i,p) = a[(i/mr)·ps_a + (i%mr)·rs_a + p·cs_a] (mr: the kernel's),
 * B(p,j) = b[p·ldb + j]. Either rs_a == 1 or cs_a == 1. b_padded: every B
 * row may be read to the kernel's full nr (zero-padded packed panels); else
 * nothing past column nr may be touched. beta == 0 never reads C. */
typedef struct mx_sgemm_strip {
    long m, nr, k;
    const float *a;
    long ps_a, rs_a, cs_a;
    const float *b;
    long ldb;
    int b_padded;
    float *c;
    long ldc;
    float alpha, beta;
} mx_sgemm_strip;

/* Dot block: C[i][j] (i < m, j < n) = alpha·Σ_p a[i·lda + p]·b[j·ldb + p]
 * + beta·C, with k ≥ 16 (the driver sends only k ≥ 32). beta == 0 never
 * reads C. Each entry must get the same bits in any tile of any block. */
typedef struct mx_sgemm_dot {
    long m, n, k;
    const float *a;
    long lda;
    const float *b;
    long ldb;
    float *c;
    long ldc;
    float alpha, beta;
} mx_sgemm_dot;

/* Packs one panel of op(B) = Bᵀ (B stored n×k, rows ldb apart) for the
 * strip kernels: dst[p·nr + j] = b[j·ldb + p] for p < kc, j < cols ≤ nr,
 * and 0 for cols ≤ j < nr (kernels then read whole rows). Packing does no
 * arithmetic: every version must write the same bits. */
typedef void mx_sgemm_pack_bt_fn(const float *b, long ldb, long kc, long cols, long nr,
                                 float *dst);

/* One ISA's kernels and their register tiles. */
typedef struct mx_sgemm_kernel {
    const char *name;
    int mr, nr;                        /* strip kernel: rows per tile, strip width */
    int vw;                            /* floats per vector register */
    int dr, ds;                        /* dot kernel tile: rows × columns (0: none) */
    void (*strip)(const mx_sgemm_strip *s);
    void (*dot)(const mx_sgemm_dot *d); /* NULL: C = A·Bᵀ takes the packed nest */
    mx_sgemm_pack_bt_fn *pack_bt;      /* NULL: the portable mx_sgemm_pack_bt */
} mx_sgemm_kernel;

/* The portable transposed-B packing (sgemm_generic.c; any nr). */
void mx_sgemm_pack_bt(const float *b, long ldb, long kc, long cols, long nr, float *dst);

/* Portable C kernels (always present). */
extern const mx_sgemm_kernel mx_sgemm_kernel_generic;

#if defined(__x86_64__)
/* AVX2 + FMA kernels (x86-64 only; check the CPU before use). */
extern const mx_sgemm_kernel mx_sgemm_kernel_avx2;
/* AVX-512F/VL kernels (x86-64 only; check the CPU before use). */
extern const mx_sgemm_kernel mx_sgemm_kernel_avx512;
#endif

#if defined(__aarch64__)
/* AdvSIMD kernels (aarch64 only; every ARMv8-A core has them). */
extern const mx_sgemm_kernel mx_sgemm_kernel_neon;
#endif

#endif
