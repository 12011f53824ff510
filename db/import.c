/*
 * db/import.c — copying runs from another stepbench database (query.h).
 *
 * The other file is opened with db_open(DB_OPEN_READONLY) on a handle of
 * its own, so it is validated exactly like any file we open (and refused
 * with the same messages), and read in one read transaction: a sweep that
 * is writing to it meanwhile cannot show us half a point.  Rows are copied
 * value by value (sqlite3_bind_value of the source column) into one BEGIN
 * IMMEDIATE transaction here, so an import lands whole or not at all.
 *
 * Which columns to copy is read from this database's tables, minus the
 * ids that are renumbered (run.id, run.env_id, result.id, result.run_id,
 * the children's result_id).  Both files are at DB_SCHEMA_VERSION (db_open
 * refuses a newer one, and a reader an older one), so a column that a
 * later migration adds is copied without touching this file.
 *
 * A run's profile sessions (schema v6) come with it, renumbered, and each
 * profile row's result_id is re-found by the point_idx of the result it
 * named in the other file (results are unique per run and point_idx), so
 * no table of old to new ids is kept.
 *
 * A run is identified by its UUID: one already here is skipped whatever
 * its state, which makes importing the same file twice a no-op.  A run
 * that is still 'running' in the other file is copied with that status;
 * if its process is gone and on this host, the next writing command marks
 * it 'aborted' as it would any run whose process died.
 */
#define _XOPEN_SOURCE 700	/* realpath */

#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_int.h"

/* One table's copy: the rows of `table` whose `key` column holds a parent's
 * old id are inserted with the parent's new id in that column. */
struct copy {
	const char	*table;
	const char	*key;
	int		 with_id;	/* the table has an id children use */
	int		 ncol;		/* copied columns (not id, not key) */
	sqlite3_stmt	*sel;		/* other: id|NULL, cols, by key */
	sqlite3_stmt	*ins;		/* here: (key, cols) VALUES (?1, ...) */
};

/* The children of a result. */
#define NCHILD	7

struct import {
	struct db	*db;		/* this database (written) */
	struct db	*src;		/* the other one (read) */
	sqlite3_stmt	*runs;		/* other: id, uuid, env json, cols */
	sqlite3_stmt	*has;		/* here: is this uuid present? */
	sqlite3_stmt	*ins_run;	/* here: (env_id, cols) */
	int		 nrun;		/* copied run columns */
	struct copy	 result;
	struct copy	 child[NCHILD];
	/* profile sessions of a run, and their rows */
	sqlite3_stmt	*sess_sel;	/* other: id, cols, by run_id */
	sqlite3_stmt	*sess_ins;	/* here: (run_id, cols) */
	int		 nsess;
	sqlite3_stmt	*prof_sel;	/* other: point_idx, cols, by session */
	sqlite3_stmt	*prof_ins;	/* here: (session_id, result_id, cols) */
	int		 nprof;
};

static int	check_source(struct db *, const char *);
static int	src_fail(struct import *, const char *);
static int	columns(struct db *, const char *, const char *, const char *,
		    sqlite3_str *, int *);
static int	copy_prepare(struct import *, struct copy *, const char *,
		    const char *, int);
static int	copy_rows(struct import *, struct copy *, int64_t, int64_t);
static int	prepare_runs(struct import *);
static int	prepare_fmt(struct import *, struct db *, sqlite3_stmt **,
		    const char *, const char *, const char *, int, int);
static int	bind_row(struct import *, sqlite3_stmt *, int, sqlite3_stmt *,
		    int, int, const char *);
static int	prepare_profiles(struct import *);
static int	copy_profiles(struct import *, int64_t, int64_t);
static int	copy_run(struct import *);

/*
 * The other file must exist and must not be this database under another
 * name (realpath catches links and ./ spellings, the inode hard links).
 * Returns DB_BADSOURCE with a message, or 0.
 */
