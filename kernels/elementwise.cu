/*
 * kernels/elementwise.cu — the non-GEMM kernels of the step.  Versions (one
 * each; they are not what stepbench compares):
 *
 *   bias_add      y[i,j] += b[j]                        forward, hidden layers
 *   bias_loss_dy  y += b; d = y - t; *loss_sum = Σ d²;   last layer, train
 *                 dy = (2/(m·n))·d
 *   bias_grad     db[j] = Σ_i dy[i,j]                   wgrad
 *   sgd           p -= lr·g for every parameter tensor,  update
 *                 one launch
 *
 * Design notes:
 *  1. All are memory-bound: the aim is coalesced access and enough blocks
 *     in flight.  256-thread blocks, int64 indices, grid-stride loops with
 *     the grid capped at EW_MAX_BLOCKS (about two waves on an H100), so any
 *     size launches and per-block overheads (the loss atomics) stay bounded.
 *  2. The bias kernels need the column of a flat index, idx mod n.  A 64-bit
 *     modulo costs dozens of instructions, so each thread takes one at its
 *     start; after that the column advances by (stride mod n) and wraps with
 *     one subtraction.
 *  3. Loss: each thread sums d² in double, like the reference; the block
 *     reduces by warp shuffles and shared memory and adds its sum with one
 *     atomicAdd(double) (native since sm_60; one block stores it, note 9).  The atomics land in no fixed
 *     order, so *loss_sum is reproducible to rounding, not bit for bit.
 *  4. dy = scale·d with scale = 2.0f/(float)(m·n) formed once, in float, as
 *     the reference forms (T)2/(T)count: the same dy bits for the same y.
 *  5. bias_grad: blockDim.x = bx threads along j (the next power of two
 *     >= n, at most 32) and blockDim.y = 256/bx along i, so that for narrow
 *     layers (n = 3) a warp reads several whole rows, one contiguous span,
 *     instead of leaving 29 of 32 lanes idle.  Blocks along y split the rows
 *     (m = 1e6 must not run on one SM); each block reduces in shared memory
 *     and adds its partial to db with atomicAdd(float), db being cleared first
 *     by cudaMemsetAsync on the same stream (graph-capturable).  Float
 *     atomics make db reproducible to rounding only.
 *  6. sgd rounds lr·g before subtracting (__fmul_rn keeps nvcc from fusing
 *     it into an FMA), as the host reference does: the same update bits.
 *  7. One sgd launch updates every tensor (weights and biases of all
 *     layers): the tensors travel by value in the kernel's parameters
 *     (2·SB_MAX_LAYERS × 24 bytes, well under the 4 KB limit) and blockIdx.y
 *     picks the tensor, so a step of L layers pays one launch, not 2L.
 *  8. Every launcher adds its launches and memsets to g->launches: the
 *     step's launch count is measured, not assumed.
 *  9. The two reductions need their target cleared only when several
 *     blocks add into it.  When one block covers the reduction (the
 *     tutorial's 10×3 does), the kernel stores its sum instead and the
 *     memset is not enqueued: two launches fewer on the latency-bound step.
 * 10. sgd takes an optional device flag (the mixed-precision step's
 *     found_inf): set, every thread returns before touching a parameter.
 *     The decision never visits the host, so a step with a loss scaler
 *     still captures into a CUDA graph.
 */
#include <limits.h>
#include <string.h>

#include "block_reduce.cuh"
#include "gpu.h"

#define EW_THREADS		256
#define EW_MAX_BLOCKS		2048	/* grid-stride cap, note 1 */
#define BIAS_GRAD_BLOCKS	1024	/* blocks wanted for bias_grad */
#define BIAS_GRAD_MIN_ITERS	8	/* rows per thread before splitting m */
#define GRID_Y_MAX		65535

static int64_t		cdiv(int64_t, int64_t);
static unsigned		ew_blocks(int64_t);

/* y is (m,n) row-major, total = m·n; b is (n) */
static __global__ void
bias_add_kernel(float *__restrict__ y, const float *__restrict__ b,
    int64_t total, int64_t n)
{
	const int64_t stride = (int64_t)gridDim.x * blockDim.x;
	int64_t idx = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
	int64_t col, col_step;

	if (idx >= total)
		return;
	col = idx % n;
	col_step = stride % n;
	for (; idx < total; idx += stride) {
		y[idx] += b[col];
		col += col_step;	/* col, col_step < n: one wrap at most */
		if (col >= n)
			col -= n;
	}
}

