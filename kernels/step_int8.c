/*
 * kernels/step_int8.c — the dynamic-int8 Linear forward on the GPU (int8.h
 * has the semantics), composed from the quantisation kernels of quant.cu
 * and one int8 GEMM implementation (gemm_s8.h):
 *
 *   per layer l   int8.scale    absmax of the layer's input (x, fp32, for
 *                               l = 0; y[l-1] in the output type after)
 *                 int8.quant    the input to int8, K-padded; in training
 *                               also the weights, from the absmax the last
 *                               SGD launch left (sb_int8_sgd)
 *                 forward       the int8 GEMM, dequantise + bias in its
 *                               epilogue when it has one
 *                 int8.dequant  else int32 -> out + bias (sb_q_dequant)
 *
 * Design notes:
 *  1. As step_f32.c and step_amp.c: nothing here synchronises, allocates
 *     or reads device memory on the host; scales never leave the device
 *     (every kernel derives them from the absmax buffers), so the step
 *     captures into a CUDA graph.
 *  2. Inference quantises the weights once (sb_int8_weights, called at
 *     reset), as quantize_dynamic converts a model once; the timed step
 *     is the per-batch work only.
 *  3. The training step (step_amp.c with s->int8 set) re-quantises the
 *     fp32 master weights every step.  Their absmax comes out of the SGD
 *     launch itself (sb_q_sgd_absmax), so the only extra pass over the
 *     weights is the conversion, in int8.quant.
 */
#include <stdarg.h>
#include <stdio.h>

#include "int8.h"

static int	check_fwd(struct sb_gpu *, const struct sb_int8_fwd *);
static int	fwd_fail(struct sb_gpu *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

int
sb_int8_weights(struct sb_gpu *g, struct sb_int8_fwd *q)
{
	const struct sb_dims *d = &q->d;
	int rc;

	if ((rc = check_fwd(g, q)) != 0)
		return rc;
	for (int l = 0; l < d->layers; l++) {
		const int64_t n = d->width[l + 1], k = d->width[l];

		if ((rc = sb_q_absmax(g, SB_DT_F32, q->w[l], n, k, k,
		    q->per_channel, q->w_amax[l], 0)) != 0 ||
		    (rc = sb_q_convert(g, &sb_qsym_weight, SB_DT_F32, q->w[l],
		    n, k, k, q->per_channel, q->w_amax[l], q->w_scale[l],
		    q->w_q[l], q->kq[l], q->sat != NULL ? q->sat + 1 : NULL))
		    != 0)
			return rc;
	}
	return 0;
}

int
sb_int8_calls(const struct sb_int8_fwd *q, struct sb_igemm_call *calls,
    int *layer)
{
	const struct sb_dims *d = &q->d;
	const int epi = q->impl->epilogue;

	for (int l = 0; l < d->layers; l++) {
		struct sb_igemm_call *c = &calls[l];

		/* in_q[l] is (m, kq), w_q[l] is (n, kq): NT, both K-major */
		sb_igemm_call_init(c, epi ? q->out : SB_DT_S32, d->m,
		    epi ? d->width[l + 1] : q->nq[l], q->kq[l], q->in_q[l],
		    q->w_q[l], epi ? q->y[l] : (void *)q->acc);
		if (epi) {
			c->a_scale = &q->in_scale[l];
			c->b_scale = q->w_scale[l];
			c->b_per_channel = q->per_channel;
			c->bias = q->b[l];
		}
		layer[l] = l;
	}
	return d->layers;
}

int
sb_int8_forward(struct sb_gpu *g, struct sb_int8_fwd *q, sb_phase_fn phase,
    void *phase_ctx)
{
	const struct sb_dims *d = &q->d;
	const struct sb_igemm *impl = q->impl;
	struct sb_igemm_call calls[SB_MAX_LAYERS];
	int layer[SB_MAX_LAYERS];
	unsigned long long *sat_act = q->sat, *sat_w = NULL;
	int rc;

#define MARK(p) do {							\
	if (phase != NULL)						\
		phase(phase_ctx, (p));					\
} while (0)

	if ((rc = check_fwd(g, q)) != 0)
		return rc;
	if (q->sat != NULL)
		sat_w = q->sat + 1;
	(void)sb_int8_calls(q, calls, layer);
	for (int l = 0; l < d->layers; l++) {
		const int64_t m = d->m, n = d->width[l + 1], k = d->width[l];
		const enum sb_dtype src_t = l == 0 ? SB_DT_F32 : q->out;
		const void *src = l == 0 ? (const void *)q->x : q->y[l - 1];

		MARK(SB_PH_QSCALE);
		if ((rc = sb_q_absmax(g, src_t, src, m, k, k, 0,
		    &q->in_amax[l], 0)) != 0)
			return rc;
		MARK(SB_PH_QUANT);
		if ((rc = sb_q_convert(g, &sb_qsym_act, src_t, src, m, k, k, 0,
		    &q->in_amax[l], &q->in_scale[l], q->in_q[l], q->kq[l],
		    sat_act)) != 0)
			return rc;
		if (q->requant && (rc = sb_q_convert(g, &sb_qsym_weight,
		    SB_DT_F32, q->w[l], n, k, k, q->per_channel, q->w_amax[l],
		    q->w_scale[l], q->w_q[l], q->kq[l], sat_w)) != 0)
			return rc;
		MARK(SB_PH_FORWARD);
		if ((rc = impl->gemm(g, &calls[l])) != 0)
			return rc;
		if (!impl->epilogue) {
			MARK(SB_PH_DEQUANT);
			if ((rc = sb_q_dequant(g, q->acc, m, n, q->nq[l],
			    &q->in_scale[l], q->w_scale[l], q->per_channel,
			    q->b[l], q->out, q->y[l], n)) != 0)
				return rc;
		}
	}
	return 0;
#undef MARK
}

