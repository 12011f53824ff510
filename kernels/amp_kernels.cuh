/*
 * kernels/amp_kernels.cuh — the device code of the mixed-precision step's
 * non-GEMM kernels (their launchers and design notes are in amp.cu).  A
 * header so that the CPU emulator test (tests/test_amp_emu.cpp) runs the
 * very same kernels: there it is included after tests/emu/cuda_emu.h,
 * which supplies __half, __nv_bfloat16 and the CUDA built-ins.
 */
#ifndef SB_KERNELS_AMP_KERNELS_CUH
#define SB_KERNELS_AMP_KERNELS_CUH

#include <math.h>
#include <stdint.h>

#ifndef SB_EMU
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#endif

#include "amp.h"
#include "block_reduce.cuh"

#define AMP_THREADS		256
#define AMP_MAX_BLOCKS		2048
#define AMP_BGRAD_MIN_ROWS	64	/* rows per thread before splitting m */

static __host__ __device__ int64_t
amp_cdiv(int64_t a, int64_t b)
{
	return (a + b - 1) / b;
}

/* --- conversions (note 2) ----------------------------------------------- */

static __device__ __forceinline__ float
amp_to_f32(__half v)
{
	return __half2float(v);
}

static __device__ __forceinline__ float
amp_to_f32(__nv_bfloat16 v)
{
	return __bfloat162float(v);
}

static __device__ __forceinline__ float
amp_to_f32(float v)
{
	return v;
}

template <typename T> static __device__ __forceinline__ T amp_from_f32(float);

template <> __device__ __forceinline__ __half
amp_from_f32<__half>(float v)
{
	return __float2half_rn(v);
}

template <> __device__ __forceinline__ __nv_bfloat16
amp_from_f32<__nv_bfloat16>(float v)
{
	return __float2bfloat16_rn(v);
}

template <> __device__ __forceinline__ float
amp_from_f32<float>(float v)
{
	return v;
}

/* --- cast ------------------------------------------------------------- */

struct amp_cast_list {
	struct sb_amp_cast_item	t[SB_AMP_MAX_CAST];
};

template <typename T>
static __global__ void
amp_cast_kernel(const struct amp_cast_list l)
{
	const struct sb_amp_cast_item c = l.t[blockIdx.y];
	const int64_t stride = (int64_t)gridDim.x * blockDim.x;
	T *__restrict__ dst = (T *)c.dst;

	for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
	    i < c.count; i += stride)
		dst[i] = amp_from_f32<T>(c.src[i]);
}

/* --- loss ------------------------------------------------------------- */

/* y, dy are (total) of type T, t fp32; loss_sum one double */
template <typename T>
static __global__ void
amp_loss_dy_kernel(const T *__restrict__ y, const float *__restrict__ t,
    T *__restrict__ dy, double *__restrict__ loss_sum,
    struct sb_amp_dev *st, int64_t total, float factor, int accumulate)
{
	__shared__ double warp_sums[AMP_THREADS / 32];
	const int64_t stride = (int64_t)gridDim.x * blockDim.x;
	const float scale = st != NULL ? st->scale : 1.0f;
	double part = 0.0;

	for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
	    i < total; i += stride) {
		const float d = amp_to_f32(y[i]) - t[i];

		dy[i] = amp_from_f32<T>(__fmul_rn(__fmul_rn(factor, d), scale));
		part += (double)d * (double)d;
	}
	part = sb_block_sum<AMP_THREADS>(part, warp_sums);
	if (threadIdx.x == 0) {
		if (accumulate)
			atomicAdd(loss_sum, part);
		else
			*loss_sum = part;
		if (blockIdx.x == 0 && st != NULL) {
			st->found_inf = 0;
			st->scale_used = scale;
		}
	}
}

/* --- bias gradient (note 7) ------------------------------------------- */

/* dy (m,n) of type T; blockDim = (32, 8); grid (amp_cdiv(n,32), gy).  With
 * gy == 1 db (type O) is written; else scratch[blockIdx.y * n + j]. */
template <typename T, typename O>
static __global__ void
amp_bgrad_kernel(const T *__restrict__ dy, O *__restrict__ db,
    float *__restrict__ scratch, int64_t m, int64_t n)
{
	__shared__ float part[8][33];
	const unsigned tx = threadIdx.x, ty = threadIdx.y;
	const int64_t j = (int64_t)blockIdx.x * 32 + tx;
	const int64_t rows = amp_cdiv(m, gridDim.y);
	const int64_t i0 = (int64_t)blockIdx.y * rows;
	const int64_t i1 = i0 + rows < m ? i0 + rows : m;
	float acc = 0.0f;

	if (j < n)
		for (int64_t i = i0 + ty; i < i1; i += 8)
			acc += amp_to_f32(dy[i * n + j]);
	part[ty][tx] = acc;
	__syncthreads();
	if (ty != 0 || j >= n)
		return;
	acc = 0.0f;
	for (int r = 0; r < 8; r++)
		acc += part[r][tx];
	if (gridDim.y == 1)
		db[j] = amp_from_f32<O>(acc);
	else
		scratch[(int64_t)blockIdx.y * n + j] = acc;
}

template <typename O>
static __global__ void
amp_bgrad_finish_kernel(const float *__restrict__ scratch, O *__restrict__ db,
    int slabs, int64_t n)
{
	const int64_t j = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
	float acc = 0.0f;

	if (j >= n)
		return;
	for (int s = 0; s < slabs; s++)
		acc += scratch[(int64_t)s * n + j];
	db[j] = amp_from_f32<O>(acc);
}

/* --- unscale ---------------------------------------------------------- */

struct amp_unscale_list {
	struct sb_amp_unscale_item	t[SB_AMP_MAX_UNSCALE];
};

template <typename S>
static __global__ void
amp_unscale_kernel(const struct amp_unscale_list l, struct sb_amp_dev *st,
    int inject_at)
{
	const struct sb_amp_unscale_item u = l.t[blockIdx.y];
	const int64_t stride = (int64_t)gridDim.x * blockDim.x;
	const S *__restrict__ src = (const S *)u.src;
	float inv = 1.0f;
	int inject = 0, bad = 0;

	if (st != NULL) {
		inv = (float)(1.0 / (double)st->scale);		/* note 4 */
		inject = inject_at >= 0 && st->step == inject_at &&
		    blockIdx.y == 0;
	}
	for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
	    i < u.count; i += stride) {
		float v = __fmul_rn(amp_to_f32(src[i]), inv);

		if (inject && i == 0)
			v = INFINITY;	/* --inject-overflow */
		u.dst[i] = v;
		bad |= !isfinite(v);
	}
	if (bad && st != NULL)
		st->found_inf = 1;	/* note 5 */
}

/* --- update (note 6) -------------------------------------------------- */

static __global__ void
amp_update_kernel(struct sb_amp_dev *st, float growth, float backoff,
    int interval)
{
	if (st->found_inf) {
		st->scale = st->scale * backoff;
		st->growth_tracker = 0;
	} else {
		const int good = st->growth_tracker + 1;

		if (good == interval) {
			const float grown = st->scale * growth;

			if (isfinite(grown))
				st->scale = grown;
			st->growth_tracker = 0;
		} else
			st->growth_tracker = good;
	}
	st->step++;
}

static __global__ void
amp_reset_kernel(struct sb_amp_dev *st, float init)
{
	st->scale = init;
	st->growth_tracker = 0;
	st->found_inf = 0;
	st->step = 0;
	st->scale_used = init;
	st->pad_ = 0;
}

#endif
