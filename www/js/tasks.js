/* tasks.js: what the page knows of the tasks (as the API shapes them),
 * the newest data item of each, and the redraw scheduler: changes mark a
 * task dirty, and the drawers (list.js, details.js) run at most once an
 * animation frame. */

export const tasks = new Map();		/* id -> task object */
export const latest = new Map();	/* id -> newest data item */
export const dirty = new Set();		/* ids whose row needs drawing */
export const view = { open: null };	/* the task open in the details */

const drawers = [];
const dropped = [];
let scheduled = false;

export function onDraw(fn) {
	drawers.push(fn);
}

/* fn(id) runs when a task is forgotten (removed, deleted elsewhere). */
export function onDrop(fn) {
	dropped.push(fn);
}

export function putTask(t) {
	if (!t || typeof t.id !== 'number')
		return;
	tasks.set(t.id, t);
	dirty.add(t.id);
	schedule();
}

export function dropTask(id) {
	tasks.delete(id);
	latest.delete(id);
	dirty.add(id);
	for (const fn of dropped)
		fn(id);
	schedule();
}

export function touch(id) {
	dirty.add(id);
	schedule();
}

/* Many events a second become one redraw a frame. A hidden tab gets no
 * frames, but its title should still count: use a timer there. */
export function schedule() {
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
	for (const fn of drawers)
		fn();
}

document.addEventListener('visibilitychange', () => {
	if (scheduled && document.hidden)
		setTimeout(flush, 250);
});
