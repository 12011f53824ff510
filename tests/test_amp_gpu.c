/*
 * tests/test_amp_gpu.c — the mixed-precision step on the GPU, through its
 * own API (kernels/amp.h), for every half GEMM implementation in the build
 * and both half types.  Label gpu: exits 77 (skipped) without a GPU.
 *
 *   amp-1  exact: small integer inputs, with m·n and the scale powers of
 *          two, make every value of the step exact in fp16 and bf16, so the
 *          step must equal the fp64 reference (ref_step_f64) bit for bit —
 *          y, loss, dy (unscaled), dw, db, dx and the updated w, b.
 *   amp-2  the scaler: 8 steps, an inf planted at step 2 (inject_at), a
 *          growth interval of 3.  After every step the device's scale and
 *          growth tracker equal those of the plain-C reference
 *          (kernels/scaler.c) fed the device's found_inf; step 2 alone is
 *          skipped (weights unchanged by it), its scale halves, and the
 *          scale grows at the 3rd good step after it.
 *   amp-3  no host sync: the step captures into a CUDA graph in global
 *          capture mode (which fails on any synchronising call) and 4
 *          replays give the same weights and scaler state as 4 eager steps.
 *
 * This file has never run: the machine it was written on has no GPU.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cuda_runtime.h>

#include "testkit.h"
#include "amp.h"
#include "half.h"
#include "hstep.h"
#include "ref_step.h"
#include "scaler.h"

#define M	8	/* m·n = 32: the loss gradient's factor 2/32 is exact */
#define N	4
#define K	4
#define LR	0.0625f	/* 1/16: the update is exact in float */

struct dev {
	struct sb_dstep_amp	a;
	void			*blocks[64];
	int			 nblocks;
};

static void *
dalloc(struct dev *d, size_t bytes)
{
	void *p = NULL;

	if (cudaMalloc(&p, bytes) != cudaSuccess)
		return NULL;
	cudaMemset(p, 0xff, bytes);
	d->blocks[d->nblocks++] = p;
	return p;
}

static void
dev_free(struct dev *d)
{
	for (int i = 0; i < d->nblocks; i++)
		cudaFree(d->blocks[i]);
	memset(d, 0, sizeof(*d));
}

/* one layer M x K -> N, with dx; buffers of dt (dw_h, db_h: dt too) */
static int
dev_alloc(struct dev *d, enum sb_dtype dt, int scaled, float init)
{
	struct sb_dstep_amp *a = &d->a;
	const size_t h = sb_dtype_size(dt);

	memset(d, 0, sizeof(*d));
	sb_dims_init(&a->f.d, M, N, K, 1);
	a->cfg.dt = dt;
	a->cfg.scaled = scaled;
	a->cfg.wgrad_out = dt;
	sb_scaler_cfg_default(&a->cfg.scaler);
	a->cfg.scaler.init_scale = init;
	a->cfg.inject_at = -1;
	a->f.x = dalloc(d, M * K * 4);
	a->f.t = dalloc(d, M * N * 4);
	a->f.w[0] = dalloc(d, N * K * 4);
	a->f.b[0] = dalloc(d, N * 4);
	a->f.dw[0] = dalloc(d, N * K * 4);
	a->f.db[0] = dalloc(d, N * 4);
	a->f.loss_sum = dalloc(d, sizeof(double));
	a->f.lr = LR;
	a->st = dalloc(d, sizeof(struct sb_amp_dev));
	a->x_h = dalloc(d, h * M * K);
	a->w_h[0] = dalloc(d, h * N * K);
	a->b_h[0] = dalloc(d, h * N);
	a->y_h[0] = dalloc(d, h * M * N);
	a->dy_h[0] = dalloc(d, h * M * N);
	a->dw_h[0] = dalloc(d, h * N * K);
	a->db_h[0] = dalloc(d, h * N);
	a->dx_h = dalloc(d, h * M * K);
	a->scratch = dalloc(d, SB_AMP_SCRATCH(N) * 4);
	for (int i = 0; i < d->nblocks; i++)
		if (d->blocks[i] == NULL)
			return -1;
	return 0;
}

/* integer inputs in [-1, 1] (t in [-2, 2]): every value of the step exact */
static void
fill_int(struct sb_hstep_f32 *s, unsigned seed)
{
	unsigned r = seed * 2654435761u + 1;

#define NEXT(lo, span) (r = r * 1103515245u + 12345u,			\
	(float)((int)((r >> 16) % (span)) + (lo)))
	for (int i = 0; i < M * K; i++)
		s->x[i] = NEXT(-1, 3);
	for (int i = 0; i < M * N; i++)
		s->t[i] = NEXT(-2, 5);
	for (int i = 0; i < N * K; i++)
		s->w[0][i] = NEXT(-1, 3);
	for (int i = 0; i < N; i++)
		s->b[0][i] = NEXT(-1, 3);
