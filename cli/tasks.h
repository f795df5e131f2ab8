/*
 * The commands on kinds and tasks: kinds, start, ls, show, watch, stop,
 * rerun, result, data and logs.
 */
#ifndef HG_CLI_TASKS_H
#define HG_CLI_TASKS_H

#include "args.h"
#include "http.h"

/* Runs a->cmd, one of the commands above; giveup_s: how long a watch
 * keeps trying. Returns the exit status. */
int	tasks_run(struct http *h, const struct args *a, int64_t giveup_s);

/*
 * Types a's name=value pairs by kind's declaration (GET /api/kinds).
 * Returns 0 with *params (caller frees), or an exit status: 2 for a
 * usage error, told on stderr.
 */
int	tasks_params(struct http *h, const char *kind, const char *const *pairs,
	    size_t n, cJSON **params);

#endif
