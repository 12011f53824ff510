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
#include "gemm_h16.h"
#include "gemm_s8.h"
#include "gpu.h"
#include "registry.h"

#define TOL_FP32	1e-5
#define TOL_TF32	2e-3
/* Mixed precision: every GEMM input is rounded to half (2^-11 relative for
 * fp16, 2^-8 for bf16) and so is every GEMM output; a few such roundings
 * compound through forward, backward and the update.  The CPU variants,
 * which round at exactly the same places, measure the errors these bounds
 * must admit (tests/cli/amp.sh runs them at several shapes). */
#define TOL_F16AMP	1e-2
#define TOL_BF16AMP	6e-2
/* int8dyn inference is checked against the fp64 oracle of the int8
 * scheme itself (harness/check_int8.h): the operands quantise to the same
 * int8 values on host and device, the int32 sums are exact, and what is
 * left is the epilogue's fp32 rounding.  The training extension is
 * checked like fp16amp against the fp64 fp32 step, its forward carrying
 * int8's error (about 1% relative per tensor for Gaussian data: a
 * quantisation step of amax/127 over ~4.5 sigma); the CPU variant
 * measures it (tests/cli/int8.sh). */
#define TOL_INT8	1e-5
#define TOL_INT8TRAIN	6e-2

const struct sb_variant sb_variants[] = {
	{ .id = "train.fp32.cpu", .mode = SB_TRAIN, .precision = "fp32",
	  .impl = "cpu", .backend = SB_BACKEND_CPU, .tol = TOL_FP32,
	  .summary = "host C step, one thread, fp32 (the oracle's code in float)" },
	{ .id = "infer.fp32.cpu", .mode = SB_INFER, .precision = "fp32",
	  .impl = "cpu", .backend = SB_BACKEND_CPU, .tol = TOL_FP32,
	  .summary = "host C forward pass, one thread, fp32" },
	/* the autocast step on the host: half roundings where PyTorch has
	 * them, the GradScaler reference (kernels/ref_step_amp.c) */
#define CPU_AMP(prec, dt, sc, t, what)					\
	{ .id = "train." prec ".cpu", .mode = SB_TRAIN, .precision = prec, \
	  .impl = "cpu", .backend = SB_BACKEND_CPU, .amp = dt, .scaled = sc, \
	  .tol = t, .summary = what },					\
	{ .id = "infer." prec ".cpu", .mode = SB_INFER, .precision = prec, \
	  .impl = "cpu", .backend = SB_BACKEND_CPU, .amp = dt, .scaled = sc, \
	  .tol = t, .summary = what " (forward only)" }
	CPU_AMP("fp16amp", SB_DT_F16, 1, TOL_F16AMP,
	    "host C autocast step, fp16 roundings, GradScaler"),
	CPU_AMP("bf16amp", SB_DT_BF16, 0, TOL_BF16AMP,
	    "host C autocast step, bf16 roundings, no scaler"),
#undef CPU_AMP
	/* dynamic int8 on the host: the bit-exact twin of the GPU's
	 * quantisation (kernels/quant.c, ref_int8.c) */
	{ .id = "train.int8dyn.cpu", .mode = SB_TRAIN, .precision = "int8dyn",
	  .impl = "cpu", .backend = SB_BACKEND_CPU, .amp = SB_DT_F16,
	  .scaled = 1, .int8 = 1, .tol = TOL_INT8TRAIN,
	  .summary = "host C: int8 forward from fp32 master weights, fp16 "
	  "backward, GradScaler (an extension)" },
	{ .id = "infer.int8dyn.cpu", .mode = SB_INFER, .precision = "int8dyn",
	  .impl = "cpu", .backend = SB_BACKEND_CPU, .int8 = 1, .tol = TOL_INT8,
	  .summary = "host C dynamic int8 Linear: symmetric int8, int32 sums" },
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
	/* GPU mixed precision: fp16 with GradScaler, bf16 without, per half
	 * GEMM implementation (kernels/gemm_h16.h) */
#define AMP_PAIR(prec, dt, sc, im, g, t)				\
	{ .id = "train." prec "." im, .mode = SB_TRAIN, .precision = prec, \
	  .impl = im, .backend = SB_BACKEND_GPU, .hgemm = &g, .amp = dt,	\
	  .scaled = sc, .tol = t },					\
	{ .id = "infer." prec "." im, .mode = SB_INFER, .precision = prec, \
	  .impl = im, .backend = SB_BACKEND_GPU, .hgemm = &g, .amp = dt,	\
	  .scaled = sc, .tol = t }
#define AMP_BOTH(im, g)							\
	AMP_PAIR("fp16amp", SB_DT_F16, 1, im, g, TOL_F16AMP),		\
	AMP_PAIR("bf16amp", SB_DT_BF16, 0, im, g, TOL_BF16AMP)
	AMP_BOTH("wmma", sb_hgemm_wmma),
	AMP_BOTH("mma", sb_hgemm_mma),
	AMP_BOTH("wgmma", sb_hgemm_wgmma),
	AMP_BOTH("cublas", sb_hgemm_cublas),
	AMP_BOTH("cublaslt", sb_hgemm_cublaslt),
#undef AMP_BOTH
#undef AMP_PAIR
	/* GPU dynamic int8: the forward GEMM (kernels/gemm_s8.h); training
	 * (an extension) runs the fp16amp step's backward with hb */
#define INT8_PAIR(im, ig, hb, hbn, what)					\
	{ .id = "train.int8dyn." im, .mode = SB_TRAIN,			\
	  .precision = "int8dyn", .impl = im, .backend = SB_BACKEND_GPU, \
	  .igemm = &ig, .hgemm = &hb, .int8 = 1, .amp = SB_DT_F16,	\
	  .scaled = 1, .tol = TOL_INT8TRAIN,				\
	  .summary = what "; fp16 " hbn " backward, GradScaler" },	\
	{ .id = "infer.int8dyn." im, .mode = SB_INFER,			\
	  .precision = "int8dyn", .impl = im, .backend = SB_BACKEND_GPU, \
	  .igemm = &ig, .int8 = 1, .tol = TOL_INT8, .summary = what }
	INT8_PAIR("dp4a", sb_igemm_dp4a, sb_hgemm_mma, "mma",
	    "int8 SIMT GEMM on __dp4a, dequantise + bias in its epilogue"),
	INT8_PAIR("imma", sb_igemm_imma, sb_hgemm_mma, "mma",
	    "int8 mma.sync m16n8k32 tensor cores, dequantise + bias in its "
	    "epilogue"),
	INT8_PAIR("cublaslt", sb_igemm_cublaslt, sb_hgemm_cublaslt, "cublaslt",
	    "cuBLASLt int8 (COMPUTE_32I) to int32, then a dequantise + bias "
	    "kernel"),
#undef INT8_PAIR
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
	if (cc < sb_variant_min_cc(v)) {
		snprintf(reason, len, "needs compute capability %d.%d, GPU 0 "
		    "is %d.%d", sb_variant_min_cc(v) / 10,
		    sb_variant_min_cc(v) % 10,
		    d->gpu[0].cc_major, d->gpu[0].cc_minor);
		return 0;
	}
	return 1;
}

int
sb_variant_min_cc(const struct sb_variant *v)
{
	int cc = v->min_cc;

	if (v->hgemm != NULL && v->hgemm->min_cc > cc)
		cc = v->hgemm->min_cc;
	if (v->igemm != NULL && v->igemm->min_cc > cc)
		cc = v->igemm->min_cc;
	return cc;
}

const char *
sb_variant_summary(const struct sb_variant *v)
{
	if (v->summary != NULL)
		return v->summary;
	return v->hgemm != NULL && v->hgemm->summary != NULL ?
	    v->hgemm->summary : "";
}

const char *
sb_variant_fallback(const struct sb_variant *v, const struct sb_device *d)
{
	int cc;

	if (d->gpu_count == 0)
		return NULL;
	cc = d->gpu[0].cc_major * 10 + d->gpu[0].cc_minor;
	if (v->igemm != NULL)
		return v->igemm->fallback != NULL ? v->igemm->fallback(cc) :
		    NULL;
	if (v->hgemm == NULL || v->hgemm->fallback == NULL)
		return NULL;
	return v->hgemm->fallback(cc);
}
