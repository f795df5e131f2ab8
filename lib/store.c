#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "gate.h"
#include "json.h"
#include "store.h"
#include "taskjson.h"

extern const char *const store_migrations[];
extern const size_t store_nmigrations;

#define TASK_COLS "id, kind, name, params, state, value, total, message, " \
	"created_at, started_at, finished_at, exit_code, error_code, " \
	"error_message"

enum stmt {
	S_BEGIN,
	S_BEGIN_IMM,
	S_COMMIT,
	S_ROLLBACK,
	S_TASK_GET,
	S_TASK_INSERT,
	S_EVENT_INSERT,
	S_LIST,
	S_LIST_STATE,
	S_LIST_KIND,
	S_LIST_STATE_KIND,
	S_EVENT_LAST,
	S_TASK_STATE,
	S_TASK_SET_STATE,
	S_TASK_DELETE,
	S_TASK_CLAIM,
	S_TASK_PROGRESS,
	S_TASK_FINISH,
	S_TASK_STOPREQ,
	S_EVENTS_ALL,
	S_EVENTS_TASK,
	S_TASK_NEWEST,
	S_SCHED_BUSY,
	S_SCHED_WAITING,
	S_SCHED_MARK,
	S_SCHED_UNLAUNCH,
	S_ACTIVE_RUNNERS,
	S_IDEM_GET,
	S_IDEM_PUT,
	S_QUEUED_COUNT,
	S_COUNTER_BUMP,
	S_COUNTER_FINISHED,
	S_METRIC_TASKS,
	S_METRIC_COUNTERS,
	S_PRUNE_PICK,
	S_THIN_PICK,
	S_THIN,
	S_THIN_MARK,
	S_IDEM_PRUNE,
	S_ANY_WAITING,
	S_ANY_UNCLAIMED,
	S_ANY_IDEM_OLD,
	S_STOP_WHY,
	S_TENDED,
	S_WATCHED,
	S_REPORT_GET,
	S_REPORT_START,
	S_REPORT_BEAT,
	S_MAX
};

static const char *const stmt_sql[S_MAX] = {
	[S_BEGIN] = "BEGIN",
	/* IMMEDIATE: a deferred read-then-write gets SQLITE_BUSY at
	 * once; sqlite.h.in says the busy handler is skipped there. */
	[S_BEGIN_IMM] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_TASK_GET] = "SELECT " TASK_COLS " FROM tasks WHERE id = ?1",
	[S_TASK_INSERT] = "INSERT INTO tasks (kind, name, params, state, "
	    "created_at, watch_ms, watched_at, external, report_hash, "
	    "heartbeat_ms, grace_ms) VALUES (?1, ?2, ?3, 'queued', ?4, ?5, "
	    "?4, ?6, ?7, ?8, ?9)",
	[S_EVENT_INSERT] = "INSERT INTO events (task_id, type, state, data, at) "
	    "VALUES (?1, ?2, ?3, ?4, ?5)",
	/* One statement per filter, so that each can use its index. */
	[S_LIST] = "SELECT " TASK_COLS " FROM tasks WHERE id < ?3 "
	    "ORDER BY id DESC LIMIT ?4",
	[S_LIST_STATE] = "SELECT " TASK_COLS " FROM tasks WHERE state = ?1 "
	    "AND id < ?3 ORDER BY id DESC LIMIT ?4",
	[S_LIST_KIND] = "SELECT " TASK_COLS " FROM tasks WHERE kind = ?2 "
	    "AND id < ?3 ORDER BY id DESC LIMIT ?4",
	[S_LIST_STATE_KIND] = "SELECT " TASK_COLS " FROM tasks WHERE "
	    "state = ?1 AND kind = ?2 AND id < ?3 ORDER BY id DESC LIMIT ?4",
	[S_EVENT_LAST] = "SELECT seq FROM sqlite_sequence WHERE "
	    "name = 'events'",
	[S_TASK_STATE] = "SELECT state, runner_pid, runner_start FROM tasks "
	    "WHERE id = ?1",
	[S_TASK_SET_STATE] = "UPDATE tasks SET state = ?2, stop_requested = "
	    "stop_requested OR ?3, finished_at = ?4 WHERE id = ?1",
	[S_TASK_DELETE] = "DELETE FROM tasks WHERE id = ?1",
	[S_TASK_CLAIM] = "UPDATE tasks SET state = 'running', started_at = "
	    "?2, runner_pid = ?3, runner_start = ?4 WHERE id = ?1 AND "
	    "state = 'queued' RETURNING kind, params",
	[S_TASK_PROGRESS] = "UPDATE tasks SET value = ?2, total = ?3, "
	    "message = ?4 WHERE id = ?1 AND state IN ('running', 'stopping')",
	/* A task canceled for a reason of the server's own (unwatched)
	 * ends with that reason as its error. */
	[S_TASK_FINISH] = "UPDATE tasks SET state = ?2, finished_at = ?3, "
	    "exit_code = ?4, error_code = coalesce(?5, CASE WHEN ?2 = "
	    "'canceled' THEN stop_code END), error_message = CASE WHEN ?5 IS "
	    "NULL AND ?2 = 'canceled' THEN stop_message ELSE ?6 END WHERE "
	    "id = ?1",
	[S_TASK_STOPREQ] = "SELECT stop_requested FROM tasks WHERE id = ?1",
	[S_EVENTS_ALL] = "SELECT id, task_id, type, state, data FROM events "
	    "WHERE id > ?1 AND id <= ?2 ORDER BY id LIMIT ?4",
	[S_EVENTS_TASK] = "SELECT id, task_id, type, state, data FROM events "
	    "WHERE task_id = ?3 AND id > ?1 AND id <= ?2 ORDER BY id "
	    "LIMIT ?4",
	[S_TASK_NEWEST] = "SELECT max(id) FROM events WHERE task_id = ?1",
	/* What holds a slot: running, stopping, or launched and waiting
	 * for its runner to take it. External tasks run elsewhere: they
	 * hold no slot and are never launched. */
	[S_SCHED_BUSY] = "SELECT kind, count(*) FROM tasks WHERE (state IN "
	    "('running', 'stopping') AND external = 0) OR (state = 'queued' "
	    "AND launched_at IS NOT NULL) GROUP BY kind",
	[S_SCHED_WAITING] = "SELECT id, kind FROM tasks WHERE state = "
	    "'queued' AND launched_at IS NULL AND external = 0 ORDER BY id "
	    "LIMIT ?1",
	[S_SCHED_MARK] = "UPDATE tasks SET launched_at = ?2 WHERE id = ?1",
	[S_SCHED_UNLAUNCH] = "UPDATE tasks SET launched_at = NULL WHERE "
	    "state = 'queued' AND launched_at < ?1",
	[S_IDEM_GET] = "SELECT task_id FROM idempotency WHERE key = ?1 AND "
	    "created_at > ?2",
	[S_IDEM_PUT] = "INSERT OR REPLACE INTO idempotency (key, task_id, "
	    "created_at) VALUES (?1, ?2, ?3)",
	[S_QUEUED_COUNT] = "SELECT count(*) FROM tasks WHERE state = "
	    "'queued'",
	[S_COUNTER_BUMP] = "INSERT INTO counters (name, kind, state, value) "
	    "VALUES (?1, ?2, ?3, 1) ON CONFLICT (name, kind, state) DO "
	    "UPDATE SET value = value + 1",
	/* "WHERE" keeps the upsert's ON from reading as a join's. */
	[S_COUNTER_FINISHED] = "INSERT INTO counters (name, kind, state, "
	    "value) SELECT 'finished', kind, state, 1 FROM tasks WHERE id = ?1 "
	    "ON CONFLICT (name, kind, state) DO UPDATE SET value = value + 1",
	[S_METRIC_TASKS] = "SELECT kind, state, count(*) FROM tasks GROUP BY "
	    "kind, state",
	[S_METRIC_COUNTERS] = "SELECT name, kind, state, value FROM counters "
	    "ORDER BY name, kind, state",
	[S_PRUNE_PICK] = "SELECT id FROM tasks WHERE finished_at < ?1 "
	    "ORDER BY finished_at LIMIT ?2",
	/* The terms of the tasks_unthinned index, so that it is used. */
	[S_THIN_PICK] = "SELECT id FROM tasks WHERE finished_at < ?1 AND "
	    "thinned = 0 AND finished_at IS NOT NULL LIMIT ?2",
	/* The last progress event of each second stays, and so the
	 * task's last one; state and log events are not touched. */
	[S_THIN] = "DELETE FROM events WHERE task_id = ?1 AND type = "
	    "'progress' AND id NOT IN (SELECT max(id) FROM events WHERE "
	    "task_id = ?1 AND type = 'progress' GROUP BY at / 1000)",
	[S_THIN_MARK] = "UPDATE tasks SET thinned = 1 WHERE id = ?1",
	[S_IDEM_PRUNE] = "DELETE FROM idempotency WHERE created_at < ?1",
	[S_ACTIVE_RUNNERS] = "SELECT id, runner_pid, runner_start FROM tasks "
	    "WHERE state IN ('running', 'stopping') AND external = 0",
	/* Reads that tell whether a periodic write has anything to do:
	 * a write statement takes the write lock even when it changes
	 * nothing, and the janitor and every runner that ends would take
	 * it for nothing most of the time. */
	[S_ANY_WAITING] = "SELECT EXISTS (SELECT 1 FROM tasks WHERE state = "
	    "'queued' AND launched_at IS NULL AND external = 0)",
	[S_ANY_UNCLAIMED] = "SELECT EXISTS (SELECT 1 FROM tasks WHERE state = "
	    "'queued' AND launched_at < ?1)",
	[S_ANY_IDEM_OLD] = "SELECT EXISTS (SELECT 1 FROM idempotency WHERE "
	    "created_at < ?1)",
	/* A queued task that a stop ends at once ends with the reason. */
	[S_STOP_WHY] = "UPDATE tasks SET stop_code = ?2, stop_message = ?3, "
	    "stop_at = ?4, error_code = CASE WHEN state = 'canceled' THEN ?2 "
	    "ELSE error_code END, error_message = CASE WHEN state = "
	    "'canceled' THEN ?3 ELSE error_message END WHERE id = ?1",
	/* The terms of the tasks_tended index, so that it is used. */
	[S_TENDED] = "SELECT id, state, watch_ms, watched_at, external, "
	    "heartbeat_ms, grace_ms, reported_at, stop_at FROM tasks WHERE "
	    "state IN ('queued', 'running', 'stopping') AND (watch_ms IS NOT "
	    "NULL OR external = 1) AND id > ?1 ORDER BY id LIMIT ?2",
	[S_WATCHED] = "UPDATE tasks SET watched_at = ?2 WHERE id = ?1 AND "
	    "watched_at < ?2",
	[S_REPORT_GET] = "SELECT state, report_hash, kind FROM tasks WHERE "
	    "id = ?1 AND external = 1",
	[S_REPORT_START] = "UPDATE tasks SET state = 'running', started_at = "
	    "?2 WHERE id = ?1 AND state = 'queued'",
	[S_REPORT_BEAT] = "UPDATE tasks SET reported_at = ?2 WHERE id = ?1",
};

