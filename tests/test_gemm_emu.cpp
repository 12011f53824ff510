/*
 * tests/test_gemm_emu.cpp — the hand-written GEMM kernels (kernels/
 * gemm_f32.cuh: the SIMT ladder; gemm_tf32_mma.cuh: mma.sync TF32) run on
 * the CPU in the CUDA emulator (tests/emu/) and checked against fp64.
 *
 * Every version × layout (NT, TN, NN) × shape, with leading dimensions
 * packed, rounded up to a multiple of 4 (the 16-byte paths), padded by +1
 * and +3 (unaligned rows: scalar paths), and with base pointers one float
 * off 16-byte alignment; each with and without bias.  The largest shape
 * runs a subset (see `big` below) to keep the test near a minute.
 *
 * What a case checks:
 *  - every C[i,j]: |c - ref| <= tol · (Σ_p |a_ip||b_pj| + |bias_j|) + tiny,
 *    tol = 2k·2^-24 (fp32) or 2·2^-11 + 2k·2^-24 (TF32 operands); NaN
 *    never passes.  C starts as NaN, so an element never written fails.
 *  - A and B are surrounded by NaN guards and their row padding (between
 *    the row length and the leading dimension) is NaN: a read out of
 *    bounds turns some C[i,j] into NaN.
 *  - C's guards and padding hold a sentinel, compared bit for bit after
 *    the kernel: no write out of bounds.
 *  - the emulator's own errors (divergent barriers, misused shuffles,
 *    operands not rounded to TF32).
 * The mid-size shape also runs under reverse and shuffled schedules, which
 * expose a missing __syncthreads (tests/emu/cuda_emu.h, note 5).
 *
 * Environment: SB_EMU_QUICK=1 skips the largest shape (sanitizer builds
 * set it); SB_EMU_FILTER=substring runs only cases whose name contains it.
 */
#include "emu/cuda_emu.h"
/* (#pragma unroll in the kernels: built with -Wno-unknown-pragmas) */
#include "gemm_f32.cuh"
#include "gemm_tf32_mma.cuh"

#include <stdlib.h>
#include <time.h>

#include <vector>

#include "testkit.h"

/* Bit patterns: quiet NaNs that say who put them there. */
#define GUARD_AB	0x7fc0a5a5u	/* around and inside A, B, bias */
#define GUARD_C		0x7fc0c0c0u	/* around C and in its padding */
#define POISON_C	0x7fc00badu	/* C before the kernel */
#define GUARD		4096		/* floats each side */

/*
 * The largest shape (long k, m and n tails, n below one tile) costs up to
 * 2 s a launch in the emulator: versions with a 16-byte path run it with
 * every memory variant marked big, the others (whose memory variants all
 * take the same scalar path) with packed operands only.
 */
enum { BIG_NONE, BIG_PACKED, BIG_ALL };

struct version {
	const char	*name;
	int		 f32;	/* enum gemm_f32_version, or -1: TF32 mma */
	int		 big;	/* BIG_*: how much of the largest shape */
};

static const struct version versions[] = {
	{ "naive", GEMM_F32_NAIVE, BIG_PACKED },
	{ "coalesced", GEMM_F32_COALESCED, BIG_PACKED },
	{ "smem", GEMM_F32_SMEM, BIG_PACKED },
	{ "regtile1d", GEMM_F32_REGTILE1D, BIG_PACKED },
	{ "regtile2d", GEMM_F32_REGTILE2D, BIG_PACKED },
	{ "vec", GEMM_F32_VEC, BIG_ALL },
	{ "warptile", GEMM_F32_WARPTILE, BIG_ALL },
	{ "mma", -1, BIG_ALL },
};

struct shape {
	int64_t	 m, n, k;
	int	 big;		/* only some versions and variants */
	int	 schedules;	/* also reverse and shuffled orders */
};

/*
 * Shared memory is not poisoned between CTAs (cuda_emu.h, note 6): it
 * holds what the last CTA of that kernel left.  Running 127x129x65 first
 * fills every tile with data, so that a kernel that fails to zero a tail
 * reads stale values, not zeros, in the small shapes after it too.
 */
static const struct shape shapes[] = {
	{ 127, 129, 65, 0, 1 },
	{ 1, 1, 1, 0, 0 },
	{ 7, 13, 5, 0, 0 },
	{ 64, 96, 32, 0, 0 },		/* whole tiles in k, 16-byte rows */
	{ 4097, 33, 1025, 1, 0 },
};

