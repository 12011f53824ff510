/*
 * tests/test_int8_gpu.c — the int8 GEMMs (kernels/gemm_s8.h, every entry of
 * sb_igemms[]) and the quantisation kernels (kernels/int8.h) on the GPU,
 * against the host code of kernels/quant.c.  Label gpu: exits 77 (skipped)
 * without a GPU.
 *
 *   i8-1  s32 out, exact: random int8 over [-128, 127] at odd shapes (K
 *         not a multiple of 4 or 32 among them), packed, with padded
 *         leading dimensions, and with A and B one byte off alignment;
 *         C must equal sb_igemm_host bit for bit, and C's row padding
 *         must keep its poison.  A call the implementation refuses
 *         through its `unsupported` hook (cuBLASLt: K, n and leading
 *         dimensions not multiples of 4, unaligned pointers) prints a
 *         "skip" line with the hook's reason and counts as neither pass
 *         nor fail; any other refusal fails.
 *   i8-2  the epilogues (implementations with one): f32 and f16 out, per
 *         tensor and per channel, with and without a bias, against a
 *         double reference acc·sa·sb[j] + bias[j]: within two fp32
 *         roundings (the scales' product and the fmaf) of the terms'
 *         magnitude for f32, and one f16 rounding more for f16.
 *   i8-3  sb_q_absmax (f32 and f16 input, per tensor and per row) equals
 *         sb_q_absmax_host bit for bit; sb_q_convert's scales, int8
 *         values (zero K padding included) and saturation count equal
 *         sb_qsym_quantise's for the activation scheme (per tensor) and the
 *         weight scheme (per tensor, per row), with an outlier, an
 *         all-zero and a negative-only tensor; sb_q_dequant equals the
 *         fp32 epilogue fmaf((float)acc, sa·sb[j], bias[j]) bit for bit.
 *   i8-4  sb_q_sgd_absmax: the parameters after the update equal the host's
 *         p - lr·g (the product rounded, then the difference), the absmax
 *         equals sb_q_absmax_host of the updated tensor (per tensor and per
 *         row), and with *skip set the parameters are unchanged while the
 *         absmax is still taken.
 *
 * This file has never run: the machine it was written on has no GPU.  It
 * compiles, and exits 77 there.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cuda_runtime.h>

#include "testkit.h"
#include "gemm_s8.h"
#include "gpu.h"
#include "half.h"
#include "int8.h"
#include "quant.h"


static int	skips;

/* A tiny LCG: the inputs of every case fixed by its seed. */
static uint32_t
next(uint32_t *s)
{
	*s = *s * 1664525u + 1013904223u;
	return *s >> 8;
}

static void
fill_s8(int8_t *x, int64_t rows, int64_t cols, int64_t ld, uint32_t seed)
{
	for (int64_t i = 0; i < rows; i++)
		for (int64_t j = 0; j < ld; j++)
			x[i * ld + j] = j < cols ? (int8_t)((int)(next(&seed) &
			    255) - 128) : (int8_t)(1 + next(&seed) % 100);
}

static void *
dup_to_device(const void *h, size_t bytes)
{
	void *d = NULL;

	if (cudaMalloc(&d, bytes) != cudaSuccess)
		return NULL;
	if (h != NULL && cudaMemcpy(d, h, bytes, cudaMemcpyHostToDevice) !=
	    cudaSuccess) {
		cudaFree(d);
		return NULL;
	}
	return d;
}

static int
sync_ok(struct sb_gpu *g, const char *name)
{
	cudaError_t e = cudaStreamSynchronize(g->stream);

	if (e != cudaSuccess) {
		fprintf(stderr, "%s: %s\n", name, cudaGetErrorString(e));
		return 0;
	}
	return 1;
}

/* --- i8-1 / i8-2: the GEMMs ---------------------------------------------- */

struct shape {
	int64_t	m, n, k, pad;	/* pad: added to lda, ldb and ldc */
	int	offset;		/* A and B start one byte in */
};

