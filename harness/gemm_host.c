/* harness/gemm_host.c — GEMM operands and their fp64 check (gemm_host.h). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "gemm_host.h"
#include "half.h"
#include "rng.h"

#define GROWTH_K	4096	/* fp32 rounding grows as sqrt(k / this) */

struct sums {
	double	diff2, ref2, mag2;	/* Σ (c - ref)², Σ ref², Σ mag²/k */
	int64_t	n;
};

static void	compare(const struct sb_gemm_shape *, const float *,
		    const float *, double, int64_t, int64_t, struct sums *);
static uint32_t	bits(float);
static double	c_at(const void *, enum sb_dtype, int64_t);
static int	c_poisoned(const void *, enum sb_dtype, int64_t);

void
sb_gemm_shape_init(struct sb_gemm_shape *s, enum sb_layout layout,
    int64_t m, int64_t n, int64_t k, int64_t pad)
{
	memset(s, 0, sizeof(*s));
	s->layout = layout;
	s->m = m;
	s->n = n;
	s->k = k;
	s->pad = pad;
	/* A is (m,k) but (k,m) in TN; B is (n,k) in NT, else (k,n). */
	s->a_rows = layout == SB_TN ? k : m;
	s->a_cols = layout == SB_TN ? m : k;
	s->b_rows = layout == SB_NT ? n : k;
	s->b_cols = layout == SB_NT ? k : n;
	s->c_rows = m;
	s->c_cols = n;
	s->lda = s->a_cols + pad;
	s->ldb = s->b_cols + pad;
	s->ldc = s->c_cols + pad;
}

int64_t
sb_gemm_a_elems(const struct sb_gemm_shape *s)
{
	return s->a_rows * s->lda;
}

int64_t
sb_gemm_b_elems(const struct sb_gemm_shape *s)
{
	return s->b_rows * s->ldb;
}

int64_t
sb_gemm_c_elems(const struct sb_gemm_shape *s)
{
	return s->c_rows * s->ldc;
}

void
sb_gemm_fill(float *x, int64_t rows, int64_t cols, int64_t ld, uint64_t seed)
{
	struct sb_rng r = { seed };

	for (int64_t i = 0; i < rows; i++) {
		for (int64_t j = 0; j < cols; j++)
			x[i * ld + j] = sb_rng_uniform(&r, -1.0f, 1.0f);
		for (int64_t j = cols; j < ld; j++)
			x[i * ld + j] = NAN;
	}
}

void
sb_gemm_poison(float *x, int64_t elems)
{
	memset(x, 0xff, (size_t)elems * sizeof(float));
}

void
sb_gemm_round(enum sb_dtype t, float *x, int64_t elems)
{
	if (t == SB_DT_F32)
		return;
	for (int64_t i = 0; i < elems; i++)
		x[i] = sb_round_to(t, x[i]);
}

static uint32_t
bits(float f)
{
	uint32_t u;

	memcpy(&u, &f, sizeof(u));
	return u;
}

void
sb_gemm_ref_entry(const struct sb_gemm_shape *s, const float *a,
    const float *b, int64_t i, int64_t j, double *ref, double *mag)
{
	/* the strides of A[i,p] and B[p,j] along p, in each layout */
	const int64_t a0 = s->layout == SB_TN ? i : i * s->lda;
	const int64_t ap = s->layout == SB_TN ? s->lda : 1;
	const int64_t b0 = s->layout == SB_NT ? j * s->ldb : j;
	const int64_t bp = s->layout == SB_NT ? 1 : s->ldb;
	double sum = 0, abs_sum = 0;

	for (int64_t p = 0; p < s->k; p++) {
		double t = (double)a[a0 + p * ap] * (double)b[b0 + p * bp];

		sum += t;
		abs_sum += fabs(t);
	}
	*ref = sum;
	*mag = abs_sum;
}

double
sb_gemm_base_tol(const char *precision)
{
	if (precision != NULL && strcmp(precision, "f32") == 0)
		return 1e-5;
	if (precision != NULL && strcmp(precision, "tf32") == 0)
		return 2e-3;
	if (precision != NULL && (strcmp(precision, "f16") == 0 ||
	    strcmp(precision, "bf16") == 0))
		return 1e-4;
	return NAN;
}

int
sb_gemm_tol_for(const char *precision, enum sb_dtype out,
    struct sb_gemm_tol *t)
{
	const int half = precision != NULL && (strcmp(precision, "f16") ==
	    0 || strcmp(precision, "bf16") == 0);

