/*
 * harness/engine_dp.c — the data-parallel machinery on the step's phase
 * marks (engine_dp.h), and its host transport: buckets packed into host
 * buffers and all-reduced over MPI (blocking; with --overlap started by
 * MPI_Iallreduce when ready and completed at the sgd mark).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "engine_dp.h"
#include "half.h"
#include "prof.h"
#include "registry.h"
#include "stats.h"

static void
dp_fail(struct sb_dp *dp, const char *what, const char *why)
{
	if (dp->failed)
		return;
	dp->failed = 1;
	snprintf(dp->err, sizeof(dp->err), "data parallel, %s: %s", what,
	    why);
}

/* Starts bucket b under an NVTX range "allreduce.bucketN" (the host's
 * share: on CPU ranks the blocking all-reduce itself, on GPUs the
 * enqueue). */
static int
start_bucket(struct sb_ctx *c, int b)
{
	static const char *const names[SB_DDP_MAX_PARAMS] = {
#define N(i) "allreduce.bucket" #i
		N(0), N(1), N(2), N(3), N(4), N(5), N(6), N(7), N(8), N(9),
		N(10), N(11), N(12), N(13), N(14), N(15), N(16), N(17), N(18),
		N(19), N(20), N(21), N(22), N(23), N(24), N(25), N(26), N(27),
		N(28), N(29), N(30), N(31),
#undef N
	};
	_Static_assert(SB_DDP_MAX_PARAMS == 32, "one name per bucket");
	int rc;

	if (c->nvtx_phases)
		prof_push(PROF_CAT_COMM, names[b]);
	rc = c->dp->tp->start(c, b);
	if (c->nvtx_phases)
		prof_pop();
	return rc;
}

static void
start_ready(struct sb_ctx *c, int layer)
{
	struct sb_dp *dp = c->dp;
	int lo, hi;

	sb_ddp_ready(&dp->plan, layer, &lo, &hi);
	for (int b = lo; b < hi && !dp->failed; b++) {
		if (b != dp->started) {
			dp_fail(dp, "bucket order", "a bucket became ready "
			    "before the one ahead of it");
			return;
		}
		if (start_bucket(c, b) != 0)
			return;
		dp->started++;
	}
}

void
sb_dp_mark(struct sb_ctx *c, enum sb_phase ph, sb_phase_fn inner)
{
	struct sb_dp *dp = c->dp;

	if (dp == NULL || !dp->enabled || dp->failed) {
		inner(c, ph);
		return;
	}
	if (ph == SB_PH_FORWARD) {
		/* a new step */
		dp->wgrad_seen = 0;
		dp->pending_layer = -1;
		dp->started = 0;
		dp->synced = 0;
		inner(c, ph);
		return;
	}
	if (dp->pending_layer >= 0 && dp->overlap) {
		/* the layer whose wgrad was open is complete */
		int l = dp->pending_layer;

		dp->pending_layer = -1;
		inner(c, SB_PH_ALLREDUCE);
		start_ready(c, l);
	}
	dp->pending_layer = -1;
	if (ph == SB_PH_WGRAD) {
		dp->pending_layer = dp->layers - 1 - dp->wgrad_seen++;
		if (dp->pending_layer < 0)
			dp_fail(dp, "phase marks", "more backward.wgrad marks "
			    "than layers");
	} else if ((ph == SB_PH_SGD || ph == SB_PH_UNSCALE) && !dp->synced) {
		/* every gradient is there: the rest start, all finish */
		dp->synced = 1;
		inner(c, SB_PH_ALLREDUCE);
		for (int b = dp->started; b < dp->plan.nbuckets &&
		    !dp->failed; b++) {
			if (start_bucket(c, b) != 0)
				break;
			dp->started++;
		}
		if (!dp->failed) {
			if (c->nvtx_phases)
				prof_push(PROF_CAT_COMM, "allreduce.wait");
			dp->tp->finish(c);
			if (c->nvtx_phases)
				prof_pop();
		}
	}
	inner(c, ph);
}

int
sb_dp_check(struct sb_ctx *c)
{
	if (c->dp == NULL || !c->dp->failed)
		return 0;
	snprintf(c->err, sizeof(c->err), "%s", c->dp->err);
	return -1;
}

/* --- the host transport ----------------------------------------------- */

