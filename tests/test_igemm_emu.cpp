/*
 * tests/test_igemm_emu.cpp — the hand-written int8 GEMMs
 * (kernels/gemm_s8_dp4a.cuh, gemm_s8_imma.cuh) run on the CPU in the CUDA
 * emulator (tests/emu/) and checked against exact integer arithmetic.
 * Cases are named igemm.<kernel>.<out>[.pc][.bias].<memory>.<MxNxK>.
 *
 * Operands are NT (gemm_s8.h): A (m,k) and B (n,k) int8, uniform over
 * [-128, 127] except row 0 of A and B all -128 and row 1 of A all 127, so
 * C[0,0] = 16384·k and C[1,0] = -16256·k are the extremes.  Memory:
 *   packed  lda = ldb = k, ldc = n
 *   odd     lda, ldb odd (k + 1 or k + 2), ldc = n + 3: the byte loaders
 *   ld16    lda, ldb rounded up to 16, ldc = n + 3: cp.async and word
 *           loads, with tails inside the chunks
 *   off1    ld16, every base pointer one element past 16 bytes
 * Every output × memory variant × shape, except the big shapes (s32 on
 * every memory variant, one f32 epilogue) and k = 131071, the largest k
 * that gemm_s8.h keeps exact with extreme operands (s32, packed and
 * ld16).  Outputs:
 *   s32     must equal the exact sum bit for bit;
 *   f32/f16 fmaf((float)acc, sa·sb[j], bias[j]) against a double reference
 *           (acc exact, the scale product rounded to fp32 as gemm_s8.h
 *           says, bias added in double): within one ulp of the output
 *           type at the reference; per tensor (sb[0]) and per channel,
 *           with and without bias.
 * A and B sit between guard bytes (0x5a) and their row padding is 0x5a: a
 * read out of bounds changes a sum.  C starts poisoned, so an element never
 * written fails; C's guards and row padding hold a sentinel compared after
 * the kernel: nothing outside m × n is written.  Two shapes' cases also
 * run under reverse and shuffled schedules (a missing
 * __syncthreads or an early cp.async read shows there).  The emulator's
 * own errors (barriers, collectives, misaligned ldmatrix / cp.async) fail
 * a case.
 *
 * Before the GEMMs, emu-s8.N cases test the emulator's int8 parts against
 * the PTX ISA's formulas written out here: __dp4a (signed bytes, wrapping)
 * and the mma.m16n8k32 s8 fragments.
 *
 * Environment: SB_EMU_QUICK=1 skips the largest shape; SB_EMU_FILTER=
 * substring runs only cases whose name contains it.
 */
#include "emu/cuda_emu.h"
#include "gemm_s8_dp4a.cuh"
#include "gemm_s8_imma.cuh"

#include <stdlib.h>
#include <time.h>

#include <vector>

#include "testkit.h"

#define GUARD_AB	0x5a		/* bytes around and inside A, B */
#define GUARD_C32	0x7fc0c0c0u	/* around C (s32, f32) */
#define GUARD_C16	0x7fc3u
#define POISON_C32	0x7fc00badu	/* C before the kernel */
#define POISON_C16	0x7fbdu
#define GUARD		512		/* elements each side */

typedef int (*planner_fn)(enum sb_dtype, const igemm_params *,
    struct igemm_launch *);

struct version {
	const char	*name;
	planner_fn	 plan;
};

static const struct version versions[] = {
	{ "dp4a", gemm_s8_dp4a_plan },
	{ "imma", gemm_s8_imma_plan },
};

struct shape {
	int64_t	 m, n, k;
	int	 big;		/* skipped by SB_EMU_QUICK; fewer variants
				 * (2: s32 on packed and ld16 only) */
	int	 schedules;	/* also reverse and shuffled orders */
};

