/*
 * db/profile.c — what nsys and ncu measured, imported (schema v6): one
 * profile_session row per `stepbench profile` run of a tool over a run, and
 * its values as profile rows.
 *
 * A value names the point it belongs to by point_idx, as the tool saw it
 * (the NVTX point range's payload); here that becomes the result row of the
 * session's run with that point_idx, or NULL when there is none (a launch
 * outside every point, or a point that stored no row).  A session's rows
 * are numbered (idx) in the order they were added, across calls.
 */
#include <stdio.h>
#include <string.h>

#include "db_int.h"

static int	check_metrics(struct db *, const struct db_profile_metric *,
		    int);
static int	session_add(struct db *, int64_t,
		    const struct db_profile_session *, int64_t *, int);
static int	metrics_add(struct db *, int64_t,
		    const struct db_profile_metric *, int, int);

int
db_profile_begin(struct db *db, int64_t run_id,
    const struct db_profile_session *s, int64_t *session_id)
{
	return (session_add(db, run_id, s, session_id, 1));
}

int
db_profile_add(struct db *db, int64_t session_id,
    const struct db_profile_metric *m, int n)
{
	return (metrics_add(db, session_id, m, n, 1));
}

int
db_profile_import(struct db *db, int64_t run_id,
    const struct db_profile_session *s, const struct db_profile_metric *m,
    int n, int64_t *session_id)
{
	const char	*what = "importing a profile";
	int64_t		 sid;

	if (check_metrics(db, m, n) == -1)
		return (-1);
	if (db_begin(db, what) == -1)
		return (-1);
	if (session_add(db, run_id, s, &sid, 0) == -1 ||
	    metrics_add(db, sid, m, n, 0) == -1 || db_commit(db, what) == -1) {
		db_rollback(db);
		return (-1);
	}
	if (session_id != NULL)
		*session_id = sid;
	return (0);
}

/* own: the call's own transaction; else the caller's (one import). */
static int
session_add(struct db *db, int64_t run_id,
    const struct db_profile_session *s, int64_t *session_id, int own)
{
	const char	*what = "recording a profile session";
	sqlite3_stmt	*st = NULL;
	int		 ret = -1, bad = 0;

	if (s == NULL || s->tool == NULL || (strcmp(s->tool, "ncu") != 0 &&
	    strcmp(s->tool, "nsys") != 0)) {
		db_seterr(db, "%s: tool is '%s'; give ncu or nsys; this is a "
		    "bug in the caller", what, s == NULL || s->tool == NULL ?
		    "(null)" : s->tool);
		return (-1);
	}
	if (s->command == NULL) {
		db_seterr(db, "%s: no command; give the command line that "
		    "made the report, as printed; this is a bug in the caller",
		    what);
		return (-1);
	}
	if (own && db_begin(db, what) == -1)
		goto out;
	if (db_run_check(db, run_id, what) == -1)
		goto out;
	if (db_prepare(db, &st, "INSERT INTO profile_session (run_id, tool, "
	    "report, command, tool_version, imported_at) VALUES (?1, ?2, ?3, "
	    "?4, ?5, " DB_NOW_SQL ")", what) == -1)
		goto out;
	bad |= sqlite3_bind_int64(st, 1, run_id) != SQLITE_OK;
	bad |= db_bind_text(st, 2, s->tool) != SQLITE_OK;
	bad |= db_bind_text(st, 3, s->report) != SQLITE_OK;
	bad |= db_bind_text(st, 4, s->command) != SQLITE_OK;
	bad |= db_bind_text(st, 5, s->tool_version) != SQLITE_OK;
	if (bad) {
		DB_FAIL(db, "%s: binding", what);
		goto out;
	}
	if (sqlite3_step(st) != SQLITE_DONE) {
		DB_FAIL(db, "%s: inserting", what);
		goto out;
	}
	if (session_id != NULL)
		*session_id = sqlite3_last_insert_rowid(db->h);
	sqlite3_finalize(st);
	st = NULL;
	if (own && db_commit(db, what) == -1)
		goto out;
	ret = 0;
out:
	sqlite3_finalize(st);
	if (ret == -1 && own)
		db_rollback(db);
	return (ret);
}

/* Every value has a kernel, a metric and a launch >= 0; refused before
 * anything is written, the value named. */
