/*
 * kernels/gemm_cublaslt.c — the cuBLASLt half GEMM ("cublaslt"):
 * cublasLtMatmul with fp32 compute and scale, A and B in fp16 or bf16, C
 * in fp32 or the input type, the heuristic's best algorithm within the
 * workspace g->lt_ws, the BIAS epilogue in the forward and the BGRADB
 * epilogue (bias gradient) in the weight-gradient GEMM.
 *
 * Design notes:
 *  1. The operands are swapped to make row-major data column-major, as
 *     for cuBLAS; gemm_cublaslt.h has the table and says why the bias
 *     gradient is BGRADB and when the bias goes through the epilogue or
 *     is broadcast into C (beta = 1).
 *  2. Plan cache.  A call's descriptors (matmul, three layouts) and the
 *     algorithm the heuristic chose are kept in a table keyed by
 *     everything the choice depends on (struct sb_hgemm_lt_key: layout,
 *     types, sizes, leading dimensions, which epilogue, the pointers'
 *     alignments, the workspace, the handle).  A step therefore asks the
 *     heuristic once per GEMM shape, in its first (eager) run.  Only the
 *     bias pointer changes between calls of one shape; it is set on the
 *     cached descriptor each call (a host-side attribute).
 *  3. Graph capture: cublasLtMatmul with a caller-owned workspace
 *     captures, but cublasLtMatmulAlgoGetHeuristic has been reported to
 *     fail inside a capture (CUBLAS_STATUS_INTERNAL_ERROR, "could not
 *     obtain green context information", cuBLASLt with CUDA 13.3,
 *     github.com/mudler/vllm.cpp issue 1732).  So a cache miss while
 *     g->stream is capturing is refused with a message saying to run the
 *     call once before capturing; nothing here is ever run inside a
 *     capture except cublasLtMatmul itself.
 *  4. Alignment: the heuristic assumes 256-byte-aligned pointers unless
 *     told otherwise, and an algorithm chosen that way may need more than
 *     an offset pointer has.  The preference declares each pointer's real
 *     alignment (sb_ptr_align), which is part of the key.
 *  5. The table holds LT_CACHE entries; when full, the oldest is
 *     replaced.  sb_gpu_blas_fini drops a handle's entries
 *     (sb_hgemm_cublaslt_release) before destroying the handle.  Not
 *     thread-safe: one thread drives the GPU in stepbench.
 *  6. Errors carry cublasLtGetStatusString's text and the call's shape.
 *  7. The cache, its slots and the heuristic (preference, alignments,
 *     algorithm text) are shared with the int8 GEMM (gemm_s8_cublaslt.c)
 *     through gemm_cublaslt_int.h: its keys say in s8, so the two never
 *     meet in the table, and the release above drops both.
 */
#include <stdio.h>
#include <string.h>

#include "gemm_cublaslt.h"
#include "gemm_cublaslt_int.h"
#include "gemm_cublaslt_names.h"
#include "gpu_int.h"

#define LT_CACHE	128

static struct sb_lt_plan lt_cache[LT_CACHE];
static uint64_t		lt_clock;

static int	gemm(struct sb_gpu *, const struct sb_hgemm_call *);
static int	plan_build(struct sb_gpu *, const struct sb_hgemm_call *,
		    const struct sb_hgemm_lt_key *, const char *,
		    struct sb_lt_plan *);
static void	plan_describe(struct sb_lt_plan *);

const struct sb_hgemm sb_hgemm_cublaslt = {
	.name = "cublaslt",
	.gemm = gemm,
	.describe = NULL,
	.needs_blas = 0,
	.needs_lt = 1,
	.bgrad_epilogue = 1,
	.min_cc = 80,
	.fallback = NULL,
	.summary = "cublasLtMatmul, fp16/bf16 in, fp32 compute, heuristic "
	    "algorithm, bias / bias-gradient epilogues",
};

#define LT_CHECK	SB_LT_CHECK

const char *
sb_lt_status(cublasStatus_t st)
{
	const char *s = cublasLtGetStatusString(st);

	return s != NULL ? s : "unknown cuBLASLt status";
}

unsigned
sb_ptr_align(const void *p)
{
	uintptr_t u = (uintptr_t)p;
	unsigned a = 1;

	if (u == 0)
		return 256;
	while (a < 256 && (u & a) == 0)
		a <<= 1;
	return a;
}

