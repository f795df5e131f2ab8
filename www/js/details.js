/* details.js: the dialog a task's name opens: its card, its facts, its
 * result and data items (items.js), and its log, which follows new lines
 * as log events bring them. #task-<id> in the address opens it. */

import { $, el, setText } from './dom.js';
import { api, errorText, now } from './api.js';
import { ACTIVE, fmtTime } from './format.js';
import * as items from './items.js';
import { fetchTask, fillTask, kinds, newRow, onTaskClick,
    rerunTask } from './list.js';
import { onDraw, onDrop, schedule, tasks, touch, view } from './tasks.js';

const LOG_TAIL = 1000;		/* lines fetched when a log opens */
const LOG_MAX_LINES = 5000;	/* lines kept in the log view */
const ECHO_LINES = 200;		/* of those, the last ones events may repeat */
const ECHO_MS = 1000;		/* how long after the load they may */

const detail = {
	pushed: false,		/* whether opening it added a history entry */
	state: 'idle',		/* idle | loading | ready | none */
	buffer: [],		/* log events that came while loading */
	echo: null,		/* after a load: { text, held, timer } */
	pending: [],		/* lines to draw */
	lines: 0,		/* lines in the view */
	follow: true,		/* keep the view scrolled to the end */
	gen: 0,
	wasActive: null,	/* while polling: the open task, if it was
				 * active at the last poll or just opened */
};

export function openFromHash() {
	const m = /^#task-(\d+)$/.exec(location.hash);
	if (m)
		openDetails(Number(m[1]));
	else if (view.open !== null)
		closeDetails(true);
}

function titleOf(t) {
	return (t.name || t.kind) + ' #' + t.id;
}

async function openDetails(id) {
	const dlg = $('#details');
	if (view.open !== id) {
		view.open = id;
		detail.gen++;
		detail.follow = true;
		$('#d-log').replaceChildren();
		detail.lines = 0;
		detail.pending = [];
		const box = el('div', 'task in-dialog');
		box.append(...newRow().childNodes);
		$('#d-task').replaceChildren(box);
		/* Its own title at once if the task is known: the rest is
		 * drawn at the next frame. */
		$('#d-title').textContent = tasks.has(id) ?
		    titleOf(tasks.get(id)) : 'Task #' + id;
		$('#d-facts').replaceChildren();
		detail.wasActive = id;	/* it may end before the next poll */
		items.open(id);
		loadLog(id, true);
	}
	if (!dlg.open)
		dlg.showModal();
	if (!tasks.has(id)) {
		const t = await fetchTask(id);
		if (!t && !tasks.has(id) && view.open === id) {
			$('#d-title').textContent = 'Task #' + id;
			$('#d-facts').replaceChildren(el('dt', null, 'Task'),
			    el('dd', null, 'No such task: it may have been ' +
			    'removed.'));
			logNote('no log');
			return;
		}
	}
	touch(id);
}