static const struct shape shapes[] = {
	{ 33, 130, 67, 0, 1 },		/* k: a 64-byte tile and 3 bytes */
	{ 10, 3, 5, 0, 0 },		/* the tutorial's Linear(5, 3) */
	{ 1, 1, 1, 0, 0 },
	{ 3, 5, 31, 0, 0 },
	{ 16, 32, 33, 0, 0 },
	{ 31, 16, 64, 0, 0 },
	{ 32, 33, 3, 0, 0 },
	{ 130, 5, 16, 0, 0 },
	{ 5, 31, 130, 0, 0 },
	{ 65, 129, 129, 0, 1 },
	{ 130, 130, 301, 1, 0 },	/* k tiles > imma's pipeline stages */
	{ 257, 131, 523, 1, 0 },	/* 3 × 2 imma CTAs, 9 k tiles */
	/* the largest k gemm_s8.h keeps exact: C[0,0] = 16384·k = 2^31 -
	 * 16384, C[1,0] = -16256·k (s32, aligned and packed only) */
	{ 2, 3, 131071, 2, 0 },
};

struct memv {
	const char	*name;
	int		 odd;		/* odd lda, ldb */
	int		 round16;	/* lda, ldb up to a multiple of 16 */
	int		 offset;	/* elements past a 16-byte boundary */
	int		 cpad;		/* ldc = n + cpad */
};

static const struct memv memvs[] = {
	{ "packed", 0, 0, 0, 0 },
	{ "odd", 1, 0, 0, 3 },
	{ "ld16", 0, 1, 0, 3 },
	{ "off1", 0, 1, 1, 3 },
};

/* ---- buffers with guards -------------------------------------------- */

struct buf {
	std::vector<unsigned char> mem;
	unsigned char	*lo;		/* first guard element */
	unsigned char	*data;		/* element (0, 0) */
	int64_t		 rows, cols, ld;
	size_t		 esize, len;	/* len in elements */
	uint32_t	 fill;
};

static void
buf_put(const struct buf *b, unsigned char *p, uint32_t v)
{
	if (b->esize == 1)
		*p = (unsigned char)v;
	else if (b->esize == 2) {
		uint16_t h = (uint16_t)v;

		memcpy(p, &h, 2);
	} else
		memcpy(p, &v, 4);
}

static uint32_t
buf_bits(const struct buf *b, const unsigned char *p)
{
	uint16_t h;
	uint32_t u;

	if (b->esize == 1)
		return *p;
	if (b->esize == 2) {
		memcpy(&h, p, 2);
		return h;
	}
	memcpy(&u, p, 4);
	return u;
}

static unsigned char *
buf_at(const struct buf *b, int64_t r, int64_t c)
{
	return b->data + (size_t)(r * b->ld + c) * b->esize;
}

static void
buf_make(struct buf *b, int64_t rows, int64_t cols, int64_t ld, int offset,
    size_t esize, uint32_t fill)
{
	uintptr_t a;

	b->rows = rows;
	b->cols = cols;
	b->ld = ld;
	b->esize = esize;
	b->fill = fill;
	b->len = (size_t)(2 * GUARD + offset + rows * ld);
	b->mem.assign(b->len * esize + 128, 0);
	a = ((uintptr_t)b->mem.data() + 127) & ~(uintptr_t)127;
	b->lo = (unsigned char *)a;
	for (size_t e = 0; e < b->len; e++)
		buf_put(b, b->lo + e * esize, fill);
	b->data = b->lo + (GUARD + offset) * esize;
}

