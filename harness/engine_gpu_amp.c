/*
 * harness/engine_gpu_amp.c — what the mixed-precision step adds to the GPU
 * backend (engine_gpu.c): resetting its half buffers and the loss scaler,
 * reading its results back in the form the check compares (fp32, gradients
 * unscaled), describing its GEMM launches, and reporting the scaler.
 *
 * Design notes:
 *  1. The half outputs are poisoned with 0xff bytes: NaN in fp16 and bf16
 *     alike, so a tensor the step failed to write fails the check.
 *  2. The activation gradients are kept scaled on the device (dy_h holds
 *     S·dL/dy in half); read-back divides by the scale the step used
 *     (sb_amp_dev.scale_used, set by the loss kernel), which is exact for
 *     the power-of-two scales GradScaler produces.
 *  3. Read-back converts with kernels/half.c, the host's bit-exact twin of
 *     the device casts.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_gpu_int.h"
#include "half.h"
#include "launch.h"
#include "registry.h"

#define CK(c, call) do {						\
	cudaError_t ck_ = (call);					\
	if (ck_ != cudaSuccess)						\
		return sb_cuda_fail((c)->err, sizeof((c)->err),		\
		    &((struct gpu_point *)(c)->bk)->ge->sticky, __FILE__, \
		    __LINE__, #call, (int)ck_);				\
} while (0)

int
sb_gpu_amp_reset(struct sb_engine *e, struct sb_ctx *c)
{
	struct gpu_point *p = c->bk;
	struct gpu_engine *ge = e->gpu;
	const struct sb_dims *d = &c->dims;
	const size_t h = sb_dtype_size(p->a.cfg.dt);
	const size_t hw = sb_dtype_size(p->a.cfg.wgrad_out);
	const int64_t m = d->m;
	cudaStream_t s = ge->g.stream;

	for (int l = 0; l < d->layers; l++) {
		const int64_t n = d->width[l + 1], k = d->width[l];

		CK(c, cudaMemsetAsync(p->a.y_h[l], 0xff, h * m * n, s));
		CK(c, cudaMemsetAsync(p->a.dy_h[l], 0xff, h * m * n, s));
		CK(c, cudaMemsetAsync(p->a.dw_h[l], 0xff, hw * n * k, s));
		CK(c, cudaMemsetAsync(p->a.db_h[l], 0xff, hw * n, s));
	}
	if (p->a.dx_h != NULL)
		CK(c, cudaMemsetAsync(p->a.dx_h, 0xff, h * m * d->width[0],
		    s));
	p->a.cfg.scaler = c->opts->scaler;
	if (c->fresh_scaler && sb_amp_state_reset(&ge->g, p->a.st,
	    &c->opts->scaler)) {
		snprintf(c->err, sizeof(c->err), "%s", ge->g.err);
		return -1;
	}
	return 0;
}

/* n elements of type t at src (device) into dst (host floats), times mul */
static int
down_conv(struct sb_ctx *c, float *dst, const void *src, enum sb_dtype t,
    int64_t n, double mul)
{
	void *tmp;

	if (t == SB_DT_F32) {
		CK(c, cudaMemcpy(dst, src, (size_t)n * sizeof(float),
		    cudaMemcpyDeviceToHost));
	} else {
		if ((tmp = malloc((size_t)n * sb_dtype_size(t))) == NULL) {
			snprintf(c->err, sizeof(c->err), "out of host memory "
			    "for a %lld-element read-back", (long long)n);
			return -1;
		}
		cudaError_t err = cudaMemcpy(tmp, src, (size_t)n *
		    sb_dtype_size(t), cudaMemcpyDeviceToHost);

		if (err != cudaSuccess) {
			free(tmp);
			CK(c, err);
		}
		sb_convert_to_f32(t, tmp, dst, (size_t)n);
		free(tmp);
	}
	if (mul != 1)
		for (int64_t i = 0; i < n; i++)
			dst[i] = (float)(dst[i] * mul);
	return 0;
}