struct store {
	sqlite3		*db;
	sqlite3_stmt	*stmt[S_MAX];
	struct gate	*gate;		/* the write gate, or NULL */
	int		 gated;		/* it is held */
	int64_t		 busy_since;	/* monotonic ms of the first retry */
	struct taskjson_clock clock;	/* dates of the times it writes */
};

/* Maps a failed SQLite call to the client's error. */
static int
db_err(struct store *st, int rc, struct hg_err *e)
{
	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		return hg_err_set(e, 503, "unavailable",
		    "the database is busy; try again");
	if (rc == SQLITE_NOMEM)
		return hg_err_set(e, 503, "unavailable", "out of memory");
	return hg_err_set(e, 503, "unavailable", "database error: %s",
	    sqlite3_errmsg(st->db));
}

/* Returns the statement, prepared once and reset for use, or NULL. */
static sqlite3_stmt *
stmt(struct store *st, enum stmt which)
{
	sqlite3_stmt	*s = st->stmt[which];

	if (s == NULL) {
		if (sqlite3_prepare_v3(st->db, stmt_sql[which], -1,
		    SQLITE_PREPARE_PERSISTENT, &st->stmt[which], NULL) !=
		    SQLITE_OK)
			return NULL;
		return st->stmt[which];
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return s;
}

/* Steps a statement that returns no row and resets it. Returns 0, or
 * -1 with e set. */
static int
step_done(struct store *st, sqlite3_stmt *s, struct hg_err *e)
{
	int	 rc = sqlite3_step(s);

	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : db_err(st, rc, e);
}

/* Runs a statement that returns no row. */
static int
exec1(struct store *st, enum stmt which, struct hg_err *e)
{
	sqlite3_stmt	*s;

	if ((s = stmt(st, which)) == NULL)
		return db_err(st, sqlite3_errcode(st->db), e);
	return step_done(st, s, e);
}

/* Runs a statement whose one parameter (?1) is an integer. */
static int
exec_id(struct store *st, enum stmt which, int64_t id, struct hg_err *e)
{
	sqlite3_stmt	*s;

	if ((s = stmt(st, which)) == NULL)
		return db_err(st, sqlite3_errcode(st->db), e);
	sqlite3_bind_int64(s, 1, id);
	return step_done(st, s, e);
}

/* Lets the write gate go, if held: the transaction has ended. */
static void
ungate(struct store *st)
{
	if (st->gated) {
		gate_leave(st->gate);
		st->gated = 0;
	}
}

/* A write transaction waits for the gate first (gate.h); past its
 * timeout it goes on without, to SQLite's busy handler. */
static int
begin(struct store *st, int write, struct hg_err *e)
{
	if (write && st->gate != NULL && !st->gated)
		st->gated = gate_enter(st->gate, HG_BUSY_MS) == 0;
	if (exec1(st, write ? S_BEGIN_IMM : S_BEGIN, e) == 0)
		return 0;
	ungate(st);
	return -1;
}

static int
commit(struct store *st, struct hg_err *e)
{
	int	 rc = 0;

	if (exec1(st, S_COMMIT, e) == -1) {
		exec1(st, S_ROLLBACK, NULL);
		rc = -1;
	}
	ungate(st);
	return rc;
}

/* Commits a transaction that made *task; on failure frees it. */
static int
commit_task(struct store *st, cJSON **task, struct hg_err *e)
{
	if (commit(st, e) == 0)
		return 0;
	cJSON_Delete(*task);
	*task = NULL;
	return -1;
}

static void
rollback(struct store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		exec1(st, S_ROLLBACK, NULL);
	ungate(st);
}

static void
bind_text_or_null(sqlite3_stmt *s, int i, const char *t)
{
	if (t == NULL)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_text(s, i, t, -1, SQLITE_TRANSIENT);
}

/* A time column: ms since the epoch, or TASK_TIME_NONE for NULL. */
static int64_t
column_time(sqlite3_stmt *s, int col)
{
	if (sqlite3_column_type(s, col) == SQLITE_NULL)
		return TASK_TIME_NONE;
	return sqlite3_column_int64(s, col);
}

/*
 * Reads a row of TASK_COLS into t, its strings borrowed from s until it
 * is stepped or reset. Returns 0, or -1 when a NOT NULL column reads as
 * NULL, which is SQLite out of memory.
 */
static int
row_read(sqlite3_stmt *s, struct task_row *t)
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
	return t->kind == NULL || t->params == NULL || state == -1 ? -1 : 0;
}

