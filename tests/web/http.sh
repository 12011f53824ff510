#!/usr/bin/env bash
# tests/web/http.sh — the dashboard over HTTP (docs/dashboard.md): a real
# CPU sweep with a hostile label, `stepbench serve` on a free port, then
# every route's status, content type and headers; bad ids, unknown ids and
# formats; /static traversal; methods; HTML escaping; the database left
# byte-for-byte unchanged; reads during a concurrent sweep; the loss-scale
# trajectory, fp32 curve and divergence of a seeded mixed-precision run
# (tests/web/seed_amp.sh); the quantisation measures and int8 phases of a
# seeded dynamic-int8 run (tests/web/seed_int8.sh); the dp_* figures and
# per-bucket all-reduces of seeded data-parallel and allreduce runs
# (tests/web/seed_dp.sh); module reload; a missing database; v2, v3 and v4
# files refused until upgraded; clean stops
# on SIGTERM and SIGINT; no seccomp violation in any Kore log.
#
#   bash tests/web/http.sh /path/to/stepbench
SEED_AMP=$(cd "$(dirname "$0")" && pwd)/seed_amp.sh
SEED_INT8=$(cd "$(dirname "$0")" && pwd)/seed_int8.sh
SEED_DP=$(cd "$(dirname "$0")" && pwd)/seed_dp.sh
FIXTURES=$(cd "$(dirname "$0")/../fixtures" && pwd)
# shellcheck source=tests/web/lib.sh
. "$(dirname "$0")/lib.sh"

DB=$T/w.db
LABEL='<script>alert(1)</script>'
NOTE='"); DROP TABLE run; --'
WEBROOT=$(dirname "$SB")/../web/webroot
# serve's private directories go here, so the test can see them go away.
export TMPDIR=$T/tmp
mkdir -p "$TMPDIR"

# db_bytes PATH: the database's bytes and its WAL's (an empty WAL, which a
# reader may create, holds nothing: it counts as absent).
db_bytes() {
	if [ -s "$1-wal" ]; then echo "$(fsum "$1") wal=$(fsum "$1-wal")"
	else echo "$(fsum "$1") wal=empty"; fi
}

# head_body_bytes PATH: a raw HEAD request; how many bytes follow the
# headers (curl -I would not read them).
head_body_bytes() {
	python3 - "$PORT" "$1" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(b"HEAD %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
          % sys.argv[2].encode())
data = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    data += b
print(len(data.split(b"\r\n\r\n", 1)[1]) if b"\r\n\r\n" in data else -1)
PY
}

# --- 1.1: a real database: 2 CPU variants x 2 shapes = 4 points ------------
# (the fp32 ones: the counts below are of those two variants)
sb sweep --db "$DB" --variants '*.fp32.cpu' --shapes tutorial,16x8x4 \
    --timeout 0.1 --min-samples 2 --steps 5 --label "$LABEL" --note "$NOTE"
expect_exit web-1.1 0
STATE0=$(db_bytes "$DB")
COUNTS0=$(sql_snap "$DB" "SELECT (SELECT count(*) FROM run), \
    (SELECT count(*) FROM result), (SELECT count(*) FROM sample)")
check_eq web-1.1 "rows: 1 run, 4 results" "1|4" "${COUNTS0%|*}"

# --- 1.2: serve -------------------------------------------------------------
if ! serve_start main --db "$DB"; then
	fail web-1.2 "serve did not start (log $(show "$(cat "$SERVE_LOG")"))"
	summary web_http
fi
check_eq web-1.2 "serving line" "stepbench: serving $DB at $BASE/" \
    "$(cat "$T/main.out")"
MAIN_KORE=$KORE_PID MAIN_LOG=$SERVE_LOG
CONF_DIR=$(ls -d "$TMPDIR"/stepbench-serve.* 2>/dev/null)
check_cmd web-1.2 "Kore's configuration is in a private temp dir" \
    test -n "$CONF_DIR" -a -f "$CONF_DIR/kore.conf"
check_eq web-1.2 "the temp dir is private" 700 "$(stat -c %a "$CONF_DIR")"

# --- 1.3: pages ---------------------------------------------------------------
expect_req web-1.3 GET / 200 text/html
body_has web-1.3 '<body data-page="runs">'
body_has web-1.3 '<div id="error" hidden></div>'
body_has web-1.3 '<main id="app"></main>'
body_has web-1.3 '<footer id="status" data-state="loading">'
body_has web-1.3 '<script src="/static/app.js" defer></script>'
body_has web-1.3 '<script src="/static/chart.min.js" defer></script>'
body_has web-1.3 '<link rel="stylesheet" href="/static/style.css">'
expect_req web-1.3b GET '/run?id=1' 200 text/html
body_has web-1.3b '<body data-page="run" data-id="1">'
expect_req web-1.3c GET '/compare?a=1&b=1' 200 text/html
body_has web-1.3c '<body data-page="compare" data-a="1" data-b="1">'

# --- 1.4: the hostile label is escaped in HTML, never raw -------------------
for p in '/run?id=1' '/compare?a=1&b=1'; do
	req GET "$p"
	body_has "web-1.4[$p]" '&lt;script&gt;alert(1)&lt;/script&gt;'
	body_lacks "web-1.4[$p]" '<script>alert'
	check_eq "web-1.4[$p]" "<script> elements: only the two of the shell" \
	    2 "$(grep -o '<script' "$T/body" | wc -l)"
