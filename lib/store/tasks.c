/*
 * Tasks made and read: create (with its idempotency key and the queue's
 * pick in the same transaction), get, and the list page.
 */
#include <stdlib.h>

#include "store_int.h"

static const struct store_sql q_idem_get = { S_IDEM_GET,
    "SELECT task_id FROM idempotency WHERE key = ?1 AND "
    "created_at > ?2" };

/* A retrying task waits too: it is queued again at its retry_at. Read
 * from the counts the triggers keep (sql/018), a row per kind and state:
 * counting the waiting tasks themselves read the whole queue on every
 * create, and a create's cost grew with the queue. */
static const struct store_sql q_queued_count = { S_QUEUED_COUNT,
    "SELECT coalesce(sum(n), 0) FROM task_counts WHERE state IN "
    "('queued', 'retrying')" };

static const struct store_sql q_task_insert = { S_TASK_INSERT,
    "INSERT INTO tasks (kind, name, params, state, "
    "created_at, watch_ms, watched_at, external, report_hash, "
    "heartbeat_ms, grace_ms, rerun_of, attempts, retry_on, "
    "retry_delay_ms, retry_delay_max_ms, schedule) VALUES (?1, ?2, ?3, "
    "'queued', ?4, ?5, ?4, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)" };

static const struct store_sql q_idem_put = { S_IDEM_PUT,
    "INSERT OR REPLACE INTO idempotency (key, task_id, "
    "created_at) VALUES (?1, ?2, ?3)" };

/* Inside a transaction: the task that key named in the 24 hours before
 * now. Returns 1 with *task set, 0 if none, -1 with e set. */
static int
idem_find(struct store *st, const char *key, int64_t now, cJSON **task,
    struct hg_err *e)
{
	int64_t	 id;

	if (store__query_int(st, &q_idem_get, key, now - STORE_IDEM_MS, &id,
	    e) == -1)
		return -1;
	if (id <= 0)
		return 0;
	return store__task_read(st, id, task, e) == -1 ? -1 : 1;
}

/* Inside the create's transaction: inserts the task; sets *id. */
static int
task_insert(struct store *st, const char *kind, const char *name,
    const char *params, const struct create_opts *o, int64_t now,
    int64_t *id, struct hg_err *e)
{
	sqlite3_stmt	*s;

	if ((s = store__stmt(st, &q_task_insert)) == NULL)
		return store__err(st, sqlite3_errcode(st->db), e);
	sqlite3_bind_text(s, 1, kind, -1, SQLITE_STATIC);
	store__bind_text(s, 2, name);
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
	if (o->rerun_of > 0)
		sqlite3_bind_int64(s, 10, o->rerun_of);
	sqlite3_bind_int(s, 11, o->attempts > 1 ? o->attempts : 1);
	if (o->attempts > 1) {
		store__bind_text(s, 12, o->retry_on);
		sqlite3_bind_int64(s, 13, o->retry_delay_ms);
		sqlite3_bind_int64(s, 14, o->retry_delay_max_ms);
	}
	if (o->schedule > 0)
		sqlite3_bind_int64(s, 15, o->schedule);
	if (store__step_done(st, s, e) == -1)
		return -1;
	*id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

/* Inside the create's transaction: key names task id from now on. */
static int
idem_put(struct store *st, const char *key, int64_t id, int64_t now,
    struct hg_err *e)
{
	sqlite3_stmt	*s;

	if ((s = store__stmt(st, &q_idem_put)) == NULL)
		return store__err(st, sqlite3_errcode(st->db), e);
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, id);
	sqlite3_bind_int64(s, 3, now);
	return store__step_done(st, s, e);
}

static int
queue_full(int64_t n, struct hg_err *e)
{
	return hg_err_set(e, 429, "queue_full", "%lld tasks are waiting, "
	    "the most there may be; try again later", (long long)n);
}

/*
 * Inside a write transaction: the create, as store_task_create_opts()
 * describes, with o->sched->n 0 unless it returns 0. Returns 0, 1 with
 * *task the key's task, or -1 (the caller rolls back).
 */
