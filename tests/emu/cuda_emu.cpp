/*
 * tests/emu/cuda_emu.cpp — the emulator behind cuda_emu.h (design notes
 * there).  Here: fibers and their stacks, the CTA scheduler, barriers, warp
 * collectives (shuffles, mma.m16n8k8 TF32, mma.m16n8k16 f16/bf16,
 * ldmatrix, wmma's meeting points), the TF32 conversion, per-thread
 * cp.async queues and dynamic shared memory.
 *
 * Invariants of the scheduler (struct emu E):
 *  1. Exactly one fiber runs at a time (E.cur), or none (the scheduler).
 *  2. E.live counts the fibers not F_DONE; E.at_bar the fibers in F_BAR.
 *     The barrier releases when E.at_bar reaches E.nthreads.
 *  3. A warp's slot (struct warp) is busy from the first lane's arrival to
 *     the last's, which computes every lane's result and frees the slot
 *     before any lane of that warp runs again.
 *  4. Once E.failed is set no fiber is resumed; the CTA is abandoned (its
 *     fibers' stacks are simply reused).
 *  5. A fiber's cp.async queue (fiber.cp) holds copies in issue order, each
 *     tagged with the group it will belong to (fiber.cp_group, the number
 *     of commits so far).  It is empty when the fiber is done.
 */
#include "cuda_emu.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#define SB_EMU_ASAN 1
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

/* x86-64 switches fibers with a few instructions; elsewhere (or with
 * -DSB_EMU_UCONTEXT) with swapcontext. */
#if defined(__x86_64__) && !defined(SB_EMU_UCONTEXT)
#define SB_EMU_ASM_SWITCH 1
#else
#include <ucontext.h>
#endif

#ifdef SB_EMU_ASAN
#define STACK_BYTES	(512u << 10)	/* ASan frames are large */
#else
#define STACK_BYTES	(128u << 10)
#endif
#define STACK_POISON	(16u << 10)	/* top bytes filled with 0xff */
#define MAX_THREADS	1024

enum fstate { F_RUN, F_BAR, F_WARP, F_DONE, F_FAILED };

enum op { OP_NONE, OP_SHFL_IDX, OP_SHFL_UP, OP_SHFL_DOWN, OP_SHFL_XOR,
    OP_MMA, OP_MMA16, OP_LDMATRIX, OP_WMMA, OP_MMA_S8 };

static const char *const op_names[] = { "none", "__shfl_sync",
    "__shfl_up_sync", "__shfl_down_sync", "__shfl_xor_sync", "mma.m16n8k8",
    "mma.m16n8k16", "ldmatrix", "wmma", "mma.m16n8k32.s8" };

/* the ops that need every lane of a full warp */
#define OP_FULL_WARP(op)	((op) == OP_MMA || (op) == OP_MMA16 ||	\
				 (op) == OP_LDMATRIX || (op) == OP_WMMA || \
				 (op) == OP_MMA_S8)

/* One queued cp.async (note 5 above, cuda_emu.h note 9). */
struct cp_copy {
	void		*dst;
	const void	*src;
	int		 bytes;
	uint64_t	 group;
};

struct fiber {
	char		*stack_lo;	/* lowest usable byte */
	int		 dirty;		/* stack holds an abandoned frame */
#ifdef SB_EMU_ASM_SWITCH
	void		*sp;		/* saved while suspended */
#else
	ucontext_t	 uc;
#endif
#ifdef SB_EMU_ASAN
	void		*fake;
#endif
	uint3		 tid;
	int		 warp, lane;
	enum fstate	 state;
	/* this lane's part of the warp collective it waits in */
	uint64_t	 val, res;
	int		 arg, width;
	float		*d;
	const uint32_t	*a, *b;
	uint32_t	*r;		/* ldmatrix: destination registers */
	const void	*p;		/* ldmatrix: this lane's row address */
	const char	*what;		/* wmma: which function */
	std::vector<cp_copy> cp;	/* cp.async queue */
	uint64_t	 cp_group;	/* commits so far */
};

struct warp {
	int		 nlanes;	/* < 32 only for the last, partial warp */
	int		 arrived;
	enum op		 op;
	unsigned	 mask;
	const char	*file;
	int		 line;
};

static struct emu {
	std::vector<fiber>	 fib;
	std::vector<warp>	 warps;
	std::vector<int>	 order;
	char			*stacks;	/* nstacks × (guard page + stack) */
	size_t			 nstacks, stride;
	struct fiber		*cur;
#ifdef SB_EMU_ASM_SWITCH
	void			*sched_sp;
#else
	ucontext_t		 sched_uc;
#endif
#ifdef SB_EMU_ASAN
	const void		*sched_lo;
	size_t			 sched_size;
#endif
	const std::function<void()> *body;
	const char		*label;
	int			 nthreads, live, at_bar;
	const char		*bar_file;
	int			 bar_line;
	int			 failed, in_cta;
	char			 msg[512];
	struct sb_emu_stats	 st;
	uint64_t		 rng;
	unsigned char		*dyn;		/* dynamic shared memory */
	size_t			 dyn_bytes, dyn_cap;
} E;

