#include <string.h>

#include "lines.h"

void
lines_init(struct lines *l, char *buf, size_t max, size_t jmax,
    lines_fn *fn, void *arg)
{
	memset(l, 0, sizeof(*l));
	l->fn = fn;
	l->arg = arg;
	l->buf = buf;
	l->max = max;
	l->jmax = jmax > max ? jmax : max;
}

/*
 * Where to cut a line of len bytes at p whose next byte is next: at
 * len, unless that splits a UTF-8 character (next continues one whose
 * first byte is among the last three), then before that character, so
 * that a cut line is never made invalid, nor mended with U+FFFD.
 */
static size_t
char_cut(const char *p, size_t len, unsigned char next)
{
	size_t		 i = len, need;
	unsigned char	 lead;

	if ((next & 0xc0) != 0x80)
		return len;
	while (i > 0 && len - i < 3 && ((unsigned char)p[i - 1] & 0xc0) ==
	    0x80)
		i--;
	if (i == 0 || ((lead = (unsigned char)p[i - 1]) & 0xc0) != 0xc0)
		return len;
	/* Its bytes, by its first: whole before the cut, next is a stray. */
	need = (lead & 0xe0) == 0xc0 ? 2 : (lead & 0xf0) == 0xe0 ? 3 : 4;
	return len - (i - 1) >= need ? len : i - 1;
}

/*
 * The n bytes at s go on the current line; ended says a line ending
 * follows them. A line reaches fn when it ends, or when the byte past
 * its cap comes (cut then, as a long line should not wait for its end);
 * until then it waits in buf, unless it is whole in s. Its first byte
 * sets its cap: jmax for '{', else max.
 */
static void
piece(struct lines *l, const char *s, size_t n, int ended)
{
	size_t	 room;

	if (l->cur == 0 && n > 0)
		l->cur = s[0] == '{' ? l->jmax : l->max;
	room = (l->cur != 0 ? l->cur : l->max) - l->len;
	if (l->skipping)
		;
	else if (n > room) {
		if (l->len == 0)
			l->fn(l->arg, s, char_cut(s, l->cur,
			    (unsigned char)s[l->cur]));
		else {
			memcpy(l->buf + l->len, s, room);
			l->fn(l->arg, l->buf, char_cut(l->buf, l->cur,
			    (unsigned char)s[room]));
		}
		l->len = 0;
		l->skipping = 1;
	} else if (ended && l->len == 0)
		l->fn(l->arg, s, n);
	else {
		memcpy(l->buf + l->len, s, n);
		l->len += n;
		if (ended) {
			l->fn(l->arg, l->buf, l->len);
			l->len = 0;
		}
	}
	if (ended) {
		l->skipping = 0;
		l->cur = 0;
	}
}

/* Splits s; with last, the stream ends with it. */
static void
scan(struct lines *l, const char *s, size_t n, int last)
{
	size_t	 i = 0, start;

	while (i < n) {
		if (l->last_cr && s[i] == '\n') {
			l->last_cr = 0;
			i++;
			continue;
		}
		l->last_cr = 0;
		for (start = i; i < n && s[i] != '\n' && s[i] != '\r'; i++)
			;
		if (i == n) {
			/* Its end is to come, or it is the last line. */
			piece(l, s + start, i - start, last);
			break;
		}
		piece(l, s + start, i - start, 1);
		l->last_cr = s[i++] == '\r';
	}
}

void
lines_feed(struct lines *l, const char *s, size_t n)
{
	scan(l, s, n, 0);
}

void
lines_end(struct lines *l)
{
	if (l->len > 0 && !l->skipping)
		l->fn(l->arg, l->buf, l->len);
	l->len = 0;
	l->cur = 0;
	l->skipping = 0;
	l->last_cr = 0;
}

void
lines_split(const char *s, size_t n, size_t max, size_t jmax, lines_fn *fn,
    void *arg)
{
	struct lines	 l;

	lines_init(&l, NULL, max, jmax, fn, arg);
	scan(&l, s, n, 1);
}
