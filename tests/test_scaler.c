/*
 * tests/test_scaler.c — GradScaler's state machine in plain C
 * (kernels/scaler.c), every transition:
 *
 *   scaler-1  defaults and init
 *   scaler-2  growth after exactly interval good steps, not interval - 1
 *   scaler-3  overflow: backoff, skip, tracker reset
 *   scaler-4  an overflow mid-way restarts the count
 *   scaler-5  a growth that would make the scale inf keeps it (tracker
 *             still reset); the largest finite growth happens
 *   scaler-6  repeated backoff down to float's subnormals and 0; 0 is
 *             absorbing; inv_scale becomes inf at 2^-128
 *   scaler-7  interval 1: every good step grows
 *   scaler-8  cfg_check rejects each bad value, naming it
 *   scaler-9  inv_scale: exact for powers of two, the nearest float of
 *             1/S otherwise
 *   scaler-10 found_inf is any nonzero value; return values
 *   scaler-11 a tracker at or past interval never grows and never
 *             overflows
 *   scaler-12 non-default factors: float arithmetic equals PyTorch's
 *             float·double rounded to float
 */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "testkit.h"
#include "scaler.h"

static struct sb_scaler_cfg
cfg_make(float init, float growth, float backoff, int interval)
{
	struct sb_scaler_cfg c;

	c.init_scale = init;
	c.growth = growth;
	c.backoff = backoff;
	c.interval = interval;
	return c;
}

static void
scaler_1_defaults(void)
{
	struct sb_scaler_cfg c;
	struct sb_scaler st;
	char why[256];

	memset(&c, 0xff, sizeof(c));
	sb_scaler_cfg_default(&c);
	CHECK("scaler-1.1: default init_scale 65536", c.init_scale == 65536.0f);
	CHECK("scaler-1.2: default growth 2", c.growth == 2.0f);
	CHECK("scaler-1.3: default backoff 0.5", c.backoff == 0.5f);
	CHECK("scaler-1.4: default interval 2000", c.interval == 2000);
	CHECK("scaler-1.5: defaults pass the check",
	    sb_scaler_cfg_check(&c, why, sizeof(why)) == 0 && why[0] == '\0');
	memset(&st, 0xff, sizeof(st));
	sb_scaler_init(&st, &c);
	CHECK("scaler-1.6: init sets the scale", st.scale == 65536.0f);
	CHECK("scaler-1.7: init clears the tracker", st.growth_tracker == 0);
}

static void
scaler_2_growth(void)
{
	const int intervals[] = { 2000, 5, 2 };

	for (size_t k = 0; k < sizeof(intervals) / sizeof(intervals[0]); k++) {
		struct sb_scaler_cfg c = cfg_make(1024, 2, 0.5f, intervals[k]);
		struct sb_scaler st;
		int ok = 1;

		sb_scaler_init(&st, &c);
		for (int i = 1; i < c.interval; i++) {
			ok &= sb_scaler_update(&st, &c, 0) == 0;
			ok &= st.scale == 1024.0f && st.growth_tracker == i;
		}
		CHECK("scaler-2.1: no growth after interval - 1 good steps",
		    ok);
		CHECK("scaler-2.2: the interval-th good step is not skipped",
		    sb_scaler_update(&st, &c, 0) == 0);
		CHECK("scaler-2.3: the interval-th good step doubles the scale",
		    st.scale == 2048.0f);
		CHECK("scaler-2.4: growth resets the tracker",
		    st.growth_tracker == 0);
		/* and again: the next growth is another full interval away */
		for (int i = 1; i < c.interval; i++)
			sb_scaler_update(&st, &c, 0);
		CHECK("scaler-2.5: no second growth one step early",
		    st.scale == 2048.0f &&
		    st.growth_tracker == c.interval - 1);
		sb_scaler_update(&st, &c, 0);
		CHECK("scaler-2.6: second growth on time", st.scale == 4096.0f &&
		    st.growth_tracker == 0);
	}
}

