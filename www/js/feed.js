/* feed.js: keeps the page right. GET /api/tasks gives a snapshot and the
 * newest event id it reflects; hourglass.js then watches every task from
 * there (/api/events?after=<that id>), skipping ids it has seen, resuming
 * after a dropped or closed stream, and polling when the stream keeps
 * failing. Its handlers change `tasks`; the drawers do the rest. */

import { api, askToken, auth, failMode, hg, token } from './api.js';
import * as details from './details.js';
import { loadKinds } from './forms.js';
import * as items from './items.js';
import { fetchTask, forget } from './list.js';
import { noteTask, refresh as refreshSchedules } from './schedules.js';
import { setMode } from './status.js';
import { dropTask, latest, putTask, tasks, touch, view } from './tasks.js';

const LIST_LIMIT = 100;		/* tasks asked for in a snapshot */
const RETRY_MS = 2000;		/* a failed first snapshot, again */

let watch = null;
let lastEventId = 0;		/* where the next watch starts */
let resume = false;		/* the page left, and may come back */

/* The newest tasks and the running ones (so that a long task never falls
 * off the page behind newer ones), and the newest event id both reflect
 * (the older of the two: replaying from there only repeats changes the
 * newer one already shows, in order). */
async function fetchSnapshot() {
	const answers = await Promise.all([
	    api((c) => c.list({ limit: LIST_LIMIT })),
	    api((c) => c.list({ state: 'running', limit: LIST_LIMIT }))]);
	const seen = new Map();
	for (const a of answers)
		for (const t of a.tasks)
			seen.set(t.id, t);
	return { tasks: [...seen.values()],
	    event_id: Math.min(...answers.map((a) => a.event_id)) };
}

function applySnapshot(snap) {
	const ids = new Set(snap.tasks.map((t) => t.id));
	for (const id of tasks.keys())
		if (!ids.has(id) && id !== view.open)
			dropTask(id);
	for (const t of snap.tasks) {
		putTask(t);
		noteTask(t);
	}
	lastEventId = Math.max(lastEventId, snap.event_id);
}

const handlers = {
	mode(m) {
		if (m === 'sse')
			setMode('live');
		else if (m === 'polling')
			setMode('polling');
	},
	error(e) {
		if (!watch)
			return;
		if (e.status === 401) {
			/* The stream cannot tell; the probe could. */
			auth.failed = true;
			askToken(token());
		} else if (watch.mode === 'polling') {
			setMode(failMode());
		} else {
			setMode('reconnecting');
		}
	},
	snapshot(snap) {	/* while polling */
		applySnapshot(snap);
		setMode('polling');
		details.refresh();
		/* The list, the open log and its items are read again: the
		 * stream resumes after the snapshot, not replaying all that
		 * was missed. */
		if (watch)
			watch.caughtUp(snap.event_id);
	},
	state(t) {
		putTask(t);
		noteTask(t);	/* made by a schedule: its list is behind */
	},
	progress(d) {
		const t = tasks.get(d.task);
		if (!t) {
			fetchTask(d.task);
			return;
		}
		t.progress = { value: d.value, total: d.total,
		    percent: d.percent, message: d.message };
		touch(t.id);
	},
	log(d) {
		details.logLine(d);
	},
	data(item, ev) {
		if (tasks.has(item.task)) {	/* for its card */
			latest.set(item.task, Object.assign({ id: ev.id },
			    item));
			touch(item.task);
		}
		items.add(item, ev);
	},
	deleted(d) {
		if (tasks.has(d.task))
			forget(d.task);
	},
};

function openWatch() {
	closeWatch();
	if (auth.declined)
		return;		/* paused until the token is entered */
	watch = hg.watch(null, handlers, { after: lastEventId });
}

export function closeWatch() {
	if (watch) {
		if (watch.lastEventId !== null)
			lastEventId = Math.max(lastEventId, watch.lastEventId);
		const w = watch;
		watch = null;
		w.close();
	}
}

/* A page the user left (for another page, perhaps into the browser's
 * back-forward cache, where it may stay alive) watches nothing: it ends
 * its stream, so that a task that lives while watched sees it go. If the
 * page comes back from that cache, it watches again from the last event
 * it applied, and so misses nothing. */
window.addEventListener('pagehide', () => {
	if (watch) {
		closeWatch();
		resume = true;
	}
});

window.addEventListener('pageshow', (ev) => {
	if (!ev.persisted || !resume)
		return;
	resume = false;
	openWatch();
});

/* At load, and after a pause for the token. */
export async function startUp() {
	const gen = auth.gen;
	setMode('connecting');
	if (!auth.kindsLoaded)
		loadKinds();
	for (;;) {
		try {
			const snap = await fetchSnapshot();
			if (gen !== auth.gen)
				return;
			applySnapshot(snap);
			break;
		} catch (e) {
			if (gen !== auth.gen || auth.declined)
				return;		/* paused: the note says why */
			setMode(failMode());
			await new Promise((r) => setTimeout(r, RETRY_MS));
			if (gen !== auth.gen)
				return;
		}
	}
	/* After the snapshot, not beside it: without a token, the first
	 * requests' 401s are all there is, and this one would add one. */
	refreshSchedules();
	openWatch();
	details.openFromHash();
	newestItems();
}

/* The cards of tasks that were running before the page opened show
 * their newest item before the next one comes: read the items of the
 * first PRIME_TASKS running tasks, PRIME_PAGES pages at most each (the
 * API lists them oldest first). A live item that came meanwhile wins. */
const PRIME_TASKS = 10;
const PRIME_PAGES = 3;

async function newestItems() {
	const running = [...tasks.values()].filter((t) =>
	    t.state === 'running' && 'result' in t).slice(0, PRIME_TASKS);
	for (const t of running) {
		let last = null;
		try {
			let next = 0;
			for (let n = 0; next !== null && n < PRIME_PAGES; n++) {
				const page = await api((c) => c.data(t.id,
				    { after: next, limit: 1000 }));
				if (page.items.length)
					last = page.items[page.items.length - 1];
				next = page.next;
			}
			if (next !== null)
				continue;	/* too many to read through */
		} catch (e) {
			continue;
		}
		const had = latest.get(t.id);
		if (last && tasks.has(t.id) && !(had && had.id >= last.id)) {
			latest.set(t.id, { task: t.id, name: last.name,
			    data: last.data, id: last.id });
			touch(t.id);
		}
	}
}