/* How the operands sit in memory. */
struct memv {
	const char	*name;
	int		 pad;		/* added to each packed leading dim */
	int		 round4;	/* leading dims up to a multiple of 4 */
	int		 offset;	/* floats past a 16-byte boundary */
	int		 big;		/* also for the largest shape */
};

static const struct memv memvs[] = {
	{ "packed", 0, 0, 0, 1 },
	{ "ld4", 0, 1, 0, 1 },
	{ "ld+1", 1, 0, 0, 0 },
	{ "ld+3", 3, 0, 0, 0 },
	{ "off1", 0, 1, 1, 1 },
};

static const char *const layout_names[] = { "NT", "TN", "NN" };

/* A matrix of rows × cols with leading dimension ld, between guards. */
struct buf {
	std::vector<float>	 mem;
	float			*lo;	/* first guard float */
	float			*data;	/* element (0, 0) */
	int64_t			 rows, cols, ld;
	size_t			 len;	/* guard + offset + rows·ld + guard */
};

static float
f_of(uint32_t u)
{
	float x;

	memcpy(&x, &u, sizeof(x));
	return x;
}

static uint32_t
u_of(float x)
{
	uint32_t u;

	memcpy(&u, &x, sizeof(u));
	return u;
}

static void
buf_make(struct buf *b, int64_t rows, int64_t cols, int64_t ld, int offset,
    uint32_t fill)
{
	uintptr_t a;

	b->rows = rows;
	b->cols = cols;
	b->ld = ld;
	b->len = (size_t)(2 * GUARD + offset + rows * ld);
	b->mem.assign(b->len + 16, f_of(fill));
	a = ((uintptr_t)b->mem.data() + 63) & ~(uintptr_t)63;
	b->lo = (float *)a;
	b->data = b->lo + GUARD + offset;
}

/* Every float outside the rows × cols body still holds `fill`?  Returns
 * the number that changed. */
