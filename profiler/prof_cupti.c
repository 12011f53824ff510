/*
 * profiler/prof_cupti.c — CUPTI activity tracing (see prof_cupti.h).
 *
 * CUPTI asks for buffers (buf_requested: 8-byte aligned, as it requires)
 * and hands them back full, or at a forced flush (buf_completed, possibly
 * on its own worker thread).  Records are parsed there into `collected`
 * under a mutex; the strings they point to belong to CUPTI, so names are
 * copied.  prof_cupti_end forces a flush, which delivers every buffer
 * before it returns, then takes `collected` whole.
 *
 * Built without CUPTI (no CUDA::cupti at configure time), every call says
 * so and tracing is simply unavailable.
 */
#define _POSIX_C_SOURCE 200809L	/* posix_memalign, strdup */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef SB_WITH_CUPTI
#include <cupti_activity.h>
#include <cupti_result.h>
#include <cupti_version.h>
#endif

#include "prof_cupti.h"

/* libstdc++'s demangler (C linkage, part of the C++ ABI). */
extern char	*__cxa_demangle(const char *, char *, size_t *, int *);

char *
prof_demangle(const char *name)
{
	char *d = NULL;
	int st = -1;

	if (name == NULL)
		name = "";
	if (strncmp(name, "_Z", 2) == 0)
		d = __cxa_demangle(name, NULL, NULL, &st);
	if (d != NULL && st == 0)
		return d;
	free(d);
	return strdup(name);
}

#ifndef SB_WITH_CUPTI

#define NO_CUPTI "this build has no CUPTI (CUDA::cupti was not found when " \
	"configuring; install the CUDA toolkit's CUPTI and re-run cmake)"

int
prof_cupti_init(char *why, size_t len)
{
	snprintf(why, len, "%s", NO_CUPTI);
	return -1;
}

int
prof_cupti_begin(char *why, size_t len)
{
	snprintf(why, len, "%s", NO_CUPTI);
	return -1;
}

void
prof_cupti_phase(int phase)
{
	(void)phase;
}

uint64_t
prof_cupti_now_ns(void)
{
	return 0;
}

int
prof_cupti_end(struct prof_cupti_trace *out, char *why, size_t len)
{
	memset(out, 0, sizeof(*out));
	snprintf(why, len, "%s", NO_CUPTI);
	return -1;
}

#else /* SB_WITH_CUPTI */

/* The record layouts parsed below are CUDA 13's (cupti_activity.h says
 * which struct each kind delivers).  A newer CUPTI may deliver newer
 * structs: read its header and update them before moving this pin. */
_Static_assert(CUPTI_API_VERSION >= 130000 && CUPTI_API_VERSION < 140000,
    "CUPTI record structs pinned to CUDA 13 (CUpti_ActivityKernel10, "
    "Memcpy6, Memset4): check cupti_activity.h and update prof_cupti.c");

#define BUF_BYTES	(8u << 20)	/* CUPTI suggests 1-10 MB */

static const CUpti_ActivityKind kinds[] = {
	CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL,
	CUPTI_ACTIVITY_KIND_MEMCPY,
	CUPTI_ACTIVITY_KIND_MEMSET,
	CUPTI_ACTIVITY_KIND_EXTERNAL_CORRELATION,
	/* external correlation records come with API records: the runtime
	 * for our launches, the driver for libraries that launch through
	 * it */
	CUPTI_ACTIVITY_KIND_RUNTIME,
	CUPTI_ACTIVITY_KIND_DRIVER,
};
static const char *const kind_names[] = {
	"CONCURRENT_KERNEL", "MEMCPY", "MEMSET", "EXTERNAL_CORRELATION",
	"RUNTIME", "DRIVER",
};
#define NKINDS	((int)(sizeof(kinds) / sizeof(kinds[0])))

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct prof_cupti_trace collected;	/* under mu */
static int collect_oom;				/* under mu */

static int inited, init_rc;
static char init_why[320];
static int active;	/* between begin and end */
static int pushed;	/* a phase id is on CUSTOM0's stack */

static int
fail(char *why, size_t len, const char *call, CUptiResult r)
{
	const char *s = NULL;

	if (cuptiGetResultString(r, &s) != CUPTI_SUCCESS || s == NULL)
		s = "unknown CUPTI error";
	switch (r) {
	case CUPTI_ERROR_MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED:
		snprintf(why, len, "another tool holds CUPTI (%s: %s); run "
		    "without it, or pass --no-cupti", call, s);
		break;
	case CUPTI_ERROR_UNKNOWN:
	case CUPTI_ERROR_NOT_INITIALIZED:
		snprintf(why, len, "%s: %s (error %d; no usable NVIDIA "
		    "driver?)", call, s, (int)r);
		break;
	default:
		snprintf(why, len, "%s: %s (error %d)", call, s, (int)r);
		break;
	}
	return -1;
}

