/* harness/stats.c — sample summaries (see stats.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

static int	cmp_double(const void *, const void *);

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double
sb_quantile_sorted(const double *s, size_t n, double q)
{
	double pos, frac;
	size_t lo;

	if (n == 0)
		return NAN;
	if (q <= 0)
		return s[0];
	if (q >= 1)
		return s[n - 1];
	pos = q * (double)(n - 1);
	lo = (size_t)pos;
	frac = pos - (double)lo;
	if (lo + 1 >= n)
		return s[n - 1];
	return s[lo] + frac * (s[lo + 1] - s[lo]);
}

void
sb_stats_compute(const double *x, size_t n, struct sb_stats *st)
{
	double *s, sum = 0, ss = 0;

	memset(st, 0, sizeof(*st));
	st->n = n;
	if (n == 0 || (s = malloc(n * sizeof(*s))) == NULL) {
		st->median = st->mean = st->min = st->max = NAN;
		st->p10 = st->p90 = st->stdev = st->cv = NAN;
		return;
	}
	memcpy(s, x, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	for (size_t i = 0; i < n; i++)
		sum += s[i];
	st->mean = sum / (double)n;
	for (size_t i = 0; i < n; i++)
		ss += (s[i] - st->mean) * (s[i] - st->mean);
	st->stdev = n > 1 ? sqrt(ss / (double)(n - 1)) : 0;
	st->cv = st->mean > 0 ? st->stdev / st->mean : 0;
	st->min = s[0];
	st->max = s[n - 1];
	st->median = sb_quantile_sorted(s, n, 0.5);
	st->p10 = sb_quantile_sorted(s, n, 0.1);
	st->p90 = sb_quantile_sorted(s, n, 0.9);
	free(s);
}

double
sb_median(const double *x, size_t n)
{
	struct sb_stats st;

	sb_stats_compute(x, n, &st);
	return st.median;
}
