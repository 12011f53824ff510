/*
 * tests/emu/cuda_emu.h — a small CUDA emulator: runs a kernel's CTAs on the
 * CPU so that the hand-written kernels (the .cuh headers in kernels/) can be
 * tested on a machine without a GPU.  Include it first, in a C++17 file
 * compiled by g++ with -DSB_EMU, then the kernel headers; link
 * tests/emu/cuda_emu.cpp.
 *
 * Design notes.
 *
 * 1. Threads are coroutines.  Every CUDA thread of a CTA is a fiber with its
 *    own stack; the scheduler resumes one at a time, and a fiber runs until
 *    it finishes or blocks in __syncthreads() or a warp collective.  CTAs run
 *    one after another, blockIdx.x fastest.  There is no preemption, so a
 *    thread that spins on shared memory written by another never ends.
 *
 * 2. A barrier releases when every thread of the CTA has arrived, all at
 *    the same __syncthreads (file:line).  A thread that exits while others
 *    wait, threads that call __syncthreads a different number of times, or
 *    from different places, are reported as errors: all are undefined on a
 *    GPU (divergent barriers).
 *
 * 3. Warp collectives (shuffles, mma) are warp barriers.  Each lane deposits
 *    its operands and blocks; the last lane to arrive computes every lane's
 *    result from all the deposits and releases the warp.  So lanes never see
 *    a neighbour's later value.  Lanes run independently in between, as
 *    under Volta's independent thread scheduling: a kernel that relies on
 *    implicit warp synchrony fails here.
 *
 * 4. Partial warps (blockDim not a multiple of 32): the last warp has fewer
 *    lanes.  A shuffle whose mask names a lane that does not exist, or that
 *    reads a lane outside its mask, is an error (undefined on a GPU, where
 *    the value read is garbage).  mma needs all 32 lanes: on a partial warp
 *    it is an error.  Every lane named in a mask must call the collective;
 *    all lanes must use the same kind and mask.
 *
 * 5. Scheduling order hunts races.  After every barrier the runnable threads
 *    are resumed in thread order (forward), in reverse, or in a seeded random
 *    order (shuffle, redrawn each round).  A kernel that reads shared memory
 *    another thread has not yet written (a missing __syncthreads) computes
 *    from stale data in at least one of these orders.
 *
 * 6. __shared__ is `static`: a function-local static array is exactly one
 *    CTA's shared memory when CTAs run one at a time.  It is not poisoned
 *    between CTAs (statics cannot be enumerated: GCC ignores a section
 *    attribute on template statics), so it starts zeroed in the first CTA
 *    and holds the previous CTA's data after; a kernel that reads shared
 *    memory it never wrote may pass in the first CTA, seldom in all.  Fiber
 *    stacks are filled with 0xff once (a float NaN), so uninitialised
 *    registers read as NaN in the first CTA and as the previous CTA's
 *    values after.
 *
 * 7. mma.m16n8k8 TF32: products are exact in double and summed in double,
 *    then d = (float)(d + sum), one rounding (the hardware rounds somewhat
 *    differently; tests allow for either).  An operand whose low 13 bits are
 *    not zero (not converted with cvt.rna.tf32) is masked, as the hardware
 *    ignores those bits, and counted; the launch then fails.
 *
 * 8. Half precision (kernels/gemm_f16.cuh).  __half and __nv_bfloat16 are
 *    the toolkit's own (cuda_fp16.h and cuda_bf16.h compile in g++), so
 *    conversions round exactly as on the device.  mma.m16n8k16 f16/bf16:
 *    products exact in double, summed in double, one rounding into d, as
 *    note 7.  ldmatrix (x1, x2, x4, .trans) is a warp collective with the
 *    PTX fragment layout; every row address must be 16-byte aligned.
 *
 * 9. cp.async is emulated asynchronously: each copy is queued on its
 *    thread and lands (src bytes, then zeros up to 16) only when a
 *    cp.async.wait_group of that thread retires its group, or when the
 *    thread exits.  A kernel that reads a stage before waiting for it
 *    reads stale shared memory, as a GPU may.  __syncthreads does not
 *    complete copies (it does not on a GPU either).  Source and
 *    destination must be 16-byte aligned and src-size within 0..16.
 *
 * 10. wmma (m16n16k16 only): the fragment layout is opaque, so every lane
 *    holds the whole tile (a consistent emulation; kernels must not index
 *    fragment elements by lane).  load/store/mma_sync are warp
 *    collectives (all 32 lanes), then each lane does the work on its own
 *    copy; pointers must be 32-byte aligned and ldm a multiple of 16
 *    bytes, as the CUDA guide requires.  mma_sync sums as note 7.
 *
 * 11. Dynamic shared memory: sb_emu_launch_smem gives a launch a buffer of
 *    the requested size (128-byte aligned), refilled with 0xff (NaN as
 *    float, fp16 and bf16) before every CTA, unlike static shared memory.
 *
 * 12. int8 (kernels/gemm_s8.cuh).  __dp4a(a, b, c) is c plus the four
 *    signed byte products of a and b, wrapping modulo 2^32 as on the
 *    device.  mma.m16n8k32 s8.s8.s32 is a warp collective of all 32 lanes
 *    with the PTX fragment layout; the products are summed exactly and
 *    added to d modulo 2^32 (no .satfinite).  ldmatrix for int8 tiles is
 *    the b16 instruction above: it moves bytes, whatever they hold.
 *
 * 13. Atomics (atomicMax on unsigned int, atomicAdd on unsigned int and
 *    unsigned long long): a plain read-modify-write.  Threads are fibers
 *    on one OS thread and a fiber is never preempted between the read and
 *    the write, so every atomic is indivisible, as on the device; CTAs run
 *    one after another, so the order atomics land in is the schedule's,
 *    not a GPU's.  Tests must not depend on that order (max and integer
 *    sums do not).  Float and double atomics are not provided (a test
 *    that needs one defines it: tests/test_amp_emu.cpp).
 *
 * 14. Float intrinsics: __fdiv_rn is one IEEE division (the file builds
 *    with -ffp-contract=off); __float2int_rn rounds half to even, a NaN
 *    gives 0 and out-of-range values saturate to INT_MIN / INT_MAX, as
 *    cvt.rni.s32.f32 does; __float_as_uint / __uint_as_float move bits.
 *
 * Not emulated: float atomics, __syncwarp, memory fences, inter-CTA
 * communication, and anything not listed in kernels/gemm_common.cuh and
 * kernels/gemm_f16.cuh.
 */
