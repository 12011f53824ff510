/*
 * tests/test_engine.c — the engine end to end on the CPU backend: a point
 * is checked, timed, re-checked and summarised; what cannot run is skipped
 * with its reason; --steps records a loss curve.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testkit.h"
#include "device.h"
#include "engine.h"
#include "registry.h"

static struct sb_device dev;
static struct sb_engine *eng;

static int	run(const char *, int64_t, int64_t, int64_t, int,
		    const struct sb_engine_opts *, struct sb_outcome *);
static void	quick(struct sb_engine_opts *);
static int	fake_sample(void *, int, double *);
static void	test_sample_until(void);

/* A scripted sampler: values[i], or a failure at fail_at. */
struct fake {
	const double	*values;
	int		 n;
	int		 fail_at;
	int		 calls;
	int		 interrupt_at;
};

static int
fake_sample(void *arg, int i, double *us)
{
	struct fake *f = arg;

	f->calls++;
	if (i == f->fail_at)
		return -1;
	if (i == f->interrupt_at)
		sb_engine_interrupted = 1;
	*us = f->values[i % f->n];
	return 0;
}

/* The timed loop shared by the engine and `stepbench gemm`. */
static void
test_sample_until(void)
{
	static const double steady[1] = { 10 };
	static const double noisy[2] = { 10, 20 };
	struct sb_engine_opts o;
	struct fake f;
	double buf[64];
	const char *why = NULL;
	int n;

	sb_engine_opts_default(&o);
	o.min_samples = 5;
	o.max_samples = 50;
	o.timeout_s = 60;
	f = (struct fake){ steady, 1, -1, 0, -1 };
	n = sb_sample_until(&o, fake_sample, &f, buf, 64, &why);
	CHECK("engine-7.1: steady samples stop on noise at min_samples",
	    n == 5 && strcmp(why, "noise") == 0 && buf[4] == 10);
	f = (struct fake){ noisy, 2, -1, 0, -1 };
	n = sb_sample_until(&o, fake_sample, &f, buf, 64, &why);
	CHECK("engine-7.2: noisy samples run to max_samples",
	    n == 50 && strcmp(why, "max-samples") == 0 && buf[49] == 20);
	n = sb_sample_until(&o, fake_sample, &f, buf, 8, &why);
	CHECK("engine-7.3: the buffer's capacity bounds the count",
	    n == 8 && strcmp(why, "max-samples") == 0);
	f = (struct fake){ noisy, 2, 3, 0, -1 };
	n = sb_sample_until(&o, fake_sample, &f, buf, 64, &why);
	CHECK("engine-7.4: a failed sample stops at once", n == -1 &&
	    f.calls == 4);
	o.timeout_s = 0;
	f = (struct fake){ noisy, 2, -1, 0, -1 };
	n = sb_sample_until(&o, fake_sample, &f, buf, 64, &why);
	CHECK("engine-7.5: timeout stops after one sample", n == 1 &&
	    strcmp(why, "timeout") == 0);
	o.timeout_s = 60;
	f = (struct fake){ noisy, 2, -1, 0, 2 };
	n = sb_sample_until(&o, fake_sample, &f, buf, 64, &why);
	CHECK("engine-7.6: an interrupt stops before the next sample",
	    n == 3 && strcmp(why, "interrupted") == 0);
	sb_engine_interrupted = 0;
	o.max_noise = 0.5;
	o.min_samples = 1;
	f = (struct fake){ noisy, 2, -1, 0, -1 };
	n = sb_sample_until(&o, fake_sample, &f, buf, 64, &why);
	CHECK("engine-7.7: one sample is never 'noise' (no stdev yet)",
	    n == 2 && strcmp(why, "noise") == 0);
}

static void
quick(struct sb_engine_opts *o)
{
	sb_engine_opts_default(o);
	o->warmup = 1;
	o->min_samples = 3;
	o->max_samples = 5;
	o->timeout_s = 0.5;
}

static int
run(const char *id, int64_t m, int64_t n, int64_t k, int layers,
    const struct sb_engine_opts *o, struct sb_outcome *out)
{
	struct sb_point pt;

	memset(&pt, 0, sizeof(pt));
	pt.variant = sb_variant_find(id);
	pt.shape.m = m;
	pt.shape.n = n;
	pt.shape.k = k;
	pt.layers = layers;
	pt.world = 1;
	if (pt.variant == NULL) {
		fprintf(stderr, "no variant %s\n", id);
		exit(1);
	}
	return sb_engine_run(eng, &pt, o, out);
}