static int
check_source(struct db *db, const char *path)
{
	struct stat	 so, sd;
	char		*ro = NULL, *rd = NULL;
	int		 ret = DB_BADSOURCE;

	if (stat(path, &so) == -1) {
		if (errno == ENOENT)
			db_seterr(db, "no database at '%s' to import; give the "
			    "path of a stepbench database file", path);
		else
			db_seterr(db, "cannot reach '%s' to import: %s", path,
			    strerror(errno));
		goto out;
	}
	ro = realpath(path, NULL);
	rd = realpath(db->path, NULL);
	if ((stat(db->path, &sd) == 0 && so.st_dev == sd.st_dev &&
	    so.st_ino == sd.st_ino) || (ro != NULL && rd != NULL &&
	    strcmp(ro, rd) == 0)) {
		db_seterr(db, "cannot import a database into itself ('%s' is "
		    "'%s')", path, db->path);
		goto out;
	}
	ret = 0;
out:
	free(ro);
	free(rd);
	return (ret);
}

/* A failure on the other handle, reported on this one. */
static int
src_fail(struct import *im, const char *what)
{
	db_seterr(im->db, "%s: reading '%s': %s", what, im->src->path,
	    db_errmsg(im->src));
	return (-1);
}

/*
 * Appends ", col" for each column of table here except skip1 and skip2
 * (prefix before each name, e.g. "run."), counting them in *n.  Our own
 * column names: plain identifiers, safe to write into SQL.
 */
static int
columns(struct db *db, const char *table, const char *skip1,
    const char *skip2, sqlite3_str *out, int *n)
{
	sqlite3_stmt	*st = NULL;
	char		 sql[128];
	const char	*name;
	int		 i, ncol, ret = -1;

	*n = 0;
	(void)snprintf(sql, sizeof(sql), "SELECT * FROM main.%s", table);
	if (db_prepare(db, &st, sql, "importing: reading the columns") == -1)
		goto out;
	ncol = sqlite3_column_count(st);
	for (i = 0; i < ncol; i++) {
		if ((name = sqlite3_column_name(st, i)) == NULL) {
			db_seterr(db, "importing: out of memory");
			goto out;
		}
		if (strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_") !=
		    strlen(name)) {
			db_seterr(db, "importing: unexpected column '%s.%s'; "
			    "this is a bug in stepbench", table, name);
			goto out;
		}
		if ((skip1 != NULL && strcmp(name, skip1) == 0) ||
		    (skip2 != NULL && strcmp(name, skip2) == 0))
			continue;
		sqlite3_str_appendf(out, ", %s", name);
		(*n)++;
	}
	ret = 0;
out:
	sqlite3_finalize(st);
	return (ret);
}

static int
copy_prepare(struct import *im, struct copy *c, const char *table,
    const char *key, int with_id)
{
	const char	*what = "importing: preparing the copy";
	sqlite3_str	*cols = NULL, *sql = NULL;
	char		*s = NULL, *list = NULL;
	int		 i, ret = -1;

	c->table = table;
	c->key = key;
	c->with_id = with_id;
	cols = sqlite3_str_new(im->db->h);
	if (columns(im->db, table, key, with_id ? "id" : NULL, cols,
	    &c->ncol) == -1)
		goto out;
	if ((list = sqlite3_str_finish(cols)) == NULL) {
		cols = NULL;
		db_seterr(im->db, "%s: out of memory", what);
		goto out;
	}
	cols = NULL;
	/* list starts with ", ". */
	sql = sqlite3_str_new(im->db->h);
	sqlite3_str_appendf(sql, "SELECT %s%s FROM %s WHERE %s = ?1",
	    with_id ? "id" : "NULL", list, table, key);
	if (with_id)
		sqlite3_str_appendall(sql, " ORDER BY id");
	if ((s = sqlite3_str_finish(sql)) == NULL) {
		sql = NULL;
		db_seterr(im->db, "%s: out of memory", what);
		goto out;
	}
	sql = NULL;
	if (db_prepare(im->src, &c->sel, s, what) == -1) {
		src_fail(im, what);
		goto out;
	}
	sqlite3_free(s);
	sql = sqlite3_str_new(im->db->h);
	sqlite3_str_appendf(sql, "INSERT INTO %s (%s%s) VALUES (?1", table,
	    key, list);
	for (i = 0; i < c->ncol; i++)
		sqlite3_str_appendf(sql, ", ?%d", i + 2);
	sqlite3_str_appendall(sql, ")");
	if ((s = sqlite3_str_finish(sql)) == NULL) {
		sql = NULL;
		db_seterr(im->db, "%s: out of memory", what);
		goto out;
	}
	sql = NULL;
	if (db_prepare(im->db, &c->ins, s, what) == -1)
		goto out;
	ret = 0;
out:
	sqlite3_free(s);
	sqlite3_free(list);
	sqlite3_free(sqlite3_str_finish(cols));
	sqlite3_free(sqlite3_str_finish(sql));
	return (ret);
}

