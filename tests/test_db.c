/*
 * tests/test_db.c — the results store against real SQLite files in a fresh
 * temporary directory: creation and migration, runs, results, stale-run
 * marking, exports, and the promise that a refused open leaves the file as
 * it was.  The file is also opened with SQLite directly to check what
 * db/ wrote, independent of db/'s own readers.
 */
#define _XOPEN_SOURCE 700	/* mkdtemp, nftw, open_memstream */

#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "testkit.h"
#include "db.h"
#include "dbtest.h"

static char	 tmpdir[256];
static int	 alive_calls;

static const char	*P(const char *);
static int		 exists(const char *);
static int		 no_sidecars(const char *);
static const char	*raw_text(const char *, const char *);
static char		*capture(struct db *, int64_t, const char *, int *);
static char		*capture_runs(struct db *, int *);
static int		 alive_even(int64_t, int64_t);
static int		 count_rows(const struct db_run_row *, void *);
static int		 stop_first(const struct db_run_row *, void *);
static void		 run_info(struct db_run_info *, const char *,
			    const char *, int64_t);
static void		 result_init(struct db_result *, int, const char *);
static void		 test_create(void);
static void		 test_runs(void);
static void		 test_results(void);
static void		 test_stale(void);
static void		 test_export(void);
static void		 test_refusals(void);
static void		 test_readonly(void);
static int		 add_points(const char *, int64_t, int, int);
static void		 test_concurrent(void);
static void		 launch_init(struct db_launch *, const char *, int,
			    const char *);
static void		 test_launches(void);
static char		*schema_sql(const char *);
static void		 test_upgrade(void);
static void		 test_amp(void);
static void		 test_upgrade_v2(void);
static void		 test_upgrade_v3(void);
static void		 quant_init(struct db_result *, int, const char *,
			    const char *, int, double, double, int64_t,
			    int64_t);
static void		 test_quant(void);
static void		 test_upgrade_v5(void);

/* Paths inside the temp dir; a few rotating buffers so calls can nest. */
static const char *
P(const char *name)
{
	static char	buf[8][PATH_MAX];
	static int	i;

	i = (i + 1) % 8;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", tmpdir, name);
	return (buf[i]);
}

static int
exists(const char *path)
{
	struct stat	sb;

	return (stat(path, &sb) == 0);
}

/* Nothing was left beside path: no WAL, shared memory or journal. */
static int
no_sidecars(const char *path)
{
	char	buf[PATH_MAX + 16];

	snprintf(buf, sizeof(buf), "%s-wal", path);
	if (exists(buf))
		return (0);
	snprintf(buf, sizeof(buf), "%s-shm", path);
	if (exists(buf))
		return (0);
	snprintf(buf, sizeof(buf), "%s-journal", path);
	return (!exists(buf));
}

static const char *
raw_text(const char *path, const char *sql)
{
	static char	 buf[4096];
	sqlite3		*h = NULL;
	sqlite3_stmt	*st = NULL;
	const char	*s;

	snprintf(buf, sizeof(buf), "(error)");
	if (sqlite3_open_v2(path, &h, SQLITE_OPEN_READWRITE, NULL) ==
	    SQLITE_OK && sqlite3_prepare_v2(h, sql, -1, &st, NULL) ==
	    SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
		s = (const char *)sqlite3_column_text(st, 0);
		snprintf(buf, sizeof(buf), "%s", s != NULL ? s : "(null)");
	}
	sqlite3_finalize(st);
	sqlite3_close(h);
	return (buf);
}

static char *
capture(struct db *db, int64_t run_id, const char *fmt, int *rc)
{
	FILE	*f;
	char	*buf = NULL;
	size_t	 len = 0;

	if ((f = open_memstream(&buf, &len)) == NULL) {
		*rc = -2;
		return (NULL);
	}
	*rc = db_export(db, run_id, fmt, f);
	fclose(f);
	return (buf);
}

static char *
capture_runs(struct db *db, int *rc)
{
	FILE	*f;
	char	*buf = NULL;
	size_t	 len = 0;

	if ((f = open_memstream(&buf, &len)) == NULL) {
		*rc = -2;
		return (NULL);
	}
	*rc = db_runs_json(db, f);
	fclose(f);
	return (buf);
}

/* Even pids are alive. */
static int
alive_even(int64_t pid, int64_t pid_start)
{
	(void)pid_start;
	alive_calls++;
	return (pid % 2 == 0);
}

static int
count_rows(const struct db_run_row *r, void *ctx)
{
	int64_t	*v = ctx;

	/* v[0] counts, v[1] keeps the previous id to check the order. */
	if (v[0] > 0 && r->id >= v[1])
		v[2] = 1;
	v[0]++;
	v[1] = r->id;
	return (0);
}

static int
stop_first(const struct db_run_row *r, void *ctx)
{
	(*(int *)ctx)++;
	(void)r;
	return (1);
}

static void
run_info(struct db_run_info *ri, const char *uuid, const char *host,
    int64_t pid)
{
	static char *const	argv[] = { "stepbench", "sweep" };

	memset(ri, 0, sizeof(*ri));
	ri->uuid = uuid;
	ri->argc = 2;
	ri->argv = argv;
	ri->git_rev = "abc1234";
	ri->host = host;
	ri->pid = pid;
	ri->pid_start = 1000 + pid;
	ri->env_json = "{\"gpu\":\"none\",\"cc\":\"gcc\"}";
	ri->device = "cpu: test";
	ri->planned_points = 4;
}

static void
result_init(struct db_result *r, int idx, const char *status)
{
	memset(r, 0, sizeof(*r));
	r->point_idx = idx;
	r->variant = "train.fp32.cpu";
	r->mode = "train";
	r->precision = "fp32";
	r->impl = "cpu";
	r->m = 64;
	r->n = 128;
	r->k = 256;
	r->layers = 1;
	r->world = 1;
	r->status = status;
	r->over_peak = -1;
	r->median_us = r->mean_us = r->min_us = r->max_us = NAN;
	r->p10_us = r->p90_us = r->cv = NAN;
	r->flops = r->bytes = r->tflops = r->gbps = NAN;
	r->peak_tflops = r->peak_gbps = NAN;
	r->err_y = r->err_loss = r->err_dw = r->err_db = r->err_w = NAN;
	r->tol = r->err_recheck = r->loss = NAN;
}

/* --- 1: creating, migrating, reopening ------------------------------------ */

static void
test_create(void)
{
	struct db	*db = NULL;
	char		 err[1024];
	const char	*path = P("new.db");
	int		 rc;

	rc = db_open(&db, path, DB_OPEN_WRITE, err, sizeof(err));
	CHECK("db-1.1: WRITE creates a new database", rc == 0 && db != NULL);
	if (rc != 0) {
		fprintf(stderr, "  %s\n", err);
		return;
	}
	CHECK("db-1.1: the file exists", exists(path));
	CHECK("db-1.2: schema version is current",
	    db_schema_version(db) == DB_SCHEMA_VERSION);
	CHECK("db-1.2: sqlite version reported",
	    strcmp(db_sqlite_version(), sqlite3_libversion()) == 0);
	CHECK("db-1.2: no error after success", strcmp(db_errmsg(db), "") == 0);
	CHECK("db-1.3: user_version set",
	    raw_int(path, "PRAGMA user_version") == DB_SCHEMA_VERSION);
	CHECK("db-1.3: application_id set",
	    raw_int(path, "PRAGMA application_id") == DB_APPLICATION_ID);
	CHECK("db-1.3: journal mode is WAL",
	    strcmp(raw_text(path, "PRAGMA journal_mode"), "wal") == 0);
	CHECK("db-1.4: all eight tables are STRICT", raw_int(path,
	    "SELECT count(*) FROM pragma_table_list WHERE schema = 'main' "
	    "AND strict AND name IN ('environment', 'run', 'result', "
	    "'sample', 'phase', 'loss_curve', 'launch_info', 'scaler')") ==
	    8);
	CHECK("db-1.4: a wrong type is refused (STRICT)", raw_exec(path,
	    "INSERT INTO run (uuid, pid, started_at) "
	    "VALUES ('zzzz-strict', 'not a pid', 'now')") ==
	    SQLITE_CONSTRAINT_DATATYPE);
	CHECK("db-1.4: a bad run status is refused", raw_exec(path,
	    "INSERT INTO run (uuid, status, started_at) "
	    "VALUES ('zzzz-status', 'done', 'now')") ==
	    SQLITE_CONSTRAINT_CHECK);
	CHECK("db-1.4: argv must be a JSON array", raw_exec(path,
	    "INSERT INTO run (uuid, argv, started_at) "
	    "VALUES ('zzzz-argv', '{}', 'now')") == SQLITE_CONSTRAINT_CHECK);
	CHECK("db-1.4: nothing stored by the refused inserts",
	    raw_int(path, "SELECT count(*) FROM run") == 0);
	db_close(db);
	db = NULL;

	/* Reopening changes nothing: same version, no second migration. */
	rc = db_open(&db, path, DB_OPEN_WRITE, err, sizeof(err));
	CHECK("db-1.5: reopen WRITE succeeds", rc == 0);
	CHECK("db-1.5: reopen keeps the version", db != NULL &&
	    db_schema_version(db) == DB_SCHEMA_VERSION);
	db_close(db);
	db = NULL;
	rc = db_open(&db, path, DB_OPEN_EXISTING, err, sizeof(err));
	CHECK("db-1.5: reopen EXISTING succeeds", rc == 0);
	db_close(db);
	db = NULL;
	CHECK("db-1.5: still one set of tables", raw_int(path,
	    "SELECT count(*) FROM sqlite_schema WHERE type = 'table'") == 12);
	CHECK("db-1.5: user_version unchanged",
	    raw_int(path, "PRAGMA user_version") == DB_SCHEMA_VERSION);

	/* An empty (0-byte) file is a valid empty database: ours to set up. */
	fclose(fopen(P("empty.db"), "w"));
	rc = db_open(&db, P("empty.db"), DB_OPEN_EXISTING, err, sizeof(err));
	CHECK("db-1.6: EXISTING initialises an empty file", rc == 0 &&
	    raw_int(P("empty.db"), "PRAGMA user_version") ==
	    DB_SCHEMA_VERSION);
	db_close(db);
}

/* --- 2: runs -------------------------------------------------------------- */

static void
test_runs(void)
{
	static char *const	 awk[] = { "stepbench", "sweep",
	    "--label=it's \"quoted\"", "back\\slash", "new\nline",
	    "tab\there", "ünïcødé ✓ 🚀", "", "{\"json\":[1]}", "\x01\x1f" };
	const int		 nawk = (int)(sizeof(awk) / sizeof(awk[0]));
	struct db		*db = NULL;
	struct db_run_info	 ri;
	struct db_run_row	 row;
	const char		*path = P("runs.db");
	char			 err[1024], ref[64], **av = NULL;
	int64_t			 id1 = 0, id2 = 0, id3 = 0, id4 = 0, v[3];
	int			 rc, ac = -1, i, n, eq;

	if (db_open(&db, path, DB_OPEN_WRITE, err, sizeof(err)) != 0) {
		CHECK("db-2.0: open", 0);
		fprintf(stderr, "  %s\n", err);
		return;
	}
	run_info(&ri, "0123abcd-0000-4000-8000-000000000001", "h1", 42);
	ri.label = "first";
	ri.note = "a note, with \"quotes\"";
	ri.argc = nawk;
	ri.argv = awk;
	rc = db_run_begin(db, &ri, &id1);
	CHECK("db-2.1: run begins", rc == 0 && id1 > 0);
	run_info(&ri, "0123abcd-0000-4000-8000-000000000002", "h1", 43);
	CHECK("db-2.1: second run", db_run_begin(db, &ri, &id2) == 0 &&
	    id2 > id1);
	run_info(&ri, "fedc9876-0000-4000-8000-000000000003", "h1", 44);
	ri.env_json = "{\"gpu\":\"other\"}";
	ri.argc = 0;
	ri.argv = NULL;
	CHECK("db-2.1: third run, no argv", db_run_begin(db, &ri, &id3) == 0);

	/* The same env_json is stored once. */
	CHECK("db-2.2: environments deduplicated",
	    raw_int(path, "SELECT count(*) FROM environment") == 2);
	CHECK("db-2.2: runs share the environment row", raw_int(path,
	    "SELECT count(DISTINCT env_id) FROM run") == 2);
	run_info(&ri, "bad00000-0000-4000-8000-000000000009", "h1", 45);
	ri.env_json = "not json";
	CHECK("db-2.2: invalid env_json is refused",
	    db_run_begin(db, &ri, &id4) == -1 && id4 == 0);
	ri.env_json = "[1,2]";
	CHECK("db-2.2: env_json must be an object",
	    db_run_begin(db, &ri, &id4) == -1);
	CHECK("db-2.2: refused runs left nothing behind",
	    raw_int(path, "SELECT count(*) FROM run") == 3 &&
	    raw_int(path, "SELECT count(*) FROM environment") == 2);
	ri.env_json = NULL;
	ri.uuid = "0123abcd-0000-4000-8000-000000000001";
	rc = db_run_begin(db, &ri, &id4);
	CHECK("db-2.3: duplicate uuid refused", rc == -1 &&
	    strstr(db_errmsg(db), "already exists") != NULL);

	/* Find by id, uuid, prefix. */
	snprintf(ref, sizeof(ref), "%lld", (long long)id1);
	rc = db_run_find(db, ref, &row);
	CHECK("db-2.4: find by id", rc == 0 && row.id == id1);
	CHECK("db-2.4: row fields", rc == 0 &&
	    strcmp(row.uuid, "0123abcd-0000-4000-8000-000000000001") == 0 &&
	    strcmp(row.status, "running") == 0 &&
	    strcmp(row.host, "h1") == 0 &&
	    strcmp(row.device, "cpu: test") == 0 &&
	    strcmp(row.label, "first") == 0 &&
	    strcmp(row.note, "a note, with \"quotes\"") == 0 &&
	    row.pid == 42 && row.pid_start == 1042 &&
	    row.planned_points == 4 && row.done_points == 0 &&
	    row.ended_at[0] == '\0');
	CHECK("db-2.4: started_at is UTC ISO-8601 with ms",
	    strlen(row.started_at) == 24 && row.started_at[10] == 'T' &&
	    row.started_at[19] == '.' && row.started_at[23] == 'Z');
	rc = db_run_find(db, "fedc9876-0000-4000-8000-000000000003", &row);
	CHECK("db-2.4: find by full uuid", rc == 0 && row.id == id3);
	rc = db_run_find(db, "fedc", &row);
	CHECK("db-2.4: find by 4-char prefix", rc == 0 && row.id == id3);
	rc = db_run_find(db, "0123abcd-0000-4000-8000-00000000000", &row);
	CHECK("db-2.4: ambiguous prefix is DB_NOTFOUND", rc == DB_NOTFOUND);
	CHECK("db-2.4: ambiguous message counts matches",
	    strstr(db_errmsg(db), "matches 2 runs") != NULL);
	rc = db_run_find(db, "0123abcd-0000-4000-8000-0000000000", &row);
	CHECK("db-2.4: ambiguous prefix leaves no row", rc == DB_NOTFOUND &&
	    row.id == 0);
	rc = db_run_find(db, "0123abcd-0000-4000-8000-000000000002", &row);
	CHECK("db-2.4: full uuid of a prefix-sharing run", rc == 0 &&
	    row.id == id2);
	rc = db_run_find(db, "nope-nope", &row);
	CHECK("db-2.4: missing run is DB_NOTFOUND", rc == DB_NOTFOUND &&
	    strstr(db_errmsg(db), "'nope-nope'") != NULL &&
	    strstr(db_errmsg(db), path) != NULL);
	CHECK("db-2.4: 3-char prefix is not enough",
	    db_run_find(db, "fed", &row) == DB_NOTFOUND);
	CHECK("db-2.4: unknown id", db_run_find(db, "999999", &row) ==
	    DB_NOTFOUND);
	CHECK("db-2.4: empty ref", db_run_find(db, "", &row) == DB_NOTFOUND);

	/* argv round trip. */
	rc = db_run_argv(db, id1, &ac, &av);
	CHECK("db-2.5: argv read back", rc == 0 && ac == nawk);
	eq = rc == 0 && ac == nawk;
	for (i = 0; eq && i < nawk; i++)
		if (strcmp(av[i], awk[i]) != 0) {
			fprintf(stderr, "  argv[%d]: got '%s' want '%s'\n", i,
			    av[i], awk[i]);
			eq = 0;
		}
	CHECK("db-2.5: awkward argv strings survive", eq);
	CHECK("db-2.5: argv is NULL-terminated", rc == 0 && av[ac] == NULL);
	CHECK("db-2.5: stored as a JSON array", raw_int(path,
	    "SELECT json_array_length(argv) FROM run ORDER BY id LIMIT 1") ==
	    nawk);
	for (i = 0; rc == 0 && i < ac; i++)
		free(av[i]);
	free(av);
	av = NULL;
	rc = db_run_argv(db, id3, &ac, &av);
	CHECK("db-2.5: empty argv", rc == 0 && ac == 0);
	free(av);
	av = NULL;
	CHECK("db-2.5: argv of a missing run fails",
	    db_run_argv(db, 999999, &ac, &av) == -1 && av == NULL);

	/* End, reopen. */
	CHECK("db-2.6: run ends ok", db_run_end(db, id2, "ok") == 0);
	rc = db_run_find(db, "0123abcd-0000-4000-8000-000000000002", &row);
	CHECK("db-2.6: status and ended_at set", rc == 0 &&
	    strcmp(row.status, "ok") == 0 && strlen(row.ended_at) == 24);
	CHECK("db-2.6: bad end status refused",
	    db_run_end(db, id3, "running") == -1);
	CHECK("db-2.6: ending a missing run fails",
	    db_run_end(db, 999999, "ok") == -1 &&
	    strstr(db_errmsg(db), "999999") != NULL);
	CHECK("db-2.6: reopen", db_run_reopen(db, id2, 77, 7700) == 0);
	snprintf(ref, sizeof(ref), "%lld", (long long)id2);
	rc = db_run_find(db, ref, &row);
	CHECK("db-2.6: reopened run is running again", rc == 0 &&
	    strcmp(row.status, "running") == 0 && row.ended_at[0] == '\0' &&
	    row.pid == 77 && row.pid_start == 7700);
	CHECK("db-2.6: reopening a missing run fails",
	    db_run_reopen(db, 999999, 1, 1) == -1);

	/* Foreach: newest first, early stop. */
	v[0] = v[1] = v[2] = 0;
	CHECK("db-2.7: foreach", db_run_foreach(db, count_rows, v) == 0);
	CHECK("db-2.7: foreach sees every run, newest first", v[0] == 3 &&
	    v[2] == 0 && v[1] == id1);
	n = 0;
	CHECK("db-2.7: foreach stops when asked",
	    db_run_foreach(db, stop_first, &n) == 0 && n == 1);
	db_close(db);
}

