#!/usr/bin/env bash
# tests/web/seed_amp.sh STEPBENCH DB — adds one run of mixed-precision
# results to DB (created if missing) on a machine without a GPU, for the
# dashboard's tests (http.sh, browser.sh).
#
# The rows are written with Python's sqlite3 into a fresh file that
# `stepbench runs` initialised (so the schema is db/schema.c's, STRICT and
# CHECKed), then copied into DB with `stepbench import`, db/import.c's
# path.  Every figure is made up and the run's note says so; what is real
# is the shape of the data a fp16amp/bf16amp sweep with --steps stores:
#   #0 train.fp16amp.mma 4096^3: phases with amp.unscale and amp.update,
#      60 steps of loss and fp32 ref_loss, a loss_divergence, and a
#      GradScaler trajectory (init 65536, backoff 0.5, growth 2 every 20
#      good steps) with overflows at steps 0, 1 (calibration) and 45
#      (an injected inf);
#   #1 train.bf16amp.mma 4096^3: phases with amp.unscale only, loss and
#      ref_loss, a divergence, no trajectory;
#   #2 train.fp16amp.cpu 10x3x5: a trajectory and a loss curve without
#      a reference (divergence not measured), no phases;
#   #3 train.fp32.cublas 4096^3: phases, no curve.
# Prints the new run's id on stdout.  Exit 1 with a message on failure.
set -u

SB=${1:?usage: seed_amp.sh path/to/stepbench DB}
DB=${2:?usage: seed_amp.sh path/to/stepbench DB}
SEED=$(mktemp -d "${TMPDIR:-/tmp}/sb-seed-amp.XXXXXX")
trap 'rm -rf "$SEED"' EXIT

: >"$SEED/seed.db"
if ! "$SB" runs --db "$SEED/seed.db" >"$SEED/runs.out" 2>&1; then
	echo "seed_amp: stepbench runs did not initialise $SEED/seed.db:" >&2
	cat "$SEED/runs.out" >&2
	exit 1
fi
if ! python3 - "$SEED/seed.db" <<'EOF'
import json, math, sqlite3, sys

c = sqlite3.connect(sys.argv[1])
c.execute('PRAGMA foreign_keys = ON')
argv = ['stepbench', 'sweep', '--variants', 'train.*amp.*', '--steps', '60',
        '--inject-overflow', '45']
cur = c.execute(
    "INSERT INTO run (uuid, label, note, argv, git_rev, host, pid, pid_start, "
    "device, planned_points, status, started_at, ended_at) VALUES "
    "(?, ?, ?, ?, 'seed', 'seed-host', 1, 1, 'seeded: no GPU', 4, 'ok', "
    "'2026-11-26T20:00:00.000Z', '2026-11-26T20:00:01.000Z')",
    ('a3f16a3f-0000-4000-8000-5eed00000001', 'amp seed',
     'seeded by tests/web/seed_amp.sh: made-up figures, not measurements',
     json.dumps(argv)))
run = cur.lastrowid

def result(idx, variant, prec, impl, m, n, k, median, nsteps, reps,
           divergence=None, err=1e-3):
    flops = 6.0 * m * n * k
    byts = 4.0 * (m * k + 2 * n * k + 2 * m * n)
    cur = c.execute(
        "INSERT INTO result (run_id, point_idx, variant, mode, precision, "
        "impl, m, n, k, layers, world, graph, l2_flush, input_grad, status, "
        "nsamples, warmup, reps, median_us, mean_us, min_us, max_us, p10_us, "
        "p90_us, cv, stop_reason, flops, bytes, tflops, gbps, over_peak, "
        "err_y, err_loss, err_dw, err_db, err_w, tol, check_mode, loss, "
        "nsteps, started_at, ended_at, loss_divergence) VALUES (?, ?, ?, "
        "'train', ?, ?, ?, ?, ?, 1, 1, 0, 1, 0, 'ok', 3, 1, ?, ?, ?, ?, ?, "
        "?, ?, 0.01, 'noise', ?, ?, ?, ?, -1, ?, ?, ?, ?, ?, 1e-2, 'full', "
        "0.5, ?, '2026-11-26T20:00:00.000Z', '2026-11-26T20:00:01.000Z', ?)",
        (run, idx, variant, prec, impl, m, n, k, reps, median, median,
         0.98 * median, 1.03 * median, 0.99 * median, 1.02 * median, flops,
         byts, flops / median / 1e6, byts / median / 1e3, err, err / 2,
         err * 2, err, err / 4, nsteps, divergence))
    rid = cur.lastrowid
    for i in range(3):
        c.execute("INSERT INTO sample (result_id, idx, time_us) VALUES (?, ?, ?)",
                  (rid, i, median * (1 + 0.01 * (i - 1))))
    return rid

