/*
 * db/export.c — getting results out: one run as CSV or JSON, and the list
 * of runs as JSON.
 *
 * JSON text is produced by SQLite's JSON1 functions, so string escaping and
 * number syntax are SQLite's (numbers carry 15 significant digits); this
 * file only adds the brackets and commas between rows.  CSV rows come from
 * table.c's writer, shared with the dashboard's queries.  The result columns
 * are read from the table itself, so a column a later migration adds shows
 * up in both formats without touching this file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_int.h"

/* The run fields of both exports: those of struct db_run_row, the command
 * line as a JSON array, and the build. */
#define RUN_JSON_FIELDS							\
	"'id', run.id, 'uuid', run.uuid, 'status', run.status, "	\
	"'started_at', run.started_at, 'ended_at', run.ended_at, "	\
	"'host', run.host, 'device', run.device, 'label', run.label, "	\
	"'note', run.note, 'pid', run.pid, 'pid_start', run.pid_start, "\
	"'planned_points', run.planned_points, "			\
	"'done_points', (SELECT count(*) FROM result r "		\
	"WHERE r.run_id = run.id), "					\
	"'ok_points', (SELECT count(*) FROM result r "			\
	"WHERE r.run_id = run.id AND r.status = 'ok'), "		\
	"'argv', json(run.argv), 'git_rev', run.git_rev, "		\
	"'git_dirty', run.git_dirty"

/* A launch_info row as JSON (export's "launch_info" arrays); ctas is
 * the grid's product. */
#define LAUNCH_JSON_FIELDS						\
	"'idx', idx, 'role', role, 'layer', layer, 'layout', layout, "	\
	"'m', m, 'n', n, 'k', k, 'name', name, 'grid_x', grid_x, "	\
	"'grid_y', grid_y, 'grid_z', grid_z, "				\
	"'ctas', grid_x * grid_y * grid_z, 'block_x', block_x, "	\
	"'block_y', block_y, 'block_z', block_z, 'dyn_smem', dyn_smem, "\
	"'regs', regs, 'static_smem', static_smem, "			\
	"'local_bytes', local_bytes, 'max_threads', max_threads, "	\
	"'ptx_version', ptx_version, 'binary_version', binary_version, "\
	"'ctas_per_sm', ctas_per_sm, 'sms', sms, 'waves', waves, "	\
	"'tail_util', tail_util, 'efficiency', efficiency"

/* A comm row as JSON (export's "comm" arrays: a data-parallel result's
 * all-reduces, by bucket). */
#define COMM_JSON_FIELDS						\
	"'bucket', bucket, 'nparams', nparams, 'layer_hi', layer_hi, "	\
	"'layer_lo', layer_lo, 'bytes', bytes, 'median_us', median_us, "\
	"'min_us', min_us, 'algbw_gbps', algbw_gbps, "			\
	"'busbw_gbps', busbw_gbps"

/* A kernel row as JSON (export's "kernels" arrays: what CUPTI traced of
 * one step, in start order). */
#define KERNEL_JSON_FIELDS						\
	"'idx', idx, 'kind', kind, 'name', name, 'phase', phase, "	\
	"'stream', stream, 'grid_x', grid_x, 'grid_y', grid_y, "	\
	"'grid_z', grid_z, 'block_x', block_x, 'block_y', block_y, "	\
	"'block_z', block_z, 'regs', regs, 'static_smem', static_smem, "\
	"'dyn_smem', dyn_smem, 'local_bytes', local_bytes, "		\
	"'bytes', bytes, 'duration_us', duration_us, "			\
	"'start_us', start_us"

/* A profile row as JSON (export's "profile" arrays: what nsys / ncu
 * measured of the result's point, by session, in the order imported). */
#define PROFILE_JSON_FIELDS						\
	"'session_id', session_id, 'tool', tool, 'idx', idx, "		\
	"'launch', launch, 'kernel', kernel, 'phase', phase, "		\
	"'metric', metric, 'unit', unit, 'value', value, 'text', text"

/* A profile_session row as JSON (export's "profile_sessions"). */
#define SESSION_JSON_FIELDS						\
	"'id', id, 'tool', tool, 'report', report, 'command', command, "\
	"'tool_version', tool_version, 'imported_at', imported_at"

/* json_object() takes at most 127 arguments; keys beyond this many pairs
 * are added with json_set(). */
