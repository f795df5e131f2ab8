/*
 * Webhook deliveries (SPEC "Notifications"): written by after.c in the
 * transaction that ends a task, with their whole payload, and read,
 * updated and pruned by the server's sender and janitor. Whether they
 * are written at all is webhook_config's, which the server sets at each
 * start: runners never read HOURGLASS_WEBHOOK_URL.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "store_int.h"

static const struct store_sql q_hook_on = { S_HOOK_ON,
    "SELECT enabled FROM webhook_config WHERE id = 1" };
static const struct store_sql q_hook_insert = { S_HOOK_INSERT,
    "INSERT INTO webhook_deliveries (id, task, payload, next_attempt_at, "
    "created_at) VALUES (?1, ?2, ?3, ?4, ?5)" };
static const struct store_sql q_hook_ended = { S_HOOK_ENDED,
    "SELECT finished_at FROM tasks WHERE id = ?1" };

/* Writes HOOK_ID_LEN random hex digits and a NUL into id. */
static int
hook_id(char *id, struct hg_err *e)
{
	static const char	 hex[] = "0123456789abcdef";
	unsigned char		 raw[HOOK_ID_LEN / 2];
	size_t			 got = 0, i;
	ssize_t			 n;

	while (got < sizeof(raw)) {
		if ((n = getrandom(raw + got, sizeof(raw) - got, 0)) == -1) {
			if (errno == EINTR)
				continue;
			return hg_err_set(e, 503, "unavailable",
			    "getrandom: %s", strerror(errno));
		}
		got += (size_t)n;
	}
	for (i = 0; i < sizeof(raw); i++) {
		id[2 * i] = hex[raw[i] >> 4];
		id[2 * i + 1] = hex[raw[i] & 15];
	}
	id[HOOK_ID_LEN] = '\0';
	return 0;
}

/* The body as it is sent: {"type","id","created_at","task"}. Returns a
 * malloc'd string (caller frees), or NULL without memory. */
