/*
 * tests/gemm_ref.h — the fp64 reference and the pass rule for GEMM tests,
 * shared by the GPU test (test_gemm_gpu.c) and the CPU-emulated one.
 * Header-only, C and C++.
 *
 * The rule is the forward error bound of a dot product: for each C[i,j],
 *   |c - ref| <= tol · Σ_p |A(i,p)|·|B(p,j)|  (+ |bias[j]|·2^-24)
 * with tol = 2·k·2^-24 for fp32 accumulation, plus 2·2^-11 for TF32 inputs
 * (each operand rounded once to 10 mantissa bits).  It scales with the data,
 * cannot be met by garbage, and NaN never passes.  The largest relative
 * error ‖c - ref‖∞ / ‖ref‖∞ is reported too.
 */
#ifndef SB_TESTS_GEMM_REF_H
#define SB_TESTS_GEMM_REF_H

#include <math.h>
#include <stdint.h>

#include "layout.h"

struct gemm_ref_result {
	int64_t	bad;		/* elements outside the bound (NaN included) */
	int64_t	first_i, first_j;	/* the first of them */
	double	first_got, first_want;
	double	max_rel;	/* max |c - ref| / max |ref| */
};

/* A(i,p) and B(p,j) of a layout (layout.h), from row-major storage */
static inline double
gemm_ref_a(enum sb_layout l, const float *a, int64_t lda, int64_t i,
    int64_t p)
{
	return l == SB_TN ? a[p * lda + i] : a[i * lda + p];
}

static inline double
gemm_ref_b(enum sb_layout l, const float *b, int64_t ldb, int64_t p,
    int64_t j)
{
	return l == SB_NT ? b[j * ldb + p] : b[p * ldb + j];
}

/* tf32: 1 when the inputs were rounded to TF32 */
static inline void
gemm_ref_check(enum sb_layout l, int64_t m, int64_t n, int64_t k,
    const float *a, int64_t lda, const float *b, int64_t ldb,
    const float *bias, const float *c, int64_t ldc, int tf32,
    struct gemm_ref_result *r)
{
	const double u = ldexp(1.0, -24);
	const double tol = 2.0 * (double)k * u + (tf32 ? 2.0 * ldexp(1.0,
	    -11) : 0.0);
	double max_err = 0.0, max_ref = 0.0;

	r->bad = 0;
	r->first_i = r->first_j = -1;
	r->first_got = r->first_want = 0.0;
	for (int64_t i = 0; i < m; i++)
		for (int64_t j = 0; j < n; j++) {
			double ref = 0.0, mag = 0.0, got, err;

			for (int64_t p = 0; p < k; p++) {
				const double x = gemm_ref_a(l, a, lda, i, p);
				const double y = gemm_ref_b(l, b, ldb, p, j);

				ref += x * y;
				mag += fabs(x * y);
			}
			if (bias != NULL) {
				ref += bias[j];
				mag += fabs((double)bias[j]) * u / tol;
			}
			got = c[i * ldc + j];
			err = fabs(got - ref);
			if (!(err <= tol * mag + 1e-30)) {	/* NaN: bad */
				if (r->bad++ == 0) {
					r->first_i = i;
					r->first_j = j;
					r->first_got = got;
					r->first_want = ref;
				}
			}
			if (err > max_err || isnan(err))
				max_err = isnan(err) ? INFINITY : err;
			if (fabs(ref) > max_ref)
				max_ref = fabs(ref);
		}
	r->max_rel = max_ref > 0 ? max_err / max_ref : max_err;
}

#endif
