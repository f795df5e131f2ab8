/*
 * Splitting output into lines, as a command's stdout and stderr and an
 * external task's report are split: a line ends at \n or at \r (tools
 * that redraw a bar with \r), \r\n counts once, a last line without an
 * ending counts, and past max bytes a line is cut: what fits is the
 * line and the rest of it goes. A line that starts with '{' may be a
 * JSON object (a data item, a result) and is cut past jmax bytes
 * instead. Empty lines are lines.
 */
#ifndef HG_LINES_H
#define HG_LINES_H

#include <stddef.h>

/* Called with each line: len bytes at line (at most max, or jmax for a
 * line that starts with '{'; no ending, not NUL-terminated), valid until
 * it returns. */
typedef void	lines_fn(void *arg, const char *line, size_t len);

/* A splitter over a stream that comes in pieces. */
struct lines {
	lines_fn	*fn;
	void		*arg;
	char		*buf;		/* jmax bytes: a line across pieces */
	size_t		 max;
	size_t		 jmax;		/* >= max */
	size_t		 cur;		/* this line's cap; 0: not begun */
	size_t		 len;		/* bytes of it in buf */
	int		 skipping;	/* in a cut line: the rest goes */
	int		 last_cr;	/* a \n first ends no line */
};

/* Starts l. buf (borrowed) has room for jmax bytes (jmax >= max); fn
 * gets each line with arg. Can't fail. */
void	lines_init(struct lines *l, char *buf, size_t max, size_t jmax,
	    lines_fn *fn, void *arg);
/* Splits the next n bytes of the stream. A line whole in s goes to fn
 * from s; a line is held in buf only while its end has not come. */
void	lines_feed(struct lines *l, const char *s, size_t n);
/* The stream ended: a last line without an ending goes to fn. l may
 * then start a new stream. */
void	lines_end(struct lines *l);
/* Splits the whole of s, copying nothing (no buf is needed). */
void	lines_split(const char *s, size_t n, size_t max, size_t jmax,
	    lines_fn *fn, void *arg);

#endif
