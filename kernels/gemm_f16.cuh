/*
 * kernels/gemm_f16.cuh — what the hand-written half-precision tensor-core
 * GEMMs share (gemm_f16_wmma.cuh, gemm_f16_mma.cuh): the parameter block,
 * the launch a planner returns, the fp16/bf16 conversions, the epilogue
 * (bias in fp32, one rounding to the output type), and the inline PTX
 * (mma.sync m16n8k16, ldmatrix, cp.async) with SB_EMU branches.
 *
 * Like gemm_common.cuh these headers compile three ways: nvcc for the GPU
 * (sm_80, sm_90a), nvcc's host pass, and g++ with SB_EMU, where
 * tests/emu/cuda_emu.h runs the same kernel source on the CPU
 * (tests/test_hgemm_emu.cpp).  Beyond gemm_common.cuh's list, kernels here
 * may use: __half / __nv_bfloat16 and their conversions, nvcuda::wmma
 * (16×16×16 fragments only), dynamic shared memory through
 * HGEMM_DYNAMIC_SMEM, and the wrappers below.
 *
 * Operands are passed as bit patterns (uint16_t) wherever only copies are
 * made (loaders, shared memory, ldmatrix); the type matters only in the
 * tensor-core instruction, the bias and the output rounding.
 */
#ifndef SB_KERNELS_GEMM_F16_CUH
#define SB_KERNELS_GEMM_F16_CUH

#include <cuda_fp16.h>
#include <cuda_bf16.h>

#include "dtype.h"
#include "gemm_tile.cuh"	/* gemm_layout, grid limits */

#if defined(__CUDACC__)
#define HGEMM_ALIGN32	__align__(32)
#else
#define HGEMM_ALIGN32	__attribute__((aligned(32)))
#endif

/* The kernel's dynamic shared memory, as bytes (128-byte aligned). */
#ifdef SB_EMU
unsigned char	*sb_emu_dyn_smem(void);
#define HGEMM_DYNAMIC_SMEM(name)	unsigned char *name = sb_emu_dyn_smem()
#else
#define HGEMM_DYNAMIC_SMEM(name)					\
	extern __shared__ __align__(128) unsigned char name[]
#endif

/* Everything a half GEMM kernel needs, passed by value.  The element types
 * are the kernel's template parameters (TI in, TO out). */
struct hgemm_params {
	int64_t		 m, n, k;
	const void	*a;		/* TI, layout.h */
	int64_t		 lda;
	const void	*b;		/* TI */
	int64_t		 ldb;
	void		*c;		/* (m,n) TO */
	int64_t		 ldc;
	const void	*bias;		/* (n) TI, or NULL */
};

typedef void (*hgemm_kernel_fn)(struct hgemm_params);

/* What a planner picked. */
struct hgemm_launch {
	hgemm_kernel_fn	 kernel;
	dim3		 grid, block;
	size_t		 smem_bytes;	/* dynamic shared memory per CTA */
	const char	*name;		/* "gemm_f16.mma.nt.f32out.cp16" */
};

/* ---- types ----------------------------------------------------------- */

static __host__ __device__ __forceinline__ float
hgemm_to_f32(__half x)
{
	return __half2float(x);
}

static __host__ __device__ __forceinline__ float
hgemm_to_f32(__nv_bfloat16 x)
{
	return __bfloat162float(x);
}

/* f rounded to nearest even in TO (float: as it is) */
template <typename TO>
static __host__ __device__ __forceinline__ TO hgemm_from_f32(float f);

template <>
__host__ __device__ __forceinline__ float
hgemm_from_f32<float>(float f)
{
	return f;
}

template <>
__host__ __device__ __forceinline__ __half
hgemm_from_f32<__half>(float f)
{
	return __float2half_rn(f);
}

template <>
__host__ __device__ __forceinline__ __nv_bfloat16
hgemm_from_f32<__nv_bfloat16>(float f)
{
	return __float2bfloat16_rn(f);
}

/* Compile-time if for types (no <type_traits> in device headers). */
template <bool B, typename X, typename Y>
struct hgemm_if {
	typedef X type;
};

template <typename X, typename Y>
struct hgemm_if<false, X, Y> {
	typedef Y type;
};

/*
 * The epilogue of one output: C[i,j] = round_TO(acc + bias[j]), the bias
 * converted to fp32 and added before the single rounding.  The caller
 * guards i < m, j < n.
 */
template <typename TI, typename TO>
static __device__ __forceinline__ void
hgemm_put_c(const hgemm_params &p, int64_t i, int64_t j, float acc)
{
	const TI *bias = static_cast<const TI *>(p.bias);

	if (bias != NULL)
		acc += hgemm_to_f32(bias[j]);
	static_cast<TO *>(p.c)[i * p.ldc + j] = hgemm_from_f32<TO>(acc);
}

