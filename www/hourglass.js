/* hourglass.js: the Hourglass API from any web page. One ES module, no
 * dependency, no build step.
 *
 *	import { Hourglass, HourglassError } from "/hourglass.js";
 *	const hg = new Hourglass({ base: "", token: null });
 *	const task = await hg.start("count", { total: 50 });
 *	const w = hg.watch(task.id, { progress(p) { ... }, end(t) { ... } });
 *
 * start(kind, params, { name, idempotencyKey, after }): after is a list
 * of task ids; the new task waits (its waiting_for) until each has
 * succeeded, and ends canceled (dependency_failed) if one ends otherwise.
 *
 * base is the API's origin: "" for the page's own, or for instance
 * "http://127.0.0.1:8080" (that server must list this page's origin in
 * HOURGLASS_CORS_ORIGINS); left out (or null), the origin this module
 * came from.
 * token is a string, a function that returns one, or null. Every failure
 * is a HourglassError with the contract's .code (or "network" when there
 * was no answer), .status (0 without an answer) and .message.
 *
 * watch() follows one task (/api/tasks/{id}/events) or every task (id
 * null: /api/events) and calls the caller's handlers in event id order,
 * each event once: it skips ids it has seen, resumes after the last one
 * when a browser gives up on a stream (a 502/503 during a restart closes
 * an EventSource for good), and polls when EventSource is missing or
 * keeps failing, trying the stream again now and then.
 */

/* A task has ended in these; queued, running, stopping and retrying are
 * active: a watch goes on through retrying to the next attempt. */
const FINAL = new Set(['succeeded', 'failed', 'canceled', 'lost']);
const TYPES = ['state', 'progress', 'log', 'data', 'deleted'];
const CODES = {		/* when an answer carries no error of its own */
	400: 'invalid_request', 401: 'unauthorized', 404: 'not_found',
	405: 'method_not_allowed', 409: 'conflict', 413: 'too_large',
	415: 'unsupported_media_type', 422: 'invalid_params',
	429: 'queue_full', 502: 'unavailable', 503: 'unavailable',
	504: 'unavailable',
};
const RETRY_MS = 2000;		/* first wait before reopening a stream */
const RETRY_MAX_MS = 30000;	/* the longest wait between attempts */
const ERRORS_BEFORE_POLLING = 3;	/* stream failures in a row */
const POLL_MS = 2000;		/* polling period */
const POLLS_BEFORE_STREAM_TRY = 5;	/* while polling: try SSE again */
const LIST_LIMIT = 100;		/* tasks per list read while polling */
const DATA_PAGE = 1000;		/* items per /data read */
const PROBE_MS = 10000;		/* the longest a stream's HEAD may take */

export class HourglassError extends Error {
	constructor(code, message, status = 0, retryAfter = null) {
		super(message);
		this.name = 'HourglassError';
		this.code = code;
		this.status = status;
		this.retryAfter = retryAfter;	/* seconds, from Retry-After */
	}
}

function moduleOrigin() {
	try {
		return new URL(import.meta.url).origin;
	} catch (e) {
		return '';
	}
}

function query(q) {
	const p = new URLSearchParams();
	for (const [k, v] of Object.entries(q || {}))
		if (v !== undefined && v !== null)
			p.set(k, String(v));
	const s = p.toString();
	return s ? '?' + s : '';
}

export class Hourglass {
	constructor({ base, token = null } = {}) {
		this.base = String(base === undefined || base === null ?
		    moduleOrigin() : base).replace(/\/+$/, '');
		this.token = token;
		this.skew = 0;	/* the server's clock minus ours, in ms */
	}

	/* The token now (a function is asked each time), or "". */
	currentToken() {
		const t = typeof this.token === 'function' ? this.token() :
		    this.token;
		return t ? String(t) : '';
	}

	url(path, q) {
		return this.base + path + query(q);
	}

