/*
 * harness/gemm_bench.c — `stepbench gemm`'s plan and its measuring of one
 * point on the GPU (see gemm_bench.h).
 *
 * Design notes:
 *  1. Nothing here touches CUDA before a point has passed its skips, so a
 *     machine without a GPU plans, skips and stores every point (the CLI
 *     test relies on it).
 *  2. The timed region is one GEMM call between two events on the bench's
 *     stream; the L2 flush (a memset of twice the L2) runs before the start
 *     event.  The loop and its stopping rule are the engine's
 *     (sb_sample_until), so both commands stop on the same terms.
 *  3. A CUDA error that poisons the context is sticky: the point becomes a
 *     failed row and the run stops.  Other errors fail the point only.
 *  4. The GPU path compiles here but has never run on a GPU as written;
 *     tests/cli/gemm.sh covers the plan and the no-GPU rows only.
 */
#include <fnmatch.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cuda_runtime.h>

#include "engine_int.h"
#include "fingerprint.h"
#include "gemm_bench.h"
#include "gemm_cublaslt.h"
#include "gemm_h16.h"
#include "gemm_host.h"
#include "gemm_s8.h"
#include "gpu.h"
#include "half.h"
#include "launch.h"
#include "prof.h"
#include "rng.h"

#define PLAN_MAX	100000
#define ALIGN		256
#define BLAS_WS_BYTES	(32u << 20)
#define HOST_MEM_SHARE	0.8
#define DEV_MEM_SHARE	0.9

struct sb_gemm_bench {
	const struct sb_device	*dev;
	int			 ready;
	int			 sticky;
	struct sb_gpu		 g;
	void			*flush;
	size_t			 flush_bytes;
	unsigned		 flush_byte;
	cudaEvent_t		 start, end;
	char			 err[512];
};

/* One point in flight.  A and B live on the host as floats (rounded to
 * the input type for a half kernel: what the reference uses) and on the
 * device in the input type; hc is C as read back, in its own type. */
struct gemm_point {
	struct sb_gemm_bench		*b;
	const struct sb_gemm_point	*pt;
	const struct sb_engine_opts	*op;
	struct sb_gemm_shape		 sh;
	struct sb_gemm_call		 call;		/* float family */
	struct sb_hgemm_call		 hcall;		/* half kernels */
	struct sb_igemm_call		 icall;		/* int8 kernels */
	struct sb_gemm_s8_epi		 epi;		/* int8, f32 C */
	float				*hbias;		/* its bias, host */
	int8_t				*qa, *qb;	/* int8, host */
	struct sb_gemm_tol		 tol;
	size_t				 in_size, out_size;	/* bytes */
	void				*base;		/* device: A, B, C */
	void				*da, *db, *dc;
	float				*ha, *hb;	/* host, as floats */
	void				*hc;		/* host, C's type */
	void				*stage;		/* 16-bit upload */
	int64_t				 launches;	/* by one call */
};

static int	match_kernel(const char *, const struct sb_gemm_kernel *);
static void	types_text(unsigned, char *, size_t);
static int	fail(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static int	cuda_fail(struct sb_gemm_bench *, const char *, int,
		    const char *, cudaError_t);
static int	bench_init(struct sb_gemm_bench *);
static int	call_gemm(struct gemm_point *);
static int	checked(struct gemm_point *, struct sb_gemm_verdict *);
static int	sample_call(void *, int, double *);
static int	measure(struct gemm_point *, struct sb_outcome *);
static void	algo_row(struct gemm_point *, struct sb_outcome *);
static void	point_free(struct gemm_point *);
static size_t	aligned(int64_t, size_t);
static int	upload(struct gemm_point *, void *, const float *, int64_t);
static int	s8_setup(struct gemm_point *, uint64_t, char *, size_t);

#define CK(b, call) do {						\
	cudaError_t ck_ = (call);					\
	if (ck_ != cudaSuccess)						\
		return cuda_fail((b), __FILE__, __LINE__, #call, ck_);	\
} while (0)

static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* --- the plan -------------------------------------------------------- */

int
sb_gemm_kernels_all(struct sb_gemm_kernel *out, int cap)
{
	static const enum sb_dtype half[2] = { SB_DT_F16, SB_DT_BF16 };
	int n = 0;

	for (int i = 0; sb_gemms_f32[i] != NULL; i++, n++)
		if (n < cap) {
			memset(&out[n], 0, sizeof(out[n]));
			out[n].f32 = sb_gemms_f32[i];
			out[n].in = SB_DT_F32;
			out[n].type = sb_gemms_f32[i]->precision;
			out[n].name = sb_gemms_f32[i]->name;
			out[n].min_cc = sb_gemms_f32[i]->min_cc;
		}
	for (int t = 0; t < 2; t++)
		for (int i = 0; sb_hgemms[i] != NULL; i++, n++)
			if (n < cap) {
				memset(&out[n], 0, sizeof(out[n]));
				out[n].h16 = sb_hgemms[i];
				out[n].in = half[t];
				out[n].type = sb_dtype_name(half[t]);
				out[n].name = sb_hgemms[i]->name;
				out[n].min_cc = sb_hgemms[i]->min_cc;
			}
	for (int i = 0; sb_igemms[i] != NULL; i++, n++)
		if (n < cap) {
			memset(&out[n], 0, sizeof(out[n]));
			out[n].s8 = sb_igemms[i];
			out[n].in = SB_DT_S8;
			out[n].type = sb_dtype_name(SB_DT_S8);
			out[n].name = sb_igemms[i]->name;
			out[n].min_cc = sb_igemms[i]->min_cc;
		}
	return n;
}

int
sb_gemm_kernel_equal(const struct sb_gemm_kernel *x,
    const struct sb_gemm_kernel *y)
{
	return x->f32 == y->f32 && x->h16 == y->h16 && x->s8 == y->s8 &&
	    x->in == y->in;
}

void
sb_gemm_kernel_names(char *buf, size_t len)
{
	struct sb_gemm_kernel all[SB_GEMM_MAX_KERNELS];
	int count = sb_gemm_kernels_all(all, SB_GEMM_MAX_KERNELS);
	size_t n = 0;

	buf[0] = '\0';
	for (int i = 0; i < count && i < SB_GEMM_MAX_KERNELS && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s.%s",
		    i > 0 ? ", " : "", all[i].type, all[i].name);
}

/* glob matches "<type>.<name>", the name, or "gemm.<type>.<name>" */
static int
match_kernel(const char *glob, const struct sb_gemm_kernel *k)
{
	char full[SB_GEMM_ID_LEN + 8], pn[SB_GEMM_ID_LEN];

	(void)snprintf(pn, sizeof(pn), "%s.%s", k->type, k->name);
	(void)snprintf(full, sizeof(full), "gemm.%s", pn);
	return fnmatch(glob, pn, 0) == 0 || fnmatch(glob, k->name, 0) == 0 ||
	    fnmatch(glob, full, 0) == 0;
}

/* "f32,bf16" from a mask */
static void
types_text(unsigned types, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int t = 0; t < SB_DT_COUNT && n < len; t++)
		if (types & (1u << t))
			n += (size_t)snprintf(buf + n, len - n, "%s%s",
			    n > 0 ? "," : "", sb_dtype_name((enum sb_dtype)t));
}

