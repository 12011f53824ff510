/*
 * harness/sweep.c — parsing of --shapes, --variants, --layers, --world and
 * the expansion of a sweep into its points.
 */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sweep.h"

#define SB_PLAN_MAX	100000

static int	fail(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static int	parse_dim(const char *, size_t, const char *, const char *,
		    int64_t *, char *, size_t);
static int	parse_item(const char *, struct sb_shape_list *, char *,
		    size_t, int);
static int	parse_range(const char *, struct sb_shape_list *, char *,
		    size_t);
static int	push_shape(struct sb_shape_list *, int64_t, int64_t, int64_t,
		    char *, size_t);

static const struct {
	const char	*name;
	const char	*spec;
	const char	*why;
} presets[] = {
	{ "tutorial", "10x3x5", "the tutorial's Linear(5, 3) at batch 10" },
	{ "small", "64:512:x2", "squares 64..512: fast on a CPU" },
	{ "headline", "1024:8192:x2", "squares 1024..8192: GEMM-bound on an H100" },
};

static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

const char *
sb_preset_shapes(const char *name)
{
	for (size_t i = 0; i < sizeof(presets) / sizeof(presets[0]); i++)
		if (strcmp(presets[i].name, name) == 0)
			return presets[i].spec;
	return NULL;
}

/* Parses s[0..len) as a dimension in [1, SB_DIM_MAX]; item and what name the
 * context for the message. */
static int
parse_dim(const char *s, size_t len, const char *item, const char *what,
    int64_t *out, char *err, size_t errlen)
{
	int64_t v = 0;

	if (len == 0)
		return fail(err, errlen, "--shapes: '%s' is not a shape: %s is "
		    "missing; write MxNxK, e.g. 4096x4096x4096, a range like "
		    "1024:8192:x2, or a preset (tutorial, small, headline)",
		    item, what);
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return fail(err, errlen, "--shapes: '%s': %s '%.*s' is "
			    "not a positive integer; write MxNxK, e.g. "
			    "4096x4096x4096", item, what, (int)len, s);
		if (v > (SB_DIM_MAX - (s[i] - '0')) / 10)
			return fail(err, errlen, "--shapes: '%s': %s '%.*s' is "
			    "too large; each dimension must be 1..%lld",
			    item, what, (int)len, s, (long long)SB_DIM_MAX);
		v = v * 10 + (s[i] - '0');
	}
	if (v == 0)
		return fail(err, errlen, "--shapes: '%s': %s is 0; each "
		    "dimension must be 1..%lld", item, what,
		    (long long)SB_DIM_MAX);
	*out = v;
	return 0;
}

static int
push_shape(struct sb_shape_list *l, int64_t m, int64_t n, int64_t k,
    char *err, size_t errlen)
{
	for (int i = 0; i < l->count; i++)
		if (l->v[i].m == m && l->v[i].n == n && l->v[i].k == k)
			return 0;	/* a repeated shape is run once */
	if (l->count == SB_LIST_MAX)
		return fail(err, errlen, "--shapes: more than %d shapes; split "
		    "the sweep", SB_LIST_MAX);
	l->v[l->count++] = (struct sb_shape){ m, n, k };
	return 0;
}

/* A:B:xF or A:B:+S — square sizes from A up to B. */
static int
parse_range(const char *item, struct sb_shape_list *l, char *err,
    size_t errlen)
{
	const char *c1 = strchr(item, ':'), *c2 = c1 ? strchr(c1 + 1, ':') :
	    NULL;
	int64_t a, b, step;
	int mul;

	if (c2 == NULL || strchr(c2 + 1, ':') != NULL ||
	    (c2[1] != 'x' && c2[1] != '+'))
		return fail(err, errlen, "--shapes: '%s' is not a range; write "
		    "START:END:xFACTOR or START:END:+STEP, e.g. 1024:8192:x2",
		    item);
	if (parse_dim(item, c1 - item, item, "START", &a, err, errlen) ||
	    parse_dim(c1 + 1, c2 - c1 - 1, item, "END", &b, err, errlen) ||
	    parse_dim(c2 + 2, strlen(c2 + 2), item, "the step", &step, err,
	    errlen))
		return -1;
	mul = c2[1] == 'x';
	if (b < a)
		return fail(err, errlen, "--shapes: '%s': END %lld is below "
		    "START %lld", item, (long long)b, (long long)a);
	if (mul && step < 2)
		return fail(err, errlen, "--shapes: '%s': the factor must be "
		    "at least 2 (x2 doubles)", item);
	for (int64_t s = a; s <= b;) {
		if (push_shape(l, s, s, s, err, errlen))
			return -1;
		if (mul ? s > b / step : s > b - step)
			break;
		s = mul ? s * step : s + step;
	}
	return 0;
}

