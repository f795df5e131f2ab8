/*
 * The janitor: once a second, whenever a task ends, and when a retry
 * comes due, it notices runners that died without recording an end
 * (their command's process group is ended, reaper.c, and then their
 * task ends lost, or is retried), gives back to the queue tasks whose
 * runner never took them, queues retrying tasks at their retry_at and
 * starts queued tasks as slots free up, stops tasks that nobody
 * watches, and ends external tasks that went silent; and prunes what
 * HOURGLASS_RETAIN_DAYS lets go: tasks, and webhook deliveries.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "feed.h"
#include "kinds.h"
#include "forget.h"
#include "janitor.h"
#include "launch.h"
#include "reaper.h"
#include "runners.h"
#include "server.h"

#define DAY_MS		(24 * 3600 * 1000LL)

static struct {
	pthread_mutex_t	 mu;	/* guards kicked, stopping */
	pthread_cond_t	 cv;
	int		 kicked;
	int		 stopping;
} jan = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0 };

static pthread_t	 jan_thread;
static struct store	*jan_st;

/* The one place a dead runner's task ends: once nothing of its
 * command's process group is left, so that nothing of it runs on
 * unseen, nor beside a next attempt. */
static void
check_runner(void *arg, int64_t id, const struct runner_seen *seen)
{
	const struct runner_ref *ref = &seen->ref;
	struct outcome	 o = { TASK_LOST, 0, 0, "lost", NULL, 0, NULL, ref, NULL,
	    NULL, NULL };
	struct hg_err	 e;
	char		 msg[128];
	int		*lost = arg;

	/* A pid alone could be reused: the start time must match too. */
	if (ref->pid > 0 && hg_proc_start((long)ref->pid) == ref->start)
		return;
	if (!reaper_gone(id, seen))
		return;
	/* A Slurm job runs on without its runner: a new runner follows it
	 * (store_task_reattach), and says lost if Slurm forgot it. */
	if (seen->slurm_job > 0) {
		(void)launch_taken(jan_st, &srv.cfg, &id, 1);
		return;
	}
	/* It died before it submitted the job: the task waits again. */
	if (seen->slurm_job == 0) {
		(void)store_slurm_unclaim(jan_st, id, &e);
		return;
	}
	snprintf(msg, sizeof(msg), "its runner (pid %lld) ended without "
	    "recording how the task ended", (long long)ref->pid);
	o.error_message = msg;
	if (store_task_finish(jan_st, id, NULL, &o, &e) == 0)
		(*lost)++;
}

/* Retention, a bounded piece per pass, in short transactions. */
static void
retain(int64_t now)
{
	struct hg_err	 e;
	int64_t		 ids[HG_PRUNE_BATCH], upto;
	int		 n, i;

	n = store_prune(jan_st, now - srv.cfg.retain_days * DAY_MS, ids,
	    HG_PRUNE_BATCH, &e);
	for (i = 0; i < n; i++)
		task_forget(ids[i]);
	if (store_thin(jan_st, now - HG_THIN_AFTER_MS, HG_THIN_PASS,
	    &upto, &e) > 0)
		feed_truncate(upto);
	(void)store_idem_prune(jan_st, now - STORE_IDEM_MS);
	/* Delivered and failed webhooks go with the tasks' retention. */
	(void)store_hook_prune(jan_st, now - srv.cfg.retain_days * DAY_MS,
	    HG_PRUNE_BATCH);
}

/* Nobody has watched t for its window: it stops as by a stop request,
 * and ends canceled with error unwatched. Returns 1 if it changed. */
static int
unwatched(const struct tended *t)
{
	struct runner_ref	 ref;
	struct hg_err		 e;
	cJSON			*task = NULL;
	char			 msg[128];
	int			 rc;

	snprintf(msg, sizeof(msg), "nobody watched it for %g s "
	    "(while_watched_s)", (double)t->watch_ms / 1000);
	rc = store_task_stop_why(jan_st, t->id, "unwatched", msg, &task, &ref,
	    &e);
	cJSON_Delete(task);
	if (rc == -1)
		return 0;
	runner_signal(&ref, t->id);
	return 1;
}

