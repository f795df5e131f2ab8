/*
 * Running a command kind as a Slurm batch job. The job's script only
 * execs the argv, each element single-quoted, so that no parameter is
 * ever read by a shell; sbatch, squeue, sacct, scontrol and scancel run
 * with execve too. The job's id and how much of its output was read are
 * recorded with the task, so that another runner can follow the job on.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "command.h"
#include "hg.h"
#include "lines.h"
#include "progress.h"
#include "slurm.h"
#include "taskfiles.h"
#include "taskjson.h"
#include "warn.h"

extern char	**environ;

/* A job while Hourglass follows it. */
struct job {
	struct outbox		*ob;
	const struct kind	*k;
	char			**env;		/* for Slurm's tools */
	int64_t			 id;		/* the job; 0: none yet */
	char			 out[PATH_MAX];	/* its output file */
	int64_t			 offset;	/* of out, read and done */
	int64_t			 fed;		/* of out, fed to lines */
	struct lines		 lines;
	char			 buf[HG_JSON_LINE_MAX];
	struct cmd_end		 end;		/* a complete line came */
	int			 running;	/* Slurm ran it */
	int			 stopping;	/* scancel --batch sent */
	int			 timedout;
	int			 gone;		/* squeue no longer has it */
	int			 unreached;	/* an sbatch did not hear
						 * back from slurmctld */
	int			 ended;		/* Slurm said how it ended: */
	int			 end_code;	/* its exit code */
	int			 catchup;	/* reading what came while no
						 * runner followed the job */
	int			 followed;	/* submitted by another runner */
	int			 attempt;	/* the task's, from 1 */
	/* Monotonic ms; INT64_MAX: not due. */
	int64_t			 t_out;
	int64_t			 kill_at;
	char			 state[32];	/* squeue's %T */
	char			 reason[128];	/* squeue's %r */
	/* What the task records: a write only when it changes. */
	char			 said[32 + 1 + 128];	/* "state|reason" */
	int			 said_running;
};

static int64_t
min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

/* Appends s to b as one single-quoted shell word: ' becomes '\''. */
static void
quote(struct buf *b, const char *s)
{
	(void)buf_add(b, "'", 1);
	for (; *s != '\0'; s++)
		if (*s == '\'')
			(void)buf_add(b, "'\\''", 4);
		else
			(void)buf_add(b, s, 1);
	(void)buf_add(b, "'", 1);
}

/*
 * The environment of Slurm's tools, which the job inherits (sbatch's
 * default --export=ALL): a command's (command_env), and SLURM_CONF if
 * the runner has it. Returns a malloc'd array (kinds_argv_free), or NULL
 * when memory runs out.
 */
static char **
job_env(const struct kind *k, int64_t id, const cJSON *params)
{
	const char	*conf = getenv("SLURM_CONF");
	char		*extra = NULL, **env;

	if (conf != NULL && asprintf(&extra, "SLURM_CONF=%s", conf) == -1)
		return NULL;
	env = command_env(k, id, params, extra);
	free(extra);
	return env;
}

/*
 * Runs Slurm's tool argv[0] (found in the kind's PATH) with env, waits
 * for it, and puts its stdout in out and its stderr in err (each cut to
 * its size, NUL-terminated). Returns its exit status, or -1 when it did
 * not run (the reason in err).
 */
