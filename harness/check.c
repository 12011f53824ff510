/*
 * harness/check.c — comparison against the fp64 reference (see check.h).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "rng.h"

#define COND_SAMPLES	64

/* A read-only view of a tensor held in float or in double. */
struct view {
	const float	*f;
	const double	*d;
};

/* Per-family accumulators. */
struct acc {
	double	diff2, ref2;		/* Σ (got - ref)^2, Σ ref^2 */
	double	mag2, cref2;		/* for cond: Σ (mag/sqrt R)^2, Σ ref^2 */
	double	red;			/* the longest reduction seen */
	int	used;
};

static double	at(struct view, int64_t);
static struct view vf(const float *);
static struct view vd(const double *);
static void	compare(struct acc *, const float *, struct view, int64_t);
static void	cond_add(struct acc *, double, double, double);
static void	entry_y(struct view, const float *, const float *, int64_t,
		    int64_t, int64_t, double *, double *);
static void	entry_dw(struct view, struct view, int64_t, int64_t, int64_t,
		    int64_t, int64_t, double *, double *);
static void	entry_db(struct view, int64_t, int64_t, int64_t, double *,
		    double *);
static void	entry_dx(struct view, const float *, int64_t, int64_t,
		    int64_t, int64_t, double *, double *);
static void	finish(struct sb_check *, struct acc *, double, int);
static void	sample_families(const struct sb_hstep_f32 *, struct view *,
		    struct view *, const struct sb_hstep_f32 *, int, int, int,
		    struct sb_rng *, struct acc *);
static int	all_finite(const float *, int64_t);

static struct view
vf(const float *p)
{
	return (struct view){ p, NULL };
}

static struct view
vd(const double *p)
{
	return (struct view){ NULL, p };
}

static double
at(struct view v, int64_t i)
{
	return v.d != NULL ? v.d[i] : (double)v.f[i];
}

const char *
sb_check_family_name(enum sb_check_family f)
{
	static const char *const names[SB_CK_COUNT] = {
		"y", "loss", "dw", "db", "dx", "w"
	};

	return (unsigned)f < SB_CK_COUNT ? names[f] : "?";
}

static void
compare(struct acc *a, const float *got, struct view ref, int64_t n)
{
	for (int64_t i = 0; i < n; i++) {
		double r = at(ref, i), d = (double)got[i] - r;

		a->diff2 += d * d;
		a->ref2 += r * r;
	}
	a->used = 1;
}

static void
cond_add(struct acc *a, double ref, double mag, double red)
{
	a->mag2 += mag * mag / red;
	a->cref2 += ref * ref;
	if (red > a->red)
		a->red = red;
}

/* y[i,j] = Σ_k in[i,k] w[j,k] + b[j]; in is (m,k), w is (n,k) */
static void
entry_y(struct view in, const float *w, const float *b, int64_t k,
    int64_t i, int64_t j, double *ref, double *mag)
{
	double s = b[j], a = fabs((double)b[j]);

	for (int64_t p = 0; p < k; p++) {
		double t = at(in, i * k + p) * (double)w[j * k + p];

		s += t;
		a += fabs(t);
	}
	*ref = s;
	*mag = a;
}

/* dw[j,p] = Σ_i dy[i,j] in[i,p]; dy is (m,n), in is (m,k) */
static void
entry_dw(struct view dy, struct view in, int64_t m, int64_t n, int64_t k,
    int64_t j, int64_t p, double *ref, double *mag)
{
	double s = 0, a = 0;

	for (int64_t i = 0; i < m; i++) {
		double t = at(dy, i * n + j) * at(in, i * k + p);

		s += t;
		a += fabs(t);
	}
	*ref = s;
	*mag = a;
}

