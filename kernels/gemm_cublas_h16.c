/*
 * kernels/gemm_cublas_h16.c — the cuBLAS baseline of the half GEMMs
 * ("cublas": cublasGemmEx, A and B in CUDA_R_16F or CUDA_R_16BF, fp32
 * compute, C in CUDA_R_32F or the input type), and the mapping of a
 * row-major call onto the column-major libraries that it shares with
 * cuBLASLt (sb_hgemm_lib_plan, gemm_cublaslt.h).
 *
 * Design notes:
 *  1. min_cc is 80 for both types: f16 GemmEx would run from sm_70, bf16
 *     needs sm_80, and one implementation has one minimum.
 *  2. GemmEx has no epilogue.  The bias is broadcast into C first
 *     (gemm_bias_bcast.cu) and the GEMM runs with beta = 1, so that
 *     op(A)·op(B) + bias is formed in fp32 and rounded once, as the
 *     contract of gemm_h16.h demands: two launches, both counted.
 *  3. alpha and beta are floats: with CUBLAS_COMPUTE_32F the scale type is
 *     CUDA_R_32F whatever the input and output types.
 *  4. cublasGemmEx takes int dimensions: anything above INT_MAX is refused
 *     with a message (sb_hgemm_lib_plan), never truncated.
 */
#include <limits.h>
#include <stdio.h>

#include "gemm_cublaslt.h"
#include "gpu_int.h"

static int	gemm(struct sb_gpu *, const struct sb_hgemm_call *);

const struct sb_hgemm sb_hgemm_cublas = {
	.name = "cublas",
	.gemm = gemm,
	.describe = NULL,
	.needs_blas = 1,
	.needs_lt = 0,
	.bgrad_epilogue = 0,
	.min_cc = 80,
	.fallback = NULL,
	.summary = "cublasGemmEx, fp16/bf16 in, fp32 compute (bias broadcast "
	    "into C, beta = 1)",
};

int
sb_hgemm_lib_plan(const struct sb_hgemm_call *c, int lt,
    struct sb_hgemm_lib_plan *p, char *err, size_t errlen)
{
	const int64_t m = c->m, n = c->n, k = c->k;

	p->first_t = c->layout == SB_NT;
	p->second_t = c->layout == SB_TN;
	p->first_rows = p->first_t ? k : n;
	p->first_cols = p->first_t ? n : k;
	p->first_ld = c->ldb;
	p->second_rows = p->second_t ? m : k;
	p->second_cols = p->second_t ? k : m;
	p->second_ld = c->lda;
	p->d_rows = n;
	p->d_cols = m;
	p->d_ld = c->ldc;
	p->bgradb = c->bgrad != NULL;
	if (c->bias == NULL)
		p->bias = SB_HB_NONE;
	else if (lt && c->out == c->in && c->bgrad == NULL)
		p->bias = SB_HB_EPILOGUE;
	else
		p->bias = SB_HB_BROADCAST;
	p->beta = p->bias == SB_HB_BROADCAST ? 1.0f : 0.0f;

	if (c->bgrad != NULL && !lt) {
		(void)snprintf(err, errlen, "cublasGemmEx has no bias-gradient "
		    "epilogue: pass bgrad = NULL (cuBLASLt has one)");
		return -1;
	}
	if (c->bgrad != NULL && c->layout != SB_TN) {
		(void)snprintf(err, errlen, "the bias-gradient epilogue is "
		    "offered for the weight-gradient layout tn only, not %s: "
		    "reduce the bias gradient separately",
		    sb_layout_name(c->layout));
		return -1;
	}
	if (!lt && (m > INT_MAX || n > INT_MAX || k > INT_MAX ||
	    c->lda > INT_MAX || c->ldb > INT_MAX || c->ldc > INT_MAX)) {
		(void)snprintf(err, errlen, "m=%lld n=%lld k=%lld lda=%lld "
		    "ldb=%lld ldc=%lld: each must be at most INT_MAX "
		    "(cublasGemmEx takes int); split the GEMM", (long long)m,
		    (long long)n, (long long)k, (long long)c->lda,
		    (long long)c->ldb, (long long)c->ldc);
		return -1;
	}
	return 0;
}

static cudaDataType_t
cuda_type(enum sb_dtype t)
{
	return t == SB_DT_F32 ? CUDA_R_32F : t == SB_DT_BF16 ? CUDA_R_16BF :
	    CUDA_R_16F;
}

/* The call's a, b, c, bias are device pointers (gemm_h16.h). */
static int
gemm(struct sb_gpu *g, const struct sb_hgemm_call *c)
{
	struct sb_hgemm_lib_plan p;
	const float alpha = 1.0f;
	cublasStatus_t st;
	char what[160], detail[200];

	if (sb_hgemm_check(g, &sb_hgemm_cublas, c) != 0)
		return -1;
	(void)snprintf(what, sizeof(what), "cublasGemmEx(%s %s->%s, m=%lld "
	    "n=%lld k=%lld)", sb_layout_name(c->layout), sb_dtype_name(c->in),
	    sb_dtype_name(c->out), (long long)c->m, (long long)c->n,
	    (long long)c->k);
	if (sb_hgemm_lib_plan(c, 0, &p, detail, sizeof(detail)) != 0)
		return sb_gpu_fail(g, __FILE__, __LINE__, what, detail);
	if (p.bias == SB_HB_BROADCAST && sb_hgemm_bias_broadcast(g, c->in,
	    c->out, c->bias, c->c, c->m, c->n, c->ldc) != 0)
		return -1;

	/* C^T (n×m, ldc) = op(b)^T · op(a)^T, see gemm_cublaslt.h */
	st = cublasGemmEx(g->blas, p.first_t ? CUBLAS_OP_T : CUBLAS_OP_N,
	    p.second_t ? CUBLAS_OP_T : CUBLAS_OP_N, (int)c->n, (int)c->m,
	    (int)c->k, &alpha, c->b, cuda_type(c->in), (int)c->ldb, c->a,
	    cuda_type(c->in), (int)c->lda, &p.beta, c->c, cuda_type(c->out),
	    (int)c->ldc, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
	g->launches++;
	if (st != CUBLAS_STATUS_SUCCESS)
		return sb_gpu_fail(g, __FILE__, __LINE__, what,
		    sb_blas_status_string(st));
	return 0;
}
