/*
 * kernels/quant.cu — the launchers of the int8 quantisation kernels
 * (int8.h; device code in quant_kernels.cuh):
 *
 *   absmax      amax = bits of max |x|, per tensor or per row; a memset
 *               first unless one block covers each segment (then the
 *               block stores) or the caller accumulates
 *   convert     x -> int8 with quant.h's rounding, K padding zeroed,
 *               saturated elements counted, the scale stored
 *   dequant     int32 -> f32/f16 with gemm_s8.h's epilogue
 *   sgd_absmax  sb_sgd and the updated parameters' absmax in one pass
 *
 * Design notes:
 *  1. Memory-bound, like elementwise.cu and amp.cu: 256-thread blocks,
 *     64-bit grid-stride loops capped at Q_MAX_BLOCKS blocks in all, so
 *     any size launches.  Per-row work puts the rows on blockIdx.y (at most
 *     Q_GRID_Y_MAX, the kernels loop over the rest) and splits a row over
 *     blocks along x only when the rows alone leave the grid small.
 *  2. The absmax is reduced on the bits of |x| as unsigned integers
 *     (int8.h): warp shuffles, shared memory, then one atomicMax per block.
 *     Max is order-independent, so the result is exact and reproducible
 *     whatever order the atomics land in.  A NaN's bits (sign cleared)
 *     beat +inf's: it propagates into the scale, and from there into every
 *     output the scale multiplies.
 *  3. convert: every block recomputes scale and 1/scale from amax (two
 *     divisions per block: cheaper than a launch), so the scale needs no
 *     pass of its own.  The operations are quant.h's, rounded one at a
 *     time (__fdiv_rn, __fmul_rn, __float2int_rn: nvcc may not contract
 *     or approximate them), so the int8 values equal the host's bit for
 *     bit.
 *  4. convert stores char4 (one 4-byte store per thread per step) when q
 *     and ldq are 4-byte aligned, which the int8 step's K padding
 *     (SB_S8_KPAD) always gives; bytes otherwise.  The reads stay scalar:
 *     the sources (activations, fp32 master weights) have any leading
 *     dimension.
 *  5. The saturated count is summed per block (a block reduction) and
 *     added with one atomicAdd per block that saw any: integer sums, exact
 *     in any order.
 *  6. sgd_absmax: the training step's SGD (elementwise.cu's semantics: p =
 *     p - __fmul_rn(lr, g), untouched when *skip) also yields the absmax
 *     the next forward's weight conversion needs, so re-quantising the
 *     weights costs one read of p, not two.  Per-row items give each row
 *     to one block and store its maximum; per-tensor items reduce per
 *     block and use atomicMax (the caller clears, int8.h).
 *  7. Every launch and memset adds to g->launches.
 */
#include <stdio.h>
#include <string.h>

#include "int8.h"
#include "quant_kernels.cuh"

#define LAUNCHED(g) do {						\
	(g)->launches++;						\
	SB_CUDA_CHECK((g), cudaGetLastError());				\
} while (0)

static int
q_fail(struct sb_gpu *g, int line, const char *what, const char *fmt,
    long long a, long long b)
{
	char detail[160];

	snprintf(detail, sizeof(detail), fmt, a, b);
	return sb_gpu_fail(g, __FILE__, line, what, detail);
}

static int
q_bad_src(struct sb_gpu *g, int line, const char *what, enum sb_dtype t)
{
	char detail[96];

	snprintf(detail, sizeof(detail), "source type '%s'; want f32 or f16",
	    sb_dtype_name(t));
	return sb_gpu_fail(g, __FILE__, line, what, detail);
}

/* Checks a (rows, cols, ldx) source; 0 or -1 with why in g->err. */
static int
q_check_matrix(struct sb_gpu *g, int line, const char *what,
    const void *x, int64_t rows, int64_t cols, int64_t ldx)
{
	if (x == NULL)
		return sb_gpu_fail(g, __FILE__, line, what,
		    "the source is NULL");
	if (rows < 1 || cols < 1)
		return q_fail(g, line, what, "rows %lld, cols %lld: both must "
		    "be at least 1", (long long)rows, (long long)cols);
	if (ldx < cols)
		return q_fail(g, line, what, "ldx %lld < cols %lld",
		    (long long)ldx, (long long)cols);
	return 0;
}

