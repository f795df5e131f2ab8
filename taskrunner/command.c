/*
 * Running an operator's command: execve, never a shell, in a process
 * group of its own, with a clean environment, stdout and stderr read line
 * by line (progress lines apart, the rest to the log), and a stop that
 * reaches the whole group: SIGTERM, then SIGKILL after grace_s.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hg.h"
#include "lines.h"
#include "progress.h"
#include "command.h"
#include "outbox.h"
#include "signals.h"
#include "store.h"
#include "taskfiles.h"
#include "warn.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC	(1U << 2)
#endif


/* What the child reports through the exec pipe when it cannot start. */
struct exec_report {
	int	 stage;		/* 1: chdir, 2: execve */
	int	 err;
};

/* A command while it runs: what its output said, and its stop. */
struct cmd {
	struct outbox		*ob;
	const struct kind	*k;
	struct cmd_end		 end;		/* what its output said */
	pid_t			 pid;
	int			 status;	/* waitpid's, once exited */
	int			 exited;
	int			 stopping;	/* SIGTERM sent, or none due */
	int			 timedout;	/* stopped by its timeout */
	/* Monotonic ms; INT64_MAX: not due. t_out: timeout_s runs out;
	 * kill_at: SIGKILL, grace_s after SIGTERM; end_at: grace_s after
	 * a complete line. drain_left: ms the output may be quiet after
	 * the exit (command_wait). */
	int64_t			 t_out;
	int64_t			 kill_at;
	int64_t			 end_at;
	int64_t			 drain_left;
};

struct outstream {
	int		 fd;
	const char	*name;
	struct cmd	*c;
	struct lines	 lines;
	char		 buf[HG_JSON_LINE_MAX];	/* of lines */
};

/* A line the parser refused: the line as it came, then why. */
static void
line_refused(struct outbox *ob, const char *line, const char *why)
{
	outbox_log(ob, "stdout", line);
	outbox_log(ob, "stderr", why);
}

int
command_stdout_line(struct outbox *ob, const struct kind *k,
    struct cmd_end *end, const char *line)
{
	struct pline	 pl;
	int		 taken = 1;

	switch (progress_parse(line, strlen(line), k->has_regex ?
	    &k->progress_re : NULL, &pl)) {
	case PLINE_PROGRESS:
		outbox_progress(ob, pl.value, pl.total,
		    pl.has_message ? pl.message : NULL);
		break;
	case PLINE_DATA:
		outbox_data(ob, pl.name, pl.json, pl.json_len);
		break;
	case PLINE_RESULT:
		outbox_result(ob, pl.json, pl.json_len);
		break;
	case PLINE_COMPLETE:
		end->complete = 1;
		end->code = pl.code;
		snprintf(end->msg, sizeof(end->msg), "%s",
		    pl.has_message ? pl.message : "");
		if (pl.json != NULL)
			outbox_result(ob, pl.json, pl.json_len);
		if (pl.why[0] != '\0')
			line_refused(ob, line, pl.why);
		break;
	case PLINE_LOG:
		if (pl.why[0] != '\0')
			line_refused(ob, line, pl.why);
		else
			taken = 0;
		break;
	}
	pline_free(&pl);
	return taken;
}

/*
 * A line of stderr is the log's, and progress too if the kind's
 * progress_regex reads it, since tools that draw their own progress
 * (curl, wget, ffmpeg) draw it there. The protocol's lines are stdout's
 * alone.
 */
static void
command_stderr_line(struct outbox *ob, const struct kind *k,
    const char *line)
{
	double	 percent;

	if (k->has_regex && progress_regex(line, &k->progress_re,
	    &percent) == 0)
		outbox_progress(ob, percent, 100, NULL);
	outbox_log(ob, "stderr", line);
}

static void
line_done(void *arg, const char *raw, size_t len)
{
	/* Static: a '{' line of HG_JSON_LINE_MAX made valid UTF-8 may
	 * triple, too much for the stack. */
	static char	 clean[HG_JSON_LINE_MAX * 3 + 4];
	struct outstream *s = arg;
	struct cmd	*c = s->c;

	hg_utf8_clean(raw, len, clean, sizeof(clean));
	if (strcmp(s->name, "stderr") == 0)
		command_stderr_line(c->ob, c->k, clean);
	else if (!command_stdout_line(c->ob, c->k, &c->end, clean))
		outbox_log(c->ob, s->name, clean);
}

