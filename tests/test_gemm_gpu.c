/*
 * tests/test_gemm_gpu.c — every GEMM implementation (kernels/gemm.c's
 * sb_gemms_f32: the SIMT ladder, TF32 mma, cuBLAS fp32 and TF32) in every
 * layout, on the GPU, against the fp64 reference of tests/gemm_ref.h:
 *
 *   shapes   1x1x1, 7x13x5, 127x129x65, 4097x33x1025 (m x n x k)
 *   storage  packed; every leading dimension +1 (rows unaligned: the
 *            scalar paths); +3 with every base pointer one float off
 *            16 bytes; +4 (aligned, padded)
 *   bias     with and without, where the implementation has an epilogue
 *   (the 4097x33x1025 shape, whose fp64 reference costs ~0.3 s a case, runs
 *   packed and "ld+3,off1" only, with bias packed only)
 *
 * C is poisoned with NaN before each call and its padding must stay NaN
 * after it (no stores outside the matrix).  describe() must give a kernel
 * that can be resident (ctas_per_sm >= 1).
 *
 * Then every half implementation (kernels/gemm_h16.h, sb_hgemms[]): see
 * run_half below (f16/bf16 × fp32/half C × bias × the bias-gradient
 * epilogue on TN where offered × random and integer data).  Label gpu:
 * exit 77 (skipped) without a GPU.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cuda_runtime.h>

#include "testkit.h"
#include "device.h"
#include "gemm_h16.h"
#include "gemm_ref.h"
#include "gpu.h"
#include "half.h"
#include "rng.h"

struct shape {
	int64_t	m, n, k;
};

struct storage {
	const char	*name;
	int64_t		 pad;	/* added to each leading dimension */
	int64_t		 off;	/* floats added to each base pointer */
};

struct hcase;

static float	*dev_copy(const float *, size_t);
static float	 hvalue(struct sb_rng *, int, enum sb_dtype);
static void	*hdev_copy(enum sb_dtype, const float *, size_t);
static int	 run_hcase(struct sb_gpu *, const struct hcase *,
		    struct sb_rng *);
static int	 run_half(struct sb_gpu *, int, struct sb_rng *);
static int	 run_case(struct sb_gpu *, const struct sb_gemm_f32 *,
		    enum sb_layout, const struct shape *,
		    const struct storage *, int, struct sb_rng *);

int
main(void)
{
	static const struct shape shapes[] = {
		{ 1, 1, 1 }, { 7, 13, 5 }, { 127, 129, 65 },
		{ 4097, 33, 1025 },
	};
	static const struct storage storages[] = {
		{ "packed", 0, 0 }, { "ld+1", 1, 0 }, { "ld+3,off1", 3, 1 },
		{ "ld+4", 4, 0 },
	};
	struct sb_device dev;
	struct sb_gpu g;
	struct sb_rng rng = { 1 };
	int cc;

	sb_device_probe(&dev);
	if (dev.gpu_count == 0) {
		printf("test_gemm_gpu: skipped: %s\n", dev.no_gpu_reason);
		return 77;
	}
	cc = dev.gpu[0].cc_major * 10 + dev.gpu[0].cc_minor;
	memset(&g, 0, sizeof(g));
	if (cudaStreamCreate(&g.stream) != cudaSuccess ||
	    sb_gpu_blas_init(&g) != 0) {
		fprintf(stderr, "test_gemm_gpu: setup: %s\n", g.err);
		return 1;
	}
	for (int i = 0; sb_gemms_f32[i] != NULL; i++) {
		const struct sb_gemm_f32 *impl = sb_gemms_f32[i];

		if (cc < impl->min_cc) {
			printf("%s.%s: skipped: needs cc %d\n", impl->precision,
			    impl->name, impl->min_cc);
			continue;
		}
		for (int l = 0; l < SB_LAYOUT_COUNT; l++)
			for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]);
			    s++)
				for (size_t st = 0; st < sizeof(storages) /
				    sizeof(storages[0]); st++)
					for (int bias = 0; bias <=
					    impl->bias_epilogue; bias++)
						if (run_case(&g, impl,
						    (enum sb_layout)l, &shapes[s],
						    &storages[st], bias, &rng) < 0)
							goto out;
	}
	(void)run_half(&g, cc, &rng);
