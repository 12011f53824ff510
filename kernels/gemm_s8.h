/*
 * kernels/gemm_s8.h — int8 GEMMs: signed int8 operands, int32 accumulation,
 * and the dynamic-int8 Linear's epilogue (dequantise + bias).
 *
 *   acc[i,j] = Σ_p a[i,p]·b[j,p]                 (int32, exact)
 *   out s32:  c[i,j] = acc[i,j]
 *   out f32:  c[i,j] = fmaf((float)acc[i,j], sa·sb[j], bias[j])
 *   out f16:  c[i,j] = half(the f32 value), round to nearest even
 *
 * where sa = *a_scale (the activations' per-tensor scale, on the device),
 * sb[j] = b_scale[j] per channel or b_scale[0] per tensor, and sa·sb[j] is
 * one fp32 product (rounded before the fmaf); bias (fp32, n) may be NULL
 * (then 0).  Only the NT layout (layout.h: A (m,k) and B (n,k), both
 * K-major) exists: int8 tensor cores (mma.sync s8, wgmma s8, cuBLASLt's
 * IMMA kernels) take K-major operands only.  In cuBLAS's column-major
 * terms this is "TN".
 *
 * Every implementation handles any m, n, k >= 1 and any lda, ldb >= k,
 * ldc >= n (falling back from its vector loads where pointers or leading
 * dimensions are not aligned for them), unless its `unsupported` hook
 * names what it refuses (cuBLASLt's int8 kernels want lda, ldb multiples
 * of 4): callers that control the layout (the int8 step pads K to a
 * multiple of SB_S8_KPAD with zeros) never meet it.  Exactness: |acc| <
 * 2^31 is the caller's to keep (k · 128² < 2^31 for k < 131072).
 *
 * Like gpu.h: launchers enqueue on g->stream, never synchronise or allocate
 * (cuBLASLt uses g's workspace), and return 0 or -1 with why in g->err.
 */
#ifndef SB_KERNELS_GEMM_S8_H
#define SB_KERNELS_GEMM_S8_H

#include <stdint.h>

#include "dtype.h"
#include "gpu.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The int8 step pads K (and lda, ldb) to this many elements. */
#define SB_S8_KPAD	16

struct sb_igemm_call {
	int64_t		 m, n, k;
	const int8_t	*a;		/* (m,k), lda >= k */
	int64_t		 lda;
	const int8_t	*b;		/* (n,k), ldb >= k */
	int64_t		 ldb;
	enum sb_dtype	 out;		/* SB_DT_S32, SB_DT_F32 or SB_DT_F16 */
	void		*c;		/* (m,n), ldc >= n, type out */
	int64_t		 ldc;
	/* the epilogue: a_scale and b_scale required for out f32/f16;
	 * all three must be NULL for s32 */
	const float	*a_scale;	/* device scalar */
	const float	*b_scale;	/* device: n floats or 1 */
	int		 b_per_channel;
	const float	*bias;		/* device: n floats, or NULL */
};

typedef int (*sb_igemm_fn)(struct sb_gpu *, const struct sb_igemm_call *);
typedef int (*sb_igemm_describe_fn)(struct sb_gpu *,
    const struct sb_igemm_call *, struct sb_kernel_info *info);

struct sb_igemm {
	const char		*name;	/* "dp4a", "imma", "wgmma", "cublaslt" */
	sb_igemm_fn		 gemm;
	sb_igemm_describe_fn	 describe;	/* NULL: a library */
	int			 needs_lt;	/* needs g->lt */
	int			 epilogue;	/* 1: f32/f16 out (dequantises
						 * itself); 0: s32 out only
						 * (the step adds
						 * sb_q_dequant) */
	int			 min_cc;	/* compute capability ×10 */
	/* NULL, or why this implementation refuses a well-formed call
	 * (e.g. cuBLASLt and lda % 4): written into why, returns 1. */
	int			(*unsupported)(const struct sb_igemm_call *,
				    char *why, size_t len);
	/* As sb_hgemm.fallback: what runs instead on compute capability
	 * cc, or NULL. */
	const char		*(*fallback)(int cc);
	const char		*summary;	/* one line, for `stepbench list` */
};

extern const struct sb_igemm sb_igemm_dp4a;	/* gemm_s8_dp4a.cu */
extern const struct sb_igemm sb_igemm_imma;	/* gemm_s8_imma.cu */
extern const struct sb_igemm sb_igemm_cublaslt;	/* gemm_s8_cublaslt.c */

/* Every implementation this build has, NULL-terminated (gemm_s8.c), in
 * ladder order: dp4a, imma, [wgmma,] cublaslt. */
extern const struct sb_igemm *const sb_igemms[];
const struct sb_igemm *sb_igemm_find(const char *name);

/* The packed call (lda = ldb = k, ldc = n), out as given, no epilogue
 * operands. */
void	sb_igemm_call_init(struct sb_igemm_call *, enum sb_dtype out,
	    int64_t m, int64_t n, int64_t k, const int8_t *a,
	    const int8_t *b, void *c);
/* 0 if the call is well-formed for impl (out s32, or f32/f16 where
 * impl->epilogue; sizes >= 1; leading dimensions; a_scale and b_scale
 * present for f32/f16 and all epilogue operands NULL for s32; the handles
 * it needs; impl->unsupported); else -1 and why in g->err (naming the bad
 * value and what is valid). */
int	sb_igemm_check(struct sb_gpu *, const struct sb_igemm *,
	    const struct sb_igemm_call *);

#ifdef __cplusplus
}
#endif

#endif
