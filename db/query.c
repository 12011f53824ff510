/*
 * db/query.c — the dashboard's read-only queries (query.h).
 *
 * Each query is one row of the table below: its API name, how many run
 * ids it takes, and one SQL statement whose column names (a plain column's
 * own name, else its alias) are the keys of the JSON objects and the CSV
 * header.  The run ids are bound as ?1 and ?2; only our own constants
 * (the row limits) are formatted into the SQL.  db_query_table() checks
 * the runs exist, runs the statement inside one read transaction (so the
 * run and its rows agree while a sweep adds points) and hands each row to
 * table.c's writer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_int.h"

#define STR_(x)	#x
#define STR(x)	STR_(x)

/* The DB_Q_RUNS columns: the run and its result counts, which come from
 * the subquery RUN_COUNTS joins as c. */
#define RUN_COLS							\
	"run.id AS id, run.uuid AS uuid, run.label AS label, "		\
	"run.note AS note, run.device AS device, run.host AS host, "	\
	"run.status AS status, run.started_at AS started_at, "		\
	"run.ended_at AS ended_at, "					\
	"run.planned_points AS planned_points, "			\
	"coalesce(c.done_points, 0) AS done_points, "			\
	"coalesce(c.ok_points, 0) AS ok_points, "			\
	"coalesce(c.skipped_points, 0) AS skipped_points, "		\
	"coalesce(c.failed_points, 0) AS failed_points, "		\
	"run.git_rev AS git_rev, run.git_dirty AS git_dirty"

#define RUN_COUNTS(where)						\
	"LEFT JOIN (SELECT run_id, count(*) AS done_points, "		\
	"sum(status = 'ok') AS ok_points, "				\
	"sum(status = 'skipped') AS skipped_points, "			\
	"sum(status IN ('mismatch', 'failed')) AS failed_points "	\
	"FROM result " where "GROUP BY run_id) AS c "			\
	"ON c.run_id = run.id "

/* "Newest" is the latest start: an imported run keeps its start time but
 * gets a new, higher id. */
static const char sql_runs[] =
	"SELECT " RUN_COLS " FROM run " RUN_COUNTS("")
	"ORDER BY run.started_at DESC, run.id DESC";

static const char sql_run[] =
	"SELECT " RUN_COLS ", run.argv AS argv, run.pid AS pid, "
	"e.json AS env_json FROM run " RUN_COUNTS("WHERE run_id = ?1 ")
	"LEFT JOIN environment AS e ON e.id = run.env_id "
	"WHERE run.id = ?1";

static const char sql_results[] =
	"SELECT point_idx, variant, mode, precision, impl, m, n, k, layers, "
	"world, graph, l2_flush, input_grad, status, reason, nsamples, reps, "
	"median_us, mean_us, p10_us, p90_us, min_us, max_us, cv, "
	"stop_reason, flops, bytes, tflops, gbps, peak_tflops, peak_gbps, "
	"over_peak, err_y, err_loss, err_dw, err_db, err_dx, err_w, tol, "
	"check_mode, err_recheck, loss, nsteps, layout, launches, graph_nodes, "
	"loss_divergence, quant_per_channel, quant_err_sym, quant_err_affine, "
	"quant_sat_act, quant_sat_weight, dp_backend, dp_bucket_cap, "
	"dp_first_bucket, dp_overlap, dp_compress, dp_op, dp_inplace, "
	"dp_compute_us, dp_comm_us, dp_exposed_us, dp_overlap_frac, "
	"dp_overhead "
	"FROM result WHERE run_id = ?1 ORDER BY point_idx "
	"LIMIT " STR(DB_Q_RESULTS_LIMIT);

/*
 * One pass with a window: within each group of ok results that share the
 * baseline's key, rows are ranked cuBLASLt (0), cuBLAS (1), anything else
 * or without a median (2), then by point; the first row of the group is
 * the baseline if its rank is below 2.  PARTITION BY groups NULLs
 * together, as IS would (a step's layout is NULL; a GEMM row is compared
 * at its own layout).
 */
