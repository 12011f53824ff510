/*
 * tests/test_int8_fwd_emu.cpp — the dynamic-int8 Linear forward composed
 * from its device parts, as kernels/step_int8.c composes them, run on the
 * CPU in the CUDA emulator and compared with the host's version of the
 * same layer (kernels/quant.c sb_linear_int8_sym), which is what the CPU
 * variant runs and what the check's oracle quantises with:
 *
 *   absmax(x) -> convert(x, act scheme, K padded)      quant_kernels.cuh
 *   absmax(w) -> convert(w, weight scheme)  per tensor or per channel
 *   imma / dp4a GEMM, f32 epilogue (dequantise + bias) gemm_s8_*.cuh
 *
 * Asserted: the device's int8 activations and weights equal
 * sb_qsym_quantise's byte for byte (padding included), the scales equal
 * bit for bit, the saturated counts equal, and every output is within
 * 2 fp32 ulps of its terms (|acc·s| + |b|) of the host's (fmaf on the
 * device, two fp32 roundings on the host).  This is the claim the GPU check relies on — host and device
 * quantise alike — tested across the parts written separately.
 *
 * Shapes include the tutorial's 10x3x5 (K padded 5 -> 16), odd sizes and
 * a data set with one large outlier.
 */
extern "C" {
#include "step.h"
#include "quant.h"
}
#include "int8.h"
#include "emu/cuda_emu.h"
#include "quant_kernels.cuh"
#include "gemm_s8_dp4a.cuh"
#include "gemm_s8_imma.cuh"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <vector>

#include "testkit.h"

/* a check of the case `label` in scope */
#define CK(what, cond) do {						\
	if (cond) {							\
		check_pass_++;						\
	} else {							\
		check_fail_++;						\
		fprintf(stderr, "FAIL %s: %s\n", label, (what));	\
	}								\
} while (0)

static uint32_t rng = 2024;

static float
urand(void)
{
	rng = rng * 1664525u + 1013904223u;
	return (float)((rng >> 8) * (1.0 / 16777216.0)) * 2 - 1;
}

static int
emu(dim3 grid, dim3 block, size_t smem, const std::function<void()> &body,
    const char *label)
{
	struct sb_emu_opts o = { SB_EMU_SHUFFLE, 7, label };
	char err[512] = "";

	if (sb_emu_launch_smem(grid, block, smem, body, &o, NULL, err,
	    sizeof(err)) != 0) {
		printf("FAIL %s: emulator: %s\n", label, err);
		return -1;
	}
	return 0;
}

/* amax and convert of a (rows, cols) fp32 matrix, as sb_q_absmax and
 * sb_q_convert launch them (one block per segment: the stored path) */
static int
quantise_dev(const struct sb_qsym *q, const float *x, int64_t rows,
    int64_t cols, int per_row, float *scale, int8_t *out, int64_t ldq,
    unsigned long long *sat, const char *label)
{
	std::vector<unsigned int> amax(per_row ? rows : 1, 0);
	unsigned int *a = amax.data();
	dim3 grid(1, (unsigned)(per_row ? rows : 1));

	if (emu(grid, dim3(Q_THREADS), 0, [&] {
	    q_absmax_kernel<float>(x, rows, cols, cols, per_row, a, 1); },
	    label) != 0)
		return -1;
	return emu(grid, dim3(Q_THREADS), 0, [&] {
	    q_convert_kernel<float, 4>(x, rows, cols, cols, per_row, a, scale,
	    out, ldq, q->div, q->qmin, q->qmax, sat); }, label);
}

