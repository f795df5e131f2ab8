/*
 * What a task sends as it runs: log lines, data items and its result,
 * written together in one transaction per batch, in the order they came
 * (a runner's outbox, a report); and the items read back a page at a
 * time.
 */
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

static const struct store_sql q_data_state = { S_DATA_STATE,
    "SELECT data_bytes, data_full FROM tasks WHERE id = ?1" };

static const struct store_sql q_data_insert = { S_DATA_INSERT,
    "INSERT INTO events (task_id, type, name, data, at) "
    "VALUES (?1, 'data', ?2, ?3, ?4)" };

static const struct store_sql q_data_count = { S_DATA_COUNT,
    "UPDATE tasks SET data_count = data_count + ?2, data_bytes = ?3, "
    "data_full = ?4 WHERE id = ?1" };

/* The items' account on the task, read and written in one transaction. */
struct account {
	int64_t		 count;		/* items recorded by this call */
	int64_t		 bytes;		/* of every item of the task */
	int		 full;
	int		 changed;
};

static int
account_read(struct store *st, int64_t id, struct account *a,
    struct hg_err *e)
{
	sqlite3_stmt	*s;
	int		 rc;

	memset(a, 0, sizeof(*a));
	if ((s = store__stmt(st, &q_data_state)) == NULL)
		return store__err(st, sqlite3_errcode(st->db), e);
	sqlite3_bind_int64(s, 1, id);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		a->bytes = sqlite3_column_int64(s, 0);
		a->full = sqlite3_column_int(s, 1) != 0;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store__err(st, rc, e);
	return 0;
}

static int
account_write(struct store *st, int64_t id, const struct account *a,
    struct hg_err *e)
{
	sqlite3_stmt	*s;

	if (!a->changed)
		return 0;
	if ((s = store__stmt(st, &q_data_count)) == NULL)
		return store__err(st, sqlite3_errcode(st->db), e);
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, a->count);
	sqlite3_bind_int64(s, 3, a->bytes);
	sqlite3_bind_int(s, 4, a->full);
	return store__step_done(st, s, e);
}

/* Inside the write transaction: item v as a data event, if it fits
 * under the cap; b is scratch. */
static int
data_put(struct store *st, int64_t id, const struct logline *v,
    struct task_output *o, struct account *a, struct json_buf *b,
    struct hg_err *e)
{
	sqlite3_stmt	*s;

	if (a->full)
		return 0;
	if (a->bytes + (long long)v->len > o->data_max) {
		a->full = a->changed = 1;
		o->data_full = 1;
		return 0;
	}
	b->len = 0;
	taskjson_data(b, id, v->name, v->line, v->len);
	if (b->oom)
		return hg_err_set(e, 503, "unavailable", "out of memory");
	if ((s = store__stmt(st, &q_data_insert)) == NULL)
		return store__err(st, sqlite3_errcode(st->db), e);
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_text(s, 2, v->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, b->p, (int)b->len, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, hg_now_ms());
	if (store__step_done(st, s, e) == -1)
		return -1;
	a->count++;
	a->bytes += (int64_t)v->len;
	a->changed = 1;
	return 0;
}

static const struct store_sql q_result_set = { S_RESULT_SET,
    "UPDATE tasks SET result = ?2 WHERE id = ?1 AND "
    "result IS NOT ?2" };

/* Inside the write transaction: the result, and a state event that
 * shows it (a list answer kept by the server changes only with an
 * event), unless it is the one already there. */
static int
result_put(struct store *st, int64_t id, const char *result,
    struct hg_err *e)
{
	sqlite3_stmt	*s;

	if ((s = store__stmt(st, &q_result_set)) == NULL)
		return store__err(st, sqlite3_errcode(st->db), e);
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_text(s, 2, result, -1, SQLITE_STATIC);
	if (store__step_done(st, s, e) == -1)
		return -1;
	if (sqlite3_changes(st->db) == 0)
		return 0;
	return store__state_event(st, id, NULL, e);
}

int
store_task_data_used(struct store *st, int64_t id, int64_t *bytes,
    int *full, struct hg_err *e)
{
	struct account	 a;

	if (account_read(st, id, &a, e) == -1)
		return -1;
	*bytes = a.bytes;
	*full = a.full;
	return 0;
}

int
store_task_output(struct store *st, int64_t id, struct task_output *o,
    struct hg_err *e)
{
	struct json_buf	 b = { NULL, 0, 0, 0 };
	struct account	 a;
	enum task_state	 state;
	char		*data;
	size_t		 i;
	int		 rc = 0, running;

