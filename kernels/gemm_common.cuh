/*
 * kernels/gemm_common.cuh — what the hand-written GEMM kernels share: the
 * parameter block every kernel takes, the launch description a version's
 * planner returns, and the few device intrinsics that are inline PTX.
 *
 * These headers are device code plus host-side planners, written to compile
 * three ways: by nvcc for the GPU (sm_80, sm_90a), by nvcc's host pass, and
 * by a plain C++ compiler with SB_EMU defined, where tests/emu/cuda_emu.h
 * runs each CTA's threads as coroutines on the CPU (tests/test_gemm_emu.cpp).
 * So kernels use only: __global__ __device__ __forceinline__ __shared__
 * (static arrays; no extern/dynamic shared memory) __restrict__
 * __launch_bounds__, threadIdx blockIdx blockDim gridDim, dim3, float4,
 * __syncthreads, __shfl_down_sync, and the wrappers below.
 */
#ifndef SB_KERNELS_GEMM_COMMON_CUH
#define SB_KERNELS_GEMM_COMMON_CUH

#include <stddef.h>
#include <stdint.h>

#include "layout.h"

/* Shared-memory tiles read or written 16 bytes at a time must be declared
 * with this: a __shared__ float array is otherwise only 4-byte aligned. */
#if defined(__CUDACC__)
#define GEMM_ALIGN16	__align__(16)
#else
#define GEMM_ALIGN16	__attribute__((aligned(16)))
#endif

/* Everything a GEMM kernel needs, passed by value (one kernel parameter). */
struct gemm_params {
	int64_t		 m, n, k;
	const float	*a;
	int64_t		 lda;
	const float	*b;
	int64_t		 ldb;
	float		*c;
	int64_t		 ldc;
	const float	*bias;		/* (n) added to each row, or NULL */
};

typedef void (*gemm_kernel_fn)(struct gemm_params);

/* What a planner picked: the kernel and how to launch it. */
struct gemm_launch {
	gemm_kernel_fn	 kernel;
	dim3		 grid, block;
	const char	*name;		/* "gemm_f32.warptile.nt.vec4" */
};

/* Ceiling division for sizes (host and device). */
static __host__ __device__ __forceinline__ int64_t
gemm_cdiv(int64_t a, int64_t b)
{
	return (a + b - 1) / b;
}

/* 1 if p is 16-byte aligned (float4 loads). */
static inline int
gemm_aligned16(const void *p)
{
	return ((uintptr_t)p & 15u) == 0;
}

#ifdef SB_EMU
uint32_t	sb_emu_f32_to_tf32(float);
void		sb_emu_mma_m16n8k8_tf32(float d[4], const uint32_t a[4],
		    const uint32_t b[2]);
#endif

/*
 * x rounded to TF32 (10 mantissa bits, round to nearest, ties away from
 * zero: cvt.rna), returned as the bits of a float whose low 13 bits are 0.
 */
static __device__ __forceinline__ uint32_t
sb_f32_to_tf32(float x)
{
#if defined(__CUDA_ARCH__)
	uint32_t r;

	asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(r) : "f"(x));
	return r;
#elif defined(SB_EMU)
	return sb_emu_f32_to_tf32(x);
#else
	(void)x;
	return 0;	/* nvcc's host pass: never called */
#endif
}

/*
 * d += A·B for one warp: A is 16×8 (row), B is 8×8 (col), TF32 in, fp32
 * accumulate (mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32).  With
 * g = lane / 4 and t = lane % 4, each lane holds
 *   a[0] = A[g][t]    a[1] = A[g+8][t]   a[2] = A[g][t+4]   a[3] = A[g+8][t+4]
 *   b[0] = B[t][g]    b[1] = B[t+4][g]
 *   d[0] = D[g][2t]   d[1] = D[g][2t+1]  d[2] = D[g+8][2t]  d[3] = D[g+8][2t+1]
 * (PTX ISA, "Matrix Fragments for mma.m16n8k8", .tf32).  All 32 lanes must
 * call it together.
 */
static __device__ __forceinline__ void
sb_mma_m16n8k8_tf32(float d[4], const uint32_t a[4], const uint32_t b[2])
{
#if defined(__CUDA_ARCH__)
	asm volatile("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 "
	    "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
	    "{%0, %1, %2, %3};"
	    : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
	    : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]),
	      "r"(b[0]), "r"(b[1]));
#elif defined(SB_EMU)
	sb_emu_mma_m16n8k8_tf32(d, a, b);
#else
	(void)d; (void)a; (void)b;	/* nvcc's host pass: never called */
#endif
}

#endif
