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
 * cublasGemmEx takes int dimensions: anything above INT_MAX is refused with
 * a message rather than truncated.  The handle, its stream and workspace are
 * set up by sb_gpu_blas_init (gpu.c).
 */
#include <limits.h>
#include <stdio.h>

#include "gpu_int.h"

static int	cublas_gemm(struct sb_gpu *, enum sb_layout, int64_t, int64_t,
		    int64_t, const float *, const float *, float *,
		    cublasComputeType_t, const char *);
static int	gemm_f32(struct sb_gpu *, enum sb_layout, int64_t, int64_t,
		    int64_t, const float *, const float *, float *);
static int	gemm_tf32(struct sb_gpu *, enum sb_layout, int64_t, int64_t,
		    int64_t, const float *, const float *, float *);

const struct sb_gemm_f32 sb_gemm_cublas_f32 = {
	.name = "cublas",
	.gemm = gemm_f32,
	.needs_blas = 1,
};

const struct sb_gemm_f32 sb_gemm_cublas_tf32 = {
	.name = "cublas-tf32",
	.gemm = gemm_tf32,
	.needs_blas = 1,
};

static int
gemm_f32(struct sb_gpu *g, enum sb_layout layout, int64_t m, int64_t n,
    int64_t k, const float *a, const float *b, float *c)
{
	return cublas_gemm(g, layout, m, n, k, a, b, c, CUBLAS_COMPUTE_32F,
	    "fp32");
}

static int
gemm_tf32(struct sb_gpu *g, enum sb_layout layout, int64_t m, int64_t n,
    int64_t k, const float *a, const float *b, float *c)
{
	return cublas_gemm(g, layout, m, n, k, a, b, c,
	    CUBLAS_COMPUTE_32F_FAST_TF32, "tf32");
}

/*
 * a, b, c are device pointers, row-major:
 *   NT: a is (m,k), b is (n,k);  TN: a is (k,m), b is (k,n);
 *   NN: a is (m,k), b is (k,n);  c is (m,n) always.
 */
static int
cublas_gemm(struct sb_gpu *g, enum sb_layout layout, int64_t m, int64_t n,
    int64_t k, const float *a, const float *b, float *c,
    cublasComputeType_t compute, const char *compute_name)
{
	static const char *const layout_names[SB_LAYOUT_COUNT] = {
		[SB_NT] = "NT", [SB_TN] = "TN", [SB_NN] = "NN",
	};
	const float alpha = 1.0f, beta = 0.0f;
	cublasOperation_t ta_op, tb_op;
	int ld_a, ld_b;
	cublasStatus_t st;
	char what[128];

	if (g->blas == NULL)
		return sb_gpu_fail(g, __FILE__, __LINE__, "cuBLAS GEMM",
		    "no cuBLAS handle: call sb_gpu_blas_init first");
	if ((unsigned)layout >= SB_LAYOUT_COUNT)
		return sb_gpu_fail(g, __FILE__, __LINE__, "cuBLAS GEMM",
		    "unknown layout (want SB_NT, SB_TN or SB_NN)");
	if (m < 1 || n < 1 || k < 1 || m > INT_MAX || n > INT_MAX ||
	    k > INT_MAX) {
		(void)snprintf(what, sizeof(what), "cuBLAS GEMM %s m=%lld "
		    "n=%lld k=%lld", layout_names[layout], (long long)m,
		    (long long)n, (long long)k);
		return sb_gpu_fail(g, __FILE__, __LINE__, what,
		    "each of m, n, k must be in 1..INT_MAX (cublasGemmEx "
		    "takes int); split the GEMM");
	}

	/* See the table on top.  ld_a, ld_b are the row lengths of our
	 * row-major a and b; b goes first, as cuBLAS's A. */
	switch (layout) {
	case SB_NN:		/* b^T is n×k col-major, a^T is k×m */
		tb_op = CUBLAS_OP_N;
		ta_op = CUBLAS_OP_N;
		ld_b = (int)n;
		ld_a = (int)k;
		break;
	case SB_NT:		/* b's bytes are k×n col-major: transpose */
		tb_op = CUBLAS_OP_T;
		ta_op = CUBLAS_OP_N;
		ld_b = (int)k;
		ld_a = (int)k;
		break;
	case SB_TN:		/* a's bytes are m×k col-major: transpose */
	default:
		tb_op = CUBLAS_OP_N;
		ta_op = CUBLAS_OP_T;
		ld_b = (int)n;
		ld_a = (int)m;
		break;
	}

	/* C^T (n×m, ldc = n) = op(b)^T · op(a)^T */
	st = cublasGemmEx(g->blas, tb_op, ta_op, (int)n, (int)m, (int)k,
	    &alpha, b, CUDA_R_32F, ld_b, a, CUDA_R_32F, ld_a, &beta, c,
	    CUDA_R_32F, (int)n, compute, CUBLAS_GEMM_DEFAULT);
	if (st != CUBLAS_STATUS_SUCCESS) {
		(void)snprintf(what, sizeof(what), "cublasGemmEx(%s %s, m=%lld "
		    "n=%lld k=%lld)", layout_names[layout], compute_name,
		    (long long)m, (long long)n, (long long)k);
		return sb_gpu_fail(g, __FILE__, __LINE__, what,
		    sb_blas_status_string(st));
	}
	return 0;
}