static void CUPTIAPI
buf_requested(uint8_t **buf, size_t *size, size_t *max_records)
{
	void *p = NULL;

	/* no buffer: CUPTI drops the records and counts them */
	if (posix_memalign(&p, 8, BUF_BYTES) != 0)
		p = NULL;
	*buf = p;
	*size = p != NULL ? BUF_BYTES : 0;
	*max_records = 0;	/* as many as fit */
}

static const char *
memcpy_name(unsigned kind)
{
	static const char *const names[] = {
		[CUPTI_ACTIVITY_MEMCPY_KIND_HTOD] = "memcpy HtoD",
		[CUPTI_ACTIVITY_MEMCPY_KIND_DTOH] = "memcpy DtoH",
		[CUPTI_ACTIVITY_MEMCPY_KIND_HTOA] = "memcpy HtoA",
		[CUPTI_ACTIVITY_MEMCPY_KIND_ATOH] = "memcpy AtoH",
		[CUPTI_ACTIVITY_MEMCPY_KIND_ATOA] = "memcpy AtoA",
		[CUPTI_ACTIVITY_MEMCPY_KIND_ATOD] = "memcpy AtoD",
		[CUPTI_ACTIVITY_MEMCPY_KIND_DTOA] = "memcpy DtoA",
		[CUPTI_ACTIVITY_MEMCPY_KIND_DTOD] = "memcpy DtoD",
		[CUPTI_ACTIVITY_MEMCPY_KIND_HTOH] = "memcpy HtoH",
		[CUPTI_ACTIVITY_MEMCPY_KIND_PTOP] = "memcpy PtoP",
	};

	if (kind < sizeof(names) / sizeof(names[0]) && names[kind] != NULL)
		return names[kind];
	return "memcpy";
}

static void
no_grid(struct prof_cupti_rec *r)
{
	for (int i = 0; i < 3; i++)
		r->grid[i] = r->block[i] = -1;
	r->regs = r->static_smem = r->local_bytes = -1;
	r->dyn_smem = -1;
}

/* One record into `collected` (mu held).  0, or -1 out of memory. */
static int
take(const CUpti_Activity *a)
{
	struct prof_cupti_rec r;

	memset(&r, 0, sizeof(r));
	switch (a->kind) {
	case CUPTI_ACTIVITY_KIND_KERNEL:
	case CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL: {
		const CUpti_ActivityKernel10 *k = (const void *)a;

		r.kind = PROF_REC_KERNEL;
		r.name = (char *)k->name;	/* copied by add_rec */
		r.start_ns = k->start;
		r.end_ns = k->end;
		r.correlation = k->correlationId;
		r.stream = k->streamId;
		r.grid[0] = k->gridX;
		r.grid[1] = k->gridY;
		r.grid[2] = k->gridZ;
		r.block[0] = k->blockX;
		r.block[1] = k->blockY;
		r.block[2] = k->blockZ;
		r.regs = k->registersPerThread;
		r.static_smem = k->staticSharedMemory;
		r.dyn_smem = k->dynamicSharedMemory;
		r.local_bytes = (int)k->localMemoryPerThread;
		r.bytes = -1;
		return prof_trace_add_rec(&collected, &r);
	}
	case CUPTI_ACTIVITY_KIND_MEMSET: {
		const CUpti_ActivityMemset4 *m = (const void *)a;

		no_grid(&r);
		r.kind = PROF_REC_MEMSET;
		r.name = "memset";
		r.start_ns = m->start;
		r.end_ns = m->end;
		r.correlation = m->correlationId;
		r.stream = m->streamId;
		r.bytes = (int64_t)m->bytes;
		return prof_trace_add_rec(&collected, &r);
	}
	case CUPTI_ACTIVITY_KIND_MEMCPY: {
		const CUpti_ActivityMemcpy6 *m = (const void *)a;

		no_grid(&r);
		r.kind = PROF_REC_MEMCPY;
		r.name = (char *)memcpy_name(m->copyKind);
		r.start_ns = m->start;
		r.end_ns = m->end;
		r.correlation = m->correlationId;
		r.stream = m->streamId;
		r.bytes = (int64_t)m->bytes;
		return prof_trace_add_rec(&collected, &r);
	}
	case CUPTI_ACTIVITY_KIND_EXTERNAL_CORRELATION: {
		const CUpti_ActivityExternalCorrelation *x = (const void *)a;

		if (x->externalKind != CUPTI_EXTERNAL_CORRELATION_KIND_CUSTOM0)
			return 0;
		return prof_trace_add_ext(&collected, x->correlationId,
		    PROF_EXT_PHASE, x->externalId);
	}
	default:
		return 0;	/* API records: only carriers of the above */
	}
}