int
sb_gemm_parse_types(const char *spec, unsigned *types, char *err,
    size_t errlen)
{
	char *copy, *save = NULL, *tok;
	int rc = 0;

	*types = 0;
	if (spec == NULL || spec[0] == '\0' || spec[0] == ',' ||
	    spec[strlen(spec) - 1] == ',' || strstr(spec, ",,") != NULL)
		return fail(err, errlen, "--types: '%s' has an empty item; "
		    "give f32, f16, bf16 or s8, comma-separated",
		    spec != NULL ? spec : "");
	if ((copy = strdup(spec)) == NULL)
		return fail(err, errlen, "out of memory");
	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		int t;

		for (t = 0; t < SB_DT_COUNT; t++)
			if (t != SB_DT_S32 && strcmp(tok,
			    sb_dtype_name((enum sb_dtype)t)) == 0)
				break;
		if (t == SB_DT_COUNT) {
			rc = fail(err, errlen, "--types: '%s' is not a type; "
			    "give f32 (the float kernels, tf32 included), f16 "
			    "or bf16 (the half kernels' inputs) or s8 (the "
			    "int8 kernels), comma-separated", tok);
			goto out;
		}
		*types |= 1u << t;
	}
out:
	free(copy);
	return rc;
}

int
sb_gemm_parse_out(const char *spec, int *out, char *err, size_t errlen)
{
	if (spec != NULL && strcmp(spec, "f32") == 0)
		*out = SB_GEMM_OUT_F32;
	else if (spec != NULL && strcmp(spec, "half") == 0)
		*out = SB_GEMM_OUT_HALF;
	else if (spec != NULL && strcmp(spec, "s32") == 0)
		*out = SB_GEMM_OUT_S32;
	else
		return fail(err, errlen, "--out: '%s' is not an output type; "
		    "give half (C in the input type, as the autocast step's "
		    "GEMMs), f32 (an fp32 C; the s8 kernels dequantise) or "
		    "s32 (the s8 kernels' int32 sums)",
		    spec != NULL ? spec : "");
	return 0;
}

int
sb_gemm_check_out(const struct sb_gemm_selection *sel, int out, char *err,
    size_t errlen)
{
	const char *other = NULL, *s8 = NULL;

	for (int i = 0; i < sel->count; i++) {
		if (sel->k[i].s8 != NULL)
			s8 = sel->k[i].name;
		else if (other == NULL)
			other = sel->k[i].type;
	}
	if (out == SB_GEMM_OUT_S32 && other != NULL)
		return fail(err, errlen, "--out s32: only the s8 kernels write "
		    "int32, and the selection has %s kernels; give --types s8, "
		    "or --out half or f32", other);
	if (out == SB_GEMM_OUT_HALF && s8 != NULL)
		return fail(err, errlen, "--out half: the s8 kernels (s8.%s) "
		    "write s32 (their int32 sums, the default) or f32 "
		    "(dequantised); give --out s32 or f32", s8);
	return 0;
}

int
sb_gemm_parse_kernels(const char *spec, unsigned types,
    struct sb_gemm_selection *sel, char *err, size_t errlen)
{
	struct sb_gemm_kernel all[SB_GEMM_MAX_KERNELS];
	unsigned char chosen[SB_GEMM_MAX_KERNELS] = { 0 };
	char names[2048], want[32], *copy, *save = NULL, *tok;
	int rc = 0, count;

	sel->count = 0;
	sb_gemm_kernel_names(names, sizeof(names));
	if (spec == NULL || strspn(spec, ", ") == strlen(spec))
		return fail(err, errlen, "--kernels is empty; give "
		    "comma-separated globs over %s", names);
	count = sb_gemm_kernels_all(all, SB_GEMM_MAX_KERNELS);
	if (count > SB_GEMM_MAX_KERNELS)
		return fail(err, errlen, "the kernel catalogue has %d entries, "
		    "more than %d: raise SB_GEMM_MAX_KERNELS", count,
		    SB_GEMM_MAX_KERNELS);
	if ((copy = strdup(spec)) == NULL)
		return fail(err, errlen, "out of memory");
	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		int matched = 0, kept = 0;

