/* conv.cu — convolution on CUDA (NCHW; 1-D as a height of one), the
 * contract of kernels/kernels.h, same math as kernels/cpu/conv.c:
 *   forward        y[n,g]  = W[g] · col(x[n,g])  (+ bias)
 *   backward data  dx[n,g] = col2im(W[g]ᵀ · dy[n,g])
 *   weights        dW[g]   = Σₙ dy[n,g] · col(x[n,g])ᵀ
 *   bias           db[f]   = Σ over samples and pixels of dy[n,f]
 *
 * Why this shape: at LeNet sizes one sample's product is tiny (conv2:
 * 50×64×500), and per-sample or strided-batched GEMMs of that size run
 * far below the GPU's rate. So the batch goes through in chunks of nb
 * samples (all of it when it fits the budget below), and each product is
 * ONE GEMM per group over the whole chunk, the samples and pixels of the
 * chunk forming a single axis of cp = nb·oh·ow columns:
 *
 *   col (workspace) = im2col of the chunk, laid out (c·kh·kw, nb, oh·ow):
 *     row r = (channel, ky, kx), then sample, then output pixel; group
 *     g's rows are the block [g·K, (g+1)·K), K = c/groups·kh·kw, each a
 *     K × cp matrix.
 *   dyT (workspace) = dy or y of the chunk "transposed" to (f, nb, oh·ow):
 *     group g's fg rows form an fg × cp matrix.
 *   - forward:  yT[g] = W[g] · col[g], then one kernel puts yT back into
 *     y's (nb, f, P) order and adds the bias;
 *   - dW:       dW[g] (+)= dyT[g] · col[g]ᵀ, the sum over samples being
 *     part of the GEMM's contraction: no per-sample partials, and cuBLAS
 *     reduces in a fixed order (deterministic);
 *   - dx:       col[g] = W[g]ᵀ · dyT[g], then col2im in gather form: one
 *     thread per input element sums the taps that read it in a fixed
 *     (ky, kx) order: no atomics, the same bits every run;
 *   - db:       per-channel sums of dyT rows, in two deterministic stages
 *     (fixed segments, then the segments in order), since one block per
 *     channel would leave LeNet's 20 channels on 20 SMs.
 * All groups go in one call (batched over groups). Later chunks
 * accumulate into dW and db (beta = 1).
 *
 * cuBLAS is column-major: a row-major C = A·B is issued as Cᵀ = Bᵀ·Aᵀ,
 * which is the same memory read with the operands swapped (gemm_rm).
 * Every index inside a chunk fits 31 bits (plan_of bounds the chunk), so
 * the decoding divisions are 32-bit; bases are offset with size_t. */
#include <climits>

#include "cuda_util.cuh"

/* At most this much workspace for the chunk's col + dyT (more samples
 * per chunk than this buys nothing once the GEMMs fill the GPU). */
#define CONV_BUDGET ((size_t)64 << 20)

/* db's first stage: segments of about DB_SEG floats of a dyT row, at
 * most DB_SEG_MAX of them per channel. */
#define DB_SEG 2048
#define DB_SEG_MAX 128
#define DB_THREADS 256 /* a power of two: the tree below halves it */

/* How a call cuts the batch and the workspace (floats, each part
 * rounded to 64 bytes): a pure function of the geometry, so that
 * conv_workspace and the entries agree. */
typedef struct conv_plan {
    int nb;      /* samples per chunk (0: one sample is too large) */
    size_t col;  /* col */
    size_t dyt;  /* dyT (forward: yT) */
    size_t part; /* db's partial sums */
} conv_plan;

static size_t round16(size_t n) { return (n + 15) & ~(size_t)15; }

/* 1 when there is nothing to convolve (an empty axis somewhere). */
static int is_empty(const mx_conv_geom *g)
{
    return g->n <= 0 || g->c <= 0 || g->f <= 0 || g->groups <= 0 || g->oh <= 0 || g->ow <= 0 ||
           g->h <= 0 || g->w <= 0 || g->kh <= 0 || g->kw <= 0;
}

