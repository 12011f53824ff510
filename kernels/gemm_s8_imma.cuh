/*
 * kernels/gemm_s8_imma.cuh — the hand-written int8 GEMM on the IMMA tensor
 * cores (mma.sync m16n8k32 s8), device code and planner (launcher:
 * gemm_s8_imma.cu).  Versions:
 *
 *   imma  128×128×64 CTA tiles (k in bytes), 8 warps as 2 (M) × 4 (N),
 *         64×32 per warp = 4×4 mma.sync.m16n8k32 tiles, two k32 steps per
 *         tile, int32 accumulators in registers (64 per lane); operands
 *         copied global → shared by cp.async (16 bytes, .cg) through a
 *         4-stage pipeline, shared → registers by ldmatrix.x4; the
 *         gemm_s8.h epilogue (s32, or dequantise + bias) in registers
 *
 * Run it alone: stepbench gemm --types s8 --kernels imma
 * In the CPU emulator: SB_EMU_FILTER=imma build/x/tests/test_igemm_emu
 *
 * Design notes:
 *  1. The NT layout of gemm_f16_mma.cuh, in bytes.  Both operands are
 *     K-contiguous, kept so in shared memory (S[128][64 + 16 bytes]); the
 *     m16n8k32 s8 fragments are, byte for byte, the m16n8k16 half
 *     fragments (gemm_s8.cuh), so plain ldmatrix.x4 (b16) of 8 rows × 16
 *     bytes hands every lane its A ("row") and B ("col") registers, and
 *     the lane addressing is that of the half kernel's K-contiguous case
 *     with 16 bytes for 8 halves.  Tile geometry in bytes is the same as
 *     well (a 64-byte k tile, the half kernel's 32 halves).
 *  2. Bank conflicts: rows of S are padded by 16 bytes, an 80-byte pitch:
 *     one ldmatrix phase reads 8 rows at one column, on 8 distinct 16-byte
 *     bank groups (0, 80, 160, ... mod 128 are all different).
 *  3. Pipeline: as gemm_f16_mma.cuh note 3 (tile t in stage t % 4, the
 *     prologue issues 3 tiles, cp.async.wait_group 2, one __syncthreads per
 *     tile, a group committed every iteration).  4 × 2 × 10 KiB = 80 KiB
 *     of dynamic shared memory; two CTAs fit on an A100 or H100 SM.
 *  4. Tails: a 16-byte chunk partly outside k copies only its inside bytes
 *     (cp.async src-size) and zero-fills the rest; a chunk wholly outside
 *     (or in a row past m or n) copies 0 bytes.  Zeros add nothing to the
 *     int32 sums, so m, n, k need no multiple.  Stores are guarded.
 *  5. Alignment: cp.async needs 16-byte aligned sources: both operands
 *     16-byte aligned and lda, ldb multiples of 16.  When not (the int8
 *     step pads K to SB_S8_KPAD = 16, so only odd direct calls meet it),
 *     the same kernel is instantiated with a byte loader (guarded 1-byte
 *     loads, plain shared stores; the pipeline still works, synchronously).
 *  6. Registers: 64 accumulators + 16 A + 8 B fragment registers per lane;
 *     __launch_bounds__(256, 2) caps the kernel at 128 registers.
 *  7. Needs sm_80 (cp.async, mma.sync m16n8k32 s8).  On sm_90 this is the
 *     Ampere path: wgmma s8 would be the Hopper one (not written).
 */
#ifndef SB_KERNELS_GEMM_S8_IMMA_CUH
#define SB_KERNELS_GEMM_S8_IMMA_CUH

#include "gemm_s8.cuh"

#define IMMA_BM		128
#define IMMA_BN		128
#define IMMA_BK		64	/* bytes */
#define IMMA_NT		256
#define IMMA_WM		64
#define IMMA_WN		32
#define IMMA_STAGES	4
#define IMMA_PAD	16	/* bytes: note 2 */
#define IMMA_LD		(IMMA_BK + IMMA_PAD)
#define IMMA_TILE	(IMMA_BM * IMMA_LD)	/* bytes, A or B, one stage */

