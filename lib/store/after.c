/*
 * Dependencies: a task made "after" others waits queued, with the ids
 * not yet succeeded in waiting_for, and holds no slot (queue.c reads
 * only tasks whose waiting_for is NULL). When a parent ends, in the
 * transaction of that end, its dependents are released (it succeeded)
 * or end canceled with dependency_failed (it ended otherwise), and so
 * on down the chain. Every task that so becomes final gets its webhook
 * delivery (hooks.c) in that transaction too.
 */
#include <stdio.h>
#include <stdlib.h>

#include "store_int.h"

/* Ids still to look at, grown as the chain is walked. */
struct idvec {
	int64_t	*v;
	size_t	 n, cap;
};

/* Appends id. Returns 0, or -1 with 503 when out of memory. */
static int
idvec_push(struct idvec *iv, int64_t id, struct hg_err *e)
{
	int64_t	*v;
	size_t	 cap;

	if (iv->n == iv->cap) {
		cap = iv->cap > 0 ? iv->cap * 2 : 16;
		if ((v = reallocarray(iv->v, cap, sizeof(*v))) == NULL)
			return hg_err_set(e, 503, "unavailable",
			    "out of memory");
		iv->v = v;
		iv->cap = cap;
	}
	iv->v[iv->n++] = id;
	return 0;
}

/* Runs q with ?1 = a, ?2 = b and ?3 = text (if not NULL); sets *changed
 * to the rows it changed. */
static int
exec2(struct store *st, const struct store_sql *q, int64_t a, int64_t b,
    const char *text, int *changed, struct hg_err *e)
{
	sqlite3_stmt	*s;

	if ((s = store__stmt(st, q)) == NULL)
		return store__err(st, sqlite3_errcode(st->db), e);
	sqlite3_bind_int64(s, 1, a);
	sqlite3_bind_int64(s, 2, b);
	if (text != NULL)
		sqlite3_bind_text(s, 3, text, -1, SQLITE_STATIC);
	if (store__step_done(st, s, e) == -1)
		return -1;
	if (changed != NULL)
		*changed = sqlite3_changes(st->db);
	return 0;
}

static const struct store_sql q_after_fail = { S_AFTER_FAIL,
    "UPDATE tasks SET state = 'canceled', finished_at = ?2, "
    "error_code = 'dependency_failed', error_message = ?3, "
    "waiting_for = NULL WHERE id = ?1 AND state = 'queued'" };

/* Inside a write transaction: task id, if still queued, ends canceled
 * because parent ended in state (not succeeded). Sets *changed; the
 * caller counts it and records its event. */
static int
dep_fail(struct store *st, int64_t id, int64_t parent, enum task_state state,
    int *changed, struct hg_err *e)
{
	char	 msg[64];

	snprintf(msg, sizeof(msg), "task %lld ended %s", (long long)parent,
	    state_name(state));
	return exec2(st, &q_after_fail, id, hg_now_ms(), msg, changed, e);
}

/* json_group_array keeps json_each's order: the ids as they were. */
static const struct store_sql q_after_release = { S_AFTER_RELEASE,
    "UPDATE tasks SET waiting_for = (SELECT CASE WHEN count(*) = 0 "
    "THEN NULL ELSE json_group_array(value) END FROM "
    "json_each(tasks.waiting_for) WHERE value <> ?2) WHERE id = ?1 AND "
    "state = 'queued' AND waiting_for IS NOT NULL" };
static const struct store_sql q_after_children = { S_AFTER_CHILDREN,
    "SELECT child FROM task_after WHERE parent = ?1 ORDER BY child" };
static const struct store_sql q_after_unlink = { S_AFTER_UNLINK,
    "DELETE FROM task_after WHERE parent = ?1" };
static const struct store_sql q_after_clear = { S_AFTER_CLEAR,
    "UPDATE tasks SET waiting_for = NULL WHERE id = ?1 AND "
    "waiting_for IS NOT NULL" };

/* Sets kids to the tasks that wait for parent (kids->n from 0). */
static int
children(struct store *st, int64_t parent, struct idvec *kids,
    struct hg_err *e)
{
	sqlite3_stmt	*s;
	int		 rc;

	kids->n = 0;
	if ((s = store__stmt(st, &q_after_children)) == NULL)
		return store__err(st, sqlite3_errcode(st->db), e);
	sqlite3_bind_int64(s, 1, parent);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if (idvec_push(kids, sqlite3_column_int64(s, 0), e) == -1)
			break;
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return -1;
	if (rc != SQLITE_DONE)
		return store__err(st, rc, e);
	return 0;
}

/* Inside a write transaction, as task id has just become final: its
 * state event (*task set to that object unless task is NULL) and its
 * webhook delivery, which holds the same object. */
