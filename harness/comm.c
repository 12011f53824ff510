/*
 * harness/comm.c — the communication backends (contract in comm.h): the
 * only file that includes mpi.h and nccl.h.
 *
 * Design notes.
 *
 *  1. The process.  sb_comm_init decides once whether a launcher started
 *     us (the environment of mpirun, srun or a PMI(x) launcher) and, in a
 *     build with MPI, calls MPI_Init only then: a plain `stepbench sweep`
 *     never touches MPI, so a build with MPI runs where no launcher is
 *     installed.  MPI errors return (MPI_ERRORS_RETURN on the world, which
 *     every split inherits) so that each call reports MPI's words instead
 *     of MPI aborting the job.
 *
 *  2. Communicators.  One struct sb_comm per (backend, world), made on
 *     first use and kept in `cache` until sb_comm_fini.  A process outside
 *     [0, world) caches NULL for the pair, so a repeated sb_comm_get is
 *     local on every rank and the collective calls stay matched.  The MPI
 *     communicator `mc` exists whenever MPI is initialised, for NCCL
 *     communicators too: their host-side collectives (the loss, timings,
 *     agreement) go over it.  Without MPI the world is 1 and every host
 *     collective is a copy.
 *
 *  3. NCCL creation agrees before it blocks.  ncclCommInitRank waits for
 *     all `world` ranks; a rank that cannot even try (no GPU) would leave
 *     the others waiting forever.  So every rank first reports whether it
 *     sees a GPU (an MPI all-reduce), rank 0's ncclGetUniqueId result
 *     travels with the id, and the ranks agree on the outcome of
 *     ncclCommInitRank afterwards (one failed: all give theirs back).
 *
 *  4. Half-precision host reductions.  MPI has no fp16/bf16: their bit
 *     patterns travel as MPI_UINT16_T under user-defined operations (one
 *     per type and operation, made on first use) that widen to float,
 *     combine, and round back per element — the rounding of a tree of
 *     pairwise sums, exact for the integer-valued inputs the tests use.
 *
 *  5. AVG on the host is a SUM, then a multiplication by 1/world (as
 *     NCCL's ncclAvg does for floating types); on int32 a division.  The
 *     non-blocking form applies it in sb_comm_wait_host, so each slot
 *     remembers its buffer, count, type and operation.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cuda_runtime.h>

#include "comm.h"
#include "half.h"

#ifdef SB_HAVE_MPI
#include <mpi.h>
#endif
#ifdef SB_HAVE_NCCL
#include <nccl.h>
#endif

struct sb_comm_slot {
	int			 busy;
	void			*buf;
	int64_t			 count;
	enum sb_comm_dtype	 dtype;
	enum sb_red_op		 op;
#ifdef SB_HAVE_MPI
	MPI_Request		 req;
#endif
};

struct sb_comm {
	enum sb_comm_backend	 backend;
	int			 world;
	int			 grank;
#ifdef SB_HAVE_MPI
	MPI_Comm		 mc;	/* MPI_COMM_NULL without MPI_Init */
#endif
#ifdef SB_HAVE_NCCL
	ncclComm_t		 nc;
#endif
	struct sb_comm_slot	 slots[SB_COMM_SLOTS];
};

#define SB_COMM_CACHE	32

static struct {
	int			 inited;
	int			 launched;
	int			 rank;
	int			 size;
	int			 local_rank;
	int			 mpi_inited;	/* we called MPI_Init */
	int			 ncache;
	struct {
		enum sb_comm_backend	 backend;
		int			 world;
		struct sb_comm		*comm;	/* NULL: this rank sits out */
		char			*failed;	/* why the making failed */
	} cache[SB_COMM_CACHE];
#ifdef SB_HAVE_MPI
	MPI_Comm		 node;
	MPI_Op			 half_ops[2][3];	/* f16|bf16 x sum|max|min */
	int			 half_ops_made[2][3];
#endif
} g = { .rank = 0, .size = 1 };

