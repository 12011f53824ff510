/*
 * tests/test_ref_amp.c — the host autocast step (kernels/ref_step_amp.c)
 * against the fp64 step (ref_step_f64) and GradScaler's behaviour:
 *
 *   amp-1  integer-valued inputs whose products and sums are exact in half:
 *          every tensor equals the fp64 step exactly (fp16 scaled, fp16
 *          scaled with fp32 weight gradients, fp16 unscaled, bf16)
 *   amp-2  random inputs at odd shapes and layer counts: every element of
 *          y, loss, dy, dx, dw, db and the updated w, b within a forward
 *          error bound propagated through the step from the fp64 values
 *          (derived below, per rounding); the relative L2 errors printed
 *          next to the bound they imply, and held to a per-type
 *          tolerance 8u·sqrt(L) (derived at amp_2_tol)
 *   amp-3  overflow injected at step 2 of 5: that step skipped, weights
 *          unchanged by it, scale halved, tracker reset; the others run;
 *          a real overflow (the fp16 loss gradient) backs the scale off
 *          until it fits; a NaN input skips
 *   amp-4  interval 3: growth exactly at the 3rd good step, and the 6th
 *   amp-5  a tiny loss gradient at large m·N: without the scale it
 *          underflows in fp16 (the weight gradient is lost); with 65536 it
 *          survives — what loss scaling is for
 *   amp-6  bf16amp never scales, never checks, never skips (an inject_at
 *          is ignored); the scaler is not touched
 *   amp-7  the phase marks, in order, per mode
 *   amp-8  forward only (infer): y as in training, nothing else written
 *   amp-9  bad options: rejected naming the value, nothing written
 *   amp-10 the roundings are where autocast has them: y from rounded x, w,
 *          b with one output rounding, the scaled loss gradient rounded
 *          once, half-valued dx, dw and db (fp32 weight gradients not)
 *
 * Every output buffer starts as NaN, so a tensor the step forgets fails.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testkit.h"
#include "half.h"
#include "ref_step.h"
#include "ref_step_amp.h"
#include "scaler.h"
#include "step.h"

/* ---- buffers ------------------------------------------------------------ */

enum tk { TK_X, TK_T, TK_DX, TK_W, TK_B, TK_Y, TK_DY, TK_DW, TK_DB, TK_COUNT };

static int
tk_layers(const struct sb_dims *d, enum tk k)
{
	return k <= TK_DX ? 1 : d->layers;
}

static int64_t
tk_len(const struct sb_dims *d, enum tk k, int l)
{
	switch (k) {
	case TK_X:
	case TK_DX:
		return d->m * d->width[0];
	case TK_T:
		return d->m * d->width[d->layers];
	case TK_W:
	case TK_DW:
		return d->width[l + 1] * d->width[l];
	case TK_B:
	case TK_DB:
		return d->width[l + 1];
	default:
		return d->m * d->width[l + 1];
	}
}

#define TK_PTR(s, k, l)							\
	((k) == TK_X ? &(s)->x : (k) == TK_T ? &(s)->t :		\
	 (k) == TK_DX ? &(s)->dx : (k) == TK_W ? &(s)->w[l] :		\
	 (k) == TK_B ? &(s)->b[l] : (k) == TK_Y ? &(s)->y[l] :		\
	 (k) == TK_DY ? &(s)->dy[l] : (k) == TK_DW ? &(s)->dw[l] :	\
	 &(s)->db[l])

static void *
xmalloc(size_t n)
{
	void *p = malloc(n > 0 ? n : 1);

	if (p == NULL) {
		perror("test_ref_amp: malloc");
		exit(2);
	}
	return p;
}

/* A float step and a double step of the same dims, every tensor NaN. */
struct pair {
	struct sb_hstep_f32	f;
	struct sb_hstep_f64	r;
};

static void
pair_init(struct pair *p, int64_t m, int64_t n, int64_t k, int layers,
    int with_dx)
{
	memset(p, 0, sizeof(*p));
	sb_dims_init(&p->f.d, m, n, k, layers);
	p->r.d = p->f.d;
	for (int t = 0; t < TK_COUNT; t++) {
		if (t == TK_DX && !with_dx)
			continue;
		for (int l = 0; l < tk_layers(&p->f.d, t); l++) {
			int64_t len = tk_len(&p->f.d, t, l);
			float *a = xmalloc((size_t)len * sizeof(float));
			double *b = xmalloc((size_t)len * sizeof(double));

			for (int64_t i = 0; i < len; i++) {
				a[i] = NAN;
				b[i] = NAN;
			}
			*TK_PTR(&p->f, t, l) = a;
			*TK_PTR(&p->r, t, l) = b;
		}
	}
	p->f.loss = p->r.loss = NAN;
}

static void
pair_free(struct pair *p)
{
	for (int t = 0; t < TK_COUNT; t++)
		for (int l = 0; l < tk_layers(&p->f.d, t); l++) {
			free(*TK_PTR(&p->f, t, l));
			free(*TK_PTR(&p->r, t, l));
		}
}

/* the double step's inputs (x, t, w, b, lr) from the float step's */
static void
pair_sync_inputs(struct pair *p)
{
	const enum tk in[] = { TK_X, TK_T, TK_W, TK_B };

	for (size_t i = 0; i < 4; i++)
		for (int l = 0; l < tk_layers(&p->f.d, in[i]); l++) {
			int64_t len = tk_len(&p->f.d, in[i], l);
			float *a = *TK_PTR(&p->f, in[i], l);
			double *b = *TK_PTR(&p->r, in[i], l);

			for (int64_t j = 0; j < len; j++)
				b[j] = a[j];
		}
	p->r.lr = p->f.lr;
}

/* saved parameters (w, b of every layer), to restore or compare */
struct params {
	float	*w[SB_MAX_LAYERS], *b[SB_MAX_LAYERS];
	int	 layers;
};

static void
params_save(struct params *ps, const struct sb_hstep_f32 *s)
{
	ps->layers = s->d.layers;
	for (int l = 0; l < s->d.layers; l++) {
		size_t nw = (size_t)tk_len(&s->d, TK_W, l) * sizeof(float);
		size_t nb = (size_t)tk_len(&s->d, TK_B, l) * sizeof(float);

		ps->w[l] = xmalloc(nw);
		ps->b[l] = xmalloc(nb);
		memcpy(ps->w[l], s->w[l], nw);
		memcpy(ps->b[l], s->b[l], nb);
	}
}

