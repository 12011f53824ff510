/*
 * harness/cmd_allreduce.c — `stepbench allreduce`: the all-reduce alone,
 * nccl-tests style: sizes from -b to -e by a factor -f, for each dtype x
 * reduction x place (in-place or out-of-place), on NCCL (device buffers,
 * one GPU per rank) or MPI (host buffers, CPU ranks).  Each point is
 * checked, timed, checked again, printed as a table row (size, count,
 * type, redop, place, time, algbw, busbw, #wrong) and stored by rank 0.
 *
 * Design notes.
 *
 *  1. Every rank runs the same plan in the same order; anything that
 *     decides the control flow (the timeout, an interrupt, a check's
 *     outcome, rank 0's database) is agreed over the communicator first,
 *     so no rank waits in a collective that another has left.
 *  2. A sample is `reps` back-to-back collectives (20 below 4 MiB, else
 *     1, as nccl-tests' -n iterations amortise the timer at small sizes),
 *     timed with CUDA events on the stream (nccl) or CLOCK_MONOTONIC
 *     (mpi), divided by reps; the stored sample is the slowest rank's
 *     (sb_comm_allreduce_host MAX), so all ranks hold identical samples
 *     and sb_sample_until stops them on the same sample.  Its own clock
 *     is disabled (timeout_s = inf): the timeout is decided on the
 *     slowest rank's clock here.
 *  3. Inputs are exact: rank r holds x[i] = (i + r) % 4, so a sum is an
 *     integer below 3·world, exact in f32, f16 (world <= 682) and bf16
 *     (world <= 85); it must match bit for bit.  An average is checked
 *     against sum/world to (world + 2) units in the last place of the
 *     type: NCCL's ncclAvg multiplies each input by 1/world before
 *     summing (each product rounded), MPI here sums then multiplies.
 *  4. In place, the timed loop keeps reducing its own output (a sum
 *     grows by world each call, to inf: the timing does not depend on
 *     the values); the check after timing refills the inputs first.
 *  5. --graph captures the sample's reps collectives into one CUDA graph
 *     per point and times its replays (NCCL supports capture).
 */
#include <ctype.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cuda_runtime.h>

#include "cli.h"
#include "clock.h"
#include "comm.h"
#include "db.h"
#include "ddp.h"
#include "device.h"
#include "engine.h"
#include "half.h"
#include "json.h"
#include "prof.h"

#define AR_DEFAULT_MIN		8
#define AR_DEFAULT_MAX		(128LL << 20)
#define AR_MAX_BYTES		(16LL << 30)
#define AR_SMALL		(4LL << 20)	/* below: reps per sample */
#define AR_SMALL_REPS		20
#define AR_ID_LEN		64

#define PLACE_OUT		1
#define PLACE_IN		2

struct ar_args {
	enum sb_comm_backend	 backend;
	int			 backend_given;
	int64_t			 min_bytes, max_bytes;
	long			 factor;
	unsigned		 dtypes;	/* 1 << enum sb_comm_dtype */
	unsigned		 ops;		/* 1 << enum sb_red_op */
	unsigned		 places;	/* PLACE_* */
	int			 graph;
	long			 world;		/* 0: the job's size */
	const char		*db;
	const char		*label;
	const char		*note;
	int			 no_db;
	int			 json;
	struct sb_engine_opts	 eo;
};

struct ar_point {
	int			 idx;
	int64_t			 count;
	size_t			 bytes;		/* count · element size */
	enum sb_comm_dtype	 dtype;
	enum sb_red_op		 op;
	int			 inplace;
	int			 reps;
	char			 id[AR_ID_LEN];
};

/* One rank's buffers and timers. */
struct ar_bench {
	const struct ar_args	*a;
	struct sb_comm		*comm;
	int			 nccl;
	int			 world, grank;
	size_t			 cap;		/* bytes per buffer */
	void			*send, *recv;	/* device (nccl) or host */
	void			*host;		/* staging for fill/check */
	void			*stream;	/* cudaStream_t */
	cudaEvent_t		 ev0, ev1;
	cudaGraphExec_t		 exec;
	const struct ar_point	*pt;
	double			 t0;		/* sampling started */
	char			 err[512];
};

/* What the table and the JSON need of a measured point. */
struct ar_row {
	char		 status[16];
	char		 reason[256];
	double		 median_us, min_us, algbw, busbw;
	int64_t		 wrong;
	int		 nsamples;
};

enum {
	OPT_BACKEND = SB_OPT_TIMING_END, OPT_DTYPES, OPT_OPS, OPT_PLACE,
	OPT_GRAPH, OPT_WORLD, OPT_DB, OPT_NO_DB, OPT_JSON, OPT_LABEL, OPT_NOTE
};

