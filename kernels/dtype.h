/*
 * kernels/dtype.h — element types of GEMM operands, shared by the C
 * launchers, the device code and the host code (plain C, no CUDA).
 */
#ifndef SB_KERNELS_DTYPE_H
#define SB_KERNELS_DTYPE_H

#include <stddef.h>

enum sb_dtype {
	SB_DT_F32,	/* float */
	SB_DT_F16,	/* IEEE binary16: 1+5+10 bits */
	SB_DT_BF16,	/* bfloat16: 1+8+7 bits */
	SB_DT_S8,	/* int8_t: quantised operands (int8dyn) */
	SB_DT_S32,	/* int32_t: an int8 GEMM's raw accumulator */
	SB_DT_COUNT
};

static inline size_t
sb_dtype_size(enum sb_dtype t)
{
	return t == SB_DT_F32 || t == SB_DT_S32 ? 4 : t == SB_DT_S8 ? 1 : 2;
}

/* "f32", "f16", "bf16", "s8", "s32" ("?" for anything else): the names
 * used in ids (gemm.f16.mma.nt, gemm.s8.imma.nt) and on the command line. */
static inline const char *
sb_dtype_name(enum sb_dtype t)
{
	return t == SB_DT_F32 ? "f32" : t == SB_DT_F16 ? "f16" :
	    t == SB_DT_BF16 ? "bf16" : t == SB_DT_S8 ? "s8" :
	    t == SB_DT_S32 ? "s32" : "?";
}

#endif
