/*
 * Ending what a dead runner left running: what is left of its session.
 * Only the janitor thread calls it.
 */
#ifndef HG_REAPER_H
#define HG_REAPER_H

#include <stdint.h>

#include "store.h"

/*
 * For task id, whose runner (r) was found dead: ends what is left of
 * the runner's session (its command, and what the command started),
 * SIGTERM to each of its process groups at the first call and SIGKILL at
 * a call once the kind's grace_s has passed since. Never blocks. Returns
 * 1 once nothing of the session is left (or it is not the runner's any
 * more): the task may end; 0 while it is being ended.
 */
int	reaper_gone(int64_t id, const struct runner_seen *r);

#endif