static const struct option ar_opts[] = {
	{ "backend", required_argument, NULL, OPT_BACKEND },
	{ "minbytes", required_argument, NULL, 'b' },
	{ "maxbytes", required_argument, NULL, 'e' },
	{ "stepfactor", required_argument, NULL, 'f' },
	{ "dtypes", required_argument, NULL, OPT_DTYPES },
	{ "ops", required_argument, NULL, OPT_OPS },
	{ "place", required_argument, NULL, OPT_PLACE },
	{ "graph", no_argument, NULL, OPT_GRAPH },
	{ "world", required_argument, NULL, OPT_WORLD },
	SB_TIMING_OPTIONS,
	{ "db", required_argument, NULL, OPT_DB },
	{ "no-db", no_argument, NULL, OPT_NO_DB },
	{ "label", required_argument, NULL, OPT_LABEL },
	{ "note", required_argument, NULL, OPT_NOTE },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static int	usage_help(void);
static int	parse_bytes(const char *, const char *, int64_t *);
static int	parse_set(const char *, const char *, const char *const *,
		    int, unsigned *);
static int	parse_args(int, char **, struct ar_args *);
static int	plan_points(const struct ar_args *, struct ar_point **, int *);
static int	bench_open(struct ar_bench *, const struct ar_args *,
		    const struct ar_point *, int);
static void	bench_close(struct ar_bench *);
static int	fill(struct ar_bench *, const struct ar_point *);
static int	collective(struct ar_bench *, const struct ar_point *);
static int	check(struct ar_bench *, const struct ar_point *, int64_t *,
		    double *, double *);
static int	run_reps(struct ar_bench *, const struct ar_point *);
static int	sample_fn(void *, int, double *);
static int	capture(struct ar_bench *, const struct ar_point *);
static int	measure(struct ar_bench *, const struct ar_point *,
		    struct sb_outcome *, struct ar_row *);
static int	measure_point(struct ar_bench *, const struct ar_point *,
		    struct sb_outcome *, struct ar_row *);
static void	table_header(FILE *);
static void	table_row(FILE *, const struct ar_point *,
		    const struct ar_row *);
static void	json_point(struct sb_json *, const struct ar_point *,
		    const struct ar_row *, int);
static void	outcome_of(struct sb_outcome *, const struct ar_args *,
		    const struct ar_point *, int);
static void	finish(struct sb_outcome *, const struct ar_point *, int,
		    struct ar_row *);
static int	execute(struct ar_args *, int, char **);

static const char *const dtype_names[] = { "f32", "f16", "bf16" };
static const enum sb_comm_dtype dtype_vals[] = {
	SB_CD_F32, SB_CD_F16, SB_CD_BF16
};
static const char *const op_names[] = { "sum", "avg" };
static const enum sb_red_op op_vals[] = { SB_RED_SUM, SB_RED_AVG };
static const char *const place_names[] = { "out", "in" };

static int
usage_help(void)
{
	printf("usage: stepbench allreduce [options]\n\n"
	    "Measures the all-reduce alone, as nccl-tests' all_reduce_perf "
	    "does: sizes from\n-b to -e by a factor -f, for each dtype x "
	    "reduction x place.  Every rank\nholds exact inputs ((i + rank) "
	    "%% 4); the result is checked before and after\ntiming.  Run one "
	    "process per GPU (nccl) or CPU rank (mpi):\n"
	    "  mpirun -n 2 stepbench allreduce --backend mpi -b 8 -e 64M -f 4\n"
	    "  stepbench allreduce -b 1M -e 1G -f 2 --dtypes f32,bf16 --graph\n"
	    "Rows are stored by rank 0 as a run (mode 'allreduce', ids\n"
	    "allreduce.<backend>.<dtype>.<op>.<in|out>, e.g. "
	    "allreduce.nccl.f32.sum.out).\n\n"
	    "      --backend nccl|mpi  nccl: device buffers, one GPU per rank; "
	    "mpi: host\n"
	    "                        buffers [nccl with a GPU and NCCL, else "
	    "mpi]\n"
	    "  -b, --minbytes SIZE   smallest message, bytes; K, M, G suffixes "
	    "are 2^10,\n"
	    "                        2^20, 2^30 [8]\n"
	    "  -e, --maxbytes SIZE   largest message (at most 16G) [128M]\n"
	    "  -f, --stepfactor N    multiply the size by N (an integer >= 2) "
	    "[2]\n"
	    "      --dtypes LIST     f32, f16, bf16 [f32]\n"
	    "      --ops LIST        sum, avg [sum]\n"
	    "      --place LIST      out (out-of-place), in (in place) "
	    "[out,in]\n"
	    "      --graph           capture the collectives into a CUDA graph "
	    "and time its\n"
	    "                        replays (nccl only)\n"
	    "      --world R         ranks taking part: the first R of the job "
	    "[the job's size]\n"
	    "measuring (defaults in brackets; a warm-up run is one sample's "
	    "collectives;\n--l2-flush, --check-limit and --seed do not apply: "
	    "the inputs are fixed):\n%s"
	    "recording:\n"
	    "      --db PATH         SQLite file [$STEPBENCH_DB or "
	    "./stepbench.db]\n"
	    "      --no-db           print only, store nothing\n"
	    "      --label TEXT      a short name for the run\n"
	    "      --note TEXT       what the run is meant to show\n"
	    "      --json            one JSON document on stdout instead of "
	    "the table\n\n"
	    "A sample is 20 back-to-back collectives below 4 MiB (1 from 4 "
	    "MiB up), divided\nby that count; it is the slowest rank's.  "
	    "Columns, as nccl-tests: size = count x\nelement bytes, time_us "
	    "the median per collective, algbw = size / time,\nbusbw = algbw "
	    "x 2(n-1)/n (GB/s = 1e9 B/s; 0 at one rank), #wrong the "
	    "elements\n(over all ranks) that differ from the exact result "
	    "after timing.  Sums must be\nexact; averages within (n+2) ulp "
	    "of sum/n.  Exit status: 0 every point ok,\n1 a point mismatched "
	    "or failed, 2 bad usage (nothing written), 130\ninterrupted.\n",
	    sb_timing_help);
	return -1;
}

/* "64", "64K", "1M", "2G": bytes >= 1. */
static int
parse_bytes(const char *opt, const char *val, int64_t *out)
{
	char *end;
	long long v;
	int shift = 0;

	if (!isdigit((unsigned char)val[0]))
		goto bad;
	v = strtoll(val, &end, 10);
	switch (*end) {
	case 'k':
	case 'K':
		shift = 10;
		end++;
		break;
	case 'm':
	case 'M':
		shift = 20;
		end++;
		break;
	case 'g':
	case 'G':
		shift = 30;
		end++;
		break;
	}
	if (*end != '\0' || v < 1 || v > (AR_MAX_BYTES >> shift))
		goto bad;
	*out = (int64_t)v << shift;
	return 0;
bad:
	sb_usage("allreduce", "%s: '%s' is not a size; give bytes from 1 to "
	    "16G, with an optional K, M or G suffix (2^10, 2^20, 2^30), e.g. "
	    "64K", opt, val);
	return -1;
}

/* A comma-separated subset of names[0..n) as bits. */
static int
parse_set(const char *opt, const char *val, const char *const *names, int n,
    unsigned *out)
{
	char buf[256], *tok, *save = NULL;

	*out = 0;
	if (snprintf(buf, sizeof(buf), "%s", val) >= (int)sizeof(buf))
		goto bad;
	for (tok = strtok_r(buf, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		int i;

		for (i = 0; i < n; i++)
			if (strcmp(tok, names[i]) == 0)
				break;
		if (i == n) {
			char valid[128] = "";

			for (int j = 0; j < n; j++)
				snprintf(valid + strlen(valid), sizeof(valid) -
				    strlen(valid), "%s%s", j ? ", " : "",
				    names[j]);
			sb_usage("allreduce", "%s: '%s' is not one of %s", opt,
			    tok, valid);
			return -1;
		}
		*out |= 1u << i;
	}
	if (*out != 0)
		return 0;
bad:
	sb_usage("allreduce", "%s: '%s' names nothing; give a comma-separated "
	    "list", opt, val);
	return -1;
}

/* Returns 0, -1 after --help, or an exit code (2) after printing why. */
static int
parse_args(int argc, char **argv, struct ar_args *a)
{
	unsigned bits;
	long lv;
	int c, rc;

	memset(a, 0, sizeof(*a));
	a->min_bytes = AR_DEFAULT_MIN;
	a->max_bytes = AR_DEFAULT_MAX;
	a->factor = 2;
	a->dtypes = 1u << 0;
	a->ops = 1u << 0;
	a->places = PLACE_OUT | PLACE_IN;
	sb_engine_opts_default(&a->eo);
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, ":hb:e:f:", ar_opts, NULL)) !=
	    -1) {
		switch (c) {
		case OPT_BACKEND:
			if (strcmp(optarg, "nccl") == 0)
				a->backend = SB_COMM_NCCL;
			else if (strcmp(optarg, "mpi") == 0)
				a->backend = SB_COMM_MPI;
			else
				return sb_usage("allreduce", "--backend: '%s' "
				    "is not valid; give nccl or mpi", optarg);
			a->backend_given = 1;
			break;
		case 'b':
			if (parse_bytes("-b", optarg, &a->min_bytes))
				return SB_EXIT_USAGE;
			break;
		case 'e':
			if (parse_bytes("-e", optarg, &a->max_bytes))
				return SB_EXIT_USAGE;
			break;
		case 'f':
			if (sb_opt_int("allreduce", "-f", optarg, 2, 1 << 20,
			    &a->factor))
				return SB_EXIT_USAGE;
			break;
		case OPT_DTYPES:
			if (parse_set("--dtypes", optarg, dtype_names, 3,
			    &a->dtypes))
				return SB_EXIT_USAGE;
			break;
		case OPT_OPS:
			if (parse_set("--ops", optarg, op_names, 2, &a->ops))
				return SB_EXIT_USAGE;
			break;
		case OPT_PLACE:
			if (parse_set("--place", optarg, place_names, 2, &bits))
				return SB_EXIT_USAGE;
			a->places = bits;	/* bit 0 out, bit 1 in */
			break;
		case OPT_GRAPH:
			a->graph = 1;
			break;
		case OPT_WORLD:
			if (sb_opt_int("allreduce", "--world", optarg, 1, 65536,
			    &lv))
				return SB_EXIT_USAGE;
			a->world = lv;
			break;
		case OPT_DB:
			if (optarg[0] == '\0')
				return sb_usage("allreduce", "--db is empty; "
				    "give a file path such as results.db");
			a->db = optarg;
			break;
		case OPT_NO_DB:
			a->no_db = 1;
			break;
		case OPT_LABEL:
			a->label = optarg;
			break;
		case OPT_NOTE:
			a->note = optarg;
			break;
		case OPT_JSON:
			a->json = 1;
			break;
		case 'h':
			return usage_help();
		default:
			if ((rc = sb_timing_opt("allreduce", c, optarg,
			    &a->eo)) < 0)
				return SB_EXIT_USAGE;
			if (rc == 0)
				return sb_bad_option("allreduce", argc, argv,
				    c);
			break;
		}
	}
	if (optind < argc)
		return sb_usage("allreduce", "unexpected argument '%s'",
		    argv[optind]);
	if (a->min_bytes > a->max_bytes)
		return sb_usage("allreduce", "-b %lld is above -e %lld; the "
		    "sizes run from -b up to -e", (long long)a->min_bytes,
		    (long long)a->max_bytes);
	if (a->eo.min_samples > a->eo.max_samples)
		return sb_usage("allreduce", "--min-samples %d is above "
		    "--max-samples %d", a->eo.min_samples, a->eo.max_samples);
	if (a->no_db && a->db != NULL)
		return sb_usage("allreduce", "--db and --no-db together; give "
		    "one");
	if (!a->backend_given) {
		int ngpu = 0;

		if (cudaGetDeviceCount(&ngpu) != cudaSuccess) {
			(void)cudaGetLastError();
			ngpu = 0;
		}
		a->backend = ngpu > 0 && sb_comm_nccl_version() > 0 ?
		    SB_COMM_NCCL : SB_COMM_MPI;
	}
	if (a->graph && a->backend != SB_COMM_NCCL)
		return sb_usage("allreduce", "--graph captures CUDA work: it "
		    "needs --backend nccl (the mpi backend runs on the host)");
	if (a->backend == SB_COMM_MPI && a->max_bytes / 2 > INT_MAX &&
	    (a->dtypes & 6) != 0)
		return sb_usage("allreduce", "-e %lld: the mpi backend takes "
		    "at most %d elements per call; give -e below 4G (f16 and "
		    "bf16 take 2 bytes), e.g. 2G",
		    (long long)a->max_bytes, INT_MAX);
	if (a->backend == SB_COMM_MPI && a->max_bytes / 4 > INT_MAX)
		return sb_usage("allreduce", "-e %lld: the mpi backend takes "
		    "at most %d elements per call; give -e below 8G, e.g. 4G",
		    (long long)a->max_bytes, INT_MAX);
	return 0;
}

