/*
 * harness/gemm_host.h — the host side of `stepbench gemm`: where a GEMM
 * point's operands live, the fixed-seed inputs, and the fp64 check of
 * what a kernel wrote.  Plain C, no CUDA: tested on the CPU
 * (tests/test_gemm_host.c).
 *
 * Storage (layout.h): every matrix is row-major with a leading dimension
 * of its row length plus pad (--lda-pad), so pad > 0 makes rows that start
 * at unaligned addresses:
 *
 *   A  NT, NN: (m,k)   TN: (k,m)        lda = columns + pad
 *   B  NT: (n,k)       TN, NN: (k,n)    ldb = columns + pad
 *   C  (m,n)                            ldc = n + pad
 *
 * The padding of A and B holds NaN: a kernel that reads it poisons its
 * output, and the check fails.  C is poisoned whole (every bit set, a NaN)
 * before a checked run; afterwards its padding must still hold exactly
 * that pattern, or the kernel wrote outside C.
 *
 * The check: relative L2 error ‖C − ref‖ / ‖ref‖ over the entries
 * compared, against acc × max(1, sqrt(k/4096)) × cond + out_unit, where
 * cond = ‖Σ|a·b|/sqrt(k)‖ / ‖ref‖ (at least 1) is check.h's conditioning:
 * 1 for well-mixed data, large where sums cancel; acc is the accumulation
 * bound of the precision and out_unit the unit roundoff of a half output
 * (each entry rounded once; 0 for fp32).  See sb_gemm_tol_for.
 *
 * Half inputs: A and B are the fixed-seed floats rounded to the type
 * (sb_gemm_round), and the reference is computed from those rounded
 * values, so the error measures the GEMM, not the rounding of its inputs.
 * C may be fp32 or half: the check reads it in its own type, and a half
 * C's padding must keep the 16-bit poison (SB_GEMM_POISON16).  Full when 2mnk is within the
 * flop budget; above it a sample of entries (the four corners and random
 * ones) is recomputed, and every entry of C is still scanned for NaN and
 * infinity.  Any non-finite entry, and any written padding, fails.
 */
#ifndef SB_HARNESS_GEMM_HOST_H
#define SB_HARNESS_GEMM_HOST_H

#include <stddef.h>
#include <stdint.h>

#include "dtype.h"
#include "layout.h"

#define SB_GEMM_POISON	0xffffffffu	/* the bits of a poisoned float */
#define SB_GEMM_POISON16 0xffffu	/* ... of a poisoned f16 or bf16 (NaN) */

struct sb_gemm_shape {
	enum sb_layout	layout;
	int64_t		m, n, k, pad;
	int64_t		a_rows, a_cols, lda;
	int64_t		b_rows, b_cols, ldb;
	int64_t		c_rows, c_cols, ldc;
};

void	sb_gemm_shape_init(struct sb_gemm_shape *, enum sb_layout, int64_t m,
	    int64_t n, int64_t k, int64_t pad);
/* Elements (floats) of each buffer, padding included. */
int64_t	sb_gemm_a_elems(const struct sb_gemm_shape *);
int64_t	sb_gemm_b_elems(const struct sb_gemm_shape *);
int64_t	sb_gemm_c_elems(const struct sb_gemm_shape *);

/* Uniform values in [-1, 1) on a 2^-24 grid (exact in float), the stream
 * fixed by seed; the ld - cols padding of each row is NaN. */
void	sb_gemm_fill(float *x, int64_t rows, int64_t cols, int64_t ld,
	    uint64_t seed);
/* Every bit of every element set (SB_GEMM_POISON). */
void	sb_gemm_poison(float *x, int64_t elems);
/* Each of elems floats rounded to t (sb_round_to; NaN padding stays NaN):
 * the values a kernel of input type t sees, and the reference uses. */
void	sb_gemm_round(enum sb_dtype t, float *x, int64_t elems);

/* C[i,j] in fp64 and the conditioning magnitude Σ|a·b| of its sum. */
void	sb_gemm_ref_entry(const struct sb_gemm_shape *, const float *a,
	    const float *b, int64_t i, int64_t j, double *ref, double *mag);

/* The base tolerance of a precision ("f32" 1e-5, "tf32" 2e-3, as the
 * step's fp32/tf32 variants; "f16" and "bf16" 1e-4, see sb_gemm_tol_for);
 * NaN for one not known. */
double	sb_gemm_base_tol(const char *precision);

