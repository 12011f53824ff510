#!/usr/bin/env bash
# tests/cli/db_files.sh — what stepbench does with files given as --db that
# are not (or not yet) its own databases, and with one database used by
# several sweeps.
#
#   bash tests/cli/db_files.sh /path/to/stepbench
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"

SWEEP1=(sweep --variants train.fp32.cpu --shapes tutorial "${FAST[@]}")

# refused ID FILE NEEDLE...: every command that opens FILE exits 2 with every
# NEEDLE on stderr, prints nothing on stdout, and leaves FILE's bytes as
# they were, with no -wal/-shm/-journal left beside it.
refused() {
	local id=$1 f=$2 c before n
	shift 2
	for c in "${SWEEP1[*]}" "run train.fp32.cpu" "runs" "runs --json" \
	    "export 1 -" "sweep --resume 1"; do
		before=$(fsum "$f")
		# shellcheck disable=SC2086  # $c is a word list on purpose
		sb $c --db "$T/$f"
		expect_exit "${id}[$c]" 2
		expect_stdout_empty "${id}[$c]"
		for n in "$@"; do
			expect_stderr_contains "${id}[$c]" "$n"
		done
		check_eq "${id}[$c]" "bytes of $f" "$before" "$(fsum "$f")"
		check_eq "${id}[$c]" "side files of $f" "absent absent absent" \
		    "$(fsum "$f-wal") $(fsum "$f-shm") $(fsum "$f-journal")"
	done
}

# --- 4.1: another application's SQLite database --------------------------------
sqlite3 foreign.db "CREATE TABLE t(x); INSERT INTO t VALUES (1)"
refused cli-4.1 foreign.db "'$T/foreign.db' is a SQLite database but not a stepbench database" \
    "refusing to touch it"
check_eq cli-4.1 "its table is intact" 1 "$(sql foreign.db "SELECT x FROM t")"
# no tables, but another application's id: still not ours
sqlite3 appid.db "PRAGMA application_id = 1234"
refused cli-4.1b appid.db "not a stepbench database" "0x000004d2"

# --- 4.2: not SQLite at all --------------------------------------------------------
printf 'these are my notes, not a database\n' >notes.txt
refused cli-4.2 notes.txt "'$T/notes.txt' is not a SQLite database"
# a stepbench database cut short: damaged, said so
"$SB" "${SWEEP1[@]}" --db "$T/whole.db" >/dev/null 2>&1
head -c 8192 whole.db >cut.db
refused cli-4.2b cut.db "'$T/cut.db'" "damaged"

# --- 4.3: a stepbench database from a newer stepbench ------------------------------
"$SB" "${SWEEP1[@]}" --db "$T/newer.db" >/dev/null 2>&1
sql newer.db "PRAGMA user_version = 99"
refused cli-4.3 newer.db "'$T/newer.db' has schema v99, newer than this stepbench" \
    "use a newer stepbench build"

# --- 4.4: an empty (0-byte) file -------------------------------------------------
# db/db.c validate(): a file with no schema objects and application_id 0 is
# "ours to initialise", and a 0-byte file is such a file to SQLite.  So an
# empty file is ACCEPTED, consistently, by every command: the first one that
# opens it (even `runs`, which opens in DB_OPEN_EXISTING mode and migrates)
# writes the current schema (DB_SCHEMA_VERSION, v6) and stepbench's
# application_id into it.
: >empty1.db
sb runs --db "$T/empty1.db"
expect_exit cli-4.4 0
expect_stdout_contains cli-4.4 "no runs yet in $T/empty1.db"
check_eq cli-4.4 "runs initialised the empty file (application_id|user_version)" \
    "$((0x53544250))|6" "$(sql empty1.db "PRAGMA application_id; PRAGMA user_version" | paste -sd'|')"
