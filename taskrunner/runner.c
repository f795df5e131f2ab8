/*
 * hourglass-runner <task-id>: runs one task, detached from the server.
 *
 * The server starts it in a session of its own with stdio away from the
 * server, so it outlives the server. It takes the task (queued ->
 * running), runs it, records progress at most every HG_PROGRESS_MS (the
 * last value always), obeys a stop between steps, and records how the
 * task ended. Between processes only SQLite is shared; after each commit
 * a datagram nudges the server to read the new events.
 */
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "hg.h"
#include "json.h"
#include "kinds.h"
#include "launch.h"
#include "notify.h"
#include "runner.h"
#include "store.h"

#define FINISH_TRIES	20	/* each waits up to HG_BUSY_MS */

volatile sig_atomic_t	runner_stop_signal;
volatile sig_atomic_t	runner_child_signal;

/*
 * The task this process runs; 0 between tasks. The handler reads it only
 * inside a wait, where SIGTERM is unblocked and it does not change.
 */
static volatile int64_t	signal_task;

/*
 * The server queues its SIGTERM with the task's id (sigqueue), as the
 * same process runs one task after another: a stop that comes late, for
 * a task that has ended, must not stop the next. A SIGTERM from anyone
 * else (kill) stops whatever runs, or ends a runner that waits.
 */
static void
on_signal(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (sig == SIGCHLD)
		runner_child_signal = 1;
	else if (si->si_code != SI_QUEUE ||
	    (int64_t)(intptr_t)si->si_value.sival_ptr == signal_task)
		runner_stop_signal = 1;
}

void
runner_warn(struct runner *r, const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "hourglass-runner[task %lld]: ", (long long)r->id);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Writes pending log lines, then pending progress. A failed write
 * stays pending. */
static void
flush_now(struct runner *r)
{
	struct hg_err	 e;
	size_t		 i;
	int		 wrote = 0;

	r->last_write = hg_mono_ms();
	if (r->nlines > 0) {
		if (store_task_log(r->st, r->id, r->lines, r->nlines, &e) ==
		    -1)
			runner_warn(r, "log: %s", e.msg);
		/* Kept on disk even if the events could not be written. */
		for (i = 0; i < r->nlines; i++)
			free((char *)r->lines[i].line);
		r->nlines = 0;
		wrote = 1;
	}
	if (r->pending) {
		if (store_task_progress(r->st, r->id, &r->cur, &e) == -1)
			runner_warn(r, "progress: %s", e.msg);
		else {
			r->pending = 0;
			wrote = 1;
		}
	}
	if (wrote)
		notify_send(r->notify_fd, r->cfg.notify);
}

int64_t
runner_flush(struct runner *r, int force)
{
	if (!r->pending && r->nlines == 0)
		return INT64_MAX;
	if (force || hg_mono_ms() - r->last_write >= HG_PROGRESS_MS) {
		flush_now(r);
		if (!r->pending && r->nlines == 0)
			return INT64_MAX;
	}
	return r->last_write + HG_PROGRESS_MS;
}

void
runner_progress(struct runner *r, double value, double total,
    const char *msg)
{
	r->cur.value = value;
	r->cur.total = total;
	if (msg != NULL) {
		snprintf(r->msg, sizeof(r->msg), "%s", msg);
		r->cur.message = r->msg;
	}
	r->pending = 1;
	runner_flush(r, 0);
}

void
runner_log(struct runner *r, const char *stream, const char *line)
{
	char	 err[PATH_MAX + 64];
	char	*copy;

	/* The file is made with the first line: most tasks that print
	 * nothing then cost no file. Without it, lines are still capped. */
	if (!r->log_opened) {
		r->log_opened = 1;
		if (taskfiles_log_open(&r->log, &r->cfg, r->id, 0, err,
		    sizeof(err)) == -1)
			runner_warn(r, "%s", err);
	}
	switch (taskfiles_log_append(&r->log, line, strlen(line))) {
	case TASKFILES_FULL:
		return;
	case TASKFILES_CUT:
		line = r->log.marker;
		stream = "stderr";
		break;
	case TASKFILES_PUT:
		break;
	}
	if ((copy = strdup(line)) == NULL)
		return;
	r->lines[r->nlines].stream = stream;
	r->lines[r->nlines].line = copy;
	if (++r->nlines == RUNNER_LOG_BATCH)
		flush_now(r);
	else
		runner_flush(r, 0);
}

