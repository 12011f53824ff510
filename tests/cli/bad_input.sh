#!/usr/bin/env bash
# tests/cli/bad_input.sh — every bad input is refused with exit 2 and a
# message that names the bad value and what is valid, and writes nothing:
# a --db that did not exist is not created, one that existed keeps its bytes
# (and those of its -wal file), and its runs are unchanged.
#
#   bash tests/cli/bad_input.sh /path/to/stepbench
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"

# --- fixtures -----------------------------------------------------------
# clean.db: a finished sweep, closed normally (no -wal left).
"$SB" sweep --db clean.db --variants train.fp32.cpu --shapes tutorial \
    "${FAST[@]}" >/dev/null 2>&1 || { echo "cannot make clean.db"; exit 1; }
# wal.db: a sweep killed with SIGKILL after its first point, so that it
# keeps a -wal file (and a 'running' run whose process is gone).  Only
# errors found before the database is opened are tried on it: any command
# that opens it may rightly mark that run 'aborted'.
start_bg sweep --db wal.db --variants train.fp32.cpu,infer.fp32.cpu \
    --shapes 8:256:+8 --timeout 0.05 --min-samples 2 --warmup 0
wait_rows wal.db 1 || echo "note: wal.db got no result row in time"
kill -9 "$BG" && reap "$BG"
[ -e wal.db-wal ] || echo "note: wal.db has no -wal file; its WAL cases test the main file only"

CLEAN0=$(sql_snap clean.db "SELECT count(*), (SELECT count(*) FROM result) FROM run")
WAL0=$(sql_snap wal.db "SELECT count(*), (SELECT count(*) FROM result) FROM run")

# bad ID FLAGS NEEDLE... -- ARGS...
#   Runs ARGS with @DB@ replaced by a database path, once per fixture:
#   new (a path that does not exist), clean, and (FLAGS contains w) wal.db.
#   Each run must exit 2, print nothing on stdout and leave the file as it
#   was (the new path: not created), and one of them must print every
#   NEEDLE on stderr: the new path's, or clean.db's if FLAGS holds c.
#   FLAGS: "w" also on wal.db, "c" needles from clean.db, "-" none.
bad() {
	local id=$1 flags=$2 needles=() a args fx before after
	shift 2
	while [ "$1" != "--" ]; do needles+=("$1"); shift; done
	shift
	for fx in new clean wal; do
		[ $fx = wal ] && [[ $flags != *w* ]] && continue
		args=()
		for a in "$@"; do args+=("${a//@DB@/$T/$fx.db}"); done
		before=$(db_state "$fx.db")
		sb "${args[@]}"
		after=$(db_state "$fx.db")
		expect_exit "$id/$fx" 2
		expect_stdout_empty "$id/$fx"
		if [ $fx = new ]; then
			expect_no_db "$id/$fx" "$T/new.db"
		else
			check_eq "$id/$fx" "bytes of $fx.db (and -wal)" "$before" "$after"
		fi
		if [ $fx = "$( [[ $flags == *c* ]] && echo clean || echo new)" ]; then
			for a in "${needles[@]+"${needles[@]}"}"; do
				expect_stderr_contains "$id" "$a"
			done
		fi
		rm -f new.db new.db-wal new.db-shm new.db-journal
	done
}

V=(--variants train.fp32.cpu)

# 1.1–1.3: commands and options
bad cli-1.1 w "'frobnicate'" "commands are info, list, run, sweep, runs, export" -- \
    frobnicate --db @DB@
bad cli-1.1b w "usage: stepbench COMMAND" -- 
bad cli-1.2 w "'--frob'" "--help" -- sweep --db @DB@ "${V[@]}" --frob
bad cli-1.3 w "'--shapes' needs a value" -- sweep --db @DB@ "${V[@]}" --shapes
bad cli-1.3b w "unexpected argument 'extra'" -- sweep --db @DB@ "${V[@]}" extra

# 1.4–1.16: shapes
bad cli-1.4 w "'0x5x3'" "1..2147483647" -- sweep --db @DB@ "${V[@]}" --shapes 0x5x3
bad cli-1.5 w "'4096x'" "MxNxK" -- sweep --db @DB@ "${V[@]}" --shapes 4096x
bad cli-1.6 w "'99999999999x2x2'" "too large" "1..2147483647" -- \
    sweep --db @DB@ "${V[@]}" --shapes 99999999999x2x2
