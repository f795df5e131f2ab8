/*
 * One task's life in a runner: it takes the task (queued -> running),
 * loads the kinds to find how to run it, hands it to its kind (a
 * builtin, or a command) and records how it ended, then starts the
 * next queued tasks. What the task reports on the way goes through its
 * outbox. Between processes only SQLite is shared; after each commit a
 * datagram nudges the server to read the new events.
 */
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "builtin.h"
#include "command.h"
#include "config.h"
#include "hg.h"
#include "kinds.h"
#include "launch.h"
#include "notify.h"
#include "outbox.h"
#include "runner.h"
#include "signals.h"
#include "slurm.h"
#include "state.h"
#include "store.h"
#include "warn.h"


/*
 * Records the end. A runner that knows how its task ended never gives
 * that up: while the database cannot be written (full, locked) it keeps
 * the outcome and tries again, backing off up to HG_FINISH_BACKOFF_MAX_MS,
 * for as long as it lives; only a runner that died leaves its task
 * lost. A stop signal waits, blocked (signals_init). It says once that it
 * waits, and once that it is done, in runner.log and on the server's
 * stderr, which a full data disk cannot swallow. Log lines and data items
 * are written first; progress and a result not yet written go with the
 * end, in its transaction: one write fewer for a task that ends soon
 * after its last report. Can't fail: returns 0, or 1 if the task had ended
 * (or been taken by another runner) and was left as it was.
 */
static int
finish(struct runner *r, const struct outcome *o)
{
	struct outcome	 end = *o;
	struct hg_err	 e;
	char		*result = outbox_take_result(&r->ob);
	int64_t		 delay = HG_FINISH_BACKOFF_MS, since = 0;
	int		 rc;

	end.result = result;
	for (;;) {
		/* The log lines and data items first: none is given up
		 * either, nor the line that a write queues when the items
		 * reach their cap. */
		if ((rc = outbox_flush_output(&r->ob, &e)) == 0 &&
		    r->ob.nlines > 0)
			continue;
		if (rc == 0 && (rc = store_task_finish(r->st, r->id,
		    outbox_unsent(&r->ob), &end, &e)) != -1)
			break;
		if (since == 0) {
			since = hg_mono_ms();
			warn_task_loud(r->id, "recording the end (%s): %s; "
			    "keeping it and trying again until it is recorded",
			    state_name(end.state), e.msg);
		}
		hg_sleep_ms(delay);
		if ((delay *= 2) > HG_FINISH_BACKOFF_MAX_MS)
			delay = HG_FINISH_BACKOFF_MAX_MS;
	}
	if (since != 0)
		warn_task_loud(r->id, "recorded the end (%s) after %lld ms of "
		    "trying", state_name(end.state),
		    (long long)(hg_mono_ms() - since));
	notify_send(r->notify_fd, r->cfg.notify);
	free(result);
	return rc;
}

int
runner_open(struct runner *r, char *err, size_t errlen)
{
	char	 kerr[1024];

	signals_init(&r->unblocked);
	r->notify_fd = -1;
	r->host_fd = -1;
	r->proc_start = hg_proc_start((long)getpid());
	if ((r->st = store_open(r->cfg.db, 0, err, errlen)) == NULL)
		return -1;
	r->notify_fd = notify_open();
	outbox_init(&r->ob, &r->cfg, r->st, r->notify_fd);
	/* Read now, before a task waits on it: the host's spare runner
	 * opens before its task is known. */
	(void)kinds_cached(&r->kinds, r->cfg.kinds, kerr, sizeof(kerr));
	return 0;
}

void
runner_close(struct runner *r)
{
	outbox_free(&r->ob);
	claim_free(&r->next);
	kinds_cache_free(&r->kinds);
	store_close(r->st);
	r->st = NULL;
	if (r->notify_fd != -1)
		close(r->notify_fd);
	r->notify_fd = -1;
}

/*
 * Whether the runner host is at the other end of fd (its channel) still.
 * A runner goes on to another queued task only for a host that would
 * have given it one: without it, its settings may be out of date (a
 * server started again with other limits, or a newer binary).
 */
static int
host_there(int fd)
{
	struct pollfd	 pfd = { fd, POLLIN, 0 };

	return poll(&pfd, 1, 0) == 0 ||
	    (pfd.revents & (POLLHUP | POLLERR | POLLNVAL)) == 0;
}

/* Forgets what the last task left: progress, log, stop. */
static void
task_reset(struct runner *r)
{
	outbox_begin(&r->ob, r->id);
	signals_begin(r->id);
}