/*
 * The grid of a walk over nseg segments of `units` units each (note 1):
 * x blocks per segment, y segments at once, Q_MAX_BLOCKS in all.
 */
static dim3
q_grid(int64_t nseg, int64_t units)
{
	int64_t gy = nseg < Q_GRID_Y_MAX ? nseg : Q_GRID_Y_MAX;
	int64_t gx = q_cdiv(units, Q_THREADS);
	int64_t cap;

	if (gy > Q_MAX_BLOCKS)
		gy = Q_MAX_BLOCKS;
	cap = Q_MAX_BLOCKS / gy;
	if (cap < 1)
		cap = 1;
	if (gx > cap)
		gx = cap;
	if (gx < 1)
		gx = 1;
	return dim3((unsigned)gx, (unsigned)gy);
}

int
sb_q_absmax(struct sb_gpu *g, enum sb_dtype src_t, const void *x,
    int64_t rows, int64_t cols, int64_t ldx, int per_row, uint32_t *amax,
    int accumulate)
{
	const int64_t nseg = per_row ? rows : 1;
	dim3 grid;
	int store;

	if (q_check_matrix(g, __LINE__, "sb_q_absmax", x, rows, cols,
	    ldx) != 0)
		return -1;
	if (amax == NULL)
		return sb_gpu_fail(g, __FILE__, __LINE__, "sb_q_absmax",
		    "amax is NULL");
	if (src_t != SB_DT_F32 && src_t != SB_DT_F16)
		return q_bad_src(g, __LINE__, "sb_q_absmax", src_t);
	grid = q_grid(nseg, per_row ? cols : rows * cols);
	store = !accumulate && grid.x == 1;
	if (!accumulate && !store) {
		SB_CUDA_CHECK(g, cudaMemsetAsync(amax, 0,
		    (size_t)nseg * sizeof(*amax), g->stream));
		g->launches++;
	}
	if (src_t == SB_DT_F32)
		q_absmax_kernel<float><<<grid, Q_THREADS, 0, g->stream>>>(
		    (const float *)x, rows, cols, ldx, per_row != 0,
		    (unsigned int *)amax, store);
	else
		q_absmax_kernel<__half><<<grid, Q_THREADS, 0, g->stream>>>(
		    (const __half *)x, rows, cols, ldx, per_row != 0,
		    (unsigned int *)amax, store);
	LAUNCHED(g);
	return 0;
}

template <typename T>
static void
convert_launch(struct sb_gpu *g, const struct sb_qsym *qs, const void *x,
    int64_t rows, int64_t cols, int64_t ldx, int per_row,
    const uint32_t *amax, float *scale, int8_t *q, int64_t ldq,
    unsigned long long *sat)
{
	const int vec4 = ldq % 4 == 0 && (uintptr_t)q % 4 == 0;
	const int64_t upr = vec4 ? ldq / 4 : ldq;
	const dim3 grid = q_grid(per_row ? rows : 1,
	    per_row ? upr : rows * upr);

	if (vec4)
		q_convert_kernel<T, 4><<<grid, Q_THREADS, 0, g->stream>>>(
		    (const T *)x, rows, cols, ldx, per_row != 0,
		    (const unsigned int *)amax, scale, q, ldq, qs->div,
		    qs->qmin, qs->qmax, sat);
	else
		q_convert_kernel<T, 1><<<grid, Q_THREADS, 0, g->stream>>>(
		    (const T *)x, rows, cols, ldx, per_row != 0,
		    (const unsigned int *)amax, scale, q, ldq, qs->div,
		    qs->qmin, qs->qmax, sat);
}

