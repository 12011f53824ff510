/*
 * tests/dbtest.h — helpers shared by the results-store tests (test_db.c,
 * test_db_query.c, test_db_v6.c, test_nsys_import.c): reading a file's
 * bytes to prove it unchanged, looking into a database through a separate
 * SQLite connection (independent of db/'s own readers), loading SQL
 * fixtures, checking JSON with SQLite's parser, a strict CSV reader, and
 * the nftw callback that removes the temporary directory.  Everything is
 * static inline, so a test that leaves a helper unused still builds with
 * -Werror.  Include after defining _XOPEN_SOURCE 700 (nftw).
 */
#ifndef SB_TESTS_DBTEST_H
#define SB_TESTS_DBTEST_H

#include <sys/stat.h>

#include <errno.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#define MAXR	64
#define MAXC	96	/* the result table has 76 columns at schema v6 */

/* A parsed CSV: f[row][col], row 0 is the header; fields are malloc'ed. */
struct csv {
	int	 nrows;
	int	 ncols[MAXR];
	char	*f[MAXR][MAXC];
	int	 crlf;		/* every record ended with CRLF */
};

/* A file's bytes; ok is 1 when read, 2 when the file is absent, else 0. */
struct blob {
	char	*data;
	size_t	 len;
	int	 ok;
};

static inline struct blob
slurp(const char *path)
{
	struct blob	 b = { NULL, 0, 0 };
	FILE		*f;
	long		 n;

	if ((f = fopen(path, "rb")) == NULL) {
		/* A missing file is a state too: "absent". */
		b.ok = errno == ENOENT ? 2 : 0;
		return (b);
	}
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 &&
	    (b.data = malloc((size_t)n + 1)) != NULL &&
	    fread(b.data, 1, (size_t)n, f) == (size_t)n) {
		b.len = (size_t)n;
		b.ok = 1;
	}
	fclose(f);
	return (b);
}

/* The file has exactly the bytes of b (which is freed), or was absent
 * and still is. */
static inline int
same(const char *path, struct blob b)
{
	struct blob	now;
	int		eq;

	now = slurp(path);
	eq = b.ok != 0 && b.ok == now.ok && b.len == now.len &&
	    (b.len == 0 || memcmp(b.data, now.data, b.len) == 0);
	free(b.data);
	free(now.data);
	return (eq);
}

/* First column of the first row, through a separate connection;
 * INT64_MIN (and a line on stderr) on error. */
