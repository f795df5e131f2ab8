/*
 * lib/store, retries: the decision in store_task_finish, the wait before
 * the next attempt, retrying tasks queued again at their retry_at by
 * store_sched_take, the next attempt's claim, and a stop, a delete and
 * the queue's bound while retrying. Helpers: store_test.h.
 */
#include <sqlite3.h>

#include "store_test.h"
#include "taskjson.h"

#define DEFAULT_ON	"exit_code,signal,timeout,lost"

/* Creates a task whose kind has attempts - 1 retries on codes on, with
 * the delays in ms; returns its id, or ends the test. */
static int64_t
create_retry(struct store *st, int attempts, const char *on, int64_t delay,
    int64_t max)
{
	struct create_opts	 o = { .idem_key = NULL };

	o.attempts = attempts;
	o.retry_on = on;
	o.retry_delay_ms = delay;
	o.retry_delay_max_ms = max;
	return create_with(st, "count", NULL, &o);
}

/* Ends task id's attempt as state with error code (NULL: none) and an
 * exit code. Returns what store_task_finish returns. */
static int
end(struct store *st, int64_t id, const char *state, const char *code,
    int exit_code)
{
	struct outcome	 o;
	struct hg_err	 e;

	memset(&o, 0, sizeof(o));
	o.state = (enum task_state)state_parse(state);
	o.has_exit_code = strcmp(code != NULL ? code : "", "exit_code") == 0;
	o.exit_code = exit_code;
	o.error_code = code;
	o.error_message = code != NULL ? "it went wrong" : NULL;
	return store_task_finish(st, id, NULL, &o, &e);
}