int
sb_q_convert(struct sb_gpu *g, const struct sb_qsym *qs, enum sb_dtype src_t,
    const void *x, int64_t rows, int64_t cols, int64_t ldx, int per_row,
    const uint32_t *amax, float *scale, int8_t *q_out, int64_t ldq,
    unsigned long long *sat)
{
	if (q_check_matrix(g, __LINE__, "sb_q_convert", x, rows, cols,
	    ldx) != 0)
		return -1;
	if (qs == NULL || amax == NULL || scale == NULL || q_out == NULL)
		return sb_gpu_fail(g, __FILE__, __LINE__, "sb_q_convert",
		    "the scheme, amax, scale and q_out are all required");
	if (ldq < cols)
		return q_fail(g, __LINE__, "sb_q_convert", "ldq %lld < cols "
		    "%lld", (long long)ldq, (long long)cols);
	if (!(qs->div > 0.0f) || qs->qmin < -128 || qs->qmax > 127 ||
	    qs->qmin >= qs->qmax)
		return q_fail(g, __LINE__, "sb_q_convert", "scheme range "
		    "[%lld, %lld]: want -128 <= qmin < qmax <= 127 and div > 0",
		    (long long)qs->qmin, (long long)qs->qmax);
	if (src_t == SB_DT_F32)
		convert_launch<float>(g, qs, x, rows, cols, ldx, per_row, amax,
		    scale, q_out, ldq, sat);
	else if (src_t == SB_DT_F16)
		convert_launch<__half>(g, qs, x, rows, cols, ldx, per_row,
		    amax, scale, q_out, ldq, sat);
	else
		return q_bad_src(g, __LINE__, "sb_q_convert", src_t);
	LAUNCHED(g);
	return 0;
}

int
sb_q_dequant(struct sb_gpu *g, const int32_t *acc, int64_t m, int64_t n,
    int64_t ldacc, const float *a_scale, const float *b_scale,
    int b_per_channel, const float *bias, enum sb_dtype out, void *c,
    int64_t ldc)
{
	const dim3 grid = q_grid(1, m * n);

	if (m < 1 || n < 1)
		return q_fail(g, __LINE__, "sb_q_dequant", "m %lld, n %lld: "
		    "both must be at least 1", (long long)m, (long long)n);
	if (ldacc < n || ldc < n)
		return q_fail(g, __LINE__, "sb_q_dequant", "ldacc %lld, ldc "
		    "%lld: both must be >= n", (long long)ldacc,
		    (long long)ldc);
	if (acc == NULL || a_scale == NULL || b_scale == NULL || c == NULL)
		return sb_gpu_fail(g, __FILE__, __LINE__, "sb_q_dequant",
		    "acc, a_scale, b_scale and c are all required");
	if (out == SB_DT_F32)
		q_dequant_kernel<float><<<grid, Q_THREADS, 0, g->stream>>>(acc,
		    m, n, ldacc, a_scale, b_scale, b_per_channel != 0, bias,
		    (float *)c, ldc);
	else if (out == SB_DT_F16)
		q_dequant_kernel<__half><<<grid, Q_THREADS, 0, g->stream>>>(
		    acc, m, n, ldacc, a_scale, b_scale, b_per_channel != 0,
		    bias, (__half *)c, ldc);
	else {
		char detail[96];

		snprintf(detail, sizeof(detail), "output type '%s'; want f32 "
		    "or f16", sb_dtype_name(out));
		return sb_gpu_fail(g, __FILE__, __LINE__, "sb_q_dequant",
		    detail);
	}
	LAUNCHED(g);
	return 0;
}

int
sb_q_sgd_absmax(struct sb_gpu *g, const struct sb_q_sgd_item *t, int count,
    float lr, const int32_t *skip)
{
	struct q_sgd_list l;
	int64_t largest = 0, blocks;

	if (count < 1 || count > SB_Q_SGD_MAX)
		return q_fail(g, __LINE__, "sb_q_sgd_absmax", "%lld tensors; "
		    "want 1..%lld", (long long)count, (long long)SB_Q_SGD_MAX);
	memset(&l, 0, sizeof(l));
	for (int i = 0; i < count; i++) {
		if (t[i].p == NULL || t[i].g == NULL || t[i].rows < 1 ||
		    t[i].cols < 1)
			return q_fail(g, __LINE__, "sb_q_sgd_absmax", "tensor "
			    "%lld: needs p, g and rows, cols >= 1 (rows %lld)",
			    (long long)i, (long long)t[i].rows);
		l.t[i] = t[i];
		blocks = q_cdiv(t[i].rows * t[i].cols, Q_THREADS);
		if (t[i].amax != NULL && t[i].per_row)
			blocks = t[i].rows;	/* a block per row */
		if (blocks > largest)
			largest = blocks;
	}
	if (largest > Q_MAX_BLOCKS)
		largest = Q_MAX_BLOCKS;
	q_sgd_absmax_kernel<<<dim3((unsigned)largest, (unsigned)count),
	    Q_THREADS, 0, g->stream>>>(l, lr, skip);
	LAUNCHED(g);
	return 0;
}
