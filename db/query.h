/*
 * db/query.h — the read-only queries behind the dashboard's JSON/CSV API.
 *
 * Every query returns a table: a JSON array of flat objects (one per row,
 * keys = column names, SQL NULL = null, numbers as numbers), or the same
 * rows as CSV (a header row, RFC 4180 quoting, NULL = empty field, CRLF).
 * The text is malloc'ed into *out (NUL-terminated, *len bytes without the
 * NUL); the caller frees it.  Responses are bounded: a query stops after
 * its row limit and then the JSON/CSV simply has that many rows (DB_Q_RUNS
 * has none: it lists every run).  Numbers are the shortest %g that reads
 * back as the stored double; JSON strings also escape < > & (\u003c ...)
 * and carry an invalid UTF-8 byte as U+FFFD (db/table.c).
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

/* Row limits (the SQL's LIMIT).  BASELINE and COMPARE have at most a row
 * per result of a run, so they share the RESULTS limit; PHASES allows
 * every phase (10: the int8 training step's int8.scale, int8.quant,
 * int8.dequant and the mixed-precision ones included) of that many
 * results. */
#define DB_Q_RESULTS_LIMIT	20000
#define DB_Q_PHASES_LIMIT	200000
#define DB_Q_CURVES_LIMIT	50000
#define DB_Q_LAUNCHES_LIMIT	100000
#define DB_Q_SCALER_LIMIT	50000
#define DB_Q_COMM_LIMIT		100000
#define DB_Q_KERNELS_LIMIT	100000
#define DB_Q_PROFILE_LIMIT	200000
#define DB_Q_COMPARE_FP_LIMIT	100000
#define DB_Q_CURVE_STEPS	500	/* rows per loss curve, at most */

/* db_import(): other_path cannot be imported (missing, not a stepbench
 * database, another schema version, or this database itself). */
#define DB_BADSOURCE		2

