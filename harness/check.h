/*
 * harness/check.h — is a variant's step right?  Compares what a variant
 * produced (read back into host floats) with the fp64 reference.
 *
 * Errors are relative L2 norms per tensor family, ‖got − ref‖ / ‖ref‖:
 *   y     every layer's output           loss  the mean squared error
 *   dw    weight gradients               db    bias gradients
 *   dx    input gradients (hidden dy, and dx with --input-grad)
 *   w     parameters after the SGD update (weights and biases)
 * Any non-finite value read back makes the error NaN, and NaN never passes.
 *
 * Tolerance: the variant's base tolerance × max(1, sqrt(R/4096)) for the
 * reduction length R (fp32 rounding grows with it) × the family's
 * conditioning: cond = ‖Σ|a·b|‖ / (‖Σ a·b‖ · sqrt(R)), estimated on sampled
 * entries, is 1 for well-mixed random data and grows where a sum cancels
 * (a bias gradient whose terms nearly sum to zero), so that cancellation the
 * data forces on every correct implementation is not called a bug.
 *
 * Two modes: "full" compares every element with a full fp64 step; "sampled"
 * (used when the full reference would cost more than a flop budget)
 * recomputes a few hundred random elements of every tensor in fp64 from the
 * variant's own inputs to that stage, plus the whole loss, and scans every
 * tensor for non-finite values.
 */
#ifndef SB_HARNESS_CHECK_H
#define SB_HARNESS_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "step.h"

enum sb_check_family {
	SB_CK_Y, SB_CK_LOSS, SB_CK_DW, SB_CK_DB, SB_CK_DX, SB_CK_W,
	SB_CK_COUNT
};

struct sb_check {
	const char	*mode;			/* "full" | "sampled" */
	double		 err[SB_CK_COUNT];	/* NaN = not compared */
	double		 cond[SB_CK_COUNT];
	double		 tol[SB_CK_COUNT];	/* allowed error per family */
	double		 tol_base;		/* base × reduction growth */
	double		 worst;			/* max err/tol over families */
	int		 ok;
	char		 why[256];		/* the failing family, if any */
};

const char	*sb_check_family_name(enum sb_check_family);

/* Full: ref is the fp64 step run from the same initial state as got (ref->w
 * and ref->b hold the updated parameters); init holds that initial state
 * (x, t, w, b in float). */
void	sb_check_full(const struct sb_hstep_f64 *ref,
	    const struct sb_hstep_f32 *init, const struct sb_hstep_f32 *got,
	    int train, double base_tol, uint64_t seed, struct sb_check *);
/* Sampled: recomputes nsample entries per tensor from init and got. */
void	sb_check_sampled(const struct sb_hstep_f32 *init,
	    const struct sb_hstep_f32 *got, int train, double base_tol,
	    uint64_t seed, int nsample, struct sb_check *);

#endif
