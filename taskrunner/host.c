/*
 * hourglass-runner --host: the runner host. The server starts one and
 * hands it task ids on <data>/runner.sock; for each it forks a runner,
 * which is what an exec'd hourglass-runner would be but for the exec:
 * no new image to map, no libraries to load and relocate, no settings
 * to read. That is most of what starting a runner costs.
 *
 * The host is single-threaded, so fork() is safe, and holds no SQLite
 * connection (one must not cross a fork): each runner opens its own,
 * the spare (below) before its task is known.
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

/*
 * The spare: a runner forked ahead of its task, which has opened the
 * database and waits on a pipe for a task id. Opening the database and
 * reading its schema is a good part of what stands between a create and
 * its program running; the spare has done it before the task exists.
 */
static int	 spare = -1;	/* the pipe to the spare; -1: none */

/* Writes name into the host's argument, where ps shows it. */
static void
retitle(char *title, size_t room, const char *name)
{
	memset(title, '\0', room);
	snprintf(title, room + 1, "%s", name);
}

/*
 * In a forked runner: a session and stdin of its own, none of the host's
 * descriptors, and r opened. Exits if the database cannot be opened.
 */
static void
runner_child(const struct config *cfg, int sock, struct runner *r)
{
	char	 err[1024];
	int	 fd;

	close(sock);
	if (spare != -1)
		close(spare);
	if ((fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) != -1) {
		dup2(fd, 0);
		close(fd);
	}
	setsid();
	r->cfg = *cfg;
	if (runner_open(r, err, sizeof(err)) == -1) {
		runner_warn(r, "%s", err);
		exit(1);
	}
}

static void
start(const struct config *cfg, int64_t id, int sock, char *title)
{
	static struct runner	 r;
	struct hg_err		 e;
	char			 name[24];
	size_t			 room = strlen(title);
	pid_t			 pid;

	if ((pid = fork()) == -1) {
		fprintf(stderr, "hourglass-runner host: fork: %s; starting "
		    "task %lld by exec\n", strerror(errno), (long long)id);
		if (launch_runner(cfg, id, &e) == -1)
			fprintf(stderr, "hourglass-runner host: %s\n", e.msg);
		return;
	}
	if (pid > 0)
		return;
	snprintf(name, sizeof(name), "%lld", (long long)id);
	retitle(title, room, name);
	r.id = id;
	runner_child(cfg, sock, &r);
	exit(runner_run(&r));
}

/* Forks a spare, which opens the database and waits for its task id. */
static void
spare_fork(const struct config *cfg, int sock, char *title)
{
	static struct runner	 r;
	char			 name[24];
	size_t			 room = strlen(title);
	ssize_t			 n;
	int			 p[2];
	pid_t			 pid;

	if (pipe2(p, O_CLOEXEC) == -1)
		return;
	if ((pid = fork()) == -1) {
		close(p[0]);
		close(p[1]);
		return;
	}
	if (pid > 0) {
		close(p[0]);
		spare = p[1];
		return;
	}
	close(p[1]);
	retitle(title, room, "--spare");
	runner_child(cfg, sock, &r);
	/* EOF: the host ended. */
	while ((n = read(p[0], &r.id, sizeof(r.id))) == -1 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof(r.id) || r.id <= 0)
		exit(0);
	close(p[0]);
	snprintf(name, sizeof(name), "%lld", (long long)r.id);
	retitle(title, room, name);
	exit(runner_run(&r));
}

/* Starts task id on the spare, or on a runner forked for it if there is
 * no spare or it is gone. */
static void
spare_or_start(const struct config *cfg, int64_t id, int sock, char *title)
{
	ssize_t	 n = -1;

	if (spare != -1) {
		n = write(spare, &id, sizeof(id));
		close(spare);
		spare = -1;
	}
	if (n != (ssize_t)sizeof(id))
		start(cfg, id, sock, title);
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
		if (spare == -1)
			spare_fork(&cfg, sock, title);
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
					spare_or_start(&cfg, ids[i], sock,
					    title);
		}
	}
	if (spare != -1)
		close(spare);
	close(sock);
	return 0;
}