static void
scaler_3_overflow(void)
{
	struct sb_scaler_cfg c;
	struct sb_scaler st;

	sb_scaler_cfg_default(&c);
	sb_scaler_init(&st, &c);
	st.growth_tracker = 1234;
	CHECK("scaler-3.1: an overflow is a skipped step",
	    sb_scaler_update(&st, &c, 1) == 1);
	CHECK("scaler-3.2: an overflow halves the scale", st.scale == 32768.0f);
	CHECK("scaler-3.3: an overflow resets the tracker",
	    st.growth_tracker == 0);
	sb_scaler_update(&st, &c, 1);
	CHECK("scaler-3.4: two overflows quarter it", st.scale == 16384.0f &&
	    st.growth_tracker == 0);
	/* an overflow at tracker interval - 1 (the step that would grow) */
	st.growth_tracker = c.interval - 1;
	sb_scaler_update(&st, &c, 1);
	CHECK("scaler-3.5: an overflow instead of a growth backs off",
	    st.scale == 8192.0f && st.growth_tracker == 0);
}

static void
scaler_4_restart(void)
{
	struct sb_scaler_cfg c = cfg_make(256, 2, 0.5f, 10);
	struct sb_scaler st;

	sb_scaler_init(&st, &c);
	for (int i = 0; i < 7; i++)
		sb_scaler_update(&st, &c, 0);
	CHECK("scaler-4.1: seven good steps counted", st.growth_tracker == 7);
	sb_scaler_update(&st, &c, 1);
	CHECK("scaler-4.2: the overflow backs off and resets",
	    st.scale == 128.0f && st.growth_tracker == 0);
	for (int i = 0; i < 9; i++)
		sb_scaler_update(&st, &c, 0);
	CHECK("scaler-4.3: 3 + 9 good steps around an overflow: no growth",
	    st.scale == 128.0f && st.growth_tracker == 9);
	sb_scaler_update(&st, &c, 0);
	CHECK("scaler-4.4: ten good steps after the overflow: growth",
	    st.scale == 256.0f && st.growth_tracker == 0);
}

static void
scaler_5_growth_limit(void)
{
	struct sb_scaler_cfg c = cfg_make(0x1p127f, 2, 0.5f, 3);
	struct sb_scaler st;

	sb_scaler_init(&st, &c);
	for (int i = 0; i < 3; i++)
		sb_scaler_update(&st, &c, 0);
	CHECK("scaler-5.1: 2^127 · 2 is inf: the scale stays 2^127",
	    st.scale == 0x1p127f);
	CHECK("scaler-5.2: the refused growth still resets the tracker",
	    st.growth_tracker == 0);
	/* the largest finite growth: 2^126 -> 2^127 */
	st.scale = 0x1p126f;
	for (int i = 0; i < 3; i++)
		sb_scaler_update(&st, &c, 0);
	CHECK("scaler-5.3: 2^126 · 2 = 2^127 is finite: it grows",
	    st.scale == 0x1p127f);
	/* a growth that rounds to FLT_MAX rather than overflowing */
	c.growth = 1.5f;
	st.scale = FLT_MAX / 1.5f;
	st.growth_tracker = 2;
	float want = st.scale * 1.5f;
	sb_scaler_update(&st, &c, 0);
	CHECK("scaler-5.4: a finite product near FLT_MAX is taken",
	    isfinite(want) && st.scale == want);
	st.growth_tracker = 2;
	sb_scaler_update(&st, &c, 0);
	CHECK("scaler-5.5: FLT_MAX-ish · 1.5 is refused", st.scale == want &&
	    st.growth_tracker == 0);
	/* an overflow from the top still backs off */
	sb_scaler_update(&st, &c, 1);
	CHECK("scaler-5.6: backoff from the top", st.scale == want * 0.5f);
}