static int
params_equal(const struct params *ps, const struct sb_hstep_f32 *s)
{
	for (int l = 0; l < ps->layers; l++)
		if (memcmp(s->w[l], ps->w[l],
		    (size_t)tk_len(&s->d, TK_W, l) * sizeof(float)) != 0 ||
		    memcmp(s->b[l], ps->b[l],
		    (size_t)tk_len(&s->d, TK_B, l) * sizeof(float)) != 0)
			return 0;
	return 1;
}

static void
params_free(struct params *ps)
{
	for (int l = 0; l < ps->layers; l++) {
		free(ps->w[l]);
		free(ps->b[l]);
	}
}

/* ---- random numbers ------------------------------------------------------- */

static uint64_t rng_state = 0x5eed;

static uint64_t
rng_next(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* uniform in [lo, hi) */
static float
rng_uniform(float lo, float hi)
{
	double u = (double)(rng_next() >> 11) * 0x1p-53;

	return (float)(lo + (hi - lo) * u);
}

/* an integer in {-1, 0, 1} */
static float
rng_trit(void)
{
	return (float)((int)(rng_next() % 3) - 1);
}

static void
fill(float *p, int64_t n, float lo, float hi)
{
	for (int64_t i = 0; i < n; i++)
		p[i] = rng_uniform(lo, hi);
}

/* ---- amp-1: exact ------------------------------------------------------------ */

/*
 * x, w, b in {-1, 0, 1}; t = y - r with r in {-1, 0, 1} (y computed first
 * in fp64, integers); m·N = 32, lr = 1/16.  Then y <= 25, dy = r/16,
 * every gradient a small integer over 16 (at most 48/16) and, scaled by
 * 1024, at most 3072 in multiples of 64: exact in fp16 and in bf16 (8
 * significant bits cover integers to 256), exact in fp32 sums.  The AMP
 * step must then give the fp64 step's numbers bit for bit.
 */
static int
same_f(const float *a, const double *b, int64_t n)
{
	for (int64_t i = 0; i < n; i++)
		if (!((double)a[i] == b[i]))
			return 0;
	return 1;
}

static void
amp_1_case(const char *name, int layers, int with_dx,
    const struct sb_amp_opts *o)
{
	struct pair p;
	struct sb_scaler st;
	struct sb_amp_step_out out;
	char label[160];

	pair_init(&p, 8, 4, 5, layers, with_dx);
	for (int64_t i = 0; i < tk_len(&p.f.d, TK_X, 0); i++)
		p.f.x[i] = rng_trit();
	for (int l = 0; l < layers; l++) {
		for (int64_t i = 0; i < tk_len(&p.f.d, TK_W, l); i++)
			p.f.w[l][i] = rng_trit();
		for (int64_t i = 0; i < tk_len(&p.f.d, TK_B, l); i++)
			p.f.b[l][i] = rng_trit();
	}
	for (int64_t i = 0; i < tk_len(&p.f.d, TK_T, 0); i++)
		p.f.t[i] = 0;
	p.f.lr = 0.0625f;
	pair_sync_inputs(&p);
	ref_step_f64(&p.r, 0, NULL, NULL);	/* y, to place t */
	for (int64_t i = 0; i < tk_len(&p.f.d, TK_T, 0); i++)
		p.f.t[i] = (float)p.r.y[layers - 1][i] - rng_trit();
	pair_sync_inputs(&p);
	ref_step_f64(&p.r, 1, NULL, NULL);

	sb_scaler_init(&st, &o->cfg);
	int rc = ref_step_amp(&p.f, 1, o, &st, 0, &out, NULL, NULL);
	snprintf(label, sizeof(label), "amp-1: %s: the step runs", name);
	CHECK(label, rc == 0 && !out.skipped && !out.found_inf);
	snprintf(label, sizeof(label), "amp-1: %s: loss exact", name);
	CHECK(label, p.f.loss == p.r.loss);
	for (int t = TK_DX; t < TK_COUNT; t++) {
		if (t == TK_DX && !with_dx)
			continue;
		for (int l = 0; l < tk_layers(&p.f.d, t); l++) {
			static const char *const names[TK_COUNT] = { "x", "t",
			    "dx", "w", "b", "y", "dy", "dw", "db" };

			snprintf(label, sizeof(label),
			    "amp-1: %s: %s[%d] equals fp64 exactly", name,
			    names[t], l);
			CHECK(label, same_f(*TK_PTR(&p.f, t, l),
			    *TK_PTR(&p.r, t, l), tk_len(&p.f.d, t, l)));
		}
	}
	pair_free(&p);
}

static void
amp_1_exact(void)
{
	struct sb_amp_opts o;

	sb_amp_opts_default(&o, SB_DT_F16);
	o.cfg.init_scale = 1024;
	amp_1_case("fp16 scaled, 1 layer", 1, 1, &o);
	amp_1_case("fp16 scaled, 2 layers + dx", 2, 1, &o);
	amp_1_case("fp16 scaled, 2 layers", 2, 0, &o);
	o.wgrad_out = SB_DT_F32;
	amp_1_case("fp16 scaled, fp32 wgrad, 2 layers", 2, 1, &o);
	sb_amp_opts_default(&o, SB_DT_F16);
	o.scaled = 0;
	amp_1_case("fp16 unscaled, 2 layers", 2, 1, &o);
	sb_amp_opts_default(&o, SB_DT_BF16);
	amp_1_case("bf16, 1 layer", 1, 1, &o);
	amp_1_case("bf16, 2 layers + dx", 2, 1, &o);
	o.wgrad_out = SB_DT_F32;
	amp_1_case("bf16, fp32 wgrad, 2 layers", 2, 1, &o);
}

/* ---- amp-2: random, forward error bounds -------------------------------- */

/*
 * The bound, element by element, from the fp64 values (written *) of the
 * same step.  u is the half type's unit roundoff (2^-11 fp16, 2^-8 bf16),
 * eta its largest absolute rounding error below the normal range (2^-25
 * fp16, 2^-134 bf16): |R(z) - z| <= u|z| + eta.  v = 2^-24 (fp32),
 * gamma(n) = n·v / (1 - n·v) bounds an n-term fp32 sum's error relative to
 * the sum of the magnitudes; products of two half values are exact in
 * fp32.  S is a power of two, so scaling and unscaling are exact and the
 * gradients' bounds are in unscaled units (eta becomes eta/S).
 *
 *   forward  E_in = u|x| + eta (layer 0) or E_y[l-1];  A_in = |in*| + E_in;
 *            A_w = (1+u)|w| + eta;  E_w = u|w| + eta
 *            B = Σ_k (E_in·A_w + |in*|·E_w) + u|b| + eta
 *                + gamma(k+1)·(Σ_k A_in·A_w + (1+u)|b| + eta)
 *            E_y = B + u(|y*| + B) + eta
 *   loss     E_d = E_y + v(|y* - t| + E_y);  |loss - loss*| <=
 *            Σ (2|y* - t|·E_d + E_d²) / (m·N)  (+ 1e-12 of loss*)
 *   dy       C = (2/(mN))·E_d·(1+3v) + 3v|dy*|;  E_dy = C + u(|dy*|+C)
 *            + eta/S
 *   dw       B = Σ_i (E_dy·A_in + |dy*|·E_in) + gamma(m)·Σ_i A_dy·A_in,
 *            A_dy = |dy*| + E_dy;  E_dw = B + uw(|dw*| + B) + etaw/S,
 *            uw, etaw = u, eta for half weight gradients, 0 for fp32
 *   db       as dw with in = 1 (E_in = 0)
 *   dgrad    B = Σ_j (E_dy·A_w + |dy*|·E_w) + gamma(n)·Σ_j A_dy·A_w;
 *            E = B + u(|dx*| + B) + eta/S
 *   sgd      Q = lr·E_dw·(1+v) + v·lr·|dw*|;  E_w' = Q + v(|w'*| + Q)
 *
 * The relative L2 error of each family is then at most ‖E‖/‖ref‖; for
 * random data E is dominated by the input roundings, so the bounds come
 * out at a few u times the conditioning of each sum.
 */
struct bound_ctx {
	double	u, eta, v, uw, etaw, S;
};

static double
gamma_n(double v, int64_t n)
{
	return (double)n * v / (1 - (double)n * v);
}

struct family {
	const char	*name;
	double		 err2, ref2, bound2;	/* Σ squares */
	int64_t		 bad, count;
	double		 first_got, first_want, first_bound;
};

static void
family_add(struct family *f, double got, double want, double bound)
{
	double e = got - want;

	f->count++;
	f->err2 += e * e;
	f->ref2 += want * want;
	f->bound2 += bound * bound;
	if (!(fabs(e) <= bound)) {
		if (f->bad++ == 0) {
			f->first_got = got;
			f->first_want = want;
			f->first_bound = bound;
		}
	}
}

enum { F_Y, F_LOSS, F_DY, F_DW, F_DB, F_W, F_COUNT };

static void
amp_2_bounds(struct pair *p, const struct params *w0, const struct bound_ctx *c,
    struct family *fam)
{
	const struct sb_dims *d = &p->f.d;
	const int L = d->layers;
	const int64_t m = d->m;
	double *E_y[SB_MAX_LAYERS], *E_dy[SB_MAX_LAYERS], *E_x, *E_dx = NULL;

	/* the forward, with the initial parameters */
	E_x = xmalloc((size_t)(m * d->width[0]) * sizeof(double));
	for (int64_t i = 0; i < m * d->width[0]; i++)
		E_x[i] = c->u * fabs(p->r.x[i]) + c->eta;
	for (int l = 0; l < L; l++) {
		int64_t n = d->width[l + 1], k = d->width[l];
		const double *in = l == 0 ? p->r.x : p->r.y[l - 1];
		const double *E_in = l == 0 ? E_x : E_y[l - 1];
		const float *w = w0->w[l], *b = w0->b[l];
		double g = gamma_n(c->v, k + 1);

		E_y[l] = xmalloc((size_t)(m * n) * sizeof(double));
		for (int64_t i = 0; i < m; i++)
			for (int64_t j = 0; j < n; j++) {
				double B = 0, mag = 0;

				for (int64_t q = 0; q < k; q++) {
					double aw = fabs(w[j * k + q]);
					double A_w = (1 + c->u) * aw + c->eta;
					double E_w = c->u * aw + c->eta;
					double ein = E_in[i * k + q];
					double ai = fabs(in[i * k + q]);

					B += ein * A_w + ai * E_w;
					mag += (ai + ein) * A_w;
				}
				B += c->u * fabs(b[j]) + c->eta;
				B += g * (mag + (1 + c->u) * fabs(b[j]) + c->eta);
				double ys = p->r.y[l][i * n + j];
				double E = B + c->u * (fabs(ys) + B) + c->eta;

				E_y[l][i * n + j] = E;
				family_add(&fam[F_Y], p->f.y[l][i * n + j], ys, E);
			}
	}

	/* the loss and its gradient */
	{
		int64_t N = m * d->width[L];
		double lsum = 0, norm = 2.0 / (double)N;

		E_dy[L - 1] = xmalloc((size_t)N * sizeof(double));
		for (int64_t i = 0; i < N; i++) {
			double dd = p->r.y[L - 1][i] - p->r.t[i];
			double Ed = E_y[L - 1][i] + c->v * (fabs(dd) +
			    E_y[L - 1][i]);
			double dys = p->r.dy[L - 1][i];
			double C = norm * Ed * (1 + 3 * c->v) +
			    3 * c->v * fabs(dys);

			lsum += 2 * fabs(dd) * Ed + Ed * Ed;
			E_dy[L - 1][i] = C + c->u * (fabs(dys) + C) +
			    c->eta / c->S;
		}
		family_add(&fam[F_LOSS], p->f.loss, p->r.loss,
		    lsum / (double)N + 1e-12 * p->r.loss);
	}

	/* the backward */
	for (int l = L - 1; l >= 0; l--) {
		int64_t n = d->width[l + 1], k = d->width[l];
		const double *in = l == 0 ? p->r.x : p->r.y[l - 1];
		const double *E_in = l == 0 ? E_x : E_y[l - 1];
		const double *dys = p->r.dy[l];
		const float *w = w0->w[l];
		double gm = gamma_n(c->v, m), gn = gamma_n(c->v, n);
		double *E_dw = xmalloc((size_t)(n * k) * sizeof(double));
		double *E_db = xmalloc((size_t)n * sizeof(double));

		for (int64_t i = 0; i < m * n; i++)
			family_add(&fam[F_DY], p->f.dy[l][i], dys[i],
			    E_dy[l][i]);
		for (int64_t j = 0; j < n; j++) {
			for (int64_t q = 0; q < k; q++) {
				double B = 0, mag = 0;

				for (int64_t i = 0; i < m; i++) {
					double ady = fabs(dys[i * n + j]);
					double edy = E_dy[l][i * n + j];
					double ai = fabs(in[i * k + q]);
					double ein = E_in[i * k + q];

					B += edy * (ai + ein) + ady * ein;
					mag += (ady + edy) * (ai + ein);
				}
				B += gm * mag;
				double ref = p->r.dw[l][j * k + q];
				double E = B + c->uw * (fabs(ref) + B) +
				    c->etaw / c->S;

				E_dw[j * k + q] = E;
				family_add(&fam[F_DW], p->f.dw[l][j * k + q],
				    ref, E);
			}
			double B = 0, mag = 0;

			for (int64_t i = 0; i < m; i++) {
				B += E_dy[l][i * n + j];
				mag += fabs(dys[i * n + j]) + E_dy[l][i * n + j];
			}
			B += gm * mag;
			double ref = p->r.db[l][j];
			E_db[j] = B + c->uw * (fabs(ref) + B) + c->etaw / c->S;
			family_add(&fam[F_DB], p->f.db[l][j], ref, E_db[j]);
		}

		/* dgrad: dy[l-1] or dx */
		double *ref_dx = l == 0 ? p->r.dx : p->r.dy[l - 1];
		if (ref_dx != NULL) {
			double *E = xmalloc((size_t)(m * k) * sizeof(double));

			for (int64_t i = 0; i < m; i++)
				for (int64_t q = 0; q < k; q++) {
					double B = 0, mag = 0;

					for (int64_t j = 0; j < n; j++) {
						double aw = fabs(w[j * k + q]);
						double A_w = (1 + c->u) * aw +
						    c->eta;
						double E_w = c->u * aw + c->eta;
						double ady = fabs(dys[i * n + j]);
						double edy = E_dy[l][i * n + j];

						B += edy * A_w + ady * E_w;
						mag += (ady + edy) * A_w;
					}
					B += gn * mag;
					E[i * k + q] = B + c->u *
					    (fabs(ref_dx[i * k + q]) + B) +
					    c->eta / c->S;
				}
			if (l == 0)
				E_dx = E;
			else
				E_dy[l - 1] = E;
		}

		/* sgd */
		for (int64_t i = 0; i < n * k + n; i++) {
			int isw = i < n * k;
			int64_t at = isw ? i : i - n * k;
			double ref = isw ? p->r.w[l][at] : p->r.b[l][at];
			double gref = isw ? p->r.dw[l][at] : p->r.db[l][at];
			double Eg = isw ? E_dw[at] : E_db[at];
			double lr = p->r.lr;
			double Q = lr * Eg * (1 + c->v) + c->v * lr * fabs(gref);
			double E = Q + c->v * (fabs(ref) + Q) + 1e-15 * fabs(ref);

			family_add(&fam[F_W], isw ? p->f.w[l][at] :
			    p->f.b[l][at], ref, E);
		}
		free(E_dw);
		free(E_db);
	}
	if (E_dx != NULL) {
		for (int64_t i = 0; i < m * d->width[0]; i++)
			family_add(&fam[F_DY], p->f.dx[i], p->r.dx[i], E_dx[i]);
		free(E_dx);
	}
	for (int l = 0; l < L; l++) {
		free(E_y[l]);
		free(E_dy[l]);
	}
	free(E_x);
}

/*
 * The per-type tolerance on the relative L2 error of y, dy/dx, dw and db
 * for well-mixed random data (a statistical bound, unlike the elementwise
 * one above): an element's error is a random-sign sum of rounding errors,
 * each at most u relative.  One layer feeds an element through at most
 * four roundings (input, weight, output, loss gradient) and each further
 * layer through about four more; independent, they add in quadrature, so
 * the rms relative error is at most u·sqrt(4L) = 2u·sqrt(L).  A factor 4
 * covers the conditioning of random sums (‖Σ|ab|‖/‖Σab‖·sqrt(R) near 1
 * to 2 here): 8u·sqrt(L), i.e. 3.9e-3 (fp16) and 3.1e-2 (bf16) for one
 * layer, 6.8e-3 and 5.4e-2 for three.  The loss and the updated weights
 * are far more accurate (an average; lr·dw against w) and are held to the
 * elementwise bound alone.
 */
static double
amp_2_tol(double u, int layers)
{
	return 8 * u * sqrt((double)layers);
}

static void
amp_2_case(const char *name, int64_t m, int64_t n, int64_t k, int layers,
    int with_dx, const struct sb_amp_opts *o)
{
	struct pair p;
	struct params w0;
	struct sb_scaler st;
	struct sb_amp_step_out out;
	struct family fam[F_COUNT] = {
		{ .name = "y" }, { .name = "loss" }, { .name = "dy,dx" },
		{ .name = "dw" }, { .name = "db" }, { .name = "w',b'" },
	};
	struct bound_ctx c;
	char label[200];
	int tries = 0;

	pair_init(&p, m, n, k, layers, with_dx);
	fill(p.f.x, tk_len(&p.f.d, TK_X, 0), -1, 1);
	fill(p.f.t, tk_len(&p.f.d, TK_T, 0), -1, 1);
	for (int l = 0; l < layers; l++) {
		float s = 1.0f / sqrtf((float)p.f.d.width[l]);

		fill(p.f.w[l], tk_len(&p.f.d, TK_W, l), -s, s);
		fill(p.f.b[l], tk_len(&p.f.d, TK_B, l), -s, s);
	}
	p.f.lr = 0x1p-7f;
	pair_sync_inputs(&p);
	ref_step_f64(&p.r, 1, NULL, NULL);
	params_save(&w0, &p.f);

	/* GradScaler calibrating: a step that overflows is skipped (weights
	 * untouched), the scale halves, and the step is tried again */
	sb_scaler_init(&st, &o->cfg);
	for (;;) {
		float before = st.scale;

		ref_step_amp(&p.f, 1, o, &st, tries, &out, NULL, NULL);
		if (!out.skipped)
			break;
		snprintf(label, sizeof(label), "amp-2: %s: a skipped step "
		    "leaves the weights and halves the scale", name);
		CHECK(label, out.found_inf && params_equal(&w0, &p.f) &&
		    st.scale == before * 0.5f);
		if (++tries == 40)
			break;
	}
	snprintf(label, sizeof(label), "amp-2: %s: a step ran", name);
	CHECK(label, !out.skipped);

	c.u = o->dt == SB_DT_F16 ? 0x1p-11 : 0x1p-8;
	c.eta = o->dt == SB_DT_F16 ? 0x1p-25 : 0x1p-134;
	c.v = 0x1p-24;
	c.uw = o->wgrad_out == SB_DT_F32 ? 0 : c.u;
	c.etaw = o->wgrad_out == SB_DT_F32 ? 0 : c.eta;
	c.S = out.scale_used;
	amp_2_bounds(&p, &w0, &c, fam);

	printf("amp-2: %-34s S=%-6g", name, (double)out.scale_used);
	for (int f = 0; f < F_COUNT; f++) {
		double err = sqrt(fam[f].err2 / fam[f].ref2);
		double bnd = sqrt(fam[f].bound2 / fam[f].ref2);

		printf(" %s %.1e<=%.1e", fam[f].name, err, bnd);
		snprintf(label, sizeof(label), "amp-2: %s: every %s element "
		    "within its error bound", name, fam[f].name);
		if (fam[f].bad)
			fprintf(stderr, "%s: %lld of %lld outside, first got "
			    "%.9g want %.9g bound %.3g\n", label,
			    (long long)fam[f].bad, (long long)fam[f].count,
			    fam[f].first_got, fam[f].first_want,
			    fam[f].first_bound);
		CHECK(label, fam[f].bad == 0 && fam[f].count > 0);
		/* the per-type tolerance (see amp_2_tol) */
		if (f == F_LOSS || f == F_W)
			continue;
		snprintf(label, sizeof(label), "amp-2: %s: %s relative L2 "
		    "error within 8u·sqrt(L)", name, fam[f].name);
		if (!(err <= amp_2_tol(c.u, layers)))
			fprintf(stderr, "%s: %.3g > %.3g\n", label, err,
			    amp_2_tol(c.u, layers));
		CHECK(label, err <= amp_2_tol(c.u, layers));
	}
	printf("\n");
	params_free(&w0);
	pair_free(&p);
}

static void
amp_2_random(void)
{
	static const struct {
		int64_t	m, n, k;
		int	layers, dx;
	} shapes[] = {
		{ 10, 3, 5, 1, 0 },		/* the tutorial */
		{ 127, 129, 65, 1, 1 },
		{ 64, 48, 33, 3, 1 },
		{ 257, 31, 100, 2, 0 },
		{ 1, 1, 1, 1, 1 },
	};
	struct sb_amp_opts o;
	char name[96];

	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		for (int mode = 0; mode < 3; mode++) {
			sb_amp_opts_default(&o, mode == 2 ? SB_DT_BF16 :
			    SB_DT_F16);
			if (mode == 1)
				o.wgrad_out = SB_DT_F32;
			snprintf(name, sizeof(name), "%s %lldx%lldx%lld L%d%s",
			    mode == 0 ? "fp16" : mode == 1 ? "fp16/f32wg" :
			    "bf16", (long long)shapes[i].m,
			    (long long)shapes[i].n, (long long)shapes[i].k,
			    shapes[i].layers, shapes[i].dx ? "+dx" : "");
			amp_2_case(name, shapes[i].m, shapes[i].n, shapes[i].k,
			    shapes[i].layers, shapes[i].dx, &o);
		}
	}
}