function closeDetails(fromHash) {
	const dlg = $('#details');
	view.open = null;
	detail.gen++;
	detail.state = 'idle';
	echoStop();
	items.close();
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

onDrop((id) => {
	if (view.open === id)
		closeDetails();
});

function renderDetails() {
	const id = view.open;
	if (id === null)
		return;
	const t = tasks.get(id);
	if (t) {
		const row = $('#d-task').firstElementChild;
		if (row)
			fillTask(row, t, now());
		setText(document, '#d-title', titleOf(t));
		const facts = [['Kind', t.kind]];
		if (t.name)
			facts.push(['Name', t.name]);
		if (Number.isInteger(t.rerun_of))
			facts.push(['Run again of', '#' + t.rerun_of, 'rerun-of',
			    '#task-' + t.rerun_of]);
		if (Number.isInteger(t.schedule))
			facts.push(['Made by', 'schedule #' + t.schedule]);
		for (const [k, v] of Object.entries(t.params || {}))
			facts.push([k, typeof v === 'string' ? v :
			    JSON.stringify(v), 'param']);
		facts.push(['State', t.state]);
		/* attempt is the one running or last run. */
		if (t.attempts > 1)
			facts.push(['Attempt', t.attempt + ' of ' + t.attempts +
			    (t.state === 'retrying' ? ', failed' : '')]);
		if (t.state === 'retrying')
			facts.push(['Next attempt', (t.attempt + 1) + ', at ' +
			    fmtTime(t.retry_at)]);
		facts.push(['Created', fmtTime(t.created_at)],
		    ['Started', fmtTime(t.started_at)],
		    ['Finished', fmtTime(t.finished_at)]);
		if (t.exit_code !== null && t.exit_code !== undefined)
			facts.push(['Exit code', String(t.exit_code)]);
		if (t.error)
			facts.push(['Error', t.error.code + ': ' +
			    t.error.message]);
		drawFacts(facts);
		items.drawResult(t);
	}
	items.draw();
	drawLog();
}

onDraw(renderDetails);

function drawFacts(facts) {
	const dl = $('#d-facts');
	const key = JSON.stringify(facts);
	if (dl.dataset.key === key)
		return;
	dl.dataset.key = key;
	const out = [];
	for (const [k, v, cls, href] of facts) {
		const dd = el('dd', null, href ? '' : v);
		if (href) {
			const a = el('a', 'fact-link', v);
			a.href = href;
			dd.append(a);
		}
		out.push(el('dt', cls || null, k), dd);
	}
	dl.replaceChildren(...out);
}

function logNote(text) {
	const note = $('#d-log-note');
	if (note.textContent !== text)
		note.textContent = text;
	$('#d-log').classList.toggle('empty-log', detail.lines === 0 &&
	    detail.pending.length === 0);
}

/* Whether the log events held since a load repeat the end of its text:
 * the runner writes a line to the log file before its event reaches
 * the page, so the text may end with lines whose events are still on
 * their way, whether they came while it loaded or come after (the log
 * has no event ids to go by). The held events that repeat the text's
 * last lines, the longest such run, are dropped, and the rest drawn,
 * as soon as no longer run could still come; or when final. */
function echoCheck(final) {
	const ec = detail.echo;
	const held = ec.held, text = ec.text, n = text.length;
	let repeated = 0, open = false;
	for (let m = 1; m <= n; m++) {
		let same = true;
		for (let i = 0; i < Math.min(m, held.length) && same; i++)
			same = held[i].line === text[n - m + i];
		if (!same)
			continue;
		if (m <= held.length)
			repeated = m;
		else
			open = true;
	}
	if (open && !final)
		return;
	clearTimeout(ec.timer);
	detail.echo = null;
	detail.pending.push(...held.slice(repeated));
	schedule();
}

function echoStop() {
	if (detail.echo !== null)
		clearTimeout(detail.echo.timer);
	detail.echo = null;
}

/* Loads the log's last lines. Log events that arrive meanwhile wait in
 * detail.buffer, and then for echoCheck. With first, the view starts
 * afresh. */
async function loadLog(id, first) {
	const gen = detail.gen;
	if (first) {
		detail.state = 'loading';
		detail.buffer = [];
		echoStop();
		logNote('Loading the log…');
	}
	let text;
	try {
		text = await api((hg) => hg.log(id, { tail: LOG_TAIL }));
	} catch (e) {
		if (gen !== detail.gen)
			return;
		if (e.status === 404) {
			/* No log (or no such task): nothing to follow. */
			detail.state = 'none';
			detail.buffer = [];
			logNote('no log');
		} else if (first) {
			detail.state = 'ready';
			logNote('The log could not be loaded: ' + (e.code ===
			    'network' ? 'the server did not answer.' :
			    errorText(e)));
		}
		return;
	}
	if (gen !== detail.gen)
		return;
	const lines = text.split('\n');
	if (lines[lines.length - 1] === '')
		lines.pop();
	const buffered = first ? detail.buffer : [];
	detail.buffer = [];
	detail.state = 'ready';
	$('#d-log').replaceChildren();
	detail.lines = 0;
	detail.pending = lines.map((line) => ({ stream: '', line }));
	logNote(lines.length >= LOG_TAIL ? 'the last ' + LOG_TAIL +
	    ' lines, then new ones as they come' : '');
	schedule();
	if (first) {
		const ec = { text: lines.slice(-ECHO_LINES), held: buffered,
		    timer: null };
		ec.timer = setTimeout(() => {
			if (detail.echo === ec)
				echoCheck(true);
		}, ECHO_MS);
		detail.echo = ec;
		echoCheck(false);
	}
}

/* A log event of the open task. */
export function logLine(d) {
	if (d.task !== view.open)
		return;
	const item = { stream: d.stream, line: d.line };
	if (detail.state === 'loading') {
		detail.buffer.push(item);
	} else if (detail.state === 'ready' && detail.echo !== null) {
		detail.echo.held.push(item);
		echoCheck(false);
	} else if (detail.state === 'ready') {
		detail.pending.push(item);
		schedule();
	} else if (detail.state === 'none') {
		/* the log exists after all (its first line came now) */
		detail.state = 'ready';
		logNote('');
		detail.pending.push(item);
		schedule();
	}
}

/* While polling no events come: read the log's end and the new data
 * items of an open task again while it is active, and once more after
 * (what it wrote before it ended came after the last read). */
export function refresh() {
	const t = tasks.get(view.open);
	const active = !!t && ACTIVE.has(t.state);
	if (!t || !(active || detail.wasActive === t.id))
		return;
	detail.wasActive = active ? t.id : null;
	if (detail.state === 'ready')
		loadLog(t.id, false);
	items.catchUp();
}

function drawLog() {
	if (detail.pending.length === 0) {
		if (detail.state === 'ready' && detail.lines === 0)
			logNote(view.open !== null && tasks.has(view.open) &&
			    ACTIVE.has(tasks.get(view.open).state) ?
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

/* Run again in the details: they go on to the new task, in place of
 * the old one in the history (Close goes back to where it was opened
 * from). An external task's new token is in the notice by its form,
 * which the dialog would hide: the dialog closes instead. */
async function rerunFromDetails(button) {
	const id = view.open;
	const t = await rerunTask(id, button);
	if (!t || view.open !== id)
		return;
	if (kinds.has(t.kind) && kinds.get(t.kind).external === true)
		closeDetails(false);
	else
		location.replace('#task-' + t.id);
}

export function wire() {
	$('#d-task').addEventListener('click', (ev) => {
		if (ev.target.closest('.task-open'))
			ev.preventDefault();	/* already open */
		else if (ev.target.closest('button.rerun'))
			rerunFromDetails(ev.target.closest('button.rerun'));
		else
			onTaskClick(ev);
	});
	for (const ul of [$('#active'), $('#recent')])
		ul.addEventListener('click', (ev) => {
			if (ev.target.closest('.task-open, .wait-link'))
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
	items.wire();
	window.addEventListener('hashchange', openFromHash);
}
