/*
 * IANA time zones, read from the system's tzdata (/usr/share/zoneinfo,
 * TZif version 2 or later, RFC 8536): the 64-bit transitions, then the
 * POSIX TZ footer for instants after the last one, which is all a
 * "slim" file has.
 *
 * Why our own: glibc's localtime_r() and mktime() read the process-wide
 * TZ and tzset() state, so one zone per process, and setting TZ while
 * other threads convert times is a data race; NetBSD's localtime_rz()
 * is not in glibc. ICU's ucal_* (libicu72) converts per calendar but
 * from its own copy of the data, which drifts from Debian's tzdata
 * updates. GLib's GTimeZone (2.74) reads the same files thread-safely,
 * but it would be a large new dependency of lib/ for ~300 lines, and
 * its g_malloc() aborts where our modules return an error. A zone here
 * is read once and never changed, so any number of threads may share
 * one; nothing touches TZ or calls tzset().
 */
#ifndef HG_TZ_H
#define HG_TZ_H

#include <stddef.h>
#include <stdint.h>

#include "hg.h"

struct tz;	/* immutable once loaded; safe to share between threads */

/*
 * Loads zone name ("Europe/Paris", "UTC") from /usr/share/zoneinfo.
 * The name comes from clients: one longer than HG_TZ_NAME_MAX, empty,
 * with "..", a leading '/' or a byte outside [A-Za-z0-9_+/-] is
 * refused. "UTC" needs no file. On error returns NULL and writes the
 * reason to err ("unknown time zone \"Mars/Olympus\""). Free with
 * tz_free().
 */
struct tz	*tz_load(const char *name, char *err, size_t errlen);
/* The same from folder dir instead of /usr/share/zoneinfo (tests). */
struct tz	*tz_load_dir(const char *dir, const char *name, char *err,
		    size_t errlen);
/*
 * 0 if name is written as the database names its zones, else -1 with
 * the reason in err: no empty part between slashes ("Europe//Paris"),
 * no copy of the database ("posix/Europe/Paris", "right/UTC"). For a
 * new schedule only: tz_load() takes such a name, so that one stored
 * before this check still runs.
 */
int		 tz_name_canonical(const char *name, char *err,
		    size_t errlen);
/* Frees z; NULL is fine. */
void		 tz_free(struct tz *z);

/* Seconds east of UTC in zone z at instant utc_s (seconds since the
 * epoch). Can't fail. */
int64_t		 tz_offset(const struct tz *z, int64_t utc_s);

/*
 * The instant at which the wall clock of zone z first reads local_s or
 * later (local_s: the wall time's seconds as if it were UTC). So a wall
 * time that happens twice gives its first occurrence, and one skipped by
 * a jump forward gives the instant of the jump. Can't fail.
 */
int64_t		 tz_first_utc(const struct tz *z, int64_t local_s);

/*
 * The proleptic Gregorian calendar, shared with cron.c: days since
 * 1970-01-01 of y-m-d (m 1-12), and back.
 */
int64_t		 tz_days(int64_t y, int m, int d);
void		 tz_civil(int64_t days, int64_t *y, int *m, int *d);

#endif
