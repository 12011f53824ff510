/*
 * kernels/quant_kernels.cuh — the device code of the int8 quantisation
 * kernels (int8.h; the launchers and their design notes are in quant.cu).
 * A header so that the CPU emulator test (tests/test_quant_emu.cpp) runs
 * the very same kernels: there it is included after tests/emu/cuda_emu.h,
 * which supplies __half, the float intrinsics and the atomics.
 *
 * Every rounding is quant.h's, operation for operation:
 *   scale = amax / div (__fdiv_rn), raised to SB_Q_EPS (a NaN stays NaN)
 *   inv   = 1 / scale (__fdiv_rn)
 *   q     = clamp(__float2int_rn(x · inv), qmin, qmax)  (__fmul_rn; a NaN
 *           product converts to 0, as cvt.rni.s32 does, and is not
 *           counted as saturated)
 */
#ifndef SB_KERNELS_QUANT_KERNELS_CUH
#define SB_KERNELS_QUANT_KERNELS_CUH

#include <math.h>
#include <stdint.h>

#ifndef SB_EMU
#include <cuda_fp16.h>
#endif

#include "int8.h"

#define Q_THREADS	256
#define Q_MAX_BLOCKS	2048	/* grid-stride cap, as elementwise.cu */
#define Q_GRID_Y_MAX	65535

static __host__ __device__ __forceinline__ int64_t
q_cdiv(int64_t a, int64_t b)
{
	return (a + b - 1) / b;
}

static __device__ __forceinline__ float
q_ld(const float *p)
{
	return *p;
}

static __device__ __forceinline__ float
q_ld(const __half *p)
{
	return __half2float(*p);
}

/* The bits of |x|: as unsigned integers they order non-negative floats as
 * their values, and a NaN (sign cleared) above +inf (int8.h). */
static __device__ __forceinline__ unsigned int
q_abs_bits(float x)
{
	return __float_as_uint(x) & 0x7fffffffu;
}

/* quant.h's scale of amax (see the top of this file). */
static __device__ __forceinline__ float
q_scale(float amax, float div)
{
	const float s = __fdiv_rn(amax, div);

	return isnan(s) ? s : fmaxf(s, SB_Q_EPS);
}

/* One value; *sat += 1 when clamped. */
static __device__ __forceinline__ int8_t
q_one(float x, float inv, int qmin, int qmax, unsigned int *sat)
{
	int r = __float2int_rn(__fmul_rn(x, inv));

	if (r < qmin) {
		r = qmin;
		*sat += 1;
	} else if (r > qmax) {
		r = qmax;
		*sat += 1;
	}
	return (int8_t)r;
}

/*
 * Block-wide reductions of unsigned values (max, sum): warp shuffles, then
 * one warp over the per-warp partials; valid in thread 0.  Every thread
 * must call them; red holds Q_THREADS/32 values of shared memory, and the
 * caller puts a barrier between two uses of the same red.
 */
template <bool MAX>
static __device__ unsigned int
q_block_reduce(unsigned int v, unsigned int *red)
{
	const unsigned lane = threadIdx.x % 32, warp = threadIdx.x / 32;

	for (int off = 16; off > 0; off /= 2) {
		const unsigned int o = __shfl_down_sync(0xffffffffu, v, off);

		v = MAX ? (o > v ? o : v) : v + o;
	}
	if (lane == 0)
		red[warp] = v;
	__syncthreads();
	v = 0;
	if (warp == 0) {
		v = lane < Q_THREADS / 32 ? red[lane] : 0;
		for (int off = 16; off > 0; off /= 2) {
			const unsigned int o = __shfl_down_sync(0xffffffffu, v,
			    off);

			v = MAX ? (o > v ? o : v) : v + o;
		}
	}
	return v;
}

/*
 * A grid-stride walk over the units of a (rows, upr) segment without a
 * division per step (elementwise.cu note 2): one division at the start,
 * then the row and column advance by the stride's quotient and remainder
 * and the column wraps with one subtraction.
 */
struct q_walk {
	int64_t	i, c;		/* row, unit within the row */
	int64_t	di, dc;		/* the stride as rows + units */
	int64_t	upr;		/* units per row */
};

static __device__ __forceinline__ void
q_walk_init(struct q_walk *w, int64_t start, int64_t stride, int64_t upr)
{
	w->upr = upr;
	w->i = start / upr;
	w->c = start % upr;
	w->di = stride / upr;
	w->dc = stride % upr;
}