static const struct shape shapes[] = {
	{ 1, 1, 1, 0, 0 },
	{ 10, 3, 5, 0, 0 },		/* the tutorial's Linear(5, 3) */
	{ 10, 3, 16, 0, 0 },		/* the same, K padded to SB_S8_KPAD */
	{ 127, 129, 65, 0, 0 },
	{ 33, 17, 31, 0, 0 },		/* K odd */
	{ 96, 80, 36, 0, 0 },		/* K % 4 == 0, K % 32 != 0 */
	{ 128, 128, 64, 0, 0 },
	{ 130, 68, 100, 4, 0 },		/* padded rows, all multiples of 4 */
	{ 64, 48, 96, 3, 0 },		/* padded by 3: unaligned rows */
	{ 65, 40, 64, 0, 1 },		/* A and B one byte off */
	{ 256, 256, 1024, 0, 0 },
};

/*
 * One call of impl at sh: s32 out (epi 0) or the epilogue (epi 1: out
 * f32 or f16, per_channel, bias).  Returns 1 pass, 0 fail, -1 skipped.
 */
static int
gemm_case(struct sb_gpu *g, const struct sb_igemm *impl,
    const struct shape *sh, enum sb_dtype out, int per_channel, int bias,
    const char *name)
{
	const int64_t m = sh->m, n = sh->n, k = sh->k, off = sh->offset;
	const int64_t lda = k + sh->pad, ldb = k + sh->pad, ldc = n + sh->pad;
	const size_t osz = sb_dtype_size(out);
	const size_t a_bytes = (size_t)(m * lda + off);
	const size_t b_bytes = (size_t)(n * ldb + off);
	const size_t c_bytes = (size_t)(m * ldc) * osz;
	int8_t *ha = malloc(a_bytes), *hb = malloc(b_bytes);
	int32_t *ref = malloc((size_t)(m * n) * sizeof(int32_t));
	unsigned char *hc = malloc(c_bytes);
	float *hs = malloc((size_t)(n + 1) * sizeof(float));
	float *hbias = malloc((size_t)n * sizeof(float));
	void *da = NULL, *db = NULL, *dc = NULL, *ds = NULL, *dbias = NULL;
	struct sb_igemm_call c;
	char why[256];
	int rc = 0, bad = 0, pad_bad = 0;
	uint32_t seed = (uint32_t)(m * 7919 + n * 104729 + k * 31 + off);

	if (ha == NULL || hb == NULL || ref == NULL || hc == NULL ||
	    hs == NULL || hbias == NULL)
		goto out;
	fill_s8(ha + off, m, k, lda, seed);
	fill_s8(hb + off, n, k, ldb, seed ^ 0x9e3779b9u);
	hs[0] = 0.0125f;			/* the activations' scale */
	for (int64_t j = 0; j < n; j++) {
		hs[1 + j] = per_channel ? 0.001f * (float)(1 + j % 13) :
		    0.0031f;
		hbias[j] = ((float)(next(&seed) % 2001) - 1000.0f) / 256.0f;
	}
	sb_igemm_host(m, n, k, ha + off, 0, 0, lda, (const int8_t *)hb + off,
	    ldb, ref, n);

	da = dup_to_device(ha, a_bytes);
	db = dup_to_device(hb, b_bytes);
	dc = dup_to_device(NULL, c_bytes);
	ds = dup_to_device(hs, (size_t)(n + 1) * sizeof(float));
	dbias = dup_to_device(hbias, (size_t)n * sizeof(float));
	if (da == NULL || db == NULL || dc == NULL || ds == NULL ||
	    dbias == NULL || cudaMemset(dc, 0xff, c_bytes) != cudaSuccess)
		goto out;

	sb_igemm_call_init(&c, out, m, n, k, (const int8_t *)da + off,
	    (const int8_t *)db + off, dc);
	c.lda = lda;
	c.ldb = ldb;
	c.ldc = ldc;
	if (out != SB_DT_S32) {
		c.a_scale = ds;
		c.b_scale = (const float *)ds + 1;
		c.b_per_channel = per_channel;
		c.bias = bias ? dbias : NULL;
	}
	if (impl->unsupported != NULL &&
	    impl->unsupported(&c, why, sizeof(why)) != 0) {
		printf("skip %s: refused: %s\n", name, why);
		skips++;
		rc = -1;
		goto out;
	}
	if (impl->gemm(g, &c) != 0) {
		fprintf(stderr, "%s: %s\n", name, g->err);
		goto out;
	}
	if (!sync_ok(g, name) || cudaMemcpy(hc, dc, c_bytes,
	    cudaMemcpyDeviceToHost) != cudaSuccess)
		goto out;

	for (int64_t i = 0; i < m; i++) {
		for (int64_t j = 0; j < n; j++) {
			const int32_t acc = ref[i * n + j];
			const int64_t at = i * ldc + j;

			if (out == SB_DT_S32) {
				int32_t v;

				memcpy(&v, hc + at * 4, 4);
				bad += v != acc;
			} else {
				const float sb = hs[1 + (per_channel ? j : 0)];
				const double bj = bias ? hbias[j] : 0;
				const double want = (double)acc * hs[0] * sb +
				    bj;
				const double mag = fabs((double)acc * hs[0] *
				    sb) + fabs(bj);
				double got, tol = ldexp(mag, -22);

				if (out == SB_DT_F32) {
					float v;

					memcpy(&v, hc + at * 4, 4);
					got = v;
				} else {
					uint16_t v;

					memcpy(&v, hc + at * 2, 2);
					got = sb_f16_to_f32(v);
					tol += ldexp(mag, -10) + ldexp(1, -24);
				}
				bad += !(fabs(got - want) <= tol);
				if (bad == 1 && !(fabs(got - want) <= tol))
					fprintf(stderr, "%s: [%lld,%lld] got "
					    "%.9g want %.9g\n", name,
					    (long long)i, (long long)j, got,
					    want);
			}
		}
		for (int64_t j = n; j < ldc; j++)
			for (size_t b = 0; b < osz; b++)
				pad_bad += hc[(i * ldc + j) * osz + b] != 0xff;
	}
	if (bad != 0 || pad_bad != 0)
		fprintf(stderr, "%s: %d entries differ, %d padding bytes "
		    "written\n", name, bad, pad_bad);
	rc = bad == 0 && pad_bad == 0;
out:
	cudaFree(da);
	cudaFree(db);
	cudaFree(dc);
	cudaFree(ds);
	cudaFree(dbias);
	free(ha);
	free(hb);
	free(ref);
	free(hc);
	free(hs);
	free(hbias);
	return rc;
}

