/*
 * db/run.c — run rows: beginning, ending and reopening a run, finding one
 * by id or UUID, listing them, its stored command line, which of its plan
 * points are done, and the environment rows runs share.
 */
#define _POSIX_C_SOURCE 200809L	/* strdup */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_int.h"

/* The columns fill_row() expects, in its order. */
#define RUN_COLS							\
	"id, uuid, status, started_at, ended_at, host, device, label, "	\
	"note, pid, pid_start, planned_points, "			\
	"(SELECT count(*) FROM result r WHERE r.run_id = run.id), "	\
	"(SELECT count(*) FROM result r WHERE r.run_id = run.id "	\
	"AND r.status = 'ok'), "					\
	"(SELECT count(*) FROM result r WHERE r.run_id = run.id "	\
	"AND r.status IN ('mismatch', 'failed'))"

static void	fnv1a_hex(const char *, char *, size_t);
static int	argv_json(struct db *, int, char *const *, char **);
static void	fill_row(sqlite3_stmt *, struct db_run_row *);
static int	collect(struct db *, sqlite3_stmt *, const char *,
		    struct db_run_row *, int *);
static int	set_status(struct db *, int64_t, const char *, int64_t,
		    int64_t);
static int	all_digits(const char *);

/* FNV-1a 64: enough to tell environments apart; a collision is detected
 * in db_env_id() rather than silently merged. */
static void
fnv1a_hex(const char *s, char *out, size_t outlen)
{
	uint64_t	h = 0xcbf29ce484222325ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	(void)snprintf(out, outlen, "%016" PRIx64, h);
}

/* Inside the caller's transaction: the id of env_json's row, inserting it
 * if new.  *id = 0 means no environment (stored as NULL).  Also used by
 * db_import() for the environments it copies. */
int
db_env_id(struct db *db, const char *json, int64_t *id)
{
	const char	*what = "storing the run's environment";
	sqlite3_stmt	*st = NULL;
	char		 hash[24];
	int		 ret = -1, rc;

	*id = 0;
	if (json == NULL)
		return (0);
	fnv1a_hex(json, hash, sizeof(hash));
	if (db_prepare(db, &st, "INSERT INTO environment (hash, json) "
	    "VALUES (?1, ?2) ON CONFLICT (hash) DO NOTHING", what) == -1)
		goto out;
	if (db_bind_text(st, 1, hash) != SQLITE_OK ||
	    db_bind_text(st, 2, json) != SQLITE_OK) {
		DB_FAIL(db, "%s: binding", what);
		goto out;
	}
	if (sqlite3_step(st) != SQLITE_DONE) {
		if ((sqlite3_extended_errcode(db->h) & 0xff) ==
		    SQLITE_CONSTRAINT)
			db_seterr(db, "%s: env_json is not a JSON object (%s); "
			    "this is a bug in the caller", what,
			    sqlite3_errmsg(db->h));
		else
			DB_FAIL(db, "%s", what);
		goto out;
	}
	sqlite3_finalize(st);
	if (db_prepare(db, &st, "SELECT id, json = ?2 FROM environment "
	    "WHERE hash = ?1", what) == -1)
		goto out;
	if (db_bind_text(st, 1, hash) != SQLITE_OK ||
	    db_bind_text(st, 2, json) != SQLITE_OK) {
		DB_FAIL(db, "%s: binding", what);
		goto out;
	}
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		DB_FAIL(db, "%s: reading its id back", what);
		goto out;
	}
	if (sqlite3_column_int(st, 1) != 1) {
		db_seterr(db, "%s: hash %s of a new environment collides with "
		    "a stored one in '%s'; please report this", what, hash,
		    db->path);
		goto out;
	}
	*id = sqlite3_column_int64(st, 0);
	ret = 0;
out:
	sqlite3_finalize(st);
	return (ret);
}

