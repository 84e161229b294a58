/* embedding.c — Embedding's row gather and scatter-add (CPU). The row
 * copies are a handful of cache lines per index: one thread, in index
 * order, so repeated indices sum in a fixed order. */
#include <string.h>

#include "cpu_kernels.h"
#include "kernels/kernel_shared.h"

void mx_cpu_embedding_forward(mx_engine *eng, const float *idx, const float *w, float *y, size_t n,
                              size_t d, int input_dim)
{
    (void)eng;
    for (size_t i = 0; i < n; i++) memcpy(y + i * d, w + mx_embed_row(idx[i], input_dim) * d, d * sizeof(float));
}

void mx_cpu_embedding_backward(mx_engine *eng, const float *idx, const float *dy, float *dw, size_t n,
                               size_t d, int input_dim, mx_req req)
{
    (void)eng;
    if (req == MX_REQ_NULL) return;
    if (req == MX_REQ_WRITE) memset(dw, 0, (size_t)input_dim * d * sizeof(float));
    for (size_t i = 0; i < n; i++) {
        float *row = dw + mx_embed_row(idx[i], input_dim) * d;
        const float *g = dy + i * d;
        for (size_t j = 0; j < d; j++) row[j] += g[j];
    }
}
