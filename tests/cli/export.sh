#!/usr/bin/env bash
# tests/cli/export.sh — a real CPU sweep, then everything that reads it back:
# `runs` (table and --json), `export` as CSV and JSON to stdout and files,
# and the raw tables (run provenance, samples, phases, loss curves).
#
#   bash tests/cli/export.sh /path/to/stepbench
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"

DB=$T/e.db

# --- 2.1: the sweep: 2 variants x 2 shapes x 2 layer counts = 8 points ----
sb sweep --db "$DB" --variants train.fp32.cpu,infer.fp32.cpu \
    --shapes tutorial,16x8x4 --layers 1,2 --steps 5 --label L --note N "${FAST[@]}"
expect_exit cli-2.1 0
expect_stderr_contains cli-2.1 "8 points measured: 8 ok"
RUN=$(run_uuid "$DB")
check_eq cli-2.1 "one run stored" 1 "$(sql "$DB" "SELECT count(*) FROM run")"
check_eq cli-2.1 "run status/planned" "ok|8" \
    "$(sql "$DB" "SELECT status, planned_points FROM run")"
P8=${RUN:0:8}

# --- 2.2: runs ------------------------------------------------------------
sb runs --db "$DB"
expect_exit cli-2.2 0
check_cmd cli-2.2 "runs lists $P8 as ok with 8/8 points, 'L — N'" \
    grep -E "^$P8 .* ok +8/8 .*L — N\$" "$T/out"
sb runs --json --db "$DB"
expect_exit cli-2.2b 0
check_cmd cli-2.2b "runs --json is a JSON array holding the run" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert isinstance(d, list) and len(d) == 1, d
r = d[0]
want = {"uuid": sys.argv[2], "status": "ok", "planned_points": 8,
        "done_points": 8, "ok_points": 8, "label": "L", "note": "N"}
bad = {k: (v, r.get(k)) for k, v in want.items() if r.get(k) != v}
assert not bad, bad
' "$T/out" "$RUN"

# --- 2.3: export as CSV to stdout -----------------------------------------
sb export "$P8" - --db "$DB"
expect_exit cli-2.3 0
cp "$T/out" run.csv
check_cmd cli-2.3 "CSV: header + 8 ok rows of this run, median_us > 0, err_y < 1e-5" \
    python3 -c '
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
assert len(rows) == 8, "rows: %d" % len(rows)
for c in ("run_uuid", "point_idx", "variant", "m", "n", "k", "layers",
          "status", "median_us", "err_y", "nsamples"):
    assert c in rows[0], "no column " + c
assert sorted(int(r["point_idx"]) for r in rows) == list(range(8))
pts = set()
for r in rows:
    assert r["run_uuid"] == sys.argv[2], r["run_uuid"]
    assert r["status"] == "ok", (r["point_idx"], r["status"], r["reason"])
    assert float(r["median_us"]) > 0, r["median_us"]
    assert float(r["err_y"]) < 1e-5, r["err_y"]
    assert int(r["nsamples"]) >= 2, r["nsamples"]
    pts.add((r["variant"], r["m"], r["n"], r["k"], r["layers"]))
want = {(v, m, n, k, l) for v in ("train.fp32.cpu", "infer.fp32.cpu")
        for (m, n, k) in (("10", "3", "5"), ("16", "8", "4")) for l in "12"}
assert pts == want, pts ^ want
' run.csv "$RUN"

# the same CSV by integer id, full UUID, a 4-character prefix, to a file
for ref in 1 "$RUN" "${RUN:0:4}"; do
	sb export "$ref" - --db "$DB"
	expect_exit "cli-2.3b[$ref]" 0
	check_eq "cli-2.3b[$ref]" "CSV by this reference" "$(cat run.csv)" "$OUT"
done
sb export "$P8" out.csv --db "$DB"
expect_exit cli-2.3c 0
check_eq cli-2.3c "out.csv equals the stdout CSV" "$(fsum run.csv)" "$(fsum out.csv)"

# --- 2.4: export as JSON ----------------------------------------------------
sb export "$P8" out.json --db "$DB"
expect_exit cli-2.4 0
expect_stdout_empty cli-2.4
check_cmd cli-2.4 "out.json is valid JSON" python3 -m json.tool out.json
check_cmd cli-2.4 "JSON: run fields, 8 results with samples, phases, loss curves" \
    python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
