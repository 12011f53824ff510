# shellcheck shell=bash
# tests/web/lib.sh — helpers of the dashboard's tests (label `web`).
#
# Sourced by tests/web/<name>.sh, run as
#   bash tests/web/<name>.sh /path/to/stepbench
# It reuses tests/cli/lib.sh (SB, T, pass/fail/check_*, sql, db_state,
# summary) and adds: a free port, starting and stopping `stepbench serve`
# (a trap stops any server still running, and its Kore, on every exit),
# and curl wrappers.  Everything listens on 127.0.0.1 only.
#
# The test exits 77 (skipped) only when Kore is not installed (or, set by
# tests/CMakeLists.txt, in sanitizer builds, which do not build the
# module); a machine with Kore but without the built module fails.

# shellcheck source=tests/cli/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../cli/lib.sh"

if [ -n "${SB_WEB_SKIP:-}" ]; then
	echo "SKIP: $SB_WEB_SKIP"
	exit 77
fi
if ! command -v "${KORE:-kore}" >/dev/null 2>&1; then
	echo "SKIP: Kore is not installed (apt-get install kore, or" \
	    "scripts/install-deps); the dashboard tests need it"
	exit 77
fi
for tool in curl python3 sqlite3; do
	command -v "$tool" >/dev/null 2>&1 || {
		echo "FAIL: $tool is missing; scripts/install-deps --tests installs it"
		exit 1
	}
done

# Every server this test started: "SERVE_PID:KORE_PID".
SERVERS=()

web_cleanup() {
	local s sp kp i
	for s in "${SERVERS[@]+"${SERVERS[@]}"}"; do
		sp=${s%%:*} kp=${s##*:}
		kill -TERM "$sp" 2>/dev/null
		for ((i = 0; i < 50; i++)); do
			kill -0 "$sp" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$sp" 2>/dev/null
		wait "$sp" 2>/dev/null
		# Kore runs in its own process group, led by its parent.
		[ -n "$kp" ] && kill -KILL -- "-$kp" 2>/dev/null
	done
	cleanup
}
trap web_cleanup EXIT

# free_port: a TCP port that was free on 127.0.0.1 a moment ago.
free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# serve_start NAME ARGS...: starts `stepbench serve ARGS --port P` in the
# background (stdout in $T/NAME.out, stderr = Kore's log in $T/NAME.log)
# and waits up to 10 s for its "serving" line.  Sets PORT, BASE, SERVE_PID,
# KORE_PID, SERVE_LOG.  Returns 1 if it never serves (a port taken between
# free_port and the bind is retried twice).
serve_start() {
	local name=$1 i
	shift
	for _ in 1 2 3; do
		PORT=$(free_port)
		BASE=http://127.0.0.1:$PORT
		SERVE_LOG=$T/$name.log
		"$SB" serve "$@" --port "$PORT" >"$T/$name.out" 2>"$SERVE_LOG" &
		SERVE_PID=$!
		KORE_PID=""
		for ((i = 0; i < 100; i++)); do
			[ -z "$KORE_PID" ] && KORE_PID=$(pgrep -P "$SERVE_PID" | head -n 1)
			grep -q '^stepbench: serving ' "$T/$name.out" && break
			kill -0 "$SERVE_PID" 2>/dev/null || break
			sleep 0.1
		done
		SERVERS+=("$SERVE_PID:$KORE_PID")
		grep -q '^stepbench: serving ' "$T/$name.out" && return 0
		kill -0 "$SERVE_PID" 2>/dev/null && return 1
		wait "$SERVE_PID" 2>/dev/null
		grep -q 'in use' "$SERVE_LOG" || return 1
	done
	return 1
}

# serve_stop SIGNAL: signals `stepbench serve`, waits up to 15 s for it to
# exit; its status is in $SERVE_RC (124 if it did not stop).
serve_stop() {
	local i
	kill "-$1" "$SERVE_PID" 2>/dev/null
	for ((i = 0; i < 150; i++)); do
		kill -0 "$SERVE_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$SERVE_PID" 2>/dev/null; then
		SERVE_RC=124
		return
	fi
	wait "$SERVE_PID" 2>/dev/null
	# shellcheck disable=SC2034  # read by the scripts
	SERVE_RC=$?
}

# kore_left PGID: the processes still in Kore's process group (empty when
# it stopped cleanly).
kore_left() {
	[ -n "$1" ] && pgrep -g "$1" 2>/dev/null | tr '\n' ' '
}

# req METHOD PATH [CURL ARGS...]: one request to $BASE (the path is sent
# as given, dots and all).  Sets CODE, CTYPE, $T/body, $T/headers; CODE is
# 000 when the connection failed.
req() {
	local m=$1 p=$2 out
	shift 2
	if [ "$m" = HEAD ]; then
		set -- -I "$@"
	else
		set -- -X "$m" "$@"
	fi
	: >"$T/body"
	: >"$T/headers"
	out=$(curl -s -S --max-time 15 --path-as-is -o "$T/body" \
	    -D "$T/headers" -w '%{http_code} %{content_type}' "$@" \
	    "$BASE$p" 2>"$T/curl.err")
	CODE=${out%% *}
	CTYPE=${out#* }
}

# expect_req ID METHOD PATH CODE [CONTENT-TYPE-PREFIX]
expect_req() {
	local id=$1 m=$2 p=$3 code=$4 ct=${5:-}
	req "$m" "$p"
	if [ "$CODE" != "$code" ]; then
		fail "$id" "$m $p: status $code expected (got $CODE; body $(show "$(head -c 300 "$T/body")"))"
		return 1
	fi
	if [ -n "$ct" ] && [ "${CTYPE#"$ct"}" = "$CTYPE" ]; then
		fail "$id" "$m $p: content type $ct expected (got $(show "$CTYPE"))"
		return 1
	fi
	pass
}

# header ID NAME VALUE: the last response has header NAME: VALUE (the name
# case-insensitively, the value exactly).
expect_header() {
	local got
	got=$(grep -i "^$2:" "$T/headers" | head -n 1 | cut -d: -f2- |
	    sed 's/^ *//; s/\r$//')
	check_eq "$1" "header $2" "$3" "$got"
}

# body_has ID TEXT / body_lacks ID TEXT: fixed strings in the last body.
body_has() {
	if grep -qF -- "$2" "$T/body"; then pass; else
		fail "$1" "body lacks $(show "$2") (got $(show "$(head -c 400 "$T/body")"))"
	fi
}
body_lacks() {
	if ! grep -qF -- "$2" "$T/body"; then pass; else
		fail "$1" "body must not hold $(show "$2")"
	fi
}

# json_check ID PYTHON: runs PYTHON with `d` = the last body parsed as JSON.
json_check() {
	check_cmd "$1" "JSON check" python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
$2" "$T/body"
}

# no_sandbox_violation ID LOG: Kore logs a killed worker as "sandbox
# violation" (and a traced call as "seccomp violation").
no_sandbox_violation() {
	local n
	n=$(grep -c -E 'sandbox violation|seccomp violation' "$2")
	check_eq "$1" "seccomp violations in $(basename "$2")" 0 "$n"
}
