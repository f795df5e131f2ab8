/*
 * lib/tz: offsets of IANA zones from the system's tzdata, against
 * values from Python's zoneinfo; names a client may not use; "slim"
 * files that hold only a footer rule; and zones shared by threads.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "tz.h"
#include "tz_unit.h"
#include "unit.h"

/* From Python: datetime.fromtimestamp(t, ZoneInfo(zone)).utcoffset(). */
static const struct {
	const char	*zone, *at;
	int64_t		 off;
} offsets[] = {
	{ "Europe/Paris", "2026-03-29T00:59Z", 3600 },
	{ "Europe/Paris", "2026-03-29T01:00Z", 7200 },
	{ "Europe/Paris", "2026-10-25T00:59Z", 7200 },
	{ "Europe/Paris", "2026-10-25T01:00Z", 3600 },
	{ "America/New_York", "2026-03-08T06:59Z", -18000 },
	{ "America/New_York", "2026-03-08T07:00Z", -14400 },
	{ "America/New_York", "2026-11-01T05:59Z", -14400 },
	{ "America/New_York", "2026-11-01T06:00Z", -18000 },
	{ "Europe/Paris", "1900-01-01T00:00Z", 561 },	/* before all */
	/* After the last transition: the footer's rule. */
	{ "Europe/Paris", "2100-07-01T00:00Z", 7200 },
	{ "Europe/Paris", "2100-12-01T00:00Z", 3600 },
	{ "America/New_York", "2200-07-01T00:00Z", -14400 },
	{ "Australia/Sydney", "2040-01-01T00:00Z", 39600 },
	{ "Australia/Sydney", "2040-07-01T00:00Z", 36000 },
	{ "Asia/Kolkata", "2026-01-01T00:00Z", 19800 },
	{ "Pacific/Chatham", "2045-01-01T00:00Z", 49500 },
	{ "America/Sao_Paulo", "2045-01-01T00:00Z", -10800 },
	/* Negative daylight saving: "IST-1GMT0,M10.5.0,M3.5.0/1". */
	{ "Europe/Dublin", "2045-01-01T00:00Z", 0 },
	{ "Europe/Dublin", "2045-07-01T00:00Z", 3600 },
	{ "Africa/Casablanca", "2026-03-01T00:00Z", 0 },
	{ "UTC", "2026-03-01T00:00Z", 0 },
};

static void
offsets_match_zoneinfo(void)
{
	struct tz	*z;
	char		 err[256];
	size_t		 i;

	for (i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
		if ((z = tz_load(offsets[i].zone, err, sizeof(err))) == NULL) {
			printf("  %s\n", err);
			CHECK(0);
			continue;
		}
		if (tz_offset(z, at(offsets[i].at)) != offsets[i].off) {
			printf("  %s at %s\n", offsets[i].zone, offsets[i].at);
			CHECK_INT(tz_offset(z, at(offsets[i].at)),
			    offsets[i].off);
		}
		tz_free(z);
	}
}

static void
first_utc_of_skipped_and_repeated_times(void)
{
	struct tz	*z;
	char		 err[256];

	CHECK((z = tz_load("Europe/Paris", err, sizeof(err))) != NULL);
	/* Wall times are given as if they were UTC. */
	CHECK_INT(tz_first_utc(z, at("2026-03-29T01:59Z")),
	    at("2026-03-29T00:59Z"));
	CHECK_INT(tz_first_utc(z, at("2026-03-29T02:00Z")),
	    at("2026-03-29T01:00Z"));
	CHECK_INT(tz_first_utc(z, at("2026-03-29T02:59Z")),
	    at("2026-03-29T01:00Z"));
	CHECK_INT(tz_first_utc(z, at("2026-03-29T03:00Z")),
	    at("2026-03-29T01:00Z"));
	CHECK_INT(tz_first_utc(z, at("2026-03-29T03:01Z")),
	    at("2026-03-29T01:01Z"));
	CHECK_INT(tz_first_utc(z, at("2026-10-25T02:30Z")),
	    at("2026-10-25T00:30Z"));
	CHECK_INT(tz_first_utc(z, at("2026-10-25T03:00Z")),
	    at("2026-10-25T02:00Z"));
	CHECK_INT(tz_first_utc(z, at("2100-01-01T00:00Z")),
	    at("2099-12-31T23:00Z"));
	tz_free(z);
}

static void
names_are_the_databases_own(void)
{
	static const struct {
		const char	*name, *err;
	} bad[] = {
		{ "Europe//Paris", "must not hold an empty part between "
		    "slashes" },
		{ "Europe/Paris/", "must not hold an empty part between "
		    "slashes" },
		{ "posix/Europe/Paris", "names a copy of the database; give "
		    "the zone's own name (\"Europe/Paris\")" },
		{ "right/UTC", "names a copy of the database; give the "
		    "zone's own name (\"UTC\")" },
	};
	char		 err[256];
	struct tz	*z;
	size_t		 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		CHECK_INT(tz_name_canonical(bad[i].name, err, sizeof(err)), -1);
		CHECK_STR(err, bad[i].err);
	}
	CHECK_INT(tz_name_canonical("Europe/Paris", err, sizeof(err)), 0);
	CHECK_INT(tz_name_canonical("UTC", err, sizeof(err)), 0);
	/* A schedule stored with one before the check still loads. */
	z = tz_load("Europe//Paris", err, sizeof(err));
	CHECK(z != NULL);
	tz_free(z);
}