: >empty2.db
sb "${SWEEP1[@]}" --db "$T/empty2.db"
expect_exit cli-4.4b 0
check_eq cli-4.4b "sweep into an empty file stores its run" "ok|1" \
    "$(sql empty2.db "SELECT status, (SELECT count(*) FROM result) FROM run")"
: >empty3.db
sb export 1 - --db "$T/empty3.db"
expect_exit cli-4.4c 2
expect_stderr_contains cli-4.4c "no run '1'"

# --- 4.5: two sweeps, one after the other, into one database --------------------------
DB=$T/two.db
sb sweep --db "$DB" --variants train.fp32.cpu --shapes tutorial,16x8x4 --label first "${FAST[@]}"
expect_exit cli-4.5 0
R1=$(run_uuid "$DB")
"$SB" export "$R1" first.csv --db "$DB" 2>/dev/null
sb sweep --db "$DB" --variants infer.fp32.cpu --shapes tutorial --layers 1,2,3 --label second "${FAST[@]}"
expect_exit cli-4.5 0
R2=$(run_uuid "$DB")
check_ne cli-4.5 "two distinct runs" "$R1" "$R2"
check_eq cli-4.5 "runs: label|status|planned|stored" "first|ok|2|2 second|ok|3|3" \
    "$(sql "$DB" "SELECT label, status, planned_points, (SELECT count(*) FROM result r
        WHERE r.run_id = run.id) FROM run ORDER BY id" | paste -sd' ')"
check_eq cli-4.5 "point_idx restarts at 0 in each run" "0,1 0,1,2" \
    "$(sql "$DB" "SELECT group_concat(point_idx) FROM (SELECT run_id, point_idx FROM result
        ORDER BY run_id, point_idx) GROUP BY run_id ORDER BY run_id" | paste -sd' ')"
sb export "$R1" - --db "$DB"
check_eq cli-4.5 "the first run's export is unchanged by the second sweep" \
    "$(cat first.csv)" "$OUT"
sb export "$R2" - --db "$DB"
check_eq cli-4.5 "the second run's export holds its 3 points" "4 infer.fp32.cpu" \
    "$(python3 -c 'import csv,sys; r=list(csv.DictReader(sys.stdin)); print(len(r)+1, *sorted({x["variant"] for x in r}))' <"$T/out")"
sb runs --db "$DB"
check_eq cli-4.5 "runs lists both, newest first" "${R2:0:8} ${R1:0:8}" \
    "$(sed -n '2,3p' "$T/out" | cut -c1-8 | paste -sd' ')"
check_eq cli-4.5 "integrity_check" ok "$(sql "$DB" "PRAGMA integrity_check")"
check_eq cli-4.5 "one environment row shared by both runs" "1|1" \
    "$(sql "$DB" "SELECT count(*), (SELECT count(DISTINCT env_id) FROM run) FROM environment")"

# --- 4.6: two sweeps at the same time into one (existing) database ------------
DB=$T/both.db
"$SB" "${SWEEP1[@]}" --db "$DB" >/dev/null 2>&1
"$SB" sweep --db "$DB" --variants train.fp32.cpu --shapes 8:64:+8 "${FAST[@]}" \
    >/dev/null 2>"$T/a.err" &
A=$!
BG_PIDS+=("$A")
"$SB" sweep --db "$DB" --variants infer.fp32.cpu --shapes 8:64:+8 "${FAST[@]}" \
    >/dev/null 2>"$T/b.err" &
B=$!
BG_PIDS+=("$B")
reap "$A"
check_eq cli-4.6 "first concurrent sweep's exit status (stderr: $(tr '\n' ' ' <"$T/a.err"))" 0 "$BG_RC"
reap "$B"
check_eq cli-4.6 "second concurrent sweep's exit status (stderr: $(tr '\n' ' ' <"$T/b.err"))" 0 "$BG_RC"
check_eq cli-4.6 "all three runs complete" "ok|1|1 ok|8|8 ok|8|8" \
    "$(sql "$DB" "SELECT status, planned_points, (SELECT count(*) FROM result r
        WHERE r.run_id = run.id) FROM run ORDER BY id" | paste -sd' ')"
