/*
 * tests/test_ref.c — the host step (kernels/ref_step_impl.h): hand-worked
 * numbers at the tutorial's size, gradients against central differences,
 * the SGD update, float against double, the forward-only path, the phase
 * marks, and sb_dims_init.
 *
 * Every buffer starts as NaN, so an output the step forgets to write fails
 * every check that reads it.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testkit.h"
#include "ref_step.h"
#include "step.h"

/* ---- buffers ---------------------------------------------------------- */

/* The tensors of a step; X, T and DX exist once, the others per layer. */
enum tk { TK_X, TK_T, TK_DX, TK_W, TK_B, TK_Y, TK_DY, TK_DW, TK_DB, TK_COUNT };

static const char *const tk_names[TK_COUNT] = {
	"x", "t", "dx", "w", "b", "y", "dy", "dw", "db"
};

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
	case TK_Y:
	case TK_DY:
		return d->m * d->width[l + 1];
	default:
		abort();
	}
}

static double **
t64p(struct sb_hstep_f64 *s, enum tk k, int l)
{
	switch (k) {
	case TK_X:	return &s->x;
	case TK_T:	return &s->t;
	case TK_DX:	return &s->dx;
	case TK_W:	return &s->w[l];
	case TK_B:	return &s->b[l];
	case TK_Y:	return &s->y[l];
	case TK_DY:	return &s->dy[l];
	case TK_DW:	return &s->dw[l];
	case TK_DB:	return &s->db[l];
	default:	abort();
	}
}

static float **
t32p(struct sb_hstep_f32 *s, enum tk k, int l)
{
	switch (k) {
	case TK_X:	return &s->x;
	case TK_T:	return &s->t;
	case TK_DX:	return &s->dx;
	case TK_W:	return &s->w[l];
	case TK_B:	return &s->b[l];
	case TK_Y:	return &s->y[l];
	case TK_DY:	return &s->dy[l];
	case TK_DW:	return &s->dw[l];
	case TK_DB:	return &s->db[l];
	default:	abort();
	}
}

static void *
xmalloc(size_t n)
{
	void *p = malloc(n);

	if (p == NULL) {
		perror("test_ref: malloc");
		exit(2);
	}
	return p;
}

/* All tensors malloc'ed and NaN-filled; dx only when with_dx; lr = 0.001. */
static void
h64_init(struct sb_hstep_f64 *s, const struct sb_dims *d, int with_dx)
{
	memset(s, 0, sizeof *s);
	s->d = *d;
	for (int k = 0; k < TK_COUNT; k++) {
		if (k == TK_DX && !with_dx)
			continue;
		for (int l = 0; l < tk_layers(d, k); l++) {
			int64_t n = tk_len(d, k, l);
			double *p = xmalloc((size_t)n * sizeof *p);

			for (int64_t i = 0; i < n; i++)
				p[i] = NAN;
			*t64p(s, k, l) = p;
		}
	}
	s->loss = NAN;
	s->lr = 0.001;
}

static void
h64_free(struct sb_hstep_f64 *s)
{
	for (int k = 0; k < TK_COUNT; k++)
		for (int l = 0; l < tk_layers(&s->d, k); l++)
			free(*t64p(s, k, l));
	memset(s, 0, sizeof *s);
}

/* A deep copy. */
static void
h64_copy(struct sb_hstep_f64 *dst, const struct sb_hstep_f64 *src)
{
	struct sb_hstep_f64 *s = (struct sb_hstep_f64 *)src;

	h64_init(dst, &src->d, src->dx != NULL);
	for (int k = 0; k < TK_COUNT; k++) {
		if (k == TK_DX && src->dx == NULL)
			continue;
		for (int l = 0; l < tk_layers(&src->d, k); l++)
			memcpy(*t64p(dst, k, l), *t64p(s, k, l),
			    (size_t)tk_len(&src->d, k, l) * sizeof(double));
	}
	dst->loss = src->loss;
	dst->lr = src->lr;
}

/* A float copy of a double step (every tensor rounded). */
static void
h32_from(struct sb_hstep_f32 *dst, const struct sb_hstep_f64 *src)
{
	struct sb_hstep_f64 *s = (struct sb_hstep_f64 *)src;

	memset(dst, 0, sizeof *dst);
	dst->d = src->d;
	for (int k = 0; k < TK_COUNT; k++) {
		if (k == TK_DX && src->dx == NULL)
			continue;
		for (int l = 0; l < tk_layers(&src->d, k); l++) {
			int64_t n = tk_len(&src->d, k, l);
			const double *from = *t64p(s, k, l);
			float *p = xmalloc((size_t)n * sizeof *p);

			for (int64_t i = 0; i < n; i++)
				p[i] = (float)from[i];
			*t32p(dst, k, l) = p;
		}
	}
	dst->loss = src->loss;
	dst->lr = (float)src->lr;
}

