/*
 * kernels/step_f32.c — the fp32/TF32 training step on the GPU, composed
 * from one GEMM implementation (struct sb_gemm_f32) and the elementwise
 * kernels, in the order of the host reference (ref_step_impl.h):
 *
 *   forward   l = 0..L-1:  y[l] = in[l]·w[l]^T (NT), then + b[l] (in the
 *             GEMM's epilogue when the implementation has one)
 *   loss      (train) for the last layer, fused into one kernel:
 *             y += b, *loss_sum = Σ (y - t)², dy[L-1] = 2 (y - t) / (m·N)
 *   backward  l = L-1..0:  dw[l] = dy[l]^T·in[l] (TN), db[l] = Σ_i dy[l]
 *             then dy[l-1], or dx for l = 0 when wanted, = dy[l]·w[l] (NN)
 *   sgd       w[l] -= lr·dw[l], b[l] -= lr·db[l], after every gradient, so
 *             that dgrad uses this step's weights, as the reference does;
 *             one launch for all 2L tensors
 *
 * The caller turns *loss_sum into the loss: sum / (m·width[L]).
 *
 * Design notes:
 *  1. Everything is enqueued on g->stream; nothing here synchronises or
 *     allocates, so a whole step captures into a CUDA graph.  That is why
 *     loss_sum is set (or cleared and summed) inside the step: a graph
 *     replays that too.
 *  2. phase is called on the host at enqueue time (the profiler records
 *     events there).  Once FORWARD has been marked, END is marked on every
 *     return, error or not, so the callback's ranges always close.
 *  3. The shapes and pointers are checked before anything is enqueued: a
 *     NULL buffer or a zero width would otherwise surface as an illegal
 *     address or a launch error far from its cause.
 */
#include <stdarg.h>
#include <stdio.h>

#include "gpu.h"

static int	check_step(struct sb_gpu *, const struct sb_gemm_f32 *,
		    const struct sb_dstep *, int);
static int	step_fail(struct sb_gpu *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

int
sb_step_f32(struct sb_gpu *g, const struct sb_gemm_f32 *impl,
    struct sb_dstep *s, int train, sb_phase_fn phase, void *phase_ctx)
{
	const struct sb_dims *d = &s->d;
	const int64_t m = d->m;
	struct sb_step_call calls[SB_STEP_MAX_CALLS];
	int L, rc, i, ncalls;

#define MARK(ph) do {							\
	if (phase != NULL)						\
		phase(phase_ctx, (ph));					\
} while (0)
#define TRY(call) do {							\
	if ((rc = (call)) != 0)						\
		goto out;						\
} while (0)

	if ((rc = check_step(g, impl, s, train)) != 0)
		return rc;
	L = d->layers;

	ncalls = sb_step_f32_calls(impl, s, train, calls);

	MARK(SB_PH_FORWARD);
	for (i = 0; i < ncalls && calls[i].phase == SB_PH_FORWARD; i++) {
		const int l = calls[i].layer;

		TRY(impl->gemm(g, &calls[i].call));
		if (train && l == L - 1)
			break;		/* its bias goes with the loss */
		if (!impl->bias_epilogue)
			TRY(sb_bias_add(g, s->y[l], s->b[l], m,
			    d->width[l + 1]));
	}
	if (!train)
		goto out;

	MARK(SB_PH_LOSS);
	/* y[L-1], t, dy[L-1] are (m, width[L]); b[L-1] is (width[L]) */
	TRY(sb_bias_loss_dy(g, s->y[L - 1], s->b[L - 1], s->t, s->dy[L - 1],
	    s->loss_sum, m, d->width[L]));

	for (i = L; i < ncalls; i++) {
		const int l = calls[i].layer;

		MARK(calls[i].phase);
		TRY(impl->gemm(g, &calls[i].call));
		if (calls[i].phase == SB_PH_WGRAD)
			TRY(sb_bias_grad(g, s->dy[l], s->db[l], m,
			    d->width[l + 1]));
	}

	MARK(SB_PH_SGD);
	{
		struct sb_sgd_tensor t[SB_SGD_MAX_TENSORS];

		for (int l = 0; l < L; l++) {
			const int64_t n = d->width[l + 1], k = d->width[l];

			t[2 * l].p = s->w[l];
			t[2 * l].g = s->dw[l];
			t[2 * l].count = n * k;
			t[2 * l + 1].p = s->b[l];
			t[2 * l + 1].g = s->db[l];
			t[2 * l + 1].count = n;
		}
		TRY(sb_sgd(g, t, 2 * L, s->lr, NULL));
	}