static char *
hook_payload(const char *id, int64_t now, const cJSON *task)
{
	struct json_buf	 b = { NULL, 0, 0, 0 };
	char		 at[32], *t;

	if ((t = json_print(task)) == NULL)
		return NULL;
	hg_iso8601(now, at, sizeof(at));
	json_buf_raw(&b, "{\"type\":\"task.finished\"", 23);
	json_buf_key(&b, "id", 1);
	json_buf_str(&b, id);
	json_buf_key(&b, "created_at", 1);
	json_buf_str(&b, at);
	json_buf_key(&b, "task", 1);
	json_buf_raw(&b, t, strlen(t));
	json_buf_raw(&b, "}", 1);
	free(t);
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

int
store__hook_add(struct store *st, int64_t id, const cJSON *task,
    struct hg_err *e)
{
	sqlite3_stmt	*s;
	cJSON		*own = NULL;
	char		 did[HOOK_ID_LEN + 1], *body = NULL;
	int64_t		 on, ended, now = hg_now_ms();
	int		 rc = -1;

	if (store__query_int(st, &q_hook_on, NULL, 0, &on, e) == -1)
		return -1;
	if (!on)
		return 0;
	/* Made in the end's own transaction: its created_at is the end's
	 * time, not a later reading of the clock. */
	if (store__query_int(st, &q_hook_ended, NULL, id, &ended, e) == -1)
		return -1;
	if (ended <= 0)
		ended = now;
	if (task == NULL) {
		if (store__task_read(st, id, &own, e) == -1)
			return -1;
		task = own;
	}
	if (hook_id(did, e) == -1)
		goto out;
	if ((body = hook_payload(did, ended, task)) == NULL) {
		hg_err_set(e, 503, "unavailable", "out of memory");
		goto out;
	}
	if ((s = store__stmt(st, &q_hook_insert)) == NULL) {
		store__err(st, sqlite3_errcode(st->db), e);
		goto out;
	}
	sqlite3_bind_text(s, 1, did, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, id);
	sqlite3_bind_text(s, 3, body, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, now);
	sqlite3_bind_int64(s, 5, ended);
	rc = store__step_done(st, s, e);
out:
	free(body);
	cJSON_Delete(own);
	return rc;
}

static const struct store_sql q_hook_enable = { S_HOOK_ENABLE,
    "INSERT INTO webhook_config (id, enabled) VALUES (1, ?1) "
    "ON CONFLICT (id) DO UPDATE SET enabled = excluded.enabled" };

int
store_hook_enable(struct store *st, int on, struct hg_err *e)
{
	sqlite3_stmt	*s;

	if (store__begin(st, 1, e) == -1)
		return -1;
	if ((s = store__stmt(st, &q_hook_enable)) == NULL) {
		store__err(st, sqlite3_errcode(st->db), e);
		store__rollback(st);
		return -1;
	}
	sqlite3_bind_int(s, 1, on != 0);
	if (store__step_done(st, s, e) == -1) {
		store__rollback(st);
		return -1;
	}
	return store__commit(st, e);
}

static const struct store_sql q_hook_due = { S_HOOK_DUE,
    "SELECT id, payload, attempts, created_at FROM webhook_deliveries "
    "WHERE state = 'pending' AND next_attempt_at <= ?1 "
    "ORDER BY next_attempt_at, rowid LIMIT ?2" };

void
store_hook_due_free(struct hook_due *v, int n)
{
	int	 i;

	for (i = 0; i < n; i++) {
		free(v[i].payload);
		v[i].payload = NULL;
	}
}

int
store_hook_due(struct store *st, int64_t now, struct hook_due *v, int cap,
    struct hg_err *e)
{
	sqlite3_stmt	*s;
	const char	*id, *p;
	int		 n = 0, rc;

	if ((s = store__stmt(st, &q_hook_due)) == NULL)
		return store__err(st, sqlite3_errcode(st->db), e);
	sqlite3_bind_int64(s, 1, now);
	sqlite3_bind_int(s, 2, cap);
	while (n < cap && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		id = (const char *)sqlite3_column_text(s, 0);
		p = (const char *)sqlite3_column_text(s, 1);
		if (id == NULL || p == NULL || strlen(id) != HOOK_ID_LEN ||
		    (v[n].payload = strdup(p)) == NULL) {
			rc = SQLITE_NOMEM;
			break;
		}
		memcpy(v[n].id, id, HOOK_ID_LEN + 1);
		v[n].len = (size_t)sqlite3_column_bytes(s, 1);
		v[n].attempts = sqlite3_column_int64(s, 2);
		v[n].created_at = sqlite3_column_int64(s, 3);
		n++;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		store_hook_due_free(v, n);
		return store__err(st, rc, e);
	}
	return n;
}

static const struct store_sql q_hook_next = { S_HOOK_NEXT,
    "SELECT min(next_attempt_at) FROM webhook_deliveries "
    "WHERE state = 'pending'" };

int
store_hook_next(struct store *st, int64_t *at, struct hg_err *e)
{
	return store__query_int(st, &q_hook_next, NULL, 0, at, e);
}

static const struct store_sql q_hook_tried = { S_HOOK_TRIED,
    "UPDATE webhook_deliveries SET state = ?2, attempts = attempts + 1, "
    "last_status = ?3, last_error = ?4, next_attempt_at = ?5, "
    "done_at = ?6 WHERE id = ?1 AND state = 'pending'" };

static const char *
hook_state_name(enum hook_state s)
{
	return s == HOOK_DELIVERED ? "delivered" : s == HOOK_FAILED ?
	    "failed" : "pending";
}

int
store_hook_tried(struct store *st, const char *id, const struct hook_try *t,
    struct hg_err *e)
{
	sqlite3_stmt	*s;
	int64_t		 now = hg_now_ms();

	if (store__begin(st, 1, e) == -1)
		return -1;
	if ((s = store__stmt(st, &q_hook_tried)) == NULL) {
		store__err(st, sqlite3_errcode(st->db), e);
		goto fail;
	}
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, hook_state_name(t->state), -1, SQLITE_STATIC);
	if (t->status > 0)
		sqlite3_bind_int(s, 3, t->status);
	else
		sqlite3_bind_null(s, 3);
	store__bind_text(s, 4, t->error);
	if (t->state == HOOK_PENDING)
		sqlite3_bind_int64(s, 5, t->next_at);
	else {
		sqlite3_bind_null(s, 5);
		sqlite3_bind_int64(s, 6, now);
	}
	if (store__step_done(st, s, e) == -1)
		goto fail;
	/* Counted once per attempt, with the attempt, in one transaction. */
	if (sqlite3_changes(st->db) > 0 &&
	    store__counter_bump(st, "webhook", NULL, t->state ==
	    HOOK_PENDING ? "retried" : hook_state_name(t->state), e) == -1)
		goto fail;
	return store__commit(st, e);
fail:
	store__rollback(st);
	return -1;
}