static void
h32_free(struct sb_hstep_f32 *s)
{
	for (int k = 0; k < TK_COUNT; k++)
		for (int l = 0; l < tk_layers(&s->d, k); l++)
			free(*t32p(s, k, l));
	memset(s, 0, sizeof *s);
}

/* ---- random inputs ---------------------------------------------------- */

static uint64_t rng_state;

static uint64_t
splitmix64(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [-1, 1) on a 2^-23 grid: exact in float, so a float copy of a
 * random step holds the same inputs as the double one. */
static double
urand(void)
{
	return (double)(splitmix64() >> 40) * 0x1p-23 - 1.0;
}

/* x, t, w, b random (outputs stay NaN). */
static void
h64_random(struct sb_hstep_f64 *s, const struct sb_dims *d, int with_dx,
    uint64_t seed)
{
	static const enum tk inputs[] = { TK_X, TK_T, TK_W, TK_B };

	rng_state = seed;
	h64_init(s, d, with_dx);
	for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
		enum tk k = inputs[i];

		for (int l = 0; l < tk_layers(d, k); l++) {
			double *p = *t64p(s, k, l);

			for (int64_t j = 0; j < tk_len(d, k, l); j++)
				p[j] = urand();
		}
	}
}

static void
dims(struct sb_dims *d, int64_t m, int64_t n, int64_t k, int layers)
{
	memset(d, 0, sizeof *d);
	sb_dims_init(d, m, n, k, layers);
}

/* ---- 1: hand-worked numbers at the tutorial's size -------------------- */

/*
 * PyTorch Linear(5, 3) at batch 10 (M = 10, K = 5, N = 3, L = 1), with
 * inputs picked so that every number can be worked by hand:
 *
 *   x[i] = [ i, 1, -1, 2, -i ]             i = 0..9
 *   W    = [ 1  0 -1  2  0 ]               b = [ 1, -2, 0.5 ]
 *          [ 0  1  0  0 -1 ]
 *          [ 1  1  1  1  1 ]
 *   t[i] = [ 6, i + 0.5, 1 ]
 *
 * forward
 *   y[i][0] = i·1 + 1·0 + (-1)(-1) + 2·2 + (-i)·0 + 1   = i + 6
 *   y[i][1] = i·0 + 1·1 + (-1)·0   + 2·0 + (-i)(-1) - 2 = i - 1
 *   y[i][2] = i   + 1   - 1        + 2   - i     + 0.5  = 2.5
 * loss, with y - t = [ i, -1.5, 1.5 ]
 *   (Σ i² + 10·1.5² + 10·1.5²) / 30 = (285 + 22.5 + 22.5) / 30 = 330/30 = 11
 * dY = 2 (y - t) / 30 = [ i/15, -0.1, 0.1 ]
 * dW[j][p] = Σ_i dY[i][j] x[i][p], with the column sums
 *   Σ_i x[i]   = [  45, 10, -10, 20,  -45 ]
 *   Σ_i i·x[i] = [ 285, 45, -45, 90, -285 ]      (Σ i² = 285)
 *   dW[0] = Σ i·x[i] / 15 = [  19,  3, -3,  6,  -19 ]
 *   dW[1] = -0.1 Σ x[i]   = [ -4.5, -1,  1, -2,  4.5 ]
 *   dW[2] =  0.1 Σ x[i]   = [  4.5,  1, -1,  2, -4.5 ]
 * db = [ Σ i/15, -0.1·10, 0.1·10 ] = [ 3, -1, 1 ]
 * dx[i] = dY[i] · W (the weights before the update)
 *       = (i/15)[1 0 -1 2 0] - 0.1 [0 1 0 0 -1] + 0.1 [1 1 1 1 1]
 *       = [ i/15 + 0.1, 0, 0.1 - i/15, 2i/15 + 0.1, 0.2 ]
 * SGD, lr = 0.001: W' = W - 0.001 dW, b' = b - 0.001 db
 *   W'[0] = [ 1 - 0.019, 0 - 0.003, -1 + 0.003, 2 - 0.006, 0 + 0.019 ]
 *   W'[1] = [ 0.0045, 1.001, -0.001, 0.002, -1.0045 ]
 *   W'[2] = [ 0.9955, 0.999, 1.001, 0.998, 1.0045 ]
 *   b'    = [ 0.997, -1.999, 0.499 ]
 */
