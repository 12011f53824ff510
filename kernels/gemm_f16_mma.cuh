/*
 * kernels/gemm_f16_mma.cuh — the hand-written half-precision GEMM on
 * mma.sync, device code and planner (launcher: gemm_f16_mma.cu).  Versions:
 *
 *   mma   128×128×32 CTA tiles, 8 warps as 2 (M) × 4 (N), 64×32 per warp
 *         = 4×4 mma.sync.m16n8k16 tiles, fp32 accumulators in registers
 *         (64 per lane); operands copied global → shared by cp.async (16
 *         bytes, .cg) through a 4-stage pipeline, shared → registers by
 *         ldmatrix.x4 (.trans for an operand whose contiguous index is not
 *         k); bias and the output rounding in the register epilogue
 *
 * Run it alone: stepbench gemm --kernels 'f16.mma,bf16.mma' --layouts nt,tn,nn
 * In the CPU emulator: SB_EMU_FILTER=mma build/x/tests/test_hgemm_emu
 *
 * Design notes:
 *  1. No transpose pass, no transposing stores.  Shared tiles keep each
 *     operand's global orientation: a K-contiguous operand (A in NT and NN,
 *     B in NT) as S[outer][BK], the other as S[BK][outer].  ldmatrix reads
 *     8×8 blocks along either: the plain form hands a lane its row of a
 *     K-contiguous block, which is the A ("row") and B ("col") fragment;
 *     .trans hands it a column of an outer-contiguous block, the same
 *     fragment.  So every copy is a straight 16-byte cp.async, and the
 *     layouts differ only in tile geometry and the ldmatrix flavour.
 *  2. Bank conflicts: the rows of S are padded by 8 halves (16 bytes).
 *     One ldmatrix phase reads 8 rows at one column: row pitches of 80
 *     bytes (S[outer][32 + 8]) or 272 bytes (S[32][128 + 8]) put those
 *     8 × 16 bytes on 8 distinct 16-byte bank groups.  Padding rather than
 *     an XOR swizzle keeps the addressing readable; it costs 1/5 or 1/17
 *     more shared memory.
 *  3. Pipeline: tile t goes into stage t % 4; the prologue issues tiles
 *     0..2, each iteration waits for its own tile (cp.async.wait_group 2:
 *     the two younger tiles stay in flight), synchronises (the tile is
 *     visible to all, and every warp has finished reading the stage about
 *     to be overwritten), issues tile t + 3, then computes.  Every
 *     iteration commits a group, empty or not, so the count stays exact.
 *     4 × (10 or 8.5 KiB) × 2 operands = 68–80 KiB of dynamic shared
 *     memory (cudaFuncSetAttribute in the launcher); two CTAs fit on an
 *     SM of A100 (164 KiB) and H100 (228 KiB).
 *  4. Tails: a 16-byte chunk that is partly outside the matrix copies only
 *     its inside elements (cp.async src-size) and zero-fills the rest; a
 *     chunk wholly outside copies 0 bytes.  So k, m and n need no multiple
 *     and nothing outside the operands is read.  Stores are guarded.
 *  5. Alignment: cp.async needs 16-byte aligned source chunks, i.e. both
 *     operands 16-byte aligned and lda, ldb multiples of 8.  When not, the
 *     same kernel is instantiated with a scalar loader (2-byte guarded
 *     loads, plain shared stores; the pipeline still works, synchronously).
 *  6. Registers: 64 accumulators + 16 A + 8 B fragment registers per lane;
 *     __launch_bounds__(256, 2) caps the kernel at 128 registers so that
 *     two CTAs (16 warps) share an SM.
 *  7. bf16 and fp16 share everything but the mma's type suffix.  Needs
 *     sm_80 (cp.async, bf16 mma, ldmatrix.trans of 16-bit types).
 */
#ifndef SB_KERNELS_GEMM_F16_MMA_CUH
#define SB_KERNELS_GEMM_F16_MMA_CUH

#include "gemm_f16.cuh"

#define HMMA_BM		128
#define HMMA_BN		128
#define HMMA_BK		32
#define HMMA_NT		256
#define HMMA_WM		64
#define HMMA_WN		32
#define HMMA_STAGES	4
#define HMMA_PAD	8	/* halves: note 2 */

/*
 * One operand's shared tile: OUTER rows of the operand (BM or BN) by BK,
 * stored S[OUTER][BK + PAD] when the operand is K-contiguous, else
 * S[BK][OUTER + PAD] (note 1).  R × C is the stored shape.
 */
template <int OUTER, bool KCONTIG>
struct hmma_tile {
	static constexpr int R = KCONTIG ? OUTER : HMMA_BK;
	static constexpr int C = KCONTIG ? HMMA_BK : OUTER;
	static constexpr int LD = C + HMMA_PAD;		/* halves */
	static constexpr int BYTES = R * LD * 2;
	static constexpr int CHUNKS = R * C / 8;	/* 16-byte chunks */
	static constexpr int PER = CHUNKS / HMMA_NT;	/* per thread */
	static_assert(CHUNKS % HMMA_NT == 0, "tile must split into chunks");
	static_assert(LD * 2 % 16 == 0, "rows of S must stay 16-byte aligned");
	static_assert(BYTES % 128 == 0, "stages must stay 128-byte aligned");
};