static int	fail(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static int	env_int(const char *, int *);
static int	launch_size(int *);
static int	count_ok(int64_t, char *, size_t);
static void	host_copy(const void *, void *, int64_t, enum sb_comm_dtype);

static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

size_t
sb_comm_dtype_size(enum sb_comm_dtype t)
{
	switch (t) {
	case SB_CD_F32:
	case SB_CD_I32:
		return 4;
	case SB_CD_F16:
	case SB_CD_BF16:
		return 2;
	case SB_CD_F64:
		return 8;
	}
	return 0;
}

const char *
sb_comm_backend_name(enum sb_comm_backend b)
{
	return b == SB_COMM_MPI ? "mpi" : b == SB_COMM_NCCL ? "nccl" : "?";
}

const char *
sb_red_op_name(enum sb_red_op op)
{
	switch (op) {
	case SB_RED_SUM:
		return "sum";
	case SB_RED_AVG:
		return "avg";
	case SB_RED_MAX:
		return "max";
	case SB_RED_MIN:
		return "min";
	}
	return "?";
}

/* --- the process ----------------------------------------------------------- */

static int
env_int(const char *name, int *out)
{
	const char *s = getenv(name);
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return 0;
	v = strtol(s, &end, 10);
	if (*end != '\0' || v < 0 || v > INT_MAX)
		return 0;
	*out = (int)v;
	return 1;
}

/* 1 when a launcher's environment is present, with the job's size in
 * *size when it says (else 1). */
static int
launch_size(int *size)
{
	int n, r;

	*size = 1;
	if (env_int("OMPI_COMM_WORLD_SIZE", &n)) {
		*size = n;
		return 1;
	}
	if (env_int("PMI_SIZE", &n)) {
		*size = n;
		return 1;
	}
	if (env_int("SLURM_NTASKS", &n) && env_int("SLURM_PROCID", &r)) {
		*size = n;
		return 1;
	}
	if (getenv("PMIX_RANK") != NULL) {
		if (env_int("PMIX_SIZE", &n))
			*size = n;
		return 1;
	}
	return 0;
}

int
sb_comm_launched(void)
{
	int n;

	return launch_size(&n);
}

int
sb_comm_built_with_mpi(void)
{
#ifdef SB_HAVE_MPI
	return 1;
#else
	return 0;
#endif
}

#ifdef SB_HAVE_MPI
static int
mpi_fail(char *err, size_t errlen, const char *what, int rc)
{
	char msg[MPI_MAX_ERROR_STRING];
	int len = 0;

	if (MPI_Error_string(rc, msg, &len) != MPI_SUCCESS)
		snprintf(msg, sizeof(msg), "MPI error %d", rc);
	return fail(err, errlen, "%s: %s", what, msg);
}
#endif

int
sb_comm_init(int *argc, char ***argv, char *err, size_t errlen)
{
	int size;

	if (g.inited)
		return 0;
	g.launched = launch_size(&size);
	g.rank = 0;
	g.size = 1;
	g.local_rank = 0;
#ifdef SB_HAVE_MPI
	g.node = MPI_COMM_NULL;
	if (g.launched) {
		int flag = 0, rc, n = 0;

		MPI_Initialized(&flag);
		if (!flag) {
			if ((rc = MPI_Init(argc, argv)) != MPI_SUCCESS)
				return mpi_fail(err, errlen, "MPI_Init", rc);
			g.mpi_inited = 1;
		}
		MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
		MPI_Comm_rank(MPI_COMM_WORLD, &g.rank);
		MPI_Comm_size(MPI_COMM_WORLD, &g.size);
		rc = MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED,
		    g.rank, MPI_INFO_NULL, &g.node);
		if (rc != MPI_SUCCESS)
			return mpi_fail(err, errlen,
			    "MPI_Comm_split_type(MPI_COMM_TYPE_SHARED)", rc);
		MPI_Comm_rank(g.node, &g.local_rank);
		/* One GPU per local rank; without a driver the count fails and
		 * the rank runs CPU variants only. */
		if (cudaGetDeviceCount(&n) == cudaSuccess && n > 0) {
			cudaError_t ce = cudaSetDevice(g.local_rank % n);

			if (ce != cudaSuccess)
				return fail(err, errlen,
				    "cudaSetDevice(%d) on local rank %d of a "
				    "node with %d GPUs: %s", g.local_rank % n,
				    g.local_rank, n, cudaGetErrorString(ce));
		} else
			(void)cudaGetLastError();
	}
#else
	(void)argc;
	(void)argv;
	if (g.launched && size > 1)
		return fail(err, errlen,
		    "started as one of %d processes (mpirun/srun), but this "
		    "build has no MPI, so every process would be rank 0 of 1; "
		    "install MPI (apt-get install libopenmpi-dev openmpi-bin), "
		    "rebuild (cmake finds it), or run one process", size);
#endif
	g.inited = 1;
	return 0;
}

