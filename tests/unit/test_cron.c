/*
 * lib/cron: parsing cron lines, and their next runs in UTC and across
 * the daylight-saving changes of Europe/Paris and America/New_York.
 * Every expected run was computed apart from this code, by a brute
 * force over each UTC minute with Python's zoneinfo (a wall minute
 * runs at the first instant the wall clock reads it or later).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cron.h"
#include "tz.h"
#include "tz_unit.h"
#include "unit.h"

static const struct {
	const char	*expr, *zone, *after, *next;
} runs[] = {
	/* the 31st: April and June have none */
	{ "0 0 31 * *", "UTC", "2026-04-01T00:00Z", "2026-05-31T00:00Z" },
	{ "0 0 31 * *", "UTC", "2026-05-31T00:00Z", "2026-07-31T00:00Z" },
	/* leap days only */
	{ "0 0 29 2 *", "UTC", "2026-01-01T00:00Z", "2028-02-29T00:00Z" },
	{ "0 0 29 2 *", "UTC", "2028-02-29T00:00Z", "2032-02-29T00:00Z" },
	/* 13th or Friday */
	{ "0 0 13 * fri", "UTC", "2026-02-01T00:00Z", "2026-02-06T00:00Z" },
	{ "0 0 13 * fri", "UTC", "2026-02-06T00:00Z", "2026-02-13T00:00Z" },
	{ "0 0 13 * fri", "UTC", "2026-02-13T00:00Z", "2026-02-20T00:00Z" },
	{ "0 0 13 * fri", "UTC", "2026-02-20T00:00Z", "2026-02-27T00:00Z" },
	{ "0 0 13 * fri", "UTC", "2026-02-27T00:00Z", "2026-03-06T00:00Z" },
	/* '*' dom: odd days that are Fridays */
	{ "0 0 */2 * fri", "UTC", "2026-01-01T00:00Z", "2026-01-09T00:00Z" },
	{ "0 0 */2 * fri", "UTC", "2026-01-09T00:00Z", "2026-01-23T00:00Z" },
	{ "0 0 */2 * fri", "UTC", "2026-01-23T00:00Z", "2026-02-13T00:00Z" },
	/* '*' dow: 1st on Sun, Wed or Sat */
	{ "0 0 1 * */3", "UTC", "2026-01-01T00:00Z", "2026-02-01T00:00Z" },
	{ "0 0 1 * */3", "UTC", "2026-02-01T00:00Z", "2026-03-01T00:00Z" },
	{ "0 0 1 * */3", "UTC", "2026-03-01T00:00Z", "2026-04-01T00:00Z" },
	/* steps */
	{ "*/15 * * * *", "UTC", "2026-05-05T10:07Z", "2026-05-05T10:15Z" },
	{ "*/15 * * * *", "UTC", "2026-05-05T10:15Z", "2026-05-05T10:30Z" },
	{ "*/15 * * * *", "UTC", "2026-05-05T10:30Z", "2026-05-05T10:45Z" },
	/* range with a step */
	{ "1-10/2 * * * *", "UTC", "2026-05-05T10:08Z", "2026-05-05T10:09Z" },
	{ "1-10/2 * * * *", "UTC", "2026-05-05T10:09Z", "2026-05-05T11:01Z" },
	{ "1-10/2 * * * *", "UTC", "2026-05-05T11:01Z", "2026-05-05T11:03Z" },
	/* a/n is a-max/n */
	{ "5/20 8-9 * * *", "UTC", "2026-05-05T09:30Z", "2026-05-05T09:45Z" },
	{ "5/20 8-9 * * *", "UTC", "2026-05-05T09:45Z", "2026-05-06T08:05Z" },
	{ "5/20 8-9 * * *", "UTC", "2026-05-06T08:05Z", "2026-05-06T08:25Z" },
	/* names, any case */
	{ "0 9 * * MON-fri", "UTC", "2026-05-08T09:00Z", "2026-05-11T09:00Z" },
	{ "0 9 * * MON-fri", "UTC", "2026-05-11T09:00Z", "2026-05-12T09:00Z" },
	/* month names */
	{ "0 12 1 jan,JUL *", "UTC", "2026-02-01T00:00Z", "2026-07-01T12:00Z" },
	{ "0 12 1 jan,JUL *", "UTC", "2026-07-01T12:00Z", "2027-01-01T12:00Z" },
	/* 7 is Sunday */
	{ "0 0 * * 7", "UTC", "2026-05-05T00:00Z", "2026-05-10T00:00Z" },
	/* a range up to 7 */
	{ "0 0 * * 5-7", "UTC", "2026-05-05T00:00Z", "2026-05-08T00:00Z" },
	{ "0 0 * * 5-7", "UTC", "2026-05-08T00:00Z", "2026-05-09T00:00Z" },
	{ "0 0 * * 5-7", "UTC", "2026-05-09T00:00Z", "2026-05-10T00:00Z" },
	{ "0 0 * * 5-7", "UTC", "2026-05-10T00:00Z", "2026-05-15T00:00Z" },
	/* strictly after */
	{ "59 23 31 12 *", "UTC", "2026-12-31T23:59Z", "2027-12-31T23:59Z" },
	{ "@hourly", "UTC", "2026-05-05T10:00Z", "2026-05-05T11:00Z" },
	{ "@daily", "UTC", "2026-05-05T10:00Z", "2026-05-06T00:00Z" },
	{ "@midnight", "UTC", "2026-05-05T10:00Z", "2026-05-06T00:00Z" },
	{ "@weekly", "UTC", "2026-05-05T10:00Z", "2026-05-10T00:00Z" },
	{ "@monthly", "UTC", "2026-05-05T10:00Z", "2026-06-01T00:00Z" },
	{ "@yearly", "UTC", "2026-05-05T10:00Z", "2027-01-01T00:00Z" },
	{ "@annually", "UTC", "2026-05-05T10:00Z", "2027-01-01T00:00Z" },
	/* a half-hour zone */
	{ "0 3 * * *", "Asia/Kolkata", "2026-05-05T00:00Z", "2026-05-05T21:30Z" },
	/* summer time */
	{ "0 3 * * *", "Europe/Paris", "2026-05-05T00:30Z", "2026-05-05T01:00Z" },
	{ "0 3 * * *", "Europe/Paris", "2026-05-05T01:00Z", "2026-05-06T01:00Z" },
	/* Paris: 02:30 skipped runs at the jump */
	{ "30 2 * * *", "Europe/Paris", "2026-03-28T00:00Z", "2026-03-28T01:30Z" },
	{ "30 2 * * *", "Europe/Paris", "2026-03-28T01:30Z", "2026-03-29T01:00Z" },
	{ "30 2 * * *", "Europe/Paris", "2026-03-29T01:00Z", "2026-03-30T00:30Z" },
	/* Paris: skipped quarters make one run */
	{ "*/15 * * * *", "Europe/Paris", "2026-03-29T00:30Z", "2026-03-29T00:45Z" },
	{ "*/15 * * * *", "Europe/Paris", "2026-03-29T00:45Z", "2026-03-29T01:00Z" },
	{ "*/15 * * * *", "Europe/Paris", "2026-03-29T01:00Z", "2026-03-29T01:15Z" },
	{ "*/15 * * * *", "Europe/Paris", "2026-03-29T01:15Z", "2026-03-29T01:30Z" },
	/* Paris: 02:00, 02:30 and 03:00 make one run */
	{ "0,30 2,3 * * *", "Europe/Paris", "2026-03-29T00:00Z", "2026-03-29T01:00Z" },
	{ "0,30 2,3 * * *", "Europe/Paris", "2026-03-29T01:00Z", "2026-03-29T01:30Z" },
	{ "0,30 2,3 * * *", "Europe/Paris", "2026-03-29T01:30Z", "2026-03-30T00:00Z" },
	/* Paris: a minute before the jump */
	{ "0 2 * * *", "Europe/Paris", "2026-03-29T00:59Z", "2026-03-29T01:00Z" },
	/* Paris: 02:30 twice runs once, first */
	{ "30 2 * * *", "Europe/Paris", "2026-10-24T12:00Z", "2026-10-25T00:30Z" },
	{ "30 2 * * *", "Europe/Paris", "2026-10-25T00:30Z", "2026-10-26T01:30Z" },
	{ "30 2 * * *", "Europe/Paris", "2026-10-26T01:30Z", "2026-10-27T01:30Z" },
	/* Paris: nothing in the second pass */
	{ "*/15 * * * *", "Europe/Paris", "2026-10-25T00:30Z", "2026-10-25T00:45Z" },
	{ "*/15 * * * *", "Europe/Paris", "2026-10-25T00:45Z", "2026-10-25T02:00Z" },
	{ "*/15 * * * *", "Europe/Paris", "2026-10-25T02:00Z", "2026-10-25T02:15Z" },
	/* Paris: from inside the second pass */
	{ "* * * * *", "Europe/Paris", "2026-10-25T01:10Z", "2026-10-25T02:00Z" },
	/* NY: 02:30 skipped runs at the jump */
	{ "30 2 * * *", "America/New_York", "2026-03-07T00:00Z", "2026-03-07T07:30Z" },
	{ "30 2 * * *", "America/New_York", "2026-03-07T07:30Z", "2026-03-08T07:00Z" },
	{ "30 2 * * *", "America/New_York", "2026-03-08T07:00Z", "2026-03-09T06:30Z" },
	/* NY: skipped quarters make one run */
	{ "*/15 * * * *", "America/New_York", "2026-03-08T06:30Z", "2026-03-08T06:45Z" },
	{ "*/15 * * * *", "America/New_York", "2026-03-08T06:45Z", "2026-03-08T07:00Z" },
	{ "*/15 * * * *", "America/New_York", "2026-03-08T07:00Z", "2026-03-08T07:15Z" },
	{ "*/15 * * * *", "America/New_York", "2026-03-08T07:15Z", "2026-03-08T07:30Z" },
	/* NY: 02:30 is not repeated */
	{ "30 2 * * *", "America/New_York", "2026-10-31T00:00Z", "2026-10-31T06:30Z" },
	{ "30 2 * * *", "America/New_York", "2026-10-31T06:30Z", "2026-11-01T07:30Z" },
	{ "30 2 * * *", "America/New_York", "2026-11-01T07:30Z", "2026-11-02T07:30Z" },
	/* NY: 01:30 twice runs once, first */
	{ "30 1 * * *", "America/New_York", "2026-10-31T00:00Z", "2026-10-31T05:30Z" },
	{ "30 1 * * *", "America/New_York", "2026-10-31T05:30Z", "2026-11-01T05:30Z" },
	{ "30 1 * * *", "America/New_York", "2026-11-01T05:30Z", "2026-11-02T06:30Z" },
	/* NY: from inside the second pass */
	{ "30 1 * * *", "America/New_York", "2026-11-01T06:10Z", "2026-11-02T06:30Z" },
	/* NY: nothing in the second pass */
	{ "*/15 * * * *", "America/New_York", "2026-11-01T05:30Z", "2026-11-01T05:45Z" },
	{ "*/15 * * * *", "America/New_York", "2026-11-01T05:45Z", "2026-11-01T07:00Z" },
	{ "*/15 * * * *", "America/New_York", "2026-11-01T07:00Z", "2026-11-01T07:15Z" },
	/* Paris 2040: skipped */
	{ "30 2 * * *", "Europe/Paris", "2040-03-24T12:00Z", "2040-03-25T01:00Z" },
	{ "30 2 * * *", "Europe/Paris", "2040-03-25T01:00Z", "2040-03-26T00:30Z" },
	/* Paris 2040: repeated */
	{ "30 2 * * *", "Europe/Paris", "2040-10-27T12:00Z", "2040-10-28T00:30Z" },
	{ "30 2 * * *", "Europe/Paris", "2040-10-28T00:30Z", "2040-10-29T01:30Z" },
	/* Paris 2050 */
	{ "0 0 1 1 *", "Europe/Paris", "2050-06-01T00:00Z", "2050-12-31T23:00Z" },
	/* NY 2045: skipped */
	{ "30 2 * * *", "America/New_York", "2045-03-11T00:00Z", "2045-03-11T07:30Z" },
	{ "30 2 * * *", "America/New_York", "2045-03-11T07:30Z", "2045-03-12T07:00Z" },
	/* Sydney 2041: southern rule */
	{ "0 12 * * *", "Australia/Sydney", "2041-04-06T00:00Z", "2041-04-06T01:00Z" },
	{ "0 12 * * *", "Australia/Sydney", "2041-04-06T01:00Z", "2041-04-07T02:00Z" },
	/* no 30th of February within five years */
	{ "0 0 30 2 *", "UTC", "2026-01-01T00:00Z", "-" },
	{ "0 0 31 4,6,9,11 *", "Europe/Paris", "2026-01-01T00:00Z", "-" },
};

