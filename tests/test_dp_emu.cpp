/*
 * tests/test_dp_emu.cpp — the data-parallel bucket's pack and unpack
 * kernels (kernels/dp_kernels.cuh) run on the CPU in the CUDA emulator
 * (tests/emu/), against the host transport's formula (harness/engine_dp.c:
 * sb_f32_to_f16(g · (1/world)), kernels/half.c):
 *
 *   dp-emu.1  pack f16/bf16 bit for bit at world 1, 2, 3 (a scale that is
 *             not a power of two), with ties, overflow, subnormals, -0,
 *             inf and NaN among random values; a grid smaller than the
 *             tensor (the grid-stride loop) and one larger.
 *   dp-emu.2  unpack widens exactly: every f16 bit pattern, and every
 *             bf16 one, back to float equals sb_f16_to_f32/sb_bf16_to_f32.
 */
#include "emu/cuda_emu.h"
#include "dp_kernels.cuh"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <vector>

#include "testkit.h"
extern "C" {	/* plain-C headers without their own guards */
#include "half.h"
}

static int
launch(dim3 grid, dim3 block, const std::function<void()> &body,
    const char *label)
{
	return sb_emu_run(grid, block, body, SB_EMU_FORWARD, 1, label);
}

static uint32_t rng_state = 777;

static float
urand(float lo, float hi)
{
	rng_state = rng_state * 1664525u + 1013904223u;
	return lo + (hi - lo) * (float)(rng_state >> 8) / 16777216.0f;
}

template <typename H>
static void
pack_case(enum sb_dtype dt, int world, unsigned blocks)
{
	const int64_t n = 3000;
	const float scale = 1.0f / (float)world;
	std::vector<float> src(n);
	std::vector<H> dst(n);
	char name[96];
	int bad = 0;

	snprintf(name, sizeof(name), "dp-emu.1 pack %s world %d grid %u",
	    sb_dtype_name(dt), world, blocks);
	for (int64_t i = 0; i < n; i++)
		src[i] = urand(-2, 2) * ldexpf(1, (int)(i % 50) - 30);
	const float edge[] = { 65504.0f, 65520.0f, 131040.0f, 1e30f, -1e30f,
	    0x1p-24f, 0x1p-25f, 0x1.8p-24f, 0x1p-134f, -0.0f, NAN, INFINITY,
	    -INFINITY, 1.0f + 0x1p-11f, 1.0f + 0x1p-8f, 3.0f + 0x3p-10f };
	for (size_t i = 0; i < sizeof(edge) / sizeof(edge[0]); i++)
		src[i] = edge[i];
	if (launch(dim3(blocks), dim3(DP_THREADS), [&] {
	    dp_pack_kernel<H>(src.data(), dst.data(), n, scale); }, name)) {
		CHECK(name, 0);
		return;
	}
	for (int64_t i = 0; i < n; i++) {
		float v = src[i] * scale;	/* as host_pack: one rounding */
		uint16_t want = dt == SB_DT_F16 ? sb_f32_to_f16(v) :
		    sb_f32_to_bf16(v);
		uint16_t got;

		memcpy(&got, (const void *)&dst[i], sizeof(got));
		if (got == want)
			continue;
		if (isnan(v) && isnan(dt == SB_DT_F16 ? sb_f16_to_f32(got) :
		    sb_bf16_to_f32(got)))
			continue;	/* any NaN is a NaN */
		if (bad++ < 3)
			printf("  %s: [%lld] %a -> 0x%04x, want 0x%04x\n", name,
			    (long long)i, v, got, want);
	}
	CHECK(name, bad == 0);
}

template <typename H>
static void
unpack_case(enum sb_dtype dt)
{
	const int64_t n = 65536;
	std::vector<H> src(n);
	std::vector<float> dst(n);
	char name[64];
	int bad = 0;

	snprintf(name, sizeof(name), "dp-emu.2 unpack %s, every pattern",
	    sb_dtype_name(dt));
	for (int64_t i = 0; i < n; i++) {
		uint16_t b = (uint16_t)i;

		memcpy((void *)&src[i], &b, sizeof(b));
	}
	if (launch(dim3(dp_blocks_for(n)), dim3(DP_THREADS), [&] {
	    dp_unpack_kernel<H>(src.data(), dst.data(), n); }, name)) {
		CHECK(name, 0);
		return;
	}
	for (int64_t i = 0; i < n; i++) {
		float want = dt == SB_DT_F16 ? sb_f16_to_f32((uint16_t)i) :
		    sb_bf16_to_f32((uint16_t)i);

		if (memcmp(&want, &dst[i], sizeof(float)) == 0 ||
		    (isnan(want) && isnan(dst[i])))
			continue;
		if (bad++ < 3)
			printf("  %s: 0x%04x -> %a, want %a\n", name,
			    (unsigned)i, dst[i], want);
	}
	CHECK(name, bad == 0);
}

int
main(void)
{
	for (int world = 1; world <= 3; world++) {
		pack_case<__half>(SB_DT_F16, world, 4);
		pack_case<__nv_bfloat16>(SB_DT_BF16, world, 4);
	}
	pack_case<__half>(SB_DT_F16, 2, dp_blocks_for(3000));
	pack_case<__nv_bfloat16>(SB_DT_BF16, 3, dp_blocks_for(3000));
	unpack_case<__half>(SB_DT_F16);
	unpack_case<__nv_bfloat16>(SB_DT_BF16);
	return check_summary("test_dp_emu");
}