/* --- 3: results ----------------------------------------------------------- */

static void
test_results(void)
{
	static const double	 samples[5] = { 10.5, 11.25, NAN, 9.75,
	    1.5e-7 };
	static const double	 loss[3] = { 2.5, 2.25, 2.0 };
	static const double	 lr[3] = { 0.1, 0.05, 0.025 };
	struct db_phase		 ph[3] = { { "forward", 3.5 },
	    { "backward.wgrad", NAN }, { "loss", 0.25 } };
	struct db_phase		 dup[2] = { { "forward", 1 }, { "forward", 2 } };
	struct db		*db = NULL;
	struct db_run_info	 ri;
	struct db_run_row	 row;
	struct db_result	 r;
	const char		*path = P("results.db");
	char			 err[1024];
	unsigned char		 done[6];
	int64_t			 id = 0;
	int			 rc;

	if (db_open(&db, path, DB_OPEN_WRITE, err, sizeof(err)) != 0) {
		CHECK("db-3.0: open", 0);
		fprintf(stderr, "  %s\n", err);
		return;
	}
	run_info(&ri, "aaaa0000-0000-4000-8000-000000000001", "h1", 42);
	if (db_run_begin(db, &ri, &id) != 0) {
		CHECK("db-3.0: run", 0);
		db_close(db);
		return;
	}
	result_init(&r, 0, "ok");
	r.nsamples = 5;
	r.samples_us = samples;
	r.median_us = 10.5;
	r.err_y = 1.5e-7;
	r.tflops = INFINITY;
	r.nphases = 3;
	r.phases = ph;
	r.nsteps = 3;
	r.loss_curve = loss;
	r.lr_curve = lr;
	r.started_at = "2024-01-02T03:04:05.678Z";
	rc = db_result_add(db, id, &r);
	CHECK("db-3.1: result added", rc == 0);
	if (rc != 0)
		fprintf(stderr, "  %s\n", db_errmsg(db));
	CHECK("db-3.1: one result row",
	    raw_int(path, "SELECT count(*) FROM result") == 1);
	CHECK("db-3.1: columns stored", raw_int(path, "SELECT count(*) FROM "
	    "result WHERE variant = 'train.fp32.cpu' AND m = 64 AND n = 128 "
	    "AND k = 256 AND status = 'ok' AND nsamples = 5 AND nsteps = 3 "
	    "AND over_peak = -1 AND median_us = 10.5 AND err_y = 1.5e-7") ==
	    1);
	CHECK("db-3.1: given started_at kept", strcmp(raw_text(path,
	    "SELECT started_at FROM result"), "2024-01-02T03:04:05.678Z") ==
	    0);
	CHECK("db-3.1: ended_at is now", strlen(raw_text(path,
	    "SELECT ended_at FROM result")) == 24);
	CHECK("db-3.2: NaN stored as NULL", raw_int(path, "SELECT count(*) "
	    "FROM result WHERE err_dw IS NULL AND mean_us IS NULL "
	    "AND loss IS NULL AND typeof(err_dw) = 'null'") == 1);
	CHECK("db-3.2: Inf stored as NULL", raw_int(path, "SELECT count(*) "
	    "FROM result WHERE tflops IS NULL") == 1);
	CHECK("db-3.2: samples stored in order", raw_int(path,
	    "SELECT count(*) FROM sample WHERE (idx = 0 AND time_us = 10.5) "
	    "OR (idx = 1 AND time_us = 11.25) OR (idx = 3 AND time_us = 9.75) "
	    "OR (idx = 4 AND time_us = 1.5e-7)") == 4);
	CHECK("db-3.2: NaN sample is NULL", raw_int(path, "SELECT count(*) "
	    "FROM sample WHERE idx = 2 AND time_us IS NULL") == 1);
	CHECK("db-3.2: phases stored", raw_int(path, "SELECT count(*) FROM "
	    "phase WHERE (name = 'forward' AND median_us = 3.5) OR "
	    "(name = 'backward.wgrad' AND median_us IS NULL) OR "
	    "(name = 'loss' AND median_us = 0.25)") == 3);
	CHECK("db-3.2: loss curve stored", raw_int(path, "SELECT count(*) "
	    "FROM loss_curve WHERE (step = 0 AND loss = 2.5 AND lr = 0.1) OR "
	    "(step = 2 AND loss = 2.0 AND lr = 0.025)") == 2 &&
	    raw_int(path, "SELECT count(*) FROM loss_curve") == 3);

	/* A failure anywhere in the point leaves none of it. */
	result_init(&r, 1, "ok");
	r.nsamples = 5;
	r.samples_us = samples;
	r.nphases = 2;
	r.phases = dup;
	rc = db_result_add(db, id, &r);
	CHECK("db-3.3: duplicate phase refused", rc == -1 &&
	    strstr(db_errmsg(db), "forward") != NULL);
	CHECK("db-3.3: nothing of the failed point stored",
	    raw_int(path, "SELECT count(*) FROM result") == 1 &&
	    raw_int(path, "SELECT count(*) FROM sample") == 5);
	result_init(&r, 0, "ok");
	CHECK("db-3.3: same point twice refused",
	    db_result_add(db, id, &r) == -1 &&
	    strstr(db_errmsg(db), "already has a result") != NULL);
	result_init(&r, 1, "bogus");
	CHECK("db-3.3: bad status refused", db_result_add(db, id, &r) == -1);
	result_init(&r, 1, "ok");
	r.nsamples = 3;
	CHECK("db-3.3: nsamples without samples refused",
	    db_result_add(db, id, &r) == -1);
	result_init(&r, 1, "ok");
	CHECK("db-3.3: missing run refused",
	    db_result_add(db, 999999, &r) == -1 &&
	    strstr(db_errmsg(db), "999999") != NULL);
	CHECK("db-3.3: still one result",
	    raw_int(path, "SELECT count(*) FROM result") == 1);

	/* started_at NULL = now; no arrays at all is fine. */
	result_init(&r, 3, "mismatch");
	r.reason = "err_y 0.5 > tol";
	CHECK("db-3.4: bare result added", db_result_add(db, id, &r) == 0);
	CHECK("db-3.4: started_at defaults to now", strlen(raw_text(path,
	    "SELECT started_at FROM result WHERE point_idx = 3")) == 24);

	memset(done, 9, sizeof(done));
	rc = db_run_done_points(db, id, done, 5);
	CHECK("db-3.5: done points", rc == 0 && done[0] == 1 &&
	    done[1] == 0 && done[2] == 0 && done[3] == 1 && done[4] == 0);
	CHECK("db-3.5: done points stays inside n", done[5] == 9);
	CHECK("db-3.5: done points of a missing run fails",
	    db_run_done_points(db, 999999, done, 5) == -1);
	rc = db_run_find(db, "aaaa", &row);
	CHECK("db-3.5: done and ok counts", rc == 0 && row.done_points == 2 &&
	    row.ok_points == 1);
	CHECK("db-3.5: the mismatch counts as failed", row.failed_points == 1);

	/* Deleting a run removes everything measured for it. */
	CHECK("db-3.6: cascade delete", raw_exec(path,
	    "PRAGMA foreign_keys = ON; DELETE FROM run") == SQLITE_OK &&
	    raw_int(path, "SELECT (SELECT count(*) FROM result) + "
	    "(SELECT count(*) FROM sample) + (SELECT count(*) FROM phase) + "
	    "(SELECT count(*) FROM loss_curve)") == 0);
	db_close(db);
}

/* --- 4: stale runs -------------------------------------------------------- */

static void
test_stale(void)
{
	struct db		*db = NULL;
	struct db_run_info	 ri;
	struct db_run_row	 row;
	const char		*path = P("stale.db");
	char			 err[1024];
	int64_t			 id;
	int			 n = -1, rc;

	if (db_open(&db, path, DB_OPEN_WRITE, err, sizeof(err)) != 0) {
		CHECK("db-4.0: open", 0);
		fprintf(stderr, "  %s\n", err);
		return;
	}
	/* h1: 100 alive, 101 dead, 103 dead but already finished;
	 * h2: 201 dead but not ours to judge. */
	run_info(&ri, "5a1e0000-0000-4000-8000-000000000100", "h1", 100);
	rc = db_run_begin(db, &ri, &id);
	run_info(&ri, "5a1e0000-0000-4000-8000-000000000101", "h1", 101);
	rc |= db_run_begin(db, &ri, &id);
	run_info(&ri, "5a1e0000-0000-4000-8000-000000000103", "h1", 103);
	rc |= db_run_begin(db, &ri, &id);
	rc |= db_run_end(db, id, "ok");
	run_info(&ri, "5a1e0000-0000-4000-8000-000000000201", "h2", 201);
	rc |= db_run_begin(db, &ri, &id);
	CHECK("db-4.1: runs set up", rc == 0);

	alive_calls = 0;
	rc = db_mark_stale_runs(db, "h1", alive_even, &n);
	CHECK("db-4.1: mark stale", rc == 0 && n == 1);
	CHECK("db-4.1: only running runs of this host asked about",
	    alive_calls == 2);
	rc = db_run_find(db, "5a1e0000-0000-4000-8000-000000000101", &row);
	CHECK("db-4.1: dead run aborted", rc == 0 &&
	    strcmp(row.status, "aborted") == 0 && strlen(row.ended_at) == 24);
	rc = db_run_find(db, "5a1e0000-0000-4000-8000-000000000100", &row);
	CHECK("db-4.1: live run untouched", rc == 0 &&
	    strcmp(row.status, "running") == 0 && row.ended_at[0] == '\0');
	rc = db_run_find(db, "5a1e0000-0000-4000-8000-000000000103", &row);
	CHECK("db-4.1: finished run untouched", rc == 0 &&
	    strcmp(row.status, "ok") == 0);
	rc = db_run_find(db, "5a1e0000-0000-4000-8000-000000000201", &row);
	CHECK("db-4.1: other host untouched", rc == 0 &&
	    strcmp(row.status, "running") == 0);
	rc = db_mark_stale_runs(db, "h1", alive_even, &n);
	CHECK("db-4.2: second pass marks none", rc == 0 && n == 0);
	CHECK("db-4.2: NULL alive() refused",
	    db_mark_stale_runs(db, "h1", NULL, &n) == -1);
	CHECK("db-4.2: NULL count allowed",
	    db_mark_stale_runs(db, "h2", alive_even, NULL) == 0);
	rc = db_run_find(db, "5a1e0000-0000-4000-8000-000000000201", &row);
	CHECK("db-4.2: h2's dead run aborted by h2", rc == 0 &&
	    strcmp(row.status, "aborted") == 0);
	db_close(db);
}

/* --- 5: exports ----------------------------------------------------------- */