out:
	sb_gpu_blas_fini(&g);
	(void)cudaStreamDestroy(g.stream);
	return check_summary("test_gemm_gpu");
}

static float *
dev_copy(const float *h, size_t count)
{
	float *d = NULL;

	if (cudaMalloc((void **)&d, count * sizeof(float)) != cudaSuccess)
		return NULL;
	if (cudaMemcpy(d, h, count * sizeof(float), cudaMemcpyHostToDevice) !=
	    cudaSuccess) {
		(void)cudaFree(d);
		return NULL;
	}
	return d;
}

/* Returns -1 on a CUDA error that ends the test (sticky or setup). */
static int
run_case(struct sb_gpu *g, const struct sb_gemm_f32 *impl, enum sb_layout l,
    const struct shape *sh, const struct storage *st, int bias,
    struct sb_rng *rng)
{
	const int big = sh->m * sh->n * sh->k > 10000000;
	struct sb_gemm_call call;
	struct sb_kernel_info info;
	struct gemm_ref_result r;
	const int64_t m = sh->m, n = sh->n, k = sh->k;
	int64_t arows, acols, brows, bcols, lda, ldb, ldc;
	size_t na, nb, nc;
	float *ha, *hb, *hc, *hbias, *da = NULL, *db = NULL, *dc = NULL;
	float *dbias = NULL;
	char name[160];
	int rc = 0, pad_ok = 1;

	if (big && (st->pad == 1 || st->pad == 4 || (bias && st->pad != 0)))
		return 0;

	/* stored shapes (layout.h) */
	arows = l == SB_TN ? k : m;
	acols = l == SB_TN ? m : k;
	brows = l == SB_NT ? n : k;
	bcols = l == SB_NT ? k : n;
	lda = acols + st->pad;
	ldb = bcols + st->pad;
	ldc = n + st->pad;
	na = (size_t)(arows * lda + st->off);
	nb = (size_t)(brows * ldb + st->off);
	nc = (size_t)(m * ldc + st->off);
	snprintf(name, sizeof(name), "gemm.%s.%s.%s %lldx%lldx%lld %s%s",
	    impl->precision, impl->name, sb_layout_name(l), (long long)m,
	    (long long)n, (long long)k, st->name, bias ? " bias" : "");

	ha = malloc(na * sizeof(float));
	hb = malloc(nb * sizeof(float));
	hc = malloc(nc * sizeof(float));
	hbias = malloc((size_t)n * sizeof(float));
	if (ha == NULL || hb == NULL || hc == NULL || hbias == NULL) {
		CHECK(name, !"out of host memory");
		rc = -1;
		goto done;
	}
	/* padding NaN: a kernel reading outside the matrix gets NaN in C */
	for (size_t i = 0; i < na; i++)
		ha[i] = NAN;
	for (size_t i = 0; i < nb; i++)
		hb[i] = NAN;
	for (size_t i = 0; i < nc; i++)
		hc[i] = NAN;
	for (int64_t r0 = 0; r0 < arows; r0++)
		for (int64_t c0 = 0; c0 < acols; c0++)
			ha[st->off + r0 * lda + c0] = sb_rng_uniform(rng, -1,
			    1);
	for (int64_t r0 = 0; r0 < brows; r0++)
		for (int64_t c0 = 0; c0 < bcols; c0++)
			hb[st->off + r0 * ldb + c0] = sb_rng_uniform(rng, -1,
			    1);
	for (int64_t j = 0; j < n; j++)
		hbias[j] = sb_rng_uniform(rng, -1, 1);

