/* forms.js: a form per task kind, built from its parameters (each input
 * named after its parameter, with its limits and default), and Start; or
 * Schedule, which shows cronform's fields and turns Start into Save
 * schedule. A 422 is shown next to the field it names. */

import { $, el } from './dom.js';
import { api, auth, errorText } from './api.js';
import { saveSchedule, scheduleFields, scheduleInput,
    showSchedule } from './cronform.js';
import { fmtNum, fmtSeconds } from './format.js';
import { flash, kinds } from './list.js';
import { setPattern } from './pattern.js';
import { showReport } from './report.js';
import { putSchedule } from './schedules.js';
import { putTask, tasks, touch } from './tasks.js';

const RETRY_MS = 2000;		/* loading the kinds again after a failure */

export async function loadKinds() {
	const gen = auth.gen;
	const box = $('#kinds');
	for (;;) {
		try {
			const list = await api((hg) => hg.kinds());
			if (gen !== auth.gen)
				return;
			auth.kindsLoaded = true;
			for (const k of list)
				kinds.set(k.name, k);
			for (const id of tasks.keys())
				touch(id);	/* messages that name the kind */
			/* A phone shows the first form open, the others
			 * folded, so that the tasks are not far below. */
			const narrow = matchMedia('(max-width: 600px)').matches;
			box.replaceChildren(...list.map((k, i) =>
			    kindForm(k, !narrow || i === 0)));
			if (list.length === 0)
				box.append(el('p', 'muted',
				    'No task kinds are configured.'));
			return;
		} catch (e) {
			if (gen !== auth.gen || auth.declined)
				return;		/* paused: the note says why */
			box.replaceChildren(el('p', 'muted', e.status === 401 ?
			    'This server needs its access token.' :
			    'Could not load the task kinds (' + errorText(e) +
			    '); retrying…'));
			await new Promise((r) => setTimeout(r, RETRY_MS));
			if (gen !== auth.gen)
				return;
		}
	}
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
	foot.append(btn);
	/* An external kind's tasks need a worker told by hand: the API
	 * refuses to schedule them. */
	if (kind.external !== true) {
		const set = scheduleFields(n);
		form.append(set);
		const toggle = el('button', 'sched-toggle', 'Schedule…');
		toggle.type = 'button';
		toggle.setAttribute('aria-controls', set.id);
		toggle.setAttribute('aria-expanded', 'false');
		toggle.addEventListener('click', () =>
		    setScheduling(form, set.hidden));
		foot.append(toggle);
	}
	foot.append(status);
	form.append(err, foot);
	/* Where an external task's report URL and token are shown. */
	box.append(el('div', 'reports'));
	form.addEventListener('submit', (ev) => {
		ev.preventDefault();
		if (form.classList.contains('scheduling'))
			makeSchedule(form, kind);
		else
			startTask(form, kind);
	});
	form.addEventListener('input', (ev) => clearFieldError(ev.target));
	return box;
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
	/* not form.elements: the schedule's inputs belong to another */
	for (const e of form.querySelectorAll('input, select'))
		clearFieldError(e);
	const fe = $('.form-error', form);
	fe.hidden = true;
	fe.textContent = '';
}

/* Start or Schedule: the fieldset shows, Start says Save schedule and
 * the toggle says Cancel; or back. */
function setScheduling(form, on) {
	const set = $('.sched-fields', form);
	const toggle = $('.sched-toggle', form);
	clearErrors(form);
	$('.form-status', form).textContent = '';
	form.classList.toggle('scheduling', on);
	$('button[type=submit]', form).textContent = on ? 'Save schedule' :
	    'Start';
	toggle.textContent = on ? 'Cancel' : 'Schedule…';
	toggle.setAttribute('aria-expanded', String(on));
	showSchedule(set, on);
	if (!on)
		toggle.focus();
}

/* Shows an API error next to the field it names ("params.total: ...",
 * "cron: ..."), or under the form when it names none of them. */
function showFormError(form, message) {
	const m = /^params\.([^:\s]+):/.exec(message);
	const input = m ? fieldOf(form, m[1]) : scheduleInput(form, message);
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

/* A Start or a save that failed: its error, or, without an answer,
 * what may have happened. */
function failed(form, e, maybe) {
	$('.form-status', form).textContent = '';
	showFormError(form, e.code === 'network' ?
	    'The server did not answer; ' + maybe : errorText(e));
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
	const params = formParams(form, kind);
	const label = $('.task-label', form).value.trim();
	/* A retry of a create whose answer was lost starts nothing twice. */
	const opts = { name: label || undefined, idempotencyKey: newKey() };
	const create = () => api((hg) => hg.start(kind.name, params, opts));
	btn.disabled = true;
	status.textContent = 'Starting…';
	try {
		let t;
		try {
			t = await create();
		} catch (e) {
			if (e.code !== 'network')
				throw e;
			await new Promise((res) => setTimeout(res, 1000));
			t = await create();
		}
		/* An external task's report token is its worker's: it goes
		 * to the notice by the form, and nowhere else (not into
		 * `tasks`, the cards or the details). */
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
	} catch (e) {
		failed(form, e, 'the task may not have started.');
	} finally {
		btn.disabled = false;
	}
}

/* Saves the form as a schedule; it goes to the Schedules list, and the
 * form back to Start. */
async function makeSchedule(form, kind) {
	const btn = $('button[type=submit]', form);
	const status = $('.form-status', form);
	clearErrors(form);
	const label = $('.task-label', form).value.trim();
	btn.disabled = true;
	status.textContent = 'Saving…';
	try {
		const s = await saveSchedule(form, kind.name,
		    formParams(form, kind), label);
		putSchedule(s, true);
		setScheduling(form, false);
		status.textContent = 'Saved the schedule ' + (s.name ||
		    s.kind) + ' (' + s.cron + '): see Schedules.';
	} catch (e) {
		failed(form, e, 'the schedule may not have been saved.');
	} finally {
		btn.disabled = false;
	}
}