static void
test_export(void)
{
	static char *const	 argv[] = { "stepbench", "sweep",
	    "--note=ünï \"q\"" };
	static const double	 samples[3] = { 12.5, 0.1, 1.5e-7 };
	static const double	 loss[2] = { 3.0, 2.5 };
	static const double	 lr[2] = { 0.01, 0.005 };
	struct db_phase		 ph[2] = { { "forward", 12.3 },
	    { "backward", 20.5 } };
	struct db		*db = NULL, *ro = NULL;
	struct db_run_info	 ri;
	struct db_result	 r;
	struct csv		 c;
	const char		*path = P("export.db");
	const char		*reason = "bad, \"very\" bad\r\nline 2";
	char			 err[1024], *s = NULL;
	int64_t			 id = 0, id2 = 0;
	int			 rc, ci;

	if (db_open(&db, path, DB_OPEN_WRITE, err, sizeof(err)) != 0) {
		CHECK("db-5.0: open", 0);
		fprintf(stderr, "  %s\n", err);
		return;
	}
	run_info(&ri, "e0e0e0e0-0000-4000-8000-000000000001", "h1", 42);
	ri.argc = 3;
	ri.argv = argv;
	ri.label = "exp";
	rc = db_run_begin(db, &ri, &id);
	run_info(&ri, "e0e0e0e0-0000-4000-8000-000000000002", "h1", 43);
	rc |= db_run_begin(db, &ri, &id2);
	result_init(&r, 1, "mismatch");
	r.reason = reason;
	r.check_mode = "cr\ronly";
	r.err_y = 1.5e-7;
	r.median_us = 0.1;
	r.flops = 1e15;
	rc |= db_result_add(db, id, &r);
	result_init(&r, 0, "ok");
	r.nsamples = 3;
	r.samples_us = samples;
	r.median_us = 12.5;
	r.nphases = 2;
	r.phases = ph;
	r.nsteps = 2;
	r.loss_curve = loss;
	r.lr_curve = lr;
	rc |= db_result_add(db, id, &r);
	CHECK("db-5.0: data set up", rc == 0);

	/* CSV. */
	s = capture(db, id, "csv", &rc);
	CHECK("db-5.1: csv export", rc == 0 && s != NULL);
	CHECK("db-5.1: csv parses", s != NULL && csv_parse(s, &c) == 0);
	CHECK("db-5.1: header + one row per result", c.nrows == 3);
	CHECK("db-5.1: records end with CRLF", c.crlf);
	CHECK("db-5.1: header starts with run_uuid and result columns",
	    c.nrows > 0 && strcmp(c.f[0][0], "run_uuid") == 0 &&
	    csv_col(&c, "point_idx") > 0 && csv_col(&c, "median_us") > 0 &&
	    csv_col(&c, "time_us") == -1);
	CHECK("db-5.1: every row has the header's width", c.nrows == 3 &&
	    c.ncols[1] == c.ncols[0] && c.ncols[2] == c.ncols[0]);
	ci = csv_col(&c, "point_idx");
	CHECK("db-5.1: rows ordered by point_idx", ci > 0 && c.nrows == 3 &&
	    strcmp(c.f[1][ci], "0") == 0 && strcmp(c.f[2][ci], "1") == 0);
	CHECK("db-5.1: run uuid on each row", c.nrows == 3 &&
	    strcmp(c.f[2][0], "e0e0e0e0-0000-4000-8000-000000000001") == 0);
	ci = csv_col(&c, "reason");
	CHECK("db-5.1: comma, quote, CRLF survive quoting", ci > 0 &&
	    c.nrows == 3 && strcmp(c.f[2][ci], reason) == 0);
	ci = csv_col(&c, "check_mode");
	CHECK("db-5.1: a lone CR is quoted too", ci > 0 && c.nrows == 3 &&
	    strcmp(c.f[2][ci], "cr\ronly") == 0);
	CHECK("db-5.1: quotes doubled in the text", s != NULL &&
	    strstr(s, "\"bad, \"\"very\"\" bad\r\nline 2\"") != NULL);
	ci = csv_col(&c, "err_y");
	CHECK("db-5.1: a tiny value survives", ci > 0 && c.nrows == 3 &&
	    strcmp(c.f[2][ci], "1.5e-07") == 0);
	ci = csv_col(&c, "median_us");
	CHECK("db-5.1: 0.1 prints as 0.1", ci > 0 && c.nrows == 3 &&
	    strcmp(c.f[2][ci], "0.1") == 0 && strcmp(c.f[1][ci], "12.5") == 0);
	ci = csv_col(&c, "flops");
	CHECK("db-5.1: large value round-trips", ci > 0 && c.nrows == 3 &&
	    strtod(c.f[2][ci], NULL) == 1e15);
	ci = csv_col(&c, "err_dw");
	CHECK("db-5.1: NULL is an empty field", ci > 0 && c.nrows == 3 &&
	    strcmp(c.f[2][ci], "") == 0);
	ci = csv_col(&c, "reason");
	CHECK("db-5.1: NULL text is an empty field", ci > 0 && c.nrows == 3 &&
	    strcmp(c.f[1][ci], "") == 0);
	csv_free(&c);
	free(s);

	s = capture(db, id2, "csv", &rc);
	CHECK("db-5.1: a run without results gives just the header",
	    rc == 0 && s != NULL && csv_parse(s, &c) == 0 && c.nrows == 1);
	csv_free(&c);
	free(s);

	/* JSON. */
	s = capture(db, id, "json", &rc);
	CHECK("db-5.2: json export", rc == 0 && s != NULL);
	CHECK("db-5.2: json is valid", strcmp(jx(s, "json_valid(?1)"), "1") ==
	    0);
	CHECK("db-5.2: run fields", strcmp(jx(s,
	    "json_extract(?1, '$.run.uuid')"),
	    "e0e0e0e0-0000-4000-8000-000000000001") == 0 &&
	    strcmp(jx(s, "json_extract(?1, '$.run.label')"), "exp") == 0 &&
	    strcmp(jx(s, "json_extract(?1, '$.run.done_points')"), "2") == 0);
	CHECK("db-5.2: run argv is an array", strcmp(jx(s,
	    "json_extract(?1, '$.run.argv[2]')"), "--note=ünï \"q\"") == 0 &&
	    strcmp(jx(s, "json_type(?1, '$.run.argv')"), "array") == 0);
	CHECK("db-5.2: environment is an object", strcmp(jx(s,
	    "json_extract(?1, '$.run.environment.gpu')"), "none") == 0);
	CHECK("db-5.2: two results", strcmp(jx(s,
	    "json_array_length(?1, '$.results')"), "2") == 0);
	CHECK("db-5.2: results ordered by point", strcmp(jx(s,
	    "json_extract(?1, '$.results[1].point_idx')"), "1") == 0);
	CHECK("db-5.2: samples array", strcmp(jx(s,
	    "json_extract(?1, '$.results[0].samples[0]')"), "12.5") == 0 &&
	    strcmp(jx(s, "json_array_length(?1, '$.results[0].samples')"),
	    "3") == 0);
	CHECK_NEAR("db-5.2: tiny sample survives", atof(jx(s,
	    "json_extract(?1, '$.results[0].samples[2]')")), 1.5e-7, 1e-12);
	CHECK_NEAR("db-5.2: phases object", atof(jx(s,
	    "json_extract(?1, '$.results[0].phases.forward')")), 12.3, 1e-12);
	CHECK("db-5.2: loss curve", strcmp(jx(s,
	    "json_extract(?1, '$.results[0].loss_curve[1].step')"), "1") == 0 &&
	    strcmp(jx(s, "json_extract(?1, '$.results[0].loss_curve[1].lr')"),
	    "0.005") == 0);
	CHECK("db-5.2: empty children are [] and {}", strcmp(jx(s,
	    "json_extract(?1, '$.results[1].samples')"), "[]") == 0 &&
	    strcmp(jx(s, "json_extract(?1, '$.results[1].phases')"), "{}") ==
	    0);
	CHECK("db-5.2: NULL is null", strcmp(jx(s,
	    "json_type(?1, '$.results[1].err_dw')"), "null") == 0);
	CHECK("db-5.2: strings escaped", strcmp(jx(s,
	    "json_extract(?1, '$.results[1].reason')"), reason) == 0);
	CHECK_NEAR("db-5.2: tiny value", atof(jx(s,
	    "json_extract(?1, '$.results[1].err_y')")), 1.5e-7, 1e-12);
	free(s);

	s = capture(db, id, "xml", &rc);
	CHECK("db-5.3: unknown format refused", rc == -1 &&
	    strstr(db_errmsg(db), "xml") != NULL);
	free(s);
	s = capture(db, 999999, "json", &rc);
	CHECK("db-5.3: missing run refused", rc == -1 && s != NULL &&
	    s[0] == '\0');
	free(s);

	/* The run list. */
	s = capture_runs(db, &rc);
	CHECK("db-5.4: runs json", rc == 0 && strcmp(jx(s, "json_valid(?1)"),
	    "1") == 0);
	CHECK("db-5.4: every run, newest first", strcmp(jx(s,
	    "json_array_length(?1)"), "2") == 0 && strcmp(jx(s,
	    "json_extract(?1, '$[0].uuid')"),
	    "e0e0e0e0-0000-4000-8000-000000000002") == 0);
	CHECK("db-5.4: counts and argv", strcmp(jx(s,
	    "json_extract(?1, '$[1].done_points')"), "2") == 0 &&
	    strcmp(jx(s, "json_extract(?1, '$[1].ok_points')"), "1") == 0 &&
	    strcmp(jx(s, "json_type(?1, '$[1].argv')"), "array") == 0 &&
	    strcmp(jx(s, "json_type(?1, '$[1].ended_at')"), "null") == 0);
	free(s);

	/* Readers can export too. */
	rc = db_open(&ro, path, DB_OPEN_READONLY, err, sizeof(err));
	CHECK("db-5.5: read-only open", rc == 0);
	s = rc == 0 ? capture(ro, id, "json", &rc) : NULL;
	CHECK("db-5.5: read-only export", rc == 0 && strcmp(jx(s,
	    "json_valid(?1)"), "1") == 0);
	free(s);
	s = rc == 0 ? capture_runs(ro, &rc) : NULL;
	CHECK("db-5.5: read-only run list", rc == 0 && s != NULL);
	free(s);
	db_close(ro);

	/* An empty database lists no runs. */
	db_close(db);
	db = NULL;
	if (db_open(&db, P("none.db"), DB_OPEN_WRITE, err, sizeof(err)) == 0) {
		s = capture_runs(db, &rc);
		CHECK("db-5.4: no runs is []", rc == 0 && s != NULL &&
		    strcmp(s, "[]\n") == 0);
		free(s);
	}
	db_close(db);
}

/* --- 6: opens that must be refused, changing nothing ---------------------- */

static void
test_refusals(void)
{
	struct db	*db = (struct db *)&db;	/* must be reset to NULL */
	char		 err[1024], path[PATH_MAX];
	struct blob	 b;
	FILE		*f;
	int		 rc, i;
	static const enum db_open_mode modes[] = { DB_OPEN_WRITE,
	    DB_OPEN_EXISTING, DB_OPEN_READONLY };

	/* Another application's database. */
	snprintf(path, sizeof(path), "%s", P("foreign.db"));
	CHECK("db-6.1: foreign db made", raw_exec(path, "CREATE TABLE "
	    "contacts (name TEXT); INSERT INTO contacts VALUES ('x')") ==
	    SQLITE_OK);
	for (i = 0; i < 3; i++) {
		b = slurp(path);
		db = (struct db *)&db;
		rc = db_open(&db, path, modes[i], err, sizeof(err));
		CHECK("db-6.1: foreign db refused", rc == -1 && db == NULL);
		CHECK("db-6.1: message says so", strstr(err,
		    "not a stepbench database") != NULL &&
		    strstr(err, path) != NULL);
		CHECK("db-6.1: foreign db unchanged", same(path, b));
		CHECK("db-6.1: no WAL left beside it", no_sidecars(path));
	}
	CHECK("db-6.1: still rollback-journal mode",
	    strcmp(raw_text(path, "PRAGMA journal_mode"), "delete") == 0);

	/* Another application's id, no tables yet. */
	snprintf(path, sizeof(path), "%s", P("foreign-id.db"));
	raw_exec(path, "PRAGMA application_id = 42");
	b = slurp(path);
	rc = db_open(&db, path, DB_OPEN_WRITE, err, sizeof(err));
	CHECK("db-6.2: foreign application_id refused", rc == -1 &&
	    strstr(err, "0x0000002a") != NULL);
	CHECK("db-6.2: unchanged", same(path, b));

	/* Not SQLite at all: short and long text. */
	snprintf(path, sizeof(path), "%s", P("notes.txt"));
	f = fopen(path, "w");
	fputs("remember the milk\n", f);
	fclose(f);
	for (i = 0; i < 3; i++) {
		b = slurp(path);
		rc = db_open(&db, path, modes[i], err, sizeof(err));
		CHECK("db-6.3: text file refused", rc == -1 && db == NULL &&
		    strstr(err, "is not a SQLite database") != NULL &&
		    strstr(err, path) != NULL);
		CHECK("db-6.3: text file unchanged", same(path, b));
		CHECK("db-6.3: nothing beside it", no_sidecars(path));
	}
	snprintf(path, sizeof(path), "%s", P("big.txt"));
	f = fopen(path, "w");
	for (i = 0; i < 2000; i++)
		fprintf(f, "line %d of a text file that is not a database\n",
		    i);
	fclose(f);
	b = slurp(path);
	rc = db_open(&db, path, DB_OPEN_WRITE, err, sizeof(err));
	CHECK("db-6.3: large text file refused", rc == -1 &&
	    strstr(err, "is not a SQLite database") != NULL);
	CHECK("db-6.3: large text file unchanged", same(path, b));

	/* Our id, a schema from the future. */
	snprintf(path, sizeof(path), "%s", P("future.db"));
	raw_exec(path, "PRAGMA application_id = 1398030928; "
	    "PRAGMA user_version = 99; CREATE TABLE run (x INTEGER)");
	CHECK("db-6.4: future db has our id",
	    raw_int(path, "PRAGMA application_id") == DB_APPLICATION_ID);
	for (i = 0; i < 3; i++) {
		b = slurp(path);
		rc = db_open(&db, path, modes[i], err, sizeof(err));
		CHECK("db-6.4: newer schema refused", rc == -1 &&
		    strstr(err, "v99") != NULL && strstr(err, "newer") != NULL);
		CHECK("db-6.4: newer schema unchanged", same(path, b));
	}

	/* A directory that does not exist. */
	snprintf(path, sizeof(path), "%s", P("nodir/sub/x.db"));
	rc = db_open(&db, path, DB_OPEN_WRITE, err, sizeof(err));
	CHECK("db-6.5: missing directory refused", rc == -1 &&
	    strstr(err, "does not exist") != NULL &&
	    strstr(err, P("nodir/sub")) != NULL);
	CHECK("db-6.5: nothing created", !exists(P("nodir")));

	/* A directory we may not write. */
	mkdir(P("ro"), 0555);
	chmod(P("ro"), 0555);
	snprintf(path, sizeof(path), "%s", P("ro/x.db"));
	rc = db_open(&db, path, DB_OPEN_WRITE, err, sizeof(err));
	if (geteuid() == 0) {
		printf("note: running as root, where permissions do not "
		    "stop writes: the unwritable-directory (db-6.6) and "
		    "read-only-file (db-6.10) refusals are not checked\n");
		db_close(db);
		db = NULL;
		unlink(path);
		unlink(P("ro/x.db-wal"));
		unlink(P("ro/x.db-shm"));
	} else {
		CHECK("db-6.6: unwritable directory refused", rc == -1 &&
		    strstr(err, "not writable") != NULL &&
		    strstr(err, P("ro")) != NULL);
		CHECK("db-6.6: nothing created", !exists(path));
	}

	/* A database file we may not write. */
	snprintf(path, sizeof(path), "%s", P("locked.db"));
	if (db_open(&db, path, DB_OPEN_WRITE, err, sizeof(err)) == 0) {
		db_close(db);
		db = NULL;
		chmod(path, 0444);
		b = slurp(path);
		rc = db_open(&db, path, DB_OPEN_EXISTING, err, sizeof(err));
		if (geteuid() == 0) {
			/* root writes anyway; nothing to refuse */
			db_close(db);
			db = NULL;
			free(b.data);
		} else {
			CHECK("db-6.10: read-only file refused for writing",
			    rc == -1 && strstr(err, "not writable") != NULL);
			CHECK("db-6.10: read-only file unchanged", same(path, b));
			rc = db_open(&db, path, DB_OPEN_READONLY, err,
			    sizeof(err));
			CHECK("db-6.10: but it can be read", rc == 0);
			db_close(db);
			db = NULL;
		}
	}

	/* Modes that need a file never create one. */
	snprintf(path, sizeof(path), "%s", P("absent.db"));
	rc = db_open(&db, path, DB_OPEN_EXISTING, err, sizeof(err));
	CHECK("db-6.7: EXISTING on a missing file refused", rc == -1 &&
	    strstr(err, "no database at") != NULL &&
	    strstr(err, path) != NULL);
	CHECK("db-6.7: EXISTING created nothing", !exists(path));
	rc = db_open(&db, path, DB_OPEN_READONLY, err, sizeof(err));
	CHECK("db-6.7: READONLY on a missing file refused", rc == -1);
	CHECK("db-6.7: READONLY created nothing", !exists(path));

	/* A directory where the file should be. */
	rc = db_open(&db, tmpdir, DB_OPEN_WRITE, err, sizeof(err));
	CHECK("db-6.8: a directory is refused", rc == -1 &&
	    strstr(err, "is a directory") != NULL);

	/* A caller without an error buffer still gets -1. */
	rc = db_open(&db, P("foreign.db"), DB_OPEN_WRITE, NULL, 0);
	CHECK("db-6.9: no error buffer", rc == -1 && db == NULL);
	CHECK("db-6.9: db_errmsg(NULL) is a string",
	    db_errmsg(NULL) != NULL);
}

/* --- 7: read-only opens --------------------------------------------------- */

static void
test_readonly(void)
{
	struct db		*db = NULL, *w = NULL;
	struct db_run_info	 ri;
	struct db_run_row	 row;
	struct db_result	 r;
	const char		*path = P("ro.db");
	char			 err[1024];
	struct blob		 b;
	int64_t			 id = 0, id2 = 0;
	int			 rc, n;

	if (db_open(&w, path, DB_OPEN_WRITE, err, sizeof(err)) != 0) {
		CHECK("db-7.0: open", 0);
		fprintf(stderr, "  %s\n", err);
		return;
	}
	run_info(&ri, "0000beef-0000-4000-8000-000000000001", "h1", 101);
	rc = db_run_begin(w, &ri, &id);
	CHECK("db-7.0: set up", rc == 0);
	db_close(w);

	rc = db_open(&db, path, DB_OPEN_READONLY, err, sizeof(err));
	CHECK("db-7.1: READONLY opens", rc == 0);
	if (rc != 0) {
		fprintf(stderr, "  %s\n", err);
		return;
	}
	CHECK("db-7.1: reads work", db_run_find(db, "0000beef", &row) == 0 &&
	    row.id == id);
	run_info(&ri, "0000beef-0000-4000-8000-000000000002", "h1", 102);
	rc = db_run_begin(db, &ri, &id2);
	CHECK("db-7.2: run_begin fails", rc == -1 && id2 == 0);
	CHECK("db-7.2: message explains", strstr(db_errmsg(db),
	    "read-only") != NULL || strstr(db_errmsg(db), "readonly") !=
	    NULL);
	result_init(&r, 0, "ok");
	CHECK("db-7.2: result_add fails", db_result_add(db, id, &r) == -1);
	CHECK("db-7.2: run_end fails", db_run_end(db, id, "ok") == -1);
	CHECK("db-7.2: mark_stale fails",
	    db_mark_stale_runs(db, "h1", alive_even, &n) == -1);
	db_close(db);
	CHECK("db-7.2: nothing written", raw_int(path,
	    "SELECT count(*) FROM run") == 1 && raw_int(path,
	    "SELECT count(*) FROM result") == 0 && strcmp(raw_text(path,
	    "SELECT status FROM run"), "running") == 0);

	/* An older (here: empty) schema is not upgraded by a reader. */
	fclose(fopen(P("old.db"), "w"));
	b = slurp(P("old.db"));
	rc = db_open(&db, P("old.db"), DB_OPEN_READONLY, err, sizeof(err));
	CHECK("db-7.3: READONLY refuses an older schema", rc == -1 &&
	    strstr(err, "older") != NULL && strstr(err, "v0") != NULL);
	CHECK("db-7.3: older schema left alone", same(P("old.db"), b));
}

/* --- 8: two writers ------------------------------------------------------- */

/* Adds points first, first + 2, ... (n of them); returns how many failed. */
static int
add_points(const char *path, int64_t run_id, int first, int n)
{
	static const double	 samples[4] = { 1, 2, 3, 4 };
	struct db		*db = NULL;
	struct db_result	 r;
	char			 err[1024];
	int			 i, bad = 0;

	if (db_open(&db, path, DB_OPEN_EXISTING, err, sizeof(err)) != 0) {
		fprintf(stderr, "  %s\n", err);
		return (n);
	}
	for (i = 0; i < n; i++) {
		result_init(&r, first + 2 * i, "ok");
		r.nsamples = 4;
		r.samples_us = samples;
		if (db_result_add(db, run_id, &r) != 0) {
			fprintf(stderr, "  %s\n", db_errmsg(db));
			bad++;
		}
	}
	db_close(db);
	return (bad);
}

/* WAL plus the busy timeout let two sweeps share a file: every point of
 * both lands, none is lost to SQLITE_BUSY. */
static void
test_concurrent(void)
{
	struct db		*db = NULL;
	struct db_run_info	 ri;
	const char		*path = P("shared.db");
	char			 err[1024];
	int64_t			 id = 0;
	pid_t			 pid;
	int			 st = -1, bad;

	if (db_open(&db, path, DB_OPEN_WRITE, err, sizeof(err)) != 0 ||
	    (run_info(&ri, "c0c0c0c0-0000-4000-8000-000000000001", "h1", 1),
	    db_run_begin(db, &ri, &id)) != 0) {
		CHECK("db-8.0: set up", 0);
		db_close(db);
		return;
	}
	db_close(db);
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) == -1) {
		CHECK("db-8.0: fork", 0);
		return;
	}
	if (pid == 0)
		_exit(add_points(path, id, 1, 100) == 0 ? 0 : 1);
	bad = add_points(path, id, 0, 100);
	CHECK("db-8.1: first writer stored every point", bad == 0);
	CHECK("db-8.1: second writer stored every point",
	    waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	    WEXITSTATUS(st) == 0);
	CHECK("db-8.1: all 200 points and their samples present",
	    raw_int(path, "SELECT count(*) FROM result") == 200 &&
	    raw_int(path, "SELECT count(*) FROM sample") == 800);
}

