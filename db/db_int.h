/*
 * db/db_int.h — internals shared by the db/ sources: the connection struct,
 * error reporting, transactions and small binding/copy helpers.  Nothing
 * outside db/ includes this file; db.h stays free of SQLite types.
 */
#ifndef SB_DB_INT_H
#define SB_DB_INT_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "db.h"
#include "query.h"

/* Long enough for two full paths plus SQLite's message and a hint. */
#define DB_ERRLEN	8192

/* The UTC timestamp every row carries: ISO-8601 with milliseconds. */
#define DB_NOW_SQL	"strftime('%Y-%m-%dT%H:%M:%fZ','now')"

struct db {
	sqlite3			*h;
	char			*path;
	enum db_open_mode	 mode;
	int			 schema;	/* user_version after migration */
	char			 err[DB_ERRLEN];
};

/*
 * db_fail() records "<what>: <sqlite3_errmsg> [file:line]; <hint>" where the
 * hint follows from the connection's last error code.  Call it right after
 * the failing SQLite call, before anything (a ROLLBACK) replaces the error.
 * db_seterr() records a message of the caller's own.
 */
#define DB_FAIL(db, ...)	db_fail((db), __FILE__, __LINE__, __VA_ARGS__)

void	db_fail(struct db *, const char *, int, const char *, ...)
	    __attribute__((format(printf, 4, 5)));
void	db_seterr(struct db *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

/* Prepares sql; on failure records what failed and returns -1. */
int	db_prepare(struct db *, sqlite3_stmt **, const char *, const char *);
/* Runs SQL without results (may hold several statements). */
int	db_exec(struct db *, const char *, const char *);
/* Reads a single integer (PRAGMA value, count); -1 on error. */
int	db_query_int(struct db *, const char *, const char *, int64_t *);

/* BEGIN IMMEDIATE / COMMIT; db_rollback never touches the error message. */
int	db_begin(struct db *, const char *);
int	db_commit(struct db *, const char *);
void	db_rollback(struct db *);

/* Binds that map C "absent" values to NULL: NULL strings, non-finite
 * doubles.  They return the sqlite3_bind_* result code. */
int	db_bind_text(sqlite3_stmt *, int, const char *);
int	db_bind_real(sqlite3_stmt *, int, double);

/* Copies a column's text into a fixed buffer ("" for NULL), cutting at a
 * UTF-8 character boundary when it does not fit. */
void	db_copy_col(char *, size_t, sqlite3_stmt *, int);

/* 0 if run_id exists; -1 with "no run with id N in PATH" otherwise. */
int	db_run_check(struct db *, int64_t, const char *);

/* run.c: inside the caller's transaction, the id of the environment row
 * holding json (deduplicated by its hash), inserting it if new; *id = 0
 * for a NULL json (stored as NULL). */
int	db_env_id(struct db *, const char *, int64_t *);

/*
 * table.c: a statement's rows as JSON or CSV text (see table.c for the
 * formats).  A growable buffer: appends that run out of memory set nomem
 * and are dropped, so callers check it once at the end.
 */
struct db_buf {
	char	*s;		/* NUL-terminated once anything was added */
	size_t	 len;
	size_t	 cap;
	int	 nomem;
};

void	db_buf_add(struct db_buf *, const char *, size_t);
void	db_buf_free(struct db_buf *);
/* The shortest %g (15, 16 or 17 digits) that reads back as v. */
void	db_fmt_real(double, char *, size_t);
/* "[" for JSON; the header row (column names) for CSV. */
void	db_tab_begin(struct db_buf *, sqlite3_stmt *, enum db_fmt);
/* The statement's current row; nrow counts the rows written before it
 * (JSON puts a comma before every row but the first). */
void	db_tab_row(struct db_buf *, sqlite3_stmt *, enum db_fmt, int64_t);
/* "]\n" for JSON; nothing for CSV. */
void	db_tab_end(struct db_buf *, enum db_fmt);

/* schema.c: brings the schema up to DB_SCHEMA_VERSION. */
int	db_migrate(struct db *);

#endif
