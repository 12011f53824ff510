/*
 * tests/test_check.c — the correctness check itself: it passes a correct
 * fp32 step, catches wrong values in every tensor family, never passes NaN,
 * and does not call cancellation the data forces a bug.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testkit.h"
#include "check.h"
#include "hstep.h"
#include "ref_step.h"

struct fixture {
	struct sb_hstep_f32	init, got;
	struct sb_hstep_f64	ref;
};

static void	setup(struct fixture *, int64_t, int64_t, int64_t, int);
static void	teardown(struct fixture *);
static int	full_ok(struct fixture *, struct sb_check *);
static int	sampled_ok(struct fixture *, struct sb_check *);
static void	test_correct(void);
static void	test_corrupt(void);
static void	test_cancellation(void);

static void
setup(struct fixture *f, int64_t m, int64_t n, int64_t k, int layers)
{
	struct sb_dims d;

	sb_dims_init(&d, m, n, k, layers);
	if (sb_hstep_f32_alloc(&f->init, &d, 1) ||
	    sb_hstep_f32_alloc(&f->got, &d, 1) ||
	    sb_hstep_f64_alloc(&f->ref, &d, 1)) {
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
	sb_hstep_fill_inputs(&f->init, 7, 0);
	sb_hstep_widen_inputs(&f->ref, &f->init);
	ref_step_f64(&f->ref, 1, NULL, NULL);
	sb_hstep_copy_inputs(&f->got, &f->init);
	sb_hstep_poison(&f->got);
	ref_step_f32(&f->got, 1, NULL, NULL);
}

static void
teardown(struct fixture *f)
{
	sb_hstep_f32_free(&f->init);
	sb_hstep_f32_free(&f->got);
	sb_hstep_f64_free(&f->ref);
}

static int
full_ok(struct fixture *f, struct sb_check *c)
{
	sb_check_full(&f->ref, &f->init, &f->got, 1, 1e-5, 1, c);
	return c->ok;
}

static int
sampled_ok(struct fixture *f, struct sb_check *c)
{
	sb_check_sampled(&f->init, &f->got, 1, 1e-5, 1, 128, c);
	return c->ok;
}

static void
test_correct(void)
{
	struct fixture f;
	struct sb_check c;

	setup(&f, 33, 17, 9, 2);
	CHECK("check-1.1: a correct fp32 step passes the full check",
	    full_ok(&f, &c));
	CHECK("check-1.2: every family was compared",
	    !isnan(c.err[SB_CK_Y]) && !isnan(c.err[SB_CK_LOSS]) &&
	    !isnan(c.err[SB_CK_DW]) && !isnan(c.err[SB_CK_DB]) &&
	    !isnan(c.err[SB_CK_DX]) && !isnan(c.err[SB_CK_W]));
	CHECK("check-1.3: fp32 errors are small but not zero",
	    c.err[SB_CK_Y] > 0 && c.err[SB_CK_Y] < 1e-6);
	CHECK("check-1.4: the mode says full", strcmp(c.mode, "full") == 0);
	CHECK("check-1.5: a correct step passes the sampled check",
	    sampled_ok(&f, &c) && strcmp(c.mode, "sampled") == 0);
	teardown(&f);
}

static void
test_corrupt(void)
{
	struct fixture f;
	struct sb_check c;
	float save;

	setup(&f, 40, 24, 16, 2);
	save = f.got.y[1][7];
	f.got.y[1][7] += 1e-2f;
	CHECK("check-2.1: one wrong output element fails the full check",
	    !full_ok(&f, &c) && strstr(c.why, "y error") != NULL);
	f.got.y[1][7] = save;

	save = f.got.dw[0][3];
	f.got.dw[0][3] *= 1.01f;
	CHECK("check-2.2: a 1% error in one weight gradient fails",
	    !full_ok(&f, &c) && strstr(c.why, "dw") != NULL);
	f.got.dw[0][3] = save;

	save = f.got.db[1][2];
	f.got.db[1][2] = NAN;
	CHECK("check-2.3: NaN never passes (full)", !full_ok(&f, &c) &&
	    strstr(c.why, "NaN") != NULL);
	CHECK("check-2.4: NaN never passes (sampled)", !sampled_ok(&f, &c));
	f.got.db[1][2] = save;

	f.got.loss *= 1.001;
	CHECK("check-2.5: a wrong loss fails",
	    !full_ok(&f, &c) && strstr(c.why, "loss") != NULL);
	CHECK("check-2.6: ... and fails the sampled check too",
	    !sampled_ok(&f, &c));
	f.got.loss /= 1.001;

	save = f.got.w[1][5];
	f.got.w[1][5] += 1e-3f;
	CHECK("check-2.7: a wrong SGD update fails", !full_ok(&f, &c) &&
	    strstr(c.why, "w error") != NULL);
	f.got.w[1][5] = save;

	/* a transposed weight gradient: every element of dw[0] wrong */
	for (int64_t j = 0; j < 16; j++)
		for (int64_t p = j + 1; p < 16; p++) {
			float t = f.got.dw[0][j * 16 + p];

			f.got.dw[0][j * 16 + p] = f.got.dw[0][p * 16 + j];
			f.got.dw[0][p * 16 + j] = t;
		}
	CHECK("check-2.8: a transposed dw fails the sampled check",
	    !sampled_ok(&f, &c));
	CHECK("check-2.9: ... and the full check", !full_ok(&f, &c));
	teardown(&f);

	setup(&f, 40, 24, 16, 2);
	for (int64_t i = 0; i < 40 * 16; i++)
		f.got.dx[i] = -f.got.dx[i];
	CHECK("check-2.10: a sign error in dx fails",
	    !full_ok(&f, &c) && strstr(c.why, "dx") != NULL);
	for (int64_t i = 0; i < 40 * 16; i++)
		f.got.dx[i] = -f.got.dx[i];
	CHECK("check-2.11: restored, it passes again", full_ok(&f, &c));
	teardown(&f);
}

