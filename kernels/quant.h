/*
 * kernels/quant.h — int8 quantisation on the host (plain C, no CUDA): the
 * scales, the conversions, an exact int8 GEMM and the dynamic-int8 Linear
 * forward in both schemes stepbench compares (quant.c).
 *
 * The rounding is specified to the bit, so that the GPU kernels (int8.h)
 * and these functions produce the SAME int8 values from the same floats:
 *
 *   symmetric (weights as PyTorch's MinMaxObserver qint8 per_tensor/
 *   per_channel_symmetric; GPU activations):
 *     amax  = max |x| over the tensor (or over one row, per channel)
 *     scale = fmaxf(amax / div, SB_Q_EPS)          (one fp32 division)
 *     inv   = 1.0f / scale                          (one fp32 division)
 *     q     = clamp(nearbyintf(x * inv), qmin, qmax)   (fp32 product,
 *             round half to even; clamped values are "saturated")
 *     (a NaN amax gives a NaN scale, not SB_Q_EPS; a NaN product x * inv
 *     gives q = 0, not counted as saturated: what the GPU's cvt.rni does)
 *   sb_qsym_weight: div 127.5, [-128, 127]   (PyTorch: scale = amax /
 *     ((qmax - qmin) / 2); the largest element can reach 127.5 and clamp)
 *   sb_qsym_act:    div 127,   [-127, 127]   (the GPU's activations: IMMA
 *     takes signed int8 on both sides, so the activations are symmetric
 *     rather than PyTorch's uint8 affine; -128 is left out so that a
 *     tensor and its negation quantise alike)
 *
 *   affine uint8 (PyTorch's dynamic activations, fbgemm; host only): min
 *     and max of the tensor widened to include 0; fbgemm's
 *     ChooseQuantizationParams(min, max, qmin, qmax): scale = (max - min) /
 *     (qmax - qmin) in double, stored as float (0.1 when that is 0 or its
 *     reciprocal is not finite; raised to 6.1e-5 when below it, min/max
 *     rescaled, as PyTorch's copy does); zero_point = the nudged rounding of
 *     qmin - min / scale, clamped to [qmin, qmax];
 *     q = clamp(zero_point + nearbyintf(x * (1.0f / scale)), qmin, qmax).
 *     qmax is 255, or 127 with reduce_range (what fbgemm's dynamic linear
 *     uses on x86 to keep vpmaddubsw from saturating).
 *
 * The dynamic-int8 Linear forward (DESIGN §2, int8dyn):
 *   y[i,j] = out( (float)acc[i,j] * (x_scale * w_scale[j]) + b[j] )
 *   acc[i,j] = Σ_p qx[i,p]·qw[j,p]   (int32, exact; affine: (qx - zp)·qw)
 * with the product of the scales rounded to fp32 first.  out is fp32, or
 * fp16 (round to nearest even) where the step wants half outputs.
 */
#ifndef SB_KERNELS_QUANT_H
#define SB_KERNELS_QUANT_H

#include <float.h>
#include <stddef.h>
#include <stdint.h>

#include "dtype.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SB_Q_EPS	FLT_EPSILON	/* torch.finfo(torch.float32).eps */

struct sb_qsym {
	const char	*name;		/* "weight", "act" */
	float		 div;		/* amax / div is the scale */
	int		 qmin, qmax;
};

extern const struct sb_qsym sb_qsym_weight;	/* 127.5, [-128, 127] */
extern const struct sb_qsym sb_qsym_act;	/* 127,   [-127, 127] */

/* max |x[i]| over n floats (0 for n = 0; NaN if any is NaN). */
float	sb_q_absmax_host(const float *x, int64_t n);
/* The scale of a tensor whose absolute maximum is amax (see above). */
float	sb_qsym_scale(const struct sb_qsym *, float amax);
/* One value: clamp(nearbyintf(x * inv), qmin, qmax); *sat += 1 when
 * clamped (sat may be NULL). */
int8_t	sb_qsym_one(const struct sb_qsym *, float x, float inv, int64_t *sat);

