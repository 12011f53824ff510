/*
 * tests/emu_selftest.cpp — tests of the CUDA emulator (tests/emu/) with tiny
 * kernels: barriers, shuffles, TF32 rounding, mma against a triple loop, and
 * that the errors it promises to catch are caught (a missing __syncthreads
 * under some schedule, divergent barriers, misused collectives, bad launch
 * shapes).  Cases are numbered emu-N.M.
 */
#include "emu/cuda_emu.h"
#include "gemm_common.cuh"

#include <float.h>
#include <stdlib.h>

#include <vector>

#include "testkit.h"

static const enum sb_emu_order orders[] = { SB_EMU_FORWARD, SB_EMU_REVERSE,
    SB_EMU_SHUFFLE };

static char err[512];
static struct sb_emu_stats st;

static int
launch(dim3 grid, dim3 block, const std::function<void()> &body,
    enum sb_emu_order order = SB_EMU_FORWARD, uint64_t seed = 1)
{
	struct sb_emu_opts o = { order, seed, "emu_selftest" };

	return sb_emu_launch(grid, block, body, &o, &st, err, sizeof(err));
}

static int
has(const char *s, const char *what)
{
	return strstr(s, what) != NULL;
}

/* ---- kernels --------------------------------------------------------- */

/* out[block] = sum of in[block*256 .. +256) */
static __global__ void
k_block_sum(const float *in, float *out)
{
	__shared__ float s[256];
	const unsigned t = threadIdx.x;

	s[t] = in[blockIdx.x * 256 + t];
	__syncthreads();
	for (unsigned h = 128; h > 0; h >>= 1) {
		if (t < h)
			s[t] += s[t + h];
		__syncthreads();
	}
	if (t == 0)
		out[blockIdx.x] = s[0];
}

/* Every thread writes its coordinates: checks the index built-ins. */
static __global__ void
k_coords(unsigned *out)
{
	const unsigned nt = blockDim.x * blockDim.y * blockDim.z;
	const unsigned t = threadIdx.x + blockDim.x * (threadIdx.y +
	    blockDim.y * threadIdx.z);
	const unsigned b = blockIdx.x + gridDim.x * (blockIdx.y +
	    gridDim.y * blockIdx.z);

	out[b * nt + t] = threadIdx.x | threadIdx.y << 8 | threadIdx.z << 16 |
	    blockIdx.x << 24 | blockIdx.y << 28 | blockIdx.z << 30;
}

/* Warp sums two ways: a down-shuffle tree (lane 0 has it) and an xor
 * butterfly (every lane has it). */
static __global__ void
k_warp_sum(const float *in, float *down, double *xr)
{
	const unsigned t = threadIdx.x;
	float v = in[t];
	double w = in[t];

	for (int d = 16; d > 0; d >>= 1)
		v += __shfl_down_sync(0xffffffffu, v, d);
	for (int m = 1; m < 32; m <<= 1)
		w += __shfl_xor_sync(0xffffffffu, w, m);
	if (t % 32 == 0)
		down[t / 32] = v;
	xr[t] = w;
}

/* Raw shuffle semantics: one shuffle of each kind per lane. */
static __global__ void
k_shfl_raw(int *out, int delta, int width)
{
	const int t = (int)threadIdx.x;
	unsigned u = 1000u + (unsigned)t;

	out[4 * t + 0] = __shfl_down_sync(0xffffffffu, t, delta, width);
	out[4 * t + 1] = __shfl_up_sync(0xffffffffu, t, delta, width);
	out[4 * t + 2] = __shfl_xor_sync(0xffffffffu, t, delta, width);
	out[4 * t + 3] = (int)__shfl_sync(0xffffffffu, u, delta, width);
}

/* Missing barrier (read after write): each thread reads the slot its
 * lower neighbour wrote, with no __syncthreads in between. */
static __global__ void
k_race_raw(const float *in, float *out)
{
	__shared__ float s[256];
	const unsigned t = threadIdx.x;

	s[t] = in[t];
	/* __syncthreads() missing */
	out[t] = s[t == 0 ? 0 : t - 1];
}

/* Missing barrier (write after read) at the end of a tile loop. */
static __global__ void
k_race_war(const float *in, float *out, int ntiles)
{
	__shared__ float s[64];
	const unsigned t = threadIdx.x;
	float acc = 0;

	for (int i = 0; i < ntiles; i++) {
		s[t] = in[i * 64 + t];
		__syncthreads();
		acc += s[(t + 1) % 64];
		/* __syncthreads() missing */
	}
	out[t] = acc;
}

