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
}

void
outbox_end(struct outbox *ob)
{
	taskfiles_log_close(&ob->log);
}

/* Writes pending log lines, then pending progress. A failed write
 * stays pending. */
static void
flush_now(struct outbox *ob)
{
	struct hg_err	 e;
	size_t		 i;
	int		 wrote = 0;

	ob->last_write = hg_mono_ms();
	if (ob->nlines > 0) {
		if (store_task_log(ob->st, ob->id, ob->lines, ob->nlines, &e) ==
		    -1)
			warn_task(ob->id, "log: %s", e.msg);
		/* Kept on disk even if the events could not be written. */
		for (i = 0; i < ob->nlines; i++)
			free((char *)ob->lines[i].line);
		ob->nlines = 0;
		wrote = 1;
	}
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

int64_t
outbox_flush(struct outbox *ob, int force)
{
	if (!ob->pending && ob->nlines == 0)
		return INT64_MAX;
	if (force || hg_mono_ms() - ob->last_write >= HG_PROGRESS_MS) {
		flush_now(ob);
		if (!ob->pending && ob->nlines == 0)
			return INT64_MAX;
	}
	return ob->last_write + HG_PROGRESS_MS;
}

const struct progress *
outbox_unsent(const struct outbox *ob)
{
	return ob->pending ? &ob->cur : NULL;
}

void
outbox_progress(struct outbox *ob, double value, double total,
    const char *msg)
{
	ob->cur.value = value;
	ob->cur.total = total;
	if (msg != NULL) {
		snprintf(ob->msg, sizeof(ob->msg), "%s", msg);
		ob->cur.message = ob->msg;
	}
	ob->pending = 1;
	outbox_flush(ob, 0);
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
	ob->lines[ob->nlines].stream = stream;
	ob->lines[ob->nlines].line = copy;
	if (++ob->nlines == HG_RUNNER_LOG_BATCH)
		flush_now(ob);
	else
		outbox_flush(ob, 0);
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