/* Reads task id into *task. 404 when it is not there. */
static int
task_read(struct store *st, int64_t id, cJSON **task, struct hg_err *e)
{
	sqlite3_stmt	*s;
	struct task_row	 t;
	int		 rc;

	if ((s = stmt(st, S_TASK_GET)) == NULL)
		return db_err(st, sqlite3_errcode(st->db), e);
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(s);
		return hg_err_set(e, 404, "not_found", "no task %lld",
		    (long long)id);
	}
	if (rc != SQLITE_ROW) {
		sqlite3_reset(s);
		return db_err(st, rc, e);
	}
	*task = row_read(s, &t) == 0 ? taskjson_tree(&st->clock, &t) : NULL;
	sqlite3_reset(s);
	if (*task == NULL)
		return hg_err_set(e, 503, "unavailable", "out of memory");
	return 0;
}

/* Inside a write transaction: counter name{kind,state} += 1. */
static int
counter_bump(struct store *st, const char *name, const char *kind,
    const char *state, struct hg_err *e)
{
	sqlite3_stmt	*s;

	if ((s = stmt(st, S_COUNTER_BUMP)) == NULL)
		return db_err(st, sqlite3_errcode(st->db), e);
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, kind != NULL ? kind : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 3, state != NULL ? state : "", -1,
	    SQLITE_TRANSIENT);
	return step_done(st, s, e);
}

static int
event_insert(struct store *st, int64_t task, const char *type,
    const char *state, const char *data, struct hg_err *e)
{
	sqlite3_stmt	*s;

	if ((s = stmt(st, S_EVENT_INSERT)) == NULL)
		return db_err(st, sqlite3_errcode(st->db), e);
	sqlite3_bind_int64(s, 1, task);
	sqlite3_bind_text(s, 2, type, -1, SQLITE_STATIC);
	bind_text_or_null(s, 3, state);
	sqlite3_bind_text(s, 4, data, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, hg_now_ms());
	return step_done(st, s, e);
}

/*
 * Inside a write transaction: records a state event holding the task as
 * it now is. Sets *task to that object if task is not NULL.
 */
static int
state_event(struct store *st, int64_t id, cJSON **task, struct hg_err *e)
{
	cJSON		*o = NULL;
	char		*data;
	const cJSON	*state;
	int		 rc;

	if (task_read(st, id, &o, e) == -1)
		return -1;
	state = cJSON_GetObjectItemCaseSensitive(o, "state");
	if ((data = json_print(o)) == NULL) {
		cJSON_Delete(o);
		return hg_err_set(e, 503, "unavailable", "out of memory");
	}
	rc = event_insert(st, id, "state", state->valuestring, data, e);
	free(data);
	if (rc == 0 && task != NULL)
		*task = o;
	else
		cJSON_Delete(o);
	return rc;
}

static int
apply_migrations(struct store *st, char *err, size_t errlen)
{
	sqlite3_stmt	*s;
	struct hg_err	 e;
	int		 version = 0;
	size_t		 i = 0;
	char		 sql[64];

	if (begin(st, 1, &e) == -1)
		goto fail;
	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s,
	    NULL) != SQLITE_OK)
		goto dbfail;
	if (sqlite3_step(s) == SQLITE_ROW)
		version = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	if (version > (int)store_nmigrations) {
		snprintf(err, errlen, "the database has schema version %d, "
		    "newer than this build's %zu", version,
		    store_nmigrations);
		rollback(st);
		return -1;
	}
	for (i = (size_t)version; i < store_nmigrations; i++) {
		if (sqlite3_exec(st->db, store_migrations[i], NULL, NULL,
		    NULL) != SQLITE_OK)
			goto dbfail;
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %zu", i + 1);
		if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
			goto dbfail;
	}
	if (commit(st, &e) == -1)
		goto fail;
	return 0;
dbfail:
	snprintf(err, errlen, "migration %zu: %s", i + 1,
	    sqlite3_errmsg(st->db));
	rollback(st);
	return -1;
fail:
	snprintf(err, errlen, "%s", e.msg);
	return -1;
}

static int
check_version(struct store *st, char *err, size_t errlen)
{
	sqlite3_stmt	*s;
	int		 version = -1;

	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s,
	    NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(st->db));
		return -1;
	}
	if (sqlite3_step(s) == SQLITE_ROW)
		version = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	if (version != (int)store_nmigrations) {
		snprintf(err, errlen, "the database has schema version %d; "
		    "this build needs %zu", version, store_nmigrations);
		return -1;
	}
	return 0;
}

