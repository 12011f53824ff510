#!/usr/bin/env bash
# tests/web/browser.sh STEPBENCH — the dashboard's front end in headless Chromium.
#
# Makes a database with two real CPU sweeps (the first labelled with a
# <script> tag, the second without loss curves and with another "host" in
# its environment record), a third, mixed-precision run C seeded by
# tests/web/seed_amp.sh and a fourth, dynamic-int8 run D seeded by
# tests/web/seed_int8.sh (made-up figures: there is no GPU), and a
# data-parallel run E and an allreduce run F seeded by tests/web/seed_dp.sh
# (made-up figures: there is no multi-GPU machine), starts `stepbench
# serve` on a free port, loads /, /run?id=A ... /run?id=F and
# /compare?a=A&b=B with --dump-dom and checks:
#   - #status is data-state="ready" with data-charts = the charts that run
#     has data for, worked out here from the database itself (not the API):
#     throughput/time (ok points), baseline (an ok cuBLAS(Lt) point at the
#     same mode/precision/shape), roofline (ok, flops and bytes), phases
#     (phase rows), amp (amp.unscale/amp.update phase rows),
#     quant-overhead (an int8dyn point with forward, int8.scale and
#     int8.quant timed, int8.dequant timed or absent), error (ok with a
#     non-zero error), quant-error (an ok int8dyn point with either
#     quant_err), loss (loss curves), scale (scaler rows), dp-buckets
#     (comm rows of a data-parallel step), allreduce (comm rows of an ok
#     allreduce.* row with a busbw); every other chart is a "no … in this
#     run" line (data-absent), and a run without int8dyn rows has neither
#     int8 chart;
#   - the dp-buckets chart has a bar series per data-parallel point, a
#     category per bucket, and its table a row per data-parallel step
#     with the hidden %, exposed µs and overhead % the database gives;
#     the allreduce chart has a line per (backend, dtype, op, place,
#     graph, world) and lists each line's peak busbw and its size, as
#     the database gives them; the drawn Chart objects (over CDP) hold
#     exactly the stored busbw of every bucket and every size;
#   - the amp chart lists each point's share, 100·(amp.unscale +
#     amp.update) / sum of phases, as the database gives it; the loss
#     chart draws an fp32 reference curve exactly for the points that
#     have ref_loss and lists their divergence; the scale chart has a
#     line per point with a trajectory and counts its skipped steps;
#   - the quant-overhead chart lists each int8dyn point's 100 ·
#     (int8.scale + int8.quant + int8.dequant) / forward, its granularity
#     and whether it dequantised in the GEMM, "not measured" (no bar)
#     where a phase has no time; the quant-error chart lists each point's
#     two errors and saturation counts, 'none' where NULL; both as the
#     database gives them, and the drawn Chart objects (over CDP) hold
#     exactly those values;
#   - the series (canvas fallback lists) name every variant; the phases
#     chart has exactly the points with phase rows, the loss chart exactly
#     those with curves; the #points table has a row per result;
#   - every chart's JSON and CSV links answer 200;
#   - the hostile label is text (&lt;script&gt;…), never a script element;
#   - the compare page warns about the environment difference, and its
#     table and summary agree with the points both runs have;
#   - Chromium's console has no errors (Uncaught, Error, Failed to load,
#     Refused …: CSP violations included);
#   - clicks, driven over Chromium's --remote-debugging-pipe (CDP, no extra
#     packages): each click on a #points header sorts the rows (then
#     reverses them; run C's "vs fp32" and run D's "int8 err sym" too,
#     whose NULLs read "not measured" and sort last, and run E's dp-summary
#     "hidden %"), ticking two runs enables
#     Compare, which opens /compare?a=A&b=B; no exception or console error
#     meanwhile.
# Writes screenshots of the run pages to ${TEST_OUT:-$PWD}/web-run-page.png,
# web-amp-page.png, web-int8-page.png and web-dp-page.png.
# Exit 77 (skipped) only when chromium or kore is missing.
set -u