static int
parse_item(const char *item, struct sb_shape_list *l, char *err,
    size_t errlen, int depth)
{
	const char *preset, *x1, *x2;
	int64_t m, n, k;

	if ((preset = sb_preset_shapes(item)) != NULL && depth == 0) {
		char buf[256];
		char *save = NULL, *tok;

		snprintf(buf, sizeof(buf), "%s", preset);
		for (tok = strtok_r(buf, ",", &save); tok != NULL;
		    tok = strtok_r(NULL, ",", &save))
			if (parse_item(tok, l, err, errlen, depth + 1))
				return -1;
		return 0;
	}
	if (strchr(item, ':') != NULL)
		return parse_range(item, l, err, errlen);
	if (isalpha((unsigned char)item[0]) && strchr(item, 'x') == NULL)
		return fail(err, errlen, "--shapes: '%s' is not a preset; "
		    "presets are tutorial (10x3x5), small (64:512:x2), "
		    "headline (1024:8192:x2)", item);
	x1 = strchr(item, 'x');
	x2 = x1 ? strchr(x1 + 1, 'x') : NULL;
	if (x1 == NULL || x2 == NULL || strchr(x2 + 1, 'x') != NULL)
		return fail(err, errlen, "--shapes: '%s' is not a shape; write "
		    "MxNxK (batch x out x in), e.g. 4096x4096x4096", item);
	if (parse_dim(item, x1 - item, item, "M", &m, err, errlen) ||
	    parse_dim(x1 + 1, x2 - x1 - 1, item, "N", &n, err, errlen) ||
	    parse_dim(x2 + 1, strlen(x2 + 1), item, "K", &k, err, errlen))
		return -1;
	return push_shape(l, m, n, k, err, errlen);
}

int
sb_parse_shapes(const char *spec, struct sb_shape_list *l, char *err,
    size_t errlen)
{
	char *copy, *save = NULL, *tok;
	int rc = 0;

	l->count = 0;
	if (spec == NULL || spec[0] == '\0')
		return fail(err, errlen, "--shapes is empty; give MxNxK items, "
		    "ranges like 1024:8192:x2, or presets (tutorial, small, "
		    "headline)");
	if ((copy = strdup(spec)) == NULL)
		return fail(err, errlen, "out of memory");
	if (spec[strlen(spec) - 1] == ',' || spec[0] == ',' ||
	    strstr(spec, ",,") != NULL) {
		rc = fail(err, errlen, "--shapes: '%s' has an empty item; "
		    "separate shapes with single commas", spec);
		goto out;
	}
	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save))
		if ((rc = parse_item(tok, l, err, errlen, 0)) != 0)
			goto out;
out:
	free(copy);
	return rc;
}