static void
next_runs_match_the_table(void)
{
	struct cron	 c;
	struct tz	*z;
	char		 err[256];
	int64_t		 got;
	size_t		 i;

	for (i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		if (cron_parse(runs[i].expr, &c, err, sizeof(err)) == -1 ||
		    (z = tz_load(runs[i].zone, err, sizeof(err))) == NULL) {
			printf("  %s: %s\n", runs[i].expr, err);
			CHECK(0);
			continue;
		}
		got = cron_next(&c, z, at(runs[i].after));
		if (got != at(runs[i].next)) {
			printf("  \"%s\" in %s after %s: want %s, got %jd\n",
			    runs[i].expr, runs[i].zone, runs[i].after,
			    runs[i].next, (intmax_t)got);
			CHECK(0);
		}
		tz_free(z);
	}
}

/* Chains cron_next over [from, to) and counts the runs, checking that
 * each comes after the one before. */
static int
count_runs(const char *expr, const char *zone, int64_t from, int64_t to)
{
	struct cron	 c;
	struct tz	*z;
	char		 err[256];
	int64_t		 t = from - 60, next;
	int		 n = 0;

	CHECK(cron_parse(expr, &c, err, sizeof(err)) == 0);
	if ((z = tz_load(zone, err, sizeof(err))) == NULL) {
		CHECK(0);
		return -1;
	}
	while ((next = cron_next(&c, z, t)) != -1 && next < to) {
		CHECK(next > t);
		t = next;
		n++;
	}
	tz_free(z);
	return n;
}

