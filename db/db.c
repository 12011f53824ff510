/*
 * db/db.c — opening and closing the results file, error messages, the
 * helpers every db/ source shares (prepare, transactions, binds), and
 * marking runs whose process died as aborted.
 *
 * db_open() is careful: it validates everything it can before it changes
 * anything, and if it created the file itself it removes it again when a
 * later step fails, so a failed open leaves the disk as it found it.
 */
#define _POSIX_C_SOURCE 200809L	/* strdup, strndup, O_CLOEXEC */

#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db_int.h"

/* STRICT tables appeared in SQLite 3.37.0. */
#define DB_MIN_SQLITE	3037000

static void		 set_openerr(char *, size_t, const char *, ...)
			    __attribute__((format(printf, 3, 4)));
static const char	*hint(struct db *, int);
static const char	*base_name(const char *);
static int		 check_dir(const char *, char *, size_t);
static int		 create_file(const char *, int *, char *, size_t);
static int		 validate(struct db *);
static int		 setup_writer(struct db *);
static void		 remove_files(const char *);

const char *
db_sqlite_version(void)
{
	return (sqlite3_libversion());
}

const char *
db_errmsg(struct db *db)
{
	if (db == NULL)
		return ("no database handle (db_open failed or was not called)");
	return (db->err);
}

int
db_schema_version(struct db *db)
{
	return (db->schema);
}

/* __FILE__ is absolute under CMake; the file name alone is enough. */
static const char *
base_name(const char *file)
{
	const char	*s;

	s = strrchr(file, '/');
	return (s != NULL ? s + 1 : file);
}

/* What the user can do about an error, by SQLite's primary result code. */
static const char *
hint(struct db *db, int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return ("another process is writing to the database; "
		    "retry when it has finished");
	case SQLITE_READONLY:
		if (db->mode == DB_OPEN_READONLY)
			return ("this command opened the database read-only");
		return ("the file or its directory is read-only; "
		    "fix the permissions or choose another --db");
	case SQLITE_FULL:
		return ("the disk is full; free space and retry");
	case SQLITE_IOERR:
		return ("an I/O error occurred; check the disk, and note that "
		    "the database must live on a local filesystem");
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return ("the file is damaged; restore it from a backup or "
		    "start a new database with another --db");
	case SQLITE_CANTOPEN:
		return ("check that the file and its directory exist and are "
		    "accessible");
	case SQLITE_NOMEM:
		return ("out of memory");
	default:
		return ("this looks like a bug in stepbench; please report it "
		    "with this message");
	}
}

void
db_fail(struct db *db, const char *file, int line, const char *fmt, ...)
{
	va_list	 ap;
	size_t	 n;
	int	 rc;

	rc = sqlite3_extended_errcode(db->h);
	va_start(ap, fmt);
	vsnprintf(db->err, sizeof(db->err), fmt, ap);
	va_end(ap);
	n = strlen(db->err);
	snprintf(db->err + n, sizeof(db->err) - n, " in '%s': %s [%s:%d]; %s",
	    db->path, sqlite3_errmsg(db->h), base_name(file), line,
	    hint(db, rc));
}

void
db_seterr(struct db *db, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(db->err, sizeof(db->err), fmt, ap);
	va_end(ap);
}

int
db_prepare(struct db *db, sqlite3_stmt **st, const char *sql,
    const char *what)
{
	*st = NULL;
	if (sqlite3_prepare_v3(db->h, sql, -1, 0, st, NULL) != SQLITE_OK) {
		DB_FAIL(db, "%s: preparing SQL", what);
		return (-1);
	}
	return (0);
}

int
db_exec(struct db *db, const char *sql, const char *what)
{
	if (sqlite3_exec(db->h, sql, NULL, NULL, NULL) != SQLITE_OK) {
		DB_FAIL(db, "%s", what);
		return (-1);
	}
	return (0);
}

