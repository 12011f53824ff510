/*
 * harness/check_int8.c — the int8 forward's check and quality measures
 * (check_int8.h).
 *
 * The check's error (family y) is the worst element's, in units of the
 * size of the terms it was made from:
 *
 *   e[i,j] = |got - ref| / max(|acc·xs·ws[j]| + |b[j]|, floor)
 *
 * with ref the int8 scheme's output in double (rounded to half for out
 * F16) and floor FLT_MIN (F32) or 2^-14 (F16: below it half has a fixed
 * absolute spacing).  A correct variant differs from ref by the fp32
 * conversion of acc, the fp32 product of the scales, the product and the
 * sum (or one fmaf): about 4·2^-24 in these units for fp32 out, and up to
 * one half ulp (2^-10) for F16 out, where the fp32 value can fall on the
 * other side of a rounding tie.  A max norm, not check.c's relative L2:
 * the oracle is exact enough to hold every element to it, and a single
 * wrong element in a 4096² output barely moves an L2 norm.
 *
 * The quality's sampled last layer: sb_linear_int8_sym and _affine take
 * their activation scale from their input, so the sampled rows are run
 * with two more rows appended, one holding the input's minimum and one
 * its maximum (zeros elsewhere): both schemes then see the full input's
 * range (max |x|; [min, max] widened to 0) and quantise the sampled rows
 * exactly as the full forward would.  The activation saturation count of
 * that layer is taken over the full input separately.
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_int8.h"
#include "half.h"
#include "rng.h"

#define F16_MIN_NORMAL	6.103515625e-05	/* 2^-14 */

/* One layer's quantised operands, as the GPU makes them. */
struct qlayer {
	int8_t	*qx;		/* (m,k) */
	int8_t	*qw;		/* (n,k) */
	float	*ws;		/* n (per channel) or 1 */
	float	 xs;
	int	 per_channel;
};

/* The worst element so far. */
struct worst {
	double	e, got, ref;
	int64_t	l, i, j;
	int	nonfinite;
};

static void
ql_free(struct qlayer *q)
{
	free(q->qx);
	free(q->qw);
	free(q->ws);
	memset(q, 0, sizeof(*q));
}

/* in is (m,k), w is (n,k) */
static int
ql_make(struct qlayer *q, const float *in, const float *w, int64_t m,
    int64_t n, int64_t k, int per_channel)
{
	memset(q, 0, sizeof(*q));
	q->per_channel = per_channel;
	if ((q->qx = malloc((size_t)(m * k))) == NULL ||
	    (q->qw = malloc((size_t)(n * k))) == NULL ||
	    (q->ws = malloc((size_t)n * sizeof(float))) == NULL) {
		ql_free(q);
		return -1;
	}
	sb_qsym_quantise(&sb_qsym_act, in, m, k, k, 0, &q->xs, q->qx, k);
	sb_qsym_quantise(&sb_qsym_weight, w, n, k, k, per_channel, q->ws,
	    q->qw, k);
	return 0;
}

/* Element (i,j) of layer l against the oracle. */
static void
element(const struct qlayer *q, const float *b, const float *y, int64_t n,
    int64_t k, enum sb_dtype out, int64_t l, int64_t i, int64_t j,
    struct worst *w)
{
	const int8_t *xr = q->qx + i * k, *wr = q->qw + j * k;
	double t, ref, floor_, e, g = y[i * n + j];
	int64_t acc = 0;

	for (int64_t p = 0; p < k; p++)
		acc += (int64_t)xr[p] * wr[p];
	t = (double)acc * (double)q->xs * (double)q->ws[q->per_channel ? j : 0];
	ref = t + (double)b[j];
	floor_ = FLT_MIN;
	if (out == SB_DT_F16) {
		ref = sb_round_to(SB_DT_F16, (float)ref);
		floor_ = F16_MIN_NORMAL;
	}
	e = fabs(g - ref) / fmax(fabs(t) + fabs((double)b[j]), floor_);
	if (isnan(e) || !isfinite(g)) {
		w->nonfinite = 1;
	} else if (w->l < 0 || e > w->e) {
		w->e = e;
		w->got = g;
		w->ref = ref;
		w->l = l;
		w->i = i;
		w->j = j;
	}
}

