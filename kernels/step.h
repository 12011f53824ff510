/*
 * kernels/step.h — the shapes and buffers of one training step, shared by the
 * host reference (ref_step.c) and the GPU launchers (step_f32.c).
 *
 * A step is a stack of L Linear layers (the tutorial has L = 1):
 *
 *   layer l maps width[l] -> width[l+1]; width[0] = K (in), width[1..L] = N.
 *   forward   y[l] = in[l] · w[l]^T + b[l]      in[0] = x, in[l] = y[l-1]
 *   loss      L = mean((y[L-1] - t)^2)          dy[L-1] = 2 (y[L-1] - t) / (M·N)
 *   backward  dw[l] = dy[l]^T · in[l]            db[l] = Σ_m dy[l][m,:]
 *             dy[l-1] = dy[l] · w[l]             (dx = dy[0] · w[0] with input_grad)
 *   update    w[l] -= lr·dw[l];  b[l] -= lr·db[l]   (after all gradients)
 *
 * Every matrix is row-major.  There is no activation between layers: the
 * tutorial has none, and the GEMMs are what a stack is meant to measure.
 */
#ifndef SB_KERNELS_STEP_H
#define SB_KERNELS_STEP_H

#include <stddef.h>
#include <stdint.h>

#define SB_MAX_LAYERS	16

struct sb_dims {
	int64_t	m;				/* batch */
	int	layers;				/* L, 1..SB_MAX_LAYERS */
	int64_t	width[SB_MAX_LAYERS + 1];	/* width[0] = K, then N */
};

/* Phases of a step, in the order a step enters them (a layer stack interleaves
 * wgrad and dgrad; time is summed per phase).  Names are NVTX range names. */
enum sb_phase {
	SB_PH_FORWARD,
	SB_PH_LOSS,
	SB_PH_WGRAD,
	SB_PH_DGRAD,
	SB_PH_UNSCALE,		/* mixed precision: upcast, unscale, inf check */
	SB_PH_SGD,
	SB_PH_UPDATE,		/* mixed precision: the loss-scale update */
	/* int8dyn (int8.h), per layer before and around its forward GEMM */
	SB_PH_QSCALE,		/* the activations' absmax (the scale) */
	SB_PH_QUANT,		/* fp32/fp16 -> int8 conversion */
	SB_PH_DEQUANT,		/* int32 -> fp32 + bias, when not fused */
	/* data parallel (harness/engine_dp.c): the step's own thread busy
	 * with the gradients' all-reduce: packing buckets, starting them,
	 * and at the end waiting for them (the exposed communication) */
	SB_PH_ALLREDUCE,
	SB_PH_COUNT
};
#define SB_PH_END	SB_PH_COUNT	/* "the step is over" mark */

/* Called at each phase boundary: work after the call belongs to phase ph. */
typedef void (*sb_phase_fn)(void *ctx, enum sb_phase ph);

/* Host step buffers, in float (the CPU variant) and double (the oracle). */
#define SB_HSTEP_FIELDS(T)						\
	struct sb_dims	d;						\
	T	*x;			/* (m, width[0]) */		\
	T	*t;			/* (m, width[L]) target */	\
	T	*w[SB_MAX_LAYERS];	/* (width[l+1], width[l]) */	\
	T	*b[SB_MAX_LAYERS];	/* (width[l+1]) */		\
	T	*y[SB_MAX_LAYERS];	/* (m, width[l+1]) */		\
	T	*dy[SB_MAX_LAYERS];	/* (m, width[l+1]) dL/dy[l] */	\
	T	*dw[SB_MAX_LAYERS];	/* like w */			\
	T	*db[SB_MAX_LAYERS];	/* like b */			\
	T	*dx;			/* (m, width[0]) or NULL */	\
	double	loss;			/* mean squared error */	\
	T	lr

struct sb_hstep_f32 { SB_HSTEP_FIELDS(float); };
struct sb_hstep_f64 { SB_HSTEP_FIELDS(double); };

/* Device step buffers (float, row-major, on the GPU). */
struct sb_dstep {
	struct sb_dims	d;
	float	*x, *t;
	float	*w[SB_MAX_LAYERS], *b[SB_MAX_LAYERS];
	float	*y[SB_MAX_LAYERS], *dy[SB_MAX_LAYERS];
	float	*dw[SB_MAX_LAYERS], *db[SB_MAX_LAYERS];
	float	*dx;			/* NULL unless the input gradient is wanted */
	double	*loss_sum;		/* device scalar: Σ (y - t)^2; loss = sum / (m·N) */
	float	lr;
};

void		sb_dims_init(struct sb_dims *, int64_t m, int64_t n, int64_t k,
		    int layers);
const char	*sb_phase_name(enum sb_phase);

#endif