int
runner_run(struct runner *r)
{
	struct outcome		 o;
	struct hg_err		 e;
	struct sched		 sc;
	struct runner_ref	 self;
	const struct kinds	*kinds = NULL;
	int64_t			 ids[LAUNCH_BATCH];
	const struct kind	*k;
	cJSON			*params = NULL;
	char			 err[1024], *kind = NULL, *ptext = NULL;
	int			 rc, stopped, attempt, attempts, left, moved;
	int			 again = 0, full;
	int64_t			 used;

	task_reset(r);
	if (r->next.id == r->id) {
		/* Taken by the end of the last task. */
		kind = r->next.kind;
		ptext = r->next.params;
		attempt = r->next.attempt;
		attempts = r->next.attempts;
		memset(&r->next, 0, sizeof(r->next));
		rc = 0;
	} else {
		claim_free(&r->next);
		rc = store_task_claim(r->st, r->id, (int64_t)getpid(),
		    r->proc_start, &kind, &ptext, &attempt, &attempts, &e);
	}
	/* Not queued: a Slurm task whose runner died, and whose job this
	 * runner follows on; or one that the end of another runner's task
	 * took for that runner (store_task_finish), and a read says so,
	 * outside the write gate. */
	if (rc == 1 && store_task_claimable(r->st, r->id, &e) != 0 &&
	    (rc = store_task_reattach(r->st, r->id, (int64_t)getpid(),
	    r->proc_start, &kind, &ptext, &attempt, &attempts, &e)) == 0)
		again = 1;
	if (rc != 0) {
		if (rc == -1)
			warn_task(r->id, "taking the task: %s", e.msg);
		goto out;
	}
	notify_send(r->notify_fd, r->cfg.notify);
	/* The log goes on across attempts: each after the first says where
	 * it begins. */
	if (attempt > 1) {
		snprintf(err, sizeof(err), HG_ATTEMPT_LINE, attempt, attempts);
		outbox_log(&r->ob, "stderr", err);
	}
	/* Items of an earlier attempt, or runner, count against the cap. */
	if ((attempt > 1 || again) && store_task_data_used(r->st, r->id,
	    &used, &full, &e) == 0)
		outbox_data_used(&r->ob, (long long)used, full);

	memset(&o, 0, sizeof(o));
	o.state = TASK_SUCCEEDED;
	if ((kinds = kinds_cached(&r->kinds, r->cfg.kinds, err,
	    sizeof(err))) == NULL) {
		o.state = TASK_FAILED;
		o.error_code = "exec_failed";
		o.error_message = err;
	} else if ((k = kinds_find(kinds, kind)) == NULL) {
		o.state = TASK_FAILED;
		o.error_code = "unknown_kind";
		snprintf(err, sizeof(err), "kind \"%.64s\" is no longer in "
		    "%.900s", kind, r->cfg.kinds);
		o.error_message = err;
	} else if (k->external) {
		/* The kind became external after the task was queued. */
		o.state = TASK_FAILED;
		o.error_code = "exec_failed";
		snprintf(err, sizeof(err), "kind \"%.64s\" now runs "
		    "elsewhere (external) and reports over HTTP", kind);
		o.error_message = err;
	} else if ((params = cJSON_Parse(ptext)) == NULL) {
		o.state = TASK_FAILED;
		o.error_code = "exec_failed";
		o.error_message = "the task's stored params do not parse";
	} else if (k->slurm) {
		slurm_run(&r->ob, k, params, attempt, &r->unblocked, &o,
		    err, sizeof(err));
	} else if (k->builtin != BUILTIN_NONE) {
		stopped = builtin_run(&r->ob, k, params, &r->unblocked);
		if (stopped)
			o.state = TASK_CANCELED;
	} else {
		command_run(&r->ob, k, params, &r->unblocked, &o, err,
		    sizeof(err));
	}
	/* A slot is free: the next queued tasks start, and retries that
	 * are due are queued, even while the server is down; taken in the
	 * end's own transaction, and the rest (a full batch) after it. */
	if (kinds != NULL) {
		launch_sched_init(&sc, &r->cfg, kinds, ids);
		o.sched = &sc;
		/* And the oldest of them is this runner's next: no claim to
		 * write, no hand-off through the host. */
		if (r->host_fd != -1 && host_there(r->host_fd)) {
			self.pid = (int64_t)getpid();
			self.start = r->proc_start;
			o.next_runner = &self;
			o.next = &r->next;
		}
	}
	left = finish(r, &o);
	if (kinds != NULL) {
		moved = sc.promoted + launch_taken(r->st, &r->cfg, ids, sc.n);
		if ((left || sc.n + (r->next.id != 0) == LAUNCH_BATCH ||
		    sc.promoted == HG_PROMOTE_BATCH) &&
		    launch_queued(r->st, &r->cfg, kinds) > 0)
			moved = 1;
		if (moved > 0)
			notify_send(r->notify_fd, r->cfg.notify);
	}
out:
	signals_end();
	cJSON_Delete(params);
	free(kind);
	free(ptext);
	outbox_end(&r->ob);
	return rc == -1 ? 1 : 0;
}

void
runner_release(struct runner *r)
{
	store_release_memory(r->st);
	(void)malloc_trim(0);
}
