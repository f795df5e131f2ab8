/* schedules.js: the Schedules section: each schedule with its kind and
 * parameters, cron and zone, state, next run (the browser's time; the
 * zone's in its title) and last task, and Pause or Resume, Run now and
 * Delete. Schedules are not in the event stream: the list is read again
 * after each action here, every REFRESH_MS, soon after a next run is
 * due, and when a task made by a schedule appears (feed.js tells). */

import { $, el, setText } from './dom.js';
import { api, auth, errorText, now } from './api.js';
import { fmtIn, fmtWhen, paramsText } from './format.js';
import { flash } from './list.js';
import { putTask, tasks } from './tasks.js';

const REFRESH_MS = 30000;	/* the longest between two reads */
const RETRY_MS = 2000;		/* a first read that failed, again */
const DUE_MS = 1500;		/* after a next run: its task exists */
const SOON_MS = 250;		/* events of many tasks: one read */
const SEEN_MAX = 1000;		/* task ids remembered by noteTask */
const STATUS_MS = 8000;		/* how long an action's status stays */

const schedules = new Map();	/* id -> schedule, as the API has it */
const rows = new Map();		/* id -> <li> */
const seen = new Set();		/* tasks of schedules met in events */
let version = 0;		/* bumped by each change made here */
let loading = null;		/* the read under way */
let again = false;		/* another read wanted after it */
let timer = 0;
let loaded = false;

/* A run time, as a <time>: the browser's time, and the zone's in its
 * title; with inline, the zone's also after it when the two differ. */
export function runTime(iso, zone, inline) {
	const t = el('time', null, fmtWhen(iso));
	t.dateTime = iso;
	const there = fmtWhen(iso, zone);
	if (there) {
		t.title = there + ' in ' + zone;
		if (inline && there !== t.textContent) {
			const box = el('span');
			box.append(t, el('span', 'muted', ' · ' + there +
			    ' in ' + zone));
			return box;
		}
	}
	return t;
}

/* Reads the list; one read at a time, and one more if asked meanwhile. A
 * read that started before a change made here is read again. */
export function refresh() {
	if (loading) {
		again = true;
		return loading;
	}
	loading = (async () => {
		const gen = auth.gen;
		do {
			again = false;
			const v = version;
			try {
				const r = await api((hg) => hg.request('GET',
				    '/api/schedules'));
				if (gen !== auth.gen)
					break;
				if (v !== version) {
					again = true;
					continue;
				}
				schedules.clear();
				for (const s of r.schedules)
					schedules.set(s.id, s);
				loaded = true;
				render();
			} catch (e) {
				if (gen !== auth.gen || auth.declined)
					break;
				if (!loaded)
					setText(document, '#schedules-empty',
					    'Could not load the schedules (' +
					    errorText(e) + '); retrying…');
			}
		} while (again);
		loading = null;
		arm();
	})();
	return loading;
}

/* The next read: in REFRESH_MS, or just after the next run if sooner. */
function arm() {
	clearTimeout(timer);
	if (auth.declined)
		return;		/* startUp reads again after the token */
	let wait = loaded ? REFRESH_MS : RETRY_MS;
	for (const s of schedules.values()) {
		const due = Date.parse(s.next_run_at || '');
		if (!Number.isNaN(due))
			wait = Math.min(wait, Math.max(1000, due - now() +
			    DUE_MS));
	}
	timer = setTimeout(refresh, wait);
}

function refreshSoon() {
	if (loading) {
		again = true;	/* the read under way may predate it */
		return;
	}
	clearTimeout(timer);
	timer = setTimeout(refresh, SOON_MS);
}

/* From the feed: task t came or changed. A task of a schedule whose
 * last_task_id is older means the list is behind. */
export function noteTask(t) {
	if (typeof t.schedule !== 'number' || seen.has(t.id))
		return;
	if (seen.size >= SEEN_MAX)
		seen.clear();
	seen.add(t.id);
	const s = schedules.get(t.schedule);
	if (!s || s.last_task_id === null || s.last_task_id < t.id)
		refreshSoon();
}

/* A schedule the page just made or changed. */
export function putSchedule(s, isNew) {
	version++;
	schedules.set(s.id, s);
	render();
	if (isNew) {
		const row = rows.get(s.id);
		row.classList.remove('new');
		void row.offsetWidth;
		row.classList.add('new');
	}
	refresh();
}

function newRow() {
	const li = el('li', 'sched');
	const head = el('div', 'task-head');
	const state = el('span', 'state');
	const icon = el('span', 'state-icon');
	icon.setAttribute('aria-hidden', 'true');
	state.append(icon, el('span', 'state-text'));
	head.append(el('span', 'sched-name'), state);
	const foot = el('div', 'task-foot');
	const acts = el('span', 'actions');
	for (const [cls, text] of [['s-pause', 'Pause'], ['s-run', 'Run now'],
	    ['s-delete', 'Delete']]) {
		const b = el('button', cls, text);
		b.type = 'button';
		acts.append(b);
	}
	foot.append(el('span', 'sched-next'), el('span', 'sched-last'), acts);
	li.append(head, el('p', 'task-sub'), el('p', 'sched-when'), foot);
	return li;
}

/* Replaces root's children when key changes (no needless redraw, and a
 * focused link keeps its focus while nothing changes). */
function fillIf(root, key, make) {
	if (root.dataset.key === key)
		return;
	root.dataset.key = key;
	root.replaceChildren(...make());
}

