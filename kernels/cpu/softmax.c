/* softmax.c — CPU softmax over the channel axis of (outer, channels,
 * inner), the cross-entropy gradient SoftmaxOutput uses, and the plain
 * softmax gradient SoftmaxActivation uses. */
#include <math.h>

#include "cpu_kernels.h"

void mx_cpu_softmax(mx_engine *eng, const float *x, float *y, size_t outer, size_t channels,
                    size_t inner)
{
    (void)eng;
    for (size_t o = 0; o < outer; o++) {
        for (size_t in = 0; in < inner; in++) {
            const float *xr = x + o * channels * inner + in;
            float *yr = y + o * channels * inner + in;
            /* Subtract the max so exp never overflows. */
            float mx = xr[0];
            for (size_t c = 1; c < channels; c++) mx = xr[c * inner] > mx ? xr[c * inner] : mx;
            float sum = 0.0f;
            for (size_t c = 0; c < channels; c++) {
                float e = expf(xr[c * inner] - mx);
                yr[c * inner] = e;
                sum += e;
            }
            float inv = 1.0f / sum;
            for (size_t c = 0; c < channels; c++) yr[c * inner] *= inv;
        }
    }
}

void mx_cpu_softmax_ce_grad(mx_engine *eng, const float *p, const float *label, float *dx,
                            size_t outer, size_t channels, size_t inner, float scale, float smooth,
                            int use_ignore, float ignore, mx_req req)
{
    (void)eng;
    if (req == MX_REQ_NULL) return;
    /* Label smoothing's targets (MXNet's smooth_alpha): 1 − α for the label,
     * α spread over the other classes; α = 0 is the one-hot target. */
    float hit = 1.0f - smooth, miss = channels > 1 ? smooth / (float)(channels - 1) : 0.0f;
    for (size_t o = 0; o < outer; o++) {
        for (size_t in = 0; in < inner; in++) {
            float lab = label[o * inner + in];
            const float *pr = p + o * channels * inner + in;
            float *dr = dx + o * channels * inner + in;
            int skip = use_ignore && lab == ignore;
            /* The label truncated, as before; out-of-range and NaN labels
             * match no class on every target (a bare cast is undefined
             * there, and x86 and Arm differ). */
            long k = lab > -1.0f && lab < (float)channels ? (long)lab : -1;
            for (size_t c = 0; c < channels; c++) {
                float g = skip ? 0.0f : scale * (pr[c * inner] - ((long)c == k ? hit : miss));
                if (req == MX_REQ_ADD) dr[c * inner] += g;
                else dr[c * inner] = g;
            }
        }
    }
}

size_t mx_cpu_count_not_equal(mx_engine *eng, const float *label, size_t n, float ignore)
{
    (void)eng;
    size_t count = 0;
    for (size_t i = 0; i < n; i++) count += label[i] != ignore;
    return count;
}

void mx_cpu_softmax_backward(mx_engine *eng, const float *y, const float *dy, float *dx,
                             size_t outer, size_t channels, size_t inner, mx_req req)
{
    (void)eng;
    if (req == MX_REQ_NULL) return;
    for (size_t o = 0; o < outer; o++) {
        for (size_t in = 0; in < inner; in++) {
            size_t base = o * channels * inner + in;
            /* The dot product is taken before dx is written: dx may be dy. */
            float dot = 0.0f;
            for (size_t c = 0; c < channels; c++) dot += dy[base + c * inner] * y[base + c * inner];
            for (size_t c = 0; c < channels; c++) {
                size_t i = base + c * inner;
                float g = y[i] * (dy[i] - dot);
                if (req == MX_REQ_ADD) dx[i] += g;
                else dx[i] = g;
            }
        }
    }
}
