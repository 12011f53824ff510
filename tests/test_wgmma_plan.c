/*
 * tests/test_wgmma_plan.c — the host-side plan of the Hopper wgmma GEMM
 * (kernels/gemm_f16_wgmma.cuh), on the CPU with no GPU and no driver:
 *
 *   wgmma-1  when the call may take the wgmma path and why not
 *   wgmma-2  operand majorness per layout
 *   wgmma-3  tensor-map parameters per layout and operand
 *   wgmma-4  the 64-bit shared-memory descriptor's bit fields
 *   wgmma-5  the persistent tile order: a bijection, grouped, and the
 *            grid-strided walk visits every tile exactly once
 *   wgmma-6  the plan: tile width, stages, shared memory, grid
 *   wgmma-7  the data path in a model: TMA's 128-byte swizzled box writes
 *            (as the CUDA driver API documents them) followed by wgmma's
 *            reads through the descriptors (CUTLASS's canonical GMMA
 *            layouts), for every layout, operand, consumer, k step and
 *            tail tile, must give back exactly the global operand
 *            elements (zeros outside the matrix).  This checks that the
 *            plan's coordinates, box offsets, LBO, SBO and k steps agree
 *            with each other; that the hardware reads as the model says
 *            is what the first GPU run must confirm.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gemm_f16_wgmma.cuh"
#include "testkit.h"

static void
test_refuse(void)
{
	static uint16_t buf[64] __attribute__((aligned(16)));
	const void *a = buf, *b = buf + 8, *odd = buf + 1;

	CHECK("wgmma-1.1: cc 9.0, aligned f16 takes wgmma",
	    sb_wgmma_refuse(90, 0, SB_DT_F16, 127, 129, 65, a, 72, b, 136) ==
	    NULL);
	CHECK("wgmma-1.2: bf16 takes wgmma",
	    sb_wgmma_refuse(90, 0, SB_DT_BF16, 1, 1, 1, a, 8, b, 8) == NULL);
	CHECK("wgmma-1.3: sm_80 falls back",
	    sb_wgmma_refuse(80, 0, SB_DT_F16, 64, 64, 64, a, 64, b, 64) !=
	    NULL);
	CHECK("wgmma-1.4: sm_89 falls back",
	    sb_wgmma_refuse(89, 0, SB_DT_F16, 64, 64, 64, a, 64, b, 64) !=
	    NULL);
	CHECK("wgmma-1.5: sm_100 falls back (wgmma is sm_90a only)",
	    sb_wgmma_refuse(100, 0, SB_DT_F16, 64, 64, 64, a, 64, b, 64) !=
	    NULL);
	CHECK("wgmma-1.6: SB_WGMMA_FALLBACK forces the fallback",
	    sb_wgmma_refuse(90, 1, SB_DT_F16, 64, 64, 64, a, 64, b, 64) !=
	    NULL);
	CHECK("wgmma-1.7: a 2-byte-aligned A falls back",
	    sb_wgmma_refuse(90, 0, SB_DT_F16, 64, 64, 64, odd, 64, b, 64) !=
	    NULL);
	CHECK("wgmma-1.8: a 2-byte-aligned B falls back",
	    sb_wgmma_refuse(90, 0, SB_DT_F16, 64, 64, 64, a, 64, odd, 64) !=
	    NULL);
	CHECK("wgmma-1.9: lda 65 (130 B rows) falls back",
	    sb_wgmma_refuse(90, 0, SB_DT_F16, 64, 64, 65, a, 65, b, 72) !=
	    NULL);
	CHECK("wgmma-1.10: ldb 4 (8 B rows) falls back",
	    sb_wgmma_refuse(90, 0, SB_DT_F16, 4, 4, 4, a, 8, b, 4) != NULL);
	CHECK("wgmma-1.11: lda 8 (16 B rows) is enough",
	    sb_wgmma_refuse(90, 0, SB_DT_F16, 5, 3, 5, a, 8, b, 8) == NULL);
	CHECK("wgmma-1.12: f32 inputs are refused",
	    sb_wgmma_refuse(90, 0, SB_DT_F32, 8, 8, 8, a, 8, b, 8) != NULL);
	CHECK("wgmma-1.13: m beyond int32 tile coordinates falls back",
	    sb_wgmma_refuse(90, 0, SB_DT_F16, (int64_t)1 << 31, 8, 8, a, 8,
	    b, 8) != NULL);
	CHECK("wgmma-1.14: tile count beyond int falls back",
	    sb_wgmma_refuse(90, 0, SB_DT_F16, (int64_t)1 << 30,
	    (int64_t)1 << 30, 8, a, 8, b, (int64_t)1 << 30) != NULL);
	CHECK("wgmma-1.15: a leading dimension of 2^40 bytes falls back",
	    sb_wgmma_refuse(90, 0, SB_DT_F16, 8, 8, 8, a, (int64_t)1 << 39,
	    b, 8) != NULL);
	/* The reasons name their rule. */
	CHECK("wgmma-1.16: the cc reason names sm_90a",
	    strstr(sb_wgmma_refuse(80, 0, SB_DT_F16, 8, 8, 8, a, 8, b, 8),
	    "sm_90a") != NULL);
	CHECK("wgmma-1.17: the alignment reason names TMA",
	    strstr(sb_wgmma_refuse(90, 0, SB_DT_F16, 8, 8, 8, odd, 8, b, 8),
	    "TMA") != NULL);
}