static int
final_event(struct store *st, int64_t id, cJSON **task, struct hg_err *e)
{
	cJSON	*own = NULL, **t = task != NULL ? task : &own;
	int	 rc;

	if (store__state_event(st, id, t, e) == -1)
		return -1;
	rc = store__hook_add(st, id, *t, e);
	cJSON_Delete(own);
	if (rc == -1 && task != NULL) {
		cJSON_Delete(*task);
		*task = NULL;
	}
	return rc;
}

/*
 * Inside a write transaction: parent, which has just ended, releases or
 * cancels each task that waits for it, with its state event; those it
 * canceled are pushed on todo, to do the same in turn. Then its edges go.
 */
static int
parent_ended(struct store *st, int64_t parent, struct idvec *todo,
    struct idvec *kids, struct hg_err *e)
{
	enum task_state	 state;
	size_t		 i;
	int		 rc, changed;

	if (store__task_state(st, parent, &state, NULL, e) == -1)
		return e->status == 404 ? hg_err_set(e, 503, "unavailable",
		    "task %lld vanished as it ended", (long long)parent) : -1;
	if (children(st, parent, kids, e) == -1)
		return -1;
	for (i = 0; i < kids->n; i++) {
		if (state == TASK_SUCCEEDED)
			rc = exec2(st, &q_after_release, kids->v[i], parent,
			    NULL, &changed, e);
		else
			rc = dep_fail(st, kids->v[i], parent, state, &changed,
			    e);
		if (rc == -1)
			return -1;
		if (!changed)
			continue;
		if (state == TASK_SUCCEEDED) {
			if (store__state_event(st, kids->v[i], NULL, e) == -1)
				return -1;
			continue;
		}
		if (store__counter_finished(st, kids->v[i], e) == -1 ||
		    idvec_push(todo, kids->v[i], e) == -1 ||
		    final_event(st, kids->v[i], NULL, e) == -1)
			return -1;
	}
	return store__exec_id(st, &q_after_unlink, parent, e);
}

int
store__task_ended(struct store *st, int64_t id, cJSON **task,
    struct hg_err *e)
{
	struct idvec	 todo = { NULL, 0, 0 }, kids = { NULL, 0, 0 };
	size_t		 i;
	int		 rc = -1;

	if (store__counter_finished(st, id, e) == -1 ||
	    store__exec_id(st, &q_after_clear, id, e) == -1 ||
	    final_event(st, id, task, e) == -1)
		return -1;
	/* A walk, not a recursion: a chain of any length takes no stack. */
	if (idvec_push(&todo, id, e) == -1)
		goto out;
	for (i = 0; i < todo.n; i++)
		if (parent_ended(st, todo.v[i], &todo, &kids, e) == -1)
			goto out;
	rc = 0;
out:
	free(todo.v);
	free(kids.v);
	if (rc == -1 && task != NULL) {
		cJSON_Delete(*task);
		*task = NULL;
	}
	return rc;
}

static const struct store_sql q_after_link = { S_AFTER_LINK,
    "INSERT OR IGNORE INTO task_after (parent, child) VALUES (?1, ?2)" };
static const struct store_sql q_after_wait = { S_AFTER_WAIT,
    "UPDATE tasks SET waiting_for = ?3 WHERE id = ?1" };

int
store__after_create(struct store *st, int64_t id, const int64_t *after,
    int n, struct hg_err *e)
{
	enum task_state	 state, dstate = TASK_FAILED;
	char		 waiting[HG_AFTER_MAX * 21 + 3];
	size_t		 len = 0;
	int64_t		 dead = 0;
	int		 i, rc;

	waiting[len++] = '[';
	for (i = 0; i < n; i++) {
		if (store__task_state(st, after[i], &state, NULL, e) == -1)
			return e->status == 404 ? hg_err_set(e, 422,
			    "unknown_task", "after: no task %lld",
			    (long long)after[i]) : -1;
		if (state_active(state)) {
			if (exec2(st, &q_after_link, after[i], id, NULL, NULL,
			    e) == -1)
				return -1;
			len += (size_t)snprintf(waiting + len,
			    sizeof(waiting) - len, "%s%lld", len > 1 ? "," :
			    "", (long long)after[i]);
		} else if (state != TASK_SUCCEEDED && dead == 0) {
			dead = after[i];
			dstate = state;
		}
	}
	/* Born final: its delivery holds the row as it is now, which the
	 * caller's state event shows too. */
	if (dead > 0)
		return dep_fail(st, id, dead, dstate, &rc, e) == -1 ||
		    store__counter_finished(st, id, e) == -1 ||
		    store__hook_add(st, id, NULL, e) == -1 ? -1 : 1;
	if (len == 1)
		return 0;	/* every one has succeeded already */
	waiting[len++] = ']';
	waiting[len] = '\0';
	return exec2(st, &q_after_wait, id, 0, waiting, NULL, e);
}
