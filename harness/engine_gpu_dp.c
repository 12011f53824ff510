/*
 * harness/engine_gpu_dp.c — the data-parallel step's GPU transport
 * (engine_dp.h): NCCL all-reduces on a communication stream of their own.
 *
 * Bucket b starts (at the mark after its lowest layer's wgrad, or at the
 * sgd mark without --overlap):
 *
 *   compute stream:  ... wgrad(l) ─ record ready[b] ─ dgrad(l) ─ wgrad(l-1) ...
 *   comm stream:     wait ready[b] ─ [pack] ─ record t0[b] ─ ncclAllReduce ─
 *                    record t1[b] ─ [unpack] ─ record done[b]
 *
 * f32 gradients are all-reduced in place (ncclAvg), one call per tensor
 * inside ncclGroupStart/End, so one fused launch per bucket and no copies
 * (DDP's gradient_as_bucket_view).  Compressed ones are packed into the
 * bucket's flat half buffer (divided by world), summed, and unpacked.
 *
 * At the sgd mark the compute stream waits for done of every bucket, so the
 * update reads the averaged gradients.  The comm stream is non-blocking
 * with respect to the legacy stream and has the highest priority, so that
 * its pack/unpack kernels are not queued behind the GEMMs' CTAs (a choice
 * of ours, not measured yet).  A bucket's time
 * is t0 → t1, the all-reduce alone, so that its bus bandwidth compares
 * with `stepbench allreduce` at the same size; pack and unpack are in the
 * step's wall time (and so in the exposed time) but not in it.  The flat
 * buffers (one per bucket, compressed only) are one allocation.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cuda_runtime.h>

#include "dp.h"
#include "engine_dp.h"
#include "prof.h"

struct gpu_tp {
	cudaStream_t	 compute, comm;
	cudaEvent_t	 ready[SB_DDP_MAX_PARAMS];
	cudaEvent_t	 t0[SB_DDP_MAX_PARAMS], t1[SB_DDP_MAX_PARAMS];
	cudaEvent_t	 done[SB_DDP_MAX_PARAMS];
	void		*base;
	void		*flat[SB_DDP_MAX_PARAMS];
	int		 nevents;
};

static int
tp_cuda(struct sb_dp *dp, const char *what, cudaError_t err)
{
	char why[256];

	snprintf(why, sizeof(why), "%s: %s (%s)", what,
	    cudaGetErrorString(err), cudaGetErrorName(err));
	if (!dp->failed) {
		dp->failed = 1;
		snprintf(dp->err, sizeof(dp->err), "data parallel (GPU): %s",
		    why);
	}
	return -1;
}

#define TRY(dp, what, call) do {					\
	cudaError_t e_ = (cudaError_t)(call);				\
	if (e_ != cudaSuccess)						\
		return tp_cuda((dp), (what), e_);			\
} while (0)

static int
gpu_start(struct sb_ctx *c, int b)
{
	struct sb_dp *dp = c->dp;
	struct gpu_tp *g = dp->tp_state;
	const struct sb_ddp_bucket *bk = &dp->plan.buckets[b];
	/* compression divides before the half-precision sum (as PyTorch's
	 * fp16_compress_hook); f32 averages in the collective */
	const float scale = 1.0f / (float)dp->world;
	const size_t esz = sb_dtype_size(dp->wire);
	const int packed = dp->wire != SB_DT_F32;
	char why[384];
	int64_t off = 0;
	int rc = 0;

	TRY(dp, "cudaEventRecord(ready)", cudaEventRecord(g->ready[b],
	    g->compute));
	TRY(dp, "cudaStreamWaitEvent(comm, ready)",
	    cudaStreamWaitEvent(g->comm, g->ready[b], 0));
	for (int i = bk->first; packed && i < bk->first + bk->nparams; i++) {
		const struct sb_ddp_param *p = &dp->plan.params[i];

		TRY(dp, "packing a bucket", sb_dp_pack(sb_dp_grad(dp, p),
		    (char *)g->flat[b] + off * esz, p->count, dp->wire, scale,
		    g->comm));
		off += p->count;
	}
	TRY(dp, "cudaEventRecord(t0)", cudaEventRecord(g->t0[b], g->comm));
	if (packed)
		rc = sb_comm_allreduce_dev(dp->comm, g->flat[b], g->flat[b],
		    bk->count, sb_dp_wire(dp->wire), SB_RED_SUM, g->comm, why,
		    sizeof(why));
	else {
		/* in place, tensor by tensor, fused into one launch */
		rc = sb_comm_group_start(why, sizeof(why));
		for (int i = bk->first; rc == 0 && i < bk->first + bk->nparams;
		    i++) {
			const struct sb_ddp_param *p = &dp->plan.params[i];
			float *t = sb_dp_grad(dp, p);

			rc = sb_comm_allreduce_dev(dp->comm, t, t, p->count,
			    SB_CD_F32, SB_RED_AVG, g->comm, why, sizeof(why));
		}
		{
			char why_end[384];

			/* the group ends even after a failed call */
			if (sb_comm_group_end(why_end, sizeof(why_end)) != 0 &&
			    rc == 0) {
				rc = -1;
				snprintf(why, sizeof(why), "%s", why_end);
			}
		}
	}
	if (rc != 0) {
		if (!dp->failed) {
			dp->failed = 1;
			snprintf(dp->err, sizeof(dp->err), "data parallel "
			    "(GPU), bucket %d's all-reduce: %s", b, why);
		}
		return -1;
	}
	TRY(dp, "cudaEventRecord(t1)", cudaEventRecord(g->t1[b], g->comm));
	off = 0;
	for (int i = bk->first; packed && i < bk->first + bk->nparams; i++) {
		const struct sb_ddp_param *p = &dp->plan.params[i];

		TRY(dp, "unpacking a bucket", sb_dp_unpack((char *)g->flat[b] +
		    off * esz, sb_dp_grad(dp, p), p->count, dp->wire, g->comm));
		off += p->count;
	}
	TRY(dp, "cudaEventRecord(done)", cudaEventRecord(g->done[b],
	    g->comm));
	return 0;
}

