/*
 * harness/engine_cpu.c — the CPU backend: the host step in float
 * (ref_step_f32; the autocast step ref_step_amp, with an int8 forward for
 * train.int8dyn; the int8 forward ref_forward_int8), timed with
 * CLOCK_MONOTONIC.
 *
 * A sample times `reps` back-to-back steps, reps chosen once per point so a
 * sample lasts at least CPU_SAMPLE_MIN_US: a one-microsecond step is below
 * what the clock resolves.  The recorded time is per step.  "L2 flush"
 * writes a buffer twice the size of the per-core L2 (at least 8 MiB)
 * between samples; the last-level cache of a shared server is left alone.
 * Phases are timed only when a sample is a single step: in a batch of tiny
 * steps the clock reads would be a visible share of the time measured.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "engine_dp.h"
#include "engine_int.h"
#include "ref_step.h"
#include "ref_int8.h"
#include "ref_step_amp.h"
#include "registry.h"

#define CPU_SAMPLE_MIN_US	100.0
#define CPU_FLUSH_DEFAULT	(8u << 20)

struct cpu_state {
	double	last;			/* time of the last phase mark */
	int	cur;			/* open phase, -1 none */
	int	timing;			/* accumulate phase times */
	double	acc[SB_PH_COUNT];	/* seconds per phase this sample */
	/* mixed precision: the scaler, steps since reset, the last step */
	struct sb_scaler	scaler;
	int			steps;
	struct sb_amp_step_out	amp_last;
	/* int8dyn: what the last forward's quantisation clamped (-1: the
	 * training step does not count) */
	int64_t			sat_act, sat_weight;
};

static int	cpu_setup(struct sb_engine *, struct sb_ctx *);
static int	cpu_reset(struct sb_engine *, struct sb_ctx *);
static int	cpu_step(struct sb_engine *, struct sb_ctx *);
static int	cpu_readback(struct sb_engine *, struct sb_ctx *);
static int	cpu_loss(struct sb_engine *, struct sb_ctx *, double *);
static int	cpu_graph(struct sb_engine *, struct sb_ctx *);
static int	cpu_sample(struct sb_engine *, struct sb_ctx *, double *,
		    double *);
static void	cpu_teardown(struct sb_engine *, struct sb_ctx *);
static int	cpu_sticky(struct sb_engine *);
static int	cpu_amp_state(struct sb_engine *, struct sb_ctx *,
		    struct sb_amp_obs *);
static int	cpu_int8_state(struct sb_engine *, struct sb_ctx *, int64_t *,
		    int64_t *);
static void	cpu_phase(void *, enum sb_phase);
static void	cpu_mark(void *, enum sb_phase);
static int	flush_caches(struct sb_engine *);

const struct sb_backend_ops sb_backend_cpu = {
	.name = "cpu",
	.setup = cpu_setup,
	.reset = cpu_reset,
	.step = cpu_step,
	.readback = cpu_readback,
	.loss = cpu_loss,
	.graph = cpu_graph,
	.sample = cpu_sample,
	.teardown = cpu_teardown,
	.sticky = cpu_sticky,
	.amp_state = cpu_amp_state,
	.int8_state = cpu_int8_state,
};


static void
cpu_phase(void *arg, enum sb_phase ph)
{
	struct sb_ctx *c = arg;
	struct cpu_state *s = c->bk;

	sb_ctx_phase_nvtx(c, ph);
	if (!s->timing)
		return;
	double t = sb_mono_s();

	if (s->cur >= 0)
		s->acc[s->cur] += t - s->last;
	s->cur = ph < SB_PH_COUNT ? (int)ph : -1;
	s->last = t;
}

/* The step's marks: through the data-parallel machinery, which calls
 * cpu_phase (engine_dp.h). */
static void
cpu_mark(void *arg, enum sb_phase ph)
{
	sb_dp_mark(arg, ph, cpu_phase);
}

static int
cpu_setup(struct sb_engine *e, struct sb_ctx *c)
{
	(void)e;
	if ((c->bk = calloc(1, sizeof(struct cpu_state))) == NULL) {
		snprintf(c->err, sizeof(c->err), "out of host memory");
		return -1;
	}
	c->reps = 0;	/* calibrated by the first sample */
	if (c->dp != NULL)
		return sb_dp_bind_host(c, c->got.dw, c->got.db);
	return 0;
}

static int
cpu_reset(struct sb_engine *e, struct sb_ctx *c)
{
	struct cpu_state *s = c->bk;

	(void)e;
	sb_hstep_copy_inputs(&c->got, &c->init);
	sb_hstep_poison(&c->got);
	if (c->fresh_scaler) {
		sb_scaler_init(&s->scaler, &c->opts->scaler);
		s->steps = 0;
	}
	memset(&s->amp_last, 0, sizeof(s->amp_last));
	s->sat_act = s->sat_weight = -1;
	return 0;
}

