/*
 * Events: written in the transaction of what they record, read by the
 * streams and lists.
 */
#include <stdlib.h>

#include "store_int.h"

static const struct store_sql q_event_insert = { S_EVENT_INSERT,
    "INSERT INTO events (task_id, type, state, data, at) "
    "VALUES (?1, ?2, ?3, ?4, ?5)" };

int
store__event_insert(struct store *st, int64_t task, const char *type,
    const char *state, const char *data, struct hg_err *e)
{
	sqlite3_stmt	*s;

	if ((s = store__stmt(st, &q_event_insert)) == NULL)
		return store__err(st, sqlite3_errcode(st->db), e);
	sqlite3_bind_int64(s, 1, task);
	sqlite3_bind_text(s, 2, type, -1, SQLITE_STATIC);
	store__bind_text(s, 3, state);
	sqlite3_bind_text(s, 4, data, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, hg_now_ms());
	return store__step_done(st, s, e);
}

int
store__state_event(struct store *st, int64_t id, cJSON **task,
    struct hg_err *e)
{
	cJSON		*o = NULL;
	char		*data;
	const cJSON	*state;
	int		 rc;

	if (store__task_read(st, id, &o, e) == -1)
		return -1;
	state = cJSON_GetObjectItemCaseSensitive(o, "state");
	if ((data = json_print(o)) == NULL) {
		cJSON_Delete(o);
		return hg_err_set(e, 503, "unavailable", "out of memory");
	}
	rc = store__event_insert(st, id, "state", state->valuestring, data, e);
	free(data);
	if (rc == 0 && task != NULL)
		*task = o;
	else
		cJSON_Delete(o);
	return rc;
}

static const struct store_sql q_event_last = { S_EVENT_LAST,
    "SELECT seq FROM sqlite_sequence WHERE "
    "name = 'events'" };

int
store__event_last(struct store *st, int64_t *id, struct hg_err *e)
{
	sqlite3_stmt	*s;
	int		 rc;

	if ((s = store__stmt(st, &q_event_last)) == NULL)
		return store__err(st, sqlite3_errcode(st->db), e);
	*id = 0;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store__err(st, rc, e);
	return 0;
}

int
store_event_last(struct store *st, int64_t *id)
{
	return store__event_last(st, id, NULL);
}

/* The newest event's id is what every server thread reads first. */
int
store_ping(struct store *st)
{
	int64_t	 id;

	return store_event_last(st, &id);
}

static const struct store_sql q_events_task = { S_EVENTS_TASK,
    "SELECT id, task_id, type, state, data FROM events "
    "WHERE task_id = ?3 AND id > ?1 AND id <= ?2 ORDER BY id "
    "LIMIT ?4" };

static const struct store_sql q_events_all = { S_EVENTS_ALL,
    "SELECT id, task_id, type, state, data FROM events "
    "WHERE id > ?1 AND id <= ?2 ORDER BY id LIMIT ?4" };

int
store_events_read(struct store *st, int64_t after, int64_t upto,
    int64_t task, int limit, int (*cb)(void *, const struct event *),
    void *arg)
{
	sqlite3_stmt	*s;
	struct event	 ev;
	const char	*state;
	int		 rc, n = 0, v;

	if ((s = store__stmt(st, task > 0 ? &q_events_task : &q_events_all)) ==
	    NULL)
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
		/* A state this build does not know is no state: the
		 * event still goes out, and the feed moves past it. */
		v = state != NULL ? state_parse(state) : 0;
		ev.state = v > 0 ? (enum task_state)v : 0;
		ev.data = (const char *)sqlite3_column_text(s, 4);
		ev.len = (size_t)sqlite3_column_bytes(s, 4);
		if (ev.type == NULL || ev.data == NULL) {
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

static const struct store_sql q_task_newest = { S_TASK_NEWEST,
    "SELECT max(id) FROM events WHERE task_id = ?1" };

int
store__task_newest(struct store *st, int64_t task, int64_t *id,
    struct hg_err *e)
{
	return store__query_int(st, &q_task_newest, NULL, task, id, e);
}

int
store_task_head(struct store *st, int64_t id, cJSON **task, int64_t *newest,
    struct hg_err *e)
{
	*task = NULL;
	if (store__begin(st, 0, e) == -1)
		return -1;
	if (store__task_read(st, id, task, e) == -1 ||
	    store__task_newest(st, id, newest, e) == -1)
		goto fail;
	if (store__commit(st, e) == -1)
		goto fail;
	return 0;
fail:
	store__rollback(st);
	cJSON_Delete(*task);
	*task = NULL;
	return -1;
}