	t->acc = sb_gemm_base_tol(precision);
	t->out_unit = 0;
	if (out == SB_DT_F16 && half)
		t->out_unit = ldexp(1.0, -11);
	else if (out == SB_DT_BF16 && half)
		t->out_unit = ldexp(1.0, -8);
	else if (out != SB_DT_F32)
		t->acc = NAN;
	if (isnan(t->acc)) {
		t->out_unit = NAN;
		return -1;
	}
	return 0;
}

/* Entry e of C, read in its type. */
static double
c_at(const void *c, enum sb_dtype t, int64_t e)
{
	if (t == SB_DT_F16)
		return sb_f16_to_f32(((const uint16_t *)c)[e]);
	if (t == SB_DT_BF16)
		return sb_bf16_to_f32(((const uint16_t *)c)[e]);
	return ((const float *)c)[e];
}

/* Entry e of C still holds the poison of its type. */
static int
c_poisoned(const void *c, enum sb_dtype t, int64_t e)
{
	if (t == SB_DT_F16 || t == SB_DT_BF16)
		return ((const uint16_t *)c)[e] == SB_GEMM_POISON16;
	return bits(((const float *)c)[e]) == SB_GEMM_POISON;
}

static void
compare(const struct sb_gemm_shape *s, const float *a, const float *b,
    double got, int64_t i, int64_t j, struct sums *acc)
{
	double ref, mag, d;

	sb_gemm_ref_entry(s, a, b, i, j, &ref, &mag);
	d = got - ref;
	acc->diff2 += d * d;
	acc->ref2 += ref * ref;
	acc->mag2 += mag * mag / (double)s->k;
	acc->n++;
}

void
sb_gemm_verify(const struct sb_gemm_shape *s, const float *a, const float *b,
    const float *c, double base_tol, double budget_flop, int nsample,
    uint64_t seed, struct sb_gemm_verdict *v)
{
	const struct sb_gemm_tol t = { base_tol, 0 };

	sb_gemm_verify_typed(s, a, b, c, SB_DT_F32, &t, budget_flop, nsample,
	    seed, v);
}

void
sb_gemm_verify_typed(const struct sb_gemm_shape *s, const float *a,
    const float *b, const void *c, enum sb_dtype ctype,
    const struct sb_gemm_tol *tol, double budget_flop, int nsample,
    uint64_t seed, struct sb_gemm_verdict *v)
{
	struct sums acc = { 0, 0, 0, 0 };
	int64_t first_i = -1, first_j = -1;
	double growth, base_tol = tol->acc;

	memset(v, 0, sizeof(*v));
	v->err = v->tol = v->cond = NAN;

	/* Every entry: non-finite values, and padding the kernel wrote. */
	for (int64_t i = 0; i < s->c_rows; i++) {
		for (int64_t j = 0; j < s->c_cols; j++)
			if (!isfinite(c_at(c, ctype, i * s->ldc + j)) &&
			    v->nonfinite++ == 0) {
				first_i = i;
				first_j = j;
			}
		for (int64_t j = s->c_cols; j < s->ldc; j++)
			v->pad_written += !c_poisoned(c, ctype, i * s->ldc +
			    j);
	}

	if (2.0 * (double)s->m * (double)s->n * (double)s->k <= budget_flop) {
		v->mode = "full";
		for (int64_t i = 0; i < s->m; i++)
			for (int64_t j = 0; j < s->n; j++)
				compare(s, a, b, c_at(c, ctype, i * s->ldc +
				    j), i, j, &acc);
	} else {
		struct sb_rng r = { seed };
		const int64_t ci[4] = { 0, 0, s->m - 1, s->m - 1 };
		const int64_t cj[4] = { 0, s->n - 1, 0, s->n - 1 };

		v->mode = "sampled";
		for (int q = 0; q < 4; q++)
			compare(s, a, b, c_at(c, ctype, ci[q] * s->ldc +
			    cj[q]), ci[q], cj[q], &acc);
		for (int q = 0; q < nsample; q++) {
			const int64_t i = (int64_t)sb_rng_below(&r,
			    (uint64_t)s->m);
			const int64_t j = (int64_t)sb_rng_below(&r,
			    (uint64_t)s->n);

			compare(s, a, b, c_at(c, ctype, i * s->ldc + j), i, j,
			    &acc);
		}
	}
	v->compared = acc.n;
	v->err = acc.ref2 > 0 ? sqrt(acc.diff2 / acc.ref2) : sqrt(acc.diff2);
	v->cond = acc.ref2 > 0 && acc.mag2 > 0 ? sqrt(acc.mag2 / acc.ref2) :
	    1;
	if (!(v->cond >= 1))
		v->cond = 1;
	growth = s->k > GROWTH_K ? sqrt((double)s->k / GROWTH_K) : 1;
	v->tol = base_tol * growth * v->cond + tol->out_unit;

	v->ok = 0;
	if (v->nonfinite > 0) {
		v->err = NAN;
		(void)snprintf(v->why, sizeof(v->why), "C has %lld NaN or "
		    "infinite entr%s (the first at [%lld,%lld])",
		    (long long)v->nonfinite, v->nonfinite == 1 ? "y" : "ies",
		    (long long)first_i, (long long)first_j);
	} else if (v->pad_written > 0) {
		(void)snprintf(v->why, sizeof(v->why), "the kernel wrote %lld "
		    "entr%s of C's row padding (ldc %lld > n %lld): it writes "
		    "outside C", (long long)v->pad_written,
		    v->pad_written == 1 ? "y" : "ies", (long long)s->ldc,
		    (long long)s->n);
	} else if (!(v->err <= v->tol)) {
		char rounding[48] = "";

		if (tol->out_unit > 0)
			(void)snprintf(rounding, sizeof(rounding), ", output "
			    "rounding %.3g", tol->out_unit);
		(void)snprintf(v->why, sizeof(v->why), "C's relative error "
		    "%.3g exceeds the tolerance %.3g (base %.3g, k %lld, "
		    "conditioning %.3g%s; %s check of %lld entries)", v->err,
		    v->tol, base_tol, (long long)s->k, v->cond, rounding,
		    v->mode, (long long)v->compared);
	} else
		v->ok = 1;
}