static void CUPTIAPI
buf_completed(CUcontext ctx, uint32_t stream, uint8_t *buf, size_t size,
    size_t valid)
{
	CUpti_Activity *a = NULL;
	size_t dropped = 0;

	(void)size;
	pthread_mutex_lock(&mu);
	while (valid > 0 && cuptiActivityGetNextRecord(buf, valid, &a) ==
	    CUPTI_SUCCESS)
		if (take(a) != 0)
			collect_oom = 1;
	if (cuptiActivityGetNumDroppedRecords(ctx, stream, &dropped) ==
	    CUPTI_SUCCESS)
		collected.dropped += dropped;
	pthread_mutex_unlock(&mu);
	free(buf);
}

static void
disable_all(void)
{
	for (int i = 0; i < NKINDS; i++)
		cuptiActivityDisable(kinds[i]);
}

static int
enable_all(char *why, size_t len)
{
	for (int i = 0; i < NKINDS; i++) {
		CUptiResult r = cuptiActivityEnable(kinds[i]);

		if (r != CUPTI_SUCCESS) {
			char call[64];

			for (int j = 0; j < i; j++)
				cuptiActivityDisable(kinds[j]);
			snprintf(call, sizeof(call), "cuptiActivityEnable(%s)",
			    kind_names[i]);
			return fail(why, len, call, r);
		}
	}
	return 0;
}

static int
try_init(char *why, size_t len)
{
	CUptiResult r;

	r = cuptiActivityRegisterCallbacks(buf_requested, buf_completed);
	if (r != CUPTI_SUCCESS)
		return fail(why, len, "cuptiActivityRegisterCallbacks", r);
	/* enabling is where a missing driver or another client shows */
	if (enable_all(why, len) != 0)
		return -1;
	disable_all();
	return 0;
}

int
prof_cupti_init(char *why, size_t len)
{
	if (!inited) {
		inited = 1;
		init_rc = try_init(init_why, sizeof(init_why));
	}
	if (init_rc != 0)
		snprintf(why, len, "%s", init_why);
	return init_rc;
}

int
prof_cupti_begin(char *why, size_t len)
{
	if (prof_cupti_init(why, len) != 0)
		return -1;
	if (active) {
		snprintf(why, len, "prof_cupti_begin: already collecting "
		    "(prof_cupti_end was not called)");
		return -1;
	}
	pthread_mutex_lock(&mu);
	prof_trace_free(&collected);
	collect_oom = 0;
	pthread_mutex_unlock(&mu);
	if (enable_all(why, len) != 0)
		return -1;
	active = 1;
	return 0;
}

void
prof_cupti_phase(int phase)
{
	if (!active)
		return;
	if (pushed) {
		cuptiActivityPopExternalCorrelationId(
		    CUPTI_EXTERNAL_CORRELATION_KIND_CUSTOM0, NULL);
		pushed = 0;
	}
	/* id 0 would read as "none": the phase index + 1 */
	if (phase >= 0 && cuptiActivityPushExternalCorrelationId(
	    CUPTI_EXTERNAL_CORRELATION_KIND_CUSTOM0, (uint64_t)phase + 1) ==
	    CUPTI_SUCCESS)
		pushed = 1;
}

uint64_t
prof_cupti_now_ns(void)
{
	uint64_t t = 0;

	if (cuptiGetTimestamp(&t) != CUPTI_SUCCESS)
		return 0;
	return t;
}

int
prof_cupti_end(struct prof_cupti_trace *out, char *why, size_t len)
{
	CUptiResult r1, r2;
	int oom;

	memset(out, 0, sizeof(*out));
	if (!active) {
		snprintf(why, len, "prof_cupti_end: not collecting "
		    "(prof_cupti_begin failed or was not called)");
		return -1;
	}
	prof_cupti_phase(-1);
	/* the caller synchronised: every record is complete; FORCED also
	 * hands back buffers that are not full */
	r1 = cuptiActivityFlushAll(CUPTI_ACTIVITY_FLAG_FLUSH_FORCED);
	disable_all();
	r2 = cuptiActivityFlushAll(CUPTI_ACTIVITY_FLAG_FLUSH_FORCED);
	active = 0;
	pthread_mutex_lock(&mu);
	*out = collected;
	memset(&collected, 0, sizeof(collected));
	oom = collect_oom;
	collect_oom = 0;
	pthread_mutex_unlock(&mu);
	if (r1 != CUPTI_SUCCESS || r2 != CUPTI_SUCCESS) {
		prof_trace_free(out);
		return fail(why, len, "cuptiActivityFlushAll",
		    r1 != CUPTI_SUCCESS ? r1 : r2);
	}
	if (oom) {
		prof_trace_free(out);
		snprintf(why, len, "out of host memory for CUPTI's records");
		return -1;
	}
	prof_trace_correlate(out);
	return 0;
}

#endif /* SB_WITH_CUPTI */
