/*
 * Counters that only grow, bumped in the transaction of what they
 * count, and what /api/metrics reads of them and of the tasks.
 */
#include "store_int.h"

static const struct store_sql q_counter_bump = { S_COUNTER_BUMP,
    "INSERT INTO counters (name, kind, state, value) "
    "VALUES (?1, ?2, ?3, 1) ON CONFLICT (name, kind, state) DO "
    "UPDATE SET value = value + 1" };

int
store__counter_bump(struct store *st, const char *name, const char *kind,
    const char *state, struct hg_err *e)
{
	sqlite3_stmt	*s;

	if ((s = store__stmt(st, &q_counter_bump)) == NULL)
		return store__err(st, sqlite3_errcode(st->db), e);
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, kind != NULL ? kind : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 3, state != NULL ? state : "", -1,
	    SQLITE_TRANSIENT);
	return store__step_done(st, s, e);
}

/* name{kind,state} += 1, of task id as it now is; state '' unless
 * by_state. "WHERE" keeps the upsert's ON from reading as a join's. */
static const struct store_sql q_counter_task = { S_COUNTER_TASK,
    "INSERT INTO counters (name, kind, state, value) SELECT ?2, kind, "
    "CASE WHEN ?3 THEN state ELSE '' END, 1 FROM tasks WHERE id = ?1 "
    "ON CONFLICT (name, kind, state) DO UPDATE SET value = value + 1" };

static int
counter_task(struct store *st, int64_t id, const char *name, int by_state,
    struct hg_err *e)
{
	sqlite3_stmt	*s;

	if ((s = store__stmt(st, &q_counter_task)) == NULL)
		return store__err(st, sqlite3_errcode(st->db), e);
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, by_state);
	return store__step_done(st, s, e);
}

int
store__counter_finished(struct store *st, int64_t id, struct hg_err *e)
{
	return counter_task(st, id, "finished", 1, e);
}

int
store__counter_retried(struct store *st, int64_t id, struct hg_err *e)
{
	return counter_task(st, id, "retries", 0, e);
}

int
store_count(struct store *st, const char *name, struct hg_err *e)
{
	if (store__begin(st, 1, e) == -1)
		return -1;
	if (store__counter_bump(st, name, NULL, NULL, e) == -1 ||
	    store__commit(st, e) == -1) {
		store__rollback(st);
		return -1;
	}
	return 0;
}

static const struct store_sql q_metric_tasks = { S_METRIC_TASKS,
    "SELECT kind, state, n FROM task_counts WHERE n > 0 "
    "ORDER BY kind, state" };

static const struct store_sql q_metric_counters = { S_METRIC_COUNTERS,
    "SELECT name, kind, state, value FROM counters "
    "ORDER BY name, kind, state" };

int
store_metrics(struct store *st,
    void (*cb)(void *, const char *name, const char *kind,
    const char *state, int64_t value), void *arg, struct hg_err *e)
{
	sqlite3_stmt	*s;
	int		 rc;

	if (store__begin(st, 0, e) == -1)
		return -1;
	if ((s = store__stmt(st, &q_metric_tasks)) == NULL)
		goto dbfail;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		cb(arg, "tasks", (const char *)sqlite3_column_text(s, 0),
		    (const char *)sqlite3_column_text(s, 1),
		    sqlite3_column_int64(s, 2));
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		goto steperr;
	if ((s = store__stmt(st, &q_metric_counters)) == NULL)
		goto dbfail;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		cb(arg, (const char *)sqlite3_column_text(s, 0),
		    (const char *)sqlite3_column_text(s, 1),
		    (const char *)sqlite3_column_text(s, 2),
		    sqlite3_column_int64(s, 3));
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		goto steperr;
	return store__commit(st, e);
dbfail:
	rc = sqlite3_errcode(st->db);
steperr:
	store__err(st, rc, e);
	store__rollback(st);
	return -1;
}
