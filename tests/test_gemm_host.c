/*
 * tests/test_gemm_host.c — the host side of `stepbench gemm`, no GPU:
 * operand storage with padded leading dimensions in every layout, the
 * fixed-seed inputs, the fp64 check (full and sampled) and what it must
 * refuse (a wrong entry, NaN, writes into C's padding, an unknown
 * precision), the kernel / layout / size parsers, the plan with its
 * cuBLAS baselines, and a described launch turned into a db row.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "testkit.h"
#include "gemm_bench.h"
#include "gemm_host.h"
#include "gpu.h"
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

	sb_gemm_verify(&s, a, b, c, sb_gemm_base_tol("bf16"), 1e12, 0, 3, &v);
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
	CHECK("gh-5.1: '*' selects the whole catalogue, in its order",
	    sb_gemm_parse_kernels("*", &sel, err, sizeof(err)) == 0 &&
	    sel.count == total && sel.impl[0] == sb_gemms_f32[0] &&
	    sel.impl[total - 1] == sb_gemms_f32[total - 1]);
	rc = sb_gemm_parse_kernels("tf32.*,warptile,gemm.f32.naive", &sel,
	    err, sizeof(err));
	CHECK("gh-5.2: globs over <precision>.<name>, the name, the id",
	    rc == 0 && sel.count == 4 &&
	    strcmp(sel.impl[0]->name, "naive") == 0 &&
	    strcmp(sel.impl[1]->name, "warptile") == 0 &&
	    strcmp(sel.impl[2]->precision, "tf32") == 0 &&
	    strcmp(sel.impl[3]->precision, "tf32") == 0);
	CHECK("gh-5.3: a repeated kernel is selected once",
	    sb_gemm_parse_kernels("warptile,f32.warptile", &sel, err,
	    sizeof(err)) == 0 && sel.count == 1);
	rc = sb_gemm_parse_kernels("warptile,bogus", &sel, err, sizeof(err));
	CHECK("gh-5.4: an unmatched glob names itself and the kernels",
	    rc == -1 && strstr(err, "'bogus'") != NULL &&
	    strstr(err, "f32.warptile") != NULL &&
	    strstr(err, "tf32.cublas") != NULL);
	CHECK("gh-5.4: an empty --kernels is refused",
	    sb_gemm_parse_kernels(",", &sel, err, sizeof(err)) == -1 &&
	    strstr(err, "empty") != NULL);

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

	if (sb_gemm_parse_kernels("warptile,tf32.mma,f32.naive", &sel, err,
	    sizeof(err)) != 0 || sb_gemm_parse_sizes("64x64x64,128x64x32",
	    &sizes, err, sizeof(err)) != 0) {
		CHECK("gh-6.0: set up", 0);
		return;
	}
	rc = sb_gemm_plan_build(&p, &sel, l, 2, &sizes, 4, err, sizeof(err));
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
	sb_gemm_parse_kernels("f32.cublas,warptile", &sel, err, sizeof(err));
	rc = sb_gemm_plan_build(&p, &sel, l, 1, &sizes, 0, err, sizeof(err));
	CHECK("gh-6.7: an asked-for baseline is measured once, unmarked",
	    rc == 0 && p.count == 4 && !p.points[0].auto_baseline &&
	    strcmp(p.points[0].id, "gemm.f32.cublas.nt") == 0 &&
	    p.points[1].baseline_idx == 0);
	CHECK("gh-6.8: the baseline of a family is cuBLAS of its precision",
	    sb_gemm_baseline_of(sel.impl[0]) == sel.impl[1] &&
	    sb_gemm_baseline_of(sel.impl[1]) == sel.impl[1]);
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
	return check_summary("test_gemm_host");
}
