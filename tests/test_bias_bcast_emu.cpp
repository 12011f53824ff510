/*
 * tests/test_bias_bcast_emu.cpp — the bias broadcast of the library half
 * GEMMs (kernels/gemm_bias_bcast.cuh) run in the CPU emulator: every entry
 * of C's m × n gets bias[j] in C's type (the same 16 bits, or widened to
 * float exactly), nothing outside it is written (C's row padding and a
 * guard after it keep their poison), for n below, at and above one block,
 * with m above the grid's row cap (the stride loop), packed and padded.
 */
#include "emu/cuda_emu.h"

#include "gemm_bias_bcast.cuh"

#include <string.h>

#include <vector>

#include "testkit.h"

#define POISON16	0x7e5au		/* a quiet f16 NaN that says "unset" */
#define POISON32	0x7fc05a5au
#define GUARD		300		/* elements after C */

struct bcase {
	int64_t	m, n, pad, max_y;
};

static uint16_t
bias_bits(int is_bf16, int64_t j)
{
	/* distinct finite values, some subnormal in f16, some negative */
	float v = (float)(j % 37 - 18) * (j % 5 == 0 ? 1.0f / 65536 : 0.25f);

	return is_bf16 ? __bfloat16_as_ushort(__float2bfloat16(v)) :
	    __half_as_ushort(__float2half(v));
}

static void
run(const struct bcase *bc, int is_bf16, int widen)
{
	const int64_t m = bc->m, n = bc->n, ldc = n + bc->pad;
	const size_t elems = (size_t)(m * ldc + GUARD);
	std::vector<uint16_t> bias((size_t)n), c16;
	std::vector<float> c32;
	uint32_t p32 = POISON32;
	float poison;
	dim3 grid, block;
	char name[160], err[256];
	int64_t bad = 0, outside = 0;
	int rc;

	memcpy(&poison, &p32, sizeof(poison));
	for (int64_t j = 0; j < n; j++)
		bias[(size_t)j] = bias_bits(is_bf16, j);
	if (widen)
		c32.assign(elems, poison);
	else
		c16.assign(elems, POISON16);
	snprintf(name, sizeof(name), "bcast %s->%s m=%lld n=%lld ldc=%lld "
	    "max_y=%lld", is_bf16 ? "bf16" : "f16", widen ? "f32" :
	    is_bf16 ? "bf16" : "f16", (long long)m, (long long)n,
	    (long long)ldc, (long long)bc->max_y);
	sb_bcast_grid(m, n, bc->max_y, &grid, &block);
	rc = sb_emu_launch(grid, block, [&] {
		if (widen)
			sb_bcast_widen(bias.data(), c32.data(), m, n, ldc,
			    is_bf16);
		else
			sb_bcast_same(bias.data(), c16.data(), m, n, ldc);
	}, NULL, NULL, err, sizeof(err));
	if (rc != 0) {
		printf("FAIL %s: emulator: %s\n", name, err);
		CHECK(name, 0);
		return;
	}
	for (size_t e = 0; e < elems; e++) {
		const int64_t i = (int64_t)e / ldc, j = (int64_t)e % ldc;
		const int inside = i < m && j < n;
		uint32_t bits;

		if (widen)
			memcpy(&bits, &c32[e], sizeof(bits));
		else
			bits = c16[e];
		if (!inside) {
			outside += widen ? bits != POISON32 : bits != POISON16;
			continue;
		}
		if (widen) {
			const uint16_t b = bias[(size_t)j];
			float want = is_bf16 ?
			    __bfloat162float(__ushort_as_bfloat16(b)) :
			    __half2float(__ushort_as_half(b));

			bad += !(c32[e] == want);
		} else
			bad += bits != bias[(size_t)j];
	}
	if (bad || outside)
		printf("FAIL %s: %lld wrong, %lld written outside C\n", name,
		    (long long)bad, (long long)outside);
	CHECK(name, bad == 0 && outside == 0);
}

int
main(void)
{
	static const struct bcase cases[] = {
		{ 1, 1, 0, SB_BCAST_MAX_Y },
		{ 7, 13, 3, SB_BCAST_MAX_Y },
		{ 5, 256, 0, SB_BCAST_MAX_Y },
		{ 9, 257, 5, SB_BCAST_MAX_Y },
		{ 40, 70, 1, 3 },		/* the row stride loop */
		{ 11, 600, 2, 4 },
	};

	for (size_t q = 0; q < sizeof(cases) / sizeof(cases[0]); q++)
		for (int is_bf16 = 0; is_bf16 <= 1; is_bf16++)
			for (int widen = 0; widen <= 1; widen++)
				run(&cases[q], is_bf16, widen);
	return check_summary("test_bias_bcast_emu");
}
