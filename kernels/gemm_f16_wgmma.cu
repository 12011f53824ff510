/*
 * kernels/gemm_f16_wgmma.cu — the Hopper half-precision GEMM: TMA loads into
 * 128-byte-swizzled shared memory, wgmma.mma_async from shared memory,
 * one producer warpgroup and two consumer warpgroups around a ring of
 * full/empty mbarriers, a persistent grid walking tiles in grouped order.
 * sb_hgemm_wgmma, "wgmma".  The host-side plan (majorness per layout,
 * tensor maps, descriptors, tile order) is plain C in gemm_f16_wgmma.cuh,
 * where its invariants are listed; tests/test_wgmma_plan.c tests it and
 * tests/wgmma_isa.sh checks that the sm_90a code really is wgmma + TMA.
 *
 * Run it alone:
 *   stepbench gemm --kernels f16.wgmma,bf16.wgmma --layouts nt,tn,nn \
 *       --sizes 4096x4096x4096
 * Force the portable path (to compare, or to rule the kernel out while
 * debugging):  SB_WGMMA_FALLBACK=1 stepbench ...
 *
 * NEVER RUN.  Everything below was compiled for sm_80 and sm_90a (ptxas
 * accepted the wgmma, TMA, mbarrier and setmaxnreg code) and its host plan
 * is unit-tested, but no line of the kernel has executed on a GPU.  On the
 * first H100/H200 session, check in this order:
 *   1. test_gemm_gpu with wgmma at NT first (K-major both sides: the most
 *      common descriptor form), then NN (B N-major), then TN (A M-major).
 *      A wrong LBO/SBO for the MN-major form (notes 3-4 of the .cuh) shows
 *      up as errors in TN/NN only.
 *   2. A hang means an mbarrier phase or a transaction count is wrong:
 *      stage_tx_bytes must equal the bytes of all boxes of a stage
 *      (TMA counts zero-filled out-of-bounds parts too).
 *   3. compute-sanitizer --tool memcheck on odd shapes (127x129x65): the
 *      epilogue's stores are the only global writes and are guarded.
 *   4. cuobjdump -sass: HGMMA and UTMALDG present (tests/wgmma_isa.sh does
 *      it where cuobjdump exists); ptxas must not report serialised wgmma.
 *
 * Invariants of the kernel (beyond the plan's):
 *   - The producer waits on empty[s] with parity ph ^ 1 and the consumers
 *     on full[s] with parity ph, where ph flips each time s wraps; both
 *     sides walk the same tiles and k-blocks, so their (s, ph) agree.
 *   - full[s] expects one arrival (the producer's arrive.expect_tx) plus
 *     stage_tx_bytes; empty[s] expects one arrival from every consumer
 *     thread after its wgmma.wait_group 0 (the stage is no longer read).
 *   - Accumulators are only touched between wgmma.wait_group 0 and the
 *     next wgmma.fence; acc_fence keeps the compiler from moving register
 *     accesses across the asynchronous window.
 *   - No generic-proxy write ever targets the ring (only TMA writes it), so
 *     no fence.proxy.async is needed per stage; the mbarrier initialisation
 *     is made visible to the async proxy once (fence.mbarrier_init).
 *   - bgrad is not supported (bgrad_epilogue 0: gemm_h16.c refuses it).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cuda.h>		/* CUtensorMap and its enums: types only */
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cudaTypedefs.h>	/* PFN_cuTensorMapEncodeTiled */

#include "gemm_f16_wgmma.cuh"
#include "gemm_h16.h"

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

#if defined(__CUDA_ARCH__) && defined(__CUDA_ARCH_FEAT_SM90_ALL)
#define WGMMA_DEVICE	1
#else
#define WGMMA_DEVICE	0
#endif

