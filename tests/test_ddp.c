/*
 * tests/test_ddp.c — the arithmetic of data-parallel training
 * (harness/ddp.h): DDP's bucket assignment, when buckets become ready, the
 * batch split, nccl-tests' bandwidths and the overlap metric, against
 * values worked out by hand in the comments.
 */
#include <math.h>
#include <string.h>

#include "ddp.h"
#include "testkit.h"

#define MIB	(1024.0 * 1024.0)

static void
test_buckets(void)
{
	struct sb_ddp_plan p;
	struct sb_dims d;
	char err[256];
	int lo, hi;

	/* ddp-1: the tutorial, Linear(5, 3): bias (3) then weight (15), both
	 * in the first bucket (72 bytes < 1 MiB, which never closes) */
	sb_dims_init(&d, 10, 3, 5, 1);
	CHECK("ddp-1.1 builds", sb_ddp_buckets(&p, &d, 4, 25 * MIB, MIB, err,
	    sizeof(err)) == 0);
	CHECK("ddp-1.2 two params, reverse order: bias first",
	    p.nparams == 2 && p.params[0].bias == 1 && p.params[0].count == 3 &&
	    p.params[1].bias == 0 && p.params[1].count == 15);
	CHECK("ddp-1.3 one bucket of 18 floats", p.nbuckets == 1 &&
	    p.buckets[0].count == 18 && p.buckets[0].bytes == 72 &&
	    p.buckets[0].nparams == 2 && p.buckets[0].ready_layer == 0);

	/* ddp-2: L = 4 layers of 1024x1024: each weight is 4 MiB, each
	 * bias 4 KiB.  Reverse: b3 w3 | b2 w2 b1 w1 b0 w0.  The first bucket
	 * (cap 1 MiB) closes after w3; the rest (12 MiB + 12 KiB) stays under
	 * 25 MiB: one more bucket, ready with layer 0. */
	sb_dims_init(&d, 64, 1024, 1024, 4);
	CHECK("ddp-2.1 builds", sb_ddp_buckets(&p, &d, 4, 25 * MIB, MIB, err,
	    sizeof(err)) == 0);
	CHECK("ddp-2.2 eight params", p.nparams == 8 &&
	    p.params[0].layer == 3 && p.params[7].layer == 0 &&
	    p.params[7].bias == 0);
	CHECK("ddp-2.3 buckets {b3 w3} {the rest}", p.nbuckets == 2 &&
	    p.buckets[0].nparams == 2 && p.buckets[0].ready_layer == 3 &&
	    p.buckets[0].bytes == 4 * (1024 + 1024 * 1024) &&
	    p.buckets[1].first == 2 && p.buckets[1].nparams == 6 &&
	    p.buckets[1].ready_layer == 0 &&
	    p.buckets[1].count == 3 * (1024 + 1024 * 1024));

	/* ddp-3: cap 5 MiB: {b3 w3} | {b2 w2 b1 w1} closes at 8 MiB + 8 KiB
	 * (a bucket overshoots its cap by its last tensor, as PyTorch's) |
	 * {b0 w0} left open at the end */
	CHECK("ddp-3.1 builds", sb_ddp_buckets(&p, &d, 4, 5 * MIB, MIB, err,
	    sizeof(err)) == 0);
	CHECK("ddp-3.2 three buckets", p.nbuckets == 3 &&
	    p.buckets[0].nparams == 2 && p.buckets[1].nparams == 4 &&
	    p.buckets[2].nparams == 2 && p.buckets[1].ready_layer == 1 &&
	    p.buckets[2].ready_layer == 0 &&
	    p.buckets[1].bytes == 8 * (1024 + 1024 * 1024));
	sb_ddp_ready(&p, 3, &lo, &hi);
	CHECK("ddp-3.3 layer 3 readies bucket 0", lo == 0 && hi == 1);
	sb_ddp_ready(&p, 2, &lo, &hi);
	CHECK("ddp-3.4 layer 2 readies none", lo == hi);
	sb_ddp_ready(&p, 1, &lo, &hi);
	CHECK("ddp-3.5 layer 1 readies bucket 1", lo == 1 && hi == 2);
	sb_ddp_ready(&p, 0, &lo, &hi);
	CHECK("ddp-3.6 layer 0 readies bucket 2", lo == 2 && hi == 3);

	/* ddp-4: compressed to 2-byte elements, a cap of exactly one 2 MiB
	 * weight + bias closes at every layer: four buckets */
	CHECK("ddp-4.1 builds", sb_ddp_buckets(&p, &d, 2, 2 * MIB, 2 * MIB,
	    err, sizeof(err)) == 0);
	CHECK("ddp-4.2 a bucket per layer, half the bytes", p.nbuckets == 4 &&
	    p.buckets[0].bytes == 2 * (1024 + 1024 * 1024) &&
	    p.buckets[3].ready_layer == 0);
	/* a tiny cap: every tensor its own bucket */
	CHECK("ddp-4.3 builds", sb_ddp_buckets(&p, &d, 4, 1, 1, err,
	    sizeof(err)) == 0);
	CHECK("ddp-4.4 a bucket per tensor", p.nbuckets == 8);
	sb_ddp_ready(&p, 2, &lo, &hi);
	CHECK("ddp-4.5 layer 2 readies buckets 2 and 3", lo == 2 && hi == 4);

	/* a bucket closes when its bytes reach the cap exactly */
	CHECK("ddp-4.6 builds", sb_ddp_buckets(&p, &d, 4,
	    4.0 * (1024 + 1024 * 1024), 4.0 * (1024 + 1024 * 1024), err,
	    sizeof(err)) == 0);
	CHECK("ddp-4.7 a cap met exactly closes the bucket", p.nbuckets == 4 &&
	    p.buckets[1].nparams == 2 && p.buckets[1].ready_layer == 2);

	/* ddp-5: bad arguments are refused with the value named */
	CHECK("ddp-5.1 cap 0", sb_ddp_buckets(&p, &d, 4, 0, MIB, err,
	    sizeof(err)) == -1 && strstr(err, "positive") != NULL);
	CHECK("ddp-5.2 element size 3", sb_ddp_buckets(&p, &d, 3, MIB, MIB,
	    err, sizeof(err)) == -1 && strstr(err, "3 bytes") != NULL);
	d.layers = 0;
	CHECK("ddp-5.3 no layers", sb_ddp_buckets(&p, &d, 4, MIB, MIB, err,
	    sizeof(err)) == -1 && strstr(err, "layers 0") != NULL);
	CHECK("ddp-5.4 NaN cap", sb_ddp_buckets(&p, &d, 4, NAN, MIB, err,
	    sizeof(err)) == -1);
}

