/*
 * kernels/ref_step_amp.c — the autocast step on the host (ref_step_amp.h).
 *
 * The step, with R() the rounding to dt (fp16 or bf16, nearest even) and
 * Rw() the rounding of the weight gradient to wgrad_out (dt by default,
 * PyTorch parity; fp32 as an option).  Sums are fp32, in index order, like
 * ref_step_f32; products of two half values are exact in fp32.
 *
 *   forward  l = 0..L-1: in_h = R(x) (l = 0) or y[l-1] (already half),
 *            w_h = R(w[l]), b_h = R(b[l]);
 *            y[l][i,j] = R(Σ_k in_h[i,k]·w_h[j,k] + b_h[j])
 *            (the bias joins the fp32 sum: ONE rounding, as cuBLASLt's BIAS
 *            epilogue and autocast's addmm)
 *   loss     fp32 (autocast runs mse_loss in fp32): d = y - t in float;
 *            loss = Σ d² in double / (m·N);
 *            dy[L-1] = R((2/(m·N))·d · S), S = scale_used (st->scale when
 *            scaled, else 1): mse_loss_backward's norm·(x - t)·grad_output,
 *            then autocast's cast of the gradient back to half
 *   backward l = L-1..0: dw[l] = Rw(Σ_i dy[l][i,j]·in_h[i,k]),
 *            db[l] = Rw(Σ_i dy[l][i,j]),
 *            dy[l-1] (or dx) = R(Σ_j dy[l][i,j]·w_h[j,k])
 *   unscale  inv = sb_scaler_inv_scale(st) (fp64 reciprocal, to float);
 *            dw = float(dw)·inv, db likewise (scaled only); at step_index
 *            == inject_at dw[0][0] = +inf; found_inf = any unscaled dw/db
 *            not finite (PyTorch tests the scaled value; see scaler.c)
 *   sgd      unless found_inf: w -= lr·dw, b -= lr·db for every tensor
 *   update   scaled only: sb_scaler_update(st, cfg, found_inf)
 *
 * Afterwards dy and dx are divided by S so that they are gradients of the
 * loss itself, comparable with the fp64 reference.  (With a power-of-two
 * S, as GradScaler's defaults keep it, that division is exact.)
 *
 * train.int8dyn (o->int8 set): the forward above is replaced by quant.h's
 * sb_linear_int8_sym per layer (fp32 x and master weights quantised to
 * int8, fp16 outputs); everything after it is unchanged.
 *
 * Without the scaler (bf16amp) dw = float(dw): nothing is checked, no inf
 * is planted, no step is skipped.  bf16 has fp32's exponent range, which is
 * why PyTorch needs no scaler for it.
 *
 * Scratch: the half copies of x and of every w and b live for the whole
 * step (the forward casts once and the backward reuses the casts, as
 * autocast's cast cache and the GPU step do); one allocation per call.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "half.h"
#include "ref_int8.h"
#include "ref_step_amp.h"

void
sb_amp_opts_default(struct sb_amp_opts *o, enum sb_dtype dt)
{
	o->dt = dt;
	o->scaled = dt == SB_DT_F16;
	o->wgrad_out = dt;
	sb_scaler_cfg_default(&o->cfg);
	o->inject_at = -1;
	o->int8 = NULL;
}

int
sb_amp_opts_check(const struct sb_amp_opts *o, char *why, size_t len)
{
	char scratch[1];

	if (why == NULL || len == 0) {
		why = scratch;
		len = sizeof(scratch);
	}
	if (o->dt != SB_DT_F16 && o->dt != SB_DT_BF16) {
		snprintf(why, len, "autocast step: dt %d (%s) is not valid: "
		    "it must be f16 or bf16", (int)o->dt, sb_dtype_name(o->dt));
		return -1;
	}
	if (o->wgrad_out != o->dt && o->wgrad_out != SB_DT_F32) {
		snprintf(why, len, "autocast step: wgrad_out %d (%s) is not "
		    "valid: it must be %s (the input type, PyTorch's) or f32",
		    (int)o->wgrad_out, sb_dtype_name(o->wgrad_out),
		    sb_dtype_name(o->dt));
		return -1;
	}
	if (o->scaled != 0 && o->scaled != 1) {
		snprintf(why, len, "autocast step: scaled %d is not valid: it "
		    "must be 0 (no loss scaler) or 1 (GradScaler)", o->scaled);
		return -1;
	}
	if (o->inject_at < -1) {
		snprintf(why, len, "autocast step: inject_at %d is not valid: "
		    "it must be a step index >= 0, or -1 for none",
		    o->inject_at);
		return -1;
	}
	if (o->scaled && sb_scaler_cfg_check(&o->cfg, why, len) != 0)
		return -1;
	if (o->int8 != NULL && o->dt != SB_DT_F16) {
		snprintf(why, len, "autocast step with an int8 forward: dt %d "
		    "(%s) is not valid: it must be f16 (the int8 GEMM's "
		    "epilogue writes fp16 or fp32)", (int)o->dt,
		    sb_dtype_name(o->dt));
		return -1;
	}
	if (o->int8 != NULL && sb_int8_opts_check(o->int8, why, len) != 0)
		return -1;
	why[0] = '\0';
	return 0;
}

/* p (count) = R(t, p) in place */
static void
round_all(enum sb_dtype t, float *p, int64_t count)
{
	if (t == SB_DT_F32)
		return;
	for (int64_t i = 0; i < count; i++)
		p[i] = sb_round_to(t, p[i]);
}