#define PAIRS_PER_CALL	50

static int	 put(struct db *, FILE *, const char *, size_t);
static int	 flush_buf(struct db *, struct db_buf *, FILE *);
static int	 export_csv(struct db *, int64_t, FILE *);
static char	*result_json_sql(struct db *);
static int	 export_json(struct db *, int64_t, FILE *);
static int	 write_rows(struct db *, sqlite3_stmt *, const char *, FILE *);
static int	 finish(struct db *, FILE *);

static int
put(struct db *db, FILE *out, const char *s, size_t n)
{
	if (n > 0 && fwrite(s, 1, n, out) != n) {
		db_seterr(db, "writing the export: %s; check the output's "
		    "disk space and permissions", strerror(errno));
		return (-1);
	}
	return (0);
}

/* Surfaces errors that stdio buffered (a full disk shows up here). */
static int
finish(struct db *db, FILE *out)
{
	if (fflush(out) == EOF || ferror(out)) {
		db_seterr(db, "writing the export: %s; check the output's "
		    "disk space and permissions", strerror(errno));
		return (-1);
	}
	return (0);
}

/* Writes out what b holds and empties it. */
static int
flush_buf(struct db *db, struct db_buf *b, FILE *out)
{
	if (b->nomem) {
		db_seterr(db, "exporting a run as CSV: out of memory");
		return (-1);
	}
	if (put(db, out, b->s, b->len) == -1)
		return (-1);
	b->len = 0;
	return (0);
}

/* The rows go through table.c's writer one at a time, so the CSV of an
 * export and of the dashboard's API quote and format alike. */
static int
export_csv(struct db *db, int64_t run_id, FILE *out)
{
	const char	*what = "exporting a run as CSV";
	sqlite3_stmt	*st = NULL;
	struct db_buf	 b;
	int64_t		 n = 0;
	int		 ret = -1, rc;

	memset(&b, 0, sizeof(b));
	if (db_prepare(db, &st, "SELECT run.uuid AS run_uuid, result.* "
	    "FROM result JOIN run ON run.id = result.run_id "
	    "WHERE result.run_id = ?1 ORDER BY result.point_idx", what) == -1)
		goto out;
	if (sqlite3_bind_int64(st, 1, run_id) != SQLITE_OK) {
		DB_FAIL(db, "%s: binding", what);
		goto out;
	}
	db_tab_begin(&b, st, DB_FMT_CSV);
	if (flush_buf(db, &b, out) == -1)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		db_tab_row(&b, st, DB_FMT_CSV, n++);
		if (flush_buf(db, &b, out) == -1)
			goto out;
	}
	if (rc != SQLITE_DONE) {
		DB_FAIL(db, "%s: reading results", what);
		goto out;
	}
	ret = finish(db, out);
out:
	db_buf_free(&b);
	sqlite3_finalize(st);
	return (ret);
}

/*
 * The SELECT that makes one JSON object per result of run ?1: every
 * column of the result table, then its samples, phases, loss curve (each
 * step with the fp32 reference's loss, null when not recorded), loss-scale
 * trajectory, launch facts, all-reduces (comm; [] unless data parallel),
 * the kernels CUPTI traced and the values nsys / ncu measured (profile; []
 * when none).  fingerprint_json comes out as the object it holds, not as
 * a string.  Keys are only ever added, so a reader of an older export
 * finds what it knew where it was.
 * The children go through json() because a JSON value's subtype does not
 * reliably survive a subquery; without it they would come out as strings.
 */
