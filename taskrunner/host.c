/*
 * hourglass-runner --host: the runner host. The server starts one and
 * hands it task ids on <data>/runner.sock; for each it forks a runner,
 * which is what an exec'd hourglass-runner would be but for the exec:
 * no new image to map, no libraries to load and relocate, no settings
 * to read. That is most of what starting a runner costs.
 *
 * The host is single-threaded, so fork() is safe, and holds no SQLite
 * connection (one must not cross a fork): each runner opens its own.
 * Runners are reaped by the kernel (SIGCHLD ignored) and outlive the
 * host, in sessions of their own. The host ends when its stdin, a pipe
 * from the server, closes: with the server, however it ends.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "hg.h"
#include "launch.h"
#include "notify.h"
#include "runner.h"

#define HOST_BATCH	64	/* ids in one datagram, at most */

static void
start(const struct config *cfg, int64_t id, int sock, char *title)
{
	static struct runner	 r;
	struct hg_err		 e;
	size_t			 room = strlen(title);
	pid_t			 pid;
	int			 fd;

	if ((pid = fork()) == -1) {
		fprintf(stderr, "hourglass-runner host: fork: %s; starting "
		    "task %lld by exec\n", strerror(errno), (long long)id);
		if (launch_runner(cfg, id, &e) == -1)
			fprintf(stderr, "hourglass-runner host: %s\n", e.msg);
		return;
	}
	if (pid > 0)
		return;

	/* The runner: as hourglass-runner <id> would start. */
	close(sock);
	if ((fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) != -1) {
		dup2(fd, 0);
		close(fd);
	}
	setsid();
	memset(title, '\0', room);
	snprintf(title, room + 1, "%lld", (long long)id);
	r.id = id;
	r.cfg = *cfg;
	exit(runner_run(&r));
}

int
host_main(char *title)
{
	struct config	 cfg;
	struct pollfd	 pfd[2];
	int64_t		 ids[HOST_BATCH];
	char		 err[1024];
	ssize_t		 n;
	size_t		 i;
	int		 sock, fd;

	/* What each runner would otherwise do for itself, once: glibc
	 * reads /etc/localtime on the first gmtime_r(), which a runner
	 * calls inside its first write transaction. */
	tzset();
	signal(SIGCHLD, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	if (config_load(&cfg, err, sizeof(err)) == -1) {
		fprintf(stderr, "hourglass-runner host: %s\n", err);
		return 1;
	}
	/* A host left from an earlier server keeps its own (unlinked)
	 * socket until it sees its stdin close. */
	if ((sock = notify_listen(cfg.host)) == -1) {
		fprintf(stderr, "hourglass-runner host: %s: %s\n", cfg.host,
		    strerror(errno));
		return 1;
	}
	/* Ready: a byte on stdout (a pipe the server reads), then stdout
	 * becomes /dev/null, as a runner's is. */
	(void)write(1, "", 1);
	if ((fd = open("/dev/null", O_WRONLY | O_CLOEXEC)) != -1) {
		dup2(fd, 1);
		close(fd);
	}
	pfd[0].fd = 0;
	pfd[0].events = POLLIN;
	pfd[1].fd = sock;
	pfd[1].events = POLLIN;
	for (;;) {
		if (poll(pfd, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "hourglass-runner host: poll: %s\n",
			    strerror(errno));
			break;
		}
		/* EOF (or anything at all) on stdin: the server is gone.
		 * Ids still queued are started by the janitor of the next
		 * server, as launched tasks no runner took. */
		if (pfd[0].revents != 0)
			break;
		while ((n = recv(sock, ids, sizeof(ids), 0)) > 0) {
			if (n % (ssize_t)sizeof(ids[0]) != 0)
				continue;
			for (i = 0; i < (size_t)n / sizeof(ids[0]); i++)
				if (ids[i] > 0)
					start(&cfg, ids[i], sock, title);
		}
	}
	close(sock);
	return 0;
}