	da = dev_copy(ha, na);
	db = dev_copy(hb, nb);
	dc = dev_copy(hc, nc);
	dbias = dev_copy(hbias, (size_t)n);
	if (da == NULL || db == NULL || dc == NULL || dbias == NULL) {
		CHECK(name, !"device allocation or copy failed");
		rc = -1;
		goto done;
	}
	sb_gemm_call_init(&call, l, m, n, k, da + st->off, db + st->off,
	    dc + st->off);
	call.lda = lda;
	call.ldb = ldb;
	call.ldc = ldc;
	call.bias = bias ? dbias : NULL;

	if (impl->describe != NULL) {
		int drc = impl->describe(g, &call, &info);

		CHECK(name, drc == 0 && info.ctas_per_sm >= 1 &&
		    info.regs > 0);
		if (drc == 0 && l == SB_NT && sh->m == 4097 && !bias &&
		    st->pad == 0)
			printf("  %-28s regs %3d smem %6d B local %4d B  "
			    "CTAs/SM %d  grid %ux%u block %u\n", info.name,
			    info.regs, info.static_smem, info.local_bytes,
			    info.ctas_per_sm, info.grid[0], info.grid[1],
			    info.block[0] * info.block[1]);
	}
	if (impl->gemm(g, &call) != 0 ||
	    cudaStreamSynchronize(g->stream) != cudaSuccess) {
		fprintf(stderr, "%s: %s / %s\n", name, g->err,
		    cudaGetErrorString(cudaGetLastError()));
		CHECK(name, !"the GEMM call failed");
		rc = -1;
		goto done;
	}
	if (cudaMemcpy(hc, dc, nc * sizeof(float), cudaMemcpyDeviceToHost) !=
	    cudaSuccess) {
		CHECK(name, !"copy back failed");
		rc = -1;
		goto done;
	}
	gemm_ref_check(l, m, n, k, ha + st->off, lda, hb + st->off, ldb,
	    bias ? hbias : NULL, hc + st->off, ldc,
	    strcmp(impl->precision, "tf32") == 0, &r);
	for (size_t i = 0; i < nc; i++) {
		const int64_t e = (int64_t)i - st->off;
		const int inside = e >= 0 && e % ldc < n;

		if (!inside && !isnan(hc[i]))
			pad_ok = 0;
	}
	if (r.bad != 0)
		fprintf(stderr, "%s: %lld bad, first C[%lld,%lld] = %.9g, "
		    "want %.9g\n", name, (long long)r.bad,
		    (long long)r.first_i, (long long)r.first_j, r.first_got,
		    r.first_want);
	CHECK(name, r.bad == 0);
	CHECK(name, pad_ok);
	printf("%-52s %s  max rel err %.2e\n", name, r.bad == 0 && pad_ok ?
	    "ok  " : "FAIL", r.max_rel);
done:
	(void)cudaFree(da);
	(void)cudaFree(db);
	(void)cudaFree(dc);
	(void)cudaFree(dbias);
	free(ha);
	free(hb);
	free(hc);
	free(hbias);
	return rc;
}

/* --- half GEMMs (kernels/gemm_h16.h: sb_hgemms[]) ---------------------- */

/*
 * Every half implementation × NT/TN/NN × f16/bf16 inputs × fp32/half C ×
 * bias off/on × shapes × storages, random data (a forward error bound on
 * the rounded inputs) and integer data (exact wherever the largest |C| is
 * an integer the output type holds).  C and, with the bias-gradient
 * epilogue (TN), bgrad are poisoned (0xff bytes: NaN in every type) and
 * their padding must stay so.
 */
struct hcase {
	const struct sb_hgemm	*impl;
	enum sb_layout		 layout;
	enum sb_dtype		 in, out;
	const struct shape	*sh;
	const struct storage	*st;
	int			 bias, bgrad, integer;
};

/* x as the device sees it (rounded to in), from a fresh value */
static float
hvalue(struct sb_rng *rng, int integer, enum sb_dtype in)
{
	if (integer)
		return (float)((int)sb_rng_below(rng, 5) - 2);
	return sb_round_to(in, sb_rng_uniform(rng, -1, 1));
}