static void
test_gemms(struct sb_gpu *g, int cc)
{
	static const struct {
		enum sb_dtype	out;
		int		per_channel, bias;
	} epis[] = {
		{ SB_DT_F32, 0, 0 }, { SB_DT_F32, 1, 1 },
		{ SB_DT_F16, 0, 1 }, { SB_DT_F16, 1, 0 },
	};
	int ran = 0;

	for (int i = 0; sb_igemms[i] != NULL; i++) {
		const struct sb_igemm *impl = sb_igemms[i];

		if (cc < impl->min_cc) {
			printf("skip %s: needs compute capability %d, the GPU "
			    "has %d\n", impl->name, impl->min_cc, cc);
			skips++;
			continue;
		}
		for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]);
		    s++) {
			const struct shape *sh = &shapes[s];
			char name[160];
			int r;

			(void)snprintf(name, sizeof(name), "i8-1: %s s32 "
			    "%lldx%lldx%lld pad %lld off %d", impl->name,
			    (long long)sh->m, (long long)sh->n,
			    (long long)sh->k, (long long)sh->pad, sh->offset);
			if ((r = gemm_case(g, impl, sh, SB_DT_S32, 0, 0,
			    name)) >= 0) {
				CHECK(name, r == 1);
				ran++;
			}
			for (size_t e = 0; impl->epilogue &&
			    e < sizeof(epis) / sizeof(epis[0]); e++) {
				(void)snprintf(name, sizeof(name), "i8-2: %s "
				    "%s%s%s %lldx%lldx%lld pad %lld off %d",
				    impl->name, sb_dtype_name(epis[e].out),
				    epis[e].per_channel ? " per-channel" : "",
				    epis[e].bias ? " bias" : "",
				    (long long)sh->m, (long long)sh->n,
				    (long long)sh->k, (long long)sh->pad,
				    sh->offset);
				if ((r = gemm_case(g, impl, sh, epis[e].out,
				    epis[e].per_channel, epis[e].bias,
				    name)) >= 0)
					CHECK(name, r == 1);
			}
		}
	}
	CHECK("i8-1: some int8 GEMM ran", ran > 0);
}