static void
test_majorness(void)
{
	CHECK("wgmma-2.1: NT A is K-major",
	    !sb_wgmma_mn_major(SB_NT, SB_WGMMA_A));
	CHECK("wgmma-2.2: NT B is K-major",
	    !sb_wgmma_mn_major(SB_NT, SB_WGMMA_B));
	CHECK("wgmma-2.3: TN A is M-major",
	    sb_wgmma_mn_major(SB_TN, SB_WGMMA_A));
	CHECK("wgmma-2.4: TN B is N-major",
	    sb_wgmma_mn_major(SB_TN, SB_WGMMA_B));
	CHECK("wgmma-2.5: NN A is K-major",
	    !sb_wgmma_mn_major(SB_NN, SB_WGMMA_A));
	CHECK("wgmma-2.6: NN B is N-major",
	    sb_wgmma_mn_major(SB_NN, SB_WGMMA_B));
}

static void
test_tmap(void)
{
	struct sb_wgmma_tmap t;

	/* NT, A (m,k) with lda 72: dims {k, m}, one 64 x 128 box. */
	sb_wgmma_tmap_plan(SB_NT, SB_WGMMA_A, 127, 129, 65, 72, 128, &t);
	CHECK("wgmma-3.1: NT A dims {k, m}",
	    t.dims[0] == 65 && t.dims[1] == 127);
	CHECK("wgmma-3.2: NT A row stride lda x 2", t.stride_bytes == 144);
	CHECK("wgmma-3.3: NT A box {64, BM}, one per stage",
	    t.box[0] == 64 && t.box[1] == 128 && t.boxes == 1);
	/* NT, B (n,k): dims {k, n}, box {64, BN}. */
	sb_wgmma_tmap_plan(SB_NT, SB_WGMMA_B, 127, 129, 65, 65 + 7, 256, &t);
	CHECK("wgmma-3.4: NT B dims {k, n} box {64, BN}",
	    t.dims[0] == 65 && t.dims[1] == 129 && t.box[0] == 64 &&
	    t.box[1] == 256 && t.boxes == 1 && !t.mn_major);
	/* TN, A (k,m) with lda 136: dims {m, k}, BM/64 boxes of 64 x BK. */
	sb_wgmma_tmap_plan(SB_TN, SB_WGMMA_A, 127, 129, 65, 136, 128, &t);
	CHECK("wgmma-3.5: TN A dims {m, k}",
	    t.dims[0] == 127 && t.dims[1] == 65 && t.stride_bytes == 272);
	CHECK("wgmma-3.6: TN A two 64 x 64 boxes, 8192 B apart",
	    t.box[0] == 64 && t.box[1] == 64 && t.boxes == 2 &&
	    t.box_smem_bytes == 8192 && t.mn_major);
	/* TN and NN, B (k,n): dims {n, k}, BN/64 boxes. */
	sb_wgmma_tmap_plan(SB_TN, SB_WGMMA_B, 127, 129, 65, 136, 256, &t);
	CHECK("wgmma-3.7: TN B dims {n, k}, four boxes for BN 256",
	    t.dims[0] == 129 && t.dims[1] == 65 && t.boxes == 4 &&
	    t.box[1] == 64);
	sb_wgmma_tmap_plan(SB_NN, SB_WGMMA_B, 127, 129, 65, 136, 128, &t);
	CHECK("wgmma-3.8: NN B dims {n, k}, two boxes for BN 128",
	    t.dims[0] == 129 && t.dims[1] == 65 && t.boxes == 2);
	sb_wgmma_tmap_plan(SB_NN, SB_WGMMA_A, 127, 129, 65, 72, 128, &t);
	CHECK("wgmma-3.9: NN A is NT's A",
	    t.dims[0] == 65 && t.dims[1] == 127 && t.boxes == 1 &&
	    t.box[1] == 128);
	/* The box is one 128-byte swizzle row wide: TMA's limit for it. */
	CHECK("wgmma-3.10: box rows are 128 bytes", t.box[0] * 2 == 128);
}