done

# --- 1.5: the API as JSON ------------------------------------------------------
expect_req web-1.5 GET /api/runs 200 'application/json; charset=utf-8'
json_check web-1.5 '
assert isinstance(d, list) and len(d) == 1, d
r = d[0]
for k in ("id", "uuid", "label", "note", "device", "host", "status",
          "started_at", "ended_at", "planned_points", "done_points",
          "ok_points", "skipped_points", "failed_points", "git_rev"):
    assert k in r, "no key " + k
assert r["id"] == 1 and r["status"] == "ok" and r["done_points"] == 4, r
assert r["label"] == "<script>alert(1)</script>", r["label"]
assert r["note"] == "\"); DROP TABLE run; --", r["note"]'
expect_req web-1.5b GET '/api/run?id=1' 200 application/json
json_check web-1.5b '
assert len(d) == 1 and d[0]["id"] == 1, d
for k in ("argv", "pid", "env_json", "uuid", "label"):
    assert k in d[0], "no key " + k
json.loads(d[0]["env_json"])'
expect_req web-1.5c GET '/api/results?id=1' 200 application/json
json_check web-1.5c '
assert len(d) == 4, len(d)
for k in ("point_idx", "variant", "m", "n", "k", "status", "median_us",
          "p10_us", "p90_us", "tflops", "err_y", "nsamples"):
    assert k in d[0], "no key " + k
assert sorted(r["point_idx"] for r in d) == [0, 1, 2, 3]
assert all(r["status"] == "ok" and r["median_us"] > 0 for r in d)'
for q in baseline phases curves launch_info scaler comm; do
	expect_req "web-1.5d[$q]" GET "/api/$q?id=1" 200 application/json
	json_check "web-1.5d[$q]" 'assert isinstance(d, list), d'
done
req GET '/api/curves?id=1'
json_check web-1.5e '
assert d, "--steps 5 stored loss curves"
for k in ("point_idx", "variant", "step", "loss", "lr"):
    assert k in d[0], "no key " + k'
expect_req web-1.5f GET '/api/compare?a=1&b=1' 200 application/json
json_check web-1.5f '
assert len(d) == 4, len(d)
for k in ("variant", "a_median_us", "b_median_us", "speedup", "verdict"):
    assert k in d[0], "no key " + k
assert all(abs(r["speedup"] - 1) < 1e-9 for r in d)'
expect_req web-1.5g GET '/api/compare_env?a=1&b=1' 200 application/json
json_check web-1.5g 'assert d == [], d'
expect_req web-1.5h GET '/api/runs?format=json' 200 application/json
expect_req web-1.5i GET '/api/run?id=%31' 200 application/json

# --- 1.6: the API as CSV -------------------------------------------------------
expect_req web-1.6 GET '/api/results?id=1&format=csv' 200 'text/csv; charset=utf-8'
expect_header web-1.6 content-disposition 'attachment; filename="results-1.csv"'
check_cmd web-1.6 "CSV: a header and 4 rows" python3 -c '
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
assert len(rows) == 4 and "median_us" in rows[0], rows' "$T/body"
expect_req web-1.6b GET '/api/runs?format=csv' 200 text/csv
expect_header web-1.6b content-disposition 'attachment; filename="runs.csv"'
body_has web-1.6b '<script>alert(1)</script>'	# CSV is data, not HTML
expect_req web-1.6c GET '/api/compare?a=1&b=1&format=csv' 200 text/csv
expect_header web-1.6c content-disposition 'attachment; filename="compare-1-1.csv"'

# --- 1.7: malformed ids and formats → 400 ---------------------------------------
for bad in 'id=abc' 'id=' 'id=-1' 'id=0' 'id=99999999999999999999' \
    'id=1%00' '' 'id=9007199254740993' 'id=1&id=1' 'id=+1' 'id=1.0' \
    'id=0x1' 'id=1e3' 'id=%' 'id=%zz' 'ID=1'; do
	for r in /api/run /api/results /api/curves /api/scaler /api/comm; do
		expect_req "web-1.7[$r?$bad]" GET "$r?$bad" 400 application/json &&
		json_check "web-1.7[$r?$bad]" 'assert set(d) == {"error"} and d["error"], d'
	done
	expect_req "web-1.7[/run?$bad]" GET "/run?$bad" 400 text/html &&
	body_has "web-1.7[/run?$bad]" '<footer id="status" data-state="error">'
done
for bad in 'a=1' 'b=1' 'a=1&b=x' 'a=0&b=1' 'a=1&b=1&b=2'; do
	expect_req "web-1.7b[$bad]" GET "/api/compare?$bad" 400 application/json
	expect_req "web-1.7b[$bad]" GET "/compare?$bad" 400 text/html
done
for f in xml CSV '' 'csv&format=json'; do
	expect_req "web-1.7c[$f]" GET "/api/results?id=1&format=$f" 400 application/json
done
expect_req web-1.7d GET '/api/run?id=9007199254740992' 404 application/json

# --- 1.8: well-formed unknown ids → 404 ---------------------------------------------
expect_req web-1.8 GET '/api/run?id=999' 404 application/json &&
json_check web-1.8 'assert "error" in d, d'
expect_req web-1.8 GET '/api/results?id=999&format=csv' 404 application/json
expect_req web-1.8 GET '/api/compare?a=1&b=999' 404 application/json
expect_req web-1.8 GET '/run?id=999' 404 text/html
body_has web-1.8 'no run 999'
expect_req web-1.8 GET '/compare?a=999&b=1' 404 text/html
expect_req web-1.8b GET /nope 404 text/html
expect_req web-1.8b GET /run/ 404 text/html
expect_req web-1.8b GET /api/nope 404 application/json