/* When this server started: until then no worker could report. */
static int64_t	 jan_started;

/* The later of t and the server's start. */
static int64_t
since_start(int64_t t)
{
	return t > jan_started ? t : jan_started;
}

/* An external task ends lost after heartbeat_ms without a report, and
 * canceled when a stop went unanswered for grace_ms, both counted from
 * the server's start at the earliest: a worker cannot report to a
 * server that is down. Returns 1 if it ended. */
static int
external_due(const struct tended *t, int64_t now)
{
	struct outcome	 o = { 0, 0, 0, NULL, NULL, 0, NULL, NULL, NULL, NULL,
	    NULL };
	struct hg_err	 e;
	char		 msg[128];

	if (t->state == TASK_RUNNING &&
	    now - since_start(t->reported_at) >= t->heartbeat_ms) {
		snprintf(msg, sizeof(msg), "no report for %g s (heartbeat_s)",
		    (double)t->heartbeat_ms / 1000);
		o.state = TASK_LOST;
		o.error_code = "lost";
		o.error_message = msg;
	} else if (t->state == TASK_STOPPING &&
	    now - since_start(t->stop_at) >= t->grace_ms)
		o.state = TASK_CANCELED;
	else
		return 0;
	return store_task_finish(jan_st, t->id, NULL, &o, &e) == 0;
}

/* Tasks that live while watched, and external ones. */
static int
tend(int64_t now)
{
	struct tended	 v[HG_TEND_BATCH];
	struct hg_err	 e;
	int64_t		 seen[HG_TEND_BATCH], at[HG_TEND_BATCH], after = 0;
	int64_t		 left, last;
	int		 n, i, nseen, changed = 0;

	do {
		if ((n = store_tended(jan_st, after, v, HG_TEND_BATCH)) == -1)
			break;
		nseen = 0;
		for (i = 0; i < n; i++) {
			after = v[i].id;
			if (v[i].watch_ms > 0 &&
			    v[i].state != TASK_STOPPING) {
				/* Watched now, or until the last watcher
				 * left: the window runs from then. */
				left = feed_watched(v[i].id);
				last = left == -1 ? now : left > v[i].watched_at ?
				    left : v[i].watched_at;
				if (last > v[i].watched_at) {
					seen[nseen] = v[i].id;
					at[nseen++] = last;
				}
				if (now - last >= v[i].watch_ms) {
					changed += unwatched(&v[i]);
					continue;
				}
			}
			if (v[i].external)
				changed += external_due(&v[i], now);
		}
		(void)store_watched(jan_st, seen, at, nseen, &e);
	} while (n == HG_TEND_BATCH);
	return changed;
}

/* Kinds of queued tasks that the kinds file no longer has, taken a few
 * at a time. */
#define UNKNOWN_MAX	16
#define UNKNOWN_IDS	64

struct unknown {
	char	 name[UNKNOWN_MAX][HG_KIND_NAME_MAX + 1];
	int	 n;
};

static int
unknown_one(void *arg, const char *kind)
{
	struct unknown	*u = arg;

	if (kinds_find(srv.kinds, kind) != NULL)
		return 0;
	snprintf(u->name[u->n++], sizeof(u->name[0]), "%s", kind);
	return u->n == UNKNOWN_MAX;
}

/*
 * At start: a queued task whose kind has left the kinds file ends failed
 * (unknown_kind) now, not once a slot would have started it: meanwhile
 * it held a place in the queue (HOURGLASS_MAX_QUEUED), and its
 * dependents waited on it. A retrying one is its runner's to end, once
 * it is queued again. Returns how many ended.
 */
