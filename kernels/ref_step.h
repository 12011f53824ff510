/*
 * kernels/ref_step.h — the host step: one clear, cache-friendly C
 * implementation compiled twice, in float (variant train.fp32.cpu) and in
 * double (the oracle every variant is checked against).
 */
#ifndef SB_KERNELS_REF_STEP_H
#define SB_KERNELS_REF_STEP_H

#include "step.h"

/* Runs one step.  train = 0 runs the forward pass only (infer.*).
 * phase may be NULL.  Fills y (and, when training, loss, dy, dw, db, dx) and
 * updates w and b in place. */
void	ref_step_f32(struct sb_hstep_f32 *, int train, sb_phase_fn phase,
	    void *phase_ctx);
void	ref_step_f64(struct sb_hstep_f64 *, int train, sb_phase_fn phase,
	    void *phase_ctx);

#endif
