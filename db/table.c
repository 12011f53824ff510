/*
 * db/table.c — rows of a statement as text: a JSON array of flat objects
 * or RFC 4180 CSV, built into a growable buffer.  Shared by the dashboard
 * queries (query.c) and the CSV export (export.c).
 *
 * JSON (RFC 8259): keys are the column names; INTEGER as an integer, REAL
 * as the shortest %g that reads back as the same double, TEXT as a string,
 * NULL (and a non-finite REAL, which JSON cannot carry) as null.  Strings
 * escape '"', '\' and the control characters, and also '<', '>' and '&'
 * (as \u003c ...) so that the text stays inert if a page ever inlines it;
 * valid UTF-8 passes through and each byte of an invalid sequence becomes
 * U+FFFD, so the output is always valid JSON whatever a label holds.
 *
 * CSV: a header row of the column names, then one line per row, CRLF line
 * ends; a field holding a comma, quote, CR or LF is quoted with quotes
 * doubled; NULL is an empty field; numbers as in JSON.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_int.h"

static void	add_str(struct db_buf *, const char *);
static size_t	utf8_len(const unsigned char *, size_t);
static void	json_string(struct db_buf *, const unsigned char *, size_t);
static void	csv_field(struct db_buf *, const char *, size_t);
static void	value(struct db_buf *, sqlite3_stmt *, int, enum db_fmt);

void
db_buf_add(struct db_buf *b, const char *s, size_t n)
{
	char	*ns;
	size_t	 cap;

	if (b->nomem || n == 0)
		return;
	if (n >= SIZE_MAX / 2 - b->len) {
		b->nomem = 1;
		return;
	}
	if (b->len + n + 1 > b->cap) {
		cap = b->cap > 0 ? b->cap : 4096;
		while (cap < b->len + n + 1)
			cap *= 2;
		if ((ns = realloc(b->s, cap)) == NULL) {
			b->nomem = 1;
			return;
		}
		b->s = ns;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void
add_str(struct db_buf *b, const char *s)
{
	db_buf_add(b, s, strlen(s));
}

void
db_buf_free(struct db_buf *b)
{
	free(b->s);
	memset(b, 0, sizeof(*b));
}

/* The shortest %g that reads back as the same double, so 1.5e-07 stays
 * 1.5e-07 and 0.1 stays 0.1 while every stored bit survives. */
void
db_fmt_real(double v, char *buf, size_t len)
{
	int	prec;

	for (prec = 15; prec < 17; prec++) {
		(void)snprintf(buf, len, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return;
	}
	(void)snprintf(buf, len, "%.17g", v);
}

/* Length of the well-formed UTF-8 sequence at s (n > 0 bytes left), or 0:
 * no overlong forms, no surrogates, nothing above U+10FFFF. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	unsigned char	lo = 0x80, hi = 0xbf;
	size_t		len, i;

	if (s[0] < 0x80)
		return (1);
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;
		else if (s[0] == 0xed)
			hi = 0x9f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		if (s[0] == 0xf0)
			lo = 0x90;
		else if (s[0] == 0xf4)
			hi = 0x8f;
	} else
		return (0);
	if (n < len || s[1] < lo || s[1] > hi)
		return (0);
	for (i = 2; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return (0);
	return (len);
}

static void
json_string(struct db_buf *b, const unsigned char *s, size_t n)
{
	static const char	hex[] = "0123456789abcdef";
	char			esc[8];
	size_t			i, start, len;

	db_buf_add(b, "\"", 1);
	for (start = i = 0; i < n; i += len) {
		len = utf8_len(s + i, n - i);
		if (len > 1)
			continue;
		if (len == 1 && s[i] >= 0x20 && s[i] != '"' && s[i] != '\\' &&
		    s[i] != '<' && s[i] != '>' && s[i] != '&')
			continue;
		db_buf_add(b, (const char *)s + start, i - start);
		if (len == 0) {
			/* One byte of an ill-formed sequence. */
			add_str(b, "\\ufffd");
			len = 1;
		} else if (s[i] == '"' || s[i] == '\\') {
			esc[0] = '\\';
			esc[1] = (char)s[i];
			db_buf_add(b, esc, 2);
		} else {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[s[i] >> 4];
			esc[5] = hex[s[i] & 0xf];
			db_buf_add(b, esc, 6);
		}
		start = i + len;
	}
	db_buf_add(b, (const char *)s + start, n - start);
	db_buf_add(b, "\"", 1);
}

