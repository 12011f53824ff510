/*
 * kernels/gemm_planned.cuh — what every hand-written GEMM family's host
 * side does once its planner has chosen a kernel (.cu files only): raise
 * the kernel's dynamic shared-memory limit, enqueue it and count it, or
 * describe it.  The families (gemm_launch.cuh for fp32/TF32,
 * gemm_f16_launch.cuh for half, gemm_s8.cuh for int8) differ only in how a
 * call is checked and planned; these templates are the rest, once.
 *
 * A launch record L has kernel, grid, block and name, and smem_bytes
 * (dynamic shared memory per CTA) except the fp32 family's struct
 * gemm_launch, whose kernels use static shared memory only.  P is the
 * kernel's parameter block, passed by value.
 */
#ifndef SB_KERNELS_GEMM_PLANNED_CUH
#define SB_KERNELS_GEMM_PLANNED_CUH

#include "gemm_common.cuh"
#include "gpu.h"

/* Above this a kernel must opt in to more dynamic shared memory. */
#define SB_STATIC_SMEM_MAX	(48u << 10)

static inline size_t
planned_smem(const struct gemm_launch &)
{
	return 0;
}

template <typename L>
static inline size_t
planned_smem(const L &l)
{
	return l.smem_bytes;
}

/* cudaFuncSetAttribute is not a stream operation: allowed while a stream
 * is being captured. */
template <typename L>
static inline int
planned_smem_limit(struct sb_gpu *g, const L &l)
{
	if (planned_smem(l) > SB_STATIC_SMEM_MAX)
		SB_CUDA_CHECK(g, cudaFuncSetAttribute((const void *)l.kernel,
		    cudaFuncAttributeMaxDynamicSharedMemorySize,
		    (int)planned_smem(l)));
	return 0;
}

template <typename L, typename P>
static inline int
planned_run(struct sb_gpu *g, const L &l, const P &p)
{
	l.kernel<<<l.grid, l.block, planned_smem(l), g->stream>>>(p);
	g->launches++;
	SB_CUDA_CHECK(g, cudaGetLastError());
	return 0;
}

template <typename L>
static inline int
planned_describe(struct sb_gpu *g, const L &l, struct sb_kernel_info *info)
{
	const unsigned gr[3] = { l.grid.x, l.grid.y, l.grid.z };
	const unsigned bl[3] = { l.block.x, l.block.y, l.block.z };

	return sb_kernel_info_fill(g, info, l.name, (const void *)l.kernel, gr,
	    bl, planned_smem(l));
}

/* The two functions an implementation's struct points to, from its
 * family's run and describe and its planner: nm##_gemm, nm##_describe. */
#define SB_PLANNED_IMPL_FNS(nm, call_t, run, describe, impl, plan)	\
static int								\
nm##_gemm(struct sb_gpu *g, const call_t *c)				\
{									\
	return run(g, &(impl), (plan), c);				\
}									\
static int								\
nm##_describe(struct sb_gpu *g, const call_t *c,			\
    struct sb_kernel_info *info)					\
{									\
	return describe(g, &(impl), (plan), c, info);			\
}

#endif
