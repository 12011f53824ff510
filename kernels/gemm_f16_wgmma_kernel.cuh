/*
 * kernels/gemm_f16_wgmma_kernel.cuh — the device code of the Hopper wgmma
 * GEMM (launcher: gemm_f16_wgmma.cu; host plan and its invariants:
 * gemm_f16_wgmma.cuh).  Compiled three ways: by nvcc for sm_90a (the real
 * kernel), for sm_80 and nvcc's host pass (an empty body that traps), and
 * by g++ with SB_EMU (tests/test_wgmma_emu.cpp), where the PTX wrappers
 * below become the CPU models of tests/emu/emu_hopper.cpp: TMA lands at
 * issue through the 128-byte swizzle, mbarriers keep phases and
 * transaction counts, and wgmma computes each thread's fragment at issue
 * from shared memory read through the descriptors.
 */
#ifndef SB_KERNELS_GEMM_F16_WGMMA_KERNEL_CUH
#define SB_KERNELS_GEMM_F16_WGMMA_KERNEL_CUH

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cuda.h>		/* CUtensorMap: a type only */
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "gemm_f16_wgmma.cuh"

#ifdef SB_EMU
/* tests/emu/emu_hopper.cpp (and cuda_emu.cpp for the dynamic smem).  In
 * the emulator a CUtensorMap's bytes hold a struct sb_emu_tmap. */
struct sb_emu_tmap {
	const void	*base;
	uint64_t	 dims[2];	/* elements: contiguous, rows */
	uint64_t	 stride_bytes;
	uint32_t	 box[2];
};
unsigned char	*sb_emu_dyn_smem(void);
void	sb_emu_mbar_init(uint32_t bar, uint32_t count);
void	sb_emu_mbar_expect_tx(uint32_t bar, uint32_t bytes);
void	sb_emu_mbar_arrive(uint32_t bar);
void	sb_emu_mbar_wait(uint32_t bar, uint32_t parity);
void	sb_emu_tma_load_2d(uint32_t dst, const CUtensorMap *map,
	    uint32_t bar, int32_t c0, int32_t c1);
void	sb_emu_wgmma_fence(void);
void	sb_emu_wgmma_wait0(void);
void	sb_emu_wgmma_m64k16(float *d, int bn, int bf16, int ta, int tb,
	    uint64_t desc_a, uint64_t desc_b, int scale_d);
#ifndef __grid_constant__
#define __grid_constant__
#endif
#endif

/* The kernel's argument block (besides the two tensor maps). */
struct wgmma_args {
	void		*c;		/* (m,n), ldc; f32 or the input type */
	const void	*bias;		/* (n) in the input type, or NULL */
	int64_t		 ldc;
	int		 m, n;
	int		 tiles_m, tiles_n, tiles, k_blocks;
	uint32_t	 stage_tx_bytes;
	uint32_t	 a_boxes, a_box_bytes, b_boxes, b_box_bytes;
	uint32_t	 a_lbo, a_kstep, b_lbo, b_kstep;
	int		 a_mn_major, b_mn_major;
	int		 out_f32;	/* else out = in */
	int		 pair_ok;	/* C pairs (col, col+1) are aligned */
};

/* The kernel body exists for sm_90a and for the CPU emulator; nvcc's host
 * pass and the sm_80 pass see an empty (trapping) body. */
#if defined(SB_EMU) || \
    (defined(__CUDA_ARCH__) && defined(__CUDA_ARCH_FEAT_SM90_ALL))
#define WGMMA_DEVICE	1
#else
#define WGMMA_DEVICE	0
#endif

#if WGMMA_DEVICE && defined(SB_EMU)
/* ---- The same operations in the CPU emulator (tests/emu/emu_hopper.cpp) */

#define WGMMA_DYNAMIC_SMEM(name)	unsigned char *name = sb_emu_dyn_smem()

static inline uint32_t
smem_u32(const void *p)
{
	return (uint32_t)((const unsigned char *)p - sb_emu_dyn_smem());
}
#define mbar_init(bar, count)	sb_emu_mbar_init((bar), (count))
#define mbar_expect_tx(bar, n)	sb_emu_mbar_expect_tx((bar), (n))
#define mbar_arrive(bar)	sb_emu_mbar_arrive(bar)
#define mbar_wait(bar, parity)	sb_emu_mbar_wait((bar), (parity))
#define tma_load_2d(dst, map, bar, c0, c1) \
	sb_emu_tma_load_2d((dst), (map), (bar), (c0), (c1))
