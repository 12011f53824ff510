/*
 * kernels/gemm_h16.h — half-precision tensor-core GEMMs: A and B in fp16 or
 * bf16, fp32 accumulation, C in fp32 or in the input type (the autocast
 * step's Linear output and its fp16 weight gradient are half).
 *
 *   C[m,n] = round_out( op(A)·op(B) + bias[n] )      (bias optional)
 *   bgrad[i] = round_out( Σ_k op(A)[i,k] )            (optional, see below)
 *
 * The layouts and leading dimensions are those of layout.h, in elements of
 * the operand's type.  Every implementation handles NT, TN and NN, any
 * m, n, k >= 1 and any leading dimension (falling back from its fast loads
 * when pointers or leading dimensions are not aligned for them), both input
 * types and both output types, and the bias (in the input type, added in
 * fp32 before the single rounding of the output, as cuBLASLt's BIAS
 * epilogue and PyTorch's autocast addmm do).
 *
 * bgrad, when not NULL, is the bias gradient of the weight-gradient GEMM
 * (TN: dw = dy^T·x, A = dy): for each of the m rows of op(A) the sum over k,
 * in fp32, rounded once to the output type.  Only implementations with
 * bgrad_epilogue = 1 accept it (cuBLASLt's BGRADA epilogue); the step
 * computes it with a reduction kernel otherwise.
 *
 * Like gpu.h: launchers enqueue on g->stream, never synchronise or allocate,
 * and return 0 or -1 with the reason in g->err.
 */
#ifndef SB_KERNELS_GEMM_H16_H
#define SB_KERNELS_GEMM_H16_H

#include "dtype.h"
#include "gpu.h"

#ifdef __cplusplus
extern "C" {
#endif

struct sb_hgemm_call {
	enum sb_layout	 layout;
	enum sb_dtype	 in;		/* SB_DT_F16 or SB_DT_BF16: a, b, bias */
	enum sb_dtype	 out;		/* SB_DT_F32 or the same as in: c, bgrad */
	int64_t		 m, n, k;
	const void	*a;
	int64_t		 lda;
	const void	*b;
	int64_t		 ldb;
	void		*c;
	int64_t		 ldc;
	const void	*bias;		/* (n), type in; NULL: none */
	void		*bgrad;		/* (m), type out; NULL: none */
};

typedef int (*sb_hgemm_fn)(struct sb_gpu *, const struct sb_hgemm_call *);
typedef int (*sb_hgemm_describe_fn)(struct sb_gpu *,
    const struct sb_hgemm_call *, struct sb_kernel_info *info);

struct sb_hgemm {
	const char		*name;	/* "wmma", "mma", "wgmma", "cublas",
					 * "cublaslt" */
	sb_hgemm_fn		 gemm;
	sb_hgemm_describe_fn	 describe;	/* NULL: a library */
	int			 needs_blas;	/* needs g->blas */
	int			 needs_lt;	/* needs g->lt */
	int			 bgrad_epilogue; /* accepts call->bgrad */
	int			 min_cc;	/* compute capability ×10 */
	/* What runs on a GPU of compute capability cc (×10) when that is not
	 * the implementation's own path, e.g. wgmma off sm_90: "mma.sync
	 * fallback (wgmma needs sm_90a)"; NULL or returning NULL: its own. */
	const char		*(*fallback)(int cc);
	const char		*summary;	/* one line, for `stepbench list` */
};

extern const struct sb_hgemm sb_hgemm_wmma;	/* gemm_f16_wmma.cu */
extern const struct sb_hgemm sb_hgemm_mma;	/* gemm_f16_mma.cu */
extern const struct sb_hgemm sb_hgemm_wgmma;	/* gemm_f16_wgmma.cu */
extern const struct sb_hgemm sb_hgemm_cublas;	/* gemm_cublas_h16.c */
extern const struct sb_hgemm sb_hgemm_cublaslt;	/* gemm_cublaslt.c */

/* Every implementation above that this build has, NULL-terminated
 * (gemm_h16.c), in ladder order. */
extern const struct sb_hgemm *const sb_hgemms[];
const struct sb_hgemm *sb_hgemm_find(const char *name);

/* The packed call: lda, ldb, ldc as small as the layout allows; no bias,
 * no bgrad. */
void	sb_hgemm_call_init(struct sb_hgemm_call *, enum sb_layout,
	    enum sb_dtype in, enum sb_dtype out, int64_t m, int64_t n,
	    int64_t k, const void *a, const void *b, void *c);
/* 0 if the call is well-formed for impl (types, sizes >= 1, leading
 * dimensions large enough, bgrad only where accepted, the handles it
 * needs); else -1 and why in g->err. */
int	sb_hgemm_check(struct sb_gpu *, const struct sb_hgemm *,
	    const struct sb_hgemm_call *);

#ifdef __cplusplus
}
#endif

#endif