# --- 1.9: static files ----------------------------------------------------------
for f in app.js chart.min.js style.css; do
	case $f in
	*.js) ct=text/javascript ;;
	*.css) ct=text/css ;;
	esac
	expect_req "web-1.9[$f]" GET "/static/$f" 200 "$ct"
	check_cmd "web-1.9[$f]" "the webroot's $f, byte for byte" \
	    cmp "$T/body" "$WEBROOT/$f"
done
req GET /static/chart.min.js
check_cmd web-1.9b "chart.min.js is Debian's Chart.js" \
    cmp "$T/body" /usr/share/javascript/chart.js/chart.min.js
expect_header web-1.9b cache-control no-cache
ETAG=$(grep -i '^etag:' "$T/headers" | cut -d' ' -f2 | tr -d '\r')
req GET /static/chart.min.js -H "If-None-Match: $ETAG"
check_eq web-1.9c "If-None-Match with the ETag" 304 "$CODE"

# --- 1.10: traversal never reaches a file outside the webroot ------------------
for p in '/static/../../etc/passwd' '/static/%2e%2e/%2e%2e/etc/passwd' \
    '/static/..%2f..%2fetc%2fpasswd' '/static/..%2f..%2f..%2f..%2fetc%2fpasswd' \
    '/static/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd' '/static/....//etc/passwd' \
    '/static/./app.js' '/static//app.js' '/static/app.js%00.txt' \
    '/static/' '/static' '/static/../web/webroot/app.js' \
    '/static/%2e%2e/webroot/app.js' '/../../etc/passwd'; do
	expect_req "web-1.10[$p]" GET "$p" 404
	body_lacks "web-1.10[$p]" 'root:'
done

# --- 1.11: methods --------------------------------------------------------------
for p in / '/run?id=1' /api/runs '/api/results?id=1' /static/app.js /nope; do
	for m in POST PUT DELETE PATCH OPTIONS; do
		req "$m" "$p"
		check_eq "web-1.11[$m $p]" "status" 405 "$CODE"
	done
	req POST "$p" --data 'x=1'
	check_eq "web-1.11[POST+body $p]" "status" 405 "$CODE"
done
req DELETE /api/runs
expect_header web-1.11b allow 'GET, HEAD'
for p in / '/run?id=1' '/api/results?id=1' /static/style.css; do
	expect_req "web-1.11c[HEAD $p]" HEAD "$p" 200
	check_eq "web-1.11c[HEAD $p]" "HEAD: bytes after the headers" 0 \
	    "$(head_body_bytes "$p")"
done

# --- 1.12: security headers on answers of every kind ---------------------------
for p in / '/run?id=1' /api/runs '/api/results?id=1&format=csv' \
    '/api/run?id=abc' '/api/run?id=999' '/run?id=abc' /nope /api/nope; do
	req GET "$p"
	expect_header "web-1.12[$p]" content-security-policy "default-src 'self'"
	expect_header "web-1.12[$p]" x-content-type-options nosniff
	expect_header "web-1.12[$p]" cache-control no-store
done
req DELETE /
expect_header web-1.12b content-security-policy "default-src 'self'"
req GET /static/app.js
expect_header web-1.12c content-security-policy "default-src 'self'"
expect_header web-1.12c x-content-type-options nosniff

# --- 1.13: the module never wrote to the database -------------------------------
check_eq web-1.13 "database and WAL bytes after all requests" "$STATE0" \
    "$(db_bytes "$DB")"
check_eq web-1.13 "row counts after all requests" "$COUNTS0" \
    "$(sql_snap "$DB" "SELECT (SELECT count(*) FROM run), \
    (SELECT count(*) FROM result), (SELECT count(*) FROM sample)")"

# --- 1.14: reads while a sweep writes the same database ---------------------------
# 2 variants x 32 shapes x 2 layer counts = 128 points, a few ms each; the
# 64 training points store 50-step loss curves (/api/curves?id=2 grows
# past 128 KB, where glibc's realloc needs mremap: a seccomp case).
start_bg sweep --db "$DB" --variants '*.fp32.cpu' --shapes 2:64:+2 \
    --layers 1,2 --timeout 0.05 --min-samples 2 --max-samples 3 --warmup 0 \
    --steps 50
SWEEP=$BG
n=0 bad=0 failed=""
end=$((SECONDS + 5))
while [ $SECONDS -lt $end ]; do
	for p in /api/runs '/api/results?id=1' '/api/results?id=2' \
	    '/api/curves?id=2' '/run?id=1' /; do
		req GET "$p"
		n=$((n + 1))
		# run 2 is 404 until the sweep has stored its run row
		case "$CODE $p" in
		"200 "* | "404 /api/results?id=2" | "404 /api/curves?id=2") ;;
		*)
			bad=$((bad + 1))
			failed="$failed $p=$CODE($(head -c 100 "$T/curl.err"))"
			;;
		esac
	done
