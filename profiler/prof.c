/*
 * profiler/prof.c — the NVTX domain and ranges (see prof.h).  Push/pop must
 * balance per thread; the engine pops every range it pushes on every path.
 *
 * Cost with no tool attached: NVTX's domain create returns NULL when no
 * tool injected itself (tools inject at the first NVTX call of the
 * process, so NULL stays NULL), and every call below returns on that
 * test.  With a tool, a hot name is found by hash in a table filled at
 * init (read-only afterwards, so threads may push concurrently) and sent
 * as a registered string handle.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE		/* syscall(SYS_gettid) */
#endif
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cuda_profiler_api.h>
#include <cuda_runtime.h>

#include "prof.h"

#ifdef SB_WITH_NVTX
#include <nvtx3/nvToolsExt.h>
#include <nvtx3/nvToolsExtCudaRt.h>
#endif

/* Tableau 10, so that neighbouring ranges stay apart on a timeline. */
#define C_BLUE		0xff4e79a7u
#define C_ORANGE	0xfff28e2bu
#define C_RED		0xffe15759u
#define C_TEAL		0xff76b7b2u
#define C_GREEN		0xff59a14fu
#define C_YELLOW	0xffedc948u
#define C_PURPLE	0xffb07aa1u
#define C_PINK		0xffff9da7u
#define C_BROWN		0xff9c755fu
#define C_GREY		0xffbab0acu

static const struct {
	const char	*impl;
	int		 prefix;	/* match impl's start only */
	const char	*family;
} families[] = {
	{ "cpu", 0, "cpu" },
	{ "naive", 0, "simt" },
	{ "coalesced", 0, "simt" },
	{ "smem", 0, "simt" },
	{ "regtile", 1, "simt" },
	{ "vec", 1, "simt" },
	{ "warptile", 0, "simt" },
	{ "mma", 0, "tensor" },
	{ "wmma", 0, "tensor" },
	{ "wgmma", 0, "tensor" },
	{ "imma", 0, "tensor" },
	{ "dp4a", 0, "tensor" },	/* int8 dot products: the int8 family */
	{ "cublas", 0, "cublas" },
	{ "cublaslt", 0, "cublaslt" },
	{ "nccl", 0, "comm" },
	{ "mpi", 0, "comm" },
};

static const struct {
	const char	*family;
	uint32_t	 argb;
} family_argb[] = {
	{ "cpu", C_BROWN }, { "simt", C_BLUE }, { "tensor", C_ORANGE },
	{ "cublas", C_RED }, { "cublaslt", C_YELLOW }, { "comm", C_TEAL },
};

/* A phase name's kind: the first prefix that matches. */
static const struct {
	const char	*prefix;
	const char	*kind;
	uint32_t	 argb;
} phase_kinds[] = {
	{ "forward", "compute", C_GREEN },
	{ "loss", "compute", C_GREEN },
	{ "backward.", "compute", C_GREEN },
	{ "sgd", "update", C_PURPLE },
	{ "amp.", "update", C_PURPLE },
	{ "int8.", "quant", C_PINK },
	{ "dp.", "comm", C_TEAL },
	{ "allreduce.", "comm", C_TEAL },
};

/* The range names the harness pushes itself (phase names come from the
 * engine, which knows them). */
static const char *const fixed_names[] = {
	"sweep", "gemm", "setup", "check", "warmup", "timed",
	"allreduce.wait",
};

const char *
prof_fixed_name(int i)
{
	if (i < 0 || (size_t)i >= sizeof(fixed_names) / sizeof(fixed_names[0]))
		return NULL;
	return fixed_names[i];
}

const char *
prof_family(const char *impl)
{
	if (impl == NULL)
		return "other";
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++)
		if (families[i].prefix ? strncmp(impl, families[i].impl,
		    strlen(families[i].impl)) == 0 :
		    strcmp(impl, families[i].impl) == 0)
			return families[i].family;
	return "other";
}

uint32_t
prof_family_argb(const char *impl)
{
	const char *f = prof_family(impl);

	for (size_t i = 0; i < sizeof(family_argb) / sizeof(family_argb[0]);
	    i++)
		if (strcmp(f, family_argb[i].family) == 0)
			return family_argb[i].argb;
	return C_GREY;
}

