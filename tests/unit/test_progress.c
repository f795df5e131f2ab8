/*
 * lib/progress: which output lines are progress and which are log lines,
 * and hg_utf8_clean on hostile bytes.
 */
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "progress.h"
#include "unit.h"

/* Parses NUL-terminated s with regex re (or NULL). */
static enum pline_kind
parse(const char *s, const regex_t *re, struct pline *pl)
{
	return progress_parse(s, strlen(s), re, pl);
}

static int
near(double a, double b)
{
	return fabs(a - b) < 1e-9;
}

/* Checks that s is a progress line of value v out of total t, with the
 * message msg (NULL: none). A macro, so a failure points at its line. */
#define IS_PROGRESS(s, re, v, t, msg) do {				\
	struct pline	 pl_;						\
	const char	*m_ = (msg);					\
	enum pline_kind	 k_ = parse((s), (re), &pl_);			\
									\
	CHECK_INT(k_, PLINE_PROGRESS);					\
	CHECK(near(pl_.value, (v)));					\
	CHECK(near(pl_.total, (t)));					\
	if (m_ == NULL)							\
		CHECK(!pl_.has_message);				\
	else {								\
		CHECK(pl_.has_message);					\
		CHECK_STR(pl_.message, m_);				\
	}								\
} while (0)

/* Checks that s is a log line, with *out cleared. */
#define IS_LOG(s, re) do {						\
	struct pline	 pl_;						\
	enum pline_kind	 k_;						\
									\
	memset(&pl_, 0x5a, sizeof(pl_));				\
	k_ = parse((s), (re), &pl_);					\
	CHECK_INT(k_, PLINE_LOG);					\
	CHECK_INT(pl_.kind, PLINE_LOG);					\
	CHECK(!pl_.has_message);					\
} while (0)

#define IS_REFUSED(s, w) do {						\
	struct pline	 pl_;						\
									\
	CHECK_INT(parse((s), NULL, &pl_), PLINE_LOG);			\
	CHECK(pl_.json == NULL);					\
	CHECK_STR(pl_.why, (w));					\
	pline_free(&pl_);						\
} while (0)

/* ---- PROGRESS v/t [message] ---- */

static void
keyword_without_message(void)
{
	IS_PROGRESS("PROGRESS 3/10", NULL, 3, 10, NULL);
	IS_PROGRESS("PROGRESS 0/1", NULL, 0, 1, NULL);
}

static void
keyword_with_message(void)
{
	IS_PROGRESS("PROGRESS 3/10 copying photos", NULL, 3, 10,
	    "copying photos");
	IS_PROGRESS("PROGRESS 1/2 a/b 50% {\"x\":1}", NULL, 1, 2,
	    "a/b 50% {\"x\":1}");
}

static void
keyword_with_decimals(void)
{
	IS_PROGRESS("PROGRESS 1.5/2.5", NULL, 1.5, 2.5, NULL);
	IS_PROGRESS("PROGRESS 0.25/1 quarter", NULL, 0.25, 1, "quarter");
}

static void
keyword_with_zero_total_is_log(void)
{
	IS_LOG("PROGRESS 3/0", NULL);
	IS_LOG("PROGRESS 0/0 nothing", NULL);
	IS_LOG("PROGRESS 3/0.0", NULL);
}

static void
keyword_with_negative_or_huge_numbers_is_log(void)
{
	IS_LOG("PROGRESS -1/10", NULL);
	IS_LOG("PROGRESS 1/-10", NULL);
	IS_LOG("PROGRESS 1e400/10", NULL);
	IS_LOG("PROGRESS 1/1e400", NULL);
	IS_LOG("PROGRESS 1/10000000000000000000000000000000000000", NULL);
	IS_LOG("PROGRESS inf/10", NULL);
	IS_LOG("PROGRESS nan/10", NULL);
	IS_LOG("PROGRESS 0x10/20", NULL);
}

static void
keyword_with_garbage_is_log(void)
{
	IS_LOG("PROGRESS 3/10x", NULL);
	IS_LOG("PROGRESS 3x/10", NULL);
	IS_LOG("PROGRESS 3", NULL);
	IS_LOG("PROGRESS /10", NULL);
	IS_LOG("PROGRESS 3/", NULL);
	IS_LOG("PROGRESS", NULL);
	IS_LOG("progress 3/10", NULL);
	IS_LOG("PROGRESS  3/10", NULL);
	IS_LOG("PROGRESS 1.2.3/10", NULL);
	IS_LOG("xPROGRESS 3/10", NULL);
}

/* ---- bare percents ---- */

