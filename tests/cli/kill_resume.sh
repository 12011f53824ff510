#!/usr/bin/env bash
# tests/cli/kill_resume.sh — a sweep killed with SIGKILL or interrupted with
# SIGINT keeps every finished point, is marked 'aborted' by the next command,
# and `sweep --resume` measures exactly the missing points; a run that is
# still running cannot be resumed.
#
#   bash tests/cli/kill_resume.sh /path/to/stepbench
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"

# 2 variants x 32 shapes = 64 points of a few tens of milliseconds each
# shellcheck disable=SC2054  # the commas belong to the option values
SWEEP=(--variants train.fp32.cpu,infer.fp32.cpu --shapes 8:256:+8
    --timeout 0.05 --min-samples 2 --max-samples 50 --warmup 0)
PLANNED=64

# results DB RUN_ID: one line per stored result (the fields a resume must
# not touch), ordered by point.
results() {
	sql "$1" "SELECT point_idx, id, variant, m, median_us, nsamples, started_at
	    FROM result WHERE run_id = ${2:-1} ORDER BY point_idx"
}

# --- 3.1: SIGKILL mid-sweep ----------------------------------------------------
DB=$T/k.db
start_bg sweep --db "$DB" "${SWEEP[@]}"
PID=$BG
if ! wait_rows "$DB" 3; then
	fail cli-3.1 "the background sweep stored no 3 results in 10 s (stderr $(show "$(cat "$T/bg.err")"))"
	summary cli_kill_resume
fi
kill -9 "$PID"
reap "$PID"
check_eq cli-3.1 "killed sweep's exit status" 137 "$BG_RC"
check_eq cli-3.1 "integrity_check" ok "$(sql "$DB" "PRAGMA integrity_check")"
check_eq cli-3.1 "run row in the raw file after SIGKILL" "running|$PID|$PLANNED" \
    "$(sql "$DB" "SELECT status, pid, planned_points FROM run")"
N=$(sql "$DB" "SELECT count(*) FROM result")
check_cmd cli-3.1 "3 <= stored points ($N) < $PLANNED" test "$N" -ge 3 -a "$N" -lt "$PLANNED"
check_eq cli-3.1 "stored points are a prefix 0..N-1 of the plan" "0|$((N - 1))|$N" \
    "$(sql "$DB" "SELECT min(point_idx), max(point_idx), count(DISTINCT point_idx) FROM result")"
check_eq cli-3.1 "results whose samples are not all stored" "" \
    "$(sql "$DB" "SELECT r.point_idx FROM result r LEFT JOIN sample s ON s.result_id = r.id
        GROUP BY r.id HAVING count(s.idx) <> r.nsamples")"
BEFORE=$(results "$DB")
RUN=$(run_uuid "$DB")

# --- 3.2: the next command marks it aborted ------------------------------------
sb runs --db "$DB"
expect_exit cli-3.2 0
expect_stderr_contains cli-3.2 "marked 1 run 'aborted'"
check_cmd cli-3.2 "runs shows it aborted with $N/$PLANNED points" \
    grep -qE "^${RUN:0:8} .* aborted +$N/$PLANNED " "$T/out"
check_eq cli-3.2 "status in the file" aborted "$(sql "$DB" "SELECT status FROM run")"
sb runs --db "$DB"
check_eq cli-3.2 "a second command marks nothing" "" "$ERR"
sb export "${RUN:0:8}" - --db "$DB"
expect_exit cli-3.2b 0
check_eq cli-3.2b "export of the aborted run: header + $N rows" $((N + 1)) \
    "$(python3 -c 'import csv,sys; print(len(list(csv.reader(sys.stdin))))' <"$T/out")"

# --- 3.3: resume measures exactly the missing points ------------------------------
sb sweep --resume "${RUN:0:8}" --db "$DB"
expect_exit cli-3.3 0
expect_stderr_contains cli-3.3 "resuming run $RUN: $N of $PLANNED points done"
expect_stderr_contains cli-3.3 "$((PLANNED - N)) points measured: $((PLANNED - N)) ok"
check_eq cli-3.3 "run after resume: status|stored|distinct points|min|max" \
    "ok|$PLANNED|$PLANNED|0|$((PLANNED - 1))" \
    "$(sql "$DB" "SELECT run.status, count(r.id), count(DISTINCT r.point_idx), min(r.point_idx),
        max(r.point_idx) FROM run JOIN result r ON r.run_id = run.id")"
check_eq cli-3.3 "still one run" 1 "$(sql "$DB" "SELECT count(*) FROM run")"
check_eq cli-3.3 "earlier rows untouched" "$BEFORE" "$(results "$DB" | head -n "$N")"
check_eq cli-3.3 "resume runs under a new pid" 1 \
    "$(sql "$DB" "SELECT pid <> $PID FROM run")"
check_eq cli-3.3 "resumed points are the plan's (variant, shape) order" \
    "train.fp32.cpu|8|infer.fp32.cpu|256" \
    "$(sql "$DB" "SELECT (SELECT variant || '|' || m FROM result WHERE point_idx = 0) || '|' ||
        (SELECT variant || '|' || m FROM result WHERE point_idx = $((PLANNED - 1)))")"
