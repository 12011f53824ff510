/*
 * tests/test_ref_int8.c — the host dynamic-int8 forward (kernels/
 * ref_int8.c), the train.int8dyn host step (ref_step_amp with int8) and
 * the int8 check and quality measures (harness/check_int8.c):
 *
 *   ri8-1  ref_forward_int8 against an fp64 oracle written here from
 *          quant.h's text (own quantisation, exact integer dots, double
 *          dequantise), per tensor and per channel, 3 layers at odd
 *          shapes; the saturation counts and activation scales it
 *          reports; its phase marks; bad options refused
 *   ri8-2  train.int8dyn on the host: on data the int8 grid and fp16 hold
 *          exactly its whole step equals the autocast step bit for bit
 *          (same y, so the backward is the fp16 one unchanged); on random
 *          data y is sb_linear_int8_sym's fp16 output from fp32 x and the
 *          master weights, everything is finite and the loss is close to
 *          the fp32 step's
 *   ri8-3  sb_check_int8: the host forward and an fmaf epilogue (the
 *          GPU's) pass, full and sampled, fp32 and fp16 out; one element
 *          off by 1e-3 relative, a NaN, all y × 1.01 fail
 *   ri8-4  sb_int8_quality: finite, small, err_affine differs from
 *          err_sym; the sampled estimate is close to the full one; the
 *          saturation counts are the forward's, sampled or not; one
 *          outlier in an unsampled row still sets the sampled rows' scale
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testkit.h"
#include "check_int8.h"
#include "half.h"
#include "hstep.h"
#include "quant.h"
#include "ref_int8.h"
#include "ref_step.h"
#include "ref_step_amp.h"
#include "scaler.h"

/* ---- an independent oracle --------------------------------------------- */

/* quant.h's symmetric scheme, written again: returns the saturated count */
static int64_t
oq(const float *x, int64_t rows, int64_t cols, float div, int qmin, int qmax,
    int per_row, float *scale, int *q)
{
	int64_t sat = 0;

	for (int64_t i = 0; i < rows; i++) {
		int64_t lo = per_row ? i : 0, hi = per_row ? i + 1 : rows;
		volatile float amax = 0, s, inv;

		for (int64_t r = lo; r < hi; r++)
			for (int64_t p = 0; p < cols; p++)
				if (fabsf(x[r * cols + p]) > amax)
					amax = fabsf(x[r * cols + p]);
		s = amax / div;
		if (s < FLT_EPSILON)
			s = FLT_EPSILON;
		inv = 1.0f / s;
		scale[per_row ? i : 0] = s;
		for (int64_t p = 0; p < cols; p++) {
			volatile float v = x[i * cols + p] * inv;
			float r = rintf(v);

			if (r > qmax || r < qmin) {
				sat++;
				r = r > qmax ? qmax : qmin;
			}
			q[i * cols + p] = (int)r;
		}
	}
	return sat;
}

/* y (m,n) in double from in (m,k), w (n,k), b; returns sat counts */
static void
oracle_layer(const float *in, const float *w, const float *b, int64_t m,
    int64_t n, int64_t k, int per_channel, double *y, float *xs_out,
    int64_t *sat_a, int64_t *sat_w)
{
	int *qx = malloc((size_t)(m * k) * sizeof(int));
	int *qw = malloc((size_t)(n * k) * sizeof(int));
	float *ws = malloc((size_t)n * sizeof(float)), xs;

	*sat_a += oq(in, m, k, 127.0f, -127, 127, 0, &xs, qx);
	*sat_w += oq(w, n, k, 127.5f, -128, 127, per_channel, ws, qw);
	for (int64_t i = 0; i < m; i++)
		for (int64_t j = 0; j < n; j++) {
			int64_t acc = 0;

			for (int64_t p = 0; p < k; p++)
				acc += (int64_t)qx[i * k + p] * qw[j * k + p];
			y[i * n + j] = (double)acc * xs *
			    ws[per_channel ? j : 0] + b[j];
		}
	if (xs_out != NULL)
		*xs_out = xs;
	free(qx);
	free(qw);
	free(ws);
}