/*
 * Waits for another connection's write lock, for up to HG_BUSY_MS.
 * SQLite's own busy timeout sleeps 1, 2, 5, 10 ... 100 ms between tries,
 * longer each time, while a write here holds the lock for well under a
 * millisecond: with a runner per task and a thread per request taking
 * turns, most of the time would go to sleeping. This tries again after
 * 50 us, backing off to 1 ms.
 */
static int
busy_wait(void *arg, int count)
{
	struct store	*st = arg;
	struct timespec	 ts = { 0, 0 };
	int64_t		 now = hg_mono_ms();

	if (count == 0)
		st->busy_since = now;
	else if (now - st->busy_since >= HG_BUSY_MS)
		return 0;
	ts.tv_nsec = count < 20 ? 50000L : count < 200 ? 250000L : 1000000L;
	nanosleep(&ts, NULL);
	return 1;
}

struct store *
store_open(const char *path, int migrate, char *err, size_t errlen)
{
	static const char pragmas[] =
	    "PRAGMA journal_mode = WAL;"
	    "PRAGMA synchronous = NORMAL;"
	    "PRAGMA foreign_keys = ON;"
	    /* The server checkpoints once a second (store_checkpoint),
	     * off the path of any request or task; a commit does it
	     * itself only past 16 MiB of log, as when no server runs. */
	    "PRAGMA wal_autocheckpoint = 4000;";
	struct store	*st;
	char		 gpath[PATH_MAX];
	int		 rc;

	if ((st = calloc(1, sizeof(*st))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	st->clock = (struct taskjson_clock)TASKJSON_CLOCK_INIT;
	rc = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, st->db != NULL ?
		    sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_busy_handler(st->db, busy_wait, st);
	/* Beside the database, as its -wal and -shm are. */
	if ((size_t)snprintf(gpath, sizeof(gpath), "%s-gate", path) <
	    sizeof(gpath))
		st->gate = gate_open(gpath);
	if (sqlite3_exec(st->db, pragmas, NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(st->db));
		goto fail;
	}
	if ((migrate ? apply_migrations(st, err, errlen) :
	    check_version(st, err, errlen)) == -1)
		goto fail;
	/* Prepared now, not on first use: a ROLLBACK that cannot be
	 * prepared when memory runs out would leave the connection inside
	 * its transaction, holding the write lock. */
	if (stmt(st, S_BEGIN) == NULL || stmt(st, S_BEGIN_IMM) == NULL ||
	    stmt(st, S_COMMIT) == NULL || stmt(st, S_ROLLBACK) == NULL) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(st->db));
		goto fail;
	}
	return st;
fail:
	store_close(st);
	return NULL;
}

void
store_close(struct store *st)
{
	size_t	 i;

	if (st == NULL)
		return;
	for (i = 0; i < S_MAX; i++)
		sqlite3_finalize(st->stmt[i]);
	sqlite3_close(st->db);
	ungate(st);
	gate_close(st->gate);
	free(st);
}

int
store_ping(struct store *st)
{
	int64_t	 id;

	return store_event_last(st, &id);
}

/* Runs a statement that returns one integer into *v (0 if no row). */
static int
query_int(struct store *st, enum stmt which, const char *text, int64_t arg,
    int64_t *v, struct hg_err *e)
{
	sqlite3_stmt	*s;
	int		 rc;

	if ((s = stmt(st, which)) == NULL)
		return db_err(st, sqlite3_errcode(st->db), e);
	if (text != NULL)
		sqlite3_bind_text(s, 1, text, -1, SQLITE_STATIC);
	if (arg != 0)
		sqlite3_bind_int64(s, text != NULL ? 2 : 1, arg);
	*v = 0;
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		*v = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_err(st, rc, e);
	return 0;
}

static int	sched_pick(struct store *, struct sched *, struct hg_err *);

int
store_task_create_opts(struct store *st, const char *kind, const char *name,
    const char *params, const struct create_opts *o, cJSON **task,
    struct hg_err *e)
{
	sqlite3_stmt	*s;
	int64_t		 now = hg_now_ms(), id, n;

	if (o->sched != NULL)
		o->sched->n = 0;
	if (begin(st, 1, e) == -1)
		return -1;
	/* Inside the write transaction: two creates with one key at once
	 * are serialised here, and the second finds the first's task. */
	if (o->idem_key != NULL) {
		if (query_int(st, S_IDEM_GET, o->idem_key, now - STORE_IDEM_MS,
		    &id, e) == -1)
			goto fail;
		if (id > 0) {
			if (task_read(st, id, task, e) == -1)
				goto fail;
			rollback(st);
			return 1;
		}
	}
	if (o->max_queued > 0) {
		if (query_int(st, S_QUEUED_COUNT, NULL, 0, &n, e) == -1)
			goto fail;
		if (n >= o->max_queued) {
			hg_err_set(e, 429, "queue_full", "%lld tasks are "
			    "waiting, the most there may be; try again "
			    "later", (long long)n);
			goto fail;
		}
	}
	if ((s = stmt(st, S_TASK_INSERT)) == NULL) {
		db_err(st, sqlite3_errcode(st->db), e);
		goto fail;
	}
	sqlite3_bind_text(s, 1, kind, -1, SQLITE_STATIC);
	bind_text_or_null(s, 2, name);
	sqlite3_bind_text(s, 3, params, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, now);
	if (o->watch_ms > 0)
		sqlite3_bind_int64(s, 5, o->watch_ms);
	sqlite3_bind_int(s, 6, o->external);
	if (o->external) {
		sqlite3_bind_blob(s, 7, o->report_hash, STORE_HASH_LEN,
		    SQLITE_STATIC);
		sqlite3_bind_int64(s, 8, o->heartbeat_ms);
		sqlite3_bind_int64(s, 9, o->grace_ms);
	}
	if (step_done(st, s, e) == -1)
		goto fail;
	id = sqlite3_last_insert_rowid(st->db);
	if (o->idem_key != NULL) {
		if ((s = stmt(st, S_IDEM_PUT)) == NULL) {
			db_err(st, sqlite3_errcode(st->db), e);
			goto fail;
		}
		sqlite3_bind_text(s, 1, o->idem_key, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, id);
		sqlite3_bind_int64(s, 3, now);
		if (step_done(st, s, e) == -1)
			goto fail;
	}
	if (state_event(st, id, task, e) == -1)
		goto fail;
	/* Saves the server a second write transaction to start it. */
	if (o->sched != NULL && sched_pick(st, o->sched, e) == -1)
		goto fail;
	return commit_task(st, task, e);
fail:
	if (o->sched != NULL)
		o->sched->n = 0;	/* marked launched only if committed */
	rollback(st);
	return -1;
}