/* SQLite builds the JSON array so that quoting is its problem, not ours. */
static int
argv_json(struct db *db, int argc, char *const *argv, char **out)
{
	const char	*what = "storing the command line";
	sqlite3_stmt	*st = NULL;
	const char	*s;
	char		*cur = NULL, *next;
	int		 i, ret = -1;

	*out = NULL;
	if ((cur = strdup("[]")) == NULL) {
		db_seterr(db, "%s: out of memory", what);
		goto out;
	}
	if (argc > 0 && db_prepare(db, &st, "SELECT json_insert(?1, '$[#]', "
	    "?2)", what) == -1)
		goto out;
	for (i = 0; i < argc; i++) {
		if (argv[i] == NULL) {
			db_seterr(db, "%s: argv[%d] is NULL; this is a bug in "
			    "the caller", what, i);
			goto out;
		}
		if (db_bind_text(st, 1, cur) != SQLITE_OK ||
		    db_bind_text(st, 2, argv[i]) != SQLITE_OK) {
			DB_FAIL(db, "%s: binding argv[%d]", what, i);
			goto out;
		}
		if (sqlite3_step(st) != SQLITE_ROW ||
		    (s = (const char *)sqlite3_column_text(st, 0)) == NULL) {
			DB_FAIL(db, "%s: adding argv[%d]", what, i);
			goto out;
		}
		if ((next = strdup(s)) == NULL) {
			db_seterr(db, "%s: out of memory", what);
			goto out;
		}
		free(cur);
		cur = next;
		if (sqlite3_reset(st) != SQLITE_OK) {
			DB_FAIL(db, "%s: resetting", what);
			goto out;
		}
	}
	*out = cur;
	cur = NULL;
	ret = 0;
out:
	sqlite3_finalize(st);
	free(cur);
	return (ret);
}

int
db_run_begin(struct db *db, const struct db_run_info *ri, int64_t *run_id)
{
	const char	*what = "recording the start of a run";
	sqlite3_stmt	*st = NULL;
	char		*argv = NULL;
	int64_t		 env;
	int		 ret = -1, rc;

	*run_id = 0;
	if (ri->uuid == NULL || ri->argc < 0 || (ri->argc > 0 &&
	    ri->argv == NULL) || ri->planned_points < 0) {
		db_seterr(db, "%s: uuid missing, or argc/argv/planned_points "
		    "invalid; this is a bug in the caller", what);
		goto out;
	}
	if (argv_json(db, ri->argc, ri->argv, &argv) == -1)
		goto out;
	if (db_begin(db, what) == -1)
		goto out;
	if (db_env_id(db, ri->env_json, &env) == -1)
		goto out;
	if (db_prepare(db, &st, "INSERT INTO run (uuid, label, note, argv, "
	    "git_rev, git_dirty, host, pid, pid_start, env_id, device, "
	    "planned_points, status, started_at) VALUES (?1, ?2, ?3, ?4, ?5, "
	    "?6, ?7, ?8, ?9, ?10, ?11, ?12, 'running', " DB_NOW_SQL ")",
	    what) == -1)
		goto out;
	if (db_bind_text(st, 1, ri->uuid) != SQLITE_OK ||
	    db_bind_text(st, 2, ri->label) != SQLITE_OK ||
	    db_bind_text(st, 3, ri->note) != SQLITE_OK ||
	    db_bind_text(st, 4, argv) != SQLITE_OK ||
	    db_bind_text(st, 5, ri->git_rev) != SQLITE_OK ||
	    sqlite3_bind_int(st, 6, ri->git_dirty != 0) != SQLITE_OK ||
	    db_bind_text(st, 7, ri->host) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 8, ri->pid) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 9, ri->pid_start) != SQLITE_OK ||
	    (env != 0 ? sqlite3_bind_int64(st, 10, env) :
	    sqlite3_bind_null(st, 10)) != SQLITE_OK ||
	    db_bind_text(st, 11, ri->device) != SQLITE_OK ||
	    sqlite3_bind_int(st, 12, ri->planned_points) != SQLITE_OK) {
		DB_FAIL(db, "%s: binding", what);
		goto out;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_CONSTRAINT_UNIQUE) {
		db_seterr(db, "%s: a run with uuid '%s' already exists in "
		    "'%s'; use a new uuid", what, ri->uuid, db->path);
		goto out;
	}
	if (rc != SQLITE_DONE) {
		DB_FAIL(db, "%s: inserting the run", what);
		goto out;
	}
	*run_id = sqlite3_last_insert_rowid(db->h);
	sqlite3_finalize(st);
	st = NULL;
	if (db_commit(db, what) == -1)
		goto out;
	ret = 0;
