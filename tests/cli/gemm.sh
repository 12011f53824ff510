#!/usr/bin/env bash
# tests/cli/gemm.sh — `stepbench gemm` from the command line: --help, bad
# input refused with exit 2 and nothing written, and, on a machine without
# a GPU, every planned point (the cuBLAS baselines included) stored as a
# skipped row with the reason, as a table or as one JSON document.  On a
# GPU machine the skipped-row cases are left out (they would measure);
# `ctest -L gpu` and scripts/gpu-check cover that path.
#
#   bash tests/cli/gemm.sh /path/to/stepbench
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"

# --- gemm-1: help ------------------------------------------------------------
sb gemm --help
expect_exit gemm-1.1 0
expect_stdout_contains gemm-1.1 "usage: stepbench gemm"
for s in --kernels --types --out --layouts --sizes --lda-pad --json \
    --max-noise --check-limit f32.warptile tf32.mma tf32.cublas \
    f16.cublas bf16.cublaslt "gemm.<type>-f32" "%cuBLAS" waves/tail \
    s8.dp4a s8.imma s8.cublaslt "half|f32|s32" "TOP/s" "%cuBLASLt"; do
	expect_stdout_contains gemm-1.1 "$s"
done
sb --help
expect_stdout_contains gemm-1.2 "gemm "
sb frobnicate
expect_stderr_contains gemm-1.3 "serve, gemm"

# --- gemm-2: bad input: exit 2, a message naming the value, nothing written ---
"$SB" sweep --db kept.db --variants train.fp32.cpu --shapes tutorial \
    "${FAST[@]}" >/dev/null 2>&1 || { echo "cannot make kept.db"; exit 1; }
# bad ID NEEDLE... -- ARGS...: once with a new --db (must not appear), once
# with kept.db (its bytes must not change).
bad() {
	local id=$1 needles=() n before after
	shift
	while [ "$1" != "--" ]; do needles+=("$1"); shift; done
	shift
	sb gemm --db "$T/new.db" "$@"
	expect_exit "$id" 2
	expect_stdout_empty "$id"
	for n in "${needles[@]}"; do
		expect_stderr_contains "$id" "$n"
	done
	expect_no_db "$id" "$T/new.db"
	before=$(db_state kept.db)
	sb gemm --db "$T/kept.db" "$@"
	after=$(db_state kept.db)
	expect_exit "$id/kept" 2
	check_eq "$id/kept" "bytes of kept.db (and -wal)" "$before" "$after"
}
bad gemm-2.1 "--kernels: 'bogus'" "f32.warptile" "tf32.cublas" -- \
    --kernels warptile,bogus
bad gemm-2.2 "--kernels is empty" -- --kernels ,
bad gemm-2.3 "--sizes: '4096x'" "MxNxK" -- --sizes 4096x
bad gemm-2.4 "--sizes: '0x5x3'" -- --sizes 64x64x64,0x5x3
bad gemm-2.5 "--sizes: 'huge' is not a preset" "headline" -- --sizes huge
bad gemm-2.6 "--layouts: 'xy' is not a layout" "nt" "nn" -- --layouts nt,xy
bad gemm-2.7 "--layouts: 'nt,,tn' has an empty item" -- --layouts nt,,tn
bad gemm-2.8 "--lda-pad: '-1'" "0 to 1048576" -- --lda-pad -1
bad gemm-2.9 "--max-noise: 'lots'" -- --max-noise lots
bad gemm-2.10 "unknown option '--frob'" "stepbench gemm --help" -- --frob
bad gemm-2.11 "unexpected argument 'extra'" -- extra
bad gemm-2.12 "--min-samples 9 is above --max-samples 3" -- \
    --min-samples 9 --max-samples 3
bad gemm-2.13 "--db is empty" -- --db ''
bad gemm-2.14 "--types: 'fp8' is not a type" "f16" "bf16" -- \
    --types f16,fp8