#define fence_barrier_init()	((void)0)
#define regs_dec()		((void)0)
#define regs_inc()		((void)0)
#define wgmma_fence()		sb_emu_wgmma_fence()
#define wgmma_commit()		((void)0)
#define wgmma_wait0()		sb_emu_wgmma_wait0()
template <int N>
static inline void
acc_fence(float *)
{
}

/* wgmma is queued at issue and computed at wait_group 0 in the emulator
 * (each thread its own fragment), so a stage released too early shows. */
template <int BN, int BF16, int TA, int TB>
static inline void
wgmma_k16(float *d, uint64_t desc_a, uint64_t desc_b, int scale_d)
{
	sb_emu_wgmma_m64k16(d, BN, BF16, TA, TB, desc_a, desc_b, scale_d);
}

#elif WGMMA_DEVICE
/* ---- PTX wrappers (sm_90a only) ---------------------------------------- */

#define WGMMA_DYNAMIC_SMEM(name) \
	extern __shared__ __align__(1024) unsigned char name[]

static __device__ __forceinline__ uint32_t
smem_u32(const void *p)
{
	return (uint32_t)__cvta_generic_to_shared(p);
}

static __device__ __forceinline__ void
mbar_init(uint32_t bar, uint32_t count)
{
	asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;"
	    :: "r"(bar), "r"(count) : "memory");
}

static __device__ __forceinline__ void
mbar_expect_tx(uint32_t bar, uint32_t bytes)
{
	asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;"
	    :: "r"(bar), "r"(bytes) : "memory");
}

static __device__ __forceinline__ void
mbar_arrive(uint32_t bar)
{
	asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];"
	    :: "r"(bar) : "memory");
}

/* Spin until the phase of parity `parity` has completed. */
static __device__ __forceinline__ void
mbar_wait(uint32_t bar, uint32_t parity)
{
	uint32_t done;

	do {
		asm volatile("{\n.reg .pred p;\n"
		    "mbarrier.try_wait.parity.shared::cta.b64 p, [%1], %2;\n"
		    "selp.u32 %0, 1, 0, p;\n}\n"
		    : "=r"(done) : "r"(bar), "r"(parity) : "memory");
	} while (!done);
}

/* A 2-D tile of the tensor map into shared memory, completing on bar. */
static __device__ __forceinline__ void
tma_load_2d(uint32_t dst, const CUtensorMap *map, uint32_t bar, int32_t c0,
    int32_t c1)
{
	asm volatile("cp.async.bulk.tensor.2d.shared::cluster.global.tile"
	    ".mbarrier::complete_tx::bytes [%0], [%1, {%3, %4}], [%2];"
	    :: "r"(dst), "l"((uint64_t)map), "r"(bar), "r"(c0), "r"(c1)
	    : "memory");
}

static __device__ __forceinline__ void
wgmma_fence(void)
{
	asm volatile("wgmma.fence.sync.aligned;" ::: "memory");
}

static __device__ __forceinline__ void
wgmma_commit(void)
{
	asm volatile("wgmma.commit_group.sync.aligned;" ::: "memory");
}

static __device__ __forceinline__ void
wgmma_wait0(void)
{
	asm volatile("wgmma.wait_group.sync.aligned 0;" ::: "memory");
}

/* The mbarriers' initialisation, visible to the async proxy (TMA). */
static __device__ __forceinline__ void
fence_barrier_init(void)
{
	asm volatile("fence.mbarrier_init.release.cluster;" ::: "memory");
	asm volatile("fence.proxy.async.shared::cta;" ::: "memory");
}

/* Registers move from the producer warpgroup to the consumers. */
static __device__ __forceinline__ void
regs_dec(void)
{
	asm volatile("setmaxnreg.dec.sync.aligned.u32 40;");
}

static __device__ __forceinline__ void
regs_inc(void)
{
	asm volatile("setmaxnreg.inc.sync.aligned.u32 232;");
}

/* Keep the compiler from moving accesses of the accumulators into the
 * window where wgmma owns them. */
template <int N>
static __device__ __forceinline__ void
acc_fence(float *d)
{
#pragma unroll
	for (int i = 0; i < N; i++)
		asm volatile("" : "+f"(d[i]) :: "memory");
}