/* dtype, then op, then place, then size ascending. */
static int
plan_points(const struct ar_args *a, struct ar_point **out, int *count)
{
	struct ar_point *p = NULL;
	int n = 0, cap = 0;

	for (int d = 0; d < 3; d++) {
		if (!(a->dtypes & (1u << d)))
			continue;
		for (int o = 0; o < 2; o++) {
			if (!(a->ops & (1u << o)))
				continue;
			for (int pl = 0; pl < 2; pl++) {
				if (!(a->places & (1u << pl)))
					continue;
				/* parse_args: min <= max; stops before
				 * b * factor could overflow */
				for (int64_t b = a->min_bytes;; b *= a->factor) {
					size_t es = sb_comm_dtype_size(
					    dtype_vals[d]);
					struct ar_point *q;

					if (b / (int64_t)es < 1)
						goto next;
					if (n == cap) {
						cap = cap ? 2 * cap : 64;
						q = realloc(p, (size_t)cap *
						    sizeof(*p));
						if (q == NULL) {
							free(p);
							return -1;
						}
						p = q;
					}
					q = &p[n];
					memset(q, 0, sizeof(*q));
					q->idx = n;
					q->dtype = dtype_vals[d];
					q->op = op_vals[o];
					q->inplace = pl == 1;
					q->count = b / (int64_t)es;
					q->bytes = (size_t)q->count * es;
					q->reps = (int64_t)q->bytes < AR_SMALL ?
					    AR_SMALL_REPS : 1;
					snprintf(q->id, sizeof(q->id),
					    "allreduce.%s.%s.%s.%s",
					    sb_comm_backend_name(a->backend),
					    dtype_names[d], op_names[o],
					    place_names[pl]);
					n++;
next:
					if (b > a->max_bytes / a->factor)
						break;
				}
			}
		}
	}
	*out = p;
	*count = n;
	return 0;
}

