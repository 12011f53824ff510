/*
 * tests/test_quant.c — host int8 quantisation (kernels/quant.c, quant.h):
 *
 *   quant-1  round trips: |dequant(quant(x)) - x| <= scale/2 for every
 *            unsaturated element, both schemes, per tensor and per row
 *   quant-2  scales: all-zero input (SB_Q_EPS, every q 0, nothing
 *            saturated), one huge outlier, negative-only input (the weight
 *            scheme reaches -128 without clamping), NaN (NaN scale, q 0,
 *            not counted), n = 0, -inf
 *   quant-3  per channel vs per tensor on rows of very different
 *            magnitude: per channel is never worse, far better on the
 *            small rows
 *   quant-4  saturation counts on exactly representable data (scale 1):
 *            the weight scheme clamps +127.5 (nearbyint 128) but not
 *            -127.5 (-128); the activation scheme clamps nothing
 *   quant-5  the K padding: columns cols..ldq-1 zero (affine: the zero
 *            point); x's own padding is never read
 *   quant-6  sb_igemm_host against an independent int64 loop: random
 *            int8, extremes (-128·-128 over k = 131071, the largest exact
 *            sum), uint8 with zero points 0, 128, 255, leading dimensions,
 *            u8 sums whose Σ a·b leaves int32 while the result fits
 *   quant-7  sb_qaffine_choose on cases worked by hand (below)
 *   quant-8  symmetric vs affine on skewed (all-positive) and symmetric
 *            data, weights exact on the int8 grid: the measured errors
 *            against fp64 order as the bit budgets say (affine 8-bit
 *            beats sym on skewed data; 7-bit affine matches sym there and
 *            loses on symmetric data)
 *   quant-9  the Linear forward's epilogue: two fp32 roundings (a
 *            contracted fma is caught on a case where they differ), fp16
 *            output, and both forwards equal to their composition from
 *            the public pieces bit for bit
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testkit.h"
#include "half.h"
#include "quant.h"

static uint64_t rng = 0x1234567887654321ULL;

static uint64_t
next(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static float
urand(float lo, float hi)
{
	return lo + (hi - lo) * (float)(next() >> 40) * (1.0f / 16777216.0f);
}

static void
fill(float *x, int64_t n, float lo, float hi)
{
	for (int64_t i = 0; i < n; i++)
		x[i] = urand(lo, hi);
}

/* ---- quant-1 ------------------------------------------------------------ */

static void
round_trip(const struct sb_qsym *qs, int per_row)
{
	enum { R = 7, C = 33 };
	float x[R * C], back[R * C], scale[R];
	int8_t q[R * C];
	int bad = 0, checked = 0;

	fill(x, R * C, -3.0f, 2.0f);
	sb_qsym_quantise(qs, x, R, C, C, per_row, scale, q, C);
	sb_qsym_dequantise(q, R, C, C, per_row, scale, back, C);
	for (int i = 0; i < R; i++) {
		float s = scale[per_row ? i : 0], inv = 1.0f / s;

		for (int p = 0; p < C; p++) {
			float r = nearbyintf(x[i * C + p] * inv);

			if (r < qs->qmin || r > qs->qmax)
				continue;	/* saturated */
			checked++;
			if (!(fabsf(back[i * C + p] - x[i * C + p]) <=
			    s * 0.5f * (1 + 1e-5f)))
				bad++;
		}
	}
	CHECK("quant-1: round trip within scale/2", bad == 0);
	CHECK("quant-1: most elements unsaturated", checked >= R * C - R);
}

/* ---- quant-2 ------------------------------------------------------------ */