static const char sql_baseline[] =
	"SELECT ok.point_idx AS point_idx, ok.variant AS variant, "
	"ok.mode AS mode, ok.precision AS precision, ok.impl AS impl, "
	"ok.m AS m, ok.n AS n, ok.k AS k, ok.layers AS layers, "
	"ok.graph AS graph, ok.tflops AS tflops, "
	"ok.median_us AS median_us, b.variant AS baseline_variant, "
	"b.median_us AS baseline_median_us, "
	"100.0 * b.median_us / ok.median_us AS pct_of_baseline "
	"FROM (SELECT r.*, first_value(r.id) OVER w AS base_id, "
	"first_value(CASE WHEN r.median_us IS NULL THEN 2 "
	"WHEN r.impl = 'cublaslt' THEN 0 WHEN r.impl = 'cublas' THEN 1 "
	"ELSE 2 END) OVER w AS base_rank "
	"FROM result AS r WHERE r.run_id = ?1 AND r.status = 'ok' "
	"WINDOW w AS (PARTITION BY r.mode, r.precision, r.m, r.n, r.k, "
	"r.layers, r.world, r.graph, r.layout "
	"ORDER BY CASE WHEN r.median_us IS NULL "
	"THEN 2 WHEN r.impl = 'cublaslt' THEN 0 WHEN r.impl = 'cublas' "
	"THEN 1 ELSE 2 END, r.point_idx)) AS ok "
	"JOIN result AS b ON b.id = ok.base_id "
	"WHERE ok.base_rank < 2 ORDER BY ok.point_idx "
	"LIMIT " STR(DB_Q_RESULTS_LIMIT);

static const char sql_phases[] =
	"SELECT r.point_idx AS point_idx, r.variant AS variant, r.m AS m, "
	"r.n AS n, r.k AS k, r.layers AS layers, r.graph AS graph, "
	"p.name AS phase, p.median_us AS median_us "
	"FROM result AS r JOIN phase AS p ON p.result_id = r.id "
	"WHERE r.run_id = ?1 ORDER BY r.point_idx, "
	"CASE p.name WHEN 'int8.scale' THEN 0 WHEN 'int8.quant' THEN 1 "
	"WHEN 'forward' THEN 2 WHEN 'int8.dequant' THEN 3 WHEN 'loss' THEN 4 "
	"WHEN 'backward.wgrad' THEN 5 WHEN 'backward.dgrad' THEN 6 "
	"WHEN 'amp.unscale' THEN 7 WHEN 'sgd' THEN 8 WHEN 'amp.update' THEN 9 "
	"ELSE 10 END, p.name "
	"LIMIT " STR(DB_Q_PHASES_LIMIT);

/*
 * stride = ceil(nsteps / 500).  A curve keeps the steps that are
 * multiples of the stride and have another multiple after them, plus the
 * last step: ceil(nsteps / stride) <= 500 rows, the last one the final
 * step (it stands in for the last multiple).
 */
static const char sql_curves[] =
	"SELECT r.point_idx AS point_idx, r.variant AS variant, r.m AS m, "
	"r.n AS n, r.k AS k, r.layers AS layers, c.step AS step, "
	"c.loss AS loss, c.lr AS lr, c.ref_loss AS ref_loss "
	"FROM (SELECT id, point_idx, variant, m, n, k, layers, nsteps, "
	"(nsteps + " STR(DB_Q_CURVE_STEPS) " - 1) / "
	STR(DB_Q_CURVE_STEPS) " AS stride "
	"FROM result WHERE run_id = ?1 AND nsteps > 0) AS r "
	"JOIN loss_curve AS c ON c.result_id = r.id "
	"WHERE c.step = r.nsteps - 1 OR (c.step % r.stride = 0 "
	"AND c.step + r.stride < r.nsteps) "
	"ORDER BY r.point_idx, c.step "
	"LIMIT " STR(DB_Q_CURVES_LIMIT);

/*
 * No join: SQLite's planner, without statistics, scans one run's results
 * once per result of the other (minutes for 20000 points).  Instead both
 * runs' ok results go into one list, and a point of a pairs with the point
 * of b that has the same key and the same rank among that key's points
 * (by point_idx) in its run: one sort, and with the usual one point per
 * key and run it is exactly the join on the key.  GROUP BY puts NULLs
 * together, as IS would.  The verdict is query.h's, in its order; a NULL
 * among the figures it needs makes it 'unclear' (tested first: a CASE
 * branch whose test is NULL would fall through to the next).
 */
