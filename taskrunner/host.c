/*
 * hourglass-runner --host: the runner host. The server starts one and
 * hands it task ids on <data>/runner.sock; it gives each to a runner it
 * forked, idle since its last task, or forks one for it: what an exec'd
 * hourglass-runner would be but for the exec (no new image to map, no
 * libraries to load and relocate, no settings to read), and, for one
 * that comes back, no fork and no opening of the database either. That
 * is most of what starting a runner costs.
 *
 * The host is single-threaded, so fork() is safe, and holds no SQLite
 * connection (one must not cross a fork): each runner opens its own,
 * the spare (below) before its task is known.
 * Runners are reaped by the kernel (SIGCHLD ignored) and outlive the
 * host, in sessions of their own. The host ends when its stdin, a pipe
 * from the server, closes: with the server, however it ends; runners
 * then end too, idle ones at once, busy ones after their task.
 */
#include <assert.h>
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
#include "host.h"
#include "notify.h"
#include "runlog.h"
#include "runner.h"
#include "signals.h"
#include "taskfiles.h"
#include "warn.h"

/*
 * Kept runners. The host holds one end of a socketpair (SOCK_SEQPACKET)
 * with each runner it forked, up to HG_HOST_KEPT_MAX, and the runner the
 * other: the host writes a task id (8 bytes) to an idle runner, and a
 * runner that has recorded its task's end writes 8 zero bytes to say it
 * is idle again. Either side reads the end of the channel when the
 * other is gone. A runner that comes back has the database open and its
 * statements prepared, which spares the CPU a new process costs: the
 * fork and its page faults, the opening, the parsing of each statement.
 *
 * One idle runner is the spare, forked before any task needs it:
 * opening the database is a good part of what stands between a create
 * and its program running. A task goes to the newest idle runner; one
 * idle for HG_HOST_IDLE_MS is let go (the host closes its end, it reads
 * the end and exits), all but the last. As many idle runners are kept as
 * tasks may run at once (HOURGLASS_MAX_RUNNING), and the spare: fewer,
 * and a busy server's runners would end at each lull only to be forked
 * again at the next rise, at several milliseconds of CPU each.
 *
 * Each runner has a channel of its own rather than all writing to the
 * host's socket: a datagram socket queues few messages (10, by the
 * kernel's default), so runners and the server would find it full and
 * runners would end rather than come back.
 */
static struct kept {
	int	 fd;
	int	 idle;
	int64_t	 since;		/* monotonic ms it became idle */
}		 kept[HG_HOST_KEPT_MAX];
static size_t	 nkept;
static size_t	 idle_max;	/* idle runners kept, at most */
static size_t	 title_room;	/* bytes of the title, a runner's too */

/* Stops keeping runner i: closes the host's end. */
static void
kept_drop(size_t i)
{
	assert(i < nkept);
	close(kept[i].fd);
	kept[i] = kept[--nkept];
}

static size_t
kept_idle(void)
{
	size_t	 i, n = 0;

	for (i = 0; i < nkept; i++)
		n += kept[i].idle;
	return n;
}

/* The index of the runner idle since last, or SIZE_MAX if none is. */
static size_t
kept_newest(void)
{
	size_t	 i, newest = SIZE_MAX;

	for (i = 0; i < nkept; i++)
		if (kept[i].idle && (newest == SIZE_MAX ||
		    kept[i].since > kept[newest].since))
			newest = i;
	return newest;
}

/* Lets go of runners idle too long, all but the newest. Returns the
 * poll timeout until the next is due, or -1. */
static int
idle_retire(void)
{
	int64_t	 now = hg_mono_ms(), next = INT64_MAX;
	size_t	 i, newest = kept_newest();

	for (i = 0; i < nkept; ) {
		if (!kept[i].idle || i == newest) {
			i++;
		} else if (now - kept[i].since >= HG_HOST_IDLE_MS) {
			if (newest == nkept - 1)
				newest = i;	/* it moves into slot i */
			kept_drop(i);
		} else {
			if (kept[i].since + HG_HOST_IDLE_MS < next)
				next = kept[i].since + HG_HOST_IDLE_MS;
			i++;
		}
	}
	return next == INT64_MAX ? -1 : (int)(next - now);
}

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
	size_t	 i;
	int	 fd;

	close(sock);
	for (i = 0; i < nkept; i++)
		close(kept[i].fd);
	nkept = 0;
	if ((fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) != -1) {
		dup2(fd, 0);
		close(fd);
	}
	setsid();
	r->cfg = *cfg;
	if (runner_open(r, err, sizeof(err)) == -1) {
		warn_task(r->id, "%s", err);
		exit(1);
	}
}

/*
 * A task id from the host on fd; 0 at the channel's end (the host let
 * this runner go, or ended). A SIGTERM for this process rather than for
 * a task (a kill, not the server's sigqueue) ends the wait too and sets
 * *leaving, but an id the host has sent already is still taken: none is
 * lost. Once it has waited HG_RUNNER_RELEASE_MS, it gives back what its
 * tasks grew (runner_release). It makes its spare folder first, the
 * next task's own once it is renamed (taskfiles.h).
 */