out:
	MARK(SB_PH_END);
	return rc;
#undef TRY
#undef MARK
}

int
sb_step_f32_calls(const struct sb_gemm_f32 *impl, const struct sb_dstep *s,
    int train, struct sb_step_call *out)
{
	const struct sb_dims *d = &s->d;
	const int L = d->layers;
	int nc = 0;

	for (int l = 0; l < L; l++) {
		const int64_t n = d->width[l + 1], k = d->width[l];
		const int last = train && l == L - 1;

		/* in is (m,k), w[l] is (n,k), y[l] is (m,n) */
		sb_gemm_call_init(&out[nc].call, SB_NT, d->m, n, k,
		    l == 0 ? s->x : s->y[l - 1], s->w[l], s->y[l]);
		if (!last && impl->bias_epilogue)
			out[nc].call.bias = s->b[l];
		out[nc].phase = SB_PH_FORWARD;
		out[nc++].layer = l;
	}
	for (int l = L - 1; train && l >= 0; l--) {
		const int64_t n = d->width[l + 1], k = d->width[l];
		float *dx = l == 0 ? s->dx : s->dy[l - 1];

		/* TN: dy[l] is (m,n) = A[k',m'] with m' = n, k' = m; in is
		 * (m,k) = B[k',n'] with n' = k; dw[l] is (n,k) */
		sb_gemm_call_init(&out[nc].call, SB_TN, n, k, d->m, s->dy[l],
		    l == 0 ? s->x : s->y[l - 1], s->dw[l]);
		out[nc].phase = SB_PH_WGRAD;
		out[nc++].layer = l;
		if (dx == NULL)
			continue;
		/* NN: dy[l] is (m,n) = A[m,k'] with k' = n; w[l] is (n,k) =
		 * B[k',n'] with n' = k; dx is (m,k) */
		sb_gemm_call_init(&out[nc].call, SB_NN, d->m, k, n, s->dy[l],
		    s->w[l], dx);
		out[nc].phase = SB_PH_DGRAD;
		out[nc++].layer = l;
	}
	return nc;
}

static int
check_step(struct sb_gpu *g, const struct sb_gemm_f32 *impl,
    const struct sb_dstep *s, int train)
{
	const struct sb_dims *d = &s->d;

	if (impl == NULL || impl->gemm == NULL)
		return step_fail(g, __LINE__, "no GEMM implementation given");
	if (impl->needs_blas && g->blas == NULL)
		return step_fail(g, __LINE__, "GEMM '%s' needs cuBLAS, and "
		    "g->blas is NULL: call sb_gpu_blas_init first",
		    impl->name != NULL ? impl->name : "?");
	if (d->layers < 1 || d->layers > SB_MAX_LAYERS)
		return step_fail(g, __LINE__, "%d layers; want 1..%d",
		    d->layers, SB_MAX_LAYERS);
	if (d->m < 1)
		return step_fail(g, __LINE__, "batch m = %lld; want >= 1",
		    (long long)d->m);
	for (int l = 0; l <= d->layers; l++) {
		if (d->width[l] < 1)
			return step_fail(g, __LINE__, "width[%d] = %lld; every "
			    "width up to width[layers] must be >= 1", l,
			    (long long)d->width[l]);
	}

	if (s->x == NULL)
		return step_fail(g, __LINE__, "x is NULL");
	if (train && (s->t == NULL || s->loss_sum == NULL))
		return step_fail(g, __LINE__, "training needs t and loss_sum; "
		    "%s is NULL", s->t == NULL ? "t" : "loss_sum");
	for (int l = 0; l < d->layers; l++) {
		const char *missing = NULL;

		if (s->w[l] == NULL)
			missing = "w";
		else if (s->b[l] == NULL)
			missing = "b";
		else if (s->y[l] == NULL)
			missing = "y";
		else if (train && s->dy[l] == NULL)
			missing = "dy";
		else if (train && s->dw[l] == NULL)
			missing = "dw";
		else if (train && s->db[l] == NULL)
			missing = "db";
		if (missing != NULL)
			return step_fail(g, __LINE__, "%s[%d] is NULL (%d "
			    "layers)", missing, l, d->layers);
	}
	return 0;
}

static int
step_fail(struct sb_gpu *g, int line, const char *fmt, ...)
{
	char detail[160];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	return sb_gpu_fail(g, __FILE__, line, "sb_step_f32", detail);
}
