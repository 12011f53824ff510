/*
 * stepbench dashboard — the front end of `stepbench serve` (docs/dashboard.md).
 *
 * Plain ES2017, no build step, nothing from outside /static.  The server sends
 * a page shell (body data-page = runs | run | compare | point, with data-id,
 * data-a/data-b or data-run/data-point); this file builds everything inside
 * #app from the JSON API
 * (columns in db/query.h) and draws the charts with Chart.js 3.9.1.
 *
 * Contract with the tests: when every chart of the page has rendered once,
 * #status gets data-state="ready", data-charts="N" and the text
 * "ready: N charts"; on an API error data-state="error" and #error says why.
 * Each chart is <section class="chart" data-chart="NAME">; a chart without
 * data is one <p class="absent" data-absent="NAME"> line and is not counted.
 *
 * Security: data from the database (labels, notes, reasons, argv) only ever
 * reaches the page through textContent and setAttribute — never innerHTML.
 *
 * Sections: helpers · charts (shared) · runs page · run page · point page ·
 * compare page.
 */
'use strict';

(function () {

/* ------------------------------------------------------------ helpers */

const $ = (sel) => document.querySelector(sel);

/*
 * el('a', {href: '/x', class: 'y'}, 'text', child, [more]) — the only way
 * this file makes elements.  Strings become text nodes; attributes go through
 * setAttribute; on* keys take functions only.
 */
function el(tag, attrs) {
	const e = document.createElement(tag);
	if (attrs) {
		for (const [k, v] of Object.entries(attrs)) {
			if (v === null || v === undefined || v === false)
				continue;
			if (k.startsWith('on')) {
				if (typeof v !== 'function')
					throw new Error('el: ' + k + ' needs a function');
				e.addEventListener(k.slice(2), v);
			} else if (k === 'class') {
				e.className = v;
			} else {
				e.setAttribute(k, v === true ? '' : String(v));
			}
		}
	}
	addKids(e, Array.prototype.slice.call(arguments, 2));
	return e;
}

function addKids(e, kids) {
	for (const k of kids) {
		if (k === null || k === undefined || k === false)
			continue;
		if (Array.isArray(k))
			addKids(e, k);
		else
			e.appendChild(k instanceof Node ? k :
			    document.createTextNode(String(k)));
	}
}

function setKids(e) {
	while (e.firstChild)
		e.removeChild(e.firstChild);
	addKids(e, Array.prototype.slice.call(arguments, 1));
}

function setStatus(state, text, charts) {
	const s = $('#status');
	if (!s)
		return;
	s.setAttribute('data-state', state);
	if (charts !== undefined)
		s.setAttribute('data-charts', String(charts));
	s.textContent = text;
}

function ready(n) {
	setStatus('ready', 'ready: ' + n + ' charts', n);
}

function fail(err) {
	const msg = err && err.message ? err.message : String(err);
	const box = $('#error');
	if (box) {
		box.textContent = msg;
		box.hidden = false;
	}
	setStatus('error', 'error: ' + msg);
	if (window.console)
		console.warn('stepbench: ' + msg);
}

/* GET an /api URL; resolves to its JSON array, rejects with a readable message. */
async function fetchJSON(url) {
	let res;
	try {
		res = await fetch(url, { headers: { Accept: 'application/json' } });
	} catch (e) {
		throw new Error(url + ': the server did not answer (' +
		    e.message + '); is "stepbench serve" still running?');
	}
	const text = await res.text();
	let body = null;
	try {
		body = JSON.parse(text);
	} catch (e) {
		body = null;
	}
	if (!res.ok) {
		const why = body && typeof body.error === 'string' ? body.error :
		    (text.trim().slice(0, 200) || res.statusText);
		throw new Error(url + ': ' + res.status + ' ' + why);
	}
	if (!Array.isArray(body))
		throw new Error(url + ': expected a JSON array, got ' +
		    text.slice(0, 80));
	return body;
}

function api(name, q) {
	return '/api/' + name + '?' + q;
}

function isNum(x) {
	return typeof x === 'number' && isFinite(x);
}

/* 3 significant digits; exponent form outside 1e-3 .. 1e6; '–' for none. */
function fmt(x, digits) {
	if (!isNum(x))
		return '–';
	if (x === 0)
		return '0';
	const a = Math.abs(x);
	const d = digits || 3;
	if (a >= 1e-3 && a < 1e6)
		return String(Number(x.toPrecision(d)));
	return x.toExponential(d - 1).replace('e+', 'e');
}

/* Bytes as nccl-tests sizes read: 1024 -> "1 KiB", 72 -> "72 B"; a size
 * that is not a whole number of KiB/MiB/GiB keeps 3 digits. */
function fmtBytes(x) {
	if (!isNum(x))
		return '–';
	const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
	let u = 0;
	while (u < units.length - 1 && Math.abs(x) >= 1024) {
		x /= 1024;
		u++;
	}
	return (Number.isInteger(x) ? String(x) : fmt(x)) + ' ' + units[u];
}

function fmtPct(x) {
	return isNum(x) ? fmt(x) + ' %' : '–';
}

/* "2026-11-26T15:37:29.380Z" -> "2026-11-26 15:37:29" */
function fmtTime(s) {
	if (!s)
		return '–';
	return String(s).replace('T', ' ').replace(/\.\d+Z?$/, '').replace(/Z$/, '');
}

/* cudaRuntimeGetVersion style 12040 -> "12.4"; 0 -> null */
function cudaVer(v) {
	if (!isNum(v) || v <= 0)
		return null;
	return Math.floor(v / 1000) + '.' + Math.floor((v % 1000) / 10);
}

/* cuBLAS / NCCL style 120205 -> "12.2.5" */
function libVer(v) {
	if (!isNum(v) || v <= 0)
		return null;
	return Math.floor(v / 10000) + '.' + Math.floor((v % 10000) / 100) +
	    '.' + (v % 100);
}

/* A run's headline size: the cube root of M·N·K. */
function size(r) {
	return Math.cbrt(r.m * r.n * r.k);
}

function shape(r) {
	return r.m + 'x' + r.n + 'x' + r.k;
}

/* The series a result belongs to: (variant, layers, graph[, world]). */
function seriesKey(r) {
	return r.variant + '|' + r.layers + '|' + (r.graph ? 1 : 0) + '|' +
	    (r.world || 1);
}

function seriesLabel(r) {
	return r.variant + ' · L' + r.layers + (r.graph ? ' · graph' : '') +
	    (r.world > 1 ? ' · world ' + r.world : '');
}

/* The worst of a result's errors against the reference, and which it was. */
const ERR_FIELDS = [
	['err_y', 'Y'], ['err_loss', 'loss'], ['err_dw', 'dW'],
	['err_db', 'db'], ['err_dx', 'dX'], ['err_w', 'W'],
	['err_recheck', 're-check']
];

function worstErr(r) {
	let best = null;
	for (const [key, name] of ERR_FIELDS) {
		const v = r[key];
		if (isNum(v) && (best === null || v > best.value))
			best = { value: v, which: name };
	}
	return best;
}

function shellQuote(a) {
	const s = String(a);
	return /^[A-Za-z0-9_.\/,:=@%+-]+$/.test(s) ? s :
	    "'" + s.replace(/'/g, "'\\''") + "'";
}

function uuid8(run) {
	return run.uuid ? String(run.uuid).slice(0, 8) : String(run.id);
}

function runName(run) {
	return run.label ? String(run.label) : 'run ' + uuid8(run);
}

function badge(status) {
	return el('span', { class: 'badge status-' + status }, status);
}

/* Tableau 10: distinct on white, readable as thin lines. */
const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f',
    '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];
const DASHES = [[], [6, 3], [2, 2], [8, 3, 2, 3]];
const VERDICT_COLOURS = {
	faster: '#2e8b57', slower: '#d62728', same: '#9a9a9a', unclear: '#e6a700'
};
const VERDICTS = ['faster', 'slower', 'same', 'unclear'];

/* Stable colour per name in order of first use. */
function colourer() {
	const seen = new Map();
	return function (name) {
		if (!seen.has(name))
			seen.set(name, PALETTE[seen.size % PALETTE.length]);
		return seen.get(name);
	};
}

function withAlpha(hex, a) {
	const n = parseInt(hex.slice(1), 16);
	return 'rgba(' + (n >> 16) + ',' + ((n >> 8) & 255) + ',' + (n & 255) +
	    ',' + a + ')';
}

/* Groups rows by key(row), keeping first-seen order. */
function groupBy(rows, key) {
	const m = new Map();
	for (const r of rows) {
		const k = key(r);
		if (!m.has(k))
			m.set(k, []);
		m.get(k).push(r);
	}
	return m;
}

/* The phases of a step in the order it runs them (kernels/step.h): an
 * int8dyn layer finds its input's scale, quantises it, runs the int8 GEMM
 * (forward) and, where the GEMM has no dequantising epilogue, dequantises. */
const PHASE_ORDER = ['int8.scale', 'int8.quant', 'forward', 'int8.dequant',
    'loss', 'backward.wgrad', 'backward.dgrad', 'amp.unscale', 'sgd',
    'amp.update'];
/* Mixed precision's own phases: unscale + inf check, the scale update. */
const AMP_PHASES = ['amp.unscale', 'amp.update'];
/* Dynamic int8's own phases around the GEMM: absmax, convert, dequantise. */
const QUANT_PHASES = ['int8.scale', 'int8.quant', 'int8.dequant'];

/* A dynamic-int8 row (results carry precision; phase rows only the variant). */
function isInt8(r) {
	return r.precision === 'int8dyn' ||
	    String(r.variant || '').split('.')[1] === 'int8dyn';
}

/* The weights' quantisation granularity of an int8dyn result, or null. */
function granularity(r) {
	return r.quant_per_channel === 1 ? 'per channel' :
	    r.quant_per_channel === 0 ? 'per tensor' : null;
}

/* "#3 train.fp16amp.mma L1 4096x4096x4096 graph": a point in a bar chart. */
function pointLabel(idx, r) {
	return '#' + idx + ' ' + r.variant + ' L' + r.layers + ' ' + shape(r) +
	    (r.graph ? ' graph' : '');
}

/* --------------------------------------------------------- charts */

/*
 * A chart spec is {name, title, caption, api, config, wide, height, notes}
 * or {name, absent: 'no … in this run'}; notes is an optional element shown
 * under the caption (figures the chart cannot show as lines).  chartSection() builds the markup;
 * drawCharts() creates the Chart objects once the canvases are in the page
 * and resolves when each has rendered once.
 */
function chartSection(spec, q) {
	const url = api(spec.api, q);
	/* Fallback content: what the chart holds, for screen readers and tests. */
	const data = spec.config.data;
	const canvas = el('canvas', { 'aria-label': spec.title, role: 'img' },
	    el('ul', { class: 'series' }, data.datasets.map((d) =>
		el('li', { 'data-series': d.label }, d.label))),
	    data.labels ? el('ul', { class: 'categories' }, data.labels.map((l) =>
		el('li', null, l))) : null);
	const box = el('div', { class: 'chart-box' }, canvas);
	if (spec.height)
		box.style.height = spec.height + 'px';
	const sec = el('section', {
		class: 'chart' + (spec.wide ? ' wide' : ''),
		'data-chart': spec.name
	},
	    el('h2', null, spec.title),
	    box,
	    el('p', { class: 'caption' }, spec.caption, ' ',
		apiLinks(url)),
	    spec.notes || null);
	return { section: sec, canvas: canvas, config: spec.config };
}

/* "JSON · CSV": the /api URL behind a chart or table, in both formats. */
function apiLinks(url) {
	return el('span', { class: 'links' },
	    el('a', { href: url, class: 'json' }, 'JSON'), ' · ',
	    el('a', { href: url + '&format=csv', class: 'csv' }, 'CSV'));
}

function absentLine(spec) {
	return el('p', { class: 'absent', 'data-absent': spec.name }, spec.absent);
}

function drawCharts(list) {
	if (!list.length)
		return Promise.resolve(0);
	if (typeof window.Chart === 'undefined')
		return Promise.reject(new Error('the chart library ' +
		    '/static/chart.min.js did not load'));
	Chart.defaults.font.size = 11;
	Chart.defaults.color = '#333';
	Chart.defaults.borderColor = '#e3e3e3';
	return new Promise(function (resolve, reject) {
		const drawn = new Set();
		const plugin = {
			id: 'sbDrawn',
			afterRender: function (chart) {
				if (drawn.has(chart.id))
					return;
				drawn.add(chart.id);
				if (drawn.size === list.length) {
					clearTimeout(timer);
					resolve(list.length);
				}
			}
		};
		const timer = setTimeout(function () {
			reject(new Error('only ' + drawn.size + ' of ' +
			    list.length + ' charts rendered within 15 s'));
		}, 15000);
		try {
			for (const c of list) {
				c.config.plugins = (c.config.plugins || []).concat(plugin);
				new Chart(c.canvas, c.config);
			}
		} catch (e) {
			clearTimeout(timer);
			reject(e);
		}
	});
}

/* Log-axis labels at 1, 2 and 5 per decade (and the ends), in plain numbers. */
function logTick(v, i, ticks) {
	if (!(v > 0))
		return '';
	const m = v / Math.pow(10, Math.floor(Math.log10(v) + 1e-9));
	const nice = [1, 2, 5, 10].some((x) => Math.abs(m - x) < 1e-6);
	return nice || ticks.length <= 4 ? fmt(v, nice ? 1 : 2) : '';
}

function axis(type, title, extra) {
	const a = { type: type, title: { display: true, text: title } };
	if (type === 'logarithmic')
		a.ticks = { callback: logTick, maxRotation: 0, autoSkip: true };
	if (extra)
		Object.assign(a, extra);
	return a;
}

/* Options shared by the large {x, y} charts (already sorted, numeric). */
function xyOptions(xAxis, yAxis) {
	return {
		animation: false,
		parsing: false,
		normalized: true,
		responsive: true,
		maintainAspectRatio: false,
		interaction: { mode: 'nearest', intersect: false },
		scales: { x: xAxis, y: yAxis },
		plugins: {
			legend: { position: 'bottom', labels: { boxWidth: 14, boxHeight: 8 } },
			tooltip: {
				callbacks: {
					title: (items) => items.length ? items[0].dataset.label : '',
					label: (ctx) => ctx.raw && ctx.raw.tip ? ctx.raw.tip :
					    fmt(ctx.parsed.x) + ', ' + fmt(ctx.parsed.y)
				}
			}
		}
	};
}

/*
 * One dataset per (variant, layers, graph): colour by variant, dash by
 * layers, triangles for CUDA-graph replays.  point(r) returns {x, y, tip} or
 * null; each dataset is sorted by x.
 */
function seriesDatasets(rows, point, line) {
	const colour = colourer();
	const layerIdx = new Map();
	const out = [];
	for (const [, group] of groupBy(rows, seriesKey)) {
		const r0 = group[0];
		const data = group.map(point).filter((p) => p !== null);
		if (!data.length)
			continue;
		data.sort((a, b) => a.x - b.x);
		if (!layerIdx.has(r0.layers))
			layerIdx.set(r0.layers, layerIdx.size);
		const c = colour(r0.variant);
		out.push({
			label: seriesLabel(r0),
			data: data,
			borderColor: c,
			backgroundColor: c,
			borderDash: line ? DASHES[layerIdx.get(r0.layers) % DASHES.length] : [],
			borderWidth: 1.5,
			pointRadius: 3,
			pointHoverRadius: 5,
			pointStyle: r0.graph ? 'triangle' : 'circle',
			showLine: !!line
		});
	}
	return out;
}

function okTimed(r) {
	return r.status === 'ok' && isNum(r.median_us) && r.median_us > 0;
}

function specThroughput(results) {
	const rows = results.filter((r) => okTimed(r) && isNum(r.tflops) && r.tflops > 0);
	const spec = { name: 'throughput', title: 'Throughput', api: 'results' };
	if (!rows.length)
		return Object.assign(spec, { absent: 'no measured throughput in this run (no ok points)' });
	const ds = seriesDatasets(rows, (r) => ({
		x: size(r), y: r.tflops,
		tip: shape(r) + ': ' + fmt(r.tflops) + ' TFLOP/s (' + fmt(r.gbps) + ' GB/s)'
	}), true);
	spec.caption = 'TFLOP/s against size = ∛(M·N·K), one line per variant, ' +
	    'layers (dash) and CUDA graph (triangles); log axes.';
	spec.config = { type: 'line', data: { datasets: ds }, options: xyOptions(
	    axis('logarithmic', 'size ∛(M·N·K)'), axis('logarithmic', 'TFLOP/s')) };
	return spec;
}

function specTime(results) {
	const rows = results.filter(okTimed);
	const spec = { name: 'time', title: 'Time per step', api: 'results' };
	if (!rows.length)
		return Object.assign(spec, { absent: 'no step times in this run (no ok points)' });
	const ds = seriesDatasets(rows, (r) => ({
		x: size(r), y: r.median_us,
		tip: shape(r) + ': median ' + fmt(r.median_us) + ' µs (p10–p90 ' +
		    fmt(r.p10_us) + '–' + fmt(r.p90_us) + ', ' + r.nsamples + ' samples)'
	}), true);
	spec.caption = 'Median µs per training (or inference) step against size; ' +
	    'the tooltip gives p10–p90; log axes.';
	spec.config = { type: 'line', data: { datasets: ds }, options: xyOptions(
	    axis('logarithmic', 'size ∛(M·N·K)'), axis('logarithmic', 'median µs per step')) };
	return spec;
}

function specBaseline(baseline) {
	/* The library's own rows are its 100 % line. */
	const rows = baseline.filter((r) => isNum(r.pct_of_baseline));
	const spec = { name: 'baseline', title: '% of library baseline', api: 'baseline' };
	if (!rows.length)
		return Object.assign(spec, { absent: 'no library baseline in this run ' +
		    '(it has no cuBLAS/cuBLASLt points to compare against)' });
	const ds = seriesDatasets(rows, (r) => ({
		x: size(r), y: r.pct_of_baseline,
		tip: shape(r) + ': ' + fmtPct(r.pct_of_baseline) + ' of ' +
		    r.baseline_variant + ' (' + fmt(r.median_us) + ' vs ' +
		    fmt(r.baseline_median_us) + ' µs)'
	}), true);
	spec.caption = '100 · library median / variant median, against the ' +
	    'cuBLASLt (else cuBLAS) point of the same mode, precision and shape; ' +
	    'above 100 % beats the library, which is its own 100 % line.';
	spec.config = { type: 'line', data: { datasets: ds }, options: xyOptions(
	    axis('logarithmic', 'size ∛(M·N·K)'), axis('linear', '% of library baseline', { beginAtZero: true })) };
	return spec;
}

function specRoofline(results) {
	const rows = results.filter((r) => okTimed(r) && isNum(r.tflops) &&
	    r.tflops > 0 && isNum(r.flops) && isNum(r.bytes) && r.bytes > 0 && r.flops > 0);
	const spec = { name: 'roofline', title: 'Roofline', api: 'results' };
	if (!rows.length)
		return Object.assign(spec, { absent: 'no roofline in this run (no ok points with flop and byte counts)' });
	const ai = (r) => r.flops / r.bytes;
	const ds = seriesDatasets(rows, (r) => ({
		x: ai(r), y: r.tflops,
		tip: shape(r) + ': ' + fmt(ai(r)) + ' flop/byte, ' + fmt(r.tflops) +
		    ' TFLOP/s' + (r.over_peak === 1 ? ' (over the device peak!)' : '')
	}), false);
	/* Ceilings: one per distinct (peak TFLOP/s, peak GB/s) pair. */
	const ceilings = new Map();
	for (const r of rows)
		if (isNum(r.peak_tflops) && isNum(r.peak_gbps) && r.peak_tflops > 0 && r.peak_gbps > 0)
			ceilings.set(r.peak_tflops + '/' + r.peak_gbps, r);
	const xs = rows.map(ai);
	let lo = Math.min.apply(null, xs), hi = Math.max.apply(null, xs);
	for (const [, r] of ceilings) {
		const knee = 1000 * r.peak_tflops / r.peak_gbps;   /* flop/byte */
		lo = Math.min(lo, knee);
		hi = Math.max(hi, knee);
	}
	lo /= 2;
	hi *= 2;
	for (const [, r] of ceilings) {
		const knee = 1000 * r.peak_tflops / r.peak_gbps;
		ds.push({
			label: 'ceiling ' + fmt(r.peak_tflops) + ' TFLOP/s, ' +
			    fmt(r.peak_gbps) + ' GB/s (' + r.precision + ')',
			data: [
				{ x: lo, y: lo * r.peak_gbps / 1000, tip: 'memory roof' },
				{ x: knee, y: r.peak_tflops, tip: 'knee at ' + fmt(knee) + ' flop/byte' },
				{ x: hi, y: r.peak_tflops, tip: 'compute roof' }
			],
			borderColor: '#444', backgroundColor: '#444', borderDash: [5, 4],
			borderWidth: 1.2, pointRadius: 0, showLine: true
		});
	}
	spec.caption = 'Arithmetic intensity (flop/byte of the op) against ' +
	    'achieved TFLOP/s, log axes. ' + (ceilings.size ?
	    'Dashed: the device ceilings (bandwidth up to the knee at peak ' +
	    'TFLOP/s ÷ peak GB/s, then peak TFLOP/s).' :
	    'No ceilings: this run records no device peaks (CPU variants have none).');
	spec.config = { type: 'scatter', data: { datasets: ds }, options: xyOptions(
	    axis('logarithmic', 'arithmetic intensity (flop/byte)'), axis('logarithmic', 'TFLOP/s')) };
	return spec;
}

function specPhases(phases) {
	const spec = { name: 'phases', title: 'Phases', api: 'phases' };
	if (!phases.length)
		return Object.assign(spec, { absent: 'no phase times in this run ' +
		    '(phases are timed only where one step is long enough to time alone)' });
	const points = groupBy(phases, (r) => r.point_idx);
	/* The step order; any other phase after them, by name. */
	const rank = (n) => PHASE_ORDER.indexOf(n) < 0 ? PHASE_ORDER.length :
	    PHASE_ORDER.indexOf(n);
	const names = [];
	for (const r of phases)
		if (names.indexOf(r.phase) < 0)
			names.push(r.phase);
	names.sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
	const labels = [];
	const byPoint = [];
	for (const [idx, rows] of points) {
		labels.push(pointLabel(idx, rows[0]));
		const m = new Map();
		for (const x of rows)
			m.set(x.phase, x.median_us);
		byPoint.push(m);
	}
	const ds = names.map((name, i) => ({
		label: name,
		data: byPoint.map((m) => m.has(name) ? m.get(name) : null),
		backgroundColor: PALETTE[i % PALETTE.length],
		borderWidth: 0,
		stack: 'phases'
	}));
	spec.caption = 'Median µs of each phase of the step, in the order ' +
	    'it runs them (' + PHASE_ORDER.filter((n) => names.indexOf(n) >= 0)
	    .join(', ') + '), stacked, per point.';
	spec.wide = true;
	spec.height = Math.min(2400, 90 + 22 * labels.length);
	spec.config = {
		type: 'bar',
		data: { labels: labels, datasets: ds },
		options: {
			animation: false,
			responsive: true,
			maintainAspectRatio: false,
			indexAxis: 'y',
			scales: {
				x: axis('linear', 'median µs', { stacked: true }),
				y: { stacked: true, ticks: { autoSkip: false } }
			},
			plugins: {
				legend: { position: 'bottom', labels: { boxWidth: 14, boxHeight: 8 } },
				tooltip: {
					callbacks: {
						label: (ctx) => ctx.dataset.label + ': ' + fmt(ctx.parsed.x) + ' µs'
					}
				}
			}
		}
	};
	return spec;
}

function specError(results) {
	const spec = { name: 'error', title: 'Speed vs error', api: 'results' };
	let zero = 0;
	const pts = [];
	for (const r of results) {
		if (!okTimed(r) || !isNum(r.tflops) || r.tflops <= 0)
			continue;
		const w = worstErr(r);
		if (!w)
			continue;
		if (w.value <= 0) {
			zero++;
			continue;
		}
		pts.push({ r: r, w: w });
	}
	if (!pts.length)
		return Object.assign(spec, { absent: 'no checked errors in this run' +
		    (zero ? ' (' + zero + ' ok points had zero error)' : '') });
	const colour = colourer();
	const ds = [];
	for (const [prec, group] of groupBy(pts, (p) => p.r.precision || '?')) {
		const c = colour(prec);
		const data = group.map((p) => ({
			x: p.w.value, y: p.r.tflops,
			tip: p.r.variant + ' L' + p.r.layers + ' ' + shape(p.r) + ': worst error ' +
			    fmt(p.w.value) + ' (' + p.w.which + ', tolerance ' + fmt(p.r.tol) +
			    '), ' + fmt(p.r.tflops) + ' TFLOP/s'
		})).sort((a, b) => a.x - b.x);
		ds.push({
			label: prec, data: data, borderColor: c,
			backgroundColor: withAlpha(c, 0.7), pointRadius: 3.5, pointHoverRadius: 5
		});
	}
	spec.caption = 'Worst relative error against the fp64 reference (largest of ' +
	    'Y, loss, dW, db, dX, W and the re-check) against TFLOP/s, one colour ' +
	    'per precision; log axes.' + (zero ? ' ' + zero + ' points with zero error are not shown.' : '');
	spec.config = { type: 'scatter', data: { datasets: ds }, options: xyOptions(
	    axis('logarithmic', 'worst relative error'), axis('logarithmic', 'TFLOP/s')) };
	return spec;
}

/*
 * The AMP machinery's share of the step: per point with an amp.* phase,
 * 100 · (amp.unscale + amp.update) / the sum of its phase medians, as two
 * stacked bars.  The figures are also listed under the caption
 * (li[data-point][data-pct]).
 */
function specAmp(phases) {
	const spec = { name: 'amp', title: 'AMP share of the step', api: 'phases' };
	const labels = [], shares = [];
	for (const [idx, rows] of groupBy(phases, (r) => r.point_idx)) {
		if (!rows.some((x) => AMP_PHASES.indexOf(x.phase) >= 0))
			continue;
		let total = 0;
		const amp = {};
		for (const x of rows) {
			if (!isNum(x.median_us))
				continue;
			total += x.median_us;
			if (AMP_PHASES.indexOf(x.phase) >= 0)
				amp[x.phase] = x.median_us;
		}
		if (!(total > 0))
			continue;
		const pct = AMP_PHASES.map((n) => isNum(amp[n]) ? 100 * amp[n] / total : 0);
		labels.push(pointLabel(idx, rows[0]));
		shares.push({ idx: idx, pct: pct, sum: pct[0] + pct[1], total: total });
	}
	if (!labels.length)
		return Object.assign(spec, { absent: 'no mixed-precision phases in this run ' +
		    '(amp.unscale and amp.update are timed for fp16amp/bf16amp steps timed per phase)' });
	const colours = ['#e15759', '#f28e2b'];
	const ds = AMP_PHASES.map((name, i) => ({
		label: name,
		data: shares.map((x) => x.pct[i]),
		backgroundColor: colours[i],
		borderWidth: 0,
		stack: 'amp'
	}));
	const top = Math.max.apply(null, shares.map((x) => x.sum));
	spec.caption = 'The mixed-precision machinery\'s share of the step: ' +
	    'amp.unscale (upcast, unscale and inf/NaN check) and amp.update ' +
	    '(the loss-scale update) as % of the sum of the point\'s phase ' +
	    'medians; the target is ≤ 5 % at 4096.';
	spec.notes = el('ul', { class: 'figures amp-share' }, shares.map((x) =>
	    el('li', { 'data-point': x.idx, 'data-pct': x.sum },
		'#' + x.idx + ': ' + fmtPct(x.sum) + ' of ' + fmt(x.total) + ' µs')));
	spec.height = Math.min(1200, 110 + 22 * labels.length);
	spec.config = {
		type: 'bar',
		data: { labels: labels, datasets: ds },
		options: {
			animation: false,
			responsive: true,
			maintainAspectRatio: false,
			indexAxis: 'y',
			scales: {
				x: axis('linear', '% of the step (sum of phases)', {
					stacked: true, min: 0,
					suggestedMax: Math.min(100, Math.max(5, 1.2 * top))
				}),
				y: { stacked: true, ticks: { autoSkip: false } }
			},
			plugins: {
				legend: { position: 'bottom', labels: { boxWidth: 14, boxHeight: 8 } },
				tooltip: {
					callbacks: {
						label: (ctx) => ctx.dataset.label + ': ' + fmtPct(ctx.parsed.x) +
						    ' (together ' + fmtPct(shares[ctx.dataIndex].sum) + ')'
					}
				}
			}
		}
	};
	return spec;
}

/*
 * Dynamic int8's cost around its GEMM: per int8dyn point timed per phase,
 * 100 · (int8.scale + int8.quant + int8.dequant) / forward, the three as
 * stacked bars.  forward is the int8 GEMM (with the dequantising epilogue
 * where the implementation has one: then there is no int8.dequant phase,
 * and the point says "fused").  A phase that is missing (scale, quant) or
 * stored without a time is "not measured", never 0: such a point has no
 * bar.  The figures are listed under the caption
 * (li[data-point][data-pct][data-granularity][data-dequant]).
 */
function specQuantOverhead(phases, results) {
	const spec = { name: 'quant-overhead', title: 'Quantisation overhead',
	    api: 'phases' };
	const byPoint = groupBy(phases, (r) => r.point_idx);
	const pts = [];
	for (const r of results) {
		if (!isInt8(r) || !byPoint.has(r.point_idx))
			continue;
		const ph = new Map(byPoint.get(r.point_idx).map((x) =>
		    [x.phase, x.median_us]));
		const fused = !ph.has('int8.dequant');
		const us = QUANT_PHASES.map((n) => n === 'int8.dequant' && fused ?
		    0 : (isNum(ph.get(n)) ? ph.get(n) : null));
		const fwd = ph.get('forward');
		const missing = QUANT_PHASES.filter((n, i) => us[i] === null);
		if (!(isNum(fwd) && fwd > 0))
			missing.unshift('forward');
		const pct = missing.length ? null : us.map((x) => 100 * x / fwd);
		pts.push({ idx: r.point_idx, r: r, us: us, fwd: fwd, fused: fused,
		    missing: missing, pct: pct,
		    sum: pct ? pct[0] + pct[1] + pct[2] : null });
	}
	if (!pts.some((p) => p.pct))
		return Object.assign(spec, { absent: 'no quantisation overhead ' +
		    'in this run (' + (pts.length ? pts.length + ' int8dyn points ' +
		    'have phase rows, none with int8.scale, int8.quant and forward ' +
		    'all timed' : 'int8dyn points timed per phase record it') + ')' });
	const label = (p) => pointLabel(p.idx, p.r) + ' · ' +
	    (granularity(p.r) || 'granularity not recorded') +
	    (p.pct ? '' : ' · not measured');
	const colours = ['#59a14f', '#4e79a7', '#b07aa1'];
	const ds = QUANT_PHASES.map((name, i) => ({
		label: name + (i === 2 ? ' (0 where fused into the GEMM)' : ''),
		data: pts.map((p) => p.pct ? p.pct[i] : null),
		backgroundColor: colours[i],
		borderWidth: 0,
		stack: 'quant'
	}));
	const top = Math.max.apply(null, pts.filter((p) => p.pct).map((p) => p.sum));
	spec.caption = 'Dynamic int8\'s work around its GEMM, per int8dyn ' +
	    'point: the activations\' absmax (int8.scale), their conversion ' +
	    'to int8 (int8.quant) and, for GEMMs without a dequantising ' +
	    'epilogue, int8.dequant, each as % of the GEMM (the forward ' +
	    'phase); weights per tensor or per channel as labelled. In ' +
	    'train.int8dyn steps int8.quant also re-quantises the weights ' +
	    'from the fp32 master copy.';
	spec.notes = el('ul', { class: 'figures quant-overhead' }, pts.map((p) =>
	    el('li', {
		'data-point': p.idx,
		'data-pct': p.pct ? p.sum : 'none',
		'data-granularity': p.r.quant_per_channel === 1 ? 'per-channel' :
		    p.r.quant_per_channel === 0 ? 'per-tensor' : 'unknown',
		'data-dequant': p.fused ? 'fused' : 'separate'
	    }, '#' + p.idx + ' ' + (granularity(p.r) || 'granularity not recorded') +
		': ' + (p.pct ? fmtPct(p.sum) + ' of the GEMM (' +
		fmt(p.us[0] + p.us[1] + p.us[2]) + ' of ' + fmt(p.fwd) + ' µs; ' +
		(p.fused ? 'dequantised in the GEMM\'s epilogue' :
		'int8.dequant ' + fmtPct(p.pct[2])) + ')' :
		'not measured (no time for ' + p.missing.join(', ') + ')'))));
	spec.wide = true;	/* the point labels are long */
	spec.height = Math.min(1200, 110 + 22 * pts.length);
	spec.config = {
		type: 'bar',
		data: { labels: pts.map(label), datasets: ds },
		options: {
			animation: false,
			responsive: true,
			maintainAspectRatio: false,
			indexAxis: 'y',
			scales: {
				x: axis('linear', '% of the GEMM (forward phase)', {
					stacked: true, min: 0,
					suggestedMax: Math.max(5, 1.2 * top)
				}),
				y: { stacked: true, ticks: { autoSkip: false } }
			},
			plugins: {
				legend: { position: 'bottom', labels: { boxWidth: 14, boxHeight: 8 } },
				tooltip: {
					callbacks: {
						label: (ctx) => {
							const p = pts[ctx.dataIndex];
							const i = ctx.datasetIndex;
							if (i === 2 && p.fused)
								return 'int8.dequant: fused into the GEMM';
							return QUANT_PHASES[i] + ': ' + fmtPct(ctx.parsed.x) +
							    ' of the GEMM (' + fmt(p.us[i]) + ' µs; together ' +
							    fmtPct(p.sum) + ')';
						}
					}
				}
			}
		}
	};
	return spec;
}

/* "3 activations, 1 weight"; a count the variant did not make says so. */
function satText(r) {
	const n = (x, what) => !isNum(x) ? what + 's not counted' :
	    x + ' ' + what + (x === 1 ? '' : 's');
	return n(r.quant_sat_act, 'activation') + ', ' +
	    n(r.quant_sat_weight, 'weight');
}

/*
 * The error int8 adds, in both activation schemes (results.quant_err_sym:
 * symmetric int8, what the GPU's int8 tensor cores take; quant_err_affine:
 * PyTorch's uint8 affine), against the unquantised forward, per int8dyn
 * point, as two bars; saturation counts in the tooltip and the list under
 * the caption (li[data-point][data-err-sym][data-err-affine]
 * [data-sat-act][data-sat-weight], 'none' where not measured or counted).
 */
function specQuantError(results) {
	const spec = { name: 'quant-error', title: 'int8 error: symmetric vs ' +
	    'PyTorch\'s affine', api: 'results' };
	const pts = results.filter((r) => isInt8(r) &&
	    (r.status === 'ok' || r.status === 'mismatch'));
	if (!pts.some((r) => isNum(r.quant_err_sym) || isNum(r.quant_err_affine)))
		return Object.assign(spec, { absent: 'no int8 quantisation error ' +
		    'in this run (int8dyn points record the error of both ' +
		    'activation schemes against fp32)' });
	const errs = [];
	for (const r of pts)
		for (const v of [r.quant_err_sym, r.quant_err_affine])
			if (isNum(v))
				errs.push(v);
	const logX = errs.every((v) => v > 0);
	const measured = (r) => isNum(r.quant_err_sym) || isNum(r.quant_err_affine);
	const label = (r) => pointLabel(r.point_idx, r) + ' · ' +
	    (granularity(r) || 'granularity not recorded') +
	    (measured(r) ? '' : ' · not measured');
	const schemes = [
		['quant_err_sym', 'symmetric int8 (GPU)', '#4e79a7'],
		['quant_err_affine', 'affine uint8 (PyTorch)', '#f28e2b']
	];
	const ds = schemes.map(([key, name, c]) => ({
		label: name,
		data: pts.map((r) => isNum(r[key]) && (!logX || r[key] > 0) ? r[key] : null),
		backgroundColor: c,
		borderWidth: 0
	}));
	const errText = (x) => isNum(x) ? fmt(x) : 'not measured';
	spec.caption = 'Relative L2 error of the int8 forward against the ' +
	    'unquantised one, on the host for each point\'s data: activations ' +
	    'quantised symmetric int8 (what int8 tensor cores take, what the GPU ' +
	    'variants run) and uint8 affine (PyTorch\'s quantize_dynamic); ' +
	    'weights per tensor or per channel as labelled' +
	    (logX ? '; log axis.' : '.') + ' Saturated: elements clamped ' +
	    'when the variant quantised the checked step.';
	spec.notes = el('ul', { class: 'figures quant-error' }, pts.map((r) =>
	    el('li', {
		'data-point': r.point_idx,
		'data-err-sym': isNum(r.quant_err_sym) ? r.quant_err_sym : 'none',
		'data-err-affine': isNum(r.quant_err_affine) ? r.quant_err_affine : 'none',
		'data-sat-act': isNum(r.quant_sat_act) ? r.quant_sat_act : 'none',
		'data-sat-weight': isNum(r.quant_sat_weight) ? r.quant_sat_weight : 'none'
	    }, '#' + r.point_idx + ' ' + (granularity(r) || 'granularity not recorded') +
		': symmetric ' + errText(r.quant_err_sym) + ', affine ' +
		errText(r.quant_err_affine) +
		(isNum(r.quant_err_sym) && isNum(r.quant_err_affine) &&
		r.quant_err_affine > 0 ? ' (×' + fmt(r.quant_err_sym /
		r.quant_err_affine) + ')' : '') + '; saturated: ' + satText(r))));
	spec.wide = true;
	spec.height = Math.min(1600, 110 + 34 * pts.length);
	spec.config = {
		type: 'bar',
		data: { labels: pts.map(label), datasets: ds },
		options: {
			animation: false,
			responsive: true,
			maintainAspectRatio: false,
			indexAxis: 'y',
			scales: {
				x: axis(logX ? 'logarithmic' : 'linear',
				    'relative error vs the unquantised forward',
				    logX ? null : { min: 0 }),
				y: { ticks: { autoSkip: false } }
			},
			plugins: {
				legend: { position: 'bottom', labels: { boxWidth: 14, boxHeight: 8 } },
				tooltip: {
					callbacks: {
						label: (ctx) => {
							const r = pts[ctx.dataIndex];
							return schemes[ctx.datasetIndex][1] + ': ' +
							    errText(r[schemes[ctx.datasetIndex][0]]);
						},
						footer: (items) => items.length ? 'saturated: ' +
						    satText(pts[items[0].dataIndex]) : ''
					}
				}
			}
		}
	};
	return spec;
}

/*
 * Loss curves; where a point has the fp32 step's loss of the same steps
 * (ref_loss), that curve is drawn beside it, thin and dashed, and the
 * point's divergence (results.loss_divergence: max over steps of
 * |loss − fp32| / |fp32|) goes into its label and under the caption
 * (li[data-point][data-divergence]).
 */
function specLoss(curves, results) {
	const spec = { name: 'loss', title: 'Loss', api: 'curves' };
	if (!curves.length)
		return Object.assign(spec, { absent: 'no loss curves in this run (sweep with --steps N to record them)' });
	const logY = curves.every((r) => (!isNum(r.loss) || r.loss > 0) &&
	    (!isNum(r.ref_loss) || r.ref_loss > 0));
	const byPoint = new Map(results.map((r) => [r.point_idx, r]));
	const ds = [];
	const div = [];
	let i = 0;
	for (const [idx, rows] of groupBy(curves, (r) => r.point_idx)) {
		const r0 = rows[0];
		const c = PALETTE[i % PALETTE.length];
		const res = byPoint.get(idx);
		const d = res && isNum(res.loss_divergence) ? res.loss_divergence : null;
		const label = '#' + idx + ' ' + r0.variant + ' L' + r0.layers + ' ' + shape(r0) +
		    (d !== null ? ' · divergence ' + fmt(d) : '');
		ds.push({
			label: label,
			data: rows.filter((r) => isNum(r.loss)).map((r) => ({
				x: r.step, y: r.loss,
				tip: 'step ' + r.step + ': loss ' + fmt(r.loss, 4) + ', lr ' + fmt(r.lr) +
				    (isNum(r.ref_loss) ? ', fp32 ' + fmt(r.ref_loss, 4) : '')
			})).sort((a, b) => a.x - b.x),
			borderColor: c, backgroundColor: c,
			borderDash: DASHES[Math.floor(i / PALETTE.length) % DASHES.length],
			borderWidth: 1.5, pointRadius: 0, pointHoverRadius: 4, showLine: true
		});
		const ref = rows.filter((r) => isNum(r.ref_loss));
		if (ref.length) {
			ds.push({
				label: '#' + idx + ' fp32 reference',
				data: ref.map((r) => ({
					x: r.step, y: r.ref_loss,
					tip: 'step ' + r.step + ': fp32 loss ' + fmt(r.ref_loss, 4) +
					    (isNum(r.loss) ? ', this point ' + fmt(r.loss, 4) : '')
				})).sort((a, b) => a.x - b.x),
				borderColor: withAlpha(c, 0.6), backgroundColor: withAlpha(c, 0.6),
				borderDash: [3, 3], borderWidth: 1, pointRadius: 0,
				pointHoverRadius: 3, showLine: true
			});
		}
		if (d !== null || ref.length)
			div.push({ idx: idx, d: d });
		i++;
	}
	spec.caption = 'Training loss per step (downsampled to ≤ 500 steps per ' +
	    'curve), one line per point' + (div.length ? '; dashed: the fp32 ' +
	    'step\'s loss over the same steps from the same state, and the ' +
	    'divergence max |loss − fp32| / |fp32|' : '') + (logY ? '; log y axis.' : '.');
	if (div.length)
		spec.notes = el('ul', { class: 'figures divergence' }, div.map((x) =>
		    el('li', { 'data-point': x.idx, 'data-divergence': x.d === null ? 'none' : x.d },
			'#' + x.idx + ': divergence from fp32 ' +
			(x.d === null ? 'not measured' : fmt(x.d)))));
	spec.config = { type: 'line', data: { datasets: ds }, options: xyOptions(
	    axis('linear', 'step'), axis(logY ? 'logarithmic' : 'linear', 'loss')) };
	return spec;
}

/*
 * GradScaler's loss scale per step (/api/scaler), log y.  The API keeps
 * every step where the scale changes, so a step-after line through its
 * rows is exact; skipped steps (inf/NaN found, no update) are crosses.
 */
function specScale(scaler) {
	const spec = { name: 'scale', title: 'Loss scale', api: 'scaler' };
	if (!scaler.length)
		return Object.assign(spec, { absent: 'no loss-scale trajectory in this run ' +
		    '(fp16amp points record one with --steps N)' });
	const ds = [];
	const counts = [];
	let i = 0;
	for (const [idx, rows] of groupBy(scaler, (r) => r.point_idx)) {
		const r0 = rows[0];
		const c = PALETTE[i % PALETTE.length];
		const base = '#' + idx + ' ' + r0.variant + ' L' + r0.layers + ' ' + shape(r0) +
		    (r0.graph ? ' graph' : '');
		const pts = rows.filter((r) => isNum(r.scale) && r.scale > 0)
		    .sort((a, b) => a.step - b.step);
		const skipped = pts.filter((r) => r.skipped === 1);
		ds.push({
			label: base,
			data: pts.map((r) => ({
				x: r.step, y: r.scale,
				tip: 'step ' + r.step + ': scale ' + fmt(r.scale, 6) +
				    (r.skipped === 1 ? ' (skipped)' : '') +
				    (isNum(r.growth_tracker) ? ', good steps ' + r.growth_tracker : '')
			})),
			borderColor: c, backgroundColor: c, stepped: 'after',
			borderWidth: 1.5, pointRadius: 0, pointHoverRadius: 4, showLine: true
		});
		if (skipped.length)
			ds.push({
				label: '#' + idx + ' skipped',
				data: skipped.map((r) => ({ x: r.step, y: r.scale,
				    tip: 'step ' + r.step + ' skipped: inf/NaN at scale ' + fmt(r.scale, 6) })),
				borderColor: '#d62728', backgroundColor: '#d62728',
				pointStyle: 'crossRot', pointRadius: 6, pointBorderWidth: 2,
				pointHoverRadius: 7, showLine: false
			});
		counts.push({ idx: idx, skipped: skipped.length });
		i++;
	}
	spec.caption = 'The loss scale each step ran with (log axis); ✕ marks a ' +
	    'skipped step: the scaler found inf/NaN in the gradients, left the ' +
	    'weights alone and backed the scale off.';
	spec.notes = el('ul', { class: 'figures skipped-steps' }, counts.map((x) =>
	    el('li', { 'data-point': x.idx, 'data-skipped': x.skipped },
		'#' + x.idx + ': ' + x.skipped + ' skipped step' + (x.skipped === 1 ? '' : 's') +
		' shown')));
	spec.config = { type: 'line', data: { datasets: ds }, options: xyOptions(
	    axis('linear', 'step'), axis('logarithmic', 'loss scale')) };
	return spec;
}

/* An all-reduce row of `stepbench allreduce` (variant allreduce.<backend>.
 * <dtype>.<op>.<in|out>), as opposed to a data-parallel step's bucket. */
function isAllreduce(r) {
	return String(r.variant || '').startsWith('allreduce.');
}

/* A data-parallel step's result row (dp_* set; not an allreduce row). */
function isDpStep(r) {
	return typeof r.dp_backend === 'string' && !isAllreduce(r);
}

function dpLabel(r) {
	return '#' + r.point_idx + ' ' + r.variant + ' · L' + r.layers +
	    ' · world ' + r.world + ' · ' + (r.dp_backend || 'backend ?') +
	    (r.dp_overlap === 1 ? ' · overlap' : '') +
	    (r.dp_compress && r.dp_compress !== 'f32' ? ' · ' + r.dp_compress : '');
}

/*
 * Data parallel, per step with --world: each gradient bucket's all-reduce
 * (/api/comm: bucket 0 is the first reduced, holding the last layer) as
 * busbw bars, one colour per point; under it a table of the step's
 * backend, world, hidden share of the communication, exposed time and
 * overhead (results.dp_*: harness/ddp.h's overlap metric), one row per
 * data-parallel point (tr[data-point][data-overlap-pct][data-exposed-us]
 * [data-overhead-pct], 'none' where not measured).
 */
function specDpBuckets(comm, results) {
	const spec = { name: 'dp-buckets', title: 'Data parallel: busbw per bucket',
	    api: 'comm' };
	const rows = comm.filter((r) => !isAllreduce(r));
	if (!rows.length)
		return Object.assign(spec, { absent: 'no data-parallel buckets in ' +
		    'this run (sweep with --world R records each gradient bucket\'s ' +
		    'all-reduce)' });
	const nb = Math.max(...rows.map((r) => r.bucket)) + 1;
	const byPoint = new Map(results.map((r) => [r.point_idx, r]));
	const ds = [];
	let i = 0;
	for (const [idx, group] of groupBy(rows, (r) => r.point_idx)) {
		const res = byPoint.get(idx) || group[0];
		const data = new Array(nb).fill(null);
		const tips = new Array(nb).fill('');
		for (const b of group) {
			data[b.bucket] = isNum(b.busbw_gbps) ? b.busbw_gbps : null;
			tips[b.bucket] = fmtBytes(b.bytes) + ', ' + (isNum(b.nparams) ?
			    b.nparams + ' tensors, ' : '') + (isNum(b.layer_hi) ?
			    'layers ' + b.layer_hi + (b.layer_lo !== b.layer_hi ?
			    '–' + b.layer_lo : '') + ', ' : '') + (isNum(b.median_us) ?
			    fmt(b.median_us) + ' µs, algbw ' + fmt(b.algbw_gbps) +
			    ' GB/s, busbw ' + fmt(b.busbw_gbps) + ' GB/s' : 'not measured');
		}
		const c = PALETTE[i++ % PALETTE.length];
		ds.push({ label: dpLabel(Object.assign({}, group[0], res)), data: data,
		    tips: tips, backgroundColor: c, borderWidth: 0 });
	}
	const steps = results.filter(isDpStep);
	const pct = (x) => isNum(x) ? fmt(100 * x) : '–';
	const none = (x, k) => isNum(x) ? (k ? k * x : x) : 'none';
	spec.caption = 'Bus bandwidth of each gradient bucket\'s all-reduce inside ' +
	    'the step (nccl-tests\' busbw = bytes / time · 2(world−1)/world; 0 at ' +
	    'world 1), median over the samples; bucket 0 is reduced first and ' +
	    'holds the last layer (DDP\'s reverse order). The table: the share of ' +
	    'the communication hidden behind compute ((compute + comm − wall) / ' +
	    'comm), the time left exposed (wall − compute) and the overhead over ' +
	    'the same step without communication.';
	spec.notes = sortableTable('dp-summary', [
		{ label: '#', num: true, get: (r) => r.point_idx, show: (r) => r.point_idx },
		{ label: 'variant', get: (r) => r.variant, show: (r) => r.variant },
		{ label: 'backend', get: (r) => r.dp_backend, show: (r) => r.dp_backend },
		{ label: 'world', num: true, get: (r) => r.world, show: (r) => r.world },
		{ label: 'overlap', get: (r) => r.dp_overlap,
		  show: (r) => r.dp_overlap === 1 ? 'on' : r.dp_overlap === 0 ? 'off' : '–' },
		{ label: 'grads', get: (r) => r.dp_compress, show: (r) => r.dp_compress || '–' },
		{ label: 'compute µs', num: true, get: (r) => r.dp_compute_us,
		  show: (r) => fmt(r.dp_compute_us) },
		{ label: 'comm µs', num: true, get: (r) => r.dp_comm_us,
		  show: (r) => fmt(r.dp_comm_us) },
		{ label: 'hidden %', num: true, get: (r) => r.dp_overlap_frac,
		  show: (r) => pct(r.dp_overlap_frac),
		  title: () => 'share of the communication hidden: (compute + comm − wall) / comm' },
		{ label: 'exposed µs', num: true, get: (r) => r.dp_exposed_us,
		  show: (r) => fmt(r.dp_exposed_us),
		  title: () => 'wall − compute: the communication the step waits for' },
		{ label: 'overhead %', num: true, get: (r) => r.dp_overhead,
		  show: (r) => pct(r.dp_overhead),
		  title: () => '(wall − compute) / compute' }
	], steps, (r) => ({
		'data-point': r.point_idx,
		'data-overlap-pct': none(r.dp_overlap_frac, 100),
		'data-exposed-us': none(r.dp_exposed_us),
		'data-overhead-pct': none(r.dp_overhead, 100)
	}));
	spec.wide = true;
	spec.config = {
		type: 'bar',
		data: { labels: Array.from({ length: nb }, (_, b) => 'bucket ' + b),
		    datasets: ds },
		options: {
			animation: false,
			responsive: true,
			maintainAspectRatio: false,
			scales: {
				x: { title: { display: true, text: 'bucket (all-reduce order)' } },
				y: axis('linear', 'busbw GB/s', { min: 0 })
			},
			plugins: {
				legend: { position: 'bottom', labels: { boxWidth: 14, boxHeight: 8 } },
				tooltip: {
					callbacks: {
						label: (ctx) => ctx.dataset.label + ': ' +
						    ctx.dataset.tips[ctx.dataIndex]
					}
				}
			}
		}
	};
	return spec;
}

/*
 * `stepbench allreduce` as nccl-tests plots it: busbw against the message
 * size, one line per (backend, dtype, op, place, graph, world), from the
 * allreduce rows' comm rows; the peak of each line is listed under the
 * caption (li[data-series][data-points][data-peak-busbw][data-peak-bytes]).
 */
function specAllreduce(comm) {
	const spec = { name: 'allreduce', title: 'All-reduce: busbw vs size',
	    api: 'comm' };
	const rows = comm.filter((r) => isAllreduce(r) && r.status === 'ok' &&
	    isNum(r.busbw_gbps) && isNum(r.bytes) && r.bytes > 0);
	if (!rows.length)
		return Object.assign(spec, { absent: 'no all-reduce sweep in this run ' +
		    '(stepbench allreduce records one)' });
	const colour = colourer();
	const ds = [];
	const peaks = [];
	const key = (r) => [r.dp_backend, r.dp_compress, r.dp_op,
	    r.dp_inplace === 1 ? 'in-place' : 'out-of-place',
	    r.graph ? 'graph' : '', 'world ' + r.world].filter(Boolean).join(' · ');
	for (const [label, group] of groupBy(rows, key)) {
		const r0 = group[0];
		const pts = group.map((r) => ({
			x: r.bytes, y: r.busbw_gbps,
			tip: fmtBytes(r.bytes) + ': ' + fmt(r.median_us) + ' µs, algbw ' +
			    fmt(r.algbw_gbps) + ' GB/s, busbw ' + fmt(r.busbw_gbps) + ' GB/s'
		})).sort((a, b) => a.x - b.x);
		const c = colour(r0.dp_backend + r0.dp_compress);
		ds.push({
			label: label, data: pts, borderColor: c, backgroundColor: c,
			borderDash: r0.dp_inplace === 1 ? [6, 3] : [],
			borderWidth: 1.5, pointRadius: 3, pointHoverRadius: 5,
			pointStyle: r0.graph ? 'triangle' : 'circle', showLine: true
		});
		const best = pts.reduce((a, b) => b.y > a.y ? b : a);
		peaks.push({ label: label, n: pts.length, y: best.y, x: best.x });
	}
	spec.caption = 'Bus bandwidth of the all-reduce alone against the message ' +
	    'size, as nccl-tests\' all_reduce_perf reports it: busbw = bytes / ' +
	    'time · 2(world−1)/world, comparable across world sizes with the ' +
	    'link bandwidth; dashed: in-place, triangles: CUDA graph; log x axis.';
	spec.notes = el('ul', { class: 'figures allreduce-peaks' }, peaks.map((p) =>
	    el('li', { 'data-series': p.label, 'data-points': p.n,
		'data-peak-busbw': p.y, 'data-peak-bytes': p.x },
		p.label + ': peak busbw ' + fmt(p.y) + ' GB/s at ' + fmtBytes(p.x) +
		' (' + p.n + ' sizes)')));
	spec.wide = true;
	spec.config = { type: 'line', data: { datasets: ds }, options: xyOptions(
	    axis('logarithmic', 'bytes'), axis('linear', 'busbw GB/s', { min: 0 })) };
	return spec;
}

/*
 * A sortable table: cols are {label, get(row) -> sort key, show(row) -> text
 * or Node, cls(row)}.  Click a header to sort (again to reverse); empty
 * values sort last either way.
 */
function sortableTable(id, cols, rows, rowAttrs) {
	const head = el('tr');
	const body = el('tbody');
	const pairs = rows.map((r) => {
		const tr = el('tr', rowAttrs ? rowAttrs(r) : null);
		for (const c of cols) {
			const v = c.show(r);
			tr.appendChild(el('td', { class: (c.num ? 'num' : '') +
			    (c.cls ? ' ' + c.cls(r) : '') || null,
			    title: c.title ? c.title(r) : null }, v));
		}
		body.appendChild(tr);
		return { r: r, tr: tr };
	});
	let sortCol = -1, dir = 1;
	const ths = cols.map((c, i) => {
		const th = el('th', {
			scope: 'col', class: c.num ? 'num' : null, tabindex: 0,
			title: 'sort by ' + c.label,
			onclick: () => sortBy(i),
			onkeydown: (ev) => {
				if (ev.key === 'Enter' || ev.key === ' ') {
					ev.preventDefault();
					sortBy(i);
				}
			}
		}, c.label);
		head.appendChild(th);
		return th;
	});
	function sortBy(i) {
		dir = sortCol === i ? -dir : 1;
		sortCol = i;
		const get = cols[i].get;
		pairs.sort((a, b) => {
			const x = get(a.r), y = get(b.r);
			const xe = x === null || x === undefined || x === '' || (typeof x === 'number' && isNaN(x));
			const ye = y === null || y === undefined || y === '' || (typeof y === 'number' && isNaN(y));
			if (xe || ye)
				return xe === ye ? 0 : (xe ? 1 : -1);
			if (typeof x === 'number' && typeof y === 'number')
				return dir * (x - y);
			return dir * String(x).localeCompare(String(y));
		});
		for (const p of pairs)
			body.appendChild(p.tr);
		ths.forEach((th, j) => {
			if (j === i)
				th.setAttribute('aria-sort', dir > 0 ? 'ascending' : 'descending');
			else
				th.removeAttribute('aria-sort');
		});
	}
	return el('div', { class: 'table-wrap' },
	    el('table', { id: id, class: 'data' }, el('thead', null, head), body));
}

/* ------------------------------------------------------- runs page */

async function pageRuns() {
	const app = $('#app');
	const selected = new Set();
	const button = el('button', { type: 'button', id: 'compare-btn', disabled: true,
	    onclick: () => {
		    const ids = Array.from(selected).sort((a, b) => a - b);
		    if (ids.length === 2)
			    location.href = '/compare?a=' + ids[0] + '&b=' + ids[1];
	    } }, 'Compare');
	const hint = el('span', { class: 'hint' });
	const live = el('span', { class: 'live', hidden: true }, 'live: refreshing every 2 s while a run is running');
	const holder = el('div');
	app.appendChild(el('div', { class: 'toolbar' }, button, hint, live));
	app.appendChild(holder);

	function updateButton() {
		button.disabled = selected.size !== 2;
		const ids = Array.from(selected).sort((a, b) => a - b);
		hint.textContent = selected.size === 2 ?
		    'compare run ' + ids[0] + ' (a) with run ' + ids[1] + ' (b)' :
		    'tick two runs to compare them (' + selected.size + ' ticked)';
	}

	function render(runs) {
		for (const id of Array.from(selected))
			if (!runs.some((r) => r.id === id))
				selected.delete(id);
		if (!runs.length) {
			setKids(holder, el('p', { class: 'empty' },
			    'No runs in this database yet. Run "stepbench sweep --db <this file>" and reload.'));
			updateButton();
			return;
		}
		const head = el('tr', null, ['', 'run', 'started', 'label', 'note',
		    'device', 'status', 'points', 'ok', 'failed', 'skipped'].map((h) =>
		    el('th', { scope: 'col' }, h)));
		const body = el('tbody');
		for (const r of runs) {
			const done = isNum(r.done_points) ? r.done_points : 0;
			const planned = isNum(r.planned_points) ? r.planned_points : 0;
			const box = el('input', {
				type: 'checkbox', value: r.id, 'aria-label': 'select run ' + r.id,
				onchange: (ev) => {
					if (ev.target.checked)
						selected.add(r.id);
					else
						selected.delete(r.id);
					updateButton();
				}
			});
			box.checked = selected.has(r.id);
			body.appendChild(el('tr', { 'data-id': r.id, class: 'run-' + r.status },
			    el('td', null, box),
			    el('td', { class: 'mono' }, el('a', { href: '/run?id=' + r.id, title: r.uuid }, uuid8(r))),
			    el('td', { class: 'nowrap' }, fmtTime(r.started_at)),
			    el('td', { class: 'label' }, r.label || ''),
			    el('td', { class: 'note' }, r.note || ''),
			    el('td', null, r.device || ''),
			    el('td', null, badge(r.status)),
			    el('td', { class: 'progress-cell' },
				el('progress', { max: Math.max(planned, 1), value: Math.min(done, Math.max(planned, 1)) }),
				' ', done + '/' + (planned || '?')),
			    el('td', { class: 'num' }, r.ok_points),
			    el('td', { class: 'num' + (r.failed_points > 0 ? ' bad' : '') }, r.failed_points),
			    el('td', { class: 'num' }, r.skipped_points)));
		}
		setKids(holder, el('div', { class: 'table-wrap' },
		    el('table', { id: 'runs', class: 'data' }, el('thead', null, head), body)));
		updateButton();
	}

	let first = true;
	async function refresh() {
		let runs;
		try {
			runs = await fetchJSON('/api/runs');
		} catch (e) {
			fail(e);
			return;		/* stop refreshing; reload to retry */
		}
		render(runs);
		const running = runs.some((r) => r.status === 'running');
		live.hidden = !running;
		if (first) {
			first = false;
			ready(0);
		}
		if (running)
			setTimeout(refresh, 2000);
	}
	await refresh();
}

/* -------------------------------------------------------- run page */

function envSummary(text) {
	let e = null;
	try {
		e = typeof text === 'string' ? JSON.parse(text) : text;
	} catch (err) {
		return 'unreadable environment record';
	}
	if (!e || typeof e !== 'object')
		return 'no environment record';
	const parts = [];
	if (Array.isArray(e.gpus) && e.gpus.length) {
		const g = e.gpus[0];
		parts.push((e.gpus.length > 1 ? e.gpus.length + '× ' : '') + g.name +
		    ' (cc ' + g.cc + (g.sms ? ', ' + g.sms + ' SMs' : '') + ')');
		const drv = cudaVer(e.driver_version), rt = cudaVer(e.runtime_version);
		const cb = libVer(e.cublas_version);
		if (drv)
			parts.push('driver CUDA ' + drv);
		if (rt)
			parts.push('runtime ' + rt);
		if (cb)
			parts.push('cuBLAS ' + cb);
	} else {
		parts.push('CPU: ' + (e.cpu || 'unknown') +
		    (e.cpu_cores ? ', ' + e.cpu_cores + ' cores' : ''));
		if (e.no_gpu_reason)
			parts.push('no GPU: ' + e.no_gpu_reason);
	}
	if (e.host)
		parts.push('host ' + e.host);
	if (e.build)
		parts.push('build ' + [e.build.version, e.build.build_type,
		    e.build.git_rev].filter(Boolean).join(' '));
	return parts.join(' · ');
}

function argvText(text) {
	try {
		const a = JSON.parse(text);
		if (Array.isArray(a))
			return a.map(shellQuote).join(' ');
	} catch (e) {
		/* fall through: show it raw */
	}
	return String(text || '');
}

function runHeader(run) {
	const fact = (k, v) => [el('dt', null, k), el('dd', null, v)];
	return el('section', { class: 'run-head' },
	    el('h1', { class: 'run-label' }, runName(run)),
	    run.note ? el('p', { class: 'note' }, run.note) : null,
	    el('dl', { class: 'facts' },
		fact('run', [el('span', { class: 'mono' }, run.uuid || ''), ' (id ' + run.id + ')']),
		fact('status', [badge(run.status), ' ', (run.done_points || 0) + '/' +
		    (run.planned_points || '?') + ' points: ' + (run.ok_points || 0) + ' ok, ' +
		    (run.failed_points || 0) + ' failed, ' + (run.skipped_points || 0) + ' skipped']),
		fact('device', run.device || '–'),
		fact('time', fmtTime(run.started_at) + ' → ' + (run.ended_at ? fmtTime(run.ended_at) : '…')),
		fact('git', run.git_rev ? [el('span', { class: 'mono' }, run.git_rev),
		    run.git_dirty ? ' (dirty)' : ''] : '–'),
		fact('environment', envSummary(run.env_json)),
		fact('command', el('code', { class: 'argv' }, argvText(run.argv)))));
}

/*
 * The #points columns of dynamic int8, shown when the run has int8dyn rows:
 * an int8dyn row whose value is NULL says so ("not measured", "not
 * counted"); other rows leave the cells empty.
 */
function int8Columns(results) {
	if (!results.some(isInt8))
		return [];
	const col = (label, key, none, what) => ({
		label: label, num: true,
		get: (r) => isInt8(r) && isNum(r[key]) ? r[key] : null,
		show: (r) => !isInt8(r) ? '' : isNum(r[key]) ?
		    (key.startsWith('quant_sat') ? String(r[key]) : fmt(r[key])) : none,
		cls: (r) => isInt8(r) && !isNum(r[key]) ? 'unmeasured' : '',
		title: () => what
	});
	return [
		{ label: 'int8 weights',
		  get: (r) => isInt8(r) ? granularity(r) : null,
		  show: (r) => !isInt8(r) ? '' : granularity(r) || 'not recorded',
		  title: () => 'int8 weights quantised per tensor or per output channel' },
		col('int8 err sym', 'quant_err_sym', 'not measured',
		    'relative error vs the unquantised forward, symmetric int8 activations (the GPU scheme)'),
		col('int8 err affine', 'quant_err_affine', 'not measured',
		    'relative error vs the unquantised forward, uint8 affine activations (PyTorch\'s scheme)'),
		col('sat act', 'quant_sat_act', 'not counted',
		    'activation elements clamped when quantising the checked step'),
		col('sat W', 'quant_sat_weight', 'not counted',
		    'weight elements clamped when quantising the checked step')
	];
}

function pointsTable(results, q, id) {
	const anyWorld = results.some((r) => r.world > 1);
	const anyGraph = results.some((r) => r.graph);
	const anyCupti = results.some((r) => r.cupti !== null && r.cupti !== undefined);
	const cols = [
		{ label: '#', num: true, get: (r) => r.point_idx,
		  show: (r) => el('a', { href: pointHref(id, r.point_idx), class: 'point-link',
		      title: 'this point: its CUPTI kernels, phases and imported profile' }, String(r.point_idx)) },
		{ label: 'variant', get: (r) => r.variant, show: (r) => r.variant },
		{ label: 'shape', num: true, get: size, show: shape },
		{ label: 'L', num: true, get: (r) => r.layers, show: (r) => r.layers },
		anyWorld ? { label: 'world', num: true, get: (r) => r.world, show: (r) => r.world } : null,
		anyGraph ? { label: 'graph', get: (r) => r.graph ? 1 : 0, show: (r) => r.graph ? 'yes' : '' } : null,
		{ label: 'status', get: (r) => r.status, show: (r) => badge(r.status) },
		{ label: 'reason', get: (r) => r.reason, show: (r) => r.reason || '', cls: () => 'reason' },
		{ label: 'samples', num: true, get: (r) => r.nsamples, show: (r) => r.nsamples },
		{ label: 'reps', num: true, get: (r) => r.reps, show: (r) => isNum(r.reps) ? r.reps : '–' },
		{ label: 'median µs', num: true, get: (r) => r.median_us, show: (r) => fmt(r.median_us) },
		{ label: 'p10–p90 µs', num: true, get: (r) => r.p10_us,
		  show: (r) => isNum(r.p10_us) ? fmt(r.p10_us) + '–' + fmt(r.p90_us) : '–' },
		{ label: 'cv %', num: true, get: (r) => r.cv,
		  show: (r) => isNum(r.cv) ? fmt(100 * r.cv) : '–',
		  cls: (r) => isNum(r.cv) && r.cv > 0.1 ? 'noisy' : '' },
		{ label: 'TFLOP/s', num: true, get: (r) => r.tflops, show: (r) => fmt(r.tflops),
		  cls: (r) => r.over_peak === 1 ? 'bad' : '' },
		{ label: 'GB/s', num: true, get: (r) => r.gbps, show: (r) => fmt(r.gbps) },
		{ label: 'worst error', num: true,
		  get: (r) => { const w = worstErr(r); return w ? w.value : null; },
		  show: (r) => { const w = worstErr(r); return w ? fmt(w.value) + ' ' + w.which : '–'; },
		  cls: (r) => { const w = worstErr(r); return w && isNum(r.tol) && w.value > r.tol ? 'bad' : ''; } },
		{ label: 'tol', num: true, get: (r) => r.tol, show: (r) => fmt(r.tol) },
		{ label: 'check', get: (r) => r.check_mode, show: (r) => r.check_mode || '' },
		results.some((r) => isNum(r.loss_divergence)) ?
		    { label: 'vs fp32', num: true, get: (r) => r.loss_divergence,
		      show: (r) => fmt(r.loss_divergence),
		      title: () => 'loss divergence from the fp32 curve: max |loss − fp32| / |fp32| over --steps' } : null,
		...int8Columns(results),
		anyCupti ? { label: 'CUPTI', num: true, get: (r) => r.cupti_launches,
		  show: (r) => r.cupti === 'ok' ? (isNum(r.cupti_launches) ? String(r.cupti_launches) : '–') +
		      ' / ' + (isNum(r.launches) ? String(r.launches) : '–') : (r.cupti || ''),
		  cls: (r) => r.cupti === 'ok' && isNum(r.launches) && r.cupti_launches !== r.launches ? 'bad' : '',
		  title: () => 'records CUPTI saw per step / launches the variant declares' } : null,
		{ label: 'stop', get: (r) => r.stop_reason, show: (r) => r.stop_reason || '' }
	].filter(Boolean);
	return el('section', { class: 'points' },
	    el('h2', null, 'Points (' + results.length + ')'),
	    el('p', { class: 'caption' }, 'Click a column header to sort. cv = stdev / mean of the samples; ' +
		'worst error = the largest relative error against the fp64 reference. ',
		apiLinks(api('results', q))),
	    sortableTable('points', cols, results, (r) => ({ 'data-status': r.status,
		'data-point': r.point_idx })));
}

async function pageRun(id) {
	if (!/^[0-9]+$/.test(id || ''))
		throw new Error('this page needs a run id: /run?id=N');
	const q = 'id=' + id;
	/* The run first, so that an unknown id is reported as such. */
	const runRows = await fetchJSON(api('run', q));
	if (!runRows.length)
		throw new Error('/api/run?' + q + ': no such run');
	const run = runRows[0];
	const [results, baseline, phases, curves, scaler, comm] = await Promise.all([
		fetchJSON(api('results', q)), fetchJSON(api('baseline', q)),
		fetchJSON(api('phases', q)), fetchJSON(api('curves', q)),
		fetchJSON(api('scaler', q)), fetchJSON(api('comm', q))
	]);
	document.title = 'stepbench — ' + runName(run);
	const app = $('#app');
	app.appendChild(runHeader(run));

	const specs = [specThroughput(results), specTime(results),
	    specBaseline(baseline), specRoofline(results), specPhases(phases),
	    specAmp(phases), specQuantOverhead(phases, results),
	    specError(results), specQuantError(results),
	    specLoss(curves, results), specScale(scaler),
	    specDpBuckets(comm, results), specAllreduce(comm)];
	const absent = specs.filter((s) => !s.config);
	if (absent.length)
		app.appendChild(el('div', { class: 'absent-list' }, absent.map(absentLine)));
	const grid = el('div', { class: 'charts' });
	app.appendChild(grid);
	/* Two columns: with an odd count of half-width charts the last spans both. */
	const drawn = specs.filter((s) => s.config);
	const half = drawn.filter((s) => !s.wide);
	if (half.length % 2)
		half[half.length - 1].wide = true;
	const list = drawn.map((s) => chartSection(s, q));
	for (const c of list)
		grid.appendChild(c.section);
	app.appendChild(pointsTable(results, q, id));
	ready(await drawCharts(list));
}

/* ------------------------------------------------------ point page */

function pointHref(run, idx) {
	return '/point?run=' + run + '&point=' + idx;
}

function parseJSONText(text) {
	if (typeof text !== 'string')
		return null;
	try {
		return JSON.parse(text);
	} catch (e) {
		return null;
	}
}

/* Phases in step order (PHASE_ORDER), then any other by name. */
function phaseRank(name) {
	const i = PHASE_ORDER.indexOf(name);
	return i < 0 ? PHASE_ORDER.length : i;
}

function byPhase(a, b) {
	return phaseRank(a) - phaseRank(b) || (a < b ? -1 : a > b ? 1 : 0);
}

/* "128×1×1"; '–' when a component is unknown (a memcpy has no grid). */
function dim3(r, p) {
	const v = [r[p + '_x'], r[p + '_y'], r[p + '_z']];
	return v.every(isNum) ? v.join('×') : '–';
}

/* The sweep command with `stepbench profile ncu --` in front, from the
 * run's own argv when it was a sweep. */
function profileCommand(run) {
	const a = parseJSONText(run.argv);
	const i = Array.isArray(a) ? a.indexOf('sweep') : -1;
	const rest = i >= 0 ? a.slice(i + 1).map(shellQuote).join(' ') : '...';
	return 'stepbench profile ncu -- sweep ' + rest;
}

/*
 * The cross-check of a CUPTI trace against what the step says of itself:
 * records per step vs the launches the variant declares (result.launches),
 * and the kernels' summed time vs the event time of the same steps (the
 * difference is launch gaps and idle time; a sum above the event time
 * means overlapping kernels).
 */
function crossCheck(r) {
	const items = [];
	const cupti = r.cupti === null || r.cupti === undefined ? 'not a GPU step (no CUPTI state recorded)' :
	    r.cupti === 'ok' ? 'ok' + (isNum(r.cupti_steps) ? ', ' + r.cupti_steps + ' steps traced' : '') : r.cupti;
	items.push(el('li', { 'data-check': 'cupti', 'data-cupti': r.cupti === null ? 'none' : r.cupti },
	    el('strong', null, 'CUPTI: '), cupti));
	const dec = isNum(r.launches) ? r.launches : null;
	const got = isNum(r.cupti_launches) ? r.cupti_launches : null;
	const lv = dec === null || got === null ? 'unknown' : dec === got ? 'match' : 'differs';
	items.push(el('li', { 'data-check': 'launches', 'data-declared': dec === null ? 'none' : dec,
	    'data-cupti': got === null ? 'none' : got, 'data-verdict': lv, class: 'check-' + lv },
	    el('strong', null, 'launches per step: '),
	    'declared ' + (dec === null ? 'not recorded' : dec) + ' (result.launches) vs CUPTI ' +
	    (got === null ? 'not traced' : got) + ' records per step',
	    lv === 'unknown' ? '' : ' — ' + (lv === 'match' ? 'they match' :
		'they differ by ' + (got - dec) + ': a launch the variant does not count, or one it counts that CUPTI did not see')));
	const ks = isNum(r.cupti_kernel_us) ? r.cupti_kernel_us : null;
	const ev = isNum(r.cupti_event_us) ? r.cupti_event_us : null;
	const ratio = ks !== null && ev !== null && ev > 0 ? 100 * ks / ev : null;
	items.push(el('li', { 'data-check': 'time', 'data-kernel-us': ks === null ? 'none' : ks,
	    'data-event-us': ev === null ? 'none' : ev, 'data-pct': ratio === null ? 'none' : ratio },
	    el('strong', null, 'kernel time per step: '),
	    'Σ kernels ' + (ks === null ? 'not traced' : fmt(ks, 4) + ' µs') + ' vs event time ' +
	    (ev === null ? 'not traced' : fmt(ev, 4) + ' µs'),
	    ratio === null ? '' : ' (' + fmt(ratio, 4) + ' %; the rest is launch gaps and idle time' +
		(ratio > 100 ? ', above 100 %: kernels overlapped' : '') + ')'));
	if (isNum(r.median_us))
		items.push(el('li', { 'data-check': 'median' }, el('strong', null, 'timed median: '),
		    fmt(r.median_us, 4) + ' µs per step (' + (r.nsamples || 0) + ' samples)'));
	return el('section', { class: 'crosscheck', id: 'crosscheck' },
	    el('h2', null, 'Cross-check'), el('ul', null, items));
}

/* Σ kernel time per phase beside the phase medians the events measured. */
function phaseSums(kernels, phases) {
	const sums = new Map();
	for (const k of kernels) {
		const name = k.phase || '(no phase)';
		const s = sums.get(name) || { n: 0, us: 0, timed: 0 };
		s.n++;
		if (isNum(k.duration_us)) {
			s.us += k.duration_us;
			s.timed++;
		}
		sums.set(name, s);
	}
	const names = new Set([...sums.keys(), ...Object.keys(phases || {})]);
	const rows = [...names].sort(byPhase).map((name) => {
		const s = sums.get(name);
		const med = phases && isNum(phases[name]) ? phases[name] : null;
		return { ord: 0, phase: name, n: s ? s.n : 0, us: s && s.timed ? s.us : null, median: med,
		    pct: s && s.timed && med > 0 ? 100 * s.us / med : null };
	});
	rows.forEach((r, i) => { r.ord = i; });
	const cols = [
		{ label: 'phase', get: (r) => r.ord, show: (r) => r.phase },
		{ label: 'kernels', num: true, get: (r) => r.n, show: (r) => String(r.n) },
		{ label: 'Σ kernel µs', num: true, get: (r) => r.us, show: (r) => fmt(r.us, 4) },
		{ label: 'phase median µs', num: true, get: (r) => r.median, show: (r) => fmt(r.median, 4) },
		{ label: 'Σ / median', num: true, get: (r) => r.pct, show: (r) => fmtPct(r.pct) }
	];
	return sortableTable('phase-sums', cols, rows, (r) => ({ 'data-phase': r.phase,
	    'data-kernels': r.n, 'data-kernel-us': r.us === null ? 'none' : r.us,
	    'data-median-us': r.median === null ? 'none' : r.median }));
}

function kernelTable(kernels) {
	const smem = (r) => isNum(r.static_smem) || isNum(r.dyn_smem) ?
	    (r.static_smem || 0) + (r.dyn_smem || 0) : null;
	const cols = [
		{ label: '#', num: true, get: (r) => r.idx, show: (r) => String(r.idx) },
		{ label: 'kind', get: (r) => r.kind, show: (r) => r.kind },
		{ label: 'name', get: (r) => r.name, show: (r) => r.name || '–', cls: () => 'mono kname',
		  title: (r) => r.name || '' },
		{ label: 'phase', get: (r) => r.phase, show: (r) => r.phase || '–' },
		{ label: 'stream', num: true, get: (r) => r.stream, show: (r) => isNum(r.stream) ? String(r.stream) : '–' },
		{ label: 'grid', num: true, get: (r) => isNum(r.grid_x) ? r.grid_x * r.grid_y * r.grid_z : null,
		  show: (r) => dim3(r, 'grid') },
		{ label: 'block', num: true, get: (r) => isNum(r.block_x) ? r.block_x * r.block_y * r.block_z : null,
		  show: (r) => dim3(r, 'block') },
		{ label: 'regs', num: true, get: (r) => r.regs, show: (r) => isNum(r.regs) ? String(r.regs) : '–' },
		{ label: 'smem', num: true, get: smem, show: (r) => fmtBytes(smem(r)),
		  title: (r) => 'static ' + fmtBytes(r.static_smem) + ' + dynamic ' + fmtBytes(r.dyn_smem) },
		{ label: 'local', num: true, get: (r) => r.local_bytes, show: (r) => fmtBytes(r.local_bytes),
		  cls: (r) => r.local_bytes > 0 ? 'bad' : '', title: () => 'local memory per thread: > 0 means spills or a stack' },
		{ label: 'bytes', num: true, get: (r) => r.bytes, show: (r) => fmtBytes(r.bytes) },
		{ label: 'µs', num: true, get: (r) => r.duration_us, show: (r) => fmt(r.duration_us, 4) },
		{ label: 'start µs', num: true, get: (r) => r.start_us, show: (r) => fmt(r.start_us, 4) }
	];
	return sortableTable('kernels', cols, kernels, (r) => ({ 'data-idx': r.idx, 'data-kind': r.kind,
	    'data-name': r.name || '', 'data-duration-us': isNum(r.duration_us) ? r.duration_us : 'none' }));
}

/* Imported values: a block per session (tool, report, command), in it one
 * table per kernel launch (metric, value, unit). */
function profileBlocks(rows) {
	const sessions = groupBy(rows, (r) => r.session_id);
	const out = [];
	for (const [sid, srows] of sessions) {
		const s = srows[0];
		const launches = groupBy(srows, (r) => r.launch);
		out.push(el('section', { class: 'profile-session', 'data-session': sid, 'data-tool': s.tool },
		    el('h3', null, s.tool + (s.tool_version ? ' ' + s.tool_version : '') + ' · session ' + sid +
			' · imported ' + fmtTime(s.imported_at)),
		    el('p', { class: 'caption' }, 'report: ', el('span', { class: 'mono' }, s.report || '(not kept)')),
		    el('pre', { class: 'command' }, s.command),
		    [...launches].map(([launch, lrows]) => el('div', { class: 'launch', 'data-launch': launch,
			'data-kernel': lrows[0].kernel },
			el('h4', null, 'launch ' + launch + ' · ', el('span', { class: 'mono' }, lrows[0].kernel),
			    lrows[0].phase ? ' · ' + lrows[0].phase : ''),
			el('table', { class: 'data metrics' },
			    el('thead', null, el('tr', null, el('th', null, 'metric'),
				el('th', { class: 'num' }, 'value'), el('th', null, 'unit'))),
			    el('tbody', null, lrows.map((r) => el('tr', { 'data-metric': r.metric,
				'data-value': isNum(r.value) ? r.value : (r.text === null ? 'none' : r.text),
				'data-unit': r.unit || '' },
				el('td', { class: 'mono' }, r.metric),
				el('td', { class: 'num' }, isNum(r.value) ? fmt(r.value, 6) : (r.text || '–')),
				el('td', null, r.unit || '')))))))));
	}
	return out;
}

function fingerprintBlock(r) {
	const fp = parseJSONText(r.fingerprint_json);
	if (!r.fingerprint || !fp || typeof fp !== 'object')
		return el('p', { class: 'absent', 'data-absent': 'fingerprint' },
		    'no provenance fingerprint recorded for this point (rows from before schema v6 have none)');
	const show = (v) => typeof v === 'string' ? v : JSON.stringify(v);
	const keys = Object.keys(fp).filter((k) => k !== 'kernels').sort();
	const kern = Array.isArray(fp.kernels) ? fp.kernels : [];
	return el('section', { class: 'fingerprint', id: 'fingerprint', 'data-fingerprint': r.fingerprint },
	    el('h2', null, 'Provenance'),
	    el('p', { class: 'caption' }, 'fingerprint ', el('span', { class: 'mono' }, r.fingerprint),
		': FNV-1a of what the numbers depend on; the compare page warns when two points differ in it.'),
	    el('dl', { class: 'facts' }, keys.map((k) => [el('dt', null, k),
		el('dd', { class: 'mono' }, show(fp[k]))])),
	    kern.length ? el('ul', { class: 'fp-kernels' }, kern.map((k) =>
		el('li', { class: 'mono' }, show(k)))) : null);
}

async function pagePoint(run, point) {
	if (!/^[0-9]+$/.test(run || '') || !/^[0-9]+$/.test(point || ''))
		throw new Error('this page needs a run id and a point index: /point?run=N&point=I');
	const q = 'run=' + run + '&point=' + point;
	const runRows = await fetchJSON(api('run', 'id=' + run));
	if (!runRows.length)
		throw new Error('/api/run?id=' + run + ': no such run');
	const [rows, kernels, profile] = await Promise.all([fetchJSON(api('point', q)),
	    fetchJSON(api('kernels', q)), fetchJSON(api('profile', q))]);
	if (!rows.length)
		throw new Error('/api/point?' + q + ': no such point');
	const r = rows[0], info = runRows[0];
	document.title = 'stepbench — ' + runName(info) + ' · point ' + point;
	const app = $('#app');
	const fact = (k, v) => [el('dt', null, k), el('dd', null, v)];
	app.appendChild(el('section', { class: 'run-head point-head' },
	    el('h1', null, '#' + r.point_idx + ' ' + r.variant),
	    el('dl', { class: 'facts' },
		fact('run', el('a', { href: '/run?id=' + run }, runName(info) + ' (id ' + run + ')')),
		fact('shape', shape(r) + ' · L' + r.layers + (r.graph ? ' · graph' : '') +
		    (r.world > 1 ? ' · world ' + r.world : '')),
		fact('status', [badge(r.status), r.reason ? ' ' + r.reason : '']),
		fact('median', isNum(r.median_us) ? fmt(r.median_us, 4) + ' µs (p10–p90 ' + fmt(r.p10_us) +
		    '–' + fmt(r.p90_us) + ')' : '–'),
		fact('data', apiLinks(api('point', q))))));
	app.appendChild(crossCheck(r));

	const phases = parseJSONText(r.phases_json) || {};
	const kernSec = el('section', { class: 'points kernels' },
	    el('h2', null, 'CUPTI kernels (' + kernels.length + ')'));
	if (kernels.length) {
		kernSec.appendChild(el('p', { class: 'caption' }, 'One traced step, in start order (click a header ' +
		    'to sort); µs = median over the traced steps. ', apiLinks(api('kernels', q))));
		kernSec.appendChild(el('h3', null, 'Per phase: Σ kernel time beside the phase median'));
		kernSec.appendChild(phaseSums(kernels, phases));
		kernSec.appendChild(el('h3', null, 'Kernels'));
		kernSec.appendChild(kernelTable(kernels));
	} else {
		kernSec.appendChild(el('p', { class: 'absent', 'data-absent': 'kernels' },
		    'no CUPTI trace: run without --no-cupti on a GPU' +
		    (r.cupti && r.cupti !== 'ok' ? ' (this point: CUPTI ' + r.cupti + ')' : '')));
		if (Object.keys(phases).length) {
			kernSec.appendChild(el('h3', null, 'Phase medians'));
			kernSec.appendChild(phaseSums([], phases));
		}
	}
	app.appendChild(kernSec);

	const profSec = el('section', { class: 'points profile' },
	    el('h2', null, 'Imported profile (' + profile.length + ' values)'));
	if (profile.length) {
		profSec.appendChild(el('p', { class: 'caption' }, 'What nsys / ncu measured for this point, ' +
		    'per kernel launch. ', apiLinks(api('profile', q))));
		addKids(profSec, profileBlocks(profile));
	} else {
		profSec.appendChild(el('p', { class: 'absent', 'data-absent': 'profile' },
		    'no profile: ', el('code', null, profileCommand(info)),
		    ' imports what ncu measures for each point (nsys likewise)'));
	}
	app.appendChild(profSec);
	app.appendChild(fingerprintBlock(r));
	setStatus('ready', 'ready: 0 charts, ' + kernels.length + ' kernels, ' + profile.length + ' values', 0);
	const st = $('#status');
	st.setAttribute('data-kernels', String(kernels.length));
	st.setAttribute('data-values', String(profile.length));
}

/* ---------------------------------------------------- compare page */

function runCard(tag, run) {
	return el('div', { class: 'run-card' },
	    el('span', { class: 'tag' }, tag),
	    el('a', { href: '/run?id=' + run.id, class: 'run-label' }, runName(run)),
	    el('span', { class: 'mono' }, ' ' + uuid8(run)), ' ',
	    badge(run.status),
	    el('div', { class: 'sub' }, (run.device || '–') + ' · ' + fmtTime(run.started_at) +
		(run.note ? ' · ' + run.note : '')));
}

function compareLabel(r) {
	return r.variant + ' L' + r.layers + ' ' + shape(r) + (r.graph ? ' graph' : '') +
	    (r.world > 1 ? ' w' + r.world : '');
}

function specSpeedup(rows) {
	const spec = { name: 'speedup', title: 'Speedup of b over a', api: 'compare' };
	if (!rows.length)
		return Object.assign(spec, { absent: 'no points are ok in both runs, so there is nothing to compare' });
	const labels = rows.map(compareLabel);
	const ds = VERDICTS.filter((v) => rows.some((r) => r.verdict === v)).map((v) => ({
		label: v,
		data: rows.map((r) => r.verdict === v ? r.speedup : null),
		backgroundColor: VERDICT_COLOURS[v],
		borderWidth: 0,
		base: 1,
		skipNull: true
	}));
	/* Symmetric about 1 so that 2× faster and 2× slower look alike. */
	let span = 1.1;
	for (const r of rows)
		if (isNum(r.speedup) && r.speedup > 0)
			span = Math.max(span, 1.15 * Math.max(r.speedup, 1 / r.speedup));
	spec.caption = 'speedup = a median / b median (above 1: b is faster), ' +
	    'log scale, bars start at 1; colour = verdict from the p10–p90 ranges.';
	spec.wide = true;
	spec.height = 360;
	spec.config = {
		type: 'bar',
		data: { labels: labels, datasets: ds },
		options: {
			animation: false,
			responsive: true,
			maintainAspectRatio: false,
			scales: {
				x: { ticks: { autoSkip: labels.length > 60, maxRotation: 60, minRotation: 30 } },
				y: axis('logarithmic', 'speedup (a / b)', {
					min: 1 / span, max: span,
					grid: { color: (ctx) => ctx.tick && ctx.tick.value === 1 ? '#555' : '#e3e3e3' }
				})
			},
			plugins: {
				legend: { position: 'bottom', labels: { boxWidth: 14, boxHeight: 8 } },
				tooltip: {
					callbacks: {
						label: (ctx) => {
							const r = rows[ctx.dataIndex];
							return r.verdict + ': ' + fmt(r.speedup, 4) + '× (a ' +
							    fmt(r.a_median_us) + ' µs, b ' + fmt(r.b_median_us) + ' µs)';
						}
					}
				}
			}
		}
	};
	return spec;
}

/* 'same', 'differs', or 'unknown' (a side without a fingerprint). */
function fpState(r) {
	if (!r.a_fingerprint || !r.b_fingerprint)
		return 'unknown';
	return r.a_fingerprint === r.b_fingerprint ? 'same' : 'differs';
}

/* A fingerprint value for the banner: a kernel's whole object reads
 * "present", anything else as JSON would show it. */
function fpValue(key, v) {
	if (v === null || v === undefined)
		return '(none)';
	if (/^kernels\[.*\]$/.test(key))
		return 'present';
	return typeof v === 'string' ? v : JSON.stringify(v);
}

/*
 * The apples-to-oranges warning: points compared although they ran with
 * different kernels, build or libraries.  One line per differing key
 * (compare_fp gives a row per point and key), with the values of its first
 * point and the points it concerns.
 */
function fingerprintWarning(diff, a, b, q) {
	const points = new Set(diff.map((d) => d.a_point));
	const keys = groupBy(diff, (d) => d.key);
	return el('div', { class: 'warning', id: 'fp-warning', role: 'alert',
	    'data-points': points.size, 'data-keys': keys.size },
	    el('strong', null, points.size + ' compared point' + (points.size === 1 ? '' : 's') +
		' ran with a different provenance (fingerprint): their times may differ ' +
		'because of what is listed here rather than the code under test:'),
	    el('ul', null, [...keys].map(([key, rows]) => {
		const d = rows[0];
		const pts = rows.map((x) => '#' + x.a_point + '/#' + x.b_point);
		return el('li', { 'data-key': key, 'data-points': rows.length },
		    el('span', { class: 'mono' }, key), ': ',
		    fpValue(key, d.a_value), ' vs ', fpValue(key, d.b_value),
		    ' (' + (pts.length > 4 ? pts.slice(0, 4).join(', ') + ', … ' + pts.length + ' points' :
			pts.join(', ')) + ')');
	    })),
	    el('p', { class: 'caption' }, 'The first such pair: ',
		el('a', { href: pointHref(a, diff[0].a_point) }, 'a #' + diff[0].a_point), ' and ',
		el('a', { href: pointHref(b, diff[0].b_point) }, 'b #' + diff[0].b_point),
		' (their point pages list the whole provenance). ',
		apiLinks(api('compare_fp', q))));
}

async function pageCompare(a, b) {
	if (!/^[0-9]+$/.test(a || '') || !/^[0-9]+$/.test(b || ''))
		throw new Error('this page needs two run ids: /compare?a=N&b=M');
	const q = 'a=' + a + '&b=' + b;
	const [ra, rb] = await Promise.all([fetchJSON(api('run', 'id=' + a)),
	    fetchJSON(api('run', 'id=' + b))]);
	if (!ra.length || !rb.length)
		throw new Error('no such run: ' + (!ra.length ? a : b));
	const [rows, env, fpDiff] = await Promise.all([fetchJSON(api('compare', q)),
	    fetchJSON(api('compare_env', q)), fetchJSON(api('compare_fp', q))]);
	const runA = ra[0], runB = rb[0];
	document.title = 'stepbench — ' + runName(runA) + ' vs ' + runName(runB);
	const app = $('#app');
	app.appendChild(el('section', { class: 'compare-head' },
	    runCard('a', runA), el('span', { class: 'vs' }, 'vs'), runCard('b', runB)));

	if (env.length) {
		app.appendChild(el('div', { class: 'warning', id: 'env-warning', role: 'alert' },
		    el('strong', null, 'The two runs did not run in the same environment; ' +
			'a speedup may come from the machine or the libraries rather than the code:'),
		    el('ul', null, env.map((e) => el('li', null,
			el('span', { class: 'mono' }, e.key), ': ',
			e.a_value === null ? '(none)' : e.a_value, ' vs ',
			e.b_value === null ? '(none)' : e.b_value)))));
	}

	if (fpDiff.length)
		app.appendChild(fingerprintWarning(fpDiff, a, b, q));

	const counts = {};
	for (const v of VERDICTS)
		counts[v] = 0;
	let logSum = 0, nLog = 0;
	for (const r of rows) {
		counts[r.verdict] = (counts[r.verdict] || 0) + 1;
		if (isNum(r.speedup) && r.speedup > 0) {
			logSum += Math.log(r.speedup);
			nLog++;
		}
	}
	app.appendChild(el('p', { class: 'summary', id: 'summary' },
	    rows.length + ' points ok in both runs: ',
	    VERDICTS.map((v, i) => [i ? ', ' : '', el('span', { class: 'verdict-' + v }, counts[v] + ' ' + v)]),
	    nLog ? '; geometric-mean speedup ' + fmt(Math.exp(logSum / nLog), 4) + '×' : '',
	    ' (speedup > 1: b is faster).'));

	const spec = specSpeedup(rows);
	const list = [];
	if (spec.config) {
		const c = chartSection(spec, q);
		list.push(c);
		app.appendChild(el('div', { class: 'charts' }, c.section));
	} else {
		app.appendChild(absentLine(spec));
	}

	if (rows.length) {
		const range = (lo, hi) => isNum(lo) ? fmt(lo) + '–' + fmt(hi) : '–';
		const cols = [
			{ label: 'variant', get: (r) => r.variant, show: (r) => r.variant },
			{ label: 'shape', num: true, get: size, show: shape },
			{ label: 'L', num: true, get: (r) => r.layers, show: (r) => r.layers },
			rows.some((r) => r.world > 1) ?
			    { label: 'world', num: true, get: (r) => r.world, show: (r) => r.world } : null,
			rows.some((r) => r.graph) ?
			    { label: 'graph', get: (r) => r.graph ? 1 : 0, show: (r) => r.graph ? 'yes' : '' } : null,
			{ label: 'a median µs', num: true, get: (r) => r.a_median_us, show: (r) => fmt(r.a_median_us) },
			{ label: 'a p10–p90', num: true, get: (r) => r.a_p10_us, show: (r) => range(r.a_p10_us, r.a_p90_us) },
			{ label: 'b median µs', num: true, get: (r) => r.b_median_us, show: (r) => fmt(r.b_median_us) },
			{ label: 'b p10–p90', num: true, get: (r) => r.b_p10_us, show: (r) => range(r.b_p10_us, r.b_p90_us) },
			{ label: 'speedup', num: true, get: (r) => r.speedup, show: (r) => fmt(r.speedup, 4) + '×' },
			{ label: 'verdict', get: (r) => r.verdict, show: (r) => r.verdict,
			  cls: (r) => 'verdict verdict-' + r.verdict },
			{ label: 'provenance', get: fpState,
			  show: (r) => fpState(r) === 'differs' ? 'differs' : fpState(r) === 'same' ? 'same' : '–',
			  cls: (r) => fpState(r) === 'differs' ? 'bad' : '',
			  title: () => 'whether the two points\' fingerprints (kernels, build, libraries, GPU) agree' }
		].filter(Boolean);
		app.appendChild(el('section', { class: 'points' },
		    el('h2', null, 'Points in both runs'),
		    el('p', { class: 'caption' }, 'faster: b\'s p90 < a\'s p10; slower: b\'s p10 > a\'s p90; ' +
			'same: |speedup − 1| ≤ max(1 %, 2·cv) and the ranges overlap; else unclear. ',
			apiLinks(api('compare', q))),
		    sortableTable('compare', cols, rows, (r) => ({ 'data-verdict': r.verdict,
			'data-fingerprint': fpState(r) }))));
	}
	ready(await drawCharts(list));
}

/* ------------------------------------------------------------ main */

function main() {
	const body = document.body;
	const page = body.getAttribute('data-page');
	const err = $('#error');
	let p;
	if (err && !err.hidden && err.textContent.trim())	/* the server said why */
		p = Promise.resolve(setStatus('error', 'error: ' + err.textContent.trim()));
	else if (page === 'runs')
		p = pageRuns();
	else if (page === 'run')
		p = pageRun(body.getAttribute('data-id'));
	else if (page === 'compare')
		p = pageCompare(body.getAttribute('data-a'), body.getAttribute('data-b'));
	else if (page === 'point')
		p = pagePoint(body.getAttribute('data-run'), body.getAttribute('data-point'));
	else
		p = Promise.reject(new Error('unknown page "' + page + '"'));
	p.catch(fail);
}

if (document.readyState === 'loading')
	document.addEventListener('DOMContentLoaded', main);
else
	main();

})();