/* db[j] = Σ_i dy[i,j] */
static void
entry_db(struct view dy, int64_t m, int64_t n, int64_t j, double *ref,
    double *mag)
{
	double s = 0, a = 0;

	for (int64_t i = 0; i < m; i++) {
		double t = at(dy, i * n + j);

		s += t;
		a += fabs(t);
	}
	*ref = s;
	*mag = a;
}

/* dx[i,p] = Σ_j dy[i,j] w[j,p]; dy is (m,n), w is (n,k) */
static void
entry_dx(struct view dy, const float *w, int64_t n, int64_t k, int64_t i,
    int64_t p, double *ref, double *mag)
{
	double s = 0, a = 0;

	for (int64_t j = 0; j < n; j++) {
		double t = at(dy, i * n + j) * (double)w[j * k + p];

		s += t;
		a += fabs(t);
	}
	*ref = s;
	*mag = a;
}

static int
all_finite(const float *p, int64_t n)
{
	for (int64_t i = 0; i < n; i++)
		if (!isfinite(p[i]))
			return 0;
	return 1;
}

/*
 * Samples entries of every tensor family.  ys[l] / dys[l] are the views the
 * stage inputs come from (the reference's tensors in full mode, the
 * variant's own in sampled mode).  With score = 1 the sampled entries also
 * count towards the error (sampled mode); cond is always accumulated.
 */
static void
sample_families(const struct sb_hstep_f32 *init, struct view *ys,
    struct view *dys, const struct sb_hstep_f32 *got, int train, int ns,
    int score, struct sb_rng *rng, struct acc *acc)
{
	const struct sb_dims *d = &init->d;
	int L = d->layers;
	int64_t m = d->m;
	double ref, mag;

#define SCORE(fam, g) do {						\
	if (score) {							\
		double dd = (double)(g) - ref;				\
		acc[fam].diff2 += dd * dd;				\
		acc[fam].ref2 += ref * ref;				\
		acc[fam].used = 1;					\
	}								\
} while (0)
	for (int l = 0; l < L; l++) {
		int64_t n = d->width[l + 1], k = d->width[l];
		struct view in = l == 0 ? vf(init->x) : ys[l - 1];

		for (int s = 0; s < ns; s++) {
			int64_t i = sb_rng_below(rng, m), j = sb_rng_below(rng, n);

			entry_y(in, init->w[l], init->b[l], k, i, j, &ref, &mag);
			cond_add(&acc[SB_CK_Y], ref, mag, (double)k + 1);
			SCORE(SB_CK_Y, got->y[l][i * n + j]);
		}
		if (!train)
			continue;
		for (int s = 0; s < ns; s++) {
			int64_t j = sb_rng_below(rng, n), p = sb_rng_below(rng, k);

			entry_dw(dys[l], in, m, n, k, j, p, &ref, &mag);
			cond_add(&acc[SB_CK_DW], ref, mag, (double)m);
			SCORE(SB_CK_DW, got->dw[l][j * k + p]);
			if (score) {
				/* w' = w - lr·dw from the variant's own dw */
				ref = (double)init->w[l][j * k + p] -
				    (double)init->lr * got->dw[l][j * k + p];
				SCORE(SB_CK_W, got->w[l][j * k + p]);
			}
		}
		for (int s = 0; s < ns && s < n; s++) {
			int64_t j = ns >= n ? (int64_t)s :
			    (int64_t)sb_rng_below(rng, n);

			entry_db(dys[l], m, n, j, &ref, &mag);
			cond_add(&acc[SB_CK_DB], ref, mag, (double)m);
			SCORE(SB_CK_DB, got->db[l][j]);
			if (score) {
				ref = (double)init->b[l][j] -
				    (double)init->lr * got->db[l][j];
				SCORE(SB_CK_W, got->b[l][j]);
			}
		}
		const float *dxg = l == 0 ? got->dx : got->dy[l - 1];
		if (dxg == NULL)
			continue;
		for (int s = 0; s < ns; s++) {
			int64_t i = sb_rng_below(rng, m), p = sb_rng_below(rng, k);

			entry_dx(dys[l], init->w[l], n, k, i, p, &ref, &mag);
			cond_add(&acc[SB_CK_DX], ref, mag, (double)n);
			SCORE(SB_CK_DX, dxg[i * k + p]);
		}
	}