static int
cpu_step(struct sb_engine *e, struct sb_ctx *c)
{
	const struct sb_variant *v = c->pt->variant;
	struct cpu_state *s = c->bk;

	(void)e;
	struct sb_int8_opts io;

	c->got.lr = c->lr;
	sb_engine_int8_opts(c->opts, &io);
	if (v->int8 && !c->train && !c->shadow_f32) {
		struct sb_int8_obs ob;

		memset(&ob, 0, sizeof(ob));
		if (ref_forward_int8(&c->got, &io, &ob, cpu_phase, c) != 0) {
			snprintf(c->err, sizeof(c->err), "the host int8 "
			    "forward: out of host memory for its int8 copies");
			return -1;
		}
		s->sat_act = ob.sat_act;
		s->sat_weight = ob.sat_weight;
		return 0;
	}
	if (v->amp == SB_DT_F32 || c->shadow_f32) {
		ref_step_f32(&c->got, c->train, cpu_mark, c);
		return sb_dp_check(c);
	}
	struct sb_amp_opts ao = {
		.dt = v->amp,
		.scaled = v->scaled,
		.wgrad_out = c->opts->amp_wgrad_f32 ? SB_DT_F32 : v->amp,
		.cfg = c->opts->scaler,
		.inject_at = c->inject_at,
		.int8 = v->int8 ? &io : NULL,
	};

	if (ref_step_amp(&c->got, c->train, &ao, &s->scaler, s->steps,
	    &s->amp_last, cpu_phase, c) != 0) {
		char why[256];

		if (sb_amp_opts_check(&ao, why, sizeof(why)) != 0)
			snprintf(c->err, sizeof(c->err), "the host autocast "
			    "step: %s", why);
		else
			snprintf(c->err, sizeof(c->err), "the host autocast "
			    "step: out of host memory for its half copies");
		return -1;
	}
	s->steps++;
	return 0;
}

static int
cpu_amp_state(struct sb_engine *e, struct sb_ctx *c, struct sb_amp_obs *ob)
{
	struct cpu_state *s = c->bk;

	(void)e;
	ob->scale_used = s->amp_last.scale_used;
	ob->skipped = s->amp_last.skipped;
	ob->growth_tracker = s->scaler.growth_tracker;
	ob->scale = s->scaler.scale;
	return 0;
}

static int
cpu_int8_state(struct sb_engine *e, struct sb_ctx *c, int64_t *sat_act,
    int64_t *sat_weight)
{
	struct cpu_state *s = c->bk;

	(void)e;
	*sat_act = s->sat_act;
	*sat_weight = s->sat_weight;
	return 0;
}

static int
cpu_readback(struct sb_engine *e, struct sb_ctx *c)
{
	(void)e;
	(void)c;	/* the CPU step works in c->got itself */
	return 0;
}

static int
cpu_loss(struct sb_engine *e, struct sb_ctx *c, double *loss)
{
	(void)e;
	*loss = c->got.loss;
	return 0;
}

static int
cpu_graph(struct sb_engine *e, struct sb_ctx *c)
{
	(void)e;
	snprintf(c->err, sizeof(c->err), "CUDA graph mode applies to GPU "
	    "variants only");
	return -1;
}

static int
flush_caches(struct sb_engine *e)
{
	if (e->cpu_flush == NULL) {
		long l2 = sysconf(_SC_LEVEL2_CACHE_SIZE);
		size_t bytes = l2 > 0 ? 2 * (size_t)l2 : CPU_FLUSH_DEFAULT;

		if (bytes < CPU_FLUSH_DEFAULT)
			bytes = CPU_FLUSH_DEFAULT;
		if ((e->cpu_flush = malloc(bytes)) == NULL)
			return -1;
		e->cpu_flush_bytes = bytes;
	}
	memset(e->cpu_flush, (int)(e->cpu_flush_bytes & 0x7f),
	    e->cpu_flush_bytes);
	/* keep the compiler from dropping the writes */
	__asm__ __volatile__("" : : "r"(e->cpu_flush) : "memory");
	return 0;
}

static int
cpu_sample(struct sb_engine *e, struct sb_ctx *c, double *step_us,
    double *phase_us)
{
	struct cpu_state *s = c->bk;
	double t0, t1;

	if (c->reps == 0) {
		/* calibrate: one untimed step says how many make a sample */
		t0 = sb_mono_s();
		if (cpu_step(e, c))
			return -1;
		t1 = sb_mono_s();
		double us = (t1 - t0) * 1e6;

		c->reps = us >= CPU_SAMPLE_MIN_US ? 1 :
		    (int)ceil(CPU_SAMPLE_MIN_US / (us > 0.01 ? us : 0.01));
		if (c->dp != NULL) {
			/* the replicas step together: the same reps on all */
			double r = c->reps;

			if (sb_dp_agree(c, &r, 1, SB_RED_MAX))
				return -1;
			c->reps = (int)r;
		}
	}
	if (c->opts->l2_flush && flush_caches(e)) {
		snprintf(c->err, sizeof(c->err), "out of host memory for the "
		    "cache-flush buffer");
		return -1;
	}
	memset(s->acc, 0, sizeof(s->acc));
	s->cur = -1;
	s->timing = c->reps == 1;
	t0 = sb_mono_s();
	for (int r = 0; r < c->reps; r++)
		if (cpu_step(e, c))
			return -1;
	t1 = sb_mono_s();
	s->timing = 0;
	*step_us = (t1 - t0) * 1e6 / c->reps;
	for (int p = 0; p < SB_PH_COUNT; p++)
		phase_us[p] = c->reps == 1 ? s->acc[p] * 1e6 : NAN;
	return 0;
}

static void
cpu_teardown(struct sb_engine *e, struct sb_ctx *c)
{
	(void)e;
	free(c->bk);
	c->bk = NULL;
}

static int
cpu_sticky(struct sb_engine *e)
{
	(void)e;
	return 0;
}
