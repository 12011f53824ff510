/*
 * kernels/gemm_f16_wmma.cuh — the textbook half-precision tensor-core GEMM
 * with nvcuda::wmma, device code and planner (launcher: gemm_f16_wmma.cu).
 * Versions:
 *
 *   wmma  64×64×32 CTA tiles, 4 warps as 2 × 2, 32×32 per warp = 2×2
 *         16×16×16 fragments with fp32 accumulators; operands loaded
 *         element by element (guarded, zero outside) into single-buffered
 *         shared memory; the accumulators go through shared memory to an
 *         epilogue that adds the bias, rounds once and stores the tails
 *
 * It is the slow rung of the ladder, meant to be obviously correct: no
 * vector loads, no pipelining, no register blocking beyond 2×2 fragments.
 *
 * Run it alone: stepbench gemm --kernels 'f16.wmma,bf16.wmma' --layouts nt,tn,nn
 * In the CPU emulator: SB_EMU_FILTER=wmma build/x/tests/test_hgemm_emu
 *
 * Design notes:
 *  1. Layouts: shared tiles keep the operand's global orientation, and the
 *     fragment's layout says how to read it.  A K-contiguous operand is
 *     S[outer][BK]: A as wmma::row_major, B as wmma::col_major; the other
 *     is S[BK][outer]: A col_major, B row_major.  No transposes anywhere.
 *  2. wmma::load_matrix_sync wants a 256-bit aligned pointer and ldm a
 *     multiple of 8 halves (4 floats): the tiles are 32-byte aligned, rows
 *     are padded by 8 halves (also against bank conflicts), and every
 *     fragment starts at a multiple of 16 rows and 16 columns.
 *  3. One kernel family for fp16 and bf16: bf16 fragments need sm_80, so
 *     the implementation's min_cc is 80 (fp16 alone would run on sm_70,
 *     which this build does not target anyway).
 */
#ifndef SB_KERNELS_GEMM_F16_WMMA_CUH
#define SB_KERNELS_GEMM_F16_WMMA_CUH

#include "gemm_f16.cuh"

#ifndef SB_EMU
#include <mma.h>
#endif

#define HWMMA_BM	64
#define HWMMA_BN	64
#define HWMMA_BK	32
#define HWMMA_NT	128
#define HWMMA_WM	32
#define HWMMA_WN	32
#define HWMMA_PAD	8	/* halves: note 2 */
#define HWMMA_CLD	(HWMMA_BN + 4)	/* floats per row of the C tile */

/* One operand's shared tile, R × C stored with row pitch LD (note 1). */
template <int OUTER, bool KCONTIG>
struct hwmma_tile {
	static constexpr int R = KCONTIG ? OUTER : HWMMA_BK;
	static constexpr int C = KCONTIG ? HWMMA_BK : OUTER;
	static constexpr int LD = C + HWMMA_PAD;
};

/* S (R × LD) ← stored rows r0.., columns c0.. of x, zero outside
 * rlim × clim; consecutive threads read consecutive columns. */
template <typename TILE, typename TI>
static __device__ __forceinline__ void
hwmma_load(TI *S, const TI *__restrict__ x, int64_t ld, int64_t r0,
    int64_t c0, int64_t rlim, int64_t clim, int tid)
{
	const TI zero = hgemm_from_f32<TI>(0.0f);

	for (int e = tid; e < TILE::R * TILE::C; e += HWMMA_NT) {
		const int r = e / TILE::C, c = e % TILE::C;
		const int64_t gr = r0 + r, gc = c0 + c;

		S[r * TILE::LD + c] = gr < rlim && gc < clim ?
		    x[gr * ld + gc] : zero;
	}
}