static int
tool(const struct kind *k, char *const argv[], char **env, char *out,
    size_t outlen, char *err, size_t errlen)
{
	posix_spawn_file_actions_t	 fa;
	posix_spawnattr_t		 at;
	sigset_t			 none, dfl;
	struct pollfd			 pfd[2];
	char				 path[PATH_MAX], tmp[4096];
	size_t				 got[2] = { 0, 0 }, cap[2];
	char				*dst[2];
	int				 op[2] = { -1, -1 };
	int				 ep[2] = { -1, -1 };
	int				 status, rc = -1, i, open_n;
	pid_t				 pid;
	ssize_t				 n;

	out[0] = err[0] = '\0';
	dst[0] = out;
	dst[1] = err;
	cap[0] = outlen - 1;
	cap[1] = errlen - 1;
	if (kinds_resolve_prog(k, argv[0], path, sizeof(path)) == -1) {
		snprintf(err, errlen, "%.400s", path);
		return -1;
	}
	if (pipe2(op, O_CLOEXEC) == -1 || pipe2(ep, O_CLOEXEC) == -1) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		goto out;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, op[1], 1);
	posix_spawn_file_actions_adddup2(&fa, ep[1], 2);
	/* The runner blocks SIGTERM and SIGCHLD, and ignores some: the
	 * tool starts with none blocked and every one at its default. */
	posix_spawnattr_init(&at);
	sigemptyset(&none);
	sigfillset(&dfl);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &dfl);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK |
	    POSIX_SPAWN_SETSIGDEF);
	i = posix_spawn(&pid, path, &fa, &at, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (i != 0) {
		snprintf(err, errlen, "%.400s: %s", path, strerror(i));
		goto out;
	}
	close(op[1]);
	close(ep[1]);
	op[1] = ep[1] = -1;
	pfd[0].fd = op[0];
	pfd[1].fd = ep[0];
	pfd[0].events = pfd[1].events = POLLIN;
	open_n = 2;
	while (open_n > 0) {
		if (poll(pfd, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (i = 0; i < 2; i++) {
			if (pfd[i].fd == -1 || pfd[i].revents == 0)
				continue;
			if ((n = read(pfd[i].fd, tmp, sizeof(tmp))) <= 0) {
				if (n == -1 && errno == EINTR)
					continue;
				pfd[i].fd = -1;
				open_n--;
				continue;
			}
			if ((size_t)n > cap[i] - got[i])
				n = (ssize_t)(cap[i] - got[i]);
			memcpy(dst[i] + got[i], tmp, (size_t)n);
			got[i] += (size_t)n;
		}
	}
	out[got[0]] = '\0';
	err[got[1]] = '\0';
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
	/* What the tool said, every line of it (a warning may come before
	 * the error), on one line, for messages. */
	while (got[1] > 0 && err[got[1] - 1] == '\n')
		err[--got[1]] = '\0';
	for (i = 0; (size_t)i < got[1]; i++)
		if (err[i] == '\n')
			err[i] = ' ';
out:
	for (i = 0; i < 2; i++) {
		if (op[i] != -1)
			close(op[i]);
		if (ep[i] != -1)
			close(ep[i]);
	}
	return rc;
}

/* Writes the batch script: it only execs argv. Returns 0, or -1 with
 * the reason in msg. */
static int
write_script(const char *path, char **argv, char *msg, size_t msglen)
{
	struct buf	 b;
	size_t		 i;
	int		 fd, rc = -1;

	memset(&b, 0, sizeof(b));
	(void)buf_add(&b, "#!/bin/sh\nexec", 14);
	for (i = 0; argv[i] != NULL; i++) {
		(void)buf_add(&b, " ", 1);
		quote(&b, argv[i]);
	}
	if (buf_add(&b, "\n", 1) == -1) {
		snprintf(msg, msglen, "out of memory");
		goto out;
	}
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0700)) == -1 || write(fd, b.p, b.len) != (ssize_t)b.len) {
		snprintf(msg, msglen, "the job's script %s: %s", path,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		goto out;
	}
	if (close(fd) == -1) {
		snprintf(msg, msglen, "the job's script %s: %s", path,
		    strerror(errno));
		goto out;
	}
	rc = 0;
out:
	buf_free(&b);
	return rc;
}

/*
 * The job that a runner submitted for this attempt and died before it
 * recorded: one of the task's name whose script is this attempt's, in
 * any state while slurmctld keeps it. Sets j->id; or leaves it 0. Returns
 * 0, or -1 if squeue could not tell.
 */