static conv_plan plan_of(const mx_conv_geom *g)
{
    conv_plan p = {0, 0, 0, 0};
    if (is_empty(g)) return p;
    size_t P = (size_t)g->oh * g->ow;
    size_t col1 = (size_t)g->c * g->kh * g->kw * P, dyt1 = (size_t)g->f * P;
    size_t x1 = (size_t)g->c * g->h * g->w;
    size_t big = col1 > dyt1 ? col1 : dyt1;
    if (x1 > big) big = x1;
    size_t nb = CONV_BUDGET / ((col1 + dyt1) * sizeof(float));
    if (nb < 1) nb = 1;
    if (nb > (size_t)g->n) nb = (size_t)g->n;
    /* every chunk-relative index (col, dyT, x, y, dx) below 2^31 */
    if (nb > (size_t)INT_MAX / big) nb = (size_t)INT_MAX / big;
    p.nb = (int)nb;
    p.col = round16(nb * col1);
    p.dyt = round16(nb * dyt1);
    p.part = round16((size_t)g->f * DB_SEG_MAX);
    return p;
}

size_t mx_cuda_conv_workspace(const mx_conv_geom *g)
{
    conv_plan p = plan_of(g);
    return (p.col + p.dyt + p.part) * sizeof(float);
}

/* Row-major C = op(A)·op(B) + beta·C for batch matrices, the i-th at
 * a + i·sa, b + i·sb, c + i·sc (m × n result, k contraction). */
static void gemm_rm(const char *where, int ta, int tb, int m, int n, int k, const float *a, int lda,
                    long long sa, const float *b, int ldb, long long sb, float beta, float *c, int ldc,
                    long long sc, int batch)
{
    const float one = 1.0f;
    cublasStatus_t s = cublasSgemmStridedBatched(mx_cuda_blas(), tb ? CUBLAS_OP_T : CUBLAS_OP_N,
                                                 ta ? CUBLAS_OP_T : CUBLAS_OP_N, n, m, k, &one, b, ldb,
                                                 sb, a, lda, sa, &beta, c, ldc, sc, batch);
    mx_cuda_note_blas(s, where);
}

/* col[(r, s, p)] for r = (ci, ky, kx) over c·kh·kw rows, s < nb samples,
 * p < oh·ow: the input cell that tap r of pixel p reads, 0 in padding.
 * x is the chunk's first sample. One thread per (ci, s, p) writes all of
 * its kh·kw taps: the index decoding (divisions, the bulk of the cost
 * when done per element) is paid once per kh·kw floats, and for each tap
 * consecutive threads still write consecutive floats. */
__global__ void im2col_k(mx_conv_geom g, const float *__restrict__ x, float *__restrict__ col,
                         unsigned nb, unsigned total)
{
    const unsigned P = (unsigned)(g.oh * g.ow), rs = nb * P, taps = (unsigned)(g.kh * g.kw);
    for (unsigned i = blockIdx.x * blockDim.x + threadIdx.x; i < total; i += blockDim.x * gridDim.x) {
        unsigned p = i % P, t = i / P;
        unsigned s = t % nb, ci = t / nb;
        int oy = (int)(p / (unsigned)g.ow), ox = (int)p - oy * g.ow;
        int iy0 = oy * g.sh - g.ph, ix0 = ox * g.sw - g.pw;
        const float *xp = x + ((size_t)s * g.c + ci) * ((size_t)g.h * g.w);
        float *d = col + (ci * taps * nb + s) * P + p;
        for (int ky = 0; ky < g.kh; ky++) {
            int iy = iy0 + ky * g.dh;
            int yin = iy >= 0 && iy < g.h;
            for (int kx = 0; kx < g.kw; kx++, d += rs) {
                int ix = ix0 + kx * g.dw;
                *d = yin && ix >= 0 && ix < g.w ? xp[iy * g.w + ix] : 0.0f;
            }
        }
    }
}

/* dx of the chunk (nb samples; add: +=) = col folded back, gathered:
 * element (s, ci, iy, ix) sums col over the taps (ky, kx) whose output
 * pixel reads it, in ky-major order. With unit strides (the common case)
 * those taps form a box whose bounds cost four divisions per element;
 * other strides test each tap for divisibility. Dilations are >= 1. */