#define CMP_KEY	"variant, m, n, k, layers, world, graph, input_grad"
#define CMP_A(c) "max(CASE WHEN side = 0 THEN " c " END)"
#define CMP_B(c) "max(CASE WHEN side = 1 THEN " c " END)"

static const char sql_compare[] =
	"WITH u AS (SELECT 0 AS side, point_idx, " CMP_KEY ", median_us, "
	"p10_us, p90_us, cv FROM result WHERE run_id = ?1 AND status = 'ok' "
	"UNION ALL SELECT 1, point_idx, " CMP_KEY ", median_us, p10_us, "
	"p90_us, cv FROM result WHERE run_id = ?2 AND status = 'ok'), "
	"p AS (SELECT " CMP_KEY ", " CMP_A("point_idx") " AS a_idx, "
	CMP_B("point_idx") " AS b_idx, "
	CMP_A("median_us") " AS am, " CMP_B("median_us") " AS bm, "
	CMP_A("p10_us") " AS a10, " CMP_A("p90_us") " AS a90, "
	CMP_B("p10_us") " AS b10, " CMP_B("p90_us") " AS b90, "
	CMP_A("cv") " AS acv, " CMP_B("cv") " AS bcv "
	"FROM (SELECT *, row_number() OVER (PARTITION BY " CMP_KEY ", side "
	"ORDER BY point_idx) AS nth FROM u) "
	"GROUP BY " CMP_KEY ", nth HAVING count(*) = 2) "
	"SELECT variant, m, n, k, layers, world, graph, "
	"am AS a_median_us, bm AS b_median_us, a10 AS a_p10_us, "
	"a90 AS a_p90_us, b10 AS b_p10_us, b90 AS b_p90_us, "
	"acv AS a_cv, bcv AS b_cv, am / bm AS speedup, "
	"CASE WHEN am IS NULL OR bm IS NULL OR a10 IS NULL OR a90 IS NULL "
	"OR b10 IS NULL OR b90 IS NULL OR acv IS NULL OR bcv IS NULL "
	"THEN 'unclear' "
	"WHEN b90 < a10 THEN 'faster' "
	"WHEN b10 > a90 THEN 'slower' "
	"WHEN abs(am / bm - 1) <= max(0.01, 2 * max(acv, bcv)) "
	"AND b10 <= a90 AND a10 <= b90 THEN 'same' "
	"ELSE 'unclear' END AS verdict "
	"FROM p ORDER BY a_idx, b_idx "
	"LIMIT " STR(DB_Q_RESULTS_LIMIT);

/*
 * The curves' downsampling, plus every step a chart of the scale must not
 * lose: a skipped step, and a step whose scale differs from the step
 * before it (a backoff or a growth).  Between two kept rows the scale is
 * the earlier row's, so a step-after line through the rows is exact.
 * The window runs over one run's trajectories only (joined first).
 */
static const char sql_scaler[] =
	"SELECT point_idx, variant, m, n, k, layers, graph, step, scale, "
	"skipped, growth_tracker FROM (SELECT r.point_idx AS point_idx, "
	"r.variant AS variant, r.m AS m, r.n AS n, r.k AS k, "
	"r.layers AS layers, r.graph AS graph, r.nsteps AS nsteps, "
	"r.stride AS stride, s.step AS step, s.scale AS scale, "
	"s.skipped AS skipped, s.growth_tracker AS growth_tracker, "
	"lag(s.scale) OVER (PARTITION BY r.id ORDER BY s.step) AS prev "
	"FROM (SELECT id, point_idx, variant, m, n, k, layers, graph, nsteps, "
	"(nsteps + " STR(DB_Q_CURVE_STEPS) " - 1) / "
	STR(DB_Q_CURVE_STEPS) " AS stride "
	"FROM result WHERE run_id = ?1 AND nsteps > 0) AS r "
	"JOIN scaler AS s ON s.result_id = r.id) "
	"WHERE step = nsteps - 1 OR (step % stride = 0 "
	"AND step + stride < nsteps) OR skipped = 1 OR scale IS NOT prev "
	"ORDER BY point_idx, step "
	"LIMIT " STR(DB_Q_SCALER_LIMIT);