static int
create_in(struct store *st, const char *kind, const char *name,
    const char *params, const struct create_opts *o, cJSON **task,
    struct hg_err *e)
{
	int64_t		 now = hg_now_ms(), id = 0, n;
	int		 rc, full = 0, ended = 0;

	if (o->sched != NULL)
		o->sched->n = 0;
	/* Inside the write transaction: two creates with one key at once
	 * are serialised here, and the second finds the first's task. */
	if (o->idem_key != NULL && (rc = idem_find(st, o->idem_key, now,
	    task, e)) != 0)
		return rc;
	if (o->max_queued > 0) {
		if (store__query_int(st, &q_queued_count, NULL, 0, &n, e) == -1)
			return -1;
		full = n >= o->max_queued;
	}
	/* A task whose parent has failed ends at once, and never waits in
	 * the queue: only its after tells. */
	if (full && o->nafter == 0)
		return queue_full(n, e);
	if (task_insert(st, kind, name, params, o, now, &id, e) == -1 ||
	    (o->nafter > 0 && (ended = store__after_create(st, id, o->after,
	    o->nafter, e)) == -1))
		goto fail;
	if (full && !ended) {
		queue_full(n, e);
		goto fail;
	}
	if ((o->idem_key != NULL && idem_put(st, o->idem_key, id, now,
	    e) == -1) || (o->schedule > 0 && store__schedule_made(st, id, o,
	    e) == -1) || store__state_event(st, id, task, e) == -1)
		goto fail;
	/* Saves the server a second write transaction to start it. */
	if (o->sched != NULL && store__sched_pick(st, o->sched, e) == -1)
		goto fail;
	return 0;
fail:
	if (o->sched != NULL)
		o->sched->n = 0;	/* marked launched only if committed */
	cJSON_Delete(*task);
	*task = NULL;
	return -1;
}

int
store_task_create_opts(struct store *st, const char *kind, const char *name,
    const char *params, const struct create_opts *o, cJSON **task,
    struct hg_err *e)
{
	int	 rc;

	if (o->sched != NULL)
		o->sched->n = 0;
	if (store__begin(st, 1, e) == -1)
		return -1;
	if ((rc = create_in(st, kind, name, params, o, task, e)) != 0) {
		/* A key's task is read, and nothing written. */
		store__rollback(st);
		return rc;
	}
	if (store__commit_task(st, task, e) == 0)
		return 0;
	if (o->sched != NULL)
		o->sched->n = 0;
	return -1;
}

/* Every item of v failed with e: frees what they made. */
static void
many_fail(struct create_item **v, size_t n, const struct hg_err *e)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (v[i]->opts->sched != NULL)
			v[i]->opts->sched->n = 0;
		cJSON_Delete(v[i]->task);
		v[i]->task = NULL;
		v[i]->rc = -1;
		v[i]->e = *e;
	}
}

