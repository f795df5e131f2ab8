/*
 * The client's SSE reader (cli/sse.c): any bytes, read whole and again
 * in chunks whose sizes the input picks, must give the same events,
 * with nothing crashing or leaking. A mismatch aborts, so that the
 * fuzzer keeps the input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "sse.h"

/* Each event as type, id, truncated and its data, separated by NULs:
 * any byte may be in the data. */
static int
collect(void *arg, const struct sse_event *ev)
{
	struct buf	*out = arg;

	if (strlen(ev->data) > ev->data_len || ev->id[0] == '\n')
		abort();
	buf_add(out, ev->type, strlen(ev->type) + 1);
	buf_add(out, ev->id, strlen(ev->id) + 1);
	buf_add(out, ev->truncated ? "t" : "f", 2);
	buf_add(out, ev->data, ev->data_len + 1);
	return 0;
}

static void
read_all(const uint8_t *p, size_t n, size_t step, struct buf *out,
    long *retry)
{
	struct sse	s;
	size_t		at = 0, len;

	sse_init(&s);
	while (at < n) {
		len = step == 0 || n - at < step ? n - at : step;
		if (sse_feed(&s, (const char *)p + at, len, collect, out) ==
		    -1)
			abort();	/* only out of memory */
		at += len;
		/* The next chunk's size from the bytes just read. */
		if (step != 0)
			step = 1 + p[at - 1] % 7;
	}
	*retry = s.retry_ms;
	sse_free(&s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf	a = { NULL, 0, 0, 0 }, b = { NULL, 0, 0, 0 };
	long		ra, rb;

	read_all(data, size, 0, &a, &ra);
	read_all(data, size, 1, &b, &rb);
	if (a.nomem || b.nomem)
		abort();
	if (a.len != b.len || (a.len > 0 && memcmp(a.p, b.p, a.len) != 0) ||
	    ra != rb)
		abort();
	buf_free(&a);
	buf_free(&b);
	return 0;
}
