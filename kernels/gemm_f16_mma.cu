/*
 * kernels/gemm_f16_mma.cu — the launcher of the hand-written mma.sync half
 * GEMM (gemm_f16_mma.cuh has the kernel and its design): sb_hgemm_mma,
 * "mma", fp16 and bf16 in, fp32 or the input type out, NT/TN/NN, bias in
 * the epilogue, no bias-gradient epilogue.  Also the portable fallback of
 * the wgmma implementation off sm_90a.
 */
#include "gemm_f16_mma.cuh"
#include "gemm_f16_launch.cuh"

extern "C" const struct sb_hgemm sb_hgemm_mma;
HGEMM_IMPL_FNS(mma, sb_hgemm_mma, gemm_f16_mma_plan)
extern "C" const struct sb_hgemm sb_hgemm_mma = {
	"mma",			/* name */
	mma_gemm,
	mma_describe,
	0,			/* needs_blas */
	0,			/* needs_lt */
	0,			/* bgrad_epilogue */
	80,			/* min_cc: cp.async, bf16 mma.sync */
	NULL,			/* fallback: its own path everywhere */
	"mma.sync m16n8k16 + ldmatrix, 4-stage cp.async pipeline, "
	    "128x128x32 tiles, 8 warps of 64x32",
};