static const struct store_sql q_hook_list = { S_HOOK_LIST,
    "SELECT id, task, state, attempts, last_status, last_error, "
    "next_attempt_at, created_at FROM webhook_deliveries "
    "WHERE ?1 IS NULL OR state = ?1 "
    "ORDER BY created_at DESC, rowid DESC LIMIT ?2" };

/* Appends ms as an ISO time, or null for a NULL column. */
static void
hook_time(struct json_buf *b, sqlite3_stmt *s, int col)
{
	char	 at[32];

	if (sqlite3_column_type(s, col) == SQLITE_NULL) {
		json_buf_raw(b, "null", 4);
		return;
	}
	hg_iso8601(sqlite3_column_int64(s, col), at, sizeof(at));
	json_buf_str(b, at);
}

/* Appends the delivery of s's row as the API shows it. */
static void
hook_row(struct json_buf *b, sqlite3_stmt *s)
{
	json_buf_key(b, "id", 0);
	json_buf_str(b, (const char *)sqlite3_column_text(s, 0));
	json_buf_key(b, "task", 1);
	json_buf_int(b, sqlite3_column_int64(s, 1));
	json_buf_key(b, "state", 1);
	json_buf_str(b, (const char *)sqlite3_column_text(s, 2));
	json_buf_key(b, "attempts", 1);
	json_buf_int(b, sqlite3_column_int64(s, 3));
	json_buf_key(b, "last_status", 1);
	if (sqlite3_column_type(s, 4) == SQLITE_NULL)
		json_buf_raw(b, "null", 4);
	else
		json_buf_int(b, sqlite3_column_int64(s, 4));
	json_buf_key(b, "last_error", 1);
	json_buf_str(b, (const char *)sqlite3_column_text(s, 5));
	json_buf_key(b, "next_attempt_at", 1);
	hook_time(b, s, 6);
	json_buf_key(b, "created_at", 1);
	hook_time(b, s, 7);
}

int
store_hook_list(struct store *st, enum hook_state state, int limit,
    char **out, size_t *len, struct hg_err *e)
{
	struct json_buf	 b = { NULL, 0, 0, 0 };
	sqlite3_stmt	*s;
	int		 rc, n = 0;

	if ((s = store__stmt(st, &q_hook_list)) == NULL)
		return store__err(st, sqlite3_errcode(st->db), e);
	if (state != 0)
		sqlite3_bind_text(s, 1, hook_state_name(state), -1,
		    SQLITE_STATIC);
	sqlite3_bind_int(s, 2, limit);
	json_buf_raw(&b, "{\"deliveries\":[", 15);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (n++ > 0)
			json_buf_raw(&b, ",", 1);
		json_buf_raw(&b, "{", 1);
		hook_row(&b, s);
		json_buf_raw(&b, "}", 1);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		free(b.p);
		return store__err(st, rc, e);
	}
	json_buf_raw(&b, "]}", 2);
	return store__buf_take(&b, out, len, e);
}

static const struct store_sql q_any_hook_old = { S_ANY_HOOK_OLD,
    "SELECT EXISTS (SELECT 1 FROM webhook_deliveries WHERE "
    "done_at < ?1)" };
static const struct store_sql q_hook_prune = { S_HOOK_PRUNE,
    "DELETE FROM webhook_deliveries WHERE rowid IN (SELECT rowid FROM "
    "webhook_deliveries WHERE done_at < ?1 LIMIT ?2)" };

int
store_hook_prune(struct store *st, int64_t before, int cap)
{
	sqlite3_stmt	*s;
	int64_t		 any;

	/* Most passes have nothing to prune: look before writing. */
	if (store__query_int(st, &q_any_hook_old, NULL, before, &any,
	    NULL) == -1)
		return -1;
	if (!any)
		return 0;
	if ((s = store__stmt(st, &q_hook_prune)) == NULL)
		return store__err(st, sqlite3_errcode(st->db), NULL);
	sqlite3_bind_int64(s, 1, before);
	sqlite3_bind_int(s, 2, cap);
	if (store__step_done(st, s, NULL) == -1)
		return -1;
	return sqlite3_changes(st->db);
}