int
store_task_create(struct store *st, const char *kind, const char *name,
    const char *params, cJSON **task, struct hg_err *e)
{
	struct create_opts	 o = { .idem_key = NULL };

	return store_task_create_opts(st, kind, name, params, &o, task, e);
}

int
store_task_get(struct store *st, int64_t id, cJSON **task, struct hg_err *e)
{
	return task_read(st, id, task, e);
}

static int
event_last(struct store *st, int64_t *id, struct hg_err *e)
{
	sqlite3_stmt	*s;
	int		 rc;

	if ((s = stmt(st, S_EVENT_LAST)) == NULL)
		return db_err(st, sqlite3_errcode(st->db), e);
	*id = 0;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_err(st, rc, e);
	return 0;
}

int
store_event_last(struct store *st, int64_t *id)
{
	return event_last(st, id, NULL);
}

int
store_task_list(struct store *st, const struct task_filter *f, char **out,
    size_t *len, int64_t *event_id, struct hg_err *e)
{
	struct json_buf	 b = { NULL, 0, 0, 0 };
	struct task_row	 t;
	sqlite3_stmt	*s;
	int64_t		 last;
	int		 rc, n = 0;
	enum stmt	 which;

	which = f->state != 0 ? (f->kind != NULL ? S_LIST_STATE_KIND :
	    S_LIST_STATE) : (f->kind != NULL ? S_LIST_KIND : S_LIST);
	/* One read transaction: the list and event_id are one snapshot. */
	if (begin(st, 0, e) == -1 || event_last(st, &last, e) == -1)
		goto fail;
	if (f->unless > 0 && last == f->unless) {
		if (commit(st, e) == -1)
			goto fail;
		*event_id = last;
		return 1;
	}
	if ((s = stmt(st, which)) == NULL) {
		db_err(st, sqlite3_errcode(st->db), e);
		goto fail;
	}
	bind_text_or_null(s, 1, state_name(f->state));
	bind_text_or_null(s, 2, f->kind);
	sqlite3_bind_int64(s, 3, f->before > 0 ? f->before : HG_ID_MAX);
	sqlite3_bind_int(s, 4, f->limit);
	json_buf_raw(&b, "{\"tasks\":[", 10);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (n++ > 0)
			json_buf_raw(&b, ",", 1);
		if (row_read(s, &t) == -1 ||
		    taskjson_text(&b, &st->clock, &t) == -1) {
			rc = SQLITE_NOMEM;
			break;
		}
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		db_err(st, rc, e);
		goto fail;
	}
	if (commit(st, e) == -1)
		goto fail;
	json_buf_raw(&b, "],\"event_id\":", 13);
	json_buf_int(&b, last);
	json_buf_raw(&b, "}", 1);
	if (b.oom) {
		free(b.p);
		return hg_err_set(e, 503, "unavailable", "out of memory");
	}
	*out = b.p;
	*len = b.len;
	*event_id = last;
	return 0;
fail:
	rollback(st);
	free(b.p);
	return -1;
}

/* Inside a transaction: the task's state and runner. 404 if absent. */
static int
task_state(struct store *st, int64_t id, enum task_state *state,
    struct runner_ref *ref, struct hg_err *e)
{
	sqlite3_stmt	*s;
	int		 rc, v;

	if ((s = stmt(st, S_TASK_STATE)) == NULL)
		return db_err(st, sqlite3_errcode(st->db), e);
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
		return db_err(st, rc, e);
	return 0;
}

static int
set_state(struct store *st, int64_t id, enum task_state state, int finished,
    struct hg_err *e)
{
	sqlite3_stmt	*s;

	if ((s = stmt(st, S_TASK_SET_STATE)) == NULL)
		return db_err(st, sqlite3_errcode(st->db), e);
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_text(s, 2, state_name(state), -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, 1);
	if (finished)
		sqlite3_bind_int64(s, 4, hg_now_ms());
	else
		sqlite3_bind_null(s, 4);
	return step_done(st, s, e);
}

/* Inside the stop's transaction: why and when it was asked. */
static int
stop_why(struct store *st, int64_t id, const char *code, const char *msg,
    struct hg_err *e)
{
	sqlite3_stmt	*s;

	if ((s = stmt(st, S_STOP_WHY)) == NULL)
		return db_err(st, sqlite3_errcode(st->db), e);
	sqlite3_bind_int64(s, 1, id);
	bind_text_or_null(s, 2, code);
	bind_text_or_null(s, 3, msg);
	sqlite3_bind_int64(s, 4, hg_now_ms());
	return step_done(st, s, e);
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

	memset(ref, 0, sizeof(*ref));
	if (begin(st, 1, e) == -1)
		return -1;
	if (task_state(st, id, &state, ref, e) == -1)
		goto fail;
	if (!state_active(state)) {
		hg_err_set(e, 409, "not_active", "task %lld has already "
		    "ended (%s)", (long long)id, state_name(state));
		goto fail;
	}
	if (state == TASK_STOPPING) {
		if (task_read(st, id, task, e) == -1)
			goto fail;
	} else {
		/* A queued task has no runner yet: it ends here, and the
		 * runner that may be starting finds it taken. */
		if (state == TASK_QUEUED)
			ref->pid = 0;
		if (set_state(st, id, state == TASK_QUEUED ? TASK_CANCELED :
		    TASK_STOPPING, state == TASK_QUEUED, e) == -1 ||
		    (state == TASK_QUEUED &&
		    exec_id(st, S_COUNTER_FINISHED, id, e) == -1) ||
		    stop_why(st, id, code, msg, e) == -1 ||
		    state_event(st, id, task, e) == -1)
			goto fail;
	}
	return commit_task(st, task, e);
fail:
	rollback(st);
	return -1;
}

int
store_task_delete(struct store *st, int64_t id, struct hg_err *e)
{
	enum task_state	 state;

	if (begin(st, 1, e) == -1)
		return -1;
	if (task_state(st, id, &state, NULL, e) == -1)
		goto fail;
	if (state_active(state)) {
		hg_err_set(e, 409, "still_active", "task %lld is %s; stop it "
		    "first", (long long)id, state_name(state));
		goto fail;
	}
	if (exec_id(st, S_TASK_DELETE, id, e) == -1)
		goto fail;
	return commit(st, e);
fail:
	rollback(st);
	return -1;
}