done
check_eq web-1.14 "bad answers among $n requests during the sweep" 0 "$bad$failed"
if command -v wrk >/dev/null 2>&1; then
	for p in /api/runs '/api/results?id=1'; do
		wrk -t 2 -c 8 -d 2s --timeout 5s "$BASE$p" >"$T/wrk.out" 2>&1
		check_cmd "web-1.14b[wrk $p]" "wrk: no socket errors, no non-2xx" \
		    python3 -c '
import re, sys
t = open(sys.argv[1]).read()
assert "requests in" in t, t
assert "Socket errors" not in t, t
assert "Non-2xx" not in t, t
assert int(re.search(r"(\d+) requests in", t).group(1)) > 0, t' "$T/wrk.out"
	done
else
	echo "note: wrk is not installed; the curl loop alone checked concurrency"
fi
reap "$SWEEP"
check_eq web-1.14c "the concurrent sweep's exit status" 0 "$BG_RC"
expect_req web-1.14c GET '/api/results?id=2' 200 application/json
json_check web-1.14c 'assert len(d) == 128, len(d)'
expect_req web-1.14d GET '/api/curves?id=2' 200 application/json
json_check web-1.14d 'assert len(d) == 64 * 50, len(d)'
check_cmd web-1.14d "the curves answer is over 128 KB" \
    test "$(wc -c <"$T/body")" -gt 131072

# --- 1.14e: a mixed-precision run (seeded: no GPU here) ---------------------
# Imported while serve runs; its trajectories, fp32 curves and divergences
# are checked against the database itself.
AMP=$(bash "$SEED_AMP" "$SB" "$DB" 2>"$T/seed.err")
check_cmd web-1.14e "seed_amp.sh stored a run ($(show "$(cat "$T/seed.err")"))" \
    test -n "$AMP"
expect_req web-1.14e GET "/api/scaler?id=$AMP" 200 'application/json; charset=utf-8'
check_cmd web-1.14e "every scaler row of the run, as stored" python3 -c '
import json, sqlite3, sys
d = json.load(open(sys.argv[1]))
c = sqlite3.connect(sys.argv[2])
want = c.execute("""SELECT r.point_idx, r.variant, s.step, s.scale, s.skipped,
    s.growth_tracker FROM scaler s JOIN result r ON r.id = s.result_id
    WHERE r.run_id = ? ORDER BY r.point_idx, s.step""", (int(sys.argv[3]),)).fetchall()
got = [(x["point_idx"], x["variant"], x["step"], x["scale"], x["skipped"],
        x["growth_tracker"]) for x in d]
assert want and got == [tuple(w) for w in want], (len(got), len(want), got[:3], want[:3])
assert {"m", "n", "k", "layers", "graph"} <= set(d[0]), d[0]
assert sum(x["skipped"] for x in d) == 4, "seeded skips: 0, 1, 45 of #0 and 0 of #2"' \
    "$T/body" "$DB" "$AMP"
STORED=$(sql_snap "$DB" "SELECT count(*) FROM scaler s JOIN result r \
    ON r.id = s.result_id WHERE r.run_id = 1")
req GET '/api/scaler?id=1'
check_eq web-1.14e "run 1 has no trajectory ($STORED rows stored): []" \
    "0 200 []" "$STORED $CODE $(tr -d '\n' <"$T/body")"
expect_req web-1.14f GET "/api/scaler?id=$AMP&format=csv" 200 'text/csv; charset=utf-8'
expect_header web-1.14f content-disposition "attachment; filename=\"scaler-$AMP.csv\""
body_has web-1.14f 'point_idx,variant,m,n,k,layers,graph,step,scale,skipped,growth_tracker'
expect_req web-1.14f GET '/api/scaler?id=424242' 404 application/json
json_check web-1.14f 'assert d == {"error": "no run 424242"}, d'
expect_req web-1.14g GET "/api/curves?id=$AMP" 200 application/json
check_cmd web-1.14g "ref_loss beside the loss, null where not recorded" python3 -c '
import json, sqlite3, sys
d = json.load(open(sys.argv[1]))
c = sqlite3.connect(sys.argv[2])
want = c.execute("""SELECT r.point_idx, l.step, l.loss, l.ref_loss FROM loss_curve l
    JOIN result r ON r.id = l.result_id WHERE r.run_id = ?
    ORDER BY r.point_idx, l.step""", (int(sys.argv[3]),)).fetchall()
got = [(x["point_idx"], x["step"], x["loss"], x["ref_loss"]) for x in d]
assert got == [tuple(w) for w in want], (got[:3], want[:3])
assert any(x["ref_loss"] is None for x in d) and any(x["ref_loss"] for x in d)' \
    "$T/body" "$DB" "$AMP"
expect_req web-1.14g GET "/api/results?id=$AMP" 200 application/json
json_check web-1.14g 'assert [r["loss_divergence"] for r in d] == [0.0123, 0.0456, None, None], d'
expect_req web-1.14g GET "/api/phases?id=$AMP" 200 application/json
json_check web-1.14g '
got = [r["phase"] for r in d if r["point_idx"] == 0]
assert got == ["forward", "loss", "backward.wgrad", "backward.dgrad",
    "amp.unscale", "sgd", "amp.update"], got'
expect_req web-1.14g GET "/run?id=$AMP" 200 text/html

