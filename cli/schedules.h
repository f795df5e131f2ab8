/*
 * The schedules commands: the list, add, rm, pause, resume and run.
 */
#ifndef HG_CLI_SCHEDULES_H
#define HG_CLI_SCHEDULES_H

#include "args.h"
#include "http.h"

/* Runs a->cmd, one of CMD_SCHEDULES and CMD_SCHED_*. Returns the exit
 * status. */
int	schedules_run(struct http *h, const struct args *a);

#endif