/* ---- cases ----------------------------------------------------------- */

static void
test_block_sum(void)
{
	std::vector<float> in(4 * 256), out(4);

	for (size_t i = 0; i < in.size(); i++)
		in[i] = (float)(i % 1000);
	for (enum sb_emu_order o : orders) {
		int rc = launch(dim3(4), dim3(256),
		    [&] { k_block_sum(in.data(), out.data()); }, o, 7);

		CHECK("emu-1.1: block sum launches", rc == 0);
		if (rc != 0)
			fprintf(stderr, "  %s\n", err);
		for (int b = 0; b < 4; b++) {
			double want = 0;

			for (int i = 0; i < 256; i++)
				want += in[(size_t)(b * 256 + i)];
			CHECK("emu-1.2: block sum exact", out[(size_t)b] == want);
		}
		CHECK("emu-1.3: 9 barriers per block released",
		    st.barriers == 4 * 9 && st.ctas == 4);
	}
}

static void
test_coords(void)
{
	dim3 g(3, 2, 2), b(8, 4, 3);
	std::vector<unsigned> out(12 * 96, ~0u);
	int bad = 0;

	CHECK("emu-1.4: 3-D grid and block launch",
	    launch(g, b, [&] { k_coords(out.data()); }) == 0);
	for (unsigned bz = 0; bz < 2; bz++)
	for (unsigned by = 0; by < 2; by++)
	for (unsigned bx = 0; bx < 3; bx++)
	for (unsigned tz = 0; tz < 3; tz++)
	for (unsigned ty = 0; ty < 4; ty++)
	for (unsigned tx = 0; tx < 8; tx++) {
		size_t i = ((bz * 2 + by) * 3 + bx) * 96 + (tz * 4 + ty) * 8 + tx;

		bad += out[i] != (tx | ty << 8 | tz << 16 | bx << 24 |
		    by << 28 | bz << 30);
	}
	CHECK("emu-1.5: threadIdx/blockIdx/blockDim/gridDim", bad == 0);
}

