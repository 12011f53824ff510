/*
 * tests/test_gemm_host.c — the host side of `stepbench gemm`, no GPU:
 * operand storage with padded leading dimensions in every layout, the
 * fixed-seed inputs, the fp64 check (full and sampled) and what it must
 * refuse (a wrong entry, NaN, writes into C's padding, an unknown
 * precision), the kernel / type / output / layout / size parsers, the
 * plan with its cuBLAS baselines (float and half), a described launch
 * turned into a db row; and for the half GEMMs: inputs rounded to the
 * type, the per-type tolerances, the check of a half C, the mapping of a
 * row-major call onto the column-major libraries and the cuBLASLt plan
 * cache's key (kernels/gemm_cublaslt.h); for the int8 GEMMs (gh-13): the
 * int8 inputs, the exact s32 check and the f32 epilogue's 1-ulp check,
 * --types s8, --out s32 and the nt-only plan with cuBLASLt s8 as its
 * baseline.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "testkit.h"
#include "gemm_bench.h"
#include "gemm_cublaslt.h"
#include "gemm_h16.h"
#include "gemm_host.h"
#include "gemm_s8.h"
#include "gpu.h"
#include "half.h"
#include "launch.h"

static float	*gemm_f32(const struct sb_gemm_shape *, const float *,
		    const float *);
static void	test_shape(void);
static void	test_fill(void);
static void	test_reference(void);
static void	test_verify(void);
static void	test_parsers(void);
static void	test_plan(void);
static void	test_launch(void);
static uint16_t	*gemm_half(const struct sb_gemm_shape *, const float *,
		    const float *, enum sb_dtype);
static void	test_half_check(void);
static void	test_half_parsers(void);
static void	test_half_plan(void);
static void	test_lib_plan(void);
static void	test_lt_key(void);
static void	test_s8_check(void);
static void	test_s8_plan(void);

/* C rounded to float from the fp64 reference, padding poisoned: what a
 * correct kernel leaves. */
static float *
gemm_f32(const struct sb_gemm_shape *s, const float *a, const float *b)
{
	float *c = malloc((size_t)sb_gemm_c_elems(s) * sizeof(float));
	double ref, mag;

	if (c == NULL)
		exit(1);
	sb_gemm_poison(c, sb_gemm_c_elems(s));
	for (int64_t i = 0; i < s->m; i++)
		for (int64_t j = 0; j < s->n; j++) {
			sb_gemm_ref_entry(s, a, b, i, j, &ref, &mag);
			c[i * s->ldc + j] = (float)ref;
		}
	return c;
}

static void
test_shape(void)
{
	struct sb_gemm_shape s;

	sb_gemm_shape_init(&s, SB_NT, 5, 7, 3, 0);
	CHECK("gh-1.1: NT: A is (m,k), B is (n,k), packed",
	    s.a_rows == 5 && s.a_cols == 3 && s.lda == 3 && s.b_rows == 7 &&
	    s.b_cols == 3 && s.ldb == 3 && s.ldc == 7);
	sb_gemm_shape_init(&s, SB_TN, 5, 7, 3, 2);
	CHECK("gh-1.2: TN: A is (k,m), B is (k,n), padded by 2",
	    s.a_rows == 3 && s.a_cols == 5 && s.lda == 7 && s.b_rows == 3 &&
	    s.b_cols == 7 && s.ldb == 9 && s.ldc == 9);
	CHECK("gh-1.2: elements include the padding",
	    sb_gemm_a_elems(&s) == 21 && sb_gemm_b_elems(&s) == 27 &&
	    sb_gemm_c_elems(&s) == 45);
	sb_gemm_shape_init(&s, SB_NN, 5, 7, 3, 1);
	CHECK("gh-1.3: NN: A is (m,k), B is (k,n)",
	    s.a_rows == 5 && s.lda == 4 && s.b_rows == 3 && s.ldb == 8 &&
	    s.ldc == 8);
}

static void
test_fill(void)
{
	float x[4 * 6], y[4 * 6];
	int in_range = 1, pad_nan = 1, exact = 1;

	sb_gemm_fill(x, 4, 5, 6, 7);
	sb_gemm_fill(y, 4, 5, 6, 7);
	for (int i = 0; i < 4; i++) {
		for (int j = 0; j < 5; j++) {
			float v = x[i * 6 + j];

			in_range &= v >= -1.0f && v < 1.0f;
			/* on the 2^-24 grid: exact in float and double */
			exact &= (double)v * 16777216.0 ==
			    floor((double)v * 16777216.0);
		}
		pad_nan &= isnan(x[i * 6 + 5]) != 0;
	}
	CHECK("gh-2.1: values in [-1, 1)", in_range);
	CHECK("gh-2.1: on the 2^-24 grid", exact);
	CHECK("gh-2.2: the row padding is NaN", pad_nan);
	CHECK("gh-2.3: the same seed gives the same bits",
	    memcmp(x, y, sizeof(x)) == 0);
	sb_gemm_fill(y, 4, 5, 6, 8);
	CHECK("gh-2.3: another seed, other values", x[0] != y[0] ||
	    x[1] != y[1]);
}

/* The reference against a naive triple loop over op(A)·op(B). */
static void
test_reference(void)
{
	static const enum sb_layout ls[3] = { SB_NT, SB_TN, SB_NN };
	const int64_t m = 7, n = 5, k = 9, pad = 3;

	for (int q = 0; q < 3; q++) {
		struct sb_gemm_shape s;
		float *a, *b;
		double worst = 0, ref, mag;
		int magok = 1;

		sb_gemm_shape_init(&s, ls[q], m, n, k, pad);
		a = malloc((size_t)sb_gemm_a_elems(&s) * sizeof(float));
		b = malloc((size_t)sb_gemm_b_elems(&s) * sizeof(float));
		if (a == NULL || b == NULL)
			exit(1);
		sb_gemm_fill(a, s.a_rows, s.a_cols, s.lda, 11);
		sb_gemm_fill(b, s.b_rows, s.b_cols, s.ldb, 12);
		for (int64_t i = 0; i < m; i++)
			for (int64_t j = 0; j < n; j++) {
				double want = 0, abs_sum = 0;

				for (int64_t p = 0; p < k; p++) {
					double av = ls[q] == SB_TN ?
					    a[p * s.lda + i] : a[i * s.lda + p];
					double bv = ls[q] == SB_NT ?
					    b[j * s.ldb + p] : b[p * s.ldb + j];

					want += av * bv;
					abs_sum += fabs(av * bv);
				}
				sb_gemm_ref_entry(&s, a, b, i, j, &ref, &mag);
				if (fabs(ref - want) > worst || isnan(ref))
					worst = isnan(ref) ? INFINITY :
					    fabs(ref - want);
				magok &= fabs(mag - abs_sum) <= 1e-12;
			}
		CHECK(q == 0 ? "gh-3.1: NT reference = the triple loop" :
		    q == 1 ? "gh-3.1: TN reference = the triple loop" :
		    "gh-3.1: NN reference = the triple loop", worst <= 1e-12);
		CHECK("gh-3.2: the magnitude is Σ|a·b| (no padding read)",
		    magok);
		free(a);
		free(b);
	}
}