static inline int64_t
raw_int(const char *path, const char *sql)
{
	sqlite3		*h = NULL;
	sqlite3_stmt	*st = NULL;
	int64_t		 v = INT64_MIN;

	if (sqlite3_open_v2(path, &h, SQLITE_OPEN_READWRITE, NULL) ==
	    SQLITE_OK && sqlite3_prepare_v2(h, sql, -1, &st, NULL) ==
	    SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	else
		fprintf(stderr, "raw_int(%s): %s\n", sql, sqlite3_errmsg(h));
	sqlite3_finalize(st);
	sqlite3_close(h);
	return (v);
}

/* Returns SQLite's extended result code of running sql through a separate
 * connection (creating the file if need be); says why on stderr when it
 * is not SQLITE_OK, which for a statement meant to be refused is just the
 * reason it was. */
static inline int
raw_exec(const char *path, const char *sql)
{
	sqlite3	*h = NULL;
	int	 rc;

	rc = sqlite3_open_v2(path, &h, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_extended_result_codes(h, 1);
		rc = sqlite3_exec(h, sql, NULL, NULL, NULL);
		if (rc != SQLITE_OK)
			fprintf(stderr, "raw_exec: %s\n", sqlite3_errmsg(h));
	}
	sqlite3_close(h);
	return (rc);
}

/* Runs the SQL text of file (a fixture) into the database at path,
 * creating it; 0 or -1 (and a line on stderr). */
static inline int
load_sql(const char *file, const char *path)
{
	struct blob	b;
	int		rc;

	b = slurp(file);
	if (b.ok != 1) {
		fprintf(stderr, "cannot read %s\n", file);
		free(b.data);
		return (-1);
	}
	b.data[b.len] = '\0';
	rc = raw_exec(path, b.data);
	free(b.data);
	return (rc == SQLITE_OK ? 0 : -1);
}

/* Evaluates expr with ?1 = json in an in-memory database: the JSON
 * checks use SQLite's parser, not db/'s writer.  "(null)" for SQL NULL,
 * "(error)" on error; the result lives until the next call. */
static inline const char *
jx(const char *json, const char *expr)
{
	static char	 buf[8192];
	sqlite3		*h = NULL;
	sqlite3_stmt	*st = NULL;
	char		 sql[1024];
	const char	*s;

	snprintf(buf, sizeof(buf), "(error)");
	snprintf(sql, sizeof(sql), "SELECT %s", expr);
	if (json != NULL &&
	    sqlite3_open(":memory:", &h) == SQLITE_OK &&
	    sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_bind_text(st, 1, json, -1, SQLITE_STATIC) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW) {
		s = (const char *)sqlite3_column_text(st, 0);
		snprintf(buf, sizeof(buf), "%s", s != NULL ? s : "(null)");
	} else if (h != NULL)
		fprintf(stderr, "jx(%s): %s\n", expr, sqlite3_errmsg(h));
	sqlite3_finalize(st);
	sqlite3_close(h);
	return (buf);
}

/* An RFC 4180 reader, strict enough to notice bad quoting: a quote inside
 * an unquoted field, junk after a closing quote or an unclosed quote is
 * -1.  crlf stays set only if every record, the last included, ended with
 * CRLF.  Reads at most MAXR records; csv_free() even after -1. */
static inline int
csv_parse(const char *s, struct csv *c)
{
	char	*fld;
	size_t	 n;
	int	 r = 0, col = 0, quoted;

	memset(c, 0, sizeof(*c));
	c->crlf = 1;
	while (*s != '\0' && r < MAXR) {
		if ((fld = malloc(strlen(s) + 1)) == NULL)
			return (-1);
		n = 0;
		quoted = *s == '"';
		if (quoted) {
			for (s++; ; s++) {
				if (*s == '\0') {
					free(fld);
					return (-1);
				}
				if (*s == '"' && s[1] == '"')
					fld[n++] = *s++;
				else if (*s == '"') {
					s++;
					break;
				} else
					fld[n++] = *s;
			}
		} else
			while (*s != '\0' && *s != ',' && *s != '\r' &&
			    *s != '\n') {
				if (*s == '"') {
					free(fld);
					return (-1);	/* unquoted quote */
				}
				fld[n++] = *s++;
			}
		fld[n] = '\0';
		if (col < MAXC)
			c->f[r][col++] = fld;
		else
			free(fld);
		if (*s == ',') {
			s++;
			continue;
		}
		if (*s == '\r' && s[1] == '\n')
			s += 2;
		else if (*s == '\n') {
			c->crlf = 0;
			s++;
		} else if (*s != '\0')
			return (-1);	/* junk after a closing quote */
		else
			c->crlf = 0;	/* no line end at all */
		c->ncols[r++] = col;
		col = 0;
	}
	c->nrows = r;
	return (0);
}

/* Frees every field and zeroes c, so it may be freed or parsed again. */
static inline void
csv_free(struct csv *c)
{
	int	r, i;

	for (r = 0; r < MAXR; r++)
		for (i = 0; i < MAXC; i++)
			free(c->f[r][i]);
	memset(c, 0, sizeof(*c));
}

/* The index of the header's column called name, or -1. */
static inline int
csv_col(const struct csv *c, const char *name)
{
	int	i;

	for (i = 0; c->nrows > 0 && i < c->ncols[0]; i++)
		if (strcmp(c->f[0][i], name) == 0)
			return (i);
	return (-1);
}

/* nftw(3) callback, with FTW_DEPTH | FTW_PHYS: removes the tree. */
static inline int
rm_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	if (type == FTW_DP)
		return (rmdir(path));
	return (unlink(path));
}

#endif /* SB_TESTS_DBTEST_H */
