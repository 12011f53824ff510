/*
 * kernels/amp.cu — the non-GEMM kernels of the mixed-precision step
 * (amp.h).  One version each:
 *
 *   cast       fp32 → half for x and every w, b: one launch for the list
 *   loss_dy    loss_sum = Σ (y - t)², dy_h = half(2(y - t)/(m·n) · S);
 *              clears found_inf, records the scale used
 *   bias_grad  db = out(Σ_i dy_h[i,:]): fp32 partial sums per row slab,
 *              then (only when m was split) one pass adding the slabs in
 *              a fixed order and rounding once
 *   unscale    dw = float(dw_h)·(1/S) for every gradient tensor, found_inf
 *              if any result is not finite: one launch (GradScaler's
 *              _amp_foreach_non_finite_check_and_unscale_)
 *   update     one thread: GradScaler's _amp_update_scale_, step += 1
 *
 * Design notes:
 *  1. Memory-bound, like elementwise.cu: 256-thread blocks, 64-bit grid-
 *     stride loops capped at AMP_MAX_BLOCKS, several tensors per launch
 *     with blockIdx.y picking the tensor (lists travel by value in the
 *     kernel parameters, well under 4 KB).
 *  2. Rounding is __float2half_rn / __float2bfloat16_rn: to nearest, ties
 *     to even, overflow to inf — what PyTorch's casts do, and what the host
 *     reference (kernels/half.c) does bit for bit.
 *  3. The loss gradient is formed as (factor·d)·S with factor = 2/(m·n) in
 *     float, PyTorch's mse_loss_backward order (norm·(x - t)·grad_output),
 *     then rounded once to half.  Unscaled, it underflows in fp16 at large
 *     m·n: that is what the scale is for.
 *  4. 1/S is computed in double and rounded to float, as GradScaler does
 *     (scale.double().reciprocal().float()).
 *  5. found_inf is written only with 1 (by any thread that sees a non-
 *     finite value): concurrent writers store the same value.  The loss
 *     kernel of the same step cleared it earlier in stream order.
 *  6. The update runs in one thread after sgd; nothing is read back by the
 *     host.  Its arithmetic is written here independently of the plain-C
 *     reference (kernels/scaler.c), which the GPU test compares it with.
 *  7. bias_grad is deterministic: no atomics.  Blocks along y write their
 *     column partials to scratch[y][n]; a second kernel adds the gy slabs
 *     in order.  With one slab (small m) the first kernel rounds and stores
 *     directly: one launch.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "amp.h"

#define AMP_THREADS		256
#define AMP_MAX_BLOCKS		2048
#define AMP_BGRAD_MIN_ROWS	64	/* rows per thread before splitting m */

static __host__ __device__ int64_t
cdiv(int64_t a, int64_t b)
{
	return (a + b - 1) / b;
}

static unsigned
amp_blocks(int64_t count)
{
	const int64_t blocks = cdiv(count, AMP_THREADS);

	return (unsigned)(blocks < AMP_MAX_BLOCKS ? blocks : AMP_MAX_BLOCKS);
}

/* --- conversions (note 2) ----------------------------------------------- */

static __device__ __forceinline__ float
to_f32(__half v)
{
	return __half2float(v);
}

static __device__ __forceinline__ float
to_f32(__nv_bfloat16 v)
{
	return __bfloat162float(v);
}

static __device__ __forceinline__ float
to_f32(float v)
{
	return v;
}

template <typename T> static __device__ __forceinline__ T from_f32(float);

template <> __device__ __forceinline__ __half
from_f32<__half>(float v)
{
	return __float2half_rn(v);
}

template <> __device__ __forceinline__ __nv_bfloat16
from_f32<__nv_bfloat16>(float v)
{
	return __float2bfloat16_rn(v);
}

template <> __device__ __forceinline__ float
from_f32<float>(float v)
{
	return v;
}

/* --- cast ------------------------------------------------------------- */

struct cast_list {
	struct sb_amp_cast	t[SB_AMP_MAX_CAST];
};

template <typename T>
static __global__ void
cast_kernel(const struct cast_list l)
{
	const struct sb_amp_cast c = l.t[blockIdx.y];
	const int64_t stride = (int64_t)gridDim.x * blockDim.x;
	T *__restrict__ dst = (T *)c.dst;

	for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
	    i < c.count; i += stride)
		dst[i] = from_f32<T>(c.src[i]);
}

