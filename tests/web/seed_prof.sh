#!/usr/bin/env bash
# tests/web/seed_prof.sh STEPBENCH DB — adds three runs P, Q and R of
# profiled GPU steps (schema v6) to DB (created if missing) on a machine
# without a GPU, for the dashboard's tests (point.sh).
#
# The rows are written with Python's sqlite3 straight into DB after
# `stepbench runs` has initialised or upgraded it (so the schema is
# db/schema.c's, v6, STRICT and CHECKed).  Every figure is made up
# (illustrative, not measured) and each run's note says so; what is real
# is the shape of the data a profiled sweep stores (db/db.h: struct
# db_kernel, the cupti_* and fingerprint fields, profile_session and
# profile rows as `stepbench profile ncu` imports them).
#
# Run P, points:
#   #0 train.fp32.warptile 256x128x64: CUPTI ok, 6 records per step
#      (launches 6: they match), kernel names with < & and a template;
#      phases forward, loss, backward.wgrad, sgd; an ncu session with
#      values for three launches (numbers, a text value, a unit-less one)
#      and an nsys session with one;
#   #1 train.fp32.cublas 256x128x64: CUPTI ok, 5 records but launches 4
#      (they differ); no profile; a memcpy and a memset among the records;
#   #2 train.fp32.naive 16x8x4: CUPTI "off: --no-cupti": no kernel rows;
#   #3 train.fp32.cpu 10x3x5: a CPU row: cupti NULL, no fingerprint.
# Run Q: the same points; #0's fingerprint differs (nvcc_flags, the regs of
# one kernel, a kernel only Q has), #1's is P's, #2's differs in driver only
# (a key whose value differs) and in a key only Q has (nccl).
# Run R: the same points with P's fingerprints (a comparison without
# warning).
# Prints "P Q R" (the new runs' ids) on stdout.  Exit 1 with a message on
# failure.
set -u

SB=${1:?usage: seed_prof.sh path/to/stepbench DB}
DB=${2:?usage: seed_prof.sh path/to/stepbench DB}

# An empty file is a new database to `stepbench runs` (a missing one is
# an error to it).
[ -e "$DB" ] || : >"$DB"
if ! out=$("$SB" runs --db "$DB" 2>&1); then
	echo "seed_prof: stepbench runs did not initialise $DB: $out" >&2
	exit 1
fi
python3 - "$DB" <<'EOF'
import json, sqlite3, sys

c = sqlite3.connect(sys.argv[1])
c.execute('PRAGMA foreign_keys = ON')
if c.execute('PRAGMA user_version').fetchone()[0] < 6:
    sys.exit('seed_prof: this stepbench made a database older than schema v6 '
             '(no kernel or profile tables)')

def fnv(text):
    h = 0xcbf29ce484222325
    for b in text.encode():
        h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
    return '%016x' % h

def canon(obj):
    return json.dumps(obj, sort_keys=True, separators=(',', ':'))

K_WARP = {'binary_version': 90, 'local_bytes': 0, 'max_threads': 256,
          'name': 'gemm_f32.warptile.nt', 'ptx_version': 90, 'regs': 128,
          'static_smem': 16384}
K_TN = dict(K_WARP, name='gemm_f32.warptile.tn', regs=122)
BASE = {'build_type': 'Release', 'cc': '9.0', 'cublas': '13.0.2',
        'cublaslt': '13.0.2', 'cuda_archs': '90a', 'cuda_runtime': '13.0',
        'driver': '13.0', 'gpu': 'NVIDIA H200 (seeded)',
        'gpu_uuid': 'GPU-5eed0000-0000-0000-0000-000000000000',
        'nvcc': '13.0', 'nvcc_flags': '-O3 -lineinfo',
        'options': 'werror=on nvtx=on sanitize=off'}
FP = {
    'P': {0: dict(BASE, kernels=[K_WARP, K_TN]), 1: dict(BASE, kernels=[]),
          2: dict(BASE, kernels=[dict(K_WARP, name='gemm_f32.naive.nt', regs=40,
                                      static_smem=0)])},
}
FP['R'] = FP['P']
FP['Q'] = {0: dict(BASE, nvcc_flags='-O3 -lineinfo -G',
                   kernels=[dict(K_WARP, regs=96, local_bytes=64), K_TN,
                            dict(K_WARP, name='gemm_f32.extra.nn')]),
           1: FP['P'][1],
           2: dict(FP['P'][2], driver='13.1', nccl='2.27.3')}

