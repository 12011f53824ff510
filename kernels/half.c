/*
 * kernels/half.c — fp16/bf16 <-> float by bit manipulation (see half.h).
 *
 * float is 1+8+23 bits (bias 127), fp16 1+5+10 (bias 15), bf16 1+8+7
 * (bias 127).  Rounding to nearest even on the integer encoding: add half
 * an ulp minus one, plus the kept part's low bit, and shift.  A carry out
 * of the mantissa moves into the exponent, which is exactly the rounding
 * up to the next binade (or to infinity), so no special case is needed
 * except where the target's exponent range ends.
 */
#include <math.h>
#include <string.h>

#include "half.h"

static uint32_t
f32_bits(float f)
{
	uint32_t u;

	memcpy(&u, &f, sizeof(u));
	return u;
}

static float
bits_f32(uint32_t u)
{
	float f;

	memcpy(&f, &u, sizeof(f));
	return f;
}

uint16_t
sb_f32_to_f16(float f)
{
	uint32_t x = f32_bits(f);
	uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
	uint32_t mag = x & 0x7fffffff;

	if (mag > 0x7f800000)		/* NaN: quiet, top payload bits */
		return sign | 0x7e00 | (uint16_t)((mag >> 13) & 0x3ff);
	/* >= 65520 (inf included).  From 65520 to 2^16 the rounding carry
	 * below reaches 0x7c00 by itself; from 2^16 up the exponent does
	 * not fit. */
	if (mag >= 0x477ff000)
		return sign | 0x7c00;
	if (mag >= 0x38800000) {	/* >= 2^-14: an fp16 normal */
		/* rebias the exponent (127 -> 15), then round off 13 bits */
		uint32_t r = mag - ((uint32_t)(127 - 15) << 23);

		r += 0xfff + ((r >> 13) & 1);
		return sign | (uint16_t)(r >> 13);
	}
	if (mag <= 0x33000000)		/* <= 2^-25: the tie goes to 0 */
		return sign;

	/* An fp16 subnormal: the value in units of 2^-24 is
	 * (mantissa | implicit bit) · 2^(e - 126), e <= 112, so shift right
	 * by 126 - e (14..24 here) and round what falls off. */
	uint32_t e = mag >> 23;
	uint32_t mant = (mag & 0x7fffff) | 0x800000;
	uint32_t shift = 126 - e;
	uint32_t r = mant >> shift;
	uint32_t rest = mant & ((1u << shift) - 1);
	uint32_t halfway = 1u << (shift - 1);

	if (rest > halfway || (rest == halfway && (r & 1)))
		r++;			/* may carry into 2^-14: still right */
	return sign | (uint16_t)r;
}

float
sb_f16_to_f32(uint16_t h)
{
	uint32_t sign = (uint32_t)(h & 0x8000) << 16;
	uint32_t e = (h >> 10) & 0x1f;
	uint32_t mant = h & 0x3ff;

	if (e == 0x1f) {		/* inf, or NaN made quiet */
		if (mant != 0)
			mant |= 0x200;
		return bits_f32(sign | 0x7f800000 | (mant << 13));
	}
	if (e == 0) {
		if (mant == 0)
			return bits_f32(sign);
		/* subnormal mant · 2^-24: normalise; 2^-24 is float
		 * exponent 103 after ten shifts from 113 */
		e = 113;
		while ((mant & 0x400) == 0) {
			mant <<= 1;
			e--;
		}
		return bits_f32(sign | (e << 23) | ((mant & 0x3ff) << 13));
	}
	return bits_f32(sign | ((e + 127 - 15) << 23) | (mant << 13));
}

uint16_t
sb_f32_to_bf16(float f)
{
	uint32_t x = f32_bits(f);

	if ((x & 0x7fffffff) > 0x7f800000)	/* NaN: quiet */
		return (uint16_t)((x >> 16) | 0x0040);
	/* a carry out of 0x7f7f.. reaches 0x7f80: infinity, as it must */
	x += 0x7fff + ((x >> 16) & 1);
	return (uint16_t)(x >> 16);
}

float
sb_bf16_to_f32(uint16_t h)
{
	if ((h & 0x7f80) == 0x7f80 && (h & 0x7f) != 0)
		h |= 0x0040;
	return bits_f32((uint32_t)h << 16);
}

float
sb_round_to(enum sb_dtype t, float f)
{
	switch (t) {
	case SB_DT_F32:
		return f;
	case SB_DT_F16:
		return sb_f16_to_f32(sb_f32_to_f16(f));
	case SB_DT_BF16:
		return sb_bf16_to_f32(sb_f32_to_bf16(f));
	default:
		return NAN;
	}
}

void
sb_convert_from_f32(enum sb_dtype t, const float *src, void *dst, size_t n)
{
	/* src is (n) float; dst is (n) of t */
	uint16_t *h = dst;

	switch (t) {
	case SB_DT_F32:
		if (n > 0 && (const void *)src != dst)
			memmove(dst, src, n * sizeof(float));
		break;
	case SB_DT_F16:
		for (size_t i = 0; i < n; i++)
			h[i] = sb_f32_to_f16(src[i]);
		break;
	case SB_DT_BF16:
		for (size_t i = 0; i < n; i++)
			h[i] = sb_f32_to_bf16(src[i]);
		break;
	default:
		break;
	}
}

void
sb_convert_to_f32(enum sb_dtype t, const void *src, float *dst, size_t n)
{
	/* src is (n) of t; dst is (n) float */
	const uint16_t *h = src;

	switch (t) {
	case SB_DT_F32:
		if (n > 0 && src != (const void *)dst)
			memmove(dst, src, n * sizeof(float));
		break;
	case SB_DT_F16:
		for (size_t i = 0; i < n; i++)
			dst[i] = sb_f16_to_f32(h[i]);
		break;
	case SB_DT_BF16:
		for (size_t i = 0; i < n; i++)
			dst[i] = sb_bf16_to_f32(h[i]);
		break;
	default:
		for (size_t i = 0; i < n; i++)
			dst[i] = NAN;
		break;
	}
}
