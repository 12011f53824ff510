/*
 * kernels/ref_step_impl.h — the body of the host step, included by
 * ref_step.c once per element type.  Define T (float or double), HSTEP (the
 * matching struct) and FN(name) (name-mangling) before including.
 *
 * Loop orders are chosen for unit-stride inner loops: the forward GEMM is a
 * row-by-row dot product (X and W are both K-contiguous), the two backward
 * GEMMs are rank-1 updates (axpy over a contiguous row).
 */

static void
FN(linear_fwd)(const T *in, const T *w, const T *b, T *y, int64_t m,
    int64_t n, int64_t k)
{
	/* in is (m,k), w is (n,k), b is (n), y is (m,n) */
	for (int64_t i = 0; i < m; i++) {
		const T *row = in + i * k;
		for (int64_t j = 0; j < n; j++) {
			const T *wr = w + j * k;
			T acc = 0;
			for (int64_t p = 0; p < k; p++)
				acc += row[p] * wr[p];
			y[i * n + j] = acc + b[j];
		}
	}
}

static double
FN(mse_loss_grad)(const T *y, const T *t, T *dy, int64_t count)
{
	/* y, t, dy are (count); returns mean((y - t)^2), dy = 2 (y - t) / count */
	double sum = 0;
	T scale = (T)2 / (T)count;

	for (int64_t i = 0; i < count; i++) {
		T diff = y[i] - t[i];
		sum += (double)diff * (double)diff;
		dy[i] = scale * diff;
	}
	return sum / (double)count;
}

static void
FN(linear_wgrad)(const T *dy, const T *in, T *dw, T *db, int64_t m,
    int64_t n, int64_t k)
{
	/* dy is (m,n), in is (m,k); dw = dy^T · in is (n,k), db = Σ_m dy is (n) */
	for (int64_t j = 0; j < n * k; j++)
		dw[j] = 0;
	for (int64_t j = 0; j < n; j++)
		db[j] = 0;
	for (int64_t i = 0; i < m; i++) {
		const T *g = dy + i * n;
		const T *row = in + i * k;
		for (int64_t j = 0; j < n; j++) {
			T a = g[j];
			T *out = dw + j * k;
			for (int64_t p = 0; p < k; p++)
				out[p] += a * row[p];
			db[j] += a;
		}
	}
}

static void
FN(linear_dgrad)(const T *dy, const T *w, T *dx, int64_t m, int64_t n,
    int64_t k)
{
	/* dy is (m,n), w is (n,k); dx = dy · w is (m,k) */
	for (int64_t i = 0; i < m; i++) {
		T *out = dx + i * k;
		for (int64_t p = 0; p < k; p++)
			out[p] = 0;
		for (int64_t j = 0; j < n; j++) {
			T a = dy[i * n + j];
			const T *wr = w + j * k;
			for (int64_t p = 0; p < k; p++)
				out[p] += a * wr[p];
		}
	}
}

static void
FN(sgd)(T *p, const T *g, int64_t count, T lr)
{
	for (int64_t i = 0; i < count; i++)
		p[i] -= lr * g[i];
}

void
FN(ref_step)(struct HSTEP *s, int train, sb_phase_fn phase, void *ctx)
{
	const struct sb_dims *d = &s->d;
	int L = d->layers;
	int64_t m = d->m;

#define MARK(ph) do { if (phase != NULL) phase(ctx, (ph)); } while (0)
	MARK(SB_PH_FORWARD);
	for (int l = 0; l < L; l++) {
		const T *in = l == 0 ? s->x : s->y[l - 1];
		FN(linear_fwd)(in, s->w[l], s->b[l], s->y[l], m, d->width[l + 1],
		    d->width[l]);
	}
	if (!train) {
		MARK(SB_PH_END);
		return;
	}

	MARK(SB_PH_LOSS);
	s->loss = FN(mse_loss_grad)(s->y[L - 1], s->t, s->dy[L - 1],
	    m * d->width[L]);

	for (int l = L - 1; l >= 0; l--) {
		int64_t n = d->width[l + 1], k = d->width[l];
		const T *in = l == 0 ? s->x : s->y[l - 1];

		MARK(SB_PH_WGRAD);
		FN(linear_wgrad)(s->dy[l], in, s->dw[l], s->db[l], m, n, k);
		T *dx = l == 0 ? s->dx : s->dy[l - 1];
		if (dx != NULL) {
			MARK(SB_PH_DGRAD);
			FN(linear_dgrad)(s->dy[l], s->w[l], dx, m, n, k);
		}
	}

	MARK(SB_PH_SGD);
	for (int l = 0; l < L; l++) {
		FN(sgd)(s->w[l], s->dw[l], d->width[l + 1] * d->width[l], s->lr);
		FN(sgd)(s->b[l], s->db[l], d->width[l + 1], s->lr);
	}
	MARK(SB_PH_END);
#undef MARK
}