/* --- i8-3: the quantisation kernels -------------------------------------- */

enum shape_kind { RANDOM, OUTLIER, ZEROS, NEGATIVE };

static void
fill_f32(float *x, int64_t rows, int64_t cols, int64_t ld,
    enum shape_kind kind, uint32_t seed)
{
	for (int64_t i = 0; i < rows; i++)
		for (int64_t j = 0; j < ld; j++) {
			float v = ((float)(next(&seed) % 20001) - 10000.0f) /
			    4096.0f;

			if (j >= cols)
				v = 1e30f;	/* padding: must not be read */
			else if (kind == ZEROS)
				v = 0;
			else if (kind == NEGATIVE)
				v = -fabsf(v) - 0.25f;
			x[i * ld + j] = v;
		}
	if (kind == OUTLIER && rows > 0 && cols > 0)
		x[(rows / 2) * ld + cols / 2] = 5000.0f;
}

static uint32_t
bits_of(float f)
{
	uint32_t u;

	memcpy(&u, &f, 4);
	return u;
}

/* absmax and convert of a (rows, cols) tensor: one scheme, per tensor or
 * per row, f32 or (absmax only) f16 input. */
static void
quant_case(struct sb_gpu *g, const struct sb_qsym *qs, int64_t rows,
    int64_t cols, int per_row, enum shape_kind kind, const char *tag)
{
	const int64_t ldx = cols + 3, ldq = sb_int8_kpad(cols);
	const int64_t nseg = per_row ? rows : 1;
	float *x = malloc((size_t)(rows * ldx) * sizeof(float));
	float *want_s = malloc((size_t)nseg * sizeof(float));
	float *got_s = malloc((size_t)nseg * sizeof(float));
	uint32_t *got_a = malloc((size_t)nseg * sizeof(uint32_t));
	uint16_t *xh = malloc((size_t)(rows * ldx) * sizeof(uint16_t));
	float *xr = malloc((size_t)(rows * ldx) * sizeof(float));
	int8_t *want_q = malloc((size_t)(rows * ldq));
	int8_t *got_q = malloc((size_t)(rows * ldq));
	void *dx = NULL, *dxh = NULL, *da = NULL, *dscale = NULL, *dq = NULL;
	void *dsat = NULL;
	unsigned long long sat = 0;
	int64_t want_sat;
	char name[200];
	int ok;

	if (x == NULL || want_s == NULL || got_s == NULL || got_a == NULL ||
	    xh == NULL || xr == NULL || want_q == NULL || got_q == NULL) {
		CHECK("i8-3: host allocation", 0);
		goto out;
	}
	fill_f32(x, rows, cols, ldx, kind, (uint32_t)(rows * 31 + cols));
	want_sat = sb_qsym_quantise(qs, x, rows, cols, ldx, per_row, want_s,
	    want_q, ldq);
	dx = dup_to_device(x, (size_t)(rows * ldx) * sizeof(float));
	da = dup_to_device(NULL, (size_t)nseg * sizeof(uint32_t));
	dscale = dup_to_device(NULL, (size_t)nseg * sizeof(float));
	dq = dup_to_device(NULL, (size_t)(rows * ldq));
	dsat = dup_to_device(&sat, sizeof(sat));
	if (dx == NULL || da == NULL || dscale == NULL || dq == NULL ||
	    dsat == NULL || cudaMemset(dq, 0x5a, (size_t)(rows * ldq)) !=
	    cudaSuccess) {
		CHECK("i8-3: device allocation", 0);
		goto out;
	}

	/* absmax, f32 */
	(void)snprintf(name, sizeof(name), "i8-3: absmax f32 %s %lldx%lld "
	    "%s", tag, (long long)rows, (long long)cols,
	    per_row ? "per row" : "per tensor");
	ok = sb_q_absmax(g, SB_DT_F32, dx, rows, cols, ldx, per_row, da,
	    0) == 0 && sync_ok(g, name) && cudaMemcpy(got_a, da,
	    (size_t)nseg * 4, cudaMemcpyDeviceToHost) == cudaSuccess;
	if (!ok)
		fprintf(stderr, "%s: %s\n", name, g->err);
	for (int64_t s = 0; ok && s < nseg; s++) {
		float want = 0;

		for (int64_t i = per_row ? s : 0; i < (per_row ? s + 1 :
		    rows); i++) {
			float r = sb_q_absmax_host(x + i * ldx, cols);

			want = r > want ? r : want;
		}
		ok = got_a[s] == bits_of(want);
	}
	CHECK(name, ok);

	/* convert: scales, values, padding, saturation */
	(void)snprintf(name, sizeof(name), "i8-3: convert %s %s %lldx%lld "
	    "%s", qs->name, tag, (long long)rows, (long long)cols,
	    per_row ? "per row" : "per tensor");
	ok = sb_q_convert(g, qs, SB_DT_F32, dx, rows, cols, ldx, per_row, da,
	    dscale, dq, ldq, dsat) == 0 && sync_ok(g, name) &&
	    cudaMemcpy(got_s, dscale, (size_t)nseg * 4,
	    cudaMemcpyDeviceToHost) == cudaSuccess &&
	    cudaMemcpy(got_q, dq, (size_t)(rows * ldq),
	    cudaMemcpyDeviceToHost) == cudaSuccess &&
	    cudaMemcpy(&sat, dsat, sizeof(sat), cudaMemcpyDeviceToHost) ==
	    cudaSuccess;
	if (!ok)
		fprintf(stderr, "%s: %s\n", name, g->err);
	CHECK(name, ok && memcmp(got_s, want_s, (size_t)nseg * 4) == 0 &&
	    memcmp(got_q, want_q, (size_t)(rows * ldq)) == 0 &&
	    (int64_t)sat == want_sat);
	if (kind == OUTLIER && !per_row)
		CHECK("i8-3: the outlier sets the scale (no saturation for "
		    "the symmetric schemes but the weight's 127.5)", ok &&
		    (int64_t)sat <= 1);

	/* absmax of the fp16 input: the host's of the rounded values */
	if (kind != OUTLIER) {	/* 5000 is fine in f16, but keep it plain */
		for (int64_t i = 0; i < rows * ldx; i++) {
			xh[i] = sb_f32_to_f16(x[i]);
			xr[i] = sb_f16_to_f32(xh[i]);
		}
		dxh = dup_to_device(xh, (size_t)(rows * ldx) * 2);
		(void)snprintf(name, sizeof(name), "i8-3: absmax f16 %s "
		    "%lldx%lld %s", tag, (long long)rows, (long long)cols,
		    per_row ? "per row" : "per tensor");
		ok = dxh != NULL && sb_q_absmax(g, SB_DT_F16, dxh, rows, cols,
		    ldx, per_row, da, 0) == 0 && sync_ok(g, name) &&
		    cudaMemcpy(got_a, da, (size_t)nseg * 4,
		    cudaMemcpyDeviceToHost) == cudaSuccess;
		for (int64_t s = 0; ok && s < nseg; s++) {
			float want = 0;

			for (int64_t i = per_row ? s : 0; i < (per_row ? s +
			    1 : rows); i++) {
				float r = sb_q_absmax_host(xr + i * ldx, cols);

				want = r > want ? r : want;
			}
			ok = got_a[s] == bits_of(want);
		}
		CHECK(name, ok);
	}
out:
	cudaFree(dx);
	cudaFree(dxh);
	cudaFree(da);
	cudaFree(dscale);
	cudaFree(dq);
	cudaFree(dsat);
	free(x);
	free(want_s);
	free(got_s);
	free(got_a);
	free(xh);
	free(xr);
	free(want_q);
	free(got_q);
}

