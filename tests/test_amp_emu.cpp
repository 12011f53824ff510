/*
 * tests/test_amp_emu.cpp — the mixed-precision step's own kernels
 * (kernels/amp_kernels.cuh: cast, loss gradient, bias gradient, unscale,
 * scaler update) run on the CPU in the CUDA emulator (tests/emu/), each
 * against the host's independent code: kernels/half.c for every rounding,
 * kernels/scaler.c for the update.  Then the whole step — these kernels
 * around the mma.sync GEMM (kernels/gemm_f16_mma.cuh) in step_amp.c's order
 * — against the host autocast step, kernels/ref_step_amp.c:
 *
 *   amp-emu.1  cast: f32 -> f16/bf16 bit for bit (ties, overflow to inf,
 *              subnormals, NaN), three tensors of different sizes in one
 *              launch.
 *   amp-emu.2  loss: dy_h bit for bit, loss_sum to 1e-12, found_inf
 *              cleared and scale_used recorded; one block and many (the
 *              atomic path).
 *   amp-emu.3  bias gradient: integer data (exact sums) bit for bit, f16,
 *              bf16 and f32 outputs, one slab and several (the finishing
 *              pass); random data within the float accumulation bound.
 *   amp-emu.4  unscale: power-of-two and other scales, a NaN and an inf
 *              found, the planted inf (inject_at) only at its step, the
 *              plain upcast without a scaler.
 *   amp-emu.5  update: every transition against sb_scaler_update.
 *   amp-emu.6  the step: integer inputs (every value exact) bit for bit
 *              against ref_step_amp, fp16 with the scaler and bf16 without;
 *              random inputs within a few half ulps.
 *
 * The emulator has no atomics: CTAs run one at a time, so a plain add is
 * what atomicAdd would do, and is defined here for the loss kernel.
 * SB_EMU_FILTER=substring runs only the cases whose name contains it.
 */
extern "C" {
#include "step.h"	/* plain C, no guards of its own */
}
#include "amp.h"	/* cuda_runtime.h before the emulator's macros */
#include "emu/cuda_emu.h"

static inline double
atomicAdd(double *p, double v)
{
	const double old = *p;

	*p = old + v;
	return old;
}

#include "amp_kernels.cuh"
#include "gemm_f16_mma.cuh"

#include <float.h>
#include <stdlib.h>
#include <string.h>

#include <vector>

#include "testkit.h"
extern "C" {	/* plain-C headers without their own guards */
#include "half.h"
#include "ref_step_amp.h"
}
#include "scaler.h"

static char emu_err[512];

static int
wanted(const char *name)
{
	const char *f = getenv("SB_EMU_FILTER");

	return f == NULL || strstr(name, f) != NULL;
}

static int
launch(dim3 grid, dim3 block, const std::function<void()> &body,
    const char *label)
{
	return sb_emu_run(grid, block, body, SB_EMU_FORWARD, 1, label);
}

static uint32_t rng_state = 12345;

static float
urand(float lo, float hi)
{
	rng_state = rng_state * 1664525u + 1013904223u;
	return lo + (hi - lo) * (float)(rng_state >> 8) / 16777216.0f;
}

static float
irand(int lo, int hi)
{
	rng_state = rng_state * 1664525u + 1013904223u;
	return (float)(lo + (int)((rng_state >> 8) % (uint32_t)(hi - lo + 1)));
}

static uint16_t
bits16(const void *p, size_t i)
{
	return static_cast<const uint16_t *>(p)[i];
}

static float
of16(enum sb_dtype dt, uint16_t b)
{
	return dt == SB_DT_F16 ? sb_f16_to_f32(b) : sb_bf16_to_f32(b);
}

static uint16_t
to16(enum sb_dtype dt, float f)
{
	return dt == SB_DT_F16 ? sb_f32_to_f16(f) : sb_f32_to_bf16(f);
}

static unsigned
blocks_for(int64_t count)
{
	const int64_t b = amp_cdiv(count, AMP_THREADS);

	return (unsigned)(b < AMP_MAX_BLOCKS ? b : AMP_MAX_BLOCKS);
}

/* --- amp-emu.1 ---------------------------------------------------------- */