/*
 * y, t, dy are (m,n) row-major, total = m·n; b is (n); loss_sum is one
 * double.  blockDim.x must be EW_THREADS (sb_block_sum).
 */
static __global__ void
bias_loss_dy_kernel(float *__restrict__ y, const float *__restrict__ b,
    const float *__restrict__ t, float *__restrict__ dy,
    double *__restrict__ loss_sum, int64_t total, int64_t n, float scale,
    int accumulate)
{
	__shared__ double warp_sums[EW_THREADS / 32];
	const int64_t stride = (int64_t)gridDim.x * blockDim.x;
	int64_t idx = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
	double part = 0.0;

	/* No early return: every thread must reach sb_block_sum's barrier. */
	if (idx < total) {
		int64_t col = idx % n;
		const int64_t col_step = stride % n;

		for (; idx < total; idx += stride) {
			const float v = y[idx] + b[col];
			const float diff = v - t[idx];

			y[idx] = v;
			dy[idx] = scale * diff;
			part += (double)diff * (double)diff;
			col += col_step;
			if (col >= n)
				col -= n;
		}
	}
	part = sb_block_sum<EW_THREADS>(part, warp_sums);
	if (threadIdx.x == 0) {
		if (accumulate)
			atomicAdd(loss_sum, part);
		else
			*loss_sum = part;	/* the only block: note 9 */
	}
}

/*
 * Sum of v over a block of EW_THREADS threads along x; the result is valid
 * in thread 0.  warp_sums holds EW_THREADS/32 doubles of shared memory.
 */
/*
 * dy is (m,n) row-major, db is (n) and was cleared.  blockDim = (bx, by),
 * bx·by = EW_THREADS, by a power of two (note 5).
 */
static __global__ void
bias_grad_kernel(const float *__restrict__ dy, float *__restrict__ db,
    int64_t m, int64_t n, int accumulate)
{
	__shared__ float partial[EW_THREADS];	/* [ty][tx] */
	const unsigned tx = threadIdx.x, ty = threadIdx.y, bx = blockDim.x;
	const int64_t j = (int64_t)blockIdx.x * blockDim.x + tx;
	const int64_t istride = (int64_t)gridDim.y * blockDim.y;
	float acc = 0.0f;

	if (j < n) {
		for (int64_t i = (int64_t)blockIdx.y * blockDim.y + ty; i < m;
		    i += istride)
			acc += dy[i * n + j];
	}
	partial[ty * bx + tx] = acc;
	__syncthreads();
	for (unsigned s = blockDim.y / 2; s > 0; s /= 2) {
		if (ty < s)
			partial[ty * bx + tx] += partial[(ty + s) * bx + tx];
		__syncthreads();
	}
	if (ty == 0 && j < n) {
		if (accumulate)
			atomicAdd(&db[j], partial[tx]);
		else
			db[j] = partial[tx];	/* one block row: note 9 */
	}
}

struct sgd_list {
	struct sb_sgd_tensor	t[SB_SGD_MAX_TENSORS];
};

/* tensor blockIdx.y of the list; grid-stride over its elements along x */
static __global__ void
sgd_kernel(const struct sgd_list l, float lr, const int32_t *skip)
{
	const struct sb_sgd_tensor t = l.t[blockIdx.y];

	if (skip != NULL && *skip != 0)
		return;		/* the loss scaler found inf/NaN: note 10 */
	const int64_t stride = (int64_t)gridDim.x * blockDim.x;
	float *__restrict__ p = t.p;
	const float *__restrict__ grad = t.g;

	for (int64_t idx = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
	    idx < t.count; idx += stride)
		p[idx] = p[idx] - __fmul_rn(lr, grad[idx]);
}

/* y is (m,n) row-major, b is (n) */
int
sb_bias_add(struct sb_gpu *g, float *y, const float *b, int64_t m, int64_t n)
{
	if (m < 1 || n < 1)
		return sb_gpu_fail(g, __FILE__, __LINE__, "sb_bias_add",
		    "m and n must be at least 1");
	bias_add_kernel<<<ew_blocks(m * n), EW_THREADS, 0, g->stream>>>(y, b,
	    m * n, n);
	g->launches++;
	SB_CUDA_CHECK(g, cudaGetLastError());
	return 0;
}

