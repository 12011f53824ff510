/*
 * tests/test_hgemm_emu.cpp — the hand-written half-precision GEMMs
 * (kernels/gemm_f16_wmma.cuh, gemm_f16_mma.cuh) run on the CPU in the CUDA
 * emulator (tests/emu/) and checked against fp64.  Cases are named
 * hgemm.<kernel>.<layout>.<in>.<out>.<memory>.<data>[.bias].<MxNxK>.
 *
 * Every kernel × NT/TN/NN × fp16/bf16 in × fp32/same-as-input out × bias
 * on/off × shape, with operands
 *   packed  leading dimensions as small as the layout allows
 *   ld8     leading dimensions rounded up to 8 halves (16-byte rows: the
 *           cp.async path of mma, with tails inside the chunks)
 *   ld+1    one half of padding per row (unaligned rows: scalar path)
 *   off1    ld8, but every base pointer one element past 16 bytes
 * and two kinds of data:
 *   rand    uniform in [-1, 1) rounded to the input type; the fp64
 *           reference is computed from the rounded values, and C must be
 *           within |c - ref| <= tol·Σ|a·b| + u_out·(|ref| + tol·Σ|a·b|)
 *           + tiny, tol = 2k·2^-24 (fp32 accumulation), u_out the output
 *           type's unit roundoff (0 for fp32, 2^-11 fp16, 2^-8 bf16);
 *   int     integers in [-4, 4] (bias too): every product and partial sum
 *           is exact in fp32, so C must equal round_out(exact) bit for bit.
 * NaN never passes.  C starts poisoned (NaN), so an element never written
 * fails.  A, B and the bias sit between NaN guards and their row padding is
 * NaN: a read out of bounds turns some C into NaN.  C's guards and row
 * padding hold a sentinel compared bit for bit after the kernel: nothing
 * outside the m × n result is written.  The emulator's own errors (barriers,
 * collectives, misaligned ldmatrix / cp.async / wmma pointers) fail a case.
 * The first shape also runs under reverse and shuffled schedules (random
 * data, packed and ld8), which expose a missing __syncthreads.  The
 * largest shape (more k tiles than mma's pipeline has stages) runs the
 * pipelined kernel only, with packed, ld8 and off1 operands.
 *
 * Before the GEMMs, emu-h.N cases test the emulator's half-precision parts
 * on their own, against the PTX ISA's formulas written out independently of
 * tests/emu/: ldmatrix .x1/.x2/.x4 with and without .trans, mma.m16n8k16
 * fp16/bf16 fragments (integer data: exact), cp.async landing only at
 * wait_group (and zero-filling past src-size), dynamic shared memory, and
 * the misuse errors (misaligned ldmatrix / cp.async / wmma pointers).
 *
 * Environment: SB_EMU_QUICK=1 skips the largest shape; SB_EMU_FILTER=
 * substring runs only cases whose name contains it.
 */
#include "emu/cuda_emu.h"
#include "gemm_f16_mma.cuh"
#include "gemm_f16_wmma.cuh"

#include <stdlib.h>
#include <time.h>

#include <vector>

#include "testkit.h"

/* NaN in fp16 and in bf16 (exponent all ones, mantissa not 0), and in
 * fp32: bit patterns that say who put them there. */
#define GUARD_AB16	0x7fa5u		/* around and inside A, B, bias */
#define GUARD_C16	0x7fc3u		/* around C and in its padding */
#define POISON_C16	0x7fbdu		/* C before the kernel */
#define GUARD_C32	0x7fc0c0c0u
#define POISON_C32	0x7fc00badu
#define GUARD		512		/* elements each side */

typedef int (*planner_fn)(enum sb_layout, enum sb_dtype, enum sb_dtype,
    const hgemm_params *, struct hgemm_launch *);

struct version {
	const char	*name;
	planner_fn	 plan;
	int		 big;	/* runs the big shape: it has a pipeline */
};

static const struct version versions[] = {
	{ "wmma", gemm_f16_wmma_plan, 0 },
	{ "mma", gemm_f16_mma_plan, 1 },
};

struct shape {
	int64_t	 m, n, k;
	int	 big;		/* skipped by SB_EMU_QUICK; fewer variants */
	int	 schedules;	/* also reverse and shuffled orders */
};

