/*
 * harness/engine_int.h — what engine.c (the method) asks of a backend
 * (engine_cpu.c, engine_gpu.c: where the step runs).  Private to the engine.
 */
#ifndef SB_HARNESS_ENGINE_INT_H
#define SB_HARNESS_ENGINE_INT_H

#include "engine.h"
#include "hstep.h"

/* One point in flight. */
struct sb_dp;

struct sb_ctx {
	const struct sb_point		*pt;
	const struct sb_engine_opts	*opts;
	struct sb_dims			 dims;
	int				 train;
	struct sb_hstep_f32		 init;	/* state before the step */
	struct sb_hstep_f32		 got;	/* read back (CPU: worked in) */
	float				 lr;	/* of the next step */
	int				 reps;	/* steps per timed sample */
	int				 nvtx_phases;	/* push phase ranges */
	int				 open_phase;	/* -1: none open */
	int				 cupti_on;	/* CUPTI is tracing:
							 * phases go to it
							 * too */
	int64_t				 launches;	/* per eager step;
							 * 0 = not known */
	int64_t				 graph_nodes;	/* 0 = no graph */
	int				 shadow_f32;	/* a mixed-precision
							 * variant runs the fp32
							 * step (the reference
							 * loss curve) */
	int				 inject_at;	/* -1, or --inject-
							 * overflow's step */
	int				 fresh_scaler;	/* reset() also resets
							 * the loss scaler (else
							 * it keeps its scale) */
	struct sb_dp			*dp;	/* data parallel (engine_dp.h):
						 * dims, init and got are
						 * then this rank's shard */
	char				 err[512];
	void				*bk;	/* backend state */
};

/* The loss scaler as the last step left it. */
struct sb_amp_obs {
	double	scale_used;	/* the scale the step's loss was scaled by */
	int	skipped;	/* inf/NaN found: the update was skipped */
	int	growth_tracker;	/* good steps counted after the update */
	double	scale;		/* the scale the next step will use */
};

struct sb_backend_ops {
	const char *name;
	/* allocate and upload ctx->init; may say why not (skip) */
	int	(*setup)(struct sb_engine *, struct sb_ctx *);
	/* parameters := ctx->init, outputs poisoned (NaN) */
	int	(*reset)(struct sb_engine *, struct sb_ctx *);
	/* one complete step, finished when it returns (no timing) */
	int	(*step)(struct sb_engine *, struct sb_ctx *);
	/* outputs, parameters and loss into ctx->got */
	int	(*readback)(struct sb_engine *, struct sb_ctx *);
	int	(*loss)(struct sb_engine *, struct sb_ctx *, double *);
	/* graph mode: capture the step once (before sampling) */
	int	(*graph)(struct sb_engine *, struct sb_ctx *);
	/* one timed sample of ctx->reps steps: per-step time and phases */
	int	(*sample)(struct sb_engine *, struct sb_ctx *, double *step_us,
		    double phase_us[SB_PH_COUNT]);
	void	(*teardown)(struct sb_engine *, struct sb_ctx *);
	/* may be NULL: after setup, the step's kernel launches described
	 * into o->launch / o->r.launch_info (launches nothing) */
	int	(*describe)(struct sb_engine *, struct sb_ctx *,
		    struct sb_outcome *);
	/* mixed precision: the scaler after the last step (NULL-able) */
	int	(*amp_state)(struct sb_engine *, struct sb_ctx *,
		    struct sb_amp_obs *);
	/* int8dyn: elements clamped when quantising activations and
	 * weights since the last reset (NULL-able) */
	int	(*int8_state)(struct sb_engine *, struct sb_ctx *,
		    int64_t *sat_act, int64_t *sat_weight);
	/* 1 if the device is in an error state only a new process clears */
	int	(*sticky)(struct sb_engine *);
};

extern const struct sb_backend_ops sb_backend_cpu;
extern const struct sb_backend_ops sb_backend_gpu;

struct sb_engine {
	const struct sb_device	*dev;
	void			*gpu;	/* engine_gpu.c's state, lazily made */
	void			*cpu_flush;	/* engine_cpu.c's flush buffer */
	size_t			 cpu_flush_bytes;
};

/* NVTX phase ranges, shared by both backends' phase callbacks. */
void	sb_ctx_phase_nvtx(struct sb_ctx *, enum sb_phase);
/* Releases the GPU state held by the engine. */
void	sb_backend_gpu_fini(struct sb_engine *);
/* `stepbench profile`: the marker of point c->pt->idx on the step's
 * stream (kernels/marker.h); -1 with c->err set on a CUDA error. */
int	sb_gpu_profile_marker(struct sb_engine *, struct sb_ctx *);
/* 1 if a cudaError_t leaves the context unusable (illegal address,
 * launch failure, ...): only a new process can use the GPU again. */
int	sb_cuda_sticky(int cuda_error);
/* Writes "file:line: what: <CUDA's words>" into msg, sets *sticky (may be
 * NULL) for a sticky error and clears any other; returns -1. */
int	sb_cuda_fail(char *msg, size_t len, int *sticky, const char *file,
	    int line, const char *what, int cuda_error);
/* CUPTI (engine_cupti.c).  Before timing: whether to trace the point's
 * kernels after it (1, 0 with o->r.cupti saying why not, -1 on failure
 * with c->err); CUPTI is loaded here so that every timed loop runs with
 * it loaded and idle.  After timing: the traced steps into o's kernel
 * rows (-1 on a backend failure; a CUPTI failure only sets o->r.cupti). */
int	sb_cupti_prepare(struct sb_ctx *, struct sb_outcome *);
int	sb_cupti_trace(struct sb_engine *, const struct sb_backend_ops *,
	    struct sb_ctx *, struct sb_outcome *);
/* Bytes the GPU backend would allocate for ctx (flush buffer included). */
double	sb_backend_gpu_bytes(struct sb_engine *, const struct sb_ctx *);

#endif
