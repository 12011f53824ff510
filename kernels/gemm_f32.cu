/*
 * kernels/gemm_f32.cu — the launchers of the SIMT fp32 GEMM ladder
 * (gemm_f32.cuh has the versions and the kernels): one struct sb_gemm_f32
 * per version, each planning with gemm_f32_plan and launching through
 * gemm_launch.cuh.
 */
#include "gemm_f32.cuh"
#include "gemm_launch.cuh"

#define LADDER(nm, version)						\
static int								\
plan_##nm(enum sb_layout layout, const struct gemm_params *p,		\
    struct gemm_launch *l)						\
{									\
	return gemm_f32_plan((version), layout, p, l);			\
}									\
extern "C" const struct sb_gemm_f32 sb_gemm_##nm##_f32;		\
GEMM_IMPL_FNS(nm, sb_gemm_##nm##_f32, plan_##nm)			\
extern "C" const struct sb_gemm_f32 sb_gemm_##nm##_f32 = {		\
	#nm, "f32", nm##_gemm, nm##_describe, 0, 1, 70			\
};

LADDER(naive, GEMM_F32_NAIVE)
LADDER(coalesced, GEMM_F32_COALESCED)
LADDER(smem, GEMM_F32_SMEM)
LADDER(regtile1d, GEMM_F32_REGTILE1D)
LADDER(regtile2d, GEMM_F32_REGTILE2D)
LADDER(vec, GEMM_F32_VEC)
LADDER(warptile, GEMM_F32_WARPTILE)