static char *
result_json_sql(struct db *db)
{
	const char	*what = "exporting a run as JSON";
	sqlite3_stmt	*st = NULL;
	sqlite3_str	*expr = NULL, *sql = NULL;
	const char	*name, *fn;
	char		*e = NULL, *ret = NULL;
	int		 i, ncol;

	if (db_prepare(db, &st, "SELECT * FROM result", what) == -1)
		goto out;
	ncol = sqlite3_column_count(st);
	expr = sqlite3_str_new(db->h);
	sqlite3_str_appendall(expr, "json_object(");
	for (i = 0; i < ncol; i++) {
		name = sqlite3_column_name(st, i);
		/* Our own column names: plain identifiers, so they need no
		 * quoting as a key, an identifier or in a JSON path. */
		if (name == NULL || name[0] == '\0' ||
		    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_") !=
		    strlen(name)) {
			db_seterr(db, "%s: unexpected result column '%s'; this "
			    "is a bug in stepbench", what,
			    name != NULL ? name : "(null)");
			goto out;
		}
		if (i > 0 && i % PAIRS_PER_CALL == 0) {
			/* This call is full: wrap it in a json_set(). */
			sqlite3_str_appendall(expr, ")");
			if ((e = sqlite3_str_finish(expr)) == NULL) {
				expr = NULL;
				db_seterr(db, "%s: out of memory", what);
				goto out;
			}
			expr = sqlite3_str_new(db->h);
			sqlite3_str_appendf(expr, "json_set(%s", e);
			sqlite3_free(e);
			e = NULL;
		}
		/* Stored JSON goes out as JSON, not as a string. */
		fn = strcmp(name, "fingerprint_json") == 0 ? "json" : "";
		if (i < PAIRS_PER_CALL)
			sqlite3_str_appendf(expr, "%s'%s', %s(res.%s)",
			    i > 0 ? ", " : "", name, fn, name);
		else
			sqlite3_str_appendf(expr, ", '$.%s', %s(res.%s)", name,
			    fn, name);
	}
	sqlite3_str_appendall(expr, ")");
	e = sqlite3_str_finish(expr);
	expr = NULL;
	if (e == NULL) {
		db_seterr(db, "%s: out of memory", what);
		goto out;
	}
	sql = sqlite3_str_new(db->h);
	sqlite3_str_appendf(sql, "SELECT json_set(%s, "
	    "'$.samples', json((SELECT json_group_array(time_us) FROM "
	    "(SELECT time_us FROM sample WHERE result_id = res.id "
	    "ORDER BY idx))), "
	    "'$.phases', json((SELECT json_group_object(name, median_us) "
	    "FROM (SELECT name, median_us FROM phase "
	    "WHERE result_id = res.id ORDER BY name))), "
	    "'$.loss_curve', json((SELECT json_group_array(json_object("
	    "'step', step, 'loss', loss, 'lr', lr, 'ref_loss', ref_loss)) "
	    "FROM (SELECT step, loss, lr, ref_loss FROM loss_curve "
	    "WHERE result_id = res.id ORDER BY step))), "
	    "'$.scaler', json((SELECT json_group_array(json_object("
	    "'step', step, 'scale', scale, 'skipped', skipped, "
	    "'growth_tracker', growth_tracker)) FROM (SELECT step, scale, "
	    "skipped, growth_tracker FROM scaler "
	    "WHERE result_id = res.id ORDER BY step))), "
	    "'$.launch_info', json((SELECT json_group_array(json_object("
	    LAUNCH_JSON_FIELDS ")) FROM (SELECT * FROM launch_info "
	    "WHERE result_id = res.id ORDER BY idx))), "
	    "'$.comm', json((SELECT json_group_array(json_object("
	    COMM_JSON_FIELDS ")) FROM (SELECT * FROM comm "
	    "WHERE result_id = res.id ORDER BY bucket))), "
	    "'$.kernels', json((SELECT json_group_array(json_object("
	    KERNEL_JSON_FIELDS ")) FROM (SELECT * FROM kernel "
	    "WHERE result_id = res.id ORDER BY idx))), "
	    "'$.profile', json((SELECT json_group_array(json_object("
	    PROFILE_JSON_FIELDS ")) FROM (SELECT p.*, s.tool FROM profile "
	    "AS p JOIN profile_session AS s ON s.id = p.session_id "
	    "WHERE p.result_id = res.id ORDER BY p.session_id, p.idx)))) "
	    "FROM result AS res WHERE res.run_id = ?1 ORDER BY res.point_idx",
	    e);
	if (sqlite3_str_errcode(sql) != SQLITE_OK) {
		db_seterr(db, "%s: out of memory", what);
		goto out;
	}
	ret = sqlite3_str_finish(sql);
	sql = NULL;
out:
	sqlite3_free(e);
	sqlite3_free(sqlite3_str_finish(expr));
	sqlite3_free(sqlite3_str_finish(sql));
	sqlite3_finalize(st);
	return (ret);
}

