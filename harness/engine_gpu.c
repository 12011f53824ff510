/*
 * harness/engine_gpu.c — the GPU backend: device buffers, the fp32-family
 * step of kernels/step_f32.c, timing with CUDA events on the step's stream.
 *
 * Timed samples: [memset of a buffer twice the L2 size, when flushing]
 * → start event → the step (an event at each phase boundary) → end event →
 * synchronise.  Graph mode captures the step once and times graph replays
 * (no phase events: a captured step has no boundaries to record).
 *
 * Errors that poison the context (illegal address, launch failure, ...) are
 * sticky: the point is recorded as failed and the sweep stops, to be
 * resumed by a fresh process.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cuda_runtime.h>

#include "amp.h"
#include "engine_dp.h"
#include "engine_gpu_int.h"
#include "engine_int.h"
#include "gpu.h"
#include "launch.h"
#include "marker.h"
#include "prof.h"
#include "registry.h"

static int	gpu_setup(struct sb_engine *, struct sb_ctx *);
static int	gpu_reset(struct sb_engine *, struct sb_ctx *);
static int	gpu_step(struct sb_engine *, struct sb_ctx *);
static int	gpu_readback(struct sb_engine *, struct sb_ctx *);
static int	gpu_loss(struct sb_engine *, struct sb_ctx *, double *);
static int	gpu_graph(struct sb_engine *, struct sb_ctx *);
static int	gpu_sample(struct sb_engine *, struct sb_ctx *, double *,
		    double *);
static void	gpu_teardown(struct sb_engine *, struct sb_ctx *);
static int	gpu_describe(struct sb_engine *, struct sb_ctx *,
		    struct sb_outcome *);
static int	gpu_sticky(struct sb_engine *);
static int	gpu_init(struct sb_engine *, struct sb_ctx *);
static int	cuda_fail(struct sb_engine *, struct sb_ctx *, const char *,
		    int, const char *, cudaError_t);
static void	gpu_phase(void *, enum sb_phase);
static void	gpu_mark(void *, enum sb_phase);
static int	enqueue_step(struct sb_engine *, struct sb_ctx *);

const struct sb_backend_ops sb_backend_gpu = {
	.name = "gpu",
	.setup = gpu_setup,
	.reset = gpu_reset,
	.step = gpu_step,
	.readback = gpu_readback,
	.loss = gpu_loss,
	.graph = gpu_graph,
	.sample = gpu_sample,
	.teardown = gpu_teardown,
	.sticky = gpu_sticky,
	.describe = gpu_describe,
	.amp_state = sb_gpu_amp_state,
	.int8_state = sb_gpu_int8_state,
};

#define CK(e, c, call) do {						\
	cudaError_t ck_ = (call);					\
	if (ck_ != cudaSuccess)						\
		return cuda_fail((e), (c), __FILE__, __LINE__, #call, ck_);\
} while (0)

static int
cuda_fail(struct sb_engine *e, struct sb_ctx *c, const char *file, int line,
    const char *what, cudaError_t err)
{
	struct gpu_engine *ge = e->gpu;

	return sb_cuda_fail(c->err, sizeof(c->err), ge != NULL ? &ge->sticky :
	    NULL, file, line, what, (int)err);
}

int
sb_cuda_fail(char *msg, size_t len, int *sticky, const char *file, int line,
    const char *what, int err)
{
	snprintf(msg, len, "%s:%d: %s: %s", file, line, what,
	    cudaGetErrorString((cudaError_t)err));
	if (sb_cuda_sticky(err)) {
		if (sticky != NULL)
			*sticky = 1;
	} else
		cudaGetLastError();	/* clear a non-sticky error */
	return -1;
}

int
sb_cuda_sticky(int err)
{
	switch ((cudaError_t)err) {
	case cudaErrorIllegalAddress:
	case cudaErrorLaunchFailure:
	case cudaErrorAssert:
	case cudaErrorHardwareStackError:
	case cudaErrorIllegalInstruction:
	case cudaErrorMisalignedAddress:
	case cudaErrorInvalidPc:
	case cudaErrorECCUncorrectable:
	case cudaErrorLaunchTimeout:
		return 1;
	default:
		return 0;
	}
}