		for (int i = 0; i < count; i++) {
			if (!match_kernel(tok, &all[i]))
				continue;
			matched = 1;
			if (types & (1u << all[i].in))
				kept = chosen[i] = 1;
		}
		if (!matched) {
			rc = fail(err, errlen, "--kernels: '%s' matches no "
			    "kernel of this build; kernels are %s (a glob "
			    "matches <type>.<name>, the name, or "
			    "gemm.<type>.<name>)", tok, names);
			goto out;
		}
		if (!kept) {
			types_text(types, want, sizeof(want));
			rc = fail(err, errlen, "--kernels: '%s' matches no "
			    "kernel of --types %s; kernels are %s", tok, want,
			    names);
			goto out;
		}
	}
	/* catalogue order, whatever the order of the globs */
	for (int i = 0; i < count; i++)
		if (chosen[i])
			sel->k[sel->count++] = all[i];
out:
	free(copy);
	return rc;
}

int
sb_gemm_parse_layouts(const char *spec, enum sb_layout *layouts,
    int *count, char *err, size_t errlen)
{
	char *copy, *save = NULL, *tok;
	int rc = 0;

	*count = 0;
	if (spec == NULL || spec[0] == '\0' || spec[0] == ',' ||
	    spec[strlen(spec) - 1] == ',' || strstr(spec, ",,") != NULL)
		return fail(err, errlen, "--layouts: '%s' has an empty item; "
		    "give nt, tn or nn, comma-separated", spec ? spec : "");
	if ((copy = strdup(spec)) == NULL)
		return fail(err, errlen, "out of memory");
	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		enum sb_layout l = SB_LAYOUT_COUNT;
		int dup = 0;

		for (int i = 0; i < SB_LAYOUT_COUNT; i++)
			if (strcmp(tok, sb_layout_name((enum sb_layout)i)) ==
			    0)
				l = (enum sb_layout)i;
		if (l == SB_LAYOUT_COUNT) {
			rc = fail(err, errlen, "--layouts: '%s' is not a "
			    "layout; give nt (C = A.B^T), tn (C = A^T.B) or nn "
			    "(C = A.B), comma-separated", tok);
			goto out;
		}
		for (int i = 0; i < *count; i++)
			dup |= layouts[i] == l;
		if (!dup)
			layouts[(*count)++] = l;
	}
out:
	free(copy);
	return rc;
}

int
sb_gemm_parse_sizes(const char *spec, struct sb_shape_list *l, char *err,
    size_t errlen)
{
	static const char step_words[] = " (batch x out x in)";
	char msg[512], *w;

	if (sb_parse_shapes(spec, l, msg, sizeof(msg)) == 0)
		return 0;
	/* The sweep grammar speaks of --shapes of a Linear layer. */
	if ((w = strstr(msg, step_words)) != NULL)
		memmove(w, w + strlen(step_words), strlen(w) -
		    strlen(step_words) + 1);
	if (strncmp(msg, "--shapes", 8) == 0)
		return fail(err, errlen, "--sizes%s (for a GEMM, C is MxN and "
		    "K the reduction)", msg + 8);
	return fail(err, errlen, "%s", msg);
}

int
sb_gemm_baseline_of(const struct sb_gemm_kernel *k,
    struct sb_gemm_kernel *base)
{
	struct sb_gemm_kernel all[SB_GEMM_MAX_KERNELS];
	int count = sb_gemm_kernels_all(all, SB_GEMM_MAX_KERNELS);

	/* int8: cuBLASLt s8 (cuBLAS's own int8 GEMM is cuBLASLt's) */
	for (int i = 0; i < count && i < SB_GEMM_MAX_KERNELS; i++)
		if (strcmp(all[i].name, k->s8 != NULL ? "cublaslt" :
		    "cublas") == 0 &&
		    (all[i].f32 != NULL) == (k->f32 != NULL) &&
		    (all[i].s8 != NULL) == (k->s8 != NULL) &&
		    strcmp(all[i].type, k->type) == 0) {
			*base = all[i];
			return 0;
		}
	return -1;
}

enum sb_dtype
sb_gemm_out_type(const struct sb_gemm_kernel *k, int out)
{
	if (k->s8 != NULL)
		return out == SB_GEMM_OUT_F32 ? SB_DT_F32 : SB_DT_S32;
	return k->h16 != NULL && out != SB_GEMM_OUT_F32 ? k->in : SB_DT_F32;
}

