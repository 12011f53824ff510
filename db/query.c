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

/* A result's columns as DB_Q_RESULTS and DB_Q_POINT give them. */
#define RESULT_COLS							\
	"point_idx, variant, mode, precision, impl, m, n, k, layers, "	\
	"world, graph, l2_flush, input_grad, status, reason, nsamples, "	\
	"reps, median_us, mean_us, p10_us, p90_us, min_us, max_us, cv, "	\
	"stop_reason, flops, bytes, tflops, gbps, peak_tflops, peak_gbps, " \
	"over_peak, err_y, err_loss, err_dw, err_db, err_dx, err_w, tol, " \
	"check_mode, err_recheck, loss, nsteps, layout, launches, "	\
	"graph_nodes, loss_divergence, quant_per_channel, quant_err_sym, " \
	"quant_err_affine, quant_sat_act, quant_sat_weight, dp_backend, " \
	"dp_bucket_cap, dp_first_bucket, dp_overlap, dp_compress, dp_op, " \
	"dp_inplace, dp_compute_us, dp_comm_us, dp_exposed_us, "	\
	"dp_overlap_frac, dp_overhead, cupti, cupti_steps, "		\
	"cupti_launches, cupti_kernel_us, cupti_event_us, fingerprint"

static const char sql_results[] =
	"SELECT " RESULT_COLS " "
	"FROM result WHERE run_id = ?1 ORDER BY point_idx "
	"LIMIT " STR(DB_Q_RESULTS_LIMIT);

/* One point: its result row, the provenance behind it and its phase
 * medians as JSON text (the page parses both), and how many CUPTI kernel
 * rows and imported profile values it has (so that a page can say what
 * is missing before it asks for them). */
static const char sql_point[] =
	"SELECT " RESULT_COLS ", fingerprint_json, "
	"(SELECT CASE WHEN count(*) > 0 THEN json_group_object(p.name, "
	"p.median_us) END FROM phase AS p "
	"WHERE p.result_id = result.id) AS phases_json, "
	"(SELECT count(*) FROM kernel AS k WHERE k.result_id = result.id) "
	"AS nkernels, "
	"(SELECT count(*) FROM profile AS f WHERE f.result_id = result.id) "
	"AS nprofile "
	"FROM result WHERE run_id = ?1 AND point_idx = ?2";

static const char sql_kernels[] =
	"SELECT k.idx AS idx, k.kind AS kind, k.name AS name, "
	"k.phase AS phase, k.stream AS stream, k.grid_x AS grid_x, "
	"k.grid_y AS grid_y, k.grid_z AS grid_z, k.block_x AS block_x, "
	"k.block_y AS block_y, k.block_z AS block_z, k.regs AS regs, "
	"k.static_smem AS static_smem, k.dyn_smem AS dyn_smem, "
	"k.local_bytes AS local_bytes, k.bytes AS bytes, "
	"k.duration_us AS duration_us, k.start_us AS start_us "
	"FROM result AS r JOIN kernel AS k ON k.result_id = r.id "
	"WHERE r.run_id = ?1 AND r.point_idx = ?2 ORDER BY k.idx "
	"LIMIT " STR(DB_Q_KERNELS_LIMIT);

static const char sql_profile[] =
	"SELECT s.id AS session_id, s.tool AS tool, s.report AS report, "
	"s.command AS command, s.tool_version AS tool_version, "
	"s.imported_at AS imported_at, p.idx AS idx, p.launch AS launch, "
	"p.kernel AS kernel, p.phase AS phase, p.metric AS metric, "
	"p.unit AS unit, p.value AS value, p.text AS text "
	"FROM result AS r JOIN profile AS p ON p.result_id = r.id "
	"JOIN profile_session AS s ON s.id = p.session_id "
	"WHERE r.run_id = ?1 AND r.point_idx = ?2 "
	"ORDER BY s.id, p.launch, p.idx "
	"LIMIT " STR(DB_Q_PROFILE_LIMIT);

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
	"p10_us, p90_us, cv, fingerprint FROM result WHERE run_id = ?1 AND "
	"status = 'ok' "
	"UNION ALL SELECT 1, point_idx, " CMP_KEY ", median_us, p10_us, "
	"p90_us, cv, fingerprint FROM result WHERE run_id = ?2 AND "
	"status = 'ok'), "
	"p AS (SELECT " CMP_KEY ", " CMP_A("point_idx") " AS a_idx, "
	CMP_B("point_idx") " AS b_idx, "
	CMP_A("fingerprint") " AS afp, " CMP_B("fingerprint") " AS bfp, "
	CMP_A("median_us") " AS am, " CMP_B("median_us") " AS bm, "
	CMP_A("p10_us") " AS a10, " CMP_A("p90_us") " AS a90, "
	CMP_B("p10_us") " AS b10, " CMP_B("p90_us") " AS b90, "
	CMP_A("cv") " AS acv, " CMP_B("cv") " AS bcv "
	"FROM (SELECT *, row_number() OVER (PARTITION BY " CMP_KEY ", side "
	"ORDER BY point_idx) AS nth FROM u) "
	"GROUP BY " CMP_KEY ", nth HAVING count(*) = 2) "
	"SELECT variant, m, n, k, layers, world, graph, a_idx AS a_point, "
	"b_idx AS b_point, afp AS a_fingerprint, bfp AS b_fingerprint, "
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
 * The pairs of DB_Q_COMPARE (paired the same way) whose fingerprints are
 * both recorded and differ, and how: each top-level key of the two
 * fingerprint objects whose value differs (or that one lacks), and the
 * "kernels" arrays kernel by kernel, matched by name: a kernel in one
 * only is "kernels[NAME]" (the other side NULL), an attribute that
 * differs "kernels[NAME].ATTR".  Values compare by JSON type and value.
 * json_each takes only columns of tables to its left, so each side's
 * keys come from its own scan and the other side is looked up.
 */
