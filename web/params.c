/*
 * web/params.c — query-string arguments and run ids.
 *
 * Kore 4.1 drops query arguments that are undeclared or fail a validator,
 * so a handler cannot tell "missing" from "invalid" through its API; the
 * contract needs a 400 for both, with a message.  So the handlers read the
 * raw query string themselves, here.  Nothing in this file echoes request
 * bytes back: messages name the parameter, never its value.
 */
#include <stdio.h>
#include <string.h>

#include "web.h"

static int	hexval(int);

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

enum web_arg
web_arg(const char *qs, const char *name, char *val, size_t len)
{
	const char	*p, *end, *eq, *v;
	size_t		 nlen = strlen(name), o;
	int		 found = 0, hi, lo, c;

	if (len == 0)
		return (WEB_ARG_BAD);
	val[0] = '\0';
	for (p = qs; p != NULL && *p != '\0'; p = *end ? end + 1 : end) {
		if ((end = strchr(p, '&')) == NULL)
			end = p + strlen(p);
		if ((eq = memchr(p, '=', end - p)) == NULL)
			eq = end;
		/* Names are compared raw: ours are plain ASCII, and an
		 * encoded name is simply some other parameter. */
		if ((size_t)(eq - p) != nlen || memcmp(p, name, nlen) != 0)
			continue;
		if (found++)
			return (WEB_ARG_BAD);	/* ?id=1&id=2: which? */
		o = 0;
		for (v = eq < end ? eq + 1 : end; v < end; v++) {
			c = (unsigned char)*v;
			if (c == '+')
				c = ' ';
			else if (c == '%') {
				if (end - v < 3 || (hi = hexval(v[1])) < 0 ||
				    (lo = hexval(v[2])) < 0)
					return (WEB_ARG_BAD);
				c = hi << 4 | lo;
				v += 2;
			}
			/* A NUL would cut the value short in C strings. */
			if (c == '\0' || o + 1 >= len)
				return (WEB_ARG_BAD);
			val[o++] = (char)c;
		}
		val[o] = '\0';
	}
	return (found ? WEB_ARG_OK : WEB_ARG_ABSENT);
}

int
web_parse_id(const char *s, int64_t *out)
{
	int64_t	v = 0;

	if (*s == '\0')
		return (-1);
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return (-1);	/* no sign, space, hex or exponent */
		if (v > (WEB_ID_MAX - (*s - '0')) / 10)
			return (-1);
		v = v * 10 + (*s - '0');
	}
	if (v < 1)
		return (-1);
	*out = v;
	return (0);
}

int
web_ids(const char *qs, const char *const *names, int n, int64_t *ids,
    char *why, size_t whylen)
{
	char	val[64];
	int	i;

	for (i = 0; i < n; i++) {
		switch (web_arg(qs, names[i], val, sizeof(val))) {
		case WEB_ARG_ABSENT:
			snprintf(why, whylen, "missing parameter '%s': give a "
			    "run id, e.g. ?%s=1 (the runs page lists them)",
			    names[i], names[i]);
			return (-1);
		case WEB_ARG_BAD:
			snprintf(why, whylen, "parameter '%s' is malformed or "
			    "given more than once; give it once, as a run id",
			    names[i]);
			return (-1);
		case WEB_ARG_OK:
			break;
		}
		if (web_parse_id(val, &ids[i]) == -1) {
			snprintf(why, whylen, "parameter '%s' is not a run id; "
			    "give a whole number from 1 to %lld in decimal "
			    "digits", names[i], (long long)WEB_ID_MAX);
			return (-1);
		}
	}
	return (0);
}

int
web_point(const char *qs, int64_t ids[2], char *why, size_t whylen)
{
	static const char *const run[] = { "run" };
	const char	*s;
	char		 val[64];
	int64_t		 v = 0;

	if (web_ids(qs, run, 1, &ids[0], why, whylen) == -1)
		return (-1);
	switch (web_arg(qs, "point", val, sizeof(val))) {
	case WEB_ARG_ABSENT:
		snprintf(why, whylen, "missing parameter 'point': give a point "
		    "index of the run, e.g. ?run=1&point=0 (the run page's "
		    "#points table lists them)");
		return (-1);
	case WEB_ARG_BAD:
		snprintf(why, whylen, "parameter 'point' is malformed or given "
		    "more than once; give it once, as a point index");
		return (-1);
	case WEB_ARG_OK:
		break;
	}
	/* Like a run id, but 0 is the first point. */
	for (s = val; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' ||
		    v > (WEB_POINT_MAX - (*s - '0')) / 10)
			break;
		v = v * 10 + (*s - '0');
	}
	if (val[0] == '\0' || *s != '\0') {
		snprintf(why, whylen, "parameter 'point' is not a point index; "
		    "give a whole number from 0 to %lld in decimal digits",
		    (long long)WEB_POINT_MAX);
		return (-1);
	}
	ids[1] = v;
	return (0);
}