/* --- 9: launch facts, launches and graph nodes (schema v2) --------------- */

static void
launch_init(struct db_launch *l, const char *role, int layer,
    const char *layout)
{
	memset(l, 0, sizeof(*l));
	l->role = role;
	l->layer = layer;
	l->layout = layout;
	l->m = 4096;
	l->n = 1024;
	l->k = 512;
	l->name = "gemm_f32.warptile.nt";
	l->grid[0] = 8;
	l->grid[1] = 32;
	l->grid[2] = 1;
	l->block[0] = 256;
	l->block[1] = l->block[2] = 1;
	l->dyn_smem = 32768;
	l->regs = 128;
	l->static_smem = 0;
	l->local_bytes = 0;
	l->max_threads = 512;
	l->ptx_version = 90;
	l->binary_version = 90;
	l->ctas_per_sm = 2;
	l->sms = 132;
	l->waves = 256.0 / 264;
	l->tail_util = 256.0 / 264;
	l->efficiency = 256.0 / 264;
}

static void
test_launches(void)
{
	struct db_launch	 li[3], bad;
	struct db		*db = NULL;
	struct db_run_info	 ri;
	struct db_result	 r;
	struct csv		 c;
	const char		*path = P("launch.db");
	char			 err[1024], *s;
	int64_t			 id = 0;
	int			 rc, ci;

	if (db_open(&db, path, DB_OPEN_WRITE, err, sizeof(err)) != 0) {
		CHECK("db-9.0: open", 0);
		fprintf(stderr, "  %s\n", err);
		return;
	}
	run_info(&ri, "9a000000-0000-4000-8000-000000000001", "h1", 42);
	if (db_run_begin(db, &ri, &id) != 0) {
		CHECK("db-9.0: run", 0);
		db_close(db);
		return;
	}
	/* A step: forward, wgrad, dgrad of two layers' worth; the dgrad's
	 * occupancy and resources are not known. */
	launch_init(&li[0], "forward", 0, "nt");
	launch_init(&li[1], "backward.wgrad", 0, "tn");
	li[1].m = 1024;
	li[1].n = 512;
	li[1].k = 4096;
	li[1].local_bytes = 24;
	launch_init(&li[2], "backward.dgrad", 1, "nn");
	li[2].name = "gemm_f32.naive.nn";
	li[2].regs = li[2].static_smem = li[2].ctas_per_sm = -1;
	li[2].layer = 1;
	li[2].waves = li[2].tail_util = li[2].efficiency = NAN;
	li[2].sms = 0;
	result_init(&r, 0, "ok");
	r.variant = "train.fp32.warptile";
	r.launches = 11;
	r.graph_nodes = 9;
	r.nlaunch_info = 3;
	r.launch_info = li;
	rc = db_result_add(db, id, &r);
	CHECK("db-9.1: result with launch facts added", rc == 0);
	if (rc != 0)
		fprintf(stderr, "  %s\n", db_errmsg(db));
	CHECK("db-9.1: launches and graph nodes stored", raw_int(path,
	    "SELECT count(*) FROM result WHERE launches = 11 AND "
	    "graph_nodes = 9 AND layout IS NULL") == 1);
	CHECK("db-9.1: three launch rows, in order", strcmp(raw_text(path,
	    "SELECT group_concat(role, ',') FROM (SELECT role FROM "
	    "launch_info ORDER BY idx)"),
	    "forward,backward.wgrad,backward.dgrad") == 0);
	CHECK("db-9.2: every fact of the forward launch", raw_int(path,
	    "SELECT count(*) FROM launch_info WHERE idx = 0 AND layer = 0 "
	    "AND layout = 'nt' AND m = 4096 AND n = 1024 AND k = 512 AND "
	    "name = 'gemm_f32.warptile.nt' AND grid_x = 8 AND grid_y = 32 "
	    "AND grid_z = 1 AND block_x = 256 AND block_y = 1 AND "
	    "block_z = 1 AND dyn_smem = 32768 AND regs = 128 AND "
	    "static_smem = 0 AND local_bytes = 0 AND max_threads = 512 AND "
	    "ptx_version = 90 AND binary_version = 90 AND ctas_per_sm = 2 "
	    "AND sms = 132 AND waves = 256.0 / 264 AND "
	    "tail_util = 256.0 / 264 AND efficiency = 256.0 / 264") == 1);
	CHECK("db-9.2: spills kept", raw_int(path, "SELECT local_bytes FROM "
	    "launch_info WHERE idx = 1") == 24);
	CHECK("db-9.3: unknowns are NULL", raw_int(path, "SELECT count(*) "
	    "FROM launch_info WHERE idx = 2 AND regs IS NULL AND "
	    "static_smem IS NULL AND ctas_per_sm IS NULL AND sms IS NULL AND "
	    "waves IS NULL AND tail_util IS NULL AND efficiency IS NULL AND "
	    "local_bytes = 0 AND layer = 1") == 1);

	/* Unknown counts are NULL; a gemm row has a layout. */
	result_init(&r, 1, "skipped");
	r.variant = "gemm.f32.warptile.nt";
	r.mode = "gemm";
	r.precision = "f32";
	r.layout = "nt";
	rc = db_result_add(db, id, &r);
	CHECK("db-9.4: a bare gemm row added", rc == 0);
	CHECK("db-9.4: 0 launches and graph nodes are NULL", raw_int(path,
	    "SELECT count(*) FROM result WHERE point_idx = 1 AND "
	    "launches IS NULL AND graph_nodes IS NULL AND layout = 'nt'") ==
	    1);

	/* Refusals store nothing of the point. */
	result_init(&r, 2, "ok");
	r.nlaunch_info = 1;
	CHECK("db-9.5: nlaunch_info without the array refused",
	    db_result_add(db, id, &r) == -1 &&
	    strstr(db_errmsg(db), "nlaunch_info") != NULL);
	result_init(&r, 2, "ok");
	r.launches = -3;
	CHECK("db-9.5: negative launches refused",
	    db_result_add(db, id, &r) == -1 &&
	    strstr(db_errmsg(db), "launches") != NULL);
	launch_init(&bad, NULL, 0, "nt");
	result_init(&r, 2, "ok");
	r.nlaunch_info = 1;
	r.launch_info = &bad;
	CHECK("db-9.5: a launch without a role refused",
	    db_result_add(db, id, &r) == -1 &&
	    strstr(db_errmsg(db), "no role") != NULL);
	launch_init(&bad, "gemm", -1, "xy");
	r.launch_info = &bad;
	CHECK("db-9.5: a bad layout refused",
	    db_result_add(db, id, &r) == -1 &&
	    strstr(db_errmsg(db), "constraint") != NULL);
	launch_init(&bad, "gemm", -1, NULL);
	bad.grid[1] = -1;
	CHECK("db-9.5: a negative grid refused",
	    db_result_add(db, id, &r) == -1);
	result_init(&r, 2, "ok");
	r.layout = "tt";
	CHECK("db-9.5: a bad result layout refused",
	    db_result_add(db, id, &r) == -1);
	CHECK("db-9.5: nothing of the refused points stored", raw_int(path,
	    "SELECT count(*) FROM result") == 2 && raw_int(path,
	    "SELECT count(*) FROM launch_info") == 3);

	/* Exports carry them. */
	s = capture(db, id, "csv", &rc);
	CHECK("db-9.6: csv export", rc == 0 && s != NULL &&
	    csv_parse(s, &c) == 0 && c.nrows == 3);
	ci = csv_col(&c, "launches");
	CHECK("db-9.6: csv launches", ci > 0 && c.nrows == 3 &&
	    strcmp(c.f[1][ci], "11") == 0 && strcmp(c.f[2][ci], "") == 0);
	ci = csv_col(&c, "graph_nodes");
	CHECK("db-9.6: csv graph_nodes", ci > 0 && c.nrows == 3 &&
	    strcmp(c.f[1][ci], "9") == 0);
	ci = csv_col(&c, "layout");
	CHECK("db-9.6: csv layout", ci > 0 && c.nrows == 3 &&
	    strcmp(c.f[2][ci], "nt") == 0);
	csv_free(&c);
	free(s);
	s = capture(db, id, "json", &rc);
	CHECK("db-9.7: json export", rc == 0 && strcmp(jx(s,
	    "json_valid(?1)"), "1") == 0);
	CHECK("db-9.7: json launches and graph nodes", strcmp(jx(s,
	    "json_extract(?1, '$.results[0].launches', "
	    "'$.results[0].graph_nodes', '$.results[1].launches')"),
	    "[11,9,null]") == 0);
	CHECK("db-9.7: json launch facts", strcmp(jx(s,
	    "json_array_length(?1, '$.results[0].launch_info')"), "3") == 0 &&
	    strcmp(jx(s, "json_extract(?1, '$.results[0].launch_info[0].ctas', "
	    "'$.results[0].launch_info[1].role', "
	    "'$.results[0].launch_info[2].regs', "
	    "'$.results[0].launch_info[0].sms')"),
	    "[256,\"backward.wgrad\",null,132]") == 0);
	CHECK("db-9.7: no launch facts is []", strcmp(jx(s,
	    "json_extract(?1, '$.results[1].launch_info')"), "[]") == 0);
	free(s);

	CHECK("db-9.8: cascade delete reaches launch_info", raw_exec(path,
	    "PRAGMA foreign_keys = ON; DELETE FROM run") == SQLITE_OK &&
	    raw_int(path, "SELECT count(*) FROM launch_info") == 0);
	db_close(db);
}

/* --- 10: a v1 file upgrades in place ------------------------------------ */

/* Runs the SQL text of file into a new database at path; 0 if it did. */
/* The schema's SQL text, every object in name order (malloc'ed). */
static char *
schema_sql(const char *path)
{
	sqlite3		*h = NULL;
	sqlite3_stmt	*st = NULL;
	char		*s = NULL;

	if (sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL) ==
	    SQLITE_OK && sqlite3_prepare_v2(h, "SELECT group_concat(sql, "
	    "';\n') FROM (SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL "
	    "ORDER BY name)", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_text(st, 0) != NULL)
		s = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(h);
	return (s);
}

static void
test_upgrade(void)
{
	struct db_launch	 li;
	struct db		*db = NULL;
	struct db_run_info	 ri;
	struct db_run_row	 row;
	struct db_result	 r;
	struct csv		 c;
	struct blob		 b;
	const char		*v1 = P("v1.db"), *fresh = P("fresh.db");
	char			 err[1024], *s, *s1, *s2;
	char			 v1path[PATH_MAX];
	int64_t			 id = 0;
	int			 rc, ci;

	snprintf(v1path, sizeof(v1path), "%s", v1);
	if (load_sql(SB_FIXTURES "/db_v1.sql", v1path) != 0) {
		CHECK("db-10.0: the v1 fixture loads", 0);
		return;
	}
	CHECK("db-10.0: the fixture is a v1 stepbench file",
	    raw_int(v1path, "PRAGMA user_version") == 1 &&
	    raw_int(v1path, "PRAGMA application_id") == DB_APPLICATION_ID &&
	    raw_int(v1path, "SELECT count(*) FROM result") == 6 &&
	    raw_int(v1path, "SELECT count(*) FROM sqlite_schema WHERE "
	    "name = 'launch_info'") == 0);

	/* A reader refuses it and leaves it alone. */
	b = slurp(v1path);
	rc = db_open(&db, v1path, DB_OPEN_READONLY, err, sizeof(err));
	CHECK("db-10.1: READONLY refuses v1, saying how to upgrade",
	    rc == -1 && strstr(err, "older") != NULL &&
	    strstr(err, "writing command") != NULL);
	CHECK("db-10.1: and changes nothing", same(v1path, b));

	/* A writer upgrades it in place. */
	rc = db_open(&db, v1path, DB_OPEN_EXISTING, err, sizeof(err));
	CHECK("db-10.2: EXISTING upgrades v1", rc == 0 && db != NULL &&
	    db_schema_version(db) == DB_SCHEMA_VERSION);
	if (rc != 0) {
		fprintf(stderr, "  %s\n", err);
		return;
	}
	CHECK("db-10.2: user_version is current", raw_int(v1path,
	    "PRAGMA user_version") == DB_SCHEMA_VERSION);
	CHECK("db-10.2: every row kept", raw_int(v1path,
	    "SELECT (SELECT count(*) FROM run) = 1 AND "
	    "(SELECT count(*) FROM environment) = 1 AND "
	    "(SELECT count(*) FROM result) = 6 AND "
	    "(SELECT count(*) FROM sample) = 12 AND "
	    "(SELECT count(*) FROM loss_curve) = 6") == 1);
	CHECK("db-10.2: new columns are NULL on old rows", raw_int(v1path,
	    "SELECT count(*) FROM result WHERE launches IS NULL AND "
	    "graph_nodes IS NULL AND layout IS NULL") == 6);
	CHECK("db-10.2: launch_info exists, empty", raw_int(v1path,
	    "SELECT count(*) FROM launch_info") == 0);
	CHECK("db-10.2: foreign keys hold", raw_int(v1path,
	    "SELECT count(*) FROM pragma_foreign_key_check") == 0);

	/* The upgraded schema is the one a new file gets. */
	db_close(db);
	db = NULL;
	if (db_open(&db, fresh, DB_OPEN_WRITE, err, sizeof(err)) == 0)
		db_close(db);
	db = NULL;
	s1 = schema_sql(v1path);
	s2 = schema_sql(fresh);
	CHECK("db-10.3: upgraded schema = new schema", s1 != NULL &&
	    s2 != NULL && strcmp(s1, s2) == 0);
	free(s1);
	free(s2);

	/* The old rows read back through db/. */
	if (db_open(&db, v1path, DB_OPEN_READONLY, err, sizeof(err)) != 0) {
		CHECK("db-10.4: READONLY opens the upgraded file", 0);
		fprintf(stderr, "  %s\n", err);
		return;
	}
	rc = db_run_find(db, "422c5910", &row);
	CHECK("db-10.4: the old run is found", rc == 0 &&
	    strcmp(row.status, "ok") == 0 &&
	    strcmp(row.label, "v1-fixture") == 0 && row.done_points == 6 &&
	    row.ok_points == 4 && row.planned_points == 6);
	s = capture(db, row.id, "csv", &rc);
	CHECK("db-10.4: csv of the old run", rc == 0 && s != NULL &&
	    csv_parse(s, &c) == 0 && c.nrows == 7);
	ci = csv_col(&c, "launches");
	CHECK("db-10.4: its launches are empty", ci > 0 && c.nrows == 7 &&
	    strcmp(c.f[1][ci], "") == 0);
	ci = csv_col(&c, "variant");
	CHECK("db-10.4: its variants", ci > 0 && c.nrows == 7 &&
	    strcmp(c.f[1][ci], "train.fp32.cpu") == 0 &&
	    strcmp(c.f[6][ci], "train.fp32.naive") == 0);
	csv_free(&c);
	free(s);
	s = capture(db, row.id, "json", &rc);
	CHECK("db-10.4: json of the old run", rc == 0 && strcmp(jx(s,
	    "json_valid(?1)"), "1") == 0);
	CHECK("db-10.4: json rows intact", strcmp(jx(s,
	    "json_array_length(?1, '$.results') || ' ' || "
	    "json_extract(?1, '$.results[0].status') || ' ' || "
	    "json_array_length(?1, '$.results[0].loss_curve') || ' ' || "
	    "json_array_length(?1, '$.results[0].samples') || ' ' || "
	    "json_extract(?1, '$.results[4].status') || ' ' || "
	    "json_extract(?1, '$.results[0].launch_info')"),
	    "6 ok 3 3 skipped []") == 0);
	free(s);
	db_close(db);
	db = NULL;

	/* And it takes new results with launch facts. */
	if (db_open(&db, v1path, DB_OPEN_WRITE, err, sizeof(err)) != 0) {
		CHECK("db-10.5: reopen", 0);
		return;
	}
	run_info(&ri, "10a00000-0000-4000-8000-000000000001", "h1", 42);
	rc = db_run_begin(db, &ri, &id);
	launch_init(&li, "gemm", -1, "nt");
	result_init(&r, 0, "ok");
	r.mode = "gemm";
	r.layout = "nt";
	r.launches = 1;
	r.nlaunch_info = 1;
	r.launch_info = &li;
	rc |= db_result_add(db, id, &r);
	CHECK("db-10.5: a v2 result in the upgraded file", rc == 0 &&
	    raw_int(v1path, "SELECT count(*) FROM launch_info JOIN result "
	    "ON result.id = launch_info.result_id WHERE role = 'gemm' AND "
	    "layer IS NULL AND result.launches = 1") == 1);
	db_close(db);
}

/* --- 11: the loss-scale trajectory and the fp32 curve (schema v3) -------- */

