/* convert.c — dataset bytes to float batches (providers keep data as
 * uint8 and convert per batch; this is most of a provider's time). */
#include "cpu_kernels.h"
#include "cpu_simd.h"

MX_SIMD_CLONES void mx_cpu_u8_to_f32(float *restrict dst, const unsigned char *restrict src, size_t n,
                                     float scale)
{
    for (size_t i = 0; i < n; i++) dst[i] = (float)src[i] * scale;
}
