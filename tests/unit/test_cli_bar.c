/*
 * cli/bar: the live line of watch, built from the task's events: its
 * parts, the estimate, the end line, and the cut to the terminal's
 * width, which must never split a character or let a control byte
 * move the cursor.
 */
#include <stdio.h>
#include <string.h>

#include "bar.h"
#include "json.h"
#include "table.h"
#include "unit.h"

/* 2026-11-24T20:05:40.000Z, and ten seconds after. */
#define T0	1795550740000LL

static struct bar	b;
static char		line[1024];
/* Passed by name: CHECK_STR puts its arguments' text in a format. */
static const char	*want;

static void
feed_task(const char *json)
{
	cJSON	*t = cJSON_Parse(json);

	CHECK(t != NULL);
	bar_task(&b, t);
	cJSON_Delete(t);
}

static void
feed(void (*fn)(struct bar *, const cJSON *), const char *json)
{
	cJSON	*d = cJSON_Parse(json);

	CHECK(d != NULL);
	fn(&b, d);
	cJSON_Delete(d);
}

static void
times_read_as_the_service_writes_them(void)
{
	CHECK_INT(bar_time("2026-11-24T20:05:40.000Z"), T0);
	CHECK_INT(bar_time("2026-11-24T20:05:40.123Z"), T0 + 123);
	CHECK_INT(bar_time(NULL), 0);
	CHECK_INT(bar_time("2026-11-24 20:05:40"), 0);
	CHECK_INT(bar_time("2026-11-24T20:05:40.123Zjunk"), 0);
}

static void
running_shows_percent_elapsed_estimate_message_and_data(void)
{
	bar_init(&b, 17);
	feed_task("{\"state\":\"running\",\"started_at\":"
	    "\"2026-11-24T20:05:40.000Z\",\"finished_at\":null,"
	    "\"progress\":{\"percent\":10,\"message\":null},\"error\":null}");
	feed(bar_progress, "{\"task\":17,\"value\":5,\"total\":10,"
	    "\"percent\":50.0,\"message\":\"half way\"}");
	feed(bar_data, "{\"task\":17,\"name\":\"row\",\"data\":{\"n\":1}}");
	bar_format(&b, T0 + 10000, 200, line, sizeof(line));
	want = "#17 running [##########----------]  50% 00:10 "
	    "~00:10 left  half way  | row: {\"n\":1}";
	CHECK_STR(line, want);
}

static void
before_any_progress_the_percent_is_a_dash(void)
{
	bar_init(&b, 3);
	feed_task("{\"state\":\"queued\",\"started_at\":null,"
	    "\"progress\":{\"percent\":null,\"message\":null}}");
	bar_format(&b, T0, 200, line, sizeof(line));
	want = "#3 queued [--------------------]   -% 00:00";
	CHECK_STR(line, want);
}

static void
the_end_line_says_the_state_and_the_error(void)
{
	bar_init(&b, 9);
	feed_task("{\"state\":\"failed\",\"started_at\":"
	    "\"2026-11-24T20:05:40.000Z\",\"finished_at\":"
	    "\"2026-11-24T21:05:41.000Z\",\"progress\":{\"percent\":42,"
	    "\"message\":\"m\"},\"error\":{\"code\":\"exit_code\","
	    "\"message\":\"exited with 3\"}}");
	CHECK(bar_ended(&b));
	/* The end is the task's, whatever the clock says now. */
	bar_format(&b, T0 + 999999999, 200, line, sizeof(line));
	want = "#9 failed [########------------]  42% 1:00:01  "
	    "exit_code: exited with 3";
	CHECK_STR(line, want);
}