static void
test_verify(void)
{
	struct sb_gemm_shape s;
	struct sb_gemm_verdict v;
	float *a, *b, *c;
	const int64_t m = 33, n = 17, k = 65;

	CHECK("gh-4.0: base tolerances", sb_gemm_base_tol("f32") == 1e-5 &&
	    sb_gemm_base_tol("tf32") == 2e-3 &&
	    isnan(sb_gemm_base_tol("fp16")) && isnan(sb_gemm_base_tol(NULL)));

	sb_gemm_shape_init(&s, SB_TN, m, n, k, 4);
	a = malloc((size_t)sb_gemm_a_elems(&s) * sizeof(float));
	b = malloc((size_t)sb_gemm_b_elems(&s) * sizeof(float));
	if (a == NULL || b == NULL)
		exit(1);
	sb_gemm_fill(a, s.a_rows, s.a_cols, s.lda, 1);
	sb_gemm_fill(b, s.b_rows, s.b_cols, s.ldb, 2);
	c = gemm_f32(&s, a, b);

	sb_gemm_verify(&s, a, b, c, 1e-5, 1e12, 16, 3, &v);
	CHECK("gh-4.1: a correct C passes the full check", v.ok &&
	    strcmp(v.mode, "full") == 0 && v.compared == m * n &&
	    v.err < 1e-7 && v.nonfinite == 0 && v.pad_written == 0);
	CHECK("gh-4.1: well-mixed data: conditioning 1", v.cond == 1 &&
	    v.tol == 1e-5);

	/* One entry off by a term's size fails. */
	c[5 * s.ldc + 3] += 0.5f;
	sb_gemm_verify(&s, a, b, c, 1e-5, 1e12, 16, 3, &v);
	CHECK("gh-4.2: one wrong entry fails", !v.ok && v.err > v.tol &&
	    strstr(v.why, "exceeds the tolerance") != NULL);
	sb_gemm_verify(&s, a, b, c, 1, 1e12, 16, 3, &v);
	CHECK("gh-4.2: ... but passes a loose enough tolerance", v.ok);
	c[5 * s.ldc + 3] -= 0.5f;

	/* fp32 rounding in a correct kernel passes: perturb every entry by
	 * an ulp or so. */
	for (int64_t i = 0; i < m; i++)
		for (int64_t j = 0; j < n; j++)
			c[i * s.ldc + j] = nextafterf(c[i * s.ldc + j],
			    (i + j) % 2 ? INFINITY : -INFINITY);
	sb_gemm_verify(&s, a, b, c, 1e-5, 1e12, 16, 3, &v);
	CHECK("gh-4.3: an ulp of rounding everywhere passes", v.ok);

	/* NaN anywhere fails, even outside the sample. */
	c[(m - 2) * s.ldc + 1] = NAN;
	sb_gemm_verify(&s, a, b, c, 1e-5, 0, 4, 3, &v);
	CHECK("gh-4.4: NaN fails (sampled check: every entry is scanned)",
	    !v.ok && v.nonfinite == 1 && isnan(v.err) &&
	    strstr(v.why, "[31,1]") != NULL);
	c[(m - 2) * s.ldc + 1] = INFINITY;
	sb_gemm_verify(&s, a, b, c, 1, 1e12, 4, 3, &v);
	CHECK("gh-4.4: infinity fails whatever the tolerance", !v.ok);
	free(c);
	c = gemm_f32(&s, a, b);

	/* A write into C's padding fails. */
	c[2 * s.ldc + n + 1] = 0;
	sb_gemm_verify(&s, a, b, c, 1e-5, 1e12, 16, 3, &v);
	CHECK("gh-4.5: a write into the row padding fails", !v.ok &&
	    v.pad_written == 1 && strstr(v.why, "outside C") != NULL);
	free(c);
	c = gemm_f32(&s, a, b);

	/* Sampled: the corners are always among the entries compared. */
	sb_gemm_verify(&s, a, b, c, 1e-5, 1000, 8, 3, &v);
	CHECK("gh-4.6: over the budget the check is sampled, 4 + 8 entries",
	    v.ok && strcmp(v.mode, "sampled") == 0 && v.compared == 12);
	c[(m - 1) * s.ldc + (n - 1)] += 1;
	sb_gemm_verify(&s, a, b, c, 1e-5, 1000, 0, 3, &v);
	CHECK("gh-4.6: a wrong last corner is caught by a sampled check",
	    !v.ok);
	free(c);
	c = gemm_f32(&s, a, b);

	sb_gemm_verify(&s, a, b, c, sb_gemm_base_tol("fp16"), 1e12, 0, 3, &v);
	CHECK("gh-4.7: an unknown precision never passes", !v.ok);

	/* k above 4096 widens the tolerance by sqrt(k/4096). */
	sb_gemm_shape_init(&s, SB_NT, 1, 1, 16384, 0);
	free(a);
	free(b);
	free(c);
	a = malloc(16384 * sizeof(float));
	b = malloc(16384 * sizeof(float));
	if (a == NULL || b == NULL)
		exit(1);
	sb_gemm_fill(a, 1, 16384, 16384, 5);
	sb_gemm_fill(b, 1, 16384, 16384, 6);
	c = gemm_f32(&s, a, b);
	sb_gemm_verify(&s, a, b, c, 1e-5, 1e12, 0, 3, &v);
	CHECK_NEAR("gh-4.8: tolerance grows as sqrt(k/4096)",
	    v.tol / v.cond, 2e-5, 1e-12);
	free(a);
	free(b);
	free(c);
}

static void
test_parsers(void)
{
	struct sb_gemm_selection sel;
	struct sb_shape_list sizes;
	enum sb_layout l[SB_LAYOUT_COUNT];
	char err[1024];
	int n = 0, total = 0, rc;

	while (sb_gemms_f32[total] != NULL)
		total++;
	CHECK("gh-5.1: 'f32' selects the whole float catalogue, in order",
	    sb_gemm_parse_kernels("*", 1u << SB_DT_F32, &sel, err,
	    sizeof(err)) == 0 && sel.count == total &&
	    sel.k[0].f32 == sb_gemms_f32[0] &&
	    sel.k[total - 1].f32 == sb_gemms_f32[total - 1]);
	rc = sb_gemm_parse_kernels("tf32.*,warptile,gemm.f32.naive",
	    SB_GEMM_TYPES_ALL, &sel, err, sizeof(err));
	CHECK("gh-5.2: globs over <precision>.<name>, the name, the id",
	    rc == 0 && sel.count == 4 &&
	    strcmp(sel.k[0].name, "naive") == 0 &&
	    strcmp(sel.k[1].name, "warptile") == 0 &&
	    strcmp(sel.k[2].type, "tf32") == 0 &&
	    strcmp(sel.k[3].type, "tf32") == 0);
	CHECK("gh-5.3: a repeated kernel is selected once",
	    sb_gemm_parse_kernels("warptile,f32.warptile", SB_GEMM_TYPES_ALL,
	    &sel, err, sizeof(err)) == 0 && sel.count == 1);
	rc = sb_gemm_parse_kernels("warptile,bogus", SB_GEMM_TYPES_ALL, &sel,
	    err, sizeof(err));
	CHECK("gh-5.4: an unmatched glob names itself and the kernels",
	    rc == -1 && strstr(err, "'bogus'") != NULL &&
	    strstr(err, "f32.warptile") != NULL &&
	    strstr(err, "tf32.cublas") != NULL &&
	    strstr(err, "f16.cublaslt") != NULL &&
	    strstr(err, "bf16.cublas") != NULL);
	CHECK("gh-5.4: an empty --kernels is refused",
	    sb_gemm_parse_kernels(",", SB_GEMM_TYPES_ALL, &sel, err,
	    sizeof(err)) == -1 && strstr(err, "empty") != NULL);

	rc = sb_gemm_parse_layouts("nn,nt,nn", l, &n, err, sizeof(err));
	CHECK("gh-5.5: layouts in the order given, once each", rc == 0 &&
	    n == 2 && l[0] == SB_NN && l[1] == SB_NT);
	rc = sb_gemm_parse_layouts("nt,NT", l, &n, err, sizeof(err));
	CHECK("gh-5.6: a bad layout names itself and the valid ones",
	    rc == -1 && strstr(err, "'NT'") != NULL &&
	    strstr(err, "nt") != NULL && strstr(err, "nn") != NULL);
	CHECK("gh-5.6: an empty item is refused",
	    sb_gemm_parse_layouts("nt,,tn", l, &n, err, sizeof(err)) == -1 &&
	    sb_gemm_parse_layouts("", l, &n, err, sizeof(err)) == -1);

	CHECK("gh-5.7: sizes use the sweep grammar",
	    sb_gemm_parse_sizes(SB_GEMM_DEFAULT_SIZES ",100x200x300", &sizes,
	    err, sizeof(err)) == 0 && sizes.count == 7 &&
	    sizes.v[0].m == 256 && sizes.v[5].k == 8192 &&
	    sizes.v[6].n == 200);
	rc = sb_gemm_parse_sizes("4096x", &sizes, err, sizeof(err));
	CHECK("gh-5.8: a bad size is named under --sizes", rc == -1 &&
	    strncmp(err, "--sizes: '4096x'", 16) == 0 &&
	    strstr(err, "--shapes") == NULL &&
	    strstr(err, "batch") == NULL);
}

