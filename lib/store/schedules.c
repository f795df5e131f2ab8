/*
 * Schedules as stored: made, read, paused, deleted, and moved on to
 * their next run; the task a run makes is recorded in the create's own
 * transaction (store__schedule_made), so that a run is never made twice
 * nor its next time lost to a crash between the two.
 */
#include <stdint.h>
#include <string.h>

#include "store_int.h"

#define SCHED_COLS "id, kind, params, name, cron, timezone, overlap, " \
	"paused, next_run_at, last_task_id, created_at"

static const struct store_sql q_sched_insert = { S_SCHED_INSERT,
    "INSERT INTO schedules (kind, params, name, cron, timezone, overlap, "
    "paused, next_run_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, "
    "?7, ?8)" };

static void
bind_time(sqlite3_stmt *s, int i, int64_t t)
{
	if (t == TASK_TIME_NONE)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_int64(s, i, t);
}

int
store_schedule_create(struct store *st, const struct schedule *sc,
    int64_t *id, struct hg_err *e)
{
	sqlite3_stmt	*s;

	if (store__begin(st, 1, e) == -1)
		return -1;
	if ((s = store__stmt(st, &q_sched_insert)) == NULL) {
		store__err(st, sqlite3_errcode(st->db), e);
		goto fail;
	}
	sqlite3_bind_text(s, 1, sc->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, sc->params, -1, SQLITE_STATIC);
	store__bind_text(s, 3, sc->name);
	sqlite3_bind_text(s, 4, sc->cron, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, sc->timezone, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, sc->overlap_allow ? "allow" : "skip", -1,
	    SQLITE_STATIC);
	bind_time(s, 7, sc->next_run_at);
	sqlite3_bind_int64(s, 8, hg_now_ms());
	if (store__step_done(st, s, e) == -1)
		goto fail;
	*id = sqlite3_last_insert_rowid(st->db);
	return store__commit(st, e);
fail:
	store__rollback(st);
	return -1;
}

static const struct store_sql q_sched_get = { S_SCHED_GET,
    "SELECT " SCHED_COLS " FROM schedules WHERE id = ?1" };
static const struct store_sql q_sched_list = { S_SCHED_LIST,
    "SELECT " SCHED_COLS " FROM schedules ORDER BY id" };
static const struct store_sql q_sched_due = { S_SCHED_DUE,
    "SELECT " SCHED_COLS " FROM schedules WHERE next_run_at <= ?1 AND "
    "paused = 0 ORDER BY next_run_at" };

/* A NOT NULL column that reads as NULL is SQLite out of memory. */
static int
row_read(sqlite3_stmt *s, struct schedule *sc)
{
	sc->id = sqlite3_column_int64(s, 0);
	sc->kind = (const char *)sqlite3_column_text(s, 1);
	sc->params = (const char *)sqlite3_column_text(s, 2);
	sc->name = (const char *)sqlite3_column_text(s, 3);
	sc->cron = (const char *)sqlite3_column_text(s, 4);
	sc->timezone = (const char *)sqlite3_column_text(s, 5);
	sc->overlap_allow = sqlite3_column_text(s, 6) != NULL &&
	    strcmp((const char *)sqlite3_column_text(s, 6), "allow") == 0;
	sc->paused = sqlite3_column_int(s, 7) != 0;
	sc->next_run_at = sqlite3_column_type(s, 8) == SQLITE_NULL ?
	    TASK_TIME_NONE : sqlite3_column_int64(s, 8);
	sc->last_task_id = sqlite3_column_int64(s, 9);	/* NULL reads 0 */
	sc->created_at = sqlite3_column_int64(s, 10);
	return sc->kind == NULL || sc->params == NULL || sc->cron == NULL ||
	    sc->timezone == NULL ? -1 : 0;
}

int
store_schedule_each(struct store *st, int64_t id, int64_t due_by,
    schedule_fn fn, void *arg, struct hg_err *e)
{
	const struct store_sql	*q = id > 0 ? &q_sched_get : due_by > 0 ?
	    &q_sched_due : &q_sched_list;
	struct schedule		 sc;
	sqlite3_stmt		*s;
	int			 rc, n = 0;

	if (store__begin(st, 0, e) == -1)
		return -1;
	if ((s = store__stmt(st, q)) == NULL) {
		store__err(st, sqlite3_errcode(st->db), e);
		goto fail;
	}
	if (id > 0)
		sqlite3_bind_int64(s, 1, id);
	else if (due_by > 0)
		sqlite3_bind_int64(s, 1, due_by);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (row_read(s, &sc) == -1) {
			rc = SQLITE_NOMEM;
			break;
		}
		n++;
		if (fn(arg, &sc) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		store__err(st, rc, e);
		goto fail;
	}
	if (store__commit(st, e) == -1)
		return -1;
	if (id > 0 && n == 0)
		return hg_err_set(e, 404, "not_found", "no schedule %lld",
		    (long long)id);
	return n;
fail:
	store__rollback(st);
	return -1;
}