static void
scales(void)
{
	float x[40], s;
	int8_t q[40];
	int64_t sat;
	int allz = 1;

	memset(x, 0, sizeof(x));
	memset(q, 0x55, sizeof(q));
	sat = sb_qsym_quantise(&sb_qsym_act, x, 4, 10, 10, 0, &s, q, 10);
	for (int i = 0; i < 40; i++)
		allz &= q[i] == 0;
	CHECK("quant-2.1: all-zero scale is SB_Q_EPS", s == SB_Q_EPS);
	CHECK("quant-2.1: all-zero q are 0", allz);
	CHECK("quant-2.1: all-zero saturates nothing", sat == 0);

	/* one huge outlier: it takes qmax, the rest collapse towards 0 */
	fill(x, 40, -1.0f, 1.0f);
	x[17] = 1e6f;
	sat = sb_qsym_quantise(&sb_qsym_act, x, 4, 10, 10, 0, &s, q, 10);
	CHECK("quant-2.2: outlier scale amax/127", s == 1e6f / 127.0f);
	CHECK("quant-2.2: outlier at 127", q[17] == 127);
	allz = 1;
	for (int i = 0; i < 40; i++)
		if (i != 17)
			allz &= q[i] == 0;
	CHECK("quant-2.2: small values quantise to 0 beside it", allz);
	CHECK("quant-2.2: act scheme: outlier not saturated", sat == 0);

	/* negative only: amax is |min|; weights reach -128 unclamped */
	fill(x, 40, -3.0f, -0.5f);
	x[5] = -3.0f;
	sat = sb_qsym_quantise(&sb_qsym_act, x, 1, 40, 40, 0, &s, q, 40);
	CHECK("quant-2.3: negative-only act scale", s == 3.0f / 127.0f);
	CHECK("quant-2.3: act -amax -> -127", q[5] == -127 && sat == 0);
	x[5] = -127.5f;		/* weight scale exactly 1 */
	sat = sb_qsym_quantise(&sb_qsym_weight, x, 1, 40, 40, 0, &s, q, 40);
	CHECK("quant-2.3: negative-only weight scale", s == 1.0f);
	CHECK("quant-2.3: weight -amax -> -128 unclamped",
	    q[5] == -128 && sat == 0);

	/* NaN: the scale is NaN, every q 0, nothing counted */
	fill(x, 40, -1.0f, 1.0f);
	x[30] = NAN;
	memset(q, 0x55, sizeof(q));
	sat = sb_qsym_quantise(&sb_qsym_act, x, 4, 10, 10, 0, &s, q, 10);
	allz = 1;
	for (int i = 0; i < 40; i++)
		allz &= q[i] == 0;
	CHECK("quant-2.4: NaN absmax", isnan(sb_q_absmax_host(x, 40)));
	CHECK("quant-2.4: NaN scale", isnan(s));
	CHECK("quant-2.4: NaN q all 0, none saturated", allz && sat == 0);
	CHECK("quant-2.4: sb_qsym_scale(NaN) is NaN",
	    isnan(sb_qsym_scale(&sb_qsym_weight, NAN)));
	CHECK("quant-2.4: sb_qsym_one(NaN) is 0",
	    sb_qsym_one(&sb_qsym_act, NAN, 1.0f, NULL) == 0);

	CHECK("quant-2.5: absmax of nothing is 0",
	    sb_q_absmax_host(x, 0) == 0.0f);
	x[0] = -INFINITY;
	CHECK("quant-2.5: absmax of -inf is inf",
	    sb_q_absmax_host(x, 1) == INFINITY);
	CHECK("quant-2.5: tiny amax scale is SB_Q_EPS",
	    sb_qsym_scale(&sb_qsym_act, 1e-20f) == SB_Q_EPS);
	CHECK("quant-2.5: scale is one fp32 division",
	    sb_qsym_scale(&sb_qsym_weight, 3.0f) == 3.0f / 127.5f);
}

/* ---- quant-3 ------------------------------------------------------------ */