#define CUCK(b, call) do {						\
	cudaError_t e_ = (call);					\
	if (e_ != cudaSuccess) {					\
		snprintf((b)->err, sizeof((b)->err), "%s (%s:%d): %s",	\
		    #call, __FILE__, __LINE__, cudaGetErrorString(e_));	\
		return -1;						\
	}								\
} while (0)

/* Buffers for the largest point.  Returns -1 with b->err. */
static int
bench_open(struct ar_bench *b, const struct ar_args *a,
    const struct ar_point *pts, int n)
{
	b->a = a;
	b->nccl = a->backend == SB_COMM_NCCL;
	b->world = sb_comm_world(b->comm);
	b->grank = sb_comm_grank(b->comm);
	for (int i = 0; i < n; i++)
		if (pts[i].bytes > b->cap)
			b->cap = pts[i].bytes;
	if ((b->host = malloc(b->cap)) == NULL) {
		snprintf(b->err, sizeof(b->err), "out of host memory for %zu "
		    "bytes", b->cap);
		return -1;
	}
	if (!b->nccl) {
		b->send = malloc(b->cap);
		b->recv = malloc(b->cap);
		if (b->send == NULL || b->recv == NULL) {
			snprintf(b->err, sizeof(b->err), "out of host memory "
			    "for 2 x %zu bytes", b->cap);
			return -1;
		}
		return 0;
	}
	{
		size_t free_b = 0, total_b = 0;
		cudaStream_t s;

		CUCK(b, cudaMemGetInfo(&free_b, &total_b));
		if (2 * b->cap + (64u << 20) > free_b) {
			snprintf(b->err, sizeof(b->err), "needs 2 x %zu bytes "
			    "on the GPU, %zu free; lower -e", b->cap, free_b);
			return -1;
		}
		CUCK(b, cudaMalloc(&b->send, b->cap));
		CUCK(b, cudaMalloc(&b->recv, b->cap));
		CUCK(b, cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
		b->stream = s;
		prof_name_stream(s, "comm");
		CUCK(b, cudaEventCreate(&b->ev0));
		CUCK(b, cudaEventCreate(&b->ev1));
	}
	return 0;
}

static void
bench_close(struct ar_bench *b)
{
	if (b->nccl) {
		if (b->exec != NULL)
			cudaGraphExecDestroy(b->exec);
		if (b->ev0 != NULL)
			cudaEventDestroy(b->ev0);
		if (b->ev1 != NULL)
			cudaEventDestroy(b->ev1);
		if (b->stream != NULL)
			cudaStreamDestroy((cudaStream_t)b->stream);
		cudaFree(b->send);
		cudaFree(b->recv);
	} else {
		free(b->send);
		free(b->recv);
	}
	free(b->host);
	b->send = b->recv = b->host = NULL;
}

/* Design note 3: the input of rank r, element i. */
static float
input_of(int r, int64_t i)
{
	return (float)((i + r) % 4);
}

/* The input in the collective's source buffer (recv in place), the
 * output poisoned (0xff: NaN in every type) out of place. */
static int
fill(struct ar_bench *b, const struct ar_point *pt)
{
	void *src = pt->inplace ? b->recv : b->send;

	for (int64_t i = 0; i < pt->count; i++) {
		float v = input_of(b->grank, i);

		switch (pt->dtype) {
		case SB_CD_F32:
			((float *)b->host)[i] = v;
			break;
		case SB_CD_F16:
			((uint16_t *)b->host)[i] = sb_f32_to_f16(v);
			break;
		default:
			((uint16_t *)b->host)[i] = sb_f32_to_bf16(v);
			break;
		}
	}
	if (!b->nccl) {
		memcpy(src, b->host, pt->bytes);
		if (!pt->inplace)
			memset(b->recv, 0xff, pt->bytes);
		return 0;
	}
	/* on the collective's stream: a cudaMemset on the legacy stream
	 * would not be ordered before it (the stream is non-blocking) */
	CUCK(b, cudaMemcpyAsync(src, b->host, pt->bytes, cudaMemcpyHostToDevice,
	    (cudaStream_t)b->stream));
	if (!pt->inplace)
		CUCK(b, cudaMemsetAsync(b->recv, 0xff, pt->bytes,
		    (cudaStream_t)b->stream));
	CUCK(b, cudaStreamSynchronize((cudaStream_t)b->stream));
	return 0;
}

static int
collective(struct ar_bench *b, const struct ar_point *pt)
{
	if (b->nccl)
		return sb_comm_allreduce_dev(b->comm, pt->inplace ? b->recv :
		    b->send, b->recv, pt->count, pt->dtype, pt->op, b->stream,
		    b->err, sizeof(b->err));
	return sb_comm_allreduce_host(b->comm, pt->inplace ? NULL : b->send,
	    b->recv, pt->count, pt->dtype, pt->op, b->err, sizeof(b->err));
}

/*
 * One checked collective on fresh inputs: *wrong (summed over ranks) and
 * *maxerr (the largest relative error, max over ranks), *tol the
 * tolerance (design note 3).  Collective; returns -1 with b->err.
 */
static int
check(struct ar_bench *b, const struct ar_point *pt, int64_t *wrong,
    double *maxerr, double *tol)
{
	double exact[4], v[2], ulp;
	int w = b->world;

	for (int j = 0; j < 4; j++) {
		exact[j] = 0;
		for (int r = 0; r < w; r++)
			exact[j] += input_of(r, j);
		if (pt->op == SB_RED_AVG)
			exact[j] /= w;
	}
	ulp = pt->dtype == SB_CD_F32 ? 0x1p-24 : pt->dtype == SB_CD_F16 ?
	    0x1p-11 : 0x1p-8;
	*tol = pt->op == SB_RED_AVG ? (w + 2) * ulp : 0;
	if (fill(b, pt) || collective(b, pt))
		return -1;
	if (b->nccl) {
		CUCK(b, cudaStreamSynchronize((cudaStream_t)b->stream));
		CUCK(b, cudaMemcpy(b->host, b->recv, pt->bytes,
		    cudaMemcpyDeviceToHost));
	} else
		memcpy(b->host, b->recv, pt->bytes);
	v[0] = 0;
	v[1] = 0;
	for (int64_t i = 0; i < pt->count; i++) {
		double want = exact[i % 4], got, e;

		switch (pt->dtype) {
		case SB_CD_F32:
			got = ((float *)b->host)[i];
			break;
		case SB_CD_F16:
			got = sb_f16_to_f32(((uint16_t *)b->host)[i]);
			break;
		default:
			got = sb_bf16_to_f32(((uint16_t *)b->host)[i]);
			break;
		}
		e = want == 0 ? fabs(got) : fabs(got - want) / want;
		if (isnan(e))
			e = INFINITY;
		if (!(e <= *tol) || (want == 0 && got != 0))
			v[0]++;
		if (e > v[1])
			v[1] = e;
	}
	if (sb_comm_allreduce_host(b->comm, NULL, &v[0], 1, SB_CD_F64,
	    SB_RED_SUM, b->err, sizeof(b->err)) ||
	    sb_comm_allreduce_host(b->comm, NULL, &v[1], 1, SB_CD_F64,
	    SB_RED_MAX, b->err, sizeof(b->err)))
		return -1;
	*wrong = (int64_t)v[0];
	*maxerr = v[1];
	return 0;
}

/* reps collectives: eagerly, or the captured graph's replay. */
static int
run_reps(struct ar_bench *b, const struct ar_point *pt)
{
	if (b->exec != NULL) {
		CUCK(b, cudaGraphLaunch(b->exec, (cudaStream_t)b->stream));
		return 0;
	}
	for (int r = 0; r < pt->reps; r++)
		if (collective(b, pt))
			return -1;
	return 0;
}

/* Design note 2.  Returns 1 to stop after this sample (timeout or an
 * interrupt on any rank), -1 on error. */
static int
sample_fn(void *ctx, int i, double *us)
{
	struct ar_bench *b = ctx;
	const struct ar_point *pt = b->pt;
	double v[3];

	if (i == 0)
		b->t0 = sb_mono_s();
	if (b->nccl) {
		cudaStream_t s = (cudaStream_t)b->stream;
		float ms;

		CUCK(b, cudaEventRecord(b->ev0, s));
		if (run_reps(b, pt))
			return -1;
		CUCK(b, cudaEventRecord(b->ev1, s));
		CUCK(b, cudaEventSynchronize(b->ev1));
		CUCK(b, cudaEventElapsedTime(&ms, b->ev0, b->ev1));
		v[0] = ms * 1e3 / pt->reps;
	} else {
		double t = sb_mono_s();

		if (run_reps(b, pt))
			return -1;
		v[0] = (sb_mono_s() - t) * 1e6 / pt->reps;
	}
	v[1] = sb_mono_s() - b->t0;
	v[2] = sb_engine_interrupted;
	if (sb_comm_allreduce_host(b->comm, NULL, v, 3, SB_CD_F64, SB_RED_MAX,
	    b->err, sizeof(b->err)))
		return -1;
	*us = v[0];
	if (v[2] != 0)
		sb_engine_interrupted = 1;
	return v[2] != 0 || v[1] >= b->a->eo.timeout_s;
}

/* Captures reps collectives into b->exec. */
static int
capture(struct ar_bench *b, const struct ar_point *pt)
{
	cudaStream_t s = (cudaStream_t)b->stream;
	cudaGraph_t g = NULL;
	int rc;

	CUCK(b, cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal));
	rc = 0;
	for (int r = 0; r < pt->reps && rc == 0; r++)
		rc = collective(b, pt);
	if (cudaStreamEndCapture(s, &g) != cudaSuccess || rc != 0) {
		if (rc == 0)
			snprintf(b->err, sizeof(b->err), "capturing the "
			    "all-reduce into a CUDA graph failed: %s",
			    cudaGetErrorString(cudaGetLastError()));
		if (g != NULL)
			cudaGraphDestroy(g);
		return -1;
	}
	if (cudaGraphInstantiate(&b->exec, g, 0) != cudaSuccess) {
		snprintf(b->err, sizeof(b->err), "cudaGraphInstantiate: %s",
		    cudaGetErrorString(cudaGetLastError()));
		cudaGraphDestroy(g);
		b->exec = NULL;
		return -1;
	}
	cudaGraphDestroy(g);
	return 0;
}

