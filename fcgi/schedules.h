/*
 * Schedules: the handlers of /api/schedules and /api/schedules/{id}
 * (their method checked by the router; id a parsed schedule id), and
 * the runs that come due.
 */
#ifndef HG_SCHEDULES_H
#define HG_SCHEDULES_H

#include <stdint.h>

#include "http.h"
#include "store.h"

void	 schedules_create(struct req *r);	/* POST /api/schedules */
void	 schedules_list(struct req *r);		/* GET /api/schedules */
void	 schedules_get(struct req *r, int64_t id);
void	 schedules_delete(struct req *r, int64_t id);
/* POST .../pause (paused 1) and .../resume (0). */
void	 schedules_pause(struct req *r, int64_t id, int paused);
/* GET /api/schedules/preview?cron=&timezone=: the next three runs of
 * an expression not saved, {"next_runs": [...]}, for a form. */
void	 schedules_preview(struct req *r);
/* POST .../run: a task now, whatever the clock, pause and overlap. */
void	 schedules_run(struct req *r, int64_t id);

/*
 * The scheduler, a thread of its own: it sleeps until the earliest
 * next run (or a second, or a kick: a schedule made or resumed), then
 * makes each run due by then (once, however many were missed, and only
 * if due within the last hour; skipped while the schedule's last task
 * is active unless its overlap is "allow"), and moves each schedule to
 * its next run. Not the janitor's: a run makes a task through tasks.c,
 * which kicks the janitor.
 */
int	 schedules_start(char *err, size_t errlen);
void	 schedules_stop(void);

#endif