static void
per_channel(void)
{
	enum { R = 3, C = 64 };
	static const float mag[R] = { 1e-3f, 1.0f, 1e3f };
	float x[R * C], bt[R * C], bc[R * C], st, sc[R];
	int8_t q[R * C];
	double et[R] = { 0 }, ec[R] = { 0 };
	int ok = 1;

	for (int i = 0; i < R; i++)
		fill(x + i * C, C, -mag[i], mag[i]);
	sb_qsym_quantise(&sb_qsym_weight, x, R, C, C, 0, &st, q, C);
	sb_qsym_dequantise(q, R, C, C, 0, &st, bt, C);
	sb_qsym_quantise(&sb_qsym_weight, x, R, C, C, 1, sc, q, C);
	sb_qsym_dequantise(q, R, C, C, 1, sc, bc, C);
	for (int i = 0; i < R; i++) {
		double n2 = 0;

		for (int p = 0; p < C; p++) {
			double v = x[i * C + p];

			et[i] += (bt[i * C + p] - v) * (bt[i * C + p] - v);
			ec[i] += (bc[i * C + p] - v) * (bc[i * C + p] - v);
			n2 += v * v;
		}
		et[i] = sqrt(et[i] / n2);
		ec[i] = sqrt(ec[i] / n2);
		ok &= ec[i] <= et[i];
		printf("quant-3: row magnitude %g: per-tensor error %.3g, "
		    "per-channel %.3g\n", (double)mag[i], et[i], ec[i]);
	}
	CHECK("quant-3: per channel never worse than per tensor", ok);
	CHECK("quant-3: small row lost per tensor", et[0] > 0.5);
	CHECK("quant-3: small row kept per channel", ec[0] < 0.02);
	CHECK("quant-3: per-row scales", sc[0] == sb_qsym_scale(&sb_qsym_weight,
	    sb_q_absmax_host(x, C)) && sc[2] == sb_qsym_scale(&sb_qsym_weight,
	    sb_q_absmax_host(x + 2 * C, C)));
}

/* ---- quant-4 ------------------------------------------------------------ */

static void
saturation(void)
{
	/* amax 127.5: weight scale 127.5/127.5 = 1 and inv 1 exactly */
	static const float w[6] = { 127.5f, 127.5f, -127.5f, 0.5f, 1.5f,
	    127.4f };
	static const int8_t want[6] = { 127, 127, -128, 0, 2, 127 };
	float x[12], s[2];
	int8_t q[12];
	int64_t sat;

	sat = sb_qsym_quantise(&sb_qsym_weight, w, 1, 6, 6, 0, s, q, 6);
	CHECK("quant-4.1: weight scale 1", s[0] == 1.0f);
	CHECK("quant-4.1: +127.5 clamps twice, -127.5 does not", sat == 2);
	CHECK("quant-4.1: values", memcmp(q, want, 6) == 0);
	/* per row: the same row twice, and one whose max is not a tie */
	memcpy(x, w, sizeof(w));
	memcpy(x + 6, w, sizeof(w));
	x[6] = x[7] = 100.0f;
	sat = sb_qsym_quantise(&sb_qsym_weight, x, 2, 6, 6, 1, s, q, 6);
	CHECK("quant-4.2: per-row count (row 0 two, row 1 none)", sat == 2);
	/* the activation scheme never clamps finite data: |x·inv| <= 127 */
	fill(x, 12, -5.0f, 5.0f);
	x[3] = 127.0f;
	x[4] = -127.0f;
	sat = sb_qsym_quantise(&sb_qsym_act, x, 1, 12, 12, 0, s, q, 12);
	CHECK("quant-4.3: act scale 1, nothing clamped",
	    s[0] == 1.0f && sat == 0 && q[3] == 127 && q[4] == -127);
	sat = 0;
	CHECK("quant-4.4: sb_qsym_one clamps and counts",
	    sb_qsym_one(&sb_qsym_act, -300.0f, 1.0f, &sat) == -127 &&
	    sb_qsym_one(&sb_qsym_weight, -300.0f, 1.0f, &sat) == -128 &&
	    sb_qsym_one(&sb_qsym_weight, 300.0f, 1.0f, &sat) == 127 &&
	    sat == 3);
}

/* ---- quant-5 ------------------------------------------------------------ */