int
runner_stop_asked(struct runner *r)
{
	int64_t	 now;

	if (runner_stop_signal)
		return 1;
	now = hg_mono_ms();
	if (now < r->next_stop_check)
		return 0;
	r->next_stop_check = now + HG_STOP_POLL_MS;
	return store_task_stop_requested(r->st, r->id) == 1;
}

/*
 * Sleeps until the monotonic deadline, waking early to flush coalesced
 * progress and to look at the stop flag. Returns 1 when a stop was
 * asked, else 0. SIGTERM is blocked except inside ppoll, so a stop that
 * arrives at any moment ends the wait at once.
 */
static int
wait_until(struct runner *r, int64_t deadline, const sigset_t *unblocked)
{
	struct timespec	 ts;
	int64_t		 now, until;

	for (;;) {
		until = runner_flush(r, 0);
		if (runner_stop_asked(r))
			return 1;
		now = hg_mono_ms();
		if (deadline < until)
			until = deadline;
		if (r->next_stop_check < until)
			until = r->next_stop_check;
		if (until < now)
			until = now;
		/* Even with nothing to wait for, ppoll() delivers a pending
		 * SIGTERM. */
		ts.tv_sec = (until - now) / 1000;
		ts.tv_nsec = (long)((until - now) % 1000) * 1000000;
		(void)ppoll(NULL, 0, &ts, unblocked);
		if (runner_stop_signal)
			return 1;
		if (hg_mono_ms() >= deadline)
			return 0;
	}
}

/* The builtin count: 1..total, delay_ms apart. Returns 1 if stopped. */
static int
run_count(struct runner *r, const cJSON *params, const sigset_t *unblocked)
{
	int64_t	 total = 0, delay = 0, i;

	(void)json_int(cJSON_GetObjectItemCaseSensitive(params, "total"),
	    &total);
	(void)json_int(cJSON_GetObjectItemCaseSensitive(params, "delay_ms"),
	    &delay);
	for (i = 1; i <= total; i++) {
		if (runner_stop_signal)
			return 1;
		runner_progress(r, (double)i, (double)total, NULL);
		if (i < total && wait_until(r, hg_mono_ms() + delay,
		    unblocked))
			return 1;
	}
	return 0;
}


/* Records the end, retrying while the database is busy: a runner must
 * not leave its task looking alive. -1 if it could not. */
static int
finish(struct runner *r, const struct outcome *o)
{
	struct hg_err	 e;
	int		 i;

	runner_flush(r, 1);
	for (i = 0; i < FINISH_TRIES; i++) {
		if (store_task_finish(r->st, r->id, r->pending ? &r->cur :
		    NULL, o, &e) != -1) {
			notify_send(r->notify_fd, r->cfg.notify);
			return 0;
		}
		runner_warn(r, "recording the end: %s", e.msg);
		usleep(100000);
	}
	return -1;
}

int
runner_open(struct runner *r, char *err, size_t errlen)
{
	struct sigaction	 sa;
	sigset_t		 block;

	/* SIGTERM is the server's stop request, SIGCHLD a command's end;
	 * both are blocked but inside ppoll (see wait_until). */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, &r->unblocked);
	sigdelset(&r->unblocked, SIGTERM);
	sigdelset(&r->unblocked, SIGCHLD);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);

	r->log.fd = -1;
	r->notify_fd = -1;
	r->proc_start = hg_proc_start((long)getpid());
	if ((r->st = store_open(r->cfg.db, 0, err, errlen)) == NULL)
		return -1;
	r->notify_fd = notify_open();
	return 0;
}

