/* dom.js: small DOM helpers the page's modules share: finding, making
 * and filling elements (text through textContent only, never
 * innerHTML), and copying a text to the clipboard. */

export const $ = (sel, root) => (root || document).querySelector(sel);

export function el(tag, cls, text) {
	const e = document.createElement(tag);
	if (cls)
		e.className = cls;
	if (text !== undefined)
		e.textContent = text;
	return e;
}

/* Sets the text of root's sel only if it changed (no needless redraw). */
export function setText(root, sel, text) {
	const e = $(sel, root);
	if (e.textContent !== text)
		e.textContent = text;
}

/* Copies to the clipboard where the browser lets a page (a secure
 * context), else selects node's text for Ctrl+C; status says which,
 * naming `what`, for 6 s. */
export async function copyText(node, text, status, what) {
	let done = false;
	try {
		if (navigator.clipboard && window.isSecureContext) {
			await navigator.clipboard.writeText(text);
			done = true;
		}
	} catch (e) {
		/* refused (no permission, no focus): select it instead */
	}
	if (!done) {
		const range = document.createRange();
		range.selectNodeContents(node);
		const sel = getSelection();
		sel.removeAllRanges();
		sel.addRange(range);
	}
	status.textContent = done ? 'Copied ' + what + '.' :
	    'Selected ' + what + ': press Ctrl+C (⌘C) to copy it.';
	clearTimeout(status.timer);
	status.timer = setTimeout(() => {
		status.textContent = '';
	}, 6000);
}