static void
test_amp(void)
{
	static const double	 loss[4] = { 4, 3, 2.5, 2 };
	static const double	 ref[4] = { 4.25, NAN, 2.5, INFINITY };
	static const double	 scale[4] = { 65536, 32768, 32768, 65536 };
	static const int	 skipped[4] = { 1, 0, 0, 0 };
	static const int	 growth[4] = { 0, 1, 2, 0 };
	double			 bad_scale[4];
	int			 bad_int[4];
	struct db		*db = NULL;
	struct db_run_info	 ri;
	struct db_result	 r;
	struct csv		 c;
	const char		*path = P("amp.db");
	char			 err[1024], *s;
	int64_t			 id = 0;
	int			 rc, ci;

	if (db_open(&db, path, DB_OPEN_WRITE, err, sizeof(err)) != 0) {
		CHECK("db-11.0: open", 0);
		fprintf(stderr, "  %s\n", err);
		return;
	}
	run_info(&ri, "11a00000-0000-4000-8000-000000000001", "h1", 42);
	if (db_run_begin(db, &ri, &id) != 0) {
		CHECK("db-11.0: run", 0);
		db_close(db);
		return;
	}
	/* 0: everything; 1: a curve and a reference, no trajectory, a NaN
	 * divergence; 2: a plain v2 caller (struct zeroed: divergence 0
	 * without a reference must not read as measured). */
	result_init(&r, 0, "ok");
	r.variant = "train.fp16amp.mma";
	r.precision = "fp16amp";
	r.nsteps = 4;
	r.loss_curve = loss;
	r.ref_loss_curve = ref;
	r.loss_divergence = 0.0625;
	r.scale_curve = scale;
	r.skipped_curve = skipped;
	r.growth_curve = growth;
	rc = db_result_add(db, id, &r);
	CHECK("db-11.1: an fp16amp result with its trajectory", rc == 0);
	if (rc != 0)
		fprintf(stderr, "  %s\n", db_errmsg(db));
	CHECK("db-11.1: one scaler row per step, as given", raw_int(path,
	    "SELECT count(*) FROM scaler WHERE (step = 0 AND scale = 65536 "
	    "AND skipped = 1 AND growth_tracker = 0) OR (step = 1 AND "
	    "scale = 32768 AND skipped = 0 AND growth_tracker = 1) OR "
	    "(step = 2 AND scale = 32768 AND skipped = 0 AND "
	    "growth_tracker = 2) OR (step = 3 AND scale = 65536 AND "
	    "skipped = 0 AND growth_tracker = 0)") == 4 && raw_int(path,
	    "SELECT count(*) FROM scaler") == 4);
	CHECK("db-11.1: ref_loss per step; NaN and Inf are NULL", strcmp(
	    raw_text(path, "SELECT group_concat(step || '=' || "
	    "coalesce(ref_loss, 'null'), ',') FROM (SELECT step, ref_loss "
	    "FROM loss_curve ORDER BY step)"),
	    "0=4.25,1=null,2=2.5,3=null") == 0);
	CHECK("db-11.1: loss_divergence stored", raw_int(path,
	    "SELECT count(*) FROM result WHERE loss_divergence = 0.0625") ==
	    1);

	result_init(&r, 1, "ok");
	r.variant = "train.bf16amp.cpu";
	r.precision = "bf16amp";
	r.nsteps = 4;
	r.loss_curve = loss;
	r.ref_loss_curve = ref;
	r.loss_divergence = NAN;
	rc = db_result_add(db, id, &r);
	result_init(&r, 2, "ok");
	r.nsteps = 4;
	r.loss_curve = loss;
	rc |= db_result_add(db, id, &r);
	CHECK("db-11.2: results without a trajectory", rc == 0);
	CHECK("db-11.2: no trajectory, no scaler rows", raw_int(path,
	    "SELECT count(*) FROM scaler JOIN result ON result.id = "
	    "scaler.result_id WHERE point_idx > 0") == 0);
	CHECK("db-11.2: a NaN divergence and a zeroed v2 caller are NULL",
	    raw_int(path, "SELECT count(*) FROM result WHERE point_idx > 0 "
	    "AND loss_divergence IS NULL") == 2);
	CHECK("db-11.2: no reference curve, ref_loss NULL", raw_int(path,
	    "SELECT count(*) FROM loss_curve JOIN result ON result.id = "
	    "loss_curve.result_id WHERE point_idx = 2 AND ref_loss IS NULL")
	    == 4);

	/* Refusals name the value and store nothing of the point. */
	result_init(&r, 3, "ok");
	r.nsteps = 4;
	r.loss_curve = loss;
	r.scale_curve = scale;
	CHECK("db-11.3: a trajectory without skipped refused",
	    db_result_add(db, id, &r) == -1 &&
	    strstr(db_errmsg(db), "skipped_curve") != NULL);
	r.scale_curve = NULL;
	r.growth_curve = growth;
	CHECK("db-11.3: growth without a trajectory refused",
	    db_result_add(db, id, &r) == -1 &&
	    strstr(db_errmsg(db), "without scale_curve") != NULL);
	memcpy(bad_scale, scale, sizeof(bad_scale));
	bad_scale[2] = INFINITY;
	r.scale_curve = bad_scale;
	r.skipped_curve = skipped;
	r.growth_curve = NULL;
	CHECK("db-11.3: an infinite scale refused, named",
	    db_result_add(db, id, &r) == -1 &&
	    strstr(db_errmsg(db), "scale_curve[2] is inf") != NULL);
	bad_scale[2] = 0;
	CHECK("db-11.3: a zero scale refused",
	    db_result_add(db, id, &r) == -1 &&
	    strstr(db_errmsg(db), "scale_curve[2] is 0") != NULL);
	memcpy(bad_int, skipped, sizeof(bad_int));
	bad_int[1] = 2;
	r.scale_curve = scale;
	r.skipped_curve = bad_int;
	CHECK("db-11.3: skipped other than 0/1 refused",
	    db_result_add(db, id, &r) == -1 &&
	    strstr(db_errmsg(db), "skipped_curve[1] is 2") != NULL);
	memcpy(bad_int, growth, sizeof(bad_int));
	bad_int[3] = -1;
	r.skipped_curve = skipped;
	r.growth_curve = bad_int;
	CHECK("db-11.3: a negative growth count refused",
	    db_result_add(db, id, &r) == -1 &&
	    strstr(db_errmsg(db), "growth_curve[3] is -1") != NULL);
	r.growth_curve = growth;
	r.ref_loss_curve = ref;
	r.loss_divergence = -0.5;
	CHECK("db-11.3: a negative divergence refused",
	    db_result_add(db, id, &r) == -1 &&
	    strstr(db_errmsg(db), "loss_divergence") != NULL);
	CHECK("db-11.3: nothing of the refused points stored", raw_int(path,
	    "SELECT count(*) FROM result") == 3 && raw_int(path,
	    "SELECT count(*) FROM scaler") == 4 && raw_int(path,
	    "SELECT count(*) FROM loss_curve") == 12);
	/* nsteps 0: arrays are not read, nothing stored. */
	result_init(&r, 3, "skipped");
	r.scale_curve = scale;
	r.ref_loss_curve = ref;
	r.loss_divergence = NAN;
	CHECK("db-11.4: nsteps 0 with arrays stores no steps",
	    db_result_add(db, id, &r) == 0 && raw_int(path,
	    "SELECT count(*) FROM scaler") == 4);

	/* Exports. */
	s = capture(db, id, "csv", &rc);
	CHECK("db-11.5: csv export", rc == 0 && s != NULL &&
	    csv_parse(s, &c) == 0 && c.nrows == 5);
	ci = csv_col(&c, "loss_divergence");
	CHECK("db-11.5: csv loss_divergence", ci > 0 && c.nrows == 5 &&
	    strcmp(c.f[1][ci], "0.0625") == 0 &&
	    strcmp(c.f[2][ci], "") == 0 && strcmp(c.f[3][ci], "") == 0);
	csv_free(&c);
	free(s);
	s = capture(db, id, "json", &rc);
	CHECK("db-11.6: json export", rc == 0 && strcmp(jx(s,
	    "json_valid(?1)"), "1") == 0);
	CHECK("db-11.6: json scaler rows", strcmp(jx(s,
	    "json_extract(?1, '$.results[0].scaler')"),
	    "[{\"step\":0,\"scale\":65536.0,\"skipped\":1,\"growth_tracker\":0},"
	    "{\"step\":1,\"scale\":32768.0,\"skipped\":0,\"growth_tracker\":1},"
	    "{\"step\":2,\"scale\":32768.0,\"skipped\":0,\"growth_tracker\":2},"
	    "{\"step\":3,\"scale\":65536.0,\"skipped\":0,\"growth_tracker\":0}]")
	    == 0);
	CHECK("db-11.6: no trajectory is []", strcmp(jx(s,
	    "json_extract(?1, '$.results[1].scaler') || "
	    "json_extract(?1, '$.results[2].scaler')"), "[][]") == 0);
	CHECK("db-11.6: loss_curve keeps step, loss, lr and adds ref_loss",
	    strcmp(jx(s, "json_extract(?1, '$.results[0].loss_curve[0]', "
	    "'$.results[0].loss_curve[1].ref_loss', "
	    "'$.results[2].loss_curve[3]')"), "[{\"step\":0,\"loss\":4.0,"
	    "\"lr\":null,\"ref_loss\":4.25},null,{\"step\":3,\"loss\":2.0,"
	    "\"lr\":null,\"ref_loss\":null}]") == 0);
	CHECK("db-11.6: json loss_divergence", strcmp(jx(s,
	    "json_extract(?1, '$.results[0].loss_divergence', "
	    "'$.results[1].loss_divergence')"), "[0.0625,null]") == 0);
	free(s);

	CHECK("db-11.7: cascade delete reaches scaler", raw_exec(path,
	    "PRAGMA foreign_keys = ON; DELETE FROM run") == SQLITE_OK &&
	    raw_int(path, "SELECT count(*) FROM scaler") == 0);
	db_close(db);
}

/* --- 12: a v2 file upgrades in place ------------------------------------ */

static void
test_upgrade_v2(void)
{
	static const double	 loss[2] = { 1, 0.5 };
	static const double	 scale[2] = { 4, 2 };
	static const int	 skipped[2] = { 1, 0 };
	struct db		*db = NULL;
	struct db_run_info	 ri;
	struct db_run_row	 row;
	struct db_result	 r;
	struct csv		 c;
	struct blob		 b;
	const char		*fresh = P("fresh3.db");
	char			 err[1024], *s, *s1, *s2;
	char			 v2path[PATH_MAX];
	int64_t			 id = 0;
	int			 rc, ci;

	snprintf(v2path, sizeof(v2path), "%s", P("v2.db"));
	if (load_sql(SB_FIXTURES "/db_v2.sql", v2path) != 0) {
		CHECK("db-12.0: the v2 fixture loads", 0);
		return;
	}
	CHECK("db-12.0: the fixture is a v2 stepbench file",
	    raw_int(v2path, "PRAGMA user_version") == 2 &&
	    raw_int(v2path, "PRAGMA application_id") == DB_APPLICATION_ID &&
	    raw_int(v2path, "SELECT count(*) FROM result") == 10 &&
	    raw_int(v2path, "SELECT count(*) FROM launch_info") == 1 &&
	    raw_int(v2path, "SELECT count(*) FROM sqlite_schema WHERE "
	    "name = 'scaler'") == 0);

	b = slurp(v2path);
	rc = db_open(&db, v2path, DB_OPEN_READONLY, err, sizeof(err));
	CHECK("db-12.1: READONLY refuses v2, saying how to upgrade",
	    rc == -1 && strstr(err, "schema v2, older") != NULL &&
	    strstr(err, "writing command") != NULL);
	CHECK("db-12.1: and changes nothing", same(v2path, b));

	rc = db_open(&db, v2path, DB_OPEN_EXISTING, err, sizeof(err));
	CHECK("db-12.2: EXISTING upgrades v2", rc == 0 && db != NULL &&
	    db_schema_version(db) == DB_SCHEMA_VERSION);
	if (rc != 0) {
		fprintf(stderr, "  %s\n", err);
		return;
	}
	db_close(db);
	db = NULL;
	CHECK("db-12.2: user_version is current", raw_int(v2path,
	    "PRAGMA user_version") == DB_SCHEMA_VERSION);
	CHECK("db-12.2: every row kept", raw_int(v2path,
	    "SELECT (SELECT count(*) FROM run) = 2 AND "
	    "(SELECT count(*) FROM environment) = 1 AND "
	    "(SELECT count(*) FROM result) = 10 AND "
	    "(SELECT count(*) FROM sample) = 10 AND "
	    "(SELECT count(*) FROM loss_curve) = 6 AND "
	    "(SELECT count(*) FROM launch_info) = 1") == 1);
	CHECK("db-12.2: v2 columns intact", raw_int(v2path,
	    "SELECT count(*) FROM result WHERE layout IN ('nt', 'tn') AND "
	    "variant LIKE 'gemm.%'") == 4 && raw_int(v2path,
	    "SELECT count(*) FROM launch_info WHERE result_id = 8 AND "
	    "name = 'gemm_f32.warptile.nt' AND sms = 132") == 1);
	CHECK("db-12.2: new columns are NULL on old rows", raw_int(v2path,
	    "SELECT count(*) FROM result WHERE loss_divergence IS NULL") ==
	    10 && raw_int(v2path, "SELECT count(*) FROM loss_curve WHERE "
	    "ref_loss IS NULL") == 6);
	CHECK("db-12.2: scaler exists, empty", raw_int(v2path,
	    "SELECT count(*) FROM scaler") == 0);
	CHECK("db-12.2: foreign keys hold", raw_int(v2path,
	    "SELECT count(*) FROM pragma_foreign_key_check") == 0);

	if (db_open(&db, fresh, DB_OPEN_WRITE, err, sizeof(err)) == 0)
		db_close(db);
	db = NULL;
	s1 = schema_sql(v2path);
	s2 = schema_sql(fresh);
	CHECK("db-12.3: upgraded schema = new schema", s1 != NULL &&
	    s2 != NULL && strcmp(s1, s2) == 0);
	free(s1);
	free(s2);

	/* The old rows read back through db/. */
	if (db_open(&db, v2path, DB_OPEN_READONLY, err, sizeof(err)) != 0) {
		CHECK("db-12.4: READONLY opens the upgraded file", 0);
		fprintf(stderr, "  %s\n", err);
		return;
	}
	rc = db_run_find(db, "cfe97b1f", &row);
	CHECK("db-12.4: the old sweep is found", rc == 0 &&
	    strcmp(row.label, "v2-fixture") == 0 && row.done_points == 6 &&
	    row.ok_points == 4);
	s = capture(db, row.id, "json", &rc);
	CHECK("db-12.4: json of the old run, new keys empty", rc == 0 &&
	    strcmp(jx(s, "json_array_length(?1, '$.results') || ' ' || "
	    "json_array_length(?1, '$.results[0].loss_curve') || ' ' || "
	    "json_type(?1, '$.results[0].loss_curve[0].ref_loss') || ' ' || "
	    "json_extract(?1, '$.results[0].scaler') || ' ' || "
	    "json_type(?1, '$.results[0].loss_divergence')"),
	    "6 3 null [] null") == 0);
	free(s);
	rc = db_run_find(db, "eca30324", &row);
	CHECK("db-12.4: the old gemm run is found", rc == 0 &&
	    strcmp(row.label, "v2-gemm") == 0 && row.done_points == 4);
	s = capture(db, row.id, "csv", &rc);
	CHECK("db-12.4: csv of the gemm run", rc == 0 && s != NULL &&
	    csv_parse(s, &c) == 0 && c.nrows == 5);
	ci = csv_col(&c, "layout");
	CHECK("db-12.4: its layouts", ci > 0 && c.nrows == 5 &&
	    strcmp(c.f[1][ci], "nt") == 0 && strcmp(c.f[4][ci], "tn") == 0);
	ci = csv_col(&c, "loss_divergence");
	CHECK("db-12.4: its divergence is empty", ci > 0 && c.nrows == 5 &&
	    strcmp(c.f[1][ci], "") == 0);
	csv_free(&c);
	free(s);
	db_close(db);
	db = NULL;

	/* And it takes a v3 result with a trajectory. */
	if (db_open(&db, v2path, DB_OPEN_WRITE, err, sizeof(err)) != 0) {
		CHECK("db-12.5: reopen", 0);
		return;
	}
	run_info(&ri, "12a00000-0000-4000-8000-000000000001", "h1", 42);
	rc = db_run_begin(db, &ri, &id);
	result_init(&r, 0, "ok");
	r.nsteps = 2;
	r.loss_curve = loss;
	r.scale_curve = scale;
	r.skipped_curve = skipped;
	rc |= db_result_add(db, id, &r);
	CHECK("db-12.5: a v3 result in the upgraded file", rc == 0 &&
	    raw_int(v2path, "SELECT count(*) FROM scaler WHERE "
	    "growth_tracker IS NULL") == 2);
	db_close(db);
}

/* --- 13: a v3 file upgrades in place ------------------------------------ */