int
main(void)
{
	struct sb_engine_opts o;
	struct sb_outcome r;
	int rc;

	sb_device_probe(&dev);
	if (sb_engine_create(&eng, &dev))
		return 1;

	quick(&o);
	rc = run("train.fp32.cpu", 10, 3, 5, 1, &o, &r);
	CHECK("engine-1.1: the tutorial step is ok",
	    rc == 0 && strcmp(r.r.status, "ok") == 0);
	CHECK("engine-1.2: samples were taken and summarised",
	    r.r.nsamples >= 1 && r.r.median_us > 0 &&
	    r.r.min_us <= r.r.median_us && r.r.median_us <= r.r.max_us);
	CHECK("engine-1.3: full check, fp32-small errors",
	    strcmp(r.r.check_mode, "full") == 0 && r.r.err_y < 1e-6 &&
	    r.r.err_dw < 1e-6 && r.r.err_w < 1e-6 && !isnan(r.r.err_loss));
	CHECK("engine-1.4: re-check after timing passed",
	    !isnan(r.r.err_recheck) && r.r.err_recheck <= 1);
	/* 3 GEMM-free flops: forward 2·10·3·5 + bias 30, wgrad 300 + 30 +
	 * 2·(15+3), loss 3·30 */
	CHECK_NEAR("engine-1.5: flop count from the op's own counts",
	    r.r.flops, 300 + 30 + 300 + 30 + 36 + 90, 0);
	CHECK("engine-1.6: tiny steps are batched per sample", r.r.reps > 1);
	CHECK("engine-1.7: stop reason recorded", r.r.stop_reason != NULL);
	sb_outcome_free(&r);

	quick(&o);
	o.input_grad = 1;
	rc = run("train.fp32.cpu", 96, 80, 64, 3, &o, &r);
	CHECK("engine-2.1: three layers with input gradient are ok",
	    rc == 0 && strcmp(r.r.status, "ok") == 0 && !isnan(r.r.err_dx));
	CHECK("engine-2.2: phases recorded for single-step samples",
	    r.r.nphases >= 4 && strcmp(r.r.phases[0].name, "forward") == 0);
	sb_outcome_free(&r);

	quick(&o);
	o.check_budget_flop = 0;
	rc = run("train.fp32.cpu", 64, 32, 48, 2, &o, &r);
	CHECK("engine-3.1: over the budget the check is sampled, and passes",
	    rc == 0 && strcmp(r.r.status, "ok") == 0 &&
	    strcmp(r.r.check_mode, "sampled") == 0);
	sb_outcome_free(&r);

	quick(&o);
	rc = run("infer.fp32.cpu", 50, 20, 30, 2, &o, &r);
	CHECK("engine-4.1: inference checks y only",
	    rc == 0 && strcmp(r.r.status, "ok") == 0 && !isnan(r.r.err_y) &&
	    isnan(r.r.err_dw) && isnan(r.r.loss));
	sb_outcome_free(&r);

	quick(&o);
	o.steps = 20;
	o.lr = 0.05f;
	o.lr_decay = SB_LR_COSINE;
	rc = run("train.fp32.cpu", 10, 3, 5, 1, &o, &r);
	CHECK("engine-5.1: --steps stores a loss and lr per step",
	    rc == 0 && r.r.nsteps == 20 && r.r.loss_curve != NULL);
	CHECK("engine-5.2: SGD lowers the loss",
	    r.r.loss_curve[19] < r.r.loss_curve[0]);
	CHECK("engine-5.3: step 0's loss is the checked step's loss",
	    fabs(r.r.loss_curve[0] - r.r.loss) <= 1e-6 * r.r.loss);
	CHECK("engine-5.4: cosine decay starts at lr and decreases",
	    fabs(r.r.lr_curve[0] - 0.05) < 1e-7 &&
	    r.r.lr_curve[19] < r.r.lr_curve[10]);
	sb_outcome_free(&r);

	if (dev.gpu_count == 0) {
		quick(&o);
		rc = run("train.fp32.cublas", 10, 3, 5, 1, &o, &r);
		CHECK("engine-6.1: a GPU variant without a GPU is skipped, "
		    "saying why", rc == 0 && strcmp(r.r.status, "skipped") ==
		    0 && strstr(r.r.reason, "no GPU") != NULL);
		sb_outcome_free(&r);
	}

	quick(&o);
	rc = run("train.fp32.cpu", 1000000, 1000000, 1000, 1, &o, &r);
	CHECK("engine-6.2: a shape too big for memory is a skipped row",
	    rc == 0 && strcmp(r.r.status, "skipped") == 0 &&
	    strstr(r.r.reason, "memory") != NULL);
	sb_outcome_free(&r);

	test_sample_until();

	sb_engine_destroy(eng);
	return check_summary("test_engine");
}
