/*
 * kernels/gemm_tf32_mma.cuh — a hand-written TF32 tensor-core GEMM with
 * mma.sync, device code and host planner.  Versions:
 *
 *   mma   128×128×16 CTA tiles, 8 warps as 2 (M) × 4 (N), 64×32 per warp =
 *         4×4 mma.sync.m16n8k8 tiles, fp32 accumulators in registers (64
 *         per lane); operands staged through registers into double-buffered
 *         shared memory already rounded to TF32 (cvt.rna, once per element
 *         instead of once per fragment load)
 *
 * Design notes:
 *  1. Shared-memory tiles are S[k][outer] like the SIMT kernels
 *     (gemm_tile.cuh), padded to 136 words: a fragment load reads S[t][g]
 *     (t = lane % 4, g = lane / 4) at word t·136 + g, and 136 ≡ 8 (mod 32)
 *     puts the 32 lanes on 32 different banks.
 *  2. The layouts differ only in the loaders; the fragments are the same for
 *     NT, TN and NN.  TF32 rounding happens on the operands only; the
 *     accumulation is fp32, as cuBLAS's CUBLAS_COMPUTE_32F_FAST_TF32.
 *  3. Needs sm_80 (mma.sync .tf32, cvt.rna.tf32).  Hopper's wgmma would be
 *     faster; mma.sync is the portable rung (DESIGN: mma, then wgmma).
 */
#ifndef SB_KERNELS_GEMM_TF32_MMA_CUH
#define SB_KERNELS_GEMM_TF32_MMA_CUH

#include "gemm_tile.cuh"

#define MMA_BM		128
#define MMA_BN		128
#define MMA_BK		16
#define MMA_NT		256
#define MMA_WM		64
#define MMA_WN		32
#define MMA_PAD		8	/* note 1 */

template <int LAYOUT, bool VEC>
__global__ void __launch_bounds__(MMA_NT, 2)
gemm_tf32_mma(gemm_params p)
{
	using L = gemm_layout<LAYOUT>;
	__shared__ GEMM_ALIGN16 uint32_t As[2][MMA_BK][MMA_BM + MMA_PAD];
	__shared__ GEMM_ALIGN16 uint32_t Bs[2][MMA_BK][MMA_BN + MMA_PAD];
	gemm_stager<MMA_BM, MMA_BK, MMA_PAD, MMA_NT, L::a_kcontig, VEC> sa;
	gemm_stager<MMA_BN, MMA_BK, MMA_PAD, MMA_NT, L::b_kcontig, VEC> sb;
	const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32;
	const int g = lane / 4, tg = lane % 4;
	const int wm = warp / (MMA_BN / MMA_WN) * MMA_WM;
	const int wn = warp % (MMA_BN / MMA_WN) * MMA_WN;
	const int64_t j0 = (int64_t)blockIdx.y * MMA_BN;
	const int64_t ktiles = gemm_cdiv(p.k, MMA_BK);

	{
	const int64_t i0 = (int64_t)blockIdx.x * MMA_BM;
	float acc[4][4][4] = { { { 0.0f } } };	/* [m16][n8][frag] */

	sa.load(p.a, p.lda, i0, 0, p.m, p.k, tid);
	sb.load(p.b, p.ldb, j0, 0, p.n, p.k, tid);
	sa.store(As[0], tid);
	sb.store(Bs[0], tid);
	__syncthreads();

	for (int64_t kt = 0; kt < ktiles; kt++) {
		const int buf = (int)(kt & 1);
		const bool more = kt + 1 < ktiles;

		if (more) {
			sa.load(p.a, p.lda, i0, (kt + 1) * MMA_BK, p.m,
			    p.k, tid);
			sb.load(p.b, p.ldb, j0, (kt + 1) * MMA_BK, p.n,
			    p.k, tid);
		}
#pragma unroll
		for (int ks = 0; ks < MMA_BK; ks += 8) {
			uint32_t af[4][4], bf[4][2];

#pragma unroll
			for (int i = 0; i < 4; i++) {
				const int r = wm + i * 16 + g;

				af[i][0] = As[buf][ks + tg][r];
				af[i][1] = As[buf][ks + tg][r + 8];
				af[i][2] = As[buf][ks + tg + 4][r];
				af[i][3] = As[buf][ks + tg + 4][r + 8];
			}
#pragma unroll
			for (int j = 0; j < 4; j++) {
				const int c = wn + j * 8 + g;

				bf[j][0] = Bs[buf][ks + tg][c];
				bf[j][1] = Bs[buf][ks + tg + 4][c];
			}
#pragma unroll
			for (int i = 0; i < 4; i++)
#pragma unroll
				for (int j = 0; j < 4; j++)
					sb_mma_m16n8k8_tf32(acc[i][j],
					    af[i], bf[j]);
		}
		if (more) {	/* as in gemm_f32_warptile */
			sa.store(As[buf ^ 1], tid);
			sb.store(Bs[buf ^ 1], tid);
		}
		__syncthreads();
	}

	/* d0,d1: row g, columns 2t, 2t+1; d2,d3: row g + 8 */
#pragma unroll
	for (int i = 0; i < 4; i++)
#pragma unroll
		for (int j = 0; j < 4; j++)
#pragma unroll
			for (int h = 0; h < 2; h++) {
				const int64_t row = i0 + wm + i * 16 +
				    g + h * 8;
				const int64_t col = j0 + wn + j * 8 +
				    tg * 2;

				if (row >= p.m)
					continue;
				if (col < p.n)
					gemm_put_c(p, row, col,
					    acc[i][j][h * 2]);
				if (col + 1 < p.n)
					gemm_put_c(p, row, col + 1,
					    acc[i][j][h * 2 + 1]);
			}
	}
}

/* The launch of gemm_tf32_mma for a call; 0, or -1 if it cannot cover it. */
static inline int
gemm_tf32_mma_plan(enum sb_layout layout, const gemm_params *p,
    struct gemm_launch *l)
{
	static const char *const names[SB_LAYOUT_COUNT][2] = {
		{ "gemm_tf32.mma.nt.scalar", "gemm_tf32.mma.nt.vec4" },
		{ "gemm_tf32.mma.tn.scalar", "gemm_tf32.mma.tn.vec4" },
		{ "gemm_tf32.mma.nn.scalar", "gemm_tf32.mma.nn.vec4" },
	};
	const int vec = gemm_vec_ok(p);

	if ((unsigned)layout >= SB_LAYOUT_COUNT)
		return -1;
	l->kernel = vec ? GEMM_BY_LAYOUT(layout, gemm_tf32_mma, true) :
	    GEMM_BY_LAYOUT(layout, gemm_tf32_mma, false);
	l->block = dim3(MMA_NT);
	l->name = names[layout][vec];
	return gemm_tile_grid(p, MMA_BM, MMA_BN, &l->grid);
}

#endif