struct sb_gemm_tol {
	double	acc;		/* accumulation: × growth × conditioning */
	double	out_unit;	/* unit roundoff of C's type; 0 for fp32 */
};

/*
 * The tolerance of a precision ("f32", "tf32", "f16", "bf16") with C of
 * type out.  f16/bf16 inputs are exact in the reference (it uses the
 * rounded inputs) and their products are exact in fp32, so what is left
 * is fp32 accumulation, which tensor cores may do with truncation rather
 * than rounding: acc 1e-4, ten times fp32's, still some 5 and 40 times
 * below one rounding of the inputs (2^-11, 2^-8), which is the size of a
 * kernel that reads an operand in the wrong type.  A half C adds its one
 * rounding: 2^-11 (f16), 2^-8 (bf16).  Returns 0, or -1 (tol NaN) for a
 * precision or an output type not known, or a half output of an f32
 * precision.
 */
int	sb_gemm_tol_for(const char *precision, enum sb_dtype out,
	    struct sb_gemm_tol *);

struct sb_gemm_verdict {
	const char	*mode;		/* "full" | "sampled" */
	double		 err;		/* relative L2; NaN with non-finite C */
	double		 tol;		/* acc × growth × cond + out_unit */
	double		 cond;
	int64_t		 compared;	/* entries recomputed in fp64 */
	int64_t		 nonfinite;	/* entries of C that are NaN or ±inf */
	int64_t		 pad_written;	/* padding entries of C not poison */
	int		 ok;
	char		 why[256];	/* what failed, when !ok */
};

/*
 * Checks c (as read back: c_rows × ldc elements of ctype, padding
 * included) against the fp64 GEMM of a and b.  Full when 2mnk <=
 * budget_flop; else sampled with nsample random entries (seeded) plus the
 * four corners.
 */
void	sb_gemm_verify_typed(const struct sb_gemm_shape *, const float *a,
	    const float *b, const void *c, enum sb_dtype ctype,
	    const struct sb_gemm_tol *, double budget_flop, int nsample,
	    uint64_t seed, struct sb_gemm_verdict *);
/* The fp32 C case: tolerance base_tol × growth × cond. */
void	sb_gemm_verify(const struct sb_gemm_shape *, const float *a,
	    const float *b, const float *c, double base_tol, double budget_flop,
	    int nsample, uint64_t seed, struct sb_gemm_verdict *);

/*
 * The int8 GEMMs (--types s8, layout NT only: A (m,k), B (n,k)).  Operands
 * are uniform int8 over the whole range [-128, 127]; the row padding holds
 * random non-zero values, so a kernel that reads it sums them and fails
 * the exact check.  The reference is exact integer arithmetic:
 *   s32:  c[i,j] must equal Σ_p a[i,p]·b[j,p] bit for bit;
 *   f32:  the epilogue of kernels/gemm_s8.h, fmaf((float)acc, sa·sb,
 *         bias[j]) computed here in fp32; an entry passes within 1 ulp
 *         of it (an fma-less but correct epilogue rounds twice).
 * C's padding must keep its poison (every bit set) in either type.  Full
 * when 2mnk <= budget, else the four corners and nsample random entries;
 * every f32 entry is still scanned for NaN and infinity.  err is the
 * relative L2 difference (0 when exact), tol 0 for s32 and 2^-23 for f32.
 */
struct sb_gemm_s8_epi {
	float		 a_scale, b_scale;	/* per tensor */
	const float	*bias;			/* n floats, or NULL */
};

void	sb_gemm_fill_s8(int8_t *x, int64_t rows, int64_t cols, int64_t ld,
	    uint64_t seed);
/* Σ_p a[i,p]·b[j,p] (exact while |.| < 2^31: k < 131072). */
int32_t	sb_gemm_s8_entry(const struct sb_gemm_shape *, const int8_t *a,
	    const int8_t *b, int64_t i, int64_t j);
/* The f32 epilogue of one accumulator for column j. */
float	sb_gemm_s8_epilogue(int32_t acc, const struct sb_gemm_s8_epi *,
	    int64_t j);
/* ctype SB_DT_S32 (epi NULL) or SB_DT_F32 (epi given). */
void	sb_gemm_verify_s8(const struct sb_gemm_shape *, const int8_t *a,
	    const int8_t *b, const void *c, enum sb_dtype ctype,
	    const struct sb_gemm_s8_epi *epi, double budget_flop, int nsample,
	    uint64_t seed, struct sb_gemm_verdict *);

#endif
