#!/usr/bin/env bash
# tests/web/point.sh — a point's profiling data on the dashboard
# (docs/dashboard.md, schema v6): /api/point, /api/kernels, /api/profile
# and /api/compare_fp over HTTP against the database itself, bad and unknown
# run/point refs (400 / 404 with a message), then in headless Chromium the
# point page (kernel table by idx, per-phase sums beside the phase medians,
# the launch and time cross-check, imported metrics per launch, the empty
# states and what to run), the #points links to it, and the compare page's
# fingerprint warning (present when fingerprints differ, absent when
# equal).  Data: one real CPU sweep and three seeded runs
# (tests/web/seed_prof.sh: made-up figures, there is no GPU here).
#
#   bash tests/web/point.sh /path/to/stepbench
SEED_PROF=$(cd "$(dirname "$0")" && pwd)/seed_prof.sh
# shellcheck source=tests/web/lib.sh
. "$(dirname "$0")/lib.sh"

DB=$T/p.db
export TMPDIR=$T/tmp
mkdir -p "$TMPDIR"

# --- 8.1: a CPU run (no CUPTI) and three seeded profiled runs --------------
sb sweep --db "$DB" --variants train.fp32.cpu --shapes tutorial "${FAST[@]}"
expect_exit web-8.1 0
CPU=1
read -r P Q R < <(bash "$SEED_PROF" "$SB" "$DB" 2>"$T/seed.err")
check_cmd web-8.1 "seed_prof.sh stored three runs ($(show "$(cat "$T/seed.err")"))" \
    test -n "${R:-}"
if ! serve_start main --db "$DB"; then
	fail web-8.1 "serve did not start (log $(show "$(cat "$SERVE_LOG")"))"
	summary web_point
fi

# dbcheck ID PYTHON: PYTHON with d = the last body (JSON) and c = the database
dbcheck() {
	check_cmd "$1" "JSON against the database" python3 -c "
import json, sqlite3, sys
d = json.load(open(sys.argv[1]))
c = sqlite3.connect(sys.argv[2])
P, Q, R = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
$2" "$T/body" "$DB" "$P" "$Q" "$R"
}

# --- 8.2: /api/kernels: the point's CUPTI records, by idx ---------------------
expect_req web-8.2 GET "/api/kernels?run=$P&point=0" 200 'application/json; charset=utf-8'
dbcheck web-8.2 '
cols = ("idx", "kind", "name", "phase", "stream", "grid_x", "grid_y", "grid_z",
        "block_x", "block_y", "block_z", "regs", "static_smem", "dyn_smem",
        "local_bytes", "bytes", "duration_us", "start_us")
want = c.execute("SELECT " + ", ".join("k." + x for x in cols) + """ FROM kernel k
    JOIN result r ON r.id = k.result_id WHERE r.run_id = ? AND r.point_idx = 0
    ORDER BY k.idx""", (P,)).fetchall()
assert len(want) == 6, want
assert [tuple(x[k] for k in cols) for x in d] == [tuple(w) for w in want], d
assert all(set(x) == set(cols) for x in d), d[0]
assert d[2]["name"].startswith("void sb_gemm<128, 64>") and d[3]["grid_x"] is None, d'
expect_req web-8.2b GET "/api/kernels?run=$P&point=0&format=csv" 200 'text/csv; charset=utf-8'
expect_header web-8.2b content-disposition "attachment; filename=\"kernels-$P-0.csv\""
check_cmd web-8.2b "CSV: a header and 6 rows, the template name quoted" python3 -c '
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
assert len(rows) == 6 and rows[3]["grid_x"] == "" and rows[3]["bytes"] == "512", rows
assert rows[2]["name"] == "void sb_gemm<128, 64>(float const*, float*) & co", rows[2]' "$T/body"
for pt in 2 3; do
	expect_req "web-8.2c[$pt]" GET "/api/kernels?run=$P&point=$pt" 200 application/json
	json_check "web-8.2c[$pt]" 'assert d == [], d'
done
expect_req web-8.2c GET "/api/kernels?run=$CPU&point=0" 200 application/json
json_check web-8.2c 'assert d == [], d'

