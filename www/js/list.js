/* list.js: the task cards, active first, then recent, each with its bar,
 * percent, state, message, time, newest data item, the tasks it waits
 * for, and Stop, or Run again and Remove;
 * the title counts running tasks. fillTask() also draws the card at the
 * top of the details. */

import { $, el, setText } from './dom.js';
import { api, errorText, now } from './api.js';
import { showReport } from './report.js';
import { ACTIVE, fmtPct, itemSummary, paramsText, percentOf,
    timeText } from './format.js';
import { dirty, dropTask, latest, onDraw, putTask, schedule, tasks,
    touch, view } from './tasks.js';

const RECENT_MAX = 100;		/* finished tasks kept on the page */

const rows = new Map();		/* id -> <li> */
export const kinds = new Map();	/* name -> kind, as GET /api/kinds lists it */

export function newRow() {
	return $('#task-tpl').content.firstElementChild.cloneNode(true);
}

/* "waiting for #12, #13" while the task waits for others (after), each
 * a link that opens that task; hidden once it is released. */
function fillWait(p, ids) {
	const key = Array.isArray(ids) ? ids.join(',') : '';
	if (p.dataset.key === key)
		return;
	p.dataset.key = key;
	p.hidden = key === '';
	const out = [];
	for (const id of key === '' ? [] : ids) {
		const a = el('a', 'wait-link', '#' + id);
		a.href = '#task-' + id;
		a.setAttribute('aria-label', 'Open task #' + id);
		out.push(out.length > 0 ? ', ' : 'waiting for ', a);
	}
	p.replaceChildren(...out);
}

/* Draws task t into a copy of the template (a card, or the dialog's). */
export function fillTask(root, t, at) {
	if (root.dataset.state !== t.state)
		root.dataset.state = t.state;
	root.dataset.id = String(t.id);
	setText(root, '.task-id', '#' + t.id);
	setText(root, '.task-name', t.name || t.kind);
	setText(root, '.task-sub', (t.name ? t.kind + ' · ' : '') +
	    paramsText(t.params));
	setText(root, '.state-text', t.state);
	fillWait($('.task-wait', root), t.waiting_for);
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
	const item = ACTIVE.has(t.state) ? latest.get(t.id) : null;
	const it = $('.task-item', root);
	it.hidden = !item;
	setText(root, '.task-item', item ? itemSummary(item) : '');
	let msg = t.error && t.error.message ? t.error.message :
	    (t.progress && t.progress.message) || '';
	if (msg === '' && t.state === 'queued' && kinds.has(t.kind) &&
	    kinds.get(t.kind).external === true)
		msg = 'waits for its worker\'s first report';
	setText(root, '.message', msg);
	$('.message', root).classList.toggle('is-error', !!t.error);
	setText(root, '.time', timeText(t, at));
	const stop = $('.stop', root), remove = $('.remove', root);
	const rerun = $('.rerun', root);
	const active = ACTIVE.has(t.state);
	stop.hidden = !active;
	remove.hidden = active;
	rerun.hidden = active;
	setText(root, '.stop', t.state === 'stopping' ? 'Stopping…' : 'Stop');
	stop.disabled = t.state === 'stopping';
	stop.setAttribute('aria-label', 'Stop #' + t.id);
	remove.setAttribute('aria-label', 'Remove #' + t.id);
	rerun.setAttribute('aria-label', 'Run #' + t.id + ' again');
}

const byNewest = (a, b) => b.id - a.id;

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
		if (t.id !== view.open) {
			tasks.delete(t.id);
			latest.delete(t.id);
		}
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
		if (t.state === 'running' || t.state === 'stopping')
			running++;
	const title = (running ? '(' + running + ') ' : '') + 'Hourglass';
	if (document.title !== title)
		document.title = title;
}

onDraw(render);

setInterval(() => {
	for (const t of tasks.values())
		if (ACTIVE.has(t.state)) {
			schedule();
			return;
		}
}, 1000);