static_assert(IMMA_BM == IMMA_BN, "one tile geometry for A and B");
static_assert(IMMA_LD % 16 == 0, "rows of S must stay 16-byte aligned");
static_assert(IMMA_TILE % 128 == 0, "stages must stay 128-byte aligned");
static_assert(IMMA_BM * IMMA_BK / 16 % IMMA_NT == 0, "tile must split");

/*
 * Issue the copy of one tile: S (IMMA_BM × IMMA_LD bytes) ← rows r0.. and
 * k bytes k0.. of x (leading dimension ld), zero outside rlim × klim.
 * VEC: cp.async chunks (note 4); else guarded byte loads (note 5).
 */
template <bool VEC>
static __device__ __forceinline__ void
imma_load(int8_t *S, const int8_t *__restrict__ x, int64_t ld, int64_t r0,
    int64_t k0, int64_t rlim, int64_t klim, int tid)
{
#pragma unroll
	for (int s = 0; s < IMMA_BM * IMMA_BK / 16 / IMMA_NT; s++) {
		const int e = tid + s * IMMA_NT;
		const int r = e / (IMMA_BK / 16), c = e % (IMMA_BK / 16) * 16;
		const int64_t gr = r0 + r, gk = k0 + c;
		int8_t *d = S + r * IMMA_LD + c;

		if (VEC) {
			const int8_t *src = x;
			int bytes = 0;

			if (gr < rlim && gk < klim) {
				const int64_t left = klim - gk;

				src = x + gr * ld + gk;
				bytes = left >= 16 ? 16 : (int)left;
			}
			hgemm_cp_async16(d, src, bytes);
		} else {
#pragma unroll
			for (int q = 0; q < 16; q++)
				d[q] = gr < rlim && gk + q < klim ?
				    x[gr * ld + gk + q] : (int8_t)0;
		}
	}
}

template <typename TO, bool VEC>
__global__ void __launch_bounds__(IMMA_NT, 2)
gemm_s8_imma(igemm_params p)
{
	HGEMM_DYNAMIC_SMEM(smem);
	int8_t *const As = reinterpret_cast<int8_t *>(smem);
	int8_t *const Bs = reinterpret_cast<int8_t *>(smem +
	    IMMA_STAGES * IMMA_TILE);
	const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32;
	const int g = lane / 4, tg = lane % 4;
	const int wm = warp / (IMMA_BN / IMMA_WN) * IMMA_WM;
	const int wn = warp % (IMMA_BN / IMMA_WN) * IMMA_WN;
	const int64_t i0 = (int64_t)blockIdx.x * IMMA_BM;
	const int64_t j0 = (int64_t)blockIdx.y * IMMA_BN;
	const int64_t ktiles = gemm_cdiv(p.k, IMMA_BK);
	int32_t acc[4][4][4];	/* [m16][n8][fragment] */

	/*
	 * Where this lane points ldmatrix.x4 (note 1), in bytes into a
	 * stage, for k step 0 of the warp's first m16 (A) or n16 (B) block.
	 * A: matrices (rows 0-7, k 0-15), (8-15, 0-15), (0-7, 16-31), (8-15,
	 * 16-31) = a[0..3].  B: (n 0-7, k 0-15), (0-7, 16-31), (8-15, 0-15),
	 * (8-15, 16-31) = b[0], b[1] of n8 tile 0, then of tile 1.
	 */
	const int lr = lane % 8, lq = lane / 8;
	const int a_off = (wm + lr + (lq % 2) * 8) * IMMA_LD + (lq / 2) * 16;
	const int b_off = (wn + lr + (lq / 2) * 8) * IMMA_LD + (lq % 2) * 16;

#pragma unroll
	for (int i = 0; i < 4; i++)
#pragma unroll
		for (int j = 0; j < 4; j++)
#pragma unroll
			for (int f = 0; f < 4; f++)
				acc[i][j][f] = 0;

	/* stage s ← k tile t */
#define IMMA_ISSUE(s, t) do {						\
	const int64_t k0_ = (int64_t)(t) * IMMA_BK;			\
									\
	imma_load<VEC>(As + (s) * IMMA_TILE, p.a, p.lda, i0, k0_, p.m,	\
	    p.k, tid);							\
	imma_load<VEC>(Bs + (s) * IMMA_TILE, p.b, p.ldb, j0, k0_, p.n,	\
	    p.k, tid);							\
} while (0)