static void
padding(void)
{
	enum { R = 3, C = 5, LDX = 7, LDQ = 16 };
	float x[R * LDX], s;
	int8_t q[R * LDQ];
	uint8_t u[R * LDQ];
	struct sb_qaffine a;
	int ok = 1, oku = 1;

	fill(x, R * LDX, -1.0f, 1.0f);
	for (int i = 0; i < R; i++)
		for (int p = C; p < LDX; p++)
			x[i * LDX + p] = 1e9f;	/* must not reach amax */
	memset(q, 0x55, sizeof(q));
	sb_qsym_quantise(&sb_qsym_act, x, R, C, LDX, 0, &s, q, LDQ);
	for (int i = 0; i < R; i++)
		for (int p = C; p < LDQ; p++)
			ok &= q[i * LDQ + p] == 0;
	CHECK("quant-5: K padding zeroed", ok);
	CHECK("quant-5: x's padding not read", s < 1.0f / 127.0f * 1.01f);
	sb_qaffine_choose(-1.0f, 1.0f, 0, &a);
	memset(u, 0x55, sizeof(u));
	sb_qaffine_quantise(&a, x, R, C, LDX, u, LDQ);
	for (int i = 0; i < R; i++)
		for (int p = C; p < LDQ; p++)
			oku &= u[i * LDQ + p] == (uint8_t)a.zero_point;
	CHECK("quant-5: affine padding is the zero point", oku);
}

/* ---- quant-6 ------------------------------------------------------------ */

static int
igemm_case(int64_t m, int64_t n, int64_t k, int a_u8, int32_t zp,
    int extreme)
{
	int64_t lda = k + 3, ldb = k + 1, ldc = n + 2;
	uint8_t *a = malloc((size_t)(m * lda));
	int8_t *b = malloc((size_t)(n * ldb));
	int32_t *c = malloc((size_t)(m * ldc) * sizeof(int32_t));
	int ok = 1;

	for (int64_t i = 0; i < m * lda; i++)
		a[i] = extreme ? (a_u8 ? 255 : 0x80) : (uint8_t)next();
	for (int64_t i = 0; i < n * ldb; i++)
		b[i] = extreme ? -128 : (int8_t)next();
	for (int64_t i = 0; i < m * ldc; i++)
		c[i] = 0x5a5a5a5a;
	sb_igemm_host(m, n, k, a, a_u8, zp, lda, b, ldb, c, ldc);
	for (int64_t i = 0; i < m; i++)
		for (int64_t j = 0; j < n; j++) {
			int64_t want = 0;

			for (int64_t p = 0; p < k; p++) {
				int64_t av = a_u8 ? (int64_t)a[i * lda + p] :
				    (int64_t)(int8_t)a[i * lda + p];

				want += (av - zp) * (int64_t)b[j * ldb + p];
			}
			ok &= c[i * ldc + j] == want;
		}
	for (int64_t i = 0; i < m; i++)
		for (int64_t j = n; j < ldc; j++)
			ok &= c[i * ldc + j] == 0x5a5a5a5a;
	free(a);
	free(b);
	free(c);
	return ok;
}

static void
igemm(void)
{
	CHECK("quant-6.1: random s8 7x9x37", igemm_case(7, 9, 37, 0, 0, 0));
	CHECK("quant-6.2: random u8, zero point 0",
	    igemm_case(5, 3, 65, 1, 0, 0));
	CHECK("quant-6.2: random u8, zero point 128",
	    igemm_case(5, 3, 65, 1, 128, 0));
	CHECK("quant-6.2: random u8, zero point 255",
	    igemm_case(5, 3, 65, 1, 255, 0));
	CHECK("quant-6.3: -128*-128 over k = 1000",
	    igemm_case(2, 2, 1000, 0, 0, 1));
	CHECK("quant-6.3: (255-0)*-128 over k = 4096",
	    igemm_case(1, 1, 4096, 1, 0, 1));
	{
		/* k = 131071: -128·-128·k = 2147467264 < 2^31, exact */
		int64_t k = 131071;
		int8_t *v = malloc((size_t)k);
		int32_t c = 0;

		memset(v, 0x80, (size_t)k);
		sb_igemm_host(1, 1, k, v, 0, 0, k, v, k, &c, 1);
		CHECK("quant-6.4: largest exact sum", c == 2147467264);
		free(v);
	}
	{
		/* u8 255 with zero point 128 against -128 over k = 70000:
		 * (255 - 128)·-128·k = -1137920000 fits, but Σ a·b alone
		 * (-2.28e9) does not fit in int32 (wrapping would still give
		 * the right answer; UBSan, in the sanitizer build, reports
		 * the signed overflow if the partial sums are not blocked) */
		int64_t k = 70000;
		uint8_t *u = malloc((size_t)k);
		int8_t *v = malloc((size_t)k);
		int32_t c = 0;

		memset(u, 255, (size_t)k);
		memset(v, 0x80, (size_t)k);
		sb_igemm_host(1, 1, k, u, 1, 128, k, v, k, &c, 1);
		CHECK("quant-6.5: u8 partial sums beyond int32",
		    c == -1137920000);
		free(u);
		free(v);
	}
}