/* Runs q with ?1 = id and the ints after it (TASK_TIME_NONE binds
 * NULL); 404 when no schedule changed. */
static int
write_sched(struct store *st, const struct store_sql *q, int64_t id,
    int nargs, const int64_t *args, int missing_is_404, struct hg_err *e)
{
	sqlite3_stmt	*s;
	int		 i, changed;

	if (store__begin(st, 1, e) == -1)
		return -1;
	if ((s = store__stmt(st, q)) == NULL) {
		store__err(st, sqlite3_errcode(st->db), e);
		goto fail;
	}
	sqlite3_bind_int64(s, 1, id);
	for (i = 0; i < nargs; i++)
		bind_time(s, i + 2, args[i]);
	if (store__step_done(st, s, e) == -1)
		goto fail;
	changed = sqlite3_changes(st->db) > 0;
	if (store__commit(st, e) == -1)
		return -1;
	if (!changed && missing_is_404)
		return hg_err_set(e, 404, "not_found", "no schedule %lld",
		    (long long)id);
	return changed;
fail:
	store__rollback(st);
	return -1;
}

static const struct store_sql q_sched_pause = { S_SCHED_PAUSE,
    "UPDATE schedules SET paused = ?2, next_run_at = ?3 WHERE id = ?1" };

int
store_schedule_pause(struct store *st, int64_t id, int paused, int64_t next,
    struct hg_err *e)
{
	int64_t	 args[2] = { paused, paused ? TASK_TIME_NONE : next };

	return write_sched(st, &q_sched_pause, id, 2, args, 1, e) == -1 ?
	    -1 : 0;
}

static const struct store_sql q_sched_delete = { S_SCHED_DELETE,
    "DELETE FROM schedules WHERE id = ?1" };

int
store_schedule_delete(struct store *st, int64_t id, struct hg_err *e)
{
	return write_sched(st, &q_sched_delete, id, 0, NULL, 1, e) == -1 ?
	    -1 : 0;
}

static const struct store_sql q_sched_advance = { S_SCHED_ADVANCE,
    "UPDATE schedules SET next_run_at = ?3 WHERE id = ?1 AND "
    "next_run_at = ?2 AND paused = 0" };

int
store_schedule_advance(struct store *st, int64_t id, int64_t due,
    int64_t next, struct hg_err *e)
{
	int64_t	 args[2] = { due, next };

	return write_sched(st, &q_sched_advance, id, 2, args, 0, e);
}

static const struct store_sql q_sched_earliest = { S_SCHED_EARLIEST,
    "SELECT coalesce(min(next_run_at), 9223372036854775807) FROM "
    "schedules WHERE next_run_at IS NOT NULL AND paused = 0" };

int
store_schedule_earliest(struct store *st, int64_t *at, struct hg_err *e)
{
	return store__query_int(st, &q_sched_earliest, NULL, 0, at, e);
}

static const struct store_sql q_sched_last_active = { S_SCHED_LAST_ACTIVE,
    "SELECT count(*) FROM schedules s JOIN tasks t ON t.id = "
    "s.last_task_id WHERE s.id = ?1 AND t.state NOT IN ('succeeded', "
    "'failed', 'canceled', 'lost')" };

int
store_schedule_last_active(struct store *st, int64_t id, struct hg_err *e)
{
	return store__query_true(st, &q_sched_last_active, id, e);
}

/* A due run moves the next run only if it is still the one that was
 * due; a run asked for now leaves it. */
static const struct store_sql q_sched_fired = { S_SCHED_FIRED,
    "UPDATE schedules SET last_task_id = ?2, next_run_at = ?4 WHERE "
    "id = ?1 AND next_run_at = ?3 AND paused = 0" };
static const struct store_sql q_sched_ran = { S_SCHED_RAN,
    "UPDATE schedules SET last_task_id = ?2 WHERE id = ?1" };

int
store__schedule_made(struct store *st, int64_t id,
    const struct create_opts *o, struct hg_err *e)
{
	sqlite3_stmt	*s;

	s = store__stmt(st, o->schedule_due != 0 ? &q_sched_fired :
	    &q_sched_ran);
	if (s == NULL)
		return store__err(st, sqlite3_errcode(st->db), e);
	sqlite3_bind_int64(s, 1, o->schedule);
	sqlite3_bind_int64(s, 2, id);
	if (o->schedule_due != 0) {
		sqlite3_bind_int64(s, 3, o->schedule_due);
		bind_time(s, 4, o->schedule_next);
	}
	if (store__step_done(st, s, e) == -1)
		return -1;
	if (sqlite3_changes(st->db) == 0)
		return o->schedule_due != 0 ? hg_err_set(e, 409, "conflict",
		    "schedule %lld changed before its run was made",
		    (long long)o->schedule) : hg_err_set(e, 404, "not_found",
		    "no schedule %lld", (long long)o->schedule);
	return 0;
}
