/*
 * harness/launch.h — one kernel launch's facts as a results-store row:
 * what kernels/gpu.h's describe() says about a GEMM call (launch shape,
 * registers, shared memory, local bytes, occupancy) plus the wave
 * quantisation on this GPU (waves.h).  Used by the step engine (a row per
 * GEMM call of the step) and by `stepbench gemm` (a row per point).
 */
#ifndef SB_HARNESS_LAUNCH_H
#define SB_HARNESS_LAUNCH_H

#include <stddef.h>

#include "db.h"
#include "engine.h"	/* SB_LAUNCH_NAME_LEN */
#include "gemm_h16.h"
#include "gemm_s8.h"
#include "gpu.h"

/*
 * Fills *out from info for call on a GPU with sms SMs (<= 0: unknown).
 * role is a static string ("forward", "backward.wgrad", "backward.dgrad",
 * "gemm"); layer is -1 for none.  The kernel's name is copied into name
 * (SB_LAUNCH_NAME_LEN bytes), which out->name then points to.
 */
void	sb_launch_fill(struct db_launch *out, char *name,
	    const struct sb_kernel_info *info, int sms, const char *role,
	    int layer, const struct sb_gemm_call *call);
/* The same for a half-precision GEMM call (kernels/gemm_h16.h). */
void	sb_launch_fill_h(struct db_launch *out, char *name,
	    const struct sb_kernel_info *info, int sms, const char *role,
	    int layer, const struct sb_hgemm_call *call);
/* The same for an int8 GEMM call (kernels/gemm_s8.h: layout NT). */
void	sb_launch_fill_s8(struct db_launch *out, char *name,
	    const struct sb_kernel_info *info, int sms, const char *role,
	    int layer, const struct sb_igemm_call *call);

#endif