/* The first shape fills static shared memory with data, so that a kernel
 * that fails to zero a tail reads stale values afterwards (cuda_emu.h
 * note 6).  Dynamic shared memory is NaN at every CTA's start. */
static const struct shape shapes[] = {
	{ 127, 129, 65, 0, 1 },
	{ 1, 1, 1, 0, 0 },
	{ 7, 13, 5, 0, 0 },
	{ 17, 33, 47, 0, 0 },
	{ 130, 67, 40, 0, 0 },
	{ 64, 128, 64, 0, 0 },		/* whole tiles, 16-byte rows */
	{ 136, 260, 232, 1, 0 },	/* k tiles > pipeline stages (mma) */
};

struct memv {
	const char	*name;
	int		 pad;		/* added to each packed leading dim */
	int		 round8;	/* leading dims up to a multiple of 8 */
	int		 offset;	/* elements past a 16-byte boundary */
};

static const struct memv memvs[] = {
	{ "packed", 0, 0, 0 },
	{ "ld8", 0, 1, 0 },
	{ "ld+1", 1, 0, 0 },
	{ "off1", 0, 1, 1 },
};

static const char *const layout_names[] = { "nt", "tn", "nn" };

/* ---- half bits on the host ------------------------------------------ */

static uint16_t
to_bits(enum sb_dtype t, double x)
{
	if (t == SB_DT_F16)
		return __half_as_ushort(__float2half_rn((float)x));
	return __bfloat16_as_ushort(__float2bfloat16_rn((float)x));
}

static double
of_bits(enum sb_dtype t, uint16_t u)
{
	if (t == SB_DT_F16)
		return __half2float(__ushort_as_half(u));
	return __bfloat162float(__ushort_as_bfloat16(u));
}

static float
f_of(uint32_t u)
{
	float x;

	memcpy(&x, &u, sizeof(x));
	return x;
}

/* ---- buffers with guards -------------------------------------------- */