static void
test_plan(void)
{
	struct sb_gemm_selection sel;
	struct sb_shape_list sizes;
	struct sb_gemm_plan p;
	enum sb_layout l[2] = { SB_NT, SB_TN };
	char err[1024];
	int rc, ok = 1;

	if (sb_gemm_parse_kernels("warptile,tf32.mma,f32.naive",
	    SB_GEMM_TYPES_ALL, &sel, err, sizeof(err)) != 0 ||
	    sb_gemm_parse_sizes("64x64x64,128x64x32", &sizes, err,
	    sizeof(err)) != 0) {
		CHECK("gh-6.0: set up", 0);
		return;
	}
	rc = sb_gemm_plan_build(&p, &sel, l, 2, &sizes, 4, 0, err,
	    sizeof(err));
	/* per (size, layout): f32.cublas*, tf32.cublas*, naive, warptile,
	 * mma */
	CHECK("gh-6.1: sizes x layouts x (kernels + both baselines)",
	    rc == 0 && p.count == 2 * 2 * 5);
	if (rc != 0)
		return;
	CHECK("gh-6.2: the baselines come first, added",
	    strcmp(p.points[0].id, "gemm.f32.cublas.nt") == 0 &&
	    p.points[0].auto_baseline &&
	    strcmp(p.points[1].id, "gemm.tf32.cublas.nt") == 0 &&
	    p.points[1].auto_baseline && !p.points[2].auto_baseline);
	CHECK("gh-6.3: then the kernels in catalogue order",
	    strcmp(p.points[2].id, "gemm.f32.naive.nt") == 0 &&
	    strcmp(p.points[3].id, "gemm.f32.warptile.nt") == 0 &&
	    strcmp(p.points[4].id, "gemm.tf32.mma.nt") == 0);
	CHECK("gh-6.4: each kernel's baseline is its family's, same point",
	    p.points[2].baseline_idx == 0 && p.points[3].baseline_idx == 0 &&
	    p.points[4].baseline_idx == 1 && p.points[0].baseline_idx == -1 &&
	    p.points[9].baseline_idx == 6 && p.points[19].baseline_idx == 16);
	CHECK("gh-6.5: layouts inside sizes; pad on every point",
	    strcmp(p.points[5].id, "gemm.f32.cublas.tn") == 0 &&
	    p.points[10].m == 128 && p.points[10].k == 32 &&
	    p.points[10].layout == SB_NT && p.points[19].pad == 4);
	for (int i = 0; i < p.count; i++)
		ok &= p.points[i].idx == i;
	CHECK("gh-6.6: points numbered in order", ok);
	sb_gemm_plan_free(&p);

	/* A selected baseline is not added twice, nor marked. */
	sb_gemm_parse_kernels("f32.cublas,warptile", SB_GEMM_TYPES_ALL, &sel,
	    err, sizeof(err));
	rc = sb_gemm_plan_build(&p, &sel, l, 1, &sizes, 0, 0, err,
	    sizeof(err));
	CHECK("gh-6.7: an asked-for baseline is measured once, unmarked",
	    rc == 0 && p.count == 4 && !p.points[0].auto_baseline &&
	    strcmp(p.points[0].id, "gemm.f32.cublas.nt") == 0 &&
	    p.points[1].baseline_idx == 0);
	{
		struct sb_gemm_kernel b0, b1;

		CHECK("gh-6.8: the baseline of a family is cuBLAS of its "
		    "precision", sb_gemm_baseline_of(&sel.k[0], &b0) == 0 &&
		    sb_gemm_baseline_of(&sel.k[1], &b1) == 0 &&
		    sb_gemm_kernel_equal(&b0, &sel.k[1]) &&
		    sb_gemm_kernel_equal(&b1, &sel.k[1]));
	}
	sb_gemm_plan_free(&p);
}

/* describe()'s facts into a row, with the waves of the launch. */
static void
test_launch(void)
{
	struct sb_kernel_info info;
	struct sb_gemm_call call;
	struct db_launch l;
	char name[SB_LAUNCH_NAME_LEN];

	memset(&info, 0, sizeof(info));
	snprintf(info.name, sizeof(info.name), "gemm_f32.warptile.nt");
	info.grid[0] = 5;
	info.grid[1] = 53;
	info.grid[2] = 1;
	info.block[0] = 256;
	info.block[1] = info.block[2] = 1;
	info.regs = 128;
	info.static_smem = 33280;
	info.local_bytes = 0;
	info.max_threads = 256;
	info.ctas_per_sm = 2;
	info.ptx_version = info.binary_version = 90;
	sb_gemm_call_init(&call, SB_NT, 8192, 640, 4096, NULL, NULL, NULL);
	sb_launch_fill(&l, name, &info, 132, "gemm", -1, &call);
	CHECK("gh-7.1: the launch's facts", strcmp(l.name,
	    "gemm_f32.warptile.nt") == 0 && l.name == name &&
	    strcmp(l.role, "gemm") == 0 && strcmp(l.layout, "nt") == 0 &&
	    l.m == 8192 && l.n == 640 && l.k == 4096 && l.grid[1] == 53 &&
	    l.block[0] == 256 && l.regs == 128 && l.static_smem == 33280 &&
	    l.ctas_per_sm == 2 && l.sms == 132 && l.layer == -1);
	/* 265 CTAs, 264 slots */
	CHECK_NEAR("gh-7.2: waves", l.waves, 265.0 / 264, 1e-12);
	CHECK_NEAR("gh-7.2: tail", l.tail_util, 1.0 / 264, 1e-12);
	CHECK_NEAR("gh-7.2: efficiency", l.efficiency, 265.0 / 528, 1e-12);
	info.ctas_per_sm = 0;
	sb_launch_fill(&l, name, &info, 132, "gemm", -1, &call);
	CHECK("gh-7.3: no CTA fits: no waves", isnan(l.waves) &&
	    isnan(l.efficiency) && l.ctas_per_sm == 0);
}