static void
csv_field(struct db_buf *b, const char *s, size_t n)
{
	size_t	i, start;

	if (strcspn(s, ",\"\r\n") >= n) {
		db_buf_add(b, s, n);
		return;
	}
	db_buf_add(b, "\"", 1);
	for (start = i = 0; i < n; i++) {
		if (s[i] != '"')
			continue;
		/* Up to and including the quote, then one more. */
		db_buf_add(b, s + start, i + 1 - start);
		db_buf_add(b, "\"", 1);
		start = i + 1;
	}
	db_buf_add(b, s + start, n - start);
	db_buf_add(b, "\"", 1);
}

/* Column i of the current row. */
static void
value(struct db_buf *b, sqlite3_stmt *st, int i, enum db_fmt fmt)
{
	const unsigned char	*s;
	char			 num[64];
	double			 v;

	switch (sqlite3_column_type(st, i)) {
	case SQLITE_INTEGER:
		(void)snprintf(num, sizeof(num), "%lld",
		    (long long)sqlite3_column_int64(st, i));
		add_str(b, num);
		break;
	case SQLITE_FLOAT:
		v = sqlite3_column_double(st, i);
		if (isfinite(v)) {
			db_fmt_real(v, num, sizeof(num));
			add_str(b, num);
		} else if (fmt == DB_FMT_JSON)
			add_str(b, "null");
		break;
	case SQLITE_NULL:
		if (fmt == DB_FMT_JSON)
			add_str(b, "null");
		break;
	default:
		/* TEXT (and BLOB, which the schema never stores). */
		s = sqlite3_column_text(st, i);
		if (s == NULL) {
			/* A non-NULL value without text: out of memory. */
			b->nomem = 1;
			break;
		}
		if (fmt == DB_FMT_JSON)
			json_string(b, s, (size_t)sqlite3_column_bytes(st, i));
		else
			csv_field(b, (const char *)s,
			    (size_t)sqlite3_column_bytes(st, i));
		break;
	}
}

void
db_tab_begin(struct db_buf *b, sqlite3_stmt *st, enum db_fmt fmt)
{
	const char	*name;
	int		 i, ncol;

	if (fmt == DB_FMT_JSON) {
		db_buf_add(b, "[", 1);
		return;
	}
	ncol = sqlite3_column_count(st);
	for (i = 0; i < ncol; i++) {
		if ((name = sqlite3_column_name(st, i)) == NULL) {
			b->nomem = 1;
			return;
		}
		if (i > 0)
			db_buf_add(b, ",", 1);
		csv_field(b, name, strlen(name));
	}
	db_buf_add(b, "\r\n", 2);
}

void
db_tab_row(struct db_buf *b, sqlite3_stmt *st, enum db_fmt fmt,
    int64_t nrow)
{
	const char	*name;
	int		 i, ncol;

	ncol = sqlite3_column_count(st);
	if (fmt == DB_FMT_CSV) {
		for (i = 0; i < ncol; i++) {
			if (i > 0)
				db_buf_add(b, ",", 1);
			value(b, st, i, fmt);
		}
		db_buf_add(b, "\r\n", 2);
		return;
	}
	db_buf_add(b, nrow > 0 ? ",\n{" : "{", nrow > 0 ? 3 : 1);
	for (i = 0; i < ncol; i++) {
		if ((name = sqlite3_column_name(st, i)) == NULL) {
			b->nomem = 1;
			return;
		}
		if (i > 0)
			db_buf_add(b, ",", 1);
		json_string(b, (const unsigned char *)name, strlen(name));
		db_buf_add(b, ":", 1);
		value(b, st, i, fmt);
	}
	db_buf_add(b, "}", 1);
}

void
db_tab_end(struct db_buf *b, enum db_fmt fmt)
{
	if (fmt == DB_FMT_JSON)
		db_buf_add(b, "]\n", 2);
}