bad cli-1.7 w "'-5x3x2'" "positive integer" -- sweep --db @DB@ "${V[@]}" --shapes -5x3x2
bad cli-1.8 w "'axbxc'" "MxNxK" -- sweep --db @DB@ "${V[@]}" --shapes axbxc
bad cli-1.9 w "'10x3'" "MxNxK" -- sweep --db @DB@ "${V[@]}" --shapes 10x3
bad cli-1.10 w "'1x2x3x4'" "MxNxK" -- sweep --db @DB@ "${V[@]}" --shapes 1x2x3x4
bad cli-1.11 w "--shapes is empty" "MxNxK" -- sweep --db @DB@ "${V[@]}" --shapes ''
bad cli-1.12 w "',,'" "empty item" -- sweep --db @DB@ "${V[@]}" --shapes ,,
bad cli-1.13 w "'8:1:x2'" "below START" -- sweep --db @DB@ "${V[@]}" --shapes 8:1:x2
bad cli-1.14 w "'1:8:x1'" "at least 2" -- sweep --db @DB@ "${V[@]}" --shapes 1:8:x1
bad cli-1.15 w "'tiny'" "presets are tutorial" -- sweep --db @DB@ "${V[@]}" --shapes tiny
# a good item before a bad one: still nothing measured or written
bad cli-1.16 w "'2x0x2'" "1..2147483647" -- sweep --db @DB@ "${V[@]}" --shapes tutorial,2x0x2
bad cli-1.16b w "'8:16'" "START:END:xFACTOR" -- sweep --db @DB@ "${V[@]}" --shapes 8:16

# 1.17–1.19: variants
bad cli-1.17 w "--variants is empty" "stepbench list" -- sweep --db @DB@ --variants '' --shapes tutorial
bad cli-1.18 w "'nope.*'" "matches no variant" "stepbench list" -- \
    sweep --db @DB@ --variants 'nope.*' --shapes tutorial
bad cli-1.18b w "'nope.*'" "matches no variant" -- \
    sweep --db @DB@ --variants 'train.fp32.cpu,nope.*' --shapes tutorial
bad cli-1.19 w "'no.such.variant'" "stepbench list" -- run --db @DB@ no.such.variant
bad cli-1.19b w "'train.*'" "not a variant id" -- run --db @DB@ 'train.*'
bad cli-1.19c w "which variant?" -- run --db @DB@
bad cli-1.19d w "'run' takes one variant" -- run --db @DB@ train.fp32.cpu --variants infer.fp32.cpu

# 1.20–1.27: measuring options
bad cli-1.20 w "--layers: 0 is out of range" "1..16" -- sweep --db @DB@ "${V[@]}" --layers 0
bad cli-1.21 w "--layers: 17 is out of range" "1..16" -- sweep --db @DB@ "${V[@]}" --layers 17
bad cli-1.22 w "--layers: 'x'" "1..16" -- sweep --db @DB@ "${V[@]}" --layers x
bad cli-1.22b w "--layers: '1,,2'" "1..16" -- sweep --db @DB@ "${V[@]}" --layers 1,,2
bad cli-1.23 w "--world 2 needs 2 processes" "mpirun -n 2" -- sweep --db @DB@ "${V[@]}" --world 2
bad cli-1.23b w "--world: 0 is out of range" -- sweep --db @DB@ "${V[@]}" --world 0
bad cli-1.24 w "'maybe'" "off, on or both" -- sweep --db @DB@ "${V[@]}" --graph maybe
bad cli-1.25 w "'sometimes'" "on or off" -- sweep --db @DB@ "${V[@]}" --l2-flush sometimes
bad cli-1.26 w "--max-noise: '-1'" "0 to 100" -- sweep --db @DB@ "${V[@]}" --max-noise -1
bad cli-1.27 w "--min-samples 10 is above --max-samples 5" -- \
    sweep --db @DB@ "${V[@]}" --min-samples 10 --max-samples 5
bad cli-1.27b w "--timeout: '0'" "0.001" -- sweep --db @DB@ "${V[@]}" --timeout 0
bad cli-1.27c w "--steps: 'many'" "integer from 1" -- sweep --db @DB@ "${V[@]}" --steps many
bad cli-1.27g w "--cupti-steps: 'x'" "integer from 0 to 1000" -- sweep --db @DB@ "${V[@]}" --cupti-steps x
bad cli-1.27h w "--cupti-steps: '-1'" "integer from 0" -- run train.fp32.cpu --db @DB@ --cupti-steps -1
bad cli-1.27i w "'--no-cupti=yes'" "takes no value" -- sweep --db @DB@ "${V[@]}" --no-cupti=yes
bad cli-1.27d w "--lr-decay: 'linear'" "none, step or cosine" -- sweep --db @DB@ "${V[@]}" --lr-decay linear
bad cli-1.27e w "--warmup: '-1'" "integer from 0" -- run --db @DB@ train.fp32.cpu --warmup -1
bad cli-1.27f w "--resume takes the run's own options" -- sweep --db @DB@ --resume 1 --shapes tutorial