/* y, t, dy are (m,n) row-major, b is (n), loss_sum is one device double */
int
sb_bias_loss_dy(struct sb_gpu *g, float *y, const float *b, const float *t,
    float *dy, double *loss_sum, int64_t m, int64_t n)
{
	unsigned blocks;
	float scale;

	if (m < 1 || n < 1)
		return sb_gpu_fail(g, __FILE__, __LINE__, "sb_bias_loss_dy",
		    "m and n must be at least 1");
	scale = 2.0f / (float)(m * n);	/* note 4 */
	blocks = ew_blocks(m * n);
	if (blocks > 1) {
		SB_CUDA_CHECK(g, cudaMemsetAsync(loss_sum, 0, sizeof(*loss_sum),
		    g->stream));
		g->launches++;
	}
	bias_loss_dy_kernel<<<blocks, EW_THREADS, 0, g->stream>>>(y, b, t, dy,
	    loss_sum, m * n, n, scale, blocks > 1);
	g->launches++;
	SB_CUDA_CHECK(g, cudaGetLastError());
	return 0;
}

/* dy is (m,n) row-major, db is (n) */
int
sb_bias_grad(struct sb_gpu *g, const float *dy, float *db, int64_t m,
    int64_t n)
{
	unsigned bx = 1, by;
	int64_t gx, gy, gy_fill;

	if (m < 1 || n < 1)
		return sb_gpu_fail(g, __FILE__, __LINE__, "sb_bias_grad",
		    "m and n must be at least 1");
	while (bx < 32 && bx < n)
		bx *= 2;
	by = EW_THREADS / bx;
	gx = cdiv(n, bx);
	if (gx > INT_MAX)
		gx = INT_MAX;	/* unreachable below n = 2^36 */

	/* Split the rows over enough blocks to fill the GPU, but give each
	 * thread at least BIAS_GRAD_MIN_ITERS rows so that the atomics and
	 * the shared-memory reduction stay a small part of the work. */
	gy = cdiv(m, (int64_t)by * BIAS_GRAD_MIN_ITERS);
	gy_fill = BIAS_GRAD_BLOCKS / gx;
	if (gy_fill < 1)
		gy_fill = 1;
	if (gy > gy_fill)
		gy = gy_fill;
	if (gy > GRID_Y_MAX)
		gy = GRID_Y_MAX;

	if (gy > 1) {
		SB_CUDA_CHECK(g, cudaMemsetAsync(db, 0, (size_t)n *
		    sizeof(float), g->stream));
		g->launches++;
	}
	bias_grad_kernel<<<dim3((unsigned)gx, (unsigned)gy), dim3(bx, by), 0,
	    g->stream>>>(dy, db, m, n, gy > 1);
	g->launches++;
	SB_CUDA_CHECK(g, cudaGetLastError());
	return 0;
}

/* note 7 */
int
sb_sgd(struct sb_gpu *g, const struct sb_sgd_tensor *t, int count, float lr,
    const int32_t *skip)
{
	struct sgd_list l;
	int64_t largest = 0;

	if (count < 1 || count > SB_SGD_MAX_TENSORS)
		return sb_gpu_fail(g, __FILE__, __LINE__, "sb_sgd",
		    "want 1..SB_SGD_MAX_TENSORS tensors");
	memset(&l, 0, sizeof(l));
	for (int i = 0; i < count; i++) {
		if (t[i].p == NULL || t[i].g == NULL || t[i].count < 1)
			return sb_gpu_fail(g, __FILE__, __LINE__, "sb_sgd",
			    "every tensor needs p, g and count >= 1");
		l.t[i] = t[i];
		if (t[i].count > largest)
			largest = t[i].count;
	}
	/* Blocks along x for the largest tensor; in the rows of smaller
	 * tensors the surplus blocks find no element and exit at once. */
	sgd_kernel<<<dim3(ew_blocks(largest), (unsigned)count), EW_THREADS, 0,
	    g->stream>>>(l, lr, skip);
	g->launches++;
	SB_CUDA_CHECK(g, cudaGetLastError());
	return 0;
}

static int64_t
cdiv(int64_t a, int64_t b)
{
	return (a + b - 1) / b;
}

/* Blocks for a grid-stride loop over count elements (note 1). */
static unsigned
ew_blocks(int64_t count)
{
	const int64_t blocks = cdiv(count, EW_THREADS);

	return (unsigned)(blocks < EW_MAX_BLOCKS ? blocks : EW_MAX_BLOCKS);
}