#undef SCORE
}

/* Turns the accumulators into errors, tolerances and a verdict. */
static void
finish(struct sb_check *c, struct acc *acc, double base_tol, int layers)
{
	c->ok = 1;
	c->worst = 0;
	c->why[0] = '\0';
	c->tol_base = base_tol;
	for (int f = 0; f < SB_CK_COUNT; f++) {
		struct acc *a = &acc[f];
		double growth, cond, tol, err;

		c->err[f] = c->cond[f] = c->tol[f] = NAN;
		if (!a->used)
			continue;
		err = a->ref2 > 0 ? sqrt(a->diff2 / a->ref2) : sqrt(a->diff2);
		cond = a->cref2 > 0 && a->mag2 > 0 ?
		    sqrt(a->mag2 / a->cref2) : 1;
		if (!(cond >= 1))
			cond = 1;
		growth = a->red > 4096 ? sqrt(a->red / 4096) : 1;
		tol = base_tol * growth * cond *
		    (f == SB_CK_W ? 1 : (double)layers);
		c->err[f] = err;
		c->cond[f] = cond;
		c->tol[f] = tol;
		if (f == SB_CK_Y && growth > 1)
			c->tol_base = base_tol * growth;
		if (!(err <= tol)) {	/* NaN fails here */
			if (c->ok)
				snprintf(c->why, sizeof(c->why), "%s error %.3g "
				    "exceeds the tolerance %.3g (base %.3g, "
				    "conditioning %.3g)%s",
				    sb_check_family_name(f), err, tol, base_tol,
				    cond, isnan(err) ? ": a value read back is "
				    "NaN or infinite" : "");
			c->ok = 0;
			c->worst = INFINITY;
		} else if (err / tol > c->worst) {
			c->worst = err / tol;
		}
	}
}

void
sb_check_full(const struct sb_hstep_f64 *ref, const struct sb_hstep_f32 *init,
    const struct sb_hstep_f32 *got, int train, double base_tol,
    uint64_t seed, struct sb_check *c)
{
	const struct sb_dims *d = &init->d;
	struct acc acc[SB_CK_COUNT];
	struct view ys[SB_MAX_LAYERS], dys[SB_MAX_LAYERS];
	struct sb_rng rng = { seed ^ 0xc4ecc4ecULL };
	int L = d->layers;
	int64_t m = d->m;

	memset(acc, 0, sizeof(acc));
	memset(c, 0, sizeof(*c));
	c->mode = "full";
	for (int l = 0; l < L; l++) {
		int64_t n = d->width[l + 1], k = d->width[l];

		ys[l] = vd(ref->y[l]);
		dys[l] = vd(ref->dy[l]);
		compare(&acc[SB_CK_Y], got->y[l], vd(ref->y[l]), m * n);
		if (!train)
			continue;
		compare(&acc[SB_CK_DW], got->dw[l], vd(ref->dw[l]), n * k);
		compare(&acc[SB_CK_DB], got->db[l], vd(ref->db[l]), n);
		compare(&acc[SB_CK_DX], got->dy[l], vd(ref->dy[l]), m * n);
		compare(&acc[SB_CK_W], got->w[l], vd(ref->w[l]), n * k);
		compare(&acc[SB_CK_W], got->b[l], vd(ref->b[l]), n);
	}
	if (train && got->dx != NULL && ref->dx != NULL)
		compare(&acc[SB_CK_DX], got->dx, vd(ref->dx),
		    m * d->width[0]);
	if (train) {
		double dl = got->loss - ref->loss;
		double ymag = 0, ydiff = 0;
		int64_t cnt = m * d->width[L];

		acc[SB_CK_LOSS].diff2 = dl * dl;
		acc[SB_CK_LOSS].ref2 = ref->loss * ref->loss;
		acc[SB_CK_LOSS].used = 1;
		/* the loss subtracts t from y: cond = ‖|y|+|t|‖ / ‖y - t‖ */
		for (int64_t i = 0; i < cnt; i++) {
			double y = ref->y[L - 1][i], t = ref->t[i];

			ymag += (fabs(y) + fabs(t)) * (fabs(y) + fabs(t));
			ydiff += (y - t) * (y - t);
		}
		cond_add(&acc[SB_CK_LOSS], sqrt(ydiff), sqrt(ymag), 1);
		acc[SB_CK_LOSS].red = (double)cnt;
	}
	sample_families(init, ys, dys, got, train, COND_SAMPLES, 0, &rng, acc);
	finish(c, acc, base_tol, L);
}