function fill(li, s, at) {
	const name = s.name || s.kind;
	li.dataset.id = String(s.id);
	li.dataset.sched = s.paused ? 'paused' : 'active';
	setText(li, '.sched-name', name);
	setText(li, '.state-text', s.paused ? 'paused' : 'scheduled');
	setText(li, '.task-sub', (s.name ? s.kind + ' · ' : '') +
	    paramsText(s.params));
	const overlap = s.overlap === 'allow' ? 'runs may overlap' :
	    'skips a run while the last is active';
	fillIf($('.sched-when', li), [s.cron, s.timezone, overlap].join('\n'),
	    () => [el('code', 'sched-cron', s.cron), ' · ' + s.timezone +
	    ' · ' + overlap]);
	const next = $('.sched-next', li);
	const soon = s.next_run_at ? fmtIn(s.next_run_at, at) : '';
	fillIf(next, [s.paused, s.next_run_at, soon].join('\n'), () => {
		if (s.paused)
			return ['Paused: no next run'];
		if (!s.next_run_at)
			return ['No next run'];
		return ['Next run ', runTime(s.next_run_at, s.timezone),
		    ' · ' + soon];
	});
	fillIf($('.sched-last', li), String(s.last_task_id), () => {
		if (s.last_task_id === null)
			return ['No task yet'];
		const a = el('a', 'sched-task', '#' + s.last_task_id);
		a.href = '#task-' + s.last_task_id;
		a.setAttribute('aria-label', 'Open task #' + s.last_task_id +
		    ', the last of ' + name);
		return ['Last task ', a];
	});
	const pause = $('.s-pause', li);
	setText(li, '.s-pause', s.paused ? 'Resume' : 'Pause');
	pause.setAttribute('aria-label', (s.paused ? 'Resume ' : 'Pause ') +
	    name);
	$('.s-run', li).setAttribute('aria-label', 'Run ' + name + ' now');
	$('.s-delete', li).setAttribute('aria-label', 'Delete the schedule ' +
	    name);
}

function render() {
	const ul = $('#schedules');
	const at = now();
	for (const [id, row] of rows)
		if (!schedules.has(id)) {
			row.remove();
			rows.delete(id);
		}
	const list = [...schedules.values()].sort((a, b) => a.id - b.id);
	for (const s of list) {
		let row = rows.get(s.id);
		if (!row) {
			row = newRow();
			rows.set(s.id, row);
			ul.append(row);	/* oldest first: new ones last */
		}
		fill(row, s, at);
	}
	const empty = $('#schedules-empty');
	empty.hidden = list.length > 0;
	setText(document, '#schedules-empty', 'No schedules yet. To make ' +
	    'one, open a kind\'s form and choose Schedule.');
	setText(document, '#schedules-count', list.length ?
	    String(list.length) : '');
}

function say(id, text) {
	const n = $(id);
	n.textContent = text;
	n.hidden = false;
	clearTimeout(n.timer);
	n.timer = setTimeout(() => {
		n.hidden = true;
	}, STATUS_MS);
}

function drop(id) {
	const row = rows.get(id);
	const focusWasIn = row && row.contains(document.activeElement);
	version++;
	schedules.delete(id);
	render();
	if (focusWasIn)
		$('#schedules-h').focus();
}

const ACTS = {
	async 's-pause'(s) {
		const path = '/api/schedules/' + s.id +
		    (s.paused ? '/resume' : '/pause');
		putSchedule(await api((hg) => hg.request('POST', path)));
	},
	async 's-run'(s) {
		const t = await api((hg) => hg.request('POST',
		    '/api/schedules/' + s.id + '/run'));
		if (!tasks.has(t.id) || tasks.get(t.id).state === 'queued')
			putTask(t);
		flash(t.id);
		say('#s-status', 'Run now made task #' + t.id + '.');
		const had = schedules.get(s.id);
		if (had)
			putSchedule(Object.assign({}, had,
			    { last_task_id: t.id }));
	},
	async 's-delete'(s) {
		await api((hg) => hg.request('DELETE', '/api/schedules/' +
		    s.id));
		drop(s.id);
		say('#s-status', 'Deleted the schedule ' + (s.name || s.kind) +
		    ' (' + s.cron + ').');
	},
};

const VERB = { 's-run': 'run', 's-delete': 'delete' };

async function onClick(ev) {
	const b = ev.target.closest('button');
	const li = ev.target.closest('li[data-id]');
	if (!b || !li)
		return;
	const s = schedules.get(Number(li.dataset.id));
	const cls = Object.keys(ACTS).find((c) => b.classList.contains(c));
	if (!s || !cls || b.getAttribute('aria-disabled') === 'true')
		return;
	/* Not .disabled: that would take the keyboard focus away. */
	b.setAttribute('aria-disabled', 'true');
	try {
		await ACTS[cls](s);
	} catch (e) {
		if (e.status === 404) {		/* deleted elsewhere */
			drop(s.id);
			return;
		}
		const verb = VERB[cls] || (s.paused ? 'resume' : 'pause');
		say('#s-notice', 'Could not ' + verb + ' the schedule ' +
		    (s.name || s.kind) + ': ' + (e.code === 'network' ?
		    'the server did not answer.' : errorText(e)));
	} finally {
		b.removeAttribute('aria-disabled');
	}
}

export function wire() {
	$('#schedules').addEventListener('click', onClick);
}
