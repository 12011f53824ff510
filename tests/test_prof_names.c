/*
 * tests/test_prof_names.c — every name stepbench pushes as an NVTX range
 * can be used in an Nsight Compute filter (--nvtx-include
 * "stepbench@<name>/"): no / @ , [ ] * + and no spaces.  Walks the real
 * tables: the variant registry, the phases, the gemm plan's ids (built by
 * sb_gemm_plan_build itself), the profiler's fixed names and the
 * data-parallel bucket names.  Also the families and phase kinds that
 * colour the ranges (docs/profiling.md, "NVTX").
 */
#include <stdio.h>
#include <string.h>

#include "gemm_bench.h"
#include "prof.h"
#include "registry.h"
#include "step.h"
#include "testkit.h"

static int nnames;

static void
check_name(const char *what, const char *name)
{
	nnames++;
	if (!prof_name_ok(name))
		fprintf(stderr, "  %s: '%s' is not a valid range name\n", what,
		    name != NULL ? name : "(null)");
	CHECK("names-1: every pushed name passes prof_name_ok",
	    prof_name_ok(name));
}

/* prof-1: the checker itself */
static void
test_checker(void)
{
	char longname[PROF_NAME_MAX + 2];

	CHECK("prof-1.1: a dotted id is fine", prof_name_ok("train.fp32.cpu"));
	CHECK("prof-1.1: dashes and digits are fine",
	    prof_name_ok("gemm.s8-f32.imma.nt"));
	for (const char *op = "/@,[]*+"; *op != '\0'; op++) {
		char bad[16];

		snprintf(bad, sizeof(bad), "train%cfp32", *op);
		CHECK("prof-1.2: an ncu filter operator is refused",
		    !prof_name_ok(bad));
		snprintf(bad, sizeof(bad), "%c", *op);
		CHECK("prof-1.2: an operator alone is refused",
		    !prof_name_ok(bad));
	}
	CHECK("prof-1.3: empty is refused", !prof_name_ok(""));
	CHECK("prof-1.3: NULL is refused", !prof_name_ok(NULL));
	CHECK("prof-1.4: a space is refused", !prof_name_ok("a b"));
	CHECK("prof-1.4: a tab is refused", !prof_name_ok("a\tb"));
	CHECK("prof-1.4: non-ASCII is refused", !prof_name_ok("caf\xc3\xa9"));
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	CHECK("prof-1.5: longer than PROF_NAME_MAX is refused",
	    !prof_name_ok(longname));
	longname[PROF_NAME_MAX] = '\0';
	CHECK("prof-1.5: PROF_NAME_MAX bytes is fine", prof_name_ok(longname));
}

/* names-2: variant ids; their implementations all have a family */
static void
test_variants(void)
{
	int n = 0;

	for (const struct sb_variant *v = sb_variants; v->id != NULL; v++) {
		check_name("variant", v->id);
		if (strcmp(prof_family(v->impl), "other") == 0)
			fprintf(stderr, "  variant %s: impl '%s' has no family "
			    "(profiler/prof.c families[])\n", v->id, v->impl);
		CHECK("names-2.1: every variant's impl has a colour family",
		    strcmp(prof_family(v->impl), "other") != 0);
		n++;
	}
	CHECK("names-2.2: the registry is not empty", n > 10);
}

/* names-3: phase names; each has a kind */
static void
test_phases(void)
{
	for (int p = 0; p < SB_PH_COUNT; p++) {
		const char *name = sb_phase_name((enum sb_phase)p);

		check_name("phase", name);
		CHECK("names-3.1: every phase has a kind",
		    strcmp(prof_phase_kind(name), "other") != 0);
	}
	CHECK("names-3.2: forward is compute",
	    strcmp(prof_phase_kind("forward"), "compute") == 0);
	CHECK("names-3.2: backward.wgrad is compute",
	    strcmp(prof_phase_kind("backward.wgrad"), "compute") == 0);
	CHECK("names-3.2: sgd is update",
	    strcmp(prof_phase_kind("sgd"), "update") == 0);
	CHECK("names-3.2: amp.unscale is update",
	    strcmp(prof_phase_kind("amp.unscale"), "update") == 0);
	CHECK("names-3.2: int8.quant is quant",
	    strcmp(prof_phase_kind("int8.quant"), "quant") == 0);
	CHECK("names-3.2: dp.allreduce is comm",
	    strcmp(prof_phase_kind("dp.allreduce"), "comm") == 0);
	CHECK("names-3.2: allreduce.bucket3 is comm",
	    strcmp(prof_phase_kind("allreduce.bucket3"), "comm") == 0);
	CHECK("names-3.3: an unknown phase is other",
	    strcmp(prof_phase_kind("xyz"), "other") == 0);
}

/* names-4: every gemm id the plan can build (all kernels, all layouts,
 * every output type) */