static void
test_shard(void)
{
	int64_t r0 = -1, rows = -1;
	char err[256];

	CHECK("ddp-6.1 10 over 2: rank 1 has rows 5..9",
	    sb_ddp_shard(10, 2, 1, &r0, &rows, err, sizeof(err)) == 0 &&
	    r0 == 5 && rows == 5);
	CHECK("ddp-6.2 10 over 1", sb_ddp_shard(10, 1, 0, &r0, &rows, err,
	    sizeof(err)) == 0 && r0 == 0 && rows == 10);
	CHECK("ddp-6.3 10 over 4 refused, naming 8 and 12",
	    sb_ddp_shard(10, 4, 0, &r0, &rows, err, sizeof(err)) == -1 &&
	    strstr(err, "batch 10") != NULL && strstr(err, "8 or 12") != NULL);
	CHECK("ddp-6.4 3 over 4 refused", sb_ddp_shard(3, 4, 0, &r0, &rows,
	    err, sizeof(err)) == -1 && strstr(err, "multiple of 4") != NULL);
	CHECK("ddp-6.5 rank out of range", sb_ddp_shard(8, 2, 2, &r0, &rows,
	    err, sizeof(err)) == -1);
}

static void
test_bandwidth(void)
{
	/* 1e9 bytes in 1e6 us: 1 GB/s; busbw factor 2(n-1)/n */
	CHECK_NEAR("ddp-7.1 algbw", sb_algbw_gbps(1e9, 1e6), 1.0, 1e-12);
	CHECK_NEAR("ddp-7.2 busbw n=4", sb_busbw_gbps(1e9, 1e6, 4), 1.5, 1e-12);
	CHECK_NEAR("ddp-7.3 busbw n=8", sb_busbw_gbps(64e6, 200, 8),
	    64e6 / 200e-6 / 1e9 * 1.75, 1e-12);
	CHECK_NEAR("ddp-7.4 busbw n=1 is 0", sb_busbw_gbps(1e9, 1e6, 1), 0,
	    1e-12);
	CHECK("ddp-7.5 no time: NaN", isnan(sb_algbw_gbps(1e9, 0)) &&
	    isnan(sb_busbw_gbps(1e9, NAN, 2)));
}

