/*
 * tests/test_wgmma_emu.cpp — the Hopper wgmma GEMM's kernel
 * (kernels/gemm_f16_wgmma_kernel.cuh) run on the CPU in the CUDA emulator,
 * with the TMA, mbarrier and wgmma models of tests/emu/emu_hopper.cpp, and
 * checked against fp64.  What this covers: the producer/consumer protocol
 * (ring stages, phases across tiles, transaction counts, arrival counts:
 * a mistake deadlocks or trips the models' checks), the persistent walk
 * (grids smaller than the tile count), the tails in m, n and k, the
 * epilogue's fragment-to-(row, column) map, the bias, the single rounding
 * to fp32/f16/bf16 and the guarded stores.  What it cannot cover: whether
 * the hardware reads swizzled shared memory as the models say (the
 * descriptors' LBO/SBO, the trans bits) — tests/test_wgmma_gpu.c on an
 * H100/H200 decides that.
 *
 *   wgmma-emu-1  NT/TN/NN x f16/bf16 x fp32/same C x bias x shapes
 *                1x1x1 .. 200x300x100 with random data (rounded inputs,
 *                fp32-accumulation bound plus one output rounding)
 *   wgmma-emu-2  integer data: C exact
 *   wgmma-emu-3  BN 256 and BN 128 each on a persistent grid of 3-5 CTAs
 *                walking 6-9 tiles, k-blocks wrapping the ring mid-tile,
 *                under forward, reverse and shuffled thread schedules
 *
 * The models report a deadlock, an over-arrived mbarrier, a bad descriptor
 * or alignment, and a TMA write over a stage that an incomplete wgmma
 * still reads (a stage released too early) by aborting with the reason.
 *
 * Operands sit in NaN-padded rows (leading dimensions multiples of 8, as
 * TMA needs), so a read past the true extents turns C into NaN; C starts
 * as 0xff bytes and its padding must stay so.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vector>

#include "emu/cuda_emu.h"
#include "gemm_f16_wgmma_kernel.cuh"

static int pass_count, fail_count;

typedef void (*kernel_fn)(const CUtensorMap, const CUtensorMap,
    const struct wgmma_args);

/* The kernel table as the launcher has it: [BN 256][bf16][layout]. */
#define K(bn, st, bf, ta, tb)	hgemm_wgmma_kernel<bn, st, bf, ta, tb>
static const kernel_fn kernels[2][2][SB_LAYOUT_COUNT] = {
	{ { K(128, 6, 0, 0, 0), K(128, 6, 0, 1, 1), K(128, 6, 0, 0, 1) },
	  { K(128, 6, 1, 0, 0), K(128, 6, 1, 1, 1), K(128, 6, 1, 0, 1) } },
	{ { K(256, 4, 0, 0, 0), K(256, 4, 0, 1, 1), K(256, 4, 0, 0, 1) },
	  { K(256, 4, 1, 0, 0), K(256, 4, 1, 1, 1), K(256, 4, 1, 0, 1) } },
};
#undef K

static uint64_t rng_state = 0x5eed;

static uint64_t
rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint16_t
to_bits(int bf16, float x)
{
	if (bf16) {
		__nv_bfloat16_raw r = __float2bfloat16_rn(x);

		return r.x;
	}
	__half_raw r = __float2half_rn(x);

	return r.x;
}

static float
from_bits(int bf16, uint16_t b)
{
	if (bf16) {
		__nv_bfloat16_raw r;

		r.x = b;
		return __bfloat162float(__nv_bfloat16(r));
	}
	__half_raw r;

	r.x = b;
	return __half2float(__half(r));
}

/* A stored operand: rows x cols, leading dimension ld (a multiple of 8),
 * 16-byte aligned; NaN in the padding. */
struct op {
	int64_t			rows, cols, ld;
	std::vector<uint16_t>	bits;	/* over-allocated for alignment */
	uint16_t		*v;
	std::vector<float>	f;	/* the values as floats */
};

static void
op_make(struct op *o, int bf16, int64_t rows, int64_t cols, int integer)
{
	o->rows = rows;
	o->cols = cols;
	o->ld = (cols + 7) / 8 * 8 + 8;
	o->bits.assign((size_t)(rows * o->ld + 16), to_bits(bf16, NAN));
	o->v = o->bits.data();
	while (((uintptr_t)o->v & 15) != 0)
		o->v++;
	o->f.assign((size_t)(rows * cols), 0);
	for (int64_t r = 0; r < rows; r++)
		for (int64_t c = 0; c < cols; c++) {
			float x = integer ? (float)((int)(rng() % 9) - 4) :
			    (float)((double)(rng() >> 11) * 0x1p-53 * 2 - 1);
			uint16_t b = to_bits(bf16, x);

			o->v[r * o->ld + c] = b;
			o->f[(size_t)(r * cols + c)] = from_bits(bf16, b);
		}
}

