/*
 * hourglass-runner <task-id>: runs one task, detached from the server.
 * hourglass-runner --host: the runner host (host.c), which forks
 * runners instead.
 *
 * The server starts it in a session of its own with stdio away from the
 * server, so it outlives the server, and so that what its command
 * leaves when it dies is known by that session (fcgi/reaper.c). It
 * takes the task (queued -> running), runs it, records progress at most
 * every HG_PROGRESS_MS (the last value always), obeys a stop between
 * steps, and records how the task ended (runner.c).
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "hg.h"
#include "host.h"
#include "runlog.h"
#include "runner.h"
#include "warn.h"

int
main(int argc, char *argv[])
{
	static struct runner	 r;
	char			 err[1024];
	int			 rc, server_err;

	hg_malloc_keep();
	(void)hg_std_fds(O_RDWR);
	server_err = warn_open();
	if (argc == 2 && strncmp(argv[1], "--host", 6) == 0)
		return host_main(argv[1]);
	if (argc != 2 || hg_parse_id(argv[1], strlen(argv[1]), &r.id) == -1) {
		fprintf(stderr, "usage: hourglass-runner task-id\n"
		    "       hourglass-runner --host\n");
		return 2;
	}
	if (config_load(&r.cfg, err, sizeof(err)) == -1) {
		warn_task(r.id, "%s", err);
		return 1;
	}
	r.cfg.server_err = server_err;
	runlog_open(&r.cfg);
	if (runner_open(&r, err, sizeof(err)) == -1) {
		warn_task(r.id, "%s", err);
		return 1;
	}
	rc = runner_run(&r);
	runner_close(&r);
	return rc;
}