#undef NEXT
	s->lr = LR;
}

static int
upload(struct dev *d, const struct sb_hstep_f32 *s, struct sb_gpu *g)
{
	struct sb_dstep *f = &d->a.f;

	if (cudaMemcpy(f->x, s->x, M * K * 4, cudaMemcpyHostToDevice) ||
	    cudaMemcpy(f->t, s->t, M * N * 4, cudaMemcpyHostToDevice) ||
	    cudaMemcpy(f->w[0], s->w[0], N * K * 4, cudaMemcpyHostToDevice) ||
	    cudaMemcpy(f->b[0], s->b[0], N * 4, cudaMemcpyHostToDevice))
		return -1;
	if (sb_amp_state_reset(g, d->a.st, &d->a.cfg.scaler))
		return -1;
	return cudaStreamSynchronize(g->stream) == cudaSuccess ? 0 : -1;
}

static int
down(const void *src, enum sb_dtype t, float *dst, int n)
{
	uint16_t tmp[M * K > M * N ? M * K : M * N];

	if (t == SB_DT_F32)
		return cudaMemcpy(dst, src, n * 4, cudaMemcpyDeviceToHost) ==
		    cudaSuccess ? 0 : -1;
	if (cudaMemcpy(tmp, src, n * 2, cudaMemcpyDeviceToHost) != cudaSuccess)
		return -1;
	sb_convert_to_f32(t, tmp, dst, n);
	return 0;
}

static int
same(const float *got, const double *want, int n)
{
	for (int i = 0; i < n; i++)
		if (!((double)got[i] == want[i]))	/* NaN fails */
			return 0;
	return 1;
}

static void
exact(struct sb_gpu *g, const struct sb_hgemm *impl, enum sb_dtype dt,
    int scaled, const char *tag)
{
	struct sb_hstep_f32 in;
	struct sb_hstep_f64 ref;
	struct sb_dims dims;
	struct dev d;
	struct sb_amp_dev st;
	float y[M * N], dy[M * N], dw[N * K], db[N], w[N * K], b[N],
	    dx[M * K];
	double loss_sum;
	char name[512];
	const float scale = scaled ? 1024.0f : 1.0f;
	int ok;

	sb_dims_init(&dims, M, N, K, 1);
	if (sb_hstep_f32_alloc(&in, &dims, 1) ||
	    sb_hstep_f64_alloc(&ref, &dims, 1) ||
	    dev_alloc(&d, dt, scaled, scale)) {
		CHECK("amp-1: allocation", 0);
		return;
	}
	fill_int(&in, 7);
	sb_hstep_widen_inputs(&ref, &in);
	ref_step_f64(&ref, 1, NULL, NULL);
	ok = upload(&d, &in, g) == 0 &&
	    sb_step_amp(g, impl, &d.a, 1, NULL, NULL) == 0 &&
	    cudaStreamSynchronize(g->stream) == cudaSuccess;
	snprintf(name, sizeof(name), "amp-1: %s step runs (%s)", tag, g->err);
	CHECK(name, ok);
	if (!ok)
		goto out;
	ok = down(d.a.y_h[0], dt, y, M * N) == 0 &&
	    down(d.a.dy_h[0], dt, dy, M * N) == 0 &&
	    down(d.a.dx_h, dt, dx, M * K) == 0 &&
	    down(d.a.f.dw[0], SB_DT_F32, dw, N * K) == 0 &&
	    down(d.a.f.db[0], SB_DT_F32, db, N) == 0 &&
	    down(d.a.f.w[0], SB_DT_F32, w, N * K) == 0 &&
	    down(d.a.f.b[0], SB_DT_F32, b, N) == 0 &&
	    cudaMemcpy(&loss_sum, d.a.f.loss_sum, sizeof(loss_sum),
	    cudaMemcpyDeviceToHost) == cudaSuccess &&
	    cudaMemcpy(&st, d.a.st, sizeof(st), cudaMemcpyDeviceToHost) ==
	    cudaSuccess;
	CHECK("amp-1: read back", ok);
	if (!ok)
		goto out;
	for (int i = 0; i < M * N; i++)
		dy[i] /= scale;
	for (int i = 0; i < M * K; i++)
		dx[i] /= scale;
#define EXACT(what, got, want, n) do {					\
	snprintf(name, sizeof(name), "amp-1: %s %s exact", tag, what);	\
	CHECK(name, same(got, want, n));				\
} while (0)
	EXACT("y", y, ref.y[0], M * N);
	EXACT("dy", dy, ref.dy[0], M * N);
	EXACT("dx", dx, ref.dx, M * K);
	EXACT("dw", dw, ref.dw[0], N * K);
	EXACT("db", db, ref.db[0], N);
	EXACT("w", w, ref.w[0], N * K);
	EXACT("b", b, ref.b[0], N);
