/*
 * profiler/cupti_agg.c — traced CUPTI records into per-step rows (see
 * cupti_agg.h for the invariants); plain C, no CUDA.
 */
#define _POSIX_C_SOURCE 200809L	/* strdup */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cupti_agg.h"

int
prof_trace_add_rec(struct prof_cupti_trace *t, const struct prof_cupti_rec *r)
{
	struct prof_cupti_rec *n;

	if (t->nrec == t->caprec) {
		int cap = t->caprec > 0 ? 2 * t->caprec : 256;

		if ((n = realloc(t->rec, (size_t)cap * sizeof(*n))) == NULL)
			return -1;
		t->rec = n;
		t->caprec = cap;
	}
	n = &t->rec[t->nrec];
	*n = *r;
	n->phase = -1;
	/* CUPTI owns the strings of its records: keep a copy */
	if ((n->name = strdup(r->name != NULL ? r->name : "")) == NULL)
		return -1;
	t->nrec++;
	return 0;
}

int
prof_trace_add_ext(struct prof_cupti_trace *t, uint32_t correlation, int kind,
    uint64_t id)
{
	if (t->next == t->capext) {
		int cap = t->capext > 0 ? 2 * t->capext : 256;
		struct prof_cupti_ext *n;

		if ((n = realloc(t->ext, (size_t)cap * sizeof(*n))) == NULL)
			return -1;
		t->ext = n;
		t->capext = cap;
	}
	t->ext[t->next].correlation = correlation;
	t->ext[t->next].kind = kind;
	t->ext[t->next].id = id;
	t->next++;
	return 0;
}

void
prof_trace_free(struct prof_cupti_trace *t)
{
	for (int i = 0; i < t->nrec; i++)
		free(t->rec[i].name);
	free(t->rec);
	free(t->ext);
	memset(t, 0, sizeof(*t));
}

static int
cmp_ext(const void *a, const void *b)
{
	const struct prof_cupti_ext *x = a, *y = b;

	if (x->correlation != y->correlation)
		return x->correlation < y->correlation ? -1 : 1;
	return (x->kind > y->kind) - (x->kind < y->kind);
}

