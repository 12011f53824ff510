/*
 * harness/registry.c — the variant table.  To add a variant: add a row here
 * (id, mode, precision, implementation, backend, minimum compute capability,
 * the kernels it runs, its tolerance and a one-line summary).  The engine,
 * `stepbench list`, the sweep globs and the GPU test pick it up from here.
 *
 * Tolerances are the base relative L2 error allowed against the fp64
 * reference; check.c widens fp32 tolerances with the reduction length.
 */
#include <stdio.h>
#include <string.h>

#include "device.h"
#include "gpu.h"
#include "registry.h"

#define TOL_FP32	1e-5
#define TOL_TF32	2e-3

const struct sb_variant sb_variants[] = {
	{ .id = "train.fp32.cpu", .mode = SB_TRAIN, .precision = "fp32",
	  .impl = "cpu", .backend = SB_BACKEND_CPU, .tol = TOL_FP32,
	  .summary = "host C step, one thread, fp32 (the oracle's code in float)" },
	{ .id = "infer.fp32.cpu", .mode = SB_INFER, .precision = "fp32",
	  .impl = "cpu", .backend = SB_BACKEND_CPU, .tol = TOL_FP32,
	  .summary = "host C forward pass, one thread, fp32" },
	/* GPU: a training step and its forward pass per GEMM implementation */
#define GPU_PAIR(prec, im, g, cc, t, what)				\
	{ .id = "train." prec "." im, .mode = SB_TRAIN, .precision = prec, \
	  .impl = im, .backend = SB_BACKEND_GPU, .min_cc = cc, .gemm = &g, \
	  .tol = t, .summary = what },					\
	{ .id = "infer." prec "." im, .mode = SB_INFER, .precision = prec, \
	  .impl = im, .backend = SB_BACKEND_GPU, .min_cc = cc, .gemm = &g, \
	  .tol = t, .summary = what " (forward only)" }
	GPU_PAIR("fp32", "naive", sb_gemm_naive_f32, 70, TOL_FP32,
	    "one thread per output, threads along rows: uncoalesced"),
	GPU_PAIR("fp32", "coalesced", sb_gemm_coalesced_f32, 70, TOL_FP32,
	    "one thread per output along columns; a warp per output in NT"),
	GPU_PAIR("fp32", "smem", sb_gemm_smem_f32, 70, TOL_FP32,
	    "32x32 shared-memory tiles, one output per thread"),
	GPU_PAIR("fp32", "regtile1d", sb_gemm_regtile1d_f32, 70, TOL_FP32,
	    "64x64x8 tiles, 8 outputs per thread"),
	GPU_PAIR("fp32", "regtile2d", sb_gemm_regtile2d_f32, 70, TOL_FP32,
	    "128x128x16 tiles, 8x8 outputs per thread"),
	GPU_PAIR("fp32", "vec", sb_gemm_vec_f32, 70, TOL_FP32,
	    "regtile2d with 16-byte loads and shared-memory reads"),
	GPU_PAIR("fp32", "warptile", sb_gemm_warptile_f32, 70, TOL_FP32,
	    "warp tiles, double-buffered shared memory"),
	GPU_PAIR("fp32", "cublas", sb_gemm_cublas_f32, 70, TOL_FP32,
	    "cublasGemmEx, CUBLAS_COMPUTE_32F (strict fp32)"),
	GPU_PAIR("tf32", "mma", sb_gemm_mma_tf32, 80, TOL_TF32,
	    "hand-written mma.sync m16n8k8 TF32 tensor cores"),
	GPU_PAIR("tf32", "cublas", sb_gemm_cublas_tf32, 80, TOL_TF32,
	    "cublasGemmEx, CUBLAS_COMPUTE_32F_FAST_TF32 tensor cores"),
#undef GPU_PAIR
	{ .id = NULL }
};

const struct sb_variant *
sb_variant_find(const char *id)
{
	for (const struct sb_variant *v = sb_variants; v->id != NULL; v++)
		if (strcmp(v->id, id) == 0)
			return v;
	return NULL;
}

const char *
sb_mode_name(enum sb_mode m)
{
	return m == SB_TRAIN ? "train" : "infer";
}

int
sb_variant_runnable(const struct sb_variant *v, const struct sb_device *d,
    char *reason, size_t len)
{
	int cc;

	if (v->backend == SB_BACKEND_CPU)
		return 1;
	if (d->gpu_count == 0) {
		snprintf(reason, len, "no GPU: %s", d->no_gpu_reason);
		return 0;
	}
	cc = d->gpu[0].cc_major * 10 + d->gpu[0].cc_minor;
	if (cc < v->min_cc) {
		snprintf(reason, len, "needs compute capability %d.%d, GPU 0 "
		    "is %d.%d", v->min_cc / 10, v->min_cc % 10,
		    d->gpu[0].cc_major, d->gpu[0].cc_minor);
		return 0;
	}
	return 1;
}