#ifndef SB_TESTS_CUDA_EMU_H
#define SB_TESTS_CUDA_EMU_H

#ifndef __cplusplus
#error "cuda_emu.h is C++ (compile the test with g++)"
#endif

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <functional>
#include <type_traits>

/* dim3, uint3, float4, make_float4, ... from the toolkit, host-only. */
#include <vector_types.h>
#include <vector_functions.h>
/* __half, __nv_bfloat16 and their conversions, host-callable (note 8). */
#include <cuda_fp16.h>
#include <cuda_bf16.h>

/* CUDA's host_defines.h defines some of these for a host compiler. */
#undef __global__
#undef __device__
#undef __host__
#undef __forceinline__
#undef __shared__
#undef __launch_bounds__
#define __global__
#define __device__
#define __host__
#define __forceinline__	inline
#define __shared__	static
#define __launch_bounds__(...)
/* __restrict__ is a g++ keyword already. */

#define warpSize	32

/* The thread being run, and the CTA it belongs to. */
struct sb_emu_now {
	const uint3	*thread_idx;
	uint3		 block_idx;
	dim3		 block_dim, grid_dim;
};
extern struct sb_emu_now sb_emu_now;

#define threadIdx	(static_cast<const uint3 &>(*sb_emu_now.thread_idx))
#define blockIdx	(static_cast<const uint3 &>(sb_emu_now.block_idx))
#define blockDim	(static_cast<const dim3 &>(sb_emu_now.block_dim))
#define gridDim		(static_cast<const dim3 &>(sb_emu_now.grid_dim))

