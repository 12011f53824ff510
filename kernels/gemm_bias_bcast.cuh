/*
 * kernels/gemm_bias_bcast.cuh — the device side of the bias broadcast of
 * the library half GEMMs (launcher: gemm_bias_bcast.cu).  Compiled by nvcc
 * and, with SB_EMU, by the host compiler for the CPU emulator
 * (tests/test_bias_bcast_emu.cpp).
 *
 * c[i,j] = bias[j] for i < m, j < n: x along a row (coalesced), y over the
 * rows with a stride loop of gridDim.y, so any m fits a grid.  The bias is
 * f16 or bf16 bits; C is the same type (a copy) or float (a widening).
 * Both are exact.
 */
#ifndef SB_KERNELS_GEMM_BIAS_BCAST_CUH
#define SB_KERNELS_GEMM_BIAS_BCAST_CUH

#include <stdint.h>

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#define SB_BCAST_THREADS	256
#define SB_BCAST_MAX_Y		65535

/* bias is (n) 16-bit; c is (m, ldc) of the same 16-bit type */
static __global__ void
sb_bcast_same(const uint16_t *bias, uint16_t *c, int64_t m, int64_t n,
    int64_t ldc)
{
	const int64_t j = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;

	if (j >= n)
		return;
	for (int64_t i = blockIdx.y; i < m; i += gridDim.y)
		c[i * ldc + j] = bias[j];
}

/* bias is (n) f16 or bf16 (is_bf16); c is (m, ldc) float */
static __global__ void
sb_bcast_widen(const uint16_t *bias, float *c, int64_t m, int64_t n,
    int64_t ldc, int is_bf16)
{
	const int64_t j = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
	float v;

	if (j >= n)
		return;
	if (is_bf16)
		v = __bfloat162float(__ushort_as_bfloat16(bias[j]));
	else
		v = __half2float(__ushort_as_half(bias[j]));
	for (int64_t i = blockIdx.y; i < m; i += gridDim.y)
		c[i * ldc + j] = v;
}

/* The launch for m × n: blocks along a row, rows capped at max_y. */
static inline void
sb_bcast_grid(int64_t m, int64_t n, int64_t max_y, dim3 *grid, dim3 *block)
{
	*block = dim3(SB_BCAST_THREADS, 1, 1);
	*grid = dim3((unsigned)((n + SB_BCAST_THREADS - 1) / SB_BCAST_THREADS),
	    (unsigned)(m < max_y ? m : max_y), 1);
}

#endif