# --- 8.3: /api/profile: imported values with their session ---------------------
expect_req web-8.3 GET "/api/profile?run=$P&point=0" 200 application/json
dbcheck web-8.3 '
want = c.execute("""SELECT s.tool, s.report, s.command, s.tool_version, p.launch,
    p.kernel, p.phase, p.metric, p.unit, p.value, p.text FROM profile p
    JOIN profile_session s ON s.id = p.session_id JOIN result r ON r.id = p.result_id
    WHERE r.run_id = ? AND r.point_idx = 0 ORDER BY s.id, p.launch, p.idx""", (P,)).fetchall()
keys = ("tool", "report", "command", "tool_version", "launch", "kernel", "phase",
        "metric", "unit", "value", "text")
assert len(want) == 7 and [tuple(x[k] for k in keys) for x in d] == [tuple(w) for w in want], d
assert {"session_id", "imported_at", "idx"} <= set(d[0]), d[0]
t = [x for x in d if x["text"] is not None]
assert len(t) == 1 and t[0]["value"] is None and t[0]["text"] == "CachePreferNone", t
assert [x["tool"] for x in d] == ["ncu"] * 6 + ["nsys"], d'
expect_req web-8.3b GET "/api/profile?run=$P&point=1" 200 application/json
json_check web-8.3b 'assert d == [], d'
expect_req web-8.3b GET "/api/profile?run=$P&point=0&format=csv" 200 text/csv
expect_header web-8.3b content-disposition "attachment; filename=\"profile-$P-0.csv\""

# --- 8.4: /api/point and the v6 columns of /api/results --------------------------
expect_req web-8.4 GET "/api/point?run=$P&point=0" 200 application/json
dbcheck web-8.4 '
assert len(d) == 1, d
x = d[0]
w = c.execute("""SELECT launches, cupti, cupti_steps, cupti_launches, cupti_kernel_us,
    cupti_event_us, fingerprint, fingerprint_json FROM result WHERE run_id = ? AND
    point_idx = 0""", (P,)).fetchone()
assert (x["launches"], x["cupti"], x["cupti_steps"], x["cupti_launches"],
        x["cupti_kernel_us"], x["cupti_event_us"], x["fingerprint"],
        x["fingerprint_json"]) == tuple(w), (x, w)
assert json.loads(x["phases_json"]) == {"forward": 13, "loss": 4, "backward.wgrad": 14,
                                        "sgd": 5}, x["phases_json"]
assert x["nkernels"] == 6 and x["nprofile"] == 7 and x["variant"] == "train.fp32.warptile", x'
expect_req web-8.4b GET "/api/point?run=$CPU&point=0" 200 application/json
json_check web-8.4b '
x = d[0]
assert x["cupti"] is None and x["nkernels"] == 0 and x["nprofile"] == 0, x'
expect_req web-8.4c GET "/api/results?id=$P" 200 application/json
dbcheck web-8.4c '
cols = ("launches", "cupti", "cupti_steps", "cupti_launches", "cupti_kernel_us",
        "cupti_event_us", "fingerprint")
want = c.execute("SELECT point_idx, " + ", ".join(cols) + " FROM result WHERE run_id = ? "
                 "ORDER BY point_idx", (P,)).fetchall()
assert [tuple([x["point_idx"]] + [x[k] for k in cols]) for x in d] == [tuple(w) for w in want], d
assert d[2]["cupti"] == "off: --no-cupti" and d[3]["fingerprint"] is None, d'

# --- 8.5: bad refs: 400 (malformed), 404 (unknown) with a message --------------
for bad in "run=$P" 'point=0' "run=$P&point=" "run=$P&point=-1" "run=$P&point=abc" \
    "run=$P&point=1&point=2" "run=$P&point=2147483648" "run=$P&point=0x1" \
    "run=0&point=0" "run=x&point=0" "id=$P&point=0" "run=$P&point=%"; do
	for r in /api/kernels /api/profile /api/point; do
		expect_req "web-8.5[$r?$bad]" GET "$r?$bad" 400 application/json &&
		json_check "web-8.5[$r?$bad]" 'assert set(d) == {"error"} and d["error"], d'
	done
	expect_req "web-8.5[/point?$bad]" GET "/point?$bad" 400 text/html &&
	body_has "web-8.5[/point?$bad]" '<footer id="status" data-state="error">'