void	sb_emu_syncthreads(const char *file, int line);
#define __syncthreads()	sb_emu_syncthreads(__FILE__, __LINE__)

enum sb_emu_shfl_kind { SB_EMU_SHFL_IDX, SB_EMU_SHFL_UP, SB_EMU_SHFL_DOWN,
    SB_EMU_SHFL_XOR };

/* One lane's part of a shuffle: up to 64 bits in, the source lane's out. */
uint64_t	sb_emu_shfl(enum sb_emu_shfl_kind, unsigned mask, uint64_t bits,
		    int arg, int width, const char *file, int line);

template <typename T>
static inline T
sb_emu_shfl_t(enum sb_emu_shfl_kind kind, const char *file, int line,
    unsigned mask, T v, int arg, int width = warpSize)
{
	static_assert(std::is_arithmetic<T>::value && sizeof(T) <= 8,
	    "shuffles move ints, unsigneds, floats and doubles");
	uint64_t bits = 0;

	memcpy(&bits, &v, sizeof(v));
	bits = sb_emu_shfl(kind, mask, bits, arg, width, file, line);
	memcpy(&v, &bits, sizeof(v));
	return v;
}

#define __shfl_sync(...)						\
	sb_emu_shfl_t(SB_EMU_SHFL_IDX, __FILE__, __LINE__, __VA_ARGS__)
#define __shfl_up_sync(...)						\
	sb_emu_shfl_t(SB_EMU_SHFL_UP, __FILE__, __LINE__, __VA_ARGS__)
#define __shfl_down_sync(...)						\
	sb_emu_shfl_t(SB_EMU_SHFL_DOWN, __FILE__, __LINE__, __VA_ARGS__)
#define __shfl_xor_sync(...)						\
	sb_emu_shfl_t(SB_EMU_SHFL_XOR, __FILE__, __LINE__, __VA_ARGS__)

/* Rounded exactly once, never contracted (the file builds with
 * -ffp-contract=off). */
static inline float
__fmul_rn(float a, float b)
{
	return a * b;
}

static inline float
__fadd_rn(float a, float b)
{
	return a + b;
}

static inline float
__fdiv_rn(float a, float b)
{
	return a / b;
}

/* Note 14. */
static inline int
__float2int_rn(float x)
{
	if (isnan(x))
		return 0;
	if (x >= 2147483648.0f)
		return INT32_MAX;
	if (x <= -2147483648.0f)
		return INT32_MIN;
	return (int)nearbyintf(x);	/* the default mode: half to even */
}

static inline unsigned int
__float_as_uint(float x)
{
	unsigned int u;

	memcpy(&u, &x, sizeof(u));
	return u;
}

static inline float
__uint_as_float(unsigned int u)
{
	float x;

	memcpy(&x, &u, sizeof(x));
	return x;
}

/* Atomics (note 13): the old value, as on the device. */
static inline unsigned int
atomicMax(unsigned int *p, unsigned int v)
{
	const unsigned int old = *p;

	if (v > old)
		*p = v;
	return old;
}

static inline unsigned int
atomicAdd(unsigned int *p, unsigned int v)
{
	const unsigned int old = *p;

	*p = old + v;
	return old;
}

static inline unsigned long long
atomicAdd(unsigned long long *p, unsigned long long v)
{
	const unsigned long long old = *p;

	*p = old + v;
	return old;
}