static void
names_from_clients_are_checked(void)
{
	static const struct {
		const char	*name, *err;
	} bad[] = {
		{ "../../etc/passwd", "must not start with / or hold "
		    "\"..\"" },
		{ "Europe/../UTC", "must not start with / or hold "
		    "\"..\"" },
		{ "/etc/localtime", "must not start with / or hold "
		    "\"..\"" },
		{ "Europe/Paris\n", "only letters, digits and "
		    "_+-/ are allowed" },
		{ "zone.tab", "only letters, digits and _+-/ are "
		    "allowed" },
		{ "Europe Paris", "only letters, digits and _+-/ "
		    "are allowed" },
		{ "", "must be 1 to 64 bytes" },
		{ "Europe/", "unknown time zone \"Europe/\"" },
		{ "Mars/Olympus", "unknown time zone \"Mars/Olympus\"" },
		{ "Europe", "unknown time zone \"Europe\"" },	/* a folder */
		{ "utc", "unknown time zone \"utc\"" },
		/* In the folder, but the host's zone and a template. */
		{ "localtime", "unknown time zone \"localtime\"" },
		{ "posixrules", "unknown time zone \"posixrules\"" },
	};
	char		 err[256], long_name[HG_TZ_NAME_MAX + 2];
	size_t		 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		CHECK(tz_load(bad[i].name, err, sizeof(err)) == NULL);
		CHECK_STR(err, bad[i].err);
	}
	memset(long_name, 'A', sizeof(long_name));
	long_name[HG_TZ_NAME_MAX + 1] = '\0';
	CHECK(tz_load(long_name, err, sizeof(err)) == NULL);
	CHECK_STR(err, "must be 1 to 64 bytes");
	tz_free(NULL);
}

static void
utc_needs_no_file(void)
{
	struct tz	*z;
	char		 err[256];

	CHECK((z = tz_load_dir(unit_dir, "UTC", err, sizeof(err))) != NULL);
	CHECK_INT(tz_offset(z, 0), 0);
	CHECK_INT(tz_first_utc(z, 1234567), 1234567);
	tz_free(z);
	CHECK(tz_load_dir(unit_dir, "Etc/UTC", err, sizeof(err)) == NULL);
}

/* Writes a TZif version 2 file with one time type of offset off0, no
 * transitions and the footer rule, as "zic -b slim" does for zones with
 * a rule from 1970 on; len bytes of it, to cut it short. */
static void
write_slim(const char *name, int32_t off0, const char *rule, size_t len)
{
	unsigned char	 b[512], *p = b;
	char		 path[4200];
	FILE		*f;
	int		 v;

	for (v = 0; v < 2; v++) {	/* v1 block, then v2 */
		memset(p, 0, 44);
		memcpy(p, "TZif2", 5);
		p[39] = 1;	/* typecnt; all other counts 0 */
		p[43] = 4;	/* charcnt */
		p += 44;
		*p++ = (uint32_t)off0 >> 24;
		*p++ = (uint32_t)off0 >> 16;
		*p++ = (uint32_t)off0 >> 8;
		*p++ = (uint32_t)off0;
		*p++ = 0;	/* isdst */
		*p++ = 0;	/* desigidx */
		memcpy(p, "XYZ", 4);
		p += 4;
	}
	p += snprintf((char *)p, b + sizeof(b) - p, "\n%s\n", rule);
	snprintf(path, sizeof(path), "%s/%s", unit_dir, name);
	if ((f = fopen(path, "w")) == NULL)
		abort();
	fwrite(b, 1, len < (size_t)(p - b) ? len : (size_t)(p - b), f);
	fclose(f);
}

/* Writes a slim file and loads it. */
static struct tz *
slim(const char *name, int32_t off0, const char *rule)
{
	struct tz	*z;
	char		 err[256];

	write_slim(name, off0, rule, 512);
	if ((z = tz_load_dir(unit_dir, name, err, sizeof(err))) == NULL)
		printf("  %s: %s\n", rule, err);
	CHECK(z != NULL);
	return z;
}

