/*
 * harness/fingerprint_diff.c — see fingerprint_diff.h.  A small JSON
 * reader: an object becomes a list of (key, value text); values are
 * compared by their text, which is exact for the canonical form that
 * fingerprint.c writes (and conservative for any other).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fingerprint_diff.h"

#define FD_MAX_MEMBERS	64
#define FD_MAX_KERNELS	128
#define FD_KEY_LEN	64
#define FD_VAL_LEN	256

struct member {
	char		 key[FD_KEY_LEN];
	const char	*p;		/* the value's JSON text */
	size_t		 n;
};

struct object {
	int		 n;
	struct member	 m[FD_MAX_MEMBERS];
};

/* the words for a key */
static const struct {
	const char	*key, *label;
} labels[] = {
	{ "binary_version", "binary version" },
	{ "build_type", "build type" },
	{ "c_compiler", "C compiler" },
	{ "c_flags", "C flags" },
	{ "cc", "compute capability" },
	{ "cpu", "CPU" },
	{ "cublas", "cuBLAS" },
	{ "cublaslt", "cuBLASLt" },
	{ "cuda_archs", "CUDA architectures" },
	{ "cuda_runtime", "CUDA runtime" },
	{ "driver", "driver" },
	{ "gpu", "GPU" },
	{ "gpu_uuid", "GPU UUID" },
	{ "local_bytes", "local memory" },
	{ "max_threads", "max threads" },
	{ "nccl", "NCCL" },
	{ "nvcc", "nvcc" },
	{ "nvcc_flags", "nvcc flags" },
	{ "nvidia_tf32_override", "NVIDIA_TF32_OVERRIDE" },
	{ "options", "build options" },
	{ "ptx_version", "PTX version" },
	{ "regs", "registers" },
	{ "static_smem", "static shared memory" },
};

struct out {
	char	*s;
	size_t	 len, cap;
	int	 count;
	int	 full;		/* truncated: nothing more is written */
};

static const char *
ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

/* Past the string at p (at its '"'); its text unescaped into buf (\uXXXX
 * as '?': keys and versions are ASCII).  NULL if malformed. */
static const char *
string(const char *p, char *buf, size_t len)
{
	size_t n = 0;

	if (*p++ != '"')
		return NULL;
	for (; *p != '"'; p++) {
		char ch = *p;

		if (*p == '\0')
			return NULL;
		if (*p == '\\') {
			p++;
			switch (*p) {
			case 'n': ch = '\n'; break;
			case 't': ch = '\t'; break;
			case 'r': ch = '\r'; break;
			case 'b': ch = '\b'; break;
			case 'f': ch = '\f'; break;
			case 'u':
				for (int i = 1; i <= 4; i++)
					if (p[i] == '\0')
						return NULL;
				p += 4;
				ch = '?';
				break;
			case '\0':
				return NULL;
			default: ch = *p; break;
			}
		}
		if (buf != NULL && n + 1 < len)
			buf[n++] = ch;
	}
	if (buf != NULL && len > 0)
		buf[n] = '\0';
	return p + 1;
}

/* Past the value at p; NULL if malformed. */
static const char *
value(const char *p, int depth)
{
	p = ws(p);
	if (depth > 16)
		return NULL;
	if (*p == '"')
		return string(p, NULL, 0);
	if (*p == '{' || *p == '[') {
		char close = *p == '{' ? '}' : ']';

		p = ws(p + 1);
		if (*p == close)
			return p + 1;
		for (;;) {
			if (close == '}') {
				if ((p = string(ws(p), NULL, 0)) == NULL ||
				    *(p = ws(p)) != ':')
					return NULL;
				p++;
			}
			if ((p = value(p, depth + 1)) == NULL)
				return NULL;
			p = ws(p);
			if (*p == close)
				return p + 1;
			if (*p++ != ',')
				return NULL;
		}
	}
	if (strchr("-0123456789tfn", *p) == NULL || *p == '\0')
		return NULL;
	while (*p != '\0' && strchr("+-.0123456789eEtruefalsn", *p) != NULL)
		p++;
	return p;
}

/* The object at p into o; returns past it, or NULL. */
static const char *
object(const char *p, struct object *o)
{
	o->n = 0;
	if (*(p = ws(p)) != '{')
		return NULL;
	p = ws(p + 1);
	if (*p == '}')
		return p + 1;
	for (;;) {
		struct member *m = &o->m[o->n];
		const char *v;

		if (o->n == FD_MAX_MEMBERS)
			return NULL;
		if ((p = string(ws(p), m->key, sizeof(m->key))) == NULL ||
		    *(p = ws(p)) != ':')
			return NULL;
		v = ws(p + 1);
		if ((p = value(v, 0)) == NULL)
			return NULL;
		m->p = v;
		m->n = (size_t)(p - v);
		o->n++;
		p = ws(p);
		if (*p == '}')
			return p + 1;
		if (*p++ != ',')
			return NULL;
	}
}

static const struct member *
find(const struct object *o, const char *key)
{
	for (int i = 0; i < o->n; i++)
		if (strcmp(o->m[i].key, key) == 0)
			return &o->m[i];
	return NULL;
}

static const char *
label(const char *key)
{
	for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
		if (strcmp(labels[i].key, key) == 0)
			return labels[i].label;
	return key;
}

/* A value for the reader: a string's text, else the JSON text. */
static void
show(const struct member *m, char *buf, size_t len)
{
	if (m == NULL)
		snprintf(buf, len, "(none)");
	else if (m->p[0] == '"')
		(void)string(m->p, buf, len);
	else
		snprintf(buf, len, "%.*s", (int)m->n, m->p);
}

