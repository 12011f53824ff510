/*
 * kernels/gemm_tf32_mma.cu — the launcher of the hand-written TF32
 * tensor-core GEMM (gemm_tf32_mma.cuh): sb_gemm_mma_tf32, "mma".
 */
#include "gemm_tf32_mma.cuh"
#include "gemm_launch.cuh"

extern "C" const struct sb_gemm_f32 sb_gemm_mma_tf32;
GEMM_IMPL_FNS(mma, sb_gemm_mma_tf32, gemm_tf32_mma_plan)
extern "C" const struct sb_gemm_f32 sb_gemm_mma_tf32 = {
	"mma", "tf32", mma_gemm, mma_describe, 0, 1, 80
};
