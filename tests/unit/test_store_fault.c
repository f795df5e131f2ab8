/*
 * lib/store under allocation failure, the way SQLite's *fault.test files
 * do it: run an operation with the Nth allocation failing, N = 1, 2, 3,
 * ... until a run no longer reaches N. Every run must end in success
 * with the whole result, or in a clean error (-1 or NULL, 503
 * unavailable, nothing half written); it must never crash, and under the
 * sanitizer build never leak (each test is a child process that
 * LeakSanitizer checks as it exits).
 *
 * Two allocators are failed, one at a time: cJSON's, through
 * cJSON_InitHooks() (the store builds every task object and state event
 * with cJSON), and SQLite's, through SQLITE_CONFIG_MALLOC. The library's
 * own malloc and calloc are not hooked. Each loop runs twice: with one
 * failure ("each") and with every allocation failing from the Nth on
 * ("for good"), as SQLite's tests do.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "json.h"
#include "objcache.h"
#include "store.h"
#include "unit.h"

#define FAULT_MAX	100000	/* runs before giving up on a loop */

static long	fault_n;	/* the call that fails; 0: none */
static long	fault_calls;
static int	fault_persist;	/* every call from the Nth on fails */
static int	fault_hit;	/* a call failed in this run */

/*
 * Ends a loop at its first failing run, naming the allocation, so that
 * one fault does not print a line for every later N.
 */
#define FAULT_STOP_AT_FIRST_FAILURE(before, n)				\
	if (unit_failures > (before)) {					\
		printf("  first failure with allocation %ld failing%s\n",	\
		    (n), fault_persist ? " and all after it" : "");	\
		break;							\
	}

static int
fault_now(void)
{
	fault_calls++;
	if (fault_n > 0 && (fault_calls == fault_n ||
	    (fault_persist && fault_calls > fault_n))) {
		fault_hit = 1;
		return 1;
	}
	return 0;
}

/* Arms the fault: call n fails (and every later one if persist). */
static void
fault_arm(long n, int persist)
{
	fault_n = n;
	fault_calls = 0;
	fault_persist = persist;
	fault_hit = 0;
}

/* Disarms it; fault_hit stays as the run left it. */
static void
fault_disarm(void)
{
	fault_n = 0;
}

static void *
json_malloc(size_t n)
{
	return fault_now() ? NULL : malloc(n);
}

static void
json_faults_on(long n, int persist)
{
	cJSON_Hooks	 h = { json_malloc, free };

	fault_arm(n, persist);
	cJSON_InitHooks(&h);
}

static void
json_faults_off(void)
{
	cJSON_InitHooks(NULL);	/* back to malloc, free and realloc */
	fault_disarm();
}

static sqlite3_mem_methods	sql_default;

static void *
sql_malloc(int n)
{
	return fault_now() ? NULL : sql_default.xMalloc(n);
}

static void *
sql_realloc(void *p, int n)
{
	return fault_now() ? NULL : sql_default.xRealloc(p, n);
}

/* Routes SQLite's allocations through fault_now(); disarmed until
 * fault_arm(). Needs no connection open. */
static void
sql_faults_install(void)
{
	sqlite3_mem_methods	 m;

	fault_arm(0, 0);
	if (sqlite3_shutdown() != SQLITE_OK ||
	    sqlite3_config(SQLITE_CONFIG_GETMALLOC, &sql_default) !=
	    SQLITE_OK)
		abort();
	m = sql_default;
	m.xMalloc = sql_malloc;
	m.xRealloc = sql_realloc;
	if (sqlite3_config(SQLITE_CONFIG_MALLOC, &m) != SQLITE_OK ||
	    sqlite3_initialize() != SQLITE_OK)
		abort();
}

/* Puts SQLite's own allocator back; every connection must be closed. */
static void
sql_faults_remove(void)
{
	fault_disarm();
	CHECK_INT(sqlite3_shutdown(), SQLITE_OK);
	CHECK_INT(sqlite3_config(SQLITE_CONFIG_MALLOC, &sql_default),
	    SQLITE_OK);
	CHECK_INT(sqlite3_initialize(), SQLITE_OK);
}

/* ---- helpers, used with no fault armed ---- */