	o->data_full = 0;
	o->inactive = 0;
	if (o->n == 0 && o->result == NULL)
		return 0;
	if ((rc = store__begin_active(st, id, &state, e)) < 1) {
		o->inactive = rc == 0;
		return rc;
	}
	/* Items and results only from a task that runs. */
	running = state == TASK_RUNNING || state == TASK_STOPPING;
	if (account_read(st, id, &a, e) == -1)
		goto fail;
	for (i = 0; i < o->n; i++) {
		if (o->v[i].name != NULL) {
			if (running && data_put(st, id, &o->v[i], o, &a, &b,
			    e) == -1)
				goto fail;
			continue;
		}
		if ((data = taskjson_log(id, o->v[i].stream,
		    o->v[i].line)) == NULL) {
			hg_err_set(e, 503, "unavailable", "out of memory");
			goto fail;
		}
		rc = store__event_insert(st, id, "log", NULL, data, e);
		free(data);
		if (rc == -1)
			goto fail;
	}
	/* After this batch's items: those came before the one dropped. */
	if (o->dropped && !a.full)
		a.full = a.changed = 1;
	if (account_write(st, id, &a, e) == -1 ||
	    (running && o->result != NULL && result_put(st, id, o->result,
	    e) == -1) || store__commit(st, e) == -1)
		goto fail;
	free(b.p);
	return 0;
fail:
	store__rollback(st);
	o->data_full = 0;
	free(b.p);
	return -1;
}

int
store_task_log(struct store *st, int64_t id, const struct logline *v,
    size_t n, struct hg_err *e)
{
	struct task_output	 o = { .v = v, .n = n };

	return store_task_output(st, id, &o, e);
}

static const struct store_sql q_data_total = { S_DATA_TOTAL,
    "SELECT data_count FROM tasks WHERE id = ?1" };

static const struct store_sql q_data_page = { S_DATA_PAGE,
    "SELECT id, name, data FROM events WHERE task_id = ?1 AND "
    "type = 'data' AND id > ?2 AND (?3 IS NULL OR name = ?3) "
    "ORDER BY id LIMIT ?4" };

/*
 * Appends the item of event id to b: its value is taken out of the
 * event's data, which taskjson_data() wrote, by its known envelope
 * rather than parsed and printed again. -1 if it is not that envelope.
 */
static int
item_put(struct json_buf *b, int64_t task, int64_t id, const char *name,
    const char *data, size_t len)
{
	struct json_buf	 head = { NULL, 0, 0, 0 };
	size_t		 hl;
	int		 rc = -1;

	/* The envelope with an empty value: its head, then "}". */
	taskjson_data(&head, task, name, "", 0);
	if (head.oom)
		goto out;
	hl = head.len - 1;
	if (len < hl + 1 || memcmp(data, head.p, hl) != 0 ||
	    data[len - 1] != '}')
		goto out;
	taskjson_item(b, id, name, data + hl, len - hl - 1);
	rc = 0;
out:
	free(head.p);
	return rc;
}

/* Inside the read transaction: the items, and how many there are. */
static int
page_read(struct store *st, int64_t id, int64_t after, const char *name,
    int limit, struct json_buf *b, struct hg_err *e)
{
	sqlite3_stmt	*s;
	const char	*n, *d;
	int64_t		 last = 0, count;
	int		 rc, got = 0;

	if (store__query_int(st, &q_data_total, NULL, id, &count, e) == -1)
		return -1;
	if ((s = store__stmt(st, &q_data_page)) == NULL)
		return store__err(st, sqlite3_errcode(st->db), e);
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, after);
	store__bind_text(s, 3, name);
	/* One more than asked: is there a next page? */
	sqlite3_bind_int(s, 4, limit + 1);
	json_buf_raw(b, "{\"items\":[", 10);
	/* A row read past the page's end says there is more. */
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && got < limit &&
	    b->len < HG_DATA_PAGE_BYTES) {
		n = (const char *)sqlite3_column_text(s, 1);
		d = (const char *)sqlite3_column_text(s, 2);
		last = sqlite3_column_int64(s, 0);
		if (n == NULL || d == NULL) {
			rc = SQLITE_NOMEM;
			break;
		}
		if (got++ > 0)
			json_buf_raw(b, ",", 1);
		if (item_put(b, id, last, n, d,
		    (size_t)sqlite3_column_bytes(s, 2)) == -1) {
			sqlite3_reset(s);
			return hg_err_set(e, 503, "unavailable", "data item "
			    "%lld of task %lld does not read back",
			    (long long)last, (long long)id);
		}
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store__err(st, rc, e);
	json_buf_raw(b, "],\"next\":", 9);
	if (rc == SQLITE_ROW)
		json_buf_int(b, last);
	else
		json_buf_raw(b, "null", 4);
	json_buf_raw(b, ",\"count\":", 9);
	json_buf_int(b, count);
	json_buf_raw(b, "}", 1);
	return 0;
}

static const struct store_sql q_data_task = { S_DATA_TASK,
    "SELECT count(*) FROM tasks WHERE id = ?1" };

int
store_task_data(struct store *st, int64_t id, int64_t after,
    const char *name, int limit, char **out, size_t *len, struct hg_err *e)
{
	struct json_buf	 b = { NULL, 0, 0, 0 };
	int64_t		 found;

	if (store__begin(st, 0, e) == -1)
		return -1;
	if (store__query_int(st, &q_data_task, NULL, id, &found, e) == -1)
		goto fail;
	if (found == 0) {
		hg_err_set(e, 404, "not_found", "no task %lld",
		    (long long)id);
		goto fail;
	}
	if (page_read(st, id, after, name, limit, &b, e) == -1 ||
	    store__commit(st, e) == -1)
		goto fail;
	return store__buf_take(&b, out, len, e);
fail:
	store__rollback(st);
	free(b.p);
	return -1;
}