int
sb_gemm_plan_build(struct sb_gemm_plan *p,
    const struct sb_gemm_selection *sel, const enum sb_layout *layouts,
    int nlayouts, const struct sb_shape_list *sizes, int64_t pad,
    int out, char *err, size_t errlen)
{
	struct sb_gemm_kernel order[2 * SB_GEMM_MAX_KERNELS], base;
	int auto_base[2 * SB_GEMM_MAX_KERNELS];
	int64_t total = 0;
	int norder = 0, n = 0, has_nt = 0, s8 = 0;

	p->count = 0;
	p->points = NULL;
	for (int l = 0; l < nlayouts; l++)
		has_nt |= layouts[l] == SB_NT;
	for (int i = 0; i < sel->count; i++)
		s8 |= sel->k[i].s8 != NULL;
	if (s8 && !has_nt)
		return fail(err, errlen, "--layouts has no nt, and the s8 "
		    "kernels have only layout nt (int8 tensor cores take both "
		    "operands K-major); add nt to --layouts, or drop s8 from "
		    "--types");
	/* Per (size, layout): the baselines first, then the rest. */
	for (int i = 0; i < sel->count; i++) {
		int have = 0;

		if (sb_gemm_baseline_of(&sel->k[i], &base) != 0)
			continue;
		for (int j = 0; j < norder; j++)
			have |= sb_gemm_kernel_equal(&order[j], &base);
		if (have)
			continue;
		order[norder] = base;
		auto_base[norder] = 1;
		for (int j = 0; j < sel->count; j++)
			if (sb_gemm_kernel_equal(&sel->k[j], &base))
				auto_base[norder] = 0;
		norder++;
	}
	for (int i = 0; i < sel->count; i++) {
		int have = 0;

		for (int j = 0; j < norder; j++)
			have |= sb_gemm_kernel_equal(&order[j], &sel->k[i]);
		if (!have) {
			order[norder] = sel->k[i];
			auto_base[norder++] = 0;
		}
	}
	for (int l = 0; l < nlayouts; l++)
		for (int o = 0; o < norder; o++)
			total += order[o].s8 == NULL || layouts[l] == SB_NT;
	total *= sizes->count;
	if (total == 0)
		return fail(err, errlen, "the plan has no points");
	if (total > PLAN_MAX)
		return fail(err, errlen, "the plan has %lld points, more than "
		    "%d; narrow --kernels, --types, --layouts or --sizes",
		    (long long)total, PLAN_MAX);
	if ((p->points = calloc((size_t)total, sizeof(*p->points))) == NULL)
		return fail(err, errlen, "out of memory");

	for (int s = 0; s < sizes->count; s++) {
		for (int l = 0; l < nlayouts; l++) {
			int first = n;

			for (int o = 0; o < norder; o++) {
				struct sb_gemm_point *pt = &p->points[n];
				int has_base = sb_gemm_baseline_of(&order[o],
				    &base) == 0;

				/* int8: K-major operands only */
				if (order[o].s8 != NULL &&
				    layouts[l] != SB_NT)
					continue;
				pt->idx = n++;
				pt->kern = order[o];
				pt->out = sb_gemm_out_type(&order[o], out);
				pt->layout = layouts[l];
				pt->m = sizes->v[s].m;
				pt->n = sizes->v[s].n;
				pt->k = sizes->v[s].k;
				pt->pad = pad;
				pt->auto_baseline = auto_base[o];
				pt->baseline_idx = -1;
				for (int q = first; has_base &&
				    !sb_gemm_kernel_equal(&base, &order[o]) &&
				    q < pt->idx; q++)
					if (sb_gemm_kernel_equal(
					    &p->points[q].kern, &base))
						pt->baseline_idx = q;
				if ((order[o].h16 != NULL ||
				    order[o].s8 != NULL) &&
				    pt->out == SB_DT_F32)
					(void)snprintf(pt->precision,
					    sizeof(pt->precision), "%s-f32",
					    order[o].type);
				else
					(void)snprintf(pt->precision,
					    sizeof(pt->precision), "%s",
					    order[o].type);
				(void)snprintf(pt->id, sizeof(pt->id),
				    "gemm.%s.%s.%s", pt->precision,
				    order[o].name,
				    sb_layout_name(layouts[l]));
			}
		}
	}
	p->count = n;
	return 0;
}

void
sb_gemm_plan_free(struct sb_gemm_plan *p)
{
	free(p->points);
	p->points = NULL;
	p->count = 0;
}

/* --- measuring ------------------------------------------------------- */

static int
cuda_fail(struct sb_gemm_bench *b, const char *file, int line,
    const char *what, cudaError_t e)
{
	return sb_cuda_fail(b->err, sizeof(b->err), &b->sticky, file, line,
	    what, (int)e);
}

int
sb_gemm_bench_create(struct sb_gemm_bench **out, const struct sb_device *dev)
{
	struct sb_gemm_bench *b;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return -1;
	b->dev = dev;
	*out = b;
	return 0;
}

void
sb_gemm_bench_destroy(struct sb_gemm_bench *b)
{
	if (b == NULL)
		return;
	if (b->ready && !b->sticky) {
		sb_gpu_blas_fini(&b->g);
		cudaFree(b->flush);
		cudaEventDestroy(b->start);
		cudaEventDestroy(b->end);
		cudaStreamDestroy(b->g.stream);
	}
	free(b);
}

/* The stream, events, flush buffer and cuBLAS, once, at the first point
 * that gets this far. */
static int
bench_init(struct sb_gemm_bench *b)
{
	if (b->ready)
		return 0;
	{
		/* the device harness/comm.c chose for this process (its
		 * local rank's under mpirun/srun; else device 0) */
		int dev = 0;

		CK(b, cudaGetDevice(&dev));
		CK(b, cudaSetDevice(dev));
	}
	CK(b, cudaStreamCreateWithFlags(&b->g.stream, cudaStreamNonBlocking));
	prof_name_stream(b->g.stream, "compute");
	CK(b, cudaEventCreate(&b->start));
	CK(b, cudaEventCreate(&b->end));
	b->flush_bytes = 2 * (size_t)b->dev->gpu[0].l2_bytes;
	if (b->flush_bytes < (8u << 20))
		b->flush_bytes = 8u << 20;
	CK(b, cudaMalloc(&b->flush, b->flush_bytes));
	if (sb_gpu_blas_init(&b->g)) {
		(void)snprintf(b->err, sizeof(b->err), "%s", b->g.err);
		return -1;
	}
	b->ready = 1;
	return 0;
}

/* Enqueues the point's GEMM; a launcher's failure may hide a sticky
 * error, so the stream is synchronised to find out. */
static int
call_gemm(struct gemm_point *p)
{
	struct sb_gemm_bench *b = p->b;
	cudaError_t st;

	const struct sb_gemm_kernel *k = &p->pt->kern;

	if (k->s8 != NULL ? k->s8->gemm(&b->g, &p->icall) == 0 :
	    k->h16 != NULL ? k->h16->gemm(&b->g, &p->hcall) == 0 :
	    k->f32->gemm(&b->g, &p->call) == 0)
		return 0;
	(void)snprintf(b->err, sizeof(b->err), "%s", b->g.err);
	if ((st = cudaStreamSynchronize(b->g.stream)) != cudaSuccess)
		cuda_fail(b, __FILE__, __LINE__, "cudaStreamSynchronize after "
		    "a failed GEMM", st);
	return -1;
}

