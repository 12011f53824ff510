#!/usr/bin/env bash
# tests/cli/import.sh — `stepbench import OTHER.db` copies runs made
# elsewhere into this database, keyed by UUID: idempotent, complete (rows,
# samples, phases, loss curves), and refusing bad sources without changing
# anything.
#
#   bash tests/cli/import.sh /path/to/stepbench
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"

FAST=(--timeout 0.05 --min-samples 2 --max-samples 5 --warmup 0)
A=$T/a.db
B=$T/b.db

# two "machines": a has one run, b has two
sb sweep --db "$A" --variants train.fp32.cpu --shapes tutorial "${FAST[@]}" --label on-a
expect_exit cli-5.0 0
sb sweep --db "$B" --variants '*.cpu' --shapes tutorial,16x8x4 --steps 4 "${FAST[@]}" --label b-first
expect_exit cli-5.0 0
sb sweep --db "$B" --variants infer.fp32.cpu --shapes 64x64x64 "${FAST[@]}" --label b-second
expect_exit cli-5.0 0

# --- 5.1: import copies both runs, whole -------------------------------------
sb import --db "$A" "$B"
expect_exit cli-5.1 0
expect_stdout_contains cli-5.1 "imported 2 runs"
check_eq cli-5.1 "runs in a" 3 "$(sql "$A" "SELECT count(*) FROM run")"
for t in result sample phase loss_curve; do
	check_eq cli-5.1 "$t rows of b's runs, in a and in b" \
	    "$(sql "$B" "SELECT count(*) FROM $t")" \
	    "$(sql "$A" "SELECT count(*) FROM $t t2 WHERE $( [ "$t" = result ] &&
	        echo "t2.run_id IN (SELECT id FROM run WHERE label LIKE 'b-%')" ||
	        echo "t2.result_id IN (SELECT r.id FROM result r JOIN run ON
	            run.id = r.run_id WHERE run.label LIKE 'b-%')")")"
done
U=$(sql "$B" "SELECT uuid FROM run WHERE label = 'b-first'")
sb export "${U:0:8}" --db "$B" "$T/from-b.json"
sb export "${U:0:8}" --db "$A" "$T/in-a.json"
check_cmd cli-5.1 "the imported run exports the same results (ids aside)" \
    python3 -c '
import json, sys
def strip(path):
    d = json.load(open(path))
    for r in d["results"]:
        r.pop("id", None); r.pop("run_id", None)
    d["run"].pop("id", None)
    return d
a, b = strip(sys.argv[1]), strip(sys.argv[2])
assert a["results"] == b["results"], "results differ"
assert a["run"]["uuid"] == b["run"]["uuid"]
' "$T/from-b.json" "$T/in-a.json"

# --- 5.2: importing again changes nothing --------------------------------------
BEFORE=$(sql "$A" "SELECT count(*) FROM run; SELECT count(*) FROM sample")
sb import --db "$A" "$B"
expect_exit cli-5.2 0
expect_stdout_contains cli-5.2 "imported 0 runs"
expect_stdout_contains cli-5.2 "2 already present"
check_eq cli-5.2 "counts after a second import" "$BEFORE" \
    "$(sql "$A" "SELECT count(*) FROM run; SELECT count(*) FROM sample")"

# --- 5.3: bad sources: exit 2, named, nothing changed -------------------------------
echo "not a database" >"$T/text.db"
sql "$T/foreign.db" "CREATE TABLE t(x)" >/dev/null
STATE=$(db_state "$A")
for bad in "$T/missing.db" "$T/text.db" "$T/foreign.db" "$A"; do
	SRC_BEFORE=$(fsum "$bad")
	sb import --db "$A" "$bad"
	expect_exit "cli-5.3[$(basename "$bad")]" 2
	expect_stderr_contains "cli-5.3[$(basename "$bad")]" "$bad"
	check_eq "cli-5.3[$(basename "$bad")]" "target unchanged" "$STATE" "$(db_state "$A")"
	check_eq "cli-5.3[$(basename "$bad")]" "source unchanged" "$SRC_BEFORE" "$(fsum "$bad")"
done
sb import --db "$A"
expect_exit cli-5.3b 2
expect_stderr_contains cli-5.3b "Try 'stepbench import --help'"

# --- 5.4: into a new file: created, then holds b's runs ----------------------------
sb import --db "$T/new.db" "$B"
expect_exit cli-5.4 0
check_eq cli-5.4 "runs in the new file" 2 "$(sql "$T/new.db" "SELECT count(*) FROM run")"

summary cli_import
