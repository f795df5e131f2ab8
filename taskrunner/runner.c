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
#include <errno.h>
#include <fcntl.h>
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
#include "notify.h"
#include "store.h"

#define FINISH_TRIES	20	/* each waits up to HG_BUSY_MS */

struct runner {
	struct config	 cfg;
	struct store	*st;
	int64_t		 id;
	int		 notify_fd;
	/* Progress not yet written, and when the last write was. */
	struct progress	 cur;
	int		 pending;
	int64_t		 last_write;	/* monotonic ms; 0: never */
	int64_t		 next_stop_check;
};

static volatile sig_atomic_t	stop_signal;

static void
on_term(int sig)
{
	(void)sig;
	stop_signal = 1;
}

static void
logmsg(struct runner *r, const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "hourglass-runner[task %lld]: ", (long long)r->id);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Writes pending progress now. A failed write stays pending. */
static void
progress_flush(struct runner *r)
{
	struct hg_err	 e;

	if (!r->pending)
		return;
	r->last_write = hg_mono_ms();
	if (store_task_progress(r->st, r->id, &r->cur, &e) == -1) {
		logmsg(r, "progress: %s", e.msg);
		return;
	}
	r->pending = 0;
	notify_send(r->notify_fd, r->cfg.notify);
}

/* Coalesces: the first report after a quiet spell is written at once,
 * the rest at most every HG_PROGRESS_MS. */
static void
progress_report(struct runner *r, double value, double total)
{
	r->cur.value = value;
	r->cur.total = total;
	r->pending = 1;
	if (hg_mono_ms() - r->last_write >= HG_PROGRESS_MS)
		progress_flush(r);
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
		now = hg_mono_ms();
		if (r->pending && now - r->last_write >= HG_PROGRESS_MS)
			progress_flush(r);
		if (now >= r->next_stop_check) {
			r->next_stop_check = now + HG_STOP_POLL_MS;
			if (store_task_stop_requested(r->st, r->id) == 1)
				return 1;
		}
		until = deadline;
		if (r->pending && r->last_write + HG_PROGRESS_MS < until)
			until = r->last_write + HG_PROGRESS_MS;
		if (r->next_stop_check < until)
			until = r->next_stop_check;
		if (until < now)
			until = now;
		/* Even with nothing to wait for, ppoll() delivers a pending
		 * SIGTERM. */
		ts.tv_sec = (until - now) / 1000;
		ts.tv_nsec = (long)((until - now) % 1000) * 1000000;
		(void)ppoll(NULL, 0, &ts, unblocked);
		if (stop_signal)
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
		if (stop_signal)
			return 1;
		progress_report(r, (double)i, (double)total);
		if (i < total && wait_until(r, hg_mono_ms() + delay,
		    unblocked))
			return 1;
	}
	return 0;
}

/* Records the end, retrying while the database is busy: a runner must
 * not leave its task looking alive. */
static void
finish(struct runner *r, const struct outcome *o)
{
	struct hg_err	 e;
	int		 i;

	for (i = 0; i < FINISH_TRIES; i++) {
		if (store_task_finish(r->st, r->id, r->pending ? &r->cur :
		    NULL, o, &e) != -1) {
			notify_send(r->notify_fd, r->cfg.notify);
			return;
		}
		logmsg(r, "recording the end: %s", e.msg);
		usleep(100000);
	}
}

int
main(int argc, char *argv[])
{
	struct runner		 r;
	struct outcome		 o;
	struct hg_err		 e;
	struct kinds		*kinds = NULL;
	const struct kind	*k;
	struct sigaction	 sa;
	sigset_t		 block, unblocked;
	cJSON			*params = NULL;
	char			 err[1024], *kind = NULL, *ptext = NULL;
	int			 rc, stopped;

	hg_std_fds();
	memset(&r, 0, sizeof(r));
	r.notify_fd = -1;
	if (argc != 2 || hg_parse_id(argv[1], strlen(argv[1]), &r.id) == -1) {
		fprintf(stderr, "usage: hourglass-runner task-id\n");
		return 2;
	}
	/* SIGTERM is the server's stop request; see wait_until(). */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &unblocked);
	sigdelset(&unblocked, SIGTERM);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);

	if (config_load(&r.cfg, err, sizeof(err)) == -1 ||
	    (r.st = store_open(r.cfg.db, 0, err, sizeof(err))) == NULL) {
		logmsg(&r, "%s", err);
		return 1;
	}
	r.notify_fd = notify_open();
	rc = store_task_claim(r.st, r.id, (int64_t)getpid(),
	    hg_proc_start((long)getpid()), &kind, &ptext, &e);
	if (rc != 0) {
		if (rc == -1)
			logmsg(&r, "taking the task: %s", e.msg);
		goto out;
	}
	notify_send(r.notify_fd, r.cfg.notify);

	memset(&o, 0, sizeof(o));
	o.state = "succeeded";
	r.cur.total = -1;
	if ((kinds = kinds_load(r.cfg.kinds, err, sizeof(err))) == NULL) {
		o.state = "failed";
		o.error_code = "exec_failed";
		o.error_message = err;
	} else if ((k = kinds_find(kinds, kind)) == NULL) {
		o.state = "failed";
		o.error_code = "unknown_kind";
		snprintf(err, sizeof(err), "kind \"%.64s\" is no longer in "
		    "%.900s", kind, r.cfg.kinds);
		o.error_message = err;
	} else if ((params = cJSON_Parse(ptext)) == NULL) {
		o.state = "failed";
		o.error_code = "exec_failed";
		o.error_message = "the task's stored params do not parse";
	} else {
		stopped = run_count(&r, params, &unblocked);
		if (stopped)
			o.state = "canceled";
	}
	finish(&r, &o);
out:
	cJSON_Delete(params);
	kinds_free(kinds);
	free(kind);
	free(ptext);
	store_close(r.st);
	if (r.notify_fd != -1)
		close(r.notify_fd);
	return rc == -1 ? 1 : 0;
}