struct host_tp {
	uint16_t *flat[SB_DDP_MAX_PARAMS];	/* per bucket, compressed */
	double	 t0[SB_DDP_MAX_PARAMS];		/* started at */
	double	 us[SB_DDP_MAX_PARAMS];		/* start to completion */
	int	 open[SB_DDP_MAX_PARAMS];	/* non-blocking, not waited */
};

/* Compressed: bucket b's gradients divided by world and rounded to the
 * half type, into its flat buffer (dp_kernels.cuh does the same on the
 * GPU), and back. */
static void
host_pack(struct sb_dp *dp, int b, uint16_t *flat)
{
	const struct sb_ddp_bucket *bk = &dp->plan.buckets[b];
	float inv = 1.0f / (float)dp->world;

	for (int i = bk->first; i < bk->first + bk->nparams; i++) {
		const struct sb_ddp_param *p = &dp->plan.params[i];
		const float *g = sb_dp_grad(dp, p);

		for (int64_t j = 0; j < p->count; j++)
			flat[j] = dp->wire == SB_DT_F16 ?
			    sb_f32_to_f16(g[j] * inv) : sb_f32_to_bf16(g[j] * inv);
		flat += p->count;
	}
}

static void
host_unpack(struct sb_dp *dp, int b, const uint16_t *flat)
{
	const struct sb_ddp_bucket *bk = &dp->plan.buckets[b];

	for (int i = bk->first; i < bk->first + bk->nparams; i++) {
		const struct sb_ddp_param *p = &dp->plan.params[i];
		float *g = sb_dp_grad(dp, p);

		for (int64_t j = 0; j < p->count; j++)
			g[j] = dp->wire == SB_DT_F16 ? sb_f16_to_f32(flat[j]) :
			    sb_bf16_to_f32(flat[j]);
		flat += p->count;
	}
}

/*
 * f32 gradients are all-reduced in place, tensor by tensor (an average);
 * DDP's gradient_as_bucket_view: no copies.  Compressed ones go through
 * the bucket's flat half buffer (a sum of values divided by world first).
 * With --overlap the requests are non-blocking, one slot per tensor (f32)
 * or per bucket (compressed), completed at the sgd mark.
 */
static int
host_start(struct sb_ctx *c, int b)
{
	struct sb_dp *dp = c->dp;
	struct host_tp *h = dp->tp_state;
	const struct sb_ddp_bucket *bk = &dp->plan.buckets[b];
	char why[384];
	int rc = 0;

	if (dp->wire != SB_DT_F32)
		host_pack(dp, b, h->flat[b]);
	h->t0[b] = sb_mono_s();
	if (dp->wire == SB_DT_F32) {
		for (int i = bk->first; i < bk->first + bk->nparams && rc == 0;
		    i++) {
			const struct sb_ddp_param *p = &dp->plan.params[i];

			rc = dp->overlap ? sb_comm_iallreduce_host(dp->comm, i,
			    sb_dp_grad(dp, p), p->count, SB_CD_F32, SB_RED_AVG,
			    why, sizeof(why)) : sb_comm_allreduce_host(dp->comm,
			    NULL, sb_dp_grad(dp, p), p->count, SB_CD_F32,
			    SB_RED_AVG, why, sizeof(why));
		}
	} else
		rc = dp->overlap ? sb_comm_iallreduce_host(dp->comm, b,
		    h->flat[b], bk->count, sb_dp_wire(dp->wire), SB_RED_SUM, why,
		    sizeof(why)) : sb_comm_allreduce_host(dp->comm, NULL,
		    h->flat[b], bk->count, sb_dp_wire(dp->wire), SB_RED_SUM, why,
		    sizeof(why));
	if (rc != 0) {
		dp_fail(dp, "a bucket's all-reduce", why);
		return -1;
	}
	if (dp->overlap) {
		h->open[b] = 1;
		return 0;
	}
	h->us[b] = (sb_mono_s() - h->t0[b]) * 1e6;
	if (dp->wire != SB_DT_F32)
		host_unpack(dp, b, h->flat[b]);
	return 0;
}