static int
unknown_kinds_end(void)
{
	/* Only while no runner has it: one that took it since it was
	 * listed ends it the same way itself. */
	static const struct runner_ref none = { 0, 0 };
	struct unknown	 u;
	struct outcome	 o;
	struct hg_err	 e;
	int64_t		 ids[UNKNOWN_IDS], after;
	char		 msg[1024];
	int		 i, k, n, pass = 0, ended = 0;

	do {
		u.n = 0;
		if (store_queued_kinds(jan_st, unknown_one, &u) == -1)
			break;
		for (k = 0; k < u.n; k++) {
			snprintf(msg, sizeof(msg), "kind \"%.64s\" is no "
			    "longer in %.900s", u.name[k], srv.cfg.kinds);
			after = 0;
			do {
				if ((n = store_queued_of_kind(jan_st,
				    u.name[k], after, ids, UNKNOWN_IDS)) == -1)
					break;
				for (i = 0; i < n; i++) {
					memset(&o, 0, sizeof(o));
					o.state = TASK_FAILED;
					o.error_code = "unknown_kind";
					o.error_message = msg;
					o.runner = &none;
					ended += store_task_finish(jan_st,
					    ids[i], NULL, &o, &e) == 0;
					after = ids[i];
				}
			} while (n == UNKNOWN_IDS);
		}
	} while (u.n == UNKNOWN_MAX && ++pass < 8);
	return ended;
}

/* A pass; retention only once a second, whatever the kicks. */
static void
janitor_pass(void)
{
	static int64_t	 retained;
	int		 changed = 0;

	(void)store_active_runners(jan_st, check_runner, &changed);
	(void)store_sched_unlaunch(jan_st, hg_now_ms() - HG_UNCLAIMED_MS);
	changed += launch_queued(jan_st, &srv.cfg, srv.kinds) > 0;
	changed += tend(hg_now_ms());
	if (changed > 0)
		feed_kick();
	if (hg_mono_ms() - retained >= HG_JANITOR_MS) {
		retained = hg_mono_ms();
		retain(hg_now_ms());
		(void)store_checkpoint(jan_st);
		host_tend();
	}
}

/* How long the next pass may wait: HG_JANITOR_MS, or until the next
 * retry comes due, so that a retry_at is kept to the millisecond rather
 * than to the second. A task that becomes retrying kicks (feed.h), and
 * the wait is worked out again. */
static int64_t
pass_wait(void)
{
	struct hg_err	 e;
	int64_t		 at;

	if (store_retry_next(jan_st, &at, &e) == -1)
		at = 0;
	return hg_wait_until(at, HG_JANITOR_MS);
}

static void *
janitor_main(void *arg)
{
	struct timespec	 ts;
	int64_t		 wait;
	int		 stop;

	(void)arg;
	if (unknown_kinds_end() > 0)
		feed_kick();
	for (;;) {
		janitor_pass();
		/* Every task that ends kicks: at hundreds a second, passes
		 * that close together would only contend for the lock. */
		ts.tv_sec = 0;
		ts.tv_nsec = HG_KICK_GAP_MS * 1000000L;
		nanosleep(&ts, NULL);
		wait = pass_wait();
		pthread_mutex_lock(&jan.mu);
		if (!jan.kicked && !jan.stopping) {
			hg_deadline(&ts, CLOCK_REALTIME, wait);
			pthread_cond_timedwait(&jan.cv, &jan.mu, &ts);
		}
		jan.kicked = 0;
		stop = jan.stopping;
		pthread_mutex_unlock(&jan.mu);
		if (stop)
			return NULL;
	}
}

int
janitor_start(char *err, size_t errlen)
{
	jan_started = hg_now_ms();
	if ((jan_st = store_open(srv.cfg.db, 0, err, errlen)) == NULL)
		return -1;
	if ((errno = pthread_create(&jan_thread, NULL, janitor_main, NULL)) !=
	    0) {
		snprintf(err, errlen, "pthread_create: %s", strerror(errno));
		return -1;
	}
	return 0;
}

void
janitor_kick(void)
{
	pthread_mutex_lock(&jan.mu);
	jan.kicked = 1;
	pthread_cond_signal(&jan.cv);
	pthread_mutex_unlock(&jan.mu);
}

void
janitor_stop(void)
{
	pthread_mutex_lock(&jan.mu);
	jan.stopping = 1;
	pthread_cond_signal(&jan.cv);
	pthread_mutex_unlock(&jan.mu);
	pthread_join(jan_thread, NULL);
	store_close(jan_st);
}