# --- 1.14h: a dynamic-int8 run (seeded: no GPU here) --------------------------
# /api/results carries the five quant_* measures as stored (null where
# NULL, 0 kept as 0), in JSON and CSV; the int8 phases come back with
# their medians; a run without int8 rows has the keys, all null.
INT8=$(bash "$SEED_INT8" "$SB" "$DB" 2>"$T/seed8.err")
check_cmd web-1.14h "seed_int8.sh stored a run ($(show "$(cat "$T/seed8.err")"))" \
    test -n "$INT8"
expect_req web-1.14h GET "/api/results?id=$INT8" 200 'application/json; charset=utf-8'
check_cmd web-1.14h "every result's quant_* as stored" python3 -c '
import json, sqlite3, sys
d = json.load(open(sys.argv[1]))
c = sqlite3.connect(sys.argv[2])
cols = ("quant_per_channel", "quant_err_sym", "quant_err_affine",
        "quant_sat_act", "quant_sat_weight")
want = c.execute("SELECT point_idx, " + ", ".join(cols) + " FROM result "
                 "WHERE run_id = ? ORDER BY point_idx", (int(sys.argv[3]),)).fetchall()
got = [tuple([x["point_idx"]] + [x[k] for k in cols]) for x in d]
assert len(want) == 8 and got == [tuple(w) for w in want], (got, want)
# the seed has each kind of value: 0 and 1, a number, NULL, a 0 count
assert (0, 0, 0.0121, 0.0089, 0, 0) in got and got[1][1] == 1, got
assert got[3][3] is None and got[2][4] is None and got[6][1:] == (None,) * 5, got' \
    "$T/body" "$DB" "$INT8"
expect_req web-1.14h GET "/api/results?id=$INT8&format=csv" 200 'text/csv; charset=utf-8'
check_cmd web-1.14h "the CSV has the quant_* columns, empty where NULL" python3 -c '
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
assert len(rows) == 8, len(rows)
assert [r["quant_err_affine"] for r in rows] == ["0.0089", "0.0052", "0.0089", "",
    "0.017", "", "", ""], [r["quant_err_affine"] for r in rows]
assert [r["quant_sat_act"] for r in rows] == ["0", "3", "", "0", "0", "1", "", ""], rows' \
    "$T/body"
expect_req web-1.14h GET "/api/phases?id=$INT8" 200 application/json
check_cmd web-1.14h "the int8 phases with their medians (NULL as null)" python3 -c '
import json, sqlite3, sys
d = json.load(open(sys.argv[1]))
c = sqlite3.connect(sys.argv[2])
want = sorted(c.execute("""SELECT r.point_idx, p.name, p.median_us FROM phase p
    JOIN result r ON r.id = p.result_id WHERE r.run_id = ?""", (int(sys.argv[3]),)).fetchall())
got = sorted((x["point_idx"], x["phase"], x["median_us"]) for x in d)
assert got == [tuple(w) for w in want], (got, want)
assert (3, "int8.quant", None) in got and (2, "int8.dequant", 45) in got, got' \
    "$T/body" "$DB" "$INT8"
expect_req web-1.14h GET '/api/results?id=1' 200 application/json
json_check web-1.14h '
cols = ("quant_per_channel", "quant_err_sym", "quant_err_affine",
        "quant_sat_act", "quant_sat_weight")
assert d and all(k in r and r[k] is None for r in d for k in cols), d[0]'
expect_req web-1.14h GET "/run?id=$INT8" 200 text/html

# --- 1.14i: data-parallel runs (seeded: no multi-GPU machine here) -------------
# /api/results carries the twelve dp_* figures as stored; /api/comm has a
# row per all-reduce, by point then bucket, with its result's keys, in
# JSON and CSV; a run without data-parallel rows has the dp_* keys, null,
# and an empty /api/comm.
read -r DP AR < <(bash "$SEED_DP" "$SB" "$DB" 2>"$T/seeddp.err")
check_cmd web-1.14i "seed_dp.sh stored two runs ($(show "$(cat "$T/seeddp.err")"))" \
    test -n "${DP:-}" -a -n "${AR:-}"
expect_req web-1.14i GET "/api/results?id=$DP" 200 'application/json; charset=utf-8'
check_cmd web-1.14i "every result's dp_* as stored" python3 -c '
import json, sqlite3, sys
d = json.load(open(sys.argv[1]))
c = sqlite3.connect(sys.argv[2])
cols = ("dp_backend", "dp_bucket_cap", "dp_first_bucket", "dp_overlap",
        "dp_compress", "dp_op", "dp_inplace", "dp_compute_us", "dp_comm_us",
        "dp_exposed_us", "dp_overlap_frac", "dp_overhead")
want = c.execute("SELECT point_idx, " + ", ".join(cols) + " FROM result "
                 "WHERE run_id = ? ORDER BY point_idx", (int(sys.argv[3]),)).fetchall()
got = [tuple([x["point_idx"]] + [x[k] for k in cols]) for x in d]
assert len(want) == 7 and got == [tuple(w) for w in want], (got, want)
# the seed has each kind: nccl and mpi, overlap on and off, bf16, NULLs
assert got[0][1:5] == ("nccl", 26214400, 1048576, 1) and got[4][1] == "mpi", got
assert got[1][4] == 0 and got[1][11] == 0 and got[2][5] == "bf16", got
assert got[6][1:] == (None,) * 12, got' "$T/body" "$DB" "$DP"
expect_req web-1.14i GET "/api/comm?id=$DP" 200 'application/json; charset=utf-8'
check_cmd web-1.14i "the buckets as stored, by point then bucket" python3 -c '
import json, sqlite3, sys
d = json.load(open(sys.argv[1]))
c = sqlite3.connect(sys.argv[2])
want = c.execute("""SELECT r.point_idx, r.variant, r.world, r.dp_backend,
    c.bucket, c.nparams, c.layer_hi, c.layer_lo, c.bytes, c.median_us,
    c.min_us, c.algbw_gbps, c.busbw_gbps FROM comm c JOIN result r ON
    r.id = c.result_id WHERE r.run_id = ? ORDER BY r.point_idx, c.bucket""",
    (int(sys.argv[3]),)).fetchall()
