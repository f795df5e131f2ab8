/*
 * The command kinds: an operator's program, run with execve in a process
 * group of its own, its output read line by line.
 */
#ifndef HG_COMMAND_H
#define HG_COMMAND_H

#include <signal.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "kinds.h"
#include "outbox.h"
#include "store.h"

/*
 * Runs command kind k with checked params for ob's task until it ends,
 * reporting to ob, and fills *o (its strings point into msg, msglen
 * bytes, or are static). unblocked is the signal mask for waits.
 */
void	command_run(struct outbox *ob, const struct kind *k,
	    const cJSON *params, const sigset_t *unblocked,
	    struct outcome *o, char *msg, size_t msglen);

#endif
