/*
 * kernels/gemm_s8_dp4a.cuh — the SIMT int8 GEMM on __dp4a, device code and
 * planner (launcher: gemm_s8_dp4a.cu).  Versions:
 *
 *   dp4a  64×64×64 CTA tiles (k in bytes), 256 threads as 16 × 16, each
 *         thread 4×4 outputs (rows ty + 16r, columns tx + 16c) in int32
 *         registers; both operands staged in shared memory as packed
 *         words of 4 consecutive k bytes, one __dp4a per word per output;
 *         the gemm_s8.h epilogue in registers
 *
 * Run it alone: stepbench gemm --types s8 --kernels dp4a
 * In the CPU emulator: SB_EMU_FILTER=dp4a build/x/tests/test_igemm_emu
 *
 * Design notes:
 *  1. The baseline of the int8 ladder: no tensor cores, no pipeline (load
 *     the tile, __syncthreads, compute, __syncthreads).  It needs sm_61
 *     (dp4a) only.  At 4 int8 multiply-adds per instruction it is bounded
 *     by the SIMT issue rate, a quarter of what imma's mma.sync reaches.
 *  2. Shared tiles are S[64 rows][16 + 1 words]: a warp reads 16 rows of
 *     Bs (tx) at one word, 17 words apart, so 16 distinct banks, and two
 *     rows of As (ty), broadcast.
 *  3. Tails: a word that is partly outside k (or a row outside m or n) is
 *     assembled from guarded byte loads, zero outside, so m, n, k need no
 *     multiple and nothing outside the operands is read.  Zero bytes add
 *     nothing to a dp4a.  Stores are guarded.
 *  4. Alignment: the VEC loader reads whole words (4-byte loads) where the
 *     word lies inside k; it needs both base pointers 4-byte aligned and
 *     lda, ldb multiples of 4.  Otherwise the same kernel is instantiated
 *     with the byte loader everywhere.
 */
#ifndef SB_KERNELS_GEMM_S8_DP4A_CUH
#define SB_KERNELS_GEMM_S8_DP4A_CUH

#include "gemm_s8.cuh"

#define IDP4A_BM	64
#define IDP4A_BN	64
#define IDP4A_BKW	16	/* k words (of 4 bytes) per tile */
#define IDP4A_NT	256
#define IDP4A_LD	(IDP4A_BKW + 1)	/* words: note 2 */

/* 1 when whole 4-byte words of both operands may be loaded (note 4). */
static inline int
igemm_vec4_ok(const igemm_params *p)
{
	return ((uintptr_t)p->a & 3u) == 0 && ((uintptr_t)p->b & 3u) == 0 &&
	    p->lda % 4 == 0 && p->ldb % 4 == 0;
}

/*
 * S (ROWS × IDP4A_LD words) ← rows r0.. of x (leading dimension ld bytes),
 * k bytes k0.. as words, zero outside rlim × klim (note 3).
 */
template <int ROWS, bool VEC>
static __device__ __forceinline__ void
idp4a_load(uint32_t *S, const int8_t *__restrict__ x, int64_t ld, int64_t r0,
    int64_t k0, int64_t rlim, int64_t klim, int tid)
{
	static_assert(ROWS * IDP4A_BKW % IDP4A_NT == 0, "tile must split");
#pragma unroll
	for (int s = 0; s < ROWS * IDP4A_BKW / IDP4A_NT; s++) {
		const int e = tid + s * IDP4A_NT;
		const int r = e / IDP4A_BKW, w = e % IDP4A_BKW;
		const int64_t gr = r0 + r, gk = k0 + 4 * w;
		uint32_t v = 0;

		if (gr < rlim) {
			const int8_t *src = x + gr * ld + gk;

			if (VEC && gk + 4 <= klim)
				v = *reinterpret_cast<const uint32_t *>(src);
			else
#pragma unroll
				for (int q = 0; q < 4; q++)
					if (gk + q < klim)
						v |= (uint32_t)(uint8_t)src[q] <<
						    8 * q;
		}
		S[r * IDP4A_LD + w] = v;
	}
}

