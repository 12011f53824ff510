/*
 * profiler/ncu_csv.c — Nsight Compute's raw CSV page (ncu_csv.h).
 *
 * Design notes.
 *
 *  1. The text is parsed whole into one struct ncu_csv: the header's
 *     metric names and units, then one struct ncu_launch per row.  Every
 *     string lives in an arena freed with the struct, so the importer can
 *     point database rows at them until it has stored them.
 *  2. The header is found by line, not by CSV record: ncu's own messages
 *     (==PROF==, ==WARNING==) may precede it when they went to stdout,
 *     and an unbalanced quote in one of them must not swallow the header.
 *     Later lines that start with "==" are skipped for the same reason.
 *  3. Columns are told apart by name: the identity columns of the raw
 *     page (ID, Kernel Name, Grid Size, ...) and everything else, which
 *     is a metric.  A newer ncu that adds an identity column makes one
 *     more "metric" of text, never a parse failure.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ncu_csv.h"

/* Identity columns: the launch, not a metric of it.  ncu 2025.3 writes the
 * first eleven; the rest are names other versions have used. */
static const char *const ident_cols[] = {
	"ID", "Process ID", "Process Name", "Host Name", "Kernel Name",
	"Context", "Stream", "Block Size", "Grid Size", "Device", "CC",
	"Function Name", "Demangled Name", "Mangled Name", NULL
};

enum col_role {
	COL_METRIC, COL_ID, COL_KERNEL, COL_STREAM, COL_BLOCK, COL_GRID,
	COL_OTHER
};

struct arena_chunk {
	struct arena_chunk	*next;
	size_t			 used, cap;
	char			 data[];
};

struct ncu_csv {
	struct arena_chunk	*arena;
	int			 ncols;
	enum col_role		*role;		/* per column */
	int			*metric_of;	/* column -> metric, -1 */
	int			 nmetrics;
	char			**metric;	/* names (arena) */
	char			**unit;		/* NULL: none */
	int			 nlaunches, cap_launches;
	struct ncu_launch	*launches;
};

/* One CSV record being read: its cells (arena) */
struct record {
	int	 n, cap;
	char	**cell;
};