/* 1 when the 16-byte loaders may be used: a and b 16-byte aligned, their
 * rows too (leading dimensions multiples of 8 halves). */
static inline int
hgemm_vec_ok(const hgemm_params *p)
{
	return gemm_aligned16(p->a) && gemm_aligned16(p->b) &&
	    p->lda % 8 == 0 && p->ldb % 8 == 0;
}

/* ---- inline PTX ------------------------------------------------------ */

#ifdef SB_EMU
void	sb_emu_mma_m16n8k16(int bf16, float d[4], const uint32_t a[4],
	    const uint32_t b[2]);
void	sb_emu_ldmatrix(int nmat, int trans, uint32_t *r, const void *row);
void	sb_emu_cp_async16(void *dst, const void *src, int src_bytes);
void	sb_emu_cp_async_commit(void);
void	sb_emu_cp_async_wait(int pending);
#endif

/*
 * d += A·B for one warp, A 16×16 (row), B 16×8 (col), fp16 or bf16 in
 * (TI), fp32 accumulate (mma.sync.aligned.m16n8k16.row.col.f32.TI.TI.f32).
 * Registers hold two 16-bit elements, the lower-indexed one in the low
 * half.  With g = lane / 4 and t = lane % 4 (PTX ISA, "Matrix Fragments
 * for mma.m16n8k16 with floating point type"):
 *   a[0] = A[g][2t..2t+1]     a[1] = A[g+8][2t..2t+1]
 *   a[2] = A[g][2t+8..2t+9]   a[3] = A[g+8][2t+8..2t+9]
 *   b[0] = B[2t..2t+1][g]     b[1] = B[2t+8..2t+9][g]
 *   d[0] = D[g][2t]  d[1] = D[g][2t+1]  d[2] = D[g+8][2t]  d[3] = D[g+8][2t+1]
 * All 32 lanes must call it together.
 */
template <typename TI>
static __device__ __forceinline__ void hgemm_mma_m16n8k16(float d[4],
    const uint32_t a[4], const uint32_t b[2]);

template <>
__device__ __forceinline__ void
hgemm_mma_m16n8k16<__half>(float d[4], const uint32_t a[4],
    const uint32_t b[2])
{
#if defined(__CUDA_ARCH__)
	asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 "
	    "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
	    "{%0, %1, %2, %3};"
	    : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
	    : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]),
	      "r"(b[0]), "r"(b[1]));
#elif defined(SB_EMU)
	sb_emu_mma_m16n8k16(0, d, a, b);
#else
	(void)d; (void)a; (void)b;	/* nvcc's host pass: never called */
#endif
}

template <>
__device__ __forceinline__ void
hgemm_mma_m16n8k16<__nv_bfloat16>(float d[4], const uint32_t a[4],
    const uint32_t b[2])
{
#if defined(__CUDA_ARCH__)
	asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 "
	    "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
	    "{%0, %1, %2, %3};"
	    : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
	    : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]),
	      "r"(b[0]), "r"(b[1]));
#elif defined(SB_EMU)
	sb_emu_mma_m16n8k16(1, d, a, b);
#else
	(void)d; (void)a; (void)b;
#endif
}

#if defined(__CUDA_ARCH__)
static __device__ __forceinline__ uint32_t
hgemm_smem_addr(const void *p)
{
	return (uint32_t)__cvta_generic_to_shared(p);
}
#endif

/*
 * ldmatrix.sync.aligned.m8n8.xN[.trans].shared.b16: N (1, 2, 4) 8×8
 * matrices of 16-bit elements from shared memory.  Lane 8q + i gives the
 * address of row i of matrix q (16 bytes, 16-byte aligned; lanes past 8N
 * are ignored).  Lane l receives in r[q] the two elements of matrix q at
 * row l / 4, columns 2(l % 4) and 2(l % 4) + 1; with .trans, at column
 * l / 4, rows 2(l % 4) and 2(l % 4) + 1 (the transpose).  That is exactly
 * an mma.m16n8k16 fragment row (A, "row") or column (B, "col").
 */
template <int N, bool TRANS>
static __device__ __forceinline__ void
hgemm_ldmatrix(uint32_t r[N], const void *row)
{
#if defined(__CUDA_ARCH__)
	const uint32_t s = hgemm_smem_addr(row);

	if (N == 4 && TRANS)
		asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 "
		    "{%0, %1, %2, %3}, [%4];"
		    : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
		    : "r"(s));
	else if (N == 4)
		asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 "
		    "{%0, %1, %2, %3}, [%4];"
		    : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
		    : "r"(s));
	else if (N == 2 && TRANS)
		asm volatile("ldmatrix.sync.aligned.m8n8.x2.trans.shared.b16 "
		    "{%0, %1}, [%2];" : "=r"(r[0]), "=r"(r[1]) : "r"(s));
	else if (N == 2)
		asm volatile("ldmatrix.sync.aligned.m8n8.x2.shared.b16 "
		    "{%0, %1}, [%2];" : "=r"(r[0]), "=r"(r[1]) : "r"(s));
	else if (TRANS)
		asm volatile("ldmatrix.sync.aligned.m8n8.x1.trans.shared.b16 "
		    "{%0}, [%1];" : "=r"(r[0]) : "r"(s));
	else
		asm volatile("ldmatrix.sync.aligned.m8n8.x1.shared.b16 "
		    "{%0}, [%1];" : "=r"(r[0]) : "r"(s));
