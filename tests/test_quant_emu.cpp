/*
 * tests/test_quant_emu.cpp — the int8 quantisation kernels
 * (kernels/quant_kernels.cuh: absmax, convert, dequant, sgd+absmax) run on
 * the CPU in the CUDA emulator (tests/emu/), each against a host loop that
 * follows kernels/quant.h's operation sequence, compared bit for bit:
 *
 *   quant-emu.absmax   amax bits per tensor and per row, f32 and f16
 *                      sources, ldx > cols, stored (one block per
 *                      segment) and atomic (several) paths, accumulate
 *                      onto an existing value; data: random, all zero,
 *                      one huge outlier, negative only, a NaN (its bits
 *                      beat +inf), an inf.
 *   quant-emu.convert  q bytes (K padding zeroed, bytes past the matrix
 *                      untouched), the scale(s) and the saturated count
 *                      for both schemes (act: /127 in [-127, 127]; weight:
 *                      /127.5 in [-128, 127]), per tensor and per row,
 *                      char4 stores (ldq % 4 == 0) and byte stores (odd
 *                      ldq, or q one byte off alignment); a NaN amax gives
 *                      a NaN scale and zeros.
 *   quant-emu.dequant  fmaf((float)acc, sa·sb[j], bias[j]) and its f16
 *                      rounding, per tensor and per channel, with and
 *                      without bias, ldacc, ldc > n.
 *   quant-emu.sgd      p - lr·g bit for bit and the absmax of the result,
 *                      per tensor and per row, items without amax, skip on
 *                      (p unchanged, absmax of it) and off.
 *
 * Sizes are odd (1, 3, 5, 255, 257, 1001, 1003 columns) and several grids
 * run each case: one block (grid-stride loops walk rows), a small grid
 * (blocks along y loop over segments), and the launcher's shape.  Cases
 * run under the forward schedule; under reverse and shuffled ones the
 * random (absmax) and outlier (convert) data on every grid, dequant and
 * sgd (a missing barrier in a block reduction, or between two segments a
 * block walks, reads a stale partial in one of them).
 *
 * The reference is kernels/quant.c: sb_q_absmax_host, sb_qsym_scale and
 * sb_qsym_one value by value, and sb_qsym_quantise end to end where the
 * amax is the data's.  The kernels use no float atomics (the emulator has
 * none).
 * SB_EMU_FILTER=substring runs only the cases whose name contains it.
 */
extern "C" {
#include "step.h"	/* plain C, no extern "C" of its own */
#include "quant.h"
}
#include "int8.h"	/* cuda_runtime.h before the emulator's macros */
#include "emu/cuda_emu.h"
#include "quant_kernels.cuh"

#include <float.h>
#include <stdlib.h>
#include <string.h>

#include <vector>

#include "testkit.h"

static enum sb_emu_order cur_order = SB_EMU_FORWARD;
static uint64_t cur_seed = 1;

static const enum sb_emu_order orders[] = { SB_EMU_FORWARD, SB_EMU_REVERSE,
    SB_EMU_SHUFFLE };

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
	return sb_emu_run(grid, block, body, cur_order, cur_seed++, label);
}

static uint32_t rng_state = 12345;

static float
urand(float lo, float hi)
{
	rng_state = rng_state * 1664525u + 1013904223u;
	return lo + (hi - lo) * (float)(rng_state >> 8) / 16777216.0f;
}

static uint32_t
fbits(float x)
{
	uint32_t u;

	memcpy(&u, &x, 4);
	return u;
}

static float
bitsf(uint32_t u)
{
	float x;

	memcpy(&x, &u, 4);
	return x;
}

/* --- the host reference: kernels/quant.c ------------------------------ */

static const struct sb_qsym *const schemes[] = { &sb_qsym_act,
    &sb_qsym_weight };

/* --- sources ---------------------------------------------------------- */

enum data { D_RANDOM, D_ZERO, D_OUTLIER, D_NEGATIVE, D_NAN, D_INF,
    D_HALFWAY };