/*
 * Issue the copy of one tile: S (R × LD halves) ← stored rows r0.., columns
 * c0.. of x (leading dimension ld), zero outside rlim × clim.  VEC:
 * cp.async chunks (note 4); else guarded 2-byte loads (note 5).
 */
template <typename TILE, bool VEC>
static __device__ __forceinline__ void
hmma_load(uint16_t *S, const uint16_t *__restrict__ x, int64_t ld, int64_t r0,
    int64_t c0, int64_t rlim, int64_t clim, int tid)
{
#pragma unroll
	for (int s = 0; s < TILE::PER; s++) {
		const int e = tid + s * HMMA_NT;
		const int r = e / (TILE::C / 8), c = e % (TILE::C / 8) * 8;
		const int64_t gr = r0 + r, gc = c0 + c;
		uint16_t *d = S + r * TILE::LD + c;

		if (VEC) {
			const uint16_t *src = x;
			int bytes = 0;

			if (gr < rlim && gc < clim) {
				const int64_t left = clim - gc;

				src = x + gr * ld + gc;
				bytes = left >= 8 ? 16 : (int)left * 2;
			}
			hgemm_cp_async16(d, src, bytes);
		} else {
#pragma unroll
			for (int q = 0; q < 8; q++)
				d[q] = gr < rlim && gc + q < clim ?
				    x[gr * ld + gc + q] : (uint16_t)0;
		}
	}
}

template <typename TI, typename TO, int LAYOUT, bool VEC>
__global__ void __launch_bounds__(HMMA_NT, 2)
gemm_f16_mma(hgemm_params p)
{
	using L = gemm_layout<LAYOUT>;
	using TA = hmma_tile<HMMA_BM, L::a_kcontig>;
	using TB = hmma_tile<HMMA_BN, L::b_kcontig>;
	HGEMM_DYNAMIC_SMEM(smem);
	uint16_t *const As = reinterpret_cast<uint16_t *>(smem);
	uint16_t *const Bs = reinterpret_cast<uint16_t *>(smem +
	    HMMA_STAGES * TA::BYTES);
	const uint16_t *const a = static_cast<const uint16_t *>(p.a);
	const uint16_t *const b = static_cast<const uint16_t *>(p.b);
	const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32;
	const int g = lane / 4, tg = lane % 4;
	const int wm = warp / (HMMA_BN / HMMA_WN) * HMMA_WM;
	const int wn = warp % (HMMA_BN / HMMA_WN) * HMMA_WN;
	const int64_t i0 = (int64_t)blockIdx.x * HMMA_BM;
	const int64_t j0 = (int64_t)blockIdx.y * HMMA_BN;
	const int64_t ktiles = gemm_cdiv(p.k, HMMA_BK);
	float acc[4][4][4];	/* [m16][n8][fragment] */

	/*
	 * Where this lane points ldmatrix.x4 (note 1), as offsets in halves
	 * into a stage, for k step 0 of the warp's first m16 (A) or n16 (B)
	 * block.  A: matrices (rows 0-7, k 0-7), (8-15, 0-7), (0-7, 8-15),
	 * (8-15, 8-15) = a[0..3].  B: (n 0-7, k 0-7), (0-7, 8-15), (8-15,
	 * 0-7), (8-15, 8-15) = b[0], b[1] of n8 tile 0, then of tile 1.
	 */
	const int lr = lane % 8, lq = lane / 8;
	const int a_off = L::a_kcontig ?
	    (wm + lr + (lq % 2) * 8) * TA::LD + (lq / 2) * 8 :
	    (lr + (lq / 2) * 8) * TA::LD + wm + (lq % 2) * 8;
	const int b_off = L::b_kcontig ?
	    (wn + lr + (lq / 2) * 8) * TB::LD + (lq % 2) * 8 :
	    (lr + (lq % 2) * 8) * TB::LD + wn + (lq / 2) * 8;
	/* one step along the outer index of 16 (A) and of k by 16 */
	const int a_m16 = L::a_kcontig ? 16 * TA::LD : 16;
	const int a_k16 = L::a_kcontig ? 16 : 16 * TA::LD;
	const int b_n16 = L::b_kcontig ? 16 * TB::LD : 16;
	const int b_k16 = L::b_kcontig ? 16 : 16 * TB::LD;

#pragma unroll
	for (int i = 0; i < 4; i++)
#pragma unroll
		for (int j = 0; j < 4; j++)
#pragma unroll
			for (int f = 0; f < 4; f++)
				acc[i][j][f] = 0.0f;

	/* stage s ← k tile t */
#define HMMA_ISSUE(s, t) do {						\
	const int64_t k0_ = (int64_t)(t) * HMMA_BK;			\
	uint16_t *sa_ = As + (s) * (TA::BYTES / 2);			\
	uint16_t *sb_ = Bs + (s) * (TB::BYTES / 2);			\
									\
	if (L::a_kcontig)						\
		hmma_load<TA, VEC>(sa_, a, p.lda, i0, k0_, p.m, p.k, tid); \
	else								\
		hmma_load<TA, VEC>(sa_, a, p.lda, k0_, i0, p.k, p.m, tid); \
	if (L::b_kcontig)						\
		hmma_load<TB, VEC>(sb_, b, p.ldb, j0, k0_, p.n, p.k, tid); \
	else								\
		hmma_load<TB, VEC>(sb_, b, p.ldb, k0_, j0, p.k, p.n, tid); \
} while (0)

