/*
 * tests/test_half.c — kernels/half.c against references written another
 * way: fp16/bf16 values decoded with ldexp, float values rounded to fp16 by
 * a binary search over the table of every finite fp16 and a comparison of
 * distances in double, to bf16 by nextafterf and distances in double.
 *
 *   half-1  every fp16 bit pattern: to float equals the ldexp decoding, and
 *           back gives the same bits (NaN: NaN, quiet, same sign)
 *   half-2  every bf16 bit pattern, likewise
 *   half-3  float -> fp16 at the boundaries (max finite, 65520, smallest
 *           subnormal and normal, ties, NaN, inf, -0)
 *   half-4  float -> fp16 over a dense sweep: every float whose exponent is
 *           in fp16's range (2^-26 .. 2^16), stepped, both signs, and every
 *           fp16 rounding point's neighbourhood (the tie and its neighbours)
 *   half-5  float -> bf16 at the boundaries and over a stepped sweep of all
 *           float bit patterns, with ties everywhere
 *   half-6  sb_round_to and the array conversions, every dtype
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "testkit.h"
#include "half.h"

static uint32_t
fbits(float f)
{
	uint32_t u;

	memcpy(&u, &f, sizeof(u));
	return u;
}

static float
bitsf(uint32_t u)
{
	float f;

	memcpy(&f, &u, sizeof(f));
	return f;
}

/* ---- references --------------------------------------------------------- */

/* The value of a finite fp16 pattern, from the format's definition. */
static double
f16_value(uint16_t h)
{
	int e = (h >> 10) & 0x1f, m = h & 0x3ff;
	double v = e == 0 ? ldexp(m, -24) : ldexp(1024 + m, e - 25);

	return (h & 0x8000) ? -v : v;
}

static double f16_table[0x7c00];	/* every finite non-negative fp16 */

static void
f16_table_init(void)
{
	for (int i = 0; i < 0x7c00; i++)
		f16_table[i] = f16_value((uint16_t)i);
}

/* Nearest fp16 to v by search: the largest table entry <= |v| and the next
 * one, the nearer wins, a tie goes to the even pattern.  Past the largest
 * finite value the next one is 2^16 (what the exponent would be), which
 * is how IEEE defines overflow of round-to-nearest. */
static uint16_t
ref_f32_to_f16(float f)
{
	double a = fabs((double)f);
	uint16_t sign = signbit(f) ? 0x8000 : 0;
	int lo = 0, hi = 0x7bff;

	if (isnan(f))
		return 0x7e00;		/* compared as "some quiet NaN" */
	if (isinf(f))
		return sign | 0x7c00;
	while (lo < hi) {		/* largest index with table <= a */
		int mid = (lo + hi + 1) / 2;

		if (f16_table[mid] <= a)
			lo = mid;
		else
			hi = mid - 1;
	}
	if (f16_table[lo] == a)
		return sign | (uint16_t)lo;
	double below = f16_table[lo];
	double above = lo == 0x7bff ? 65536.0 : f16_table[lo + 1];
	double dlo = a - below, dhi = above - a;
	int pick = dlo < dhi ? lo : dhi < dlo ? lo + 1 :
	    (lo % 2 == 0 ? lo : lo + 1);

	return sign | (uint16_t)(pick > 0x7bff ? 0x7c00 : pick);
}

/* The value of a bf16 pattern: a float whose low 16 bits are zero. */
static double
bf16_value(uint16_t h)
{
	int e = (h >> 7) & 0xff, m = h & 0x7f;
	double v = e == 0 ? ldexp(m, -133) : ldexp(128 + m, e - 134);

	return (h & 0x8000) ? -v : v;
}

/* Nearest bf16 to f: truncation gives the bf16 below |f| (or equal); the
 * one above is nextafterf of the truncation past its 2^16 float ulps,
 * which nextafterf reaches by stepping 65536 floats up.  Distances are
 * exact in double. */
