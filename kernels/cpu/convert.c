/* convert.c — dataset bytes to float batches (providers keep data as
 * uint8 and convert per batch).
 *
 * Why streaming stores: the batch buffer is read by every worker in the
 * first layer's GEMM, so on the next batch each ordinary store would first
 * have to fetch its line back from another core (a cross-core round trip
 * per 64 bytes, which on far-apart vCPUs cost ~0.1 s an MNIST epoch).
 * Non-temporal stores write whole lines without that fetch. */
#include "cpu_kernels.h"
#include "cpu_simd.h"

#include <stdint.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

__attribute__((target("avx512f"))) static void convert_stream512(float *dst, const unsigned char *src,
                                                                 size_t n, float scale)
{
    size_t i = 0;
    const __m512 s = _mm512_set1_ps(scale);
    /* Scalar head up to a 64-byte boundary, then whole vectors streamed. */
    while (i < n && ((uintptr_t)(dst + i) & 63)) { dst[i] = (float)src[i] * scale; i++; }
    for (; i + 16 <= n; i += 16) {
        __m128i b = _mm_loadu_si128((const __m128i *)(src + i));
        __m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(b)), s);
        _mm512_stream_ps(dst + i, f);
    }
    for (; i < n; i++) dst[i] = (float)src[i] * scale;
    _mm_sfence(); /* streamed lines are visible before anyone reads the batch */
}
#endif

MX_SIMD_CLONES static void convert_plain(float *restrict dst, const unsigned char *restrict src, size_t n,
                                         float scale)
{
    for (size_t i = 0; i < n; i++) dst[i] = (float)src[i] * scale;
}

void mx_cpu_u8_to_f32(float *dst, const unsigned char *src, size_t n, float scale)
{
#if defined(__x86_64__) && defined(__GNUC__)
    static int has_avx512 = -1;
    if (has_avx512 < 0) has_avx512 = __builtin_cpu_supports("avx512f") ? 1 : 0;
    /* With one thread the batch is read on this core: keep it in cache. */
    if (has_avx512 && mx_engine_threads(mx_engine_default()) > 1) {
        convert_stream512(dst, src, n, scale);
        return;
    }
#endif
    convert_plain(dst, src, n, scale);
}