static void
percent_whole_and_decimal(void)
{
	IS_PROGRESS("42%", NULL, 42, 100, NULL);
	IS_PROGRESS("42.5%", NULL, 42.5, 100, NULL);
	IS_PROGRESS("0%", NULL, 0, 100, NULL);
	IS_PROGRESS("100%", NULL, 100, 100, NULL);
}

static void
percent_with_blanks_around(void)
{
	IS_PROGRESS("  42%  ", NULL, 42, 100, NULL);
	IS_PROGRESS("\t42.5%\t", NULL, 42.5, 100, NULL);
	IS_PROGRESS(" \t 7% \t ", NULL, 7, 100, NULL);
}

static void
percent_over_100_is_log(void)
{
	IS_LOG("101%", NULL);
	IS_LOG("100.1%", NULL);
	IS_LOG("1000000%", NULL);
}

static void
percent_negative_or_huge_is_log(void)
{
	IS_LOG("-5%", NULL);
	IS_LOG("1e400%", NULL);
	IS_LOG("1e2%", NULL);
	IS_LOG("inf%", NULL);
}

static void
percent_with_garbage_is_log(void)
{
	IS_LOG("42%x", NULL);
	IS_LOG("42 %", NULL);
	IS_LOG("42%%", NULL);
	IS_LOG("x42%", NULL);
	IS_LOG("42", NULL);
	IS_LOG("%", NULL);
	IS_LOG(".%", NULL);
	IS_LOG("4 2%", NULL);
	IS_LOG("about 42%", NULL);
	IS_LOG("", NULL);
	IS_LOG("   ", NULL);
}

static void
percent_with_64_digits_is_log(void)
{
	char	 s[200];

	/* 42, written with so many leading zeros the reader gives up. */
	memset(s, '0', 100);
	memcpy(s + 98, "42%", 4);
	IS_LOG(s, NULL);
}

/* ---- Cronicle JSON lines ---- */

static void
json_fraction_is_percent(void)
{
	IS_PROGRESS("{\"progress\":0.42}", NULL, 42, 100, NULL);
	IS_PROGRESS("{\"progress\": 0}", NULL, 0, 100, NULL);
	IS_PROGRESS("{\"progress\": 1}", NULL, 100, 100, NULL);
	IS_PROGRESS("{\"progress\": 0.5, \"message\": \"half\"}", NULL, 50,
	    100, "half");
}

static void
json_value_and_total(void)
{
	IS_PROGRESS("{\"value\":42,\"total\":150,\"message\":\"m\"}", NULL,
	    42, 150, "m");
	IS_PROGRESS("{\"value\": 1.5, \"total\": 3}", NULL, 1.5, 3, NULL);
}

static void
json_complete_code_0_with_description(void)
{
	struct pline	 pl;

	CHECK_INT(parse("{\"complete\":1,\"code\":0,\"description\":\"ok\"}",
	    NULL, &pl), PLINE_COMPLETE);
	CHECK_INT(pl.kind, PLINE_COMPLETE);
	CHECK_INT(pl.code, 0);
	CHECK(pl.has_message);
	CHECK_STR(pl.message, "ok");
}

static void
json_complete_code_3(void)
{
	struct pline	 pl;

	CHECK_INT(parse("{\"complete\": 1, \"code\": 3, \"description\": "
	    "\"disk full\"}", NULL, &pl), PLINE_COMPLETE);
	CHECK_INT(pl.code, 3);
	CHECK_STR(pl.message, "disk full");
}

static void
json_complete_true_without_code_is_code_0(void)
{
	struct pline	 pl;

	CHECK_INT(parse("{\"complete\": true}", NULL, &pl), PLINE_COMPLETE);
	CHECK_INT(pl.code, 0);
	CHECK(!pl.has_message);
}

static void
json_complete_other_than_1_is_log(void)
{
	IS_LOG("{\"complete\": 2, \"code\": 0}", NULL);
	IS_LOG("{\"complete\": 0, \"code\": 0}", NULL);
	IS_LOG("{\"complete\": false}", NULL);
	IS_LOG("{\"complete\": \"1\"}", NULL);
	IS_LOG("{\"complete\": null}", NULL);
}

#define BAD_CODE "hourglass: complete line refused: its code must be an " \
	"integer from -2147483648 to 2147483647"

