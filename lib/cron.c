/*
 * Cron lines: parsing, and the next run in a time zone.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cron.h"

/* 3000-01-01T00:00:00Z: later instants have no next run, so that no
 * sum below can overflow whatever a caller passes. */
#define CRON_T_MAX	32503680000LL
#define CRON_SPACE	" \t\r\n\v\f"

struct field {
	const char	*name;		/* as messages call it */
	int		 min, max;
	const char	*names;		/* 3-letter names of min.. or NULL */
};

static const struct field fields[5] = {
	{ "minute", 0, 59, NULL },
	{ "hour", 0, 23, NULL },
	{ "day of month", 1, 31, NULL },
	{ "month", 1, 12, "janfebmaraprmayjunjulaugsepoctnovdec" },
	{ "day of week", 0, 7, "sunmontuewedthufrisat" },
};

/* The @-forms, as Vixie cron spells them out. */
static const struct {
	const char	*at, *line;
} ats[] = {
	{ "@hourly", "0 * * * *" },
	{ "@daily", "0 0 * * *" },
	{ "@midnight", "0 0 * * *" },
	{ "@weekly", "0 0 * * 0" },
	{ "@monthly", "0 0 1 * *" },
	{ "@yearly", "0 0 1 1 *" },
	{ "@annually", "0 0 1 1 *" },
};

static int
digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