static void
every_minute_of_a_short_day_runs_once_each(void)
{
	/* 23 hours of instants; the skipped hour runs once, at 03:00. */
	CHECK_INT(count_runs("* * * * *", "Europe/Paris",
	    at("2026-03-28T23:00Z"), at("2026-03-29T22:00Z")), 23 * 60);
	CHECK_INT(count_runs("* * * * *", "America/New_York",
	    at("2026-03-08T05:00Z"), at("2026-03-09T04:00Z")), 23 * 60);
	CHECK_INT(count_runs("*/15 * * * *", "Europe/Paris",
	    at("2026-03-28T23:00Z"), at("2026-03-29T22:00Z")), 23 * 4);
}

static void
every_minute_of_a_long_day_runs_once_each(void)
{
	/* 25 hours of instants, but each wall minute runs once. */
	CHECK_INT(count_runs("* * * * *", "Europe/Paris",
	    at("2026-10-24T22:00Z"), at("2026-10-25T23:00Z")), 24 * 60);
	CHECK_INT(count_runs("* * * * *", "America/New_York",
	    at("2026-11-01T04:00Z"), at("2026-11-02T05:00Z")), 24 * 60);
}

static void
next_needs_a_sane_instant(void)
{
	struct cron	 c;
	struct tz	*z;
	char		 err[256];

	CHECK(cron_parse("* * * * *", &c, err, sizeof(err)) == 0);
	CHECK((z = tz_load("UTC", err, sizeof(err))) != NULL);
	CHECK_INT(cron_next(&c, z, -1), -1);
	CHECK_INT(cron_next(&c, z, INT64_MIN), -1);
	CHECK_INT(cron_next(&c, z, INT64_MAX), -1);
	CHECK_INT(cron_next(&c, z, 0), 60);
	CHECK_INT(cron_next(&c, z, 59), 60);	/* not on a minute */
	tz_free(z);
}