run, res = d["run"], d["results"]
assert run["uuid"] == sys.argv[2] and run["status"] == "ok", run
assert run["label"] == "L" and run["note"] == "N", run
assert run["argv"][1] == "sweep" and "--steps" in run["argv"], run["argv"]
assert len(res) == 8, len(res)
for r in res:
    s = r["samples"]
    assert isinstance(s, list) and len(s) == r["nsamples"] >= 2, (r["point_idx"], s)
    assert all(isinstance(x, (int, float)) and x > 0 for x in s), s
    assert isinstance(r["phases"], dict), r["phases"]
    lc = r["loss_curve"]
    if r["mode"] == "train":
        assert r["nsteps"] == 5 and len(lc) == 5, (r["point_idx"], lc)
        assert [p["step"] for p in lc] == list(range(5)), lc
        assert all(p["loss"] > 0 for p in lc), lc
        # SGD on a convex MSE at lr 1e-3 makes the loss go down
        assert lc[-1]["loss"] < lc[0]["loss"], lc
    else:
        assert r["nsteps"] == 0 and lc == [], (r["point_idx"], lc)
' out.json "$RUN"
sb export "$P8" - --format json --db "$DB"
expect_exit cli-2.4b 0
check_cmd cli-2.4b "--format json to stdout equals out.json" python3 -c '
import json, sys
assert json.loads(sys.stdin.read()) == json.load(open(sys.argv[1]))
' out.json <"$T/out"
# --format beats the file name's extension
sb export "$P8" forced.json --format csv --db "$DB"
expect_exit cli-2.4c 0
check_eq cli-2.4c "--format csv into a .json name" "$(fsum run.csv)" "$(fsum forced.json)"
# a file that cannot be written: exit 1, says so
sb export "$P8" "$T/no-such-dir/x.csv" --db "$DB"
expect_exit cli-2.4d 1
expect_stderr_contains cli-2.4d "cannot write '$T/no-such-dir/x.csv'"

# --- 2.5: what the database itself holds ------------------------------------
check_eq cli-2.5 "label|note" "L|N" "$(sql "$DB" "SELECT label, note FROM run")"
check_cmd cli-2.5 "argv is exactly the command line" python3 -c '
import json, sys
got = json.loads(sys.argv[1])
assert got == sys.argv[2:], (got, sys.argv[2:])
' "$(sql "$DB" "SELECT argv FROM run WHERE id = 1")" "$SB" sweep --db "$DB" \
    --variants train.fp32.cpu,infer.fp32.cpu --shapes tutorial,16x8x4 \
    --layers 1,2 --steps 5 --label L --note N "${FAST[@]}"
check_ne cli-2.5 "git_rev is stored" "" "$(sql "$DB" "SELECT coalesce(git_rev, '') FROM run")"
check_eq cli-2.5 "host is this host" "$(uname -n)" "$(sql "$DB" "SELECT host FROM run")"
check_ne cli-2.5 "device is stored" "" "$(sql "$DB" "SELECT coalesce(device, '') FROM run")"
check_eq cli-2.5 "environment is a JSON object" object \
    "$(sql "$DB" "SELECT json_type(e.json) FROM run JOIN environment e ON e.id = run.env_id")"
check_eq cli-2.5 "started_at <= ended_at, both set" 1 \
    "$(sql "$DB" "SELECT started_at <= ended_at AND ended_at <> '' FROM run")"
check_eq cli-2.5 "results whose raw sample count differs from nsamples" "" \
    "$(sql "$DB" "SELECT r.point_idx || ': ' || r.nsamples || ' vs ' || count(s.idx)
        FROM result r LEFT JOIN sample s ON s.result_id = r.id
        GROUP BY r.id HAVING count(s.idx) <> r.nsamples")"
check_eq cli-2.5 "sample idx runs 0..nsamples-1" "" \
    "$(sql "$DB" "SELECT r.id FROM result r JOIN sample s ON s.result_id = r.id
        GROUP BY r.id HAVING min(s.idx) <> 0 OR max(s.idx) <> r.nsamples - 1")"
check_eq cli-2.5 "loss_curve rows per train point" "5 5 5 5" \
    "$(sql "$DB" "SELECT count(l.step) FROM result r LEFT JOIN loss_curve l ON l.result_id = r.id
        WHERE r.mode = 'train' GROUP BY r.id ORDER BY r.id" | tr '\n' ' ' | sed 's/ $//')"