	/* One request. Returns the parsed JSON (null for a 204), or the text
	 * with opts.text; throws HourglassError. */
	async request(method, path, opts = {}) {
		const headers = Object.assign({}, opts.headers);
		const t = this.currentToken();
		if (t)
			headers.Authorization = 'Bearer ' + t;
		const init = { method, headers, cache: 'no-store' };
		if (opts.body !== undefined) {
			headers['Content-Type'] = 'application/json';
			init.body = JSON.stringify(opts.body);
		}
		const url = this.url(path, opts.query);
		let r;
		try {
			r = await globalThis.fetch(url, init);
		} catch (e) {
			throw new HourglassError('network', 'no answer from ' +
			    url + ' (' + (e && e.message || e) + ')');
		}
		this.noteClock(r);
		if (!r.ok)
			throw await errorOf(r);
		if (r.status === 204)
			return null;
		try {
			return opts.text ? await r.text() : await r.json();
		} catch (e) {
			throw new HourglassError('network', 'the answer from ' +
			    url + ' was cut off or not JSON', r.status);
		}
	}

	/* Task times are the server's; its Date header is only to the
	 * second, so skews under 2 s are taken as none. */
	noteClock(r) {
		const d = Date.parse(r.headers.get('Date') || '');
		if (!Number.isNaN(d)) {
			const s = d + 500 - Date.now();
			this.skew = Math.abs(s) > 2000 ? s : 0;
		}
	}

	async kinds() {
		return (await this.request('GET', '/api/kinds')).kinds;
	}

	async start(kind, params = {}, { name, idempotencyKey, after } = {}) {
		const body = { kind, params };
		if (name !== undefined && name !== null)
			body.name = name;
		if (after !== undefined && after !== null)
			body.after = after;
		const headers = {};
		if (idempotencyKey)
			headers['Idempotency-Key'] = idempotencyKey;
		return this.request('POST', '/api/tasks', { body, headers });
	}

	async get(id) {
		return this.request('GET', '/api/tasks/' + taskId(id));
	}

	async list({ state, kind, limit, before } = {}) {
		return this.request('GET', '/api/tasks',
		    { query: { state, kind, limit, before } });
	}

	async stop(id) {
		return this.request('POST', '/api/tasks/' + taskId(id) + '/stop');
	}

	async rerun(id) {
		return this.request('POST', '/api/tasks/' + taskId(id) + '/rerun');
	}

	async remove(id) {
		await this.request('DELETE', '/api/tasks/' + taskId(id));
	}

	/* One page of a task's data items: {items, next, count}. */
	async data(id, { after, name, limit } = {}) {
		return this.request('GET', '/api/tasks/' + taskId(id) + '/data',
		    { query: { after, name, limit } });
	}

	/* The task's log as text; tail: its last lines only. */
	async log(id, { tail } = {}) {
		return this.request('GET', '/api/tasks/' + taskId(id) + '/log',
		    { query: { tail }, text: true });
	}

	watch(id, handlers = {}, { after } = {}) {
		return new Watch(this, id === null || id === undefined ? null :
		    taskId(id), handlers, after);
	}
}

function taskId(id) {
	const n = Number(id);
	if (!Number.isSafeInteger(n) || n < 1)
		throw new HourglassError('not_found', 'no task ' + id, 404);
	return n;
}

async function errorOf(r) {
	let code = CODES[r.status] || 'http_' + r.status;
	let message = 'the server answered ' + r.status +
	    (r.statusText ? ' ' + r.statusText : '');
	try {
		const j = await r.json();
		if (j && j.error && typeof j.error.code === 'string')
			code = j.error.code;
		if (j && j.error && typeof j.error.message === 'string')
			message = j.error.message;
	} catch (e) {
		/* not JSON: the status says it */
	}
	const ra = Number(r.headers.get('Retry-After'));
	return new HourglassError(code, message, r.status,
	    Number.isFinite(ra) && ra >= 0 ? ra : null);
}

function call(fn, ...args) {
	if (typeof fn !== 'function')
		return;
	try {
		fn(...args);
	} catch (e) {
		/* a handler's bug must not end the watch; show it */
		setTimeout(() => {
			throw e;
		});
	}
}

