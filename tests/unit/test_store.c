/*
 * lib/store: a real SQLite file in the test's own folder (unit.h makes
 * one with mkdtemp for each test and removes it after). Tasks through
 * their life (create, claim, progress, stop, finish, delete), the lists
 * and the event stream a client reads, and what a second connection to
 * the same file sees.
 *
 * Task objects are checked as a client gets them: printed, then parsed
 * again, because the store builds some fields (id, params, percent) as
 * raw JSON text that only means something once printed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "store.h"
#include "unit.h"

#define PARAMS		"{\"total\":150,\"delay_ms\":50}"
#define EVS_MAX		64

static char	 dbpath[4200];	/* this test's hourglass.db */

static const char *
db_path(void)
{
	snprintf(dbpath, sizeof(dbpath), "%s/hourglass.db", unit_dir);
	return dbpath;
}

/* Opens (and migrates) this test's database, or ends the test. */
static struct store *
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
static const char *
str_of(const cJSON *o, const char *name)
{
	const cJSON	*v = field(o, name);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* o.name as an exact integer, or -999 if it is not one. */
static int64_t
int_of(const cJSON *o, const char *name)
{
	int64_t	 v;

	return json_int(field(o, name), &v) == 0 ? v : -999;
}

static int
is_null(const cJSON *o, const char *name)
{
	return cJSON_IsNull(field(o, name));
}

/* 1 if object o has exactly the keys of the NULL-ended list, each once. */
static int
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

/* Creates a task and returns its id, or ends the test. */
static int64_t
create(struct store *st, const char *kind, const char *name)
{
	struct hg_err	 e;
	cJSON		*t = NULL;
	int64_t		 id;

	if (store_task_create(st, kind, name, PARAMS, &t, &e) == -1) {
		unit_fail(__FILE__, __LINE__, e.msg);
		exit(1);
	}
	t = client_view(t);
	id = int_of(t, "id");
	cJSON_Delete(t);
	return id;
}

/* Claims task id for runner pid (start 1000 + pid), or ends the test. */
static void
claim(struct store *st, int64_t id, int64_t pid)
{
	struct hg_err	 e;
	char		*kind = NULL, *params = NULL;
	int		 rc;

	if ((rc = store_task_claim(st, id, pid, 1000 + pid, &kind, &params,
	    &e)) != 0) {
		unit_fail(__FILE__, __LINE__, rc == 1 ? "claim: not queued" :
		    e.msg);
		exit(1);
	}
	free(kind);
	free(params);
}

static int
finish(struct store *st, int64_t id, const char *state)
{
	struct outcome	 o = { 0, 1, 0, NULL, NULL, 0 };
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
static const char *
state_of(struct store *st, int64_t id)
{
	static char	 buf[32];
	cJSON		*t = get(st, id);
	const char	*s = str_of(t, "state");

	snprintf(buf, sizeof(buf), "%s", s != NULL ? s : "(none)");
	cJSON_Delete(t);
	return buf;
}

static int64_t
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

static int
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
static int
evs_read(struct store *st, int64_t after, int64_t task, struct evs *l)
{
	memset(l, 0, sizeof(*l));
	return store_events_read(st, after, 0, task, EVS_MAX, evs_add, l);
}

static void
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
static const char *
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
static struct store *
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

/* ---- opening ---- */

static void
open_with_migrate_gives_working_store(void)
{
	struct store	*st;
	char		 err[512] = "";

	st = store_open(db_path(), 1, err, sizeof(err));
	CHECK(st != NULL);
	CHECK_STR(err, "");
	CHECK_INT(store_ping(st), 0);
	CHECK_INT(event_last(st), 0);
	CHECK_STR(list_ids(st, NULL, NULL, 0, 50), "");
	store_close(st);
}

/* A create may take queued tasks to start in its own transaction, under
 * the same limits as store_sched_take, oldest first. */
static void
create_with_sched_takes_under_the_limit(void)
{
	struct store		*st = open_db();
	struct hg_err		 e;
	struct create_opts	 o = { .idem_key = "k1" };
	struct sched		 sc = { 1, NULL, NULL, NULL, 4, 7 };
	int64_t			 ids[4], again[4];
	struct sched		 sc_again = { 4, NULL, NULL, again, 4, 0 };
	cJSON			*t = NULL;

	sc.ids = ids;
	o.sched = &sc;
	CHECK_INT(store_task_create_opts(st, "count", NULL, PARAMS, &o, &t,
	    &e), 0);
	CHECK_INT(sc.n, 1);
	CHECK_INT(ids[0], 1);
	cJSON_Delete(t);
	/* Taken: marked launched, so nothing is left for the scheduler. */
	CHECK_INT(store_sched_take(st, &sc_again, &e), 0);
	/* The same key again: the first task, and nothing taken. */
	sc.n = 7;
	t = NULL;
	CHECK_INT(store_task_create_opts(st, "count", NULL, PARAMS, &o, &t,
	    &e), 1);
	CHECK_INT(sc.n, 0);
	cJSON_Delete(t);
	/* A second task: max_running 1 is taken by the first. */
	o.idem_key = NULL;
	t = NULL;
	CHECK_INT(store_task_create_opts(st, "count", NULL, PARAMS, &o, &t,
	    &e), 0);
	CHECK_INT(sc.n, 0);
	cJSON_Delete(t);
	/* With room for two, a third create takes the second and itself,
	 * oldest first. */
	sc.max_running = 3;
	t = NULL;
	CHECK_INT(store_task_create_opts(st, "count", NULL, PARAMS, &o, &t,
	    &e), 0);
	CHECK_INT(sc.n, 2);
	if (sc.n == 2) {
		CHECK_INT(ids[0], 2);
		CHECK_INT(ids[1], 3);
	}
	cJSON_Delete(t);
	store_close(st);
}

static void
open_without_migrate_refuses_unmigrated_db(void)
{
	struct store	*st;
	char		 err[512] = "";

	st = store_open(db_path(), 0, err, sizeof(err));
	CHECK(st == NULL);
	CHECK(err[0] != '\0');
	store_close(st);
}

static void
open_without_migrate_accepts_migrated_db(void)
{
	struct store	*st = open_db(), *st2;
	char		 err[512] = "";

	store_close(st);
	st2 = store_open(db_path(), 0, err, sizeof(err));
	CHECK(st2 != NULL);
	CHECK_STR(err, "");
	CHECK_INT(store_ping(st2), 0);
	store_close(st2);
}

static void
open_with_migrate_twice_keeps_tasks(void)
{
	struct store	*st = open_db();

	CHECK_INT(create(st, "count", "a"), 1);
	store_close(st);
	st = open_db();
	CHECK_STR(state_of(st, 1), "queued");
	store_close(st);
}

static void
close_accepts_null(void)
{
	store_close(NULL);
}

/* ---- create and get ---- */

static void
create_returns_queued_task_with_exact_keys(void)
{
	static const char *const keys[] = {
		"id", "kind", "name", "params", "state", "progress",
		"created_at", "started_at", "finished_at", "exit_code",
		"error", NULL
	};
	static const char *const pkeys[] = {
		"value", "total", "percent", "message", NULL
	};
	struct store	*st = open_db();
	struct hg_err	 e;
	cJSON		*t = NULL;
	const cJSON	*p;
	const char	*c;
	char		*params;

	CHECK_INT(store_task_create(st, "count", "first", PARAMS, &t, &e), 0);
	t = client_view(t);
	CHECK(has_exact_keys(t, keys));
	CHECK_INT(int_of(t, "id"), 1);
	CHECK_STR(str_of(t, "kind"), "count");
	CHECK_STR(str_of(t, "name"), "first");
	params = json_print(field(t, "params"));
	CHECK_STR(params, PARAMS);
	free(params);
	CHECK_STR(str_of(t, "state"), "queued");
	p = field(t, "progress");
	CHECK(has_exact_keys(p, pkeys));
	CHECK_INT(int_of(p, "value"), 0);
	CHECK(is_null(p, "total"));
	CHECK(is_null(p, "percent"));
	CHECK(is_null(p, "message"));
	/* "2026-11-24T20:05:40.123Z" */
	c = str_of(t, "created_at");
	CHECK(c != NULL && strlen(c) == 24 && c[10] == 'T' && c[23] == 'Z');
	CHECK(is_null(t, "started_at"));
	CHECK(is_null(t, "finished_at"));
	CHECK(is_null(t, "exit_code"));
	CHECK(is_null(t, "error"));
	cJSON_Delete(t);
	store_close(st);
}

static void
create_without_name_gives_null_name(void)
{
	struct store	*st = open_db();
	struct hg_err	 e;
	cJSON		*t = NULL;

	CHECK_INT(store_task_create(st, "count", NULL, PARAMS, &t, &e), 0);
	t = client_view(t);
	CHECK(is_null(t, "name"));
	cJSON_Delete(t);
	store_close(st);
}

static void
get_returns_task_as_created(void)
{
	struct store	*st = open_db();
	struct hg_err	 e;
	cJSON		*made = NULL, *got = NULL;
	char		*a, *b;

	CHECK_INT(store_task_create(st, "count", "x", PARAMS, &made, &e), 0);
	CHECK_INT(store_task_get(st, 1, &got, &e), 0);
	a = json_print(made);
	b = json_print(got);
	CHECK_STR(b, a);
	free(a);
	free(b);
	cJSON_Delete(made);
	cJSON_Delete(got);
	store_close(st);
}

static void
get_missing_is_404_not_found(void)
{
	struct store	*st = open_db();
	struct hg_err	 e;
	cJSON		*t = NULL;

	create(st, "count", "x");
	memset(&e, 0, sizeof(e));
	CHECK_INT(store_task_get(st, 2, &t, &e), -1);
	CHECK(t == NULL);
	CHECK_INT(e.status, 404);
	CHECK_STR(e.code, "not_found");
	CHECK(e.msg[0] != '\0');
	store_close(st);
}

/* ---- list ---- */

static void
list_is_newest_first(void)
{
	struct store	*st = five_tasks();

	CHECK_STR(list_ids(st, NULL, NULL, 0, 50), "5,4,3,2,1");
	store_close(st);
}

static void
list_stops_at_limit(void)
{
	struct store	*st = five_tasks();

	CHECK_STR(list_ids(st, NULL, NULL, 0, 2), "5,4");
	CHECK_STR(list_ids(st, NULL, NULL, 0, 1), "5");
	store_close(st);
}

static void
list_before_gives_lower_ids_only(void)
{
	struct store	*st = five_tasks();

	CHECK_STR(list_ids(st, NULL, NULL, 4, 50), "3,2,1");
	CHECK_STR(list_ids(st, NULL, NULL, 4, 2), "3,2");
	CHECK_STR(list_ids(st, NULL, NULL, 1, 50), "");
	store_close(st);
}

static void
list_filters_by_state(void)
{
	struct store	*st = five_tasks();

	CHECK_STR(list_ids(st, "running", NULL, 0, 50), "3,2");
	CHECK_STR(list_ids(st, "queued", NULL, 0, 50), "5,4,1");
	CHECK_STR(list_ids(st, "failed", NULL, 0, 50), "");
	store_close(st);
}

static void
list_filters_by_kind(void)
{
	struct store	*st = five_tasks();

	CHECK_STR(list_ids(st, NULL, "sleep", 0, 50), "4,2");
	CHECK_STR(list_ids(st, NULL, "count", 0, 50), "5,3,1");
	CHECK_STR(list_ids(st, NULL, "nope", 0, 50), "");
	store_close(st);
}

static void
list_filters_by_state_and_kind_with_before(void)
{
	struct store	*st = five_tasks();

	CHECK_STR(list_ids(st, "queued", "count", 0, 50), "5,1");
	CHECK_STR(list_ids(st, "queued", "count", 5, 50), "1");
	CHECK_STR(list_ids(st, "running", "sleep", 0, 50), "2");
	store_close(st);
}

static void
list_event_id_equals_event_last(void)
{
	struct store		*st = five_tasks();
	struct task_filter	 f = { 0, NULL, 0, 50, 0 };
	struct hg_err		 e;
	cJSON			*out;
	char			*text = NULL;
	size_t			 len;
	int64_t			 last = event_last(st), id = 0;

	/* Five creates and two claims, one state event each. */
	CHECK_INT(last, 7);
	CHECK_INT(store_task_list(st, &f, &text, &len, &id, &e), 0);
	CHECK_INT(id, last);
	out = parse(text);
	free(text);
	CHECK_INT(int_of(out, "event_id"), last);
	cJSON_Delete(out);
	store_close(st);
}

static void
list_unless_current_builds_nothing(void)
{
	struct store		*st = five_tasks();
	struct task_filter	 f = { 0, NULL, 0, 50, 0 };
	struct runner_ref	 ref;
	struct hg_err		 e;
	char			*text = NULL;
	size_t			 len = 0;
	int64_t			 last = event_last(st), id = 0;

	/* The caller's answer is current: 1, the event id, no text. */
	f.unless = last;
	CHECK_INT(store_task_list(st, &f, &text, &len, &id, &e), 1);
	CHECK_INT(id, last);
	CHECK(text == NULL);
	/* An older answer: the list is built. */
	f.unless = last - 1;
	CHECK_INT(store_task_list(st, &f, &text, &len, &id, &e), 0);
	CHECK_INT(id, last);
	CHECK(text != NULL && len > 0 && strstr(text, "\"tasks\":[") != NULL);
	free(text);
	text = NULL;
	/* The read transaction ended: a write goes through. */
	CHECK_INT(store_task_stop(st, 1, NULL, &ref, &e) == -1 ? e.status : 0,
	    0);
	f.unless = last;
	CHECK_INT(store_task_list(st, &f, &text, &len, &id, &e), 0);
	CHECK(id > last);
	free(text);
	store_close(st);
}

/* ---- events ---- */

static void
events_read_gives_create_state_event_with_task(void)
{
	struct store	*st = open_db();
	struct hg_err	 e;
	struct evs	 l;
	cJSON		*t = NULL, *d;
	char		*a, *b;

	CHECK_INT(store_task_create(st, "count", "x", PARAMS, &t, &e), 0);
	CHECK_INT(evs_read(st, 0, 1, &l), 1);
	CHECK_INT(l.n, 1);
	CHECK_INT(l.v[0].id, event_last(st));
	CHECK_INT(l.v[0].task, 1);
	CHECK_STR(l.v[0].type, "state");
	CHECK_STR(l.v[0].state, "queued");
	CHECK_INT(l.v[0].len, strlen(l.v[0].data));
	d = parse(l.v[0].data);
	a = json_print(d);
	b = json_print(t);
	CHECK_STR(a, b);
	free(a);
	free(b);
	cJSON_Delete(d);
	cJSON_Delete(t);
	evs_free(&l);
	store_close(st);
}

static void
events_read_keeps_to_after_upto_and_limit(void)
{
	struct store	*st = five_tasks();
	struct evs	 l;

	memset(&l, 0, sizeof(l));
	CHECK_INT(store_events_read(st, 2, 5, 0, 50, evs_add, &l), 3);
	CHECK_INT(l.n, 3);
	CHECK_INT(l.v[0].id, 3);
	CHECK_INT(l.v[2].id, 5);
	evs_free(&l);
	CHECK_INT(store_events_read(st, 2, 0, 0, 2, evs_add, &l), 2);
	CHECK_INT(l.v[0].id, 3);
	CHECK_INT(l.v[1].id, 4);
	evs_free(&l);
	store_close(st);
}

static void
event_ids_strictly_increase(void)
{
	struct store	*st = open_db();
	struct progress	 p = { 1, 10, "step" };
	struct runner_ref ref;
	struct hg_err	 e;
	struct evs	 l;
	cJSON		*t = NULL;
	size_t		 i;

	create(st, "count", "a");
	create(st, "count", "b");
	claim(st, 1, 100);
	CHECK_INT(store_task_progress(st, 1, &p, &e), 0);
	claim(st, 2, 101);
	CHECK_INT(store_task_progress(st, 2, &p, &e), 0);
	CHECK_INT(store_task_stop(st, 2, &t, &ref, &e), 0);
	cJSON_Delete(t);
	CHECK_INT(finish(st, 1, "succeeded"), 0);
	CHECK_INT(finish(st, 2, "canceled"), 0);
	CHECK_INT(evs_read(st, 0, 0, &l), 9);
	CHECK_INT(l.v[0].id, 1);
	for (i = 1; i < l.n; i++)
		CHECK(l.v[i].id > l.v[i - 1].id);
	CHECK_INT(l.v[l.n - 1].id, event_last(st));
	evs_free(&l);
	store_close(st);
}

static void
event_last_does_not_go_back_after_delete(void)
{
	struct store	*st = open_db();
	struct hg_err	 e;
	struct evs	 l;
	int64_t		 before;

	create(st, "count", "a");
	CHECK_INT(finish(st, 1, "failed"), 0);
	before = event_last(st);
	CHECK_INT(before, 2);
	CHECK_INT(store_task_delete(st, 1, &e), 0);
	CHECK_INT(event_last(st), before);
	create(st, "count", "b");
	CHECK_INT(evs_read(st, 0, 0, &l), 1);
	CHECK(l.v[0].id > before);
	evs_free(&l);
	store_close(st);
}

/* ---- claim ---- */

static void
claim_moves_queued_to_running(void)
{
	struct store	*st = open_db();
	struct hg_err	 e;
	char		*kind = NULL, *params = NULL;
	cJSON		*t;

	create(st, "count", "x");
	CHECK_INT(store_task_claim(st, 1, 4242, 777, &kind, &params, &e), 0);
	CHECK_STR(kind, "count");
	CHECK_STR(params, PARAMS);
	free(kind);
	free(params);
	t = get(st, 1);
	CHECK_STR(str_of(t, "state"), "running");
	CHECK(str_of(t, "started_at") != NULL);
	CHECK(is_null(t, "finished_at"));
	cJSON_Delete(t);
	store_close(st);
}

static void
claim_writes_running_state_event(void)
{
	struct store	*st = open_db();
	struct evs	 l;
	cJSON		*d;

	create(st, "count", "x");
	claim(st, 1, 100);
	CHECK_INT(evs_read(st, 1, 1, &l), 1);
	CHECK_STR(l.v[0].type, "state");
	CHECK_STR(l.v[0].state, "running");
	d = parse(l.v[0].data);
	CHECK_STR(str_of(d, "state"), "running");
	cJSON_Delete(d);
	evs_free(&l);
	store_close(st);
}

static void
claim_second_time_returns_1(void)
{
	struct store	*st = open_db();
	struct hg_err	 e;
	char		*kind = NULL, *params = NULL;
	int64_t		 last;

	create(st, "count", "x");
	claim(st, 1, 100);
	last = event_last(st);
	kind = params = (char *)"not cleared";
	CHECK_INT(store_task_claim(st, 1, 200, 1, &kind, &params, &e), 1);
	CHECK(kind == NULL);
	CHECK(params == NULL);
	CHECK_INT(event_last(st), last);
	CHECK_STR(state_of(st, 1), "running");
	store_close(st);
}

static void
claim_after_stop_of_queued_returns_1(void)
{
	struct store	*st = open_db();
	struct runner_ref ref;
	struct hg_err	 e;
	char		*kind = NULL, *params = NULL;
	cJSON		*t = NULL;

	create(st, "count", "x");
	CHECK_INT(store_task_stop(st, 1, &t, &ref, &e), 0);
	cJSON_Delete(t);
	CHECK_INT(store_task_claim(st, 1, 100, 1, &kind, &params, &e), 1);
	CHECK(kind == NULL && params == NULL);
	CHECK_STR(state_of(st, 1), "canceled");
	store_close(st);
}

/* ---- progress ---- */

static void
progress_event_has_task_value_total_percent_message(void)
{
	static const char *const keys[] = {
		"task", "value", "total", "percent", "message", NULL
	};
	struct store	*st = open_db();
	struct progress	 p = { 42, 150, "step 42" };
	struct hg_err	 e;
	struct evs	 l;
	cJSON		*d;

	create(st, "count", "x");
	claim(st, 1, 100);
	CHECK_INT(store_task_progress(st, 1, &p, &e), 0);
	CHECK_INT(evs_read(st, 2, 1, &l), 1);
	CHECK_STR(l.v[0].type, "progress");
	CHECK_STR(l.v[0].state, "");
	CHECK_HAS(l.v[0].data, "\"percent\":28.0");
	d = parse(l.v[0].data);
	CHECK(has_exact_keys(d, keys));
	CHECK_INT(int_of(d, "task"), 1);
	CHECK_INT(int_of(d, "value"), 42);
	CHECK_INT(int_of(d, "total"), 150);
	CHECK_STR(str_of(d, "message"), "step 42");
	cJSON_Delete(d);
	evs_free(&l);
	store_close(st);
}

static void
progress_shows_on_task(void)
{
	struct store	*st = open_db();
	struct progress	 p = { 42, 150, "step 42" };
	struct hg_err	 e;
	cJSON		*t = NULL;
	char		*s;

	create(st, "count", "x");
	claim(st, 1, 100);
	CHECK_INT(store_task_progress(st, 1, &p, &e), 0);
	CHECK_INT(store_task_get(st, 1, &t, &e), 0);
	s = json_print(t);
	CHECK_HAS(s, "\"progress\":{\"value\":42,\"total\":150,"
	    "\"percent\":28.0,\"message\":\"step 42\"}");
	free(s);
	cJSON_Delete(t);
	store_close(st);
}

static void
progress_with_unknown_total_has_null_percent(void)
{
	struct store	*st = open_db();
	struct progress	 p = { 7, -1, NULL };
	struct hg_err	 e;
	struct evs	 l;
	cJSON		*d;

	create(st, "count", "x");
	claim(st, 1, 100);
	CHECK_INT(store_task_progress(st, 1, &p, &e), 0);
	CHECK_INT(evs_read(st, 2, 1, &l), 1);
	d = parse(l.v[0].data);
	CHECK_INT(int_of(d, "value"), 7);
	CHECK(is_null(d, "total"));
	CHECK(is_null(d, "percent"));
	CHECK(is_null(d, "message"));
	cJSON_Delete(d);
	evs_free(&l);
	store_close(st);
}

static void
progress_of_queued_task_writes_nothing(void)
{
	struct store	*st = open_db();
	struct progress	 p = { 1, 2, "early" };
	struct hg_err	 e;
	int64_t		 last;

	create(st, "count", "x");
	last = event_last(st);
	CHECK_INT(store_task_progress(st, 1, &p, &e), 0);
	CHECK_INT(event_last(st), last);
	store_close(st);
}

/* ---- finish ---- */

static void
finish_writes_final_progress_before_state_event(void)
{
	struct store	*st = open_db();
	struct progress	 p = { 150, 150, "done" };
	struct outcome	 o = { TASK_SUCCEEDED, 1, 0, NULL, NULL, 0 };
	struct hg_err	 e;
	struct evs	 l;

	create(st, "count", "x");
	claim(st, 1, 100);
	CHECK_INT(store_task_finish(st, 1, &p, &o, &e), 0);
	CHECK_INT(evs_read(st, 2, 1, &l), 2);
	CHECK_STR(l.v[0].type, "progress");
	CHECK_HAS(l.v[0].data, "\"percent\":100.0");
	CHECK_STR(l.v[1].type, "state");
	CHECK_STR(l.v[1].state, "succeeded");
	CHECK(l.v[0].id < l.v[1].id);
	/* The final state event's task already holds the final progress. */
	CHECK_HAS(l.v[1].data, "\"percent\":100.0");
	evs_free(&l);
	store_close(st);
}

static void
finish_records_outcome(void)
{
	struct store	*st = open_db();
	struct outcome	 o = { TASK_FAILED, 1, 3, "exit_status", "exit 3", 0 };
	struct hg_err	 e;
	const cJSON	*err;
	cJSON		*t;

	create(st, "count", "x");
	claim(st, 1, 100);
	CHECK_INT(store_task_finish(st, 1, NULL, &o, &e), 0);
	t = get(st, 1);
	CHECK_STR(str_of(t, "state"), "failed");
	CHECK_INT(int_of(t, "exit_code"), 3);
	CHECK(str_of(t, "finished_at") != NULL);
	err = field(t, "error");
	CHECK_STR(str_of(err, "code"), "exit_status");
	CHECK_STR(str_of(err, "message"), "exit 3");
	cJSON_Delete(t);
	store_close(st);
}

static void
finish_succeeded_of_stopping_task_ends_canceled(void)
{
	struct store	*st = open_db();
	struct runner_ref ref;
	struct hg_err	 e;
	struct evs	 l;
	cJSON		*t = NULL;

	create(st, "count", "x");
	claim(st, 1, 100);
	CHECK_INT(store_task_stop(st, 1, &t, &ref, &e), 0);
	cJSON_Delete(t);
	CHECK_INT(finish(st, 1, "succeeded"), 0);
	CHECK_STR(state_of(st, 1), "canceled");
	CHECK_INT(evs_read(st, 3, 1, &l), 1);
	CHECK_STR(l.v[0].state, "canceled");
	evs_free(&l);
	store_close(st);
}

static void
finish_of_ended_task_returns_1_and_adds_no_event(void)
{
	struct store	*st = open_db();
	int64_t		 last;

	create(st, "count", "x");
	claim(st, 1, 100);
	CHECK_INT(finish(st, 1, "succeeded"), 0);
	last = event_last(st);
	CHECK_INT(finish(st, 1, "failed"), 1);
	CHECK_INT(event_last(st), last);
	CHECK_STR(state_of(st, 1), "succeeded");
	store_close(st);
}

/* ---- stop ---- */

static void
stop_queued_cancels_at_once(void)
{
	struct store	*st = open_db();
	struct runner_ref ref = { -1, -1 };
	struct hg_err	 e;
	struct evs	 l;
	cJSON		*t = NULL;

	create(st, "count", "x");
	CHECK_INT(store_task_stop(st, 1, &t, &ref, &e), 0);
	CHECK_INT(ref.pid, 0);
	t = client_view(t);
	CHECK_STR(str_of(t, "state"), "canceled");
	CHECK(str_of(t, "finished_at") != NULL);
	cJSON_Delete(t);
	CHECK_STR(state_of(st, 1), "canceled");
	CHECK_INT(evs_read(st, 1, 1, &l), 1);
	CHECK_STR(l.v[0].state, "canceled");
	evs_free(&l);
	store_close(st);
}

static void
stop_running_becomes_stopping_with_runner_ref(void)
{
	struct store	*st = open_db();
	struct runner_ref ref = { 0, 0 };
	struct hg_err	 e;
	char		*kind = NULL, *params = NULL;
	cJSON		*t = NULL;

	create(st, "count", "x");
	CHECK_INT(store_task_claim(st, 1, 4242, 98765, &kind, &params, &e),
	    0);
	free(kind);
	free(params);
	CHECK_INT(store_task_stop(st, 1, &t, &ref, &e), 0);
	CHECK_INT(ref.pid, 4242);
	CHECK_INT(ref.start, 98765);
	t = client_view(t);
	CHECK_STR(str_of(t, "state"), "stopping");
	CHECK(is_null(t, "finished_at"));
	cJSON_Delete(t);
	CHECK_STR(state_of(st, 1), "stopping");
	store_close(st);
}

static void
stop_stopping_stays_stopping(void)
{
	struct store	*st = open_db();
	struct runner_ref ref;
	struct hg_err	 e;
	cJSON		*t = NULL;
	int64_t		 last;

	create(st, "count", "x");
	claim(st, 1, 100);
	CHECK_INT(store_task_stop(st, 1, &t, &ref, &e), 0);
	cJSON_Delete(t);
	t = NULL;
	last = event_last(st);
	CHECK_INT(store_task_stop(st, 1, &t, &ref, &e), 0);
	t = client_view(t);
	CHECK_STR(str_of(t, "state"), "stopping");
	cJSON_Delete(t);
	CHECK_INT(ref.pid, 100);
	CHECK_INT(ref.start, 1100);
	CHECK_INT(event_last(st), last);
	CHECK_STR(state_of(st, 1), "stopping");
	store_close(st);
}

static void
stop_finished_is_409_not_active(void)
{
	struct store	*st = open_db();
	struct runner_ref ref;
	struct hg_err	 e;
	cJSON		*t = NULL;
	int64_t		 last;

	create(st, "count", "x");
	claim(st, 1, 100);
	CHECK_INT(finish(st, 1, "succeeded"), 0);
	last = event_last(st);
	memset(&e, 0, sizeof(e));
	CHECK_INT(store_task_stop(st, 1, &t, &ref, &e), -1);
	CHECK(t == NULL);
	CHECK_INT(e.status, 409);
	CHECK_STR(e.code, "not_active");
	CHECK_INT(event_last(st), last);
	CHECK_STR(state_of(st, 1), "succeeded");
	store_close(st);
}

static void
stop_missing_is_404_not_found(void)
{
	struct store	*st = open_db();
	struct runner_ref ref;
	struct hg_err	 e;
	cJSON		*t = NULL;

	memset(&e, 0, sizeof(e));
	CHECK_INT(store_task_stop(st, 9, &t, &ref, &e), -1);
	CHECK(t == NULL);
	CHECK_INT(e.status, 404);
	CHECK_STR(e.code, "not_found");
	store_close(st);
}

static void
stop_requested_is_set_by_stop_of_running_task(void)
{
	struct store	*st = open_db();
	struct runner_ref ref;
	struct hg_err	 e;
	cJSON		*t = NULL;

	create(st, "count", "x");
	claim(st, 1, 100);
	CHECK_INT(store_task_stop_requested(st, 1), 0);
	CHECK_INT(store_task_stop(st, 1, &t, &ref, &e), 0);
	cJSON_Delete(t);
	CHECK_INT(store_task_stop_requested(st, 1), 1);
	store_close(st);
}

/* ---- delete ---- */

static void
delete_active_is_409_still_active(void)
{
	struct store	*st = open_db();
	struct runner_ref ref;
	struct hg_err	 e;
	cJSON		*t = NULL;

	create(st, "count", "queued");
	create(st, "count", "running");
	create(st, "count", "stopping");
	claim(st, 2, 100);
	claim(st, 3, 101);
	CHECK_INT(store_task_stop(st, 3, &t, &ref, &e), 0);
	cJSON_Delete(t);
	memset(&e, 0, sizeof(e));
	CHECK_INT(store_task_delete(st, 1, &e), -1);
	CHECK_INT(e.status, 409);
	CHECK_STR(e.code, "still_active");
	memset(&e, 0, sizeof(e));
	CHECK_INT(store_task_delete(st, 2, &e), -1);
	CHECK_INT(e.status, 409);
	CHECK_STR(e.code, "still_active");
	memset(&e, 0, sizeof(e));
	CHECK_INT(store_task_delete(st, 3, &e), -1);
	CHECK_INT(e.status, 409);
	CHECK_STR(e.code, "still_active");
	CHECK_STR(list_ids(st, NULL, NULL, 0, 50), "3,2,1");
	store_close(st);
}

static void
delete_finished_removes_task_and_events(void)
{
	struct store	*st = open_db();
	struct progress	 p = { 1, 2, NULL };
	struct hg_err	 e;
	struct evs	 l;
	cJSON		*t = NULL;

	create(st, "count", "gone");
	create(st, "count", "kept");
	claim(st, 1, 100);
	CHECK_INT(store_task_progress(st, 1, &p, &e), 0);
	CHECK_INT(finish(st, 1, "succeeded"), 0);
	CHECK_INT(evs_read(st, 0, 1, &l), 4);
	evs_free(&l);
	CHECK_INT(store_task_delete(st, 1, &e), 0);
	memset(&e, 0, sizeof(e));
	CHECK_INT(store_task_get(st, 1, &t, &e), -1);
	CHECK_INT(e.status, 404);
	CHECK_INT(evs_read(st, 0, 1, &l), 0);
	evs_free(&l);
	/* The other task and its event are still there. */
	CHECK_INT(evs_read(st, 0, 0, &l), 1);
	CHECK_INT(l.v[0].task, 2);
	evs_free(&l);
	CHECK_STR(list_ids(st, NULL, NULL, 0, 50), "2");
	store_close(st);
}

static void
delete_missing_is_404_not_found(void)
{
	struct store	*st = open_db();
	struct hg_err	 e;

	memset(&e, 0, sizeof(e));
	CHECK_INT(store_task_delete(st, 1, &e), -1);
	CHECK_INT(e.status, 404);
	CHECK_STR(e.code, "not_found");
	store_close(st);
}

static void
task_ids_are_not_reused_after_delete(void)
{
	struct store	*st = open_db();
	struct hg_err	 e;
	int64_t		 first, second;

	first = create(st, "count", "a");
	CHECK_INT(finish(st, first, "succeeded"), 0);
	CHECK_INT(store_task_delete(st, first, &e), 0);
	second = create(st, "count", "b");
	CHECK(second > first);
	store_close(st);
}

/* ---- head ---- */

static void
task_head_gives_task_and_its_newest_event_id(void)
{
	struct store	*st = open_db();
	struct progress	 p = { 1, 4, NULL };
	struct hg_err	 e;
	cJSON		*t = NULL;
	int64_t		 newest = -1, mine;

	create(st, "count", "a");
	create(st, "count", "b");
	claim(st, 1, 100);
	CHECK_INT(store_task_progress(st, 1, &p, &e), 0);
	mine = event_last(st);
	claim(st, 2, 101);	/* a newer event, of another task */
	CHECK_INT(store_task_head(st, 1, &t, &newest, &e), 0);
	CHECK_INT(newest, mine);
	CHECK(newest < event_last(st));
	t = client_view(t);
	CHECK_INT(int_of(t, "id"), 1);
	CHECK_STR(str_of(t, "state"), "running");
	CHECK_INT(int_of(field(t, "progress"), "value"), 1);
	cJSON_Delete(t);
	store_close(st);
}

static void
task_head_of_missing_task_is_404(void)
{
	struct store	*st = open_db();
	struct hg_err	 e;
	cJSON		*t = NULL;
	int64_t		 newest = 0;

	memset(&e, 0, sizeof(e));
	CHECK_INT(store_task_head(st, 3, &t, &newest, &e), -1);
	CHECK(t == NULL);
	CHECK_INT(e.status, 404);
	CHECK_STR(e.code, "not_found");
	store_close(st);
}

/* ---- two connections ---- */

static void
second_connection_sees_first_ones_writes(void)
{
	struct store	*st = open_db(), *st2;
	struct progress	 p = { 3, 6, "half" };
	struct hg_err	 e;
	char		 err[512] = "";
	cJSON		*t = NULL;

	st2 = store_open(db_path(), 0, err, sizeof(err));
	CHECK(st2 != NULL);
	if (st2 == NULL) {
		store_close(st);
		return;
	}
	/* Read first, so that a snapshot held open would show. */
	CHECK_INT(store_task_get(st2, 1, &t, &e), -1);
	CHECK_INT(event_last(st2), 0);
	create(st, "count", "x");
	CHECK_STR(state_of(st2, 1), "queued");
	claim(st, 1, 100);
	CHECK_INT(store_task_progress(st, 1, &p, &e), 0);
	CHECK_STR(state_of(st2, 1), "running");
	CHECK_INT(event_last(st2), event_last(st));
	CHECK_STR(list_ids(st2, "running", NULL, 0, 50), "1");
	/* And the other way round. */
	CHECK_INT(finish(st2, 1, "succeeded"), 0);
	CHECK_STR(state_of(st, 1), "succeeded");
	store_close(st2);
	store_close(st);
}

static const struct unit_test tests[] = {
	UNIT(open_with_migrate_gives_working_store),
	UNIT(open_without_migrate_refuses_unmigrated_db),
	UNIT(open_without_migrate_accepts_migrated_db),
	UNIT(open_with_migrate_twice_keeps_tasks),
	UNIT(close_accepts_null),
	UNIT(create_returns_queued_task_with_exact_keys),
	UNIT(create_without_name_gives_null_name),
	UNIT(get_returns_task_as_created),
	UNIT(get_missing_is_404_not_found),
	UNIT(list_is_newest_first),
	UNIT(list_stops_at_limit),
	UNIT(list_before_gives_lower_ids_only),
	UNIT(list_filters_by_state),
	UNIT(list_filters_by_kind),
	UNIT(list_filters_by_state_and_kind_with_before),
	UNIT(list_event_id_equals_event_last),
	UNIT(list_unless_current_builds_nothing),
	UNIT(events_read_gives_create_state_event_with_task),
	UNIT(events_read_keeps_to_after_upto_and_limit),
	UNIT(event_ids_strictly_increase),
	UNIT(event_last_does_not_go_back_after_delete),
	UNIT(claim_moves_queued_to_running),
	UNIT(claim_writes_running_state_event),
	UNIT(create_with_sched_takes_under_the_limit),
	UNIT(claim_second_time_returns_1),
	UNIT(claim_after_stop_of_queued_returns_1),
	UNIT(progress_event_has_task_value_total_percent_message),
	UNIT(progress_shows_on_task),
	UNIT(progress_with_unknown_total_has_null_percent),
	UNIT(progress_of_queued_task_writes_nothing),
	UNIT(finish_writes_final_progress_before_state_event),
	UNIT(finish_records_outcome),
	UNIT(finish_succeeded_of_stopping_task_ends_canceled),
	UNIT(finish_of_ended_task_returns_1_and_adds_no_event),
	UNIT(stop_queued_cancels_at_once),
	UNIT(stop_running_becomes_stopping_with_runner_ref),
	UNIT(stop_stopping_stays_stopping),
	UNIT(stop_finished_is_409_not_active),
	UNIT(stop_missing_is_404_not_found),
	UNIT(stop_requested_is_set_by_stop_of_running_task),
	UNIT(delete_active_is_409_still_active),
	UNIT(delete_finished_removes_task_and_events),
	UNIT(delete_missing_is_404_not_found),
	UNIT(task_ids_are_not_reused_after_delete),
	UNIT(task_head_gives_task_and_its_newest_event_id),
	UNIT(task_head_of_missing_task_is_404),
	UNIT(second_connection_sees_first_ones_writes),
};

int
main(int argc, char **argv)
{
	UNIT_MAIN(tests, argc, argv);
}
