/*
 * A task's life after its create: claimed by its runner, progress and
 * log lines, stopped, finished, deleted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

static const struct store_sql q_task_set_state = { S_TASK_SET_STATE,
    "UPDATE tasks SET state = ?2, stop_requested = "
    "stop_requested OR ?3, finished_at = ?4, retry_at = NULL "
    "WHERE id = ?1" };

static int
set_state(struct store *st, int64_t id, enum task_state state, int finished,
    struct hg_err *e)
{
	sqlite3_stmt	*s;

	if ((s = store__stmt(st, &q_task_set_state)) == NULL)
		return store__err(st, sqlite3_errcode(st->db), e);
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_text(s, 2, state_name(state), -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, 1);
	if (finished)
		sqlite3_bind_int64(s, 4, hg_now_ms());
	else
		sqlite3_bind_null(s, 4);
	return store__step_done(st, s, e);
}

/* A queued or retrying task that a stop ends at once ends with the
 * reason, and nothing of a failed attempt's; its pending Slurm job, if
 * it has one, is cancelled (its runner is told: task_state), and is
 * shown so in the end's own event. */
static const struct store_sql q_stop_why = { S_STOP_WHY,
    "UPDATE tasks SET stop_code = ?2, stop_message = ?3, "
    "stop_at = ?4, error_code = CASE WHEN state = 'canceled' THEN ?2 "
    "ELSE error_code END, error_message = CASE WHEN state = "
    "'canceled' THEN ?3 ELSE error_message END, exit_code = CASE WHEN "
    "state = 'canceled' THEN NULL ELSE exit_code END, slurm_state = "
    "CASE WHEN state = 'canceled' AND slurm_job > 0 THEN 'CANCELLED' "
    "ELSE slurm_state END, slurm_reason = CASE WHEN state = 'canceled' "
    "AND slurm_job > 0 THEN NULL ELSE slurm_reason END WHERE id = ?1" };

/* Inside the stop's transaction: why and when it was asked. */
static int
stop_why(struct store *st, int64_t id, const char *code, const char *msg,
    struct hg_err *e)
{
	sqlite3_stmt	*s;

	if ((s = store__stmt(st, &q_stop_why)) == NULL)
		return store__err(st, sqlite3_errcode(st->db), e);
	sqlite3_bind_int64(s, 1, id);
	store__bind_text(s, 2, code);
	store__bind_text(s, 3, msg);
	sqlite3_bind_int64(s, 4, hg_now_ms());
	return store__step_done(st, s, e);
}

/* A task its timeout is stopping (store_task_timing_out) is stopping
 * still, but now also because it was asked: it is not retried. */
static const struct store_sql q_task_stop_asked = { S_TASK_STOP_ASKED,
    "UPDATE tasks SET stop_requested = 1 WHERE id = ?1 AND "
    "stop_requested = 0" };

static int
stop_asked(struct store *st, int64_t id, struct hg_err *e)
{
	sqlite3_stmt	*s;

	if ((s = store__stmt(st, &q_task_stop_asked)) == NULL)
		return store__err(st, sqlite3_errcode(st->db), e);
	sqlite3_bind_int64(s, 1, id);
	return store__step_done(st, s, e);
}

int
store_task_stop(struct store *st, int64_t id, cJSON **task,
    struct runner_ref *ref, struct hg_err *e)
{
	return store_task_stop_why(st, id, NULL, NULL, task, ref, e);
}