#pragma unroll
	for (int s = 0; s < IMMA_STAGES - 1; s++) {
		if (s < ktiles)
			IMMA_ISSUE(s, s);
		hgemm_cp_commit();
	}
	for (int64_t kt = 0; kt < ktiles; kt++) {
		const int stage = (int)(kt % IMMA_STAGES);
		const int8_t *sa = As + stage * IMMA_TILE + a_off;
		const int8_t *sb = Bs + stage * IMMA_TILE + b_off;

		hgemm_cp_wait<IMMA_STAGES - 2>();
		__syncthreads();
		if (kt + IMMA_STAGES - 1 < ktiles)
			IMMA_ISSUE((int)((kt + IMMA_STAGES - 1) % IMMA_STAGES),
			    kt + IMMA_STAGES - 1);
		hgemm_cp_commit();
#pragma unroll
		for (int ks = 0; ks < IMMA_BK / 32; ks++) {
			uint32_t af[4][4], bf[2][4];

#pragma unroll
			for (int i = 0; i < 4; i++)
				hgemm_ldmatrix<4, false>(af[i],
				    sa + i * 16 * IMMA_LD + ks * 32);
#pragma unroll
			for (int j = 0; j < 2; j++)
				hgemm_ldmatrix<4, false>(bf[j],
				    sb + j * 16 * IMMA_LD + ks * 32);
#pragma unroll
			for (int i = 0; i < 4; i++)
#pragma unroll
				for (int j = 0; j < 4; j++)
					igemm_mma_m16n8k32(acc[i][j], af[i],
					    &bf[j / 2][(j % 2) * 2]);
		}
	}
#undef IMMA_ISSUE
	hgemm_cp_wait<0>();	/* only empty groups are left */

	{
		const float sa = p.a_scale != NULL ? *p.a_scale : 0.0f;

		/* d0, d1: row g, columns 2t, 2t+1; d2, d3: row g + 8 */
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
						igemm_put_c<TO>(p, row, col,
						    sa, acc[i][j][h * 2]);
					if (col + 1 < p.n)
						igemm_put_c<TO>(p, row,
						    col + 1, sa,
						    acc[i][j][h * 2 + 1]);
				}
	}
}

/* Dynamic shared memory of the kernel (note 3). */
static inline size_t
gemm_s8_imma_smem(void)
{
	return (size_t)IMMA_STAGES * 2 * IMMA_TILE;
}

/* The launch of gemm_s8_imma for a call; 0, or -1 if it cannot cover it. */
static inline int
gemm_s8_imma_plan(enum sb_dtype out, const igemm_params *p,
    struct igemm_launch *l)
{
	static const char *const names[3][2] = IGEMM_NAMES("imma", "byte",
	    "cp16");
	const int vec = igemm_vec16_ok(p);
	const int64_t gx = gemm_cdiv(p->m, IMMA_BM);
	const int64_t gy = gemm_cdiv(p->n, IMMA_BN);

	if (out != SB_DT_S32 && out != SB_DT_F32 && out != SB_DT_F16)
		return -1;
	if (gx > GEMM_GRID_X_MAX || gy > GEMM_GRID_Y_MAX)
		return -1;
	l->kernel = vec ? IGEMM_BY_OUT(out, gemm_s8_imma, true) :
	    IGEMM_BY_OUT(out, gemm_s8_imma, false);
	l->grid = dim3((unsigned)gx, (unsigned)gy);
	l->block = dim3(IMMA_NT);
	l->smem_bytes = gemm_s8_imma_smem();
	l->name = names[igemm_out_index(out)][vec];
	return 0;
}

#endif