static void
linear_fwd(enum sb_dtype dt, const float *in, const float *w,
    const float *b, float *y, int64_t m, int64_t n, int64_t k)
{
	/* in is (m,k), w is (n,k), b is (n), all half-valued; y is (m,n) */
	for (int64_t i = 0; i < m; i++) {
		const float *row = in + i * k;

		for (int64_t j = 0; j < n; j++) {
			const float *wr = w + j * k;
			float acc = 0;

			for (int64_t p = 0; p < k; p++)
				acc += row[p] * wr[p];
			y[i * n + j] = sb_round_to(dt, acc + b[j]);
		}
	}
}

static double
mse_loss_grad(enum sb_dtype dt, const float *y, const float *t, float *dy,
    int64_t count, float scale)
{
	/* y, t, dy are (count); returns mean((y - t)^2), dy = R(2(y - t) /
	 * count · scale) */
	double sum = 0;
	float norm = 2.0f / (float)count;

	for (int64_t i = 0; i < count; i++) {
		float diff = y[i] - t[i];

		sum += (double)diff * (double)diff;
		dy[i] = sb_round_to(dt, norm * diff * scale);
	}
	return sum / (double)count;
}

static void
linear_wgrad(enum sb_dtype out, const float *dy, const float *in,
    float *dw, float *db, int64_t m, int64_t n, int64_t k)
{
	/* dy is (m,n), in is (m,k), half-valued; dw = Rw(dy^T·in) is (n,k),
	 * db = Rw(Σ_m dy) is (n) */
	for (int64_t j = 0; j < n * k; j++)
		dw[j] = 0;
	for (int64_t j = 0; j < n; j++)
		db[j] = 0;
	for (int64_t i = 0; i < m; i++) {
		const float *g = dy + i * n;
		const float *row = in + i * k;

		for (int64_t j = 0; j < n; j++) {
			float a = g[j];
			float *o = dw + j * k;

			for (int64_t p = 0; p < k; p++)
				o[p] += a * row[p];
			db[j] += a;
		}
	}
	round_all(out, dw, n * k);
	round_all(out, db, n);
}

static void
linear_dgrad(enum sb_dtype dt, const float *dy, const float *w, float *dx,
    int64_t m, int64_t n, int64_t k)
{
	/* dy is (m,n), w is (n,k), half-valued; dx = R(dy·w) is (m,k) */
	for (int64_t i = 0; i < m; i++) {
		float *o = dx + i * k;

		for (int64_t p = 0; p < k; p++)
			o[p] = 0;
		for (int64_t j = 0; j < n; j++) {
			float a = dy[i * n + j];
			const float *wr = w + j * k;

			for (int64_t p = 0; p < k; p++)
				o[p] += a * wr[p];
		}
	}
	round_all(dt, dx, m * k);
}

/* g (count) *= inv; returns 1 if any result is not finite */
static int
unscale(float *g, int64_t count, float inv)
{
	int bad = 0;

	for (int64_t i = 0; i < count; i++) {
		g[i] = g[i] * inv;
		bad |= !isfinite(g[i]);
	}
	return bad;
}

static void
sgd(float *p, const float *g, int64_t count, float lr)
{
	for (int64_t i = 0; i < count; i++)
		p[i] -= lr * g[i];
}