#define TM	10
#define TN	3
#define TK	5

static const double tut_w[TN][TK] = {
	{ 1, 0, -1, 2, 0 },
	{ 0, 1, 0, 0, -1 },
	{ 1, 1, 1, 1, 1 },
};
static const double tut_b[TN] = { 1, -2, 0.5 };

static const double tut_dw[TN][TK] = {
	{ 19, 3, -3, 6, -19 },
	{ -4.5, -1, 1, -2, 4.5 },
	{ 4.5, 1, -1, 2, -4.5 },
};
static const double tut_db[TN] = { 3, -1, 1 };
static const double tut_w1[TN][TK] = {
	{ 0.981, -0.003, -0.997, 1.994, 0.019 },
	{ 0.0045, 1.001, -0.001, 0.002, -1.0045 },
	{ 0.9955, 0.999, 1.001, 0.998, 1.0045 },
};
static const double tut_b1[TN] = { 0.997, -1.999, 0.499 };

static double
tut_x(int i, int p)
{
	static const double fixed[TK] = { 0, 1, -1, 2, 0 };

	return p == 0 ? i : p == 4 ? -i : fixed[p];
}

static double
tut_t(int i, int j)
{
	return j == 0 ? 6 : j == 1 ? i + 0.5 : 1;
}

/* y by the closed forms above, not by a dot product */
static double
tut_y(int i, int j)
{
	return j == 0 ? i + 6 : j == 1 ? i - 1 : 2.5;
}

static double
tut_dy(int i, int j)
{
	return j == 0 ? i / 15.0 : j == 1 ? -0.1 : 0.1;
}

static double
tut_dx(int i, int p)
{
	switch (p) {
	case 0:		return i / 15.0 + 0.1;
	case 1:		return 0;
	case 2:		return 0.1 - i / 15.0;
	case 3:		return 2 * i / 15.0 + 0.1;
	default:	return 0.2;
	}
}

static void
tut_init(struct sb_hstep_f64 *s, int with_dx)
{
	struct sb_dims d;

	dims(&d, TM, TN, TK, 1);
	h64_init(s, &d, with_dx);
	for (int i = 0; i < TM; i++) {
		for (int p = 0; p < TK; p++)
			s->x[i * TK + p] = tut_x(i, p);
		for (int j = 0; j < TN; j++)
			s->t[i * TN + j] = tut_t(i, j);
	}
	for (int j = 0; j < TN; j++) {
		for (int p = 0; p < TK; p++)
			s->w[0][j * TK + p] = tut_w[j][p];
		s->b[0][j] = tut_b[j];
	}
}