template <typename TO, bool VEC>
__global__ void __launch_bounds__(IDP4A_NT)
gemm_s8_dp4a(igemm_params p)
{
	__shared__ uint32_t As[IDP4A_BM * IDP4A_LD];
	__shared__ uint32_t Bs[IDP4A_BN * IDP4A_LD];
	const int tid = threadIdx.x, tx = tid % 16, ty = tid / 16;
	const int64_t i0 = (int64_t)blockIdx.x * IDP4A_BM;
	const int64_t j0 = (int64_t)blockIdx.y * IDP4A_BN;
	const int64_t ktiles = gemm_cdiv(p.k, 4 * IDP4A_BKW);
	const float sa = p.a_scale != NULL ? *p.a_scale : 0.0f;
	int32_t acc[4][4];	/* [r][c]: row ty + 16r, column tx + 16c */

#pragma unroll
	for (int r = 0; r < 4; r++)
#pragma unroll
		for (int c = 0; c < 4; c++)
			acc[r][c] = 0;
	for (int64_t kt = 0; kt < ktiles; kt++) {
		const int64_t k0 = kt * 4 * IDP4A_BKW;

		idp4a_load<IDP4A_BM, VEC>(As, p.a, p.lda, i0, k0, p.m, p.k,
		    tid);
		idp4a_load<IDP4A_BN, VEC>(Bs, p.b, p.ldb, j0, k0, p.n, p.k,
		    tid);
		__syncthreads();
#pragma unroll
		for (int w = 0; w < IDP4A_BKW; w++) {
			int av[4], bv[4];

#pragma unroll
			for (int r = 0; r < 4; r++)
				av[r] = (int)As[(ty + 16 * r) * IDP4A_LD + w];
#pragma unroll
			for (int c = 0; c < 4; c++)
				bv[c] = (int)Bs[(tx + 16 * c) * IDP4A_LD + w];
#pragma unroll
			for (int r = 0; r < 4; r++)
#pragma unroll
				for (int c = 0; c < 4; c++)
					acc[r][c] = __dp4a(av[r], bv[c],
					    acc[r][c]);
		}
		__syncthreads();	/* before the next tile overwrites */
	}
#pragma unroll
	for (int r = 0; r < 4; r++)
#pragma unroll
		for (int c = 0; c < 4; c++) {
			const int64_t row = i0 + ty + 16 * r;
			const int64_t col = j0 + tx + 16 * c;

			if (row < p.m && col < p.n)
				igemm_put_c<TO>(p, row, col, sa, acc[r][c]);
		}
}

/* The launch of gemm_s8_dp4a for a call; 0, or -1 if it cannot cover it. */
static inline int
gemm_s8_dp4a_plan(enum sb_dtype out, const igemm_params *p,
    struct igemm_launch *l)
{
	static const char *const names[3][2] = IGEMM_NAMES("dp4a", "byte",
	    "word");
	const int vec = igemm_vec4_ok(p);
	const int64_t gx = gemm_cdiv(p->m, IDP4A_BM);
	const int64_t gy = gemm_cdiv(p->n, IDP4A_BN);

	if (out != SB_DT_S32 && out != SB_DT_F32 && out != SB_DT_F16)
		return -1;
	if (gx > GEMM_GRID_X_MAX || gy > GEMM_GRID_Y_MAX)
		return -1;
	l->kernel = vec ? IGEMM_BY_OUT(out, gemm_s8_dp4a, true) :
	    IGEMM_BY_OUT(out, gemm_s8_dp4a, false);
	l->grid = dim3((unsigned)gx, (unsigned)gy);
	l->block = dim3(IDP4A_NT);
	l->smem_bytes = 0;
	l->name = names[igemm_out_index(out)][vec];
	return 0;
}

#endif