/* How many elements outside the body no longer hold the fill. */
static int64_t
buf_guards_changed(const struct buf *b)
{
	int64_t bad = 0;

	for (size_t e = 0; e < b->len; e++) {
		const unsigned char *p = b->lo + e * b->esize;
		int64_t off = (p - b->data) / (int64_t)b->esize;
		int inside = p >= b->data && off < b->rows * b->ld &&
		    off % b->ld < b->cols;

		if (!inside && buf_bits(b, p) != b->fill)
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

static uint32_t
rnd32(void)
{
	rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(rng_state >> 32);
}

static int8_t
rnd_s8(void)
{
	return (int8_t)(uint8_t)(rnd32() >> 24);
}

static float
rnd_unit(void)	/* uniform in [-1, 1), 24 bits */
{
	return (float)((int32_t)(rnd32() >> 8) - (1 << 23)) * 0x1p-23f;
}

static float
f_of(uint32_t u)
{
	float x;

	memcpy(&x, &u, sizeof(x));
	return x;
}

/* one ulp of the output type at |x| (fp32: 24 bits; fp16: 11 bits, 2^-24
 * at the bottom of the subnormals) */
static double
ulp_of(enum sb_dtype out, double x)
{
	int e;

	x = fabs(x);
	if (out == SB_DT_F32)
		return x < 0x1p-126 ? 0x1p-149 : ldexp(1.0, ilogb(x) - 23);
	e = x < 0x1p-14 ? -14 : ilogb(x);
	return ldexp(1.0, e - 10);
}

/* ---- the problem ----------------------------------------------------- */

struct problem {
	const struct shape	*s;
	std::vector<int8_t>	 A, B;		/* m×k, n×k */
	std::vector<int64_t>	 ref;		/* m×n, exact */
	std::vector<float>	 sb, bias;	/* n */
	float			 sa;
};

static void
problem_make(struct problem *pr, const struct shape *s)
{
	const int64_t m = s->m, n = s->n, k = s->k;

	pr->s = s;
	rng_state = (uint64_t)(m * 1000003 + n * 1009 + k) * 2 + 1;
	pr->A.resize((size_t)(m * k));
	pr->B.resize((size_t)(n * k));
	for (int64_t i = 0; i < m; i++)
		for (int64_t p = 0; p < k; p++)
			pr->A[(size_t)(i * k + p)] = i == 0 ? -128 : i == 1 ?
			    127 : rnd_s8();
	for (int64_t j = 0; j < n; j++)
		for (int64_t p = 0; p < k; p++)
			pr->B[(size_t)(j * k + p)] = j == 0 ? -128 : rnd_s8();
	pr->ref.assign((size_t)(m * n), 0);
	for (int64_t i = 0; i < m; i++)
		for (int64_t j = 0; j < n; j++) {
			int64_t sum = 0;

			for (int64_t p = 0; p < k; p++)
				sum += (int64_t)pr->A[(size_t)(i * k + p)] *
				    pr->B[(size_t)(j * k + p)];
			pr->ref[(size_t)(i * n + j)] = sum;
		}
	/* the scales of a dynamic int8 Linear: absmax / 127 sized */
	pr->sa = 0.0123f + 0.001f * rnd_unit();
	pr->sb.resize((size_t)n);
	pr->bias.resize((size_t)n);
	for (int64_t j = 0; j < n; j++) {
		pr->sb[(size_t)j] = 0.004f + 0.003f * rnd_unit();
		pr->bias[(size_t)j] = rnd_unit();
	}
}

/* The operands of one memory variant × output type, in memory. */
struct operands {
	enum sb_dtype	 out;
	const struct memv *mv;
	struct buf	 a, b, c;
};

static int64_t
ld_of(int64_t k, const struct memv *mv)
{
	if (mv->round16)
		return (k + 15) / 16 * 16;
	if (mv->odd)
		return k % 2 == 0 ? k + 1 : k + 2;
	return k;
}

static void
operands_make(struct operands *o, const struct problem *pr,
    enum sb_dtype out, const struct memv *mv)
{
	const int64_t m = pr->s->m, n = pr->s->n, k = pr->s->k;
	const size_t oes = sb_dtype_size(out);

	o->out = out;
	o->mv = mv;
	buf_make(&o->a, m, k, ld_of(k, mv), mv->offset, 1, GUARD_AB);
	buf_make(&o->b, n, k, ld_of(k, mv), mv->offset, 1, GUARD_AB);
	buf_make(&o->c, m, n, n + mv->cpad, mv->offset, oes,
	    oes == 2 ? GUARD_C16 : GUARD_C32);
	for (int64_t i = 0; i < m; i++)
		for (int64_t p = 0; p < k; p++)
			buf_put(&o->a, buf_at(&o->a, i, p),
			    (uint8_t)pr->A[(size_t)(i * k + p)]);
	for (int64_t j = 0; j < n; j++)
		for (int64_t p = 0; p < k; p++)
			buf_put(&o->b, buf_at(&o->b, j, p),
			    (uint8_t)pr->B[(size_t)(j * k + p)]);
}

static void
c_poison(struct buf *c)
{
	for (int64_t i = 0; i < c->rows; i++)
		for (int64_t j = 0; j < c->cols; j++)
			buf_put(c, buf_at(c, i, j), c->esize == 2 ?
			    POISON_C16 : POISON_C32);
}

struct tally {
	int	cases, failed;
	double	seconds;
};

/* ---- the emulator's int8 parts alone (emu-s8.N) ---------------------- */

static char emu_err[512];

static int
launch32(const std::function<void()> &body)
{
	struct sb_emu_opts o = { SB_EMU_SHUFFLE, 7, "emu-s8" };

	emu_err[0] = '\0';
	return sb_emu_launch_smem(dim3(1), dim3(32), 0, body, &o, NULL,
	    emu_err, sizeof(emu_err));
}

/* emu-s8.1: __dp4a(a, b, c) = c + Σ signed byte products, mod 2^32 */
static void
emu_dp4a(void)
{
	static const uint32_t words[] = { 0x00000000u, 0x80808080u,
	    0x7f7f7f7fu, 0x807f01ffu, 0x01020304u, 0xfffefdfcu };
	static const int32_t cs[] = { 0, 1, -7, INT32_MAX, INT32_MIN };
	int bad = 0;

	for (uint32_t a : words)
		for (uint32_t b : words)
			for (int32_t c : cs) {
				int64_t want = c;

				for (int q = 0; q < 4; q++)
					want += (int64_t)(int8_t)(a >> 8 * q) *
					    (int8_t)(b >> 8 * q);
				bad += __dp4a((int)a, (int)b, c) !=
				    (int32_t)(uint32_t)(uint64_t)want;
			}
	CHECK("emu-s8.1: __dp4a", bad == 0);
}

/* emu-s8.2: mma.m16n8k32 s8 with the fragments of the PTX ISA ("Matrix
 * Fragments for mma.m16n8k32"), elements a0..a15, b0..b7, c0..c3, four
 * per register, lowest first:
 *   A row = g + 8·(i in 4..7 or 12..15), col = 4t + (i & 3) + 16·(i >= 8)
 *   B row = 4t + (i & 3) + 16·(i >= 4), col = g
 *   C row = g + 8·(i >= 2), col = 2t + (i & 1) */
static void
emu_mma_s8(void)
{
	static int8_t A[16][32], B[32][8];
	static int32_t C[16][8], D[16][8];
	int bad = 0, rc;

	rng_state = 99;
	for (int r = 0; r < 16; r++)
		for (int k = 0; k < 32; k++)
			A[r][k] = r == 0 ? -128 : rnd_s8();
	for (int k = 0; k < 32; k++)
		for (int c = 0; c < 8; c++)
			B[k][c] = c == 0 ? -128 : rnd_s8();
	for (int r = 0; r < 16; r++)
		for (int c = 0; c < 8; c++)
			C[r][c] = (int32_t)(rnd32() >> 12) - (1 << 19);
	rc = launch32([&] {
		const int l = threadIdx.x, g = l / 4, tg = l % 4;
		uint32_t a[4] = { 0, 0, 0, 0 }, b[2] = { 0, 0 };
		int32_t d[4];

		for (int i = 0; i < 16; i++) {
			const int row = g + 8 * ((i / 4) % 2);
			const int col = 4 * tg + (i & 3) + 16 * (i >= 8);

			a[i / 4] |= (uint32_t)(uint8_t)A[row][col] <<
			    8 * (i % 4);
		}
		for (int i = 0; i < 8; i++) {
			const int row = 4 * tg + (i & 3) + 16 * (i >= 4);

			b[i / 4] |= (uint32_t)(uint8_t)B[row][g] << 8 * (i % 4);
		}
		for (int i = 0; i < 4; i++)
			d[i] = C[g + 8 * (i >= 2)][2 * tg + (i & 1)];
		igemm_mma_m16n8k32(d, a, b);
		for (int i = 0; i < 4; i++)
			D[g + 8 * (i >= 2)][2 * tg + (i & 1)] = d[i];
	});
	for (int r = 0; r < 16; r++)
		for (int c = 0; c < 8; c++) {
			int64_t want = C[r][c];

			for (int k = 0; k < 32; k++)
				want += (int64_t)A[r][k] * B[k][c];
			bad += D[r][c] != want;
		}
	if (rc != 0)
		printf("FAIL emu-s8.2: %s\n", emu_err);
	CHECK("emu-s8.2: mma.m16n8k32.s8", rc == 0 && bad == 0);
}

/* ---- the GEMMs ------------------------------------------------------- */

struct epi {
	enum sb_dtype	 out;
	int		 per_channel, bias;
};

/* One kernel launch and its checks; 0 ok, -1 failed (printed). */
static int
run_case(const struct version *v, const struct problem *pr,
    struct operands *o, const struct epi *ep, enum sb_emu_order order,
    const char *key, struct tally *t)
{
	const int64_t m = pr->s->m, n = pr->s->n, k = pr->s->k;
	struct igemm_params p;
	struct igemm_launch L;
	struct sb_emu_opts opts = { order, 12345, NULL };
	struct sb_emu_stats st;
	char err[512] = "", name[200], what[512] = "";
	int64_t nbad = 0, bi = -1, bj = -1, gab = 0, gc = 0;
	double worst = 0, t0, secs, bad_want = 0, bad_got = 0;
	int rc, bad_poison = 0;

	L = igemm_launch();
	memset(&p, 0, sizeof(p));
	p.m = m;
	p.n = n;
	p.k = k;
	p.a = (const int8_t *)o->a.data;
	p.lda = o->a.ld;
	p.b = (const int8_t *)o->b.data;
	p.ldb = o->b.ld;
	p.c = o->c.data;
	p.ldc = o->c.ld;
	if (ep->out != SB_DT_S32) {
		p.a_scale = &pr->sa;
		p.b_scale = pr->sb.data();
		p.b_per_channel = ep->per_channel;
		p.bias = ep->bias ? pr->bias.data() : NULL;
	}
	rc = v->plan(ep->out, &p, &L);
	snprintf(name, sizeof(name), "%-30s %lldx%lldx%lld %-6s %-3s %-4s "
	    "%-7s", rc == 0 ? L.name : v->name, (long long)m, (long long)n,
	    (long long)k, o->mv->name, ep->per_channel ? "pc" : "pt",
	    ep->bias ? "bias" : "-", sb_emu_order_name(order));
	t->cases++;
	if (rc != 0) {
		printf("FAIL %s (%s): the planner refused the call\n", name,
		    key);
		t->failed++;
		return -1;
	}
	c_poison(&o->c);
	opts.label = name;
	t0 = now_s();
	rc = sb_emu_launch_smem(L.grid, L.block, L.smem_bytes,
	    [&] { L.kernel(p); }, &opts, &st, err, sizeof(err));
	secs = now_s() - t0;
	t->seconds += secs;
	if (rc != 0) {
		printf("FAIL %s (%s): emulator: %s\n", name, key, err);
		t->failed++;
		return -1;
	}
	for (int64_t i = 0; i < m; i++)
		for (int64_t j = 0; j < n; j++) {
			const int64_t acc = pr->ref[(size_t)(i * n + j)];
			const uint32_t u = buf_bits(&o->c, buf_at(&o->c, i, j));
			double want, got, bound = 0;
			int ok, poison;

			if (ep->out == SB_DT_S32) {
				poison = u == POISON_C32;
				want = (double)acc;
				got = (double)(int32_t)u;
				ok = !poison && (int64_t)(int32_t)u == acc;
			} else {
				const float s = pr->sa *
				    pr->sb[ep->per_channel ? (size_t)j : 0];

				want = (double)acc * (double)s + (ep->bias ?
				    (double)pr->bias[(size_t)j] : 0.0);
				if (ep->out == SB_DT_F32) {
					poison = u == POISON_C32;
					got = f_of(u);
				} else {
					poison = u == POISON_C16;
					got = __half2float(__ushort_as_half(
					    (uint16_t)u));
				}
				bound = ulp_of(ep->out, want);
				ok = !isnan(got) && fabs(got - want) <= bound;
				if (ok)
					worst = fmax(worst, fabs(got - want) /
					    bound);
			}
			if (!ok && nbad++ == 0) {
				bi = i;
				bj = j;
				bad_poison = poison;
				bad_want = want;
				bad_got = got;
			}
		}
	gab = buf_guards_changed(&o->a) + buf_guards_changed(&o->b);
	gc = buf_guards_changed(&o->c);
	if (nbad > 0)
		snprintf(what, sizeof(what), "; %lld of %lld elements wrong, "
		    "first C[%lld,%lld] = %.9g, want %.9g%s", (long long)nbad,
		    (long long)(m * n), (long long)bi, (long long)bj, bad_got,
		    bad_want, bad_poison ? " (never written)" : "");
	if (gab > 0 || gc > 0)
		snprintf(what + strlen(what), sizeof(what) - strlen(what),
		    "; %lld guard/padding bytes of A, B and %lld elements of "
		    "C changed (write out of bounds)", (long long)gab,
		    (long long)gc);
	if (nbad > 0 || gab > 0 || gc > 0) {
		printf("FAIL %s (%s) %.2fs%s\n", name, key, secs, what);
		t->failed++;
		return -1;
	}
	printf("ok   %s %6.3fs worst %.2f ulp (%llu CTAs, %llu cp.async)\n",
	    name, secs, worst, (unsigned long long)st.ctas,
	    (unsigned long long)st.cp_async);
	return 0;
}

/* s32, and the dequantising epilogues: f32 and f16, per tensor and per
 * channel, with and without bias, spread so that each pairing appears */
static const struct epi epis[] = {
	{ SB_DT_S32, 0, 0 },
	{ SB_DT_F32, 0, 0 },
	{ SB_DT_F32, 1, 1 },
	{ SB_DT_F16, 0, 1 },
	{ SB_DT_F16, 1, 0 },
};

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
	emu_dp4a();
	emu_mma_s8();
	for (const struct shape &s : shapes) {
		struct problem pr;

		if (s.big && quick) {
			printf("skip %lldx%lldx%lld (SB_EMU_QUICK)\n",
			    (long long)s.m, (long long)s.n, (long long)s.k);
			continue;
		}
		problem_make(&pr, &s);
		for (const struct memv &mv : memvs)
		for (const struct epi &ep : epis) {
			struct operands o;

			/* the big shapes: s32 everywhere, one epilogue */
			if (s.big && ep.out != SB_DT_S32 &&
			    !(ep.out == SB_DT_F32 && ep.bias && mv.round16))
				continue;
			if (s.big == 2 && (ep.out != SB_DT_S32 || mv.odd ||
			    mv.offset))
				continue;
			operands_make(&o, &pr, ep.out, &mv);
			for (const struct version &v : versions) {
				const int orders = s.schedules ? 3 : 1;
				char key[128];

				snprintf(key, sizeof(key), "igemm.%s.%s%s%s.%s."
				    "%lldx%lldx%lld", v.name,
				    sb_dtype_name(ep.out), ep.per_channel ?
				    ".pc" : "", ep.bias ? ".bias" : "",
				    mv.name, (long long)s.m, (long long)s.n,
				    (long long)s.k);
				if (filter != NULL && strstr(key, filter) == NULL)
					continue;
				for (int ord = 0; ord < orders; ord++) {
					int rc = run_case(&v, &pr, &o, &ep,
					    (enum sb_emu_order)ord, key, &t);

					CHECK(key, rc == 0);
				}
			}
		}
	}
	printf("test_igemm_emu: %d cases, %d failed; %.1fs in kernels, %.1fs "
	    "in all\n", t.cases, t.failed, t.seconds, now_s() - t0);
	return check_summary("test_igemm_emu");
}
