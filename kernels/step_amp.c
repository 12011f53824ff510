/*
 * kernels/step_amp.c — the mixed-precision (autocast + GradScaler) training
 * step on the GPU, composed from one half GEMM implementation (gemm_h16.h)
 * and the kernels of amp.cu, in the order of the host version
 * (ref_step_amp.c) and of PyTorch (amp.h has the semantics):
 *
 *   forward  cast x, w, b to half (one launch); per layer the GEMM with the
 *            bias in its epilogue, output half
 *   loss     loss_sum, dy_h = half(scaled loss gradient) (one launch, plus a
 *            memset when the reduction needs several blocks)
 *   backward per layer from the last: wgrad GEMM (bias gradient fused into
 *            it where the implementation can, else one reduction), dgrad
 *   unscale  every gradient to fp32 and unscaled, inf/NaN found (one launch)
 *   sgd      one launch for all tensors; skipped on the GPU on overflow
 *   update   one thread (fp16amp only)
 *
 * Design notes:
 *  1. As in step_f32.c: nothing here synchronises, allocates or reads
 *     device memory on the host, so the whole step — the scaler's decision
 *     included — captures into a CUDA graph.
 *  2. The scaler state (s->st) lives on the device and persists across
 *     steps; the engine resets it (sb_amp_state_reset) with the parameters.
 *  3. bf16amp (cfg.scaled = 0) runs the same step with S = 1: no found_inf,
 *     no skip, no update launch.
 *  4. train.int8dyn is this step with s->int8 set: the forward is the
 *     dynamic-int8 one of step_int8.c (fp16 outputs into y_h, from the
 *     fp32 master weights), the backward is unchanged (straight-through:
 *     the half casts of x and w), and the SGD launch also takes the
 *     weights' absmax for the next step's re-quantisation.
 */
#include <stdarg.h>
#include <stdio.h>

#include "amp.h"

static int	check_step(struct sb_gpu *, const struct sb_hgemm *,
		    const struct sb_dstep_amp *, int);
