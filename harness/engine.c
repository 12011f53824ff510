/*
 * harness/engine.c — the measuring method, once, for every variant (see
 * engine.h).  Backends (engine_cpu.c, engine_gpu.c) only know how to run,
 * reset, read back and time a step; what is checked, when sampling stops
 * and what is recorded is decided here.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "check_int8.h"
#include "clock.h"
#include "engine_dp.h"
#include "engine_int.h"
#include "fingerprint.h"
#include "prof.h"
#include "prof_cupti.h"
#include "ref_step.h"
#include "registry.h"
#include "stats.h"

#define HOST_MEM_SHARE	0.8	/* of physical memory a point may use */
#define DEV_MEM_SHARE	0.9	/* of free device memory */

volatile sig_atomic_t sb_engine_interrupted;

static void	step_counts(const struct sb_dims *, int, int, double *,
		    double *);
static void	fill_check(struct sb_outcome *, const struct sb_check *);
static int	checked_step(struct sb_engine *, const struct sb_backend_ops *,
		    struct sb_ctx *, int, const struct sb_hstep_f64 *, double,
		    struct sb_check *);
static int	measure(struct sb_engine *, const struct sb_backend_ops *,
		    struct sb_ctx *, struct sb_outcome *);
/* Most steps the checked step retries while the loss scaler calibrates:
 * 2^64 below GradScaler's initial 2^16 is below any float. */
#define CALIBRATE_TRIES	80

static int	loss_curves(struct sb_engine *, const struct sb_backend_ops *,
		    struct sb_ctx *, struct sb_outcome *);
static void	pop_section(struct sb_ctx *);

void
sb_engine_opts_default(struct sb_engine_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->warmup = 3;
	o->min_samples = 10;
	o->max_samples = 1000;
	o->max_noise = 0.005;
	o->timeout_s = 3;
	o->l2_flush = 1;
	o->seed = 42;
	o->lr = 0.001f;
	o->lr_decay = SB_LR_CONST;
	o->check_budget_flop = 4e9;
	o->sample_entries = 256;
	sb_scaler_cfg_default(&o->scaler);
	o->inject_overflow = -1;
	o->dp_bucket_cap = 25 * SB_DDP_MIB;
	o->dp_first_bucket = 1 * SB_DDP_MIB;
	o->dp_compress = SB_DT_F32;
	o->cupti = 1;
	o->cupti_steps = 3;
}

double
sb_lr_at(const struct sb_engine_opts *o, int s, int n)
{
	switch (o->lr_decay) {
	case SB_LR_STEP: {
		/* StepLR(step_size = n/3, gamma = 0.1) */
		int size = n / 3 > 0 ? n / 3 : 1;

		return o->lr * pow(0.1, s / size);
	}
	case SB_LR_COSINE:
		/* CosineAnnealingLR(T_max = n, eta_min = 0) */
		return o->lr * 0.5 * (1 + cos(M_PI * s / (n > 0 ? n : 1)));
	default:
		return o->lr;
	}
}

void
sb_outcome_free(struct sb_outcome *o)
{
	free(o->samples);
	free(o->loss_curve);
	free(o->lr_curve);
	free(o->scale_curve);
	free(o->ref_loss_curve);
	free(o->skipped_curve);
	free(o->growth_curve);
	free(o->kernels);
	free(o->kernel_text);
	free(o->fingerprint_json);
	memset(o, 0, sizeof(*o));
}

int
sb_engine_create(struct sb_engine **out, const struct sb_device *dev)
{
	struct sb_engine *e;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return -1;
	e->dev = dev;
	prof_init();
	/* the names pushed every step go out as registered strings */
	for (int p = 0; p < SB_PH_COUNT; p++)
		prof_register(sb_phase_name((enum sb_phase)p));
	for (int b = 0; b < SB_DDP_MAX_PARAMS; b++) {
		char name[32];

		snprintf(name, sizeof(name), "allreduce.bucket%d", b);
		prof_register(name);
	}
	*out = e;
	return 0;
}

void
sb_engine_destroy(struct sb_engine *e)
{
	if (e == NULL)
		return;
	sb_backend_gpu_fini(e);
	free(e->cpu_flush);
	free(e);
}

