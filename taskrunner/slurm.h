/*
 * The Slurm kinds: a command kind's argv run as a Slurm batch job,
 * followed by its id through squeue, its output read as it grows.
 */
#ifndef HG_SLURM_H
#define HG_SLURM_H

#include <signal.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "kinds.h"
#include "outbox.h"
#include "store.h"

/*
 * Submits Slurm kind k's job for attempt of ob's task with checked
 * params, or, if the task has a job recorded already (or Slurm has one
 * that a runner submitted and died before recording), follows that one
 * from the output offset recorded; reports to ob until the job ends and fills *o (its
 * strings point into msg, msglen bytes, or are static). unblocked is the
 * signal mask for waits.
 */
void	slurm_run(struct outbox *ob, const struct kind *k,
	    const cJSON *params, int attempt, const sigset_t *unblocked,
	    struct outcome *o, char *msg, size_t msglen);

#endif