# 1.28–1.29: the --db path itself
sb sweep --db "$T/no-such-dir/x.db" "${V[@]}" --shapes tutorial
expect_exit cli-1.28 2
expect_stderr_contains cli-1.28 "directory '$T/no-such-dir' does not exist"
check_eq cli-1.28 "the missing directory is not created" absent "$(fsum "$T/no-such-dir")"
expect_stdout_empty cli-1.28
sb sweep --db /nonexistent-dir/x.db "${V[@]}" --shapes tutorial
expect_exit cli-1.28b 2
expect_stderr_contains cli-1.28b "'/nonexistent-dir'"
mkdir adir
sb sweep --db "$T/adir" "${V[@]}" --shapes tutorial
expect_exit cli-1.28c 2
expect_stderr_contains cli-1.28c "'$T/adir' is a directory"
check_eq cli-1.28c "the directory stays empty" "" "$(ls -A adir)"
sb sweep --db '' "${V[@]}" --shapes tutorial
expect_exit cli-1.28d 2
expect_stderr_contains cli-1.28d "--db is empty"
expect_no_db cli-1.28d "$T/stepbench.db"

if [ "$(id -u)" = 0 ]; then
	echo "SKIP cli-1.29: running as root, where directory permissions do not apply (unwritable --db directory not tested)"
else
	mkdir ro && chmod 555 ro
	sb sweep --db "$T/ro/x.db" "${V[@]}" --shapes tutorial
	expect_exit cli-1.29 2
	expect_stderr_contains cli-1.29 "'$T/ro'"
	expect_stderr_contains cli-1.29 "not writable"
	expect_no_db cli-1.29 "$T/ro/x.db"
	chmod 755 ro
fi

# 1.30–1.36: runs that do not exist, databases that do not exist; these
# open the database, so only the new path and clean.db are tried.
bad cli-1.30 c "no run 'zzzz9999'" "stepbench runs" -- export zzzz9999 - --db @DB@
bad cli-1.30b c "no run '424242'" -- export 424242 --db @DB@
bad cli-1.30c c "no run 'zz'" "at least 4 characters" -- export zz --db @DB@
bad cli-1.31 c "no run 'zzzz9999'" -- sweep --resume zzzz9999 --db @DB@
bad cli-1.32 w "unexpected argument 'extra'" -- runs extra --db @DB@
bad cli-1.33 - "which run?" -- export --db @DB@
bad cli-1.34 w "--format: 'xml'" "csv or json" -- export 1 - --format xml --db @DB@
bad cli-1.35 w "'--frob'" -- export 1 - --frob --db @DB@
# on a database that does not exist at all (the new path), runs/export/
# resume must say so without creating it
for c in "runs" "export 1 -" "sweep --resume 1"; do
	# shellcheck disable=SC2086  # $c is a word list on purpose
	sb $c --db "$T/new.db"
	expect_exit "cli-1.36[$c]" 2
	expect_stderr_contains "cli-1.36[$c]" "no database at '$T/new.db'"
	expect_no_db "cli-1.36[$c]" "$T/new.db"
done
# the export's output file is not created for a run that does not exist
sb export zzzz9999 "$T/o.json" --db "$T/clean.db"
expect_exit cli-1.37 2
check_eq cli-1.37 "output file for a missing run" absent "$(fsum "$T/o.json")"

# runs and results of the existing databases are unchanged
check_eq cli-1.39 "clean.db runs/results" "$CLEAN0" \
    "$(sql_snap clean.db "SELECT count(*), (SELECT count(*) FROM result) FROM run")"
check_eq cli-1.39 "wal.db runs/results" "$WAL0" \
    "$(sql_snap wal.db "SELECT count(*), (SELECT count(*) FROM result) FROM run")"
check_eq cli-1.39 "wal.db's dead run is still 'running' (no command opened it)" running \
    "$(sql_snap wal.db "SELECT status FROM run")"

# 1.38: `run` measures one shape ("Measures one variant at one shape ... a
# run of one point"; --shape MxNxK "or a preset: tutorial"), so a list of
# shapes should be a usage error rather than a silent sweep.  Only the new
# path is tried, so that a failure here does not spill into other cases.
sb run --db "$T/new.db" train.fp32.cpu --shape 1x1x1,2x2x2 "${FAST[@]}"
expect_exit cli-1.38 2
expect_stderr_contains cli-1.38 "'1x1x1,2x2x2'"
expect_no_db cli-1.38 "$T/new.db"
rm -f new.db new.db-wal new.db-shm

# 1.40: a shape too large for this machine is not a usage error: the point
# is stored as skipped, with the reason, and the run is ok.
sb sweep --db big.db --variants train.fp32.cpu --shapes 1000000x1000000x1000 "${FAST[@]}"
expect_exit cli-1.40 0
check_eq cli-1.40 "result status" skipped "$(sql big.db "SELECT status FROM result")"
check_cmd cli-1.40 "skip reason mentions memory" \
    grep -q "memory" <<<"$(sql big.db "SELECT reason FROM result")"
check_eq cli-1.40 "skipped point has no samples" "0|0" \
    "$(sql big.db "SELECT nsamples, (SELECT count(*) FROM sample) FROM result")"
check_eq cli-1.40 "run status" ok "$(sql big.db "SELECT status FROM run")"

summary cli_bad_input
