/*
 * kernels/gemm_tile.cuh — operand access shared by the tiled GEMM kernels
 * (gemm_f32.cuh, gemm_tf32_mma.cuh): how a layout maps (row, reduction
 * index) to an address, and the loaders that bring a tile of an operand
 * from global into shared memory without a transpose pass.
 *
 * Both operands are seen as "outer × reduction": A as (i, p), B as (j, p).
 * An operand is K-contiguous when p is its contiguous index:
 *
 *   layout  A(i,p)            A K-contig   B(p,j)            B K-contig
 *   NT      a[i·lda + p]      yes          b[j·ldb + p]      yes
 *   TN      a[p·lda + i]      no           b[p·ldb + j]      no
 *   NN      a[i·lda + p]      yes          b[p·ldb + j]      no
 *
 * Shared-memory tiles are always S[p][outer] (the reduction index first), so
 * the compute loops read a row of S along the outer index whatever the
 * layout: a K-contiguous operand is transposed on its way into S (the
 * stores are strided; the padding PAD keeps them off one bank), the other is
 * copied straight.  Out-of-range elements load as 0, so the compute loops
 * run whole tiles and only the final stores are guarded: tails of any size
 * are correct.
 */
#ifndef SB_KERNELS_GEMM_TILE_CUH
#define SB_KERNELS_GEMM_TILE_CUH

#include "gemm_common.cuh"

template <int LAYOUT>
struct gemm_layout {
	static constexpr bool a_kcontig = LAYOUT != SB_TN;
	static constexpr bool b_kcontig = LAYOUT == SB_NT;
};

/* X(r, q): r the outer index, q the reduction index */
template <bool KCONTIG>
static __device__ __forceinline__ float
gemm_elem(const float *__restrict__ x, int64_t ld, int64_t r, int64_t q)
{
	return KCONTIG ? x[r * ld + q] : x[q * ld + r];
}

/*
 * Scalar tile loader: S[q][r] = X(r0 + r, q0 + q) for r < ROWS, q < KT, 0
 * outside (rlim, qlim); NT threads, thread tid.  Consecutive threads take
 * consecutive addresses of the contiguous index: coalesced either way.
 */
template <int ROWS, int KT, int PAD, int NT, bool KCONTIG>
static __device__ __forceinline__ void
gemm_load_scalar(float (*S)[ROWS + PAD], const float *__restrict__ x,
    int64_t ld, int64_t r0, int64_t q0, int64_t rlim, int64_t qlim, int tid)
{
	for (int e = tid; e < ROWS * KT; e += NT) {
		const int r = KCONTIG ? e / KT : e % ROWS;
		const int q = KCONTIG ? e % KT : e / ROWS;
		const int64_t gr = r0 + r, gq = q0 + q;

		S[q][r] = gr < rlim && gq < qlim ?
		    gemm_elem<KCONTIG>(x, ld, gr, gq) : 0.0f;
	}
}

/*
 * Four consecutive elements of row `row` of the stored matrix x, columns
 * col..col+3: one 16-byte load when VEC (the caller guarantees ld % 4 == 0,
 * x 16-byte aligned, col % 4 == 0) and all four are inside, else guarded
 * scalar loads; zeros outside.
 */
template <bool VEC>
static __device__ __forceinline__ float4
gemm_load4(const float *__restrict__ x, int64_t ld, int64_t row,
    int64_t col, int64_t rowlim, int64_t collim)
{
	float4 v = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
	const float *p = x + row * ld + col;

	if (row >= rowlim)
		return v;
	if (VEC && col + 3 < collim)
		return *reinterpret_cast<const float4 *>(p);
	if (col < collim)
		v.x = p[0];
	if (col + 1 < collim)
		v.y = p[1];
	if (col + 2 < collim)
		v.z = p[2];
	if (col + 3 < collim)
		v.w = p[3];
	return v;
}

/* Shared-memory stores of the stager: floats as they are, or TF32 bits. */
static __device__ __forceinline__ void
gemm_put(float &d, float f)
{
	d = f;
}

static __device__ __forceinline__ void
gemm_put(uint32_t &d, float f)
{
	d = sb_f32_to_tf32(f);
}

static __device__ __forceinline__ void
gemm_put4(float *d, float4 v)
{
	*reinterpret_cast<float4 *>(d) = v;
}

static __device__ __forceinline__ void
gemm_put4(uint32_t *d, float4 v)
{
	*reinterpret_cast<uint4 *>(d) = make_uint4(sb_f32_to_tf32(v.x),
	    sb_f32_to_tf32(v.y), sb_f32_to_tf32(v.z), sb_f32_to_tf32(v.w));
}

/*
 * Register-staged tile loader for the double-buffered kernels: load() reads
 * a ROWS×KT tile into registers in 4-element vectors along the contiguous
 * index (so the global reads of the next tile overlap the math on this
 * one), store() writes it into S[KT][ROWS + PAD]: floats as they are, or,
 * into a uint32_t tile, rounded to TF32 bits for the tensor-core kernel.
 */