int
store_task_create_many(struct store *st, struct create_item **v, size_t n)
{
	struct hg_err	 e;
	size_t		 i;

	for (i = 0; i < n; i++) {
		v[i]->task = NULL;
		v[i]->rc = -1;
	}
	if (store__begin(st, 1, &e) == -1)
		goto fail;
	for (i = 0; i < n; i++) {
		if (store__savepoint(st, &e) == -1)
			goto fail;
		v[i]->rc = create_in(st, v[i]->kind, v[i]->name,
		    v[i]->params, v[i]->opts, &v[i]->task, &v[i]->e);
		/* An error that made SQLite undo the whole transaction (out
		 * of memory, a full disk) is every create's. */
		if (v[i]->rc == -1 && sqlite3_get_autocommit(st->db)) {
			e = v[i]->e;
			goto fail;
		}
		if (store__release(st, v[i]->rc != -1, &e) == -1)
			goto fail;
	}
	if (store__commit(st, &e) == 0)
		return 0;
	many_fail(v, n, &e);
	return -1;
fail:
	store__rollback(st);
	many_fail(v, n, &e);
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
store_idem_task(struct store *st, const char *key, cJSON **task,
    struct hg_err *e)
{
	int	 rc;

	*task = NULL;
	if (store__begin(st, 0, e) == -1)
		return -1;
	if ((rc = idem_find(st, key, hg_now_ms(), task, e)) == -1) {
		store__rollback(st);
		return -1;
	}
	return store__commit_task(st, task, e) == -1 ? -1 : rc;
}

int
store_task_get(struct store *st, int64_t id, cJSON **task, struct hg_err *e)
{
	return store__task_read(st, id, task, e);
}

/* One statement per filter, so that each can use its index. The state
 * is +?1, not ?1: the planner would look at the value bound to tell
 * whether a partial index on a state fits, and SQLite would compile the
 * statement again whenever a list asked for another state. Each comes
 * twice: reading the tasks, and reading only their ids, for a page
 * whose tasks' objects are kept (objcache.h). */
#define LIST_ALL	" FROM tasks WHERE id < ?3 ORDER BY id DESC LIMIT ?4"
#define LIST_STATE	" FROM tasks WHERE state = +?1 AND id < ?3 " \
	"ORDER BY id DESC LIMIT ?4"
#define LIST_KIND	" FROM tasks WHERE kind = ?2 AND id < ?3 " \
	"ORDER BY id DESC LIMIT ?4"
/* With both filters, the index of the fewer tasks, as the kept counts
 * tell: the planner, without statistics, took the kind's and read the
 * kind's tasks for a state few of them are in (38 ms for a page of the
 * 50 running among 120,050 tasks of their kind; 0.2 ms by state). */
#define LIST_STATE_KIND(index) " FROM tasks INDEXED BY " index " WHERE " \
	"state = ?1 AND kind = ?2 AND id < ?3 ORDER BY id DESC LIMIT ?4"

static const struct store_sql q_list[2][5] = { {
	{ S_LIST, "SELECT " TASK_COLS LIST_ALL },
	{ S_LIST_STATE, "SELECT " TASK_COLS LIST_STATE },
	{ S_LIST_KIND, "SELECT " TASK_COLS LIST_KIND },
	{ S_LIST_STATE_KIND, "SELECT " TASK_COLS
	    LIST_STATE_KIND("tasks_kind") },
	{ S_LIST_STATE_KIND_BY_STATE, "SELECT " TASK_COLS
	    LIST_STATE_KIND("tasks_state") },
}, {
	{ S_LIST_IDS, "SELECT id" LIST_ALL },
	{ S_LIST_IDS_STATE, "SELECT id" LIST_STATE },
	{ S_LIST_IDS_KIND, "SELECT id" LIST_KIND },
	{ S_LIST_IDS_STATE_KIND, "SELECT id" LIST_STATE_KIND("tasks_kind") },
	{ S_LIST_IDS_STATE_KIND_BY_STATE, "SELECT id"
	    LIST_STATE_KIND("tasks_state") },
} };
enum { L_ALL, L_STATE, L_KIND, L_STATE_KIND, L_STATE_KIND_BY_STATE };

static const struct store_sql q_list_counts = { S_LIST_COUNTS,
    "SELECT coalesce(sum(n) FILTER (WHERE state = ?1), 0) < "
    "coalesce(sum(n) FILTER (WHERE kind = ?2), 0) FROM task_counts" };

/* Inside a read transaction: whether f's state holds fewer tasks than
 * its kind. Returns 1, 0, or -1. */
static int
fewer_in_state(struct store *st, const struct task_filter *f,
    struct hg_err *e)
{
	sqlite3_stmt	*s;
	int		 rc, fewer = 0;

	if ((s = store__stmt(st, &q_list_counts)) == NULL)
		return store__err(st, sqlite3_errcode(st->db), e);
	sqlite3_bind_text(s, 1, state_name(f->state), -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, f->kind, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		fewer = sqlite3_column_int(s, 0);
		rc = SQLITE_DONE;
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? fewer : store__err(st, rc, e);
}

static const struct store_sql q_events_tasks = { S_EVENTS_TASKS,
    "SELECT task_id FROM events WHERE id > ?1 AND id <= ?2" };

/* Inside a list's read transaction, whose snapshot's newest event is
 * snap: drops the kept objects of the tasks of the events st->objs has
 * not seen. */
static int
objs_catch_up(struct store *st, int64_t snap, struct hg_err *e)
{
	int64_t		 seen = objcache_seen(st->objs), ids[HG_OBJCACHE_SCAN];
	sqlite3_stmt	*s;
	size_t		 n = 0;
	int		 rc;

	if (seen >= snap)
		return 0;
	if (snap - seen > HG_OBJCACHE_SCAN) {
		objcache_saw(st->objs, NULL, 0, snap);
		return 0;
	}
	if ((s = store__stmt(st, &q_events_tasks)) == NULL)
		return store__err(st, sqlite3_errcode(st->db), e);
	sqlite3_bind_int64(s, 1, seen);
	sqlite3_bind_int64(s, 2, snap);
	/* Event ids are never used twice (AUTOINCREMENT): no more rows
	 * than snap - seen; were there, all would be dropped. */
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && n < HG_OBJCACHE_SCAN)
		ids[n++] = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return store__err(st, rc, e);
	objcache_saw(st->objs, rc == SQLITE_DONE ? ids : NULL, n, snap);
	return 0;
}

static void
list_bind(sqlite3_stmt *s, const struct task_filter *f)
{
	store__bind_text(s, 1, state_name(f->state));
	store__bind_text(s, 2, f->kind);
	sqlite3_bind_int64(s, 3, f->before > 0 ? f->before : HG_ID_MAX);
	sqlite3_bind_int(s, 4, f->limit);
}

/*
 * A page's tasks, for the objects kept (objcache.h): their ids, and
 * where each one's text is.
 *
 * A queued task's object is never kept. The changes of a queued Slurm
 * task as a runner takes it (its next attempt's number and progress),
 * gives it back (store_slurm_unclaim) or its launch marks it (its last
 * job's no longer shown) write no event: its state does not change.
 */
#define KEEPS(state)	((state) != TASK_QUEUED)
/* About what a task's object takes in a page (360 bytes for a builtin
 * task with a result). */
#define PAGE_OBJ_GUESS	512
struct page {
	int64_t			 *ids;
	size_t			 *at, *len;
	struct objcache_text	**got;
	size_t			  n, max;
};

static int
page_alloc(struct page *pg, int limit, struct hg_err *e)
{
	pg->n = 0;
	pg->max = (size_t)limit;
	if ((pg->ids = malloc(pg->max * (sizeof(*pg->ids) +
	    sizeof(*pg->at) + sizeof(*pg->len) + sizeof(*pg->got)))) ==
	    NULL)
		return hg_err_set(e, 503, "unavailable", "out of memory");
	pg->at = (size_t *)(pg->ids + pg->max);
	pg->len = pg->at + pg->max;
	pg->got = (struct objcache_text **)(pg->len + pg->max);
	return 0;
}

/* Inside the read transaction at snap: the page's tasks read from
 * their rows into b, comma-separated; with pg (st->objs set), each
 * kept. */
static int
list_read(struct store *st, const struct store_sql *q,
    const struct task_filter *f, int64_t snap, struct page *pg,
    struct json_buf *b, struct hg_err *e)
{
	struct task_row	 t;
	sqlite3_stmt	*s;
	size_t		 start;
	int		 rc, n = 0;

	if ((s = store__stmt(st, q)) == NULL)
		return store__err(st, sqlite3_errcode(st->db), e);
	list_bind(s, f);
	if (pg != NULL)
		pg->n = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (n++ > 0)
			json_buf_raw(b, ",", 1);
		start = b->len;
		if (store__row_read(s, &t) == -1 ||
		    taskjson_text(b, &st->clock, &t) == -1) {
			rc = SQLITE_NOMEM;
			break;
		}
		if (pg != NULL && pg->n < pg->max && KEEPS(t.state)) {
			pg->ids[pg->n] = t.id;
			pg->at[pg->n] = start;
			pg->len[pg->n++] = b->len - start;
		}
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return store__err(st, rc, e);
	if (pg != NULL && !b->oom)
		objcache_put(st->objs, pg->ids, pg->n, snap, b->p, pg->at,
		    pg->len);
	return 0;
}

/*
 * Inside the read transaction at snap: the page into b from the objects
 * st->objs keeps, and the tasks it does not keep read one by one (and
 * kept). Returns 1; 0, having written nothing, when
 * more than a quarter are not kept, for list_read() to read the page
 * in one pass; or -1.
 */
static int
list_kept(struct store *st, const struct store_sql *q,
    const struct task_filter *f, int64_t snap, struct page *pg,
    struct json_buf *b, struct hg_err *e)
{
	enum task_state	 state;
	sqlite3_stmt	*s;
	const char	*text;
	size_t		 found, i, m, start, len;
	int		 rc;

	if ((s = store__stmt(st, q)) == NULL)
		return store__err(st, sqlite3_errcode(st->db), e);
	list_bind(s, f);
	pg->n = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && pg->n < pg->max)
		pg->ids[pg->n++] = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return store__err(st, rc, e);
	/* References: the texts are copied into the page without the
	 * cache's lock, once. */
	found = objcache_take(st->objs, pg->ids, pg->n, snap, pg->got);
	rc = 0;
	if (pg->n - found > pg->n / 4)
		goto out;
	/* The tasks read now move to the front of pg, to be kept: m <= i,
	 * so no entry is written before it is used. */
	for (i = m = 0; i < pg->n; i++) {
		if (i > 0)
			json_buf_raw(b, ",", 1);
		if (pg->got[i] != NULL) {
			text = objcache_text(pg->got[i], &len);
			json_buf_raw(b, text, len);
			continue;
		}
		start = b->len;
		if ((rc = store__task_text(st, pg->ids[i], b, &state, e)) ==
		    -1)
			goto out;
		if (!KEEPS(state))
			continue;
		pg->ids[m] = pg->ids[i];
		pg->at[m] = start;
		pg->len[m++] = b->len - start;
	}
	if (!b->oom)
		objcache_put(st->objs, pg->ids, m, snap, b->p, pg->at,
		    pg->len);
	rc = 1;
out:
	for (i = 0; i < pg->n; i++)
		objcache_release(pg->got[i]);
	return rc;
}