/* C of a half type from the fp64 reference, padding poisoned (0xffff):
 * what a correct half kernel leaves. */
static uint16_t *
gemm_half(const struct sb_gemm_shape *s, const float *a, const float *b,
    enum sb_dtype t)
{
	uint16_t *c = malloc((size_t)sb_gemm_c_elems(s) * sizeof(uint16_t));
	double ref, mag;

	if (c == NULL)
		exit(1);
	memset(c, 0xff, (size_t)sb_gemm_c_elems(s) * sizeof(uint16_t));
	for (int64_t i = 0; i < s->m; i++)
		for (int64_t j = 0; j < s->n; j++) {
			sb_gemm_ref_entry(s, a, b, i, j, &ref, &mag);
			c[i * s->ldc + j] = t == SB_DT_BF16 ?
			    sb_f32_to_bf16((float)ref) :
			    sb_f32_to_f16((float)ref);
		}
	return c;
}

static void
test_half_check(void)
{
	struct sb_gemm_shape s;
	struct sb_gemm_verdict v;
	struct sb_gemm_tol t;
	float *a, *b, *c32;
	uint16_t *c;
	const int64_t m = 29, n = 19, k = 67;
	int on_grid = 1, nan_kept = 1;

	/* the tolerances */
	CHECK("gh-8.1: f16 with a half C: accumulation + 2^-11",
	    sb_gemm_tol_for("f16", SB_DT_F16, &t) == 0 && t.acc == 1e-4 &&
	    t.out_unit == ldexp(1.0, -11));
	CHECK("gh-8.1: bf16 with a half C: accumulation + 2^-8",
	    sb_gemm_tol_for("bf16", SB_DT_BF16, &t) == 0 && t.acc == 1e-4 &&
	    t.out_unit == ldexp(1.0, -8));
	CHECK("gh-8.1: a half kernel with an fp32 C: accumulation only",
	    sb_gemm_tol_for("bf16", SB_DT_F32, &t) == 0 && t.acc == 1e-4 &&
	    t.out_unit == 0);
	CHECK("gh-8.1: f32 and tf32 as before",
	    sb_gemm_tol_for("f32", SB_DT_F32, &t) == 0 && t.acc == 1e-5 &&
	    t.out_unit == 0 && sb_gemm_tol_for("tf32", SB_DT_F32, &t) == 0 &&
	    t.acc == 2e-3);
	CHECK("gh-8.2: an f32 kernel with a half C, or an unknown "
	    "precision, has no tolerance",
	    sb_gemm_tol_for("f32", SB_DT_F16, &t) == -1 && isnan(t.acc) &&
	    sb_gemm_tol_for("fp16", SB_DT_F16, &t) == -1 &&
	    sb_gemm_tol_for(NULL, SB_DT_F32, &t) == -1);

	/* inputs rounded to the type, padding still NaN */
	sb_gemm_shape_init(&s, SB_NN, m, n, k, 3);
	a = malloc((size_t)sb_gemm_a_elems(&s) * sizeof(float));
	b = malloc((size_t)sb_gemm_b_elems(&s) * sizeof(float));
	if (a == NULL || b == NULL)
		exit(1);
	sb_gemm_fill(a, s.a_rows, s.a_cols, s.lda, 21);
	sb_gemm_fill(b, s.b_rows, s.b_cols, s.ldb, 22);
	sb_gemm_round(SB_DT_BF16, a, sb_gemm_a_elems(&s));
	sb_gemm_round(SB_DT_BF16, b, sb_gemm_b_elems(&s));
	for (int64_t i = 0; i < s.a_rows; i++) {
		for (int64_t j = 0; j < s.a_cols; j++)
			on_grid &= sb_round_to(SB_DT_BF16, a[i * s.lda + j]) ==
			    a[i * s.lda + j];
		nan_kept &= isnan(a[i * s.lda + s.a_cols]) != 0;
	}
	CHECK("gh-8.3: rounded inputs are bf16 values", on_grid);
	CHECK("gh-8.3: rounding keeps the NaN padding", nan_kept);

	/* a correct bf16 C passes; the same check with f16's rounding
	 * allowance fails: the output term is what lets it pass */
	c = gemm_half(&s, a, b, SB_DT_BF16);
	sb_gemm_tol_for("bf16", SB_DT_BF16, &t);
	sb_gemm_verify_typed(&s, a, b, c, SB_DT_BF16, &t, 1e12, 0, 3, &v);
	CHECK("gh-8.4: a bf16 C rounded from the reference passes", v.ok &&
	    v.err > 1e-4 && v.err <= ldexp(1.0, -8) &&
	    v.pad_written == 0 && v.nonfinite == 0);
	sb_gemm_tol_for("f16", SB_DT_F16, &t);
	sb_gemm_verify_typed(&s, a, b, c, SB_DT_BF16, &t, 1e12, 0, 3, &v);
	CHECK("gh-8.4: ... and fails with f16's allowance", !v.ok &&
	    strstr(v.why, "output rounding") != NULL);
	sb_gemm_tol_for("bf16", SB_DT_BF16, &t);

	/* read in the wrong type, the same bits are garbage */
	sb_gemm_verify_typed(&s, a, b, c, SB_DT_F16, &t, 1e12, 0, 3, &v);
	CHECK("gh-8.5: C read in the wrong half type fails", !v.ok);

	/* a write into the 16-bit padding, and a NaN, fail */
	c[4 * s.ldc + n] = 0x3c00;
	sb_gemm_verify_typed(&s, a, b, c, SB_DT_BF16, &t, 1e12, 0, 3, &v);
	CHECK("gh-8.6: a write into a half C's padding fails", !v.ok &&
	    v.pad_written == 1);
	c[4 * s.ldc + n] = SB_GEMM_POISON16;
	c[3 * s.ldc + 2] = 0x7fc0;		/* bf16 NaN */
	sb_gemm_verify_typed(&s, a, b, c, SB_DT_BF16, &t, 0, 4, 3, &v);
	CHECK("gh-8.6: a NaN in a half C fails, sampled or not", !v.ok &&
	    v.nonfinite == 1 && strstr(v.why, "[3,2]") != NULL);
	free(c);

	/* one entry off by one bf16 ulp of the sum's size is within the
	 * rounding allowance, but a k-tile left out is not */
	c = gemm_half(&s, a, b, SB_DT_BF16);
	for (int64_t j = 0; j < n; j++)
		c[7 * s.ldc + j] = sb_f32_to_bf16(0.0f);
	sb_gemm_verify_typed(&s, a, b, c, SB_DT_BF16, &t, 1e12, 0, 3, &v);
	CHECK("gh-8.7: a zeroed row of C fails the bf16 check", !v.ok &&
	    strstr(v.why, "exceeds the tolerance") != NULL);
	free(c);

	/* an fp32 C from half inputs: the accumulation bound alone */
	c32 = malloc((size_t)sb_gemm_c_elems(&s) * sizeof(float));
	if (c32 == NULL)
		exit(1);
	sb_gemm_poison(c32, sb_gemm_c_elems(&s));
	for (int64_t i = 0; i < m; i++)
		for (int64_t j = 0; j < n; j++) {
			double ref, mag;

			sb_gemm_ref_entry(&s, a, b, i, j, &ref, &mag);
			c32[i * s.ldc + j] = (float)ref;
		}
	sb_gemm_tol_for("bf16", SB_DT_F32, &t);
	sb_gemm_verify_typed(&s, a, b, c32, SB_DT_F32, &t, 1e12, 0, 3, &v);
	CHECK("gh-8.8: an fp32 C from bf16 inputs passes", v.ok &&
	    v.tol == 1e-4);
	/* the reference on unrounded inputs differs by the input rounding,
	 * which the accumulation bound must not absorb */
	for (int64_t i = 0; i < m; i++)
		for (int64_t j = 0; j < n; j++)
			c32[i * s.ldc + j] = sb_round_to(SB_DT_BF16,
			    c32[i * s.ldc + j]);
	sb_gemm_verify_typed(&s, a, b, c32, SB_DT_F32, &t, 1e12, 0, 3, &v);
	CHECK("gh-8.8: ... and a C rounded to bf16 fails it", !v.ok);
	free(c32);
	free(a);
	free(b);
}

