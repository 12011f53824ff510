/*
 * kernels/int8.h — dynamic int8 quantisation on the GPU (int8dyn): the
 * quantisation kernels (quant.cu, device code in quant_kernels.cuh) and the
 * dynamic-int8 Linear forward composed from them and an int8 GEMM
 * (step_int8.c).  The rounding is quant.h's, bit for bit: the host
 * functions there are the reference of every kernel here.
 *
 *   infer.int8dyn.<impl>: weights quantised once (sb_int8_weights, at
 *     reset: not part of the timed step, as quantize_dynamic converts the
 *     model once); per step and layer: the input's absmax (phase
 *     int8.scale), its conversion to int8 (int8.quant), the int8 GEMM with
 *     dequantise + bias in its epilogue (forward), or the GEMM to int32
 *     then sb_q_dequant (int8.dequant) for implementations without one;
 *     output fp32.
 *   train.int8dyn.<impl> (an extension): the fp16amp step (amp.h) whose
 *     forward GEMMs are the int8 forward above with fp16 outputs, from the
 *     fp32 master weights re-quantised every step: the SGD launch also
 *     computes the updated weights' absmax (sb_q_sgd_absmax), so the next
 *     forward converts them with no extra pass over them.  The backward is
 *     the fp16 one (straight-through: the quantiser's gradient is taken as
 *     the identity), with GradScaler.
 *
 * Quantised buffers are K-padded: a layer of width k has rows of kq =
 * round_up(k, SB_S8_KPAD) int8, the columns k..kq-1 zero, so every GEMM
 * sees aligned K-major operands (cuBLASLt's int8 kernels need it) and the
 * zeros add nothing.  The weights also have nq = round_up(n, SB_S8_KPAD)
 * rows, rows n..nq-1 zero (the caller zeroes them once): an implementation
 * without an epilogue (cuBLASLt, which wants n a multiple of 4) computes
 * all nq int32 columns into acc (ldc nq) and sb_q_dequant reads the first
 * n; one with an epilogue computes n columns straight into y.
 *
 * absmax buffers hold the bits of a non-negative float (uint32_t): the
 * kernels reduce with atomicMax on the bits, which orders non-negative
 * floats as their values (a NaN, 0x7fc00000, beats +inf: it propagates).
 */
#ifndef SB_KERNELS_INT8_H
#define SB_KERNELS_INT8_H

#include <stdint.h>

#include "dtype.h"
#include "gemm_s8.h"
#include "gpu.h"
#include "quant.h"
#include "step.h"

