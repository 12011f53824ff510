#!/usr/bin/env bash
# tests/web/seed_int8.sh STEPBENCH DB — adds one run of dynamic-int8
# (int8dyn) results to DB (created if missing) on a machine without a GPU,
# for the dashboard's tests (http.sh, browser.sh).
#
# The rows are written with Python's sqlite3 into a fresh file that
# `stepbench runs` initialised (so the schema is db/schema.c's, v4, STRICT
# and CHECKed), then copied into DB with `stepbench import`, db/import.c's
# path.  Every figure is made up (illustrative, not measured: no int8
# variant has run on a GPU yet) and the run's note says so; what is real
# is the shape of the data an int8dyn sweep stores (kernels/int8.h,
# db/db.h's quant_* fields, phases int8.scale, int8.quant, forward,
# int8.dequant):
#   #0 infer.int8dyn.imma 4096^3, weights per tensor: scale, quant and
#      forward phases (dequantised in the GEMM's epilogue: no int8.dequant
#      phase), both errors, no saturation;
#   #1 the same per channel: lower errors, 3 activations saturated;
#   #2 infer.int8dyn.dp4a 4096^3 per tensor: a separate int8.dequant
#      phase; activations' saturation not counted (stored NULL);
#   #3 infer.int8dyn.cublaslt 4096^3 per tensor: int8.quant stored
#      without a time (its overhead is "not measured"), the affine error
#      not measured, the weights' saturation not counted;
#   #4 infer.int8dyn.cpu 10x3x5 per tensor: timed with reps > 1, so no
#      phases; both errors;
#   #5 train.int8dyn.imma 4096^3 per tensor: the int8 phases with the
#      fp16amp training phases; neither error measured;
#   #6 infer.fp16amp.mma 4096^3: not int8 (the fp16 forward an int8
#      forward is compared with): no quant_* values;
#   #7 infer.int8dyn.imma 10x3x5: skipped (illustrative reason), nothing
#      measured.
# Prints the new run's id on stdout.  Exit 1 with a message on failure.
set -u

SB=${1:?usage: seed_int8.sh path/to/stepbench DB}
DB=${2:?usage: seed_int8.sh path/to/stepbench DB}
SEED=$(mktemp -d "${TMPDIR:-/tmp}/sb-seed-int8.XXXXXX")
trap 'rm -rf "$SEED"' EXIT

: >"$SEED/seed.db"
if ! "$SB" runs --db "$SEED/seed.db" >"$SEED/runs.out" 2>&1; then
	echo "seed_int8: stepbench runs did not initialise $SEED/seed.db:" >&2
	cat "$SEED/runs.out" >&2
	exit 1
fi
if ! python3 - "$SEED/seed.db" <<'EOF'
import json, sqlite3, sys

c = sqlite3.connect(sys.argv[1])
c.execute('PRAGMA foreign_keys = ON')
if c.execute('PRAGMA user_version').fetchone()[0] < 4:
    sys.exit('seed_int8: this stepbench made a database older than schema v4 '
             '(no quant_* columns)')
argv = ['stepbench', 'sweep', '--variants', '*.int8dyn.*,infer.fp16amp.mma',
        '--shapes', 'tutorial,4096']
cur = c.execute(
    "INSERT INTO run (uuid, label, note, argv, git_rev, host, pid, pid_start, "
    "device, planned_points, status, started_at, ended_at) VALUES "
    "(?, ?, ?, ?, 'seed', 'seed-host', 1, 1, 'seeded: no GPU', 8, 'ok', "
    "'2026-11-26T21:00:00.000Z', '2026-11-26T21:00:01.000Z')",
    ('b8e1b8e1-0000-4000-8000-5eed00000008', 'int8 seed',
     'seeded by tests/web/seed_int8.sh: made-up figures, not measurements',
     json.dumps(argv)))
run = cur.lastrowid