/* elements of type t from the floats x to a new device buffer */
static void *
hdev_copy(enum sb_dtype t, const float *x, size_t count)
{
	void *d = NULL, *h;
	size_t size = sb_dtype_size(t);
	int ok;

	if ((h = malloc(count * size)) == NULL)
		return NULL;
	sb_convert_from_f32(t, x, h, count);
	ok = cudaMalloc(&d, count * size) == cudaSuccess &&
	    cudaMemcpy(d, h, count * size, cudaMemcpyHostToDevice) ==
	    cudaSuccess;
	free(h);
	if (!ok) {
		(void)cudaFree(d);
		return NULL;
	}
	return d;
}

/* Returns -1 on a CUDA error that ends the test. */
static int
run_hcase(struct sb_gpu *g, const struct hcase *hc, struct sb_rng *rng)
{
	const int64_t m = hc->sh->m, n = hc->sh->n, k = hc->sh->k;
	const int64_t pad = hc->st->pad, off = hc->st->off;
	const enum sb_layout l = hc->layout;
	const size_t osz = sb_dtype_size(hc->out);
	const double u = ldexp(1.0, -24), u_out = hc->out == SB_DT_F16 ?
	    ldexp(1.0, -11) : hc->out == SB_DT_BF16 ? ldexp(1.0, -8) : 0;
	/* largest |C| with integer data: |a|,|b| <= 2, |bias| <= 2 */
	const double cmax = 4.0 * (double)k + 2.0;
	const double exact_max = hc->out == SB_DT_F16 ? 2048 :
	    hc->out == SB_DT_BF16 ? 256 : 16777216;
	const int exact = hc->integer && cmax <= exact_max;
	/* cuBLASLt's bias epilogue with a half C rounds the product to the
	 * output type before it adds the bias in that type (seen on the
	 * H200, 2026-11-27: bf16 C within 1 ulp, not 1/2): one more rounding
	 * of A.B.  PyTorch's addmm goes through the same epilogue. */
	const double u_pre = hc->bias && hc->out != SB_DT_F32 &&
	    strcmp(hc->impl->name, "cublaslt") == 0 ? u_out : 0;
	struct sb_hgemm_call call;
	int64_t arows, acols, brows, bcols, lda, ldb, ldc, bad = 0, pad_bad = 0;
	int64_t gbad = 0;
	size_t na, nb, nc, ng;
	float *ha = NULL, *hb = NULL, *hbias = NULL, *hcf = NULL, *hgf = NULL;
	unsigned char *hcraw = NULL, *hgraw = NULL;
	void *da = NULL, *db = NULL, *dc = NULL, *dbias = NULL, *dg = NULL;
	char name[200];
	int rc = 0;

	arows = l == SB_TN ? k : m;
	acols = l == SB_TN ? m : k;
	brows = l == SB_NT ? n : k;
	bcols = l == SB_NT ? k : n;
	lda = acols + pad;
	ldb = bcols + pad;
	ldc = n + pad;
	na = (size_t)(arows * lda + off);
	nb = (size_t)(brows * ldb + off);
	nc = (size_t)(m * ldc + off);
	ng = (size_t)(m + 1);		/* one guard entry after bgrad */
	snprintf(name, sizeof(name), "gemm.%s%s.%s.%s %lldx%lldx%lld %s%s%s%s",
	    sb_dtype_name(hc->in), hc->out == SB_DT_F32 ? "-f32" : "",
	    hc->impl->name, sb_layout_name(l), (long long)m, (long long)n,
	    (long long)k, hc->st->name, hc->bias ? " bias" : "",
	    hc->bgrad ? " bgrad" : "", hc->integer ? " int" : "");

	ha = malloc(na * sizeof(float));
	hb = malloc(nb * sizeof(float));
	hbias = malloc((size_t)n * sizeof(float));
	hcraw = malloc(nc * osz);
	hcf = malloc(nc * sizeof(float));
	hgraw = malloc(ng * osz);
	hgf = malloc(ng * sizeof(float));
	if (ha == NULL || hb == NULL || hbias == NULL || hcraw == NULL ||
	    hcf == NULL || hgraw == NULL || hgf == NULL) {
		CHECK(name, !"out of host memory");
		rc = -1;
		goto done;
	}
	for (size_t i = 0; i < na; i++)
		ha[i] = NAN;
	for (size_t i = 0; i < nb; i++)
		hb[i] = NAN;
	for (int64_t r0 = 0; r0 < arows; r0++)
		for (int64_t c0 = 0; c0 < acols; c0++)
			ha[off + r0 * lda + c0] = hvalue(rng, hc->integer,
			    hc->in);
	for (int64_t r0 = 0; r0 < brows; r0++)
		for (int64_t c0 = 0; c0 < bcols; c0++)
			hb[off + r0 * ldb + c0] = hvalue(rng, hc->integer,
			    hc->in);
	for (int64_t j = 0; j < n; j++)
		hbias[j] = hvalue(rng, hc->integer, hc->in);

	da = hdev_copy(hc->in, ha, na);
	db = hdev_copy(hc->in, hb, nb);
	dbias = hdev_copy(hc->in, hbias, (size_t)n);
	if (da == NULL || db == NULL || dbias == NULL ||
	    cudaMalloc(&dc, nc * osz) != cudaSuccess ||
	    cudaMalloc(&dg, ng * osz) != cudaSuccess ||
	    cudaMemset(dc, 0xff, nc * osz) != cudaSuccess ||
	    cudaMemset(dg, 0xff, ng * osz) != cudaSuccess) {
		CHECK(name, !"device allocation or copy failed");
		rc = -1;
		goto done;
	}
	sb_hgemm_call_init(&call, l, hc->in, hc->out, m, n, k,
	    (char *)da + off * sb_dtype_size(hc->in),
	    (char *)db + off * sb_dtype_size(hc->in), (char *)dc + off * osz);
	call.lda = lda;
	call.ldb = ldb;
	call.ldc = ldc;
	call.bias = hc->bias ? dbias : NULL;
	call.bgrad = hc->bgrad ? dg : NULL;
	if (hc->impl->gemm(g, &call) != 0 ||
	    cudaStreamSynchronize(g->stream) != cudaSuccess) {
		fprintf(stderr, "%s: %s / %s\n", name, g->err,
		    cudaGetErrorString(cudaGetLastError()));
		CHECK(name, !"the GEMM call failed");
		rc = -1;
		goto done;
	}
	if (cudaMemcpy(hcraw, dc, nc * osz, cudaMemcpyDeviceToHost) !=
	    cudaSuccess || cudaMemcpy(hgraw, dg, ng * osz,
	    cudaMemcpyDeviceToHost) != cudaSuccess) {
		CHECK(name, !"copy back failed");
		rc = -1;
		goto done;
	}
	sb_convert_to_f32(hc->out, hcraw, hcf, nc);
	sb_convert_to_f32(hc->out, hgraw, hgf, ng);

	for (size_t i = 0; i < nc; i++) {
		const int64_t e = (int64_t)i - off;
		int poisoned = 1;

		if (e >= 0 && e % ldc < n)
			continue;
		for (size_t byte = 0; byte < osz; byte++)
			poisoned &= hcraw[i * osz + byte] == 0xff;
		pad_bad += !poisoned;
	}
	for (int64_t i = 0; i < m; i++)
		for (int64_t j = 0; j < n; j++) {
			double ref = 0, mag = 0, got, err;

			for (int64_t p = 0; p < k; p++) {
				const double x = gemm_ref_a(l, ha + off, lda,
				    i, p);
				const double y = gemm_ref_b(l, hb + off, ldb,
				    p, j);

				ref += x * y;
				mag += fabs(x * y);
			}
			if (hc->bias) {
				ref += hbias[j];
				mag += fabs((double)hbias[j]);
			}
			got = hcf[off + i * ldc + j];
			err = fabs(got - ref);
			if (exact ? !(got == ref) : !(err <= 2.0 * (double)k *
			    u * mag + u_out * fabs(ref) + u_pre * (fabs(ref) +
			    (hc->bias ? fabs((double)hbias[j]) : 0)) +
			    1e-30)) {
				if (bad++ == 0)
					fprintf(stderr, "%s: C[%lld,%lld] = "
					    "%.9g, want %.9g\n", name,
					    (long long)i, (long long)j, got,
					    ref);
			}
		}
	if (hc->bgrad) {
		/* bgrad[i] = Σ_p op(A)[i,p], rounded once to out */
		for (int64_t i = 0; i < m; i++) {
			double ref = 0, mag = 0;

			for (int64_t p = 0; p < k; p++) {
				const double x = gemm_ref_a(l, ha + off, lda,
				    i, p);

				ref += x;
				mag += fabs(x);
			}
			if (!(fabs(hgf[i] - ref) <= 2.0 * (double)k * u * mag +
			    u_out * fabs(ref) + 1e-30) && gbad++ == 0)
				fprintf(stderr, "%s: bgrad[%lld] = %.9g, want "
				    "%.9g\n", name, (long long)i, hgf[i], ref);
		}
		for (size_t byte = 0; byte < osz; byte++)
			gbad += hgraw[(size_t)m * osz + byte] != 0xff;
	} else {
		for (size_t byte = 0; byte < ng * osz; byte++)
			gbad += hgraw[byte] != 0xff;
	}
	CHECK(name, bad == 0);
	CHECK(name, pad_bad == 0);
	CHECK(name, gbad == 0);
	printf("%-64s %s\n", name, bad == 0 && pad_bad == 0 && gbad == 0 ?
	    "ok" : "FAIL");
done:
	(void)cudaFree(da);
	(void)cudaFree(db);
	(void)cudaFree(dc);
	(void)cudaFree(dbias);
	(void)cudaFree(dg);
	free(ha);
	free(hb);
	free(hbias);
	free(hcraw);
	free(hcf);
	free(hgraw);
	free(hgf);
	return rc;
}