template <typename TI, typename TO, int LAYOUT>
__global__ void __launch_bounds__(HWMMA_NT)
gemm_f16_wmma(hgemm_params p)
{
	using namespace nvcuda;
	using L = gemm_layout<LAYOUT>;
	using TA = hwmma_tile<HWMMA_BM, L::a_kcontig>;
	using TB = hwmma_tile<HWMMA_BN, L::b_kcontig>;
	typedef typename hgemm_if<L::a_kcontig, wmma::row_major,
	    wmma::col_major>::type LA;
	typedef typename hgemm_if<L::b_kcontig, wmma::col_major,
	    wmma::row_major>::type LB;
	__shared__ HGEMM_ALIGN32 TI As[TA::R * TA::LD];
	__shared__ HGEMM_ALIGN32 TI Bs[TB::R * TB::LD];
	__shared__ HGEMM_ALIGN32 float Cs[HWMMA_BM * HWMMA_CLD];
	const TI *const a = static_cast<const TI *>(p.a);
	const TI *const b = static_cast<const TI *>(p.b);
	const int tid = threadIdx.x, warp = tid / 32;
	const int wm = warp / (HWMMA_BN / HWMMA_WN) * HWMMA_WM;
	const int wn = warp % (HWMMA_BN / HWMMA_WN) * HWMMA_WN;
	const int64_t i0 = (int64_t)blockIdx.x * HWMMA_BM;
	const int64_t j0 = (int64_t)blockIdx.y * HWMMA_BN;
	wmma::fragment<wmma::matrix_a, 16, 16, 16, TI, LA> af[2];
	wmma::fragment<wmma::matrix_b, 16, 16, 16, TI, LB> bf[2];
	wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc[2][2];

#pragma unroll
	for (int i = 0; i < 2; i++)
#pragma unroll
		for (int j = 0; j < 2; j++)
			wmma::fill_fragment(acc[i][j], 0.0f);

	for (int64_t k0 = 0; k0 < p.k; k0 += HWMMA_BK) {
		if (L::a_kcontig)
			hwmma_load<TA>(As, a, p.lda, i0, k0, p.m, p.k, tid);
		else
			hwmma_load<TA>(As, a, p.lda, k0, i0, p.k, p.m, tid);
		if (L::b_kcontig)
			hwmma_load<TB>(Bs, b, p.ldb, j0, k0, p.n, p.k, tid);
		else
			hwmma_load<TB>(Bs, b, p.ldb, k0, j0, p.k, p.n, tid);
		__syncthreads();
#pragma unroll
		for (int ks = 0; ks < HWMMA_BK; ks += 16) {
#pragma unroll
			for (int i = 0; i < 2; i++) {
				const int r = wm + i * 16;

				wmma::load_matrix_sync(af[i], L::a_kcontig ?
				    &As[r * TA::LD + ks] : &As[ks * TA::LD + r],
				    TA::LD);
			}
#pragma unroll
			for (int j = 0; j < 2; j++) {
				const int c = wn + j * 16;

				wmma::load_matrix_sync(bf[j], L::b_kcontig ?
				    &Bs[c * TB::LD + ks] : &Bs[ks * TB::LD + c],
				    TB::LD);
			}
#pragma unroll
			for (int i = 0; i < 2; i++)
#pragma unroll
				for (int j = 0; j < 2; j++)
					wmma::mma_sync(acc[i][j], af[i], bf[j],
					    acc[i][j]);
		}
		__syncthreads();
	}

	/* fragments → C tile → bias, one rounding, guarded stores */
#pragma unroll
	for (int i = 0; i < 2; i++)
#pragma unroll
		for (int j = 0; j < 2; j++)
			wmma::store_matrix_sync(&Cs[(wm + i * 16) * HWMMA_CLD +
			    wn + j * 16], acc[i][j], HWMMA_CLD,
			    wmma::mem_row_major);
	__syncthreads();
	for (int e = tid; e < HWMMA_BM * HWMMA_BN; e += HWMMA_NT) {
		const int r = e / HWMMA_BN, c = e % HWMMA_BN;

		if (i0 + r < p.m && j0 + c < p.n)
			hgemm_put_c<TI, TO>(p, i0 + r, j0 + c,
			    Cs[r * HWMMA_CLD + c]);
	}
}

/* The launch of gemm_f16_wmma for a call; 0, or -1 if it cannot cover it. */
static inline int
gemm_f16_wmma_plan(enum sb_layout layout, enum sb_dtype in, enum sb_dtype out,
    const hgemm_params *p, struct hgemm_launch *l)
{
	static const char *const names[2][2][SB_LAYOUT_COUNT][2] =
	    HGEMM_NAMES("wmma", "scalar", "scalar");
	const int64_t gx = gemm_cdiv(p->m, HWMMA_BM);
	const int64_t gy = gemm_cdiv(p->n, HWMMA_BN);

	if ((unsigned)layout >= SB_LAYOUT_COUNT ||
	    (in != SB_DT_F16 && in != SB_DT_BF16) ||
	    (out != SB_DT_F32 && out != in))
		return -1;
	if (gx > GEMM_GRID_X_MAX || gy > GEMM_GRID_Y_MAX)
		return -1;
	l->kernel = HGEMM_BY_TYPES(in, out, layout, gemm_f16_wmma);
	l->grid = dim3((unsigned)gx, (unsigned)gy);
	l->block = dim3(HWMMA_NT);
	l->smem_bytes = 0;
	l->name = names[in == SB_DT_BF16][out != SB_DT_F32][layout][0];
	return 0;
}

#endif
