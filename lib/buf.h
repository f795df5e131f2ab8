/*
 * A growing byte buffer that never fails silently: a failed allocation
 * is remembered (nomem), every later write does nothing, and the writer
 * checks once, at the end, as with ferror(). What is in it stays as it
 * was before the failure.
 */
#ifndef HG_BUF_H
#define HG_BUF_H

#include <stdarg.h>
#include <stddef.h>

/* Start from all zeros ({ NULL, 0, 0, 0 }); p is NUL-terminated once
 * anything is written, and owned by the buffer: buf_free() it. */
struct buf {
	char	*p;
	size_t	 len;
	size_t	 cap;
	int	 nomem;		/* an allocation failed */
};

/* Makes room for n more bytes and a NUL. Returns 0, or -1 with nomem
 * set (also when it was set before). */
int	buf_room(struct buf *b, size_t n);
/* Appends n bytes of s. Returns 0, or -1 (nomem; b unchanged). */
int	buf_add(struct buf *b, const void *s, size_t n);
/* Appends printf output. Returns 0, or -1 (nomem; b unchanged). */
int	buf_printf(struct buf *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
int	buf_vprintf(struct buf *b, const char *fmt, va_list ap)
	    __attribute__((format(printf, 2, 0)));
/* Empties b for reuse, keeping its memory, and forgets a failure. */
void	buf_reset(struct buf *b);
/* Frees p and zeroes b, ready for reuse. NULL-safe. */
void	buf_free(struct buf *b);

/*
 * For tests, like cJSON_InitHooks(): the allocator every buffer uses
 * from now on (realloc()'s contract); NULL restores realloc(). Call it
 * before any thread starts.
 */
void	buf_set_realloc(void *(*fn)(void *, size_t));

#endif
