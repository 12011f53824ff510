/*
 * tests/test_gpu.c — every GPU variant in the registry against the fp64
 * reference at odd shapes (1x1x1, the tutorial's 10x3x5, 7x13x5,
 * 127x129x65, 513x257x129), one and two layers, with and without the input
 * gradient, eager and as a replayed CUDA graph.  Label gpu: exits 77
 * (skipped) on a machine without a GPU.
 */
#include <stdlib.h>
#include <string.h>

#include "testkit.h"
#include "device.h"
#include "engine.h"
#include "progress.h"
#include "registry.h"

int
main(void)
{
	static const struct sb_shape shapes[] = {
		{ 1, 1, 1 }, { 10, 3, 5 }, { 7, 13, 5 }, { 127, 129, 65 },
		{ 513, 257, 129 },
	};
	struct sb_device dev;
	struct sb_engine *eng;
	struct sb_engine_opts o;
	int idx = 0, gpu_variants = 0;

	sb_device_probe(&dev);
	if (dev.gpu_count == 0) {
		printf("test_gpu: skipped: %s\n", dev.no_gpu_reason);
		return 77;
	}
	if (sb_engine_create(&eng, &dev))
		return 1;
	sb_engine_opts_default(&o);
	o.warmup = 1;
	o.min_samples = 2;
	o.max_samples = 3;
	o.timeout_s = 1;
	sb_table_header(stdout);
	for (const struct sb_variant *v = sb_variants; v->id != NULL; v++) {
		if (v->backend != SB_BACKEND_GPU)
			continue;
		gpu_variants++;
		for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++)
			for (int layers = 1; layers <= 2; layers++)
				for (int graph = 0; graph <= 1; graph++) {
					struct sb_point pt;
					struct sb_outcome r;
					char name[160];
					int rc;

					memset(&pt, 0, sizeof(pt));
					pt.idx = idx++;
					pt.variant = v;
					pt.shape = shapes[s];
					pt.layers = layers;
					pt.world = 1;
					pt.graph = graph;
					o.input_grad = layers == 2;
					rc = sb_engine_run(eng, &pt, &o, &r);
					sb_table_row(stdout, &r.r);
					snprintf(name, sizeof(name), "gpu-%d: %s "
					    "%lldx%lldx%lld L%d%s", pt.idx, v->id,
					    (long long)pt.shape.m,
					    (long long)pt.shape.n,
					    (long long)pt.shape.k, layers,
					    graph ? " graph" : "");
					CHECK(name, rc == 0 &&
					    strcmp(r.r.status, "ok") == 0);
					sb_outcome_free(&r);
					if (rc < 0) {
						fprintf(stderr, "sticky CUDA "
						    "error: stopping\n");
						goto out;
					}
				}
	}
	CHECK("gpu-all: the registry has GPU variants", gpu_variants >= 20);
out:
	sb_engine_destroy(eng);
	return check_summary("test_gpu");
}