static void
test_gemm_ids(void)
{
	static const int outs[] = { SB_GEMM_OUT_HALF, SB_GEMM_OUT_F32,
	    SB_GEMM_OUT_S32 };
	struct sb_gemm_selection sel;
	struct sb_shape_list sizes;
	enum sb_layout layouts[3];
	int nlayouts = 0, total = 0;
	char err[1024];

	sel.count = sb_gemm_kernels_all(sel.k, SB_GEMM_MAX_KERNELS);
	CHECK("names-4.1: the gemm catalogue fits",
	    sel.count > 0 && sel.count <= SB_GEMM_MAX_KERNELS);
	CHECK("names-4.1: layouts parse", sb_gemm_parse_layouts("nt,tn,nn",
	    layouts, &nlayouts, err, sizeof(err)) == 0 && nlayouts == 3);
	CHECK("names-4.1: sizes parse", sb_gemm_parse_sizes("64x32x16",
	    &sizes, err, sizeof(err)) == 0);
	for (size_t o = 0; o < sizeof(outs) / sizeof(outs[0]); o++) {
		struct sb_gemm_plan plan;

		memset(&plan, 0, sizeof(plan));
		if (sb_gemm_plan_build(&plan, &sel, layouts, nlayouts, &sizes,
		    0, outs[o], err, sizeof(err)) != 0) {
			fprintf(stderr, "  gemm plan (out %d): %s\n", outs[o],
			    err);
			CHECK("names-4.2: the full gemm plan builds", 0);
			continue;
		}
		for (int i = 0; i < plan.count; i++) {
			check_name("gemm id", plan.points[i].id);
			CHECK("names-4.3: a gemm kernel has a colour family",
			    strcmp(prof_family(plan.points[i].kern.name),
			    "other") != 0);
		}
		total += plan.count;
		sb_gemm_plan_free(&plan);
	}
	CHECK("names-4.4: the plans have points", total > 0);
}

/* names-5: the fixed names and the data-parallel bucket names */
static void
test_fixed(void)
{
	int n = 0;

	for (const char *s; (s = prof_fixed_name(n)) != NULL; n++)
		check_name("fixed range", s);
	CHECK("names-5.1: sweep, gemm, setup, check, warmup, timed and "
	    "allreduce.wait", n == 7);
	for (int b = 0; b < 32; b++) {
		char name[32];

		snprintf(name, sizeof(name), "allreduce.bucket%d", b);
		check_name("bucket", name);
	}
}

/* prof-2: families */
static void
test_families(void)
{
	CHECK("prof-2.1: cpu", strcmp(prof_family("cpu"), "cpu") == 0);
	CHECK("prof-2.1: warptile is simt",
	    strcmp(prof_family("warptile"), "simt") == 0);
	CHECK("prof-2.1: regtile2d is simt",
	    strcmp(prof_family("regtile2d"), "simt") == 0);
	CHECK("prof-2.1: wgmma is tensor",
	    strcmp(prof_family("wgmma"), "tensor") == 0);
	CHECK("prof-2.1: cublas", strcmp(prof_family("cublas"), "cublas") == 0);
	CHECK("prof-2.1: cublaslt is not cublas",
	    strcmp(prof_family("cublaslt"), "cublaslt") == 0);
	CHECK("prof-2.1: nccl is comm", strcmp(prof_family("nccl"), "comm") ==
	    0);
	CHECK("prof-2.2: unknown is other",
	    strcmp(prof_family("quantum"), "other") == 0);
	CHECK("prof-2.2: NULL is other", strcmp(prof_family(NULL), "other") ==
	    0);
	CHECK("prof-2.3: families have distinct colours",
	    prof_family_argb("warptile") != prof_family_argb("mma") &&
	    prof_family_argb("cublas") != prof_family_argb("cublaslt") &&
	    prof_family_argb("cpu") != prof_family_argb("naive"));
	CHECK("prof-2.3: colours are opaque",
	    (prof_family_argb("mma") >> 24) == 0xff);
}

/* prof-3: with no tool attached every call is a no-op that balances */
static void
test_no_tool(void)
{
	prof_init();
	prof_register("forward");
	prof_sweep_begin("sweep", 1, "run 1");
	prof_point_begin("train.fp32.cpu", "cpu", 0, "10x3x5 L1 world 1 "
	    "graph off");
	prof_push(PROF_CAT_PHASE, "forward");
	prof_mark("mark");
	prof_name_stream(NULL, "compute");
	prof_pop();
	prof_pop();
	prof_pop();
	CHECK("prof-3.1: the calls return with no tool attached", 1);
}

int
main(void)
{
	test_checker();
	test_variants();
	test_phases();
	test_gemm_ids();
	test_fixed();
	test_families();
	test_no_tool();
	printf("%d names checked\n", nnames);
	return check_summary("test_prof_names");
}