static int
find_submitted(struct job *j, const char *name, const char *script)
{
	char	 out[4096], err[256], *line, *bar, *end, *next;
	char	*argv[] = { "squeue", "-h", (char *)name, "-t", "all", "-o",
	    "%i|%o", NULL };
	long long id;

	if (tool(j->k, argv, j->env, out, sizeof(out), err, sizeof(err)) != 0)
		return -1;
	for (line = strtok_r(out, "\n", &next); line != NULL;
	    line = strtok_r(NULL, "\n", &next)) {
		if ((bar = strchr(line, '|')) == NULL ||
		    strcmp(bar + 1, script) != 0)
			continue;
		errno = 0;
		id = strtoll(line, &end, 10);
		if (errno == 0 && end == bar && id > 0) {
			j->id = id;
			return 0;
		}
	}
	return 0;
}

/* Whether sbatch's complaint says slurmctld did not answer: words of
 * Slurm's own messages (slurm_errno.c), which time may mend. */
static int
unreached(const char *err)
{
	return strstr(err, "Unable to contact slurm controller") != NULL ||
	    strstr(err, "Socket timed out") != NULL ||
	    strstr(err, "Zero Bytes were transmitted or received") != NULL;
}

/* Submits j's job. Returns 0; 1 if sbatch could not reach slurmctld;
 * or -1; with the reason in msg but for 0. */
static int
submit(struct job *j, const cJSON *params, char *msg, size_t msglen)
{
	const struct kind	*k = j->k;
	char			 dir[PATH_MAX], script[PATH_MAX + 16];
	char			 name[64], out[PATH_MAX + 16], tlim[64];
	char			 cwd[PATH_MAX + 16], sout[256], serr[512];
	char			 indir[PATH_MAX];
	const char		*in;
	char			**argv = NULL, **opts = NULL;
	char			*sargv[16 + HG_KIND_SLURM_OPTS_MAX];
	struct hg_err		 e;
	size_t			 n = 0, i;
	char			*end;
	long long		 id;
	int			 rc = -1, st;

	if ((argv = kinds_argv(k, params)) == NULL ||
	    (opts = kinds_slurm_options(k, params)) == NULL) {
		snprintf(msg, msglen, "out of memory");
		goto out;
	}
	if (taskfiles_dir_make(j->ob->cfg, j->ob->id, dir, sizeof(dir)) ==
	    -1) {
		snprintf(msg, msglen, "the task's folder %s: %s", dir,
		    strerror(errno));
		goto out;
	}
	/* One script for each attempt: its path tells the attempt's job
	 * from an earlier one's in find_submitted. */
	snprintf(script, sizeof(script), "%s/slurm-%d.sh", dir, j->attempt);
	snprintf(name, sizeof(name), "--name=hourglass-%lld",
	    (long long)j->ob->id);
	/* A runner that died between sbatch and recording the job left
	 * it running: this one follows it, and submits no second job. So
	 * may an sbatch that timed out waiting for slurmctld's answer: a
	 * try after one that could not reach it goes only once squeue
	 * says there is no such job (else sbatch would say what is
	 * wrong). */
	if (find_submitted(j, name, script) == -1 && j->unreached) {
		snprintf(msg, msglen, "squeue could not say whether the "
		    "last sbatch made a job");
		rc = 1;
		goto out;
	}
	if (j->id != 0) {
		j->catchup = 1;
		goto record;
	}
	if (write_script(script, argv, msg, msglen) == -1)
		goto out;
	snprintf(name, sizeof(name), "--job-name=hourglass-%lld",
	    (long long)j->ob->id);
	snprintf(out, sizeof(out), "--output=%s", j->out);
	if ((in = command_cwd(k, j->ob->cfg, indir, sizeof(indir))) != NULL &&
	    in[0] == '\0') {
		snprintf(msg, msglen, "the working folder %s: path too long",
		    k->cwd);
		goto out;
	}
	snprintf(cwd, sizeof(cwd), "--chdir=%s", in != NULL ? in : dir);
	sargv[n++] = "sbatch";
	sargv[n++] = "--parsable";
	sargv[n++] = name;
	sargv[n++] = "--no-requeue";
	sargv[n++] = out;
	sargv[n++] = cwd;
	if (k->timeout_s > 0) {
		/* Whole minutes, rounded up: Hourglass's own timer is the
		 * exact one. */
		snprintf(tlim, sizeof(tlim), "--time=%lld",
		    (long long)((k->timeout_s + 59.999) / 60));
		sargv[n++] = tlim;
	}
	for (i = 0; opts[i] != NULL; i++)
		sargv[n++] = opts[i];
	sargv[n++] = script;
	sargv[n] = NULL;
	if ((st = tool(k, sargv, j->env, sout, sizeof(sout), serr,
	    sizeof(serr))) != 0) {
		if (st != -1 && unreached(serr)) {
			snprintf(msg, msglen, "sbatch could not reach "
			    "slurmctld: %s", serr);
			j->unreached = 1;
			rc = 1;
			goto out;
		}
		snprintf(msg, msglen, "sbatch %s: %s", st == -1 ?
		    "did not run" : "refused the job", serr[0] != '\0' ?
		    serr : "no reason given");
		goto out;
	}
	/* --parsable: "id" or "id;cluster". */
	errno = 0;
	id = strtoll(sout, &end, 10);
	if (errno != 0 || id <= 0 || end == sout || (*end != '\0' &&
	    *end != ';' && *end != '\n')) {
		snprintf(msg, msglen, "sbatch answered no job id: %.64s",
		    sout);
		goto out;
	}
	j->id = id;
record:
	snprintf(j->state, sizeof(j->state), "PENDING");
	while (store_task_slurm(j->ob->st, j->ob->id, j->id, j->state, NULL,
	    0, &e) == -1) {
		/* The job runs: its id must be kept, or it is lost. */
		warn_task(j->ob->id, "recording job %lld: %s",
		    (long long)j->id, e.msg);
		sleep(1);
	}
	rc = 0;
out:
	kinds_argv_free(argv);
	kinds_argv_free(opts);
	return rc;
}