static void
test_half_parsers(void)
{
	struct sb_gemm_selection sel;
	char err[2048];
	unsigned types = 0;
	int out_f32 = -1, rc, halfs = 0, ok = 1;

	CHECK("gh-9.1: --types f16,bf16", sb_gemm_parse_types("f16,bf16",
	    &types, err, sizeof(err)) == 0 &&
	    types == ((1u << SB_DT_F16) | (1u << SB_DT_BF16)));
	CHECK("gh-9.1: --types f32", sb_gemm_parse_types("f32", &types, err,
	    sizeof(err)) == 0 && types == 1u << SB_DT_F32);
	rc = sb_gemm_parse_types("f16,fp8", &types, err, sizeof(err));
	CHECK("gh-9.2: a bad type names itself and the valid ones", rc == -1 &&
	    strstr(err, "--types: 'fp8'") != NULL &&
	    strstr(err, "bf16") != NULL && strstr(err, "f32") != NULL);
	CHECK("gh-9.2: an empty item is refused",
	    sb_gemm_parse_types("f16,", &types, err, sizeof(err)) == -1 &&
	    sb_gemm_parse_types("", &types, err, sizeof(err)) == -1);
	CHECK("gh-9.3: --out half and f32",
	    sb_gemm_parse_out("half", &out_f32, err, sizeof(err)) == 0 &&
	    out_f32 == 0 && sb_gemm_parse_out("f32", &out_f32, err,
	    sizeof(err)) == 0 && out_f32 == 1);
	rc = sb_gemm_parse_out("f16", &out_f32, err, sizeof(err));
	CHECK("gh-9.3: a bad --out names itself and the valid ones",
	    rc == -1 && strstr(err, "'f16'") != NULL &&
	    strstr(err, "half") != NULL);

	rc = sb_gemm_parse_kernels("cublaslt", SB_GEMM_TYPES_ALL, &sel, err,
	    sizeof(err));
	CHECK("gh-9.4: a half kernel's name selects it for f16 and bf16",
	    rc == 0 && sel.count == 2 && sel.k[0].h16 == &sb_hgemm_cublaslt &&
	    sel.k[0].in == SB_DT_F16 && sel.k[1].in == SB_DT_BF16 &&
	    strcmp(sel.k[1].type, "bf16") == 0);
	rc = sb_gemm_parse_kernels("cublas", (1u << SB_DT_F32) |
	    (1u << SB_DT_BF16), &sel, err, sizeof(err));
	CHECK("gh-9.5: --types keeps only its types", rc == 0 &&
	    sel.count == 3 && sel.k[0].f32 != NULL && sel.k[1].f32 != NULL &&
	    sel.k[2].h16 == &sb_hgemm_cublas && sel.k[2].in == SB_DT_BF16);
	rc = sb_gemm_parse_kernels("warptile", 1u << SB_DT_F16, &sel, err,
	    sizeof(err));
	CHECK("gh-9.6: a kernel outside --types is refused, saying so",
	    rc == -1 && strstr(err, "'warptile'") != NULL &&
	    strstr(err, "--types f16") != NULL);
	rc = sb_gemm_parse_kernels("f16.*", SB_GEMM_TYPES_ALL, &sel, err,
	    sizeof(err));
	for (int i = 0; sb_hgemms[i] != NULL; i++)
		halfs++;
	for (int i = 0; i < sel.count; i++)
		ok &= sel.k[i].h16 == sb_hgemms[i] && sel.k[i].in == SB_DT_F16;
	CHECK("gh-9.7: 'f16.*' is every half kernel of this build, in "
	    "catalogue order", rc == 0 && sel.count == halfs && ok);
	rc = sb_gemm_parse_kernels("f16.nosuch", SB_GEMM_TYPES_ALL, &sel,
	    err, sizeof(err));
	CHECK("gh-9.8: a half kernel missing from this build names the "
	    "valid ones", rc == -1 && strstr(err, "'f16.nosuch'") != NULL &&
	    strstr(err, "of this build") != NULL &&
	    strstr(err, "f16.cublaslt") != NULL);
}

static void
test_half_plan(void)
{
	struct sb_gemm_selection sel;
	struct sb_shape_list sizes;
	struct sb_gemm_plan p;
	enum sb_layout l[2] = { SB_NN, SB_TN };
	char err[2048];
	int rc;

	if (sb_gemm_parse_kernels("cublaslt,warptile", SB_GEMM_TYPES_ALL,
	    &sel, err, sizeof(err)) != 0 || sb_gemm_parse_sizes("96x80x64",
	    &sizes, err, sizeof(err)) != 0) {
		CHECK("gh-10.0: set up", 0);
		return;
	}
	rc = sb_gemm_plan_build(&p, &sel, l, 2, &sizes, 0, 0, err,
	    sizeof(err));
	/* per layout: f32.cublas*, f16.cublas*, bf16.cublas*, warptile,
	 * f16.cublaslt, bf16.cublaslt */
	CHECK("gh-10.1: each half type gets its own cuBLAS baseline",
	    rc == 0 && p.count == 2 * 6);
	if (rc != 0)
		return;
	CHECK("gh-10.2: the baselines first, added, half C by default",
	    strcmp(p.points[0].id, "gemm.f32.cublas.nn") == 0 &&
	    strcmp(p.points[1].id, "gemm.f16.cublas.nn") == 0 &&
	    strcmp(p.points[2].id, "gemm.bf16.cublas.nn") == 0 &&
	    p.points[1].auto_baseline && p.points[2].auto_baseline &&
	    p.points[1].out == SB_DT_F16 && p.points[2].out == SB_DT_BF16 &&
	    p.points[0].out == SB_DT_F32);
	CHECK("gh-10.3: the half kernels after the float ones, ids with "
	    "their input type",
	    strcmp(p.points[3].id, "gemm.f32.warptile.nn") == 0 &&
	    strcmp(p.points[4].id, "gemm.f16.cublaslt.nn") == 0 &&
	    strcmp(p.points[5].id, "gemm.bf16.cublaslt.nn") == 0 &&
	    strcmp(p.points[5].precision, "bf16") == 0);
	CHECK("gh-10.4: each half kernel's baseline is cuBLAS of its type",
	    p.points[3].baseline_idx == 0 && p.points[4].baseline_idx == 1 &&
	    p.points[5].baseline_idx == 2 && p.points[1].baseline_idx == -1 &&
	    p.points[11].baseline_idx == 8);
	sb_gemm_plan_free(&p);

	rc = sb_gemm_plan_build(&p, &sel, l, 1, &sizes, 0, 1, err,
	    sizeof(err));
	CHECK("gh-10.5: --out f32: an fp32 C, the id says so", rc == 0 &&
	    p.count == 6 &&
	    strcmp(p.points[1].id, "gemm.f16-f32.cublas.nn") == 0 &&
	    strcmp(p.points[5].id, "gemm.bf16-f32.cublaslt.nn") == 0 &&
	    strcmp(p.points[5].precision, "bf16-f32") == 0 &&
	    p.points[5].out == SB_DT_F32 && p.points[5].kern.in ==
	    SB_DT_BF16 && strcmp(p.points[3].id, "gemm.f32.warptile.nn") ==
	    0 && p.points[5].baseline_idx == 2);
	if (rc == 0)
		sb_gemm_plan_free(&p);
}