/*
 * Check, warm up, sample, check again.  Fills o (status ok or mismatch)
 * and row.  Returns 0, 1 when interrupted before any sample, -1 on an
 * error (b->err).
 */
/* One point under its NVTX range (category point, payload its index, as
 * a step's), with its size and world in a mark. */
static int
measure(struct ar_bench *b, const struct ar_point *pt, struct sb_outcome *o,
    struct ar_row *row)
{
	char mark[128];
	int rc;

	snprintf(mark, sizeof(mark), "%zu B, %lld elements, world %d", pt->bytes,
	    (long long)pt->count, b->world);
	prof_point_begin(pt->id, b->nccl ? "nccl" : "mpi", pt->idx, mark);
	rc = measure_point(b, pt, o, row);
	prof_pop();
	return rc;
}

static int
measure_point(struct ar_bench *b, const struct ar_point *pt,
    struct sb_outcome *o, struct ar_row *row)
{
	struct sb_engine_opts lop = b->a->eo;
	int64_t wrong;
	double err, tol;
	int n, cap, rc = -1;

	b->pt = pt;
	if (check(b, pt, &wrong, &err, &tol))
		return -1;
	o->r.err_y = err;
	o->r.tol = tol;
	row->wrong = wrong;
	if (wrong > 0) {
		o->r.status = "mismatch";
		snprintf(o->reason, sizeof(o->reason), "checked call: %lld "
		    "of %lld elements x %d ranks wrong (largest relative "
		    "error %.3g, tolerance %.3g)", (long long)wrong,
		    (long long)pt->count, b->world, err, tol);
		o->r.reason = o->reason;
		return 0;
	}
	if (b->a->graph && capture(b, pt))
		return -1;
	for (int i = 0; i < lop.warmup * pt->reps; i++)
		if (collective(b, pt))
			goto out;
	if (b->nccl && cudaStreamSynchronize((cudaStream_t)b->stream) !=
	    cudaSuccess) {
		snprintf(b->err, sizeof(b->err), "warm-up: %s",
		    cudaGetErrorString(cudaGetLastError()));
		goto out;
	}
	cap = lop.max_samples > 0 ? lop.max_samples : 1;
	if ((o->samples = calloc((size_t)cap, sizeof(double))) == NULL) {
		snprintf(b->err, sizeof(b->err), "out of memory for %d "
		    "samples", cap);
		goto out;
	}
	lop.timeout_s = INFINITY;	/* decided in sample_fn */
	/* the same capture window and timed range as a step's (engine.c) */
	prof_capture_begin();
	prof_push(PROF_CAT_COMPUTE, "timed");
	n = sb_sample_until(&lop, sample_fn, b, o->samples, cap,
	    &o->r.stop_reason);
	prof_pop();
	prof_capture_end();
	if (n < 0)
		goto out;
	if (n == 0) {
		rc = 1;
		goto out;
	}
	o->r.nsamples = n;
	o->r.samples_us = o->samples;
	if (check(b, pt, &wrong, &err, &tol))
		goto out;
	o->r.err_recheck = err;
	row->wrong = wrong;
	if (wrong > 0) {
		o->r.status = "mismatch";
		snprintf(o->reason, sizeof(o->reason), "re-check after "
		    "timing: %lld of %lld elements x %d ranks wrong (largest "
		    "relative error %.3g, tolerance %.3g)", (long long)wrong,
		    (long long)pt->count, b->world, err, tol);
		o->r.reason = o->reason;
	}
	sb_outcome_summarise(o, NULL, 0);
	rc = 0;
out:
	if (b->exec != NULL) {
		cudaGraphExecDestroy(b->exec);
		b->exec = NULL;
	}
	return rc;
}

