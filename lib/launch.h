/*
 * Starting runners, for the server and for runners alike: a runner that
 * ends starts the next queued tasks, so the queue moves while the server
 * is down.
 */
#ifndef HG_LAUNCH_H
#define HG_LAUNCH_H

#include "config.h"
#include "hg.h"
#include "kinds.h"
#include "store.h"

/*
 * Starts hourglass-runner for task id, detached: a session of its own,
 * stdio on /dev/null and <data>/runner.log, no other descriptor. Returns
 * 0, or -1 with the reason in e.
 */
int	launch_runner(const struct config *c, int64_t id, struct hg_err *e);

/*
 * Takes the queued tasks that fit under the limits (store_sched_take)
 * and starts a runner for each; a task whose runner cannot start ends
 * failed with exec_failed. Returns how many were started, or -1.
 */
int	launch_queued(struct store *st, const struct config *c,
	    const struct kinds *k);

#endif