static const char sql_launches[] =
	"SELECT r.point_idx AS point_idx, r.variant AS variant, l.idx AS idx, "
	"l.role AS role, l.layer AS layer, l.layout AS layout, l.m AS m, "
	"l.n AS n, l.k AS k, l.name AS name, l.grid_x AS grid_x, "
	"l.grid_y AS grid_y, l.grid_z AS grid_z, "
	"l.grid_x * l.grid_y * l.grid_z AS ctas, l.block_x AS block_x, "
	"l.block_y AS block_y, l.block_z AS block_z, "
	"l.block_x * l.block_y * l.block_z AS threads, "
	"l.dyn_smem AS dyn_smem, l.regs AS regs, "
	"l.static_smem AS static_smem, l.local_bytes AS local_bytes, "
	"l.max_threads AS max_threads, l.ptx_version AS ptx_version, "
	"l.binary_version AS binary_version, l.ctas_per_sm AS ctas_per_sm, "
	"l.sms AS sms, l.waves AS waves, l.tail_util AS tail_util, "
	"l.efficiency AS efficiency "
	"FROM result AS r JOIN launch_info AS l ON l.result_id = r.id "
	"WHERE r.run_id = ?1 ORDER BY r.point_idx, l.idx "
	"LIMIT " STR(DB_Q_LAUNCHES_LIMIT);

static const char sql_comm[] =
	"SELECT r.point_idx AS point_idx, r.variant AS variant, "
	"r.status AS status, r.m AS m, r.n AS n, r.k AS k, "
	"r.layers AS layers, r.world AS world, r.graph AS graph, "
	"r.dp_backend AS dp_backend, r.dp_compress AS dp_compress, "
	"r.dp_op AS dp_op, r.dp_inplace AS dp_inplace, "
	"r.dp_overlap AS dp_overlap, c.bucket AS bucket, "
	"c.nparams AS nparams, c.layer_hi AS layer_hi, "
	"c.layer_lo AS layer_lo, c.bytes AS bytes, "
	"c.median_us AS median_us, c.min_us AS min_us, "
	"c.algbw_gbps AS algbw_gbps, c.busbw_gbps AS busbw_gbps "
	"FROM result AS r JOIN comm AS c ON c.result_id = r.id "
	"WHERE r.run_id = ?1 ORDER BY r.point_idx, c.bucket "
	"LIMIT " STR(DB_Q_COMM_LIMIT);

/* A run without an environment row compares as all NULL. */
static const char sql_compare_env[] =
	"WITH keys (ord, key, path) AS (VALUES "
	"(1, 'host', '$.host'), "
	"(2, 'gpus[0].name', '$.gpus[0].name'), "
	"(3, 'gpus[0].cc', '$.gpus[0].cc'), "
	"(4, 'driver_version', '$.driver_version'), "
	"(5, 'runtime_version', '$.runtime_version'), "
	"(6, 'cublas_version', '$.cublas_version'), "
	"(7, 'cublaslt_version', '$.cublaslt_version'), "
	"(8, 'nccl_version', '$.nccl_version'), "
	"(9, 'sqlite_version', '$.sqlite_version'), "
	"(10, 'build.git_rev', '$.build.git_rev'), "
	"(11, 'cpu', '$.cpu')), "
	"ea AS (SELECT e.json AS j FROM run "
	"LEFT JOIN environment AS e ON e.id = run.env_id WHERE run.id = ?1), "
	"eb AS (SELECT e.json AS j FROM run "
	"LEFT JOIN environment AS e ON e.id = run.env_id WHERE run.id = ?2) "
	"SELECT key, a_value, b_value FROM (SELECT keys.ord AS ord, "
	"keys.key AS key, json_extract(ea.j, keys.path) AS a_value, "
	"json_extract(eb.j, keys.path) AS b_value FROM keys, ea, eb) "
	"WHERE a_value IS NOT b_value ORDER BY ord";

static const struct {
	const char	*name;
	int		 nargs;
	const char	*sql;
} queries[DB_Q_COUNT] = {
	[DB_Q_RUNS] = { "runs", 0, sql_runs },
	[DB_Q_RUN] = { "run", 1, sql_run },
	[DB_Q_RESULTS] = { "results", 1, sql_results },
	[DB_Q_BASELINE] = { "baseline", 1, sql_baseline },
	[DB_Q_PHASES] = { "phases", 1, sql_phases },
	[DB_Q_CURVES] = { "curves", 1, sql_curves },
	[DB_Q_COMPARE] = { "compare", 2, sql_compare },
	[DB_Q_COMPARE_ENV] = { "compare_env", 2, sql_compare_env },
	[DB_Q_LAUNCHES] = { "launch_info", 1, sql_launches },
	[DB_Q_SCALER] = { "scaler", 1, sql_scaler },
	[DB_Q_COMM] = { "comm", 1, sql_comm },
};

