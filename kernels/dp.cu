/*
 * kernels/dp.cu — pack and unpack of a data-parallel bucket (dp.h); the
 * kernels are in dp_kernels.cuh.
 */
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include "dp.h"
#include "dp_kernels.cuh"

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
		dp_pack_kernel<__half><<<dp_blocks_for(count), DP_THREADS, 0,
		    s>>>(src, (__half *)flat, count, scale);
		break;
	case SB_DT_BF16:
		dp_pack_kernel<__nv_bfloat16><<<dp_blocks_for(count),
		    DP_THREADS, 0, s>>>(src, (__nv_bfloat16 *)flat, count,
		    scale);
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
		dp_unpack_kernel<__half><<<dp_blocks_for(count), DP_THREADS,
		    0, s>>>((const __half *)flat, dst, count);
		break;
	case SB_DT_BF16:
		dp_unpack_kernel<__nv_bfloat16><<<dp_blocks_for(count),
		    DP_THREADS, 0, s>>>((const __nv_bfloat16 *)flat, dst,
		    count);
		break;
	default:
		return cudaErrorInvalidValue;
	}
	return cudaGetLastError();
}
