/*
 * profiler/prof.c — the NVTX domain and ranges (see prof.h).  Push/pop must
 * balance per thread; the engine pops every range it pushes on every path.
 */
#include <cuda_profiler_api.h>
#include <cuda_runtime.h>

#include "prof.h"

#ifdef SB_WITH_NVTX
#include <nvtx3/nvToolsExt.h>

static nvtxDomainHandle_t domain;

static const struct {
	enum prof_category	 cat;
	const char		*name;
	unsigned		 argb;
} cats[] = {
	{ PROF_CAT_SWEEP, "sweep", 0xff4e79a7 },
	{ PROF_CAT_POINT, "point", 0xfff28e2b },
	{ PROF_CAT_PHASE, "phase", 0xff59a14f },
	{ PROF_CAT_CHECK, "check", 0xffe15759 },
	{ PROF_CAT_COMM, "comm", 0xff76b7b2 },
};
#endif

void
prof_init(void)
{
#ifdef SB_WITH_NVTX
	if (domain != NULL)
		return;
	domain = nvtxDomainCreateA("stepbench");
	for (unsigned i = 0; i < sizeof(cats) / sizeof(cats[0]); i++)
		nvtxDomainNameCategoryA(domain, cats[i].cat, cats[i].name);
	nvtxNameOsThreadA(0, "stepbench-main");
#endif
}

void
prof_push(enum prof_category cat, const char *name)
{
#ifdef SB_WITH_NVTX
	nvtxEventAttributes_t a = { 0 };
	unsigned argb = 0xff888888;

	for (unsigned i = 0; i < sizeof(cats) / sizeof(cats[0]); i++)
		if (cats[i].cat == cat)
			argb = cats[i].argb;
	a.version = NVTX_VERSION;
	a.size = NVTX_EVENT_ATTRIB_STRUCT_SIZE;
	a.category = (uint32_t)cat;
	a.colorType = NVTX_COLOR_ARGB;
	a.color = argb;
	a.messageType = NVTX_MESSAGE_TYPE_ASCII;
	a.message.ascii = name;
	nvtxDomainRangePushEx(domain, &a);
#else
	(void)cat;
	(void)name;
#endif
}

void
prof_pop(void)
{
#ifdef SB_WITH_NVTX
	nvtxDomainRangePop(domain);
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