/* Copies c's rows of parent old_id under new_id, and for results their
 * children. */
static int
copy_rows(struct import *im, struct copy *c, int64_t old_id, int64_t new_id)
{
	char		 what[96];
	int64_t		 id;
	int		 i, j, rc, ret = -1;

	(void)snprintf(what, sizeof(what), "importing %s rows", c->table);
	if (sqlite3_bind_int64(c->sel, 1, old_id) != SQLITE_OK) {
		DB_FAIL(im->src, "%s: binding", what);
		src_fail(im, what);
		goto out;
	}
	while ((rc = sqlite3_step(c->sel)) == SQLITE_ROW) {
		if (sqlite3_bind_int64(c->ins, 1, new_id) != SQLITE_OK) {
			DB_FAIL(im->db, "%s: binding", what);
			goto out;
		}
		for (i = 0; i < c->ncol; i++)
			if (sqlite3_bind_value(c->ins, i + 2,
			    sqlite3_column_value(c->sel, i + 1)) != SQLITE_OK) {
				DB_FAIL(im->db, "%s: binding column %d", what,
				    i + 2);
				goto out;
			}
		if (sqlite3_step(c->ins) != SQLITE_DONE) {
			DB_FAIL(im->db, "%s: inserting", what);
			goto out;
		}
		if (sqlite3_reset(c->ins) != SQLITE_OK) {
			DB_FAIL(im->db, "%s: resetting", what);
			goto out;
		}
		if (!c->with_id)
			continue;
		id = sqlite3_last_insert_rowid(im->db->h);
		for (j = 0; j < NCHILD; j++)
			if (copy_rows(im, &im->child[j],
			    sqlite3_column_int64(c->sel, 0), id) == -1)
				goto out;
	}
	if (rc != SQLITE_DONE) {
		DB_FAIL(im->src, "%s", what);
		src_fail(im, what);
		goto out;
	}
	ret = 0;
out:
	/* Resetting clears a failed step's error state for the next run;
	 * the message was recorded above. */
	(void)sqlite3_reset(c->sel);
	(void)sqlite3_reset(c->ins);
	return (ret);
}

static int
prepare_runs(struct import *im)
{
	const char	*what = "importing: preparing the copy of runs";
	sqlite3_str	*cols = NULL, *sql = NULL;
	char		*s = NULL, *list = NULL;
	int		 i, ret = -1;

	cols = sqlite3_str_new(im->db->h);
	if (columns(im->db, "run", "id", "env_id", cols, &im->nrun) == -1)
		goto out;
	if ((list = sqlite3_str_finish(cols)) == NULL) {
		cols = NULL;
		db_seterr(im->db, "%s: out of memory", what);
		goto out;
	}
	cols = NULL;
	sql = sqlite3_str_new(im->db->h);
	sqlite3_str_appendf(sql, "SELECT run.id AS old_id, run.uuid AS "
	    "old_uuid, (SELECT json FROM environment AS e WHERE e.id = "
	    "run.env_id) AS env%s FROM run ORDER BY run.id", list);
	if ((s = sqlite3_str_finish(sql)) == NULL) {
		sql = NULL;
		db_seterr(im->db, "%s: out of memory", what);
		goto out;
	}
	sql = NULL;
	if (db_prepare(im->src, &im->runs, s, what) == -1) {
		src_fail(im, what);
		goto out;
	}
	sqlite3_free(s);
	/* list starts with ", ": after env_id it reads right. */
	sql = sqlite3_str_new(im->db->h);
	sqlite3_str_appendf(sql, "INSERT INTO run (env_id%s) VALUES (?1",
	    list);
	for (i = 0; i < im->nrun; i++)
		sqlite3_str_appendf(sql, ", ?%d", i + 2);
	sqlite3_str_appendall(sql, ")");
	if ((s = sqlite3_str_finish(sql)) == NULL) {
		sql = NULL;
		db_seterr(im->db, "%s: out of memory", what);
		goto out;
	}
	sql = NULL;
	if (db_prepare(im->db, &im->ins_run, s, what) == -1)
		goto out;
	if (db_prepare(im->db, &im->has, "SELECT 1 FROM run WHERE uuid = ?1",
	    what) == -1)
		goto out;
	ret = 0;
out:
	sqlite3_free(s);
	sqlite3_free(list);
	sqlite3_free(sqlite3_str_finish(cols));
	sqlite3_free(sqlite3_str_finish(sql));
	return (ret);
}

