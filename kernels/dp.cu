/*
 * kernels/dp.cu — pack and unpack of a data-parallel bucket (dp.h).
 * Memory-bound, grid-stride, 256-thread blocks capped at DP_MAX_BLOCKS (as
 * elementwise.cu); the multiply is __fmul_rn so that nvcc does not fuse it
 * with anything and the host transport (harness/engine_dp.c) rounds the
 * same way: x·scale in float, then to the half type, to nearest even.
 */
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include "dp.h"

#define DP_THREADS	256
#define DP_MAX_BLOCKS	2048

static __global__ void
pack_f16(const float *src, __half *dst, int64_t n, float scale)
{
	for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x;
	    i < n; i += (int64_t)gridDim.x * blockDim.x)
		dst[i] = __float2half_rn(__fmul_rn(src[i], scale));
}

static __global__ void
pack_bf16(const float *src, __nv_bfloat16 *dst, int64_t n, float scale)
{
	for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x;
	    i < n; i += (int64_t)gridDim.x * blockDim.x)
		dst[i] = __float2bfloat16_rn(__fmul_rn(src[i], scale));
}

static __global__ void
unpack_f16(const __half *src, float *dst, int64_t n)
{
	for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x;
	    i < n; i += (int64_t)gridDim.x * blockDim.x)
		dst[i] = __half2float(src[i]);
}

static __global__ void
unpack_bf16(const __nv_bfloat16 *src, float *dst, int64_t n)
{
	for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x;
	    i < n; i += (int64_t)gridDim.x * blockDim.x)
		dst[i] = __bfloat162float(src[i]);
}

static unsigned
blocks_for(int64_t n)
{
	int64_t b = (n + DP_THREADS - 1) / DP_THREADS;

	return (unsigned)(b < 1 ? 1 : b > DP_MAX_BLOCKS ? DP_MAX_BLOCKS : b);
}

extern "C" int
sb_dp_pack(const float *src, void *flat, int64_t count, enum sb_dtype wire,
    float scale, void *stream)
{
	cudaStream_t s = (cudaStream_t)stream;

	if (count <= 0)
		return cudaSuccess;
	switch (wire) {
	case SB_DT_F32:
		if (scale != 1.0f)
			return cudaErrorInvalidValue;
		return cudaMemcpyAsync(flat, src, count * sizeof(float),
		    cudaMemcpyDeviceToDevice, s);
	case SB_DT_F16:
		pack_f16<<<blocks_for(count), DP_THREADS, 0, s>>>(src,
		    (__half *)flat, count, scale);
		break;
	case SB_DT_BF16:
		pack_bf16<<<blocks_for(count), DP_THREADS, 0, s>>>(src,
		    (__nv_bfloat16 *)flat, count, scale);
		break;
	default:
		return cudaErrorInvalidValue;
	}
	return cudaGetLastError();
}

extern "C" int
sb_dp_unpack(const void *flat, float *dst, int64_t count, enum sb_dtype wire,
    void *stream)
{
	cudaStream_t s = (cudaStream_t)stream;

	if (count <= 0)
		return cudaSuccess;
	switch (wire) {
	case SB_DT_F32:
		return cudaMemcpyAsync(dst, flat, count * sizeof(float),
		    cudaMemcpyDeviceToDevice, s);
	case SB_DT_F16:
		unpack_f16<<<blocks_for(count), DP_THREADS, 0, s>>>(
		    (const __half *)flat, dst, count);
		break;
	case SB_DT_BF16:
		unpack_bf16<<<blocks_for(count), DP_THREADS, 0, s>>>(
		    (const __nv_bfloat16 *)flat, dst, count);
		break;
	default:
		return cudaErrorInvalidValue;
	}
	return cudaGetLastError();
}
