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

#include "amp.h"
#include "amp_kernels.cuh"

static unsigned
amp_blocks(int64_t count)
{
	const int64_t blocks = amp_cdiv(count, AMP_THREADS);

	return (unsigned)(blocks < AMP_MAX_BLOCKS ? blocks : AMP_MAX_BLOCKS);
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
	amp_reset_kernel<<<1, 1, 0, g->stream>>>(st, cfg->init_scale);
	LAUNCHED(g);
	return 0;
}

int
sb_amp_cast(struct sb_gpu *g, enum sb_dtype dt, const struct sb_amp_cast_item *t,
    int count)
{
	struct amp_cast_list l;
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
		amp_cast_kernel<__half><<<grid, AMP_THREADS, 0, g->stream>>>(l);
	else if (dt == SB_DT_BF16)
		amp_cast_kernel<__nv_bfloat16><<<grid, AMP_THREADS, 0,
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
		amp_loss_dy_kernel<__half><<<blocks, AMP_THREADS, 0, g->stream>>>(
		    (const __half *)y_h, t, (__half *)dy_h, loss_sum, st,
		    m * n, factor, blocks > 1);
	else
		amp_loss_dy_kernel<__nv_bfloat16><<<blocks, AMP_THREADS, 0,
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
	const dim3 grid((unsigned)amp_cdiv(n, 32), (unsigned)gy), block(32, 8);

	amp_bgrad_kernel<T, O><<<grid, block, 0, g->stream>>>((const T *)dy,
	    (O *)db, scratch, m, n);
	g->launches++;
	if (gy > 1) {
		amp_bgrad_finish_kernel<O><<<(unsigned)amp_cdiv(n, AMP_THREADS),
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
	gx = amp_cdiv(n, 32);
	gy = amp_cdiv(m, 8 * AMP_BGRAD_MIN_ROWS);
	if (gy > amp_cdiv(256, gx))
		gy = amp_cdiv(256, gx);
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
    const struct sb_amp_unscale_item *t, int count, struct sb_amp_dev *st,
    int inject_at)
{
	struct amp_unscale_list l;
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
		amp_unscale_kernel<__half><<<grid, AMP_THREADS, 0, g->stream>>>(l,
		    st, inject_at);
	else if (src_t == SB_DT_BF16)
		amp_unscale_kernel<__nv_bfloat16><<<grid, AMP_THREADS, 0,
		    g->stream>>>(l, st, inject_at);
	else if (src_t == SB_DT_F32)
		amp_unscale_kernel<float><<<grid, AMP_THREADS, 0, g->stream>>>(l,
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
	amp_update_kernel<<<1, 1, 0, g->stream>>>(st, cfg->growth, cfg->backoff,
	    cfg->interval);
	LAUNCHED(g);
	return 0;
}
