/*
 * harness/engine_dp.h — the data-parallel step, as the engine runs it
 * (issue 7; DESIGN §9).  Private to the engine.
 *
 * The rank's backend runs the ordinary step on its shard of the batch
 * (ctx->dims.m = M / world rows; the loss is the shard's mean, as each
 * DDP replica's is).  The DP machinery rides on the step's phase marks,
 * which every step calls in the same order on the CPU and the GPU:
 *
 *   forward, loss, (backward.wgrad [backward.dgrad]) per layer L-1..0, sgd
 *
 * A mark that follows layer l's backward.wgrad means l's weight and bias
 * gradients are complete (CPU) or enqueued (GPU).  Buckets (ddp.h) whose
 * lowest layer is l are then ready: with --overlap they start there, so
 * their all-reduce overlaps the rest of the backward pass; without, every
 * bucket starts at the sgd mark.  At the sgd mark the step waits for all
 * of them: the update sees the averaged gradients, identical on every
 * rank.  The DP work on the step's own timeline is phase "dp.allreduce".
 *
 * A bucket's f32 gradients are averaged in place, one collective per
 * tensor (fused into one launch on NCCL), as DDP with
 * gradient_as_bucket_view: no copies.  With f16/bf16 compression, as
 * PyTorch's fp16_compress_hook: the gradients are divided by world and
 * packed into the bucket's flat half buffer, summed, and widened back.
 *
 * Transports: engine_dp.c does the host (MPI; blocking, or with --overlap
 * MPI_Iallreduce completed at the sgd mark); engine_gpu_dp.c the GPU
 * (NCCL on a communication stream, events from the compute stream).
 * A bucket's time is its all-reduce alone (pack and unpack are in the
 * step's time, not the bucket's), so that its bus bandwidth compares with
 * `stepbench allreduce` at the same size: GPU, events around the NCCL
 * call on the communication stream; host, the monotonic clock around the
 * blocking call, or from MPI_Iallreduce to its completion found by the
 * wait at the sgd mark (with --overlap: an upper bound).
 */
#ifndef SB_HARNESS_ENGINE_DP_H
#define SB_HARNESS_ENGINE_DP_H

#include "comm.h"
#include "ddp.h"
#include "engine_int.h"
#include "hstep.h"

struct sb_dp_transport;

struct sb_dp {
	struct sb_comm		*comm;
	enum sb_comm_backend	 backend;
	int			 world, rank;
	int			 overlap;
	enum sb_dtype		 wire;		/* f32, or f16/bf16 compressed */
	struct sb_ddp_plan	 plan;
	int64_t			 row0, rows;	/* this rank's shard */
	int			 enabled;	/* 0: no communication at all
						 * (the compute-only baseline) */
	/* the step in flight */
	int			 layers;
	int			 wgrad_seen;	/* backward.wgrad marks */
	int			 pending_layer;	/* wgrad opened, not yet done */
	int			 started;	/* buckets started this step */
	int			 synced;	/* the update's wait is done */
	int			 failed;
	char			 err[512];
	/* the gradients the backend binds (host or device floats) */
	float			*dw[SB_MAX_LAYERS], *db[SB_MAX_LAYERS];
	int			 times_exact;	/* the transport times each
						 * bucket's all-reduce alone
						 * (not host --overlap) */
	/* the last step's per-bucket times (filled by bucket_times) */
	double			 bucket_us[SB_DDP_MAX_PARAMS];
	const struct sb_dp_transport *tp;
	void			*tp_state;
	/* the full batch, which the check and the reference see (the
	 * engine fills finit; fgot is gathered by sb_dp_gather) */
	struct sb_hstep_f32	 finit, fgot;
	/* per timed sample: each bucket's time, their sum, and the
	 * compute-only baseline taken right after the sample (all NaN where
	 * not measured) */
	double			*sample_bucket_us[SB_DDP_MAX_PARAMS];
	double			*sample_comm_us;
	double			*baseline_us;
	int			 nbaseline;
};