/* Runs sql on a connection of its own, as another process would. */
static void
sql(const char *text)
{
	sqlite3	*db;

	CHECK_INT(sqlite3_open(db_path(), &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	CHECK_INT(sqlite3_exec(db, text, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

/* One integer that sql returns (-1: NULL or no row). */
static int64_t
sql_int(const char *text)
{
	sqlite3		*db;
	sqlite3_stmt	*s;
	int64_t		 v = -1;

	CHECK_INT(sqlite3_open(db_path(), &db), SQLITE_OK);
	CHECK_INT(sqlite3_prepare_v2(db, text, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW &&
	    sqlite3_column_type(s, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

/* Makes every retrying task due now, and runs the queue's take with
 * room for max_running; returns how many were taken. */
static int
due_and_take(struct store *st, int max_running, int *promoted)
{
	struct sched	 sc = { max_running, NULL, NULL, NULL, 8, 0, 0, NULL };
	struct hg_err	 e;
	int64_t		 ids[8];
	int		 n;

	sql("UPDATE tasks SET retry_at = 1 WHERE state = 'retrying'");
	sc.ids = ids;
	n = store_sched_take(st, &sc, &e);
	if (promoted != NULL)
		*promoted = sc.promoted;
	return n;
}

/* The counter name{kind="count"} as /api/metrics reads it. */
struct counter {
	const char	*name;
	int64_t		 value;
};

static void
counter_cb(void *arg, const char *name, const char *kind, const char *state,
    int64_t value)
{
	struct counter	*c = arg;

	(void)state;
	if (strcmp(name, c->name) == 0 && strcmp(kind, "count") == 0)
		c->value += value;
}

static int64_t
counter(struct store *st, const char *name)
{
	struct counter	 c = { name, 0 };
	struct hg_err	 e;

	CHECK_INT(store_metrics(st, counter_cb, &c, &e), 0);
	return c.value;
}

/* ---- the decision ---- */

static void
failed_attempt_with_attempts_left_is_retrying(void)
{
	struct store	*st = open_db();
	const cJSON	*err;
	struct evs	 l;
	cJSON		*t;
	int64_t		 last;

	CHECK_INT(create_retry(st, 3, DEFAULT_ON, 1000, 300000), 1);
	claim(st, 1, 100);
	last = event_last(st);
	CHECK_INT(end(st, 1, "failed", "exit_code", 3), 0);
	t = get(st, 1);
	CHECK_STR(str_of(t, "state"), "retrying");
	CHECK_INT(int_of(t, "attempt"), 1);
	CHECK_INT(int_of(t, "attempts"), 3);
	CHECK_INT(int_of(t, "exit_code"), 3);
	err = field(t, "error");
	CHECK_STR(str_of(err, "code"), "exit_code");
	CHECK_STR(str_of(err, "message"), "it went wrong");
	CHECK(is_null(t, "finished_at"));
	CHECK(str_of(t, "started_at") != NULL);
	CHECK(str_of(t, "retry_at") != NULL);
	cJSON_Delete(t);
	/* One state event, into retrying, holding the task. */
	CHECK_INT(evs_read(st, last, 1, &l), 1);
	CHECK_STR(l.v[0].state, "retrying");
	CHECK_HAS(l.v[0].data, "\"retry_at\":\"");
	evs_free(&l);
	/* Counted as a retry, not as a task that ended. */
	CHECK_INT(counter(st, "retries"), 1);
	CHECK_INT(counter(st, "finished"), 0);
	CHECK_STR(list_ids(st, "retrying", NULL, 0, 50), "1");
	store_close(st);
}

static void
each_code_of_retry_on_is_retried_and_no_other(void)
{
	static const struct {
		const char	*on, *state, *code;
		const char	*want;
	} c[] = {
		{ DEFAULT_ON, "failed", "exit_code", "retrying" },
		{ DEFAULT_ON, "failed", "signal", "retrying" },
		{ DEFAULT_ON, "failed", "timeout", "retrying" },
		{ DEFAULT_ON, "lost", "lost", "retrying" },
		{ DEFAULT_ON, "failed", "exec_failed", "failed" },
		{ DEFAULT_ON, "failed", "unknown_kind", "failed" },
		{ "exec_failed", "failed", "exec_failed", "retrying" },
		{ "timeout", "failed", "exit_code", "failed" },
		{ "timeout", "lost", "lost", "lost" },
		{ "lost,slurm", "failed", "slurm", "retrying" },
		/* A prefix of a code is not the code. */
		{ "exit_codes,signa", "failed", "exit_code", "failed" },
		{ "exit_codes,signa", "failed", "signal", "failed" },
		{ "", "failed", "exit_code", "failed" },
		/* No error, nothing to retry. */
		{ DEFAULT_ON, "succeeded", NULL, "succeeded" },
		{ DEFAULT_ON, "canceled", NULL, "canceled" },
		{ DEFAULT_ON, "failed", NULL, "failed" },
	};
	struct store	*st = open_db();
	size_t		 i;
	int64_t		 id;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		id = create_retry(st, 2, c[i].on, 1000, 300000);
		claim(st, id, 100 + (int64_t)i);
		CHECK_INT(end(st, id, c[i].state, c[i].code, 1), 0);
		if (strcmp(state_of(st, id), c[i].want) != 0) {
			fprintf(stderr, "  case %zu: retry_on \"%s\", %s %s\n",
			    i, c[i].on, c[i].state, c[i].code);
			CHECK_STR(state_of(st, id), c[i].want);
		}
	}
	store_close(st);
}

static void
task_without_retries_ends_as_before(void)
{
	struct store	*st = open_db();
	cJSON		*t;

	create(st, "count", "x");
	claim(st, 1, 100);
	CHECK_INT(end(st, 1, "lost", "lost", 0), 0);
	t = get(st, 1);
	CHECK_STR(str_of(t, "state"), "lost");
	CHECK_INT(int_of(t, "attempt"), 1);
	CHECK_INT(int_of(t, "attempts"), 1);
	CHECK(is_null(t, "retry_at"));
	cJSON_Delete(t);
	CHECK_INT(counter(st, "retries"), 0);
	CHECK_INT(counter(st, "finished"), 1);
	store_close(st);
}

static void
last_attempt_ends_as_its_outcome_says(void)
{
	struct store	*st = open_db();
	cJSON		*t;

	create_retry(st, 2, DEFAULT_ON, 1000, 300000);
	claim(st, 1, 100);
	CHECK_INT(end(st, 1, "failed", "exit_code", 3), 0);
	CHECK_INT(due_and_take(st, 4, NULL), 1);
	claim(st, 1, 101);
	CHECK_INT(end(st, 1, "failed", "signal", 0), 0);
	t = get(st, 1);
	CHECK_STR(str_of(t, "state"), "failed");
	CHECK_INT(int_of(t, "attempt"), 2);
	CHECK_INT(int_of(t, "attempts"), 2);
	CHECK_STR(str_of(field(t, "error"), "code"), "signal");
	CHECK(is_null(t, "exit_code"));
	CHECK(str_of(t, "finished_at") != NULL);
	CHECK(is_null(t, "retry_at"));
	cJSON_Delete(t);
	CHECK_INT(counter(st, "retries"), 1);
	CHECK_INT(counter(st, "finished"), 1);
	store_close(st);
}

static void
success_after_a_retry_clears_the_error(void)
{
	struct store	*st = open_db();
	cJSON		*t;

	create_retry(st, 3, DEFAULT_ON, 1000, 300000);
	claim(st, 1, 100);
	CHECK_INT(end(st, 1, "failed", "exit_code", 3), 0);
	CHECK_INT(due_and_take(st, 4, NULL), 1);
	claim(st, 1, 101);
	CHECK_INT(end(st, 1, "succeeded", NULL, 0), 0);
	t = get(st, 1);
	CHECK_STR(str_of(t, "state"), "succeeded");
	CHECK_INT(int_of(t, "attempt"), 2);
	CHECK(is_null(t, "error"));
	cJSON_Delete(t);
	store_close(st);
}

/* A stop is never retried, whatever ended the attempt; a timeout that
 * nobody stopped is. */
static void
stopping_task_is_retried_only_after_a_timeout(void)
{
	struct store		*st = open_db();
	struct runner_ref	 ref;
	struct hg_err		 e;
	cJSON			*t = NULL;
	int64_t			 id;
	int			 i;
	static const char *const code[] = { "exit_code", "lost", "signal",
	    "timeout" };

	for (i = 0; i < 4; i++) {
		id = create_retry(st, 3, DEFAULT_ON, 1000, 300000);
		claim(st, id, 100 + i);
		CHECK_INT(store_task_stop(st, id, &t, &ref, &e), 0);
		cJSON_Delete(t);
		t = NULL;
		CHECK_INT(store_task_stop_requested(st, id), 1);
		CHECK_INT(end(st, id, i == 1 ? "lost" : "failed", code[i],
		    i != 3), 0);
		CHECK_STR(state_of(st, id), i == 1 ? "lost" : "failed");
	}
	/* Its timeout alone made it stopping: it is retried, and nothing
	 * of a stop stays for the next attempt. */
	id = create_retry(st, 3, DEFAULT_ON, 1000, 300000);
	claim(st, id, 200);
	CHECK_INT(store_task_timing_out(st, id, &e), 0);
	CHECK_STR(state_of(st, id), "stopping");
	CHECK_INT(store_task_stop_requested(st, id), 0);
	CHECK_INT(end(st, id, "failed", "timeout", 0), 0);
	CHECK_STR(state_of(st, id), "retrying");
	CHECK_INT(store_task_stop_requested(st, id), 0);
	/* A stop asked while its timeout stops it: not retried. */
	id = create_retry(st, 3, DEFAULT_ON, 1000, 300000);
	claim(st, id, 201);
	CHECK_INT(store_task_timing_out(st, id, &e), 0);
	CHECK_INT(store_task_stop(st, id, &t, &ref, &e), 0);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(t, "state")),
	    "stopping");
	cJSON_Delete(t);
	t = NULL;
	CHECK_INT(store_task_stop_requested(st, id), 1);
	CHECK_INT(end(st, id, "failed", "timeout", 0), 0);
	CHECK_STR(state_of(st, id), "failed");
	/* Nor a timeout whose kind does not retry timeouts. */
	id = create_retry(st, 3, "exit_code", 1000, 300000);
	claim(st, id, 202);
	CHECK_INT(end(st, id, "failed", "timeout", 0), 0);
	CHECK_STR(state_of(st, id), "failed");
	store_close(st);
}

/* Only a task that ran is retried: a queued one whose runner could not
 * start ends at once. */
static void
queued_task_that_fails_to_start_is_not_retried(void)
{
	struct store	*st = open_db();

	create_retry(st, 3, "exec_failed", 1000, 300000);
	CHECK_INT(end(st, 1, "failed", "exec_failed", 0), 0);
	CHECK_STR(state_of(st, 1), "failed");
	store_close(st);
}

/* A retrying task has no attempt to end: a late lost-runner check
 * leaves it alone, and so does one whose runner is no longer the one
 * it read. */
static void
finish_leaves_retrying_and_rerun_tasks_alone(void)
{
	struct store		*st = open_db();
	struct runner_ref	 old = { 100, 1100 }, now = { 101, 1101 };
	struct outcome		 o;
	struct hg_err		 e;
	int64_t			 last;

	create_retry(st, 3, DEFAULT_ON, 1000, 300000);
	claim(st, 1, 100);
	CHECK_INT(end(st, 1, "failed", "exit_code", 3), 0);
	last = event_last(st);
	CHECK_INT(end(st, 1, "lost", "lost", 0), 1);
	CHECK_STR(state_of(st, 1), "retrying");
	CHECK_INT(event_last(st), last);
	/* Taken again by runner 101: runner 100 being gone is no news. */
	CHECK_INT(due_and_take(st, 4, NULL), 1);
	claim(st, 1, 101);
	memset(&o, 0, sizeof(o));
	o.state = TASK_LOST;
	o.error_code = "lost";
	o.runner = &old;
	last = event_last(st);
	CHECK_INT(store_task_finish(st, 1, NULL, &o, &e), 1);
	CHECK_STR(state_of(st, 1), "running");
	CHECK_INT(event_last(st), last);
	o.runner = &now;
	CHECK_INT(store_task_finish(st, 1, NULL, &o, &e), 0);
	CHECK_STR(state_of(st, 1), "retrying");
	store_close(st);
}

/* ---- the wait ---- */

/*
 * Before attempt k+1, a random time between half and all of
 * min(max, delay x 2^(k-1)): 100, 200, 400, 800, then the cap of 1000
 * ms, measured against the clock around each finish.
 */
static void
retry_at_is_within_the_backoff_of_each_attempt(void)
{
	static const int64_t base[] = { 100, 200, 400, 800, 1000, 1000,
	    1000, 1000, 1000 };
	struct store	*st = open_db();
	int64_t		 before, after, at, k;
	char		 q[128];

	create_retry(st, 10, DEFAULT_ON, 100, 1000);
	snprintf(q, sizeof(q), "SELECT retry_at FROM tasks WHERE id = 1");
	for (k = 1; k <= 9; k++) {
		claim(st, 1, 100 + k);
		before = hg_now_ms();
		CHECK_INT(end(st, 1, "failed", "exit_code", 1), 0);
		after = hg_now_ms();
		at = sql_int(q);
		if (at < before + (base[k - 1] + 1) / 2 ||
		    at > after + base[k - 1]) {
			fprintf(stderr, "  attempt %lld: waits %lld ms, not "
			    "within [%lld, %lld]\n", (long long)k,
			    (long long)(at - before),
			    (long long)(base[k - 1] + 1) / 2,
			    (long long)base[k - 1]);
			CHECK(0);
		}
		CHECK_INT(due_and_take(st, 4, NULL), 1);
	}
	/* The tenth attempt is the last. */
	claim(st, 1, 200);
	CHECK_INT(end(st, 1, "failed", "exit_code", 1), 0);
	CHECK_STR(state_of(st, 1), "failed");
	CHECK_INT(sql_int("SELECT attempt FROM tasks WHERE id = 1"), 10);
	store_close(st);
}

/* The wait is random: a hundred first retries of a 1 s delay are not
 * all the same, and stay within [500, 1000] ms. */
static void
retry_wait_is_spread_between_half_and_all(void)
{
	struct store	*st = open_db();
	int64_t		 id, min = INT64_MAX, max = 0, d, before;
	char		 q[128];
	int		 i;

	for (i = 0; i < 100; i++) {
		id = create_retry(st, 2, DEFAULT_ON, 1000, 300000);
		claim(st, id, 100 + i);
		before = hg_now_ms();
		CHECK_INT(end(st, id, "failed", "signal", 0), 0);
		snprintf(q, sizeof(q), "SELECT retry_at - %lld FROM tasks "
		    "WHERE id = %lld", (long long)before, (long long)id);
		d = sql_int(q);
		if (d < min)
			min = d;
		if (d > max)
			max = d;
	}
	CHECK(min >= 500 && max <= 1000 + 100);
	CHECK(max - min >= 100);
	store_close(st);
}

/* ---- queued again ---- */

static void
retrying_task_is_queued_at_its_retry_at(void)
{
	struct store	*st = open_db();
	struct sched	 sc = { 4, NULL, NULL, NULL, 8, 0, 0, NULL };
	struct hg_err	 e;
	struct evs	 l;
	int64_t		 ids[8], last, at;
	int		 promoted;
	cJSON		*t;

	sc.ids = ids;
	create_retry(st, 3, DEFAULT_ON, 60000, 300000);
	claim(st, 1, 100);
	CHECK_INT(end(st, 1, "failed", "exit_code", 3), 0);
	/* Not yet due: nothing moves. */
	last = event_last(st);
	CHECK_INT(store_sched_take(st, &sc, &e), 0);
	CHECK_INT(sc.promoted, 0);
	CHECK_STR(state_of(st, 1), "retrying");
	CHECK_INT(event_last(st), last);
	CHECK_INT(store_retry_next(st, &at, &e), 0);
	CHECK_INT(at, sql_int("SELECT retry_at FROM tasks WHERE id = 1"));
	/* Due: queued, with its state event, and taken in the same
	 * transaction. */
	CHECK_INT(due_and_take(st, 4, &promoted), 1);
	CHECK_INT(promoted, 1);
	t = get(st, 1);
	CHECK_STR(str_of(t, "state"), "queued");
	CHECK(is_null(t, "retry_at"));
	/* The failed attempt's error stays until the next one ends. */
	CHECK_STR(str_of(field(t, "error"), "code"), "exit_code");
	cJSON_Delete(t);
	CHECK_INT(evs_read(st, last, 1, &l), 1);
	CHECK_STR(l.v[0].state, "queued");
	evs_free(&l);
	CHECK_INT(sql_int("SELECT launched_at IS NOT NULL FROM tasks"), 1);
	CHECK_INT(store_retry_next(st, &at, &e), 0);
	CHECK_INT(at, 0);
	store_close(st);
}

/* With no slot free it is queued all the same, and waits its turn,
 * older tasks first. */
static void
due_retry_without_a_slot_is_queued_and_waits(void)
{
	struct store	*st = open_db();
	struct sched	 sc = { 1, NULL, NULL, NULL, 8, 0, 0, NULL };
	struct hg_err	 e;
	int64_t		 ids[8];
	int		 promoted;

	sc.ids = ids;
	create_retry(st, 3, DEFAULT_ON, 1000, 300000);
	create(st, "count", "runs");
	create(st, "count", "waits");
	claim(st, 1, 100);
	CHECK_INT(end(st, 1, "failed", "exit_code", 3), 0);
	claim(st, 2, 101);
	CHECK_INT(due_and_take(st, 1, &promoted), 0);
	CHECK_INT(promoted, 1);
	CHECK_STR(state_of(st, 1), "queued");
	CHECK_INT(sql_int("SELECT launched_at IS NULL FROM tasks "
	    "WHERE id = 1"), 1);
	/* Task 2 ends: the retried task 1 goes before task 3. */
	CHECK_INT(finish(st, 2, "succeeded"), 0);
	CHECK_INT(store_sched_take(st, &sc, &e), 1);
	CHECK_INT(ids[0], 1);
	store_close(st);
}

/* ---- the next attempt ---- */

static void
claim_of_next_attempt_resets_progress_and_result(void)
{
	struct store	*st = open_db();
	struct progress	 p = { 7, 10, "seven" };
	struct outcome	 o;
	struct hg_err	 e;
	struct evs	 l;
	char		*kind = NULL, *params = NULL, *started;
	int		 attempt = 0, attempts = 0;
	int64_t		 last;
	cJSON		*t;

	create_retry(st, 4, DEFAULT_ON, 1000, 300000);
	CHECK_INT(store_task_claim(st, 1, 100, 1100, &kind, &params,
	    &attempt, &attempts, &e), 0);
	free(kind);
	free(params);
	CHECK_INT(attempt, 1);
	CHECK_INT(attempts, 4);
	CHECK_INT(store_task_progress(st, 1, &p, &e), 0);
	memset(&o, 0, sizeof(o));
	o.state = TASK_FAILED;
	o.has_exit_code = 1;
	o.exit_code = 2;
	o.error_code = "exit_code";
	o.error_message = "exited with status 2";
	o.result = "{\"partial\":true}";
	CHECK_INT(store_task_finish(st, 1, NULL, &o, &e), 0);
	t = get(st, 1);
	CHECK_STR(str_of(t, "state"), "retrying");
	CHECK_INT(int_of(field(t, "progress"), "value"), 7);
	CHECK(cJSON_IsObject(field(t, "result")));
	started = strdup(str_of(t, "started_at"));
	cJSON_Delete(t);
	CHECK_INT(due_and_take(st, 4, NULL), 1);
	last = event_last(st);
	CHECK_INT(store_task_claim(st, 1, 101, 1101, &kind, &params,
	    &attempt, &attempts, &e), 0);
	free(kind);
	free(params);
	CHECK_INT(attempt, 2);
	CHECK_INT(attempts, 4);
	t = get(st, 1);
	CHECK_STR(str_of(t, "state"), "running");
	CHECK_INT(int_of(t, "attempt"), 2);
	CHECK_INT(int_of(field(t, "progress"), "value"), 0);
	CHECK(is_null(field(t, "progress"), "total"));
	CHECK(is_null(field(t, "progress"), "message"));
	CHECK(is_null(t, "result"));
	CHECK_STR(str_of(t, "started_at"), started);
	CHECK_INT(int_of(t, "exit_code"), 2);
	CHECK_STR(str_of(field(t, "error"), "code"), "exit_code");
	cJSON_Delete(t);
	/* Progress back to 0 has its event, before the running state
	 * event: the last progress event says what the task shows. */
	CHECK_INT(evs_read(st, last, 1, &l), 2);
	CHECK_STR(l.v[0].type, "progress");
	CHECK_HAS(l.v[0].data, "\"value\":0,");
	CHECK_STR(l.v[1].state, "running");
	evs_free(&l);
	/* Started once, whatever the attempts. */
	CHECK_INT(counter(st, "started"), 1);
	free(started);
	store_close(st);
}

/* ---- stop, delete, the queue's bound ---- */

static void
stop_of_retrying_task_cancels_it_at_once(void)
{
	struct store		*st = open_db();
	struct runner_ref	 ref = { -1, -1 };
	struct hg_err		 e;
	struct evs		 l;
	cJSON			*t = NULL;
	int64_t			 last;

	create_retry(st, 3, DEFAULT_ON, 60000, 300000);
	claim(st, 1, 100);
	CHECK_INT(end(st, 1, "failed", "exit_code", 3), 0);
	last = event_last(st);
	CHECK_INT(store_task_stop(st, 1, &t, &ref, &e), 0);
	CHECK_INT(ref.pid, 0);
	t = client_view(t);
	CHECK_STR(str_of(t, "state"), "canceled");
	CHECK(is_null(t, "error"));
	CHECK(is_null(t, "exit_code"));
	CHECK(is_null(t, "retry_at"));
	CHECK(str_of(t, "finished_at") != NULL);
	CHECK_INT(int_of(t, "attempt"), 1);
	cJSON_Delete(t);
	CHECK_INT(evs_read(st, last, 1, &l), 1);
	CHECK_STR(l.v[0].state, "canceled");
	evs_free(&l);
	CHECK_INT(counter(st, "finished"), 1);
	/* Not queued again when its time comes. */
	CHECK_INT(due_and_take(st, 4, NULL), 0);
	CHECK_STR(state_of(st, 1), "canceled");
	store_close(st);
}

static void
unwatched_stop_of_retrying_task_ends_with_its_reason(void)
{
	struct store		*st = open_db();
	struct runner_ref	 ref;
	struct hg_err		 e;
	cJSON			*t = NULL;

	create_retry(st, 3, DEFAULT_ON, 60000, 300000);
	claim(st, 1, 100);
	CHECK_INT(end(st, 1, "failed", "exit_code", 3), 0);
	CHECK_INT(store_task_stop_why(st, 1, "unwatched", "nobody watched",
	    &t, &ref, &e), 0);
	t = client_view(t);
	CHECK_STR(str_of(t, "state"), "canceled");
	CHECK_STR(str_of(field(t, "error"), "code"), "unwatched");
	cJSON_Delete(t);
	store_close(st);
}

static void
delete_of_retrying_task_is_409_still_active(void)
{
	struct store	*st = open_db();
	struct hg_err	 e;

	create_retry(st, 3, DEFAULT_ON, 60000, 300000);
	claim(st, 1, 100);
	CHECK_INT(end(st, 1, "failed", "exit_code", 3), 0);
	memset(&e, 0, sizeof(e));
	CHECK_INT(store_task_delete(st, 1, &e), -1);
	CHECK_INT(e.status, 409);
	CHECK_STR(e.code, "still_active");
	CHECK_STR(state_of(st, 1), "retrying");
	store_close(st);
}

static void
retrying_task_counts_against_max_queued(void)
{
	struct store		*st = open_db();
	struct create_opts	 o = { .idem_key = NULL };
	struct hg_err		 e;
	cJSON			*t = NULL;

	create_retry(st, 3, DEFAULT_ON, 60000, 300000);
	claim(st, 1, 100);
	CHECK_INT(end(st, 1, "failed", "exit_code", 3), 0);
	o.max_queued = 1;
	memset(&e, 0, sizeof(e));
	CHECK_INT(store_task_create_opts(st, "count", NULL, PARAMS, &o, &t,
	    &e), -1);
	CHECK_INT(e.status, 429);
	CHECK_STR(e.code, "queue_full");
	o.max_queued = 2;
	CHECK_INT(store_task_create_opts(st, "count", NULL, PARAMS, &o, &t,
	    &e), 0);
	cJSON_Delete(t);
	store_close(st);
}

/* The one kind of these tests, "count", runs as a Slurm job. */
static int
slurm_kind(void *arg, const char *kind)
{
	(void)arg;
	return strcmp(kind, "count") == 0;
}

/*
 * A Slurm task's timeout counts from its current job's start: a runner
 * that follows the job of a later attempt reads that start, not
 * started_at, which keeps the task's first start.
 */
static void
slurm_timeout_counts_from_the_current_attempts_job(void)
{
	struct store	*st = open_db();
	struct hg_err	 e;
	int64_t		 ids[8], job, off, started, before;
	struct sched	 sc = { 4, NULL, NULL, ids, 8, 0, 0, slurm_kind };

	create_retry(st, 2, DEFAULT_ON, 1000, 1000);
	CHECK_INT(store_sched_take(st, &sc, &e), 1);
	claim(st, 1, 100);
	CHECK_INT(store_task_slurm(st, 1, 41, "RUNNING", NULL, 1, &e), 1);
	sql("UPDATE tasks SET started_at = 5000, slurm_started = 5000");
	CHECK_INT(end(st, 1, "failed", "exit_code", 3), 0);
	CHECK_STR(state_of(st, 1), "retrying");
	sql("UPDATE tasks SET retry_at = 1");
	CHECK_INT(store_sched_take(st, &sc, &e), 1);
	claim(st, 1, 101);
	CHECK_INT(store_task_slurm_get(st, 1, &job, &off, &started, &e), 0);
	CHECK_INT(job, 0);
	CHECK_INT(started, TASK_TIME_NONE);
	before = hg_now_ms();
	CHECK_INT(store_task_slurm(st, 1, 42, "RUNNING", NULL, 1, &e), 1);
	CHECK_INT(store_task_slurm_get(st, 1, &job, &off, &started, &e), 0);
	CHECK_INT(job, 42);
	CHECK(started >= before && started <= hg_now_ms());
	CHECK_INT(sql_int("SELECT started_at FROM tasks WHERE id = 1"), 5000);
	store_close(st);
}

/* A later attempt's Slurm task whose runner died before it submitted
 * the job goes back to the queue as the same attempt. */
static void
slurm_unclaim_keeps_the_attempt(void)
{
	struct store	*st = open_db();
	struct hg_err	 e;
	int64_t		 ids[8];
	struct sched	 sc = { 4, NULL, NULL, ids, 8, 0, 0, slurm_kind };

	create_retry(st, 3, DEFAULT_ON, 1000, 1000);
	CHECK_INT(store_sched_take(st, &sc, &e), 1);
	claim(st, 1, 100);
	CHECK_INT(store_slurm_unclaim(st, 1, &e), 1);
	CHECK_INT(store_sched_take(st, &sc, &e), 1);
	claim(st, 1, 101);
	CHECK_INT(sql_int("SELECT attempt FROM tasks WHERE id = 1"), 1);
	CHECK_INT(store_task_slurm(st, 1, 41, "RUNNING", NULL, 1, &e), 1);
	CHECK_INT(end(st, 1, "failed", "exit_code", 3), 0);
	sql("UPDATE tasks SET retry_at = 1");
	CHECK_INT(store_sched_take(st, &sc, &e), 1);
	claim(st, 1, 102);
	CHECK_INT(sql_int("SELECT attempt FROM tasks WHERE id = 1"), 2);
	CHECK_INT(store_slurm_unclaim(st, 1, &e), 1);
	CHECK_INT(store_sched_take(st, &sc, &e), 1);
	claim(st, 1, 103);
	CHECK_INT(sql_int("SELECT attempt FROM tasks WHERE id = 1"), 2);
	store_close(st);
}

static const struct unit_test tests[] = {
	UNIT(failed_attempt_with_attempts_left_is_retrying),
	UNIT(each_code_of_retry_on_is_retried_and_no_other),
	UNIT(task_without_retries_ends_as_before),
	UNIT(last_attempt_ends_as_its_outcome_says),
	UNIT(success_after_a_retry_clears_the_error),
	UNIT(stopping_task_is_retried_only_after_a_timeout),
	UNIT(queued_task_that_fails_to_start_is_not_retried),
	UNIT(finish_leaves_retrying_and_rerun_tasks_alone),
	UNIT(retry_at_is_within_the_backoff_of_each_attempt),
	UNIT(retry_wait_is_spread_between_half_and_all),
	UNIT(retrying_task_is_queued_at_its_retry_at),
	UNIT(due_retry_without_a_slot_is_queued_and_waits),
	UNIT(claim_of_next_attempt_resets_progress_and_result),
	UNIT(stop_of_retrying_task_cancels_it_at_once),
	UNIT(unwatched_stop_of_retrying_task_ends_with_its_reason),
	UNIT(delete_of_retrying_task_is_409_still_active),
	UNIT(retrying_task_counts_against_max_queued),
	UNIT(slurm_timeout_counts_from_the_current_attempts_job),
	UNIT(slurm_unclaim_keeps_the_attempt),
};

int
main(int argc, char **argv)
{
	UNIT_MAIN(tests, argc, argv);
}