static int64_t
await_task(struct runner *r, int fd, int *leaving)
{
	struct pollfd	 pfd = { fd, POLLIN, 0 };
	struct timespec	 ts = { HG_RUNNER_RELEASE_MS / 1000,
			    (HG_RUNNER_RELEASE_MS % 1000) * 1000000L };
	const struct timespec zero = { 0, 0 };
	int64_t		 id;
	ssize_t		 n;
	int		 released = 0;

	/* Whatever stopped the last task is not for this wait: SIGTERM is
	 * blocked but in ppoll, so none comes in between. A late stop of
	 * the last task, still pending, is heard now, while no task is set:
	 * left pending, it would take the place of a stop of the next (one
	 * SIGTERM is kept pending). */
	signals_stop = 0;
	(void)ppoll(NULL, 0, &zero, &r->unblocked);
	(void)taskfiles_spare_make(&r->cfg);
	for (;;) {
		if (signals_stop)
			*leaving = 1;
		n = recv(fd, &id, sizeof(id), MSG_DONTWAIT);
		if (n == (ssize_t)sizeof(id))
			return id;
		if (n != -1 || (errno != EAGAIN && errno != EINTR) ||
		    *leaving)
			return 0;
		if (ppoll(&pfd, 1, released ? NULL : &ts, &r->unblocked) == 0 &&
		    !released) {
			runner_release(r);
			released = 1;
		}
	}
}

/*
 * In a forked runner: runs task r->id, or first waits for one on fd if
 * r->id is 0; then, if it has a channel (fd is not -1), runs the next
 * queued task if the end took one for it, or tells the host it is idle
 * and waits for the next, up to HG_RUNNER_TASKS and while the host is
 * there. Does not return.
 */
static void
serve(struct runner *r, int fd, char *title, size_t room)
{
	static const int64_t	 idle_msg = 0;
	char			 name[24];
	int			 n, rc = 0, leaving = 0;

	for (n = 1; ; n++) {
		if (r->id == 0 && (r->id = await_task(r, fd, &leaving)) <= 0)
			break;
		snprintf(name, sizeof(name), "%lld", (long long)r->id);
		retitle(title, room, name);
		r->host_fd = n < HG_RUNNER_TASKS ? fd : -1;
		rc = runner_run(r);
		/* The next, if this one's end took it: it is this runner's
		 * already, with no word to or from the host. */
		if ((r->id = r->next.id) != 0)
			continue;
		if (rc != 0 || fd == -1 || n == HG_RUNNER_TASKS || leaving)
			break;
		retitle(title, room, "--spare");
		if (send(fd, &idle_msg, sizeof(idle_msg), MSG_NOSIGNAL) !=
		    (ssize_t)sizeof(idle_msg))
			break;
	}
	if (fd != -1)
		close(fd);
	taskfiles_spare_remove(&r->cfg);
	runner_close(r);
	exit(rc);
}

/*
 * Forks a runner for task id, or a spare if id is 0, kept on a channel
 * while there is room for one. Returns 0, or -1 if fork failed.
 */
static int
fork_runner(const struct config *cfg, int64_t id, int sock, char *title)
{
	static struct runner	 r;
	size_t			 room = title_room;
	int			 sp[2] = { -1, -1 };
	pid_t			 pid;

	if (nkept < HG_HOST_KEPT_MAX && socketpair(AF_UNIX, SOCK_SEQPACKET |
	    SOCK_CLOEXEC, 0, sp) == -1)
		sp[0] = sp[1] = -1;
	if (sp[0] == -1 && id == 0)
		return -1;	/* a spare with no channel is no use */
	if ((pid = fork()) == -1) {
		if (sp[0] != -1) {
			close(sp[0]);
			close(sp[1]);
		}
		return -1;
	}
	if (pid > 0) {
		if (sp[0] != -1) {
			close(sp[1]);
			kept[nkept].fd = sp[0];
			kept[nkept].idle = id == 0;
			kept[nkept++].since = hg_mono_ms();
		}
		return 0;
	}
	if (sp[0] != -1)
		close(sp[0]);
	if (id == 0)
		retitle(title, room, "--spare");
	r.id = id;
	runner_child(cfg, sock, &r);
	serve(&r, sp[1], title, room);
	return 0;
}

/* What runner i says: idle again, or (at its end) gone. */
static void
kept_read(size_t i)
{
	int64_t	 msg;
	ssize_t	 n;

	n = recv(kept[i].fd, &msg, sizeof(msg), MSG_DONTWAIT);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n != (ssize_t)sizeof(msg) || msg != 0) {
		kept_drop(i);
		return;
	}
	kept[i].idle = 1;
	kept[i].since = hg_mono_ms();
	if (kept_idle() > idle_max)
		kept_drop(i);
}

/*
 * Waits up to timeout ms (as poll does) for what the runners say, and
 * hears it. io, if not NULL, are two more descriptors to wait for, whose
 * revents are set. Returns how many runners spoke, or -1 (poll's errno).
 */
