#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hg.h"
#include "notify.h"
#include "outbox.h"
#include "signals.h"
#include "store.h"
#include "taskfiles.h"
#include "warn.h"

static void	queue_put(struct outbox *, const char *, const char *,
		    const char *, size_t);

void
outbox_init(struct outbox *ob, const struct config *cfg, struct store *st,
    int notify_fd)
{
	memset(ob, 0, sizeof(*ob));
	ob->cfg = cfg;
	ob->st = st;
	ob->notify_fd = notify_fd;
	ob->log.fd = -1;
}

/* Frees the pending lines and items: none is pending after. */
static void
lines_clear(struct outbox *ob)
{
	size_t	 i;

	for (i = 0; i < ob->nlines; i++)
		free((char *)(ob->lines[i].name != NULL ? ob->lines[i].name :
		    ob->lines[i].line));
	ob->nlines = 0;
	ob->filed = 0;
	ob->nbytes = 0;
}

void
outbox_begin(struct outbox *ob, int64_t id)
{
	/* None is left after an end (runner.c's finish), but none leaks
	 * if one were. */
	lines_clear(ob);
	ob->id = id;
	memset(&ob->cur, 0, sizeof(ob->cur));
	ob->cur.total = -1;
	ob->msg[0] = '\0';
	ob->pending = 0;
	ob->last_write = 0;
	ob->next_stop_check = 0;
	memset(&ob->log, 0, sizeof(ob->log));
	ob->log.fd = -1;
	ob->log_opened = 0;
	ob->data_full = 0;
	ob->data_bytes = 0;
	free(ob->result);
	ob->result = NULL;
	ob->result_due = 0;
	ob->retry_at = 0;
}

void
outbox_end(struct outbox *ob)
{
	taskfiles_log_close(&ob->log);
	free(ob->result);
	ob->result = NULL;
}

void
outbox_free(struct outbox *ob)
{
	outbox_end(ob);
	lines_clear(ob);
	free(ob->lines);
	ob->lines = NULL;
	ob->cap = 0;
}

/* A write failed: what it held is kept, and tried again after a wait
 * that doubles up to HG_FINISH_BACKOFF_MAX_MS. Said once a stall, on the
 * server's stderr too: runner.log may be on the full disk. */
static void
stall(struct outbox *ob, const char *what, const struct hg_err *e)
{
	int64_t	 now = hg_mono_ms();

	if (ob->retry_at == 0) {
		ob->stalled_since = now;
		ob->backoff = HG_FINISH_BACKOFF_MS;
		warn_task_loud(ob->id, "%s: %s; kept, and written when it "
		    "can be", what, e->msg);
	}
	ob->retry_at = now + ob->backoff;
	if ((ob->backoff *= 2) > HG_FINISH_BACKOFF_MAX_MS)
		ob->backoff = HG_FINISH_BACKOFF_MAX_MS;
}

/* A write went through after a stall. */
static void
unstall(struct outbox *ob)
{
	if (ob->retry_at == 0)
		return;
	ob->retry_at = 0;
	warn_task_loud(ob->id, "log, data and progress written again after "
	    "%lld ms", (long long)(hg_mono_ms() - ob->stalled_since));
}

int
outbox_stalled(const struct outbox *ob)
{
	return ob->retry_at != 0 && (ob->nlines >= HG_RUNNER_LOG_BATCH ||
	    ob->nbytes >= HG_RUNNER_DATA_BATCH);
}

void
outbox_idle(struct outbox *ob)
{
	struct timespec	 ts;
	int64_t		 wait = ob->retry_at - hg_mono_ms();

	if (ob->retry_at != 0 && wait > 0) {
		ts.tv_sec = wait / 1000;
		ts.tv_nsec = (long)(wait % 1000) * 1000000;
		(void)nanosleep(&ts, NULL);
	}
	(void)outbox_flush(ob, 0);
}

/* The items reached HOURGLASS_DATA_MAX: one log line says so, and
 * later items are dropped here. */
static void
data_cut(struct outbox *ob)
{
	char	 cut[128];

	ob->data_full = 1;
	snprintf(cut, sizeof(cut), HG_DATA_CUT, ob->cfg->data_max);
	outbox_log(ob, "stderr", cut);
}

/* Appends the pending log lines not yet in the log file to it, a
 * chunk at a time. Returns 0, or -1 with e set and the file as it was. */
static int
file_lines(struct outbox *ob, struct hg_err *e)
{
	const char	*v[64];
	size_t		 i, n;

	while (ob->filed < ob->nlines) {
		for (n = 0, i = ob->filed; i < ob->nlines &&
		    n < sizeof(v) / sizeof(v[0]); i++)
			if (ob->lines[i].name == NULL)
				v[n++] = ob->lines[i].line;
		if (taskfiles_log_write(&ob->log, v, n) == -1)
			return hg_err_set(e, 503, "unavailable", "%s",
			    strerror(errno));
		ob->filed = i;
	}
	return 0;
}

