/* harness/ddp.c — data-parallel arithmetic (see ddp.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddp.h"

int
sb_ddp_buckets(struct sb_ddp_plan *p, const struct sb_dims *d,
    size_t elem_bytes, double cap_bytes, double first_cap_bytes, char *err,
    size_t errlen)
{
	double cap, open_bytes = 0;
	struct sb_ddp_bucket *b = NULL;

	memset(p, 0, sizeof(*p));
	if (d->layers < 1 || d->layers > SB_MAX_LAYERS) {
		snprintf(err, errlen, "layers %d: must be 1..%d", d->layers,
		    SB_MAX_LAYERS);
		return -1;
	}
	if (elem_bytes != 2 && elem_bytes != 4) {
		snprintf(err, errlen, "gradient element size %zu bytes: "
		    "must be 4 (f32) or 2 (f16, bf16)", elem_bytes);
		return -1;
	}
	if (!(cap_bytes > 0) || !(first_cap_bytes > 0) ||
	    isinf(cap_bytes) || isinf(first_cap_bytes)) {
		snprintf(err, errlen, "bucket caps %g and %g bytes (first): "
		    "both must be positive and finite", cap_bytes,
		    first_cap_bytes);
		return -1;
	}

	/* parameters in reverse registration order: bias before weight */
	for (int l = d->layers - 1; l >= 0; l--) {
		p->params[p->nparams++] = (struct sb_ddp_param){ l, 1,
		    d->width[l + 1] };
		p->params[p->nparams++] = (struct sb_ddp_param){ l, 0,
		    d->width[l + 1] * d->width[l] };
	}

	cap = first_cap_bytes;
	for (int i = 0; i < p->nparams; i++) {
		if (b == NULL) {
			b = &p->buckets[p->nbuckets++];
			b->first = i;
			open_bytes = 0;
		}
		b->nparams++;
		b->count += p->params[i].count;
		b->bytes += (size_t)p->params[i].count * elem_bytes;
		b->ready_layer = p->params[i].layer;
		open_bytes += (double)p->params[i].count * (double)elem_bytes;
		if (open_bytes >= cap) {
			b = NULL;
			cap = cap_bytes;
		}
	}
	return 0;
}

void
sb_ddp_ready(const struct sb_ddp_plan *p, int layer, int *lo, int *hi)
{
	/* ready_layer never grows along the buckets: those of this layer
	 * are one run */
	*lo = *hi = 0;
	for (int i = 0; i < p->nbuckets; i++)
		if (p->buckets[i].ready_layer == layer) {
			if (*hi == *lo)
				*lo = i;
			*hi = i + 1;
		}
}

int
sb_ddp_shard(int64_t m, int world, int rank, int64_t *row0, int64_t *rows,
    char *err, size_t errlen)
{
	if (world < 1 || rank < 0 || rank >= world) {
		snprintf(err, errlen, "rank %d of world %d: the rank must be "
		    "0..world-1 and the world at least 1", rank, world);
		return -1;
	}
	if (m < world || m % world != 0) {
		int64_t lo = m / world * world, hi = lo + world;

		if (lo < world)
			snprintf(err, errlen, "batch %lld does not split over "
			    "world %d: each rank needs the same number of rows "
			    "(at least 1); use a batch that is a multiple of %d "
			    "(e.g. %lld), or a world that divides %lld",
			    (long long)m, world, world, (long long)hi,
			    (long long)m);
		else
			snprintf(err, errlen, "batch %lld does not split "
			    "evenly over world %d: each rank needs the same "
			    "number of rows (DDP averages per-rank means); use "
			    "a batch that is a multiple of %d (%lld or %lld), "
			    "or a world that divides %lld", (long long)m,
			    world, world, (long long)lo, (long long)hi,
			    (long long)m);
		return -1;
	}
	*rows = m / world;
	*row0 = *rows * rank;
	return 0;
}

double
sb_algbw_gbps(double bytes, double us)
{
	if (!(us > 0) || isnan(bytes))
		return NAN;
	return bytes / (us * 1e-6) / 1e9;
}

double
sb_busbw_gbps(double bytes, double us, int world)
{
	double a = sb_algbw_gbps(bytes, us);

	if (isnan(a) || world < 1)
		return NAN;
	return a * 2.0 * (world - 1) / world;
}

void
sb_overlap_of(double wall_us, double compute_us, double comm_us,
    struct sb_overlap *o)
{
	double ov;

	o->exposed_us = wall_us - compute_us;
	if (o->exposed_us < 0)
		o->exposed_us = 0;
	o->overhead = compute_us > 0 ? (wall_us - compute_us) / compute_us :
	    NAN;
	if (!(comm_us > 0) || isnan(wall_us) || isnan(compute_us)) {
		o->overlap = NAN;
		return;
	}
	ov = (compute_us + comm_us - wall_us) / comm_us;
	o->overlap = ov < 0 ? 0 : ov > 1 ? 1 : ov;
}

static int
cmp_start(const void *a, const void *b)
{
	const struct sb_interval *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* The length of the union of n intervals (sorted in place). */
static double
union_len(struct sb_interval *v, int n)
{
	double len = 0, s, e;

	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_start);
	s = v[0].start;
	e = v[0].end;
	for (int i = 1; i < n; i++) {
		if (v[i].start > e) {
			len += e - s;
			s = v[i].start;
			e = v[i].end;
		} else if (v[i].end > e)
			e = v[i].end;
	}
	return len + (e - s);
}

void
sb_overlap_of_intervals(const struct sb_interval *compute, int ncompute,
    const struct sb_interval *comm, int ncomm, struct sb_overlap *o,
    double *compute_len, double *comm_len, double *wall_len)
{
	struct sb_interval *all;
	double cl, ml, wl;
	int n = ncompute + ncomm;

	all = malloc((n > 0 ? n : 1) * sizeof(*all));
	if (all == NULL) {
		cl = ml = wl = NAN;
	} else {
		/* empty or reversed intervals count for nothing */
		int k = 0;

		for (int i = 0; i < ncompute; i++)
			if (compute[i].end > compute[i].start)
				all[k++] = compute[i];
		cl = union_len(all, k);
		k = 0;
		for (int i = 0; i < ncomm; i++)
			if (comm[i].end > comm[i].start)
				all[k++] = comm[i];
		ml = union_len(all, k);
		k = 0;
		for (int i = 0; i < ncompute; i++)
			if (compute[i].end > compute[i].start)
				all[k++] = compute[i];
		for (int i = 0; i < ncomm; i++)
			if (comm[i].end > comm[i].start)
				all[k++] = comm[i];
		wl = union_len(all, k);
		free(all);
	}
	sb_overlap_of(wl, cl, ml, o);
	if (compute_len != NULL)
		*compute_len = cl;
	if (comm_len != NULL)
		*comm_len = ml;
	if (wall_len != NULL)
		*wall_len = wl;
}