keys = ("point_idx", "variant", "world", "dp_backend", "bucket", "nparams",
        "layer_hi", "layer_lo", "bytes", "median_us", "min_us", "algbw_gbps",
        "busbw_gbps")
got = [tuple(x[k] for k in keys) for x in d]
assert len(want) == 17 and got == [tuple(w) for w in want], (got, want)
# four buckets per 4096 step, last layer first; the tutorial one 72 bytes
assert [g[6] for g in got[:4]] == [3, 2, 1, 0] and got[16][8] == 72, got
# busbw = algbw * 2(world-1)/world, 0 at world 1
assert all(abs(g[12] - g[11] * 2 * (g[2] - 1) / g[2]) < 1e-9 * g[11] for g in got), got' \
    "$T/body" "$DB" "$DP"
expect_req web-1.14i GET "/api/comm?id=$AR&format=csv" 200 'text/csv; charset=utf-8'
expect_header web-1.14i content-disposition "attachment; filename=\"comm-$AR.csv\""
check_cmd web-1.14i "the allreduce rows' CSV: one row per size, no layers" python3 -c '
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
assert len(rows) == 14, len(rows)
assert all(r["variant"].startswith("allreduce.") and r["bucket"] == "0" and
           r["nparams"] == "" and r["layer_hi"] == "" for r in rows), rows[0]
assert [r["dp_compress"] for r in rows[:6]] == ["f32"] * 5 + ["bf16"], rows
assert rows[10]["dp_inplace"] == "1" and rows[0]["dp_inplace"] == "0", rows' \
    "$T/body"
expect_req web-1.14i GET '/api/comm?id=1' 200 application/json
json_check web-1.14i 'assert d == [], d'
expect_req web-1.14i GET '/api/results?id=1' 200 application/json
json_check web-1.14i '
assert d and all(k in r and r[k] is None for r in d for k in r if k.startswith("dp_")), d[0]
assert sum(k.startswith("dp_") for k in d[0]) == 12, d[0]'
expect_req web-1.14i GET '/api/comm?id=424242' 404 application/json
expect_req web-1.14i GET "/run?id=$DP" 200 text/html

# --- 1.15: module reload (SIGHUP to Kore's parent, then to serve) ---------------
kill -HUP "$KORE_PID"
sleep 1
expect_req web-1.15 GET /api/runs 200 application/json
expect_req web-1.15 GET /static/app.js 200 text/javascript
check_cmd web-1.15 "Kore logged the reload" grep -q "reloaded" "$MAIN_LOG"
kill -HUP "$SERVE_PID"
sleep 1
check_cmd web-1.15b "serve survives SIGHUP (forwarded to Kore)" \
    kill -0 "$SERVE_PID"
expect_req web-1.15b GET '/run?id=2' 200 text/html

# --- 1.16: the port is taken ---------------------------------------------------------
sb serve --db "$DB" --port "$PORT"
expect_exit web-1.16 1
expect_stderr_contains web-1.16 "is in use"
expect_stderr_contains web-1.16 "--port"

# --- 1.17: SIGTERM stops Kore; serve exits 0 and leaves nothing behind -----------------
serve_stop TERM
check_eq web-1.17 "serve's exit status after SIGTERM" 0 "$SERVE_RC"
check_eq web-1.17 "Kore processes left" "" "$(kore_left "$MAIN_KORE")"
check_cmd web-1.17 "the temp dir is removed" test ! -e "$CONF_DIR"
check_eq web-1.17 "nothing left in TMPDIR" "" "$(ls -A "$TMPDIR")"
check_eq web-1.17 "worker restarts" 0 \
    "$(grep -c 'restarting worker' "$MAIN_LOG")"
no_sandbox_violation web-1.17 "$MAIN_LOG"
req GET /
check_eq web-1.17 "nothing answers after the stop" 000 "$CODE"

