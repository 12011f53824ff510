#!/usr/bin/env bash
# tests/cli/profile.sh — `stepbench profile ncu|nsys -- SWEEP-ARGS` end to
# end without a GPU: the tools are tests/cli/fake-ncu and fake-nsys, which
# run the real sweep (CPU variants, two points) and hand back a fixture
# (ncu: tests/fixtures/ncu_raw.csv, markers of points 0 and 1; nsys: a small
# SQLite export).  Checked: the printed command (and that it reruns), the
# report next to the database, the profile rows linked to the run's
# results by point, the measuring options added or left alone, and the
# error cases (bad usage before and after '--', a missing tool, a sweep
# or a tool that fails: its status passed on, the sweep's rows kept).
#
#   bash tests/cli/profile.sh /path/to/stepbench
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/cli/lib.sh
. "$HERE/lib.sh"

NCU=$HERE/fake-ncu
NSYS=$HERE/fake-nsys
FIX=$HERE/../fixtures
export FAKE_NCU_LOG=$T/ncu.log FAKE_NSYS_LOG=$T/nsys.log
# the run file and other temporaries go here (checked empty after)
export TMPDIR=$T/tmp
mkdir -p "$TMPDIR"
SWEEP=(--variants 'train.fp32.cp*' --shapes tutorial,16x8x4 --timeout 0.2)

# --- prof-1: ncu: command, report, rows linked to points -------------------
mkdir -p "$T/d1"
D=$T/d1/r.db
sb profile ncu --ncu "$NCU" -- --db "$D" "${SWEEP[@]}"
expect_exit prof-1.1 0
CMDLINE=$(sed -n 's/^running: //p' "$T/out" | head -1)
check_eq prof-1.2 "the printed command" \
    "STEPBENCH_PROFILE=ncu $NCU --clock-control none --profile-from-start off -f -o $T/d1/profiles/" \
    "${CMDLINE%%profiles/*}profiles/"