check_eq cli-2.5 "loss_curve rows of infer points" 0 \
    "$(sql "$DB" "SELECT count(*) FROM loss_curve l JOIN result r ON r.id = l.result_id WHERE r.mode = 'infer'")"
check_eq cli-2.5 "median within [min, max]" 0 \
    "$(sql "$DB" "SELECT count(*) FROM result WHERE NOT (min_us <= median_us AND median_us <= max_us)")"

# --- 2.6: phases: stored per sample when one step fills a sample (reps = 1;
# tiny CPU steps are batched, reps > 1, and then no phase split exists) ----
sb sweep --db "$DB" --variants train.fp32.cpu,infer.fp32.cpu --shapes 128x128x128 "${FAST[@]}"
expect_exit cli-2.6 0
check_eq cli-2.6 "128^3 points are one step per sample" "1 1" \
    "$(sql "$DB" "SELECT reps FROM result WHERE m = 128 ORDER BY id" | tr '\n' ' ' | sed 's/ $//')"
check_eq cli-2.6 "points with reps = 1 but no phases" "" \
    "$(sql "$DB" "SELECT r.variant FROM result r WHERE r.reps = 1 AND NOT EXISTS
        (SELECT 1 FROM phase p WHERE p.result_id = r.id)")"
check_eq cli-2.6 "points with reps > 1 but phases" "" \
    "$(sql "$DB" "SELECT r.variant FROM result r WHERE r.reps > 1 AND EXISTS
        (SELECT 1 FROM phase p WHERE p.result_id = r.id)")"
check_eq cli-2.6 "phase medians outside (0, max_us]" 0 \
    "$(sql "$DB" "SELECT count(*) FROM phase p JOIN result r ON r.id = p.result_id
        WHERE NOT (p.median_us > 0 AND p.median_us <= r.max_us * 1.0001)")"
sb export "$(run_uuid "$DB")" - --format json --db "$DB"
check_cmd cli-2.6 "JSON phases of the 128^3 train point include forward" python3 -c '
import json, sys
res = json.loads(sys.stdin.read())["results"]
t = [r for r in res if r["mode"] == "train"][0]
assert "forward" in t["phases"] and len(t["phases"]) >= 3, t["phases"]
' <"$T/out"

# --- 2.7: `run` stores a run of one point --------------------------------------
sb run train.fp32.cpu --shape 7x5x3 --db "$DB" --label 'a,b "c"' --note 'ünï' "${FAST[@]}"
expect_exit cli-2.7 0
R1=$(run_uuid "$DB")
check_eq cli-2.7 "run: planned|stored|status|argv[1]" "1|1|ok|run" \
    "$(sql "$DB" "SELECT planned_points, (SELECT count(*) FROM result WHERE run_id = run.id),
        status, json_extract(argv, '\$[1]') FROM run WHERE uuid = '$R1'")"
check_eq cli-2.7 "its point" "0|train.fp32.cpu|7|5|3|1|ok" \
    "$(sql "$DB" "SELECT point_idx, variant, m, n, k, layers, status FROM result
        WHERE run_id = (SELECT id FROM run WHERE uuid = '$R1')")"
sb export "${R1:0:8}" - --format json --db "$DB"
check_cmd cli-2.7 "label/note with comma, quotes, UTF-8 survive JSON" python3 -c '
import json, sys
run = json.loads(sys.stdin.read())["run"]
assert run["label"] == "a,b \"c\"" and run["note"] == "ünï", run
' <"$T/out"
sb runs --db "$DB"
check_eq cli-2.7 "runs lists 3 runs, newest first" "${R1:0:8}" \
    "$(sed -n 2p "$T/out" | cut -c1-8)"
check_eq cli-2.7 "first run's CSV unchanged by later runs" "$(fsum run.csv)" \
    "$("$SB" export "$P8" - --db "$DB" 2>/dev/null | cksum | tr -d ' ')"

# --- 2.8: an ambiguous UUID prefix names no run ---------------------------------
cp "$DB" amb.db
sql amb.db "UPDATE run SET uuid = 'abcd' || substr(uuid, 5) WHERE id IN (1, 2)"
sb export abcd - --db amb.db
expect_exit cli-2.8 2
expect_stderr_contains cli-2.8 "run prefix 'abcd' matches 2 runs"
expect_stdout_empty cli-2.8

summary cli_export