/* --- loss ------------------------------------------------------------- */

static __device__ double
block_sum(double v, double *warp_sums)
{
	const unsigned lane = threadIdx.x % 32, warp = threadIdx.x / 32;

	for (int off = 16; off > 0; off /= 2)
		v += __shfl_down_sync(0xffffffffu, v, off);
	if (lane == 0)
		warp_sums[warp] = v;
	__syncthreads();
	v = 0.0;
	if (warp == 0) {
		v = lane < AMP_THREADS / 32 ? warp_sums[lane] : 0.0;
		for (int off = 16; off > 0; off /= 2)
			v += __shfl_down_sync(0xffffffffu, v, off);
	}
	return v;
}

/* y, dy are (total) of type T, t fp32; loss_sum one double */
template <typename T>
static __global__ void
loss_dy_kernel(const T *__restrict__ y, const float *__restrict__ t,
    T *__restrict__ dy, double *__restrict__ loss_sum,
    struct sb_amp_dev *st, int64_t total, float factor, int accumulate)
{
	__shared__ double warp_sums[AMP_THREADS / 32];
	const int64_t stride = (int64_t)gridDim.x * blockDim.x;
	const float scale = st != NULL ? st->scale : 1.0f;
	double part = 0.0;

	for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
	    i < total; i += stride) {
		const float d = to_f32(y[i]) - t[i];

		dy[i] = from_f32<T>(__fmul_rn(__fmul_rn(factor, d), scale));
		part += (double)d * (double)d;
	}
	part = block_sum(part, warp_sums);
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

/* dy (m,n) of type T; blockDim = (32, 8); grid (cdiv(n,32), gy).  With
 * gy == 1 db (type O) is written; else scratch[blockIdx.y * n + j]. */
template <typename T, typename O>
static __global__ void
bgrad_kernel(const T *__restrict__ dy, O *__restrict__ db,
    float *__restrict__ scratch, int64_t m, int64_t n)
{
	__shared__ float part[8][33];
	const unsigned tx = threadIdx.x, ty = threadIdx.y;
	const int64_t j = (int64_t)blockIdx.x * 32 + tx;
	const int64_t rows = cdiv(m, gridDim.y);
	const int64_t i0 = (int64_t)blockIdx.y * rows;
	const int64_t i1 = i0 + rows < m ? i0 + rows : m;
	float acc = 0.0f;

	if (j < n)
		for (int64_t i = i0 + ty; i < i1; i += 8)
			acc += to_f32(dy[i * n + j]);
	part[ty][tx] = acc;
	__syncthreads();
	if (ty != 0 || j >= n)
		return;
	acc = 0.0f;
	for (int r = 0; r < 8; r++)
		acc += part[r][tx];
	if (gridDim.y == 1)
		db[j] = from_f32<O>(acc);
	else
		scratch[(int64_t)blockIdx.y * n + j] = acc;
}

template <typename O>
static __global__ void
bgrad_finish_kernel(const float *__restrict__ scratch, O *__restrict__ db,
    int slabs, int64_t n)
{
	const int64_t j = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
	float acc = 0.0f;

	if (j >= n)
		return;
	for (int s = 0; s < slabs; s++)
		acc += scratch[(int64_t)s * n + j];
	db[j] = from_f32<O>(acc);
}

/* --- unscale ---------------------------------------------------------- */

struct unscale_list {
	struct sb_amp_unscale	t[SB_AMP_MAX_UNSCALE];
};