#define FP_SAME(obj, e)							\
	"EXISTS (SELECT 1 FROM json_each(" obj ") AS o WHERE o.key = "	\
	e ".key AND o.type = " e ".type AND o.value IS " e ".value)"
#define FP_HAS(obj, e)							\
	"EXISTS (SELECT 1 FROM json_each(" obj ") AS o WHERE o.key = "	\
	e ".key)"
#define FP_GET(obj, e)							\
	"(SELECT o.value FROM json_each(" obj ") AS o WHERE o.key = "	\
	e ".key)"

static const char sql_compare_fp[] =
	"WITH u AS (SELECT 0 AS side, point_idx, " CMP_KEY ", fingerprint, "
	"fingerprint_json FROM result WHERE run_id = ?1 AND status = 'ok' "
	"UNION ALL SELECT 1, point_idx, " CMP_KEY ", fingerprint, "
	"fingerprint_json FROM result WHERE run_id = ?2 AND status = 'ok'), "
	"d AS (SELECT * FROM (SELECT " CMP_KEY ", "
	CMP_A("point_idx") " AS a_idx, " CMP_B("point_idx") " AS b_idx, "
	CMP_A("fingerprint") " AS afp, " CMP_B("fingerprint") " AS bfp, "
	CMP_A("fingerprint_json") " AS aj, "
	CMP_B("fingerprint_json") " AS bj "
	"FROM (SELECT *, row_number() OVER (PARTITION BY " CMP_KEY ", side "
	"ORDER BY point_idx) AS nth FROM u) "
	"GROUP BY " CMP_KEY ", nth HAVING count(*) = 2) "
	"WHERE afp IS NOT NULL AND bfp IS NOT NULL AND afp <> bfp), "
	"ka AS (SELECT d.a_idx AS a_idx, json_extract(e.value, '$.name') "
	"AS name, e.value AS obj FROM d, json_each(d.aj, '$.kernels') AS e), "
	"kb AS (SELECT d.a_idx AS a_idx, json_extract(e.value, '$.name') "
	"AS name, e.value AS obj FROM d, json_each(d.bj, '$.kernels') AS e), "
	"kab AS (SELECT ka.a_idx AS a_idx, ka.name AS name, ka.obj AS ao, "
	"kb.obj AS bo FROM ka JOIN kb ON kb.a_idx = ka.a_idx "
	"AND kb.name IS ka.name), "
	"x (a_idx, ord, key, a_value, b_value) AS ("
	"SELECT d.a_idx, 0, e.key, e.value, " FP_GET("d.bj", "e") " "
	"FROM d, json_each(d.aj) AS e WHERE e.key <> 'kernels' "
	"AND NOT " FP_SAME("d.bj", "e") " "
	"UNION ALL SELECT d.a_idx, 0, e.key, NULL, e.value "
	"FROM d, json_each(d.bj) AS e WHERE e.key <> 'kernels' "
	"AND NOT " FP_HAS("d.aj", "e") " "
	"UNION ALL SELECT ka.a_idx, 1, 'kernels[' || ka.name || ']', ka.obj, "
	"NULL FROM ka WHERE NOT EXISTS (SELECT 1 FROM kb WHERE "
	"kb.a_idx = ka.a_idx AND kb.name IS ka.name) "
	"UNION ALL SELECT kb.a_idx, 1, 'kernels[' || kb.name || ']', NULL, "
	"kb.obj FROM kb WHERE NOT EXISTS (SELECT 1 FROM ka WHERE "
	"ka.a_idx = kb.a_idx AND ka.name IS kb.name) "
	"UNION ALL SELECT kab.a_idx, 2, 'kernels[' || kab.name || '].' || "
	"e.key, e.value, " FP_GET("kab.bo", "e") " FROM kab, "
	"json_each(kab.ao) AS e WHERE NOT " FP_SAME("kab.bo", "e") " "
	"UNION ALL SELECT kab.a_idx, 2, 'kernels[' || kab.name || '].' || "
	"e.key, NULL, e.value FROM kab, json_each(kab.bo) AS e "
	"WHERE NOT " FP_HAS("kab.ao", "e") ") "
	"SELECT DISTINCT d.variant AS variant, d.m AS m, d.n AS n, d.k AS k, "
	"d.layers AS layers, d.world AS world, d.graph AS graph, "
	"d.a_idx AS a_point, d.b_idx AS b_point, d.afp AS a_fingerprint, "
	"d.bfp AS b_fingerprint, x.key AS key, x.a_value AS a_value, "
	"x.b_value AS b_value FROM x JOIN d ON d.a_idx = x.a_idx "
	"ORDER BY d.a_idx, x.ord, x.key "
	"LIMIT " STR(DB_Q_COMPARE_FP_LIMIT);

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
	int		 point;	/* args: a run id, then a point of it */
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
	[DB_Q_POINT] = { "point", 2, sql_point, 1 },
	[DB_Q_KERNELS] = { "kernels", 2, sql_kernels, 1 },
	[DB_Q_PROFILE] = { "profile", 2, sql_profile, 1 },
	[DB_Q_COMPARE_FP] = { "compare_fp", 2, sql_compare_fp },
};