__global__ void col2im_k(mx_conv_geom g, const float *__restrict__ col, float *__restrict__ dx,
                         unsigned nb, unsigned total, int add)
{
    const unsigned P = (unsigned)(g.oh * g.ow);
    const int unit = g.sh == 1 && g.sw == 1;
    for (unsigned i = blockIdx.x * blockDim.x + threadIdx.x; i < total; i += blockDim.x * gridDim.x) {
        unsigned t = i / (unsigned)g.w;
        int ix = (int)(i - t * (unsigned)g.w);
        int iy = (int)(t % (unsigned)g.h);
        t /= (unsigned)g.h;
        unsigned ci = t % (unsigned)g.c, s = t / (unsigned)g.c;
        /* tap (ky, kx) reads this element from output (ty − ky·dh, tx − kx·dw)
         * divided by the strides */
        const int ty = iy + g.ph, tx = ix + g.pw;
        const float *cs = col + ((ci * (unsigned)(g.kh * g.kw)) * nb + s) * P;
        const unsigned rs = nb * P; /* one tap (row of col) further */
        float acc = 0.0f;
        if (unit) {
            /* oy = ty − ky·dh in [0, oh): ky in [ceil((ty − oh + 1)/dh), ty/dh] */
            int y0 = ty - g.oh + 1 > 0 ? (ty - g.oh + 1 + g.dh - 1) / g.dh : 0;
            int y1 = ty / g.dh < g.kh - 1 ? ty / g.dh : g.kh - 1;
            int x0 = tx - g.ow + 1 > 0 ? (tx - g.ow + 1 + g.dw - 1) / g.dw : 0;
            int x1 = tx / g.dw < g.kw - 1 ? tx / g.dw : g.kw - 1;
            for (int ky = y0; ky <= y1; ky++) {
                const int oy = ty - ky * g.dh;
                for (int kx = x0; kx <= x1; kx++)
                    acc += cs[(unsigned)(ky * g.kw + kx) * rs + (unsigned)(oy * g.ow + tx - kx * g.dw)];
            }
        } else {
            for (int ky = 0; ky < g.kh; ky++) {
                int oy = ty - ky * g.dh;
                if (oy < 0) break; /* only falls as ky grows */
                if (oy % g.sh) continue;
                oy /= g.sh;
                if (oy >= g.oh) continue;
                for (int kx = 0; kx < g.kw; kx++) {
                    int ox = tx - kx * g.dw;
                    if (ox < 0) break;
                    if (ox % g.sw) continue;
                    ox /= g.sw;
                    if (ox >= g.ow) continue;
                    acc += cs[(unsigned)(ky * g.kw + kx) * rs + (unsigned)(oy * g.ow + ox)];
                }
            }
        }
        dx[i] = add ? dx[i] + acc : acc;
    }
}

/* dyT (f, nb, P) = dy (nb, f, P) of the chunk: each filter's gradient of
 * all the chunk's samples in one row of nb·P, the GEMMs' sample axis. */
__global__ void to_filter_major_k(const float *__restrict__ dy, float *__restrict__ dyt, unsigned f,
                                  unsigned nb, unsigned P, unsigned total)
{
    for (unsigned i = blockIdx.x * blockDim.x + threadIdx.x; i < total; i += blockDim.x * gridDim.x) {
        unsigned p = i % P, t = i / P;
        unsigned s = t % nb, fi = t / nb;
        dyt[i] = dy[(s * f + fi) * P + p];
    }
}

/* y (nb, f, P) = yT (f, nb, P) + b[f] (b NULL: no bias). */
__global__ void to_sample_major_k(const float *__restrict__ yt, const float *__restrict__ b,
                                  float *__restrict__ y, unsigned f, unsigned nb, unsigned P,
                                  unsigned total)
{
    for (unsigned i = blockIdx.x * blockDim.x + threadIdx.x; i < total; i += blockDim.x * gridDim.x) {
        unsigned p = i % P, t = i / P;
        unsigned fi = t % f, s = t / f;
        float v = yt[(fi * nb + s) * P + p];
        y[i] = b ? v + b[fi] : v;
    }
}

/* db stage 1: part[fi·nseg + sg] = Σ of segment sg (len floats) of dyT
 * row fi (cp floats); block (fi, sg), each thread's floats in order,
 * then a fixed tree. */