static int	step_fail(struct sb_gpu *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

int
sb_step_amp(struct sb_gpu *g, const struct sb_hgemm *impl,
    struct sb_dstep_amp *s, int train, sb_phase_fn phase, void *phase_ctx)
{
	const struct sb_dims *d = &s->f.d;
	const struct sb_amp_cfg *cfg = &s->cfg;
	const int64_t m = d->m;
	struct sb_hgemm_call calls[SB_STEP_MAX_CALLS];
	enum sb_phase ph[SB_STEP_MAX_CALLS];
	int layer[SB_STEP_MAX_CALLS];
	struct sb_amp_dev *st = cfg->scaled ? s->st : NULL;
	int L, rc, i, ncalls;

#define MARK(p) do {							\
	if (phase != NULL)						\
		phase(phase_ctx, (p));					\
} while (0)
#define TRY(call) do {							\
	if ((rc = (call)) != 0)						\
		goto out;						\
} while (0)

	if ((rc = check_step(g, impl, s, train)) != 0)
		return rc;
	L = d->layers;
	ncalls = sb_step_amp_calls(impl, s, train, calls, ph, layer);

	MARK(SB_PH_FORWARD);
	{
		struct sb_amp_cast_item c[SB_AMP_MAX_CAST];
		int n = 0;

		c[n].src = s->f.x;
		c[n].dst = s->x_h;
		c[n++].count = m * d->width[0];
		for (int l = 0; l < L; l++) {
			c[n].src = s->f.w[l];
			c[n].dst = s->w_h[l];
			c[n++].count = d->width[l + 1] * d->width[l];
			c[n].src = s->f.b[l];
			c[n].dst = s->b_h[l];
			c[n++].count = d->width[l + 1];
		}
		TRY(sb_amp_cast(g, cfg->dt, c, n));
	}
	if (s->int8 != NULL)
		TRY(sb_int8_forward(g, s->int8, phase, phase_ctx));
	for (i = 0; i < ncalls && ph[i] == SB_PH_FORWARD; i++)
		TRY(impl->gemm(g, &calls[i]));
	if (!train)
		goto out;

	MARK(SB_PH_LOSS);
	TRY(sb_amp_loss_dy(g, cfg->dt, s->y_h[L - 1], s->f.t, s->dy_h[L - 1],
	    s->f.loss_sum, st, m, d->width[L]));

	for (; i < ncalls; i++) {
		const int l = layer[i];

		MARK(ph[i]);
		TRY(impl->gemm(g, &calls[i]));
		if (ph[i] == SB_PH_WGRAD && calls[i].bgrad == NULL)
			TRY(sb_amp_bias_grad(g, cfg->dt, s->dy_h[l],
			    cfg->wgrad_out, s->db_h[l], s->scratch, m,
			    d->width[l + 1]));
	}

	MARK(SB_PH_UNSCALE);
	{
		struct sb_amp_unscale_item u[SB_AMP_MAX_UNSCALE];

		for (int l = 0; l < L; l++) {
			u[2 * l].src = s->dw_h[l];
			u[2 * l].dst = s->f.dw[l];
			u[2 * l].count = d->width[l + 1] * d->width[l];
			u[2 * l + 1].src = s->db_h[l];
			u[2 * l + 1].dst = s->f.db[l];
			u[2 * l + 1].count = d->width[l + 1];
		}
		TRY(sb_amp_unscale(g, cfg->wgrad_out, u, 2 * L, st,
		    cfg->inject_at));
	}

	MARK(SB_PH_SGD);
	{
		struct sb_sgd_tensor t[SB_SGD_MAX_TENSORS];

		for (int l = 0; l < L; l++) {
			t[2 * l].p = s->f.w[l];
			t[2 * l].g = s->f.dw[l];
			t[2 * l].count = d->width[l + 1] * d->width[l];
			t[2 * l + 1].p = s->f.b[l];
			t[2 * l + 1].g = s->f.db[l];
			t[2 * l + 1].count = d->width[l + 1];
		}
		if (s->int8 != NULL)
			TRY(sb_int8_sgd(g, s->int8, t, 2 * L, s->f.lr,
			    st != NULL ? &st->found_inf : NULL));
		else
			TRY(sb_sgd(g, t, 2 * L, s->f.lr,
			    st != NULL ? &st->found_inf : NULL));
	}

	if (st != NULL) {
		MARK(SB_PH_UPDATE);
		TRY(sb_amp_update(g, st, &cfg->scaler));
	}
out:
	MARK(SB_PH_END);
	return rc;
#undef TRY
#undef MARK
}

int
sb_step_amp_calls(const struct sb_hgemm *impl, const struct sb_dstep_amp *s,
    int train, struct sb_hgemm_call *out, enum sb_phase *phase, int *layer)
{
	const struct sb_dims *d = &s->f.d;
	const enum sb_dtype dt = s->cfg.dt, wo = s->cfg.wgrad_out;
	const int L = d->layers;
	int nc = 0;

	for (int l = 0; s->int8 == NULL && l < L; l++) {
		const int64_t n = d->width[l + 1], k = d->width[l];

		/* in_h is (m,k), w_h[l] is (n,k), y_h[l] is (m,n) */
		sb_hgemm_call_init(&out[nc], SB_NT, dt, dt, d->m, n, k,
		    l == 0 ? s->x_h : s->y_h[l - 1], s->w_h[l], s->y_h[l]);
		out[nc].bias = s->b_h[l];
		phase[nc] = SB_PH_FORWARD;
		layer[nc++] = l;
	}
	for (int l = L - 1; train && l >= 0; l--) {
		const int64_t n = d->width[l + 1], k = d->width[l];
		void *dx = l == 0 ? s->dx_h : s->dy_h[l - 1];

		/* TN: dy_h[l] is (m,n) = A[k',m'] (m' = n, k' = m); in_h is
		 * (m,k) = B[k',n']; dw_h[l] is (n,k); bgrad sums A over k' =
		 * the batch: db_h[l] */
		sb_hgemm_call_init(&out[nc], SB_TN, dt, wo, n, k, d->m,
		    s->dy_h[l], l == 0 ? s->x_h : s->y_h[l - 1], s->dw_h[l]);
		if (impl->bgrad_epilogue)
			out[nc].bgrad = s->db_h[l];
		phase[nc] = SB_PH_WGRAD;
		layer[nc++] = l;
		if (dx == NULL)
			continue;
		/* NN: dy_h[l] (m,n) · w_h[l] (n,k) = dx (m,k) */
		sb_hgemm_call_init(&out[nc], SB_NN, dt, dt, d->m, k, n,
		    s->dy_h[l], s->w_h[l], dx);
		phase[nc] = SB_PH_DGRAD;
		layer[nc++] = l;
	}
	return nc;
}