enum db_query {
	/* args: none.  Every run, newest first (latest started_at, then
	 * highest id: an imported run keeps its start time):
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
	 * check_mode, err_recheck, loss, nsteps, layout (a gemm row's: nt,
	 * tn, nn; NULL for a step), launches, graph_nodes, loss_divergence
	 * (max over --steps of |loss - fp32 loss| / |fp32 loss|; NULL: not
	 * measured), quant_per_channel, quant_err_sym, quant_err_affine,
	 * quant_sat_act, quant_sat_weight (int8dyn rows; NULL elsewhere),
	 * dp_backend, dp_bucket_cap, dp_first_bucket, dp_overlap,
	 * dp_compress, dp_op, dp_inplace, dp_compute_us, dp_comm_us,
	 * dp_exposed_us, dp_overlap_frac, dp_overhead (data-parallel rows,
	 * db.h; NULL elsewhere), cupti ("ok", "off: <why>",
	 * "unavailable: <why>"; NULL: not a GPU step), cupti_steps,
	 * cupti_launches (records per traced step, beside launches),
	 * cupti_kernel_us (their durations summed, per step),
	 * cupti_event_us (the event time of the same steps), fingerprint
	 * (16 hex digits; schema v6, NULL on older rows) */
	DB_Q_RESULTS,
	/* args: run id.  Each ok result against the library baseline of the
	 * same run at the same mode, precision, m, n, k, layers, world, graph,
	 * layout (impl 'cublaslt' if present, else 'cublas'; an ok result
	 * with a median, the lowest point_idx if several); rows only where a
	 * baseline exists, by point_idx (limit 20000): point_idx, variant,
	 * mode, precision, impl, m, n, k, layers, graph, tflops, median_us,
	 * baseline_variant, baseline_median_us, pct_of_baseline (100 ·
	 * baseline_median_us / median_us; the baseline's own rows say 100) */
	DB_Q_BASELINE,
	/* args: run id.  A row per (result, phase): point_idx, variant, m, n,
	 * k, layers, graph, phase, median_us; by point_idx, phases in step
	 * order (int8.scale, int8.quant, forward, int8.dequant, loss,
	 * backward.wgrad, backward.dgrad, amp.unscale, sgd, amp.update, then
	 * any other by name); limit 200000 rows */
	DB_Q_PHASES,
	/* args: run id.  Loss curves: point_idx, variant, m, n, k, layers,
	 * step, loss, lr, ref_loss (the fp32 step's loss from the same state;
	 * NULL: not recorded), by point_idx and step; each curve downsampled to
	 * at most 500 steps: the multiples of ceil(nsteps/500), the last
	 * step always kept (it stands in for the last multiple, which keeps
	 * the count within 500); limit 50000 rows */
	DB_Q_CURVES,
	/* args: run a, run b.  Points present in both (matched on variant, m,
	 * n, k, layers, world, graph, input_grad; NULL matches NULL; should a
	 * key repeat within a run, its n-th point by point_idx pairs with
	 * the other run's n-th), ok in both, by a's point_idx (limit 20000):
	 * variant, m, n, k, layers, world, graph, a_median_us, b_median_us,
	 * a_p10_us, a_p90_us, b_p10_us, b_p90_us, a_cv, b_cv,
	 * a_point, b_point (the two point_idx), a_fingerprint,
	 * b_fingerprint, speedup (a_median_us / b_median_us: > 1 means b is
	 * faster),
	 * verdict: 'faster' (b's p90 < a's p10), 'slower' (b's p10 > a's p90),
	 * 'same' (|speedup - 1| <= max(0.01, 2·max(a_cv, b_cv)) and the
	 * p10..p90 ranges overlap), else 'unclear' (also when a figure the
	 * tests need is NULL) */
	DB_Q_COMPARE,
	/* args: run a, run b.  The environment keys whose values differ
	 * between the two runs (empty: same device and libraries): key,
	 * a_value, b_value, in this order of keys: host, gpus[0].name,
	 * gpus[0].cc, driver_version, runtime_version, cublas_version,
	 * cublaslt_version, nccl_version, sqlite_version, build.git_rev, cpu.
	 * A key missing on one side (NULL) differs from any value; missing
	 * on both, it is the same */
	DB_Q_COMPARE_ENV,
	/* args: run id.  A row per launch fact of the run's results, by
	 * point_idx then idx (limit 100000): point_idx, variant, idx, role,
	 * layer, layout, m, n, k (the launch's GEMM call), name, grid_x,
	 * grid_y, grid_z, ctas (their product), block_x, block_y, block_z,
	 * threads (their product), dyn_smem, regs, static_smem, local_bytes,
	 * max_threads, ptx_version, binary_version, ctas_per_sm, sms, waves,
	 * tail_util, efficiency (harness/waves.h) */
	DB_Q_LAUNCHES,
	/* args: run id.  Loss-scale trajectories (GradScaler, fp16amp):
	 * point_idx, variant, m, n, k, layers, graph, step, scale (the scale
	 * the step ran with), skipped (1: inf/NaN found, update skipped),
	 * growth_tracker (good steps after the step's update; NULL: not
	 * recorded), by point_idx and step.  Only results with a trajectory
	 * have rows (none: an empty table).  Each trajectory keeps the
	 * steps DB_Q_CURVES keeps, plus every skipped step and every step
	 * whose scale differs from the step before it, so the scale between
	 * two rows is the earlier row's; limit 50000 rows */
	DB_Q_SCALER,
	/* args: run id.  The all-reduces of the run's data-parallel results
	 * (a step's gradient buckets; an allreduce row's one collective),
	 * by point_idx then bucket (limit 100000): point_idx, variant,
	 * status, m, n, k, layers, world, graph, dp_backend, dp_compress
	 * (the dtype all-reduced), dp_op, dp_inplace, dp_overlap, bucket,
	 * nparams, layer_hi, layer_lo (NULL for an allreduce row), bytes,
	 * median_us, min_us, algbw_gbps, busbw_gbps.  A run without
	 * data-parallel rows: an empty table */
	DB_Q_COMM,
	/* args: run id, point index.  These three answer DB_NOTFOUND with
	 * "no run N" or "no point I in run N".  One row: the DB_Q_RESULTS
	 * columns of the point, plus fingerprint_json (the provenance as
	 * JSON object text, harness/fingerprint.h; NULL before schema v6 or
	 * where not recorded), phases_json (JSON object text, phase name ->
	 * median_us; NULL without phases), nkernels (its CUPTI kernel rows),
	 * nprofile (its imported profile values) */
	DB_Q_POINT,
	/* args: run id, point index.  The CUPTI trace of one step of the
	 * point (table kernel), by idx (start order; limit 100000): idx,
	 * kind (kernel, memset, memcpy), name, phase, stream, grid_x,
	 * grid_y, grid_z, block_x, block_y, block_z, regs, static_smem,
	 * dyn_smem, local_bytes, bytes, duration_us (median over the traced
	 * steps), start_us (from the step's first record); NULL where not
	 * known or not applicable.  No trace: an empty table */
	DB_Q_KERNELS,
	/* args: run id, point index.  The values `stepbench profile`
	 * imported for the point, by session, launch, then the order they
	 * were added (limit 200000): session_id, tool (ncu, nsys), report,
	 * command, tool_version, imported_at, idx, launch, kernel, phase,
	 * metric, unit, value (NULL for a text value), text */
	DB_Q_PROFILE,
	/* args: run a, run b.  The DB_Q_COMPARE pairs whose fingerprints are
	 * both recorded and differ, and how: variant, m, n, k, layers,
	 * world, graph, a_point, b_point, a_fingerprint, b_fingerprint,
	 * key, a_value, b_value.  key is a top-level key of the fingerprint
	 * JSON ("nvcc_flags", ...; a value NULL where that side lacks the
	 * key), "kernels[NAME]" for a kernel in one side's list only (its
	 * object as JSON text on that side, NULL on the other), or
	 * "kernels[NAME].ATTR" for an attribute of a kernel in both that
	 * differs.  By a_point, then top-level keys, kernels missing, kernel
	 * attributes, each by key (limit 100000).  Empty: every pair has the
	 * same fingerprint or one not recorded */
	DB_Q_COMPARE_FP,
	DB_Q_COUNT
};

/* nargs must match the query (0, 1 or 2 run ids; 2, a run id and a
 * point index, for DB_Q_POINT, DB_Q_KERNELS and DB_Q_PROFILE). */
int		 db_query_table(struct db *, enum db_query, const int64_t *args,
		    int nargs, enum db_fmt, char **out, size_t *len);
/* "runs", "run", "results", ... (the API's names), NULL if unknown. */
const char	*db_query_name(enum db_query);

/*
 * Copies every run of the stepbench database at other_path that this one
 * lacks (matched by UUID), with its environment, results, samples, phases,
 * loss curves (with their fp32 reference), loss-scale trajectories,
 * launch facts and data-parallel all-reduces (comm), in one transaction;
 * runs already present are left as they are.  *imported / *skipped
 * receive the counts (may be NULL).
 * other_path is opened read-only and validated like db_open; where it is
 * the problem (missing, not SQLite, not a stepbench database, another
 * schema version, or this database itself) the return is DB_BADSOURCE
 * with a message, and nothing changed in either file.  -1 with a message
 * for any other failure (nothing imported).  See import.c.
 */
int		 db_import(struct db *, const char *other_path, int *imported,
		    int *skipped);

#endif