static void
scaler_6_towards_zero(void)
{
	struct sb_scaler_cfg c;
	struct sb_scaler st;
	int n;

	sb_scaler_cfg_default(&c);
	sb_scaler_init(&st, &c);
	for (n = 0; n < 165; n++)
		sb_scaler_update(&st, &c, 1);
	CHECK("scaler-6.1: 165 halvings of 2^16 reach 2^-149 (subnormal)",
	    st.scale == 0x1p-149f);
	sb_scaler_update(&st, &c, 1);
	CHECK("scaler-6.2: the 166th reaches exactly 0 (tie to even)",
	    st.scale == 0.0f && !signbit(st.scale));
	sb_scaler_update(&st, &c, 1);
	CHECK("scaler-6.3: 0 backs off to 0", st.scale == 0.0f);
	for (int i = 0; i < 2 * c.interval; i++)
		sb_scaler_update(&st, &c, 0);
	CHECK("scaler-6.4: 0 never grows (0 · 2 = 0)", st.scale == 0.0f);
	CHECK("scaler-6.5: inv_scale of 0 is inf",
	    isinf(sb_scaler_inv_scale(&st)) && sb_scaler_inv_scale(&st) > 0);
	/* where 1/S stops being a float */
	st.scale = 0x1p-127f;
	CHECK("scaler-6.6: inv_scale of 2^-127 is 2^127",
	    sb_scaler_inv_scale(&st) == 0x1p127f);
	st.scale = 0x1p-128f;
	CHECK("scaler-6.7: inv_scale of 2^-128 is inf (2^128 > FLT_MAX)",
	    isinf(sb_scaler_inv_scale(&st)));
	st.scale = nextafterf(0x1p-128f, 1);
	CHECK("scaler-6.8: inv_scale just above 2^-128 is finite",
	    isfinite(sb_scaler_inv_scale(&st)));
}

static void
scaler_7_interval_one(void)
{
	struct sb_scaler_cfg c = cfg_make(1, 2, 0.5f, 1);
	struct sb_scaler st;
	int ok = 1;

	sb_scaler_init(&st, &c);
	for (int i = 1; i <= 10; i++) {
		ok &= sb_scaler_update(&st, &c, 0) == 0;
		ok &= st.scale == ldexpf(1, i) && st.growth_tracker == 0;
	}
	CHECK("scaler-7.1: interval 1 grows on every good step", ok);
	sb_scaler_update(&st, &c, 1);
	CHECK("scaler-7.2: interval 1 still backs off", st.scale == 512.0f &&
	    st.growth_tracker == 0);
	sb_scaler_update(&st, &c, 0);
	CHECK("scaler-7.3: and grows right after", st.scale == 1024.0f);
}

static void
bad_cfg(const char *name, struct sb_scaler_cfg c, const char *field,
    const char *value)
{
	char why[256];
	int rc;

	why[0] = '\0';
	rc = sb_scaler_cfg_check(&c, why, sizeof(why));
	if (rc != -1 || strstr(why, field) == NULL ||
	    strstr(why, value) == NULL)
		fprintf(stderr, "%s: rc %d, why \"%s\" (want %s and %s)\n",
		    name, rc, why, field, value);
	CHECK(name, rc == -1);
	CHECK(name, strstr(why, field) != NULL);
	CHECK(name, strstr(why, value) != NULL);
	CHECK(name, sb_scaler_cfg_check(&c, NULL, 0) == -1);
}

