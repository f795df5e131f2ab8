/*
 * lib/lines: the splitter a command's output and a report share. Each
 * test feeds a stream in the pieces given, and also whole through
 * lines_split() where the pieces make one body, and compares the lines
 * fn got, written one to a row as "[text]".
 */
#include <stdio.h>
#include <string.h>

#include "lines.h"
#include "unit.h"

struct got {
	char	 text[4096];
	size_t	 n;
};

static void
collect(void *arg, const char *line, size_t len)
{
	struct got	*g = arg;

	snprintf(g->text + strlen(g->text), sizeof(g->text) -
	    strlen(g->text), "[%.*s]", (int)len, line);
	g->n++;
}

/* Feeds the pieces (NULL-ended) with a line cap of max, and jmax for a
 * line that starts with '{'. */
static const char *
feedj(size_t max, size_t jmax, const char **pieces)
{
	static struct got	 g;
	static char		 buf[64];
	struct lines		 l;
	size_t			 i;

	memset(&g, 0, sizeof(g));
	lines_init(&l, buf, max, jmax, collect, &g);
	for (i = 0; pieces[i] != NULL; i++)
		lines_feed(&l, pieces[i], strlen(pieces[i]));
	lines_end(&l);
	return g.text;
}

static const char *
feed(size_t max, const char **pieces)
{
	return feedj(max, max, pieces);
}

/* Splits body whole. */
static const char *
splitj(size_t max, size_t jmax, const char *body)
{
	static struct got	 g;

	memset(&g, 0, sizeof(g));
	lines_split(body, strlen(body), max, jmax, collect, &g);
	return g.text;
}

static const char *
split(size_t max, const char *body)
{
	return splitj(max, max, body);
}

#define P(...)	((const char *[]){ __VA_ARGS__, NULL })

static void
ends_at_newline(void)
{
	CHECK_STR(feed(64, P("a\nbc\n")), "[a][bc]");
	CHECK_STR(split(64, "a\nbc\n"), "[a][bc]");
}

static void
ends_at_carriage_return(void)
{
	CHECK_STR(feed(64, P("10p\r20p\r")), "[10p][20p]");
	CHECK_STR(split(64, "10p\r20p\rdone\n"), "[10p][20p][done]");
}

static void
crlf_counts_once(void)
{
	CHECK_STR(feed(64, P("a\r\nb\r\n")), "[a][b]");
	CHECK_STR(split(64, "a\r\nb\r\n"), "[a][b]");
}

static void
crlf_split_across_two_reads(void)
{
	CHECK_STR(feed(64, P("a\r", "\nb\r", "\n")), "[a][b]");
	CHECK_STR(feed(64, P("a\r", "\n", "\n")), "[a][]");
}

static void
line_split_across_reads_is_one_line(void)
{
	CHECK_STR(feed(64, P("ab", "cd", "e\nf", "g\n")), "[abcde][fg]");
}

static void
last_line_without_ending_counts(void)
{
	CHECK_STR(feed(64, P("a\nlast")), "[a][last]");
	CHECK_STR(feed(64, P("a\nla", "st")), "[a][last]");
	CHECK_STR(split(64, "a\nlast"), "[a][last]");
}

static void
empty_lines_are_lines(void)
{
	CHECK_STR(feed(64, P("\n\na\n\n")), "[][][a][]");
	CHECK_STR(split(64, "\n\na\n\n"), "[][][a][]");
	CHECK_STR(split(64, "\r\r\n\n"), "[][][]");
}

static void
nothing_is_no_line(void)
{
	CHECK_STR(feed(64, P("")), "");
	CHECK_STR(split(64, ""), "");
}

static void
long_line_is_cut_and_the_rest_dropped(void)
{
	CHECK_STR(feed(4, P("abcdefgh\nxy\n")), "[abcd][xy]");
	CHECK_STR(feed(4, P("ab", "cdef", "gh\r\nxy")), "[abcd][xy]");
	CHECK_STR(split(4, "abcdefgh\nxy"), "[abcd][xy]");
	CHECK_STR(split(4, "abcdefgh"), "[abcd]");
	CHECK_STR(feed(4, P("abcdefgh")), "[abcd]");
}