__global__ void bias_part_k(const float *__restrict__ dyt, float *__restrict__ part, unsigned cp,
                            unsigned len)
{
    __shared__ float red[DB_THREADS];
    const unsigned fi = blockIdx.x, sg = blockIdx.y, nseg = gridDim.y;
    const unsigned lo = sg * len, hi = lo + len < cp ? lo + len : cp;
    const float *row = dyt + (size_t)fi * cp;
    float acc = 0.0f;
    for (unsigned j = lo + threadIdx.x; j < hi; j += DB_THREADS) acc += row[j];
    red[threadIdx.x] = acc;
    __syncthreads();
    for (unsigned h = DB_THREADS / 2; h > 0; h >>= 1) {
        if (threadIdx.x < h) red[threadIdx.x] += red[threadIdx.x + h];
        __syncthreads();
    }
    if (threadIdx.x == 0) part[fi * nseg + sg] = red[0];
}

/* db stage 2: db[fi] (add: +=) = Σ of its nseg partials, in order. */
__global__ void bias_sum_k(const float *__restrict__ part, float *__restrict__ db, unsigned f,
                           unsigned nseg, int add)
{
    for (unsigned fi = blockIdx.x * blockDim.x + threadIdx.x; fi < f; fi += blockDim.x * gridDim.x) {
        float s = 0.0f;
        for (unsigned k = 0; k < nseg; k++) s += part[fi * nseg + k];
        db[fi] = add ? db[fi] + s : s;
    }
}

/* im2col of cnt samples starting at x into col. */
static void im2col(const mx_conv_geom *g, const float *x, float *col, int cnt, const char *where)
{
    unsigned total = (unsigned)((size_t)g->c * cnt * g->oh * g->ow); /* threads: (ci, s, p) */
    im2col_k<<<mx_cuda_blocks(total, MX_CUDA_THREADS), MX_CUDA_THREADS, 0, mx_cuda_stream()>>>(
        *g, x, col, (unsigned)cnt, total);
    MX_CUDA_LAUNCHED(where);
}

/* Records that the geometry cannot be chunked (one sample past 2^31). */
static void too_large(const char *where)
{
    mx_cuda_note(cudaErrorInvalidValue, where);
}

void mx_cuda_conv_forward(mx_engine *eng, const mx_conv_geom *g, const float *x, const float *w,
                          const float *b, float *y, void *ws)
{
    (void)eng;
    static const char where[] = "conv_forward";
    if (is_empty(g)) return;
    conv_plan pl = plan_of(g);
    if (pl.nb <= 0) {
        too_large(where);
        return;
    }
    const int fg = g->f / g->groups, K = g->c / g->groups * g->kh * g->kw, P = g->oh * g->ow;
    const size_t xs = (size_t)g->c * g->h * g->w, ys = (size_t)g->f * P;
    float *col = (float *)ws, *yt = col + pl.col;
    for (int n0 = 0; n0 < g->n; n0 += pl.nb) {
        const int cnt = g->n - n0 < pl.nb ? g->n - n0 : pl.nb, cp = cnt * P;
        im2col(g, x + (size_t)n0 * xs, col, cnt, where);
        /* yT[g] (fg × cp) = W[g] (fg × K) · col[g] (K × cp) */
        gemm_rm(where, 0, 0, fg, cp, K, w, K, (long long)fg * K, col, cp, (long long)K * cp, 0.0f, yt, cp,
                (long long)fg * cp, g->groups);
        unsigned total = (unsigned)((size_t)cnt * ys);
        to_sample_major_k<<<mx_cuda_blocks(total, MX_CUDA_THREADS), MX_CUDA_THREADS, 0, mx_cuda_stream()>>>(
            yt, b, y + (size_t)n0 * ys, (unsigned)g->f, (unsigned)cnt, (unsigned)P, total);
        MX_CUDA_LAUNCHED(where);
    }
}

/* Zeroes n floats at p (a written gradient of an empty convolution). */
static void zero(float *p, size_t n, const char *where)
{
    if (p && n) mx_cuda_note(cudaMemsetAsync(p, 0, n * sizeof(float), mx_cuda_stream()), where);
}