/* ---- amp-3, amp-4: the scaler inside the step ------------------------------ */

static void
random_step(struct pair *p, int64_t m, int64_t n, int64_t k, int layers)
{
	pair_init(p, m, n, k, layers, 1);
	fill(p->f.x, tk_len(&p->f.d, TK_X, 0), -1, 1);
	fill(p->f.t, tk_len(&p->f.d, TK_T, 0), -1, 1);
	for (int l = 0; l < layers; l++) {
		fill(p->f.w[l], tk_len(&p->f.d, TK_W, l), -0.3f, 0.3f);
		fill(p->f.b[l], tk_len(&p->f.d, TK_B, l), -0.3f, 0.3f);
	}
	p->f.lr = 0.01f;
}

static void
amp_3_inject(void)
{
	struct pair p;
	struct params before[5], after2;
	struct sb_amp_opts o;
	struct sb_scaler st;
	struct sb_amp_step_out out[5];
	float scale[5];
	int tracker[5];

	random_step(&p, 16, 8, 12, 2);
	sb_amp_opts_default(&o, SB_DT_F16);
	o.cfg.init_scale = 1024;
	o.inject_at = 2;
	sb_scaler_init(&st, &o.cfg);
	for (int i = 0; i < 5; i++) {
		params_save(&before[i], &p.f);
		ref_step_amp(&p.f, 1, &o, &st, i, &out[i], NULL, NULL);
		scale[i] = st.scale;
		tracker[i] = st.growth_tracker;
		if (i == 2) {
			CHECK("amp-3.1: the planted inf is in dw[0][0]",
			    isinf(p.f.dw[0][0]) && p.f.dw[0][0] > 0);
			params_save(&after2, &p.f);
		}
	}
	for (int i = 0; i < 5; i++) {
		CHECK("amp-3.2: only step 2 finds an inf",
		    out[i].found_inf == (i == 2));
		CHECK("amp-3.3: only step 2 is skipped",
		    out[i].skipped == (i == 2));
		CHECK("amp-3.4: steps other than 2 change the weights",
		    i == 2 || !params_equal(&before[i], &p.f) || i == 4);
	}
	CHECK("amp-3.5: weights after step 2 equal weights after step 1",
	    params_equal(&before[2], &p.f) == 0 &&
	    memcmp(after2.w[0], before[2].w[0], 12 * 8 * sizeof(float)) == 0 &&
	    memcmp(after2.w[1], before[2].w[1], 8 * 8 * sizeof(float)) == 0 &&
	    memcmp(after2.b[0], before[2].b[0], 8 * sizeof(float)) == 0 &&
	    memcmp(after2.b[1], before[2].b[1], 8 * sizeof(float)) == 0);
	CHECK("amp-3.6: steps 0..2 used the initial scale",
	    out[0].scale_used == 1024 && out[1].scale_used == 1024 &&
	    out[2].scale_used == 1024);
	CHECK("amp-3.7: the overflow halved the scale", scale[2] == 512 &&
	    out[3].scale_used == 512 && out[4].scale_used == 512);
	CHECK("amp-3.8: the tracker counted, reset, and counts again",
	    tracker[0] == 1 && tracker[1] == 2 && tracker[2] == 0 &&
	    tracker[3] == 1 && tracker[4] == 2);
	CHECK("amp-3.9: step 3 changed the weights again",
	    !params_equal(&before[3], &p.f));
	for (int i = 0; i < 5; i++)
		params_free(&before[i]);
	params_free(&after2);
	pair_free(&p);
}