#pragma unroll
	for (int s = 0; s < HMMA_STAGES - 1; s++) {
		if (s < ktiles)
			HMMA_ISSUE(s, s);
		hgemm_cp_commit();
	}
	for (int64_t kt = 0; kt < ktiles; kt++) {
		const int stage = (int)(kt % HMMA_STAGES);
		const uint16_t *sa = As + stage * (TA::BYTES / 2) + a_off;
		const uint16_t *sb = Bs + stage * (TB::BYTES / 2) + b_off;

		hgemm_cp_wait<HMMA_STAGES - 2>();
		__syncthreads();
		if (kt + HMMA_STAGES - 1 < ktiles)
			HMMA_ISSUE((int)((kt + HMMA_STAGES - 1) % HMMA_STAGES),
			    kt + HMMA_STAGES - 1);
		hgemm_cp_commit();
#pragma unroll
		for (int ks = 0; ks < HMMA_BK / 16; ks++) {
			uint32_t af[4][4], bf[2][4];

#pragma unroll
			for (int i = 0; i < 4; i++)
				hgemm_ldmatrix<4, !L::a_kcontig>(af[i],
				    sa + i * a_m16 + ks * a_k16);
#pragma unroll
			for (int j = 0; j < 2; j++)
				hgemm_ldmatrix<4, !L::b_kcontig>(bf[j],
				    sb + j * b_n16 + ks * b_k16);
#pragma unroll
			for (int i = 0; i < 4; i++)
#pragma unroll
				for (int j = 0; j < 4; j++)
					hgemm_mma_m16n8k16<TI>(acc[i][j],
					    af[i], &bf[j / 2][(j % 2) * 2]);
		}
	}
#undef HMMA_ISSUE
	hgemm_cp_wait<0>();	/* only empty groups are left */

	/* d0, d1: row g, columns 2t, 2t+1; d2, d3: row g + 8 */
#pragma unroll
	for (int i = 0; i < 4; i++)
#pragma unroll
		for (int j = 0; j < 4; j++)
#pragma unroll
			for (int h = 0; h < 2; h++) {
				const int64_t row = i0 + wm + i * 16 + g +
				    h * 8;
				const int64_t col = j0 + wn + j * 8 + tg * 2;

				if (row >= p.m)
					continue;
				if (col < p.n)
					hgemm_put_c<TI, TO>(p, row, col,
					    acc[i][j][h * 2]);
				if (col + 1 < p.n)
					hgemm_put_c<TI, TO>(p, row, col + 1,
					    acc[i][j][h * 2 + 1]);
			}
}

/* Dynamic shared memory of the kernel for a layout (note 3). */
static inline size_t
gemm_f16_mma_smem(enum sb_layout layout)
{
	const int a_kc = layout != SB_TN, b_kc = layout == SB_NT;
	const size_t a = a_kc ? hmma_tile<HMMA_BM, true>::BYTES :
	    hmma_tile<HMMA_BM, false>::BYTES;
	const size_t b = b_kc ? hmma_tile<HMMA_BN, true>::BYTES :
	    hmma_tile<HMMA_BN, false>::BYTES;

	return HMMA_STAGES * (a + b);
}

/* The launch of gemm_f16_mma for a call; 0, or -1 if it cannot cover it. */
static inline int
gemm_f16_mma_plan(enum sb_layout layout, enum sb_dtype in, enum sb_dtype out,
    const hgemm_params *p, struct hgemm_launch *l)
{
	static const char *const names[2][2][SB_LAYOUT_COUNT][2] =
	    HGEMM_NAMES("mma", "scalar", "cp16");
	const int vec = hgemm_vec_ok(p);
	const int64_t gx = gemm_cdiv(p->m, HMMA_BM);
	const int64_t gy = gemm_cdiv(p->n, HMMA_BN);

	if ((unsigned)layout >= SB_LAYOUT_COUNT ||
	    (in != SB_DT_F16 && in != SB_DT_BF16) ||
	    (out != SB_DT_F32 && out != in))
		return -1;
	if (gx > GEMM_GRID_X_MAX || gy > GEMM_GRID_Y_MAX)
		return -1;
	l->kernel = vec ?
	    HGEMM_BY_TYPES(in, out, layout, gemm_f16_mma, true) :
	    HGEMM_BY_TYPES(in, out, layout, gemm_f16_mma, false);
	l->grid = dim3((unsigned)gx, (unsigned)gy);
	l->block = dim3(HMMA_NT);
	l->smem_bytes = gemm_f16_mma_smem(layout);
	l->name = names[in == SB_DT_BF16][out != SB_DT_F32][layout][vec];
	return 0;
}

#endif