static void
parse_sets_bits(void)
{
	struct cron	 c;
	char		 err[256];

	CHECK(cron_parse(" */15\t0-3,22 1,15 jan-MAR sun ", &c, err,
	    sizeof(err)) == 0);
	CHECK(c.minute == (1ULL | 1ULL << 15 | 1ULL << 30 | 1ULL << 45));
	CHECK_INT(c.hour, 0xf | 1 << 22);
	CHECK_INT(c.dom, 1 << 1 | 1 << 15);
	CHECK_INT(c.month, 0xe);
	CHECK_INT(c.dow, 1);
	CHECK(!c.dom_star && !c.dow_star);
	CHECK(cron_parse("* * */2 * 7", &c, err, sizeof(err)) == 0);
	CHECK(c.minute == 0x0fffffffffffffffULL);
	CHECK_INT(c.hour, 0xffffff);
	CHECK_INT(c.dom, 0xaaaaaaaa);	/* 1, 3, ..., 31 */
	CHECK_INT(c.month, 0x1ffe);
	CHECK_INT(c.dow, 1);
	CHECK(c.dom_star && !c.dow_star);
	CHECK(cron_parse("0 0 1 * 6-7", &c, err, sizeof(err)) == 0);
	CHECK_INT(c.dow, 1 | 1 << 6);
}

