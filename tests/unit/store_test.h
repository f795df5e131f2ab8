/*
 * What the tests of lib/store share: a store on a real SQLite file in
 * the test's own folder (unit.h makes one with mkdtemp for each test and
 * removes it after), and tasks and events as a client reads them.
 *
 * Task objects are checked as a client gets them: printed, then parsed
 * again, because the store builds some fields (id, params, percent) as
 * raw JSON text that only means something once printed.
 */
#ifndef STORE_TEST_H
#define STORE_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "store.h"
#include "unit.h"

#define PARAMS		"{\"total\":150,\"delay_ms\":50}"
#define EVS_MAX		64

static char	 dbpath[4200];	/* this test's hourglass.db */

__attribute__((unused)) static const char *
db_path(void)
{
	snprintf(dbpath, sizeof(dbpath), "%s/hourglass.db", unit_dir);
	return dbpath;
}

/* Opens (and migrates) this test's database, or ends the test. */
__attribute__((unused)) static struct store *
open_db(void)
{
	struct store	*st;
	char		 err[512] = "";

	if ((st = store_open(db_path(), 1, err, sizeof(err))) == NULL) {
		unit_fail(__FILE__, __LINE__, err);
		exit(1);
	}
	return st;
}

/* What a client reads: t printed and parsed again. Frees t. */
static cJSON *
client_view(cJSON *t)
{
	struct hg_err	 e;
	cJSON		*d = NULL;
	char		*s;

	if (t == NULL)
		return NULL;
	if ((s = json_print(t)) != NULL &&
	    (d = json_parse(s, strlen(s), &e)) == NULL)
		unit_fail(__FILE__, __LINE__, e.msg);
	free(s);
	cJSON_Delete(t);
	return d;
}

/* Parses JSON text that the store wrote, or ends the test. */
static cJSON *
parse(const char *s)
{
	struct hg_err	 e;
	cJSON		*d;

	if (s == NULL || (d = json_parse(s, strlen(s), &e)) == NULL) {
		unit_fail(__FILE__, __LINE__, s == NULL ? "(null)" : e.msg);
		exit(1);
	}
	return d;
}

static const cJSON *
field(const cJSON *o, const char *name)
{
	return cJSON_GetObjectItemCaseSensitive(o, name);
}

