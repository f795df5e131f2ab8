/*
 * Telling a runner to stop, and keeping the runner host.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "launch.h"
#include "runners.h"
#include "server.h"

static struct {
	pid_t	 pid;
	int64_t	 start;		/* its start time, against pid reuse */
	int	 fd;		/* its stdin; closing it ends the host */
} host = { 0, 0, -1 };

void
runner_signal(const struct runner_ref *ref, int64_t id)
{
	union sigval	 v;

	/* The start time guards against a pid reused by another process
	 * since the runner recorded it; the task's id, queued with the
	 * signal, against a runner that has gone on to its next task. */
	if (ref->pid <= 0 || hg_proc_start((long)ref->pid) != ref->start)
		return;
	v.sival_ptr = (void *)(intptr_t)id;
	(void)sigqueue((pid_t)ref->pid, SIGTERM, v);
}

void
host_tend(void)
{
	struct hg_err	 e;

	if (host.fd != -1 && hg_proc_start((long)host.pid) == host.start)
		return;
	/* Never started, or gone: we ignore SIGCHLD, so it is reaped. */
	host_stop();
	if (launch_host(&srv.cfg, &host.pid, &host.fd, &e) == -1) {
		fprintf(stderr, "hourglass-fcgi: runner host: %s; runners "
		    "start by exec\n", e.msg);
		return;
	}
	host.start = hg_proc_start((long)host.pid);
}

void
host_stop(void)
{
	if (host.fd != -1)
		close(host.fd);
	host.fd = -1;
}