# --- 1.18: no database: pages say so, the API answers 503, never 500 ---------------------
NONE=$T/none.db
if serve_start none --db "$NONE"; then
	NONE_KORE=$KORE_PID
	check_cmd web-1.18 "serve warns about the missing database" \
	    grep -q "warning: no database at '$NONE'" "$SERVE_LOG"
	for p in / '/run?id=1' '/compare?a=1&b=2'; do
		expect_req "web-1.18[$p]" GET "$p" 200 text/html
		body_has "web-1.18[$p]" "<div id=\"error\">no database at &#39;$NONE&#39;"
		body_has "web-1.18[$p]" 'data-state="error"'
	done
	for p in /api/runs '/api/run?id=1' '/api/compare?a=1&b=2'; do
		for i in 1 2 3; do
			expect_req "web-1.18[$p#$i]" GET "$p" 503 application/json
		done
		json_check "web-1.18[$p]" "assert '$NONE' in d['error'], d"
	done
	expect_req web-1.18 GET '/api/run?id=x' 400 application/json
	expect_req web-1.18 GET /static/app.js 200 text/javascript
	# the database appears: the next request opens it
	sb sweep --db "$NONE" --variants train.fp32.cpu --shapes tutorial "${FAST[@]}"
	expect_exit web-1.18b 0
	expect_req web-1.18b GET /api/runs 200 application/json
	json_check web-1.18b 'assert len(d) == 1, d'
	expect_req web-1.18b GET '/run?id=1' 200 text/html
	body_has web-1.18b '<div id="error" hidden></div>'
	# --- 1.19: SIGINT stops it too
	serve_stop INT
	check_eq web-1.19 "serve's exit status after SIGINT" 0 "$SERVE_RC"
	check_eq web-1.19 "Kore processes left" "" "$(kore_left "$NONE_KORE")"
	check_eq web-1.19 "worker restarts" 0 \
	    "$(grep -c 'restarting worker' "$SERVE_LOG")"
	no_sandbox_violation web-1.19 "$SERVE_LOG"
else
	fail web-1.18 "serve --db $NONE did not start (log $(show "$(cat "$SERVE_LOG")"))"
fi

# --- 1.18c: an empty, a foreign and a non-SQLite file: a page that says so,
# 503 from the API, no 500, no restart loop, and the file left as it was
for kind in empty foreign text; do
	BAD=$T/$kind.db
	case $kind in
	empty)		: >"$BAD"; want="older than this stepbench" ;;
	foreign)	sql "$BAD" "CREATE TABLE t(x); INSERT INTO t VALUES (1)" >/dev/null
			want="not a stepbench database" ;;
	text)		echo "hello, not a database" >"$BAD"
			want="not a SQLite database" ;;
	esac
	BEFORE_SUM=$(fsum "$BAD")
	if serve_start "bad-$kind" --db "$BAD"; then
		BAD_KORE=$KORE_PID
		for p in / '/run?id=1'; do
			expect_req "web-1.18c[$kind $p]" GET "$p" 200 text/html
			body_has "web-1.18c[$kind $p]" "$want"
			body_has "web-1.18c[$kind $p]" 'data-state="error"'
		done
		for i in 1 2; do
			expect_req "web-1.18c[$kind api#$i]" GET /api/runs 503 \
			    application/json
		done
		json_check "web-1.18c[$kind api]" "assert '$want' in d['error'], d"
		serve_stop TERM
		check_eq "web-1.18c[$kind]" "serve's exit status" 0 "$SERVE_RC"
		check_eq "web-1.18c[$kind]" "Kore processes left" "" \
		    "$(kore_left "$BAD_KORE")"
		check_eq "web-1.18c[$kind]" "worker restarts" 0 \
		    "$(grep -c 'restarting worker' "$SERVE_LOG")"
		no_sandbox_violation "web-1.18c[$kind]" "$SERVE_LOG"
		check_eq "web-1.18c[$kind]" "the file is unchanged" "$BEFORE_SUM" \
		    "$(fsum "$BAD")"
	else
		fail "web-1.18c[$kind]" "serve --db $BAD did not start (log $(show "$(cat "$SERVE_LOG")"))"
	fi
done

# --- 1.18d: a v2 file (tests/fixtures/db_v2.sql) is refused, unchanged, until a
# writing command upgrades it in place; then the same server reads it
V2=$T/v2.db
sqlite3 -batch "$V2" <"$FIXTURES/db_v2.sql"
BEFORE_SUM=$(fsum "$V2")
if serve_start v2 --db "$V2"; then
	V2_KORE=$KORE_PID
	expect_req web-1.18d GET '/run?id=1' 200 text/html
	body_has web-1.18d 'has schema v2, older than this stepbench'
	body_has web-1.18d 'run a writing command once'
	expect_req web-1.18d GET '/api/scaler?id=1' 503 application/json
	json_check web-1.18d "assert 'schema v2, older' in d['error'], d"
	check_eq web-1.18d "the v2 file is unchanged by serve" "$BEFORE_SUM" \
	    "$(fsum "$V2")"
	sb runs --db "$V2"
	expect_exit web-1.18e 0
	check_eq web-1.18e "runs upgraded it to the current schema" \
	    "$(sql_snap "$DB" "PRAGMA user_version")" "$(sql "$V2" "PRAGMA user_version")"
	expect_req web-1.18e GET /api/runs 200 application/json
	json_check web-1.18e 'assert sorted(r["label"] for r in d) == ["v2-fixture", "v2-gemm"], d'
	expect_req web-1.18e GET '/api/scaler?id=1' 200 application/json
	json_check web-1.18e 'assert d == [], d'
	expect_req web-1.18e GET '/api/curves?id=1' 200 application/json
	json_check web-1.18e '
assert len(d) == 6 and all(r["ref_loss"] is None for r in d), d'
	serve_stop TERM
	check_eq web-1.18e "serve's exit status" 0 "$SERVE_RC"
	check_eq web-1.18e "Kore processes left" "" "$(kore_left "$V2_KORE")"
	no_sandbox_violation web-1.18e "$SERVE_LOG"
else
	fail web-1.18d "serve --db $V2 did not start (log $(show "$(cat "$SERVE_LOG")"))"
fi