/*
 * Quantises the (rows, cols) row-major matrix x (leading dimension ldx)
 * into q (leading dimension ldq >= cols; the columns cols..ldq-1 of every
 * row are set to 0, the padding the GPU step gives the GEMMs' K).
 * per_row = 0: one scale for the whole tensor, scale[0]; per_row = 1: one
 * per row, scale[0..rows).  Returns the number of saturated elements.
 */
int64_t	sb_qsym_quantise(const struct sb_qsym *, const float *x, int64_t rows,
	    int64_t cols, int64_t ldx, int per_row, float *scale, int8_t *q,
	    int64_t ldq);
/* x[i] = q[i] · scale (per_row: scale[row]); the inverse, for round trips. */
void	sb_qsym_dequantise(const int8_t *q, int64_t rows, int64_t cols,
	    int64_t ldq, int per_row, const float *scale, float *x,
	    int64_t ldx);

struct sb_qaffine {
	float	scale;
	int32_t	zero_point;
	int	qmin, qmax;
};
/* fbgemm's ChooseQuantizationParams for the range [min, max] (see above);
 * reduce_range picks qmax 127 instead of 255. */
void	sb_qaffine_choose(float min, float max, int reduce_range,
	    struct sb_qaffine *);
/* The whole (rows, cols) tensor (per tensor); returns saturated count. */
int64_t	sb_qaffine_quantise(const struct sb_qaffine *, const float *x,
	    int64_t rows, int64_t cols, int64_t ldx, uint8_t *q, int64_t ldq);

/* c[i,j] = Σ_p a[i,p]·b[j,p] for a (m,k) and b (n,k), K-major (lda, ldb
 * >= k), in int64 then stored as int32: exact while |c| < 2^31 (k·128²
 * < 2^31 for k < 131072).  a_zero is subtracted from every a (0 for
 * symmetric; for affine pass a as the uint8 values and a_zero the zero
 * point; a_u8 selects how a is read). */
void	sb_igemm_host(int64_t m, int64_t n, int64_t k, const void *a,
	    int a_u8, int32_t a_zero, int64_t lda, const int8_t *b,
	    int64_t ldb, int32_t *c, int64_t ldc);

/* The int8dyn options of a step. */
struct sb_int8_opts {
	int		per_channel;	/* weights: 0 per tensor (PyTorch's
					 * default), 1 per output channel */
	int		reduce_range;	/* affine reference only: fbgemm's
					 * 7-bit activations (default 1) */
};

/* What quantising one forward pass saw (summed over layers). */
struct sb_int8_obs {
	int64_t	sat_act;	/* saturated activation elements */
	int64_t	sat_weight;	/* saturated weight elements */
	float	x_scale[16];	/* each layer's activation scale (first 16) */
};

/*
 * The dynamic-int8 Linear forward of one layer on the host, symmetric
 * scheme (what the GPU computes): quantises in (m,k) with sb_qsym_act per
 * tensor and w (n,k) with sb_qsym_weight (per tensor or per channel),
 * then y (m,n) = out(float(acc)·(xs·ws[j]) + b[j]) with out F32 or F16
 * (the value stored in float).  obs may be NULL (counts are added to it).
 * Returns 0, or -1 with errno ENOMEM (or EINVAL: out neither F32 nor F16).
 */
int	sb_linear_int8_sym(const float *in, const float *w, const float *b,
	    float *y, int64_t m, int64_t n, int64_t k,
	    const struct sb_int8_opts *, enum sb_dtype out,
	    struct sb_int8_obs *obs);
/* The same layer in PyTorch's scheme (uint8 affine activations per
 * tensor, symmetric int8 weights): acc = Σ (qx - zp)·qw exact, y = fp32
 * (float)acc·(xs·ws[j]) + b[j], as fbgemm's float output stage. */
int	sb_linear_int8_affine(const float *in, const float *w, const float *b,
	    float *y, int64_t m, int64_t n, int64_t k,
	    const struct sb_int8_opts *, struct sb_int8_obs *obs);

#ifdef __cplusplus
}
#endif

#endif