static void
table_header(FILE *f)
{
	fprintf(f, "%4s  %-30s %12s %11s %5s %5s %5s %11s %9s %9s %7s  %s\n",
	    "#", "id", "size", "count", "type", "redop", "place", "time_us",
	    "algbw", "busbw", "#wrong", "status");
	fprintf(f, "%4s  %-30s %12s %11s %5s %5s %5s %11s %9s %9s %7s\n", "",
	    "", "(B)", "(elements)", "", "", "", "", "(GB/s)", "(GB/s)", "");
}

static void
table_row(FILE *f, const struct ar_point *pt, const struct ar_row *r)
{
	fprintf(f, "%4d  %-30s %12zu %11lld %5s %5s %5s", pt->idx, pt->id,
	    pt->bytes, (long long)pt->count,
	    sb_dtype_name((enum sb_dtype)pt->dtype), sb_red_op_name(pt->op),
	    pt->inplace ? "in" : "out");
	if (r->nsamples == 0) {
		fprintf(f, " %11s %9s %9s %7lld  %s %s\n", "-", "-", "-",
		    (long long)r->wrong, r->status, r->reason);
		return;
	}
	fprintf(f, " %11.2f %9.3f %9.3f %7lld  %s%s%s\n", r->median_us,
	    r->algbw, r->busbw, (long long)r->wrong, r->status,
	    r->reason[0] ? " " : "", r->reason);
}