/* Reads what is there, into lines. Returns 0 at end of file. */
static int
stream_read(struct outstream *s)
{
	char	 tmp[65536];
	ssize_t	 n;

	if ((n = read(s->fd, tmp, sizeof(tmp))) == -1)
		return errno == EINTR || errno == EAGAIN ? 1 : 0;
	if (n == 0) {
		lines_end(&s->lines);
		return 0;
	}
	lines_feed(&s->lines, tmp, (size_t)n);
	return 1;
}

char **
command_env(const struct kind *k, int64_t id, const cJSON *params,
    const char *extra)
{
	const cJSON	*p;
	char		**env, *val, *name;
	size_t		 n = 0, i, j;
	int		 rc;

	for (i = 0; k->env != NULL && k->env[i] != NULL; i++)
		n++;
	n += 3 + (size_t)cJSON_GetArraySize(params);
	if ((env = calloc(n + 1, sizeof(*env))) == NULL)
		return NULL;
	n = 0;
	if (!k->env_path && asprintf(&env[n++], "PATH=%s", k->path) == -1)
		goto fail;
	if (extra != NULL && (env[n++] = strdup(extra)) == NULL)
		goto fail;
	for (i = 0; k->env != NULL && k->env[i] != NULL; i++)
		if ((env[n++] = strdup(k->env[i])) == NULL)
			goto fail;
	if (asprintf(&env[n++], "HOURGLASS_TASK_ID=%lld", (long long)id) == -1)
		goto fail;
	cJSON_ArrayForEach(p, params) {
		if (asprintf(&name, "HOURGLASS_PARAM_%s", p->string) == -1)
			goto fail;
		for (j = 16; name[j] != '\0'; j++)
			if (name[j] >= 'a' && name[j] <= 'z')
				name[j] = (char)(name[j] - 'a' + 'A');
		if ((val = kinds_value_text(p)) == NULL) {
			free(name);
			goto fail;
		}
		rc = asprintf(&env[n++], "%s=%s", name, val);
		free(name);
		free(val);
		if (rc == -1)
			goto fail;
	}
	return env;
fail:
	env[n > 0 ? n - 1 : 0] = NULL;
	kinds_argv_free(env);
	return NULL;
}

/*
 * Forks and execs, as libuv's process.c does: signals blocked around the
 * fork, reset in the child (those not at their default: signals_set()),
 * and a close-on-exec pipe that carries the errno of a failed chdir or
 * execve; 0 bytes on it means the exec worked. Between fork and exec
 * only async-signal-safe calls, on the child's own stack frame's
 * copies. It is a vfork, as glibc's posix_spawn is: we wait for the
 * exec, but copy no page tables and take no copy-on-write faults
 * afterwards (posix_spawn itself could not tell a failed chdir from a
 * failed exec). Returns the pid, or -1 with the reason in why.
 *
 * The child asks for SIGTERM when the runner dies (PR_SET_PDEATHSIG):
 * with no server running, nobody else would end a command whose runner
 * was killed. SIGTERM rather than SIGKILL, as a stop sends first: the
 * command may clean up, and what it ignores the server's janitor ends
 * with SIGKILL after grace_s (reaper.c). The signal comes when the
 * parent *thread* ends; the runner has one thread, which forks here and
 * lives until the command is reaped. A runner killed before the prctl
 * would go unnoticed: the child compares getppid() with the runner's
 * pid taken before the vfork, and gives up if it was reparented. It
 * reaches the leader only (and the kernel drops it at the exec of a
 * set-user-ID program); what the command started is left to the
 * janitor, which ends what is left of the runner's session: the
 * command is born into it, and so is all it starts (reaper.c).
 */