void
sb_hgemm_lt_key_make(const struct sb_hgemm_call *c, const void *lt,
    size_t ws_bytes, struct sb_hgemm_lt_key *k)
{
	memset(k, 0, sizeof(*k));	/* padding too: keys compare whole */
	k->layout = (int)c->layout;
	k->in = (int)c->in;
	k->out = (int)c->out;
	k->m = c->m;
	k->n = c->n;
	k->k = c->k;
	k->lda = c->lda;
	k->ldb = c->ldb;
	k->ldc = c->ldc;
	k->bias = c->bias != NULL;
	k->bgrad = c->bgrad != NULL;
	k->align_a = sb_ptr_align(c->a);
	k->align_b = sb_ptr_align(c->b);
	k->align_c = sb_ptr_align(c->c);
	k->align_bias = c->bias != NULL ? sb_ptr_align(c->bias) : 0;
	k->align_bgrad = c->bgrad != NULL ? sb_ptr_align(c->bgrad) : 0;
	k->ws_bytes = ws_bytes;
	k->lt = lt;
}

int
sb_hgemm_lt_key_equal(const struct sb_hgemm_lt_key *x,
    const struct sb_hgemm_lt_key *y)
{
	return x->layout == y->layout && x->in == y->in && x->out == y->out &&
	    x->m == y->m && x->n == y->n && x->k == y->k &&
	    x->lda == y->lda && x->ldb == y->ldb && x->ldc == y->ldc &&
	    x->bias == y->bias && x->bgrad == y->bgrad &&
	    x->align_a == y->align_a && x->align_b == y->align_b &&
	    x->align_c == y->align_c && x->align_bias == y->align_bias &&
	    x->align_bgrad == y->align_bgrad && x->ws_bytes == y->ws_bytes &&
	    x->lt == y->lt;
}

int
sb_hgemm_cublaslt_algo(const struct sb_hgemm_call *c, char *desc,
    size_t len)
{
	struct sb_hgemm_lt_key want;
	const struct sb_lt_plan *best;

	if (len > 0)
		desc[0] = '\0';
	sb_hgemm_lt_key_make(c, NULL, 0, &want);
	if ((best = sb_lt_plan_newest(&want)) == NULL)
		return -1;
	(void)snprintf(desc, len, "%s", best->desc);
	return 0;
}

const struct sb_lt_plan *
sb_lt_plan_newest(const struct sb_hgemm_lt_key *want)
{
	struct sb_hgemm_lt_key k = *want;
	const struct sb_lt_plan *best = NULL;

	for (int i = 0; i < LT_CACHE; i++) {
		const struct sb_lt_plan *p = &lt_cache[i];

		if (!p->used)
			continue;
		k.lt = p->key.lt;
		k.ws_bytes = p->key.ws_bytes;
		if (sb_hgemm_lt_key_equal(&k, &p->key) &&
		    (best == NULL || p->age > best->age))
			best = p;
	}
	return best;
}

struct sb_lt_plan *
sb_lt_plan_find(const struct sb_hgemm_lt_key *key)
{
	for (int i = 0; i < LT_CACHE; i++)
		if (lt_cache[i].used && sb_hgemm_lt_key_equal(key,
		    &lt_cache[i].key))
			return &lt_cache[i];
	return NULL;
}

struct sb_lt_plan *
sb_lt_plan_slot(struct sb_gpu *g, const char *what)
{
	enum cudaStreamCaptureStatus cap = cudaStreamCaptureStatusNone;
	struct sb_lt_plan *slot = NULL;
	cudaError_t e;

	/* design note 3: no heuristic inside a capture */
	if ((e = cudaStreamIsCapturing(g->stream, &cap)) != cudaSuccess) {
		(void)sb_gpu_fail(g, __FILE__, __LINE__,
		    "cudaStreamIsCapturing", cudaGetErrorString(e));
		return NULL;
	}
	if (cap != cudaStreamCaptureStatusNone) {
		(void)sb_gpu_fail(g, __FILE__, __LINE__, what, "first call of "
		    "this shape while the stream is being captured: cuBLASLt's "
		    "heuristic may fail in a capture, so run the call once "
		    "before capturing");
		return NULL;
	}
	for (int i = 0; i < LT_CACHE; i++) {
		if (!lt_cache[i].used) {
			slot = &lt_cache[i];
			break;
		}
		if (slot == NULL || lt_cache[i].age < slot->age)
			slot = &lt_cache[i];
	}
	sb_lt_plan_free(slot);
	return slot;
}

