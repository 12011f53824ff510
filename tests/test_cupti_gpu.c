/*
 * tests/test_cupti_gpu.c — CUPTI kernel traces through the engine
 * (profiler/prof_cupti.h, harness/engine.c).  Label gpu: exits 77
 * (skipped) without a GPU.
 *
 *   cupti-gpu-1  hand-written variants (train.fp32.warptile,
 *                train.fp16amp.mma), eager, 2 layers at 127x129x65: CUPTI
 *                is "ok", a traced step has exactly the launches the
 *                variant declared (the L2 flush left out), one kernel row
 *                per launch, each with a phase, a name, a duration > 0 and
 *                (kernels) a grid and block; the kernels' time is at most
 *                the event time of the same steps (+5 %).
 *   cupti-gpu-2  the same as a replayed CUDA graph: the same count, and no
 *                phase (a replay has no phase marks).
 *   cupti-gpu-3  a library variant (train.fp32.cublas): traced, rows
 *                stored; its count may exceed the declared one (printed).
 *   cupti-gpu-4  --no-cupti: "off: --no-cupti" and no kernel rows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testkit.h"
#include "device.h"
#include "engine.h"
#include "progress.h"
#include "registry.h"

static int idx;

/* Runs id at 127x129x65, 2 layers; 0, or -1 when the engine failed. */
static int
run(struct sb_engine *eng, const char *id, int graph,
    const struct sb_engine_opts *o, struct sb_outcome *r)
{
	struct sb_point pt;
	int rc;

	memset(&pt, 0, sizeof(pt));
	pt.idx = idx++;
	pt.variant = sb_variant_find(id);
	if (pt.variant == NULL) {
		fprintf(stderr, "no variant %s in this build\n", id);
		sb_outcome_init(r);
		return -1;
	}
	pt.shape.m = 127;
	pt.shape.n = 129;
	pt.shape.k = 65;
	pt.layers = 2;
	pt.world = 1;
	pt.graph = graph;
	rc = sb_engine_run(eng, &pt, o, r);
	sb_table_row(stdout, &r->r);
	for (int j = 0; j < r->r.nkernels; j++) {
		const struct db_kernel *k = &r->r.kernels[j];

		printf("      %2d %-6s %-15s %8.2f us  grid %lld block %lld "
		    "regs %d  %.60s\n", k->idx, k->kind, k->phase ? k->phase :
		    "-", k->duration_us, (long long)k->grid[0],
		    (long long)k->block[0], k->regs, k->name);
	}
	return rc;
}

/* The promises every traced row keeps; exact: count == declared. */
static void
check_traced(const char *id, const struct sb_outcome *r, int exact,
    int phases)
{
	const struct db_result *x = &r->r;
	char name[160];
	double sum = 0;
	int ok_rows = 1, phased = 1, unphased = 1;

	snprintf(name, sizeof(name), "cupti-gpu: %s is ok and traced", id);
	CHECK(name, strcmp(x->status, "ok") == 0 && x->cupti != NULL &&
	    strcmp(x->cupti, "ok") == 0 && x->cupti_steps == 3);
	if (x->cupti == NULL || strcmp(x->cupti, "ok") != 0) {
		fprintf(stderr, "%s: cupti = %s\n", id, x->cupti ? x->cupti :
		    "NULL");
		return;
	}
	snprintf(name, sizeof(name), "cupti-gpu: %s has kernel rows", id);
	CHECK(name, x->nkernels > 0 && x->kernels != NULL);
	if (exact) {
		snprintf(name, sizeof(name), "cupti-gpu: %s records per step "
		    "(%lld) == declared launches (%lld) == rows (%d)", id,
		    (long long)x->cupti_launches, (long long)x->launches,
		    x->nkernels);
		CHECK(name, x->launches > 0 && x->cupti_launches ==
		    x->launches && x->nkernels == x->launches);
	}
	for (int j = 0; j < x->nkernels; j++) {
		const struct db_kernel *k = &x->kernels[j];

		sum += k->duration_us;
		if (k->idx != j || k->name == NULL || k->name[0] == '\0' ||
		    !(k->duration_us > 0) || !(k->start_us >= 0))
			ok_rows = 0;
		if (strcmp(k->kind, "kernel") == 0 && (k->grid[0] < 1 ||
		    k->block[0] < 1 || k->regs < 1))
			ok_rows = 0;
		if (k->phase == NULL)
			phased = 0;
		else
			unphased = 0;
	}
	snprintf(name, sizeof(name), "cupti-gpu: %s rows: name, duration > "
	    "0, grid/block/regs", id);
	CHECK(name, ok_rows);
	snprintf(name, sizeof(name), "cupti-gpu: %s phases %s", id,
	    phases ? "on every row" : "on no row (graph)");
	CHECK(name, phases ? phased : unphased);
	snprintf(name, sizeof(name), "cupti-gpu: %s kernel time %.2f us <= "
	    "event time %.2f us + 5 %%", id, x->cupti_kernel_us,
	    x->cupti_event_us);
	CHECK(name, x->cupti_kernel_us > 0 && x->cupti_kernel_us <=
	    x->cupti_event_us * 1.05 && sum <= x->cupti_event_us * 1.10);
}

int
main(void)
{
	static const char *const exact[] = { "train.fp32.warptile",
	    "train.fp16amp.mma" };
	struct sb_device dev;
	struct sb_engine *eng;
	struct sb_engine_opts o;
	struct sb_outcome r;

	sb_device_probe(&dev);
	if (dev.gpu_count == 0) {
		printf("test_cupti_gpu: skipped: %s\n", dev.no_gpu_reason);
		return 77;
	}
	if (getenv("CUDA_INJECTION64_PATH") != NULL) {
		printf("test_cupti_gpu: skipped: a tool is attached "
		    "(CUDA_INJECTION64_PATH); CUPTI is its\n");
		return 77;
	}
	if (sb_engine_create(&eng, &dev))
		return 1;
	sb_engine_opts_default(&o);
	o.warmup = 1;
	o.min_samples = 2;
	o.max_samples = 5;
	o.timeout_s = 1;
	o.cupti_steps = 3;
	sb_table_header(stdout);

	for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++) {
		if (run(eng, exact[i], 0, &o, &r) < 0)
			goto sticky;
		check_traced(exact[i], &r, 1, 1);
		sb_outcome_free(&r);
	}
	if (run(eng, "train.fp32.warptile", 1, &o, &r) < 0)
		goto sticky;
	check_traced("train.fp32.warptile (graph)", &r, 1, 0);
	sb_outcome_free(&r);

	if (run(eng, "train.fp32.cublas", 0, &o, &r) < 0)
		goto sticky;
	check_traced("train.fp32.cublas", &r, 0, 1);
	sb_outcome_free(&r);

	o.cupti = 0;
	if (run(eng, "train.fp32.warptile", 0, &o, &r) < 0)
		goto sticky;
	CHECK("cupti-gpu-4: --no-cupti", strcmp(r.r.status, "ok") == 0 &&
	    r.r.cupti != NULL && strcmp(r.r.cupti, "off: --no-cupti") == 0 &&
	    r.r.nkernels == 0 && r.r.kernels == NULL);
	sb_outcome_free(&r);
	goto out;
sticky:
	CHECK("cupti-gpu: no sticky CUDA error", 0);
	sb_outcome_free(&r);
out:
	sb_engine_destroy(eng);
	return check_summary("test_cupti_gpu");
}
