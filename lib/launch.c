#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "launch.h"
#include "notify.h"
#include "runlog.h"

extern char	**environ;

/*
 * posix_spawn (vfork-like, so cheap) with POSIX_SPAWN_SETSID: Ctrl-C on
 * the server's terminal and the server's death leave the runner alone.
 * Every descriptor but stdio is closed in the child, whatever its
 * close-on-exec flag: libfcgi accepts connections without SOCK_CLOEXEC,
 * and a runner holding an nginx connection open would keep it open.
 * Its stderr is runner.log, rotated first if it has reached its cap, and
 * its HG_SERVER_ERR_FD the server's stderr (c->server_err), if this
 * process has one to hand down: a runner says there what runner.log, on
 * a full data disk, cannot take. in and out are the child's stdin and
 * stdout, or -1 for /dev/null.
 */
static int
spawn(const struct config *c, char *const argv[], int in, int out,
    pid_t *pid, struct hg_err *e)
{
	posix_spawn_file_actions_t	 fa;
	posix_spawnattr_t		 at;
	sigset_t			 none, dfl;
	char				 log[PATH_MAX + 16];
	int				 rc;

	snprintf(log, sizeof(log), "%s/runner.log", c->data);
	runlog_rotate(c);
	posix_spawn_file_actions_init(&fa);
	if (in == -1)
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null",
		    O_RDONLY, 0);
	else
		posix_spawn_file_actions_adddup2(&fa, in, 0);
	if (out == -1)
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null",
		    O_WRONLY, 0);
	else
		posix_spawn_file_actions_adddup2(&fa, out, 1);
	/* Before fd 2 becomes runner.log: in the server, it is the one. Not
	 * close-on-exec, so that runners hand it on; command.c makes every
	 * descriptor past stderr close-on-exec for a command. */
	if (c->server_err != -1)
		posix_spawn_file_actions_adddup2(&fa, c->server_err,
		    HG_SERVER_ERR_FD);
	posix_spawn_file_actions_addopen(&fa, 2, log,
	    O_WRONLY | O_APPEND | O_CREAT, 0600);
	posix_spawn_file_actions_addclosefrom_np(&fa, c->server_err != -1 ?
	    HG_SERVER_ERR_FD + 1 : HG_SERVER_ERR_FD);

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

	rc = posix_spawn(pid, c->runner, &fa, &at, argv, environ);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		return hg_err_set(e, 503, "exec_failed", "cannot start %s: %s",
		    c->runner, strerror(rc));
	return 0;
}

int
launch_runner(const struct config *c, int64_t id, struct hg_err *e)
{
	char	 ids[24];
	char	*argv[3];
	pid_t	 pid;

	snprintf(ids, sizeof(ids), "%lld", (long long)id);
	argv[0] = (char *)c->runner;
	argv[1] = ids;
	argv[2] = NULL;
	return spawn(c, argv, -1, -1, &pid, e);
}

int
launch_host(const struct config *c, pid_t *pid, int *fd, struct hg_err *e)
{
	struct pollfd	 pfd;
	char		 arg[] = LAUNCH_HOST_ARG, ready;
	char		*argv[3];
	int		 p[2], r[2];

	if (pipe2(p, O_CLOEXEC) == -1)
		return hg_err_set(e, 503, "exec_failed", "pipe: %s",
		    strerror(errno));
	if (pipe2(r, O_CLOEXEC) == -1) {
		close(p[0]);
		close(p[1]);
		return hg_err_set(e, 503, "exec_failed", "pipe: %s",
		    strerror(errno));
	}
	argv[0] = (char *)c->runner;
	argv[1] = arg;
	argv[2] = NULL;
	if (spawn(c, argv, p[0], r[1], pid, e) == -1) {
		close(p[0]);
		close(p[1]);
		close(r[0]);
		close(r[1]);
		return -1;
	}
	close(p[0]);
	close(r[1]);
	/* It writes a byte on its stdout once its socket is bound: ids
	 * sent from then on reach it. One that never says so is no worse
	 * than none: runners start by exec until it does. */
	pfd.fd = r[0];
	pfd.events = POLLIN;
	if (poll(&pfd, 1, HG_HOST_READY_MS) == 1)
		(void)read(r[0], &ready, 1);
	close(r[0]);
	*fd = p[1];
	return 0;
}