int
sb_check_int8(const struct sb_hstep_f32 *init, const struct sb_hstep_f32 *got,
    const struct sb_int8_opts *o, enum sb_dtype out, double tol, int nsample,
    uint64_t seed, struct sb_check *ck)
{
	const struct sb_dims *d = &init->d;
	struct sb_rng rng = { seed ^ 0x1e8c4ec7ULL };
	struct worst w = { 0, 0, 0, -1, 0, 0, 0 };
	const int64_t m = d->m;

	memset(ck, 0, sizeof(*ck));
	ck->mode = nsample > 0 ? "sampled" : "full";
	for (int f = 0; f < SB_CK_COUNT; f++)
		ck->err[f] = ck->cond[f] = ck->tol[f] = NAN;
	ck->tol_base = tol;
	for (int l = 0; l < d->layers; l++) {
		const int64_t n = d->width[l + 1], k = d->width[l];
		const float *in = l == 0 ? init->x : got->y[l - 1];
		struct qlayer q;

		if (ql_make(&q, in, init->w[l], m, n, k, o->per_channel) != 0) {
			ck->ok = 0;
			ck->worst = INFINITY;
			snprintf(ck->why, sizeof(ck->why), "int8 check: out of "
			    "host memory quantising layer %d (%lld x %lld and "
			    "%lld x %lld int8)", l, (long long)m, (long long)k,
			    (long long)n, (long long)k);
			errno = ENOMEM;
			return -1;
		}
		if (nsample <= 0) {
			for (int64_t i = 0; i < m; i++)
				for (int64_t j = 0; j < n; j++)
					element(&q, init->b[l], got->y[l], n,
					    k, out, l, i, j, &w);
		} else {
			for (int64_t e = 0; e < m * n; e++)
				if (!isfinite(got->y[l][e]))
					w.nonfinite = 1;
			for (int s = 0; s < nsample; s++) {
				int64_t i = (int64_t)sb_rng_below(&rng,
				    (uint64_t)m);
				int64_t j = (int64_t)sb_rng_below(&rng,
				    (uint64_t)n);

				element(&q, init->b[l], got->y[l], n, k, out,
				    l, i, j, &w);
			}
		}
		ql_free(&q);
	}
	ck->err[SB_CK_Y] = w.nonfinite ? NAN : w.e;
	ck->cond[SB_CK_Y] = 1;
	ck->tol[SB_CK_Y] = tol;
	ck->ok = !w.nonfinite && w.e <= tol;
	ck->worst = ck->ok ? (tol > 0 ? w.e / tol : 0) : INFINITY;
	if (w.nonfinite)
		snprintf(ck->why, sizeof(ck->why), "y holds NaN or infinity "
		    "(int8 forward, %s output)", sb_dtype_name(out));
	else if (!ck->ok)
		snprintf(ck->why, sizeof(ck->why), "y error %.3g exceeds the "
		    "tolerance %.3g (int8 forward, %s output): worst at layer "
		    "%lld [%lld,%lld], got %.9g, int8 oracle %.9g", w.e, tol,
		    sb_dtype_name(out), (long long)w.l, (long long)w.i,
		    (long long)w.j, w.got, w.ref);
	return 0;
}

/* y64 (rows, n) = in64 (rows via idx, k) · w^T + b in double */
static void
forward64(const double *in, const int64_t *idx, int64_t rows, const float *w,
    const float *b, int64_t n, int64_t k, double *y)
{
	for (int64_t r = 0; r < rows; r++) {
		const double *x = in + (idx != NULL ? idx[r] : r) * k;

		for (int64_t j = 0; j < n; j++) {
			double s = b[j];

			for (int64_t p = 0; p < k; p++)
				s += x[p] * (double)w[j * k + p];
			y[r * n + j] = s;
		}
	}
}

/* The sampled rows of in (m,k) and the two range rows (see the top). */
static void
range_rows(const float *in, int64_t m, int64_t k, const int64_t *idx,
    int64_t rows, float *sub)
{
	float mn = 0.0f, mx = 0.0f;
	int nan = 0;

	for (int64_t e = 0; e < m * k; e++) {
		nan |= isnan(in[e]);
		mn = fminf(mn, in[e]);
		mx = fmaxf(mx, in[e]);
	}
	for (int64_t r = 0; r < rows; r++)
		memcpy(sub + r * k, in + idx[r] * k, (size_t)k * sizeof(float));
	memset(sub + rows * k, 0, (size_t)(2 * k) * sizeof(float));
	sub[rows * k] = nan ? NAN : mn;
	sub[(rows + 1) * k] = mx;
}