size_t
sb_gpu_carve(struct sb_dstep *d, struct sb_dstep_amp *a, char *base,
    int input_grad)
{
	size_t off = 0;
	int64_t m = d->d.m;
	size_t h, hw;

#define CARVE(ptr, type, count) do {					\
	(ptr) = base ? (type *)(base + off) : NULL;			\
	off += ((size_t)(count) * sizeof(type) + ALIGN - 1) / ALIGN * ALIGN;\
} while (0)
	CARVE(d->loss_sum, double, 1);
	CARVE(d->x, float, m * d->d.width[0]);
	CARVE(d->t, float, m * d->d.width[d->d.layers]);
	for (int l = 0; l < d->d.layers; l++) {
		int64_t n = d->d.width[l + 1], k = d->d.width[l];

		CARVE(d->w[l], float, n * k);
		CARVE(d->dw[l], float, n * k);
		CARVE(d->b[l], float, n);
		CARVE(d->db[l], float, n);
		CARVE(d->y[l], float, m * n);
		CARVE(d->dy[l], float, m * n);
	}
	d->dx = NULL;
	if (input_grad)
		CARVE(d->dx, float, m * d->d.width[0]);
	if (a == NULL)
		return off;

	/* mixed precision: sizes in bytes, carved as char */
	h = sb_dtype_size(a->cfg.dt);
	hw = sb_dtype_size(a->cfg.wgrad_out);
	CARVE(a->st, struct sb_amp_dev, 1);
	CARVE(a->x_h, char, h * m * d->d.width[0]);
	for (int l = 0; l < d->d.layers; l++) {
		int64_t n = d->d.width[l + 1], k = d->d.width[l];

		CARVE(a->w_h[l], char, h * n * k);
		CARVE(a->b_h[l], char, h * n);
		CARVE(a->y_h[l], char, h * m * n);
		CARVE(a->dy_h[l], char, h * m * n);
		CARVE(a->dw_h[l], char, hw * n * k);
		CARVE(a->db_h[l], char, hw * n);
	}
	a->dx_h = NULL;
	if (input_grad)
		CARVE(a->dx_h, char, h * m * d->d.width[0]);
	{
		int64_t widest = 1;

		for (int l = 1; l <= d->d.layers; l++)
			if (d->d.width[l] > widest)
				widest = d->d.width[l];
		CARVE(a->scratch, float, SB_AMP_SCRATCH(widest));
	}
#undef CARVE
	return off;
}

double
sb_backend_gpu_bytes(struct sb_engine *e, const struct sb_ctx *c)
{
	struct sb_dstep d;
	double l2 = e->dev->gpu_count > 0 ? e->dev->gpu[0].l2_bytes : 0;

	struct sb_dstep_amp a;
	const struct sb_variant *v = c->pt->variant;

	memset(&d, 0, sizeof(d));
	memset(&a, 0, sizeof(a));
	d.d = c->dims;
	a.cfg.dt = v->amp;
	a.cfg.wgrad_out = c->opts->amp_wgrad_f32 ? SB_DT_F32 : v->amp;
	return (double)sb_gpu_carve(&d, v->amp != SB_DT_F32 ? &a : NULL,
	    NULL, c->opts->input_grad && c->train) + sb_gpu_int8_bytes(c) +
	    (c->dp != NULL ? sb_dp_gpu_bytes(&c->dims, c->dp->wire) : 0) +
	    2 * l2 + 2 * BLAS_WS_BYTES;
}

