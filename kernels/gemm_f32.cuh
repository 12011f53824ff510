/*
 * kernels/gemm_f32.cuh — the SIMT fp32 GEMM ladder, device code and host
 * planner.  Versions, each a rung above the last:
 *
 *   naive      one thread per C[i,j], threadIdx.x along i: a warp stores
 *              32 rows apart and, in NN/TN, reads B 32 columns apart
 *   coalesced  threadIdx.x along j; for NT, where both operands are
 *              K-contiguous, a warp per C[i,j] splits k over its lanes and
 *              reduces with shuffles, so every read is coalesced
 *   smem       32×32 tiles of A and B through shared memory, one output
 *              per thread (1024 threads)
 *   regtile1d  64×64×8 tiles, a column of 8 outputs per thread (512 threads)
 *   regtile2d  128×128×16 tiles, 8×8 outputs per thread (256 threads)
 *   vec        regtile2d with 16-byte global loads and shared-memory reads
 *   warptile   128×128×16 tiles split into 64×32 warp tiles; each lane owns
 *              2×2 sub-tiles of 4×4 spread over its warp tile, so a warp's
 *              shared-memory reads are broadcasts of one 128-byte line;
 *              double-buffered: the next tile's global loads are issued
 *              into registers before the math on this one
 *
 * Every version handles NT, TN and NN (gemm_tile.cuh) with no transpose
 * pass, any m, n, k (zero-filled tails, guarded stores), any leading
 * dimensions (vec and warptile fall back from 16-byte to scalar global
 * access when a pointer or leading dimension is not a multiple of 4 floats)
 * and an optional bias in the epilogue.
 *
 * Tile choices for sm_90 (H100/H200: 64 K registers, 228 KB shared memory
 * and at most 2048 threads per SM): 256-thread CTAs of 8×8 or 2×(4×4)² outputs
 * per thread need ~128 registers, so __launch_bounds__(256, 2) asks for two
 * CTAs (16 warps) per SM within the register file.  regtile2d and vec use
 * BK = 16, half the barriers of the BK = 8 classic, at 17 KB of shared
 * memory per CTA.  warptile keeps BK = 8: its double buffering holds the
 * next tile in registers during the math, and with BK = 16 those 16 extra
 * floats next to 64 accumulators spilled 100–280 bytes per thread (ptxas,
 * sm_90a); at BK = 8 it spills at most 16.  These are reasoned, not yet
 * tuned on a GPU: the #defines and planners are the one place to change.
 *
 * The tiled kernels put row tiles on blockIdx.x (up to 2^31 - 1: any batch)
 * and column tiles on blockIdx.y (up to 65535: n up to 2 M columns even
 * for 32-wide tiles); one tile per CTA, no loop, to spare the registers.
 */
#ifndef SB_KERNELS_GEMM_F32_CUH
#define SB_KERNELS_GEMM_F32_CUH

#include "gemm_tile.cuh"

enum gemm_f32_version {
	GEMM_F32_NAIVE,
	GEMM_F32_COALESCED,
	GEMM_F32_SMEM,
	GEMM_F32_REGTILE1D,
	GEMM_F32_REGTILE2D,
	GEMM_F32_VEC,
	GEMM_F32_WARPTILE,
	GEMM_F32_NVERSIONS
};

/* --- naive, and coalesced for TN and NN ---------------------------------- */

/*
 * One thread per C[i,j], a plain loop over k.  X_ALONG_I (naive): threadIdx.x
 * runs along i, so a warp stores 32 rows apart.  Otherwise (coalesced, TN and
 * NN): threadIdx.x runs along j, where B and C are contiguous, and A(i,q) is
 * one broadcast per warp.
 */
