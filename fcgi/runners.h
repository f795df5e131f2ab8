/*
 * Runners seen from the server: signalling one to stop, and keeping
 * the runner host that starts them (the starting is lib/launch.c's).
 */
#ifndef HG_RUNNERS_H
#define HG_RUNNERS_H

#include <stdint.h>

#include "store.h"

/* Tells a runner to stop task id, if ref still names a live runner. */
void	 runner_signal(const struct runner_ref *ref, int64_t id);
/* host_tend() starts the runner host if it is not running; host_stop()
 * lets it end. Only main, and the janitor between its start and stop,
 * call them. */
void	 host_tend(void);
void	 host_stop(void);

#endif