int
store_task_stop_why(struct store *st, int64_t id, const char *code,
    const char *msg, cJSON **task, struct runner_ref *ref, struct hg_err *e)
{
	enum task_state	 state;
	int		 now;

	memset(ref, 0, sizeof(*ref));
	if (store__begin(st, 1, e) == -1)
		return -1;
	if (store__task_state(st, id, &state, ref, e) == -1)
		goto fail;
	if (!state_active(state)) {
		hg_err_set(e, 409, "not_active", "task %lld has already "
		    "ended (%s)", (long long)id, state_name(state));
		goto fail;
	}
	/* A queued task has no runner yet, and a retrying one none any
	 * more: it ends here, and a runner that may be starting finds it
	 * taken. */
	now = state == TASK_QUEUED || state == TASK_RETRYING;
	if (state == TASK_STOPPING) {
		if (stop_asked(st, id, e) == -1 ||
		    store__task_read(st, id, task, e) == -1)
			goto fail;
	} else {
		/* A queued task ends here, and the runner that may be
		 * starting finds it taken; one that follows a pending
		 * Slurm job is told (task_state), and cancels it. */
		if (set_state(st, id, now ? TASK_CANCELED : TASK_STOPPING, now,
		    e) == -1 ||
		    stop_why(st, id, code, msg, e) == -1 ||
		    (now ? store__task_ended(st, id, task, e) :
		    store__state_event(st, id, task, e)) == -1)
			goto fail;
	}
	return store__commit_task(st, task, e);
fail:
	store__rollback(st);
	return -1;
}

/* stop_requested is left as it is: nobody asked. */
static const struct store_sql q_task_timing_out = { S_TASK_TIMING_OUT,
    "UPDATE tasks SET state = 'stopping' WHERE id = ?1 AND state = "
    "'running'" };

int
store_task_timing_out(struct store *st, int64_t id, struct hg_err *e)
{
	sqlite3_stmt	*s;

	if (store__begin(st, 1, e) == -1)
		return -1;
	if ((s = store__stmt(st, &q_task_timing_out)) == NULL) {
		store__err(st, sqlite3_errcode(st->db), e);
		goto fail;
	}
	sqlite3_bind_int64(s, 1, id);
	if (store__step_done(st, s, e) == -1 || (sqlite3_changes(st->db) ==
	    1 && store__state_event(st, id, NULL, e) == -1))
		goto fail;
	return store__commit(st, e);
fail:
	store__rollback(st);
	return -1;
}

static const struct store_sql q_task_delete = { S_TASK_DELETE,
    "DELETE FROM tasks WHERE id = ?1" };

static const struct store_sql q_task_events_delete = { S_TASK_EVENTS_DELETE,
    "DELETE FROM events WHERE task_id = ?1" };

int
store__task_remove(struct store *st, int64_t id, struct hg_err *e)
{
	char	 data[64];

	snprintf(data, sizeof(data), "{\"task\":%lld}", (long long)id);
	if (store__exec_id(st, &q_task_events_delete, id, e) == -1 ||
	    store__exec_id(st, &q_task_delete, id, e) == -1)
		return -1;
	return store__event_insert(st, id, "deleted", NULL, data, e);
}

int
store_task_delete(struct store *st, int64_t id, struct hg_err *e)
{
	enum task_state	 state;

	if (store__begin(st, 1, e) == -1)
		return -1;
	if (store__task_state(st, id, &state, NULL, e) == -1)
		goto fail;
	if (state_active(state)) {
		hg_err_set(e, 409, "still_active", "task %lld is %s; stop it "
		    "first", (long long)id, state_name(state));
		goto fail;
	}
	if (store__task_remove(st, id, e) == -1)
		goto fail;
	return store__commit(st, e);
fail:
	store__rollback(st);
	return -1;
}

/* What a claim takes: a queued task, a Slurm one only without a runner;
 * and what a runner may follow again: an active task with a Slurm job.
 * store_task_claimable() reads both. */
#define CLAIMABLE	"state = 'queued' AND (slurm_job IS NULL OR " \
	"runner_pid IS NULL)"
#define FOLLOWABLE	"slurm_job > 0 AND state IN ('queued', 'running', " \
	"'stopping')"

/*
 * A task that started before (started_at is set) begins its next
 * attempt. Progress and result are those of the attempt that runs: a
 * task never taken has them at 0 and null already, so they are set
 * whatever the attempt. SQLite reads every right-hand side from the row
 * as it was. A Slurm task (slurm_job not NULL) stays queued while its
 * job waits: store_task_slurm() makes it running.
 */