/* o.name as a string, or NULL if it is not one. */
__attribute__((unused)) static const char *
str_of(const cJSON *o, const char *name)
{
	const cJSON	*v = field(o, name);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* o.name as an exact integer, or -999 if it is not one. */
__attribute__((unused)) static int64_t
int_of(const cJSON *o, const char *name)
{
	int64_t	 v;

	return json_int(field(o, name), &v) == 0 ? v : -999;
}

__attribute__((unused)) static int
is_null(const cJSON *o, const char *name)
{
	return cJSON_IsNull(field(o, name));
}

/* 1 if object o has exactly the keys of the NULL-ended list, each once. */
__attribute__((unused)) static int
has_exact_keys(const cJSON *o, const char *const *keys)
{
	const cJSON	*c;
	int		 n = 0, want = 0;

	if (!cJSON_IsObject(o))
		return 0;
	for (; keys[want] != NULL; want++)
		if (field(o, keys[want]) == NULL)
			return 0;
	cJSON_ArrayForEach(c, o)
		n++;
	return n == want;
}

/* Creates a task with options o and returns its id, or ends the test. */
__attribute__((unused)) static int64_t
create_with(struct store *st, const char *kind, const char *name,
    const struct create_opts *o)
{
	struct hg_err	 e;
	cJSON		*t = NULL;
	int64_t		 id;

	if (store_task_create_opts(st, kind, name, PARAMS, o, &t, &e) == -1) {
		unit_fail(__FILE__, __LINE__, e.msg);
		exit(1);
	}
	t = client_view(t);
	id = int_of(t, "id");
	cJSON_Delete(t);
	return id;
}

/* Creates a task and returns its id, or ends the test. */
__attribute__((unused)) static int64_t
create(struct store *st, const char *kind, const char *name)
{
	struct create_opts	 o = { .idem_key = NULL };

	return create_with(st, kind, name, &o);
}

/* Claims task id for runner pid (start 1000 + pid), or ends the test. */
__attribute__((unused)) static void
claim(struct store *st, int64_t id, int64_t pid)
{
	struct hg_err	 e;
	char		*kind = NULL, *params = NULL;
	int		 rc;

	if ((rc = store_task_claim(st, id, pid, 1000 + pid, &kind, &params,
	    NULL, NULL, &e)) != 0) {
		unit_fail(__FILE__, __LINE__, rc == 1 ? "claim: not queued" :
		    e.msg);
		exit(1);
	}
	free(kind);
	free(params);
}

__attribute__((unused)) static int
finish(struct store *st, int64_t id, const char *state)
{
	struct outcome	 o = { 0, 1, 0, NULL, NULL, 0, NULL, NULL, NULL,
	    NULL, NULL };
	struct hg_err	 e;

	o.state = (enum task_state)state_parse(state);
	return store_task_finish(st, id, NULL, &o, &e);
}

/* The task as a client reads it (caller frees), or NULL. */
static cJSON *
get(struct store *st, int64_t id)
{
	struct hg_err	 e;
	cJSON		*t = NULL;

	if (store_task_get(st, id, &t, &e) == -1)
		return NULL;
	return client_view(t);
}

/* Task id's state, in a static buffer; "(none)" if it cannot be read. */
__attribute__((unused)) static const char *
state_of(struct store *st, int64_t id)
{
	static char	 buf[32];
	cJSON		*t = get(st, id);
	const char	*s = str_of(t, "state");

	snprintf(buf, sizeof(buf), "%s", s != NULL ? s : "(none)");
	cJSON_Delete(t);
	return buf;
}

__attribute__((unused)) static int64_t
event_last(struct store *st)
{
	int64_t	 id = -1;

	CHECK_INT(store_event_last(st, &id), 0);
	return id;
}

/* ---- events, copied out of the callback ---- */

struct ev {
	int64_t	 id;
	int64_t	 task;
	char	 type[16];
	char	 state[16];	/* "" for none */
	char	*data;
	size_t	 len;
};

struct evs {
	size_t		 n;
	struct ev	 v[EVS_MAX];
};

__attribute__((unused)) static int
evs_add(void *arg, const struct event *ev)
{
	struct evs	*l = arg;
	struct ev	*v;

	if (l->n == EVS_MAX)
		return -1;
	v = &l->v[l->n++];
	v->id = ev->id;
	v->task = ev->task;
	snprintf(v->type, sizeof(v->type), "%s", ev->type);
	snprintf(v->state, sizeof(v->state), "%s",
	    ev->state != 0 ? state_name(ev->state) : "");
	v->data = strndup(ev->data, ev->len);
	v->len = ev->len;
	return 0;
}

/* Reads the events of task (0: all) after id after. Returns the count
 * store_events_read gave. */
__attribute__((unused)) static int
evs_read(struct store *st, int64_t after, int64_t task, struct evs *l)
{
	memset(l, 0, sizeof(*l));
	return store_events_read(st, after, 0, task, EVS_MAX, evs_add, l);
}

__attribute__((unused)) static void
evs_free(struct evs *l)
{
	size_t	 i;

	for (i = 0; i < l->n; i++)
		free(l->v[i].data);
	l->n = 0;
}

/* ---- list ---- */

/*
 * The ids that store_task_list gives for the filter, as "5,4,3" in a
 * static buffer, or "error" if it fails.
 */
__attribute__((unused)) static const char *
list_ids(struct store *st, const char *state, const char *kind,
    int64_t before, int limit)
{
	static char		 buf[256];
	struct task_filter	 f = { 0, kind, before, limit, 0 };
	struct hg_err		 e;
	cJSON			*out;
	const cJSON		*t;
	char			*text;
	size_t			 off = 0, len;
	int64_t			 last;

	if (state != NULL)
		f.state = (enum task_state)state_parse(state);
	if (store_task_list(st, &f, &text, &len, &last, &e) == -1)
		return "error";
	out = parse(text);
	free(text);
	buf[0] = '\0';
	cJSON_ArrayForEach(t, field(out, "tasks"))
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%jd",
		    off > 0 ? "," : "", (intmax_t)int_of(t, "id"));
	cJSON_Delete(out);
	return buf;
}

/*
 * Five tasks, 1 to 5: kinds count, sleep, count, sleep, count; 2 and 3
 * claimed (running).
 */
__attribute__((unused)) static struct store *
five_tasks(void)
{
	struct store	*st = open_db();

	CHECK_INT(create(st, "count", "a"), 1);
	CHECK_INT(create(st, "sleep", "b"), 2);
	CHECK_INT(create(st, "count", "c"), 3);
	CHECK_INT(create(st, "sleep", "d"), 4);
	CHECK_INT(create(st, "count", "e"), 5);
	claim(st, 2, 100);
	claim(st, 3, 101);
	return st;
}

#ifdef HG_STORE_INT_H
/* The times statements of st were compiled again since the last call:
 * all of them, the first call to start the count. SQLite compiles a
 * statement again when a bound value that its plan looked at changes. */
__attribute__((unused)) static int
recompiled(struct store *st)
{
	int	 i, n = 0;

	for (i = 0; i < S_MAX; i++)
		if (st->stmt[i] != NULL)
			n += sqlite3_stmt_status(st->stmt[i],
			    SQLITE_STMTSTATUS_REPREPARE, 1);
	return n;
}
#endif

#endif
