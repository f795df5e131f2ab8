/* status.js: the connection pill at the top (#conn): connecting, live,
 * reconnecting, polling, offline, or waiting for a token. */

import { $ } from './dom.js';

const POLL_S = 2;	/* hourglass.js polls every 2 s */

const TEXT = {
	connecting: 'Connecting…',
	live: 'Live',
	reconnecting: 'Reconnecting…',
	polling: 'Polling every ' + POLL_S + ' s',
	offline: 'Server unreachable, retrying',
	token: 'Needs a token',
};

const TITLE = {
	live: 'Updates arrive as they happen (Server-Sent Events).',
	polling: 'Live updates failed; the page asks the server every ' +
	    POLL_S + ' s and tries live updates again now and then. ' +
	    'Meanwhile it does not count as watching tasks that run while ' +
	    'watched.',
	offline: 'The server does not answer; the page keeps trying.',
	token: 'The server answers, but only with its access token.',
};

export function setMode(mode) {
	const e = $('#conn');
	if (e.dataset.mode === mode)
		return;
	e.dataset.mode = mode;
	$('.conn-text', e).textContent = TEXT[mode];
	e.title = TITLE[mode] || '';
}