#ifdef __cplusplus
extern "C" {
#endif

/* --- quant.cu --------------------------------------------------------- */

/* amax = bits of max |x| over the (rows, cols) matrix x (leading dimension
 * ldx, type src_t: SB_DT_F32 or SB_DT_F16): one value (per_row = 0) or one
 * per row (per_row = 1).  Clears amax first (a memset) unless accumulate
 * is set.  Two launches at most. */
int	sb_q_absmax(struct sb_gpu *, enum sb_dtype src_t, const void *x,
	    int64_t rows, int64_t cols, int64_t ldx, int per_row,
	    uint32_t *amax, int accumulate);

/* scale = sb_qsym_scale(q, amax) (one, or one per row), then q_out[i,p] =
 * sb_qsym_one(x[i,p]) for p < cols and 0 for cols <= p < ldq; adds the
 * saturated count to *sat (may be NULL).  One launch; every block derives
 * the scale from amax itself, and block 0 stores it. */
int	sb_q_convert(struct sb_gpu *, const struct sb_qsym *,
	    enum sb_dtype src_t, const void *x, int64_t rows, int64_t cols,
	    int64_t ldx, int per_row, const uint32_t *amax, float *scale,
	    int8_t *q_out, int64_t ldq, unsigned long long *sat);

/* c (m,n, type out F32 or F16) = the gemm_s8.h epilogue applied to the
 * int32 acc (m,n, leading dimension ldacc): for implementations without
 * their own epilogue (cuBLASLt).  One launch. */
int	sb_q_dequant(struct sb_gpu *, const int32_t *acc, int64_t m,
	    int64_t n, int64_t ldacc, const float *a_scale,
	    const float *b_scale, int b_per_channel, const float *bias,
	    enum sb_dtype out, void *c, int64_t ldc);

/* SGD (elementwise.cu's sb_sgd semantics: p -= lr·g, nothing when *skip)
 * for every tensor of the list, and, for items with amax != NULL, the
 * absmax of the (rows, cols) parameter as it is after the update (also
 * when skipped): per tensor (per_row 0), accumulated with atomicMax into
 * an amax the caller clears first (sb_int8_sgd does), or per row, each
 * row's maximum stored (nothing to clear). */
#define SB_Q_SGD_MAX	(2 * SB_MAX_LAYERS)
struct sb_q_sgd_item {
	float		*p;
	const float	*g;
	int64_t		 rows, cols;	/* count = rows·cols */
	uint32_t	*amax;		/* NULL: plain SGD */
	int		 per_row;
};
int	sb_q_sgd_absmax(struct sb_gpu *, const struct sb_q_sgd_item *,
	    int count, float lr, const int32_t *skip);

/* --- step_int8.c ------------------------------------------------------ */

/* Device buffers of the dynamic-int8 forward (see the top of this file). */
struct sb_int8_fwd {
	struct sb_dims		 d;
	const struct sb_igemm	*impl;
	int			 per_channel;	/* weights per output channel */
	enum sb_dtype		 out;		/* SB_DT_F32 (infer) or
						 * SB_DT_F16 (train: y_h) */
	const float		*x;		/* (m, width[0]) fp32 */
	float			*w[SB_MAX_LAYERS];	/* fp32 master */
	const float		*b[SB_MAX_LAYERS];	/* fp32 */
	void			*y[SB_MAX_LAYERS];	/* (m, width[l+1]), out */
	int64_t			 kq[SB_MAX_LAYERS];	/* padded width[l] */
	int64_t			 nq[SB_MAX_LAYERS];	/* padded width[l+1] */
	int8_t			*in_q[SB_MAX_LAYERS];	/* (m, kq[l]) */
	int8_t			*w_q[SB_MAX_LAYERS];	/* (nq[l], kq[l]); rows
							 * n..nq-1 zero */
	float			*in_scale;		/* L floats */
	float			*w_scale[SB_MAX_LAYERS]; /* 1 or width[l+1] */
	uint32_t		*in_amax;		/* L */
	uint32_t		*w_amax[SB_MAX_LAYERS];	/* 1 or width[l+1] */
	int32_t			*acc;	/* (m, max nq) int32 when the
					 * implementation has no epilogue */
	unsigned long long	*sat;	/* device [2]: activations, weights */
	int			 requant;	/* train: forward converts the
						 * weights from w_amax */
};

/* Padded K of a layer of width k. */
static inline int64_t
sb_int8_kpad(int64_t k)
{
	return (k + SB_S8_KPAD - 1) / SB_S8_KPAD * SB_S8_KPAD;
}

/* Every layer's weights: absmax into w_amax, then w_q and w_scale. */
int	sb_int8_weights(struct sb_gpu *, struct sb_int8_fwd *);
/* The forward pass (phases int8.scale, int8.quant, forward, int8.dequant
 * per layer; requant: the weights' conversion is in int8.quant). */
int	sb_int8_forward(struct sb_gpu *, struct sb_int8_fwd *,
	    sb_phase_fn phase, void *phase_ctx);
/* The int8 GEMM calls of the forward, one per layer (for describe). */
int	sb_int8_calls(const struct sb_int8_fwd *, struct sb_igemm_call *,
	    int *layer);
/* The training step's SGD on list t (weights then biases per layer, as
 * step_amp.c builds it), with the weights' absmax for the next forward. */
int	sb_int8_sgd(struct sb_gpu *, struct sb_int8_fwd *,
	    const struct sb_sgd_tensor *t, int count, float lr,
	    const int32_t *skip);

#ifdef __cplusplus
}
#endif

#endif