int
sb_parse_variants(const char *spec, struct sb_variant_list *l, char *err,
    size_t errlen)
{
	char *copy, *save = NULL, *tok;
	int rc = 0;

	l->count = 0;
	if (spec == NULL || spec[0] == '\0' || strspn(spec, ", ") ==
	    strlen(spec))
		return fail(err, errlen, "--variants is empty; give "
		    "comma-separated globs such as 'train.*.cpu' or "
		    "'*.fp32.*' ('stepbench list' shows every id)");
	if ((copy = strdup(spec)) == NULL)
		return fail(err, errlen, "out of memory");
	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		int matched = 0;

		for (const struct sb_variant *v = sb_variants; v->id != NULL;
		    v++) {
			int dup = 0;

			if (fnmatch(tok, v->id, 0) != 0)
				continue;
			matched = 1;
			for (int i = 0; i < l->count; i++)
				dup |= l->v[i] == v;
			if (dup)
				continue;
			if (l->count == SB_LIST_MAX) {
				rc = fail(err, errlen, "--variants: too many");
				goto out;
			}
			l->v[l->count++] = v;
		}
		if (!matched) {
			rc = fail(err, errlen, "--variants: '%s' matches no "
			    "variant; ids look like train.fp32.cpu or "
			    "infer.tf32.cublas ('stepbench list' shows them "
			    "all)", tok);
			goto out;
		}
	}
out:
	free(copy);
	return rc;
}

int
sb_parse_int_list(const char *name, const char *spec, int lo, int hi,
    struct sb_int_list *l, char *err, size_t errlen)
{
	const char *p = spec;

	l->count = 0;
	if (spec == NULL || spec[0] == '\0')
		return fail(err, errlen, "%s is empty; give integers %d..%d, "
		    "comma-separated", name, lo, hi);
	for (;;) {
		char *end;
		long v;

		errno = 0;
		if (!isdigit((unsigned char)*p))
			goto bad;
		v = strtol(p, &end, 10);
		if (errno != 0 || (*end != ',' && *end != '\0'))
			goto bad;
		if (v < lo || v > hi)
			return fail(err, errlen, "%s: %ld is out of range; "
			    "valid values are %d..%d", name, v, lo, hi);
		if (l->count == SB_LIST_MAX)
			return fail(err, errlen, "%s: too many values", name);
		l->v[l->count++] = (int)v;
		if (*end == '\0')
			return 0;
		p = end + 1;
	}
bad:
	return fail(err, errlen, "%s: '%s' is not a list of integers; write "
	    "e.g. 1 or 1,2,4 (valid values %d..%d)", name, spec, lo, hi);
}

int
sb_plan_build(struct sb_plan *p, const struct sb_variant_list *vars,
    const struct sb_shape_list *shapes, const struct sb_int_list *layers,
    const struct sb_int_list *world, enum sb_graph_mode gm, char *err,
    size_t errlen)
{
	int64_t total = 0;
	int n = 0;

	p->count = 0;
	p->points = NULL;
	for (int v = 0; v < vars->count; v++) {
		int graphs = vars->v[v]->backend == SB_BACKEND_GPU &&
		    gm == SB_GRAPH_BOTH ? 2 : 1;
		total += (int64_t)graphs * shapes->count * layers->count *
		    world->count;
	}
	if (total == 0)
		return fail(err, errlen, "the sweep has no points");
	if (total > SB_PLAN_MAX)
		return fail(err, errlen, "the sweep has %lld points, more than "
		    "%d; narrow --variants or --shapes", (long long)total,
		    SB_PLAN_MAX);
	if ((p->points = calloc((size_t)total, sizeof(*p->points))) == NULL)
		return fail(err, errlen, "out of memory");

	for (int v = 0; v < vars->count; v++) {
		const struct sb_variant *var = vars->v[v];
		int g0 = 0, g1 = 0;

		if (var->backend == SB_BACKEND_GPU) {
			g0 = gm == SB_GRAPH_ON;
			g1 = gm == SB_GRAPH_OFF ? 0 : 1;
		}
		for (int s = 0; s < shapes->count; s++)
			for (int l = 0; l < layers->count; l++)
				for (int w = 0; w < world->count; w++)
					for (int g = g0; g <= g1; g++) {
						struct sb_point *pt =
						    &p->points[n];

						pt->idx = n++;
						pt->variant = var;
						pt->shape = shapes->v[s];
						pt->layers = layers->v[l];
						pt->world = world->v[w];
						pt->graph = g;
					}
	}
	p->count = n;
	return 0;
}

void
sb_plan_free(struct sb_plan *p)
{
	free(p->points);
	p->points = NULL;
	p->count = 0;
}
