/*
 * kernels/gemm_h16.c — the catalogue of half-precision GEMM implementations
 * and the checks every one of them runs on a call before launching anything
 * (the float side is gemm.c).
 *
 * Design notes:
 *  1. Catalogue order is the ladder's: wmma, mma, wgmma, then the libraries.
 *     An implementation file adds its own line here when it lands.
 *  2. The checks are those of sb_gemm_check plus the types: an input type
 *     that is not half, or an output type that is neither fp32 nor the input
 *     type, is refused with the valid choices in the message.
 */
#include <stdio.h>
#include <string.h>

#include "gemm_h16.h"

const struct sb_hgemm *const sb_hgemms[] = {
	&sb_hgemm_wmma,
	&sb_hgemm_mma,
	&sb_hgemm_wgmma,
	&sb_hgemm_cublas, &sb_hgemm_cublaslt,
	NULL
};

const struct sb_hgemm *
sb_hgemm_find(const char *name)
{
	for (int i = 0; sb_hgemms[i] != NULL; i++)
		if (strcmp(sb_hgemms[i]->name, name) == 0)
			return sb_hgemms[i];
	return NULL;
}

void
sb_hgemm_call_init(struct sb_hgemm_call *c, enum sb_layout layout,
    enum sb_dtype in, enum sb_dtype out, int64_t m, int64_t n, int64_t k,
    const void *a, const void *b, void *cm)
{
	memset(c, 0, sizeof(*c));
	c->layout = layout;
	c->in = in;
	c->out = out;
	c->m = m;
	c->n = n;
	c->k = k;
	c->a = a;
	c->b = b;
	c->c = cm;
	c->lda = layout == SB_TN ? m : k;
	c->ldb = layout == SB_NT ? k : n;
	c->ldc = n;
}

int
sb_hgemm_check(struct sb_gpu *g, const struct sb_hgemm *impl,
    const struct sb_hgemm_call *c)
{
	const char *name = impl != NULL && impl->name != NULL ? impl->name :
	    "?";
	char what[64], detail[200];
	int64_t min_lda, min_ldb;

	(void)snprintf(what, sizeof(what), "GEMM '%s' %s.%s", name,
	    sb_dtype_name(c->in), sb_layout_name(c->layout));
	if (impl == NULL || impl->gemm == NULL)
		return sb_gpu_fail(g, __FILE__, __LINE__, what,
		    "no implementation given");
	if ((unsigned)c->layout >= SB_LAYOUT_COUNT)
		return sb_gpu_fail(g, __FILE__, __LINE__, what,
		    "unknown layout (want SB_NT, SB_TN or SB_NN)");
	if (c->in != SB_DT_F16 && c->in != SB_DT_BF16) {
		(void)snprintf(detail, sizeof(detail), "input type '%s'; want "
		    "f16 or bf16", sb_dtype_name(c->in));
		return sb_gpu_fail(g, __FILE__, __LINE__, what, detail);
	}
	if (c->out != SB_DT_F32 && c->out != c->in) {
		(void)snprintf(detail, sizeof(detail), "output type '%s' with "
		    "input '%s'; want f32 or %s", sb_dtype_name(c->out),
		    sb_dtype_name(c->in), sb_dtype_name(c->in));
		return sb_gpu_fail(g, __FILE__, __LINE__, what, detail);
	}
	if (c->m < 1 || c->n < 1 || c->k < 1) {
		(void)snprintf(detail, sizeof(detail), "m=%lld n=%lld k=%lld: "
		    "each must be at least 1", (long long)c->m,
		    (long long)c->n, (long long)c->k);
		return sb_gpu_fail(g, __FILE__, __LINE__, what, detail);
	}
	if (c->a == NULL || c->b == NULL || c->c == NULL)
		return sb_gpu_fail(g, __FILE__, __LINE__, what,
		    "a, b and c must not be NULL");
	min_lda = c->layout == SB_TN ? c->m : c->k;
	min_ldb = c->layout == SB_NT ? c->k : c->n;
	if (c->lda < min_lda || c->ldb < min_ldb || c->ldc < c->n) {
		(void)snprintf(detail, sizeof(detail), "lda=%lld ldb=%lld "
		    "ldc=%lld; this layout needs lda >= %lld, ldb >= %lld, "
		    "ldc >= %lld", (long long)c->lda, (long long)c->ldb,
		    (long long)c->ldc, (long long)min_lda, (long long)min_ldb,
		    (long long)c->n);
		return sb_gpu_fail(g, __FILE__, __LINE__, what, detail);
	}
	if (c->bgrad != NULL && !impl->bgrad_epilogue)
		return sb_gpu_fail(g, __FILE__, __LINE__, what,
		    "this implementation has no bias-gradient epilogue: pass "
		    "bgrad = NULL and reduce the bias gradient separately");
	if (impl->needs_blas && g->blas == NULL)
		return sb_gpu_fail(g, __FILE__, __LINE__, what,
		    "needs cuBLAS and g->blas is NULL: call sb_gpu_blas_init");
	if (impl->needs_lt && g->lt == NULL)
		return sb_gpu_fail(g, __FILE__, __LINE__, what,
		    "needs cuBLASLt and g->lt is NULL: call sb_gpu_blas_init");
	return 0;
}