static void
test_desc(void)
{
	uint64_t d = sb_wgmma_desc(0x1000, 8192, 1024);

	CHECK("wgmma-4.1: fields at bits 0, 16, 32 in 16-byte units, "
	    "128B swizzle at 62", d == 0x4000004002000100ull);
	d = sb_wgmma_desc(0x3fff0 + 32, 16, 1024);
	CHECK("wgmma-4.2: start address keeps 14 bits",
	    (d & 0x3fff) == ((0x3fff0u + 32) >> 4 & 0x3fff));
	CHECK("wgmma-4.3: base offset bits 49-51 are 0",
	    ((d >> 49) & 7) == 0);
	CHECK("wgmma-4.4: layout type is 1 (128B swizzle)", (d >> 62) == 1);
	CHECK("wgmma-4.5: LBO 16 is 1", ((d >> 16) & 0x3fff) == 1);
}

static void
test_tiles(void)
{
	static const int shapes[][2] = { { 1, 1 }, { 1, 7 }, { 7, 1 },
	    { 9, 13 }, { 17, 3 }, { 8, 8 }, { 33, 5 }, { 3, 33 },
	    { 16, 16 }, { 25, 31 } };
	static const int grids[] = { 1, 7, 132, 1000 };
	int ok_bij = 1, ok_walk = 1, ok_group = 1;

	for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
		int tm_n = shapes[s][0], tn_n = shapes[s][1];
		int tiles = tm_n * tn_n;
		unsigned char *seen = calloc((size_t)tiles, 1);

		for (int t = 0; t < tiles; t++) {
			int tm, tn;

			sb_wgmma_tile(t, tm_n, tn_n, &tm, &tn);
			if (tm < 0 || tm >= tm_n || tn < 0 || tn >= tn_n ||
			    seen[tm * tn_n + tn]++)
				ok_bij = 0;
			/* Grouped: tile t lies in the group t / (8 tn_n). */
			if (tm / SB_WGMMA_GROUP_M != t / (SB_WGMMA_GROUP_M *
			    tn_n))
				ok_group = 0;
		}
		for (size_t gi = 0; gi < sizeof(grids) / sizeof(grids[0]);
		    gi++) {
			int grid = grids[gi] < tiles ? grids[gi] : tiles;

			memset(seen, 0, (size_t)tiles);
			for (int cta = 0; cta < grid; cta++)
				for (int t = cta; t < tiles; t += grid) {
					int tm, tn;

					sb_wgmma_tile(t, tm_n, tn_n, &tm, &tn);
					if (tm < 0 || tm >= tm_n || tn < 0 ||
					    tn >= tn_n)
						ok_walk = 0;
					else
						seen[tm * tn_n + tn]++;
				}
			for (int i = 0; i < tiles; i++)
				if (seen[i] != 1)
					ok_walk = 0;
		}
		free(seen);
	}
	CHECK("wgmma-5.1: the tile order is a bijection on [0, tiles)",
	    ok_bij);
	CHECK("wgmma-5.2: tiles go in groups of GROUP_M tile rows", ok_group);
	CHECK("wgmma-5.3: the persistent walk visits each tile once, any grid",
	    ok_walk);
	{
		int tm, tn;

		/* Within a group, consecutive tiles walk down a column. */
		sb_wgmma_tile(1, 32, 32, &tm, &tn);
		CHECK("wgmma-5.4: tile 1 of 32x32 is (1, 0)",
		    tm == 1 && tn == 0);
		sb_wgmma_tile(8, 32, 32, &tm, &tn);
		CHECK("wgmma-5.5: tile 8 of 32x32 is (0, 1)",
		    tm == 0 && tn == 1);
		/* The last group is short (3 rows of 19): it still walks
		 * columns of its own height. */
		sb_wgmma_tile(16 * 5 + 4, 19, 5, &tm, &tn);
		CHECK("wgmma-5.6: short last group", tm == 17 && tn == 1);
	}
}

