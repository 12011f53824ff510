/*
 * kernels/dp_kernels.cuh — the device code of a data-parallel bucket's
 * pack and unpack (launchers in dp.cu, contract in dp.h).  A header so
 * that the CPU emulator test (tests/test_dp_emu.cpp) runs the very same
 * kernels; there it is included after tests/emu/cuda_emu.h, which supplies
 * __half, __nv_bfloat16 and the CUDA built-ins.
 *
 * Memory-bound, grid-stride, 256-thread blocks capped at DP_MAX_BLOCKS (as
 * elementwise.cu).  The multiply is __fmul_rn so that nvcc fuses it with
 * nothing and the host transport (harness/engine_dp.c) rounds the same
 * way: x·scale in float, then to the half type, to nearest even.
 */
#ifndef SB_KERNELS_DP_KERNELS_CUH
#define SB_KERNELS_DP_KERNELS_CUH

#include <stdint.h>

#ifndef SB_EMU
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#endif

#define DP_THREADS	256
#define DP_MAX_BLOCKS	2048

static __device__ __forceinline__ void
dp_to(__half *d, float v)
{
	*d = __float2half_rn(v);
}

static __device__ __forceinline__ void
dp_to(__nv_bfloat16 *d, float v)
{
	*d = __float2bfloat16_rn(v);
}

static __device__ __forceinline__ float
dp_from(__half v)
{
	return __half2float(v);
}

static __device__ __forceinline__ float
dp_from(__nv_bfloat16 v)
{
	return __bfloat162float(v);
}

/* dst[i] = half(src[i] · scale) */
template <typename H>
static __global__ void
dp_pack_kernel(const float *__restrict__ src, H *__restrict__ dst, int64_t n,
    float scale)
{
	for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
	    i < n; i += (int64_t)gridDim.x * blockDim.x)
		dp_to(&dst[i], __fmul_rn(src[i], scale));
}

/* dst[i] = float(src[i]), exact */
template <typename H>
static __global__ void
dp_unpack_kernel(const H *__restrict__ src, float *__restrict__ dst,
    int64_t n)
{
	for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
	    i < n; i += (int64_t)gridDim.x * blockDim.x)
		dst[i] = dp_from(src[i]);
}

static __host__ __device__ unsigned
dp_blocks_for(int64_t n)
{
	int64_t b = (n + DP_THREADS - 1) / DP_THREADS;

	return (unsigned)(b < 1 ? 1 : b > DP_MAX_BLOCKS ? DP_MAX_BLOCKS : b);
}

#endif