/* C poisoned, one call, C read back and compared in fp64. */
static int
checked(struct gemm_point *p, struct sb_gemm_verdict *v)
{
	struct sb_gemm_bench *b = p->b;
	const size_t c_bytes = (size_t)sb_gemm_c_elems(&p->sh) * p->out_size;
	uint64_t before;
	int rc;

	CK(b, cudaMemsetAsync(p->dc, 0xff, c_bytes, b->g.stream));
	prof_push(PROF_CAT_CHECK, "check");
	before = b->g.launches;
	rc = call_gemm(p);
	prof_pop();
	if (rc)
		return -1;
	p->launches = (int64_t)(b->g.launches - before);
	CK(b, cudaStreamSynchronize(b->g.stream));
	CK(b, cudaMemcpy(p->hc, p->dc, c_bytes, cudaMemcpyDeviceToHost));
	if (p->pt->kern.s8 != NULL) {
		sb_gemm_verify_s8(&p->sh, p->qa, p->qb, p->hc, p->pt->out,
		    p->pt->out == SB_DT_F32 ? &p->epi : NULL,
		    p->op->check_budget_flop, p->op->sample_entries,
		    p->op->seed ^ (uint64_t)p->pt->idx, v);
		return 0;
	}
	sb_gemm_verify_typed(&p->sh, p->ha, p->hb, p->hc, p->pt->out, &p->tol,
	    p->op->check_budget_flop, p->op->sample_entries,
	    p->op->seed ^ (uint64_t)p->pt->idx, v);
	return 0;
}

/* One timed call for sb_sample_until. */
static int
sample_call(void *arg, int i, double *us)
{
	struct gemm_point *p = arg;
	struct sb_gemm_bench *b = p->b;
	cudaStream_t s = b->g.stream;
	float ms;

	(void)i;
	if (p->op->l2_flush)
		CK(b, cudaMemsetAsync(b->flush, (int)(b->flush_byte++ & 0xff),
		    b->flush_bytes, s));
	CK(b, cudaEventRecord(b->start, s));
	if (call_gemm(p))
		return -1;
	CK(b, cudaEventRecord(b->end, s));
	CK(b, cudaEventSynchronize(b->end));
	CK(b, cudaEventElapsedTime(&ms, b->start, b->end));
	*us = ms * 1e3;
	return 0;
}

static size_t
aligned(int64_t elems, size_t size)
{
	return ((size_t)elems * size + ALIGN - 1) / ALIGN * ALIGN;
}

static void
point_free(struct gemm_point *p)
{
	if (p->base != NULL && !p->b->sticky)
		cudaFree(p->base);
	free(p->ha);
	free(p->hb);
	free(p->hc);
	free(p->stage);
	free(p->qa);
	free(p->qb);
	free(p->hbias);
	p->base = NULL;
	p->ha = p->hb = NULL;
	p->hc = p->stage = NULL;
	p->qa = p->qb = NULL;
	p->hbias = NULL;
}

/* elems floats of x to the device in the point's input type. */
static int
upload(struct gemm_point *p, void *dst, const float *x, int64_t elems)
{
	struct sb_gemm_bench *b = p->b;
	const enum sb_dtype in = p->pt->kern.in;

	if (in == SB_DT_F32) {
		CK(b, cudaMemcpy(dst, x, (size_t)elems * sizeof(float),
		    cudaMemcpyHostToDevice));
		return 0;
	}
	sb_convert_from_f32(in, x, p->stage, (size_t)elems);
	CK(b, cudaMemcpy(dst, p->stage, (size_t)elems * p->in_size,
	    cudaMemcpyHostToDevice));
	return 0;
}

/* The algorithm cuBLASLt chose for the point, as a launch_info row whose
 * launch facts are unknown (NULL; the grid and block, which the table
 * requires, 0). */
static void
algo_row(struct gemm_point *p, struct sb_outcome *o)
{
	struct db_launch *l = &o->launch[0];
	char desc[SB_LAUNCH_NAME_LEN];

	if ((p->pt->kern.s8 != NULL ? sb_igemm_cublaslt_algo(&p->icall, desc,
	    sizeof(desc)) : sb_hgemm_cublaslt_algo(&p->hcall, desc,
	    sizeof(desc))) != 0)
		return;
	memset(l, 0, sizeof(*l));
	(void)snprintf(o->launch_name[0], SB_LAUNCH_NAME_LEN, "%s", desc);
	l->name = o->launch_name[0];
	l->role = "gemm";
	l->layer = -1;
	l->layout = sb_layout_name(p->pt->layout);
	l->m = p->pt->m;
	l->n = p->pt->n;
	l->k = p->pt->k;
	l->dyn_smem = l->regs = l->static_smem = l->local_bytes = -1;
	l->max_threads = l->ptx_version = l->binary_version = -1;
	l->ctas_per_sm = -1;
	l->sms = p->b->dev->gpu[0].sms;
	l->waves = l->tail_util = l->efficiency = NAN;
	o->r.nlaunch_info = 1;
	o->r.launch_info = o->launch;
}

/*
 * An int8 point's inputs (gemm_host.h: uniform int8, random padding), on
 * the device with C and, for an fp32 C, the epilogue's operands: scales
 * 2^-6 and 2^-7 (their product exact) and a bias uniform in [-1, 1).
 * Returns 0; 1 when the implementation refuses the call (why says so: a
 * skip); -1 on a CUDA failure (b->err).
 */