void
prof_trace_correlate(struct prof_cupti_trace *t)
{
	if (t->next > 1)
		qsort(t->ext, (size_t)t->next, sizeof(*t->ext), cmp_ext);
	for (int i = 0; i < t->nrec; i++) {
		struct prof_cupti_rec *r = &t->rec[i];
		int lo = 0, hi = t->next;

		r->phase = -1;
		/* the first ext of this correlation id, by bisection */
		while (lo < hi) {
			int mid = lo + (hi - lo) / 2;

			if (t->ext[mid].correlation < r->correlation)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; lo < t->next && t->ext[lo].correlation ==
		    r->correlation; lo++)
			if (t->ext[lo].kind == PROF_EXT_PHASE &&
			    t->ext[lo].id > 0) {
				r->phase = (int)(t->ext[lo].id - 1);
				break;
			}
	}
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double
prof_median(double *v, int n)
{
	if (n <= 0)
		return NAN;
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* A record's place in its step: sorted by start, then by enqueue order. */
struct slot {
	uint64_t	 start_ns;
	uint32_t	 correlation;
	int		 rec;
};

static int
cmp_slot(const void *a, const void *b)
{
	const struct slot *x = a, *y = b;

	if (x->start_ns != y->start_ns)
		return x->start_ns < y->start_ns ? -1 : 1;
	return (x->correlation > y->correlation) -
	    (x->correlation < y->correlation);
}

static double
dur_us(const struct prof_cupti_rec *r)
{
	return r->end_ns > r->start_ns ? (double)(r->end_ns - r->start_ns) /
	    1e3 : 0;
}

int
prof_cupti_aggregate(const struct prof_cupti_trace *t, const uint64_t *win_ns,
    int steps, int drop_flush, struct prof_cupti_agg *out)
{
	struct slot *sl = NULL;
	int *off = NULL, rep = -1, n = 0;
	double *sums = NULL, *d = NULL;

	memset(out, 0, sizeof(*out));
	out->steps = steps;
	out->kernel_us = NAN;
	if (steps <= 0)
		return 0;
	sl = calloc((size_t)t->nrec + 1, sizeof(*sl));
	off = calloc((size_t)steps + 1, sizeof(*off));
	sums = calloc((size_t)steps, sizeof(*sums));
	d = calloc((size_t)steps, sizeof(*d));
	out->per_step = calloc((size_t)steps, sizeof(*out->per_step));
	if (sl == NULL || off == NULL || sums == NULL || d == NULL ||
	    out->per_step == NULL)
		goto oom;

	/* group: sl[off[s] .. off[s+1]) are step s's records */
	for (int s = 0; s < steps; s++) {
		int first = n, flush = -1;

		off[s] = n;
		for (int i = 0; i < t->nrec; i++) {
			const struct prof_cupti_rec *r = &t->rec[i];

			/* half-open windows: a record on a shared edge
			 * counts once, and sl (nrec slots) cannot overflow */
			if (r->start_ns < win_ns[2 * s] ||
			    r->start_ns >= win_ns[2 * s + 1] || n >= t->nrec)
				continue;
			sl[n].start_ns = r->start_ns;
			sl[n].correlation = r->correlation;
			sl[n].rec = i;
			if (flush < 0 || r->correlation <
			    sl[flush].correlation)
				flush = n;
			n++;
		}
		if (drop_flush && flush >= 0 &&
		    t->rec[sl[flush].rec].kind == PROF_REC_MEMSET) {
			sl[flush] = sl[--n];
			out->flush_dropped++;
		}
		qsort(&sl[first], (size_t)(n - first), sizeof(*sl), cmp_slot);
		out->per_step[s] = n - first;
		if (out->per_step[s] > out->launches)
			out->launches = out->per_step[s];
		for (int j = first; j < n; j++)
			sums[s] += dur_us(&t->rec[sl[j].rec]);
		if (n > first)
			rep = s;
	}
	off[steps] = n;
	/* the windows are half-open and disjoint, so what no window took
	 * is stray */
	out->stray = t->nrec - n - out->flush_dropped;
	out->kernel_us = prof_median(sums, steps);

	if (rep >= 0) {
		int cnt = off[rep + 1] - off[rep];
		const struct prof_cupti_rec *r0 = &t->rec[sl[off[rep]].rec];

		if ((out->rows = calloc((size_t)cnt, sizeof(*out->rows))) ==
		    NULL)
			goto oom;
		out->nrows = cnt;
		for (int j = 0; j < cnt; j++) {
			const struct prof_cupti_rec *r =
			    &t->rec[sl[off[rep] + j].rec];
			int nd = 0;

			for (int s = 0; s < steps; s++)
				if (off[s] + j < off[s + 1])
					d[nd++] = dur_us(
					    &t->rec[sl[off[s] + j].rec]);
			out->rows[j].rec = r;
			out->rows[j].duration_us = prof_median(d, nd);
			out->rows[j].start_us = (double)(r->start_ns -
			    r0->start_ns) / 1e3;
		}
	}
	free(sl);
	free(off);
	free(sums);
	free(d);
	return 0;
oom:
	free(sl);
	free(off);
	free(sums);
	free(d);
	prof_cupti_agg_free(out);
	return -1;
}

void
prof_cupti_agg_free(struct prof_cupti_agg *a)
{
	free(a->per_step);
	free(a->rows);
	memset(a, 0, sizeof(*a));
}

/* Which tool an injection library belongs to, from its path: the
 * library's name first, since installs nest (the nsys seen on the test
 * machines lives in nsight-compute/.../host and injects
 * libToolsInjection64.so). */
static const char *
tool_of_path(const char *path)
{
	static const struct {
		const char	*needle;
		const char	*tool;
	} known[] = {
		{ "ToolsInjection", "nsys" },
		{ "TreeLauncher", "ncu" },
		{ "InterceptorInjection", "ncu" },
		{ "Sanitizer", "compute-sanitizer" },
		{ "nsight-systems", "nsys" },
		{ "nsight-compute", "ncu" },
		{ "compute-sanitizer", "compute-sanitizer" },
	};

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strstr(path, known[i].needle) != NULL)
			return known[i].tool;
	return NULL;
}

const char *
prof_tool_attached(char *(*get)(const char *), char *buf, size_t len)
{
	const char *v, *tool;

	if ((v = get("STEPBENCH_PROFILE")) != NULL && *v != '\0') {
		if (strcmp(v, "ncu") == 0 || strcmp(v, "nsys") == 0)
			snprintf(buf, len, "%s", v);
		else
			snprintf(buf, len, "a profiler (STEPBENCH_PROFILE=%s)",
			    v);
		return buf;
	}
	/* seen on the test machines (CUDA 13): nsys 2025 sets the session id
	 * and CUDA_INJECTION64_PATH; ncu 2025.3 sets neither, but its
	 * perfworks directory and launch token */
	if ((v = get("NSYS_PROFILING_SESSION_ID")) != NULL && *v != '\0') {
		snprintf(buf, len, "nsys");
		return buf;
	}
	if (((v = get("NV_COMPUTE_PROFILER_PERFWORKS_DIR")) != NULL &&
	    *v != '\0') || ((v = get("NV_TPS_LAUNCH_TOKEN")) != NULL &&
	    *v != '\0')) {
		snprintf(buf, len, "ncu");
		return buf;
	}
	if ((v = get("CUDA_INJECTION64_PATH")) != NULL && *v != '\0') {
		const char *base = strrchr(v, '/');

		if ((tool = tool_of_path(v)) != NULL)
			snprintf(buf, len, "%s", tool);
		else
			snprintf(buf, len, "a CUDA injection tool "
			    "(CUDA_INJECTION64_PATH=%s)", base != NULL ?
			    base + 1 : v);
		return buf;
	}
	if ((v = get("NV_NSIGHT_INJECTION_TRANSPORT_TYPE")) != NULL &&
	    *v != '\0') {
		snprintf(buf, len, "an Nsight tool");
		return buf;
	}
	return NULL;
}
