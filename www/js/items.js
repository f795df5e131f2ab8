/* items.js: a task's result and data items in its details. The result
 * is formatted JSON with a Copy button. The items are the stored ones
 * (GET /api/tasks/{id}/data, page after page) and then the live ones
 * (data events), newest last: a table when every item is a flat object
 * (its columns the union of their keys), else one JSON line each. Only
 * the last KEEP stay on the page; the count says how many there are. */

import { $, copyText, el } from './dom.js';
import { api } from './api.js';
import { isFlat } from './format.js';
import { schedule } from './tasks.js';

const KEEP = 1000;		/* items kept on the page */
const PAGE = 1000;		/* items per /data read */

const s = {
	id: null,		/* the task whose items these are */
	gen: 0,
	state: 'idle',		/* idle | loading | ready | none */
	list: [],		/* {id, name, data}, oldest first */
	buffer: [],		/* live items that came while loading */
	count: 0,		/* all the task's items, also those not kept */
	lastId: 0,		/* the newest item's event id */
	drawn: null,		/* what the view shows: {key, n, first} */
	version: 0,		/* bumped by every change to list or count */
	drawnVersion: -1,	/* the version the view shows */
	result: undefined,	/* the result drawn, as text */
};

export function open(id) {
	s.id = id;
	s.gen++;
	s.list = [];
	s.buffer = [];
	s.count = 0;
	s.lastId = 0;
	s.drawn = null;
	s.version++;
	s.result = undefined;
	$('#d-items').replaceChildren();
	$('#d-items-box').hidden = true;
	$('#d-result-box').hidden = true;
	s.state = 'idle';	/* loads once the task is known: drawResult */
}

export function close() {
	s.id = null;
	s.gen++;
	s.state = 'idle';
}

async function readAfter(id, after, gen) {
	const got = [];
	let count = null;
	for (let next = after; next !== null;) {
		const page = await api((hg) => hg.data(id,
		    { after: next, limit: PAGE }));
		if (gen !== s.gen)
			return null;
		for (const it of page.items)
			got.push(it);
		if (got.length > KEEP)
			got.splice(0, got.length - KEEP);
		count = page.count;
		next = page.next;
	}
	return { got, count };
}

async function load(id) {
	const gen = s.gen;
	s.state = 'loading';
	let r;
	try {
		r = await readAfter(id, 0, gen);
	} catch (e) {
		if (gen === s.gen)
			s.state = e.status === 404 ? 'none' : 'ready';
		return;
	}
	if (r === null)
		return;
	s.list = r.got;
	s.count = typeof r.count === 'number' ? r.count : r.got.length;
	s.lastId = r.got.length ? r.got[r.got.length - 1].id : 0;
	s.state = 'ready';
	s.version++;
	const buffered = s.buffer;
	s.buffer = [];
	for (const it of buffered)
		append(it);
	schedule();
}

/* While polling: the items stored since the newest one shown. */
export async function catchUp() {
	if (s.state !== 'ready' || s.id === null)
		return;
	const gen = s.gen;
	let r;
	try {
		r = await readAfter(s.id, s.lastId, gen);
	} catch (e) {
		return;
	}
	if (r === null)
		return;
	for (const it of r.got)
		append(it);
	schedule();
}

function append(it) {
	if (it.id <= s.lastId)
		return;		/* seen: it was stored when we read */
	s.lastId = it.id;
	s.list.push(it);
	s.count++;
	s.version++;
	if (s.list.length > KEEP)
		s.list.splice(0, s.list.length - KEEP);
}

/* A data event: item {task, name, data}, ev {id}. */
export function add(item, ev) {
	if (item.task !== s.id || typeof ev.id !== 'number')
		return;
	const it = { id: ev.id, name: item.name, data: item.data };
	if (s.state === 'loading' || s.state === 'idle')
		s.buffer.push(it);
	else if (s.state === 'ready' || s.state === 'none') {
		s.state = 'ready';
		append(it);
		schedule();
	}
}

/* The columns when every item is a flat object, else null. */
function columns(list) {
	const cols = new Set();
	for (const it of list) {
		if (!isFlat(it.data))
			return null;
		for (const k of Object.keys(it.data))
			cols.add(k);
	}
	return [...cols];
}

function cell(v) {
	return v === undefined ? '' : typeof v === 'string' ? v :
	    JSON.stringify(v);
}

export function draw() {
	if (s.id === null || s.version === s.drawnVersion)
		return;
	s.drawnVersion = s.version;
	const box = $('#d-items-box');
	box.hidden = s.count === 0 && s.list.length === 0;
	if (box.hidden)
		return;
	const n = s.list.length;
	const cnt = s.count === 1 ? '1 item' : s.count.toLocaleString(
	    'en-US') + ' items';
	const text = n < s.count ? cnt + ', the last ' +
	    n.toLocaleString('en-US') + ' shown' : cnt;
	const c = $('#d-items-count');
	if (c.textContent !== text)
		c.textContent = text;
	const cols = columns(s.list);
	const names = new Set(s.list.map((it) => it.name));
	const withName = names.size > 1;
	const key = JSON.stringify([cols, withName]);
	const view = $('#d-items');
	/* Follow new items unless the user scrolled up to read. */
	const follow = view.scrollTop + view.clientHeight >=
	    view.scrollHeight - 8;
	const first = n ? s.list[0].id : 0;
	const d = s.drawn;
	/* Append to what is drawn when it is the same shape and nothing
	 * was cut off the front; else draw it all again. */
	if (d && d.key === key && d.first === first && d.n <= n) {
		const body = view.querySelector('tbody, .item-lines');
		if (body) {
			for (const it of s.list.slice(d.n))
				body.append(itemNode(it, cols, withName));
			d.n = n;
			if (follow)
				view.scrollTop = view.scrollHeight;
			return;
		}
	}
	s.drawn = { key, n, first };
	let body;
	if (cols) {
		const table = el('table', 'items-table');
		const head = el('tr');
		if (withName)
			head.append(el('th', null, 'name'));
		for (const k of cols)
			head.append(el('th', null, k));
		const thead = el('thead');
		thead.append(head);
		body = el('tbody');
		table.append(thead, body);
		view.replaceChildren(table);
	} else {
		body = el('div', 'item-lines');
		view.replaceChildren(body);
	}
	for (const it of s.list)
		body.append(itemNode(it, cols, withName));
	if (follow)
		view.scrollTop = view.scrollHeight;
}

function itemNode(it, cols, withName) {
	if (!cols)
		return el('div', 'item-line', it.name + ' ' +
		    JSON.stringify(it.data));
	const tr = el('tr');
	tr.dataset.item = String(it.id);
	if (withName)
		tr.append(el('td', null, it.name));
	for (const k of cols)
		tr.append(el('td', null, cell(it.data[k])));
	return tr;
}

/* The task's result, as indented JSON, or nothing while it has none. */
export function drawResult(t) {
	if (s.state === 'idle' && t.id === s.id) {
		/* A server that predates data items has no result field:
		 * it is not asked for them. */
		if ('result' in t)
			load(t.id);
		else
			s.state = 'none';
	}
	const has = t.result !== null && t.result !== undefined;
	const text = has ? JSON.stringify(t.result, null, 2) : '';
	if (text === s.result)
		return;
	s.result = text;
	$('#d-result-box').hidden = !has;
	$('#d-result').textContent = text;
}

export function wire() {
	$('#d-result-copy').addEventListener('click', () =>
	    copyText($('#d-result'), s.result || '', $('#d-result-status'),
	    'the result'));
}
