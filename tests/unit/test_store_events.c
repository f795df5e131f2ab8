/*
 * lib/store/events.c: the event stream a client reads, the newest event
 * id, and the head of a task's stream. Helpers: store_test.h.
 */
#include <sqlite3.h>

#include "store_test.h"

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

/* A state event whose state this build does not know (a newer build's
 * row, say) goes out with no state, and the events after it still come:
 * a stream must never stop at one row. */
static void
events_read_passes_an_unknown_state(void)
{
	struct store	*st = open_db();
	struct hg_err	 e;
	struct evs	 l;
	cJSON		*t = NULL;
	sqlite3		*db;

	CHECK_INT(store_task_create(st, "count", "x", PARAMS, &t, &e), 0);
	cJSON_Delete(t);
	CHECK_INT(sqlite3_open(db_path(), &db), SQLITE_OK);
	CHECK_INT(sqlite3_exec(db, "INSERT INTO events (task_id, type, "
	    "state, data) VALUES (1, 'state', 'paused', '{}')", NULL, NULL,
	    NULL), SQLITE_OK);
	sqlite3_close(db);
	t = NULL;
	CHECK_INT(store_task_create(st, "count", "y", PARAMS, &t, &e), 0);
	cJSON_Delete(t);
	CHECK_INT(evs_read(st, 0, 0, &l), 3);
	CHECK_STR(l.v[1].type, "state");
	CHECK_STR(l.v[1].state, "");
	CHECK_STR(l.v[1].data, "{}");
	CHECK_STR(l.v[2].state, "queued");
	CHECK_INT(l.v[2].task, 2);
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
	/* What is left is the 'deleted' event, newer than the rest. */
	CHECK_INT(event_last(st), before + 1);
	create(st, "count", "b");
	CHECK_INT(evs_read(st, 0, 0, &l), 2);
	CHECK_STR(l.v[0].type, "deleted");
	CHECK_STR(l.v[0].data, "{\"task\":1}");
	CHECK(l.v[0].id > before);
	CHECK(l.v[1].id > l.v[0].id);
	evs_free(&l);
	store_close(st);
}

/* ---- claim ---- */

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

static const struct unit_test tests[] = {
	UNIT(events_read_gives_create_state_event_with_task),
	UNIT(events_read_passes_an_unknown_state),
	UNIT(events_read_keeps_to_after_upto_and_limit),
	UNIT(event_ids_strictly_increase),
	UNIT(event_last_does_not_go_back_after_delete),
	UNIT(task_head_gives_task_and_its_newest_event_id),
	UNIT(task_head_of_missing_task_is_404),
};

int
main(int argc, char **argv)
{
	UNIT_MAIN(tests, argc, argv);
}