done
req GET "/api/kernels?run=$P"
json_check web-8.5b 'assert "point" in d["error"] and "?run=1&point=0" in d["error"], d'
for r in /api/kernels /api/profile /api/point; do
	expect_req "web-8.6[$r]" GET "$r?run=999&point=0" 404 application/json &&
	json_check "web-8.6[$r]" 'assert d == {"error": "no run 999"}, d'
	expect_req "web-8.6[$r]" GET "$r?run=$P&point=99" 404 application/json &&
	json_check "web-8.6[$r]" "assert d['error'].startswith('no point 99 in run $P;'), d"
done
expect_req web-8.6b GET "/point?run=$P&point=99" 404 text/html
body_has web-8.6b "no point 99 in run $P"
body_has web-8.6b '<footer id="status" data-state="error">'
expect_req web-8.6b GET '/point?run=999&point=0' 404 text/html
body_has web-8.6b 'no run 999'
expect_req web-8.6c GET "/point?run=$P&point=0" 200 text/html
body_has web-8.6c "<body data-page=\"point\" data-run=\"$P\" data-point=\"0\">"
body_has web-8.6c "point 0</span>"

# --- 8.7: /api/compare_fp: what differs, and nothing when fingerprints agree -----
expect_req web-8.7 GET "/api/compare_fp?a=$P&b=$Q" 200 application/json
json_check web-8.7 '
got = [(x["a_point"], x["b_point"], x["key"], x["a_value"], x["b_value"]) for x in d]
want = [(0, 0, "nvcc_flags", "-O3 -lineinfo", "-O3 -lineinfo -G"),
        (0, 0, "kernels[gemm_f32.extra.nn]", None, "OBJ"),
        (0, 0, "kernels[gemm_f32.warptile.nt].local_bytes", 0, 64),
        (0, 0, "kernels[gemm_f32.warptile.nt].regs", 128, 96),
        (2, 2, "driver", "13.0", "13.1"),
        (2, 2, "nccl", None, "2.27.3")]
got = [g if not g[2].endswith("extra.nn]") else g[:4] + ("OBJ",) for g in got]
assert got == want, got
assert json.loads(d[1]["b_value"])["name"] == "gemm_f32.extra.nn", d[1]
assert all(x["a_fingerprint"] != x["b_fingerprint"] and x["variant"] for x in d), d'
expect_req web-8.7b GET "/api/compare_fp?a=$P&b=$R" 200 application/json
json_check web-8.7b 'assert d == [], d'
expect_req web-8.7b GET "/api/compare_fp?a=$P&b=$CPU&format=csv" 200 text/csv
expect_header web-8.7b content-disposition "attachment; filename=\"compare_fp-$P-$CPU.csv\""
expect_req web-8.7c GET "/api/compare?a=$P&b=$Q" 200 application/json
json_check web-8.7c '
fp = [(x["a_point"], x["a_fingerprint"] == x["b_fingerprint"], x["a_fingerprint"] is None)
      for x in d]
assert fp == [(0, False, False), (1, True, False), (2, False, False), (3, True, True)], fp'
expect_req web-8.7d GET '/api/compare_fp?a=1&b=999' 404 application/json

# --- 8.8: the pages in headless Chromium -----------------------------------------
if ! command -v chromium >/dev/null 2>&1; then
	echo "note: chromium is not installed; the page checks (web-8.8..) are skipped"
	summary web_point