int
ref_step_amp(struct sb_hstep_f32 *s, int train, const struct sb_amp_opts *o,
    struct sb_scaler *st, int step_index, struct sb_amp_step_out *out,
    sb_phase_fn phase, void *ctx)
{
	const struct sb_dims *d = &s->d;
	const enum sb_dtype dt = o->dt;
	const int L = d->layers;
	const int64_t m = d->m;
	float *w_h[SB_MAX_LAYERS], *b_h[SB_MAX_LAYERS], *x_h, *scratch;
	float scale = 1.0f;
	int64_t total;
	int found_inf = 0, skipped = 0;

	if (sb_amp_opts_check(o, NULL, 0) != 0 || (o->scaled && st == NULL)) {
		errno = EINVAL;
		return -1;
	}
	total = m * d->width[0];
	for (int l = 0; l < L; l++)
		total += d->width[l + 1] * d->width[l] + d->width[l + 1];
	if ((scratch = malloc((size_t)total * sizeof(float))) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	if (o->scaled)
		scale = st->scale;

#define MARK(ph) do { if (phase != NULL) phase(ctx, (ph)); } while (0)
	MARK(SB_PH_FORWARD);
	/* the casts: once per step, like the GPU step's one cast launch */
	x_h = scratch;
	sb_convert_to_f32(SB_DT_F32, s->x, x_h, (size_t)(m * d->width[0]));
	round_all(dt, x_h, m * d->width[0]);
	{
		float *p = x_h + m * d->width[0];

		for (int l = 0; l < L; l++) {
			int64_t nk = d->width[l + 1] * d->width[l];

			w_h[l] = p;
			b_h[l] = p + nk;
			p += nk + d->width[l + 1];
			for (int64_t i = 0; i < nk; i++)
				w_h[l][i] = sb_round_to(dt, s->w[l][i]);
			for (int64_t i = 0; i < d->width[l + 1]; i++)
				b_h[l][i] = sb_round_to(dt, s->b[l][i]);
		}
	}
	for (int l = 0; l < L; l++) {
		const float *in = l == 0 ? x_h : s->y[l - 1];

		if (o->int8 != NULL) {
			/* train.int8dyn: from fp32 x and the master weights */
			if (sb_linear_int8_sym(l == 0 ? s->x : in, s->w[l],
			    s->b[l], s->y[l], m, d->width[l + 1], d->width[l],
			    o->int8, dt, NULL) != 0) {
				free(scratch);
				return -1;	/* errno ENOMEM */
			}
			continue;
		}
		linear_fwd(dt, in, w_h[l], b_h[l], s->y[l], m, d->width[l + 1],
		    d->width[l]);
	}
	if (!train)
		goto done;

	MARK(SB_PH_LOSS);
	s->loss = mse_loss_grad(dt, s->y[L - 1], s->t, s->dy[L - 1],
	    m * d->width[L], scale);

	for (int l = L - 1; l >= 0; l--) {
		int64_t n = d->width[l + 1], k = d->width[l];
		const float *in = l == 0 ? x_h : s->y[l - 1];
		float *dx = l == 0 ? s->dx : s->dy[l - 1];

		MARK(SB_PH_WGRAD);
		linear_wgrad(o->wgrad_out, s->dy[l], in, s->dw[l], s->db[l], m,
		    n, k);
		if (dx != NULL) {
			MARK(SB_PH_DGRAD);
			linear_dgrad(dt, s->dy[l], w_h[l], dx, m, n, k);
		}
	}

	MARK(SB_PH_UNSCALE);
	/* dw and db are already float (the upcast is free here) */
	if (o->scaled) {
		float inv = sb_scaler_inv_scale(st);

		for (int l = 0; l < L; l++) {
			found_inf |= unscale(s->dw[l],
			    d->width[l + 1] * d->width[l], inv);
			found_inf |= unscale(s->db[l], d->width[l + 1], inv);
		}
		if (step_index == o->inject_at) {
			s->dw[0][0] = INFINITY;		/* --inject-overflow */
			found_inf = 1;
		}
	}

	MARK(SB_PH_SGD);
	if (!found_inf) {
		for (int l = 0; l < L; l++) {
			sgd(s->w[l], s->dw[l], d->width[l + 1] * d->width[l],
			    s->lr);
			sgd(s->b[l], s->db[l], d->width[l + 1], s->lr);
		}
	}

	if (o->scaled) {
		MARK(SB_PH_UPDATE);
		skipped = sb_scaler_update(st, &o->cfg, found_inf);
	}

	/* the activation gradients as gradients of the loss itself */
	if (scale != 1.0f) {
		for (int l = 0; l < L; l++)
			for (int64_t i = 0; i < m * d->width[l + 1]; i++)
				s->dy[l][i] /= scale;
		if (s->dx != NULL)
			for (int64_t i = 0; i < m * d->width[0]; i++)
				s->dx[i] /= scale;
	}
done:
	MARK(SB_PH_END);
#undef MARK
	free(scratch);
	if (out != NULL) {
		out->scale_used = scale;
		out->found_inf = found_inf;
		out->skipped = skipped;
	}
	return 0;
}
