/*
 * Starting runners, for the server and for runners alike: a runner that
 * ends starts the next queued tasks, so the queue moves while the server
 * is down.
 *
 * While the server runs, it keeps a runner host: an hourglass-runner
 * started once, which starts each task id it receives on
 * <data>/runner.sock, without an exec, a load or a relink. Without a
 * host (the server is down, the host died, its queue stays full), a
 * runner is started with posix_spawn as before.
 */
#ifndef HG_LAUNCH_H
#define HG_LAUNCH_H

#include <sys/types.h>

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
 * The runner host's argument. Its room is where each forked runner
 * writes its task id, so that ps shows "hourglass-runner <id>" as for a
 * runner started by exec.
 */
#define LAUNCH_HOST_ARG		"--host                  "

/*
 * Starts the runner host, detached as a runner is, and waits (up to 5 s)
 * until it takes ids. Its stdin is a pipe whose writing end is returned
 * in *fd: the host ends when that end is closed, so with the process
 * that started it. Returns 0, or -1 with the reason in e.
 */
int	launch_host(const struct config *c, pid_t *pid, int *fd,
	    struct hg_err *e);

/*
 * Takes the queued tasks that fit under the limits (store_sched_take)
 * and starts a runner for each; a task whose runner cannot start ends
 * failed with exec_failed, unless a runner has taken it meanwhile (the
 * end of another task may take it: store_task_finish). Retrying tasks
 * whose retry_at has come are queued first. Returns how many tasks it
 * moved (retries queued, and runners started), or -1.
 */
int	launch_queued(struct store *st, const struct config *c,
	    const struct kinds *k);

/* Tasks taken at once, at most: their ids go to the host in one
 * datagram, which carries at most HG_HOST_BATCH. */
#define LAUNCH_BATCH	HG_HOST_BATCH

/*
 * The two halves of launch_queued, for a caller that takes the tasks in
 * a transaction of its own (a create: create_opts.sched).
 * launch_sched_init fills *sc to take under c's and k's limits into ids;
 * launch_taken starts runners for the n ids taken, as launch_queued
 * does, and returns how many started.
 */
void	launch_sched_init(struct sched *sc, const struct config *c,
	    const struct kinds *k, int64_t ids[LAUNCH_BATCH]);
int	launch_taken(struct store *st, const struct config *c,
	    const int64_t *ids, int n);

#endif