/* a real overflow, no injection: the fp16 loss gradient itself becomes
 * inf (|2(y - t)/(mN)|·65536 > 65504), or a NaN in the inputs */
static void
amp_3_real_overflow(void)
{
	struct pair p;
	struct params w0;
	struct sb_amp_opts o;
	struct sb_scaler st;
	struct sb_amp_step_out out;
	int skips = 0;

	random_step(&p, 4, 2, 3, 1);
	for (int64_t i = 0; i < 8; i++)
		p.f.t[i] = 1000;
	params_save(&w0, &p.f);
	sb_amp_opts_default(&o, SB_DT_F16);
	sb_scaler_init(&st, &o.cfg);
	for (int i = 0; i < 40; i++) {
		ref_step_amp(&p.f, 1, &o, &st, i, &out, NULL, NULL);
		if (!out.skipped)
			break;
		skips++;
		CHECK("amp-3.10: an overflowing step leaves the weights",
		    params_equal(&w0, &p.f) && out.found_inf);
	}
	/* dy = 2(y - t)/8·S ~ -250·S fits from S = 256, but the bias
	 * gradient Σ_i dy ~ -1000·S (|y| < 3) only from S = 64: 65536
	 * halves 10 times */
	printf("amp-3: |y - t| ~ 1000 at m·N = 8: %d steps skipped, then "
	    "scale %g\n", skips, (double)out.scale_used);
	CHECK("amp-3.11: the scale backs off until the gradient fits",
	    skips == 10 && out.scale_used == 64 && !out.found_inf);
	CHECK("amp-3.12: then the step updates the weights",
	    !params_equal(&w0, &p.f));
	params_free(&w0);
	/* a NaN input: every step finds it and skips */
	p.f.x[0] = NAN;
	params_save(&w0, &p.f);
	ref_step_amp(&p.f, 1, &o, &st, 100, &out, NULL, NULL);
	CHECK("amp-3.13: a NaN input is found and the step skipped",
	    out.found_inf && out.skipped && params_equal(&w0, &p.f));
	params_free(&w0);
	pair_free(&p);
}