static void
test_upgrade_v3(void)
{
	struct db_phase		 ph[1] = { { "int8.quant", 2.5 } };
	struct db		*db = NULL;
	struct db_run_info	 ri;
	struct db_run_row	 row;
	struct db_result	 r;
	struct csv		 c;
	struct blob		 b;
	const char		*fresh = P("fresh4.db");
	char			 err[1024], *s, *s1, *s2;
	char			 v3path[PATH_MAX];
	int64_t			 id = 0;
	int			 rc, ci, i, empty;

	snprintf(v3path, sizeof(v3path), "%s", P("v3.db"));
	if (load_sql(SB_FIXTURES "/db_v3.sql", v3path) != 0) {
		CHECK("db-13.0: the v3 fixture loads", 0);
		return;
	}
	CHECK("db-13.0: the fixture is a v3 stepbench file",
	    raw_int(v3path, "PRAGMA user_version") == 3 &&
	    raw_int(v3path, "PRAGMA application_id") == DB_APPLICATION_ID &&
	    raw_int(v3path, "SELECT count(*) FROM result") == 10 &&
	    raw_int(v3path, "SELECT count(*) FROM scaler") == 8 &&
	    raw_int(v3path, "SELECT count(*) FROM pragma_table_info('result') "
	    "WHERE name LIKE 'quant%'") == 0);

	b = slurp(v3path);
	rc = db_open(&db, v3path, DB_OPEN_READONLY, err, sizeof(err));
	CHECK("db-13.1: READONLY refuses v3, saying how to upgrade",
	    rc == -1 && strstr(err, "schema v3, older") != NULL &&
	    strstr(err, "writing command") != NULL);
	CHECK("db-13.1: and changes nothing", same(v3path, b));

	rc = db_open(&db, v3path, DB_OPEN_EXISTING, err, sizeof(err));
	CHECK("db-13.2: EXISTING upgrades v3", rc == 0 && db != NULL &&
	    db_schema_version(db) == DB_SCHEMA_VERSION);
	if (rc != 0) {
		fprintf(stderr, "  %s\n", err);
		return;
	}
	db_close(db);
	db = NULL;
	CHECK("db-13.2: user_version is current", raw_int(v3path,
	    "PRAGMA user_version") == DB_SCHEMA_VERSION);
	CHECK("db-13.2: every row kept", raw_int(v3path,
	    "SELECT (SELECT count(*) FROM run) = 2 AND "
	    "(SELECT count(*) FROM environment) = 1 AND "
	    "(SELECT count(*) FROM result) = 10 AND "
	    "(SELECT count(*) FROM sample) = 17 AND "
	    "(SELECT count(*) FROM loss_curve) = 16 AND "
	    "(SELECT count(*) FROM scaler) = 8 AND "
	    "(SELECT count(*) FROM launch_info) = 0") == 1);
	CHECK("db-13.2: its scaler rows, as the v3 code wrote them",
	    raw_int(v3path, "SELECT count(*) FROM scaler WHERE "
	    "result_id IN (1, 2) AND scale = 65536 AND skipped = 0 AND "
	    "growth_tracker = step + 1") == 8);
	CHECK("db-13.2: v3 columns intact", raw_int(v3path,
	    "SELECT count(*) FROM result WHERE loss_divergence > 0 AND "
	    "variant = 'train.fp16amp.cpu'") == 2 && raw_int(v3path,
	    "SELECT count(*) FROM loss_curve WHERE ref_loss IS NOT NULL") ==
	    8 && raw_int(v3path, "SELECT count(*) FROM result WHERE "
	    "layout = 'nt'") == 2);
	CHECK("db-13.2: quant_* are NULL on old rows", raw_int(v3path,
	    "SELECT count(*) FROM result WHERE quant_per_channel IS NULL AND "
	    "quant_err_sym IS NULL AND quant_err_affine IS NULL AND "
	    "quant_sat_act IS NULL AND quant_sat_weight IS NULL") == 10);
	CHECK("db-13.2: foreign keys hold", raw_int(v3path,
	    "SELECT count(*) FROM pragma_foreign_key_check") == 0 &&
	    strcmp(raw_text(v3path, "PRAGMA integrity_check"), "ok") == 0);

	if (db_open(&db, fresh, DB_OPEN_WRITE, err, sizeof(err)) == 0)
		db_close(db);
	db = NULL;
	s1 = schema_sql(v3path);
	s2 = schema_sql(fresh);
	CHECK("db-13.3: upgraded schema = new schema", s1 != NULL &&
	    s2 != NULL && strcmp(s1, s2) == 0);
	free(s1);
	free(s2);

	/* The old rows read back through db/, the new keys empty. */
	if (db_open(&db, v3path, DB_OPEN_READONLY, err, sizeof(err)) != 0) {
		CHECK("db-13.4: READONLY opens the upgraded file", 0);
		fprintf(stderr, "  %s\n", err);
		return;
	}
	rc = db_run_find(db, "110a7676", &row);
	CHECK("db-13.4: the old sweep is found", rc == 0 &&
	    strcmp(row.label, "v3-fixture") == 0 && row.done_points == 8 &&
	    row.ok_points == 6);
	s = capture(db, row.id, "json", &rc);
	CHECK("db-13.4: json of the old run", rc == 0 && strcmp(jx(s,
	    "json_valid(?1)"), "1") == 0);
	CHECK("db-13.4: its v3 data intact", strcmp(jx(s,
	    "json_array_length(?1, '$.results') || ' ' || "
	    "json_array_length(?1, '$.results[0].scaler') || ' ' || "
	    "json_type(?1, '$.results[0].loss_curve[0].ref_loss') || ' ' || "
	    "json_type(?1, '$.results[0].loss_divergence') || ' ' || "
	    "json_extract(?1, '$.results[6].status')"),
	    "8 4 real real skipped") == 0);
	/* json_type is SQL NULL for a missing key, 'null' for a null value:
	 * every result has the five keys, each null. */
	CHECK("db-13.4: json has the quant keys, null", strcmp(jx(s,
	    "(SELECT count(*) FROM json_each(?1, '$.results') AS e WHERE "
	    "json_type(e.value, '$.quant_per_channel') = 'null' AND "
	    "json_type(e.value, '$.quant_err_sym') = 'null' AND "
	    "json_type(e.value, '$.quant_err_affine') = 'null' AND "
	    "json_type(e.value, '$.quant_sat_act') = 'null' AND "
	    "json_type(e.value, '$.quant_sat_weight') = 'null')"), "8") == 0);
	free(s);
	rc = db_run_find(db, "38d76144", &row);
	CHECK("db-13.4: the old gemm run is found", rc == 0 &&
	    strcmp(row.label, "v3-gemm") == 0 && row.done_points == 2);
	s = capture(db, row.id, "csv", &rc);
	CHECK("db-13.4: csv of the gemm run", rc == 0 && s != NULL &&
	    csv_parse(s, &c) == 0 && c.nrows == 3);
	ci = csv_col(&c, "layout");
	CHECK("db-13.4: its layouts", ci > 0 && c.nrows == 3 &&
	    strcmp(c.f[1][ci], "nt") == 0 && strcmp(c.f[2][ci], "nt") == 0);
	empty = c.nrows == 3;
	for (i = 0; i < 5; i++) {
		static const char *const	 quant_cols[5] = {
		    "quant_per_channel", "quant_err_sym", "quant_err_affine",
		    "quant_sat_act", "quant_sat_weight" };

		ci = csv_col(&c, quant_cols[i]);
		empty &= ci > 0 && strcmp(c.f[1][ci], "") == 0 &&
		    strcmp(c.f[2][ci], "") == 0;
	}
	CHECK("db-13.4: csv has the five quant columns, empty", empty);
	csv_free(&c);
	free(s);
	db_close(db);
	db = NULL;

	/* And it takes an int8dyn result. */
	if (db_open(&db, v3path, DB_OPEN_WRITE, err, sizeof(err)) != 0) {
		CHECK("db-13.5: reopen", 0);
		return;
	}
	run_info(&ri, "13a00000-0000-4000-8000-000000000001", "h1", 42);
	rc = db_run_begin(db, &ri, &id);
	result_init(&r, 0, "ok");
	r.variant = "infer.int8dyn.cpu";
	r.mode = "infer";
	r.precision = "int8dyn";
	r.nphases = 1;
	r.phases = ph;
	r.quant = 1;
	r.quant_per_channel = 1;
	r.quant_err_sym = 0.5;
	r.quant_err_affine = 0.25;
	r.quant_sat_act = 4;
	r.quant_sat_weight = -1;
	rc |= db_result_add(db, id, &r);
	CHECK("db-13.5: an int8dyn result in the upgraded file", rc == 0 &&
	    raw_int(v3path, "SELECT count(*) FROM result JOIN phase ON "
	    "phase.result_id = result.id WHERE phase.name = 'int8.quant' AND "
	    "quant_per_channel = 1 AND quant_err_sym = 0.5 AND "
	    "quant_err_affine = 0.25 AND quant_sat_act = 4 AND "
	    "quant_sat_weight IS NULL") == 1);
	db_close(db);
}

/* --- 14: dynamic int8 quantisation's measures (schema v4) ---------------- */

/* An int8dyn point: infer.int8dyn.IMPL with the given measures. */
static void
quant_init(struct db_result *r, int idx, const char *variant,
    const char *impl, int per_channel, double err_sym, double err_affine,
    int64_t sat_act, int64_t sat_weight)
{
	result_init(r, idx, "ok");
	r->variant = variant;
	r->mode = "infer";
	r->precision = "int8dyn";
	r->impl = impl;
	r->quant = 1;
	r->quant_per_channel = per_channel;
	r->quant_err_sym = err_sym;
	r->quant_err_affine = err_affine;
	r->quant_sat_act = sat_act;
	r->quant_sat_weight = sat_weight;
}

static void
test_quant(void)
{
	/* the phases of an int8dyn step, in the order it runs them */
	static const struct db_phase	 ph[4] = { { "int8.scale", 1.5 },
	    { "int8.quant", 2.5 }, { "forward", 40 }, { "int8.dequant", 3 } };
	static const double		 samples[2] = { 47, 48 };
	struct db			*db = NULL;
	struct db_run_info		 ri;
	struct db_result		 r;
	struct csv			 c;
	const char			*path = P("quant.db");
	char				 err[1024], *s;
	int64_t				 id = 0;
	int				 rc, ci;

	if (db_open(&db, path, DB_OPEN_WRITE, err, sizeof(err)) != 0) {
		CHECK("db-14.0: open", 0);
		fprintf(stderr, "  %s\n", err);
		return;
	}
	run_info(&ri, "14a00000-0000-4000-8000-000000000001", "h1", 42);
	if (db_run_begin(db, &ri, &id) != 0) {
		CHECK("db-14.0: run", 0);
		db_close(db);
		return;
	}

	/* 0: every measure (a zero count is a count, not NULL); 1: errors
	 * not measured (NaN, and Inf, which is not a norm either), counts
	 * not counted; 2: one count only. */
	quant_init(&r, 0, "infer.int8dyn.imma", "imma", 1, 0.0078125,
	    0.005859375, 3, 0);
	r.nsamples = 2;
	r.samples_us = samples;
	r.nphases = 4;
	r.phases = ph;
	rc = db_result_add(db, id, &r);
	CHECK("db-14.1: an int8dyn result with its measures", rc == 0);
	if (rc != 0)
		fprintf(stderr, "  %s\n", db_errmsg(db));
	CHECK("db-14.1: the five measures, as given", raw_int(path,
	    "SELECT count(*) FROM result WHERE point_idx = 0 AND "
	    "quant_per_channel = 1 AND quant_err_sym = 0.0078125 AND "
	    "quant_err_affine = 0.005859375 AND quant_sat_act = 3 AND "
	    "quant_sat_weight = 0") == 1);
	CHECK("db-14.1: its int8 phases", strcmp(raw_text(path,
	    "SELECT group_concat(name || '=' || median_us, ',') FROM (SELECT "
	    "name, median_us FROM phase ORDER BY median_us)"),
	    "int8.scale=1.5,int8.quant=2.5,int8.dequant=3.0,forward=40.0") ==
	    0);
	quant_init(&r, 1, "infer.int8dyn.cublaslt", "cublaslt", 0, NAN,
	    INFINITY, -1, -1);
	rc = db_result_add(db, id, &r);
	quant_init(&r, 2, "infer.int8dyn.dp4a", "dp4a", 0, 0.001, 0.002, -1,
	    7);
	rc |= db_result_add(db, id, &r);
	CHECK("db-14.2: results with unmeasured values", rc == 0);
	CHECK("db-14.2: per tensor is 0, not NULL", raw_int(path,
	    "SELECT count(*) FROM result WHERE point_idx IN (1, 2) AND "
	    "quant_per_channel = 0") == 2);
	CHECK("db-14.2: NaN and Inf errors are NULL", raw_int(path,
	    "SELECT count(*) FROM result WHERE point_idx = 1 AND "
	    "quant_err_sym IS NULL AND quant_err_affine IS NULL") == 1);
	CHECK("db-14.2: a count of -1 is NULL (not counted)", raw_int(path,
	    "SELECT count(*) FROM result WHERE (point_idx = 1 AND "
	    "quant_sat_act IS NULL AND quant_sat_weight IS NULL) OR "
	    "(point_idx = 2 AND quant_sat_act IS NULL AND "
	    "quant_sat_weight = 7)") == 2);

	/* 3: a caller that knows nothing of v4 (struct zeroed); 4: quant 0
	 * with values in the fields, which are then not read. */
	result_init(&r, 3, "ok");
	rc = db_result_add(db, id, &r);
	result_init(&r, 4, "ok");
	r.quant_per_channel = 2;
	r.quant_err_sym = -1;
	r.quant_err_affine = 0.5;
	r.quant_sat_act = 9;
	r.quant_sat_weight = 9;
	rc |= db_result_add(db, id, &r);
	CHECK("db-14.3: rows that are not int8dyn", rc == 0);
	CHECK("db-14.3: quant 0 stores all five NULL", raw_int(path,
	    "SELECT count(*) FROM result WHERE point_idx IN (3, 4) AND "
	    "quant_per_channel IS NULL AND quant_err_sym IS NULL AND "
	    "quant_err_affine IS NULL AND quant_sat_act IS NULL AND "
	    "quant_sat_weight IS NULL") == 2);

	/* Refusals name the field and store nothing of the point. */
	quant_init(&r, 5, "infer.int8dyn.imma", "imma", 2, 0.1, 0.1, 0, 0);
	r.nsamples = 2;
	r.samples_us = samples;
	r.nphases = 4;
	r.phases = ph;
	/* db/'s own message, not SQLite's CHECK constraint: it says what
	 * is valid. */
	CHECK("db-14.4: per_channel 2 refused, named",
	    db_result_add(db, id, &r) == -1 &&
	    strstr(db_errmsg(db), "quant_per_channel") != NULL &&
	    strstr(db_errmsg(db), "per tensor") != NULL &&
	    strstr(db_errmsg(db), "point 5") != NULL);
	r.quant_per_channel = -1;
	CHECK("db-14.4: per_channel -1 refused",
	    db_result_add(db, id, &r) == -1 &&
	    strstr(db_errmsg(db), "quant_per_channel") != NULL &&
	    strstr(db_errmsg(db), "per tensor") != NULL);
	r.quant_per_channel = 0;
	r.quant_err_sym = -0.5;
	CHECK("db-14.4: a negative symmetric error refused, named",
	    db_result_add(db, id, &r) == -1 &&
	    strstr(db_errmsg(db), "quantisation error is negative") != NULL);
	r.quant_err_sym = 0.1;
	r.quant_err_affine = -1e-300;
	CHECK("db-14.4: a negative affine error refused",
	    db_result_add(db, id, &r) == -1 &&
	    strstr(db_errmsg(db), "quantisation error is negative") != NULL);
	r.quant_err_affine = -INFINITY;
	CHECK("db-14.4: -Inf refused, not stored as NULL",
	    db_result_add(db, id, &r) == -1);
	CHECK("db-14.4: nothing of the refused points stored", raw_int(path,
	    "SELECT count(*) FROM result") == 5 && raw_int(path,
	    "SELECT count(*) FROM sample") == 2 && raw_int(path,
	    "SELECT count(*) FROM phase") == 4 && raw_int(path,
	    "SELECT count(*) FROM pragma_foreign_key_check") == 0);
	r.quant_err_affine = 0.1;
	rc = db_result_add(db, id, &r);
	CHECK("db-14.4: the point stores once it is right", rc == 0 &&
	    raw_int(path, "SELECT count(*) FROM result WHERE point_idx = 5 "
	    "AND quant_per_channel = 0") == 1 && raw_int(path,
	    "SELECT count(*) FROM phase") == 8);

	/* Exports. */
	s = capture(db, id, "csv", &rc);
	CHECK("db-14.5: csv export", rc == 0 && s != NULL &&
	    csv_parse(s, &c) == 0 && c.nrows == 7);
#define CELL(row, col) ((ci = csv_col(&c, (col))) > 0 && c.nrows == 7 ?	\
	c.f[(row)][ci] : "(no column)")
	CHECK("db-14.5: csv quant_per_channel", strcmp(CELL(1,
	    "quant_per_channel"), "1") == 0 &&
	    strcmp(CELL(2, "quant_per_channel"), "0") == 0 &&
	    strcmp(CELL(4, "quant_per_channel"), "") == 0);
	CHECK("db-14.5: csv errors", strcmp(CELL(1, "quant_err_sym"),
	    "0.0078125") == 0 && strcmp(CELL(1, "quant_err_affine"),
	    "0.005859375") == 0 && strcmp(CELL(2, "quant_err_sym"), "") ==
	    0 && strcmp(CELL(3, "quant_err_affine"), "0.002") == 0);
	CHECK("db-14.5: csv saturation counts", strcmp(CELL(1,
	    "quant_sat_act"), "3") == 0 && strcmp(CELL(1,
	    "quant_sat_weight"), "0") == 0 && strcmp(CELL(3,
	    "quant_sat_act"), "") == 0 && strcmp(CELL(3,
	    "quant_sat_weight"), "7") == 0 && strcmp(CELL(5,
	    "quant_sat_weight"), "") == 0);
