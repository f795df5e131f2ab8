/* format.js: how the page says times, numbers, percents, parameters and
 * data items. Pure functions of their arguments. */

export const ACTIVE = new Set(['queued', 'retrying', 'running',
    'stopping']);

const pad2 = (n) => String(n).padStart(2, '0');

function fmtDuration(ms) {
	const s = Math.max(0, Math.floor(ms / 1000));
	if (s < 60)
		return s + ' s';
	const h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60;
	return (h > 0 ? h + ':' + pad2(m) : String(m)) + ':' + pad2(s % 60);
}

/* A number of seconds as a person says it: 30 s, 5 min, 2 h. */
export function fmtSeconds(v) {
	if (typeof v !== 'number' || !Number.isFinite(v))
		return String(v);
	if (v >= 3600 && v % 3600 === 0)
		return v / 3600 + ' h';
	if (v >= 60 && v % 60 === 0)
		return v / 60 + ' min';
	return (Number.isInteger(v) ? String(v) : String(+v.toFixed(2))) + ' s';
}

export function fmtNum(v) {
	return typeof v === 'number' ? v.toLocaleString('en-US') : String(v);
}

export function fmtPct(p) {
	return (Number.isInteger(p) ? String(p) : p.toFixed(1)) + '%';
}

/* An ISO time as milliseconds, or null. */
function ms(iso) {
	const v = Date.parse(iso || '');
	return Number.isNaN(v) ? null : v;
}

export function fmtTime(iso) {
	const v = ms(iso);
	return v === null ? '—' : new Date(v).toLocaleString();
}

export function percentOf(t) {
	const p = t.progress || {};
	if (typeof p.percent === 'number')
		return Math.min(100, Math.max(0, p.percent));
	if (typeof p.total === 'number' && p.total > 0)
		return Math.min(100, Math.max(0, p.value / p.total * 100));
	return null;
}

/* The attempt that runs, or comes next, as "attempt 2 of 3"; '' for a
 * task of one attempt. The task's attempt is the one running or last
 * run: while retrying, or queued again after that, the next is one
 * more. */
export function attemptText(t) {
	if (!(t.attempts > 1))
		return '';
	const next = t.state === 'retrying' || (t.state === 'queued' &&
	    t.started_at);
	return 'attempt ' + (next ? t.attempt + 1 : t.attempt) + ' of ' +
	    t.attempts;
}

/* When a retrying task's next attempt starts: "at 14:02:07 · in 3 s". */
function retryText(t, at) {
	const r = ms(t.retry_at);
	if (r === null)
		return '';
	const left = Math.max(0, Math.ceil((r - at) / 1000));
	return 'at ' + new Date(r).toLocaleTimeString() + ' · ' +
	    (left < 60 ? 'in ' + left + ' s' : 'in ' + fmtDuration(left * 1000));
}

/* Waiting, running (with an estimate of what is left), waiting for the
 * next attempt, or how long it took, at server time `at`; with the
 * attempt when its kind retries. */
export function timeText(t, at) {
	const created = ms(t.created_at), started = ms(t.started_at);
	const finished = ms(t.finished_at);
	const attempt = attemptText(t);
	const join = (...parts) => parts.filter((p) => p).join(' · ');
	if (t.state === 'retrying')
		return join(attempt, retryText(t, at));
	if (t.state === 'queued')
		return join(attempt, created === null ? 'waiting' :
		    'waiting ' + fmtDuration(at - created));
	if (ACTIVE.has(t.state)) {
		if (started === null)
			return '';
		const took = at - started;
		let s = fmtDuration(took);
		const p = percentOf(t);
		if (t.state === 'running' && p !== null && p > 0 && p < 100 &&
		    took > 1000)
			s += ' · about ' + fmtDuration(took * (100 - p) / p) +
			    ' left';
		return join(attempt, s);
	}
	if (finished !== null)
		return join('took ' + fmtDuration(finished - (started !== null ?
		    started : created)), t.attempt > 1 ? t.attempt +
		    ' attempts' : '');
	return '';
}

export function paramsText(params) {
	return Object.entries(params || {}).map(([k, v]) =>
	    k + '=' + (typeof v === 'string' ? v : JSON.stringify(v)))
	    .join(' · ');
}

/* An object whose values are all strings, numbers, booleans or null:
 * one row of a table. */
export function isFlat(v) {
	if (v === null || typeof v !== 'object' || Array.isArray(v))
		return false;
	return Object.values(v).every((x) => x === null ||
	    typeof x !== 'object');
}

/* A value on one line: a flat object as "k=v · k=v", anything else as
 * JSON; cut to max characters. */
function oneLine(v, max = 120) {
	const s = isFlat(v) ? Object.entries(v).map(([k, x]) => k + '=' +
	    (typeof x === 'string' ? x : JSON.stringify(x))).join(' · ') :
	    JSON.stringify(v);
	return s.length > max ? s.slice(0, max - 1) + '…' : s;
}

/* A data item as a card shows it: "row: n=5 · sq=25". */
export function itemSummary(item) {
	return item.name + ': ' + oneLine(item.data);
}

const WHEN = { weekday: 'short', day: 'numeric', month: 'short',
    hour: '2-digit', minute: '2-digit' };

/* A run time as "Sun 6 Dec, 04:00": in the browser's zone, or in zone
 * (an IANA name) if given; '' for a zone this browser does not know. */
export function fmtWhen(iso, zone) {
	const v = ms(iso);
	if (v === null)
		return '';
	try {
		return new Date(v).toLocaleString(undefined, zone ?
		    Object.assign({ timeZone: zone }, WHEN) : WHEN);
	} catch (e) {
		return '';	/* RangeError: a zone Intl lacks */
	}
}

/* How far ahead a time is, as a person says it: "in 40 s", "in 5 min",
 * "in 3 h", "in 2 days"; "now" once it has come. */
export function fmtIn(iso, at) {
	const v = ms(iso);
	if (v === null)
		return '';
	const s = Math.round((v - at) / 1000);
	if (s <= 0)
		return 'now';
	if (s < 60)
		return 'in ' + s + ' s';
	if (s < 3600)
		return 'in ' + Math.round(s / 60) + ' min';
	if (s < 48 * 3600)
		return 'in ' + Math.round(s / 3600) + ' h';
	return 'in ' + Math.round(s / 86400) + ' days';
}