/* Writes pending log lines to the log file, then them and the data
 * items with the result, in one transaction. Returns 1 if it wrote, 0
 * if there was nothing to write, or -1 with e set: what is not written
 * is kept (stall), to be tried again. */
static int
flush_lines(struct outbox *ob, struct hg_err *e)
{
	struct task_output	 o;
	const char		*result = ob->result;
	int64_t			 now = hg_mono_ms();

	/* A result waits for its time (HG_RESULT_MS), or the end. */
	if (result != NULL && now < ob->result_due)
		result = NULL;
	if (ob->nlines == 0 && result == NULL)
		return 0;
	if (file_lines(ob, e) == -1) {
		stall(ob, "log file", e);
		return -1;
	}
	o.v = ob->lines;
	o.n = ob->nlines;
	o.result = result;
	o.data_max = ob->cfg->data_max;
	o.dropped = ob->data_full;
	if (store_task_output(ob->st, ob->id, &o, e) == -1) {
		stall(ob, "log and data", e);
		return -1;
	}
	unstall(ob);
	if (result != NULL) {
		free(ob->result);
		ob->result = NULL;
		ob->result_due = now + HG_RESULT_MS;
	}
	lines_clear(ob);
	if (o.data_full && !ob->data_full)
		data_cut(ob);
	return 1;
}

void
outbox_data_used(struct outbox *ob, long long bytes, int full)
{
	ob->data_bytes = bytes;
	ob->data_full = full;
}

/* Writes pending log lines, data items and result, then pending
 * progress. What fails stays pending (stall). */
static void
flush_now(struct outbox *ob)
{
	struct hg_err	 e;
	int		 wrote;

	ob->last_write = hg_mono_ms();
	if ((wrote = flush_lines(ob, &e)) == -1)
		return;
	if (ob->pending) {
		if (store_task_progress(ob->st, ob->id, &ob->cur, &e) == -1)
			stall(ob, "progress", &e);
		else {
			unstall(ob);
			ob->pending = 0;
			wrote = 1;
		}
	}
	if (wrote)
		notify_send(ob->notify_fd, ob->cfg->notify);
}

/* Anything to write? */
static int
unwritten(const struct outbox *ob)
{
	return ob->pending || ob->nlines > 0 || ob->result != NULL;
}

int64_t
outbox_flush(struct outbox *ob, int force)
{
	int64_t	 now;

	if (!unwritten(ob))
		return INT64_MAX;
	now = hg_mono_ms();
	/* After a failed write, not before its time to try again. */
	if (ob->retry_at != 0 && !force && now < ob->retry_at)
		return ob->retry_at;
	if (force || ob->retry_at != 0 ||
	    now - ob->last_write >= HG_PROGRESS_MS) {
		flush_now(ob);
		if (!unwritten(ob))
			return INT64_MAX;
	}
	if (ob->retry_at != 0)
		return ob->retry_at;
	/* Only a result waiting for its time. */
	if (!ob->pending && ob->nlines == 0 && ob->result_due >
	    ob->last_write + HG_PROGRESS_MS)
		return ob->result_due;
	return ob->last_write + HG_PROGRESS_MS;
}

int
outbox_flush_output(struct outbox *ob, struct hg_err *e)
{
	int	 rc;

	if ((rc = flush_lines(ob, e)) == 1)
		notify_send(ob->notify_fd, ob->cfg->notify);
	return rc == -1 ? -1 : 0;
}

const struct progress *
outbox_unsent(const struct outbox *ob)
{
	return ob->pending ? &ob->cur : NULL;
}

/* Sets the progress to write next. */
static void
progress_set(struct outbox *ob, double value, double total)
{
	ob->cur.value = value;
	ob->cur.total = total;
	ob->pending = 1;
}

void
outbox_progress(struct outbox *ob, double value, double total,
    const char *msg)
{
	progress_set(ob, value, total);
	if (msg != NULL) {
		snprintf(ob->msg, sizeof(ob->msg), "%s", msg);
		ob->cur.message = ob->msg;
	}
	outbox_flush(ob, 0);
}

void
outbox_progress_last(struct outbox *ob, double value, double total)
{
	progress_set(ob, value, total);
}

void
outbox_message(struct outbox *ob, const char *msg)
{
	snprintf(ob->msg, sizeof(ob->msg), "%s", msg);
	ob->cur.message = ob->msg;
	ob->pending = 1;
}

void
outbox_log(struct outbox *ob, const char *stream, const char *line)
{
	char	 err[PATH_MAX + 64];
	char	*copy;

	/* The file is made with the first line: most tasks that print
	 * nothing then cost no file. Without it, lines are still capped. */
	if (!ob->log_opened) {
		ob->log_opened = 1;
		if (taskfiles_log_open(&ob->log, ob->cfg, ob->id, 0, err,
		    sizeof(err)) == -1)
			warn_task(ob->id, "%s", err);
	}
	/* Counted against the cap now; written with its batch. */
	switch (taskfiles_log_admit(&ob->log, strlen(line))) {
	case TASKFILES_FULL:
		return;
	case TASKFILES_CUT:
		line = ob->log.marker;
		stream = "stderr";
		break;
	case TASKFILES_PUT:
		break;
	}
	if ((copy = strdup(line)) == NULL)
		return;
	queue_put(ob, stream, copy, NULL, 0);
}