static void
line_done(void *arg, const char *raw, size_t len)
{
	/* Static: a '{' line of HG_JSON_LINE_MAX made valid UTF-8 may
	 * triple, too much for the stack. */
	static char	 clean[HG_JSON_LINE_MAX * 3 + 4];
	struct job	*j = arg;

	hg_utf8_clean(raw, len, clean, sizeof(clean));
	if (!command_stdout_line(j->ob, j->k, &j->end, clean))
		outbox_log(j->ob, "stdout", clean);
	else if (j->catchup)
		/* Each value the job reported while nobody read it is kept,
		 * not only the last of the batch. */
		(void)outbox_flush(j->ob, 1);
}

/* Reads what the job's output has past j->fed, until the outbox can
 * take no more (outbox_stalled). j->offset follows the end of the last
 * whole line, from where another runner reads on. Returns 1 if it read
 * to the file's end (or there is no file), 0 if a stall stopped it. */
static int
read_output(struct job *j)
{
	char	 tmp[65536];
	ssize_t	 n = 0, i;
	int	 fd;

	if ((fd = open(j->out, O_RDONLY | O_CLOEXEC)) == -1)
		return 1;
	while (!outbox_stalled(j->ob) &&
	    (n = pread(fd, tmp, sizeof(tmp), (off_t)j->fed)) > 0) {
		lines_feed(&j->lines, tmp, (size_t)n);
		for (i = n - 1; i >= 0; i--)
			if (tmp[i] == '\n' || tmp[i] == '\r') {
				j->offset = j->fed + i + 1;
				break;
			}
		j->fed += n;
	}
	close(fd);
	return n <= 0;
}

/*
 * The output file of a job this runner follows rather than submitted,
 * as Slurm has it: a job submitted by a runner from before each attempt
 * had a file of its own writes the task's slurm.out. Only a file in the
 * task's folder dir is taken; a job squeue no longer lists keeps this
 * attempt's name.
 */