static void
json_complete_with_bad_code_is_refused(void)
{
	struct pline	 pl;

	IS_REFUSED("{\"complete\": 1, \"code\": \"0\"}", BAD_CODE);
	IS_REFUSED("{\"complete\": 1, \"code\": 1.5}", BAD_CODE);
	IS_REFUSED("{\"complete\": 1, \"code\": null}", BAD_CODE);
	IS_REFUSED("{\"complete\": 1, \"code\": 99999999999999999999}",
	    BAD_CODE);
	/* A Windows status as unsigned. */
	IS_REFUSED("{\"complete\": 1, \"code\": 3221225477}", BAD_CODE);
	IS_REFUSED("{\"complete\": 1, \"code\": 1e400}", "hourglass: line "
	    "refused: a number is too large for a double (about 1.8e308 at "
	    "most)");
	/* Past a process's 0..255: a worker elsewhere may have its own. */
	CHECK_INT(parse("{\"complete\": 1, \"code\": 256}", NULL, &pl),
	    PLINE_COMPLETE);
	CHECK_INT(pl.code, 256);
	CHECK_INT(parse("{\"complete\": 1, \"code\": -1073741819}", NULL,
	    &pl), PLINE_COMPLETE);
	CHECK_INT(pl.code, -1073741819);
}

static void
json_fraction_out_of_range_is_log(void)
{
	IS_LOG("{\"progress\": 1.5}", NULL);
	IS_LOG("{\"progress\": -0.1}", NULL);
	IS_LOG("{\"progress\": 1e400}", NULL);
	IS_LOG("{\"progress\": \"0.5\"}", NULL);
	IS_LOG("{\"progress\": null}", NULL);
}

static void
json_value_without_good_total_is_log(void)
{
	IS_LOG("{\"value\": 42}", NULL);
	IS_LOG("{\"value\": 42, \"total\": 0}", NULL);
	IS_LOG("{\"value\": 42, \"total\": -1}", NULL);
	IS_LOG("{\"value\": -1, \"total\": 10}", NULL);
	IS_LOG("{\"value\": \"4\", \"total\": 10}", NULL);
	IS_LOG("{\"value\": 1e400, \"total\": 10}", NULL);
	IS_LOG("{\"value\": 1, \"total\": 1e300}", NULL);
}

static void
json_array_is_log(void)
{
	IS_LOG("[{\"progress\": 0.5}]", NULL);
	IS_LOG("[1, 2]", NULL);
	IS_LOG("0.5", NULL);
	IS_LOG("\"42%\"", NULL);
}

static void
json_malformed_is_log(void)
{
	IS_LOG("{", NULL);
	IS_LOG("{\"progress\": 0.5", NULL);
	IS_LOG("{\"progress\": 0.5}}", NULL);
	IS_LOG("{progress: 0.5}", NULL);
	IS_LOG("{\"progress\": 0.5, \"progress\": 0.6}", NULL);
	IS_LOG("{\"message\": \"a\\u0000b\", \"progress\": 0.5}", NULL);
}

static void
json_without_known_keys_is_log(void)
{
	IS_LOG("{}", NULL);
	IS_LOG("{\"message\": \"hello\"}", NULL);
	IS_LOG("{\"Progress\": 0.5}", NULL);
	IS_LOG("{\"level\": \"info\", \"msg\": \"started\"}", NULL);
}

static void
json_message_that_is_not_a_string_is_ignored(void)
{
	IS_PROGRESS("{\"progress\": 0.5, \"message\": 5}", NULL, 50, 100,
	    NULL);
}

/* ---- progress_regex ---- */

/* Compiles a kind's progress_regex as the loader does. */
static void
compile(regex_t *re, const char *pattern)
{
	int	 rc = regcomp(re, pattern, REG_EXTENDED);

	CHECK_INT(rc, 0);
	if (rc != 0)
		exit(1);
}

static void
regex_matching_gives_percent(void)
{
	regex_t	 re;

	compile(&re, "([0-9]+)% done");
	IS_PROGRESS("copying: 37% done", &re, 37, 100, NULL);
	IS_PROGRESS("100% done", &re, 100, 100, NULL);
	regfree(&re);
}

static void
regex_not_matching_is_log(void)
{
	regex_t	 re;

	compile(&re, "([0-9]+)% done");
	IS_LOG("copying: 37% left", &re);
	IS_LOG("done", &re);
	/* A match, but not a percent. */
	IS_LOG("150% done", &re);
	regfree(&re);
}

static void
regex_group_not_taking_part_is_log(void)
{
	regex_t	 re;

	compile(&re, "(x)?y");
	IS_LOG("y", &re);
	regfree(&re);
	compile(&re, "at (.*)%");
	IS_LOG("at -3%", &re);
	IS_LOG("at 1e400%", &re);
	IS_LOG("at %", &re);
	regfree(&re);
}