static void
json_point(struct sb_json *j, const struct ar_point *pt,
    const struct ar_row *r, int world)
{
	sb_json_obj_begin(j, NULL);
	sb_json_int(j, "idx", pt->idx);
	sb_json_str(j, "id", pt->id);
	sb_json_int(j, "bytes", (int64_t)pt->bytes);
	sb_json_int(j, "count", pt->count);
	sb_json_str(j, "dtype", sb_dtype_name((enum sb_dtype)pt->dtype));
	sb_json_str(j, "op", sb_red_op_name(pt->op));
	sb_json_bool(j, "inplace", pt->inplace);
	sb_json_int(j, "world", world);
	sb_json_int(j, "reps", pt->reps);
	sb_json_str(j, "status", r->status);
	sb_json_str(j, "reason", r->reason[0] ? r->reason : NULL);
	sb_json_int(j, "nsamples", r->nsamples);
	sb_json_num(j, "median_us", r->median_us);
	sb_json_num(j, "min_us", r->min_us);
	sb_json_num(j, "algbw_gbps", r->algbw);
	sb_json_num(j, "busbw_gbps", r->busbw);
	sb_json_int(j, "wrong", r->wrong);
	sb_json_obj_end(j);
}

/* Fills the outcome's identity and data-parallel fields for pt. */
static void
outcome_of(struct sb_outcome *o, const struct ar_args *a,
    const struct ar_point *pt, int world)
{
	o->r.point_idx = pt->idx;
	o->r.variant = pt->id;
	o->r.mode = "allreduce";
	o->r.precision = sb_dtype_name((enum sb_dtype)pt->dtype);
	o->r.impl = sb_comm_backend_name(a->backend);
	o->r.m = pt->count;
	o->r.n = 1;
	o->r.k = 1;
	o->r.layers = 1;
	o->r.world = world;
	o->r.graph = a->graph;
	o->r.l2_flush = 0;
	o->r.warmup = a->eo.warmup * pt->reps;
	o->r.reps = pt->reps;
	o->r.flops = NAN;
	o->r.bytes = (double)pt->bytes;
	o->r.check_mode = "full";
	o->r.launches = pt->reps;
	o->r.dp = 1;
	o->r.dp_backend = sb_comm_backend_name(a->backend);
	o->r.dp_bucket_cap = NAN;
	o->r.dp_first_bucket = NAN;
	o->r.dp_overlap = -1;
	o->r.dp_compress = sb_dtype_name((enum sb_dtype)pt->dtype);
	o->r.dp_op = sb_red_op_name(pt->op);
	o->r.dp_inplace = pt->inplace;
	o->r.dp_compute_us = NAN;
	o->r.dp_comm_us = NAN;
	o->r.dp_exposed_us = NAN;
	o->r.dp_overlap_frac = NAN;
	o->r.dp_overhead = NAN;
}

/* After measuring: the comm row and the table's figures. */
static void
finish(struct sb_outcome *o, const struct ar_point *pt, int world,
    struct ar_row *row)
{
	struct db_comm *c = &o->comm[0];

	snprintf(row->status, sizeof(row->status), "%s", o->r.status);
	snprintf(row->reason, sizeof(row->reason), "%s",
	    o->r.reason != NULL ? o->r.reason : "");
	row->nsamples = o->r.nsamples;
	row->median_us = o->r.median_us;
	row->min_us = o->r.min_us;
	row->algbw = sb_algbw_gbps((double)pt->bytes, row->median_us);
	row->busbw = sb_busbw_gbps((double)pt->bytes, row->median_us, world);
	if (o->r.nsamples == 0)
		return;
	o->r.dp_comm_us = o->r.median_us;
	memset(c, 0, sizeof(*c));
	c->bucket = 0;
	c->nparams = -1;
	c->layer_hi = c->layer_lo = -1;
	c->bytes = (int64_t)pt->bytes;
	c->median_us = o->r.median_us;
	c->min_us = o->r.min_us;
	c->algbw_gbps = row->algbw;
	c->busbw_gbps = row->busbw;
	o->r.ncomm = 1;
	o->r.comm = o->comm;
}