fi
# dom NAME PATH: the rendered DOM in $T/NAME.html, Chromium's log in .log
dom() {
	local profile
	profile=$(mktemp -d "$T/chromium.XXXXXX")
	timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-quic \
	    --no-first-run --disable-background-networking \
	    --disable-component-update --disable-sync --disable-dev-shm-usage \
	    --user-data-dir="$profile" --virtual-time-budget=5000 \
	    --enable-logging=stderr --v=0 --dump-dom "$BASE$2" \
	    >"$T/$1.html" 2>"$T/$1.log"
	check_cmd "web-8.8[$1]" "chromium rendered $2" test -s "$T/$1.html"
	check_eq "web-8.8[$1]" "console errors" "" "$(grep CONSOLE "$T/$1.log" |
	    grep -E 'Uncaught|Error|Failed to load|Refused|violat')"
}
# domcheck ID NAME PYTHON: PYTHON with e = the elements of $T/NAME.html as
# (tag, attrs, text, ancestor ids), db = the database, P/Q/R/CPU the runs
domcheck() {
	check_cmd "$1" "DOM of $2" python3 -c "
import html.parser, json, sqlite3, sys
class D(html.parser.HTMLParser):
    VOID = {'br', 'img', 'input', 'meta', 'link', 'hr', 'col'}
    def __init__(s):
        super().__init__(); s.e = []; s.st = []
    def handle_starttag(s, t, a):
        a = dict(a); x = [t, a, '', [y[1].get('id') for y in s.st if y[1].get('id')]]
        s.e.append(x)
        if t not in s.VOID: s.st.append(x)
    def handle_endtag(s, t):
        while s.st:
            if s.st.pop()[0] == t: break
    def handle_data(s, d):
        for y in s.st: y[2] += d
p = D(); text = open(sys.argv[1], encoding='utf-8').read(); p.feed(text)
e = p.e
db = sqlite3.connect(sys.argv[2])
P, Q, R, CPU = (int(x) for x in sys.argv[3:7])
one = lambda f: [x for x in e if f(x)]
status = one(lambda x: x[1].get('id') == 'status')[0][1]
assert status.get('data-state') == 'ready', (status, one(lambda x: x[1].get('id') == 'error'))
$3" "$T/$2.html" "$DB" "$P" "$Q" "$R" "$CPU"
}

dom point0 "/point?run=$P&point=0"
domcheck web-8.9 point0 '
rows = one(lambda x: x[0] == "tr" and "kernels" in x[3] and "data-idx" in x[1])
assert [int(r[1]["data-idx"]) for r in rows] == list(range(6)), rows
assert rows[2][1]["data-name"] == "void sb_gemm<128, 64>(float const*, float*) & co", rows[2]
assert "&lt;128, 64&gt;" in text and "<128," not in text.replace("data-name=", ""), "escaped"
assert "16×1×1" not in text and "4×2×1" in rows[0][2] and "256×1×1" in rows[0][2], rows[0][2]
# per phase: the kernels summed beside the phase medians, in step order
want = {}
for ph, us in db.execute("""SELECT k.phase, k.duration_us FROM kernel k JOIN result r
        ON r.id = k.result_id WHERE r.run_id = ? AND r.point_idx = 0""", (P,)):
    n, s = want.get(ph, (0, 0.0)); want[ph] = (n + 1, s + us)
med = dict(db.execute("""SELECT p.name, p.median_us FROM phase p JOIN result r ON
    r.id = p.result_id WHERE r.run_id = ? AND r.point_idx = 0""", (P,)))
ps = one(lambda x: x[0] == "tr" and "phase-sums" in x[3] and "data-phase" in x[1])
assert [x[1]["data-phase"] for x in ps] == ["forward", "loss", "backward.wgrad", "sgd"], ps
for x in ps:
    a = x[1]; n, s = want[a["data-phase"]]
    assert int(a["data-kernels"]) == n and abs(float(a["data-kernel-us"]) - s) < 1e-9, a
    assert float(a["data-median-us"]) == med[a["data-phase"]], a
cc = {x[1]["data-check"]: x[1] for x in one(lambda x: x[0] == "li" and "data-check" in x[1])}
assert cc["launches"]["data-verdict"] == "match" and cc["launches"]["data-declared"] == "6", cc
assert abs(float(cc["time"]["data-pct"]) - 100 * 31.5 / 38) < 1e-9, cc["time"]
assert cc["cupti"]["data-cupti"] == "ok", cc
# imported metrics, per session and launch
ses = one(lambda x: x[0] == "section" and "data-session" in x[1])
assert [x[1]["data-tool"] for x in ses] == ["ncu", "nsys"], ses
ln = one(lambda x: x[0] == "div" and "data-launch" in x[1])
assert [(x[1]["data-launch"], x[1]["data-kernel"]) for x in ln] == [("0", "gemm_f32.warptile.nt"),
    ("2", "void sb_gemm<128, 64>(float const*, float*) & co"), ("5", "sgd_update"),
    ("0", "gemm_f32.warptile.nt")], ln