template <typename T>
static void
test_cast(enum sb_dtype dt)
{
	const int64_t sizes[3] = { 1, 300, 2500 };
	std::vector<float> src[3];
	std::vector<uint16_t> dst[3];
	struct amp_cast_list l;
	char name[96];
	int64_t bad = 0;

	snprintf(name, sizeof(name), "amp-emu.1 cast %s", sb_dtype_name(dt));
	if (!wanted(name))
		return;
	memset(&l, 0, sizeof(l));
	for (int t = 0; t < 3; t++) {
		src[t].resize(sizes[t]);
		dst[t].assign(sizes[t], 0xdead);
		for (int64_t i = 0; i < sizes[t]; i++)
			src[t][i] = urand(-2, 2) * ldexpf(1, (int)(i % 40) - 28);
		l.t[t].src = src[t].data();
		l.t[t].dst = dst[t].data();
		l.t[t].count = sizes[t];
	}
	/* the edges: ties, overflow, the smallest subnormal, NaN, inf, -0 */
	const float edge[] = { 65504.0f, 65520.0f, 65519.99f, 1e30f, -1e30f,
	    0x1p-24f, 0x1p-25f, 0x1.8p-24f, -0.0f, NAN, INFINITY, -INFINITY,
	    1.0f + 0x1p-11f, 1.0f + 0x1p-8f, 1.0f + 0x3p-11f };
	for (size_t i = 0; i < sizeof(edge) / sizeof(edge[0]); i++)
		src[2][i] = edge[i];
	if (launch(dim3(blocks_for(2500), 3), dim3(AMP_THREADS),
	    [&] { amp_cast_kernel<T>(l); }, name)) {
		CHECK(name, 0);
		return;
	}
	for (int t = 0; t < 3; t++)
		for (int64_t i = 0; i < sizes[t]; i++) {
			uint16_t want = dt == SB_DT_F16 ?
			    sb_f32_to_f16(src[t][i]) :
			    sb_f32_to_bf16(src[t][i]);
			uint16_t got = dst[t][i];
			/* any NaN is a NaN: payloads may differ */
			int nan_ok = isnan(src[t][i]) &&
			    isnan(dt == SB_DT_F16 ? sb_f16_to_f32(got) :
			    sb_bf16_to_f32(got));

			if (got != want && !nan_ok && bad++ < 5)
				printf("  %s: tensor %d [%lld] %a -> 0x%04x, "
				    "want 0x%04x\n", name, t, (long long)i,
				    src[t][i], got, want);
		}
	CHECK(name, bad == 0);
}

/* --- amp-emu.2 ---------------------------------------------------------- */

template <typename T>
static void
test_loss(enum sb_dtype dt, int64_t m, int64_t n, float scale)
{
	const int64_t total = m * n;
	std::vector<uint16_t> y(total), dy(total, 0xdead);
	std::vector<float> t(total);
	struct sb_amp_dev st;
	const float factor = 2.0f / (float)total;
	const unsigned blocks = blocks_for(total);
	double loss_sum = blocks > 1 ? 0.0 : NAN, want = 0;
	char name[128];
	int64_t bad = 0;

	snprintf(name, sizeof(name), "amp-emu.2 loss %s %lldx%lld scale %g",
	    sb_dtype_name(dt), (long long)m, (long long)n, scale);
	if (!wanted(name))
		return;
	for (int64_t i = 0; i < total; i++) {
		const float v = urand(-1.5f, 1.5f);

		y[i] = dt == SB_DT_F16 ? sb_f32_to_f16(v) : sb_f32_to_bf16(v);
		t[i] = urand(-1, 1);
	}
	memset(&st, 0, sizeof(st));
	st.scale = scale;
	st.found_inf = 1;
	if (launch(dim3(blocks), dim3(AMP_THREADS), [&] {
		amp_loss_dy_kernel<T>(reinterpret_cast<const T *>(y.data()),
		    t.data(), reinterpret_cast<T *>(dy.data()), &loss_sum, &st,
		    total, factor, blocks > 1);
	}, name)) {
		CHECK(name, 0);
		return;
	}
	for (int64_t i = 0; i < total; i++) {
		const float yv = of16(dt, y[i]);
		const float d = yv - t[i];
		const float g = (factor * d) * scale;
		const uint16_t w = dt == SB_DT_F16 ? sb_f32_to_f16(g) :
		    sb_f32_to_bf16(g);

		want += (double)d * (double)d;
		if (dy[i] != w && bad++ < 5)
			printf("  %s: dy[%lld] = 0x%04x, want 0x%04x\n", name,
			    (long long)i, dy[i], w);
	}
	CHECK(name, bad == 0);
	CHECK_NEAR(name, loss_sum, want, 1e-12);
	CHECK(name, st.found_inf == 0 && st.scale_used == scale);
}