int
db_query_int(struct db *db, const char *sql, const char *what, int64_t *out)
{
	sqlite3_stmt	*st = NULL;
	int		 ret = -1;

	if (db_prepare(db, &st, sql, what) == -1)
		goto out;
	if (sqlite3_step(st) != SQLITE_ROW) {
		DB_FAIL(db, "%s", what);
		goto out;
	}
	*out = sqlite3_column_int64(st, 0);
	ret = 0;
out:
	sqlite3_finalize(st);
	return (ret);
}

int
db_begin(struct db *db, const char *what)
{
	if (sqlite3_exec(db->h, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		DB_FAIL(db, "%s: starting a write transaction", what);
		return (-1);
	}
	return (0);
}

int
db_commit(struct db *db, const char *what)
{
	if (sqlite3_exec(db->h, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		DB_FAIL(db, "%s: committing", what);
		return (-1);
	}
	return (0);
}

/* A failed ROLLBACK means there was no transaction left to undo: SQLite
 * already rolled back (e.g. on SQLITE_FULL), so nothing else to do. */
void
db_rollback(struct db *db)
{
	if (!sqlite3_get_autocommit(db->h))
		(void)sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
}

int
db_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL)
		return (sqlite3_bind_null(st, i));
	return (sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT));
}

/* NaN means "not measured"; ±Inf is stored as NULL too, because a figure
 * that overflowed is not a measurement and JSON cannot carry it. */
int
db_bind_real(sqlite3_stmt *st, int i, double v)
{
	if (!isfinite(v))
		return (sqlite3_bind_null(st, i));
	return (sqlite3_bind_double(st, i, v));
}

void
db_copy_col(char *dst, size_t size, sqlite3_stmt *st, int col)
{
	const unsigned char	*s;
	size_t			 n;

	if (size == 0)
		return;
	s = sqlite3_column_text(st, col);
	n = s != NULL ? (size_t)sqlite3_column_bytes(st, col) : 0;
	if (n >= size) {
		/* Back off to the lead byte of a character that straddles
		 * the cut so the copy stays valid UTF-8. */
		n = size - 1;
		while (n > 0 && (s[n] & 0xc0) == 0x80)
			n--;
	}
	if (n > 0)
		memcpy(dst, s, n);
	dst[n] = '\0';
}

