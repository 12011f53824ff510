/*
 * kernels/gemm_s8.cuh — what the hand-written int8 GEMMs share
 * (gemm_s8_dp4a.cuh, gemm_s8_imma.cuh): the parameter block, the launch a
 * planner returns, the epilogue of gemm_s8.h (s32 as it is, or
 * dequantise + bias to f32 / f16), the mma.sync m16n8k32 s8 wrapper, and
 * (in .cu files only) the host side of a launch.
 *
 * Like gemm_f16.cuh this compiles three ways: nvcc for the GPU (sm_80,
 * sm_90a), nvcc's host pass, and g++ with SB_EMU, where tests/emu/cuda_emu.h
 * runs the kernels on the CPU (tests/test_igemm_emu.cpp).  The cp.async,
 * ldmatrix and dynamic shared memory wrappers are gemm_f16.cuh's: they move
 * bytes, whatever the element type.  __dp4a is the CUDA intrinsic (the
 * emulator defines its own).
 *
 * Only the NT layout exists (gemm_s8.h): A (m,k) and B (n,k), both
 * K-contiguous, leading dimensions in bytes.
 */
#ifndef SB_KERNELS_GEMM_S8_CUH
#define SB_KERNELS_GEMM_S8_CUH

#include "gemm_f16.cuh"		/* cp.async, ldmatrix, dynamic smem, __half */

/* Everything an int8 GEMM kernel needs, passed by value; the output type
 * is the kernel's template parameter (int32_t, float or __half). */
struct igemm_params {
	int64_t		 m, n, k;
	const int8_t	*a;		/* (m,k), lda >= k */
	int64_t		 lda;
	const int8_t	*b;		/* (n,k), ldb >= k */
	int64_t		 ldb;
	void		*c;		/* (m,n), ldc >= n */
	int64_t		 ldc;
	const float	*a_scale;	/* f32/f16 out: device scalar */
	const float	*b_scale;	/* n floats, or 1 */
	int		 b_per_channel;
	const float	*bias;		/* n floats, or NULL */
};

typedef void (*igemm_kernel_fn)(struct igemm_params);

/* What a planner picked. */
struct igemm_launch {
	igemm_kernel_fn	 kernel;
	dim3		 grid, block;
	size_t		 smem_bytes;	/* dynamic shared memory per CTA */
	const char	*name;		/* "gemm_s8.imma.f32out.cp16" */
};

/* 1 when 16-byte loads of both operands are aligned (base pointers and
 * every row). */
static inline int
igemm_vec16_ok(const igemm_params *p)
{
	return gemm_aligned16(p->a) && gemm_aligned16(p->b) &&
	    p->lda % 16 == 0 && p->ldb % 16 == 0;
}

/* ---- the epilogue (gemm_s8.h) ---------------------------------------- */

template <typename TO>
static __device__ __forceinline__ TO igemm_out(const igemm_params &p,
    int64_t j, float sa, int32_t acc);

template <>
__device__ __forceinline__ int32_t
igemm_out<int32_t>(const igemm_params &p, int64_t j, float sa, int32_t acc)
{
	(void)p; (void)j; (void)sa;
	return acc;
}

/* fmaf((float)acc, sa·sb[j], bias[j]): the scale product is one fp32
 * rounding before the fused multiply-add. */
template <>
__device__ __forceinline__ float
igemm_out<float>(const igemm_params &p, int64_t j, float sa, int32_t acc)
{
	const float sb = p.b_scale[p.b_per_channel ? j : 0];
	const float bias = p.bias != NULL ? p.bias[j] : 0.0f;

	return fmaf((float)acc, __fmul_rn(sa, sb), bias);
}

template <>
__device__ __forceinline__ __half
igemm_out<__half>(const igemm_params &p, int64_t j, float sa, int32_t acc)
{
	return __float2half_rn(igemm_out<float>(p, j, sa, acc));
}

/* C[i,j] from the accumulator; the caller guards i < m, j < n. */
template <typename TO>
static __device__ __forceinline__ void
igemm_put_c(const igemm_params &p, int64_t i, int64_t j, float sa,
    int32_t acc)
{
	static_cast<TO *>(p.c)[i * p.ldc + j] = igemm_out<TO>(p, j, sa, acc);
}

/* ---- inline PTX ------------------------------------------------------ */

#ifdef SB_EMU
void	sb_emu_mma_m16n8k32_s8(int32_t d[4], const uint32_t a[4],
	    const uint32_t b[2]);
#endif

/*
 * d += A·B for one warp, A 16×32 (row), B 32×8 (col), signed int8 in,
 * int32 accumulate (mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32,
 * wrapping: no .satfinite).  Registers hold four int8 elements, the
 * lowest-indexed in the low byte.  With g = lane / 4 and t = lane % 4 (PTX
 * ISA, "Matrix Fragments for mma.m16n8k32"):
 *   a[0] = A[g][4t..4t+3]      a[1] = A[g+8][4t..4t+3]
 *   a[2] = A[g][4t+16..4t+19]  a[3] = A[g+8][4t+16..4t+19]
 *   b[0] = B[4t..4t+3][g]      b[1] = B[4t+16..4t+19][g]
 *   d[0] = D[g][2t]  d[1] = D[g][2t+1]  d[2] = D[g+8][2t]  d[3] = D[g+8][2t+1]
 * In bytes this is the m16n8k16 half fragment, so ldmatrix (b16) of a
 * K-contiguous int8 tile hands out exactly these registers.  All 32 lanes
 * must call it together.  Needs sm_80.
 */