static char	 dbpath[4200];

static struct store *
open_db(int migrate)
{
	char		 err[512] = "";
	struct store	*st;

	snprintf(dbpath, sizeof(dbpath), "%s/hourglass.db", unit_dir);
	if ((st = store_open(dbpath, migrate, err, sizeof(err))) == NULL) {
		unit_fail(__FILE__, __LINE__, err);
		exit(1);
	}
	return st;
}

/* The "id" of a task: raw text as the store builds it, a number once
 * parsed again; -1 if absent. */
static int64_t
id_of(const cJSON *t)
{
	const cJSON	*id = cJSON_GetObjectItemCaseSensitive(t, "id");

	if (cJSON_IsRaw(id))
		return strtoll(id->valuestring, NULL, 10);
	if (cJSON_IsNumber(id))
		return (int64_t)id->valuedouble;
	return -1;
}

/* Task id printed as stored (caller frees), or NULL. */
static char *
task_text(struct store *st, int64_t id)
{
	struct hg_err	 e;
	cJSON		*t = NULL;
	char		*s;

	if (store_task_get(st, id, &t, &e) != 0)
		return NULL;
	s = json_print(t);
	cJSON_Delete(t);
	return s;
}

/* Number of tasks, or -1. */
static int
tasks_count(struct store *st)
{
	struct task_filter	 f = { 0, NULL, 0, HG_LIST_MAX, 0 };
	struct hg_err		 e;
	cJSON			*out;
	char			*text = NULL;
	size_t			 len;
	int64_t			 last;
	int			 n;

	if (store_task_list(st, &f, &text, &len, &last, &e) != 0) {
		printf("  store_task_list: %d %s: %s\n", e.status, e.code,
		    e.msg);
		return -1;
	}
	out = json_parse(text, len, &e);
	free(text);
	if (out == NULL) {
		printf("  store_task_list: %s\n", e.msg);
		return -1;
	}
	n = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(out,
	    "tasks"));
	cJSON_Delete(out);
	return n;
}

static int64_t
event_last(struct store *st)
{
	int64_t	 id = -1;

	CHECK_INT(store_event_last(st, &id), 0);
	return id;
}

/* Checks that a state event holds the whole task object (12 keys). */
static int
state_event_whole(void *arg, const struct event *ev)
{
	struct hg_err	 e;
	cJSON		*d;

	(void)arg;
	if (strcmp(ev->type, "state") != 0)
		return 0;
	d = json_parse(ev->data, ev->len, &e);
	CHECK(d != NULL);
	CHECK_INT(cJSON_GetArraySize(d), 15);
	CHECK(id_of(d) == ev->task);
	cJSON_Delete(d);
	return 0;
}

/* ---- cJSON failing ---- */

static void
create_loop(int persist)
{
	struct store	*st = open_db(1);
	struct hg_err	 e;
	cJSON		*t;
	char		*got, *want;
	int64_t		 ev;
	long		 n;
	int		 rc, before, f0 = unit_failures;

	for (n = 1; n < FAULT_MAX; n++) {
		before = tasks_count(st);
		ev = event_last(st);
		memset(&e, 0, sizeof(e));
		t = NULL;
		json_faults_on(n, persist);
		rc = store_task_create(st, "count", "n", "{\"total\":3}", &t,
		    &e);
		json_faults_off();
		if (rc == 0) {
			/* Success: the whole task, as stored, and a whole
			 * state event. */
			CHECK(t != NULL && cJSON_GetArraySize(t) == 15);
			got = json_print(t);
			want = task_text(st, id_of(t));
			CHECK_STR(got, want);
			CHECK_INT(tasks_count(st), before + 1);
			CHECK_INT(store_events_read(st, ev, 0, 0, 100,
			    state_event_whole, NULL), 1);
			free(got);
			free(want);
			cJSON_Delete(t);
		} else {
			/* Failure: 503, and nothing written. */
			CHECK_INT(rc, -1);
			CHECK(fault_hit);
			CHECK_INT(e.status, 503);
			CHECK_STR(e.code, "unavailable");
			CHECK_INT(tasks_count(st), before);
			CHECK_INT(event_last(st), ev);
		}
		FAULT_STOP_AT_FIRST_FAILURE(f0, n);
		if (!fault_hit)
			break;
	}
	CHECK(n < FAULT_MAX);
	CHECK(n > 1);
	store_close(st);
}