static int
gpu_finish(struct sb_ctx *c)
{
	struct sb_dp *dp = c->dp;
	struct gpu_tp *g = dp->tp_state;

	for (int b = 0; b < dp->started; b++)
		TRY(dp, "cudaStreamWaitEvent(compute, done)",
		    cudaStreamWaitEvent(g->compute, g->done[b], 0));
	return 0;
}

static int
gpu_times(struct sb_ctx *c)
{
	struct sb_dp *dp = c->dp;
	struct gpu_tp *g = dp->tp_state;
	float ms;

	for (int b = 0; b < dp->plan.nbuckets; b++) {
		cudaError_t err = cudaEventElapsedTime(&ms, g->t0[b], g->t1[b]);

		if (err != cudaSuccess) {
			tp_cuda(dp, "cudaEventElapsedTime(bucket)", err);
			return sb_dp_check(c);
		}
		dp->bucket_us[b] = ms * 1e3;
	}
	return 0;
}

static void
gpu_release(struct sb_ctx *c)
{
	struct gpu_tp *g = c->dp->tp_state;

	if (g == NULL)
		return;
	if (g->comm != NULL) {
		cudaStreamSynchronize(g->comm);
		cudaStreamDestroy(g->comm);
	}
	for (int i = 0; i < g->nevents; i++) {
		cudaEventDestroy(g->ready[i]);
		cudaEventDestroy(g->t0[i]);
		cudaEventDestroy(g->t1[i]);
		cudaEventDestroy(g->done[i]);
	}
	cudaFree(g->base);
	free(g);
	c->dp->tp_state = NULL;
}

static const struct sb_dp_transport gpu_transport = {
	.name = "nccl",
	.start = gpu_start,
	.finish = gpu_finish,
	.times = gpu_times,
	.release = gpu_release,
};

int
sb_dp_bind_gpu(struct sb_ctx *c, float *const dw[], float *const db[],
    void *stream)
{
	struct sb_dp *dp = c->dp;
	struct gpu_tp *g;
	size_t total = 0, off = 0;
	int lo, hi;
	cudaError_t err;

	if (dp->backend != SB_COMM_NCCL) {
		snprintf(c->err, sizeof(c->err), "data parallel: GPU gradients "
		    "need the nccl backend, not %s",
		    sb_comm_backend_name(dp->backend));
		return -1;
	}
	if ((g = calloc(1, sizeof(*g))) == NULL) {
		snprintf(c->err, sizeof(c->err), "out of host memory");
		return -1;
	}
	dp->tp = &gpu_transport;
	dp->tp_state = g;
	dp->times_exact = 1;
	g->compute = (cudaStream_t)stream;
	for (int l = 0; l < dp->layers; l++) {
		dp->dw[l] = dw[l];
		dp->db[l] = db[l];
	}
	if ((err = cudaDeviceGetStreamPriorityRange(&lo, &hi)) != cudaSuccess ||
	    (err = cudaStreamCreateWithPriority(&g->comm, cudaStreamNonBlocking,
	    hi)) != cudaSuccess)
		goto cuda;
	prof_name_stream(g->comm, "comm");
	for (; g->nevents < dp->plan.nbuckets; g->nevents++) {
		int i = g->nevents;

		if ((err = cudaEventCreateWithFlags(&g->ready[i],
		    cudaEventDisableTiming)) != cudaSuccess)
			goto cuda;
		if ((err = cudaEventCreate(&g->t0[i])) != cudaSuccess) {
			cudaEventDestroy(g->ready[i]);
			goto cuda;
		}
		if ((err = cudaEventCreate(&g->t1[i])) != cudaSuccess) {
			cudaEventDestroy(g->ready[i]);
			cudaEventDestroy(g->t0[i]);
			goto cuda;
		}
		if ((err = cudaEventCreateWithFlags(&g->done[i],
		    cudaEventDisableTiming)) != cudaSuccess) {
			cudaEventDestroy(g->ready[i]);
			cudaEventDestroy(g->t0[i]);
			cudaEventDestroy(g->t1[i]);
			goto cuda;
		}
	}
	if (dp->wire == SB_DT_F32)
		return 0;	/* all-reduced in place: no buffers */
	for (int b = 0; b < dp->plan.nbuckets; b++)
		total += (dp->plan.buckets[b].bytes + 255) & ~(size_t)255;
	if ((err = cudaMalloc(&g->base, total)) != cudaSuccess)
		goto cuda;
	for (int b = 0; b < dp->plan.nbuckets; b++) {
		g->flat[b] = (char *)g->base + off;
		off += (dp->plan.buckets[b].bytes + 255) & ~(size_t)255;
	}
	return 0;
cuda:
	snprintf(c->err, sizeof(c->err), "data parallel (GPU) setup: %s (%s)",
	    cudaGetErrorString(err), cudaGetErrorName(err));
	return -1;
}

double
sb_dp_gpu_bytes(const struct sb_dims *d, enum sb_dtype wire)
{
	double elems = 0;

	if (wire == SB_DT_F32)
		return 0;
	for (int l = 0; l < d->layers; l++)
		elems += (double)d->width[l + 1] * (double)(d->width[l] + 1);
	return elems * (double)sb_dtype_size(wire) + 256.0 * 2 * SB_DDP_MAX_PARAMS;
}