int
sb_int8_quality(const struct sb_hstep_f32 *init, const struct sb_int8_opts *o,
    int nsample, uint64_t seed, struct sb_int8_quality *q)
{
	const struct sb_dims *d = &init->d;
	const int L = d->layers;
	const int64_t m = d->m;
	struct sb_rng rng = { seed ^ 0x9a11e7ULL };
	struct sb_int8_obs obs, obs_last;
	int64_t wmax = 0, rows, full, full2, *idx = NULL;
	double *a64 = NULL, *b64 = NULL, *r64 = NULL, ds = 0, da = 0, r2 = 0;
	float *as = NULL, *bs = NULL, *aa = NULL, *ba = NULL;
	float *sub = NULL, *ys = NULL, *ya = NULL;
	int8_t *scratch = NULL;
	int rc = -1;

	q->err_sym = q->err_affine = NAN;
	q->sat_act = q->sat_weight = -1;
	for (int l = 0; l <= L; l++)
		if (d->width[l] > wmax)
			wmax = d->width[l];
	rows = nsample > 0 && nsample < m ? nsample : m;
	memset(&obs, 0, sizeof(obs));
	memset(&obs_last, 0, sizeof(obs_last));
	/* one layer: only x and the sampled rows; more: two full
	 * activations per chain (ping-pong) */
	full = L > 1 ? m * wmax : m * d->width[0];
	full2 = L > 1 ? m * wmax : 1;
	if ((idx = malloc((size_t)rows * sizeof(int64_t))) == NULL ||
	    (a64 = malloc((size_t)full * sizeof(double))) == NULL ||
	    (b64 = malloc((size_t)full2 * sizeof(double))) == NULL ||
	    (r64 = malloc((size_t)(rows * wmax) * sizeof(double))) == NULL ||
	    (as = malloc((size_t)full * sizeof(float))) == NULL ||
	    (bs = malloc((size_t)full2 * sizeof(float))) == NULL ||
	    (aa = malloc((size_t)full * sizeof(float))) == NULL ||
	    (ba = malloc((size_t)full2 * sizeof(float))) == NULL ||
	    (sub = malloc((size_t)((rows + 2) * wmax) * sizeof(float))) ==
	    NULL ||
	    (ys = malloc((size_t)((rows + 2) * wmax) * sizeof(float))) ==
	    NULL ||
	    (ya = malloc((size_t)((rows + 2) * wmax) * sizeof(float))) ==
	    NULL ||
	    (scratch = malloc((size_t)(m * wmax))) == NULL) {
		errno = ENOMEM;
		goto out;
	}
	for (int64_t r = 0; r < rows; r++)
		idx[r] = rows == m ? r : (int64_t)sb_rng_below(&rng,
		    (uint64_t)m);
	/* layer 0's input in both precisions and both schemes */
	for (int64_t e = 0; e < m * d->width[0]; e++)
		a64[e] = init->x[e];
	memcpy(as, init->x, (size_t)(m * d->width[0]) * sizeof(float));
	memcpy(aa, init->x, (size_t)(m * d->width[0]) * sizeof(float));
	for (int l = 0; l < L - 1; l++) {
		const int64_t n = d->width[l + 1], k = d->width[l];
		double *t64;
		float *t;

		forward64(a64, NULL, m, init->w[l], init->b[l], n, k, b64);
		if (sb_linear_int8_sym(as, init->w[l], init->b[l], bs, m, n, k,
		    o, SB_DT_F32, &obs) != 0 ||
		    sb_linear_int8_affine(aa, init->w[l], init->b[l], ba, m, n,
		    k, o, NULL) != 0)
			goto out;
		t64 = a64; a64 = b64; b64 = t64;
		t = as; as = bs; bs = t;
		t = aa; aa = ba; ba = t;
	}
	{
		const int64_t n = d->width[L], k = d->width[L - 1];
		float xs;

		forward64(a64, idx, rows, init->w[L - 1], init->b[L - 1], n, k,
		    r64);
		range_rows(as, m, k, idx, rows, sub);
		if (sb_linear_int8_sym(sub, init->w[L - 1], init->b[L - 1], ys,
		    rows + 2, n, k, o, SB_DT_F32, &obs_last) != 0)
			goto out;
		range_rows(aa, m, k, idx, rows, sub);
		if (sb_linear_int8_affine(sub, init->w[L - 1], init->b[L - 1],
		    ya, rows + 2, n, k, o, NULL) != 0)
			goto out;
		obs.sat_weight += obs_last.sat_weight;
		obs.sat_act += sb_qsym_quantise(&sb_qsym_act, as, m, k, k, 0,
		    &xs, scratch, k);
		for (int64_t e = 0; e < rows * n; e++) {
			ds += (ys[e] - r64[e]) * (ys[e] - r64[e]);
			da += (ya[e] - r64[e]) * (ya[e] - r64[e]);
			r2 += r64[e] * r64[e];
		}
	}
	q->err_sym = r2 > 0 ? sqrt(ds / r2) : sqrt(ds);
	q->err_affine = r2 > 0 ? sqrt(da / r2) : sqrt(da);
	q->sat_act = obs.sat_act;
	q->sat_weight = obs.sat_weight;
	rc = 0;
out:
	free(idx);
	free(a64);
	free(b64);
	free(r64);
	free(as);
	free(bs);
	free(aa);
	free(ba);
	free(sub);
	free(ys);
	free(ya);
	free(scratch);
	return rc;
}