static void	*arena_alloc(struct ncu_csv *, size_t);
static char	*arena_strndup(struct ncu_csv *, const char *, size_t);
static void	 seterr(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static int	 read_record(struct ncu_csv *, const char *, size_t, size_t *,
		    int *, struct record *, char *, size_t);
static int	 is_message_line(const char *, size_t, size_t);
static int	 find_header(const char *, size_t, size_t *, int *);
static enum col_role role_of(const char *);
static int	 add_launch(struct ncu_csv *, const struct record *, int,
		    char *, size_t);

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static void *
arena_alloc(struct ncu_csv *p, size_t n)
{
	struct arena_chunk *c = p->arena;

	n = (n + 7) & ~(size_t)7;
	if (c == NULL || c->cap - c->used < n) {
		size_t cap = n > 65536 ? n : 65536;

		if ((c = malloc(sizeof(*c) + cap)) == NULL)
			return NULL;
		c->used = 0;
		c->cap = cap;
		c->next = p->arena;
		p->arena = c;
	}
	c->used += n;
	return c->data + c->used - n;
}

static char *
arena_strndup(struct ncu_csv *p, const char *s, size_t n)
{
	char *d = arena_alloc(p, n + 1);

	if (d != NULL) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

/*
 * Reads one record at *pos: cells separated by commas, ended by an
 * unquoted newline (\n or \r\n) or the end.  A quoted cell may hold
 * commas, newlines and doubled quotes.  Advances *pos and *line.
 */
static int
read_record(struct ncu_csv *p, const char *t, size_t len, size_t *pos,
    int *line, struct record *r, char *err, size_t errlen)
{
	size_t i = *pos;
	int start_line = *line;
	char *buf = NULL;
	size_t blen = 0, bcap = 0;

	r->n = 0;
	for (;;) {
		int quoted = 0;

		blen = 0;
		if (i < len && t[i] == '"') {
			quoted = 1;
			i++;
		}
		for (;;) {
			char ch;

			if (i >= len) {
				if (quoted) {
					seterr(err, errlen, "line %d: a quoted "
					    "cell is not closed (no '\"' before "
					    "the end of the text)", start_line);
					free(buf);
					return -1;
				}
				break;
			}
			ch = t[i];
			if (quoted && ch == '"') {
				if (i + 1 < len && t[i + 1] == '"') {
					i += 2;
					ch = '"';
				} else {
					i++;
					quoted = 0;
					continue;
				}
			} else if (!quoted && (ch == ',' || ch == '\n' ||
			    ch == '\r')) {
				break;
			} else {
				if (ch == '\n')
					(*line)++;
				i++;
			}
			if (blen + 1 >= bcap) {
				char *nb;

				bcap = bcap ? 2 * bcap : 128;
				if ((nb = realloc(buf, bcap)) == NULL)
					goto oom;
				buf = nb;
			}
			buf[blen++] = ch;
		}
		if (r->n == r->cap) {
			int ncap = r->cap ? 2 * r->cap : 32;
			char **nc = realloc(r->cell, ncap * sizeof(*nc));

			if (nc == NULL)
				goto oom;
			r->cell = nc;
			r->cap = ncap;
		}
		if ((r->cell[r->n++] = arena_strndup(p, buf ? buf : "",
		    blen)) == NULL)
			goto oom;
		if (i < len && t[i] == ',') {
			i++;
			continue;
		}
		break;
	}
	if (i < len && t[i] == '\r')
		i++;
	if (i < len && t[i] == '\n') {
		i++;
		(*line)++;
	}
	*pos = i;
	free(buf);
	return 0;
oom:
	free(buf);
	seterr(err, errlen, "out of memory reading line %d", start_line);
	return -1;
}

/* The line at pos starts with "==" (ncu's own messages: ==PROF==,
 * ==WARNING==, ==ERROR==). */
static int
is_message_line(const char *t, size_t len, size_t pos)
{
	return pos + 1 < len && t[pos] == '=' && t[pos + 1] == '=';
}

/* The first line that starts with "ID" or ID (quoted or not) followed by
 * a comma, and has a Kernel Name column; *pos is its start, *line its
 * number.  Returns 0, or -1 if there is none. */
static int
find_header(const char *t, size_t len, size_t *pos, int *line)
{
	size_t i = 0;
	int ln = 1;

	if (len >= 3 && memcmp(t, "\xef\xbb\xbf", 3) == 0)
		i = 3;			/* a UTF-8 byte order mark */
	while (i < len) {
		const char *nl = memchr(t + i, '\n', len - i);
		size_t end = nl != NULL ? (size_t)(nl - t) : len;
		size_t n = end - i;

		if ((n >= 5 && memcmp(t + i, "\"ID\",", 5) == 0) ||
		    (n >= 3 && memcmp(t + i, "ID,", 3) == 0)) {
			/* a Kernel Name column, quoted or not, in this line */
			for (size_t k = i; k + 11 <= end; k++)
				if (memcmp(t + k, "Kernel Name", 11) == 0) {
					*pos = i;
					*line = ln;
					return 0;
				}
		}
		i = end + 1;
		ln++;
	}
	return -1;
}

static enum col_role
role_of(const char *name)
{
	if (strcmp(name, "ID") == 0)
		return COL_ID;
	if (strcmp(name, "Kernel Name") == 0)
		return COL_KERNEL;
	if (strcmp(name, "Stream") == 0)
		return COL_STREAM;
	if (strcmp(name, "Block Size") == 0)
		return COL_BLOCK;
	if (strcmp(name, "Grid Size") == 0)
		return COL_GRID;
	for (int i = 0; ident_cols[i] != NULL; i++)
		if (strcmp(name, ident_cols[i]) == 0)
			return COL_OTHER;
	if (name[0] == '\0')
		return COL_OTHER;	/* an unnamed column holds no metric */
	return COL_METRIC;
}

int
ncu_csv_number(const char *s, double *out)
{
	char buf[128], *end;
	size_t n = 0;
	int group = 0, seps = 0;	/* digits in the current group */
	double v;

	while (isspace((unsigned char)*s))
		s++;
	if (*s == '+' || *s == '-')
		buf[n++] = *s++;
	/* the integer part: thousands separators between groups of three */
	for (; isdigit((unsigned char)*s) || *s == ','; s++) {
		if (*s == ',') {
			if (group == 0 || group > 3 || (seps > 0 && group != 3))
				return -1;
			seps++;
			group = 0;
			continue;
		}
		if (n + 1 >= sizeof(buf))
			return -1;
		buf[n++] = *s;
		group++;
	}
	if (seps > 0 && group != 3)
		return -1;
	/* fraction and exponent: no separators there */
	for (; *s != '\0' && strchr("0123456789.eE+-", *s) != NULL; s++) {
		if (n + 1 >= sizeof(buf))
			return -1;
		buf[n++] = *s;
	}
	while (isspace((unsigned char)*s))
		s++;
	if (*s != '\0' || n == 0)
		return -1;
	buf[n] = '\0';
	errno = 0;
	v = strtod(buf, &end);
	if (end == buf || *end != '\0' || errno == ERANGE || !isfinite(v))
		return -1;
	*out = v;
	return 0;
}

int
ncu_csv_dim3(const char *s, int64_t out[3])
{
	int64_t v[3] = { 1, 1, 1 };
	int n = 0, paren = 0;

	while (isspace((unsigned char)*s))
		s++;
	if (*s == '(') {
		paren = 1;
		s++;
	}
	for (;;) {
		char *end;
		long long x;

		while (isspace((unsigned char)*s))
			s++;
		errno = 0;
		x = strtoll(s, &end, 10);
		if (end == s || errno != 0 || x < 0 || n == 3)
			return -1;
		v[n++] = x;
		s = end;
		while (isspace((unsigned char)*s))
			s++;
		if (*s == ',') {
			s++;
			continue;
		}
		break;
	}
	if (paren) {
		if (*s != ')')
			return -1;
		s++;
	}
	while (isspace((unsigned char)*s))
		s++;
	if (*s != '\0' || (!paren && n != 1))
		return -1;
	memcpy(out, v, sizeof(v));
	return 0;
}

static int
add_launch(struct ncu_csv *p, const struct record *r, int line, char *err,
    size_t errlen)
{
	struct ncu_launch *l;
	int have_id = 0;

	if (p->nlaunches == p->cap_launches) {
		int ncap = p->cap_launches ? 2 * p->cap_launches : 64;
		struct ncu_launch *nl = realloc(p->launches,
		    ncap * sizeof(*nl));

		if (nl == NULL)
			goto oom;
		p->launches = nl;
		p->cap_launches = ncap;
	}
	l = &p->launches[p->nlaunches];
	memset(l, 0, sizeof(*l));
	l->stream = -1;
	l->point_idx = -1;
	l->line = line;
	l->kernel = "";
	if (p->nmetrics > 0 && (l->values = arena_alloc(p,
	    p->nmetrics * sizeof(*l->values))) == NULL)
		goto oom;
	for (int c = 0; c < p->ncols; c++) {
		const char *cell = r->cell[c];
		double v;

		switch (p->role[c]) {
		case COL_ID:
			if (ncu_csv_number(cell, &v) != 0 || v < 0 ||
			    v != floor(v)) {
				seterr(err, errlen, "line %d: ID '%s' is not "
				    "a launch number (a non-negative integer)",
				    line, cell);
				return -1;
			}
			l->id = (int64_t)v;
			have_id = 1;
			break;
		case COL_KERNEL:
			l->kernel = cell;
			break;
		case COL_STREAM:
			if (ncu_csv_number(cell, &v) == 0 && v >= 0)
				l->stream = (int64_t)v;
			break;
		case COL_BLOCK:
			(void)ncu_csv_dim3(cell, l->block);
			break;
		case COL_GRID:
			(void)ncu_csv_dim3(cell, l->grid);
			break;
		case COL_METRIC: {
			struct ncu_value *val;

			if (cell[0] == '\0')
				break;		/* nothing measured */
			val = &l->values[l->nvalues++];
			val->metric = p->metric_of[c];
			if (ncu_csv_number(cell, &v) == 0) {
				val->value = v;
				val->text = NULL;
			} else {
				val->value = NAN;
				val->text = cell;
			}
			break;
		}
		case COL_OTHER:
			break;
		}
	}
	if (!have_id) {
		seterr(err, errlen, "line %d: no ID cell", line);
		return -1;
	}
	p->nlaunches++;
	return 0;
oom:
	seterr(err, errlen, "out of memory at line %d", line);
	return -1;
}

int
ncu_csv_parse(struct ncu_csv **out, const char *text, size_t len, char *err,
    size_t errlen)
{
	struct ncu_csv *p;
	struct record r = { 0, 0, NULL };
	size_t pos;
	int line, have_id = 0, have_kernel = 0, first = 1;

	*out = NULL;
	if (find_header(text, len, &pos, &line) != 0) {
		seterr(err, errlen, "no header line (\"ID\",...,\"Kernel "
		    "Name\",...): this is not ncu's raw page as CSV; make it "
		    "with 'ncu --import REPORT --page raw --csv --print-units "
		    "base'");
		return -1;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		seterr(err, errlen, "out of memory");
		return -1;
	}
	if (read_record(p, text, len, &pos, &line, &r, err, errlen) != 0)
		goto fail;
	p->ncols = r.n;
	if ((p->role = calloc(r.n, sizeof(*p->role))) == NULL ||
	    (p->metric_of = calloc(r.n, sizeof(int))) == NULL ||
	    (p->metric = calloc(r.n, sizeof(char *))) == NULL ||
	    (p->unit = calloc(r.n, sizeof(char *))) == NULL) {
		seterr(err, errlen, "out of memory");
		goto fail;
	}
	for (int c = 0; c < r.n; c++) {
		p->role[c] = role_of(r.cell[c]);
		p->metric_of[c] = -1;
		have_id += p->role[c] == COL_ID;
		have_kernel += p->role[c] == COL_KERNEL;
		if (p->role[c] == COL_METRIC) {
			p->metric_of[c] = p->nmetrics;
			p->metric[p->nmetrics++] = r.cell[c];
		}
	}
	if (have_id != 1 || have_kernel != 1) {
		seterr(err, errlen, "line %d: the header needs one \"ID\" and "
		    "one \"Kernel Name\" column (found %d and %d)",
		    line - 1, have_id, have_kernel);
		goto fail;
	}
	while (pos < len) {
		int at = line;

		if (is_message_line(text, len, pos) || text[pos] == '\n' ||
		    text[pos] == '\r') {
			const char *nl = memchr(text + pos, '\n', len - pos);

			pos = nl != NULL ? (size_t)(nl - text) + 1 : len;
			line++;
			continue;
		}
		if (read_record(p, text, len, &pos, &line, &r, err,
		    errlen) != 0)
			goto fail;
		if (r.n != p->ncols) {
			seterr(err, errlen, "line %d: %d cells where the header "
			    "has %d (a kernel name with an unquoted comma?)",
			    at, r.n, p->ncols);
			goto fail;
		}
		if (first) {
			int c, is_units = 0;

			first = 0;
			for (c = 0; c < p->ncols; c++)
				if (p->role[c] == COL_ID)
					is_units = r.cell[c][0] == '\0';
			if (is_units) {
				for (c = 0; c < p->ncols; c++)
					if (p->metric_of[c] >= 0 &&
					    r.cell[c][0] != '\0')
						p->unit[p->metric_of[c]] =
						    r.cell[c];
				continue;
			}
		}
		if (add_launch(p, &r, at, err, errlen) != 0)
			goto fail;
	}
	free(r.cell);
	*out = p;
	return 0;
fail:
	free(r.cell);
	ncu_csv_free(p);
	return -1;
}

void
ncu_csv_free(struct ncu_csv *p)
{
	struct arena_chunk *c, *next;

	if (p == NULL)
		return;
	for (c = p->arena; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	free(p->role);
	free(p->metric_of);
	free(p->metric);
	free(p->unit);
	free(p->launches);
	free(p);
}

int
ncu_csv_nmetrics(const struct ncu_csv *p)
{
	return p->nmetrics;
}

const char *
ncu_csv_metric(const struct ncu_csv *p, int i)
{
	return i >= 0 && i < p->nmetrics ? p->metric[i] : NULL;
}

const char *
ncu_csv_unit(const struct ncu_csv *p, int i)
{
	return i >= 0 && i < p->nmetrics ? p->unit[i] : NULL;
}

int
ncu_csv_nlaunches(const struct ncu_csv *p)
{
	return p->nlaunches;
}

const struct ncu_launch *
ncu_csv_launch(const struct ncu_csv *p, int i)
{
	return i >= 0 && i < p->nlaunches ? &p->launches[i] : NULL;
}

int
ncu_metric_per_device(const char *metric)
{
	static const char *const pre[] = {
		"device__attribute_", "nvlink__", "c2clink__", "numa__",
		"profiler__",
	};

	for (size_t i = 0; i < sizeof(pre) / sizeof(pre[0]); i++)
		if (strncmp(metric, pre[i], strlen(pre[i])) == 0)
			return 1;
	return 0;
}

int
ncu_csv_is_marker(const char *name, const char *marker)
{
	size_t n = strlen(marker);

	if (strncmp(name, "void ", 5) == 0)
		name += 5;
	return strncmp(name, marker, n) == 0 && (name[n] == '\0' ||
	    name[n] == '(');
}

int
ncu_csv_link(struct ncu_csv *p, const char *marker, int *points, char *err,
    size_t errlen)
{
	unsigned char *seen = NULL;
	int cur = -1, markers = 0, npoints = 0, maxpt = -1;

	for (int i = 0; i < p->nlaunches; i++) {
		struct ncu_launch *l = &p->launches[i];

		l->marker = marker != NULL && ncu_csv_is_marker(l->kernel,
		    marker);
		if (!l->marker) {
			l->point_idx = cur;
			continue;
		}
		if (l->grid[0] < 1 || l->grid[1] != 1 || l->grid[2] != 1 ||
		    l->grid[0] > (int64_t)1 << 30) {
			seterr(err, errlen, "line %d: marker launch %lld has "
			    "grid (%lld, %lld, %lld); a marker's grid is "
			    "(point + 1, 1, 1)", l->line, (long long)l->id,
			    (long long)l->grid[0], (long long)l->grid[1],
			    (long long)l->grid[2]);
			return -1;
		}
		cur = (int)(l->grid[0] - 1);
		l->point_idx = cur;
		if (cur > maxpt)
			maxpt = cur;
		markers++;
	}
	if (points != NULL) {
		if (maxpt >= 0 && (seen = calloc((size_t)maxpt + 1, 1)) ==
		    NULL) {
			seterr(err, errlen, "out of memory");
			return -1;
		}
		for (int i = 0; i < p->nlaunches; i++) {
			const struct ncu_launch *l = &p->launches[i];

			if (!l->marker && l->point_idx >= 0 &&
			    !seen[l->point_idx]) {
				seen[l->point_idx] = 1;
				npoints++;
			}
		}
		free(seen);
		*points = npoints;
	}
	return markers;
}

int
ncu_csv_foreach(const struct ncu_csv *p, int (*fn)(const struct ncu_row *,
    void *), void *ctx)
{
	for (int i = 0; i < p->nlaunches; i++) {
		const struct ncu_launch *l = &p->launches[i];

		if (l->marker)
			continue;
		for (int k = 0; k < l->nvalues; k++) {
			struct ncu_row row;
			int rc;

			row.launch = l;
			row.point_idx = l->point_idx;
			row.metric = p->metric[l->values[k].metric];
			row.unit = p->unit[l->values[k].metric];
			row.value = l->values[k].value;
			row.text = l->values[k].text;
			if ((rc = fn(&row, ctx)) != 0)
				return rc;
		}
	}
	return 0;
}