static const struct store_sql q_task_claim = { S_TASK_CLAIM,
    "UPDATE tasks SET state = CASE WHEN slurm_job IS NULL THEN 'running' "
    "ELSE 'queued' END, started_at = CASE WHEN slurm_job IS NULL THEN "
    "coalesce(started_at, ?2) ELSE started_at END, attempt = attempt + "
    "(started_at IS NOT NULL), value = 0, total = NULL, message = NULL, "
    "result = NULL, runner_pid = ?3, runner_start = ?4 WHERE id = ?1 AND "
    CLAIMABLE " RETURNING kind, "
    "params, attempt, attempts, slurm_job IS NOT NULL" };

static int	progress_write(struct store *, int64_t,
		    const struct progress *, struct hg_err *);

/*
 * Inside a write transaction: takes task id for runner pid (start), as
 * store_task_claim() describes. Returns 0 with *c filled, 1 if the task
 * is not queued, -1 on error (*c empty).
 */
static int
claim_in(struct store *st, int64_t id, int64_t pid, int64_t start,
    struct claim *c, struct hg_err *e)
{
	/* A new attempt's progress, as the task object now shows it: the
	 * last progress event always carries what the task shows. */
	static const struct progress zero = { 0, -1, NULL };
	sqlite3_stmt	*s;
	int		 rc, found = 0, slurm = 0;

	memset(c, 0, sizeof(*c));
	c->attempt = c->attempts = 1;
	if ((s = store__stmt(st, &q_task_claim)) == NULL)
		return store__err(st, sqlite3_errcode(st->db), e);
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, hg_now_ms());
	sqlite3_bind_int64(s, 3, pid);
	sqlite3_bind_int64(s, 4, start);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const char	*k = (const char *)sqlite3_column_text(s, 0);
		const char	*p = (const char *)sqlite3_column_text(s, 1);

		found = 1;
		slurm = sqlite3_column_int(s, 4);
		c->kind = k != NULL ? strdup(k) : NULL;
		c->params = p != NULL ? strdup(p) : NULL;
		c->attempt = sqlite3_column_int(s, 2);
		c->attempts = sqlite3_column_int(s, 3);
		/* RETURNING rows are all computed by the first step; the
		 * next finishes the statement. */
		rc = sqlite3_step(s);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		store__err(st, rc, e);
		goto fail;
	}
	if (!found)
		return 1;
	if (c->kind == NULL || c->params == NULL) {
		hg_err_set(e, 503, "unavailable", "out of memory");
		goto fail;
	}
	/* A task counts as started once, however many attempts it takes;
	 * a Slurm task once its job runs (store_task_slurm). */
	if ((!slurm && c->attempt == 1 && store__counter_bump(st, "started",
	    c->kind, NULL, e) == -1) || (c->attempt > 1 && progress_write(st,
	    id, &zero, e) == -1) || (!slurm && store__state_event(st, id,
	    NULL, e) == -1))
		goto fail;
	c->id = id;
	return 0;
fail:
	claim_free(c);
	return -1;
}

void
claim_free(struct claim *c)
{
	free(c->kind);
	free(c->params);
	memset(c, 0, sizeof(*c));
}

int
store_task_claim(struct store *st, int64_t id, int64_t pid, int64_t start,
    char **kind, char **params, int *attempt, int *attempts,
    struct hg_err *e)
{
	struct claim	 c;
	int		 rc;

	*kind = *params = NULL;
	if (store__begin(st, 1, e) == -1)
		return -1;
	if ((rc = claim_in(st, id, pid, start, &c, e)) != 0) {
		store__rollback(st);
		return rc;
	}
	if (store__commit(st, e) == -1) {
		claim_free(&c);
		return -1;
	}
	*kind = c.kind;
	*params = c.params;
	if (attempt != NULL)
		*attempt = c.attempt;
	if (attempts != NULL)
		*attempts = c.attempts;
	return 0;
}

/* One short write of q, which takes id and one integer, in its own
 * transaction. */
static int
write_int(struct store *st, const struct store_sql *q, int64_t id,
    int64_t a, struct hg_err *e)
{
	sqlite3_stmt	*s;

	if (store__begin(st, 1, e) == -1)
		return -1;
	if ((s = store__stmt(st, q)) == NULL) {
		store__err(st, sqlite3_errcode(st->db), e);
		goto fail;
	}
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, a);
	if (store__step_done(st, s, e) == -1 || store__commit(st, e) == -1)
		goto fail;
	return 0;