/* Checks that a and b parse to the same line. */
static void
same(const char *a, const char *b)
{
	struct cron	 ca, cb;
	char		 err[256];

	memset(&ca, 0xa5, sizeof(ca));
	memset(&cb, 0xa5, sizeof(cb));
	CHECK(cron_parse(a, &ca, err, sizeof(err)) == 0);
	CHECK(cron_parse(b, &cb, err, sizeof(err)) == 0);
	CHECK(ca.minute == cb.minute && ca.hour == cb.hour &&
	    ca.dom == cb.dom && ca.month == cb.month && ca.dow == cb.dow &&
	    ca.dom_star == cb.dom_star && ca.dow_star == cb.dow_star);
}

static void
at_forms_are_their_lines(void)
{
	same("@hourly", "0 * * * *");
	same("@daily", "0 0 * * *");
	same("@midnight", "0 0 * * *");
	same("  @WEEKLY ", "0 0 * * 0");
	same("@monthly", "0 0 1 * *");
	same("@yearly", "0 0 1 1 *");
	same("@annually", "0 0 1 1 *");
	same("0 0 * * sun-sat", "0 0 * * 0-6");
	same("0 0 * * 0-7", "0 0 * * 1-7");
	same("5/20 * * * *", "5-59/20 * * * *");
	same("0 0 1 dec *", "0 0 1 12 *");
}

