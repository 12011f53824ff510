/*
 * kernels/gemm_naive.cu — the naive fp32 GEMM, the floor every other
 * variant is measured against.  Versions:
 *
 *   naive   one thread per C[i,j], a plain loop over k from global memory,
 *           fp32 accumulation; all three layouts through one kernel that
 *           takes element strides for A and B.
 *
 * The step (step_f32.c) runs it when a variant names the "naive" GEMM
 * (sb_gemm_naive_f32 below).
 *
 * Design notes:
 *  1. One kernel for NT, TN and NN: the layout only changes how (i,p) and
 *     (p,j) map to addresses, so A(i,p) = a[i·a_si + p·a_sp] and
 *     B(p,j) = b[p·b_sp + j·b_sj], the strides picked on the host
 *     (naive_strides).  The loads are then what the layout makes them; for
 *     NT, the forward pass, both operands are K-contiguous, so each thread
 *     of a warp walks its own row of B: uncoalesced, as naive should be.
 *  2. threadIdx.x runs along j, the contiguous dimension of C, so a warp
 *     stores 32 consecutive floats and shares A(i,p) (a broadcast).
 *  3. Grid limits: gridDim.y <= 65535, so the rows are covered by a
 *     grid-stride loop when m > 65535·8; columns use one too, for symmetry
 *     (gridDim.x allows 2^31-1 blocks, i.e. n up to 2^36).
 *  4. Indices are int64: i·k exceeds 2^31 for m·k > 2^31 elements (8 GiB of
 *     fp32), which an H200 holds.
 */
#include <limits.h>

#include "gpu.h"

#define NAIVE_BX	32	/* along j: one warp per row segment */
#define NAIVE_BY	8	/* along i: 256 threads per block */
#define GRID_Y_MAX	65535

/* Element strides of the two operands: A(i,p) = a[i*a_si + p*a_sp],
 * B(p,j) = b[p*b_sp + j*b_sj]. */
struct naive_strides {
	int64_t	a_si, a_sp;
	int64_t	b_sp, b_sj;
};

static int	naive_strides(enum sb_layout, int64_t, int64_t, int64_t,
		    struct naive_strides *);
static int	naive_gemm(struct sb_gpu *, enum sb_layout, int64_t, int64_t,
		    int64_t, const float *, const float *, float *);

/*
 * c is (m,n) row-major; a and b are read through the strides of
 * naive_strides (NT: a is (m,k), b is (n,k); TN: a is (k,m), b is (k,n);
 * NN: a is (m,k), b is (k,n)).
 */
static __global__ void
gemm_naive_kernel(int64_t m, int64_t n, int64_t k,
    const float *__restrict__ a, int64_t a_si, int64_t a_sp,
    const float *__restrict__ b, int64_t b_sp, int64_t b_sj,
    float *__restrict__ c)
{
	const int64_t i0 = (int64_t)blockIdx.y * blockDim.y + threadIdx.y;
	const int64_t j0 = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
	const int64_t istride = (int64_t)gridDim.y * blockDim.y;
	const int64_t jstride = (int64_t)gridDim.x * blockDim.x;

	for (int64_t i = i0; i < m; i += istride) {
		for (int64_t j = j0; j < n; j += jstride) {
			int64_t ai = i * a_si;	/* A(i,0) */
			int64_t bi = j * b_sj;	/* B(0,j) */
			float acc = 0.0f;

			for (int64_t p = 0; p < k; p++) {
				acc += a[ai] * b[bi];
				ai += a_sp;
				bi += b_sp;
			}
			c[i * n + j] = acc;
		}
	}
}

/* Strides of A and B for a layout (gpu.h gives the definitions); -1 if the
 * layout is unknown. */
static int
naive_strides(enum sb_layout layout, int64_t m, int64_t n, int64_t k,
    struct naive_strides *st)
{
	switch (layout) {
	case SB_NT:	/* A[m,k]: A(i,p) = a[i*k + p]; B[n,k]: B(p,j) = b[j*k + p] */
		st->a_si = k;
		st->a_sp = 1;
		st->b_sp = 1;
		st->b_sj = k;
		return 0;
	case SB_TN:	/* A[k,m]: A(i,p) = a[p*m + i]; B[k,n]: B(p,j) = b[p*n + j] */
		st->a_si = 1;
		st->a_sp = m;
		st->b_sp = n;
		st->b_sj = 1;
		return 0;
	case SB_NN:	/* A[m,k]: A(i,p) = a[i*k + p]; B[k,n]: B(p,j) = b[p*n + j] */
		st->a_si = k;
		st->a_sp = 1;
		st->b_sp = n;
		st->b_sj = 1;
		return 0;
	default:
		return -1;
	}
}

static int
naive_gemm(struct sb_gpu *g, enum sb_layout layout, int64_t m, int64_t n,
    int64_t k, const float *a, const float *b, float *c)
{
	struct naive_strides st;
	int64_t gx, gy;

	if (m < 1 || n < 1 || k < 1)
		return sb_gpu_fail(g, __FILE__, __LINE__, "naive GEMM",
		    "m, n and k must be at least 1");
	if (naive_strides(layout, m, n, k, &st) != 0)
		return sb_gpu_fail(g, __FILE__, __LINE__, "naive GEMM",
		    "unknown layout (want SB_NT, SB_TN or SB_NN)");

	/* Enough blocks to give each C element its own thread, clamped to
	 * the grid limits; the kernel's stride loops cover the rest. */
	gx = (n + NAIVE_BX - 1) / NAIVE_BX;
	gy = (m + NAIVE_BY - 1) / NAIVE_BY;
	if (gx > INT_MAX)
		gx = INT_MAX;
	if (gy > GRID_Y_MAX)
		gy = GRID_Y_MAX;

	gemm_naive_kernel<<<dim3((unsigned)gx, (unsigned)gy),
	    dim3(NAIVE_BX, NAIVE_BY), 0, g->stream>>>(m, n, k, a, st.a_si,
	    st.a_sp, b, st.b_sp, st.b_sj, c);
	SB_CUDA_CHECK(g, cudaGetLastError());
	return 0;
}

extern "C" const struct sb_gemm_f32 sb_gemm_naive_f32 = {
	"naive", naive_gemm, 0
};