fail:
	store__rollback(st);
	return -1;
}

static const struct store_sql q_task_progress = { S_TASK_PROGRESS,
    "UPDATE tasks SET value = ?2, total = ?3, "
    "message = ?4 WHERE id = ?1 AND state IN ('running', 'stopping')" };

/* Inside a write transaction: records p and its progress event. */
static int
progress_write(struct store *st, int64_t id, const struct progress *p,
    struct hg_err *e)
{
	sqlite3_stmt	*s;
	char		*data;
	int		 rc;

	if ((s = store__stmt(st, &q_task_progress)) == NULL)
		return store__err(st, sqlite3_errcode(st->db), e);
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_double(s, 2, p->value);
	if (p->total >= 0)
		sqlite3_bind_double(s, 3, p->total);
	else
		sqlite3_bind_null(s, 3);
	store__bind_text(s, 4, p->message);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return store__err(st, rc, e);
	if (sqlite3_changes(st->db) == 0)
		return 0;
	if ((data = taskjson_progress(id, p->value, p->total,
	    p->message)) == NULL)
		return hg_err_set(e, 503, "unavailable", "out of memory");
	rc = store__event_insert(st, id, "progress", NULL, data, e);
	free(data);
	return rc;
}

int
store_task_progress(struct store *st, int64_t id, const struct progress *p,
    struct hg_err *e)
{
	if (store__begin(st, 1, e) == -1)
		return -1;
	if (progress_write(st, id, p, e) == -1 || store__commit(st, e) == -1) {
		store__rollback(st);
		return -1;
	}
	return 0;
}

int
store__begin_active(struct store *st, int64_t id, enum task_state *state,
    struct hg_err *e)
{
	if (store__begin(st, 1, e) == -1)
		return -1;
	if (store__task_state(st, id, state, NULL, e) == -1) {
		store__rollback(st);
		return -1;
	}
	if (!state_active(*state)) {
		store__rollback(st);
		return 0;
	}
	return 1;
}

/* A task canceled for a reason of the server's own (unwatched)
 * ends with that reason as its error. */
static const struct store_sql q_task_finish = { S_TASK_FINISH,
    "UPDATE tasks SET state = ?2, finished_at = ?3, "
    "exit_code = ?4, error_code = coalesce(?5, CASE WHEN ?2 = "
    "'canceled' THEN stop_code END), error_message = CASE WHEN ?5 IS "
    "NULL AND ?2 = 'canceled' THEN stop_message ELSE ?6 END, "
    "result = coalesce(?7, result) WHERE id = ?1" };

static const struct store_sql q_task_retry = { S_TASK_RETRY,
    "SELECT attempt, attempts, retry_on, retry_delay_ms, "
    "retry_delay_max_ms FROM tasks WHERE id = ?1" };

/* 1 if code is one of list's ("exit_code,signal"); list may be NULL. */
static int
retry_listed(const char *list, const char *code)
{
	size_t	 n = strlen(code);

	while (list != NULL && *list != '\0') {
		if (strncmp(list, code, n) == 0 && (list[n] == ',' ||
		    list[n] == '\0'))
			return 1;
		if ((list = strchr(list, ',')) != NULL)
			list++;
	}
	return 0;
}

/*
 * The wait after attempt k, in ms: a random time between half and all
 * of min(max, delay x 2^(k-1)). Doubled step by step, so that no power
 * of two of a hundred attempts overflows.
 */
static int64_t
retry_wait(int64_t delay, int64_t max, int64_t k)
{
	int64_t	 base = delay;

	while (--k > 0 && base < max)
		base *= 2;
	if (base > max)
		base = max;
	if (base <= 0)
		return 0;
	/* The delays are at most a day (HG_KIND_RETRY_DELAY_MAX_S): 32
	 * bits hold them. */
	return base - (int64_t)arc4random_uniform((uint32_t)(base / 2) + 1);
}