static uint16_t
ref_f32_to_bf16(float f)
{
	if (isnan(f))
		return 0x7fc0;
	if (isinf(f))
		return signbit(f) ? 0xff80 : 0x7f80;
	uint32_t u = fbits(fabsf(f));
	uint16_t down = (uint16_t)(u >> 16);
	double a = fabs((double)f), below = bf16_value(down), above;

	if (a == below)
		return (uint16_t)((fbits(f) >> 16) & 0x8000) | down;
	if (down == 0x7f7f)		/* above the largest finite */
		above = ldexp(1, 128);
	else
		above = bf16_value((uint16_t)(down + 1));
	double dlo = a - below, dhi = above - a;
	uint16_t pick = dlo < dhi ? down : dhi < dlo ? down + 1 :
	    (down % 2 == 0 ? down : down + 1);

	return (uint16_t)((fbits(f) >> 16) & 0x8000) | pick;
}

/* ---- helpers -------------------------------------------------------------- */

static int
f16_is_nan(uint16_t h)
{
	return (h & 0x7c00) == 0x7c00 && (h & 0x3ff) != 0;
}

/* got matches want: equal bits, or both NaN, got quiet, same sign */
static int
f16_same(uint16_t got, uint16_t want, float in)
{
	if (isnan(in))
		return f16_is_nan(got) && (got & 0x200) &&
		    (got & 0x8000) == (signbit(in) ? 0x8000 : 0);
	return got == want;
}

static long f16_bad;

static void
f16_one(const char *name, float f)
{
	uint16_t got = sb_f32_to_f16(f), want = ref_f32_to_f16(f);

	if (!f16_same(got, want, f)) {
		if (f16_bad++ < 10)
			fprintf(stderr, "%s: %a (0x%08x) -> 0x%04x, want 0x%04x\n",
			    name, (double)f, fbits(f), got, want);
		CHECK(name, 0);
	} else
		CHECK(name, 1);
}

static long bf16_bad;

static void
bf16_one(const char *name, float f)
{
	uint16_t got = sb_f32_to_bf16(f), want = ref_f32_to_bf16(f);
	int ok;

	if (isnan(f))
		ok = (got & 0x7f80) == 0x7f80 && (got & 0x40) &&
		    !!(got & 0x8000) == !!signbit(f);
	else
		ok = got == want;
	if (!ok && bf16_bad++ < 10)
		fprintf(stderr, "%s: %a (0x%08x) -> 0x%04x, want 0x%04x\n",
		    name, (double)f, fbits(f), got, want);
	CHECK(name, ok);
}

/* ---- cases ---------------------------------------------------------------- */

static void
half_1_f16_patterns(void)
{
	int bad = 0;

	for (uint32_t i = 0; i < 0x10000; i++) {
		uint16_t h = (uint16_t)i;
		float f = sb_f16_to_f32(h);
		int ok;

		if (f16_is_nan(h)) {
			uint16_t back = sb_f32_to_f16(f);

			ok = isnan(f) && (fbits(f) & 0x400000) &&
			    !!signbit(f) == !!(h & 0x8000) &&
			    f16_is_nan(back) && (back & 0x200) &&
			    (back & 0x8000) == (h & 0x8000) &&
			    /* a quiet NaN's payload survives */
			    (!(h & 0x200) || back == h);
		} else {
			double v = (h & 0x7c00) == 0x7c00 ?
			    ((h & 0x8000) ? -INFINITY : INFINITY) :
			    f16_value(h);

			ok = (double)f == v && !!signbit(f) == !!(h & 0x8000) &&
			    sb_f32_to_f16(f) == h;
		}
		if (!ok && bad++ < 10)
			fprintf(stderr, "half-1: 0x%04x -> %a -> 0x%04x\n", h,
			    (double)f, sb_f32_to_f16(f));
		CHECK("half-1: fp16 pattern round-trips through float", ok);
	}
}

