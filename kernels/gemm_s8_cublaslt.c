/*
 * kernels/gemm_s8_cublaslt.c — the cuBLASLt int8 GEMM ("cublaslt" in
 * sb_igemms[]): cublasLtMatmul with A and B in CUDA_R_8I, CUBLAS_COMPUTE_32I,
 * scale type CUDA_R_32I (alpha 1, beta 0), D in CUDA_R_32I; plain
 * column-major layouts (no COL32 / COL4_4R2_8C / COL32_2R_4R4 orders:
 * Hopper refuses them, and they would need a transform of every operand).
 * Output s32 only (epilogue = 0): the int8 step dequantises with
 * sb_q_dequant (int8.h).
 *
 * Design notes:
 *  1. The mapping.  Our NT call is row-major: a (m,k) with lda, b (n,k)
 *     with ldb, c (m,n) with ldc.  A column-major library reads the bytes
 *     of a row-major X[r,c] as X^T, so it computes C^T (n,m) = b · a^T:
 *
 *       library   operand  op  stored (rows x cols, ld)   our
 *       A         first    T   k x n, ldb                  b
 *       B         second   N   k x m, lda                  a
 *       C = D              -   n x m, ldc                  c
 *       M = n, N = m, K = k
 *
 *     "TN" in cuBLAS's words: the only order cuBLASLt's IMMA kernels take
 *     with the regular (column) layouts, and the NT row of gemm_cublaslt.h.
 *  2. What the IMMA kernels require with regular layouts (the cuBLAS
 *     documentation, cublasLtMatmul, as quoted in several public
 *     projects; not re-read here): the TN format, dimensions m and k (here
 *     n and k) multiples of 4, every pointer 4-byte aligned (16 better).
 *     The int8 operands' rows must then start 4-byte aligned too, so lda
 *     and ldb are held to multiples of 4 as well (our inference; ldc of an
 *     int32 C keeps its rows aligned whatever it is, and is left to the
 *     heuristic).  `unsupported` refuses the rest with the value and the
 *     remedy (the int8 step pads K and the leading dimensions of its
 *     operands to SB_S8_KPAD), so a refusal is a skip with its reason
 *     rather than the heuristic's bare NOT_SUPPORTED.  On a GPU,
 *     test_int8_gpu shows whether the heuristic agrees.
 *  3. The plan cache, the refusal of a first call inside a graph capture,
 *     the alignment preferences and the algorithm text are gemm_cublaslt.c's
 *     (gemm_cublaslt_int.h); the key is struct sb_hgemm_lt_key with layout
 *     NT, in s8 and out s32, so it never meets a half GEMM's.  The
 *     algorithm chosen is read back with sb_igemm_cublaslt_algo, as
 *     sb_hgemm_cublaslt_algo for the half GEMM.
 *  4. Compiled only: it has never run on a GPU.  tests/test_int8_gpu.c
 *     checks it bit for bit against the host on a GPU.
 */
#include <stdio.h>
#include <string.h>

#include "gemm_cublaslt.h"
#include "gemm_cublaslt_int.h"
#include "gemm_s8.h"
#include "gpu_int.h"

static int	gemm(struct sb_gpu *, const struct sb_igemm_call *);
static int	unsupported(const struct sb_igemm_call *, char *, size_t);
static void	key_make(const struct sb_igemm_call *, const void *, size_t,
		    struct sb_hgemm_lt_key *);
static int	plan_build(struct sb_gpu *, const struct sb_igemm_call *,
		    const struct sb_hgemm_lt_key *, const char *,
		    struct sb_lt_plan *);

const struct sb_igemm sb_igemm_cublaslt = {
	.name = "cublaslt",
	.gemm = gemm,
	.describe = NULL,
	.needs_lt = 1,
	.epilogue = 0,
	.min_cc = 75,
	.unsupported = unsupported,
	.fallback = NULL,
	.summary = "cublasLtMatmul, s8 in, s32 compute and out (TN, plain "
	    "column-major layouts), heuristic algorithm; dequantised by "
	    "sb_q_dequant",
};

/* Design note 2. */
static int
unsupported(const struct sb_igemm_call *c, char *why, size_t len)
{
	const struct {
		const char	*name;
		const void	*p;
	} ptr[3] = { { "a", c->a }, { "b", c->b }, { "c", c->c } };
	const struct {
		const char	*name;
		int64_t		 v;
	} dim[4] = { { "k", c->k }, { "n", c->n }, { "lda", c->lda },
	    { "ldb", c->ldb } };

	for (int i = 0; i < 3; i++)
		if (((uintptr_t)ptr[i].p & 3) != 0) {
			(void)snprintf(why, len, "cuBLASLt's int8 (IMMA) "
			    "kernels want 4-byte aligned matrices; %s is at "
			    "%p: allocate it 4-byte aligned", ptr[i].name,
			    ptr[i].p);
			return 1;
		}
	for (int i = 0; i < 4; i++)
		if (dim[i].v % 4 != 0) {
			(void)snprintf(why, len, "cuBLASLt's int8 (IMMA) "
			    "kernels want k, n, lda and ldb multiples of 4; "
			    "%s = %lld: pad it with zeros to %lld (the int8 "
			    "step pads K to %d)", dim[i].name,
			    (long long)dim[i].v, (long long)((dim[i].v + 3) /
			    4 * 4), SB_S8_KPAD);
			return 1;
		}
	return 0;
}

