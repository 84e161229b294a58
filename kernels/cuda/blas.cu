/* blas.cu — the CUDA kernels of FullyConnected: GEMM through cuBLAS, the
 * bias broadcast and the bias gradient (column sums). cuBLAS is
 * column-major, and a row-major matrix read column-major is its
 * transpose, so C = op(A)·op(B) is computed as Cᵀ = op(B)ᵀ·op(A)ᵀ with
 * the operands swapped: no copies, no transposes. The handle keeps
 * cuBLAS's default math mode, so products stay full FP32 (no TF32). */
#include "cuda_util.cuh"

/* C (m×n, row stride ldc) = beta·C, for k == 0, where cuBLAS would insist
 * on leading dimensions ≥ 1 of operands it never reads. beta == 0 never
 * reads C (BLAS semantics: NaNs there do not survive). */
__global__ static void scale_c_kernel(float *c, size_t m, size_t n, size_t ldc, float beta)
{
    MX_CUDA_FOR(i, m * n) {
        float *p = c + (i / n) * ldc + i % n;
        *p = beta == 0.0f ? 0.0f : beta * *p;
    }
}

void mx_cuda_gemm(mx_engine *eng, int ta, int tb, int m, int n, int k, float alpha, const float *a,
                  int lda, const float *b, int ldb, float beta, float *c, int ldc)
{
    (void)eng;
    if (m <= 0 || n <= 0) return;
    if (k <= 0) {
        size_t mn = (size_t)m * (size_t)n;
        scale_c_kernel<<<mx_cuda_blocks(mn, MX_CUDA_THREADS), MX_CUDA_THREADS, 0, mx_cuda_stream()>>>(
            c, (size_t)m, (size_t)n, (size_t)ldc, beta);
        MX_CUDA_LAUNCHED("gemm");
        return;
    }
    cublasStatus_t s = cublasSgemm(mx_cuda_blas(), tb ? CUBLAS_OP_T : CUBLAS_OP_N,
                                   ta ? CUBLAS_OP_T : CUBLAS_OP_N, n, m, k, &alpha, b, ldb, a, lda,
                                   &beta, c, ldc);
    if (s != CUBLAS_STATUS_SUCCESS) mx_cuda_note_blas(s, "gemm");
}

__global__ static void fill_rows_kernel(float *y, const float *bias, size_t rows, size_t cols)
{
    MX_CUDA_FOR(i, rows * cols) y[i] = bias[i % cols];
}

void mx_cuda_fill_rows(mx_engine *eng, float *y, const float *bias, size_t rows, size_t cols)
{
    (void)eng;
    size_t total = rows * cols;
    if (total == 0) return;
    fill_rows_kernel<<<mx_cuda_blocks(total, MX_CUDA_THREADS), MX_CUDA_THREADS, 0, mx_cuda_stream()>>>(
        y, bias, rows, cols);
    MX_CUDA_LAUNCHED("fill_rows");
}

/* Column sums by tiles of SUM_COLS columns: the SUM_LANES row lanes of a
 * tile each sum every SUM_LANES-th row (a warp reads one row's SUM_COLS
 * consecutive floats: coalesced), then lane 0 adds the lanes' partials in
 * lane order. The split depends on the shape only, so every run gives the
 * same bits (the CPU sums rows in order: equal within rounding). */
#define SUM_COLS 32
#define SUM_LANES 16

__global__ static void sum_rows_kernel(float *db, const float *dy, size_t rows, size_t cols, mx_req req)
{
    __shared__ float part[SUM_LANES][SUM_COLS + 1];
    size_t col = (size_t)blockIdx.x * SUM_COLS + threadIdx.x;
    float acc = 0.0f;
    if (col < cols)
        for (size_t r = threadIdx.y; r < rows; r += SUM_LANES) acc += dy[r * cols + col];
    part[threadIdx.y][threadIdx.x] = acc;
    __syncthreads();
    if (threadIdx.y != 0 || col >= cols) return;
    float s = 0.0f;
    for (int l = 0; l < SUM_LANES; l++) s += part[l][threadIdx.x];
    if (req == MX_REQ_ADD) db[col] += s;
    else db[col] = s;
}

void mx_cuda_sum_rows(mx_engine *eng, float *db, const float *dy, size_t rows, size_t cols, mx_req req)
{
    (void)eng;
    if (req == MX_REQ_NULL || cols == 0) return;
    size_t tiles = (cols + SUM_COLS - 1) / SUM_COLS;
    sum_rows_kernel<<<(unsigned)tiles, dim3(SUM_COLS, SUM_LANES), 0, mx_cuda_stream()>>>(db, dy, rows,
                                                                                       cols, req);
    MX_CUDA_LAUNCHED("sum_rows");
}