static int
phase_kind_of(const char *phase)
{
	if (phase == NULL)
		return -1;
	for (size_t i = 0; i < sizeof(phase_kinds) / sizeof(phase_kinds[0]);
	    i++)
		if (strncmp(phase, phase_kinds[i].prefix,
		    strlen(phase_kinds[i].prefix)) == 0)
			return (int)i;
	return -1;
}

const char *
prof_phase_kind(const char *phase)
{
	int k = phase_kind_of(phase);

	return k < 0 ? "other" : phase_kinds[k].kind;
}

int
prof_name_ok(const char *s)
{
	size_t n = 0;

	if (s == NULL || *s == '\0')
		return 0;
	for (; s[n] != '\0'; n++) {
		unsigned char ch = (unsigned char)s[n];

		if (ch <= ' ' || ch >= 0x7f || strchr("/@,[]*+", ch) != NULL)
			return 0;
	}
	return n <= PROF_NAME_MAX;
}

#ifdef SB_WITH_NVTX

static int inited;
static nvtxDomainHandle_t domain;	/* NULL: no tool attached */

static const struct {
	enum prof_category	 cat;
	const char		*name;
	uint32_t		 argb;
} cats[] = {
	{ PROF_CAT_SWEEP, "sweep", C_BLUE },
	{ PROF_CAT_POINT, "point", C_ORANGE },
	{ PROF_CAT_PHASE, "phase", C_GREEN },
	{ PROF_CAT_CHECK, "check", C_RED },
	{ PROF_CAT_COMM, "comm", C_TEAL },
	{ PROF_CAT_SETUP, "setup", C_GREY },
	{ PROF_CAT_COMPUTE, "compute", C_YELLOW },
};


/* Registered strings: open addressing on FNV-1a, filled at init. */
#define HOT_SLOTS	128	/* a power of two, twice what is used */
#define HOT_LEN		48
static struct {
	char			 name[HOT_LEN];	/* "" = empty slot */
	nvtxStringHandle_t	 h;
} hot[HOT_SLOTS];
static int nhot;

static uint32_t
hot_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* The slot holding name, or the empty slot where it would go. */
static int
hot_slot(const char *name)
{
	uint32_t i = hot_hash(name) & (HOT_SLOTS - 1);

	while (hot[i].name[0] != '\0' && strcmp(hot[i].name, name) != 0)
		i = (i + 1) & (HOT_SLOTS - 1);
	return (int)i;
}

static uint32_t
cat_argb(enum prof_category cat)
{
	for (size_t i = 0; i < sizeof(cats) / sizeof(cats[0]); i++)
		if (cats[i].cat == cat)
			return cats[i].argb;
	return C_GREY;
}

/* Fills a's message: the registered handle of a hot name, else ASCII. */
static void
set_message(nvtxEventAttributes_t *a, const char *name)
{
	if (strlen(name) < HOT_LEN) {
		int i = hot_slot(name);

		if (hot[i].name[0] != '\0' && hot[i].h != NULL) {
			a->messageType = NVTX_MESSAGE_TYPE_REGISTERED;
			a->message.registered = hot[i].h;
			return;
		}
	}
	a->messageType = NVTX_MESSAGE_TYPE_ASCII;
	a->message.ascii = name;
}

static void
push_attr(enum prof_category cat, uint32_t argb, const char *name,
    int with_payload, uint64_t payload)
{
	nvtxEventAttributes_t a;

	memset(&a, 0, sizeof(a));
	a.version = NVTX_VERSION;
	a.size = NVTX_EVENT_ATTRIB_STRUCT_SIZE;
	a.category = (uint32_t)cat;
	a.colorType = NVTX_COLOR_ARGB;
	a.color = argb;
	if (with_payload) {
		a.payloadType = NVTX_PAYLOAD_TYPE_UNSIGNED_INT64;
		a.payload.ullValue = payload;
	}
	set_message(&a, name);
	nvtxDomainRangePushEx(domain, &a);
}
#endif /* SB_WITH_NVTX */