template <int LAYOUT, bool X_ALONG_I>
__global__ void __launch_bounds__(256)
gemm_f32_per_output(gemm_params p)
{
	using L = gemm_layout<LAYOUT>;
	const int64_t xs = (int64_t)gridDim.x * blockDim.x;
	const int64_t ys = (int64_t)gridDim.y * blockDim.y;
	const int64_t x0 = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
	const int64_t y0 = (int64_t)blockIdx.y * blockDim.y + threadIdx.y;
	const int64_t i0 = X_ALONG_I ? x0 : y0, is = X_ALONG_I ? xs : ys;
	const int64_t j0 = X_ALONG_I ? y0 : x0, js = X_ALONG_I ? ys : xs;

	for (int64_t i = i0; i < p.m; i += is)
		for (int64_t j = j0; j < p.n; j += js) {
			float acc = 0.0f;

			for (int64_t q = 0; q < p.k; q++)
				acc += gemm_elem<L::a_kcontig>(p.a, p.lda, i, q) *
				    gemm_elem<L::b_kcontig>(p.b, p.ldb, j, q);
			gemm_put_c(p, i, j, acc);
		}
}

/* NT: a warp per output; lanes stride k (both rows contiguous), then a
 * shuffle reduction.  Consecutive warps take consecutive j: the A row is
 * shared through L1. */
static __global__ void __launch_bounds__(256)
gemm_f32_coalesced_nt(gemm_params p)
{
	const int lane = threadIdx.x % 32;
	const int64_t total = p.m * p.n;
	const int64_t ws = (int64_t)gridDim.x * (blockDim.x / 32);

	for (int64_t o = (int64_t)blockIdx.x * (blockDim.x / 32) +
	    threadIdx.x / 32; o < total; o += ws) {
		const int64_t i = o / p.n, j = o % p.n;
		const float *ar = p.a + i * p.lda, *br = p.b + j * p.ldb;
		float acc = 0.0f;

		for (int64_t q = lane; q < p.k; q += 32)
			acc += ar[q] * br[q];
		for (int off = 16; off > 0; off /= 2)
			acc += __shfl_down_sync(0xffffffffu, acc, off);
		if (lane == 0)
			gemm_put_c(p, i, j, acc);
	}
}

/* --- smem --------------------------------------------------------------- */

#define SMEM_T		32

template <int LAYOUT>
__global__ void __launch_bounds__(SMEM_T * SMEM_T)
gemm_f32_smem(gemm_params p)
{
	using L = gemm_layout<LAYOUT>;
	__shared__ float As[SMEM_T][SMEM_T + 1], Bs[SMEM_T][SMEM_T + 1];
	const int tx = threadIdx.x, ty = threadIdx.y, tid = ty * SMEM_T + tx;
	const int64_t j0 = (int64_t)blockIdx.y * SMEM_T;

	{
	const int64_t i0 = (int64_t)blockIdx.x * SMEM_T;
	float acc = 0.0f;

	for (int64_t q0 = 0; q0 < p.k; q0 += SMEM_T) {
		gemm_load_scalar<SMEM_T, SMEM_T, 1, SMEM_T * SMEM_T,
		    L::a_kcontig>(As, p.a, p.lda, i0, q0, p.m, p.k, tid);
		gemm_load_scalar<SMEM_T, SMEM_T, 1, SMEM_T * SMEM_T,
		    L::b_kcontig>(Bs, p.b, p.ldb, j0, q0, p.n, p.k, tid);
		__syncthreads();
#pragma unroll 8
		for (int q = 0; q < SMEM_T; q++)
			acc += As[q][ty] * Bs[q][tx];
		__syncthreads();
	}
	if (i0 + ty < p.m && j0 + tx < p.n)
		gemm_put_c(p, i0 + ty, j0 + tx, acc);
	}
}

/* --- regtile1d ---------------------------------------------------------- */

#define R1_BM		64
#define R1_BN		64
#define R1_BK		8
#define R1_TM		8
#define R1_NT		(R1_BN * R1_BM / R1_TM)	/* 512 */
#define R1_PAD		4	/* transposed stores: 8 q's land 4 banks apart */

