#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

/* The first allocation: most buffers (an SSE round, a metrics family)
 * stay under it; a larger first need is taken whole. */
#define BUF_FIRST	1024

static void	*(*buf_realloc)(void *, size_t) = realloc;

void
buf_set_realloc(void *(*fn)(void *, size_t))
{
	buf_realloc = fn != NULL ? fn : realloc;
}

int
buf_room(struct buf *b, size_t n)
{
	size_t	 cap;
	char	*p;

	if (b->nomem)
		return -1;
	if (b->cap - b->len > n)
		return 0;
	if (n >= SIZE_MAX - b->len)
		goto nomem;
	cap = b->cap > 0 ? b->cap : BUF_FIRST;
	while (cap - b->len <= n) {
		if (cap > SIZE_MAX / 2) {
			cap = b->len + n + 1;
			break;
		}
		cap *= 2;
	}
	if ((p = buf_realloc(b->p, cap)) == NULL)
		goto nomem;
	b->p = p;
	b->cap = cap;
	return 0;
nomem:
	b->nomem = 1;
	return -1;
}

int
buf_add(struct buf *b, const void *s, size_t n)
{
	if (buf_room(b, n) == -1)
		return -1;
	if (n > 0)
		memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

int
buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list	 aq;
	int	 n;

	if (b->nomem)
		return -1;
	va_copy(aq, ap);
	n = vsnprintf(b->p != NULL ? b->p + b->len : NULL, b->cap - b->len,
	    fmt, aq);
	va_end(aq);
	if (n < 0)
		goto nomem;
	/* Did not fit: make room, then print again. */
	if ((size_t)n >= b->cap - b->len) {
		if (buf_room(b, (size_t)n) == -1) {
			/* The first print left a cut copy past len. */
			if (b->p != NULL)
				b->p[b->len] = '\0';
			return -1;
		}
		va_copy(aq, ap);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, aq);
		va_end(aq);
		if (n < 0)
			goto nomem;
	}
	b->len += (size_t)n;
	return 0;
nomem:
	/* vsnprintf fails without memory too (EOVERFLOW past INT_MAX). */
	if (b->p != NULL)
		b->p[b->len] = '\0';
	b->nomem = 1;
	return -1;
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list	 ap;
	int	 rc;

	va_start(ap, fmt);
	rc = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	b->nomem = 0;
	if (b->p != NULL)
		b->p[0] = '\0';
}

void
buf_free(struct buf *b)
{
	if (b == NULL)
		return;
	free(b->p);
	memset(b, 0, sizeof(*b));
}