/* d[64] += A(64x16, desc_a) . B(16x128, desc_b); scale_d 0 ignores d. */
template <int TA, int TB>
static __device__ __forceinline__ void
wgmma_m64n128k16_f16(float *d, uint64_t desc_a, uint64_t desc_b, int scale_d)
{
	asm volatile(
	    "{\n.reg .pred p;\n"
	    "setp.ne.b32 p, %66, 0;\n"
	    "wgmma.mma_async.sync.aligned.m64n128k16.f32.f16.f16 "
	    "{"
	    "%0, %1, %2, %3, %4, %5, %6, %7,"
	    "%8, %9, %10, %11, %12, %13, %14, %15,"
	    "%16, %17, %18, %19, %20, %21, %22, %23,"
	    "%24, %25, %26, %27, %28, %29, %30, %31,"
	    "%32, %33, %34, %35, %36, %37, %38, %39,"
	    "%40, %41, %42, %43, %44, %45, %46, %47,"
	    "%48, %49, %50, %51, %52, %53, %54, %55,"
	    "%56, %57, %58, %59, %60, %61, %62, %63"
	    "}, %64, %65, p, 1, 1, %67, %68;\n}\n"
	    : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]),
	      "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
	      "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]),
	      "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),
	      "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]),
	      "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
	      "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]),
	      "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]),
	      "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]),
	      "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]),
	      "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]),
	      "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]),
	      "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]),
	      "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]),
	      "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]),
	      "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63])
	    : "l"(desc_a), "l"(desc_b), "r"(scale_d), "n"(TA), "n"(TB));
}

/* d[64] += A(64x16, desc_a) . B(16x128, desc_b); scale_d 0 ignores d. */
template <int TA, int TB>
static __device__ __forceinline__ void
wgmma_m64n128k16_bf16(float *d, uint64_t desc_a, uint64_t desc_b, int scale_d)
{
	asm volatile(
	    "{\n.reg .pred p;\n"
	    "setp.ne.b32 p, %66, 0;\n"
	    "wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 "
	    "{"
	    "%0, %1, %2, %3, %4, %5, %6, %7,"
	    "%8, %9, %10, %11, %12, %13, %14, %15,"
	    "%16, %17, %18, %19, %20, %21, %22, %23,"
	    "%24, %25, %26, %27, %28, %29, %30, %31,"
	    "%32, %33, %34, %35, %36, %37, %38, %39,"
	    "%40, %41, %42, %43, %44, %45, %46, %47,"
	    "%48, %49, %50, %51, %52, %53, %54, %55,"
	    "%56, %57, %58, %59, %60, %61, %62, %63"
	    "}, %64, %65, p, 1, 1, %67, %68;\n}\n"
	    : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]),
	      "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
	      "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]),
	      "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),
	      "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]),
	      "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
	      "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]),
	      "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]),
	      "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]),
	      "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]),
	      "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]),
	      "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]),
	      "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]),
	      "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]),
	      "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]),
	      "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63])
	    : "l"(desc_a), "l"(desc_b), "r"(scale_d), "n"(TA), "n"(TB));
}