/* the GPU's epilogue, fmaf, for the same layer: y (m,n) float */
static void
fma_layer(const float *in, const float *w, const float *b, int64_t m,
    int64_t n, int64_t k, int per_channel, float *y)
{
	int *qx = malloc((size_t)(m * k) * sizeof(int));
	int *qw = malloc((size_t)(n * k) * sizeof(int));
	float *ws = malloc((size_t)n * sizeof(float)), xs;
	int64_t sat = 0;

	sat += oq(in, m, k, 127.0f, -127, 127, 0, &xs, qx);
	sat += oq(w, n, k, 127.5f, -128, 127, per_channel, ws, qw);
	for (int64_t i = 0; i < m; i++)
		for (int64_t j = 0; j < n; j++) {
			int32_t acc = 0;

			for (int64_t p = 0; p < k; p++)
				acc += qx[i * k + p] * qw[j * k + p];
			y[i * n + j] = fmaf((float)acc,
			    xs * ws[per_channel ? j : 0], b[j]);
		}
	free(qx);
	free(qw);
	free(ws);
	(void)sat;
}

/* ---- ri8-1 -------------------------------------------------------------- */

static int marks[8], nmarks;

static void
mark(void *ctx, enum sb_phase ph)
{
	(void)ctx;
	if (nmarks < 8)
		marks[nmarks++] = (int)ph;
}

static void
forward(int per_channel)
{
	struct sb_dims d;
	struct sb_hstep_f32 s;
	struct sb_int8_opts o = { per_channel, 1 };
	struct sb_int8_obs obs;
	int64_t sat_a = 0, sat_w = 0;
	double worst = 0;
	int scales_ok = 1;

	sb_dims_init(&d, 11, 9, 13, 3);
	if (sb_hstep_f32_alloc(&s, &d, 0) != 0)
		abort();
	sb_hstep_fill_inputs(&s, 61 + per_channel, 0);
	sb_hstep_poison(&s);
	nmarks = 0;
	CHECK("ri8-1: forward runs", ref_forward_int8(&s, &o, &obs, mark,
	    NULL) == 0);
	for (int l = 0; l < d.layers; l++) {
		int64_t n = d.width[l + 1], k = d.width[l];
		double *y = malloc((size_t)(d.m * n) * sizeof(double));
		const float *in = l == 0 ? s.x : s.y[l - 1];
		float xs;

		oracle_layer(in, s.w[l], s.b[l], d.m, n, k, per_channel, y,
		    &xs, &sat_a, &sat_w);
		scales_ok &= obs.x_scale[l] == xs;
		for (int64_t e = 0; e < d.m * n; e++) {
			double err = fabs(s.y[l][e] - y[e]) /
			    fmax(fabs(y[e]), 1e-3);

			if (!(err <= worst))
				worst = err;
		}
		free(y);
	}
	printf("ri8-1: per_channel %d: worst relative error vs the fp64 "
	    "int8 oracle %.3g; saturated act %lld weight %lld\n",
	    per_channel, worst, (long long)obs.sat_act,
	    (long long)obs.sat_weight);
	CHECK("ri8-1: y within fp32 epilogue rounding of the oracle",
	    worst < 1e-5);
	CHECK("ri8-1: saturation counts", obs.sat_act == sat_a &&
	    obs.sat_weight == sat_w);
	CHECK("ri8-1: activation scales", scales_ok);
	CHECK("ri8-1: phases forward, end", nmarks == 2 &&
	    marks[0] == SB_PH_FORWARD && marks[1] == SB_PH_END);
	o.per_channel = 2;
	errno = 0;
	CHECK("ri8-1: per_channel 2 refused (EINVAL)",
	    ref_forward_int8(&s, &o, NULL, NULL, NULL) == -1 &&
	    errno == EINVAL);
	sb_hstep_f32_free(&s);
}

/* ---- ri8-2 -------------------------------------------------------------- */