static void
regex_is_not_applied_without_one(void)
{
	IS_LOG("copying: 37% done", NULL);
}

static void
regex_does_not_hide_the_builtin_formats(void)
{
	regex_t	 re;

	compile(&re, "([0-9]+)% done");
	IS_PROGRESS("PROGRESS 1/4", &re, 1, 4, NULL);
	IS_PROGRESS("42%", &re, 42, 100, NULL);
	IS_PROGRESS("{\"progress\": 0.5}", &re, 50, 100, NULL);
	regfree(&re);
}

/* ---- hostile lines ---- */

/* 1 if the n bytes at s are valid UTF-8 without NUL. */
static int
clean_utf8(const char *s, size_t n)
{
	return memchr(s, '\0', n) == NULL && json_utf8_valid(s, n) == 0;
}

static void
huge_line_is_log(void)
{
	char	*s;

	if ((s = malloc(20001)) == NULL)
		abort();
	memset(s, 'a', 20000);
	s[20000] = '\0';
	IS_LOG(s, NULL);
	s[19999] = '%';
	IS_LOG(s, NULL);
	memset(s, '9', 19999);
	IS_LOG(s, NULL);
	free(s);
}

static void
huge_json_line_is_log(void)
{
	char	*s;

	/* {"x":"aaaa...","bogus":1}: valid JSON, no known key. */
	if ((s = malloc(20001)) == NULL)
		abort();
	memset(s, 'a', 20000);
	memcpy(s, "{\"x\":\"", 6);
	memcpy(s + 20000 - 12, "\",\"bogus\":1}", 12);
	s[20000] = '\0';
	IS_LOG(s, NULL);
	free(s);
}

static void
huge_message_is_cut_at_a_character_boundary(void)
{
	char		*s;
	struct pline	 pl;
	size_t		 i, n;

	/* PROGRESS 1/2 followed by 20000 bytes of the 3-byte euro sign. */
	if ((s = malloc(20100)) == NULL)
		abort();
	n = (size_t)sprintf(s, "PROGRESS 1/2 ");
	for (i = 0; i < 6000; i++, n += 3)
		memcpy(s + n, "\xe2\x82\xac", 3);
	s[n] = '\0';
	CHECK_INT(parse(s, NULL, &pl), PLINE_PROGRESS);
	CHECK(pl.has_message);
	n = strlen(pl.message);
	CHECK(n > 0 && n < sizeof(pl.message));
	CHECK(n % 3 == 0);
	CHECK(clean_utf8(pl.message, n));
	free(s);
}

static void
huge_json_message_is_cut_at_a_character_boundary(void)
{
	char		*s;
	struct pline	 pl;
	size_t		 i, n;

	if ((s = malloc(20100)) == NULL)
		abort();
	n = (size_t)sprintf(s, "{\"progress\": 0.5, \"message\": \"x");
	for (i = 0; i < 6000; i++, n += 2)
		memcpy(s + n, "\xc3\xa9", 2);
	n += (size_t)sprintf(s + n, "\"}");
	CHECK_INT(parse(s, NULL, &pl), PLINE_PROGRESS);
	n = strlen(pl.message);
	CHECK(n > 0 && n < sizeof(pl.message));
	CHECK(n % 2 == 1);		/* the "x", then whole é's */
	CHECK(clean_utf8(pl.message, n));
	free(s);
}

static void
numbers_out_of_range_are_log(void)
{
	IS_LOG("PROGRESS 10000000000000001/1", NULL);
	IS_LOG("PROGRESS 1/10000000000000001", NULL);
	IS_LOG("{\"value\": 1e16, \"total\": 1e17}", NULL);
	IS_LOG("{\"value\": 1, \"total\": 1e-400}", NULL);
	IS_LOG("{\"progress\": -1e400}", NULL);
	/* Within range: 1e15. */
	IS_PROGRESS("PROGRESS 1000000000000000/1000000000000000", NULL, 1e15,
	    1e15, NULL);
}

static void
utf8_clean_keeps_valid_text(void)
{
	const char	*in = "h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80";
	char		 out[64];
	size_t		 n;

	n = hg_utf8_clean(in, strlen(in), out, sizeof(out));
	CHECK_INT(n, strlen(in));
	CHECK_STR(out, in);
}

static void
utf8_clean_replaces_invalid_bytes(void)
{
	char	 out[64];
	size_t	 n;

	n = hg_utf8_clean("a\xff" "b\xfe", 4, out, sizeof(out));
	CHECK_STR(out, "a\xef\xbf\xbd" "b\xef\xbf\xbd");
	CHECK_INT(n, 8);
	CHECK(clean_utf8(out, n));
}

