/*
 * kernels/gemm_f16_wgmma.cu — the Hopper half-precision GEMM: TMA loads into
 * 128-byte-swizzled shared memory, wgmma.mma_async from shared memory,
 * one producer warpgroup and two consumer warpgroups around a ring of
 * full/empty mbarriers, a persistent grid walking tiles in grouped order.
 * sb_hgemm_wgmma, "wgmma".  The host-side plan (majorness per layout,
 * tensor maps, descriptors, tile order) is plain C in gemm_f16_wgmma.cuh,
 * where its invariants are listed; the kernel is gemm_f16_wgmma_kernel.cuh.
 * tests/test_wgmma_plan.c tests the plan, tests/test_wgmma_emu.cpp runs
 * the kernel in the CPU emulator, tests/wgmma_isa.sh checks that the
 * sm_90a code really is wgmma + TMA, tests/test_wgmma_gpu.c runs it on an
 * H100/H200.
 *
 * Run it alone:
 *   stepbench gemm --kernels f16.wgmma,bf16.wgmma --layouts nt,tn,nn \
 *       --sizes 4096x4096x4096
 * Force the portable path (to compare, or to rule the kernel out while
 * debugging):  SB_WGMMA_FALLBACK=1 stepbench ...
 *
 * NEVER RUN ON A GPU.  What has been done without one: the kernel compiles
 * for sm_80 (trapping stub) and sm_90a (ptxas accepts the wgmma, TMA,
 * mbarrier and setmaxnreg code without repairing or serialising the wgmma
 * pipeline, no spills: tests/wgmma_isa.sh); the host plan is unit-tested
 * (tests/test_wgmma_plan.c); and the kernel source itself runs in the CPU
 * emulator against fp64 (tests/test_wgmma_emu.cpp), with models of TMA,
 * mbarriers and wgmma written from the PTX ISA and CUTLASS's canonical
 * layouts.  What only a GPU can tell: whether the hardware reads the
 * swizzled tiles through the descriptors as those models say, and the
 * speed.  On the first H100/H200 session, in this order:
 *   1. ctest -R test_wgmma_gpu (the wgmma path itself; test_gemm_gpu's
 *      storages are never TMA-legal, so there wgmma always falls back).
 *      NT first (K-major both sides), then NN (B N-major), then TN (A
 *      M-major): a wrong LBO/SBO or trans bit for the MN-major form (notes
 *      2-4 of gemm_f16_wgmma.cuh) shows up in TN/NN only.
 *   2. A hang means an mbarrier phase or a transaction count is wrong:
 *      stage_tx_bytes must equal the bytes of all boxes of a stage (TMA
 *      counts zero-filled out-of-bounds parts too).  The emulator checks
 *      the protocol; the GPU may count out-of-bounds boxes differently.
 *   3. compute-sanitizer --tool memcheck on 127x129x65: the epilogue's
 *      stores are the only global writes and are guarded.
 *   4. tests/wgmma_isa.sh reads the SASS where cuobjdump exists: HGMMA and
 *      UTMALDG must be there.
 *   5. stepbench gemm --kernels 'f16.wgmma,f16.cublas' --layouts nt
 *      --sizes 4096x4096x4096,8192x8192x8192 for the target (>= 90 % of
 *      cuBLAS).  Tuning knobs, in the order to try: wgmma.wait_group 1 with
 *      the previous stage released (today each k-block waits for 0), a
 *      TMA store epilogue, 2-CTA clusters with multicast.

 * Invariants of the kernel (gemm_f16_wgmma_kernel.cuh; beyond the plan's):
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
#include <cudaTypedefs.h>	/* PFN_cuTensorMapEncodeTiled */

#include "gemm_f16_wgmma.cuh"
#include "gemm_f16_wgmma_kernel.cuh"
#include "gemm_h16.h"

/* The kernel's argument block (besides the two tensor maps). */

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

	l->args = wgmma_args_make(p, c->c, c->bias, c->ldc, c->m, c->n,
	    c->out == SB_DT_F32, sb_dtype_size(c->out));
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
	int r;

	if (sb_hgemm_check(g, &sb_hgemm_wgmma, c) != 0)
		return -1;
	if ((r = wgmma_prepare(g, c, &l)) < 0)
		return -1;
	if (r > 0)
		return sb_hgemm_mma.describe(g, c, info);
	{
		const unsigned gr[3] = { (unsigned)l.plan.grid, 1, 1 };
		const unsigned bl[3] = { SB_WGMMA_THREADS, 1, 1 };

		return sb_kernel_info_fill(g, info, l.name,
		    (const void *)l.kernel->fn, gr, bl, l.plan.smem_bytes);
	}
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
