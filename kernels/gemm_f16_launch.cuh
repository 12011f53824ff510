/*
 * kernels/gemm_f16_launch.cuh — the host side shared by the hand-written
 * half GEMM launchers (gemm_f16_wmma.cu, gemm_f16_mma.cu; .cu files only):
 * the half twin of gemm_launch.cuh.
 *
 *   hgemm_launch_run       sb_hgemm_check, plan, raise the kernel's
 *                          dynamic shared memory limit when it needs more
 *                          than 48 KiB, launch on g->stream, count it
 *   hgemm_launch_describe  plan and fill sb_kernel_info from
 *                          cudaFuncGetAttributes and the occupancy API
 *
 * A planner is int plan(enum sb_layout, enum sb_dtype in, enum sb_dtype
 * out, const struct hgemm_params *, struct hgemm_launch *): 0, or -1 when
 * no kernel of its family fits.  Nothing here synchronises:
 * cudaFuncSetAttribute is not a stream operation and is allowed while a
 * stream is being captured.
 */
#ifndef SB_KERNELS_GEMM_F16_LAUNCH_CUH
#define SB_KERNELS_GEMM_F16_LAUNCH_CUH

#include <stdio.h>
#include <string.h>

#include "gemm_f16.cuh"
#include "gemm_h16.h"

typedef int (*hgemm_planner_fn)(enum sb_layout, enum sb_dtype, enum sb_dtype,
    const struct hgemm_params *, struct hgemm_launch *);

#define HGEMM_STATIC_SMEM_MAX	(48u << 10)

static inline struct hgemm_params
hgemm_params_of(const struct sb_hgemm_call *c)
{
	struct hgemm_params p;

	p.m = c->m;
	p.n = c->n;
	p.k = c->k;
	p.a = c->a;
	p.lda = c->lda;
	p.b = c->b;
	p.ldb = c->ldb;
	p.c = c->c;
	p.ldc = c->ldc;
	p.bias = c->bias;
	return p;
}

static inline int
hgemm_plan_call(struct sb_gpu *g, const struct sb_hgemm *impl,
    hgemm_planner_fn plan, const struct sb_hgemm_call *c,
    struct hgemm_launch *l)
{
	struct hgemm_params p;

	*l = hgemm_launch();
	if (sb_hgemm_check(g, impl, c) != 0)
		return -1;
	p = hgemm_params_of(c);
	if (plan(c->layout, c->in, c->out, &p, l) != 0)
		return sb_gpu_fail(g, __FILE__, __LINE__, impl->name,
		    "no kernel of this family fits the call (grid limits: "
		    "m/128 <= 2^31-1, n/128 <= 65535)");
	if (l->smem_bytes > HGEMM_STATIC_SMEM_MAX)
		SB_CUDA_CHECK(g, cudaFuncSetAttribute((const void *)l->kernel,
		    cudaFuncAttributeMaxDynamicSharedMemorySize,
		    (int)l->smem_bytes));
	return 0;
}

static inline int
hgemm_launch_run(struct sb_gpu *g, const struct sb_hgemm *impl,
    hgemm_planner_fn plan, const struct sb_hgemm_call *c)
{
	struct hgemm_launch l;

	if (hgemm_plan_call(g, impl, plan, c, &l) != 0)
		return -1;
	l.kernel<<<l.grid, l.block, l.smem_bytes, g->stream>>>(
	    hgemm_params_of(c));
	g->launches++;
	SB_CUDA_CHECK(g, cudaGetLastError());
	return 0;
}

static inline int
hgemm_launch_describe(struct sb_gpu *g, const struct sb_hgemm *impl,
    hgemm_planner_fn plan, const struct sb_hgemm_call *c,
    struct sb_kernel_info *info)
{
	struct hgemm_launch l;

	if (hgemm_plan_call(g, impl, plan, c, &l) != 0)
		return -1;
	{
		const unsigned gr[3] = { l.grid.x, l.grid.y, l.grid.z };
		const unsigned bl[3] = { l.block.x, l.block.y, l.block.z };

		return sb_kernel_info_fill(g, info, l.name,
		    (const void *)l.kernel, gr, bl, l.smem_bytes);
	}
}

/* HGEMM_IMPL_FNS(mma, sb_hgemm_mma, gemm_f16_mma_plan) makes mma_gemm and
 * mma_describe for a struct sb_hgemm. */
#define HGEMM_IMPL_FNS(nm, impl, plan)					\
static int								\
nm##_gemm(struct sb_gpu *g, const struct sb_hgemm_call *c)		\
{									\
	return hgemm_launch_run(g, &(impl), (plan), c);			\
}									\
static int								\
nm##_describe(struct sb_gpu *g, const struct sb_hgemm_call *c,		\
    struct sb_kernel_info *info)					\
{									\
	return hgemm_launch_describe(g, &(impl), (plan), c, info);	\
}

#endif