/* d[128] += A(64x16, desc_a) . B(16x256, desc_b); scale_d 0 ignores d. */
template <int TA, int TB>
static __device__ __forceinline__ void
wgmma_m64n256k16_f16(float *d, uint64_t desc_a, uint64_t desc_b, int scale_d)
{
	asm volatile(
	    "{\n.reg .pred p;\n"
	    "setp.ne.b32 p, %130, 0;\n"
	    "wgmma.mma_async.sync.aligned.m64n256k16.f32.f16.f16 "
	    "{"
	    "%0, %1, %2, %3, %4, %5, %6, %7,"
	    "%8, %9, %10, %11, %12, %13, %14, %15,"
	    "%16, %17, %18, %19, %20, %21, %22, %23,"
	    "%24, %25, %26, %27, %28, %29, %30, %31,"
	    "%32, %33, %34, %35, %36, %37, %38, %39,"
	    "%40, %41, %42, %43, %44, %45, %46, %47,"
	    "%48, %49, %50, %51, %52, %53, %54, %55,"
	    "%56, %57, %58, %59, %60, %61, %62, %63,"
	    "%64, %65, %66, %67, %68, %69, %70, %71,"
	    "%72, %73, %74, %75, %76, %77, %78, %79,"
	    "%80, %81, %82, %83, %84, %85, %86, %87,"
	    "%88, %89, %90, %91, %92, %93, %94, %95,"
	    "%96, %97, %98, %99, %100, %101, %102, %103,"
	    "%104, %105, %106, %107, %108, %109, %110, %111,"
	    "%112, %113, %114, %115, %116, %117, %118, %119,"
	    "%120, %121, %122, %123, %124, %125, %126, %127"
	    "}, %128, %129, p, 1, 1, %131, %132;\n}\n"
	    : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]),
	      "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
	      "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]),
	      "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),
	      "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]),
	      "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
	      "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]),
	      "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]),
	      "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]),
	      "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]),
	      "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]),
	      "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]),
	      "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]),
	      "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]),
	      "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]),
	      "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63]),
	      "+f"(d[64]), "+f"(d[65]), "+f"(d[66]), "+f"(d[67]),
	      "+f"(d[68]), "+f"(d[69]), "+f"(d[70]), "+f"(d[71]),
	      "+f"(d[72]), "+f"(d[73]), "+f"(d[74]), "+f"(d[75]),
	      "+f"(d[76]), "+f"(d[77]), "+f"(d[78]), "+f"(d[79]),
	      "+f"(d[80]), "+f"(d[81]), "+f"(d[82]), "+f"(d[83]),
	      "+f"(d[84]), "+f"(d[85]), "+f"(d[86]), "+f"(d[87]),
	      "+f"(d[88]), "+f"(d[89]), "+f"(d[90]), "+f"(d[91]),
	      "+f"(d[92]), "+f"(d[93]), "+f"(d[94]), "+f"(d[95]),
	      "+f"(d[96]), "+f"(d[97]), "+f"(d[98]), "+f"(d[99]),
	      "+f"(d[100]), "+f"(d[101]), "+f"(d[102]), "+f"(d[103]),
	      "+f"(d[104]), "+f"(d[105]), "+f"(d[106]), "+f"(d[107]),
	      "+f"(d[108]), "+f"(d[109]), "+f"(d[110]), "+f"(d[111]),
	      "+f"(d[112]), "+f"(d[113]), "+f"(d[114]), "+f"(d[115]),
	      "+f"(d[116]), "+f"(d[117]), "+f"(d[118]), "+f"(d[119]),
	      "+f"(d[120]), "+f"(d[121]), "+f"(d[122]), "+f"(d[123]),
	      "+f"(d[124]), "+f"(d[125]), "+f"(d[126]), "+f"(d[127])
	    : "l"(desc_a), "l"(desc_b), "r"(scale_d), "n"(TA), "n"(TB));
}