int
sb_gpu_amp_readback(struct sb_engine *e, struct sb_ctx *c)
{
	struct gpu_point *p = c->bk;
	const struct sb_dims *d = &c->dims;
	const enum sb_dtype dt = p->a.cfg.dt;
	const int64_t m = d->m;
	struct sb_amp_dev st;
	double sum, unscale = 1;

	(void)e;
	if (c->train && p->a.cfg.scaled) {
		CK(c, cudaMemcpy(&st, p->a.st, sizeof(st),
		    cudaMemcpyDeviceToHost));
		unscale = 1.0 / st.scale_used;		/* note 2 */
	}
	for (int l = 0; l < d->layers; l++) {
		const int64_t n = d->width[l + 1], k = d->width[l];

		if (down_conv(c, c->got.y[l], p->a.y_h[l], dt, m * n, 1))
			return -1;
		if (!c->train)
			continue;
		if (down_conv(c, c->got.dy[l], p->a.dy_h[l], dt, m * n,
		    unscale) ||
		    down_conv(c, c->got.dw[l], p->d.dw[l], SB_DT_F32, n * k,
		    1) ||
		    down_conv(c, c->got.db[l], p->d.db[l], SB_DT_F32, n, 1) ||
		    down_conv(c, c->got.w[l], p->d.w[l], SB_DT_F32, n * k, 1) ||
		    down_conv(c, c->got.b[l], p->d.b[l], SB_DT_F32, n, 1))
			return -1;
	}
	if (c->train && p->a.dx_h != NULL && c->got.dx != NULL &&
	    down_conv(c, c->got.dx, p->a.dx_h, dt, m * d->width[0], unscale))
		return -1;
	c->got.loss = NAN;
	if (c->train) {
		CK(c, cudaMemcpy(&sum, p->d.loss_sum, sizeof(sum),
		    cudaMemcpyDeviceToHost));
		c->got.loss = sum / ((double)m * (double)d->width[d->layers]);
	}
	return 0;
}

int
sb_gpu_amp_state(struct sb_engine *e, struct sb_ctx *c,
    struct sb_amp_obs *ob)
{
	struct gpu_point *p = c->bk;
	struct sb_amp_dev st;

	(void)e;
	memset(ob, 0, sizeof(*ob));
	if (!p->amp || !p->a.cfg.scaled) {
		ob->scale_used = ob->scale = 1;
		return 0;
	}
	CK(c, cudaMemcpy(&st, p->a.st, sizeof(st), cudaMemcpyDeviceToHost));
	ob->scale_used = st.scale_used;
	ob->skipped = st.found_inf != 0;
	ob->growth_tracker = st.growth_tracker;
	ob->scale = st.scale;
	return 0;
}

/*
 * The step's GEMM calls from its own list (sb_step_amp_calls), described by
 * the implementation and appended after the o->r.nlaunch_info launches
 * already there (train.int8dyn's int8 forward GEMMs); a library
 * (describe NULL) has no facts to give.
 */
int
sb_gpu_amp_describe(struct sb_engine *e, struct sb_ctx *c,
    struct sb_outcome *o)
{
	struct gpu_point *p = c->bk;
	struct gpu_engine *ge = e->gpu;
	const struct sb_hgemm *impl = c->pt->variant->hgemm;
	struct sb_hgemm_call call[SB_STEP_MAX_CALLS];
	enum sb_phase ph[SB_STEP_MAX_CALLS];
	int layer[SB_STEP_MAX_CALLS];
	const int sms = e->dev->gpu_count > 0 ? e->dev->gpu[0].sms : 0;
	int ncall, n = o->r.nlaunch_info;

	if (impl == NULL || impl->describe == NULL)
		return 0;
	p->a.f = p->d;
	ncall = sb_step_amp_calls(impl, &p->a, c->train, call, ph, layer);
	for (int i = 0; i < ncall && n < SB_OUTCOME_LAUNCHES; i++, n++) {
		const char *role = sb_phase_name(ph[i]);
		struct sb_kernel_info info;

		if (impl->describe(&ge->g, &call[i], &info) != 0) {
			snprintf(c->err, sizeof(c->err), "describing the %s "
			    "GEMM of layer %d: %s", role, layer[i], ge->g.err);
			return -1;
		}
		sb_launch_fill_h(&o->launch[n], o->launch_name[n], &info, sms,
		    role, layer[i], &call[i]);
	}
	o->r.nlaunch_info = n;
	o->r.launch_info = o->launch;
	return 0;
}