check_eq cli-3.3 "sample counts of resumed rows" "" \
    "$(sql "$DB" "SELECT r.point_idx FROM result r LEFT JOIN sample s ON s.result_id = r.id
        GROUP BY r.id HAVING count(s.idx) <> r.nsamples")"

# --- 3.4: resuming a finished run does nothing ------------------------------------
ALL=$(results "$DB")
sb sweep --resume "$RUN" --db "$DB"
expect_exit cli-3.4 0
expect_stderr_contains cli-3.4 "0 points measured"
check_eq cli-3.4 "status" ok "$(sql "$DB" "SELECT status FROM run")"
check_eq cli-3.4 "results unchanged" "$ALL" "$(results "$DB")"

# --- 3.5: SIGINT: exit 130, aborted, and resume completes it ------------------------
DB=$T/i.db
start_bg sweep --db "$DB" "${SWEEP[@]}"
PID=$BG
if wait_rows "$DB" 2; then
	kill -INT "$PID"
	reap "$PID"
	check_eq cli-3.5 "interrupted sweep's exit status" 130 "$BG_RC"
	check_cmd cli-3.5 "it says it is interrupted and how to resume" \
	    grep -q "interrupted; run .* is marked aborted; 'stepbench sweep --resume" "$T/bg.err"
	check_eq cli-3.5 "status in the file" aborted "$(sql "$DB" "SELECT status FROM run")"
	N=$(sql "$DB" "SELECT count(*) FROM result")
	check_cmd cli-3.5 "2 <= stored points ($N) < $PLANNED" test "$N" -ge 2 -a "$N" -lt "$PLANNED"
	BEFORE=$(results "$DB")
	sb runs --db "$DB"
	check_eq cli-3.5 "an orderly abort needs no marking" "" "$ERR"
	RUN=$(run_uuid "$DB")
	sb sweep --resume "${RUN:0:8}" --db "$DB"
	expect_exit cli-3.5b 0
	expect_stderr_contains cli-3.5b "$((PLANNED - N)) points measured"
	check_eq cli-3.5b "status|stored|distinct" "ok|$PLANNED|$PLANNED" \
	    "$(sql "$DB" "SELECT run.status, count(r.id), count(DISTINCT r.point_idx)
	        FROM run JOIN result r ON r.run_id = run.id")"
	check_eq cli-3.5b "earlier rows untouched" "$BEFORE" "$(results "$DB" | head -n "$N")"
else
	fail cli-3.5 "the background sweep stored no 2 results in 10 s"
fi

# --- 3.6: a run that is still running cannot be resumed -------------------------------
DB=$T/r.db
start_bg sweep --db "$DB" "${SWEEP[@]}"
PID=$BG
if wait_rows "$DB" 1; then
	RUN=$(run_uuid "$DB")
	sb sweep --resume "${RUN:0:8}" --db "$DB"
	expect_exit cli-3.6 2
	expect_stderr_contains cli-3.6 "run $RUN is still running (pid $PID"
	expect_stdout_empty cli-3.6
	check_eq cli-3.6 "the live run keeps its status and pid" "running|$PID" \
	    "$(sql "$DB" "SELECT status, pid FROM run")"
	sb runs --db "$DB"
	check_eq cli-3.6 "runs does not mark a live run aborted" "" "$ERR"
	check_cmd cli-3.6 "runs shows it running" grep -q "^${RUN:0:8} .* running " "$T/out"
	kill -0 "$PID" 2>/dev/null
	check_eq cli-3.6 "the sweep was still alive throughout" 0 $?
else
	fail cli-3.6 "the background sweep stored no result in 10 s"
fi
kill -9 "$PID" 2>/dev/null
reap "$PID"

# --- 3.7: a stored failed point keeps the run 'failed' through a resume -------------
# CPU variants do not fail on demand, so the state is made by hand: a sweep
# whose point 0 failed and which was killed before point 2.  Resuming it
# measures point 2, but the run as a whole still holds a failed point, so
# it must end 'failed' with exit 1, as the uninterrupted sweep would have.
DB=$T/f.db
sb sweep --db "$DB" --variants train.fp32.cpu --shapes 4x4x4,5x5x5,6x6x6 "${FAST[@]}"
expect_exit cli-3.7 0
sql "$DB" "PRAGMA foreign_keys = ON;
    UPDATE result SET status = 'failed', reason = 'simulated failure' WHERE point_idx = 0;
    DELETE FROM result WHERE point_idx = 2;
    UPDATE run SET status = 'aborted'"
sb sweep --resume 1 --db "$DB"
expect_exit cli-3.7 1
check_eq cli-3.7 "run status after resuming a run with a failed point" failed \
    "$(sql "$DB" "SELECT status FROM run")"
check_eq cli-3.7 "points stored" 3 "$(sql "$DB" "SELECT count(*) FROM result")"
# and resuming a finished 'failed' run must not turn it 'ok'
sql "$DB" "UPDATE run SET status = 'failed'"
sb sweep --resume 1 --db "$DB"
expect_stderr_contains cli-3.7b "0 points measured"
check_eq cli-3.7b "a failed run stays failed through a no-op resume" failed \
    "$(sql "$DB" "SELECT status FROM run")"

summary cli_kill_resume