out:
	sqlite3_finalize(st);
	if (ret == -1) {
		db_rollback(db);
		*run_id = 0;
	}
	free(argv);
	return (ret);
}

/* One UPDATE of a run in its own transaction.  status NULL = reopen. */
static int
set_status(struct db *db, int64_t run_id, const char *status, int64_t pid,
    int64_t pid_start)
{
	const char	*what;
	sqlite3_stmt	*st = NULL;
	int		 ret = -1, bad;

	what = status != NULL ? "recording the end of a run" :
	    "reopening a run";
	if (db_begin(db, what) == -1)
		goto out;
	if (status != NULL) {
		if (db_prepare(db, &st, "UPDATE run SET status = ?2, "
		    "ended_at = " DB_NOW_SQL " WHERE id = ?1", what) == -1)
			goto out;
		bad = db_bind_text(st, 2, status) != SQLITE_OK;
	} else {
		if (db_prepare(db, &st, "UPDATE run SET status = 'running', "
		    "ended_at = NULL, pid = ?2, pid_start = ?3 WHERE id = ?1",
		    what) == -1)
			goto out;
		bad = sqlite3_bind_int64(st, 2, pid) != SQLITE_OK ||
		    sqlite3_bind_int64(st, 3, pid_start) != SQLITE_OK;
	}
	if (bad || sqlite3_bind_int64(st, 1, run_id) != SQLITE_OK) {
		DB_FAIL(db, "%s: binding", what);
		goto out;
	}
	if (sqlite3_step(st) != SQLITE_DONE) {
		DB_FAIL(db, "%s: updating run %lld", what, (long long)run_id);
		goto out;
	}
	if (sqlite3_changes(db->h) == 0) {
		db_seterr(db, "%s: no run with id %lld in '%s'; "
		    "'stepbench runs' lists them", what, (long long)run_id,
		    db->path);
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (db_commit(db, what) == -1)
		goto out;
	ret = 0;
out:
	sqlite3_finalize(st);
	if (ret == -1)
		db_rollback(db);
	return (ret);
}

int
db_run_end(struct db *db, int64_t run_id, const char *status)
{
	int	ret = -1;

	if (status == NULL || (strcmp(status, "ok") != 0 &&
	    strcmp(status, "failed") != 0 && strcmp(status, "aborted") != 0)) {
		db_seterr(db, "recording the end of run %lld: status '%s' is "
		    "not ok, failed or aborted; this is a bug in the caller",
		    (long long)run_id, status != NULL ? status : "(null)");
		goto out;
	}
	ret = set_status(db, run_id, status, 0, 0);
out:
	return (ret);
}

int
db_run_reopen(struct db *db, int64_t run_id, int64_t pid, int64_t pid_start)
{
	return (set_status(db, run_id, NULL, pid, pid_start));
}

static void
fill_row(sqlite3_stmt *st, struct db_run_row *r)
{
	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(st, 0);
	db_copy_col(r->uuid, sizeof(r->uuid), st, 1);
	db_copy_col(r->status, sizeof(r->status), st, 2);
	db_copy_col(r->started_at, sizeof(r->started_at), st, 3);
	db_copy_col(r->ended_at, sizeof(r->ended_at), st, 4);
	db_copy_col(r->host, sizeof(r->host), st, 5);
	db_copy_col(r->device, sizeof(r->device), st, 6);
	db_copy_col(r->label, sizeof(r->label), st, 7);
	db_copy_col(r->note, sizeof(r->note), st, 8);
	r->pid = sqlite3_column_int64(st, 9);
	r->pid_start = sqlite3_column_int64(st, 10);
	r->planned_points = sqlite3_column_int(st, 11);
	r->done_points = sqlite3_column_int(st, 12);
	r->ok_points = sqlite3_column_int(st, 13);
	r->failed_points = sqlite3_column_int(st, 14);
}

/* Steps st to the end: *n rows matched, the first one lands in out. */
static int
collect(struct db *db, sqlite3_stmt *st, const char *what,
    struct db_run_row *out, int *n)
{
	int	rc;

	*n = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == 0)
			fill_row(st, out);
		(*n)++;
	}
	if (rc != SQLITE_DONE) {
		DB_FAIL(db, "%s", what);
		return (-1);
	}
	return (0);
}