/* A cut inside a UTF-8 character goes before it: never part of one. */
static void
a_cut_never_splits_a_character(void)
{
	/* "\xc3\xa9" is é (2 bytes), "\xe2\x82\xac" € (3). */
	CHECK_STR(feed(4, P("abc\xc3\xa9x\n")), "[abc]");
	CHECK_STR(feed(4, P("ab\xe2\x82\xac\n")), "[ab]");
	CHECK_STR(feed(4, P("a\xe2\x82\xac" "b\n")), "[a\xe2\x82\xac]");
	CHECK_STR(feed(4, P("ab", "c\xc3", "\xa9x\n", "y")), "[abc][y]");
	CHECK_STR(split(4, "abc\xc3\xa9x\nz"), "[abc][z]");
	/* Not UTF-8 (continuation bytes only): cut where the cap is. */
	CHECK_STR(feed(4, P("\x80\x80\x80\x80\x80\n")),
	    "[\x80\x80\x80\x80]");
	/* A character that ends at the cap is whole, a stray continuation
	 * byte after it or not. */
	CHECK_STR(feed(4, P("ab\xc3\xa9x\n")), "[ab\xc3\xa9]");
	CHECK_STR(feed(4, P("ab\xc3\xa9\x80x\n")), "[ab\xc3\xa9]");
	CHECK_STR(feed(4, P("\xf0\x9f\x98\x80\x80\n")),
	    "[\xf0\x9f\x98\x80]");
}

static void
line_of_exactly_the_cap_is_whole(void)
{
	CHECK_STR(feed(4, P("abcd\nefgh")), "[abcd][efgh]");
	CHECK_STR(feed(4, P("abcd", "\n")), "[abcd]");
	CHECK_STR(feed(4, P("ab", "cd")), "[abcd]");
	CHECK_STR(split(4, "abcd\nefgh"), "[abcd][efgh]");
}

/* A cut line goes out when its byte past the cap comes, not at its
 * end, which may be long in coming. */
static void
cut_line_goes_out_at_once(void)
{
	static char	 buf[4];
	struct got	 g;
	struct lines	 l;

	memset(&g, 0, sizeof(g));
	lines_init(&l, buf, sizeof(buf), sizeof(buf), collect, &g);
	lines_feed(&l, "abc", 3);
	CHECK_INT(g.n, 0);
	lines_feed(&l, "de", 2);
	CHECK_STR(g.text, "[abcd]");
	lines_feed(&l, "fg\n", 3);
	CHECK_INT(g.n, 1);
	lines_end(&l);
	CHECK_INT(g.n, 1);
}

/* After lines_end, the next stream starts clean: no \r remembered. */
static void
end_forgets_the_stream(void)
{
	static char	 buf[8];
	struct got	 g;
	struct lines	 l;

	memset(&g, 0, sizeof(g));
	lines_init(&l, buf, sizeof(buf), sizeof(buf), collect, &g);
	lines_feed(&l, "a\r", 2);
	lines_end(&l);
	lines_feed(&l, "\nb", 2);
	lines_end(&l);
	CHECK_STR(g.text, "[a][][b]");
}

/* A line that starts with '{' has the larger cap; any other the
 * smaller, wherever a '{' is in it. */
static void
brace_line_has_its_own_cap(void)
{
	CHECK_STR(feedj(4, 8, P("{abcdefgh\nabcdefgh\n")),
	    "[{abcdefg][abcd]");
	CHECK_STR(feedj(4, 8, P("{a", "bcdefgh", "ij\n{x\n")),
	    "[{abcdefg][{x]");
	CHECK_STR(feedj(4, 8, P("", "{abcdefg", "\nab{cdef\n")),
	    "[{abcdefg][ab{c]");
	CHECK_STR(splitj(4, 8, "{abcdefgh\nx{abcdefgh\n{ab"),
	    "[{abcdefg][x{ab][{ab]");
	CHECK_STR(splitj(4, 8, "{abcdefg\n"), "[{abcdefg]");
	/* The cap is the line's own: the next line starts afresh. */
	CHECK_STR(feedj(4, 8, P("{abcdefghij", "klm\nabcdefgh", "\n")),
	    "[{abcdefg][abcd]");
}

static const struct unit_test tests[] = {
	UNIT(brace_line_has_its_own_cap),
	UNIT(ends_at_newline),
	UNIT(ends_at_carriage_return),
	UNIT(crlf_counts_once),
	UNIT(crlf_split_across_two_reads),
	UNIT(line_split_across_reads_is_one_line),
	UNIT(last_line_without_ending_counts),
	UNIT(empty_lines_are_lines),
	UNIT(nothing_is_no_line),
	UNIT(long_line_is_cut_and_the_rest_dropped),
	UNIT(a_cut_never_splits_a_character),
	UNIT(line_of_exactly_the_cap_is_whole),
	UNIT(cut_line_goes_out_at_once),
	UNIT(end_forgets_the_stream),
};

int
main(int argc, char **argv)
{
	UNIT_MAIN(tests, argc, argv);
}