static void
comm_free(struct sb_comm *c)
{
	if (c == NULL)
		return;
#ifdef SB_HAVE_NCCL
	if (c->nc != NULL)
		ncclCommDestroy(c->nc);
#endif
#ifdef SB_HAVE_MPI
	for (int s = 0; s < SB_COMM_SLOTS; s++)
		if (c->slots[s].busy == 1)
			MPI_Wait(&c->slots[s].req, MPI_STATUS_IGNORE);
	if (c->mc != MPI_COMM_NULL)
		MPI_Comm_free(&c->mc);
#endif
	free(c);
}

void
sb_comm_fini(void)
{
	for (int i = 0; i < g.ncache; i++) {
		comm_free(g.cache[i].comm);
		free(g.cache[i].failed);
	}
	g.ncache = 0;
#ifdef SB_HAVE_MPI
	{
		int fin = 0;

		MPI_Finalized(&fin);
		if (!fin && g.inited && g.launched) {
			for (int t = 0; t < 2; t++)
				for (int o = 0; o < 3; o++)
					if (g.half_ops_made[t][o]) {
						MPI_Op_free(&g.half_ops[t][o]);
						g.half_ops_made[t][o] = 0;
					}
			if (g.node != MPI_COMM_NULL)
				MPI_Comm_free(&g.node);
			if (g.mpi_inited)
				MPI_Finalize();
		}
		g.mpi_inited = 0;
	}
#endif
	g.inited = 0;
}

int
sb_comm_rank(void)
{
	return g.rank;
}

int
sb_comm_size(void)
{
	return g.size;
}

int
sb_comm_local_rank(void)
{
	return g.local_rank;
}

const char *
sb_comm_mpi_version(void)
{
#ifdef SB_HAVE_MPI
	static char v[MPI_MAX_LIBRARY_VERSION_STRING];
	int len = 0;

	if (v[0] == '\0') {
		if (MPI_Get_library_version(v, &len) != MPI_SUCCESS)
			snprintf(v, sizeof(v), "MPI %d.%d", MPI_VERSION,
			    MPI_SUBVERSION);
		v[strcspn(v, "\r\n")] = '\0';
	}
	return v;
#else
	return "not built in";
#endif
}

int
sb_comm_nccl_version(void)
{
#ifdef SB_HAVE_NCCL
	int v = 0;

	if (ncclGetVersion(&v) == ncclSuccess)
		return v;
#endif
	return 0;
}

#ifdef SB_HAVE_MPI
/* MPI is initialised: the process was launched (design note 1). */
static int
mpi_live(void)
{
	return g.inited && g.launched;
}
#endif

int
sb_comm_job_barrier(void)
{
#ifdef SB_HAVE_MPI
	if (mpi_live() && MPI_Barrier(MPI_COMM_WORLD) != MPI_SUCCESS)
		return -1;
#endif
	return 0;
}

void
sb_comm_abort(int code)
{
#ifdef SB_HAVE_MPI
	if (mpi_live() && g.size > 1)
		MPI_Abort(MPI_COMM_WORLD, code);
#endif
	exit(code);
}

/* --- communicators --------------------------------------------------------- */

int
sb_comm_world(const struct sb_comm *c)
{
	return c->world;
}

int
sb_comm_grank(const struct sb_comm *c)
{
	return c->grank;
}

enum sb_comm_backend
sb_comm_backend(const struct sb_comm *c)
{
	return c->backend;
}

#ifdef SB_HAVE_NCCL
static int
nccl_fail(char *err, size_t errlen, const char *what, ncclResult_t r,
    ncclComm_t nc)
{
	const char *last = ncclGetLastError(nc);

	return fail(err, errlen, "%s: %s%s%s", what, ncclGetErrorString(r),
	    last != NULL && *last != '\0' ? ": " : "",
	    last != NULL ? last : "");
}