/* d[128] += A(64x16, desc_a) . B(16x256, desc_b); scale_d 0 ignores d. */
template <int TA, int TB>
static __device__ __forceinline__ void
wgmma_m64n256k16_bf16(float *d, uint64_t desc_a, uint64_t desc_b, int scale_d)
{
	asm volatile(
	    "{\n.reg .pred p;\n"
	    "setp.ne.b32 p, %130, 0;\n"
	    "wgmma.mma_async.sync.aligned.m64n256k16.f32.bf16.bf16 "
	    "{"
	    "%0, %1, %2, %3, %4, %5, %6, %7,"
	    "%8, %9, %10, %11, %12, %13, %14, %15,"
	    "%16, %17, %18, %19, %20, %21, %22, %23,"
	    "%24, %25, %26, %27, %28, %29, %30, %31,"
	    "%32, %33, %34, %35, %36, %37, %38, %39,"
	    "%40, %41, %42, %43, %44, %45, %46, %47,"
	    "%48, %49, %50, %51, %52, %53, %54, %55,"
	    "%56, %57, %58, %59, %60, %61, %62, %63,"
	    "%64, %65, %66, %67, %68, %69, %70, %71,"
	    "%72, %73, %74, %75, %76, %77, %78, %79,"
	    "%80, %81, %82, %83, %84, %85, %86, %87,"
	    "%88, %89, %90, %91, %92, %93, %94, %95,"
	    "%96, %97, %98, %99, %100, %101, %102, %103,"
	    "%104, %105, %106, %107, %108, %109, %110, %111,"
	    "%112, %113, %114, %115, %116, %117, %118, %119,"
	    "%120, %121, %122, %123, %124, %125, %126, %127"
	    "}, %128, %129, p, 1, 1, %131, %132;\n}\n"
	    : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]),
	      "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
	      "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]),
	      "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),
	      "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]),
	      "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
	      "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]),
	      "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]),
	      "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]),
	      "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]),
	      "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]),
	      "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]),
	      "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]),
	      "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]),
	      "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]),
	      "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63]),
	      "+f"(d[64]), "+f"(d[65]), "+f"(d[66]), "+f"(d[67]),
	      "+f"(d[68]), "+f"(d[69]), "+f"(d[70]), "+f"(d[71]),
	      "+f"(d[72]), "+f"(d[73]), "+f"(d[74]), "+f"(d[75]),
	      "+f"(d[76]), "+f"(d[77]), "+f"(d[78]), "+f"(d[79]),
	      "+f"(d[80]), "+f"(d[81]), "+f"(d[82]), "+f"(d[83]),
	      "+f"(d[84]), "+f"(d[85]), "+f"(d[86]), "+f"(d[87]),
	      "+f"(d[88]), "+f"(d[89]), "+f"(d[90]), "+f"(d[91]),
	      "+f"(d[92]), "+f"(d[93]), "+f"(d[94]), "+f"(d[95]),
	      "+f"(d[96]), "+f"(d[97]), "+f"(d[98]), "+f"(d[99]),
	      "+f"(d[100]), "+f"(d[101]), "+f"(d[102]), "+f"(d[103]),
	      "+f"(d[104]), "+f"(d[105]), "+f"(d[106]), "+f"(d[107]),
	      "+f"(d[108]), "+f"(d[109]), "+f"(d[110]), "+f"(d[111]),
	      "+f"(d[112]), "+f"(d[113]), "+f"(d[114]), "+f"(d[115]),
	      "+f"(d[116]), "+f"(d[117]), "+f"(d[118]), "+f"(d[119]),
	      "+f"(d[120]), "+f"(d[121]), "+f"(d[122]), "+f"(d[123]),
	      "+f"(d[124]), "+f"(d[125]), "+f"(d[126]), "+f"(d[127])
	    : "l"(desc_a), "l"(desc_b), "r"(scale_d), "n"(TA), "n"(TB));
}

/* One k16 step of a consumer warpgroup: d (64 x BN) += A slab . B tile. */
template <int BN, int BF16, int TA, int TB>
static __device__ __forceinline__ void
wgmma_k16(float *d, uint64_t desc_a, uint64_t desc_b, int scale_d)
{
	if constexpr (BN == 256 && BF16)
		wgmma_m64n256k16_bf16<TA, TB>(d, desc_a, desc_b, scale_d);
	else if constexpr (BN == 256)
		wgmma_m64n256k16_f16<TA, TB>(d, desc_a, desc_b, scale_d);
	else if constexpr (BF16)
		wgmma_m64n128k16_bf16<TA, TB>(d, desc_a, desc_b, scale_d);
	else
		wgmma_m64n128k16_f16<TA, TB>(d, desc_a, desc_b, scale_d);
}

#endif

#if WGMMA_DEVICE
template <int BF16>
static __device__ __forceinline__ float
half_load(const void *p, int64_t i)
{
	if constexpr (BF16)
		return __bfloat162float(((const __nv_bfloat16 *)p)[i]);
	else
		return __half2float(((const __half *)p)[i]);
}

/*
 * Store the pair (v0 at col, v1 at col + 1) of row `row` of C: one rounding
 * to the output type, only what lies inside m x n.
 */
template <int BF16>
static __device__ __forceinline__ void
store_pair(const struct wgmma_args &p, int row, int col, float v0, float v1)
{
	int64_t at;

	if (row >= p.m || col >= p.n)
		return;
	at = (int64_t)row * p.ldc + col;
	if (p.out_f32) {
		float *c = (float *)p.c;

		if (p.pair_ok && col + 1 < p.n) {
			*(float2 *)(c + at) = make_float2(v0, v1);
			return;
		}
		c[at] = v0;
		if (col + 1 < p.n)
			c[at + 1] = v1;
	} else if constexpr (BF16) {
		__nv_bfloat16 *c = (__nv_bfloat16 *)p.c;

		if (p.pair_ok && col + 1 < p.n) {
			*(__nv_bfloat162 *)(c + at) =
			    __floats2bfloat162_rn(v0, v1);
			return;
		}
		c[at] = __float2bfloat16_rn(v0);
		if (col + 1 < p.n)
			c[at + 1] = __float2bfloat16_rn(v1);
	} else {
		__half *c = (__half *)p.c;

		if (p.pair_ok && col + 1 < p.n) {
			*(__half2 *)(c + at) = __floats2half2_rn(v0, v1);
			return;
		}
		c[at] = __float2half_rn(v0);
		if (col + 1 < p.n)
			c[at + 1] = __float2half_rn(v1);
	}
}
#endif	/* WGMMA_DEVICE */