/*
 * Inside finish's transaction, for a task that was state (stopped: with
 * a stop asked) and whose outcome o is its own: 1 with *at set (ms since
 * the epoch) if the attempt is to be retried, 0 if not, -1 with e set. A
 * stop is never retried; a task that its timeout alone made stopping
 * may be.
 */
static int
retry_due(struct store *st, int64_t id, enum task_state state, int stopped,
    const struct outcome *o, int64_t *at, struct hg_err *e)
{
	sqlite3_stmt	*s;
	int		 rc, due = 0;

	/* Not a stop asked while the task's timeout was stopping it, nor
	 * a timeout in a stop's grace. */
	if (o->error_code == NULL || (o->state != TASK_FAILED &&
	    o->state != TASK_LOST) || !(state == TASK_RUNNING ||
	    (state == TASK_STOPPING && !stopped)))
		return 0;
	if ((s = store__stmt(st, &q_task_retry)) == NULL)
		return store__err(st, sqlite3_errcode(st->db), e);
	sqlite3_bind_int64(s, 1, id);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW &&
	    sqlite3_column_int64(s, 0) < sqlite3_column_int64(s, 1) &&
	    retry_listed((const char *)sqlite3_column_text(s, 2),
	    o->error_code)) {
		due = 1;
		*at = hg_now_ms() + retry_wait(sqlite3_column_int64(s, 3),
		    sqlite3_column_int64(s, 4), sqlite3_column_int64(s, 0));
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store__err(st, rc, e);
	return due;
}

/* The attempt's error and exit code stay until the next attempt ends;
 * nothing of a stop is left (none was asked, or it would not retry). */
static const struct store_sql q_task_retrying = { S_TASK_RETRYING,
    "UPDATE tasks SET state = 'retrying', retry_at = ?2, "
    "exit_code = ?3, error_code = ?4, error_message = ?5, "
    "result = coalesce(?6, result), finished_at = NULL, launched_at = "
    "NULL, stop_requested = 0, stop_code = NULL, stop_message = NULL, "
    "stop_at = NULL, slurm_job = NULL, slurm_state = NULL, slurm_reason "
    "= NULL, slurm_offset = 0, slurm_started = NULL WHERE id = ?1" };

/* Inside finish's transaction: task id waits for its next attempt. */
static int
retry_write(struct store *st, int64_t id, const struct outcome *o,
    int64_t at, struct hg_err *e)
{
	sqlite3_stmt	*s;

	if ((s = store__stmt(st, &q_task_retrying)) == NULL)
		return store__err(st, sqlite3_errcode(st->db), e);
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, at);
	if (o->has_exit_code)
		sqlite3_bind_int(s, 3, o->exit_code);
	store__bind_text(s, 4, o->error_code);
	store__bind_text(s, 5, o->error_message);
	store__bind_text(s, 6, o->result);
	if (store__step_done(st, s, e) == -1 ||
	    store__counter_retried(st, id, e) == -1)
		return -1;
	return store__state_event(st, id, NULL, e);
}

/* The end of store_task_finish's transaction: the queued tasks it takes
 * (o->sched), the next for the runner (o->next) if chain, then the
 * commit. Returns 0, or -1 (not committed; the caller rolls back). */
static int
finish_take(struct store *st, const struct outcome *o, int chain,
    struct hg_err *e)
{
	struct sched	*sc = o->sched;
	struct hg_err	 ce;
	int64_t		 next = 0;
	int		 i, oldest = -1, rc = 1;