static void
half_2_bf16_patterns(void)
{
	int bad = 0;

	for (uint32_t i = 0; i < 0x10000; i++) {
		uint16_t h = (uint16_t)i;
		float f = sb_bf16_to_f32(h);
		int isnanh = (h & 0x7f80) == 0x7f80 && (h & 0x7f) != 0;
		int ok;

		if (isnanh) {
			uint16_t back = sb_f32_to_bf16(f);

			ok = isnan(f) && (back & 0x40) &&
			    (back & 0x7f80) == 0x7f80 &&
			    (back & 0x8000) == (h & 0x8000) &&
			    (!(h & 0x40) || back == h);
		} else {
			double v = (h & 0x7f80) == 0x7f80 ?
			    ((h & 0x8000) ? -INFINITY : INFINITY) :
			    bf16_value(h);

			ok = (double)f == v && !!signbit(f) == !!(h & 0x8000) &&
			    sb_f32_to_bf16(f) == h;
		}
		if (!ok && bad++ < 10)
			fprintf(stderr, "half-2: 0x%04x -> %a -> 0x%04x\n", h,
			    (double)f, sb_f32_to_bf16(f));
		CHECK("half-2: bf16 pattern round-trips through float", ok);
	}
}

static void
half_3_f16_boundaries(void)
{
	/* named boundaries, with the expected bits written out by hand */
	static const struct {
		float		in;
		uint16_t	out;
	} fixed[] = {
		{ 0.0f, 0x0000 },
		{ -0.0f, 0x8000 },
		{ 1.0f, 0x3c00 },
		{ -2.0f, 0xc000 },
		{ 65504.0f, 0x7bff },		/* max finite */
		{ 65519.996f, 0x7bff },		/* just below the threshold */
		{ 65520.0f, 0x7c00 },		/* the tie goes to "even" inf */
		{ -65520.0f, 0xfc00 },
		{ 1e9f, 0x7c00 },
		{ FLT_MAX, 0x7c00 },
		{ INFINITY, 0x7c00 },
		{ -INFINITY, 0xfc00 },
		{ 0x1p-24f, 0x0001 },		/* smallest subnormal */
		{ 0x1p-25f, 0x0000 },		/* tie with 0: even is 0 */
		{ -0x1p-25f, 0x8000 },
		{ 0x1.000002p-25f, 0x0001 },	/* just above the tie */
		{ 0x1.8p-24f, 0x0002 },		/* 1.5 ulp: tie, to even 2 */
		{ 0x1.4p-23f, 0x0002 },		/* 2.5 ulp: tie, to even 2 */
		{ 0x1.cp-23f, 0x0004 },		/* 3.5 ulp: tie, to even 4 */
		{ 0x1p-14f, 0x0400 },		/* smallest normal */
		{ 0x1.ff8p-15f, 0x03ff },	/* largest subnormal */
		{ 0x1.ff0p-15f, 0x03fe },
		{ 0x1.ffcp-15f, 0x0400 },	/* 1023.5 ulp: tie, up to even */
		{ 0x1.ffap-15f, 0x03ff },	/* 1023.25 ulp */
		{ 1.0f + 0x1p-11f, 0x3c00 },	/* tie below: even 1.0 */
		{ 1.0f + 0x1.8p-10f, 0x3c02 },	/* tie above odd: up */
		{ 2049.0f, 0x6800 },		/* 2048 + half ulp: even */
		{ 2051.0f, 0x6802 },		/* 2050 + half ulp: to 2052 */
		{ 0x1p-149f, 0x0000 },		/* float's smallest subnormal */
	};

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		uint16_t got = sb_f32_to_f16(fixed[i].in);

		if (got != fixed[i].out)
			fprintf(stderr, "half-3: %a -> 0x%04x, want 0x%04x\n",
			    (double)fixed[i].in, got, fixed[i].out);
		CHECK("half-3: fp16 boundary value", got == fixed[i].out);
		/* the reference agrees with the hand-written table too */
		CHECK("half-3: reference agrees at the boundary",
		    ref_f32_to_f16(fixed[i].in) == fixed[i].out);
	}
	/* 65520's neighbours by nextafterf */
	CHECK("half-3: nextafter below 65520 is finite",
	    sb_f32_to_f16(nextafterf(65520.0f, 0)) == 0x7bff);
	CHECK("half-3: nextafter above 65520 is inf",
	    sb_f32_to_f16(nextafterf(65520.0f, INFINITY)) == 0x7c00);
	/* NaNs: quiet, sign kept, whatever the payload */
	uint32_t nans[] = { 0x7fc00000, 0xffc00000, 0x7f800001, 0xff800001,
	    0x7fbfffff, 0x7fffffff, 0x7f802000 };
	for (size_t i = 0; i < sizeof(nans) / sizeof(nans[0]); i++) {
		uint16_t h = sb_f32_to_f16(bitsf(nans[i]));

		CHECK("half-3: NaN stays a quiet NaN with its sign",
		    f16_is_nan(h) && (h & 0x200) &&
		    !!(h & 0x8000) == !!(nans[i] & 0x80000000u));
	}
}