/*
 * The persistent kernel.  384 threads: warpgroup 0 is the producer (one
 * thread issues every TMA load), warpgroups 1 and 2 are consumers, each
 * owning 64 rows of the 128-row tile and BN/2 fp32 accumulators per
 * thread.  Shared memory (dynamic, 1024-aligned by hand):
 *   A ring [STAGES][BM x BK]  B ring [STAGES][BN x BK]  full[STAGES]
 *   empty[STAGES]
 * a is (m,k) or (k,m) and b is (n,k) or (k,n) as the layout says; both
 * reach the kernel only through their tensor maps.
 */
template <int BN, int STAGES, int BF16, int TA, int TB>
__global__ void __launch_bounds__(SB_WGMMA_THREADS, 1)
hgemm_wgmma_kernel(const __grid_constant__ CUtensorMap tma_a,
    const __grid_constant__ CUtensorMap tma_b, const struct wgmma_args p)
{
#if WGMMA_DEVICE
	WGMMA_DYNAMIC_SMEM(smem_raw);
	const uint32_t a_bytes = SB_WGMMA_BM * SB_WGMMA_BK * 2;
	const uint32_t b_bytes = BN * SB_WGMMA_BK * 2;
	uint32_t base, ring_a, ring_b, full, empty;
	int wg = threadIdx.x / 128;

	base = smem_u32(smem_raw);
	base = (base + SB_WGMMA_ATOM_BYTES - 1) &
	    ~(uint32_t)(SB_WGMMA_ATOM_BYTES - 1);
	ring_a = base;
	ring_b = ring_a + STAGES * a_bytes;
	full = ring_b + STAGES * b_bytes;
	empty = full + STAGES * 8;

	if (threadIdx.x == 0) {
		for (int s = 0; s < STAGES; s++) {
			mbar_init(full + 8 * s, 1);
			mbar_init(empty + 8 * s, 128 * SB_WGMMA_CONSUMERS);
		}
		fence_barrier_init();
	}
	__syncthreads();

	if (wg == 0) {
		/* Producer: give registers to the consumers, then one thread
		 * walks the tiles and fills the ring. */
		regs_dec();
		if (threadIdx.x != 0)
			return;
		int s = 0;
		uint32_t ph = 0;
		for (int t = blockIdx.x; t < p.tiles; t += gridDim.x) {
			int tm, tn;

			sb_wgmma_tile(t, p.tiles_m, p.tiles_n, &tm, &tn);
			for (int kb = 0; kb < p.k_blocks; kb++) {
				uint32_t fb = full + 8 * s;
				int32_t cd[2];

				mbar_wait(empty + 8 * s, ph ^ 1);
				mbar_expect_tx(fb, p.stage_tx_bytes);
				for (uint32_t j = 0; j < p.a_boxes; j++) {
					sb_wgmma_box_coord(p.a_mn_major,
					    tm * SB_WGMMA_BM, kb * SB_WGMMA_BK,
					    (int)j, cd);
					tma_load_2d(ring_a + s * a_bytes +
					    j * p.a_box_bytes, &tma_a, fb,
					    cd[0], cd[1]);
				}
				for (uint32_t j = 0; j < p.b_boxes; j++) {
					sb_wgmma_box_coord(p.b_mn_major,
					    tn * BN, kb * SB_WGMMA_BK, (int)j,
					    cd);
					tma_load_2d(ring_b + s * b_bytes +
					    j * p.b_box_bytes, &tma_b, fb,
					    cd[0], cd[1]);
				}
				if (++s == STAGES) {
					s = 0;
					ph ^= 1;
				}
			}
		}
		return;
	}

	/* Consumers. */
	regs_inc();
	const int cw = wg - 1;			/* rows 64cw..64cw+63 */
	const int lane = threadIdx.x % 32, warp = (threadIdx.x / 32) % 4;
	float d[BN / 2];
	int s = 0;
	uint32_t ph = 0;

#pragma unroll
	for (int i = 0; i < BN / 2; i++)
		d[i] = 0;

	for (int t = blockIdx.x; t < p.tiles; t += gridDim.x) {
		int tm, tn;

		sb_wgmma_tile(t, p.tiles_m, p.tiles_n, &tm, &tn);
		for (int kb = 0; kb < p.k_blocks; kb++) {
			uint32_t a0 = ring_a + s * a_bytes +
			    cw * (64 * SB_WGMMA_ROW_BYTES);
			uint32_t b0 = ring_b + s * b_bytes;

			mbar_wait(full + 8 * s, ph);
			acc_fence<BN / 2>(d);
			wgmma_fence();
#pragma unroll
			for (int kk = 0; kk < SB_WGMMA_BK / 16; kk++) {
				uint64_t da = sb_wgmma_desc(a0 + kk *
				    p.a_kstep, p.a_lbo, SB_WGMMA_ATOM_BYTES);
				uint64_t db = sb_wgmma_desc(b0 + kk *
				    p.b_kstep, p.b_lbo, SB_WGMMA_ATOM_BYTES);

				wgmma_k16<BN, BF16, TA, TB>(d, da, db,
				    kb > 0 || kk > 0);
			}
			wgmma_commit();
			wgmma_wait0();
			acc_fence<BN / 2>(d);
			mbar_arrive(empty + 8 * s);
			if (++s == STAGES) {
				s = 0;
				ph ^= 1;
			}
		}

		/* Epilogue: d[4i + 2h + e] is row 16warp + lane/4 + 8h,
		 * column 8i + 2(lane%4) + e of this warpgroup's 64 x BN. */
		int row0 = tm * SB_WGMMA_BM + cw * 64 + warp * 16 + lane / 4;
		int col0 = tn * BN + 2 * (lane % 4);
#pragma unroll
		for (int i = 0; i < BN / 8; i++) {
			int col = col0 + 8 * i;
			float b0 = 0, b1 = 0;

			if (p.bias != NULL && col < p.n) {
				b0 = half_load<BF16>(p.bias, col);
				if (col + 1 < p.n)
					b1 = half_load<BF16>(p.bias, col + 1);
			}
			store_pair<BF16>(p, row0, col, d[4 * i] + b0,
			    d[4 * i + 1] + b1);
			store_pair<BF16>(p, row0 + 8, col, d[4 * i + 2] + b0,
			    d[4 * i + 3] + b1);
		}
	}
#elif defined(__CUDA_ARCH__)
	/* Compiled for a GPU without wgmma: the launcher never gets here. */
	__trap();
#endif
}


