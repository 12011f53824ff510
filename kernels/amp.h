/*
 * kernels/amp.h — the mixed-precision (autocast) training step on the GPU:
 * its buffers, its loss-scaler state on the device, and the launchers of
 * its non-GEMM kernels (amp.cu).  The GEMMs are any struct sb_hgemm
 * (gemm_h16.h); the step is composed in step_amp.c.
 *
 * The semantics are PyTorch's autocast + GradScaler, step by step, and
 * those of the host version ref_step_amp.c (the CPU variants):
 *
 *   forward  l = 0..L-1: x, w[l], b[l] cast to half (one launch for all);
 *            y_h[l] = half(in_h·w_h^T + b_h)   (fp32 sum, one rounding)
 *   loss     fp32: loss_sum = Σ (y - t)²; dy_h = half(2(y - t)/(m·N) · S)
 *            where S is the loss scale (1 without a scaler)
 *   backward dw_h = out(dy_h^T·in_h), db_h = out(Σ_i dy_h), dy_h[l-1] =
 *            half(dy_h[l]·w_h[l]); out is half (PyTorch parity) or fp32
 *   unscale  dw = float(dw_h)·(1/S), db likewise, found_inf if any is not
 *            finite (one launch for all tensors)
 *   sgd      w -= lr·dw, b -= lr·db — every thread first reads found_inf
 *            and does nothing when it is set: the skip stays on the GPU
 *   update   one thread: GradScaler's _amp_update_scale_
 *
 * Nothing reads the scaler state on the host: the step captures into a
 * CUDA graph and replays with no synchronisation.
 */
#ifndef SB_KERNELS_AMP_H
#define SB_KERNELS_AMP_H

#include <stdint.h>

#include "dtype.h"
#include "gemm_h16.h"
#include "gpu.h"
#include "int8.h"
#include "scaler.h"
#include "step.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The scaler's state, in device memory (one per step). */
struct sb_amp_dev {
	float	scale;		/* PyTorch's _scale */
	int32_t	growth_tracker;	/* PyTorch's _growth_tracker */
	int32_t	found_inf;	/* set by unscale, read by sgd and update;
				 * cleared by the loss kernel */
	int32_t	step;		/* steps updated since reset: the clock
				 * that --inject-overflow compares with */
	float	scale_used;	/* the scale this step's loss gradient
				 * was multiplied by (set by the loss kernel) */
	int32_t	pad_;
};

struct sb_amp_cfg {
	enum sb_dtype		dt;		/* SB_DT_F16 or SB_DT_BF16 */
	int			scaled;		/* GradScaler on (fp16amp) */
	enum sb_dtype		wgrad_out;	/* dt (parity) or SB_DT_F32 */
	struct sb_scaler_cfg	scaler;
	int			inject_at;	/* step to plant an inf; -1 */
};

/*
 * Device buffers of the step.  f holds the fp32 tensors: x, t, the master
 * weights w and b, the unscaled fp32 gradients dw and db, loss_sum and lr
 * (f.y, f.dy and f.dx are not used by the AMP step).  The half tensors are
 * of type cfg.dt, except dw_h and db_h (cfg.wgrad_out).
 */
struct sb_dstep_amp {
	struct sb_dstep		 f;
	struct sb_amp_cfg	 cfg;
	struct sb_amp_dev	*st;
	void	*x_h;				/* (m, width[0]) */
	void	*w_h[SB_MAX_LAYERS];		/* (width[l+1], width[l]) */
	void	*b_h[SB_MAX_LAYERS];		/* (width[l+1]) */
	void	*y_h[SB_MAX_LAYERS];		/* (m, width[l+1]) */
	void	*dy_h[SB_MAX_LAYERS];		/* (m, width[l+1]), scaled */
	void	*dw_h[SB_MAX_LAYERS];		/* like w, type wgrad_out */
	void	*db_h[SB_MAX_LAYERS];		/* like b, type wgrad_out */
	void	*dx_h;				/* (m, width[0]) or NULL */
	float	*scratch;	/* SB_AMP_SCRATCH(width) floats: the bias
				 * gradient's partial sums */
	/* train.int8dyn (int8.h): NULL, or the int8 forward that replaces
	 * the half forward GEMMs (its y are y_h, its out cfg.dt) and whose
	 * sb_int8_sgd replaces sb_sgd (re-quantising the master weights) */
	struct sb_int8_fwd *int8;
};

