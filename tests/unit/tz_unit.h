/*
 * For the tests of lib/tz and lib/cron: instants written as text.
 */
#ifndef TZ_UNIT_H
#define TZ_UNIT_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* "2026-03-29T01:00Z" in seconds since the epoch; "-" (no run) is -1.
 * timegm, not mktime: it reads no TZ. */
static inline int64_t
at(const char *iso)
{
	struct tm	 tm;

	if (strcmp(iso, "-") == 0)
		return -1;
	memset(&tm, 0, sizeof(tm));
	if (sscanf(iso, "%d-%d-%dT%d:%dZ", &tm.tm_year, &tm.tm_mon,
	    &tm.tm_mday, &tm.tm_hour, &tm.tm_min) != 5)
		abort();
	tm.tm_year -= 1900;
	tm.tm_mon--;
	return timegm(&tm);
}

#endif