/* The row-major call onto the column-major library (gemm_cublaslt.h's
 * table), checked by multiplying through it: the library's
 * D(r,c) = Σ_p op(first)(r,p)·op(second)(p,c) read from the stored
 * column-major operands must be our C(c,r). */
static void
test_lib_plan(void)
{
	static const enum sb_layout ls[3] = { SB_NT, SB_TN, SB_NN };
	const int64_t m = 5, n = 4, k = 3, pad = 2;
	struct sb_hgemm_lib_plan lp;
	struct sb_hgemm_call c;
	char err[256];
	uint16_t dummy[4];
	int rc;

	for (int q = 0; q < 3; q++) {
		struct sb_gemm_shape s;
		float a[64], b[64];
		double worst = 0;

		sb_gemm_shape_init(&s, ls[q], m, n, k, pad);
		sb_gemm_fill(a, s.a_rows, s.a_cols, s.lda, 31);
		sb_gemm_fill(b, s.b_rows, s.b_cols, s.ldb, 32);
		sb_hgemm_call_init(&c, ls[q], SB_DT_F16, SB_DT_F16, m, n, k,
		    dummy, dummy, dummy);
		c.lda = s.lda;
		c.ldb = s.ldb;
		c.ldc = s.ldc;
		rc = sb_hgemm_lib_plan(&c, 1, &lp, err, sizeof(err));
		CHECK("gh-11.1: a plain call plans", rc == 0 &&
		    lp.bias == SB_HB_NONE && !lp.bgradb && lp.beta == 0 &&
		    lp.d_rows == n && lp.d_cols == m && lp.d_ld == s.ldc);
		CHECK("gh-11.1: stored shapes fit their leading dimensions",
		    lp.first_rows <= lp.first_ld &&
		    lp.second_rows <= lp.second_ld &&
		    (lp.first_t ? lp.first_cols : lp.first_rows) == n &&
		    (lp.second_t ? lp.second_rows : lp.second_cols) == m);
		for (int64_t r = 0; r < lp.d_rows; r++)
			for (int64_t cc = 0; cc < lp.d_cols; cc++) {
				double d = 0, ref, mag;

				for (int64_t p = 0; p < k; p++) {
					/* column-major X(i,j) = x[i + j·ld] */
					double f = lp.first_t ?
					    b[p + r * lp.first_ld] :
					    b[r + p * lp.first_ld];
					double g = lp.second_t ?
					    a[cc + p * lp.second_ld] :
					    a[p + cc * lp.second_ld];

					d += f * g;
				}
				sb_gemm_ref_entry(&s, a, b, cc, r, &ref, &mag);
				if (!(fabs(d - ref) <= worst))
					worst = isnan(d) ? INFINITY :
					    fabs(d - ref);
			}
		CHECK(q == 0 ? "gh-11.2: NT through the library is C" :
		    q == 1 ? "gh-11.2: TN through the library is C" :
		    "gh-11.2: NN through the library is C", worst <= 1e-12);
	}

	/* bias: the epilogue where its type is D's, else broadcast */
	sb_hgemm_call_init(&c, SB_NT, SB_DT_BF16, SB_DT_BF16, m, n, k, dummy,
	    dummy, dummy);
	c.bias = dummy;
	CHECK("gh-11.3: cuBLASLt, half C: the BIAS epilogue, beta 0",
	    sb_hgemm_lib_plan(&c, 1, &lp, err, sizeof(err)) == 0 &&
	    lp.bias == SB_HB_EPILOGUE && lp.beta == 0);
	CHECK("gh-11.3: cublasGemmEx: broadcast, beta 1",
	    sb_hgemm_lib_plan(&c, 0, &lp, err, sizeof(err)) == 0 &&
	    lp.bias == SB_HB_BROADCAST && lp.beta == 1);
	c.out = SB_DT_F32;
	CHECK("gh-11.3: cuBLASLt, fp32 C (bias must be D's type): "
	    "broadcast", sb_hgemm_lib_plan(&c, 1, &lp, err,
	    sizeof(err)) == 0 && lp.bias == SB_HB_BROADCAST && lp.beta == 1);

	/* bgrad: BGRADB on TN only, cuBLASLt only */
	sb_hgemm_call_init(&c, SB_TN, SB_DT_F16, SB_DT_F16, m, n, k, dummy,
	    dummy, dummy);
	c.bgrad = dummy;
	CHECK("gh-11.4: TN bgrad is BGRADB", sb_hgemm_lib_plan(&c, 1, &lp,
	    err, sizeof(err)) == 0 && lp.bgradb && lp.second_t &&
	    !lp.first_t && lp.d_cols == m);
	c.bias = dummy;
	CHECK("gh-11.4: with a bias too, the bias is broadcast",
	    sb_hgemm_lib_plan(&c, 1, &lp, err, sizeof(err)) == 0 &&
	    lp.bgradb && lp.bias == SB_HB_BROADCAST && lp.beta == 1);
	c.bias = NULL;
	rc = sb_hgemm_lib_plan(&c, 0, &lp, err, sizeof(err));
	CHECK("gh-11.5: cublasGemmEx refuses bgrad, naming cuBLASLt",
	    rc == -1 && strstr(err, "cuBLASLt") != NULL);
	c.layout = SB_NN;
	rc = sb_hgemm_lib_plan(&c, 1, &lp, err, sizeof(err));
	CHECK("gh-11.5: bgrad on nn is refused, naming tn", rc == -1 &&
	    strstr(err, "tn only, not nn") != NULL);

	/* int dimensions for GemmEx */
	sb_hgemm_call_init(&c, SB_NN, SB_DT_F16, SB_DT_F16, 4, 3000000000LL,
	    2, dummy, dummy, dummy);
	rc = sb_hgemm_lib_plan(&c, 0, &lp, err, sizeof(err));
	CHECK("gh-11.6: GemmEx refuses n above INT_MAX", rc == -1 &&
	    strstr(err, "n=3000000000") != NULL &&
	    strstr(err, "INT_MAX") != NULL);
	CHECK("gh-11.6: cuBLASLt takes it (64-bit layouts)",
	    sb_hgemm_lib_plan(&c, 1, &lp, err, sizeof(err)) == 0);
}

