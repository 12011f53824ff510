/*
 * kernels/scaler.c — GradScaler's loss-scale state machine (scaler.h).
 *
 * State: (scale S, tracker g), starting at (init_scale, 0).  After each
 * step, found_inf says whether any unscaled gradient was inf or NaN:
 *
 *              found_inf                          (step skipped)
 *   (S, g) ────────────────────────────────► (S·backoff, 0)
 *     │
 *     │ !found_inf, g + 1 < interval
 *     ├─────────────────────────────────────► (S, g + 1)
 *     │
 *     │ !found_inf, g + 1 == interval
 *     └─────────────────────────────────────► (S·growth, 0)
 *                                               or (S, 0) if S·growth
 *                                               is not finite
 *
 * Invariants:
 *  1. From sb_scaler_init, 0 <= g < interval after every update: g counts
 *     the good steps since the last overflow or growth.
 *  2. Growth happens on exactly the interval-th consecutive good step
 *     (PyTorch compares successful == growth_interval, not >=), and never
 *     makes S infinite: an overflowing growth leaves S unchanged but still
 *     resets g, so the next attempt is another interval away.
 *  3. A skipped step never changes the weights (ref_step_amp.c and the GPU
 *     step read found_inf before SGD); the update still runs.
 *
 * Arithmetic: PyTorch computes S·factor as float·double rounded to float
 * (factors are Python floats).  Our factors are floats, and the product of
 * two floats is exact in double, so float multiplication gives the same
 * rounded result; only a factor that is not a float (0.3) differs from
 * PyTorch, by the factor's own rounding.  1/S is a double reciprocal
 * rounded to float, as GradScaler.unscale_ does; that equals a float
 * division (a quotient rounded to 53 >= 2·24 + 2 bits and then to 24 is
 * correctly rounded), so either form on the GPU agrees with this one.
 *
 * What is surprising (verified against PyTorch's _amp_update_scale_ CUDA
 * and CPU kernels and torch/amp/grad_scaler.py):
 *  - g is compared with ==: a state with g >= interval (not reachable from
 *    init with one cfg, but possible if interval is lowered mid-run, as
 *    set_growth_interval allows) never grows again; PyTorch's int would
 *    count up and wrap, ours stops at INT_MAX (C forbids the overflow).
 *  - Repeated overflow drives S down by backoff each step, with no floor:
 *    through float's subnormals to exactly 0 (65536 reaches 2^-149 after
 *    165 halvings and 0 after 166: 2^-150 is the tie, which rounds to
 *    even 0).  Once S <= 2^-128, 1/S is inf in float, so every unscaled
 *    gradient is inf (x·inf) or NaN (0·inf): every step overflows, the
 *    scale keeps backing off to 0, and 0 is absorbing (0·growth = 0).
 *    PyTorch checks the scaled value before multiplying, so there a zero
 *    gradient becomes a NaN weight update instead; this project checks the
 *    unscaled value (as its GPU kernel does) and skips.  Only scales below
 *    about 2^-112 can tell the two apart (65504·(1/S) must overflow).
 *  - found_inf is a float in PyTorch (nonzero = overflow); here any
 *    nonzero int.
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>

#include "scaler.h"

void
sb_scaler_cfg_default(struct sb_scaler_cfg *cfg)
{
	cfg->init_scale = 65536.0f;
	cfg->growth = 2.0f;
	cfg->backoff = 0.5f;
	cfg->interval = 2000;
}

int
sb_scaler_cfg_check(const struct sb_scaler_cfg *cfg, char *why, size_t len)
{
	char scratch[1];

	if (why == NULL || len == 0) {
		why = scratch;
		len = sizeof(scratch);
	}
	/* written as !(ok) so that NaN fails every test */
	if (!(isfinite(cfg->init_scale) && cfg->init_scale > 0)) {
		snprintf(why, len, "loss scaler: init_scale %g is not valid: "
		    "it must be finite and > 0 (GradScaler's default is 65536)",
		    (double)cfg->init_scale);
		return -1;
	}
	if (!(isfinite(cfg->growth) && cfg->growth > 1)) {
		snprintf(why, len, "loss scaler: growth %g is not valid: it "
		    "must be finite and > 1 (GradScaler's default is 2)",
		    (double)cfg->growth);
		return -1;
	}
	if (!(cfg->backoff > 0 && cfg->backoff < 1)) {
		snprintf(why, len, "loss scaler: backoff %g is not valid: it "
		    "must be in (0, 1) (GradScaler's default is 0.5)",
		    (double)cfg->backoff);
		return -1;
	}
	if (cfg->interval < 1) {
		snprintf(why, len, "loss scaler: interval %d is not valid: it "
		    "must be >= 1 good steps (GradScaler's default is 2000)",
		    cfg->interval);
		return -1;
	}
	why[0] = '\0';
	return 0;
}

void
sb_scaler_init(struct sb_scaler *st, const struct sb_scaler_cfg *cfg)
{
	st->scale = cfg->init_scale;
	st->growth_tracker = 0;
}

float
sb_scaler_inv_scale(const struct sb_scaler *st)
{
	return (float)(1.0 / (double)st->scale);
}

int
sb_scaler_update(struct sb_scaler *st, const struct sb_scaler_cfg *cfg,
    int found_inf)
{
	if (found_inf) {
		st->scale = st->scale * cfg->backoff;
		st->growth_tracker = 0;
		return 1;
	}

	int good = st->growth_tracker < INT_MAX ? st->growth_tracker + 1 :
	    INT_MAX;

	if (good == cfg->interval) {
		float grown = st->scale * cfg->growth;

		if (isfinite(grown))
			st->scale = grown;
		st->growth_tracker = 0;
	} else
		st->growth_tracker = good;
	return 0;
}