#undef EXACT
	snprintf(name, sizeof(name), "amp-1: %s loss exact", tag);
	CHECK(name, loss_sum / (M * N) == ref.loss);
	snprintf(name, sizeof(name), "amp-1: %s no overflow, scale used %g",
	    tag, st.scale_used);
	CHECK(name, st.found_inf == 0 && st.scale_used == scale);
out:
	dev_free(&d);
	sb_hstep_f32_free(&in);
	sb_hstep_f64_free(&ref);
}

static void
scaler_path(struct sb_gpu *g, const struct sb_hgemm *impl, const char *tag)
{
	struct sb_hstep_f32 in;
	struct sb_dims dims;
	struct sb_scaler ref;
	struct dev d;
	float w_before[N * K], w_after[N * K];
	char name[512];
	int grew_at = -1;

	sb_dims_init(&dims, M, N, K, 1);
	if (sb_hstep_f32_alloc(&in, &dims, 1) ||
	    dev_alloc(&d, SB_DT_F16, 1, 1024.0f)) {
		CHECK("amp-2: allocation", 0);
		return;
	}
	d.a.cfg.scaler.interval = 3;
	d.a.cfg.inject_at = 2;
	fill_int(&in, 11);
	sb_scaler_init(&ref, &d.a.cfg.scaler);
	if (upload(&d, &in, g)) {
		CHECK("amp-2: upload", 0);
		goto out;
	}
	for (int s = 0; s < 8; s++) {
		struct sb_amp_dev st;
		float before = ref.scale;

		if (down(d.a.f.w[0], SB_DT_F32, w_before, N * K) ||
		    sb_step_amp(g, impl, &d.a, 1, NULL, NULL) ||
		    cudaStreamSynchronize(g->stream) != cudaSuccess ||
		    down(d.a.f.w[0], SB_DT_F32, w_after, N * K) ||
		    cudaMemcpy(&st, d.a.st, sizeof(st),
		    cudaMemcpyDeviceToHost) != cudaSuccess) {
			snprintf(name, sizeof(name), "amp-2: %s step %d runs: "
			    "%s", tag, s, g->err);
			CHECK(name, 0);
			goto out;
		}
		sb_scaler_update(&ref, &d.a.cfg.scaler, st.found_inf);
		snprintf(name, sizeof(name), "amp-2: %s step %d: found_inf %d "
		    "only at the planted step", tag, s, st.found_inf);
		CHECK(name, (st.found_inf != 0) == (s == 2));
		snprintf(name, sizeof(name), "amp-2: %s step %d: device scale "
		    "%g tracker %d = reference %g %d", tag, s, st.scale,
		    st.growth_tracker, ref.scale, ref.growth_tracker);
		CHECK(name, st.scale == ref.scale &&
		    st.growth_tracker == ref.growth_tracker &&
		    st.step == s + 1 && st.scale_used == before);
		snprintf(name, sizeof(name), "amp-2: %s step %d: weights %s",
		    tag, s, s == 2 ? "unchanged (skipped)" : "updated");
		CHECK(name, (memcmp(w_before, w_after, sizeof(w_before)) == 0)
		    == (s == 2));
		if (s == 2) {
			snprintf(name, sizeof(name), "amp-2: %s the overflow "
			    "halves the scale", tag);
			CHECK(name, st.scale == before / 2 &&
			    st.growth_tracker == 0);
		}
		if (st.scale > before && grew_at < 0)
			grew_at = s;
	}
	snprintf(name, sizeof(name), "amp-2: %s growth at the 3rd good step "
	    "after the overflow (step 5), got %d", tag, grew_at);
	CHECK(name, grew_at == 5);
out:
	dev_free(&d);
	sb_hstep_f32_free(&in);
}