/* Also declared by kernels/gemm_common.cuh under SB_EMU. */
uint32_t	sb_emu_f32_to_tf32(float);
void		sb_emu_mma_m16n8k8_tf32(float d[4], const uint32_t a[4],
		    const uint32_t b[2]);

/* Also declared by kernels/gemm_f16.cuh under SB_EMU (notes 8, 9, 11). */
void		sb_emu_mma_m16n8k16(int bf16, float d[4], const uint32_t a[4],
		    const uint32_t b[2]);
void		sb_emu_ldmatrix(int nmat, int trans, uint32_t *r,
		    const void *row);
void		sb_emu_cp_async16(void *dst, const void *src, int src_bytes);
void		sb_emu_cp_async_commit(void);
void		sb_emu_cp_async_wait(int pending);
unsigned char	*sb_emu_dyn_smem(void);
void		sb_emu_yield(void);	/* spin-waits: others run */

/* Also declared by kernels/gemm_s8.cuh under SB_EMU (note 12). */
void		sb_emu_mma_m16n8k32_s8(int32_t d[4], const uint32_t a[4],
		    const uint32_t b[2]);

/* c + Σ_q (int8)a.byte[q] · (int8)b.byte[q], modulo 2^32 (note 12). */
static inline int
__dp4a(int a, int b, int c)
{
	uint32_t s = (uint32_t)c;

	for (int q = 0; q < 4; q++)
		s += (uint32_t)((int32_t)(int8_t)((uint32_t)a >> 8 * q) *
		    (int32_t)(int8_t)((uint32_t)b >> 8 * q));
	return (int)s;
}

/* ---- wmma (note 10) ------------------------------------------------- */

/* A warp collective of all 32 lanes named what; checks that p is 32-byte
 * aligned and ldm_bytes a multiple of 16 (p NULL: no pointer). */
void	sb_emu_wmma_sync(const char *what, const void *p, size_t ldm_bytes);

static inline float
sb_emu_to_f32(float x)
{
	return x;
}

static inline float
sb_emu_to_f32(__half x)
{
	return __half2float(x);
}

static inline float
sb_emu_to_f32(__nv_bfloat16 x)
{
	return __bfloat162float(x);
}