static int
same(const float *a, const float *b, int64_t n)
{
	return memcmp(a, b, (size_t)n * sizeof(float)) == 0;
}

static void
train_exact(void)
{
	struct sb_dims d;
	struct sb_hstep_f32 a, b;
	struct sb_amp_opts oa, ob;
	struct sb_int8_opts i8 = { 0, 1 };
	struct sb_scaler sa, sb;
	struct sb_amp_step_out outa, outb;
	int64_t m, n, k;
	int ok = 1;

	sb_dims_init(&d, 6, 5, 8, 1);
	m = d.m; n = d.width[1]; k = d.width[0];
	if (sb_hstep_f32_alloc(&a, &d, 1) != 0 ||
	    sb_hstep_f32_alloc(&b, &d, 1) != 0)
		abort();
	sb_hstep_fill_inputs(&a, 7, 0);
	/* x = i/64 with amax 127/64 (act scale 1/64 exactly), w = j/128
	 * with amax 127.5/128 (weight scale 1/128), b on a 2^-13 grid: the
	 * int8 forward is exact (but see column 2) and so are fp16's casts
	 * and fp32 sums */
	for (int64_t e = 0; e < m * k; e++)
		a.x[e] = (float)((int)((e * 37) % 255) - 127) / 64.0f;
	a.x[3] = 127.0f / 64.0f;
	/* the weights' amax element quantises to 127.5 -> ±128 (never
	 * exact: PyTorch's /127.5 puts it on a tie), so it sits in column 2,
	 * which every row of x zeroes */
	for (int64_t i = 0; i < m; i++)
		a.x[i * k + 2] = 0.0f;
	for (int64_t e = 0; e < n * k; e++)
		a.w[0][e] = (float)((int)((e * 53) % 255) - 127) / 128.0f;
	a.w[0][2] = -127.5f / 128.0f;
	for (int64_t j = 0; j < n; j++)
		a.b[0][j] = (float)(j * 3 - 7) / 8192.0f;
	a.lr = 0.01f;
	sb_hstep_copy_inputs(&b, &a);
	b.lr = a.lr;
	sb_hstep_poison(&a);
	sb_hstep_poison(&b);
	sb_amp_opts_default(&oa, SB_DT_F16);
	sb_amp_opts_default(&ob, SB_DT_F16);
	CHECK("ri8-2: opts default int8 NULL", oa.int8 == NULL);
	ob.int8 = &i8;
	sb_scaler_init(&sa, &oa.cfg);
	sb_scaler_init(&sb, &ob.cfg);
	/* the scale 65536 may overflow fp16 on step 0: run until taken */
	for (int t = 0; t < 40; t++) {
		if (ref_step_amp(&a, 1, &oa, &sa, t, &outa, NULL, NULL) != 0 ||
		    ref_step_amp(&b, 1, &ob, &sb, t, &outb, NULL, NULL) != 0) {
			ok = 0;
			break;
		}
		if (!outa.skipped)
			break;
	}
	CHECK("ri8-2.1: both steps ran", ok);
	CHECK("ri8-2.1: a step was taken", !outa.skipped);
	CHECK("ri8-2.1: same skip and scale", outa.skipped == outb.skipped &&
	    outa.scale_used == outb.scale_used);
	CHECK("ri8-2.1: same y", same(a.y[0], b.y[0], m * n));
	CHECK("ri8-2.1: same loss", a.loss == b.loss);
	CHECK("ri8-2.1: same dy, dx", same(a.dy[0], b.dy[0], m * n) &&
	    same(a.dx, b.dx, m * k));
	CHECK("ri8-2.1: same dw, db", same(a.dw[0], b.dw[0], n * k) &&
	    same(a.db[0], b.db[0], n));
	CHECK("ri8-2.1: same updated w, b", same(a.w[0], b.w[0], n * k) &&
	    same(a.b[0], b.b[0], n));
	sb_hstep_f32_free(&a);
	sb_hstep_f32_free(&b);
}