static CUtensorMap
tmap_of(const struct op *o, const struct sb_wgmma_tmap *t)
{
	struct sb_emu_tmap e;
	CUtensorMap m;

	memset(&m, 0, sizeof(m));
	e.base = o->v;
	e.dims[0] = t->dims[0];
	e.dims[1] = t->dims[1];
	e.stride_bytes = t->stride_bytes;
	e.box[0] = t->box[0];
	e.box[1] = t->box[1];
	memcpy(&m, &e, sizeof(e));
	return m;
}

struct tcase {
	enum sb_layout	layout;
	int		bf16, out_f32, bias, integer;
	int64_t		m, n, k;
	int		sms;		/* the plan's SM count */
	int		want_bn;	/* 0: any */
	enum sb_emu_order order;	/* the threads' schedule */
};

static void
run(const struct tcase *tc)
{
	static const char *lname[] = { "nt", "tn", "nn" };
	const enum sb_layout L = tc->layout;
	const int64_t m = tc->m, n = tc->n, k = tc->k;
	const size_t osz = tc->out_f32 ? 4 : 2;
	const double u = ldexp(1.0, -24), u_out = tc->out_f32 ? 0 :
	    tc->bf16 ? ldexp(1.0, -8) : ldexp(1.0, -11);
	const double exact_max = tc->out_f32 ? 16777216 : tc->bf16 ? 256 :
	    2048;
	const int exact = tc->integer && 16.0 * (double)k + 4 <= exact_max;
	struct op a, b, bias;
	struct sb_wgmma_plan p;
	struct wgmma_args args;
	struct sb_emu_opts opts = { tc->order, 99, "wgmma-emu" };
	struct sb_emu_stats stats;
	std::vector<unsigned char> cbuf;
	unsigned char *c;
	int64_t ldc = n + 3, bad = 0, pad_bad = 0;
	CUtensorMap ma, mb;
	char name[160], err[512];
	int rc;

	(void)snprintf(name, sizeof(name), "wgmma-emu %s.%s.%s %lldx%lldx%lld"
	    "%s%s sms=%d %s", lname[L], tc->bf16 ? "bf16" : "f16",
	    tc->out_f32 ? "f32" : "same", (long long)m, (long long)n,
	    (long long)k, tc->bias ? " bias" : "", tc->integer ? " int" : "",
	    tc->sms, sb_emu_order_name(tc->order));
	/* A stored (m,k) or (k,m); B (n,k) or (k,n) */
	op_make(&a, tc->bf16, L == SB_TN ? k : m, L == SB_TN ? m : k,
	    tc->integer);
	op_make(&b, tc->bf16, L == SB_NT ? n : k, L == SB_NT ? k : n,
	    tc->integer);
	op_make(&bias, tc->bf16, 1, n, tc->integer);
	cbuf.assign((size_t)(m * ldc) * osz + 16, 0xff);
	c = cbuf.data();
	while (((uintptr_t)c & 15) != 0)
		c++;

	if (sb_wgmma_refuse(90, 0, tc->bf16 ? SB_DT_BF16 : SB_DT_F16, m, n, k,
	    a.v, a.ld, b.v, b.ld) != NULL) {
		fprintf(stderr, "FAIL %s: refused\n", name);
		fail_count++;
		return;
	}
	sb_wgmma_plan_make(L, m, n, k, a.ld, b.ld, tc->sms, &p);
	if (tc->want_bn != 0 && p.bn != tc->want_bn) {
		fprintf(stderr, "FAIL %s: planned BN %d, the case wants %d\n",
		    name, p.bn, tc->want_bn);
		fail_count++;
		return;
	}
	ma = tmap_of(&a, &p.a);
	mb = tmap_of(&b, &p.b);
	args = wgmma_args_make(&p, c, tc->bias ? bias.v : NULL, ldc, m, n,
	    tc->out_f32, osz);
	kernel_fn fn = kernels[p.bn == 256][tc->bf16][L];
	memset(&stats, 0, sizeof(stats));
	rc = sb_emu_launch_smem(dim3((unsigned)p.grid), dim3(SB_WGMMA_THREADS),
	    p.smem_bytes, [&] { fn(ma, mb, args); }, &opts, &stats, err,
	    sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "FAIL %s: emulator: %s\n", name, err);
		fail_count++;
		return;
	}
	for (int64_t i = 0; i < m; i++) {
		for (int64_t j = 0; j < ldc; j++) {
			unsigned char *e = c + (size_t)(i * ldc + j) * osz;
			double ref = 0, mag = 0, got;

			if (j >= n) {
				for (size_t q = 0; q < osz; q++)
					pad_bad += e[q] != 0xff;
				continue;
			}
			for (int64_t q = 0; q < k; q++) {
				double x = L == SB_TN ? a.f[(size_t)(q * m + i)] :
				    a.f[(size_t)(i * k + q)];
				double y = L == SB_NT ? b.f[(size_t)(j * k + q)] :
				    b.f[(size_t)(q * n + j)];

				ref += x * y;
				mag += fabs(x * y);
			}
			if (tc->bias) {
				ref += bias.f[(size_t)j];
				mag += fabs((double)bias.f[(size_t)j]);
			}
			if (tc->out_f32) {
				float g;

				memcpy(&g, e, 4);
				got = g;
			} else {
				uint16_t g;

				memcpy(&g, e, 2);
				got = from_bits(tc->bf16, g);
			}
			if (exact ? !(got == ref) : !(fabs(got - ref) <=
			    2.0 * (double)k * u * mag + u_out * fabs(ref) +
			    1e-30)) {
				if (bad++ == 0)
					fprintf(stderr, "%s: C[%lld,%lld] = "
					    "%.9g, want %.9g\n", name,
					    (long long)i, (long long)j, got,
					    ref);
			}
		}
	}
	if (bad != 0 || pad_bad != 0) {
		fprintf(stderr, "FAIL %s: %lld wrong, %lld padding bytes "
		    "written\n", name, (long long)bad, (long long)pad_bad);
		fail_count++;
		return;
	}
	pass_count++;
	printf("ok   %-60s BN %d grid %d tiles %d\n", name, p.bn, p.grid,
	    p.tiles);
}