static void
create_survives_each_cjson_allocation_failing(void)
{
	create_loop(0);
}

static void
create_survives_cjson_allocations_failing_for_good(void)
{
	create_loop(1);
}

/*
 * The same runs checked for one thing only: no crash, and -1 comes with
 * a 503. The loops above stop at their first failed check, which can
 * come before an allocation whose failure crashes.
 */
static void
create_does_not_crash_when_any_cjson_allocation_fails(void)
{
	struct store	*st = open_db(1);
	struct hg_err	 e;
	cJSON		*t;
	long		 n;
	int		 rc, f0 = unit_failures;

	for (n = 1; n < FAULT_MAX; n++) {
		memset(&e, 0, sizeof(e));
		t = NULL;
		json_faults_on(n, 0);
		rc = store_task_create(st, "count", "n", "{\"total\":3}", &t,
		    &e);
		json_faults_off();
		CHECK(rc == 0 || (rc == -1 && e.status == 503));
		cJSON_Delete(t);
		FAULT_STOP_AT_FIRST_FAILURE(f0, n);
		if (!fault_hit)
			break;
	}
	CHECK(n < FAULT_MAX);
	CHECK(n > 1);
	store_close(st);
}

static void
get_loop(int persist)
{
	struct store	*st = open_db(1);
	struct hg_err	 e;
	cJSON		*t = NULL;
	char		*got, *want;
	int64_t		 id;
	long		 n;
	int		 rc, f0 = unit_failures;

	CHECK_INT(store_task_create(st, "count", "n", "{\"total\":3}", &t,
	    &e), 0);
	id = id_of(t);
	cJSON_Delete(t);
	want = task_text(st, id);
	for (n = 1; n < FAULT_MAX; n++) {
		memset(&e, 0, sizeof(e));
		t = NULL;
		json_faults_on(n, persist);
		rc = store_task_get(st, id, &t, &e);
		json_faults_off();
		if (rc == 0) {
			got = json_print(t);
			CHECK_STR(got, want);
			free(got);
			cJSON_Delete(t);
		} else {
			CHECK_INT(rc, -1);
			CHECK(fault_hit);
			CHECK_INT(e.status, 503);
			CHECK_STR(e.code, "unavailable");
		}
		FAULT_STOP_AT_FIRST_FAILURE(f0, n);
		if (!fault_hit)
			break;
	}
	CHECK(n < FAULT_MAX);
	CHECK(n > 1);
	free(want);
	store_close(st);
}

static void
get_survives_each_cjson_allocation_failing(void)
{
	get_loop(0);
}

static void
get_survives_cjson_allocations_failing_for_good(void)
{
	get_loop(1);
}

static void
stop_loop(int persist)
{
	struct store		*st = open_db(1);
	struct runner_ref	 ref;
	struct hg_err		 e;
	cJSON			*t;
	char			*got, *want, *kind, *params;
	int64_t			 id, ev;
	long			 n;
	int			 rc, f0 = unit_failures;

	for (n = 1; n < FAULT_MAX; n++) {
		/* A fresh running task for each run. */
		t = NULL;
		CHECK_INT(store_task_create(st, "count", NULL, "{}", &t, &e),
		    0);
		id = id_of(t);
		cJSON_Delete(t);
		CHECK_INT(store_task_claim(st, id, 42, 43, &kind, &params,
		    NULL, NULL, &e), 0);
		free(kind);
		free(params);
		ev = event_last(st);
		memset(&e, 0, sizeof(e));
		t = NULL;
		json_faults_on(n, persist);
		rc = store_task_stop(st, id, &t, &ref, &e);
		json_faults_off();
		want = task_text(st, id);
		if (rc == 0) {
			got = json_print(t);
			CHECK_STR(got, want);
			CHECK_HAS(want, "\"state\":\"stopping\"");
			CHECK_INT(ref.pid, 42);
			CHECK_INT(store_events_read(st, ev, 0, id, 100,
			    state_event_whole, NULL), 1);
			free(got);
			cJSON_Delete(t);
		} else {
			CHECK_INT(rc, -1);
			CHECK(fault_hit);
			CHECK_INT(e.status, 503);
			/* Nothing half done: still running, no event. */
			CHECK_HAS(want, "\"state\":\"running\"");
			CHECK_INT(event_last(st), ev);
		}
		free(want);
		FAULT_STOP_AT_FIRST_FAILURE(f0, n);
		if (!fault_hit)
			break;
	}
	CHECK(n < FAULT_MAX);
	CHECK(n > 1);
	store_close(st);
}