	if (sc != NULL && store__sched_take_in(st, sc, e) == -1)
		return -1;
	/* The oldest of those taken is this runner's, and leaves the host's
	 * list. Else, while tasks are launched faster than their runners
	 * come for them, the one launched last, whose runner is the least
	 * likely to be on its way: that runner, when it comes, finds it
	 * taken, and its claim commits nothing. Either way one commit fewer,
	 * and the task waits no longer for its runner. Not found, none is
	 * taken. */
	if (sc != NULL && o->next != NULL && chain) {
		for (i = 0; i < sc->n; i++)
			if (oldest == -1 || sc->ids[i] < sc->ids[oldest])
				oldest = i;
		if (oldest != -1)
			next = sc->ids[oldest];
		else if (store__sched_unclaimed(st, &next, &ce) == -1)
			next = 0;
	}
	/* In a savepoint: if it cannot be taken, the host is handed it (or
	 * has it already) and the end is recorded all the same, unless
	 * SQLite has undone the whole transaction. */
	if (next != 0) {
		if (store__savepoint(st, e) == -1)
			goto fail;
		rc = claim_in(st, next, o->next_runner->pid,
		    o->next_runner->start, o->next, &ce);
		if (rc == -1 && sqlite3_get_autocommit(st->db)) {
			*e = ce;
			goto fail;
		}
		if (store__release(st, rc != -1, e) == -1)
			goto fail;
	}
	if (store__commit(st, e) == -1)
		goto fail;
	if (rc == 0 && oldest != -1) {
		sc->n--;
		memmove(sc->ids + oldest, sc->ids + oldest + 1,
		    (size_t)(sc->n - oldest) * sizeof(sc->ids[0]));
	}
	return 0;
fail:
	if (o->next != NULL)
		claim_free(o->next);
	if (sc != NULL)
		sc->n = sc->promoted = 0;
	return -1;
}

int
store_task_finish(struct store *st, int64_t id, const struct progress *p,
    const struct outcome *o, struct hg_err *e)
{
	struct runner_ref ref;
	sqlite3_stmt	*s;
	enum task_state	 state, final = o->state;
	int64_t		 at = 0;
	int		 rc, own, chain, stopped = 0;

	if (o->sched != NULL)
		o->sched->n = o->sched->promoted = 0;
	if (o->next != NULL)
		memset(o->next, 0, sizeof(*o->next));
	if (store__begin(st, 1, e) == -1)
		return -1;
	if (store__task_state(st, id, &state, &ref, e) == -1)
		goto fail;
	/* An ended task is left alone: 1. So is one between attempts, and
	 * one that another runner has taken since o's runner was read. */
	if (!state_active(state) || state == TASK_RETRYING ||
	    (o->runner != NULL && (ref.pid != o->runner->pid ||
	    ref.start != o->runner->start))) {
		store__rollback(st);
		return 1;
	}
	/* A task its timeout alone made stopping (store_task_timing_out)
	 * ends as a running one would: nobody asked for a stop. */
	if (state == TASK_STOPPING &&
	    (stopped = store_task_stop_requested(st, id)) == -1) {
		store__err(st, sqlite3_errcode(st->db), e);
		goto fail;
	}
	/* A stopped task ends canceled, or failed (a timeout); never
	 * succeeded; and canceled whatever the outcome if it says so. */
	if (stopped && (o->stop_wins || final == TASK_SUCCEEDED))
		final = TASK_CANCELED;
	own = final == o->state;
	/* A task that was asked to stop may have a stop signal still on
	 * its way to its runner. Linux keeps one SIGTERM pending: had the
	 * runner gone on to the next task at once, a stop of that one could
	 * merge with the late one and be lost. Its runner goes back to its
	 * host instead, and hears any late one as it waits (await_task). */
	chain = state != TASK_STOPPING;
	if (p != NULL && progress_write(st, id, p, e) == -1)
		goto fail;
	if (own && (rc = retry_due(st, id, state, stopped, o, &at, e)) != 0) {
		if (rc == -1 || retry_write(st, id, o, at, e) == -1 ||
		    finish_take(st, o, chain, e) == -1)
			goto fail;
		return 0;
	}
	if ((s = store__stmt(st, &q_task_finish)) == NULL) {
		store__err(st, sqlite3_errcode(st->db), e);
		goto fail;
	}
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_text(s, 2, state_name(final), -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, hg_now_ms());
	/* A canceled task keeps no exit code or error of the outcome's. */
	if (o->has_exit_code && own)
		sqlite3_bind_int(s, 4, o->exit_code);
	else
		sqlite3_bind_null(s, 4);
	store__bind_text(s, 5, own ? o->error_code : NULL);
	store__bind_text(s, 6, own ? o->error_message : NULL);
	store__bind_text(s, 7, o->result);
	if (store__step_done(st, s, e) == -1)
		goto fail;
	if (store__task_ended(st, id, NULL, e) == -1 ||
	    finish_take(st, o, chain, e) == -1)
		goto fail;
	return 0;
fail:
	store__rollback(st);
	return -1;
}