static void
half_4_f16_sweep(void)
{
	/* every float from 2^-26 to 2^16 (exponents 101..142), stepped by
	 * a prime so the low bits take every residue, both signs */
	for (uint32_t u = 101u << 23; u < 143u << 23; u += 31) {
		f16_one("half-4: stepped sweep", bitsf(u));
		f16_one("half-4: stepped sweep", -bitsf(u));
	}
	/* each fp16 value's rounding neighbourhood: for every float exponent
	 * of the fp16 range and every fp16 mantissa position, the float
	 * bits just below, at and just above the tie, and at the value */
	for (uint32_t e = 101; e < 143; e++) {
		/* float bits below the fp16 ulp: 13 for normals, more below */
		int drop = e >= 113 ? 13 : (int)(126 - e) + 0;
		uint32_t ulp = drop > 23 ? (1u << 23) : (1u << drop);

		for (uint32_t k = 0; k < (1u << 23); k += ulp) {
			uint32_t base = (e << 23) | k;
			uint32_t tie = base + ulp / 2;
			uint32_t cand[] = { base, base + 1, tie - 1, tie,
			    tie + 1, base + ulp - 1 };

			for (size_t i = 0; i < sizeof(cand) / sizeof(cand[0]);
			    i++) {
				f16_one("half-4: tie neighbourhood",
				    bitsf(cand[i]));
				f16_one("half-4: tie neighbourhood",
				    -bitsf(cand[i]));
			}
		}
	}
	/* below the range: all become ±0 (a few, then every 2^16th) */
	for (uint32_t u = 0; u < 101u << 23; u += 65537)
		f16_one("half-4: below 2^-26 is zero", bitsf(u));
	/* above: every 2^12th float up to infinity */
	for (uint32_t u = 143u << 23; u <= 0x7f800000u; u += 4099)
		f16_one("half-4: above 2^16 is inf", bitsf(u));
}

static void
half_5_bf16(void)
{
	static const struct {
		float		in;
		uint16_t	out;
	} fixed[] = {
		{ 0.0f, 0x0000 },
		{ -0.0f, 0x8000 },
		{ 1.0f, 0x3f80 },
		{ 1.0f + 0x1p-8f, 0x3f80 },	/* tie, even */
		{ 1.0f + 0x1.8p-7f, 0x3f82 },	/* tie above odd: up */
		{ 0x1.010002p0f, 0x3f81 },	/* just above the tie */
		{ FLT_MAX, 0x7f80 },		/* rounds past the max */
		{ 0x1.fe0000p127f, 0x7f7f },	/* bf16's max finite */
		{ 0x1.feff00p127f, 0x7f7f },	/* just below the tie */
		{ 0x1.ff0000p127f, 0x7f80 },	/* tie: even is inf */
		{ INFINITY, 0x7f80 },
		{ -INFINITY, 0xff80 },
		{ 0x1p-133f, 0x0001 },		/* bf16's smallest subnormal */
		{ 0x1p-134f, 0x0000 },		/* tie with 0 */
		{ 0x1.8p-133f, 0x0002 },	/* tie, to even 2 */
		{ 0x1p-149f, 0x0000 },
	};

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		uint16_t got = sb_f32_to_bf16(fixed[i].in);

		if (got != fixed[i].out)
			fprintf(stderr, "half-5: %a -> 0x%04x, want 0x%04x\n",
			    (double)fixed[i].in, got, fixed[i].out);
		CHECK("half-5: bf16 boundary value", got == fixed[i].out);
		CHECK("half-5: reference agrees at the boundary",
		    ref_f32_to_bf16(fixed[i].in) == fixed[i].out);
	}
	uint32_t nans[] = { 0x7fc00000, 0xffc00000, 0x7f800001, 0xff800001,
	    0x7f810000, 0x7fffffff };
	for (size_t i = 0; i < sizeof(nans) / sizeof(nans[0]); i++)
		bf16_one("half-5: NaN stays a quiet NaN", bitsf(nans[i]));
	/* all float patterns, stepped by a prime (about 8.4 million) */
	for (uint64_t u = 0; u <= 0xffffffffu; u += 509)
		bf16_one("half-5: stepped sweep", bitsf((uint32_t)u));
	/* every bf16 value's tie and neighbours, positive and negative */
	for (uint32_t h = 0; h < 0x7f80; h++) {
		uint32_t tie = (h << 16) | 0x8000;
		uint32_t cand[] = { h << 16, (h << 16) | 1, tie - 1, tie,
		    tie + 1, (h << 16) | 0xffff };

		for (size_t i = 0; i < sizeof(cand) / sizeof(cand[0]); i++) {
			bf16_one("half-5: tie neighbourhood", bitsf(cand[i]));
			bf16_one("half-5: tie neighbourhood", -bitsf(cand[i]));
		}
	}
}