/*
 * A bias gradient whose terms cancel: dy alternates ±0.01 down each column
 * plus a small drift, so db is ~4e-4 while its 512 terms sum to 5.12 in
 * magnitude.  A sequential fp32 sum of random-sign terms is typically off
 * by about one ulp of that magnitude (FLT_EPSILON·Σ|dy| ≈ 6e-7): a relative
 * error of ~1.5e-3 that no correct fp32 implementation can avoid.  The conditioning must absorb
 * it, and still reject an error the size of one term.
 */
static void
test_cancellation(void)
{
	struct fixture f;
	struct sb_check c;
	const int64_t m = 512, n = 3;
	double sum[3] = { 0, 0, 0 }, mag[3] = { 0, 0, 0 };

	setup(&f, m, n, 4, 1);
	for (int64_t i = 0; i < m; i++)
		for (int64_t j = 0; j < n; j++) {
			float v = (i % 2 ? 0.01f : -0.01f) +
			    (float)(i * n + j) * 1e-9f;

			f.ref.dy[0][i * n + j] = v;
			f.got.dy[0][i * n + j] = v;
			sum[j] += v;
			mag[j] += fabs(v);
		}
	for (int64_t j = 0; j < n; j++) {
		f.ref.db[0][j] = sum[j];
		f.got.db[0][j] = (float)(sum[j] + FLT_EPSILON * mag[j]);
	}
	sb_check_full(&f.ref, &f.init, &f.got, 1, 1e-5, 1, &c);
	CHECK("check-3.1: the rounding-sized error is large relative to db",
	    c.err[SB_CK_DB] > 1e-3);
	CHECK("check-3.2: conditioning is large for a cancelling sum",
	    c.cond[SB_CK_DB] > 100);
	CHECK("check-3.3: rounding forced by cancellation passes",
	    !isnan(c.err[SB_CK_DB]) && c.err[SB_CK_DB] <= c.tol[SB_CK_DB]);
	f.got.db[0][1] += 0.01f;
	sb_check_full(&f.ref, &f.init, &f.got, 1, 1e-5, 1, &c);
	CHECK("check-3.4: an error the size of one term still fails",
	    !c.ok && strstr(c.why, "db") != NULL);
	teardown(&f);
}

int
main(void)
{
	test_correct();
	test_corrupt();
	test_cancellation();
	return check_summary("test_check");
}
