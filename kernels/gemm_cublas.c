/*
 * kernels/gemm_cublas.c — the library baselines: cuBLAS in strict fp32
 * ("cublas", CUBLAS_COMPUTE_32F) and with TF32 tensor cores ("cublas-tf32",
 * CUBLAS_COMPUTE_32F_FAST_TF32).  Both use cublasGemmEx, alpha 1, beta 0.
 *
 * Row-major through a column-major library: a row-major X[r,c] has the same
 * bytes as the column-major X^T (c rows, r columns, leading dimension c).
 * So the row-major C[m,n] = op(A)·op(B) is computed as the column-major
 * C^T = op(B)^T · op(A)^T: cuBLAS gets B first, M = n, N = m, ldc = n.
 *
 *   layout  row-major            cuBLAS call (transa, transb, M, N, K, A, lda, B, ldb)
 *   NN      A[m,k]   · B[k,n]    N, N, n, m, k, b, n, a, k
 *   NT      A[m,k]   · B[n,k]^T  T, N, n, m, k, b, k, a, k
 *   TN      A[k,m]^T · B[k,n]    N, T, n, m, k, b, n, a, m
 *
 * (NT: the bytes of B are the column-major k×n matrix B^T; transposing it
 * gives the n×k operand, lda = k.  TN: the bytes of A are the column-major
 * m×k matrix A^T, which is already op(A)^T, but cuBLAS's second operand must
 * be k×m, so it is transposed once more with ldb = m.)
 *
 * Leading dimensions other than the packed ones pass straight through: the
 * row-major ld of a matrix is the column-major ld of its transpose.
 *
 * cublasGemmEx takes int dimensions: anything above INT_MAX is refused with
 * a message rather than truncated.  The handle, its stream and workspace are
 * set up by sb_gpu_blas_init (gpu.c).
 */
#include <limits.h>
#include <stdio.h>

#include "gpu_int.h"

static int	cublas_gemm(struct sb_gpu *, const struct sb_gemm_f32 *,
		    const struct sb_gemm_call *, cublasComputeType_t,
		    const char *);
static int	gemm_f32(struct sb_gpu *, const struct sb_gemm_call *);
static int	gemm_tf32(struct sb_gpu *, const struct sb_gemm_call *);

const struct sb_gemm_f32 sb_gemm_cublas_f32 = {
	.name = "cublas",
	.precision = "f32",
	.gemm = gemm_f32,
	.describe = NULL,
	.needs_blas = 1,
	.bias_epilogue = 0,
	.min_cc = 70,
};

const struct sb_gemm_f32 sb_gemm_cublas_tf32 = {
	.name = "cublas",
	.precision = "tf32",
	.gemm = gemm_tf32,
	.describe = NULL,
	.needs_blas = 1,
	.bias_epilogue = 0,
	.min_cc = 80,
};

static int
gemm_f32(struct sb_gpu *g, const struct sb_gemm_call *c)
{
	return cublas_gemm(g, &sb_gemm_cublas_f32, c, CUBLAS_COMPUTE_32F,
	    "fp32");
}

static int
gemm_tf32(struct sb_gpu *g, const struct sb_gemm_call *c)
{
	return cublas_gemm(g, &sb_gemm_cublas_tf32, c,
	    CUBLAS_COMPUTE_32F_FAST_TF32, "tf32");
}

/* The call's a, b, c are device pointers (gpu.h, struct sb_gemm_call). */
static int
cublas_gemm(struct sb_gpu *g, const struct sb_gemm_f32 *impl,
    const struct sb_gemm_call *c, cublasComputeType_t compute,
    const char *compute_name)
{
	const float alpha = 1.0f, beta = 0.0f;
	const int64_t m = c->m, n = c->n, k = c->k;
	cublasOperation_t ta_op, tb_op;
	cublasStatus_t st;
	char what[128];

	if (g->blas == NULL)
		return sb_gpu_fail(g, __FILE__, __LINE__, "cuBLAS GEMM",
		    "no cuBLAS handle: call sb_gpu_blas_init first");
	if (sb_gemm_check(g, impl, c) != 0)
		return -1;
	if (m > INT_MAX || n > INT_MAX || k > INT_MAX || c->lda > INT_MAX ||
	    c->ldb > INT_MAX || c->ldc > INT_MAX) {
		(void)snprintf(what, sizeof(what), "cuBLAS GEMM %s m=%lld "
		    "n=%lld k=%lld", sb_layout_name(c->layout), (long long)m,
		    (long long)n, (long long)k);
		return sb_gpu_fail(g, __FILE__, __LINE__, what,
		    "each of m, n, k and the leading dimensions must be at "
		    "most INT_MAX (cublasGemmEx takes int); split the GEMM");
	}

	/* See the table on top: b goes first, as cuBLAS's A. */
	switch (c->layout) {
	case SB_NN:		/* b^T is n×k col-major, a^T is k×m */
		tb_op = CUBLAS_OP_N;
		ta_op = CUBLAS_OP_N;
		break;
	case SB_NT:		/* b's bytes are k×n col-major: transpose */
		tb_op = CUBLAS_OP_T;
		ta_op = CUBLAS_OP_N;
		break;
	case SB_TN:		/* a's bytes are m×k col-major: transpose */
	default:
		tb_op = CUBLAS_OP_N;
		ta_op = CUBLAS_OP_T;
		break;
	}

	/* C^T (n×m, ldc) = op(b)^T · op(a)^T */
	st = cublasGemmEx(g->blas, tb_op, ta_op, (int)n, (int)m, (int)k,
	    &alpha, c->b, CUDA_R_32F, (int)c->ldb, c->a, CUDA_R_32F,
	    (int)c->lda, &beta, c->c, CUDA_R_32F, (int)c->ldc, compute,
	    CUBLAS_GEMM_DEFAULT);
	g->launches++;
	if (st != CUBLAS_STATUS_SUCCESS) {
		(void)snprintf(what, sizeof(what), "cublasGemmEx(%s %s, m=%lld "
		    "n=%lld k=%lld)", sb_layout_name(c->layout), compute_name,
		    (long long)m, (long long)n, (long long)k);
		return sb_gpu_fail(g, __FILE__, __LINE__, what,
		    sb_blas_status_string(st));
	}
	return 0;
}
