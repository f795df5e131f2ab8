/*
 * Upkeep the server does on its own: the lost-runner check, retention
 * (prune, thin, idempotency keys), tended tasks (watched, external) and
 * the WAL checkpoint.
 */
#include <stdio.h>

#include "store_int.h"

#define RUNNER_COLS	"id, runner_pid, runner_start, kind, " \
	"coalesce(slurm_job, -1)"
/* By state and id, on the tasks_state (state, id) index: a page
 * costs its own rows, however many tasks run. A statement for each
 * state, named in it: with the state bound, SQLite compiled the one
 * statement again each time the value changed (its planner looks at a
 * bound value to tell whether a partial index fits, and then holds the
 * plan to it), twice a pass: 2.3% of hourglass-fcgi's CPU under load. */
#define ACTIVE_RUNNERS(state) "SELECT " RUNNER_COLS " FROM tasks WHERE " \
	"state = '" state "' AND id > ?2 AND external = 0 ORDER BY id " \
	"LIMIT ?3"
static const struct store_sql q_running_runners = { S_RUNNING_RUNNERS,
    ACTIVE_RUNNERS("running") };
static const struct store_sql q_stopping_runners = { S_STOPPING_RUNNERS,
    ACTIVE_RUNNERS("stopping") };
/* A queued task has a runner only when it is a Slurm task whose runner
 * follows its pending job: those alone, on their index (sql/020), not
 * every queued task at every pass. */
static const struct store_sql q_pending_runners = { S_PENDING_RUNNERS,
    "SELECT " RUNNER_COLS " FROM tasks INDEXED BY tasks_slurm_pending "
    "WHERE state = 'queued' AND slurm_job IS NOT NULL AND runner_pid IS "
    "NOT NULL AND id > ?2 AND external = 0 ORDER BY id LIMIT ?3" };

/* Reads up to HG_RUNNERS_BATCH runners that q finds with ids above
 * after. Returns how many, or -1. */
