/*
 * Reports of external tasks, from the holder of the task's token.
 */
#include <stdio.h>

#include "store_int.h"

static const struct store_sql q_report_get = { S_REPORT_GET,
    "SELECT state, report_hash, kind, waiting_for FROM tasks WHERE "
    "id = ?1 AND external = 1" };

static const struct store_sql q_report_start = { S_REPORT_START,
    "UPDATE tasks SET state = 'running', started_at = "
    "?2 WHERE id = ?1 AND state = 'queued'" };

static const struct store_sql q_report_beat = { S_REPORT_BEAT,
    "UPDATE tasks SET reported_at = ?2 WHERE id = ?1" };

int
store_report(struct store *st, int64_t id, const unsigned char *hash,
    int record, char *kind, size_t kindlen, int *stop, struct hg_err *e)
{
	sqlite3_stmt	*s;
	enum task_state	 state = 0;
	char		 waiting[HG_AFTER_MAX * 21 + 3] = "";
	int		 rc, match = 0, v = 0;
	int64_t		 now = hg_now_ms();

	*stop = 0;
	if (store__begin(st, record, e) == -1)
		return -1;
	if ((s = store__stmt(st, &q_report_get)) == NULL)
		goto dbfail;
	sqlite3_bind_int64(s, 1, id);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		v = state_parse((const char *)sqlite3_column_text(s, 0));
		state = (enum task_state)v;
		snprintf(kind, kindlen, "%s", sqlite3_column_text(s, 2));
		match = sqlite3_column_bytes(s, 1) == STORE_HASH_LEN &&
		    hg_ct_equal(sqlite3_column_blob(s, 1), hash,
		    STORE_HASH_LEN);
		if (sqlite3_column_type(s, 3) != SQLITE_NULL)
			snprintf(waiting, sizeof(waiting), "%s",
			    sqlite3_column_text(s, 3));
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
	/* Its work may not begin before the tasks it comes after have
	 * succeeded (Dependencies): the worker tries again later. */
	if (waiting[0] != '\0') {
		hg_err_set(e, 409, "waiting", "task %lld waits for tasks %s "
		    "(after); report once they have succeeded", (long long)id,
		    waiting);
		goto fail;
	}
	*stop = state == TASK_STOPPING;
	if (!record) {
		store__rollback(st);
		return 0;
	}
	if (state == TASK_QUEUED) {
		if ((s = store__stmt(st, &q_report_start)) == NULL)
			goto dbfail;
		sqlite3_bind_int64(s, 1, id);
		sqlite3_bind_int64(s, 2, now);
		rc = sqlite3_step(s);
		sqlite3_reset(s);
		if (rc != SQLITE_DONE)
			goto steperr;
		if (store__counter_bump(st, "started", kind, NULL, e) == -1 ||
		    store__state_event(st, id, NULL, e) == -1)
			goto fail;
	}
	if ((s = store__stmt(st, &q_report_beat)) == NULL)
		goto dbfail;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, now);
	if (store__step_done(st, s, e) == -1)
		goto fail;
	return store__commit(st, e);
dbfail:
	rc = sqlite3_errcode(st->db);
steperr:
	store__err(st, rc, e);
fail:
	store__rollback(st);
	return -1;
}