int
sb_int8_sgd(struct sb_gpu *g, struct sb_int8_fwd *q,
    const struct sb_sgd_tensor *t, int count, float lr, const int32_t *skip)
{
	const struct sb_dims *d = &q->d;
	struct sb_q_sgd_item it[SB_Q_SGD_MAX];
	cudaError_t err;

	if (count < 1 || count > SB_Q_SGD_MAX)
		return fwd_fail(g, __LINE__, "%d SGD tensors; want 1..%d",
		    count, SB_Q_SGD_MAX);
	for (int i = 0; i < count; i++) {
		it[i].p = t[i].p;
		it[i].g = t[i].g;
		it[i].rows = 1;
		it[i].cols = t[i].count;
		it[i].amax = NULL;
		it[i].per_row = 0;
		for (int l = 0; l < d->layers; l++) {
			const int64_t n = d->width[l + 1], k = d->width[l];

			if (t[i].p != q->w[l])
				continue;
			if (t[i].count != n * k)
				return fwd_fail(g, __LINE__, "the SGD tensor "
				    "of layer %d's weights has %lld elements; "
				    "want %lld x %lld", l,
				    (long long)t[i].count, (long long)n,
				    (long long)k);
			it[i].rows = n;
			it[i].cols = k;
			it[i].amax = q->w_amax[l];
			it[i].per_row = q->per_channel;
			if (q->per_channel)
				continue;	/* each row's max is stored */
			err = cudaMemsetAsync(q->w_amax[l], 0,
			    sizeof(uint32_t), g->stream);
			g->launches++;
			SB_CUDA_CHECK(g, err);
		}
	}
	return sb_q_sgd_absmax(g, it, count, lr, skip);
}

static int
check_fwd(struct sb_gpu *g, const struct sb_int8_fwd *q)
{
	const struct sb_dims *d = &q->d;

	if (q->impl == NULL || q->impl->gemm == NULL)
		return fwd_fail(g, __LINE__, "no int8 GEMM implementation "
		    "given");
	if (q->out != SB_DT_F32 && q->out != SB_DT_F16)
		return fwd_fail(g, __LINE__, "output type '%s'; want f32 "
		    "(inference) or f16 (the training step)",
		    sb_dtype_name(q->out));
	if (q->per_channel != 0 && q->per_channel != 1)
		return fwd_fail(g, __LINE__, "per_channel %d; want 0 (per "
		    "tensor) or 1 (per output channel)", q->per_channel);
	if (d->layers < 1 || d->layers > SB_MAX_LAYERS)
		return fwd_fail(g, __LINE__, "%d layers; want 1..%d",
		    d->layers, SB_MAX_LAYERS);
	if (d->m < 1)
		return fwd_fail(g, __LINE__, "batch m = %lld; want >= 1",
		    (long long)d->m);
	if (q->x == NULL || q->in_scale == NULL || q->in_amax == NULL)
		return fwd_fail(g, __LINE__, "x, in_scale or in_amax is NULL");
	if (!q->impl->epilogue && q->acc == NULL)
		return fwd_fail(g, __LINE__, "'%s' has no dequantising "
		    "epilogue: the int32 buffer acc is needed", q->impl->name);
	for (int l = 0; l < d->layers; l++) {
		if (d->width[l] < 1 || d->width[l + 1] < 1)
			return fwd_fail(g, __LINE__, "layer %d is %lld -> %lld; "
			    "widths must be >= 1", l, (long long)d->width[l],
			    (long long)d->width[l + 1]);
		if (q->kq[l] != sb_int8_kpad(d->width[l]) ||
		    q->nq[l] != sb_int8_kpad(d->width[l + 1]))
			return fwd_fail(g, __LINE__, "layer %d: padded K, N "
			    "%lld, %lld for widths %lld -> %lld; want "
			    "sb_int8_kpad of each: %lld, %lld", l,
			    (long long)q->kq[l], (long long)q->nq[l],
			    (long long)d->width[l], (long long)d->width[l + 1],
			    (long long)sb_int8_kpad(d->width[l]),
			    (long long)sb_int8_kpad(d->width[l + 1]));
		if (q->w[l] == NULL || q->b[l] == NULL || q->y[l] == NULL ||
		    q->in_q[l] == NULL || q->w_q[l] == NULL ||
		    q->w_scale[l] == NULL || q->w_amax[l] == NULL)
			return fwd_fail(g, __LINE__, "a buffer of layer %d is "
			    "NULL (w, b, y, in_q, w_q, w_scale, w_amax)", l);
	}
	return 0;
}

static int
fwd_fail(struct sb_gpu *g, int line, const char *fmt, ...)
{
	char detail[200];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	return sb_gpu_fail(g, __FILE__, line, "the int8 forward", detail);
}