static void
utf8_clean_replaces_nul_bytes(void)
{
	char	 out[64];
	size_t	 n;

	n = hg_utf8_clean("a\0b\0", 4, out, sizeof(out));
	CHECK_INT(n, 8);
	CHECK(memcmp(out, "a\xef\xbf\xbd" "b\xef\xbf\xbd", 9) == 0);
	CHECK(clean_utf8(out, n));
}

static void
utf8_clean_replaces_overlongs_surrogates_and_cut_sequences(void)
{
	static const struct {
		const char	*in;
		size_t		 len;
	} bad[] = {
		{ "\xc0\x80", 2 },		/* overlong NUL */
		{ "\xe0\x80\xaf", 3 },		/* overlong '/' */
		{ "\xed\xa0\x80", 3 },		/* a surrogate */
		{ "\xf4\x90\x80\x80", 4 },	/* past U+10FFFF */
		{ "\xe2\x82", 2 },		/* cut short */
		{ "\x80\xbf", 2 },		/* lone continuations */
		{ "\xf8\x88\x80\x80\x80", 5 },	/* 5 bytes */
	};
	char	 out[64];
	size_t	 i, n;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = hg_utf8_clean(bad[i].in, bad[i].len, out, sizeof(out));
		CHECK(n > 0);
		CHECK(clean_utf8(out, n));
		CHECK_HAS(out, "\xef\xbf\xbd");
		CHECK_INT(strlen(out), n);
	}
}

static void
utf8_clean_never_writes_past_cap(void)
{
	char	 in[256], out[300];
	size_t	 cap, n, i;

	/* Every byte value, in a buffer guarded by a canary. */
	for (i = 0; i < sizeof(in); i++)
		in[i] = (char)i;
	for (cap = 4; cap < 280; cap++) {
		memset(out, 0x7e, sizeof(out));
		n = hg_utf8_clean(in, sizeof(in), out, cap);
		CHECK(n < cap);
		CHECK_INT(out[n], '\0');
		CHECK_INT((unsigned char)out[cap], 0x7e);
		CHECK(clean_utf8(out, n));
	}
}

static void
utf8_clean_cuts_at_a_character_boundary(void)
{
	const char	*in = "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac";
	char		 out[16];
	size_t		 cap, n;

	for (cap = 4; cap <= 10; cap++) {
		n = hg_utf8_clean(in, 9, out, cap);
		CHECK(n < cap);
		CHECK(n % 3 == 0);
		CHECK(clean_utf8(out, n));
	}
	/* A replacement character is not split either. */
	n = hg_utf8_clean("ab\xff", 3, out, 4);
	CHECK_STR(out, "ab");
	CHECK_INT(n, 2);
}

static void
utf8_clean_of_huge_binary_line_then_parse(void)
{
	char	*in, *out;
	size_t	 i, n, cap = 20000 * 3 + 4;

	if ((in = malloc(20000)) == NULL || (out = malloc(cap)) == NULL)
		abort();
	for (i = 0; i < 20000; i++)
		in[i] = (char)(i * 7919 % 256);
	n = hg_utf8_clean(in, 20000, out, cap);
	CHECK(n < cap);
	CHECK(clean_utf8(out, n));
	CHECK_INT(strlen(out), n);
	IS_LOG(out, NULL);
	/* And a cap much smaller than the input. */
	n = hg_utf8_clean(in, 20000, out, 1000);
	CHECK(n < 1000);
	CHECK(clean_utf8(out, n));
	free(in);
	free(out);
}

static void
utf8_clean_of_progress_with_nul_then_parse(void)
{
	char		 out[64];
	struct pline	 pl;
	size_t		 n;

	/* A NUL inside the message: still progress, the NUL made U+FFFD. */
	n = hg_utf8_clean("PROGRESS 1/2 a\0b", 16, out, sizeof(out));
	CHECK_INT(progress_parse(out, n, NULL, &pl), PLINE_PROGRESS);
	CHECK_STR(pl.message, "a\xef\xbf\xbd" "b");
	/* A NUL inside the number: a log line. */
	n = hg_utf8_clean("4\0002%", 4, out, sizeof(out));
	CHECK_INT(progress_parse(out, n, NULL, &pl), PLINE_LOG);
	/* Invalid UTF-8 in a JSON line: a log line, not a crash. */
	n = hg_utf8_clean("{\"progress\":\xff" "0.5}", 17, out, sizeof(out));
	CHECK_INT(progress_parse(out, n, NULL, &pl), PLINE_LOG);
}