static void
train_random(void)
{
	struct sb_dims d;
	struct sb_hstep_f32 s, init, f;
	struct sb_amp_opts o;
	struct sb_int8_opts i8 = { 1, 1 };
	struct sb_scaler st;
	struct sb_amp_step_out out;
	char why[256];
	int64_t m;
	int fin = 1, yok = 1;

	sb_dims_init(&d, 33, 17, 21, 2);
	m = d.m;
	if (sb_hstep_f32_alloc(&s, &d, 1) != 0 ||
	    sb_hstep_f32_alloc(&init, &d, 1) != 0 ||
	    sb_hstep_f32_alloc(&f, &d, 1) != 0)
		abort();
	sb_hstep_fill_inputs(&init, 99, 0);
	init.lr = 0.05f;
	sb_hstep_copy_inputs(&s, &init);
	sb_hstep_copy_inputs(&f, &init);
	s.lr = f.lr = init.lr;
	sb_hstep_poison(&s);
	sb_hstep_poison(&f);
	sb_amp_opts_default(&o, SB_DT_F16);
	o.int8 = &i8;
	o.cfg.init_scale = 1024.0f;
	sb_scaler_init(&st, &o.cfg);
	CHECK("ri8-2.2: int8 step runs",
	    ref_step_amp(&s, 1, &o, &st, 0, &out, NULL, NULL) == 0);
	ref_step_f32(&f, 1, NULL, NULL);
	for (int l = 0; l < d.layers; l++) {
		int64_t n = d.width[l + 1], k = d.width[l];
		float *y = malloc((size_t)(m * n) * sizeof(float));

		sb_linear_int8_sym(l == 0 ? init.x : s.y[l - 1], init.w[l],
		    init.b[l], y, m, n, k, &i8, SB_DT_F16, NULL);
		yok &= same(y, s.y[l], m * n);
		free(y);
		for (int64_t e = 0; e < m * n; e++)
			fin &= isfinite(s.y[l][e]) && isfinite(s.dy[l][e]);
		for (int64_t e = 0; e < n * k; e++)
			fin &= isfinite(s.dw[l][e]) && isfinite(s.w[l][e]);
	}
	printf("ri8-2: train.int8dyn loss %.6g, fp32 step loss %.6g\n", s.loss,
	    f.loss);
	CHECK("ri8-2.2: not skipped", !out.skipped);
	CHECK("ri8-2.2: y is the int8 forward (fp32 x, master w, f16 out)",
	    yok);
	CHECK("ri8-2.2: everything finite", fin && isfinite(s.loss));
	CHECK("ri8-2.2: loss close to the fp32 step's",
	    fabs(s.loss - f.loss) <= 0.02 * f.loss);
	o.dt = SB_DT_BF16;
	o.scaled = 0;
	CHECK("ri8-2.3: bf16 with int8 refused, naming dt",
	    sb_amp_opts_check(&o, why, sizeof(why)) == -1 &&
	    strstr(why, "bf16") != NULL);
	sb_hstep_f32_free(&s);
	sb_hstep_f32_free(&init);
	sb_hstep_f32_free(&f);
}

/* ---- ri8-3 -------------------------------------------------------------- */