int
store_task_list(struct store *st, const struct task_filter *f, char **out,
    size_t *len, int64_t *event_id, struct hg_err *e)
{
	struct json_buf	 b = { NULL, 0, 0, 0 };
	struct page	 pg = { NULL, NULL, NULL, NULL, 0, 0 }, *kept = NULL;
	int64_t		 last;
	int		 rc, which;

	which = f->state != 0 ? (f->kind != NULL ? L_STATE_KIND : L_STATE) :
	    (f->kind != NULL ? L_KIND : L_ALL);
	/* One read transaction: the list and event_id are one snapshot. */
	if (store__begin(st, 0, e) == -1 ||
	    store__event_last(st, &last, e) == -1)
		goto fail;
	if (f->unless > 0 && last == f->unless) {
		if (store__commit(st, e) == -1)
			goto fail;
		*event_id = last;
		return 1;
	}
	if (st->objs != NULL) {
		if (page_alloc(&pg, f->limit, e) == -1)
			goto fail;
		kept = &pg;
	}
	if (f->state != 0 && f->kind != NULL) {
		if ((rc = fewer_in_state(st, f, e)) == -1)
			goto fail;
		if (rc)
			which = L_STATE_KIND_BY_STATE;
	}
	/* Room for a page of tasks of the usual size in one allocation
	 * (a large page, which may hold few, grows as it fills). */
	json_buf_reserve(&b, (size_t)(f->limit < 100 ? f->limit : 100) *
	    PAGE_OBJ_GUESS + 64);
	json_buf_raw(&b, "{\"tasks\":[", 10);
	rc = 0;
	/* With nothing kept, the ids need not be read first. */
	if (kept != NULL && (objs_catch_up(st, last, e) == -1 ||
	    (!objcache_empty(st->objs) && (rc = list_kept(st,
	    &q_list[1][which], f, last, kept, &b, e)) == -1)))
		goto fail;
	if (rc == 0 && list_read(st, &q_list[0][which], f, last, kept, &b,
	    e) == -1)
		goto fail;
	if (store__commit(st, e) == -1)
		goto fail;
	free(pg.ids);
	json_buf_raw(&b, "],\"event_id\":", 13);
	json_buf_int(&b, last);
	json_buf_raw(&b, "}", 1);
	if (store__buf_take(&b, out, len, e) == -1)
		return -1;
	*event_id = last;
	return 0;
fail:
	store__rollback(st);
	free(pg.ids);
	free(b.p);
	return -1;
}