static void
one(const char *gemm, int64_t m, int64_t n, int64_t k, int per_channel,
    int outlier)
{
	const int64_t kq = sb_int8_kpad(k);
	const int64_t ns = per_channel ? n : 1;
	std::vector<float> x(m * k), w(n * k), b(n), y_host(m * n),
	    y_dev(m * n, NAN), xs_h(1), ws_h(ns), xs_d(1), ws_d(ns);
	std::vector<int8_t> xq_h(m * kq), wq_h(n * kq), xq_d(m * kq, 0x55),
	    wq_d(n * kq, 0x55);
	unsigned long long sat_a = 0, sat_w = 0;
	int64_t sa_h, sw_h;
	struct sb_int8_opts io = { per_channel, 1 };
	struct sb_int8_obs obs;
	struct igemm_params p;
	struct igemm_launch L;
	std::vector<int32_t> acc(m * n);
	double worst_eps = 0;
	char label[160];
	int rc;

	snprintf(label, sizeof(label), "int8-fwd.%s.%lldx%lldx%lld.%s%s",
	    gemm, (long long)m, (long long)n, (long long)k,
	    per_channel ? "pc" : "pt", outlier ? ".outlier" : "");
	for (auto &v : x)
		v = urand();
	for (auto &v : w)
		v = urand() / sqrtf((float)k);
	for (auto &v : b)
		v = urand() / sqrtf((float)k);
	if (outlier) {
		x[(size_t)(m * k / 2)] = 40.0f;
		w[(size_t)(k / 2)] = -3.0f;
	}

	/* the host: the layer, and its quantised operands */
	memset(&obs, 0, sizeof(obs));
	rc = sb_linear_int8_sym(x.data(), w.data(), b.data(), y_host.data(),
	    m, n, k, &io, SB_DT_F32, &obs);
	CK("the host forward runs", rc == 0);
	sa_h = sb_qsym_quantise(&sb_qsym_act, x.data(), m, k, k, 0,
	    xs_h.data(), xq_h.data(), kq);
	sw_h = sb_qsym_quantise(&sb_qsym_weight, w.data(), n, k, k,
	    per_channel, ws_h.data(), wq_h.data(), kq);

	/* the device parts */
	if (quantise_dev(&sb_qsym_act, x.data(), m, k, 0, xs_d.data(),
	    xq_d.data(), kq, &sat_a, label) != 0 ||
	    quantise_dev(&sb_qsym_weight, w.data(), n, k, per_channel,
	    ws_d.data(), wq_d.data(), kq, &sat_w, label) != 0) {
		CK("the quantisation kernels run", 0);
		return;
	}
	CK("activations: same int8 bytes as quant.c (padding too)",
	    memcmp(xq_h.data(), xq_d.data(), xq_h.size()) == 0);
	CK("weights: same int8 bytes as quant.c (padding too)",
	    memcmp(wq_h.data(), wq_d.data(), wq_h.size()) == 0);
	CK("the scales, bit for bit",
	    memcmp(xs_h.data(), xs_d.data(), 4) == 0 &&
	    memcmp(ws_h.data(), ws_d.data(), 4 * (size_t)ns) == 0);
	CK("the saturated counts agree with quant.c and the "
	    "host forward", (int64_t)sat_a == sa_h && (int64_t)sat_w == sw_h &&
	    obs.sat_act == sa_h && obs.sat_weight == sw_h);

	memset(&p, 0, sizeof(p));
	p.m = m;
	p.n = n;
	p.k = kq;
	p.a = xq_d.data();
	p.lda = kq;
	p.b = wq_d.data();
	p.ldb = kq;
	p.c = y_dev.data();
	p.ldc = n;
	p.a_scale = xs_d.data();
	p.b_scale = ws_d.data();
	p.b_per_channel = per_channel;
	p.bias = b.data();
	rc = strcmp(gemm, "imma") == 0 ?
	    gemm_s8_imma_plan(SB_DT_F32, &p, &L) :
	    gemm_s8_dp4a_plan(SB_DT_F32, &p, &L);
	if (rc != 0 || emu(L.grid, L.block, L.smem_bytes, [&] { L.kernel(p); },
	    label) != 0) {
		CK("the GEMM runs", 0);
		return;
	}
	/* the two differ only in the epilogue's roundings: fmaf((float)acc,
	 * s, b) against (float)acc * s then + b, so the bound is a couple of
	 * fp32 ulps of the terms, not of the (possibly cancelled) result */
	sb_igemm_host(m, n, kq, xq_h.data(), 0, 0, kq, wq_h.data(), kq,
	    acc.data(), n);
	for (int64_t i = 0; i < m; i++)
		for (int64_t j = 0; j < n; j++) {
			const float sc = xs_h[0] * ws_h[per_channel ? j : 0];
			const double t = fabs((double)(float)acc[i * n + j] *
			    sc) + fabs((double)b[j]);
			const double d = fabs((double)y_dev[i * n + j] -
			    (double)y_host[i * n + j]);
			const double r = t > 0 ? d / (t * FLT_EPSILON) : d;

			if (!(r <= worst_eps))	/* NaN propagates */
				worst_eps = r;
		}
	CK("every output within 2 fp32 ulps of its terms of the host "
	    "forward", worst_eps <= 2);
	if (!(worst_eps <= 2))
		printf("  %s: worst %.3g ulps of the terms\n", label,
		    worst_eps);
}

int
main(void)
{
	static const struct { int64_t m, n, k; } shapes[] = {
		{ 10, 3, 5 }, { 33, 17, 40 }, { 64, 48, 96 }, { 130, 65, 33 },
	};

	for (const char *g : { "imma", "dp4a" })
		for (const auto &s : shapes)
			for (int pc = 0; pc < 2; pc++)
				one(g, s.m, s.n, s.k, pc, 0);
	one("imma", 64, 48, 96, 0, 1);
	one("imma", 64, 48, 96, 1, 1);
	return check_summary("test_int8_fwd_emu");
}
