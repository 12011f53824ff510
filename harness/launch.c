/* harness/launch.c — kernel launch facts as a db row (see launch.h). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "launch.h"
#include "waves.h"

_Static_assert(SB_LAUNCH_NAME_LEN >=
    sizeof(((struct sb_kernel_info *)0)->name),
    "a kernel name must fit SB_LAUNCH_NAME_LEN");

void
sb_launch_fill(struct db_launch *out, char *name,
    const struct sb_kernel_info *info, int sms, const char *role, int layer,
    const struct sb_gemm_call *call)
{
	struct sb_waves w;

	memset(out, 0, sizeof(*out));
	(void)snprintf(name, SB_LAUNCH_NAME_LEN, "%s", info->name);
	out->name = name;
	out->role = role;
	out->layer = layer;
	out->layout = sb_layout_name(call->layout);
	out->m = call->m;
	out->n = call->n;
	out->k = call->k;
	for (int d = 0; d < 3; d++) {
		out->grid[d] = info->grid[d];
		out->block[d] = info->block[d];
	}
	out->dyn_smem = (int64_t)info->dyn_smem;
	out->regs = info->regs;
	out->static_smem = info->static_smem;
	out->local_bytes = info->local_bytes;
	out->max_threads = info->max_threads;
	out->ptx_version = info->ptx_version;
	out->binary_version = info->binary_version;
	out->ctas_per_sm = info->ctas_per_sm;
	out->sms = sms;
	sb_waves_compute(sb_grid_ctas(info->grid), sms, info->ctas_per_sm, &w);
	out->waves = w.status == SB_WAVES_OK ? w.waves : NAN;
	out->tail_util = w.tail_util;
	out->efficiency = w.efficiency;
}

void
sb_launch_fill_h(struct db_launch *out, char *name,
    const struct sb_kernel_info *info, int sms, const char *role, int layer,
    const struct sb_hgemm_call *call)
{
	struct sb_gemm_call shape;

	memset(&shape, 0, sizeof(shape));
	shape.layout = call->layout;
	shape.m = call->m;
	shape.n = call->n;
	shape.k = call->k;
	sb_launch_fill(out, name, info, sms, role, layer, &shape);
}

void
sb_launch_fill_s8(struct db_launch *out, char *name,
    const struct sb_kernel_info *info, int sms, const char *role, int layer,
    const struct sb_igemm_call *call)
{
	struct sb_gemm_call shape;

	memset(&shape, 0, sizeof(shape));
	shape.layout = SB_NT;
	shape.m = call->m;
	shape.n = call->n;
	shape.k = call->k;
	sb_launch_fill(out, name, info, sms, role, layer, &shape);
}
