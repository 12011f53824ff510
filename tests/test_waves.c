/*
 * tests/test_waves.c — wave quantisation (harness/waves.h) with the numbers
 * of real launches: H100 (132 SMs), A100 (108 SMs), grids that fill whole
 * waves, grids that spill one CTA into a new wave, and the launches that
 * cannot be described (no CTA fits, unknown SM count or occupancy).
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "testkit.h"
#include "waves.h"

static void	test_sliver(void);
static void	test_full(void);
static void	test_real(void);
static void	test_unknown(void);
static void	test_text(void);

/* 265 CTAs at 2 per SM on an H100: one full wave of 264 and a sliver. */
static void
test_sliver(void)
{
	struct sb_waves w;

	CHECK("waves-1.1: status ok",
	    sb_waves_compute(265, 132, 2, &w) == SB_WAVES_OK &&
	    w.status == SB_WAVES_OK);
	CHECK("waves-1.1: 264 slots", w.slots == 264);
	CHECK_NEAR("waves-1.2: 1.0038 waves", w.waves, 265.0 / 264, 1e-12);
	CHECK_NEAR("waves-1.2: 1.0038 to 4 places", w.waves, 1.0038, 5e-5);
	CHECK("waves-1.3: one full wave", w.full_waves == 1);
	CHECK("waves-1.3: a tail of 1 CTA", w.tail_ctas == 1);
	CHECK_NEAR("waves-1.4: tail utilisation 1/264", w.tail_util,
	    1.0 / 264, 1e-12);
	CHECK_NEAR("waves-1.5: efficiency 265/528 = 0.502", w.efficiency,
	    0.502, 5e-4);
	CHECK_NEAR("waves-1.5: efficiency exact", w.efficiency, 265.0 / 528,
	    1e-12);

	/* Fewer CTAs than slots: a single partial wave. */
	sb_waves_compute(100, 132, 2, &w);
	CHECK("waves-1.6: 100 of 264: no full wave, tail 100",
	    w.status == SB_WAVES_OK && w.full_waves == 0 &&
	    w.tail_ctas == 100);
	CHECK_NEAR("waves-1.6: waves = tail_util = efficiency", w.waves,
	    100.0 / 264, 1e-12);
	CHECK_NEAR("waves-1.6: tail_util", w.tail_util, 100.0 / 264, 1e-12);
	CHECK_NEAR("waves-1.6: efficiency", w.efficiency, 100.0 / 264, 1e-12);

	/* A single CTA. */
	sb_waves_compute(1, 132, 1, &w);
	CHECK("waves-1.7: one CTA: tail 1, no full wave",
	    w.full_waves == 0 && w.tail_ctas == 1);
	CHECK_NEAR("waves-1.7: efficiency 1/132", w.efficiency, 1.0 / 132,
	    1e-12);
}

/* A last wave that is full has tail utilisation 1.0, not 0. */
static void
test_full(void)
{
	struct sb_waves w;

	sb_waves_compute(264, 132, 2, &w);
	CHECK("waves-2.1: exactly one wave", w.status == SB_WAVES_OK &&
	    w.waves == 1.0 && w.full_waves == 1 && w.tail_ctas == 264);
	CHECK("waves-2.2: a full last wave is 100% used",
	    w.tail_util == 1.0 && w.efficiency == 1.0);
	sb_waves_compute(528, 132, 2, &w);
	CHECK("waves-2.3: two full waves", w.waves == 2.0 &&
	    w.full_waves == 2 && w.tail_ctas == 264 && w.tail_util == 1.0 &&
	    w.efficiency == 1.0);
	sb_waves_compute(527, 132, 2, &w);
	CHECK("waves-2.4: one short of two waves: tail 263",
	    w.full_waves == 1 && w.tail_ctas == 263);
	CHECK_NEAR("waves-2.4: efficiency 527/528", w.efficiency,
	    527.0 / 528, 1e-12);
}