m = one(lambda x: x[0] == "tr" and "data-metric" in x[1])
got = [(x[1]["data-metric"], x[1]["data-value"], x[1]["data-unit"]) for x in m]
assert got[:3] == [("gpu__time_duration.sum", "11.84", "usecond"),
    ("launch__registers_per_thread", "128", "register/thread"),
    ("dram__bytes_read.sum", "1234567", "byte")] and len(got) == 7, got
assert ("launch__func_cache_config", "CachePreferNone", "") in got, got
assert "ncu --clock-control none" in text and not one(lambda x: "data-absent" in x[1]), "no empty states"'

dom point1 "/point?run=$P&point=1"
domcheck web-8.10 point1 '
cc = {x[1]["data-check"]: x[1] for x in one(lambda x: x[0] == "li" and "data-check" in x[1])}
assert cc["launches"]["data-verdict"] == "differs" and cc["launches"]["data-cupti"] == "5", cc
ab = {x[1]["data-absent"]: x[2] for x in one(lambda x: "data-absent" in x[1])}
assert list(ab) == ["profile"], ab
assert ab["profile"].startswith("no profile: stepbench profile ncu -- sweep --variants"), ab
k = one(lambda x: x[0] == "tr" and "data-idx" in x[1])
assert [x[1]["data-kind"] for x in k] == ["memcpy", "kernel", "kernel", "kernel", "kernel"], k
assert "–" in k[0][2], "a memcpy has no grid"'

dom point2 "/point?run=$P&point=2"
domcheck web-8.11 point2 '
ab = {x[1]["data-absent"]: x[2] for x in one(lambda x: "data-absent" in x[1])}
assert ab["kernels"] == "no CUPTI trace: run without --no-cupti on a GPU (this point: CUPTI off: --no-cupti)", ab
assert "profile" in ab and "fingerprint" not in ab, ab
assert one(lambda x: x[1].get("id") == "fingerprint"), "the provenance block"'

dom pointcpu "/point?run=$CPU&point=0"
domcheck web-8.12 pointcpu '
ab = {x[1]["data-absent"]: x[2] for x in one(lambda x: "data-absent" in x[1])}
assert ab["kernels"] == "no CUPTI trace: run without --no-cupti on a GPU", ab
cc = {x[1]["data-check"]: x[1] for x in one(lambda x: x[0] == "li" and "data-check" in x[1])}
assert cc["launches"]["data-verdict"] == "unknown" and cc["cupti"]["data-cupti"] == "none", cc'

dom runp "/run?id=$P"
domcheck web-8.13 runp '
links = [x[1]["href"] for x in one(lambda x: x[0] == "a" and "point-link" in x[1].get("class", ""))]
assert links == ["/point?run=%d&point=%d" % (P, i) for i in range(4)], links'

dom cmpq "/compare?a=$P&b=$Q"
domcheck web-8.14 cmpq '
w = one(lambda x: x[1].get("id") == "fp-warning")
assert len(w) == 1 and w[0][1]["data-points"] == "2", w
keys = [x[1]["data-key"] for x in one(lambda x: x[0] == "li" and "fp-warning" in x[3])]
assert sorted(keys) == sorted(["nvcc_flags", "kernels[gemm_f32.extra.nn]",
    "kernels[gemm_f32.warptile.nt].local_bytes", "kernels[gemm_f32.warptile.nt].regs",
    "driver", "nccl"]), keys
assert "-O3 -lineinfo vs -O3 -lineinfo -G" in w[0][2] and "(none) vs present" in w[0][2], w[0][2]
fp = [x[1]["data-fingerprint"] for x in one(lambda x: x[0] == "tr" and "data-verdict" in x[1])]
assert fp == ["differs", "same", "differs", "unknown"], fp'

dom cmpr "/compare?a=$P&b=$R"
domcheck web-8.15 cmpr '
assert not one(lambda x: x[1].get("id") == "fp-warning"), "no warning when fingerprints agree"
fp = [x[1]["data-fingerprint"] for x in one(lambda x: x[0] == "tr" and "data-verdict" in x[1])]
assert fp == ["same", "same", "same", "unknown"], fp'

serve_stop TERM
check_eq web-8.16 "serve's exit status" 0 "$SERVE_RC"
no_sandbox_violation web-8.16 "$SERVE_LOG"
summary web_point
