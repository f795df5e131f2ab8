/*
 * cli/sse: the client's SSE reader. Every stream is read whole, then
 * split at every byte boundary, then a byte at a time, and must give
 * the same events each way: a chunk may end anywhere, even between the
 * CR and the LF of a CRLF.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "sse.h"
#include "unit.h"

/* Each event as "type|id|data|t" (t: truncated), one a line. */
static int
collect(void *arg, const struct sse_event *ev)
{
	struct buf	*out = arg;

	buf_printf(out, "%s|%s|%.*s|%d\n", ev->type, ev->id,
	    (int)ev->data_len, ev->data, ev->truncated);
	return 0;
}

/* Reads <p, n> in chunks of step bytes (0: whole; a negative step -k:
 * two chunks split at k). Returns the events; caller frees. */
static char *
read_stream(const char *p, size_t n, long step, long *retry)
{
	struct sse	 s;
	struct buf	 out = { NULL, 0, 0, 0 };
	size_t		 at = 0, len;

	sse_init(&s);
	if (step < 0) {
		CHECK_INT(sse_feed(&s, p, -step, collect, &out), 0);
		CHECK_INT(sse_feed(&s, p - step, n + step, collect, &out), 0);
	} else
		while (at < n || (n == 0 && at == 0)) {
			len = step == 0 || n - at < (size_t)step ? n - at :
			    (size_t)step;
			CHECK_INT(sse_feed(&s, p + at, len, collect, &out), 0);
			at += len;
			if (n == 0)
				break;
		}
	if (retry != NULL)
		*retry = s.retry_ms;
	sse_free(&s);
	buf_printf(&out, "%s", "");
	return out.p;
}

/* The events of text, checked to be the same however it is split. */
static char *
events(const char *text)
{
	size_t	 n = strlen(text);
	char	*whole = read_stream(text, n, 0, NULL), *other;
	long	 k;

	for (k = 1; k < (long)n; k++) {
		other = read_stream(text, n, -k, NULL);
		if (strcmp(whole, other) != 0) {
			printf("  split at %ld: %s\n  vs whole: %s\n", k, other,
			    whole);
			CHECK(0);
		}
		free(other);
	}
	other = read_stream(text, n, 1, NULL);
	CHECK_STR(other, whole);
	free(other);
	return whole;
}

static void
events_need_a_blank_line(void)
{
	char	*e = events("id: 7\nevent: progress\ndata: {\"a\":1}\n");

	CHECK_STR(e, "");
	free(e);
	e = events("id: 7\nevent: progress\ndata: {\"a\":1}\n\n");
	CHECK_STR(e, "progress|7|{\"a\":1}|0\n");
	free(e);
}

static void
lf_crlf_and_cr_read_alike(void)
{
	const char	*want = "state|1|x|0\nmessage|2|y|0\n";
	char		*e;

	e = events("id: 1\nevent: state\ndata: x\n\nid: 2\ndata: y\n\n");
	CHECK_STR(e, want);
	free(e);
	e = events("id: 1\r\nevent: state\r\ndata: x\r\n\r\nid: 2\r\n"
	    "data: y\r\n\r\n");
	CHECK_STR(e, want);
	free(e);
	e = events("id: 1\revent: state\rdata: x\r\rid: 2\rdata: y\r\r");
	CHECK_STR(e, want);
	free(e);
	/* Mixed, and a CR before an LF that starts a new blank line. */
	e = events("id: 1\revent: state\r\ndata: x\n\rid: 2\ndata: y\r\n\n");
	CHECK_STR(e, want);
	free(e);
}

static void
cr_cr_is_two_lines_not_one(void)
{
	/* "\r\r" is a line end and a blank line; "\r\n" only one end. */
	char	*e = events("data: a\r\r");

	CHECK_STR(e, "message||a|0\n");
	free(e);
	e = events("data: a\r\n");
	CHECK_STR(e, "");
	free(e);
}

static void
comments_are_skipped(void)
{
	char	*e = events(": ping\n\n:\ndata: a\n: between\ndata: b\n\n"
	    ": ping\n\n");

	CHECK_STR(e, "message||a\nb|0\n");
	free(e);
}

static void
data_lines_join_with_newlines(void)
{
	char	*e = events("data: one\ndata:two\ndata:  three\n\n");

	/* One space after the colon goes; a second stays. */
	CHECK_STR(e, "message||one\ntwo\n three|0\n");
	free(e);
}

static void
empty_data_line_dispatches_empty_data(void)
{
	char	*e = events("data:\n\ndata\n\n");

	CHECK_STR(e, "message|||0\nmessage|||0\n");
	free(e);
}

static void
an_event_without_data_is_not_dispatched(void)
{
	char	*e = events("event: progress\nid: 4\n\ndata: x\n\n");

	/* Its id stays, and its type is gone with it. */
	CHECK_STR(e, "message|4|x|0\n");
	free(e);
}

static void
id_persists_until_changed(void)
{
	char	*e = events("id: 5\ndata: a\n\ndata: b\n\nid\ndata: c\n\n");

	/* "id" without a colon sets the empty id. */
	CHECK_STR(e, "message|5|a|0\nmessage|5|b|0\nmessage||c|0\n");
	free(e);
}

static void
id_with_nul_is_ignored(void)
{
	static const char	 text[] =
	    "id: 1\ndata: a\n\nid: 2\0x\ndata: b\n\n";
	char			*e;

	e = read_stream(text, sizeof(text) - 1, 0, NULL);
	CHECK_STR(e, "message|1|a|0\nmessage|1|b|0\n");
	free(e);
}