static int	row_exists(struct db *, const char *, const int64_t *, int,
		    const char *, int *);

const char *
db_query_name(enum db_query q)
{
	if ((unsigned)q >= DB_Q_COUNT)
		return (NULL);
	return (queries[q].name);
}

/* *found = whether sql (binding n ids as ?1...) returns a row; -1 only
 * when SQLite fails. */
static int
row_exists(struct db *db, const char *sql, const int64_t *ids, int n,
    const char *what, int *found)
{
	sqlite3_stmt	*st = NULL;
	int		 ret = -1, rc, i;

	*found = 0;
	if (db_prepare(db, &st, sql, what) == -1)
		goto out;
	for (i = 0; i < n; i++) {
		if (sqlite3_bind_int64(st, i + 1, ids[i]) != SQLITE_OK) {
			DB_FAIL(db, "%s: binding id %d", what, i + 1);
			goto out;
		}
	}
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		DB_FAIL(db, "%s: looking up %lld", what, (long long)ids[0]);
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
		db_seterr(db, "%s: takes %d %s and a format of "
		    "DB_FMT_JSON or DB_FMT_CSV (given %d, %d); this is a bug "
		    "in the caller", what, queries[q].nargs, queries[q].point ?
		    "ids (a run, a point)" : queries[q].nargs == 1 ?
		    "run id" : "run ids", nargs, (int)fmt);
		goto out;
	}
	if (db_exec(db, "BEGIN", what) == -1)
		goto out;
	txn = 1;
	for (i = 0; i < (queries[q].point ? 1 : nargs); i++) {
		if (row_exists(db, "SELECT 1 FROM run WHERE id = ?1",
		    &args[i], 1, what, &found) == -1)
			goto out;
		if (!found) {
			db_seterr(db, "no run %lld", (long long)args[i]);
			ret = DB_NOTFOUND;
			goto out;
		}
	}
	if (queries[q].point) {
		if (row_exists(db, "SELECT 1 FROM result WHERE run_id = ?1 "
		    "AND point_idx = ?2", args, 2, what, &found) == -1)
			goto out;
		if (!found) {
			db_seterr(db, "no point %lld in run %lld; "
			    "/api/results?id=%lld lists its points",
			    (long long)args[1], (long long)args[0],
			    (long long)args[0]);
			ret = DB_NOTFOUND;
			goto out;
		}
	}
	if (db_prepare(db, &st, queries[q].sql, what) == -1)
		goto out;
	for (i = 0; i < nargs; i++) {
		if (sqlite3_bind_int64(st, i + 1, args[i]) != SQLITE_OK) {
			DB_FAIL(db, "%s: binding id %d", what, i + 1);
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