template <int LAYOUT>
__global__ void __launch_bounds__(R1_NT)
gemm_f32_regtile1d(gemm_params p)
{
	using L = gemm_layout<LAYOUT>;
	__shared__ float As[R1_BK][R1_BM + R1_PAD], Bs[R1_BK][R1_BN + R1_PAD];
	const int tid = threadIdx.x, tx = tid % R1_BN, ty = tid / R1_BN;
	const int64_t j0 = (int64_t)blockIdx.y * R1_BN;

	{
	const int64_t i0 = (int64_t)blockIdx.x * R1_BM;
	float acc[R1_TM] = { 0.0f };

	for (int64_t q0 = 0; q0 < p.k; q0 += R1_BK) {
		gemm_load_scalar<R1_BM, R1_BK, R1_PAD, R1_NT,
		    L::a_kcontig>(As, p.a, p.lda, i0, q0, p.m, p.k, tid);
		gemm_load_scalar<R1_BN, R1_BK, R1_PAD, R1_NT,
		    L::b_kcontig>(Bs, p.b, p.ldb, j0, q0, p.n, p.k, tid);
		__syncthreads();
#pragma unroll
		for (int q = 0; q < R1_BK; q++) {
			const float b = Bs[q][tx];

#pragma unroll
			for (int r = 0; r < R1_TM; r++)
				acc[r] += As[q][ty * R1_TM + r] * b;
		}
		__syncthreads();
	}
	for (int r = 0; r < R1_TM; r++) {
		const int64_t i = i0 + ty * R1_TM + r;

		if (i < p.m && j0 + tx < p.n)
			gemm_put_c(p, i, j0 + tx, acc[r]);
	}
	}
}

/* --- regtile2d and vec ---------------------------------------------------- */

#define R2_BM		128
#define R2_BN		128
#define R2_BK		16
#define R2_TM		8
#define R2_TN		8
#define R2_NT		((R2_BM / R2_TM) * (R2_BN / R2_TN))	/* 256 */
#define R2_PAD		2	/* scalar transposed stores: 16 q's, 2 banks apart */
#define VEC_PAD		4	/* keeps rows of S 16-byte aligned */

/* acc[r][c] += As[q][tr·8 + r] · Bs[q][tc·8 + c], one q */
template <int PAD>
static __device__ __forceinline__ void
gemm_outer8x8(float acc[R2_TM][R2_TN], const float (*As)[R2_BM + PAD],
    const float (*Bs)[R2_BN + PAD], int q, int tr, int tc, bool vec)
{
	float ra[R2_TM], rb[R2_TN];

	if (vec) {
		const float4 a0 = *reinterpret_cast<const float4 *>(&As[q][tr * R2_TM]);
		const float4 a1 = *reinterpret_cast<const float4 *>(&As[q][tr * R2_TM + 4]);
		const float4 b0 = *reinterpret_cast<const float4 *>(&Bs[q][tc * R2_TN]);
		const float4 b1 = *reinterpret_cast<const float4 *>(&Bs[q][tc * R2_TN + 4]);

		ra[0] = a0.x; ra[1] = a0.y; ra[2] = a0.z; ra[3] = a0.w;
		ra[4] = a1.x; ra[5] = a1.y; ra[6] = a1.z; ra[7] = a1.w;
		rb[0] = b0.x; rb[1] = b0.y; rb[2] = b0.z; rb[3] = b0.w;
		rb[4] = b1.x; rb[5] = b1.y; rb[6] = b1.z; rb[7] = b1.w;
	} else {
#pragma unroll
		for (int r = 0; r < R2_TM; r++)
			ra[r] = As[q][tr * R2_TM + r];
#pragma unroll
		for (int c = 0; c < R2_TN; c++)
			rb[c] = Bs[q][tc * R2_TN + c];
	}
#pragma unroll
	for (int r = 0; r < R2_TM; r++)
#pragma unroll
		for (int c = 0; c < R2_TN; c++)
			acc[r][c] += ra[r] * rb[c];
}

template <bool VEC>
static __device__ __forceinline__ void
gemm_store8x8(const gemm_params &p, float acc[R2_TM][R2_TN], int64_t i0,
    int64_t j0)
{
#pragma unroll
	for (int r = 0; r < R2_TM; r++)
#pragma unroll
		for (int c = 0; c < R2_TN; c += 4)
			gemm_put_c4<VEC>(p, i0 + r, j0 + c, make_float4(
			    acc[r][c], acc[r][c + 1], acc[r][c + 2],
			    acc[r][c + 3]));
}