/* Floats of scratch the step needs for layers no wider than n. */
#define SB_AMP_BGRAD_SPLIT	64
#define SB_AMP_SCRATCH(n)	((int64_t)SB_AMP_BGRAD_SPLIT * (n))

/* The GEMM calls of the step in its order (like sb_step_f32_calls):
 * forward l = 0..L-1 (none with int8: sb_int8_calls has them), then per
 * layer from the last wgrad and dgrad. */
int	sb_step_amp_calls(const struct sb_hgemm *, const struct sb_dstep_amp *,
	    int train, struct sb_hgemm_call *calls, enum sb_phase *phase,
	    int *layer);

/* step_amp.c: one step (train) or forward pass (infer); phase as in
 * sb_step_f32. */
int	sb_step_amp(struct sb_gpu *, const struct sb_hgemm *,
	    struct sb_dstep_amp *, int train, sb_phase_fn phase,
	    void *phase_ctx);

/* --- amp.cu ----------------------------------------------------------- */

/* Resets the device scaler to cfg's initial scale, tracker 0, step 0. */
int	sb_amp_state_reset(struct sb_gpu *, struct sb_amp_dev *,
	    const struct sb_scaler_cfg *);

#define SB_AMP_MAX_CAST		(1 + 2 * SB_MAX_LAYERS)
struct sb_amp_cast_item {
	const float	*src;
	void		*dst;		/* type dt */
	int64_t		 count;
};
/* dst = half(src) for every tensor of the list, one launch. */
int	sb_amp_cast(struct sb_gpu *, enum sb_dtype dt,
	    const struct sb_amp_cast_item *, int count);

/* y_h, dy_h are (m,n) of type dt, t is (m,n) fp32: *loss_sum = Σ (y - t)²,
 * dy_h = dt(2(y - t)/(m·n) · S) with S = st->scale (1 when st is NULL);
 * clears st->found_inf and records st->scale_used. */
int	sb_amp_loss_dy(struct sb_gpu *, enum sb_dtype dt, const void *y_h,
	    const float *t, void *dy_h, double *loss_sum,
	    struct sb_amp_dev *st, int64_t m, int64_t n);

/* db[j] = out(Σ_i dy_h[i,j]), dy_h (m,n) of type dt, db of type out;
 * scratch holds SB_AMP_SCRATCH(n) floats. */
int	sb_amp_bias_grad(struct sb_gpu *, enum sb_dtype dt, const void *dy_h,
	    enum sb_dtype out, void *db, float *scratch, int64_t m, int64_t n);

#define SB_AMP_MAX_UNSCALE	(2 * SB_MAX_LAYERS)
struct sb_amp_unscale_item {
	const void	*src;		/* type src_t */
	float		*dst;
	int64_t		 count;
};
/* dst = float(src)·(1/S) and found_inf for every tensor, one launch; with
 * st NULL a plain upcast (no scale, no check).  inject_at >= 0: at the
 * step st->step == inject_at, element 0 of tensor 0 becomes +inf. */
int	sb_amp_unscale(struct sb_gpu *, enum sb_dtype src_t,
	    const struct sb_amp_unscale_item *, int count, struct sb_amp_dev *st,
	    int inject_at);

/* GradScaler's update (one thread) and st->step += 1. */
int	sb_amp_update(struct sb_gpu *, struct sb_amp_dev *,
	    const struct sb_scaler_cfg *);

#ifdef __cplusplus
}
#endif

#endif