static void
check_cases(void)
{
	struct sb_dims d;
	struct sb_hstep_f32 init, got;
	struct sb_int8_opts o = { 1, 1 };
	struct sb_check ck;
	const double tol32 = 1e-6, tol16 = 2e-3;
	int64_t big = 0;

	sb_dims_init(&d, 37, 29, 45, 2);
	if (sb_hstep_f32_alloc(&init, &d, 0) != 0 ||
	    sb_hstep_f32_alloc(&got, &d, 0) != 0)
		abort();
	sb_hstep_fill_inputs(&init, 5, 0);
	sb_hstep_copy_inputs(&got, &init);
	ref_forward_int8(&got, &o, NULL, NULL, NULL);

	sb_check_int8(&init, &got, &o, SB_DT_F32, tol32, 0, 1, &ck);
	printf("ri8-3: host forward, full: err %.3g (tol %g) %s\n",
	    ck.err[SB_CK_Y], tol32, ck.why);
	CHECK("ri8-3.1: host forward passes (full)", ck.ok &&
	    strcmp(ck.mode, "full") == 0 && isnan(ck.err[SB_CK_DW]));
	sb_check_int8(&init, &got, &o, SB_DT_F32, tol32, 64, 1, &ck);
	CHECK("ri8-3.1: host forward passes (sampled)", ck.ok &&
	    strcmp(ck.mode, "sampled") == 0);
	/* the GPU's fmaf epilogue, from its own layer inputs */
	for (int l = 0; l < d.layers; l++)
		fma_layer(l == 0 ? init.x : got.y[l - 1], init.w[l],
		    init.b[l], d.m, d.width[l + 1], d.width[l], 1, got.y[l]);
	sb_check_int8(&init, &got, &o, SB_DT_F32, tol32, 0, 1, &ck);
	printf("ri8-3: fmaf epilogue, full: err %.3g\n", ck.err[SB_CK_Y]);
	CHECK("ri8-3.2: an fmaf epilogue passes", ck.ok);

	/* one element off by 1e-3 relative: the largest of the last layer */
	for (int64_t e = 0; e < d.m * d.width[2]; e++)
		if (fabsf(got.y[1][e]) > fabsf(got.y[1][big]))
			big = e;
	got.y[1][big] *= 1.001f;
	sb_check_int8(&init, &got, &o, SB_DT_F32, tol32, 0, 1, &ck);
	printf("ri8-3: one element off: %s\n", ck.why);
	CHECK("ri8-3.3: one element off by 1e-3 fails", !ck.ok &&
	    strstr(ck.why, "layer 1") != NULL);
	got.y[1][big] /= 1.001f;
	ref_forward_int8(&got, &o, NULL, NULL, NULL);

	got.y[0][17] = NAN;
	sb_check_int8(&init, &got, &o, SB_DT_F32, tol32, 0, 1, &ck);
	CHECK("ri8-3.4: a NaN fails (full)", !ck.ok && isnan(ck.err[SB_CK_Y]));
	sb_check_int8(&init, &got, &o, SB_DT_F32, tol32, 3, 1, &ck);
	CHECK("ri8-3.4: a NaN feeding layer 1 fails (sampled)", !ck.ok);
	ref_forward_int8(&got, &o, NULL, NULL, NULL);
	/* in the last layer, where 3 samples would miss it: the scan */
	got.y[1][17] = NAN;
	sb_check_int8(&init, &got, &o, SB_DT_F32, tol32, 3, 1, &ck);
	CHECK("ri8-3.4: a NaN fails (sampled, by the scan)", !ck.ok &&
	    strstr(ck.why, "NaN") != NULL);
	ref_forward_int8(&got, &o, NULL, NULL, NULL);

	for (int l = 0; l < d.layers; l++)
		for (int64_t e = 0; e < d.m * d.width[l + 1]; e++)
			got.y[l][e] *= 1.01f;
	sb_check_int8(&init, &got, &o, SB_DT_F32, tol32, 0, 1, &ck);
	CHECK("ri8-3.5: y x 1.01 fails (full)", !ck.ok);
	sb_check_int8(&init, &got, &o, SB_DT_F32, tol32, 16, 1, &ck);
	CHECK("ri8-3.5: y x 1.01 fails (sampled)", !ck.ok);

	/* fp16 out, as the training forward writes it */
	for (int l = 0; l < d.layers; l++)
		sb_linear_int8_sym(l == 0 ? init.x : got.y[l - 1], init.w[l],
		    init.b[l], got.y[l], d.m, d.width[l + 1], d.width[l], &o,
		    SB_DT_F16, NULL);
	sb_check_int8(&init, &got, &o, SB_DT_F16, tol16, 0, 1, &ck);
	printf("ri8-3: f16 out: err %.3g (tol %g)\n", ck.err[SB_CK_Y], tol16);
	CHECK("ri8-3.6: f16 output passes", ck.ok);
	for (int64_t e = 0; e < d.m * d.width[2]; e++)
		got.y[1][e] = sb_round_to(SB_DT_F16, got.y[1][e] * 1.01f);
	sb_check_int8(&init, &got, &o, SB_DT_F16, tol16, 0, 1, &ck);
	CHECK("ri8-3.6: f16 y x 1.01 fails", !ck.ok);
	sb_hstep_f32_free(&init);
	sb_hstep_f32_free(&got);
}