static void
stop_survives_each_cjson_allocation_failing(void)
{
	stop_loop(0);
}

static void
stop_survives_cjson_allocations_failing_for_good(void)
{
	stop_loop(1);
}

/* ---- SQLite failing ---- */

static void
open_loop(int persist)
{
	char		 err[512];
	struct store	*st;
	long		 n;
	int		 f0 = unit_failures;

	sql_faults_install();
	snprintf(dbpath, sizeof(dbpath), "%s/hourglass.db", unit_dir);
	/*
	 * Each failed open rolls every migration back, so the next one
	 * starts over: trying every allocation would cost the square of
	 * their number. Every one of the first 256 is tried, then a
	 * growing stride (about 64 tries per doubling) reaches the end.
	 */
	for (n = 1; n < FAULT_MAX; n += n < 256 ? 1 : n / 64) {
		err[0] = '\0';
		fault_arm(n, persist);
		st = store_open(dbpath, 1, err, sizeof(err));
		fault_disarm();
		if (st != NULL)
			CHECK_INT(store_ping(st), 0);
		else {
			CHECK(fault_hit);
			CHECK(err[0] != '\0');
		}
		store_close(st);
		FAULT_STOP_AT_FIRST_FAILURE(f0, n);
		if (!fault_hit)
			break;
	}
	CHECK(n < FAULT_MAX);
	CHECK(n > 1);
	/* Whatever failed on the way, the file is usable afterwards. */
	st = store_open(dbpath, 0, err, sizeof(err));
	CHECK(st != NULL);
	if (st == NULL)
		unit_fail(__FILE__, __LINE__, err);
	store_close(st);
	sql_faults_remove();
}

static void
open_survives_each_sqlite_allocation_failing(void)
{
	open_loop(0);
}

static void
open_survives_sqlite_allocations_failing_for_good(void)
{
	open_loop(1);
}

static void
sql_create_loop(int persist)
{
	struct store	*st;
	struct hg_err	 e;
	cJSON		*t;
	int64_t		 ev;
	long		 n;
	int		 rc, before, f0 = unit_failures;

	sql_faults_install();
	st = open_db(1);
	for (n = 1; n < FAULT_MAX; n++) {
		before = tasks_count(st);
		ev = event_last(st);
		memset(&e, 0, sizeof(e));
		t = NULL;
		fault_arm(n, persist);
		rc = store_task_create(st, "count", NULL, "{\"total\":3}", &t,
		    &e);
		fault_disarm();
		if (rc == 0) {
			CHECK(t != NULL && cJSON_GetArraySize(t) == 15);
			CHECK_INT(tasks_count(st), before + 1);
			CHECK(event_last(st) > ev);
			cJSON_Delete(t);
		} else {
			CHECK_INT(rc, -1);
			CHECK(fault_hit);
			CHECK_INT(e.status, 503);
			CHECK_STR(e.code, "unavailable");
			CHECK_INT(tasks_count(st), before);
			CHECK_INT(event_last(st), ev);
		}
		FAULT_STOP_AT_FIRST_FAILURE(f0, n);
		if (!fault_hit)
			break;
	}
	CHECK(n < FAULT_MAX);
	CHECK(n > 1);
	/* The connection still works after all those failures. */
	t = NULL;
	CHECK_INT(store_task_create(st, "count", NULL, "{}", &t, &e), 0);
	cJSON_Delete(t);
	store_close(st);
	sql_faults_remove();
}

static void
create_survives_each_sqlite_allocation_failing(void)
{
	sql_create_loop(0);
}

static void
create_survives_sqlite_allocations_failing_for_good(void)
{
	sql_create_loop(1);
}