/* Builds "<pre><list><post>" and prepares it on d; list from columns(). */
static int
prepare_fmt(struct import *im, struct db *d, sqlite3_stmt **st,
    const char *pre, const char *list, const char *post, int nparam,
    int first)
{
	const char	*what = "importing: preparing the copy of profiles";
	sqlite3_str	*sql;
	char		*s;
	int		 i, ret;

	sql = sqlite3_str_new(im->db->h);
	sqlite3_str_appendf(sql, "%s%s%s", pre, list, post);
	for (i = 0; i < nparam; i++)
		sqlite3_str_appendf(sql, ", ?%d", first + i);
	if (nparam > 0)
		sqlite3_str_appendall(sql, ")");
	if ((s = sqlite3_str_finish(sql)) == NULL) {
		db_seterr(im->db, "%s: out of memory", what);
		return (-1);
	}
	ret = db_prepare(d, st, s, what);
	if (ret == -1 && d == im->src)
		src_fail(im, what);
	sqlite3_free(s);
	return (ret);
}

/*
 * The copies of profile_session (by run, id renumbered) and profile (by
 * session; result_id re-found from the point_idx of the result it named).
 */
static int
prepare_profiles(struct import *im)
{
	const char	*what = "importing: preparing the copy of profiles";
	sqlite3_str	*cols;
	char		*sl = NULL, *pl = NULL;
	int		 ret = -1;

	cols = sqlite3_str_new(im->db->h);
	if (columns(im->db, "profile_session", "id", "run_id", cols,
	    &im->nsess) == -1) {
		sqlite3_free(sqlite3_str_finish(cols));
		goto out;
	}
	if ((sl = sqlite3_str_finish(cols)) == NULL) {
		db_seterr(im->db, "%s: out of memory", what);
		goto out;
	}
	cols = sqlite3_str_new(im->db->h);
	if (columns(im->db, "profile", "session_id", "result_id", cols,
	    &im->nprof) == -1) {
		sqlite3_free(sqlite3_str_finish(cols));
		goto out;
	}
	if ((pl = sqlite3_str_finish(cols)) == NULL) {
		db_seterr(im->db, "%s: out of memory", what);
		goto out;
	}
	/* The lists start with ", ". */
	if (prepare_fmt(im, im->src, &im->sess_sel, "SELECT id", sl,
	    " FROM profile_session WHERE run_id = ?1 ORDER BY id", 0, 0) ==
	    -1 ||
	    prepare_fmt(im, im->db, &im->sess_ins, "INSERT INTO "
	    "profile_session (run_id", sl, ") VALUES (?1", im->nsess, 2) ==
	    -1 ||
	    prepare_fmt(im, im->src, &im->prof_sel, "SELECT (SELECT "
	    "point_idx FROM result AS r WHERE r.id = profile.result_id)", pl,
	    " FROM profile WHERE session_id = ?1", 0, 0) == -1 ||
	    prepare_fmt(im, im->db, &im->prof_ins, "INSERT INTO profile "
	    "(session_id, result_id", pl, ") VALUES (?1, (SELECT id FROM "
	    "result WHERE run_id = ?2 AND point_idx = ?3)", im->nprof, 4) ==
	    -1)
		goto out;
	ret = 0;
out:
	sqlite3_free(sl);
	sqlite3_free(pl);
	return (ret);
}

/* Copies statement sel's current row's columns from..from+n-1 into ins's
 * parameters at..at+n-1. */
static int
bind_row(struct import *im, sqlite3_stmt *ins, int at, sqlite3_stmt *sel,
    int from, int n, const char *what)
{
	int	i;

	for (i = 0; i < n; i++)
		if (sqlite3_bind_value(ins, at + i,
		    sqlite3_column_value(sel, from + i)) != SQLITE_OK) {
			DB_FAIL(im->db, "%s: binding column %d", what, at + i);
			return (-1);
		}
	return (0);
}

/* Copies run old_run's profile sessions and their rows under new_run
 * (whose results are already copied). */
