/*
 * kernels/gpu_int.h — private helpers of the GPU launchers in kernels/ (not
 * for harness/, which sees gpu.h only): the cuBLAS error check and the size
 * of the cuBLAS workspace.
 */
#ifndef SB_KERNELS_GPU_INT_H
#define SB_KERNELS_GPU_INT_H

#include "gpu.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Text for a cuBLAS status ("the GPU program failed to execute"); never NULL. */
const char	*sb_blas_status_string(cublasStatus_t);

#ifdef __cplusplus
}
#endif

/* Like SB_CUDA_CHECK, for calls that return a cublasStatus_t. */
#define SB_BLAS_CHECK(g, call) do {					\
	cublasStatus_t sb_s_ = (call);					\
	if (sb_s_ != CUBLAS_STATUS_SUCCESS)				\
		return sb_gpu_fail((g), __FILE__, __LINE__, #call,	\
		    sb_blas_status_string(sb_s_));			\
} while (0)

/* cuBLAS workspace: 32 MiB is what NVIDIA recommends for Hopper (4 MiB
 * suffices before it).  A user-set workspace keeps cuBLAS from allocating
 * during stream capture, which would break CUDA graphs. */
#define SB_BLAS_WS_BYTES	((size_t)32 << 20)

#endif
