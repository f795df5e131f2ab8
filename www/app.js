/* Hourglass: start, watch and stop tasks live. Plain JavaScript, no build.
 *
 * How the page stays right: GET /api/tasks gives a snapshot and the newest
 * event id it reflects; an EventSource on /api/events?after=<that id> then
 * carries every change after it, in id order. An event whose id is not
 * above the newest one applied has been seen and is skipped. When the
 * connection drops, the browser reconnects with Last-Event-ID, which the
 * server prefers to ?after=; when the browser gives up for good (a 204, a
 * 502/503 or a 401 closes an EventSource), the page reopens from the last
 * id it saw. After repeated failures it polls GET /api/tasks instead, says
 * so in the status indicator, and tries the stream again now and then.
 * A 401 is no unreachable server: the indicator says a token is needed,
 * and after Cancel in the token question the page asks the server
 * nothing until the user presses "Enter the token".
 *
 * Events change `tasks` at once; the DOM is drawn from it at most once an
 * animation frame. Names, messages and log lines reach the DOM through
 * textContent only, never innerHTML.
 */
'use strict';

(function () {

const POLL_MS = 2000;		/* polling period, once SSE has failed */
const STREAM_RETRY_MS = 2000;	/* reopening a stream the browser closed */
const ERRORS_BEFORE_POLLING = 3;	/* stream errors in a row */
const POLLS_BEFORE_STREAM_TRY = 5;	/* while polling: retry SSE every 10 s */
const LIST_LIMIT = 100;		/* tasks asked for in a snapshot */
const RECENT_MAX = 100;		/* finished tasks kept on the page */
const LOG_TAIL = 1000;		/* lines fetched when a log opens */
const LOG_MAX_LINES = 5000;	/* lines kept in the log view */
const TOKEN_KEY = 'hourglass.token';
const ACTIVE = new Set(['queued', 'running', 'stopping']);

const $ = (sel, root) => (root || document).querySelector(sel);

/* ------------------------------------------------------------ state */

const tasks = new Map();	/* id -> task object, as the API shapes it */
const rows = new Map();		/* id -> <li> */
const dirty = new Set();	/* ids whose row needs drawing */
let lastEventId = 0;		/* the newest event applied */
let clockSkew = 0;		/* server clock minus ours, in ms */

const stream = { es: null, errors: 0, timer: 0, resume: false };
const poll = { on: false, timer: 0, gen: 0, count: 0 };
const detail = {
	id: null,		/* the task open in the dialog */
	pushed: false,		/* whether opening it added a history entry */
	state: 'idle',		/* idle | loading | ready | none */
	buffer: [],		/* log events that came while loading */
	pending: [],		/* lines to draw */
	lines: 0,		/* lines in the view */
	follow: true,		/* keep the view scrolled to the end */
	gen: 0,
};
const fetching = new Set();	/* ids of tasks being fetched */
const kinds = new Map();	/* name -> kind, as GET /api/kinds lists it */

/* ------------------------------------------------------------- HTTP */

let tokenAsk = null;		/* the open token question, shared */
let tokenDeclined = false;	/* Cancel was pressed: the page waits */
let authFailed = false;		/* the last answer was a 401 */
let runGen = 0;			/* a pause for the token ends the loops */
let kindsLoaded = false;	/* the forms are built */

function getToken() {
	try {
		return sessionStorage.getItem(TOKEN_KEY) || '';
	} catch (e) {
		return '';
	}
}

function setToken(t) {
	try {
		sessionStorage.setItem(TOKEN_KEY, t);
	} catch (e) {
		/* storage refused (private mode): the token lasts this page */
	}
	memoToken = t;
}
let memoToken = '';

function token() {
	return getToken() || memoToken;
}

/* Asks for the token once for every request that met a 401 at the same
 * time. Resolves true when there is a token to retry with. */
function askToken(rejected) {
	if (token() && token() !== rejected)
		return Promise.resolve(true);	/* someone asked already */
	if (tokenDeclined)
		return Promise.resolve(false);
	if (tokenAsk)
		return tokenAsk;
	tokenAsk = new Promise((resolve) => {
		const dlg = $('#token-dialog'), input = $('#token-input');
		$('#token-why').textContent = rejected ?
		    'The server refused the token this tab had. Enter it ' +
		    'again; it is kept for this browser tab only.' :
		    'This Hourglass asks for a token. It is kept for this ' +
		    'browser tab only.';
		input.value = '';
		dlg.returnValue = '';
		dlg.addEventListener('close', () => {
			tokenAsk = null;
			const v = input.value.trim();
			if (dlg.returnValue === 'ok' && v !== '') {
				setToken(v);
				setMode('connecting');
				resolve(true);
			} else {
				tokenDeclined = true;
				pauseForToken();
				resolve(false);
			}
		}, { once: true });
		setMode('token');
		if (!dlg.open)
			dlg.showModal();
	});
	return tokenAsk;
}

/* After Cancel: nothing more is asked of the server (no loop retries,
 * no stream, no polling) until the user asks to enter the token. The
 * loops see runGen change and end. */
function pauseForToken() {
	runGen++;
	closeStream();
	stopPolling();
	setMode('token');
	const box = $('#kinds');
	let note = $('#token-needed');
	if (!note) {
		note = el('div', 'token-needed');
		note.id = 'token-needed';
		note.setAttribute('role', 'status');
		const b = el('button', 'primary', 'Enter the token');
		b.type = 'button';
		b.id = 'token-enter';
		b.addEventListener('click', resumeWithToken);
		note.append(el('p', 'token-needed-what',
		    'This server needs its access token.'),
		    el('p', 'muted', 'The page asks it nothing more until ' +
		    'you enter the token.'), b);
	}
	if (kindsLoaded)
		box.prepend(note);	/* above the forms, which stay */
	else
		box.replaceChildren(note);
}

/* The button of that note: asks for the token, then starts again. */
async function resumeWithToken() {
	tokenDeclined = false;
	if (!(await askToken(token())))
		return;		/* Cancel again: paused again */
	const note = $('#token-needed');
	if (note)
		note.remove();
	if (!kindsLoaded)
		$('#kinds').replaceChildren(el('p', 'muted',
		    'Loading the task kinds…'));
	runGen++;
	startUp();
}

/* fetch with the token, asking for one on a 401. Returns the Response;
 * throws only when the network fails. */
async function api(path, opts) {
	opts = opts || {};
	for (let tries = 0; ; tries++) {
		const headers = new Headers(opts.headers || {});
		const t = token();
		if (t)
			headers.set('Authorization', 'Bearer ' + t);
		let r;
		try {
			r = await fetch(path, Object.assign({}, opts,
			    { headers, cache: 'no-store' }));
		} catch (e) {
			authFailed = false;	/* no answer at all */
			throw e;
		}
		noteClock(r);
		authFailed = r.status === 401;
		if (r.status !== 401 || tries > 0 || !(await askToken(t)))
			return r;
	}
}

/* The API's error message, as it is; a short fallback otherwise. A 401
 * says so in words, not in the API's. */
async function errorText(r) {
	if (r.status === 401)
		return 'the server needs its access token';
	try {
		const j = await r.json();
		if (j && j.error && typeof j.error.message === 'string')
			return j.error.message;
	} catch (e) {
		/* not JSON */
	}
	return 'the server answered ' + r.status +
	    (r.statusText ? ' ' + r.statusText : '');
}

/* Elapsed times use the server's clock (task times are the server's):
 * the Date header is only to the second, so small skews are ignored. */
function noteClock(r) {
	const d = Date.parse(r.headers.get('Date') || '');
	if (!Number.isNaN(d)) {
		const skew = d + 500 - Date.now();
		clockSkew = Math.abs(skew) > 2000 ? skew : 0;
	}
}

function now() {
	return Date.now() + clockSkew;
}

/* --------------------------------------------------- applying changes */

function putTask(t) {
	if (!t || typeof t.id !== 'number')
		return;
	tasks.set(t.id, t);
	dirty.add(t.id);
	schedule();
}

function dropTask(id) {
	tasks.delete(id);
	dirty.add(id);
	if (detail.id === id)
		closeDetails();
	schedule();
}

/* A snapshot: the newest tasks and the running ones (so that a long task
 * never falls off the page behind newer ones), and the newest event id
 * both reflect. Resolves to {tasks, eventId}; throws on failure. */
async function fetchSnapshot() {
	const paths = ['/api/tasks?limit=' + LIST_LIMIT,
	    '/api/tasks?state=running&limit=' + LIST_LIMIT];
	const answers = await Promise.all(paths.map(async (p) => {
		const r = await api(p);
		if (!r.ok)
			throw new Error(await errorText(r));
		return r.json();
	}));
	const seen = new Map();
	let eventId = Infinity;
	for (const a of answers) {
		/* The older of the two: replaying from there only repeats
		 * changes the newer one already shows, in order. */
		eventId = Math.min(eventId, a.event_id);
		for (const t of a.tasks)
			seen.set(t.id, t);
	}
	return { tasks: seen, eventId };
}

function applySnapshot(snap) {
	for (const id of tasks.keys())
		if (!snap.tasks.has(id) && !(id === detail.id))
			dropTask(id);
	for (const t of snap.tasks.values())
		putTask(t);
	lastEventId = Math.max(lastEventId, snap.eventId);
}

function onEvent(type, ev) {
	const id = Number(ev.lastEventId);
	/* Ids are global and strictly increasing: one not above the newest
	 * applied was seen already (a replay after a reconnect). */
	if (!Number.isSafeInteger(id) || id <= lastEventId)
		return;
	lastEventId = id;
	stream.errors = 0;
	let d;
	try {
		d = JSON.parse(ev.data);
	} catch (e) {
		return;
	}
	if (type === 'state') {
		putTask(d);
	} else if (type === 'progress') {
		const t = tasks.get(d.task);
		if (!t) {
			fetchTask(d.task);
			return;
		}
		t.progress = { value: d.value, total: d.total,
		    percent: d.percent, message: d.message };
		dirty.add(t.id);
		schedule();
	} else if (type === 'log') {
		if (d.task === detail.id)
			logLines([{ stream: d.stream, line: d.line }]);
	}
}

/* A task we have not seen (its progress came first, or it is older
 * than the snapshot). */
async function fetchTask(id) {
	if (fetching.has(id))
		return null;
	fetching.add(id);
	try {
		const r = await api('/api/tasks/' + id);
		if (r.ok) {
			const t = await r.json();
			if (!tasks.has(id))
				putTask(t);
			return t;
		}
	} catch (e) {
		/* the next event or poll brings it */
	} finally {
		fetching.delete(id);
	}
	return null;
}

/* ------------------------------------------------------------ streams */

function setMode(mode) {
	const el = $('#conn');
	const text = {
		connecting: 'Connecting…',
		live: 'Live',
		reconnecting: 'Reconnecting…',
		polling: 'Polling every ' + POLL_MS / 1000 + ' s',
		offline: 'Server unreachable, retrying',
		token: 'Needs a token',
	}[mode];
	if (el.dataset.mode === mode)
		return;
	el.dataset.mode = mode;
	$('.conn-text', el).textContent = text;
	el.title = {
		live: 'Updates arrive as they happen (Server-Sent Events).',
		polling: 'Live updates failed; the page asks the server ' +
		    'every ' + POLL_MS / 1000 + ' s and tries live updates ' +
		    'again now and then. Meanwhile it does not count as ' +
		    'watching tasks that run while watched.',
		offline: 'The server does not answer; the page keeps trying.',
		token: 'The server answers, but only with its access token.',
	}[mode] || '';
}

/* What a failed load says: a 401 is a server that answers. */
function failMode() {
	return tokenDeclined || tokenAsk || authFailed ? 'token' : 'offline';
}

function streamUrl() {
	const q = new URLSearchParams({ after: String(lastEventId) });
	const t = token();
	if (t)
		q.set('access_token', t);	/* EventSource sends no headers */
	return '/api/events?' + q;
}

function closeStream() {
	clearTimeout(stream.timer);
	if (stream.es) {
		stream.es.close();
		stream.es = null;
	}
}

/* A page the user left (for another page, perhaps into the browser's
 * back-forward cache, where it may stay alive) watches nothing: it ends
 * its stream, so that a task that lives while watched sees it go. If the
 * page comes back from that cache, the stream reopens from the last event
 * it applied, and so misses nothing. */
window.addEventListener('pagehide', () => {
	if (stream.es) {
		stream.es.close();
		stream.es = null;
		stream.resume = true;
	}
});

window.addEventListener('pageshow', (ev) => {
	if (!ev.persisted || !stream.resume)
		return;
	stream.resume = false;
	if (!poll.on && !tokenDeclined)
		openStream();
});

function openStream() {
	closeStream();
	if (tokenDeclined)
		return;		/* paused until the token is entered */
	const es = new EventSource(streamUrl());
	stream.es = es;
	es.onopen = () => {
		if (stream.es !== es)
			return;
		stream.errors = 0;
		stopPolling();
		setMode('live');
	};
	es.onerror = () => {
		if (stream.es === es)
			streamFailed(es);
	};
	for (const type of ['state', 'progress', 'log'])
		es.addEventListener(type, (ev) => {
			if (stream.es === es)
				onEvent(type, ev);
		});
}

function streamFailed(es) {
	stream.errors++;
	if (stream.errors >= ERRORS_BEFORE_POLLING) {
		closeStream();
		startPolling();
		return;
	}
	if (!poll.on)
		setMode('reconnecting');
	if (es.readyState === EventSource.CLOSED) {
		/* The browser has given up on this one: reopen it ourselves,
		 * from the last id we applied. */
		closeStream();
		stream.timer = setTimeout(reopenStream, STREAM_RETRY_MS);
	}
	/* Otherwise the browser reconnects by itself, with Last-Event-ID. */
}

async function reopenStream() {
	/* An EventSource cannot tell a 401 from any other failure: ask
	 * through fetch, which can, and asks for the token if need be. */
	const gen = runGen;
	try {
		await api('/api/kinds');
	} catch (e) {
		/* the stream's own error counts it */
	}
	if (!poll.on && gen === runGen && !tokenDeclined)
		openStream();
}

function startPolling() {
	if (poll.on)
		return;
	poll.on = true;
	poll.count = 0;
	setMode('polling');
	pollOnce();
}

function stopPolling() {
	poll.on = false;
	poll.gen++;
	clearTimeout(poll.timer);
}

async function pollOnce() {
	const gen = poll.gen;
	let ok = false;
	try {
		const snap = await fetchSnapshot();
		/* A stream that opened meanwhile is newer than this. */
		if (!poll.on || gen !== poll.gen)
			return;
		applySnapshot(snap);
		ok = true;
		/* No stream, no log events: read the log's end again. */
		const open = tasks.get(detail.id);
		if (open && ACTIVE.has(open.state) && detail.state === 'ready')
			loadLog(open.id, false);
	} catch (e) {
		if (!poll.on || gen !== poll.gen)
			return;
	}
	setMode(ok ? 'polling' : failMode());
	if (++poll.count % POLLS_BEFORE_STREAM_TRY === 0) {
		/* One more error sends it back to polling. */
		stream.errors = ERRORS_BEFORE_POLLING - 1;
		openStream();
	}
	poll.timer = setTimeout(pollOnce, POLL_MS);
}

/* Also after a pause for the token, from resumeWithToken(). */
async function startUp() {
	const gen = runGen;
	setMode('connecting');
	if (!kindsLoaded)
		loadKinds();
	for (;;) {
		try {
			const snap = await fetchSnapshot();
			if (gen !== runGen)
				return;
			applySnapshot(snap);
			break;
		} catch (e) {
			if (gen !== runGen || tokenDeclined)
				return;		/* paused: the note says why */
			setMode(failMode());
			await new Promise((r) => setTimeout(r, POLL_MS));
			if (gen !== runGen)
				return;
		}
	}
	openStream();
	openFromHash();
}

/* ------------------------------------------------------------- forms */

async function loadKinds() {
	const gen = runGen;
	const box = $('#kinds');
	for (;;) {
		let unauthorized = false;
		try {
			const r = await api('/api/kinds');
			unauthorized = r.status === 401;
			if (!r.ok)
				throw new Error(await errorText(r));
			const j = await r.json();
			if (gen !== runGen)
				return;
			kindsLoaded = true;
			for (const k of j.kinds)
				kinds.set(k.name, k);
			for (const id of tasks.keys())
				dirty.add(id);	/* messages that name the kind */
			schedule();
			/* A phone shows the first form open, the others
			 * folded, so that the tasks are not far below. */
			const narrow = matchMedia('(max-width: 600px)').matches;
			box.replaceChildren(...j.kinds.map((k, i) =>
			    kindForm(k, !narrow || i === 0)));
			if (j.kinds.length === 0)
				box.append(el('p', 'muted',
				    'No task kinds are configured.'));
			return;
		} catch (e) {
			if (gen !== runGen || tokenDeclined)
				return;		/* paused: the note says why */
			box.replaceChildren(el('p', 'muted', unauthorized ?
			    'This server needs its access token.' :
			    'Could not load the task kinds (' + e.message +
			    '); retrying…'));
			await new Promise((r) => setTimeout(r, POLL_MS));
			if (gen !== runGen)
				return;
		}
	}
}

function el(tag, cls, text) {
	const e = document.createElement(tag);
	if (cls)
		e.className = cls;
	if (text !== undefined)
		e.textContent = text;
	return e;
}

let uid = 0;

function kindForm(kind, open) {
	const box = el('details', 'kind');
	box.open = open;
	const summary = el('summary');
	summary.append(el('h3', 'kind-name', kind.name));
	if (kind.description)
		summary.append(el('p', 'kind-desc', kind.description));
	const shape = kindShape(kind);
	if (shape.tags.length) {
		const tags = el('p', 'kind-tags');
		for (const [cls, text] of shape.tags)
			tags.append(el('span', 'kind-tag ' + cls, text));
		summary.append(tags);
	}
	const form = el('form');
	const n = ++uid;
	form.dataset.kind = kind.name;
	box.append(summary, form);
	for (const text of shape.notes)
		form.append(el('p', 'kind-note', text));
	const fields = el('div', 'fields');
	for (const [name, p] of Object.entries(kind.params || {}))
		fields.append(paramField(n, name, p));
	const label = el('div', 'field field-label');
	const lid = 'f' + n + '-label';
	const ll = el('label', null, 'Label ');
	ll.htmlFor = lid;
	ll.append(el('span', 'muted', '(optional)'));
	const li = el('input', 'task-label');
	li.id = lid;
	li.type = 'text';
	li.maxLength = 200;
	li.autocomplete = 'off';
	label.append(ll, li);
	fields.append(label);
	form.append(fields);
	const foot = el('div', 'form-foot');
	const btn = el('button', 'primary', 'Start');
	btn.type = 'submit';
	const status = el('p', 'form-status');
	status.setAttribute('role', 'status');
	const err = el('p', 'form-error');
	err.setAttribute('role', 'alert');
	err.hidden = true;
	foot.append(btn, status);
	form.append(err, foot);
	/* Where an external task's report URL and token are shown. */
	const reports = el('div', 'reports');
	box.append(reports);
	form.addEventListener('submit', (ev) => {
		ev.preventDefault();
		startTask(form, kind);
	});
	form.addEventListener('input', (ev) => clearFieldError(ev.target));
	return box;
}

/* A number of seconds as a person says it: 30 s, 5 min, 2 h. */
function fmtSeconds(v) {
	if (typeof v !== 'number' || !Number.isFinite(v))
		return String(v);
	if (v >= 3600 && v % 3600 === 0)
		return v / 3600 + ' h';
	if (v >= 60 && v % 60 === 0)
		return v / 60 + ' min';
	return (Number.isInteger(v) ? String(v) : String(+v.toFixed(2))) + ' s';
}

/* What sets a kind apart from one that runs here until done: short tags
 * for its heading, and a sentence each for its form. */
function kindShape(kind) {
	const tags = [], notes = [];
	if (kind.external === true) {
		tags.push(['kind-tag-external', 'runs elsewhere']);
		notes.push('Hourglass runs nothing for this kind: Start gives ' +
		    'you a URL and a token, and the worker that does the ' +
		    'work, elsewhere, reports its progress there.');
	}
	if (typeof kind.while_watched_s === 'number') {
		const w = fmtSeconds(kind.while_watched_s);
		tags.push(['kind-tag-watched', 'runs while watched (' + w + ')']);
		notes.push('A task of this kind runs only while someone ' +
		    'watches it (this page does, while it is open); ' + w +
		    ' after the last watcher leaves, it is canceled.');
	}
	return { tags, notes };
}

/* One parameter: its input is named after it. */
function paramField(n, name, p) {
	const box = el('div', 'field');
	const id = 'f' + n + '-' + name.replace(/[^A-Za-z0-9_-]/g, '_');
	const label = el('label', null, name);
	label.htmlFor = id;
	let input;
	const hints = [];
	const has = (k) => Object.prototype.hasOwnProperty.call(p, k);
	if (p.type === 'boolean') {
		box.classList.add('field-check');
		input = el('input');
		input.type = 'checkbox';
		input.checked = p.default === true;
	} else if (p.type === 'string' && Array.isArray(p.enum)) {
		input = el('select');
		if (!has('default'))
			input.append(new Option('Choose…', ''));
		for (const v of p.enum)
			input.append(new Option(String(v), String(v)));
		input.value = has('default') ? String(p.default) : '';
	} else if (p.type === 'integer' || p.type === 'number') {
		input = el('input');
		input.type = 'number';
		input.step = p.type === 'integer' ? '1' : 'any';
		input.inputMode = p.type === 'integer' ? 'numeric' : 'decimal';
		if (has('min'))
			input.min = String(p.min);
		if (has('max'))
			input.max = String(p.max);
		if (has('min') && has('max'))
			hints.push(fmtNum(p.min) + ' to ' + fmtNum(p.max));
		else if (has('min'))
			hints.push('at least ' + fmtNum(p.min));
		else if (has('max'))
			hints.push('at most ' + fmtNum(p.max));
		if (p.type === 'integer')
			hints.unshift('whole number');
		if (has('default'))
			input.value = String(p.default);
	} else {
		input = el('input');
		input.type = 'text';
		input.autocomplete = 'off';
		input.spellcheck = false;
		if (has('max_length'))
			input.maxLength = p.max_length;
		if (typeof p.pattern === 'string') {
			setPattern(input, p.pattern);
			hints.push('matches ' + p.pattern);
		}
		if (has('default'))
			input.value = String(p.default);
	}
	input.id = id;
	input.name = name;
	input.dataset.type = p.type;
	if (!has('default') && p.type !== 'boolean') {
		input.required = true;
		hints.push('required');
	}
	if (typeof p.description === 'string' && p.description)
		hints.unshift(p.description);
	const hint = el('p', 'hint', hints.join(' · '));
	hint.id = id + '-hint';
	const err = el('p', 'field-error');
	err.id = id + '-error';
	err.hidden = true;
	input.setAttribute('aria-describedby', hint.id);
	if (p.type === 'boolean')
		box.append(input, label, hint, err);
	else
		box.append(label, input, hint, err);
	return box;
}

function fmtNum(v) {
	return typeof v === 'number' ? v.toLocaleString('en-US') : String(v);
}

const POSIX_CLASSES = {
	alpha: 'a-zA-Z', digit: '0-9', alnum: 'a-zA-Z0-9', upper: 'A-Z',
	lower: 'a-z', xdigit: '0-9A-Fa-f', space: '\\s', blank: ' \\t',
	punct: '\\!-\\/\\:-\\@\\[-\\`\\{-\\~',
};

/* A POSIX extended regex as JavaScript source that means the same with
 * the v flag, or null. Inside a bracket expression a backslash is a
 * literal and "-" first or last is one too; the v flag wants those, and
 * the other punctuation, escaped. */
function posixToJs(p) {
	let out = '';
	for (let i = 0; i < p.length; i++) {
		const c = p[i];
		if (c === '\\') {
			out += c + (p[++i] || '');
			continue;
		}
		if (c !== '[') {
			out += c;
			continue;
		}
		let j = i + 1, set = '[';
		if (p[j] === '^') {
			set += '^';
			j++;
		}
		const start = j;
		for (;; j++) {
			if (j >= p.length)
				return null;
			const d = p[j];
			if (d === ']' && j > start)
				break;
			if (d === '[' && p[j + 1] === ':') {
				const end = p.indexOf(':]', j + 2);
				const cls = end < 0 ? null :
				    POSIX_CLASSES[p.slice(j + 2, end)];
				if (!cls)
					return null;
				set += cls;
				j = end + 1;
				continue;
			}
			if (d === '[' && (p[j + 1] === '=' || p[j + 1] === '.'))
				return null;
			if (d === '-' && j > start && p[j + 1] !== ']') {
				set += '-';	/* a range */
				continue;
			}
			set += /[()[\]{}\/\-\\|&!#%,:;<=>@`~^$.*+?]/.test(d) ?
			    '\\' + d : d;
		}
		out += set + ']';
		i = j;
	}
	return out;
}

/* The server matches a POSIX extended regex, unanchored unless it says
 * ^ or $. The pattern attribute must match the whole value and is
 * compiled with the v flag: translate it, wrap it in "anything before and
 * after", and set it only if it compiles (an invalid pattern attribute
 * prints an error in the console). What cannot be translated is left to
 * the server, whose 422 is shown next to the field anyway. */
function setPattern(input, pattern) {
	const js = posixToJs(pattern);
	if (js === null)
		return;
	const whole = '[\\s\\S]*(?:' + js + ')[\\s\\S]*';
	try {
		new RegExp('^(?:' + whole + ')$', 'v');
	} catch (e) {
		return;
	}
	input.pattern = whole;
	input.title = 'Must match ' + pattern;
}

function fieldOf(form, name) {
	for (const e of form.elements)
		if (e.name === name)
			return e;
	return null;
}

function clearFieldError(input) {
	if (!input || !input.closest)
		return;
	const box = input.closest('.field');
	if (!box)
		return;
	const err = $('.field-error', box);
	if (err && !err.hidden) {
		err.hidden = true;
		err.textContent = '';
		input.removeAttribute('aria-invalid');
		input.setAttribute('aria-describedby', input.id + '-hint');
	}
}

function clearErrors(form) {
	for (const e of form.elements)
		clearFieldError(e);
	const fe = $('.form-error', form);
	fe.hidden = true;
	fe.textContent = '';
}

/* Shows an API error next to the field it names ("params.total: ..."),
 * or under the form when it names none of them. */
function showFormError(form, message) {
	const m = /^params\.([^:\s]+):/.exec(message);
	const input = m ? fieldOf(form, m[1]) : null;
	if (input) {
		const err = $('.field-error', input.closest('.field'));
		err.textContent = message;
		err.hidden = false;
		input.setAttribute('aria-invalid', 'true');
		input.setAttribute('aria-describedby',
		    err.id + ' ' + input.id + '-hint');
		input.focus();
		return;
	}
	const fe = $('.form-error', form);
	fe.textContent = message;
	fe.hidden = false;
}

function formParams(form, kind) {
	const params = {};
	for (const [name, p] of Object.entries(kind.params || {})) {
		const input = fieldOf(form, name);
		if (!input)
			continue;
		if (p.type === 'boolean') {
			params[name] = input.checked;
			continue;
		}
		if (input.value === '')
			continue;	/* the server fills in the default */
		params[name] = p.type === 'integer' || p.type === 'number' ?
		    Number(input.value) : input.value;
	}
	return params;
}

function newKey() {
	const b = new Uint8Array(16);
	crypto.getRandomValues(b);	/* randomUUID needs a secure context */
	return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

async function startTask(form, kind) {
	const btn = $('button[type=submit]', form);
	const status = $('.form-status', form);
	clearErrors(form);
	const body = { kind: kind.name, params: formParams(form, kind) };
	const label = $('.task-label', form).value.trim();
	if (label)
		body.name = label;
	const opts = {
		method: 'POST',
		headers: { 'Content-Type': 'application/json',
		    /* a retry of a create whose answer was lost starts
		     * nothing twice */
		    'Idempotency-Key': newKey() },
		body: JSON.stringify(body),
	};
	btn.disabled = true;
	status.textContent = 'Starting…';
	try {
		let r;
		try {
			r = await api('/api/tasks', opts);
		} catch (e) {
			await new Promise((res) => setTimeout(res, 1000));
			r = await api('/api/tasks', opts);
		}
		if (r.ok) {
			const t = await r.json();
			/* An external task's report token is its worker's: it
			 * goes to the notice by the form, and nowhere else (not
			 * into `tasks`, the rows or the details). */
			const report = t.report;
			delete t.report;
			if (!tasks.has(t.id) || tasks.get(t.id).state === 'queued')
				putTask(t);
			if (report || kind.external === true) {
				status.textContent = 'Started #' + t.id +
				    (showReport(form, t, report) ?
				    '; it waits for its worker.' :
				    ', but without its token.');
			} else {
				status.textContent = 'Started #' + t.id + '.';
			}
			flash(t.id);
		} else {
			status.textContent = '';
			showFormError(form, await errorText(r));
		}
	} catch (e) {
		status.textContent = '';
		showFormError(form, 'The server did not answer; the task ' +
		    'may not have started.');
	} finally {
		btn.disabled = false;
	}
}

function flash(id) {
	const once = () => {
		const row = rows.get(id);
		if (!row)
			return;
		row.classList.remove('new');
		void row.offsetWidth;
		row.classList.add('new');
	};
	requestAnimationFrame(() => requestAnimationFrame(once));
}

/* --------------------------------------------------- report notices */

/* A word for a POSIX shell: in single quotes, each ' as '\''. */
function shQuote(v) {
	return "'" + String(v).replace(/'/g, "'\\''") + "'";
}

/* The create of an external task answers, this once, with the URL and
 * token its worker reports with. They are shown under the form that
 * started it, with a curl example, until the user dismisses the notice;
 * the token is kept nowhere else (no storage, no row), so a reload or a
 * dismissal forgets it for good. Several notices stack, newest first.
 * Returns whether there was a token to show. */
function showReport(form, t, report) {
	const list = $('.reports', form.parentElement);
	const n = el('section', 'report');
	n.dataset.task = String(t.id);
	n.tabIndex = -1;
	const hid = 'report-' + t.id + '-h';
	n.setAttribute('aria-labelledby', hid);
	const h = el('h4', 'report-title');
	h.id = hid;
	const valid = !!report && typeof report.url === 'string' &&
	    typeof report.token === 'string' && report.token !== '';
	const dismiss = el('button', 'report-dismiss', 'Dismiss');
	dismiss.type = 'button';
	const status = el('p', 'report-status');
	status.setAttribute('role', 'status');
	if (!valid) {
		/* A create answered again (a retry with the same
		 * Idempotency-Key) shows no token: it cannot be had. */
		n.classList.add('report-lost');
		h.textContent = 'Task #' + t.id + ': no token to show';
		n.append(h, el('p', null, 'The server did not send the ' +
		    'report token of #' + t.id + ' (it is only ever sent ' +
		    'once), so no worker can report to it. Stop it and ' +
		    'start another.'));
	} else {
		const url = new URL(report.url, location.origin).href;
		const curl = 'curl -X POST ' + shQuote(url) + ' \\\n' +
		    '  -H ' + shQuote('Authorization: Bearer ' + report.token) +
		    ' \\\n' +
		    '  -H ' + shQuote('Content-Type: text/plain') + ' \\\n' +
		    '  --data-binary ' + shQuote('PROGRESS 1/10');
		h.textContent = 'Task #' + t.id + ' waits for its worker';
		const once = el('p', 'report-once', 'The token is shown only ' +
		    'this once: copy it now. Hourglass keeps only its hash ' +
		    'and cannot show it again.');
		const what = el('p', 'report-what', 'Give the worker this URL ' +
		    'and token. Its first report starts the task; a line ' +
		    '{"complete": 1, "code": 0} ends it.');
		const facts = el('dl', 'report-facts');
		facts.append(
		    ...copyable('Report URL', 'the report URL', 'report-url',
		    url, status),
		    ...copyable('Token', 'the token', 'report-token',
		    report.token, status),
		    ...copyable('One report with curl', 'the curl example',
		    'report-curl', curl, status, 'pre'));
		n.append(h, once, what, facts);
	}
	const foot = el('div', 'report-foot');
	foot.append(dismiss, status);
	n.append(foot);
	dismiss.setAttribute('aria-label', 'Dismiss the notice of #' + t.id +
	    (valid ? ' (its token is not shown again)' : ''));
	dismiss.addEventListener('click', () => {
		const hadFocus = n.contains(document.activeElement);
		n.remove();
		if (hadFocus)
			$('button[type=submit]', form).focus();
	});
	list.prepend(n);
	n.focus();	/* it says what to do next; a screen reader reads it */
	return valid;
}

/* A term and its value, with a button that copies the value; `what`
 * names it in a sentence. */
function copyable(term, what, cls, text, status, tag) {
	const dd = el('dd');
	const v = el(tag || 'code', 'report-value ' + cls, text);
	const b = el('button', 'copy', 'Copy');
	b.type = 'button';
	b.setAttribute('aria-label', 'Copy ' + what);
	b.addEventListener('click', () => copyText(v, text, status, what));
	dd.append(v, b);
	return [el('dt', null, term), dd];
}

/* Copies to the clipboard where the browser lets a page (a secure
 * context), else selects the text for Ctrl+C; says which. */
async function copyText(node, text, status, what) {
	let done = false;
	try {
		if (navigator.clipboard && window.isSecureContext) {
			await navigator.clipboard.writeText(text);
			done = true;
		}
	} catch (e) {
		/* refused (no permission, no focus): select it instead */
	}
	if (!done) {
		const range = document.createRange();
		range.selectNodeContents(node);
		const sel = getSelection();
		sel.removeAllRanges();
		sel.addRange(range);
	}
	status.textContent = done ? 'Copied ' + what + '.' :
	    'Selected ' + what + ': press Ctrl+C (⌘C) to copy it.';
	clearTimeout(status.timer);
	status.timer = setTimeout(() => {
		status.textContent = '';
	}, 6000);
}

/* ------------------------------------------------------------ actions */

function notice(text) {
	const n = $('#notice');
	n.textContent = text;
	n.hidden = false;
	clearTimeout(notice.timer);
	notice.timer = setTimeout(() => {
		n.hidden = true;
	}, 8000);
}

async function stopTask(id, button) {
	if (button)
		button.disabled = true;
	try {
		const r = await api('/api/tasks/' + id + '/stop',
		    { method: 'POST' });
		if (r.ok) {
			const t = await r.json();
			const had = tasks.get(id);
			/* An event may already have brought something newer. */
			if (!had || ACTIVE.has(had.state))
				putTask(t);
		} else if (r.status === 409) {
			fetchTaskAgain(id);	/* it ended meanwhile */
		} else {
			notice('Could not stop #' + id + ': ' +
			    await errorText(r));
		}
	} catch (e) {
		notice('Could not stop #' + id + ': the server did not answer.');
	} finally {
		if (button)
			button.disabled = false;
		dirty.add(id);
		schedule();
	}
}

async function fetchTaskAgain(id) {
	try {
		const r = await api('/api/tasks/' + id);
		if (r.ok)
			putTask(await r.json());
	} catch (e) {
		/* events will bring it */
	}
}

async function removeTask(id, button) {
	if (button)
		button.disabled = true;
	try {
		const r = await api('/api/tasks/' + id, { method: 'DELETE' });
		if (r.ok || r.status === 404) {
			const row = rows.get(id);
			const focusWasIn = row && row.contains(document.activeElement);
			dropTask(id);
			if (focusWasIn)
				$('#tasks-h').focus();
			return;
		}
		notice('Could not remove #' + id + ': ' + await errorText(r));
	} catch (e) {
		notice('Could not remove #' + id +
		    ': the server did not answer.');
	}
	if (button)
		button.disabled = false;
}

function onTaskClick(ev) {
	const b = ev.target.closest('button');
	const root = ev.target.closest('[data-id]');
	if (!b || !root)
		return;
	const id = Number(root.dataset.id);
	if (b.classList.contains('stop'))
		stopTask(id, b);
	else if (b.classList.contains('remove'))
		removeTask(id, b);
}

/* ---------------------------------------------------------- rendering */

let scheduled = false;

/* Many events a second become one redraw a frame. A hidden tab gets no
 * frames, but its title should still count: use a timer there. */
function schedule() {
	if (scheduled)
		return;
	scheduled = true;
	if (document.hidden)
		setTimeout(flush, 250);
	else
		requestAnimationFrame(flush);
}

function flush() {
	if (!scheduled)
		return;
	scheduled = false;
	render();
}

document.addEventListener('visibilitychange', () => {
	if (scheduled && document.hidden)
		setTimeout(flush, 250);
});

function pad2(n) {
	return String(n).padStart(2, '0');
}

function fmtDuration(ms) {
	const s = Math.max(0, Math.floor(ms / 1000));
	if (s < 60)
		return s + ' s';
	const h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60;
	return (h > 0 ? h + ':' + pad2(m) : String(m)) + ':' + pad2(s % 60);
}

function fmtPct(p) {
	return (Number.isInteger(p) ? String(p) : p.toFixed(1)) + '%';
}

function percentOf(t) {
	const p = t.progress || {};
	if (typeof p.percent === 'number')
		return Math.min(100, Math.max(0, p.percent));
	if (typeof p.total === 'number' && p.total > 0)
		return Math.min(100, Math.max(0, p.value / p.total * 100));
	return null;
}

function ms(iso) {
	const v = Date.parse(iso || '');
	return Number.isNaN(v) ? null : v;
}

function timeText(t, at) {
	const created = ms(t.created_at), started = ms(t.started_at);
	const finished = ms(t.finished_at);
	if (t.state === 'queued')
		return created === null ? 'waiting' :
		    'waiting ' + fmtDuration(at - created);
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
		return s;
	}
	if (finished !== null)
		return 'took ' + fmtDuration(finished - (started !== null ?
		    started : created));
	return '';
}

function paramsText(params) {
	return Object.entries(params || {}).map(([k, v]) =>
	    k + '=' + (typeof v === 'string' ? v : JSON.stringify(v)))
	    .join(' · ');
}

function setText(root, sel, text) {
	const e = $(sel, root);
	if (e.textContent !== text)
		e.textContent = text;
}

/* Draws task t into a copy of the template (a row, or the dialog). */
function fillTask(root, t, at) {
	if (root.dataset.state !== t.state)
		root.dataset.state = t.state;
	root.dataset.id = String(t.id);
	setText(root, '.task-id', '#' + t.id);
	setText(root, '.task-name', t.name || t.kind);
	setText(root, '.task-sub', (t.name ? t.kind + ' · ' : '') +
	    paramsText(t.params));
	setText(root, '.state-text', t.state);
	const a = $('.task-open', root);
	if (a.getAttribute('href') !== '#task-' + t.id)
		a.setAttribute('href', '#task-' + t.id);
	const bar = $('progress', root);
	const p = percentOf(t);
	if (p !== null) {
		if (bar.value !== p || !bar.hasAttribute('value'))
			bar.value = p;
	} else if (t.state === 'succeeded') {
		bar.value = 100;
	} else if (t.state === 'running' || t.state === 'stopping') {
		bar.removeAttribute('value');	/* indeterminate */
	} else {
		bar.value = 0;
	}
	bar.setAttribute('aria-label', 'Progress of #' + t.id);
	setText(root, '.pct', p === null ? '' : fmtPct(p));
	let msg = t.error && t.error.message ? t.error.message :
	    (t.progress && t.progress.message) || '';
	if (msg === '' && t.state === 'queued' && kinds.has(t.kind) &&
	    kinds.get(t.kind).external === true)
		msg = 'waits for its worker\'s first report';
	setText(root, '.message', msg);
	$('.message', root).classList.toggle('is-error', !!t.error);
	setText(root, '.time', timeText(t, at));
	const stop = $('.stop', root), remove = $('.remove', root);
	const active = ACTIVE.has(t.state);
	stop.hidden = !active;
	remove.hidden = active;
	setText(root, '.stop', t.state === 'stopping' ? 'Stopping…' : 'Stop');
	stop.disabled = t.state === 'stopping';
	stop.setAttribute('aria-label', 'Stop #' + t.id);
	remove.setAttribute('aria-label', 'Remove #' + t.id);
}

function newRow() {
	return $('#task-tpl').content.firstElementChild.cloneNode(true);
}

function byNewest(a, b) {
	return b.id - a.id;
}

/* Puts the rows of list in order under ul, moving only what must move
 * (moving a node takes the keyboard focus out of it). */
function placeRows(ul, list) {
	let cur = ul.firstElementChild;
	for (const t of list) {
		const row = rows.get(t.id);
		if (row === cur) {
			cur = cur.nextElementSibling;
			continue;
		}
		const hadFocus = row.contains(document.activeElement) ?
		    document.activeElement : null;
		ul.insertBefore(row, cur);
		if (hadFocus)
			hadFocus.focus();
	}
	while (cur) {
		const next = cur.nextElementSibling;
		cur.remove();
		cur = next;
	}
}

function render() {
	const at = now();
	const active = [], recent = [];
	for (const t of tasks.values())
		(ACTIVE.has(t.state) ? active : recent).push(t);
	active.sort(byNewest);
	recent.sort(byNewest);
	/* Forget what falls off the end, unless it is open. */
	for (const t of recent.splice(RECENT_MAX))
		if (t.id !== detail.id)
			tasks.delete(t.id);
	for (const id of rows.keys())
		if (!tasks.has(id)) {
			rows.get(id).remove();
			rows.delete(id);
		}
	for (const t of active.concat(recent)) {
		let row = rows.get(t.id);
		if (!row) {
			row = newRow();
			rows.set(t.id, row);
			dirty.add(t.id);
		}
		/* Running rows' times change every second. */
		if (dirty.has(t.id) || ACTIVE.has(t.state))
			fillTask(row, t, at);
	}
	dirty.clear();
	placeRows($('#active'), active);
	placeRows($('#recent'), recent);
	$('#active-empty').hidden = active.length > 0;
	$('#recent-empty').hidden = recent.length > 0;
	setText(document, '#active-count', active.length ?
	    String(active.length) : '');
	setText(document, '#recent-count', recent.length ?
	    String(recent.length) : '');
	let running = 0;
	for (const t of active)
		if (t.state !== 'queued')
			running++;
	const title = (running ? '(' + running + ') ' : '') + 'Hourglass';
	if (document.title !== title)
		document.title = title;
	renderDetails(at);
}

setInterval(() => {
	for (const t of tasks.values())
		if (ACTIVE.has(t.state)) {
			schedule();
			return;
		}
}, 1000);

/* ------------------------------------------------------------ details */

function openFromHash() {
	const m = /^#task-(\d+)$/.exec(location.hash);
	if (m)
		openDetails(Number(m[1]));
	else if (detail.id !== null)
		closeDetails(true);
}

async function openDetails(id) {
	const dlg = $('#details');
	if (detail.id !== id) {
		detail.id = id;
		detail.gen++;
		detail.follow = true;
		$('#d-log').replaceChildren();
		detail.lines = 0;
		detail.pending = [];
		const box = el('div', 'task in-dialog');
		box.append(...newRow().childNodes);
		$('#d-task').replaceChildren(box);
		$('#d-title').textContent = 'Task #' + id;
		$('#d-facts').replaceChildren();
		loadLog(id, true);
	}
	if (!dlg.open)
		dlg.showModal();
	if (!tasks.has(id)) {
		const t = await fetchTask(id);
		if (!t && !tasks.has(id) && detail.id === id) {
			$('#d-title').textContent = 'Task #' + id;
			$('#d-facts').replaceChildren(el('dt', null, 'Task'),
			    el('dd', null, 'No such task: it may have been ' +
			    'removed.'));
			logNote('no log');
			return;
		}
	}
	dirty.add(id);
	schedule();
}

function closeDetails(fromHash) {
	const dlg = $('#details');
	detail.id = null;
	detail.gen++;
	detail.state = 'idle';
	if (dlg.open)
		dlg.close();
	if (!fromHash && /^#task-/.test(location.hash)) {
		if (detail.pushed)
			history.back();
		else
			history.replaceState(null, '',
			    location.pathname + location.search);
	}
	detail.pushed = false;
}

function fmtTime(iso) {
	const v = ms(iso);
	return v === null ? '—' : new Date(v).toLocaleString();
}

function renderDetails(at) {
	const id = detail.id;
	if (id === null)
		return;
	const t = tasks.get(id);
	if (t) {
		const row = $('#d-task').firstElementChild;
		if (row)
			fillTask(row, t, at);
		setText(document, '#d-title', (t.name || t.kind) + ' #' + t.id);
		const facts = [['Kind', t.kind]];
		if (t.name)
			facts.push(['Name', t.name]);
		for (const [k, v] of Object.entries(t.params || {}))
			facts.push([k, typeof v === 'string' ? v :
			    JSON.stringify(v), 'param']);
		facts.push(['State', t.state],
		    ['Created', fmtTime(t.created_at)],
		    ['Started', fmtTime(t.started_at)],
		    ['Finished', fmtTime(t.finished_at)]);
		if (t.exit_code !== null && t.exit_code !== undefined)
			facts.push(['Exit code', String(t.exit_code)]);
		if (t.error)
			facts.push(['Error', t.error.code + ': ' +
			    t.error.message]);
		drawFacts(facts);
	}
	drawLog();
}

function drawFacts(facts) {
	const dl = $('#d-facts');
	const key = JSON.stringify(facts);
	if (dl.dataset.key === key)
		return;
	dl.dataset.key = key;
	const out = [];
	for (const [k, v, cls] of facts)
		out.push(el('dt', cls || null, k), el('dd', null, v));
	dl.replaceChildren(...out);
}

function logNote(text) {
	const note = $('#d-log-note');
	if (note.textContent !== text)
		note.textContent = text;
	$('#d-log').classList.toggle('empty-log', detail.lines === 0 &&
	    detail.pending.length === 0);
}

/* Loads the log's last lines. Log events that arrive meanwhile wait in
 * detail.buffer; the text may already hold some of them, so the longest
 * run of buffered lines that ends the text is dropped (the log has no
 * event ids to go by). With replace, the view starts afresh. */
async function loadLog(id, first) {
	const gen = detail.gen;
	if (first) {
		detail.state = 'loading';
		detail.buffer = [];
		logNote('Loading the log…');
	}
	let r;
	try {
		r = await api('/api/tasks/' + id + '/log?tail=' + LOG_TAIL);
	} catch (e) {
		if (gen === detail.gen && first) {
			detail.state = 'ready';
			logNote('The log could not be loaded: the server did ' +
			    'not answer.');
		}
		return;
	}
	if (gen !== detail.gen)
		return;
	if (r.status === 404) {
		/* No log (or no such task): nothing to follow. */
		detail.state = 'none';
		detail.buffer = [];
		logNote('no log');
		return;
	}
	if (!r.ok) {
		const why = await errorText(r);
		if (gen === detail.gen && first) {
			detail.state = 'ready';
			logNote('The log could not be loaded: ' + why);
		}
		return;
	}
	const text = await r.text();
	if (gen !== detail.gen)
		return;
	const lines = text.split('\n');
	if (lines[lines.length - 1] === '')
		lines.pop();
	const buffered = first ? detail.buffer : [];
	let skip = 0;
	for (let k = Math.min(lines.length, buffered.length); k > 0; k--) {
		let same = true;
		for (let i = 0; i < k && same; i++)
			same = lines[lines.length - k + i] === buffered[i].line;
		if (same) {
			skip = k;
			break;
		}
	}
	detail.buffer = [];
	detail.state = 'ready';
	$('#d-log').replaceChildren();
	detail.lines = 0;
	detail.pending = lines.map((line) => ({ stream: '', line }))
	    .concat(buffered.slice(skip));
	logNote(lines.length >= LOG_TAIL ? 'the last ' + LOG_TAIL +
	    ' lines, then new ones as they come' : '');
	schedule();
}

function logLines(items) {
	if (detail.state === 'loading')
		detail.buffer.push(...items);
	else if (detail.state === 'ready') {
		detail.pending.push(...items);
		schedule();
	} else if (detail.state === 'none') {
		/* the log exists after all (its first line came now) */
		detail.state = 'ready';
		logNote('');
		detail.pending.push(...items);
		schedule();
	}
}

function drawLog() {
	if (detail.pending.length === 0) {
		if (detail.state === 'ready' && detail.lines === 0)
			logNote(detail.id !== null && tasks.has(detail.id) &&
			    ACTIVE.has(tasks.get(detail.id).state) ?
			    'No output yet.' : 'The log is empty.');
		return;
	}
	const pre = $('#d-log');
	const follow = detail.follow;
	const frag = document.createDocumentFragment();
	for (const item of detail.pending) {
		const span = el('span', item.stream === 'stderr' ?
		    'line stderr' : 'line', item.line + '\n');
		frag.append(span);
	}
	detail.lines += detail.pending.length;
	detail.pending = [];
	pre.append(frag);
	while (detail.lines > LOG_MAX_LINES && pre.firstChild) {
		pre.firstChild.remove();
		detail.lines--;
	}
	if (/^No output|^The log is empty|^Loading/.test(
	    $('#d-log-note').textContent))
		logNote('');
	pre.classList.remove('empty-log');
	if (follow)
		pre.scrollTop = pre.scrollHeight;
}

/* ---------------------------------------------------------- wiring */

function wire() {
	$('#active').addEventListener('click', onTaskClick);
	$('#recent').addEventListener('click', onTaskClick);
	$('#d-task').addEventListener('click', (ev) => {
		if (ev.target.closest('.task-open'))
			ev.preventDefault();	/* already open */
		else
			onTaskClick(ev);
	});
	for (const ul of [$('#active'), $('#recent')])
		ul.addEventListener('click', (ev) => {
			if (ev.target.closest('.task-open'))
				detail.pushed = true;	/* the link adds history */
		});
	$('#d-close').addEventListener('click', () => closeDetails(false));
	$('#details').addEventListener('cancel', (ev) => {
		ev.preventDefault();	/* Escape: close it our way */
		closeDetails(false);
	});
	$('#details').addEventListener('click', (ev) => {
		if (ev.target === $('#details'))
			closeDetails(false);	/* a click on the backdrop */
	});
	$('#d-log').addEventListener('scroll', () => {
		const pre = $('#d-log');
		detail.follow = pre.scrollTop + pre.clientHeight >=
		    pre.scrollHeight - 8;
	});
	$('#token-cancel').addEventListener('click',
	    () => $('#token-dialog').close('cancel'));
	window.addEventListener('hashchange', openFromHash);
}

wire();
startUp();

})();