int
store_task_claim(struct store *st, int64_t id, int64_t pid, int64_t start,
    char **kind, char **params, struct hg_err *e)
{
	sqlite3_stmt	*s;
	int		 rc, found = 0;

	*kind = *params = NULL;
	if (begin(st, 1, e) == -1)
		return -1;
	if ((s = stmt(st, S_TASK_CLAIM)) == NULL) {
		db_err(st, sqlite3_errcode(st->db), e);
		goto fail;
	}
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, hg_now_ms());
	sqlite3_bind_int64(s, 3, pid);
	sqlite3_bind_int64(s, 4, start);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const char	*k = (const char *)sqlite3_column_text(s, 0);
		const char	*p = (const char *)sqlite3_column_text(s, 1);

		found = 1;
		*kind = k != NULL ? strdup(k) : NULL;
		*params = p != NULL ? strdup(p) : NULL;
		/* RETURNING rows are all computed by the first step; the
		 * next finishes the statement. */
		rc = sqlite3_step(s);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		db_err(st, rc, e);
		goto fail;
	}
	if (!found) {
		rollback(st);
		return 1;
	}
	if (*kind == NULL || *params == NULL) {
		hg_err_set(e, 503, "unavailable", "out of memory");
		goto fail;
	}
	if (counter_bump(st, "started", *kind, NULL, e) == -1 ||
	    state_event(st, id, NULL, e) == -1 || commit(st, e) == -1)
		goto fail;
	return 0;
fail:
	rollback(st);
	free(*kind);
	free(*params);
	*kind = *params = NULL;
	return -1;
}

/* Inside a write transaction: records p and its progress event. */
static int
progress_write(struct store *st, int64_t id, const struct progress *p,
    struct hg_err *e)
{
	sqlite3_stmt	*s;
	char		*data;
	int		 rc;

	if ((s = stmt(st, S_TASK_PROGRESS)) == NULL)
		return db_err(st, sqlite3_errcode(st->db), e);
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_double(s, 2, p->value);
	if (p->total >= 0)
		sqlite3_bind_double(s, 3, p->total);
	else
		sqlite3_bind_null(s, 3);
	bind_text_or_null(s, 4, p->message);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return db_err(st, rc, e);
	if (sqlite3_changes(st->db) == 0)
		return 0;
	if ((data = taskjson_progress(id, p->value, p->total,
	    p->message)) == NULL)
		return hg_err_set(e, 503, "unavailable", "out of memory");
	rc = event_insert(st, id, "progress", NULL, data, e);
	free(data);
	return rc;
}

int
store_task_progress(struct store *st, int64_t id, const struct progress *p,
    struct hg_err *e)
{
	if (begin(st, 1, e) == -1)
		return -1;
	if (progress_write(st, id, p, e) == -1 || commit(st, e) == -1) {
		rollback(st);
		return -1;
	}
	return 0;
}

/*
 * Opens a write transaction on task id if it is still active. Returns 1
 * inside the transaction, 0 when the task has ended (nothing is left
 * open), -1 with e set.
 */
static int
begin_active(struct store *st, int64_t id, enum task_state *state,
    struct hg_err *e)
{
	if (begin(st, 1, e) == -1)
		return -1;
	if (task_state(st, id, state, NULL, e) == -1) {
		rollback(st);
		return -1;
	}
	if (!state_active(*state)) {
		rollback(st);
		return 0;
	}
	return 1;
}

int
store_task_log(struct store *st, int64_t id, const struct logline *v,
    size_t n, struct hg_err *e)
{
	char		*data;
	enum task_state	 state;
	size_t		 i;
	int		 rc = 0;

	if (n == 0 || (rc = begin_active(st, id, &state, e)) < 1)
		return rc;
	rc = 0;
	for (i = 0; i < n && rc == 0; i++) {
		if ((data = taskjson_log(id, v[i].stream, v[i].line)) == NULL)
			goto nomem;
		rc = event_insert(st, id, "log", NULL, data, e);
		free(data);
	}
	if (rc == -1 || commit(st, e) == -1)
		goto fail;
	return 0;
nomem:
	hg_err_set(e, 503, "unavailable", "out of memory");
fail:
	rollback(st);
	return -1;
}