/*
 * A batch of log lines, data items and a result with each SQLite
 * allocation failing in turn: all of it is written, or none of it (503),
 * and the connection still works.
 */
static void
sql_output_loop(int persist)
{
	struct store	*st;
	struct hg_err	 e;
	struct logline	 v[4] = {
		{ "stdout", "a line", NULL, 0 },
		{ "stdout", "{\"x\":1}", "row", 7 },
		{ "stdout", "[1,2]", "row", 5 },
		{ "stdout", "null", "data", 4 },
	};
	struct task_output o = { .v = v, .n = 4, .data_max = 1 << 20 };
	char		*kind = NULL, *params = NULL, result[32];
	cJSON		*t = NULL;
	int64_t		 ev;
	long		 n;
	int		 rc, f0 = unit_failures;

	sql_faults_install();
	st = open_db(1);
	CHECK_INT(store_task_create(st, "count", NULL, "{}", &t, &e), 0);
	cJSON_Delete(t);
	CHECK_INT(store_task_claim(st, 1, 100, 1100, &kind, &params, NULL,
	    NULL, &e), 0);
	free(kind);
	free(params);
	for (n = 1; n < FAULT_MAX; n++) {
		ev = event_last(st);
		snprintf(result, sizeof(result), "%ld", n);
		o.result = result;
		memset(&e, 0, sizeof(e));
		fault_arm(n, persist);
		rc = store_task_output(st, 1, &o, &e);
		fault_disarm();
		if (rc == 0)	/* 1 log, 3 data, 1 state for the result */
			CHECK_INT(event_last(st), ev + 5);
		else {
			CHECK_INT(rc, -1);
			CHECK(fault_hit);
			CHECK_INT(e.status, 503);
			CHECK_INT(event_last(st), ev);
		}
		FAULT_STOP_AT_FIRST_FAILURE(f0, n);
		if (!fault_hit)
			break;
	}
	CHECK(n < FAULT_MAX);
	CHECK(n > 1);
	o.result = NULL;
	ev = event_last(st);
	CHECK_INT(store_task_output(st, 1, &o, &e), 0);
	CHECK_INT(event_last(st), ev + 4);
	store_close(st);
	sql_faults_remove();
}

static void
output_survives_each_sqlite_allocation_failing(void)
{
	sql_output_loop(0);
}

static void
output_survives_sqlite_allocations_failing_for_good(void)
{
	sql_output_loop(1);
}

/* The whole list page read through st (caller frees), or NULL with e
 * set. */
static char *
list_text(struct store *st, struct hg_err *e)
{
	struct task_filter	 f = { 0, NULL, 0, 20, 0 };
	char			*text = NULL;
	size_t			 len;
	int64_t			 last;

	memset(e, 0, sizeof(*e));
	return store_task_list(st, &f, &text, &len, &last, e) == 0 ? text :
	    NULL;
}

/*
 * List pages through a store that keeps tasks' objects (objcache.h),
 * with each SQLite allocation failing in turn: a page read whole into
 * an empty cache; then, the cache filled without a fault, a page after
 * one task changed, which reads the new events, the ids and that
 * task's row. Each is the page a store that keeps nothing reads, or a
 * clean 503; and whatever failed, the next page without faults is
 * right.
 */