/* --- amp-emu.3 ---------------------------------------------------------- */

/* the launcher's choice of slabs (amp.cu), repeated: the test must reach
 * both paths, and says which it ran */
static int
bgrad_slabs(int64_t m, int64_t n)
{
	int64_t gx = amp_cdiv(n, 32), gy = amp_cdiv(m, 8 * AMP_BGRAD_MIN_ROWS);

	if (gy > amp_cdiv(256, gx))
		gy = amp_cdiv(256, gx);
	if (gy > SB_AMP_BGRAD_SPLIT)
		gy = SB_AMP_BGRAD_SPLIT;
	return gy < 1 ? 1 : (int)gy;
}

template <typename T, typename O>
static void
test_bgrad(enum sb_dtype dt, enum sb_dtype out, int64_t m, int64_t n,
    int exact)
{
	std::vector<uint16_t> dy(m * n);
	std::vector<float> scratch(SB_AMP_SCRATCH(n), NAN);
	std::vector<unsigned char> db(n * sizeof(O), 0xff);
	const int gy = bgrad_slabs(m, n);
	char name[160];
	int64_t bad = 0;

	snprintf(name, sizeof(name), "amp-emu.3 bgrad %s->%s %lldx%lld %s "
	    "(%d slab%s)", sb_dtype_name(dt), sb_dtype_name(out),
	    (long long)m, (long long)n, exact ? "int" : "rand", gy,
	    gy > 1 ? "s" : "");
	if (!wanted(name))
		return;
	for (int64_t i = 0; i < m * n; i++)
		dy[i] = to16(dt, exact ? irand(-8, 8) : urand(-1, 1));
	const T *dyp = reinterpret_cast<const T *>(dy.data());
	O *dbp = reinterpret_cast<O *>(db.data());

	if (launch(dim3((unsigned)amp_cdiv(n, 32), (unsigned)gy), dim3(32, 8),
	    [&] { amp_bgrad_kernel<T, O>(dyp, dbp, scratch.data(), m, n); },
	    name) || (gy > 1 && launch(dim3((unsigned)amp_cdiv(n,
	    AMP_THREADS)), dim3(AMP_THREADS), [&] {
		amp_bgrad_finish_kernel<O>(scratch.data(), dbp, gy, n);
	}, name))) {
		CHECK(name, 0);
		return;
	}
	for (int64_t j = 0; j < n; j++) {
		double sum = 0, mag = 0, got;

		for (int64_t i = 0; i < m; i++) {
			sum += of16(dt, dy[i * n + j]);
			mag += fabs(of16(dt, dy[i * n + j]));
		}
		if (out == SB_DT_F32) {
			float f;

			memcpy(&f, db.data() + j * 4, 4);
			got = f;
		} else {
			uint16_t b;

			memcpy(&b, db.data() + j * 2, 2);
			got = of16(out, b);
		}
		/* exact: integer sums are exact in float, then one rounding;
		 * random: float accumulation (m·2^-24·Σ|dy|) and the rounding */
		const double want = sb_round_to(out, (float)sum);
		const double tol = exact ? 0 : (double)m * 0x1p-24 * mag +
		    (out == SB_DT_F32 ? 0 : fabs(sum) * (out == SB_DT_F16 ?
		    0x1p-11 : 0x1p-8));

		if (!(fabs(got - (exact ? want : sum)) <= tol) && bad++ < 5)
			printf("  %s: db[%lld] = %.9g, want %.9g (tol %.3g)\n",
			    name, (long long)j, got, exact ? want : sum, tol);
	}
	CHECK(name, bad == 0);
}

/* --- amp-emu.4 ---------------------------------------------------------- */

