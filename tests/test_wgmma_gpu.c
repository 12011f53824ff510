/*
 * tests/test_wgmma_gpu.c — the Hopper wgmma GEMM (sb_hgemm_wgmma) on its
 * own path, on an sm_90 GPU, against fp64.  test_gemm_gpu walks every half
 * implementation too, but its storages (packed odd sizes, ld+1, ld+3) are
 * never TMA-legal, so there wgmma always takes its mma.sync fallback; this
 * test uses leading dimensions that are multiples of 8 elements and
 * asserts, through describe(), that the wgmma kernel is what ran:
 *
 *   wgmma-gpu-1  NT/TN/NN x f16/bf16 x fp32/half C x bias x random and
 *                integer data x odd shapes (1x1x1 .. 200x300x100) x
 *                storages ld8 (each ld rounded up to 8), ld8+8 (padded,
 *                NaN in the padding), off8 (every base 16 bytes further)
 *   wgmma-gpu-2  multi-wave persistent grids: BN 256 (2304x2048x136) and
 *                BN 128 (5000x520x24) tiles outnumbering the SMs
 *   wgmma-gpu-3  ld+1 goes to the fallback (describe names no wgmma
 *                kernel) and is still right
 *
 * C is poisoned (0xff bytes: NaN in every type) and its padding must stay
 * so.  Label gpu: exit 77 without a GPU, on a GPU that is not compute
 * capability 9.0, or with SB_WGMMA_FALLBACK set.  NEVER RUN yet.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cuda_runtime.h>

#include "device.h"
#include "gemm_h16.h"
#include "gemm_ref.h"
#include "gpu.h"
#include "half.h"
#include "rng.h"
#include "testkit.h"

struct wcase {
	enum sb_layout	 layout;
	enum sb_dtype	 in, out;
	int64_t		 m, n, k;
	const char	*storage;	/* "ld8", "ld8+8", "off8", "ld+1" */
	int		 bias, integer;
	int		 want_wgmma;	/* describe must name a wgmma kernel */
};

static int64_t
round8(int64_t x)
{
	return (x + 7) / 8 * 8;
}

/* the stored value, already rounded to the input type */
static float
value(struct sb_rng *rng, int integer, enum sb_dtype in)
{
	if (integer)
		return (float)((int)sb_rng_below(rng, 5) - 2);
	return sb_round_to(in, sb_rng_uniform(rng, -1, 1));
}