/* One watch: a stream, or polling, and the handlers it feeds. */
class Watch {
	constructor(hg, id, handlers, after) {
		this.hg = hg;
		this.id = id;
		this.h = handlers || {};
		this.lastEventId = after === undefined || after === null ?
		    null : Number(after);
		this.mode = null;
		this.es = null;
		this.errors = 0;	/* stream failures in a row */
		this.timer = 0;
		this.polling = false;
		this.polls = 0;
		this.pollGen = 0;
		this.last = null;	/* while polling: what was last seen */
		/* While polling: the newest data item given (a stream that
		 * replays it later skips it), and whether the stream was
		 * tried once the task had ended. lastEventId stays at the
		 * newest event a stream gave: polling reads no log lines,
		 * so the stream resumes from there and misses none. */
		this.dataSeen = 0;
		this.endTried = false;
		this.seen = false;	/* the task was read or streamed */
		this.probe = null;	/* a HEAD of the stream on its way */
		this.closed = false;
		if (typeof globalThis.EventSource === 'function')
			this.open();
		else
			this.startPolling();
	}

	/* The caller has read again, by other means, everything up to
	 * event id (a page that reloads what a snapshot shows): the stream
	 * resumes after it rather than replaying what was missed. */
	caughtUp(id) {
		if (Number.isSafeInteger(id) && (this.lastEventId === null ||
		    id > this.lastEventId))
			this.lastEventId = id;
	}

	close() {
		if (this.closed)
			return;
		this.closed = true;
		if (this.probe)
			this.probe.abort();
		this.shut();
		this.stopPolling();
		this.setMode('closed');
	}

	/* mode("sse") comes each time the stream (re)opens, so that a
	 * caller that showed an error knows it is over. */
	setMode(m) {
		if (this.mode !== m || m === 'sse') {
			this.mode = m;
			call(this.h.mode, m);
		}
	}

	shut() {
		clearTimeout(this.timer);
		if (this.es) {
			this.es.close();
			this.es = null;
		}
	}

	streamUrl() {
		const path = this.id === null ? '/api/events' :
		    '/api/tasks/' + this.id + '/events';
		const t = this.hg.currentToken();
		return this.hg.url(path, {
			after: this.lastEventId,
			access_token: t || null,	/* no headers here */
		});
	}

	open() {
		this.shut();
		if (this.closed)
			return;
		const es = new EventSource(this.streamUrl());
		this.es = es;
		es.onopen = () => {
			if (this.es !== es)
				return;
			this.errors = 0;
			this.seen = true;	/* a 200: the task is there */
			this.stopPolling();
			this.setMode('sse');
		};
		es.onerror = () => {
			if (this.es === es)
				this.failed(es);
		};
		for (const type of TYPES)
			es.addEventListener(type, (ev) => {
				if (this.es === es)
					this.onEvent(type, ev);
			});
	}

	onEvent(type, ev) {
		const id = Number(ev.lastEventId);
		/* Ids are global and strictly increasing: one not above the
		 * last applied was seen already (a replay). */
		if (!Number.isSafeInteger(id) ||
		    (this.lastEventId !== null && id <= this.lastEventId))
			return;
		this.lastEventId = id;
		this.errors = 0;
		this.seen = true;
		if (type === 'data' && id <= this.dataSeen)
			return;		/* polling gave it already */
		let d;
		try {
			d = JSON.parse(ev.data);
		} catch (e) {
			return;
		}
		this.dispatch(type, d, { id, type });
	}

	dispatch(type, d, ev) {
		const h = this.h;
		if (type === 'state') {
			call(h.state, d, ev);
			if (this.id !== null && FINAL.has(d.state)) {
				call(h.end, d);
				this.close();	/* the stream ends here too */
			}
		} else if (type === 'progress') {
			call(h.progress, d, ev);
		} else if (type === 'log') {
			call(h.log, d, ev);
		} else if (type === 'data') {
			const f = h.data;
			if (typeof f === 'function')
				call(f, d, ev);
			else if (f && typeof f[d.name] === 'function')
				call(f[d.name], d, ev);
			else if (f)
				call(f['*'], d, ev);
		} else if (type === 'deleted') {
			call(h.deleted, d, ev);
			if (this.id !== null && d.task === this.id)
				this.close();
		}
	}

