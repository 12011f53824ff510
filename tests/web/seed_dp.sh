#!/usr/bin/env bash
# tests/web/seed_dp.sh STEPBENCH DB — adds two runs of data-parallel results
# to DB (created if missing) on a machine without a GPU, for the dashboard's
# tests (http.sh, browser.sh).
#
# The rows are written with Python's sqlite3 into a fresh file that
# `stepbench runs` initialised (so the schema is db/schema.c's, v5, STRICT
# and CHECKed), then copied into DB with `stepbench import`, db/import.c's
# path.  Every figure is made up (fixture data, not measured: no
# multi-GPU machine has run these) and each run's note says so; what is
# real is the shape of the data a data-parallel sweep and `stepbench
# allreduce` store (db/db.h's dp_* fields and comm rows, DDP's buckets:
# reverse layer order, a 1 MiB first bucket, 25 MiB after, each closing
# once it reaches its cap) and the arithmetic that ties the figures
# together (harness/ddp.h): algbw = bytes / time, busbw = algbw ·
# 2(world-1)/world, exposed = wall - compute, overlap = (compute + comm -
# wall) / comm clamped to [0, 1], overhead = (wall - compute) / compute.
#
# Run 1, a sweep with --world (each point 4096^3 per layer, fp32 cuBLAS,
# L = 4: four 64 MiB + 16 KiB buckets, one per layer, last layer first):
#   #0 world 4, nccl, --overlap: most of the all-reduce hidden;
#   #1 world 4, nccl, no overlap: all of it exposed;
#   #2 world 4, nccl, --overlap, bf16 gradient compression (half the
#      bytes);
#   #3 world 1, nccl, --overlap: the machinery's overhead (busbw 0 at
#      world 1, nccl-tests' formula);
#   #4 train.fp32.cpu 10x3x5 (the tutorial), L = 1, world 2, mpi: one
#      72-byte bucket (the 3x5 weight and the 3 biases, fp32);
#   #5 world 4, nccl: skipped (illustrative reason), dp columns set, no
#      all-reduce rows;
#   #6 train.fp32.cublas 4096^3 L = 4 without --world: not data parallel
#      (dp_* NULL, no comm rows).
# Run 2, `stepbench allreduce --world 4 -b 1K -e 1G -f 32 --dtypes
# f32,bf16` (nccl, sum, out-of-place) plus an in-place f32 series and one
# mpi point: one comm row (bucket 0, no parameters or layers) per point.
# Prints the two new runs' ids on stdout, "STEPS ALLREDUCE".  Exit 1 with a
# message on failure.
set -u

SB=${1:?usage: seed_dp.sh path/to/stepbench DB}
DB=${2:?usage: seed_dp.sh path/to/stepbench DB}
SEED=$(mktemp -d "${TMPDIR:-/tmp}/sb-seed-dp.XXXXXX")
trap 'rm -rf "$SEED"' EXIT

: >"$SEED/seed.db"
if ! "$SB" runs --db "$SEED/seed.db" >"$SEED/runs.out" 2>&1; then
	echo "seed_dp: stepbench runs did not initialise $SEED/seed.db:" >&2
	cat "$SEED/runs.out" >&2
	exit 1
fi
if ! python3 - "$SEED/seed.db" <<'EOF'
import json, sqlite3, sys

c = sqlite3.connect(sys.argv[1])
c.execute('PRAGMA foreign_keys = ON')
if c.execute('PRAGMA user_version').fetchone()[0] < 5:
    sys.exit('seed_dp: this stepbench made a database older than schema v5 '
             '(no dp_* columns, no comm table)')

def run(uuid, label, argv, points):
    cur = c.execute(
        "INSERT INTO run (uuid, label, note, argv, git_rev, host, pid, "
        "pid_start, device, planned_points, status, started_at, ended_at) "
        "VALUES (?, ?, ?, ?, 'seed', 'seed-host', 1, 1, 'seeded: no GPU', "
        "?, 'ok', '2026-11-27T00:00:00.000Z', '2026-11-27T00:00:01.000Z')",
        (uuid, label, 'seeded by tests/web/seed_dp.sh: made-up figures, '
         'not measurements', json.dumps(argv), points))
    return cur.lastrowid

def algbw(nbytes, us):
    return nbytes / us / 1e3

def busbw(nbytes, us, world):
    return algbw(nbytes, us) * 2 * (world - 1) / world