static int
runners_page(struct store *st, const struct store_sql *q, int64_t after,
    int64_t *ids, struct runner_seen *refs)
{
	sqlite3_stmt	*s;
	int		 rc = SQLITE_DONE, n = 0;

	if ((s = store__stmt(st, q)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 2, after);
	sqlite3_bind_int(s, 3, HG_RUNNERS_BATCH);
	while (n < HG_RUNNERS_BATCH && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		ids[n] = sqlite3_column_int64(s, 0);
		const char	*kind = (const char *)sqlite3_column_text(s, 3);

		refs[n].ref.pid = sqlite3_column_int64(s, 1);
		refs[n].ref.start = sqlite3_column_int64(s, 2);
		refs[n].slurm_job = sqlite3_column_int64(s, 4);
		snprintf(refs[n].kind, sizeof(refs[n].kind), "%s",
		    kind != NULL ? kind : "");
		n++;
	}
	sqlite3_reset(s);
	return n == HG_RUNNERS_BATCH || rc == SQLITE_DONE ? n : -1;
}

int
store_active_runners(struct store *st,
    void (*cb)(void *, int64_t, const struct runner_seen *), void *arg)
{
	static const struct store_sql *const active[] = {
	    &q_running_runners, &q_stopping_runners, &q_pending_runners };
	struct runner_seen	 refs[HG_RUNNERS_BATCH], ref;
	int64_t			 ids[HG_RUNNERS_BATCH], after;
	int			 n, i, k, total = 0;

	for (k = 0; k < (int)(sizeof(active) / sizeof(active[0])); k++) {
		after = 0;
		do {
			if ((n = runners_page(st, active[k], after, ids,
			    refs)) == -1)
				return -1;
			/* The callback may write: the page's read is done
			 * first. */
			for (i = 0; i < n; i++) {
				ref = refs[i];
				cb(arg, ids[i], &ref);
			}
			total += n;
			if (n > 0)
				after = ids[n - 1];
		} while (n == HG_RUNNERS_BATCH);
	}
	return total;
}

/* Ids of up to cap tasks picked by q with ?1 = before, ?2 = cap and,
 * if text is not NULL, ?3 = text. Returns how many, or -1 if the read
 * failed before it ended. */
static int
pick_ids(struct store *st, const struct store_sql *q, int64_t before,
    const char *text, int64_t *ids, int cap)
{
	sqlite3_stmt	*s;
	int		 n = 0, rc = SQLITE_DONE;

	if ((s = store__stmt(st, q)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, before);
	sqlite3_bind_int(s, 2, cap);
	if (text != NULL)
		sqlite3_bind_text(s, 3, text, -1, SQLITE_STATIC);
	while (n < cap && (rc = sqlite3_step(s)) == SQLITE_ROW)
		ids[n++] = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return n < cap && rc != SQLITE_DONE ? -1 : n;
}

static const struct store_sql q_prune_pick = { S_PRUNE_PICK,
    "SELECT id FROM tasks WHERE finished_at < ?1 "
    "ORDER BY finished_at LIMIT ?2" };

/* The 'deleted' events of tasks pruned or deleted before `before`. */
static const struct store_sql q_prune_deleted = { S_PRUNE_DELETED,
    "DELETE FROM events WHERE type = 'deleted' AND at < ?1" };
static const struct store_sql q_prune_deleted_pick = { S_PRUNE_DELETED_PICK,
    "SELECT id FROM events WHERE type = 'deleted' AND at < ?1 LIMIT ?2" };

int
store_prune(struct store *st, int64_t before, int64_t *ids, int cap,
    struct hg_err *e)
{
	int	 n, i;

	/* Most passes have nothing to prune: look before locking. */
	if ((n = pick_ids(st, &q_prune_pick, before, NULL, ids, 1)) == 0)
		n = pick_ids(st, &q_prune_deleted_pick, before, NULL, ids, 1);
	if (n <= 0)
		return n == -1 ? store__err(st, sqlite3_errcode(st->db), e) : 0;
	if (store__begin(st, 1, e) == -1)
		return -1;
	if ((n = pick_ids(st, &q_prune_pick, before, NULL, ids, cap)) == -1)
		goto fail;
	for (i = 0; i < n; i++)
		if (store__task_remove(st, ids[i], e) == -1)
			goto fail;
	if (store__exec_id(st, &q_prune_deleted, before, e) == -1)
		goto fail;
	if (store__commit(st, e) == -1)
		return -1;
	return n;
fail:
	if (n == -1)
		store__err(st, sqlite3_errcode(st->db), e);
	store__rollback(st);
	return -1;
}

/* The terms of the tasks_unthinned index, so that it is used. */
static const struct store_sql q_thin_pick = { S_THIN_PICK,
    "SELECT id FROM tasks WHERE finished_at < ?1 AND "
    "thinned = 0 AND finished_at IS NOT NULL LIMIT ?2" };

/* The last progress event of each second stays, and so the
 * task's last one; state and log events are not touched. */
static const struct store_sql q_thin = { S_THIN,
    "DELETE FROM events WHERE task_id = ?1 AND type = "
    "'progress' AND id NOT IN (SELECT max(id) FROM events WHERE "
    "task_id = ?1 AND type = 'progress' GROUP BY at / 1000)" };

static const struct store_sql q_thin_mark = { S_THIN_MARK,
    "UPDATE tasks SET thinned = 1 WHERE id = ?1" };

int
store_thin(struct store *st, int64_t before, int cap, int64_t *upto,
    struct hg_err *e)
{
	int64_t	 ids[HG_THIN_BATCH], newest;
	int	 n, i;

	*upto = 0;
	if (cap > HG_THIN_BATCH)
		cap = HG_THIN_BATCH;
	if ((n = pick_ids(st, &q_thin_pick, before, NULL, ids, cap)) == -1)
		return store__err(st, sqlite3_errcode(st->db), e);
	/* A transaction each: thinning never holds the lock for long. */
	for (i = 0; i < n; i++) {
		if (store__begin(st, 1, e) == -1)
			return -1;
		if (store__exec_id(st, &q_thin, ids[i], e) == -1 ||
		    store__exec_id(st, &q_thin_mark, ids[i], e) == -1 ||
		    store__task_newest(st, ids[i], &newest, e) == -1 ||
		    store__commit(st, e) == -1) {
			store__rollback(st);
			return -1;
		}
		if (newest > *upto)
			*upto = newest;
	}
	return n;
}

static const struct store_sql q_any_idem_old = { S_ANY_IDEM_OLD,
    "SELECT EXISTS (SELECT 1 FROM idempotency WHERE "
    "created_at < ?1)" };

static const struct store_sql q_idem_prune = { S_IDEM_PRUNE,
    "DELETE FROM idempotency WHERE created_at < ?1" };

int
store_idem_prune(struct store *st, int64_t before)
{
	int64_t	 any;

	if (store__query_int(st, &q_any_idem_old, NULL, before, &any,
	    NULL) == -1)
		return -1;
	return any ? store__exec_id(st, &q_idem_prune, before, NULL) : 0;
}

/* On the tasks_tended index, whose terms it repeats: the planner would
 * take tasks_state, and read and sort every queued task at every pass
 * (35 ms at 100,000 queued). */
static const struct store_sql q_tended = { S_TENDED,
    "SELECT id, state, watch_ms, watched_at, external, "
    "heartbeat_ms, grace_ms, reported_at, stop_at FROM tasks INDEXED BY "
    "tasks_tended WHERE state IN ('queued', 'retrying', 'running', "
    "'stopping') AND "
    "(watch_ms IS NOT NULL OR external = 1) AND id > ?1 ORDER BY id "
    "LIMIT ?2" };

int
store_tended(struct store *st, int64_t after, struct tended *v, int cap)
{
	sqlite3_stmt	*s;
	int		 rc, n = 0, state;

	if ((s = store__stmt(st, &q_tended)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, after);
	sqlite3_bind_int(s, 2, cap);
	while (n < cap && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		v[n].id = sqlite3_column_int64(s, 0);
		if ((state = state_parse((const char *)sqlite3_column_text(s,
		    1))) == -1) {
			rc = SQLITE_NOMEM;
			break;
		}
		v[n].state = (enum task_state)state;
		v[n].watch_ms = sqlite3_column_int64(s, 2);
		v[n].watched_at = sqlite3_column_int64(s, 3);
		v[n].external = sqlite3_column_int(s, 4);
		v[n].heartbeat_ms = sqlite3_column_int64(s, 5);
		v[n].grace_ms = sqlite3_column_int64(s, 6);
		v[n].reported_at = sqlite3_column_int64(s, 7);
		v[n].stop_at = sqlite3_column_int64(s, 8);
		n++;
	}
	sqlite3_reset(s);
	if (n < cap && rc != SQLITE_DONE)
		return -1;
	return n;
}

static const struct store_sql q_queued_kinds = { S_QUEUED_KINDS,
    "SELECT DISTINCT kind FROM tasks WHERE state = 'queued'" };

int
store_queued_kinds(struct store *st, int (*fn)(void *, const char *),
    void *arg)
{
	sqlite3_stmt	*s;
	int		 rc;

	if ((s = store__stmt(st, &q_queued_kinds)) == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if (fn(arg, (const char *)sqlite3_column_text(s, 0)) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

static const struct store_sql q_queued_of_kind = { S_QUEUED_OF_KIND,
    "SELECT id FROM tasks WHERE state = 'queued' AND id > ?1 AND "
    "kind = ?3 ORDER BY id LIMIT ?2" };

int
store_queued_of_kind(struct store *st, const char *kind, int64_t after,
    int64_t *ids, int cap)
{
	return pick_ids(st, &q_queued_of_kind, after, kind, ids, cap);
}

static const struct store_sql q_watched = { S_WATCHED,
    "UPDATE tasks SET watched_at = ?2 WHERE id = ?1 AND "
    "watched_at < ?2" };

int
store_watched(struct store *st, const int64_t *ids, const int64_t *at, int n,
    struct hg_err *e)
{
	sqlite3_stmt	*s;
	int		 i;

	if (n == 0)
		return 0;
	if (store__begin(st, 1, e) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if ((s = store__stmt(st, &q_watched)) == NULL) {
			store__err(st, sqlite3_errcode(st->db), e);
			goto fail;
		}
		sqlite3_bind_int64(s, 1, ids[i]);
		sqlite3_bind_int64(s, 2, at[i]);
		if (store__step_done(st, s, e) == -1)
			goto fail;
	}
	return store__commit(st, e);
fail:
	store__rollback(st);
	return -1;
}

int
store_checkpoint(struct store *st)
{
	return sqlite3_wal_checkpoint_v2(st->db, NULL,
	    SQLITE_CHECKPOINT_PASSIVE, NULL, NULL) == SQLITE_OK ? 0 : -1;
}