static void
follow_output(struct job *j, const char *dir)
{
	char	 idtxt[32], out[PATH_MAX + 64], err[256];
	char	*argv[] = { "squeue", "-h", "-j", idtxt, "-O", "STDOUT:4096",
	    NULL };
	size_t	 n, dlen = strlen(dir);

	snprintf(idtxt, sizeof(idtxt), "%lld", (long long)j->id);
	if (tool(j->k, argv, j->env, out, sizeof(out), err, sizeof(err)) != 0)
		return;
	/* The column is padded with spaces to its width. */
	n = strcspn(out, "\n");
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
	if (n < sizeof(j->out) && strncmp(out, dir, dlen) == 0 &&
	    out[dlen] == '/' && strchr(out + dlen + 1, '/') == NULL &&
	    strcmp(out, j->out) != 0) {
		warn_task(j->ob->id, "following job %lld's output in %s",
		    (long long)j->id, out + dlen + 1);
		memcpy(j->out, out, n + 1);
	}
}

/* Asks squeue of the job: sets its state and reason, or gone when
 * Slurm lists it no more (ended, or forgotten). */
static void
poll_queue(struct job *j)
{
	char	 idtxt[32], out[256], err[256], *bar;
	char	*argv[] = { "squeue", "-h", "-j", idtxt, "-o", "%T|%r",
	    NULL };
	int	 st;

	snprintf(idtxt, sizeof(idtxt), "%lld", (long long)j->id);
	st = tool(j->k, argv, j->env, out, sizeof(out), err, sizeof(err));
	out[strcspn(out, "\n")] = '\0';
	if (st == -1)
		return;		/* try again at the next poll */
	if ((bar = strchr(out, '|')) == NULL) {
		/* Empty, or "Invalid job id": not in the queue. A failure
		 * to reach slurmctld says so on stderr without "Invalid". */
		if (st == 0 || strstr(err, "Invalid job id") != NULL)
			j->gone = 1;
		return;
	}
	*bar = '\0';
	snprintf(j->state, sizeof(j->state), "%.31s", out);
	snprintf(j->reason, sizeof(j->reason), "%.127s", bar + 1);
	if (strcmp(j->state, "PENDING") != 0 &&
	    strcmp(j->state, "CONFIGURING") != 0)
		j->running = 1;
	if (strcmp(j->state, "COMPLETED") == 0 ||
	    strcmp(j->state, "FAILED") == 0 ||
	    strcmp(j->state, "CANCELLED") == 0 ||
	    strcmp(j->state, "TIMEOUT") == 0 ||
	    strcmp(j->state, "NODE_FAIL") == 0 ||
	    strcmp(j->state, "OUT_OF_MEMORY") == 0 ||
	    strcmp(j->state, "PREEMPTED") == 0 ||
	    strcmp(j->state, "BOOT_FAIL") == 0 ||
	    strcmp(j->state, "DEADLINE") == 0)
		j->gone = 1;
}

/*
 * How the job ended, from Slurm: sacct where accounting is on, else
 * scontrol while slurmctld still keeps the job (MinJobAge). Sets
 * j->state (e.g. "COMPLETED"), j->end_code and j->ended; leaves them
 * when Slurm no longer knows the job.
 */
static void
job_end(struct job *j)
{
	char	 idtxt[32], out[4096], err[256], *p, *q;
	char	*sacct[] = { "sacct", "-n", "-X", "-P", "-j", idtxt, "-o",
	    "State,ExitCode", NULL };
	char	*scontrol[] = { "scontrol", "-o", "show", "job", idtxt,
	    NULL };

	snprintf(idtxt, sizeof(idtxt), "%lld", (long long)j->id);
	j->end_code = 0;
	if (tool(j->k, sacct, j->env, out, sizeof(out), err, sizeof(err)) ==
	    0 && (p = strchr(out, '|')) != NULL) {
		/* "CANCELLED by 0|0:15" */
		*p = '\0';
		q = p + 1;
		p = out;
	} else if (tool(j->k, scontrol, j->env, out, sizeof(out), err,
	    sizeof(err)) == 0 && (p = strstr(out, "JobState=")) != NULL) {
		p += 9;
		if ((q = strstr(out, " ExitCode=")) != NULL)
			q += 10;
	} else
		return;
	snprintf(j->state, sizeof(j->state), "%.*s", (int)strcspn(p, " \n"),
	    p);
	j->reason[0] = '\0';
	j->end_code = q != NULL ? atoi(q) : 0;
	j->ended = 1;
}