template <typename S>
static __global__ void
unscale_kernel(const struct unscale_list l, struct sb_amp_dev *st,
    int inject_at)
{
	const struct sb_amp_unscale u = l.t[blockIdx.y];
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
		float v = __fmul_rn(to_f32(src[i]), inv);

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
update_kernel(struct sb_amp_dev *st, float growth, float backoff,
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
reset_kernel(struct sb_amp_dev *st, float init)
{
	st->scale = init;
	st->growth_tracker = 0;
	st->found_inf = 0;
	st->step = 0;
	st->scale_used = init;
	st->pad_ = 0;
}

/* --- launchers -------------------------------------------------------- */

static int
bad_type(struct sb_gpu *g, int line, const char *what, enum sb_dtype t)
{
	char detail[96];

	snprintf(detail, sizeof(detail), "type '%s'; want f16 or bf16",
	    sb_dtype_name(t));
	return sb_gpu_fail(g, __FILE__, line, what, detail);
}

#define LAUNCHED(g) do {						\
	(g)->launches++;						\
	SB_CUDA_CHECK((g), cudaGetLastError());				\
} while (0)

int
sb_amp_state_reset(struct sb_gpu *g, struct sb_amp_dev *st,
    const struct sb_scaler_cfg *cfg)
{
	reset_kernel<<<1, 1, 0, g->stream>>>(st, cfg->init_scale);
	LAUNCHED(g);
	return 0;
}

int
sb_amp_cast(struct sb_gpu *g, enum sb_dtype dt, const struct sb_amp_cast *t,
    int count)
{
	struct cast_list l;
	int64_t largest = 0;

	if (count < 1 || count > SB_AMP_MAX_CAST)
		return sb_gpu_fail(g, __FILE__, __LINE__, "sb_amp_cast",
		    "want 1..SB_AMP_MAX_CAST tensors");
	memset(&l, 0, sizeof(l));
	for (int i = 0; i < count; i++) {
		if (t[i].src == NULL || t[i].dst == NULL || t[i].count < 1)
			return sb_gpu_fail(g, __FILE__, __LINE__,
			    "sb_amp_cast", "every tensor needs src, dst and "
			    "count >= 1");
		l.t[i] = t[i];
		if (t[i].count > largest)
			largest = t[i].count;
	}
	const dim3 grid(amp_blocks(largest), (unsigned)count);

	if (dt == SB_DT_F16)
		cast_kernel<__half><<<grid, AMP_THREADS, 0, g->stream>>>(l);
	else if (dt == SB_DT_BF16)
		cast_kernel<__nv_bfloat16><<<grid, AMP_THREADS, 0,
		    g->stream>>>(l);
	else
		return bad_type(g, __LINE__, "sb_amp_cast", dt);
	LAUNCHED(g);
	return 0;
}

int
sb_amp_loss_dy(struct sb_gpu *g, enum sb_dtype dt, const void *y_h,
    const float *t, void *dy_h, double *loss_sum, struct sb_amp_dev *st,
    int64_t m, int64_t n)
{
	const unsigned blocks = amp_blocks(m * n);
	const float factor = 2.0f / (float)(m * n);

	if (m < 1 || n < 1)
		return sb_gpu_fail(g, __FILE__, __LINE__, "sb_amp_loss_dy",
		    "m and n must be at least 1");
	if (dt != SB_DT_F16 && dt != SB_DT_BF16)
		return bad_type(g, __LINE__, "sb_amp_loss_dy", dt);
	if (blocks > 1) {
		SB_CUDA_CHECK(g, cudaMemsetAsync(loss_sum, 0, sizeof(double),
		    g->stream));
		g->launches++;
	}
	if (dt == SB_DT_F16)
		loss_dy_kernel<__half><<<blocks, AMP_THREADS, 0, g->stream>>>(
		    (const __half *)y_h, t, (__half *)dy_h, loss_sum, st,
		    m * n, factor, blocks > 1);
	else
		loss_dy_kernel<__nv_bfloat16><<<blocks, AMP_THREADS, 0,
		    g->stream>>>((const __nv_bfloat16 *)y_h, t,
		    (__nv_bfloat16 *)dy_h, loss_sum, st, m * n, factor,
		    blocks > 1);
	LAUNCHED(g);
	return 0;
}

template <typename T, typename O>
static void
bgrad_launch(struct sb_gpu *g, const void *dy, void *db, float *scratch,
    int64_t m, int64_t n, int gy)
{
	const dim3 grid((unsigned)cdiv(n, 32), (unsigned)gy), block(32, 8);

	bgrad_kernel<T, O><<<grid, block, 0, g->stream>>>((const T *)dy,
	    (O *)db, scratch, m, n);
	g->launches++;
	if (gy > 1) {
		bgrad_finish_kernel<O><<<(unsigned)cdiv(n, AMP_THREADS),
		    AMP_THREADS, 0, g->stream>>>(scratch, (O *)db, gy, n);
		g->launches++;
	}
}

int
sb_amp_bias_grad(struct sb_gpu *g, enum sb_dtype dt, const void *dy_h,
    enum sb_dtype out, void *db, float *scratch, int64_t m, int64_t n)
{
	int64_t gy, gx;

	if (m < 1 || n < 1)
		return sb_gpu_fail(g, __FILE__, __LINE__, "sb_amp_bias_grad",
		    "m and n must be at least 1");
	if (dt != SB_DT_F16 && dt != SB_DT_BF16)
		return bad_type(g, __LINE__, "sb_amp_bias_grad", dt);
	if (out != SB_DT_F32 && out != dt)
		return sb_gpu_fail(g, __FILE__, __LINE__, "sb_amp_bias_grad",
		    "the output type must be f32 or the input type");
	/* Split the rows only when the columns alone leave the GPU idle,
	 * and give every thread at least AMP_BGRAD_MIN_ROWS rows. */
	gx = cdiv(n, 32);
	gy = cdiv(m, 8 * AMP_BGRAD_MIN_ROWS);
	if (gy > cdiv(256, gx))
		gy = cdiv(256, gx);
	if (gy > SB_AMP_BGRAD_SPLIT)
		gy = SB_AMP_BGRAD_SPLIT;
	if (gy < 1)
		gy = 1;
	if (gy > 1 && scratch == NULL)
		gy = 1;
	if (dt == SB_DT_F16 && out == SB_DT_F16)
		bgrad_launch<__half, __half>(g, dy_h, db, scratch, m, n,
		    (int)gy);
	else if (dt == SB_DT_F16)
		bgrad_launch<__half, float>(g, dy_h, db, scratch, m, n,
		    (int)gy);
	else if (out == SB_DT_BF16)
		bgrad_launch<__nv_bfloat16, __nv_bfloat16>(g, dy_h, db,
		    scratch, m, n, (int)gy);
	else
		bgrad_launch<__nv_bfloat16, float>(g, dy_h, db, scratch, m, n,
		    (int)gy);
	SB_CUDA_CHECK(g, cudaGetLastError());
	return 0;
}

int
sb_amp_unscale(struct sb_gpu *g, enum sb_dtype src_t,
    const struct sb_amp_unscale *t, int count, struct sb_amp_dev *st,
    int inject_at)
{
	struct unscale_list l;
	int64_t largest = 0;

	if (count < 1 || count > SB_AMP_MAX_UNSCALE)
		return sb_gpu_fail(g, __FILE__, __LINE__, "sb_amp_unscale",
		    "want 1..SB_AMP_MAX_UNSCALE tensors");
	memset(&l, 0, sizeof(l));
	for (int i = 0; i < count; i++) {
		if (t[i].src == NULL || t[i].dst == NULL || t[i].count < 1)
			return sb_gpu_fail(g, __FILE__, __LINE__,
			    "sb_amp_unscale", "every tensor needs src, dst and "
			    "count >= 1");
		l.t[i] = t[i];
		if (t[i].count > largest)
			largest = t[i].count;
	}
	const dim3 grid(amp_blocks(largest), (unsigned)count);

	if (src_t == SB_DT_F16)
		unscale_kernel<__half><<<grid, AMP_THREADS, 0, g->stream>>>(l,
		    st, inject_at);
	else if (src_t == SB_DT_BF16)
		unscale_kernel<__nv_bfloat16><<<grid, AMP_THREADS, 0,
		    g->stream>>>(l, st, inject_at);
	else if (src_t == SB_DT_F32)
		unscale_kernel<float><<<grid, AMP_THREADS, 0, g->stream>>>(l,
		    st, inject_at);
	else
		return bad_type(g, __LINE__, "sb_amp_unscale", src_t);
	LAUNCHED(g);
	return 0;
}

int
sb_amp_update(struct sb_gpu *g, struct sb_amp_dev *st,
    const struct sb_scaler_cfg *cfg)
{
	update_kernel<<<1, 1, 0, g->stream>>>(st, cfg->growth, cfg->backoff,
	    cfg->interval);
	LAUNCHED(g);
	return 0;
}