void
sb_lt_plan_commit(struct sb_lt_plan *p, const struct sb_hgemm_lt_key *key)
{
	p->key = *key;
	p->age = ++lt_clock;
	p->used = 1;
}

void
sb_hgemm_cublaslt_release(void *lt)
{
	for (int i = 0; i < LT_CACHE; i++)
		if (lt_cache[i].used && lt_cache[i].key.lt == lt)
			sb_lt_plan_free(&lt_cache[i]);
}

void
sb_lt_plan_free(struct sb_lt_plan *p)
{
	if (p->op != NULL)
		(void)cublasLtMatmulDescDestroy(p->op);
	if (p->la != NULL)
		(void)cublasLtMatrixLayoutDestroy(p->la);
	if (p->lb != NULL)
		(void)cublasLtMatrixLayoutDestroy(p->lb);
	if (p->lc != NULL)
		(void)cublasLtMatrixLayoutDestroy(p->lc);
	memset(p, 0, sizeof(*p));
}

static cudaDataType_t
cuda_type(enum sb_dtype t)
{
	return t == SB_DT_F32 ? CUDA_R_32F : t == SB_DT_BF16 ? CUDA_R_16BF :
	    CUDA_R_16F;
}

/* "lt algo 21 tile 128x256 stages 64x4 splitk 1 red none swz 0 cl 1x1x1
 * ws 0": at most 95 characters whatever the values. */
static void
plan_describe(struct sb_lt_plan *p)
{
	static const char *const red[] = { "none", "inplace", "compute",
	    "?", "output" };
	int32_t id = -1, splitk = 1;
	uint32_t tile = 0, stages = 0, scheme = 0, swz = 0;
	uint16_t cluster = 0;
	char tbuf[16], sbuf[16], cbuf[16];
	const char *tn, *sn, *cn;

	(void)cublasLtMatmulAlgoConfigGetAttribute(&p->algo,
	    CUBLASLT_ALGO_CONFIG_ID, &id, sizeof(id), NULL);
	(void)cublasLtMatmulAlgoConfigGetAttribute(&p->algo,
	    CUBLASLT_ALGO_CONFIG_TILE_ID, &tile, sizeof(tile), NULL);
	(void)cublasLtMatmulAlgoConfigGetAttribute(&p->algo,
	    CUBLASLT_ALGO_CONFIG_STAGES_ID, &stages, sizeof(stages), NULL);
	(void)cublasLtMatmulAlgoConfigGetAttribute(&p->algo,
	    CUBLASLT_ALGO_CONFIG_SPLITK_NUM, &splitk, sizeof(splitk), NULL);
	(void)cublasLtMatmulAlgoConfigGetAttribute(&p->algo,
	    CUBLASLT_ALGO_CONFIG_REDUCTION_SCHEME, &scheme, sizeof(scheme),
	    NULL);
	(void)cublasLtMatmulAlgoConfigGetAttribute(&p->algo,
	    CUBLASLT_ALGO_CONFIG_CTA_SWIZZLING, &swz, sizeof(swz), NULL);
	(void)cublasLtMatmulAlgoConfigGetAttribute(&p->algo,
	    CUBLASLT_ALGO_CONFIG_CLUSTER_SHAPE_ID, &cluster, sizeof(cluster),
	    NULL);

	tn = tile < sizeof(lt_tile_names) / sizeof(lt_tile_names[0]) ?
	    lt_tile_names[tile] : NULL;
	sn = stages < sizeof(lt_stages_names) / sizeof(lt_stages_names[0]) ?
	    lt_stages_names[stages] : NULL;
	cn = cluster < sizeof(lt_cluster_names) /
	    sizeof(lt_cluster_names[0]) ? lt_cluster_names[cluster] : NULL;
	if (tn == NULL)
		(void)snprintf(tbuf, sizeof(tbuf), "#%u", (unsigned)tile);
	if (sn == NULL)
		(void)snprintf(sbuf, sizeof(sbuf), "#%u", (unsigned)stages);
	if (cn == NULL)
		(void)snprintf(cbuf, sizeof(cbuf), "#%u", (unsigned)cluster);
	(void)snprintf(p->desc, sizeof(p->desc), "lt algo %d tile %.10s "
	    "stages %.10s splitk %d red %s swz %u cl %.10s ws %zu", (int)id,
	    tn != NULL ? tn : tbuf, sn != NULL ? sn : sbuf, (int)splitk,
	    scheme < 5 ? red[scheme] : "?", (unsigned)swz,
	    cn != NULL ? cn : cbuf, p->ws_bytes);
}

