/*
 * kernels/quant.c — int8 quantisation on the host (quant.h): the scales,
 * the conversions, the exact int8 GEMM and the dynamic-int8 Linear forward
 * in the symmetric scheme (the GPU's) and PyTorch's affine one.
 *
 * Design notes:
 *  1. Bit-exactness with the GPU (quant_kernels.cuh) needs every float
 *     operation quant.h names to happen once, in fp32, in that order.
 *     The build is C11 (ISO mode: gcc does not contract across
 *     statements) on x86-64 SSE (FLT_EVAL_METHOD 0: no excess precision);
 *     the pragma below keeps a*b + c two roundings even where someone
 *     builds with -ffp-contract=fast and FMA, and the #errors refuse
 *     -ffast-math and x87 excess precision.  tests/test_quant.c (quant-9)
 *     fails if the epilogue's product and sum are ever contracted.
 *  2. NaN: a NaN amax gives a NaN scale (fmaxf alone would hide it behind
 *     SB_Q_EPS); a NaN product x·inv quantises to 0 and is not counted as
 *     saturated — what cvt.rni.s32 gives on the GPU (int8.h, quant.h).
 *  3. sb_qaffine_choose follows PyTorch's quant_utils::
 *     ChooseQuantizationParams (aten/src/ATen/native/quantized/cpu/
 *     QuantUtils.h, read, not copied), which states it is identical to
 *     fbgemm's and is what the dynamic quantized Linear calls with qmin 0,
 *     qmax 255 and reduce_range: qmax/2 = 127; preserve_sparsity and
 *     force_scale_power_of_two off.  Steps: widen [min, max] to include
 *     0; scale = (max - min)/(qmax - qmin) in double; 0.1 when
 *     float(scale) is 0 or 1/float(scale) is infinite; below 6.1e-5 (the
 *     smallest normal fp16) the scale is raised to it and min/max are
 *     rescaled with it; the zero point from whichever of (min, qmin) and
 *     (max, qmax) has the smaller error term, clamped to [qmin, qmax] or
 *     else rounded half to even (nearbyint); the scale kept as float.
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "half.h"
#include "quant.h"

#if defined(__FAST_MATH__) || defined(__ASSOCIATIVE_MATH__)
#error "quant.c must not be built with -ffast-math or -fassociative-math: its roundings are specified to the bit (quant.h)"
#endif
#if FLT_EVAL_METHOD != 0
#error "quant.c needs FLT_EVAL_METHOD 0 (SSE float, no excess precision)"
#endif
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#define SMALL_SCALE	6.1e-5f		/* fp16's smallest normal, rounded */

const struct sb_qsym sb_qsym_weight = { "weight", 127.5f, -128, 127 };
const struct sb_qsym sb_qsym_act = { "act", 127.0f, -127, 127 };

float
sb_q_absmax_host(const float *x, int64_t n)
{
	float amax = 0.0f;

	for (int64_t i = 0; i < n; i++) {
		float a = fabsf(x[i]);

		if (isnan(a))
			return a;
		if (a > amax)
			amax = a;
	}
	return amax;
}

float
sb_qsym_scale(const struct sb_qsym *qs, float amax)
{
	float s = amax / qs->div;

	return isnan(s) ? s : fmaxf(s, SB_Q_EPS);
}

int8_t
sb_qsym_one(const struct sb_qsym *qs, float x, float inv, int64_t *sat)
{
	float p = x * inv, r;

	if (isnan(p))
		return 0;
	r = nearbyintf(p);
	if (r < (float)qs->qmin) {
		if (sat != NULL)
			(*sat)++;
		return (int8_t)qs->qmin;
	}
	if (r > (float)qs->qmax) {
		if (sat != NULL)
			(*sat)++;
		return (int8_t)qs->qmax;
	}
	return (int8_t)r;
}

int64_t
sb_qsym_quantise(const struct sb_qsym *qs, const float *x, int64_t rows,
    int64_t cols, int64_t ldx, int per_row, float *scale, int8_t *q,
    int64_t ldq)
{
	/* x is (rows, cols) with ldx; q is (rows, ldq), ldq >= cols */
	int64_t sat = 0;
	float s = 0.0f, inv = 0.0f;

	if (!per_row) {
		float amax = 0.0f;

		for (int64_t i = 0; i < rows; i++) {
			float a = sb_q_absmax_host(x + i * ldx, cols);

			if (isnan(a) || a > amax)
				amax = a;
			if (isnan(a))
				break;
		}
		s = scale[0] = sb_qsym_scale(qs, amax);
		inv = 1.0f / s;
	}
	for (int64_t i = 0; i < rows; i++) {
		const float *xr = x + i * ldx;
		int8_t *qr = q + i * ldq;

		if (per_row) {
			s = scale[i] = sb_qsym_scale(qs,
			    sb_q_absmax_host(xr, cols));
			inv = 1.0f / s;
		}
		for (int64_t p = 0; p < cols; p++)
			qr[p] = sb_qsym_one(qs, xr[p], inv, &sat);
		for (int64_t p = cols; p < ldq; p++)
			qr[p] = 0;
	}
	return sat;
}