#if WGMMA_DEVICE
/* ---- PTX wrappers (sm_90a only) ---------------------------------------- */

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
	extern __shared__ __align__(1024) unsigned char smem_raw[];
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
		asm volatile("fence.mbarrier_init.release.cluster;" :::
		    "memory");
		asm volatile("fence.proxy.async.shared::cta;" ::: "memory");
	}
	__syncthreads();

	if (wg == 0) {
		/* Producer: give registers to the consumers, then one thread
		 * walks the tiles and fills the ring. */
		asm volatile("setmaxnreg.dec.sync.aligned.u32 40;");
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
	asm volatile("setmaxnreg.inc.sync.aligned.u32 232;");
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

/* ---- The launcher (host) ------------------------------------------------ */

typedef void (*wgmma_kernel_fn)(const CUtensorMap, const CUtensorMap,
    const struct wgmma_args);

struct wgmma_kernel {
	wgmma_kernel_fn	 fn;
	int		 bn, stages;
};

#define WGMMA_K(bn, st, bf, ta, tb) \
	{ hgemm_wgmma_kernel<bn, st, bf, ta, tb>, bn, st }
/* [BN 128, 256][f16, bf16][NT, TN, NN]: trans-a, trans-b as note 2 of the
 * .cuh says; stages as sb_wgmma_plan_make computes them. */
static const struct wgmma_kernel wgmma_kernels[2][2][SB_LAYOUT_COUNT] = {
	{ { WGMMA_K(128, 6, 0, 0, 0), WGMMA_K(128, 6, 0, 1, 1),
	    WGMMA_K(128, 6, 0, 0, 1) },
	  { WGMMA_K(128, 6, 1, 0, 0), WGMMA_K(128, 6, 1, 1, 1),
	    WGMMA_K(128, 6, 1, 0, 1) } },
	{ { WGMMA_K(256, 4, 0, 0, 0), WGMMA_K(256, 4, 0, 1, 1),
	    WGMMA_K(256, 4, 0, 0, 1) },
	  { WGMMA_K(256, 4, 1, 0, 0), WGMMA_K(256, 4, 1, 1, 1),
	    WGMMA_K(256, 4, 1, 0, 1) } },
};
#undef WGMMA_K

/* What one device is, asked once per device (no sync), and which kernels
 * have had their dynamic shared memory limit raised there. */
#define WGMMA_MAX_DEVICES	64
static struct {
	int		 known;
	int		 cc;		/* ×10 */
	int		 sms;
	unsigned	 smem_set;	/* bit per wgmma_kernels entry */
} wgmma_dev[WGMMA_MAX_DEVICES];

static PFN_cuTensorMapEncodeTiled_v12000 wgmma_encode;

/* The launch a call gets on the wgmma path. */
struct wgmma_launch {
	const struct wgmma_kernel	*kernel;
	int				 kernel_bit;
	struct sb_wgmma_plan		 plan;
	CUtensorMap			 map_a, map_b;
	struct wgmma_args		 args;
	char				 name[96];
};

extern "C" const struct sb_hgemm sb_hgemm_wgmma;

/* 1 when SB_WGMMA_FALLBACK is set to anything but "" or "0". */
static int
wgmma_forced(void)
{
	static int forced = -1;
	const char *v;

	if (forced < 0) {
		v = getenv("SB_WGMMA_FALLBACK");
		forced = v != NULL && v[0] != '\0' && strcmp(v, "0") != 0;
	}
	return forced;
}

static const char *
wgmma_fallback(int cc)
{
	if (wgmma_forced())
		return "mma.sync (SB_WGMMA_FALLBACK is set)";
	if (cc != 90)
		return "mma.sync (wgmma needs sm_90a)";
	return NULL;
}

static int
wgmma_device(struct sb_gpu *g, int *dev_out)
{
	int dev, major, minor, sms;

	SB_CUDA_CHECK(g, cudaGetDevice(&dev));
	if (dev < 0 || dev >= WGMMA_MAX_DEVICES)
		return sb_gpu_fail(g, __FILE__, __LINE__, "wgmma",
		    "device ordinal beyond the 64 this launcher tracks");
	if (!wgmma_dev[dev].known) {
		SB_CUDA_CHECK(g, cudaDeviceGetAttribute(&major,
		    cudaDevAttrComputeCapabilityMajor, dev));
		SB_CUDA_CHECK(g, cudaDeviceGetAttribute(&minor,
		    cudaDevAttrComputeCapabilityMinor, dev));
		SB_CUDA_CHECK(g, cudaDeviceGetAttribute(&sms,
		    cudaDevAttrMultiProcessorCount, dev));
		wgmma_dev[dev].cc = 10 * major + minor;
		wgmma_dev[dev].sms = sms;
		wgmma_dev[dev].known = 1;
	}
	*dev_out = dev;
	return 0;
}

static int
wgmma_tensor_map(struct sb_gpu *g, CUtensorMap *map,
    const struct sb_wgmma_tmap *t, enum sb_dtype in, const void *ptr,
    const char *operand)
{
	cuuint64_t dims[2] = { t->dims[0], t->dims[1] };
	cuuint64_t strides[1] = { t->stride_bytes };
	cuuint32_t box[2] = { t->box[0], t->box[1] };
	cuuint32_t elem_strides[2] = { 1, 1 };
	char detail[200];
	void *fn = NULL;
	cudaDriverEntryPointQueryResult q;
	CUresult r;

	if (wgmma_encode == NULL) {
		SB_CUDA_CHECK(g, cudaGetDriverEntryPointByVersion(
		    "cuTensorMapEncodeTiled", &fn, 12000, cudaEnableDefault,
		    &q));
		if (q != cudaDriverEntryPointSuccess || fn == NULL)
			return sb_gpu_fail(g, __FILE__, __LINE__,
			    "cuTensorMapEncodeTiled", "the driver does not "
			    "export it (TMA needs a CUDA 12.0 or newer "
			    "driver); set SB_WGMMA_FALLBACK=1 to use mma.sync");
		wgmma_encode = (PFN_cuTensorMapEncodeTiled_v12000)fn;
	}
	r = wgmma_encode(map, in == SB_DT_BF16 ?
	    CU_TENSOR_MAP_DATA_TYPE_BFLOAT16 : CU_TENSOR_MAP_DATA_TYPE_FLOAT16,
	    2, (void *)ptr, dims, strides, box, elem_strides,
	    CU_TENSOR_MAP_INTERLEAVE_NONE, CU_TENSOR_MAP_SWIZZLE_128B,
	    CU_TENSOR_MAP_L2_PROMOTION_L2_256B,
	    CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE);
	if (r != CUDA_SUCCESS) {
		(void)snprintf(detail, sizeof(detail), "operand %s: CUresult "
		    "%d for dims {%llu, %llu}, row stride %llu B, box {%u, %u}, "
		    "128B swizzle", operand, (int)r,
		    (unsigned long long)dims[0], (unsigned long long)dims[1],
		    (unsigned long long)strides[0], box[0], box[1]);
		return sb_gpu_fail(g, __FILE__, __LINE__,
		    "cuTensorMapEncodeTiled", detail);
	}
	return 0;
}

/*
 * Decide and prepare: 1 when the call goes to the fallback, 0 with l
 * filled when it takes the wgmma path, -1 on error.
 */
static int
wgmma_prepare(struct sb_gpu *g, const struct sb_hgemm_call *c,
    struct wgmma_launch *l)
{
	struct sb_wgmma_plan *p = &l->plan;
	const char *why;
	size_t esize;
	int dev = 0, bf16, bn_i;

	if (wgmma_device(g, &dev) != 0)
		return -1;
	why = sb_wgmma_refuse(wgmma_dev[dev].cc, wgmma_forced(), c->in,
	    c->m, c->n, c->k, c->a, c->lda, c->b, c->ldb);
	if (why != NULL)
		return 1;
	sb_wgmma_plan_make(c->layout, c->m, c->n, c->k, c->lda, c->ldb,
	    wgmma_dev[dev].sms, p);
	bf16 = c->in == SB_DT_BF16;
	bn_i = p->bn == 256;
	l->kernel = &wgmma_kernels[bn_i][bf16][c->layout];
	l->kernel_bit = 1 << (((bn_i * 2) + bf16) * SB_LAYOUT_COUNT +
	    (int)c->layout);
	if (l->kernel->bn != p->bn || l->kernel->stages != p->stages)
		return sb_gpu_fail(g, __FILE__, __LINE__, "wgmma",
		    "the plan's tile width or stage count has no compiled "
		    "kernel (wgmma_kernels and sb_wgmma_plan_make disagree)");
	if (p->smem_bytes > SB_WGMMA_SMEM_MAX)
		return sb_gpu_fail(g, __FILE__, __LINE__, "wgmma",
		    "the plan needs more shared memory than sm_90 has");
	if (!(wgmma_dev[dev].smem_set & l->kernel_bit)) {
		SB_CUDA_CHECK(g, cudaFuncSetAttribute(
		    (const void *)l->kernel->fn,
		    cudaFuncAttributeMaxDynamicSharedMemorySize,
		    (int)p->smem_bytes));
		wgmma_dev[dev].smem_set |= l->kernel_bit;
	}
	if (wgmma_tensor_map(g, &l->map_a, &p->a, c->in, c->a, "a") != 0 ||
	    wgmma_tensor_map(g, &l->map_b, &p->b, c->in, c->b, "b") != 0)
		return -1;

	esize = sb_dtype_size(c->out);
	memset(&l->args, 0, sizeof(l->args));
	l->args.c = c->c;
	l->args.bias = c->bias;
	l->args.ldc = c->ldc;
	l->args.m = (int)c->m;
	l->args.n = (int)c->n;
	l->args.tiles_m = p->tiles_m;
	l->args.tiles_n = p->tiles_n;
	l->args.tiles = p->tiles;
	l->args.k_blocks = p->k_blocks;
	l->args.stage_tx_bytes = p->stage_tx_bytes;
	l->args.a_boxes = (uint32_t)p->a.boxes;
	l->args.a_box_bytes = p->a.box_smem_bytes;
	l->args.b_boxes = (uint32_t)p->b.boxes;
	l->args.b_box_bytes = p->b.box_smem_bytes;
	l->args.a_lbo = p->da.lbo;
	l->args.a_kstep = p->da.kstep_bytes;
	l->args.b_lbo = p->db.lbo;
	l->args.b_kstep = p->db.kstep_bytes;
	l->args.a_mn_major = p->a.mn_major;
	l->args.b_mn_major = p->b.mn_major;
	l->args.out_f32 = c->out == SB_DT_F32;
	l->args.pair_ok = c->ldc % 2 == 0 &&
	    (uintptr_t)c->c % (2 * esize) == 0;
	(void)snprintf(l->name, sizeof(l->name), "hgemm_wgmma.%s.%s.bn%d.s%d",
	    sb_dtype_name(c->in), sb_layout_name(c->layout), p->bn,
	    p->stages);
	return 0;
}

static int
wgmma_gemm(struct sb_gpu *g, const struct sb_hgemm_call *c)
{
	struct wgmma_launch l;
	int r;

	if (sb_hgemm_check(g, &sb_hgemm_wgmma, c) != 0)
		return -1;
	if ((r = wgmma_prepare(g, c, &l)) < 0)
		return -1;
	if (r > 0)
		return sb_hgemm_mma.gemm(g, c);
	l.kernel->fn<<<l.plan.grid, SB_WGMMA_THREADS, l.plan.smem_bytes,
	    g->stream>>>(l.map_a, l.map_b, l.args);
	g->launches++;
	SB_CUDA_CHECK(g, cudaGetLastError());
	return 0;
}

static int
wgmma_describe(struct sb_gpu *g, const struct sb_hgemm_call *c,
    struct sb_kernel_info *info)
{
	struct wgmma_launch l;
	struct cudaFuncAttributes fa;
	int r, per_sm = 0;

	if (sb_hgemm_check(g, &sb_hgemm_wgmma, c) != 0)
		return -1;
	if ((r = wgmma_prepare(g, c, &l)) < 0)
		return -1;
	if (r > 0)
		return sb_hgemm_mma.describe(g, c, info);
	memset(info, 0, sizeof(*info));
	(void)snprintf(info->name, sizeof(info->name), "%s", l.name);
	info->grid[0] = (unsigned)l.plan.grid;
	info->grid[1] = info->grid[2] = 1;
	info->block[0] = SB_WGMMA_THREADS;
	info->block[1] = info->block[2] = 1;
	info->dyn_smem = l.plan.smem_bytes;
	SB_CUDA_CHECK(g, cudaFuncGetAttributes(&fa,
	    (const void *)l.kernel->fn));
	SB_CUDA_CHECK(g, cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm,
	    (const void *)l.kernel->fn, SB_WGMMA_THREADS, l.plan.smem_bytes));
	info->regs = fa.numRegs;
	info->static_smem = (int)fa.sharedSizeBytes;
	info->local_bytes = (int)fa.localSizeBytes;
	info->max_threads = fa.maxThreadsPerBlock;
	info->ptx_version = fa.ptxVersion;
	info->binary_version = fa.binaryVersion;
	info->ctas_per_sm = per_sm;
	return 0;
}

extern "C" const struct sb_hgemm sb_hgemm_wgmma = {
	"wgmma", wgmma_gemm, wgmma_describe,
	0,			/* needs_blas */
	0,			/* needs_lt */
	0,			/* bgrad_epilogue */
	80,			/* min_cc: mma.sync fallback below 9.0 */
	wgmma_fallback,
	"Hopper wgmma m64n256k16 from TMA-loaded 128B-swizzled smem, "
	"producer/consumer warpgroups, mbarrier ring, persistent grid "
	"(sm_90a; mma.sync elsewhere)"
};
