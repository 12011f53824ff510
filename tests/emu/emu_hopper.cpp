/*
 * tests/emu/emu_hopper.cpp — the Hopper operations of the wgmma GEMM
 * (kernels/gemm_f16_wgmma_kernel.cuh) in the CPU emulator of cuda_emu.h.
 *
 * Models (each as the PTX ISA and the driver API describe the hardware;
 * where the hardware differs, the emulated kernel passes and the GPU
 * fails, which is what tests/test_wgmma_gpu.c is for):
 *  1. Shared-memory addresses are offsets into the CTA's dynamic shared
 *     memory (sb_emu_dyn_smem), which the emulator gives as address 0.
 *  2. mbarrier: expected and pending arrival counts, a transaction count
 *     and a phase bit.  A phase completes when no arrival and no byte is
 *     pending; try_wait.parity p succeeds once the phase of parity p has
 *     completed (the current phase's parity differs from p), so a fresh
 *     barrier passes a wait on parity 1.  More arrivals than expected in a
 *     phase, or a wait on an uninitialised barrier, is an error.  A wait
 *     spins, giving the CPU to the other threads (sb_emu_yield); after
 *     SPIN_LIMIT rounds it reports a deadlock and aborts.
 *  3. TMA (cp.async.bulk.tensor.2d, 128-byte swizzle): the box lands at
 *     issue: element (x, y) of the box at dst + y·128 + 2x with the 16-byte
 *     chunk (address bits 4-6) XORed with bits 7-9; out-of-bounds elements
 *     are zero; then the barrier's transaction count drops by the box's
 *     bytes.  dst must be 1024-aligned, the box 128 bytes wide.
 *  4. wgmma.mma_async m64nNk16 (f32 += f16/bf16 · f16/bf16) is queued per
 *     thread at issue and computed at wgmma.wait_group 0, reading shared
 *     memory then.  A TMA write over the span an incomplete wgmma reads is
 *     an error (a stage released before wgmma.wait_group): mbarrier.arrive
 *     yields to the other threads, so the producer gets that chance.  Each
 *     thread computes its own fragment (d[4i + 2h + e] is row 16·warp +
 *     lane/4 + 8h, column 8i + 2·(lane%4) + e), reading A (64 x 16) and B
 *     (N x 16) through the descriptors as CUTLASS's canonical 128B-swizzle
 *     layouts say (K-major: (r%8)·128 + (r/8)·SBO + 2k; MN-major:
 *     (i%64)·2 + (i/64)·LBO + (k%8)·128 + (k/8)·SBO), then the swizzle.
 *     Products are exact, summed in double, added to the fp32 accumulator
 *     once per instruction.  The descriptor must say 128B swizzle with base
 *     offset 0.  Fences and commit are no-ops.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unordered_map>
#include <vector>

#include "emu/cuda_emu.h"
#include "gemm_f16_wgmma_kernel.cuh"

#define SPIN_LIMIT	200000

struct mbar {
	uint32_t	expected, pending;
	int64_t		tx;
	uint32_t	phase;
};

static std::unordered_map<uint32_t, struct mbar> bars;

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "emu_hopper: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, " (block %u, thread %u)\n", blockIdx.x, threadIdx.x);
	va_end(ap);
	abort();
}

static struct mbar *
bar_at(uint32_t addr, const char *op)
{
	auto it = bars.find(addr);

	if (addr % 8 != 0)
		die("%s: mbarrier address %u is not 8-byte aligned", op, addr);
	if (it == bars.end())
		die("%s: no mbarrier was initialised at smem %u", op, addr);
	return &it->second;
}

static void
try_complete(struct mbar *b)
{
	if (b->pending == 0 && b->tx == 0) {
		b->phase ^= 1;
		b->pending = b->expected;
	}
}

void
sb_emu_mbar_init(uint32_t addr, uint32_t count)
{
	struct mbar b;

	if (addr % 8 != 0 || count == 0)
		die("mbarrier.init at smem %u count %u", addr, count);
	b.expected = b.pending = count;
	b.tx = 0;
	b.phase = 0;
	bars[addr] = b;
}

static void
arrive(uint32_t addr)
{
	struct mbar *b = bar_at(addr, "mbarrier.arrive");

	if (b->pending == 0)
		die("mbarrier.arrive at smem %u: more than %u arrivals in a "
		    "phase", addr, b->expected);
	b->pending--;
	try_complete(b);
}

void
sb_emu_mbar_arrive(uint32_t addr)
{
	arrive(addr);
	sb_emu_yield();		/* let a waiter in before we go on */
}

