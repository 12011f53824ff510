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

#include "layout.h"
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
	void		*lt;		/* cublasLtHandle_t, NULL until
					 * sb_gpu_blas_init */
	void		*lt_ws;		/* cuBLASLt workspace */
	size_t		 lt_ws_bytes;
	uint64_t	 launches;	/* kernel launches, memsets and library
					 * calls enqueued so far (each +1) */
	char		 err[256];
};

/*
 * One GEMM call, C = op(A)·op(B) (+ bias), in a layout of layout.h:
 *   NT: a is (m,k), b is (n,k);  TN: a is (k,m), b is (k,n);
 *   NN: a is (m,k), b is (k,n);  c is (m,n); all row-major with the leading
 *   dimensions lda, ldb, ldc (elements; sb_gemm_call_init sets the packed
 *   ones).  bias, when not NULL, is added to every row of c in the GEMM's
 *   epilogue: only implementations with bias_epilogue = 1 accept it.
 */
struct sb_gemm_call {
	enum sb_layout	 layout;
	int64_t		 m, n, k;
	const float	*a;
	int64_t		 lda;
	const float	*b;
	int64_t		 ldb;
	float		*c;
	int64_t		 ldc;
	const float	*bias;
};

/* What one kernel launch is and what it costs the SM: the launch shape from
 * the launcher, the rest from cudaFuncGetAttributes and the occupancy API. */
struct sb_kernel_info {
	char		 name[96];	/* e.g. "gemm_f32.warptile.nt.vec4" */
	unsigned	 grid[3], block[3];
	size_t		 dyn_smem;	/* bytes per CTA, dynamic */
	int		 regs;		/* per thread */
	int		 static_smem;	/* bytes per CTA */
	int		 local_bytes;	/* per thread: > 0 means spills/stack */
	int		 max_threads;	/* per CTA, for this kernel */
	int		 ctas_per_sm;	/* resident CTAs per SM at this launch */
	int		 ptx_version, binary_version;	/* ×10, e.g. 90 */
};

/* Fills info for kernel (a __global__ function's address) launched as
 * grid x block with dyn_smem bytes of dynamic shared memory: the name and
 * launch shape as given, the rest from cudaFuncGetAttributes and the
 * occupancy API (launches nothing).  0, or -1 and why in g->err. */
int	sb_kernel_info_fill(struct sb_gpu *, struct sb_kernel_info *info,
	    const char *name, const void *kernel, const unsigned grid[3],
	    const unsigned block[3], size_t dyn_smem);

typedef int (*sb_gemm_fn)(struct sb_gpu *, const struct sb_gemm_call *);
/* Fills info for the kernel a call would launch (launches nothing). */
typedef int (*sb_gemm_describe_fn)(struct sb_gpu *, const struct sb_gemm_call *,
    struct sb_kernel_info *info);

/* A float GEMM implementation: the only thing fp32-step variants differ in. */
struct sb_gemm_f32 {
	const char		*name;		/* "naive", "warptile", "cublas", ... */
	const char		*precision;	/* "f32" or "tf32" (gemm.<p>.<name>.<layout>) */
	sb_gemm_fn		 gemm;
	sb_gemm_describe_fn	 describe;	/* NULL: a library, kernels unknown */
	int			 needs_blas;	/* needs g->blas */
	int			 bias_epilogue;	/* accepts call->bias */
	int			 min_cc;	/* compute capability ×10 */
};

extern const struct sb_gemm_f32 sb_gemm_naive_f32;	/* gemm_naive.cu */
extern const struct sb_gemm_f32 sb_gemm_coalesced_f32;	/* gemm_f32.cu */
extern const struct sb_gemm_f32 sb_gemm_smem_f32;
extern const struct sb_gemm_f32 sb_gemm_regtile1d_f32;
extern const struct sb_gemm_f32 sb_gemm_regtile2d_f32;
extern const struct sb_gemm_f32 sb_gemm_vec_f32;
extern const struct sb_gemm_f32 sb_gemm_warptile_f32;
extern const struct sb_gemm_f32 sb_gemm_mma_tf32;	/* gemm_tf32_mma.cu */
extern const struct sb_gemm_f32 sb_gemm_cublas_f32;	/* gemm_cublas.c */
extern const struct sb_gemm_f32 sb_gemm_cublas_tf32;	/* gemm_cublas.c */

/* Every GEMM implementation above, NULL-terminated, for `stepbench gemm`
 * and the tests (gpu.c). */
extern const struct sb_gemm_f32 *const sb_gemms_f32[];

/* The packed call: lda, ldb, ldc as small as the layout allows; no bias. */
void	sb_gemm_call_init(struct sb_gemm_call *, enum sb_layout, int64_t m,
	    int64_t n, int64_t k, const float *a, const float *b, float *c);
/* 0 if the call is well-formed for impl (sizes >= 1, leading dimensions
 * large enough, bias only where accepted); else -1 and why in g->err. */
int	sb_gemm_check(struct sb_gpu *, const struct sb_gemm_f32 *,
	    const struct sb_gemm_call *);
/* "nt", "tn", "nn" ("?" for anything else) */
const char *sb_layout_name(enum sb_layout);

int	sb_gpu_blas_init(struct sb_gpu *);
void	sb_gpu_blas_fini(struct sb_gpu *);

/* elementwise.cu — the non-GEMM kernels of the step */
int	sb_bias_add(struct sb_gpu *, float *y, const float *b, int64_t m,
	    int64_t n);
/* y += b; *loss_sum = Σ (y - t)^2 (a device double); dy = 2 (y - t) / (m·n) */
int	sb_bias_loss_dy(struct sb_gpu *, float *y, const float *b,
	    const float *t, float *dy, double *loss_sum, int64_t m, int64_t n);
/* db[j] = Σ_i dy[i,j]; dy is (m,n) */
int	sb_bias_grad(struct sb_gpu *, const float *dy, float *db, int64_t m,
	    int64_t n);
/* One SGD kernel for every parameter tensor of the step:
 * p[t] -= lr·g[t] for t < count (count <= SB_SGD_MAX_TENSORS), unless skip
 * (a device int, may be NULL) is non-zero when the kernel runs. */
#define SB_SGD_MAX_TENSORS	(2 * SB_MAX_LAYERS)
struct sb_sgd_tensor {
	float		*p;
	const float	*g;
	int64_t		 count;
};
int	sb_sgd(struct sb_gpu *, const struct sb_sgd_tensor *, int count,
	    float lr, const int32_t *skip);

/* One GEMM of the step: the call, the phase it runs in, and its layer. */
#define SB_STEP_MAX_CALLS	(3 * SB_MAX_LAYERS)
struct sb_step_call {
	struct sb_gemm_call	call;
	enum sb_phase		phase;	/* FORWARD, WGRAD or DGRAD */
	int			layer;
};

/* The GEMM calls sb_step_f32 makes, in its order: forward l = 0..L-1, then
 * for l = L-1..0 wgrad and (where a gradient is wanted) dgrad.  Returns
 * their number (<= SB_STEP_MAX_CALLS); the step and anyone describing its
 * kernels use this one list. */
int	sb_step_f32_calls(const struct sb_gemm_f32 *, const struct sb_dstep *,
	    int train, struct sb_step_call *out);

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