/* The argument block of a planned call (host). */
static inline struct wgmma_args
wgmma_args_make(const struct sb_wgmma_plan *p, void *c, const void *bias,
    int64_t ldc, int64_t m, int64_t n, int out_f32, size_t out_size)
{
	struct wgmma_args a;

	memset(&a, 0, sizeof(a));
	a.c = c;
	a.bias = bias;
	a.ldc = ldc;
	a.m = (int)m;
	a.n = (int)n;
	a.tiles_m = p->tiles_m;
	a.tiles_n = p->tiles_n;
	a.tiles = p->tiles;
	a.k_blocks = p->k_blocks;
	a.stage_tx_bytes = p->stage_tx_bytes;
	a.a_boxes = (uint32_t)p->a.boxes;
	a.a_box_bytes = p->a.box_smem_bytes;
	a.b_boxes = (uint32_t)p->b.boxes;
	a.b_box_bytes = p->b.box_smem_bytes;
	a.a_lbo = p->da.lbo;
	a.a_kstep = p->da.kstep_bytes;
	a.b_lbo = p->db.lbo;
	a.b_kstep = p->db.kstep_bytes;
	a.a_mn_major = p->a.mn_major;
	a.b_mn_major = p->b.mn_major;
	a.out_f32 = out_f32;
	a.pair_ok = ldc % 2 == 0 && (uintptr_t)c % (2 * out_size) == 0;
	return a;
}

#endif