case "$CMDLINE" in
*" sweep --db $D --variants 'train.fp32.cp*' --shapes tutorial,16x8x4 --timeout 0.2 --warmup 1 --min-samples 1 --max-samples 1") pass ;;
*) fail prof-1.2 "the sweep's arguments, quoted, then the measuring options (got $(show "$CMDLINE"))" ;;
esac
expect_stdout_contains prof-1.3 "running: $NCU --import $T/d1/profiles/"
expect_stdout_contains prof-1.3 "--page raw --csv --print-units base > $T/d1/profiles/"
REP=$(ls "$T"/d1/profiles/*.ncu-rep 2>/dev/null)
check_eq prof-1.4 "one report next to the database" 1 "$(printf '%s' "$REP" | grep -c .)"
check_cmd prof-1.4 "the CSV beside it" test -s "${REP%.ncu-rep}.ncu.csv"
expect_stdout_contains prof-1.5 "imported 11 metrics of 3 kernels (2 points) from $REP"
U=$(run_uuid "$D")
check_eq prof-1.6 "the session: tool, report, command, version, run" \
    "ncu|$REP|$CMDLINE|Version 2025.3.1.0 (fake for tests)|$U" \
    "$(sql "$D" "SELECT s.tool, s.report, s.command, s.tool_version, run.uuid
        FROM profile_session s JOIN run ON run.id = s.run_id")"
check_eq prof-1.7 "11 rows, each linked to a result of the run" "11|11" \
    "$(sql "$D" "SELECT count(*), count(r.id) FROM profile p
        LEFT JOIN result r ON r.id = p.result_id AND
        r.run_id = (SELECT run_id FROM profile_session)")"
check_eq prof-1.8 "the points of the rows" "0|8
1|3" "$(sql "$D" "SELECT r.point_idx, count(*) FROM profile p
        JOIN result r ON r.id = p.result_id GROUP BY 1 ORDER BY 1")"
check_eq prof-1.9 "a value with thousands separators, its unit, its launch" \
    "0|1|12345.5|nsecond" \
    "$(sql "$D" "SELECT r.point_idx, p.launch, p.value, p.unit FROM profile p
        JOIN result r ON r.id = p.result_id
        WHERE p.metric = 'gpu__time_duration.sum' AND
        p.kernel LIKE 'void gemm_f32_warptile<%\"nt\")'")"
check_eq prof-1.10 "n/a kept as text, its value NULL" "1|n/a" \
    "$(sql "$D" "SELECT value IS NULL, text FROM profile WHERE text IS NOT NULL")"
check_eq prof-1.11 "no marker rows" 0 \
    "$(sql "$D" "SELECT count(*) FROM profile WHERE kernel LIKE 'sb_profile_marker%'")"
check_eq prof-1.12 "the run stored the sweep as the tool ran it" \
    '["'"$SB"'","sweep","--db","'"$D"'","--variants","train.fp32.cp*","--shapes","tutorial,16x8x4","--timeout","0.2","--warmup","1","--min-samples","1","--max-samples","1"]' \
    "$(sql "$D" "SELECT argv FROM run")"
check_eq prof-1.13 "the sweep itself stored its 2 points" 2 \
    "$(sql "$D" "SELECT count(*) FROM result WHERE status = 'ok'")"
check_eq prof-1.14 "the run file is gone from \$TMPDIR" "" "$(ls "$TMPDIR")"

# The printed command reruns by hand (through a shell: its quoting).
(cd "$T" && eval "$CMDLINE") >"$T/rerun.out" 2>&1
RERUN=$?
check_eq prof-1.15 "the printed command reruns: a second run" "0 2" \
    "$RERUN $(sql "$D" "SELECT count(*) FROM run")"

# --- prof-2: measuring options given are left alone -------------------------
: >"$FAKE_NCU_LOG"
sb profile ncu --ncu "$NCU" --set full --metrics a__b.sum,c__d.max -- \
    --db "$D" "${SWEEP[@]}" --warmup 0 --min-samples 2 --max-samples 3
expect_exit prof-2.1 0
check_eq prof-2.2 "--set and --metrics reach ncu, the sweep's options stay" \
    "--set full --metrics a__b.sum,c__d.max -f -o|--warmup 0 --min-samples 2 --max-samples 3" \
    "$(tr '\n' ' ' <"$FAKE_NCU_LOG" | python3 -c '
import sys
a = sys.stdin.read().split(" -- ")[1].split()
i = a.index("--set")
print(" ".join(a[i:i + 6]) + "|" + " ".join(a[-6:]))')"
check_eq prof-2.3 "two sessions, each of its own run" "2|2" \
    "$(sql "$D" "SELECT count(*), count(DISTINCT run_id) FROM profile_session")"

# --- prof-3: nsys: the export's kernels by NVTX range or marker ---------------
mkdir -p "$T/d3"
D3=$T/d3/r.db
sb profile nsys --nsys "$NSYS" -- --db "$D3" "${SWEEP[@]}"
expect_exit prof-3.1 0
expect_stdout_contains prof-3.2 "running: STEPBENCH_PROFILE=nsys $NSYS profile -t cuda,nvtx,cublas --capture-range=cudaProfilerApi --capture-range-end=none -f true -o $T/d3/profiles/"
expect_stdout_contains prof-3.2 " sweep --db $D3 --variants 'train.fp32.cp*' --shapes tutorial,16x8x4 --timeout 0.2"
expect_stdout_contains prof-3.3 "export --type sqlite -f true -o $T/d3/profiles/"
REP3=$(ls "$T"/d3/profiles/*.nsys-rep 2>/dev/null)
expect_stdout_contains prof-3.4 "imported 18 metrics of 3 kernels (2 points) from $REP3"
expect_stdout_contains prof-3.4 "left out 1 kernel of the points' setup, checks and warm-up"
check_eq prof-3.5 "kernel, point, phase, duration" \
    "gemm_f32_warptile<128, 64>(sb_gemm_params, int)|0|forward|1.0
sgd_kernel(float *, const float *, float, long)|1||2.0
loss_kernel|1||0.5" \
    "$(sql "$D3" "SELECT replace(p.kernel, 'void ', ''), r.point_idx,
        coalesce(p.phase, ''), printf('%.1f', p.value) FROM profile p
        JOIN result r ON r.id = p.result_id WHERE p.metric = 'duration' AND
        p.unit = 'usecond' ORDER BY p.launch, p.idx")"
check_eq prof-3.6 "grid as text, registers as a number" "(16, 8, 1)|128.0" \
    "$(sql "$D3" "SELECT g.text, printf('%.1f', r.value) FROM profile g
        JOIN profile r ON r.launch = g.launch AND
        r.metric = 'registers_per_thread' WHERE g.metric = 'grid' AND
        g.kernel LIKE '%gemm_f32_warptile%'")"
check_eq prof-3.7 "the session" "nsys|NVIDIA Nsight Systems version 2025.3.2.474-253236389321v0 (fake for tests)" \
    "$(sql "$D3" "SELECT tool, tool_version FROM profile_session")"
check_cmd prof-3.8 "the export beside the report" test -s "${REP3%.nsys-rep}.sqlite"

# --- prof-4: bad usage: exit 2, no tool run, nothing written ----------------
: >"$FAKE_NCU_LOG"
mkdir -p "$T/d4"
D4=$T/d4/r.db
for c in "gdb -- --db $D4|'gdb' is not a tool|ncu (Nsight Compute" \
    "|which tool? give ncu or nsys" \
    "ncu --ncu $NCU --db $D4|there is no '--'" \
    "ncu --bogus -- --db $D4|unknown option '--bogus'" \
    "ncu stray -- --db $D4|unexpected argument 'stray' before '--'" \
    "nsys --set full -- --db $D4|--set belongs to 'stepbench profile ncu'" \
    "ncu --nsys $NSYS -- --db $D4|--nsys names the nsys binary" \
    "ncu --ncu $NCU -- --db $D4 --shapes 4096x|stepbench sweep: --shapes" \
    "ncu --ncu $NCU -- --db $D4 --variants nosuch.variant|stepbench sweep:" \
    "ncu --ncu $NCU -- --db $D4 --warmup -1|stepbench sweep: --warmup" \
    "ncu --ncu $NCU -- --db $D4 --bogus|stepbench sweep: unknown option '--bogus'" \
    "ncu --ncu $T/no-such-ncu -- --db $D4|--ncu $T/no-such-ncu: No such file"; do
	IFS='|' read -r args want1 want2 <<<"$c"
	# shellcheck disable=SC2086  # the cases are word lists
	sb profile $args
	expect_exit "prof-4[$args]" 2
	expect_stderr_contains "prof-4[$args]" "$want1"
	[ -n "$want2" ] && expect_stderr_contains "prof-4[$args]" "$want2"
done
check_eq prof-4.1 "no tool ran" "" "$(cat "$FAKE_NCU_LOG")"
expect_no_db prof-4.2 "$D4"
check_cmd prof-4.3 "no profiles directory" test ! -e "$T/d4/profiles"
sb profile ncu --help
expect_exit prof-4.4 0
expect_stdout_contains prof-4.4 "stepbench profile ncu -- --variants"
sb profile ncu -- --help
expect_exit prof-4.5 0
expect_stdout_contains prof-4.5 "usage: stepbench sweep"

# a tool that is nowhere: named, with the option that gives its path
if ! PATH=/usr/bin:/bin command -v nsys >/dev/null &&
    [ ! -x /usr/local/cuda/bin/nsys ] &&
    ! ls /opt/nvidia/nsight-systems/*/bin/nsys >/dev/null 2>&1; then
	PATH=/usr/bin:/bin sb profile nsys -- --db "$D4"
	expect_exit prof-4.6 1
	expect_stderr_contains prof-4.6 "nsys not found"
	expect_stderr_contains prof-4.6 "--nsys PATH"
fi

# --- prof-5: failures after the start: said, status passed on ---------------
# the sweep fails (a database it cannot open): its status, no run
echo "not a database" >"$T/d4/text.db"
sb profile ncu --ncu "$NCU" -- --db "$T/d4/text.db" "${SWEEP[@]}"
expect_exit prof-5.1 2
expect_stderr_contains prof-5.1 "ncu exited with status 2 and the sweep started no run"
# the tool writes no report: which file is missing, the rows kept
mkdir -p "$T/d5"
D5=$T/d5/r.db
FAKE_NCU_NO_REPORT=1 sb profile ncu --ncu "$NCU" -- --db "$D5" "${SWEEP[@]}"
expect_exit prof-5.2 1
expect_stderr_contains prof-5.2 "ncu exited with status 0 and wrote no report $T/d5/profiles/"
expect_stderr_contains prof-5.2 "CPU variants launch none"
check_eq prof-5.2 "the sweep's rows stay, no session" "2|0" \
    "$(sql "$D5" "SELECT (SELECT count(*) FROM result), (SELECT count(*) FROM profile_session)")"
# ncu --import fails
FAKE_NCU_IMPORT_FAIL=1 sb profile ncu --ncu "$NCU" -- --db "$D5" "${SWEEP[@]}"
expect_exit prof-5.3 1
expect_stderr_contains prof-5.3 "--page raw --csv --print-units base > $T/d5/profiles/"
expect_stderr_contains prof-5.3 "exited with status 3"
# a CSV that is not ncu's: the parser's reason, the file named
echo "==PROF== No kernels were profiled." >"$T/empty.csv"
FAKE_NCU_CSV=$T/empty.csv sb profile ncu --ncu "$NCU" -- --db "$D5" "${SWEEP[@]}"
expect_exit prof-5.4 1
expect_stderr_contains prof-5.4 ".ncu.csv: no header line"
# nsys makes a .qdstrm but no report (seen on GPU VMs)
FAKE_NSYS_QDSTRM=1 sb profile nsys --nsys "$NSYS" -- --db "$D5" "${SWEEP[@]}"
expect_exit prof-5.5 1
expect_stderr_contains prof-5.5 ".qdstrm but no report $T/d5/profiles/"
check_eq prof-5.6 "every sweep's rows stay; still no session" "8|0" \
    "$(sql "$D5" "SELECT (SELECT count(*) FROM result), (SELECT count(*) FROM profile_session)")"
# --out: a new directory tree for the report
sb profile ncu --ncu "$NCU" --out "$T/o/p/q" -- --db "$D5" "${SWEEP[@]}"
expect_exit prof-5.7 0
check_cmd prof-5.7 "the report under --out" test -n "$(ls "$T"/o/p/q/*.ncu-rep 2>/dev/null)"

# ncu's per-device cells (device__attribute_*, ...) repeat for every kernel:
# left out by default, kept with --all-metrics
mkdir -p "$T/d6"
D6=$T/d6/r.db
FAKE_NCU_CSV=$FIX/ncu_raw_device.csv sb profile ncu --ncu "$NCU" -- --db "$D6" "${SWEEP[@]}"
expect_exit prof-6.1 0
expect_stdout_contains prof-6.1 "imported 11 metrics of 3 kernels (2 points)"
expect_stdout_contains prof-6.1 "left out 3 per-device cells"
FAKE_NCU_CSV=$FIX/ncu_raw_device.csv sb profile ncu --ncu "$NCU" --all-metrics -- --db "$D6" "${SWEEP[@]}"
expect_exit prof-6.2 0
expect_stdout_contains prof-6.2 "imported 14 metrics of 3 kernels (2 points)"
check_eq prof-6.3 "the kept cells" 3 \
    "$(sql "$D6" "SELECT count(*) FROM profile WHERE metric = 'device__attribute_clock_rate' AND value = 1980000")"
sb profile nsys --nsys "$NSYS" --all-metrics -- --db "$D6" "${SWEEP[@]}"
expect_exit prof-6.4 2
expect_stderr_contains prof-6.4 "--all-metrics belongs to 'stepbench profile ncu'"

summary cli_profile