static void
amp_4_growth(void)
{
	struct pair p;
	struct sb_amp_opts o;
	struct sb_scaler st;
	struct sb_amp_step_out out;
	const float want_used[7] = { 1024, 1024, 1024, 2048, 2048, 2048,
	    4096 };
	const float want_after[7] = { 1024, 1024, 2048, 2048, 2048, 4096,
	    4096 };
	int ok = 1;

	random_step(&p, 9, 7, 6, 1);
	sb_amp_opts_default(&o, SB_DT_F16);
	o.cfg.init_scale = 1024;
	o.cfg.interval = 3;
	sb_scaler_init(&st, &o.cfg);
	for (int i = 0; i < 7; i++) {
		ref_step_amp(&p.f, 1, &o, &st, i, &out, NULL, NULL);
		if (out.scale_used != want_used[i] ||
		    st.scale != want_after[i] || out.skipped) {
			fprintf(stderr, "amp-4: step %d used %g, now %g\n", i,
			    (double)out.scale_used, (double)st.scale);
			ok = 0;
		}
	}
	CHECK("amp-4.1: interval 3: growth after the 3rd and 6th good step",
	    ok);
	pair_free(&p);
}

/* ---- amp-5: underflow without the scale ------------------------------------ */

static double
rel_l2(const float *got, const double *want, int64_t n)
{
	double e = 0, r = 0;

	for (int64_t i = 0; i < n; i++) {
		e += (got[i] - want[i]) * (got[i] - want[i]);
		r += want[i] * want[i];
	}
	return sqrt(e / r);
}