/* Design note 3.  Collective over c->mc (when there is one). */
static int
nccl_create(struct sb_comm *c, char *err, size_t errlen)
{
	struct {
		int		ok;
		ncclUniqueId	id;
	} hello;
	char why[512] = "";
	ncclResult_t r;
	int ngpu = 0, ok;
	cudaError_t ce;

	memset(&hello, 0, sizeof(hello));
	ce = cudaGetDeviceCount(&ngpu);
	if (ce != cudaSuccess) {
		(void)cudaGetLastError();
		snprintf(why, sizeof(why), "cudaGetDeviceCount: %s",
		    cudaGetErrorString(ce));
		ngpu = 0;
	} else if (ngpu == 0)
		snprintf(why, sizeof(why), "cudaGetDeviceCount: 0");
#ifdef SB_HAVE_MPI
	if (c->world > 1) {
		int mine = ngpu > 0 ? INT_MAX : c->grank, first;

		/* The lowest rank without a GPU, INT_MAX when all have one. */
		if (MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, c->mc) !=
		    MPI_SUCCESS)
			return fail(err, errlen, "nccl: MPI_Allreduce failed "
			    "agreeing on GPUs");
		if (first != INT_MAX)
			return fail(err, errlen, "nccl world %d: rank %d has "
			    "no GPU%s%s%s; NCCL needs one GPU per rank (run "
			    "the mpi backend on CPU ranks)", c->world, first,
			    first == c->grank ? " (" : "",
			    first == c->grank ? why : "",
			    first == c->grank ? ")" : "");
	}
#endif
	if (c->grank == 0) {
		r = ncclGetUniqueId(&hello.id);
		hello.ok = r == ncclSuccess;
		if (!hello.ok)
			nccl_fail(why, sizeof(why), "ncclGetUniqueId", r, NULL);
	}
#ifdef SB_HAVE_MPI
	if (c->world > 1 && MPI_Bcast(&hello, (int)sizeof(hello), MPI_BYTE, 0,
	    c->mc) != MPI_SUCCESS)
		return fail(err, errlen, "nccl: MPI_Bcast of the unique id "
		    "failed");
#endif
	if (!hello.ok)
		return fail(err, errlen, "nccl world %d: rank 0: %s", c->world,
		    c->grank == 0 ? why : "ncclGetUniqueId failed");
	r = ncclCommInitRank(&c->nc, c->world, hello.id, c->grank);
	ok = r == ncclSuccess;
	if (!ok) {
		c->nc = NULL;
		nccl_fail(why, sizeof(why), "ncclCommInitRank", r, NULL);
	}
#ifdef SB_HAVE_MPI
	if (c->world > 1) {
		int mine = ok ? INT_MAX : c->grank, first;

		if (MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, c->mc) !=
		    MPI_SUCCESS)
			first = c->grank;
		if (first != INT_MAX) {
			if (c->nc != NULL)
				ncclCommDestroy(c->nc);
			c->nc = NULL;
			if (ok)
				return fail(err, errlen, "nccl world %d: "
				    "ncclCommInitRank failed on rank %d",
				    c->world, first);
		}
	}
#endif
	if (!ok)
		return fail(err, errlen, "nccl world %d, rank %d: %s",
		    c->world, c->grank, why);
	return 0;
}
#endif

int
sb_comm_get(enum sb_comm_backend backend, int world, struct sb_comm **out,
    char *err, size_t errlen)
{
	struct sb_comm *c;
	int member;

	*out = NULL;
	if (!g.inited)
		return fail(err, errlen, "sb_comm_get before sb_comm_init");
	if (backend != SB_COMM_MPI && backend != SB_COMM_NCCL)
		return fail(err, errlen, "backend %d is not one of mpi, nccl",
		    (int)backend);
#ifndef SB_HAVE_NCCL
	if (backend == SB_COMM_NCCL)
		return fail(err, errlen, "this build has no NCCL (CMake found "
		    "no libnccl/nccl.h under the CUDA toolkit); use the mpi "
		    "backend or rebuild with NCCL");
#endif
	if (world < 1)
		return fail(err, errlen, "world %d: it must be at least 1",
		    world);
	if (world > g.size)
		return fail(err, errlen, "world %d needs %d processes: run "
		    "under mpirun -n %d (this job has %d)", world, world, world,
		    g.size);
	for (int i = 0; i < g.ncache; i++)
		if (g.cache[i].backend == backend && g.cache[i].world == world) {
			if (g.cache[i].failed != NULL)
				return fail(err, errlen, "%s", g.cache[i].failed);
			*out = g.cache[i].comm;
			return 0;
		}
	if (g.ncache == SB_COMM_CACHE)
		return fail(err, errlen, "more than %d communicators",
		    SB_COMM_CACHE);

	member = g.rank < world;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return fail(err, errlen, "out of memory");
	c->backend = backend;
	c->world = world;
	c->grank = member ? g.rank : -1;
#ifdef SB_HAVE_MPI
	c->mc = MPI_COMM_NULL;
	if (mpi_live()) {
		int rc = MPI_Comm_split(MPI_COMM_WORLD, member ? 0 :
		    MPI_UNDEFINED, g.rank, &c->mc);

		if (rc != MPI_SUCCESS) {
			free(c);
			return mpi_fail(err, errlen, "MPI_Comm_split", rc);
		}
		if (member)
			MPI_Comm_rank(c->mc, &c->grank);
	}
#endif
	if (!member) {
		free(c);
		c = NULL;
	}
	g.cache[g.ncache].backend = backend;
	g.cache[g.ncache].world = world;
	g.cache[g.ncache].comm = c;
	g.cache[g.ncache].failed = NULL;
#ifdef SB_HAVE_NCCL
	/* A failure is cached too: this rank must not split again while the
	 * others answer from their cache (design note 2). */
	if (c != NULL && backend == SB_COMM_NCCL &&
	    nccl_create(c, err, errlen) != 0) {
		comm_free(c);
		g.cache[g.ncache].comm = NULL;
		g.cache[g.ncache].failed = strdup(err != NULL && errlen > 0 ?
		    err : "making the NCCL communicator failed");
		if (g.cache[g.ncache].failed == NULL)
			return -1;
		g.ncache++;
		return -1;
	}
#endif
	g.ncache++;
	*out = c;
	return 0;
}

