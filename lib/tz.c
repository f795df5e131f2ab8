/*
 * Time zones from TZif files (RFC 8536) and their POSIX TZ footer.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tz.h"

#define TZ_DIR		"/usr/share/zoneinfo"
/* Real files are a few KiB; a bound before reading a file whole. */
#define TZ_FILE_MAX	(256 * 1024)
#define TZ_TIMES_MAX	10000	/* transitions; real zones have < 300 */
/* Instants past this many seconds either side of the epoch (about
 * 300,000 years) are taken as this, so that no sum can overflow. */
#define TZ_FAR		10000000000000LL

/* A footer rule's day: Jn (1-365, no Feb 29), n (0-365) or Mm.w.d. */
struct tzdate {
	char	 kind;		/* 'J', 'N' or 'M' */
	int	 n, m, w, d;
	int32_t	 secs;		/* local time of day of the change */
};

struct tz {
	int32_t		 off0;	/* before the first transition */
	int32_t		 std;	/* the footer's offsets, east */
	int32_t		 dst;
	int		 has_rule;	/* else the last transition holds */
	int		 has_dst;
	struct tzdate	 start, end;
	size_t		 n;
	int32_t		*off;	/* off[i] from at[i] on */
	int64_t		 at[];	/* ascending */
};

int64_t
tz_days(int64_t y, int m, int d)
{
	int64_t	 era, yoe, doy, doe;

	/* Howard Hinnant's days_from_civil: years start in March. */
	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void
tz_civil(int64_t days, int64_t *y, int *m, int *d)
{
	int64_t	 era, doe, yoe, doy, mp;

	days += 719468;
	era = (days >= 0 ? days : days - 146096) / 146097;
	doe = days - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int
leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days since the epoch on which rule day r falls in year y. */
static int64_t
rule_day(const struct tzdate *r, int64_t y)
{
	int64_t	 jan1 = tz_days(y, 1, 1), first, day, next;
	int	 wday;

	if (r->kind == 'J')
		return jan1 + r->n - 1 + (leap(y) && r->n >= 60);
	if (r->kind == 'N')
		return jan1 + r->n;
	first = tz_days(y, r->m, 1);
	next = r->m == 12 ? tz_days(y + 1, 1, 1) : tz_days(y, r->m + 1, 1);
	wday = (int)(((first + 4) % 7 + 7) % 7);	/* 1970-01-01: Thu */
	day = first + (r->d - wday + 7) % 7 + 7 * (r->w - 1);
	while (day >= next)	/* week 5 is "the last" */
		day -= 7;
	return day;
}

/* The footer's offset at t. */
static int32_t
rule_offset(const struct tz *z, int64_t t)
{
	int64_t	 y, s, e;
	int	 m, d;

	if (!z->has_dst)
		return z->std;
	tz_civil((t + z->std) / 86400 - ((t + z->std) % 86400 < 0), &y, &m,
	    &d);
	/* Each change's time of day is in the time it ends. */
	s = rule_day(&z->start, y) * 86400 + z->start.secs - z->std;
	e = rule_day(&z->end, y) * 86400 + z->end.secs - z->dst;
	if (s < e)
		return t >= s && t < e ? z->dst : z->std;
	return t >= e && t < s ? z->std : z->dst;	/* southern */
}

int64_t
tz_offset(const struct tz *z, int64_t t)
{
	size_t	 lo, hi, mid;

	if (t > TZ_FAR)
		t = TZ_FAR;
	if (t < -TZ_FAR)
		t = -TZ_FAR;
	if (z->n > 0 && t < z->at[0])
		return z->off0;
	if (z->n == 0 || t >= z->at[z->n - 1]) {
		if (z->has_rule)
			return rule_offset(z, t);
		return z->n > 0 ? z->off[z->n - 1] : z->off0;
	}
	lo = 0;		/* at[lo] <= t < at[hi] */
	hi = z->n - 1;
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (z->at[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return z->off[lo];
}

int64_t
tz_first_utc(const struct tz *z, int64_t w)
{
	int64_t	 oa, ob, ta, tb, lo, hi, mid;

	/* The offsets a day either side; real zones never change twice
	 * within two days. */
	oa = tz_offset(z, w - 86400);
	ob = tz_offset(z, w + 86400);
	ta = w - oa;
	tb = w - ob;
	if (tz_offset(z, ta) == oa && (tz_offset(z, tb) != ob || ta <= tb))
		return ta;
	if (tz_offset(z, tb) == ob)
		return tb;
	/* Skipped: the jump is between tb and ta; find its instant, the
	 * first t whose wall time t + offset reaches w. */
	lo = ta < tb ? ta : tb;
	hi = ta < tb ? tb : ta;
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (mid + tz_offset(z, mid) >= w)
			hi = mid;
		else
			lo = mid;
	}
	return hi;
}

/* Reads [+-]h[h[h]][:mm[:ss]] of at most maxh hours into *secs. */
static const char *
rule_secs(const char *p, int maxh, int32_t *secs)
{
	int	 sign = 1, part[3] = { 0, 0, 0 }, i, k;

	if (*p == '+' || *p == '-')
		sign = *p++ == '-' ? -1 : 1;
	for (i = 0; i < 3; i++) {
		if (i > 0 && *p != ':')
			break;
		if (i > 0)
			p++;
		for (k = 0; k < 3 && *p >= '0' && *p <= '9'; k++)
			part[i] = part[i] * 10 + (*p++ - '0');
		if (k == 0 || (i > 0 && (k > 2 || part[i] > 59)))
			return NULL;
	}
	if (part[0] > maxh)
		return NULL;
	*secs = sign * (part[0] * 3600 + part[1] * 60 + part[2]);
	return p;
}

/* Skips a zone abbreviation: 3 or more letters, or <...>. */
static const char *
rule_name(const char *p)
{
	const char	*q = p;

	if (*p == '<')
		return (q = strchr(p, '>')) == NULL ? NULL : q + 1;
	while ((*q >= 'A' && *q <= 'Z') || (*q >= 'a' && *q <= 'z'))
		q++;
	return q - p >= 3 ? q : NULL;
}

static int
num(const char **pp, int lo, int hi, int *out)
{
	const char	*p = *pp;
	int		 v = 0, k;

	for (k = 0; k < 3 && *p >= '0' && *p <= '9'; k++)
		v = v * 10 + (*p++ - '0');
	*pp = p;
	*out = v;
	return k > 0 && v >= lo && v <= hi ? 0 : -1;
}

/* Reads ",date[/time]" into *r. */
static const char *
rule_date(const char *p, struct tzdate *r)
{
	if (*p++ != ',')
		return NULL;
	r->kind = *p == 'J' || *p == 'M' ? *p++ : 'N';
	if (r->kind == 'J' && num(&p, 1, 365, &r->n) == -1)
		return NULL;
	if (r->kind == 'N' && num(&p, 0, 365, &r->n) == -1)
		return NULL;
	if (r->kind == 'M' && (num(&p, 1, 12, &r->m) == -1 || *p++ != '.' ||
	    num(&p, 1, 5, &r->w) == -1 || *p++ != '.' ||
	    num(&p, 0, 6, &r->d) == -1))
		return NULL;
	r->secs = 7200;
	if (*p == '/')	/* RFC 8536 allows -167 to 167 hours */
		return rule_secs(p + 1, 167, &r->secs);
	return p;
}

/* Parses a POSIX TZ string ("CET-1CEST,M3.5.0,M10.5.0/3") into z;
 * empty means no rule. Returns 0 or -1. */
static int
rule_parse(struct tz *z, const char *p)
{
	int32_t	 s;

	if (*p == '\0')
		return 0;
	if ((p = rule_name(p)) == NULL || (p = rule_secs(p, 24, &s)) == NULL)
		return -1;
	z->has_rule = 1;
	z->std = z->dst = -s;	/* POSIX counts west */
	if (*p == '\0')
		return 0;
	if ((p = rule_name(p)) == NULL)
		return -1;
	z->has_dst = 1;
	z->dst = z->std + 3600;
	if (*p != ',' && *p != '\0') {
		if ((p = rule_secs(p, 24, &s)) == NULL)
			return -1;
		z->dst = -s;
	}
	if ((p = rule_date(p, &z->start)) == NULL ||
	    (p = rule_date(p, &z->end)) == NULL)
		return -1;
	return *p == '\0' ? 0 : -1;
}

static int64_t
be(const unsigned char *p, int n)
{
	uint64_t	 v = 0;
	int		 i;

	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	if (n == 4)
		return (int32_t)(uint32_t)v;
	return (int64_t)v;
}

/* Parses TZif bytes b[0..len). Returns a zone or NULL. */
static struct tz *
tzif_parse(const unsigned char *b, size_t len)
{
	const unsigned char	*p, *end = b + len, *times, *types, *idx, *nl;
	struct tz		*z;
	int64_t			 c[6];	/* isut isstd leap time type char */
	size_t			 i, skip;
	char			 footer[128];

	if (len < 44 || memcmp(b, "TZif", 4) != 0 || b[4] < '2')
		return NULL;
	for (i = 0; i < 6; i++)
		if ((c[i] = be(b + 20 + 4 * i, 4)) < 0)
			return NULL;
	skip = c[3] * 5 + c[4] * 6 + c[5] + c[2] * 8 + c[1] + c[0];
	if (skip > len - 44 || len - 44 - skip < 44)
		return NULL;
	p = b + 44 + skip;	/* the version 2 header */
	if (memcmp(p, "TZif", 4) != 0)
		return NULL;
	for (i = 0; i < 6; i++)
		if ((c[i] = be(p + 20 + 4 * i, 4)) < 0)
			return NULL;
	p += 44;
	/* Leap-second files ("right/") count TAI, not UTC: refused. */
	if (c[2] != 0 || c[4] < 1 || c[4] > 256 || c[3] > TZ_TIMES_MAX ||
	    (size_t)(end - p) < (size_t)(c[3] * 9 + c[4] * 6 + c[5] + c[1] +
	    c[0]) + 2)
		return NULL;
	times = p;
	idx = times + c[3] * 8;
	types = idx + c[3];
	p = types + c[4] * 6 + c[5] + c[1] + c[0];
	if (*p != '\n' || (nl = memchr(p + 1, '\n', end - p - 1)) == NULL ||
	    (size_t)(nl - p - 1) >= sizeof(footer))
		return NULL;
	memcpy(footer, p + 1, nl - p - 1);
	footer[nl - p - 1] = '\0';
	if ((z = calloc(1, sizeof(*z) + c[3] * (8 + 4))) == NULL)
		return NULL;
	z->n = c[3];
	z->off = (int32_t *)(z->at + z->n);
	z->off0 = be(types, 4);
	for (i = 0; i < z->n; i++) {
		z->at[i] = be(times + 8 * i, 8);
		if (idx[i] >= c[4] || (i > 0 && z->at[i] <= z->at[i - 1]))
			goto bad;
		z->off[i] = be(types + 6 * idx[i], 4);
	}
	if (rule_parse(z, footer) == 0)
		return z;
bad:
	free(z);
	return NULL;
}

/* Reads path whole into a malloc'd buffer; NULL with errno. */
static unsigned char *
slurp(const char *path, size_t *len)
{
	struct stat	 st;
	unsigned char	*buf = NULL;
	ssize_t		 n;
	size_t		 got = 0;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	if (fstat(fd, &st) == -1)
		goto out;
	if (!S_ISREG(st.st_mode) || st.st_size > TZ_FILE_MAX) {
		errno = ENOENT;
		goto out;
	}
	if ((buf = malloc(st.st_size + 1)) == NULL)
		goto out;
	while (got < (size_t)st.st_size) {
		n = read(fd, buf + got, st.st_size - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += n;
	}
	*len = got;
out:
	close(fd);
	return buf;
}

/* Returns 0 if a client may name this zone, else -1 with err set. */
static int
name_ok(const char *name, char *err, size_t errlen)
{
	size_t	 len = strnlen(name, HG_TZ_NAME_MAX + 1), i;

	if (len == 0 || len > HG_TZ_NAME_MAX) {
		snprintf(err, errlen, "must be 1 to %d bytes",
		    HG_TZ_NAME_MAX);
		return -1;
	}
	if (name[0] == '/' || strstr(name, "..") != NULL) {
		snprintf(err, errlen, "must not start with / or "
		    "hold \"..\"");
		return -1;
	}
	for (i = 0; i < len; i++)
		if (strchr("_+-/", name[i]) == NULL &&
		    !(name[i] >= 'A' && name[i] <= 'Z') &&
		    !(name[i] >= 'a' && name[i] <= 'z') &&
		    !(name[i] >= '0' && name[i] <= '9')) {
			snprintf(err, errlen, "only letters, "
			    "digits and _+-/ are allowed");
			return -1;
		}
	return 0;
}

int
tz_name_canonical(const char *name, char *err, size_t errlen)
{
	size_t	 len = strlen(name);

	/* The same file under another name: not the database's name. */
	if (strstr(name, "//") != NULL || (len > 0 && name[len - 1] == '/')) {
		snprintf(err, errlen, "must not hold an empty part "
		    "between slashes");
		return -1;
	}
	/* Copies of the database: posix/ is the same again, and right/
	 * counts leap seconds, 27 s off the clock everyone keeps. */
	if (strncmp(name, "posix/", 6) == 0 ||
	    strncmp(name, "right/", 6) == 0) {
		snprintf(err, errlen, "names a copy of the database; give "
		    "the zone's own name (\"%.64s\")", name + 6);
		return -1;
	}
	return 0;
}

struct tz *
tz_load_dir(const char *dir, const char *name, char *err, size_t errlen)
{
	unsigned char	*buf = NULL;
	struct tz	*z = NULL;
	char		 path[4096];
	size_t		 len = 0;
	int		 n;

	if (name_ok(name, err, errlen) == -1)
		return NULL;
	/* Files of the folder that name no zone of the database: the
	 * host's own zone (a link to /etc/localtime) and the POSIX
	 * rules' template. */
	if (strcmp(name, "localtime") == 0 ||
	    strcmp(name, "posixrules") == 0) {
		snprintf(err, errlen, "unknown time zone \"%s\"", name);
		return NULL;
	}
	n = snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (n > 0 && (size_t)n < sizeof(path) &&
	    (buf = slurp(path, &len)) != NULL)
		z = tzif_parse(buf, len);
	free(buf);
	if (z == NULL && strcmp(name, "UTC") == 0)
		z = calloc(1, sizeof(*z));	/* offset 0, no rule */
	if (z == NULL)
		snprintf(err, errlen, "unknown time zone \"%s\"", name);
	return z;
}

struct tz *
tz_load(const char *name, char *err, size_t errlen)
{
	return tz_load_dir(TZ_DIR, name, err, errlen);
}

void
tz_free(struct tz *z)
{
	free(z);
}
