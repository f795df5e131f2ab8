/*
 * Telling a runner to stop.
 */
#include <signal.h>

#include "server.h"

void
runner_signal(const struct runner_ref *ref)
{
	/* The start time guards against a pid reused by another process
	 * since the runner recorded it. */
	if (ref->pid <= 0 || hg_proc_start((long)ref->pid) != ref->start)
		return;
	(void)kill((pid_t)ref->pid, SIGTERM);
}