/* sb_q_dequant (f32 out) against the fp32 epilogue, bit for bit */
static void
dequant_case(struct sb_gpu *g, int64_t m, int64_t n, int per_channel)
{
	const int64_t ldacc = n + 2, ldc = n + 1;
	int32_t *acc = malloc((size_t)(m * ldacc) * 4);
	float *s = malloc((size_t)(n + 1) * 4), *bias = malloc((size_t)n * 4);
	float *got = malloc((size_t)(m * ldc) * 4);
	void *dacc = NULL, *ds = NULL, *dbias = NULL, *dc = NULL;
	uint32_t seed = (uint32_t)(m * 13 + n);
	char name[128];
	int ok;

	(void)snprintf(name, sizeof(name), "i8-3: dequant f32 %lldx%lld %s",
	    (long long)m, (long long)n, per_channel ? "per channel" :
	    "per tensor");
	if (acc == NULL || s == NULL || bias == NULL || got == NULL) {
		CHECK(name, 0);
		goto out;
	}
	for (int64_t i = 0; i < m * ldacc; i++)
		acc[i] = (int32_t)(next(&seed) % 4000001) - 2000000;
	s[0] = 0.0123f;
	for (int64_t j = 0; j < n; j++) {
		s[1 + j] = 0.0007f * (float)(1 + j % 7);
		bias[j] = ((float)(next(&seed) % 1001) - 500.0f) / 64.0f;
	}
	dacc = dup_to_device(acc, (size_t)(m * ldacc) * 4);
	ds = dup_to_device(s, (size_t)(n + 1) * 4);
	dbias = dup_to_device(bias, (size_t)n * 4);
	dc = dup_to_device(NULL, (size_t)(m * ldc) * 4);
	ok = dacc != NULL && ds != NULL && dbias != NULL && dc != NULL &&
	    sb_q_dequant(g, dacc, m, n, ldacc, ds, (const float *)ds + 1,
	    per_channel, dbias, SB_DT_F32, dc, ldc) == 0 &&
	    sync_ok(g, name) && cudaMemcpy(got, dc, (size_t)(m * ldc) * 4,
	    cudaMemcpyDeviceToHost) == cudaSuccess;
	if (!ok)
		fprintf(stderr, "%s: %s\n", name, g->err);
	for (int64_t i = 0; ok && i < m; i++)
		for (int64_t j = 0; ok && j < n; j++) {
			const float sc = s[0] * s[1 + (per_channel ? j : 0)];
			const float want = fmaf((float)acc[i * ldacc + j], sc,
			    bias[j]);

			ok = bits_of(got[i * ldc + j]) == bits_of(want);
		}
	CHECK(name, ok);
out:
	cudaFree(dacc);
	cudaFree(ds);
	cudaFree(dbias);
	cudaFree(dc);
	free(acc);
	free(s);
	free(bias);
	free(got);
}

