/*
 * kernels/gemm_s8_imma.cu — the launcher of the hand-written IMMA int8
 * GEMM (gemm_s8_imma.cuh has the kernel and its design): sb_igemm_imma,
 * "imma", NT, s32 out or the dequantise + bias epilogue to f32 / f16.
 */
#include "gemm_s8_imma.cuh"

extern "C" const struct sb_igemm sb_igemm_imma;
IGEMM_IMPL_FNS(imma, sb_igemm_imma, gemm_s8_imma_plan)
extern "C" const struct sb_igemm sb_igemm_imma = {
	"imma",			/* name */
	imma_gemm,
	imma_describe,
	0,			/* needs_lt */
	1,			/* epilogue: dequantises itself */
	80,			/* min_cc: cp.async, mma.sync m16n8k32 s8 */
	NULL,			/* unsupported: any well-formed call */
	NULL,			/* fallback: its own path everywhere */
	"mma.sync m16n8k32 s8 + ldmatrix, 4-stage cp.async pipeline, "
	    "128x128x64 tiles, 8 warps of 64x32, dequant+bias epilogue",
};