void mx_cuda_conv_backward(mx_engine *eng, const mx_conv_geom *g, const float *x, const float *w,
                           const float *dy, float *dx, mx_req req_x, float *dw, mx_req req_w,
                           float *db, mx_req req_b, void *ws)
{
    (void)eng;
    static const char where[] = "conv_backward";
    mx_req rx = dx ? req_x : MX_REQ_NULL, rw = dw ? req_w : MX_REQ_NULL, rb = db ? req_b : MX_REQ_NULL;
    if (rx == MX_REQ_NULL && rw == MX_REQ_NULL && rb == MX_REQ_NULL) return;
    if (is_empty(g)) {
        /* no products at all: a written gradient is all zeros */
        if (rx == MX_REQ_WRITE && g->n > 0) zero(dx, (size_t)g->n * g->c * g->h * g->w, where);
        if (rw == MX_REQ_WRITE && g->groups > 0)
            zero(dw, (size_t)g->f * (g->c / g->groups) * g->kh * g->kw, where);
        if (rb == MX_REQ_WRITE && g->f > 0) zero(db, (size_t)g->f, where);
        return;
    }
    conv_plan pl = plan_of(g);
    if (pl.nb <= 0) {
        too_large(where);
        return;
    }
    const int fg = g->f / g->groups, K = g->c / g->groups * g->kh * g->kw, P = g->oh * g->ow;
    const size_t xs = (size_t)g->c * g->h * g->w, ys = (size_t)g->f * P;
    float *col = (float *)ws, *dyt = col + pl.col, *part = dyt + pl.dyt;
    cudaStream_t st = mx_cuda_stream();
    for (int n0 = 0; n0 < g->n; n0 += pl.nb) {
        const int cnt = g->n - n0 < pl.nb ? g->n - n0 : pl.nb, cp = cnt * P, first = n0 == 0;
        unsigned total = (unsigned)((size_t)cnt * ys);
        to_filter_major_k<<<mx_cuda_blocks(total, MX_CUDA_THREADS), MX_CUDA_THREADS, 0, st>>>(
            dy + (size_t)n0 * ys, dyt, (unsigned)g->f, (unsigned)cnt, (unsigned)P, total);
        MX_CUDA_LAUNCHED(where);
        if (rw != MX_REQ_NULL) {
            /* dW[g] (fg × K) (+)= dyT[g] (fg × cp) · col[g]ᵀ (cp × K) */
            im2col(g, x + (size_t)n0 * xs, col, cnt, where);
            float beta = first && rw == MX_REQ_WRITE ? 0.0f : 1.0f;
            gemm_rm(where, 0, 1, fg, K, cp, dyt, cp, (long long)fg * cp, col, cp, (long long)K * cp, beta,
                    dw, K, (long long)fg * K, g->groups);
        }
        if (rb != MX_REQ_NULL) {
            unsigned nseg = (unsigned)((cp + DB_SEG - 1) / DB_SEG);
            if (nseg > DB_SEG_MAX) nseg = DB_SEG_MAX;
            unsigned len = ((unsigned)cp + nseg - 1) / nseg;
            bias_part_k<<<dim3((unsigned)g->f, nseg), DB_THREADS, 0, st>>>(dyt, part, (unsigned)cp, len);
            MX_CUDA_LAUNCHED(where);
            bias_sum_k<<<mx_cuda_blocks((size_t)g->f, MX_CUDA_THREADS), MX_CUDA_THREADS, 0, st>>>(
                part, db, (unsigned)g->f, nseg, !(first && rb == MX_REQ_WRITE));
            MX_CUDA_LAUNCHED(where);
        }
        if (rx == MX_REQ_NULL) continue;
        /* col[g] (K × cp) = W[g]ᵀ (K × fg) · dyT[g] (fg × cp), after the
         * dW product on the same stream, so col may be overwritten */
        gemm_rm(where, 1, 0, K, cp, fg, w, K, (long long)fg * K, dyt, cp, (long long)fg * cp, 0.0f, col, cp,
                (long long)K * cp, g->groups);
        unsigned tx = (unsigned)((size_t)cnt * xs);
        col2im_k<<<mx_cuda_blocks(tx, MX_CUDA_THREADS), MX_CUDA_THREADS, 0, st>>>(
            *g, col, dx + (size_t)n0 * xs, (unsigned)cnt, tx, rx == MX_REQ_ADD);
        MX_CUDA_LAUNCHED(where);
    }
}