check_eq cli-4.6 "integrity_check" ok "$(sql "$DB" "PRAGMA integrity_check")"

# --- 4.7: two processes opening a new (empty) database at the same time ----------
# Both must succeed: the file goes from empty to a v2 stepbench database in
# one transaction, so a process opening it must see one state or the other.
# Two sweeps started together on a new --db path hit this about once in 60
# tries here; the window (between two of the opener's queries) is widened by
# fault injection: an LD_PRELOAD shim pauses process B just before it
# prepares its first query on sqlite_schema (after reading the header's
# application_id), until the test says go; meanwhile process A initialises
# the file.  If the opener reads the header and the schema in one read
# transaction, A's commit waits for B instead (A is given 1 s, then B is
# released) and both end well.
if ! command -v cc >/dev/null 2>&1; then
	echo "SKIP cli-4.7: no C compiler (cc) to build the fault-injection shim"
else
	mkdir shim
	cat >shim/shim.c <<'SHIM'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef int (*prep_fn)(void *, const char *, int, unsigned, void **,
    const char **);

int
sqlite3_prepare_v3(void *db, const char *sql, int n, unsigned flags,
    void **st, const char **tail)
{
	static prep_fn real;
	static int paused;
	const char *dir = getenv("SB_SHIM_DIR");
	char path[4096];

	if (real == NULL)
		real = (prep_fn)dlsym(RTLD_NEXT, "sqlite3_prepare_v3");
	if (dir != NULL && !paused && sql != NULL &&
	    strstr(sql, "sqlite_schema") != NULL) {
		paused = 1;
		snprintf(path, sizeof(path), "%s/ready", dir);
		close(open(path, O_CREAT | O_WRONLY, 0644));
		snprintf(path, sizeof(path), "%s/go", dir);
		for (int i = 0; i < 1000 && access(path, F_OK) != 0; i++)
			usleep(10000);
	}
	return real(db, sql, n, flags, st, tail);
}
SHIM
	if ! cc -shared -fPIC -o shim/shim.so shim/shim.c -ldl 2>shim/cc.err; then
		echo "SKIP cli-4.7: the shim does not build: $(cat shim/cc.err)"
	else
		: >race.db
		SB_SHIM_DIR=$T/shim LD_PRELOAD=$T/shim/shim.so \
		    ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" "$SB" runs --db "$T/race.db" \
		    >/dev/null 2>"$T/b.err" &
		B=$!
		BG_PIDS+=("$B")
		for ((i = 0; i < 200; i++)); do
			[ -e shim/ready ] && break
			kill -0 "$B" 2>/dev/null || break
			sleep 0.05
		done
		if [ -e shim/ready ]; then
			"$SB" runs --db "$T/race.db" >/dev/null 2>"$T/a.err" &
			A=$!
			BG_PIDS+=("$A")
			for ((i = 0; i < 20; i++)); do
				kill -0 "$A" 2>/dev/null || break
				sleep 0.05
			done
			touch shim/go
			reap "$A"
			check_eq cli-4.7 "process A's exit status (stderr: $(tr '\n' ' ' <"$T/a.err"))" 0 "$BG_RC"
		else
			echo "note cli-4.7: B never reached the pause point (it no longer queries sqlite_schema separately); only its own outcome is checked"
		fi
		reap "$B"
		check_eq cli-4.7 "process B's exit status (stderr: $(tr '\n' ' ' <"$T/b.err"))" 0 "$BG_RC"
		check_eq cli-4.7 "the file ends as a v6 stepbench database" "$((0x53544250))|6" \
		    "$(sql race.db "PRAGMA application_id; PRAGMA user_version" | paste -sd'|')"
	fi
fi

summary cli_db_files
