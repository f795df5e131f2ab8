/*
 * lib/store/tasks.c: create, get and the list page, and ids that are
 * never reused. Helpers: store_test.h.
 */
#include "store/store_int.h"
#include "store_test.h"

static void
create_returns_queued_task_with_exact_keys(void)
{
	static const char *const keys[] = {
		"id", "kind", "name", "params", "state", "progress",
		"created_at", "started_at", "finished_at", "exit_code",
		"error", "result", "attempt", "attempts", "retry_at", NULL
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
	/* Without options: one attempt, nothing to retry. */
	CHECK_INT(int_of(t, "attempt"), 1);
	CHECK_INT(int_of(t, "attempts"), 1);
	CHECK(is_null(t, "retry_at"));
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

/* SQLite's machine steps the list pages with a state and a kind took
 * since the last call, whichever index they went by. */
static int
list_steps(struct store *st)
{
	static const int both[] = { S_LIST_STATE_KIND,
	    S_LIST_STATE_KIND_BY_STATE };
	size_t	 i;
	int	 n = 0;

	for (i = 0; i < sizeof(both) / sizeof(both[0]); i++)
		if (st->stmt[both[i]] != NULL)
			n += sqlite3_stmt_status(st->stmt[both[i]],
			    SQLITE_STMTSTATUS_VM_STEP, 1);
	return n;
}

/*
 * With a state and a kind, the page goes by the index of whichever holds
 * fewer tasks (the kept counts): two failed among 3,002 of their kind,
 * and two of a kind among 3,002 succeeded, each a few steps of SQLite's
 * machine; by the kind's index the first read all 3,002.
 */
static void
list_by_state_and_kind_reads_the_fewer(void)
{
	static const char fill[] =
	    "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n "
	    "WHERE x < 3004) INSERT INTO tasks (kind, params, state, "
	    "created_at, finished_at) SELECT CASE WHEN x IN (10, 20) THEN "
	    "'rare' ELSE 'count' END, '{}', CASE WHEN x IN (1000, 2000) "
	    "THEN 'failed' ELSE 'succeeded' END, 1, 2 FROM n;";
	struct store	*st = open_db();

	CHECK_INT(sqlite3_exec(st->db, fill, NULL, NULL, NULL), SQLITE_OK);
	CHECK_STR(list_ids(st, "failed", "count", 0, 50), "2000,1000");
	(void)list_steps(st);
	CHECK_STR(list_ids(st, "failed", "count", 0, 50), "2000,1000");
	CHECK(list_steps(st) < 500);
	CHECK_STR(list_ids(st, "succeeded", "rare", 0, 50), "20,10");
	(void)list_steps(st);
	CHECK_STR(list_ids(st, "succeeded", "rare", 0, 50), "20,10");
	CHECK(list_steps(st) < 500);
	store_close(st);
}

/*
 * A list by state, one state and then another (a page's tabs): the
 * statement, its state bound, was compiled again at each change of the
 * value, its planner having looked at it to tell whether a partial
 * index fits. It is compiled once.
 */
static void
list_by_state_is_compiled_once(void)
{
	struct store	*st = open_db();

	create(st, "count", NULL);
	create(st, "count", NULL);
	claim(st, 1, 101);
	CHECK_STR(list_ids(st, "running", NULL, 0, 50), "1");
	(void)recompiled(st);
	CHECK_STR(list_ids(st, "queued", NULL, 0, 50), "2");
	CHECK_STR(list_ids(st, "running", NULL, 0, 50), "1");
	CHECK_STR(list_ids(st, "succeeded", NULL, 0, 50), "");
	CHECK_INT(recompiled(st), 0);
	store_close(st);
}

static const struct unit_test tests[] = {
	UNIT(list_by_state_is_compiled_once),
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
	UNIT(list_by_state_and_kind_reads_the_fewer),
	UNIT(list_event_id_equals_event_last),
	UNIT(list_unless_current_builds_nothing),
	UNIT(task_ids_are_not_reused_after_delete),
};

int
main(int argc, char **argv)
{
	UNIT_MAIN(tests, argc, argv);
}