#undef CELL
	csv_free(&c);
	free(s);
	s = capture(db, id, "json", &rc);
	CHECK("db-14.6: json export", rc == 0 && strcmp(jx(s,
	    "json_valid(?1)"), "1") == 0);
	CHECK("db-14.6: json measures of point 0", strcmp(jx(s,
	    "json_extract(?1, '$.results[0].quant_per_channel', "
	    "'$.results[0].quant_err_sym', '$.results[0].quant_err_affine', "
	    "'$.results[0].quant_sat_act', '$.results[0].quant_sat_weight')"),
	    "[1,0.0078125,0.005859375,3,0]") == 0);
	CHECK("db-14.6: json nulls where not measured", strcmp(jx(s,
	    "json_extract(?1, '$.results[1].quant_per_channel', "
	    "'$.results[1].quant_err_sym', '$.results[1].quant_err_affine', "
	    "'$.results[1].quant_sat_act', '$.results[3].quant_per_channel', "
	    "'$.results[4].quant_err_sym')"), "[0,null,null,null,null,null]")
	    == 0);
	CHECK("db-14.6: json phases, the int8 ones by name", strcmp(jx(s,
	    "json_extract(?1, '$.results[0].phases.\"int8.scale\"', "
	    "'$.results[0].phases.\"int8.quant\"', "
	    "'$.results[0].phases.forward', "
	    "'$.results[0].phases.\"int8.dequant\"')"), "[1.5,2.5,40.0,3.0]")
	    == 0);
	free(s);
	db_close(db);
}

/* --- 15: upgrading a file the v4 code wrote -------------------------------- */

/*
 * tests/fixtures/db_v4.sql is a database made by the schema v4 code (see
 * its header): int8dyn rows with their quant_* columns, scaler rows, two
 * skipped GPU points.  Opening it for writing upgrades it to v5 in place:
 * every row kept, the dp_* columns NULL and no comm rows on the old
 * results, and the file then takes a data-parallel result.
 */
static void
test_upgrade_v4(void)
{
	static const struct db_comm	 cm[1] = {
	    { 0, 2, 0, 0, 96, 5, 4, 0.0192, 0.0192 } };
	struct db		*db = NULL;
	struct db_run_info	 ri;
	struct db_run_row	 row;
	struct db_result	 r;
	struct csv		 c;
	struct blob		 b;
	const char		*fresh = P("fresh5.db");
	char			 err[1024], *s, *s1, *s2;
	char			 v4path[PATH_MAX];
	int64_t			 id = 0;
	int			 rc, ci, i, empty;

	snprintf(v4path, sizeof(v4path), "%s", P("v4.db"));
	if (load_sql(SB_FIXTURES "/db_v4.sql", v4path) != 0) {
		CHECK("db-15.0: the v4 fixture loads", 0);
		return;
	}
	CHECK("db-15.0: the fixture is a v4 stepbench file",
	    raw_int(v4path, "PRAGMA user_version") == 4 &&
	    raw_int(v4path, "PRAGMA application_id") == DB_APPLICATION_ID &&
	    raw_int(v4path, "SELECT count(*) FROM result") == 8 &&
	    raw_int(v4path, "SELECT count(*) FROM result WHERE "
	    "quant_per_channel = 0") == 4 &&
	    raw_int(v4path, "SELECT count(*) FROM pragma_table_info('result') "
	    "WHERE name LIKE 'dp%'") == 0 &&
	    raw_int(v4path, "SELECT count(*) FROM sqlite_schema WHERE "
	    "name = 'comm'") == 0);

	b = slurp(v4path);
	rc = db_open(&db, v4path, DB_OPEN_READONLY, err, sizeof(err));
	CHECK("db-15.1: READONLY refuses v4, saying how to upgrade",
	    rc == -1 && strstr(err, "schema v4, older") != NULL &&
	    strstr(err, "writing command") != NULL);
	CHECK("db-15.1: and changes nothing", same(v4path, b));

	rc = db_open(&db, v4path, DB_OPEN_EXISTING, err, sizeof(err));
	CHECK("db-15.2: EXISTING upgrades v4", rc == 0 && db != NULL &&
	    db_schema_version(db) == DB_SCHEMA_VERSION);
	if (rc != 0) {
		fprintf(stderr, "  %s\n", err);
		return;
	}
	db_close(db);
	db = NULL;
	CHECK("db-15.2: user_version is current", raw_int(v4path,
	    "PRAGMA user_version") == DB_SCHEMA_VERSION);
	CHECK("db-15.2: every row kept", raw_int(v4path,
	    "SELECT (SELECT count(*) FROM run) = 1 AND "
	    "(SELECT count(*) FROM environment) = 1 AND "
	    "(SELECT count(*) FROM result) = 8 AND "
	    "(SELECT count(*) FROM sample) = 18 AND "
	    "(SELECT count(*) FROM loss_curve) = 12 AND "
	    "(SELECT count(*) FROM scaler) = 6 AND "
	    "(SELECT count(*) FROM comm) = 0") == 1);
	CHECK("db-15.2: v4 columns intact", raw_int(v4path,
	    "SELECT count(*) FROM result WHERE variant LIKE '%.int8dyn.cpu' "
	    "AND quant_per_channel = 0 AND quant_err_sym > 0 AND "
	    "quant_err_affine > quant_err_sym") == 4 && raw_int(v4path,
	    "SELECT count(*) FROM result WHERE variant = 'infer.int8dyn.cpu' "
	    "AND quant_sat_act = 0 AND quant_sat_weight = 0") == 2);
	CHECK("db-15.2: dp_* are NULL on old rows", raw_int(v4path,
	    "SELECT count(*) FROM result WHERE dp_backend IS NULL AND "
	    "dp_bucket_cap IS NULL AND dp_first_bucket IS NULL AND "
	    "dp_overlap IS NULL AND dp_compress IS NULL AND dp_op IS NULL "
	    "AND dp_inplace IS NULL AND dp_compute_us IS NULL AND "
	    "dp_comm_us IS NULL AND dp_exposed_us IS NULL AND "
	    "dp_overlap_frac IS NULL AND dp_overhead IS NULL") == 8);
	CHECK("db-15.2: foreign keys hold", raw_int(v4path,
	    "SELECT count(*) FROM pragma_foreign_key_check") == 0 &&
	    strcmp(raw_text(v4path, "PRAGMA integrity_check"), "ok") == 0);

	if (db_open(&db, fresh, DB_OPEN_WRITE, err, sizeof(err)) == 0)
		db_close(db);
	db = NULL;
	s1 = schema_sql(v4path);
	s2 = schema_sql(fresh);
	CHECK("db-15.3: upgraded schema = new schema", s1 != NULL &&
	    s2 != NULL && strcmp(s1, s2) == 0);
	free(s1);
	free(s2);

	if (db_open(&db, v4path, DB_OPEN_READONLY, err, sizeof(err)) != 0) {
		CHECK("db-15.4: READONLY opens the upgraded file", 0);
		fprintf(stderr, "  %s\n", err);
		return;
	}
	rc = db_run_find(db, "1902acde", &row);
	CHECK("db-15.4: the old sweep is found", rc == 0 &&
	    strcmp(row.label, "v4-fixture") == 0 && row.done_points == 8 &&
	    row.ok_points == 6);
	s = capture(db, row.id, "json", &rc);
	CHECK("db-15.4: json of the old run", rc == 0 && strcmp(jx(s,
	    "json_valid(?1)"), "1") == 0);
	CHECK("db-15.4: its v4 data intact", strcmp(jx(s,
	    "json_array_length(?1, '$.results') || ' ' || "
	    "json_extract(?1, '$.results[0].variant') || ' ' || "
	    "json_extract(?1, '$.results[0].quant_per_channel') || ' ' || "
	    "json_type(?1, '$.results[0].quant_err_sym') || ' ' || "
	    "json_array_length(?1, '$.results[2].scaler') || ' ' || "
	    "json_extract(?1, '$.results[6].status')"),
	    "8 infer.int8dyn.cpu 0 real 3 skipped") == 0);
	CHECK("db-15.4: json has the dp keys, null, and comm []", strcmp(jx(s,
	    "(SELECT count(*) FROM json_each(?1, '$.results') AS e WHERE "
	    "json_type(e.value, '$.dp_backend') = 'null' AND "
	    "json_type(e.value, '$.dp_overlap_frac') = 'null' AND "
	    "json_type(e.value, '$.dp_overhead') = 'null' AND "
	    "json_type(e.value, '$.comm') = 'array' AND "
	    "json_array_length(e.value, '$.comm') = 0)"), "8") == 0);
	free(s);
	s = capture(db, row.id, "csv", &rc);
	CHECK("db-15.4: csv of the old run", rc == 0 && s != NULL &&
	    csv_parse(s, &c) == 0 && c.nrows == 9);
	empty = c.nrows == 9;
	for (i = 0; i < 3; i++) {
		static const char *const	 dp_cols[3] = { "dp_backend",
		    "dp_comm_us", "dp_overhead" };

		ci = csv_col(&c, dp_cols[i]);
		empty &= ci > 0 && strcmp(c.f[1][ci], "") == 0 &&
		    strcmp(c.f[8][ci], "") == 0;
	}
	CHECK("db-15.4: csv has the dp columns, empty", empty);
	csv_free(&c);
	free(s);
	db_close(db);
	db = NULL;

	if (db_open(&db, v4path, DB_OPEN_WRITE, err, sizeof(err)) != 0) {
		CHECK("db-15.5: reopen", 0);
		return;
	}
	run_info(&ri, "15a00000-0000-4000-8000-000000000001", "h1", 42);
	rc = db_run_begin(db, &ri, &id);
	result_init(&r, 0, "ok");
	r.world = 2;
	r.dp = 1;
	r.dp_backend = "mpi";
	r.dp_overlap = 0;
	r.dp_inplace = -1;
	r.dp_bucket_cap = r.dp_first_bucket = NAN;
	r.dp_compute_us = r.dp_comm_us = r.dp_exposed_us = NAN;
	r.dp_overlap_frac = r.dp_overhead = NAN;
	r.ncomm = 1;
	r.comm = cm;
	rc |= db_result_add(db, id, &r);
	CHECK("db-15.5: a data-parallel result in the upgraded file",
	    rc == 0 && raw_int(v4path, "SELECT count(*) FROM result JOIN "
	    "comm ON comm.result_id = result.id WHERE dp_backend = 'mpi' AND "
	    "dp_overlap = 0 AND comm.bytes = 96 AND nparams = 2") == 1);
	db_close(db);
}

/* --- 16: data-parallel results (schema v5) --------------------------------- */

/* A data-parallel step: 3 layers, world 2, MPI, overlapped. */
static void
dp_init(struct db_result *r, int idx, const struct db_comm *comm,
    int ncomm)
{
	result_init(r, idx, "ok");
	r->layers = 3;
	r->world = 2;
	r->median_us = 120;
	r->dp = 1;
	r->dp_backend = "mpi";
	r->dp_bucket_cap = 25 * 1048576.0;
	r->dp_first_bucket = 1048576.0;
	r->dp_overlap = 1;
	r->dp_compress = "f32";
	r->dp_op = "avg";
	r->dp_inplace = -1;
	r->dp_compute_us = 100;
	r->dp_comm_us = 40;
	r->dp_exposed_us = 20;
	r->dp_overlap_frac = 0.5;
	r->dp_overhead = 0.2;
	r->ncomm = ncomm;
	r->comm = comm;
}

static void
test_dp(void)
{
	/* three buckets in all-reduce order: the last layer first */
	static const struct db_comm	 cm[3] = {
	    { 0, 2, 2, 2, 1048576, 10, 9.5, 104.8576, 104.8576 },
	    { 1, 2, 1, 1, 4194304, 25, 24, 167.77216, 167.77216 },
	    { 2, 2, 0, 0, 262144, NAN, NAN, NAN, NAN } };
	static const double		 samples[2] = { 119, 121 };
	struct db_comm			 bad[3];
	struct db			*db = NULL;
	struct db_run_info		 ri;
	struct db_result		 r;
	struct csv			 c;
	const char			*path = P("dp.db");
	char				 err[1024], *s;
	int64_t				 id = 0;
	int				 rc, ci, i, refused;
	static const struct {
		const char	*what;	/* the field the message names */
		int		 field;
		double		 v;
	} negs[] = {
		{ "dp_bucket_cap", 0, -1 }, { "dp_first_bucket", 1, -1 },
		{ "dp_compute_us", 2, -0.5 }, { "dp_comm_us", 3, -1e-9 },
		{ "dp_exposed_us", 4, -INFINITY },
		{ "dp_overlap_frac", 5, -0.01 }, { "dp_overlap_frac", 5, 1.5 },
	};

	if (db_open(&db, path, DB_OPEN_WRITE, err, sizeof(err)) != 0) {
		CHECK("db-16.0: open", 0);
		fprintf(stderr, "  %s\n", err);
		return;
	}
	run_info(&ri, "16a00000-0000-4000-8000-000000000001", "h1", 42);
	if (db_run_begin(db, &ri, &id) != 0) {
		CHECK("db-16.0: run", 0);
		db_close(db);
		return;
	}

	/* 0: a data-parallel step with three buckets */
	dp_init(&r, 0, cm, 3);
	r.nsamples = 2;
	r.samples_us = samples;
	rc = db_result_add(db, id, &r);
	CHECK("db-16.1: a data-parallel result with 3 all-reduces", rc == 0);
	if (rc != 0)
		fprintf(stderr, "  %s\n", db_errmsg(db));
	CHECK("db-16.1: its dp columns, as given", raw_int(path,
	    "SELECT count(*) FROM result WHERE point_idx = 0 AND "
	    "dp_backend = 'mpi' AND dp_bucket_cap = 26214400 AND "
	    "dp_first_bucket = 1048576 AND dp_overlap = 1 AND "
	    "dp_compress = 'f32' AND dp_op = 'avg' AND dp_inplace IS NULL AND "
	    "dp_compute_us = 100 AND dp_comm_us = 40 AND dp_exposed_us = 20 "
	    "AND dp_overlap_frac = 0.5 AND dp_overhead = 0.2") == 1);
	CHECK("db-16.1: its comm rows, as given", strcmp(raw_text(path,
	    "SELECT group_concat(x, ' ') FROM (SELECT bucket || ':' || "
	    "nparams || ':' || layer_hi || '-' || layer_lo || ':' || bytes "
	    "|| ':' || coalesce(median_us, '-') || ':' || "
	    "coalesce(min_us, '-') || ':' || coalesce(busbw_gbps, '-') AS x "
	    "FROM comm ORDER BY bucket)"), "0:2:2-2:1048576:10.0:9.5:104.8576 "
	    "1:2:1-1:4194304:25.0:24.0:167.77216 2:2:0-0:262144:-:-:-") == 0);

	/* 1: dp = 0 with dp values in the fields: all NULL, no comm rows;
	 * 2: a caller that knows nothing of v5 (struct zeroed) */
	dp_init(&r, 1, NULL, 0);
	r.dp = 0;
	r.dp_backend = "bogus";
	r.dp_compute_us = -5;
	rc = db_result_add(db, id, &r);
	result_init(&r, 2, "ok");
	rc |= db_result_add(db, id, &r);
	CHECK("db-16.2: rows that are not data parallel", rc == 0);
	CHECK("db-16.2: dp 0 stores every dp column NULL", raw_int(path,
	    "SELECT count(*) FROM result WHERE point_idx IN (1, 2) AND "
	    "dp_backend IS NULL AND dp_bucket_cap IS NULL AND "
	    "dp_first_bucket IS NULL AND dp_overlap IS NULL AND "
	    "dp_compress IS NULL AND dp_op IS NULL AND dp_inplace IS NULL "
	    "AND dp_compute_us IS NULL AND dp_comm_us IS NULL AND "
	    "dp_exposed_us IS NULL AND dp_overlap_frac IS NULL AND "
	    "dp_overhead IS NULL") == 2 && raw_int(path,
	    "SELECT count(*) FROM comm JOIN result ON result.id = "
	    "comm.result_id WHERE point_idx IN (1, 2)") == 0);

	/* Refusals name the field and store nothing of the point. */
	dp_init(&r, 3, cm, 3);
	r.dp = 0;
	CHECK("db-16.3: comm rows with dp 0 refused",
	    db_result_add(db, id, &r) == -1 &&
	    strstr(db_errmsg(db), "3 comm rows but dp is 0") != NULL &&
	    strstr(db_errmsg(db), "point 3") != NULL);
	refused = 1;
	for (i = 0; i < (int)(sizeof(negs) / sizeof(negs[0])); i++) {
		dp_init(&r, 3, cm, 3);
		*(double *[]){ &r.dp_bucket_cap, &r.dp_first_bucket,
		    &r.dp_compute_us, &r.dp_comm_us, &r.dp_exposed_us,
		    &r.dp_overlap_frac }[negs[i].field] = negs[i].v;
		rc = db_result_add(db, id, &r);
		if (rc != -1 || strstr(db_errmsg(db), negs[i].what) == NULL) {
			fprintf(stderr, "  %s = %g: rc %d, %s\n", negs[i].what,
			    negs[i].v, rc, db_errmsg(db));
			refused = 0;
		}
	}
	CHECK("db-16.3: negative times and caps refused, named", refused);
	dp_init(&r, 3, cm, 3);
	r.dp_backend = "gloo";
	CHECK("db-16.3: an unknown backend refused, the valid ones named",
	    db_result_add(db, id, &r) == -1 &&
	    strstr(db_errmsg(db), "'gloo'") != NULL &&
	    strstr(db_errmsg(db), "nccl|mpi") != NULL);
	dp_init(&r, 3, cm, 3);
	r.dp_compress = "fp16";
	CHECK("db-16.3: an unknown dtype refused",
	    db_result_add(db, id, &r) == -1 &&
	    strstr(db_errmsg(db), "'fp16'") != NULL &&
	    strstr(db_errmsg(db), "f32|f16|bf16") != NULL);
	dp_init(&r, 3, cm, 3);
	r.dp_overlap = 2;
	CHECK("db-16.3: dp_overlap 2 refused", db_result_add(db, id, &r) ==
	    -1 && strstr(db_errmsg(db), "dp_overlap 2") != NULL);
	memcpy(bad, cm, sizeof(bad));
	bad[1].bytes = -4;
	dp_init(&r, 3, bad, 3);
	CHECK("db-16.3: negative bytes refused, the row named",
	    db_result_add(db, id, &r) == -1 &&
	    strstr(db_errmsg(db), "comm[1].bytes is -4") != NULL);
	memcpy(bad, cm, sizeof(bad));
	bad[2].median_us = -1;
	dp_init(&r, 3, bad, 3);
	CHECK("db-16.3: a negative all-reduce time refused",
	    db_result_add(db, id, &r) == -1 &&
	    strstr(db_errmsg(db), "comm[2].median_us") != NULL);
	memcpy(bad, cm, sizeof(bad));
	bad[0].busbw_gbps = -1;
	dp_init(&r, 3, bad, 3);
	CHECK("db-16.3: a negative bandwidth refused",
	    db_result_add(db, id, &r) == -1 &&
	    strstr(db_errmsg(db), "comm[0].busbw_gbps") != NULL);
	memcpy(bad, cm, sizeof(bad));
	bad[2].bucket = 1;
	dp_init(&r, 3, bad, 3);
	CHECK("db-16.3: a bucket given twice refused",
	    db_result_add(db, id, &r) == -1 &&
	    strstr(db_errmsg(db), "bucket 1 appears twice") != NULL);
	memcpy(bad, cm, sizeof(bad));
	bad[1].layer_lo = 2;
	dp_init(&r, 3, bad, 3);
	CHECK("db-16.3: layer_lo above layer_hi refused",
	    db_result_add(db, id, &r) == -1 &&
	    strstr(db_errmsg(db), "layer_lo 2 above layer_hi 1") != NULL);
	dp_init(&r, 3, NULL, 2);
	CHECK("db-16.3: ncomm without comm refused",
	    db_result_add(db, id, &r) == -1 &&
	    strstr(db_errmsg(db), "ncomm is 2") != NULL);
	CHECK("db-16.3: nothing of the refused points stored", raw_int(path,
	    "SELECT count(*) FROM result") == 3 && raw_int(path,
	    "SELECT count(*) FROM comm") == 3 && raw_int(path,
	    "SELECT count(*) FROM sample") == 2 && raw_int(path,
	    "SELECT count(*) FROM pragma_foreign_key_check") == 0);
	/* the overhead may be negative (a step that ran faster with the
	 * machinery, within noise), and -1 flags are "not known" */
	dp_init(&r, 3, cm, 3);
	r.dp_overhead = -0.01;
	r.dp_overlap = -1;
	r.dp_backend = NULL;
	rc = db_result_add(db, id, &r);
	CHECK("db-16.4: the point stores once it is right", rc == 0 &&
	    raw_int(path, "SELECT count(*) FROM result WHERE point_idx = 3 "
	    "AND dp_overhead = -0.01 AND dp_overlap IS NULL AND "
	    "dp_backend IS NULL") == 1 && raw_int(path,
	    "SELECT count(*) FROM comm") == 6);

	/* Exports. */
	s = capture(db, id, "csv", &rc);
	CHECK("db-16.5: csv export", rc == 0 && s != NULL &&
	    csv_parse(s, &c) == 0 && c.nrows == 5);
#define CELL(row, col) ((ci = csv_col(&c, (col))) > 0 && c.nrows == 5 ?	\
	c.f[(row)][ci] : "(no column)")
	CHECK("db-16.5: csv dp columns", strcmp(CELL(1, "dp_backend"),
	    "mpi") == 0 && strcmp(CELL(1, "dp_bucket_cap"), "26214400") == 0
	    && strcmp(CELL(1, "dp_overlap"), "1") == 0 &&
	    strcmp(CELL(1, "dp_inplace"), "") == 0 &&
	    strcmp(CELL(1, "dp_overlap_frac"), "0.5") == 0 &&
	    strcmp(CELL(1, "dp_exposed_us"), "20") == 0);
	CHECK("db-16.5: csv dp columns empty on dp 0 rows", strcmp(CELL(2,
	    "dp_backend"), "") == 0 && strcmp(CELL(3, "dp_overhead"), "") ==
	    0 && strcmp(CELL(4, "dp_overhead"), "-0.01") == 0);