/* --- host collectives ------------------------------------------------------ */

static int
count_ok(int64_t count, char *err, size_t errlen)
{
	if (count < 0 || count > INT_MAX)
		return fail(err, errlen, "count %lld: a host collective takes "
		    "0 to %d elements", (long long)count, INT_MAX);
	return 0;
}

static void
host_copy(const void *send, void *recv, int64_t count, enum sb_comm_dtype t)
{
	if (send != NULL && send != recv)
		memmove(recv, send, (size_t)count * sb_comm_dtype_size(t));
}

#ifdef SB_HAVE_MPI
/* Design note 5: AVG = SUM · (1/world). */
static void
scale_avg(void *buf, int64_t count, enum sb_comm_dtype t, int world)
{
	float inv = 1.0f / (float)world;

	if (world == 1)
		return;
	for (int64_t i = 0; i < count; i++)
		switch (t) {
		case SB_CD_F32:
			((float *)buf)[i] *= inv;
			break;
		case SB_CD_F64:
			((double *)buf)[i] *= 1.0 / (double)world;
			break;
		case SB_CD_I32:
			((int32_t *)buf)[i] /= world;
			break;
		case SB_CD_F16:
			((uint16_t *)buf)[i] = sb_f32_to_f16(
			    sb_f16_to_f32(((uint16_t *)buf)[i]) * inv);
			break;
		case SB_CD_BF16:
			((uint16_t *)buf)[i] = sb_f32_to_bf16(
			    sb_bf16_to_f32(((uint16_t *)buf)[i]) * inv);
			break;
		}
}

/* Design note 4: inout[i] := round(float(in[i]) op float(inout[i])). */
#define SB_HALF_OP(name, to32, from32, expr)				\
static void								\
name(void *in_, void *inout_, int *len, MPI_Datatype *dt)		\
{									\
	const uint16_t *in = in_;					\
	uint16_t *inout = inout_;					\
									\
	(void)dt;							\
	for (int i = 0; i < *len; i++) {				\
		float a = to32(in[i]), b = to32(inout[i]);		\
									\
		inout[i] = from32(expr);				\
	}								\
}
SB_HALF_OP(f16_sum, sb_f16_to_f32, sb_f32_to_f16, a + b)
SB_HALF_OP(f16_max, sb_f16_to_f32, sb_f32_to_f16, a > b ? a : b)
SB_HALF_OP(f16_min, sb_f16_to_f32, sb_f32_to_f16, a < b ? a : b)
SB_HALF_OP(bf16_sum, sb_bf16_to_f32, sb_f32_to_bf16, a + b)
SB_HALF_OP(bf16_max, sb_bf16_to_f32, sb_f32_to_bf16, a > b ? a : b)
SB_HALF_OP(bf16_min, sb_bf16_to_f32, sb_f32_to_bf16, a < b ? a : b)
#undef SB_HALF_OP

static MPI_User_function *const half_fns[2][3] = {
	{ f16_sum, f16_max, f16_min },
	{ bf16_sum, bf16_max, bf16_min },
};

