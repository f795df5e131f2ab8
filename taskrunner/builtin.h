/*
 * The builtin kinds, run inside the runner with no command: today only
 * "count", which reports 1..total, delay_ms apart.
 */
#ifndef HG_BUILTIN_H
#define HG_BUILTIN_H

#include <signal.h>

#include <cjson/cJSON.h>

#include "kinds.h"
#include "outbox.h"

/*
 * Runs builtin kind k (k->builtin is not BUILTIN_NONE) with checked
 * params, reporting to ob; unblocked is the signal mask for waits.
 * Returns 1 if stopped, else 0.
 */
int	builtin_run(struct outbox *ob, const struct kind *k,
	    const cJSON *params, const sigset_t *unblocked);

#endif
