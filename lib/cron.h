/*
 * Five-field cron lines (minute, hour, day of month, month, day of
 * week), as the spec's "Schedules" section has them, and the next run
 * of one in a time zone.
 */
#ifndef HG_CRON_H
#define HG_CRON_H

#include <stddef.h>
#include <stdint.h>

#include "hg.h"
#include "tz.h"

/* How far cron_next looks: a line that matches no day in this many
 * years ("0 0 30 2 *") has no next run. */
#define CRON_YEARS	5

/* A parsed line: bit n set if value n matches. */
struct cron {
	uint64_t	 minute;	/* bits 0-59 */
	uint32_t	 hour;		/* bits 0-23 */
	uint32_t	 dom;		/* bits 1-31 */
	uint16_t	 month;		/* bits 1-12 */
	uint8_t		 dow;		/* bits 0-6, 0 Sunday */
	/* The field began with '*': then a day must match both day
	 * fields, else either (Vixie cron). */
	int		 dom_star, dow_star;
};

/*
 * Parses text: five fields of "*", numbers, names (jan-dec, sun-sat, any
 * case; day of week 7 is Sunday too), ranges "a-b", steps ("*" or a
 * range, then "/n"; "a/n" is "a-max/n"), lists of those joined by ',',
 * or one of @hourly, @daily, @midnight, @weekly, @monthly, @yearly,
 * @annually.
 * Returns 0, or -1 with a message in err that names the field and the
 * mistake ("minute: 61 is out of range 0-59"). Reads at most
 * HG_CRON_MAX bytes of text.
 */
int	cron_parse(const char *text, struct cron *c, char *err,
	    size_t errlen);

/*
 * The first run of c in zone z strictly after after_s, in seconds since
 * the epoch (UTC), or -1 if none comes within CRON_YEARS or after_s is
 * before 1970 or past the year 3000. Runs fall on minutes of z's wall
 * clock. A wall time that a jump forward skips runs at the jump (all
 * such minutes make one run there); one that happens twice runs at its
 * first occurrence only. Can't fail otherwise.
 */
int64_t	cron_next(const struct cron *c, const struct tz *z, int64_t after_s);

#endif
