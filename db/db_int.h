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

/* schema.c: brings the schema up to DB_SCHEMA_VERSION. */
int	db_migrate(struct db *);

#endif