/* ---- data items and results ---- */

/* Checks that s is a data item named name whose value is json. */
#define IS_DATA(s, nm, js) do {						\
	struct pline	 pl_;						\
									\
	CHECK_INT(parse((s), NULL, &pl_), PLINE_DATA);			\
	CHECK_STR(pl_.name, (nm));					\
	CHECK(pl_.json != NULL);					\
	if (pl_.json != NULL) {						\
		CHECK_STR(pl_.json, (js));				\
		CHECK_INT(pl_.json_len, strlen(js));			\
	}								\
	CHECK_STR(pl_.why, "");						\
	pline_free(&pl_);						\
} while (0)

/* Checks that s is refused: a log line, with why saying so. */

static void
data_item_with_name(void)
{
	IS_DATA("{\"data\": {\"x\": 1, \"y\": [true, null]}, \"name\": \"row\"}",
	    "row", "{\"x\":1,\"y\":[true,null]}");
	IS_DATA("{\"name\":\"a.b-c_9\",\"data\":\"text\"}", "a.b-c_9",
	    "\"text\"");
}

static void
data_item_without_name_is_named_data(void)
{
	IS_DATA("{\"data\": 42}", "data", "42");
	IS_DATA("{\"data\": null}", "data", "null");
	/* A null name is left out, as a schedule's null fields are. */
	IS_DATA("{\"data\": 1, \"name\": null}", "data", "1");
	IS_DATA("{\"data\": [1, 2.5, \"\\u00e9\"]}", "data",
	    "[1,2.5,\"\xc3\xa9\"]");
}

/* JSON to cJSON, but not as json_parse() takes it: an item or a result
 * is refused, saying why; anything else is a log line like any other. */
static void
data_or_result_that_json_parse_refuses_says_why(void)
{
	struct pline	 pl;
	char		 deep[100];

	IS_REFUSED("{\"name\": \"d\", \"data\": 1, \"data\": 2}",
	    "hourglass: line refused: duplicate key \"data\"");
	IS_REFUSED("{\"result\": \"a\\u0000b\"}",
	    "hourglass: line refused: strings may not contain \\u0000");
	/* An item 40 arrays deep: more than 32, json_parse()'s most. */
	memcpy(deep, "{\"data\": ", 9);
	memset(deep + 9, '[', 40);
	memset(deep + 49, ']', 40);
	strcpy(deep + 89, "}");
	IS_REFUSED(deep, "hourglass: line refused: JSON nested deeper than "
	    "32");
	/* Not meant as either: no line says why. */
	CHECK_INT(parse("{\"x\": 1, \"x\": 2}", NULL, &pl), PLINE_LOG);
	CHECK_STR(pl.why, "");
	pline_free(&pl);
}

static void
data_item_with_a_bad_name_is_refused(void)
{
	IS_REFUSED("{\"data\": 1, \"name\": \"1x\"}", "hourglass: data item "
	    "refused: its name \"1x\" does not match "
	    "^[A-Za-z][A-Za-z0-9_.-]{0,63}$");
	IS_REFUSED("{\"data\": 1, \"name\": \"\"}", "hourglass: data item "
	    "refused: its name \"\" does not match "
	    "^[A-Za-z][A-Za-z0-9_.-]{0,63}$");
	IS_REFUSED("{\"data\": 1, \"name\": \"a b\"}", "hourglass: data item "
	    "refused: its name \"a b\" does not match "
	    "^[A-Za-z][A-Za-z0-9_.-]{0,63}$");
	IS_REFUSED("{\"data\": 1, \"name\": 7}", "hourglass: data item "
	    "refused: its name must be a string matching "
	    "^[A-Za-z][A-Za-z0-9_.-]{0,63}$");
}

static void
data_item_name_of_64_is_taken_65_refused(void)
{
	char	 line[256], name[80];
	struct pline pl;

	memset(name, 'n', 64);
	name[64] = '\0';
	snprintf(line, sizeof(line), "{\"data\":0,\"name\":\"%s\"}", name);
	IS_DATA(line, name, "0");
	strcat(name, "n");
	snprintf(line, sizeof(line), "{\"data\":0,\"name\":\"%s\"}", name);
	CHECK_INT(parse(line, NULL, &pl), PLINE_LOG);
	CHECK(strstr(pl.why, "does not match") != NULL);
	pline_free(&pl);
	CHECK(pline_name_ok("a"));
	CHECK(!pline_name_ok("_a"));
	CHECK(!pline_name_ok("a\xc3\xa9"));
}