static void
test_lt_key(void)
{
	struct sb_hgemm_lt_key x, y;
	struct sb_hgemm_call c;
	static char buf[256] __attribute__((aligned(256)));
	char desc[128];

	CHECK("gh-12.1: pointer alignment, capped at 256",
	    sb_ptr_align(buf) == 256 && sb_ptr_align(buf + 2) == 2 &&
	    sb_ptr_align(buf + 16) == 16 && sb_ptr_align(buf + 1) == 1 &&
	    sb_ptr_align(NULL) == 256);
	sb_hgemm_call_init(&c, SB_TN, SB_DT_F16, SB_DT_F16, 64, 32, 16, buf,
	    buf + 64, buf + 128);
	sb_hgemm_lt_key_make(&c, (void *)buf, 1024, &x);
	sb_hgemm_lt_key_make(&c, (void *)buf, 1024, &y);
	CHECK("gh-12.2: the same call, the same key",
	    sb_hgemm_lt_key_equal(&x, &y));
	c.a = buf + 2;
	sb_hgemm_lt_key_make(&c, (void *)buf, 1024, &y);
	CHECK("gh-12.3: a less aligned operand is another key",
	    !sb_hgemm_lt_key_equal(&x, &y) && y.align_a == 2);
	c.a = buf + 256;
	sb_hgemm_lt_key_make(&c, (void *)buf, 1024, &y);
	CHECK("gh-12.3: an operand at another address of the same "
	    "alignment is not", x.align_a == 256 && y.align_a == 256 &&
	    sb_hgemm_lt_key_equal(&x, &y));
	c.a = buf;
	c.bias = buf + 8;
	sb_hgemm_lt_key_make(&c, (void *)buf, 1024, &y);
	CHECK("gh-12.4: a bias is another key", !sb_hgemm_lt_key_equal(&x,
	    &y) && y.bias && y.align_bias == 8);
	c.bias = NULL;
	c.ldb = 40;
	sb_hgemm_lt_key_make(&c, (void *)buf, 1024, &y);
	CHECK("gh-12.5: a leading dimension is part of the key",
	    !sb_hgemm_lt_key_equal(&x, &y));
	c.ldb = 32;
	c.out = SB_DT_F32;
	sb_hgemm_lt_key_make(&c, (void *)buf, 1024, &y);
	CHECK("gh-12.5: so is the output type", !sb_hgemm_lt_key_equal(&x,
	    &y));
	c.out = SB_DT_F16;
	sb_hgemm_lt_key_make(&c, (void *)(buf + 1), 1024, &y);
	CHECK("gh-12.6: and the handle, and the workspace",
	    !sb_hgemm_lt_key_equal(&x, &y) &&
	    (sb_hgemm_lt_key_make(&c, (void *)buf, 2048, &y),
	    !sb_hgemm_lt_key_equal(&x, &y)));
	CHECK("gh-12.7: no algorithm is known before a call has run",
	    sb_hgemm_cublaslt_algo(&c, desc, sizeof(desc)) == -1 &&
	    desc[0] == '\0');
}

/* int8: a correct C (s32 sums or the f32 epilogue), padding poisoned */
static void *
gemm_s8(const struct sb_gemm_shape *s, const int8_t *a, const int8_t *b,
    const struct sb_gemm_s8_epi *epi)
{
	uint32_t *c = malloc((size_t)sb_gemm_c_elems(s) * 4);

	if (c == NULL)
		exit(1);
	memset(c, 0xff, (size_t)sb_gemm_c_elems(s) * 4);
	for (int64_t i = 0; i < s->m; i++)
		for (int64_t j = 0; j < s->n; j++) {
			int32_t acc = sb_gemm_s8_entry(s, a, b, i, j);

			if (epi == NULL)
				memcpy(&c[i * s->ldc + j], &acc, 4);
			else {
				float v = sb_gemm_s8_epilogue(acc, epi, j);

				memcpy(&c[i * s->ldc + j], &v, 4);
			}
		}
	return c;
}

static void
test_s8_check(void)
{
	struct sb_gemm_shape s;
	struct sb_gemm_verdict v;
	struct sb_gemm_s8_epi epi = { 1.0f / 64, 0.01f, NULL };
	int8_t *a, *b;
	int32_t *c;
	float *cf, bias[7];
	int lo = 0, hi = 0, pad_ok = 1;
	int64_t exact = 0;

	sb_gemm_shape_init(&s, SB_NT, 9, 7, 13, 3);
	a = malloc((size_t)sb_gemm_a_elems(&s));
	b = malloc((size_t)sb_gemm_b_elems(&s));
	if (a == NULL || b == NULL)
		exit(1);
	sb_gemm_fill_s8(a, s.a_rows, s.a_cols, s.lda, 7);
	sb_gemm_fill_s8(b, s.b_rows, s.b_cols, s.ldb, 8);
	for (int64_t i = 0; i < s.a_rows; i++) {
		for (int64_t j = 0; j < s.a_cols; j++) {
			lo |= a[i * s.lda + j] < -100;
			hi |= a[i * s.lda + j] > 100;
		}
		for (int64_t j = s.a_cols; j < s.lda; j++)
			pad_ok &= a[i * s.lda + j] > 0;
	}
	CHECK("gh-13.1: int8 inputs span the range, padding non-zero",
	    lo && hi && pad_ok);
	for (int64_t p = 0; p < s.k; p++)
		exact += (int64_t)a[2 * s.lda + p] * b[5 * s.ldb + p];
	CHECK("gh-13.1: an entry is the exact integer sum",
	    sb_gemm_s8_entry(&s, a, b, 2, 5) == exact);

	c = gemm_s8(&s, a, b, NULL);
	sb_gemm_verify_s8(&s, a, b, c, SB_DT_S32, NULL, 1e12, 0, 1, &v);
	CHECK("gh-13.2: a correct s32 C passes, fully, error 0", v.ok &&
	    strcmp(v.mode, "full") == 0 && v.err == 0 && v.compared == 63);
	c[4 * s.ldc + 6] += 1;
	sb_gemm_verify_s8(&s, a, b, c, SB_DT_S32, NULL, 1e12, 0, 1, &v);
	CHECK("gh-13.3: one sum off by one fails, naming it", !v.ok &&
	    strstr(v.why, "1 of 63") != NULL &&
	    strstr(v.why, "[4,6]") != NULL);
	c[4 * s.ldc + 6] -= 1;
	c[8 * s.ldc + 6] -= 1;
	sb_gemm_verify_s8(&s, a, b, c, SB_DT_S32, NULL, 0, 5, 1, &v);
	CHECK("gh-13.4: sampled, a wrong corner still fails", !v.ok &&
	    strcmp(v.mode, "sampled") == 0 && v.compared == 9 &&
	    strstr(v.why, "[8,6]") != NULL);
	c[8 * s.ldc + 6] += 1;
	c[3 * s.ldc + 7] = 0;
	sb_gemm_verify_s8(&s, a, b, c, SB_DT_S32, NULL, 1e12, 0, 1, &v);
	CHECK("gh-13.5: a write into C's padding fails", !v.ok &&
	    v.pad_written == 1 && strstr(v.why, "padding") != NULL);
	free(c);

	for (int j = 0; j < 7; j++)
		bias[j] = 0.25f * (float)(j - 3);
	epi.bias = bias;
	cf = gemm_s8(&s, a, b, &epi);
	sb_gemm_verify_s8(&s, a, b, cf, SB_DT_F32, &epi, 1e12, 0, 1, &v);
	CHECK("gh-13.6: the f32 epilogue passes", v.ok);
	cf[1 * s.ldc + 2] = nextafterf(cf[1 * s.ldc + 2], INFINITY);
	sb_gemm_verify_s8(&s, a, b, cf, SB_DT_F32, &epi, 1e12, 0, 1, &v);
	CHECK("gh-13.6: one ulp off passes", v.ok);
	cf[1 * s.ldc + 2] = nextafterf(cf[1 * s.ldc + 2], INFINITY);
	sb_gemm_verify_s8(&s, a, b, cf, SB_DT_F32, &epi, 1e12, 0, 1, &v);
	CHECK("gh-13.7: two ulps off fails", !v.ok &&
	    strstr(v.why, "[1,2]") != NULL);
	cf[1 * s.ldc + 2] = NAN;
	sb_gemm_verify_s8(&s, a, b, cf, SB_DT_F32, &epi, 1e12, 0, 1, &v);
	CHECK("gh-13.7: NaN fails", !v.ok && v.nonfinite == 1);
	sb_gemm_verify_s8(&s, a, b, cf, SB_DT_F32, NULL, 1e12, 0, 1, &v);
	CHECK("gh-13.8: f32 without the epilogue's operands is refused",
	    !v.ok && strstr(v.why, "want s32 without or f32 with") != NULL);
	free(cf);
	free(a);
	free(b);
}