static int
gpu_init(struct sb_engine *e, struct sb_ctx *c)
{
	struct gpu_engine *ge = e->gpu;

	if (ge != NULL && ge->ready)
		return 0;
	if (ge == NULL && (ge = e->gpu = calloc(1, sizeof(*ge))) == NULL) {
		snprintf(c->err, sizeof(c->err), "out of host memory");
		return -1;
	}
	{
		/* the device harness/comm.c chose for this process (its
		 * local rank's under mpirun/srun; else device 0) */
		int dev = 0;

		CK(e, c, cudaGetDevice(&dev));
		CK(e, c, cudaSetDevice(dev));
	}
	CK(e, c, cudaStreamCreateWithFlags(&ge->g.stream,
	    cudaStreamNonBlocking));
	prof_name_stream(ge->g.stream, "compute");
	CK(e, c, cudaEventCreate(&ge->start));
	CK(e, c, cudaEventCreate(&ge->end));
	for (int i = 0; i < MAX_MARKS; i++)
		CK(e, c, cudaEventCreate(&ge->ev[i]));
	ge->flush_bytes = 2 * (size_t)e->dev->gpu[0].l2_bytes;
	if (ge->flush_bytes < (8u << 20))
		ge->flush_bytes = 8u << 20;
	CK(e, c, cudaMalloc(&ge->flush, ge->flush_bytes));
	if (sb_gpu_blas_init(&ge->g)) {
		snprintf(c->err, sizeof(c->err), "%s", ge->g.err);
		return -1;
	}
	ge->ready = 1;
	return 0;
}

void
sb_backend_gpu_fini(struct sb_engine *e)
{
	struct gpu_engine *ge = e->gpu;

	if (ge == NULL)
		return;
	if (ge->ready && !ge->sticky) {
		sb_gpu_blas_fini(&ge->g);
		cudaFree(ge->flush);
		for (int i = 0; i < MAX_MARKS; i++)
			cudaEventDestroy(ge->ev[i]);
		cudaEventDestroy(ge->start);
		cudaEventDestroy(ge->end);
		cudaStreamDestroy(ge->g.stream);
	}
	free(ge);
	e->gpu = NULL;
}

static int
gpu_setup(struct sb_engine *e, struct sb_ctx *c)
{
	const struct sb_variant *v = c->pt->variant;
	struct gpu_point *p;
	struct sb_dstep_amp *amp;
	size_t bytes;

	if (gpu_init(e, c))
		return -1;
	if ((p = c->bk = calloc(1, sizeof(*p))) == NULL) {
		snprintf(c->err, sizeof(c->err), "out of host memory");
		return -1;
	}
	p->ge = e->gpu;
	p->d.d = c->dims;
	if (v->amp != SB_DT_F32) {
		p->amp = 1;
		p->a.cfg.dt = v->amp;
		p->a.cfg.scaled = v->scaled;
		p->a.cfg.wgrad_out = c->opts->amp_wgrad_f32 ? SB_DT_F32 :
		    v->amp;
		p->a.cfg.scaler = c->opts->scaler;
		p->a.cfg.inject_at = -1;
	}
	amp = p->amp ? &p->a : NULL;
	bytes = sb_gpu_carve(&p->d, amp, NULL, c->got.dx != NULL);
	CK(e, c, cudaMalloc(&p->base, bytes));
	sb_gpu_carve(&p->d, amp, p->base, c->got.dx != NULL);
	if (v->int8)
		return sb_gpu_int8_setup(e, c);
	if (c->dp != NULL)
		return sb_dp_bind_gpu(c, p->d.dw, p->d.db, p->ge->g.stream);
	return 0;
}

static int
gpu_reset(struct sb_engine *e, struct sb_ctx *c)
{
	struct gpu_point *p = c->bk;
	struct gpu_engine *ge = e->gpu;
	const struct sb_dims *d = &c->dims;
	int64_t m = d->m;
	cudaStream_t s = ge->g.stream;

#define UP(dst, src, count) CK(e, c, cudaMemcpyAsync((dst), (src),	\
	(size_t)(count) * sizeof(float), cudaMemcpyHostToDevice, s))