static void
slim_files_use_the_footer(void)
{
	struct tz	*z;

	if ((z = slim("Paris", 3600, "CET-1CEST,M3.5.0,M10.5.0/3")) == NULL)
		return;
	CHECK_INT(tz_offset(z, at("2026-03-29T00:59Z")), 3600);
	CHECK_INT(tz_offset(z, at("2026-03-29T01:00Z")), 7200);
	CHECK_INT(tz_offset(z, at("2026-10-25T00:59Z")), 7200);
	CHECK_INT(tz_offset(z, at("2026-10-25T01:00Z")), 3600);
	tz_free(z);
	if ((z = slim("NY", -18000, "EST5EDT,M3.2.0,M11.1.0")) == NULL)
		return;
	CHECK_INT(tz_offset(z, at("2026-03-08T06:59Z")), -18000);
	CHECK_INT(tz_offset(z, at("2026-03-08T07:00Z")), -14400);
	CHECK_INT(tz_offset(z, at("2026-11-01T05:59Z")), -14400);
	CHECK_INT(tz_offset(z, at("2026-11-01T06:00Z")), -18000);
	tz_free(z);
	/* Southern: summer time spans the new year. */
	if ((z = slim("Sydney", 36000, "AEST-10AEDT,M10.1.0,M4.1.0/3")) ==
	    NULL)
		return;
	CHECK_INT(tz_offset(z, at("2026-04-04T15:59Z")), 39600);
	CHECK_INT(tz_offset(z, at("2026-04-04T16:00Z")), 36000);
	CHECK_INT(tz_offset(z, at("2026-10-03T15:59Z")), 36000);
	CHECK_INT(tz_offset(z, at("2026-10-03T16:00Z")), 39600);
	tz_free(z);
	/* Quoted names, no daylight saving, minutes. */
	if ((z = slim("Kolkata", 19800, "<+0530>-5:30")) == NULL)
		return;
	CHECK_INT(tz_offset(z, at("2026-07-01T00:00Z")), 19800);
	tz_free(z);
	/* Julian days: J60 is March 1st, leap year or not. */
	if ((z = slim("Jul", 0, "AAA0BBB,J60/0,J305/0")) == NULL)
		return;
	CHECK_INT(tz_offset(z, at("2028-02-29T23:59Z")), 0);
	CHECK_INT(tz_offset(z, at("2028-03-01T00:00Z")), 3600);
	tz_free(z);
	/* Zero-based days count Feb 29: day 59 is Feb 29 in 2028. */
	if ((z = slim("Zero", 0, "AAA0BBB,59/0,304/0")) == NULL)
		return;
	CHECK_INT(tz_offset(z, at("2028-02-28T23:59Z")), 0);
	CHECK_INT(tz_offset(z, at("2028-02-29T00:00Z")), 3600);
	tz_free(z);
}

static void
broken_files_are_unknown(void)
{
	static const char	*rules[] = {
		"CET-1CEST,M3.5.0",		/* no end */
		"CET-1CEST,M13.5.0,M10.5.0",	/* month 13 */
		"CET-1CEST,M3.5.0,M10.5.0/200",	/* 200 hours */
		"C-1",				/* name too short */
		"CET",				/* no offset */
		"<CET-1",			/* unclosed */
	};
	char		 err[256];
	size_t		 i;

	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		write_slim("Bad", 3600, rules[i], 512);
		CHECK(tz_load_dir(unit_dir, "Bad", err, sizeof(err)) == NULL);
		CHECK_STR(err, "unknown time zone \"Bad\"");
	}
	for (i = 0; i < 110; i += 7) {	/* cut anywhere */
		write_slim("Cut", 3600, "CET-1CEST,M3.5.0,M10.5.0/3", i);
		CHECK(tz_load_dir(unit_dir, "Cut", err, sizeof(err)) == NULL);
	}
}

struct shared {
	const struct tz	*z;
	int64_t		 sum;
};

static void *
convert(void *arg)
{
	struct shared	*s = arg;
	int64_t		 t;

	for (t = at("2026-01-01T00:00Z"); t < at("2027-01-01T00:00Z");
	    t += 600)
		s->sum += tz_offset(s->z, t) + tz_first_utc(s->z, t) - t;
	return NULL;
}

static void
threads_share_a_zone(void)
{
	struct shared	 s[4];
	pthread_t	 th[4];
	struct tz	*z;
	char		 err[256];
	int		 i;

	CHECK((z = tz_load("Europe/Paris", err, sizeof(err))) != NULL);
	for (i = 0; i < 4; i++) {
		s[i].z = z;
		s[i].sum = 0;
		CHECK(pthread_create(&th[i], NULL, convert, &s[i]) == 0);
	}
	for (i = 0; i < 4; i++)
		CHECK(pthread_join(th[i], NULL) == 0);
	for (i = 1; i < 4; i++)
		CHECK(s[i].sum == s[0].sum);
	tz_free(z);
}

static const struct unit_test tests[] = {
	UNIT(offsets_match_zoneinfo),
	UNIT(first_utc_of_skipped_and_repeated_times),
	UNIT(names_from_clients_are_checked),
	UNIT(names_are_the_databases_own),
	UNIT(utc_needs_no_file),
	UNIT(slim_files_use_the_footer),
	UNIT(broken_files_are_unknown),
	UNIT(threads_share_a_zone),
};

int
main(int argc, char **argv)
{
	UNIT_MAIN(tests, argc, argv);
}