static int
s8_setup(struct gemm_point *p, uint64_t seed, char *why, size_t len)
{
	struct sb_gemm_bench *b = p->b;
	const struct sb_gemm_shape *sh = &p->sh;
	const struct sb_igemm *impl = p->pt->kern.s8;
	const size_t a_off = aligned(sb_gemm_a_elems(sh), 1);
	const size_t b_off = aligned(sb_gemm_b_elems(sh), 1);
	const size_t c_off = aligned(sb_gemm_c_elems(sh), p->out_size);
	const float scales[2] = { 1.0f / 64, 1.0f / 128 };
	struct sb_rng r = { seed ^ 0x2545f4914f6cdd1dULL };
	float *dscale;

	sb_gemm_fill_s8(p->qa, sh->a_rows, sh->a_cols, sh->lda, seed);
	sb_gemm_fill_s8(p->qb, sh->b_rows, sh->b_cols, sh->ldb,
	    seed ^ 0x5851f42d4c957f2dULL);
	for (int64_t j = 0; j < p->pt->n; j++)
		p->hbias[j] = sb_rng_uniform(&r, -1.0f, 1.0f);
	CK(b, cudaMalloc(&p->base, a_off + b_off + c_off + ALIGN +
	    aligned(p->pt->n, sizeof(float))));
	p->da = p->base;
	p->db = (char *)p->base + a_off;
	p->dc = (char *)p->base + a_off + b_off;
	dscale = (float *)((char *)p->dc + c_off);
	CK(b, cudaMemcpy(p->da, p->qa, (size_t)sb_gemm_a_elems(sh),
	    cudaMemcpyHostToDevice));
	CK(b, cudaMemcpy(p->db, p->qb, (size_t)sb_gemm_b_elems(sh),
	    cudaMemcpyHostToDevice));
	CK(b, cudaMemcpy(dscale, scales, sizeof(scales),
	    cudaMemcpyHostToDevice));
	CK(b, cudaMemcpy((char *)dscale + ALIGN, p->hbias,
	    (size_t)p->pt->n * sizeof(float), cudaMemcpyHostToDevice));

	sb_igemm_call_init(&p->icall, p->pt->out, p->pt->m, p->pt->n,
	    p->pt->k, p->da, p->db, p->dc);
	p->icall.lda = sh->lda;
	p->icall.ldb = sh->ldb;
	p->icall.ldc = sh->ldc;
	if (p->pt->out == SB_DT_F32) {
		p->icall.a_scale = &dscale[0];
		p->icall.b_scale = &dscale[1];
		p->icall.b_per_channel = 0;
		p->icall.bias = (const float *)((char *)dscale + ALIGN);
		p->epi.a_scale = scales[0];
		p->epi.b_scale = scales[1];
		p->epi.bias = p->hbias;
	}
	/* the float call carries the launch row's layout and sizes */
	sb_gemm_call_init(&p->call, SB_NT, p->pt->m, p->pt->n, p->pt->k,
	    p->da, p->db, p->dc);
	p->call.lda = sh->lda;
	p->call.ldb = sh->ldb;
	p->call.ldc = sh->ldc;
	if (impl->unsupported != NULL &&
	    impl->unsupported(&p->icall, why, len) != 0)
		return 1;
	return 0;
}

/*
 * After the skips: inputs, the described launch, the checked call,
 * warm-up, samples, the re-check.  Returns 1 if interrupted before any
 * sample, -1 on a CUDA or launcher failure (b->err says which), else 0
 * with o->r.status ok or mismatch.
 */