static void
test_tutorial(void)
{
	struct sb_hstep_f64 s;
	int bad;

	tut_init(&s, 1);
	ref_step_f64(&s, 1, NULL, NULL);

	/* a few entries, literally */
	CHECK("ref-1.1: forward y at the tutorial size (literal entries)",
	    s.y[0][0 * TN + 0] == 6 && s.y[0][9 * TN + 0] == 15 &&
	    s.y[0][0 * TN + 1] == -1 && s.y[0][9 * TN + 1] == 8 &&
	    s.y[0][4 * TN + 2] == 2.5);
	bad = 0;
	for (int i = 0; i < TM; i++)
		for (int j = 0; j < TN; j++)
			bad += s.y[0][i * TN + j] != tut_y(i, j);
	CHECK("ref-1.2: forward y at the tutorial size (all 30, exact)",
	    bad == 0);

	CHECK("ref-1.3: loss at the tutorial size is exactly 330/30 = 11",
	    s.loss == 11);

	CHECK_NEAR("ref-1.4: dy[0][0] = 2·(6-6)/30 = 0", s.dy[0][0], 0, 0);
	CHECK_NEAR("ref-1.4: dy[9][0] = 2·9/30 = 0.6", s.dy[0][9 * TN], 0.6,
	    1e-15);
	CHECK_NEAR("ref-1.4: dy[3][1] = 2·(-1.5)/30 = -0.1",
	    s.dy[0][3 * TN + 1], -0.1, 1e-15);
	for (int i = 0; i < TM; i++)
		for (int j = 0; j < TN; j++)
			CHECK_NEAR("ref-1.5: dy at the tutorial size (all 30)",
			    s.dy[0][i * TN + j], tut_dy(i, j), 1e-15);

	for (int j = 0; j < TN; j++) {
		for (int p = 0; p < TK; p++)
			CHECK_NEAR("ref-1.6: dw at the tutorial size",
			    s.dw[0][j * TK + p], tut_dw[j][p], 1e-14);
		CHECK_NEAR("ref-1.7: db at the tutorial size", s.db[0][j],
		    tut_db[j], 1e-14);
	}

	for (int i = 0; i < TM; i++)
		for (int p = 0; p < TK; p++)
			CHECK_NEAR("ref-1.8: dx = dy·w (weights before the "
			    "update)", s.dx[i * TK + p], tut_dx(i, p), 1e-14);
	/* dy[i][1] = -dy[i][2] exactly, so dx[i][1] = dy1·1 + dy2·1 is 0 */
	bad = 0;
	for (int i = 0; i < TM; i++)
		bad += s.dx[i * TK + 1] != 0;
	CHECK("ref-1.9: dx[i][1] = -0.1 + 0.1 is exactly 0", bad == 0);

	for (int j = 0; j < TN; j++) {
		for (int p = 0; p < TK; p++)
			CHECK_NEAR("ref-1.10: w after SGD at the tutorial size",
			    s.w[0][j * TK + p], tut_w1[j][p], 1e-15);
		CHECK_NEAR("ref-1.11: b after SGD at the tutorial size",
		    s.b[0][j], tut_b1[j], 1e-15);
	}
	CHECK("ref-1.12: x and t are left alone",
	    s.x[9 * TK + 4] == -9 && s.t[9 * TN + 1] == 9.5);
	h64_free(&s);

	/* the float variant: y and the loss are exact in float too */
	{
		struct sb_hstep_f64 s64;
		struct sb_hstep_f32 s32;

		tut_init(&s64, 0);
		h32_from(&s32, &s64);
		ref_step_f32(&s32, 1, NULL, NULL);
		bad = 0;
		for (int i = 0; i < TM; i++)
			for (int j = 0; j < TN; j++)
				bad += s32.y[0][i * TN + j] != tut_y(i, j);
		CHECK("ref-1.13: f32 y at the tutorial size (exact)",
		    bad == 0);
		CHECK("ref-1.14: f32 loss at the tutorial size is exactly 11",
		    s32.loss == 11);
		for (int j = 0; j < TN; j++)
			for (int p = 0; p < TK; p++)
				CHECK_NEAR("ref-1.15: f32 dw at the tutorial "
				    "size", s32.dw[0][j * TK + p],
				    tut_dw[j][p], 1e-6);
		CHECK_NEAR("ref-1.16: f32 w[0][0] after SGD = 0.981",
		    s32.w[0][0], 0.981, 1e-7);
		h32_free(&s32);
		h64_free(&s64);
	}
}

/* ---- 2: gradients against central differences ------------------------- */

/* The loss at s's current parameters, by a forward-only step and an MSE
 * written here. */
static double
loss_at(struct sb_hstep_f64 *s)
{
	const struct sb_dims *d = &s->d;
	int64_t count = d->m * d->width[d->layers];
	const double *y = s->y[d->layers - 1];
	double sum = 0;

	ref_step_f64(s, 0, NULL, NULL);
	for (int64_t i = 0; i < count; i++)
		sum += (y[i] - s->t[i]) * (y[i] - s->t[i]);
	return sum / (double)count;
}

/*
 * Perturbs each entry of p (a tensor of probe) by ±h, and checks the central
 * difference of the loss against g.  The error is measured against the
 * tensor's largest gradient; the worst entry is what is checked.  The loss
 * of a Linear stack is quadratic in any one entry, so the central difference
 * is exact but for rounding.
 */
static void
fd_check(const char *name, struct sb_hstep_f64 *probe, double *p,
    const double *g, int64_t n)
{
	const double h = 1e-6;
	double gmax = 0, worst = -1, wfd = 0, wg = 0;

	for (int64_t i = 0; i < n; i++)
		gmax = fmax(gmax, fabs(g[i]));
	for (int64_t i = 0; i < n; i++) {
		double keep = p[i], up = keep + h, dn = keep - h, lp, lm, fd;

		p[i] = up;
		lp = loss_at(probe);
		p[i] = dn;
		lm = loss_at(probe);
		p[i] = keep;
		fd = (lp - lm) / (up - dn);
		if (!(fabs(fd - g[i]) <= worst)) {
			worst = fabs(fd - g[i]);
			wfd = fd;
			wg = g[i];
		}
	}
	CHECK(name, gmax > 0);
	CHECK_NEAR(name, wfd / gmax, wg / gmax, 1e-6);
}

