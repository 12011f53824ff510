# tests/cli/lib.sh — shared helpers of the end-to-end CLI tests.
#
# Sourced by each tests/cli/<name>.sh, which is run as
#   bash tests/cli/<name>.sh /path/to/stepbench
# It sets SB (the binary, absolute), T (a fresh mktemp -d, removed on exit,
# also the working directory), and the counters behind `summary`.
#
# Every check takes a case id first (e.g. cli-1.3) and prints
#   FAIL <case-id>: <what> (got ...)
# on failure; `summary <name>` prints "<name>: N passed, M failed" and
# exits non-zero if anything failed.

set -u

if [ $# -lt 1 ] || [ ! -x "$1" ]; then
	echo "usage: bash $0 /path/to/stepbench (got '${1:-}')" >&2
	exit 2
fi
SB=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
T=$(mktemp -d "${TMPDIR:-/tmp}/stepbench-cli.XXXXXX") || exit 2
PASSED=0
FAILED=0
BG_PIDS=()

# Never read $STEPBENCH_DB from the caller's environment: every command
# names its --db, and one that forgets must not touch a real database.
unset STEPBENCH_DB

cleanup() {
	local p
	for p in "${BG_PIDS[@]+"${BG_PIDS[@]}"}"; do
		kill -9 "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	cd / && chmod -R u+rwx "$T" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
cd "$T" || exit 2

# Compact, quoted form of a value for FAIL lines (first 300 characters).
show() {
	local s=$1
	s=${s//$'\n'/\\n}
	[ ${#s} -gt 300 ] && s="${s:0:300}..."
	printf "'%s'" "$s"
}

pass() { PASSED=$((PASSED + 1)); }
fail() {	# fail ID WHAT
	FAILED=$((FAILED + 1))
	echo "FAIL $1: $2"
}

# sb ARGS...: runs stepbench; stdout in $T/out, stderr in $T/err, status
# in $RC, and both texts in $OUT and $ERR.
sb() {
	"$SB" "$@" >"$T/out" 2>"$T/err"
	RC=$?
	OUT=$(cat "$T/out")
	ERR=$(cat "$T/err")
}

# check_eq ID WHAT EXPECTED GOT
check_eq() {
	if [ "$3" = "$4" ]; then pass; else
		fail "$1" "$2: expected $(show "$3") (got $(show "$4"))"
	fi
}

# check_ne ID WHAT UNEXPECTED GOT
check_ne() {
	if [ "$3" != "$4" ]; then pass; else
		fail "$1" "$2: expected anything but $(show "$3") (got it)"
	fi
}

# check_cmd ID WHAT COMMAND...: passes if the command succeeds; on failure
# its output is the "got".
check_cmd() {
	local id=$1 what=$2 o
	shift 2
	if o=$("$@" 2>&1); then pass; else
		fail "$id" "$what (got $(show "$o"))"
	fi
}

# expect_exit ID CODE: the status of the last `sb`.
expect_exit() {
	if [ "$RC" = "$2" ]; then pass; else
		fail "$1" "exit status: expected $2 (got $RC; stderr $(show "$ERR"))"
	fi
}

# expect_stderr_contains ID TEXT / expect_stdout_contains ID TEXT: fixed
# strings, in the last `sb`'s output.
expect_stderr_contains() {
	if grep -qF -- "$2" "$T/err"; then pass; else
		fail "$1" "stderr lacks $(show "$2") (got $(show "$ERR"))"
	fi
}
expect_stdout_contains() {
	if grep -qF -- "$2" "$T/out"; then pass; else
		fail "$1" "stdout lacks $(show "$2") (got $(show "$OUT"))"
	fi
}
expect_stdout_empty() {
	if [ ! -s "$T/out" ]; then pass; else
		fail "$1" "stdout should be empty (got $(show "$OUT"))"
	fi
}

# fsum PATH: a checksum of the file's bytes, or "absent".
fsum() {
	if [ -e "$1" ]; then
		cksum <"$1" | tr -d ' '
	else
		echo absent
	fi
}

# db_state PATH: checksums of the database and its -wal file together.
# (-shm is left out: it is an index that readers rebuild at will.)
db_state() {
	echo "$(fsum "$1") wal=$(fsum "$1-wal")"
}

# expect_no_db ID PATH: neither the file nor any of SQLite's side files.
expect_no_db() {
	local f left=""
	for f in "$2" "$2-wal" "$2-shm" "$2-journal"; do
		[ -e "$f" ] && left="$left $f"
	done
	if [ -z "$left" ]; then pass; else
		fail "$1" "nothing may be created, but found:$left"
	fi
}

# sql DB QUERY: sqlite3 on the file itself (this may checkpoint its WAL).
sql() {
	sqlite3 -batch -noheader "$1" "$2"
}

# sql_snap DB QUERY: sqlite3 on a copy of the database and its -wal, so
# that reading does not change the original's bytes.
sql_snap() {
	local d="$T/.snap"
	rm -rf "$d" && mkdir -p "$d"
	cp "$1" "$d/db"
	[ -e "$1-wal" ] && cp "$1-wal" "$d/db-wal"
	sqlite3 -batch -noheader "$d/db" "$2"
}

# run_uuid DB [N]: the UUID of the Nth newest run (1 = newest).
run_uuid() {
	sql "$1" "SELECT uuid FROM run ORDER BY id DESC LIMIT 1 OFFSET $(( ${2:-1} - 1 ))"
}

# start_bg DB_FILE ARGS...: starts `stepbench ARGS` in the background with
# its output in $T/bg.out / $T/bg.err; $BG is its pid.
start_bg() {
	"$SB" "$@" >"$T/bg.out" 2>"$T/bg.err" &
	BG=$!
	BG_PIDS+=("$BG")
}

# wait_rows DB N [TRIES]: polls (every 0.05 s, 200 tries = 10 s by default)
# until DB has at least N result rows; returns 1 if it never does.
wait_rows() {
	local i n
	for ((i = 0; i < ${3:-200}; i++)); do
		n=$(sqlite3 -batch -noheader "$1" \
		    "SELECT count(*) FROM result" 2>/dev/null)
		[ "${n:-0}" -ge "$2" ] && return 0
		sleep 0.05
	done
	return 1
}

# reap PID: waits for a background stepbench; its status is in $BG_RC.
reap() {
	wait "$1" 2>/dev/null
	# shellcheck disable=SC2034  # read by the scripts
	BG_RC=$?
	local p keep=()
	for p in "${BG_PIDS[@]+"${BG_PIDS[@]}"}"; do
		[ "$p" != "$1" ] && keep+=("$p")
	done
	BG_PIDS=("${keep[@]+"${keep[@]}"}")
}

# Quick measuring options: every point takes a few milliseconds.
# shellcheck disable=SC2034  # used by the scripts
FAST=(--timeout 0.2 --min-samples 2 --max-samples 5 --warmup 0)

summary() {
	echo "$1: $PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
	exit $?
}

# need_mpirun NAME: the mpi-labelled scripts: $MPIRUN ($SB_MPIRUN, set by
# ctest, or mpirun on PATH), or exit 77 (skipped) saying what to install.
need_mpirun() {
	MPIRUN=${SB_MPIRUN:-mpirun}
	if ! command -v "$MPIRUN" >/dev/null; then
		echo "$1: no mpirun ($MPIRUN); scripts/install-deps installs openmpi-bin" >&2
		exit 77
	fi
}

# mpi N ARGS...: stepbench on N ranks under $MPIRUN, like sb (root and
# oversubscription are allowed here, in the tests only)
mpi() {
	local n=$1
	shift
	"$MPIRUN" --allow-run-as-root --oversubscribe -n "$n" "$SB" "$@" \
	    >"$T/out" 2>"$T/err"
	RC=$?
	OUT=$(cat "$T/out")
	ERR=$(cat "$T/err")
}
