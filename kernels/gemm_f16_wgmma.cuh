/*
 * kernels/gemm_f16_wgmma.cuh — the host-side plan of the Hopper wgmma GEMM
 * (gemm_f16_wgmma.cu): when it may run, the TMA tensor maps it builds per
 * operand and layout, the shared-memory descriptors its wgmma instructions
 * read, and the persistent tile order.  Plain C (static inline, no CUDA
 * types) so that tests/test_wgmma_plan.c checks it on a machine with no GPU
 * and no driver; the kernel calls the same functions (SB_WGMMA_HD), so what
 * is tested is what runs.
 *
 * Design notes (the invariants the kernel relies on; each one is a line of
 * this file or of the kernel, and the numbered ones are unit-tested):
 *  1. Tiles: a CTA computes a BM x BN tile of C (BM 128, BN 256 or 128) in
 *     k-blocks of BK 64 elements.  64 f16/bf16 are 128 bytes: one TMA box
 *     row is exactly one 128-byte swizzle row, the widest a swizzled box
 *     may be.
 *  2. Operand majorness by layout (wgmma reads A as M x K, B as K x N):
 *       NT: A (m,k) K-major,  B (n,k) K-major   trans-a 0, trans-b 0
 *       TN: A (k,m) M-major,  B (k,n) N-major   trans-a 1, trans-b 1
 *       NN: A (m,k) K-major,  B (k,n) N-major   trans-a 0, trans-b 1
 *     wgmma transposes f16/bf16 operands itself, so no layout needs a
 *     transpose pass.
 *  3. Tensor maps (2-D, 128-byte swizzle, zero fill out of bounds):
 *       K-major:  dims {k, rows}, box {64, tile rows}: one box per stage;
 *                 smem: tile row r at r*128 bytes, 8-row atoms of 1024.
 *       MN-major: dims {rows, k}, box {64, BK}: tile/64 boxes per stage,
 *                 box j (MN columns 64j..64j+63) at j*BK*128 = j*8192 bytes.
 *     The dims are the true extents (not the leading dimension), so tails
 *     in m, n and k arrive as zeros and add nothing to the accumulators.
 *  4. Descriptors (128-byte swizzle; LBO and SBO as CUTLASS's canonical
 *     GMMA layouts define them):
 *       K-major:  SBO 1024 (8 rows of 128 B), LBO unused (16); the k-th
 *                 16-element step starts 32·k bytes further (inside the
 *                 swizzle row: the hardware swizzles by address bits).
 *       MN-major: SBO 1024 (8 k-rows of 128 B), LBO 8192 (next 64-wide
 *                 MN box); the k-th 16-element step starts 16·128·k =
 *                 2048·k bytes further.
 *     Every stage buffer starts 1024-aligned, so the base-offset field is 0.
 *  5. A consumer warpgroup w (0 or 1) owns A's rows 64w..64w+63: 8192 bytes
 *     further into A's stage in both majornesses.
 *  6. Tile order: tiles t = blockIdx.x, blockIdx.x + gridDim.x, ...; t maps
 *     to (tile row, tile column) in groups of SB_WGMMA_GROUP_M tile rows
 *     walked column by column, so a wave of CTAs shares A and B panels in
 *     L2.  The map is a bijection on [0, tiles) for any tile counts.
 *  7. TMA's rules decide between wgmma and the fallback: operand addresses
 *     16-byte aligned, leading dimension × 2 bytes a multiple of 16, and
 *     sizes whose tile coordinates fit int32.  C, the bias and ldc have no
 *     rule (guarded scalar or pair stores).
 */
#ifndef SB_KERNELS_GEMM_F16_WGMMA_CUH
#define SB_KERNELS_GEMM_F16_WGMMA_CUH

#include <stddef.h>
#include <stdint.h>

#include "dtype.h"
#include "layout.h"

#if defined(__CUDACC__)
#define SB_WGMMA_HD	__host__ __device__ __forceinline__
#else
#define SB_WGMMA_HD	inline
#endif

#define SB_WGMMA_BM		128
#define SB_WGMMA_BK		64
#define SB_WGMMA_BOX		64	/* elements in a 128-byte row */
#define SB_WGMMA_ROW_BYTES	128
#define SB_WGMMA_ATOM_BYTES	1024	/* 8 rows of the 128-byte swizzle */
#define SB_WGMMA_CONSUMERS	2	/* warpgroups doing the math */
#define SB_WGMMA_THREADS	(128 * (1 + SB_WGMMA_CONSUMERS))
#define SB_WGMMA_GROUP_M	8	/* tile rows per group (note 6) */
#define SB_WGMMA_SMEM_MAX	(227 * 1024)	/* opt-in limit on sm_90 */
/* Largest m, n or k: tile coordinates are int32 in the TMA instruction. */
#define SB_WGMMA_DIM_MAX	((int64_t)0x7fffffff - 512)
/* Largest leading dimension: TMA strides are below 2^40 bytes. */
#define SB_WGMMA_LD_MAX		(((int64_t)1 << 39) - 1)

