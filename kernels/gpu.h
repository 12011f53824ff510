/*
 * kernels/gpu.h — C launchers for the GPU side of the step.
 *
 * Every launcher enqueues work on g->stream and returns 0, or a negative
 * value after writing a message (file:line, the CUDA/cuBLAS error) into
 * g->err.  Nothing here synchronises, allocates, or prints: the whole step can
 * be captured into a CUDA graph.
 */
#ifndef SB_KERNELS_GPU_H
#define SB_KERNELS_GPU_H

#include <stddef.h>
#include <stdint.h>

#include <cuda_runtime.h>
#include <cublas_v2.h>

#include "step.h"

/* The launchers are defined in C and in CUDA C (.cu, compiled as C++): give
 * them C linkage on both sides. */
#ifdef __cplusplus
extern "C" {
#endif

struct sb_gpu {
	cudaStream_t	 stream;
	cublasHandle_t	 blas;		/* NULL until sb_gpu_blas_init */
	void		*blas_ws;	/* cuBLAS workspace (graphs need one) */
	size_t		 blas_ws_bytes;
	char		 err[256];
};

/*
 * GEMM layouts, all row-major, named by which operand is transposed:
 *   NT  C[m,n] = A[m,k] · B[n,k]^T     forward   y  = in · w^T
 *   TN  C[m,n] = A[k,m]^T · B[k,n]     wgrad     dw = dy^T · in
 *   NN  C[m,n] = A[m,k] · B[k,n]       dgrad     dx = dy · w
 */
enum sb_layout { SB_NT, SB_TN, SB_NN, SB_LAYOUT_COUNT };

typedef int (*sb_gemm_fn)(struct sb_gpu *, enum sb_layout, int64_t m,
    int64_t n, int64_t k, const float *a, const float *b, float *c);

/* A float GEMM implementation: the only thing fp32-step variants differ in. */
struct sb_gemm_f32 {
	const char	*name;		/* "naive", "cublas", "cublas-tf32" */
	sb_gemm_fn	 gemm;
	int		 needs_blas;	/* needs g->blas */
};

extern const struct sb_gemm_f32 sb_gemm_naive_f32;	/* gemm_naive.cu */
extern const struct sb_gemm_f32 sb_gemm_cublas_f32;	/* gemm_cublas.c */
extern const struct sb_gemm_f32 sb_gemm_cublas_tf32;	/* gemm_cublas.c */

int	sb_gpu_blas_init(struct sb_gpu *);
void	sb_gpu_blas_fini(struct sb_gpu *);

/* elementwise.cu — the non-GEMM kernels of the step */
int	sb_bias_add(struct sb_gpu *, float *y, const float *b, int64_t m,
	    int64_t n);
/* y += b; loss_sum += Σ (y - t)^2; dy = 2 (y - t) / (m·n).  loss_sum is not
 * cleared here (the step clears it once). */
int	sb_bias_loss_dy(struct sb_gpu *, float *y, const float *b,
	    const float *t, float *dy, double *loss_sum, int64_t m, int64_t n);
/* db[j] = Σ_i dy[i,j]; dy is (m,n) */
int	sb_bias_grad(struct sb_gpu *, const float *dy, float *db, int64_t m,
	    int64_t n);
/* p -= lr·g over count elements */
int	sb_sgd(struct sb_gpu *, float *p, const float *g, int64_t count,
	    float lr);

/* step_f32.c — the fp32/TF32 step composed from a GEMM implementation and
 * the elementwise kernels.  train = 0 runs the forward pass (bias included)
 * only.  phase (may be NULL) is called at each phase boundary. */
int	sb_step_f32(struct sb_gpu *, const struct sb_gemm_f32 *,
	    struct sb_dstep *, int train, sb_phase_fn phase, void *phase_ctx);

/* Record "what failed where" into g->err; returns -1. */
int	sb_gpu_fail(struct sb_gpu *, const char *file, int line,
	    const char *what, const char *detail);

#define SB_CUDA_CHECK(g, call) do {					\
	cudaError_t sb_e_ = (call);					\
	if (sb_e_ != cudaSuccess)					\
		return sb_gpu_fail((g), __FILE__, __LINE__, #call,	\
		    cudaGetErrorString(sb_e_));				\
} while (0)

#ifdef __cplusplus
}
#endif

#endif
