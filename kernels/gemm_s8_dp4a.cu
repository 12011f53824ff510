/*
 * kernels/gemm_s8_dp4a.cu — the launcher of the SIMT int8 GEMM
 * (gemm_s8_dp4a.cuh has the kernel and its design): sb_igemm_dp4a, "dp4a",
 * NT, s32 out or the dequantise + bias epilogue to f32 / f16.
 */
#include "gemm_s8_dp4a.cuh"

extern "C" const struct sb_igemm sb_igemm_dp4a;
IGEMM_IMPL_FNS(dp4a, sb_igemm_dp4a, gemm_s8_dp4a_plan)
extern "C" const struct sb_igemm sb_igemm_dp4a = {
	"dp4a",			/* name */
	dp4a_gemm,
	dp4a_describe,
	0,			/* needs_lt */
	1,			/* epilogue: dequantises itself */
	61,			/* min_cc: dp4a */
	NULL,			/* unsupported: any well-formed call */
	NULL,			/* fallback: its own path everywhere */
	"SIMT __dp4a, 64x64x64 tiles in shared memory, 4x4 int32 per "
	    "thread, dequant+bias epilogue",
};