enum sb_wgmma_operand { SB_WGMMA_A, SB_WGMMA_B };

/*
 * Why this call cannot take the wgmma path, or NULL when it can.  cc is the
 * device's compute capability x10; forced is non-zero when the user asked
 * for the fallback (SB_WGMMA_FALLBACK).  The strings name the rule.
 */
static SB_WGMMA_HD const char *
sb_wgmma_refuse(int cc, int forced, enum sb_dtype in, int64_t m, int64_t n,
    int64_t k, const void *a, int64_t lda, const void *b, int64_t ldb)
{
	if (forced)
		return "SB_WGMMA_FALLBACK is set";
	if (cc != 90)
		return "wgmma needs sm_90a (compute capability 9.0)";
	if (in != SB_DT_F16 && in != SB_DT_BF16)
		return "wgmma here takes f16 or bf16 inputs";
	if (m > SB_WGMMA_DIM_MAX || n > SB_WGMMA_DIM_MAX ||
	    k > SB_WGMMA_DIM_MAX)
		return "a size exceeds TMA's int32 coordinates";
	if (((m + SB_WGMMA_BM - 1) / SB_WGMMA_BM) * ((n + 127) / 128) >
	    (int64_t)0x7fffffff)
		return "the tile count exceeds int";
	if (((uintptr_t)a & 15) != 0 || ((uintptr_t)b & 15) != 0)
		return "an operand is not 16-byte aligned (TMA)";
	if ((lda * 2) % 16 != 0 || (ldb * 2) % 16 != 0)
		return "a leading dimension is not a multiple of 8 elements (TMA)";
	if (lda > SB_WGMMA_LD_MAX || ldb > SB_WGMMA_LD_MAX)
		return "a leading dimension exceeds TMA's 2^40-byte stride";
	return NULL;
}

/* 1 if the operand's contiguous dimension is M (A) or N (B) (note 2). */
static SB_WGMMA_HD int
sb_wgmma_mn_major(enum sb_layout layout, enum sb_wgmma_operand op)
{
	if (op == SB_WGMMA_A)
		return layout == SB_TN;
	return layout == SB_TN || layout == SB_NN;
}

/* One operand's TMA tensor map and how a stage is loaded (note 3). */
struct sb_wgmma_tmap {
	uint64_t	dims[2];	/* elements: contiguous, then rows */
	uint64_t	stride_bytes;	/* between rows: ld x 2 */
	uint32_t	box[2];		/* elements: contiguous, rows */
	int		boxes;		/* TMA loads per stage */
	uint32_t	box_smem_bytes;	/* smem distance between those boxes */
	int		mn_major;
};

/*
 * The tensor map of operand op of a call.  tile_rows is the tile's extent
 * in the operand's M or N (BM for A, BN for B); ld is its leading
 * dimension in elements.
 */
static SB_WGMMA_HD void
sb_wgmma_tmap_plan(enum sb_layout layout, enum sb_wgmma_operand op,
    int64_t m, int64_t n, int64_t k, int64_t ld, int tile_rows,
    struct sb_wgmma_tmap *t)
{
	int64_t rows = op == SB_WGMMA_A ? m : n;

	t->mn_major = sb_wgmma_mn_major(layout, op);
	t->stride_bytes = (uint64_t)ld * 2;
	t->box[0] = SB_WGMMA_BOX;
	if (t->mn_major) {
		t->dims[0] = (uint64_t)rows;
		t->dims[1] = (uint64_t)k;
		t->box[1] = SB_WGMMA_BK;
		t->boxes = tile_rows / SB_WGMMA_BOX;
		t->box_smem_bytes = SB_WGMMA_BK * SB_WGMMA_ROW_BYTES;
	} else {
		t->dims[0] = (uint64_t)k;
		t->dims[1] = (uint64_t)rows;
		t->box[1] = (uint32_t)tile_rows;
		t->boxes = 1;
		t->box_smem_bytes = 0;
	}
}

/*
 * The coordinates (elements: contiguous, row) of box j of the stage that
 * holds the tile starting at tile row row0 (in M or N) and k-block k0.
 */
static SB_WGMMA_HD void
sb_wgmma_box_coord(int mn_major, int row0, int k0, int j, int32_t c[2])
{
	if (mn_major) {
		c[0] = row0 + j * SB_WGMMA_BOX;
		c[1] = k0;
	} else {
		c[0] = k0;
		c[1] = row0;
	}
}

/* The shared-memory descriptor fields of one operand (note 4). */
struct sb_wgmma_opdesc {
	uint32_t	lbo, sbo;	/* bytes */
	uint32_t	kstep_bytes;	/* start offset per 16-element k step */
	uint32_t	slab_bytes;	/* start offset per 64 M rows (A) */
	int		trans;		/* wgmma's imm-trans-a / imm-trans-b */
};

