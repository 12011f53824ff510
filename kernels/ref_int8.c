/*
 * kernels/ref_int8.c — infer.int8dyn.cpu (ref_int8.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ref_int8.h"

int
sb_int8_opts_check(const struct sb_int8_opts *o, char *why, size_t len)
{
	char scratch[160];

	if (why == NULL || len == 0) {
		why = scratch;
		len = sizeof(scratch);
	}
	if (o == NULL) {
		snprintf(why, len, "int8 options missing: pass a struct "
		    "sb_int8_opts");
		return -1;
	}
	if (o->per_channel != 0 && o->per_channel != 1) {
		snprintf(why, len, "int8: per_channel %d is not valid: it must "
		    "be 0 (per tensor) or 1 (per output channel)",
		    o->per_channel);
		return -1;
	}
	if (o->reduce_range != 0 && o->reduce_range != 1) {
		snprintf(why, len, "int8: reduce_range %d is not valid: it "
		    "must be 0 (qmax 255) or 1 (qmax 127, fbgemm's)",
		    o->reduce_range);
		return -1;
	}
	why[0] = '\0';
	return 0;
}

int
ref_forward_int8(struct sb_hstep_f32 *s, const struct sb_int8_opts *o,
    struct sb_int8_obs *obs, sb_phase_fn phase, void *ctx)
{
	const struct sb_dims *d = &s->d;
	int rc = 0;

	if (sb_int8_opts_check(o, NULL, 0) != 0) {
		errno = EINVAL;
		return -1;
	}
	if (obs != NULL)
		memset(obs, 0, sizeof(*obs));
	if (phase != NULL)
		phase(ctx, SB_PH_FORWARD);
	for (int l = 0; l < d->layers && rc == 0; l++) {
		int64_t n = d->width[l + 1], k = d->width[l];
		const float *in = l == 0 ? s->x : s->y[l - 1];

		if (obs != NULL && l < (int)(sizeof(obs->x_scale) /
		    sizeof(obs->x_scale[0])))
			obs->x_scale[l] = sb_qsym_scale(&sb_qsym_act,
			    sb_q_absmax_host(in, d->m * k));
		rc = sb_linear_int8_sym(in, s->w[l], s->b[l], s->y[l], d->m,
		    n, k, o, SB_DT_F32, obs);
	}
	if (phase != NULL)
		phase(ctx, SB_PH_END);
	return rc;
}