def overlap(wall, compute, comm):
    """harness/ddp.h's sb_overlap_of: exposed, hidden share, overhead."""
    exposed = max(0.0, wall - compute)
    frac = None if comm <= 0 else min(1.0, max(0.0, (compute + comm - wall) / comm))
    return exposed, frac, (wall - compute) / compute

def result(rid, idx, variant, mode, prec, impl, m, n, k, layers, world,
           median, status='ok', reason=None, graph=0, dp=None, comm=()):
    """dp: dict of the dp_* columns (None: not a data-parallel row);
    comm: (bucket, nparams, layer_hi, layer_lo, bytes, median_us, min_us)
    rows, the bandwidths computed here as harness/ddp.h does."""
    ok = status == 'ok'
    flops = 6.0 * m * n * k * layers if mode == 'train' else None
    d = dp or {}
    cols = ('dp_backend', 'dp_bucket_cap', 'dp_first_bucket', 'dp_overlap',
            'dp_compress', 'dp_op', 'dp_inplace', 'dp_compute_us',
            'dp_comm_us', 'dp_exposed_us', 'dp_overlap_frac', 'dp_overhead')
    cur = c.execute(
        "INSERT INTO result (run_id, point_idx, variant, mode, precision, "
        "impl, m, n, k, layers, world, graph, l2_flush, input_grad, status, "
        "reason, nsamples, warmup, reps, median_us, mean_us, min_us, max_us, "
        "p10_us, p90_us, cv, stop_reason, flops, tflops, over_peak, err_y, "
        "tol, check_mode, nsteps, started_at, ended_at, " + ', '.join(cols) +
        ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 0, ?, ?, ?, 1, 1, "
        "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, -1, ?, 1e-4, ?, 0, "
        "'2026-11-27T00:00:00.000Z', '2026-11-27T00:00:01.000Z', " +
        ', '.join('?' * len(cols)) + ")",
        (rid, idx, variant, mode, prec, impl, m, n, k, layers, world, graph,
         status, reason, 3 if ok else 0,
         *((median, median, 0.98 * median, 1.03 * median, 0.99 * median,
            1.02 * median, 0.01, 'noise') if ok else (None,) * 8),
         flops, flops / median / 1e6 if ok and flops else None,
         2e-6 if ok else None, 'full' if ok else None,
         *(d.get(col) for col in cols)))
    res = cur.lastrowid
    for i in range(3 if ok else 0):
        c.execute("INSERT INTO sample (result_id, idx, time_us) VALUES (?, ?, ?)",
                  (res, i, median * (1 + 0.01 * (i - 1))))
    for b, npar, hi, lo, nbytes, us, mn in comm:
        c.execute(
            "INSERT INTO comm (result_id, bucket, nparams, layer_hi, layer_lo, "
            "bytes, median_us, min_us, algbw_gbps, busbw_gbps) VALUES "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (res, b, npar, hi, lo, nbytes, us, mn,
             None if us is None else algbw(nbytes, us),
             None if us is None else busbw(nbytes, us, world)))
    return res

MIB = 1024.0 * 1024.0
G = 4096

def step(rid, idx, world, ov, wire, bus_gbps, compute, wall, backend='nccl',
         status='ok', reason=None):
    """A 4096^3, L = 4 data-parallel step: one bucket per layer, layer 3's
    first (its bias, then its weight, closes the 1 MiB first bucket; each
    later layer's weight closes a 25 MiB one).  bus_gbps: each bucket's
    busbw (at world 1 its time, busbw being 0 there)."""
    esize = 2 if wire in ('f16', 'bf16') else 4
    nbytes = (G * G + G) * esize
    comm = []
    for b, bw in enumerate(bus_gbps):
        us = bw if world == 1 else nbytes * 2 * (world - 1) / world / bw / 1e3
        comm.append((b, 2, 3 - b, 3 - b, nbytes, us, 0.97 * us))
    commsum = sum(x[5] for x in comm)
    if status != 'ok':
        comm, commsum, wall, compute = [], None, None, None
    exposed, frac, over = overlap(wall, compute, commsum) if wall else (None,) * 3
    return result(rid, idx, 'train.fp32.cublas', 'train', 'fp32', 'cublas',
                  G, G, G, 4, world, wall, status=status, reason=reason,
                  dp=dict(dp_backend=backend, dp_bucket_cap=25 * MIB,
                          dp_first_bucket=1 * MIB, dp_overlap=ov,
                          dp_compress=wire, dp_op='avg', dp_compute_us=compute,
                          dp_comm_us=commsum, dp_exposed_us=exposed,
                          dp_overlap_frac=frac, dp_overhead=over),
                  comm=comm)