static const struct {
	const char	*text, *err;
} refusals[] = {
	{ "61 * * * *", "minute: 61 is out of range 0-59" },
	{ "99999999999999999999 * * * *",
	    "minute: 99999999999999999999 is out of range 0-59" },
	{ "* 24 * * *", "hour: 24 is out of range 0-23" },
	{ "* * 0 * *", "day of month: 0 is out of range 1-31" },
	{ "* * 32 * *", "day of month: 32 is out of range 1-31" },
	{ "* * * 13 *", "month: 13 is out of range 1-12" },
	{ "* * * 0 *", "month: 0 is out of range 1-12" },
	{ "* * * foo *", "month: unknown name \"foo\"" },
	{ "* * * * xyz", "day of week: unknown name \"xyz\"" },
	{ "* * * * sunday", "day of week: unknown name \"sunday\"" },
	{ "* * * * 8", "day of week: 8 is out of range 0-7" },
	{ "mon * * * *", "minute: \"mon\" is not a number" },
	{ "* * * *", "expected 5 fields, got 4" },
	{ "* * * * * *", "expected 5 fields, got 6" },
	{ "", "expected 5 fields, got 0" },
	{ " \t ", "expected 5 fields, got 0" },
	{ "*/0 * * * *", "minute: step 0 is out of range 1-59" },
	{ "*/60 * * * *", "minute: step 60 is out of range 1-59" },
	{ "* * * * */8", "day of week: step 8 is out of range 1-7" },
	{ "*/ * * * *", "minute: a number is missing" },
	{ "30-10 * * * *", "minute: range 30-10 goes backwards" },
	{ "* * * * fri-mon", "day of week: range 5-1 goes backwards" },
	{ "1,,2 * * * *", "minute: a number is missing" },
	{ "1, * * * *", "minute: a number is missing" },
	{ "* * * * mon-", "day of week: a number is missing" },
	{ "1x * * * *", "minute: unexpected \"x\"" },
	{ "** * * * *", "minute: unexpected \"*\"" },
	{ "* * * jan-feb/x *", "month: unexpected \"x\"" },
	{ "* 1-2-3 * * *", "hour: unexpected \"-\"" },
	{ "* * * * \x01", "day of week: unexpected byte 0x01" },
	{ "* * \xc3\xa9 * *", "day of month: unexpected byte 0xc3" },
	{ "@reboot", "unknown @-form; expected @hourly, @daily, @midnight, "
	    "@weekly, @monthly, @yearly or @annually" },
	{ "@daily 0", "unknown @-form; expected @hourly, @daily, @midnight, "
	    "@weekly, @monthly, @yearly or @annually" },
};

static void
parse_refusals_name_the_field(void)
{
	struct cron	 c;
	char		 err[256];
	size_t		 i;

	for (i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
		err[0] = '\0';
		CHECK_INT(cron_parse(refusals[i].text, &c, err, sizeof(err)),
		    -1);
		CHECK_STR(err, refusals[i].err);
	}
}

static void
parse_refuses_long_text(void)
{
	struct cron	 c;
	char		 text[HG_CRON_MAX + 2], err[256];

	memset(text, ' ', sizeof(text));
	memcpy(text, "* * * * *", 9);
	text[HG_CRON_MAX] = '\0';	/* HG_CRON_MAX bytes: fine */
	CHECK_INT(cron_parse(text, &c, err, sizeof(err)), 0);
	text[HG_CRON_MAX] = ' ';
	text[HG_CRON_MAX + 1] = '\0';
	CHECK_INT(cron_parse(text, &c, err, sizeof(err)), -1);
	CHECK_STR(err, "longer than 256 bytes");
}

static const struct unit_test tests[] = {
	UNIT(next_runs_match_the_table),
	UNIT(every_minute_of_a_short_day_runs_once_each),
	UNIT(every_minute_of_a_long_day_runs_once_each),
	UNIT(next_needs_a_sane_instant),
	UNIT(parse_sets_bits),
	UNIT(at_forms_are_their_lines),
	UNIT(parse_refusals_name_the_field),
	UNIT(parse_refuses_long_text),
};

int
main(int argc, char **argv)
{
	UNIT_MAIN(tests, argc, argv);
}
