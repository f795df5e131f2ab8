/*
 * A cron line from a client: parsed, or refused with a message; if
 * parsed, its next run in UTC comes after the given instant, on a
 * minute, within CRON_YEARS, and is what a search from just before it
 * finds again. Nothing may crash, hang or read past the text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cron.h"
#include "tz.h"

/* 2026-01-01T00:00:00Z */
#define AFTER	1767225600LL

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tz	*utc;
	struct cron		 c;
	char			 text[HG_CRON_MAX + 16], err[256];
	int64_t			 next;

	if (utc == NULL && (utc = tz_load("UTC", err, sizeof(err))) == NULL)
		abort();
	if (size >= sizeof(text))
		size = sizeof(text) - 1;
	memcpy(text, data, size);
	text[size] = '\0';
	err[0] = '\0';
	if (cron_parse(text, &c, err, sizeof(err)) == -1) {
		if (err[0] == '\0' || strlen(err) >= sizeof(err))
			abort();
		return 0;
	}
	if (c.minute >> 60 != 0 || c.hour >> 24 != 0 || (c.dom & 1) ||
	    (c.month & 1) || c.month >> 13 != 0 || c.dow >> 7 != 0)
		abort();
	if ((next = cron_next(&c, utc, AFTER)) == -1)
		return 0;
	if (next <= AFTER || next % 60 != 0 ||
	    next > AFTER + (CRON_YEARS * 366 + 1) * 86400LL ||
	    cron_next(&c, utc, next - 1) != next)
		abort();
	return 0;
}