static void
test_unscale(float scale, int scaled, int inject_at, int step, int plant)
{
	std::vector<uint16_t> a(700), b(3);
	std::vector<float> fa(700, NAN), fb(3, NAN), c(50), fc(50, NAN);
	struct amp_unscale_list l;
	struct sb_amp_dev st;
	char name[160];
	int64_t bad = 0;
	int want_inf = 0;

	snprintf(name, sizeof(name), "amp-emu.4 unscale scale %g%s inject %d "
	    "at step %d%s", scale, scaled ? "" : " (no scaler)", inject_at,
	    step, plant ? " + NaN planted" : "");
	if (!wanted(name))
		return;
	for (auto &v : a)
		v = sb_f32_to_f16(urand(-3000, 3000));
	for (auto &v : b)
		v = sb_f32_to_f16(urand(-10, 10));
	for (auto &v : c)
		v = urand(-1e5f, 1e5f);
	if (plant) {
		a[123] = 0x7e00;	/* NaN */
		c[7] = INFINITY;
	}
	memset(&l, 0, sizeof(l));
	/* one launch per source type, as the step never mixes them */
	l.t[0] = { a.data(), fa.data(), 700 };
	l.t[1] = { b.data(), fb.data(), 3 };
	memset(&st, 0, sizeof(st));
	st.scale = scale;
	st.step = step;
	struct sb_amp_dev *sp = scaled ? &st : NULL;

	if (launch(dim3(blocks_for(700), 2), dim3(AMP_THREADS),
	    [&] { amp_unscale_kernel<__half>(l, sp, inject_at); }, name)) {
		CHECK(name, 0);
		return;
	}
	const float inv = scaled ? (float)(1.0 / (double)scale) : 1.0f;
	const int inject = scaled && inject_at >= 0 && step == inject_at;

	for (int i = 0; i < 700; i++) {
		float w = sb_f16_to_f32(a[i]) * inv;

		if (inject && i == 0)
			w = INFINITY;
		want_inf |= !isfinite(w);
		if (!(memcmp(&w, &fa[i], 4) == 0 || (isnan(w) &&
		    isnan(fa[i]))) && bad++ < 5)
			printf("  %s: a[%d] = %a, want %a\n", name, i, fa[i], w);
	}
	for (int i = 0; i < 3; i++) {
		float w = sb_f16_to_f32(b[i]) * inv;

		if (w != fb[i] && bad++ < 5)
			printf("  %s: b[%d] = %a, want %a\n", name, i, fb[i], w);
	}
	/* an fp32 source (--amp-wgrad f32) */
	struct amp_unscale_list lc;

	memset(&lc, 0, sizeof(lc));
	lc.t[0] = { c.data(), fc.data(), 50 };
	if (launch(dim3(1), dim3(AMP_THREADS),
	    [&] { amp_unscale_kernel<float>(lc, sp, -1); }, name)) {
		CHECK(name, 0);
		return;
	}
	for (int i = 0; i < 50; i++) {
		float w = c[i] * inv;

		want_inf |= !isfinite(w);
		if (w != fc[i] && bad++ < 5)
			printf("  %s: c[%d] = %a, want %a\n", name, i, fc[i], w);
	}
	CHECK(name, bad == 0);
	snprintf(name + strlen(name), sizeof(name) - strlen(name),
	    ": found_inf %d, want %d", st.found_inf, scaled && want_inf);
	CHECK(name, st.found_inf == (scaled && want_inf));
}

/* --- amp-emu.5 ---------------------------------------------------------- */

static void
test_update(void)
{
	const char *name = "amp-emu.5 update: every transition vs scaler.c";
	struct sb_scaler_cfg cfg[3];
	int bad = 0;

	if (!wanted(name))
		return;
	sb_scaler_cfg_default(&cfg[0]);
	cfg[0].interval = 3;
	sb_scaler_cfg_default(&cfg[1]);
	cfg[1].interval = 1;
	cfg[1].init_scale = FLT_MAX / 4;	/* growth overflows: kept */
	sb_scaler_cfg_default(&cfg[2]);
	cfg[2].init_scale = 3;			/* not a power of two */
	cfg[2].growth = 1.5f;
	cfg[2].backoff = 0.25f;
	cfg[2].interval = 2;
	for (int c = 0; c < 3; c++) {
		struct sb_scaler ref;
		struct sb_amp_dev st;

		sb_scaler_init(&ref, &cfg[c]);
		memset(&st, 0, sizeof(st));
		if (launch(dim3(1), dim3(1),
		    [&] { amp_reset_kernel(&st, cfg[c].init_scale); }, name)) {
			CHECK(name, 0);
			return;
		}
		for (int s = 0; s < 40; s++) {
			const int inf = s % 7 == 3 || s % 11 == 10;

			st.found_inf = inf;
			if (launch(dim3(1), dim3(1), [&] {
				amp_update_kernel(&st, cfg[c].growth,
				    cfg[c].backoff, cfg[c].interval);
			}, name)) {
				CHECK(name, 0);
				return;
			}
			sb_scaler_update(&ref, &cfg[c], inf);
			if ((st.scale != ref.scale || st.growth_tracker !=
			    ref.growth_tracker || st.step != s + 1) &&
			    bad++ < 5)
				printf("  %s: cfg %d step %d: scale %a tracker "
				    "%d, reference %a %d\n", name, c, s,
				    st.scale, st.growth_tracker, ref.scale,
				    ref.growth_tracker);
		}
	}
	CHECK(name, bad == 0);
}