static void
test_shuffles(void)
{
	std::vector<float> in(256), down(8);
	std::vector<double> xr(256);
	std::vector<int> raw(4 * 32);
	int bad = 0;

	for (int i = 0; i < 256; i++)
		in[(size_t)i] = (float)(i * 3 % 17);
	for (enum sb_emu_order o : orders) {
		CHECK("emu-2.1: warp sums launch", launch(dim3(1), dim3(256),
		    [&] { k_warp_sum(in.data(), down.data(), xr.data()); },
		    o, 3) == 0);
		for (int w = 0; w < 8; w++) {
			double want = 0;

			for (int l = 0; l < 32; l++)
				want += in[(size_t)(w * 32 + l)];
			bad += down[(size_t)w] != want;
			for (int l = 0; l < 32; l++)
				bad += xr[(size_t)(w * 32 + l)] != want;
		}
	}
	CHECK("emu-2.2: __shfl_down_sync and __shfl_xor_sync sums", bad == 0);

	/* delta 5, width 32: lanes 27..31 keep their own value (down) */
	CHECK("emu-2.3: raw shuffles launch", launch(dim3(1), dim3(32),
	    [&] { k_shfl_raw(raw.data(), 5, 32); }) == 0);
	bad = 0;
	for (int l = 0; l < 32; l++) {
		bad += raw[(size_t)(4 * l + 0)] != (l + 5 < 32 ? l + 5 : l);
		bad += raw[(size_t)(4 * l + 1)] != (l >= 5 ? l - 5 : l);
		bad += raw[(size_t)(4 * l + 2)] != (l ^ 5);
		bad += raw[(size_t)(4 * l + 3)] != 1005;
	}
	CHECK("emu-2.4: shuffle sources, width 32", bad == 0);

	/* width 8: segments of 8 lanes */
	CHECK("emu-2.5: raw shuffles, width 8", launch(dim3(1), dim3(32),
	    [&] { k_shfl_raw(raw.data(), 3, 8); }) == 0);
	bad = 0;
	for (int l = 0; l < 32; l++) {
		int seg = l & ~7;

		bad += raw[(size_t)(4 * l + 0)] != (l - seg + 3 < 8 ? l + 3 : l);
		bad += raw[(size_t)(4 * l + 1)] != (l - seg >= 3 ? l - 3 : l);
		bad += raw[(size_t)(4 * l + 2)] != (l ^ 3);
		bad += raw[(size_t)(4 * l + 3)] != (int)(1000 + seg + 3);
	}
	CHECK("emu-2.6: shuffle sources, width 8", bad == 0);
}

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
test_tf32(void)
{
	static const struct {
		const char	*what;
		uint32_t	 in, out;
	} cases[] = {
		{ "1.0 exact", 0x3f800000u, 0x3f800000u },
		{ "-2.0 exact", 0xc0000000u, 0xc0000000u },
		{ "10 mantissa bits exact", 0x3fffe000u, 0x3fffe000u },
		{ "+0", 0x00000000u, 0x00000000u },
		{ "-0", 0x80000000u, 0x80000000u },
		{ "1+2^-11 tie: away (RNE would give 1)", 0x3f801000u,
		    0x3f802000u },
		{ "-(1+2^-11) tie: away", 0xbf801000u, 0xbf802000u },
		{ "1+3*2^-11 tie: away", 0x3f803000u, 0x3f804000u },
		{ "just below a tie: down", 0x3f800fffu, 0x3f800000u },
		{ "just above a tie: up", 0x3f801001u, 0x3f802000u },
		{ "-(just above a tie): away", 0xbf801001u, 0xbf802000u },
		{ "carry into the exponent", 0x3ffff000u, 0x40000000u },
		{ "FLT_MAX rounds to Inf", 0x7f7fffffu, 0x7f800000u },
		{ "+Inf", 0x7f800000u, 0x7f800000u },
		{ "-Inf", 0xff800000u, 0xff800000u },
		{ "denormal tie", 0x00001000u, 0x00002000u },
		{ "denormal down", 0x00000fffu, 0x00000000u },
	};
	char name[128];

	for (const auto &c : cases) {
		uint32_t got = sb_emu_f32_to_tf32(f_of(c.in));

		snprintf(name, sizeof(name), "emu-3.1: tf32 %s", c.what);
		CHECK(name, got == c.out);
		if (got != c.out)
			fprintf(stderr, "  0x%08x -> 0x%08x, want 0x%08x\n",
			    c.in, got, c.out);
	}
	for (uint32_t nan : { 0x7fc00000u, 0x7f800001u, 0xffc00001u,
	    0x7fbfffffu }) {
		uint32_t got = sb_emu_f32_to_tf32(f_of(nan));

		CHECK("emu-3.2: NaN stays NaN with low 13 bits zero",
		    isnan(f_of(got)) && (got & 0x1fffu) == 0 &&
		    (got >> 31) == (nan >> 31));
	}
	/* the wrapper the kernels call is the same function */
	CHECK("emu-3.3: sb_f32_to_tf32 == emulator", sb_f32_to_tf32(1.2345f) ==
	    sb_emu_f32_to_tf32(1.2345f));
	/* round-trip: |x - tf32(x)| <= 2^-11 |x| */
	{
		int bad = 0;

		srand(11);
		for (int i = 0; i < 10000; i++) {
			float x = ((float)rand() / RAND_MAX - 0.5f) *
			    ldexpf(1.0f, rand() % 40 - 20);
			float y = f_of(sb_emu_f32_to_tf32(x));

			bad += fabs((double)y - x) > ldexp(fabs((double)x), -11);
		}
		CHECK("emu-3.4: tf32 error <= 2^-11 relative", bad == 0);
	}
}

/* D = A·B + C for one warp, fragments per kernels/gemm_common.cuh. */
static void
k_mma(const float *A, const float *B, const float *C, float *D, int convert)
{
	const int lane = (int)threadIdx.x % 32, g = lane / 4, t = lane % 4;
	uint32_t a[4], b[2];
	float d[4];
	const float av[4] = { A[g * 8 + t], A[(g + 8) * 8 + t],
	    A[g * 8 + t + 4], A[(g + 8) * 8 + t + 4] };
	const float bv[2] = { B[t * 8 + g], B[(t + 4) * 8 + g] };

	for (int i = 0; i < 4; i++)
		a[i] = convert ? sb_f32_to_tf32(av[i]) : u_of(av[i]);
	for (int i = 0; i < 2; i++)
		b[i] = convert ? sb_f32_to_tf32(bv[i]) : u_of(bv[i]);
	d[0] = C[g * 8 + 2 * t];
	d[1] = C[g * 8 + 2 * t + 1];
	d[2] = C[(g + 8) * 8 + 2 * t];
	d[3] = C[(g + 8) * 8 + 2 * t + 1];
	sb_mma_m16n8k8_tf32(d, a, b);
	D[g * 8 + 2 * t] = d[0];
	D[g * 8 + 2 * t + 1] = d[1];
	D[(g + 8) * 8 + 2 * t] = d[2];
	D[(g + 8) * 8 + 2 * t + 1] = d[3];
}