static void
test_gradients(void)
{
	static const struct { int64_t m, n, k; } shapes[] = {
		{ 4, 3, 5 }, { 7, 6, 2 }, { 10, 3, 5 },
	};
	char name[128];

	for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
		for (int L = 1; L <= 3; L++) {
			struct sb_hstep_f64 s, probe;
			struct sb_dims d;

			dims(&d, shapes[si].m, shapes[si].n, shapes[si].k, L);
			h64_random(&s, &d, 1, 1000 + 10 * si + (uint64_t)L);
			h64_copy(&probe, &s);
			ref_step_f64(&s, 1, NULL, NULL);

			snprintf(name, sizeof name, "ref-2.1: loss of the "
			    "train step = forward-only MSE (%lldx%lldx%lld "
			    "L=%d)", (long long)d.m, (long long)d.width[1],
			    (long long)d.width[0], L);
			CHECK_NEAR(name, s.loss, loss_at(&probe), 1e-15);

			for (int l = 0; l < L; l++) {
				snprintf(name, sizeof name, "ref-2.2: dw[%d] "
				    "by central differences (%lldx%lldx%lld "
				    "L=%d)", l, (long long)d.m,
				    (long long)d.width[1],
				    (long long)d.width[0], L);
				fd_check(name, &probe, probe.w[l], s.dw[l],
				    tk_len(&d, TK_W, l));
				snprintf(name, sizeof name, "ref-2.3: db[%d] "
				    "by central differences (%lldx%lldx%lld "
				    "L=%d)", l, (long long)d.m,
				    (long long)d.width[1],
				    (long long)d.width[0], L);
				fd_check(name, &probe, probe.b[l], s.db[l],
				    tk_len(&d, TK_B, l));
			}
			snprintf(name, sizeof name, "ref-2.4: dx by central "
			    "differences (%lldx%lldx%lld L=%d)",
			    (long long)d.m, (long long)d.width[1],
			    (long long)d.width[0], L);
			fd_check(name, &probe, probe.x, s.dx,
			    tk_len(&d, TK_X, 0));
			h64_free(&probe);
			h64_free(&s);
		}
	}

	/* without dx, the parameter gradients are the same numbers */
	{
		struct sb_hstep_f64 a, b;
		struct sb_dims d;
		int bad = 0;

		dims(&d, 7, 6, 2, 3);
		h64_random(&a, &d, 1, 77);
		h64_random(&b, &d, 0, 77);
		ref_step_f64(&a, 1, NULL, NULL);
		ref_step_f64(&b, 1, NULL, NULL);
		for (int l = 0; l < 3; l++) {
			bad += memcmp(a.dw[l], b.dw[l], (size_t)tk_len(&d,
			    TK_DW, l) * sizeof(double)) != 0;
			bad += memcmp(a.db[l], b.db[l], (size_t)tk_len(&d,
			    TK_DB, l) * sizeof(double)) != 0;
		}
		CHECK("ref-2.5: dw, db do not depend on whether dx is wanted",
		    bad == 0);
		h64_free(&a);
		h64_free(&b);
	}
}

/* ---- 3: the SGD update ------------------------------------------------ */

static void
test_sgd(void)
{
	char name[96];

	for (int L = 1; L <= 3; L++) {
		struct sb_hstep_f64 s, old;
		struct sb_dims d;
		int bad = 0;

		dims(&d, 7, 6, 2, L);
		h64_random(&s, &d, L == 2, 300 + (uint64_t)L);
		s.lr = 0.001;
		h64_copy(&old, &s);
		ref_step_f64(&s, 1, NULL, NULL);
		for (int l = 0; l < L; l++) {
			for (int64_t i = 0; i < tk_len(&d, TK_W, l); i++)
				bad += s.w[l][i] != old.w[l][i] -
				    s.lr * s.dw[l][i];
			for (int64_t i = 0; i < tk_len(&d, TK_B, l); i++)
				bad += s.b[l][i] != old.b[l][i] -
				    s.lr * s.db[l][i];
		}
		snprintf(name, sizeof name, "ref-3.1: w -= lr·dw, b -= lr·db "
		    "exactly (7x6x2 L=%d)", L);
		CHECK(name, bad == 0);
		h64_free(&old);
		h64_free(&s);
	}

	/* a different lr is the one used */
	{
		struct sb_hstep_f64 s, old;
		struct sb_dims d;
		int bad = 0;

		dims(&d, 4, 3, 5, 2);
		h64_random(&s, &d, 0, 333);
		s.lr = 0.25;
		h64_copy(&old, &s);
		ref_step_f64(&s, 1, NULL, NULL);
		for (int l = 0; l < 2; l++)
			for (int64_t i = 0; i < tk_len(&d, TK_W, l); i++)
				bad += s.w[l][i] != old.w[l][i] -
				    0.25 * s.dw[l][i];
		CHECK("ref-3.2: lr = 0.25 is the lr applied", bad == 0);
		h64_free(&old);
		h64_free(&s);
	}
}