void
sb_qsym_dequantise(const int8_t *q, int64_t rows, int64_t cols, int64_t ldq,
    int per_row, const float *scale, float *x, int64_t ldx)
{
	for (int64_t i = 0; i < rows; i++) {
		float s = scale[per_row ? i : 0];

		for (int64_t p = 0; p < cols; p++)
			x[i * ldx + p] = (float)q[i * ldq + p] * s;
	}
}

void
sb_qaffine_choose(float min, float max, int reduce_range,
    struct sb_qaffine *a)
{
	const int qmin = 0, qmax = reduce_range ? 127 : 255;
	double scale, zp_min, zp_max, err_min, err_max, zp;

	min = fminf(min, 0.0f);
	max = fmaxf(max, 0.0f);
	scale = ((double)max - (double)min) / (double)(qmax - qmin);
	if ((float)scale == 0.0f || isinf(1.0f / (float)scale))
		scale = 0.1;
	if (scale < SMALL_SCALE) {
		float org = (float)scale;

		scale = SMALL_SCALE;
		if (min == 0.0f)
			max = SMALL_SCALE * (float)(qmax - qmin);
		else if (max == 0.0f)
			min = -SMALL_SCALE * (float)(qmax - qmin);
		else {
			float amp = SMALL_SCALE / org;

			min *= amp;
			max *= amp;
		}
	}
	zp_min = (double)qmin - (double)min / scale;
	zp_max = (double)qmax - (double)max / scale;
	err_min = fabs((double)qmin) - fabs((double)min / scale);
	err_max = fabs((double)qmax) - fabs((double)max / scale);
	zp = err_min < err_max ? zp_min : zp_max;
	if (zp < qmin)
		a->zero_point = qmin;
	else if (zp > qmax)
		a->zero_point = qmax;
	else
		a->zero_point = (int32_t)nearbyint(zp);
	a->scale = (float)scale;
	a->qmin = qmin;
	a->qmax = qmax;
}

int64_t
sb_qaffine_quantise(const struct sb_qaffine *a, const float *x, int64_t rows,
    int64_t cols, int64_t ldx, uint8_t *q, int64_t ldq)
{
	/* x is (rows, cols) with ldx; q is (rows, ldq); padding = zero point
	 * (the quantised 0) */
	const float inv = 1.0f / a->scale;
	int64_t sat = 0;

	for (int64_t i = 0; i < rows; i++) {
		for (int64_t p = 0; p < cols; p++) {
			float v = x[i * ldx + p] * inv;
			float r;

			if (isnan(v)) {
				q[i * ldq + p] = (uint8_t)a->zero_point;
				continue;
			}
			r = (float)a->zero_point + nearbyintf(v);
			if (r < (float)a->qmin) {
				r = (float)a->qmin;
				sat++;
			} else if (r > (float)a->qmax) {
				r = (float)a->qmax;
				sat++;
			}
			q[i * ldq + p] = (uint8_t)r;
		}
		for (int64_t p = cols; p < ldq; p++)
			q[i * ldq + p] = (uint8_t)a->zero_point;
	}
	return sat;
}

/*
 * Exact dot products in int32 blocks (vectorisable: the compiler widens
 * the bytes and multiply-adds), summed in int64.  s8·s8 products are at
 * most 2^14 and u8·s8 ones 255·128, so DOT_BLOCK of them stay below 2^30.
 */
#define DOT_BLOCK	32768

static int64_t
dot_s8(const int8_t *a, const int8_t *b, int64_t k)
{
	int64_t sum = 0;

	for (int64_t p0 = 0; p0 < k; p0 += DOT_BLOCK) {
		int64_t end = k - p0 < DOT_BLOCK ? k : p0 + DOT_BLOCK;
		int32_t s = 0;

		for (int64_t p = p0; p < end; p++)
			s += (int32_t)a[p] * (int32_t)b[p];
		sum += s;
	}
	return sum;
}

static int64_t
dot_u8(const uint8_t *a, const int8_t *b, int64_t k)
{
	int64_t sum = 0;

	for (int64_t p0 = 0; p0 < k; p0 += DOT_BLOCK) {
		int64_t end = k - p0 < DOT_BLOCK ? k : p0 + DOT_BLOCK;
		int32_t s = 0;

		for (int64_t p = p0; p < end; p++)
			s += (int32_t)a[p] * (int32_t)b[p];
		sum += s;
	}
	return sum;
}

void
sb_igemm_host(int64_t m, int64_t n, int64_t k, const void *a, int a_u8,
    int32_t a_zero, int64_t lda, const int8_t *b, int64_t ldb, int32_t *c,
    int64_t ldc)
{
	/* a is (m,k) int8 or uint8, b is (n,k) int8, c is (m,n) int32;
	 * Σ (a - zero)·b = Σ a·b - zero·Σ b */
	const int8_t *as = a;
	const uint8_t *au = a;

	for (int64_t j = 0; j < n; j++) {
		const int8_t *br = b + j * ldb;
		int64_t zb = 0;

		if (a_zero != 0) {
			for (int64_t p = 0; p < k; p++)
				zb += br[p];
			zb *= a_zero;
		}
		for (int64_t i = 0; i < m; i++)
			c[i * ldc + j] = (int32_t)((a_u8 ?
			    dot_u8(au + i * lda, br, k) :
			    dot_s8(as + i * lda, br, k)) - zb);
	}
}