static int
host_finish(struct sb_ctx *c)
{
	struct sb_dp *dp = c->dp;
	struct host_tp *h = dp->tp_state;
	char why[384];

	for (int b = 0; b < dp->started; b++) {
		const struct sb_ddp_bucket *bk = &dp->plan.buckets[b];
		int rc = 0;

		if (!h->open[b])
			continue;
		h->open[b] = 0;
		if (dp->wire == SB_DT_F32)
			for (int i = bk->first; i < bk->first + bk->nparams &&
			    rc == 0; i++)
				rc = sb_comm_wait_host(dp->comm, i, why,
				    sizeof(why));
		else
			rc = sb_comm_wait_host(dp->comm, b, why, sizeof(why));
		if (rc != 0) {
			dp_fail(dp, "completing a bucket's all-reduce", why);
			return -1;
		}
		h->us[b] = (sb_mono_s() - h->t0[b]) * 1e6;
		if (dp->wire != SB_DT_F32)
			host_unpack(dp, b, h->flat[b]);
	}
	return 0;
}

static int
host_times(struct sb_ctx *c)
{
	struct sb_dp *dp = c->dp;
	struct host_tp *h = dp->tp_state;

	for (int b = 0; b < dp->plan.nbuckets; b++)
		dp->bucket_us[b] = h->us[b];
	return 0;
}

static void
host_release(struct sb_ctx *c)
{
	struct host_tp *h = c->dp->tp_state;

	if (h == NULL)
		return;
	for (int b = 0; b < SB_DDP_MAX_PARAMS; b++)
		free(h->flat[b]);
	free(h);
	c->dp->tp_state = NULL;
}

static const struct sb_dp_transport host_transport = {
	.name = "host",
	.start = host_start,
	.finish = host_finish,
	.times = host_times,
	.release = host_release,
};

int
sb_dp_bind_host(struct sb_ctx *c, float *const dw[], float *const db[])
{
	struct sb_dp *dp = c->dp;
	struct host_tp *h;

	if ((h = calloc(1, sizeof(*h))) == NULL)
		goto oom;
	dp->tp = &host_transport;
	dp->tp_state = h;
	/* a non-blocking request's completion is only seen at the wait,
	 * after the rest of the backward: no time of its own */
	dp->times_exact = !dp->overlap;
	for (int l = 0; l < dp->layers; l++) {
		dp->dw[l] = dw[l];
		dp->db[l] = db[l];
	}
	for (int b = 0; b < dp->plan.nbuckets && dp->wire != SB_DT_F32; b++)
		if ((h->flat[b] = malloc(dp->plan.buckets[b].bytes)) == NULL)
			goto oom;
	return 0;
oom:
	snprintf(c->err, sizeof(c->err), "out of host memory for the "
	    "data-parallel buckets");
	return -1;
}

/* --- the point: communicator, shard, gather, agreement ------------------ */

int
sb_dp_open(struct sb_ctx *c, char *why, size_t len)
{
	const struct sb_engine_opts *op = c->opts;
	const struct sb_variant *v = c->pt->variant;
	struct sb_dp *dp;
	enum sb_comm_backend be = v->backend == SB_BACKEND_GPU ?
	    SB_COMM_NCCL : SB_COMM_MPI;
	struct sb_comm *comm = NULL;
	size_t elem;
	int64_t rows, row0;

	/* collective over the job: every rank comes here for this point */
	if (sb_comm_get(be, c->pt->world, &comm, why, len) != 0)
		return SB_DP_SKIP;
	if (comm == NULL) {
		snprintf(why, len, "rank %d sits out world %d", sb_comm_rank(),
		    c->pt->world);
		return SB_DP_SIT_OUT;
	}
	if ((dp = calloc(1, sizeof(*dp))) == NULL) {
		snprintf(why, len, "out of host memory");
		return SB_DP_FAIL;
	}
	c->dp = dp;
	dp->comm = comm;
	dp->backend = be;
	dp->world = sb_comm_world(comm);
	dp->rank = sb_comm_grank(comm);
	dp->overlap = op->dp_overlap;
	dp->wire = op->dp_compress;
	dp->enabled = 1;
	dp->layers = c->dims.layers;
	dp->pending_layer = -1;

	/* what the data-parallel step does not cover: the same answer on
	 * every rank (the point and the options are the same) */
	if (v->mode != SB_TRAIN) {
		snprintf(why, len, "data parallel applies to training: %s has "
		    "no gradients to all-reduce (use a train.* variant)", v->id);
		return SB_DP_SKIP;
	}
	if (v->amp != SB_DT_F32 || v->int8) {
		snprintf(why, len, "data parallel is implemented for the fp32 "
		    "and tf32 steps; %s (%s) is not one of them yet", v->id,
		    v->precision);
		return SB_DP_SKIP;
	}
	if (c->pt->graph) {
		snprintf(why, len, "graph mode with data parallel is not "
		    "implemented: the all-reduce runs eagerly (use --graph off)");
		return SB_DP_SKIP;
	}
	if (sb_ddp_shard(c->dims.m, dp->world, dp->rank, &row0, &rows, why,
	    len) != 0)
		return SB_DP_SKIP;
	dp->row0 = row0;
	dp->rows = rows;
	elem = dp->wire == SB_DT_F32 ? 4 : 2;
	if (sb_ddp_buckets(&dp->plan, &c->dims, elem, op->dp_bucket_cap,
	    op->dp_first_bucket, why, len) != 0)
		return SB_DP_SKIP;
	return SB_DP_OK;
}