static pid_t
spawn(const char *path, char **argv, char **env, const char *cwd, int out,
    int err, char *why, size_t len)
{
	struct exec_report	 rep;
	struct sigaction	 sa;
	sigset_t		 all, old;
	pid_t			 pid, runner = getpid();
	ssize_t			 n;
	size_t			 nset, i;
	const int		*set = signals_set(&nset);
	int			 ep[2], devnull;

	if (pipe2(ep, O_CLOEXEC) == -1) {
		snprintf(why, len, "pipe: %s", strerror(errno));
		return -1;
	}
	if ((devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(why, len, "/dev/null: %s", strerror(errno));
		close(ep[0]);
		close(ep[1]);
		return -1;
	}
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	if ((pid = vfork()) == 0) {
		setpgid(0, 0);
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1 ||
		    getppid() != runner)
			_exit(127);
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = SIG_DFL;
		for (i = 0; i < nset; i++)
			(void)sigaction(set[i], &sa, NULL);
		dup2(devnull, 0);
		dup2(out, 1);
		dup2(err, 2);
		/* Everything of ours is close-on-exec already; this makes
		 * sure of it for anything a library opened. */
		(void)syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
		rep.stage = 1;
		if (cwd == NULL || chdir(cwd) == 0) {
			sigemptyset(&all);
			sigprocmask(SIG_SETMASK, &all, NULL);
			execve(path, argv, env);
			rep.stage = 2;
		}
		rep.err = errno;
		(void)write(ep[1], &rep, sizeof(rep));
		_exit(127);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(devnull);
	close(ep[1]);
	if (pid == -1) {
		snprintf(why, len, "vfork: %s", strerror(errno));
		close(ep[0]);
		return -1;
	}
	/* Also here, so the group exists before we might signal it. */
	(void)setpgid(pid, pid);
	do
		n = read(ep[0], &rep, sizeof(rep));
	while (n == -1 && errno == EINTR);
	close(ep[0]);
	if (n == 0)
		return pid;
	while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof(rep))
		snprintf(why, len, "cannot start %s", path);
	else if (rep.stage == 1)
		snprintf(why, len, "cannot enter the working folder %s: %s",
		    cwd, strerror(rep.err));
	else
		snprintf(why, len, "cannot run %s: %s", path,
		    strerror(rep.err));
	return -1;
}

static int64_t
min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

static void
outcome_from_status(int status, struct outcome *o, char *msg, size_t len)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		o->has_exit_code = 1;
		o->exit_code = 0;
		return;
	}
	o->state = TASK_FAILED;
	if (WIFEXITED(status)) {
		o->has_exit_code = 1;
		o->exit_code = WEXITSTATUS(status);
		o->error_code = "exit_code";
		snprintf(msg, len, "exited with status %d", o->exit_code);
	} else {
		const char	*abbr = sigabbrev_np(WTERMSIG(status));

		o->error_code = "signal";
		snprintf(msg, len, "killed by signal %d (SIG%s)",
		    WTERMSIG(status), abbr != NULL ? abbr : "?");
	}
	o->error_message = msg;
}

/*
 * Starts c's command with its stdout on op[1] and its stderr on ep[1]
 * (both made here; the caller closes all four, -1 or not) and sets
 * c->pid. Returns 0, or -1 with the reason in msg.
 */
static int
command_start(struct cmd *c, const cJSON *params, int op[2], int ep[2],
    char *msg, size_t msglen)
{
	const struct kind	*k = c->k;
	char			 path[PATH_MAX], dir[PATH_MAX];
	char			**argv = NULL, **env = NULL;
	char			 in[PATH_MAX];
	const char		*cwd = command_cwd(k, c->ob->cfg, in, sizeof(in));
	int			 rc = -1;

	if ((argv = kinds_argv(k, params)) == NULL ||
	    (env = command_env(k, c->ob->id, params, NULL)) == NULL) {
		snprintf(msg, msglen, "out of memory");
		goto out;
	}
	if (kinds_resolve(k, path, sizeof(path)) == -1) {
		snprintf(msg, msglen, "cannot run %s", path);
		goto out;
	}
	if (cwd != NULL && cwd[0] == '\0') {
		snprintf(msg, msglen, "the working folder %s: path too long",
		    k->cwd);
		goto out;
	}
	if (cwd == NULL) {
		if (taskfiles_dir_make(c->ob->cfg, c->ob->id, dir,
		    sizeof(dir)) == -1) {
			snprintf(msg, msglen, "the task's folder %s: %s", dir,
			    strerror(errno));
			goto out;
		}
		cwd = dir;
	}
	if (pipe2(op, O_CLOEXEC) == -1 || pipe2(ep, O_CLOEXEC) == -1) {
		snprintf(msg, msglen, "pipe: %s", strerror(errno));
		goto out;
	}
	if ((c->pid = spawn(path, argv, env, cwd, op[1], ep[1], msg,
	    msglen)) == -1)
		goto out;
	rc = 0;
out:
	kinds_argv_free(argv);
	kinds_argv_free(env);
	return rc;
}

/* Whether the command has exited: reaps it, once, and kills what it
 * left in its group. */
