/*
 * db/schema.c — the schema, as a list of migrations.  migrations[i] takes a
 * database from user_version i to i + 1.  To change the schema, append a
 * string and bump DB_SCHEMA_VERSION in db.h; never edit a step that has
 * shipped, because existing files already ran it.
 *
 * Every table is STRICT so that a wrong type is an error rather than a
 * silently stored string.  Children reference their parent ON DELETE
 * CASCADE so that deleting a run removes everything measured for it.
 */
#include <stdio.h>

#include "db_int.h"

static const char *const migrations[] = {
	/* v1: environments, runs, one result per plan point and its raw
	 * samples, phase medians and loss curve. */
	/* Runs share the environment row of an identical env_json (hash is
	 * FNV-1a 64 of the text).  Deleting an environment must not delete
	 * the runs that used it, so run.env_id has no CASCADE. */
	"CREATE TABLE environment (\n"
	"	id		INTEGER PRIMARY KEY,\n"
	"	hash		TEXT NOT NULL UNIQUE,\n"
	"	json		TEXT NOT NULL CHECK (CASE WHEN json_valid(json)\n"
	"			    THEN json_type(json) = 'object' ELSE 0 END)\n"
	") STRICT;\n"
	"CREATE TABLE run (\n"
	"	id		INTEGER PRIMARY KEY,\n"
	"	uuid		TEXT NOT NULL UNIQUE CHECK (length(uuid) >= 4),\n"
	"	label		TEXT,\n"
	"	note		TEXT,\n"
	"	argv		TEXT NOT NULL DEFAULT '[]' CHECK (CASE WHEN\n"
	"			    json_valid(argv) THEN json_type(argv) =\n"
	"			    'array' ELSE 0 END),\n"
	"	git_rev		TEXT,\n"
	"	git_dirty	INTEGER NOT NULL DEFAULT 0,\n"
	"	host		TEXT,\n"
	"	pid		INTEGER,\n"
	"	pid_start	INTEGER,\n"
	"	env_id		INTEGER REFERENCES environment(id),\n"
	"	device		TEXT,\n"
	"	planned_points	INTEGER NOT NULL DEFAULT 0\n"
	"			    CHECK (planned_points >= 0),\n"
	"	status		TEXT NOT NULL DEFAULT 'running' CHECK (status IN\n"
	"			    ('running', 'ok', 'failed', 'aborted')),\n"
	"	started_at	TEXT NOT NULL,\n"
	"	ended_at	TEXT\n"
	") STRICT;\n"
	"CREATE INDEX run_env ON run(env_id);\n"
	/* db_mark_stale_runs() looks for running runs of one host. */
	"CREATE INDEX run_running ON run(host) WHERE status = 'running';\n"
	"CREATE TABLE result (\n"
	"	id		INTEGER PRIMARY KEY,\n"
	"	run_id		INTEGER NOT NULL REFERENCES run(id)\n"
	"			    ON DELETE CASCADE,\n"
	"	point_idx	INTEGER NOT NULL CHECK (point_idx >= 0),\n"
	"	variant		TEXT,\n"
	"	mode		TEXT,\n"
	"	precision	TEXT,\n"
	"	impl		TEXT,\n"
	"	m		INTEGER,\n"
	"	n		INTEGER,\n"
	"	k		INTEGER,\n"
	"	layers		INTEGER,\n"
	"	world		INTEGER,\n"
	"	graph		INTEGER,\n"
	"	l2_flush	INTEGER,\n"
	"	input_grad	INTEGER,\n"
	"	status		TEXT NOT NULL CHECK (status IN\n"
	"			    ('ok', 'mismatch', 'failed', 'skipped')),\n"
	"	reason		TEXT,\n"
	"	nsamples	INTEGER NOT NULL CHECK (nsamples >= 0),\n"
	"	warmup		INTEGER,\n"
	"	reps		INTEGER,\n"
	"	median_us	REAL,\n"
	"	mean_us		REAL,\n"
	"	min_us		REAL,\n"
	"	max_us		REAL,\n"
	"	p10_us		REAL,\n"
	"	p90_us		REAL,\n"
	"	cv		REAL,\n"
	"	stop_reason	TEXT,\n"
	"	flops		REAL,\n"
	"	bytes		REAL,\n"
	"	tflops		REAL,\n"
	"	gbps		REAL,\n"
	"	peak_tflops	REAL,\n"
	"	peak_gbps	REAL,\n"
	"	over_peak	INTEGER CHECK (over_peak IN (-1, 0, 1)),\n"
	"	err_y		REAL,\n"
	"	err_loss	REAL,\n"
	"	err_dw		REAL,\n"
	"	err_db		REAL,\n"
	"	err_w		REAL,\n"
	"	err_dx		REAL,\n"
	"	tol		REAL,\n"
	"	check_mode	TEXT,\n"
	"	err_recheck	REAL,\n"
	"	loss		REAL,\n"
	"	nsteps		INTEGER NOT NULL CHECK (nsteps >= 0),\n"
	"	started_at	TEXT NOT NULL,\n"
	"	ended_at	TEXT NOT NULL,\n"
	"	UNIQUE (run_id, point_idx)\n"
	") STRICT;\n"
	/* The children are keyed by (result_id, ...), which also indexes
	 * the foreign key; WITHOUT ROWID stores them in that order. */
	"CREATE TABLE sample (\n"
	"	result_id	INTEGER NOT NULL REFERENCES result(id)\n"
	"			    ON DELETE CASCADE,\n"
	"	idx		INTEGER NOT NULL CHECK (idx >= 0),\n"
	"	time_us		REAL,\n"
	"	PRIMARY KEY (result_id, idx)\n"
	") STRICT, WITHOUT ROWID;\n"
	"CREATE TABLE phase (\n"
	"	result_id	INTEGER NOT NULL REFERENCES result(id)\n"
	"			    ON DELETE CASCADE,\n"
	"	name		TEXT NOT NULL,\n"
	"	median_us	REAL,\n"
	"	PRIMARY KEY (result_id, name)\n"
	") STRICT, WITHOUT ROWID;\n"
	"CREATE TABLE loss_curve (\n"
	"	result_id	INTEGER NOT NULL REFERENCES result(id)\n"
	"			    ON DELETE CASCADE,\n"
	"	step		INTEGER NOT NULL CHECK (step >= 0),\n"
	"	loss		REAL,\n"
	"	lr		REAL,\n"
	"	PRIMARY KEY (result_id, step)\n"
	") STRICT, WITHOUT ROWID;\n",

	/* v2: `stepbench gemm` and the launch facts of every result.
	 * result.layout is the GEMM layout of a gemm row (NULL for a step);
	 * launches counts the operations one eager step enqueues, and
	 * graph_nodes the nodes of its captured graph (NULL: not known).
	 * launch_info holds, per result, one row per hand-written kernel
	 * launch kind: the launch shape, the kernel's resources
	 * (cudaFuncGetAttributes), its occupancy, and the wave quantisation
	 * that follows.  It is not DESIGN §5's `kernel` table: that name
	 * stays free for CUPTI's per-kernel durations. */
	"ALTER TABLE result ADD COLUMN layout TEXT\n"
	"	    CHECK (layout IN ('nt', 'tn', 'nn'));\n"
	"ALTER TABLE result ADD COLUMN launches INTEGER\n"
	"	    CHECK (launches >= 1);\n"
	"ALTER TABLE result ADD COLUMN graph_nodes INTEGER\n"
	"	    CHECK (graph_nodes >= 1);\n"
	"CREATE TABLE launch_info (\n"
	"	result_id	INTEGER NOT NULL REFERENCES result(id)\n"
	"			    ON DELETE CASCADE,\n"
	"	idx		INTEGER NOT NULL CHECK (idx >= 0),\n"
	"	role		TEXT NOT NULL CHECK (length(role) > 0),\n"
	"	layer		INTEGER CHECK (layer >= 0),\n"
	"	layout		TEXT CHECK (layout IN ('nt', 'tn', 'nn')),\n"
	"	m		INTEGER CHECK (m >= 1),\n"
	"	n		INTEGER CHECK (n >= 1),\n"
	"	k		INTEGER CHECK (k >= 1),\n"
	"	name		TEXT NOT NULL,\n"
	"	grid_x		INTEGER NOT NULL CHECK (grid_x >= 0),\n"
	"	grid_y		INTEGER NOT NULL CHECK (grid_y >= 0),\n"
	"	grid_z		INTEGER NOT NULL CHECK (grid_z >= 0),\n"
	"	block_x		INTEGER NOT NULL CHECK (block_x >= 0),\n"
	"	block_y		INTEGER NOT NULL CHECK (block_y >= 0),\n"
	"	block_z		INTEGER NOT NULL CHECK (block_z >= 0),\n"
	"	dyn_smem	INTEGER CHECK (dyn_smem >= 0),\n"
	"	regs		INTEGER CHECK (regs >= 0),\n"
	"	static_smem	INTEGER CHECK (static_smem >= 0),\n"
	"	local_bytes	INTEGER CHECK (local_bytes >= 0),\n"
	"	max_threads	INTEGER CHECK (max_threads >= 0),\n"
	"	ptx_version	INTEGER CHECK (ptx_version >= 0),\n"
	"	binary_version	INTEGER CHECK (binary_version >= 0),\n"
	"	ctas_per_sm	INTEGER CHECK (ctas_per_sm >= 0),\n"
	"	sms		INTEGER CHECK (sms >= 1),\n"
	"	waves		REAL,\n"
	"	tail_util	REAL,\n"
	"	efficiency	REAL,\n"
	"	PRIMARY KEY (result_id, idx)\n"
	") STRICT, WITHOUT ROWID;\n",

	/* v3: mixed precision (fp16amp, bf16amp).  scaler is DESIGN §5's
	 * loss-scale trajectory: per step of --steps, the scale the step
	 * ran with, whether GradScaler skipped its update (inf/NaN found),
	 * and the count of good steps after the step's update (NULL: not
	 * recorded).  A trajectory is stored only for a result that has
	 * one, so an fp32 or bf16 row has no scaler rows.
	 * loss_curve.ref_loss is the loss of the same step taken by the
	 * fp32 step from the same state (NULL: not recorded), and
	 * result.loss_divergence the largest |loss - ref_loss| / |ref_loss|
	 * over the steps (NULL: not measured; rows older than v3 too). */
	"CREATE TABLE scaler (\n"
	"	result_id	INTEGER NOT NULL REFERENCES result(id)\n"
	"			    ON DELETE CASCADE,\n"
	"	step		INTEGER NOT NULL CHECK (step >= 0),\n"
	"	scale		REAL NOT NULL CHECK (scale > 0),\n"
	"	skipped		INTEGER NOT NULL CHECK (skipped IN (0, 1)),\n"
	"	growth_tracker	INTEGER CHECK (growth_tracker >= 0),\n"
	"	PRIMARY KEY (result_id, step)\n"
	") STRICT, WITHOUT ROWID;\n"
	"ALTER TABLE loss_curve ADD COLUMN ref_loss REAL;\n"
	"ALTER TABLE result ADD COLUMN loss_divergence REAL\n"
	"	    CHECK (loss_divergence >= 0);\n",

	/* v4: dynamic int8 quantisation (int8dyn).  On an int8dyn row:
	 * the weights' granularity (0 per tensor, 1 per output channel);
	 * the relative L2 error of the output against the fp64
	 * unquantised forward in the symmetric scheme the GPU runs and in
	 * PyTorch's (uint8 affine activations), measured on the host; and
	 * the elements the variant clamped when quantising the checked
	 * step's activations and weights.  NULL on every other row (and on
	 * rows older than v4). */
	"ALTER TABLE result ADD COLUMN quant_per_channel INTEGER\n"
	"	    CHECK (quant_per_channel IN (0, 1));\n"
	"ALTER TABLE result ADD COLUMN quant_err_sym REAL\n"
	"	    CHECK (quant_err_sym >= 0);\n"
	"ALTER TABLE result ADD COLUMN quant_err_affine REAL\n"
	"	    CHECK (quant_err_affine >= 0);\n"
	"ALTER TABLE result ADD COLUMN quant_sat_act INTEGER\n"
	"	    CHECK (quant_sat_act >= 0);\n"
	"ALTER TABLE result ADD COLUMN quant_sat_weight INTEGER\n"
	"	    CHECK (quant_sat_weight >= 0);\n",

	/* v5: data parallel (--world with --comm, `stepbench allreduce`).
	 * On a row measured with the data-parallel machinery: the backend,
	 * the bucket caps in bytes, --overlap, the dtype gradients travel
	 * in (an allreduce row's dtype), the reduction, in-place (allreduce
	 * rows; NULL for steps), the median of the same local step without
	 * communication, the buckets' all-reduce time per step, and
	 * harness/ddp.h's overlap figures of (median_us, dp_compute_us,
	 * dp_comm_us): exposed communication, the hidden fraction and the
	 * overhead.  NULL on every other row (and on rows older than v5).
	 * comm holds one row per all-reduce of such a result: a gradient
	 * bucket of the step (0, 1, ... in all-reduce order, with its
	 * parameters and layers), or an allreduce row's collective
	 * (bucket 0, no parameters or layers); bytes as all-reduced, the
	 * median and least time over the samples, and nccl-tests' algbw
	 * and busbw of bytes and the median. */
	"ALTER TABLE result ADD COLUMN dp_backend TEXT\n"
	"	    CHECK (dp_backend IN ('nccl', 'mpi'));\n"
	"ALTER TABLE result ADD COLUMN dp_bucket_cap REAL\n"
	"	    CHECK (dp_bucket_cap >= 0);\n"
	"ALTER TABLE result ADD COLUMN dp_first_bucket REAL\n"
	"	    CHECK (dp_first_bucket >= 0);\n"
	"ALTER TABLE result ADD COLUMN dp_overlap INTEGER\n"
	"	    CHECK (dp_overlap IN (0, 1));\n"
	"ALTER TABLE result ADD COLUMN dp_compress TEXT\n"
	"	    CHECK (dp_compress IN ('f32', 'f16', 'bf16'));\n"
	"ALTER TABLE result ADD COLUMN dp_op TEXT\n"
	"	    CHECK (dp_op IN ('sum', 'avg'));\n"
	"ALTER TABLE result ADD COLUMN dp_inplace INTEGER\n"
	"	    CHECK (dp_inplace IN (0, 1));\n"
	"ALTER TABLE result ADD COLUMN dp_compute_us REAL\n"
	"	    CHECK (dp_compute_us >= 0);\n"
	"ALTER TABLE result ADD COLUMN dp_comm_us REAL\n"
	"	    CHECK (dp_comm_us >= 0);\n"
	"ALTER TABLE result ADD COLUMN dp_exposed_us REAL\n"
	"	    CHECK (dp_exposed_us >= 0);\n"
	"ALTER TABLE result ADD COLUMN dp_overlap_frac REAL\n"
	"	    CHECK (dp_overlap_frac >= 0 AND dp_overlap_frac <= 1);\n"
	"ALTER TABLE result ADD COLUMN dp_overhead REAL;\n"
	"CREATE TABLE comm (\n"
	"	result_id	INTEGER NOT NULL REFERENCES result(id)\n"
	"			    ON DELETE CASCADE,\n"
	"	bucket		INTEGER NOT NULL CHECK (bucket >= 0),\n"
	"	nparams		INTEGER CHECK (nparams >= 0),\n"
	"	layer_hi	INTEGER CHECK (layer_hi >= 0),\n"
	"	layer_lo	INTEGER CHECK (layer_lo >= 0 AND\n"
	"			    layer_lo <= layer_hi),\n"
	"	bytes		INTEGER NOT NULL CHECK (bytes >= 0),\n"
	"	median_us	REAL CHECK (median_us >= 0),\n"
	"	min_us		REAL CHECK (min_us >= 0),\n"
	"	algbw_gbps	REAL CHECK (algbw_gbps >= 0),\n"
	"	busbw_gbps	REAL CHECK (busbw_gbps >= 0),\n"
	"	PRIMARY KEY (result_id, bucket)\n"
	") STRICT, WITHOUT ROWID;\n",

	/* v6: profiling.  On a GPU row: what CUPTI tracing did (cupti:
	 * "ok" or "off: <why>" / "unavailable: <why>"), the steps it traced,
	 * the records per traced step (set beside result.launches), the sum
	 * of their durations and the event time of the same steps (medians
	 * over the traced steps); and the provenance fingerprint, FNV-1a 64
	 * of fingerprint_json (kernel attributes, nvcc flags, library
	 * versions, GPU UUID), both NULL or both set.  NULL on every other
	 * row (and on rows older than v6).
	 * kernel holds, per result with cupti 'ok', one row per kernel,
	 * memset or memcpy of the traced step, in start order (idx); a value
	 * that does not apply (a memcpy's grid) or is not known is NULL.
	 * profile_session is one `stepbench profile` run of a tool over a
	 * run (its report file and the exact command), and profile the
	 * values imported from its report: one row per (launch, metric),
	 * linked to the result of the point the launch belonged to
	 * (result_id NULL: outside every point, or a point with no row). */
	"ALTER TABLE result ADD COLUMN cupti TEXT\n"
	"	    CHECK (length(cupti) > 0);\n"
	"ALTER TABLE result ADD COLUMN cupti_steps INTEGER\n"
	"	    CHECK (cupti_steps >= 1);\n"
	"ALTER TABLE result ADD COLUMN cupti_launches INTEGER\n"
	"	    CHECK (cupti_launches >= 1);\n"
	"ALTER TABLE result ADD COLUMN cupti_kernel_us REAL\n"
	"	    CHECK (cupti_kernel_us >= 0);\n"
	"ALTER TABLE result ADD COLUMN cupti_event_us REAL\n"
	"	    CHECK (cupti_event_us >= 0);\n"
	"ALTER TABLE result ADD COLUMN fingerprint TEXT\n"
	"	    CHECK (length(fingerprint) = 16 AND\n"
	"	    fingerprint NOT GLOB '*[^0-9a-f]*');\n"
	/* A column CHECK may name an earlier column: this one holds the
	 * pair together, which ADD COLUMN cannot do as a table CHECK. */
	"ALTER TABLE result ADD COLUMN fingerprint_json TEXT\n"
	"	    CHECK ((fingerprint IS NULL) = (fingerprint_json IS NULL)\n"
	"	    AND (fingerprint_json IS NULL OR CASE WHEN\n"
	"	    json_valid(fingerprint_json) THEN json_type(\n"
	"	    fingerprint_json) = 'object' ELSE 0 END));\n"
	"CREATE TABLE kernel (\n"
	"	result_id	INTEGER NOT NULL REFERENCES result(id)\n"
	"			    ON DELETE CASCADE,\n"
	"	idx		INTEGER NOT NULL CHECK (idx >= 0),\n"
	"	kind		TEXT NOT NULL CHECK (kind IN\n"
	"			    ('kernel', 'memset', 'memcpy')),\n"
	"	name		TEXT,\n"
	"	phase		TEXT,\n"
	"	stream		INTEGER CHECK (stream >= 0),\n"
	"	grid_x		INTEGER CHECK (grid_x >= 0),\n"
	"	grid_y		INTEGER CHECK (grid_y >= 0),\n"
	"	grid_z		INTEGER CHECK (grid_z >= 0),\n"
	"	block_x		INTEGER CHECK (block_x >= 0),\n"
	"	block_y		INTEGER CHECK (block_y >= 0),\n"
	"	block_z		INTEGER CHECK (block_z >= 0),\n"
	"	regs		INTEGER CHECK (regs >= 0),\n"
	"	static_smem	INTEGER CHECK (static_smem >= 0),\n"
	"	dyn_smem	INTEGER CHECK (dyn_smem >= 0),\n"
	"	local_bytes	INTEGER CHECK (local_bytes >= 0),\n"
	"	bytes		INTEGER CHECK (bytes >= 0),\n"
	"	duration_us	REAL CHECK (duration_us >= 0),\n"
	"	start_us	REAL CHECK (start_us >= 0),\n"
	"	PRIMARY KEY (result_id, idx)\n"
	") STRICT, WITHOUT ROWID;\n"
	"CREATE TABLE profile_session (\n"
	"	id		INTEGER PRIMARY KEY,\n"
	"	run_id		INTEGER NOT NULL REFERENCES run(id)\n"
	"			    ON DELETE CASCADE,\n"
	"	tool		TEXT NOT NULL CHECK (tool IN ('ncu', 'nsys')),\n"
	"	report		TEXT,\n"
	"	command		TEXT NOT NULL,\n"
	"	tool_version	TEXT,\n"
	"	imported_at	TEXT NOT NULL\n"
	") STRICT;\n"
	"CREATE INDEX profile_session_run ON profile_session(run_id);\n"
	/* value is NULL for a text value (text set); idx orders a session's
	 * rows as they were added. */
	"CREATE TABLE profile (\n"
	"	session_id	INTEGER NOT NULL REFERENCES profile_session(id)\n"
	"			    ON DELETE CASCADE,\n"
	"	idx		INTEGER NOT NULL CHECK (idx >= 0),\n"
	"	result_id	INTEGER REFERENCES result(id)\n"
	"			    ON DELETE CASCADE,\n"
	"	launch		INTEGER NOT NULL CHECK (launch >= 0),\n"
	"	kernel		TEXT NOT NULL,\n"
	"	phase		TEXT,\n"
	"	metric		TEXT NOT NULL CHECK (length(metric) > 0),\n"
	"	unit		TEXT,\n"
	"	value		REAL,\n"
	"	text		TEXT,\n"
	"	PRIMARY KEY (session_id, idx)\n"
	") STRICT, WITHOUT ROWID;\n"
	"CREATE INDEX profile_result ON profile(result_id);\n",
};