/* --- amp-emu.6 ---------------------------------------------------------- */

static int
gemm(enum sb_layout layout, enum sb_dtype dt, int64_t m, int64_t n,
    int64_t k, const void *a, int64_t lda, const void *b, int64_t ldb,
    void *c, int64_t ldc, const void *bias, const char *name)
{
	struct hgemm_params p = { m, n, k, a, lda, b, ldb, c, ldc, bias };
	struct hgemm_launch L = hgemm_launch();
	struct sb_emu_opts o = { SB_EMU_FORWARD, 1, name };

	if (gemm_f16_mma_plan(layout, dt, dt, &p, &L) != 0) {
		printf("FAIL %s: the mma planner refused a GEMM of layout "
		    "%d\n", name, (int)layout);
		return -1;
	}
	if (sb_emu_launch_smem(L.grid, L.block, L.smem_bytes,
	    [&] { L.kernel(p); }, &o, NULL, emu_err, sizeof(emu_err)) != 0) {
		printf("FAIL %s: emulator: %s\n", name, emu_err);
		return -1;
	}
	return 0;
}

/* relative L2 distance, NaN if either side has one */
static double
rel_l2(const float *got, const float *want, size_t n)
{
	double d2 = 0, w2 = 0;

	for (size_t i = 0; i < n; i++) {
		const double d = (double)got[i] - (double)want[i];

		d2 += d * d;
		w2 += (double)want[i] * want[i];
	}
	return w2 > 0 ? sqrt(d2 / w2) : sqrt(d2);
}

