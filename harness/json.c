/* harness/json.c — JSON writer (see json.h). */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

static void	put(struct sb_json *, const char *, size_t);
static void	putf(struct sb_json *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static void	put_string(struct sb_json *, const char *);
static void	key(struct sb_json *, const char *);

void
sb_json_init(struct sb_json *j)
{
	memset(j, 0, sizeof(*j));
}

void
sb_json_free(struct sb_json *j)
{
	free(j->buf);
	memset(j, 0, sizeof(*j));
}

static void
put(struct sb_json *j, const char *s, size_t n)
{
	if (j->oom)
		return;
	if (j->len + n + 1 > j->cap) {
		size_t cap = j->cap ? j->cap : 256;
		char *nb;

		while (cap < j->len + n + 1)
			cap *= 2;
		if ((nb = realloc(j->buf, cap)) == NULL) {
			j->oom = 1;
			return;
		}
		j->buf = nb;
		j->cap = cap;
	}
	memcpy(j->buf + j->len, s, n);
	j->len += n;
	j->buf[j->len] = '\0';
}

static void
putf(struct sb_json *j, const char *fmt, ...)
{
	char tmp[64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		put(j, tmp, (size_t)n < sizeof(tmp) ? (size_t)n :
		    sizeof(tmp) - 1);
}

static void
put_string(struct sb_json *j, const char *s)
{
	put(j, "\"", 1);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			put(j, "\\\"", 2);
			break;
		case '\\':
			put(j, "\\\\", 2);
			break;
		case '\n':
			put(j, "\\n", 2);
			break;
		case '\r':
			put(j, "\\r", 2);
			break;
		case '\t':
			put(j, "\\t", 2);
			break;
		default:
			if (*p < 0x20)
				putf(j, "\\u%04x", *p);
			else
				put(j, (const char *)p, 1);
		}
	}
	put(j, "\"", 1);
}

/* Writes the separator and, inside an object, the key. */
static void
key(struct sb_json *j, const char *k)
{
	if (j->need_comma)
		put(j, ",", 1);
	j->need_comma = 1;
	if (k != NULL) {
		put_string(j, k);
		put(j, ":", 1);
	}
}

void
sb_json_obj_begin(struct sb_json *j, const char *k)
{
	key(j, k);
	put(j, "{", 1);
	j->need_comma = 0;
}

void
sb_json_obj_end(struct sb_json *j)
{
	put(j, "}", 1);
	j->need_comma = 1;
}

void
sb_json_arr_begin(struct sb_json *j, const char *k)
{
	key(j, k);
	put(j, "[", 1);
	j->need_comma = 0;
}

void
sb_json_arr_end(struct sb_json *j)
{
	put(j, "]", 1);
	j->need_comma = 1;
}

void
sb_json_str(struct sb_json *j, const char *k, const char *v)
{
	key(j, k);
	if (v == NULL)
		put(j, "null", 4);
	else
		put_string(j, v);
}

void
sb_json_int(struct sb_json *j, const char *k, int64_t v)
{
	key(j, k);
	putf(j, "%" PRId64, v);
}

void
sb_json_num(struct sb_json *j, const char *k, double v)
{
	key(j, k);
	if (!isfinite(v))
		put(j, "null", 4);
	else
		putf(j, "%.17g", v);
}

void
sb_json_bool(struct sb_json *j, const char *k, int v)
{
	key(j, k);
	put(j, v ? "true" : "false", v ? 4 : 5);
}

const char *
sb_json_text(const struct sb_json *j)
{
	return j->oom ? NULL : (j->buf ? j->buf : "");
}