#define POISON(dst, count) CK(e, c, cudaMemsetAsync((dst), 0xff,	\
	(size_t)(count) * sizeof(float), s))
	UP(p->d.x, c->init.x, m * d->width[0]);
	UP(p->d.t, c->init.t, m * d->width[d->layers]);
	for (int l = 0; l < d->layers; l++) {
		int64_t n = d->width[l + 1], k = d->width[l];

		UP(p->d.w[l], c->init.w[l], n * k);
		UP(p->d.b[l], c->init.b[l], n);
		POISON(p->d.dw[l], n * k);
		POISON(p->d.db[l], n);
		POISON(p->d.y[l], m * n);
		POISON(p->d.dy[l], m * n);
	}
	if (p->d.dx != NULL)
		POISON(p->d.dx, m * d->width[0]);
	CK(e, c, cudaMemsetAsync(p->d.loss_sum, 0xff, sizeof(double), s));
	if (p->amp && sb_gpu_amp_reset(e, c))
		return -1;
	if (p->int8 && sb_gpu_int8_reset(e, c))
		return -1;
	CK(e, c, cudaStreamSynchronize(s));
#undef UP
#undef POISON
	return 0;
}

static void
gpu_phase(void *arg, enum sb_phase ph)
{
	struct sb_ctx *c = arg;
	struct gpu_point *p = c->bk;

	sb_ctx_phase_nvtx(c, ph);
	if (!p->recording || p->nmarks >= MAX_MARKS)
		return;
	/* an error here surfaces at the synchronise that ends the sample */
	cudaEventRecord(p->ge->ev[p->nmarks], p->ge->g.stream);
	p->mark_phase[p->nmarks++] = (int)ph;
}

/* The step's marks: through the data-parallel machinery, which calls
 * gpu_phase (engine_dp.h). */
static void
gpu_mark(void *arg, enum sb_phase ph)
{
	sb_dp_mark(arg, ph, gpu_phase);
}

static int
enqueue_step(struct sb_engine *e, struct sb_ctx *c)
{
	struct gpu_point *p = c->bk;
	struct gpu_engine *ge = e->gpu;
	const struct sb_variant *v = c->pt->variant;
	uint64_t before = ge->g.launches;
	int rc;

	p->d.lr = c->lr;
	if (p->int8 && !c->train) {
		rc = sb_int8_forward(&ge->g, &p->q, gpu_phase, c);
		gpu_phase(c, SB_PH_END);
	} else if (p->amp && !c->shadow_f32) {
		p->a.f = p->d;
		p->a.cfg.inject_at = c->inject_at;
		rc = sb_step_amp(&ge->g, v->hgemm, &p->a, c->train, gpu_phase,
		    c);
	} else
		/* a mixed-precision variant's fp32 curve is cuBLAS's */
		rc = sb_step_f32(&ge->g, p->amp ? &sb_gemm_cublas_f32 :
		    v->gemm, &p->d, c->train, gpu_mark, c);
	if (rc == 0 && c->dp != NULL && sb_dp_check(c))
		return -1;
	if (rc) {
		snprintf(c->err, sizeof(c->err), "%s", ge->g.err);
		/* the launcher may have hit a sticky error: look */
		cudaError_t st = cudaStreamSynchronize(ge->g.stream);

		if (st != cudaSuccess)
			cuda_fail(e, c, __FILE__, __LINE__,
			    "cudaStreamSynchronize after a failed step", st);
		return -1;
	}
	/* every launcher counts what it enqueues: this is one step's */
	c->launches = (int64_t)(ge->g.launches - before);
	return 0;
}

static int
gpu_step(struct sb_engine *e, struct sb_ctx *c)
{
	struct gpu_engine *ge = e->gpu;

	if (enqueue_step(e, c))
		return -1;
	CK(e, c, cudaStreamSynchronize(ge->g.stream));
	return 0;
}

