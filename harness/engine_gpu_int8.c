/*
 * harness/engine_gpu_int8.c — what dynamic int8 (int8dyn) adds to the GPU
 * backend (engine_gpu.c): the int8 buffers, the weights' quantisation at
 * reset, the saturation counters, and the description of the int8 GEMMs.
 *
 * Design notes:
 *  1. The int8 buffers (kernels/int8.h struct sb_int8_fwd) live in an
 *     allocation of their own, next to the step's (sb_gpu_carve); the
 *     fp32 tensors they read and write (x, w, b, y; y_h in training) are
 *     the step's own.
 *  2. reset quantises the weights (sb_int8_weights): inference's one-off
 *     conversion, or the first absmax of training (whose forward then
 *     re-converts every step from the absmax the SGD leaves).  The
 *     counters are cleared so that after one step they hold that step's
 *     clamps: inference counts the weights once (at reset) and the
 *     activations of the step; training counts the step's conversions of
 *     both.
 *  3. The int8 outputs are the step's: inference writes the fp32 y that
 *     engine_gpu.c poisons and reads back; training writes y_h, which
 *     engine_gpu_amp.c poisons and reads back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_gpu_int.h"
#include "launch.h"
#include "registry.h"

#define CK(c, call) do {						\
	cudaError_t ck_ = (call);					\
	if (ck_ != cudaSuccess)						\
		return sb_cuda_fail((c)->err, sizeof((c)->err),		\
		    &((struct gpu_point *)(c)->bk)->ge->sticky, __FILE__, \
		    __LINE__, #call, (int)ck_);				\
} while (0)

/* The int8 buffers of q (q->d, per_channel and impl set) out of base
 * (NULL: just count); returns the bytes. */
static size_t
int8_carve(struct sb_int8_fwd *q, char *base)
{
	const struct sb_dims *d = &q->d;
	const int64_t m = d->m;
	int64_t widest = 1;
	size_t off = 0;

#define CARVE(ptr, type, count) do {					\
	(ptr) = base ? (type *)(base + off) : NULL;			\
	off += ((size_t)(count) * sizeof(type) + ALIGN - 1) / ALIGN * ALIGN;\
} while (0)
	CARVE(q->sat, unsigned long long, 2);
	CARVE(q->in_scale, float, d->layers);
	CARVE(q->in_amax, uint32_t, d->layers);
	for (int l = 0; l < d->layers; l++) {
		const int64_t n = d->width[l + 1];
		const int64_t ns = q->per_channel ? n : 1;

		q->kq[l] = sb_int8_kpad(d->width[l]);
		q->nq[l] = sb_int8_kpad(n);
		CARVE(q->in_q[l], int8_t, m * q->kq[l]);
		CARVE(q->w_q[l], int8_t, q->nq[l] * q->kq[l]);
		CARVE(q->w_scale[l], float, ns);
		CARVE(q->w_amax[l], uint32_t, ns);
		if (q->nq[l] > widest)
			widest = q->nq[l];
	}
	q->acc = NULL;
	if (q->impl != NULL && !q->impl->epilogue)
		CARVE(q->acc, int32_t, m * widest);
#undef CARVE
	return off;
}

/* q's configuration for the point: sizes, implementation, output */
static void
int8_config(struct sb_int8_fwd *q, const struct sb_ctx *c)
{
	const struct sb_variant *v = c->pt->variant;

	memset(q, 0, sizeof(*q));
	q->d = c->dims;
	q->impl = v->igemm;
	q->per_channel = c->opts->int8_per_channel;
	q->out = c->train ? SB_DT_F16 : SB_DT_F32;
	q->requant = c->train;
}

double
sb_gpu_int8_bytes(const struct sb_ctx *c)
{
	struct sb_int8_fwd q;

	if (!c->pt->variant->int8)
		return 0;
	int8_config(&q, c);
	return (double)int8_carve(&q, NULL);
}