namespace nvcuda {
namespace wmma {

struct matrix_a {};
struct matrix_b {};
struct accumulator {};
struct row_major {};
struct col_major {};
enum layout_t { mem_row_major, mem_col_major };

/* R × C: A is M×K, B is K×N, the accumulator M×N; v[r·C + c], as float
 * (exact for half and bf16 elements). */
template <typename Use, int M, int N, int K, typename T,
    typename Layout = void>
struct fragment {
	static_assert(M == 16 && N == 16 && K == 16,
	    "the emulator knows wmma m16n16k16 only");
	static constexpr int R = std::is_same<Use, matrix_b>::value ? K : M;
	static constexpr int C = std::is_same<Use, matrix_a>::value ? K : N;
	enum { num_elements = R * C };
	float	v[R * C];
};

template <typename Use, typename T, typename L>
static inline void
load_matrix_sync(fragment<Use, 16, 16, 16, T, L> &f, const T *p,
    unsigned ldm)
{
	constexpr bool row = std::is_same<L, row_major>::value;

	sb_emu_wmma_sync("wmma::load_matrix_sync", p, ldm * sizeof(T));
	for (int r = 0; r < f.R; r++)
		for (int c = 0; c < f.C; c++)
			f.v[r * f.C + c] = sb_emu_to_f32(row ?
			    p[(size_t)r * ldm + c] : p[(size_t)c * ldm + r]);
}

static inline void
load_matrix_sync(fragment<accumulator, 16, 16, 16, float> &f, const float *p,
    unsigned ldm, layout_t l)
{
	sb_emu_wmma_sync("wmma::load_matrix_sync", p, ldm * sizeof(float));
	for (int r = 0; r < 16; r++)
		for (int c = 0; c < 16; c++)
			f.v[r * 16 + c] = l == mem_row_major ?
			    p[(size_t)r * ldm + c] : p[(size_t)c * ldm + r];
}

static inline void
store_matrix_sync(float *p, const fragment<accumulator, 16, 16, 16, float> &f,
    unsigned ldm, layout_t l)
{
	sb_emu_wmma_sync("wmma::store_matrix_sync", p, ldm * sizeof(float));
	for (int r = 0; r < 16; r++)
		for (int c = 0; c < 16; c++) {
			float *d = l == mem_row_major ? &p[(size_t)r * ldm + c] :
			    &p[(size_t)c * ldm + r];

			*d = f.v[r * 16 + c];
		}
}

template <typename Use, typename T, typename L, typename V>
static inline void
fill_fragment(fragment<Use, 16, 16, 16, T, L> &f, const V &x)
{
	for (int e = 0; e < f.R * f.C; e++)
		f.v[e] = sb_emu_to_f32(x);
}

template <typename T, typename LA, typename LB>
static inline void
mma_sync(fragment<accumulator, 16, 16, 16, float> &d,
    const fragment<matrix_a, 16, 16, 16, T, LA> &a,
    const fragment<matrix_b, 16, 16, 16, T, LB> &b,
    const fragment<accumulator, 16, 16, 16, float> &c)
{
	float out[256];

	sb_emu_wmma_sync("wmma::mma_sync", NULL, 0);
	for (int r = 0; r < 16; r++)
		for (int j = 0; j < 16; j++) {
			double sum = 0;

			for (int q = 0; q < 16; q++)
				sum += (double)a.v[r * 16 + q] *
				    b.v[q * 16 + j];
			out[r * 16 + j] = (float)((double)c.v[r * 16 + j] +
			    sum);
		}
	memcpy(d.v, out, sizeof(out));
}

}	/* namespace wmma */
}	/* namespace nvcuda */

enum sb_emu_order { SB_EMU_FORWARD, SB_EMU_REVERSE, SB_EMU_SHUFFLE };

struct sb_emu_opts {
	enum sb_emu_order	 order;
	uint64_t		 seed;		/* for SB_EMU_SHUFFLE */
	const char		*label;		/* names the launch if it
						 * crashes; may be NULL */
};

/* What a launch did (filled even when it fails). */
struct sb_emu_stats {
	uint64_t	ctas, threads;
	uint64_t	barriers;	/* __syncthreads released */
	uint64_t	collectives;	/* warp collectives released */
	uint64_t	switches;	/* fiber resumes */
	uint64_t	tf32_bad;	/* mma operands that were not TF32 */
	uint64_t	cp_async;	/* cp.async copies landed */
};

/*
 * Run body() as every thread of a grid × block launch.  Returns 0, or -1
 * with a message in err (bad launch shape, divergent barrier, deadlock,
 * misused collective, non-TF32 mma operands).  opts may be NULL (forward
 * order), stats too.  Not reentrant.
 */
int	sb_emu_launch(dim3 grid, dim3 block, const std::function<void()> &body,
	    const struct sb_emu_opts *opts, struct sb_emu_stats *stats,
	    char *err, size_t errlen);

/* The same with dyn_smem bytes of dynamic shared memory per CTA (note 11;
 * at most 227 KiB, as on sm_90). */
int	sb_emu_launch_smem(dim3 grid, dim3 block, size_t dyn_smem,
	    const std::function<void()> &body, const struct sb_emu_opts *opts,
	    struct sb_emu_stats *stats, char *err, size_t errlen);

const char	*sb_emu_order_name(enum sb_emu_order);

/* sb_emu_launch for a test: on failure prints "FAIL <label>: emulator:
 * <why>" and returns -1.  label also names the launch (opts->label). */
int	sb_emu_run(dim3 grid, dim3 block, const std::function<void()> &body,
	    enum sb_emu_order order, uint64_t seed, const char *label);

#endif