static SB_WGMMA_HD void
sb_wgmma_opdesc_plan(int mn_major, struct sb_wgmma_opdesc *d)
{
	d->sbo = SB_WGMMA_ATOM_BYTES;
	d->trans = mn_major;
	d->slab_bytes = 64 * SB_WGMMA_ROW_BYTES;	/* note 5 */
	if (mn_major) {
		d->lbo = SB_WGMMA_BK * SB_WGMMA_ROW_BYTES;
		d->kstep_bytes = 16 * SB_WGMMA_ROW_BYTES;
	} else {
		d->lbo = 16;
		d->kstep_bytes = 16 * 2;
	}
}

/*
 * The 64-bit wgmma matrix descriptor: start address, LBO and SBO in 16-byte
 * units in bits 0-13, 16-29 and 32-45, base offset 0 (bits 49-51), layout
 * 1 = 128-byte swizzle in bits 62-63.  smem_addr is a shared-window address
 * (below 256 KiB).
 */
static SB_WGMMA_HD uint64_t
sb_wgmma_desc(uint32_t smem_addr, uint32_t lbo, uint32_t sbo)
{
	uint64_t d = 0;

	d |= (uint64_t)((smem_addr & 0x3ffff) >> 4);
	d |= (uint64_t)((lbo & 0x3ffff) >> 4) << 16;
	d |= (uint64_t)((sbo & 0x3ffff) >> 4) << 32;
	d |= (uint64_t)1 << 62;
	return d;
}

/* Tile t of the persistent walk -> (tile row tm, tile column tn) (note 6). */
static SB_WGMMA_HD void
sb_wgmma_tile(int t, int tiles_m, int tiles_n, int *tm, int *tn)
{
	int per_group = SB_WGMMA_GROUP_M * tiles_n;
	int group = t / per_group;
	int first_m = group * SB_WGMMA_GROUP_M;
	int rows = tiles_m - first_m < SB_WGMMA_GROUP_M ? tiles_m - first_m :
	    SB_WGMMA_GROUP_M;
	int in_group = t % per_group;

	*tm = first_m + in_group % rows;
	*tn = in_group / rows;
}

/* Everything the launcher needs to know about a call. */
struct sb_wgmma_plan {
	int			bn;		/* 128 or 256 */
	int			stages;		/* smem ring depth */
	int			tiles_m, tiles_n, tiles;
	int			k_blocks;
	int			grid;		/* persistent: <= SMs */
	size_t			smem_bytes;	/* dynamic, per CTA */
	uint32_t		stage_tx_bytes;	/* TMA bytes per stage */
	struct sb_wgmma_tmap	a, b;
	struct sb_wgmma_opdesc	da, db;
};

static SB_WGMMA_HD size_t
sb_wgmma_stage_bytes(int bn)
{
	return (size_t)(SB_WGMMA_BM + bn) * SB_WGMMA_BK * 2;
}

/* Dynamic shared memory: 1024 bytes of alignment slack, the ring, and a
 * full and an empty mbarrier per stage. */
static SB_WGMMA_HD size_t
sb_wgmma_smem_bytes(int bn, int stages)
{
	return SB_WGMMA_ATOM_BYTES + (size_t)stages * sb_wgmma_stage_bytes(bn) +
	    (size_t)stages * 2 * 8;
}

/*
 * Plan a call that sb_wgmma_refuse accepted, for a device with sms SMs:
 * BN 256 unless n fits in 128 or the 256-wide tiles would leave SMs idle;
 * as many stages as fit in 192 KiB.
 */
static inline void
sb_wgmma_plan_make(enum sb_layout layout, int64_t m, int64_t n, int64_t k,
    int64_t lda, int64_t ldb, int sms, struct sb_wgmma_plan *p)
{
	int64_t tiles256 = ((m + SB_WGMMA_BM - 1) / SB_WGMMA_BM) *
	    ((n + 255) / 256);

	p->bn = n <= 128 || tiles256 < sms ? 128 : 256;
	p->stages = (int)((192 * 1024) / sb_wgmma_stage_bytes(p->bn));
	p->tiles_m = (int)((m + SB_WGMMA_BM - 1) / SB_WGMMA_BM);
	p->tiles_n = (int)((n + p->bn - 1) / p->bn);
	p->tiles = p->tiles_m * p->tiles_n;
	p->k_blocks = (int)((k + SB_WGMMA_BK - 1) / SB_WGMMA_BK);
	p->grid = p->tiles < sms ? p->tiles : sms;
	p->smem_bytes = sb_wgmma_smem_bytes(p->bn, p->stages);
	/* TMA counts whole boxes, zero-filled parts included. */
	p->stage_tx_bytes = (uint32_t)sb_wgmma_stage_bytes(p->bn);
	sb_wgmma_tmap_plan(layout, SB_WGMMA_A, m, n, k, lda, SB_WGMMA_BM,
	    &p->a);
	sb_wgmma_tmap_plan(layout, SB_WGMMA_B, m, n, k, ldb, p->bn, &p->b);
	sb_wgmma_opdesc_plan(p->a.mn_major, &p->da);
	sb_wgmma_opdesc_plan(p->b.mn_major, &p->db);
}

#endif