def result(idx, variant, m, n, k, median, reps=1, quant=None, status='ok',
           reason=None):
    """quant: (per_channel, err_sym, err_affine, sat_act, sat_weight), None
    for values not measured; quant None: not an int8dyn row."""
    mode, prec, impl = variant.split('.')
    flops = (2.0 if mode == 'infer' else 6.0) * m * n * k
    byts = 4.0 * (m * k + n * k + m * n)
    q = quant or (None,) * 5
    ok = status == 'ok'
    cur = c.execute(
        "INSERT INTO result (run_id, point_idx, variant, mode, precision, "
        "impl, m, n, k, layers, world, graph, l2_flush, input_grad, status, "
        "reason, nsamples, warmup, reps, median_us, mean_us, min_us, max_us, "
        "p10_us, p90_us, cv, stop_reason, flops, bytes, tflops, gbps, "
        "over_peak, err_y, tol, check_mode, nsteps, started_at, ended_at, "
        "quant_per_channel, quant_err_sym, quant_err_affine, quant_sat_act, "
        "quant_sat_weight) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 1, 0, 1, 0, "
        "?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, -1, ?, 2e-2, ?, 0, "
        "'2026-11-26T21:00:00.000Z', '2026-11-26T21:00:01.000Z', ?, ?, ?, ?, ?)",
        (run, idx, variant, mode, prec, impl, m, n, k, status, reason,
         3 if ok else 0, reps,
         *((median, median, 0.98 * median, 1.03 * median, 0.99 * median,
            1.02 * median, 0.01, 'noise') if ok else (None,) * 8),
         flops, byts,
         flops / median / 1e6 if ok else None,
         byts / median / 1e3 if ok else None,
         4e-3 if ok else None, 'full' if ok else None, *q))
    rid = cur.lastrowid
    for i in range(3 if ok else 0):
        c.execute("INSERT INTO sample (result_id, idx, time_us) VALUES (?, ?, ?)",
                  (rid, i, median * (1 + 0.01 * (i - 1))))
    return rid

def phases(rid, ph):
    for name, us in ph:
        c.execute("INSERT INTO phase (result_id, name, median_us) VALUES (?, ?, ?)",
                  (rid, name, us))

G = 4096
r = result(0, 'infer.int8dyn.imma', G, G, G, 650.0,
           quant=(0, 0.0121, 0.0089, 0, 0))
phases(r, [('int8.scale', 18), ('int8.quant', 30), ('forward', 600)])
r = result(1, 'infer.int8dyn.imma', G, G, G, 662.0,
           quant=(1, 0.0068, 0.0052, 3, 0))
phases(r, [('int8.scale', 18), ('int8.quant', 31), ('forward', 610)])
r = result(2, 'infer.int8dyn.dp4a', G, G, G, 2495.0,
           quant=(0, 0.0121, 0.0089, None, 0))
phases(r, [('int8.scale', 18), ('int8.quant', 30), ('forward', 2400),
           ('int8.dequant', 45)])
r = result(3, 'infer.int8dyn.cublaslt', G, G, G, 515.0,
           quant=(0, 0.0121, None, 0, None))
phases(r, [('int8.scale', 18), ('int8.quant', None), ('forward', 450),
           ('int8.dequant', 40)])
result(4, 'infer.int8dyn.cpu', 10, 3, 5, 0.9, reps=1000,
       quant=(0, 0.021, 0.017, 0, 0))
r = result(5, 'train.int8dyn.imma', G, G, G, 1300.0,
           quant=(0, None, None, 1, None))
phases(r, [('int8.scale', 20), ('int8.quant', 35), ('forward', 640),
           ('loss', 20), ('backward.wgrad', 310), ('backward.dgrad', 210),
           ('amp.unscale', 25), ('sgd', 35), ('amp.update', 5)])
r = result(6, 'infer.fp16amp.mma', G, G, G, 800.0)
phases(r, [('forward', 800)])
result(7, 'infer.int8dyn.imma', 10, 3, 5, None, status='skipped',
       reason='illustrative: K = 5 is not a multiple of 4')
c.commit()
EOF
then
	echo "seed_int8: could not write the seed rows" >&2
	exit 1
fi
if ! "$SB" import --db "$DB" "$SEED/seed.db" >"$SEED/import.out" 2>&1 ||
    ! grep -q '^imported 1 runs' "$SEED/import.out"; then
	echo "seed_int8: stepbench import of the seed run failed:" >&2
	cat "$SEED/import.out" >&2
	exit 1
fi
python3 - "$DB" <<'EOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
print(c.execute("SELECT id FROM run WHERE uuid = "
                "'b8e1b8e1-0000-4000-8000-5eed00000008'").fetchone()[0])
EOF