static void
amp_5_underflow(void)
{
	/* m·N = 2^20, |y| ~ 1e-3, t = 0: dy = 2y/2^20 ~ 2e-9, below fp16's
	 * smallest subnormal 2^-24 ~ 6e-8 and mostly below the 2^-25 tie */
	const int64_t m = 4096, n = 256, k = 4;
	struct sb_amp_opts o;
	struct sb_scaler st;
	struct sb_amp_step_out out;
	double err[2];
	int64_t zero_dy[2];

	for (int scaled = 0; scaled <= 1; scaled++) {
		struct pair p;

		rng_state = 0xdecaf;
		pair_init(&p, m, n, k, 1, 0);
		fill(p.f.x, m * k, -0.05f, 0.05f);
		fill(p.f.w[0], n * k, -0.05f, 0.05f);
		for (int64_t i = 0; i < n; i++)
			p.f.b[0][i] = 0;
		for (int64_t i = 0; i < m * n; i++)
			p.f.t[i] = 0;
		p.f.lr = 0.01f;
		pair_sync_inputs(&p);
		ref_step_f64(&p.r, 1, NULL, NULL);

		sb_amp_opts_default(&o, SB_DT_F16);
		o.scaled = scaled;
		sb_scaler_init(&st, &o.cfg);
		ref_step_amp(&p.f, 1, &o, &st, 0, &out, NULL, NULL);
		CHECK("amp-5.1: no overflow either way", !out.skipped);
		err[scaled] = rel_l2(p.f.dw[0], p.r.dw[0], n * k);
		zero_dy[scaled] = 0;
		for (int64_t i = 0; i < m * n; i++)
			zero_dy[scaled] += p.f.dy[0][i] == 0 &&
			    p.r.dy[0][i] != 0;
		pair_free(&p);
	}
	printf("amp-5: fp16 dw error vs fp64: unscaled %.3g (%lld of %lld "
	    "dy flushed to 0), scale 65536 %.3g (%lld flushed)\n", err[0],
	    (long long)zero_dy[0], (long long)(m * n), err[1],
	    (long long)zero_dy[1]);
	CHECK("amp-5.2: unscaled, most of the loss gradient underflows",
	    zero_dy[0] > m * n / 2);
	CHECK("amp-5.3: unscaled, the weight gradient is lost (error > 50%)",
	    err[0] > 0.5);
	CHECK("amp-5.4: scaled, hardly any loss gradient underflows",
	    zero_dy[1] < m * n / 1000);
	CHECK("amp-5.5: scaled, the weight gradient is right (error < 1e-2)",
	    err[1] < 1e-2);
}

/* ---- amp-6: bf16 -------------------------------------------------------------- */