struct sb_emu_now sb_emu_now;

/* ---- fibers ---------------------------------------------------------- */

#ifdef SB_EMU_ASM_SWITCH
/*
 * sb_emu_swap(save, to): push the callee-saved registers, store the stack
 * pointer in *save, load `to` and pop the other context's registers; the
 * ret resumes it.  Much cheaper than swapcontext (no signal-mask syscall),
 * which matters: an emulated GEMM switches tens of millions of times.
 */
extern "C" void	sb_emu_swap(void **save, void *to);
__asm__(
    ".text\n"
    ".globl sb_emu_swap\n"
    ".type sb_emu_swap, @function\n"
    "sb_emu_swap:\n"
    "	pushq %rbp\n"
    "	pushq %rbx\n"
    "	pushq %r12\n"
    "	pushq %r13\n"
    "	pushq %r14\n"
    "	pushq %r15\n"
    "	movq %rsp, (%rdi)\n"
    "	movq %rsi, %rsp\n"
    "	popq %r15\n"
    "	popq %r14\n"
    "	popq %r13\n"
    "	popq %r12\n"
    "	popq %rbx\n"
    "	popq %rbp\n"
    "	ret\n"
    ".size sb_emu_swap, .-sb_emu_swap\n");
#endif

static void	fiber_entry(void);
static void	cp_land(struct fiber *, uint64_t);

static void
fiber_init(struct fiber *f, size_t i)
{
	char *top;

	f->stack_lo = E.stacks + i * E.stride + (size_t)getpagesize();
#ifdef SB_EMU_ASAN
	if (f->dirty)	/* redzones of frames that never returned */
		ASAN_UNPOISON_MEMORY_REGION(f->stack_lo, STACK_BYTES);
	f->fake = NULL;
#endif
	f->dirty = 1;
	/* stagger the tops so that fibers do not alias in the L1 */
	top = f->stack_lo + STACK_BYTES - (i % 16) * 64;
	top = (char *)((uintptr_t)top & ~(uintptr_t)15);
#ifdef SB_EMU_ASM_SWITCH
	{
		void **sp = (void **)top - 8;

		/* six registers for sb_emu_swap to pop, then its return
		 * address; fiber_entry starts as if called (rsp % 16 == 8) */
		memset(sp, 0, 8 * sizeof(*sp));
		sp[6] = (void *)fiber_entry;
		f->sp = sp;
	}
#else
	getcontext(&f->uc);
	f->uc.uc_stack.ss_sp = f->stack_lo;
	f->uc.uc_stack.ss_size = (size_t)(top - f->stack_lo);
	f->uc.uc_link = NULL;
	makecontext(&f->uc, fiber_entry, 0);
#endif
}

/* Scheduler → fiber f, until f yields. */
static void
fiber_resume(struct fiber *f)
{
#ifdef SB_EMU_ASAN
	void *fake = NULL;

	__sanitizer_start_switch_fiber(&fake, f->stack_lo, STACK_BYTES);
#endif
	E.cur = f;
	sb_emu_now.thread_idx = &f->tid;
	E.st.switches++;
#ifdef SB_EMU_ASM_SWITCH
	sb_emu_swap(&E.sched_sp, f->sp);
#else
	swapcontext(&E.sched_uc, &f->uc);
#endif
#ifdef SB_EMU_ASAN
	__sanitizer_finish_switch_fiber(fake, NULL, NULL);
#endif
	E.cur = NULL;
}

/* Fiber → scheduler; returns when the scheduler resumes this fiber. */
static void
fiber_yield(void)
{
	struct fiber *f = E.cur;

#ifdef SB_EMU_ASAN
	__sanitizer_start_switch_fiber(f->state == F_DONE ? NULL : &f->fake,
	    E.sched_lo, E.sched_size);
#endif
#ifdef SB_EMU_ASM_SWITCH
	sb_emu_swap(&f->sp, E.sched_sp);
#else
	swapcontext(&f->uc, &E.sched_uc);
#endif
#ifdef SB_EMU_ASAN
	__sanitizer_finish_switch_fiber(f->fake, &E.sched_lo, &E.sched_size);
#endif
}

static void
fiber_entry(void)
{
	struct fiber *f = E.cur;

#ifdef SB_EMU_ASAN
	__sanitizer_finish_switch_fiber(NULL, &E.sched_lo, &E.sched_size);
#endif
	(*E.body)();
	cp_land(f, UINT64_MAX);	/* a GPU lands them too */
	f->state = F_DONE;
	f->dirty = 0;
	E.live--;
	fiber_yield();
	abort();	/* a finished fiber is never resumed */
}