static const char *const data_names[] = { "random", "zero", "outlier",
    "negative", "nan", "inf", "halfway" };

/* A (rows, cols, ldx) matrix: values as float (f16-representable when
 * f16), the padding columns a large sentinel that must not reach amax. */
struct src {
	enum sb_dtype		 t;
	int64_t			 rows, cols, ldx;
	std::vector<float>	 f;	/* rows · ldx, the values */
	std::vector<__half>	 h;	/* the same, when t is f16 */
	const void		*dev;
};

static void
src_make(struct src *s, enum sb_dtype t, int64_t rows, int64_t cols,
    int64_t ldx, enum data d)
{
	s->t = t;
	s->rows = rows;
	s->cols = cols;
	s->ldx = ldx;
	s->f.assign((size_t)(rows * ldx), 0.0f);
	for (int64_t i = 0; i < rows; i++)
		for (int64_t p = 0; p < ldx; p++) {
			float v;

			if (p >= cols)
				v = 60000.0f;	/* must not be read */
			else if (d == D_ZERO)
				v = 0.0f;
			else if (d == D_NEGATIVE)
				v = -urand(0.01f, 3.0f);
			else if (d == D_HALFWAY)	/* x·inv near k + 0.5 */
				v = ((float)((i * 7 + p) % 41) - 20.5f) /
				    20.0f;
			else
				v = urand(-2.0f, 2.0f);
			s->f[(size_t)(i * ldx + p)] = v;
		}
	if (d == D_OUTLIER)
		s->f[(size_t)((rows / 2) * ldx + cols / 2)] = 5000.0f;
	if (d == D_NAN)
		s->f[(size_t)((rows - 1) * ldx + cols - 1)] = NAN;
	if (d == D_INF)
		s->f[(size_t)(cols / 3)] = -INFINITY;
	if (d == D_HALFWAY)	/* amax 1: ±k/20 · 127 lands on .35, .85,... */
		s->f[0] = 1.0f;
	if (t == SB_DT_F16) {
		s->h.resize(s->f.size());
		for (size_t e = 0; e < s->f.size(); e++) {
			s->h[e] = __float2half_rn(s->f[e]);
			s->f[e] = __half2float(s->h[e]);
		}
		s->dev = s->h.data();
	} else
		s->dev = s->f.data();
}

/* The bits of sb_q_absmax_host over rows r0..r1.  A NaN's payload is
 * the host's, not necessarily the kernel's (an f16 NaN widens to
 * 0x7fffe000): compare with same_bits. */
static uint32_t
ref_amax(const struct src *s, int64_t r0, int64_t r1)
{
	uint32_t m = 0;

	for (int64_t i = r0; i < r1; i++) {
		const float a = sb_q_absmax_host(&s->f[(size_t)(i * s->ldx)],
		    s->cols);
		const uint32_t b = fbits(a);

		m = b > m ? b : m;
	}
	return m;
}

/* Equal bits, or both NaN. */
static int
same_bits(uint32_t a, uint32_t b)
{
	return a == b || (isnan(bitsf(a)) && isnan(bitsf(b)));
}

/* The grids a case runs under: one block, a small grid that makes blocks
 * loop over segments, and the launcher's own shape (quant.cu's q_grid). */
static dim3
grid_of(int which, int64_t nseg, int64_t units)
{
	int64_t gy = nseg < Q_GRID_Y_MAX ? nseg : Q_GRID_Y_MAX;
	int64_t gx = q_cdiv(units, Q_THREADS), cap;

	if (which == 0)
		return dim3(1, 1);
	if (which == 1)
		return dim3(3, nseg > 2 ? 2 : 1);
	if (gy > Q_MAX_BLOCKS)
		gy = Q_MAX_BLOCKS;
	cap = Q_MAX_BLOCKS / gy > 0 ? Q_MAX_BLOCKS / gy : 1;
	gx = gx > cap ? cap : (gx < 1 ? 1 : gx);
	return dim3((unsigned)gx, (unsigned)gy);
}

