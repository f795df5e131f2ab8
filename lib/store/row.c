/*
 * A task's row: its columns read into a struct task_row, the task read
 * as its object (taskjson.c gives the shape), its state and runner.
 */
#include "store_int.h"

/* A time column: ms since the epoch, or TASK_TIME_NONE for NULL. */
static int64_t
column_time(sqlite3_stmt *s, int col)
{
	if (sqlite3_column_type(s, col) == SQLITE_NULL)
		return TASK_TIME_NONE;
	return sqlite3_column_int64(s, col);
}

/* A NOT NULL column that reads as NULL is SQLite out of memory. */
int
store__row_read(sqlite3_stmt *s, struct task_row *t)
{
	int	 state;

	t->id = sqlite3_column_int64(s, 0);
	t->kind = (const char *)sqlite3_column_text(s, 1);
	t->name = (const char *)sqlite3_column_text(s, 2);
	t->params = (const char *)sqlite3_column_text(s, 3);
	state = state_parse((const char *)sqlite3_column_text(s, 4));
	t->state = (enum task_state)state;
	t->value = sqlite3_column_double(s, 5);
	t->has_total = sqlite3_column_type(s, 6) != SQLITE_NULL;
	t->total = sqlite3_column_double(s, 6);
	t->message = (const char *)sqlite3_column_text(s, 7);
	t->created_at = column_time(s, 8);
	t->started_at = column_time(s, 9);
	t->finished_at = column_time(s, 10);
	t->has_exit_code = sqlite3_column_type(s, 11) != SQLITE_NULL;
	t->exit_code = sqlite3_column_int64(s, 11);
	t->error_code = (const char *)sqlite3_column_text(s, 12);
	t->error_message = (const char *)sqlite3_column_text(s, 13);
	t->result = (const char *)sqlite3_column_text(s, 14);
	t->rerun_of = sqlite3_column_int64(s, 15);	/* NULL reads 0 */
	t->attempt = sqlite3_column_int64(s, 16);
	t->attempts = sqlite3_column_int64(s, 17);
	t->retry_at = column_time(s, 18);
	t->waiting_for = (const char *)sqlite3_column_text(s, 19);
	t->slurm_job = sqlite3_column_int64(s, 20);	/* NULL reads 0 */
	t->slurm_state = (const char *)sqlite3_column_text(s, 21);
	t->slurm_reason = (const char *)sqlite3_column_text(s, 22);
	t->schedule = sqlite3_column_int64(s, 23);	/* NULL reads 0 */
	return t->kind == NULL || t->params == NULL || state == -1 ? -1 : 0;
}

static const struct store_sql q_task_get = { S_TASK_GET,
    "SELECT " TASK_COLS " FROM tasks WHERE id = ?1" };

/*
 * Reads task id's row as *task (a cJSON tree, caller frees) if task is
 * not NULL, else as text appended to b (b->oom is the caller's) and its
 * state into *state. 404 when it is not there.
 */
static int
task_read(struct store *st, int64_t id, cJSON **task, struct json_buf *b,
    enum task_state *state, struct hg_err *e)
{
	sqlite3_stmt	*s;
	struct task_row	 t;
	int		 rc, oom = 0;

	if ((s = store__stmt(st, &q_task_get)) == NULL)
		return store__err(st, sqlite3_errcode(st->db), e);
	sqlite3_bind_int64(s, 1, id);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (store__row_read(s, &t) == -1)
			oom = 1;
		else if (task != NULL)
			oom = (*task = taskjson_tree(&st->clock, &t)) == NULL;
		else {
			oom = taskjson_text(b, &st->clock, &t) == -1;
			*state = t.state;
		}
	}
	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return hg_err_set(e, 404, "not_found", "no task %lld",
		    (long long)id);
	if (rc != SQLITE_ROW)
		return store__err(st, rc, e);
	if (oom)
		return hg_err_set(e, 503, "unavailable", "out of memory");
	return 0;
}

int
store__task_read(struct store *st, int64_t id, cJSON **task, struct hg_err *e)
{
	*task = NULL;
	return task_read(st, id, task, NULL, NULL, e);
}

int
store__task_text(struct store *st, int64_t id, struct json_buf *b,
    enum task_state *state, struct hg_err *e)
{
	return task_read(st, id, NULL, b, state, e);
}

/* A queued task has no runner to tell of a stop, but for a Slurm task
 * whose runner follows its pending job; a retrying one none any more. */
static const struct store_sql q_task_state = { S_TASK_STATE,
    "SELECT state, CASE WHEN state = 'retrying' THEN NULL WHEN state <> "
    "'queued' OR slurm_job IS NOT NULL THEN runner_pid END, runner_start "
    "FROM tasks WHERE id = ?1" };

int
store__task_state(struct store *st, int64_t id, enum task_state *state,
    struct runner_ref *ref, struct hg_err *e)
{
	sqlite3_stmt	*s;
	int		 rc, v;

	if ((s = store__stmt(st, &q_task_state)) == NULL)
		return store__err(st, sqlite3_errcode(st->db), e);
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		/* NOT NULL and CHECKed: anything else is no memory. */
		if ((v = state_parse((const char *)sqlite3_column_text(s,
		    0))) == -1)
			rc = SQLITE_NOMEM;
		*state = (enum task_state)v;
		if (ref != NULL) {
			ref->pid = sqlite3_column_int64(s, 1);
			ref->start = sqlite3_column_int64(s, 2);
		}
	}
	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return hg_err_set(e, 404, "not_found", "no task %lld",
		    (long long)id);
	if (rc != SQLITE_ROW)
		return store__err(st, rc, e);
	return 0;
}
