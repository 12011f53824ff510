/*
 * kernels/gemm_f16_wmma.cu — the launcher of the textbook nvcuda::wmma half
 * GEMM (gemm_f16_wmma.cuh has the kernel and its design): sb_hgemm_wmma,
 * "wmma", fp16 and bf16 in, fp32 or the input type out, NT/TN/NN, bias in
 * the epilogue, no bias-gradient epilogue.
 */
#include "gemm_f16_wmma.cuh"
#include "gemm_f16_launch.cuh"

extern "C" const struct sb_hgemm sb_hgemm_wmma;
HGEMM_IMPL_FNS(wmma, sb_hgemm_wmma, gemm_f16_wmma_plan)
extern "C" const struct sb_hgemm sb_hgemm_wmma = {
	"wmma",			/* name */
	wmma_gemm,
	wmma_describe,
	0,			/* needs_blas */
	0,			/* needs_lt */
	0,			/* bgrad_epilogue */
	80,			/* min_cc: bf16 fragments (fp16 alone: 70) */
	NULL,			/* fallback: its own path everywhere */
	"nvcuda::wmma 16x16x16 fragments, 64x64x32 tiles, 4 warps of 32x32, "
	    "epilogue through shared memory",
};
