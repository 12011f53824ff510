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
#include "gemm_planned.cuh"

typedef int (*hgemm_planner_fn)(enum sb_layout, enum sb_dtype, enum sb_dtype,
    const struct hgemm_params *, struct hgemm_launch *);

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
	return planned_smem_limit(g, *l);
}

static inline int
hgemm_launch_run(struct sb_gpu *g, const struct sb_hgemm *impl,
    hgemm_planner_fn plan, const struct sb_hgemm_call *c)
{
	struct hgemm_launch l;

	if (hgemm_plan_call(g, impl, plan, c, &l) != 0)
		return -1;
	return planned_run(g, l, hgemm_params_of(c));
}

static inline int
hgemm_launch_describe(struct sb_gpu *g, const struct sb_hgemm *impl,
    hgemm_planner_fn plan, const struct sb_hgemm_call *c,
    struct sb_kernel_info *info)
{
	struct hgemm_launch l;

	if (hgemm_plan_call(g, impl, plan, c, &l) != 0)
		return -1;
	return planned_describe(g, l, info);
}

/* HGEMM_IMPL_FNS(mma, sb_hgemm_mma, gemm_f16_mma_plan) makes mma_gemm and
 * mma_describe for a struct sb_hgemm. */
#define HGEMM_IMPL_FNS(nm, impl, plan)					\
	SB_PLANNED_IMPL_FNS(nm, struct sb_hgemm_call, hgemm_launch_run,	\
	    hgemm_launch_describe, impl, plan)

#endif