static void
amp_6_bf16(void)
{
	struct pair p;
	struct sb_amp_opts o;
	struct sb_scaler st;
	struct sb_amp_step_out out;
	struct params before;
	int ok = 1;

	random_step(&p, 12, 6, 7, 2);
	sb_amp_opts_default(&o, SB_DT_BF16);
	CHECK("amp-6.1: bf16amp's default has no scaler", o.scaled == 0);
	o.inject_at = 1;
	st.scale = 123.0f;
	st.growth_tracker = 77;
	for (int i = 0; i < 4; i++) {
		params_save(&before, &p.f);
		int rc = ref_step_amp(&p.f, 1, &o, i == 3 ? NULL : &st, i, &out,
		    NULL, NULL);
		ok &= rc == 0 && out.scale_used == 1.0f && !out.found_inf &&
		    !out.skipped && isfinite(p.f.dw[0][0]) &&
		    !params_equal(&before, &p.f);
		params_free(&before);
	}
	CHECK("amp-6.2: bf16amp never scales, finds no inf, never skips", ok);
	CHECK("amp-6.3: bf16amp leaves the scaler alone", st.scale == 123.0f &&
	    st.growth_tracker == 77);
	/* the loss gradient is bf16(2(y - t)/(mN)), not scaled */
	{
		int64_t N = 12 * 6;
		int same = 1;

		for (int64_t i = 0; i < N; i++)
			same &= p.f.dy[1][i] == sb_round_to(SB_DT_BF16,
			    2.0f / (float)N * (p.f.y[1][i] - p.f.t[i]));
		CHECK("amp-6.4: dy is the bf16 loss gradient itself", same);
	}
	pair_free(&p);
}

/* ---- amp-7: phases -------------------------------------------------------------- */

struct marks {
	enum sb_phase	ph[32];
	int		n;
};

static void
mark(void *ctx, enum sb_phase ph)
{
	struct marks *mk = ctx;

	if (mk->n < 32)
		mk->ph[mk->n++] = ph;
}

static int
marks_are(const struct marks *mk, const enum sb_phase *want, int n)
{
	if (mk->n != n)
		return 0;
	for (int i = 0; i < n; i++)
		if (mk->ph[i] != want[i])
			return 0;
	return 1;
}

static void
amp_7_phases(void)
{
	struct pair p;
	struct sb_amp_opts o;
	struct sb_scaler st;
	struct marks mk;
	static const enum sb_phase f16_dx[] = { SB_PH_FORWARD, SB_PH_LOSS,
	    SB_PH_WGRAD, SB_PH_DGRAD, SB_PH_WGRAD, SB_PH_DGRAD, SB_PH_UNSCALE,
	    SB_PH_SGD, SB_PH_UPDATE, SB_PH_END };
	static const enum sb_phase bf16_nodx[] = { SB_PH_FORWARD, SB_PH_LOSS,
	    SB_PH_WGRAD, SB_PH_DGRAD, SB_PH_WGRAD, SB_PH_UNSCALE, SB_PH_SGD,
	    SB_PH_END };
	static const enum sb_phase infer[] = { SB_PH_FORWARD, SB_PH_END };

	random_step(&p, 5, 4, 3, 2);
	sb_amp_opts_default(&o, SB_DT_F16);
	sb_scaler_init(&st, &o.cfg);
	mk.n = 0;
	ref_step_amp(&p.f, 1, &o, &st, 0, NULL, mark, &mk);
	CHECK("amp-7.1: fp16amp, 2 layers + dx: phase order",
	    marks_are(&mk, f16_dx, 10));
	free(p.f.dx);
	p.f.dx = NULL;
	sb_amp_opts_default(&o, SB_DT_BF16);
	mk.n = 0;
	ref_step_amp(&p.f, 1, &o, NULL, 0, NULL, mark, &mk);
	CHECK("amp-7.2: bf16amp, 2 layers: phase order (no update)",
	    marks_are(&mk, bf16_nodx, 8));
	mk.n = 0;
	ref_step_amp(&p.f, 0, &o, NULL, 0, NULL, mark, &mk);
	CHECK("amp-7.3: infer: forward only", marks_are(&mk, infer, 2));
	pair_free(&p);
}

/* ---- amp-8: infer ---------------------------------------------------------------- */

static void
amp_8_infer(void)
{
	struct pair a, b;
	struct sb_amp_opts o;
	struct sb_scaler st;
	struct sb_amp_step_out out;
	int ok = 1;

	rng_state = 0xbeef;
	random_step(&a, 11, 9, 13, 2);
	rng_state = 0xbeef;
	random_step(&b, 11, 9, 13, 2);
	sb_amp_opts_default(&o, SB_DT_F16);
	sb_scaler_init(&st, &o.cfg);
	ref_step_amp(&a.f, 0, &o, &st, 0, &out, NULL, NULL);
	CHECK("amp-8.1: infer leaves the scaler alone",
	    st.scale == 65536.0f && st.growth_tracker == 0);
	CHECK("amp-8.2: infer reports the scale, no skip",
	    out.scale_used == 65536.0f && !out.skipped && !out.found_inf);
	ref_step_amp(&b.f, 1, &o, &st, 0, &out, NULL, NULL);
	for (int l = 0; l < 2; l++)
		for (int64_t i = 0; i < 11 * 9; i++)
			ok &= a.f.y[l][i] == b.f.y[l][i];
	CHECK("amp-8.3: infer's y equals training's y", ok);
	ok = isnan(a.f.loss);
	for (int l = 0; l < 2; l++) {
		ok &= isnan(a.f.dy[l][0]) && isnan(a.f.dw[l][0]) &&
		    isnan(a.f.db[l][0]);
	}
	ok &= isnan(a.f.dx[0]);
	CHECK("amp-8.4: infer writes no loss or gradient", ok);
	pair_free(&a);
	pair_free(&b);
}

/* ---- amp-9: options ---------------------------------------------------------- */

static void
bad_opts(const char *name, const struct sb_amp_opts *o, const char *needle)
{
	struct pair p;
	struct sb_scaler st;
	char why[256];

	why[0] = '\0';
	CHECK(name, sb_amp_opts_check(o, why, sizeof(why)) == -1);
	if (strstr(why, needle) == NULL)
		fprintf(stderr, "%s: why \"%s\" lacks \"%s\"\n", name, why,
		    needle);
	CHECK(name, strstr(why, needle) != NULL);
	random_step(&p, 3, 2, 2, 1);
	sb_scaler_init(&st, &o->cfg);
	errno = 0;
	CHECK(name, ref_step_amp(&p.f, 1, o, &st, 0, NULL, NULL, NULL) == -1 &&
	    errno == EINVAL);
	CHECK(name, isnan(p.f.y[0][0]) && isnan(p.f.loss));
	pair_free(&p);
}

