/*
 * kernels/gemm_launch.cuh — the host side shared by the hand-written GEMM
 * launchers (.cu files only): enqueue what a planner chose, or describe it.
 *
 *   gemm_launch_run       checks the call, plans, launches on g->stream,
 *                         counts the launch
 *   gemm_launch_describe  plans and fills sb_kernel_info from
 *                         cudaFuncGetAttributes and the occupancy API
 *
 * A planner is int plan(enum sb_layout, const struct gemm_params *,
 * struct gemm_launch *): 0, or -1 when no kernel of its family fits.
 */
#ifndef SB_KERNELS_GEMM_LAUNCH_CUH
#define SB_KERNELS_GEMM_LAUNCH_CUH

#include <stdio.h>
#include <string.h>

#include "gemm_common.cuh"
#include "gemm_planned.cuh"
#include "gpu.h"

typedef int (*gemm_planner_fn)(enum sb_layout, const struct gemm_params *,
    struct gemm_launch *);

static inline struct gemm_params
gemm_params_of(const struct sb_gemm_call *c)
{
	struct gemm_params p;

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
gemm_plan_call(struct sb_gpu *g, const struct sb_gemm_f32 *impl,
    gemm_planner_fn plan, const struct sb_gemm_call *c,
    struct gemm_launch *l)
{
	struct gemm_params p;

	*l = gemm_launch();
	if (sb_gemm_check(g, impl, c) != 0)
		return -1;
	p = gemm_params_of(c);
	if (plan(c->layout, &p, l) != 0)
		return sb_gpu_fail(g, __FILE__, __LINE__, impl->name,
		    "no kernel of this family fits the call (grid limits)");
	return 0;
}

static inline int
gemm_launch_run(struct sb_gpu *g, const struct sb_gemm_f32 *impl,
    gemm_planner_fn plan, const struct sb_gemm_call *c)
{
	struct gemm_launch l;

	if (gemm_plan_call(g, impl, plan, c, &l) != 0)
		return -1;
	return planned_run(g, l, gemm_params_of(c));
}

static inline int
gemm_launch_describe(struct sb_gpu *g, const struct sb_gemm_f32 *impl,
    gemm_planner_fn plan, const struct sb_gemm_call *c,
    struct sb_kernel_info *info)
{
	struct gemm_launch l;

	if (gemm_plan_call(g, impl, plan, c, &l) != 0)
		return -1;
	return planned_describe(g, l, info);
}

/* The two functions every hand-written implementation defines, from its
 * planner: GEMM_IMPL_FNS(warptile, impl, plan_warptile) makes
 * warptile_gemm and warptile_describe for its struct sb_gemm_f32. */
#define GEMM_IMPL_FNS(nm, impl, plan)					\
	SB_PLANNED_IMPL_FNS(nm, struct sb_gemm_call, gemm_launch_run,	\
	    gemm_launch_describe, impl, plan)

#endif