bad gemm-2.15 "--types: 'f16,' has an empty item" -- --types f16,
bad gemm-2.16 "--out: 'f16' is not an output type" "half" "f32" -- \
    --out f16
bad gemm-2.17 "--kernels: 'warptile' matches no kernel of --types f16" \
    "f16.cublaslt" -- --kernels warptile --types f16
bad gemm-2.18 "--kernels: 'f16.nosuch' matches no kernel of this build" \
    "bf16.cublas" -- --kernels f16.nosuch
# int8: nt only, s32/f32 out, s8 a type but s32 not
bad gemm-2.19 "--layouts has no nt" "only layout nt" "drop s8 from --types" \
    -- --types s8 --layouts tn,nn
bad gemm-2.20 "--out s32: only the s8 kernels write int32" "f16" \
    "--types s8" -- --types f16 --out s32
bad gemm-2.21 "--out half: the s8 kernels" "--out s32 or f32" -- \
    --types s8 --kernels imma --out half
bad gemm-2.22 "--types: 's32' is not a type" "s8 (the int8 kernels)" -- \
    --types s32
bad gemm-2.23 "--out: 'f16' is not an output type" "s32" -- \
    --types s8 --out f16
bad gemm-2.24 "--kernels: 'dp4a' matches no kernel of --types f32,f16" \
    "s8.dp4a" -- --kernels dp4a --types f32,f16