struct shape {
	int64_t	rows, cols, xpad;	/* ldx = cols + xpad */
};

static const struct shape shapes[] = {
	{ 1, 1, 0 }, { 3, 5, 2 }, { 5, 255, 0 }, { 2, 257, 3 },
	{ 1, 1001, 0 }, { 257, 3, 1 }, { 9, 1003, 5 }, { 40, 33, 0 },
};

/* --- absmax ----------------------------------------------------------- */

static void
case_absmax(enum sb_dtype t, const struct shape &sh, enum data d,
    int per_row, int which, int accumulate)
{
	char name[160];
	struct src s;
	const int64_t nseg = per_row ? sh.rows : 1;
	const dim3 grid = grid_of(which, nseg, per_row ? sh.cols :
	    sh.rows * sh.cols);
	const int store = !accumulate && grid.x == 1;
	std::vector<unsigned int> amax((size_t)nseg + 1);
	const uint32_t pre = fbits(0.75f), tail = 0xdeadbeefu;
	int bad = 0;

	snprintf(name, sizeof(name), "quant-emu.absmax.%s.%s.%s.%lldx%lld"
	    "+%lld.g%d%s.%s", sb_dtype_name(t), per_row ? "row" : "tensor",
	    data_names[d], (long long)sh.rows, (long long)sh.cols,
	    (long long)sh.xpad, which, accumulate ? ".acc" : "",
	    sb_emu_order_name(cur_order));
	if (!wanted(name))
		return;
	src_make(&s, t, sh.rows, sh.cols, sh.cols + sh.xpad, d);
	for (int64_t e = 0; e < nseg; e++)
		amax[(size_t)e] = store ? 0x12345678u : (accumulate ? pre : 0);
	amax[(size_t)nseg] = tail;
	const int rc = launch(grid, dim3(Q_THREADS), [&]() {
		if (t == SB_DT_F32)
			q_absmax_kernel<float>((const float *)s.dev, s.rows,
			    s.cols, s.ldx, per_row, amax.data(), store);
		else
			q_absmax_kernel<__half>((const __half *)s.dev, s.rows,
			    s.cols, s.ldx, per_row, amax.data(), store);
	}, name);
	CHECK(name, rc == 0);
	for (int64_t e = 0; e < nseg; e++) {
		uint32_t want = per_row ? ref_amax(&s, e, e + 1) :
		    ref_amax(&s, 0, s.rows);

		if (accumulate && pre > want)
			want = pre;
		if (!same_bits(amax[(size_t)e], want) && bad++ < 3)
			printf("  %s: amax[%lld] = 0x%08x, want 0x%08x\n", name,
			    (long long)e, amax[(size_t)e], want);
	}
	CHECK(name, bad == 0);
	CHECK(name, amax[(size_t)nseg] == tail);
	if (d == D_NAN)
		CHECK(name, isnan(bitsf(amax[(size_t)(per_row ? nseg - 1 :
		    0)])));
}

/* --- convert ---------------------------------------------------------- */