static const struct store_sql q_task_stopreq = { S_TASK_STOPREQ,
    "SELECT stop_requested FROM tasks WHERE id = ?1" };

int
store_task_stop_requested(struct store *st, int64_t id)
{
	sqlite3_stmt	*s;
	int		 rc, v = 0;

	if ((s = store__stmt(st, &q_task_stopreq)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		v = sqlite3_column_int(s, 0) != 0;
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return -1;
	return v;
}

static const struct store_sql q_slurm_get = { S_SLURM_GET,
    "SELECT slurm_job, slurm_offset, slurm_started FROM tasks WHERE "
    "id = ?1" };

int
store_task_slurm_get(struct store *st, int64_t id, int64_t *job,
    int64_t *offset, int64_t *started, struct hg_err *e)
{
	sqlite3_stmt	*s;
	int		 rc;

	*job = *offset = 0;
	*started = TASK_TIME_NONE;
	if ((s = store__stmt(st, &q_slurm_get)) == NULL)
		return store__err(st, sqlite3_errcode(st->db), e);
	sqlite3_bind_int64(s, 1, id);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		*job = sqlite3_column_int64(s, 0);
		*offset = sqlite3_column_int64(s, 1);
		if (sqlite3_column_type(s, 2) != SQLITE_NULL)
			*started = sqlite3_column_int64(s, 2);
	}
	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return hg_err_set(e, 404, "not_found", "no task %lld",
		    (long long)id);
	if (rc != SQLITE_ROW)
		return store__err(st, rc, e);
	return 0;
}

/* Only while the task is active: a stop may have ended a pending one. */
static const struct store_sql q_slurm_set = { S_SLURM_SET,
    "UPDATE tasks SET slurm_job = ?2, slurm_state = ?3, slurm_reason = ?4 "
    "WHERE id = ?1 AND state IN ('queued', 'running', 'stopping') AND "
    "(slurm_job IS NOT ?2 OR slurm_state IS NOT ?3 OR "
    "slurm_reason IS NOT ?4)" };
static const struct store_sql q_slurm_run = { S_SLURM_RUN,
    "UPDATE tasks SET state = 'running', started_at = coalesce("
    "started_at, ?2), slurm_started = ?2 WHERE id = ?1 AND state = "
    "'queued' RETURNING kind, attempt" };

int
store_task_slurm(struct store *st, int64_t id, int64_t job,
    const char *state, const char *reason, int running, struct hg_err *e)
{
	sqlite3_stmt	*s;
	char		*kind = NULL;
	int		 rc, changed, started = 0;

	if (store__begin(st, 1, e) == -1)
		return -1;
	if ((s = store__stmt(st, &q_slurm_set)) == NULL) {
		store__err(st, sqlite3_errcode(st->db), e);
		goto fail;
	}
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, job);
	store__bind_text(s, 3, state);
	store__bind_text(s, 4, reason);
	if (store__step_done(st, s, e) == -1)
		goto fail;
	changed = sqlite3_changes(st->db) > 0;
	if (running) {
		if ((s = store__stmt(st, &q_slurm_run)) == NULL) {
			store__err(st, sqlite3_errcode(st->db), e);
			goto fail;
		}
		sqlite3_bind_int64(s, 1, id);
		sqlite3_bind_int64(s, 2, hg_now_ms());
		if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			const char *k = (const char *)sqlite3_column_text(s,
			    0);

			/* Counted once, however many attempts. */
			started = sqlite3_column_int(s, 1) == 1 ? 1 : 2;
			if (k == NULL || (kind = strdup(k)) == NULL)
				rc = SQLITE_NOMEM;
			else
				rc = sqlite3_step(s);
		}
		sqlite3_reset(s);
		if (rc != SQLITE_DONE) {
			store__err(st, rc, e);
			goto fail;
		}
	}
	if (started == 1 && store__counter_bump(st, "started", kind, NULL,
	    e) == -1)
		goto fail;
	/* The task object changed (its slurm part, or its state): its
	 * watchers see it. */
	if ((changed || started) && store__state_event(st, id, NULL, e) == -1)
		goto fail;
	if (store__commit(st, e) == -1)
		goto fail;
	free(kind);
	return started > 0;