int
store_task_finish(struct store *st, int64_t id, const struct progress *p,
    const struct outcome *o, struct hg_err *e)
{
	sqlite3_stmt	*s;
	enum task_state	 state, final = o->state;
	int		 rc, own;

	/* An ended task is left alone: 1. */
	if ((rc = begin_active(st, id, &state, e)) < 1)
		return rc == 0 ? 1 : -1;
	/* stopping ends canceled, or failed (a timeout); never succeeded;
	 * and canceled whatever the outcome if it says so. */
	if (state == TASK_STOPPING && (o->stop_wins ||
	    final == TASK_SUCCEEDED))
		final = TASK_CANCELED;
	own = final == o->state;
	if (p != NULL && progress_write(st, id, p, e) == -1)
		goto fail;
	if ((s = stmt(st, S_TASK_FINISH)) == NULL) {
		db_err(st, sqlite3_errcode(st->db), e);
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
	bind_text_or_null(s, 5, own ? o->error_code : NULL);
	bind_text_or_null(s, 6, own ? o->error_message : NULL);
	if (step_done(st, s, e) == -1)
		goto fail;
	if (exec_id(st, S_COUNTER_FINISHED, id, e) == -1)
		goto fail;
	if (state_event(st, id, NULL, e) == -1 || commit(st, e) == -1)
		goto fail;
	return 0;
fail:
	rollback(st);
	return -1;
}

int
store_task_stop_requested(struct store *st, int64_t id)
{
	sqlite3_stmt	*s;
	int		 rc, v = 0;

	if ((s = stmt(st, S_TASK_STOPREQ)) == NULL)
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

int
store_events_read(struct store *st, int64_t after, int64_t upto,
    int64_t task, int limit, int (*cb)(void *, const struct event *),
    void *arg)
{
	sqlite3_stmt	*s;
	struct event	 ev;
	const char	*state;
	int		 rc, n = 0, v;

	if ((s = stmt(st, task > 0 ? S_EVENTS_TASK : S_EVENTS_ALL)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, after);
	sqlite3_bind_int64(s, 2, upto > 0 ? upto : HG_ID_MAX);
	if (task > 0)
		sqlite3_bind_int64(s, 3, task);
	sqlite3_bind_int(s, 4, limit);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		ev.id = sqlite3_column_int64(s, 0);
		ev.task = sqlite3_column_int64(s, 1);
		ev.type = (const char *)sqlite3_column_text(s, 2);
		state = (const char *)sqlite3_column_text(s, 3);
		v = state != NULL ? state_parse(state) : 0;
		ev.state = (enum task_state)v;
		ev.data = (const char *)sqlite3_column_text(s, 4);
		ev.len = (size_t)sqlite3_column_bytes(s, 4);
		if (ev.type == NULL || ev.data == NULL || v == -1) {
			rc = SQLITE_NOMEM;
			break;
		}
		n++;
		if (cb(arg, &ev) == -1) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return -1;
	return n;
}

int
store_task_head(struct store *st, int64_t id, cJSON **task, int64_t *newest,
    struct hg_err *e)
{
	sqlite3_stmt	*s;
	int		 rc;

	*task = NULL;
	if (begin(st, 0, e) == -1)
		return -1;
	if (task_read(st, id, task, e) == -1)
		goto fail;
	if ((s = stmt(st, S_TASK_NEWEST)) == NULL) {
		db_err(st, sqlite3_errcode(st->db), e);
		goto fail;
	}
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	*newest = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);
	if (rc != SQLITE_ROW) {
		db_err(st, rc, e);
		goto fail;
	}
	if (commit(st, e) == -1)
		goto fail;
	return 0;
fail:
	rollback(st);
	cJSON_Delete(*task);
	*task = NULL;
	return -1;
}

/* Busy slots per kind, for one scheduling pass. */
struct kind_count {
	char	 kind[65];
	int	 busy;
};

#define SCHED_KINDS	256	/* distinct kinds counted in one pass */
#define SCHED_SCAN	1024	/* queued tasks looked at in one pass */

static struct kind_count *
count_of(struct kind_count *v, int *n, const char *kind)
{
	int	 i;

	for (i = 0; i < *n; i++)
		if (strcmp(v[i].kind, kind) == 0)
			return &v[i];
	if (*n == SCHED_KINDS)
		return NULL;
	snprintf(v[*n].kind, sizeof(v[*n].kind), "%s", kind);
	v[*n].busy = 0;
	return &v[(*n)++];
}

/* Inside a write transaction: fills sc->ids, marks them launched, sets
 * sc->n. Returns 0, or -1 (the caller rolls back). */
static int
sched_pick(struct store *st, struct sched *sc, struct hg_err *e)
{
	static __thread struct kind_count	 counts[SCHED_KINDS];
	struct kind_count	*kc;
	sqlite3_stmt		*s;
	const char		*kind;
	int			 nk = 0, busy = 0, n = 0, rc, lim;
	int64_t			 now = hg_now_ms();

	sc->n = 0;
	if ((s = stmt(st, S_SCHED_BUSY)) == NULL)
		goto dbfail;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		kind = (const char *)sqlite3_column_text(s, 0);
		if (kind != NULL && (kc = count_of(counts, &nk, kind)) != NULL)
			kc->busy = sqlite3_column_int(s, 1);
		busy += sqlite3_column_int(s, 1);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		goto steperr;
	if (busy >= sc->max_running)
		return 0;
	if ((s = stmt(st, S_SCHED_WAITING)) == NULL)
		goto dbfail;
	sqlite3_bind_int(s, 1, SCHED_SCAN);
	while (n < sc->cap && busy < sc->max_running &&
	    (rc = sqlite3_step(s)) == SQLITE_ROW) {
		kind = (const char *)sqlite3_column_text(s, 1);
		if (kind == NULL || (kc = count_of(counts, &nk, kind)) == NULL)
			continue;
		lim = sc->limit != NULL ? sc->limit(sc->arg, kind) : 0;
		if (lim > 0 && kc->busy >= lim)
			continue;	/* a younger task of another kind may go */
		kc->busy++;
		busy++;
		sc->ids[n++] = sqlite3_column_int64(s, 0);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		goto steperr;
	for (int i = 0; i < n; i++) {
		if ((s = stmt(st, S_SCHED_MARK)) == NULL)
			goto dbfail;
		sqlite3_bind_int64(s, 1, sc->ids[i]);
		sqlite3_bind_int64(s, 2, now);
		rc = sqlite3_step(s);
		sqlite3_reset(s);
		if (rc != SQLITE_DONE)
			goto steperr;
	}
	sc->n = n;
	return 0;
dbfail:
	rc = sqlite3_errcode(st->db);
steperr:
	db_err(st, rc, e);
	return -1;
}

int
store_sched_take(struct store *st, struct sched *sc, struct hg_err *e)
{
	int64_t		 any;

	sc->n = 0;
	if (query_int(st, S_ANY_WAITING, NULL, 0, &any, e) == -1)
		return -1;
	if (!any)
		return 0;
	if (begin(st, 1, e) == -1)
		return -1;
	if (sched_pick(st, sc, e) == -1) {
		sc->n = 0;
		rollback(st);
		return -1;
	}
	if (sc->n == 0) {
		rollback(st);
		return 0;
	}
	if (commit(st, e) == -1) {
		sc->n = 0;
		return -1;
	}
	return sc->n;
}

int
store_sched_unlaunch(struct store *st, int64_t before)
{
	int64_t	 any;

	if (query_int(st, S_ANY_UNCLAIMED, NULL, before, &any, NULL) == -1)
		return -1;
	if (!any)
		return 0;
	if (exec_id(st, S_SCHED_UNLAUNCH, before, NULL) == -1)
		return -1;
	return sqlite3_changes(st->db);
}

int
store_active_runners(struct store *st,
    void (*cb)(void *, int64_t, const struct runner_ref *), void *arg)
{
	sqlite3_stmt		*s;
	struct runner_ref	 ref;
	int64_t			 ids[1024];
	struct runner_ref	 refs[1024];
	int			 rc, n = 0, i;

	if ((s = stmt(st, S_ACTIVE_RUNNERS)) == NULL)
		return -1;
	while (n < 1024 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		ids[n] = sqlite3_column_int64(s, 0);
		refs[n].pid = sqlite3_column_int64(s, 1);
		refs[n].start = sqlite3_column_int64(s, 2);
		n++;
	}
	sqlite3_reset(s);
	/* The callback may write: the read statement is done first. */
	for (i = 0; i < n; i++) {
		ref = refs[i];
		cb(arg, ids[i], &ref);
	}
	return n;
}

int
store_count(struct store *st, const char *name, struct hg_err *e)
{
	if (begin(st, 1, e) == -1)
		return -1;
	if (counter_bump(st, name, NULL, NULL, e) == -1 ||
	    commit(st, e) == -1) {
		rollback(st);
		return -1;
	}
	return 0;
}

int
store_metrics(struct store *st,
    void (*cb)(void *, const char *name, const char *kind,
    const char *state, int64_t value), void *arg, struct hg_err *e)
{
	sqlite3_stmt	*s;
	int		 rc;

	if (begin(st, 0, e) == -1)
		return -1;
	if ((s = stmt(st, S_METRIC_TASKS)) == NULL)
		goto dbfail;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		cb(arg, "tasks", (const char *)sqlite3_column_text(s, 0),
		    (const char *)sqlite3_column_text(s, 1),
		    sqlite3_column_int64(s, 2));
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		goto steperr;
	if ((s = stmt(st, S_METRIC_COUNTERS)) == NULL)
		goto dbfail;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		cb(arg, (const char *)sqlite3_column_text(s, 0),
		    (const char *)sqlite3_column_text(s, 1),
		    (const char *)sqlite3_column_text(s, 2),
		    sqlite3_column_int64(s, 3));
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		goto steperr;
	return commit(st, e);
dbfail:
	rc = sqlite3_errcode(st->db);
steperr:
	db_err(st, rc, e);
	rollback(st);
	return -1;
}

/* Ids of up to cap tasks picked by statement which with ?1 = before. */
static int
pick_ids(struct store *st, enum stmt which, int64_t before, int64_t *ids,
    int cap)
{
	sqlite3_stmt	*s;
	int		 n = 0, rc;

	if ((s = stmt(st, which)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, before);
	sqlite3_bind_int(s, 2, cap);
	while (n < cap && (rc = sqlite3_step(s)) == SQLITE_ROW)
		ids[n++] = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return n;
}

int
store_prune(struct store *st, int64_t before, int64_t *ids, int cap,
    struct hg_err *e)
{
	int	 n, i;

	/* Most passes have nothing to prune: look before locking. */
	if ((n = pick_ids(st, S_PRUNE_PICK, before, ids, 1)) <= 0)
		return n == -1 ? db_err(st, sqlite3_errcode(st->db), e) : 0;
	if (begin(st, 1, e) == -1)
		return -1;
	if ((n = pick_ids(st, S_PRUNE_PICK, before, ids, cap)) == -1)
		goto fail;
	for (i = 0; i < n; i++)
		if (exec_id(st, S_TASK_DELETE, ids[i], e) == -1)
			goto fail;
	if (commit(st, e) == -1)
		return -1;
	return n;
fail:
	if (n == -1)
		db_err(st, sqlite3_errcode(st->db), e);
	rollback(st);
	return -1;
}

int
store_thin(struct store *st, int64_t before, int cap, int64_t *upto,
    struct hg_err *e)
{
	int64_t	 ids[64], newest;
	int	 n, i;

	*upto = 0;
	if (cap > 64)
		cap = 64;
	if ((n = pick_ids(st, S_THIN_PICK, before, ids, cap)) == -1)
		return db_err(st, sqlite3_errcode(st->db), e);
	/* A transaction each: thinning never holds the lock for long. */
	for (i = 0; i < n; i++) {
		if (begin(st, 1, e) == -1)
			return -1;
		if (exec_id(st, S_THIN, ids[i], e) == -1 ||
		    exec_id(st, S_THIN_MARK, ids[i], e) == -1 ||
		    query_int(st, S_TASK_NEWEST, NULL, ids[i], &newest, e) ==
		    -1 || commit(st, e) == -1) {
			rollback(st);
			return -1;
		}
		if (newest > *upto)
			*upto = newest;
	}
	return n;
}

int
store_idem_prune(struct store *st, int64_t before)
{
	int64_t	 any;

	if (query_int(st, S_ANY_IDEM_OLD, NULL, before, &any, NULL) == -1)
		return -1;
	return any ? exec_id(st, S_IDEM_PRUNE, before, NULL) : 0;
}

int
store_tended(struct store *st, int64_t after, struct tended *v, int cap)
{
	sqlite3_stmt	*s;
	int		 rc, n = 0, state;

	if ((s = stmt(st, S_TENDED)) == NULL)
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

int
store_watched(struct store *st, const int64_t *ids, const int64_t *at, int n,
    struct hg_err *e)
{
	sqlite3_stmt	*s;
	int		 i;

	if (n == 0)
		return 0;
	if (begin(st, 1, e) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if ((s = stmt(st, S_WATCHED)) == NULL) {
			db_err(st, sqlite3_errcode(st->db), e);
			goto fail;
		}
		sqlite3_bind_int64(s, 1, ids[i]);
		sqlite3_bind_int64(s, 2, at[i]);
		if (step_done(st, s, e) == -1)
			goto fail;
	}
	return commit(st, e);
fail:
	rollback(st);
	return -1;
}

int
store_report(struct store *st, int64_t id, const unsigned char *hash,
    int record, char *kind, size_t kindlen, int *stop, struct hg_err *e)
{
	sqlite3_stmt	*s;
	enum task_state	 state = 0;
	int		 rc, match = 0, v = 0;
	int64_t		 now = hg_now_ms();

	*stop = 0;
	if (begin(st, record, e) == -1)
		return -1;
	if ((s = stmt(st, S_REPORT_GET)) == NULL)
		goto dbfail;
	sqlite3_bind_int64(s, 1, id);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		v = state_parse((const char *)sqlite3_column_text(s, 0));
		state = (enum task_state)v;
		snprintf(kind, kindlen, "%s", sqlite3_column_text(s, 2));
		match = sqlite3_column_bytes(s, 1) == STORE_HASH_LEN &&
		    hg_ct_equal(sqlite3_column_blob(s, 1), hash,
		    STORE_HASH_LEN);
	}
	sqlite3_reset(s);
	if (v == -1)
		rc = SQLITE_NOMEM;	/* NOT NULL, CHECKed: no memory */
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		goto steperr;
	/* No such task, not an external one, or another's token: all
	 * look the same to the caller. */
	if (!match) {
		hg_err_set(e, 401, "unauthorized", "this report needs the "
		    "token that created task %lld: Authorization: Bearer "
		    "<token>", (long long)id);
		goto fail;
	}
	if (!state_active(state)) {
		hg_err_set(e, 409, "not_active", "task %lld has already "
		    "ended (%s)", (long long)id, state_name(state));
		goto fail;
	}
	*stop = state == TASK_STOPPING;
	if (!record) {
		rollback(st);
		return 0;
	}
	if (state == TASK_QUEUED) {
		if ((s = stmt(st, S_REPORT_START)) == NULL)
			goto dbfail;
		sqlite3_bind_int64(s, 1, id);
		sqlite3_bind_int64(s, 2, now);
		rc = sqlite3_step(s);
		sqlite3_reset(s);
		if (rc != SQLITE_DONE)
			goto steperr;
		if (counter_bump(st, "started", kind, NULL, e) == -1 ||
		    state_event(st, id, NULL, e) == -1)
			goto fail;
	}
	if ((s = stmt(st, S_REPORT_BEAT)) == NULL)
		goto dbfail;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, now);
	if (step_done(st, s, e) == -1)
		goto fail;
	return commit(st, e);
dbfail:
	rc = sqlite3_errcode(st->db);
steperr:
	db_err(st, rc, e);
fail:
	rollback(st);
	return -1;
}

int
store_checkpoint(struct store *st)
{
	return sqlite3_wal_checkpoint_v2(st->db, NULL,
	    SQLITE_CHECKPOINT_PASSIVE, NULL, NULL) == SQLITE_OK ? 0 : -1;
}