int
db_run_check(struct db *db, int64_t run_id, const char *what)
{
	sqlite3_stmt	*st = NULL;
	int		 ret = -1, rc;

	if (db_prepare(db, &st, "SELECT 1 FROM run WHERE id = ?1", what) == -1)
		goto out;
	if (sqlite3_bind_int64(st, 1, run_id) != SQLITE_OK) {
		DB_FAIL(db, "%s: binding the run id", what);
		goto out;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		db_seterr(db, "%s: no run with id %lld in '%s'; "
		    "'stepbench runs' lists them", what, (long long)run_id,
		    db->path);
		goto out;
	}
	if (rc != SQLITE_ROW) {
		DB_FAIL(db, "%s: looking up run %lld", what,
		    (long long)run_id);
		goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(st);
	return (ret);
}

/* --- opening ------------------------------------------------------------ */

static void
set_openerr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* The directory that will hold a new database must exist and be writable
 * (SQLite also creates -wal and -shm files beside it). */
static int
check_dir(const char *path, char *err, size_t errlen)
{
	struct stat	 sb;
	char		*dir = NULL;
	const char	*slash;
	int		 ret = -1;

	slash = strrchr(path, '/');
	if (slash == NULL)
		dir = strdup(".");
	else if (slash == path)
		dir = strdup("/");
	else
		dir = strndup(path, (size_t)(slash - path));
	if (dir == NULL) {
		set_openerr(err, errlen, "--db '%s': out of memory", path);
		goto out;
	}
	if (stat(dir, &sb) == -1) {
		if (errno == ENOENT)
			set_openerr(err, errlen, "--db: directory '%s' does "
			    "not exist; create it or choose another path",
			    dir);
		else
			set_openerr(err, errlen, "--db: cannot reach "
			    "directory '%s': %s; choose another path", dir,
			    strerror(errno));
		goto out;
	}
	if (!S_ISDIR(sb.st_mode)) {
		set_openerr(err, errlen, "--db: '%s' is not a directory; "
		    "choose another path", dir);
		goto out;
	}
	if (access(dir, W_OK | X_OK) == -1) {
		set_openerr(err, errlen, "--db: directory '%s' is not "
		    "writable (%s); fix its permissions or choose another "
		    "path", dir, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	free(dir);
	return (ret);
}

/*
 * Creates path with O_EXCL so that we know the file is ours to remove if a
 * later step fails.  *created = 0 when another process created it first;
 * then it is validated like any existing file.
 */
static int
create_file(const char *path, int *created, char *err, size_t errlen)
{
	int	fd, ret = -1;

	*created = 0;
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd == -1) {
		if (errno == EEXIST)
			ret = 0;
		else
			set_openerr(err, errlen, "--db: cannot create '%s': "
			    "%s; fix the directory's permissions or choose "
			    "another path", path, strerror(errno));
		goto out;
	}
	(void)close(fd);
	*created = 1;
	ret = 0;
out:
	return (ret);
}

static void
remove_files(const char *path)
{
	static const char *const	 sfx[] = { "-wal", "-shm", "-journal" };
	char				 buf[4096 + 16];
	size_t				 i;

	for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		if ((size_t)snprintf(buf, sizeof(buf), "%s%s", path, sfx[i]) <
		    sizeof(buf))
			(void)unlink(buf);
	}
	(void)unlink(path);
}

/*
 * Reads the header fields without writing anything: the first read of a
 * file that is not SQLite fails here with SQLITE_NOTADB.
 */
static int
validate(struct db *db)
{
	int64_t	appid, ver, nobj;
	int	ret = -1, rc, txn = 0;

	/* One read transaction: another process initialising the same new
	 * file must not be seen half-way (its tables without its id). */
	if (db_exec(db, "BEGIN", "starting to read the header") == -1)
		goto out;
	txn = 1;
	if (db_query_int(db, "PRAGMA application_id", "reading the "
	    "application id", &appid) == -1) {
		rc = sqlite3_errcode(db->h);
		if (rc == SQLITE_NOTADB)
			db_seterr(db, "'%s' is not a SQLite database (is it "
			    "the file you meant?)", db->path);
		goto out;
	}
	if (db_query_int(db, "PRAGMA user_version", "reading the schema "
	    "version", &ver) == -1)
		goto out;
	if (db_query_int(db, "SELECT count(*) FROM sqlite_schema",
	    "counting schema objects", &nobj) == -1)
		goto out;
	/* An empty file (0 objects, no id) is ours to initialise; one that
	 * carries another application's id is not, even without tables. */
	if (appid != DB_APPLICATION_ID && (nobj > 0 || appid != 0)) {
		db_seterr(db, "'%s' is a SQLite database but not a stepbench "
		    "database (application_id 0x%08llx); refusing to touch it",
		    db->path, (unsigned long long)(uint32_t)appid);
		goto out;
	}
	if (ver > DB_SCHEMA_VERSION) {
		db_seterr(db, "'%s' has schema v%lld, newer than this "
		    "stepbench (knows up to v%d); use a newer stepbench build",
		    db->path, (long long)ver, DB_SCHEMA_VERSION);
		goto out;
	}
	if (db->mode == DB_OPEN_READONLY && ver < DB_SCHEMA_VERSION) {
		db_seterr(db, "'%s' has schema v%lld, older than this "
		    "stepbench's v%d, and this command only reads; run a "
		    "writing command once (e.g. 'stepbench sweep --db %s') "
		    "to upgrade it", db->path, (long long)ver,
		    DB_SCHEMA_VERSION, db->path);
		goto out;
	}
	db->schema = (int)ver;
	ret = 0;
out:
	if (txn)
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
	return (ret);
}

/*
 * Connection settings, then the migration, then WAL.  WAL comes last so
 * that a failed migration leaves an existing file's journal mode alone.
 */
static int
setup_writer(struct db *db)
{
	sqlite3_stmt	*st = NULL;
	const char	*jm;
	int		 ret = -1;

	if (sqlite3_db_readonly(db->h, "main") == 1) {
		db_seterr(db, "'%s' is not writable by this user; fix its "
		    "permissions or use a command that only reads", db->path);
		goto out;
	}
	if (db_exec(db, "PRAGMA foreign_keys = ON", "enabling foreign keys")
	    == -1)
		goto out;
	if (db_exec(db, "PRAGMA synchronous = NORMAL", "setting "
	    "synchronous=NORMAL") == -1)
		goto out;
	if (db_migrate(db) == -1)
		goto out;
	if (db_prepare(db, &st, "PRAGMA journal_mode = WAL",
	    "switching to WAL") == -1)
		goto out;
	if (sqlite3_step(st) != SQLITE_ROW) {
		DB_FAIL(db, "switching to WAL journal mode (WAL needs a local "
		    "filesystem, not NFS/SMB)");
		goto out;
	}
	jm = (const char *)sqlite3_column_text(st, 0);
	if (jm == NULL || strcmp(jm, "wal") != 0) {
		db_seterr(db, "'%s' could not be switched to WAL journal mode "
		    "(it stayed '%s'); WAL needs a local filesystem with "
		    "shared-memory support (not NFS/SMB): put the database "
		    "on a local disk", db->path, jm != NULL ? jm : "?");
		goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(st);
	return (ret);
}

int
db_open(struct db **out, const char *path, enum db_open_mode mode,
    char *err, size_t errlen)
{
	struct db	*db = NULL;
	struct stat	 sb;
	int		 flags, created = 0, exists, ret = -1;

	*out = NULL;
	set_openerr(err, errlen, "%s", "");
	if (path == NULL || *path == '\0') {
		set_openerr(err, errlen, "--db: no database path given");
		goto out;
	}
	if (sqlite3_libversion_number() < DB_MIN_SQLITE) {
		set_openerr(err, errlen, "SQLite %s is too old: stepbench "
		    "needs 3.37 or newer (STRICT tables); install a newer "
		    "libsqlite3", sqlite3_libversion());
		goto out;
	}

	/* (1) Modes that need an existing file never create one. */
	exists = stat(path, &sb) == 0;
	if (!exists && errno != ENOENT) {
		set_openerr(err, errlen, "--db: cannot reach '%s': %s; check "
		    "the path", path, strerror(errno));
		goto out;
	}
	if (exists && S_ISDIR(sb.st_mode)) {
		set_openerr(err, errlen, "--db: '%s' is a directory; give the "
		    "path of a database file inside it", path);
		goto out;
	}
	if (!exists && mode != DB_OPEN_WRITE) {
		set_openerr(err, errlen, "no database at '%s'; run "
		    "'stepbench sweep --db %s' first", path, path);
		goto out;
	}

	/* (2) A new file: its directory must exist and be writable. */
	if (!exists) {
		if (check_dir(path, err, errlen) == -1)
			goto out;
		if (create_file(path, &created, err, errlen) == -1)
			goto out;
	}

	if ((db = calloc(1, sizeof(*db))) == NULL ||
	    (db->path = strdup(path)) == NULL) {
		set_openerr(err, errlen, "--db '%s': out of memory", path);
		goto out;
	}
	db->mode = mode;

	/* (3) Open without CREATE: the file exists by now, and if it
	 * vanished meanwhile we would rather fail than make a new one. */
	flags = SQLITE_OPEN_EXRESCODE;
	flags |= mode == DB_OPEN_READONLY ? SQLITE_OPEN_READONLY :
	    SQLITE_OPEN_READWRITE;
	if (sqlite3_open_v2(path, &db->h, flags, NULL) != SQLITE_OK) {
		if (db->h == NULL)
			db_seterr(db, "--db '%s': out of memory", path);
		else
			DB_FAIL(db, "opening the database");
		goto fail;
	}
	if (sqlite3_busy_timeout(db->h, 5000) != SQLITE_OK) {
		DB_FAIL(db, "setting the busy timeout");
		goto fail;
	}

	/* (4) Is this a stepbench database we understand? */
	if (validate(db) == -1)
		goto fail;

	if (mode == DB_OPEN_READONLY) {
		if (db_exec(db, "PRAGMA query_only = 1", "making the "
		    "connection read-only") == -1)
			goto fail;
	} else if (setup_writer(db) == -1)
		goto fail;

	*out = db;
	db = NULL;
	ret = 0;
	goto out;
fail:
	set_openerr(err, errlen, "%s", db->err);
out:
	db_close(db);
	if (ret == -1 && created)
		remove_files(path);
	return (ret);
}

void
db_close(struct db *db)
{
	if (db == NULL)
		return;
	/* Every statement is finalized by the function that prepared it,
	 * so sqlite3_close cannot fail with SQLITE_BUSY here. */
	(void)sqlite3_close(db->h);
	free(db->path);
	free(db);
}

/* --- stale runs ----------------------------------------------------------- */

struct stale {
	int64_t	id, pid, pid_start;
};

int
db_mark_stale_runs(struct db *db, const char *host,
    int (*alive)(int64_t, int64_t), int *count)
{
	const char		*what = "marking dead runs as aborted";
	sqlite3_stmt		*sel = NULL, *upd = NULL;
	struct stale		*v = NULL, *nv;
	size_t			 n = 0, cap = 0, i;
	int			 marked = 0, ret = -1, rc;

	if (count != NULL)
		*count = 0;
	if (alive == NULL) {
		db_seterr(db, "%s: no alive() callback; this is a bug in the "
		    "caller", what);
		goto out;
	}
	if (db_begin(db, what) == -1)
		goto out;
	if (db_prepare(db, &sel, "SELECT id, pid, pid_start FROM run "
	    "WHERE status = 'running' AND host IS ?1", what) == -1)
		goto out;
	if (db_bind_text(sel, 1, host) != SQLITE_OK) {
		DB_FAIL(db, "%s: binding the host", what);
		goto out;
	}
	/* Collect first, update after: alive() is the caller's code and the
	 * update must not race the scan it would otherwise run inside. */
	while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL) {
				db_seterr(db, "%s: out of memory", what);
				goto out;
			}
			v = nv;
		}
		v[n].id = sqlite3_column_int64(sel, 0);
		v[n].pid = sqlite3_column_int64(sel, 1);
		v[n].pid_start = sqlite3_column_int64(sel, 2);
		n++;
	}
	if (rc != SQLITE_DONE) {
		DB_FAIL(db, "%s: listing running runs", what);
		goto out;
	}
	if (db_prepare(db, &upd, "UPDATE run SET status = 'aborted', "
	    "ended_at = " DB_NOW_SQL " WHERE id = ?1", what) == -1)
		goto out;
	for (i = 0; i < n; i++) {
		if (alive(v[i].pid, v[i].pid_start))
			continue;
		if (sqlite3_bind_int64(upd, 1, v[i].id) != SQLITE_OK ||
		    sqlite3_step(upd) != SQLITE_DONE) {
			DB_FAIL(db, "%s: updating run %lld", what,
			    (long long)v[i].id);
			goto out;
		}
		if (sqlite3_reset(upd) != SQLITE_OK) {
			DB_FAIL(db, "%s: resetting the update", what);
			goto out;
		}
		marked++;
	}
	sqlite3_finalize(sel);
	sel = NULL;
	sqlite3_finalize(upd);
	upd = NULL;
	if (db_commit(db, what) == -1)
		goto out;
	if (count != NULL)
		*count = marked;
	ret = 0;
out:
	sqlite3_finalize(sel);
	sqlite3_finalize(upd);
	if (ret == -1)
		db_rollback(db);
	free(v);
	return (ret);
}