	failed(es) {
		this.errors++;
		if (this.errors >= ERRORS_BEFORE_POLLING) {
			this.shut();
			if (!this.polling)	/* else a retry that failed */
				call(this.h.error, new HourglassError('network',
				    'the event stream keeps failing; polling'));
			this.startPolling();
			return;
		}
		if (es.readyState !== EventSource.CLOSED) {
			/* The browser reconnects by itself, with
			 * Last-Event-ID. */
			call(this.h.error, new HourglassError('network',
			    'the event stream dropped; reconnecting'));
			return;
		}
		/* The browser gave up for good: reopen after the last id,
		 * after a while, once a plain request says why it failed.
		 * The first time, at once: a task that has ended with
		 * nothing left to send answers 204, which closes it too. */
		this.shut();
		const wait = this.errors === 1 && this.id !== null ? 0 :
		    Math.min(RETRY_MAX_MS, RETRY_MS * 2 ** (this.errors - 1));
		this.timer = setTimeout(() => this.reopen(),
		    wait / 2 + Math.random() * wait / 2);
	}

	/* Whether the task's stream has events after lastEventId: it
	 * answers 204 when the task has ended and none are left (and
	 * always for a stream from now, with no id). Asked with a HEAD
	 * (the stream's head alone, after the same check), since an
	 * EventSource tells no status; given up after PROBE_MS, or at
	 * close(). */
	async streamHasMore() {
		if (this.lastEventId === null)
			return false;
		const ctrl = new AbortController();
		const timer = setTimeout(() => ctrl.abort(), PROBE_MS);
		this.probe = ctrl;
		try {
			const r = await globalThis.fetch(this.streamUrl(),
			    { method: 'HEAD', cache: 'no-store',
			    signal: ctrl.signal });
			return r.status !== 204;
		} catch (e) {
			throw new HourglassError('network', 'no answer from ' +
			    'the event stream (' + (e && e.message || e) + ')');
		} finally {
			clearTimeout(timer);
			if (this.probe === ctrl)
				this.probe = null;
		}
	}

	/* The task is not there (e, a 404): deleted since the watch saw
	 * it, or never there, which is an error. The watch ends either
	 * way. */
	gone(e) {
		if (this.seen) {
			this.dispatch('deleted', { task: this.id },
			    { id: null, type: 'deleted' });
		} else {
			call(this.h.error, e);
			this.close();
		}
	}

	async reopen() {
		if (this.closed)
			return;
		try {
			if (this.id !== null) {
				const t = await this.hg.get(this.id);
				if (this.closed)
					return;
				this.seen = true;
				/* Ended: the stream replays what we missed, up
				 * to the end; with nothing left (a 204, which
				 * closed it), the final state is all there is
				 * to say. */
				if (FINAL.has(t.state)) {
					if (await this.streamHasMore())
						this.open();
					else if (!this.closed)
						this.dispatch('state', t,
						    { id: null, type: 'state' });
					return;
				}
			} else {
				await this.hg.list({ limit: 1 });
			}
			call(this.h.error, new HourglassError('network',
			    'the event stream closed; reopening'));
		} catch (e) {
			if (this.closed)
				return;
			if (e.code === 'not_found' && this.id !== null) {
				this.gone(e);
				return;
			}
			call(this.h.error, e);
			if (e.status === 401) {
				/* A stream would be refused too: ask again
				 * later, with whatever token there is then. */
				this.timer = setTimeout(() => this.reopen(),
				    RETRY_MS);
				return;
			}
		}
		if (this.closed || this.polling)
			return;
		/* The first look came at once (for a 204); the stream comes
		 * back after the wait every other failure has. */
		if (this.errors === 1 && this.id !== null)
			this.timer = setTimeout(() => this.open(),
			    RETRY_MS / 2 + Math.random() * RETRY_MS / 2);
		else
			this.open();
	}

	startPolling() {
		if (this.polling || this.closed)
			return;
		this.polling = true;
		this.polls = 0;
		this.setMode('polling');
		this.poll();
	}

	stopPolling() {
		this.polling = false;
		this.pollGen++;
		clearTimeout(this.pollTimer);
	}