template <typename T>
static void
test_step(enum sb_dtype dt, int scaled, int64_t m, int64_t n, int64_t k,
    int exact)
{
	const float S = scaled ? (exact ? 1024.0f : 65536.0f) : 1.0f;
	const float lr = 0.0625f;
	std::vector<float> x(m * k), t(m * n), w(n * k), b(n);
	std::vector<uint16_t> x_h(m * k), w_h(n * k), b_h(n), y_h(m * n),
	    dy_h(m * n), dw_h(n * k), db_h(n), dx_h(m * k);
	std::vector<float> dw(n * k), db(n), scratch(SB_AMP_SCRATCH(n));
	std::vector<float> ry(m * n), rdy(m * n), rdw(n * k), rdb(n),
	    rdx(m * k), rw, rb;
	struct sb_amp_dev st;
	struct sb_hstep_f32 s;
	struct sb_amp_opts ao;
	struct sb_scaler sc;
	struct sb_amp_step_out out;
	double loss_sum = NAN;
	char name[160];
	const float bound = 1.0f / sqrtf((float)k);

	snprintf(name, sizeof(name), "amp-emu.6 step %s%s %lldx%lldx%lld %s",
	    sb_dtype_name(dt), scaled ? "+scaler" : "", (long long)m,
	    (long long)n, (long long)k, exact ? "int" : "rand");
	if (!wanted(name))
		return;
	for (auto &v : x)
		v = exact ? irand(-1, 1) : urand(-1, 1);
	for (auto &v : t)
		v = exact ? irand(-2, 2) : urand(-1, 1);
	for (auto &v : w)
		v = exact ? irand(-1, 1) : urand(-bound, bound);
	for (auto &v : b)
		v = exact ? irand(-1, 1) : urand(-bound, bound);
	rw = w;
	rb = b;

	/* the host autocast step on its own copy */
	memset(&s, 0, sizeof(s));
	sb_dims_init(&s.d, m, n, k, 1);
	s.x = x.data();
	s.t = t.data();
	s.w[0] = rw.data();
	s.b[0] = rb.data();
	s.y[0] = ry.data();
	s.dy[0] = rdy.data();
	s.dw[0] = rdw.data();
	s.db[0] = rdb.data();
	s.dx = rdx.data();
	s.lr = lr;
	sb_amp_opts_default(&ao, dt);
	ao.scaled = scaled;
	ao.cfg.init_scale = S;
	ao.cfg.interval = 2;
	sb_scaler_init(&sc, &ao.cfg);
	if (ref_step_amp(&s, 1, &ao, &sc, 0, &out, NULL, NULL) != 0) {
		CHECK(name, 0);
		return;
	}

	/* the device step, kernel by kernel in step_amp.c's order */
	struct amp_cast_list cl;

	memset(&cl, 0, sizeof(cl));
	cl.t[0] = { x.data(), x_h.data(), m * k };
	cl.t[1] = { w.data(), w_h.data(), n * k };
	cl.t[2] = { b.data(), b_h.data(), n };
	memset(&st, 0, sizeof(st));
	st.scale = S;
	const unsigned lb = blocks_for(m * n);
	const int gy = bgrad_slabs(m, n);
	const T *dyp = reinterpret_cast<const T *>(dy_h.data());
	struct amp_unscale_list ul;

	memset(&ul, 0, sizeof(ul));
	ul.t[0] = { dw_h.data(), dw.data(), n * k };
	ul.t[1] = { db_h.data(), db.data(), n };
	if (lb > 1)
		loss_sum = 0;
	if (launch(dim3(blocks_for(m * k > n * k ? m * k : n * k), 3),
	    dim3(AMP_THREADS), [&] { amp_cast_kernel<T>(cl); }, name) ||
	    gemm(SB_NT, dt, m, n, k, x_h.data(), k, w_h.data(), k,
	    y_h.data(), n, b_h.data(), name) ||
	    launch(dim3(lb), dim3(AMP_THREADS), [&] {
		amp_loss_dy_kernel<T>(reinterpret_cast<const T *>(y_h.data()),
		    t.data(), reinterpret_cast<T *>(dy_h.data()), &loss_sum,
		    scaled ? &st : NULL, m * n, 2.0f / (float)(m * n), lb > 1);
	    }, name) ||
	    gemm(SB_TN, dt, n, k, m, dy_h.data(), n, x_h.data(), k,
	    dw_h.data(), k, NULL, name) ||
	    launch(dim3((unsigned)amp_cdiv(n, 32), (unsigned)gy), dim3(32, 8),
	    [&] {
		amp_bgrad_kernel<T, T>(dyp, reinterpret_cast<T *>(db_h.data()),
		    scratch.data(), m, n);
	    }, name) ||
	    (gy > 1 && launch(dim3((unsigned)amp_cdiv(n, AMP_THREADS)),
	    dim3(AMP_THREADS), [&] {
		amp_bgrad_finish_kernel<T>(scratch.data(),
		    reinterpret_cast<T *>(db_h.data()), gy, n);
	    }, name)) ||
	    gemm(SB_NN, dt, m, k, n, dy_h.data(), n, w_h.data(), k,
	    dx_h.data(), k, NULL, name) ||
	    launch(dim3(blocks_for(n * k), 2), dim3(AMP_THREADS), [&] {
		amp_unscale_kernel<T>(ul, scaled ? &st : NULL, -1);
	    }, name)) {
		CHECK(name, 0);
		return;
	}
	/* sgd (elementwise.cu, not emulated here) on the host, as it does it */
	if (!st.found_inf) {
		for (int64_t i = 0; i < n * k; i++)
			w[i] = w[i] - lr * dw[i];
		for (int64_t i = 0; i < n; i++)
			b[i] = b[i] - lr * db[i];
	}
	if (scaled && launch(dim3(1), dim3(1), [&] {
		amp_update_kernel(&st, ao.cfg.growth, ao.cfg.backoff,
		    ao.cfg.interval);
	}, name)) {
		CHECK(name, 0);
		return;
	}

	std::vector<float> y(m * n), dy(m * n), dx(m * k);

	for (int64_t i = 0; i < m * n; i++) {
		y[i] = of16(dt, y_h[i]);
		dy[i] = of16(dt, dy_h[i]) / S;
	}
	for (int64_t i = 0; i < m * k; i++)
		dx[i] = of16(dt, dx_h[i]) / S;
	std::vector<float> dbf(n), dwf(n * k);	/* the half gradients */

	for (int64_t i = 0; i < n * k; i++)
		dwf[i] = of16(dt, dw_h[i]) / S;
	for (int64_t i = 0; i < n; i++)
		dbf[i] = of16(dt, db_h[i]) / S;

	/* exact: bit for bit; random: a few half ulps (the GEMMs sum in
	 * another order than the host loops, so a rounding may flip) */
	const double tol = exact ? 0 : (dt == SB_DT_F16 ? 4 * 0x1p-11 :
	    4 * 0x1p-8);
	struct {
		const char	*what;
		const float	*got, *want;
		size_t		 n;
	} cmp[] = {
		{ "y", y.data(), ry.data(), (size_t)(m * n) },
		{ "dy", dy.data(), rdy.data(), (size_t)(m * n) },
		{ "dw", dw.data(), rdw.data(), (size_t)(n * k) },
		{ "db", db.data(), rdb.data(), (size_t)n },
		{ "dx", dx.data(), rdx.data(), (size_t)(m * k) },
		{ "w", w.data(), rw.data(), (size_t)(n * k) },
		{ "b", b.data(), rb.data(), (size_t)n },
	};
	for (size_t c = 0; c < sizeof(cmp) / sizeof(cmp[0]); c++) {
		char nm[224];
		const double e = rel_l2(cmp[c].got, cmp[c].want, cmp[c].n);

		snprintf(nm, sizeof(nm), "%s: %s (rel. error %.3g, allowed "
		    "%.3g)", name, cmp[c].what, e, tol);
		CHECK(nm, e <= tol);	/* NaN fails */
	}
	{
		char nm[224];

		snprintf(nm, sizeof(nm), "%s: loss", name);
		CHECK_NEAR(nm, loss_sum / (double)(m * n), s.loss,
		    exact ? 0 : 1e-6);
		snprintf(nm, sizeof(nm), "%s: scaler (found_inf %d/%d, scale "
		    "%g/%g)", name, st.found_inf, out.found_inf,
		    scaled ? st.scale : S, sc.scale);
		CHECK(nm, st.found_inf == out.found_inf &&
		    (!scaled || (st.scale == sc.scale &&
		    st.growth_tracker == sc.growth_tracker)));
	}
	(void)dbf;
	(void)dwf;
}