/* Cancels the job: its batch step first gets TERM (without --batch
 * Slurm sends no TERM to it), or every step gets KILL (hard). */
static void
cancel(struct job *j, int hard)
{
	char	 idtxt[32], out[64], err[256];
	char	*soft[] = { "scancel", "--batch", "--signal=TERM", idtxt,
	    NULL };
	char	*all[] = { "scancel", idtxt, NULL };

	snprintf(idtxt, sizeof(idtxt), "%lld", (long long)j->id);
	if (tool(j->k, hard ? all : soft, j->env, out, sizeof(out), err,
	    sizeof(err)) != 0)
		warn_task(j->ob->id, "scancel of job %lld: %s",
		    (long long)j->id, err);
}

/* Sends what a stop or the timeout calls for, as their times come. */
static void
deadlines(struct job *j, int64_t now)
{
	int	 asked;

	asked = !j->stopping && outbox_stop_asked(j->ob);
	if (!j->stopping && (asked || now >= j->t_out)) {
		j->timedout = !asked;
		j->stopping = 1;
		/* A pending job has no batch step to signal. */
		cancel(j, !j->running);
		j->kill_at = j->running ? now + (int64_t)(j->k->grace_s *
		    1000) : INT64_MAX;
		if (j->timedout && !j->end.complete)
			outbox_timed_out(j->ob);
	}
	if (now >= j->kill_at) {
		cancel(j, 1);
		j->kill_at = INT64_MAX;
	}
}

/* Records what squeue said, and the start; sets the timeout's time. */
static void
record(struct job *j)
{
	struct hg_err	 e;
	int64_t		 job, off, started;
	char		 now[sizeof(j->said)];

	snprintf(now, sizeof(now), "%s|%s", j->state, j->reason);
	if (strcmp(now, j->said) == 0 && j->running == j->said_running)
		return;
	if (store_task_slurm(j->ob->st, j->ob->id, j->id, j->state,
	    j->reason[0] != '\0' ? j->reason : NULL, j->running, &e) == -1) {
		warn_task(j->ob->id, "recording job %lld: %s",
		    (long long)j->id, e.msg);
		return;
	}
	memcpy(j->said, now, sizeof(j->said));
	j->said_running = j->running;
	if (!j->running || j->t_out != INT64_MAX || j->k->timeout_s <= 0)
		return;
	/* From the job's start: seen now, or, for a job followed again,
	 * when a runner first saw it run. */
	started = hg_now_ms();
	if (j->followed && store_task_slurm_get(j->ob->st, j->ob->id, &job,
	    &off, &started, &e) == 0 && started == TASK_TIME_NONE)
		started = hg_now_ms();
	j->t_out = hg_mono_ms() + started + (int64_t)(j->k->timeout_s *
	    1000) - hg_now_ms();
}

static void
outcome(struct job *j, struct outcome *o, char *msg, size_t msglen)
{
	if (command_outcome_said(j->ob, j->k, &j->end, j->stopping,
	    j->timedout, o, msg, msglen)) {
		/* A stop ends canceled whatever Slurm reports. */
		o->stop_wins = j->stopping && !j->timedout;
		return;
	}
	if (!j->ended) {
		o->state = TASK_LOST;
		o->error_code = "lost";
		snprintf(msg, msglen, "Slurm no longer knows job %lld and "
		    "its end was never read", (long long)j->id);
		o->error_message = msg;
		return;
	}
	if (strcmp(j->state, "COMPLETED") == 0)
		return;
	o->state = TASK_FAILED;
	o->error_message = msg;
	if (strcmp(j->state, "FAILED") == 0) {
		o->has_exit_code = 1;
		o->exit_code = j->end_code;
		o->error_code = "exit_code";
		snprintf(msg, msglen, "exited with status %d", j->end_code);
	} else if (strcmp(j->state, "TIMEOUT") == 0) {
		o->error_code = "timeout";
		snprintf(msg, msglen, "Slurm ended job %lld at its time limit",
		    (long long)j->id);
	} else {
		o->error_code = "slurm";
		snprintf(msg, msglen, "Slurm job %lld ended %s",
		    (long long)j->id, j->state);
	}
}