def run(tag, uuid):
    cur = c.execute(
        "INSERT INTO run (uuid, label, note, argv, git_rev, host, pid, pid_start, "
        "device, planned_points, status, started_at, ended_at) VALUES "
        "(?, ?, ?, ?, 'seed', 'seed-host', 1, 1, 'seeded: no GPU', 4, 'ok', "
        "?, ?)",
        (uuid, 'profile seed ' + tag,
         'seeded by tests/web/seed_prof.sh: made-up figures, not measurements',
         json.dumps(['stepbench', 'sweep', '--variants',
                     'train.fp32.warptile,train.fp32.cublas,train.fp32.naive,train.fp32.cpu',
                     '--shapes', '256x128x64,16x8x4,tutorial']),
         '2026-11-27T10:00:0%d.000Z' % 'PQR'.index(tag),
         '2026-11-27T10:00:0%d.500Z' % 'PQR'.index(tag)))
    return cur.lastrowid

def result(rid, idx, variant, m, n, k, median, cupti=None, launches=None,
           cl=None, kus=None, eus=None, fp=None):
    mode, prec, impl = variant.split('.')
    flops = 6.0 * m * n * k
    byts = 4.0 * (m * k + n * k + m * n)
    fj = canon(fp) if fp is not None else None
    cur = c.execute(
        "INSERT INTO result (run_id, point_idx, variant, mode, precision, impl, "
        "m, n, k, layers, world, graph, l2_flush, input_grad, status, nsamples, "
        "warmup, reps, median_us, mean_us, min_us, max_us, p10_us, p90_us, cv, "
        "stop_reason, flops, bytes, tflops, gbps, over_peak, err_y, tol, "
        "check_mode, nsteps, started_at, ended_at, launches, cupti, cupti_steps, "
        "cupti_launches, cupti_kernel_us, cupti_event_us, fingerprint, "
        "fingerprint_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 1, 0, 1, 0, "
        "'ok', 3, 1, 1, ?, ?, ?, ?, ?, ?, 0.01, 'noise', ?, ?, ?, ?, -1, 1e-7, "
        "1e-5, 'full', 0, '2026-11-27T10:00:00.000Z', '2026-11-27T10:00:01.000Z', "
        "?, ?, ?, ?, ?, ?, ?, ?)",
        (rid, idx, variant, mode, prec, impl, m, n, k, median, median,
         0.98 * median, 1.03 * median, 0.99 * median, 1.02 * median, flops, byts,
         flops / median / 1e6, byts / median / 1e3, launches, cupti,
         5 if cupti == 'ok' else None, cl, kus, eus,
         fnv(fj) if fj else None, fj))
    res = cur.lastrowid
    for i in range(3):
        c.execute("INSERT INTO sample (result_id, idx, time_us) VALUES (?, ?, ?)",
                  (res, i, median * (1 + 0.01 * (i - 1))))
    return res

def kernels(res, rows):
    for i, r in enumerate(rows):
        kind, name, phase, grid, block, regs, smem, dyn, local, nbytes, dur, start = r
        c.execute(
            "INSERT INTO kernel (result_id, idx, kind, name, phase, stream, grid_x, "
            "grid_y, grid_z, block_x, block_y, block_z, regs, static_smem, dyn_smem, "
            "local_bytes, bytes, duration_us, start_us) VALUES (?, ?, ?, ?, ?, 7, "
            "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (res, i, kind, name, phase, *(grid or (None,) * 3),
             *(block or (None,) * 3), regs, smem, dyn, local, nbytes, dur, start))

def phases(res, ph):
    for name, us in ph:
        c.execute("INSERT INTO phase (result_id, name, median_us) VALUES (?, ?, ?)",
                  (res, name, us))