static int64_t
buf_guards_changed(const struct buf *b, uint32_t fill)
{
	const float *body_end = b->data + (b->rows - 1) * b->ld + b->cols;
	int64_t bad = 0;

	for (const float *p = b->lo; p < b->lo + b->len; p++) {
		int64_t off = p - b->data;
		int inside = p >= b->data && p < body_end &&
		    off % b->ld < b->cols;

		if (!inside && u_of(*p) != fill)
			bad++;
	}
	return bad;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static uint64_t rng_state;

static float
rnd(void)	/* uniform in [-1, 1), 24 bits */
{
	rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
	return (float)((int64_t)(rng_state >> 40) - (1 << 23)) * 0x1p-23f;
}

/* The logical problem of one shape and its fp64 answer. */
struct problem {
	const struct shape	*s;
	std::vector<float>	 A, B, bias;	/* A m×k, B k×n, row-major */
	std::vector<double>	 ref, absref;	/* m×n, without bias */
};

static void
problem_make(struct problem *pr, const struct shape *s)
{
	const int64_t m = s->m, n = s->n, k = s->k;
	std::vector<double> bt((size_t)(n * k));

	pr->s = s;
	rng_state = (uint64_t)(m * 1000003 + n * 1009 + k);
	pr->A.resize((size_t)(m * k));
	pr->B.resize((size_t)(k * n));
	pr->bias.resize((size_t)n);
	for (float &x : pr->A)
		x = rnd();
	for (float &x : pr->B)
		x = rnd();
	for (float &x : pr->bias)
		x = rnd();
	for (int64_t p = 0; p < k; p++)
		for (int64_t j = 0; j < n; j++)
			bt[(size_t)(j * k + p)] = pr->B[(size_t)(p * n + j)];
	pr->ref.assign((size_t)(m * n), 0);
	pr->absref.assign((size_t)(m * n), 0);
	for (int64_t i = 0; i < m; i++) {
		const float *ar = &pr->A[(size_t)(i * k)];

		for (int64_t j = 0; j < n; j++) {
			const double *br = &bt[(size_t)(j * k)];
			double s1 = 0, s2 = 0;

			for (int64_t p = 0; p < k; p++) {
				s1 += ar[p] * br[p];
				s2 += fabs(ar[p] * br[p]);
			}
			pr->ref[(size_t)(i * n + j)] = s1;
			pr->absref[(size_t)(i * n + j)] = s2;
		}
	}
}

/* The operands of one layout × memory variant × bias, in memory. */
struct operands {
	enum sb_layout	 layout;
	const struct memv *mv;
	int		 has_bias;
	struct buf	 a, b, c, bias;
};

static int64_t
ld_of(int64_t packed, const struct memv *mv)
{
	if (mv->round4)
		return (packed + 3) / 4 * 4;
	return packed + mv->pad;
}

static void
operands_make(struct operands *o, const struct problem *pr,
    enum sb_layout layout, const struct memv *mv, int has_bias)
{
	const int64_t m = pr->s->m, n = pr->s->n, k = pr->s->k;
	const int a_km = layout == SB_TN;	/* a stored (k, m) */
	const int b_kn = layout != SB_NT;	/* b stored (k, n) */

	o->layout = layout;
	o->mv = mv;
	o->has_bias = has_bias;
	if (a_km)
		buf_make(&o->a, k, m, ld_of(m, mv), mv->offset, GUARD_AB);
	else
		buf_make(&o->a, m, k, ld_of(k, mv), mv->offset, GUARD_AB);
	if (b_kn)
		buf_make(&o->b, k, n, ld_of(n, mv), mv->offset, GUARD_AB);
	else
		buf_make(&o->b, n, k, ld_of(k, mv), mv->offset, GUARD_AB);
	buf_make(&o->c, m, n, ld_of(n, mv), mv->offset, GUARD_C);
	buf_make(&o->bias, 1, n, n, mv->offset, GUARD_AB);
	for (int64_t i = 0; i < m; i++)
		for (int64_t p = 0; p < k; p++) {
			float x = pr->A[(size_t)(i * k + p)];

			if (a_km)
				o->a.data[p * o->a.ld + i] = x;
			else
				o->a.data[i * o->a.ld + p] = x;
		}
	for (int64_t p = 0; p < k; p++)
		for (int64_t j = 0; j < n; j++) {
			float x = pr->B[(size_t)(p * n + j)];

			if (b_kn)
				o->b.data[p * o->b.ld + j] = x;
			else
				o->b.data[j * o->b.ld + p] = x;
		}
	memcpy(o->bias.data, pr->bias.data(), (size_t)n * sizeof(float));
}

static void
c_poison(struct buf *c)
{
	for (int64_t i = 0; i < c->rows; i++)
		for (int64_t j = 0; j < c->cols; j++)
			c->data[i * c->ld + j] = f_of(POISON_C);
}

struct tally {
	int	cases, failed;
	double	seconds;
};

/* One kernel launch and its checks; 0 ok, -1 failed (printed). */
static int
run_case(const struct version *v, const struct problem *pr,
    struct operands *o, enum sb_emu_order order, struct tally *t)
{
	const int64_t m = pr->s->m, n = pr->s->n, k = pr->s->k;
	const double tol = (v->f32 < 0 ? 2 * 0x1p-11 : 0) + 2.0 * k * 0x1p-24;
	struct gemm_params p;
	struct gemm_launch L = {};
	struct sb_emu_opts opts = { order, 12345, NULL };
	struct sb_emu_stats st;
	char err[512] = "", name[160], what[512] = "";
	int64_t nbad = 0, bi = -1, bj = -1, gab = 0, gc = 0;
	double worst = 0, maxrel = 0, t0, secs;
	int rc;

	p.m = m;
	p.n = n;
	p.k = k;
	p.a = o->a.data;
	p.lda = o->a.ld;
	p.b = o->b.data;
	p.ldb = o->b.ld;
	p.c = o->c.data;
	p.ldc = o->c.ld;
	p.bias = o->has_bias ? o->bias.data : NULL;
	rc = v->f32 < 0 ? gemm_tf32_mma_plan(o->layout, &p, &L) :
	    gemm_f32_plan(v->f32, o->layout, &p, &L);
	snprintf(name, sizeof(name), "%-28s %s %lldx%lldx%lld %-6s %-4s %-7s",
	    rc == 0 ? L.name : v->name, layout_names[o->layout],
	    (long long)m, (long long)n, (long long)k, o->mv->name,
	    o->has_bias ? "bias" : "-", sb_emu_order_name(order));
	t->cases++;
	if (rc != 0) {
		printf("FAIL %s: the planner refused the call\n", name);
		t->failed++;
		return -1;
	}
	c_poison(&o->c);
	opts.label = name;
	t0 = now_s();
	rc = sb_emu_launch(L.grid, L.block, [&] { L.kernel(p); }, &opts, &st,
	    err, sizeof(err));
	secs = now_s() - t0;
	t->seconds += secs;
	if (rc != 0) {
		printf("FAIL %s: emulator: %s\n", name, err);
		t->failed++;
		return -1;
	}
	for (int64_t i = 0; i < m; i++)
		for (int64_t j = 0; j < n; j++) {
			double c = o->c.data[i * o->c.ld + j];
			double r = pr->ref[(size_t)(i * n + j)];
			double ab = pr->absref[(size_t)(i * n + j)];
			double bound, e;

			if (o->has_bias) {
				r += pr->bias[(size_t)j];
				ab += fabs(pr->bias[(size_t)j]);
			}
			bound = tol * ab + 1e-30;
			e = fabs(c - r);
			if (isnan(c) || e > bound) {
				if (nbad++ == 0)
					bi = i, bj = j;
				continue;
			}
			worst = fmax(worst, e / bound);
			if (r != 0)
				maxrel = fmax(maxrel, e / fabs(r));
		}
	gab = buf_guards_changed(&o->a, GUARD_AB) +
	    buf_guards_changed(&o->b, GUARD_AB) +
	    buf_guards_changed(&o->bias, GUARD_AB);
	gc = buf_guards_changed(&o->c, GUARD_C);
	if (nbad > 0) {
		double c = o->c.data[bi * o->c.ld + bj];
		double r = pr->ref[(size_t)(bi * n + bj)] +
		    (o->has_bias ? pr->bias[(size_t)bj] : 0);

		snprintf(what, sizeof(what), "; %lld of %lld elements wrong, "
		    "first C[%lld,%lld] = %.9g, want %.9g%s", (long long)nbad,
		    (long long)(m * n), (long long)bi, (long long)bj, c, r,
		    u_of((float)c) == POISON_C ? " (never written)" :
		    isnan(c) ? " (NaN: read out of bounds?)" : "");
	}
	if (gab > 0 || gc > 0)
		snprintf(what + strlen(what), sizeof(what) - strlen(what),
		    "; %lld guard/padding floats of A, B, bias and %lld of C "
		    "changed (write out of bounds)", (long long)gab,
		    (long long)gc);
	if (nbad > 0 || gab > 0 || gc > 0) {
		printf("FAIL %s %.2fs%s\n", name, secs, what);
		t->failed++;
		return -1;
	}
	printf("ok   %s %6.2fs maxrel %.1e, worst %.2f of bound (%llu CTAs)\n",
	    name, secs, maxrel, worst, (unsigned long long)st.ctas);
	return 0;
}

int
main(void)
{
	const char *filter = getenv("SB_EMU_FILTER");
	const char *q = getenv("SB_EMU_QUICK");
	int quick = q != NULL && *q != '\0' && strcmp(q, "0") != 0;
	struct tally t = { 0, 0, 0 };
	double t0 = now_s();

#ifdef SB_EMU_QUICK
	quick = 1;	/* sanitizer builds */
#endif
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (const struct shape &s : shapes) {
		struct problem pr;

		if (s.big && quick) {
			printf("skip %lldx%lldx%lld (SB_EMU_QUICK)\n",
			    (long long)s.m, (long long)s.n, (long long)s.k);
			continue;
		}
		problem_make(&pr, &s);
		for (int layout = 0; layout < SB_LAYOUT_COUNT; layout++)
		for (const struct memv &mv : memvs)
		for (int has_bias = 0; has_bias < 2; has_bias++) {
			struct operands o;

			/* the largest shape: every layout, 16-byte and
			 * scalar paths, bias on one of them */
			if (s.big && (!mv.big || has_bias != (mv.offset != 0)))
				continue;
			operands_make(&o, &pr, (enum sb_layout)layout, &mv,
			    has_bias);
			for (const struct version &v : versions) {
				char key[96];

				if (s.big && (v.big == BIG_NONE ||
				    (v.big == BIG_PACKED && mv.round4)))
					continue;
				snprintf(key, sizeof(key), "%s.%s.%s",
				    v.name, layout_names[layout], mv.name);
				if (filter != NULL && strstr(key, filter) == NULL)
					continue;
				for (int ord = 0; ord < (s.schedules ? 3 : 1);
				    ord++) {
					int rc = run_case(&v, &pr, &o,
					    (enum sb_emu_order)ord, &t);

					CHECK(key, rc == 0);
				}
			}
		}
	}
	printf("test_gemm_emu: %d cases, %d failed; %.1fs in kernels, %.1fs "
	    "in all\n", t.cases, t.failed, t.seconds, now_s() - t0);
	return check_summary("test_gemm_emu");
}