static int
alpha(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

/* Says what is wrong at p (end: nothing there); returns -1. */
static int
unexpected(const struct field *f, const char *p, const char *end,
    char *err, size_t errlen)
{
	unsigned char	 ch = p < end ? *p : 0;

	if (p == end)
		snprintf(err, errlen, "%s: a number is missing", f->name);
	else if (ch > ' ' && ch < 0x7f)
		snprintf(err, errlen, "%s: unexpected \"%c\"", f->name, ch);
	else
		snprintf(err, errlen, "%s: unexpected byte 0x%02x", f->name,
		    ch);
	return -1;
}

/* Reads digits at *pp into *v (capped, so never overflows); returns
 * how many there were. */
static size_t
number(const char **pp, const char *end, int *v)
{
	const char	*p = *pp;
	size_t		 n;

	*v = 0;
	while (p < end && digit(*p)) {
		if (*v < 100000)
			*v = *v * 10 + (*p - '0');
		p++;
	}
	n = p - *pp;
	*pp = p;
	return n;
}

/* Reads a number or a name of field f at *pp into *v. */
static int
value(const struct field *f, const char **pp, const char *end, int *v,
    char *err, size_t errlen)
{
	const char	*p = *pp, *q = p;
	size_t		 i;

	if (p < end && digit(*p)) {
		number(&q, end, v);
		if (*v < f->min || *v > f->max) {
			snprintf(err, errlen, "%s: %.*s is out of range "
			    "%d-%d", f->name, (int)(q - p),
			    p, f->min, f->max);
			return -1;
		}
		*pp = q;
		return 0;
	}
	if (p == end || !alpha(*p))
		return unexpected(f, p, end, err, errlen);
	while (q < end && alpha(*q))
		q++;
	for (i = 0; f->names != NULL && q - p == 3 &&
	    i < strlen(f->names) / 3; i++)
		if (strncasecmp(p, f->names + 3 * i, 3) == 0) {
			*v = f->min + (int)i;
			*pp = q;
			return 0;
		}
	snprintf(err, errlen, f->names != NULL ? "%s: unknown name \"%.*s\"" :
	    "%s: \"%.*s\" is not a number", f->name,
	    (int)(q - p), p);
	return -1;
}

/* Adds the values of one list item [p, end) of field f to *bits. */
static int
item(const struct field *f, const char *p, const char *end, uint64_t *bits,
    char *err, size_t errlen)
{
	const char	*q;
	int		 lo, hi, step = 1, v;

	if (p < end && *p == '*') {
		lo = f->min;
		hi = f->max;
		p++;
	} else {
		if (value(f, &p, end, &lo, err, errlen) == -1)
			return -1;
		hi = lo;
		if (p < end && *p == '-') {
			p++;
			if (value(f, &p, end, &hi, err, errlen) == -1)
				return -1;
		} else if (p < end && *p == '/')
			hi = f->max;
	}
	if (p < end && *p == '/') {
		q = ++p;
		if (number(&p, end, &step) == 0)
			return unexpected(f, p, end, err, errlen);
		if (step < 1 || step > f->max) {
			snprintf(err, errlen, "%s: step %.*s is out of range "
			    "1-%d", f->name, (int)(p - q), q,
			    f->max);
			return -1;
		}
	}
	if (p != end)
		return unexpected(f, p, end, err, errlen);
	if (lo > hi) {
		snprintf(err, errlen, "%s: range %d-%d goes backwards",
		    f->name, lo, hi);
		return -1;
	}
	for (v = lo; v <= hi; v += step)
		*bits |= (uint64_t)1 << v;
	return 0;
}

/* Parses field f, the text [p, end), into *bits. */
static int
field(const struct field *f, const char *p, const char *end, uint64_t *bits,
    char *err, size_t errlen)
{
	const char	*comma;

	*bits = 0;
	for (;;) {
		if ((comma = memchr(p, ',', end - p)) == NULL)
			comma = end;
		if (item(f, p, comma, bits, err, errlen) == -1)
			return -1;
		if (comma == end)
			return 0;
		p = comma + 1;
	}
}

/* Parses an @-form at text (no leading space). */
static int
at_form(const char *text, struct cron *c, char *err, size_t errlen)
{
	size_t	 len = strcspn(text, CRON_SPACE), i;

	if (text[len + strspn(text + len, CRON_SPACE)] == '\0')
		for (i = 0; i < sizeof(ats) / sizeof(ats[0]); i++)
			if (strlen(ats[i].at) == len &&
			    strncasecmp(text, ats[i].at, len) == 0)
				return cron_parse(ats[i].line, c, err, errlen);
	snprintf(err, errlen, "unknown @-form; expected @hourly, @daily, "
	    "@midnight, @weekly, @monthly, @yearly or @annually");
	return -1;
}

int
cron_parse(const char *text, struct cron *c, char *err, size_t errlen)
{
	const char	*start[5], *end[5], *p = text;
	uint64_t	 bits[5];
	int		 n = 0, i;

	if (strnlen(text, HG_CRON_MAX + 1) > HG_CRON_MAX) {
		snprintf(err, errlen, "longer than %d bytes", HG_CRON_MAX);
		return -1;
	}
	p += strspn(p, CRON_SPACE);
	if (*p == '@')
		return at_form(p, c, err, errlen);
	while (*p != '\0') {
		if (n < 5)
			start[n] = p;
		p += strcspn(p, CRON_SPACE);
		if (n < 5)
			end[n] = p;
		n++;
		p += strspn(p, CRON_SPACE);
	}
	if (n != 5) {
		snprintf(err, errlen, "expected 5 fields, got %d", n);
		return -1;
	}
	for (i = 0; i < 5; i++)
		if (field(&fields[i], start[i], end[i], &bits[i], err,
		    errlen) == -1)
			return -1;
	memset(c, 0, sizeof(*c));
	c->minute = bits[0];
	c->hour = bits[1];
	c->dom = bits[2];
	c->month = bits[3];
	c->dow = (bits[4] | bits[4] >> 7) & 0x7f;	/* 7 is Sunday */
	c->dom_star = *start[2] == '*';
	c->dow_star = *start[4] == '*';
	return 0;
}

/* Whether day mday (1-31), weekday wday (0 Sunday) matches. */
static int
day_ok(const struct cron *c, int mday, int wday)
{
	int	 dom = c->dom >> mday & 1, dow = c->dow >> wday & 1;

	/* Vixie cron: a day field that begins with '*', even with a
	 * step, makes both count; else one is enough. */
	if (c->dom_star || c->dow_star)
		return dom && dow;
	return dom || dow;
}

/* The first run on the local day that starts at wall time base whose
 * wall time is w0 or later and whose instant is after after, or -1. */
static int64_t
in_day(const struct cron *c, const struct tz *z, int64_t base, int64_t w0,
    int64_t after)
{
	int64_t	 w, t;
	int	 h, m;

	for (h = 0; h < 24; h++) {
		if (!(c->hour >> h & 1) || base + h * 3600 + 3599 < w0)
			continue;
		for (m = 0; m < 60; m++) {
			w = base + h * 3600 + m * 60;
			if (!(c->minute >> m & 1) || w < w0)
				continue;
			/* Past the first few, always true: only a
			 * repeated hour's first pass is before after. */
			if ((t = tz_first_utc(z, w)) > after)
				return t;
		}
	}
	return -1;
}

int64_t
cron_next(const struct cron *c, const struct tz *z, int64_t after)
{
	int64_t	 w0, day, day0, y, t;
	int	 m, d;

	if (after < 0 || after > CRON_T_MAX)
		return -1;
	/* Wall minutes before after's own give instants at or before it
	 * (tz_first_utc is monotonic), so the search starts there. */
	w0 = after + tz_offset(z, after);
	w0 -= (w0 % 60 + 60) % 60;
	day0 = (w0 - ((w0 % 86400 + 86400) % 86400)) / 86400;
	for (day = day0; day <= day0 + CRON_YEARS * 366; day++) {
		tz_civil(day, &y, &m, &d);
		if (!(c->month >> m & 1)) {	/* to the month's last day */
			day = (m == 12 ? tz_days(y + 1, 1, 1) :
			    tz_days(y, m + 1, 1)) - 1;
			continue;
		}
		if (!day_ok(c, d, (int)((day + 4) % 7 + 7) % 7))
			continue;
		if ((t = in_day(c, z, day * 86400, w0, after)) != -1)
			return t;
	}
	return -1;
}