static int
all_digits(const char *s)
{
	if (*s == '\0')
		return (0);
	for (; *s != '\0'; s++)
		if (*s < '0' || *s > '9')
			return (0);
	return (1);
}

int
db_run_find(struct db *db, const char *ref, struct db_run_row *out)
{
	const char	*what = "looking up a run";
	sqlite3_stmt	*st = NULL;
	size_t		 len;
	int		 n = 0, ret = -1;

	memset(out, 0, sizeof(*out));
	if (ref == NULL || *ref == '\0') {
		db_seterr(db, "no run given; 'stepbench runs' lists the runs "
		    "in '%s'", db->path);
		ret = DB_NOTFOUND;
		goto out;
	}
	len = strlen(ref);

	/* 1. An integer id (at most 18 digits so it fits an int64). */
	if (all_digits(ref) && len <= 18) {
		if (db_prepare(db, &st, "SELECT " RUN_COLS " FROM run "
		    "WHERE id = ?1", what) == -1)
			goto out;
		if (sqlite3_bind_int64(st, 1, strtoll(ref, NULL, 10)) !=
		    SQLITE_OK) {
			DB_FAIL(db, "%s: binding", what);
			goto out;
		}
		if (collect(db, st, what, out, &n) == -1)
			goto out;
		if (n == 1) {
			ret = 0;
			goto out;
		}
		sqlite3_finalize(st);
		st = NULL;
	}

	/* 2. The exact UUID, else 3. a unique prefix of one. */
	if (db_prepare(db, &st, "SELECT " RUN_COLS " FROM run "
	    "WHERE uuid = ?1", what) == -1)
		goto out;
	if (db_bind_text(st, 1, ref) != SQLITE_OK) {
		DB_FAIL(db, "%s: binding", what);
		goto out;
	}
	if (collect(db, st, what, out, &n) == -1)
		goto out;
	if (n == 1) {
		ret = 0;
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (len >= 4) {
		if (db_prepare(db, &st, "SELECT " RUN_COLS " FROM run "
		    "WHERE substr(uuid, 1, length(?1)) = ?1 ORDER BY id",
		    what) == -1)
			goto out;
		if (db_bind_text(st, 1, ref) != SQLITE_OK) {
			DB_FAIL(db, "%s: binding", what);
			goto out;
		}
		if (collect(db, st, what, out, &n) == -1)
			goto out;
		if (n == 1) {
			ret = 0;
			goto out;
		}
	}
	memset(out, 0, sizeof(*out));
	ret = DB_NOTFOUND;
	if (n > 1)
		db_seterr(db, "run prefix '%s' matches %d runs in '%s'; give "
		    "more characters", ref, n, db->path);
	else if (len < 4 && !all_digits(ref))
		db_seterr(db, "no run '%s' in '%s' (a UUID prefix needs at "
		    "least 4 characters); 'stepbench runs' lists them", ref,
		    db->path);
	else
		db_seterr(db, "no run '%s' in '%s'; 'stepbench runs' lists "
		    "them", ref, db->path);
out:
	sqlite3_finalize(st);
	return (ret);
}

int
db_run_foreach(struct db *db, int (*fn)(const struct db_run_row *, void *),
    void *ctx)
{
	const char		*what = "listing runs";
	sqlite3_stmt		*st = NULL;
	struct db_run_row	 row;
	int			 ret = -1, rc;

	if (db_prepare(db, &st, "SELECT " RUN_COLS " FROM run "
	    "ORDER BY id DESC", what) == -1)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		fill_row(st, &row);
		if (fn(&row, ctx) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		DB_FAIL(db, "%s", what);
		goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(st);
	return (ret);
}

int
db_run_argv(struct db *db, int64_t run_id, int *argc, char ***argv)
{
	const char	*what = "reading a run's command line";
	sqlite3_stmt	*st = NULL;
	const char	*s;
	char		**v = NULL;
	int64_t		 n = 0;
	int		 i = 0, ret = -1, rc;

	*argc = 0;
	*argv = NULL;
	if (db_run_check(db, run_id, what) == -1)
		goto out;
	if (db_prepare(db, &st, "SELECT json_array_length(argv) FROM run "
	    "WHERE id = ?1", what) == -1)
		goto out;
	if (sqlite3_bind_int64(st, 1, run_id) != SQLITE_OK) {
		DB_FAIL(db, "%s: binding", what);
		goto out;
	}
	if (sqlite3_step(st) != SQLITE_ROW) {
		DB_FAIL(db, "%s: counting arguments", what);
		goto out;
	}
	n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	st = NULL;
	if (n < 0 || n > 1000000) {
		db_seterr(db, "%s: run %lld has %lld arguments; the file "
		    "looks damaged", what, (long long)run_id, (long long)n);
		goto out;
	}
	/* NULL-terminated like main()'s argv, as a convenience. */
	if ((v = calloc((size_t)n + 1, sizeof(*v))) == NULL) {
		db_seterr(db, "%s: out of memory", what);
		goto out;
	}
	if (db_prepare(db, &st, "SELECT j.value FROM run, json_each(run.argv) "
	    "AS j WHERE run.id = ?1 ORDER BY j.key", what) == -1)
		goto out;
	if (sqlite3_bind_int64(st, 1, run_id) != SQLITE_OK) {
		DB_FAIL(db, "%s: binding", what);
		goto out;
	}
	while (i < n && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		s = (const char *)sqlite3_column_text(st, 0);
		if ((v[i] = strdup(s != NULL ? s : "")) == NULL) {
			db_seterr(db, "%s: out of memory", what);
			goto out;
		}
		i++;
	}
	if (i < n) {
		DB_FAIL(db, "%s: reading argument %d", what, i);
		goto out;
	}
	*argc = (int)n;
	*argv = v;
	v = NULL;
	ret = 0;
out:
	sqlite3_finalize(st);
	if (v != NULL) {
		for (i = 0; i < n; i++)
			free(v[i]);
		free(v);
	}
	return (ret);
}

int
db_run_done_points(struct db *db, int64_t run_id, unsigned char *done,
    int n)
{
	const char	*what = "reading a run's finished points";
	sqlite3_stmt	*st = NULL;
	int64_t		 idx;
	int		 ret = -1, rc;

	if (n > 0)
		memset(done, 0, (size_t)n);
	if (db_run_check(db, run_id, what) == -1)
		goto out;
	if (db_prepare(db, &st, "SELECT point_idx FROM result "
	    "WHERE run_id = ?1 AND point_idx < ?2", what) == -1)
		goto out;
	if (sqlite3_bind_int64(st, 1, run_id) != SQLITE_OK ||
	    sqlite3_bind_int(st, 2, n) != SQLITE_OK) {
		DB_FAIL(db, "%s: binding", what);
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		idx = sqlite3_column_int64(st, 0);
		if (idx >= 0 && idx < n)
			done[idx] = 1;
	}
	if (rc != SQLITE_DONE) {
		DB_FAIL(db, "%s", what);
		goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(st);
	return (ret);
}