void
runner_close(struct runner *r)
{
	store_close(r->st);
	r->st = NULL;
	if (r->notify_fd != -1)
		close(r->notify_fd);
	r->notify_fd = -1;
}

/* Forgets what the last task left: progress, log, stop. */
static void
task_reset(struct runner *r)
{
	memset(&r->cur, 0, sizeof(r->cur));
	r->msg[0] = '\0';
	r->pending = 0;
	r->last_write = 0;
	r->next_stop_check = 0;
	memset(&r->log, 0, sizeof(r->log));
	r->log.fd = -1;
	r->log_opened = 0;
	r->nlines = 0;
	runner_stop_signal = 0;
	runner_child_signal = 0;
	signal_task = r->id;
}

int
runner_run(struct runner *r)
{
	struct outcome		 o;
	struct hg_err		 e;
	struct kinds		*kinds = NULL;
	const struct kind	*k;
	cJSON			*params = NULL;
	char			 err[1024], *kind = NULL, *ptext = NULL;
	int			 rc, stopped;

	task_reset(r);
	rc = store_task_claim(r->st, r->id, (int64_t)getpid(), r->proc_start,
	    &kind, &ptext, &e);
	if (rc != 0) {
		if (rc == -1)
			runner_warn(r, "taking the task: %s", e.msg);
		goto out;
	}
	notify_send(r->notify_fd, r->cfg.notify);

	memset(&o, 0, sizeof(o));
	o.state = "succeeded";
	r->cur.total = -1;
	if ((kinds = kinds_load(r->cfg.kinds, err, sizeof(err))) == NULL) {
		o.state = "failed";
		o.error_code = "exec_failed";
		o.error_message = err;
	} else if ((k = kinds_find(kinds, kind)) == NULL) {
		o.state = "failed";
		o.error_code = "unknown_kind";
		snprintf(err, sizeof(err), "kind \"%.64s\" is no longer in "
		    "%.900s", kind, r->cfg.kinds);
		o.error_message = err;
	} else if (k->external) {
		/* The kind became external after the task was queued. */
		o.state = "failed";
		o.error_code = "exec_failed";
		snprintf(err, sizeof(err), "kind \"%.64s\" now runs "
		    "elsewhere (external) and reports over HTTP", kind);
		o.error_message = err;
	} else if ((params = cJSON_Parse(ptext)) == NULL) {
		o.state = "failed";
		o.error_code = "exec_failed";
		o.error_message = "the task's stored params do not parse";
	} else if (k->builtin == BUILTIN_COUNT) {
		stopped = run_count(r, params, &r->unblocked);
		if (stopped)
			o.state = "canceled";
	} else {
		command_run(r, k, params, &r->unblocked, &o, err,
		    sizeof(err));
	}
	if (finish(r, &o) == -1)
		rc = -1;
	/* A slot is free: the next queued tasks start even while the
	 * server is down. */
	if (kinds != NULL)
		(void)launch_queued(r->st, &r->cfg, kinds);
out:
	signal_task = 0;
	cJSON_Delete(params);
	kinds_free(kinds);
	free(kind);
	free(ptext);
	taskfiles_log_close(&r->log);
	return rc == -1 ? 1 : 0;
}

int
main(int argc, char *argv[])
{
	static struct runner	 r;
	char			 err[1024];
	int			 rc;

	hg_std_fds();
	if (argc == 2 && strncmp(argv[1], "--host", 6) == 0)
		return host_main(argv[1]);
	if (argc != 2 || hg_parse_id(argv[1], strlen(argv[1]), &r.id) == -1) {
		fprintf(stderr, "usage: hourglass-runner task-id\n"
		    "       hourglass-runner --host\n");
		return 2;
	}
	if (config_load(&r.cfg, err, sizeof(err)) == -1 ||
	    runner_open(&r, err, sizeof(err)) == -1) {
		runner_warn(&r, "%s", err);
		return 1;
	}
	rc = runner_run(&r);
	runner_close(&r);
	return rc;
}