static void
amp_9_options(void)
{
	struct sb_amp_opts o;
	char why[256];

	sb_amp_opts_default(&o, SB_DT_F16);
	CHECK("amp-9.1: fp16amp's defaults", o.scaled == 1 &&
	    o.wgrad_out == SB_DT_F16 && o.inject_at == -1 &&
	    o.cfg.init_scale == 65536.0f && o.cfg.interval == 2000 &&
	    sb_amp_opts_check(&o, why, sizeof(why)) == 0);
	o.dt = SB_DT_F32;
	bad_opts("amp-9.2: dt f32 is rejected", &o, "dt 0 (f32)");
	sb_amp_opts_default(&o, SB_DT_F16);
	o.wgrad_out = SB_DT_BF16;
	bad_opts("amp-9.3: wgrad_out bf16 with dt f16 is rejected", &o,
	    "wgrad_out 2 (bf16)");
	sb_amp_opts_default(&o, SB_DT_F16);
	o.scaled = 2;
	bad_opts("amp-9.4: scaled 2 is rejected", &o, "scaled 2");
	sb_amp_opts_default(&o, SB_DT_F16);
	o.inject_at = -2;
	bad_opts("amp-9.5: inject_at -2 is rejected", &o, "inject_at -2");
	sb_amp_opts_default(&o, SB_DT_F16);
	o.cfg.backoff = 2;
	bad_opts("amp-9.6: a bad scaler cfg is rejected", &o, "backoff 2");
	/* an unscaled step ignores the cfg */
	sb_amp_opts_default(&o, SB_DT_BF16);
	o.cfg.interval = 0;
	CHECK("amp-9.7: unscaled: the cfg is not checked",
	    sb_amp_opts_check(&o, why, sizeof(why)) == 0);
	/* scaled without a scaler */
	{
		struct pair p;

		random_step(&p, 3, 2, 2, 1);
		sb_amp_opts_default(&o, SB_DT_F16);
		errno = 0;
		CHECK("amp-9.8: scaled with st NULL is EINVAL",
		    ref_step_amp(&p.f, 1, &o, NULL, 0, NULL, NULL, NULL) ==
		    -1 && errno == EINVAL && isnan(p.f.y[0][0]));
		pair_free(&p);
	}
}

/* ---- amp-10: the roundings are where autocast has them ------------------- */

static int
half_valued(enum sb_dtype t, const float *p, int64_t n, float S)
{
	for (int64_t i = 0; i < n; i++)
		if (sb_round_to(t, p[i] * S) != p[i] * S)
			return 0;
	return 1;
}

static void
amp_10_roundings(void)
{
	const int64_t m = 13, n = 11, k = 17;
	struct pair p;
	struct sb_amp_opts o;
	struct sb_scaler st;
	struct sb_amp_step_out out;
	struct params w0;
	float *x0 = xmalloc((size_t)(m * k) * sizeof(float));
	int ok = 1;

	for (int fw = 0; fw <= 1; fw++) {
		rng_state = 0xa11ce;
		random_step(&p, m, n, k, 1);
		memcpy(x0, p.f.x, (size_t)(m * k) * sizeof(float));
		params_save(&w0, &p.f);
		sb_amp_opts_default(&o, SB_DT_F16);
		o.cfg.init_scale = 256;
		if (fw)
			o.wgrad_out = SB_DT_F32;
		sb_scaler_init(&st, &o.cfg);
		ref_step_amp(&p.f, 1, &o, &st, 0, &out, NULL, NULL);
		float S = out.scale_used;

		/* the forward as autocast states it, in the same order */
		ok = 1;
		for (int64_t i = 0; i < m; i++)
			for (int64_t j = 0; j < n; j++) {
				float acc = 0;

				for (int64_t q = 0; q < k; q++)
					acc += sb_round_to(SB_DT_F16,
					    x0[i * k + q]) *
					    sb_round_to(SB_DT_F16,
					    w0.w[0][j * k + q]);
				ok &= p.f.y[0][i * n + j] == sb_round_to(
				    SB_DT_F16, acc + sb_round_to(SB_DT_F16,
				    w0.b[0][j]));
			}
		CHECK("amp-10.1: y = R(Σ R(x)·R(w) + R(b)), one rounding", ok);
		ok = 1;
		for (int64_t i = 0; i < m * n; i++)
			ok &= p.f.dy[0][i] * S == sb_round_to(SB_DT_F16,
			    2.0f / (float)(m * n) * (p.f.y[0][i] - p.f.t[i]) *
			    S);
		CHECK("amp-10.2: dy·S = R(2(y - t)/(mN)·S)", ok);
		CHECK("amp-10.3: dx·S is fp16-valued",
		    half_valued(SB_DT_F16, p.f.dx, m * k, S));
		/* the backward GEMMs as autocast states them, index order */
		ok = 1;
		for (int64_t i = 0; i < m; i++)
			for (int64_t q = 0; q < k; q++) {
				float acc = 0;

				for (int64_t j = 0; j < n; j++)
					acc += p.f.dy[0][i * n + j] * S *
					    sb_round_to(SB_DT_F16,
					    w0.w[0][j * k + q]);
				ok &= p.f.dx[i * k + q] * S ==
				    sb_round_to(SB_DT_F16, acc);
			}
		CHECK("amp-10.6: dx·S = R(Σ_j dy_h·R(w))", ok);
		ok = 1;
		for (int64_t j = 0; j < n; j++)
			for (int64_t q = 0; q < k; q++) {
				float acc = 0;

				for (int64_t i = 0; i < m; i++)
					acc += p.f.dy[0][i * n + j] * S *
					    sb_round_to(SB_DT_F16,
					    x0[i * k + q]);
				ok &= p.f.dw[0][j * k + q] * S ==
				    sb_round_to(o.wgrad_out, acc);
			}
		CHECK("amp-10.7: dw·S = Rw(Σ_i dy_h·R(x))", ok);
		if (!fw) {
			CHECK("amp-10.4: dw·S and db·S are fp16-valued",
			    half_valued(SB_DT_F16, p.f.dw[0], n * k, S) &&
			    half_valued(SB_DT_F16, p.f.db[0], n, S));
		} else {
			CHECK("amp-10.5: with fp32 weight gradients dw·S is "
			    "not all fp16-valued",
			    !half_valued(SB_DT_F16, p.f.dw[0], n * k, S));
		}
		params_free(&w0);
		pair_free(&p);
	}
	free(x0);
}

int
main(void)
{
	amp_1_exact();
	amp_2_random();
	amp_3_inject();
	amp_3_real_overflow();
	amp_4_growth();
	amp_5_underflow();
	amp_6_bf16();
	amp_7_phases();
	amp_8_infer();
	amp_9_options();
	amp_10_roundings();
	return check_summary("test_ref_amp");
}