static void
test_overlap(void)
{
	struct sb_overlap o;
	double cl, ml, wl;

	/* wall 110, compute 100, comm 40: 10 exposed, 30 of 40 hidden */
	sb_overlap_of(110, 100, 40, &o);
	CHECK_NEAR("ddp-8.1 exposed", o.exposed_us, 10, 1e-12);
	CHECK_NEAR("ddp-8.2 overlap", o.overlap, 0.75, 1e-12);
	CHECK_NEAR("ddp-8.3 overhead", o.overhead, 0.1, 1e-12);
	/* nothing hidden: wall = compute + comm */
	sb_overlap_of(140, 100, 40, &o);
	CHECK_NEAR("ddp-8.4 serial", o.overlap, 0, 1e-12);
	/* noise: wall below compute clamps to all hidden, none exposed */
	sb_overlap_of(95, 100, 40, &o);
	CHECK("ddp-8.5 clamped", o.overlap == 1 && o.exposed_us == 0);
	sb_overlap_of(100, 100, 0, &o);
	CHECK("ddp-8.6 no comm: NaN", isnan(o.overlap));

	/* synthetic timestamps: compute [0,50) [60,100); comm [40,70)
	 * [95,120).  compute = 90, comm = 30 + 25 = 55, wall = 120:
	 * overlap = (90 + 55 - 120) / 55, exposed 30 */
	{
		struct sb_interval cp[] = { { 0, 50 }, { 60, 100 } };
		struct sb_interval cm[] = { { 95, 120 }, { 40, 70 } };

		sb_overlap_of_intervals(cp, 2, cm, 2, &o, &cl, &ml, &wl);
		CHECK_NEAR("ddp-9.1 compute", cl, 90, 1e-12);
		CHECK_NEAR("ddp-9.2 comm", ml, 55, 1e-12);
		CHECK_NEAR("ddp-9.3 wall", wl, 120, 1e-12);
		CHECK_NEAR("ddp-9.4 overlap", o.overlap, 25.0 / 55.0, 1e-12);
		CHECK_NEAR("ddp-9.5 exposed", o.exposed_us, 30, 1e-12);
	}
	/* comm entirely inside compute: all hidden; after it: none */
	{
		struct sb_interval cp[] = { { 0, 100 } };
		struct sb_interval in[] = { { 10, 20 }, { 15, 30 } };
		struct sb_interval after[] = { { 100, 120 } };

		sb_overlap_of_intervals(cp, 1, in, 2, &o, &cl, &ml, &wl);
		CHECK("ddp-9.6 hidden", o.overlap == 1 && ml == 20 && wl == 100);
		sb_overlap_of_intervals(cp, 1, after, 1, &o, NULL, NULL, &wl);
		CHECK("ddp-9.7 exposed", o.overlap == 0 && wl == 120 &&
		    o.exposed_us == 20);
	}
}

int
main(void)
{
	test_buckets();
	test_shard();
	test_bandwidth();
	test_overlap();
	return check_summary("test_ddp");
}