void
sb_emu_mbar_expect_tx(uint32_t addr, uint32_t bytes)
{
	bar_at(addr, "mbarrier.arrive.expect_tx")->tx += bytes;
	arrive(addr);
}

void
sb_emu_mbar_wait(uint32_t addr, uint32_t parity)
{
	for (long spins = 0;; spins++) {
		struct mbar *b = bar_at(addr, "mbarrier.try_wait.parity");

		if ((b->phase & 1) != (parity & 1))
			return;
		if (spins == SPIN_LIMIT)
			die("deadlock: mbarrier at smem %u never completes the "
			    "phase of parity %u (%u of %u arrivals and %lld "
			    "bytes pending)", addr, parity, b->pending,
			    b->expected, (long long)b->tx);
		sb_emu_yield();
	}
}

struct wgmma_op {
	float		*d;
	int		 bn, bf16, ta, tb, scale_d;
	uint64_t	 desc_a, desc_b;
};

/* Issued, not yet completed wgmma operations, per thread of the CTA (the
 * emulator runs one CTA at a time). */
static std::unordered_map<unsigned, std::vector<struct wgmma_op>> pending;

/* The 1024-aligned span of shared memory an operand of a wgmma reads:
 * A is 64 rows (K-major: 64 x 128 B; M-major: 16 k-rows of one 64-wide
 * box), B is bn rows (K-major: bn x 128 B; N-major: bn/64 boxes, LBO
 * apart, 16 k-rows each). */
static void
reads_span(uint64_t desc, int rows, int mn_major, uint32_t *lo, uint32_t *hi)
{
	uint32_t start = (uint32_t)(desc & 0x3fff) << 4;
	uint32_t lbo = (uint32_t)((desc >> 16) & 0x3fff) << 4;

	*lo = start & ~(uint32_t)1023;
	if (mn_major)
		*hi = start + (uint32_t)(rows / 64 - 1) * lbo + 16 * 128;
	else
		*hi = *lo + (uint32_t)rows * 128;
}

/* A TMA write over shared memory that an issued, incomplete wgmma reads:
 * the stage was released before wgmma.wait_group. */
static void
tma_hazard(uint32_t dst, uint32_t bytes)
{
	for (auto &kv : pending)
		for (const struct wgmma_op &o : kv.second) {
			uint32_t lo, hi;

			for (int which = 0; which < 2; which++) {
				if (which)
					reads_span(o.desc_b, o.bn, o.tb, &lo, &hi);
				else
					reads_span(o.desc_a, 64, o.ta, &lo, &hi);
				if (dst < hi && lo < dst + bytes)
					die("TMA writes smem %u..%u while a wgmma "
					    "of thread %u still reads %u..%u (%s): "
					    "a stage was released before "
					    "wgmma.wait_group", dst, dst + bytes,
					    kv.first, lo, hi, which ? "B" : "A");
			}
		}
}

static uint32_t
swizzle128(uint32_t addr)
{
	return addr ^ (((addr >> 7) & 7) << 4);
}