void
sb_now_iso(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;

	char sec[24];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(sec, sizeof(sec), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%.19s.%03dZ", sec, (int)(ts.tv_nsec / 1000000));
}


/*
 * The op's own counts.  flops: every multiply-add of the GEMMs as 2, plus
 * the elementwise work (bias 1, loss 3, bias gradient 1, SGD 2 per element).
 * bytes: each operation's inputs read once and outputs written once, in
 * float — the compulsory traffic, not what caches make of it.
 */
static void
step_counts(const struct sb_dims *d, int train, int input_grad,
    double *flops, double *bytes)
{
	double m = (double)d->m, f = 0, e = 0;

	for (int l = 0; l < d->layers; l++) {
		double n = (double)d->width[l + 1], k = (double)d->width[l];

		f += 2 * m * n * k + m * n;
		e += m * k + n * k + n + m * n;
		if (!train)
			continue;
		f += 2 * m * n * k + m * n + 2 * (n * k + n);
		e += (m * n + m * k + n * k) + (m * n + n) + 3 * (n * k + n);
		if (l > 0 || input_grad) {
			f += 2 * m * n * k;
			e += m * n + n * k + m * k;
		}
	}
	if (train) {
		double mn = m * (double)d->width[d->layers];

		f += 3 * mn;
		e += 3 * mn;
	}
	*flops = f;
	*bytes = e * sizeof(float);
}

int
sb_outcome_skip(struct sb_outcome *o, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(o->reason, sizeof(o->reason), fmt, ap);
	va_end(ap);
	o->r.status = "skipped";
	o->r.reason = o->reason;
	return 0;
}

void
sb_outcome_init(struct sb_outcome *o)
{
	memset(o, 0, sizeof(*o));
	sb_now_iso(o->started_at, sizeof(o->started_at));
	o->r.started_at = o->started_at;
	o->r.over_peak = -1;
	o->r.median_us = o->r.mean_us = o->r.min_us = o->r.max_us = NAN;
	o->r.p10_us = o->r.p90_us = o->r.cv = NAN;
	o->r.tflops = o->r.gbps = o->r.peak_tflops = o->r.peak_gbps = NAN;
	o->r.err_y = o->r.err_loss = o->r.err_dw = o->r.err_db = NAN;
	o->r.err_dx = o->r.err_w = o->r.tol = o->r.err_recheck = NAN;
	o->r.loss = NAN;
	o->r.loss_divergence = NAN;
	o->r.quant_err_sym = o->r.quant_err_affine = NAN;
	o->r.quant_sat_act = o->r.quant_sat_weight = -1;
	o->r.status = "ok";
}

void
sb_engine_int8_opts(const struct sb_engine_opts *op, struct sb_int8_opts *io)
{
	memset(io, 0, sizeof(*io));
	io->per_channel = op->int8_per_channel;
	io->reduce_range = 1;	/* fbgemm's dynamic linear on x86 */
}

void
sb_outcome_summarise(struct sb_outcome *o, const struct sb_device *dev,
    int gpu)
{
	struct sb_stats st;

	sb_stats_compute(o->samples, o->r.nsamples, &st);
	o->r.median_us = st.median;
	o->r.mean_us = st.mean;
	o->r.min_us = st.min;
	o->r.max_us = st.max;
	o->r.p10_us = st.p10;
	o->r.p90_us = st.p90;
	o->r.cv = st.cv;
	o->r.tflops = o->r.flops / (st.median * 1e-6) / 1e12;
	o->r.gbps = o->r.bytes / (st.median * 1e-6) / 1e9;
	if (gpu && dev->gpu_count > 0) {
		const struct sb_gpu_info *g = &dev->gpu[0];
		const char *pr = o->r.precision != NULL ? o->r.precision : "";

		/* int8 dense tensor-core peak: twice fp16's on sm_80/sm_90
		 * (as stepbench gemm's s8 rows); the int8 training step's
		 * backward is fp16 */
		o->r.peak_tflops = strcmp(pr, "tf32") == 0 ?
		    g->peak_tf32_tflops : strstr(pr, "16") != NULL ?
		    g->peak_f16_tflops : strcmp(pr, "int8dyn") == 0 ?
		    (o->r.mode != NULL && strcmp(o->r.mode, "infer") == 0 ?
		    2 * g->peak_f16_tflops : g->peak_f16_tflops) :
		    g->peak_fp32_tflops;
		o->r.peak_gbps = g->peak_gbps;
		if (!isnan(o->r.peak_tflops) && !isnan(o->r.peak_gbps))
			o->r.over_peak = o->r.tflops > o->r.peak_tflops ||
			    o->r.gbps > o->r.peak_gbps;
	}
}

static void
fill_check(struct sb_outcome *o, const struct sb_check *c)
{
	snprintf(o->check_mode, sizeof(o->check_mode), "%s", c->mode);
	o->r.check_mode = o->check_mode;
	o->r.err_y = c->err[SB_CK_Y];
	o->r.err_loss = c->err[SB_CK_LOSS];
	o->r.err_dw = c->err[SB_CK_DW];
	o->r.err_db = c->err[SB_CK_DB];
	o->r.err_dx = c->err[SB_CK_DX];
	o->r.err_w = c->err[SB_CK_W];
	o->r.tol = c->tol_base;
}

/* reset, one step, read back, compare: in full against ref (int8
 * inference: against its own oracle, ref unused) or sampled.  Returns -1
 * on a backend error. */
static int
checked_step(struct sb_engine *e, const struct sb_backend_ops *bk,
    struct sb_ctx *c, int full, const struct sb_hstep_f64 *ref, double tol,
    struct sb_check *out)
{
	const struct sb_engine_opts *o = c->opts;
	uint64_t seed = o->seed ^ (uint64_t)c->pt->idx;

	prof_push(PROF_CAT_CHECK, "check");
	c->lr = o->lr;
	/* A loss scaler that overflows skips the step: as in training, the
	 * early steps calibrate the scale.  The parameters are restored and
	 * the step retried with the scale the scaler has backed off to, until
	 * a step is taken (which is then checked) or the scale is absurd. */
	for (int tries = 0;; tries++) {
		struct sb_amp_obs ob;

		if (bk->reset(e, c) || bk->step(e, c) || bk->readback(e, c)) {
			pop_section(c);	/* check */
			return -1;
		}
		c->fresh_scaler = 0;
		if (!c->train || !c->pt->variant->scaled ||
		    bk->amp_state == NULL)
			break;
		if (bk->amp_state(e, c, &ob)) {
			prof_pop();
			return -1;
		}
		if (!ob.skipped)
			break;
		if (tries == CALIBRATE_TRIES) {
			snprintf(c->err, sizeof(c->err), "the loss scaler "
			    "skipped %d steps in a row (scale now %g): the "
			    "gradients are inf/NaN at any scale",
			    CALIBRATE_TRIES + 1, ob.scale);
			prof_pop();
			return -1;
		}
	}
	const struct sb_hstep_f32 *ci = &c->init, *cg = &c->got;
	char dp_mismatch[256] = "";

	if (c->dp != NULL) {
		/* the replicas' shards, gathered: the step of the full batch */
		if (sb_dp_gather(c, &c->dp->fgot, dp_mismatch,
		    sizeof(dp_mismatch))) {
			prof_pop();
			return -1;
		}
		ci = &c->dp->finit;
		cg = &c->dp->fgot;
	}
	if (c->pt->variant->int8 && !c->train) {
		/* int8 inference: against the int8 scheme's own oracle */
		struct sb_int8_opts io;

		sb_engine_int8_opts(o, &io);
		if (sb_check_int8(&c->init, &c->got, &io, SB_DT_F32, tol,
		    full ? 0 : o->sample_entries, seed, out) != 0) {
			snprintf(c->err, sizeof(c->err), "the int8 check: %s",
			    out->why);
			prof_pop();
			return -1;
		}
	} else if (full)
		sb_check_full(ref, ci, cg, c->train, tol, seed, out);
	else
		sb_check_sampled(ci, cg, c->train, tol, seed,
		    o->sample_entries, out);
	if (c->dp != NULL) {
		/* every rank must take the same road: agree on the verdict */
		double ok = out->ok && dp_mismatch[0] == '\0';

		if (out->ok && dp_mismatch[0] != '\0')
			snprintf(out->why, sizeof(out->why), "%s", dp_mismatch);
		if (sb_dp_agree(c, &ok, 1, SB_RED_MIN)) {
			prof_pop();
			return -1;
		}
		if (out->ok && !ok)
			snprintf(out->why, sizeof(out->why), "%s",
			    dp_mismatch[0] ? dp_mismatch : "the check failed "
			    "on another rank of the data-parallel world");
		out->ok = ok != 0;
	}
	prof_pop();
	return 0;
}

/*
 * int8dyn: the quality of int8 for the point's data (host, both schemes)
 * into o, and the variant's own saturation counts for the checked step,
 * which must equal the host's for the same data: the kernels and quant.c
 * quantise bit for bit alike.  A backend that does not count reports -1.
 * Returns -1 on a backend error or when host memory runs out.
 */
static int
int8_measures(struct sb_engine *e, const struct sb_backend_ops *bk,
    struct sb_ctx *c, int full, struct sb_outcome *o, struct sb_check *chk)
{
	const struct sb_engine_opts *op = c->opts;
	struct sb_int8_quality q;
	struct sb_int8_opts io;
	int64_t sa = -1, sw = -1;

	sb_engine_int8_opts(op, &io);
	o->r.quant = 1;
	o->r.quant_per_channel = io.per_channel;
	if (sb_int8_quality(&c->init, &io, full ? 0 : op->sample_entries,
	    op->seed ^ (uint64_t)c->pt->idx, &q) != 0) {
		snprintf(c->err, sizeof(c->err), "out of host memory for the "
		    "int8 quality measures");
		return -1;
	}
	o->r.quant_err_sym = q.err_sym;
	o->r.quant_err_affine = q.err_affine;
	if (bk->int8_state != NULL && bk->int8_state(e, c, &sa, &sw))
		return -1;
	o->r.quant_sat_act = sa;
	o->r.quant_sat_weight = sw;
	if (chk->ok && ((sa >= 0 && sa != q.sat_act) ||
	    (sw >= 0 && sw != q.sat_weight))) {
		chk->ok = 0;
		snprintf(chk->why, sizeof(chk->why), "the variant clamped "
		    "%lld activations and %lld weights when quantising; "
		    "quant.c clamps %lld and %lld of the same data (the "
		    "quantisation is not bit-exact)", (long long)sa,
		    (long long)sw, (long long)q.sat_act,
		    (long long)q.sat_weight);
	}
	return 0;
}

int
sb_sample_until(const struct sb_engine_opts *op, sb_sample_fn sample,
    void *ctx, double *samples_us, int cap, const char **stop_reason)
{
	double t0, mean = 0, m2 = 0;
	int n = 0, rc;

	*stop_reason = "max-samples";
	if (op->max_samples > 0 && op->max_samples < cap)
		cap = op->max_samples;
	t0 = sb_mono_s();
	while (n < cap) {
		double us, delta;

		if (!op->stop_agreed && sb_engine_interrupted) {
			*stop_reason = "interrupted";
			break;
		}
		if ((rc = sample(ctx, n, &us)) < 0)
			return -1;
		samples_us[n++] = us;
		/* Welford: running mean and variance */
		delta = us - mean;
		mean += delta / n;
		m2 += delta * (us - mean);
		if (rc > 0) {
			*stop_reason = sb_engine_interrupted ? "interrupted" :
			    "timeout";
			break;
		}
		if (n >= op->min_samples && n > 1 && mean > 0 &&
		    sqrt(m2 / (n - 1)) / mean <= op->max_noise) {
			*stop_reason = "noise";
			break;
		}
		if (sb_mono_s() - t0 >= op->timeout_s) {
			*stop_reason = "timeout";
			break;
		}
	}
	return n;
}

/* One sample of the step for sb_sample_until: its phases go to
 * phase_s[p][i]. */
struct step_sampler {
	struct sb_engine		*e;
	const struct sb_backend_ops	*bk;
	struct sb_ctx			*c;
	double				*phase_s[SB_PH_COUNT];
	double				 t0;	/* data parallel: started */
};

/*
 * Data parallel, after the step's sample: the same step on the same shard
 * with the machinery off (the compute-only baseline, taken here so that
 * both see the same conditions), then the ranks agree.  The step and the
 * baseline are the slowest rank's (a step ends when its last replica
 * does); a bucket's time is the fastest rank's, since in a collective
 * every rank but the last to arrive also times its wait for the others.
 * The timeout is decided on the slowest rank's clock and an interrupt on
 * any rank stops all, so every rank takes the same number of samples.
 * Returns 1 to stop after this sample.
 */
static int
dp_agree_sample(struct step_sampler *ss, int i, double *us)
{
	struct sb_ctx *c = ss->c;
	struct sb_dp *dp = c->dp;
	const int nb = dp->times_exact ? dp->plan.nbuckets : 0;
	double v[4], t[SB_DDP_MAX_PARAMS], base, ph[SB_PH_COUNT];

	if (nb > 0 && dp->tp->times(c))
		return sb_dp_check(c);
	for (int b = 0; b < nb; b++)
		t[b] = dp->bucket_us[b];
	dp->enabled = 0;
	if (ss->bk->sample(ss->e, c, &base, ph)) {
		dp->enabled = 1;
		return -1;
	}
	dp->enabled = 1;
	v[0] = *us;
	v[1] = base;
	v[2] = sb_mono_s() - ss->t0;
	v[3] = sb_engine_interrupted;
	if (sb_dp_agree(c, v, 4, SB_RED_MAX) ||
	    (nb > 0 && sb_dp_agree(c, t, nb, SB_RED_MIN)))
		return -1;
	*us = v[0];
	dp->baseline_us[i] = v[1];
	dp->nbaseline = i + 1;
	dp->sample_comm_us[i] = nb > 0 ? 0 : NAN;
	for (int b = 0; b < dp->plan.nbuckets; b++) {
		dp->sample_bucket_us[b][i] = nb > 0 ? t[b] : NAN;
		if (nb > 0)
			dp->sample_comm_us[i] += t[b];
	}
	if (v[3] != 0)
		sb_engine_interrupted = 1;
	return v[3] != 0 || v[2] >= c->opts->timeout_s;
}

static int
sample_step(void *arg, int i, double *us)
{
	struct step_sampler *ss = arg;
	double ph[SB_PH_COUNT];

	if (ss->bk->sample(ss->e, ss->c, us, ph))
		return -1;
	if (ss->phase_s[0] != NULL)
		for (int p = 0; p < SB_PH_COUNT; p++)
			ss->phase_s[p][i] = ph[p];
	return ss->c->dp != NULL ? dp_agree_sample(ss, i, us) : 0;
}

/* Warm-up, sampling, re-check, loss curve.  Returns -1 on backend error. */
static int
measure(struct sb_engine *e, const struct sb_backend_ops *bk,
    struct sb_ctx *c, struct sb_outcome *o)
{
	const struct sb_engine_opts *op = c->opts;
	struct sb_engine_opts lop = *op;
	struct step_sampler ss = { e, bk, c, { 0 }, 0 };
	struct sb_dp *dp = c->dp;
	int n, cap = op->max_samples > 0 ? op->max_samples : 1;
	int rc = -1;

	if ((o->samples = calloc(cap, sizeof(double))) == NULL)
		goto oom;
	for (int p = 0; p < SB_PH_COUNT; p++)
		if ((ss.phase_s[p] = calloc(cap, sizeof(double))) == NULL)
			goto oom;
	if (dp != NULL) {
		/* the ranks decide timeouts and interrupts together
		 * (dp_agree_sample) */
		lop.timeout_s = INFINITY;
		lop.stop_agreed = 1;
		for (int b = 0; b < dp->plan.nbuckets; b++)
			if ((dp->sample_bucket_us[b] = calloc(cap,
			    sizeof(double))) == NULL)
				goto oom;
		if ((dp->sample_comm_us = calloc(cap, sizeof(double))) ==
		    NULL || (dp->baseline_us = calloc(cap,
		    sizeof(double))) == NULL)
			goto oom;
	}

	/* (data parallel: every rank takes every warm-up step; a signal is
	 * agreed on in the samples) */
	prof_push(PROF_CAT_SETUP, "warmup");
	for (int i = 0; i < op->warmup && (dp != NULL ||
	    !sb_engine_interrupted); i++)
		if (bk->step(e, c)) {
			pop_section(c);
			goto out;
		}
	if (c->pt->graph && bk->graph(e, c)) {
		pop_section(c);
		goto out;
	}
	prof_pop();		/* warmup */

	prof_capture_begin();
	/* the profiler's launches from here on belong to this point
	 * (`stepbench profile`; kernels/marker.h) */
	if (op->profile_marker && bk == &sb_backend_gpu &&
	    sb_gpu_profile_marker(e, c)) {
		prof_capture_end();
		goto out;
	}
	prof_push(PROF_CAT_COMPUTE, "timed");
	ss.t0 = sb_mono_s();
	n = sb_sample_until(&lop, sample_step, &ss, o->samples, cap,
	    &o->r.stop_reason);
	pop_section(c);		/* timed */
	prof_capture_end();
	if (n < 0)
		goto out;
	o->r.nsamples = n;
	o->r.samples_us = o->samples;
	for (int p = 0; p < SB_PH_COUNT; p++) {
		double med = sb_median(ss.phase_s[p], n);

		if (isnan(med) || med <= 0)
			continue;
		o->phases[o->r.nphases].name = sb_phase_name(p);
		o->phases[o->r.nphases].median_us = med;
		o->r.nphases++;
	}
	o->r.phases = o->phases;
	rc = 0;
	goto out;
oom:
	snprintf(c->err, sizeof(c->err), "out of host memory for %d samples",
	    cap);
out:
	for (int p = 0; p < SB_PH_COUNT; p++)
		free(ss.phase_s[p]);
	return rc;
}

/*
 * --steps N from the initial state: the loss (and learning rate) of every
 * step.  A mixed-precision variant also records the loss scale each step
 * ran with, whether the scaler skipped it and its growth count, then takes
 * the same N steps with the fp32 step on the same backend (c->shadow_f32)
 * for the reference curve and the largest relative divergence from it.
 * --inject-overflow applies here only: the checked and timed steps never
 * carry a planted inf.
 */
static int
loss_curves(struct sb_engine *e, const struct sb_backend_ops *bk,
    struct sb_ctx *c, struct sb_outcome *o)
{
	const struct sb_engine_opts *op = c->opts;
	const int n = op->steps;
	const int amp = c->pt->variant->amp != SB_DT_F32;
	const int scaled = c->pt->variant->scaled && bk->amp_state != NULL;
	int rc = -1;

	o->loss_curve = calloc(n, sizeof(double));
	o->lr_curve = calloc(n, sizeof(double));
	if (o->loss_curve == NULL || o->lr_curve == NULL)
		goto oom;
	if (amp && (o->ref_loss_curve = calloc(n, sizeof(double))) == NULL)
		goto oom;
	if (scaled && ((o->scale_curve = calloc(n, sizeof(double))) == NULL ||
	    (o->skipped_curve = calloc(n, sizeof(int))) == NULL ||
	    (o->growth_curve = calloc(n, sizeof(int))) == NULL))
		goto oom;

	c->inject_at = scaled ? op->inject_overflow : -1;
	c->fresh_scaler = 1;	/* the curve starts at the initial scale */
	if (bk->reset(e, c))
		goto out;
	c->fresh_scaler = 0;
	for (int s = 0; s < n; s++) {
		c->lr = (float)sb_lr_at(op, s, n);
		o->lr_curve[s] = c->lr;
		if (bk->step(e, c) || bk->loss(e, c, &o->loss_curve[s]) ||
		    sb_dp_agree(c, &o->loss_curve[s], 1, SB_RED_AVG))
			goto out;
		if (scaled) {
			struct sb_amp_obs ob;

			if (bk->amp_state(e, c, &ob))
				goto out;
			o->scale_curve[s] = ob.scale_used;
			o->skipped_curve[s] = ob.skipped;
			o->growth_curve[s] = ob.growth_tracker;
		}
	}
	c->inject_at = -1;
	if (amp) {
		double worst = 0;

		c->shadow_f32 = 1;
		if (bk->reset(e, c))
			goto out;
		for (int s = 0; s < n; s++) {
			double ref, rel;

			c->lr = (float)o->lr_curve[s];
			if (bk->step(e, c) || bk->loss(e, c, &ref))
				goto out;
			o->ref_loss_curve[s] = ref;
			rel = fabs(o->loss_curve[s] - ref) /
			    (ref != 0 ? fabs(ref) : 1);
			if (!(rel <= worst))	/* NaN propagates */
				worst = rel;
		}
		c->shadow_f32 = 0;
		o->r.ref_loss_curve = o->ref_loss_curve;
		o->r.loss_divergence = worst;
	}
	o->r.nsteps = n;
	o->r.loss_curve = o->loss_curve;
	o->r.lr_curve = o->lr_curve;
	o->r.scale_curve = o->scale_curve;
	o->r.skipped_curve = o->skipped_curve;
	o->r.growth_curve = o->growth_curve;
	rc = 0;
	goto out;
oom:
	snprintf(c->err, sizeof(c->err), "out of host memory for %d steps",
	    n);
out:
	c->inject_at = -1;
	c->shadow_f32 = 0;
	c->fresh_scaler = 0;
	return rc;
}

int
sb_engine_run(struct sb_engine *e, const struct sb_point *pt,
    const struct sb_engine_opts *op, struct sb_outcome *o)
{
	const struct sb_variant *v = pt->variant;
	const struct sb_backend_ops *bk = v->backend == SB_BACKEND_GPU ?
	    &sb_backend_gpu : &sb_backend_cpu;
	struct sb_ctx c;
	struct sb_hstep_f64 ref;
	struct sb_check chk;
	struct sb_hstep_f32 *finit;
	struct sb_dims fdims;
	double flops, full_flops, bytes, host_bytes, elems, tol;
	int full, need_ref, rc = 0, set_up = 0, skip = 0, in_setup = 0;
	char why[512];
	int trace_cupti = 0;

	sb_outcome_init(o);
	memset(&c, 0, sizeof(c));
	memset(&ref, 0, sizeof(ref));
	o->r.point_idx = pt->idx;
	o->r.variant = v->id;
	o->r.mode = sb_mode_name(v->mode);
	o->r.precision = v->precision;
	o->r.impl = v->impl;
	o->r.m = pt->shape.m;
	o->r.n = pt->shape.n;
	o->r.k = pt->shape.k;
	o->r.layers = pt->layers;
	o->r.world = pt->world;
	o->r.graph = pt->graph;
	o->r.l2_flush = op->l2_flush;
	o->r.input_grad = op->input_grad;
	o->r.warmup = op->warmup;
	/* the provenance, for rows that end early (skips); set again with
	 * the kernels' attributes at the end */
	(void)sb_fingerprint_outcome(o, e->dev, v->backend == SB_BACKEND_GPU,
	    pt->world > 1 || op->dp_force);

	c.pt = pt;
	c.opts = op;
	c.train = v->mode == SB_TRAIN;
	c.open_phase = -1;
	c.inject_at = -1;
	c.fresh_scaler = 1;
	c.nvtx_phases = 1;
	c.reps = 1;
	sb_dims_init(&c.dims, pt->shape.m, pt->shape.n, pt->shape.k,
	    pt->layers);
	fdims = c.dims;
	tol = v->tol;

	/* 0. data parallel: the communicator first (collective over the
	 * job), then every rank must reach the same verdict on the point */
	if (pt->world > 1 || op->dp_force) {
		int r = sb_dp_open(&c, why, sizeof(why));

		if (r != SB_DP_OK) {
			sb_dp_close(&c);
			if (r != SB_DP_FAIL)
				return sb_outcome_skip(o, "%s", why);
			o->r.status = "failed";
			snprintf(o->reason, sizeof(o->reason), "%s", why);
			o->r.reason = o->reason;
			return 0;
		}
		c.dims.m = c.dp->rows;	/* the backend steps the shard */
		/* compressed gradients carry the half type's rounding (unit
		 * roundoff 2^-11 for f16, 2^-8 for bf16), a few times over */
		if (op->dp_compress == SB_DT_F16 && tol < 4e-3)
			tol = 4e-3;
		else if (op->dp_compress == SB_DT_BF16 && tol < 3e-2)
			tol = 3e-2;
	}
	/* a data-parallel row's counts are one rank's (its shard's) */
	step_counts(&c.dims, c.train, op->input_grad, &flops, &bytes);
	o->r.flops = flops;
	o->r.bytes = bytes;

	/* 1. what cannot run here is skipped, with the reason */
	step_counts(&fdims, c.train, op->input_grad, &full_flops, &bytes);
	full = full_flops <= op->check_budget_flop;
	/* the fp64 fp32-semantics step; int8 inference is checked against
	 * its own oracle and measures its quality itself (check_int8.h) */
	need_ref = full && !(v->int8 && !c.train);
	elems = sb_step_elements(&fdims, op->input_grad && c.train);
	host_bytes = elems * sizeof(float) * (2 + (need_ref ? 2 : 0) +
	    (c.dp != NULL ? 2 : 0));
	if (!sb_variant_runnable(v, e->dev, why, sizeof(why)))
		skip = 1;
	else if (e->dev->host_mem_bytes > 0 &&
	    host_bytes > HOST_MEM_SHARE * (double)e->dev->host_mem_bytes) {
		skip = 1;
		snprintf(why, sizeof(why), "needs %.1f GiB of host memory "
		    "(inputs, read-back%s), more than %.0f%% of this "
		    "machine's %.1f GiB",
		    host_bytes / 1073741824.0, need_ref ? ", fp64 reference" :
		    "",
		    HOST_MEM_SHARE * 100,
		    (double)e->dev->host_mem_bytes / 1073741824.0);
	} else if (v->backend == SB_BACKEND_GPU) {
		double need = sb_backend_gpu_bytes(e, &c);
		double avail = (double)sb_device_free_bytes();

		if (need > DEV_MEM_SHARE * avail) {
			skip = 1;
			snprintf(why, sizeof(why), "needs %.2f GiB on the GPU, "
			    "%.2f GiB free", need / 1073741824.0,
			    avail / 1073741824.0);
		}
	}
	if (c.dp != NULL) {
		double any = skip;

		if (sb_dp_agree(&c, &any, 1, SB_RED_MAX)) {
			sb_dp_close(&c);
			o->r.status = "failed";
			snprintf(o->reason, sizeof(o->reason), "%s", c.err);
			o->r.reason = o->reason;
			return 0;
		}
		if (any != 0 && !skip)
			snprintf(why, sizeof(why), "another rank of the "
			    "data-parallel world cannot run this point");
		skip = any != 0;
	}
	if (skip) {
		sb_dp_close(&c);
		return sb_outcome_skip(o, "%s", why);
	}

	/* 2. inputs and reference (data parallel: of the full batch, which
	 * each rank then takes its shard of) */
	{
		/* what the id does not say, for the timeline */
		char mark[160];

		snprintf(mark, sizeof(mark), "%lldx%lldx%lld L%d world %d "
		    "graph %s", (long long)pt->shape.m, (long long)pt->shape.n,
		    (long long)pt->shape.k, pt->layers, pt->world,
		    pt->graph ? "on" : "off");
		prof_point_begin(v->id, v->impl, pt->idx, mark);
	}
	prof_push(PROF_CAT_SETUP, "setup");
	in_setup = 1;
	finit = c.dp != NULL ? &c.dp->finit : &c.init;
	{
		double nomem = sb_hstep_f32_alloc(finit, &fdims,
		    op->input_grad && c.train) ||
		    (c.dp != NULL && (sb_hstep_f32_alloc(&c.dp->fgot, &fdims,
		    op->input_grad && c.train) || sb_hstep_f32_alloc(&c.init,
		    &c.dims, op->input_grad && c.train))) ||
		    sb_hstep_f32_alloc(&c.got, &c.dims, op->input_grad &&
		    c.train) ||
		    (need_ref && sb_hstep_f64_alloc(&ref, &fdims,
		    op->input_grad && c.train));

		/* data parallel: all ranks skip, or none */
		if (c.dp != NULL && sb_dp_agree(&c, &nomem, 1, SB_RED_MAX))
			goto failed;
		if (nomem != 0) {
			sb_outcome_skip(o, "host memory allocation failed for "
			    "%.1f GiB%s", host_bytes / 1073741824.0,
			    c.dp != NULL ? " (on at least one rank)" : "");
			goto out;
		}
	}
	finit->lr = op->lr;
	sb_hstep_fill_inputs(finit, op->seed, op->normalize);
	if (need_ref) {
		sb_hstep_widen_inputs(&ref, finit);
		ref_step_f64(&ref, c.train, NULL, NULL);
	}
	if (c.dp != NULL)
		sb_dp_shard_inputs(&c, finit, &c.init);

	/* 3. one checked step before any timing; the kernels it launches
	 * described first (that launches nothing) */
	if (bk->setup(e, &c)) {
		set_up = 1;
		goto failed;
	}
	set_up = 1;
	if (bk->describe != NULL && bk->describe(e, &c, o))
		goto failed;
	prof_pop();		/* setup */
	in_setup = 0;
	if (checked_step(e, bk, &c, full, &ref, tol, &chk))
		goto failed;
	if (v->int8 && int8_measures(e, bk, &c, full, o, &chk))
		goto failed;
	fill_check(o, &chk);
	o->r.loss = !c.train ? NAN : c.dp != NULL ? c.dp->fgot.loss :
	    c.got.loss;
	if (!chk.ok) {
		o->r.status = "mismatch";
		snprintf(o->reason, sizeof(o->reason), "checked step: %s",
		    chk.why);
		o->r.reason = o->reason;
		goto out;
	}

	/* CUPTI: decided (and loaded) before timing, traced after it */
	if (v->backend == SB_BACKEND_GPU &&
	    (trace_cupti = sb_cupti_prepare(&c, o)) < 0)
		goto failed;

	/* 4-5. warm-up and timed samples */
	if (measure(e, bk, &c, o))
		goto failed;
	if (o->r.nsamples == 0 || (c.dp != NULL ?
	    strcmp(o->r.stop_reason, "interrupted") == 0 :
	    sb_engine_interrupted)) {
		rc = 1;		/* interrupted: not a result */
		goto out;
	}
	if (trace_cupti > 0 && sb_cupti_trace(e, bk, &c, o))
		goto failed;

	/* 6. the re-check after timing */
	{
		struct sb_check re;

		if (checked_step(e, bk, &c, full, &ref, tol, &re))
			goto failed;
		o->r.err_recheck = NAN;
		for (int f = 0; f < SB_CK_COUNT; f++)
			if (!isnan(re.err[f]) && !(re.err[f] <=
			    o->r.err_recheck))
				o->r.err_recheck = re.err[f];
		if (!re.ok) {
			o->r.status = "mismatch";
			snprintf(o->reason, sizeof(o->reason), "re-check after "
			    "timing: %s", re.why);
			o->r.reason = o->reason;
		}
	}

	/* 7. the loss curve */
	if (op->steps > 0 && c.train && loss_curves(e, bk, &c, o))
		goto failed;

	o->r.reps = c.reps;
	sb_outcome_summarise(o, e->dev, v->backend == SB_BACKEND_GPU);
	goto out;

failed:
	o->r.status = "failed";
	snprintf(o->reason, sizeof(o->reason), "%s", c.err[0] ? c.err :
	    "the backend failed without a message");
	o->r.reason = o->reason;
	if (bk->sticky(e))
		rc = -1;
out:
	o->r.launches = c.launches;
	o->r.graph_nodes = c.graph_nodes;
	(void)sb_fingerprint_outcome(o, e->dev, v->backend == SB_BACKEND_GPU,
	    pt->world > 1 || op->dp_force);
	if (c.dp != NULL)
		sb_dp_outcome(&c, o);
	if (c.dp != NULL && c.dp->world > 1 && strcmp(o->r.status,
	    "failed") == 0) {
		/* the other ranks may be stuck in a collective this rank left,
		 * and a GPU's in-flight NCCL kernels with them: synchronising
		 * (teardown, release) could wait forever.  The caller stores
		 * the row and stops the job; the buffers go with it. */
		free(c.dp);
		c.dp = NULL;
		set_up = 0;
	}
	/* the transport's buffers and comm stream before the gradients
	 * they reduce */
	sb_dp_close(&c);
	if (set_up)
		bk->teardown(e, &c);
	sb_hstep_f32_free(&c.init);
	sb_hstep_f32_free(&c.got);
	sb_hstep_f64_free(&ref);	/* zeroed when unused: a no-op */
	if (c.open_phase >= 0)
		prof_pop();
	if (in_setup)
		prof_pop();
	prof_pop();		/* the point */
	return rc;
}

/* Pops a warmup or timed range, and first the phase a failed step left
 * open inside it: NVTX ranges must nest. */
static void
pop_section(struct sb_ctx *c)
{
	if (c->nvtx_phases && c->open_phase >= 0) {
		prof_pop();
		c->open_phase = -1;
	}
	prof_pop();
}

void
sb_ctx_phase_nvtx(struct sb_ctx *c, enum sb_phase ph)
{
	if (c->cupti_on)	/* the phase of the kernels enqueued next */
		prof_cupti_phase(ph < SB_PH_COUNT ? (int)ph : -1);
	if (!c->nvtx_phases)
		return;
	if (c->open_phase >= 0)
		prof_pop();
	c->open_phase = -1;
	if (ph < SB_PH_COUNT) {
		prof_push(PROF_CAT_PHASE, sb_phase_name(ph));
		c->open_phase = (int)ph;
	}
}