static void
test_plan(void)
{
	struct sb_wgmma_plan p;

	sb_wgmma_plan_make(SB_NT, 4096, 4096, 4096, 4096, 4096, 132, &p);
	CHECK("wgmma-6.1: 4096^3 takes BN 256, 4 stages",
	    p.bn == 256 && p.stages == 4);
	CHECK("wgmma-6.2: 4096^3 tiles 32 x 16, grid 132",
	    p.tiles_m == 32 && p.tiles_n == 16 && p.tiles == 512 &&
	    p.grid == 132 && p.k_blocks == 64);
	CHECK("wgmma-6.3: shared memory fits sm_90's 227 KiB",
	    p.smem_bytes <= SB_WGMMA_SMEM_MAX);
	CHECK("wgmma-6.4: the transaction count is both operands' boxes",
	    p.stage_tx_bytes == (uint32_t)(p.a.boxes * p.a.box[0] *
	    p.a.box[1] * 2 + p.b.boxes * p.b.box[0] * p.b.box[1] * 2));
	sb_wgmma_plan_make(SB_TN, 127, 129, 65, 136, 136, 132, &p);
	CHECK("wgmma-6.5: 127x129x65 takes BN 128, 6 stages, 1 x 2 tiles",
	    p.bn == 128 && p.stages == 6 && p.tiles_m == 1 &&
	    p.tiles_n == 2 && p.grid == 2 && p.k_blocks == 2);
	CHECK("wgmma-6.6: BN 128 fits too", p.smem_bytes <= SB_WGMMA_SMEM_MAX);
	CHECK("wgmma-6.7: TN tx count", p.stage_tx_bytes ==
	    (uint32_t)(p.a.boxes * 64 * 64 * 2 + p.b.boxes * 64 * 64 * 2));
	CHECK("wgmma-6.8: TN descriptors transpose both",
	    p.da.trans == 1 && p.db.trans == 1);
	sb_wgmma_plan_make(SB_NN, 1024, 1024, 1024, 1024, 1024, 132, &p);
	CHECK("wgmma-6.9: 1024^3 keeps SMs busy with BN 128 (64 tiles)",
	    p.bn == 128 && p.tiles == 64 && p.grid == 64);
	CHECK("wgmma-6.10: NN transposes B only",
	    p.da.trans == 0 && p.db.trans == 1);
	sb_wgmma_plan_make(SB_NT, 10, 3, 5, 8, 8, 132, &p);
	CHECK("wgmma-6.11: the tutorial's 10x3x5 is one tile",
	    p.tiles == 1 && p.grid == 1 && p.k_blocks == 1);
	/* The kernel table of gemm_f16_wgmma.cu is compiled for exactly
	 * these (BN, stages) pairs. */
	CHECK("wgmma-6.12: stages per BN match the compiled kernels",
	    (int)((192 * 1024) / sb_wgmma_stage_bytes(128)) == 6 &&
	    (int)((192 * 1024) / sb_wgmma_stage_bytes(256)) == 4);
}

/* ---- wgmma-7: the data path in a model --------------------------------- */

/* 128-byte swizzle of a byte offset from a 1024-aligned base: the 16-byte
 * chunk (bits 4-6) is XORed with the row within the 1024-byte atom (bits
 * 7-9), as CUTLASS's Swizzle<3,4,3> and the driver's SWIZZLE_128B say. */
static uint32_t
swz(uint32_t off)
{
	return off ^ (((off >> 7) & 7) << 4);
}