/* The MPI datatype and operation for (t, op). */
static int
mpi_type_op(enum sb_comm_dtype t, enum sb_red_op op, MPI_Datatype *mt,
    MPI_Op *mo, char *err, size_t errlen)
{
	int o = op == SB_RED_MAX ? 1 : op == SB_RED_MIN ? 2 : 0;

	switch (t) {
	case SB_CD_F32:
		*mt = MPI_FLOAT;
		break;
	case SB_CD_F64:
		*mt = MPI_DOUBLE;
		break;
	case SB_CD_I32:
		*mt = MPI_INT32_T;
		break;
	case SB_CD_F16:
	case SB_CD_BF16: {
		int h = t == SB_CD_BF16;
		int rc;

		*mt = MPI_UINT16_T;
		if (!g.half_ops_made[h][o]) {
			rc = MPI_Op_create(half_fns[h][o], 1, &g.half_ops[h][o]);
			if (rc != MPI_SUCCESS)
				return mpi_fail(err, errlen, "MPI_Op_create",
				    rc);
			g.half_ops_made[h][o] = 1;
		}
		*mo = g.half_ops[h][o];
		return 0;
	}
	default:
		return fail(err, errlen, "dtype %d is not one of f32, f16, "
		    "bf16, f64, i32", (int)t);
	}
	*mo = o == 1 ? MPI_MAX : o == 2 ? MPI_MIN : MPI_SUM;
	return 0;
}
#endif

static int
args_ok(struct sb_comm *c, int64_t count, enum sb_comm_dtype t,
    enum sb_red_op op, char *err, size_t errlen)
{
	if (c == NULL)
		return fail(err, errlen, "collective on a NULL communicator "
		    "(this rank sits the point out)");
	if (sb_comm_dtype_size(t) == 0)
		return fail(err, errlen, "dtype %d is not one of f32, f16, "
		    "bf16, f64, i32", (int)t);
	if (op != SB_RED_SUM && op != SB_RED_AVG && op != SB_RED_MAX &&
	    op != SB_RED_MIN)
		return fail(err, errlen, "reduction %d is not one of sum, avg, "
		    "max, min", (int)op);
	return count_ok(count, err, errlen);
}

int
sb_comm_allreduce_host(struct sb_comm *c, const void *sendbuf, void *recvbuf,
    int64_t count, enum sb_comm_dtype t, enum sb_red_op op, char *err,
    size_t errlen)
{
	if (args_ok(c, count, t, op, err, errlen) != 0)
		return -1;
#ifdef SB_HAVE_MPI
	if (c->mc != MPI_COMM_NULL && c->world > 1) {
		MPI_Datatype mt = MPI_FLOAT;
		MPI_Op mo = MPI_SUM;
		int rc;

		if (mpi_type_op(t, op, &mt, &mo, err, errlen) != 0)
			return -1;
		rc = MPI_Allreduce(sendbuf == NULL || sendbuf == recvbuf ?
		    MPI_IN_PLACE : sendbuf, recvbuf, (int)count, mt, mo, c->mc);
		if (rc != MPI_SUCCESS)
			return mpi_fail(err, errlen, "MPI_Allreduce", rc);
		if (op == SB_RED_AVG)
			scale_avg(recvbuf, count, t, c->world);
		return 0;
	}
#endif
	host_copy(sendbuf, recvbuf, count, t);
	return 0;
}

int
sb_comm_bcast_host(struct sb_comm *c, void *buf, size_t bytes, int root,
    char *err, size_t errlen)
{
	if (c == NULL)
		return fail(err, errlen, "bcast on a NULL communicator");
	if (root < 0 || root >= c->world)
		return fail(err, errlen, "bcast root %d: valid roots are 0 to "
		    "%d", root, c->world - 1);
	if (bytes > INT_MAX)
		return fail(err, errlen, "bcast of %zu bytes: at most %d",
		    bytes, INT_MAX);
#ifdef SB_HAVE_MPI
	if (c->mc != MPI_COMM_NULL && c->world > 1) {
		int rc = MPI_Bcast(buf, (int)bytes, MPI_BYTE, root, c->mc);

		if (rc != MPI_SUCCESS)
			return mpi_fail(err, errlen, "MPI_Bcast", rc);
	}
#else
	(void)buf;
#endif
	return 0;
}

