/*
 * harness/hstep.h — host-side step buffers: allocation, the fixed-seed
 * inputs every variant of a point shares, poisoning, copies.
 */
#ifndef SB_HARNESS_HSTEP_H
#define SB_HARNESS_HSTEP_H

#include <stdint.h>

#include "step.h"

/* Allocates every tensor of the step (x, t, w, b, and the outputs; dx only
 * with input_grad) and zeroes loss.  Returns -1 if memory runs out (all
 * freed). */
int	sb_hstep_f32_alloc(struct sb_hstep_f32 *, const struct sb_dims *,
	    int input_grad);
void	sb_hstep_f32_free(struct sb_hstep_f32 *);
int	sb_hstep_f64_alloc(struct sb_hstep_f64 *, const struct sb_dims *,
	    int input_grad);
void	sb_hstep_f64_free(struct sb_hstep_f64 *);

/* Fixed-seed inputs: x and t uniform in [-1,1), w[l] and b[l] uniform in
 * ±1/sqrt(fan_in) (PyTorch's Linear init).  The stream depends on the seed
 * and the shape only.  normalize standardises each input feature (column of
 * x) to mean 0, standard deviation 1 over the batch. */
void	sb_hstep_fill_inputs(struct sb_hstep_f32 *, uint64_t seed,
	    int normalize);
/* Copies x, t, w, b (the state before a step) from src to dst. */
void	sb_hstep_copy_inputs(struct sb_hstep_f32 *dst,
	    const struct sb_hstep_f32 *src);
void	sb_hstep_widen_inputs(struct sb_hstep_f64 *dst,
	    const struct sb_hstep_f32 *src);
/* Fills every output (y, dy, dw, db, dx) with NaN and loss with NaN. */
void	sb_hstep_poison(struct sb_hstep_f32 *);

/* Elements of the step's tensors (in float), for memory estimates. */
double	sb_step_elements(const struct sb_dims *, int input_grad);

#endif