int
main(void)
{
	test_cast<__half>(SB_DT_F16);
	test_cast<__nv_bfloat16>(SB_DT_BF16);

	test_loss<__half>(SB_DT_F16, 10, 3, 65536);
	test_loss<__half>(SB_DT_F16, 300, 200, 1024);	/* several blocks */
	test_loss<__nv_bfloat16>(SB_DT_BF16, 7, 13, 1);

	test_bgrad<__half, __half>(SB_DT_F16, SB_DT_F16, 10, 3, 1);
	test_bgrad<__half, __half>(SB_DT_F16, SB_DT_F16, 1500, 40, 1);
	test_bgrad<__half, float>(SB_DT_F16, SB_DT_F32, 1500, 40, 0);
	test_bgrad<__nv_bfloat16, __nv_bfloat16>(SB_DT_BF16, SB_DT_BF16, 700,
	    33, 1);
	test_bgrad<__nv_bfloat16, float>(SB_DT_BF16, SB_DT_F32, 97, 65, 0);
	test_bgrad<__half, float>(SB_DT_F16, SB_DT_F32, 5000, 5, 1);

	test_unscale(65536, 1, -1, 0, 0);
	test_unscale(3, 1, -1, 0, 0);
	test_unscale(1024, 1, 2, 2, 0);		/* planted at its step */
	test_unscale(1024, 1, 2, 1, 0);		/* not at another */
	test_unscale(1024, 1, -1, 0, 1);	/* a NaN and an inf found */
	test_unscale(1024, 0, 0, 0, 1);		/* no scaler: upcast only */

	test_update();

	test_step<__half>(SB_DT_F16, 1, 16, 8, 8, 1);
	test_step<__nv_bfloat16>(SB_DT_BF16, 0, 16, 8, 8, 1);
	test_step<__half>(SB_DT_F16, 1, 40, 24, 56, 0);
	test_step<__nv_bfloat16>(SB_DT_BF16, 0, 33, 17, 9, 0);
	return check_summary("test_amp_emu");
}
