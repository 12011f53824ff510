/*
 * kernels/block_reduce.cuh — the block-wide double sum the loss kernels of
 * elementwise.cu and amp_kernels.cuh share: warp shuffles, then one warp
 * over the per-warp partials.  The result is valid in thread 0.  THREADS
 * is the block size along x (a multiple of 32, at most 1024) and warp_sums
 * holds THREADS/32 doubles of shared memory.  Every thread of the block
 * must call it (it has a barrier).
 */
#ifndef SB_KERNELS_BLOCK_REDUCE_CUH
#define SB_KERNELS_BLOCK_REDUCE_CUH

template <int THREADS>
static __device__ double
sb_block_sum(double v, double *warp_sums)
{
	const unsigned lane = threadIdx.x % 32, warp = threadIdx.x / 32;

	for (int off = 16; off > 0; off /= 2)
		v += __shfl_down_sync(0xffffffffu, v, off);
	if (lane == 0)
		warp_sums[warp] = v;
	__syncthreads();
	v = 0.0;
	if (warp == 0) {
		v = lane < THREADS / 32 ? warp_sums[lane] : 0.0;
		for (int off = 16; off > 0; off /= 2)
			v += __shfl_down_sync(0xffffffffu, v, off);
	}
	return v;
}

#endif