/* {"data": "<n x's>"} */
static char *
big_line(const char *key, size_t n)
{
	char	*l;

	if ((l = malloc(n + 32)) == NULL)
		abort();
	snprintf(l, 32, "{\"%s\":\"", key);
	memset(l + strlen(l), 'x', n);
	strcpy(l + 5 + strlen(key) + n, "\"}");
	return l;
}

static void
data_item_over_64_kib_is_refused(void)
{
	char	*l, *want;

	/* The value serialized is n + 2 bytes (its quotes). */
	l = big_line("data", 65534);
	if ((want = strdup(l + 8)) == NULL)
		abort();
	want[strlen(want) - 1] = '\0';		/* its '}' */
	IS_DATA(l, "data", want);
	free(want);
	free(l);
	l = big_line("data", 65535);
	IS_REFUSED(l, "hourglass: data item refused: it is 65537 bytes "
	    "serialized; the limit is 65536");
	free(l);
}

static void
result_line(void)
{
	struct pline	 pl;
	char		*l;

	CHECK_INT(parse("{\"result\": {\"sum\": 10}}", NULL, &pl),
	    PLINE_RESULT);
	CHECK_STR(pl.json, "{\"sum\":10}");
	pline_free(&pl);
	l = big_line("result", 65535);
	IS_REFUSED(l, "hourglass: result refused: it is 65537 bytes "
	    "serialized; the limit is 65536");
	free(l);
}

static void
data_and_result_numbers_go_out_as_they_came(void)
{
	struct pline	 pl;

	/* A double would make them 9007199254740992 and
	 * 1.2345678901234567e+19. */
	CHECK_INT(parse("{\"data\": [9007199254740993, 1.5], \"name\": "
	    "\"ns\"}", NULL, &pl), PLINE_DATA);
	CHECK_STR(pl.json, "[9007199254740993,1.5]");
	pline_free(&pl);
	CHECK_INT(parse("{\"complete\": 1, \"code\": 0, \"result\": "
	    "12345678901234567890}", NULL, &pl), PLINE_COMPLETE);
	CHECK_STR(pl.json, "12345678901234567890");
	pline_free(&pl);
}

static void
both_data_and_result_is_refused(void)
{
	IS_REFUSED("{\"data\": 1, \"result\": 2}", "hourglass: line refused: "
	    "it has both \"data\" and \"result\"; send each on a line of "
	    "its own");
	/* The item or the result went, and the progress was dropped. */
	IS_REFUSED("{\"data\": 1, \"value\": 5, \"total\": 10}",
	    "hourglass: line refused: it has both \"data\" and \"value\"; "
	    "send each on a line of its own");
	IS_REFUSED("{\"result\": \"r\", \"progress\": 0.5}",
	    "hourglass: line refused: it has both \"result\" and "
	    "\"progress\"; send each on a line of its own");
}

static void
data_or_result_beside_what_is_no_progress_is_taken(void)
{
	struct pline	 pl;

	/* Keys that make no progress report lose nothing. */
	CHECK_INT(parse("{\"data\": 5, \"progress\": null}", NULL, &pl),
	    PLINE_DATA);
	pline_free(&pl);
	CHECK_INT(parse("{\"data\": {\"x\": 1}, \"name\": \"row\", "
	    "\"progress\": \"step 2\"}", NULL, &pl), PLINE_DATA);
	pline_free(&pl);
	CHECK_INT(parse("{\"result\": \"ok\", \"progress\": \"done\"}",
	    NULL, &pl), PLINE_RESULT);
	pline_free(&pl);
	CHECK_INT(parse("{\"data\": 1, \"value\": \"a\", \"total\": "
	    "\"b\"}", NULL, &pl), PLINE_DATA);
	pline_free(&pl);
	/* Not an end: a log line, as it was. */
	IS_LOG("{\"data\": 1, \"complete\": false}", NULL);
}

static void
complete_with_a_data_item_still_ends(void)
{
	struct pline	 pl;

	/* The end counts, as it does when its result is refused; the item
	 * is refused, saying why. */
	CHECK_INT(parse("{\"complete\": 1, \"code\": 3, \"description\": "
	    "\"bad\", \"data\": [1]}", NULL, &pl), PLINE_COMPLETE);
	CHECK_INT(pl.code, 3);
	CHECK_STR(pl.message, "bad");
	CHECK(pl.json == NULL);
	CHECK_STR(pl.why, "hourglass: data item refused: a complete line "
	    "carries none; send it on a line of its own");
	pline_free(&pl);
	CHECK_INT(parse("{\"complete\": 1, \"data\": 1, \"result\": 2}",
	    NULL, &pl), PLINE_COMPLETE);
	CHECK_INT(pl.code, 0);
	CHECK_STR(pl.json, "2");
	CHECK_STR(pl.why, "hourglass: data item refused: a complete line "
	    "carries none; send it on a line of its own");
	pline_free(&pl);
}