int
main(void)
{
	static const int64_t shapes[][3] = {
		{ 1, 1, 1 }, { 7, 13, 5 }, { 127, 129, 65 }, { 200, 300, 100 },
	};
	struct tcase tc;

	memset(&tc, 0, sizeof(tc));
	tc.sms = 132;
	/* wgmma-emu-1: random data */
	for (int l = 0; l < SB_LAYOUT_COUNT; l++)
	for (int bf = 0; bf < 2; bf++)
	for (int of = 0; of < 2; of++)
	for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
		tc.layout = (enum sb_layout)l;
		tc.bf16 = bf;
		tc.out_f32 = of;
		tc.bias = (int)(s % 2) ^ of;
		tc.m = shapes[s][0];
		tc.n = shapes[s][1];
		tc.k = shapes[s][2];
		run(&tc);
	}
	/* wgmma-emu-2: integer data, exact */
	for (int l = 0; l < SB_LAYOUT_COUNT; l++)
	for (int bf = 0; bf < 2; bf++) {
		tc.layout = (enum sb_layout)l;
		tc.bf16 = bf;
		tc.out_f32 = 1;
		tc.bias = 1;
		tc.integer = 1;
		tc.m = 127;
		tc.n = 129;
		tc.k = 65;
		run(&tc);
	}
	tc.integer = 0;
	/* wgmma-emu-3: persistent grids, BN 256 (9 tiles on 3 CTAs, 2
	 * k-blocks against 4 stages) and BN 128 (6 tiles on 5 CTAs, 4
	 * k-blocks against 6 stages: the ring wraps inside a tile) */
	for (int l = 0; l < SB_LAYOUT_COUNT; l++)
	for (int ord = 0; ord < 3; ord++) {
		tc.order = (enum sb_emu_order)ord;
		tc.layout = (enum sb_layout)l;
		tc.bf16 = l == SB_TN;
		tc.out_f32 = l != SB_NN;
		tc.bias = 1;
		tc.m = 300;
		tc.n = 520;
		tc.k = 70;
		tc.sms = 3;
		tc.want_bn = 256;
		run(&tc);
		tc.m = 260;
		tc.n = 250;
		tc.k = 200;
		tc.sms = 5;
		tc.want_bn = 128;
		run(&tc);
	}
	printf("test_wgmma_emu: %d passed, %d failed\n", pass_count,
	    fail_count);
	return fail_count != 0;
}
