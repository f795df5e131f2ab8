/*
 * A Server-Sent Events parser, as the WHATWG HTML standard reads a
 * stream ("Interpreting an event stream"): lines end at CRLF, LF or CR;
 * a line that starts with ':' is a comment; "field: value" loses one
 * space after the colon; a field without a colon has an empty value; a
 * blank line dispatches the event when it has data. Bytes come in
 * chunks split anywhere, even inside a CRLF.
 */
#ifndef HG_CLI_SSE_H
#define HG_CLI_SSE_H

#include <stddef.h>

#include "buf.h"

/* Bytes of one line: a state event carries a whole task, whose result
 * may be 64 KiB serialized, escapes doubling it; a line past this is
 * dropped and its event arrives marked truncated. */
#define SSE_LINE_MAX	(1024 * 1024)
/* Bytes of one event's data, all its data lines together. */
#define SSE_DATA_MAX	(4 * 1024 * 1024)
/* Bytes of an id, NUL included; a longer id is ignored, as one with
 * a NUL is. */
#define SSE_ID_MAX	64
#define SSE_TYPE_MAX	64

/* One event, borrowed by the callback for the length of the call. */
struct sse_event {
	const char	*type;		/* "message" when none was given */
	const char	*data;		/* NUL-terminated, lines joined by \n */
	size_t		 data_len;
	const char	*id;		/* the last event id; "" if none yet */
	int		 truncated;	/* a line or the data was too long */
};

/* Returns 0 to go on, -1 to stop sse_feed() (which then returns -1). */
typedef int	(*sse_cb)(void *arg, const struct sse_event *ev);

/* Start from sse_init(); free with sse_free(). */
struct sse {
	struct buf	 line;		/* the line read so far */
	struct buf	 data;
	char		 type[SSE_TYPE_MAX];
	char		 id[SSE_ID_MAX];	/* the last event id */
	long		 retry_ms;	/* last "retry:", -1 if none */
	int		 after_cr;	/* an LF next ends nothing */
	int		 line_cut;	/* the line passed SSE_LINE_MAX */
	int		 truncated;	/* this event lost a line */
	int		 nomem;
};

void	sse_init(struct sse *s);
/*
 * Reads n bytes of the stream, calling cb for each event completed.
 * Returns 0, or -1 if cb asked to stop or memory ran out (s->nomem).
 */
int	sse_feed(struct sse *s, const char *p, size_t n, sse_cb cb,
	    void *arg);
/* Frees what s holds; s can be sse_init()ed again. NULL-safe. */
void	sse_free(struct sse *s);

#endif