static void
complete_with_result(void)
{
	struct pline	 pl;
	char		*l;

	CHECK_INT(parse("{\"complete\": 1, \"code\": 0, \"result\": [1]}",
	    NULL, &pl), PLINE_COMPLETE);
	CHECK_INT(pl.code, 0);
	CHECK_STR(pl.json, "[1]");
	CHECK_STR(pl.why, "");
	pline_free(&pl);
	/* A result too large is refused; the end still counts. */
	if ((l = malloc(70100)) == NULL)
		abort();
	strcpy(l, "{\"complete\":1,\"code\":2,\"result\":\"");
	memset(l + strlen(l), 'y', 70000);
	strcpy(l + 33 + 70000, "\"}");
	CHECK_INT(parse(l, NULL, &pl), PLINE_COMPLETE);
	CHECK_INT(pl.code, 2);
	CHECK(pl.json == NULL);
	CHECK_STR(pl.why, "hourglass: result refused: it is 70002 bytes "
	    "serialized; the limit is 65536");
	pline_free(&pl);
	free(l);
}

static const struct unit_test tests[] = {
	UNIT(data_item_with_name),
	UNIT(data_item_without_name_is_named_data),
	UNIT(data_or_result_that_json_parse_refuses_says_why),
	UNIT(data_item_with_a_bad_name_is_refused),
	UNIT(data_item_name_of_64_is_taken_65_refused),
	UNIT(data_item_over_64_kib_is_refused),
	UNIT(result_line),
	UNIT(data_and_result_numbers_go_out_as_they_came),
	UNIT(data_or_result_beside_what_is_no_progress_is_taken),
	UNIT(complete_with_a_data_item_still_ends),
	UNIT(both_data_and_result_is_refused),
	UNIT(complete_with_result),
	UNIT(keyword_without_message),
	UNIT(keyword_with_message),
	UNIT(keyword_with_decimals),
	UNIT(keyword_with_zero_total_is_log),
	UNIT(keyword_with_negative_or_huge_numbers_is_log),
	UNIT(keyword_with_garbage_is_log),
	UNIT(percent_whole_and_decimal),
	UNIT(percent_with_blanks_around),
	UNIT(percent_over_100_is_log),
	UNIT(percent_negative_or_huge_is_log),
	UNIT(percent_with_garbage_is_log),
	UNIT(percent_with_64_digits_is_log),
	UNIT(json_fraction_is_percent),
	UNIT(json_value_and_total),
	UNIT(json_complete_code_0_with_description),
	UNIT(json_complete_code_3),
	UNIT(json_complete_true_without_code_is_code_0),
	UNIT(json_complete_other_than_1_is_log),
	UNIT(json_complete_with_bad_code_is_refused),
	UNIT(json_fraction_out_of_range_is_log),
	UNIT(json_value_without_good_total_is_log),
	UNIT(json_array_is_log),
	UNIT(json_malformed_is_log),
	UNIT(json_without_known_keys_is_log),
	UNIT(json_message_that_is_not_a_string_is_ignored),
	UNIT(regex_matching_gives_percent),
	UNIT(regex_not_matching_is_log),
	UNIT(regex_group_not_taking_part_is_log),
	UNIT(regex_is_not_applied_without_one),
	UNIT(regex_does_not_hide_the_builtin_formats),
	UNIT(huge_line_is_log),
	UNIT(huge_json_line_is_log),
	UNIT(huge_message_is_cut_at_a_character_boundary),
	UNIT(huge_json_message_is_cut_at_a_character_boundary),
	UNIT(numbers_out_of_range_are_log),
	UNIT(utf8_clean_keeps_valid_text),
	UNIT(utf8_clean_replaces_invalid_bytes),
	UNIT(utf8_clean_replaces_nul_bytes),
	UNIT(utf8_clean_replaces_overlongs_surrogates_and_cut_sequences),
	UNIT(utf8_clean_never_writes_past_cap),
	UNIT(utf8_clean_cuts_at_a_character_boundary),
	UNIT(utf8_clean_of_huge_binary_line_then_parse),
	UNIT(utf8_clean_of_progress_with_nul_then_parse),
};

int
main(int argc, char **argv)
{
	UNIT_MAIN(tests, argc, argv);
}
