/*
 * harness/stats.h — the summary of a set of timing samples.
 * Percentiles interpolate linearly between order statistics (numpy's
 * default), cv is the sample standard deviation over the mean.
 */
#ifndef SB_HARNESS_STATS_H
#define SB_HARNESS_STATS_H

#include <stddef.h>

struct sb_stats {
	size_t	n;
	double	median, mean, min, max, p10, p90;
	double	stdev, cv;	/* sample stdev (n-1); 0 when n < 2 */
};

/* Summarises x[0..n); x is not modified.  n = 0 gives all-NaN. */
void	sb_stats_compute(const double *x, size_t n, struct sb_stats *);
/* The q-quantile (0..1) of sorted[0..n). */
double	sb_quantile_sorted(const double *sorted, size_t n, double q);
/* Median of x[0..n) (not modified); NaN when n = 0. */
double	sb_median(const double *x, size_t n);

#endif