static int
copy_profiles(struct import *im, int64_t old_run, int64_t new_run)
{
	const char	*what = "importing profile sessions";
	int64_t		 sid;
	int		 rc, rc2, ret = -1;

	if (sqlite3_bind_int64(im->sess_sel, 1, old_run) != SQLITE_OK) {
		DB_FAIL(im->src, "%s: binding", what);
		src_fail(im, what);
		goto out;
	}
	while ((rc = sqlite3_step(im->sess_sel)) == SQLITE_ROW) {
		if (sqlite3_bind_int64(im->sess_ins, 1, new_run) != SQLITE_OK) {
			DB_FAIL(im->db, "%s: binding", what);
			goto out;
		}
		if (bind_row(im, im->sess_ins, 2, im->sess_sel, 1, im->nsess,
		    what) == -1)
			goto out;
		if (sqlite3_step(im->sess_ins) != SQLITE_DONE) {
			DB_FAIL(im->db, "%s: inserting", what);
			goto out;
		}
		(void)sqlite3_reset(im->sess_ins);
		sid = sqlite3_last_insert_rowid(im->db->h);
		if (sqlite3_bind_int64(im->prof_sel, 1, sqlite3_column_int64(
		    im->sess_sel, 0)) != SQLITE_OK) {
			DB_FAIL(im->src, "%s: binding", what);
			src_fail(im, what);
			goto out;
		}
		while ((rc2 = sqlite3_step(im->prof_sel)) == SQLITE_ROW) {
			if (sqlite3_bind_int64(im->prof_ins, 1, sid) !=
			    SQLITE_OK || sqlite3_bind_int64(im->prof_ins, 2,
			    new_run) != SQLITE_OK || sqlite3_bind_value(
			    im->prof_ins, 3, sqlite3_column_value(im->prof_sel,
			    0)) != SQLITE_OK) {
				DB_FAIL(im->db, "%s: binding", what);
				goto out;
			}
			if (bind_row(im, im->prof_ins, 4, im->prof_sel, 1,
			    im->nprof, what) == -1)
				goto out;
			if (sqlite3_step(im->prof_ins) != SQLITE_DONE) {
				DB_FAIL(im->db, "%s: inserting a profile row",
				    what);
				goto out;
			}
			(void)sqlite3_reset(im->prof_ins);
		}
		if (rc2 != SQLITE_DONE) {
			DB_FAIL(im->src, "%s: reading profile rows", what);
			src_fail(im, what);
			goto out;
		}
		(void)sqlite3_reset(im->prof_sel);
	}
	if (rc != SQLITE_DONE) {
		DB_FAIL(im->src, "%s", what);
		src_fail(im, what);
		goto out;
	}
	ret = 0;
out:
	(void)sqlite3_reset(im->sess_sel);
	(void)sqlite3_reset(im->sess_ins);
	(void)sqlite3_reset(im->prof_sel);
	(void)sqlite3_reset(im->prof_ins);
	return (ret);
}

/* Copies the run im->runs is on: its environment, the run, its results
 * and its profile sessions. */
static int
copy_run(struct import *im)
{
	const char	*what = "importing a run";
	sqlite3_stmt	*r = im->runs;
	int64_t		 env, id;
	int		 i, ret = -1;

	if (db_env_id(im->db, (const char *)sqlite3_column_text(r, 2), &env)
	    == -1)
		goto out;
	if ((env != 0 ? sqlite3_bind_int64(im->ins_run, 1, env) :
	    sqlite3_bind_null(im->ins_run, 1)) != SQLITE_OK) {
		DB_FAIL(im->db, "%s: binding", what);
		goto out;
	}
	for (i = 0; i < im->nrun; i++)
		if (sqlite3_bind_value(im->ins_run, i + 2,
		    sqlite3_column_value(r, i + 3)) != SQLITE_OK) {
			DB_FAIL(im->db, "%s: binding column %d", what, i + 2);
			goto out;
		}
	if (sqlite3_step(im->ins_run) != SQLITE_DONE) {
		DB_FAIL(im->db, "%s: inserting run %s", what,
		    (const char *)sqlite3_column_text(r, 1));
		goto out;
	}
	id = sqlite3_last_insert_rowid(im->db->h);
	if (copy_rows(im, &im->result, sqlite3_column_int64(r, 0), id) == -1 ||
	    copy_profiles(im, sqlite3_column_int64(r, 0), id) == -1)
		goto out;
	ret = 0;
out:
	(void)sqlite3_reset(im->ins_run);
	return (ret);
}

