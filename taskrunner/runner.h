/*
 * A runner: a process that runs tasks, one at a time, and one task's
 * life in it: taken (queued -> running), run by its kind (builtin or
 * command), its end recorded. Called by main (one task) and by the
 * runner host (task after task); it calls down, never back.
 */
#ifndef HG_RUNNER_H
#define HG_RUNNER_H

#include <signal.h>
#include <stdint.h>

#include "config.h"
#include "kinds.h"
#include "outbox.h"
#include "store.h"

struct runner {
	struct config	 cfg;		/* set by the caller before open */
	struct store	*st;
	int64_t		 id;		/* the task; set by the caller */
	int		 notify_fd;
	int64_t		 proc_start;	/* its /proc start time, recorded */
	sigset_t	 unblocked;	/* the signal mask for waits */
	struct outbox	 ob;		/* what the task reports */
	struct kinds_cache kinds;	/* the kinds file, read again when
					 * it changes */
	int		 host_fd;	/* its channel to the host while it
					 * may take its next task at the end
					 * of this one, else -1 (runner_open);
					 * set by the caller */
	struct claim	 next;		/* the task it took so (next.id 0:
					 * none); run next, or freed */
};

/*
 * Opens what a runner needs before it takes a task, the database and the
 * socket that tells the server of changes, with r->cfg set and the rest
 * zeroed, reads the kinds file (a refusal is the task's to report), and
 * sets the signals up (SIGTERM and SIGCHLD blocked but in waits). -1
 * with err set if the database cannot be opened.
 */
int	runner_open(struct runner *r, char *err, size_t errlen);
/*
 * Runs task r->id, with r opened (runner_open) and r->id set, until it
 * ends and its end is recorded. Returns 0, or 1 if the task could not be
 * taken or its end could not be recorded. r stays open for another task.
 * With r->host_fd set, the end's transaction may also take the next
 * queued task for this runner (r->next): the caller must run it (set
 * r->id to r->next.id and call again), as it is recorded as running
 * here. A task in r->next already is run without a claim of its own.
 */
int	runner_run(struct runner *r);
/* Gives back what the tasks run so far grew: SQLite's page cache and
 * the heap's free pages. For a kept runner that has gone idle. */
void	runner_release(struct runner *r);
/* Closes what runner_open opened. */
void	runner_close(struct runner *r);

#endif