/* ---- quant-7 ------------------------------------------------------------ */

static void
affine_choose(void)
{
	struct sb_qaffine a;

	/* [0, 255]: scale 255/255 = 1; zp_min = 0 - 0/1 = 0 (error term 0),
	 * zp_max = 255 - 255 = 0 (error 0): zp 0 */
	sb_qaffine_choose(0.0f, 255.0f, 0, &a);
	CHECK("quant-7.1: [0,255] scale 1 zp 0", a.scale == 1.0f &&
	    a.zero_point == 0 && a.qmin == 0 && a.qmax == 255);
	/* [-64, 191]: scale 1; zp_min = 64 (error 0 - 64 = -64), zp_max =
	 * 255 - 191 = 64 (error 64): zp 64 */
	sb_qaffine_choose(-64.0f, 191.0f, 0, &a);
	CHECK("quant-7.2: [-64,191] zp 64", a.scale == 1.0f &&
	    a.zero_point == 64);
	/* [-1, 1]: scale 2/255 in double; 1/scale is 127.5 exactly in
	 * double, so zp_min = 127.5 (error -127.5 < 127.5): a tie, nearbyint
	 * to even: 128 */
	sb_qaffine_choose(-1.0f, 1.0f, 0, &a);
	CHECK("quant-7.3: [-1,1] scale float(2/255)",
	    a.scale == (float)(2.0 / 255.0));
	CHECK("quant-7.3: [-1,1] zp 128 (tie to even)", a.zero_point == 128);
	/* reduce_range: qmax 127; [-64, 63]: scale 127/127 = 1, zp 64 */
	sb_qaffine_choose(-64.0f, 63.0f, 1, &a);
	CHECK("quant-7.4: reduce_range qmax 127", a.qmax == 127 &&
	    a.scale == 1.0f && a.zero_point == 64);
	/* all positive [2, 10]: widened to [0, 10]; zp 0 */
	sb_qaffine_choose(2.0f, 10.0f, 0, &a);
	CHECK("quant-7.5: [2,10] widened to include 0",
	    a.scale == (float)(10.0 / 255.0) && a.zero_point == 0);
	/* negative only [-5, -1]: [-5, 0]; zp_min = 5/(5/255) = 255: zp
	 * 255 */
	sb_qaffine_choose(-5.0f, -1.0f, 0, &a);
	CHECK("quant-7.6: [-5,-1] zp 255", a.zero_point == 255 &&
	    a.scale == (float)(5.0 / 255.0));
	/* [0, 0]: scale 0 -> 0.1; zp 0 */
	sb_qaffine_choose(0.0f, 0.0f, 0, &a);
	CHECK("quant-7.7: empty range scale 0.1", a.scale == 0.1f &&
	    a.zero_point == 0);
	/* [0, 1e-40]: scale ~3.9e-43 is a float denormal whose reciprocal
	 * overflows: 0.1 */
	sb_qaffine_choose(0.0f, 1e-40f, 0, &a);
	CHECK("quant-7.8: reciprocal overflow scale 0.1", a.scale == 0.1f);
	/* [0, 1e-6]: scale 3.9e-9 < 6.1e-5: raised to 6.1e-5; zp 0 */
	sb_qaffine_choose(0.0f, 1e-6f, 0, &a);
	CHECK("quant-7.9: small scale raised to 6.1e-5",
	    a.scale == 6.1e-5f && a.zero_point == 0);
	/* [-1e-6, 1e-6]: the same cut, min and max scaled alike: the
	 * symmetric range keeps its tie, zp 128 */
	sb_qaffine_choose(-1e-6f, 1e-6f, 0, &a);
	CHECK("quant-7.10: small symmetric range zp 128",
	    a.scale == 6.1e-5f && a.zero_point == 128);
	{
		/* q = clamp(zp + nearbyint(x/scale)): [-64,191] scale 1 */
		static const float x[5] = { -64.0f, 0.0f, 191.0f, 300.0f,
		    -70.5f };
		uint8_t q[5];
		int64_t sat;

		sb_qaffine_choose(-64.0f, 191.0f, 0, &a);
		sat = sb_qaffine_quantise(&a, x, 1, 5, 5, q, 5);
		CHECK("quant-7.11: affine values", q[0] == 0 && q[1] == 64 &&
		    q[2] == 255 && q[3] == 255 && q[4] == 0);
		CHECK("quant-7.11: affine saturation count", sat == 2);
	}
}

