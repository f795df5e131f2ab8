#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>

#include "launch.h"

#define LAUNCH_BATCH	64

extern char	**environ;

/*
 * posix_spawn (vfork-like, so cheap) with POSIX_SPAWN_SETSID: Ctrl-C on
 * the server's terminal and the server's death leave the runner alone.
 * Every descriptor but stdio is closed in the child, whatever its
 * close-on-exec flag: libfcgi accepts connections without SOCK_CLOEXEC,
 * and a runner holding an nginx connection open would keep it open.
 */
int
launch_runner(const struct config *c, int64_t id, struct hg_err *e)
{
	posix_spawn_file_actions_t	 fa;
	posix_spawnattr_t		 at;
	sigset_t			 none, dfl;
	char				 ids[24], log[PATH_MAX + 16];
	char				*argv[3];
	pid_t				 pid;
	int				 rc;

	snprintf(ids, sizeof(ids), "%lld", (long long)id);
	snprintf(log, sizeof(log), "%s/runner.log", c->data);
	argv[0] = (char *)c->runner;
	argv[1] = ids;
	argv[2] = NULL;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, log,
	    O_WRONLY | O_APPEND | O_CREAT, 0600);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);

	/* The caller may ignore SIGPIPE and SIGCHLD and block the signals
	 * it waits for; the runner starts with none of that. */
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

	rc = posix_spawn(&pid, c->runner, &fa, &at, argv, environ);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		return hg_err_set(e, 503, "exec_failed", "cannot start %s: %s",
		    c->runner, strerror(rc));
	return 0;
}

static int
kind_limit(void *arg, const char *name)
{
	const struct kind	*k = kinds_find(arg, name);

	return k != NULL ? k->max_running : 0;
}

int
launch_queued(struct store *st, const struct config *c,
    const struct kinds *k)
{
	struct hg_err	 e;
	int64_t		 ids[LAUNCH_BATCH];
	int		 n, i, started = 0;

	do {
		if ((n = store_sched_take(st, c->max_running, kind_limit,
		    (void *)k, ids, LAUNCH_BATCH, &e)) == -1)
			return -1;
		for (i = 0; i < n; i++) {
			if (launch_runner(c, ids[i], &e) == 0) {
				started++;
				continue;
			}
			char		 why[sizeof(e.msg)];
			struct outcome	 o = { "failed", 0, 0, "exec_failed",
			    why, 0 };

			memcpy(why, e.msg, sizeof(why));

			/* A queued task ends: finish takes any active one. */
			(void)store_task_finish(st, ids[i], NULL, &o, &e);
			(void)store_count(st, "start_failed", &e);
		}
	} while (n == LAUNCH_BATCH);
	return started;
}