/* ---- 4: float against double ------------------------------------------ */

static double
rel_l2(const float *a, const double *b, int64_t n)
{
	double num = 0, den = 0;

	for (int64_t i = 0; i < n; i++) {
		double e = (double)a[i] - b[i];

		num += e * e;
		den += b[i] * b[i];
	}
	return den > 0 ? sqrt(num / den) : sqrt(num);
}

static void
f32_vs_f64(int64_t m, int64_t n, int64_t k, int L, uint64_t seed)
{
	static const enum tk outs[] = {
		TK_Y, TK_DY, TK_DW, TK_DB, TK_W, TK_B, TK_DX
	};
	struct sb_hstep_f64 s64;
	struct sb_hstep_f32 s32;
	struct sb_dims d;
	char name[128];

	dims(&d, m, n, k, L);
	h64_random(&s64, &d, 1, seed);
	h32_from(&s32, &s64);
	ref_step_f64(&s64, 1, NULL, NULL);
	ref_step_f32(&s32, 1, NULL, NULL);

	for (size_t i = 0; i < sizeof outs / sizeof outs[0]; i++) {
		enum tk t = outs[i];

		for (int l = 0; l < tk_layers(&d, t); l++) {
			snprintf(name, sizeof name, "ref-4.1: f32 %s[%d] "
			    "within 1e-5 (rel L2) of f64 (%lldx%lldx%lld L=%d)",
			    tk_names[t], l, (long long)m, (long long)n,
			    (long long)k, L);
			CHECK_NEAR(name, rel_l2(*t32p(&s32, t, l),
			    *t64p(&s64, t, l), tk_len(&d, t, l)), 0, 1e-5);
		}
	}
	snprintf(name, sizeof name, "ref-4.2: f32 loss within 1e-5 of f64 "
	    "(%lldx%lldx%lld L=%d)", (long long)m, (long long)n, (long long)k,
	    L);
	CHECK_NEAR(name, fabs(s32.loss - s64.loss) / s64.loss, 0, 1e-5);
	h32_free(&s32);
	h64_free(&s64);
}

static void
test_f32(void)
{
	f32_vs_f64(10, 3, 5, 1, 401);
	f32_vs_f64(64, 48, 80, 2, 402);
}

/* ---- 5: the forward-only step ----------------------------------------- */

static int
all_nan(const double *p, int64_t n)
{
	for (int64_t i = 0; i < n; i++)
		if (!isnan(p[i]))
			return 0;
	return 1;
}

static int
same(const double *a, const double *b, int64_t n)
{
	return memcmp(a, b, (size_t)n * sizeof *a) == 0;
}

/* Runs s forward only and checks that nothing but y was written. */
static void
infer_untouched(const char *name, struct sb_hstep_f64 *s)
{
	static const enum tk grads[] = { TK_DY, TK_DW, TK_DB, TK_DX };
	static const enum tk ins[] = { TK_X, TK_T, TK_W, TK_B };
	const struct sb_dims *d = &s->d;
	struct sb_hstep_f64 old;
	int ok = 1;

	for (size_t i = 0; i < sizeof grads / sizeof grads[0]; i++) {
		enum tk k = grads[i];

		if (k == TK_DX && s->dx == NULL)
			continue;
		for (int l = 0; l < tk_layers(d, k); l++)
			for (int64_t j = 0; j < tk_len(d, k, l); j++)
				(*t64p(s, k, l))[j] = NAN;
	}
	s->loss = -12345.5;
	h64_copy(&old, s);

	ref_step_f64(s, 0, NULL, NULL);

	for (size_t i = 0; i < sizeof grads / sizeof grads[0]; i++) {
		enum tk k = grads[i];

		if (k == TK_DX && s->dx == NULL)
			continue;
		for (int l = 0; l < tk_layers(d, k); l++)
			ok &= all_nan(*t64p(s, k, l), tk_len(d, k, l));
	}
	CHECK(name, ok);	/* dy, dw, db, dx still NaN */
	CHECK(name, s->loss == -12345.5);
	ok = 1;
	for (size_t i = 0; i < sizeof ins / sizeof ins[0]; i++) {
		enum tk k = ins[i];

		for (int l = 0; l < tk_layers(d, k); l++)
			ok &= same(*t64p(s, k, l), *t64p(&old, k, l),
			    tk_len(d, k, l));
	}
	CHECK(name, ok);	/* x, t, w, b unchanged */
	h64_free(&old);
}