void
sb_dp_close(struct sb_ctx *c)
{
	if (c->dp == NULL)
		return;
	if (c->dp->tp != NULL && c->dp->tp->release != NULL)
		c->dp->tp->release(c);
	sb_hstep_f32_free(&c->dp->finit);
	sb_hstep_f32_free(&c->dp->fgot);
	for (int b = 0; b < SB_DDP_MAX_PARAMS; b++)
		free(c->dp->sample_bucket_us[b]);
	free(c->dp->sample_comm_us);
	free(c->dp->baseline_us);
	free(c->dp);
	c->dp = NULL;
}

int
sb_dp_agree(struct sb_ctx *c, double *v, int n, enum sb_red_op op)
{
	char why[384];

	if (c->dp == NULL)
		return 0;
	if (sb_comm_allreduce_host(c->dp->comm, NULL, v, n, SB_CD_F64, op,
	    why, sizeof(why)) != 0) {
		snprintf(c->err, sizeof(c->err), "data parallel, agreeing "
		    "across ranks: %s", why);
		return -1;
	}
	return 0;
}

void
sb_dp_shard_inputs(const struct sb_ctx *c, const struct sb_hstep_f32 *full,
    struct sb_hstep_f32 *local)
{
	const struct sb_dims *d = &full->d;
	int64_t k = d->width[0], n = d->width[d->layers];
	int64_t r0 = c->dp->row0, rows = c->dp->rows;

	memcpy(local->x, full->x + r0 * k, rows * k * sizeof(float));
	memcpy(local->t, full->t + r0 * n, rows * n * sizeof(float));
	for (int l = 0; l < d->layers; l++) {
		int64_t nl = d->width[l + 1], kl = d->width[l];

		memcpy(local->w[l], full->w[l], nl * kl * sizeof(float));
		memcpy(local->b[l], full->b[l], nl * sizeof(float));
	}
	local->lr = full->lr;
}

/* recv := every rank's rows of a (rows, width) tensor, scaled by s */
static int
gather_rows(struct sb_ctx *c, const float *mine, float *all, int64_t width,
    float s)
{
	char why[384];
	int64_t count = c->dp->rows * width;

	if (sb_comm_allgather_host(c->dp->comm, mine, all,
	    count * sizeof(float), why, sizeof(why)) != 0) {
		snprintf(c->err, sizeof(c->err), "data parallel, gathering "
		    "the batch for the check: %s", why);
		return -1;
	}
	if (s != 1.0f)
		for (int64_t i = 0; i < count * c->dp->world; i++)
			all[i] *= s;
	return 0;
}