SB=${1:?usage: browser.sh path/to/stepbench}
case $SB in /*) ;; *) SB=$PWD/$SB ;; esac
SEED_AMP=$(cd "$(dirname "$0")" && pwd)/seed_amp.sh
SEED_INT8=$(cd "$(dirname "$0")" && pwd)/seed_int8.sh
SEED_DP=$(cd "$(dirname "$0")" && pwd)/seed_dp.sh
if [ -n "${SB_WEB_SKIP:-}" ]; then
	echo "web_browser: skipped: $SB_WEB_SKIP"
	exit 77
fi
for prog in chromium kore; do
	if ! command -v "$prog" >/dev/null 2>&1; then
		echo "web_browser: skipped: $prog is not installed" \
		    "(apt-get install chromium kore)"
		exit 77
	fi
done
if ! command -v python3 >/dev/null 2>&1; then
	echo "web_browser: python3 is needed (scripts/install-deps installs it)"
	exit 1
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/sb-web-browser.XXXXXX")
OUT=${TEST_OUT:-$PWD}
SERVER_PID=
PASS=0
FAIL=0
CHECKS=0

# descendants PID: the ids of every process below PID (serve -> kore -> workers).
descendants() {
	local child
	for child in $(ps -o pid= --ppid "$1" 2>/dev/null); do
		echo "$child"
		descendants "$child"
	done
}

cleanup() {
	local pids p
	if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
		# serve stops kore on SIGTERM; whatever is left after 5 s is
		# killed by id (kore may sit in a process group of its own).
		pids=$(descendants "$SERVER_PID")
		kill -TERM "$SERVER_PID" 2>/dev/null
		for _ in $(seq 50); do
			kill -0 "$SERVER_PID" 2>/dev/null || break
			sleep 0.1
		done
		for p in $SERVER_PID $pids; do
			kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null
		done
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pass() { PASS=$((PASS + 1)); echo "ok   $1"; }
fail() { FAIL=$((FAIL + 1)); echo "FAIL $1"; }
finish() {
	echo "web_browser: $PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ] && [ "$PASS" -gt 0 ]
	exit $?
}

# ------------------------------------------------------------ database
DB=$WORK/web.db
HOSTILE='<script>alert(1)</script>'
common=(--db "$DB" --variants '*.cpu' --shapes tutorial,16x8x4,64x64x64
    --layers 1,2 --timeout 0.1 --min-samples 2)
if ! timeout 120 "$SB" sweep "${common[@]}" --steps 20 --label "$HOSTILE" \
    --note 'browser test: a hostile label and loss curves' \
    >"$WORK/sweep1.log" 2>&1; then
	cat "$WORK/sweep1.log"
	fail "sweep 1 (CPU variants, --steps 20)"
	finish
fi
if ! timeout 120 "$SB" sweep "${common[@]}" --label 'no loss curves' \
    --note 'browser test: the second run' >"$WORK/sweep2.log" 2>&1; then
	cat "$WORK/sweep2.log"
	fail "sweep 2 (CPU variants)"
	finish
fi
pass "two CPU sweeps into $DB"
if ! RUN_C=$(bash "$SEED_AMP" "$SB" "$DB" 2>"$WORK/seed.err") ||
    [ -z "$RUN_C" ]; then
	cat "$WORK/seed.err"
	fail "seed a mixed-precision run (tests/web/seed_amp.sh)"
	finish
fi
pass "a seeded mixed-precision run $RUN_C"
if ! RUN_D=$(bash "$SEED_INT8" "$SB" "$DB" 2>"$WORK/seed8.err") ||
    [ -z "$RUN_D" ]; then
	cat "$WORK/seed8.err"
	fail "seed a dynamic-int8 run (tests/web/seed_int8.sh)"
	finish
fi
pass "a seeded dynamic-int8 run $RUN_D"
if ! DP_IDS=$(bash "$SEED_DP" "$SB" "$DB" 2>"$WORK/seeddp.err") ||
    ! read -r RUN_E RUN_F <<<"$DP_IDS" || [ -z "${RUN_F:-}" ]; then
	cat "$WORK/seeddp.err"
	fail "seed data-parallel and allreduce runs (tests/web/seed_dp.sh)"
	finish
fi
pass "seeded data-parallel run $RUN_E and allreduce run $RUN_F"

# The Python half: expected figures from the database, DOM checks.
cat >"$WORK/check.py" <<'EOF'
import html.parser, json, os, select, sqlite3, subprocess, sys, tempfile, time, urllib.request

def db():
    return sqlite3.connect(sys.argv[2])

def run_ids(c):
    return [r[0] for r in c.execute('select id from run order by id')]

ERRS = ['err_y', 'err_loss', 'err_dw', 'err_db', 'err_dx', 'err_w', 'err_recheck']
INT8 = "(r.precision = 'int8dyn' or r.variant like '%.int8dyn.%')"

def quant_pct(c, rid):
    """point -> 100 * (int8.scale + int8.quant + int8.dequant) / forward, or
    None where forward, int8.scale, int8.quant or a stored int8.dequant has
    no time (an absent int8.dequant: dequantised in the GEMM, 0), for each
    int8dyn point with phase rows; with its granularity and dequant kind."""
    ph = lambda n, a: ("left join phase %s on %s.result_id = r.id and %s.name = '%s'" %
                       (a, a, a, n))
    return {i: (pct, pc, dq) for i, pct, pc, dq in c.execute(
        """select r.point_idx, case when f.median_us > 0 and s.median_us is not null and
        q.median_us is not null and (d.result_id is null or d.median_us is not null)
        then 100.0 * (s.median_us + q.median_us + coalesce(d.median_us, 0)) / f.median_us
        end, r.quant_per_channel, case when d.result_id is null then 'fused' else 'separate' end
        from result r """ + ' '.join((ph('forward', 'f'), ph('int8.scale', 's'),
        ph('int8.quant', 'q'), ph('int8.dequant', 'd'))) + """
        where r.run_id = :r and """ + INT8 + """ and
        exists (select 1 from phase x where x.result_id = r.id)""", {'r': rid})}

def quant_err(c, rid):
    """point -> (err_sym, err_affine, sat_act, sat_weight, per_channel) of each
    int8dyn point that was checked (ok or mismatch)."""
    return {r[0]: tuple(r[1:]) for r in c.execute(
        """select point_idx, quant_err_sym, quant_err_affine, quant_sat_act,
        quant_sat_weight, quant_per_channel from result r where r.run_id = :r and """ +
        INT8 + " and r.status in ('ok', 'mismatch')", {'r': rid})}

AR = "r.variant like 'allreduce.%'"

def ar_key(backend, dtype, op, inplace, graph, world):
    """The allreduce chart's line label (app.js specAllreduce)."""
    return ' \u00b7 '.join(x for x in (backend, dtype, op,
        'in-place' if inplace == 1 else 'out-of-place', 'graph' if graph else '',
        'world %d' % world) if x)

def dp_buckets(c, rid):
    """point -> [busbw of bucket 0, 1, ...] of each data-parallel step."""
    out = {}
    for i, b, bw in c.execute("""select r.point_idx, m.bucket, m.busbw_gbps from comm m
            join result r on r.id = m.result_id where r.run_id = :r and not """ + AR +
            " order by r.point_idx, m.bucket", {'r': rid}):
        out.setdefault(i, []).append((b, bw))
    return out

def ar_lines(c, rid):
    """allreduce line label -> [(bytes, busbw)] by size."""
    out = {}
    for row in c.execute("""select r.dp_backend, r.dp_compress, r.dp_op, r.dp_inplace,
            r.graph, r.world, m.bytes, m.busbw_gbps from comm m join result r on
            r.id = m.result_id where r.run_id = :r and """ + AR + """ and
            r.status = 'ok' and m.busbw_gbps is not null and m.bytes > 0
            order by r.point_idx""", {'r': rid}):
        out.setdefault(ar_key(*row[:6]), []).append((row[6], row[7]))
    return {k: sorted(v) for k, v in out.items()}

def expect_run(c, rid):
    """Which charts run rid has data for, from the tables (docs/dashboard.md)."""
    ok = "run_id = :r and status = 'ok' and median_us > 0"
    one = lambda sql: c.execute(sql, {'r': rid}).fetchone()[0]
    has = {
        'throughput': one('select count(*) from result where ' + ok + ' and tflops > 0'),
        'time': one('select count(*) from result where ' + ok),
        'baseline': one("""select count(*) from result r where r.run_id = :r and
            r.status = 'ok' and r.median_us > 0 and exists (select 1 from result b
            where b.run_id = r.run_id and b.impl in ('cublas', 'cublaslt') and
            b.status = 'ok' and b.median_us > 0 and b.mode = r.mode and
            b.precision = r.precision and b.m = r.m and b.n = r.n and b.k = r.k
            and b.layers = r.layers and b.world = r.world and b.graph = r.graph)"""),
        'roofline': one('select count(*) from result where ' + ok +
                        ' and tflops > 0 and flops > 0 and bytes > 0'),
        'phases': one('select count(*) from phase p join result r on r.id = p.result_id where r.run_id = :r'),
        'error': one('select count(*) from result where ' + ok + ' and tflops > 0 and (' +
                     ' or '.join('coalesce(%s, 0) > 0' % e for e in ERRS) + ')'),
        'amp': one("""select count(*) from phase p join result r on r.id = p.result_id
            where r.run_id = :r and p.name in ('amp.unscale', 'amp.update')"""),
        'loss': one('select count(*) from loss_curve l join result r on r.id = l.result_id where r.run_id = :r'),
        'scale': one('select count(*) from scaler s join result r on r.id = s.result_id where r.run_id = :r'),
        'quant-overhead': any(v[0] is not None for v in quant_pct(c, rid).values()),
        'quant-error': any(v[0] is not None or v[1] is not None for v in quant_err(c, rid).values()),
        'dp-buckets': bool(dp_buckets(c, rid)),
        'allreduce': bool(ar_lines(c, rid)),
    }
    order = ['throughput', 'time', 'baseline', 'roofline', 'phases', 'amp', 'quant-overhead',
             'error', 'quant-error', 'loss', 'scale', 'dp-buckets', 'allreduce']
    q = lambda sql: [x[0] for x in c.execute(sql, {'r': rid})]
    d = lambda sql: {a: b for a, b in c.execute(sql, {'r': rid})}
    return {
        'charts': [n for n in order if has[n]],
        'absent': [n for n in order if not has[n]],
        'points': one('select count(*) from result where run_id = :r'),
        'variants': q("select distinct variant from result where " + ok + " order by 1"),
        'phase_points': q("""select distinct r.point_idx from result r join phase p
            on p.result_id = r.id where r.run_id = :r order by 1"""),
        'phase_reps': q("""select distinct r.reps from result r join phase p
            on p.result_id = r.id where r.run_id = :r order by 1"""),
        'loss_points': q("""select distinct r.point_idx from result r join loss_curve l
            on l.result_id = r.id where r.run_id = :r order by 1"""),
        'ref_points': q("""select distinct r.point_idx from result r join loss_curve l
            on l.result_id = r.id where r.run_id = :r and l.ref_loss is not null order by 1"""),
        'amp_pct': d("""select r.point_idx, 100.0 * sum(case when p.name in ('amp.unscale',
            'amp.update') then p.median_us else 0 end) / sum(p.median_us) from result r
            join phase p on p.result_id = r.id where r.run_id = :r group by r.id
            having sum(p.name in ('amp.unscale', 'amp.update')) > 0"""),
        'divergence': d("""select r.point_idx, r.loss_divergence from result r where
            r.run_id = :r and r.nsteps > 0 and (r.loss_divergence is not null or exists
            (select 1 from loss_curve l where l.result_id = r.id and l.ref_loss is not null))"""),
        'skipped': d("""select r.point_idx, sum(s.skipped) from result r join scaler s
            on s.result_id = r.id where r.run_id = :r group by r.id"""),
        'int8_rows': one('select count(*) from result r where r.run_id = :r and ' + INT8),
        'int8_null_sym': one('select count(*) from result r where r.run_id = :r and ' + INT8 +
                             ' and r.quant_err_sym is null'),
        'quant_pct': quant_pct(c, rid),
        'quant_err': quant_err(c, rid),
        'dp_buckets': dp_buckets(c, rid),
        'dp_summary': {r[0]: tuple(r[1:]) for r in c.execute(
            """select point_idx, 100.0 * dp_overlap_frac, dp_exposed_us, 100.0 * dp_overhead
            from result r where r.run_id = :r and r.dp_backend is not null and not """ + AR,
            {'r': rid})},
        'ar_lines': ar_lines(c, rid),
    }

class Dom(html.parser.HTMLParser):
    """Just what the checks need from a dumped page."""
    def __init__(self):
        super().__init__()
        self.status = None
        self.error_hidden = None
        self.error_text = ''
        self.charts = []          # data-chart names, in order
        self.absent = []
        self.series = {}          # chart -> [dataset labels]
        self.categories = {}      # chart -> [category labels]
        self.figures = {}         # chart -> [attributes of li[data-point]]
        self.links = []           # chart / table JSON and CSV links
        self.scripts = []         # (src, text)
        self.rows = {}            # table id -> tbody rows
        self.dp_rows = []         # attributes of #dp-summary's rows
        self.peaks = []           # attributes of the allreduce chart's li
        self.verdicts = {}
        self.warning = []
        self.summary = ''
        self.runs_links = []
        self._chart = None
        self._list = None
        self._li = None
        self._script = None
        self._table = None
        self._tbody = False
        self._in = []             # stack of (tag, tracked-name)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        track = None
        if tag == 'footer' and a.get('id') == 'status':
            self.status = a
        elif a.get('id') == 'error':
            self.error_hidden = 'hidden' in a
            track = 'error'
        elif tag == 'section' and 'chart' in (a.get('class') or '').split():
            self._chart = a.get('data-chart')
            self.charts.append(self._chart)
            self.series[self._chart] = []
            self.categories[self._chart] = []
            track = 'chart'
        elif tag == 'p' and 'data-absent' in a:
            self.absent.append(a['data-absent'])
        elif tag == 'ul' and self._chart and a.get('class') in ('series', 'categories'):
            self._list = a['class']
        elif tag == 'li' and self._chart and not self._list and 'data-point' in a:
            self.figures.setdefault(self._chart, []).append(a)
        elif tag == 'li' and self._chart and not self._list and 'data-peak-busbw' in a:
            self.peaks.append(a)
        elif tag == 'li' and self._list:
            self._li = ''
        elif tag == 'li' and any(t == 'warning' for _, t in self._in):
            self.warning.append('')
            track = 'warnli'
        elif tag == 'div' and a.get('id') == 'env-warning':
            track = 'warning'
        elif tag == 'p' and a.get('id') == 'summary':
            track = 'summary'
        elif tag == 'a' and a.get('class') in ('json', 'csv'):
            self.links.append(a.get('href'))
        elif tag == 'a' and (a.get('href') or '').startswith('/run?id='):
            self.runs_links.append(a['href'])
        elif tag == 'script':
            self._script = [a.get('src'), '']
        elif tag == 'table':
            self._table = a.get('id')
            self.rows.setdefault(self._table, 0)
        elif tag == 'tbody':
            self._tbody = True
        elif tag == 'tr' and self._tbody and self._table:
            self.rows[self._table] += 1
            if self._table == 'dp-summary':
                self.dp_rows.append(a)
            if 'data-verdict' in a:
                v = a['data-verdict']
                self.verdicts[v] = self.verdicts.get(v, 0) + 1
        if tag not in ('br', 'img', 'input', 'meta', 'link', 'hr'):
            self._in.append((tag, track))

    def handle_endtag(self, tag):
        while self._in:
            t, track = self._in.pop()
            if track == 'chart':
                self._chart = None
            if t == tag:
                break
        if tag == 'li' and self._li is not None and self._list:
            (self.series if self._list == 'series' else self.categories)[self._chart].append(self._li)
            self._li = None
        elif tag == 'ul':
            self._list = None
        elif tag == 'script' and self._script:
            self.scripts.append(tuple(self._script))
            self._script = None
        elif tag == 'tbody':
            self._tbody = False
        elif tag == 'table':
            self._table = None

    def handle_data(self, d):
        if self._li is not None:
            self._li += d
        if self._script is not None:
            self._script[1] += d
        tracks = [t for _, t in self._in]
        if 'error' in tracks:
            self.error_text += d
        if 'warnli' in tracks:
            self.warning[-1] += d
        if 'summary' in tracks:
            self.summary += d

def parse(path):
    d = Dom()
    with open(path, encoding='utf-8') as f:
        text = f.read()
    d.feed(text)
    if d.status is None:
        d.status = {}
    return d, text

def out(ok, what):
    print(('PASS ' if ok else 'FAIL ') + what)

def common(d, text, page, hostile):
    out(d.status.get('data-state') == 'ready',
        '%s: #status data-state=ready (got %r, error %r)' % (page,
        d.status and d.status.get('data-state'), d.error_text.strip()))
    out(d.error_hidden is True, '%s: #error stays hidden' % page)
    srcs = sorted(str(s) for s, _ in d.scripts)
    out(srcs == ['/static/app.js', '/static/chart.min.js'] and
        all(not t.strip() for _, t in d.scripts),
        '%s: the only scripts are /static/chart.min.js and /static/app.js (got %r)' % (page, d.scripts))
    if hostile:
        out('&lt;script&gt;alert(1)&lt;/script&gt;' in text and '<script>alert(1)' not in text,
            '%s: the <script> label is shown as text' % page)

def check_links(page, d, base):
    bad = []
    for href in sorted(set(d.links)):
        try:
            with urllib.request.urlopen(base + href, timeout=10) as r:
                ct = r.headers.get('Content-Type', '')
                body = r.read()
                want = 'text/csv' if 'format=csv' in href else 'application/json'
                if r.status != 200 or not ct.startswith(want) or not body:
                    bad.append('%s: %s %s' % (href, r.status, ct))
        except Exception as e:
            bad.append('%s: %s' % (href, e))
    out(d.links and not bad, '%s: %d JSON/CSV links answer 200 %s' % (page, len(set(d.links)), bad or ''))

class Chrome:
    """Headless Chromium driven over --remote-debugging-pipe (CDP, no websocket)."""
    def __init__(self):
        r1, w1 = os.pipe()   # we write commands, chrome reads fd 3
        r2, w2 = os.pipe()   # chrome writes fd 4, we read
        hi = [os.dup(f) for f in (r1, w2)]
        def child():
            os.dup2(hi[0], 3)
            os.dup2(hi[1], 4)
        self.profile = tempfile.mkdtemp(prefix='sb-cdp.')
        self.p = subprocess.Popen(['chromium', '--headless', '--no-sandbox', '--disable-gpu',
            '--disable-quic', '--no-first-run', '--disable-background-networking',
            '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
            '--user-data-dir=' + self.profile, '--remote-debugging-pipe',
            '--window-size=1280,900', 'about:blank'],
            preexec_fn=child, pass_fds=(3, 4), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for f in [r1, w2] + hi:
            os.close(f)
        self.w, self.r = w1, r2
        self.buf = b''
        self.n = 0
        self.events = []
        self.session = None

    def send(self, method, params=None, session=True, timeout=20):
        self.n += 1
        msg = {'id': self.n, 'method': method, 'params': params or {}}
        if session and self.session:
            msg['sessionId'] = self.session
        os.write(self.w, json.dumps(msg).encode() + b'\0')
        end = time.time() + timeout
        while True:
            m = self.read(end - time.time())
            if m is None:
                raise TimeoutError(method)
            if m.get('id') == self.n:
                if 'error' in m:
                    raise RuntimeError('%s: %s' % (method, m['error']))
                return m.get('result', {})
            self.events.append(m)

    def read(self, timeout):
        while b'\0' not in self.buf:
            if timeout <= 0:
                return None
            r, _, _ = select.select([self.r], [], [], timeout)
            if not r:
                return None
            chunk = os.read(self.r, 1 << 16)
            if not chunk:
                raise EOFError('chromium closed the pipe')
            self.buf += chunk
        msg, self.buf = self.buf.split(b'\0', 1)
        return json.loads(msg)

    def open(self, url):
        t = self.send('Target.createTarget', {'url': 'about:blank'}, session=False)
        self.session = self.send('Target.attachToTarget', {'targetId': t['targetId'], 'flatten': True},
                                 session=False)['sessionId']
        self.send('Runtime.enable')
        self.send('Log.enable')
        self.send('Page.enable')
        self.send('Page.navigate', {'url': url})

    def js(self, expr, timeout=20):
        r = self.send('Runtime.evaluate', {'expression': expr, 'returnByValue': True,
                                          'awaitPromise': True}, timeout=timeout)
        if 'exceptionDetails' in r:
            raise RuntimeError('js: %s' % r['exceptionDetails'])
        return r['result'].get('value')

    def wait(self, expr, timeout=20):
        end = time.time() + timeout
        while time.time() < end:
            try:
                v = self.js(expr)
            except RuntimeError:
                v = None
            if v:
                return v
            time.sleep(0.1)
        return None

    @staticmethod
    def errors_of(events):
        out = []
        for m in events:
            meth, p = m.get('method'), m.get('params', {})
            if meth == 'Runtime.exceptionThrown':
                out.append(p['exceptionDetails'].get('exception', {}).get('description') or str(p['exceptionDetails']))
            elif meth == 'Runtime.consoleAPICalled' and p.get('type') in ('error', 'assert'):
                out.append(' '.join(str(a.get('value', a.get('description'))) for a in p.get('args', [])))
            elif meth == 'Log.entryAdded' and p['entry'].get('level') == 'error':
                out.append('%s %s' % (p['entry'].get('text'), p['entry'].get('url') or ''))
        return out

    def close(self):
        try:
            self.send('Browser.close', session=False, timeout=5)
        except Exception:
            pass
        try:
            self.p.wait(5)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
        subprocess.run(['rm', '-rf', self.profile])


READY = ("document.querySelector('#status') !== null && "
         "document.querySelector('#status').getAttribute('data-state') === 'ready'")

# Clicks the header LABEL of table ID; returns aria-sort and the column's cells.
CLICK = """(function (id, label) {
  const table = document.getElementById(id);
  const ths = Array.from(table.querySelectorAll('thead th'));
  const i = ths.findIndex((th) => th.textContent === label);
  if (i < 0) return null;
  ths[i].click();
  return { sort: ths[i].getAttribute('aria-sort'),
           values: Array.from(table.querySelectorAll('tbody tr')).map((tr) => tr.children[i].textContent) };
})(%s, %s)"""

def page_errors(c, since, page):
    errs = [e for e in Chrome.errors_of(c.events[since:]) if '/favicon.ico' not in e]
    out(not errs, '%s: no errors in the console (CDP) %s' % (page, errs or ''))

# Cells that hold no value: empty, a dash, or an int8dyn row's NULL.
NOVALUE = ('', '\u2013', 'not measured', 'not counted', 'not recorded')

def check_sort(c, table, label, numeric, page):
    """Clicks twice; returns the column's cells after the last click."""
    vals = None
    for want in ('ascending', 'descending'):
        r = c.js(CLICK % (json.dumps(table), json.dumps(label)))
        if r is None:
            out(False, '%s: #%s has a "%s" column' % (page, table, label))
            return None
        vals = r['values']
        blank = [v in NOVALUE for v in vals]
        keys = [v for v in vals if v not in NOVALUE]
        if numeric:
            keys = [float(v.split('\u2013')[0].rstrip('\u00d7')) for v in keys]
        ordered = sorted(keys, reverse=(want == 'descending'))
        out(r['sort'] == want and keys == ordered and blank == sorted(blank),
            '%s: click "%s" sorts #%s %s (%d rows)' % (page, label, table, want, len(vals)))
    return vals

# The data of the drawn int8 charts, read from Chart.js itself.
CHART_DATA = """(function () {
  const out = {};
  for (const name of ['quant-overhead', 'quant-error']) {
    const cv = document.querySelector('section[data-chart="' + name + '"] canvas');
    const ch = cv && Chart.getChart(cv);
    out[name] = ch ? { labels: ch.data.labels,
                       data: ch.data.datasets.map((d) => d.data) } : null;
  }
  return out;
})()"""

def check_int8_charts(c, rid, page):
    e = expect_run(db(), rid)
    got = c.js(CHART_DATA)
    close = lambda a, b: (a is None) == (b is None) and (a is None or abs(a - b) <= 1e-9 * abs(b))
    ov, want = got.get('quant-overhead'), e['quant_pct']
    pts = sorted(want)
    sums = None
    if ov is not None and all(len(d) == len(pts) for d in ov['data']):
        sums = [None if all(d[i] is None for d in ov['data']) else
                sum(d[i] or 0 for d in ov['data']) for i in range(len(pts))]
    out(ov is not None and sums is not None and len(ov['data']) == 3 and
        all(close(sums[i], want[k][0]) for i, k in enumerate(pts)) and
        all(all(d[i] is None for d in ov['data']) for i, k in enumerate(pts) if want[k][0] is None),
        '%s: the drawn overhead bars are the database\'s %r (chart %r)' %
        (page, {k: v[0] for k, v in want.items()}, sums))
    er, want = got.get('quant-error'), e['quant_err']
    pts = sorted(want)
    out(er is not None and len(er['data']) == 2 and
        all(len(d) == len(pts) for d in er['data']) and
        all(close(er['data'][0][i], want[k][0]) and close(er['data'][1][i], want[k][1])
            for i, k in enumerate(pts)),
        '%s: the drawn error bars are the database\'s %r (chart %r)' %
        (page, {k: v[:2] for k, v in want.items()}, er and er['data']))

# The data of the drawn data-parallel charts, read from Chart.js itself.
DP_DATA = """(function () {
  const get = (name) => {
    const cv = document.querySelector('section[data-chart="' + name + '"] canvas');
    return cv && Chart.getChart(cv);
  };
  const b = get('dp-buckets'), a = get('allreduce');
  return {
    buckets: b ? b.data.datasets.map((d) => ({ label: d.label, data: d.data })) : null,
    lines: a ? a.data.datasets.map((d) => ({ label: d.label,
        data: d.data.map((p) => [p.x, p.y]) })) : null
  };
})()"""

def check_dp_charts(c, rid, page):
    e = expect_run(db(), rid)
    got = c.js(DP_DATA)
    close = lambda a, b: (a is None) == (b is None) and (a is None or abs(a - b) <= 1e-9 * max(abs(b), 1e-300))
    if e['dp_buckets']:
        want = e['dp_buckets']
        bk = got.get('buckets')
        nb = max(b for v in want.values() for b, _ in v) + 1
        ok = bk is not None and len(bk) == len(want)
        for (pt, rows), ds in zip(sorted(want.items()), bk or []):
            full = [None] * nb
            for b, bw in rows:
                full[b] = bw
            ok = ok and ds['label'].startswith('#%d ' % pt) and len(ds['data']) == nb and \
                all(close(x, y) for x, y in zip(ds['data'], full))
        out(ok, '%s: the drawn bucket bars are the database\'s busbw %r (chart %r)' % (page, want, bk))
    if e['ar_lines']:
        want = e['ar_lines']
        ln = got.get('lines')
        ok = ln is not None and sorted(d['label'] for d in ln) == sorted(want)
        for d in ln or []:
            w = want.get(d['label'], [])
            ok = ok and len(d['data']) == len(w) and all(
                x[0] == y[0] and close(x[1], y[1]) for x, y in zip(d['data'], w))
        out(ok, '%s: the drawn allreduce lines are the database\'s (bytes, busbw) %r (chart %r)' %
            (page, want, ln))

def interact(base, a, b, amp, int8, dp, ar):
    c = Chrome()
    try:
        n = len(c.events)
        c.open('%s/run?id=%d' % (base, amp))
        out(bool(c.wait(READY)), 'click: run %d page ready' % amp)
        check_sort(c, 'points', 'vs fp32', True, 'click: run %d' % amp)
        page_errors(c, n, 'click: run %d' % amp)

        n = len(c.events)
        c.open('%s/run?id=%d' % (base, int8))
        out(bool(c.wait(READY)), 'click: run %d page ready' % int8)
        check_int8_charts(c, int8, 'click: run %d' % int8)
        vals = check_sort(c, 'points', 'int8 err sym', True, 'click: run %d' % int8)
        e = expect_run(db(), int8)
        out(vals is not None and vals.count('not measured') == e['int8_null_sym'] and
            len(vals) - vals.count('') == e['int8_rows'],
            'click: run %d: "not measured" for each int8dyn row without the error (%d), '
            'empty for the other rows (%r)' % (int8, e['int8_null_sym'], vals))
        page_errors(c, n, 'click: run %d' % int8)

        for rid in (dp, ar):
            n = len(c.events)
            c.open('%s/run?id=%d' % (base, rid))
            out(bool(c.wait(READY)), 'click: run %d page ready' % rid)
            check_dp_charts(c, rid, 'click: run %d' % rid)
            if rid == dp:
                vals = check_sort(c, 'dp-summary', 'hidden %', True, 'click: run %d' % rid)
                out(vals is not None and vals[-1] == '\u2013',
                    'click: run %d: a step without figures sorts last (%r)' % (rid, vals))
            page_errors(c, n, 'click: run %d' % rid)

        n = len(c.events)
        c.open('%s/run?id=%d' % (base, a))
        out(bool(c.wait(READY)), 'click: run %d page ready' % a)
        for label, numeric in (('median \u00b5s', True), ('variant', False), ('#', True), ('cv %', True)):
            check_sort(c, 'points', label, numeric, 'click: run %d' % a)
        page_errors(c, n, 'click: run %d' % a)

        n = len(c.events)
        c.send('Page.navigate', {'url': base + '/'})
        out(bool(c.wait(READY + " && location.pathname === '/'")), 'click: runs page ready')
        tick = "document.querySelector('#runs tr[data-id=\"%d\"] input[type=checkbox]').click()"
        c.js(tick % a)
        one = c.js("document.getElementById('compare-btn').disabled")
        c.js(tick % b)
        two = c.js("document.getElementById('compare-btn').disabled")
        out(one is True and two is False, 'click: Compare is enabled by exactly two ticks (%r, %r)' % (one, two))
        c.js("document.getElementById('compare-btn').click()")
        where = c.wait(READY + " && location.pathname === '/compare' && location.search")
        out(where == '?a=%d&b=%d' % (a, b), 'click: Compare opens /compare?a=%d&b=%d (got %r)' % (a, b, where))
        check_sort(c, 'compare', 'speedup', True, 'click: compare')
        page_errors(c, n, 'click: runs -> compare')
    finally:
        c.close()

def main():
    mode = sys.argv[1]
    c = db()
    if mode == 'ids':
        print(' '.join(map(str, run_ids(c))))
        return
    if mode == 'expect':
        print(json.dumps(expect_run(c, int(sys.argv[3]))))
        return
    if mode == 'interact':
        interact(sys.argv[4], *map(int, sys.argv[5:11]))
        return
    d, text = parse(sys.argv[3])
    base = sys.argv[4]
    if mode == 'runs':
        common(d, text, 'runs', True)
        n = c.execute('select count(*) from run').fetchone()[0]
        out(d.status.get('data-charts') == '0', 'runs: data-charts=0')
        out(d.rows.get('runs') == n, 'runs: the table has a row per run (%s of %d)' % (d.rows.get('runs'), n))
        want = sorted('/run?id=%d' % i for i in run_ids(c))
        out(sorted(set(d.runs_links)) == want, 'runs: links to every run page %r' % sorted(set(d.runs_links)))
        out('id="compare-btn"' in text, 'runs: a Compare button')
    elif mode == 'run':
        rid = int(sys.argv[5])
        e = expect_run(c, rid)
        page = 'run %d' % rid
        common(d, text, page, sys.argv[6] == 'hostile')
        out(d.status.get('data-charts') == str(len(e['charts'])),
            '%s: data-charts=%d (%s), got %s' % (page, len(e['charts']), ','.join(e['charts']),
            d.status.get('data-charts')))
        out(d.charts == e['charts'], '%s: chart sections %r' % (page, d.charts))
        out(sorted(d.absent) == sorted(e['absent']), '%s: "no … in this run" lines for %r (got %r)' %
            (page, e['absent'], d.absent))
        for ch in ('throughput', 'time', 'roofline'):
            if ch in d.series:
                names = ' '.join(d.series[ch])
                miss = [v for v in e['variants'] if v not in names]
                out(not miss, '%s: %s series name every variant %r (missing %r)' % (page, ch, e['variants'], miss))
        if 'roofline' in d.charts:
            cap = text.split('data-chart="roofline"', 1)[1].split('</section>', 1)[0]
            out('No ceilings' in cap, '%s: roofline caption says there are no ceilings (CPU run)' % page)
        if 'phases' in d.charts:
            got = sorted(int(s.split()[0][1:]) for s in d.categories['phases'])
            out(got == e['phase_points'] and e['phase_reps'] == [1],
                '%s: phases bars = the points with phase rows %r (all reps=1: %r)' % (page, got, e['phase_reps']))
        if 'loss' in d.charts:
            ref = ' fp32 reference'
            got = sorted(int(s.split()[0][1:]) for s in d.series['loss'] if not s.endswith(ref))
            out(got == e['loss_points'], '%s: one loss curve per point with a curve %r' % (page, got))
            got = sorted(int(s.split()[0][1:]) for s in d.series['loss'] if s.endswith(ref))
            out(got == e['ref_points'], '%s: an fp32 reference curve per point with ref_loss %r (want %r)' %
                (page, got, e['ref_points']))
            got = {int(f['data-point']): (None if f['data-divergence'] == 'none' else float(f['data-divergence']))
                   for f in d.figures.get('loss', [])}
            want = {int(k): v for k, v in e['divergence'].items()}
            out(got.keys() == want.keys() and all((got[k] is None) == (want[k] is None) and
                (want[k] is None or abs(got[k] - want[k]) <= 1e-12 * abs(want[k])) for k in want),
                '%s: divergence listed %r (database %r)' % (page, got, want))
        if 'amp' in d.charts:
            got = {int(f['data-point']): float(f['data-pct']) for f in d.figures.get('amp', [])}
            want = {int(k): v for k, v in e['amp_pct'].items()}
            out(got.keys() == want.keys() and all(abs(got[k] - want[k]) <= 1e-9 * want[k] for k in want)
                and len(d.categories['amp']) == len(want),
                '%s: AMP share of the step per point %r (database %r)' % (page, got, want))
        if 'scale' in d.charts:
            lines = sorted(int(s.split()[0][1:]) for s in d.series['scale'] if not s.endswith(' skipped'))
            marks = sorted(int(s.split()[0][1:]) for s in d.series['scale'] if s.endswith(' skipped'))
            want = {int(k): v for k, v in e['skipped'].items()}
            got = {int(f['data-point']): int(f['data-skipped']) for f in d.figures.get('scale', [])}
            out(lines == sorted(want) and marks == sorted(k for k, v in want.items() if v > 0),
                '%s: a scale line per trajectory %r, skip marks %r (database %r)' % (page, lines, marks, want))
            out(got == want, '%s: skipped steps counted %r (database %r)' % (page, got, want))
        if e['int8_rows'] == 0:
            out('quant-overhead' in d.absent and 'quant-error' in d.absent and
                not {'quant-overhead', 'quant-error'} & set(d.charts),
                '%s: no int8dyn rows, so neither int8 chart (absent %r)' % (page, d.absent))
        same = lambda a, b: (a is None) == (b is None) and (a is None or abs(a - b) <= 1e-12 * abs(b))
        num = lambda v: None if v == 'none' else float(v)
        gran = lambda pc: {0: 'per-tensor', 1: 'per-channel'}.get(pc, 'unknown')
        if 'quant-overhead' in d.charts:
            want = e['quant_pct']
            got = {int(f['data-point']): f for f in d.figures.get('quant-overhead', [])}
            out(got.keys() == want.keys() and all(
                same(num(got[k]['data-pct']), want[k][0]) and
                got[k]['data-granularity'] == gran(want[k][1]) and
                got[k]['data-dequant'] == want[k][2] for k in want),
                '%s: quantisation overhead per int8dyn point %r (database %r)' %
                (page, {k: (v['data-pct'], v['data-granularity'], v['data-dequant'])
                        for k, v in got.items()}, want))
            cats = d.categories['quant-overhead']
            out(len(cats) == len(want) and
                sorted(int(x.split()[0][1:]) for x in cats if x.endswith(' · not measured')) ==
                sorted(k for k, v in want.items() if v[0] is None) and
                all((' · per channel' in x) == (want[int(x.split()[0][1:])][1] == 1) for x in cats),
                '%s: a bar per int8dyn point, "not measured" where a phase has no time, '
                'granularity in its label %r' % (page, cats))
        if 'quant-error' in d.charts:
            want = e['quant_err']
            got = {int(f['data-point']): f for f in d.figures.get('quant-error', [])}
            keys = ('data-err-sym', 'data-err-affine', 'data-sat-act', 'data-sat-weight')
            out(got.keys() == want.keys() and all(
                all(same(num(got[k][a]), want[k][i]) for i, a in enumerate(keys)) for k in want),
                '%s: int8 errors and saturation per point %r (database %r)' %
                (page, {k: tuple(v[a] for a in keys) for k, v in got.items()}, want))
            out(d.series['quant-error'] == ['symmetric int8 (GPU)', 'affine uint8 (PyTorch)'],
                '%s: the two schemes are the series %r' % (page, d.series['quant-error']))
        if 'dp-buckets' in d.charts:
            want = e['dp_buckets']
            got = sorted(int(x.split()[0][1:]) for x in d.series['dp-buckets'])
            nb = max(b for v in want.values() for b, _ in v) + 1
            out(got == sorted(want) and d.categories['dp-buckets'] ==
                ['bucket %d' % i for i in range(nb)],
                '%s: a bar series per data-parallel point %r, a category per bucket %r' %
                (page, got, d.categories['dp-buckets']))
            want = e['dp_summary']
            got = {int(r['data-point']): tuple(num(r[k]) for k in ('data-overlap-pct',
                   'data-exposed-us', 'data-overhead-pct')) for r in d.dp_rows}
            out(got.keys() == want.keys() and all(all(same(x, y) for x, y in zip(got[k], want[k]))
                for k in want),
                '%s: dp-summary: hidden %%, exposed us, overhead %% per step %r (database %r)' %
                (page, got, want))
        else:
            out(not d.dp_rows, '%s: no data-parallel steps, no dp-summary table' % page)
        if 'allreduce' in d.charts:
            want = {k: max(v, key=lambda p: p[1]) + (len(v),) for k, v in e['ar_lines'].items()}
            got = {p['data-series']: (int(p['data-peak-bytes']), float(p['data-peak-busbw']),
                   int(p['data-points'])) for p in d.peaks}
            out(sorted(d.series['allreduce']) == sorted(want) and got.keys() == want.keys() and
                all(got[k][0] == want[k][0] and same(got[k][1], want[k][1]) and
                    got[k][2] == want[k][2] for k in want),
                '%s: allreduce lines and their peak busbw %r (database %r)' % (page, got, want))
        out(d.rows.get('points') == e['points'], '%s: #points has a row per result (%s of %d)' %
            (page, d.rows.get('points'), e['points']))
        check_links(page, d, base)
    elif mode == 'compare':
        a, b = int(sys.argv[5]), int(sys.argv[6])
        page = 'compare'
        common(d, text, page, True)
        n = c.execute("""select count(*) from result x join result y on x.variant = y.variant
            and x.m = y.m and x.n = y.n and x.k = y.k and x.layers = y.layers and
            x.world = y.world and x.graph = y.graph and x.input_grad = y.input_grad
            where x.run_id = ? and y.run_id = ? and x.status = 'ok' and y.status = 'ok'""",
            (a, b)).fetchone()[0]
        out(d.status.get('data-charts') == ('1' if n else '0'), 'compare: data-charts=%d' % (1 if n else 0))
        out(d.charts == (['speedup'] if n else []), 'compare: chart sections %r' % d.charts)
        out(d.rows.get('compare', 0) == n, 'compare: a table row per point ok in both (%s of %d)' %
            (d.rows.get('compare'), n))
        out(set(d.verdicts) <= {'faster', 'slower', 'same', 'unclear'} and
            all(('%d %s' % (k, v)) in d.summary for v, k in d.verdicts.items()) and
            d.summary.startswith('%d points' % n),
            'compare: summary %r agrees with the table %r' % (d.summary, d.verdicts))
        series = ' '.join(d.series.get('speedup', []))
        out(all(v in series for v in d.verdicts), 'compare: bars coloured by verdict %r' % d.series.get('speedup'))
        ea, eb = [json.loads(c.execute('select e.json from run r join environment e on e.id = r.env_id '
                  'where r.id = ?', (i,)).fetchone()[0]) for i in (a, b)]
        out(any(w.startswith('host: %s vs %s' % (ea['host'], eb['host'])) for w in d.warning),
            'compare: the banner lists host: %s vs %s (got %r)' % (ea['host'], eb['host'], d.warning))
        check_links(page, d, base)

main()
EOF

# The second run "ran elsewhere": another host in its environment record,
# so that the compare page must show its warning banner.
ids=$(python3 "$WORK/check.py" ids "$DB")
read -r RUN_A RUN_B _ <<<"$ids"
if ! python3 - "$DB" "$RUN_B" <<'EOF'
import json, sqlite3, sys
c = sqlite3.connect(sys.argv[1])
rid = int(sys.argv[2])
env = json.loads(c.execute('select e.json from run r join environment e on e.id = r.env_id '
                           'where r.id = ?', (rid,)).fetchone()[0])
env['host'] = 'browser-test-other-host'
cur = c.execute('insert into environment(hash, json) values (?, ?)',
                ('browser-test-other-host', json.dumps(env)))
c.execute('update run set env_id = ?, host = ? where id = ?',
          (cur.lastrowid, env['host'], rid))
c.commit()
EOF
then
	fail "give run $RUN_B another host"
	finish
fi

# -------------------------------------------------------------- server
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE=http://127.0.0.1:$PORT
"$SB" serve --db "$DB" --port "$PORT" --bind 127.0.0.1 \
    >"$WORK/serve.log" 2>&1 &
SERVER_PID=$!
up=0
for _ in $(seq 100); do
	if python3 - "$BASE/api/runs" <<'EOF' 2>/dev/null
import sys, urllib.request
urllib.request.urlopen(sys.argv[1], timeout=2).read()
EOF
	then
		up=1
		break
	fi
	kill -0 "$SERVER_PID" 2>/dev/null || break
	sleep 0.2
done
if [ "$up" -ne 1 ]; then
	cat "$WORK/serve.log"
	fail "stepbench serve answers on $BASE within 20 s"
	finish
fi
pass "stepbench serve answers on $BASE"

# ------------------------------------------------------------- browser
# chrome URL OUTFILE [screenshot.png]: DOM to OUTFILE, console to OUTFILE.log
chrome() {
	local url=$1 dom=$2 shot=${3:-} profile
	profile=$(mktemp -d "$WORK/chromium.XXXXXX")
	local flags=(--headless --no-sandbox --disable-gpu --disable-quic
	    --no-first-run --disable-background-networking
	    --disable-component-update --disable-sync --disable-dev-shm-usage
	    --user-data-dir="$profile" --virtual-time-budget=5000
	    --enable-logging=stderr --v=0)
	if [ -n "$shot" ]; then
		timeout 60 chromium "${flags[@]}" --hide-scrollbars \
		    --window-size=1280,2000 --screenshot="$shot" "$url" \
		    >/dev/null 2>"$dom.log"
	else
		timeout 60 chromium "${flags[@]}" --dump-dom "$url" \
		    >"$dom" 2>"$dom.log"
	fi
}

check_console() {
	local name=$1 log=$2 bad
	bad=$(grep 'CONSOLE' "$log" | grep -E 'Uncaught|Error|Failed to load|Refused|violat' || true)
	if [ -z "$bad" ]; then
		pass "$name: no console errors"
	else
		fail "$name: console errors:"
		echo "$bad" | head -20 | sed 's/^/     /'
	fi
}

# py MODE DOMFILE ARGS...: tallies the PASS/FAIL lines of check.py
py() {
	local mode=$1 dom=$2 line rc=0
	shift 2
	local log=$WORK/check.$((++CHECKS)).log
	python3 "$WORK/check.py" "$mode" "$DB" "$dom" "$BASE" "$@" \
	    >"$log" 2>&1 || rc=$?
	while IFS= read -r line; do
		case $line in
		PASS\ *) pass "${line#PASS }" ;;
		FAIL\ *) fail "${line#FAIL }" ;;
		*) [ -n "$line" ] && echo "     $line" ;;
		esac
	done <"$log"
	[ "$rc" -eq 0 ] || fail "$mode checks of $dom ended with status $rc"
}

page() {
	local name=$1 url=$2 mode=$3
	shift 3
	local dom=$WORK/$name.html
	if ! chrome "$BASE$url" "$dom" || ! [ -s "$dom" ]; then
		fail "$name: chromium --dump-dom $url"
		sed 's/^/     /' "$dom.log" | tail -5
		return
	fi
	py "$mode" "$dom" "$@"
	check_console "$name" "$dom.log"
}

page runs / runs
page run-a "/run?id=$RUN_A" run "$RUN_A" hostile
page run-b "/run?id=$RUN_B" run "$RUN_B" plain
page run-c "/run?id=$RUN_C" run "$RUN_C" plain
page run-d "/run?id=$RUN_D" run "$RUN_D" plain
page run-e "/run?id=$RUN_E" run "$RUN_E" plain
page run-f "/run?id=$RUN_F" run "$RUN_F" plain
page compare "/compare?a=$RUN_A&b=$RUN_B" compare "$RUN_A" "$RUN_B"

# Clicks (CDP over --remote-debugging-pipe): sorting, ticking two runs,
# Compare; the int8 charts' drawn data.
py interact - "$RUN_A" "$RUN_B" "$RUN_C" "$RUN_D" "$RUN_E" "$RUN_F"

mkdir -p "$OUT"
SHOT=$OUT/web-run-page.png
rm -f "$SHOT"
chrome "$BASE/run?id=$RUN_A" "$WORK/shot" "$SHOT"
if [ -s "$SHOT" ] && [ "$(head -c 8 "$SHOT" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]; then
	pass "screenshot of the run page: $SHOT"
else
	fail "screenshot of the run page: $SHOT"
fi
check_console "screenshot" "$WORK/shot.log"
SHOT=$OUT/web-amp-page.png
rm -f "$SHOT"
chrome "$BASE/run?id=$RUN_C" "$WORK/shot-amp" "$SHOT"
if [ -s "$SHOT" ] && [ "$(head -c 8 "$SHOT" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]; then
	pass "screenshot of the mixed-precision run page: $SHOT"
else
	fail "screenshot of the mixed-precision run page: $SHOT"
fi
check_console "screenshot (amp)" "$WORK/shot-amp.log"
SHOT=$OUT/web-int8-page.png
rm -f "$SHOT"
chrome "$BASE/run?id=$RUN_D" "$WORK/shot-int8" "$SHOT"
if [ -s "$SHOT" ] && [ "$(head -c 8 "$SHOT" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]; then
	pass "screenshot of the dynamic-int8 run page: $SHOT"
else
	fail "screenshot of the dynamic-int8 run page: $SHOT"
fi
check_console "screenshot (int8)" "$WORK/shot-int8.log"
SHOT=$OUT/web-dp-page.png
rm -f "$SHOT"
chrome "$BASE/run?id=$RUN_E" "$WORK/shot-dp" "$SHOT"
if [ -s "$SHOT" ] && [ "$(head -c 8 "$SHOT" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]; then
	pass "screenshot of the data-parallel run page: $SHOT"
else
	fail "screenshot of the data-parallel run page: $SHOT"
fi
check_console "screenshot (dp)" "$WORK/shot-dp.log"

finish