void
sb_check_sampled(const struct sb_hstep_f32 *init,
    const struct sb_hstep_f32 *got, int train, double base_tol,
    uint64_t seed, int nsample, struct sb_check *c)
{
	const struct sb_dims *d = &init->d;
	struct acc acc[SB_CK_COUNT];
	struct view ys[SB_MAX_LAYERS], dys[SB_MAX_LAYERS];
	struct sb_rng rng = { seed ^ 0x5a3b1ed0ULL };
	int L = d->layers, finite = 1;
	int64_t m = d->m;

	memset(acc, 0, sizeof(acc));
	memset(c, 0, sizeof(*c));
	c->mode = "sampled";
	for (int l = 0; l < L; l++) {
		int64_t n = d->width[l + 1], k = d->width[l];

		ys[l] = vf(got->y[l]);
		dys[l] = vf(got->dy[l]);
		finite &= all_finite(got->y[l], m * n);
		if (train)
			finite &= all_finite(got->dy[l], m * n) &&
			    all_finite(got->dw[l], n * k) &&
			    all_finite(got->db[l], n) &&
			    all_finite(got->w[l], n * k) &&
			    all_finite(got->b[l], n);
	}
	if (train && got->dx != NULL)
		finite &= all_finite(got->dx, m * d->width[0]);

	if (train) {
		/* the whole loss, and sampled loss gradients, from the
		 * variant's own output */
		int64_t cnt = m * d->width[L];
		const float *y = got->y[L - 1];
		double sum = 0, ymag = 0, ref, dd;

		for (int64_t i = 0; i < cnt; i++) {
			double t = init->t[i], diff = (double)y[i] - t;

			sum += diff * diff;
			ymag += (fabs((double)y[i]) + fabs(t)) *
			    (fabs((double)y[i]) + fabs(t));
		}
		ref = sum / (double)cnt;
		dd = got->loss - ref;
		acc[SB_CK_LOSS].diff2 = dd * dd;
		acc[SB_CK_LOSS].ref2 = ref * ref;
		acc[SB_CK_LOSS].used = 1;
		cond_add(&acc[SB_CK_LOSS], sqrt(sum), sqrt(ymag), 1);
		acc[SB_CK_LOSS].red = (double)cnt;
		for (int s = 0; s < nsample; s++) {
			int64_t i = sb_rng_below(&rng, cnt);

			ref = 2.0 * ((double)y[i] - init->t[i]) / (double)cnt;
			dd = (double)got->dy[L - 1][i] - ref;
			acc[SB_CK_DX].diff2 += dd * dd;
			acc[SB_CK_DX].ref2 += ref * ref;
			acc[SB_CK_DX].used = 1;
		}
	}
	sample_families(init, ys, dys, got, train, nsample, 1, &rng, acc);
	finish(c, acc, base_tol, L);
	if (!finite) {
		c->ok = 0;
		c->worst = INFINITY;
		snprintf(c->why, sizeof(c->why), "a tensor read back holds NaN "
		    "or infinity");
	}
}
