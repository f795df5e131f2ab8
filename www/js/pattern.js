/* pattern.js: a kind's POSIX extended regex as an input's pattern
 * attribute, so that the browser checks a field as the server will. */

const POSIX_CLASSES = {
	alpha: 'a-zA-Z', digit: '0-9', alnum: 'a-zA-Z0-9', upper: 'A-Z',
	lower: 'a-z', xdigit: '0-9A-Fa-f', space: '\\s', blank: ' \\t',
	punct: '\\!-\\/\\:-\\@\\[-\\`\\{-\\~',
};

/* A POSIX extended regex as JavaScript source that means the same with
 * the v flag, or null. Inside a bracket expression a backslash is a
 * literal and "-" first or last is one too; the v flag wants those, and
 * the other punctuation, escaped. */
function posixToJs(p) {
	let out = '';
	for (let i = 0; i < p.length; i++) {
		const c = p[i];
		if (c === '\\') {
			out += c + (p[++i] || '');
			continue;
		}
		if (c !== '[') {
			out += c;
			continue;
		}
		let j = i + 1, set = '[';
		if (p[j] === '^') {
			set += '^';
			j++;
		}
		const start = j;
		for (;; j++) {
			if (j >= p.length)
				return null;
			const d = p[j];
			if (d === ']' && j > start)
				break;
			if (d === '[' && p[j + 1] === ':') {
				const end = p.indexOf(':]', j + 2);
				const cls = end < 0 ? null :
				    POSIX_CLASSES[p.slice(j + 2, end)];
				if (!cls)
					return null;
				set += cls;
				j = end + 1;
				continue;
			}
			if (d === '[' && (p[j + 1] === '=' || p[j + 1] === '.'))
				return null;
			if (d === '-' && j > start && p[j + 1] !== ']') {
				set += '-';	/* a range */
				continue;
			}
			set += /[()[\]{}\/\-\\|&!#%,:;<=>@`~^$.*+?]/.test(d) ?
			    '\\' + d : d;
		}
		out += set + ']';
		i = j;
	}
	return out;
}

/* The server matches a POSIX extended regex, unanchored unless it says
 * ^ or $. The pattern attribute must match the whole value and is
 * compiled with the v flag: translate it, wrap it in "anything before and
 * after", and set it only if it compiles (an invalid pattern attribute
 * prints an error in the console). What cannot be translated is left to
 * the server, whose 422 is shown next to the field anyway. */
export function setPattern(input, pattern) {
	const js = posixToJs(pattern);
	if (js === null)
		return;
	const whole = '[\\s\\S]*(?:' + js + ')[\\s\\S]*';
	try {
		new RegExp('^(?:' + whole + ')$', 'v');
	} catch (e) {
		return;
	}
	input.pattern = whole;
	input.title = 'Must match ' + pattern;
}