static void
sql_list_kept_loop(int persist)
{
	struct store	*st, *plain;
	struct objcache	*c;
	struct progress	 p = { 0, 1000, NULL };
	struct hg_err	 e;
	cJSON		*t = NULL;
	char		*kind = NULL, *params = NULL, *want, *got;
	long		 n;
	int		 k, hit, f0 = unit_failures;

	sql_faults_install();
	st = open_db(1);
	plain = open_db(0);
	/* Running: a queued task's object is never kept. */
	for (k = 1; k <= 30; k++) {
		CHECK_INT(store_task_create(st, "count", NULL, "{}", &t, &e),
		    0);
		cJSON_Delete(t);
		CHECK_INT(store_task_claim(st, k, 100, 1100, &kind, &params,
		    NULL, NULL, &e), 0);
		free(kind);
		free(params);
	}
	for (n = 1; n < FAULT_MAX; n++) {
		c = objcache_new();
		store_keep_objects(st, c);
		for (k = hit = 0; k < 2; k++) {
			/* The second page finds the cache filled. */
			if (k == 1 && objcache_empty(c))
				free(list_text(st, &e));
			CHECK(k == 0 || !objcache_empty(c));
			p.value = (double)(n * 2 + k);
			CHECK_INT(store_task_progress(plain, 25, &p, &e), 0);
			want = list_text(plain, &e);
			fault_arm(n, persist);
			got = list_text(st, &e);
			fault_disarm();
			hit |= fault_hit;
			if (got != NULL)
				CHECK_STR(got, want);
			else {
				CHECK(fault_hit);
				CHECK_INT(e.status, 503);
				CHECK_STR(e.code, "unavailable");
			}
			free(got);
			free(want);
		}
		want = list_text(plain, &e);
		got = list_text(st, &e);
		CHECK(got != NULL && want != NULL && strcmp(got, want) == 0);
		free(got);
		free(want);
		store_keep_objects(st, NULL);
		objcache_free(c);
		FAULT_STOP_AT_FIRST_FAILURE(f0, n);
		if (!hit)
			break;
	}
	CHECK(n < FAULT_MAX);
	CHECK(n > 1);
	store_close(st);
	store_close(plain);
	sql_faults_remove();
}

static void
list_kept_survives_each_sqlite_allocation_failing(void)
{
	sql_list_kept_loop(0);
}

static void
list_kept_survives_sqlite_allocations_failing_for_good(void)
{
	sql_list_kept_loop(1);
}

/* Creates a task of count after task parent (0: none); returns its id. */
static int64_t
create_after(struct store *st, int64_t parent)
{
	struct create_opts	 o = { .idem_key = NULL };
	struct hg_err		 e;
	cJSON			*t = NULL;
	int64_t			 id;

	o.after = &parent;
	o.nafter = parent > 0;
	CHECK_INT(store_task_create_opts(st, "count", NULL, "{}", &o, &t,
	    &e), 0);
	id = id_of(t);
	cJSON_Delete(t);
	return id;
}

/* Webhook deliveries written, read on a connection of its own (faults
 * disarmed), or -1. */
