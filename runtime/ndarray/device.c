/* device.c — memory and copies per context: plain host memory for the
 * CPU, the CUDA runtime for GPUs (cuda=1 builds only; the others say how
 * to get one, unless a test turned on host stand-ins, mx_dev_fake_gpus). */
#include "device.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mx/arena.h"

#ifdef MX_HAVE_CUDA
#include "kernels/cuda/cuda_rt.h"
#else
/* Host stand-ins for GPUs: gpu:0..fake_gpus-1 get their own host memory
 * behind every device path (separate arrays, explicit copies, counted
 * allocations), the CPU kernels and no graphs. Only tests turn them on. */
static int fake_gpus;
static long fake_allocs;

static int is_fake(mx_ctx c) { return c.dev_type == MX_GPU && c.dev_id >= 0 && c.dev_id < fake_gpus; }

/* MX_TEST_STAND_IN_GPUS=N turns on N stand-ins for a whole process (the
 * apps under mpirun in tests/test_mpi.sh), said on stderr. Read once,
 * unless mx_dev_fake_gpus came first. */
static int env_read;

static void stand_ins_from_env(void)
{
    if (__atomic_exchange_n(&env_read, 1, __ATOMIC_ACQ_REL)) return;
    const char *v = getenv("MX_TEST_STAND_IN_GPUS");
    int n = v ? atoi(v) : 0;
    if (n <= 0) return;
    fake_gpus = n;
    fprintf(stderr, "mxrt: MX_TEST_STAND_IN_GPUS=%d: gpu:0..%d are host stand-ins running the CPU kernels "
                    "(a test hook, not a GPU)\n", n, n - 1);
}
#endif

mx_status mx_dev_fake_gpus(int n)
{
#ifdef MX_HAVE_CUDA
    (void)n;
    return mx_set_error(MX_ENOTSUP, "host stand-in GPUs exist only in builds without cuda=1");
#else
    __atomic_store_n(&env_read, 1, __ATOMIC_RELEASE);
    fake_gpus = n > 0 ? n : 0;
    return MX_OK;
#endif
}

int mx_dev_can_record(mx_ctx ctx)
{
#ifdef MX_HAVE_CUDA
    return ctx.dev_type == MX_GPU;
#else
    (void)ctx;
    return 0;
#endif
}

int mx_gpu_count(void)
{
#ifdef MX_HAVE_CUDA
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) return 0;
    return n;
#else
    stand_ins_from_env();
    return fake_gpus;
#endif
}

mx_status mx_dev_check(mx_ctx ctx)
{
    if (ctx.dev_type == MX_CPU) return MX_OK;
    if (ctx.dev_type != MX_GPU) return mx_set_error(MX_EINVAL, "unknown device type %d", (int)ctx.dev_type);
#ifdef MX_HAVE_CUDA
    static int ready[MX_CUDA_MAX_DEVICES]; /* set once a device is up: the check is then free */
    if (ctx.dev_id >= 0 && ctx.dev_id < MX_CUDA_MAX_DEVICES && __atomic_load_n(&ready[ctx.dev_id], __ATOMIC_ACQUIRE))
        return MX_OK;
    int n = 0;
    cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess)
        return mx_set_error(MX_ENOTSUP, "context GPU%d: no usable CUDA GPU or driver (%s)", ctx.dev_id,
                            cudaGetErrorString(e));
    if (ctx.dev_id < 0 || ctx.dev_id >= n)
        return mx_set_error(MX_EINVAL, "context GPU%d: this machine has %d GPU%s (gpu:0..%d)", ctx.dev_id, n,
                            n == 1 ? "" : "s", n - 1);
    char err[256];
    if (mx_cuda_init_device(ctx.dev_id, err, sizeof err) != 0)
        return mx_set_error(MX_ENOTSUP, "context %s", err);
    __atomic_store_n(&ready[ctx.dev_id], 1, __ATOMIC_RELEASE);
    return MX_OK;
#else
    stand_ins_from_env();
    if (is_fake(ctx)) return MX_OK;
    return mx_set_error(MX_ENOTSUP, "context GPU%d: this build of mxrt has no GPU support (build with scons cuda=1)",
                        ctx.dev_id);
#endif
}

void mx_dev_use(mx_ctx ctx)
{
#ifdef MX_HAVE_CUDA
    if (ctx.dev_type == MX_GPU) mx_cuda_use(ctx.dev_id);
#else
    (void)ctx;
#endif
}