static void
case_convert(enum sb_dtype t, const struct shape &sh, enum data d,
    const struct sb_qsym &qs, int per_row, int which, int qpad, int qoff,
    int with_sat)
{
	char name[200];
	struct src s;
	const int64_t nseg = per_row ? sh.rows : 1;
	const int64_t ldq = sh.cols + qpad;
	const int vec4 = ldq % 4 == 0 && qoff % 4 == 0;
	const int64_t upr = vec4 ? ldq / 4 : ldq;
	const dim3 grid = grid_of(which, nseg, per_row ? upr : sh.rows * upr);
	std::vector<unsigned int> amax((size_t)nseg);
	std::vector<float> scale((size_t)nseg + 1, -1.0f);
	/* q: 8 bytes of guard each side, qoff bytes of offset before */
	std::vector<int8_t> qbuf((size_t)(sh.rows * ldq + 16 + qoff), 0x5a);
	int8_t *q = qbuf.data() + 8 + qoff;
	unsigned long long sat = 5;
	int64_t want_sat = 0;
	int bad = 0;

	snprintf(name, sizeof(name), "quant-emu.convert.%s.%s.%s.%s.%lldx%lld"
	    "+%lld.q%lld%s.g%d%s.%s", qs.name, sb_dtype_name(t),
	    per_row ? "row" : "tensor", data_names[d], (long long)sh.rows,
	    (long long)sh.cols, (long long)sh.xpad, (long long)ldq,
	    qoff ? ".off" : "", which, with_sat ? "" : ".nosat",
	    sb_emu_order_name(cur_order));
	if (!wanted(name))
		return;
	src_make(&s, t, sh.rows, sh.cols, sh.cols + sh.xpad, d);
	/* The amax the absmax kernel would give (tested above); D_OUTLIER
	 * also runs with an amax below the data so that values saturate. */
	for (int64_t e = 0; e < nseg; e++) {
		uint32_t a = per_row ? ref_amax(&s, e, e + 1) :
		    ref_amax(&s, 0, s.rows);

		if (d == D_OUTLIER)
			a = fbits(0.5f);
		amax[(size_t)e] = a;
	}
	const int rc = launch(grid, dim3(Q_THREADS), [&]() {
		if (t == SB_DT_F32 && vec4)
			q_convert_kernel<float, 4>((const float *)s.dev, s.rows,
			    s.cols, s.ldx, per_row, amax.data(), scale.data(),
			    q, ldq, qs.div, qs.qmin, qs.qmax,
			    with_sat ? &sat : NULL);
		else if (t == SB_DT_F32)
			q_convert_kernel<float, 1>((const float *)s.dev, s.rows,
			    s.cols, s.ldx, per_row, amax.data(), scale.data(),
			    q, ldq, qs.div, qs.qmin, qs.qmax,
			    with_sat ? &sat : NULL);
		else if (vec4)
			q_convert_kernel<__half, 4>((const __half *)s.dev,
			    s.rows, s.cols, s.ldx, per_row, amax.data(),
			    scale.data(), q, ldq, qs.div, qs.qmin, qs.qmax,
			    with_sat ? &sat : NULL);
		else
			q_convert_kernel<__half, 1>((const __half *)s.dev,
			    s.rows, s.cols, s.ldx, per_row, amax.data(),
			    scale.data(), q, ldq, qs.div, qs.qmin, qs.qmax,
			    with_sat ? &sat : NULL);
	}, name);
	CHECK(name, rc == 0);
	for (int64_t i = 0; i < sh.rows; i++) {
		const int64_t seg = per_row ? i : 0;
		const float sc = sb_qsym_scale(&qs, bitsf(amax[(size_t)seg]));
		volatile float inv = 1.0f / sc;

		if (per_row || i == 0) {
			if (!same_bits(fbits(scale[(size_t)seg]), fbits(sc)) &&
			    bad++ < 3)
				printf("  %s: scale[%lld] = %a, want %a\n", name,
				    (long long)seg, scale[(size_t)seg], sc);
		}
		for (int64_t p = 0; p < ldq; p++) {
			const int8_t want = p < sh.cols ?
			    sb_qsym_one(&qs, s.f[(size_t)(i * s.ldx + p)], inv,
			    &want_sat) : 0;
			const int8_t got = q[i * ldq + p];

			if (got != want && bad++ < 3)
				printf("  %s: q[%lld,%lld] = %d, want %d (x %a)"
				    "\n", name, (long long)i, (long long)p, got,
				    want, p < sh.cols ? s.f[(size_t)(i * s.ldx +
				    p)] : 0.0f);
		}
	}
	CHECK(name, bad == 0);
	CHECK(name, scale[(size_t)nseg] == -1.0f);
	for (int e = 0; e < 8 + qoff; e++)
		CHECK(name, qbuf[(size_t)e] == 0x5a);
	for (int e = 0; e < 8; e++)
		CHECK(name, q[sh.rows * ldq + e] == 0x5a);
	if (with_sat) {
		if (sat != 5 + (unsigned long long)want_sat)
			printf("  %s: sat %llu, want 5 + %lld\n", name, sat,
			    (long long)want_sat);
		CHECK(name, sat == 5 + (unsigned long long)want_sat);
	}
	if (d != D_OUTLIER) {	/* amax is the data's: quant.c end to end */
		std::vector<float> hs((size_t)nseg);
		std::vector<int8_t> hq((size_t)(sh.rows * ldq), 0x33);
		const int64_t hsat = sb_qsym_quantise(&qs, s.f.data(), s.rows,
		    s.cols, s.ldx, per_row, hs.data(), hq.data(), ldq);

		CHECK(name, hsat == want_sat);
		CHECK(name, memcmp(hq.data(), q, hq.size()) == 0);
		for (int64_t e = 0; e < nseg; e++)
			CHECK(name, same_bits(fbits(hs[(size_t)e]),
			    fbits(scale[(size_t)e])));
	} else
		CHECK(name, want_sat > 0);
	if (d == D_NAN)
		CHECK(name, isnan(scale[(size_t)(per_row ? nseg - 1 : 0)]));
}