static int
kept_poll(int timeout, struct pollfd io[2])
{
	static struct pollfd	 pfd[2 + HG_HOST_KEPT_MAX];
	size_t			 i, base = 0, np;
	int			 n = 0;

	if (io != NULL) {
		pfd[0] = io[0];
		pfd[1] = io[1];
		base = 2;
	}
	for (i = 0; i < nkept; i++) {
		pfd[base + i].fd = kept[i].fd;
		pfd[base + i].events = POLLIN;
	}
	np = base + nkept;
	if (poll(pfd, np, timeout) == -1)
		return -1;
	if (io != NULL) {
		io[0].revents = pfd[0].revents;
		io[1].revents = pfd[1].revents;
	}
	/* From the last: a drop moves the last kept runner into the slot
	 * dropped, one already heard. */
	for (i = np; i-- > base; )
		if (pfd[i].revents != 0) {
			kept_read(i - base);
			n++;
		}
	return n;
}

/* Starts task id on the newest idle runner, or on a runner forked for
 * it if none is (those found gone are dropped); by exec if fork fails. */
static void
dispatch(const struct config *cfg, int64_t id, int sock, char *title)
{
	struct hg_err	 e;
	size_t		 best;
	int		 looked = 0;

	for (;;) {
		best = kept_newest();
		/* Ids can come faster than the loop in host_main turns:
		 * before forking, hear the runners that are idle again. */
		if (best == SIZE_MAX && !looked++ && kept_poll(0, NULL) > 0)
			continue;
		if (best == SIZE_MAX)
			break;
		if (send(kept[best].fd, &id, sizeof(id), MSG_NOSIGNAL |
		    MSG_DONTWAIT) == (ssize_t)sizeof(id)) {
			kept[best].idle = 0;
			return;
		}
		kept_drop(best);
	}
	if (fork_runner(cfg, id, sock, title) == 0)
		return;
	runlog_printf("hourglass-runner host: fork: %s; starting task %lld "
	    "by exec", strerror(errno), (long long)id);
	if (launch_runner(cfg, id, &e) == -1)
		runlog_printf("hourglass-runner host: %s", e.msg);
}

int
host_main(char *title)
{
	struct pollfd		 io[2];
	struct config		 cfg;
	int64_t			 ids[HG_HOST_BATCH];
	char			 err[1024];
	ssize_t			 n;
	size_t			 i;
	int			 sock, fd, timeout;

	/* The argument is padded with blanks (LAUNCH_HOST_ARG): room for
	 * a forked runner's title, measured before any is written. Its own
	 * ends with NULs, so that ps shows "--host" and no blanks. */
	title_room = strlen(title);
	retitle(title, title_room, "--host");
	/* What each runner would otherwise do for itself, once: glibc
	 * reads /etc/localtime on the first gmtime_r(), which a runner
	 * calls inside its first write transaction. */
	tzset();
	signal(SIGCHLD, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	if (config_load(&cfg, err, sizeof(err)) == -1) {
		runlog_printf("hourglass-runner host: %s", err);
		return 1;
	}
	/* Spare folders of runners that were killed as they waited. */
	taskfiles_spares_sweep(&cfg);
	/* Its runners, forked, inherit these. */
	cfg.server_err = warn_open();
	runlog_open(&cfg);
	/* Each task that may run (at least 1), and the spare forked as the
	 * last idle one was taken. */
	idle_max = (size_t)cfg.max_running < HG_HOST_KEPT_MAX ?
	    (size_t)cfg.max_running + 1 : HG_HOST_KEPT_MAX;
	/* A host left from an earlier server keeps its own (unlinked)
	 * socket until it sees its stdin close. */
	if ((sock = notify_listen(cfg.host)) == -1) {
		runlog_printf("hourglass-runner host: %s: %s", cfg.host,
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
	io[0].fd = 0;
	io[0].events = POLLIN;
	io[1].fd = sock;
	io[1].events = POLLIN;
	for (;;) {
		if (kept_idle() == 0)
			(void)fork_runner(&cfg, 0, sock, title);
		/* Retired before kept_poll lists who to wait for: a runner
		 * let go while listed would leave its slot to another. */
		timeout = idle_retire();
		if (kept_poll(timeout, io) == -1) {
			if (errno == EINTR)
				continue;
			runlog_printf("hourglass-runner host: poll: %s",
			    strerror(errno));
			break;
		}
		/* EOF (or anything at all) on stdin: the server is gone.
		 * Ids still queued are started by the janitor of the next
		 * server, as launched tasks no runner took. */
		if (io[0].revents != 0)
			break;
		while ((n = recv(sock, ids, sizeof(ids), MSG_DONTWAIT)) > 0) {
			if (n % (ssize_t)sizeof(ids[0]) != 0)
				continue;
			for (i = 0; i < (size_t)n / sizeof(ids[0]); i++)
				if (ids[i] > 0)
					dispatch(&cfg, ids[i], sock, title);
		}
	}
	/* Idle runners read the end of their channels and exit; busy ones
	 * after their task. */
	while (nkept > 0)
		kept_drop(nkept - 1);
	close(sock);
	return 0;
}