int
sb_dp_gather(struct sb_ctx *c, struct sb_hstep_f32 *full, char *mismatch,
    size_t len)
{
	const struct sb_dims *d = &full->d;
	const struct sb_hstep_f32 *g = &c->got;
	/* a replica's activation gradients are of its shard's mean loss:
	 * world times the full batch's */
	float s = 1.0f / (float)c->dp->world;
	char why[384];
	double loss = g->loss;

	mismatch[0] = '\0';
	for (int l = 0; l < d->layers; l++) {
		int64_t n = d->width[l + 1], k = d->width[l];
		size_t wb = n * k * sizeof(float);

		if (gather_rows(c, g->y[l], full->y[l], n, 1.0f) ||
		    gather_rows(c, g->dy[l], full->dy[l], n, s))
			return -1;
		memcpy(full->dw[l], g->dw[l], wb);
		memcpy(full->db[l], g->db[l], n * sizeof(float));
		memcpy(full->w[l], g->w[l], wb);
		memcpy(full->b[l], g->b[l], n * sizeof(float));
		/* every rank must hold rank 0's parameters, bit for bit */
		for (int pb = 0; pb < 2; pb++) {
			float *mine = pb ? full->b[l] : full->w[l];
			size_t bytes = pb ? n * sizeof(float) : wb;
			double diff;
			float *r0 = malloc(bytes);

			if (r0 == NULL) {
				snprintf(c->err, sizeof(c->err), "out of host "
				    "memory");
				return -1;
			}
			memcpy(r0, mine, bytes);
			if (sb_comm_bcast_host(c->dp->comm, r0, bytes, 0, why,
			    sizeof(why)) != 0) {
				free(r0);
				snprintf(c->err, sizeof(c->err), "data parallel, "
				    "comparing parameters: %s", why);
				return -1;
			}
			diff = memcmp(r0, mine, bytes) != 0;
			free(r0);
			if (sb_dp_agree(c, &diff, 1, SB_RED_MAX))
				return -1;
			if (diff != 0 && mismatch[0] == '\0')
				snprintf(mismatch, len, "layer %d's %s after the "
				    "update differs between ranks (data-"
				    "parallel replicas must stay bit-identical)",
				    l, pb ? "bias" : "weight");
		}
	}
	if (full->dx != NULL && g->dx != NULL &&
	    gather_rows(c, g->dx, full->dx, d->width[0], s))
		return -1;
	if (sb_dp_agree(c, &loss, 1, SB_RED_AVG))
		return -1;
	full->loss = loss;
	full->lr = g->lr;
	return 0;
}

void
sb_dp_outcome(struct sb_ctx *c, struct sb_outcome *o)
{
	struct sb_dp *dp = c->dp;
	struct db_result *r = &o->r;
	const int n = r->nsamples;
	struct sb_overlap ov;

	r->dp = 1;
	r->dp_backend = sb_comm_backend_name(dp->backend);
	r->dp_bucket_cap = c->opts->dp_bucket_cap;
	r->dp_first_bucket = c->opts->dp_first_bucket;
	r->dp_overlap = dp->overlap;
	r->dp_compress = sb_dtype_name(dp->wire);
	r->dp_op = dp->wire == SB_DT_F32 ? "avg" : "sum";
	r->dp_inplace = -1;
	r->dp_compute_us = r->dp_comm_us = NAN;
	r->dp_exposed_us = r->dp_overlap_frac = r->dp_overhead = NAN;
	r->ncomm = 0;
	if (n <= 0 || dp->sample_comm_us == NULL || dp->nbaseline != n)
		return;
	r->dp_compute_us = sb_median(dp->baseline_us, n);
	if (dp->times_exact)
		r->dp_comm_us = sb_median(dp->sample_comm_us, n);
	sb_overlap_of(r->median_us, r->dp_compute_us, r->dp_comm_us, &ov);
	r->dp_exposed_us = ov.exposed_us;
	r->dp_overhead = ov.overhead;
	/* without --overlap the buckets run after the backward: nothing is
	 * hidden by construction, and the formula would only measure noise */
	r->dp_overlap_frac = dp->overlap ? ov.overlap : NAN;
	for (int b = 0; b < dp->plan.nbuckets; b++) {
		const struct sb_ddp_bucket *bk = &dp->plan.buckets[b];
		struct db_comm *cm = &o->comm[b];
		double lo = INFINITY;

		cm->bucket = b;
		cm->nparams = bk->nparams;
		cm->layer_hi = dp->plan.params[bk->first].layer;
		cm->layer_lo = bk->ready_layer;
		cm->bytes = (int64_t)bk->bytes;
		cm->median_us = cm->min_us = NAN;
		cm->algbw_gbps = cm->busbw_gbps = NAN;
		if (!dp->times_exact)
			continue;
		for (int i = 0; i < n; i++)
			if (dp->sample_bucket_us[b][i] < lo)
				lo = dp->sample_bucket_us[b][i];
		cm->median_us = sb_median(dp->sample_bucket_us[b], n);
		cm->min_us = lo;
		cm->algbw_gbps = sb_algbw_gbps((double)bk->bytes, cm->median_us);
		cm->busbw_gbps = sb_busbw_gbps((double)bk->bytes,
		    cm->median_us, dp->world);
	}
	r->ncomm = dp->plan.nbuckets;
	r->comm = o->comm;
}