static void
emit(struct out *o, const char *text)
{
	int w;

	o->count++;
	if (o->cap == 0 || o->full)
		return;
	w = snprintf(o->s + o->len, o->cap - o->len, "%s%s",
	    o->len > 0 ? "; " : "", text);
	if (w < 0 || (size_t)w >= o->cap - o->len) {
		/* keep what fits and say that more followed */
		o->full = 1;
		if (o->cap >= 4)
			memcpy(o->s + o->cap - 4, "...", 4);
		o->len = o->cap - 1;
		return;
	}
	o->len += (size_t)w;
}

static int
same(const struct member *x, const struct member *y)
{
	return x != NULL && y != NULL && x->n == y->n &&
	    memcmp(x->p, y->p, x->n) == 0;
}

/* Compares the members of two objects (in a's order, then b's extras);
 * of: "" at the top level, else " of <kernel>". */
static void
compare(const struct object *a, const struct object *b, const char *of,
    const char *skip, struct out *o)
{
	char va[FD_VAL_LEN], vb[FD_VAL_LEN];
	/* a label, " of " a kernel name, and the two values */
	char line[FD_KEY_LEN + 4 * FD_VAL_LEN + 16];

	for (int pass = 0; pass < 2; pass++) {
		const struct object *x = pass == 0 ? a : b;

		for (int i = 0; i < x->n; i++) {
			const char *key = x->m[i].key;
			const struct member *ma = find(a, key),
			    *mb = find(b, key);

			if ((skip != NULL && strcmp(key, skip) == 0) ||
			    (pass == 1 && ma != NULL) || same(ma, mb))
				continue;
			show(ma, va, sizeof(va));
			show(mb, vb, sizeof(vb));
			snprintf(line, sizeof(line), "%s%s %s vs %s",
			    label(key), of, va, vb);
			emit(o, line);
		}
	}
}

/* The kernels array of m into objects; the count, or -1. */
static int
kernels(const struct member *m, struct object *k, int cap)
{
	const char *p;
	int n = 0;

	if (m == NULL)
		return 0;
	if (*(p = ws(m->p)) != '[')
		return -1;
	p = ws(p + 1);
	if (*p == ']')
		return 0;
	for (;;) {
		if (n == cap || (p = object(p, &k[n])) == NULL)
			return -1;
		n++;
		p = ws(p);
		if (*p == ']')
			return n;
		if (*p++ != ',')
			return -1;
	}
}

static void
kernel_name(const struct object *k, char *buf, size_t len)
{
	show(find(k, "name"), buf, len);
}

int
sb_fingerprint_diff(const char *a, const char *b, char *out, size_t outlen)
{
	struct object *oa = NULL, *ob = NULL, *ka = NULL, *kb = NULL;
	struct out o = { out, 0, outlen, 0, 0 };
	int na, nb, rc = -1;

	if (outlen > 0)
		out[0] = '\0';
	if ((oa = malloc(sizeof(*oa))) == NULL ||
	    (ob = malloc(sizeof(*ob))) == NULL ||
	    (ka = calloc(FD_MAX_KERNELS, sizeof(*ka))) == NULL ||
	    (kb = calloc(FD_MAX_KERNELS, sizeof(*kb))) == NULL) {
		if (outlen > 0)
			snprintf(out, outlen, "out of memory");
		goto done;
	}
	if (a == NULL || object(a, oa) == NULL) {
		if (outlen > 0)
			snprintf(out, outlen, "the first fingerprint is not a "
			    "JSON object");
		goto done;
	}
	if (b == NULL || object(b, ob) == NULL) {
		if (outlen > 0)
			snprintf(out, outlen, "the second fingerprint is not a "
			    "JSON object");
		goto done;
	}
	compare(oa, ob, "", "kernels", &o);
	na = kernels(find(oa, "kernels"), ka, FD_MAX_KERNELS);
	nb = kernels(find(ob, "kernels"), kb, FD_MAX_KERNELS);
	if (na < 0 || nb < 0) {
		/* not an array of objects: compare the text */
		const struct member *x = find(oa, "kernels"),
		    *y = find(ob, "kernels");

		if (!same(x, y) && (x != NULL || y != NULL))
			emit(&o, "kernels differ (not comparable kernel by "
			    "kernel)");
		rc = o.count;
		goto done;
	}
	for (int pass = 0; pass < 2; pass++) {
		struct object *x = pass == 0 ? ka : kb, *y = pass == 0 ? kb : ka;
		int nx = pass == 0 ? na : nb, ny = pass == 0 ? nb : na;

		for (int i = 0; i < nx; i++) {
			char name[FD_VAL_LEN], other[FD_VAL_LEN];
			char line[FD_VAL_LEN + 64], of[FD_VAL_LEN + 8];
			int j;

			kernel_name(&x[i], name, sizeof(name));
			for (j = 0; j < ny; j++) {
				kernel_name(&y[j], other, sizeof(other));
				if (strcmp(name, other) == 0)
					break;
			}
			if (j == ny) {
				snprintf(line, sizeof(line), "kernel %s only in "
				    "the %s", name, pass == 0 ? "first" :
				    "second");
				emit(&o, line);
			} else if (pass == 0) {
				snprintf(of, sizeof(of), " of %s", name);
				compare(&x[i], &y[j], of, "name", &o);
			}
		}
	}
	rc = o.count;
done:
	free(oa);
	free(ob);
	free(ka);
	free(kb);
	return rc;
}