template <int LAYOUT>
__global__ void __launch_bounds__(R2_NT, 2)
gemm_f32_regtile2d(gemm_params p)
{
	using L = gemm_layout<LAYOUT>;
	__shared__ float As[R2_BK][R2_BM + R2_PAD], Bs[R2_BK][R2_BN + R2_PAD];
	const int tid = threadIdx.x, tr = tid / (R2_BN / R2_TN),
	    tc = tid % (R2_BN / R2_TN);
	const int64_t j0 = (int64_t)blockIdx.y * R2_BN;

	{
	const int64_t i0 = (int64_t)blockIdx.x * R2_BM;
	float acc[R2_TM][R2_TN] = { { 0.0f } };

	for (int64_t q0 = 0; q0 < p.k; q0 += R2_BK) {
		gemm_load_scalar<R2_BM, R2_BK, R2_PAD, R2_NT,
		    L::a_kcontig>(As, p.a, p.lda, i0, q0, p.m, p.k, tid);
		gemm_load_scalar<R2_BN, R2_BK, R2_PAD, R2_NT,
		    L::b_kcontig>(Bs, p.b, p.ldb, j0, q0, p.n, p.k, tid);
		__syncthreads();
#pragma unroll
		for (int q = 0; q < R2_BK; q++)
			gemm_outer8x8<R2_PAD>(acc, As, Bs, q, tr, tc,
			    false);
		__syncthreads();
	}
	gemm_store8x8<false>(p, acc, i0 + tr * R2_TM, j0 + tc * R2_TN);
	}
}

template <int LAYOUT, bool VEC>
__global__ void __launch_bounds__(R2_NT, 2)
gemm_f32_vec(gemm_params p)
{
	using L = gemm_layout<LAYOUT>;
	__shared__ GEMM_ALIGN16 float As[R2_BK][R2_BM + VEC_PAD];
	__shared__ GEMM_ALIGN16 float Bs[R2_BK][R2_BN + VEC_PAD];
	gemm_stager<R2_BM, R2_BK, VEC_PAD, R2_NT, L::a_kcontig, VEC> sa;
	gemm_stager<R2_BN, R2_BK, VEC_PAD, R2_NT, L::b_kcontig, VEC> sb;
	const int tid = threadIdx.x, tr = tid / (R2_BN / R2_TN),
	    tc = tid % (R2_BN / R2_TN);
	const int64_t j0 = (int64_t)blockIdx.y * R2_BN;

	{
	const int64_t i0 = (int64_t)blockIdx.x * R2_BM;
	float acc[R2_TM][R2_TN] = { { 0.0f } };

	for (int64_t q0 = 0; q0 < p.k; q0 += R2_BK) {
		sa.load(p.a, p.lda, i0, q0, p.m, p.k, tid);
		sb.load(p.b, p.ldb, j0, q0, p.n, p.k, tid);
		sa.store(As, tid);
		sb.store(Bs, tid);
		__syncthreads();
#pragma unroll
		for (int q = 0; q < R2_BK; q++)
			gemm_outer8x8<VEC_PAD>(acc, As, Bs, q, tr, tc,
			    true);
		__syncthreads();
	}
	gemm_store8x8<VEC>(p, acc, i0 + tr * R2_TM, j0 + tc * R2_TN);
	}
}

/* --- warptile ------------------------------------------------------------- */

#define WT_BM		128
#define WT_BN		128
#define WT_BK		8
#define WT_NT		256
#define WT_WM		64	/* warp tile: 2 warps along M ... */
#define WT_WN		32	/* ... 4 along N */
#define WT_PAD		4