void
prof_init(void)
{
#ifdef SB_WITH_NVTX
	if (inited)
		return;
	inited = 1;
	domain = nvtxDomainCreateA("stepbench");
	if (domain == NULL)
		return;		/* no tool attached: nothing listens */
	for (size_t i = 0; i < sizeof(cats) / sizeof(cats[0]); i++)
		nvtxDomainNameCategoryA(domain, cats[i].cat, cats[i].name);
	nvtxNameOsThreadA((uint32_t)syscall(SYS_gettid), "stepbench-main");
	for (size_t i = 0; i < sizeof(fixed_names) / sizeof(fixed_names[0]);
	    i++)
		prof_register(fixed_names[i]);
#endif
}

void
prof_register(const char *name)
{
#ifdef SB_WITH_NVTX
	int i;

	if (!inited)
		prof_init();
	/* a long name, or a full table, goes out as ASCII: still correct */
	if (domain == NULL || name == NULL || strlen(name) >= HOT_LEN ||
	    nhot >= HOT_SLOTS / 2)
		return;
	i = hot_slot(name);
	if (hot[i].name[0] != '\0')
		return;
	hot[i].h = nvtxDomainRegisterStringA(domain, name);
	memcpy(hot[i].name, name, strlen(name) + 1);
	nhot++;
#else
	(void)name;
#endif
}

void
prof_push(enum prof_category cat, const char *name)
{
#ifdef SB_WITH_NVTX
	uint32_t argb;

	if (!inited)
		prof_init();
	if (domain == NULL)
		return;
	argb = cat_argb(cat);
	if (cat == PROF_CAT_PHASE || cat == PROF_CAT_COMM) {
		/* a phase's colour is its kind's */
		int k = phase_kind_of(name);

		if (k >= 0)
			argb = phase_kinds[k].argb;
	}
	push_attr(cat, argb, name, 0, 0);
#else
	(void)cat;
	(void)name;
#endif
}

void
prof_pop(void)
{
#ifdef SB_WITH_NVTX
	if (domain != NULL)
		nvtxDomainRangePop(domain);
#endif
}

void
prof_point_begin(const char *id, const char *impl, int64_t idx,
    const char *mark)
{
#ifdef SB_WITH_NVTX
	if (!inited)
		prof_init();
	if (domain == NULL)
		return;
	push_attr(PROF_CAT_POINT, prof_family_argb(impl), id, 1,
	    (uint64_t)idx);
	if (mark != NULL)
		prof_mark(mark);
#else
	(void)id;
	(void)impl;
	(void)idx;
	(void)mark;
#endif
}

void
prof_sweep_begin(const char *name, int64_t run_id, const char *label)
{
#ifdef SB_WITH_NVTX
	if (!inited)
		prof_init();
	if (domain == NULL)
		return;
	push_attr(PROF_CAT_SWEEP, cat_argb(PROF_CAT_SWEEP), name, 1,
	    (uint64_t)run_id);
	if (label != NULL && label[0] != '\0')
		prof_mark(label);
#else
	(void)name;
	(void)run_id;
	(void)label;
#endif
}

void
prof_mark(const char *text)
{
#ifdef SB_WITH_NVTX
	nvtxEventAttributes_t a;

	if (!inited)
		prof_init();
	if (domain == NULL || text == NULL)
		return;
	memset(&a, 0, sizeof(a));
	a.version = NVTX_VERSION;
	a.size = NVTX_EVENT_ATTRIB_STRUCT_SIZE;
	a.messageType = NVTX_MESSAGE_TYPE_ASCII;
	a.message.ascii = text;
	nvtxDomainMarkEx(domain, &a);
#else
	(void)text;
#endif
}

void
prof_name_stream(void *stream, const char *name)
{
#ifdef SB_WITH_NVTX
	if (!inited)
		prof_init();
	if (domain == NULL || name == NULL)
		return;
	nvtxNameCudaStreamA((cudaStream_t)stream, name);
#else
	(void)stream;
	(void)name;
#endif
}

void
prof_capture_begin(void)
{
	if (cudaProfilerStart() != cudaSuccess)
		cudaGetLastError();	/* no GPU or no profiler: nothing to do */
}

void
prof_capture_end(void)
{
	if (cudaProfilerStop() != cudaSuccess)
		cudaGetLastError();
}