/* --- dequant ---------------------------------------------------------- */

static void
case_dequant(enum sb_dtype out, int64_t m, int64_t n, int pc, int bias,
    int which)
{
	char name[160];
	const int64_t ldacc = n + 3, ldc = n + 1;
	std::vector<int32_t> acc((size_t)(m * ldacc));
	std::vector<float> sb((size_t)n), b((size_t)n), c32((size_t)(m * ldc +
	    1), -7.0f);
	std::vector<__half> c16((size_t)(m * ldc + 1), __float2half_rn(-7.0f));
	const float sa = 0.0123f;
	const dim3 grid = grid_of(which, 1, m * n);
	int bad = 0;

	snprintf(name, sizeof(name), "quant-emu.dequant.%s.%lldx%lld.%s%s.g%d"
	    ".%s", sb_dtype_name(out), (long long)m, (long long)n,
	    pc ? "pc" : "pt", bias ? ".bias" : "", which,
	    sb_emu_order_name(cur_order));
	if (!wanted(name))
		return;
	for (auto &v : acc)
		v = (int32_t)urand(-3e6f, 3e6f);
	for (int64_t j = 0; j < n; j++) {
		sb[(size_t)j] = urand(1e-4f, 1e-2f);
		b[(size_t)j] = urand(-1.0f, 1.0f);
	}
	const int rc = launch(grid, dim3(Q_THREADS), [&]() {
		if (out == SB_DT_F32)
			q_dequant_kernel<float>(acc.data(), m, n, ldacc, &sa,
			    sb.data(), pc, bias ? b.data() : NULL, c32.data(),
			    ldc);
		else
			q_dequant_kernel<__half>(acc.data(), m, n, ldacc, &sa,
			    sb.data(), pc, bias ? b.data() : NULL, c16.data(),
			    ldc);
	}, name);
	CHECK(name, rc == 0);
	for (int64_t i = 0; i < m; i++)
		for (int64_t j = 0; j < ldc; j++) {
			const size_t e = (size_t)(i * ldc + j);
			volatile float s2 = sa * sb[(size_t)(pc ? j : 0)];
			const float want = j < n ? fmaf((float)acc[(size_t)(i *
			    ldacc + j)], s2, bias ? b[(size_t)j] : 0.0f) :
			    -7.0f;
			uint32_t got, w;

			if (out == SB_DT_F32) {
				got = fbits(c32[e]);
				w = fbits(want);
			} else {
				__half h = __float2half_rn(want);

				got = 0;
				w = 0;
				memcpy(&got, &c16[e], 2);
				memcpy(&w, &h, 2);
			}
			if (got != w && bad++ < 3)
				printf("  %s: c[%lld,%lld] 0x%x, want 0x%x\n",
				    name, (long long)i, (long long)j, got, w);
		}
	CHECK(name, bad == 0);
}

/* --- sgd + absmax ----------------------------------------------------- */