template <int LAYOUT, bool VEC>
__global__ void __launch_bounds__(WT_NT, 2)
gemm_f32_warptile(gemm_params p)
{
	using L = gemm_layout<LAYOUT>;
	__shared__ GEMM_ALIGN16 float As[2][WT_BK][WT_BM + WT_PAD];
	__shared__ GEMM_ALIGN16 float Bs[2][WT_BK][WT_BN + WT_PAD];
	gemm_stager<WT_BM, WT_BK, WT_PAD, WT_NT, L::a_kcontig, VEC> sa;
	gemm_stager<WT_BN, WT_BK, WT_PAD, WT_NT, L::b_kcontig, VEC> sb;
	const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32;
	/* warp origin in the CTA tile; lane's 4×4 origin in each sub-tile:
	 * rows wm + it·32 + lm·4, columns wn + jt·16 + ln·4 (it, jt < 2) */
	const int wm = warp / (WT_BN / WT_WN) * WT_WM;
	const int wn = warp % (WT_BN / WT_WN) * WT_WN;
	const int lm = lane / 4, ln = lane % 4;
	const int64_t j0 = (int64_t)blockIdx.y * WT_BN;
	const int64_t ktiles = gemm_cdiv(p.k, WT_BK);

	{
	const int64_t i0 = (int64_t)blockIdx.x * WT_BM;
	float acc[2][2][4][4] = { { { { 0.0f } } } };

	/* prologue: tile 0 into buffer 0 */
	sa.load(p.a, p.lda, i0, 0, p.m, p.k, tid);
	sb.load(p.b, p.ldb, j0, 0, p.n, p.k, tid);
	sa.store(As[0], tid);
	sb.store(Bs[0], tid);
	__syncthreads();

	for (int64_t kt = 0; kt < ktiles; kt++) {
		const int buf = (int)(kt & 1);
		const bool more = kt + 1 < ktiles;

		if (more) {	/* in flight during the math below */
			sa.load(p.a, p.lda, i0, (kt + 1) * WT_BK, p.m,
			    p.k, tid);
			sb.load(p.b, p.ldb, j0, (kt + 1) * WT_BK, p.n,
			    p.k, tid);
		}
#pragma unroll
		for (int q = 0; q < WT_BK; q++) {
			float4 ra[2], rb[2];

#pragma unroll
			for (int it = 0; it < 2; it++)
				ra[it] = *reinterpret_cast<const float4 *>(
				    &As[buf][q][wm + it * 32 + lm * 4]);
#pragma unroll
			for (int jt = 0; jt < 2; jt++)
				rb[jt] = *reinterpret_cast<const float4 *>(
				    &Bs[buf][q][wn + jt * 16 + ln * 4]);
#pragma unroll
			for (int it = 0; it < 2; it++)
#pragma unroll
				for (int jt = 0; jt < 2; jt++)
#pragma unroll
					for (int r = 0; r < 4; r++)
#pragma unroll
						for (int c = 0; c < 4; c++)
							acc[it][jt][r][c] +=
							    (&ra[it].x)[r] *
							    (&rb[jt].x)[c];
		}
		/* Buffer buf ^ 1 was last read in iteration kt - 1,
		 * before the barrier that ended it: free to fill. */
		if (more) {
			sa.store(As[buf ^ 1], tid);
			sb.store(Bs[buf ^ 1], tid);
		}
		__syncthreads();
	}

#pragma unroll
	for (int it = 0; it < 2; it++)
#pragma unroll
		for (int jt = 0; jt < 2; jt++)
#pragma unroll
			for (int r = 0; r < 4; r++)
				gemm_put_c4<VEC>(p,
				    i0 + wm + it * 32 + lm * 4 + r,
				    j0 + wn + jt * 16 + ln * 4,
				    make_float4(acc[it][jt][r][0],
				    acc[it][jt][r][1], acc[it][jt][r][2],
				    acc[it][jt][r][3]));
	}
}

/* --- planner ---------------------------------------------------------------- */

/*
 * Picks the kernel and launch shape of version v for a call.  0, or -1 when
 * the version or layout is unknown or the grid cannot cover the call.
 */
static inline int
gemm_f32_plan(int v, enum sb_layout layout, const gemm_params *p,
    struct gemm_launch *l)
{
#define GN(v)	{ { "gemm_f32." v ".nt", "gemm_f32." v ".nt" },		\
		  { "gemm_f32." v ".tn", "gemm_f32." v ".tn" },		\
		  { "gemm_f32." v ".nn", "gemm_f32." v ".nn" } }