static void
scaler_8_cfg_check(void)
{
	char why[256], tiny[8];

	bad_cfg("scaler-8.1: init_scale 0", cfg_make(0, 2, 0.5f, 10),
	    "init_scale 0 ", "> 0");
	bad_cfg("scaler-8.2: init_scale -1", cfg_make(-1, 2, 0.5f, 10),
	    "init_scale -1", "finite");
	bad_cfg("scaler-8.3: init_scale inf", cfg_make(INFINITY, 2, 0.5f, 10),
	    "init_scale inf", "finite");
	bad_cfg("scaler-8.4: init_scale NaN", cfg_make(NAN, 2, 0.5f, 10),
	    "init_scale ", "nan");
	bad_cfg("scaler-8.5: growth 1", cfg_make(1, 1, 0.5f, 10),
	    "growth 1 ", "> 1");
	bad_cfg("scaler-8.6: growth 0.5", cfg_make(1, 0.5f, 0.5f, 10),
	    "growth 0.5", "> 1");
	bad_cfg("scaler-8.7: growth inf", cfg_make(1, INFINITY, 0.5f, 10),
	    "growth inf", "finite");
	bad_cfg("scaler-8.8: growth NaN", cfg_make(1, NAN, 0.5f, 10),
	    "growth ", "nan");
	bad_cfg("scaler-8.9: backoff 0", cfg_make(1, 2, 0, 10),
	    "backoff 0 ", "(0, 1)");
	bad_cfg("scaler-8.10: backoff 1", cfg_make(1, 2, 1, 10),
	    "backoff 1 ", "(0, 1)");
	bad_cfg("scaler-8.11: backoff -0.5", cfg_make(1, 2, -0.5f, 10),
	    "backoff -0.5", "(0, 1)");
	bad_cfg("scaler-8.12: backoff NaN", cfg_make(1, 2, NAN, 10),
	    "backoff ", "nan");
	bad_cfg("scaler-8.13: interval 0", cfg_make(1, 2, 0.5f, 0),
	    "interval 0 ", ">= 1");
	bad_cfg("scaler-8.14: interval -3", cfg_make(1, 2, 0.5f, -3),
	    "interval -3", ">= 1");
	/* the edges that are valid */
	struct sb_scaler_cfg ok = cfg_make(FLT_MIN / 4, nextafterf(1, 2),
	    nextafterf(1, 0), 1);
	CHECK("scaler-8.15: smallest valid values pass",
	    sb_scaler_cfg_check(&ok, why, sizeof(why)) == 0);
	ok = cfg_make(FLT_MAX, FLT_MAX, 0x1p-149f, INT_MAX);
	CHECK("scaler-8.16: largest valid values pass",
	    sb_scaler_cfg_check(&ok, why, sizeof(why)) == 0);
	/* a short buffer is truncated, terminated */
	struct sb_scaler_cfg bad = cfg_make(0, 2, 0.5f, 1);
	memset(tiny, 'x', sizeof(tiny));
	CHECK("scaler-8.17: short why buffer",
	    sb_scaler_cfg_check(&bad, tiny, sizeof(tiny)) == -1 &&
	    memchr(tiny, '\0', sizeof(tiny)) != NULL);
}

/* r is the float nearest 1/s: |r·s - 1| (exact in double) is no larger
 * than for either neighbour of r. */
static int
nearest_reciprocal(float s, float r)
{
	double e = fabs((double)r * (double)s - 1);
	double up = fabs((double)nextafterf(r, INFINITY) * (double)s - 1);
	double dn = fabs((double)nextafterf(r, 0) * (double)s - 1);

	return isfinite(r) && e <= up && e <= dn;
}