/*
 * Queues one entry; writes the batch when it is full. Progress keeps its
 * own schedule then: a command that prints many lines between its
 * progress lines fills batches far more often than every HG_PROGRESS_MS.
 */
static void
queue_put(struct outbox *ob, const char *stream, const char *line,
    const char *name, size_t len)
{
	struct hg_err	 e;
	struct logline	*v;
	size_t		 cap;

	if (ob->nlines == ob->cap) {
		cap = ob->cap == 0 ? HG_RUNNER_LOG_BATCH : ob->cap * 2;
		if ((v = reallocarray(ob->lines, cap, sizeof(*v))) == NULL) {
			warn_task(ob->id, "out of memory: a log line or data "
			    "item is dropped");
			free((char *)(name != NULL ? name : line));
			return;
		}
		ob->lines = v;
		ob->cap = cap;
	}
	ob->lines[ob->nlines].stream = stream;
	ob->lines[ob->nlines].line = line;
	ob->lines[ob->nlines].name = name;
	ob->lines[ob->nlines].len = len;
	ob->nbytes += len;
	/* A full batch goes at once, unless a write failed: then at its
	 * time to try again (outbox_flush). */
	if ((++ob->nlines >= HG_RUNNER_LOG_BATCH ||
	    ob->nbytes >= HG_RUNNER_DATA_BATCH) && ob->retry_at == 0 &&
	    flush_lines(ob, &e) == 1)
		notify_send(ob->notify_fd, ob->cfg->notify);
	outbox_flush(ob, 0);
}

void
outbox_data(struct outbox *ob, const char *name, const char *value,
    size_t len)
{
	size_t	 nl = strlen(name);
	char	*p;

	if (ob->data_full)
		return;
	/* Counted here too, so that the log line comes where the first
	 * item was dropped; the store counts again, and has the last word. */
	if (ob->data_bytes + (long long)len > ob->cfg->data_max) {
		data_cut(ob);
		return;
	}
	if ((p = malloc(nl + len + 2)) == NULL)
		return;
	ob->data_bytes += (long long)len;
	memcpy(p, name, nl + 1);
	memcpy(p + nl + 1, value, len);
	p[nl + 1 + len] = '\0';
	queue_put(ob, "stdout", p + nl + 1, p, len);
}

void
outbox_result(struct outbox *ob, const char *value, size_t len)
{
	char	*p;

	if ((p = malloc(len + 1)) == NULL)
		return;
	memcpy(p, value, len);
	p[len] = '\0';
	free(ob->result);
	ob->result = p;
	outbox_flush(ob, 0);
}

char *
outbox_take_result(struct outbox *ob)
{
	char	*p = ob->result;

	ob->result = NULL;
	return p;
}

int
outbox_stop_asked(struct outbox *ob)
{
	int64_t	 now;

	if (signals_stop)
		return 1;
	now = hg_mono_ms();
	if (now < ob->next_stop_check)
		return 0;
	ob->next_stop_check = now + HG_STOP_POLL_MS;
	return store_task_stop_requested(ob->st, ob->id) == 1;
}

void
outbox_timed_out(struct outbox *ob)
{
	struct hg_err	 e;

	if (store_task_timing_out(ob->st, ob->id, &e) == -1)
		warn_task(ob->id, "stopping at its timeout: %s", e.msg);
	else
		notify_send(ob->notify_fd, ob->cfg->notify);
}

int64_t
outbox_stop_due(const struct outbox *ob)
{
	return ob->next_stop_check;
}

/*
 * SIGTERM is blocked except inside ppoll, so a stop that arrives at any
 * moment ends the wait at once.
 */
int
outbox_wait(struct outbox *ob, int64_t deadline, const sigset_t *unblocked)
{
	struct timespec	 ts;
	int64_t		 now, until;

	for (;;) {
		until = outbox_flush(ob, 0);
		if (outbox_stop_asked(ob))
			return 1;
		now = hg_mono_ms();
		if (deadline < until)
			until = deadline;
		if (ob->next_stop_check < until)
			until = ob->next_stop_check;
		if (until < now)
			until = now;
		/* Even with nothing to wait for, ppoll() delivers a pending
		 * SIGTERM. */
		ts.tv_sec = (until - now) / 1000;
		ts.tv_nsec = (long)((until - now) % 1000) * 1000000;
		(void)ppoll(NULL, 0, &ts, unblocked);
		if (signals_stop)
			return 1;
		if (hg_mono_ms() >= deadline)
			return 0;
	}
}
