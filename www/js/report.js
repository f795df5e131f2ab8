/* report.js: the notice by a form that started an external task: the
 * report URL and token its worker needs, shown this once, with a curl
 * example and Copy buttons. */

import { $, copyText, el } from './dom.js';

/* A word for a POSIX shell: in single quotes, each ' as '\''. */
function shQuote(v) {
	return "'" + String(v).replace(/'/g, "'\\''") + "'";
}

/* The create of an external task answers, this once, with the URL and
 * token its worker reports with. They are shown under the form that
 * started it, with a curl example, until the user dismisses the notice;
 * the token is kept nowhere else (no storage, no row), so a reload or a
 * dismissal forgets it for good. Several notices stack, newest first.
 * Returns whether there was a token to show. */
export function showReport(form, t, report) {
	const list = $('.reports', form.parentElement);
	const n = el('section', 'report');
	n.dataset.task = String(t.id);
	n.tabIndex = -1;
	const hid = 'report-' + t.id + '-h';
	n.setAttribute('aria-labelledby', hid);
	const h = el('h4', 'report-title');
	h.id = hid;
	const valid = !!report && typeof report.url === 'string' &&
	    typeof report.token === 'string' && report.token !== '';
	const dismiss = el('button', 'report-dismiss', 'Dismiss');
	dismiss.type = 'button';
	const status = el('p', 'report-status');
	status.setAttribute('role', 'status');
	if (!valid) {
		/* A create answered again (a retry with the same
		 * Idempotency-Key) shows no token: it cannot be had. */
		n.classList.add('report-lost');
		h.textContent = 'Task #' + t.id + ': no token to show';
		n.append(h, el('p', null, 'The server did not send the ' +
		    'report token of #' + t.id + ' (it is only ever sent ' +
		    'once), so no worker can report to it. Stop it and ' +
		    'start another.'));
	} else {
		const url = new URL(report.url, location.origin).href;
		const curl = 'curl -X POST ' + shQuote(url) + ' \\\n' +
		    '  -H ' + shQuote('Authorization: Bearer ' + report.token) +
		    ' \\\n' +
		    '  -H ' + shQuote('Content-Type: text/plain') + ' \\\n' +
		    '  --data-binary ' + shQuote('PROGRESS 1/10');
		h.textContent = 'Task #' + t.id + ' waits for its worker';
		const once = el('p', 'report-once', 'The token is shown only ' +
		    'this once: copy it now. Hourglass keeps only its hash ' +
		    'and cannot show it again.');
		const what = el('p', 'report-what', 'Give the worker this URL ' +
		    'and token. Its first report starts the task; a line ' +
		    '{"complete": 1, "code": 0} ends it.');
		const facts = el('dl', 'report-facts');
		facts.append(
		    ...copyable('Report URL', 'the report URL', 'report-url',
		    url, status),
		    ...copyable('Token', 'the token', 'report-token',
		    report.token, status),
		    ...copyable('One report with curl', 'the curl example',
		    'report-curl', curl, status, 'pre'));
		n.append(h, once, what, facts);
	}
	const foot = el('div', 'report-foot');
	foot.append(dismiss, status);
	n.append(foot);
	dismiss.setAttribute('aria-label', 'Dismiss the notice of #' + t.id +
	    (valid ? ' (its token is not shown again)' : ''));
	dismiss.addEventListener('click', () => {
		const hadFocus = n.contains(document.activeElement);
		n.remove();
		if (hadFocus)
			$('button[type=submit]', form).focus();
	});
	list.prepend(n);
	n.focus();	/* it says what to do next; a screen reader reads it */
	return valid;
}

/* A term and its value, with a button that copies the value; `what`
 * names it in a sentence. */
function copyable(term, what, cls, text, status, tag) {
	const dd = el('dd');
	const v = el(tag || 'code', 'report-value ' + cls, text);
	const b = el('button', 'copy', 'Copy');
	b.type = 'button';
	b.setAttribute('aria-label', 'Copy ' + what);
	b.addEventListener('click', () => copyText(v, text, status, what));
	dd.append(v, b);
	return [el('dt', null, term), dd];
}
