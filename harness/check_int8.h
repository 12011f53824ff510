/*
 * harness/check_int8.h — is a dynamic-int8 forward right, and how good is
 * int8 for this data?  (check_int8.c)
 *
 * The check: every layer's output y[l] of a variant (read back into host
 * floats, fp32 or fp16 values) against the fp64 oracle of the int8 scheme:
 * the host quantises the variant's own input to the layer (init->x for
 * layer 0, got->y[l-1] after — as check.c's sampled mode uses the
 * variant's own inputs to a stage) and init->w[l] with quant.h, which
 * yields the same int8 values and scales as the GPU bit for bit; the dot
 * products are exact integers; dequantise + bias in double; out F16 then
 * rounds to half once.  What remains between a correct variant and the
 * oracle is the epilogue's fp32 rounding (and the half rounding), so the
 * tolerance is tight.  Full (every element) or sampled (nsample random
 * elements per layer, with every element of every layer scanned for
 * non-finite values).  The result goes into a struct sb_check: family y
 * (err, tol, ok, why); the other families NaN.
 *
 * The quality (recorded, not pass/fail): over the same elements of the
 * last layer, the relative L2 error against the fp64 UNQUANTISED forward
 * of init (x, w, b exact in double, layer by layer) of
 *   err_sym    the symmetric scheme the GPU runs (quant.h
 *              sb_linear_int8_sym, fp32 out), and
 *   err_affine PyTorch's scheme (sb_linear_int8_affine: uint8 affine
 *              activations, reduce_range as opts say),
 * and the saturated element counts of the symmetric scheme's activations
 * and weights over all layers.  Sampled: the host forward is computed in
 * full for layers before the last (their outputs feed the next layer) and
 * at the sampled rows only for the last.
 */
#ifndef SB_HARNESS_CHECK_INT8_H
#define SB_HARNESS_CHECK_INT8_H

#include <stdint.h>

#include "check.h"
#include "dtype.h"
#include "quant.h"
#include "step.h"

struct sb_int8_quality {
	double	err_sym;	/* NaN: not measured */
	double	err_affine;
	int64_t	sat_act, sat_weight;
};

/* Checks got's y (every layer) as above.  nsample 0: full.  Returns 0, or
 * -1 with ck->why set when host memory ran out (ck->ok is then 0). */
int	sb_check_int8(const struct sb_hstep_f32 *init,
	    const struct sb_hstep_f32 *got, const struct sb_int8_opts *,
	    enum sb_dtype out, double tol, int nsample, uint64_t seed,
	    struct sb_check *ck);

/* The quality of int8 for init's data and shape (see above); nsample as
 * sb_check_int8.  Returns 0, or -1 (ENOMEM) with q's fields NaN / -1. */
int	sb_int8_quality(const struct sb_hstep_f32 *init,
	    const struct sb_int8_opts *, int nsample, uint64_t seed,
	    struct sb_int8_quality *q);

#endif
