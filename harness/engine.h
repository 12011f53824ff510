/*
 * harness/engine.h — measures one point of a sweep (DESIGN §4):
 *
 *   1. skip, with the reason, what cannot run here (no GPU, arch, memory);
 *   2. fixed-seed inputs and the fp64 reference (full, or sampled when the
 *      full reference would cost more than opts->check_budget_flop);
 *   3. one checked step on poisoned outputs — a wrong step is a 'mismatch'
 *      row and is never timed;
 *   4. warm-up, then timed samples (L2 flushed between them unless told
 *      otherwise) until the relative noise is ≤ max_noise after min_samples,
 *      or max_samples, or the per-point timeout;
 *   5. graph mode: the step is captured once and its replays are timed;
 *   6. the state is restored and one more step is checked;
 *   7. optional --steps N: N steps from the initial state, the loss recorded;
 *      for mixed precision also the loss scale of every step, whether the
 *      scaler skipped it, and the fp32 step's loss over the same steps.
 *
 * The result is a struct db_result ready to store: the engine decides what
 * the numbers are, the db decides how they are kept.
 */
#ifndef SB_HARNESS_ENGINE_H
#define SB_HARNESS_ENGINE_H

#include <signal.h>
#include <stdint.h>

#include "db.h"
#include "ddp.h"
#include "dtype.h"
#include "device.h"
#include "scaler.h"
#include "step.h"
#include "sweep.h"

enum sb_lr_decay { SB_LR_CONST, SB_LR_STEP, SB_LR_COSINE };

struct sb_engine_opts {
	int		 warmup;		/* untimed steps before sampling */
	int		 min_samples, max_samples;
	double		 max_noise;		/* stop when cv ≤ this */
	double		 timeout_s;		/* per point, timed loop */
	int		 l2_flush;
	uint64_t	 seed;
	float		 lr;
	int		 input_grad;
	int		 steps;			/* --steps N; 0 = no loss curve */
	int		 normalize;
	enum sb_lr_decay lr_decay;
	double		 check_budget_flop;	/* full reference up to this */
	int		 sample_entries;	/* per tensor in sampled mode */
	/* mixed precision */
	struct sb_scaler_cfg scaler;		/* fp16amp's GradScaler */
	int		 inject_overflow;	/* --steps: plant an inf in the
						 * gradients at this step; -1 */
	int		 amp_wgrad_f32;		/* weight gradients in fp32
						 * (not PyTorch's half) */
	/* dynamic int8 */
	int		 int8_per_channel;	/* weights: a scale per output
						 * channel (else per tensor) */
	/* data parallel (engine_dp.h) */
	int		 dp_force;		/* --comm: the DP machinery even
						 * at world 1 */
	double		 dp_bucket_cap;		/* bytes (DDP: 25 MiB) */
	double		 dp_first_bucket;	/* bytes (DDP: 1 MiB) */
	int		 dp_overlap;		/* start buckets when ready */
	enum sb_dtype	 dp_compress;		/* f32 = none, f16, bf16 */
	/* CUPTI (profiler/prof_cupti.h): after the timed samples of a GPU
	 * point, cupti_steps more steps traced kernel by kernel (--cupti-
	 * steps N, 3; 0 = none), unless cupti is 0 (--no-cupti) */
	int		 cupti;
	int		 cupti_steps;
	/* `stepbench profile` (STEPBENCH_PROFILE set): a GPU point starts
	 * its capture window with the marker kernel (kernels/marker.h) */
	int		 profile_marker;
	/* internal: sample() alone decides interrupts (sb_sample_until
	 * does not read sb_engine_interrupted), as data-parallel ranks
	 * must stop together */
	int		 stop_agreed;
};

void	sb_engine_opts_default(struct sb_engine_opts *);
struct sb_int8_opts;
/* The int8dyn options of op (kernels/quant.h). */
void	sb_engine_int8_opts(const struct sb_engine_opts *op,
	    struct sb_int8_opts *io);