static int
gpu_readback(struct sb_engine *e, struct sb_ctx *c)
{
	struct gpu_point *p = c->bk;
	const struct sb_dims *d = &c->dims;
	int64_t m = d->m;
	double sum;

	if (p->amp && !c->shadow_f32)
		return sb_gpu_amp_readback(e, c);
#define DOWN(dst, src, count) CK(e, c, cudaMemcpy((dst), (src),	\
	(size_t)(count) * sizeof(float), cudaMemcpyDeviceToHost))
	for (int l = 0; l < d->layers; l++) {
		int64_t n = d->width[l + 1], k = d->width[l];

		DOWN(c->got.y[l], p->d.y[l], m * n);
		if (!c->train)
			continue;
		DOWN(c->got.dy[l], p->d.dy[l], m * n);
		DOWN(c->got.dw[l], p->d.dw[l], n * k);
		DOWN(c->got.db[l], p->d.db[l], n);
		DOWN(c->got.w[l], p->d.w[l], n * k);
		DOWN(c->got.b[l], p->d.b[l], n);
	}
	if (c->train && p->d.dx != NULL)
		DOWN(c->got.dx, p->d.dx, m * d->width[0]);
#undef DOWN
	c->got.loss = NAN;
	if (c->train) {
		CK(e, c, cudaMemcpy(&sum, p->d.loss_sum, sizeof(sum),
		    cudaMemcpyDeviceToHost));
		c->got.loss = sum / ((double)m * (double)d->width[d->layers]);
	}
	return 0;
}

static int
gpu_loss(struct sb_engine *e, struct sb_ctx *c, double *loss)
{
	struct gpu_point *p = c->bk;
	double sum;

	CK(e, c, cudaMemcpy(&sum, p->d.loss_sum, sizeof(sum),
	    cudaMemcpyDeviceToHost));
	*loss = sum / ((double)c->dims.m * (double)c->dims.width[c->dims.layers]);
	return 0;
}

static int
gpu_graph(struct sb_engine *e, struct sb_ctx *c)
{
	struct gpu_point *p = c->bk;
	struct gpu_engine *ge = e->gpu;
	int rc;

	c->nvtx_phases = 0;	/* nothing to range while capturing */
	CK(e, c, cudaStreamBeginCapture(ge->g.stream,
	    cudaStreamCaptureModeThreadLocal));
	rc = enqueue_step(e, c);
	{
		cudaError_t st = cudaStreamEndCapture(ge->g.stream, &p->graph);

		if (rc == 0 && st != cudaSuccess)
			return cuda_fail(e, c, __FILE__, __LINE__,
			    "cudaStreamEndCapture", st);
	}
	c->nvtx_phases = 1;
	if (rc)
		return -1;
	{
		size_t nodes = 0;

		CK(e, c, cudaGraphGetNodes(p->graph, NULL, &nodes));
		c->graph_nodes = (int64_t)nodes;
	}
	CK(e, c, cudaGraphInstantiate(&p->exec, p->graph, 0));
	/* one untimed replay: uploads the graph */
	CK(e, c, cudaGraphLaunch(p->exec, ge->g.stream));
	CK(e, c, cudaStreamSynchronize(ge->g.stream));
	return 0;
}

static int
gpu_sample(struct sb_engine *e, struct sb_ctx *c, double *step_us,
    double *phase_us)
{
	struct gpu_point *p = c->bk;
	struct gpu_engine *ge = e->gpu;
	cudaStream_t s = ge->g.stream;
	float ms;
	static unsigned flush_byte;

	for (int i = 0; i < SB_PH_COUNT; i++)
		phase_us[i] = NAN;
	if (c->opts->l2_flush)
		CK(e, c, cudaMemsetAsync(ge->flush, (int)(flush_byte++ & 0xff),
		    ge->flush_bytes, s));
	CK(e, c, cudaEventRecord(ge->start, s));
	if (p->exec != NULL) {
		CK(e, c, cudaGraphLaunch(p->exec, s));
	} else {
		p->recording = 1;
		p->nmarks = 0;
		if (enqueue_step(e, c)) {
			p->recording = 0;
			return -1;
		}
		p->recording = 0;
	}
	CK(e, c, cudaEventRecord(ge->end, s));
	CK(e, c, cudaEventSynchronize(ge->end));
	CK(e, c, cudaEventElapsedTime(&ms, ge->start, ge->end));
	*step_us = ms * 1e3;
	if (p->exec != NULL)
		return 0;
	for (int i = 0; i < SB_PH_COUNT; i++)
		phase_us[i] = 0;
	for (int i = 0; i + 1 < p->nmarks; i++) {
		if (p->mark_phase[i] >= SB_PH_COUNT)
			continue;
		CK(e, c, cudaEventElapsedTime(&ms, ge->ev[i], ge->ev[i + 1]));
		phase_us[p->mark_phase[i]] += ms * 1e3;
	}
	return 0;
}