/*
 * The socket this process hands ids to the host on, made at the first
 * hand-off and kept: a socket, its option and its close for each create
 * were three system calls of four on that path. Unbound, it names the
 * host's address at each send, so a host started again is found; any
 * thread may send on it at once. The send waits up to HG_HOST_SEND_MS
 * while the host's queue is full. Returns it, or -1.
 */
static int
host_sock(void)
{
	static atomic_int	 kept = -1;
	struct timeval		 tv = { 0, HG_HOST_SEND_MS * 1000 };
	int			 fd, none = -1;

	if ((fd = atomic_load(&kept)) != -1)
		return fd;
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1) {
		close(fd);
		return -1;
	}
	/* Another thread's may have come first: that one is kept. */
	if (!atomic_compare_exchange_strong(&kept, &none, fd)) {
		close(fd);
		return none;
	}
	return fd;
}

/*
 * Hands ids to the runner host, as one datagram. A host that is not
 * there (or too slow) fails it, and the caller starts runners itself.
 */
static int
host_send(const struct config *c, const int64_t *ids, int n)
{
	return notify_sendbuf(host_sock(), c->host, ids, (size_t)n *
	    sizeof(*ids), 0);
}

static int
kind_limit(void *arg, const char *name)
{
	const struct kind	*k = kinds_find(arg, name);

	return k != NULL ? k->max_running : 0;
}

static int
kind_slurm(void *arg, const char *name)
{
	const struct kind	*k = kinds_find(arg, name);

	return k != NULL && k->slurm;
}

void
launch_sched_init(struct sched *sc, const struct config *c,
    const struct kinds *k, int64_t ids[LAUNCH_BATCH])
{
	sc->max_running = c->max_running;
	sc->limit = kind_limit;
	sc->slurm = kind_slurm;
	sc->arg = (void *)k;
	sc->ids = ids;
	sc->cap = LAUNCH_BATCH;
	sc->n = 0;
	sc->promoted = 0;
}

int
launch_taken(struct store *st, const struct config *c, const int64_t *ids,
    int n)
{
	/* No runner: the end of another runner's task may have taken one
	 * of ids since it was launched (store_task_finish), and that one is
	 * left to its runner. */
	static const struct runner_ref nobody = { 0, 0 };
	struct hg_err	 e;
	int		 i, started = 0;

	if (n > 0 && host_send(c, ids, n) == 0)
		return n;
	for (i = 0; i < n; i++) {
		if (launch_runner(c, ids[i], &e) == 0) {
			started++;
			continue;
		}
		char		 why[sizeof(e.msg)];
		struct outcome	 o = { TASK_FAILED, 0, 0, "exec_failed", why, 0,
		    NULL, NULL, NULL, NULL, NULL };

		memcpy(why, e.msg, sizeof(why));
		o.runner = &nobody;
		(void)store_task_finish(st, ids[i], NULL, &o, &e);
		(void)store_count(st, "start_failed", &e);
	}
	return started;
}

int
launch_queued(struct store *st, const struct config *c,
    const struct kinds *k)
{
	struct hg_err	 e;
	struct sched	 sc;
	int64_t		 ids[LAUNCH_BATCH];
	int		 moved = 0;

	launch_sched_init(&sc, c, k, ids);
	do {
		if (store_sched_take(st, &sc, &e) == -1)
			return -1;
		moved += sc.promoted + launch_taken(st, c, ids, sc.n);
	} while (sc.n == LAUNCH_BATCH || sc.promoted == HG_PROMOTE_BATCH);
	return moved;
}
