/*
 * profiler/ncu_csv.h — Nsight Compute's raw page as CSV, parsed: what
 * `ncu --import REPORT --page raw --csv --print-units base` prints.  Pure
 * C, no CUDA; `stepbench profile ncu` (harness/cmd_profile.c) imports it.
 *
 * The format, as ncu 2025.3 writes it:
 *
 *   ==PROF== ...                      (any lines before the header: skipped)
 *   "ID","Process ID","Process Name","Host Name","Kernel Name","Context",
 *     "Stream","Block Size","Grid Size","Device","CC","metric__a.sum",...
 *   "","","","","","","","","","","","nsecond",...     (units; optional)
 *   "0","4242","stepbench","h","gemm_f32(...)","1","13","(256, 1, 1)",
 *     "(16, 16, 1)","0","9.0","1,234.5",...            (one row per launch)
 *
 * Every cell may be quoted (a doubled quote inside is one quote); kernel
 * names carry commas, parentheses and quotes; numbers may carry thousands
 * separators ("1,234.5").  The identity columns (ID ... CC) are read into
 * struct ncu_launch; every other column is a metric.  A metric cell that
 * is empty holds nothing (no value); one that is not a number ("n/a",
 * "(128, 1, 1)") is kept as text.
 *
 * Points: `stepbench profile` runs the sweep with STEPBENCH_PROFILE set,
 * and the engine then launches the marker kernel (kernels/marker.h) with
 * grid (point_idx + 1, 1, 1) at the start of each point's capture window.
 * ncu_csv_link() gives every launch after a marker of grid N the point
 * N - 1; launches before the first marker get -1.  Marker launches are
 * not metrics of the sweep, and ncu_csv_foreach() leaves them out.
 */
#ifndef SB_PROFILER_NCU_CSV_H
#define SB_PROFILER_NCU_CSV_H

#include <stddef.h>
#include <stdint.h>

/* The kernel's name as ncu reports it (extern "C": never mangled). */
#define NCU_MARKER_KERNEL	"sb_profile_marker_kernel"

struct ncu_csv;

/* One metric cell of a launch. */
struct ncu_value {
	int		 metric;	/* ncu_csv_metric(p, metric) */
	double		 value;		/* NaN when text != NULL */
	const char	*text;		/* the cell, if not a number */
};

/* One row: one kernel launch the tool profiled. */
struct ncu_launch {
	int64_t		 id;		/* "ID": the launch order */
	const char	*kernel;	/* "Kernel Name" */
	int64_t		 grid[3];	/* "Grid Size"; 0 = unknown */
	int64_t		 block[3];	/* "Block Size" */
	int64_t		 stream;	/* "Stream"; -1 = unknown */
	int		 line;		/* in the text, from 1 */
	int		 marker;	/* a marker launch (ncu_csv_link) */
	int		 point_idx;	/* ncu_csv_link; -1 = none */
	int		 nvalues;
	struct ncu_value *values;
};

/* One metric of one launch, flattened: what ncu_csv_foreach() hands out. */
struct ncu_row {
	const struct ncu_launch *launch;	/* id, kernel, grid, ... */
	int		 point_idx;
	const char	*metric;	/* e.g. "gpu__time_duration.sum" */
	const char	*unit;		/* NULL: none given */
	double		 value;		/* NaN when text != NULL */
	const char	*text;
};

/*
 * Parses text (len bytes; need not end in NUL).  Returns 0 and *out, or
 * -1 with err naming the line and what is wrong: no header line (one
 * that starts with "ID" and has a "Kernel Name" column: was the CSV made
 * with --page raw --csv?), an unterminated quote, a row with more or
 * fewer cells than the header, an ID that is not an integer.  Nothing
 * needs freeing after a failure.
 */
int	ncu_csv_parse(struct ncu_csv **out, const char *text, size_t len,
	    char *err, size_t errlen);
void	ncu_csv_free(struct ncu_csv *);

int	ncu_csv_nmetrics(const struct ncu_csv *);
const char *ncu_csv_metric(const struct ncu_csv *, int i);
/* The metric's unit from the units row; NULL when none (or no row). */
const char *ncu_csv_unit(const struct ncu_csv *, int i);
int	ncu_csv_nlaunches(const struct ncu_csv *);
const struct ncu_launch *ncu_csv_launch(const struct ncu_csv *, int i);

/*
 * Marks marker launches (kernel named marker, alone or followed by its
 * parameter list "(...)") and gives every launch its point_idx as above.
 * Returns the number of markers, or -1 with err set if a marker's grid
 * is not (N, 1, 1) with N >= 1.  points receives the number of distinct
 * points that have at least one non-marker launch (may be NULL).
 */
int	ncu_csv_link(struct ncu_csv *, const char *marker, int *points,
	    char *err, size_t errlen);

/* 1 if a kernel named name is the marker: marker alone, or followed by
 * its parameter list, maybe after "void " (nsys's names too). */
int	ncu_csv_is_marker(const char *name, const char *marker);

/* 1 if metric is a property of the device or the profiler rather than of
 * a launch (device__attribute_*, nvlink__*, c2clink__*, numa__*,
 * profiler__*): ncu's raw page repeats them for every kernel, and on the
 * H200 they were 80 % of the cells (3667 of 4807). */
int	ncu_metric_per_device(const char *metric);

/* Calls fn for every metric cell of every launch that is not a marker,
 * launch by launch in the text's order, metrics in column order; stops
 * at, and returns, fn's first non-zero return.  Empty cells are skipped. */
int	ncu_csv_foreach(const struct ncu_csv *, int (*fn)(const struct
	    ncu_row *, void *), void *ctx);

/* "1,234.5" -> 1234.5: a number with optional thousands separators.
 * Returns 0, or -1 if s is not wholly one finite number. */
int	ncu_csv_number(const char *s, double *out);
/* "(16, 16, 1)" -> {16, 16, 1}; also "16". Returns 0 or -1. */
int	ncu_csv_dim3(const char *s, int64_t out[3]);

#endif
