/*
 * kernels/gemm_s8.c — the catalogue of int8 GEMM implementations and the
 * checks every one of them runs on a call before launching anything
 * (gemm_s8.h).
 *
 * Design notes:
 *  1. Catalogue order is the ladder's: dp4a, imma, [wgmma,] cublaslt.  An
 *     implementation file adds its own line here when it lands.
 *  2. The checks mirror sb_hgemm_check (gemm_h16.c), with the int8 call's
 *     own rules: NT only (no layout field), the output type against the
 *     implementation's epilogue, and the epilogue operands present for
 *     f32/f16 and absent for s32.  Every message names the bad value and
 *     what would be valid.
 */
#include <stdio.h>
#include <string.h>

#include "gemm_s8.h"

const struct sb_igemm *const sb_igemms[] = {
	&sb_igemm_dp4a,
	&sb_igemm_imma,
	&sb_igemm_cublaslt,
	NULL
};

const struct sb_igemm *
sb_igemm_find(const char *name)
{
	for (int i = 0; sb_igemms[i] != NULL; i++)
		if (strcmp(sb_igemms[i]->name, name) == 0)
			return sb_igemms[i];
	return NULL;
}

void
sb_igemm_call_init(struct sb_igemm_call *c, enum sb_dtype out, int64_t m,
    int64_t n, int64_t k, const int8_t *a, const int8_t *b, void *cm)
{
	memset(c, 0, sizeof(*c));
	c->m = m;
	c->n = n;
	c->k = k;
	c->a = a;
	c->lda = k;
	c->b = b;
	c->ldb = k;
	c->out = out;
	c->c = cm;
	c->ldc = n;
}

int
sb_igemm_check(struct sb_gpu *g, const struct sb_igemm *impl,
    const struct sb_igemm_call *c)
{
	const char *name = impl != NULL && impl->name != NULL ? impl->name :
	    "?";
	char what[64], detail[200];
	int scaled;

	(void)snprintf(what, sizeof(what), "int8 GEMM '%s' %s out", name,
	    sb_dtype_name(c->out));
	if (impl == NULL || impl->gemm == NULL)
		return sb_gpu_fail(g, __FILE__, __LINE__, what,
		    "no implementation given");
	if (c->out != SB_DT_S32 && c->out != SB_DT_F32 &&
	    c->out != SB_DT_F16) {
		(void)snprintf(detail, sizeof(detail), "output type '%s'; "
		    "want s32, f32 or f16", sb_dtype_name(c->out));
		return sb_gpu_fail(g, __FILE__, __LINE__, what, detail);
	}
	scaled = c->out != SB_DT_S32;
	if (scaled && !impl->epilogue)
		return sb_gpu_fail(g, __FILE__, __LINE__, what,
		    "this implementation has no dequantising epilogue: want "
		    "s32 out (then dequantise separately)");
	if (c->m < 1 || c->n < 1 || c->k < 1) {
		(void)snprintf(detail, sizeof(detail), "m=%lld n=%lld k=%lld: "
		    "each must be at least 1", (long long)c->m,
		    (long long)c->n, (long long)c->k);
		return sb_gpu_fail(g, __FILE__, __LINE__, what, detail);
	}
	if (c->a == NULL || c->b == NULL || c->c == NULL)
		return sb_gpu_fail(g, __FILE__, __LINE__, what,
		    "a, b and c must not be NULL");
	if (c->lda < c->k || c->ldb < c->k || c->ldc < c->n) {
		(void)snprintf(detail, sizeof(detail), "lda=%lld ldb=%lld "
		    "ldc=%lld; NT needs lda >= k = %lld, ldb >= k = %lld, "
		    "ldc >= n = %lld", (long long)c->lda, (long long)c->ldb,
		    (long long)c->ldc, (long long)c->k, (long long)c->k,
		    (long long)c->n);
		return sb_gpu_fail(g, __FILE__, __LINE__, what, detail);
	}
	if (scaled && (c->a_scale == NULL || c->b_scale == NULL)) {
		(void)snprintf(detail, sizeof(detail), "a_scale=%s b_scale=%s: "
		    "%s out dequantises, so both scales must be given (or "
		    "want s32 out)", c->a_scale == NULL ? "NULL" : "set",
		    c->b_scale == NULL ? "NULL" : "set",
		    sb_dtype_name(c->out));
		return sb_gpu_fail(g, __FILE__, __LINE__, what, detail);
	}
	if (!scaled && (c->a_scale != NULL || c->b_scale != NULL ||
	    c->bias != NULL)) {
		(void)snprintf(detail, sizeof(detail), "a_scale=%s b_scale=%s "
		    "bias=%s: s32 out has no epilogue, so all three must be "
		    "NULL (or want f32/f16 out)", c->a_scale == NULL ? "NULL" :
		    "set", c->b_scale == NULL ? "NULL" : "set",
		    c->bias == NULL ? "NULL" : "set");
		return sb_gpu_fail(g, __FILE__, __LINE__, what, detail);
	}
	if (impl->needs_lt && g->lt == NULL)
		return sb_gpu_fail(g, __FILE__, __LINE__, what,
		    "needs cuBLASLt and g->lt is NULL: call sb_gpu_blas_init");
	if (impl->unsupported != NULL &&
	    impl->unsupported(c, detail, sizeof(detail)) != 0)
		return sb_gpu_fail(g, __FILE__, __LINE__, what, detail);
	return 0;
}