#undef CELL
	csv_free(&c);
	free(s);
	s = capture(db, id, "json", &rc);
	CHECK("db-16.6: json export", rc == 0 && strcmp(jx(s,
	    "json_valid(?1)"), "1") == 0);
	CHECK("db-16.6: json dp figures of point 0", strcmp(jx(s,
	    "json_extract(?1, '$.results[0].dp_backend', "
	    "'$.results[0].dp_compress', '$.results[0].dp_op', "
	    "'$.results[0].dp_inplace', '$.results[0].dp_comm_us', "
	    "'$.results[0].dp_overlap_frac')"),
	    "[\"mpi\",\"f32\",\"avg\",null,40.0,0.5]") == 0);
	CHECK("db-16.6: json comm rows of point 0, by bucket", strcmp(jx(s,
	    "json_extract(?1, '$.results[0].comm')"),
	    "[{\"bucket\":0,\"nparams\":2,\"layer_hi\":2,\"layer_lo\":2,"
	    "\"bytes\":1048576,\"median_us\":10.0,\"min_us\":9.5,"
	    "\"algbw_gbps\":104.8576,\"busbw_gbps\":104.8576},"
	    "{\"bucket\":1,\"nparams\":2,\"layer_hi\":1,\"layer_lo\":1,"
	    "\"bytes\":4194304,\"median_us\":25.0,\"min_us\":24.0,"
	    "\"algbw_gbps\":167.77216,\"busbw_gbps\":167.77216},"
	    "{\"bucket\":2,\"nparams\":2,\"layer_hi\":0,\"layer_lo\":0,"
	    "\"bytes\":262144,\"median_us\":null,\"min_us\":null,"
	    "\"algbw_gbps\":null,\"busbw_gbps\":null}]") == 0);
	CHECK("db-16.6: json comm [] and null dp keys on dp 0 rows",
	    strcmp(jx(s, "json_array_length(?1, '$.results[1].comm') || ' ' "
	    "|| json_array_length(?1, '$.results[2].comm') || ' ' || "
	    "json_type(?1, '$.results[1].dp_backend') || ' ' || "
	    "json_type(?1, '$.results[2].dp_overhead')"), "0 0 null null") ==
	    0);
	free(s);
	db_close(db);
}

/* --- 17: upgrading a file the v5 code wrote -------------------------------- */

/*
 * tests/fixtures/db_v5.sql is a database made by the schema v5 code (see
 * its header): two runs sharing an environment, data-parallel CPU rows
 * with comm rows, an int8dyn row, an fp16amp row with its scaler
 * trajectory, skipped points.  Opening it for writing upgrades it to v6 in
 * place: every row kept, the v6 columns NULL, no kernel or profile rows,
 * and the file then takes a result with kernels and a fingerprint.
 */
static void
test_upgrade_v5(void)
{
	static const struct db_kernel	 kr[1] = { { 0, "kernel", "sgd",
	    "sgd", 7, { 1, 1, 1 }, { 256, 1, 1 }, 16, 0, 0, 0, -1, 2.5, 0 } };
	struct db		*db = NULL;
	struct db_run_info	 ri;
	struct db_run_row	 row;
	struct db_result	 r;
	struct csv		 c;
	struct blob		 b;
	const char		*fresh = P("fresh6.db");
	char			 err[1024], *s, *s1, *s2;
	char			 v5path[PATH_MAX];
	int64_t			 id = 0;
	int			 rc, ci, i, empty;

	snprintf(v5path, sizeof(v5path), "%s", P("v5.db"));
	if (load_sql(SB_FIXTURES "/db_v5.sql", v5path) != 0) {
		CHECK("db-17.0: the v5 fixture loads", 0);
		return;
	}
	CHECK("db-17.0: the fixture is a v5 stepbench file",
	    raw_int(v5path, "PRAGMA user_version") == 5 &&
	    raw_int(v5path, "PRAGMA application_id") == DB_APPLICATION_ID &&
	    raw_int(v5path, "SELECT count(*) FROM result") == 10 &&
	    raw_int(v5path, "SELECT count(*) FROM comm") == 2 &&
	    raw_int(v5path, "SELECT count(*) FROM pragma_table_info('result') "
	    "WHERE name LIKE 'cupti%' OR name LIKE 'fingerprint%'") == 0 &&
	    raw_int(v5path, "SELECT count(*) FROM sqlite_schema WHERE "
	    "name IN ('kernel', 'profile', 'profile_session')") == 0);

	b = slurp(v5path);
	rc = db_open(&db, v5path, DB_OPEN_READONLY, err, sizeof(err));
	CHECK("db-17.1: READONLY refuses v5, saying how to upgrade",
	    rc == -1 && strstr(err, "schema v5, older") != NULL &&
	    strstr(err, "writing command") != NULL);
	CHECK("db-17.1: and changes nothing", same(v5path, b));

	rc = db_open(&db, v5path, DB_OPEN_EXISTING, err, sizeof(err));
	CHECK("db-17.2: EXISTING upgrades v5", rc == 0 && db != NULL &&
	    db_schema_version(db) == DB_SCHEMA_VERSION);
	if (rc != 0) {
		fprintf(stderr, "  %s\n", err);
		return;
	}
	db_close(db);
	db = NULL;
	CHECK("db-17.2: user_version is current", raw_int(v5path,
	    "PRAGMA user_version") == DB_SCHEMA_VERSION);
	CHECK("db-17.2: every row kept", raw_int(v5path,
	    "SELECT (SELECT count(*) FROM run) = 2 AND "
	    "(SELECT count(*) FROM environment) = 1 AND "
	    "(SELECT count(*) FROM result) = 10 AND "
	    "(SELECT count(*) FROM sample) = 12 AND "
	    "(SELECT count(*) FROM loss_curve) = 9 AND "
	    "(SELECT count(*) FROM scaler) = 3 AND "
	    "(SELECT count(*) FROM comm) = 2 AND "
	    "(SELECT count(*) FROM kernel) = 0 AND "
	    "(SELECT count(*) FROM profile_session) = 0 AND "
	    "(SELECT count(*) FROM profile) = 0") == 1);
	CHECK("db-17.2: v5 columns intact", raw_int(v5path,
	    "SELECT count(*) FROM result WHERE dp_backend = 'mpi' AND "
	    "dp_compress = 'f32' AND dp_comm_us > 0") == 2 && raw_int(v5path,
	    "SELECT count(*) FROM result WHERE variant = 'infer.int8dyn.cpu' "
	    "AND status = 'ok' AND quant_per_channel = 0 AND "
	    "quant_err_affine > quant_err_sym") == 1 && raw_int(v5path,
	    "SELECT count(*) FROM comm JOIN result ON result.id = "
	    "comm.result_id WHERE result.dp_backend = 'mpi'") == 2);
	CHECK("db-17.2: the v6 columns are NULL on old rows", raw_int(v5path,
	    "SELECT count(*) FROM result WHERE cupti IS NULL AND "
	    "cupti_steps IS NULL AND cupti_launches IS NULL AND "
	    "cupti_kernel_us IS NULL AND cupti_event_us IS NULL AND "
	    "fingerprint IS NULL AND fingerprint_json IS NULL") == 10);
	CHECK("db-17.2: foreign keys hold", raw_int(v5path,
	    "SELECT count(*) FROM pragma_foreign_key_check") == 0 &&
	    strcmp(raw_text(v5path, "PRAGMA integrity_check"), "ok") == 0);

	if (db_open(&db, fresh, DB_OPEN_WRITE, err, sizeof(err)) == 0)
		db_close(db);
	db = NULL;
	s1 = schema_sql(v5path);
	s2 = schema_sql(fresh);
	CHECK("db-17.3: upgraded schema = new schema", s1 != NULL &&
	    s2 != NULL && strcmp(s1, s2) == 0);
	free(s1);
	free(s2);

	if (db_open(&db, v5path, DB_OPEN_READONLY, err, sizeof(err)) != 0) {
		CHECK("db-17.4: READONLY opens the upgraded file", 0);
		fprintf(stderr, "  %s\n", err);
		return;
	}
	rc = db_run_find(db, "b0d37fd5", &row);
	CHECK("db-17.4: the old dp sweep is found", rc == 0 &&
	    strcmp(row.label, "v5-fixture") == 0 && row.done_points == 8 &&
	    row.ok_points == 2);
	s = capture(db, row.id, "json", &rc);
	CHECK("db-17.4: json of the old run", rc == 0 && strcmp(jx(s,
	    "json_valid(?1)"), "1") == 0);
	CHECK("db-17.4: its v5 data intact", strcmp(jx(s,
	    "json_array_length(?1, '$.results') || ' ' || "
	    "json_extract(?1, '$.results[0].dp_backend') || ' ' || "
	    "json_array_length(?1, '$.results[1].comm') || ' ' || "
	    "json_extract(?1, '$.results[1].comm[0].bytes') || ' ' || "
	    "json_extract(?1, '$.results[6].status')"),
	    "8 mpi 1 160 skipped") == 0);
	CHECK("db-17.4: json has the v6 keys, null, and kernels/profile []",
	    strcmp(jx(s, "(SELECT count(*) FROM json_each(?1, '$.results') "
	    "AS e WHERE json_type(e.value, '$.cupti') = 'null' AND "
	    "json_type(e.value, '$.cupti_event_us') = 'null' AND "
	    "json_type(e.value, '$.fingerprint_json') = 'null' AND "
	    "json_array_length(e.value, '$.kernels') = 0 AND "
	    "json_array_length(e.value, '$.profile') = 0) || ' ' || "
	    "json_array_length(?1, '$.profile_sessions')"), "8 0") == 0);
	free(s);
	s = capture(db, row.id, "csv", &rc);
	CHECK("db-17.4: csv of the old run", rc == 0 && s != NULL &&
	    csv_parse(s, &c) == 0 && c.nrows == 9);
	empty = c.nrows == 9;
	for (i = 0; i < 3; i++) {
		static const char *const	 v6_cols[3] = { "cupti",
		    "cupti_kernel_us", "fingerprint" };

		ci = csv_col(&c, v6_cols[i]);
		empty &= ci > 0 && strcmp(c.f[1][ci], "") == 0 &&
		    strcmp(c.f[8][ci], "") == 0;
	}
	CHECK("db-17.4: csv has the v6 columns, empty", empty);
	csv_free(&c);
	free(s);
	db_close(db);
	db = NULL;

	if (db_open(&db, v5path, DB_OPEN_WRITE, err, sizeof(err)) != 0) {
		CHECK("db-17.5: reopen", 0);
		return;
	}
	run_info(&ri, "17a00000-0000-4000-8000-000000000001", "h1", 42);
	rc = db_run_begin(db, &ri, &id);
	result_init(&r, 0, "ok");
	r.cupti = "ok";
	r.cupti_steps = 3;
	r.cupti_launches = 1;
	r.cupti_kernel_us = 2.5;
	r.cupti_event_us = 4;
	r.fingerprint = "00000000deadbeef";
	r.fingerprint_json = "{\"gpu_uuid\":\"GPU-x\"}";
	r.nkernels = 1;
	r.kernels = kr;
	rc |= db_result_add(db, id, &r);
	CHECK("db-17.5: a traced result in the upgraded file", rc == 0 &&
	    raw_int(v5path, "SELECT count(*) FROM result JOIN kernel ON "
	    "kernel.result_id = result.id WHERE cupti = 'ok' AND "
	    "fingerprint = '00000000deadbeef' AND kernel.name = 'sgd' AND "
	    "kernel.bytes IS NULL AND kernel.block_x = 256") == 1);
	db_close(db);
}

int
main(void)
{
	char	tmpl[] = "/tmp/test_db.XXXXXX";

	if (mkdtemp(tmpl) == NULL) {
		perror("mkdtemp");
		return (1);
	}
	snprintf(tmpdir, sizeof(tmpdir), "%s", tmpl);

	test_create();
	test_runs();
	test_results();
	test_stale();
	test_export();
	test_refusals();
	test_readonly();
	test_concurrent();
	test_launches();
	test_upgrade();
	test_amp();
	test_upgrade_v2();
	test_upgrade_v3();
	test_quant();
	test_upgrade_v4();
	test_dp();
	test_upgrade_v5();

	chmod(P("ro"), 0755);
	if (nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
		fprintf(stderr, "note: could not remove %s: %s\n", tmpdir,
		    strerror(errno));
	return (check_summary("test_db"));
}