fail:
	store__rollback(st);
	free(kind);
	return -1;
}

static const struct store_sql q_slurm_offset = { S_SLURM_OFFSET,
    "UPDATE tasks SET slurm_offset = ?2 WHERE id = ?1" };

int
store_task_slurm_offset(struct store *st, int64_t id, int64_t offset,
    struct hg_err *e)
{
	return write_int(st, &q_slurm_offset, id, offset, e);
}

static const struct store_sql q_reattach_get = { S_REATTACH_GET,
    "SELECT runner_pid, runner_start, kind, params, attempt, attempts "
    "FROM tasks WHERE id = ?1 AND " FOLLOWABLE };
static const struct store_sql q_reattach_set = { S_REATTACH_SET,
    "UPDATE tasks SET runner_pid = ?2, runner_start = ?3 WHERE id = ?1" };

static const struct store_sql q_task_claimable = { S_TASK_CLAIMABLE,
    "SELECT EXISTS (SELECT 1 FROM tasks WHERE id = ?1 AND ((" CLAIMABLE
    ") OR (" FOLLOWABLE ")))" };

int
store_task_claimable(struct store *st, int64_t id, struct hg_err *e)
{
	return store__query_true(st, &q_task_claimable, id, e);
}

int
store_task_reattach(struct store *st, int64_t id, int64_t pid, int64_t start,
    char **kind, char **params, int *attempt, int *attempts,
    struct hg_err *e)
{
	sqlite3_stmt	*s;
	int64_t		 old_pid = 0, old_start = 0;
	int		 rc, found = 0;

	*kind = *params = NULL;
	/* IMMEDIATE: two runners sent for the same job read and write in
	 * turn, and the second finds the first alive. */
	if (store__begin(st, 1, e) == -1)
		return -1;
	if ((s = store__stmt(st, &q_reattach_get)) == NULL) {
		store__err(st, sqlite3_errcode(st->db), e);
		goto fail;
	}
	sqlite3_bind_int64(s, 1, id);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char	*k = (const char *)sqlite3_column_text(s, 2);
		const char	*p = (const char *)sqlite3_column_text(s, 3);

		found = 1;
		old_pid = sqlite3_column_int64(s, 0);
		old_start = sqlite3_column_int64(s, 1);
		*attempt = sqlite3_column_int(s, 4);
		*attempts = sqlite3_column_int(s, 5);
		*kind = k != NULL ? strdup(k) : NULL;
		*params = p != NULL ? strdup(p) : NULL;
		rc = SQLITE_DONE;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		store__err(st, rc, e);
		goto fail;
	}
	/* Not a Slurm task's, or its runner lives: not ours to follow. */
	if (!found || (old_pid > 0 && hg_proc_start((long)old_pid) ==
	    old_start)) {
		store__rollback(st);
		free(*kind);
		free(*params);
		*kind = *params = NULL;
		return 1;
	}
	if (*kind == NULL || *params == NULL) {
		hg_err_set(e, 503, "unavailable", "out of memory");
		goto fail;
	}
	if ((s = store__stmt(st, &q_reattach_set)) == NULL) {
		store__err(st, sqlite3_errcode(st->db), e);
		goto fail;
	}
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, pid);
	sqlite3_bind_int64(s, 3, start);
	if (store__step_done(st, s, e) == -1 || store__commit(st, e) == -1)
		goto fail;
	return 0;
fail:
	store__rollback(st);
	free(*kind);
	free(*params);
	*kind = *params = NULL;
	return -1;
}
