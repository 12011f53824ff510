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
	{ .id = "train.fp32.naive", .mode = SB_TRAIN, .precision = "fp32",
	  .impl = "naive", .backend = SB_BACKEND_GPU, .min_cc = 70,
	  .gemm = &sb_gemm_naive_f32, .tol = TOL_FP32,
	  .summary = "one thread per output GEMMs + elementwise kernels" },
	{ .id = "infer.fp32.naive", .mode = SB_INFER, .precision = "fp32",
	  .impl = "naive", .backend = SB_BACKEND_GPU, .min_cc = 70,
	  .gemm = &sb_gemm_naive_f32, .tol = TOL_FP32,
	  .summary = "one thread per output GEMM + bias kernel" },
	{ .id = "train.fp32.cublas", .mode = SB_TRAIN, .precision = "fp32",
	  .impl = "cublas", .backend = SB_BACKEND_GPU, .min_cc = 70,
	  .gemm = &sb_gemm_cublas_f32, .tol = TOL_FP32,
	  .summary = "cublasGemmEx, CUBLAS_COMPUTE_32F (strict fp32)" },
	{ .id = "infer.fp32.cublas", .mode = SB_INFER, .precision = "fp32",
	  .impl = "cublas", .backend = SB_BACKEND_GPU, .min_cc = 70,
	  .gemm = &sb_gemm_cublas_f32, .tol = TOL_FP32,
	  .summary = "cublasGemmEx forward, strict fp32" },
	{ .id = "train.tf32.cublas", .mode = SB_TRAIN, .precision = "tf32",
	  .impl = "cublas", .backend = SB_BACKEND_GPU, .min_cc = 80,
	  .gemm = &sb_gemm_cublas_tf32, .tol = TOL_TF32,
	  .summary = "cublasGemmEx, CUBLAS_COMPUTE_32F_FAST_TF32 tensor cores" },
	{ .id = "infer.tf32.cublas", .mode = SB_INFER, .precision = "tf32",
	  .impl = "cublas", .backend = SB_BACKEND_GPU, .min_cc = 80,
	  .gemm = &sb_gemm_cublas_tf32, .tol = TOL_TF32,
	  .summary = "cublasGemmEx forward, TF32 tensor cores" },
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
