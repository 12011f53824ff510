/*
 * kernels/gemm_cublaslt.h — the library half GEMMs (gemm_cublas_h16.c,
 * gemm_cublaslt.c) beyond struct sb_hgemm: how a row-major call maps onto
 * the column-major libraries (a plain function, tested on the CPU), the
 * key of the cuBLASLt plan cache, the chosen algorithm as text for the
 * results store, and the cache's release.
 *
 * Row-major through a column-major library: the bytes of a row-major X[r,c]
 * are the column-major X^T, so C[m,n] = op(A)·op(B) is computed as the
 * column-major C^T[n,m] = op(B)^T·op(A)^T: the library's first operand is
 * our b, its second our a, its M = n, N = m, K = k (see gemm_cublas.c).
 *
 *   layout  first (our b)       second (our a)      D
 *           op  stored rows×cols op  stored rows×cols
 *   NN      N   n × k            N   k × m           n × m, ld ldc
 *   NT      T   k × n            N   k × m
 *   TN      N   n × k            T   m × k
 *
 * (stored leading dimensions: ldb for the first, lda for the second.)
 * The bias (length n) indexes D's rows: cuBLASLt's BIAS epilogue.  Our
 * bgrad[i] = Σ_k op(A)[i,k] indexes D's columns and reduces the second
 * operand over k: cuBLASLt's BGRADB, not BGRADA.
 */
#ifndef SB_KERNELS_GEMM_CUBLASLT_H
#define SB_KERNELS_GEMM_CUBLASLT_H

#include <stddef.h>
#include <stdint.h>

#include "gemm_h16.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The cuBLASLt workspace sb_gpu_blas_init allocates (g->lt_ws): 32 MiB, as
 * for cuBLAS on Hopper. */
#define SB_LT_WS_BYTES	((size_t)32 << 20)

/* How the bias reaches C. */
enum sb_hgemm_bias_mode {
	SB_HB_NONE,
	SB_HB_EPILOGUE,		/* cuBLASLt's BIAS epilogue */
	SB_HB_BROADCAST		/* copied into every row of C, then beta = 1 */
};

struct sb_hgemm_lib_plan {
	int		 first_t, second_t;	/* 1: the operand is transposed */
	int64_t		 first_rows, first_cols, first_ld;	/* stored */
	int64_t		 second_rows, second_cols, second_ld;
	int64_t		 d_rows, d_cols, d_ld;	/* n, m, ldc */
	enum sb_hgemm_bias_mode bias;
	int		 bgradb;		/* the BGRADB epilogue */
	float		 beta;			/* 1 with a broadcast bias */
};

/*
 * The library call for c.  lt: 1 for cuBLASLt (epilogues), 0 for
 * cublasGemmEx (none: the bias is broadcast, bgrad refused).  Returns 0,
 * or -1 with the reason in err: dimensions above INT_MAX for GemmEx, or a
 * bgrad the library cannot give (not cuBLASLt, not the wgrad layout TN).
 *
 * cuBLASLt's BIAS epilogue takes the bias in the output type D (cublasLt.h,
 * CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE: bias elements are of Dtype except for
 * IMMA and fp8 kernels), and our bias is in the input type: the epilogue is
 * used when out == in, and an fp32 output gets the broadcast.  The BGRADB
 * epilogue excludes BIAS (the two are separate epilogue values), so a call
 * with both broadcasts its bias too.
 */
int	sb_hgemm_lib_plan(const struct sb_hgemm_call *c, int lt,
	    struct sb_hgemm_lib_plan *p, char *err, size_t errlen);

/* The key of a cached cuBLASLt plan: everything the heuristic's choice
 * depends on.  Alignments are of the pointers (bytes, a power of two,
 * capped at 256: cuBLASLt's default assumption, so a smaller one must be
 * declared or an algorithm may need more than the pointer has). */
struct sb_hgemm_lt_key {
	int		 layout, in, out;
	int64_t		 m, n, k, lda, ldb, ldc;
	int		 bias, bgrad;		/* present */
	unsigned	 align_a, align_b, align_c, align_bias, align_bgrad;
	size_t		 ws_bytes;
	const void	*lt;			/* the handle */
};

void	sb_hgemm_lt_key_make(const struct sb_hgemm_call *, const void *lt,
	    size_t ws_bytes, struct sb_hgemm_lt_key *);
int	sb_hgemm_lt_key_equal(const struct sb_hgemm_lt_key *,
	    const struct sb_hgemm_lt_key *);
/* The largest power of two dividing p, at most 256 (256 for NULL). */
unsigned sb_ptr_align(const void *p);

/*
 * The algorithm cuBLASLt chose for a call of this shape (the most recent
 * plan cached for it, whatever the handle), as text of at most 95
 * characters: "lt algo 21 tile 128x256 stages 64x4 splitk 1 red none
 * swz 0 cl 1x1x1 ws 0" (workspace bytes).  Returns 0, or -1 (desc "")
 * when no call of this shape has run.
 */
int	sb_hgemm_cublaslt_algo(const struct sb_hgemm_call *, char *desc,
	    size_t len);
/* The same for the int8 GEMM (gemm_s8_cublaslt.c): what cuBLASLt chose
 * for a call of this shape, layout, output type and alignments. */
struct sb_igemm_call;
int	sb_igemm_cublaslt_algo(const struct sb_igemm_call *, char *desc,
	    size_t len);
/* Drops every plan cached for the handle lt (sb_gpu_blas_fini). */
void	sb_hgemm_cublaslt_release(void *lt);

/* gemm_bias_bcast.cu: c[i,j] = bias[j] for i < m, j < n, converted from
 * the input type to the output type (exact: out is in or fp32).  One
 * launch, counted. */
int	sb_hgemm_bias_broadcast(struct sb_gpu *, enum sb_dtype in,
	    enum sb_dtype out, const void *bias, void *c, int64_t m,
	    int64_t n, int64_t ldc);

#ifdef __cplusplus
}
#endif

#endif