static void
half_6_round_and_arrays(void)
{
	float in[] = { 0.1f, -3.14159f, 65519.0f, 1e-6f, 70000.0f, -0.0f,
	    1e30f, NAN };
	size_t n = sizeof(in) / sizeof(in[0]);
	uint16_t h[8];
	float back[8], f32[8];

	for (size_t i = 0; i < n; i++) {
		float r16 = sb_round_to(SB_DT_F16, in[i]);
		float rb = sb_round_to(SB_DT_BF16, in[i]);
		float r32 = sb_round_to(SB_DT_F32, in[i]);

		CHECK("half-6: round_to f16 is the round trip",
		    fbits(r16) == fbits(sb_f16_to_f32(sb_f32_to_f16(in[i]))));
		CHECK("half-6: round_to bf16 is the round trip",
		    fbits(rb) == fbits(sb_bf16_to_f32(sb_f32_to_bf16(in[i]))));
		CHECK("half-6: round_to f32 is the identity",
		    fbits(r32) == fbits(in[i]));
	}
	CHECK("half-6: round_to a bad dtype is NaN",
	    isnan(sb_round_to((enum sb_dtype)7, 1.0f)));

	enum sb_dtype hts[] = { SB_DT_F16, SB_DT_BF16 };
	for (size_t t = 0; t < 2; t++) {
		sb_convert_from_f32(hts[t], in, h, n);
		sb_convert_to_f32(hts[t], h, back, n);
		for (size_t i = 0; i < n; i++) {
			float want = sb_round_to(hts[t], in[i]);

			CHECK("half-6: array conversion element",
			    h[i] == (hts[t] == SB_DT_F16 ?
			    sb_f32_to_f16(in[i]) : sb_f32_to_bf16(in[i])));
			CHECK("half-6: array round trip equals round_to",
			    fbits(back[i]) == fbits(want) ||
			    (isnan(back[i]) && isnan(want)));
		}
	}
	sb_convert_from_f32(SB_DT_F32, in, f32, n);
	CHECK("half-6: f32 conversion copies",
	    memcmp(f32, in, sizeof(in)) == 0);
	memset(back, 0, sizeof(back));
	sb_convert_to_f32(SB_DT_F32, f32, back, n);
	CHECK("half-6: f32 conversion back copies",
	    memcmp(back, in, sizeof(in)) == 0);
	sb_convert_to_f32((enum sb_dtype)7, h, back, 2);
	CHECK("half-6: a bad dtype gives NaN", isnan(back[0]) &&
	    isnan(back[1]));
}

int
main(void)
{
	f16_table_init();
	half_1_f16_patterns();
	half_2_bf16_patterns();
	half_3_f16_boundaries();
	half_4_f16_sweep();
	half_5_bf16();
	half_6_round_and_arrays();
	return check_summary("test_half");
}