#define GNV(v)	{ { "gemm_f32." v ".nt.scalar", "gemm_f32." v ".nt.vec4" }, \
		  { "gemm_f32." v ".tn.scalar", "gemm_f32." v ".tn.vec4" }, \
		  { "gemm_f32." v ".nn.scalar", "gemm_f32." v ".nn.vec4" } }
	/* [version][layout][16-byte access] */
	static const char *const names[GEMM_F32_NVERSIONS][SB_LAYOUT_COUNT][2] = {
		GN("naive"), GN("coalesced"), GN("smem"), GN("regtile1d"),
		GN("regtile2d"), GNV("vec"), GNV("warptile"),
	};
#undef GN
#undef GNV
	const int vec = gemm_vec_ok(p);

	if ((unsigned)layout >= SB_LAYOUT_COUNT || v < 0 ||
	    v >= GEMM_F32_NVERSIONS)
		return -1;
	switch (v) {
	case GEMM_F32_NAIVE: {
		const int64_t gx = gemm_cdiv(p->m, 32), gy = gemm_cdiv(p->n, 8);

		l->kernel = GEMM_BY_LAYOUT(layout, gemm_f32_per_output, true);
		l->block = dim3(32, 8);
		l->grid = dim3((unsigned)(gx < GEMM_GRID_X_MAX ? gx :
		    GEMM_GRID_X_MAX), (unsigned)(gy < GEMM_GRID_Y_MAX ? gy :
		    GEMM_GRID_Y_MAX));
		break;
	}
	case GEMM_F32_COALESCED:
		if (layout == SB_NT) {
			const int64_t gx = gemm_cdiv(p->m * p->n, 8);

			l->kernel = gemm_f32_coalesced_nt;
			l->block = dim3(256);
			l->grid = dim3((unsigned)(gx < (1 << 20) ? gx :
			    (1 << 20)));
		} else {
			const int64_t gx = gemm_cdiv(p->n, 32),
			    gy = gemm_cdiv(p->m, 8);

			l->kernel = layout == SB_TN ?
			    (gemm_kernel_fn)gemm_f32_per_output<SB_TN, false> :
			    (gemm_kernel_fn)gemm_f32_per_output<SB_NN, false>;
			l->block = dim3(32, 8);
			l->grid = dim3((unsigned)(gx < GEMM_GRID_X_MAX ? gx :
			    GEMM_GRID_X_MAX), (unsigned)(gy < GEMM_GRID_Y_MAX ?
			    gy : GEMM_GRID_Y_MAX));
		}
		break;
	case GEMM_F32_SMEM:
		l->kernel = GEMM_BY_LAYOUT(layout, gemm_f32_smem);
		l->block = dim3(SMEM_T, SMEM_T);
		if (gemm_tile_grid(p, SMEM_T, SMEM_T, &l->grid) != 0)
			return -1;
		break;
	case GEMM_F32_REGTILE1D:
		l->kernel = GEMM_BY_LAYOUT(layout, gemm_f32_regtile1d);
		l->block = dim3(R1_NT);
		if (gemm_tile_grid(p, R1_BM, R1_BN, &l->grid) != 0)
			return -1;
		break;
	case GEMM_F32_REGTILE2D:
		l->kernel = GEMM_BY_LAYOUT(layout, gemm_f32_regtile2d);
		l->block = dim3(R2_NT);
		if (gemm_tile_grid(p, R2_BM, R2_BN, &l->grid) != 0)
			return -1;
		break;
	case GEMM_F32_VEC:
		l->kernel = vec ? GEMM_BY_LAYOUT(layout, gemm_f32_vec, true) :
		    GEMM_BY_LAYOUT(layout, gemm_f32_vec, false);
		l->block = dim3(R2_NT);
		if (gemm_tile_grid(p, R2_BM, R2_BN, &l->grid) != 0)
			return -1;
		break;
	default:
		l->kernel = vec ? GEMM_BY_LAYOUT(layout, gemm_f32_warptile,
		    true) : GEMM_BY_LAYOUT(layout, gemm_f32_warptile, false);
		l->block = dim3(WT_NT);
		if (gemm_tile_grid(p, WT_BM, WT_BN, &l->grid) != 0)
			return -1;
		break;
	}
	l->name = names[v][layout][vec];
	return 0;
}

#endif