/* Grids of real GEMM launches. */
static void
test_real(void)
{
	const unsigned g8192[3] = { 64, 64, 1 }, g_naive[3] = { 512, 512, 1 };
	const unsigned big[3] = { 2147483647u, 65535, 65535 };
	struct sb_waves w;

	/* 8192² with 128×128 tiles, one CTA per SM, H100: 4096 CTAs. */
	CHECK("waves-3.1: grid 64x64x1 is 4096 CTAs",
	    sb_grid_ctas(g8192) == 4096);
	sb_waves_compute(sb_grid_ctas(g8192), 132, 1, &w);
	CHECK("waves-3.2: 31 full waves and a tail of 4",
	    w.full_waves == 31 && w.tail_ctas == 4);
	CHECK_NEAR("waves-3.2: 31.03 waves", w.waves, 4096.0 / 132, 1e-12);
	CHECK_NEAR("waves-3.3: tail 4/132", w.tail_util, 4.0 / 132, 1e-12);
	CHECK_NEAR("waves-3.3: efficiency 4096/4224 = 0.970", w.efficiency,
	    4096.0 / (32 * 132), 1e-12);

	/* The same grid on an A100 (108 SMs), two CTAs per SM: 216 slots,
	 * 4096 = 18·216 + 208. */
	sb_waves_compute(4096, 108, 2, &w);
	CHECK("waves-3.4: A100: 18 full waves, tail 208",
	    w.slots == 216 && w.full_waves == 18 && w.tail_ctas == 208);
	CHECK_NEAR("waves-3.4: A100 efficiency 4096/(19·216)", w.efficiency,
	    4096.0 / (19 * 216), 1e-12);

	/* naive 16×16 threads per output tile at 8192²: 262144 CTAs, 8 per
	 * SM on an H100 (1056 slots): 248 full waves, 256 in the tail. */
	sb_waves_compute(sb_grid_ctas(g_naive), 132, 8, &w);
	CHECK("waves-3.5: 262144 CTAs: 248 full waves, tail 256",
	    w.full_waves == 248 && w.tail_ctas == 256);

	/* The largest grid CUDA allows is counted exactly in 64 bits. */
	CHECK("waves-3.6: the largest grid is counted exactly",
	    sb_grid_ctas(big) == (int64_t)2147483647 * 65535 * 65535);
	sb_waves_compute(sb_grid_ctas(big), 132, 1, &w);
	CHECK("waves-3.6: the largest grid: whole counts add up",
	    w.status == SB_WAVES_OK && w.full_waves * 132 + (w.tail_ctas ==
	    132 ? 0 : w.tail_ctas) == sb_grid_ctas(big) &&
	    w.tail_ctas >= 1 && w.tail_ctas <= 132);
}

/* What cannot be computed says why, and leaves no number behind. */
static void
test_unknown(void)
{
	struct sb_waves w;

	CHECK("waves-4.1: 0 CTAs per SM: cannot launch",
	    sb_waves_compute(265, 132, 0, &w) == SB_WAVES_NO_FIT);
	CHECK("waves-4.1: no numbers", isnan(w.waves) &&
	    isnan(w.tail_util) && isnan(w.efficiency) &&
	    w.full_waves == -1 && w.tail_ctas == -1 && w.slots == 0);
	CHECK("waves-4.2: 0 CTAs per SM with no SM count: still no fit",
	    sb_waves_compute(265, 0, 0, &w) == SB_WAVES_NO_FIT);
	CHECK("waves-4.3: SM count unknown",
	    sb_waves_compute(265, 0, 2, &w) == SB_WAVES_UNKNOWN &&
	    isnan(w.waves) && isnan(w.efficiency));
	CHECK("waves-4.3: negative SM count unknown",
	    sb_waves_compute(265, -1, 2, &w) == SB_WAVES_UNKNOWN);
	CHECK("waves-4.4: occupancy unknown (-1)",
	    sb_waves_compute(265, 132, -1, &w) == SB_WAVES_UNKNOWN &&
	    isnan(w.tail_util));
	CHECK("waves-4.5: negative CTAs unknown",
	    sb_waves_compute(-5, 132, 2, &w) == SB_WAVES_UNKNOWN);
	CHECK("waves-4.6: empty grid: 0 waves",
	    sb_waves_compute(0, 132, 2, &w) == SB_WAVES_EMPTY &&
	    w.waves == 0 && w.tail_ctas == 0 && isnan(w.efficiency));
}

static void
test_text(void)
{
	struct sb_waves w;
	char buf[256];

	sb_waves_compute(265, 132, 2, &w);
	sb_waves_describe(&w, buf, sizeof(buf));
	CHECK("waves-5.1: describe names waves, tail and efficiency",
	    strstr(buf, "1.00 waves of 264 CTAs (132 SMs x 2)") != NULL &&
	    strstr(buf, "tail 1/264 CTAs (0.4%)") != NULL &&
	    strstr(buf, "50.2% efficient") != NULL);
	CHECK("waves-5.2: the table cell",
	    strcmp(sb_waves_cell(&w, buf, sizeof(buf)), "1.004/0.4%") == 0);
	sb_waves_compute(265, 132, 0, &w);
	CHECK("waves-5.3: no fit says cannot launch",
	    strstr(sb_waves_describe(&w, buf, sizeof(buf)),
	    "cannot launch") != NULL &&
	    strcmp(sb_waves_cell(&w, buf, sizeof(buf)), "no-fit") == 0);
	sb_waves_compute(265, 0, 2, &w);
	CHECK("waves-5.4: unknown SM count says which",
	    strstr(sb_waves_describe(&w, buf, sizeof(buf)), "SM count") !=
	    NULL && strcmp(sb_waves_cell(&w, buf, sizeof(buf)), "-") == 0);
	sb_waves_compute(265, 132, -1, &w);
	CHECK("waves-5.5: unknown occupancy says which",
	    strstr(sb_waves_describe(&w, buf, sizeof(buf)), "occupancy") !=
	    NULL);
	/* A short buffer is cut, not overrun. */
	sb_waves_compute(265, 132, 2, &w);
	CHECK("waves-5.6: a short buffer is cut",
	    strlen(sb_waves_describe(&w, buf, 8)) == 7);
}

int
main(void)
{
	test_sliver();
	test_full();
	test_real();
	test_unknown();
	test_text();
	return check_summary("test_waves");
}