GPUS=$("$SB" info --json | python3 -c 'import json, sys
print(len(json.load(sys.stdin)["gpus"]))')
if [ "$GPUS" != 0 ]; then
	echo "note: this machine has a GPU; the skipped-row cases (gemm-3, gemm-4) are not run"
	summary cli_gemm
fi

# --- gemm-3: no GPU: every point a skipped row, as a table ---------------------
DB=$T/g.db
sb gemm --db "$DB" --kernels 'warptile,tf32.mma' --layouts nt,tn \
    --sizes 64x64x64,128x64x32 --lda-pad 4 --label no-gpu "${FAST[@]}"
expect_exit gemm-3.1 0
expect_stderr_contains gemm-3.1 "no GPU"
expect_stderr_contains gemm-3.1 "every point is stored as skipped"
expect_stderr_contains gemm-3.1 "16 points measured: 0 ok, 16 skipped"
# per (size, layout): f32.cublas*, tf32.cublas*, warptile, mma
check_eq gemm-3.2 "table rows" 16 "$(grep -c ' skipped ' "$T/out")"
expect_stdout_contains gemm-3.2 "gemm.f32.cublas.nt*"
expect_stdout_contains gemm-3.2 "gemm.tf32.cublas.tn*"
expect_stdout_contains gemm-3.2 "128x64x32+4"
check_eq gemm-3.3 "the run" "ok|16|no-gpu" \
    "$(sql "$DB" "SELECT status, planned_points, label FROM run")"
check_eq gemm-3.3 "the run's command line" "gemm|1" \
    "$(sql "$DB" "SELECT json_extract(argv, '\$[1]'),
        instr(argv, '\"--lda-pad\",\"4\"') > 0 FROM run")"
check_eq gemm-3.4 "every row skipped for want of a GPU" 16 \
    "$(sql "$DB" "SELECT count(*) FROM result WHERE status = 'skipped'
        AND reason LIKE 'no GPU: %' AND mode = 'gemm' AND nsamples = 0
        AND launches IS NULL AND graph_nodes IS NULL")"
check_eq gemm-3.5 "ids, precision, impl and layout agree" 16 \
    "$(sql "$DB" "SELECT count(*) FROM result WHERE
        variant = 'gemm.' || precision || '.' || impl || '.' || layout")"
check_eq gemm-3.5 "the points, in plan order" \
    "gemm.f32.cublas.nt gemm.tf32.cublas.nt gemm.f32.warptile.nt gemm.tf32.mma.nt gemm.f32.cublas.tn" \
    "$(sql "$DB" "SELECT variant FROM result WHERE point_idx < 5
        ORDER BY point_idx" | paste -sd' ')"
check_eq gemm-3.6 "sizes and flops" "128|64|32|524288.0" \
    "$(sql "$DB" "SELECT m, n, k, flops FROM result WHERE point_idx = 8")"
check_eq gemm-3.7 "no launch facts without a GPU" 0 \
    "$(sql "$DB" "SELECT count(*) FROM launch_info")"
sb export 1 "$T/g.csv" --db "$DB"
expect_exit gemm-3.8 0
check_cmd gemm-3.8 "the CSV export has the layout and launch columns" \
    python3 -c '
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert len(rows) == 16, len(rows)
assert {r["layout"] for r in rows} == {"nt", "tn"}
assert all(r["launches"] == "" and r["mode"] == "gemm" for r in rows)
' "$T/g.csv"

# --- gemm-4: --json: one document on stdout, no table ---------------------------
sb gemm --db "$DB" --kernels f32.cublas,naive --layouts nn --sizes 32x16x8 \
    --json "${FAST[@]}"
expect_exit gemm-4.1 0
check_cmd gemm-4.1 "stdout is one JSON document with every point" \
    python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert len(d["run"]) == 36 and d["planned_points"] == 2, d
p = d["points"]
assert [x["id"] for x in p] == ["gemm.f32.cublas.nn", "gemm.f32.naive.nn"], p
assert p[0]["baseline"] and not p[0]["auto_baseline"], p[0]
assert not p[1]["baseline"] and p[1]["kernel"] == "naive", p[1]
for x in p:
    assert x["status"] == "skipped" and x["reason"].startswith("no GPU")
    assert x["m"] == 32 and x["n"] == 16 and x["k"] == 8 and x["lda_pad"] == 0
    assert x["median_us"] is None and x["pct_of_cublas"] is None
    assert x["launch"] is None and x["layout"] == "nn"
' "$OUT"
check_eq gemm-4.2 "a second run in the same file" "2|2" \
    "$(sql "$DB" "SELECT count(*), (SELECT count(*) FROM result WHERE
        run_id = 2) FROM run")"

# --- gemm-6: half kernels: skipped rows, ids, --out f32 -------------------------
sb gemm --db "$T/h.db" --kernels cublaslt --types f16,bf16 --layouts tn \
    --sizes 64x48x32 "${FAST[@]}"
expect_exit gemm-6.1 0
expect_stderr_contains gemm-6.1 "4 points measured: 0 ok, 4 skipped"
expect_stdout_contains gemm-6.1 "gemm.f16.cublas.tn*"
expect_stdout_contains gemm-6.1 "gemm.bf16.cublaslt.tn"
check_eq gemm-6.2 "rows: baselines of each type first, then cuBLASLt" \
    "gemm.f16.cublas.tn|f16|cublas gemm.bf16.cublas.tn|bf16|cublas gemm.f16.cublaslt.tn|f16|cublaslt gemm.bf16.cublaslt.tn|bf16|cublaslt" \
    "$(sql "$T/h.db" "SELECT variant, precision, impl FROM result
        ORDER BY point_idx" | paste -sd' ')"
check_eq gemm-6.3 "skipped for want of a GPU; half C bytes" \
    "4|13312.0|13312.0" \
    "$(sql "$T/h.db" "SELECT count(*), max(bytes), min(bytes) FROM result
        WHERE status = 'skipped' AND reason LIKE 'no GPU: %'")"
sb gemm --db "$T/h.db" --kernels 'bf16.*' --out f32 --layouts nn \
    --sizes 32x16x8 --json "${FAST[@]}"
expect_exit gemm-6.4 0
check_cmd gemm-6.4 "--out f32: ids, types and the baseline in the JSON" \
    python3 -c '
import json, sys
d = json.loads(sys.argv[1])
p = d["points"]
ids = [x["id"] for x in p]
assert ids[0] == "gemm.bf16-f32.cublas.nn", ids
assert "gemm.bf16-f32.cublaslt.nn" in ids, ids
assert all(x["in"] == "bf16" and x["out"] == "f32" for x in p), p
assert all(x["precision"] == "bf16-f32" for x in p), p
assert p[0]["baseline"] and not p[0]["auto_baseline"], p[0]
assert all(x["status"] == "skipped" and x["algo"] is None for x in p), p
' "$OUT"

# --- gemm-7: int8 kernels: skipped rows, nt only, ids, --out f32 ---------------
sb gemm --db "$T/s8.db" --types s8 --layouts nt,tn --sizes 64x48x32,65x33x17 \
    "${FAST[@]}"
expect_exit gemm-7.1 0
expect_stderr_contains gemm-7.1 "the s8 kernels run at layout nt only"
expect_stderr_contains gemm-7.1 "6 points measured: 0 ok, 6 skipped"
expect_stdout_contains gemm-7.1 "gemm.s8.imma.nt"
check_eq gemm-7.2 "rows: cuBLASLt s8 (the baseline) first, nt only" \
    "gemm.s8.cublaslt.nt|s8|cublaslt|nt gemm.s8.dp4a.nt|s8|dp4a|nt gemm.s8.imma.nt|s8|imma|nt" \
    "$(sql "$T/s8.db" "SELECT variant, precision, impl, layout FROM result
        WHERE m = 64 ORDER BY point_idx" | paste -sd' ')"
# bytes: int8 A (65x17) and B (33x17), int32 C (65x33)
check_eq gemm-7.3 "skipped for want of a GPU; int8 in, int32 out" \
    "6|3|10246.0|72930.0" \
    "$(sql "$T/s8.db" "SELECT count(*), count(DISTINCT impl),
        max(bytes) FILTER (WHERE m = 65), max(flops) FILTER (WHERE m = 65)
        FROM result WHERE status = 'skipped' AND reason LIKE 'no GPU: %'")"
sb gemm --db "$T/s8.db" --types s8 --out f32 --layouts nt --sizes 32x16x8 \
    --json "${FAST[@]}"
expect_exit gemm-7.4 0
check_cmd gemm-7.4 "--out f32: ids s8-f32, in s8, out f32, the baseline" \
    python3 -c '
import json, sys
d = json.loads(sys.argv[1])
p = d["points"]
ids = [x["id"] for x in p]
assert ids == ["gemm.s8-f32.cublaslt.nt", "gemm.s8-f32.dp4a.nt",
    "gemm.s8-f32.imma.nt"], ids
assert all(x["in"] == "s8" and x["out"] == "f32" for x in p), p
assert p[0]["baseline"] and not p[1]["baseline"], p
assert all(x["status"] == "skipped" for x in p), p
' "$OUT"
check_eq gemm-7.5 "the database still reads after the int8 runs" "2|9" \
    "$(sql "$T/s8.db" "SELECT count(*), (SELECT count(*) FROM result)
        FROM run")"

# --- gemm-5: the defaults: every kernel, layout and size --------------------------
sb gemm --db "$T/all.db" "${FAST[@]}"
expect_exit gemm-5.1 0
check_cmd gemm-5.1 "6 sizes x 3 layouts x every kernel, all stored" \
    python3 -c '
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
planned, = db.execute("SELECT planned_points FROM run").fetchone()
rows, kinds, sizes, layouts = db.execute("SELECT count(*), "
    "count(DISTINCT precision || impl), count(DISTINCT m), "
    "count(DISTINCT layout) FROM result").fetchone()
assert (sizes, layouts) == (6, 3), (sizes, layouts)
assert rows == planned == 18 * kinds and kinds >= 3, (rows, planned, kinds)
lo, hi = db.execute("SELECT min(m), max(m) FROM result").fetchone()
assert (lo, hi) == (256, 8192), (lo, hi)
' "$T/all.db"

summary cli_gemm