int
sb_comm_allgather_host(struct sb_comm *c, const void *send, void *recv,
    size_t bytes, char *err, size_t errlen)
{
	if (c == NULL)
		return fail(err, errlen, "allgather on a NULL communicator");
	if (bytes > INT_MAX)
		return fail(err, errlen, "allgather of %zu bytes per rank: at "
		    "most %d", bytes, INT_MAX);
#ifdef SB_HAVE_MPI
	if (c->mc != MPI_COMM_NULL && c->world > 1) {
		int rc = MPI_Allgather(send, (int)bytes, MPI_BYTE, recv,
		    (int)bytes, MPI_BYTE, c->mc);

		if (rc != MPI_SUCCESS)
			return mpi_fail(err, errlen, "MPI_Allgather", rc);
		return 0;
	}
#endif
	if (send != recv)
		memmove(recv, send, bytes);
	return 0;
}

int
sb_comm_barrier(struct sb_comm *c, char *err, size_t errlen)
{
	if (c == NULL)
		return fail(err, errlen, "barrier on a NULL communicator");
#ifdef SB_HAVE_MPI
	if (c->mc != MPI_COMM_NULL && c->world > 1) {
		int rc = MPI_Barrier(c->mc);

		if (rc != MPI_SUCCESS)
			return mpi_fail(err, errlen, "MPI_Barrier", rc);
	}
#endif
	return 0;
}

int
sb_comm_iallreduce_host(struct sb_comm *c, int slot, void *buf,
    int64_t count, enum sb_comm_dtype t, enum sb_red_op op, char *err,
    size_t errlen)
{
	struct sb_comm_slot *s;

	if (args_ok(c, count, t, op, err, errlen) != 0)
		return -1;
	if (c->backend != SB_COMM_MPI)
		return fail(err, errlen, "non-blocking host all-reduce on a "
		    "%s communicator: only mpi ones have it",
		    sb_comm_backend_name(c->backend));
	if (slot < 0 || slot >= SB_COMM_SLOTS)
		return fail(err, errlen, "slot %d: valid slots are 0 to %d",
		    slot, SB_COMM_SLOTS - 1);
	s = &c->slots[slot];
	if (s->busy)
		return fail(err, errlen, "slot %d is still in flight: "
		    "sb_comm_wait_host it first", slot);
	s->buf = buf;
	s->count = count;
	s->dtype = t;
	s->op = op;
#ifdef SB_HAVE_MPI
	if (c->mc != MPI_COMM_NULL && c->world > 1) {
		MPI_Datatype mt = MPI_FLOAT;
		MPI_Op mo = MPI_SUM;
		int rc;

		if (mpi_type_op(t, op, &mt, &mo, err, errlen) != 0)
			return -1;
		rc = MPI_Iallreduce(MPI_IN_PLACE, buf, (int)count, mt, mo,
		    c->mc, &s->req);
		if (rc != MPI_SUCCESS)
			return mpi_fail(err, errlen, "MPI_Iallreduce", rc);
		s->busy = 1;
		return 0;
	}
#endif
	s->busy = 2;	/* world 1: nothing to wait for */
	return 0;
}

int
sb_comm_wait_host(struct sb_comm *c, int slot, char *err, size_t errlen)
{
	struct sb_comm_slot *s;

	if (c == NULL)
		return fail(err, errlen, "wait on a NULL communicator");
	if (slot < 0 || slot >= SB_COMM_SLOTS)
		return fail(err, errlen, "slot %d: valid slots are 0 to %d",
		    slot, SB_COMM_SLOTS - 1);
	s = &c->slots[slot];
	if (!s->busy)
		return fail(err, errlen, "slot %d has no all-reduce in flight",
		    slot);
#ifdef SB_HAVE_MPI
	if (s->busy == 1) {
		int rc = MPI_Wait(&s->req, MPI_STATUS_IGNORE);

		s->busy = 0;
		if (rc != MPI_SUCCESS)
			return mpi_fail(err, errlen, "MPI_Wait", rc);
		if (s->op == SB_RED_AVG)
			scale_avg(s->buf, s->count, s->dtype, c->world);
	}
#endif
	s->busy = 0;
	return 0;
}

/* --- device collectives ---------------------------------------------------- */