static int	run_exists(struct db *, int64_t, const char *, int *);

const char *
db_query_name(enum db_query q)
{
	if ((unsigned)q >= DB_Q_COUNT)
		return (NULL);
	return (queries[q].name);
}

/* *found = whether run id exists; -1 only when SQLite fails. */
static int
run_exists(struct db *db, int64_t id, const char *what, int *found)
{
	sqlite3_stmt	*st = NULL;
	int		 ret = -1, rc;

	*found = 0;
	if (db_prepare(db, &st, "SELECT 1 FROM run WHERE id = ?1", what) ==
	    -1)
		goto out;
	if (sqlite3_bind_int64(st, 1, id) != SQLITE_OK) {
		DB_FAIL(db, "%s: binding the run id", what);
		goto out;
	}
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		DB_FAIL(db, "%s: looking up run %lld", what, (long long)id);
		goto out;
	}
	*found = rc == SQLITE_ROW;
	ret = 0;
out:
	sqlite3_finalize(st);
	return (ret);
}

int
db_query_table(struct db *db, enum db_query q, const int64_t *args,
    int nargs, enum db_fmt fmt, char **out, size_t *len)
{
	char		 what[64];
	sqlite3_stmt	*st = NULL;
	struct db_buf	 b;
	int64_t		 nrow = 0;
	int		 i, found, ret = -1, rc = SQLITE_DONE, txn = 0;

	memset(&b, 0, sizeof(b));
	*out = NULL;
	if (len != NULL)
		*len = 0;
	if ((unsigned)q >= DB_Q_COUNT) {
		db_seterr(db, "query %d is not known; this is a bug in the "
		    "caller", (int)q);
		goto out;
	}
	(void)snprintf(what, sizeof(what), "query '%s'", queries[q].name);
	if (nargs != queries[q].nargs || (nargs > 0 && args == NULL) ||
	    (fmt != DB_FMT_JSON && fmt != DB_FMT_CSV)) {
		db_seterr(db, "%s: takes %d run id%s and a format of "
		    "DB_FMT_JSON or DB_FMT_CSV (given %d, %d); this is a bug "
		    "in the caller", what, queries[q].nargs,
		    queries[q].nargs == 1 ? "" : "s", nargs, (int)fmt);
		goto out;
	}
	if (db_exec(db, "BEGIN", what) == -1)
		goto out;
	txn = 1;
	for (i = 0; i < nargs; i++) {
		if (run_exists(db, args[i], what, &found) == -1)
			goto out;
		if (!found) {
			db_seterr(db, "no run %lld", (long long)args[i]);
			ret = DB_NOTFOUND;
			goto out;
		}
	}
	if (db_prepare(db, &st, queries[q].sql, what) == -1)
		goto out;
	for (i = 0; i < nargs; i++) {
		if (sqlite3_bind_int64(st, i + 1, args[i]) != SQLITE_OK) {
			DB_FAIL(db, "%s: binding run id %d", what, i + 1);
			goto out;
		}
	}
	db_tab_begin(&b, st, fmt);
	while (!b.nomem && (rc = sqlite3_step(st)) == SQLITE_ROW)
		db_tab_row(&b, st, fmt, nrow++);
	if (!b.nomem && rc != SQLITE_DONE) {
		DB_FAIL(db, "%s: reading row %lld", what, (long long)nrow);
		goto out;
	}
	db_tab_end(&b, fmt);
	if (b.nomem) {
		db_seterr(db, "%s: out of memory after %lld rows", what,
		    (long long)nrow);
		goto out;
	}
	*out = b.s;
	if (len != NULL)
		*len = b.len;
	b.s = NULL;
	ret = 0;
out:
	sqlite3_finalize(st);
	if (txn)
		db_rollback(db);
	db_buf_free(&b);
	return (ret);
}
