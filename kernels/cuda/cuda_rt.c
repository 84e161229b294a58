/* cuda_rt.c — per-device stream and cuBLAS handle, created once per
 * device on first use (at bind or array creation, never in a step), and
 * the sticky error record the kernels report into. */
#include "cuda_rt.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* cuBLAS wants a workspace for some GEMM paths; 32 MiB covers Hopper's
 * recommendation for lane 0, and giving it ours keeps it from
 * cudaMalloc'ing. The other lanes run the small GEMMs of recorded graphs. */
#define BLAS_WORKSPACE_BYTES (32u << 20)
#define LANE_WORKSPACE_BYTES (4u << 20)

typedef struct dev_state {
    int ready;
    cudaStream_t stream[MX_CUDA_LANES];
    cublasHandle_t blas[MX_CUDA_LANES];
    void *blas_ws[MX_CUDA_LANES];
} dev_state;

static dev_state devs[MX_CUDA_MAX_DEVICES];
static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;
static _Thread_local int current, lane;
static pthread_mutex_t err_lock = PTHREAD_MUTEX_INITIALIZER;
static char err_msg[256];
static int err_set;
static long alloc_calls;

int mx_cuda_init_device(int dev, char *err, size_t cap)
{
    if (dev < 0 || dev >= MX_CUDA_MAX_DEVICES) {
        snprintf(err, cap, "GPU%d: mxrt handles devices 0..%d", dev, MX_CUDA_MAX_DEVICES - 1);
        return -1;
    }
    pthread_mutex_lock(&init_lock);
    dev_state *d = &devs[dev];
    int rc = 0;
    if (!d->ready) {
        cudaError_t e = cudaSetDevice(dev);
        for (int l = 0; l < MX_CUDA_LANES && e == cudaSuccess && rc == 0; l++) {
            size_t ws = l ? LANE_WORKSPACE_BYTES : BLAS_WORKSPACE_BYTES;
            e = cudaStreamCreateWithFlags(&d->stream[l], cudaStreamNonBlocking);
            if (e == cudaSuccess) {
                e = cudaMalloc(&d->blas_ws[l], ws);
                mx_cuda_count_alloc();
            }
            if (e != cudaSuccess) break;
            cublasStatus_t s = cublasCreate(&d->blas[l]);
            if (s == CUBLAS_STATUS_SUCCESS) s = cublasSetStream(d->blas[l], d->stream[l]);
            if (s == CUBLAS_STATUS_SUCCESS) s = cublasSetWorkspace(d->blas[l], d->blas_ws[l], ws);
            if (s != CUBLAS_STATUS_SUCCESS) {
                snprintf(err, cap, "GPU%d: cuBLAS: %s", dev, cublasGetStatusString(s));
                rc = -1;
            }
        }
        if (e != cudaSuccess) {
            snprintf(err, cap, "GPU%d: %s", dev, cudaGetErrorString(e));
            rc = -1;
        }
        if (rc == 0) d->ready = 1;
    }
    pthread_mutex_unlock(&init_lock);
    if (rc == 0) mx_cuda_use(dev);
    return rc;
}

void mx_cuda_use(int dev)
{
    if (dev != current || !devs[dev].ready) cudaSetDevice(dev);
    current = dev;
}

int mx_cuda_current(void) { return current; }
cudaStream_t mx_cuda_stream(void) { return devs[current].stream[lane]; }
cublasHandle_t mx_cuda_blas(void) { return devs[current].blas[lane]; }
void mx_cuda_set_lane(int l) { lane = l; }
cudaStream_t mx_cuda_lane_stream(int l) { return devs[current].stream[l]; }

static void note_msg(const char *what, const char *where)
{
    pthread_mutex_lock(&err_lock);
    if (!err_set) {
        snprintf(err_msg, sizeof err_msg, "GPU%d: %s: %s", current, where, what);
        err_set = 1;
    }
    pthread_mutex_unlock(&err_lock);
}

void mx_cuda_note(cudaError_t e, const char *where)
{
    if (e != cudaSuccess) note_msg(cudaGetErrorString(e), where);
}

void mx_cuda_note_blas(cublasStatus_t s, const char *where)
{
    if (s != CUBLAS_STATUS_SUCCESS) note_msg(cublasGetStatusString(s), where);
}

int mx_cuda_take_error(char *buf, size_t cap)
{
    pthread_mutex_lock(&err_lock);
    int had = err_set;
    if (had) snprintf(buf, cap, "%s", err_msg);
    err_set = 0;
    pthread_mutex_unlock(&err_lock);
    return had;
}

long mx_cuda_alloc_calls(void) { return __atomic_load_n(&alloc_calls, __ATOMIC_RELAXED); }
void mx_cuda_count_alloc(void) { __atomic_fetch_add(&alloc_calls, 1, __ATOMIC_RELAXED); }
