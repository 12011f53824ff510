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
 * Not emulated: dynamic shared memory, atomics, __syncwarp, memory fences,
 * inter-CTA communication, and anything not listed in kernels/gemm_common.cuh.
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

/* Also declared by kernels/gemm_common.cuh under SB_EMU. */
uint32_t	sb_emu_f32_to_tf32(float);
void		sb_emu_mma_m16n8k8_tf32(float d[4], const uint32_t a[4],
		    const uint32_t b[2]);

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

const char	*sb_emu_order_name(enum sb_emu_order);

#endif