static void
graph_path(struct sb_gpu *g, const struct sb_hgemm *impl, const char *tag)
{
	struct sb_hstep_f32 in;
	struct sb_dims dims;
	struct dev d;
	struct sb_amp_dev st_eager, st_graph;
	float w_eager[N * K], w_graph[N * K];
	cudaGraph_t graph = NULL;
	cudaGraphExec_t exec = NULL;
	char name[512];
	int ok;

	sb_dims_init(&dims, M, N, K, 1);
	if (sb_hstep_f32_alloc(&in, &dims, 1) ||
	    dev_alloc(&d, SB_DT_F16, 1, 1024.0f)) {
		CHECK("amp-3: allocation", 0);
		return;
	}
	d.a.cfg.scaler.interval = 2;
	fill_int(&in, 13);
	ok = upload(&d, &in, g) == 0;
	for (int s = 0; ok && s < 4; s++)
		ok = sb_step_amp(g, impl, &d.a, 1, NULL, NULL) == 0;
	ok = ok && cudaStreamSynchronize(g->stream) == cudaSuccess &&
	    down(d.a.f.w[0], SB_DT_F32, w_eager, N * K) == 0 &&
	    cudaMemcpy(&st_eager, d.a.st, sizeof(st_eager),
	    cudaMemcpyDeviceToHost) == cudaSuccess && upload(&d, &in, g) == 0;
	snprintf(name, sizeof(name), "amp-3: %s eager steps (%s)", tag,
	    g->err);
	CHECK(name, ok);
	if (!ok)
		goto out;
	/* global mode: any synchronising call in the step fails the capture */
	ok = cudaStreamBeginCapture(g->stream, cudaStreamCaptureModeGlobal) ==
	    cudaSuccess;
	ok = ok && sb_step_amp(g, impl, &d.a, 1, NULL, NULL) == 0;
	ok = cudaStreamEndCapture(g->stream, &graph) == cudaSuccess && ok;
	snprintf(name, sizeof(name), "amp-3: %s the step, scaler included, "
	    "captures into a graph (%s)", tag, g->err);
	CHECK(name, ok);
	if (!ok)
		goto out;
	ok = cudaGraphInstantiate(&exec, graph, 0) == cudaSuccess;
	for (int s = 0; ok && s < 4; s++)
		ok = cudaGraphLaunch(exec, g->stream) == cudaSuccess;
	ok = ok && cudaStreamSynchronize(g->stream) == cudaSuccess &&
	    down(d.a.f.w[0], SB_DT_F32, w_graph, N * K) == 0 &&
	    cudaMemcpy(&st_graph, d.a.st, sizeof(st_graph),
	    cudaMemcpyDeviceToHost) == cudaSuccess;
	snprintf(name, sizeof(name), "amp-3: %s 4 replays = 4 eager steps "
	    "(scale %g/%g, step %d/%d)", tag, ok ? st_graph.scale : -1,
	    st_eager.scale, ok ? st_graph.step : -1, st_eager.step);
	CHECK(name, ok && memcmp(w_eager, w_graph, sizeof(w_eager)) == 0 &&
	    st_graph.scale == st_eager.scale &&
	    st_graph.growth_tracker == st_eager.growth_tracker &&
	    st_graph.step == 4 && st_eager.step == 4);
out:
	if (exec != NULL)
		cudaGraphExecDestroy(exec);
	if (graph != NULL)
		cudaGraphDestroy(graph);
	dev_free(&d);
	sb_hstep_f32_free(&in);
}

int
main(void)
{
	struct sb_gpu g;
	int count = 0, cc, dev;

	if (cudaGetDeviceCount(&count) != cudaSuccess || count == 0) {
		printf("test_amp_gpu: skipped: no GPU\n");
		cudaGetLastError();
		return 77;
	}
	memset(&g, 0, sizeof(g));
	if (cudaGetDevice(&dev) != cudaSuccess ||
	    cudaDeviceGetAttribute(&cc, cudaDevAttrComputeCapabilityMajor,
	    dev) != cudaSuccess ||
	    cudaStreamCreate(&g.stream) != cudaSuccess ||
	    sb_gpu_blas_init(&g) != 0) {
		fprintf(stderr, "test_amp_gpu: GPU set-up failed: %s\n", g.err);
		return 1;
	}
	cc *= 10;
	{
		int minor = 0;

		cudaDeviceGetAttribute(&minor,
		    cudaDevAttrComputeCapabilityMinor, dev);
		cc += minor;
	}
	for (int i = 0; sb_hgemms[i] != NULL; i++) {
		const struct sb_hgemm *impl = sb_hgemms[i];
		char tag[64];

		if (cc < impl->min_cc) {
			printf("test_amp_gpu: %s needs cc %d, skipped\n",
			    impl->name, impl->min_cc);
			continue;
		}
		snprintf(tag, sizeof(tag), "%s.fp16amp", impl->name);
		exact(&g, impl, SB_DT_F16, 1, tag);
		snprintf(tag, sizeof(tag), "%s.bf16amp", impl->name);
		exact(&g, impl, SB_DT_BF16, 0, tag);
		snprintf(tag, sizeof(tag), "%s.fp16amp", impl->name);
		scaler_path(&g, impl, tag);
		graph_path(&g, impl, tag);
	}
	CHECK("amp-all: the build has half GEMMs", sb_hgemms[0] != NULL);
	sb_gpu_blas_fini(&g);
	cudaStreamDestroy(g.stream);
	return check_summary("test_amp_gpu");
}