static void
test_infer(void)
{
	struct sb_hstep_f64 s, tr;
	struct sb_dims d;
	int bad = 0, ok = 1;

	/* the tutorial step: y is the hand-worked one */
	tut_init(&s, 1);
	infer_untouched("ref-5.1: infer writes only y (tutorial size)", &s);
	for (int i = 0; i < TM; i++)
		for (int j = 0; j < TN; j++)
			bad += s.y[0][i * TN + j] != tut_y(i, j);
	CHECK("ref-5.2: infer y at the tutorial size (exact)", bad == 0);
	h64_free(&s);

	/* a stack: y of every layer is the train step's y */
	dims(&d, 7, 6, 2, 3);
	h64_random(&s, &d, 1, 501);
	h64_copy(&tr, &s);
	ref_step_f64(&tr, 1, NULL, NULL);
	infer_untouched("ref-5.3: infer writes only y (7x6x2 L=3)", &s);
	for (int l = 0; l < 3; l++)
		ok &= same(s.y[l], tr.y[l], tk_len(&d, TK_Y, l));
	CHECK("ref-5.4: infer y[l] = the train step's y[l] (7x6x2 L=3)", ok);
	h64_free(&tr);
	h64_free(&s);

	/* the float variant leaves the gradients alone too */
	{
		struct sb_hstep_f64 s64;
		struct sb_hstep_f32 s32;

		tut_init(&s64, 1);
		h32_from(&s32, &s64);	/* outputs are NaN already */
		s32.loss = -1;
		ref_step_f32(&s32, 0, NULL, NULL);
		ok = s32.loss == -1 && isnan(s32.dw[0][0]) &&
		    isnan(s32.db[0][2]) && isnan(s32.dy[0][29]) &&
		    isnan(s32.dx[49]) && s32.w[0][3] == 2 && s32.b[0][2] == 0.5f;
		CHECK("ref-5.5: f32 infer writes only y", ok);
		CHECK("ref-5.6: f32 infer y", s32.y[0][9 * TN + 0] == 15 &&
		    s32.y[0][9 * TN + 1] == 8 && s32.y[0][9 * TN + 2] == 2.5f);
		h32_free(&s32);
		h64_free(&s64);
	}
}

/* ---- 6: the phase marks ----------------------------------------------- */

#define LOG_MAX	32

struct phase_log {
	int		n;
	enum sb_phase	ph[LOG_MAX];
};

static void
record_phase(void *ctx, enum sb_phase ph)
{
	struct phase_log *log = ctx;

	if (log->n < LOG_MAX)
		log->ph[log->n] = ph;
	log->n++;
}

static void
phase_case(const char *name, int L, int with_dx, int train,
    const enum sb_phase *want, int nwant)
{
	struct sb_hstep_f64 s;
	struct sb_hstep_f32 s32;
	struct sb_dims d;
	struct phase_log log = { 0 }, log32 = { 0 };
	int ok;

	dims(&d, 4, 3, 5, L);
	h64_random(&s, &d, with_dx, 600);
	h32_from(&s32, &s);
	ref_step_f64(&s, train, record_phase, &log);
	ref_step_f32(&s32, train, record_phase, &log32);
	ok = log.n == nwant;
	for (int i = 0; ok && i < nwant; i++)
		ok = log.ph[i] == want[i];
	if (!ok) {
		fprintf(stderr, "%s: got", name);
		for (int i = 0; i < log.n && i < LOG_MAX; i++)
			fprintf(stderr, " %s", sb_phase_name(log.ph[i]));
		fprintf(stderr, "\n");
	}
	CHECK(name, ok);
	ok = log32.n == log.n &&
	    memcmp(log32.ph, log.ph, (size_t)nwant * sizeof log.ph[0]) == 0;
	CHECK(name, ok);	/* f32 marks the same phases */
	h32_free(&s32);
	h64_free(&s);
}