void
slurm_run(struct outbox *ob, const struct kind *k, const cJSON *params,
    int attempt, const sigset_t *unblocked, struct outcome *o, char *msg,
    size_t msglen)
{
	static struct job	 j;	/* 128 KiB of line */
	struct hg_err		 e;
	char			 dir[PATH_MAX];
	int64_t			 now, next_poll = 0, started, saved, wait;
	int			 rc;

	memset(&j, 0, sizeof(j));
	j.ob = ob;
	j.k = k;
	j.attempt = attempt;
	j.t_out = j.kill_at = INT64_MAX;
	o->state = TASK_FAILED;
	o->error_code = "exec_failed";
	o->error_message = msg;
	lines_init(&j.lines, j.buf, HG_LINE_MAX, sizeof(j.buf), line_done,
	    &j);
	if ((j.env = job_env(k, ob->id, params)) == NULL) {
		snprintf(msg, msglen, "out of memory");
		goto out;
	}
	/* An output file per attempt: the next attempt's runner never reads
	 * the last one's output as its own. */
	if (taskfiles_dir_path(ob->cfg, ob->id, dir, sizeof(dir)) == -1 ||
	    (size_t)snprintf(j.out, sizeof(j.out), "%s/slurm-%d.out", dir,
	    attempt) >= sizeof(j.out)) {
		snprintf(msg, msglen, "the task's folder: path too long");
		goto out;
	}
	if (store_task_slurm_get(ob->st, ob->id, &j.id, &j.offset, &started,
	    &e) == -1) {
		snprintf(msg, msglen, "reading the task's job: %s", e.msg);
		goto out;
	}
	j.fed = saved = j.offset;
	/* A job already submitted: this runner follows it on, from where
	 * the last one read. */
	j.catchup = j.followed = j.id != 0;
	for (wait = HG_SLURM_RETRY_MS; j.id == 0; wait = min64(wait * 2,
	    HG_SLURM_RETRY_MAX_MS)) {
		if ((rc = submit(&j, params, msg, msglen)) == -1)
			goto out;
		if (rc == 0)
			break;
		/* Slurm is not there to ask: the task waits queued, until
		 * it is or a stop comes (which the server has ended the
		 * queued task for already). */
		warn_task(ob->id, "%s; trying again in %lld s", msg,
		    (long long)(wait / 1000));
		/* The flag read afresh, not once a second: a stop that
		 * came in the wait's last second sends no more sbatch. */
		if (outbox_wait(ob, hg_mono_ms() + wait, unblocked) == 1 ||
		    store_task_stop_requested(ob->st, ob->id) == 1) {
			o->state = TASK_CANCELED;
			o->error_code = NULL;
			o->error_message = NULL;
			o->stop_wins = 1;
			goto out;
		}
	}
	if (j.catchup)
		follow_output(&j, dir);
	while (!j.gone) {
		now = hg_mono_ms();
		deadlines(&j, now);
		if (now >= next_poll) {
			poll_queue(&j);
			if (j.gone) {
				job_end(&j);
				/* A job that ran and ended between two polls
				 * ran all the same: the task is running
				 * before its output is read, or the progress
				 * in it would be refused. */
				if (!j.stopping)
					j.running = 1;
			}
			record(&j);
			(void)read_output(&j);
			j.catchup = 0;
			outbox_flush(ob, 1);
			/* Only past lines written: another runner reads on
			 * from there. */
			if (j.offset != saved && ob->nlines == 0 &&
			    store_task_slurm_offset(ob->st, ob->id, j.offset,
			    &e) == 0)
				saved = j.offset;
			next_poll = now + HG_SLURM_POLL_MS;
		}
		(void)outbox_wait(ob, min64(next_poll, min64(j.t_out,
		    j.kill_at)), unblocked);
	}
	/* The job's last lines, however long a stall holds them back; then
	 * how it ended. */
	while (!read_output(&j))
		outbox_idle(ob);
	lines_end(&j.lines);
	outcome(&j, o, msg, msglen);
out:
	kinds_argv_free(j.env);
	j.env = NULL;
}