/* Writes column 0 of every row, separated by sep. */
static int
write_rows(struct db *db, sqlite3_stmt *st, const char *sep, FILE *out)
{
	const char	*s;
	int		 n = 0, rc, ret = -1;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		s = (const char *)sqlite3_column_text(st, 0);
		if (s == NULL) {
			db_seterr(db, "exporting JSON: SQLite returned no text "
			    "for row %d; this is a bug in stepbench", n);
			goto out;
		}
		if ((n > 0 && put(db, out, sep, strlen(sep)) == -1) ||
		    put(db, out, s, (size_t)sqlite3_column_bytes(st, 0)) == -1)
			goto out;
		n++;
	}
	if (rc != SQLITE_DONE) {
		DB_FAIL(db, "exporting JSON: reading rows");
		goto out;
	}
	ret = 0;
out:
	return (ret);
}

static int
export_json(struct db *db, int64_t run_id, FILE *out)
{
	const char	*what = "exporting a run as JSON";
	sqlite3_stmt	*st = NULL;
	char		*sql = NULL;
	int		 ret = -1;

	if (db_prepare(db, &st, "SELECT json_object(" RUN_JSON_FIELDS ", "
	    "'environment', json(e.json)) FROM run "
	    "LEFT JOIN environment AS e ON e.id = run.env_id "
	    "WHERE run.id = ?1", what) == -1)
		goto out;
	if (sqlite3_bind_int64(st, 1, run_id) != SQLITE_OK) {
		DB_FAIL(db, "%s: binding", what);
		goto out;
	}
	if (put(db, out, "{\"run\":", 7) == -1 ||
	    write_rows(db, st, ",", out) == -1 ||
	    put(db, out, ",\"results\":[", 12) == -1)
		goto out;
	sqlite3_finalize(st);
	st = NULL;
	if ((sql = result_json_sql(db)) == NULL)
		goto out;
	if (db_prepare(db, &st, sql, what) == -1)
		goto out;
	if (sqlite3_bind_int64(st, 1, run_id) != SQLITE_OK) {
		DB_FAIL(db, "%s: binding", what);
		goto out;
	}
	if (write_rows(db, st, ",\n", out) == -1 ||
	    put(db, out, "],\"profile_sessions\":", 21) == -1)
		goto out;
	sqlite3_finalize(st);
	st = NULL;
	if (db_prepare(db, &st, "SELECT json_group_array(json_object("
	    SESSION_JSON_FIELDS ")) FROM (SELECT * FROM profile_session "
	    "WHERE run_id = ?1 ORDER BY id)", what) == -1)
		goto out;
	if (sqlite3_bind_int64(st, 1, run_id) != SQLITE_OK) {
		DB_FAIL(db, "%s: binding", what);
		goto out;
	}
	if (write_rows(db, st, ",", out) == -1 ||
	    put(db, out, "}\n", 2) == -1)
		goto out;
	ret = finish(db, out);
out:
	sqlite3_free(sql);
	sqlite3_finalize(st);
	return (ret);
}

int
db_export(struct db *db, int64_t run_id, const char *format, FILE *out)
{
	const char	*what = "exporting a run";
	int		 ret = -1;

	if (format == NULL || (strcmp(format, "csv") != 0 &&
	    strcmp(format, "json") != 0)) {
		db_seterr(db, "export format '%s' is not known; use csv or "
		    "json", format != NULL ? format : "(null)");
		goto out;
	}
	/* One read transaction so the run and its results agree even while
	 * a sweep is adding points. */
	if (db_exec(db, "BEGIN", what) == -1)
		goto out;
	if (db_run_check(db, run_id, what) == -1)
		goto out;
	if (strcmp(format, "csv") == 0)
		ret = export_csv(db, run_id, out);
	else
		ret = export_json(db, run_id, out);
out:
	db_rollback(db);
	return (ret);
}

int
db_runs_json(struct db *db, FILE *out)
{
	const char	*what = "listing runs as JSON";
	sqlite3_stmt	*st = NULL;
	int		 ret = -1;

	if (db_prepare(db, &st, "SELECT json_object(" RUN_JSON_FIELDS ") "
	    "FROM run ORDER BY run.id DESC", what) == -1)
		goto out;
	if (put(db, out, "[", 1) == -1 ||
	    write_rows(db, st, ",\n", out) == -1 ||
	    put(db, out, "]\n", 2) == -1)
		goto out;
	ret = finish(db, out);
out:
	sqlite3_finalize(st);
	return (ret);
}