#ifdef SB_HAVE_NCCL
static int
nccl_type_op(enum sb_comm_dtype t, enum sb_red_op op, ncclDataType_t *nt,
    ncclRedOp_t *no, char *err, size_t errlen)
{
	switch (t) {
	case SB_CD_F32:
		*nt = ncclFloat32;
		break;
	case SB_CD_F16:
		*nt = ncclFloat16;
		break;
	case SB_CD_BF16:
		*nt = ncclBfloat16;
		break;
	case SB_CD_F64:
		*nt = ncclFloat64;
		break;
	case SB_CD_I32:
		*nt = ncclInt32;
		break;
	default:
		return fail(err, errlen, "dtype %d is not one of f32, f16, "
		    "bf16, f64, i32", (int)t);
	}
	switch (op) {
	case SB_RED_SUM:
		*no = ncclSum;
		break;
	case SB_RED_AVG:
		*no = ncclAvg;
		break;
	case SB_RED_MAX:
		*no = ncclMax;
		break;
	case SB_RED_MIN:
		*no = ncclMin;
		break;
	default:
		return fail(err, errlen, "reduction %d is not one of sum, avg, "
		    "max, min", (int)op);
	}
	return 0;
}
#endif

int
sb_comm_allreduce_dev(struct sb_comm *c, const void *sendbuf, void *recvbuf,
    int64_t count, enum sb_comm_dtype t, enum sb_red_op op, void *stream,
    char *err, size_t errlen)
{
	if (c == NULL)
		return fail(err, errlen, "device all-reduce on a NULL "
		    "communicator");
	if (c->backend != SB_COMM_NCCL)
		return fail(err, errlen, "device all-reduce on a %s "
		    "communicator: only nccl ones have it",
		    sb_comm_backend_name(c->backend));
	if (count < 0)
		return fail(err, errlen, "count %lld: must be >= 0",
		    (long long)count);
	/* a misaligned buffer faults inside NCCL's kernel and leaves a
	 * sticky error that ends the process: refuse it here instead */
	if ((uintptr_t)sendbuf % sb_comm_dtype_size(t) != 0 ||
	    (uintptr_t)recvbuf % sb_comm_dtype_size(t) != 0)
		return fail(err, errlen, "device all-reduce buffers %p -> %p "
		    "are not aligned to their %zu-byte elements",
		    sendbuf, recvbuf, sb_comm_dtype_size(t));
#ifdef SB_HAVE_NCCL
	{
		ncclDataType_t nt = ncclFloat32;
		ncclRedOp_t no = ncclSum;
		ncclResult_t r;

		if (nccl_type_op(t, op, &nt, &no, err, errlen) != 0)
			return -1;
		/* NCCL before 2.29.7 leaves the last elements of a one-rank
		 * out-of-place average unwritten (its oneRankReduce kernel
		 * rounds the per-block share down: NVIDIA/nccl#1950, fixed in
		 * 2.29.7).  Seen here on the H200 with 2.28.9 (PyTorch's
		 * wheel): f64 avg of 4099 elements.  An average over one rank
		 * is a copy, so make it one. */
		if (c->world == 1 && op == SB_RED_AVG && sendbuf != recvbuf &&
		    sb_comm_nccl_version() < 22907) {
			cudaError_t ce = cudaMemcpyAsync(recvbuf, sendbuf,
			    (size_t)count * sb_comm_dtype_size(t),
			    cudaMemcpyDeviceToDevice, (cudaStream_t)stream);

			if (ce != cudaSuccess)
				return fail(err, errlen, "cudaMemcpyAsync for "
				    "a one-rank average: %s",
				    cudaGetErrorString(ce));
			return 0;
		}
		r = ncclAllReduce(sendbuf, recvbuf, (size_t)count, nt, no,
		    c->nc, (cudaStream_t)stream);
		if (r != ncclSuccess)
			return nccl_fail(err, errlen, "ncclAllReduce", r, c->nc);
		return 0;
	}
#else
	(void)sendbuf;
	(void)recvbuf;
	(void)t;
	(void)op;
	(void)stream;
	return fail(err, errlen, "this build has no NCCL");
#endif
}

int
sb_comm_group_start(char *err, size_t errlen)
{
#ifdef SB_HAVE_NCCL
	ncclResult_t r = ncclGroupStart();

	if (r != ncclSuccess)
		return nccl_fail(err, errlen, "ncclGroupStart", r, NULL);
	return 0;
#else
	return fail(err, errlen, "this build has no NCCL");
#endif
}

int
sb_comm_group_end(char *err, size_t errlen)
{
#ifdef SB_HAVE_NCCL
	ncclResult_t r = ncclGroupEnd();

	if (r != ncclSuccess)
		return nccl_fail(err, errlen, "ncclGroupEnd", r, NULL);
	return 0;
#else
	return fail(err, errlen, "this build has no NCCL");
#endif
}