static int
command_reaped(struct cmd *c)
{
	if (!c->exited && waitpid(c->pid, &c->status, WNOHANG) == c->pid) {
		c->exited = 1;
		signals_child = 0;
		/* Whatever it left behind in its group goes too. */
		(void)kill(-c->pid, SIGKILL);
		c->drain_left = HG_DRAIN_OUTPUT_MS;
	}
	return c->exited;
}

/*
 * Sends what a stop, a timeout or the grace after a complete line calls
 * for, as their times come: SIGTERM to the group, then SIGKILL grace_s
 * later.
 */
static void
command_deadlines(struct cmd *c, int64_t now)
{
	int64_t	 grace = (int64_t)(c->k->grace_s * 1000);
	int	 asked;

	/* The timeout is the command's: once it has exited (looked at
	 * again as the timeout comes, in case it just did), its status
	 * decides, however long its output takes to drain. */
	asked = !c->stopping && outbox_stop_asked(c->ob);
	if (!c->stopping && (asked || (now >= c->t_out &&
	    !command_reaped(c)))) {
		c->timedout = !asked;
		c->stopping = 1;
		if (!c->exited)
			(void)kill(-c->pid, SIGTERM);
		c->kill_at = now + grace;
		/* A command that said it is complete is ending already. */
		if (c->timedout && !c->end.complete)
			outbox_timed_out(c->ob);
	}
	/* After a complete line the command has grace_s to end. */
	if (c->end.complete && !c->stopping && c->end_at == INT64_MAX)
		c->end_at = now + grace;
	if (!c->stopping && now >= c->end_at) {
		c->stopping = 1;
		(void)kill(-c->pid, SIGTERM);
		c->kill_at = now + grace;
	}
	if (!c->exited && now >= c->kill_at) {
		(void)kill(-c->pid, SIGKILL);
		c->kill_at = INT64_MAX;
	}
}

/* Waits until the monotonic ms until at most for output (or a signal),
 * and reads what came; a stream at its end is closed (fd -1). While the
 * outbox cannot take more (outbox_stalled), it only waits: the command
 * blocks on a full pipe, and nothing it wrote is dropped. Returns the
 * ms it waited for output that did not come (idle), or -1 if it could
 * only wait. */
static int64_t
command_read(struct cmd *c, struct outstream *so, struct outstream *se,
    int64_t now, int64_t until, const sigset_t *unblocked)
{
	struct pollfd	 pfd[2];
	struct timespec	 ts;
	nfds_t		 n = 0, i;
	int64_t		 idle;
	int		 reading = !outbox_stalled(c->ob);

	if (reading && so->fd != -1) {
		pfd[n].fd = so->fd;
		pfd[n++].events = POLLIN;
	}
	if (reading && se->fd != -1) {
		pfd[n].fd = se->fd;
		pfd[n++].events = POLLIN;
	}
	ts.tv_sec = (until - now) / 1000;
	ts.tv_nsec = (long)((until - now) % 1000) * 1000000;
	if (ppoll(pfd, n, &ts, unblocked) <= 0)
		return n > 0 ? hg_mono_ms() - now : -1;
	idle = hg_mono_ms() - now;
	for (i = 0; i < n; i++) {
		struct outstream *s = pfd[i].fd == so->fd ? so : se;

		if (pfd[i].revents == 0)
			continue;
		if (stream_read(s) == 0) {
			close(s->fd);
			s->fd = -1;
		}
	}
	return n > 0 ? idle : -1;
}

/*
 * Reads the command's output until it has exited and its streams are
 * at their end, or until it has waited HG_DRAIN_OUTPUT_MS in all for
 * more after its exit (or read for ten times that): whatever it left
 * running in its group may hold them open. Time spent writing, or
 * waiting to write (outbox_stalled), does not count: what is in the
 * pipes waits for it.
 */
static void
command_wait(struct cmd *c, struct outstream *so, struct outstream *se,
    const sigset_t *unblocked)
{
	int64_t	 now, until, idle, wall = HG_DRAIN_OUTPUT_MS * 10;

	while (!c->exited || ((so->fd != -1 || se->fd != -1) &&
	    c->drain_left > 0 && wall > 0)) {
		now = hg_mono_ms();
		command_deadlines(c, now);
		until = outbox_flush(c->ob, 0);
		now = hg_mono_ms();
		/* Once stopping, the stop flag, the timeout and the end's
		 * grace are spent: times past, which would make this spin
		 * while a stall keeps the pipes unread. */
		if (!c->stopping)
			until = min64(until, min64(outbox_stop_due(c->ob),
			    min64(c->exited ? INT64_MAX : c->t_out,
			    c->end_at)));
		if (!c->exited)
			until = min64(until, c->kill_at);
		else if (!outbox_stalled(c->ob))
			until = min64(until, now + c->drain_left);
		if (until < now)
			until = now;
		idle = command_read(c, so, se, now, until, unblocked);
		if (c->exited && idle >= 0) {
			c->drain_left -= idle;
			wall -= hg_mono_ms() - now;
		}
		(void)command_reaped(c);
	}
}