static void
case_sgd(int skipped, int which)
{
	char name[160];
	/* items: per-row weight, per-tensor bias, plain (no amax), per-tensor
	 * weight with a NaN gradient, a per-row weight with one row */
	struct it {
		int64_t	rows, cols;
		int	amax, per_row;
	} its[] = {
		{ 7, 1003, 1, 1 }, { 1, 7, 1, 0 }, { 5, 257, 0, 0 },
		{ 33, 65, 1, 0 }, { 1, 3, 1, 1 },
	};
	const int count = (int)(sizeof(its) / sizeof(its[0]));
	std::vector<std::vector<float>> p(count), p0(count), g(count);
	std::vector<std::vector<unsigned int>> am(count);
	struct q_sgd_list l;
	const float lr = 0.037f;
	const int32_t skip = skipped ? 1 : 0;
	unsigned gx = 1;
	int bad = 0;

	snprintf(name, sizeof(name), "quant-emu.sgd%s.g%d.%s",
	    skipped ? ".skip" : "", which, sb_emu_order_name(cur_order));
	if (!wanted(name))
		return;
	memset(&l, 0, sizeof(l));
	for (int k = 0; k < count; k++) {
		const int64_t n = its[k].rows * its[k].cols;
		int64_t want_x = 1;

		p[k].resize((size_t)n);
		g[k].resize((size_t)n);
		for (int64_t e = 0; e < n; e++) {
			p[k][(size_t)e] = urand(-1.0f, 1.0f);
			g[k][(size_t)e] = urand(-5.0f, 5.0f);
		}
		if (k == 3)
			g[k][(size_t)(n / 2)] = NAN;
		p0[k] = p[k];
		am[k].assign((size_t)its[k].rows + 1, 0);
		am[k][(size_t)its[k].rows] = 0xdeadbeefu;
		l.t[k].p = p[k].data();
		l.t[k].g = g[k].data();
		l.t[k].rows = its[k].rows;
		l.t[k].cols = its[k].cols;
		l.t[k].amax = its[k].amax ? am[k].data() : NULL;
		l.t[k].per_row = its[k].per_row;
		want_x = its[k].amax && its[k].per_row ? its[k].rows :
		    q_cdiv(n, Q_THREADS);
		if (which == 2 && (unsigned)want_x > gx)
			gx = (unsigned)want_x;
	}
	if (which == 1)
		gx = 3;
	const int rc = launch(dim3(gx, (unsigned)count), dim3(Q_THREADS),
	    [&]() { q_sgd_absmax_kernel(l, lr, &skip); }, name);
	CHECK(name, rc == 0);
	for (int k = 0; k < count; k++) {
		const int64_t n = its[k].rows * its[k].cols;
		std::vector<unsigned int> want((size_t)its[k].rows, 0);

		for (int64_t e = 0; e < n; e++) {
			float v = p0[k][(size_t)e];
			volatile float d = lr * g[k][(size_t)e];
			const size_t r = its[k].per_row ?
			    (size_t)(e / its[k].cols) : 0;
			uint32_t b;

			if (!skipped)
				v = v - d;
			if (fbits(p[k][(size_t)e]) != fbits(v) && bad++ < 3)
				printf("  %s: item %d p[%lld] %a, want %a\n",
				    name, k, (long long)e, p[k][(size_t)e], v);
			b = fbits(v) & 0x7fffffffu;
			want[r] = b > want[r] ? b : want[r];
		}
		for (int64_t r = 0; r < (its[k].per_row ? its[k].rows : 1);
		    r++) {
			const unsigned int w = its[k].amax ? want[(size_t)r] : 0;

			if (am[k][(size_t)r] != w && bad++ < 3)
				printf("  %s: item %d amax[%lld] 0x%08x, want "
				    "0x%08x\n", name, k, (long long)r,
				    am[k][(size_t)r], w);
		}
		CHECK(name, am[k][(size_t)its[k].rows] == 0xdeadbeefu);
	}
	if (!skipped)	/* the NaN gradient made item 3's absmax NaN */
		CHECK(name, isnan(bitsf(am[3][0])));
	CHECK(name, bad == 0);
}