static __device__ __forceinline__ void
igemm_mma_m16n8k32(int32_t d[4], const uint32_t a[4], const uint32_t b[2])
{
#if defined(__CUDA_ARCH__)
	asm volatile("mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 "
	    "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
	    "{%0, %1, %2, %3};"
	    : "+r"(d[0]), "+r"(d[1]), "+r"(d[2]), "+r"(d[3])
	    : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]),
	      "r"(b[0]), "r"(b[1]));
#elif defined(SB_EMU)
	sb_emu_mma_m16n8k32_s8(d, a, b);
#else
	(void)d; (void)a; (void)b;	/* nvcc's host pass: never called */
#endif
}

/* ---- names and instances --------------------------------------------- */

/* kernel instance K<TO, ...> for a run-time output type */
#define IGEMM_BY_OUT(out, K, ...)					\
	((out) == SB_DT_S32 ? (igemm_kernel_fn)K<int32_t, ##__VA_ARGS__> :	\
	 (out) == SB_DT_F32 ? (igemm_kernel_fn)K<float, ##__VA_ARGS__> :	\
	 (igemm_kernel_fn)K<__half, ##__VA_ARGS__>)

/* "gemm_s8.<family>.<out>out.<loader>": [out s32/f32/f16][vec] */
#define IGEMM_NAMES(fam, scalar, vec)					\
	{ { "gemm_s8." fam ".s32out." scalar, "gemm_s8." fam ".s32out." vec }, \
	  { "gemm_s8." fam ".f32out." scalar, "gemm_s8." fam ".f32out." vec }, \
	  { "gemm_s8." fam ".f16out." scalar, "gemm_s8." fam ".f16out." vec } }

static inline int
igemm_out_index(enum sb_dtype out)
{
	return out == SB_DT_S32 ? 0 : out == SB_DT_F32 ? 1 : 2;
}

/* ---- the host side of a launch (.cu files only) ---------------------- */

#if defined(__CUDACC__) && !defined(SB_EMU)

#include "gemm_s8.h"		/* gpu.h: not for the emulator */
#include "gemm_planned.cuh"

typedef int (*igemm_planner_fn)(enum sb_dtype out, const igemm_params *,
    struct igemm_launch *);

static inline struct igemm_params
igemm_params_of(const struct sb_igemm_call *c)
{
	struct igemm_params p;

	p.m = c->m;
	p.n = c->n;
	p.k = c->k;
	p.a = c->a;
	p.lda = c->lda;
	p.b = c->b;
	p.ldb = c->ldb;
	p.c = c->c;
	p.ldc = c->ldc;
	p.a_scale = c->a_scale;
	p.b_scale = c->b_scale;
	p.b_per_channel = c->b_per_channel;
	p.bias = c->bias;
	return p;
}

/* sb_igemm_check, plan, raise the dynamic shared memory limit above
 * 48 KiB (not a stream operation: allowed during capture). */
static inline int
igemm_plan_call(struct sb_gpu *g, const struct sb_igemm *impl,
    igemm_planner_fn plan, const struct sb_igemm_call *c,
    struct igemm_launch *l)
{
	struct igemm_params p;

	*l = igemm_launch();
	if (sb_igemm_check(g, impl, c) != 0)
		return -1;
	p = igemm_params_of(c);
	if (plan(c->out, &p, l) != 0)
		return sb_gpu_fail(g, __FILE__, __LINE__, impl->name,
		    "no kernel of this family fits the call (grid limits: "
		    "m/BM <= 2^31-1, n/BN <= 65535)");
	return planned_smem_limit(g, *l);
}

static inline int
igemm_launch_run(struct sb_gpu *g, const struct sb_igemm *impl,
    igemm_planner_fn plan, const struct sb_igemm_call *c)
{
	struct igemm_launch l;

	if (igemm_plan_call(g, impl, plan, c, &l) != 0)
		return -1;
	return planned_run(g, l, igemm_params_of(c));
}

static inline int
igemm_launch_describe(struct sb_gpu *g, const struct sb_igemm *impl,
    igemm_planner_fn plan, const struct sb_igemm_call *c,
    struct sb_kernel_info *info)
{
	struct igemm_launch l;

	if (igemm_plan_call(g, impl, plan, c, &l) != 0)
		return -1;
	return planned_describe(g, l, info);
}

/* IGEMM_IMPL_FNS(imma, sb_igemm_imma, gemm_s8_imma_plan) makes imma_gemm
 * and imma_describe for a struct sb_igemm. */
#define IGEMM_IMPL_FNS(nm, impl, plan)					\
	SB_PLANNED_IMPL_FNS(nm, struct sb_igemm_call, igemm_launch_run,	\
	    igemm_launch_describe, impl, plan)

#endif	/* __CUDACC__ && !SB_EMU */

#endif
