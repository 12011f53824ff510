/*
 * harness/fingerprint.c — a point's provenance as canonical JSON and its
 * FNV-1a 64 (fingerprint.h).  The text is built as (key, rendered value)
 * pairs, sorted, then joined: the order of the code below does not matter.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build_info.h"
#include "comm.h"
#include "device.h"
#include "engine.h"
#include "fingerprint.h"

#define FP_MAX_KEYS	24

/* A growable string; oom sticks. */
struct buf {
	char	*s;
	size_t	 len, cap;
	int	 oom;
};

struct pair {
	const char	*key;
	char		*val;		/* rendered JSON, malloc'ed */
};

static void	put(struct buf *, const char *, size_t);
static void	puts_(struct buf *, const char *);
static void	put_str(struct buf *, const char *);
static void	put_int(struct buf *, int64_t);
static char	*take(struct buf *);
static int	cmp_pair(const void *, const void *);
static int	cmp_text(const void *, const void *);

uint64_t
sb_fnv1a64(const void *s, size_t n)
{
	const unsigned char *p = s;
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

void
sb_fingerprint_hex(const char *json, char hex[17])
{
	snprintf(hex, 17, "%016" PRIx64, sb_fnv1a64(json, strlen(json)));
}

static void
put(struct buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *t;

		while (cap < b->len + n + 1)
			cap *= 2;
		if ((t = realloc(b->s, cap)) == NULL) {
			b->oom = 1;
			return;
		}
		b->s = t;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void
puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

/* s as a JSON string; NULL as null. */
static void
put_str(struct buf *b, const char *s)
{
	if (s == NULL) {
		puts_(b, "null");
		return;
	}
	put(b, "\"", 1);
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;
		char esc[8];

		if (ch == '"' || ch == '\\') {
			esc[0] = '\\';
			esc[1] = (char)ch;
			put(b, esc, 2);
		} else if (ch < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", ch);
			puts_(b, esc);
		} else
			put(b, s, 1);
	}
	put(b, "\"", 1);
}

/* v, or null when negative (not known) */
static void
put_int(struct buf *b, int64_t v)
{
	char t[24];

	if (v < 0) {
		puts_(b, "null");
		return;
	}
	snprintf(t, sizeof(t), "%" PRId64, v);
	puts_(b, t);
}

/* The text (the caller frees it), or NULL after a failed allocation. */
static char *
take(struct buf *b)
{
	if (b->oom || b->s == NULL) {
		free(b->s);
		return b->oom ? NULL : strdup("");
	}
	return b->s;
}

static int
cmp_pair(const void *x, const void *y)
{
	return strcmp(((const struct pair *)x)->key,
	    ((const struct pair *)y)->key);
}

static int
cmp_text(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* "13.0" from CUDA's 13000; NULL (key left out) for 0 */
static char *
cuda_version(int v, char *t, size_t n)
{
	if (v <= 0)
		return NULL;
	snprintf(t, n, "%d.%d", v / 1000, (v % 1000) / 10);
	return t;
}

/* "13.1.0" from 130100 (cuBLAS, cuBLASLt, NCCL's x10000 + x100 + patch) */
static char *
lib_version(int64_t v, char *t, size_t n)
{
	if (v <= 0)
		return NULL;
	snprintf(t, n, "%" PRId64 ".%" PRId64 ".%" PRId64, v / 10000,
	    (v / 100) % 100, v % 100);
	return t;
}

static int
add_str(struct pair *p, int *np, const char *key, const char *val)
{
	struct buf b = { 0 };

	if (val == NULL)
		return 0;
	put_str(&b, val);
	if ((p[*np].val = take(&b)) == NULL)
		return -1;
	p[(*np)++].key = key;
	return 0;
}

/* The kernels array: one object per distinct launch description, sorted
 * (two layers calling one kernel describe it twice, identically). */
static char *
kernels_json(const struct db_launch *l, int n)
{
	char **obj;
	struct buf b = { 0 };
	int m = 0;

	if ((obj = calloc(n > 0 ? (size_t)n : 1, sizeof(*obj))) == NULL)
		return NULL;
	for (int i = 0; i < n; i++) {
		struct buf k = { 0 };

		/* keys in sorted order */
		puts_(&k, "{\"binary_version\":");
		put_int(&k, l[i].binary_version);
		puts_(&k, ",\"local_bytes\":");
		put_int(&k, l[i].local_bytes);
		puts_(&k, ",\"max_threads\":");
		put_int(&k, l[i].max_threads);
		puts_(&k, ",\"name\":");
		put_str(&k, l[i].name);
		puts_(&k, ",\"ptx_version\":");
		put_int(&k, l[i].ptx_version);
		puts_(&k, ",\"regs\":");
		put_int(&k, l[i].regs);
		puts_(&k, ",\"static_smem\":");
		put_int(&k, l[i].static_smem);
		puts_(&k, "}");
		if ((obj[m] = take(&k)) == NULL)
			goto oom;
		m++;
	}
	qsort(obj, (size_t)m, sizeof(*obj), cmp_text);
	puts_(&b, "[");
	for (int i = 0, first = 1; i < m; i++) {
		if (i > 0 && strcmp(obj[i], obj[i - 1]) == 0)
			continue;
		if (!first)
			puts_(&b, ",");
		puts_(&b, obj[i]);
		first = 0;
	}
	puts_(&b, "]");
	for (int i = 0; i < m; i++)
		free(obj[i]);
	free(obj);
	return take(&b);
oom:
	for (int i = 0; i < m; i++)
		free(obj[i]);
	free(obj);
	free(b.s);
	return NULL;
}

char *
sb_fingerprint_json(const struct sb_fp_input *in)
{
	struct pair p[FP_MAX_KEYS];
	struct buf b = { 0 };
	char v[5][32];
	int np = 0, rc = 0;

	rc |= add_str(p, &np, "build_type", in->build_type);
	rc |= add_str(p, &np, "options", in->options);
	if (in->gpu == NULL) {
		rc |= add_str(p, &np, "cpu", in->cpu);
		rc |= add_str(p, &np, "c_compiler", in->c_compiler);
		rc |= add_str(p, &np, "c_flags", in->c_flags);
	} else {
		rc |= add_str(p, &np, "gpu", in->gpu);
		rc |= add_str(p, &np, "gpu_uuid", in->gpu_uuid);
		rc |= add_str(p, &np, "cc", in->cc);
		rc |= add_str(p, &np, "driver",
		    cuda_version(in->driver, v[0], sizeof(v[0])));
		rc |= add_str(p, &np, "cuda_runtime",
		    cuda_version(in->runtime, v[1], sizeof(v[1])));
		rc |= add_str(p, &np, "cublas",
		    lib_version(in->cublas, v[2], sizeof(v[2])));
		rc |= add_str(p, &np, "cublaslt",
		    lib_version(in->cublaslt, v[3], sizeof(v[3])));
		rc |= add_str(p, &np, "nccl",
		    lib_version(in->nccl, v[4], sizeof(v[4])));
		if (in->nvidia_driver != NULL && in->nvidia_driver[0] != '\0')
			rc |= add_str(p, &np, "nvidia_driver",
			    in->nvidia_driver);
		if (in->tf32_override != NULL && in->tf32_override[0] != '\0')
			rc |= add_str(p, &np, "nvidia_tf32_override",
			    in->tf32_override);
		rc |= add_str(p, &np, "nvcc", in->nvcc);
		rc |= add_str(p, &np, "nvcc_flags", in->nvcc_flags);
		rc |= add_str(p, &np, "cuda_archs", in->cuda_archs);
		if (rc == 0) {
			if ((p[np].val = kernels_json(in->launch,
			    in->nlaunch)) == NULL)
				rc = -1;
			else
				p[np++].key = "kernels";
		}
	}
	if (rc == 0) {
		qsort(p, (size_t)np, sizeof(p[0]), cmp_pair);
		puts_(&b, "{");
		for (int i = 0; i < np; i++) {
			if (i > 0)
				puts_(&b, ",");
			put_str(&b, p[i].key);
			puts_(&b, ":");
			puts_(&b, p[i].val);
		}
		puts_(&b, "}");
	}
	for (int i = 0; i < np; i++)
		free(p[i].val);
	if (rc != 0) {
		free(b.s);
		return NULL;
	}
	return take(&b);
}

int
sb_fingerprint_outcome(struct sb_outcome *o, const struct sb_device *dev,
    int gpu, int uses_nccl)
{
	struct sb_fp_input in;
	char cc[16] = "";
	char *json;

	memset(&in, 0, sizeof(in));
	in.build_type = SB_BUILD_TYPE;
	in.options = SB_OPTIONS;
	if (gpu && dev->gpu_count > 0) {
		/* this process's GPU (harness/comm.c: one per local rank) */
		const struct sb_gpu_info *g = &dev->gpu[sb_comm_local_rank() %
		    dev->gpu_count];

		snprintf(cc, sizeof(cc), "%d.%d", g->cc_major, g->cc_minor);
		in.gpu = g->name;
		in.gpu_uuid = g->uuid[0] != '\0' ? g->uuid : NULL;
		in.cc = cc;
	} else if (gpu) {
		in.gpu = "none";	/* a skipped GPU row: no GPU here */
	}
	if (in.gpu != NULL) {
		in.driver = dev->driver_version;
		in.runtime = dev->runtime_version;
		in.cublas = dev->cublas_version;
		in.cublaslt = (int64_t)dev->cublaslt_version;
		in.nccl = uses_nccl ? dev->nccl_version : 0;
		in.tf32_override = dev->tf32_override;
		in.nvidia_driver = dev->kernel_driver;
		in.nvcc = SB_CUDA_COMPILER;
		in.nvcc_flags = SB_CUDA_FLAGS;
		in.cuda_archs = SB_CUDA_ARCHS;
		in.launch = o->r.launch_info;
		in.nlaunch = o->r.launch_info != NULL ? o->r.nlaunch_info : 0;
	} else {
		in.cpu = dev->cpu_model;
		in.c_compiler = SB_C_COMPILER;
		in.c_flags = SB_C_FLAGS;
	}
	o->r.fingerprint = o->r.fingerprint_json = NULL;
	free(o->fingerprint_json);
	o->fingerprint_json = NULL;
	if ((json = sb_fingerprint_json(&in)) == NULL)
		return -1;
	o->fingerprint_json = json;
	sb_fingerprint_hex(json, o->fingerprint);
	o->r.fingerprint = o->fingerprint;
	o->r.fingerprint_json = o->fingerprint_json;
	return 0;
}