static void
test_mma(void)
{
	float A[16 * 8], B[8 * 8], C[16 * 8], D[16 * 8];
	double maxerr = 0;
	int rc;

	srand(5);
	for (int rep = 0; rep < 20; rep++) {
		for (float &x : A)
			x = f_of(sb_emu_f32_to_tf32((float)rand() / RAND_MAX *
			    2 - 1));
		for (float &x : B)
			x = f_of(sb_emu_f32_to_tf32((float)rand() / RAND_MAX *
			    2 - 1));
		for (float &x : C)
			x = (float)rand() / RAND_MAX;
		rc = launch(dim3(1), dim3(64), [&] {
			if (threadIdx.x < 32)	/* both warps: same answer */
				k_mma(A, B, C, D, 0);
			else
				k_mma(A, B, C, D, 0);
		}, orders[rep % 3], (uint64_t)rep);
		CHECK("emu-4.1: mma launches", rc == 0);
		for (int i = 0; i < 16; i++)
			for (int j = 0; j < 8; j++) {
				double want = C[i * 8 + j];

				for (int p = 0; p < 8; p++)
					want += (double)A[i * 8 + p] *
					    B[p * 8 + j];
				maxerr = fmax(maxerr, fabs(D[i * 8 + j] -
				    want) / fmax(fabs(want), 1e-30));
			}
	}
	CHECK("emu-4.2: mma == triple loop (relative error <= 2^-24)",
	    maxerr <= ldexp(1.0, -24));
	if (maxerr > ldexp(1.0, -24))
		fprintf(stderr, "  max relative error %.3g\n", maxerr);

	/* fp32 operands that were never rounded: counted and refused */
	for (float &x : A)
		x = 1.0f + ldexpf(1.0f, -20);
	rc = launch(dim3(1), dim3(32), [&] { k_mma(A, B, C, D, 0); });
	CHECK("emu-4.3: non-TF32 operands are an error", rc != 0 &&
	    has(err, "not TF32") && st.tf32_bad == 16 * 8);
	rc = launch(dim3(1), dim3(32), [&] { k_mma(A, B, C, D, 1); });
	CHECK("emu-4.4: converted operands are fine", rc == 0 &&
	    st.tf32_bad == 0);

	/* a partial warp cannot mma */
	rc = launch(dim3(1), dim3(48), [&] { k_mma(A, B, C, D, 1); });
	CHECK("emu-4.5: mma in a partial warp is an error", rc != 0 &&
	    has(err, "only 16 threads"));
	/* half the lanes leave early */
	rc = launch(dim3(1), dim3(32), [&] {
		if (threadIdx.x < 16)
			k_mma(A, B, C, D, 1);
	});
	CHECK("emu-4.6: mma with lanes missing deadlocks, reported", rc != 0 &&
	    has(err, "16 of 32 lanes"));
}

static void
test_races(void)
{
	std::vector<float> in(256), out(256);
	int caught = 0, passed_fwd = 0;

	/* read after write: forward hides it (the lower neighbour ran
	 * first), reverse and shuffle expose it */
	for (size_t i = 0; i < 256; i++)
		in[i] = (float)(i + 1);
	for (enum sb_emu_order o : orders) {
		int bad = 0;

		/* shared memory is zero or stale, never this launch's data */
		for (size_t i = 0; i < 256; i++)
			in[i] += 1000;
		CHECK("emu-5.1: racy kernel runs", launch(dim3(1), dim3(256),
		    [&] { k_race_raw(in.data(), out.data()); }, o, 99) == 0);
		for (size_t t = 0; t < 256; t++)
			bad += out[t] != in[t == 0 ? 0 : t - 1];
		if (o == SB_EMU_FORWARD)
			passed_fwd = bad == 0;
		else
			caught += bad > 0;
	}
	CHECK("emu-5.2: missing barrier (RAW) passes forward", passed_fwd);
	CHECK("emu-5.3: missing barrier (RAW) caught by reverse and shuffle",
	    caught == 2);

	/* write after read at the end of a tile loop: every order */
	in.resize(64 * 8);
	for (size_t i = 0; i < in.size(); i++)
		in[i] = (float)(i % 61);
	caught = 0;
	for (enum sb_emu_order o : orders) {
		int bad = 0;

		CHECK("emu-5.4: racy loop runs", launch(dim3(1), dim3(64),
		    [&] { k_race_war(in.data(), out.data(), 8); }, o, 5) == 0);
		for (size_t t = 0; t < 64; t++) {
			float want = 0;

			for (size_t i = 0; i < 8; i++)
				want += in[i * 64 + (t + 1) % 64];
			bad += out[t] != want;
		}
		caught += bad > 0;
	}
	CHECK("emu-5.5: missing barrier (WAR) caught in every order",
	    caught == 3);
}