/* The half call's descriptors, then the heuristic (sb_lt_plan_choose):
 * into *p (freed by the caller on failure). */
static int
plan_build(struct sb_gpu *g, const struct sb_hgemm_call *c,
    const struct sb_hgemm_lt_key *key, const char *what,
    struct sb_lt_plan *p)
{
	const cublasComputeType_t compute = CUBLAS_COMPUTE_32F;
	const cudaDataType_t scale = CUDA_R_32F, tin = cuda_type(c->in),
	    tout = cuda_type(c->out);
	cublasOperation_t ta, tb;
	cublasLtEpilogue_t epi = CUBLASLT_EPILOGUE_DEFAULT;
	char detail[200];

	if (sb_hgemm_lib_plan(c, 1, &p->lib, detail, sizeof(detail)) != 0)
		return sb_gpu_fail(g, __FILE__, __LINE__, what, detail);
	ta = p->lib.first_t ? CUBLAS_OP_T : CUBLAS_OP_N;
	tb = p->lib.second_t ? CUBLAS_OP_T : CUBLAS_OP_N;
	LT_CHECK(g, what, cublasLtMatmulDescCreate(&p->op, compute, scale));
	LT_CHECK(g, what, cublasLtMatmulDescSetAttribute(p->op,
	    CUBLASLT_MATMUL_DESC_TRANSA, &ta, sizeof(ta)));
	LT_CHECK(g, what, cublasLtMatmulDescSetAttribute(p->op,
	    CUBLASLT_MATMUL_DESC_TRANSB, &tb, sizeof(tb)));
	if (p->lib.bias == SB_HB_EPILOGUE) {
		const int32_t bt = (int32_t)tin;	/* = D's type here */

		epi = CUBLASLT_EPILOGUE_BIAS;
		LT_CHECK(g, what, cublasLtMatmulDescSetAttribute(p->op,
		    CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE, &bt, sizeof(bt)));
		LT_CHECK(g, what, cublasLtMatmulDescSetAttribute(p->op,
		    CUBLASLT_MATMUL_DESC_BIAS_POINTER, &c->bias,
		    sizeof(c->bias)));
	} else if (p->lib.bgradb) {
		const int32_t bt = (int32_t)tout;

		epi = CUBLASLT_EPILOGUE_BGRADB;
		LT_CHECK(g, what, cublasLtMatmulDescSetAttribute(p->op,
		    CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE, &bt, sizeof(bt)));
		LT_CHECK(g, what, cublasLtMatmulDescSetAttribute(p->op,
		    CUBLASLT_MATMUL_DESC_BIAS_POINTER, &c->bgrad,
		    sizeof(c->bgrad)));
	}
	LT_CHECK(g, what, cublasLtMatmulDescSetAttribute(p->op,
	    CUBLASLT_MATMUL_DESC_EPILOGUE, &epi, sizeof(epi)));
	LT_CHECK(g, what, cublasLtMatrixLayoutCreate(&p->la, tin,
	    (uint64_t)p->lib.first_rows, (uint64_t)p->lib.first_cols,
	    p->lib.first_ld));
	LT_CHECK(g, what, cublasLtMatrixLayoutCreate(&p->lb, tin,
	    (uint64_t)p->lib.second_rows, (uint64_t)p->lib.second_cols,
	    p->lib.second_ld));
	LT_CHECK(g, what, cublasLtMatrixLayoutCreate(&p->lc, tout,
	    (uint64_t)p->lib.d_rows, (uint64_t)p->lib.d_cols, p->lib.d_ld));

	return sb_lt_plan_choose(g, p, key, what, p->lib.bgradb ? "; the "
	    "bias-gradient epilogue may not be offered for these types: "
	    "reduce it separately" : "");
}