/* --- i8-4: SGD with the weights' absmax ----------------------------------- */

static void
sgd_case(struct sb_gpu *g, int64_t rows, int64_t cols, int per_row,
    int skip)
{
	const int64_t count = rows * cols, nseg = per_row ? rows : 1;
	const float lr = 0.01f;
	float *p = malloc((size_t)count * 4), *gr = malloc((size_t)count * 4);
	float *want = malloc((size_t)count * 4), *got = malloc((size_t)count *
	    4);
	uint32_t *amax = malloc((size_t)nseg * 4);
	void *dp = NULL, *dg = NULL, *da = NULL, *dskip = NULL;
	struct sb_q_sgd_item it;
	const int32_t hskip = skip;
	uint32_t seed = (uint32_t)(rows * 101 + cols);
	char name[128];
	int ok;

	(void)snprintf(name, sizeof(name), "i8-4: sgd+absmax %lldx%lld %s%s",
	    (long long)rows, (long long)cols, per_row ? "per row" :
	    "per tensor", skip ? ", skipped step" : "");
	if (p == NULL || gr == NULL || want == NULL || got == NULL ||
	    amax == NULL) {
		CHECK(name, 0);
		goto out;
	}
	for (int64_t i = 0; i < count; i++) {
		p[i] = ((float)(next(&seed) % 20001) - 10000.0f) / 8192.0f;
		gr[i] = ((float)(next(&seed) % 20001) - 10000.0f) / 1024.0f;
	}
	for (int64_t i = 0; i < count; i++) {
		const float step = lr * gr[i];

		want[i] = skip ? p[i] : p[i] - step;
	}
	dp = dup_to_device(p, (size_t)count * 4);
	dg = dup_to_device(gr, (size_t)count * 4);
	da = dup_to_device(NULL, (size_t)nseg * 4);
	dskip = dup_to_device(&hskip, sizeof(hskip));
	memset(&it, 0, sizeof(it));
	it.p = dp;
	it.g = dg;
	it.rows = rows;
	it.cols = cols;
	it.amax = da;
	it.per_row = per_row;
	ok = dp != NULL && dg != NULL && da != NULL && dskip != NULL &&
	    cudaMemset(da, 0, (size_t)nseg * 4) == cudaSuccess &&
	    sb_q_sgd_absmax(g, &it, 1, lr, dskip) == 0 && sync_ok(g, name) &&
	    cudaMemcpy(got, dp, (size_t)count * 4, cudaMemcpyDeviceToHost) ==
	    cudaSuccess && cudaMemcpy(amax, da, (size_t)nseg * 4,
	    cudaMemcpyDeviceToHost) == cudaSuccess;
	if (!ok)
		fprintf(stderr, "%s: %s\n", name, g->err);
	CHECK(name, ok && memcmp(got, want, (size_t)count * 4) == 0);
	for (int64_t s = 0; ok && s < nseg; s++)
		ok = amax[s] == bits_of(sb_q_absmax_host(want + (per_row ? s *
		    cols : 0), per_row ? cols : count));
	CHECK(name, ok);
out:
	cudaFree(dp);
	cudaFree(dg);
	cudaFree(da);
	cudaFree(dskip);
	free(p);
	free(gr);
	free(want);
	free(got);
	free(amax);
}