static int
run_half(struct sb_gpu *g, int cc, struct sb_rng *rng)
{
	static const struct shape shapes[] = {
		{ 1, 1, 1 }, { 7, 13, 5 }, { 127, 129, 65 }, { 257, 33, 1025 },
	};
	static const struct storage storages[] = {
		{ "packed", 0, 0 }, { "ld+1", 1, 0 }, { "ld+3,off1", 3, 1 },
	};
	static const enum sb_dtype ins[2] = { SB_DT_F16, SB_DT_BF16 };

	for (int i = 0; sb_hgemms[i] != NULL; i++) {
		const struct sb_hgemm *impl = sb_hgemms[i];

		if (cc < impl->min_cc) {
			printf("half %s: skipped: needs cc %d\n", impl->name,
			    impl->min_cc);
			continue;
		}
		for (int l = 0; l < SB_LAYOUT_COUNT; l++)
		for (int t = 0; t < 2; t++)
		for (int o = 0; o < 2; o++)
		for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++)
		for (size_t st = 0; st < sizeof(storages) / sizeof(storages[0]);
		    st++)
		for (int bias = 0; bias <= 1; bias++)
		for (int bgrad = 0; bgrad <= (impl->bgrad_epilogue &&
		    l == SB_TN); bgrad++)
		for (int integer = 0; integer <= 1; integer++) {
			struct hcase hc;

			hc.impl = impl;
			hc.layout = (enum sb_layout)l;
			hc.in = ins[t];
			hc.out = o ? SB_DT_F32 : ins[t];
			hc.sh = &shapes[s];
			hc.st = &storages[st];
			hc.bias = bias;
			hc.bgrad = bgrad;
			hc.integer = integer;
			if (run_hcase(g, &hc, rng) < 0)
				return -1;
		}
	}
	return 0;
}