/* ---- quant-8 ------------------------------------------------------------ */

/* relative L2 of the int8 forward (scheme 0 sym, 1 affine rr 0, 2 affine
 * rr 1) against the fp64 product */
static double
scheme_err(const float *x, const float *w, const float *b, int64_t m,
    int64_t n, int64_t k, int scheme)
{
	struct sb_int8_opts o = { 0, scheme == 2 };
	float *y = malloc((size_t)(m * n) * sizeof(float));
	double d2 = 0, r2 = 0;

	if (scheme == 0)
		sb_linear_int8_sym(x, w, b, y, m, n, k, &o, SB_DT_F32, NULL);
	else
		sb_linear_int8_affine(x, w, b, y, m, n, k, &o, NULL);
	for (int64_t i = 0; i < m; i++)
		for (int64_t j = 0; j < n; j++) {
			double r = b[j];

			for (int64_t p = 0; p < k; p++)
				r += (double)x[i * k + p] * w[j * k + p];
			d2 += (y[i * n + j] - r) * (y[i * n + j] - r);
			r2 += r * r;
		}
	free(y);
	return sqrt(d2 / r2);
}

static void
schemes(void)
{
	enum { M = 32, N = 16, K = 64 };
	float x[M * K], w[N * K], b[N];
	double es, ea, er;

	/* weights on the int8 grid (scale 1/8 exactly: amax 127.5/8, the
	 * element at -amax takes -128 unclamped), so that every error
	 * measured is the activations' */
	for (int i = 0; i < N * K; i++)
		w[i] = (float)((int)(next() % 255) - 127) / 8.0f;
	w[0] = -127.5f / 8.0f;
	fill(b, N, -0.1f, 0.1f);
	/* skewed: all-positive activations (after a ReLU, say) */
	fill(x, M * K, 0.0f, 1.0f);
	es = scheme_err(x, w, b, M, N, K, 0);
	ea = scheme_err(x, w, b, M, N, K, 1);
	er = scheme_err(x, w, b, M, N, K, 2);
	printf("quant-8: all-positive x: sym %.3g, affine %.3g, affine "
	    "reduce_range %.3g\n", es, ea, er);
	CHECK("quant-8.1: affine uses the 8 bits better on skewed data",
	    ea < 0.7 * es);
	CHECK("quant-8.1: 7-bit affine on [0, max] is the sym grid's half",
	    er < 1.2 * es && er > es / 1.2);
	/* symmetric data: 7-bit affine (reduce_range) has half the levels */
	fill(x, M * K, -1.0f, 1.0f);
	es = scheme_err(x, w, b, M, N, K, 0);
	ea = scheme_err(x, w, b, M, N, K, 1);
	er = scheme_err(x, w, b, M, N, K, 2);
	printf("quant-8: symmetric x: sym %.3g, affine %.3g, affine "
	    "reduce_range %.3g\n", es, ea, er);
	CHECK("quant-8.2: reduce_range costs a bit on symmetric data",
	    er > 1.5 * es && ea < 1.2 * es);
	CHECK("quant-8.3: errors small and finite", es < 0.05 && ea < 0.05 &&
	    er < 0.05);
}

/* ---- quant-9 ------------------------------------------------------------ */