static void
test_errors(void)
{
	int rc;

	rc = launch(dim3(1), dim3(256), [&] {
		if (threadIdx.x < 128)
			return;
		__syncthreads();
	});
	CHECK("emu-6.1: early return before __syncthreads is reported",
	    rc != 0 && has(err, "divergent barrier") &&
	    has(err, "128 threads wait") && has(err, "128 have exited"));

	rc = launch(dim3(1), dim3(64), [&] {
		for (unsigned i = 0; i < 2 + threadIdx.x / 32; i++)
			__syncthreads();
	});
	CHECK("emu-6.2: unequal barrier counts are reported", rc != 0 &&
	    has(err, "divergent barrier"));

	rc = launch(dim3(1), dim3(64), [&] {
		if (threadIdx.x & 1)
			__syncthreads();
		else
			__syncthreads();
	});
	CHECK("emu-6.3: barriers at different places are reported", rc != 0 &&
	    has(err, "different __syncthreads"));

	rc = launch(dim3(1), dim3(1025), [] {});
	CHECK("emu-6.4: 1025 threads refused", rc != 0 && has(err, "blockDim"));
	rc = launch(dim3(1), dim3(0), [] {});
	CHECK("emu-6.5: 0 threads refused", rc != 0 && has(err, "blockDim"));
	rc = launch(dim3(1, 65536), dim3(32), [] {});
	CHECK("emu-6.6: grid.y 65536 refused", rc != 0 && has(err, "gridDim"));

	/* partial warp: a full mask names lanes that do not exist */
	rc = launch(dim3(1), dim3(40), [&] {
		(void)__shfl_down_sync(0xffffffffu, 1.0f, 1);
	});
	CHECK("emu-6.7: full mask in a partial warp is an error", rc != 0 &&
	    has(err, "do not exist"));
	{
		std::vector<int> got(40);

		rc = launch(dim3(1), dim3(40), [&] {
			unsigned t = threadIdx.x;
			unsigned m = t < 32 ? 0xffffffffu : 0xffu;

			got[t] = __shfl_xor_sync(m, (int)t, 1);
		});
		int bad = 0;

		for (int t = 0; t < 40; t++)
			bad += got[(size_t)t] != (t ^ 1);
		CHECK("emu-6.8: exact mask in a partial warp works", rc == 0 &&
		    bad == 0);
	}
	rc = launch(dim3(1), dim3(32), [&] {
		if (threadIdx.x < 31)
			(void)__shfl_down_sync(0xffffffffu, 1, 1);
	});
	CHECK("emu-6.9: a lane missing from a shuffle deadlocks, reported",
	    rc != 0 && has(err, "31 of 32 lanes"));
	rc = launch(dim3(1), dim3(32), [&] {
		if (threadIdx.x < 16)
			(void)__shfl_down_sync(0xffffffffu, 1, 1);
		else
			(void)__shfl_xor_sync(0xffffffffu, 1, 1);
	});
	CHECK("emu-6.10: different collectives in one warp are reported",
	    rc != 0 && has(err, "different collectives"));
	rc = launch(dim3(1), dim3(32), [&] {
		(void)__shfl_xor_sync(0x0000ffffu, 1, 1);
	});
	CHECK("emu-6.11: a lane outside the mask is reported", rc != 0 &&
	    has(err, "does not name it"));
	/* after errors, a good launch still works */
	{
		std::vector<float> in(256, 1.0f), out(1);

		rc = launch(dim3(1), dim3(256),
		    [&] { k_block_sum(in.data(), out.data()); });
		CHECK("emu-6.12: a launch after failed ones works", rc == 0 &&
		    out[0] == 256);
	}
}

int
main(void)
{
	test_block_sum();
	test_coords();
	test_shuffles();
	test_tf32();
	test_mma();
	test_races();
	test_errors();
	return check_summary("emu_selftest");
}
