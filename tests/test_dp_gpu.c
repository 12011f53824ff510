/*
 * tests/test_dp_gpu.c — the data-parallel step on one GPU: world 1 through
 * the whole NCCL machinery (--dp: buckets packed on a communication stream,
 * ncclAllReduce over a one-rank communicator, unpacked, the update waiting
 * on it), since NCCL refuses two ranks on one GPU.  Label gpu: exits 77
 * (skipped) without a GPU.
 *
 *   dpg-1  every fp32/tf32 GPU training variant, L = 1 and 3, one bucket
 *          and a bucket per tensor, with and without --overlap: status ok
 *          (checked against the fp64 step, before and after timing), a
 *          DP row with nccl, one comm row per bucket with a time > 0 and
 *          busbw 0 (world 1), the compute-only baseline measured;
 *   dpg-2  f16 and bf16 compression at world 1: ok within the compressed
 *          tolerance, and the gradients' error above fp32's (the round
 *          trip through the half type happened);
 *   dpg-3  an inference variant and graph mode are skipped with reasons.
 *
 * This file has never run: the machine it was written on has no GPU.  It
 * compiles, and exits 77 there.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "comm.h"
#include "device.h"
#include "engine.h"
#include "progress.h"
#include "registry.h"
#include "testkit.h"

static int
run_one(struct sb_engine *eng, const struct sb_variant *v, int layers,
    int graph, const struct sb_engine_opts *o, struct sb_outcome *r)
{
	static int idx;
	struct sb_point pt;

	memset(&pt, 0, sizeof(pt));
	pt.idx = idx++;
	pt.variant = v;
	pt.shape = (struct sb_shape){ 192, 160, 96 };
	pt.layers = layers;
	pt.world = 1;
	pt.graph = graph;
	return sb_engine_run(eng, &pt, o, r);
}

int
main(int argc, char **argv)
{
	struct sb_device dev;
	struct sb_engine *eng;
	struct sb_engine_opts o;
	char err[512], name[200];
	int ran = 0;

	sb_device_probe(&dev);
	if (dev.gpu_count == 0) {
		printf("test_dp_gpu: skipped: %s\n", dev.no_gpu_reason);
		return 77;
	}
	if (sb_comm_init(&argc, &argv, err, sizeof(err)) != 0) {
		fprintf(stderr, "test_dp_gpu: %s\n", err);
		return 1;
	}
	if (sb_engine_create(&eng, &dev))
		return 1;
	sb_engine_opts_default(&o);
	o.warmup = 1;
	o.min_samples = 3;
	o.max_samples = 5;
	o.timeout_s = 1;
	o.dp_force = 1;
	sb_table_header(stdout);

	for (const struct sb_variant *v = sb_variants; v->id != NULL; v++) {
		if (v->backend != SB_BACKEND_GPU || v->mode != SB_TRAIN ||
		    v->amp != SB_DT_F32 || v->int8)
			continue;
		for (int layers = 1; layers <= 3; layers += 2)
			for (int cfg = 0; cfg < 4; cfg++) {
				struct sb_outcome r;
				int rc, want_b;

				o.dp_overlap = cfg & 1;
				o.dp_bucket_cap = cfg & 2 ? 1 : 25 * SB_DDP_MIB;
				o.dp_first_bucket = cfg & 2 ? 1 : SB_DDP_MIB;
				want_b = cfg & 2 ? 2 * layers : 1;
				rc = run_one(eng, v, layers, 0, &o, &r);
				sb_table_row(stdout, &r.r);
				snprintf(name, sizeof(name), "dpg-1 %s L%d "
				    "overlap %d cap %s", v->id, layers,
				    cfg & 1, cfg & 2 ? "1 B" : "25 MiB");
				CHECK(name, rc == 0 &&
				    strcmp(r.r.status, "ok") == 0);
				CHECK(name, r.r.dp == 1 &&
				    strcmp(r.r.dp_backend, "nccl") == 0 &&
				    r.r.ncomm == want_b);
				for (int b = 0; b < r.r.ncomm; b++)
					CHECK(name, r.r.comm[b].median_us > 0 &&
					    r.r.comm[b].busbw_gbps == 0);
				CHECK(name, r.r.dp_compute_us > 0 &&
				    r.r.dp_comm_us > 0);
				ran++;
				sb_outcome_free(&r);
				if (rc < 0)
					goto out;
			}
	}
	CHECK("dpg-1 some variants ran", ran > 0);

	o.dp_overlap = 1;
	o.dp_bucket_cap = 25 * SB_DDP_MIB;
	o.dp_first_bucket = SB_DDP_MIB;
	for (int t = 0; t < 2; t++) {
		const struct sb_variant *v = sb_variant_find("train.fp32.cublas");
		struct sb_outcome r;
		int rc;

		o.dp_compress = t == 0 ? SB_DT_F16 : SB_DT_BF16;
		rc = run_one(eng, v, 2, 0, &o, &r);
		sb_table_row(stdout, &r.r);
		snprintf(name, sizeof(name), "dpg-2 compress %s",
		    sb_dtype_name(o.dp_compress));
		CHECK(name, rc == 0 && strcmp(r.r.status, "ok") == 0 &&
		    strcmp(r.r.dp_compress, sb_dtype_name(o.dp_compress)) == 0);
		CHECK(name, r.r.err_dw > 1e-6);
		sb_outcome_free(&r);
	}
	o.dp_compress = SB_DT_F32;

	{
		struct sb_outcome r;

		run_one(eng, sb_variant_find("infer.fp32.cublas"), 1, 0, &o, &r);
		CHECK("dpg-3 inference skipped", strcmp(r.r.status,
		    "skipped") == 0 && strstr(r.r.reason, "training") != NULL);
		sb_outcome_free(&r);
		run_one(eng, sb_variant_find("train.fp32.cublas"), 1, 1, &o, &r);
		CHECK("dpg-3 graph mode skipped", strcmp(r.r.status,
		    "skipped") == 0 && strstr(r.r.reason, "graph") != NULL);
		sb_outcome_free(&r);
	}
out:
	sb_engine_destroy(eng);
	sb_comm_fini();
	return check_summary("test_dp_gpu");
}
