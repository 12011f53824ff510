/*
 * kernels/gemm_bias_bcast.cu — the bias of a library half GEMM without a
 * bias epilogue (cublasGemmEx; cuBLASLt with an fp32 output or a bias
 * gradient), written into every row of C so that the GEMM, run with
 * beta = 1, computes op(A)·op(B) + bias in fp32 and rounds once.
 *
 * c[i,j] = bias[j]: bias in the input type (f16 or bf16), c in the output
 * type (the same, or fp32).  Both conversions are exact, so copying 16 bits
 * or widening is all there is.  A 2-D grid: x along a row (coalesced), y
 * over rows with a stride loop, so any m fits.
 */
#include <stdio.h>

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "gemm_cublaslt.h"

#define BCAST_THREADS	256
#define BCAST_MAX_Y	65535

/* bias is (n) 16-bit; c is (m, ldc) of the same 16-bit type */
static __global__ void
bcast_same(const uint16_t *bias, uint16_t *c, int64_t m, int64_t n,
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
bcast_widen(const uint16_t *bias, float *c, int64_t m, int64_t n,
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

extern "C" int
sb_hgemm_bias_broadcast(struct sb_gpu *g, enum sb_dtype in,
    enum sb_dtype out, const void *bias, void *c, int64_t m, int64_t n,
    int64_t ldc)
{
	char detail[160];
	dim3 grid, block(BCAST_THREADS);

	if ((in != SB_DT_F16 && in != SB_DT_BF16) ||
	    (out != in && out != SB_DT_F32) || m < 1 || n < 1 || ldc < n ||
	    bias == NULL || c == NULL) {
		(void)snprintf(detail, sizeof(detail), "in %s out %s m=%lld "
		    "n=%lld ldc=%lld: want a half input, an output of f32 or "
		    "the input type, m, n >= 1, ldc >= n and both pointers",
		    sb_dtype_name(in), sb_dtype_name(out), (long long)m,
		    (long long)n, (long long)ldc);
		return sb_gpu_fail(g, __FILE__, __LINE__, "bias broadcast",
		    detail);
	}
	grid.x = (unsigned)((n + BCAST_THREADS - 1) / BCAST_THREADS);
	grid.y = (unsigned)(m < BCAST_MAX_Y ? m : BCAST_MAX_Y);
	grid.z = 1;
	if (out == in)
		bcast_same<<<grid, block, 0, g->stream>>>(
		    (const uint16_t *)bias, (uint16_t *)c, m, n, ldc);
	else
		bcast_widen<<<grid, block, 0, g->stream>>>(
		    (const uint16_t *)bias, (float *)c, m, n, ldc,
		    in == SB_DT_BF16);
	g->launches++;
	SB_CUDA_CHECK(g, cudaGetLastError());
	return 0;
}