static int
check_metrics(struct db *db, const struct db_profile_metric *m, int n)
{
	int	i;

	if (n < 0 || (n > 0 && m == NULL)) {
		db_seterr(db, "adding profile values: n is %d and the values "
		    "are %s; they do not match; this is a bug in the caller",
		    n, m == NULL ? "NULL" : "set");
		return (-1);
	}
	for (i = 0; i < n; i++) {
		if (m[i].kernel == NULL || m[i].metric == NULL ||
		    m[i].metric[0] == '\0') {
			db_seterr(db, "adding profile values: value %d (launch "
			    "%lld) has no %s; every value names its kernel "
			    "and metric; this is a bug in the caller", i,
			    (long long)m[i].launch, m[i].kernel == NULL ?
			    "kernel" : "metric");
			return (-1);
		}
		if (m[i].launch < 0) {
			db_seterr(db, "adding profile values: value %d ('%s' "
			    "of '%s') has launch %lld; a launch id is >= 0; "
			    "this is a bug in the caller", i, m[i].metric,
			    m[i].kernel, (long long)m[i].launch);
			return (-1);
		}
	}
	return (0);
}

static int
metrics_add(struct db *db, int64_t session_id,
    const struct db_profile_metric *m, int n, int own)
{
	const char	*what = "adding profile values";
	sqlite3_stmt	*st = NULL;
	int64_t		 run_id, next;
	int		 i, c, bad, ret = -1;

	if (own && check_metrics(db, m, n) == -1)
		return (-1);
	if (own && db_begin(db, what) == -1)
		goto out;
	if (db_prepare(db, &st, "SELECT run_id, (SELECT coalesce(max(idx) + "
	    "1, 0) FROM profile WHERE session_id = ?1) FROM profile_session "
	    "WHERE id = ?1", what) == -1)
		goto out;
	if (sqlite3_bind_int64(st, 1, session_id) != SQLITE_OK) {
		DB_FAIL(db, "%s: binding", what);
		goto out;
	}
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		run_id = sqlite3_column_int64(st, 0);
		next = sqlite3_column_int64(st, 1);
		break;
	case SQLITE_DONE:
		db_seterr(db, "%s: no profile session with id %lld in '%s'; "
		    "call db_profile_begin first; this is a bug in the caller",
		    what, (long long)session_id, db->path);
		goto out;
	default:
		DB_FAIL(db, "%s: looking up session %lld", what,
		    (long long)session_id);
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (n == 0)
		goto done;
	/* point_idx -1 matches no result: result_id NULL. */
	if (db_prepare(db, &st, "INSERT INTO profile (session_id, idx, "
	    "result_id, launch, kernel, phase, metric, unit, value, text) "
	    "VALUES (?1, ?2, (SELECT id FROM result WHERE run_id = ?3 AND "
	    "point_idx = ?4), ?5, ?6, ?7, ?8, ?9, ?10, ?11)", what) == -1)
		goto out;
	for (i = 0; i < n; i++) {
		c = 1;
		bad = 0;
#define B(call)	bad |= (call) != SQLITE_OK
		B(sqlite3_bind_int64(st, c++, session_id));
		B(sqlite3_bind_int64(st, c++, next + i));
		B(sqlite3_bind_int64(st, c++, run_id));
		B(sqlite3_bind_int(st, c++, m[i].point_idx));
		B(sqlite3_bind_int64(st, c++, m[i].launch));
		B(db_bind_text(st, c++, m[i].kernel));
		B(db_bind_text(st, c++, m[i].phase));
		B(db_bind_text(st, c++, m[i].metric));
		B(db_bind_text(st, c++, m[i].unit));
		B(db_bind_real(st, c++, m[i].value));
		B(db_bind_text(st, c++, m[i].text));
#undef B
		if (bad || c != sqlite3_bind_parameter_count(st) + 1) {
			DB_FAIL(db, "%s: binding value %d", what, i);
			goto out;
		}
		if (sqlite3_step(st) != SQLITE_DONE) {
			DB_FAIL(db, "%s: inserting value %d ('%s' of '%s')",
			    what, i, m[i].metric, m[i].kernel);
			goto out;
		}
		if (sqlite3_reset(st) != SQLITE_OK) {
			DB_FAIL(db, "%s: resetting", what);
			goto out;
		}
	}
	sqlite3_finalize(st);
	st = NULL;
done:
	if (own && db_commit(db, what) == -1)
		goto out;
	ret = 0;
out:
	sqlite3_finalize(st);
	if (ret == -1 && own)
		db_rollback(db);
	return (ret);
}
