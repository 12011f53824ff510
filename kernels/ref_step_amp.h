/*
 * kernels/ref_step_amp.h — the autocast (mixed-precision) step on the host:
 * PyTorch's autocast + GradScaler semantics in float with fp16/bf16
 * roundings (half.h) exactly where autocast and the GPU step (amp.h) have
 * them.  The CPU variants train|infer.{fp16amp,bf16amp}.cpu run it, and it
 * is the precise statement of what the GPU step computes (up to the order
 * of its fp32 sums).  See ref_step_amp.c for the step, phase by phase.
 */
#ifndef SB_KERNELS_REF_STEP_AMP_H
#define SB_KERNELS_REF_STEP_AMP_H

#include <stddef.h>

#include "dtype.h"
#include "quant.h"
#include "scaler.h"
#include "step.h"

struct sb_amp_opts {
	enum sb_dtype		dt;		/* SB_DT_F16 or SB_DT_BF16 */
	int			scaled;		/* 1: GradScaler (fp16amp);
						 * 0: none (bf16amp) */
	enum sb_dtype		wgrad_out;	/* dt (default, PyTorch parity)
						 * or SB_DT_F32 */
	struct sb_scaler_cfg	cfg;		/* used when scaled */
	int			inject_at;	/* step index at which +inf is
						 * planted in dw[0][0] (before
						 * the check; scaled only);
						 * -1 none */
	/* NULL: the autocast step.  Else train.int8dyn (an extension): the
	 * forward of every layer is quant.h's sb_linear_int8_sym(in,
	 * s->w[l] (the fp32 MASTER weights, re-quantised every step),
	 * s->b[l] (fp32), out = dt), in = s->x (fp32, not its half copy)
	 * for layer 0 and y[l-1] after; dt must be F16.  The loss and the
	 * backward are the fp16 step's unchanged (x_h, w_h: the quantiser's
	 * gradient taken as the identity, straight-through). */
	const struct sb_int8_opts *int8;
};

struct sb_amp_step_out {
	float	scale_used;	/* the loss scale of this step (1 unscaled) */
	int	found_inf;	/* an unscaled gradient was inf or NaN */
	int	skipped;	/* SGD was skipped (found_inf) */
};

/* fp16amp (dt F16: scaled, GradScaler defaults) or bf16amp (dt BF16: not
 * scaled); wgrad_out = dt, inject_at = -1, int8 = NULL. */
void	sb_amp_opts_default(struct sb_amp_opts *, enum sb_dtype dt);

/* 0, or -1 with why (naming the bad value and what is valid; why may be
 * NULL): dt F16 or BF16, wgrad_out dt or F32, scaled 0 or 1, a valid cfg
 * when scaled (sb_scaler_cfg_check), inject_at >= -1; with int8: dt F16
 * and valid int8 options (ref_int8.h sb_int8_opts_check). */
int	sb_amp_opts_check(const struct sb_amp_opts *, char *why, size_t len);

/*
 * One step (train) or forward pass (infer) on s's float buffers.
 * step_index counts from 0 and is compared with inject_at; st is the
 * scaler (ignored when !scaled; may then be NULL), updated after the
 * step.  out (may be NULL) receives the scale used and the skip.  phase
 * may be NULL.
 *
 * On return s->y holds half values (in float); s->dy and s->dx the
 * UNSCALED gradients (the half values / scale_used); s->dw and s->db the
 * unscaled fp32 gradients (also when the step was skipped: what PyTorch
 * leaves in .grad after unscale_); s->w and s->b the master weights,
 * updated unless the step was skipped; s->loss the fp32 MSE.
 *
 * Returns 0, or -1 with errno EINVAL (opts fail sb_amp_opts_check, or st
 * is NULL when scaled: call the check for the reason) or ENOMEM (the
 * half copies of x, w and b could not be allocated); s is then untouched
 * (except with int8, where an ENOMEM of a layer's int8 forward may leave
 * y partly written).
 */
int	ref_step_amp(struct sb_hstep_f32 *s, int train,
	    const struct sb_amp_opts *, struct sb_scaler *st, int step_index,
	    struct sb_amp_step_out *out, sb_phase_fn phase, void *phase_ctx);

#endif
