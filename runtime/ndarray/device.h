/* device.h — private: memory and copies per context. The runtime's one
 * door to a GPU: every cudaMalloc, cudaFree and copy of mxrt goes through
 * here (kernels/cuda/cuda_rt.c excepted: it takes cuBLAS's workspace),
 * so the hot-path test can count them. Without cuda=1 a GPU context is
 * an error naming the build option. */
#ifndef MX_RUNTIME_DEVICE_H
#define MX_RUNTIME_DEVICE_H

#include <stddef.h>
#include "mx/context.h"
#include "mx/error.h"
#include "kernels/kernels.h"

/* Checks ctx is usable (GPU: cuda=1 build, a driver, device present) and
 * sets it up once; the error names the context and the reason. */
mx_status mx_dev_check(mx_ctx ctx);

/* Makes ctx the calling thread's current device (no-op for the CPU). */
void mx_dev_use(mx_ctx ctx);

/* bytes of memory on ctx, 64-byte aligned; NULL with an error. */
void *mx_dev_alloc(mx_ctx ctx, size_t bytes);

/* Frees memory from mx_dev_alloc (NULL is fine). */
void mx_dev_free(mx_ctx ctx, void *p);

/* Copies bytes from src on sctx to dst on dctx. Copies to the host wait
 * for the device's queued work (and report its errors); copies to a
 * device are queued behind it. */
mx_status mx_dev_copy(void *dst, mx_ctx dctx, const void *src, mx_ctx sctx, size_t bytes);

/* Like mx_dev_copy, but a copy to the host only queues too: the data is
 * there after the next mx_dev_sync (host memory from mx_dev_host_alloc
 * makes it truly asynchronous). */
mx_status mx_dev_copy_async(void *dst, mx_ctx dctx, const void *src, mx_ctx sctx, size_t bytes);

/* Sets bytes of device (or host) memory to zero, queued like a kernel. */
mx_status mx_dev_zero(mx_ctx ctx, void *p, size_t bytes);

/* Waits for ctx's queued work; returns the first kernel error recorded. */
mx_status mx_dev_sync(mx_ctx ctx);

/* The first kernel error recorded since the last check, without waiting. */
mx_status mx_dev_poll(mx_ctx ctx);

/* Page-locked host memory for staging batches (plain memory on CPU-only
 * builds); freed with mx_dev_host_free. */
void *mx_dev_host_alloc(size_t bytes);

/* Frees mx_dev_host_alloc memory. */
void mx_dev_host_free(void *p);

/* Starts recording what is queued on ctx's stream from this thread into
 * a CUDA graph instead of running it (GPU contexts only). */
mx_status mx_dev_graph_begin(mx_ctx ctx);

/* Ends the recording: *graph gets a launchable graph, or NULL with an
 * error when the recorded work could not be captured. */
mx_status mx_dev_graph_end(mx_ctx ctx, void **graph);

/* Queues a recorded graph on ctx's stream: all its kernels for the cost
 * of one launch. */
mx_status mx_dev_graph_launch(mx_ctx ctx, void *graph);

/* Frees a recorded graph (NULL is fine). */
void mx_dev_graph_free(void *graph);

/* Lanes (streams) of ctx a recorded graph may spread independent ops
 * over (1 for the CPU). */
int mx_dev_lanes(mx_ctx ctx);

/* Makes lane the calling thread's current lane on ctx (kernels go there). */
void mx_dev_set_lane(mx_ctx ctx, int lane);

/* Creates n ordering events for ctx into ev (freed with mx_dev_events_free). */
mx_status mx_dev_events(mx_ctx ctx, int n, void **ev);

/* Frees n events from mx_dev_events. */
void mx_dev_events_free(void **ev, int n);

/* Marks the point reached by lane's queue with event ev. */
mx_status mx_dev_record(mx_ctx ctx, int lane, void *ev);

/* Makes lane's later work wait for event ev. */
mx_status mx_dev_wait(mx_ctx ctx, int lane, void *ev);

/* cudaMalloc + cudaFree calls made so far (without cuda=1: the
 * stand-ins' allocations and frees). */
long mx_dev_alloc_calls(void);

/* Copies to, from or between devices made so far (each one call of the
 * CUDA runtime; with stand-ins, theirs). */
long mx_dev_copy_calls(void);

/* 1 when work queued on ctx can be recorded as a graph (a CUDA GPU). */
int mx_dev_can_record(mx_ctx ctx);

/* Test hook, builds without cuda=1: n > 0 makes gpu:0..n-1 host stand-ins
 * (own host memory behind every device path, explicit copies, counted
 * allocations, the CPU kernels, no graphs), so the GPU code paths of
 * bind, FeedForward and the KVStore run where there is no GPU; 0 turns
 * them off (free what lives on them first). MX_ENOTSUP in cuda=1 builds. The environment variable
 * MX_TEST_STAND_IN_GPUS=n does the same for a whole process. */
mx_status mx_dev_fake_gpus(int n);

/* The kernel table of a context (kernels/cpu or kernels/cuda; the CPU's
 * for a host stand-in GPU), or NULL with an error if unsupported. */
const mx_kernels *mx_kernels_for(mx_ctx ctx);

#endif