#elif defined(SB_EMU)
	static_assert(N == 1 || N == 2 || N == 4, "ldmatrix: x1, x2 or x4");
	sb_emu_ldmatrix(N, TRANS, r, row);
#else
	(void)r; (void)row;
#endif
}

/*
 * cp.async.cg.shared.global [dst], [src], 16, src_bytes: copy src_bytes
 * (0..16) from global memory into 16 bytes of shared memory and zero the
 * rest, asynchronously; both addresses 16-byte aligned.  src_bytes = 0
 * reads nothing (src must still be a valid address: pass the operand's
 * base).  A group of copies is closed by hgemm_cp_commit(); hgemm_cp_wait
 * <N>() waits until at most N closed groups are still in flight.
 */
static __device__ __forceinline__ void
hgemm_cp_async16(void *dst, const void *src, int src_bytes)
{
#if defined(__CUDA_ARCH__)
	asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;"
	    :: "r"(hgemm_smem_addr(dst)), "l"(src), "r"(src_bytes)
	    : "memory");
#elif defined(SB_EMU)
	sb_emu_cp_async16(dst, src, src_bytes);
#else
	(void)dst; (void)src; (void)src_bytes;
#endif
}

static __device__ __forceinline__ void
hgemm_cp_commit(void)
{
#if defined(__CUDA_ARCH__)
	asm volatile("cp.async.commit_group;" ::: "memory");
#elif defined(SB_EMU)
	sb_emu_cp_async_commit();
#endif
}

template <int N>
static __device__ __forceinline__ void
hgemm_cp_wait(void)
{
#if defined(__CUDA_ARCH__)
	asm volatile("cp.async.wait_group %0;" :: "n"(N) : "memory");
#elif defined(SB_EMU)
	sb_emu_cp_async_wait(N);
#endif
}

/* ---- names ----------------------------------------------------------- */

/* "gemm_<in>.<family>.<layout>.<out>out.<loader>" for every instance of a
 * family: [in bf16][out half][layout][vec] */
#define HGEMM_NAMES_LAYOUT(fam, in, out, lay, scalar, vec)		\
	{ "gemm_" in "." fam "." lay "." out "out." scalar,		\
	  "gemm_" in "." fam "." lay "." out "out." vec }
#define HGEMM_NAMES_OUT(fam, in, out, scalar, vec)			\
	{ HGEMM_NAMES_LAYOUT(fam, in, out, "nt", scalar, vec),		\
	  HGEMM_NAMES_LAYOUT(fam, in, out, "tn", scalar, vec),		\
	  HGEMM_NAMES_LAYOUT(fam, in, out, "nn", scalar, vec) }
#define HGEMM_NAMES(fam, scalar, vec)					\
	{ { HGEMM_NAMES_OUT(fam, "f16", "f32", scalar, vec),		\
	    HGEMM_NAMES_OUT(fam, "f16", "f16", scalar, vec) },		\
	  { HGEMM_NAMES_OUT(fam, "bf16", "f32", scalar, vec),		\
	    HGEMM_NAMES_OUT(fam, "bf16", "bf16", scalar, vec) } }

/* kernel instance K<TI, TO, LAYOUT, ...> for run-time types and layout */
#define HGEMM_BY_LAYOUT(layout, K, TI, TO, ...)				\
	((layout) == SB_NT ? (hgemm_kernel_fn)K<TI, TO, SB_NT, ##__VA_ARGS__> :\
	 (layout) == SB_TN ? (hgemm_kernel_fn)K<TI, TO, SB_TN, ##__VA_ARGS__> :\
	 (hgemm_kernel_fn)K<TI, TO, SB_NN, ##__VA_ARGS__>)
#define HGEMM_BY_TYPES(in, out, layout, K, ...)				\
	((in) == SB_DT_F16 ? ((out) == SB_DT_F32 ?			\
	    HGEMM_BY_LAYOUT(layout, K, __half, float, ##__VA_ARGS__) :	\
	    HGEMM_BY_LAYOUT(layout, K, __half, __half, ##__VA_ARGS__)) :	\
	 ((out) == SB_DT_F32 ?						\
	    HGEMM_BY_LAYOUT(layout, K, __nv_bfloat16, float, ##__VA_ARGS__) :\
	    HGEMM_BY_LAYOUT(layout, K, __nv_bfloat16, __nv_bfloat16,	\
	    ##__VA_ARGS__)))

#endif
