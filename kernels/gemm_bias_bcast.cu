/*
 * kernels/gemm_bias_bcast.cu — the bias of a library half GEMM without a
 * bias epilogue (cublasGemmEx; cuBLASLt with an fp32 output or a bias
 * gradient), written into every row of C so that the GEMM, run with
 * beta = 1, computes op(A)·op(B) + bias in fp32 and rounds once.
 *
 * The kernels are in gemm_bias_bcast.cuh (also run in the CPU emulator,
 * tests/test_bias_bcast_emu.cpp); this is the checked launch.
 */
#include <stdio.h>

#include "gemm_bias_bcast.cuh"
#include "gemm_cublaslt.h"

extern "C" int
sb_hgemm_bias_broadcast(struct sb_gpu *g, enum sb_dtype in,
    enum sb_dtype out, const void *bias, void *c, int64_t m, int64_t n,
    int64_t ldc)
{
	char detail[160];
	dim3 grid, block;

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
	sb_bcast_grid(m, n, SB_BCAST_MAX_Y, &grid, &block);
	if (out == in)
		sb_bcast_same<<<grid, block, 0, g->stream>>>(
		    (const uint16_t *)bias, (uint16_t *)c, m, n, ldc);
	else
		sb_bcast_widen<<<grid, block, 0, g->stream>>>(
		    (const uint16_t *)bias, (float *)c, m, n, ldc,
		    in == SB_DT_BF16);
	g->launches++;
	SB_CUDA_CHECK(g, cudaGetLastError());
	return 0;
}
