/*
 * lib/buf: the growing buffer, and json_buf on top of it. Under
 * allocation failure (buf_set_realloc fails the Nth call, N = 1, 2, ...,
 * once or for good, as SQLite's *fault.test do) a writer must end with
 * either the whole text or nomem set and the text it had before the
 * failure, NUL-terminated, and nothing leaked (LeakSanitizer checks the
 * test's process as it exits).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "unit.h"

#define FAULT_MAX	1000	/* runs before giving up on a loop */

static long	fault_n;	/* the call that fails; 0: none */
static long	fault_calls;
static int	fault_persist;	/* every call from the Nth on fails */
static int	fault_hit;

static void *
fault_realloc(void *p, size_t n)
{
	fault_calls++;
	if (fault_n > 0 && (fault_calls == fault_n ||
	    (fault_persist && fault_calls > fault_n))) {
		fault_hit = 1;
		return NULL;
	}
	return realloc(p, n);
}

static void
fault_arm(long n, int persist)
{
	fault_n = n;
	fault_calls = 0;
	fault_persist = persist;
	fault_hit = 0;
	buf_set_realloc(fault_realloc);
}

static void
add_appends_and_terminates(void)
{
	struct buf	 b = { NULL, 0, 0, 0 };
	char		 want[5000];
	size_t		 k;
	int		 i, rc;

	for (i = 0; i < 1000; i++) {
		k = (size_t)i % 5;
		rc = buf_add(&b, "abcd", k);
		CHECK_INT(rc, 0);
		memcpy(want + b.len - k, "abcd", k);
	}
	want[b.len] = '\0';
	CHECK_INT(b.len, 2000);
	CHECK(b.cap > b.len);
	CHECK(!b.nomem);
	CHECK_STR(b.p, want);
	buf_free(&b);
	CHECK(b.p == NULL && b.len == 0 && b.cap == 0);
}

static void
add_nothing_is_an_empty_string(void)
{
	struct buf	 b = { NULL, 0, 0, 0 };

	CHECK_INT(buf_add(&b, NULL, 0), 0);
	CHECK_STR(b.p, "");
	CHECK_INT(b.len, 0);
	buf_free(&b);
}

static void
printf_past_the_first_room(void)
{
	struct buf	 b = { NULL, 0, 0, 0 };
	char		 big[3000];
	int		 rc;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	rc = buf_printf(&b, "%d:", 42);
	CHECK_INT(rc, 0);
	rc = buf_printf(&b, "%s|%s", big, "end");
	CHECK_INT(rc, 0);
	CHECK_INT(b.len, 3 + 2999 + 4);
	CHECK_PREFIX(b.p, "42:xxx");
	CHECK_STR(b.p + b.len - 4, "|end");
	CHECK_INT(strlen(b.p), b.len);
	buf_free(&b);
}

static void
reset_keeps_memory_and_forgets_failure(void)
{
	struct buf	 b = { NULL, 0, 0, 0 };
	char		*p;
	int		 rc;

	buf_printf(&b, "hello %s", "there");
	p = b.p;
	b.nomem = 1;
	CHECK_INT(buf_add(&b, "x", 1), -1);
	rc = buf_printf(&b, "x");
	CHECK_INT(rc, -1);
	CHECK_STR(b.p, "hello there");
	buf_reset(&b);
	CHECK(b.p == p);
	CHECK_STR(b.p, "");
	CHECK_INT(buf_add(&b, "y", 1), 0);
	CHECK_STR(b.p, "y");
	buf_free(&b);
	buf_free(&b);
	buf_free(NULL);
}

/* Writes a text in pieces of every kind; returns it whole in want. */
static void
write_text(struct buf *b, char *want, size_t len)
{
	char	 piece[700];
	int	 i;

	want[0] = '\0';
	for (i = 0; i < 40; i++) {
		memset(piece, 'a' + i % 26, sizeof(piece) - 1);
		piece[(size_t)i * 17 % sizeof(piece)] = '\0';
		buf_add(b, piece, strlen(piece));
		buf_printf(b, "<%d:%s>", i, piece);
		snprintf(want + strlen(want), len - strlen(want),
		    "%s<%d:%s>", piece, i, piece);
	}
}

/* One loop: once (persist 0) or for good (1). */
static void
fault_loop(int persist)
{
	static char	 want[60000];
	struct buf	 b;
	long		 n, hits = 0;

	for (n = 1; n < FAULT_MAX; n++) {
		memset(&b, 0, sizeof(b));
		fault_arm(n, persist);
		write_text(&b, want, sizeof(want));
		buf_set_realloc(NULL);
		if (!fault_hit) {
			CHECK(!b.nomem);
			CHECK_STR(b.p, want);
			buf_free(&b);
			break;
		}
		hits++;
		/* What is there is the text's start, and ends at len. */
		CHECK(b.nomem);
		CHECK(b.p == NULL || (strlen(b.p) == b.len &&
		    strncmp(b.p, want, b.len) == 0));
		buf_free(&b);
	}
	CHECK(n < FAULT_MAX);
	CHECK(hits > 0);
}

static void
fault_each_allocation_once(void)
{
	fault_loop(0);
}

static void
fault_every_allocation_from_the_nth(void)
{
	fault_loop(1);
}

/* json_buf grows through buf: its oom is the same rule. */
static void
fault_json_buf(void)
{
	struct json_buf	 b;
	long		 n, hits = 0;
	int		 i;

	for (n = 1; n < FAULT_MAX; n++) {
		memset(&b, 0, sizeof(b));
		fault_arm(n, 0);
		json_buf_raw(&b, "[", 1);
		for (i = 0; i < 3000; i++) {
			json_buf_str(&b, i % 2 ? "a\"b" : NULL);
			json_buf_raw(&b, ",", 1);
			json_buf_int(&b, i);
			json_buf_raw(&b, ",", 1);
		}
		json_buf_raw(&b, "0]", 2);
		buf_set_realloc(NULL);
		if (!fault_hit) {
			CHECK(!b.oom);
			CHECK_PREFIX(b.p, "[null,0,\"a\\\"b\",1,null,2,");
			CHECK_STR(b.p + b.len - 14, "\"a\\\"b\",2999,0]");
			free(b.p);
			break;
		}
		hits++;
		CHECK(b.oom);
		CHECK(b.p == NULL || strlen(b.p) == b.len);
		free(b.p);
	}
	CHECK(n < FAULT_MAX);
	CHECK(hits > 0);
}

static const struct unit_test tests[] = {
	UNIT(add_appends_and_terminates),
	UNIT(add_nothing_is_an_empty_string),
	UNIT(printf_past_the_first_room),
	UNIT(reset_keeps_memory_and_forgets_failure),
	UNIT(fault_each_allocation_once),
	UNIT(fault_every_allocation_from_the_nth),
	UNIT(fault_json_buf),
};

int
main(int argc, char **argv)
{
	UNIT_MAIN(tests, argc, argv);
}