static void
gpu_teardown(struct sb_engine *e, struct sb_ctx *c)
{
	struct gpu_point *p = c->bk;
	struct gpu_engine *ge = e->gpu;

	if (p == NULL)
		return;
	if (ge == NULL || !ge->sticky) {
		if (p->exec != NULL)
			cudaGraphExecDestroy(p->exec);
		if (p->graph != NULL)
			cudaGraphDestroy(p->graph);
		if (p->base != NULL)
			cudaFree(p->base);
		if (p->qbase != NULL)
			cudaFree(p->qbase);
	}
	free(p);
	c->bk = NULL;
}

static int
gpu_sticky(struct sb_engine *e)
{
	struct gpu_engine *ge = e->gpu;

	return ge != NULL && ge->sticky;
}

int
sb_gpu_profile_marker(struct sb_engine *e, struct sb_ctx *c)
{
	struct gpu_engine *ge = e->gpu;

	CK(e, c, (cudaError_t)sb_profile_marker(ge->g.stream, c->pt->idx));
	return 0;
}

/*
 * The step's GEMM calls, from the step's own list (sb_step_f32_calls), each
 * described by the implementation: forward NT per layer, then per layer
 * from the last: wgrad TN and, where there is an activation gradient to
 * make, dgrad NN.  A library GEMM (describe NULL) has no facts to give.
 * Describing launches nothing; the pointers are the point's own, so a
 * planner that looks at alignment sees what the step will pass.
 */
static int
gpu_describe(struct sb_engine *e, struct sb_ctx *c, struct sb_outcome *o)
{
	struct gpu_point *p = c->bk;
	struct gpu_engine *ge = e->gpu;
	const struct sb_gemm_f32 *impl = c->pt->variant->gemm;
	struct sb_step_call call[SB_STEP_MAX_CALLS];
	int sms = e->dev->gpu_count > 0 ? e->dev->gpu[0].sms : 0;
	int ncall;

	if (p->int8)
		return sb_gpu_int8_describe(e, c, o);
	if (p->amp)
		return sb_gpu_amp_describe(e, c, o);
	if (impl == NULL || impl->describe == NULL)
		return 0;
	/* the step's own list of its GEMMs (kernels/step_f32.c) */
	ncall = sb_step_f32_calls(impl, &p->d, c->train, call);
	for (int i = 0; i < ncall && i < SB_OUTCOME_LAUNCHES; i++) {
		const char *role = sb_phase_name(call[i].phase);
		struct sb_kernel_info info;

		if (impl->describe(&ge->g, &call[i].call, &info) != 0) {
			snprintf(c->err, sizeof(c->err), "describing the %s "
			    "GEMM of layer %d: %s", role, call[i].layer,
			    ge->g.err);
			return -1;
		}
		sb_launch_fill(&o->launch[i], o->launch_name[i], &info, sms,
		    role, call[i].layer, &call[i].call);
	}
	if (ncall > SB_OUTCOME_LAUNCHES)
		ncall = SB_OUTCOME_LAUNCHES;
	o->r.nlaunch_info = ncall;
	o->r.launch_info = o->launch;
	return 0;
}