def phases(rid, ph):
    for name, us in ph:
        c.execute("INSERT INTO phase (result_id, name, median_us) VALUES (?, ?, ?)",
                  (rid, name, us))

def curve(rid, nsteps, ref, bias):
    for s in range(nsteps):
        loss = 1.0 / (1 + 0.1 * s) + bias * math.sin(s)
        c.execute("INSERT INTO loss_curve (result_id, step, loss, lr, ref_loss) "
                  "VALUES (?, ?, ?, 0.001, ?)",
                  (rid, s, loss, 1.0 / (1 + 0.1 * s) if ref else None))

def scaler(rid, nsteps, overflow):
    scale, good = 65536.0, 0
    for s in range(nsteps):
        skipped = 1 if s in overflow else 0
        run_scale = scale
        if skipped:
            scale *= 0.5
            good = 0
        else:
            good += 1
            if good == 20:
                scale *= 2
                good = 0
        c.execute("INSERT INTO scaler (result_id, step, scale, skipped, "
                  "growth_tracker) VALUES (?, ?, ?, ?, ?)",
                  (rid, s, run_scale, skipped, good))

r0 = result(0, 'train.fp16amp.mma', 'fp16amp', 'mma', 4096, 4096, 4096, 880.0,
            60, 1, divergence=0.0123)
phases(r0, [('forward', 300), ('loss', 20), ('backward.wgrad', 300),
            ('backward.dgrad', 200), ('amp.unscale', 25), ('sgd', 30),
            ('amp.update', 5)])
curve(r0, 60, True, 0.01)
scaler(r0, 60, {0, 1, 45})
r1 = result(1, 'train.bf16amp.mma', 'bf16amp', 'mma', 4096, 4096, 4096, 895.0,
            60, 1, divergence=0.0456)
phases(r1, [('forward', 310), ('loss', 20), ('backward.wgrad', 310),
            ('backward.dgrad', 210), ('amp.unscale', 15), ('sgd', 30)])
curve(r1, 60, True, 0.04)
r2 = result(2, 'train.fp16amp.cpu', 'fp16amp', 'cpu', 10, 3, 5, 2.5, 60, 1000)
curve(r2, 60, False, 0.0)
scaler(r2, 60, {0})
r3 = result(3, 'train.fp32.cublas', 'fp32', 'cublas', 4096, 4096, 4096, 7000.0,
            0, 1, err=1e-6)
phases(r3, [('forward', 2300), ('loss', 100), ('backward.wgrad', 2300),
            ('backward.dgrad', 2200), ('sgd', 100)])
c.commit()
EOF
then
	echo "seed_amp: could not write the seed rows" >&2
	exit 1
fi
if ! "$SB" import --db "$DB" "$SEED/seed.db" >"$SEED/import.out" 2>&1 ||
    ! grep -q '^imported 1 runs' "$SEED/import.out"; then
	echo "seed_amp: stepbench import of the seed run failed:" >&2
	cat "$SEED/import.out" >&2
	exit 1
fi
python3 - "$DB" <<'EOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
print(c.execute("SELECT id FROM run WHERE uuid = "
                "'a3f16a3f-0000-4000-8000-5eed00000001'").fetchone()[0])
EOF