static __device__ __forceinline__ void
q_walk_next(struct q_walk *w)
{
	w->c += w->dc;
	w->i += w->di;
	if (w->c >= w->upr) {
		w->c -= w->upr;
		w->i += 1;
	}
}

/* --- absmax ----------------------------------------------------------- */

/*
 * x (rows, cols, ldx) of type T.  Segment s is the whole matrix (nseg 1)
 * or row s (per row); blockIdx.y walks the segments, blockIdx.x splits
 * one.  store: one block per segment and nothing to accumulate into, so
 * the block stores its maximum (no memset, no atomic).
 */
template <typename T>
static __global__ void
q_absmax_kernel(const T *__restrict__ x, int64_t rows, int64_t cols,
    int64_t ldx, int per_row, unsigned int *__restrict__ amax, int store)
{
	__shared__ unsigned int red[Q_THREADS / 32];
	const int64_t nseg = per_row ? rows : 1;
	const int64_t seg_rows = per_row ? 1 : rows;
	const int64_t stride = (int64_t)gridDim.x * blockDim.x;

	for (int64_t s = blockIdx.y; s < nseg; s += gridDim.y) {
		const T *seg = x + s * ldx;	/* per tensor: s = 0 */
		unsigned int m = 0;
		struct q_walk w;

		q_walk_init(&w, (int64_t)blockIdx.x * blockDim.x +
		    threadIdx.x, stride, cols);
		for (; w.i < seg_rows; q_walk_next(&w)) {
			const unsigned int b = q_abs_bits(q_ld(&seg[w.i * ldx +
			    w.c]));

			m = b > m ? b : m;
		}
		m = q_block_reduce<true>(m, red);
		if (threadIdx.x == 0) {
			if (store)
				amax[s] = m;
			else if (m != 0)
				atomicMax(&amax[s], m);
		}
		__syncthreads();	/* red is reused by the next segment */
	}
}

/* --- convert ---------------------------------------------------------- */

/*
 * q (rows, ldq) from x (rows, cols, ldx), VEC bytes of q per unit (4: one
 * char4 store; q and ldq 4-byte aligned).  Segments as the absmax kernel;
 * every block derives its segment's scale from amax, block x 0 stores it.
 * The saturated count is summed over the block's units and added to *sat
 * with one atomic per block.
 */
template <typename T, int VEC>
static __global__ void
q_convert_kernel(const T *__restrict__ x, int64_t rows, int64_t cols,
    int64_t ldx, int per_row, const unsigned int *__restrict__ amax,
    float *__restrict__ scale, int8_t *__restrict__ q, int64_t ldq,
    float div, int qmin, int qmax, unsigned long long *__restrict__ sat)
{
	__shared__ unsigned int red[Q_THREADS / 32];
	const int64_t nseg = per_row ? rows : 1;
	const int64_t seg_rows = per_row ? 1 : rows;
	const int64_t stride = (int64_t)gridDim.x * blockDim.x;
	const int64_t upr = ldq / VEC;
	unsigned int n_sat = 0;

	for (int64_t s = blockIdx.y; s < nseg; s += gridDim.y) {
		const T *xs = x + s * ldx;
		int8_t *qs = q + s * ldq;
		const float sc = q_scale(__uint_as_float(amax[per_row ? s : 0]),
		    div);
		const float inv = __fdiv_rn(1.0f, sc);
		struct q_walk w;

		if (blockIdx.x == 0 && threadIdx.x == 0)
			scale[s] = sc;
		q_walk_init(&w, (int64_t)blockIdx.x * blockDim.x +
		    threadIdx.x, stride, upr);
		for (; w.i < seg_rows; q_walk_next(&w)) {
			const T *xr = xs + w.i * ldx;
			const int64_t p0 = w.c * VEC;
			int8_t v[4] = { 0, 0, 0, 0 };

			for (int e = 0; e < VEC; e++)
				if (p0 + e < cols)
					v[e] = q_one(q_ld(&xr[p0 + e]), inv,
					    qmin, qmax, &n_sat);
			if (VEC == 4)
				*(char4 *)&qs[w.i * ldq + p0] = make_char4(
				    v[0], v[1], v[2], v[3]);
			else
				qs[w.i * ldq + p0] = v[0];
		}
	}
	if (sat == NULL)
		return;		/* uniform: a kernel parameter */
	n_sat = q_block_reduce<false>(n_sat, red);
	if (threadIdx.x == 0 && n_sat != 0)
		atomicAdd(sat, (unsigned long long)n_sat);
}

