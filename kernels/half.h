/*
 * kernels/half.h — fp16 and bf16 on the host, by bit manipulation (no
 * compiler _Float16): what the host autocast step (ref_step_amp.c), the
 * tests and the GPU launchers' host sides use to round and convert.
 *
 * Every conversion from float rounds to nearest, ties to even, like the
 * device's __float2half_rn / __float2bfloat16_rn:
 *   - fp16 overflows to ±inf from 65520 (max finite 65504 + half an ulp)
 *     up; fp16 subnormals (down to 2^-24) are rounded correctly, and
 *     magnitudes up to 2^-25 (the tie, to even) become ±0;
 *   - bf16 has float's exponent range: it overflows only from the halfway
 *     point above 0x1.fep127, and keeps float's subnormals (rounded);
 *   - NaN stays NaN, quiet, with its sign and the payload's high bits;
 *     ±0 and ±inf are kept.
 * Conversions to float are exact (a signalling half NaN comes back quiet).
 */
#ifndef SB_KERNELS_HALF_H
#define SB_KERNELS_HALF_H

#include <stddef.h>
#include <stdint.h>

#include "dtype.h"

uint16_t	sb_f32_to_f16(float);
float		sb_f16_to_f32(uint16_t);
uint16_t	sb_f32_to_bf16(float);
float		sb_bf16_to_f32(uint16_t);

/* f rounded to t and back to float: f itself for SB_DT_F32; NaN for a
 * value of t that is not a dtype. */
float		sb_round_to(enum sb_dtype t, float f);

/* n elements.  dst (from_f32) and src (to_f32) are float * for SB_DT_F32
 * and uint16_t * (bit patterns) for SB_DT_F16 and SB_DT_BF16.  For a t
 * that is not a dtype, from_f32 writes nothing (the element size is
 * unknown) and to_f32 fills dst with NaN. */
void		sb_convert_from_f32(enum sb_dtype t, const float *src,
		    void *dst, size_t n);
void		sb_convert_to_f32(enum sb_dtype t, const void *src,
		    float *dst, size_t n);

#endif
