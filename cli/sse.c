/*
 * The Server-Sent Events parser; the contract is in sse.h. Each step
 * follows "Interpreting an event stream" of the HTML standard, which
 * is also what the page's EventSource does with the same bytes.
 */
#include <string.h>

#include "sse.h"

void
sse_init(struct sse *s)
{
	memset(s, 0, sizeof(*s));
	s->retry_ms = -1;
}

void
sse_free(struct sse *s)
{
	if (s == NULL)
		return;
	buf_free(&s->line);
	buf_free(&s->data);
	sse_init(s);
}

/* Copies <v, n> into dst of size len if it fits with its NUL and holds
 * no NUL; returns 0, or -1 leaving dst as it was. */
static int
copy_field(char *dst, size_t len, const char *v, size_t n)
{
	if (n >= len || memchr(v, '\0', n) != NULL)
		return -1;
	memcpy(dst, v, n);
	dst[n] = '\0';
	return 0;
}

/* A blank line: the event, if it has data (or lost some), goes to cb;
 * then the data and type start again. The id stays, as the standard's
 * "last event ID" does. */
static int
dispatch(struct sse *s, sse_cb cb, void *arg)
{
	struct sse_event	 ev;
	int			 rc = 0;

	if (s->data.len > 0 || s->truncated) {
		if (s->data.len > 0)
			s->data.p[--s->data.len] = '\0';
		ev.type = s->type[0] != '\0' ? s->type : "message";
		ev.data = s->data.p != NULL ? s->data.p : "";
		ev.data_len = s->data.len;
		ev.id = s->id;
		ev.truncated = s->truncated;
		rc = cb(arg, &ev);
	}
	buf_reset(&s->data);
	s->type[0] = '\0';
	s->truncated = 0;
	return rc;
}

/* "retry:" takes ASCII digits only; more than fit a long is ignored. */
static void
set_retry(struct sse *s, const char *v, size_t n)
{
	long	ms = 0;
	size_t	i;

	if (n == 0 || n > 9)
		return;
	for (i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return;
		ms = ms * 10 + (v[i] - '0');
	}
	s->retry_ms = ms;
}

/* One whole line, s->line; the caller empties it after. */
static int
take_line(struct sse *s, sse_cb cb, void *arg)
{
	const char	*line = s->line.p, *colon, *v;
	size_t		 len = s->line.len, flen, n;

	if (s->line_cut) {
		s->truncated = 1;
		return 0;
	}
	if (len == 0)
		return dispatch(s, cb, arg);
	if (line[0] == ':')
		return 0;
	if ((colon = memchr(line, ':', len)) != NULL) {
		flen = colon - line;
		v = colon + 1;
		n = len - flen - 1;
		if (n > 0 && *v == ' ') {
			v++;
			n--;
		}
	} else {
		flen = len;
		v = "";
		n = 0;
	}
	if (flen == 5 && memcmp(line, "event", 5) == 0) {
		if (copy_field(s->type, sizeof(s->type), v, n) == -1)
			s->truncated = 1;
	} else if (flen == 4 && memcmp(line, "data", 4) == 0) {
		if (s->data.len + n + 1 > SSE_DATA_MAX)
			s->truncated = 1;
		else if (buf_add(&s->data, v, n) == -1 ||
		    buf_add(&s->data, "\n", 1) == -1) {
			s->nomem = 1;
			return -1;
		}
	} else if (flen == 2 && memcmp(line, "id", 2) == 0)
		(void)copy_field(s->id, sizeof(s->id), v, n);
	else if (flen == 5 && memcmp(line, "retry", 5) == 0)
		set_retry(s, v, n);
	return 0;
}

int
sse_feed(struct sse *s, const char *p, size_t n, sse_cb cb, void *arg)
{
	const char	*end = p + n, *q;
	size_t		 run;
	int		 rc;

	if (s->nomem)
		return -1;
	while (p < end) {
		if (*p == '\n' || *p == '\r') {
			/* The LF of a CRLF split across two chunks ends
			 * nothing: the CR ended the line. */
			if (*p == '\n' && s->after_cr) {
				s->after_cr = 0;
				p++;
				continue;
			}
			s->after_cr = *p == '\r';
			p++;
			rc = take_line(s, cb, arg);
			buf_reset(&s->line);
			s->line_cut = 0;
			if (rc == -1)
				return -1;
			continue;
		}
		s->after_cr = 0;
		for (q = p; q < end && *q != '\n' && *q != '\r'; q++)
			;
		run = q - p;
		if (s->line_cut || s->line.len + run > SSE_LINE_MAX)
			s->line_cut = 1;
		else if (buf_add(&s->line, p, run) == -1) {
			s->nomem = 1;
			return -1;
		}
		p = q;
	}
	return 0;
}