static void
scaler_9_inv_scale(void)
{
	struct sb_scaler st;
	int ok = 1;

	for (int k = -126; k <= 127; k++) {
		st.scale = ldexpf(1, k);
		ok &= sb_scaler_inv_scale(&st) == ldexpf(1, -k);
	}
	CHECK("scaler-9.1: 1/2^k is exactly 2^-k for k in -126..127", ok);

	const float odd[] = { 3, 5, 7, 10, 1000, 65535, 65537, 12345.678f,
	    0.1f, 3e-30f, 1.5e30f, 0x1.fffffep127f };
	for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		float r;

		st.scale = odd[i];
		r = sb_scaler_inv_scale(&st);
		if (!nearest_reciprocal(odd[i], r))
			fprintf(stderr, "scaler-9.2: 1/%a gave %a\n",
			    (double)odd[i], (double)r);
		CHECK("scaler-9.2: non-power-of-two scale: nearest float of 1/S",
		    nearest_reciprocal(odd[i], r));
		CHECK("scaler-9.3: non-power-of-two scale: not exact",
		    (double)r * (double)odd[i] != 1.0);
	}
	/* a sweep of scales: always the nearest float */
	ok = 1;
	for (float s = 1.0f; s < 3.0f; s = nextafterf(s, 4) + 0x1p-12f) {
		st.scale = s;
		ok &= nearest_reciprocal(s, sb_scaler_inv_scale(&st));
	}
	CHECK("scaler-9.4: reciprocal of a sweep of scales is nearest", ok);
}

static void
scaler_10_found_inf_values(void)
{
	struct sb_scaler_cfg c = cfg_make(64, 2, 0.5f, 4);
	struct sb_scaler st;

	sb_scaler_init(&st, &c);
	CHECK("scaler-10.1: found_inf 2 is an overflow",
	    sb_scaler_update(&st, &c, 2) == 1 && st.scale == 32.0f);
	CHECK("scaler-10.2: found_inf -1 is an overflow",
	    sb_scaler_update(&st, &c, -1) == 1 && st.scale == 16.0f);
	CHECK("scaler-10.3: found_inf 0 is a good step",
	    sb_scaler_update(&st, &c, 0) == 0 && st.scale == 16.0f &&
	    st.growth_tracker == 1);
}

static void
scaler_11_tracker_past_interval(void)
{
	struct sb_scaler_cfg c = cfg_make(64, 2, 0.5f, 4);
	struct sb_scaler st;

	/* as after lowering the interval mid-run: PyTorch's == never fires */
	sb_scaler_init(&st, &c);
	st.growth_tracker = 4;
	for (int i = 0; i < 100; i++)
		sb_scaler_update(&st, &c, 0);
	CHECK("scaler-11.1: a tracker past the interval never grows",
	    st.scale == 64.0f && st.growth_tracker == 104);
	st.growth_tracker = INT_MAX - 1;
	sb_scaler_update(&st, &c, 0);
	sb_scaler_update(&st, &c, 0);
	CHECK("scaler-11.2: the tracker stops at INT_MAX",
	    st.growth_tracker == INT_MAX && st.scale == 64.0f);
	sb_scaler_update(&st, &c, 1);
	CHECK("scaler-11.3: an overflow brings it back into range",
	    st.growth_tracker == 0 && st.scale == 32.0f);
}

static void
scaler_12_factors(void)
{
	struct sb_scaler_cfg c = cfg_make(1000, 1.1f, 0.3f, 1);
	struct sb_scaler st;
	float s;
	int ok = 1;

	sb_scaler_init(&st, &c);
	for (int i = 0; i < 200; i++) {
		int inf = i % 3 == 0;

		s = st.scale;
		sb_scaler_update(&st, &c, inf);
		/* PyTorch: float scale times double factor, rounded to float
		 * (here the factor is the float cfg holds) */
		float want = (float)((double)s *
		    (double)(inf ? c.backoff : c.growth));
		ok &= st.scale == want;
	}
	CHECK("scaler-12.1: float product equals float·double rounded", ok);
}

int
main(void)
{
	scaler_1_defaults();
	scaler_2_growth();
	scaler_3_overflow();
	scaler_4_restart();
	scaler_5_growth_limit();
	scaler_6_towards_zero();
	scaler_7_interval_one();
	scaler_8_cfg_check();
	scaler_9_inv_scale();
	scaler_10_found_inf_values();
	scaler_11_tracker_past_interval();
	scaler_12_factors();
	return check_summary("test_scaler");
}
