/* harness/hstep.c — host step buffers (see hstep.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hstep.h"
#include "rng.h"

#define ALLOC_BODY(S, T)						\
	do {								\
		const struct sb_dims *d_ = dims;			\
		int64_t m_ = d_->m;					\
		memset((S), 0, sizeof(*(S)));				\
		(S)->d = *d_;						\
		if (((S)->x = calloc(m_ * d_->width[0], sizeof(T))) == NULL ||\
		    ((S)->t = calloc(m_ * d_->width[d_->layers],	\
		    sizeof(T))) == NULL)				\
			goto fail;					\
		for (int l_ = 0; l_ < d_->layers; l_++) {		\
			int64_t n_ = d_->width[l_ + 1], k_ = d_->width[l_];\
			if (((S)->w[l_] = calloc(n_ * k_, sizeof(T))) == NULL ||\
			    ((S)->dw[l_] = calloc(n_ * k_, sizeof(T))) == NULL ||\
			    ((S)->b[l_] = calloc(n_, sizeof(T))) == NULL ||\
			    ((S)->db[l_] = calloc(n_, sizeof(T))) == NULL ||\
			    ((S)->y[l_] = calloc(m_ * n_, sizeof(T))) == NULL ||\
			    ((S)->dy[l_] = calloc(m_ * n_, sizeof(T))) == NULL)\
				goto fail;				\
		}							\
		if (input_grad && ((S)->dx = calloc(m_ * d_->width[0],	\
		    sizeof(T))) == NULL)				\
			goto fail;					\
		(S)->lr = (T)0.001;					\
	} while (0)

#define FREE_BODY(S)							\
	do {								\
		free((S)->x);						\
		free((S)->t);						\
		free((S)->dx);						\
		for (int l_ = 0; l_ < SB_MAX_LAYERS; l_++) {		\
			free((S)->w[l_]);				\
			free((S)->dw[l_]);				\
			free((S)->b[l_]);				\
			free((S)->db[l_]);				\
			free((S)->y[l_]);				\
			free((S)->dy[l_]);				\
		}							\
		memset((S), 0, sizeof(*(S)));				\
	} while (0)

int
sb_hstep_f32_alloc(struct sb_hstep_f32 *s, const struct sb_dims *dims,
    int input_grad)
{
	ALLOC_BODY(s, float);
	return 0;
fail:
	sb_hstep_f32_free(s);
	return -1;
}

void
sb_hstep_f32_free(struct sb_hstep_f32 *s)
{
	FREE_BODY(s);
}

int
sb_hstep_f64_alloc(struct sb_hstep_f64 *s, const struct sb_dims *dims,
    int input_grad)
{
	ALLOC_BODY(s, double);
	return 0;
fail:
	sb_hstep_f64_free(s);
	return -1;
}

void
sb_hstep_f64_free(struct sb_hstep_f64 *s)
{
	FREE_BODY(s);
}

void
sb_hstep_fill_inputs(struct sb_hstep_f32 *s, uint64_t seed, int normalize)
{
	const struct sb_dims *d = &s->d;
	int64_t m = d->m, k0 = d->width[0], nl = d->width[d->layers];
	struct sb_rng r;

	/* mix the shape into the seed: each point gets its own, repeatable,
	 * stream; every variant of the point gets the same one */
	r.s = seed ^ ((uint64_t)m * 0x9e3779b97f4a7c15ULL) ^
	    ((uint64_t)k0 << 21) ^ ((uint64_t)nl << 42) ^
	    ((uint64_t)d->layers << 58);
	for (int64_t i = 0; i < m * k0; i++)
		s->x[i] = sb_rng_uniform(&r, -1, 1);
	for (int64_t i = 0; i < m * nl; i++)
		s->t[i] = sb_rng_uniform(&r, -1, 1);
	for (int l = 0; l < d->layers; l++) {
		int64_t n = d->width[l + 1], k = d->width[l];
		float bound = 1.0f / sqrtf((float)k);

		for (int64_t i = 0; i < n * k; i++)
			s->w[l][i] = sb_rng_uniform(&r, -bound, bound);
		for (int64_t i = 0; i < n; i++)
			s->b[l][i] = sb_rng_uniform(&r, -bound, bound);
	}
	if (!normalize)
		return;
	for (int64_t p = 0; p < k0; p++) {
		double sum = 0, ss = 0, mean, sd;

		for (int64_t i = 0; i < m; i++)
			sum += s->x[i * k0 + p];
		mean = sum / (double)m;
		for (int64_t i = 0; i < m; i++) {
			double v = s->x[i * k0 + p] - mean;

			ss += v * v;
		}
		sd = sqrt(ss / (double)m);
		for (int64_t i = 0; i < m; i++)
			s->x[i * k0 + p] = (float)(sd > 0 ?
			    (s->x[i * k0 + p] - mean) / sd : 0);
	}
}

void
sb_hstep_copy_inputs(struct sb_hstep_f32 *dst, const struct sb_hstep_f32 *src)
{
	const struct sb_dims *d = &src->d;
	int64_t m = d->m;

	memcpy(dst->x, src->x, sizeof(float) * m * d->width[0]);
	memcpy(dst->t, src->t, sizeof(float) * m * d->width[d->layers]);
	for (int l = 0; l < d->layers; l++) {
		memcpy(dst->w[l], src->w[l],
		    sizeof(float) * d->width[l + 1] * d->width[l]);
		memcpy(dst->b[l], src->b[l], sizeof(float) * d->width[l + 1]);
	}
	dst->lr = src->lr;
}

void
sb_hstep_widen_inputs(struct sb_hstep_f64 *dst, const struct sb_hstep_f32 *src)
{
	const struct sb_dims *d = &src->d;
	int64_t m = d->m;

	for (int64_t i = 0; i < m * d->width[0]; i++)
		dst->x[i] = src->x[i];
	for (int64_t i = 0; i < m * d->width[d->layers]; i++)
		dst->t[i] = src->t[i];
	for (int l = 0; l < d->layers; l++) {
		for (int64_t i = 0; i < d->width[l + 1] * d->width[l]; i++)
			dst->w[l][i] = src->w[l][i];
		for (int64_t i = 0; i < d->width[l + 1]; i++)
			dst->b[l][i] = src->b[l][i];
	}
	dst->lr = src->lr;
}

static void	fill_nan(float *, int64_t);

static void
fill_nan(float *p, int64_t n)
{
	if (p == NULL)
		return;
	for (int64_t i = 0; i < n; i++)
		p[i] = NAN;
}

void
sb_hstep_poison(struct sb_hstep_f32 *s)
{
	const struct sb_dims *d = &s->d;
	int64_t m = d->m;

	for (int l = 0; l < d->layers; l++) {
		int64_t n = d->width[l + 1], k = d->width[l];

		fill_nan(s->y[l], m * n);
		fill_nan(s->dy[l], m * n);
		fill_nan(s->dw[l], n * k);
		fill_nan(s->db[l], n);
	}
	fill_nan(s->dx, m * d->width[0]);
	s->loss = NAN;
}

double
sb_step_elements(const struct sb_dims *d, int input_grad)
{
	double m = (double)d->m, e;

	e = m * (double)d->width[0] * (input_grad ? 2 : 1) +
	    m * (double)d->width[d->layers];
	for (int l = 0; l < d->layers; l++) {
		double n = (double)d->width[l + 1], k = (double)d->width[l];

		e += 2 * n * k + 2 * n + 2 * m * n;
	}
	return e;
}