static void *
to_device(enum sb_dtype t, const float *x, size_t count)
{
	size_t size = sb_dtype_size(t);
	void *d = NULL, *h = malloc(count * size);
	int ok;

	if (h == NULL)
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
run(struct sb_gpu *g, const struct wcase *w, struct sb_rng *rng)
{
	const enum sb_layout l = w->layout;
	const int64_t m = w->m, n = w->n, k = w->k;
	const int64_t arows = l == SB_TN ? k : m, acols = l == SB_TN ? m : k;
	const int64_t brows = l == SB_NT ? n : k, bcols = l == SB_NT ? k : n;
	const size_t isz = sb_dtype_size(w->in), osz = sb_dtype_size(w->out);
	const double u = ldexp(1.0, -24), u_out = w->out == SB_DT_F16 ?
	    ldexp(1.0, -11) : w->out == SB_DT_BF16 ? ldexp(1.0, -8) : 0;
	/* integer data is exact while |C| <= 4k + 2 fits the output type */
	const double exact_max = w->out == SB_DT_F16 ? 2048 :
	    w->out == SB_DT_BF16 ? 256 : 16777216;
	const int exact = w->integer && 4.0 * (double)k + 2.0 <= exact_max;
	int64_t lda, ldb, ldc, off = 0, bad = 0, pad_bad = 0;
	size_t na, nb, nc;
	float *ha = NULL, *hb = NULL, *hbias = NULL, *hc = NULL;
	unsigned char *hraw = NULL;
	void *da = NULL, *db = NULL, *dc = NULL, *dbias = NULL;
	struct sb_hgemm_call call;
	struct sb_kernel_info info;
	char name[200];
	int rc = 0, is_wgmma;

	if (strcmp(w->storage, "ld+1") == 0) {
		lda = acols + 1;
		ldb = bcols + 1;
		ldc = n + 1;
	} else {
		const int64_t pad = strcmp(w->storage, "ld8+8") == 0 ? 8 : 0;

		lda = round8(acols) + pad;
		ldb = round8(bcols) + pad;
		ldc = round8(n) + pad;
		if (strcmp(w->storage, "off8") == 0)
			off = 8;
	}
	na = (size_t)(arows * lda + off);
	nb = (size_t)(brows * ldb + off);
	nc = (size_t)(m * ldc + off);
	(void)snprintf(name, sizeof(name), "wgmma.%s%s.%s %lldx%lldx%lld %s%s%s",
	    sb_dtype_name(w->in), w->out == SB_DT_F32 ? "-f32" : "",
	    sb_layout_name(l), (long long)m, (long long)n, (long long)k,
	    w->storage, w->bias ? " bias" : "", w->integer ? " int" : "");

	ha = malloc(na * sizeof(float));
	hb = malloc(nb * sizeof(float));
	hbias = malloc((size_t)n * sizeof(float));
	hc = malloc(nc * sizeof(float));
	hraw = malloc(nc * osz);
	if (ha == NULL || hb == NULL || hbias == NULL || hc == NULL ||
	    hraw == NULL) {
		CHECK(name, !"out of host memory");
		rc = -1;
		goto done;
	}
	/* NaN outside the matrices: a read past the true extents shows. */
	for (size_t i = 0; i < na; i++)
		ha[i] = NAN;
	for (size_t i = 0; i < nb; i++)
		hb[i] = NAN;
	for (int64_t r = 0; r < arows; r++)
		for (int64_t c = 0; c < acols; c++)
			ha[off + r * lda + c] = value(rng, w->integer, w->in);
	for (int64_t r = 0; r < brows; r++)
		for (int64_t c = 0; c < bcols; c++)
			hb[off + r * ldb + c] = value(rng, w->integer, w->in);
	for (int64_t j = 0; j < n; j++)
		hbias[j] = value(rng, w->integer, w->in);
	da = to_device(w->in, ha, na);
	db = to_device(w->in, hb, nb);
	dbias = to_device(w->in, hbias, (size_t)n);
	if (da == NULL || db == NULL || dbias == NULL ||
	    cudaMalloc(&dc, nc * osz) != cudaSuccess ||
	    cudaMemset(dc, 0xff, nc * osz) != cudaSuccess) {
		CHECK(name, !"device allocation or copy failed");
		rc = -1;
		goto done;
	}
	sb_hgemm_call_init(&call, l, w->in, w->out, m, n, k,
	    (char *)da + off * (int64_t)isz, (char *)db + off * (int64_t)isz,
	    (char *)dc + off * (int64_t)osz);
	call.lda = lda;
	call.ldb = ldb;
	call.ldc = ldc;
	call.bias = w->bias ? dbias : NULL;

	if (sb_hgemm_wgmma.describe(g, &call, &info) != 0) {
		fprintf(stderr, "%s: describe: %s\n", name, g->err);
		CHECK(name, !"describe failed");
		rc = -1;
		goto done;
	}
	is_wgmma = strncmp(info.name, "hgemm_wgmma.", 12) == 0;
	CHECK(name, is_wgmma == w->want_wgmma);
	if (is_wgmma != w->want_wgmma)
		fprintf(stderr, "%s: describe names '%s'; want %s\n", name,
		    info.name, w->want_wgmma ? "the wgmma kernel" :
		    "the fallback");
	CHECK(name, info.ctas_per_sm >= 1 && info.local_bytes == 0);
	if (sb_hgemm_wgmma.gemm(g, &call) != 0 ||
	    cudaStreamSynchronize(g->stream) != cudaSuccess) {
		fprintf(stderr, "%s: %s / %s\n", name, g->err,
		    cudaGetErrorString(cudaGetLastError()));
		CHECK(name, !"the GEMM call failed");
		rc = -1;
		goto done;
	}
	if (cudaMemcpy(hraw, dc, nc * osz, cudaMemcpyDeviceToHost) !=
	    cudaSuccess) {
		CHECK(name, !"copy back failed");
		rc = -1;
		goto done;
	}
	sb_convert_to_f32(w->out, hraw, hc, nc);
	for (size_t i = 0; i < nc; i++) {
		const int64_t e = (int64_t)i - off;
		int poisoned = 1;

		if (e >= 0 && e % ldc < n)
			continue;
		for (size_t byte = 0; byte < osz; byte++)
			poisoned &= hraw[i * osz + byte] == 0xff;
		pad_bad += !poisoned;
	}
	for (int64_t i = 0; i < m; i++)
		for (int64_t j = 0; j < n; j++) {
			double ref = 0, mag = 0, got;

			for (int64_t p = 0; p < k; p++) {
				double x = gemm_ref_a(l, ha + off, lda, i, p);
				double y = gemm_ref_b(l, hb + off, ldb, p, j);

				ref += x * y;
				mag += fabs(x * y);
			}
			if (w->bias) {
				ref += hbias[j];
				mag += fabs((double)hbias[j]);
			}
			got = hc[off + i * ldc + j];
			/* fp32 accumulation, then one rounding to out */
			if (exact ? !(got == ref) : !(fabs(got - ref) <=
			    2.0 * (double)k * u * mag + u_out * fabs(ref) +
			    1e-30)) {
				if (bad++ == 0)
					fprintf(stderr, "%s: C[%lld,%lld] = "
					    "%.9g, want %.9g\n", name,
					    (long long)i, (long long)j, got,
					    ref);
			}
		}
	CHECK(name, bad == 0);
	CHECK(name, pad_bad == 0);
	printf("%-56s %-4s %s grid %u smem %zu regs %d\n", name,
	    bad == 0 && pad_bad == 0 ? "ok" : "FAIL", info.name, info.grid[0],
	    info.dyn_smem, info.regs);
done:
	(void)cudaFree(da);
	(void)cudaFree(db);
	(void)cudaFree(dc);
	(void)cudaFree(dbias);
	free(ha);
	free(hb);
	free(hbias);
	free(hc);
	free(hraw);
	return rc;
}

int
main(void)
{
	static const int64_t shapes[][3] = {
		{ 1, 1, 1 }, { 7, 13, 5 }, { 127, 129, 65 }, { 200, 300, 100 },
	};
	static const char *storages[] = { "ld8", "ld8+8", "off8" };
	static const enum sb_dtype ins[] = { SB_DT_F16, SB_DT_BF16 };
	/* tiles outnumbering the SMs: BN 256 (18 x 8 tiles), BN 128
	 * (40 x 5 tiles) on a 132-SM H100/H200 */
	static const int64_t waves[][3] = {
		{ 2304, 2048, 136 }, { 5000, 520, 24 },
	};
	struct sb_device dev;
	struct sb_gpu g;
	struct sb_rng rng = { 5 };
	const char *forced = getenv("SB_WGMMA_FALLBACK");
	struct wcase w;

	sb_device_probe(&dev);
	if (dev.gpu_count == 0) {
		printf("test_wgmma_gpu: skipped: %s\n", dev.no_gpu_reason);
		return 77;
	}
	if (dev.gpu[0].cc_major != 9 || dev.gpu[0].cc_minor != 0) {
		printf("test_wgmma_gpu: skipped: wgmma runs on compute "
		    "capability 9.0 only, this is %d.%d (test_gemm_gpu covers "
		    "the mma.sync fallback)\n", dev.gpu[0].cc_major,
		    dev.gpu[0].cc_minor);
		return 77;
	}
	if (forced != NULL && forced[0] != '\0' && strcmp(forced, "0") != 0) {
		printf("test_wgmma_gpu: skipped: SB_WGMMA_FALLBACK is set\n");
		return 77;
	}
	memset(&g, 0, sizeof(g));
	if (cudaStreamCreate(&g.stream) != cudaSuccess) {
		fprintf(stderr, "test_wgmma_gpu: cudaStreamCreate failed\n");
		return 1;
	}
	memset(&w, 0, sizeof(w));
	/* wgmma-gpu-1 */
	for (int l = 0; l < SB_LAYOUT_COUNT; l++)
	for (int t = 0; t < 2; t++)
	for (int o = 0; o < 2; o++)
	for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++)
	for (size_t st = 0; st < sizeof(storages) / sizeof(storages[0]); st++)
	for (int bias = 0; bias <= 1; bias++)
	for (int integer = 0; integer <= 1; integer++) {
		w.layout = (enum sb_layout)l;
		w.in = ins[t];
		w.out = o ? SB_DT_F32 : ins[t];
		w.m = shapes[s][0];
		w.n = shapes[s][1];
		w.k = shapes[s][2];
		w.storage = storages[st];
		w.bias = bias;
		w.integer = integer;
		w.want_wgmma = 1;
		if (run(&g, &w, &rng) < 0)
			goto out;
	}
	/* wgmma-gpu-2 */
	for (int l = 0; l < SB_LAYOUT_COUNT; l++)
	for (int t = 0; t < 2; t++)
	for (size_t s = 0; s < sizeof(waves) / sizeof(waves[0]); s++) {
		w.layout = (enum sb_layout)l;
		w.in = ins[t];
		w.out = t ? SB_DT_F32 : ins[t];
		w.m = waves[s][0];
		w.n = waves[s][1];
		w.k = waves[s][2];
		w.storage = "ld8";
		w.bias = 1;
		w.integer = 0;
		w.want_wgmma = 1;
		if (run(&g, &w, &rng) < 0)
			goto out;
	}
	/* wgmma-gpu-3 */
	for (int l = 0; l < SB_LAYOUT_COUNT; l++) {
		w.layout = (enum sb_layout)l;
		w.in = SB_DT_F16;
		w.out = SB_DT_F32;
		w.m = 127;
		w.n = 129;
		w.k = 65;
		w.storage = "ld+1";
		w.bias = 1;
		w.integer = 0;
		w.want_wgmma = 0;
		if (run(&g, &w, &rng) < 0)
			goto out;
	}
out:
	(void)cudaStreamDestroy(g.stream);
	return check_summary("test_wgmma_gpu");
}
