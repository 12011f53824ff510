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
 * compared, against base × max(1, sqrt(k/4096)) × cond, where cond =
 * ‖Σ|a·b|/sqrt(k)‖ / ‖ref‖ (at least 1) is check.h's conditioning: 1 for
 * well-mixed data, large where sums cancel.  Full when 2mnk is within the
 * flop budget; above it a sample of entries (the four corners and random
 * ones) is recomputed, and every entry of C is still scanned for NaN and
 * infinity.  Any non-finite entry, and any written padding, fails.
 */
#ifndef SB_HARNESS_GEMM_HOST_H
#define SB_HARNESS_GEMM_HOST_H

#include <stddef.h>
#include <stdint.h>

#include "layout.h"

#define SB_GEMM_POISON	0xffffffffu	/* the bits of a poisoned float */

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

/* C[i,j] in fp64 and the conditioning magnitude Σ|a·b| of its sum. */
void	sb_gemm_ref_entry(const struct sb_gemm_shape *, const float *a,
	    const float *b, int64_t i, int64_t j, double *ref, double *mag);

/* The base tolerance of a precision ("f32" 1e-5, "tf32" 2e-3, as the
 * step's fp32/tf32 variants); NaN for one not known. */
double	sb_gemm_base_tol(const char *precision);

struct sb_gemm_verdict {
	const char	*mode;		/* "full" | "sampled" */
	double		 err;		/* relative L2; NaN with non-finite C */
	double		 tol;		/* base × growth × cond */
	double		 cond;
	int64_t		 compared;	/* entries recomputed in fp64 */
	int64_t		 nonfinite;	/* entries of C that are NaN or ±inf */
	int64_t		 pad_written;	/* padding entries of C not poison */
	int		 ok;
	char		 why[256];	/* what failed, when !ok */
};

/*
 * Checks c (as read back: c_rows × ldc floats, padding included) against
 * the fp64 GEMM of a and b.  Full when 2mnk <= budget_flop; else sampled
 * with nsample random entries (seeded) plus the four corners.
 */
void	sb_gemm_verify(const struct sb_gemm_shape *, const float *a,
	    const float *b, const float *c, double base_tol, double budget_flop,
	    int nsample, uint64_t seed, struct sb_gemm_verdict *);

#endif