void *mx_dev_alloc(mx_ctx ctx, size_t bytes)
{
    if (!bytes) bytes = MX_ARENA_ALIGN;
#ifndef MX_HAVE_CUDA
    if (is_fake(ctx)) fake_allocs++;
    if (is_fake(ctx) || ctx.dev_type == MX_CPU) {
#else
    if (ctx.dev_type == MX_CPU) {
#endif
        void *p = NULL;
        if (posix_memalign(&p, MX_ARENA_ALIGN, bytes) != 0) {
            mx_set_error(MX_ENOMEM, "cannot allocate %zu bytes", bytes);
            return NULL;
        }
        return p;
    }
#ifdef MX_HAVE_CUDA
    if (mx_dev_check(ctx) != MX_OK) return NULL;
    void *p = NULL;
    cudaError_t e = cudaMalloc(&p, bytes); /* 256-byte aligned */
    mx_cuda_count_alloc();
    if (e != cudaSuccess) {
        mx_set_error(MX_ENOMEM, "GPU%d: cannot allocate %zu bytes of device memory (%s)", ctx.dev_id, bytes,
                     cudaGetErrorString(e));
        return NULL;
    }
    return p;
#else
    mx_dev_check(ctx);
    return NULL;
#endif
}

void mx_dev_free(mx_ctx ctx, void *p)
{
    if (!p) return;
#ifndef MX_HAVE_CUDA
    if (is_fake(ctx)) fake_allocs++;
    if (is_fake(ctx) || ctx.dev_type == MX_CPU) {
#else
    if (ctx.dev_type == MX_CPU) {
#endif
        free(p);
        return;
    }
#ifdef MX_HAVE_CUDA
    mx_cuda_use(ctx.dev_id);
    cudaFree(p);
    mx_cuda_count_alloc();
#endif
}

#ifdef MX_HAVE_CUDA
static mx_status take_kernel_error(void)
{
    char msg[256];
    if (mx_cuda_take_error(msg, sizeof msg)) return mx_set_error(MX_EIO, "%s", msg);
    return MX_OK;
}
#endif

static long copy_calls;

long mx_dev_copy_calls(void) { return __atomic_load_n(&copy_calls, __ATOMIC_RELAXED); }

/* Both copies queue on the device's current stream. From pageable host
 * memory cudaMemcpyAsync returns once the source is staged, so a caller
 * may reuse it at once. */
mx_status mx_dev_copy_async(void *dst, mx_ctx dctx, const void *src, mx_ctx sctx, size_t bytes)
{
    if (!bytes) return MX_OK;
    if (dctx.dev_type == MX_CPU && sctx.dev_type == MX_CPU) {
        memmove(dst, src, bytes);
        return MX_OK;
    }
    __atomic_fetch_add(&copy_calls, 1, __ATOMIC_RELAXED);
#ifdef MX_HAVE_CUDA
    mx_cuda_use((dctx.dev_type == MX_GPU ? dctx : sctx).dev_id);
    cudaError_t e = cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDefault, mx_cuda_stream());
    if (e != cudaSuccess) {
        char a[16], b[16];
        return mx_set_error(MX_EIO, "copy of %zu bytes %s -> %s: %s", bytes, mx_ctx_str(sctx, a, sizeof a),
                            mx_ctx_str(dctx, b, sizeof b), cudaGetErrorString(e));
    }
    return MX_OK;
#else
    mx_status st = mx_dev_check(dctx.dev_type == MX_GPU ? dctx : sctx);
    if (st == MX_OK) st = mx_dev_check(sctx.dev_type == MX_GPU ? sctx : dctx);
    if (st == MX_OK) memmove(dst, src, bytes); /* stand-ins */
    return st;
#endif
}

mx_status mx_dev_copy(void *dst, mx_ctx dctx, const void *src, mx_ctx sctx, size_t bytes)
{
    mx_status st = mx_dev_copy_async(dst, dctx, src, sctx, bytes);
    /* To the host: the caller reads it next, so wait (and report errors). */
    if (st == MX_OK && bytes && dctx.dev_type == MX_CPU && sctx.dev_type != MX_CPU) st = mx_dev_sync(sctx);
    return st;
}

mx_status mx_dev_zero(mx_ctx ctx, void *p, size_t bytes)
{
    if (!bytes) return MX_OK;
    if (ctx.dev_type == MX_CPU) {
        memset(p, 0, bytes);
        return MX_OK;
    }
#ifdef MX_HAVE_CUDA
    mx_cuda_use(ctx.dev_id);
    cudaError_t e = cudaMemsetAsync(p, 0, bytes, mx_cuda_stream());
    if (e != cudaSuccess) return mx_set_error(MX_EIO, "GPU%d: memset: %s", ctx.dev_id, cudaGetErrorString(e));
    return MX_OK;
#else
    mx_status st = mx_dev_check(ctx);
    if (st == MX_OK) memset(p, 0, bytes); /* a stand-in */
    return st;
#endif
}

mx_status mx_dev_sync(mx_ctx ctx)
{
    if (ctx.dev_type == MX_CPU) return MX_OK;
#ifdef MX_HAVE_CUDA
    mx_cuda_use(ctx.dev_id);
    cudaError_t e = cudaStreamSynchronize(mx_cuda_stream());
    if (e != cudaSuccess) return mx_set_error(MX_EIO, "GPU%d: %s", ctx.dev_id, cudaGetErrorString(e));
    return take_kernel_error();
#else
    return mx_dev_check(ctx);
#endif
}

mx_status mx_dev_poll(mx_ctx ctx)
{
    if (ctx.dev_type == MX_CPU) return MX_OK;
#ifdef MX_HAVE_CUDA
    return take_kernel_error();
#else
    return mx_dev_check(ctx);
#endif
}

/* Staging memory carries a 64-byte prefix saying how it was allocated
 * (page-locked by CUDA, or plain), so it is freed the same way. */
enum { HOST_PLAIN = 1, HOST_PINNED = 2 };

void *mx_dev_host_alloc(size_t bytes)
{
    size_t total = bytes + MX_ARENA_ALIGN;
    unsigned char *p = NULL;
    int kind = HOST_PLAIN;
#ifdef MX_HAVE_CUDA
    if (mx_gpu_count() > 0 && cudaMallocHost((void **)&p, total) == cudaSuccess) kind = HOST_PINNED;
    else p = NULL;
#endif
    if (!p && posix_memalign((void **)&p, MX_ARENA_ALIGN, total) != 0) {
        mx_set_error(MX_ENOMEM, "cannot allocate %zu bytes of staging memory", bytes);
        return NULL;
    }
    memcpy(p, &kind, sizeof kind);
    return p + MX_ARENA_ALIGN;
}

void mx_dev_host_free(void *q)
{
    if (!q) return;
    unsigned char *p = (unsigned char *)q - MX_ARENA_ALIGN;
    int kind;
    memcpy(&kind, p, sizeof kind);
#ifdef MX_HAVE_CUDA
    if (kind == HOST_PINNED) {
        cudaFreeHost(p);
        return;
    }
#endif
    free(p);
}

mx_status mx_dev_graph_begin(mx_ctx ctx)
{
#ifdef MX_HAVE_CUDA
    if (ctx.dev_type != MX_GPU) return mx_set_error(MX_EINVAL, "graph capture needs a GPU context");
    mx_cuda_use(ctx.dev_id);
    cudaError_t e = cudaStreamBeginCapture(mx_cuda_stream(), cudaStreamCaptureModeThreadLocal);
    if (e != cudaSuccess) return mx_set_error(MX_EIO, "GPU%d: graph capture: %s", ctx.dev_id, cudaGetErrorString(e));
    return MX_OK;
#else
    return mx_dev_check(ctx.dev_type == MX_GPU ? ctx : mx_gpu(0));
#endif
}

mx_status mx_dev_graph_end(mx_ctx ctx, void **graph)
{
    *graph = NULL;
#ifdef MX_HAVE_CUDA
    mx_cuda_use(ctx.dev_id);
    cudaGraph_t g = NULL;
    cudaError_t e = cudaStreamEndCapture(mx_cuda_stream(), &g);
    char msg[256];
    int kernel_err = mx_cuda_take_error(msg, sizeof msg); /* a launch that failed while recording */
    cudaGraphExec_t x = NULL;
    if (e == cudaSuccess && !kernel_err) e = cudaGraphInstantiate(&x, g, 0);
    if (g) cudaGraphDestroy(g);
    if (kernel_err) return mx_set_error(MX_EIO, "graph capture: %s", msg);
    if (e != cudaSuccess) {
        cudaGetLastError();
        return mx_set_error(MX_EIO, "GPU%d: graph capture: %s", ctx.dev_id, cudaGetErrorString(e));
    }
    *graph = x;
    return MX_OK;
#else
    (void)ctx;
    return mx_set_error(MX_ENOTSUP, "graph capture needs a cuda=1 build");
#endif
}

mx_status mx_dev_graph_launch(mx_ctx ctx, void *graph)
{
#ifdef MX_HAVE_CUDA
    mx_cuda_use(ctx.dev_id);
    cudaError_t e = cudaGraphLaunch((cudaGraphExec_t)graph, mx_cuda_stream());
    if (e != cudaSuccess) return mx_set_error(MX_EIO, "GPU%d: graph launch: %s", ctx.dev_id, cudaGetErrorString(e));
    return MX_OK;
#else
    (void)ctx;
    (void)graph;
    return mx_set_error(MX_ENOTSUP, "graph launch needs a cuda=1 build");
#endif
}

void mx_dev_graph_free(void *graph)
{
#ifdef MX_HAVE_CUDA
    if (graph) cudaGraphExecDestroy((cudaGraphExec_t)graph);
#else
    (void)graph;
#endif
}

int mx_dev_lanes(mx_ctx ctx)
{
#ifdef MX_HAVE_CUDA
    if (ctx.dev_type == MX_GPU) return MX_CUDA_LANES;
#endif
    (void)ctx;
    return 1;
}

void mx_dev_set_lane(mx_ctx ctx, int lane)
{
#ifdef MX_HAVE_CUDA
    if (ctx.dev_type == MX_GPU) mx_cuda_set_lane(lane);
#else
    (void)ctx;
    (void)lane;
#endif
}

mx_status mx_dev_events(mx_ctx ctx, int n, void **ev)
{
    for (int i = 0; i < n; i++) ev[i] = NULL;
#ifdef MX_HAVE_CUDA
    mx_cuda_use(ctx.dev_id);
    for (int i = 0; i < n; i++) {
        cudaError_t e = cudaEventCreateWithFlags((cudaEvent_t *)&ev[i], cudaEventDisableTiming);
        if (e != cudaSuccess) {
            mx_dev_events_free(ev, i);
            return mx_set_error(MX_EIO, "GPU%d: events: %s", ctx.dev_id, cudaGetErrorString(e));
        }
    }
    return MX_OK;
#else
    return n ? mx_dev_check(ctx.dev_type == MX_GPU ? ctx : mx_gpu(0)) : MX_OK;
#endif
}

void mx_dev_events_free(void **ev, int n)
{
#ifdef MX_HAVE_CUDA
    for (int i = 0; i < n; i++)
        if (ev[i]) cudaEventDestroy((cudaEvent_t)ev[i]);
#endif
    for (int i = 0; i < n; i++) ev[i] = NULL;
}

mx_status mx_dev_record(mx_ctx ctx, int lane, void *ev)
{
#ifdef MX_HAVE_CUDA
    mx_cuda_use(ctx.dev_id);
    cudaError_t e = cudaEventRecord((cudaEvent_t)ev, mx_cuda_lane_stream(lane));
    if (e != cudaSuccess) return mx_set_error(MX_EIO, "GPU%d: event record: %s", ctx.dev_id, cudaGetErrorString(e));
    return MX_OK;
#else
    (void)lane;
    (void)ev;
    return mx_dev_check(ctx.dev_type == MX_GPU ? ctx : mx_gpu(0));
#endif
}

mx_status mx_dev_wait(mx_ctx ctx, int lane, void *ev)
{
#ifdef MX_HAVE_CUDA
    mx_cuda_use(ctx.dev_id);
    cudaError_t e = cudaStreamWaitEvent(mx_cuda_lane_stream(lane), (cudaEvent_t)ev, 0);
    if (e != cudaSuccess) return mx_set_error(MX_EIO, "GPU%d: event wait: %s", ctx.dev_id, cudaGetErrorString(e));
    return MX_OK;
#else
    (void)lane;
    (void)ev;
    return mx_dev_check(ctx.dev_type == MX_GPU ? ctx : mx_gpu(0));
#endif
}

long mx_dev_alloc_calls(void)
{
#ifdef MX_HAVE_CUDA
    return mx_cuda_alloc_calls();
#else
    return fake_allocs;
#endif
}