static void
test_quant(struct sb_gpu *g)
{
	static const struct {
		int64_t		rows, cols;
		enum shape_kind	kind;
		const char	*tag;
	} qc[] = {
		{ 10, 5, RANDOM, "random" },
		{ 1, 1, RANDOM, "random" },
		{ 127, 129, RANDOM, "random" },
		{ 64, 300, OUTLIER, "outlier" },
		{ 17, 33, ZEROS, "all-zero" },
		{ 33, 65, NEGATIVE, "negative-only" },
		{ 1000, 1000, RANDOM, "random" },
	};

	for (size_t i = 0; i < sizeof(qc) / sizeof(qc[0]); i++) {
		quant_case(g, &sb_qsym_act, qc[i].rows, qc[i].cols, 0,
		    qc[i].kind, qc[i].tag);
		quant_case(g, &sb_qsym_weight, qc[i].rows, qc[i].cols, 0,
		    qc[i].kind, qc[i].tag);
		quant_case(g, &sb_qsym_weight, qc[i].rows, qc[i].cols, 1,
		    qc[i].kind, qc[i].tag);
	}
	dequant_case(g, 37, 19, 0);
	dequant_case(g, 64, 130, 1);
	sgd_case(g, 5, 3, 0, 0);
	sgd_case(g, 129, 65, 1, 0);
	sgd_case(g, 300, 1000, 0, 0);
	sgd_case(g, 33, 17, 1, 1);
}

int
main(void)
{
	struct sb_gpu g;
	int count = 0, dev, major = 0, minor = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (cudaGetDeviceCount(&count) != cudaSuccess || count == 0) {
		printf("test_int8_gpu: skipped: no GPU\n");
		cudaGetLastError();
		return 77;
	}
	memset(&g, 0, sizeof(g));
	if (cudaGetDevice(&dev) != cudaSuccess ||
	    cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor,
	    dev) != cudaSuccess ||
	    cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor,
	    dev) != cudaSuccess ||
	    cudaStreamCreate(&g.stream) != cudaSuccess ||
	    sb_gpu_blas_init(&g) != 0) {
		fprintf(stderr, "test_int8_gpu: GPU set-up failed: %s\n",
		    g.err);
		return 1;
	}
	test_gemms(&g, major * 10 + minor);
	test_quant(&g);
	sb_gpu_blas_fini(&g);
	cudaStreamDestroy(g.stream);
	printf("test_int8_gpu: %d case%s skipped (see the skip lines)\n",
	    skips, skips == 1 ? "" : "s");
	return check_summary("test_int8_gpu");
}