/* --- dequantise (gemm_s8.h's epilogue) -------------------------------- */

template <typename O>
static __device__ __forceinline__ O q_out(float v);

template <>
__device__ __forceinline__ float
q_out<float>(float v)
{
	return v;
}

template <>
__device__ __forceinline__ __half
q_out<__half>(float v)
{
	return __float2half_rn(v);
}

/* c (m,n, ldc) = out(fmaf((float)acc, sa·sb[j], bias[j])) */
template <typename O>
static __global__ void
q_dequant_kernel(const int32_t *__restrict__ acc, int64_t m, int64_t n,
    int64_t ldacc, const float *__restrict__ a_scale,
    const float *__restrict__ b_scale, int b_per_channel,
    const float *__restrict__ bias, O *__restrict__ c, int64_t ldc)
{
	const int64_t stride = (int64_t)gridDim.x * blockDim.x;
	const float sa = *a_scale;
	struct q_walk w;

	q_walk_init(&w, (int64_t)blockIdx.x * blockDim.x + threadIdx.x,
	    stride, n);
	for (; w.i < m; q_walk_next(&w)) {
		const int64_t j = w.c;
		const float sb = b_scale[b_per_channel ? j : 0];
		const float b = bias != NULL ? bias[j] : 0.0f;

		c[w.i * ldc + j] = q_out<O>(fmaf((float)acc[w.i * ldacc + j],
		    __fmul_rn(sa, sb), b));
	}
}

/* --- SGD + absmax ----------------------------------------------------- */

struct q_sgd_list {
	struct sb_q_sgd_item	t[SB_Q_SGD_MAX];
};

/*
 * Item blockIdx.y of the list.  No amax: elementwise.cu's sgd (the whole
 * block returns when skipped).  Per tensor: a grid-stride update, the
 * block's maximum of the new values, one atomicMax.  Per row: block x
 * takes rows blockIdx.x, + gridDim.x, ...; a row is one block's, so its
 * maximum is stored, not an atomic (the caller's clear is then harmless).
 * Skipped: p is left as it is and its absmax still computed.
 */
static __global__ void
q_sgd_absmax_kernel(const struct q_sgd_list l, float lr,
    const int32_t *skip)
{
	__shared__ unsigned int red[Q_THREADS / 32];
	const struct sb_q_sgd_item t = l.t[blockIdx.y];
	const int skipped = skip != NULL && *skip != 0;
	const int64_t count = t.rows * t.cols;
	float *__restrict__ p = t.p;
	const float *__restrict__ grad = t.g;

	if (t.amax == NULL && skipped)
		return;
	if (t.amax == NULL || !t.per_row) {
		const int64_t stride = (int64_t)gridDim.x * blockDim.x;
		unsigned int m = 0;

		for (int64_t i = (int64_t)blockIdx.x * blockDim.x +
		    threadIdx.x; i < count; i += stride) {
			float v = p[i];

			if (!skipped) {
				v = v - __fmul_rn(lr, grad[i]);
				p[i] = v;
			}
			const unsigned int b = q_abs_bits(v);

			m = b > m ? b : m;
		}
		if (t.amax == NULL)
			return;		/* uniform across the block */
		m = q_block_reduce<true>(m, red);
		if (threadIdx.x == 0 && m != 0)
			atomicMax(t.amax, m);
		return;
	}
	for (int64_t r = blockIdx.x; r < t.rows; r += gridDim.x) {
		float *pr = p + r * t.cols;
		const float *gr = grad + r * t.cols;
		unsigned int m = 0;

		for (int64_t j = threadIdx.x; j < t.cols; j += blockDim.x) {
			float v = pr[j];

			if (!skipped) {
				v = v - __fmul_rn(lr, gr[j]);
				pr[j] = v;
			}
			const unsigned int b = q_abs_bits(v);

			m = b > m ? b : m;
		}
		m = q_block_reduce<true>(m, red);
		if (threadIdx.x == 0)
			t.amax[r] = m;
		__syncthreads();	/* red is reused by the next row */
	}
}

#endif