# --- 1.18f: a v3 file (tests/fixtures/db_v3.sql) likewise; once upgraded its
# results carry the quant_* keys, null
V3=$T/v3.db
sqlite3 -batch "$V3" <"$FIXTURES/db_v3.sql"
BEFORE_SUM=$(fsum "$V3")
if serve_start v3 --db "$V3"; then
	V3_KORE=$KORE_PID
	expect_req web-1.18f GET '/run?id=1' 200 text/html
	body_has web-1.18f 'has schema v3, older than this stepbench'
	expect_req web-1.18f GET '/api/results?id=1' 503 application/json
	json_check web-1.18f "assert 'schema v3, older' in d['error'], d"
	check_eq web-1.18f "the v3 file is unchanged by serve" "$BEFORE_SUM" \
	    "$(fsum "$V3")"
	sb runs --db "$V3"
	expect_exit web-1.18g 0
	check_eq web-1.18g "runs upgraded it to the current schema" \
	    "$(sql_snap "$DB" "PRAGMA user_version")" "$(sql "$V3" "PRAGMA user_version")"
	expect_req web-1.18g GET '/api/results?id=1' 200 application/json
	json_check web-1.18g '
cols = ("quant_per_channel", "quant_err_sym", "quant_err_affine",
        "quant_sat_act", "quant_sat_weight")
assert len(d) == 8 and all(k in r and r[k] is None for r in d for k in cols), d
assert [r["loss_divergence"] is not None for r in d[:3]] == [True, True, False], d'
	expect_req web-1.18g GET '/api/scaler?id=1' 200 application/json
	json_check web-1.18g 'assert len(d) == 8, d'
	serve_stop TERM
	check_eq web-1.18g "serve's exit status" 0 "$SERVE_RC"
	check_eq web-1.18g "Kore processes left" "" "$(kore_left "$V3_KORE")"
	no_sandbox_violation web-1.18g "$SERVE_LOG"
else
	fail web-1.18f "serve --db $V3 did not start (log $(show "$(cat "$SERVE_LOG")"))"
fi

# --- 1.18h: a v4 file (tests/fixtures/db_v4.sql) likewise; once upgraded its
# results carry the dp_* keys, null, and it has no all-reduces
V4=$T/v4.db
sqlite3 -batch "$V4" <"$FIXTURES/db_v4.sql"
BEFORE_SUM=$(fsum "$V4")
if serve_start v4 --db "$V4"; then
	V4_KORE=$KORE_PID
	expect_req web-1.18h GET '/run?id=1' 200 text/html
	body_has web-1.18h 'has schema v4, older than this stepbench'
	expect_req web-1.18h GET '/api/comm?id=1' 503 application/json
	json_check web-1.18h "assert 'schema v4, older' in d['error'], d"
	check_eq web-1.18h "the v4 file is unchanged by serve" "$BEFORE_SUM" \
	    "$(fsum "$V4")"
	sb runs --db "$V4"
	expect_exit web-1.18i 0
	check_eq web-1.18i "runs upgraded it to the current schema" \
	    "$(sql_snap "$DB" "PRAGMA user_version")" "$(sql "$V4" "PRAGMA user_version")"
	expect_req web-1.18i GET '/api/results?id=1' 200 application/json
	json_check web-1.18i '
dp = [k for k in d[0] if k.startswith("dp_")]
assert len(d) == 8 and len(dp) == 12 and all(r[k] is None for r in d for k in dp), d
assert [r["quant_per_channel"] for r in d] == [0, 0, 0, 0, None, None, None, None], d'
	expect_req web-1.18i GET '/api/comm?id=1' 200 application/json
	json_check web-1.18i 'assert d == [], d'
	serve_stop TERM
	check_eq web-1.18i "serve's exit status" 0 "$SERVE_RC"
	check_eq web-1.18i "Kore processes left" "" "$(kore_left "$V4_KORE")"
	no_sandbox_violation web-1.18i "$SERVE_LOG"
else
	fail web-1.18h "serve --db $V4 did not start (log $(show "$(cat "$SERVE_LOG")"))"
fi

# --- 1.19b: a reload right after a stop does not cancel the stop ---------------------
if serve_start term-hup --db "$DB"; then
	TH_KORE=$KORE_PID
	kill -TERM "$SERVE_PID"
	kill -HUP "$SERVE_PID"
	# no second signal: only the first TERM may stop it (bounded wait)
	for ((i = 0; i < 100; i++)); do
		kill -0 "$SERVE_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$SERVE_PID" 2>/dev/null; then
		fail web-1.19b "serve still runs 10 s after TERM then HUP"
		serve_stop KILL
	else
		wait "$SERVE_PID"
		check_eq web-1.19b "serve's exit status after TERM then HUP" 0 "$?"
	fi
	check_eq web-1.19b "Kore processes left" "" "$(kore_left "$TH_KORE")"
else
	fail web-1.19b "serve did not start (log $(show "$(cat "$SERVE_LOG")"))"
fi

# --- 1.20: bad options ---------------------------------------------------------------
for args in "--port 0" "--port 65536" "--port abc" "--bind 999.1.1.1" \
    "--bind example.com" "--workers 0" "--workers 65" "extra"; do
	# shellcheck disable=SC2086  # split on purpose
	sb serve --db "$DB" $args
	expect_exit "web-1.20[$args]" 2
	expect_stderr_contains "web-1.20[$args]" "Try 'stepbench serve --help'"
done
sb serve --help
expect_exit web-1.20b 0
expect_stdout_contains web-1.20b "usage: stepbench serve"

summary web_http