_Static_assert(sizeof(migrations) / sizeof(migrations[0]) ==
    DB_SCHEMA_VERSION, "DB_SCHEMA_VERSION must equal the number of "
    "migrations");

/*
 * All steps, the application id and the new user_version commit together:
 * a crash or error mid-way leaves the file at its old version.
 */
int
db_migrate(struct db *db)
{
	const char	*what = "upgrading the schema";
	char		 sql[128];
	int64_t		 ver;
	int		 ret = -1, v;

	/* The common case takes no write lock at all. */
	if (db->schema == DB_SCHEMA_VERSION)
		return (0);
	if (db_begin(db, what) == -1)
		goto out;
	/* Re-read under the lock: another process may have migrated since
	 * db_open() validated the file. */
	if (db_query_int(db, "PRAGMA user_version", "reading the schema "
	    "version", &ver) == -1)
		goto out;
	if (ver > DB_SCHEMA_VERSION || ver < 0) {
		db_seterr(db, "'%s' has schema v%lld, newer than this "
		    "stepbench (knows up to v%d); use a newer stepbench build",
		    db->path, (long long)ver, DB_SCHEMA_VERSION);
		goto out;
	}
	for (v = (int)ver; v < DB_SCHEMA_VERSION; v++) {
		if (sqlite3_exec(db->h, migrations[v], NULL, NULL, NULL) !=
		    SQLITE_OK) {
			DB_FAIL(db, "%s: migration to v%d", what, v + 1);
			goto out;
		}
	}
	/* PRAGMA values cannot be bound; both are our own integers. */
	(void)snprintf(sql, sizeof(sql), "PRAGMA application_id = %d; "
	    "PRAGMA user_version = %d", DB_APPLICATION_ID, DB_SCHEMA_VERSION);
	if (db_exec(db, sql, "setting the application id and schema version")
	    == -1)
		goto out;
	if (db_commit(db, what) == -1)
		goto out;
	db->schema = DB_SCHEMA_VERSION;
	ret = 0;
out:
	if (ret == -1)
		db_rollback(db);
	return (ret);
}
