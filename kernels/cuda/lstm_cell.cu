/* lstm_cell.cu — the fused LSTM cell on CUDA (the contract of
 * kernels/kernels.h; kernels/cpu/lstm_cell.c is the CPU form): one thread
 * per (row, unit), forward one launch and backward one, where the
 * unfused cell took eleven and about fifteen. The gate permutation is
 * passed by value, so a recorded CUDA graph holds it. */
#include "cuda_util.cuh"
#include "kernels/kernel_shared.h"

typedef struct gate_cols {
    int i, g, f, o; /* column block of each role in a 4h row */
} gate_cols;

static gate_cols cols_of(const int gate[4])
{
    gate_cols c = {gate[0], gate[1], gate[2], gate[3]};
    return c;
}

__global__ static void cell_forward_k(const float *__restrict__ a, const float *__restrict__ b,
                                      const float *__restrict__ cp, float *__restrict__ c,
                                      float *__restrict__ hout, float *__restrict__ act, size_t n,
                                      size_t h, gate_cols gc)
{
    MX_CUDA_FOR(x, n * h) {
        size_t r = x / h, k = x - r * h, row = r * 4 * h;
        size_t ci = row + (size_t)gc.i * h + k, cg = row + (size_t)gc.g * h + k;
        size_t cf = row + (size_t)gc.f * h + k, co = row + (size_t)gc.o * h + k;
        float i = mx_cuda_sigmoid(a[ci] + b[ci]), g = tanhf(a[cg] + b[cg]);
        float f = mx_cuda_sigmoid(a[cf] + b[cf]), o = mx_cuda_sigmoid(a[co] + b[co]);
        act[ci] = i;
        act[cg] = g;
        act[cf] = f;
        act[co] = o;
        float fc = __fmul_rn(f, cp[x]), ig = __fmul_rn(i, g), cc = fc + ig; /* no FMA: as the CPU */
        c[x] = cc;
        hout[x] = o * tanhf(cc);
    }
}

void mx_cuda_lstm_cell_forward(mx_engine *eng, const float *a, const float *b, const float *cp, float *c,
                               float *hout, float *act, size_t n, size_t h, const int gate[4])
{
    (void)eng;
    if (n * h == 0) return;
    cell_forward_k<<<mx_cuda_blocks(n * h, MX_CUDA_THREADS), MX_CUDA_THREADS, 0, mx_cuda_stream()>>>(
        a, b, cp, c, hout, act, n, h, cols_of(gate));
    MX_CUDA_LAUNCHED("lstm_cell_forward");
}

/* dst[k] (req) = v; req is WRITE or ADD (NULL destinations are skipped). */
__device__ static inline void put(float *dst, size_t k, float v, mx_req req)
{
    if (req == MX_REQ_ADD) dst[k] += v;
    else dst[k] = v;
}

__global__ static void cell_backward_k(const float *__restrict__ act, const float *__restrict__ cp,
                                       const float *__restrict__ dc, const float *__restrict__ dh,
                                       float *da, mx_req req_a, float *db, mx_req req_b, float *dcp,
                                       mx_req req_c, size_t n, size_t h, gate_cols gc)
{
    MX_CUDA_FOR(x, n * h) {
        size_t r = x / h, k = x - r * h, row = r * 4 * h;
        size_t ci = row + (size_t)gc.i * h + k, cg = row + (size_t)gc.g * h + k;
        size_t cf = row + (size_t)gc.f * h + k, co = row + (size_t)gc.o * h + k;
        float i = act[ci], g = act[cg], f = act[cf], o = act[co], cpv = cp[x];
        float cc = __fmul_rn(f, cpv) + __fmul_rn(i, g); /* c, exactly as forward */
        float t = tanhf(cc);
        float dhx = dh ? dh[x] : 0.0f;
        float dcx = (dc ? dc[x] : 0.0f) + dhx * o * (1.0f - t * t);
        float di = dcx * g * (i * (1.0f - i)), dg = dcx * i * (1.0f - g * g);
        float df = dcx * cpv * (f * (1.0f - f)), dout = dhx * t * (o * (1.0f - o));
        if (da) put(da, ci, di, req_a), put(da, cg, dg, req_a), put(da, cf, df, req_a), put(da, co, dout, req_a);
        if (db) put(db, ci, di, req_b), put(db, cg, dg, req_b), put(db, cf, df, req_b), put(db, co, dout, req_b);
        if (dcp) put(dcp, x, dcx * f, req_c);
    }
}

void mx_cuda_lstm_cell_backward(mx_engine *eng, const float *act, const float *cp, const float *dc,
                                const float *dh, float *da, mx_req req_a, float *db, mx_req req_b,
                                float *dcp, mx_req req_c, size_t n, size_t h, const int gate[4])
{
    (void)eng;
    if (n * h == 0) return;
    cell_backward_k<<<mx_cuda_blocks(n * h, MX_CUDA_THREADS), MX_CUDA_THREADS, 0, mx_cuda_stream()>>>(
        act, cp, dc, dh, req_a ? da : NULL, req_a, req_b ? db : NULL, req_b, req_c ? dcp : NULL, req_c, n, h,
        cols_of(gate));
    MX_CUDA_LAUNCHED("lstm_cell_backward");
}