/* Room for n fibers' stacks, each above a guard page; 0 or -1. */
static int
stacks_reserve(size_t n)
{
	size_t page = (size_t)getpagesize(), i;
	char *p;

	if (n <= E.nstacks)
		return 0;
	if (E.stacks != NULL)
		munmap(E.stacks, E.nstacks * E.stride);
	E.stacks = NULL;
	E.nstacks = 0;
	E.stride = page + STACK_BYTES;
	p = (char *)mmap(NULL, n * E.stride, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	for (i = 0; i < n; i++) {
		char *lo = p + i * E.stride;

		if (mprotect(lo, page, PROT_NONE) != 0)
			return -1;
		memset(lo + E.stride - STACK_POISON, 0xff, STACK_POISON);
	}
	E.stacks = p;
	E.nstacks = n;
	E.fib.assign(n, fiber());
	return 0;
}

/* ---- errors ---------------------------------------------------------- */

static void __attribute__((format(printf, 1, 2)))
set_error(const char *fmt, ...)
{
	va_list ap;
	int n;

	if (E.failed)
		return;
	E.failed = 1;
	n = 0;
	if (E.in_cta)
		n = snprintf(E.msg, sizeof(E.msg), "block (%u,%u,%u): ",
		    sb_emu_now.block_idx.x, sb_emu_now.block_idx.y,
		    sb_emu_now.block_idx.z);
	if (n < 0 || (size_t)n >= sizeof(E.msg))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(E.msg + n, sizeof(E.msg) - (size_t)n, fmt, ap);
	va_end(ap);
}

/* From a fiber: record the error and never come back. */
[[noreturn]] static void
fiber_fail(void)
{
	E.cur->state = F_FAILED;
	fiber_yield();
	abort();
}

#define FAIL(...) do {							\
	set_error(__VA_ARGS__);						\
	fiber_fail();							\
} while (0)

#ifndef SB_EMU_ASAN	/* ASan reports faults better */
/* A fault inside a kernel: say where before dying. */
static void
on_fault(int sig, siginfo_t *si, void *uc)
{
	char buf[256];
	const struct fiber *f = E.cur;
	const char *what = "";
	int n;

	(void)uc;
	if (E.stacks != NULL && (char *)si->si_addr >= E.stacks &&
	    (char *)si->si_addr < E.stacks + E.nstacks * E.stride &&
	    (size_t)((char *)si->si_addr - E.stacks) % E.stride <
	    (size_t)getpagesize())
		what = " (fiber stack overflow)";
	else if (sig == SIGSEGV && si->si_code == SI_KERNEL)
		what = " (general protection: often a misaligned 16-byte "
		    "vector access)";
	n = snprintf(buf, sizeof(buf), "cuda_emu: %s at %p%s in %s, block "
	    "(%u,%u,%u) thread (%d,%d,%d)\n", strsignal(sig), si->si_addr,
	    what, E.label ? E.label : "a launch", sb_emu_now.block_idx.x,
	    sb_emu_now.block_idx.y, sb_emu_now.block_idx.z,
	    f ? (int)f->tid.x : -1, f ? (int)f->tid.y : -1,
	    f ? (int)f->tid.z : -1);
	if (n > 0)
		(void)!write(2, buf, (size_t)n);
	signal(sig, SIG_DFL);	/* the fault repeats and kills us */
}
#endif