static void
the_end_line_shortens_the_bar_not_the_error(void)
{
	bar_init(&b, 9);
	feed_task("{\"state\":\"failed\",\"started_at\":"
	    "\"2026-11-24T20:05:40.000Z\",\"finished_at\":"
	    "\"2026-11-24T20:05:41.000Z\",\"progress\":{\"percent\":42},"
	    "\"error\":{\"code\":\"exit_code\","
	    "\"message\":\"exited with\\u001bstatus 3\"}}");
	want = "#9 failed [########------------]  42% 00:01  "
	    "exit_code: exited with status 3";
	bar_format(&b, T0, 76, line, sizeof(line));
	CHECK_STR(line, want);
	/* Ten columns fewer: ten cells fewer. */
	bar_format(&b, T0, 66, line, sizeof(line));
	want = "#9 failed [####------]  42% 00:01  "
	    "exit_code: exited with status 3";
	CHECK_STR(line, want);
	/* No room for a bar: none, and the line is longer than the width
	 * rather than the error cut; the terminal wraps it. */
	bar_format(&b, T0, 29, line, sizeof(line));
	want = "#9 failed  42% 00:01  exit_code: exited with status 3";
	CHECK_STR(line, want);
	/* A line that was wrapped rather than cut is still one line. */
	CHECK(strpbrk(line, "\r\n\033") == NULL);
}

static void
hours_and_no_estimate_at_zero(void)
{
	bar_init(&b, 1);
	feed_task("{\"state\":\"running\",\"started_at\":"
	    "\"2026-11-24T20:05:40.000Z\",\"progress\":{\"percent\":0}}");
	bar_format(&b, T0 + 7322000, 200, line, sizeof(line));
	want = "#1 running [--------------------]   0% 2:02:02";
	CHECK_STR(line, want);
}

static void
the_line_is_cut_to_the_width_whole_characters(void)
{
	bar_init(&b, 1);
	feed_task("{\"state\":\"running\",\"progress\":{\"percent\":50,"
	    "\"message\":\"h\\u00e9h\\u00e9h\\u00e9\"}}");
	bar_format(&b, T0, 200, line, sizeof(line));
	CHECK_HAS(line, "h\xc3\xa9h\xc3\xa9h\xc3\xa9");
	/* "#1 running [" is 12 characters, the cells 20, then "]  50%
	 * 00:00  " 14: the message starts at 46; cut after "h\xc3\xa9". */
	bar_format(&b, T0, 48, line, sizeof(line));
	CHECK_INT(json_utf8_len(line), 48);
	CHECK(json_utf8_valid(line, strlen(line)) == 0);
	CHECK(strcmp(line + strlen(line) - 3, "h\xc3\xa9") == 0);
	bar_format(&b, T0, 5, line, sizeof(line));
	CHECK_STR(line, "#1 ru");
}

static void
control_bytes_become_spaces(void)
{
	bar_init(&b, 1);
	feed_task("{\"state\":\"running\",\"progress\":{\"percent\":1,"
	    "\"message\":\"a\\rb\\nc\\u001b[2Jd\\u009b2Je\\u0085f\"}}");
	bar_format(&b, T0, 200, line, sizeof(line));
	/* C1 (U+009B is CSI to some terminals) as well as C0. */
	CHECK_HAS(line, "a b c [2Jd 2Je f");
	CHECK(strpbrk(line, "\r\n\033\302") == NULL);
}

static void
a_table_cell_is_one_line_of_printable_text(void)
{
	struct table	 t = { 2, NULL, 0, 0 };
	const char	*row[2] = { "a\tb\x7f\xc2\x9b" "2J\xc2\xa0\xc3\xa9", NULL };
	char		 out[256];
	FILE		*f = fmemopen(out, sizeof(out), "w");

	CHECK(f != NULL);
	CHECK_INT(table_add(&t, row), 0);
	table_print(&t, f);
	fclose(f);
	/* Each control character one space; U+00A0 and U+00E9 kept. */
	CHECK_STR(out, "a b  2J\xc2\xa0\xc3\xa9  -\n");
	table_free(&t);
}

static const struct unit_test tests[] = {
	UNIT(times_read_as_the_service_writes_them),
	UNIT(running_shows_percent_elapsed_estimate_message_and_data),
	UNIT(before_any_progress_the_percent_is_a_dash),
	UNIT(the_end_line_says_the_state_and_the_error),
	UNIT(the_end_line_shortens_the_bar_not_the_error),
	UNIT(hours_and_no_estimate_at_zero),
	UNIT(the_line_is_cut_to_the_width_whole_characters),
	UNIT(control_bytes_become_spaces),
	UNIT(a_table_cell_is_one_line_of_printable_text),
};

int
main(int argc, char **argv)
{
	UNIT_MAIN(tests, argc, argv);
}