static int64_t
hooks_count(void)
{
	sqlite3		*db;
	sqlite3_stmt	*s = NULL;
	int64_t		 n = -1;

	if (sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READONLY, NULL) ==
	    SQLITE_OK && sqlite3_prepare_v2(db, "SELECT count(*) FROM "
	    "webhook_deliveries", -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return n;
}

/* store_task_finish of id with o, the nth of SQLite's allocations
 * failing (sql) or of cJSON's. */
static int
finish_faulted(struct store *st, int64_t id, const struct outcome *o,
    struct hg_err *e, int sql, long n, int persist)
{
	int	 rc;

	if (sql)
		fault_arm(n, persist);
	else
		json_faults_on(n, persist);
	rc = store_task_finish(st, id, NULL, o, e);
	if (sql)
		fault_disarm();
	else
		json_faults_off();
	return rc;
}

/*
 * A parent that fails with two levels of tasks waiting for it, with each
 * allocation (cJSON's or SQLite's) failing in turn: the parent's end and
 * both cancels are written, or none of them (503), and the connection
 * still works. With hooks, the three webhook deliveries are written
 * with them, or none.
 */
static void
cascade_loop(int sql, int persist, int hooks)
{
	struct outcome	 o = { TASK_FAILED, 1, 3, "exit_code", "exit 3", 0,
			    NULL, NULL, NULL, NULL, NULL };
	struct store	*st;
	struct hg_err	 e;
	char		*kind, *params, *ta, *tc;
	int64_t		 a, c, ev;
	long		 n;
	int64_t		 nhooks;
	int		 rc, f0 = unit_failures;

	if (sql)
		sql_faults_install();
	st = open_db(1);
	CHECK_INT(store_hook_enable(st, hooks, &e), 0);
	for (n = 1; n < FAULT_MAX; n++) {
		a = create_after(st, 0);
		c = create_after(st, create_after(st, a));
		CHECK_INT(store_task_claim(st, a, 42, 43, &kind, &params,
		    NULL, NULL, &e), 0);
		free(kind);
		free(params);
		ev = event_last(st);
		nhooks = hooks_count();
		memset(&e, 0, sizeof(e));
		rc = finish_faulted(st, a, &o, &e, sql, n, persist);
		ta = task_text(st, a);
		tc = task_text(st, c);
		if (rc == 0) {
			CHECK_HAS(ta, "\"state\":\"failed\"");
			CHECK_HAS(tc, "\"state\":\"canceled\"");
			CHECK_HAS(tc, "dependency_failed");
			CHECK_INT(event_last(st), ev + 3);
			CHECK_INT(hooks_count(), nhooks + (hooks ? 3 : 0));
		} else {
			CHECK_INT(rc, -1);
			CHECK(fault_hit);
			CHECK_INT(e.status, 503);
			CHECK_HAS(ta, "\"state\":\"running\"");
			CHECK_HAS(tc, "\"state\":\"queued\"");
			CHECK_HAS(tc, "\"waiting_for\":[");
			CHECK_INT(event_last(st), ev);
			CHECK_INT(hooks_count(), nhooks);
			/* Ends it, so the next run starts clean. */
			CHECK_INT(store_task_finish(st, a, NULL, &o, &e), 0);
		}
		free(ta);
		free(tc);
		FAULT_STOP_AT_FIRST_FAILURE(f0, n);
		if (!fault_hit)
			break;
	}
	CHECK(n < FAULT_MAX);
	CHECK(n > 1);
	store_close(st);
	if (sql)
		sql_faults_remove();
}

/*
 * An end that also takes the next queued task for its runner, with each
 * allocation failing in turn: the end is recorded with the next taken
 * (running, the runner's), or with the next left to the runner host
 * (queued, in the ids) when only its claim failed, or not at all (503:
 * the end still running, the next queued, nothing taken or handed on).
 */
static void
chain_loop(int sql)
{
	struct runner_ref	 self = { 42, 43 }, ref;
	struct claim		 next = { 0, NULL, NULL, 0, 0 };
	int64_t			 ids[4], a, b;
	struct sched		 sc = { 4, NULL, NULL, ids, 4, 0, 0, NULL };
	struct outcome		 o = { TASK_SUCCEEDED, 1, 0, NULL, NULL, 0,
				    NULL, NULL, &sc, &self, &next };
	struct outcome		 plain = { TASK_SUCCEEDED, 1, 0, NULL, NULL,
				    0, NULL, NULL, NULL, NULL, NULL };
	struct store		*st;
	struct hg_err		 e;
	char			*kind, *params, *ta, *tb;
	cJSON			*t;
	long			 n;
	int			 rc, taken = 0, left = 0, f0 = unit_failures;

	if (sql)
		sql_faults_install();
	st = open_db(1);
	for (n = 1; n < FAULT_MAX; n++) {
		a = create_after(st, 0);
		b = create_after(st, 0);
		CHECK_INT(store_task_claim(st, a, 42, 43, &kind, &params,
		    NULL, NULL, &e), 0);
		free(kind);
		free(params);
		memset(&e, 0, sizeof(e));
		rc = finish_faulted(st, a, &o, &e, sql, n, 0);
		ta = task_text(st, a);
		tb = task_text(st, b);
		if (rc == 0 && next.id != 0) {
			taken++;
			CHECK_HAS(ta, "\"state\":\"succeeded\"");
			CHECK_INT(next.id, b);
			CHECK_HAS(tb, "\"state\":\"running\"");
			CHECK_INT(sc.n, 0);
		} else if (rc == 0) {
			left++;
			CHECK_HAS(ta, "\"state\":\"succeeded\"");
			CHECK_HAS(tb, "\"state\":\"queued\"");
			CHECK_INT(sc.n, 1);
			CHECK_INT(sc.n == 1 ? ids[0] : 0, b);
		} else {
			CHECK_INT(rc, -1);
			CHECK(fault_hit);
			CHECK_INT(e.status, 503);
			CHECK_INT(next.id, 0);
			CHECK_INT(sc.n, 0);
			CHECK_HAS(ta, "\"state\":\"running\"");
			CHECK_HAS(tb, "\"state\":\"queued\"");
			CHECK_INT(store_task_finish(st, a, NULL, &plain, &e), 0);
		}
		free(ta);
		free(tb);
		/* b ended, so that the next run starts clean. */
		claim_free(&next);
		t = NULL;
		CHECK_INT(store_task_stop(st, b, &t, &ref, &e), 0);
		cJSON_Delete(t);
		if (store_task_finish(st, b, NULL, &plain, &e) == -1)
			CHECK(0);
		FAULT_STOP_AT_FIRST_FAILURE(f0, n);
		if (!fault_hit)
			break;
	}
	CHECK(n < FAULT_MAX);
	CHECK(taken > 0);
	/* A cJSON failure in the claim alone leaves the end to commit. */
	if (!sql)
		CHECK(left > 0);
	store_close(st);
	if (sql)
		sql_faults_remove();
}

static void
chain_survives_each_cjson_allocation_failing(void)
{
	chain_loop(0);
}

static void
chain_survives_each_sqlite_allocation_failing(void)
{
	chain_loop(1);
}

static void
cascade_survives_each_cjson_allocation_failing(void)
{
	cascade_loop(0, 0, 0);
}

static void
cascade_survives_each_sqlite_allocation_failing(void)
{
	cascade_loop(1, 0, 0);
}

static void
cascade_survives_sqlite_allocations_failing_for_good(void)
{
	cascade_loop(1, 1, 0);
}

static void
cascade_with_webhooks_survives_each_cjson_allocation_failing(void)
{
	cascade_loop(0, 0, 1);
}

static void
cascade_with_webhooks_survives_each_sqlite_allocation_failing(void)
{
	cascade_loop(1, 0, 1);
}

static void
cascade_with_webhooks_survives_sqlite_allocations_failing_for_good(void)
{
	cascade_loop(1, 1, 1);
}

/* The hooks themselves: the Nth fails, and off means off. */
static void
faults_fail_the_nth_allocation_and_turn_off(void)
{
	cJSON	*a, *b, *c;

	json_faults_on(2, 0);
	a = cJSON_CreateObject();
	b = cJSON_CreateObject();
	c = cJSON_CreateObject();
	json_faults_off();
	CHECK(a != NULL && b == NULL && c != NULL);
	CHECK(fault_hit);
	cJSON_Delete(a);
	cJSON_Delete(c);
	a = cJSON_CreateObject();
	CHECK(a != NULL);
	cJSON_Delete(a);
}

static const struct unit_test tests[] = {
	UNIT(faults_fail_the_nth_allocation_and_turn_off),
	UNIT(output_survives_each_sqlite_allocation_failing),
	UNIT(output_survives_sqlite_allocations_failing_for_good),
	UNIT(create_survives_each_cjson_allocation_failing),
	UNIT(create_survives_cjson_allocations_failing_for_good),
	UNIT(create_does_not_crash_when_any_cjson_allocation_fails),
	UNIT(get_survives_each_cjson_allocation_failing),
	UNIT(get_survives_cjson_allocations_failing_for_good),
	UNIT(stop_survives_each_cjson_allocation_failing),
	UNIT(stop_survives_cjson_allocations_failing_for_good),
	UNIT(open_survives_each_sqlite_allocation_failing),
	UNIT(open_survives_sqlite_allocations_failing_for_good),
	UNIT(create_survives_each_sqlite_allocation_failing),
	UNIT(create_survives_sqlite_allocations_failing_for_good),
	UNIT(cascade_survives_each_cjson_allocation_failing),
	UNIT(chain_survives_each_cjson_allocation_failing),
	UNIT(chain_survives_each_sqlite_allocation_failing),
	UNIT(cascade_survives_each_sqlite_allocation_failing),
	UNIT(cascade_survives_sqlite_allocations_failing_for_good),
	UNIT(cascade_with_webhooks_survives_each_cjson_allocation_failing),
	UNIT(cascade_with_webhooks_survives_each_sqlite_allocation_failing),
	UNIT(cascade_with_webhooks_survives_sqlite_allocations_failing_for_good),
	UNIT(list_kept_survives_each_sqlite_allocation_failing),
	UNIT(list_kept_survives_sqlite_allocations_failing_for_good),
};

int
main(int argc, char **argv)
{
	UNIT_MAIN(tests, argc, argv);
}