const char *
command_cwd(const struct kind *k, const struct config *cfg, char *buf,
    size_t len)
{
	if (k->cwd == NULL)
		return NULL;
	if (k->cwd[0] == '/')
		return k->cwd;
	if ((size_t)snprintf(buf, len, "%s/%s", cfg->data, k->cwd) >= len)
		return "";
	return buf;
}

int
command_outcome_said(struct outbox *ob, const struct kind *k,
    const struct cmd_end *end, int stopping, int timedout,
    struct outcome *o, char *msg, size_t msglen)
{
	o->error_code = NULL;
	o->error_message = NULL;
	o->state = TASK_SUCCEEDED;
	if (stopping && !end->complete) {
		if (timedout) {
			o->state = TASK_FAILED;
			o->error_code = "timeout";
			snprintf(msg, msglen, "stopped after its timeout of "
			    "%g s", k->timeout_s);
			o->error_message = msg;
		} else
			o->state = TASK_CANCELED;
	} else if (end->complete) {
		if (end->code == 0) {
			/* Its code is the exit code, as an exit status is. */
			o->has_exit_code = 1;
			o->exit_code = 0;
			if (end->msg[0] != '\0')
				outbox_message(ob, end->msg);
		} else {
			o->state = TASK_FAILED;
			o->has_exit_code = 1;
			o->exit_code = end->code;
			o->error_code = "exit_code";
			snprintf(msg, msglen, "%s", end->msg[0] != '\0' ?
			    end->msg : "reported failure");
			o->error_message = msg;
		}
	} else
		return 0;
	return 1;
}

/* How the command ended, from its stop, its complete line or its
 * status. */
static void
command_outcome(struct cmd *c, struct outcome *o, char *msg, size_t msglen)
{
	if (!command_outcome_said(c->ob, c->k, &c->end, c->stopping,
	    c->timedout, o, msg, msglen))
		outcome_from_status(c->status, o, msg, msglen);
}

/* Sets s up to read fd, each line to line_done(). */
static void
stream_init(struct outstream *s, int fd, const char *name, struct cmd *c)
{
	memset(s, 0, sizeof(*s));
	s->fd = fd;
	s->name = name;
	s->c = c;
	lines_init(&s->lines, s->buf, HG_LINE_MAX, sizeof(s->buf), line_done,
	    s);
}

void
command_run(struct outbox *ob, const struct kind *k, const cJSON *params,
    const sigset_t *unblocked, struct outcome *o, char *msg, size_t msglen)
{
	static struct outstream	 so, se;	/* 128 KiB of line each */
	struct cmd		 c;
	int			 op[2] = { -1, -1 }, ep[2] = { -1, -1 };
	int			 i;

	memset(&c, 0, sizeof(c));
	c.ob = ob;
	c.k = k;
	c.t_out = c.kill_at = c.end_at = INT64_MAX;
	o->state = TASK_FAILED;
	o->error_code = "exec_failed";
	o->error_message = msg;
	if (command_start(&c, params, op, ep, msg, msglen) == -1)
		goto out;
	close(op[1]);
	close(ep[1]);
	op[1] = ep[1] = -1;
	stream_init(&so, op[0], "stdout", &c);
	stream_init(&se, ep[0], "stderr", &c);
	if (k->timeout_s > 0)
		c.t_out = hg_mono_ms() + (int64_t)(k->timeout_s * 1000);
	command_wait(&c, &so, &se, unblocked);
	/* A stream still open: something the command left running holds
	 * it. What the command wrote last without a newline is its last
	 * line, as at the stream's end. */
	if (so.fd != -1) {
		lines_end(&so.lines);
		close(so.fd);
	}
	if (se.fd != -1) {
		lines_end(&se.lines);
		close(se.fd);
	}
	op[0] = ep[0] = -1;
	command_outcome(&c, o, msg, msglen);
out:
	for (i = 0; i < 2; i++) {
		if (op[i] != -1)
			close(op[i]);
		if (ep[i] != -1)
			close(ep[i]);
	}
}
