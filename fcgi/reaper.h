/*
 * Ending what a dead runner left running: its command's process group.
 * Only the janitor thread calls it.
 */
#ifndef HG_REAPER_H
#define HG_REAPER_H

#include <stdint.h>

#include "store.h"

/*
 * For task id, whose runner (r) was found dead: ends the process group
 * its command led, if one is recorded and is still ours, SIGTERM at the
 * first call and SIGKILL at a call once the kind's grace_s has passed
 * since. Never blocks. Returns 1 once nothing of the group is left (or
 * none was recorded): the task may end; 0 while it is being ended.
 */
int	reaper_gone(int64_t id, const struct runner_seen *r);

#endif