/* rows × cols of esize-byte elements, leading dimension ld, between
 * guards; every element outside the body holds `fill`. */
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
	if (b->esize == 2) {
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

static double
rnd(void)	/* uniform in [-1, 1), 24 bits */
{
	rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
	return (double)((int64_t)(rng_state >> 40) - (1 << 23)) * 0x1p-23;
}

static double
rnd_int(void)	/* an integer in [-4, 4] */
{
	rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
	return (double)((int)(rng_state >> 33) % 9 - 4);
}

/* ---- the problem: logical operands (rounded to the input type) ------ */

struct problem {
	const struct shape	*s;
	enum sb_dtype		 in;
	int			 exact;		/* integer data */
	std::vector<uint16_t>	 A, B, bias;	/* A m×k, B k×n: bits */
	std::vector<double>	 ref, mag;	/* m×n, without bias */
};

static void
problem_make(struct problem *pr, const struct shape *s, enum sb_dtype in,
    int exact)
{
	const int64_t m = s->m, n = s->n, k = s->k;
	std::vector<double> a((size_t)(m * k)), bt((size_t)(n * k));

	pr->s = s;
	pr->in = in;
	pr->exact = exact;
	rng_state = (uint64_t)(m * 1000003 + n * 1009 + k) * 2 + (uint64_t)exact;
	pr->A.resize((size_t)(m * k));
	pr->B.resize((size_t)(k * n));
	pr->bias.resize((size_t)n);
	for (size_t e = 0; e < pr->A.size(); e++) {
		pr->A[e] = to_bits(in, exact ? rnd_int() : rnd());
		a[e] = of_bits(in, pr->A[e]);
	}
	for (int64_t p = 0; p < k; p++)
		for (int64_t j = 0; j < n; j++) {
			uint16_t u = to_bits(in, exact ? rnd_int() : rnd());

			pr->B[(size_t)(p * n + j)] = u;
			bt[(size_t)(j * k + p)] = of_bits(in, u);
		}
	for (uint16_t &u : pr->bias)
		u = to_bits(in, exact ? rnd_int() : rnd());
	pr->ref.assign((size_t)(m * n), 0);
	pr->mag.assign((size_t)(m * n), 0);
	for (int64_t i = 0; i < m; i++)
		for (int64_t j = 0; j < n; j++) {
			const double *ar = &a[(size_t)(i * k)];
			const double *br = &bt[(size_t)(j * k)];
			double s1 = 0, s2 = 0;

			for (int64_t p = 0; p < k; p++) {
				s1 += ar[p] * br[p];
				s2 += fabs(ar[p] * br[p]);
			}
			pr->ref[(size_t)(i * n + j)] = s1;
			pr->mag[(size_t)(i * n + j)] = s2;
		}
}

/* The operands of one layout × memory variant × output type, in memory. */
struct operands {
	enum sb_layout	 layout;
	enum sb_dtype	 out;
	const struct memv *mv;
	struct buf	 a, b, c, bias;
};

static int64_t
ld_of(int64_t packed, const struct memv *mv)
{
	if (mv->round8)
		return (packed + 7) / 8 * 8;
	return packed + mv->pad;
}

static void
operands_make(struct operands *o, const struct problem *pr,
    enum sb_layout layout, enum sb_dtype out, const struct memv *mv)
{
	const int64_t m = pr->s->m, n = pr->s->n, k = pr->s->k;
	const int a_km = layout == SB_TN;	/* a stored (k, m) */
	const int b_kn = layout != SB_NT;	/* b stored (k, n) */
	const size_t oes = sb_dtype_size(out);

	o->layout = layout;
	o->out = out;
	o->mv = mv;
	if (a_km)
		buf_make(&o->a, k, m, ld_of(m, mv), mv->offset, 2, GUARD_AB16);
	else
		buf_make(&o->a, m, k, ld_of(k, mv), mv->offset, 2, GUARD_AB16);
	if (b_kn)
		buf_make(&o->b, k, n, ld_of(n, mv), mv->offset, 2, GUARD_AB16);
	else
		buf_make(&o->b, n, k, ld_of(k, mv), mv->offset, 2, GUARD_AB16);
	buf_make(&o->c, m, n, ld_of(n, mv), mv->offset, oes,
	    oes == 2 ? GUARD_C16 : GUARD_C32);
	buf_make(&o->bias, 1, n, n, mv->offset, 2, GUARD_AB16);
	for (int64_t i = 0; i < m; i++)
		for (int64_t p = 0; p < k; p++) {
			uint16_t x = pr->A[(size_t)(i * k + p)];

			buf_put(&o->a, a_km ? buf_at(&o->a, p, i) :
			    buf_at(&o->a, i, p), x);
		}
	for (int64_t p = 0; p < k; p++)
		for (int64_t j = 0; j < n; j++) {
			uint16_t x = pr->B[(size_t)(p * n + j)];

			buf_put(&o->b, b_kn ? buf_at(&o->b, p, j) :
			    buf_at(&o->b, j, p), x);
		}
	for (int64_t j = 0; j < n; j++)
		buf_put(&o->bias, buf_at(&o->bias, 0, j), pr->bias[(size_t)j]);
}

static void
c_poison(struct buf *c)
{
	for (int64_t i = 0; i < c->rows; i++)
		for (int64_t j = 0; j < c->cols; j++)
			buf_put(c, buf_at(c, i, j), c->esize == 2 ?
			    POISON_C16 : POISON_C32);
}

/* C[i,j] as a double, and whether it is still the poison */
static double
c_value(const struct operands *o, int64_t i, int64_t j, int *poison)
{
	uint32_t u = buf_bits(&o->c, buf_at(&o->c, i, j));

	if (o->c.esize == 4) {
		*poison = u == POISON_C32;
		return f_of(u);
	}
	*poison = u == POISON_C16;
	return of_bits(o->out, (uint16_t)u);
}

/* round_out(x): what an exact fp32 result x becomes in the output type */
static double
round_out(enum sb_dtype out, double x)
{
	if (out == SB_DT_F32)
		return (float)x;
	return of_bits(out, to_bits(out, x));
}

struct tally {
	int	cases, failed;
	double	seconds;
};

/* ---- the emulator's half-precision parts alone (emu-h.N) ------------ */

static char emu_err[512];

static int
launch32(size_t dyn, const std::function<void()> &body)
{
	struct sb_emu_opts o = { SB_EMU_SHUFFLE, 7, "emu-h" };

	emu_err[0] = '\0';
	return sb_emu_launch_smem(dim3(1), dim3(32), dyn, body, &o, NULL,
	    emu_err, sizeof(emu_err));
}

/* emu-h.1: ldmatrix .xN (.trans): PTX ISA "Warp-level matrix load
 * instruction: ldmatrix": lane l holds, of matrix q, row l/4, columns
 * 2(l%4) and 2(l%4)+1 (low half first); .trans the transposed element. */
static void
emu_ldmatrix(void)
{
	static GEMM_ALIGN16 uint16_t M[4][8][8];
	static uint32_t got[32][4];

	for (int q = 0; q < 4; q++)
		for (int r = 0; r < 8; r++)
			for (int c = 0; c < 8; c++)
				M[q][r][c] = (uint16_t)(q * 64 + r * 8 + c);
	for (int n = 1; n <= 4; n *= 2)
		for (int trans = 0; trans < 2; trans++) {
			char name[64];
			int bad = 0, rc;

			memset(got, 0, sizeof(got));
			rc = launch32(0, [&] {
				const int l = threadIdx.x;
				/* lanes past 8n give an address nobody may
				 * read */
				const void *row = l < 8 * n ?
				    (const void *)M[l / 8][l % 8] : NULL;
				uint32_t r[4] = { 0, 0, 0, 0 };

				if (n == 1 && trans)
					hgemm_ldmatrix<1, true>(r, row);
				else if (n == 1)
					hgemm_ldmatrix<1, false>(r, row);
				else if (n == 2 && trans)
					hgemm_ldmatrix<2, true>(r, row);
				else if (n == 2)
					hgemm_ldmatrix<2, false>(r, row);
				else if (trans)
					hgemm_ldmatrix<4, true>(r, row);
				else
					hgemm_ldmatrix<4, false>(r, row);
				memcpy(got[l], r, sizeof(r));
			});
			for (int l = 0; l < 32; l++)
				for (int q = 0; q < 4; q++) {
					const int i = l / 4, j = 2 * (l % 4);
					uint32_t want = 0;

					if (q < n)
						want = trans ? (uint32_t)M[q][j][i] |
						    (uint32_t)M[q][j + 1][i] << 16 :
						    (uint32_t)M[q][i][j] |
						    (uint32_t)M[q][i][j + 1] << 16;
					bad += got[l][q] != want;
				}
			snprintf(name, sizeof(name), "emu-h.1: ldmatrix.x%d%s",
			    n, trans ? ".trans" : "");
			if (rc != 0)
				printf("FAIL %s: %s\n", name, emu_err);
			CHECK(name, rc == 0 && bad == 0);
		}
}

/* emu-h.2: mma.m16n8k16 with the fragments of the PTX ISA ("Matrix
 * Fragments for mma.m16n8k16 with floating point type"), elements
 * a0..a7, b0..b3, c0..c3, two per register, low first:
 *   A row = g + 8·(i in {2,3,6,7}), col = 2t + (i & 1) + 8·(i >= 4)
 *   B row = 2t + (i & 1) + 8·(i >= 2), col = g
 *   C row = g + 8·(i >= 2), col = 2t + (i & 1)
 * Integer data, so the sums are exact. */
static void
emu_mma16(void)
{
	for (int bf = 0; bf < 2; bf++) {
		const enum sb_dtype t = bf ? SB_DT_BF16 : SB_DT_F16;
		static double A[16][16], B[16][8], C[16][8];
		static float D[16][8];
		char name[64];
		int bad = 0, rc;

		for (int r = 0; r < 16; r++)
			for (int k = 0; k < 16; k++)
				A[r][k] = (r * 3 + k * 5) % 7 - 3;
		for (int k = 0; k < 16; k++)
			for (int c = 0; c < 8; c++)
				B[k][c] = (k * 2 + c * 3) % 5 - 2;
		for (int r = 0; r < 16; r++)
			for (int c = 0; c < 8; c++)
				C[r][c] = r - c;
		rc = launch32(0, [&] {
			const int l = threadIdx.x, g = l / 4, tg = l % 4;
			uint32_t a[4], b[2];
			float d[4];

			for (int i = 0; i < 8; i++) {
				const int row = g + 8 * (i == 2 || i == 3 ||
				    i == 6 || i == 7);
				const int col = 2 * tg + (i & 1) + 8 * (i >= 4);
				const uint32_t h = to_bits(t, A[row][col]);

				if (i % 2 == 0)
					a[i / 2] = h;
				else
					a[i / 2] |= h << 16;
			}
			for (int i = 0; i < 4; i++) {
				const int row = 2 * tg + (i & 1) + 8 * (i >= 2);
				const uint32_t h = to_bits(t, B[row][g]);

				if (i % 2 == 0)
					b[i / 2] = h;
				else
					b[i / 2] |= h << 16;
			}
			for (int i = 0; i < 4; i++)
				d[i] = (float)C[g + 8 * (i >= 2)][2 * tg + (i & 1)];
			if (bf)
				hgemm_mma_m16n8k16<__nv_bfloat16>(d, a, b);
			else
				hgemm_mma_m16n8k16<__half>(d, a, b);
			for (int i = 0; i < 4; i++)
				D[g + 8 * (i >= 2)][2 * tg + (i & 1)] = d[i];
		});
		for (int r = 0; r < 16; r++)
			for (int c = 0; c < 8; c++) {
				double want = C[r][c];

				for (int k = 0; k < 16; k++)
					want += A[r][k] * B[k][c];
				bad += D[r][c] != want;
			}
		snprintf(name, sizeof(name), "emu-h.2: mma.m16n8k16.%s",
		    sb_dtype_name(t));
		if (rc != 0)
			printf("FAIL %s: %s\n", name, emu_err);
		CHECK(name, rc == 0 && bad == 0);
	}
}

/* emu-h.3: cp.async lands at wait_group, not before, and zero-fills past
 * src-size; emu-h.4: dynamic shared memory starts as 0xff. */
static void
emu_cp_async(void)
{
	static GEMM_ALIGN16 unsigned char src[32][16];
	static int early[32], mid[32], late[32], poisoned[32];
	int rc;

	for (int l = 0; l < 32; l++)
		for (int b = 0; b < 16; b++)
			src[l][b] = (unsigned char)(l + b + 1);
	rc = launch32(64 * 32, [&] {
		HGEMM_DYNAMIC_SMEM(smem);
		const int l = threadIdx.x;
		unsigned char *d0 = smem + l * 64, *d1 = d0 + 16;
		int ok;

		poisoned[l] = d0[0] == 0xff && d1[15] == 0xff;
		hgemm_cp_async16(d0, src[l], 16);
		hgemm_cp_commit();
		hgemm_cp_async16(d1, src[l], l % 17);	/* 0..16 bytes */
		hgemm_cp_commit();
		early[l] = d0[0] == 0xff && d1[0] == 0xff;
		hgemm_cp_wait<1>();	/* the first group only */
		mid[l] = memcmp(d0, src[l], 16) == 0 && d1[15] == 0xff;
		hgemm_cp_wait<0>();
		ok = memcmp(d1, src[l], (size_t)(l % 17)) == 0;
		for (int b = l % 17; b < 16; b++)
			ok &= d1[b] == 0;
		late[l] = ok;
	});
	if (rc != 0)
		printf("FAIL emu-h.3: %s\n", emu_err);
	for (int l = 0; l < 32; l++) {
		CHECK("emu-h.3a: cp.async has not landed before wait_group",
		    rc == 0 && early[l]);
		CHECK("emu-h.3b: wait_group 1 lands the older group only",
		    rc == 0 && mid[l]);
		CHECK("emu-h.3c: wait_group 0 lands all, zeros past src-size",
		    rc == 0 && late[l]);
		CHECK("emu-h.4: dynamic shared memory starts as 0xff",
		    rc == 0 && poisoned[l]);
	}
}

/* emu-h.5: misuse is reported, naming what is wrong */
static void
emu_misuse(void)
{
	static GEMM_ALIGN16 uint16_t M[64 + 8];
	static GEMM_ALIGN16 unsigned char buf[64];
	int rc;

	rc = launch32(0, [&] {
		uint32_t r[4];

		hgemm_ldmatrix<4, false>(r, M + 1);
	});
	CHECK("emu-h.5a: misaligned ldmatrix row fails", rc != 0 &&
	    strstr(emu_err, "16-byte aligned") != NULL);
	rc = launch32(0, [&] {
		hgemm_cp_async16(buf, buf + 2, 16);
		hgemm_cp_wait<0>();
	});
	CHECK("emu-h.5b: misaligned cp.async fails", rc != 0 &&
	    strstr(emu_err, "16-byte aligned") != NULL);
	rc = launch32(0, [&] {
		hgemm_cp_async16(buf, buf, 17);
	});
	CHECK("emu-h.5c: cp.async src-size 17 fails", rc != 0 &&
	    strstr(emu_err, "src-size 17") != NULL);
	rc = launch32(0, [&] {
		nvcuda::wmma::fragment<nvcuda::wmma::matrix_a, 16, 16, 16,
		    __half, nvcuda::wmma::row_major> f;

		nvcuda::wmma::load_matrix_sync(f,
		    reinterpret_cast<const __half *>(M + 8), 16);
	});
	CHECK("emu-h.5d: wmma load from a pointer not 32-byte aligned fails",
	    rc != 0 && strstr(emu_err, "32-byte aligned") != NULL);
	rc = launch32(228 << 10, [&] {});
	CHECK("emu-h.5e: 228 KiB of dynamic shared memory is refused",
	    rc != 0 && strstr(emu_err, "227 KiB") != NULL);
}

/* One kernel launch and its checks; 0 ok, -1 failed (printed). */
static int
run_case(const struct version *v, const struct problem *pr,
    struct operands *o, int has_bias, enum sb_emu_order order,
    const char *key, struct tally *t)
{
	const int64_t m = pr->s->m, n = pr->s->n, k = pr->s->k;
	const double tol = 2.0 * (double)k * 0x1p-24;
	const double u_out = o->out == SB_DT_F32 ? 0 :
	    o->out == SB_DT_F16 ? 0x1p-11 : 0x1p-8;
	struct hgemm_params p;
	struct hgemm_launch L;
	struct sb_emu_opts opts = { order, 12345, NULL };
	struct sb_emu_stats st;
	char err[512] = "", name[200], what[512] = "";
	int64_t nbad = 0, bi = -1, bj = -1, gab = 0, gc = 0;
	double worst = 0, t0, secs;
	int rc, bad_poison = 0;

	L = hgemm_launch();
	p.m = m;
	p.n = n;
	p.k = k;
	p.a = o->a.data;
	p.lda = o->a.ld;
	p.b = o->b.data;
	p.ldb = o->b.ld;
	p.c = o->c.data;
	p.ldc = o->c.ld;
	p.bias = has_bias ? o->bias.data : NULL;
	rc = v->plan(o->layout, pr->in, o->out, &p, &L);
	snprintf(name, sizeof(name), "%-36s %lldx%lldx%lld %-6s %-5s %-4s "
	    "%-7s", rc == 0 ? L.name : v->name, (long long)m, (long long)n,
	    (long long)k, o->mv->name, pr->exact ? "int" : "rand",
	    has_bias ? "bias" : "-", sb_emu_order_name(order));
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
			double r = pr->ref[(size_t)(i * n + j)];
			double mg = pr->mag[(size_t)(i * n + j)];
			double c, bound, e;
			int poison;

			if (has_bias) {
				double bj_ = of_bits(pr->in,
				    pr->bias[(size_t)j]);

				r += bj_;
				mg += fabs(bj_);
			}
			c = c_value(o, i, j, &poison);
			e = fabs(c - r);
			if (pr->exact) {
				bound = 0;
				e = fabs(c - round_out(o->out, r));
			} else
				bound = tol * mg + u_out * (fabs(r) + tol *
				    mg) + 0x1p-40;
			if (isnan(c) || !(e <= bound)) {
				if (nbad++ == 0) {
					bi = i;
					bj = j;
					bad_poison = poison;
				}
				continue;
			}
			if (bound > 0)
				worst = fmax(worst, e / bound);
		}
	gab = buf_guards_changed(&o->a) + buf_guards_changed(&o->b) +
	    buf_guards_changed(&o->bias);
	gc = buf_guards_changed(&o->c);
	if (nbad > 0) {
		int poison;
		double c = c_value(o, bi, bj, &poison);
		double r = pr->ref[(size_t)(bi * n + bj)] + (has_bias ?
		    of_bits(pr->in, pr->bias[(size_t)bj]) : 0);

		snprintf(what, sizeof(what), "; %lld of %lld elements wrong, "
		    "first C[%lld,%lld] = %.9g, want %.9g%s", (long long)nbad,
		    (long long)(m * n), (long long)bi, (long long)bj, c,
		    pr->exact ? round_out(o->out, r) : r, bad_poison ?
		    " (never written)" : isnan(c) ?
		    " (NaN: a read out of bounds, or of shared memory not yet written?)" : "");
	}
	if (gab > 0 || gc > 0)
		snprintf(what + strlen(what), sizeof(what) - strlen(what),
		    "; %lld guard/padding elements of A, B, bias and %lld of C "
		    "changed (write out of bounds)", (long long)gab,
		    (long long)gc);
	if (nbad > 0 || gab > 0 || gc > 0) {
		printf("FAIL %s (%s) %.2fs%s\n", name, key, secs, what);
		t->failed++;
		return -1;
	}
	printf("ok   %s %6.3fs worst %.2f of bound (%llu CTAs, %llu "
	    "cp.async)\n", name, secs, worst, (unsigned long long)st.ctas,
	    (unsigned long long)st.cp_async);
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
	emu_ldmatrix();
	emu_mma16();
	emu_cp_async();
	emu_misuse();
	for (const struct shape &s : shapes) {
		if (s.big && quick) {
			printf("skip %lldx%lldx%lld (SB_EMU_QUICK)\n",
			    (long long)s.m, (long long)s.n, (long long)s.k);
			continue;
		}
		for (int exact = 0; exact < 2; exact++)
		for (int in_i = 0; in_i < 2; in_i++) {
			const enum sb_dtype in = in_i ? SB_DT_BF16 : SB_DT_F16;
			struct problem pr;

			problem_make(&pr, &s, in, exact);
			for (int layout = 0; layout < SB_LAYOUT_COUNT; layout++)
			for (int out_i = 0; out_i < 2; out_i++)
			for (const struct memv &mv : memvs) {
				const enum sb_dtype out = out_i ? in : SB_DT_F32;
				struct operands o;

				/* integer data: the aligned paths; the big
				 * shape: fewer memory variants */
				if (exact && mv.pad + mv.offset != 0)
					continue;
				if (s.big && (mv.pad != 0 || exact))
					continue;
				operands_make(&o, &pr, (enum sb_layout)layout,
				    out, &mv);
				for (int has_bias = 0; has_bias < 2; has_bias++)
				for (const struct version &v : versions) {
					const int orders = s.schedules && !exact &&
					    mv.pad + mv.offset == 0 ? 3 : 1;
					char key[128];

					if (s.big && !v.big)
						continue;
					/* bias with either output, not both */
					if (has_bias && (out_i ^ layout % 2) &&
					    !s.schedules)
						continue;
					snprintf(key, sizeof(key), "hgemm.%s.%s.%s."
					    "%s.%s.%s%s.%lldx%lldx%lld", v.name,
					    layout_names[layout],
					    sb_dtype_name(in),
					    sb_dtype_name(out), mv.name,
					    exact ? "int" : "rand",
					    has_bias ? ".bias" : "",
					    (long long)s.m, (long long)s.n,
					    (long long)s.k);
					if (filter != NULL &&
					    strstr(key, filter) == NULL)
						continue;
					for (int ord = 0; ord < orders; ord++) {
						int rc = run_case(&v, &pr, &o,
						    has_bias,
						    (enum sb_emu_order)ord, key,
						    &t);

						CHECK(key, rc == 0);
					}
				}
			}
		}
	}
	printf("test_hgemm_emu: %d cases, %d failed; %.1fs in kernels, %.1fs "
	    "in all\n", t.cases, t.failed, t.seconds, now_s() - t0);
	return check_summary("test_hgemm_emu");
}