static int
measure(struct gemm_point *p, struct sb_outcome *o)
{
	struct sb_gemm_bench *b = p->b;
	const struct sb_gemm_kernel *kern = &p->pt->kern;
	const struct sb_engine_opts *op = p->op;
	const struct sb_gemm_shape *sh = &p->sh;
	struct sb_gemm_verdict v;
	struct sb_kernel_info info;
	uint64_t seed;
	int n, drc = 0, cap = op->max_samples > 0 ? op->max_samples : 1;
	size_t a_off = aligned(sb_gemm_a_elems(sh), p->in_size);
	size_t b_off = aligned(sb_gemm_b_elems(sh), p->in_size);

	/* The same inputs for every kernel at a size, rounded to the input
	 * type: the reference is that of the rounded values. */
	seed = op->seed ^ ((uint64_t)p->pt->m << 42) ^
	    ((uint64_t)p->pt->n << 21) ^ (uint64_t)p->pt->k;
	if (kern->s8 != NULL) {
		char why[256];

		if ((drc = s8_setup(p, seed, why, sizeof(why))) < 0)
			return -1;
		if (drc > 0)
			return sb_outcome_skip(o, "%s", why);
		goto described;
	}
	sb_gemm_fill(p->ha, sh->a_rows, sh->a_cols, sh->lda, seed);
	sb_gemm_fill(p->hb, sh->b_rows, sh->b_cols, sh->ldb,
	    seed ^ 0x5851f42d4c957f2dULL);
	sb_gemm_round(kern->in, p->ha, sb_gemm_a_elems(sh));
	sb_gemm_round(kern->in, p->hb, sb_gemm_b_elems(sh));
	CK(b, cudaMalloc(&p->base, a_off + b_off +
	    aligned(sb_gemm_c_elems(sh), p->out_size)));
	p->da = p->base;
	p->db = (char *)p->base + a_off;
	p->dc = (char *)p->base + a_off + b_off;
	if (upload(p, p->da, p->ha, sb_gemm_a_elems(sh)) ||
	    upload(p, p->db, p->hb, sb_gemm_b_elems(sh)))
		return -1;
	if (kern->h16 != NULL) {
		sb_hgemm_call_init(&p->hcall, p->pt->layout, kern->in,
		    p->pt->out, p->pt->m, p->pt->n, p->pt->k, p->da, p->db,
		    p->dc);
		p->hcall.lda = sh->lda;
		p->hcall.ldb = sh->ldb;
		p->hcall.ldc = sh->ldc;
	}
	/* the float call also carries the launch row's layout and sizes */
	sb_gemm_call_init(&p->call, p->pt->layout, p->pt->m, p->pt->n,
	    p->pt->k, p->da, p->db, p->dc);
	p->call.lda = sh->lda;
	p->call.ldb = sh->ldb;
	p->call.ldc = sh->ldc;

described:
	if (kern->f32 != NULL && kern->f32->describe != NULL)
		drc = kern->f32->describe(&b->g, &p->call, &info);
	else if (kern->h16 != NULL && kern->h16->describe != NULL)
		drc = kern->h16->describe(&b->g, &p->hcall, &info);
	else if (kern->s8 != NULL && kern->s8->describe != NULL)
		drc = kern->s8->describe(&b->g, &p->icall, &info);
	else
		info.name[0] = '\0';
	if (drc != 0) {
		(void)snprintf(b->err, sizeof(b->err), "describing the kernel: "
		    "%s", b->g.err);
		return -1;
	}
	if (info.name[0] != '\0') {
		sb_launch_fill(&o->launch[0], o->launch_name[0], &info,
		    b->dev->gpu[0].sms, "gemm", -1, &p->call);
		o->r.nlaunch_info = 1;
		o->r.launch_info = o->launch;
	}

	if (checked(p, &v))
		return -1;
	o->r.launches = p->launches;
	if ((kern->h16 != NULL || kern->s8 != NULL) &&
	    strcmp(kern->name, "cublaslt") == 0)
		algo_row(p, o);
	(void)snprintf(o->check_mode, sizeof(o->check_mode), "%s", v.mode);
	o->r.check_mode = o->check_mode;
	o->r.err_y = v.err;
	o->r.tol = v.tol;
	if (!v.ok) {
		o->r.status = "mismatch";
		(void)snprintf(o->reason, sizeof(o->reason), "checked call: "
		    "%s", v.why);
		o->r.reason = o->reason;
		return 0;
	}

	prof_push(PROF_CAT_SETUP, "warmup");
	for (int i = 0; i < op->warmup && !sb_engine_interrupted; i++)
		if (call_gemm(p)) {
			prof_pop();
			return -1;
		}
	prof_pop();
	CK(b, cudaStreamSynchronize(b->g.stream));
	if ((o->samples = calloc((size_t)cap, sizeof(double))) == NULL) {
		(void)snprintf(b->err, sizeof(b->err), "out of host memory "
		    "for %d samples", cap);
		return -1;
	}
	prof_capture_begin();
	prof_push(PROF_CAT_COMPUTE, "timed");
	n = sb_sample_until(op, sample_call, p, o->samples, cap,
	    &o->r.stop_reason);
	prof_pop();
	prof_capture_end();
	if (n < 0)
		return -1;
	if (n == 0 || sb_engine_interrupted)
		return 1;
	o->r.nsamples = n;
	o->r.samples_us = o->samples;

	if (checked(p, &v))
		return -1;
	o->r.err_recheck = v.err;
	if (!v.ok) {
		o->r.status = "mismatch";
		(void)snprintf(o->reason, sizeof(o->reason), "re-check after "
		    "timing: %s", v.why);
		o->r.reason = o->reason;
	}
	sb_outcome_summarise(o, b->dev, 1);
	if (kern->s8 != NULL && b->dev->gpu_count > 0) {
		/* Dense int8 tensor cores run at twice the dense fp16 rate on
		 * sm_80 and sm_90 (624 and 1979 TOP/s for A100 and H100 SXM,
		 * NVIDIA's datasheets); the TOP/s are in the tflops field. */
		const struct sb_gpu_info *gi = &b->dev->gpu[0];

		o->r.peak_tflops = 2 * gi->peak_f16_tflops;
		if (!isnan(o->r.peak_tflops) && !isnan(o->r.peak_gbps))
			o->r.over_peak = o->r.tflops > o->r.peak_tflops ||
			    o->r.gbps > o->r.peak_gbps;
	} else if (kern->h16 != NULL && b->dev->gpu_count > 0) {
		/* Dense fp16/bf16 tensor cores with fp32 accumulation run at
		 * twice the TF32 rate on sm_80 and sm_90 (312 and 989
		 * TFLOP/s): the summary's ceiling is fp32 SIMT. */
		const struct sb_gpu_info *gi = &b->dev->gpu[0];

		o->r.peak_tflops = 2 * gi->peak_tf32_tflops;
		if (!isnan(o->r.peak_tflops) && !isnan(o->r.peak_gbps))
			o->r.over_peak = o->r.tflops > o->r.peak_tflops ||
			    o->r.gbps > o->r.peak_gbps;
	}
	return 0;
}