	async poll() {
		const gen = this.pollGen;
		try {
			if (this.id === null)
				await this.pollAll(gen);
			else
				await this.pollOne(gen);
		} catch (e) {
			if (gen === this.pollGen && !this.closed)
				call(this.h.error, e);
		}
		if (gen !== this.pollGen || this.closed)
			return;
		if (typeof globalThis.EventSource === 'function' &&
		    ++this.polls % POLLS_BEFORE_STREAM_TRY === 0) {
			/* One more failure sends it back to polling. */
			this.errors = ERRORS_BEFORE_POLLING - 1;
			this.open();
		}
		this.pollTimer = setTimeout(() => this.poll(), POLL_MS);
	}

	/* Every task: the newest and the running ones (so that a long task
	 * never falls off behind newer ones); a task that changed goes to
	 * state(), the whole snapshot to snapshot(). */
	async pollAll(gen) {
		const answers = await Promise.all([
		    this.hg.list({ limit: LIST_LIMIT }),
		    this.hg.list({ state: 'running', limit: LIST_LIMIT })]);
		if (gen !== this.pollGen || this.closed)
			return;
		const seen = new Map();
		/* The older of the two: replaying from there only repeats
		 * changes the newer one shows, in order. */
		const eventId = Math.min(...answers.map((a) => a.event_id));
		for (const a of answers)
			for (const t of a.tasks)
				seen.set(t.id, t);
		const before = this.last || new Map();
		this.last = new Map();
		for (const t of seen.values()) {
			const j = JSON.stringify(t);
			this.last.set(t.id, j);
			if (before.get(t.id) !== j)
				call(this.h.state, t, { id: null, type: 'state' });
		}
		call(this.h.snapshot, { tasks: [...seen.values()],
		    event_id: eventId });
		/* A stream that never opened starts after the snapshot; one
		 * that gave events resumes after its last (class comment). */
		if (this.lastEventId === null)
			this.lastEventId = eventId;
	}

	/* One task: the task, then its data items after the last one. */
	async pollOne(gen) {
		const t = await this.hg.get(this.id).catch((e) => {
			if (e.code !== 'not_found')
				throw e;
			return e;
		});
		if (gen !== this.pollGen || this.closed)
			return;
		if (t instanceof HourglassError) {
			this.gone(t);
			return;
		}
		this.seen = true;
		/* Ended: the stream, once more, replays what polling could
		 * not read (its log lines) up to the end, if it opens. */
		if (FINAL.has(t.state) && !this.endTried &&
		    typeof globalThis.EventSource === 'function') {
			this.endTried = true;
			const more = await this.streamHasMore().catch(
			    () => false);
			if (gen !== this.pollGen || this.closed)
				return;
			if (more) {
				this.errors = ERRORS_BEFORE_POLLING - 1;
				this.open();
				return;
			}
		}
		const before = this.last;
		const j = JSON.stringify(t);
		this.last = j;
		for (let next = Math.max(this.lastEventId || 0, this.dataSeen);
		    next !== null;) {
			let page;
			try {
				page = await this.hg.data(this.id,
				    { after: next, limit: DATA_PAGE });
			} catch (e) {
				if (e.code !== 'not_found')
					throw e;
				break;	/* a server without data items */
			}
			if (gen !== this.pollGen || this.closed)
				return;
			for (const it of page.items) {
				if ((this.lastEventId !== null &&
				    it.id <= this.lastEventId) ||
				    it.id <= this.dataSeen)
					continue;
				this.dataSeen = it.id;
				this.dispatch('data', { task: this.id,
				    name: it.name, data: it.data },
				    { id: it.id, type: 'data' });
			}
			next = page.next;
		}
		if (j === before)
			return;
		const p = t.progress || {};
		const pb = before ? JSON.parse(before).progress : null;
		if (JSON.stringify(p) !== JSON.stringify(pb))
			call(this.h.progress, { task: t.id, value: p.value,
			    total: p.total, percent: p.percent,
			    message: p.message }, { id: null, type: 'progress' });
		this.dispatch('state', t, { id: null, type: 'state' });
	}
}
