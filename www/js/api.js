/* api.js: the page's Hourglass client (hourglass.js) and its token. A
 * request that meets a 401 asks for the token once (one question for
 * every request refused at the same time) and is sent again with it; the
 * token is kept in sessionStorage, for this tab. After Cancel the page
 * asks the server nothing until the user presses "Enter the token". */

import { Hourglass, HourglassError } from '../hourglass.js';
import { $, el } from './dom.js';
import { setMode } from './status.js';

const TOKEN_KEY = 'hourglass.token';

export const auth = {
	ask: null,		/* the open token question, shared */
	declined: false,	/* Cancel was pressed: the page waits */
	failed: false,		/* the last answer was a 401 */
	gen: 0,			/* a pause for the token ends the loops */
	kindsLoaded: false,	/* the forms are built */
	onPause: () => {},	/* set by main.js: stop the feed */
	onResume: () => {},	/* set by main.js: start again */
};

let memoToken = '';

export function token() {
	try {
		return sessionStorage.getItem(TOKEN_KEY) || memoToken;
	} catch (e) {
		return memoToken;
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

export const hg = new Hourglass({ base: '', token });

/* Asks for the token once for every request that met a 401 at the same
 * time. Resolves true when there is a token to retry with. */
export function askToken(rejected) {
	if (token() && token() !== rejected)
		return Promise.resolve(true);	/* someone asked already */
	if (auth.declined)
		return Promise.resolve(false);
	if (auth.ask)
		return auth.ask;
	auth.ask = new Promise((resolve) => {
		const dlg = $('#token-dialog'), input = $('#token-input');
		$('#token-why').textContent = rejected ?
		    'The server refused the token this tab had. Enter it ' +
		    'again; it is kept for this browser tab only.' :
		    'This Hourglass asks for a token. It is kept for this ' +
		    'browser tab only.';
		input.value = '';
		dlg.returnValue = '';
		dlg.addEventListener('close', () => {
			auth.ask = null;
			const v = input.value.trim();
			if (dlg.returnValue === 'ok' && v !== '') {
				setToken(v);
				setMode('connecting');
				resolve(true);
			} else {
				auth.declined = true;
				pauseForToken();
				resolve(false);
			}
		}, { once: true });
		setMode('token');
		if (!dlg.open)
			dlg.showModal();
	});
	return auth.ask;
}

/* After Cancel: nothing more is asked of the server until the user asks
 * to enter the token. The loops see auth.gen change and end. */
function pauseForToken() {
	auth.gen++;
	auth.onPause();
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
	if (auth.kindsLoaded)
		box.prepend(note);	/* above the forms, which stay */
	else
		box.replaceChildren(note);
}

/* The button of that note: asks for the token, then starts again. */
async function resumeWithToken() {
	auth.declined = false;
	if (!(await askToken(token())))
		return;		/* Cancel again: paused again */
	const note = $('#token-needed');
	if (note)
		note.remove();
	if (!auth.kindsLoaded)
		$('#kinds').replaceChildren(el('p', 'muted',
		    'Loading the task kinds…'));
	auth.gen++;
	auth.onResume();
}

/* Runs fn(hg); on a 401 asks for the token and runs it once more.
 * Throws what fn throws (a HourglassError). */
export async function api(fn) {
	for (let tries = 0; ; tries++) {
		const t = token();
		try {
			const v = await fn(hg);
			auth.failed = false;
			return v;
		} catch (e) {
			if (!(e instanceof HourglassError))
				throw e;
			auth.failed = e.status === 401;
			if (e.status !== 401 || tries > 0 ||
			    !(await askToken(t)))
				throw e;
		}
	}
}

/* The API's error message, as it is; a 401 says so in words. */
export function errorText(e) {
	if (e && e.status === 401)
		return 'the server needs its access token';
	return e && e.message ? e.message : String(e);
}

/* What a failed load says: a 401 is a server that answers. */
export function failMode() {
	return auth.declined || auth.ask || auth.failed ? 'token' : 'offline';
}

export function now() {
	return Date.now() + hg.skew;
}