static void
key_make(const struct sb_igemm_call *c, const void *lt, size_t ws_bytes,
    struct sb_hgemm_lt_key *k)
{
	memset(k, 0, sizeof(*k));	/* padding too: keys compare whole */
	k->layout = (int)SB_NT;
	k->in = (int)SB_DT_S8;
	k->out = (int)c->out;
	k->m = c->m;
	k->n = c->n;
	k->k = c->k;
	k->lda = c->lda;
	k->ldb = c->ldb;
	k->ldc = c->ldc;
	k->align_a = sb_ptr_align(c->a);
	k->align_b = sb_ptr_align(c->b);
	k->align_c = sb_ptr_align(c->c);
	k->ws_bytes = ws_bytes;
	k->lt = lt;
}

int
sb_igemm_cublaslt_algo(const struct sb_igemm_call *c, char *desc,
    size_t len)
{
	struct sb_hgemm_lt_key want;
	const struct sb_lt_plan *best;

	if (len > 0)
		desc[0] = '\0';
	key_make(c, NULL, 0, &want);
	if ((best = sb_lt_plan_newest(&want)) == NULL)
		return -1;
	(void)snprintf(desc, len, "%s", best->desc);
	return 0;
}

/* The descriptors of design note 1, then the heuristic: into *p (freed by
 * the caller on failure). */
static int
plan_build(struct sb_gpu *g, const struct sb_igemm_call *c,
    const struct sb_hgemm_lt_key *key, const char *what,
    struct sb_lt_plan *p)
{
	const cublasOperation_t ta = CUBLAS_OP_T, tb = CUBLAS_OP_N;
	const cublasLtEpilogue_t epi = CUBLASLT_EPILOGUE_DEFAULT;

	SB_LT_CHECK(g, what, cublasLtMatmulDescCreate(&p->op,
	    CUBLAS_COMPUTE_32I, CUDA_R_32I));
	SB_LT_CHECK(g, what, cublasLtMatmulDescSetAttribute(p->op,
	    CUBLASLT_MATMUL_DESC_TRANSA, &ta, sizeof(ta)));
	SB_LT_CHECK(g, what, cublasLtMatmulDescSetAttribute(p->op,
	    CUBLASLT_MATMUL_DESC_TRANSB, &tb, sizeof(tb)));
	SB_LT_CHECK(g, what, cublasLtMatmulDescSetAttribute(p->op,
	    CUBLASLT_MATMUL_DESC_EPILOGUE, &epi, sizeof(epi)));
	/* library A = our b: stored k x n; B = our a: k x m; D: n x m */
	SB_LT_CHECK(g, what, cublasLtMatrixLayoutCreate(&p->la, CUDA_R_8I,
	    (uint64_t)c->k, (uint64_t)c->n, c->ldb));
	SB_LT_CHECK(g, what, cublasLtMatrixLayoutCreate(&p->lb, CUDA_R_8I,
	    (uint64_t)c->k, (uint64_t)c->m, c->lda));
	SB_LT_CHECK(g, what, cublasLtMatrixLayoutCreate(&p->lc, CUDA_R_32I,
	    (uint64_t)c->n, (uint64_t)c->m, c->ldc));
	return sb_lt_plan_choose(g, p, key, what, "; cuBLASLt offers no int8 "
	    "kernel for this shape here (see design note 2 of "
	    "gemm_s8_cublaslt.c)");
}

/* The call's a, b, c are device pointers (gemm_s8.h). */
static int
gemm(struct sb_gpu *g, const struct sb_igemm_call *c)
{
	struct sb_hgemm_lt_key key;
	struct sb_lt_plan *p;
	const int32_t alpha = 1, beta = 0;
	cublasStatus_t st;
	char what[160];

	if (sb_igemm_check(g, &sb_igemm_cublaslt, c) != 0)
		return -1;
	(void)snprintf(what, sizeof(what), "cublasLtMatmul(nt s8->s32, m=%lld "
	    "n=%lld k=%lld, lda=%lld ldb=%lld ldc=%lld)", (long long)c->m,
	    (long long)c->n, (long long)c->k, (long long)c->lda,
	    (long long)c->ldb, (long long)c->ldc);
	key_make(c, g->lt, g->lt_ws_bytes, &key);
	if ((p = sb_lt_plan_find(&key)) == NULL) {
		if ((p = sb_lt_plan_slot(g, what)) == NULL)
			return -1;
		if (plan_build(g, c, &key, what, p) != 0) {
			sb_lt_plan_free(p);
			return -1;
		}
		sb_lt_plan_commit(p, &key);
	}
	/* D = C = c; the library's A is b, its B is a (design note 1) */
	st = cublasLtMatmul((cublasLtHandle_t)g->lt, p->op, &alpha, c->b,
	    p->la, c->a, p->lb, &beta, c->c, p->lc, c->c, p->lc, &p->algo,
	    g->lt_ws, g->lt_ws_bytes, g->stream);
	g->launches++;
	if (st != CUBLAS_STATUS_SUCCESS)
		return sb_gpu_fail(g, __FILE__, __LINE__, what,
		    sb_lt_status(st));
	return 0;
}