static void
test_phases(void)
{
	static const enum sb_phase train2[] = {
		SB_PH_FORWARD, SB_PH_LOSS,
		SB_PH_WGRAD, SB_PH_DGRAD,		/* layer 1, then dy[0] */
		SB_PH_WGRAD,				/* layer 0, no dx */
		SB_PH_SGD, SB_PH_END,
	};
	static const enum sb_phase train2dx[] = {
		SB_PH_FORWARD, SB_PH_LOSS,
		SB_PH_WGRAD, SB_PH_DGRAD,
		SB_PH_WGRAD, SB_PH_DGRAD,		/* layer 0's dx */
		SB_PH_SGD, SB_PH_END,
	};
	static const enum sb_phase train1[] = {
		SB_PH_FORWARD, SB_PH_LOSS, SB_PH_WGRAD, SB_PH_SGD, SB_PH_END,
	};
	static const enum sb_phase infer[] = { SB_PH_FORWARD, SB_PH_END };
#define N(a)	((int)(sizeof (a) / sizeof (a)[0]))

	phase_case("ref-6.1: train L=2 marks forward, loss, wgrad, dgrad, "
	    "wgrad, sgd, end", 2, 0, 1, train2, N(train2));
	phase_case("ref-6.2: train L=2 with dx adds layer 0's dgrad", 2, 1,
	    1, train2dx, N(train2dx));
	phase_case("ref-6.3: train L=1 marks forward, loss, wgrad, sgd, end",
	    1, 0, 1, train1, N(train1));
	phase_case("ref-6.4: infer L=2 marks forward, end", 2, 1, 0, infer,
	    N(infer));
#undef N

	CHECK("ref-6.5: sb_phase_name(SB_PH_FORWARD) = \"forward\"",
	    strcmp(sb_phase_name(SB_PH_FORWARD), "forward") == 0);
	CHECK("ref-6.5: sb_phase_name(SB_PH_LOSS) = \"loss\"",
	    strcmp(sb_phase_name(SB_PH_LOSS), "loss") == 0);
	CHECK("ref-6.5: sb_phase_name(SB_PH_WGRAD) = \"backward.wgrad\"",
	    strcmp(sb_phase_name(SB_PH_WGRAD), "backward.wgrad") == 0);
	CHECK("ref-6.5: sb_phase_name(SB_PH_DGRAD) = \"backward.dgrad\"",
	    strcmp(sb_phase_name(SB_PH_DGRAD), "backward.dgrad") == 0);
	CHECK("ref-6.5: sb_phase_name(SB_PH_SGD) = \"sgd\"",
	    strcmp(sb_phase_name(SB_PH_SGD), "sgd") == 0);
	CHECK("ref-6.6: sb_phase_name(SB_PH_END) = \"end\"",
	    strcmp(sb_phase_name(SB_PH_END), "end") == 0);
}

/* ---- 7: sb_dims_init -------------------------------------------------- */

static void
test_dims(void)
{
	struct sb_dims d;
	int ok;

	memset(&d, 0xa5, sizeof d);
	sb_dims_init(&d, 10, 3, 5, 1);
	CHECK("ref-7.1: tutorial dims: m = 10, layers = 1, width = {5, 3}",
	    d.m == 10 && d.layers == 1 && d.width[0] == 5 && d.width[1] == 3);

	memset(&d, 0xa5, sizeof d);
	sb_dims_init(&d, 64, 48, 80, 3);
	ok = d.m == 64 && d.layers == 3 && d.width[0] == 80;
	for (int l = 1; l <= 3; l++)
		ok &= d.width[l] == 48;
	CHECK("ref-7.2: width[0] = K, width[1..L] = N (64x48x80 L=3)", ok);
	ok = 1;
	for (int l = 4; l <= SB_MAX_LAYERS; l++)
		ok &= d.width[l] == 0;
	CHECK("ref-7.3: width past L is 0", ok);

	memset(&d, 0xa5, sizeof d);
	sb_dims_init(&d, 2, 7, 9, SB_MAX_LAYERS);
	ok = d.layers == SB_MAX_LAYERS && d.width[0] == 9;
	for (int l = 1; l <= SB_MAX_LAYERS; l++)
		ok &= d.width[l] == 7;
	CHECK("ref-7.4: L = SB_MAX_LAYERS fills every width", ok);
}

int
main(void)
{
	test_dims();
	test_tutorial();
	test_gradients();
	test_sgd();
	test_f32();
	test_infer();
	test_phases();
	return check_summary("test_ref");
}