int
sb_gpu_int8_setup(struct sb_engine *e, struct sb_ctx *c)
{
	struct gpu_point *p = c->bk;
	struct sb_int8_fwd *q = &p->q;
	size_t bytes;

	(void)e;
	int8_config(q, c);
	bytes = int8_carve(q, NULL);
	CK(c, cudaMalloc(&p->qbase, bytes));
	/* the weights' padding rows and columns: zero once (int8.h) */
	CK(c, cudaMemset(p->qbase, 0, bytes));
	int8_carve(q, p->qbase);
	q->x = p->d.x;
	for (int l = 0; l < c->dims.layers; l++) {
		q->w[l] = p->d.w[l];
		q->b[l] = p->d.b[l];
		q->y[l] = c->train ? p->a.y_h[l] : (void *)p->d.y[l];
	}
	p->int8 = 1;
	if (c->train)
		p->a.int8 = q;
	return 0;
}

int
sb_gpu_int8_reset(struct sb_engine *e, struct sb_ctx *c)
{
	struct gpu_point *p = c->bk;
	struct gpu_engine *ge = e->gpu;
	const size_t sat = 2 * sizeof(unsigned long long);

	CK(c, cudaMemsetAsync(p->q.sat, 0, sat, ge->g.stream));
	if (sb_int8_weights(&ge->g, &p->q)) {
		snprintf(c->err, sizeof(c->err), "%s", ge->g.err);
		return -1;
	}
	if (p->q.requant)	/* note 2: the step converts them again */
		CK(c, cudaMemsetAsync(p->q.sat, 0, sat, ge->g.stream));
	return 0;
}

int
sb_gpu_int8_state(struct sb_engine *e, struct sb_ctx *c, int64_t *sat_act,
    int64_t *sat_weight)
{
	struct gpu_point *p = c->bk;
	unsigned long long sat[2];

	(void)e;
	*sat_act = *sat_weight = -1;
	if (!p->int8)
		return 0;
	CK(c, cudaMemcpy(sat, p->q.sat, sizeof(sat), cudaMemcpyDeviceToHost));
	*sat_act = (int64_t)sat[0];
	*sat_weight = (int64_t)sat[1];
	return 0;
}

/*
 * The int8 forward GEMMs (sb_int8_calls) described by their
 * implementation, then, in training, the fp16 backward's GEMMs
 * (sb_gpu_amp_describe appends them).  cuBLASLt describes nothing.
 */
int
sb_gpu_int8_describe(struct sb_engine *e, struct sb_ctx *c,
    struct sb_outcome *o)
{
	struct gpu_point *p = c->bk;
	struct gpu_engine *ge = e->gpu;
	const struct sb_igemm *impl = p->q.impl;
	struct sb_igemm_call call[SB_MAX_LAYERS];
	int layer[SB_MAX_LAYERS];
	const int sms = e->dev->gpu_count > 0 ? e->dev->gpu[0].sms : 0;
	int n = 0, ncall;

	o->r.nlaunch_info = 0;
	if (impl->describe != NULL) {
		ncall = sb_int8_calls(&p->q, call, layer);
		for (int i = 0; i < ncall && n < SB_OUTCOME_LAUNCHES; i++) {
			struct sb_kernel_info info;

			if (impl->describe(&ge->g, &call[i], &info) != 0) {
				snprintf(c->err, sizeof(c->err), "describing "
				    "the int8 forward GEMM of layer %d: %s",
				    layer[i], ge->g.err);
				return -1;
			}
			sb_launch_fill_s8(&o->launch[n], o->launch_name[n],
			    &info, sms, sb_phase_name(SB_PH_FORWARD),
			    layer[i], &call[i]);
			n++;
		}
	}
	o->r.nlaunch_info = n;
	o->r.launch_info = o->launch;
	if (c->train)
		return sb_gpu_amp_describe(e, c, o);
	return 0;
}