static void
overlong_id_is_ignored(void)
{
	char	 text[SSE_ID_MAX + 64], *e;

	snprintf(text, sizeof(text), "id: 3\n\nid: %0*d\ndata: a\n\n",
	    SSE_ID_MAX, 9);
	e = events(text);
	CHECK_STR(e, "message|3|a|0\n");
	free(e);
}

static void
retry_takes_digits_only(void)
{
	long	 retry;
	char	*e;

	e = read_stream("retry: 2000\n\n", 13, 0, &retry);
	CHECK_INT(retry, 2000);
	free(e);
	e = read_stream("retry: 2000\nretry: 5x\nretry:\n", 29, 1, &retry);
	CHECK_INT(retry, 2000);
	free(e);
	e = read_stream("retry: -1\n", 10, 0, &retry);
	CHECK_INT(retry, -1);
	free(e);
}

static void
unknown_fields_are_ignored(void)
{
	char	*e = events("foo: bar\nDATA: x\ndata: y\nfoo\n\n");

	CHECK_STR(e, "message||y|0\n");
	free(e);
}

static void
field_without_colon_has_empty_value(void)
{
	char	*e = events("event\ndata: a\n\nevent: x\ndata\n\n");

	CHECK_STR(e, "message||a|0\nx|||0\n");
	free(e);
}

static void
overlong_line_marks_its_event_truncated(void)
{
	size_t	 n = SSE_LINE_MAX + 100, at;
	char	*text = malloc(n + 64), *e;

	CHECK(text != NULL);
	at = (size_t)sprintf(text, "id: 9\ndata: ");
	memset(text + at, 'x', n - at);
	at = n;
	at += (size_t)sprintf(text + at, "\n\nid: 10\ndata: ok\n\n");
	e = read_stream(text, at, 4096, NULL);
	CHECK_STR(e, "message|9||1\nmessage|10|ok|0\n");
	free(e);
	/* Split just past the limit, inside the cut line. */
	e = read_stream(text, at, -(long)(SSE_LINE_MAX + 1), NULL);
	CHECK_STR(e, "message|9||1\nmessage|10|ok|0\n");
	free(e);
	free(text);
}

static void
line_at_the_limit_is_whole(void)
{
	size_t	 n = SSE_LINE_MAX, at;
	char	*text = malloc(n + 64), *e;

	CHECK(text != NULL);
	at = (size_t)sprintf(text, "data:");
	memset(text + at, 'y', n - at);
	at = n;
	at += (size_t)sprintf(text + at, "\n\n");
	e = read_stream(text, at, 65536, NULL);
	CHECK_INT(strlen(e), strlen("message||") + (n - 5) + strlen("|0\n"));
	CHECK(strstr(e, "|0\n") != NULL);
	free(e);
	free(text);
}

static void
data_past_its_cap_is_truncated(void)
{
	struct sse	 s;
	struct buf	 out = { NULL, 0, 0, 0 };
	char		*line;
	size_t		 i, n = SSE_LINE_MAX / 2;

	line = malloc(n + 8);
	CHECK(line != NULL);
	memcpy(line, "data: ", 6);
	memset(line + 6, 'z', n - 7);
	line[n - 1] = '\n';
	sse_init(&s);
	for (i = 0; i < 2 * SSE_DATA_MAX / n + 2; i++)
		CHECK_INT(sse_feed(&s, line, n, collect, &out), 0);
	CHECK_INT(sse_feed(&s, "\n", 1, collect, &out), 0);
	CHECK(out.p != NULL && out.len > 3);
	CHECK(out.p != NULL && strcmp(out.p + out.len - 3, "|1\n") == 0);
	CHECK(out.len < SSE_DATA_MAX + 64);
	sse_free(&s);
	buf_free(&out);
	free(line);
}

static int
stop_after_one(void *arg, const struct sse_event *ev)
{
	int	*n = arg;

	(void)ev;
	return ++*n == 1 ? -1 : 0;
}

static void
callback_can_stop_the_feed(void)
{
	struct sse	 s;
	int		 n = 0;
	const char	*text = "data: a\n\ndata: b\n\n";

	sse_init(&s);
	CHECK_INT(sse_feed(&s, text, strlen(text), stop_after_one, &n), -1);
	CHECK_INT(n, 1);
	sse_free(&s);
}

static void
the_service_stream_reads_as_sent(void)
{
	char	*e = events("retry: 2000\n\nid: 1234\nevent: progress\ndata: "
	    "{\"task\":17,\"value\":42}\n\n: ping\n\nid: 1240\nevent: state\n"
	    "data: {\"id\":17,\"state\":\"succeeded\"}\n\n");

	CHECK_STR(e, "progress|1234|{\"task\":17,\"value\":42}|0\n"
	    "state|1240|{\"id\":17,\"state\":\"succeeded\"}|0\n");
	free(e);
}

static const struct unit_test tests[] = {
	UNIT(events_need_a_blank_line),
	UNIT(lf_crlf_and_cr_read_alike),
	UNIT(cr_cr_is_two_lines_not_one),
	UNIT(comments_are_skipped),
	UNIT(data_lines_join_with_newlines),
	UNIT(empty_data_line_dispatches_empty_data),
	UNIT(an_event_without_data_is_not_dispatched),
	UNIT(id_persists_until_changed),
	UNIT(id_with_nul_is_ignored),
	UNIT(overlong_id_is_ignored),
	UNIT(retry_takes_digits_only),
	UNIT(unknown_fields_are_ignored),
	UNIT(field_without_colon_has_empty_value),
	UNIT(overlong_line_marks_its_event_truncated),
	UNIT(line_at_the_limit_is_whole),
	UNIT(data_past_its_cap_is_truncated),
	UNIT(callback_can_stop_the_feed),
	UNIT(the_service_stream_reads_as_sent),
};

int
main(int argc, char **argv)
{
	UNIT_MAIN(tests, argc, argv);
}