/*
 * The epilogue: y[i,j] = out((float)acc·(xs·ws[j]) + b[j]), the product of
 * the scales rounded to fp32 first, then a product and a sum, each rounded
 * (the GPU's fmaf rounds once: within an ulp, see check_int8.h).
 */
static void
epilogue(const int32_t *acc, int64_t m, int64_t n, float xs, const float *ws,
    int per_channel, const float *b, enum sb_dtype out, float *y)
{
	/* acc and y are (m,n); ws is n floats or 1; b is (n) or NULL */
	for (int64_t j = 0; j < n; j++) {
		float s = xs * ws[per_channel ? j : 0];
		float bj = b != NULL ? b[j] : 0.0f;

		for (int64_t i = 0; i < m; i++) {
			float p = (float)acc[i * n + j] * s;
			float v = p + bj;

			y[i * n + j] = out == SB_DT_F16 ?
			    sb_round_to(SB_DT_F16, v) : v;
		}
	}
}

/* The weights, symmetric int8 per tensor or per channel. */
static int64_t
quant_weights(const float *w, int64_t n, int64_t k, int per_channel,
    float *ws, int8_t *qw)
{
	return sb_qsym_quantise(&sb_qsym_weight, w, n, k, k, per_channel, ws,
	    qw, k);
}

int
sb_linear_int8_sym(const float *in, const float *w, const float *b, float *y,
    int64_t m, int64_t n, int64_t k, const struct sb_int8_opts *o,
    enum sb_dtype out, struct sb_int8_obs *obs)
{
	/* in is (m,k), w is (n,k), b is (n) or NULL, y is (m,n) */
	int8_t *qx = NULL, *qw = NULL;
	int32_t *acc = NULL;
	float *ws = NULL, xs;
	int64_t sat_a, sat_w;
	int rc = -1;

	if (out != SB_DT_F32 && out != SB_DT_F16) {
		errno = EINVAL;
		return -1;
	}
	if ((qx = malloc((size_t)(m * k))) == NULL ||
	    (qw = malloc((size_t)(n * k))) == NULL ||
	    (ws = malloc((size_t)n * sizeof(float))) == NULL ||
	    (acc = malloc((size_t)(m * n) * sizeof(int32_t))) == NULL) {
		errno = ENOMEM;
		goto out;
	}
	sat_a = sb_qsym_quantise(&sb_qsym_act, in, m, k, k, 0, &xs, qx, k);
	sat_w = quant_weights(w, n, k, o->per_channel, ws, qw);
	sb_igemm_host(m, n, k, qx, 0, 0, k, qw, k, acc, n);
	epilogue(acc, m, n, xs, ws, o->per_channel, b, out, y);
	if (obs != NULL) {
		obs->sat_act += sat_a;
		obs->sat_weight += sat_w;
	}
	rc = 0;
out:
	free(qx);
	free(qw);
	free(ws);
	free(acc);
	return rc;
}

int
sb_linear_int8_affine(const float *in, const float *w, const float *b,
    float *y, int64_t m, int64_t n, int64_t k, const struct sb_int8_opts *o,
    struct sb_int8_obs *obs)
{
	/* in is (m,k), w is (n,k), b is (n) or NULL, y is (m,n) */
	struct sb_qaffine qa;
	uint8_t *qx = NULL;
	int8_t *qw = NULL;
	int32_t *acc = NULL;
	float *ws = NULL, mn = 0.0f, mx = 0.0f;
	int64_t sat_a, sat_w;
	int rc = -1;

	if ((qx = malloc((size_t)(m * k))) == NULL ||
	    (qw = malloc((size_t)(n * k))) == NULL ||
	    (ws = malloc((size_t)n * sizeof(float))) == NULL ||
	    (acc = malloc((size_t)(m * n) * sizeof(int32_t))) == NULL) {
		errno = ENOMEM;
		goto out;
	}
	for (int64_t i = 0; i < m * k; i++) {
		mn = fminf(mn, in[i]);
		mx = fmaxf(mx, in[i]);
	}
	sb_qaffine_choose(mn, mx, o->reduce_range, &qa);
	sat_a = sb_qaffine_quantise(&qa, in, m, k, k, qx, k);
	sat_w = quant_weights(w, n, k, o->per_channel, ws, qw);
	sb_igemm_host(m, n, k, qx, 1, qa.zero_point, k, qw, k, acc, n);
	epilogue(acc, m, n, qa.scale, ws, o->per_channel, b, SB_DT_F32, y);
	if (obs != NULL) {
		obs->sat_act += sat_a;
		obs->sat_weight += sat_w;
	}
	rc = 0;
out:
	free(qx);
	free(qw);
	free(ws);
	free(acc);
	return rc;
}