static int
execute(struct ar_args *a, int argc, char **argv)
{
	struct ar_bench b;
	struct ar_point *pts = NULL;
	struct ar_row *rows = NULL;
	struct sb_device dev;
	struct sb_json j;
	struct db *db = NULL;
	const char *path = sb_db_path(a->db);
	char err[1024], uuid[40] = "", device[128];
	int64_t run_id = 0;
	int npts = 0, world, rank0, rc = SB_EXIT_OK, any_failed = 0;
	int done = 0, tty, st;
	int counts[3] = { 0, 0, 0 };	/* ok, mismatch, failed */

	memset(&b, 0, sizeof(b));
	memset(&dev, 0, sizeof(dev));
	world = a->world > 0 ? (int)a->world : sb_comm_size();
	/* collective over the job; every rank gets the same answer */
	if (sb_comm_get(a->backend, world, &b.comm, err, sizeof(err)) != 0) {
		if (a->backend == SB_COMM_NCCL && world <= sb_comm_size())
			return sb_usage("allreduce", "--backend nccl: %s (no "
			    "GPU or no NCCL here: give --backend mpi)", err);
		return sb_usage("allreduce", "--world %d: %s", world, err);
	}
	if (b.comm == NULL)
		return SB_EXIT_OK;	/* this rank sits the run out */
	rank0 = sb_comm_grank(b.comm) == 0;
	if (plan_points(a, &pts, &npts) != 0)
		return sb_fail("allreduce", "out of memory");
	if (npts == 0) {
		free(pts);
		return sb_usage("allreduce", "-b %lld to -e %lld holds no "
		    "message of a whole element; raise -e",
		    (long long)a->min_bytes, (long long)a->max_bytes);
	}
	if ((rows = calloc((size_t)npts, sizeof(*rows))) == NULL) {
		free(pts);
		return sb_fail("allreduce", "out of memory");
	}

	/* Buffers on every rank, then rank 0's database: the outcome of
	 * both is agreed before anything is measured (design note 1). */
	st = bench_open(&b, a, pts, npts) == 0 ? 0 : 1;
	if (st != 0)
		fprintf(stderr, "stepbench allreduce: rank %d: %s\n",
		    sb_comm_rank(), b.err);
	if (rank0 && st == 0) {
		sb_device_probe(&dev);
		if (!a->no_db) {
			if ((db = sb_db_open_cli("allreduce", path,
			    DB_OPEN_WRITE)) == NULL)
				st = 2;
			else if (sb_cli_run_begin("allreduce", db, &dev, argc,
			    argv, a->label, a->note, npts, uuid, &run_id) != 0)
				st = 1;
		}
	}
	{
		int32_t v = st;

		if (sb_comm_allreduce_host(b.comm, NULL, &v, 1, SB_CD_I32,
		    SB_RED_MAX, err, sizeof(err)) != 0) {
			rc = sb_fail("allreduce", "%s", err);
			goto out;
		}
		if (v != 0) {
			rc = v == 2 ? SB_EXIT_USAGE : SB_EXIT_FAIL;
			if (db != NULL && run_id > 0)
				db_run_end(db, run_id, "failed");
			goto out;
		}
	}

	sb_cli_catch_interrupts();
	prof_init();
	{
		char mark[96];

		snprintf(mark, sizeof(mark), "run %lld", (long long)run_id);
		prof_sweep_begin("allreduce", run_id, mark);
	}
	tty = rank0 && isatty(STDERR_FILENO);
	if (rank0 && !a->json)
		table_header(stdout);
	for (int i = 0; i < npts && !sb_engine_interrupted; i++) {
		const struct ar_point *pt = &pts[i];
		struct sb_outcome o;
		int er;

		if (tty)
			fprintf(stderr, "\r\033[K[%d/%d] %s %zu B", i + 1, npts,
			    pt->id, pt->bytes);
		sb_outcome_init(&o);
		outcome_of(&o, a, pt, b.world);
		er = measure(&b, pt, &o, &rows[i]);
		if (tty)
			fputs("\r\033[K", stderr);
		if (er == 1) {		/* interrupted before a sample */
			sb_outcome_free(&o);
			break;
		}
		if (er < 0) {
			o.r.status = "failed";
			snprintf(o.reason, sizeof(o.reason), "%s", b.err);
			o.r.reason = o.reason;
		}
		finish(&o, pt, b.world, &rows[i]);
		if (rank0 && db != NULL && db_result_add(db, run_id, &o.r)) {
			/* the other ranks carry on to the end of the plan:
			 * a failed store is only rank 0's */
			rc = sb_fail("allreduce", "%s", db_errmsg(db));
			db_close(db);
			db = NULL;
		}
		done++;
		if (strcmp(o.r.status, "ok") == 0)
			counts[0]++;
		else {
			counts[strcmp(o.r.status, "mismatch") == 0 ? 1 : 2]++;
			any_failed = 1;
		}
		if (rank0 && !a->json) {
			table_row(stdout, pt, &rows[i]);
			fflush(stdout);
		}
		sb_outcome_free(&o);
		if (er < 0) {
			/* a collective failed: the communicator cannot be
			 * trusted; the other ranks may be waiting in one */
			fprintf(stderr, "stepbench allreduce: rank %d: %s\n",
			    sb_comm_rank(), b.err);
			if (sb_comm_size() > 1) {
				if (db != NULL)
					db_run_end(db, run_id, "failed");
				sb_comm_abort(SB_EXIT_FAIL);
			}
			rc = SB_EXIT_FAIL;
			break;
		}
	}
	prof_pop();		/* the sweep */
	if (!rank0)
		goto out;
	fprintf(stderr, "%d point%s measured over %d rank%s: %d ok, %d "
	    "mismatch, %d failed\n", done, done == 1 ? "" : "s", b.world,
	    b.world == 1 ? "" : "s", counts[0], counts[1], counts[2]);
	if (db != NULL) {
		if (sb_engine_interrupted) {
			db_run_end(db, run_id, "aborted");
			fprintf(stderr, "stepbench allreduce: interrupted; run "
			    "%s is marked aborted\n", uuid);
		} else if (db_run_end(db, run_id, rc != 0 || any_failed ?
		    "failed" : "ok"))
			rc = sb_fail("allreduce", "%s", db_errmsg(db));
		else
			fprintf(stderr, "run %s stored in %s; 'stepbench "
			    "export %.8s -' prints it\n", uuid, path, uuid);
	}
	if (a->json) {
		sb_device_label(&dev, device, sizeof(device));
		sb_json_init(&j);
		sb_json_obj_begin(&j, NULL);
		sb_json_str(&j, "run", uuid[0] ? uuid : NULL);
		sb_json_str(&j, "db", db != NULL ? path : NULL);
		sb_json_str(&j, "device", device);
		sb_json_str(&j, "backend", sb_comm_backend_name(a->backend));
		sb_json_int(&j, "world", b.world);
		sb_json_bool(&j, "graph", a->graph);
		sb_json_int(&j, "planned_points", npts);
		sb_json_arr_begin(&j, "points");
		for (int i = 0; i < done; i++)
			json_point(&j, &pts[i], &rows[i], b.world);
		sb_json_arr_end(&j);
		sb_json_obj_end(&j);
		if (sb_json_text(&j) != NULL)
			printf("%s\n", sb_json_text(&j));
		else
			rc = sb_fail("allreduce", "out of memory for the JSON");
		sb_json_free(&j);
	}
out:
	if (sb_engine_interrupted)
		rc = SB_EXIT_INTR;
	else if (rc == 0 && any_failed)
		rc = SB_EXIT_FAIL;
	bench_close(&b);
	db_close(db);
	free(rows);
	free(pts);
	return rc;
}

int
cmd_allreduce(int argc, char **argv)
{
	struct ar_args a;
	int rc;

	if ((rc = parse_args(argc, argv, &a)) != 0)
		return rc < 0 ? SB_EXIT_OK : rc;
	/* argv here starts at "allreduce": store the whole command line */
	return execute(&a, argc + 1, argv - 1);
}
