/*
 * kernels/gemm.c — the catalogue of float GEMM implementations and the
 * checks every implementation runs on a call before launching anything.
 *
 * Design notes:
 *  1. The catalogue order is the ladder's: the SIMT versions from the floor
 *     up, then tensor cores, then the libraries.  `stepbench gemm` and the
 *     tests walk it; the step variants name their GEMM in harness/registry.c.
 *  2. A leading dimension below the layout's minimum would make rows overlap:
 *     refused here, with the minimum in the message, instead of producing a
 *     wrong result that the check would later blame on the kernel.
 */
#include <stdio.h>

#include "gpu.h"

const struct sb_gemm_f32 *const sb_gemms_f32[] = {
	&sb_gemm_naive_f32,
	&sb_gemm_coalesced_f32,
	&sb_gemm_smem_f32,
	&sb_gemm_regtile1d_f32,
	&sb_gemm_regtile2d_f32,
	&sb_gemm_vec_f32,
	&sb_gemm_warptile_f32,
	&sb_gemm_mma_tf32,
	&sb_gemm_cublas_f32,
	&sb_gemm_cublas_tf32,
	NULL
};

const char *
sb_layout_name(enum sb_layout layout)
{
	switch (layout) {
	case SB_NT:
		return "nt";
	case SB_TN:
		return "tn";
	case SB_NN:
		return "nn";
	default:
		return "?";
	}
}

void
sb_gemm_call_init(struct sb_gemm_call *c, enum sb_layout layout, int64_t m,
    int64_t n, int64_t k, const float *a, const float *b, float *cm)
{
	c->layout = layout;
	c->m = m;
	c->n = n;
	c->k = k;
	c->a = a;
	c->b = b;
	c->c = cm;
	c->bias = NULL;
	c->lda = layout == SB_TN ? m : k;
	c->ldb = layout == SB_NT ? k : n;
	c->ldc = n;
}

int
sb_gemm_check(struct sb_gpu *g, const struct sb_gemm_f32 *impl,
    const struct sb_gemm_call *c)
{
	const char *name = impl != NULL && impl->name != NULL ? impl->name :
	    "?";
	char what[64], detail[200];
	int64_t min_lda, min_ldb;

	(void)snprintf(what, sizeof(what), "GEMM '%s' %s", name,
	    sb_layout_name(c->layout));
	if ((unsigned)c->layout >= SB_LAYOUT_COUNT)
		return sb_gpu_fail(g, __FILE__, __LINE__, what,
		    "unknown layout (want SB_NT, SB_TN or SB_NN)");
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
	if (c->bias != NULL && (impl == NULL || !impl->bias_epilogue))
		return sb_gpu_fail(g, __FILE__, __LINE__, what,
		    "this implementation has no bias epilogue: pass bias = "
		    "NULL and add the bias with sb_bias_add");
	return 0;
}
