/* cronform.js: the Schedule part of a kind's form: a cron expression, its
 * time zone and overlap rule, with the next three runs the server finds
 * for them, asked again as the person types (the page never reads cron
 * itself: /api/schedules/preview does, so the two cannot disagree), and
 * the save. Its inputs are named cron, timezone and overlap; they sit in
 * the kind's form but belong to a form of their own (the form
 * attribute), so that the kind's form holds its parameters only, and a
 * parameter may have one of those names. */

import { $, el } from './dom.js';
import { api, errorText } from './api.js';
import { runTime } from './schedules.js';

const PREVIEW_MS = 300;		/* a pause in typing, then the preview */

/* The browser's zone, the default for a new schedule. */
function localZone() {
	try {
		return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
	} catch (e) {
		return 'UTC';
	}
}

/* One datalist of zones serves every form: all the browser knows. */
function zoneList() {
	if ($('#tz-list'))
		return 'tz-list';
	let zones = [];
	try {
		zones = Intl.supportedValuesOf('timeZone');
	} catch (e) {
		zones = [localZone()];	/* an older browser */
	}
	if (!zones.includes('UTC'))
		zones = ['UTC'].concat(zones);
	const dl = el('datalist');
	dl.id = 'tz-list';
	dl.append(...zones.map((z) => new Option(z)));
	document.body.append(dl);
	return dl.id;
}

/* A labelled field as forms.js makes them (its -hint and -error ids are
 * what forms.js's error display expects). */
function field(n, key, text, input, hintText) {
	const box = el('div', 'field field-sched field-' + key);
	const id = 'f' + n + '-sched-' + key;
	const label = el('label', null, text);
	label.htmlFor = id;
	input.id = id;
	input.name = key;
	input.setAttribute('form', owner(n).id);
	input.dataset.sched = key;
	const hint = el('p', 'hint', hintText);
	hint.id = id + '-hint';
	const err = el('p', 'field-error');
	err.id = id + '-error';
	err.hidden = true;
	input.setAttribute('aria-describedby', hint.id);
	box.append(label, input, hint, err);
	return box;
}

function textInput() {
	const i = el('input');
	i.type = 'text';
	i.autocomplete = 'off';
	i.spellcheck = false;
	return i;
}

/* The form the fields of kind form n belong to: empty, nowhere seen. */
function owner(n) {
	const id = 'f' + n + '-sched-form';
	let f = document.getElementById(id);
	if (!f) {
		f = el('form');
		f.id = id;
		f.hidden = true;
		f.addEventListener('submit', (ev) => ev.preventDefault());
		document.body.append(f);
	}
	return f;
}

/* The fieldset for kind form n, hidden and disabled until
 * showSchedule(set, true). Enter in the cron submits the kind's form,
 * which is then in its Save schedule state. */
export function scheduleFields(n) {
	const set = el('fieldset', 'sched-fields');
	set.id = 'f' + n + '-sched';
	set.setAttribute('form', owner(n).id);
	set.hidden = true;
	set.disabled = true;
	set.append(el('legend', null, 'Schedule'));
	const cron = textInput();
	cron.required = true;
	cron.placeholder = '0 3 * * *';
	const tz = textInput();
	tz.value = localZone();
	tz.setAttribute('list', zoneList());
	const overlap = el('select');
	overlap.append(new Option('skip the run', 'skip'),
	    new Option('start another', 'allow'));
	const fields = el('div', 'fields');
	fields.append(field(n, 'cron', 'Cron', cron, 'minute hour day ' +
	    'month weekday, or @daily, @hourly…'),
	    field(n, 'timezone', 'Time zone', tz, 'an IANA name; ' +
	    'yours is ' + localZone()),
	    field(n, 'overlap', 'While the last run is active', overlap,
	    'at the next run time'));
	const preview = el('div', 'sched-preview');
	preview.id = set.id + '-preview';
	preview.setAttribute('aria-live', 'polite');
	cron.setAttribute('aria-describedby', cron.getAttribute(
	    'aria-describedby') + ' ' + preview.id);
	set.append(fields, preview);
	wirePreview(set);
	cron.addEventListener('keydown', (ev) => {
		if (ev.key !== 'Enter' || ev.isComposing)
			return;
		ev.preventDefault();
		const form = set.closest('form');
		if (form)
			form.requestSubmit();
	});
	return set;
}

const input = (set, key) => $('[data-sched="' + key + '"]', set);

/* The next three runs, asked PREVIEW_MS after the last key; an answer
 * that comes after a newer question is dropped. */
function wirePreview(set) {
	let timer = 0, seq = 0;
	const box = $('.sched-preview', set);
	const say = (cls, ...nodes) => {
		const p = el('p', cls);
		p.append(...nodes);
		box.replaceChildren(p);
	};
	set.preview = async () => {
		clearTimeout(timer);
		const my = ++seq;
		const cron = input(set, 'cron').value.trim();
		const zone = input(set, 'timezone').value.trim();
		if (cron === '') {
			say('muted', 'Type a cron expression to see its next ' +
			    'three runs here.');
			return;
		}
		try {
			const r = await api((hg) => hg.request('GET',
			    '/api/schedules/preview', { query: { cron,
			    timezone: zone || undefined } }));
			if (my !== seq)
				return;
			const ol = el('ol', 'sched-runs');
			for (const iso of r.next_runs || []) {
				const li = el('li');
				li.append(runTime(iso, zone || 'UTC', true));
				ol.append(li);
			}
			box.replaceChildren(el('p', 'sched-preview-h',
			    'Next runs, your time'), ol);
		} catch (e) {
			if (my === seq)
				say('field-error', errorText(e));
		}
	};
	set.addEventListener('input', (ev) => {
		const key = ev.target.dataset.sched;
		if (key !== 'cron' && key !== 'timezone')
			return;
		clearTimeout(timer);
		timer = setTimeout(set.preview, PREVIEW_MS);
	});
	set.preview();
}

/* Shows or hides the fieldset; shown, it previews what it holds and
 * takes the focus to the cron. */
export function showSchedule(set, on) {
	set.hidden = !on;
	set.disabled = !on;
	if (on) {
		set.preview();
		input(set, 'cron').focus();
	}
}

/* The input of the schedule's field an API message names ("cron: ...",
 * "timezone: ..."), or null. */
export function scheduleInput(form, message) {
	const m = /^(cron|timezone|overlap):/.exec(message);
	const set = $('.sched-fields', form);
	return m && set && !set.hidden ? input(set, m[1]) : null;
}

/* POSTs the schedule; returns it, or throws a HourglassError. */
export function saveSchedule(form, kind, params, name) {
	const set = $('.sched-fields', form);
	const body = { kind, params, cron: input(set, 'cron').value.trim(),
	    overlap: input(set, 'overlap').value };
	const zone = input(set, 'timezone').value.trim();
	if (zone)
		body.timezone = zone;
	if (name)
		body.name = name;
	return api((hg) => hg.request('POST', '/api/schedules', { body }));
}