void
sb_emu_tma_load_2d(uint32_t dst, const CUtensorMap *map, uint32_t bar,
    int32_t c0, int32_t c1)
{
	struct sb_emu_tmap t;
	unsigned char *smem = sb_emu_dyn_smem();

	memcpy(&t, map, sizeof(t));
	if (dst % 1024 != 0)
		die("TMA into smem %u: a 128B-swizzled box must start "
		    "1024-aligned", dst);
	if (t.box[0] * 2 != 128)
		die("TMA box %u elements wide; the 128B swizzle needs 64",
		    t.box[0]);
	if (t.stride_bytes % 16 != 0 || ((uintptr_t)t.base & 15) != 0)
		die("TMA tensor: base %p, row stride %llu B: both must be "
		    "16-byte aligned", t.base, (unsigned long long)t.stride_bytes);
	tma_hazard(dst, t.box[0] * t.box[1] * 2);
	for (uint32_t y = 0; y < t.box[1]; y++)
		for (uint32_t x = 0; x < t.box[0]; x++) {
			int64_t gx = (int64_t)c0 + x, gy = (int64_t)c1 + y;
			uint16_t v = 0;

			if (gx >= 0 && gy >= 0 && (uint64_t)gx < t.dims[0] &&
			    (uint64_t)gy < t.dims[1])
				memcpy(&v, (const unsigned char *)t.base +
				    (uint64_t)gy * t.stride_bytes +
				    (uint64_t)gx * 2, 2);
			memcpy(smem + swizzle128(dst + y * 128 + x * 2), &v,
			    2);
		}
	bar_at(bar, "cp.async.bulk.tensor")->tx -= (int64_t)t.box[0] *
	    t.box[1] * 2;
	try_complete(bar_at(bar, "cp.async.bulk.tensor"));
}

void
sb_emu_wgmma_fence(void)
{
}

/* Element (i in M or N, k in 0..15) of a wgmma operand in shared memory. */
static float
operand(uint64_t desc, int mn_major, int bf16, int i, int k)
{
	const unsigned char *smem = sb_emu_dyn_smem();
	uint32_t start = (uint32_t)(desc & 0x3fff) << 4;
	uint32_t lbo = (uint32_t)((desc >> 16) & 0x3fff) << 4;
	uint32_t sbo = (uint32_t)((desc >> 32) & 0x3fff) << 4;
	uint32_t off;
	uint16_t bits;

	if (mn_major)
		off = start + (uint32_t)(i % 64) * 2 + (uint32_t)(i / 64) *
		    lbo + (uint32_t)(k % 8) * 128 + (uint32_t)(k / 8) * sbo;
	else
		off = start + (uint32_t)(i % 8) * 128 + (uint32_t)(i / 8) *
		    sbo + (uint32_t)k * 2;
	memcpy(&bits, smem + swizzle128(off), 2);
	if (bf16) {
		__nv_bfloat16_raw r;

		r.x = bits;
		return __bfloat162float(__nv_bfloat16(r));
	} else {
		__half_raw r;

		r.x = bits;
		return __half2float(__half(r));
	}
}

static void
wgmma_run(const struct wgmma_op *o)
{
	const int t = (int)(threadIdx.x % 128), warp = t / 32, lane = t % 32;

	for (int which = 0; which < 2; which++) {
		uint64_t desc = which ? o->desc_b : o->desc_a;

		if ((desc >> 62) != 1 || ((desc >> 49) & 7) != 0)
			die("wgmma descriptor %s = 0x%016llx: want layout 1 "
			    "(128B swizzle) and base offset 0", which ? "b" :
			    "a", (unsigned long long)desc);
	}
	for (int j = 0; j < o->bn / 2; j++) {
		int row = warp * 16 + lane / 4 + 8 * ((j / 2) % 2);
		int col = 8 * (j / 4) + 2 * (lane % 4) + j % 2;
		double sum = 0;

		for (int k = 0; k < 16; k++)
			sum += (double)operand(o->desc_a, o->ta, o->bf16, row,
			    k) * (double)operand(o->desc_b, o->tb, o->bf16,
			    col, k);
		o->d[j] = (float)((o->scale_d ? (double)o->d[j] : 0.0) + sum);
	}
}

void
sb_emu_wgmma_m64k16(float *d, int bn, int bf16, int ta, int tb,
    uint64_t desc_a, uint64_t desc_b, int scale_d)
{
	struct wgmma_op o;

	o.d = d;
	o.bn = bn;
	o.bf16 = bf16;
	o.ta = ta;
	o.tb = tb;
	o.scale_d = scale_d;
	o.desc_a = desc_a;
	o.desc_b = desc_b;
	pending[threadIdx.x].push_back(o);
}

void
sb_emu_wgmma_wait0(void)
{
	std::vector<struct wgmma_op> &q = pending[threadIdx.x];

	for (size_t i = 0; i < q.size(); i++)
		wgmma_run(&q[i]);
	q.clear();
}
