#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

void
outbox_begin(struct outbox *ob, int64_t id)
{
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
	ob->nlines = 0;
	ob->nbytes = 0;
	ob->data_full = 0;
	ob->data_bytes = 0;
	free(ob->result);
	ob->result = NULL;
}

void
outbox_end(struct outbox *ob)
{
	taskfiles_log_close(&ob->log);
	free(ob->result);
	ob->result = NULL;
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

/* Writes pending log lines and data items with the result, in one
 * transaction. Lines stay on disk and items are dropped if it fails;
 * the result stays pending, to go with the end. */
static int
flush_lines(struct outbox *ob)
{
	struct task_output	 o;
	struct hg_err		 e;
	size_t			 i;
	int			 rc;

	if (ob->nlines == 0 && ob->result == NULL)
		return 0;
	o.v = ob->lines;
	o.n = ob->nlines;
	o.result = ob->result;
	o.data_max = ob->cfg->data_max;
	if ((rc = store_task_output(ob->st, ob->id, &o, &e)) == -1)
		warn_task(ob->id, "log and data: %s", e.msg);
	else {
		free(ob->result);
		ob->result = NULL;
	}
	for (i = 0; i < ob->nlines; i++)
		free((char *)(ob->lines[i].name != NULL ? ob->lines[i].name :
		    ob->lines[i].line));
	ob->nlines = 0;
	ob->nbytes = 0;
	if (rc == 0 && o.data_full && !ob->data_full)
		data_cut(ob);
	return 1;
}

/* Writes pending log lines, data items and result, then pending
 * progress. A failed progress write stays pending. */
static void
flush_now(struct outbox *ob)
{
	struct hg_err	 e;
	int		 wrote;

	ob->last_write = hg_mono_ms();
	wrote = flush_lines(ob);
	if (ob->pending) {
		if (store_task_progress(ob->st, ob->id, &ob->cur, &e) == -1)
			warn_task(ob->id, "progress: %s", e.msg);
		else {
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
	if (!unwritten(ob))
		return INT64_MAX;
	if (force || hg_mono_ms() - ob->last_write >= HG_PROGRESS_MS) {
		flush_now(ob);
		if (!unwritten(ob))
			return INT64_MAX;
	}
	return ob->last_write + HG_PROGRESS_MS;
}

void
outbox_flush_output(struct outbox *ob)
{
	if (flush_lines(ob))
		notify_send(ob->notify_fd, ob->cfg->notify);
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
	switch (taskfiles_log_append(&ob->log, line, strlen(line))) {
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
	ob->lines[ob->nlines].stream = stream;
	ob->lines[ob->nlines].line = line;
	ob->lines[ob->nlines].name = name;
	ob->lines[ob->nlines].len = len;
	ob->nbytes += len;
	if ((++ob->nlines == HG_RUNNER_LOG_BATCH ||
	    ob->nbytes >= HG_RUNNER_DATA_BATCH) && flush_lines(ob))
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