static void
test_s8_plan(void)
{
	struct sb_gemm_selection sel, mixed;
	struct sb_shape_list sizes;
	struct sb_gemm_plan p;
	enum sb_layout l[2] = { SB_TN, SB_NT };
	unsigned types = 0;
	char err[2048];
	int rc, out = -1, count = 0, ok = 1;

	CHECK("gh-13.9: --types s8", sb_gemm_parse_types("s8,f16", &types,
	    err, sizeof(err)) == 0 && types == ((1u << SB_DT_S8) |
	    (1u << SB_DT_F16)));
	rc = sb_gemm_parse_types("s32", &types, err, sizeof(err));
	CHECK("gh-13.9: s32 is not an input type", rc == -1 &&
	    strstr(err, "'s32'") != NULL && strstr(err, "s8") != NULL);
	CHECK("gh-13.9: --out s32", sb_gemm_parse_out("s32", &out, err,
	    sizeof(err)) == 0 && out == SB_GEMM_OUT_S32);
	CHECK("gh-13.9: s8 is not in the default types",
	    !(SB_GEMM_TYPES_ALL & (1u << SB_DT_S8)));

	rc = sb_gemm_parse_kernels("*", 1u << SB_DT_S8, &sel, err,
	    sizeof(err));
	for (int i = 0; sb_igemms[i] != NULL; i++)
		count++;
	for (int i = 0; rc == 0 && i < sel.count; i++)
		ok &= sel.k[i].s8 == sb_igemms[i] && sel.k[i].in == SB_DT_S8 &&
		    strcmp(sel.k[i].type, "s8") == 0;
	CHECK("gh-13.10: '*' of --types s8 is every int8 GEMM", rc == 0 &&
	    sel.count == count && count >= 3 && ok);
	CHECK("gh-13.10: --out s32 with s8 alone, f32 too",
	    sb_gemm_check_out(&sel, SB_GEMM_OUT_S32, err, sizeof(err)) == 0 &&
	    sb_gemm_check_out(&sel, SB_GEMM_OUT_F32, err, sizeof(err)) == 0);
	rc = sb_gemm_check_out(&sel, SB_GEMM_OUT_HALF, err, sizeof(err));
	CHECK("gh-13.11: --out half with s8 is refused", rc == -1 &&
	    strstr(err, "--out half") != NULL && strstr(err, "s32") != NULL);
	if (sb_gemm_parse_kernels("cublaslt", (1u << SB_DT_S8) |
	    (1u << SB_DT_F16), &mixed, err, sizeof(err)) != 0 ||
	    sb_gemm_parse_sizes("64x48x32", &sizes, err, sizeof(err)) != 0) {
		CHECK("gh-13.0: set up", 0);
		return;
	}
	rc = sb_gemm_check_out(&mixed, SB_GEMM_OUT_S32, err, sizeof(err));
	CHECK("gh-13.11: --out s32 with half kernels is refused", rc == -1 &&
	    strstr(err, "f16") != NULL);

	rc = sb_gemm_plan_build(&p, &sel, l, 1, &sizes, 0, SB_GEMM_OUT_HALF,
	    err, sizeof(err));
	CHECK("gh-13.12: s8 without nt is refused, saying so", rc == -1 &&
	    strstr(err, "nt") != NULL && strstr(err, "s8") != NULL);
	rc = sb_gemm_plan_build(&p, &sel, l, 2, &sizes, 0, SB_GEMM_OUT_HALF,
	    err, sizeof(err));
	CHECK("gh-13.13: s8 at nt only, cuBLASLt s8 first, s32 C", rc == 0 &&
	    p.count == count &&
	    strcmp(p.points[0].id, "gemm.s8.cublaslt.nt") == 0 &&
	    strcmp(p.points[1].id, "gemm.s8.dp4a.nt") == 0 &&
	    p.points[0].baseline_idx == -1 && p.points[1].baseline_idx == 0 &&
	    p.points[2].baseline_idx == 0 && p.points[1].out == SB_DT_S32 &&
	    strcmp(p.points[2].precision, "s8") == 0);
	if (rc == 0)
		sb_gemm_plan_free(&p);
	rc = sb_gemm_plan_build(&p, &sel, l, 2, &sizes, 0, SB_GEMM_OUT_F32,
	    err, sizeof(err));
	CHECK("gh-13.14: --out f32: s8-f32 ids, an fp32 C", rc == 0 &&
	    strcmp(p.points[1].id, "gemm.s8-f32.dp4a.nt") == 0 &&
	    p.points[1].out == SB_DT_F32 && p.points[1].kern.in == SB_DT_S8);
	if (rc == 0)
		sb_gemm_plan_free(&p);
	rc = sb_gemm_plan_build(&p, &mixed, l, 2, &sizes, 0,
	    SB_GEMM_OUT_HALF, err, sizeof(err));
	/* tn: f16.cublas*, f16.cublaslt; nt: f16.cublas*, s8.cublaslt (a
	 * baseline: before the other kernels), f16.cublaslt */
	CHECK("gh-13.15: mixed with half kernels: s8 left out of tn",
	    rc == 0 && p.count == 5 &&
	    strcmp(p.points[1].id, "gemm.f16.cublaslt.tn") == 0 &&
	    strcmp(p.points[3].id, "gemm.s8.cublaslt.nt") == 0 &&
	    p.points[3].baseline_idx == -1 && p.points[4].baseline_idx == 2);
	if (rc == 0)
		sb_gemm_plan_free(&p);
}

int
main(void)
{
	test_shape();
	test_fill();
	test_reference();
	test_verify();
	test_parsers();
	test_plan();
	test_launch();
	test_half_check();
	test_half_parsers();
	test_half_plan();
	test_lib_plan();
	test_lt_key();
	test_s8_check();
	test_s8_plan();
	return check_summary("test_gemm_host");
}