/* --- int8 (NT) --------------------------------------------------------- */

void
sb_gemm_fill_s8(int8_t *x, int64_t rows, int64_t cols, int64_t ld,
    uint64_t seed)
{
	struct sb_rng r = { seed };

	for (int64_t i = 0; i < rows; i++) {
		for (int64_t j = 0; j < cols; j++)
			x[i * ld + j] = (int8_t)((int)sb_rng_below(&r, 256) -
			    128);
		for (int64_t j = cols; j < ld; j++)
			x[i * ld + j] = (int8_t)(1 + sb_rng_below(&r, 127));
	}
}

int32_t
sb_gemm_s8_entry(const struct sb_gemm_shape *s, const int8_t *a,
    const int8_t *b, int64_t i, int64_t j)
{
	int64_t acc = 0;

	for (int64_t p = 0; p < s->k; p++)
		acc += (int64_t)a[i * s->lda + p] * b[j * s->ldb + p];
	return (int32_t)acc;
}

float
sb_gemm_s8_epilogue(int32_t acc, const struct sb_gemm_s8_epi *e, int64_t j)
{
	const float scale = e->a_scale * e->b_scale;

	return fmaf((float)acc, scale, e->bias != NULL ? e->bias[j] : 0.0f);
}

/* One entry: its difference into the sums; 1 if it fails. */
static int
s8_compare(const struct sb_gemm_shape *s, const int8_t *a, const int8_t *b,
    const void *c, enum sb_dtype ctype, const struct sb_gemm_s8_epi *epi,
    int64_t i, int64_t j, struct sums *acc, double *got, double *want)
{
	const int32_t ref = sb_gemm_s8_entry(s, a, b, i, j);
	int bad;

	if (ctype == SB_DT_S32) {
		const int32_t v = ((const int32_t *)c)[i * s->ldc + j];

		*got = v;
		*want = ref;
		bad = v != ref;
	} else {
		const float v = ((const float *)c)[i * s->ldc + j];
		const float r = sb_gemm_s8_epilogue(ref, epi, j);

		*got = v;
		*want = r;
		bad = !(v == r || v == nextafterf(r, INFINITY) ||
		    v == nextafterf(r, -INFINITY));
	}
	acc->diff2 += (*got - *want) * (*got - *want);
	acc->ref2 += *want * *want;
	acc->n++;
	return bad;
}

