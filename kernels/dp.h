/*
 * kernels/dp.h — a data-parallel gradient bucket's pack and unpack on the
 * GPU (harness/engine_gpu_dp.c): a gradient tensor into its place in the
 * bucket's flat buffer, in the wire dtype, and back.  f32: a copy.
 * f16/bf16 (compression, as PyTorch's fp16_compress_hook): src·scale
 * rounded to nearest, and widened back exactly.  Enqueued on stream (a
 * cudaStream_t); returns a cudaError_t (0 = cudaSuccess).
 */
#ifndef SB_KERNELS_DP_H
#define SB_KERNELS_DP_H

#include <stdint.h>

#include "dtype.h"

#ifdef __cplusplus
extern "C" {
#endif

int	sb_dp_pack(const float *src, void *flat, int64_t count,
	    enum sb_dtype wire, float scale, void *stream);
int	sb_dp_unpack(const void *flat, float *dst, int64_t count,
	    enum sb_dtype wire, void *stream);

#ifdef __cplusplus
}
#endif

#endif
