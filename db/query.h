/*
 * db/query.h — the read-only queries behind the dashboard's JSON/CSV API.
 *
 * Every query returns a table: a JSON array of flat objects (one per row,
 * keys = column names, SQL NULL = null, numbers as numbers), or the same
 * rows as CSV (a header row, RFC 4180 quoting, NULL = empty field, CRLF).
 * The text is malloc'ed into *out (NUL-terminated, *len bytes without the
 * NUL); the caller frees it.  Responses are bounded: a query stops after
 * its row limit and then the JSON/CSV simply has that many rows.
 *
 * Return: 0; DB_NOTFOUND when a run id named in args does not exist (the
 * caller answers 404); -1 with db_errmsg() on any other failure.
 * Nothing here writes; it works on a DB_OPEN_READONLY handle while another
 * process writes (WAL).
 */
#ifndef SB_DB_QUERY_H
#define SB_DB_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"

enum db_fmt { DB_FMT_JSON, DB_FMT_CSV };

enum db_query {
	/* args: none.  Every run, newest first:
	 * id, uuid, label, note, device, host, status, started_at, ended_at,
	 * planned_points, done_points, ok_points, skipped_points,
	 * failed_points (mismatch + failed), git_rev, git_dirty */
	DB_Q_RUNS,
	/* args: run id.  One row: the DB_Q_RUNS columns plus argv (JSON text
	 * of the command line), pid, env_json (the environment record, JSON
	 * text: parse it client-side) */
	DB_Q_RUN,
	/* args: run id.  A row per result, by point_idx (limit 20000):
	 * point_idx, variant, mode, precision, impl, m, n, k, layers, world,
	 * graph, l2_flush, input_grad, status, reason, nsamples, reps,
	 * median_us, mean_us, p10_us, p90_us, min_us, max_us, cv,
	 * stop_reason, flops, bytes, tflops, gbps, peak_tflops, peak_gbps,
	 * over_peak, err_y, err_loss, err_dw, err_db, err_dx, err_w, tol,
	 * check_mode, err_recheck, loss, nsteps */
	DB_Q_RESULTS,
	/* args: run id.  Each ok result against the library baseline of the
	 * same run at the same mode, precision, m, n, k, layers, world, graph
	 * (impl 'cublaslt' if present, else 'cublas'); rows only where a
	 * baseline exists: point_idx, variant, mode, precision, impl, m, n,
	 * k, layers, graph, tflops, median_us, baseline_variant,
	 * baseline_median_us, pct_of_baseline (100 · baseline_median_us /
	 * median_us) */
	DB_Q_BASELINE,
	/* args: run id.  A row per (result, phase): point_idx, variant, m, n,
	 * k, layers, graph, phase, median_us; phases in step order (forward,
	 * loss, backward.wgrad, backward.dgrad, sgd, then any other by name) */
	DB_Q_PHASES,
	/* args: run id.  Loss curves: point_idx, variant, m, n, k, layers,
	 * step, loss, lr; each curve downsampled to at most 500 steps (every
	 * ceil(nsteps/500)-th step, the last step always kept); limit 50000
	 * rows */
	DB_Q_CURVES,
	/* args: run a, run b.  Points present in both (matched on variant, m,
	 * n, k, layers, world, graph, input_grad), ok in both:
	 * variant, m, n, k, layers, world, graph, a_median_us, b_median_us,
	 * a_p10_us, a_p90_us, b_p10_us, b_p90_us, a_cv, b_cv,
	 * speedup (a_median_us / b_median_us: > 1 means b is faster),
	 * verdict: 'faster' (b's p90 < a's p10), 'slower' (b's p10 > a's p90),
	 * 'same' (|speedup - 1| <= max(0.01, 2·max(a_cv, b_cv)) and the
	 * p10..p90 ranges overlap), else 'unclear' */
	DB_Q_COMPARE,
	/* args: run a, run b.  The environment keys whose values differ
	 * between the two runs (empty: same device and libraries): key,
	 * a_value, b_value; keys compared: host, gpus[0].name, gpus[0].cc,
	 * driver_version, runtime_version, cublas_version, cublaslt_version,
	 * nccl_version, sqlite_version, build.git_rev, cpu */
	DB_Q_COMPARE_ENV,
	DB_Q_COUNT
};

/* nargs must match the query (0, 1 or 2 run ids). */
int		 db_query_table(struct db *, enum db_query, const int64_t *args,
		    int nargs, enum db_fmt, char **out, size_t *len);
/* "runs", "run", "results", ... (the API's names), NULL if unknown. */
const char	*db_query_name(enum db_query);

/*
 * Copies every run of the stepbench database at other_path that this one
 * lacks (matched by UUID), with its environment, results, samples, phases
 * and loss curves, in one transaction; runs already present are left as
 * they are.  *imported / *skipped receive the counts (may be NULL).
 * other_path is opened read-only and validated like db_open (not a
 * stepbench file, newer schema: -1 with a message, nothing changed).
 */
int		 db_import(struct db *, const char *other_path, int *imported,
		    int *skipped);

#endif