void
sb_gemm_verify_s8(const struct sb_gemm_shape *s, const int8_t *a,
    const int8_t *b, const void *c, enum sb_dtype ctype,
    const struct sb_gemm_s8_epi *epi, double budget_flop, int nsample,
    uint64_t seed, struct sb_gemm_verdict *v)
{
	struct sums acc = { 0, 0, 0, 0 };
	const uint32_t *cb = c;		/* both types are 32-bit */
	int64_t bad = 0, bad_i = -1, bad_j = -1, first_i = -1, first_j = -1;
	double got = 0, want = 0, bad_got = 0, bad_want = 0;

	memset(v, 0, sizeof(*v));
	v->err = NAN;
	v->tol = ctype == SB_DT_S32 ? 0 : ldexp(1, -23);
	v->cond = 1;
	if ((ctype != SB_DT_S32 && ctype != SB_DT_F32) ||
	    (ctype == SB_DT_F32) != (epi != NULL)) {
		v->mode = "full";
		(void)snprintf(v->why, sizeof(v->why), "int8 check: C in %s "
		    "with%s an epilogue; want s32 without or f32 with",
		    sb_dtype_name(ctype), epi != NULL ? "" : "out");
		return;
	}
	for (int64_t i = 0; i < s->c_rows; i++) {
		for (int64_t j = 0; ctype == SB_DT_F32 && j < s->c_cols; j++)
			if (!isfinite(((const float *)c)[i * s->ldc + j]) &&
			    v->nonfinite++ == 0) {
				first_i = i;
				first_j = j;
			}
		for (int64_t j = s->c_cols; j < s->ldc; j++)
			v->pad_written += cb[i * s->ldc + j] != SB_GEMM_POISON;
	}

#define ONE(i, j) do {							\
	if (s8_compare(s, a, b, c, ctype, epi, (i), (j), &acc, &got,	\
	    &want) && bad++ == 0) {					\
		bad_i = (i);						\
		bad_j = (j);						\
		bad_got = got;						\
		bad_want = want;					\
	}								\
} while (0)
	if (2.0 * (double)s->m * (double)s->n * (double)s->k <= budget_flop) {
		v->mode = "full";
		for (int64_t i = 0; i < s->m; i++)
			for (int64_t j = 0; j < s->n; j++)
				ONE(i, j);
	} else {
		struct sb_rng r = { seed };
		const int64_t ci[4] = { 0, 0, s->m - 1, s->m - 1 };
		const int64_t cj[4] = { 0, s->n - 1, 0, s->n - 1 };

		v->mode = "sampled";
		for (int q = 0; q < 4; q++)
			ONE(ci[q], cj[q]);
		for (int q = 0; q < nsample; q++) {
			const int64_t i = (int64_t)sb_rng_below(&r,
			    (uint64_t)s->m);
			const int64_t j = (int64_t)sb_rng_below(&r,
			    (uint64_t)s->n);

			ONE(i, j);
		}
	}
#undef ONE
	v->compared = acc.n;
	v->err = acc.ref2 > 0 ? sqrt(acc.diff2 / acc.ref2) : sqrt(acc.diff2);
	v->ok = 0;
	if (v->nonfinite > 0) {
		v->err = NAN;
		(void)snprintf(v->why, sizeof(v->why), "C has %lld NaN or "
		    "infinite entr%s (the first at [%lld,%lld])",
		    (long long)v->nonfinite, v->nonfinite == 1 ? "y" : "ies",
		    (long long)first_i, (long long)first_j);
	} else if (v->pad_written > 0) {
		(void)snprintf(v->why, sizeof(v->why), "the kernel wrote %lld "
		    "entr%s of C's row padding (ldc %lld > n %lld): it writes "
		    "outside C", (long long)v->pad_written,
		    v->pad_written == 1 ? "y" : "ies", (long long)s->ldc,
		    (long long)s->n);
	} else if (bad > 0) {
		(void)snprintf(v->why, sizeof(v->why), "%lld of %lld entries "
		    "differ from the exact %s (the first at [%lld,%lld]: %.9g, "
		    "want %.9g%s; %s check)", (long long)bad,
		    (long long)acc.n, ctype == SB_DT_S32 ? "int32 sum" :
		    "epilogue", (long long)bad_i, (long long)bad_j, bad_got,
		    bad_want, ctype == SB_DT_S32 ? "" : " within 1 ulp",
		    v->mode);
	} else {
		v->ok = 1;
	}
}
