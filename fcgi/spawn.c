/*
 * Starting runners. posix_spawn (vfork-like, so cheap) with a session of
 * its own (POSIX_SPAWN_SETSID): Ctrl-C on the server's terminal and the
 * server's death leave the runner alone. Every descriptor but stdio is
 * closed in the child, whatever its close-on-exec flag: libfcgi accepts
 * connections without SOCK_CLOEXEC, and a runner holding an nginx
 * connection open would keep it from closing.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "server.h"

extern char	**environ;

int
runner_spawn(int64_t id, struct hg_err *e)
{
	posix_spawn_file_actions_t	 fa;
	posix_spawnattr_t		 at;
	sigset_t			 none, dfl;
	char				 ids[24], log[PATH_MAX + 16];
	char				*argv[3];
	pid_t				 pid;
	int				 rc;

	snprintf(ids, sizeof(ids), "%lld", (long long)id);
	snprintf(log, sizeof(log), "%s/runner.log", srv.cfg.data);
	argv[0] = srv.cfg.runner;
	argv[1] = ids;
	argv[2] = NULL;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, log,
	    O_WRONLY | O_APPEND | O_CREAT, 0600);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);

	/* The server ignores SIGPIPE and SIGCHLD and blocks the signals it
	 * waits for; the runner starts with none of that. */
	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE);
	sigaddset(&dfl, SIGCHLD);
	sigaddset(&dfl, SIGTERM);
	sigaddset(&dfl, SIGINT);
	sigaddset(&dfl, SIGHUP);
	posix_spawnattr_init(&at);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSID |
	    POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &dfl);

	rc = posix_spawn(&pid, srv.cfg.runner, &fa, &at, argv, environ);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		return hg_err_set(e, 503, "exec_failed", "cannot start %s: %s",
		    srv.cfg.runner, strerror(rc));
	return 0;
}

void
runner_signal(const struct runner_ref *ref)
{
	/* The start time guards against a pid reused by another process
	 * since the runner recorded it. */
	if (ref->pid <= 0 || hg_proc_start((long)ref->pid) != ref->start)
		return;
	(void)kill((pid_t)ref->pid, SIGTERM);
}
