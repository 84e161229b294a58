/* cuda_rt.h — private: the per-device CUDA state shared by the kernels
 * and the runtime's device layer (runtime/ndarray/device.c): MX_CUDA_LANES
 * streams ("lanes"), each with a cuBLAS handle and a workspace we own, so
 * cuBLAS never allocates during a step and GEMMs on different lanes never
 * share scratch. Everything runs on lane 0 except while an executor
 * records a CUDA graph, when independent ops go to other lanes so the
 * graph replays them side by side. Kernels launch asynchronously; the first failed
 * launch or call is recorded and reported at the next synchronisation,
 * because kernel entries return nothing. */
#ifndef MX_KERNELS_CUDA_RT_H
#define MX_KERNELS_CUDA_RT_H

#include <stddef.h>
#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MX_CUDA_MAX_DEVICES 16
#define MX_CUDA_LANES 8

/* Sets up device dev once (stream, cuBLAS handle and its workspace);
 * 0 on success, else -1 with the reason in err. */
int mx_cuda_init_device(int dev, char *err, size_t cap);

/* Makes dev the calling thread's current device (cudaSetDevice). */
void mx_cuda_use(int dev);

/* The calling thread's current device. */
int mx_cuda_current(void);

/* Stream of the current device's current lane (kernels launch here). */
cudaStream_t mx_cuda_stream(void);

/* cuBLAS handle of the current device's current lane, bound to its stream. */
cublasHandle_t mx_cuda_blas(void);

/* Makes lane (0..MX_CUDA_LANES-1) the calling thread's current lane. */
void mx_cuda_set_lane(int lane);

/* Stream of lane of the current device. */
cudaStream_t mx_cuda_lane_stream(int lane);

/* Records e (if an error and none is recorded yet) with where. */
void mx_cuda_note(cudaError_t e, const char *where);

/* Records a failed cuBLAS status with where. */
void mx_cuda_note_blas(cublasStatus_t s, const char *where);

/* Returns 1 and the message of the recorded error (clearing it), else 0. */
int mx_cuda_take_error(char *buf, size_t cap);

/* Calls to cudaMalloc/cudaFree made by mxrt since start (device layer). */
long mx_cuda_alloc_calls(void);

/* Counts one cudaMalloc or cudaFree made by the device layer. */
void mx_cuda_count_alloc(void);

#ifdef __cplusplus
}
#endif

#endif