static void
epilogue(void)
{
	struct sb_int8_opts o = { 0, 1 };
	volatile float vp, vs;
	float x = 1.7f, w = 0.3f, b, y, want = 0;
	int found = 0;

	/* m = n = k = 1: qx = 127, qw = 127 (127.5 clamps), acc = 16129;
	 * look for a bias where fmaf and the two roundings differ */
	vs = sb_qsym_scale(&sb_qsym_act, x) * sb_qsym_scale(&sb_qsym_weight,
	    w);
	for (int t = 0; t < 4096 && !found; t++) {
		b = urand(-1.0f, 1.0f);
		vp = 16129.0f * vs;
		want = vp + b;
		found = want != fmaf(16129.0f, vs, b);
	}
	CHECK("quant-9.1: a case where fma differs exists", found);
	sb_linear_int8_sym(&x, &w, &b, &y, 1, 1, 1, &o, SB_DT_F32, NULL);
	CHECK("quant-9.1: epilogue is two roundings, not an fma", y == want);
	sb_linear_int8_sym(&x, &w, &b, &y, 1, 1, 1, &o, SB_DT_F16, NULL);
	CHECK("quant-9.2: f16 output rounds the fp32 value",
	    y == sb_round_to(SB_DT_F16, want));
	errno = 0;
	CHECK("quant-9.3: bf16 output refused (EINVAL)",
	    sb_linear_int8_sym(&x, &w, &b, &y, 1, 1, 1, &o, SB_DT_BF16,
	    NULL) == -1 && errno == EINVAL);

	{
		/* both forwards = their composition from the public pieces */
		enum { M = 5, N = 7, K = 19 };
		float xi[M * K], wi[N * K], bi[N], ys[M * N], ya[M * N];
		float xs, ws[N];
		int8_t qx[M * K], qw[N * K];
		uint8_t ux[M * K];
		int32_t acc[M * N];
		struct sb_qaffine a;
		struct sb_int8_obs obs;
		float mn = 0, mx = 0;
		int oks = 1, oka = 1;

		for (int pc = 0; pc < 2; pc++) {
			struct sb_int8_opts op = { pc, 1 };

			fill(xi, M * K, -2.0f, 3.0f);
			fill(wi, N * K, -0.5f, 0.5f);
			fill(bi, N, -1.0f, 1.0f);
			memset(&obs, 0, sizeof(obs));
			sb_linear_int8_sym(xi, wi, bi, ys, M, N, K, &op,
			    SB_DT_F32, &obs);
			sb_linear_int8_affine(xi, wi, bi, ya, M, N, K, &op,
			    NULL);
			sb_qsym_quantise(&sb_qsym_act, xi, M, K, K, 0, &xs, qx,
			    K);
			sb_qsym_quantise(&sb_qsym_weight, wi, N, K, K, pc, ws,
			    qw, K);
			sb_igemm_host(M, N, K, qx, 0, 0, K, qw, K, acc, N);
			for (int i = 0; i < M; i++)
				for (int j = 0; j < N; j++) {
					vs = xs * ws[pc ? j : 0];
					vp = (float)acc[i * N + j] * vs;
					oks &= ys[i * N + j] == vp + bi[j];
				}
			mn = mx = 0;
			for (int i = 0; i < M * K; i++) {
				mn = fminf(mn, xi[i]);
				mx = fmaxf(mx, xi[i]);
			}
			sb_qaffine_choose(mn, mx, 1, &a);
			sb_qaffine_quantise(&a, xi, M, K, K, ux, K);
			sb_igemm_host(M, N, K, ux, 1, a.zero_point, K, qw, K,
			    acc, N);
			for (int i = 0; i < M; i++)
				for (int j = 0; j < N; j++) {
					vs = a.scale * ws[pc ? j : 0];
					vp = (float)acc[i * N + j] * vs;
					oka &= ya[i * N + j] == vp + bi[j];
				}
		}
		CHECK("quant-9.4: sym forward = its composition", oks);
		CHECK("quant-9.4: affine forward = its composition", oka);
	}
}

int
main(void)
{
	round_trip(&sb_qsym_act, 0);
	round_trip(&sb_qsym_act, 1);
	round_trip(&sb_qsym_weight, 0);
	round_trip(&sb_qsym_weight, 1);
	scales();
	per_channel();
	saturation();
	padding();
	igemm();
	affine_choose();
	schemes();
	epilogue();
	return check_summary("test_quant");
}