template <int ROWS, int KT, int PAD, int NT, bool KCONTIG, bool VEC>
struct gemm_stager {
	static constexpr int NV = ROWS * KT / 4;	/* vectors per tile */
	static constexpr int PER = NV / NT;		/* per thread */
	static_assert(NV % NT == 0, "tile must split evenly into vectors");
	static_assert(KT % 4 == 0 && ROWS % 4 == 0, "tile sides must be x4");
	static_assert((ROWS + PAD) % 4 == 0, "rows of S must stay 16-byte aligned");

	float4	v[PER];

	__device__ __forceinline__ void
	load(const float *__restrict__ x, int64_t ld, int64_t r0, int64_t q0,
	    int64_t rlim, int64_t qlim, int tid)
	{
#pragma unroll
		for (int s = 0; s < PER; s++) {
			const int e = tid + s * NT;

			if (KCONTIG) {	/* stored rows are r, 4 q's each */
				const int r = e / (KT / 4), q = e % (KT / 4) * 4;

				v[s] = gemm_load4<VEC>(x, ld, r0 + r, q0 + q,
				    rlim, qlim);
			} else {	/* stored rows are q, 4 r's each */
				const int q = e / (ROWS / 4), r = e % (ROWS / 4) * 4;

				v[s] = gemm_load4<VEC>(x, ld, q0 + q, r0 + r,
				    qlim, rlim);
			}
		}
	}

	template <typename T>
	__device__ __forceinline__ void
	store(T (*S)[ROWS + PAD], int tid) const
	{
#pragma unroll
		for (int s = 0; s < PER; s++) {
			const int e = tid + s * NT;

			if (KCONTIG) {	/* transposed: four strided stores */
				const int r = e / (KT / 4), q = e % (KT / 4) * 4;

				gemm_put(S[q + 0][r], v[s].x);
				gemm_put(S[q + 1][r], v[s].y);
				gemm_put(S[q + 2][r], v[s].z);
				gemm_put(S[q + 3][r], v[s].w);
			} else {	/* straight: one 16-byte store */
				const int q = e / (ROWS / 4), r = e % (ROWS / 4) * 4;

				gemm_put4(&S[q][r], v[s]);
			}
		}
	}
};

#define GEMM_GRID_Y_MAX		65535
#define GEMM_GRID_X_MAX		2147483647LL

/* C[i,j] = acc (+ bias[j]) */
static __device__ __forceinline__ void
gemm_put_c(const gemm_params &p, int64_t i, int64_t j, float acc)
{
	p.c[i * p.ldc + j] = p.bias != NULL ? acc + p.bias[j] : acc;
}

/* Four outputs C[i, j..j+3], guarded; one 16-byte store when VEC. */
template <bool VEC>
static __device__ __forceinline__ void
gemm_put_c4(const gemm_params &p, int64_t i, int64_t j, float4 v)
{
	if (i >= p.m)
		return;
	if (p.bias != NULL) {
		for (int c = 0; c < 4; c++)
			if (j + c < p.n)
				(&v.x)[c] += p.bias[j + c];
	}
	if (VEC && j + 3 < p.n) {
		*reinterpret_cast<float4 *>(p.c + i * p.ldc + j) = v;
		return;
	}
	for (int c = 0; c < 4; c++)
		if (j + c < p.n)
			p.c[i * p.ldc + j + c] = (&v.x)[c];
}

/* 1 when 16-byte access is safe for every operand (vec, warptile, mma) */
static inline int
gemm_vec_ok(const gemm_params *p)
{
	return gemm_aligned16(p->a) && gemm_aligned16(p->b) &&
	    gemm_aligned16(p->c) && p->lda % 4 == 0 && p->ldb % 4 == 0 &&
	    p->ldc % 4 == 0;
}

/* A grid of (cdiv(m, bm), cdiv(n, bn)) tiles; -1 beyond the grid limits. */
static inline int
gemm_tile_grid(const gemm_params *p, int bm, int bn, dim3 *grid)
{
	const int64_t gx = gemm_cdiv(p->m, bm), gy = gemm_cdiv(p->n, bn);

	if (gx > GEMM_GRID_X_MAX || gy > GEMM_GRID_Y_MAX)
		return -1;
	*grid = dim3((unsigned)gx, (unsigned)gy);
	return 0;
}

/* kernel instance for a layout: T<SB_NT>, T<SB_TN>, T<SB_NN> */
#define GEMM_BY_LAYOUT(layout, K, ...)					\
	((layout) == SB_NT ? (gemm_kernel_fn)K<SB_NT, ##__VA_ARGS__> :	\
	 (layout) == SB_TN ? (gemm_kernel_fn)K<SB_TN, ##__VA_ARGS__> :	\
	 (gemm_kernel_fn)K<SB_NN, ##__VA_ARGS__>)

#endif
