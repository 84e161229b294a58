/* vmath.h — private to kernels/cpu: float e^x, tanh, sigmoid and
 * softrelu (log(1 + e^x)) as straight-line code, with no calls and no
 * branches (both sides of each choice are computed, then selected), so
 * that a loop over an array calling them auto-vectorises under
 * MX_SIMD_CLONES; libm's scalar tanhf/expm1f took ~40% of a LeNet epoch.
 *
 * The build is ISO C (-std=c11), so GCC contracts no a·b + c into an FMA:
 * every operation rounds once, in source order, and the scalar, SSE2,
 * AVX2 and AVX-512 forms of these functions give the same bits.
 *
 * Accuracy, measured over every float by tests/test_vmath.c's method
 * against double-precision libm (figures in that file): e^x within
 * 1.02 ulp, tanh 1.3 ulp, sigmoid 2.5 ulp, softrelu 3.1 ulp. The polynomial coefficients are our own: a weighted Remez fit
 * in double precision, rounded to float. */
#ifndef MX_KERNELS_CPU_VMATH_H
#define MX_KERNELS_CPU_VMATH_H

#include <math.h>
#include <stdint.h>
#include <string.h>

/* Bit casts; memcpy is the aliasing-safe spelling and GCC turns it into a
 * plain register move, which vectorises. */
static inline float mx_vm_from_bits(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static inline uint32_t mx_vm_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

/* c ? a : b as bit operations. A plain ?: between computed values is
 * not safe to rely on: under -ftrapping-math GCC may sink the operands'
 * arithmetic into branches (it can trap), and then the SSE and AVX2
 * clones do not vectorise ("control flow in loop"); AVX-512 masks hide
 * that, the others do not. */
static inline float mx_vm_select(int c, float a, float b)
{
    uint32_t m = 0u - (uint32_t)(c != 0);
    return mx_vm_from_bits((mx_vm_bits(a) & m) | (mx_vm_bits(b) & ~m));
}

/* 2^k for k in [-126, 127], built from the exponent field. */
static inline float mx_vm_pow2(int32_t k) { return mx_vm_from_bits((uint32_t)(k + 127) << 23); }

/* e^x. x = n·ln2 + r with n = round(x·log2 e) and |r| <= ~ln2/2 (Cody–
 * Waite: ln2 split in a 15-bit head, so n·head is exact, and a tail);
 * e^r = 1 + r + r²·P(r), P of degree 4 (relative error of the fit 3e-9);
 * then scaled by 2^n in two steps, 2^(n>>1)·2^(n−(n>>1)), so that results
 * near the overflow threshold (n = 128) stay finite and subnormal results
 * underflow gradually instead of flushing to 0. */
static inline float mx_vexpf(float x)
{
    /* Past these bounds e^x is +inf or 0 in float; clamping keeps n in
     * [-150, 128]. NaN fails both tests and flows through as NaN. */
    float xc = mx_vm_select(x > 89.0f, 89.0f, x);
    xc = mx_vm_select(xc < -104.0f, -104.0f, xc);
    /* Round to nearest by the 1.5·2^23 shifter: after the add, the low
     * mantissa bits hold n, read as an integer without a float->int
     * conversion (undefined for NaN). */
    const float shifter = 0x1.8p23f;
    float t = xc * 0x1.715476p+0f + shifter;
    float n = t - shifter;
    int32_t k = (int32_t)(mx_vm_bits(t) - mx_vm_bits(shifter));
    float r = xc - n * 0x1.62e4p-1f;  /* ln2 head: exact product */
    r = r - n * 0x1.7f7d1cp-20f;      /* ln2 tail */
    float p = 0x1.6db47ep-10f;
    p = p * r + 0x1.123b92p-7f;
    p = p * r + 0x1.55545ep-5f;
    p = p * r + 0x1.55548ep-3f;
    p = p * r + 0.5f;
    float er = 1.0f + (r + (r * r) * p);
    int32_t k1 = k >> 1; /* arithmetic shift: floor(k / 2) */
    return er * mx_vm_pow2(k1) * mx_vm_pow2(k - k1);
}

/* tanh. For |x| >= 0.625, 1 − 2/(e^{2|x|} + 1) (e^{2|x|} overflowing to
 * inf gives exactly 1); below, where that difference would cancel, the
 * odd polynomial |x| + |x|³·Q(x²), Q of degree 4 (relative error of the
 * fit 4e-9); then x's sign. ±0 stays ±0; NaN stays NaN. */
static inline float mx_vtanhf(float x)
{
    float a = fabsf(x), z = a * a;
    float q = -0x1.75e1cep-8f;
    q = q * z + 0x1.52269cp-6f;
    q = q * z - 0x1.b83c5ap-5f;
    q = q * z + 0x1.110726p-3f;
    q = q * z - 0x1.555532p-2f;
    float small = a + a * (z * q);
    float big = 1.0f - 2.0f / (mx_vexpf(2.0f * a) + 1.0f);
    /* on |x|, then x's sign: x + x·z·q would turn −0 into +0 */
    return copysignf(mx_vm_select(a < 0.625f, small, big), x);
}

/* 1/(1 + e^−x) for x >= 0, and e^x/(1 + e^x) below, so that the
 * exponential never overflows: 1/(1 + e^−x) alone gives 0 for x < −88.7,
 * where the true value is still a (subnormal) float. */
static inline float mx_vsigmoidf(float x)
{
    float e = mx_vexpf(-fabsf(x)), s = 1.0f / (1.0f + e);
    return mx_vm_select(x >= 0.0f, s, e * s);
}

/* log(1 + u) for u in [0, 1]: 2·atanh(s) with s = u/(2 + u) in [0, 1/3],
 * = s·(2 + s²·R(s²)), R of degree 3 (relative error of the fit 5e-9);
 * no 1 + u is formed, so small u keeps its precision. */
static inline float mx_vlog1p_unit(float u)
{
    float s = u / (2.0f + u), z = s * s;
    float q = 0x1.1ed7bep-2f;
    q = q * z + 0x1.1ebd0ep-2f;
    q = q * z + 0x1.99d208p-2f;
    q = q * z + 0x1.555502p-1f;
    return s * (2.0f + z * q);
}

/* softrelu log(1 + e^x) = max(x, 0) + log(1 + e^−|x|): the exponential
 * is at most 1, so nothing overflows, and for large x the log term drops
 * below x's rounding. NaN gives NaN. */
static inline float mx_vsoftreluf(float x)
{
    float pos = mx_vm_select(x > 0.0f, x, 0.0f);
    return pos + mx_vlog1p_unit(mx_vexpf(-fabsf(x)));
}

#endif