int
sb_gemm_bench_run(struct sb_gemm_bench *b, const struct sb_gemm_point *pt,
    const struct sb_engine_opts *op, struct sb_outcome *o)
{
	const struct sb_gemm_kernel *kern = &pt->kern;
	const struct sb_device *dev = b->dev;
	struct gemm_point p;
	double m = (double)pt->m, n = (double)pt->n, k = (double)pt->k;
	double dev_bytes, host_bytes, avail;
	int rc = 0, cc;

	sb_outcome_init(o);
	memset(&p, 0, sizeof(p));
	p.b = b;
	p.pt = pt;
	p.op = op;
	sb_gemm_shape_init(&p.sh, pt->layout, pt->m, pt->n, pt->k, pt->pad);
	p.in_size = sb_dtype_size(kern->in);
	p.out_size = sb_dtype_size(pt->out);
	o->r.point_idx = pt->idx;
	o->r.variant = pt->id;
	o->r.mode = "gemm";
	o->r.precision = pt->precision;
	o->r.impl = kern->name;
	o->r.layout = sb_layout_name(pt->layout);
	o->r.m = pt->m;
	o->r.n = pt->n;
	o->r.k = pt->k;
	o->r.layers = 1;		/* one GEMM: a forward pass's worth */
	o->r.world = 1;
	o->r.l2_flush = op->l2_flush;
	o->r.warmup = op->warmup;
	o->r.reps = 1;
	o->r.flops = 2 * m * n * k;
	o->r.bytes = (m * k + k * n) * (double)p.in_size + m * n *
	    (double)p.out_size;
	/* the provenance, for rows that end early; again with the
	 * kernel's attributes at the end */
	(void)sb_fingerprint_outcome(o, dev, 1, 0);
	if (kern->s8 == NULL && sb_gemm_tol_for(kern->type, pt->out,
	    &p.tol) != 0) {
		o->r.status = "failed";
		(void)snprintf(o->reason, sizeof(o->reason), "no tolerance is "
		    "known for precision %s with C in %s", kern->type,
		    sb_dtype_name(pt->out));
		o->r.reason = o->reason;
		return 0;
	}

	/* 1. what cannot run here is skipped, with the reason */
	if (dev->gpu_count == 0)
		return sb_outcome_skip(o, "no GPU: %s", dev->no_gpu_reason);
	if (kern->s8 != NULL && pt->out != SB_DT_S32 && !kern->s8->epilogue)
		return sb_outcome_skip(o, "s8.%s has no dequantising epilogue "
		    "(the int8 step adds sb_q_dequant after it): it writes s32 "
		    "only; see it with --out s32", kern->name);
	cc = dev->gpu[0].cc_major * 10 + dev->gpu[0].cc_minor;
	if (cc < kern->min_cc)
		return sb_outcome_skip(o, "needs compute capability %d.%d, "
		    "GPU 0 is %d.%d", kern->min_cc / 10, kern->min_cc % 10,
		    dev->gpu[0].cc_major, dev->gpu[0].cc_minor);
	dev_bytes = (double)(aligned(sb_gemm_a_elems(&p.sh), p.in_size) +
	    aligned(sb_gemm_b_elems(&p.sh), p.in_size) +
	    aligned(sb_gemm_c_elems(&p.sh), p.out_size));
	host_bytes = (double)(sb_gemm_a_elems(&p.sh) + sb_gemm_b_elems(&p.sh)) *
	    (sizeof(float) + p.in_size) + (double)sb_gemm_c_elems(&p.sh) *
	    (double)p.out_size;
	avail = (double)sb_device_free_bytes();
	if (dev_bytes + 2.0 * dev->gpu[0].l2_bytes + BLAS_WS_BYTES >
	    DEV_MEM_SHARE * avail)
		return sb_outcome_skip(o, "needs %.2f GiB on the GPU, %.2f GiB "
		    "free", dev_bytes / 1073741824.0, avail / 1073741824.0);
	if (dev->host_mem_bytes > 0 &&
	    host_bytes > HOST_MEM_SHARE * (double)dev->host_mem_bytes)
		return sb_outcome_skip(o, "needs %.1f GiB of host memory, more "
		    "than %.0f%% of this machine's %.1f GiB",
		    host_bytes / 1073741824.0, HOST_MEM_SHARE * 100,
		    (double)dev->host_mem_bytes / 1073741824.0);
	p.hc = malloc((size_t)sb_gemm_c_elems(&p.sh) * p.out_size);
	if (kern->s8 != NULL) {
		/* int8 operands only (host_bytes above counts more) */
		p.qa = malloc((size_t)sb_gemm_a_elems(&p.sh));
		p.qb = malloc((size_t)sb_gemm_b_elems(&p.sh));
		p.hbias = malloc((size_t)pt->n * sizeof(float));
	} else {
		p.ha = malloc((size_t)sb_gemm_a_elems(&p.sh) * sizeof(float));
		p.hb = malloc((size_t)sb_gemm_b_elems(&p.sh) * sizeof(float));
		p.stage = malloc((size_t)(sb_gemm_a_elems(&p.sh) >
		    sb_gemm_b_elems(&p.sh) ? sb_gemm_a_elems(&p.sh) :
		    sb_gemm_b_elems(&p.sh)) * p.in_size);
	}
	if (p.hc == NULL || (kern->s8 != NULL ? p.qa == NULL || p.qb == NULL ||
	    p.hbias == NULL : p.ha == NULL || p.hb == NULL ||
	    p.stage == NULL)) {
		point_free(&p);
		return sb_outcome_skip(o, "host memory allocation failed for "
		    "%.1f GiB", host_bytes / 1073741824.0);
	}

	{
		char mark[160];

		(void)snprintf(mark, sizeof(mark), "%lldx%lldx%lld %s pad %lld",
		    (long long)pt->m, (long long)pt->n, (long long)pt->k,
		    sb_layout_name(pt->layout), (long long)pt->pad);
		prof_point_begin(pt->id, kern->name, pt->idx, mark);
	}
	b->err[0] = '\0';
	if (bench_init(b) == 0)
		rc = measure(&p, o);
	else
		rc = -1;
	if (rc < 0) {
		o->r.status = "failed";
		(void)snprintf(o->reason, sizeof(o->reason), "%s",
		    b->err[0] ? b->err : "the GPU failed without a message");
		o->r.reason = o->reason;
		rc = b->sticky ? -1 : 0;
	}
	point_free(&p);
	(void)sb_fingerprint_outcome(o, dev, 1, 0);
	prof_pop();
	return rc;
}