/*
 * The timed loop, once for every kind of measurement (the step engine and
 * `stepbench gemm`): calls sample(ctx, i, &us) for i = 0, 1, ... and keeps
 * samples_us[i] = us until the relative noise (sample stdev / mean, by
 * Welford) is <= op->max_noise after op->min_samples samples ("noise"),
 * min(cap, op->max_samples) samples ("max-samples"), op->timeout_s seconds
 * ("timeout") or sb_engine_interrupted ("interrupted"), which *stop_reason
 * names.  sample() returns 0 to go on, 1 to keep this sample and stop
 * ("interrupted" if sb_engine_interrupted, else "timeout": ranks that must
 * stop together decide it themselves), or -1 on failure.  Returns the
 * sample count, or -1 as soon as sample() fails.
 */
typedef int (*sb_sample_fn)(void *ctx, int i, double *us);
int	sb_sample_until(const struct sb_engine_opts *op, sb_sample_fn sample,
	    void *ctx, double *samples_us, int cap, const char **stop_reason);
/* The learning rate of step s of n under the schedule. */
double	sb_lr_at(const struct sb_engine_opts *, int s, int n);

/* The most GEMM calls a step makes: forward, wgrad and dgrad per layer;
 * and the longest kernel name kept (launch.h). */
#define SB_OUTCOME_LAUNCHES	(3 * SB_MAX_LAYERS)
#define SB_LAUNCH_NAME_LEN	96

/* A finished point: r is ready for db_result_add; the rest is its storage. */
struct sb_outcome {
	struct db_result	 r;
	double			*samples;
	double			*loss_curve, *lr_curve;
	double			*scale_curve, *ref_loss_curve;
	int			*skipped_curve, *growth_curve;
	struct db_phase		 phases[SB_PH_COUNT];
	/* GPU: the step's GEMM calls, described (r.launch_info) */
	struct db_launch	 launch[SB_OUTCOME_LAUNCHES];
	char			 launch_name[SB_OUTCOME_LAUNCHES]
				    [SB_LAUNCH_NAME_LEN];
	/* data parallel: the buckets' all-reduces (r.comm) */
	struct db_comm		 comm[SB_DDP_MAX_PARAMS];
	/* CUPTI: r.cupti, and r.kernels with their names */
	char			 cupti_note[384];
	struct db_kernel	*kernels;	/* malloc'ed */
	char			*kernel_text;	/* malloc'ed */
	char			 reason[512];
	char			 check_mode[16];
	char			 started_at[32];
	/* provenance (harness/fingerprint.h): r.fingerprint and
	 * r.fingerprint_json */
	char			 fingerprint[17];
	char			*fingerprint_json;	/* malloc'ed */
};

void	sb_outcome_free(struct sb_outcome *);
/* Zeroed, started now, every figure NaN (not measured), status "ok". */
void	sb_outcome_init(struct sb_outcome *);
/* Status "skipped" with the reason; returns 0. */
int	sb_outcome_skip(struct sb_outcome *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* From o->samples[0..r.nsamples) and r.flops, r.bytes: the timing
 * summary, TFLOP/s and GB/s at the median; for a GPU result also the
 * device ceilings (TF32 ones for precision "tf32") and over_peak. */
void	sb_outcome_summarise(struct sb_outcome *, const struct sb_device *,
	    int gpu);
/* UTC now as ISO-8601 with milliseconds ("2024-01-02T03:04:05.678Z"). */
void	sb_now_iso(char *buf, size_t len);

struct sb_engine;

/* Set by a signal handler: the engine stops sampling at the next sample. */
extern volatile sig_atomic_t sb_engine_interrupted;

int	sb_engine_create(struct sb_engine **, const struct sb_device *);
void	sb_engine_destroy(struct sb_engine *);

/*
 * Measures pt.  Always fills out (status ok/mismatch/failed/skipped).
 * Returns 0, or -1 when the GPU is left in a state the process cannot
 * recover from (a sticky CUDA error): store the row, then stop the sweep.
 */
int	sb_engine_run(struct sb_engine *, const struct sb_point *,
	    const struct sb_engine_opts *, struct sb_outcome *out);

#endif