/* --- emulator self-checks (cuda_emu.h notes 13, 14) ------------------- */

static void
emu_intrinsics(void)
{
	const char *name = "quant-emu.intrinsics";
	unsigned int u = 5;
	unsigned long long ull = 1ull << 40;

	CHECK(name, __float2int_rn(2.5f) == 2);
	CHECK(name, __float2int_rn(3.5f) == 4);
	CHECK(name, __float2int_rn(-2.5f) == -2);
	CHECK(name, __float2int_rn(NAN) == 0);
	CHECK(name, __float2int_rn(3e9f) == INT32_MAX);
	CHECK(name, __float2int_rn(-INFINITY) == INT32_MIN);
	CHECK(name, atomicMax(&u, 3u) == 5 && u == 5);
	CHECK(name, atomicMax(&u, 9u) == 5 && u == 9);
	CHECK(name, atomicAdd(&ull, 2ull) == 1ull << 40 &&
	    ull == (1ull << 40) + 2);
	CHECK(name, __uint_as_float(__float_as_uint(-1.5f)) == -1.5f);
	CHECK(name, __fdiv_rn(1.0f, 3.0f) == 1.0f / 3.0f);
}

int
main(void)
{
	static const enum data datas[] = { D_RANDOM, D_ZERO, D_OUTLIER,
	    D_NEGATIVE, D_NAN, D_INF, D_HALFWAY };
	static const enum sb_dtype types[] = { SB_DT_F32, SB_DT_F16 };

	setvbuf(stdout, NULL, _IOLBF, 0);
	emu_intrinsics();
	for (enum sb_emu_order o : orders) {
		const int all = o == SB_EMU_FORWARD;

		cur_order = o;
		for (enum sb_dtype t : types)
		for (const struct shape &sh : shapes)
		for (enum data d : datas)
		for (int per_row = 0; per_row < 2; per_row++)
		for (int which = 0; which < 3; which++) {
			if (!all && d != D_RANDOM)
				continue;
			case_absmax(t, sh, d, per_row, which, 0);
			if (d == D_RANDOM)
				case_absmax(t, sh, d, per_row, which, 1);
		}
		for (const struct sb_qsym *qs : schemes)
		for (enum sb_dtype t : types)
		for (const struct shape &sh : shapes)
		for (enum data d : datas)
		for (int per_row = 0; per_row < 2; per_row++)
		for (int which = 0; which < 3; which++) {
			if (!all && d != D_OUTLIER)
				continue;
			if (which == 1 && d != D_RANDOM && d != D_OUTLIER)
				continue;
			/* ldq: cols, padded to 16 (char4), odd (bytes) */
			case_convert(t, sh, d, *qs, per_row, which,
			    (int)((sh.cols + 15) / 16 * 16 - sh.cols), 0, 1);
			if (d == D_RANDOM || d == D_OUTLIER) {
				case_convert(t, sh, d, *qs, per_row, which, 0,
				    0, 1);
				case_convert(t, sh, d, *qs, per_row, which,
				    (sh.cols % 2) ? 2 : 1, 0, 1);
				case_convert(t, sh, d, *qs, per_row, which,
				    (int)((sh.cols + 15) / 16 * 16 - sh.cols),
				    1, which != 1);
			}
		}
		for (int out = 0; out < 2; out++)
		for (int which = 0; which < 3; which++) {
			const enum sb_dtype ot = out ? SB_DT_F16 : SB_DT_F32;

			case_dequant(ot, 1, 1, 0, 0, which);
			case_dequant(ot, 3, 5, 1, 1, which);
			case_dequant(ot, 33, 257, 0, 1, which);
			case_dequant(ot, 9, 1001, 1, 0, which);
		}
		for (int which = 0; which < 3; which++)
			for (int skipped = 0; skipped < 2; skipped++)
				case_sgd(skipped, which);
	}
	return check_summary("test_quant_emu");
}
