/*
 * lib/store/lifecycle.c: a task through its life after its create:
 * claim, progress, finish, stop and delete. Helpers: store_test.h.
 */
#include "store_test.h"

static void
claim_moves_queued_to_running(void)
{
	struct store	*st = open_db();
	struct hg_err	 e;
	char		*kind = NULL, *params = NULL;
	cJSON		*t;

	create(st, "count", "x");
	CHECK_INT(store_task_claim(st, 1, 4242, 777, &kind, &params, NULL,
	    NULL, &e), 0);
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
	CHECK_INT(store_task_claim(st, 1, 200, 1, &kind, &params, NULL, NULL,
	    &e), 1);
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
	CHECK_INT(store_task_claim(st, 1, 100, 1, &kind, &params, NULL, NULL,
	    &e), 1);
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
	struct outcome	 o = { TASK_SUCCEEDED, 1, 0, NULL, NULL, 0, NULL,
	    NULL, NULL, NULL, NULL };
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
	struct outcome	 o = { TASK_FAILED, 1, 3, "exit_status", "exit 3", 0,
	    NULL, NULL, NULL, NULL, NULL };
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
	CHECK_INT(store_task_claim(st, 1, 4242, 98765, &kind, &params, NULL,
	    NULL, &e), 0);
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
	/* All that is left of it is the event that says it is gone. */
	CHECK_INT(evs_read(st, 0, 1, &l), 1);
	CHECK_STR(l.v[0].type, "deleted");
	CHECK_STR(l.v[0].data, "{\"task\":1}");
	evs_free(&l);
	/* The other task and its event are still there. */
	CHECK_INT(evs_read(st, 0, 0, &l), 2);
	CHECK_INT(l.v[0].task, 2);
	CHECK_STR(l.v[0].type, "state");
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

static const struct unit_test tests[] = {
	UNIT(claim_moves_queued_to_running),
	UNIT(claim_writes_running_state_event),
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
};

int
main(int argc, char **argv)
{
	UNIT_MAIN(tests, argc, argv);
}