static int
check_step(struct sb_gpu *g, const struct sb_hgemm *impl,
    const struct sb_dstep_amp *s, int train)
{
	const struct sb_dims *d = &s->f.d;
	const struct sb_amp_cfg *cfg = &s->cfg;
	char why[160];

	if (impl == NULL || impl->gemm == NULL)
		return step_fail(g, __LINE__, "no GEMM implementation given");
	if (cfg->dt != SB_DT_F16 && cfg->dt != SB_DT_BF16)
		return step_fail(g, __LINE__, "half type '%s'; want f16 or "
		    "bf16", sb_dtype_name(cfg->dt));
	if (cfg->wgrad_out != cfg->dt && cfg->wgrad_out != SB_DT_F32)
		return step_fail(g, __LINE__, "weight-gradient type '%s'; "
		    "want %s or f32", sb_dtype_name(cfg->wgrad_out),
		    sb_dtype_name(cfg->dt));
	if (cfg->scaled && sb_scaler_cfg_check(&cfg->scaler, why,
	    sizeof(why)) != 0)
		return step_fail(g, __LINE__, "%s", why);
	if (d->layers < 1 || d->layers > SB_MAX_LAYERS)
		return step_fail(g, __LINE__, "%d layers; want 1..%d",
		    d->layers, SB_MAX_LAYERS);
	if (d->m < 1)
		return step_fail(g, __LINE__, "batch m = %lld; want >= 1",
		    (long long)d->m);
	for (int l = 0; l <= d->layers; l++)
		if (d->width[l] < 1)
			return step_fail(g, __LINE__, "width[%d] = %lld; want "
			    ">= 1", l, (long long)d->width[l]);
	if (s->f.x == NULL || s->x_h == NULL)
		return step_fail(g, __LINE__, "x or x_h is NULL");
	if (train && (s->f.t == NULL || s->f.loss_sum == NULL ||
	    s->scratch == NULL || (cfg->scaled && s->st == NULL)))
		return step_fail(g, __LINE__, "training needs t, loss_sum, "
		    "scratch%s", cfg->scaled ? " and the scaler state" : "");
	for (int l = 0; l < d->layers; l++) {
		const char *missing = NULL;

		if (s->f.w[l] == NULL || s->w_h[l] == NULL)
			missing = "w";
		else if (s->f.b[l] == NULL || s->b_h[l] == NULL)
			missing = "b";
		else if (s->y_h[l] == NULL)
			missing = "y_h";
		else if (train && s->dy_h[l] == NULL)
			missing = "dy_h";
		else if (train && (s->dw_h[l] == NULL || s->f.dw[l] == NULL))
			missing = "dw";
		else if (train && (s->db_h[l] == NULL || s->f.db[l] == NULL))
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
	char detail[200];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	return sb_gpu_fail(g, __FILE__, line, "sb_step_amp", detail);
}