struct sb_dp_transport {
	const char *name;
	/* pack bucket b and start its all-reduce */
	int	(*start)(struct sb_ctx *, int b);
	/* every started bucket complete and unpacked before what the step
	 * does next */
	int	(*finish)(struct sb_ctx *);
	/* the last step's bucket times into dp->bucket_us (after the
	 * backend has synchronised the step) */
	int	(*times)(struct sb_ctx *);
	void	(*release)(struct sb_ctx *);
};

/* The gradient tensor of parameter p (bound by the backend). */
static inline float *
sb_dp_grad(const struct sb_dp *dp, const struct sb_ddp_param *p)
{
	return p->bias ? dp->db[p->layer] : dp->dw[p->layer];
}

/* The wire dtype as a collective's (comm.h numbers them alike). */
static inline enum sb_comm_dtype
sb_dp_wire(enum sb_dtype t)
{
	return (enum sb_comm_dtype)t;
}

/* Host gradients (the CPU backend): the MPI transport. */
int	sb_dp_bind_host(struct sb_ctx *, float *const dw[], float *const db[]);
/* Device gradients on stream (the GPU backend): the NCCL transport
 * (engine_gpu_dp.c). */
int	sb_dp_bind_gpu(struct sb_ctx *, float *const dw[], float *const db[],
	    void *stream);
/* The device bytes sb_dp_bind_gpu allocates for a step of d. */
double	sb_dp_gpu_bytes(const struct sb_dims *d, enum sb_dtype wire);

/*
 * The backends' phase callbacks call this with every mark; inner is the
 * backend's own marking, which this calls for ph (and for dp.allreduce
 * around the DP work).  Never fails: an error is kept in dp->err and
 * reported by sb_dp_check after the step.
 */
void	sb_dp_mark(struct sb_ctx *, enum sb_phase ph, sb_phase_fn inner);
/* After a step: -1 with the DP error in ctx->err if there was one. */
int	sb_dp_check(struct sb_ctx *);

/* --- the engine's side ---------------------------------------------------- */

enum { SB_DP_OK, SB_DP_SIT_OUT, SB_DP_SKIP, SB_DP_FAIL };
/*
 * For a data-parallel point (ctx->pt->world > 1, or --comm): the
 * communicator (collective over the job: every process calls this for the
 * point), the shard and the buckets into a new ctx->dp.  ctx->dims are the
 * full batch's here.  SB_DP_SIT_OUT: this rank is not in the point's
 * world; SB_DP_SKIP: the point cannot run (why says so, the same on every
 * rank); SB_DP_FAIL: out of memory.  sb_dp_close releases ctx->dp.
 */
int	sb_dp_open(struct sb_ctx *, char *why, size_t len);
void	sb_dp_close(struct sb_ctx *);
/* v[0..n) := op over the ranks (a no-op when ctx->dp is NULL). */
int	sb_dp_agree(struct sb_ctx *, double *v, int n, enum sb_red_op);
/* local := this rank's rows of full's x and t, and full's parameters. */
void	sb_dp_shard_inputs(const struct sb_ctx *,
	    const struct sb_hstep_f32 *full, struct sb_hstep_f32 *local);
/*
 * full := the step as one replica of the full batch would see it, from
 * every rank's ctx->got: y, dy and dx gathered over the ranks (dy and dx
 * scaled by 1/world: a replica's are of its shard's mean), the averaged
 * dw, db and the updated w, b, the mean loss.  mismatch (empty if none)
 * names a parameter that is not bit-identical on every rank.
 */
int	sb_dp_gather(struct sb_ctx *, struct sb_hstep_f32 *full,
	    char *mismatch, size_t len);
/* The point's data-parallel columns and comm rows into o: the setup
 * always, the times once o->r.nsamples > 0 (after sb_outcome_summarise). */
void	sb_dp_outcome(struct sb_ctx *, struct sb_outcome *);

#endif