steps = run('d9d9d9d9-0000-4000-8000-5eed00000009', 'data-parallel seed',
            ['stepbench', 'sweep', '--variants', 'train.fp32.cublas,train.fp32.cpu',
             '--shapes', 'tutorial,4096', '--layers', '4', '--world', '4,1',
             '--overlap'], 7)
step(steps, 0, 4, 1, 'f32', [341.0, 352.0, 355.0, 349.0], 10000.0, 10320.0)
step(steps, 1, 4, 0, 'f32', [343.0, 351.0, 354.0, 350.0], 10000.0, 11165.0)
step(steps, 2, 4, 1, 'bf16', [318.0, 333.0, 336.0, 331.0], 10000.0, 10170.0)
step(steps, 3, 1, 1, 'f32', [12.0, 11.5, 11.8, 12.1], 40000.0, 40040.0)
# the tutorial's step on two CPU ranks: one bucket, W (3x5) and b (3)
wall, compute, us = 4.6, 1.3, 3.1
exposed, frac, over = overlap(wall, compute, us)
result(steps, 4, 'train.fp32.cpu', 'train', 'fp32', 'cpu', 10, 3, 5, 1, 2,
       wall, dp=dict(dp_backend='mpi', dp_bucket_cap=25 * MIB,
                     dp_first_bucket=1 * MIB, dp_overlap=0, dp_compress='f32',
                     dp_op='avg', dp_compute_us=compute, dp_comm_us=us,
                     dp_exposed_us=exposed, dp_overlap_frac=frac,
                     dp_overhead=over),
       comm=[(0, 2, 0, 0, 72, us, 2.9)])
step(steps, 5, 4, 1, 'f32', [], None, None, status='skipped',
     reason='illustrative: --world 4 needs 4 GPUs, 1 visible')
result(steps, 6, 'train.fp32.cublas', 'train', 'fp32', 'cublas', G, G, G, 4,
       1, 39950.0)

ar = run('a7a7a7a7-0000-4000-8000-5eed0000000a', 'allreduce seed',
         ['stepbench', 'allreduce', '--world', '4', '-b', '1K', '-e', '1G',
          '-f', '32', '--dtypes', 'f32,bf16', '--places', 'out,in'], 14)
idx = 0
def allreduce(backend, dtype, place, nbytes, world, lat_us, peak_gbps):
    """One allreduce row: latency plus bytes at the peak busbw."""
    global idx
    esize = 2 if dtype in ('f16', 'bf16') else 4
    us = lat_us + nbytes * 2 * (world - 1) / world / peak_gbps / 1e3
    result(ar, idx, 'allreduce.%s.%s.sum.%s' % (backend, dtype, place),
           'allreduce', dtype, backend, nbytes // esize, 1, 1, 1, world, us,
           dp=dict(dp_backend=backend, dp_compress=dtype, dp_op='sum',
                   dp_inplace=1 if place == 'in' else 0, dp_comm_us=us),
           comm=[(0, None, None, None, nbytes, us, 0.98 * us)])
    idx += 1
for dtype, peak in (('f32', 362.0), ('bf16', 351.0)):
    for e in (10, 15, 20, 25, 30):
        allreduce('nccl', dtype, 'out', 1 << e, 4, 14.0, peak)
for e in (10, 20, 30):
    allreduce('nccl', 'f32', 'in', 1 << e, 4, 13.5, 366.0)
allreduce('mpi', 'f32', 'out', 1 << 20, 4, 40.0, 9.5)
c.commit()
EOF
then
	echo "seed_dp: could not write the seed rows" >&2
	exit 1
fi
if ! "$SB" import --db "$DB" "$SEED/seed.db" >"$SEED/import.out" 2>&1 ||
    ! grep -q '^imported 2 runs' "$SEED/import.out"; then
	echo "seed_dp: stepbench import of the seed runs failed:" >&2
	cat "$SEED/import.out" >&2
	exit 1
fi
python3 - "$DB" <<'EOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
ids = [c.execute("SELECT id FROM run WHERE uuid = ?", (u,)).fetchone()[0]
       for u in ('d9d9d9d9-0000-4000-8000-5eed00000009',
                 'a7a7a7a7-0000-4000-8000-5eed0000000a')]
print(*ids)
EOF
