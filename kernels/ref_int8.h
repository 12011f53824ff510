/*
 * kernels/ref_int8.h — the dynamic-int8 forward on the host: the CPU
 * variant infer.int8dyn.cpu (ref_int8.c).  It runs, layer by layer, the
 * symmetric scheme the GPU runs (quant.h sb_linear_int8_sym: activations
 * int8 per tensor, /127 in [-127, 127]; weights int8 per tensor or per
 * output channel, /127.5 in [-128, 127]; exact int32 products; dequantise
 * + bias in fp32), fp32 outputs.  The training extension train.int8dyn.cpu
 * is ref_step_amp with sb_amp_opts.int8 set (ref_step_amp.h).
 */
#ifndef SB_KERNELS_REF_INT8_H
#define SB_KERNELS_REF_INT8_H

#include "quant.h"
#include "step.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * y[l] = sb_linear_int8_sym(in[l], s->w[l], s->b[l]), fp32 out, with
 * in[0] = s->x and in[l] = s->y[l-1]; nothing else of s is written.  The
 * weights are quantised in every call (from s->w, fp32).  obs (may be
 * NULL) is cleared, then receives the saturated counts of every layer and
 * each layer's activation scale.  phase (may be NULL) is marked
 * SB_PH_FORWARD (the quantisation is inside it: the host does not split
 * it) and SB_PH_END.  Returns 0, or -1 with errno EINVAL (o is NULL, or
 * per_channel or reduce_range is not 0 or 1) or ENOMEM.
 */
int	ref_forward_int8(struct sb_hstep_f32 *s, const struct sb_int8_opts *o,
	    struct sb_int8_obs *obs, sb_phase_fn phase, void *phase_ctx);

/* 0 if o is usable (per_channel and reduce_range each 0 or 1), else -1 and
 * why (naming the bad value and what is valid; why may be NULL). */
int	sb_int8_opts_check(const struct sb_int8_opts *o, char *why,
	    size_t len);

#ifdef __cplusplus
}
#endif

#endif
