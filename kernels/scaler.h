/*
 * kernels/scaler.h — GradScaler's dynamic loss scaling as plain C: the
 * reference that the host autocast step (ref_step_amp.c) uses and that the
 * GPU update kernel (amp.cu) is tested against.  See scaler.c for the
 * state diagram and what differs from PyTorch.
 */
#ifndef SB_KERNELS_SCALER_H
#define SB_KERNELS_SCALER_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct sb_scaler_cfg {
	float	init_scale;	/* first scale: finite, > 0 */
	float	growth;		/* factor after interval good steps: > 1 */
	float	backoff;	/* factor after an overflow: in (0, 1) */
	int	interval;	/* good steps per growth: >= 1 */
};

/* GradScaler's defaults: 65536, 2.0, 0.5, 2000. */
void	sb_scaler_cfg_default(struct sb_scaler_cfg *);

/* 0, or -1 with why (naming the bad value and the valid range) in why
 * (which may be NULL): init_scale finite > 0, growth finite > 1, backoff
 * in (0,1), interval >= 1. */
int	sb_scaler_cfg_check(const struct sb_scaler_cfg *, char *why,
	    size_t len);

struct sb_scaler {
	float	scale;		/* PyTorch's _scale */
	int	growth_tracker;	/* PyTorch's _growth_tracker */
};

/* scale = init_scale, growth_tracker = 0. */
void	sb_scaler_init(struct sb_scaler *, const struct sb_scaler_cfg *);

/* (float)(1.0 / (double)scale), as GradScaler computes it (reciprocal in
 * fp64, then rounded to fp32): inf for scales at or below 2^-128. */
float	sb_scaler_inv_scale(const struct sb_scaler *);

/* The update after a step (torch._amp_update_scale_): found_inf (any
 * nonzero value): scale *= backoff, tracker = 0; else tracker + 1, and
 * when that equals interval: scale *= growth if the result is finite
 * (else unchanged), tracker = 0.  Returns 1 if the step was skipped
 * (found_inf), else 0. */
int	sb_scaler_update(struct sb_scaler *, const struct sb_scaler_cfg *,
	    int found_inf);

#ifdef __cplusplus
}
#endif

#endif