/* A global operand: rows x cols (cols contiguous) with leading dimension
 * ld; element (r, c) holds a distinct non-zero value. */
struct gmat {
	int		 rows, cols, ld;
	uint16_t	*v;
};

static uint16_t
gval(int r, int c)
{
	return (uint16_t)(1 + (r * 257 + c * 7) % 65000);
}

static void
gmat_make(struct gmat *g, int rows, int cols, int ld)
{
	g->rows = rows;
	g->cols = cols;
	g->ld = ld;
	g->v = calloc((size_t)rows * (size_t)ld, sizeof(uint16_t));
	for (int r = 0; r < rows; r++)
		for (int c = 0; c < cols; c++)
			g->v[(size_t)r * (size_t)ld + (size_t)c] = gval(r, c);
}

/* TMA: box at coordinates c[0] (contiguous), c[1] (rows) into smem at dst;
 * out-of-bounds elements are zero.  The tensor map's dims say what is in
 * bounds (not the leading dimension). */
static void
tma_box(uint8_t *smem, uint32_t dst, const struct sb_wgmma_tmap *t,
    const struct gmat *g, const int32_t c[2])
{
	for (uint32_t y = 0; y < t->box[1]; y++)
		for (uint32_t x = 0; x < t->box[0]; x++) {
			int64_t gx = c[0] + (int64_t)x, gy = c[1] + (int64_t)y;
			uint16_t v = 0;
			uint32_t o = swz(y * 128 + x * 2);

			if (gx < (int64_t)t->dims[0] && gy < (int64_t)t->dims[1])
				v = g->v[gy * (int64_t)(t->stride_bytes / 2) +
				    gx];
			memcpy(smem + dst + o, &v, 2);
		}
}

/* wgmma's read of element (i in M or N, kk in 0..15) through descriptor
 * d: CUTLASS's canonical 128B-swizzle layouts, offsets in bytes:
 *   K-major  ((8,m),(T,2k)):((8T,SBO),(1,T))
 *              -> (i%8)*128 + (i/8)*SBO + kk*2
 *   MN-major ((T,8,m),(8,k)):((1,T,LBO),(8T,SBO))
 *              -> (i%64)*2 + (i/64)*LBO + (kk%8)*128 + (kk/8)*SBO
 * then the swizzle on the address. */
static uint16_t
wgmma_read(const uint8_t *smem, uint64_t d, int mn_major, int i, int kk)
{
	uint32_t start = (uint32_t)(d & 0x3fff) << 4;
	uint32_t lbo = (uint32_t)((d >> 16) & 0x3fff) << 4;
	uint32_t sbo = (uint32_t)((d >> 32) & 0x3fff) << 4;
	uint32_t off;
	uint16_t v;

	if (mn_major)
		off = start + (uint32_t)(i % 64) * 2 + (uint32_t)(i / 64) *
		    lbo + (uint32_t)(kk % 8) * 128 + (uint32_t)(kk / 8) * sbo;
	else
		off = start + (uint32_t)(i % 8) * 128 + (uint32_t)(i / 8) *
		    sbo + (uint32_t)kk * 2;
	memcpy(&v, smem + swz(off), 2);
	return v;
}

/* Logical operand element: A is (m x k), B is (n x k) whatever the
 * storage; 0 outside. */
static uint16_t
logical(int mn_major, int i, int kk, int64_t rows, int64_t k)
{
	if (i >= rows || kk >= k)
		return 0;
	return mn_major ? gval(kk, i) : gval(i, kk);
}

/* Load one stage of operand op for tile row row0 and k-block kb as the
 * producer does, then read it back as each consumer's wgmma would. */