int
sb_lt_plan_choose(struct sb_gpu *g, struct sb_lt_plan *p,
    const struct sb_hgemm_lt_key *key, const char *what, const char *hint)
{
	cublasLtMatmulPreference_t pref = NULL;
	cublasLtMatmulHeuristicResult_t res;
	uint64_t ws = g->lt_ws_bytes;
	uint32_t al;
	int found = 0, rc = -1;
	cublasStatus_t st;
	char detail[256];

	LT_CHECK(g, what, cublasLtMatmulPreferenceCreate(&pref));
	/* From here pref must be destroyed: no LT_CHECK returns. */
#define PREF(attr, v) do {						\
	if ((st = cublasLtMatmulPreferenceSetAttribute(pref, (attr), &(v), \
	    sizeof(v))) != CUBLAS_STATUS_SUCCESS) {			\
		sb_gpu_fail(g, __FILE__, __LINE__, what,		\
		    sb_lt_status(st));					\
		goto out;						\
	}								\
} while (0)
	PREF(CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, ws);
	/* the library's A is our b, its B our a; C and D are c */
	al = key->align_b;
	PREF(CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, al);
	al = key->align_a;
	PREF(CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, al);
	al = key->align_c;
	PREF(CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, al);
	PREF(CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, al);
#undef PREF
	memset(&res, 0, sizeof(res));
	st = cublasLtMatmulAlgoGetHeuristic((cublasLtHandle_t)g->lt, p->op,
	    p->la, p->lb, p->lc, p->lc, pref, 1, &res, &found);
	if (st != CUBLAS_STATUS_SUCCESS || found < 1 ||
	    res.state != CUBLAS_STATUS_SUCCESS) {
		(void)snprintf(detail, sizeof(detail), "no algorithm (%s)%s",
		    sb_lt_status(st != CUBLAS_STATUS_SUCCESS ? st :
		    found < 1 ? CUBLAS_STATUS_NOT_SUPPORTED : res.state),
		    hint != NULL ? hint : "");
		sb_gpu_fail(g, __FILE__, __LINE__, what, detail);
		goto out;
	}
	p->algo = res.algo;
	p->ws_bytes = res.workspaceSize;
	plan_describe(p);
	rc = 0;
out:
	(void)cublasLtMatmulPreferenceDestroy(pref);
	return rc;
}

/* The call's a, b, c, bias, bgrad are device pointers (gemm_h16.h). */
static int
gemm(struct sb_gpu *g, const struct sb_hgemm_call *c)
{
	struct sb_hgemm_lt_key key;
	struct sb_lt_plan *p;
	const float alpha = 1.0f;
	cublasStatus_t st;
	char what[160];

	if (sb_hgemm_check(g, &sb_hgemm_cublaslt, c) != 0)
		return -1;
	(void)snprintf(what, sizeof(what), "cublasLtMatmul(%s %s->%s, m=%lld "
	    "n=%lld k=%lld%s%s)", sb_layout_name(c->layout),
	    sb_dtype_name(c->in), sb_dtype_name(c->out), (long long)c->m,
	    (long long)c->n, (long long)c->k, c->bias ? ", bias" : "",
	    c->bgrad ? ", bgrad" : "");
	sb_hgemm_lt_key_make(c, g->lt, g->lt_ws_bytes, &key);
	if ((p = sb_lt_plan_find(&key)) == NULL) {
		if ((p = sb_lt_plan_slot(g, what)) == NULL)
			return -1;
		if (plan_build(g, c, &key, what, p) != 0) {
			sb_lt_plan_free(p);
			return -1;
		}
		sb_lt_plan_commit(p, &key);
	} else if (c->bias != NULL && p->lib.bias == SB_HB_EPILOGUE) {
		LT_CHECK(g, what, cublasLtMatmulDescSetAttribute(p->op,
		    CUBLASLT_MATMUL_DESC_BIAS_POINTER, &c->bias,
		    sizeof(c->bias)));
	} else if (c->bgrad != NULL) {
		LT_CHECK(g, what, cublasLtMatmulDescSetAttribute(p->op,
		    CUBLASLT_MATMUL_DESC_BIAS_POINTER, &c->bgrad,
		    sizeof(c->bgrad)));
	}

	if (p->lib.bias == SB_HB_BROADCAST && sb_hgemm_bias_broadcast(g,
	    c->in, c->out, c->bias, c->c, c->m, c->n, c->ldc) != 0)
		return -1;
	/* D = C = c; the library's A is b, its B is a (gemm_cublaslt.h) */
	st = cublasLtMatmul((cublasLtHandle_t)g->lt, p->op, &alpha, c->b,
	    p->la, c->a, p->lb, &p->lib.beta, c->c, p->lc, c->c, p->lc,
	    &p->algo, g->lt_ws, g->lt_ws_bytes, g->stream);
	g->launches++;
	if (st != CUBLAS_STATUS_SUCCESS)
		return sb_gpu_fail(g, __FILE__, __LINE__, what,
		    sb_lt_status(st));
	return 0;
}