/* Marks a new card for a moment. */
export function flash(id) {
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

export function notice(text) {
	const n = $('#notice');
	n.textContent = text;
	n.hidden = false;
	clearTimeout(notice.timer);
	notice.timer = setTimeout(() => {
		n.hidden = true;
	}, 8000);
}

/* A task we have not seen (its progress came first, or it is older
 * than the snapshot). */
const fetching = new Set();

export async function fetchTask(id) {
	if (fetching.has(id))
		return null;
	fetching.add(id);
	try {
		const t = await api((hg) => hg.get(id));
		if (!tasks.has(id))
			putTask(t);
		return t;
	} catch (e) {
		/* the next event or poll brings it */
	} finally {
		fetching.delete(id);
	}
	return null;
}

async function stopTask(id, button) {
	if (button)
		button.disabled = true;
	try {
		const t = await api((hg) => hg.stop(id));
		const had = tasks.get(id);
		/* An event may already have brought something newer. */
		if (!had || ACTIVE.has(had.state))
			putTask(t);
	} catch (e) {
		if (e.status === 409)	/* it ended meanwhile */
			api((hg) => hg.get(id)).then(putTask, () => {});
		else
			notice('Could not stop #' + id + ': ' + (e.code ===
			    'network' ? 'the server did not answer.' :
			    errorText(e)));
	} finally {
		if (button)
			button.disabled = false;
		touch(id);
	}
}

async function removeTask(id, button) {
	if (button)
		button.disabled = true;
	try {
		await api((hg) => hg.remove(id));
	} catch (e) {
		if (e.status !== 404) {
			notice('Could not remove #' + id + ': ' + (e.code ===
			    'network' ? 'the server did not answer.' :
			    errorText(e)));
			if (button)
				button.disabled = false;
			return;
		}
	}
	forget(id);
}

/* Runs finished task id again: the new task appears at once, as a
 * started one does. An external task's new report token goes to the
 * notice under its kind's form, as a create's does. Returns the new
 * task, or null (the error is shown). */
export async function rerunTask(id, button) {
	if (button)
		button.disabled = true;
	try {
		const t = await api((hg) => hg.rerun(id));
		const report = t.report;
		delete t.report;
		if (!tasks.has(t.id) || tasks.get(t.id).state === 'queued')
			putTask(t);
		if (report) {
			const form = [...document.querySelectorAll(
			    'form[data-kind]')].find((f) =>
			    f.dataset.kind === t.kind);
			if (form) {
				/* Its kind's box may be folded. */
				const box = form.closest('details');
				if (box)
					box.open = true;
				showReport(form, t, report);
			} else
				notice('#' + t.id + ' runs #' + id + ' again, ' +
				    'but its report token cannot be shown ' +
				    'here; stop it and start another.');
		}
		flash(t.id);
		return t;
	} catch (e) {
		notice('Could not run #' + id + ' again: ' + (e.code ===
		    'network' ? 'the server did not answer.' :
		    errorText(e)));
		return null;
	} finally {
		if (button)
			button.disabled = false;
	}
}

/* Drops a card, keeping the keyboard focus somewhere sensible. */
export function forget(id) {
	const row = rows.get(id);
	const focusWasIn = row && row.contains(document.activeElement);
	dropTask(id);
	if (focusWasIn)
		$('#tasks-h').focus();
}

/* Stop, Run again and Remove, on a card or in the details. */
export function onTaskClick(ev) {
	const b = ev.target.closest('button');
	const root = ev.target.closest('[data-id]');
	if (!b || !root)
		return;
	const id = Number(root.dataset.id);
	if (b.classList.contains('stop'))
		stopTask(id, b);
	else if (b.classList.contains('remove'))
		removeTask(id, b);
	else if (b.classList.contains('rerun'))
		rerunTask(id, b);
}