static int
check_stage(enum sb_wgmma_operand op,
    const struct sb_wgmma_plan *p, const struct gmat *g, int64_t rows,
    int64_t k, int row0, int kb)
{
	const struct sb_wgmma_tmap *t = op == SB_WGMMA_A ? &p->a : &p->b;
	const struct sb_wgmma_opdesc *od = op == SB_WGMMA_A ? &p->da : &p->db;
	int tile_rows = op == SB_WGMMA_A ? SB_WGMMA_BM : p->bn;
	uint32_t base = 3 * 1024;	/* a 1024-aligned stage */
	uint8_t *smem = calloc(64 * 1024, 1);
	int bad = 0;

	memset(smem, 0xee, 64 * 1024);
	for (int j = 0; j < t->boxes; j++) {
		int32_t c[2];

		sb_wgmma_box_coord(t->mn_major, row0, kb * SB_WGMMA_BK, j, c);
		tma_box(smem, base + (uint32_t)j * t->box_smem_bytes, t, g, c);
	}
	/* A: each consumer reads a 64-row slab; B: the whole tile. */
	for (int slab = 0; slab < (op == SB_WGMMA_A ? SB_WGMMA_CONSUMERS : 1);
	    slab++)
		for (int ks = 0; ks < SB_WGMMA_BK / 16; ks++) {
			uint32_t start = base + (uint32_t)slab *
			    od->slab_bytes + (uint32_t)ks * od->kstep_bytes;
			uint64_t d = sb_wgmma_desc(start, od->lbo, od->sbo);
			int n_i = op == SB_WGMMA_A ? 64 : tile_rows;

			for (int i = 0; i < n_i; i++)
				for (int kk = 0; kk < 16; kk++) {
					int gi = row0 + slab * 64 + i;
					int gk = kb * SB_WGMMA_BK + ks * 16 + kk;
					uint16_t want = logical(t->mn_major, gi,
					    gk, rows, k);

					if (wgmma_read(smem, d, t->mn_major,
					    i, kk) != want)
						bad++;
				}
		}
	free(smem);
	return bad;
}

static void
test_data_path(void)
{
	/* Odd sizes with padded leading dimensions (multiples of 8). */
	const int m = 200, n = 300, k = 100;
	static const enum sb_layout layouts[] = { SB_NT, SB_TN, SB_NN };
	static const char *names[] = { "NT", "TN", "NN" };

	for (int li = 0; li < 3; li++) {
		enum sb_layout L = layouts[li];
		struct gmat ga, gb;
		struct sb_wgmma_plan p;
		int bad_a = 0, bad_b = 0;
		char what[96];

		/* A stored (m,k) or (k,m); B stored (n,k) or (k,n). */
		if (L == SB_TN)
			gmat_make(&ga, k, m, m + 8);
		else
			gmat_make(&ga, m, k, k + 12);
		if (L == SB_NT)
			gmat_make(&gb, n, k, k + 4);
		else
			gmat_make(&gb, k, n, n + 4);
		for (int bn = 128; bn <= 256; bn *= 2) {
			/* Force the tile width: plan for a device with 1 SM
			 * (BN 256) or with many (BN 128 for these tiles). */
			sb_wgmma_plan_make(L, m, n, k, ga.ld, gb.ld,
			    bn == 256 ? 1 : 1000, &p);
			if (p.bn != bn) {
				CHECK("wgmma-7.0: the plan takes the BN asked",
				    0);
				continue;
			}
			for (int tm = 0; tm < p.tiles_m; tm++)
				for (int kb = 0; kb < p.k_blocks; kb++)
					bad_a += check_stage(SB_WGMMA_A,
					    &p, &ga, m, k, tm * SB_WGMMA_BM,
					    kb);
			for (int tn = 0; tn < p.tiles_n; tn++)
				for (int kb = 0; kb < p.k_blocks; kb++)
					bad_b += check_stage(SB_WGMMA_B,
					    &p, &gb, n, k, tn * p.bn, kb);
		}
		(void)snprintf(what, sizeof(what), "wgmma-7.%d: %s A read "
		    "back through TMA and descriptors", 2 * li + 1, names[li]);
		CHECK(what, bad_a == 0);
		if (bad_a != 0)
			fprintf(stderr, "  %d A elements wrong\n", bad_a);
		(void)snprintf(what, sizeof(what), "wgmma-7.%d: %s B read "
		    "back through TMA and descriptors", 2 * li + 2, names[li]);
		CHECK(what, bad_b == 0);
		if (bad_b != 0)
			fprintf(stderr, "  %d B elements wrong\n", bad_b);
		free(ga.v);
		free(gb.v);
	}
}

int
main(void)
{
	test_refuse();
	test_majorness();
	test_tmap();
	test_desc();
	test_tiles();
	test_plan();
	test_data_path();
	return check_summary("test_wgmma_plan");
}