/* ---- ri8-4 -------------------------------------------------------------- */

static void
quality(void)
{
	struct sb_dims d;
	struct sb_hstep_f32 init, got;
	struct sb_int8_opts o = { 0, 1 };
	struct sb_int8_quality qf, qs;
	struct sb_int8_obs obs;

	sb_dims_init(&d, 64, 24, 40, 2);
	if (sb_hstep_f32_alloc(&init, &d, 0) != 0 ||
	    sb_hstep_f32_alloc(&got, &d, 0) != 0)
		abort();
	sb_hstep_fill_inputs(&init, 8, 0);
	sb_hstep_copy_inputs(&got, &init);
	ref_forward_int8(&got, &o, &obs, NULL, NULL);
	CHECK("ri8-4: full quality", sb_int8_quality(&init, &o, 0, 3, &qf) ==
	    0);
	CHECK("ri8-4: sampled quality", sb_int8_quality(&init, &o, 16, 3, &qs)
	    == 0);
	printf("ri8-4: full: sym %.3g affine %.3g sat %lld/%lld; sampled: sym "
	    "%.3g affine %.3g sat %lld/%lld\n", qf.err_sym, qf.err_affine,
	    (long long)qf.sat_act, (long long)qf.sat_weight, qs.err_sym,
	    qs.err_affine, (long long)qs.sat_act, (long long)qs.sat_weight);
	CHECK("ri8-4: finite and small", isfinite(qf.err_sym) &&
	    isfinite(qf.err_affine) && qf.err_sym < 0.05 &&
	    qf.err_affine < 0.05 && qf.err_sym > 0);
	CHECK("ri8-4: affine differs from sym", qf.err_affine != qf.err_sym);
	CHECK("ri8-4: sampled close to full",
	    qs.err_sym > qf.err_sym / 2 && qs.err_sym < qf.err_sym * 2 &&
	    qs.err_affine > qf.err_affine / 2 &&
	    qs.err_affine < qf.err_affine * 2);
	CHECK("ri8-4: saturation counts are the forward's, sampled or not",
	    qf.sat_act == obs.sat_act && qf.sat_weight == obs.sat_weight &&
	    qs.sat_act == obs.sat_act && qs.sat_weight == obs.sat_weight);

	/* one outlier sets every row's activation scale: a sampled estimate
	 * must see it even when its row is not sampled */
	sb_dims_init(&d, 64, 24, 40, 1);
	sb_hstep_f32_free(&init);
	if (sb_hstep_f32_alloc(&init, &d, 0) != 0)
		abort();
	sb_hstep_fill_inputs(&init, 9, 0);
	init.x[5] = 100.0f;
	sb_int8_quality(&init, &o, 0, 3, &qf);
	sb_int8_quality(&init, &o, 4, 3, &qs);
	printf("ri8-4.2: outlier: full sym %.3g affine %.3g; sampled sym %.3g "
	    "affine %.3g\n", qf.err_sym, qf.err_affine, qs.err_sym,
	    qs.err_affine);
	CHECK("ri8-4.2: the outlier's scale reaches the sampled rows",
	    qs.err_sym > qf.err_sym / 2 && qs.err_affine > qf.err_affine / 2);
	sb_hstep_f32_free(&init);
	sb_hstep_f32_free(&got);
}

int
main(void)
{
	forward(0);
	forward(1);
	train_exact();
	train_random();
	check_cases();
	quality();
	return check_summary("test_ref_int8");
}