static void
fault_handler_install(void)
{
#ifndef SB_EMU_ASAN
	static char altstack[64 << 10];
	static int done;
	struct sigaction sa;
	stack_t ss;

	if (done)
		return;
	done = 1;
	ss.ss_sp = altstack;
	ss.ss_size = sizeof(altstack);
	ss.ss_flags = 0;
	sigaltstack(&ss, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
#endif
}

/* ---- barriers and collectives --------------------------------------- */

static int
same_site(const char *f1, int l1, const char *f2, int l2)
{
	return l1 == l2 && (f1 == f2 || strcmp(f1, f2) == 0);
}

void
sb_emu_syncthreads(const char *file, int line)
{
	struct fiber *f = E.cur;
	int i;

	if (E.at_bar == 0) {
		E.bar_file = file;
		E.bar_line = line;
	} else if (!same_site(file, line, E.bar_file, E.bar_line))
		FAIL("threads meet at different __syncthreads: thread "
		    "(%u,%u,%u) at %s:%d, others at %s:%d (divergent "
		    "barrier)", f->tid.x, f->tid.y, f->tid.z, file, line,
		    E.bar_file, E.bar_line);
	f->state = F_BAR;
	if (++E.at_bar == E.nthreads) {
		for (i = 0; i < E.nthreads; i++)
			E.fib[(size_t)i].state = F_RUN;
		E.at_bar = 0;
		E.st.barriers++;
	}
	fiber_yield();
}

static unsigned
warp_lanes(const struct warp *w)
{
	return w->nlanes == 32 ? ~0u : (1u << w->nlanes) - 1;
}

/* Source lane of a shuffle, per the CUDA programming guide. */
static int
shfl_src(enum op op, int lane, int arg, int width)
{
	int seg = lane & ~(width - 1), src = lane;

	switch (op) {
	case OP_SHFL_IDX:
		src = seg + (arg & (width - 1));
		break;
	case OP_SHFL_UP:
		src = lane - seg >= arg ? lane - arg : lane;
		break;
	case OP_SHFL_DOWN:
		src = lane - seg + arg < width ? lane + arg : lane;
		break;
	case OP_SHFL_XOR:
		src = lane ^ arg;
		src = src >= seg + width ? lane : src;
		break;
	default:
		break;
	}
	return src;
}

static float
tf32_operand(uint32_t bits)
{
	float x;

	if (bits & 0x1fffu) {
		E.st.tf32_bad++;
		bits &= ~0x1fffu;
	}
	memcpy(&x, &bits, sizeof(x));
	return x;
}

/* D += A·B for the warp whose first fiber is base (fragments per
 * kernels/gemm_common.cuh and the PTX ISA). */
static void
mma_complete(struct fiber *base)
{
	double A[16][8], B[8][8];
	int lane, r, k;

	for (lane = 0; lane < 32; lane++) {
		const struct fiber *l = base + lane;
		int g = lane >> 2, t = lane & 3;

		A[g][t] = tf32_operand(l->a[0]);
		A[g + 8][t] = tf32_operand(l->a[1]);
		A[g][t + 4] = tf32_operand(l->a[2]);
		A[g + 8][t + 4] = tf32_operand(l->a[3]);
		B[t][g] = tf32_operand(l->b[0]);
		B[t + 4][g] = tf32_operand(l->b[1]);
	}
	for (lane = 0; lane < 32; lane++) {
		const struct fiber *l = base + lane;
		int g = lane >> 2, t = lane & 3;

		for (r = 0; r < 4; r++) {
			int row = g + (r >> 1) * 8, col = 2 * t + (r & 1);
			double sum = 0;

			for (k = 0; k < 8; k++)
				sum += A[row][k] * B[k][col];
			l->d[r] = (float)((double)l->d[r] + sum);
		}
	}
}

/* An fp16 (bf16 = 0) or bf16 element from its bits, as a double. */
static double
half_bits(uint32_t bits, int bf16)
{
	const unsigned short u = (unsigned short)(bits & 0xffffu);

	return bf16 ? (double)__bfloat162float(__ushort_as_bfloat16(u)) :
	    (double)__half2float(__ushort_as_half(u));
}

/*
 * D += A·B, m16n8k16, for the warp whose first fiber is base (fragments
 * per kernels/gemm_f16.cuh and the PTX ISA: a register holds two elements,
 * the lower-indexed in the low 16 bits).  The type (fiber.arg: 1 bf16, 0
 * fp16) must be the same in every lane.
 */
static void
mma16_complete(struct fiber *base, const char *file, int line)
{
	double A[16][16], B[16][8];
	const int bf16 = base[0].arg;
	int lane, r, k;

	for (lane = 0; lane < 32; lane++) {
		const struct fiber *l = base + lane;
		int g = lane >> 2, t = lane & 3;

		if (l->arg != bf16)
			FAIL("mma.m16n8k16 at %s:%d: lane 0 has %s operands, "
			    "lane %d %s", file, line, bf16 ? "bf16" : "f16",
			    lane, l->arg ? "bf16" : "f16");
		for (int h = 0; h < 2; h++) {
			A[g][2 * t + h] = half_bits(l->a[0] >> 16 * h, bf16);
			A[g + 8][2 * t + h] = half_bits(l->a[1] >> 16 * h, bf16);
			A[g][2 * t + 8 + h] = half_bits(l->a[2] >> 16 * h, bf16);
			A[g + 8][2 * t + 8 + h] = half_bits(l->a[3] >> 16 * h,
			    bf16);
			B[2 * t + h][g] = half_bits(l->b[0] >> 16 * h, bf16);
			B[2 * t + 8 + h][g] = half_bits(l->b[1] >> 16 * h, bf16);
		}
	}
	for (lane = 0; lane < 32; lane++) {
		const struct fiber *l = base + lane;
		int g = lane >> 2, t = lane & 3;

		for (r = 0; r < 4; r++) {
			int row = g + (r >> 1) * 8, col = 2 * t + (r & 1);
			double sum = 0;

			for (k = 0; k < 16; k++)
				sum += A[row][k] * B[k][col];
			l->d[r] = (float)((double)l->d[r] + sum);
		}
	}
}

/*
 * D += A·B, m16n8k32 s8.s8.s32, for the warp whose first fiber is base
 * (cuda_emu.h note 12; fragments per kernels/gemm_s8.cuh and the PTX ISA:
 * a register holds four int8 elements, the lowest-indexed in the low
 * byte).  fiber.d points at the lane's four int32 accumulators.  The sum
 * is exact in int64; adding it to d wraps modulo 2^32 as the hardware's
 * non-.satfinite accumulation does.
 */
static void
mma_s8_complete(struct fiber *base)
{
	int32_t A[16][32], B[32][8];
	int lane, r, k;

	for (lane = 0; lane < 32; lane++) {
		const struct fiber *l = base + lane;
		int g = lane >> 2, t = lane & 3;

		for (int h = 0; h < 4; h++) {
			A[g][4 * t + h] = (int8_t)(l->a[0] >> 8 * h);
			A[g + 8][4 * t + h] = (int8_t)(l->a[1] >> 8 * h);
			A[g][4 * t + 16 + h] = (int8_t)(l->a[2] >> 8 * h);
			A[g + 8][4 * t + 16 + h] = (int8_t)(l->a[3] >> 8 * h);
			B[4 * t + h][g] = (int8_t)(l->b[0] >> 8 * h);
			B[4 * t + 16 + h][g] = (int8_t)(l->b[1] >> 8 * h);
		}
	}
	for (lane = 0; lane < 32; lane++) {
		const struct fiber *l = base + lane;
		int32_t *d = reinterpret_cast<int32_t *>(l->d);
		int g = lane >> 2, t = lane & 3;

		for (r = 0; r < 4; r++) {
			int row = g + (r >> 1) * 8, col = 2 * t + (r & 1);
			int64_t sum = 0;

			for (k = 0; k < 32; k++)
				sum += (int64_t)A[row][k] * B[k][col];
			d[r] = (int32_t)(uint32_t)((uint32_t)d[r] +
			    (uint32_t)sum);
		}
	}
}

/*
 * ldmatrix .xN [.trans] for the warp whose first fiber is base: lane
 * 8q + i names row i of matrix q; lane l gets, in register q, elements
 * (l/4, 2(l%4)) and (l/4, 2(l%4)+1) of matrix q, or with .trans (2(l%4),
 * l/4) and (2(l%4)+1, l/4).  fiber.arg is N | trans << 4, the same in
 * every lane.
 */
static void
ldmatrix_complete(struct fiber *base, const char *file, int line)
{
	uint16_t M[4][8][8];
	const int mode = base[0].arg, n = mode & 0xf, trans = mode >> 4;
	int lane, q;

	for (lane = 0; lane < 32; lane++)
		if (base[lane].arg != mode)
			FAIL("ldmatrix at %s:%d: lane 0 asks for .x%d%s, lane "
			    "%d for .x%d%s", file, line, n, trans ? ".trans" :
			    "", lane, base[lane].arg & 0xf,
			    base[lane].arg >> 4 ? ".trans" : "");
	for (lane = 0; lane < 8 * n; lane++) {
		const void *p = base[lane].p;

		if (p == NULL || ((uintptr_t)p & 15u) != 0)
			FAIL("ldmatrix at %s:%d: lane %d gives row address %p, "
			    "which is not 16-byte aligned", file, line, lane, p);
		memcpy(M[lane / 8][lane % 8], p, 16);
	}
	for (lane = 0; lane < 32; lane++) {
		const int r = lane / 4, c = 2 * (lane % 4);

		for (q = 0; q < n; q++) {
			uint32_t lo, hi;

			if (trans) {
				lo = M[q][c][r];
				hi = M[q][c + 1][r];
			} else {
				lo = M[q][r][c];
				hi = M[q][r][c + 1];
			}
			base[lane].r[q] = lo | hi << 16;
		}
	}
}

/* This lane arrives at a collective; the last one completes it. */
static void
collective(enum op op, unsigned mask, const char *file, int line)
{
	struct fiber *f = E.cur, *base = &E.fib[(size_t)f->warp * 32];
	struct warp *w = &E.warps[(size_t)f->warp];
	unsigned need = OP_FULL_WARP(op) ? ~0u : mask;
	int lane;

	if (OP_FULL_WARP(op) && w->nlanes < 32)
		FAIL("%s in warp %d, which has only %d threads (blockDim "
		    "is not a multiple of 32): it needs all 32 lanes",
		    op_names[op], f->warp, w->nlanes);
	if (!(need >> f->lane & 1))
		FAIL("lane %d of warp %d calls %s at %s:%d with mask 0x%08x, "
		    "which does not name it", f->lane, f->warp, op_names[op],
		    file, line, mask);
	if (need & ~warp_lanes(w))
		FAIL("%s at %s:%d: mask 0x%08x names lanes that do not "
		    "exist (warp %d has %d threads; blockDim is not a "
		    "multiple of 32)", op_names[op], file, line, mask,
		    f->warp, w->nlanes);
	if (w->arrived == 0) {
		w->op = op;
		w->mask = need;
		w->file = file;
		w->line = line;
	} else if (w->op != op || w->mask != need)
		FAIL("lanes of warp %d meet in different collectives: %s "
		    "(mask 0x%08x) at %s:%d and %s (mask 0x%08x) at %s:%d",
		    f->warp, op_names[op], need, file, line, op_names[w->op],
		    w->mask, w->file, w->line);
	f->state = F_WARP;
	if (++w->arrived < __builtin_popcount(need)) {
		fiber_yield();
		return;
	}
	if (op == OP_MMA) {
		mma_complete(base);
	} else if (op == OP_MMA16) {
		mma16_complete(base, file, line);
	} else if (op == OP_MMA_S8) {
		mma_s8_complete(base);
	} else if (op == OP_LDMATRIX) {
		ldmatrix_complete(base, file, line);
	} else if (op == OP_WMMA) {
		/* a meeting point only: each lane works on its own copy */
		for (lane = 1; lane < 32; lane++)
			if (base[lane].what != base[0].what)
				FAIL("lanes of warp %d meet in different wmma "
				    "calls: %s (lane 0) and %s (lane %d)",
				    f->warp, base[0].what, base[lane].what,
				    lane);
	} else {
		for (lane = 0; lane < 32; lane++) {
			struct fiber *l = base + lane;
			int src;

			if (!(need >> lane & 1))
				continue;
			src = shfl_src(op, lane, l->arg, l->width);
			if (!(need >> src & 1))
				FAIL("%s at %s:%d: lane %d of warp %d reads "
				    "lane %d, which is not in mask 0x%08x "
				    "(undefined)", op_names[op], file, line,
				    lane, f->warp, src, need);
			l->res = base[src].val;
		}
	}
	for (lane = 0; lane < 32; lane++)
		if (need >> lane & 1)
			base[lane].state = F_RUN;
	w->arrived = 0;
	w->op = OP_NONE;
	E.st.collectives++;
	fiber_yield();	/* let the schedule pick who goes first */
}

uint64_t
sb_emu_shfl(enum sb_emu_shfl_kind kind, unsigned mask, uint64_t bits, int arg,
    int width, const char *file, int line)
{
	static const enum op ops[] = { OP_SHFL_IDX, OP_SHFL_UP, OP_SHFL_DOWN,
	    OP_SHFL_XOR };
	struct fiber *f = E.cur;

	if (width < 1 || width > 32 || (width & (width - 1)) != 0)
		FAIL("%s at %s:%d: width %d is not a power of two <= 32",
		    op_names[ops[kind]], file, line, width);
	f->val = bits;
	f->arg = arg;
	f->width = width;
	collective(ops[kind], mask, file, line);
	return f->res;
}

void
sb_emu_mma_m16n8k8_tf32(float d[4], const uint32_t a[4], const uint32_t b[2])
{
	struct fiber *f = E.cur;

	f->d = d;
	f->a = a;
	f->b = b;
	collective(OP_MMA, ~0u, "mma", 0);
}

void
sb_emu_mma_m16n8k16(int bf16, float d[4], const uint32_t a[4],
    const uint32_t b[2])
{
	struct fiber *f = E.cur;

	f->d = d;
	f->a = a;
	f->b = b;
	f->arg = bf16 != 0;
	collective(OP_MMA16, ~0u, "mma.m16n8k16", 0);
}

void
sb_emu_mma_m16n8k32_s8(int32_t d[4], const uint32_t a[4], const uint32_t b[2])
{
	struct fiber *f = E.cur;

	f->d = reinterpret_cast<float *>(d);	/* mma_s8_complete casts back */
	f->a = a;
	f->b = b;
	collective(OP_MMA_S8, ~0u, "mma.m16n8k32.s8", 0);
}

void
sb_emu_ldmatrix(int nmat, int trans, uint32_t *r, const void *row)
{
	struct fiber *f = E.cur;

	if (nmat != 1 && nmat != 2 && nmat != 4)
		FAIL("ldmatrix .x%d: want .x1, .x2 or .x4", nmat);
	f->r = r;
	f->p = row;
	f->arg = nmat | (trans != 0) << 4;
	collective(OP_LDMATRIX, ~0u, "ldmatrix", 0);
}

void
sb_emu_wmma_sync(const char *what, const void *p, size_t ldm_bytes)
{
	struct fiber *f = E.cur;

	if (p != NULL && ((uintptr_t)p & 31u) != 0)
		FAIL("%s: pointer %p is not 32-byte aligned (thread %u)", what,
		    p, f->tid.x);
	if (p != NULL && ldm_bytes % 16 != 0)
		FAIL("%s: ldm of %zu bytes is not a multiple of 16 bytes "
		    "(8 halves or 4 floats)", what, ldm_bytes);
	f->what = what;
	collective(OP_WMMA, ~0u, what, 0);
}

/* ---- cp.async (cuda_emu.h note 9) ---------------------------------- */

/* Land f's queued copies of groups below `below` (UINT64_MAX: all). */
static void
cp_land(struct fiber *f, uint64_t below)
{
	size_t i, keep = 0;

	for (i = 0; i < f->cp.size(); i++) {
		const struct cp_copy *c = &f->cp[i];

		if (c->group >= below) {
			f->cp[keep++] = *c;
			continue;
		}
		memcpy(c->dst, c->src, (size_t)c->bytes);
		memset((char *)c->dst + c->bytes, 0, (size_t)(16 - c->bytes));
		E.st.cp_async++;
	}
	f->cp.resize(keep);
}

void
sb_emu_cp_async16(void *dst, const void *src, int src_bytes)
{
	struct fiber *f = E.cur;

	if (src_bytes < 0 || src_bytes > 16)
		FAIL("cp.async 16: src-size %d is outside 0..16 (thread %u)",
		    src_bytes, f->tid.x);
	if (((uintptr_t)dst & 15u) != 0 || ((uintptr_t)src & 15u) != 0)
		FAIL("cp.async 16: dst %p or src %p is not 16-byte aligned "
		    "(thread %u); use a scalar loader for unaligned operands",
		    dst, src, f->tid.x);
	f->cp.push_back(cp_copy{ dst, src, src_bytes, f->cp_group });
}

void
sb_emu_cp_async_commit(void)
{
	E.cur->cp_group++;
}

void
sb_emu_cp_async_wait(int pending)
{
	struct fiber *f = E.cur;

	if (pending < 0)
		FAIL("cp.async.wait_group %d: want N >= 0", pending);
	if ((uint64_t)pending < f->cp_group)
		cp_land(f, f->cp_group - (uint64_t)pending);
}

unsigned char *
sb_emu_dyn_smem(void)
{
	return E.dyn;
}

/* A spin-wait's body (emu_hopper.cpp's mbarrier waits): the other threads
 * run; the caller stays runnable. */
void
sb_emu_yield(void)
{
	fiber_yield();
}

/*
 * cvt.rna.tf32.f32: round to nearest, ties away from zero, to 10 mantissa
 * bits.  In sign-magnitude, adding half an ulp (bit 12) and truncating
 * rounds ties away; a carry into the exponent is right, up to Inf.  NaN
 * stays a (quiet) NaN; masking alone could turn one into Inf.
 */
uint32_t
sb_emu_f32_to_tf32(float x)
{
	uint32_t u;

	memcpy(&u, &x, sizeof(u));
	if ((u & 0x7f800000u) == 0x7f800000u) {
		if (u & 0x007fffffu)
			return (u | 0x00400000u) & ~0x1fffu;
		return u;	/* ±Inf */
	}
	return (u + 0x1000u) & ~0x1fffu;
}

/* ---- the scheduler -------------------------------------------------- */

static uint64_t
rng_next(void)	/* splitmix64 */
{
	uint64_t z = (E.rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void
order_fill(enum sb_emu_order order)
{
	int n = E.nthreads, i;

	for (i = 0; i < n; i++)
		E.order[(size_t)i] = order == SB_EMU_REVERSE ? n - 1 - i : i;
	if (order != SB_EMU_SHUFFLE)
		return;
	for (i = n - 1; i > 0; i--) {
		int j = (int)(rng_next() % (uint64_t)(i + 1));
		int t = E.order[(size_t)i];

		E.order[(size_t)i] = E.order[(size_t)j];
		E.order[(size_t)j] = t;
	}
}

/* Nothing can run but some fibers have not finished: say why. */
static void
report_deadlock(void)
{
	int nbar = 0, ndone = 0, i;

	for (i = 0; i < E.nthreads; i++) {
		nbar += E.fib[(size_t)i].state == F_BAR;
		ndone += E.fib[(size_t)i].state == F_DONE;
	}
	for (i = 0; i < (int)E.warps.size(); i++) {
		const struct warp *w = &E.warps[(size_t)i];

		if (w->arrived == 0)
			continue;
		set_error("deadlock: warp %d waits in %s at %s:%d with %d of "
		    "%d lanes (mask 0x%08x); the others have exited or wait "
		    "at a __syncthreads", i, op_names[w->op], w->file, w->line,
		    w->arrived, __builtin_popcount(w->mask), w->mask);
		return;
	}
	set_error("divergent barrier: %d threads wait at __syncthreads "
	    "(%s:%d) but %d have exited; every thread of the block must "
	    "reach each __syncthreads the same number of times", nbar,
	    E.bar_file, E.bar_line, ndone);
}

static void
run_cta(enum sb_emu_order order)
{
	int i;

	for (i = 0; i < E.nthreads; i++) {
		struct fiber *f = &E.fib[(size_t)i];

		fiber_init(f, (size_t)i);
		f->state = F_RUN;
		f->cp.clear();
		f->cp_group = 0;
	}
	if (E.dyn_bytes > 0)
		memset(E.dyn, 0xff, E.dyn_bytes);
	for (i = 0; i < (int)E.warps.size(); i++)
		E.warps[(size_t)i].arrived = 0;
	E.live = E.nthreads;
	E.at_bar = 0;
	while (E.live > 0 && !E.failed) {
		int ran = 0;

		order_fill(order);
		for (i = 0; i < E.nthreads && !E.failed; i++) {
			struct fiber *f = &E.fib[(size_t)E.order[(size_t)i]];

			if (f->state != F_RUN)
				continue;
			fiber_resume(f);
			ran++;
		}
		if (ran == 0 && !E.failed)
			report_deadlock();
	}
}

static int
launch_check(dim3 g, dim3 b)
{
	uint64_t nt = (uint64_t)b.x * b.y * b.z;

	if (nt == 0 || nt > MAX_THREADS || b.x > 1024 || b.y > 1024 ||
	    b.z > 64) {
		set_error("bad blockDim (%u,%u,%u): each side >= 1, x,y <= "
		    "1024, z <= 64, at most %d threads", b.x, b.y, b.z,
		    MAX_THREADS);
		return -1;
	}
	if (g.x == 0 || g.y == 0 || g.z == 0 || g.x > 0x7fffffffu ||
	    g.y > 65535 || g.z > 65535) {
		set_error("bad gridDim (%u,%u,%u): x in [1, 2^31-1], y and z "
		    "in [1, 65535]", g.x, g.y, g.z);
		return -1;
	}
	return 0;
}

const char *
sb_emu_order_name(enum sb_emu_order o)
{
	return o == SB_EMU_REVERSE ? "reverse" :
	    o == SB_EMU_SHUFFLE ? "shuffle" : "forward";
}

int
sb_emu_launch(dim3 grid, dim3 block, const std::function<void()> &body,
    const struct sb_emu_opts *opts, struct sb_emu_stats *stats, char *err,
    size_t errlen)
{
	return sb_emu_launch_smem(grid, block, 0, body, opts, stats, err,
	    errlen);
}

#define DYN_SMEM_MAX	(227u << 10)

int
sb_emu_launch_smem(dim3 grid, dim3 block, size_t dyn_smem,
    const std::function<void()> &body, const struct sb_emu_opts *opts,
    struct sb_emu_stats *stats, char *err, size_t errlen)
{
	enum sb_emu_order order = opts ? opts->order : SB_EMU_FORWARD;
	unsigned bx, by, bz;
	int i, nwarps;

	memset(&E.st, 0, sizeof(E.st));
	E.failed = 0;
	E.msg[0] = '\0';
	E.rng = opts ? opts->seed : 0;
	E.body = &body;
	E.label = opts ? opts->label : NULL;
	memset(&sb_emu_now.block_idx, 0, sizeof(sb_emu_now.block_idx));
	sb_emu_now.block_dim = block;
	sb_emu_now.grid_dim = grid;
	E.dyn_bytes = 0;
	if (launch_check(grid, block) != 0)
		goto out;
	if (dyn_smem > DYN_SMEM_MAX) {
		set_error("dynamic shared memory of %zu bytes: at most %u "
		    "(227 KiB, sm_90)", dyn_smem, DYN_SMEM_MAX);
		goto out;
	}
	if (dyn_smem > E.dyn_cap) {
		free(E.dyn);
		E.dyn = (unsigned char *)aligned_alloc(128,
		    (dyn_smem + 127) / 128 * 128);
		E.dyn_cap = E.dyn != NULL ? dyn_smem : 0;
		if (E.dyn == NULL) {
			set_error("cannot allocate %zu bytes of dynamic shared "
			    "memory", dyn_smem);
			goto out;
		}
	}
	E.dyn_bytes = dyn_smem;
	E.nthreads = (int)(block.x * block.y * block.z);
	if (stacks_reserve((size_t)E.nthreads) != 0) {
		set_error("cannot map %d fiber stacks", E.nthreads);
		goto out;
	}
	fault_handler_install();
	E.order.resize((size_t)E.nthreads);
	nwarps = (E.nthreads + 31) / 32;
	E.warps.assign((size_t)nwarps, warp());
	for (i = 0; i < nwarps; i++)
		E.warps[(size_t)i].nlanes = i < nwarps - 1 ? 32 :
		    E.nthreads - 32 * i;
	for (i = 0; i < E.nthreads; i++) {
		struct fiber *f = &E.fib[(size_t)i];

		f->tid.x = (unsigned)i % block.x;
		f->tid.y = (unsigned)i / block.x % block.y;
		f->tid.z = (unsigned)i / (block.x * block.y);
		f->warp = i / 32;
		f->lane = i % 32;
	}
	for (bz = 0; bz < grid.z && !E.failed; bz++)
		for (by = 0; by < grid.y && !E.failed; by++)
			for (bx = 0; bx < grid.x && !E.failed; bx++) {
				sb_emu_now.block_idx.x = bx;
				sb_emu_now.block_idx.y = by;
				sb_emu_now.block_idx.z = bz;
				E.in_cta = 1;
				run_cta(order);
				E.in_cta = 0;
				E.st.ctas++;
				E.st.threads += (uint64_t)E.nthreads;
			}
	if (!E.failed && E.st.tf32_bad > 0)
		set_error("%llu mma operands were not TF32 (low 13 bits set): "
		    "round them with sb_f32_to_tf32 (cvt.rna.tf32.f32)",
		    (unsigned long long)E.st.tf32_bad);
out:
	E.in_cta = 0;
	if (stats != NULL)
		*stats = E.st;
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", E.msg);
	E.body = NULL;
	E.label = NULL;
	return E.failed ? -1 : 0;
}

int
sb_emu_run(dim3 grid, dim3 block, const std::function<void()> &body,
    enum sb_emu_order order, uint64_t seed, const char *label)
{
	struct sb_emu_opts o = { order, seed, label };
	char err[512];

	err[0] = '\0';
	if (sb_emu_launch(grid, block, body, &o, NULL, err, sizeof(err)) != 0) {
		printf("FAIL %s: emulator: %s\n", label, err);
		return -1;
	}
	return 0;
}