int
db_import(struct db *db, const char *other_path, int *imported,
    int *skipped)
{
	static const char *const	 children[NCHILD] = { "sample",
	    "phase", "loss_curve", "launch_info", "scaler", "comm", "kernel" };
	const char			*what = "importing runs";
	struct import			 im;
	char				 err[DB_ERRLEN];
	int				 i, nimp = 0, nskip = 0, rc, ret = -1;
	int				 txn = 0;

	memset(&im, 0, sizeof(im));
	im.db = db;
	if (imported != NULL)
		*imported = 0;
	if (skipped != NULL)
		*skipped = 0;
	if (other_path == NULL || *other_path == '\0') {
		db_seterr(db, "%s: no database path given", what);
		ret = DB_BADSOURCE;
		goto out;
	}
	if ((ret = check_source(db, other_path)) != 0)
		goto out;
	ret = -1;
	if (db_open(&im.src, other_path, DB_OPEN_READONLY, err, sizeof(err))
	    == -1) {
		db_seterr(db, "cannot import: %s", err);
		ret = DB_BADSOURCE;
		goto out;
	}
	/* One snapshot of the other file for the whole import. */
	if (db_exec(im.src, "BEGIN", what) == -1) {
		src_fail(&im, what);
		goto out;
	}
	if (db_begin(db, what) == -1)
		goto out;
	txn = 1;
	if (prepare_runs(&im) == -1 ||
	    copy_prepare(&im, &im.result, "result", "run_id", 1) == -1)
		goto out;
	for (i = 0; i < NCHILD; i++)
		if (copy_prepare(&im, &im.child[i], children[i], "result_id",
		    0) == -1)
			goto out;
	if (prepare_profiles(&im) == -1)
		goto out;
	while ((rc = sqlite3_step(im.runs)) == SQLITE_ROW) {
		if (db_bind_text(im.has, 1,
		    (const char *)sqlite3_column_text(im.runs, 1)) !=
		    SQLITE_OK) {
			DB_FAIL(db, "%s: binding the uuid", what);
			goto out;
		}
		rc = sqlite3_step(im.has);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
			DB_FAIL(db, "%s: looking up a uuid", what);
			goto out;
		}
		if (sqlite3_reset(im.has) != SQLITE_OK) {
			DB_FAIL(db, "%s: resetting", what);
			goto out;
		}
		if (rc == SQLITE_ROW) {
			nskip++;
			continue;
		}
		if (copy_run(&im) == -1)
			goto out;
		nimp++;
	}
	if (rc != SQLITE_DONE) {
		DB_FAIL(im.src, "%s: listing runs", what);
		src_fail(&im, what);
		goto out;
	}
	/* Finalize before COMMIT: no statement of ours may still be
	 * reading. */
	sqlite3_finalize(im.has);
	im.has = NULL;
	sqlite3_finalize(im.ins_run);
	im.ins_run = NULL;
	sqlite3_finalize(im.result.ins);
	im.result.ins = NULL;
	for (i = 0; i < NCHILD; i++) {
		sqlite3_finalize(im.child[i].ins);
		im.child[i].ins = NULL;
	}
	sqlite3_finalize(im.sess_ins);
	im.sess_ins = NULL;
	sqlite3_finalize(im.prof_ins);
	im.prof_ins = NULL;
	if (db_commit(db, what) == -1)
		goto out;
	txn = 0;
	if (imported != NULL)
		*imported = nimp;
	if (skipped != NULL)
		*skipped = nskip;
	ret = 0;
out:
	sqlite3_finalize(im.runs);
	sqlite3_finalize(im.has);
	sqlite3_finalize(im.ins_run);
	sqlite3_finalize(im.result.sel);
	sqlite3_finalize(im.result.ins);
	for (i = 0; i < NCHILD; i++) {
		sqlite3_finalize(im.child[i].sel);
		sqlite3_finalize(im.child[i].ins);
	}
	sqlite3_finalize(im.sess_sel);
	sqlite3_finalize(im.sess_ins);
	sqlite3_finalize(im.prof_sel);
	sqlite3_finalize(im.prof_ins);
	if (txn)
		db_rollback(db);
	if (im.src != NULL) {
		db_rollback(im.src);
		db_close(im.src);
	}
	return (ret);
}