def session(rid, tool, report, command, version, values):
    cur = c.execute(
        "INSERT INTO profile_session (run_id, tool, report, command, tool_version, "
        "imported_at) VALUES (?, ?, ?, ?, ?, '2026-11-27T10:05:00.000Z')",
        (rid, tool, report, command, version))
    sid = cur.lastrowid
    for i, (res, launch, kernel, phase, metric, unit, value, text) in enumerate(values):
        c.execute(
            "INSERT INTO profile (session_id, idx, result_id, launch, kernel, phase, "
            "metric, unit, value, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (sid, i, res, launch, kernel, phase, metric, unit, value, text))

TEMPLATE = 'void sb_gemm<128, 64>(float const*, float*) & co'
ids = {}
for tag, uuid in (('P', 'b8e1b8e1-0000-4000-8000-5eed0000000a'),
                  ('Q', 'b8e1b8e1-0000-4000-8000-5eed0000000b'),
                  ('R', 'b8e1b8e1-0000-4000-8000-5eed0000000c')):
    rid = run(tag, uuid)
    ids[tag] = rid
    fp = FP[tag]
    r0 = result(rid, 0, 'train.fp32.warptile', 256, 128, 64, 40.0, 'ok', 6, 6,
                31.5, 38.0, fp[0])
    kernels(r0, [
        ('kernel', 'gemm_f32.warptile.nt', 'forward', (4, 2, 1), (256, 1, 1), 128,
         16384, 0, 0, None, 12.0, 0.0),
        ('kernel', 'loss_bias<float> & mse', 'loss', (128, 1, 1), (256, 1, 1), 32,
         0, 1024, 0, None, 3.5, 13.0),
        ('kernel', TEMPLATE, 'backward.wgrad', (2, 1, 1), (256, 1, 1), 122, 16384,
         0, 0, None, 9.0, 17.5),
        ('memset', 'memset', 'backward.wgrad', None, None, None, None, None, None,
         512, 0.5, 27.0),
        ('kernel', 'bias_grad_reduce', 'backward.wgrad', (1, 1, 1), (128, 1, 1), 24,
         512, 0, 0, None, 2.5, 28.0),
        ('kernel', 'sgd_update', 'sgd', (33, 1, 1), (256, 1, 1), 16, 0, 0, 0, None,
         4.0, 31.0)])
    phases(r0, [('forward', 13.0), ('loss', 4.0), ('backward.wgrad', 14.0),
                ('sgd', 5.0)])
    r1 = result(rid, 1, 'train.fp32.cublas', 256, 128, 64, 30.0, 'ok', 4, 5,
                22.0, 29.0, fp[1])
    kernels(r1, [
        ('memcpy', 'memcpy HtoD', None, None, None, None, None, None, None, 4096,
         1.5, 0.0),
        ('kernel', 'sm90_xmma_gemm_f32f32_tn', 'forward', (2, 2, 1), (128, 1, 1),
         168, 0, 49152, 0, None, 8.0, 2.0),
        ('kernel', 'sm90_xmma_gemm_f32f32_nt', 'backward.wgrad', (2, 2, 1),
         (128, 1, 1), 168, 0, 49152, 0, None, 7.5, 11.0),
        ('kernel', 'loss_bias', 'loss', (128, 1, 1), (256, 1, 1), 32, 0, 1024, 0,
         None, 3.0, 19.0),
        ('kernel', 'sgd_update', 'sgd', (33, 1, 1), (256, 1, 1), 16, 0, 0, 0, None,
         2.0, 23.0)])
    phases(r1, [('forward', 9.0), ('loss', 3.5), ('backward.wgrad', 8.0),
                ('sgd', 2.5)])
    result(rid, 2, 'train.fp32.naive', 16, 8, 4, 12.0, 'off: --no-cupti', 5,
           fp=fp[2])
    result(rid, 3, 'train.fp32.cpu', 10, 3, 5, 0.8)
    if tag == 'P':
        session(rid, 'ncu', '/tmp/seed/stepbench-ncu-1.ncu-rep',
                "ncu --clock-control none --csv --metrics gpu__time_duration.sum,"
                "launch__registers_per_thread ./stepbench sweep --variants "
                "train.fp32.warptile --shapes 256x128x64", '2025.3.1', [
            (r0, 0, 'gemm_f32.warptile.nt', 'forward', 'gpu__time_duration.sum',
             'usecond', 11.84, None),
            (r0, 0, 'gemm_f32.warptile.nt', 'forward', 'launch__registers_per_thread',
             'register/thread', 128, None),
            (r0, 0, 'gemm_f32.warptile.nt', 'forward', 'dram__bytes_read.sum',
             'byte', 1234567, None),
            (r0, 2, TEMPLATE, 'backward.wgrad', 'gpu__time_duration.sum', 'usecond',
             8.91, None),
            (r0, 2, TEMPLATE, 'backward.wgrad', 'launch__func_cache_config', None,
             None, 'CachePreferNone'),
            (r0, 5, 'sgd_update', 'sgd', 'sm__throughput.avg.pct_of_peak_sustained_elapsed',
             '%', 12.5, None)])
        session(rid, 'nsys', '/tmp/seed/stepbench-nsys-1.sqlite',
                'nsys profile --trace cuda,nvtx ./stepbench sweep ...', None, [
            (r0, 0, 'gemm_f32.warptile.nt', 'forward', 'duration', 'us', 12.1, None)])
c.commit()
print(ids['P'], ids['Q'], ids['R'])
EOF
